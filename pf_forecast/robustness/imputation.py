"""Declared imputation policies for models that cannot take NaN inputs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from darts import TimeSeries

__all__ = ["IMPUTE_POLICIES", "impute_missing"]

#: The accepted imputation policies ("none" leaves NaN in place).
IMPUTE_POLICIES: tuple[str, ...] = ("none", "zero", "ffill", "mean")


def check_impute_policy(impute: Any, *, allow_none: bool = True) -> str | None:
    """Validate an imputation policy name (``None`` passes through when ``allow_none``)."""
    if impute is None and allow_none:
        return None
    if not isinstance(impute, str) or impute.lower() not in IMPUTE_POLICIES:
        raise ValueError(f"`impute` must be one of {list(IMPUTE_POLICIES)} or None; got {impute!r}.")
    return impute.lower()


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
        ``"ffill"``: carry the last observed value forward; leading NaN fall back to the ``"mean"`` values.
    reference
        The clean series the means are taken from (default: ``ts`` itself). Must have the same components.
    before
        Only the reference timestamps strictly before ``before`` enter the means; ``None`` uses all of them.

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
    return ts.with_values(fill_values(values, policy, means).astype(ts.dtype, copy=False))


def fill_values(values: np.ndarray, policy: str, means: np.ndarray | None, carry: np.ndarray | None = None
                ) -> np.ndarray:
    """The array core of :func:`impute_missing`, for callers that fill many slices with the same means.

    Parameters
    ----------
    values
        (T, C, S) array, filled in place (pass a copy).
    policy
        ``"zero"``, ``"mean"`` or ``"ffill"``.
    means
        (C,) per-component means (see :func:`impute_missing`); unused for ``"zero"``.
    carry
        Optional (C, S) values just before the first row, where ``"ffill"`` starts from (NaN: nothing observed).

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
    if policy == "ffill":
        n_t, n_c, n_s = values.shape
        flat = values.reshape(n_t, n_c * n_s)  # (T, C, S) -> (T, C*S)
        if carry is not None:
            flat = np.concatenate([np.asarray(carry, dtype=values.dtype).reshape(1, n_c * n_s), flat])
        flat = pd.DataFrame(flat).ffill().to_numpy()[len(flat) - n_t:]  # (T, C*S), the carry row dropped
        values = flat.reshape(n_t, n_c, n_s).astype(values.dtype, copy=False)
        missing = np.isnan(values)
    return np.where(missing, np.asarray(means)[None, :, None], values).astype(values.dtype, copy=False)
