"""The window-relative path of ``evaluate_robustness``: every window's inputs as they are at its forecast point.

A window-relative corruption (``window_relative = True``, e.g. :class:`~pf_forecast.robustness.corruptions.Latency`)
is applied to each forecast window's own inputs with ``corruption.apply_window(slice, point, role=source)``; the
slices are imputed like the historical-forecasts path and ONE ``model.predict(n=forecast_horizon, series=[...],
past_covariates=[...], future_covariates=[...])`` call forecasts every window as a batch. See the module docstring
of :mod:`pf_forecast.robustness.evaluate` for the exact slices.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from darts import TimeSeries

from pf_forecast.nn.modality import SOURCES

from .imputation import _reference_means, fill_values, season_length
from .plan import Group

__all__ = ["predict_windows", "window_feeds"]

_PREDICT_KWARGS = ("num_samples", "predict_likelihood_parameters", "verbose", "show_warnings")


def _predict_kwargs(hf_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The ``historical_forecasts_kwargs`` that ``predict`` takes, with ``predict_kwargs`` unpacked."""
    out = {k: v for k, v in hf_kwargs.items() if k in _PREDICT_KWARGS}
    out.update(hf_kwargs.get("predict_kwargs") or {})
    return out


def _lag_span(model: Any) -> tuple[int, int]:
    """(most negative input lag <= 0, largest lag >= 0) over target and covariates, from darts' ``extreme_lags``."""
    lags = model.extreme_lags
    lows = [int(v) for v in (lags[0], lags[2], lags[4]) if v is not None]
    highs = [int(v) for v in (lags[1], lags[3], lags[5]) if v is not None]
    low = min(lows) if lows else -int(getattr(model, "input_chunk_length", 0) or 0)
    return min(low, 0), max(max(highs) if highs else 0, 0)


@dataclasses.dataclass(frozen=True)
class _WindowInputs:
    """Builds one window's input per source: sliced, corrupted at the forecast point and imputed."""

    corruption: Any
    group: Group
    rng: np.random.Generator
    inputs: Mapping[str, TimeSeries | None]  # the clean series
    clean_feed: Mapping[str, TimeSeries | None]  # the clean series as imputed for the model
    policy: str
    low: int  # the most negative input lag (<= 0)
    high: int  # the largest lag (>= 0)
    horizon: int
    means: Mapping[str, np.ndarray]  # per corrupted source: (C,) clean training-period means
    filled: Mapping[str, np.ndarray]  # per corrupted source: (T, C, S) values of its clean_feed

    def input_of(self, src: str, point: Any, p: int) -> TimeSeries:
        """The ``src`` input of the window whose forecast point is ``point`` (position ``p`` in the target)."""
        lo = max(p + self.low, 0)
        if src == "target":
            window, i0 = (self.inputs if "target" in self.group else self.clean_feed)["target"][lo:p], lo
        elif src in self.group:
            window, i0 = self._covariate_slice(src, point, lo)
        else:
            return self.clean_feed[src]  # type: ignore[return-value]  # shared by every window, no copy
        return self._corrupted(src, window, point, i0) if src in self.group else window

    def _covariate_slice(self, src: str, point: Any, lo: int) -> tuple[TimeSeries, int]:
        """The steps of a covariate the model can read: ``p + min_lag`` .. ``p + max_lag + horizon``."""
        series, ts = self.inputs["target"], self.inputs[src]
        index = ts.time_index  # type: ignore[union-attr]
        i0 = int(index.searchsorted(series.time_index[lo]))  # type: ignore[union-attr]
        i1 = int(index.searchsorted(point + (self.high + self.horizon) * series.freq, side="right"))  # type: ignore
        return ts[i0:i1], i0  # type: ignore[index]

    def _corrupted(self, src: str, window: TimeSeries, point: Any, i0: int) -> TimeSeries:
        """``window`` (from position ``i0`` of the source) at forecast time, imputed with the run's policy."""
        window = self.corruption.apply_window(window, point, role=src, components=list(self.group[src]),
                                              rng=self.rng)
        if self.policy == "none":
            return window
        # ffill starts from the last imputed clean value before the slice, seasonal from the last season: what
        # imputing the whole series would give
        season = season_length(window)
        carry = None
        if self.policy in ("ffill", "seasonal") and i0 > 0:
            reach = 1 if self.policy == "ffill" else season
            carry = self.filled[src][max(i0 - reach, 0):i0]  # (R, C, S)
        values = fill_values(window.all_values(copy=True), self.policy, self.means[src], carry,
                             season=season)  # (T, C, S)
        return window.with_values(values.astype(window.dtype, copy=False))


def window_feeds(
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
    and imputed like the historical-forecasts path, with the means computed once (``ffill`` and ``seasonal`` read
    the imputed clean rows before the slice, so each window gets what imputing the whole series with that window's
    fault would give it); an uncorrupted source is the clean (imputed) series itself, shared by every window.
    """
    series = inputs["target"]
    freq = series.freq  # type: ignore[union-attr]
    shift = int(getattr(model, "output_chunk_shift", 0) or 0)
    # per corrupted source, once: the clean training-period means and the imputed clean rows (what ffill and
    # seasonal carry into a slice from before it)
    means = {src: _reference_means(inputs[src], corruption_start) for src in group} if policy != "none" else {}
    filled = {src: clean_feed[src].all_values(copy=False) for src in group}  # type: ignore[union-attr]
    build = _WindowInputs(corruption, group, rng, inputs, clean_feed, policy, *_lag_span(model), horizon, means,
                          filled)
    feeds: dict[str, list[TimeSeries] | None] = {src: (None if inputs[src] is None else []) for src in SOURCES}
    for first_forecast in starts:
        point = first_forecast - shift * freq  # the forecast point: the step after the input window
        p = int(series.get_index_at_point(point))  # type: ignore[union-attr]
        for src, feed in feeds.items():
            if feed is not None:
                feed.append(build.input_of(src, point, p))
    return feeds


def predict_windows(
    model: Any, feeds: Mapping[str, list[TimeSeries] | None], horizon: int, hf_kwargs: Mapping[str, Any],
    expected_starts: Sequence[Any],
) -> list[TimeSeries]:
    """Forecast every window with one batched ``model.predict``; the forecasts must start where the clean
    ``historical_forecasts`` windows did (or the comparison with them would be meaningless)."""
    predict_kwargs = {"verbose": False, "show_warnings": False, **_predict_kwargs(hf_kwargs)}
    forecasts = model.predict(
        n=horizon,
        series=feeds["target"],
        past_covariates=feeds["past"],
        future_covariates=feeds["future"],
        **predict_kwargs,
    )
    got = [f.start_time() for f in forecasts]
    if got != list(expected_starts):
        raise RuntimeError(
            f"per-window predict gave forecasts starting at {got[:3]}..., expected {list(expected_starts)[:3]}...; "
            "this is a bug in evaluate_robustness's window plan."
        )
    return forecasts
