"""Choose ProgressiveFusionForecaster's defaults on EPF with rolling-origin validation (never the test segment).

Each configuration is trained on everything before an origin and scored (standardized MSE, 24 h horizon, one
forecast per day) on the next ``FOLD_ROWS`` rows, for three origins inside the training + validation period of the
TimeXer split. The test segment (last 20 % of rows) is never read. Every finished (config, market, fold, seed) cell
is written atomically to ``benchmarks/tuning/cells/`` so an interrupted run resumes where it stopped.

Usage::

    python benchmarks/tune_epf.py --configs base,late,film --markets NP,PJM --seeds 0
    python benchmarks/tune_epf.py --summary    # table of mean validation MSE per config
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

HERE = Path(__file__).resolve().parent
CELLS = HERE / "tuning" / "cells"
FOLD_ROWS = 24 * 7 * 8  # eight weeks of validation per fold
EPOCHS = 8
TRAIN_WINDOWS = 12_000  # most recent training windows per fit (darts' max_samples_per_ts)

#: Configurations: keyword overrides of ProgressiveFusionForecaster (or another model via "model").
#: The configurations run before ``zero_init_feedback`` became the default (random start of the feedback) say
#: ``"zero_init_feedback": False``; ``random_init`` is the former default. With one refinement (``late``) the
#: feedback is never used, so the switch does not change those.
BASE: dict = {}
RANDOM_INIT = {"zero_init_feedback": False}
CONFIGS: dict[str, dict] = {
    "base": BASE,
    "late": {"n_refinements": 1},
    "r3": {"n_refinements": 3},
    "random_init": RANDOM_INIT,
    "r3_random_init": {**RANDOM_INIT, "n_refinements": 3},
    "film": {**RANDOM_INIT, "context_injection": "film"},
    "gated": {**RANDOM_INIT, "fusion": "gated"},
    "patch8": {"patch_size": 8},
    "rin": {**RANDOM_INIT, "use_reversible_instance_norm": True},
    "noskip": {"use_target_skip": False},
    "mdrop0": {**RANDOM_INIT, "modality_dropout": 0.0},
    "mdrop3": {**RANDOM_INIT, "modality_dropout": 0.3},
    "deep": {**RANDOM_INIT, "deep_supervision": True},
    "arx": {**RANDOM_INIT, "use_covariate_skip": True},
    "late_arx": {"n_refinements": 1, "use_covariate_skip": True},
    "lsq": {**RANDOM_INIT, "use_covariate_skip": True, "fit_linear_skips": True},
    "lsq_late": {"use_covariate_skip": True, "fit_linear_skips": True, "n_refinements": 1},
    "adamw": {**RANDOM_INIT, "optimizer": "adamw", "optimizer_kwargs": {"lr": 1e-3, "weight_decay": 1e-2}},
    "linear": {"model": "linear"},
    "tide": {"model": "tide"},
    "dlinear": {"model": "dlinear"},
}


def fold_origins(n_rows: int) -> list[int]:
    """Three origins: the last two folds of the training split and the first fold of the validation split."""
    val_row = round(0.7 * n_rows)
    return [val_row - 2 * FOLD_ROWS, val_row - FOLD_ROWS, val_row]


def build_model(name: str, overrides: dict, task, seed: int, work_dir: str):
    from darts.models import DLinearModel, LinearRegressionModel, TiDEModel
    from pytorch_lightning.callbacks import EarlyStopping  # noqa: F401  (fixed epochs here: folds are short)

    from pf_forecast import ProgressiveFusionForecaster

    common = {
        "input_chunk_length": task.input_chunk_length,
        "output_chunk_length": task.horizon,
        "n_epochs": EPOCHS,
        "batch_size": 64,
        "random_state": seed,
        "work_dir": work_dir,
        "pl_trainer_kwargs": {"accelerator": "cpu", "enable_progress_bar": False, "enable_model_summary": False,
                              "logger": False},
    }
    overrides = dict(overrides)
    kind = overrides.pop("model", "pf")
    if overrides.pop("optimizer", None) == "adamw":  # decoupled weight decay (a class is not JSON: named here)
        overrides["optimizer_cls"] = torch.optim.AdamW
    if kind == "linear":  # least squares on the same lags of the target and the covariates
        icl = task.input_chunk_length
        return LinearRegressionModel(lags=icl, lags_past_covariates=icl, output_chunk_length=task.horizon)
    if kind == "tide":
        return TiDEModel(**common, **overrides)
    if kind == "dlinear":
        return DLinearModel(**common, **overrides)
    return ProgressiveFusionForecaster(modalities=task.modalities, **common, **overrides)


def run_cell(config: str, market: str, fold: int, seed: int) -> dict:
    from darts.metrics import mse

    from pf_forecast.data import load_epf

    task = load_epf(market)
    origin = fold_origins(len(task.series))[fold]
    series, covs = task.series, task.past_covariates
    model = build_model(config, CONFIGS[config], task, seed, work_dir=str(HERE / "tuning" / "logs"))
    start = time.perf_counter()
    model.fit(series[:origin], past_covariates=covs, max_samples_per_ts=TRAIN_WINDOWS)
    fit_seconds = time.perf_counter() - start
    evaluated = series[: origin + FOLD_ROWS]
    forecasts = model.historical_forecasts(
        evaluated, past_covariates=covs, start=series.time_index[origin], forecast_horizon=task.horizon,
        stride=24, retrain=False, last_points_only=False, verbose=False,
    )
    scores = [mse(evaluated.slice_intersect(f), f) for f in forecasts]
    return {"config": config, "market": market, "fold": fold, "seed": seed, "val_mse": float(np.mean(scores)),
            "fit_seconds": fit_seconds, "params": json.dumps(CONFIGS[config], sort_keys=True)}


def write_atomically(path: Path, frame: pd.DataFrame) -> None:
    tmp = path.with_suffix(".tmp")
    frame.to_csv(tmp, index=False)
    os.replace(tmp, path)


def load_cells() -> pd.DataFrame:
    frames = [pd.read_csv(p) for p in sorted(CELLS.glob("*.csv"))]
    if not frames:
        raise SystemExit("no finished cells yet")
    return pd.concat(frames, ignore_index=True)


def reference_config(config: str) -> str:
    """The configuration a config is compared with: ``random_init`` for those run with the former random start of
    the feedback (so each row changes one thing), ``base`` (the defaults) for every other."""
    overrides = CONFIGS.get(config, {})
    return "random_init" if overrides.get("zero_init_feedback") is False and config != "random_init" else "base"


def summary(cells: pd.DataFrame | None = None) -> pd.DataFrame:
    """Mean validation MSE per config and market (over folds and seeds), and the paired change against its reference.

    ``vs ref`` is the mean over the (market, fold, seed) cells both configs ran of ``mse / reference mse - 1``, the
    reference being :func:`reference_config`: pairing removes most of the fold-to-fold spread, which is far larger
    than the differences between configs; ``± s.e.`` is its standard error over those cells. ``seed spread`` is
    the mean over (market, fold) of the std across seeds (NaN with one seed).
    """
    cells = load_cells() if cells is None else cells
    table = cells.groupby(["config", "market"])["val_mse"].mean().unstack("market")
    table["mean"] = table.mean(axis=1)
    keys = ["market", "fold", "seed"]
    by_config = cells.set_index(["config", *keys])["val_mse"]
    changes, errors = {}, {}
    for config in table.index:
        reference = reference_config(config)
        if reference in table.index and config != reference:
            pairs = pd.concat([by_config[config], by_config[reference]], axis=1, join="inner")
            ratios = pairs.iloc[:, 0] / pairs.iloc[:, 1] - 1
            changes[config] = float(ratios.mean())
            errors[config] = float(ratios.std() / len(ratios) ** 0.5)
    table["ref"] = [reference_config(c) for c in table.index]
    table["vs ref"] = pd.Series(changes)
    table["± s.e."] = pd.Series(errors)
    table["seed spread"] = cells.groupby(["config", "market", "fold"])["val_mse"].std().groupby("config").mean()
    table["seeds"] = cells.groupby("config")["seed"].nunique()
    table["fit s"] = cells.groupby("config")["fit_seconds"].mean()
    table["cells"] = cells.groupby("config").size()
    return table.sort_values("mean")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--markets", default="NP,PJM")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--folds", default="0,1,2")
    parser.add_argument("--summary", action="store_true")
    args = parser.parse_args()
    if args.summary:
        print(summary().round(4).to_string())
        return
    torch.set_num_threads(1)
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    CELLS.mkdir(parents=True, exist_ok=True)
    for config in args.configs.split(","):
        if config not in CONFIGS:
            raise SystemExit(f"unknown config {config!r}; choose from {sorted(CONFIGS)}")
        for market in args.markets.split(","):
            for fold in map(int, args.folds.split(",")):
                for seed in map(int, args.seeds.split(",")):
                    path = CELLS / f"{config}__{market}__{fold}__{seed}.csv"
                    if path.exists():
                        continue
                    row = run_cell(config, market, fold, seed)
                    write_atomically(path, pd.DataFrame([row]))
                    print(f"{config:10s} {market:4s} fold {fold} seed {seed}: val MSE {row['val_mse']:.4f} "
                          f"({row['fit_seconds']:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
