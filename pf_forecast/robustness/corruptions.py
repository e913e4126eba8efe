"""Seeded, pure corruptions of darts ``TimeSeries`` (the MultiBench time-series protocol and missing modalities).

Every corruption is a small frozen object with one method::

    apply(ts, rng, components=None, start=None) -> TimeSeries

- ``ts`` is never mutated: the values are copied, corrupted and wrapped with ``ts.with_values(...)``.
- ``rng`` is a ``numpy.random.Generator`` (an ``int`` seed is accepted too); the same generator state gives the
  same corruption.
- ``components`` (names or integer positions) limits which columns are hit; ``None`` means all of them.
- ``start`` limits the corruption to the timestamps ``>= start`` (for example the test period). An ``int`` is an
  index value for a ``RangeIndex`` series and a position for a ``DatetimeIndex`` series, as in darts.

Random draws are made for *all* components of the selected time steps and then applied to the selected ones
only, and a drop at level ``p`` is ``uniform < p``. So, for one generator state, corrupting a subset of the
components hits them exactly as corrupting all components would, and the dropped values at level ``p`` are a
subset of those dropped at any level ``q > p`` (common random numbers: smooth, monotone sweeps).

Level 0 is the identity for every level-based corruption (an equal copy is returned, no random draw is made).

This module holds the MultiBench family (:class:`GaussianNoise`, :class:`RandomDrop`, :class:`StructuredDrop`,
:class:`MultiBench`), :class:`MissingModality`, :class:`Identity`, :class:`Compose` and the registry of names
(:func:`corruption_factory`); the base class :class:`Corruption` lives in ``_base.py``. The stream faults
(:class:`Outage`, :class:`Stuck`, :class:`Spikes`, :class:`Latency`; see docs/faults.md and
:mod:`pf_forecast.robustness.faults`) are defined in ``faults.py`` and importable from here as well. Latency is
*window-relative*: it is defined per forecast window by ``apply_window(ts, point, role=...)``, which
``evaluate_robustness`` calls window by window; its sweep levels are numbers of steps (``level_unit = "steps"``).
Their default grids are :data:`FAULT_LEVELS`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from darts import TimeSeries

from ._base import (
    MULTIBENCH_LEVELS,
    Corruption,
    _as_generator,
    _check_ts,
    _LevelCorruption,
    _resolve_columns,
    check_level,
)
from .faults import FAULT_LEVELS, FAULTS, Latency, Outage, Spikes, Stuck, _check_steps, fault_middle_level

__all__ = [
    "FAULTS",
    "FAULT_LEVELS",
    "MULTIBENCH_LEVELS",
    "Compose",
    "Corruption",
    "GaussianNoise",
    "Identity",
    "Latency",
    "MissingModality",
    "MultiBench",
    "Outage",
    "RandomDrop",
    "Spikes",
    "StructuredDrop",
    "Stuck",
    "corruption_factory",
    "fault_middle_level",
]


# ---------------------------------------------------------------------------------------------------------------
# the MultiBench corruptions
# ---------------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class GaussianNoise(_LevelCorruption):
    """Additive white noise with standard deviation ``level``.

    With ``shared_across_components=True`` (MultiBench's definition) one draw from N(0, level²) is made per time
    step and added to every selected component at that step; otherwise every value gets its own draw. NaN values
    stay NaN.

    Parameters
    ----------
    level
        The noise standard deviation, in [0, 1]. 0 is the identity.
    shared_across_components
        One draw per time step (True, MultiBench) or one per value (False).

    Examples
    --------
    >>> import numpy as np
    >>> from darts.utils.timeseries_generation import linear_timeseries
    >>> ts = linear_timeseries(length=5)
    >>> noisy = GaussianNoise(0.5).apply(ts, np.random.default_rng(0))
    >>> noisy.shape == ts.shape and noisy != ts
    True
    """

    shared_across_components: bool = True

    name = "gaussian"

    def _corrupt(self, block: np.ndarray, cols: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n_rows, n_comp = block.shape[:2]
        if self.shared_across_components:
            noise = np.repeat(rng.standard_normal((n_rows, 1)), n_comp, axis=1)  # (R, 1) -> (R, C)
        else:
            noise = rng.standard_normal((n_rows, n_comp))  # (R, C)
        block[:, cols, :] += self.level * noise[:, cols, None]  # (R, c) -> (R, c, S)
        return block


@dataclasses.dataclass(frozen=True)
class RandomDrop(_LevelCorruption):
    """Each selected value is replaced by ``fill`` with probability ``level``.

    Parameters
    ----------
    level
        The drop probability, in [0, 1].
    fill
        The replacement value: ``0.0`` as in MultiBench, or ``numpy.nan`` to mark the values as missing.

    Examples
    --------
    >>> import numpy as np
    >>> from darts.utils.timeseries_generation import constant_timeseries
    >>> ts = constant_timeseries(value=1.0, length=1000)
    >>> dropped = RandomDrop(0.3).apply(ts, np.random.default_rng(0))
    >>> round(float((dropped.values() == 0).mean()), 1)
    0.3
    """

    fill: float = 0.0

    name = "random_drop"

    def _corrupt(self, block: np.ndarray, cols: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n_rows, n_comp = block.shape[:2]
        drop = rng.random((n_rows, n_comp)) < self.level  # (R, C)
        sub = block[:, cols, :]  # (R, c, S)
        block[:, cols, :] = np.where(drop[:, cols, None], self.fill, sub)
        return block


@dataclasses.dataclass(frozen=True)
class StructuredDrop(_LevelCorruption):
    """Each whole time step of the selected components is replaced by ``fill`` with probability ``level``.

    Parameters
    ----------
    level
        The drop probability per time step, in [0, 1].
    fill
        The replacement value: ``0.0`` as in MultiBench, or ``numpy.nan``.

    Examples
    --------
    >>> import numpy as np
    >>> from darts.utils.timeseries_generation import constant_timeseries
    >>> ts = constant_timeseries(value=1.0, length=1000).stack(constant_timeseries(value=2.0, length=1000))
    >>> v = StructuredDrop(0.5).apply(ts, np.random.default_rng(0)).values()
    >>> bool(((v == 0).all(axis=1) | (v != 0).all(axis=1)).all())  # steps are dropped whole
    True
    """

    fill: float = 0.0

    name = "structured_drop"

    def _corrupt(self, block: np.ndarray, cols: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        drop = rng.random(block.shape[0]) < self.level  # (R,)
        sub = block[:, cols, :]  # (R, c, S)
        block[:, cols, :] = np.where(drop[:, None, None], self.fill, sub)
        return block


# ---------------------------------------------------------------------------------------------------------------
# missing modalities, identity, composition
# ---------------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class MissingModality(Corruption):
    """The named modalities (or components) become entirely NaN (over the timestamps ``>= start``).

    Names are resolved with ``modalities`` (a mapping ``name -> component names``) when given, else taken as
    component names of the series. With ``names=None`` the columns are those passed as ``components`` to
    ``apply`` (all columns when that is ``None`` too): this is how ``evaluate_robustness`` uses it, after resolving
    the modalities itself. When both ``names`` and ``components`` are given, only their intersection is hit.

    The corruption is deterministic and has no level: ``with_level(0.0)`` gives :class:`Identity` and
    ``with_level(1.0)`` the corruption itself, so a sweep over ``(0.0, 1.0)`` compares clean with removed.

    Parameters
    ----------
    names
        A modality or component name, or several; ``None`` means "the components given to ``apply``".
    modalities
        Optional mapping ``modality name -> component names`` used to resolve ``names``.

    Examples
    --------
    >>> import numpy as np
    >>> from darts.utils.timeseries_generation import linear_timeseries, sine_timeseries
    >>> ts = linear_timeseries(length=6, column_name="a").stack(sine_timeseries(length=6, column_name="b"))
    >>> out = MissingModality("wind", modalities={"wind": ["b"]}).apply(ts, None)
    >>> bool(np.isnan(out["b"].values()).all()), bool(np.isnan(out["a"].values()).any())
    (True, False)
    """

    names: tuple[str, ...] | str | None = None
    modalities: Mapping[str, Sequence[str]] | None = None

    name = "missing"
    default_levels = (0.0, 1.0)
    level = 1.0

    def __post_init__(self) -> None:
        names = self.names
        if isinstance(names, str):
            names = (names,)
        elif names is not None:
            names = tuple(names)
            if not all(isinstance(n, str) for n in names):
                raise TypeError(f"`names` must be strings; got {names!r}.")
        object.__setattr__(self, "names", names)
        if self.modalities is not None and not isinstance(self.modalities, Mapping):
            raise TypeError(f"`modalities` must be a mapping name -> components; got {self.modalities!r}.")

    @property
    def stochastic(self) -> bool:
        return False

    def with_level(self, level: float) -> Corruption:
        """``Identity()`` at level 0, this corruption at level 1; other levels raise ValueError."""
        level = check_level(level, type(self).__name__)
        if level == 0.0:
            return Identity()
        if level == 1.0:
            return self
        raise ValueError(
            f"MissingModality has no intermediate levels (0 = present, 1 = missing); got level={level!r}. "
            "For a partial loss use StructuredDrop(level, fill=numpy.nan)."
        )

    def resolve(self, ts: TimeSeries) -> list[str]:
        """The component names of ``ts`` that ``names`` designate (all components when ``names`` is None)."""
        _check_ts(ts)
        if self.names is None:
            return list(ts.components)
        out: list[str] = []
        for n in self.names:
            out.extend(c for c in self._components_of(n, ts) if c not in out)
        return out

    def _components_of(self, name: str, ts: TimeSeries) -> list[str]:
        """The components one name designates: a modality's (from ``modalities``), else the component itself."""
        if self.modalities is not None and name in self.modalities:
            comps = list(self.modalities[name])
            unknown = [c for c in comps if c not in ts.components]
            if unknown:
                raise ValueError(
                    f"Modality {name!r} lists components {unknown} that the series does not have "
                    f"(components: {list(ts.components)})."
                )
            return comps
        if name in ts.components:
            return [name]
        known = sorted(self.modalities) if self.modalities is not None else []
        raise ValueError(
            f"Unknown modality or component {name!r}; modalities: {known}, components: {list(ts.components)}."
        )

    def apply(self, ts, rng=None, components=None, start=None):  # noqa: D102 (documented on the base class)
        _check_ts(ts)
        if self.names is not None:
            selected = self.resolve(ts)
            if components is not None:
                limit = {ts.components[i] for i in _resolve_columns(ts, components)}
                selected = [c for c in selected if c in limit]
            components = selected
        return super().apply(ts, rng, components=components, start=start)

    def _corrupt(self, block: np.ndarray, cols: np.ndarray, rng: Any) -> np.ndarray:
        block[:, cols, :] = np.nan
        return block


@dataclasses.dataclass(frozen=True)
class Identity(Corruption):
    """No corruption: ``apply`` returns an equal copy (the clean reference of a sweep).

    Examples
    --------
    >>> from darts.utils.timeseries_generation import linear_timeseries
    >>> ts = linear_timeseries(length=4)
    >>> Identity().apply(ts, None) == ts
    True
    """

    name = "none"
    level = 0.0

    @property
    def stochastic(self) -> bool:
        return False

    @property
    def is_identity(self) -> bool:
        return True

    def with_level(self, level: float) -> Corruption:
        """The identity whatever the level."""
        check_level(level, type(self).__name__)
        return self


class Compose(Corruption):
    """Apply several corruptions in order, with the same generator.

    Parameters
    ----------
    *corruptions
        The corruptions, applied first to last.

    Examples
    --------
    >>> import numpy as np
    >>> from darts.utils.timeseries_generation import linear_timeseries
    >>> ts = linear_timeseries(length=20)
    >>> out = Compose(GaussianNoise(0.1), RandomDrop(0.2)).apply(ts, np.random.default_rng(0))
    >>> out.shape == ts.shape
    True
    """

    def __init__(self, *corruptions: Corruption) -> None:
        for c in corruptions:
            if not hasattr(c, "apply"):
                raise TypeError(f"Compose takes corruption objects (with an `apply` method); got {c!r}.")
        self.corruptions: tuple[Corruption, ...] = tuple(corruptions)

    @property
    def name(self) -> str:  # type: ignore[override]
        return "+".join(getattr(c, "name", type(c).__name__) for c in self.corruptions)

    @property
    def stochastic(self) -> bool:
        return any(getattr(c, "stochastic", True) for c in self.corruptions)

    @property
    def is_identity(self) -> bool:
        return all(getattr(c, "is_identity", False) for c in self.corruptions)

    @property
    def window_relative(self) -> bool:  # type: ignore[override]
        """Whether a part is window-relative (``evaluate_robustness`` refuses such compositions)."""
        return any(getattr(c, "window_relative", False) for c in self.corruptions)

    def with_level(self, level: float) -> Compose:
        """A composition of every part at ``level``."""
        level = check_level(level, type(self).__name__)
        return type(self)(*(c.with_level(level) for c in self.corruptions))

    def apply(self, ts, rng, components=None, start=None):  # noqa: D102 (documented on the base class)
        _check_ts(ts)
        _resolve_columns(ts, components)  # validate even when every part is the identity
        out = ts.copy()
        rng = _as_generator(rng) if self.stochastic else rng
        for c in self.corruptions:
            out = c.apply(out, rng, components=components, start=start)
        return out

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.corruptions == self.corruptions  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self.corruptions))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(map(repr, self.corruptions))})"


class MultiBench(Compose):
    """MultiBench's time-series corruption at one level: white noise, then random drop, then structured drop.

    Equals ``Compose(GaussianNoise(level), RandomDrop(level, fill), StructuredDrop(level, fill))``:
    (1) one N(0, level²) draw per time step added to every selected component; (2) each value set to ``fill``
    with probability ``level``; (3) each whole time step set to ``fill`` with probability ``level``.

    Parameters
    ----------
    level
        The noise level p, in [0, 1] (MultiBench sweeps 0.0, 0.1, ..., 0.8). 0 is the identity.
    fill
        The value of dropped entries (0.0 in MultiBench; ``numpy.nan`` marks them as missing instead).

    Examples
    --------
    >>> import numpy as np
    >>> from darts.utils.timeseries_generation import linear_timeseries
    >>> ts = linear_timeseries(length=50)
    >>> MultiBench(0.0).apply(ts, np.random.default_rng(0)) == ts
    True
    >>> bool((MultiBench(0.5).apply(ts, np.random.default_rng(0)).values() == 0).any())
    True
    """

    def __init__(self, level: float, fill: float = 0.0) -> None:
        self.level = check_level(level, type(self).__name__)
        self.fill = fill
        super().__init__(
            GaussianNoise(self.level, shared_across_components=True),
            RandomDrop(self.level, fill=fill),
            StructuredDrop(self.level, fill=fill),
        )

    @property
    def name(self) -> str:  # type: ignore[override]
        return "multibench"

    def with_level(self, level: float) -> MultiBench:
        """MultiBench at another level, same fill."""
        return type(self)(level, fill=self.fill)

    def __repr__(self) -> str:
        return f"MultiBench(level={self.level!r}, fill={self.fill!r})"




# ---------------------------------------------------------------------------------------------------------------
# the registry of names
# ---------------------------------------------------------------------------------------------------------------
#: The class behind every registered name: its ``default_levels`` and ``level_unit`` are the name's.
REGISTERED_CLASSES: dict[str, type[Corruption]] = {
    "multibench": MultiBench,
    "gaussian": GaussianNoise,
    "random_drop": RandomDrop,
    "structured_drop": StructuredDrop,
    "missing": MissingModality,
    "outage": Outage,
    "latency": Latency,
    "stuck": Stuck,
    "spikes": Spikes,
}

_REGISTRY: dict[str, Callable[[float], Corruption]] = {
    **REGISTERED_CLASSES,
    "missing": lambda level: MissingModality().with_level(level),
    "latency": lambda level: Latency(steps=_check_steps(level, "level")),
}


def corruption_factory(name: str) -> Callable[[float], Corruption]:
    """The factory ``level -> corruption`` registered under ``name``.

    Parameters
    ----------
    name
        One of ``"multibench"``, ``"gaussian"``, ``"random_drop"``, ``"structured_drop"``, ``"missing"``, or a
        stream fault: ``"outage"``, ``"latency"``, ``"stuck"``, ``"spikes"``.

    Returns
    -------
    Callable[[float], Corruption]
        For ``"missing"``: level 0 gives :class:`Identity`, level 1 a :class:`MissingModality` of the components
        passed to ``apply``. For ``"latency"`` the level is a number of steps (``Latency(steps=level)``); the
        stream faults use their default parameters (see :data:`FAULT_LEVELS` for their grids).

    Examples
    --------
    >>> corruption_factory("random_drop")(0.2)
    RandomDrop(level=0.2, fill=0.0)
    """
    if not isinstance(name, str) or name.lower() not in _REGISTRY:
        raise ValueError(f"Unknown corruption {name!r}; expected one of {sorted(_REGISTRY)}.")
    return _REGISTRY[name.lower()]

