"""evaluate_robustness / modality_importance / RobustnessReport on darts' TiDEModel (and on our model)."""

from __future__ import annotations

import logging
import warnings
from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest
import torch
from darts import TimeSeries
from darts.metrics import mae, mse
from darts.models import TiDEModel

from pf_forecast import ProgressiveFusionForecaster
from pf_forecast.robustness import (
    MULTIBENCH_LEVELS,
    GaussianNoise,
    RandomDrop,
    RobustnessReport,
    evaluate_robustness,
    mean_fusion_weights,
    modality_importance,
    relative_robustness,
)

matplotlib.use("Agg")

ICL, OCL, H = 12, 4, 4
N = 160
START = 120  # position of the first prediction point: 37 windows of 4 steps
PL_KWARGS = {
    "accelerator": "cpu",
    "enable_progress_bar": False,
    "enable_model_summary": False,
    "logger": False,
}


@pytest.fixture(scope="module", autouse=True)
def _quiet():
    torch.set_num_threads(1)
    logging.disable(logging.CRITICAL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
    logging.disable(logging.NOTSET)


def _data(n: int = N):
    t = np.arange(n)
    times = pd.date_range("2020-01-01", periods=n, freq="D")
    rng = np.random.default_rng(0)
    c = np.stack([np.sin(t / 4.0), np.cos(t / 7.0), rng.normal(size=n) * 0.1], axis=1).astype(np.float32)
    y = (0.8 * np.roll(c[:, 0], 2) + 0.5 * c[:, 1] + 0.05 * rng.normal(size=n)).astype(np.float32)
    series = TimeSeries.from_times_and_values(times, y[:, None], columns=["y"])
    covs = TimeSeries.from_times_and_values(times, c, columns=["c0", "c1", "c2"])
    return series, covs


def _tide(work_dir, **kwargs) -> TiDEModel:
    return TiDEModel(
        input_chunk_length=ICL,
        output_chunk_length=OCL,
        hidden_size=8,
        n_epochs=1,
        random_state=0,
        work_dir=str(work_dir),
        pl_trainer_kwargs=PL_KWARGS,
        **kwargs,
    )


@pytest.fixture(scope="module")
def data():
    return _data()


@pytest.fixture(scope="module")
def tide(data, tmp_path_factory):
    series, covs = data
    model = _tide(tmp_path_factory.mktemp("tide"))
    model.fit(series[:100], past_covariates=covs[:100])
    return model


def _clean_metrics(model, series, covs, future=None):
    hf = model.historical_forecasts(
        series,
        past_covariates=covs,
        future_covariates=future,
        forecast_horizon=H,
        start=series.time_index[START],
        retrain=False,
        last_points_only=False,
        overlap_end=False,
        verbose=False,
        show_warnings=False,
    )
    actual = [series] * len(hf)
    return {"mse": float(np.mean(mse(actual, hf))), "mae": float(np.mean(mae(actual, hf)))}, len(hf)


# -----------------------------------------------------------------------------------------------------------------
# TiDE: the MultiBench sweep
# -----------------------------------------------------------------------------------------------------------------
def test_multibench_sweep_tide(tide, data):
    series, covs = data
    covs_before = covs.all_values(copy=True)
    report = evaluate_robustness(
        tide, series, past_covariates=covs, forecast_horizon=H, start=series.time_index[START], n_repeats=2
    )
    curves = report.curves
    assert list(curves.columns) == ["corruption", "modality", "level", "repeat", "metric", "value"]
    assert len(curves) == len(MULTIBENCH_LEVELS) * 2 * 2
    assert set(curves["corruption"]) == {"multibench"} and set(curves["modality"]) == {"all"}
    assert np.isfinite(curves["value"]).all()
    clean, n_windows = _clean_metrics(tide, series, covs)
    level0 = curves[curves["level"] == 0.0]
    for metric, value in clean.items():
        assert level0.loc[level0["metric"] == metric, "value"].tolist() == pytest.approx(
            [value, value], rel=1e-6
        )
    # corruption changes the forecasts, and repeats differ
    noisy = curves[(curves["level"] == 0.8) & (curves["metric"] == "mse")]["value"]
    assert not np.isclose(noisy, clean["mse"]).any() and noisy.nunique() == 2
    md = report.metadata
    assert md["model"] == "TiDEModel" and md["impute"] == "zero" and md["handles_missing_covariates"] is False
    assert md["start"] == series.time_index[START]
    assert (
        md["corruption_start"] == series.time_index[START - ICL]
    )  # the first evaluated window's first input
    assert md["forecast_horizon"] == H and md["n_windows"] == n_windows == N - START - H + 1
    assert md["modalities"] == {"all": {"past": ["c0", "c1", "c2"]}}
    np.testing.assert_array_equal(covs.all_values(copy=False), covs_before)  # inputs never mutated
    # reproducible with the same seed
    again = evaluate_robustness(
        tide, series, past_covariates=covs, forecast_horizon=H, start=series.time_index[START], n_repeats=2
    )
    pd.testing.assert_frame_equal(again.curves, curves)


def test_corruption_covers_exactly_the_evaluated_inputs(tide, data):
    """A recording corruption sees start = start - input_chunk_length and the resolved components."""
    series, covs = data
    calls = []

    class Recorder:
        name = "recorder"
        level = 0.5  # no `with_level`: evaluated once, at this level

        def apply(self, ts, rng, components=None, start=None):
            calls.append((components, start))
            out = RandomDrop(1.0, fill=np.nan).apply(ts, rng, components=components, start=start)
            values = out.values()
            hit = np.asarray(ts.time_index >= start)
            assert np.isnan(values[hit][:, [0, 2]]).all() and not np.isnan(values[~hit]).any()
            return out

    report = evaluate_robustness(
        tide,
        series,
        past_covariates=covs,
        corruption=Recorder(),
        modalities={"c0+c2": ["c0", "c2"]},
        forecast_horizon=H,
        start=START,
        metrics="mse",
        impute="zero",
    )
    assert calls == [(["c0", "c2"], series.time_index[START - ICL])]
    assert report.curves["level"].tolist() == [0.5] and report.curves["corruption"].tolist() == ["recorder"]


@pytest.mark.filterwarnings("ignore:Mean of empty slice:RuntimeWarning")
def test_missing_modality_sweep_with_imputation(tide, data):
    series, covs = data
    clean, _ = _clean_metrics(tide, series, covs)
    for impute in ("zero", "mean", "ffill"):
        report = evaluate_robustness(
            tide,
            series,
            past_covariates=covs,
            corruption="missing",
            modalities="each",
            forecast_horizon=H,
            start=START,
            impute=impute,
            n_repeats=2,
        )
        c = report.curves
        assert report.metadata["impute"] == impute
        assert list(dict.fromkeys(c["modality"])) == ["c0", "c1", "c2"]
        assert sorted(c["level"].unique()) == [0.0, 1.0]
        assert len(c) == 3 * 2 * 2 * 2  # modalities x levels x repeats x metrics
        assert np.isfinite(c["value"]).all()
        at0 = c[(c["level"] == 0.0) & (c["metric"] == "mse")]["value"]
        assert at0.tolist() == pytest.approx([clean["mse"]] * 6, rel=1e-6)
        removed = c[(c["level"] == 1.0) & (c["metric"] == "mse")]
        assert (removed.groupby("modality")["value"].nunique() == 1).all()  # deterministic: repeats equal


def test_r14_impute_none_on_a_model_that_cannot_take_nan_raises_instead_of_nan_scores(tide, data):
    # without imputation TiDE's forecasts are NaN (why the policy exists): an error naming the fix, not NaN scores
    series, covs = data
    for corruption, covariates in (("missing", covs),
                                   ("gaussian", covs.with_values(np.where(np.arange(N)[:, None] >= 140, np.nan,
                                                                          covs.values())))):
        with pytest.raises(ValueError, match=r"TiDEModel returned \d+ non-finite forecast values with "
                                             r"impute='none'.*Choose impute='ffill', 'mean' or 'zero'"):
            evaluate_robustness(tide, series, past_covariates=covariates, corruption=corruption,
                                levels=[0.0, 1.0] if corruption == "missing" else [0.0, 0.5],
                                forecast_horizon=H, start=START, impute="none")


@pytest.mark.filterwarnings("ignore:Mean of empty slice:RuntimeWarning")
def test_impute_default_follows_capability(tide, data, monkeypatch):
    series, covs = data
    kwargs = dict(
        past_covariates=covs, corruption="missing", forecast_horizon=H, start=START, metrics=["mse"]
    )
    assert evaluate_robustness(tide, series, **kwargs).metadata["impute"] == "zero"
    monkeypatch.setattr(tide, "handles_missing_covariates", True, raising=False)
    report = evaluate_robustness(tide, series, **{**kwargs, "corruption": "gaussian", "levels": [0.0, 0.5]})
    assert report.metadata["impute"] == "none" and report.metadata["handles_missing_covariates"] is True


def test_modalities_selection_and_model_modalities(tide, data, monkeypatch):
    series, covs = data
    common = dict(past_covariates=covs, forecast_horizon=H, start=START, metrics="mse", levels=(0.0, 0.5))
    r = evaluate_robustness(tide, series, modalities=["c1", "c2"], **common)
    assert list(dict.fromkeys(r.curves["modality"])) == ["c1", "c2"]
    r = evaluate_robustness(tide, series, modalities={"pair": ["c0", "c1"], "one": "c2"}, **common)
    assert r.metadata["modalities"] == {"pair": {"past": ["c0", "c1"]}, "one": {"past": ["c2"]}}
    # a model with `modalities_` (as ProgressiveFusionForecaster): "each" follows it and skips the target
    mods = {
        "target": SimpleNamespace(source="target", components=("y",)),
        "a": SimpleNamespace(source="past", components=("c0",)),
        "b": SimpleNamespace(source="past", components=("c1", "c2")),
    }
    monkeypatch.setattr(tide, "modalities_", mods, raising=False)
    r = evaluate_robustness(tide, series, modalities="each", **common)
    assert r.metadata["modalities"] == {"a": {"past": ["c0"]}, "b": {"past": ["c1", "c2"]}}
    r = evaluate_robustness(tide, series, modalities={"ab": ["a", "c2"]}, **common)  # modality + component
    assert r.metadata["modalities"] == {"ab": {"past": ["c0", "c2"]}}
    with pytest.raises(ValueError, match="'target'"):
        evaluate_robustness(tide, series, modalities="target", **common)
    r = evaluate_robustness(tide, series, modalities="each", corrupt_target=True, **common)
    assert list(r.metadata["modalities"]) == ["target", "a", "b"]
    assert np.isfinite(r.curves["value"]).all()


def test_corruption_objects_and_factories(tide, data):
    series, covs = data
    common = dict(past_covariates=covs, forecast_horizon=H, start=START, metrics="mse", levels=(0.0, 0.4))
    r = evaluate_robustness(tide, series, corruption=GaussianNoise(0.9), **common)  # swept with with_level
    assert r.curves["corruption"].unique().tolist() == ["gaussian"]
    assert r.curves["level"].tolist() == [0.0, 0.4]
    r_nan = evaluate_robustness(
        tide, series, corruption=lambda p: RandomDrop(p, fill=np.nan), impute="ffill", **common
    )
    assert np.isfinite(r_nan.curves["value"]).all()
    assert r_nan.curves["corruption"].unique().tolist() == [
        "random_drop"
    ]  # named after what the factory builds
    r_cls = evaluate_robustness(tide, series, corruption=RandomDrop, **common)  # a class is a factory
    assert r_cls.curves["corruption"].unique().tolist() == ["random_drop"]
    # fill=0 at the same seed equals the named corruption
    r_named = evaluate_robustness(tide, series, corruption="random_drop", **common)
    pd.testing.assert_frame_equal(r_cls.curves, r_named.curves)


def test_future_covariates_are_corrupted_too(data, tmp_path):
    series, covs = data
    model = _tide(tmp_path, use_static_covariates=False)
    model.fit(series[:100], future_covariates=covs[:104])
    report = evaluate_robustness(
        model,
        series,
        future_covariates=covs,
        forecast_horizon=H,
        start=START,
        levels=(0.0, 0.5),
        metrics="mse",
    )
    clean, _ = _clean_metrics(model, series, None, future=covs)
    assert report.curves["value"].iloc[0] == pytest.approx(clean["mse"], rel=1e-6)
    assert report.curves["value"].iloc[1] != pytest.approx(clean["mse"], rel=1e-6)
    assert report.metadata["modalities"] == {"all": {"future": ["c0", "c1", "c2"]}}


def test_modality_importance_tide(tide, data, monkeypatch):
    series, covs = data
    imp = modality_importance(tide, series, past_covariates=covs, forecast_horizon=H, start=START)
    assert isinstance(imp, pd.Series) and imp.name == "mse_increase"
    assert imp.index.tolist() == ["c0", "c1", "c2"] and np.isfinite(imp).all()
    report = evaluate_robustness(
        tide,
        series,
        past_covariates=covs,
        corruption="missing",
        modalities="each",
        forecast_horizon=H,
        start=START,
        metrics="mse",
    )
    wide = report.mean_curves("mse")
    assert imp.to_numpy() == pytest.approx((wide.loc[1.0] - wide.loc[0.0]).to_numpy())
    assert imp.attrs["fusion_weights"] is None and imp.attrs["impute"] == "zero"
    assert imp.attrs["clean"] == pytest.approx(_clean_metrics(tide, series, covs)[0]["mse"], rel=1e-6)
    # a gated-fusion model exposes fusion_weights: their mean over the evaluated windows is attached
    windows = series.time_index[ICL:]
    weights = pd.DataFrame({"target": 0.5, "c0": 0.25, "c1": 0.25}, index=windows)
    weights.loc[windows < series.time_index[START], :] = [1.0, 0.0, 0.0]  # outside the evaluation: ignored
    monkeypatch.setattr(tide, "fusion", "gated", raising=False)
    monkeypatch.setattr(
        tide, "fusion_weights", lambda s, past_covariates=None, future_covariates=None: weights, raising=False
    )
    imp = modality_importance(
        tide, series, past_covariates=covs, forecast_horizon=H, start=START, metric="mae"
    )
    assert imp.name == "mae_increase"
    assert imp.attrs["fusion_weights"] == pytest.approx({"target": 0.5, "c0": 0.25, "c1": 0.25})
    assert mean_fusion_weights(tide, series, past_covariates=covs).sum() == pytest.approx(1.0)
    monkeypatch.setattr(tide, "fusion", "concat", raising=False)
    assert mean_fusion_weights(tide, series, past_covariates=covs) is None


# -----------------------------------------------------------------------------------------------------------------
# bad inputs
# -----------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "error", "match"),
    [
        ({"modalities": "nope"}, ValueError, "'nope'"),
        ({"modalities": {"x": ["c0", "zz"]}}, ValueError, "'zz'"),
        ({"levels": (0.0, 1.5)}, ValueError, "1.5"),
        ({"levels": (-0.1,)}, ValueError, "-0.1"),
        ({"levels": ()}, ValueError, "empty"),
        ({"corruption": "missing", "levels": (0.0, 0.5)}, ValueError, "0.5"),
        ({"corruption": "blur"}, ValueError, "'blur'"),
        ({"corruption": 3}, TypeError, "3"),
        ({"start": 5}, ValueError, "before the first point"),
        ({"start": ICL - 1}, ValueError, "position 11"),
        ({"start": N - 2}, ValueError, "no complete window"),
        ({"start": pd.Timestamp("1999-01-01")}, ValueError, "1999"),
        ({"impute": "median"}, ValueError, "'median'"),
        ({"metrics": ("mse", "psnr")}, ValueError, "'psnr'"),
        ({"forecast_horizon": 0}, ValueError, "forecast_horizon"),
        ({"n_repeats": 0}, ValueError, "n_repeats"),
        ({"past_covariates": None}, ValueError, "Nothing to corrupt"),
        ({"historical_forecasts_kwargs": {"retrain": True}}, ValueError, "retrain"),
    ],
)
def test_bad_inputs(tide, data, overrides, error, match):
    series, covs = data
    kwargs = dict(past_covariates=covs, forecast_horizon=H, start=START, metrics="mse")
    kwargs.update(overrides)
    with pytest.raises(error, match=match):
        evaluate_robustness(tide, series, **kwargs)


def test_earliest_start_is_accepted(tide, data):
    series, covs = data
    r = evaluate_robustness(
        tide, series, past_covariates=covs, forecast_horizon=H, start=ICL, levels=(0.0, 0.2)
    )
    assert r.metadata["corruption_start"] == series.start_time()
    assert np.isfinite(r.curves["value"]).all()


def test_bad_models_and_series(data, tmp_path, tide):
    series, covs = data
    kwargs = dict(past_covariates=covs, forecast_horizon=H, start=START)
    with pytest.raises(TypeError, match="darts forecasting model"):
        evaluate_robustness(object(), series, **kwargs)
    with pytest.raises(ValueError, match="not fitted"):
        evaluate_robustness(_tide(tmp_path), series, **kwargs)
    with pytest.raises(TypeError, match="single darts TimeSeries"):
        evaluate_robustness(tide, [series, series], **kwargs)
    with pytest.raises(TypeError, match="past_covariates"):
        evaluate_robustness(tide, series, past_covariates=covs.values(), forecast_horizon=H, start=START)


# -----------------------------------------------------------------------------------------------------------------
# RobustnessReport
# -----------------------------------------------------------------------------------------------------------------
def _report(values, levels=(0.0, 0.5, 1.0), modality="all", corruption="gaussian", repeats=1):
    rows = [
        {
            "corruption": corruption,
            "modality": modality,
            "level": lvl,
            "repeat": r,
            "metric": "mse",
            "value": v + r,
        }
        for r in range(repeats)
        for lvl, v in zip(levels, values)
    ]
    return RobustnessReport(pd.DataFrame(rows), {"model": "Dummy", "impute": "zero"})


def test_report_summaries_match_free_functions():
    a = _report([1.0, 2.0, 4.0], repeats=3)  # repeat r adds r: mean over repeats adds 1
    rr = a.relative_robustness("mse")
    assert rr.loc[("gaussian", "all")] == pytest.approx(relative_robustness([0.0, 0.5, 1.0], [2.0, 3.0, 5.0]))
    ref = _report([2.0, 2.5, 3.0])
    # f = [2, 3, 5], g = [2, 2.5, 3]: f - (g + 0) = [0, 0.5, 2]
    assert a.effective_robustness(ref, "mse").loc[("gaussian", "all")] == pytest.approx(2.5)
    other = _report([2.0, 2.5, 3.0], modality="x")
    with pytest.raises(ValueError, match="No"):
        a.effective_robustness(other, "mse")
    with pytest.raises(ValueError, match="levels"):
        a.effective_robustness(_report([1.0, 2.0], levels=(0.0, 0.5)), "mse")
    with pytest.raises(ValueError, match="'mae'"):
        a.relative_robustness("mae")
    s = a.summary("mse")
    assert s["count"].tolist() == [3, 3, 3] and s["mean"].tolist() == [2.0, 3.0, 5.0]
    frame = a.to_frame()
    assert frame.attrs["metadata"] == {"model": "Dummy", "impute": "zero"}
    frame.loc[0, "value"] = -1.0
    assert a.curves.loc[0, "value"] == 1.0  # a copy
    assert "Dummy" in repr(a)
    with pytest.raises(ValueError, match="value"):
        RobustnessReport(pd.DataFrame({"corruption": ["g"]}))


def test_report_plot_returns_axes(tide, data):
    import matplotlib.pyplot as plt

    series, covs = data
    report = evaluate_robustness(
        tide,
        series,
        past_covariates=covs,
        modalities="each",
        levels=(0.0, 0.4, 0.8),
        forecast_horizon=H,
        start=START,
        n_repeats=2,
    )
    ax = report.plot("mae")
    assert ax.get_ylabel() == "mae" and len(ax.get_lines()) == 3
    assert len(ax.collections) == 3  # the spread over repeats
    fig, given_ax = plt.subplots()
    assert report.plot("mse", ax=given_ax, spread="std") is given_ax
    plt.close("all")
    with pytest.raises(ValueError, match="'box'"):
        report.plot("mse", spread="box")


# -----------------------------------------------------------------------------------------------------------------
# our model
# -----------------------------------------------------------------------------------------------------------------
def _pf_model(work_dir, **kwargs):
    return ProgressiveFusionForecaster(
        input_chunk_length=ICL,
        output_chunk_length=OCL,
        hidden_size=8,
        n_epochs=1,
        modalities={"a": ["c0"], "b": ["c1", "c2"]},
        random_state=0,
        work_dir=str(work_dir),
        pl_trainer_kwargs=PL_KWARGS,
        **kwargs,
    )


def test_progressive_fusion_robustness(data, tmp_path):
    series, covs = data
    model = _pf_model(tmp_path)
    model.fit(series[:100], past_covariates=covs[:100])
    assert getattr(model, "handles_missing_covariates", False) is True
    sweep = evaluate_robustness(model, series, past_covariates=covs, forecast_horizon=H, start=START)
    assert np.isfinite(sweep.curves["value"]).all()
    clean, _ = _clean_metrics(model, series, covs)
    assert sweep.curves.query("level == 0.0 and metric == 'mse'")["value"].iloc[0] == pytest.approx(
        clean["mse"], rel=1e-5
    )
    each = evaluate_robustness(
        model,
        series,
        past_covariates=covs,
        modalities="each",
        forecast_horizon=H,
        start=START,
        levels=(0.0, 0.5),
    )
    assert list(dict.fromkeys(each.curves["modality"])) == ["a", "b"]
    assert np.isfinite(each.curves["value"]).all()
    # missing modalities with NO imputation: the NaN inputs reach the model, which must still forecast
    missing = evaluate_robustness(
        model,
        series,
        past_covariates=covs,
        corruption="missing",
        modalities="each",
        forecast_horizon=H,
        start=START,
    )
    assert missing.metadata["impute"] == "none"
    assert np.isfinite(missing.curves["value"]).all()
    all_missing = evaluate_robustness(
        model, series, past_covariates=covs, corruption="missing", forecast_horizon=H, start=START
    )
    assert np.isfinite(all_missing.curves["value"]).all()
    nan_drops = evaluate_robustness(
        model,
        series,
        past_covariates=covs,
        corruption=lambda p: RandomDrop(p, fill=np.nan),
        forecast_horizon=H,
        start=START,
        levels=(0.0, 0.5, 1.0),
    )
    assert np.isfinite(nan_drops.curves["value"]).all()
    imp = modality_importance(model, series, past_covariates=covs, forecast_horizon=H, start=START)
    assert imp.index.tolist() == ["a", "b"] and np.isfinite(imp).all()


def test_progressive_fusion_gated_fusion_weights(data, tmp_path):
    series, covs = data
    model = _pf_model(tmp_path, fusion="gated")
    model.fit(series[:100], past_covariates=covs[:100])
    imp = modality_importance(model, series, past_covariates=covs, forecast_horizon=H, start=START)
    weights = imp.attrs["fusion_weights"]
    assert weights is not None and {"a", "b"} <= set(weights)
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-4)
