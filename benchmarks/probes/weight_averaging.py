"""Would averaging pf's weights over its best epochs (or its forecasts over them) beat keeping the single best
epoch? A probe on the rolling-origin validation folds, aimed at pf's seed-to-seed spread on EPF.

With every window and early stopping, pf's test MSE spreads widely over seeds on some EPF markets (PJM future:
0.081, 0.084, 0.130; DE past: 0.431, 0.473, 0.518), and the seed that did worst kept an early epoch. Averaging
the weights of several epochs (as stochastic weight averaging does along one run) or their forecasts (a snapshot
ensemble: one fit, several predict calls) is a standard remedy that costs no extra training.

This probe trains pf's defaults once per (fold, seed) exactly as ``select_defaults.py`` does, records the
validation loss and weights of the least-squares start and of every epoch (``start_margin.ValidationTrail``), and
scores on every stride-1 window of ``[origin, origin + fold_rows)`` (the test segment is never read):

- ``best``: the epoch with the lowest validation loss (the bench's rule, ``RestoreBestWeights``);
- ``avg_top3`` / ``avg_top5``: the uniform average of the weights of the 3 / 5 snapshots with the lowest
  validation loss (the start included when it is among them);
- ``avg_tail``: the uniform average of every epoch from the best one to the last (the patience epochs);
- ``ens_top3``: the mean of the forecasts of the 3 best snapshots;
- ``oracle``: the best snapshot on the scored rows (a bound, not a rule).

Every rule is scored on the same fits, so the comparison is exactly paired. Finished (task, fold, seed) cells are
written to ``benchmarks/probes/weight_averaging/`` (resumable); ``--summary`` prints each rule's mean MSE and its
paired change against ``best`` with the standard error over (fold, seed).

Usage::

    python benchmarks/probes/weight_averaging.py --tasks stocks:past --folds 3 --fold-rows 267 --seeds 0,1,2
    python benchmarks/probes/weight_averaging.py --tasks epf-PJM:past --folds 1 --fold-rows 2016 --seeds 0,1,2
    python benchmarks/probes/weight_averaging.py --summary
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # select_defaults
sys.path.insert(0, str(Path(__file__).resolve().parent))  # start_margin
from select_defaults import build, fold_task, origins  # noqa: E402
from start_margin import ValidationTrail  # noqa: E402

from pf_forecast.benchmark.models import BenchSettings, fit_model, model_inputs  # noqa: E402
from pf_forecast.benchmark.runner import pooled_errors, quiet_training  # noqa: E402
from pf_forecast.data import load_task  # noqa: E402

HERE = Path(__file__).resolve().parent
CELLS = HERE / "weight_averaging"


def averaged_state(states: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """The uniform average of ``states``' floating-point tensors; other tensors (integer counters) from the first."""
    return {key: (torch.stack([s[key] for s in states]).mean(0) if value.is_floating_point() else value)
            for key, value in states[0].items()}


def run_cell(dataset: str, track: str, origin: int, rows: int, seed: int, settings: BenchSettings) -> dict:
    kwargs = {"track": track} if dataset.startswith("epf-") or dataset == "beijing" else {}
    task = fold_task(load_task(dataset, **kwargs), origin, rows)
    model, bench_name = build("base", task, seed, settings)
    recorder = ValidationTrail()
    model.trainer_params["callbacks"].append(recorder)
    inputs = model_inputs(bench_name, task, settings.impute)

    def forecasts_with(state: dict[str, torch.Tensor]) -> list:
        model.model.load_state_dict(state)
        return model.historical_forecasts(
            task.series, start=task.test_start, forecast_horizon=task.horizon, stride=1, retrain=False,
            last_points_only=False, overlap_end=False, verbose=False, show_warnings=False, **inputs)

    with quiet_training():
        facts = fit_model(model, bench_name, task, settings, inputs=inputs)
        trail = recorder.trail  # [(epoch, validation loss, weights)], epoch -1 the least-squares start
        by_loss = sorted(range(len(trail)), key=lambda i: trail[i][1])
        best = by_loss[0]
        per_snapshot = {i: forecasts_with(trail[i][2]) for i in range(len(trail))}
        scores = {i: pooled_errors(task.series, f)["mse"] for i, f in per_snapshot.items()}
        rules = {"best": scores[best], "oracle": min(scores.values())}
        for k in (3, 5):
            chosen = by_loss[:k]
            rules[f"avg_top{k}"] = pooled_errors(task.series, forecasts_with(
                averaged_state([trail[i][2] for i in chosen])))["mse"]
        tail = [i for i in range(len(trail)) if trail[i][0] >= max(trail[best][0], 0)]
        rules["avg_tail"] = pooled_errors(task.series, forecasts_with(
            averaged_state([trail[i][2] for i in tail])))["mse"]
        top3 = [per_snapshot[i] for i in by_loss[:3]]
        ensemble = [sum(parts[1:], parts[0]) / len(parts) for parts in zip(*top3)]
        rules["ens_top3"] = pooled_errors(task.series, ensemble)["mse"]
    row = {"dataset": dataset, "track": track, "fold": origin, "seed": seed, "best_epoch": facts["best_epoch"],
           "trail": json.dumps([[epoch, loss, scores[i]] for i, (epoch, loss, _) in enumerate(trail)])}
    row.update({f"mse_{name}": value for name, value in rules.items()})
    return row


def summary() -> pd.DataFrame:
    cells = pd.concat([pd.read_csv(p) for p in sorted(CELLS.glob("*.csv"))], ignore_index=True)
    rows = []
    for (dataset, track), group in cells.groupby(["dataset", "track"]):
        base = group["mse_best"]
        for column in [c for c in group.columns if c.startswith("mse_")]:
            paired = group[column] / base - 1
            rows.append({"task": f"{dataset} / {track}", "rule": column.removeprefix("mse_"), "cells": len(group),
                         "mse": group[column].mean(), "vs_best": paired.mean(),
                         "se": paired.std(ddof=1) / np.sqrt(len(paired)) if len(paired) > 1 else np.nan,
                         "seed_spread": group[column].std(ddof=1) / group[column].mean() if len(group) > 1 else np.nan})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", default="stocks:past", help="comma list of dataset:track")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--fold-rows", type=int, required=False)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--summary", action="store_true")
    args = parser.parse_args()
    if args.summary:
        print(summary().to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        return
    torch.set_num_threads(1)
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    CELLS.mkdir(parents=True, exist_ok=True)
    settings = BenchSettings(work_dir=str(CELLS / "logs"))
    for spec in args.tasks.split(","):
        dataset, track = spec.split(":")
        kwargs = {"track": track} if dataset.startswith("epf-") or dataset == "beijing" else {}
        task = load_task(dataset, **kwargs)
        rows = args.fold_rows or max(10 * task.horizon, task.split_index()[1] // 10)
        for seed in (int(s) for s in args.seeds.split(",")):
            for origin in origins(task, args.folds, rows):
                path = CELLS / f"{dataset}__{track}__o{origin}x{rows}__{seed}.csv"
                if path.exists():
                    continue
                row = run_cell(dataset, track, origin, rows, seed, settings)
                tmp = path.with_suffix(".tmp")
                pd.DataFrame([row]).to_csv(tmp, index=False)
                os.replace(tmp, path)
                print(f"{path.name}: best epoch {row['best_epoch']}, best {row['mse_best']:.4f}, "
                      f"avg_top3 {row['mse_avg_top3']:.4f}, ens_top3 {row['mse_ens_top3']:.4f}, "
                      f"oracle {row['mse_oracle']:.4f}", flush=True)


if __name__ == "__main__":
    main()
