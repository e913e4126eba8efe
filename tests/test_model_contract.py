"""darts' generic contract for torch models, mirrored for ProgressiveFusionForecaster.

Patterns from darts' test_global_forecasting_models.py, test_torch_forecasting_model.py and
test_probabilistic_models.py (see shared/reference/darts-0.48-model-contract.md, section 2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import make_series
from darts import TimeSeries, concatenate
from darts.metrics import mae
from darts.models import TiDEModel
from darts.utils.likelihood_models.torch import GaussianLikelihood, QuantileRegression

from pf_forecast import ProgressiveFusionForecaster

IN, OUT = 24, 6


def model(tiny_kwargs, **overrides):
    return ProgressiveFusionForecaster(IN, OUT, **{**tiny_kwargs, **overrides})


@pytest.fixture(scope="module")
def data():
    return make_series(n=160, n_covariates=3)


def test_model_params_round_trip(tiny_kwargs):
    m = model(tiny_kwargs, modalities={"a": ["c0"], "b": ["c1", "c2"]}, n_refinements=3, fusion="gated")
    clone = m.untrained_model()
    assert dict(clone.model_params) == dict(m.model_params)
    assert clone.n_refinements == 3 and clone.fusion == "gated"


def test_unknown_kwarg_rejected(tiny_kwargs):
    with pytest.raises(ValueError, match="n_refine"):
        model(tiny_kwargs, n_refine=2)


def test_single_series_past_covariates(tiny_kwargs, data):
    y, x = data
    y_before, x_before = y.values().copy(), x.values().copy()
    m = model(tiny_kwargs).fit(y, past_covariates=x)
    pred = m.predict(OUT)
    assert len(pred) == OUT and pred.start_time() == y.end_time() + y.freq
    assert np.isfinite(pred.values()).all()
    # the user's series are not mutated
    np.testing.assert_array_equal(y.values(), y_before)
    np.testing.assert_array_equal(x.values(), x_before)
    assert list(m.modalities_) == ["target", "c0", "c1", "c2"]


def test_model_learns_something(tiny_kwargs, data):
    """Trained a little longer, the model beats predicting the training mean (a sanity check, not a benchmark)."""
    y, x = data
    train, test = y[:-OUT], y[-OUT:]
    m = model(tiny_kwargs, n_epochs=15).fit(train, past_covariates=x)
    err = mae(test, m.predict(OUT, past_covariates=x))
    mean_err = float(np.abs(test.values() - train.values().mean()).mean())
    assert err < mean_err


def test_multiple_series(tiny_kwargs):
    y1, x1 = make_series(160, seed=1)
    y2, x2 = make_series(120, seed=2)
    m = model(tiny_kwargs).fit([y1, y2], past_covariates=[x1, x2])
    with pytest.raises(ValueError):
        m.predict(OUT)  # several training series: darts requires `series=`
    preds = m.predict(OUT, series=[y1, y2], past_covariates=[x1, x2])
    assert isinstance(preds, list) and len(preds) == 2
    assert all(np.isfinite(p.values()).all() for p in preds)


def test_future_covariates_and_mixed(tiny_kwargs):
    y, x = make_series(170, n_covariates=3)
    past, future = x[["c0", "c1"]], x[["c2"]]
    m = model(tiny_kwargs, modalities={"p": ["c0", "c1"], "f": ["c2"]})
    m.fit(y[:-OUT], past_covariates=past, future_covariates=future)
    assert m.modalities_["f"].source == "future"
    pred = m.predict(OUT)
    assert np.isfinite(pred.values()).all()
    # future covariates alone
    m2 = model(tiny_kwargs).fit(y[:-OUT], future_covariates=future)
    assert np.isfinite(m2.predict(OUT).values()).all()


def test_covariates_required_at_predict(tiny_kwargs):
    y1, x1 = make_series(160, seed=1)
    y2, x2 = make_series(160, seed=2)
    m = model(tiny_kwargs).fit([y1, y2], past_covariates=[x1, x2])
    with pytest.raises(ValueError, match="past_covariates"):
        m.predict(OUT, series=y1)  # trained with past covariates, none given for a new series
    with pytest.raises(ValueError, match="extend far enough"):
        m.predict(OUT, series=y1, past_covariates=x1[:-30])  # too short


def test_implicit_and_explicit_inputs_agree(tiny_kwargs, data):
    y, x = data
    m = model(tiny_kwargs).fit(y, past_covariates=x)
    p1 = m.predict(OUT)
    p2 = m.predict(OUT, series=y)
    p3 = m.predict(OUT, past_covariates=x)
    p4 = m.predict(OUT, series=y, past_covariates=x)
    for p in (p2, p3, p4):
        np.testing.assert_allclose(p.values(), p1.values(), rtol=1e-6)


def test_static_covariates(tiny_kwargs):
    y1, x1 = make_series(160, seed=1)
    y2, x2 = make_series(160, seed=2)
    y1 = y1.with_static_covariates(pd.DataFrame({"site": [0.0]}))
    y2 = y2.with_static_covariates(pd.DataFrame({"site": [1.0]}))
    m = model(tiny_kwargs).fit([y1, y2], past_covariates=[x1, x2])
    assert m.uses_static_covariates
    pred = m.predict(OUT, series=y1, past_covariates=x1)
    assert pred.static_covariates is not None and pred.static_covariates.equals(y1.static_covariates)
    # static covariates change the forecast
    other = m.predict(OUT, series=y1.with_static_covariates(pd.DataFrame({"site": [1.0]})), past_covariates=x1)
    assert not np.allclose(pred.values(), other.values())
    # and can be switched off
    m_off = model(tiny_kwargs, use_static_covariates=False).fit([y1, y2], past_covariates=[x1, x2])
    assert not m_off.uses_static_covariates


def test_predict_beyond_output_chunk(tiny_kwargs):
    y, x = make_series(180)
    m = model(tiny_kwargs).fit(y[:150], past_covariates=x[:150])
    pred = m.predict(20, series=y[:150], past_covariates=x[:150 + 20 - OUT])
    assert len(pred) == 20 and np.isfinite(pred.values()).all()


def test_multivariate_target(tiny_kwargs, data):
    y, x = data
    y2 = concatenate([y, y * 2.0], axis=1).with_columns_renamed(["y", "y_1"], ["y1", "y2"])
    m = model(tiny_kwargs).fit(y2, past_covariates=x)
    assert m.predict(OUT).values().shape == (OUT, 2)


def test_quantile_regression_samples_and_parameters(tiny_kwargs, data):
    y, x = data
    m = model(tiny_kwargs, likelihood=QuantileRegression([0.1, 0.5, 0.9])).fit(y, past_covariates=x)
    samples = m.predict(OUT, num_samples=50)
    assert samples.n_samples == 50 and np.isfinite(samples.all_values()).all()
    params = m.predict(OUT, predict_likelihood_parameters=True)
    assert params.components.tolist() == ["y_q0.100", "y_q0.500", "y_q0.900"]


def test_quantiles_never_cross_even_from_a_random_start(tiny_kwargs, data):
    # an untrained head puts its quantile outputs in random order; the model sorts them
    y, x = data
    levels = [round(0.1 * i, 1) for i in range(1, 10)]
    m = model(tiny_kwargs, likelihood=QuantileRegression(levels), n_epochs=1, optimizer_kwargs={"lr": 1e-9})
    m.fit(y, past_covariates=x)
    params = m.predict(OUT, predict_likelihood_parameters=True).values()  # (OUT, 9)
    assert params.shape == (OUT, 9) and np.all(np.diff(params, axis=1) >= 0)


def test_gaussian_likelihood(tiny_kwargs, data):
    y, x = data
    m = model(tiny_kwargs, likelihood=GaussianLikelihood()).fit(y, past_covariates=x)
    assert m.predict(OUT, num_samples=20).n_samples == 20


def test_mc_dropout_sampling(tiny_kwargs, data):
    y, x = data
    m = model(tiny_kwargs, dropout=0.3).fit(y, past_covariates=x)
    assert m.supports_probabilistic_prediction
    samples = m.predict(OUT, num_samples=20, mc_dropout=True).all_values()
    assert samples.shape == (OUT, 1, 20) and samples.std(axis=2).mean() > 0
    # without mc_dropout, prediction is deterministic
    np.testing.assert_array_equal(m.predict(OUT).values(), m.predict(OUT).values())


def test_historical_forecasts_and_backtest(tiny_kwargs, data):
    y, x = data
    m = model(tiny_kwargs).fit(y[:120], past_covariates=x[:120])
    hf = m.historical_forecasts(
        y, past_covariates=x, start=130, forecast_horizon=OUT, retrain=False, last_points_only=False
    )
    assert len(hf) == len(y) - 130 - OUT + 1
    # the last window equals a manual predict from the same point
    manual = m.predict(OUT, series=y[: -OUT], past_covariates=x)
    np.testing.assert_allclose(hf[-1].values(), manual.values(), rtol=1e-5, atol=1e-6)
    score = m.backtest(y, historical_forecasts=hf, metric=mae)
    assert np.isfinite(score)


def test_historical_forecasts_retrain(tiny_kwargs, data):
    y, x = data
    m = model(tiny_kwargs, n_epochs=1, modalities={"a": ["c0", "c1"], "b": ["c2"]})
    hf = m.historical_forecasts(y, past_covariates=x, start=150, forecast_horizon=3, stride=5, retrain=True)
    assert np.isfinite(hf.values()).all()


def test_output_chunk_shift(tiny_kwargs, data):
    y, x = data
    m = model(tiny_kwargs, output_chunk_shift=2).fit(y, past_covariates=x)
    pred = m.predict(OUT)
    assert pred.start_time() == y.end_time() + 3 * y.freq


@pytest.mark.parametrize("clean", [False, True])
def test_save_load_identical_predictions(tiny_kwargs, data, tmp_path, clean):
    y, x = data
    m = model(tiny_kwargs, fusion="gated", modalities={"a": ["c0"], "b": ["c1", "c2"]}).fit(y, past_covariates=x)
    expected = m.predict(OUT, series=y, past_covariates=x)
    path = tmp_path / "pf.pt"
    m.save(str(path), clean=clean)
    loaded = ProgressiveFusionForecaster.load(str(path))  # safe loading: our classes are allow-listed
    np.testing.assert_array_equal(loaded.predict(OUT, series=y, past_covariates=x).values(), expected.values())
    assert list(loaded.modalities_) == ["target", "a", "b"]


def test_temporal_decoder_with_future_covariates_fits_saves_and_forecasts_through_nan(tiny_kwargs, data, tmp_path):
    y, x = data
    m = model(tiny_kwargs, decoder_size=4, modalities={"past": ["c0"], "future": ["c1", "c2"]})
    history = y[:-OUT]  # the future covariates cover the forecast horizon
    m.fit(history, past_covariates=x["c0"], future_covariates=x[["c1", "c2"]])
    assert m.model.network.temporal_decoder is not None
    expected = m.predict(OUT, series=history, past_covariates=x["c0"], future_covariates=x[["c1", "c2"]])
    path = tmp_path / "pf.pt"
    m.save(str(path))
    loaded = ProgressiveFusionForecaster.load(str(path))
    assert loaded.decoder_size == 4
    again = loaded.predict(OUT, series=history, past_covariates=x["c0"], future_covariates=x[["c1", "c2"]])
    np.testing.assert_array_equal(again.values(), expected.values())
    gappy = x[["c1", "c2"]].values().copy()
    gappy[-OUT:, 0] = np.nan  # tomorrow's forecast of one future stream has not arrived
    future = x[["c1", "c2"]].with_values(gappy)
    pred = m.predict(OUT, series=history, past_covariates=x["c0"], future_covariates=future)
    assert np.isfinite(pred.values()).all() and not np.allclose(pred.values(), expected.values())


def test_dense_encoder_fits_saves_loads_and_forecasts_through_nan(tiny_kwargs, data, tmp_path):
    y, x = data
    m = model(tiny_kwargs, encoder="dense", modalities={"a": ["c0"], "b": ["c1", "c2"]}).fit(y, past_covariates=x)
    assert type(m.model.network.encoders).__name__ == "ModalityMLP"
    expected = m.predict(OUT, series=y, past_covariates=x)
    path = tmp_path / "pf.pt"
    m.save(str(path))
    loaded = ProgressiveFusionForecaster.load(str(path))
    assert loaded.encoder == "dense"
    np.testing.assert_array_equal(loaded.predict(OUT, series=y, past_covariates=x).values(), expected.values())
    gappy = x.values().copy()
    gappy[-5:, 1] = np.nan  # a late feed in modality b
    pred = m.predict(OUT, series=y, past_covariates=x.with_values(gappy))
    assert np.isfinite(pred.values()).all() and not np.allclose(pred.values(), expected.values())


def test_context_in_the_last_layer_fits_saves_loads_and_forecasts_through_nan(tiny_kwargs, data, tmp_path):
    y, x = data
    with pytest.raises(ValueError, match=r"`context_layer` must be < `num_layers` \(2\).*Pass context_layer=1"):
        model(tiny_kwargs, context_layer=2)  # at construction, before any training
    m = model(tiny_kwargs, context_layer=1, modalities={"a": ["c0"], "b": ["c1", "c2"]}).fit(y, past_covariates=x)
    assert m.model.network.context_layer == 1
    expected = m.predict(OUT, series=y, past_covariates=x)
    path = tmp_path / "pf.pt"
    m.save(str(path))
    loaded = ProgressiveFusionForecaster.load(str(path))
    assert loaded.context_layer == 1
    np.testing.assert_array_equal(loaded.predict(OUT, series=y, past_covariates=x).values(), expected.values())
    gappy = x.values().copy()
    gappy[-5:, 1] = np.nan  # a late feed in modality b
    pred = m.predict(OUT, series=y, past_covariates=x.with_values(gappy))
    assert np.isfinite(pred.values()).all() and not np.allclose(pred.values(), expected.values())


def test_gap_fill_reads_the_season_of_the_training_series_and_survives_save_load(tiny_kwargs, tmp_path):
    y, x = make_series(n=200, freq="h")
    m = model(tiny_kwargs).fit(y, past_covariates=x)
    assert m.gap_fill == "auto" and m.model.network.season == 24  # hourly: one day
    gappy = x.values().copy()
    gappy[-5:, 0] = np.nan  # a late feed: the last 5 steps of one stream are missing
    late = x.with_values(gappy)
    filled = m.predict(OUT, series=y, past_covariates=late)
    path = tmp_path / "pf.pt"
    m.save(str(path))
    loaded = ProgressiveFusionForecaster.load(str(path))
    assert loaded.model.network.season == 24
    np.testing.assert_array_equal(loaded.predict(OUT, series=y, past_covariates=late).values(), filled.values())
    zero = model(tiny_kwargs, gap_fill="zero").fit(y, past_covariates=x)  # the same training: complete data
    np.testing.assert_array_equal(zero.predict(OUT, series=y, past_covariates=x).values(),
                                  m.predict(OUT, series=y, past_covariates=x).values())
    assert not np.allclose(zero.predict(OUT, series=y, past_covariates=late).values(), filled.values())
    y_steps, x_steps = make_series(n=200)  # an integer index: no season
    assert model(tiny_kwargs).fit(y_steps, past_covariates=x_steps).model.network.season == 1


def test_load_weights(tiny_kwargs, data, tmp_path):
    y, x = data
    m = model(tiny_kwargs).fit(y, past_covariates=x)
    path = tmp_path / "pf.pt"
    m.save(str(path))
    fresh = model(tiny_kwargs)
    fresh.load_weights(str(path))
    assert list(fresh.modalities_) == list(m.modalities_)
    np.testing.assert_allclose(
        fresh.predict(OUT, series=y, past_covariates=x).values(),
        m.predict(OUT, series=y, past_covariates=x).values(),
        rtol=1e-5,
    )


def test_same_seed_same_predictions_other_seed_differs(tiny_kwargs, data):
    y, x = data
    p1 = model(tiny_kwargs, random_state=7).fit(y, past_covariates=x).predict(OUT)
    p2 = model(tiny_kwargs, random_state=7).fit(y, past_covariates=x).predict(OUT)
    p3 = model(tiny_kwargs, random_state=8).fit(y, past_covariates=x).predict(OUT)
    np.testing.assert_array_equal(p1.values(), p2.values())
    assert not np.allclose(p1.values(), p3.values())


def test_reversible_instance_norm_and_float64(tiny_kwargs, data):
    y, x = data
    shifted = y + 100.0
    m = model(tiny_kwargs, use_reversible_instance_norm=True, n_epochs=5).fit(shifted, past_covariates=x)
    assert abs(float(m.predict(OUT).values().mean()) - 100.0) < 5.0
    m64 = model(tiny_kwargs).fit(y.astype(np.float64), past_covariates=x.astype(np.float64))
    assert m64.predict(OUT).dtype == np.float64


def test_add_encoders_become_a_modality(tiny_kwargs):
    y, x = make_series(160, freq="h")
    m = model(tiny_kwargs, add_encoders={"cyclic": {"past": ["hour"]}}).fit(y, past_covariates=x)
    assert m.modalities_["encodings_past"].components[0].startswith("darts_enc_")
    assert np.isfinite(m.predict(OUT).values()).all()


def test_refinement_steps_share_weights(tiny_kwargs, data):
    """Weights are shared across refinement steps: R=3 has as many parameters as R=2."""
    y, x = data
    m2 = model(tiny_kwargs, n_refinements=2).fit(y, past_covariates=x)
    m3 = model(tiny_kwargs, n_refinements=3).fit(y, past_covariates=x)
    count = lambda m: sum(p.numel() for p in m.model.parameters())  # noqa: E731
    assert count(m2) == count(m3)


def test_zero_init_feedback_reaches_the_network(tiny_kwargs, data):
    """The constructor flag sets the feedback's initial weights (with lr = 0, fit leaves them at their start), and
    the feedback grows from zero once training moves the weights."""
    y, x = data
    frozen = {"optimizer_kwargs": {"lr": 0.0}, "n_epochs": 1}
    start = {flag: model(tiny_kwargs, zero_init_feedback=flag, **frozen).fit(y, past_covariates=x)
             for flag in (True, False)}
    assert start[True].model.network.context_injection.weight.abs().max() == 0
    assert start[False].model.network.context_injection.weight.abs().max() > 0
    trained = model(tiny_kwargs).fit(y, past_covariates=x)
    assert trained.model.network.context_injection.weight.abs().max() > 0


def test_same_workflow_as_tide(tiny_kwargs, data):
    """Swapping TiDEModel for ProgressiveFusionForecaster keeps the same calls working."""
    y, x = data
    kw = {k: tiny_kwargs[k] for k in ("n_epochs", "random_state", "work_dir", "pl_trainer_kwargs")}
    for cls, extra in ((TiDEModel, {"hidden_size": 8}), (ProgressiveFusionForecaster, {"hidden_size": 8})):
        m = cls(input_chunk_length=IN, output_chunk_length=OUT, **kw, **extra)
        m.fit(y[:140], past_covariates=x, val_series=y[100:], val_past_covariates=x)
        hf = m.historical_forecasts(y, past_covariates=x, start=140, forecast_horizon=OUT, retrain=False)
        assert isinstance(hf, TimeSeries)
        assert np.isfinite(m.backtest(y, historical_forecasts=hf, metric=mae, last_points_only=True))


def test_deep_supervision_trains_every_step(tiny_kwargs, data):
    y, x = data
    m = model(tiny_kwargs, n_refinements=3, deep_supervision=True, use_reversible_instance_norm=True)
    m.fit(y, past_covariates=x)
    assert np.isfinite(m.predict(OUT).values()).all()
    # with one step there is nothing earlier to supervise: identical to plain training
    one = model(tiny_kwargs, n_refinements=1, deep_supervision=True).fit(y, past_covariates=x).predict(OUT)
    plain = model(tiny_kwargs, n_refinements=1).fit(y, past_covariates=x).predict(OUT)
    np.testing.assert_array_equal(one.values(), plain.values())


def test_target_skip_default_follows_the_likelihood(tiny_kwargs):
    """On for point forecasts and location likelihoods; off where the parameters are rates or shapes (a linear map
    of past values into a Gamma rate made darts' 50-step sampled forecast diverge to invalid parameters)."""
    from darts.utils.likelihood_models import GammaLikelihood

    rng = np.random.default_rng(42)
    positive = TimeSeries.from_values(np.abs(rng.standard_normal((100, 2)) + [0, 5]))
    skips = {}
    for name, likelihood in (("point", None), ("gaussian", GaussianLikelihood()), ("gamma", GammaLikelihood())):
        m = model(tiny_kwargs, n_epochs=1, likelihood=likelihood)
        m.fit(positive)
        skips[name] = m.model.network.target_skip is not None
    assert skips == {"point": True, "gaussian": True, "gamma": False}
    forced = model(tiny_kwargs, n_epochs=1, likelihood=GammaLikelihood(), use_target_skip=True).fit(positive)
    assert forced.model.network.target_skip is not None  # an explicit choice is kept
    gamma = model(tiny_kwargs, n_epochs=20, likelihood=GammaLikelihood(), random_state=142857).fit(positive)
    samples = gamma.predict(n=50, num_samples=20).all_values()
    assert np.isfinite(samples).all() and samples.min() >= 0


def test_fit_linear_skips_fits_the_shared_target_skip_on_every_component(tiny_kwargs):
    """Two target components following the same AR(2): the target skip (shared by the components) starts exact."""
    rng = np.random.default_rng(0)
    n = 300
    y = np.zeros((n, 2), dtype=np.float32)
    y[:2] = rng.standard_normal((2, 2))
    for t in range(2, n):
        y[t] = 1.2 * y[t - 1] - 0.5 * y[t - 2] + 0.3 * rng.standard_normal(2)
    target = TimeSeries.from_values(y, columns=["a", "b"])
    m = model(tiny_kwargs, n_epochs=1, optimizer_kwargs={"lr": 0.0}, fit_linear_skips=True)
    m.fit(target[:-1])
    assert bool(m.model.linear_skips_fitted)
    pred = m.predict(1, series=target[:-1]).values()[0]
    expected = 1.2 * y[-2] - 0.5 * y[-3]
    np.testing.assert_allclose(pred, expected, atol=0.05)


@pytest.mark.parametrize("likelihood", [QuantileRegression([0.1, 0.5, 0.9]), GaussianLikelihood()],
                         ids=["quantile", "gaussian"])
def test_fit_linear_skips_starts_probabilistic_models_calibrated(tiny_kwargs, likelihood):
    """With a likelihood the linear start also sets the spread: the residuals' quantiles or standard deviation."""
    rng = np.random.default_rng(0)
    n, noise = 600, 0.5
    x = rng.standard_normal((n, 2)).astype(np.float32)
    y = np.zeros(n, dtype=np.float32)
    for t in range(2, n):
        y[t] = 0.5 * y[t - 1] - 0.2 * y[t - 2] + 0.8 * x[t - 1, 0] - 0.3 * x[t - 2, 1] + noise * rng.standard_normal()
    target = TimeSeries.from_values(y[:, None], columns=["y"])
    covs = TimeSeries.from_values(x, columns=["a", "b"])
    m = model(tiny_kwargs, n_epochs=1, optimizer_kwargs={"lr": 0.0}, use_covariate_skip=True, fit_linear_skips=True,
              likelihood=likelihood)
    m.fit(target, past_covariates=covs)
    assert bool(m.model.linear_skips_fitted)
    params = m.predict(1, series=target[:-100], past_covariates=covs, predict_likelihood_parameters=True)
    values = params.values()[0]
    if isinstance(likelihood, QuantileRegression):  # one step ahead the residuals are the noise: N(0, 0.5)
        low, median, high = values
        assert high - low == pytest.approx(2 * 1.2816 * noise, rel=0.15) and low < median < high
    else:
        assert values[1] == pytest.approx(noise, rel=0.15)  # sigma


@pytest.mark.parametrize("cv", ["shuffled", "blocked"])
def test_fit_linear_skips_starts_from_least_squares(tiny_kwargs, cv):
    """On a target that is exactly linear in its lags and covariates, the least-squares start is already exact,
    whichever folds choose its ridge."""
    rng = np.random.default_rng(0)
    n = 300
    x = rng.standard_normal((n, 2)).astype(np.float32)
    y = np.zeros(n, dtype=np.float32)
    for t in range(2, n):
        y[t] = 0.5 * y[t - 1] - 0.2 * y[t - 2] + 0.8 * x[t - 1, 0] - 0.3 * x[t - 2, 1]
    target = TimeSeries.from_values(y[:, None], columns=["y"])
    covs = TimeSeries.from_values(x, columns=["a", "b"])
    m = model(tiny_kwargs, n_epochs=1, optimizer_kwargs={"lr": 0.0}, use_covariate_skip=True, fit_linear_skips=True,
              linear_skip_cv=cv)
    m.fit(target[:-1], past_covariates=covs)  # the last step is left out, predicted one step ahead below
    pred = m.predict(1, series=target[:-1], past_covariates=covs)
    np.testing.assert_allclose(pred.values()[0, 0], y[-1], atol=1e-2)
    assert bool(m.model.linear_skips_fitted)


def test_covariate_skip_auto_reads_the_stream_that_predicts_and_leaves_out_noise(tiny_kwargs):
    """``use_covariate_skip="auto"``: the least-squares start's linear model reads a past stream that drives the
    target and zero-weights one of noise; the deep path (lr 0 here) is untouched, the training data too."""
    rng = np.random.default_rng(0)
    n = 600
    x = rng.standard_normal((n, 2)).astype(np.float32)  # a: drives the target, b: noise
    y = np.zeros(n, dtype=np.float32)
    for t in range(2, n):
        y[t] = 0.5 * y[t - 1] + 0.8 * x[t - 1, 0] + 0.1 * rng.standard_normal()
    target = TimeSeries.from_values(y[:, None], columns=["y"])
    covs = TimeSeries.from_values(x, columns=["a", "b"])
    before = covs.values().copy()
    m = model(tiny_kwargs, n_epochs=1, optimizer_kwargs={"lr": 0.0}, use_covariate_skip="auto",
              modalities={"driver": ["a"], "noise": ["b"]})
    m.fit(target, past_covariates=covs)
    assert m.linear_skip_modalities_ == ["driver"]
    np.testing.assert_array_equal(covs.values(), before)
    pred = m.predict(1, series=target[:-1], past_covariates=covs)
    assert abs(pred.values()[0, 0] - y[-1]) < 0.5
    with_future = model(tiny_kwargs, n_epochs=1, use_covariate_skip="future", modalities={"driver": ["a"], "noise": ["b"]})
    with_future.fit(target, past_covariates=covs)
    assert with_future.linear_skip_modalities_ == []  # past streams only: no covariate skip


def test_covariate_skip_auto_without_a_start_keeps_the_future_streams(tiny_kwargs):
    """Without the least-squares start nothing can choose the streams: "auto" builds the skip "future" builds."""
    y, x = make_series(n=200, n_covariates=2)
    auto = model(tiny_kwargs, n_epochs=1, use_covariate_skip="auto", fit_linear_skips=False).fit(y, past_covariates=x)
    assert auto.model.network.covariate_skip is None and auto.linear_skip_modalities_ == []
    with pytest.raises(AttributeError, match="fit"):
        _ = model(tiny_kwargs).linear_skip_modalities_


def test_linear_fallback_forecasts_a_failed_stream_from_the_inputs_left(tiny_kwargs, tmp_path):
    """Two future streams, the first a noisy copy of the second: with the first failed for the whole window the
    fallback (a default) reads its weight from the second (the full model with a zero there cannot), the
    clean forecast is unchanged (lr 0: the linear start alone), and a saved model keeps its fallbacks."""
    rng = np.random.default_rng(0)
    n = 600
    b = rng.standard_normal(n).astype(np.float32)
    a = b + 0.3 * rng.standard_normal(n).astype(np.float32)
    y = np.zeros(n, dtype=np.float32)
    for t in range(1, n):
        y[t] = 0.5 * y[t - 1] + 0.8 * a[t] + 0.3 * b[t]
    target = TimeSeries.from_values(y[:, None], columns=["y"])
    covs = TimeSeries.from_values(np.stack([a, b], axis=1), columns=["a", "b"])
    failed = covs.values().copy()
    failed[:, 0] = np.nan  # stream a fails for good
    failed = TimeSeries.from_values(failed, columns=["a", "b"])
    kwargs = dict(n_epochs=1, optimizer_kwargs={"lr": 0.0}, modalities={"a": ["a"], "b": ["b"]}, random_state=0)
    fallback, plain = model(tiny_kwargs, **kwargs), model(tiny_kwargs, linear_fallback=False, **kwargs)
    for m in (fallback, plain):
        m.fit(target[:500], future_covariates=covs)
    truth = y[500 + IN:500 + IN + OUT]

    def forecast(m, future):
        return m.predict(OUT, series=target[:500 + IN], future_covariates=future).values()[:, 0]

    np.testing.assert_allclose(forecast(fallback, covs), forecast(plain, covs), rtol=1e-5, atol=1e-6)
    with_fallback, zeroed = forecast(fallback, failed), forecast(plain, failed)
    assert np.abs(with_fallback - truth).mean() < 0.3 * np.abs(zeroed - truth).mean()
    path = str(tmp_path / "fallback.pt")
    fallback.save(path)
    loaded = ProgressiveFusionForecaster.load(path)
    np.testing.assert_allclose(forecast(loaded, failed), with_fallback, rtol=1e-5, atol=1e-6)


def test_linear_skip_cv_rejects_an_unknown_scheme(tiny_kwargs):
    with pytest.raises(ValueError, match=r"`linear_skip_cv` must be one of \('shuffled', 'blocked'\), got 'random'"):
        model(tiny_kwargs, linear_skip_cv="random")


def test_clip_covariate_skip_keeps_a_spike_in_a_future_covariate_within_the_training_range(tiny_kwargs, tmp_path):
    y, x = make_series(n=200, n_covariates=1)
    y = y[:-OUT]  # the future covariate runs over the horizon
    m = model(tiny_kwargs).fit(y, future_covariates=x)  # the default clips
    network = m.model.network
    seen = x.values()[:len(y), 0]  # what the training windows read
    assert network.skip_low[0, 0, 0] == pytest.approx(float(seen.min()))
    assert network.skip_high[0, 0, 0] == pytest.approx(float(seen.max()))
    spiked, at_edge = x.values().copy(), x.values().copy()
    spiked[len(y) + 1, 0] = 1e4  # a unit slip in tomorrow's feed
    at_edge[len(y) + 1, 0] = float(network.skip_high[0, 0, 0])
    spiked, at_edge = x.with_values(spiked), x.with_values(at_edge)
    everything = torch.ones(1, network.n_modalities, dtype=torch.bool)
    skipped = [network.covariate_skip(network._covariate_values(network._pack(*_window(y, s)), everything))
               for s in (spiked, at_edge)]
    torch.testing.assert_close(skipped[0], skipped[1])  # the linear path reads the spike as the range's edge
    assert np.isfinite(m.predict(OUT, series=y, future_covariates=spiked).values()).all()
    path = tmp_path / "pf.pt"
    m.save(str(path))
    loaded = ProgressiveFusionForecaster.load(str(path))
    torch.testing.assert_close(loaded.model.network.skip_high, network.skip_high)  # saved with the weights
    np.testing.assert_array_equal(loaded.predict(OUT, series=y, future_covariates=spiked).values(),
                                  m.predict(OUT, series=y, future_covariates=spiked).values())


def _window(y, x):
    """The last input window of ``y`` and the future covariates ``x`` over it and the horizon, as the network
    reads them: (past target, None, historic future, future), batch of one."""
    target = torch.tensor(y.values()[-IN:], dtype=torch.float32)[None]  # (1, L, 1)
    covs = torch.tensor(x.values(), dtype=torch.float32)  # (n, F)
    return target, None, covs[len(y) - IN:len(y)][None], covs[len(y):len(y) + OUT][None]


def test_clip_covariate_skip_trains_the_same_network_on_data_in_range(tiny_kwargs):
    y, x = make_series(n=200, n_covariates=1)
    y = y[:-OUT]
    clipped = model(tiny_kwargs, clip_covariate_skip=True).fit(y, future_covariates=x)
    plain = model(tiny_kwargs, clip_covariate_skip=False).fit(y, future_covariates=x)
    np.testing.assert_allclose(clipped.predict(OUT, series=y, future_covariates=x).values(),
                               plain.predict(OUT, series=y, future_covariates=x).values(), rtol=1e-5, atol=1e-6)
