"""Caller mistakes get a clear error naming the argument, the value and the fix, before any training work."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_series

from pf_forecast import ProgressiveFusionForecaster

IN, OUT = 24, 6


@pytest.mark.parametrize(
    "overrides, match",
    [
        ({"n_refinements": 0}, r"`n_refinements` must be an integer >= 1, got 0"),
        ({"context_size": 0}, r"`context_size` must be an integer >= 1, got 0"),
        ({"modality_dropout": 1.0}, r"`modality_dropout` must be in \[0, 1\), got 1.0"),
        ({"modality_dropout": -0.1}, r"`modality_dropout` must be in \[0, 1\), got -0.1"),
        ({"fusion": "attention"}, r"`fusion` must be one of \('concat', 'gated'\), got 'attention'"),
        ({"context_injection": "mul"}, r"`context_injection` must be one of"),
        ({"hidden_size": 2.5}, r"`hidden_size` must be an integer >= 1, got 2.5"),
        ({"dropout": 1.5}, r"`dropout` must be in \[0, 1\), got 1.5"),
        ({"output_chunk_shift": -1}, r"`output_chunk_shift` must be an integer >= 0"),
        ({"modalities": {"target": ["c0"]}}, r"may not define a modality named 'target'"),
        ({"modalities": {"w": []}}, r"`modalities\['w'\]` is empty"),
    ],
)
def test_bad_hyper_parameters(tiny_kwargs, overrides, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ProgressiveFusionForecaster(IN, OUT, **{**tiny_kwargs, **overrides})


@pytest.mark.parametrize(
    "modalities, match",
    [
        ({"w": ["c0", "nope"], "v": ["c1", "c2"]}, r"names components \['nope'\] that are not in the covariates"),
        ({"w": ["c0", "c1"], "v": ["c1", "c2"]}, r"'c1' is in two modalities"),
    ],
)
def test_bad_modalities_at_fit_raise_before_training(tiny_kwargs, modalities, match):
    y, x = make_series()
    m = ProgressiveFusionForecaster(IN, OUT, modalities=modalities, **tiny_kwargs)
    with pytest.raises(ValueError, match=match):
        m.fit(y, past_covariates=x)
    assert not m.model_created  # nothing was built or trained


def test_predict_with_other_components(tiny_kwargs):
    y, x = make_series()
    m = ProgressiveFusionForecaster(IN, OUT, modalities={"w": ["c0"], "v": ["c1", "c2"]}, **tiny_kwargs)
    m.fit(y, past_covariates=x)
    renamed = x.with_columns_renamed(["c2"], ["c9"])
    with pytest.raises(ValueError, match=r"`past_covariates` passed to predict have components \['c0', 'c1', 'c9'\]"):
        m.predict(OUT, past_covariates=renamed)
    with pytest.raises(ValueError, match="same order"):
        m.predict(OUT, past_covariates=x[["c1", "c0", "c2"]])


def test_series_too_short(tiny_kwargs):
    y, x = make_series(n=IN + OUT - 1)
    m = ProgressiveFusionForecaster(IN, OUT, **tiny_kwargs)
    with pytest.raises(ValueError, match=r"`series`\[0\] has 29 time steps, fewer than .* = 30"):
        m.fit(y, past_covariates=x)
    assert not m.model_created


def test_non_numeric_covariates(tiny_kwargs):
    y, _ = make_series()
    frame = pd.DataFrame({"weather": ["sunny"] * len(y)})
    m = ProgressiveFusionForecaster(IN, OUT, **tiny_kwargs)
    with pytest.raises(TypeError, match=r"`past_covariates` must be a darts TimeSeries .* got DataFrame"):
        m.fit(y, past_covariates=frame)


def test_predict_before_fit(tiny_kwargs):
    m = ProgressiveFusionForecaster(IN, OUT, **tiny_kwargs)
    with pytest.raises(ValueError, match=r"not fitted: call `fit"):
        m.predict(OUT)
    with pytest.raises(AttributeError, match="set by `fit"):
        _ = m.modalities_


def test_nan_target_at_fit_is_a_clear_error(tiny_kwargs):
    y, x = make_series()
    values = y.values().copy()
    values[50] = np.nan
    y_nan = y.with_values(values)
    m = ProgressiveFusionForecaster(IN, OUT, **tiny_kwargs)
    with pytest.raises(ValueError, match=r"`series\[0\]` \(the target\) has 1 NaN .*fill_missing_values"):
        m.fit(y_nan, past_covariates=x)
    assert not m.model_created
    assert np.isnan(y_nan.values()[50])  # the caller's series is untouched


def test_nan_covariates_train_to_finite_weights(tiny_kwargs):
    """darts' own torch models turn one NaN covariate into NaN weights; ours masks it."""
    y, x = make_series()
    values = x.values().copy()
    values[10:40, 1] = np.nan
    values[70, :] = np.inf
    m = ProgressiveFusionForecaster(IN, OUT, **tiny_kwargs).fit(y, past_covariates=x.with_values(values))
    assert all(np.isfinite(p.detach().numpy()).all() for p in m.model.parameters())
    assert np.isfinite(m.predict(OUT).values()).all()


def test_huge_covariates_are_refused(tiny_kwargs):
    y, x = make_series()
    values = x.values().copy()
    values[5, 0] = 1e30
    m = ProgressiveFusionForecaster(IN, OUT, **tiny_kwargs)
    with pytest.raises(ValueError, match=r"`past_covariates`\[0\] has finite values of magnitude up to 1e\+30"):
        m.fit(y, past_covariates=x.with_values(values))


def test_every_module_hyper_parameter_is_a_documented_model_argument():
    import inspect

    from pf_forecast.model import MODULE_HYPER_PARAMETERS

    arguments = inspect.signature(ProgressiveFusionForecaster.__init__).parameters
    for name in MODULE_HYPER_PARAMETERS:
        assert name in arguments and f"\n    {name}\n" in ProgressiveFusionForecaster.__doc__, name


@pytest.mark.parametrize(
    "value, match",
    [
        (True, r"`modality_dropout` must be in \[0, 1\), got True: it is the probability"),
        ("0.1", r"`modality_dropout` must be in \[0, 1\), got '0\.1'"),
        (float("nan"), r"`modality_dropout` must be in \[0, 1\), got nan"),
    ],
)
def test_probabilities_must_be_numbers(tiny_kwargs, value, match):
    with pytest.raises(ValueError, match=match):
        ProgressiveFusionForecaster(IN, OUT, modality_dropout=value, **tiny_kwargs)


def test_scalar_checkers_name_the_argument_the_value_and_the_range():
    from pf_forecast._checks import check_float, check_int

    assert check_int("k", np.int64(3), low=1) == 3
    assert check_float("p", np.float32(0.5), 0.0, 1.0, high_open=True) == 0.5
    with pytest.raises(ValueError, match=r"^`k` must be an integer in \[1, 5\], got 7\.$"):
        check_int("k", 7, low=1, high=5)
    with pytest.raises(ValueError, match=r"^`k` must be an integer >= 1, got True\.$"):
        check_int("k", True, low=1)
    with pytest.raises(ValueError, match=r"^`x` must be a number > 0, got -1\.$"):
        check_float("x", -1, low=0.0, low_open=True)
