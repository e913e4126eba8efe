"""Is pf without a modality at test time as good as pf retrained without it?

For each EPF market, seed and covariate modality m, train ``pf`` exactly as ``pf-forecast bench`` does (same model
zoo, settings and early stopping) on the task with m's covariates removed, and score it on the same test windows
the benchmark's missing-modality sweep uses (stride = horizon). ``benchmarks/summarize.py`` compares the result
with the benchmark's ``missing:<m>`` MSE of ``pf`` trained on every modality (with its modality dropout).
Each finished (market, modality, seed) cell is written atomically to ``benchmarks/missing_retrain/cells/``; a
rerun skips finished cells.

Usage::

    python benchmarks/missing_retrain.py --markets NP,PJM,BE,FR,DE --seeds 0,1,2
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

from pf_forecast.benchmark.models import BenchSettings, fit_model, make_model
from pf_forecast.benchmark.runner import pooled_errors
from pf_forecast.data import load_epf

HERE = Path(__file__).resolve().parent
CELLS = HERE / "missing_retrain" / "cells"


def bench_settings() -> BenchSettings:
    """The settings of the committed EPF benchmark run (read from one of its cells), so both fits match."""
    meta = next((HERE / "epf" / "cells").glob("*__pf__*.json"), None)
    if meta is None:
        raise SystemExit("run the EPF benchmark first: pf-forecast bench --suite epf --tracks past --out benchmarks/epf")
    settings = json.loads(meta.read_text())["settings"]
    settings["levels"] = tuple(settings["levels"])
    return BenchSettings(**settings, work_dir=str(CELLS.parent / "logs"))


def without_modality(task, modality: str):
    """The task with one past-covariate modality's components removed."""
    kept = {name: comps for name, comps in task.modalities.items() if name != modality}
    covariates = task.past_covariates.drop_columns(task.modalities[modality])
    return dataclasses.replace(task, past_covariates=covariates, modalities=kept)


def run_cell(market: str, modality: str, seed: int, settings: BenchSettings) -> dict:
    task = without_modality(load_epf(market), modality)
    model = make_model("pf", task, seed, settings)
    fit_model(model, "pf", task, settings)
    forecasts = model.historical_forecasts(
        task.series, past_covariates=task.past_covariates, start=task.test_start, forecast_horizon=task.horizon,
        stride=task.horizon, retrain=False, last_points_only=False, overlap_end=False, verbose=False,
        show_warnings=False,
    )
    errors = pooled_errors(task.series, forecasts)
    return {"dataset": f"epf-{market}", "track": "past", "modality": modality, "seed": seed,
            "retrained_mse": errors["mse"], "retrained_mae": errors["mae"], "windows": len(forecasts)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--markets", default="NP,PJM,BE,FR,DE")
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args()
    torch.set_num_threads(1)
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    CELLS.mkdir(parents=True, exist_ok=True)
    settings = bench_settings()
    for market in args.markets.split(","):
        for modality in load_epf(market).modalities:
            for seed in map(int, args.seeds.split(",")):
                path = CELLS / f"epf-{market}__{modality}__{seed}.csv"
                if path.exists():
                    continue
                row = run_cell(market, modality, seed, settings)
                tmp = path.with_suffix(".tmp")
                pd.DataFrame([row]).to_csv(tmp, index=False)
                os.replace(tmp, path)
                print(f"epf-{market} without {modality}, seed {seed}: MSE {row['retrained_mse']:.4f}", flush=True)


if __name__ == "__main__":
    main()
