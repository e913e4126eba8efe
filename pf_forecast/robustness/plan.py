"""The plan of :func:`~pf_forecast.robustness.evaluate_robustness`: everything resolved before a forecast is made.

:func:`make_plan` turns the (already validated) arguments into a :class:`RobustnessPlan`: the corruption object of
every level, the modality groups to corrupt, the first prediction point, the first corrupted timestamp and which
path evaluates the corruption (one ``historical_forecasts`` run per corrupted copy, or per window for
window-relative corruptions such as Latency). Every mistake in the arguments is reported here, before the model
is run.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from darts import TimeSeries
from darts.models.forecasting.forecasting_model import GlobalForecastingModel

from pf_forecast._checks import check_float
from pf_forecast.nn.modality import SOURCES

from .corruptions import _REGISTRY, MULTIBENCH_LEVELS, REGISTERED_CLASSES, Compose, Corruption
from .faults import _check_steps

__all__ = ["Arguments", "Group", "RobustnessPlan", "make_plan"]

Group = dict[str, tuple[str, ...]]  # source ("target" | "past" | "future") -> component names

#: ``historical_forecasts`` arguments that evaluate_robustness sets itself.
_FIXED_KWARGS = frozenset({"series", "past_covariates", "future_covariates", "forecast_horizon", "start", "stride",
                           "retrain", "last_points_only", "overlap_end"})
#: ``historical_forecasts_kwargs`` keys that carry over to the per-window ``predict`` call (the others are about
#: how historical_forecasts plans its windows, which the window path does itself).
WINDOW_KWARGS = frozenset({"num_samples", "predict_likelihood_parameters", "predict_kwargs", "verbose",
                           "show_warnings", "enable_optimization"})


@dataclasses.dataclass(frozen=True)
class Arguments:
    """The validated arguments of ``evaluate_robustness`` that the plan and the run read."""

    inputs: dict[str, TimeSeries | None]  # source -> the clean series ("target" is `series`)
    horizon: int
    stride: int
    n_repeats: int
    seed: int
    metrics: list[tuple[str, Callable]]  # (name, darts metric)
    policy: str  # the imputation policy applied ("none" included)
    handles_nan: bool  # the model declares handles_missing_covariates
    corrupt_target: bool


@dataclasses.dataclass(frozen=True)
class RobustnessPlan:
    """What ``evaluate_robustness`` runs: one curve per group, one point per level.

    Attributes
    ----------
    corruption_name
        The name of the curves.
    levels, per_level
        The levels swept, in order, and the corruption object of each.
    identity_at_zero
        Level 0 is known to be the identity (the registered corruptions): it is scored on the clean inputs.
    level_unit
        ``"fraction"`` or ``"steps"`` (Latency).
    window_relative
        Some level is a window-relative corruption, evaluated per forecast window with one batched predict.
    groups
        Curve name -> source -> the components corrupted together.
    start, corruption_start, min_lag
        The first prediction point, the first corrupted timestamp and the input lag between them.
    corrupted_sources
        The inputs that may be corrupted (and are imputed): the covariates given, and the target if asked.
    hf_kwargs
        The extra ``historical_forecasts`` arguments.
    """

    corruption_name: str
    levels: tuple[float, ...]
    per_level: dict[float, Any]
    identity_at_zero: bool
    level_unit: str
    window_relative: bool
    groups: dict[str, Group]
    start: Any
    corruption_start: Any
    min_lag: int
    corrupted_sources: tuple[str, ...]
    hf_kwargs: dict[str, Any]

    def is_identity(self, level: float) -> bool:
        """Whether the corruption at ``level`` leaves the inputs as they are (scored as the clean run)."""
        obj = self.per_level[level]
        return bool(getattr(obj, "is_identity", False)) or (self.identity_at_zero and level == 0.0)


def make_plan(
    model: Any,
    args: Arguments,
    corruption: Any,
    levels: Any,
    modalities: Any,
    start: Any,
    historical_forecasts_kwargs: Mapping[str, Any] | None,
) -> RobustnessPlan:
    """Resolve the corruption, its levels, the groups and the time bookkeeping; raise on any bad argument."""
    spec = _resolve_corruption(corruption)
    levels = _plan_levels(spec, corruption, levels)
    per_level = _corruptions_per_level(spec.factory, levels)
    window_relative = _check_window_relative(model, corruption, per_level)
    name = spec.name or _factory_curve_name(corruption, per_level[levels[0]])
    inputs = args.inputs
    groups = _resolve_groups(model, modalities, inputs, args.corrupt_target)
    start_ts = _resolve_start(model, inputs["target"], start, args.horizon)
    sources = tuple(s for s in SOURCES if inputs[s] is not None and (s != "target" or args.corrupt_target))
    corruption_start, min_lag = _corruption_start(model, inputs["target"], start_ts, sources)
    hf_kwargs = _check_hf_kwargs(historical_forecasts_kwargs, window_relative, name or corruption)
    return RobustnessPlan(name, levels, per_level, spec.identity_at_zero, spec.level_unit, window_relative, groups,
                          start_ts, corruption_start, min_lag, sources, hf_kwargs)


# ---------------------------------------------------------------------------------------------------------------
# the corruption and its levels
# ---------------------------------------------------------------------------------------------------------------
class _CorruptionSpec(NamedTuple):
    name: str  # "" for a factory: named after what it builds
    factory: Callable[[float], Any]  # level -> corruption
    default_levels: tuple[float, ...]
    identity_at_zero: bool  # level 0 is guaranteed to be the identity
    level_unit: str
    fixed: bool  # an object without `with_level`: evaluated as it is, at its own level


def _resolve_corruption(corruption: Any) -> _CorruptionSpec:
    """What ``corruption`` (a registered name, a corruption object or a factory) sweeps, and how."""
    if isinstance(corruption, str):
        key = corruption.lower()
        if key not in _REGISTRY:
            raise ValueError(f"Unknown corruption {corruption!r}; expected one of {sorted(_REGISTRY)}.")
        cls = REGISTERED_CLASSES[key]
        return _CorruptionSpec(key, _REGISTRY[key], tuple(cls.default_levels), True, cls.level_unit, False)
    if hasattr(corruption, "apply") and not isinstance(corruption, type):
        return _object_spec(corruption)
    if callable(corruption):
        name = getattr(corruption, "name", None)  # a corruption class has one; else the objects' name is used
        default = tuple(getattr(corruption, "default_levels", MULTIBENCH_LEVELS))
        unit = str(getattr(corruption, "level_unit", "fraction"))  # a class (Latency) says what its levels mean
        return _CorruptionSpec(name if isinstance(name, str) else "", corruption, default, False, unit, False)
    raise TypeError(
        f"`corruption` must be a name ({sorted(_REGISTRY)}), a corruption object with an `apply` method, or a "
        f"callable level -> corruption; got {corruption!r}."
    )


def _object_spec(corruption: Any) -> _CorruptionSpec:
    """A corruption object: swept with its ``with_level``, or evaluated once at its own ``level`` without one."""
    name = str(getattr(corruption, "name", None) or type(corruption).__name__)
    default = tuple(getattr(corruption, "default_levels", MULTIBENCH_LEVELS))
    unit = str(getattr(corruption, "level_unit", "fraction"))
    if hasattr(corruption, "with_level"):
        return _CorruptionSpec(name, corruption.with_level, default, isinstance(corruption, Corruption), unit, False)
    level = getattr(corruption, "level", np.nan)
    fixed = (float(level),) if level is not None and np.isfinite(level) else (np.nan,)
    return _CorruptionSpec(name, lambda _level: corruption, fixed, False, unit, True)


def _plan_levels(spec: _CorruptionSpec, corruption: Any, levels: Any) -> tuple[float, ...]:
    """The levels to sweep: the given ones (validated), or the corruption's defaults."""
    if not spec.fixed:
        return _resolve_levels(levels, spec.default_levels, spec.level_unit)
    if levels is not None:
        raise ValueError(
            f"`levels`={levels!r} cannot be applied to {corruption!r}, which has no `with_level` method; pass a "
            "factory level -> corruption instead."
        )
    return spec.default_levels


def _resolve_levels(levels: Any, default: Sequence[float], unit: str = "fraction") -> tuple[float, ...]:
    """``levels`` (or ``default``) as a tuple of distinct levels: fractions in [0, 1], or step counts."""
    if levels is None:
        levels = default
    if isinstance(levels, numbers.Real):
        levels = [levels]
    if unit == "steps":  # Latency: a level is a number of steps
        levels = tuple(float(_check_steps(v, "levels")) for v in levels)
    else:
        levels = tuple(check_float("levels", v, 0.0, 1.0, detail="; e.g. `levels=(0.0, 0.2, 0.4)`") for v in levels)
    if not levels:
        raise ValueError(
            "`levels` is empty; give at least one level "
            + ("(a number of steps >= 0)." if unit == "steps" else "in [0, 1].")
        )
    if len(set(levels)) != len(levels):
        raise ValueError(f"`levels` must not repeat a level; got {list(levels)}.")
    return levels


def _corruptions_per_level(factory: Callable[[float], Any], levels: tuple[float, ...]) -> dict[float, Any]:
    """Level -> corruption object, built up front (so a bad level, e.g. 0.5 for "missing", fails before any run)."""
    per_level = {level: factory(level) for level in levels}
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
    return per_level


def _check_window_relative(model: Any, corruption: Any, per_level: Mapping[float, Any]) -> bool:
    """Whether some level is a window-relative corruption (then the model must be global)."""
    window_relative = any(
        bool(getattr(obj, "window_relative", False)) and not bool(getattr(obj, "is_identity", False))
        for obj in per_level.values()
    )
    if window_relative and not isinstance(model, GlobalForecastingModel):
        raise TypeError(
            f"`corruption` {corruption!r} is window-relative and is evaluated with one model.predict(series=[...]) "
            f"call over all windows, which needs a global darts model; {type(model).__name__} is a local model."
        )
    return window_relative


def _factory_curve_name(factory: Any, sample: Any) -> str:
    """A factory's curves are named after what it builds (``sample``: its first corruption), else after it."""
    name = getattr(sample, "name", None)
    if not isinstance(name, str) or name == "none":
        name = getattr(factory, "__name__", type(factory).__name__)
    return name


def _check_hf_kwargs(kwargs: Mapping[str, Any] | None, window_relative: bool, corruption: Any) -> dict[str, Any]:
    """The extra ``historical_forecasts`` arguments: none of ours, and only predict's for the window path."""
    hf_kwargs = dict(kwargs or {})
    clash = sorted(_FIXED_KWARGS & set(hf_kwargs))
    if clash:
        raise ValueError(
            f"`historical_forecasts_kwargs` must not set {clash}; they are arguments of this function."
        )
    unusable = sorted(set(hf_kwargs) - WINDOW_KWARGS) if window_relative else []
    if unusable:
        raise ValueError(
            f"`historical_forecasts_kwargs` keys {unusable} cannot be applied to the window-relative corruption "
            f"{corruption!r}, which is evaluated with model.predict per window; use only {sorted(WINDOW_KWARGS)}."
        )
    return hf_kwargs


# ---------------------------------------------------------------------------------------------------------------
# the modality groups
# ---------------------------------------------------------------------------------------------------------------
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
        if name is None or source not in SOURCES or components is None:
            raise ValueError(
                f"`model.modalities_` entry {name!r} must have `.source` in {SOURCES} and `.components`; got {m!r}."
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


@dataclasses.dataclass(frozen=True)
class _Groups:
    """Resolves modality and component names into groups against the inputs that may be corrupted."""

    available: dict[str, tuple[str, ...]]  # source -> its components (the target only with corrupt_target)
    model_mods: dict[str, tuple[str, tuple[str, ...]]] | None  # the model's (its target one: corrupt_target)
    corrupt_target: bool

    def modality(self, name: str) -> Group:
        """The group of one of the model's modalities."""
        source, comps = self.model_mods[name]  # type: ignore[index]
        if source not in self.available:
            hint = " (pass corrupt_target=True to corrupt the target history)." if source == "target" else "."
            raise ValueError(f"Modality {name!r} is read from the {source} input, but no {source} series was given"
                             + hint)
        unknown = [c for c in comps if c not in self.available[source]]
        if unknown:
            raise ValueError(
                f"Modality {name!r} lists {source} components {unknown} that the given {source} series lacks "
                f"(it has {list(self.available[source])})."
            )
        return {source: comps}

    def item(self, item: Any) -> Group:
        """The group of a model modality's name, else of a component name (in every input that has it)."""
        if not isinstance(item, str):
            raise TypeError(f"Modality and component names must be strings; got {item!r}.")
        if self.model_mods is not None and item in self.model_mods:
            return self.modality(item)
        group = {src: (item,) for src, comps in self.available.items() if item in comps}
        if not group:
            known = sorted(self.model_mods) if self.model_mods is not None else []
            comps = [c for cs in self.available.values() for c in cs]
            hint = "" if self.corrupt_target else " (the target is not corrupted unless corrupt_target=True)"
            raise ValueError(
                f"Unknown modality or component {item!r}; model modalities: {known}, corruptible components: "
                f"{comps}{hint}."
            )
        return group

    def each(self) -> dict[str, Group]:
        """One group per model modality (and the target, when corrupted), else one per component."""
        if self.model_mods is None:
            names = list(dict.fromkeys(c for comps in self.available.values() for c in comps))
            return {name: self.item(name) for name in names}
        groups = {name: self.modality(name) for name in self.model_mods}
        if self.corrupt_target and not any(src == "target" for src, _ in self.model_mods.values()):
            groups["target"] = {"target": self.available["target"]}
        return groups

    def named(self, name: str) -> dict[str, Group]:
        """``"all"``: every component together; ``"each"``: one group each; else one group of that name."""
        if name == "all":
            return {"all": dict(self.available)}
        return self.each() if name == "each" else {name: self.item(name)}

    def resolve(self, modalities: Any) -> dict[str, Group]:
        """The groups of a ``modalities`` argument (see ``evaluate_robustness``)."""
        if modalities is None:
            return {"all": dict(self.available)}
        if isinstance(modalities, str):
            return self.named(modalities)
        if isinstance(modalities, Mapping):
            return {str(name): _merge(self.item(i) for i in ([items] if isinstance(items, str) else items))
                    for name, items in modalities.items()}
        if isinstance(modalities, Iterable):
            return {str(item): self.item(item) for item in modalities}
        raise TypeError(
            f"`modalities` must be None, 'all', 'each', a name, a list of names or a dict name -> components; "
            f"got {modalities!r}."
        )


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
    groups = _Groups(available, model_mods, corrupt_target).resolve(modalities)
    empty = [name for name, g in groups.items() if not g]
    if not groups or empty:
        raise ValueError(f"No component to corrupt for modalities {empty or modalities!r}.")
    return groups


# ---------------------------------------------------------------------------------------------------------------
# time bookkeeping
# ---------------------------------------------------------------------------------------------------------------
def _start_position(series: TimeSeries, start: Any) -> int:
    """The position of ``start`` (darts' forms: timestamp, index value, fraction) in ``series``."""
    if start is None or isinstance(start, bool):
        raise ValueError(f"`start` must be a timestamp, an int or a float in [0, 1]; got {start!r}.")
    if isinstance(start, str) and series.has_datetime_index:
        start = pd.Timestamp(start)
    try:
        return series.get_index_at_point(start)
    except Exception as err:  # darts raises ValueError / KeyError with its own wording
        raise ValueError(
            f"`start`={start!r} is not a point of `series` ({series.start_time()} .. {series.end_time()}): {err}"
        ) from err


def _resolve_start(model: Any, series: TimeSeries, start: Any, horizon: int) -> Any:
    """The first prediction point as a timestamp of ``series``: late enough for a full input window, early enough
    for one complete forecast window."""
    idx = _start_position(series, start)
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
    return series.time_index[idx]


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
