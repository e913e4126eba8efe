"""Forecast scores, point and probabilistic, as fev-bench defines them; used by the bench and the toolkit.

For one forecast window with actual values ``y`` (``H`` steps), quantile forecasts ``q_hat`` at levels ``levels``
(``H x Q``) and the history ``y[:cutoff]`` before it:

- quantile loss at level ``q``: ``2 * |(y - q_hat) * (1{y <= q_hat} - q)|``;
- seasonal scale: ``s = mean(|y_t - y_{t-m}|)`` over the history (``m`` the season, 24 for hourly data);
- **SQL** (scaled quantile loss): the mean of the quantile loss over the steps and levels, divided by ``s``;
- **MASE**: the mean absolute error of the median forecast (``q = 0.5``) divided by ``s``;
- **WQL** (weighted quantile loss): the summed quantile loss over steps, averaged over levels, divided by
  ``sum |y|``;
- **coverage** of a central interval: the fraction of steps with ``lower <= y <= upper`` (80%: levels 0.1, 0.9).

Scores of several windows are their means over the windows (fev's per-task aggregation). A point forecast used for
every level scores its MASE as SQL, since for levels symmetric around 0.5 the mean quantile loss is the absolute
error.

References: Shchur et al., "fev-bench: A Realistic Benchmark for Time Series Forecasting" (2025), and the
``fev`` package's metric code.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from darts import TimeSeries

__all__ = [
    "QUANTILE_LEVELS",
    "forecast_quantiles",
    "interval_coverage",
    "mase",
    "quantile_loss",
    "scaled_quantile_loss",
    "score_quantile_windows",
    "score_windows",
    "seasonal_scale",
    "weighted_quantile_loss",
]

#: fev-bench's quantile levels: 0.1, 0.2, ..., 0.9.
QUANTILE_LEVELS: tuple[float, ...] = tuple(round(0.1 * i, 1) for i in range(1, 10))


def _levels(levels: Sequence[float]) -> np.ndarray:
    q = np.asarray(levels, dtype=float).ravel()
    if q.size == 0 or not np.all((q > 0) & (q < 1)) or np.any(np.diff(q) <= 0):
        raise ValueError(f"`levels` must be increasing quantile levels in (0, 1), e.g. 0.1,...,0.9; got {list(q)}.")
    return q


def _pair(actual: np.ndarray | Sequence[float], quantiles: np.ndarray, levels: np.ndarray) -> tuple[np.ndarray, ...]:
    y = np.asarray(actual, dtype=float).ravel()  # (H,)
    qhat = np.asarray(quantiles, dtype=float)
    if qhat.ndim == 1:
        qhat = qhat[:, None]  # (H,) -> (H, 1)
    if qhat.shape != (y.size, levels.size):
        raise ValueError(
            f"`quantiles` has shape {qhat.shape}; it must be (steps, levels) = ({y.size}, {levels.size}), one column "
            f"per level."
        )
    return y, qhat


def quantile_loss(actual: np.ndarray | Sequence[float], quantiles: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """The quantile (pinball) loss ``2 * |(y - q_hat) * (1{y <= q_hat} - q)|`` per step and level.

    Parameters
    ----------
    actual
        Actual values, shape ``(H,)``.
    quantiles
        Quantile forecasts, shape ``(H, Q)``: column ``j`` at level ``levels[j]``.
    levels
        The ``Q`` increasing levels in (0, 1).

    Returns
    -------
    numpy.ndarray
        Shape ``(H, Q)``.

    Examples
    --------
    >>> quantile_loss([1.0], [[0.0, 2.0]], [0.1, 0.9]).round(3).tolist()
    [[0.2, 0.2]]
    """
    q = _levels(levels)
    y, qhat = _pair(actual, quantiles, q)
    error = y[:, None] - qhat  # (H, Q)
    return 2.0 * np.abs(error * ((y[:, None] <= qhat) - q[None, :]))


def seasonal_scale(history: np.ndarray | Sequence[float], season: int = 1) -> float:
    """``mean(|y_t - y_{t-season}|)`` over ``history`` (NaN differences ignored), the MASE / SQL denominator.

    Parameters
    ----------
    history
        The target before the forecast window, oldest first.
    season
        Seasonal lag ``m`` (24 for hourly data with a daily cycle, 1 otherwise).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the history is not longer than ``season`` or the scale is zero (a constant history cannot scale an
        error).
    """
    h = np.asarray(history, dtype=float).ravel()
    if isinstance(season, bool) or not isinstance(season, int | np.integer) or season < 1:
        raise ValueError(f"`season` must be a positive integer; got {season!r}.")
    if h.size <= season:
        raise ValueError(f"`history` has {h.size} values; the seasonal scale needs more than season={season}.")
    diffs = np.abs(h[season:] - h[:-season])
    diffs = diffs[np.isfinite(diffs)]
    scale = float(diffs.mean()) if diffs.size else float("nan")
    if not scale > 0:
        raise ValueError(f"the seasonal scale of `history` is {scale}; a constant history cannot scale errors.")
    return scale


def scaled_quantile_loss(actual, quantiles: np.ndarray, levels: Sequence[float], scale: float) -> float:
    """SQL of one window: the mean quantile loss over steps and levels divided by ``scale``.

    Parameters
    ----------
    actual
        Actual values ``(H,)``.
    quantiles
        Quantile forecasts ``(H, Q)``.
    levels
        The levels of the columns of ``quantiles``.
    scale
        :func:`seasonal_scale` of the history before the window.

    Returns
    -------
    float

    Examples
    --------
    >>> scaled_quantile_loss([1.0, 3.0], [[1.0], [2.0]], [0.5], scale=2.0)
    0.25
    """
    return float(quantile_loss(actual, quantiles, levels).mean() / scale)


def mase(actual, median: np.ndarray | Sequence[float], scale: float) -> float:
    """MASE of one window: the mean absolute error of ``median`` divided by ``scale``.

    Examples
    --------
    >>> mase([1.0, 3.0], [1.0, 2.0], scale=2.0)
    0.25
    """
    y = np.asarray(actual, dtype=float).ravel()
    m = np.asarray(median, dtype=float).ravel()
    if m.shape != y.shape:
        raise ValueError(f"`median` has {m.size} values but `actual` has {y.size}; they must match.")
    return float(np.abs(y - m).mean() / scale)


def weighted_quantile_loss(actual, quantiles: np.ndarray, levels: Sequence[float]) -> float:
    """WQL of one window: ``sum_t QL(t, q)`` averaged over the levels, divided by ``sum_t |y_t|``.

    Examples
    --------
    >>> weighted_quantile_loss([1.0, 3.0], [[1.0], [2.0]], [0.5])
    0.25
    """
    y = np.asarray(actual, dtype=float).ravel()
    denominator = float(np.abs(y).sum())
    if not denominator > 0:
        raise ValueError("`actual` sums to zero in absolute value; the weighted quantile loss is undefined.")
    return float(quantile_loss(y, quantiles, levels).sum(axis=0).mean() / denominator)


def interval_coverage(actual, lower: np.ndarray | Sequence[float], upper: np.ndarray | Sequence[float]) -> float:
    """Fraction of steps with ``lower <= actual <= upper``.

    Examples
    --------
    >>> interval_coverage([1.0, 5.0], [0.0, 0.0], [2.0, 2.0])
    0.5
    """
    y = np.asarray(actual, dtype=float).ravel()
    lo = np.asarray(lower, dtype=float).ravel()
    hi = np.asarray(upper, dtype=float).ravel()
    if not (lo.shape == hi.shape == y.shape):
        raise ValueError(f"`lower`, `upper` and `actual` have {lo.size}, {hi.size}, {y.size} values; they must match.")
    return float(np.mean((lo <= y) & (y <= hi)))


def forecast_quantiles(forecast: TimeSeries, levels: Sequence[float] = QUANTILE_LEVELS) -> np.ndarray:
    """Quantiles of a darts forecast of one target component, shape ``(H, Q)``.

    A stochastic forecast (samples) gives its empirical quantiles, sorted so that they never cross; a
    deterministic forecast gives its point value at every level (fev scores it so).

    Parameters
    ----------
    forecast
        A univariate darts forecast, deterministic or with samples, or a forecast of quantiles (one component per
        level, as ``predict_likelihood_parameters=True`` gives for ``QuantileRegression``; sorted per step).
    levels
        Quantile levels.

    Returns
    -------
    numpy.ndarray
    """
    q = _levels(levels)
    if not isinstance(forecast, TimeSeries):
        raise ValueError(f"`forecast` must be a darts TimeSeries; got {type(forecast).__name__}.")
    names = list(forecast.components)
    if forecast.n_components == q.size and all("_q" in name for name in names):
        # darts' predict_likelihood_parameters=True for QuantileRegression: one component per level ("y_q0.100")
        given = [float(name.rsplit("_q", 1)[1]) for name in names]
        if not np.allclose(given, q):
            raise ValueError(f"`forecast` holds the quantile levels {given}; expected {list(q)}.")
        return np.sort(forecast.values(copy=False).astype(float), axis=1)  # (H, Q), crossing undone
    if forecast.n_components != 1:
        raise ValueError(
            f"`forecast` has components {names}: give a univariate forecast (deterministic or with samples) or one "
            f"component per quantile level (predict_likelihood_parameters=True)."
        )
    samples = forecast.all_values(copy=False)[:, 0, :].astype(float)  # (H, S)
    if samples.shape[1] == 1:
        return np.repeat(samples, q.size, axis=1)  # (H, 1) -> (H, Q)
    return np.quantile(samples, q, axis=1).T  # (Q, H) -> (H, Q), increasing in q by construction


def score_windows(series: TimeSeries, forecasts: Sequence[TimeSeries], levels: Sequence[float] = QUANTILE_LEVELS,
                  season: int = 1) -> dict[str, float]:
    """SQL, MASE, WQL and 80% coverage of forecast windows against ``series``, averaged over the windows.

    Each window's scale is the seasonal scale of ``series`` before the window's first step (its history).

    Parameters
    ----------
    series
        The actual univariate target, in the units the scores should be in, covering every window.
    forecasts
        Forecast windows (deterministic or with samples) lying inside ``series``.
    levels
        Quantile levels; coverage uses the lowest and highest (0.1 and 0.9 by default: the 80% interval).
    season
        Seasonal lag of the scale.

    Returns
    -------
    dict
        ``{"sql", "mase", "wql", "coverage"}``.

    Raises
    ------
    ValueError
        If there is no window, or the levels lack 0.5 (the median scored by MASE).
    """
    q = _levels(levels)
    return score_quantile_windows(series, [(f.start_time(), forecast_quantiles(f, q)) for f in forecasts], q, season)


def score_quantile_windows(series: TimeSeries, windows: Sequence[tuple[object, np.ndarray]],
                           levels: Sequence[float] = QUANTILE_LEVELS, season: int = 1) -> dict[str, float]:
    """:func:`score_windows` for windows given as ``(first timestamp, quantiles (H, Q))`` pairs.

    Parameters
    ----------
    series
        The actual univariate target covering every window.
    windows
        Each window's first time stamp (a value of ``series.time_index``) and its quantile forecasts.
    levels
        The levels of the quantile columns (must include 0.5).
    season
        Seasonal lag of the scale.

    Returns
    -------
    dict
        ``{"sql", "mase", "wql", "coverage"}``, means over the windows.
    """
    q = _levels(levels)
    if not np.any(np.isclose(q, 0.5)):
        raise ValueError(f"`levels` {list(q)} must include 0.5: MASE scores the median.")
    if not windows:
        raise ValueError("`forecasts` is empty; there is no window to score.")
    actual_all = series.values(copy=False)[:, 0].astype(float)
    index = series.time_index
    median = int(np.argmin(np.abs(q - 0.5)))
    per_window: dict[str, list[float]] = {"sql": [], "mase": [], "wql": [], "coverage": []}
    for first, quantiles in windows:
        start = index.get_loc(first)
        y = actual_all[start:start + len(quantiles)]
        if y.size != len(quantiles):
            raise ValueError(f"the window starting at {first} runs past the end of `series`.")
        scale = seasonal_scale(actual_all[:start], season)
        per_window["sql"].append(scaled_quantile_loss(y, quantiles, q, scale))
        per_window["mase"].append(mase(y, quantiles[:, median], scale))
        per_window["wql"].append(weighted_quantile_loss(y, quantiles, q))
        per_window["coverage"].append(interval_coverage(y, quantiles[:, 0], quantiles[:, -1]))
    return {name: float(np.mean(values)) for name, values in per_window.items()}
