"""Stream faults: realistic failures of a data feed, as seeded, pure corruptions (see docs/faults.md).

- :class:`Outage`: contiguous blocks of missing values (NaN), as when a feed or sensor drops out;
- :class:`Stuck`: a frozen stream that repeats its last observed value (a flat line, still finite);
- :class:`Spikes`: isolated values orders of magnitude off (a unit slip, a transmission glitch);
- :class:`Latency`: the last steps not published yet at forecast time. Latency is *window-relative*: it is defined
  per forecast window by ``apply_window(ts, point, role=...)``, which ``evaluate_robustness`` calls window by
  window; its sweep levels are numbers of steps (``level_unit = "steps"``).

They follow the conventions of :mod:`pf_forecast.robustness.corruptions` (``ts`` never mutated, common random
numbers, level 0 the identity) and are importable from there too. Their default grids are :data:`FAULT_LEVELS`.
"""

from __future__ import annotations

import dataclasses
import functools
import numbers
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from darts import TimeSeries

from pf_forecast._checks import check_choice, check_float
from pf_forecast.nn.modality import SOURCES

from ._base import Corruption, _check_ts, _ffill_rows, _LevelCorruption, _resolve_columns, check_level

__all__ = ["FAULTS", "FAULT_LEVELS", "Latency", "Outage", "Spikes", "Stuck", "fault_middle_level"]

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
        if not callable(self.duration):
            self._check_numeric_duration()
        # a callable draws once, and a mean too long for the burn-in is refused: both fail here, not in apply
        _survival(self.duration, self.distribution)

    def _check_numeric_duration(self) -> None:
        """``distribution`` and a numeric ``duration`` (left as given: it is part of the repr and equality)."""
        if self.distribution not in ("geometric", "fixed"):
            raise ValueError(
                f"`distribution` must be 'geometric' or 'fixed' (or pass a callable `duration`); "
                f"got {self.distribution!r}."
            )
        d = self.duration
        check_float("duration", d, 1.0, np.inf, high_open=True, about="the mean block length in steps",
                    detail="; or pass a callable (rng, size) -> durations")
        if self.distribution == "fixed" and float(d) != int(d):
            raise ValueError(f"`duration` must be a whole number of steps with distribution='fixed'; got {d!r}.")

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
        rate = check_level(rate, cls.__name__, "rate")
        probe = cls(0.0, duration=duration, **kwargs)  # validates duration / distribution
        level = _covered_fraction(rate, _survival(probe.duration, probe.distribution))
        return dataclasses.replace(probe, level=min(max(level, 0.0), 1.0))

    def _corrupt(self, block: np.ndarray, cols: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        mask = self._mask(block.shape[0], block.shape[1], rng)  # (R, C)
        block[:, cols, :] = np.where(mask[:, cols, None], np.nan, block[:, cols, :])
        return block


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
        check_float("scale", self.scale, 0.0, np.inf, low_open=True, high_open=True,
                    about="the spike size in standard deviations")

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
        check_choice("role", role, SOURCES)
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


