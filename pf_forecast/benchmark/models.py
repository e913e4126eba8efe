"""The benchmark's model zoo: every compared model is built by :func:`make_model` from one set of settings.

All neural models share the same training budget (``max_epochs``), early stopping on the task's validation segment
(``EarlyStopping("val_loss", patience)`` plus restoring the best epoch's weights, or with
``BenchSettings.average_top_k`` the gated average of the best epochs'), the same training windows (all of
them by default, as ``fit`` uses; ``max_train_samples`` sets an explicit budget), batch size and optimiser defaults,
and ``random_state=seed``, on ``BenchSettings.accelerator`` / ``devices`` (default: one GPU when there is one, else
the CPU). The data are those of the :class:`~pf_forecast.data.ForecastingTask`, already scaled on its training rows.

Missing covariate values
------------------------
A model that declares ``handles_missing_covariates`` (``ProgressiveFusionForecaster``) receives NaN as it is. Every
other model receives the covariates filled by one declared policy, ``BenchSettings.impute`` (default ``"ffill"``:
the last observed value carried forward, and the training-period mean before the first observation), in the clean
run and in every robustness sweep alike: see :func:`model_inputs`.

Models
------
``pf``
    :class:`~pf_forecast.ProgressiveFusionForecaster` with its defaults and the task's modalities.
``pf-late``
    The same with ``n_refinements=1``: late fusion, no feedback (the paper's ablation).
``pf-early``
    The same with one modality holding every covariate component (early fusion of the covariates).
``tide``, ``tsmixer``, ``tcn``, ``nhits``, ``dlinear``
    darts' ``TiDEModel``, ``TSMixerModel``, ``TCNModel``, ``NHiTSModel``, ``DLinearModel`` (darts defaults).
``linear``
    darts' ``LinearRegressionModel`` on lags of the target and the covariates (``input_chunk_length`` lags, fewer
    where the least-squares problem would be under-determined: see :func:`linear_lags`), all training windows.
``lightgbm``
    darts' ``LightGBMModel`` (gradient-boosted trees) on lags of the target and the covariates (the recent season
    densely, older steps once per season: see :func:`tree_lags`), one booster per horizon step (and quantile), up
    to ``LIGHTGBM_MAX_TREES`` trees (learning rate 0.1, 31 leaves, half the rows and half the features per tree)
    with early stopping on the validation segment, one thread.
``naive-seasonal``
    darts' ``NaiveSeasonal`` (K = 24 on hourly data, else 1): a local model, refit on every test window.
``arima``, ``exp-smoothing``
    darts' ``ARIMA(1, 0, 1)`` and simple ``ExponentialSmoothing``: local models refit on every test window; only
    run where that is tractable (see :func:`applicability`).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytorch_lightning as pl
from darts.models import (
    ARIMA,
    DLinearModel,
    ExponentialSmoothing,
    LightGBMModel,
    LinearRegressionModel,
    NaiveSeasonal,
    NHiTSModel,
    TCNModel,
    TiDEModel,
    TSMixerModel,
)
from darts.models.forecasting.forecasting_model import ForecastingModel
from darts.models.forecasting.torch_forecasting_model import TorchForecastingModel
from darts.utils.likelihood_models import QuantileRegression
from pytorch_lightning.callbacks import EarlyStopping

from pf_forecast.data import ForecastingTask
from pf_forecast.model import ProgressiveFusionForecaster
from pf_forecast.robustness.imputation import impute_missing
from pf_forecast.robustness.scoring import QUANTILE_LEVELS
from pf_forecast.training import RestoreBestWeights

from .settings import BenchSettings

__all__ = ["DETERMINISTIC_MODELS", "LAG_MODELS", "LOCAL_MODELS", "MODEL_NAMES", "NEURAL_MODELS", "TINY_SIZES",
           "BenchSettings", "RestoreBestWeights", "applicability", "check_model_names", "count_parameters", "fit_model",
           "handles_missing_covariates", "linear_lags", "make_model", "model_config", "model_inputs", "model_order",
           "seasonal_period",
           "trainer_kwargs", "tree_lags"]

logger = logging.getLogger(__name__)

#: Every model name :func:`make_model` knows, in report order.
MODEL_NAMES: tuple[str, ...] = ("pf", "pf-late", "pf-early", "tide", "tsmixer", "tcn", "nhits", "dlinear", "linear",
                                "lightgbm", "naive-seasonal", "arima", "exp-smoothing")
#: Torch models: trained for ``max_epochs`` with early stopping on the validation segment.
NEURAL_MODELS: tuple[str, ...] = ("pf", "pf-late", "pf-early", "tide", "tsmixer", "tcn", "nhits", "dlinear")
#: Local statistical models: refit on every test window (``historical_forecasts(retrain=True)``).
LOCAL_MODELS: tuple[str, ...] = ("naive-seasonal", "arima", "exp-smoothing")
#: Models whose result does not depend on the seed: the runner fits them for the first seed only.
DETERMINISTIC_MODELS: tuple[str, ...] = ("linear", *LOCAL_MODELS)
#: Models on lags of the target and covariates (darts regression models), fitted on every training window.
LAG_MODELS: tuple[str, ...] = ("linear", "lightgbm")
#: Models that cannot take future covariates: on a track with future covariates they read them as past covariates.
PAST_ONLY_MODELS: tuple[str, ...] = ("tcn", "nhits")

#: Refitting a local model on every test window is considered tractable up to this many fits x series length.
LOCAL_REFIT_BUDGET = 4_000_000
#: LightGBM: at most this many trees per booster; early stopping on the validation segment picks fewer. With
#: ``--probabilistic`` a task has one booster per horizon step and quantile (24 x 9 = 216 on EPF): a learning rate
#: of 0.1 and half the rows and features per tree keep that to minutes per market on one CPU core (measured on
#: fev-bench BE: 3x faster per booster than 500 trees at 0.05 on every row and feature).
LIGHTGBM_MAX_TREES = 300
LIGHTGBM_EARLY_STOPPING_ROUNDS = 20


def check_model_names(names: Any) -> list[str]:
    """Validate model names against :data:`MODEL_NAMES`.

    Parameters
    ----------
    names
        An iterable of names.

    Returns
    -------
    list of str
        The names, duplicates removed, in the given order.

    Raises
    ------
    ValueError
        Naming the unknown model(s) and listing the valid ones.
    """
    names = list(dict.fromkeys(str(n).strip() for n in names if str(n).strip()))
    if not names:
        raise ValueError(f"no model given; choose from {list(MODEL_NAMES)}.")
    unknown = [n for n in names if n not in MODEL_NAMES]
    if unknown:
        raise ValueError(f"unknown model(s) {unknown}; valid models are {list(MODEL_NAMES)}.")
    return names


def model_order(models: Any) -> list[str]:
    """The distinct names of ``models`` in report order: :data:`MODEL_NAMES` first, then any other, sorted.

    Parameters
    ----------
    models
        An iterable of model names.

    Returns
    -------
    list of str
    """
    order = {name: i for i, name in enumerate(MODEL_NAMES)}
    return sorted(set(models), key=lambda m: (order.get(m, len(order)), m))


# --------------------------------------------------------------------------------------------------------------
# Task facts
# --------------------------------------------------------------------------------------------------------------
def seasonal_period(task: ForecastingTask) -> int:
    """Season length of :class:`NaiveSeasonal`: 24 for an hourly series, else 1 (e.g. stocks' trading steps).

    Parameters
    ----------
    task
        The task.

    Returns
    -------
    int
    """
    freq = task.series.freq
    if isinstance(task.series.time_index, pd.DatetimeIndex):
        try:
            if pd.Timedelta(pd.tseries.frequencies.to_offset(freq)) == pd.Timedelta(hours=1):
                return 24
        except (ValueError, TypeError):  # non-fixed frequencies such as month ends
            return 1
    return 1


def _covariate_components(task: ForecastingTask) -> dict[str, list[str]]:
    return {
        source: list(ts.components)
        for source, ts in (("past", task.past_covariates), ("future", task.future_covariates))
        if ts is not None
    }


def handles_missing_covariates(name: str) -> bool:
    """Whether model ``name`` takes NaN covariates as they are (it declares ``handles_missing_covariates``).

    Parameters
    ----------
    name
        Model name.

    Returns
    -------
    bool
    """
    return name.startswith("pf") and bool(ProgressiveFusionForecaster.handles_missing_covariates)


def model_inputs(name: str, task: ForecastingTask, impute: str = "none") -> dict[str, Any]:
    """The covariates model ``name`` is given, as keyword arguments for fit / predict / historical forecasts.

    Models without future-covariate support (``tcn``, ``nhits``) read future covariates as past covariates, i.e.
    over the input window only. Local statistical models get no covariates. A model that does not declare
    ``handles_missing_covariates`` gets the covariates' missing values filled by ``impute``, with the means of the
    training rows (see :func:`pf_forecast.robustness.impute_missing`); the task is not modified.

    Parameters
    ----------
    name
        Model name.
    task
        The task.
    impute
        Imputation policy for models that cannot take NaN: ``"ffill"``, ``"mean"``, ``"zero"`` or ``"none"``.

    Returns
    -------
    dict
        ``{"past_covariates": ..., "future_covariates": ...}`` (values may be ``None``).
    """
    if name in LOCAL_MODELS:
        return {"past_covariates": None, "future_covariates": None}
    past, future = task.past_covariates, task.future_covariates
    if name in PAST_ONLY_MODELS and future is not None:
        past = future if past is None else past.stack(future)
        future = None
    if impute != "none" and not handles_missing_covariates(name):
        val_row, _ = task.split_index()
        train_end = task.series.time_index[val_row]  # the means come from the training rows only
        past, future = (None if ts is None else impute_missing(ts, impute, before=train_end) for ts in (past, future))
    return {"past_covariates": past, "future_covariates": future}


def applicability(name: str, task: ForecastingTask, settings: BenchSettings) -> str | None:
    """Why model ``name`` is not run on ``task``, or ``None`` when it is.

    Local models other than ``naive-seasonal`` are refit on every test window; that is run only when
    ``windows x series length <= LOCAL_REFIT_BUDGET`` (true for the stocks task, false for the hourly tasks).

    Parameters
    ----------
    name
        Model name.
    task
        The task.
    settings
        The run's settings (the test stride sets the number of refits).

    Returns
    -------
    str or None
    """
    if name in ("arima", "exp-smoothing"):
        n_windows = task.n_test_windows(settings.test_stride)
        cost = n_windows * len(task.series)
        if cost > LOCAL_REFIT_BUDGET:
            return (
                f"intractable: refitting {name} on each of {n_windows} test windows of a {len(task.series)}-step "
                f"series ({cost:.3g} > {LOCAL_REFIT_BUDGET:.0e} fit-steps); raise --test-stride to include it"
            )
    if name == "tcn" and task.horizon >= task.input_chunk_length:
        return "TCNModel needs horizon < input_chunk_length"
    return None


# --------------------------------------------------------------------------------------------------------------
# Keeping the best epoch
# --------------------------------------------------------------------------------------------------------------
# --------------------------------------------------------------------------------------------------------------
# The zoo
# --------------------------------------------------------------------------------------------------------------
#: Network sizes of the ``tiny`` profile, per model family (smoke runs).
TINY_SIZES: dict[str, dict[str, Any]] = {
    "pf": {"hidden_size": 8, "num_layers": 2, "context_size": 4, "readout_points": 2},
    "tide": {"hidden_size": 16, "decoder_output_dim": 4, "temporal_decoder_hidden": 8, "temporal_width_past": 2,
             "temporal_width_future": 2},
    "tsmixer": {"hidden_size": 8, "ff_size": 8, "num_blocks": 1},
    "tcn": {"num_filters": 3},
    "nhits": {"num_stacks": 2, "layer_widths": 16},
    "dlinear": {},
}


def trainer_kwargs(callbacks: Sequence[pl.Callback], accelerator: str = "auto", devices: Any = 1) -> dict[str, Any]:
    """Lightning ``Trainer`` arguments of every benchmarked torch model: quiet, no logger, no checkpoints.

    Parameters
    ----------
    callbacks
        Trainer callbacks.
    accelerator, devices
        Where to train (see :meth:`BenchSettings.trainer_devices`).

    Returns
    -------
    dict
        darts ``pl_trainer_kwargs``.
    """
    return {
        "accelerator": accelerator,
        "devices": devices,
        "enable_progress_bar": False,
        "enable_model_summary": False,
        "logger": False,
        "enable_checkpointing": False,
        # validate every batch before training: the starting weights are a candidate of RestoreBestWeights
        "num_sanity_val_steps": -1,
        "callbacks": list(callbacks),
    }


def make_model(name: str, task: ForecastingTask, seed: int, settings: BenchSettings) -> ForecastingModel:
    """Build the (unfitted) model ``name`` for ``task``.

    Parameters
    ----------
    name
        One of :data:`MODEL_NAMES`.
    task
        The task: sets ``input_chunk_length``, ``output_chunk_length`` (= horizon) and the modalities.
    seed
        ``random_state`` of the neural models (ignored by deterministic models).
    settings
        Shared training settings.

    Returns
    -------
    darts ForecastingModel

    Raises
    ------
    ValueError
        For an unknown name.

    Examples
    --------
    >>> from pf_forecast.data import load_task
    >>> model = make_model("pf-late", load_task("etth1"), seed=0, settings=BenchSettings())  # doctest: +SKIP
    >>> model.n_refinements  # doctest: +SKIP
    1
    """
    check_model_names([name])
    icl, horizon = task.input_chunk_length, task.horizon
    if name in NEURAL_MODELS:
        common: dict[str, Any] = {
            "input_chunk_length": icl,
            "output_chunk_length": horizon,
            "n_epochs": settings.max_epochs,
            "batch_size": settings.batch_size,
            "optimizer_kwargs": {"lr": settings.learning_rate},
            "random_state": int(seed),
            "model_name": f"bench-{name}-{seed}",
            "force_reset": True,
            "save_checkpoints": False,
            "pl_trainer_kwargs": trainer_kwargs(
                [EarlyStopping("val_loss", patience=settings.patience, mode="min"),
                 RestoreBestWeights("val_loss", settings.average_top_k)],
                **settings.trainer_devices()),
        }
        if settings.probabilistic:
            common["likelihood"] = QuantileRegression(list(QUANTILE_LEVELS))
        if settings.work_dir is not None:
            common["work_dir"] = settings.work_dir
        family = "pf" if name.startswith("pf") else name
        common.update(copy.deepcopy(TINY_SIZES[family]) if settings.profile == "tiny" else {})
        if family == "pf":
            modalities: Mapping[str, list[str]] = task.modalities or None
            if name == "pf-late":
                common["n_refinements"] = 1
            elif name == "pf-early":
                # one modality holding every covariate (a modality reads one source: past and future apart)
                sources = _covariate_components(task)
                modalities = (
                    {"all": next(iter(sources.values()))} if len(sources) == 1
                    else {f"all_{source}": components for source, components in sources.items()}
                ) or None
            return ProgressiveFusionForecaster(modalities=modalities, **common)
        cls = {"tide": TiDEModel, "tsmixer": TSMixerModel, "tcn": TCNModel, "nhits": NHiTSModel,
               "dlinear": DLinearModel}[name]
        return cls(**common)
    if name in LAG_MODELS:
        inputs = model_inputs(name, task)
        if name == "linear":  # every lag of the input window
            n_lags = linear_lags(task)
            lags, future_lags = n_lags, (n_lags, horizon)
        else:  # darts' lag lists count back with negative steps; future covariates also over the horizon
            lags = [-lag for lag in tree_lags(task)]
            future_lags = [*lags, *range(horizon)]
        lag_kwargs: dict[str, Any] = {
            "lags": lags,
            "lags_past_covariates": lags if inputs["past_covariates"] is not None else None,
            "lags_future_covariates": future_lags if inputs["future_covariates"] is not None else None,
            "output_chunk_length": horizon,
        }
        if name == "linear":
            return LinearRegressionModel(**lag_kwargs)
        # a common starting point (31 leaves, learning rate 0.1, row and feature subsampling as regularisation and
        # to bound the cost of one booster per step and quantile) with early stopping, one thread
        quantile = {"likelihood": "quantile", "quantiles": list(QUANTILE_LEVELS)} if settings.probabilistic else {}
        return LightGBMModel(**lag_kwargs, **quantile, n_estimators=LIGHTGBM_MAX_TREES, learning_rate=0.1,
                             num_leaves=31, subsample=0.5, subsample_freq=1, colsample_bytree=0.5, n_jobs=1,
                             verbose=-1, random_state=int(seed))
    if name == "naive-seasonal":
        return NaiveSeasonal(K=seasonal_period(task))
    if name == "arima":
        return ARIMA(p=1, d=0, q=1, trend="c", random_state=int(seed))
    return ExponentialSmoothing(trend=None, seasonal=None)  # "exp-smoothing": simple exponential smoothing


def tree_lags(task: ForecastingTask) -> list[int]:
    """Lags (positive steps back) of the ``lightgbm`` model: every step of the last season, then one per season.

    Trees pick their splits among the features, and their cost grows with the number of features (one booster per
    horizon step and quantile), so instead of every one of ``input_chunk_length`` lags they get the recent ones
    densely and the older ones at the seasonal period: on hourly data with a 168-step input, lags 1..24 and 48, 72,
    ..., 168 (30 instead of 168); without a season (K = 1), lags 1..min(input_chunk_length, 30).
    The covariates get the same lags, and future covariates also every step of the horizon.

    Parameters
    ----------
    task
        The task.

    Returns
    -------
    list of int
    """
    icl, season = task.input_chunk_length, seasonal_period(task)
    dense = min(icl, season if season > 1 else 30)
    return sorted({*range(1, dense + 1), *range(2 * season, icl + 1, season)} if season > 1 else range(1, dense + 1))


def linear_lags(task: ForecastingTask) -> int:
    """Lags of the ``linear`` model: ``input_chunk_length``, fewer when that would leave the least-squares fit
    under-determined.

    ``min(input_chunk_length, train windows // (2 x input components))``: at least two training windows per
    coefficient (e.g. 168 on EPF, 234 instead of 500 on stocks, whose 1,878 training windows cannot fit
    4 x 500 coefficients).

    Parameters
    ----------
    task
        The task.

    Returns
    -------
    int
    """
    inputs = model_inputs("linear", task)
    n_inputs = task.series.n_components + sum(
        ts.n_components for ts in inputs.values() if ts is not None
    )
    n_windows = len(task.train_series()) - task.input_chunk_length - task.horizon + 1
    return int(max(1, min(task.input_chunk_length, n_windows // (2 * n_inputs))))


def _auto_train_stride(task: ForecastingTask, settings: BenchSettings) -> int:
    if settings.train_stride is not None:
        return settings.train_stride
    if settings.max_train_samples is None:
        return 1
    n_windows = len(task.train_series()) - task.input_chunk_length - task.horizon + 1
    return max(1, n_windows // settings.max_train_samples)


def fit_model(model: ForecastingModel, name: str, task: ForecastingTask, settings: BenchSettings,
              inputs: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Fit ``model`` on the task's training segment, early-stopping neural models and LightGBM on its validation
    segment.

    Local models are fitted on the history before the test segment (train + validation), which is what their
    first test window sees.

    Parameters
    ----------
    model
        A model from :func:`make_model`.
    name
        Its name.
    task
        The task.
    settings
        Shared training settings.
    inputs
        The covariates from :func:`model_inputs` (computed with ``settings.impute`` when ``None``).

    Returns
    -------
    dict
        Facts about the fit: ``train_stride`` and, for neural models, ``epochs_trained``, ``best_epoch`` (-1: the
        weights training started from), ``averaged_epochs`` (the epochs whose weight average was kept, else None) and
        ``device``; for pf, ``linear_skip_modalities`` (the covariate modalities its linear covariate skip reads)
        (LightGBM: ``trees``, the mean number of trees per booster kept by early stopping).
    """
    inputs = model_inputs(name, task, settings.impute) if inputs is None else inputs
    facts: dict[str, Any] = {}
    if name in NEURAL_MODELS:
        stride = _auto_train_stride(task, settings)
        model.fit(
            task.train_series(),
            past_covariates=inputs["past_covariates"],
            future_covariates=inputs["future_covariates"],
            val_series=task.val_series(),
            val_past_covariates=inputs["past_covariates"],
            val_future_covariates=inputs["future_covariates"],
            max_samples_per_ts=settings.max_train_samples,
            stride=stride,
            verbose=False,
            dataloader_kwargs={"pin_memory": False},
        )
        restore = [cb for cb in model.trainer_params.get("callbacks", []) if isinstance(cb, RestoreBestWeights)]
        trainer = getattr(model, "trainer", None)  # where it trained: "cpu", "cuda:0", ...
        facts.update(train_stride=stride, epochs_trained=int(model.epochs_trained),
                     best_epoch=restore[0].best_epoch if restore else None,
                     averaged_epochs=restore[0].averaged_epochs if restore else None,
                     device=str(trainer.strategy.root_device) if trainer is not None else None)
        if isinstance(model, ProgressiveFusionForecaster):  # the streams its least-squares start reads
            facts.update(linear_skip_modalities=model.linear_skip_modalities_)
    elif name == "linear":
        model.fit(task.train_series(), past_covariates=inputs["past_covariates"],
                  future_covariates=inputs["future_covariates"])
        facts.update(train_stride=1, lags=linear_lags(task))
    elif name == "lightgbm":
        import lightgbm

        model.fit(task.train_series(), past_covariates=inputs["past_covariates"],
                  future_covariates=inputs["future_covariates"], val_series=task.val_series(),
                  val_past_covariates=inputs["past_covariates"], val_future_covariates=inputs["future_covariates"],
                  callbacks=[lightgbm.early_stopping(LIGHTGBM_EARLY_STOPPING_ROUNDS, verbose=False)])
        facts.update(train_stride=1, lags=len(tree_lags(task)), trees=_mean_trees(model))
    else:
        _, test_row = task.split_index()
        model.fit(task.series[:test_row])
    return facts


def _mean_trees(model: LightGBMModel) -> float | None:
    """Mean number of trees per booster after early stopping (None if darts' wrapper hides them)."""
    boosters = getattr(model.model, "estimators_", None) or [model.model]
    counts = [getattr(b, "best_iteration_", None) or getattr(b, "n_estimators", None) for b in boosters]
    counts = [c for c in counts if c]
    return float(np.mean(counts)) if counts else None


#: Constructor arguments that say how or where a model runs, not what it is: left out of :func:`model_config`.
_RUN_ARGUMENTS = frozenset({"pl_trainer_kwargs", "work_dir", "model_name", "force_reset", "save_checkpoints",
                            "log_tensorboard", "show_warnings"})


def model_config(model: ForecastingModel) -> dict[str, str]:
    """The model's hyper-parameters as text (``repr`` of each constructor argument but the run arguments).

    Stored with every cell, so that a resumed run can tell when a model's defaults changed since the cell was
    computed (see :func:`pf_forecast.benchmark.runner.run_benchmark`).

    Parameters
    ----------
    model
        An unfitted model from :func:`make_model`.

    Returns
    -------
    dict
        Argument name -> ``repr`` of its value, sorted by name.
    """
    params = getattr(model, "model_params", {}) or {}
    return {key: repr(value) for key, value in sorted(params.items()) if key not in _RUN_ARGUMENTS}


def count_parameters(model: ForecastingModel) -> float:
    """Number of trainable torch parameters of a fitted torch model; NaN for other models.

    Parameters
    ----------
    model
        A fitted model.

    Returns
    -------
    float
    """
    if isinstance(model, TorchForecastingModel) and getattr(model, "model", None) is not None:
        return float(sum(p.numel() for p in model.model.parameters()))
    return float("nan")
