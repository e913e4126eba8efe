"""The run of ``evaluate_robustness``: forecasts for every group, level and repeat of a plan, and their scores.

:class:`Run` dispatches each corrupted level either to the historical-forecasts path (one corrupted copy of every
input, then ``model.historical_forecasts(retrain=False)``) or to the window-relative path
(:mod:`~pf_forecast.robustness.windows`: one batched ``predict`` over the clean run's windows). The clean run is made
once and shared by every identity level and by the window path, which reuses its windows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from darts import TimeSeries

from pf_forecast.nn.modality import SOURCES

from .imputation import impute_missing
from .plan import Arguments, Group, RobustnessPlan
from .windows import predict_windows, window_feeds

__all__ = ["Run"]

Scores = dict[str, float]  # metric name -> mean over the windows


class Run:
    """The forecasts and scores of one plan; ``rows`` gives the report rows of one group at one level.

    Parameters
    ----------
    model
        The fitted darts model.
    args
        The validated arguments (inputs, horizon, stride, repeats, seed, metrics, imputation policy).
    plan
        The resolved plan.
    """

    def __init__(self, model: Any, args: Arguments, plan: RobustnessPlan) -> None:
        self.model, self.args, self.plan = model, args, plan
        self.n_windows = 0  # windows of the first scored run (0 before any)
        self._scored = False
        self._clean: tuple[Scores, list[Any]] | None = None  # (scores, the forecasts' start times)
        self._clean_feed: dict[str, TimeSeries | None] | None = None

    def rows(self, group_name: str, group: Group, level: float) -> list[dict[str, Any]]:
        """The tidy rows (one per repeat and metric) of ``group`` corrupted at ``level``."""
        return [
            {"corruption": self.plan.corruption_name, "modality": group_name, "level": level, "repeat": repeat,
             "metric": name, "value": value}
            for repeat, scores in enumerate(self._scores(group, level))
            for name, value in scores.items()
        ]

    def _scores(self, group: Group, level: float) -> list[Scores]:
        """The scores of every repeat: the clean run for an identity, one run copied for a deterministic corruption."""
        n_repeats = self.args.n_repeats
        if self.plan.is_identity(level):
            return [self.clean() for _ in range(n_repeats)]
        obj = self.plan.per_level[level]
        if not bool(getattr(obj, "stochastic", True)):
            return [self._corrupted(obj, group, 0)] * n_repeats
        return [self._corrupted(obj, group, repeat) for repeat in range(n_repeats)]

    def _corrupted(self, obj: Any, group: Group, repeat: int) -> Scores:
        """One corrupted run, drawn with ``default_rng([seed, repeat])`` (the same at every level and group)."""
        rng = np.random.default_rng([self.args.seed, repeat])
        if getattr(obj, "window_relative", False):
            return self._windows(obj, group, rng)
        inputs = self.args.inputs
        corrupted = dict(inputs)
        for src in SOURCES:  # past before future, with the one generator
            if src in group:
                corrupted[src] = obj.apply(inputs[src], rng, components=list(group[src]),
                                           start=self.plan.corruption_start)
        return self._historical(corrupted)[0]

    def clean(self) -> Scores:
        """The scores of the clean inputs (run once)."""
        if self._clean is None:
            scores, forecasts = self._historical(self.args.inputs)
            self._clean = scores, [f.start_time() for f in forecasts]
        return self._clean[0]

    # ------------------------------------------------------------------ the two paths
    def _historical(self, inputs: Mapping[str, TimeSeries | None]) -> tuple[Scores, list[TimeSeries]]:
        """``historical_forecasts(retrain=False)`` on the (imputed) inputs, scored."""
        feed = self._imputed(inputs)
        forecasts = self.model.historical_forecasts(
            series=feed["target"],
            past_covariates=feed["past"],
            future_covariates=feed["future"],
            forecast_horizon=self.args.horizon,
            start=self.plan.start,
            stride=self.args.stride,
            retrain=False,
            last_points_only=False,
            overlap_end=False,
            **{"verbose": False, "show_warnings": False, **self.plan.hf_kwargs},
        )
        return self._score(forecasts, "historical_forecasts"), list(forecasts)

    def _windows(self, obj: Any, group: Group, rng: np.random.Generator) -> Scores:
        """The window-relative path: every clean window's inputs corrupted at its forecast point, one predict."""
        self.clean()  # the windows are exactly the clean historical forecasts' windows
        starts = self._clean[1]  # type: ignore[index]
        if self._clean_feed is None:
            self._clean_feed = self._imputed(self.args.inputs)
        feeds = window_feeds(self.model, obj, group, rng, self.args.inputs, self._clean_feed, starts,
                             self.args.horizon, self.args.policy, self.plan.corruption_start)
        forecasts = predict_windows(self.model, feeds, self.args.horizon, self.plan.hf_kwargs, starts)
        return self._score(forecasts, "per-window predict")

    # ------------------------------------------------------------------ imputation and scoring
    def _imputed(self, inputs: Mapping[str, TimeSeries | None]) -> dict[str, TimeSeries | None]:
        """The inputs as the model gets them: the NaN of the corruptible ones filled by the policy."""
        return {src: self._impute(src, inputs[src]) for src in SOURCES}

    def _impute(self, src: str, ts: TimeSeries | None) -> TimeSeries | None:
        """``ts`` (the ``src`` input) with its NaN filled, the means taken from the clean training period."""
        policy = self.args.policy
        if ts is None or policy == "none" or src not in self.plan.corrupted_sources:
            return ts
        return impute_missing(ts, policy, reference=self.args.inputs[src], before=self.plan.corruption_start)

    def _score(self, forecasts: Sequence[TimeSeries], how: str) -> Scores:
        """Every metric, per window against the clean target, averaged over the windows."""
        if not forecasts:
            raise ValueError(f"{how} produced no window from start={self.plan.start!r}.")
        bad = sum(int((~np.isfinite(f.values(copy=False))).sum()) for f in forecasts)
        if bad:  # a NaN score would silently rank the model
            raise ValueError(self._non_finite_message(bad))
        if not self._scored:
            self._scored, self.n_windows = True, len(forecasts)
        actual = [self.args.inputs["target"]] * len(forecasts)
        return {name: float(np.mean(fn(actual, forecasts))) for name, fn in self.args.metrics}

    def _non_finite_message(self, bad: int) -> str:
        fix = ("choose impute='ffill', 'mean' or 'zero' (None picks 'zero' for this model)" if not self.args.handles_nan
               else "check the model's inputs: it declares handles_missing_covariates but did not cope")
        return (
            f"{type(self.model).__name__} returned {bad} non-finite forecast values with impute={self.args.policy!r}; "
            f"the scores would be NaN. {fix[0].upper() + fix[1:]}."
        )
