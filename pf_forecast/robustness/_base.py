"""The corruption base class and the helpers every corruption shares (selection, copying, validation).

Public names are re-exported by :mod:`pf_forecast.robustness.corruptions`; this module exists so that the MultiBench
corruptions (``corruptions.py``) and the stream faults (``faults.py``) build on one base without importing each
other.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from darts import TimeSeries

from pf_forecast._checks import check_float

#: MultiBench's noise levels for time series: 0.0, 0.1, ..., 0.8.
MULTIBENCH_LEVELS: tuple[float, ...] = tuple(round(0.1 * i, 1) for i in range(9))


# ---------------------------------------------------------------------------------------------------------------
# validation and selection helpers
# ---------------------------------------------------------------------------------------------------------------
def check_level(level: Any, owner: str, name: str = "level") -> float:
    """``level`` as a float in [0, 1] (the strength of the corruption ``owner``), else ValueError naming both."""
    return check_float(name, level, 0.0, 1.0, about=f"of {owner}")


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


def _column_position(component: Any, names: list[str]) -> int:
    """The position of one component, given by name or by position; ValueError / TypeError naming it."""
    if isinstance(component, str):
        if component not in names:
            raise ValueError(f"Unknown component {component!r}; the series has components {names}.")
        return names.index(component)
    if isinstance(component, numbers.Integral) and not isinstance(component, bool):
        if not 0 <= int(component) < len(names):
            raise ValueError(
                f"Component position {component!r} is out of range for a series with {len(names)} components."
            )
        return int(component)
    raise TypeError(f"Components must be names (str) or positions (int); got {component!r}.")


def _resolve_columns(ts: TimeSeries, components: Iterable[str | int] | str | int | None) -> np.ndarray:
    """Positions of the selected components (all when ``None``), in order, without repeats; unknown names raise."""
    if components is None:
        return np.arange(ts.n_components)
    if isinstance(components, str | numbers.Integral):
        components = [components]
    names = list(ts.components)
    positions = (_column_position(c, names) for c in components)
    return np.asarray(list(dict.fromkeys(positions)), dtype=int)


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


def _ffill_rows(values: np.ndarray) -> np.ndarray:
    """Carry the last finite value of every (component, sample) column forward along axis 0 (NaN before one)."""
    n_t = values.shape[0]
    flat = values.reshape(n_t, -1)  # (T, C, S) -> (T, C*S)
    finite = np.isfinite(flat)
    last = np.maximum.accumulate(np.where(finite, np.arange(n_t)[:, None], -1), axis=0)  # (T, C*S)
    filled = np.take_along_axis(flat, np.maximum(last, 0), axis=0)
    filled = np.where(last >= 0, filled, np.nan)
    return filled.reshape(values.shape)  # (T, C*S) -> (T, C, S)


# ---------------------------------------------------------------------------------------------------------------
# base classes
# ---------------------------------------------------------------------------------------------------------------
class Corruption:
    """Base class of the corruptions: selection, copying and validation; subclasses implement ``_corrupt``.

    Subclasses set ``name`` (a short identifier used in reports), ``stochastic`` (whether repeated applications
    can differ) and ``default_levels`` (the levels ``evaluate_robustness`` sweeps when none are given).

    Examples
    --------
    >>> import numpy as np
    >>> from darts.utils.timeseries_generation import linear_timeseries
    >>> from pf_forecast.robustness import GaussianNoise
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
        level = check_level(level, type(self).__name__)
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


@dataclasses.dataclass(frozen=True)
class _LevelCorruption(Corruption):
    """A corruption with a strength ``level`` in [0, 1], validated at construction; level 0 is the identity."""

    level: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "level", check_level(self.level, type(self).__name__))

    @property
    def stochastic(self) -> bool:
        return self.level > 0.0

    @property
    def is_identity(self) -> bool:
        return self.level == 0.0
