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
carries the last observed value forward and falls back to those means. The policy is recorded in the report.
"""

from __future__ import annotations

import inspect
import logging
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from darts import TimeSeries
from darts import metrics as darts_metrics
from darts.models.forecasting.forecasting_model import ForecastingModel, GlobalForecastingModel

from .corruptions import (
    _REGISTRY,
    FAULT_LEVELS,
    MULTIBENCH_LEVELS,
    Compose,
    Corruption,
    _check_level,
    _check_steps,
    _ffill_rows,
)
from .imputation import _reference_means, check_impute_policy, fill_values, impute_missing
from .report import CURVE_COLUMNS, RobustnessReport

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
_SOURCES = ("target", "past", "future")

Group = dict[str, tuple[str, ...]]  # source ("target" | "past" | "future") -> component names


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


def _check_positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer; got {value!r}.")
    return int(value)


def _resolve_metrics(metrics: Any) -> list[tuple[str, Callable]]:
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    out: list[tuple[str, Callable]] = []
    for m in metrics:
        if isinstance(m, str):
            if m.lower() not in METRIC_NAMES:
                raise ValueError(
                    f"Unknown metric {m!r}; expected a darts metric callable or one of {METRIC_NAMES}."
                )
            out.append((m.lower(), getattr(darts_metrics, m.lower())))
        elif callable(m):
            out.append((getattr(m, "__name__", type(m).__name__), m))
        else:
            raise TypeError(f"Metrics must be names or darts metric callables; got {m!r}.")
    if not out:
        raise ValueError("`metrics` is empty; give at least one metric, e.g. ('mse', 'mae').")
    names = [n for n, _ in out]
    if len(set(names)) != len(names):
        raise ValueError(f"Metric names must be unique; got {names}.")
    return out


def _resolve_levels(levels: Any, default: Sequence[float], unit: str = "fraction") -> tuple[float, ...]:
    if levels is None:
        levels = default
    if isinstance(levels, numbers.Real):
        levels = [levels]
    if unit == "steps":  # Latency: a level is a number of steps
        levels = tuple(float(_check_steps(v, "levels")) for v in levels)
    else:
        levels = tuple(_check_level(v, "levels") for v in levels)
    if not levels:
        raise ValueError(
            "`levels` is empty; give at least one level "
            + ("(a number of steps >= 0)." if unit == "steps" else "in [0, 1].")
        )
    if len(set(levels)) != len(levels):
        raise ValueError(f"`levels` must not repeat a level; got {list(levels)}.")
    return levels


# ---------------------------------------------------------------------------------------------------------------
# corruption and modality resolution
# ---------------------------------------------------------------------------------------------------------------
def _resolve_corruption(corruption: Any) -> tuple[str, Callable[[float], Any], tuple[float, ...], bool, str]:
    """-> (name, factory level -> corruption, default levels, identity-at-0 guaranteed, level unit)."""
    if isinstance(corruption, str):
        key = corruption.lower()
        if key not in _REGISTRY:
            raise ValueError(f"Unknown corruption {corruption!r}; expected one of {sorted(_REGISTRY)}.")
        default = (0.0, 1.0) if key == "missing" else FAULT_LEVELS.get(key, MULTIBENCH_LEVELS)
        return key, _REGISTRY[key], default, True, "steps" if key == "latency" else "fraction"
    if hasattr(corruption, "apply") and not isinstance(corruption, type):
        name = getattr(corruption, "name", None) or type(corruption).__name__
        default = tuple(getattr(corruption, "default_levels", MULTIBENCH_LEVELS))
        unit = str(getattr(corruption, "level_unit", "fraction"))
        if hasattr(corruption, "with_level"):
            return str(name), corruption.with_level, default, isinstance(corruption, Corruption), unit
        level = getattr(corruption, "level", np.nan)
        fixed = (float(level),) if level is not None and np.isfinite(level) else (np.nan,)
        return str(name), lambda _level: corruption, fixed, False, unit
    if callable(corruption):
        name = getattr(corruption, "name", None)  # a corruption class has one; else the objects' name is used
        default = tuple(getattr(corruption, "default_levels", MULTIBENCH_LEVELS))
        unit = str(getattr(corruption, "level_unit", "fraction"))  # a class (Latency) says what its levels mean
        return name if isinstance(name, str) else "", corruption, default, False, unit
    raise TypeError(
        f"`corruption` must be a name ({sorted(_REGISTRY)}), a corruption object with an `apply` method, or a "
        f"callable level -> corruption; got {corruption!r}."
    )


def _model_modalities(model: Any) -> dict[str, tuple[str, tuple[str, ...]]] | None:
    """The model's own modalities as name -> (source, components), from ``model.modalities_`` when present."""
    mods = getattr(model, "modalities_", None)
    if mods is None:
        return None
    items = mods.items() if hasattr(mods, "items") else ((getattr(m, "name", None), m) for m in mods)
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    for name, m in items:
        source = getattr(m, "source", None)
        components = getattr(m, "components", None)
        if name is None or source not in _SOURCES or components is None:
            raise ValueError(
                f"`model.modalities_` entry {name!r} must have `.source` in {_SOURCES} and `.components`; got {m!r}."
            )
        out[str(name)] = (source, tuple(components))
    return out


def _merge(groups: Iterable[Group]) -> Group:
    out: dict[str, list[str]] = {}
    for g in groups:
        for src, comps in g.items():
            lst = out.setdefault(src, [])
            lst.extend(c for c in comps if c not in lst)
    return {src: tuple(c) for src, c in out.items() if c}


def _resolve_groups(
    model: Any, modalities: Any, inputs: Mapping[str, TimeSeries | None], corrupt_target: bool
) -> dict[str, Group]:
    """The modalities to corrupt: name -> source -> components (validated against the given series)."""
    available = {
        src: tuple(ts.components)
        for src, ts in inputs.items()
        if ts is not None and (src != "target" or corrupt_target)
    }
    model_mods = _model_modalities(model)
    if model_mods is not None and not corrupt_target:
        model_mods = {k: v for k, v in model_mods.items() if v[0] != "target"}

    def from_model(name: str) -> Group:
        source, comps = model_mods[name]  # type: ignore[index]
        if source not in available:
            raise ValueError(
                f"Modality {name!r} is read from the {source} input, but no {source} series was given"
                + (
                    " (pass corrupt_target=True to corrupt the target history)."
                    if source == "target"
                    else "."
                )
            )
        unknown = [c for c in comps if c not in available[source]]
        if unknown:
            raise ValueError(
                f"Modality {name!r} lists {source} components {unknown} that the given {source} series lacks "
                f"(it has {list(available[source])})."
            )
        return {source: comps}

    def resolve_item(item: Any) -> Group:
        if not isinstance(item, str):
            raise TypeError(f"Modality and component names must be strings; got {item!r}.")
        if model_mods is not None and item in model_mods:
            return from_model(item)
        group = {src: (item,) for src, comps in available.items() if item in comps}
        if not group:
            known = sorted(model_mods) if model_mods is not None else []
            comps = [c for cs in available.values() for c in cs]
            hint = "" if corrupt_target else " (the target is not corrupted unless corrupt_target=True)"
            raise ValueError(
                f"Unknown modality or component {item!r}; model modalities: {known}, corruptible components: "
                f"{comps}{hint}."
            )
        return group

    if modalities is None or (isinstance(modalities, str) and modalities == "all"):
        groups = {"all": {src: comps for src, comps in available.items()}}
    elif isinstance(modalities, str) and modalities == "each":
        if model_mods is not None:
            groups = {name: from_model(name) for name in model_mods}
            if corrupt_target and not any(src == "target" for src, _ in model_mods.values()):
                groups["target"] = {"target": available["target"]}
        else:
            names = list(dict.fromkeys(c for comps in available.values() for c in comps))
            groups = {name: resolve_item(name) for name in names}
    elif isinstance(modalities, str):
        groups = {modalities: resolve_item(modalities)}
    elif isinstance(modalities, Mapping):
        groups = {}
        for name, items in modalities.items():
            if isinstance(items, str):
                items = [items]
            groups[str(name)] = _merge(resolve_item(i) for i in items)
    elif isinstance(modalities, Iterable):
        groups = {str(item): resolve_item(item) for item in modalities}
    else:
        raise TypeError(
            f"`modalities` must be None, 'all', 'each', a name, a list of names or a dict name -> components; "
            f"got {modalities!r}."
        )
    empty = [name for name, g in groups.items() if not g]
    if not groups or empty:
        raise ValueError(f"No component to corrupt for modalities {empty or modalities!r}.")
    return groups


# ---------------------------------------------------------------------------------------------------------------
# time bookkeeping
# ---------------------------------------------------------------------------------------------------------------
def _resolve_start(model: Any, series: TimeSeries, start: Any, horizon: int) -> tuple[int, Any, int]:
    """-> (start position in ``series``, start timestamp, number of windows at stride 1 check)."""
    if start is None or isinstance(start, bool):
        raise ValueError(f"`start` must be a timestamp, an int or a float in [0, 1]; got {start!r}.")
    if isinstance(start, str) and series.has_datetime_index:
        start = pd.Timestamp(start)
    try:
        idx = series.get_index_at_point(start)
    except Exception as err:  # darts raises ValueError / KeyError with its own wording
        raise ValueError(
            f"`start`={start!r} is not a point of `series` ({series.start_time()} .. {series.end_time()}): {err}"
        ) from err
    min_target_lag = model.extreme_lags[0]
    earliest = -int(min_target_lag) if min_target_lag is not None else 0
    if idx < earliest:
        raise ValueError(
            f"`start`={start!r} (position {idx}) is before the first point {type(model).__name__} can forecast: "
            f"position {earliest} ({series.time_index[earliest] if earliest < len(series) else 'beyond the end'}), "
            f"i.e. series start + {earliest} steps of input (input_chunk_length)."
        )
    shift = int(getattr(model, "output_chunk_shift", 0) or 0)
    if idx + shift + horizon > len(series):
        raise ValueError(
            f"`start`={start!r} (position {idx}) leaves no complete window of forecast_horizon={horizon} inside "
            f"`series` (length {len(series)}); choose an earlier start or a shorter horizon."
        )
    return idx, series.time_index[idx], earliest


def _corruption_start(
    model: Any, series: TimeSeries, start_ts: Any, sources: Iterable[str]
) -> tuple[Any, int]:
    """The first corrupted timestamp: ``start + min_lag * freq`` over the lags of the corrupted inputs."""
    lags = model.extreme_lags
    by_source = {"target": lags[0], "past": lags[2], "future": lags[4]}
    used = [by_source[s] for s in sources if by_source.get(s) is not None]
    fallback = -int(getattr(model, "input_chunk_length", 0) or 0)
    min_lag = min(used) if used else fallback
    min_lag = min(int(min_lag), 0)
    return start_ts + min_lag * series.freq, min_lag


# ---------------------------------------------------------------------------------------------------------------
# window-relative corruptions: every window's inputs as they are at its forecast point
# ---------------------------------------------------------------------------------------------------------------
#: ``historical_forecasts_kwargs`` keys that carry over to the per-window ``predict`` call (the others are about
#: how historical_forecasts plans its windows, which the window path does itself).
_WINDOW_KWARGS = frozenset({"num_samples", "predict_likelihood_parameters", "predict_kwargs", "verbose",
                            "show_warnings", "enable_optimization"})


def _predict_kwargs(hf_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in hf_kwargs.items() if k in ("num_samples", "predict_likelihood_parameters", "verbose",
                                                         "show_warnings")}
    out.update(hf_kwargs.get("predict_kwargs") or {})
    return out


def _lag_span(model: Any) -> tuple[int, int]:
    """(most negative input lag <= 0, largest lag >= 0) over target and covariates, from darts' ``extreme_lags``."""
    lags = model.extreme_lags
    lows = [int(v) for v in (lags[0], lags[2], lags[4]) if v is not None]
    highs = [int(v) for v in (lags[1], lags[3], lags[5]) if v is not None]
    low = min(lows) if lows else -int(getattr(model, "input_chunk_length", 0) or 0)
    return min(low, 0), max(max(highs) if highs else 0, 0)


def _window_feeds(
    model: Any,
    corruption: Any,
    group: Group,
    rng: np.random.Generator,
    inputs: Mapping[str, TimeSeries | None],
    clean_feed: Mapping[str, TimeSeries | None],
    starts: Sequence[Any],
    horizon: int,
    policy: str,
    corruption_start: Any,
) -> dict[str, list[TimeSeries] | None]:
    """One input per window and source for ``model.predict(series=[...], ...)``.

    For every window (forecast point ``p`` = its first forecast time minus ``output_chunk_shift``): the target is
    the history ``series[p + min_lag : p]``; a corrupted source is sliced to the steps the model can read
    (``p + min_lag`` .. ``p + max_lag + horizon``), handed to ``corruption.apply_window(slice, p, role=source)``
    and imputed like the fast path, with the means computed once (``ffill`` carries the last clean value before
    the slice in, so each window gets what imputing the whole series with that window's fault would give it); an
    uncorrupted source is the clean (imputed) series itself, shared by every window (no copy).
    """
    series = inputs["target"]
    freq = series.freq
    shift = int(getattr(model, "output_chunk_shift", 0) or 0)
    low, high = _lag_span(model)
    # per corrupted source, once: the clean training-period means and the last finite clean value at or before
    # every step (what ffill carries into a slice from before it)
    means = {src: _reference_means(inputs[src], corruption_start) for src in group} if policy != "none" else {}
    ffilled = {src: _ffill_rows(inputs[src].all_values(copy=False)) for src in group} if policy == "ffill" else {}
    feeds: dict[str, list[TimeSeries] | None] = {
        src: (None if inputs[src] is None else []) for src in _SOURCES
    }
    for first_forecast in starts:
        point = first_forecast - shift * freq  # the forecast point: the step after the input window
        p = int(series.get_index_at_point(point))
        lo = max(p + low, 0)
        for src in _SOURCES:
            ts = inputs[src]
            if ts is None:
                continue
            if src == "target":
                window = (inputs if "target" in group else clean_feed)["target"][lo:p]
                i0 = lo
            elif src in group:
                index = ts.time_index
                i0 = int(index.searchsorted(series.time_index[lo]))
                i1 = int(index.searchsorted(point + (high + horizon) * freq, side="right"))
                window = ts[i0:i1]
            else:
                feeds[src].append(clean_feed[src])  # type: ignore[union-attr]
                continue
            if src in group:
                window = corruption.apply_window(window, point, role=src, components=list(group[src]), rng=rng)
                if policy != "none":
                    carry = ffilled[src][i0 - 1] if policy == "ffill" and i0 > 0 else None  # (C, S)
                    values = fill_values(window.all_values(copy=True), policy, means[src], carry)  # (T, C, S)
                    window = window.with_values(values.astype(window.dtype, copy=False))
            feeds[src].append(window)  # type: ignore[union-attr]
    return feeds


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
        How NaN inputs are filled before they reach the model: ``"zero"``, ``"ffill"``, ``"mean"`` or ``"none"``.
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
    horizon = _check_positive_int(forecast_horizon, "forecast_horizon")
    stride = _check_positive_int(stride, "stride")
    n_repeats = _check_positive_int(n_repeats, "n_repeats")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"`seed` must be a non-negative integer; got {seed!r}.")
    metric_fns = _resolve_metrics(metrics)
    policy = check_impute_policy(impute)
    handles_nan = bool(getattr(model, "handles_missing_covariates", False))
    if policy is None:
        policy = "none" if handles_nan else "zero"
    elif policy == "none" and not handles_nan:
        logger.warning(
            "impute='none' with %s, which does not declare handles_missing_covariates: NaN inputs will likely "
            "give NaN forecasts.",
            type(model).__name__,
        )
    corruption_name, factory, default_levels, identity_at_zero, level_unit = _resolve_corruption(corruption)
    fixed_object = (
        hasattr(corruption, "apply")
        and not isinstance(corruption, type)
        and not hasattr(corruption, "with_level")
    )
    if not fixed_object:
        levels = _resolve_levels(levels, default_levels, level_unit)
    elif levels is not None:
        raise ValueError(
            f"`levels`={levels!r} cannot be applied to {corruption!r}, which has no `with_level` method; pass a "
            "factory level -> corruption instead."
        )
    else:
        levels = default_levels
    per_level = {level: factory(level) for level in levels}  # validates the levels for "missing" up front
    for level, obj in per_level.items():
        if not hasattr(obj, "apply") or isinstance(obj, type):
            raise TypeError(
                f"The corruption factory returned {obj!r} for level {level}; it has no `apply` method."
            )

    for level, obj in per_level.items():
        if isinstance(obj, Compose) and obj.window_relative:
            raise ValueError(
                f"`corruption` at level {level} composes a window-relative part ({obj!r}) with others; that is not "
                "supported. Evaluate the window-relative corruption (e.g. Latency) on its own."
            )
    window_relative = any(
        bool(getattr(obj, "window_relative", False)) and not bool(getattr(obj, "is_identity", False))
        for obj in per_level.values()
    )
    if window_relative and not isinstance(model, GlobalForecastingModel):
        raise TypeError(
            f"`corruption` {corruption!r} is window-relative and is evaluated with one model.predict(series=[...]) "
            f"call over all windows, which needs a global darts model; {type(model).__name__} is a local model."
        )

    if not corruption_name:  # a factory: name the curves after what it builds
        sample = per_level[levels[0]]
        corruption_name = getattr(sample, "name", None)
        if not isinstance(corruption_name, str) or corruption_name == "none":
            corruption_name = getattr(corruption, "__name__", type(corruption).__name__)

    inputs: dict[str, TimeSeries | None] = {
        "target": series,
        "past": past_covariates,
        "future": future_covariates,
    }
    groups = _resolve_groups(model, modalities, inputs, corrupt_target)
    _, start_ts, _ = _resolve_start(model, series, start, horizon)
    corrupted_sources = [s for s in _SOURCES if inputs[s] is not None and (s != "target" or corrupt_target)]
    corruption_start, min_lag = _corruption_start(model, series, start_ts, corrupted_sources)
    hf_kwargs = dict(historical_forecasts_kwargs or {})
    fixed = {
        "series",
        "past_covariates",
        "future_covariates",
        "forecast_horizon",
        "start",
        "stride",
        "retrain",
        "last_points_only",
        "overlap_end",
    }
    clash = sorted(fixed & set(hf_kwargs))
    if clash:
        raise ValueError(
            f"`historical_forecasts_kwargs` must not set {clash}; they are arguments of this function."
        )
    if window_relative:
        unusable = sorted(set(hf_kwargs) - _WINDOW_KWARGS)
        if unusable:
            raise ValueError(
                f"`historical_forecasts_kwargs` keys {unusable} cannot be applied to the window-relative corruption "
                f"{corruption_name or corruption!r}, which is evaluated with model.predict per window; use only "
                f"{sorted(_WINDOW_KWARGS)}."
            )

    n_windows: list[int] = []
    clean: dict[str, Any] = {}  # the clean run: scores, the imputed inputs and the forecasts' start times

    def imputed(src: str, ts: TimeSeries | None) -> TimeSeries | None:
        if ts is None or policy == "none" or src not in corrupted_sources:
            return ts
        return impute_missing(ts, policy, reference=inputs[src], before=corruption_start)

    def score(forecasts: Sequence[TimeSeries], how: str) -> dict[str, float]:
        if not forecasts:
            raise ValueError(f"{how} produced no window from start={start_ts!r}.")
        bad = sum(int((~np.isfinite(f.values(copy=False))).sum()) for f in forecasts)
        if bad:  # a NaN score would silently rank the model
            fix = ("choose impute='ffill', 'mean' or 'zero' (None picks 'zero' for this model)" if not handles_nan
                   else "check the model's inputs: it declares handles_missing_covariates but did not cope")
            raise ValueError(
                f"{type(model).__name__} returned {bad} non-finite forecast values with impute={policy!r}; the "
                f"scores would be NaN. {fix[0].upper() + fix[1:]}."
            )
        n_windows.append(len(forecasts))
        actual = [series] * len(forecasts)
        return {name: float(np.mean(fn(actual, forecasts))) for name, fn in metric_fns}

    def run(corrupted: Mapping[str, TimeSeries | None]) -> tuple[dict[str, float], list[TimeSeries]]:
        feed = {src: imputed(src, corrupted[src]) for src in _SOURCES}
        forecasts = model.historical_forecasts(
            series=feed["target"],
            past_covariates=feed["past"],
            future_covariates=feed["future"],
            forecast_horizon=horizon,
            start=start_ts,
            stride=stride,
            retrain=False,
            last_points_only=False,
            overlap_end=False,
            **{"verbose": False, "show_warnings": False, **hf_kwargs},
        )
        return score(forecasts, "historical_forecasts"), list(forecasts)

    def run_clean() -> dict[str, float]:
        if not clean:
            scores, forecasts = run(inputs)
            clean.update(scores=scores, starts=[f.start_time() for f in forecasts])
        return clean["scores"]

    def run_windows(obj: Any, group: Group, rng: np.random.Generator) -> dict[str, float]:
        run_clean()  # the windows are exactly the clean historical forecasts' windows
        if "feed" not in clean:
            clean["feed"] = {src: imputed(src, inputs[src]) for src in _SOURCES}
        feeds = _window_feeds(
            model, obj, group, rng, inputs, clean["feed"], clean["starts"], horizon, policy, corruption_start
        )
        predict_kwargs = {"verbose": False, "show_warnings": False, **_predict_kwargs(hf_kwargs)}
        forecasts = model.predict(
            n=horizon,
            series=feeds["target"],
            past_covariates=feeds["past"],
            future_covariates=feeds["future"],
            **predict_kwargs,
        )
        got = [f.start_time() for f in forecasts]
        if got != clean["starts"]:  # the same windows as the clean run, or the comparison is meaningless
            raise RuntimeError(
                f"per-window predict gave forecasts starting at {got[:3]}..., expected {clean['starts'][:3]}...; "
                "this is a bug in evaluate_robustness's window plan."
            )
        return score(forecasts, "per-window predict")

    rows: list[dict[str, Any]] = []
    for group_name, group in groups.items():
        for level in levels:
            obj = per_level[level]
            is_identity = bool(getattr(obj, "is_identity", False)) or (identity_at_zero and level == 0.0)
            stochastic = bool(getattr(obj, "stochastic", True))
            first: dict[str, float] | None = None
            for repeat in range(n_repeats):
                if is_identity:
                    scores = run_clean()
                elif first is not None and not stochastic:
                    scores = first
                elif getattr(obj, "window_relative", False):
                    scores = run_windows(obj, group, np.random.default_rng([int(seed), repeat]))
                else:
                    rng = np.random.default_rng([int(seed), repeat])
                    corrupted = dict(inputs)
                    for src in _SOURCES:
                        if src in group:
                            corrupted[src] = obj.apply(
                                inputs[src], rng, components=list(group[src]), start=corruption_start
                            )
                    scores, _ = run(corrupted)
                first = scores if first is None else first
                rows.extend(
                    {
                        "corruption": corruption_name,
                        "modality": group_name,
                        "level": level,
                        "repeat": repeat,
                        "metric": name,
                        "value": value,
                    }
                    for name, value in scores.items()
                )

    metadata = {
        "model": type(model).__name__,
        "corruption": corruption_name,
        "impute": policy,
        "handles_missing_covariates": handles_nan,
        "start": start_ts,
        "corruption_start": corruption_start,
        "min_input_lag": min_lag,
        "window_relative": window_relative,
        "level_unit": level_unit,
        "forecast_horizon": horizon,
        "stride": stride,
        "n_windows": n_windows[0] if n_windows else 0,
        "levels": list(levels),
        "n_repeats": n_repeats,
        "seed": int(seed),
        "corrupt_target": corrupt_target,
        "metrics": [name for name, _ in metric_fns],
        "modalities": {name: {src: list(c) for src, c in g.items()} for name, g in groups.items()},
    }
    return RobustnessReport(pd.DataFrame(rows, columns=list(CURVE_COLUMNS)), metadata)


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
    kwargs: dict[str, Any] = {}
    try:
        params = inspect.signature(model.fusion_weights).parameters
    except (TypeError, ValueError):  # pragma: no cover (builtins without a signature)
        params = {}
    if "start" in params and start_ts is not None:
        kwargs["start"] = start_ts
    if "stride" in params:
        kwargs["stride"] = stride
    weights = model.fusion_weights(
        series, past_covariates=past_covariates, future_covariates=future_covariates, **kwargs
    )
    frame = pd.DataFrame(weights)
    if start_ts is not None and len(frame):
        same_kind = isinstance(frame.index, pd.DatetimeIndex) == isinstance(
            series.time_index, pd.DatetimeIndex
        )
        if same_kind and (
            isinstance(frame.index, pd.DatetimeIndex) or pd.api.types.is_integer_dtype(frame.index)
        ):
            frame = frame[np.asarray(frame.index >= start_ts)]
    out = frame.mean(axis=0).astype(float)
    out.name = "fusion_weight"
    out.index.name = "modality"
    return out


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
