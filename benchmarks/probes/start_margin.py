"""Should the deep path have to beat pf's least-squares start by a margin before it replaces it? A probe on the
rolling-origin validation folds.

pf starts as a fitted linear model (the least-squares start) and the bench keeps, with
:class:`~pf_forecast.RestoreBestWeights`, the weights of the epoch with the lowest validation loss, the start
included. When an epoch beats the start by a hair on the validation segment, that choice is noise and can cost the
scored segment much (ETTh1's test: the start scores 0.0278, runs whose first epoch replaced it 0.0365 to 0.0807).

This probe trains pf's defaults once per (fold, seed) exactly as ``select_defaults.py`` does (training windows before
``origin - fold_rows``, validation on the ``fold_rows`` rows before ``origin``), keeps the weights and validation
loss of the start and of every epoch, and scores each on every stride-1 window of ``[origin, origin + fold_rows)``
(the test segment is never read). A rule with margin ``m`` keeps the start unless an epoch's validation loss is below
``(1 - m)`` times the start's, and otherwise the epoch with the lowest validation loss: every margin is scored on the
same fits, so the comparison is exactly paired. Finished (task, fold, seed) cells are written to
``benchmarks/probes/start_margin/`` (resumable); ``--summary`` prints each margin's mean MSE and its paired change
against the bench's rule (``m = 0``) with the standard error over (fold, seed).

Usage::

    python benchmarks/probes/start_margin.py --tasks etth1:past --folds 3 --fold-rows 1152 --seeds 0,1,2
    python benchmarks/probes/start_margin.py --tasks stocks:past --folds 3 --fold-rows 267 --seeds 0,1,2
    python benchmarks/probes/start_margin.py --summary

What it measured (the summary) is in ``start_margin.txt``: no margin helps. On ETTh1 an epoch replaces the start on
one fold in three and every margin is within noise of none; on stocks the deep path improves on the start by 1% to
9%, and margins of 5% or more lose 4% ± 2%. So the bench keeps the plain rule (the lowest validation loss).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytorch_lightning as pl
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # select_defaults
from select_defaults import build, fold_task, load_spec, origins, quiet_one_thread  # noqa: E402

from pf_forecast.benchmark.models import BenchSettings, fit_model, model_inputs  # noqa: E402
from pf_forecast.benchmark.runner import pooled_errors, quiet_training  # noqa: E402

HERE = Path(__file__).resolve().parent
CELLS = HERE / "start_margin"
MARGINS = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, math.inf)  # inf: always the least-squares start


class ValidationTrail(pl.Callback):
    """Every full validation pass's loss and weights: the sanity pass over every batch (the start, epoch -1) and
    each epoch's."""

    def __init__(self) -> None:
        super().__init__()
        self.trail: list[tuple[int, float, dict[str, torch.Tensor]]] = []

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:  # noqa: D102
        if trainer.sanity_checking and trainer.num_sanity_val_steps != math.inf:
            return
        value = trainer.callback_metrics.get("val_loss")
        if value is not None:
            epoch = -1 if trainer.sanity_checking else int(trainer.current_epoch)
            self.trail.append((epoch, float(value), {k: v.detach().clone() for k, v in pl_module.state_dict().items()}))


def chosen_epoch(trail: list[tuple[int, float]], margin: float) -> int:
    """The epoch a margin-``margin`` rule keeps (-1: the start)."""
    start = next(loss for epoch, loss in trail if epoch == -1)
    handicap = 0.0 if math.isinf(margin) else start * (1 - margin)
    epochs = [(loss, epoch) for epoch, loss in trail if epoch >= 0 and loss < handicap]
    return min(epochs)[1] if epochs else -1


class FoldFit:
    """pf's defaults (or the bench model or pf configuration ``name``) trained on one (fold, seed) exactly as
    ``select_defaults.py`` trains them, with the loss and weights of every full validation pass (``trail``:
    ``[(epoch, loss, weights)]``, epoch -1 the weights training starts from)."""

    def __init__(self, dataset: str, track: str, origin: int, rows: int, seed: int, settings: BenchSettings,
                 name: str = "base") -> None:
        self.task = fold_task(load_spec(dataset, track), origin, rows)
        self.model, bench_name = build(name, self.task, seed, settings)
        recorder = ValidationTrail()
        self.model.trainer_params["callbacks"].append(recorder)
        self.inputs = model_inputs(bench_name, self.task, settings.impute)
        with quiet_training():
            self.facts = fit_model(self.model, bench_name, self.task, settings, inputs=self.inputs)
        self.trail = recorder.trail

    def forecasts(self, state: dict[str, torch.Tensor], validation: bool = False) -> list:
        """Every stride-1 forecast of the scored rows (or, with ``validation``, of the validation segment) made with
        the weights ``state``."""
        series = self.task.series[:self.task.split_index()[1]] if validation else self.task.series
        self.model.model.load_state_dict(state)
        with quiet_training():
            return self.model.historical_forecasts(
                series, start=self.task.val_start if validation else self.task.test_start,
                forecast_horizon=self.task.horizon, stride=1, retrain=False, last_points_only=False,
                overlap_end=False, verbose=False, show_warnings=False, **self.inputs)

    def mse(self, forecasts: list) -> float:
        """The pooled MSE of ``forecasts`` against the task's series."""
        return pooled_errors(self.task.series, forecasts)["mse"]


def run_cell(dataset: str, track: str, origin: int, rows: int, seed: int, settings: BenchSettings,
             name: str = "base") -> dict:
    fit = FoldFit(dataset, track, origin, rows, seed, settings, name)
    scores = {epoch: fit.mse(fit.forecasts(state)) for epoch, _, state in fit.trail}
    trail = [(epoch, loss) for epoch, loss, _ in fit.trail]
    row = {"dataset": dataset, "track": track, "fold": origin, "seed": seed, "best_epoch": fit.facts["best_epoch"],
           "trail": json.dumps([[epoch, loss, scores[epoch]] for epoch, loss in trail])}
    for margin in MARGINS:
        row[f"mse_m{margin}"] = scores[chosen_epoch(trail, margin)]
    row["mse_oracle"] = min(scores.values())  # the best snapshot on the scored segment: an upper bound, not a rule
    return row


def paired_summary(cells_dir: Path, base: str, label: str) -> pd.DataFrame:
    """Per task and rule (each ``mse_*`` column of the cells in ``cells_dir``): the cells that scored it, the mean
    MSE, its mean paired change against column ``base`` (``label``) with the standard error over (fold, seed), and
    the spread over those cells (std / mean)."""
    cells = pd.concat([pd.read_csv(p) for p in sorted(cells_dir.glob("*.csv"))], ignore_index=True)
    cells["model"] = cells["model"].fillna("base") if "model" in cells else "base"  # cells before --model: pf
    rows = []
    for (dataset, track, model), group in cells.groupby(["dataset", "track", "model"]):
        for column in [c for c in group.columns if c.startswith("mse_")]:
            scored = group[group[column].notna()]  # a rule added later is missing from earlier cells
            paired = scored[column] / scored[base] - 1
            rows.append({"task": f"{dataset} / {track}", "model": model, "rule": column.removeprefix("mse_"),
                         "cells": len(scored),
                         "mse": scored[column].mean(), label: paired.mean(),
                         "se": paired.std(ddof=1) / np.sqrt(len(paired)) if len(paired) > 1 else np.nan,
                         "spread": scored[column].std(ddof=1) / scored[column].mean() if len(scored) > 1 else np.nan})
    return pd.DataFrame(rows)


def probe_main(doc: str, cells_dir: Path, run_cell, summary, is_done=Path.exists, describe=str) -> None:
    """The command line a validation-fold probe shares: ``--tasks``, ``--folds``, ``--fold-rows``, ``--seeds`` and
    ``--model`` run ``run_cell(dataset, track, origin, fold_rows, seed, settings, model)`` per (task, seed, fold)
    whose cell file is not ``is_done``, writing each row atomically and printing ``describe(row)``; ``--summary``
    prints ``summary()``."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--tasks", default="etth1:past", help="comma list of dataset:track")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--fold-rows", type=int, required=False)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--model", default="base",
                        help="a pf configuration of select_defaults.py (base: pf's defaults) or a bench model")
    parser.add_argument("--summary", action="store_true")
    args = parser.parse_args()
    if args.summary:
        print(summary().to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        return
    quiet_one_thread()
    cells_dir.mkdir(parents=True, exist_ok=True)
    settings = BenchSettings(work_dir=str(cells_dir / "logs"))
    for spec in args.tasks.split(","):
        dataset, track = spec.split(":")
        task = load_spec(dataset, track)
        rows = args.fold_rows or max(10 * task.horizon, task.split_index()[1] // 10)
        for seed in (int(s) for s in args.seeds.split(",")):
            for origin in origins(task, args.folds, rows):
                suffix = "" if args.model == "base" else f"__{args.model}"
                path = cells_dir / f"{dataset}__{track}__o{origin}x{rows}__{seed}{suffix}.csv"
                if is_done(path):
                    continue
                row = {**run_cell(dataset, track, origin, rows, seed, settings, args.model), "model": args.model}
                tmp = path.with_suffix(".tmp")
                pd.DataFrame([row]).to_csv(tmp, index=False)
                os.replace(tmp, path)
                print(f"{path.name}: {describe(row)}", flush=True)


def summary() -> pd.DataFrame:
    return paired_summary(CELLS, "mse_m0.0", "vs_m0")


def main() -> None:
    probe_main(__doc__, CELLS, run_cell, summary, describe=lambda row: (
        f"best epoch {row['best_epoch']}, m0 {row['mse_m0.0']:.4f}, start {row['mse_minf']:.4f}, "
        f"oracle {row['mse_oracle']:.4f}"))


if __name__ == "__main__":
    main()
