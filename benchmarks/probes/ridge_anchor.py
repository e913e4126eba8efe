"""Should pf's least-squares start shrink toward persistence (the last value) instead of toward zero? A probe on the
rolling-origin validation folds.

pf's linear start is a ridge model per forecast step on the target's lags (and the future covariates' values). A
ridge shrinks its lag weights toward zero, so a strongly regularised fit (a long window, few training windows: the
stocks task's 500 lags) forecasts toward the training mean, where a level-following model (exponential smoothing,
the naive forecast) forecasts from the last value. Ridge on the lags and targets taken *relative to the last
observed value* shrinks toward persistence instead (the Minnesota prior of Bayesian VARs); it is still a linear map
of the lags (the last lag's weight gets one minus the sum of the others), so the network's skip can hold it.

Same folds and ridge cross-validation as ``ridge_calendar.py``; the test segment is never read.

Usage (what wrote ``ridge_anchor.txt``, the later commands' header lines dropped)::

    python benchmarks/probes/ridge_anchor.py \
        --tasks epf-NP:past,epf-PJM:past,epf-BE:past,epf-FR:past,epf-DE:past,epf-NP:future,epf-DE:future,beijing:past
    python benchmarks/probes/ridge_anchor.py --tasks etth1:past --folds 3 --fold-rows 1152
    python benchmarks/probes/ridge_anchor.py --tasks stocks:past --folds 3 --fold-rows 267

What it measured is in ``ridge_anchor.txt``: no general gain (Beijing much worse, ETTh1 and EPF within a few
tenths of a percent, stocks better on two folds and worse on the third), so pf's start keeps shrinking toward zero.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # ridge_calendar
from ridge_calendar import blocked_cv_alpha, probe_folds, ridge, window_features  # noqa: E402


def anchored(task, starts: np.ndarray, covariates: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The windows' (X, Y) with the lags and targets relative to the last lag, and that last lag (S, 1)."""
    x, y = window_features(task, starts, covariates, calendar=False)
    last = x[:, task.input_chunk_length - 1: task.input_chunk_length].copy()  # (S, 1)
    x = x.copy()
    x[:, :task.input_chunk_length] -= last  # the last lag's column becomes 0: dropped by the ridge's penalty
    return x, y - last, last


def main() -> None:
    print("task | covariates | fold | val MSE toward zero | toward the last value | change | alpha zero / last")
    for dataset, track, task, origin, train, scored in probe_folds(__doc__.split("\n\n")[0]):
        for covariates in ("none", "future"):
            if covariates == "future" and task.future_covariates is None:
                continue
            x, y = window_features(task, train, covariates, calendar=False)
            alpha_zero = blocked_cv_alpha(x, y)
            xs, ys = window_features(task, scored, covariates, calendar=False)
            zero = float(np.mean((xs @ ridge(x.T @ x, x.T @ y, alpha_zero) - ys) ** 2))
            xa, ya, _ = anchored(task, train, covariates)
            alpha_last = blocked_cv_alpha(xa, ya)
            xsa, _, last = anchored(task, scored, covariates)
            forecast = xsa @ ridge(xa.T @ xa, xa.T @ ya, alpha_last) + last
            toward_last = float(np.mean((forecast - ys) ** 2))
            print(f"{dataset} / {track} | {covariates} | {origin} | {zero:.4f} | {toward_last:.4f} | "
                  f"{toward_last / zero - 1:+.1%} | {alpha_zero:g} / {alpha_last:g}", flush=True)


if __name__ == "__main__":
    main()
