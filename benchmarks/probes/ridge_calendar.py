"""Would calendar dummies help pf's least-squares start? A probe on the rolling-origin validation folds.

pf's linear start is a ridge model per forecast step on the target's lags (and, with ``use_covariate_skip``, the
covariates' values). It has no notion of the hour or weekday a window starts at, so it cannot hold an hour-specific
level. This probe fits that ridge with and without one-hot dummies of the first forecast step's hour and weekday
(which give every step its own hour and weekday level), on the folds ``select_defaults.py`` uses (training windows
before ``origin - fold_rows``, scored on every stride-1 window of ``[origin, origin + fold_rows)``; the test segment
is never read), the ridge strength chosen by 5-fold blocked cross-validation on the training windows.

Usage (what wrote ``ridge_calendar.txt``, the second command's header line dropped)::

    python benchmarks/probes/ridge_calendar.py \
        --tasks epf-NP:past,epf-PJM:past,epf-BE:past,epf-FR:past,epf-DE:past,epf-NP:future,epf-DE:future,beijing:past
    python benchmarks/probes/ridge_calendar.py --tasks etth1:past --folds 3 --fold-rows 1152

What it measured is in ``ridge_calendar.txt``: the dummies help on some tasks and hurt on others (and change
nothing where future covariates carry the daily profile), so pf's start stays without them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # select_defaults
from select_defaults import load_spec, origins  # noqa: E402

ALPHAS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)  # relative to the mean feature energy, as pf's RIDGE_GRID


def window_features(task, starts: np.ndarray, covariates: str, calendar: bool) -> tuple[np.ndarray, np.ndarray]:
    """(X (S, F+1) with a constant last column, Y (S, O)) of the windows whose forecast starts at rows ``starts``."""
    y = task.series.values()[:, 0]
    n_in, horizon = task.input_chunk_length, task.horizon
    lags = np.lib.stride_tricks.sliding_window_view(y, n_in)[starts - n_in]  # (S, L)
    parts = [lags]
    if covariates in ("future", "all") and task.future_covariates is not None:
        values = task.future_covariates.values()
        parts.append(np.lib.stride_tricks.sliding_window_view(values, n_in + horizon, axis=0)[starts - n_in]
                     .reshape(len(starts), -1))  # (S, F*(L+O))
    if covariates == "all" and task.past_covariates is not None:
        values = task.past_covariates.values()
        parts.append(np.lib.stride_tricks.sliding_window_view(values, n_in, axis=0)[starts - n_in]
                     .reshape(len(starts), -1))  # (S, P*L)
    if calendar:
        index = task.series.time_index[starts]
        parts += [np.eye(24)[index.hour], np.eye(7)[index.dayofweek]]  # (S, 24), (S, 7)
    targets = np.lib.stride_tricks.sliding_window_view(y, horizon)[starts]  # (S, O)
    x = np.concatenate(parts, axis=1)
    return np.c_[x, np.ones(len(x))], targets


def ridge(gram: np.ndarray, cross: np.ndarray, alpha: float) -> np.ndarray:
    penalty = alpha * np.diag(gram)[:-1].mean()
    return np.linalg.solve(gram + penalty * np.eye(len(gram)), cross)  # (F+1, O)


def blocked_cv_alpha(x: np.ndarray, y: np.ndarray, folds: int = 5) -> float:
    blocks = np.arange(len(x)) * folds // len(x)
    grams = [x[blocks == k].T @ x[blocks == k] for k in range(folds)]
    crosses = [x[blocks == k].T @ y[blocks == k] for k in range(folds)]
    gram, cross = sum(grams), sum(crosses)
    errors = [sum(np.mean((x[blocks == k] @ ridge(gram - grams[k], cross - crosses[k], a) - y[blocks == k]) ** 2)
                  for k in range(folds)) for a in ALPHAS]
    return ALPHAS[int(np.argmin(errors))]


def probe_folds(description: str):
    """Parse the probes' ``--tasks``, ``--folds`` and ``--fold-rows`` and yield, per task and fold, ``(dataset,
    track, task, origin, training window starts, scored window starts)``: training windows end before the fold's
    validation rows, scored windows lie in ``[origin, origin + fold_rows)``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--tasks", default="epf-NP:past", help="comma list of dataset:track")
    parser.add_argument("--folds", type=int, default=1)
    parser.add_argument("--fold-rows", type=int, default=2016)
    args = parser.parse_args()
    for spec in args.tasks.split(","):
        dataset, track = spec.split(":")
        task = load_spec(dataset, track)
        for origin in origins(task, args.folds, args.fold_rows):
            train = np.arange(task.input_chunk_length, origin - args.fold_rows - task.horizon + 1)
            scored = np.arange(origin, origin + args.fold_rows - task.horizon + 1)
            yield dataset, track, task, origin, train, scored


def main() -> None:
    print("task | covariates | fold | val MSE without calendar | with calendar | change | alpha without / with")
    for dataset, track, task, origin, train, scored in probe_folds(__doc__.split("\n\n")[0]):
        for covariates in ("none", "future", "all"):
            if covariates == "future" and task.future_covariates is None:
                continue
            if covariates == "all" and task.past_covariates is None:
                continue
            scores, chosen = [], []
            for calendar in (False, True):
                x, y = window_features(task, train, covariates, calendar)
                alpha = blocked_cv_alpha(x, y)
                weights = ridge(x.T @ x, x.T @ y, alpha)
                xs, ys = window_features(task, scored, covariates, calendar)
                scores.append(float(np.mean((xs @ weights - ys) ** 2)))
                chosen.append(alpha)
            print(f"{dataset} / {track} | {covariates} | {origin} | {scores[0]:.4f} | {scores[1]:.4f} | "
                  f"{scores[1] / scores[0] - 1:+.1%} | {chosen[0]:g} / {chosen[1]:g}", flush=True)


if __name__ == "__main__":
    main()
