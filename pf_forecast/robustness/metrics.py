"""MultiBench's robustness summaries, on raw metric-vs-level curves.

References: Liang et al., "MultiBench: Multiscale Benchmarks for Multimodal Representation Learning", NeurIPS 2021
(time-series robustness protocol; arXiv 2107.07502, code at https://github.com/pliang279/MultiBench).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["effective_robustness", "normalized_robustness", "relative_robustness"]


def _curve(
    levels: Sequence[float], values: Sequence[float], name: str = "values"
) -> tuple[np.ndarray, np.ndarray]:
    """Levels and values as float arrays sorted by level; validates lengths and level uniqueness."""
    x = np.asarray(levels, dtype=float).ravel()
    y = np.asarray(values, dtype=float).ravel()
    if x.size == 0:
        raise ValueError("`levels` is empty; a robustness curve needs at least one level.")
    if x.shape != y.shape:
        raise ValueError(f"`levels` has {x.size} entries but `{name}` has {y.size}; they must match.")
    if np.unique(x).size != x.size:
        raise ValueError(f"`levels` must not repeat a level; got {x.tolist()}.")
    order = np.argsort(x, kind="stable")
    return x[order], y[order]


def relative_robustness(levels: Sequence[float], values: Sequence[float]) -> float:
    """Relative robustness: the trapezoid area under the metric-vs-level curve.

    For an error metric such as MSE lower is better; MultiBench negates it before comparing methods (see
    :func:`normalized_robustness`). The points are sorted by level first.

    Parameters
    ----------
    levels
        The corruption levels (e.g. 0.0, 0.1, ..., 0.8).
    values
        The metric at each level.

    Returns
    -------
    float
        ``sum_i (levels[i+1] - levels[i]) * (values[i] + values[i+1]) / 2`` (0.0 for a single level).

    Examples
    --------
    >>> round(relative_robustness([0.0, 0.1, 0.2], [1.0, 2.0, 4.0]), 6)
    0.45
    """
    x, y = _curve(levels, values)
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2.0))  # trapezoid rule (np.trapezoid needs numpy 2)


def effective_robustness(
    levels: Sequence[float], values: Sequence[float], reference_values: Sequence[float]
) -> float:
    """Effective robustness: summed excess over a reference curve shifted to the same clean value.

    ``sum_p (f_p - (g_p + f_0 - g_0))`` where ``f`` are ``values``, ``g`` the ``reference_values`` (MultiBench: the
    late-fusion baseline) and index 0 the lowest level (the clean point). For an error metric, a positive value
    means the method degrades faster than the reference.

    Parameters
    ----------
    levels
        The corruption levels shared by both curves.
    values
        The method's metric at each level.
    reference_values
        The reference method's metric at the same levels.

    Returns
    -------
    float

    Examples
    --------
    >>> effective_robustness([0.0, 0.5, 1.0], [1.0, 2.0, 4.0], [2.0, 2.5, 3.0])
    2.5
    """
    x, f = _curve(levels, values)
    _, g = _curve(levels, reference_values, name="reference_values")
    return float(np.sum(f - (g + f[0] - g[0])))


def normalized_robustness(scores: Mapping[str, float] | pd.Series, lower_is_better: bool = True) -> pd.Series:
    """MultiBench's min-max normalisation of robustness scores over a set of compared methods.

    For an error metric (``lower_is_better=True``, e.g. the area under an MSE curve) the scores are negated first,
    then min-max scaled to [0, 1], so that 1 is the most robust method and 0 the least. When all scores are equal
    every method gets 1.0. NaN scores stay NaN and are ignored for the min and max.

    Parameters
    ----------
    scores
        Method name -> raw robustness score (a dict or a Series).
    lower_is_better
        Whether a lower raw score is better (True for MSE / MAE based scores).

    Returns
    -------
    pandas.Series
        The normalised scores, same index as ``scores``; higher is better.

    Examples
    --------
    >>> normalized_robustness({"late": 2.0, "pf": 1.0, "early": 1.5}).tolist()
    [0.0, 1.0, 0.5]
    """
    if isinstance(scores, pd.Series):
        s = scores.astype(float)
    elif isinstance(scores, Mapping):
        s = pd.Series({k: float(v) for k, v in scores.items()}, dtype=float)
    else:
        raise TypeError(
            f"`scores` must be a dict or a pandas Series name -> score; got {type(scores).__name__}."
        )
    if s.empty:
        raise ValueError("`scores` is empty; normalisation needs at least one method.")
    signed = -s if lower_is_better else s
    lo, hi = signed.min(), signed.max()
    if not np.isfinite(lo) or hi == lo:
        return pd.Series(np.where(s.isna(), np.nan, 1.0), index=s.index, name=s.name)
    return (signed - lo) / (hi - lo)
