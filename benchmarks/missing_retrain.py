"""Is pf without a stream at test time as good as pf retrained without it?

For each task, seed and covariate modality m, train ``pf`` exactly as the reference ``pf-forecast bench`` run
trained it (same settings, read from the run's own pf cell; every window; early stopping) on the task with m's
covariates removed, and score it on the test windows of the run's missing-modality sweep (stride = horizon).
``benchmarks/summarize.py`` compares the result with the run's ``missing:<m>`` MSE of ``pf`` trained on every
modality: a model that survives a failed stream should lose nothing against one trained never to need it.

Each finished (task, modality, seed) cell is written atomically to ``benchmarks/missing_retrain/cells/``; a rerun
skips finished cells.

Usage::

    python benchmarks/missing_retrain.py --reference faults_v4 --tasks etth1:past,stocks:past --seeds 0
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import warnings
from pathlib import Path

import pandas as pd
import torch

from pf_forecast.benchmark.models import BenchSettings, fit_model, make_model, model_inputs
from pf_forecast.benchmark.runner import pooled_errors
from pf_forecast.benchmark.suites import TaskSpec
from pf_forecast.data import ForecastingTask

HERE = Path(__file__).resolve().parent
CELLS = HERE / "missing_retrain" / "cells"


def reference_settings(reference: str, dataset: str, track: str) -> BenchSettings:
    """The settings of the reference run's pf cell on this task, so both fits match."""
    meta = HERE / reference / "cells" / f"{dataset}__{track}__pf__0.json"
    if not meta.exists():
        raise SystemExit(f"--reference {reference!r} has no pf cell for {dataset} / {track} ({meta} is missing): "
                         f"run `pf-forecast bench --models pf ... --out benchmarks/{reference}` on that task first, "
                         "or name a run that has it.")
    settings = json.loads(meta.read_text())["settings"]
    settings["levels"] = tuple(settings["levels"])
    return BenchSettings(**settings, work_dir=str(CELLS.parent / "logs"))


def without_modality(task: ForecastingTask, modality: str) -> ForecastingTask:
    """The task with one modality's components removed from whichever covariates hold them."""
    columns = set(task.modalities[modality])

    def drop(covariates):
        if covariates is None:
            return None
        kept = [c for c in covariates.components if c not in columns]
        return covariates[kept] if kept else None

    kept = {name: comps for name, comps in task.modalities.items() if name != modality}
    return dataclasses.replace(task, past_covariates=drop(task.past_covariates),
                               future_covariates=drop(task.future_covariates), modalities=kept)


def run_cell(task: ForecastingTask, modality: str, seed: int, settings: BenchSettings, reference: str) -> dict:
    reduced = without_modality(task, modality)
    model = make_model("pf", reduced, seed, settings)
    inputs = model_inputs("pf", reduced, settings.impute)
    fit_model(model, "pf", reduced, settings, inputs=inputs)
    forecasts = model.historical_forecasts(
        reduced.series, **inputs, start=reduced.test_start, forecast_horizon=reduced.horizon,
        stride=settings.robustness_stride or reduced.horizon, retrain=False, last_points_only=False,
        overlap_end=False, verbose=False, show_warnings=False,
    )
    errors = pooled_errors(reduced.series, forecasts)
    return {"dataset": task.name, "track": task.track, "modality": modality, "seed": seed, "reference": reference,
            "retrained_mse": errors["mse"], "retrained_mae": errors["mae"], "windows": len(forecasts)}


def parse_tasks(text: str) -> list[TaskSpec]:
    specs = []
    for item in text.split(","):
        name, _, track = item.partition(":")
        specs.append(TaskSpec(name, track or "past"))
    return specs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reference", default="faults_v4",
                        help="the bench run (a folder under benchmarks/) whose pf is compared and whose settings "
                             "are reused")
    parser.add_argument("--tasks", default="etth1:past,stocks:past,beijing:past",
                        help="comma-separated TASK:TRACK of the reference run")
    parser.add_argument("--seeds", default="0")
    args = parser.parse_args()
    torch.set_num_threads(1)
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    CELLS.mkdir(parents=True, exist_ok=True)
    for spec in parse_tasks(args.tasks):
        task = spec.load()
        settings = reference_settings(args.reference, task.name, task.track)
        for modality in task.modalities:
            for seed in map(int, args.seeds.split(",")):
                path = CELLS / f"{args.reference}__{task.name}__{task.track}__{modality}__{seed}.csv"
                if path.exists():
                    continue
                row = run_cell(task, modality, seed, settings, args.reference)
                tmp = path.with_suffix(".tmp")
                pd.DataFrame([row]).to_csv(tmp, index=False)
                os.replace(tmp, path)
                print(f"{task.name} / {task.track} without {modality}, seed {seed}: MSE {row['retrained_mse']:.4f}",
                      flush=True)


if __name__ == "__main__":
    main()
