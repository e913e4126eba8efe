"""Stream faults (Outage, Latency, Stuck, Spikes): properties, evaluate_robustness on TiDE and our model, and
``pf-forecast bench --faults``."""

from __future__ import annotations

import dataclasses
import json
import logging
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from darts import TimeSeries
from darts.models import LinearRegressionModel, NaiveSeasonal
from hypothesis import given, settings
from hypothesis import strategies as st
from test_benchmark import bench, csv_args, write_csv
from test_robustness_corruptions import selection_st, series_st
from test_robustness_evaluate import ICL, START, H, _clean_metrics, _data, _pf_model, _tide

from pf_forecast.robustness import (
    FAULT_LEVELS,
    FAULTS,
    Compose,
    GaussianNoise,
    Latency,
    Outage,
    Spikes,
    Stuck,
    corruption_factory,
    evaluate_robustness,
    fault_middle_level,
)

PROPS = settings(max_examples=40, deadline=None)

#: the level-based faults, with their parameter variants
LEVEL_FAULTS = {
    "outage": lambda p: Outage(p),
    "outage_fixed_indep": lambda p: Outage(p, duration=3, distribution="fixed", shared_across_components=False),
    "stuck": lambda p: Stuck(p, duration=4),
    "stuck_indep": lambda p: Stuck(p, duration=2.5, shared_across_components=False),
    "spikes": lambda p: Spikes(min(p, 0.5)),
    "spikes_shared": lambda p: Spikes(min(p, 0.5), scale=100.0, shared_across_components=True),
}
ALL_FAULTS = sorted(LEVEL_FAULTS) + ["latency"]


def _make(kind: str, level: float):
    return Latency(int(round(10 * level))) if kind == "latency" else LEVEL_FAULTS[kind](level)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of the runs of True in a 1-d bool array."""
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise equality where NaN equals NaN."""
    return (a == b) | (np.isnan(a) & np.isnan(b))


# -----------------------------------------------------------------------------------------------------------------
# properties shared by every fault
# -----------------------------------------------------------------------------------------------------------------
@PROPS
@given(data=st.data(), kind=st.sampled_from(ALL_FAULTS))
def test_level_zero_is_identity(data, kind):
    ts = data.draw(series_st())
    comps, start = data.draw(selection_st(ts))
    corruption = _make(kind, 0.0)
    assert corruption.is_identity and not corruption.stochastic
    out = corruption.apply(ts, np.random.default_rng(0), components=comps, start=start)
    assert out == ts and out is not ts and out.dtype == ts.dtype
    if kind == "latency":
        point = ts.time_index[data.draw(st.integers(0, len(ts) - 1))]
        for role in ("past", "future"):
            assert Latency(0).apply_window(ts, point, role=role, components=comps) == ts


@PROPS
@given(data=st.data(), kind=st.sampled_from(ALL_FAULTS), level=st.floats(0.0, 1.0), seed=st.integers(0, 2**32 - 1))
def test_same_seed_same_result(data, kind, level, seed):
    ts = data.draw(series_st())
    comps, start = data.draw(selection_st(ts))
    corruption = _make(kind, level)
    a = corruption.apply(ts, np.random.default_rng(seed), components=comps, start=start)
    b = corruption.apply(ts, np.random.default_rng(seed), components=comps, start=start)
    c = corruption.apply(ts, seed, components=comps, start=start)  # an int seed works as well
    assert a == b == c


@PROPS
@given(data=st.data(), kind=st.sampled_from(ALL_FAULTS), level=st.floats(0.0, 1.0))
def test_input_never_mutated(data, kind, level):
    ts = data.draw(series_st())
    comps, start = data.draw(selection_st(ts))
    before, index_before = ts.all_values(copy=True), ts.time_index.copy()
    corruption = _make(kind, level)
    outs = [corruption.apply(ts, np.random.default_rng(1), components=comps, start=start)]
    if kind == "latency":
        point = ts.time_index[data.draw(st.integers(0, len(ts) - 1))]
        outs += [corruption.apply_window(ts, point, role=r, components=comps) for r in ("past", "future")]
    np.testing.assert_array_equal(ts.all_values(copy=False), before)
    assert ts.time_index.equals(index_before)
    for out in outs:
        assert not np.shares_memory(out.all_values(copy=False), ts.all_values(copy=False))


@PROPS
@given(data=st.data(), kind=st.sampled_from(ALL_FAULTS), level=st.floats(0.05, 1.0))
def test_only_selected_components_and_times_change(data, kind, level):
    ts = data.draw(series_st())
    comps, start = data.draw(selection_st(ts))
    out = _make(kind, level).apply(ts, np.random.default_rng(2), components=comps, start=start)
    assert out.time_index.equals(ts.time_index) and list(out.components) == list(ts.components)
    assert out.dtype == ts.dtype
    rows = np.ones(len(ts), bool) if start is None else np.asarray(ts.time_index >= start)
    cols = np.ones(ts.n_components, bool) if comps is None else np.isin(ts.components, comps)
    hit = rows[:, None] & cols[None, :]
    assert _same(out.values(), ts.values())[~hit].all()
    if kind.startswith(("stuck", "spikes")):  # finite faults: no value becomes missing
        assert (np.isnan(out.values()) <= np.isnan(ts.values())).all()


def test_factories_grids_and_names():
    assert FAULTS == ("outage", "latency", "stuck", "spikes")
    for name in FAULTS:
        grid = FAULT_LEVELS[name]
        assert grid[0] == 0.0 and list(grid) == sorted(grid) and len(grid) == 5
        built = corruption_factory(name)(grid[2])
        assert built.name == name and built.level == grid[2] == fault_middle_level(name)
        assert built.default_levels == grid
        assert corruption_factory(name)(0.0).is_identity
    assert corruption_factory("latency")(3.0) == Latency(3) and Latency(3).with_level(6.0) == Latency(6)
    assert Latency(3).level_unit == "steps" and Latency(3).window_relative and not Outage(0.1).window_relative
    assert Outage(0.1).with_level(0.3) == Outage(0.3)
    assert Compose(Outage(0.1), Latency(2)).window_relative


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: Outage(1.5), ValueError, "`level`.*1.5"),
        (lambda: Outage(0.1, duration=0.5), ValueError, "`duration`.*0.5"),
        (lambda: Outage(0.1, duration="long"), ValueError, "`duration`.*'long'"),
        (lambda: Outage(0.1, duration=2.5, distribution="fixed"), ValueError, "whole number.*2.5"),
        (lambda: Outage(0.1, distribution="poisson"), ValueError, "`distribution`.*'poisson'"),
        (lambda: Outage(0.1, duration=10**7), ValueError, "`duration`"),
        (lambda: Outage(0.1, duration=lambda rng, size: np.zeros(size)), ValueError, ">= 1"),
        (lambda: Outage(0.1, duration=lambda rng, size: np.ones(3)), ValueError, "shape"),
        (lambda: Stuck(-0.1), ValueError, "-0.1"),
        (lambda: Spikes(0.6), ValueError, "at most 0.5.*0.6"),
        (lambda: Spikes(0.1, scale=0.0), ValueError, "`scale`.*0.0"),
        (lambda: Latency(-1), ValueError, "`steps`.*-1"),
        (lambda: Latency(1.5), ValueError, "`steps`.*1.5"),
        (lambda: Latency(2).with_level(0.5), ValueError, "`level`.*0.5"),
        (lambda: Outage.from_rate(2.0), ValueError, "`rate`.*2.0"),
    ],
)
def test_bad_parameters_name_the_argument(build, error, match):
    with pytest.raises(error, match=match):
        build()


def test_bad_window_role_and_series():
    ts = TimeSeries.from_values(np.ones((5, 1)))
    with pytest.raises(ValueError, match="`role`.*'horizon'"):
        Latency(1).apply_window(ts, 3, role="horizon")
    with pytest.raises(TypeError, match="`ts` must be a darts TimeSeries"):
        Latency(1).apply_window(np.ones(5), 3)


# -----------------------------------------------------------------------------------------------------------------
# Outage
# -----------------------------------------------------------------------------------------------------------------
@settings(max_examples=20, deadline=None)
@given(level=st.floats(0.02, 0.95), seed=st.integers(0, 2**32 - 1),
       duration=st.sampled_from([1.0, 6.0, 12.0, 30.5]))
def test_outage_missing_fraction_matches_level(level, seed, duration):
    ts = TimeSeries.from_values(np.ones((40_000, 4), dtype=np.float32))
    out = Outage(level, duration=duration, shared_across_components=False).apply(ts, np.random.default_rng(seed))
    missing = np.isnan(out.values())
    assert abs(missing.mean() - level) < 0.03  # sd <= ~0.008 over 4 x 40,000 steps for these durations
    assert (out.values()[~missing] == 1.0).all()


def test_outage_fixed_and_callable_durations_match_level_and_rate():
    ts = TimeSeries.from_values(np.ones((60_000, 1), dtype=np.float32))
    for outage in (Outage(0.2, duration=8, distribution="fixed"),
                   Outage(0.2, duration=lambda rng, size: rng.integers(1, 40, size=size))):
        assert abs(np.isnan(outage.apply(ts, 0).values()).mean() - 0.2) < 0.03
    assert Outage.from_rate(Outage(0.3, duration=5).rate, duration=5).level == pytest.approx(0.3, abs=1e-9)
    assert Outage(0.3, duration=5, distribution="fixed").mean_duration == 5.0
    assert Outage(0.3, duration=5).mean_duration == pytest.approx(5.0, abs=1e-6)


@PROPS
@given(level=st.floats(0.01, 0.6), seed=st.integers(0, 2**32 - 1), duration=st.integers(1, 20))
def test_outage_blocks_are_contiguous_and_shared(level, seed, duration):
    ts = TimeSeries.from_values(np.random.default_rng(0).normal(size=(800, 3)).astype(np.float32))
    out = Outage(level, duration=duration, distribution="fixed").apply(ts, seed, components=["0", "2"])
    missing = np.isnan(out.values())
    np.testing.assert_array_equal(missing[:, 0], missing[:, 2])  # one stream: its columns go down together
    assert not missing[:, 1].any()
    for begin, end in _runs(missing[:, 0]):
        if begin > 0 and end < len(ts):  # a block under way at either edge is cut there
            assert end - begin >= duration  # a block lasts `duration` steps; overlapping blocks merge into longer


@settings(max_examples=20, deadline=None)
@given(p=st.floats(0.0, 1.0), q=st.floats(0.0, 1.0), seed=st.integers(0, 2**32 - 1))
def test_outages_are_nested_across_levels(p, q, seed):
    """Common random numbers: what is missing at the lower level is missing at the higher one."""
    lo, hi = sorted((p, q))
    ts = TimeSeries.from_values(np.ones((500, 2), dtype=np.float32))
    a = np.isnan(Outage(lo).apply(ts, seed).values())
    b = np.isnan(Outage(hi).apply(ts, seed).values())
    assert (b | ~a).all()


def test_outage_geometric_lengths_have_the_given_mean():
    ts = TimeSeries.from_values(np.ones((200_000, 1), dtype=np.float32))
    missing = np.isnan(Outage(0.02, duration=12).apply(ts, 3).values()[:, 0])
    lengths = [end - begin for begin, end in _runs(missing)]
    assert 10.5 < np.mean(lengths) < 13.5  # blocks rarely overlap at 2%: the observed runs are the drawn blocks


# -----------------------------------------------------------------------------------------------------------------
# Stuck
# -----------------------------------------------------------------------------------------------------------------
@PROPS
@given(data=st.data(), level=st.floats(0.05, 1.0), shared=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_stuck_stretches_repeat_the_last_observed_value(data, level, shared, seed):
    ts = data.draw(series_st(min_len=5, nan=False))
    comps, start = data.draw(selection_st(ts))
    out = Stuck(level, duration=3, shared_across_components=shared).apply(ts, seed, components=comps, start=start)
    old, new = ts.values(), out.values()
    assert np.isfinite(new).all()
    changed = np.argwhere(new != old)
    for t, c in changed:  # every frozen step repeats the value before it: a flat line from the last real value
        assert t >= 1 and new[t, c] == new[t - 1, c]


@settings(max_examples=15, deadline=None)
@given(level=st.floats(0.02, 0.9), seed=st.integers(0, 2**32 - 1))
def test_stuck_fraction_matches_level(level, seed):
    values = np.random.default_rng(seed).normal(size=(40_000, 4)).astype(np.float32)
    ts = TimeSeries.from_values(values)
    out = Stuck(level, shared_across_components=False).apply(ts, np.random.default_rng(seed)).values()
    # a frozen step differs from its true value (continuous data), except where a stretch starts at step 0
    assert abs((out != values).mean() - level) < 0.03


def test_stuck_uses_the_last_finite_value_before_the_stretch():
    values = np.arange(10, dtype=np.float64)
    values[4] = np.nan
    ts = TimeSeries.from_values(values)
    out = Stuck(1.0).apply(ts, 0, start=5).values().ravel()  # level 1: one stretch from `start` on
    np.testing.assert_array_equal(out[5:], 3.0)  # value 4 is missing: the last observed one is 3
    np.testing.assert_array_equal(out[:4], values[:4])
    first = Stuck(1.0).apply(ts, 0).values().ravel()  # nothing before the series: it sticks at its first value
    np.testing.assert_array_equal(first, 0.0)


# -----------------------------------------------------------------------------------------------------------------
# Spikes
# -----------------------------------------------------------------------------------------------------------------
@PROPS
@given(data=st.data(), level=st.floats(0.01, 0.5), scale=st.floats(2.0, 1000.0), shared=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_spikes_are_isolated_and_large(data, level, scale, shared, seed):
    ts = data.draw(series_st(min_len=5))
    comps, start = data.draw(selection_st(ts))
    out = Spikes(level, scale=scale, shared_across_components=shared).apply(ts, seed, components=comps, start=start)
    old, new = ts.values(), out.values()
    std = np.nanstd(old, axis=0)
    std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
    changed = ~_same(new, old)
    assert not (changed[1:] & changed[:-1]).any()  # never two spikes in a row in a component
    jump = np.abs(new - old)[changed] / np.broadcast_to(std, old.shape)[changed]
    np.testing.assert_allclose(jump, scale, rtol=1e-3)  # each spike is `scale` standard deviations off
    assert (np.isnan(new) == np.isnan(old)).all()  # finite values stay finite, NaN stays NaN


@settings(max_examples=20, deadline=None)
@given(level=st.floats(0.0, 0.5), seed=st.integers(0, 2**32 - 1))
def test_spike_fraction_matches_level(level, seed):
    ts = TimeSeries.from_values(np.random.default_rng(1).normal(size=(20_000, 3)).astype(np.float32))
    out = Spikes(level).apply(ts, np.random.default_rng(seed)).values()
    assert abs((out != ts.values()).mean() - level) < 0.02


# -----------------------------------------------------------------------------------------------------------------
# Latency
# -----------------------------------------------------------------------------------------------------------------
@PROPS
@given(data=st.data(), steps=st.integers(0, 12))
def test_latency_removes_the_last_steps_before_the_point_and_the_future_horizon(data, steps):
    ts = data.draw(series_st(nan=False))
    comps, _ = data.draw(selection_st(ts))
    position = data.draw(st.integers(0, len(ts)))
    point = ts.time_index[position] if position < len(ts) else ts.end_time() + ts.freq
    cols = np.ones(ts.n_components, bool) if comps is None else np.isin(ts.components, comps)
    steps_axis = np.arange(len(ts))
    for role, late in (
        ("past", (steps_axis >= position - steps) & (steps_axis < position)),
        ("target", (steps_axis >= position - steps) & (steps_axis < position)),
        ("future", (steps_axis >= position) & (steps > 0)),
    ):
        out = Latency(steps).apply_window(ts, point, role=role, components=comps).values()
        expected = late[:, None] & cols[None, :]
        np.testing.assert_array_equal(np.isnan(out), expected)
        np.testing.assert_array_equal(out[~expected], ts.values()[~expected])
    # apply(): the end of the series is the forecast time
    out = Latency(steps).apply(ts, None, components=comps).values()
    np.testing.assert_array_equal(np.isnan(out), (steps_axis >= len(ts) - steps)[:, None] & cols[None, :])


# -----------------------------------------------------------------------------------------------------------------
# evaluate_robustness
# -----------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module", autouse=True)
def _quiet():
    torch.set_num_threads(1)
    logging.disable(logging.CRITICAL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
    logging.disable(logging.NOTSET)


@pytest.fixture(scope="module")
def data():
    return _data()


@pytest.fixture(scope="module")
def tide(data, tmp_path_factory):
    series, covs = data
    model = _tide(tmp_path_factory.mktemp("tide"))
    model.fit(series[:100], past_covariates=covs[:100])
    return model


@pytest.fixture(scope="module")
def tide_future(data, tmp_path_factory):
    series, covs = data
    model = _tide(tmp_path_factory.mktemp("tide_future"), use_static_covariates=False)
    model.fit(series[:100], future_covariates=covs[:104])
    return model


@dataclasses.dataclass(frozen=True)
class _NoOpWindow(Latency):
    """A window-relative corruption that changes nothing, but is not flagged as the identity."""

    def apply_window(self, ts, point, *, role="past", components=None, rng=None):
        return ts.copy()


@pytest.mark.parametrize("fault", FAULTS)
def test_fault_sweeps_tide(tide, data, fault):
    series, covs = data
    covs_before = covs.all_values(copy=True)
    kwargs = dict(past_covariates=covs, corruption=fault, modalities="each", forecast_horizon=H, start=START)
    report = evaluate_robustness(tide, series, **kwargs)
    c = report.curves
    assert report.metadata["levels"] == list(FAULT_LEVELS[fault])
    assert report.metadata["window_relative"] is (fault == "latency")
    assert set(c["corruption"]) == {fault} and list(dict.fromkeys(c["modality"])) == ["c0", "c1", "c2"]
    assert len(c) == 3 * len(FAULT_LEVELS[fault]) * 2 and np.isfinite(c["value"]).all()
    clean, _ = _clean_metrics(tide, series, covs)
    at0 = c[(c["level"] == 0.0) & (c["metric"] == "mse")]["value"]
    assert at0.tolist() == pytest.approx([clean["mse"]] * 3, rel=1e-6)
    worst = c[(c["level"] == FAULT_LEVELS[fault][-1]) & (c["metric"] == "mse")]["value"]
    assert not np.isclose(worst, clean["mse"], rtol=1e-6).all()  # the fault reaches the forecasts
    np.testing.assert_array_equal(covs.all_values(copy=False), covs_before)
    pd.testing.assert_frame_equal(evaluate_robustness(tide, series, **kwargs).curves, c)  # reproducible


def test_latency_zero_equals_clean_and_window_path_reproduces_historical_forecasts(tide, tide_future, data):
    series, covs = data
    common = dict(forecast_horizon=H, start=START, stride=3, metrics=("mse", "mae"))
    for model, inputs in ((tide, {"past_covariates": covs}), (tide_future, {"future_covariates": covs})):
        clean = evaluate_robustness(model, series, **inputs, corruption="gaussian", levels=[0.0], **common)
        for corruption, levels in (("latency", [0.0]), (Latency(0), [0.0]), (_NoOpWindow(1), [1.0])):
            for impute in ("zero", "ffill", "mean", "seasonal"):
                r = evaluate_robustness(model, series, **inputs, corruption=corruption, levels=levels,
                                        impute=impute, **common)
                assert r.curves["value"].tolist() == pytest.approx(clean.curves["value"].tolist(), rel=1e-6)
                assert r.metadata["n_windows"] == clean.metadata["n_windows"]
        assert r.metadata["window_relative"] is True
    # a regression model with lags on both sides, forecasting further than its output chunk (auto-regression)
    linear = LinearRegressionModel(lags=5, lags_past_covariates=7, output_chunk_length=2)
    linear.fit(series[:100], past_covariates=covs[:100])
    values = covs.values().copy()
    values[np.random.default_rng(3).random(values.shape) < 0.2] = np.nan  # gaps: the imputation must match too
    gappy = covs.with_values(values)
    for impute in ("ffill", "mean", "seasonal"):
        r = evaluate_robustness(linear, series, past_covariates=gappy, corruption=_NoOpWindow(1), levels=[0.0, 1.0],
                                forecast_horizon=5, start=START, impute=impute)
        v = r.curves["value"].to_numpy()
        assert v[2:] == pytest.approx(v[:2], rel=1e-9)  # level 0 = historical_forecasts; level 1 = windows


def _recording_predict(model, calls):
    """Wrap ``model.predict``: record what it receives, forecast from NaN-free copies (so TiDE stays finite)."""
    original = model.predict

    def predict(n, series=None, past_covariates=None, future_covariates=None, **kwargs):
        calls.append({"n": n, "series": series, "past": past_covariates, "future": future_covariates})

        def filled(items):
            return None if items is None else [ts.with_values(np.nan_to_num(ts.all_values())) for ts in items]

        return original(n, series=series, past_covariates=filled(past_covariates),
                        future_covariates=filled(future_covariates), **kwargs)

    return predict


def test_latency_removes_exactly_the_last_k_input_steps_of_every_window(tide, data, monkeypatch):
    series, covs = data
    calls = []
    monkeypatch.setattr(tide, "predict", _recording_predict(tide, calls))
    k = 3
    report = evaluate_robustness(tide, series, past_covariates=covs, corruption=Latency(k), levels=[float(k)],
                                 modalities={"c0+c2": ["c0", "c2"]}, forecast_horizon=H, start=START, stride=2,
                                 impute="none", metrics="mse")
    assert len(calls) == 1  # one batched predict call for every window
    call = calls[0]
    n_windows = report.metadata["n_windows"]
    assert call["n"] == H and len(call["series"]) == len(call["past"]) == n_windows == (len(series) - START - H) // 2 + 1
    for i, (target, past) in enumerate(zip(call["series"], call["past"])):
        point = series.time_index[START + 2 * i]
        assert target.end_time() == point - series.freq  # the history before the forecast point
        assert target == series.slice(target.start_time(), target.end_time())  # the clean target
        assert past.start_time() <= point - ICL * series.freq  # the whole input window is there
        late = np.asarray((past.time_index >= point - k * series.freq) & (past.time_index < point))
        values = past.values()
        assert late.sum() == k
        assert np.isnan(values[late][:, [0, 2]]).all() and not np.isnan(values[late][:, 1]).any()
        assert not np.isnan(values[~late]).any()  # nothing else is missing
        clean = covs.slice(past.start_time(), past.end_time()).values()
        np.testing.assert_array_equal(values[~late], clean[~late])


def test_latency_removes_the_horizon_part_of_future_covariates(tide_future, data, monkeypatch):
    series, covs = data
    calls = []
    monkeypatch.setattr(tide_future, "predict", _recording_predict(tide_future, calls))
    evaluate_robustness(tide_future, series, future_covariates=covs, corruption="latency", levels=[6.0],
                        modalities="c1", forecast_horizon=H, start=START, stride=4, impute="none", metrics="mse")
    (call,) = calls
    assert call["past"] is None
    for i, future in enumerate(call["future"]):
        point = series.time_index[START + 4 * i]
        ahead = np.asarray(future.time_index >= point)
        assert future.end_time() >= point + (H - 1) * series.freq  # the horizon part is in the series ...
        values = future.values()
        assert np.isnan(values[ahead, 1]).all()  # ... but has not arrived
        assert not np.isnan(values[~ahead]).any() and not np.isnan(values[:, [0, 2]]).any()  # history is there


def test_window_corruptions_refuse_what_they_cannot_do(tide, data):
    series, covs = data
    common = dict(past_covariates=covs, forecast_horizon=H, start=START, metrics="mse")
    with pytest.raises(ValueError, match="`levels`.*0.5"):
        evaluate_robustness(tide, series, corruption="latency", levels=[0.0, 0.5], **common)
    with pytest.raises(ValueError, match="composes a window-relative part"):
        evaluate_robustness(tide, series, corruption=lambda p: Compose(GaussianNoise(p), Latency(2)),
                            levels=[0.5], **common)
    with pytest.raises(ValueError, match=r"\['enable_optimization_x'\].*model.predict per window"):
        evaluate_robustness(tide, series, corruption="latency", levels=[3.0],
                            historical_forecasts_kwargs={"enable_optimization_x": True}, **common)
    naive = NaiveSeasonal(K=1).fit(series[:100])
    with pytest.raises(TypeError, match="window-relative.*global darts model.*NaiveSeasonal"):
        evaluate_robustness(naive, series, corruption="latency", levels=[3.0], **common)


def test_fault_sweeps_progressive_fusion(data, tmp_path):
    series, covs = data
    model = _pf_model(tmp_path)
    model.fit(series[:100], past_covariates=covs[:100])
    clean, _ = _clean_metrics(model, series, covs)
    for fault in FAULTS:
        report = evaluate_robustness(model, series, past_covariates=covs, corruption=fault, modalities="each",
                                     forecast_horizon=H, start=START)
        c = report.curves
        assert report.metadata["impute"] == "none"  # NaN from outages and latency reach the model as is
        assert list(dict.fromkeys(c["modality"])) == ["a", "b"] and np.isfinite(c["value"]).all()
        at0 = c[(c["level"] == 0.0) & (c["metric"] == "mse")]["value"]
        assert at0.tolist() == pytest.approx([clean["mse"]] * 2, rel=1e-5)
    window = evaluate_robustness(model, series, past_covariates=covs, corruption=_NoOpWindow(1), levels=[1.0],
                                 forecast_horizon=H, start=START, metrics="mse")
    assert window.curves["value"].iloc[0] == pytest.approx(clean["mse"], rel=1e-5)


# -----------------------------------------------------------------------------------------------------------------
# pf-forecast bench --faults
# -----------------------------------------------------------------------------------------------------------------
def test_bench_faults_end_to_end(tmp_path, capsys):
    path = write_csv(tmp_path / "plant.csv")
    out = tmp_path / "out"
    assert bench(csv_args(path, out, "--models", "pf,tide", "--seeds", "1", "--no-missing", "--faults")) == 0
    results = pd.read_csv(out / "results.csv")
    faults = results[results.corruption.str.startswith("fault:")]
    expected = {f"fault:{fault}:{modality}" for fault in FAULTS for modality in ("ab", "cal")}
    for model in ("pf", "tide"):
        rows = faults[faults.model == model]
        assert set(rows.corruption) == expected
        for fault in FAULTS:
            levels = sorted(rows[rows.corruption == f"fault:{fault}:ab"].level.unique())
            assert levels == pytest.approx(list(FAULT_LEVELS[fault]))
        assert np.isfinite(rows.value).all()
        # level 0 = the clean score of the sweeps' windows (the robustness stride), as the noise sweep's level 0
        clean = results[(results.model == model) & (results.corruption == "multibench") & (results.level == 0.0)
                        & (results.metric == "mse")].value
        at0 = rows[(rows.level == 0.0) & (rows.metric == "mse")].value
        assert at0.to_numpy() == pytest.approx(np.full(len(at0), clean.iloc[0]), rel=1e-5)
    report = (out / "report.md").read_text()
    assert "## Stream faults" in report and "outage ab" in report and "latency cal" in report
    assert "plots/faults_plant__past+future.png" in report and "--faults" in report
    png = out / "plots" / "faults_plant__past+future.png"
    assert png.is_file() and png.stat().st_size > 1000
    metas = {m["model"]: m for m in (json.loads(p.read_text()) for p in (out / "cells").glob("*.json"))}
    assert all(m["settings"]["faults"] is True and set(m["faults"]["levels"]) == set(FAULTS) for m in metas.values())
    # pf gets the NaN; TiDE, per fault and stream, the policy with its lowest validation MSE at the middle severity
    assert metas["pf"]["faults"]["fault_impute"] == "none" and "validation_mse" not in metas["pf"]["faults"]
    tide = metas["tide"]["faults"]
    assert tide["fault_impute"] == "best" and set(tide["impute"]) == set(FAULTS)
    for fault in FAULTS:
        for modality in ("ab", "cal"):
            scores = tide["validation_mse"][fault][modality]
            assert set(scores) == {"zero", "mean", "ffill", "seasonal"} and np.isfinite(list(scores.values())).all()
            best = min(scores.values())
            assert scores[tide["impute"][fault][modality]] == best
            if scores["ffill"] == best:  # a tie goes to the run's declared policy (--impute, default ffill)
                assert tide["impute"][fault][modality] == "ffill"
    assert "Imputation per model" in report and "--fault-impute best" in report
    # a fixed policy instead: every stream gets it, and the setting is part of the cells' settings
    fixed = tmp_path / "fixed"
    assert bench(csv_args(path, fixed, "--models", "tide", "--seeds", "1", "--no-missing", "--faults",
                          "--fault-impute", "zero")) == 0
    meta = json.loads(next((fixed / "cells").glob("*.json")).read_text())
    assert {p for per in meta["faults"]["impute"].values() for p in per.values()} == {"zero"}
    with pytest.raises(ValueError, match="fault_impute: 'zero' -> 'best'"):
        bench(csv_args(path, fixed, "--models", "tide", "--seeds", "1", "--no-missing", "--faults"))
    # the flag is part of the settings: resuming without it refuses to mix the cells ...
    with pytest.raises(ValueError, match="faults: True -> False"):
        bench(csv_args(path, out, "--models", "pf,tide", "--seeds", "1", "--no-missing"))
    # ... and cells stored before the setting existed count as faults=False (reused, not refused)
    old = tmp_path / "old"
    assert bench(csv_args(path, old, "--models", "linear", "--seeds", "1", "--no-missing")) == 0
    for sidecar in (old / "cells").glob("*.json"):
        meta = json.loads(sidecar.read_text())
        del meta["settings"]["faults"]
        sidecar.write_text(json.dumps(meta))
    capsys.readouterr()
    assert bench(csv_args(path, old, "--models", "linear", "--seeds", "1", "--no-missing")) == 0
    assert "0 cells run, 1 reused" in capsys.readouterr().out
    assert "## Stream faults" not in (old / "report.md").read_text()
