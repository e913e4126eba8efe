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

Stream faults (realistic failures of a data feed; see docs/faults.md): :class:`Outage` (contiguous NaN blocks),
:class:`Stuck` (a frozen, flat value), :class:`Spikes` (isolated values orders of magnitude off) and
:class:`Latency` (the last steps not published yet at forecast time). Latency is *window-relative*: it is defined
per forecast window by ``apply_window(ts, point, role=...)``, which ``evaluate_robustness`` calls window by window;
its sweep levels are numbers of steps (``level_unit = "steps"``). Their default grids are :data:`FAULT_LEVELS`.
"""

from __future__ import annotations

import dataclasses
import functools
import numbers
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from darts import TimeSeries

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

#: MultiBench's noise levels for time series: 0.0, 0.1, ..., 0.8.
MULTIBENCH_LEVELS: tuple[float, ...] = tuple(round(0.1 * i, 1) for i in range(9))


# ---------------------------------------------------------------------------------------------------------------
# validation helpers
# ---------------------------------------------------------------------------------------------------------------
def _check_level(level: Any, name: str = "level") -> float:
    """Return ``level`` as a float, or raise ValueError naming it when it is not a number in [0, 1]."""
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0.0 <= float(level) <= 1.0:
        raise ValueError(f"`{name}` must be a number in [0, 1]; got {level!r}.")
    return float(level)


def _check_ts(ts: Any) -> None:
    if not isinstance(ts, TimeSeries):
        raise TypeError(f"`ts` must be a darts TimeSeries; got {type(ts).__name__}.")


def _as_generator(rng: Any) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"`rng` must be a numpy.random.Generator (or an int seed); got {type(rng).__name__}. "
        "Use numpy.random.default_rng(seed)."
    )


def _resolve_columns(ts: TimeSeries, components: Iterable[str | int] | str | int | None) -> np.ndarray:
    """Positions of the selected components (all when ``None``); unknown names raise ValueError."""
    n = ts.n_components
    if components is None:
        return np.arange(n)
    if isinstance(components, str | numbers.Integral):
        components = [components]
    names = list(ts.components)
    cols: list[int] = []
    for c in components:
        if isinstance(c, str):
            if c not in names:
                raise ValueError(f"Unknown component {c!r}; the series has components {names}.")
            i = names.index(c)
        elif isinstance(c, numbers.Integral) and not isinstance(c, bool):
            if not 0 <= int(c) < n:
                raise ValueError(
                    f"Component position {c!r} is out of range for a series with {n} components."
                )
            i = int(c)
        else:
            raise TypeError(f"Components must be names (str) or positions (int); got {c!r}.")
        if i not in cols:
            cols.append(i)
    return np.asarray(cols, dtype=int)


def _resolve_rows(ts: TimeSeries, start: Any) -> np.ndarray:
    """Positions of the time steps ``>= start`` (all when ``None``)."""
    index = ts.time_index
    if start is None:
        return np.arange(len(index))
    if isinstance(index, pd.DatetimeIndex):
        if isinstance(start, numbers.Integral) and not isinstance(start, bool):
            return np.arange(max(int(start), 0), len(index))  # a position, as in darts
        start = pd.Timestamp(start)
    return np.flatnonzero(np.asarray(index >= start))


# ---------------------------------------------------------------------------------------------------------------
# base class
# ---------------------------------------------------------------------------------------------------------------
class Corruption:
    """Base class of the corruptions: selection, copying and validation; subclasses implement ``_corrupt``.

    Subclasses set ``name`` (a short identifier used in reports), ``stochastic`` (whether repeated applications
    can differ) and ``default_levels`` (the levels ``evaluate_robustness`` sweeps when none are given).

    Examples
    --------
    >>> import numpy as np
    >>> from darts.utils.timeseries_generation import linear_timeseries
    >>> ts = linear_timeseries(length=10)
    >>> GaussianNoise(0.0).apply(ts, np.random.default_rng(0)) == ts
    True
    """

    name: str = "corruption"
    default_levels: tuple[float, ...] = MULTIBENCH_LEVELS
    #: what a sweep level means: "fraction" (a number in [0, 1]) or "steps" (a whole number >= 0, Latency)
    level_unit: str = "fraction"
    #: True for corruptions defined per forecast window (``apply_window``), evaluated window by window
    window_relative: bool = False

    @property
    def stochastic(self) -> bool:
        """Whether two applications with different generator states can differ."""
        return True

    @property
    def is_identity(self) -> bool:
        """Whether ``apply`` returns an equal copy whatever the input."""
        return False

    def with_level(self, level: float) -> Corruption:
        """A copy of this corruption at another level (level-based corruptions only)."""
        level = _check_level(level)
        return dataclasses.replace(self, level=level)  # type: ignore[type-var]

    def apply(
        self,
        ts: TimeSeries,
        rng: np.random.Generator | int | None,
        components: Sequence[str | int] | str | None = None,
        start: pd.Timestamp | int | str | None = None,
    ) -> TimeSeries:
        """Return a corrupted copy of ``ts``; ``ts`` itself is left unchanged.

        Parameters
        ----------
        ts
            The series to corrupt (deterministic or stochastic; samples share the draws).
        rng
            The random generator (``numpy.random.default_rng(seed)``) or an int seed.
        components
            Names or positions of the components to corrupt; ``None`` (default) corrupts all of them.
        start
            Only the timestamps ``>= start`` are corrupted; ``None`` (default) corrupts the whole series.

        Returns
        -------
        TimeSeries
            A new series with the same index, components and dtype.
        """
        _check_ts(ts)
        cols = _resolve_columns(ts, components)
        rows = _resolve_rows(ts, start)
        if self.is_identity or len(cols) == 0 or len(rows) == 0:
            return ts.copy()
        rng = _as_generator(rng) if self.stochastic else rng
        values = ts.all_values(copy=True)  # (T, C, S), our own copy
        values = self._corrupt_series(values, rows, cols, rng)
        return ts.with_values(values.astype(ts.dtype, copy=False))

    def _corrupt_series(self, values: np.ndarray, rows: np.ndarray, cols: np.ndarray, rng: Any) -> np.ndarray:
        """Corrupt ``values[rows]`` in place (a private copy) and return ``values``.

        The default hands the selected rows to ``_corrupt``; corruptions that need the rest of the series (the
        value before the first corrupted step, the spread of a component) override this instead.
        """
        block = values[rows]  # (R, C, S) fancy indexing copies
        values[rows] = self._corrupt(block, cols, rng)
        return values

    def _corrupt(self, block: np.ndarray, cols: np.ndarray, rng: Any) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


# ---------------------------------------------------------------------------------------------------------------
# the MultiBench corruptions
# ---------------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _LevelCorruption(Corruption):
    """A corruption with a strength ``level`` in [0, 1], validated at construction; level 0 is the identity."""

    level: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "level", _check_level(self.level))

    @property
    def stochastic(self) -> bool:
        return self.level > 0.0

    @property
    def is_identity(self) -> bool:
        return self.level == 0.0


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
        level = _check_level(level)
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
            if self.modalities is not None and n in self.modalities:
                comps = list(self.modalities[n])
                unknown = [c for c in comps if c not in ts.components]
                if unknown:
                    raise ValueError(
                        f"Modality {n!r} lists components {unknown} that the series does not have "
                        f"(components: {list(ts.components)})."
                    )
            elif n in ts.components:
                comps = [n]
            else:
                known = sorted(self.modalities) if self.modalities is not None else []
                raise ValueError(
                    f"Unknown modality or component {n!r}; modalities: {known}, components: {list(ts.components)}."
                )
            out.extend(c for c in comps if c not in out)
        return out

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
        _check_level(level)
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
        level = _check_level(level)
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
        self.level = _check_level(level)
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
# stream faults: outages, stuck values, spikes, late publication
# ---------------------------------------------------------------------------------------------------------------
#: Default severity grids of the stream faults (level 0 = clean). Outage and Stuck: expected fraction of affected
#: steps; Spikes: expected fraction of spiked values; Latency: steps published late. The middle entry of each grid
#: is the "typical" severity the benchmark reports.
FAULT_LEVELS: dict[str, tuple[float, ...]] = {
    "outage": (0.0, 0.05, 0.1, 0.2, 0.4),
    "latency": (0.0, 1.0, 3.0, 6.0, 12.0),
    "stuck": (0.0, 0.05, 0.1, 0.2, 0.4),
    "spikes": (0.0, 0.003, 0.01, 0.03, 0.1),
}
#: The stream-fault names, in report order.
FAULTS: tuple[str, ...] = tuple(FAULT_LEVELS)

_DURATION_TOL = 1e-9  # survival probability below which a block is taken never to last longer
_MAX_DURATION = 1_000_000  # steps: a survival function that does not fall below the tolerance by then is refused
_SURVIVAL_DRAWS = 10_000  # draws of a user's duration callable used to estimate its survival function
_SURVIVAL_SEED = 20_240_601  # fixed, so that the level -> onset-rate mapping never depends on the caller's rng


def fault_middle_level(name: str) -> float:
    """The middle severity of a stream fault's default grid (what the benchmark's fault table reports).

    Parameters
    ----------
    name
        One of :data:`FAULTS`.

    Returns
    -------
    float

    Examples
    --------
    >>> fault_middle_level("outage"), fault_middle_level("latency")
    (0.1, 3.0)
    """
    if name not in FAULT_LEVELS:
        raise ValueError(f"Unknown stream fault {name!r}; expected one of {list(FAULTS)}.")
    grid = FAULT_LEVELS[name]
    return grid[len(grid) // 2]


def _check_steps(value: Any, name: str = "steps") -> int:
    """``value`` as a non-negative int (an integer-valued float such as 3.0 is accepted), else ValueError."""
    ok = not isinstance(value, bool) and isinstance(value, numbers.Real) and np.isfinite(float(value))
    if not ok or float(value) < 0 or float(value) != int(value):
        raise ValueError(f"`{name}` must be a non-negative whole number of steps; got {value!r}.")
    return int(value)


@functools.lru_cache(maxsize=128)
def _survival(duration: Any, distribution: str) -> np.ndarray:
    """``S[k] = P(D > k)`` for ``k = 0 .. K-1`` of the block duration ``D >= 1``, with ``P(D > K)`` negligible.

    Cached (read-only result): a sweep applies the same fault many times."""
    out = _compute_survival(duration, distribution)
    out.setflags(write=False)
    return out


def _compute_survival(duration: Any, distribution: str) -> np.ndarray:
    if callable(duration):
        draws = _validated_durations(duration(np.random.default_rng(_SURVIVAL_SEED), _SURVIVAL_DRAWS),
                                     _SURVIVAL_DRAWS)
        longest = int(draws.max())
        if longest > _MAX_DURATION:
            raise ValueError(f"`duration` drew blocks of {longest} steps; at most {_MAX_DURATION} are supported.")
        return (draws[None, :] > np.arange(longest)[:, None]).mean(axis=1)  # (K, n) -> (K,)
    if distribution == "fixed":
        return np.ones(int(duration))
    p = 1.0 / float(duration)  # geometric on {1, 2, ...} with mean `duration`
    if p >= 1.0:
        return np.ones(1)
    length = int(np.ceil(np.log(_DURATION_TOL) / np.log1p(-p)))
    if length > _MAX_DURATION:
        raise ValueError(f"`duration`={duration!r} is too long a mean; at most about {_MAX_DURATION // 21} steps.")
    return (1.0 - p) ** np.arange(length)


def _validated_durations(draws: Any, size: Any) -> np.ndarray:
    draws = np.asarray(draws)
    if draws.shape != np.empty(size).shape or not np.issubdtype(draws.dtype, np.number):
        raise ValueError(
            f"`duration` must return an array of shape {np.empty(size).shape} when called as duration(rng, size); "
            f"got shape {draws.shape} and dtype {draws.dtype}."
        )
    if not np.isfinite(draws).all() or (draws < 1).any() or (draws != np.round(draws)).any():
        raise ValueError("`duration` must return whole numbers of steps >= 1, e.g. rng.geometric(1 / 12, size).")
    return draws.astype(np.int64)


def _covered_fraction(rate: float, survival: np.ndarray) -> float:
    """Expected fraction of steps inside a block when each step starts one with probability ``rate``."""
    with np.errstate(divide="ignore"):
        return float(-np.expm1(np.log1p(-rate * survival).sum()))


def _onset_rate(level: float, survival: np.ndarray) -> float:
    """The per-step onset probability whose expected covered fraction is ``level`` (bisection; monotone)."""
    if level <= 0.0:
        return 0.0
    if level >= 1.0:
        return 1.0
    low, high = 0.0, 1.0
    for _ in range(60):
        mid = 0.5 * (low + high)
        if _covered_fraction(mid, survival) < level:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


@dataclasses.dataclass(frozen=True)
class _BlockFault(_LevelCorruption):
    """A level-based fault over contiguous blocks of time steps (outages, stuck stretches).

    Blocks come from a stationary process: every step starts a block with probability ``rate`` and a block lasts a
    duration drawn from the given distribution; overlapping blocks merge. ``rate`` is solved from ``level`` so that
    the expected fraction of steps inside a block is exactly ``level`` (``1 - prod_k (1 - rate * P(D > k))``).
    The process starts before the first corrupted step (a burn-in as long as the longest plausible block), so a
    block may already be under way at ``start`` and the first steps are hit as often as the others.

    The uniform draws and durations are made for every step whatever the level and a block starts where the
    uniform is below ``rate``, which grows with ``level``: for one generator state the blocks at level ``p`` are
    contained in those at any ``q > p`` (common random numbers, monotone sweeps).
    """

    duration: float | Callable[[np.random.Generator, Any], np.ndarray] = 12.0
    distribution: str = "geometric"
    shared_across_components: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if callable(self.duration):
            _survival(self.duration, self.distribution)  # draws once: a bad callable fails here, not in apply
            return
        if self.distribution not in ("geometric", "fixed"):
            raise ValueError(
                f"`distribution` must be 'geometric' or 'fixed' (or pass a callable `duration`); "
                f"got {self.distribution!r}."
            )
        d = self.duration
        if isinstance(d, bool) or not isinstance(d, numbers.Real) or not np.isfinite(float(d)) or float(d) < 1.0:
            raise ValueError(
                f"`duration` must be a mean block length in steps (a number >= 1) or a callable (rng, size) -> "
                f"durations; got {d!r}."
            )
        if self.distribution == "fixed" and float(d) != int(d):
            raise ValueError(f"`duration` must be a whole number of steps with distribution='fixed'; got {d!r}.")
        _survival(self.duration, self.distribution)  # a mean too long for the burn-in fails here, not in apply

    @property
    def rate(self) -> float:
        """Probability that a block starts at a given step (blocks that overlap merge)."""
        return _onset_rate(self.level, _survival(self.duration, self.distribution))

    @property
    def mean_duration(self) -> float:
        """Expected block length in steps before merging (``sum_k P(D > k)``)."""
        return float(_survival(self.duration, self.distribution).sum())

    def _draw_durations(self, rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
        if callable(self.duration):
            return _validated_durations(self.duration(rng, size), size)
        if self.distribution == "fixed":
            return np.full(size, int(self.duration), dtype=np.int64)
        return rng.geometric(1.0 / float(self.duration), size=size)

    def _mask(self, n_rows: int, n_comp: int, rng: np.random.Generator) -> np.ndarray:
        """(R, C) bool: the steps inside a block, per component (the same for all when shared)."""
        survival = _survival(self.duration, self.distribution)
        rate = _onset_rate(self.level, survival)
        burn_in = len(survival) - 1  # a block started earlier than this reaches the first row with prob. ~ 0
        n_streams = 1 if self.shared_across_components else n_comp
        n_steps = burn_in + n_rows
        onset = rng.random((n_steps, n_streams)) < rate  # (B+R, n)
        durations = self._draw_durations(rng, (n_steps, n_streams))  # (B+R, n)
        steps = np.arange(n_steps)[:, None]  # (B+R, 1)
        reach = np.where(onset, steps + durations, -1)  # exclusive end of the block starting here, else -1
        covered = np.maximum.accumulate(reach, axis=0) > steps  # (B+R, n): some earlier block still runs
        mask = covered[burn_in:]  # (R, n)
        return np.repeat(mask, n_comp, axis=1) if self.shared_across_components else mask  # (R, C)


@dataclasses.dataclass(frozen=True)
class Outage(_BlockFault):
    """A stream goes down: contiguous blocks of missing values (NaN), as when a feed or sensor drops out.

    ``level`` is the expected fraction of missing steps (exact for the block process below, before merging with
    NaN already in the data); block lengths follow ``duration``. Each step starts an outage with probability
    :attr:`rate`, solved from ``level`` and the duration distribution (overlapping outages merge into a longer
    one); see :meth:`from_rate` to give the rate instead.

    Parameters
    ----------
    level
        Expected fraction of missing steps, in [0, 1]. 0 is the identity, 1 removes every value.
    duration
        Mean outage length in steps (default 12: half a day of an hourly stream), or a callable
        ``duration(rng, size) -> array of whole numbers >= 1`` drawing the lengths (its survival function is
        estimated once from 10,000 draws with a fixed seed to map ``level`` to the rate).
    distribution
        For a numeric ``duration``: ``"geometric"`` (default; the discrete-time exponential, memoryless) or
        ``"fixed"`` (every outage lasts exactly ``duration`` steps).
    shared_across_components
        True (default): the selected components go down together (one stream, several columns); False: each
        component has its own outages.

    Examples
    --------
    >>> import numpy as np
    >>> from darts.utils.timeseries_generation import constant_timeseries
    >>> ts = constant_timeseries(value=1.0, length=20_000)
    >>> out = Outage(0.2, duration=24).apply(ts, np.random.default_rng(0))
    >>> round(float(np.isnan(out.values()).mean()), 1)
    0.2
    """

    name = "outage"
    default_levels = FAULT_LEVELS["outage"]

    @classmethod
    def from_rate(cls, rate: float, duration: Any = 12.0, **kwargs: Any) -> Outage:
        """The outage whose blocks start at each step with probability ``rate`` (level computed from it).

        Parameters
        ----------
        rate
            Per-step probability that an outage starts, in [0, 1].
        duration, **kwargs
            As in the constructor.

        Returns
        -------
        Outage

        Examples
        --------
        >>> round(Outage.from_rate(0.01, duration=10, distribution="fixed").level, 4)
        0.0956
        """
        rate = _check_level(rate, "rate")
        probe = cls(0.0, duration=duration, **kwargs)  # validates duration / distribution
        level = _covered_fraction(rate, _survival(probe.duration, probe.distribution))
        return dataclasses.replace(probe, level=min(max(level, 0.0), 1.0))

    def _corrupt(self, block: np.ndarray, cols: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        mask = self._mask(block.shape[0], block.shape[1], rng)  # (R, C)
        block[:, cols, :] = np.where(mask[:, cols, None], np.nan, block[:, cols, :])
        return block


def _ffill_rows(values: np.ndarray) -> np.ndarray:
    """Carry the last finite value of every (component, sample) column forward along axis 0 (NaN before one)."""
    n_t = values.shape[0]
    flat = values.reshape(n_t, -1)  # (T, C, S) -> (T, C*S)
    finite = np.isfinite(flat)
    last = np.maximum.accumulate(np.where(finite, np.arange(n_t)[:, None], -1), axis=0)  # (T, C*S)
    filled = np.take_along_axis(flat, np.maximum(last, 0), axis=0)
    filled = np.where(last >= 0, filled, np.nan)
    return filled.reshape(values.shape)  # (T, C*S) -> (T, C, S)


@dataclasses.dataclass(frozen=True)
class Stuck(_BlockFault):
    """A stream freezes: for stretches of steps it repeats its last observed value (a flat line).

    A stretch over steps ``s .. e-1`` holds the last finite value before ``s`` (the step before the first corrupted
    one counts, so a stretch under way at ``start`` repeats the value just before ``start``; at the very beginning
    of a series, with nothing before, it repeats the first value). The values stay finite: a model sees plausible,
    wrong numbers, no missing-value flag. ``level`` is the expected fraction of frozen steps, as for
    :class:`Outage`, whose parameters it shares.

    Parameters
    ----------
    level
        Expected fraction of frozen steps, in [0, 1].
    duration, distribution
        Stretch lengths, as in :class:`Outage` (default: geometric with mean 12 steps).
    shared_across_components
        True (default): the selected components freeze together (the whole feed stops updating); False: each
        component on its own (one sensor at a time).

    Examples
    --------
    >>> import numpy as np
    >>> from darts.utils.timeseries_generation import linear_timeseries
    >>> ts = linear_timeseries(length=200)
    >>> v = Stuck(0.3, duration=10).apply(ts, np.random.default_rng(0)).values().ravel()
    >>> bool((np.diff(v) == 0).any()), bool(np.isfinite(v).all())
    (True, True)
    """

    name = "stuck"
    default_levels = FAULT_LEVELS["stuck"]

    def _corrupt_series(self, values: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                        rng: np.random.Generator) -> np.ndarray:
        first = int(rows[0])  # the rows are the contiguous tail of steps >= start
        n_rows = len(rows)
        mask = self._mask(n_rows, values.shape[1], rng)[:, cols]  # (R, c)
        # what a stretch under way at the first corrupted step repeats: the last finite value before it, or the
        # first value when the series starts there
        before = _ffill_rows(values[:first])[-1:] if first > 0 else values[first:first + 1]  # (1, C, S)
        extended = np.concatenate([before, values[rows]], axis=0)[:, cols, :]  # (R+1, c, S)
        filled = _ffill_rows(extended)  # last finite value at or before every step
        positions = np.arange(1, n_rows + 1)[:, None]  # (R, 1): rows in `extended` coordinates
        last_free = np.maximum.accumulate(np.where(mask, 0, positions), axis=0)  # (R, c): last unfrozen step
        index = np.broadcast_to(last_free[:, :, None], (n_rows, len(cols), values.shape[2]))  # (R, c, S)
        frozen = np.take_along_axis(filled, index, axis=0)  # (R, c, S)
        block = values[rows][:, cols, :]  # (R, c, S)
        keep = mask[:, :, None] & np.isfinite(frozen)  # nothing finite to repeat: leave the step as it is
        values[np.ix_(rows, cols)] = np.where(keep, frozen, block)
        return values


@dataclasses.dataclass(frozen=True)
class Spikes(_LevelCorruption):
    """Isolated wrong values, orders of magnitude off: ``value + sign * scale * std`` at single steps.

    ``std`` is the component's standard deviation over the whole series (1 for a constant component) and the sign
    is + or - with probability 1/2. A spike is one step long and two spikes never follow each other in a component
    (a unit slip or a transmission glitch, not a level shift): candidates are drawn with probability
    ``q = level / (1 - level)`` per value and, in every run of consecutive candidates, only the 1st, 3rd, ... are
    kept, so the expected fraction of spiked values is ``q / (1 + q) = level`` (away from the first few steps).
    At most every other value can be an isolated spike, so ``level`` is at most 0.5. NaN stays NaN.

    Parameters
    ----------
    level
        Expected fraction of spiked values, in [0, 0.5].
    scale
        Spike size in standard deviations of the component (default 10).
    shared_across_components
        False (default): every component spikes on its own; True: the selected components spike at the same
        steps, with the same sign (a corrupted message of a multi-column feed).

    Examples
    --------
    >>> import numpy as np
    >>> from darts.utils.timeseries_generation import sine_timeseries
    >>> ts = sine_timeseries(length=500)
    >>> out = Spikes(0.05, scale=10.0).apply(ts, np.random.default_rng(0))
    >>> changed = out.values().ravel() != ts.values().ravel()
    >>> bool(changed.any()), bool((changed[1:] & changed[:-1]).any())  # spikes, never two in a row
    (True, False)
    """

    scale: float = 10.0
    shared_across_components: bool = False

    name = "spikes"
    default_levels = FAULT_LEVELS["spikes"]

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.level > 0.5:
            raise ValueError(
                f"`level` of Spikes must be at most 0.5 (at most every other value can be an isolated spike); got "
                f"{self.level!r}."
            )
        s = self.scale
        if isinstance(s, bool) or not isinstance(s, numbers.Real) or not np.isfinite(float(s)) or float(s) <= 0:
            raise ValueError(f"`scale` must be a positive number of standard deviations; got {s!r}.")

    def _corrupt_series(self, values: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                        rng: np.random.Generator) -> np.ndarray:
        n_rows, n_comp = len(rows), values.shape[1]
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN component: its std is NaN, replaced below
            std = np.nanstd(values, axis=(0, 2))  # (C,) over the whole series, not only the corrupted steps
        std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
        n_streams = 1 if self.shared_across_components else n_comp
        candidate_rate = self.level / (1.0 - self.level) if self.level < 0.5 else 1.0
        candidate = rng.random((n_rows, n_streams)) < candidate_rate  # (R, n)
        sign = np.where(rng.random((n_rows, n_streams)) < 0.5, -1.0, 1.0)  # (R, n)
        steps = np.arange(n_rows)[:, None]  # (R, 1)
        last_gap = np.maximum.accumulate(np.where(candidate, -1, steps), axis=0)  # last non-candidate (-1: before)
        spike = candidate & ((steps - last_gap) % 2 == 1)  # 1st, 3rd, ... of every run: never two in a row
        if self.shared_across_components:
            spike, sign = np.repeat(spike, n_comp, axis=1), np.repeat(sign, n_comp, axis=1)  # (R, 1) -> (R, C)
        offset = np.where(spike, sign, 0.0) * self.scale * std[None, :]  # (R, C)
        values[np.ix_(rows, cols)] += offset[:, cols, None].astype(values.dtype)  # (R, c) -> (R, c, S)
        return values


@dataclasses.dataclass(frozen=True)
class Latency(Corruption):
    """A stream published late: at forecast time its last ``steps`` values have not arrived yet.

    Latency is *window-relative*: what is missing depends on when the forecast is made, so it is defined per
    forecast window by :meth:`apply_window`, which :func:`~pf_forecast.robustness.evaluate_robustness` calls for
    every window (one corruption of the whole series could not express it when windows follow each other):

    - a past covariate (or the target history): the last ``steps`` steps before the forecast point are NaN;
    - a future covariate: everything from the forecast point on (the horizon part) is NaN as soon as ``steps >= 1``
      (the day-ahead forecast of tomorrow has not arrived), while its history is there. The severity is binary for
      future covariates: any delay removes the whole horizon part.

    :meth:`apply` treats the end of the given series as the forecast time: its last ``steps`` values (of the
    selected components, at timestamps ``>= start``) become NaN.

    Parameters
    ----------
    steps
        The publication delay in steps; 0 is the identity. As a sweep level (``with_level``) the level *is* the
        number of steps, not a fraction.

    Examples
    --------
    >>> import numpy as np
    >>> from darts.utils.timeseries_generation import linear_timeseries
    >>> ts = linear_timeseries(length=10)
    >>> np.isnan(Latency(3).apply(ts, None).values().ravel()).tolist()[-4:]
    [False, True, True, True]
    >>> window = Latency(2).apply_window(ts, ts.time_index[6], role="past")
    >>> np.flatnonzero(np.isnan(window.values().ravel())).tolist()  # the 2 steps before the forecast point
    [4, 5]
    >>> future = Latency(2).apply_window(ts, ts.time_index[6], role="future")
    >>> np.flatnonzero(np.isnan(future.values().ravel())).tolist()  # the horizon part
    [6, 7, 8, 9]
    """

    steps: int = 0

    name = "latency"
    default_levels = FAULT_LEVELS["latency"]
    #: sweep levels are step counts (whole numbers >= 0), not fractions in [0, 1]
    level_unit = "steps"
    #: evaluated per forecast window with :meth:`apply_window`
    window_relative = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", _check_steps(self.steps))

    @property
    def level(self) -> float:
        """The delay as a sweep level (a number of steps)."""
        return float(self.steps)

    @property
    def stochastic(self) -> bool:
        return False

    @property
    def is_identity(self) -> bool:
        return self.steps == 0

    def with_level(self, level: float) -> Latency:
        """The latency of ``level`` steps (a whole number >= 0)."""
        return dataclasses.replace(self, steps=_check_steps(level, "level"))

    def _corrupt_series(self, values: np.ndarray, rows: np.ndarray, cols: np.ndarray, rng: Any) -> np.ndarray:
        late = rows[len(rows) - self.steps:] if self.steps < len(rows) else rows  # the last `steps` rows
        values[np.ix_(late, cols)] = np.nan
        return values

    def apply_window(
        self,
        ts: TimeSeries,
        point: pd.Timestamp | int,
        *,
        role: str = "past",
        components: Sequence[str | int] | str | None = None,
        rng: np.random.Generator | int | None = None,
    ) -> TimeSeries:
        """The input ``ts`` of the forecast made at ``point``, as it is at forecast time; ``ts`` is not mutated.

        Parameters
        ----------
        ts
            An input series of one forecast window (target history, past or future covariates).
        point
            The forecast point: the first step after the input window (darts' prediction point). A timestamp or
            index value; an int on a ``DatetimeIndex`` series is a position, as in darts.
        role
            ``"past"`` or ``"target"``: the ``steps`` steps before ``point`` become NaN; ``"future"``: every step
            at or after ``point`` becomes NaN (when ``steps >= 1``).
        components
            Names or positions of the late components; ``None`` (default) means all of them.
        rng
            Unused (the fault is deterministic); accepted for the window-corruption protocol.

        Returns
        -------
        TimeSeries
            A new series with the same index, components and dtype.
        """
        _check_ts(ts)
        if role not in ("past", "target", "future"):
            raise ValueError(f"`role` must be 'past', 'target' or 'future'; got {role!r}.")
        cols = _resolve_columns(ts, components)
        index = ts.time_index
        if isinstance(index, pd.DatetimeIndex) and isinstance(point, numbers.Integral):
            position = int(point)
        else:
            position = int(index.searchsorted(pd.Timestamp(point) if isinstance(point, str) else point))
        if role == "future":
            rows = np.arange(min(max(position, 0), len(ts)), len(ts))
        else:
            rows = np.arange(max(position - self.steps, 0), min(max(position, 0), len(ts)))
        if self.steps == 0 or len(cols) == 0 or len(rows) == 0:
            return ts.copy()
        values = ts.all_values(copy=True)  # (T, C, S), our own copy
        values[np.ix_(rows, cols)] = np.nan
        return ts.with_values(values.astype(ts.dtype, copy=False))


_REGISTRY: dict[str, Callable[[float], Corruption]] = {
    "multibench": MultiBench,
    "gaussian": GaussianNoise,
    "random_drop": RandomDrop,
    "structured_drop": StructuredDrop,
    "missing": lambda level: MissingModality().with_level(level),
    "outage": Outage,
    "latency": lambda level: Latency(steps=_check_steps(level, "level")),
    "stuck": Stuck,
    "spikes": Spikes,
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
