"""Regressions for input-validation defects (reproducers r02, r03, r06, r09, r11, r16).

Each test is named after its reproducer. Errors must name the argument, the value and a fix, come before any
training, and leave the inputs unchanged; accepted inputs must give finite forecasts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import TINY_PF, TRAINER_KWARGS, make_series
from darts import TimeSeries

from pf_forecast import ProgressiveFusionForecaster
from pf_forecast.modalities import resolve_modalities, stack_modalities

IN, OUT = 12, 4


def _new(tmp_path, **overrides) -> ProgressiveFusionForecaster:
    kwargs = {**TINY_PF, "n_epochs": 1, "work_dir": str(tmp_path), "pl_trainer_kwargs": dict(TRAINER_KWARGS)}
    return ProgressiveFusionForecaster(IN, OUT, **{**kwargs, **overrides})


def _set(ts: TimeSeries, index, value) -> TimeSeries:
    values = ts.values().copy()
    values[index] = value
    return ts.with_values(values)


def _refused(model, *args, match: str, **kwargs) -> str:
    """``model.fit`` raises ValueError matching ``match`` and trains nothing."""
    with pytest.raises(ValueError, match=match) as err:
        model.fit(*args, **kwargs)
    assert not model._fit_called and model.model is None, "the model trained before refusing the input"
    return str(err.value)


@pytest.fixture(scope="module")
def data():
    return make_series()  # integer index, 160 steps, covariates c0, c1, c2


@pytest.fixture(scope="module")
def fitted(data, tmp_path_factory):
    y, x = data
    return _new(tmp_path_factory.mktemp("fitted")).fit(y, past_covariates=x)


# ---------------------------------------------------------------------------------------------- r02 static covariates
@pytest.mark.parametrize("value, shown", [(np.inf, "inf"), (-np.inf, "-inf"), (np.nan, "nan"), (1e30, "1e\\+30")])
def test_r02_bad_static_covariate_refused_before_training(tmp_path, data, value, shown):
    y, x = data
    ys = y.with_static_covariates(pd.DataFrame({"site": [0.5], "s": [value]}))
    before = ys.static_covariates.copy()
    message = _refused(
        _new(tmp_path), ys, past_covariates=x,
        match=rf"`series\[0\]\.static_covariates` column 's' has the value {shown}",
    )
    assert "use_static_covariates=False" in message and "StaticCovariatesTransformer" in message
    assert ys.static_covariates.equals(before)


def test_r02_bad_static_covariate_refused_at_predict_and_in_val_series(tmp_path, data):
    y, x = data
    model = _new(tmp_path).fit(y.with_static_covariates(pd.DataFrame({"s": [0.5]})), past_covariates=x)
    assert model.uses_static_covariates
    with pytest.raises(ValueError, match=r"`series\[0\]\.static_covariates` column 's' has the value 1e\+30"):
        model.predict(OUT, series=y.with_static_covariates(pd.DataFrame({"s": [1e30]})), past_covariates=x)
    bad_val = y[100:].with_static_covariates(pd.DataFrame({"s": [np.inf]}))
    _refused(
        _new(tmp_path), y[:120].with_static_covariates(pd.DataFrame({"s": [0.5]})), past_covariates=x,
        val_series=bad_val, val_past_covariates=x,
        match=r"`val_series\[0\]\.static_covariates` column 's' has the value inf",
    )
    # ignored static covariates are not read, so they are not checked
    off = _new(tmp_path, use_static_covariates=False)
    forecast = off.fit(y.with_static_covariates(pd.DataFrame({"s": [np.inf]})), past_covariates=x).predict(OUT)
    assert np.isfinite(forecast.values()).all()


# ---------------------------------------------------------------------------------------------- r03 sample_weight
@pytest.mark.parametrize(
    "weights, match",
    [
        (np.where(np.arange(160) % 7 == 0, np.nan, 1.0), r"`sample_weight`\[0\] has 23 NaN or infinite values "
                                                         r"\(the first at 0: nan\).*fill_missing_values"),
        (np.where(np.arange(160) == 150, np.inf, 1.0), r"`sample_weight`\[0\] has 1 NaN or infinite values "
                                                       r"\(the first at 150: inf\)"),
        (np.full(160, -1.0), r"`sample_weight`\[0\] has 160 negative values \(the first at 0: -1\).*np\.clip"),
    ],
    ids=["nan", "inf", "negative"],
)
def test_r03_bad_sample_weight_refused_before_training(tmp_path, data, weights, match):
    y, x = data
    sw = TimeSeries.from_values(weights[:, None].astype(np.float32))
    before = sw.values().copy()
    _refused(_new(tmp_path), y, past_covariates=x, sample_weight=sw, match=match)
    _refused(_new(tmp_path), [y], past_covariates=[x], sample_weight=[sw], match=match)
    np.testing.assert_array_equal(sw.values(), before)


def test_r03_bad_val_sample_weight_refused(tmp_path, data):
    y, x = data
    sw = TimeSeries.from_values(np.where(np.arange(160) == 140, np.nan, 1.0)[:, None].astype(np.float32))
    _refused(
        _new(tmp_path), y[:120], past_covariates=x, val_series=y[100:], val_past_covariates=x,
        val_sample_weight=sw, match=r"`val_sample_weight`\[0\] has 1 NaN or infinite values \(the first at 140",
    )


def test_r03_valid_sample_weights_still_train(tmp_path, data):
    y, x = data
    # zeros are valid (a step left out of the loss); NaN outside the target's span is never read
    w = np.ones(200)
    w[:10] = 0.0
    w[170:] = np.nan
    sw = TimeSeries.from_values(w[:, None].astype(np.float32))
    for weight in (sw, "linear", "exponential"):
        forecast = _new(tmp_path).fit(y, past_covariates=x, sample_weight=weight).predict(OUT)
        assert np.isfinite(forecast.values()).all()
    # inside the target's span a negative weight is still refused
    _refused(_new(tmp_path), y, past_covariates=x, sample_weight=_set(sw, 20, -0.5),
             match=r"1 negative values \(the first at 20: -0\.5\)")


# ---------------------------------------------------------------------------------------------- r06 val_* arguments
def test_r06_nan_in_val_series_names_val_series(tmp_path, data):
    y, x = data
    message = _refused(
        _new(tmp_path), y[:120], past_covariates=x, val_series=_set(y[100:], 10, np.nan), val_past_covariates=x,
        match=r"^`val_series\[0\]` \(the target\) has 1 NaN or infinite values .*the first at 110",
    )
    assert "`series" not in message


def test_r06_huge_val_covariates_name_val_past_covariates(tmp_path, data):
    y, x = data
    message = _refused(
        _new(tmp_path), y[:120], past_covariates=x, val_series=y[100:], val_past_covariates=_set(x, (130, 0), 1e30),
        match=r"^`val_past_covariates`\[0\] has finite values of magnitude up to 1e\+30",
    )
    assert "`past_covariates`" not in message


def test_r06_short_val_covariates_name_val_arguments(tmp_path, data):
    y, x = data
    message = _refused(
        _new(tmp_path), y[:120], past_covariates=x, val_series=y[100:], val_past_covariates=x[:130],
        match=r"^`val_past_covariates`\[0\] cover 0 \.\. 129, but validation on `val_series`\[0\] needs them",
    )
    assert "training" not in message and "`val_series.slice_intersect(val_past_covariates)`" in message
    _refused(
        _new(tmp_path), y[:120], future_covariates=x, val_series=y[100:150], val_future_covariates=x[:140],
        match=r"^`val_future_covariates`\[0\] cover 0 \.\. 139, but validation on `val_series`\[0\] needs them "
              r"from 100 to 149 .* \+ the output window",
    )


def test_r06_val_series_too_short_and_wrong_components(tmp_path, data):
    y, x = data
    _refused(_new(tmp_path), y[:120], past_covariates=x, val_series=y[150:], val_past_covariates=x,
             match=r"^`val_series`\[0\] has 10 time steps, .* one validation window")
    _refused(_new(tmp_path), y[:120], past_covariates=x, val_series=y[100:], val_past_covariates=x[["c1", "c0", "c2"]],
             match=r"^`val_past_covariates` passed to fit have components \['c1', 'c0', 'c2'\]")


def test_r06_refused_validation_set_leaves_the_model_unfitted(tmp_path, data):
    y, x = data
    model = _new(tmp_path)
    _refused(model, y[:120], past_covariates=x, val_series=y[100:], val_past_covariates=x[:130],
             match="val_past_covariates")
    # nothing was trained: the model may be fitted on other covariates afterwards
    forecast = model.fit(y, past_covariates=x[["c0", "c1"]]).predict(OUT)
    assert list(model.modalities_) == ["target", "c0", "c1"] and np.isfinite(forecast.values()).all()


# ---------------------------------------------------------------------------------------------- r09 only what is read
def test_r09_historical_forecasts_ignore_nan_before_the_first_window(fitted, data):
    y, x = data
    kwargs = dict(past_covariates=x, start=100, forecast_horizon=OUT, stride=10, retrain=False,
                  last_points_only=False)
    clean = fitted.historical_forecasts(y, **kwargs)
    y_nan = _set(y, 50, np.nan)  # the first input window is 88 .. 99
    got = fitted.historical_forecasts(y_nan, **kwargs)
    assert len(got) == len(clean) == 6
    for a, b in zip(got, clean):
        np.testing.assert_allclose(a.values(), b.values(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.isnan(y_nan.values()).sum(), 1)  # not mutated
    with pytest.raises(ValueError, match=r"`series\[0\]` \(the target\) has 1 NaN or infinite values in the part "
                                         r"historical_forecasts reads \(88 \.\. 149; the first at 88\)"):
        fitted.historical_forecasts(_set(y, 88, np.nan), **kwargs)
    # a 1e30 covariate before the first window is not read either
    assert len(fitted.historical_forecasts(y, **{**kwargs, "past_covariates": _set(x, (5, 0), 1e30)})) == 6


def test_r09_historical_forecasts_start_as_fraction_and_timestamp(tmp_path):
    y, x = make_series(freq="h")
    model = _new(tmp_path).fit(y, past_covariates=x)
    kwargs = dict(past_covariates=x, forecast_horizon=OUT, stride=10, retrain=False)
    # start=0.5: darts starts at step 79, the input window 67 .. 78; a Timestamp start at step 100: 88 .. 99
    for start, first in ((0.5, 67), (y.time_index[100], 88), (100, 88)):
        fmt = {"start_format": "position"} if isinstance(start, int) else {}
        assert len(model.historical_forecasts(_set(y, first - 1, np.nan), start=start, **fmt, **kwargs)) > 0
        with pytest.raises(ValueError, match=rf"historical_forecasts reads \({y.time_index[first]} \.\. "):
            model.historical_forecasts(_set(y, first, np.nan), start=start, **fmt, **kwargs)


def test_r09_predict_ignores_values_outside_the_window_read(fitted, data):
    y, x = data
    clean = fitted.predict(OUT, series=y, past_covariates=x).values()
    huge_early = _set(x, (5, 0), 1e30)  # predict reads steps 148 .. 159
    np.testing.assert_allclose(fitted.predict(OUT, series=y, past_covariates=huge_early).values(), clean, rtol=1e-5)
    with pytest.raises(ValueError, match=r"`past_covariates`\[0\] has finite values of magnitude up to 1e\+30, beyond "
                                         r"1e\+15 \(the first at 150, in the part predict reads: 148 \.\. 159\)"):
        fitted.predict(OUT, series=y, past_covariates=_set(x, (150, 0), 1e30))
    with pytest.raises(ValueError, match=r"in the part predict reads \(148 \.\. 159; the first at 148\)"):
        fitted.predict(OUT, series=_set(y, 148, np.nan), past_covariates=x)


# ---------------------------------------------------------------------------------------------- r11 stack_modalities
def test_r11_stack_modalities_mapping_matches_components_on_collision(tmp_path):
    t = np.arange(20, dtype=np.float32)
    w = TimeSeries.from_values(np.stack([t, t + 100], 1), columns=["a", "w:a"])
    v = TimeSeries.from_values((t + 200)[:, None], columns=["a"])
    covs, mods = stack_modalities({"w": w, "v": v})
    assert [c for comps in mods.values() for c in comps] == list(covs.components)
    assert len(set(covs.components)) == 3 and mods["w"][1] == "w:a"  # an untouched name stays as it is
    np.testing.assert_array_equal(covs[mods["w"][0]].values()[:, 0], t)  # w's "a", renamed
    np.testing.assert_array_equal(covs[mods["v"][0]].values()[:, 0], t + 200)
    assert list(resolve_modalities(mods, ["y"], list(covs.components), None)) == ["target", "w", "v"]
    assert _new(tmp_path, modalities=mods).modalities == mods


# ---------------------------------------------------------------------------------------------- r16 past and future
def test_r16_same_series_as_past_and_future_covariates(tmp_path, data):
    y, x = data
    cov = x[["c0", "c1"]]
    model = _new(tmp_path).fit(y[:140], past_covariates=cov, future_covariates=cov)
    mods = model.modalities_
    assert list(mods) == ["target", "past:c0", "past:c1", "future:c0", "future:c1"]
    assert (mods["past:c1"].source, mods["past:c1"].components, mods["past:c1"].indices) == ("past", ("c1",), (1,))
    assert (mods["future:c0"].source, mods["future:c0"].components) == ("future", ("c0",))
    forecast = model.predict(OUT)
    assert np.isfinite(forecast.values()).all()
    path = str(tmp_path / "pf.pt")
    model.save(path)
    loaded = ProgressiveFusionForecaster.load(path)
    assert list(loaded.modalities_) == list(mods)
    np.testing.assert_allclose(loaded.predict(OUT).values(), forecast.values(), rtol=1e-5)


def test_r16_only_colliding_names_get_their_source():
    mods = resolve_modalities(None, ["y"], ["c0", "p"], ["c0", "f"])
    assert list(mods) == ["target", "past:c0", "p", "future:c0", "f"]
    # generated names never replace another modality, "target" included
    mods = resolve_modalities(None, ["y"], ["c0", "past:c0", "target"], ["c0"])
    assert list(mods) == ["target", "past:c0_1", "past:c0", "past:target", "future:c0"]
    assert mods["target"].source == "target" and mods["past:c0_1"].components == ("c0",)
    assert mods["past:c0"].components == ("past:c0",)


def test_r16_explicit_modalities_must_say_which_stream(tmp_path, data):
    with pytest.raises(ValueError, match=r"`modalities\['w'\]` names component 'c0', which is in both "
                                         r"`past_covariates` and `future_covariates`\. Say which one with 'past:c0' "
                                         r"or 'future:c0'"):
        resolve_modalities({"w": ["c0"], "f": ["c1"]}, ["y"], ["c0"], ["c0", "c1"])
    mods = resolve_modalities({"w": ["past:c0"], "f": ["future:c0", "c1"]}, ["y"], ["c0"], ["c0", "c1"])
    assert (mods["w"].source, mods["w"].components) == ("past", ("c0",))
    assert (mods["f"].source, mods["f"].components, mods["f"].indices) == ("future", ("c0", "c1"), (0, 1))
    with pytest.raises(ValueError, match=r"Future-covariate components \['future:c0'\] belong to no modality"):
        resolve_modalities({"w": ["past:c0"], "f": ["c1"]}, ["y"], ["c0"], ["c0", "c1"])
    # and through the model, before training
    y, x = data
    _refused(_new(tmp_path, modalities={"w": ["c0"]}), y[:140], past_covariates=x["c0"], future_covariates=x["c0"],
             match=r"Say which one with 'past:c0' or 'future:c0'")
