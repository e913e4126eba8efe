"""Robustness evaluation of any fitted darts forecasting model under corrupted or missing covariates.

What is corrupted, precisely
----------------------------
The model is never refitted. Forecasts are ``model.historical_forecasts(series, ..., retrain=False,
last_points_only=False, overlap_end=False, forecast_horizon=h, start=start, stride=stride)``: windows whose first
prediction point (darts' ``start``) is ``start``, ``start + stride``, ... and that end inside ``series``.

The covariates are corrupted at every timestamp ``>= corruption_start``, where

    ``corruption_start = start + min_lag * freq``

and ``min_lag`` is the most negative covariate lag the model reads (darts' ``model.extreme_lags``; for a torch
model ``-input_chunk_length``). So every input of every evaluated window is corrupted (as MultiBench corrupts the
test inputs), including the future covariates' values over the forecast horizon, while nothing before the first
evaluated input window (the training period) is touched. Both timestamps are recorded in the report's metadata.
The target is only ever corrupted as an input when ``corrupt_target=True``; forecasts are always scored against
the clean ``series``.

Window-relative corruptions (Latency)
-------------------------------------
A corruption with ``window_relative = True`` (:class:`~pf_forecast.robustness.corruptions.Latency`) depends on
when each forecast is made, so one corrupted copy of the whole series cannot express it once windows follow each
other (window ``i``'s late steps are window ``i+1``'s published history). It is evaluated exactly, window by window:
the clean ``historical_forecasts`` run fixes the windows; for each window's forecast point ``p`` the target is the
history before ``p``, and every corrupted input is sliced to the steps the model can read (``p + min_lag`` ..
``p + max_lag + forecast_horizon``, from ``model.extreme_lags``) and handed to
``corruption.apply_window(slice, p, role="past" | "future" | "target", components=...)``; the slices are imputed
with the same policy (``ffill`` starting from the last clean value before the slice, so a window gets exactly what
imputing the whole series with that window's fault would give it). Then ONE ``model.predict(n=forecast_horizon,
series=[...], past_covariates=[...], future_covariates=[...])`` call forecasts all windows as a batch (darts
predicts a list of series together) and the forecasts are scored against the clean ``series`` as above. Inputs a
corruption does not touch are passed as the one clean series object (no copy). The cost is about that of one
``historical_forecasts`` call plus one small slice per window and corrupted input (the tests check that a no-op
window corruption reproduces ``historical_forecasts`` exactly, for torch and regression models). Such corruptions
need a global model. Values after the forecast point of a past covariate are left as they are (darts reads them only
when ``forecast_horizon > output_chunk_length``, as in the clean run).

Scoring
-------
Each metric (a darts metric: ``darts.metrics.mse``, ``mae``, ...) is computed per window and averaged over the
windows. All windows have ``forecast_horizon`` steps (``overlap_end=False``), so for MSE and MAE this equals the
metric over all windows and steps pooled. Multivariate targets are averaged over components (darts' default).

Randomness
----------
Repeat ``r`` uses ``numpy.random.default_rng([seed, r])``, the same at every level and for every modality
("common random numbers"), so the curves are smooth and the drops at a level are a subset of those at higher
levels. Past and future covariates are corrupted one after the other with that generator.

Imputation
----------
Models that declare ``handles_missing_covariates = True`` (``ProgressiveFusionForecaster``) receive NaN as is.
Any other model gets the NaN of its (corrupted) inputs filled by the declared policy ``impute``: default
``"zero"`` (MultiBench's own drop value). ``"mean"`` uses the clean per-component means over the timestamps
before ``corruption_start`` (the training period; later values are test inputs and would leak), ``"ffill"``
carries the last observed value forward and falls back to those means, ``"seasonal"`` takes the value one season
earlier (:func:`~pf_forecast.robustness.imputation.season_length` of the series' frequency: 24 on hourly data),
then falls back like ``"ffill"``. The policy is recorded in the report.

Code layout
-----------
``evaluate_robustness`` = validate -> plan -> run: ``_validate`` checks the arguments (model, series, numbers,
metrics, imputation policy), :func:`~pf_forecast.robustness.plan.make_plan` resolves the corruption of every level,
the modality groups, ``start`` and ``corruption_start`` and the path, and :class:`~pf_forecast.robustness.run.Run`
forecasts and scores every group at every level, on the historical-forecasts path or the window-relative one
(:mod:`~pf_forecast.robustness.windows`).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from darts import TimeSeries
from darts import metrics as darts_metrics
from darts.models.forecasting.forecasting_model import ForecastingModel

from pf_forecast._checks import check_int

from .corruptions import Corruption
from .imputation import check_impute_policy
from .plan import Arguments, RobustnessPlan, make_plan
from .report import CURVE_COLUMNS, RobustnessReport
from .run import Run

__all__ = ["evaluate_robustness", "mean_fusion_weights", "modality_importance"]

logger = logging.getLogger(__name__)

#: Metric names accepted as strings (darts metrics that reduce one series pair to one number).
METRIC_NAMES: tuple[str, ...] = (
    "mse",
    "mae",
    "rmse",
    "rmsle",
    "mape",
    "smape",
    "wmape",
    "marre",
    "ope",
    "r2_score",
    "coefficient_of_variation",
    "merr",
)


# ---------------------------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------------------------
def _check_model(model: Any) -> None:
    if not isinstance(model, ForecastingModel):
        raise TypeError(
            f"`model` must be a darts forecasting model (darts.models.forecasting.forecasting_model."
            f"ForecastingModel); got {type(model).__name__}."
        )
    fitted = bool(getattr(model, "_fit_called", False))
    if fitted and hasattr(model, "model") and getattr(model, "model", None) is None:
        fitted = False
    if not fitted:
        raise ValueError(
            f"`model` ({type(model).__name__}) is not fitted; call model.fit(...) (or load a trained model) "
            "before evaluating its robustness."
        )


def _check_series(value: Any, name: str, required: bool = False) -> None:
    if value is None and not required:
        return
    if not isinstance(value, TimeSeries):
        raise TypeError(
            f"`{name}` must be a single darts TimeSeries{'' if required else ' or None'}; got "
            f"{type(value).__name__}. Evaluate several series one at a time."
        )



def _resolve_metric(metric: Any) -> tuple[str, Callable]:
    """One metric as (name, darts metric callable)."""
    if isinstance(metric, str):
        if metric.lower() not in METRIC_NAMES:
            raise ValueError(
                f"Unknown metric {metric!r}; expected a darts metric callable or one of {METRIC_NAMES}."
            )
        return metric.lower(), getattr(darts_metrics, metric.lower())
    if callable(metric):
        return getattr(metric, "__name__", type(metric).__name__), metric
    raise TypeError(f"Metrics must be names or darts metric callables; got {metric!r}.")


def _resolve_metrics(metrics: Any) -> list[tuple[str, Callable]]:
    """``metrics`` (one or several names or callables) as a non-empty list of uniquely named metrics."""
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    out = [_resolve_metric(m) for m in metrics]
    if not out:
        raise ValueError("`metrics` is empty; give at least one metric, e.g. ('mse', 'mae').")
    names = [n for n, _ in out]
    if len(set(names)) != len(names):
        raise ValueError(f"Metric names must be unique; got {names}.")
    return out


def _impute_policy(model: Any, impute: Any) -> tuple[str, bool]:
    """(the imputation policy applied, whether the model declares ``handles_missing_covariates``)."""
    policy = check_impute_policy(impute)
    handles_nan = bool(getattr(model, "handles_missing_covariates", False))
    if policy is None:
        return ("none" if handles_nan else "zero"), handles_nan
    if policy == "none" and not handles_nan:
        logger.warning(
            "impute='none' with %s, which does not declare handles_missing_covariates: NaN inputs will likely "
            "give NaN forecasts.",
            type(model).__name__,
        )
    return policy, handles_nan


def _validate(
    model: Any,
    series: Any,
    past_covariates: Any,
    future_covariates: Any,
    *,
    forecast_horizon: Any,
    stride: Any,
    n_repeats: Any,
    seed: Any,
    metrics: Any,
    impute: Any,
    corrupt_target: Any,
) -> Arguments:
    """Check the arguments that do not depend on the corruption: the model, the series, the numbers, the metrics
    and the imputation policy; raise naming the argument, the value seen and the fix."""
    _check_model(model)
    _check_series(series, "series", required=True)
    _check_series(past_covariates, "past_covariates")
    _check_series(future_covariates, "future_covariates")
    if not isinstance(corrupt_target, bool):
        raise TypeError(f"`corrupt_target` must be a bool; got {corrupt_target!r}.")
    if past_covariates is None and future_covariates is None and not corrupt_target:
        raise ValueError(
            "Nothing to corrupt: give `past_covariates` and/or `future_covariates` (or corrupt_target=True)."
        )
    horizon = check_int("forecast_horizon", forecast_horizon, low=1, about="steps per forecast window")
    stride = check_int("stride", stride, low=1, about="steps between the windows' start points")
    n_repeats = check_int("n_repeats", n_repeats, low=1, about="corruption draws per level")
    seed = check_int("seed", seed, low=0)
    metric_fns = _resolve_metrics(metrics)
    policy, handles_nan = _impute_policy(model, impute)
    inputs = {"target": series, "past": past_covariates, "future": future_covariates}
    return Arguments(inputs, horizon, stride, n_repeats, seed, metric_fns, policy, handles_nan, corrupt_target)


# ---------------------------------------------------------------------------------------------------------------
# the evaluation
# ---------------------------------------------------------------------------------------------------------------
def evaluate_robustness(
    model: ForecastingModel,
    series: TimeSeries,
    *,
    past_covariates: TimeSeries | None = None,
    future_covariates: TimeSeries | None = None,
    corruption: str | Corruption | Callable[[float], Corruption] = "multibench",
    levels: Sequence[float] | None = None,
    modalities: None | str | Sequence[str] | Mapping[str, Sequence[str]] = None,
    forecast_horizon: int,
    start: pd.Timestamp | int | float,
    stride: int = 1,
    metrics: Sequence[str | Callable] = ("mse", "mae"),
    n_repeats: int = 1,
    seed: int = 0,
    impute: str | None = None,
    corrupt_target: bool = False,
    historical_forecasts_kwargs: Mapping[str, Any] | None = None,
) -> RobustnessReport:
    """Measure how a fitted darts model's forecasts degrade when its covariates are corrupted or missing.

    Nothing is fitted. For every modality, level and repeat the covariates are corrupted over the evaluation
    period (every timestamp from the first input of the first evaluated window on, see the module docstring),
    ``model.historical_forecasts(..., retrain=False)`` is run from ``start`` and the forecasts are scored against
    the clean ``series``. Window-relative corruptions (latency) are applied to every window's own inputs instead
    and forecast with one batched ``model.predict`` call (see the module docstring).

    Parameters
    ----------
    model
        A fitted darts ``ForecastingModel`` that supports ``historical_forecasts(retrain=False)`` (a global model).
    series
        The target series (one ``TimeSeries``), clean; the scores are computed against it.
    past_covariates, future_covariates
        The covariates the model was fitted with (clean); they are what gets corrupted.
    corruption
        ``"multibench"`` (default), ``"gaussian"``, ``"random_drop"``, ``"structured_drop"``, ``"missing"``; a
        stream fault: ``"outage"`` (NaN blocks), ``"latency"`` (the last steps not yet published, window-relative),
        ``"stuck"`` (a frozen value), ``"spikes"`` (isolated huge errors), see docs/faults.md; or a corruption
        object (swept with its ``with_level`` when it has one); or a factory ``level -> corruption`` (a corruption
        class such as ``GaussianNoise`` works as one).
    levels
        The corruption levels, each in [0, 1] (for latency: numbers of steps, whole numbers >= 0). Default:
        MultiBench's 0.0, 0.1, ..., 0.8; for ``"missing"`` ``(0.0, 1.0)``, i.e. one clean row and one
        modality-removed row per modality (other levels raise); for the stream faults their grid in
        :data:`~pf_forecast.robustness.corruptions.FAULT_LEVELS`: outage and stuck ``(0, 0.05, 0.1, 0.2, 0.4)``
        (expected fraction of affected steps), spikes ``(0, 0.003, 0.01, 0.03, 0.1)`` (fraction of spiked
        values), latency ``(0, 1, 3, 6, 12)`` steps.
    modalities
        Which covariates are corrupted, and how the curves are split:
        ``None`` or ``"all"``: every covariate component together, one curve named ``"all"``;
        ``"each"``: one curve per modality, each corrupted alone: the model's own modalities when it has a
        ``modalities_`` attribute (the target modality is skipped unless ``corrupt_target``), else one per
        covariate component;
        a name or a list of names (model modalities or component names): one curve each;
        a dict ``{curve name: [modality or component names]}``: one curve per key, its members corrupted together.
    forecast_horizon
        The number of steps of every forecast window.
    start
        The first prediction point (darts' ``start``: a timestamp, an int index, or a float fraction of
        ``series``). It must leave the model its full input window (``start >= series start +
        input_chunk_length``) and at least one complete window.
    stride
        Steps between the windows' start points.
    metrics
        darts metric names (``"mse"``, ``"mae"``, ``"rmse"``, ...) or darts metric callables.
    n_repeats
        Independent corruption draws per level (deterministic corruptions are evaluated once and the rows copied).
    seed
        Seed of the corruption draws; repeat ``r`` uses ``numpy.random.default_rng([seed, r])``.
    impute
        How NaN inputs are filled before they reach the model: ``"zero"``, ``"ffill"``, ``"mean"``, ``"seasonal"``
        or ``"none"`` (see *Imputation* above).
        ``None`` (default) picks ``"none"`` for models with ``handles_missing_covariates = True`` and
        ``"zero"`` (MultiBench's fill value) for the others.
    corrupt_target
        Also corrupt the target history the model reads as input (MultiBench corrupts every input modality,
        including the target stock's own returns). The scores always use the clean target.
    historical_forecasts_kwargs
        Extra keyword arguments for ``historical_forecasts`` (e.g. ``predict_kwargs``); the window arguments
        are fixed by this function.

    Returns
    -------
    RobustnessReport
        Tidy curves (``corruption, modality, level, repeat, metric, value``) and metadata.

    Examples
    --------
    >>> report = evaluate_robustness(model, series, past_covariates=covs, forecast_horizon=4,  # doctest: +SKIP
    ...                              start=series.time_index[150], n_repeats=3)
    >>> report.relative_robustness("mse")  # doctest: +SKIP
    """
    args = _validate(model, series, past_covariates, future_covariates, forecast_horizon=forecast_horizon,
                     stride=stride, n_repeats=n_repeats, seed=seed, metrics=metrics, impute=impute,
                     corrupt_target=corrupt_target)
    plan = make_plan(model, args, corruption, levels, modalities, start, historical_forecasts_kwargs)
    run = Run(model, args, plan)
    rows = [row for name, group in plan.groups.items() for level in plan.levels
            for row in run.rows(name, group, level)]
    return RobustnessReport(pd.DataFrame(rows, columns=list(CURVE_COLUMNS)), _metadata(model, args, plan, run))


def _metadata(model: Any, args: Arguments, plan: RobustnessPlan, run: Run) -> dict[str, Any]:
    """The report's metadata: what was run, on which windows, with which settings."""
    return {
        "model": type(model).__name__,
        "corruption": plan.corruption_name,
        "impute": args.policy,
        "handles_missing_covariates": args.handles_nan,
        "start": plan.start,
        "corruption_start": plan.corruption_start,
        "min_input_lag": plan.min_lag,
        "window_relative": plan.window_relative,
        "level_unit": plan.level_unit,
        "forecast_horizon": args.horizon,
        "stride": args.stride,
        "n_windows": run.n_windows,
        "levels": list(plan.levels),
        "n_repeats": args.n_repeats,
        "seed": args.seed,
        "corrupt_target": args.corrupt_target,
        "metrics": [name for name, _ in args.metrics],
        "modalities": {name: {src: list(c) for src, c in g.items()} for name, g in plan.groups.items()},
    }


# ---------------------------------------------------------------------------------------------------------------
# modality importance and fusion weights
# ---------------------------------------------------------------------------------------------------------------
def mean_fusion_weights(
    model: Any,
    series: TimeSeries,
    *,
    past_covariates: TimeSeries | None = None,
    future_covariates: TimeSeries | None = None,
    start: pd.Timestamp | int | float | None = None,
    stride: int = 1,
) -> pd.Series | None:
    """Mean gated-fusion weight per modality (``"target"`` included), or None for models without gated fusion.

    Calls ``model.fusion_weights(series, past_covariates=..., future_covariates=..., start=..., stride=...)``
    (a frame with one row per forecast window and one column per modality, rows summing to 1) when the model has
    that method and ``model.fusion == "gated"``, on the clean inputs. ``start`` / ``stride`` are passed on when
    the method accepts them; in any case, when ``start`` is given and the frame is indexed by time like
    ``series``, only the windows indexed at or after ``start`` are averaged.

    Parameters
    ----------
    model
        A fitted model; anything without ``fusion_weights`` / gated fusion (e.g. ``TiDEModel``) gives None.
    series, past_covariates, future_covariates
        The clean inputs.
    start
        Optional first window (same forms as in :func:`evaluate_robustness`).
    stride
        Steps between the windows.

    Returns
    -------
    pandas.Series or None
        Modality name -> mean weight (named ``"fusion_weight"``).

    Examples
    --------
    >>> mean_fusion_weights(tide_model, series, past_covariates=covs) is None  # doctest: +SKIP
    True
    """
    if not hasattr(model, "fusion_weights") or getattr(model, "fusion", None) != "gated":
        return None
    start_ts = None
    if start is not None:
        start_ts = series.time_index[
            series.get_index_at_point(pd.Timestamp(start) if isinstance(start, str) else start)
        ]
    weights = model.fusion_weights(
        series, past_covariates=past_covariates, future_covariates=future_covariates,
        **_fusion_weights_kwargs(model, start_ts, stride),
    )
    frame = _windows_from(pd.DataFrame(weights), series, start_ts)
    out = frame.mean(axis=0).astype(float)
    out.name = "fusion_weight"
    out.index.name = "modality"
    return out


def _fusion_weights_kwargs(model: Any, start_ts: Any, stride: int) -> dict[str, Any]:
    """``start`` / ``stride`` for ``model.fusion_weights``, where its signature takes them."""
    kwargs: dict[str, Any] = {}
    try:
        params = inspect.signature(model.fusion_weights).parameters
    except (TypeError, ValueError):  # pragma: no cover (builtins without a signature)
        params = {}
    if "start" in params and start_ts is not None:
        kwargs["start"] = start_ts
    if "stride" in params:
        kwargs["stride"] = stride
    return kwargs


def _windows_from(frame: pd.DataFrame, series: TimeSeries, start_ts: Any) -> pd.DataFrame:
    """The rows of ``frame`` indexed at or after ``start_ts``, when it is indexed by time like ``series``."""
    if start_ts is None or not len(frame):
        return frame
    same_kind = isinstance(frame.index, pd.DatetimeIndex) == isinstance(series.time_index, pd.DatetimeIndex)
    if same_kind and (isinstance(frame.index, pd.DatetimeIndex) or pd.api.types.is_integer_dtype(frame.index)):
        return frame[np.asarray(frame.index >= start_ts)]
    return frame


def modality_importance(
    model: ForecastingModel,
    series: TimeSeries,
    *,
    past_covariates: TimeSeries | None = None,
    future_covariates: TimeSeries | None = None,
    forecast_horizon: int,
    start: pd.Timestamp | int | float,
    metric: str | Callable = "mse",
    modalities: None | str | Sequence[str] | Mapping[str, Sequence[str]] = None,
    stride: int = 1,
    impute: str | None = None,
    corrupt_target: bool = False,
) -> pd.Series:
    """How much the metric increases when each modality alone is removed (made entirely missing).

    Runs :func:`evaluate_robustness` with ``corruption="missing"`` (levels 0 = clean and 1 = removed) and the
    model's imputation policy (``impute=None``: none for models that handle missing covariates, ``"zero"``
    otherwise), and returns ``metric(removed) - metric(clean)`` per modality.

    Parameters
    ----------
    model, series, past_covariates, future_covariates, forecast_horizon, start, stride, impute, corrupt_target
        As in :func:`evaluate_robustness`.
    metric
        One darts metric (name or callable); for error metrics a positive increase means the modality helps.
    modalities
        As in :func:`evaluate_robustness`; default ``"each"`` (every model modality, or every covariate
        component, removed alone).

    Returns
    -------
    pandas.Series
        Indexed by modality name, named ``"<metric>_increase"``. ``.attrs`` holds plain values:
        ``"clean"`` (the clean metric), ``"impute"`` (the policy applied), ``"metric"`` and, for a model with
        gated fusion (``model.fusion == "gated"`` and a ``fusion_weights`` method), ``"fusion_weights"``: a dict
        modality -> mean fusion weight over the evaluated windows (see :func:`mean_fusion_weights`); otherwise
        ``None``.

    Examples
    --------
    >>> imp = modality_importance(model, series, past_covariates=covs, forecast_horizon=4,  # doctest: +SKIP
    ...                           start=series.time_index[150])
    >>> imp.sort_values(ascending=False)  # doctest: +SKIP
    """
    report = evaluate_robustness(
        model,
        series,
        past_covariates=past_covariates,
        future_covariates=future_covariates,
        corruption="missing",
        levels=(0.0, 1.0),
        modalities="each" if modalities is None else modalities,
        forecast_horizon=forecast_horizon,
        start=start,
        stride=stride,
        metrics=(metric,),
        impute=impute,
        corrupt_target=corrupt_target,
    )
    name = report.metadata["metrics"][0]
    wide = report.mean_curves(name)  # rows: levels 0 and 1; columns: ("missing", modality)
    clean = float(wide.loc[0.0].iloc[0])
    increase = wide.loc[1.0] - wide.loc[0.0]
    out = pd.Series(
        increase.to_numpy(dtype=float),
        index=pd.Index(wide.columns.get_level_values("modality"), name="modality"),
        name=f"{name}_increase",
    )
    weights = mean_fusion_weights(
        model,
        series,
        past_covariates=past_covariates,
        future_covariates=future_covariates,
        start=report.metadata["start"],
        stride=report.metadata["stride"],
    )
    out.attrs = {
        "metric": name,
        "clean": clean,
        "impute": report.metadata["impute"],
        "fusion_weights": None if weights is None else {str(k): float(v) for k, v in weights.items()},
    }
    return out
