"""Declared imputation policies for models that cannot take NaN inputs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from darts import TimeSeries

__all__ = ["IMPUTE_POLICIES", "impute_missing", "season_length"]

#: The accepted imputation policies ("none" leaves NaN in place).
IMPUTE_POLICIES: tuple[str, ...] = ("none", "zero", "ffill", "mean", "seasonal")


def check_impute_policy(impute: Any, *, allow_none: bool = True) -> str | None:
    """Validate an imputation policy name (``None`` passes through when ``allow_none``)."""
    if impute is None and allow_none:
        return None
    if not isinstance(impute, str) or impute.lower() not in IMPUTE_POLICIES:
        raise ValueError(f"`impute` must be one of {list(IMPUTE_POLICIES)} or None; got {impute!r}.")
    return impute.lower()


def season_length(index: pd.Index | TimeSeries) -> int:
    """Steps per season of a time index, for the ``"seasonal"`` policy: one day of sub-daily steps (24 hourly,
    96 quarter-hourly), a week of days (7; 5 business days), 52 weeks, 12 months, 4 quarters; 1 otherwise (an
    integer index, an irregular or yearly frequency), where ``"seasonal"`` is the same as ``"ffill"``.

    Examples
    --------
    >>> import pandas as pd
    >>> season_length(pd.date_range("2024-01-01", periods=3, freq="h"))
    24
    >>> season_length(pd.RangeIndex(3))
    1
    """
    if isinstance(index, TimeSeries):
        index = index.time_index
    freq = getattr(index, "freq", None)
    if not isinstance(index, pd.DatetimeIndex) or freq is None:
        return 1
    if isinstance(freq, pd.offsets.Tick):  # a fixed step: seconds .. days
        step, day = pd.Timedelta(freq), pd.Timedelta(days=1)
        if step < day and day % step == pd.Timedelta(0):
            return int(day // step)
        return 7 if step == day else 1
    for offsets, steps in ((("BusinessDay", "CustomBusinessDay"), 5), (("Week",), 52),
                           (("MonthEnd", "MonthBegin", "BusinessMonthEnd", "BusinessMonthBegin"), 12),
                           (("QuarterEnd", "QuarterBegin", "BusinessQuarterEnd", "BusinessQuarterBegin"), 4)):
        if type(freq).__name__ in offsets:
            return steps
    return 1


def _reference_means(reference: TimeSeries, before: Any) -> np.ndarray:
    """Per-component nan-mean of ``reference`` at timestamps ``< before`` (0.0 where nothing is finite)."""
    values = reference.all_values(copy=False)  # (T, C, S), read only
    if before is not None:
        index = reference.time_index
        if isinstance(index, pd.DatetimeIndex):
            before = pd.Timestamp(before)
        values = values[np.asarray(index < before)]
    finite = np.isfinite(values)
    counts = finite.sum(axis=(0, 2))  # (C,)
    sums = np.where(finite, values, 0.0).sum(axis=(0, 2), dtype=np.float64)  # (C,)
    return np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)


def impute_missing(
    ts: TimeSeries,
    policy: str,
    *,
    reference: TimeSeries | None = None,
    before: pd.Timestamp | int | None = None,
    season: int | None = None,
) -> TimeSeries:
    """Fill the NaN (and infinite) values of ``ts`` with a declared policy; returns a new series (``ts`` is not
    mutated).

    Parameters
    ----------
    ts
        The series with missing values.
    policy
        ``"none"``: leave NaN in place (for models that handle missing inputs);
        ``"zero"``: replace NaN by 0.0 (MultiBench's drop value);
        ``"mean"``: replace NaN by the per-component mean of ``reference`` over the timestamps ``< before``
        (the clean training-period values); 0.0 for a component without any finite value there;
        ``"ffill"``: carry the last observed value forward; leading NaN fall back to the ``"mean"`` values;
        ``"seasonal"``: the (filled) value one season earlier (seasonal-naive fill: a gap longer than a season
        repeats the last season), else the previous (filled) value, then the means for leading NaN.
    reference
        The clean series the means are taken from (default: ``ts`` itself). Must have the same components.
    before
        Only the reference timestamps strictly before ``before`` enter the means; ``None`` uses all of them.
    season
        Steps per season of ``"seasonal"``; default :func:`season_length` of the series' frequency.

    Returns
    -------
    TimeSeries
        Same index, components and dtype as ``ts``.

    Examples
    --------
    >>> import numpy as np
    >>> from darts import TimeSeries
    >>> ts = TimeSeries.from_values(np.array([1.0, np.nan, 3.0, np.nan]))
    >>> impute_missing(ts, "ffill").values().ravel().tolist()
    [1.0, 1.0, 3.0, 3.0]
    >>> impute_missing(ts, "mean", before=2).values().ravel().tolist()
    [1.0, 1.0, 3.0, 1.0]
    >>> impute_missing(TimeSeries.from_values(np.array([1.0, 2.0, np.nan, np.nan, np.nan])), "seasonal",
    ...                season=2).values().ravel().tolist()
    [1.0, 2.0, 1.0, 2.0, 1.0]
    """
    policy = check_impute_policy(policy, allow_none=False)
    if not isinstance(ts, TimeSeries):
        raise TypeError(f"`ts` must be a darts TimeSeries; got {type(ts).__name__}.")
    values = ts.all_values(copy=True)  # (T, C, S), our own copy
    if policy == "none" or np.isfinite(values).all():
        return ts.copy()
    means = None
    if policy != "zero":
        reference = ts if reference is None else reference
        if list(reference.components) != list(ts.components):
            raise ValueError(
                f"`reference` components {list(reference.components)} differ from the series' "
                f"{list(ts.components)}."
            )
        means = _reference_means(reference, before)  # (C,)
    season = check_season(season_length(ts) if season is None else season)
    return ts.with_values(fill_values(values, policy, means, season=season).astype(ts.dtype, copy=False))


def check_season(season: Any) -> int:
    """Validate the ``season`` of the ``"seasonal"`` policy (a positive integer)."""
    if isinstance(season, bool) or not isinstance(season, (int, np.integer)) or season < 1:
        raise ValueError(f"`season` must be a positive integer number of steps (e.g. 24 for hourly data); "
                         f"got {season!r}.")
    return int(season)


def fill_values(values: np.ndarray, policy: str, means: np.ndarray | None, carry: np.ndarray | None = None,
                season: int = 1) -> np.ndarray:
    """The array core of :func:`impute_missing`, for callers that fill many slices with the same means.

    Parameters
    ----------
    values
        (T, C, S) array, filled in place (pass a copy).
    policy
        ``"zero"``, ``"mean"``, ``"ffill"`` or ``"seasonal"``.
    means
        (C,) per-component means (see :func:`impute_missing`); unused for ``"zero"``.
    carry
        Optional (C, S) or (R, C, S) values of the rows just before the first one, where ``"ffill"`` and
        ``"seasonal"`` start from (NaN: nothing observed); ``"seasonal"`` reads up to ``season`` of them.
    season
        Steps per season of ``"seasonal"``.

    Returns
    -------
    numpy.ndarray
        ``values``, without NaN or infinite entries.
    """
    values[np.isinf(values)] = np.nan  # +-inf is as unusable as NaN for a model that cannot take missing values
    missing = np.isnan(values)
    if not missing.any():
        return values
    if policy == "zero":
        values[missing] = 0.0
        return values
    if policy in ("ffill", "seasonal"):
        n_t, n_c, n_s = values.shape
        flat = values.reshape(n_t, n_c * n_s)  # (T, C, S) -> (T, C*S)
        if carry is not None:
            flat = np.concatenate([np.asarray(carry, dtype=values.dtype).reshape(-1, n_c * n_s), flat])  # (R+T, .)
        if policy == "seasonal":
            flat = _seasonal_fill(flat, season)
        flat = pd.DataFrame(flat).ffill().to_numpy()[len(flat) - n_t:]  # (T, C*S), the carry rows dropped
        values = flat.reshape(n_t, n_c, n_s).astype(values.dtype, copy=False)
        missing = np.isnan(values)
    return np.where(missing, np.asarray(means)[None, :, None], values).astype(values.dtype, copy=False)


def _seasonal_fill(flat: np.ndarray, season: int) -> np.ndarray:
    """(T, K) rows with each NaN replaced, in time order, by the (already filled) value ``season`` rows earlier,
    else by the previous row's: a gap longer than a season repeats the last season, the first season is carried
    forward; only leading NaN stay."""
    flat = np.array(flat, dtype=np.float64)  # (T, K), our own copy
    for t in np.flatnonzero(np.isnan(flat[1:]).any(axis=1)) + 1:
        for back in (season, 1) if t >= season else (1,):
            gap = np.isnan(flat[t])  # (K,)
            flat[t, gap] = flat[t - back, gap]
    return flat
