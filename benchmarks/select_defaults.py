"""Choose ProgressiveFusionForecaster's defaults on rolling-origin validation folds (never the test segment).

For each task, ``--folds`` origins are placed inside the history before the test segment; fold ``k`` trains on
every window before ``origin - fold_rows`` exactly as ``pf-forecast bench`` does (same model zoo, settings and early
stopping, on the ``fold_rows`` rows before the origin), then scores every stride-1 window whose forecast lies in
``[origin, origin + fold_rows)``: thousands of forecasts per fold, so configurations a few percent apart can be
ranked. The last fold ends where the test segment starts; the test segment is never read.

A configuration is a set of keyword overrides of ``ProgressiveFusionForecaster`` (``CONFIGS``); ``--peers`` adds
other bench models on the same folds. Every finished (config, task, fold, seed) cell is written atomically to
``benchmarks/selection/cells/`` so an interrupted run resumes where it stopped; ``--summary`` prints, per task, each
configuration's mean MSE and its mean paired change against ``v1`` (the former defaults; else ``base``) with the
standard error over (fold, seed).

Usage::

    python benchmarks/select_defaults.py --tasks etth1:past,stocks:past --configs v1,base --peers linear,tide \\
        --seeds 0,1,2
    python benchmarks/select_defaults.py --summary
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from pf_forecast import ProgressiveFusionForecaster
from pf_forecast.benchmark.models import (
    DETERMINISTIC_MODELS,
    LOCAL_MODELS,
    BenchSettings,
    fit_model,
    make_model,
    model_config,
    model_inputs,
)
from pf_forecast.benchmark.runner import pooled_errors, quiet_training
from pf_forecast.data import ForecastingTask, load_task
from pf_forecast.robustness import FAULTS, evaluate_robustness, fault_middle_level

HERE = Path(__file__).resolve().parent
CELLS = HERE / "selection" / "cells"

#: Keyword overrides of ProgressiveFusionForecaster's defaults.
CONFIGS: dict[str, dict] = {
    "base": {},  # the defaults of the code that runs it
    # the defaults before the least-squares start (pf-v1): the target skip trained from a random start
    "v1": {"fit_linear_skips": False, "use_target_skip": True, "use_covariate_skip": False, "gap_fill": "zero"},
    # the defaults before the future-covariate skip (pf-v2)
    "v2": {"use_covariate_skip": False},
    "late": {"n_refinements": 1},
    # the context fed into the last residual layer's input (the stem and the layers below run once per forward)
    "ctx_last": {"context_layer": 3},
    # calendar features as one more stream (darts' cyclic encoders, known over the horizon): the hour of day and the
    # day of the week of every input and forecast step (constant, so harmless, on daily data for the hour)
    "calendar": {"add_encoders": {"cyclic": {"future": ["hour", "dayofweek"]}}},
    # what modality dropout (training with whole streams hidden, for forecasts without them) costs on clean data
    "mdrop0": {"modality_dropout": 0.0},
    # a failed future stream: the linear path becomes the least-squares model without it, not the full one with
    # that stream's contribution at zero (scored with --removal; the defaults since, as "base")
    "fallback": {"linear_fallback": True},
    # the least-squares start with the former fixed ridge (1e-3 of the mean feature energy) instead of the
    # cross-validated one: target skip only, or with the covariate skip (a linear path over every covariate value)
    "lsq_target_r1e-3": {"fit_linear_skips": True, "linear_skip_ridge": 1e-3, "use_covariate_skip": False,
                         "gap_fill": "zero"},
    "lsq_r1e-3": {"fit_linear_skips": True, "linear_skip_ridge": 1e-3, "use_covariate_skip": True,
                  "clip_covariate_skip": False},
    # the temporal decoder (each horizon step reads its own future-covariate values)
    "lsq_target_r1e-3_dec": {"fit_linear_skips": True, "linear_skip_ridge": 1e-3, "decoder_size": 8,
                             "use_covariate_skip": False},
    "dec": {"decoder_size": 8},
    # the covariate skip with the cross-validated ridge of the defaults: the least-squares start is then a linear
    # ARX model over every stream (what darts' linear model is), the deep path learning what it misses
    "cov": {"use_covariate_skip": True, "clip_covariate_skip": False},
    # the covariate skip over every stream, the least-squares start choosing which streams its linear model reads
    # (forward selection by blocked cross-validation on the training windows)
    "auto": {"use_covariate_skip": "auto"},
    # the covariate skip over the future covariates only (the streams known over the horizon)
    "cov_future": {"use_covariate_skip": "future", "clip_covariate_skip": False},
    # ... with the values it reads clipped to their training range (a spike then moves it by at most the range)
    "cov_future_clip": {"use_covariate_skip": "future", "clip_covariate_skip": True, "linear_fallback": False},
    # training with streams failing part-way (late data, outages), beside modality dropout
    "v1_faults": {"fit_linear_skips": False, "use_target_skip": True, "use_covariate_skip": False,
                  "gap_fill": "zero", "fault_dropout": 0.2},
    "lsq_target_r1e-3_faults": {"fit_linear_skips": True, "linear_skip_ridge": 1e-3, "use_covariate_skip": False,
                                "gap_fill": "zero", "fault_dropout": 0.2},
    "faults": {"fault_dropout": 0.2, "gap_fill": "zero"},  # measured before gap filling: paired with gap_zero
    "wide": {"hidden_size": 64},
    # learning-rate schedules (the bench's Adam at 1e-3 otherwise stays constant): halve the rate after an epoch
    # without a lower validation loss, or decay it by a fifth every epoch
    "lr_plateau": {"lr_scheduler_cls": torch.optim.lr_scheduler.ReduceLROnPlateau,
                   "lr_scheduler_kwargs": {"factor": 0.5, "patience": 1}},
    "lr_exp": {"lr_scheduler_cls": torch.optim.lr_scheduler.ExponentialLR, "lr_scheduler_kwargs": {"gamma": 0.8}},
    # a third of the bench's learning rate (the deep path learns a residual of the least-squares start)
    "lr_low": {"optimizer_kwargs": {"lr": 3e-4}},
    # the ridge of the least-squares start cross-validated on contiguous blocks of windows (no overlapping
    # neighbour of a held-out window in the training folds), alone and with the covariate skip over every stream
    "cv_blocked": {"linear_skip_cv": "blocked"},
    "cov_blocked": {"use_covariate_skip": True, "clip_covariate_skip": False, "linear_skip_cv": "blocked"},
    "patch1": {"patch_size": 1},
    # two more residual layers (dilations up to 16 patches): a receptive field of 252 hours (over a week), not 60
    "deep6": {"num_layers": 6},
    # each modality's encoder a residual MLP over its whole flattened window (as TiDE's encoder), not a TCN
    "dense": {"encoder": "dense"},
    # what the network reads at a stream's missing steps (the default: "auto")
    "gap_zero": {"gap_fill": "zero"},
    "gap_ffill": {"gap_fill": "ffill"},
    "gap_seasonal": {"gap_fill": "seasonal"},
}
#: The ablations measured against pf-v2 too (``v2_late``, ``v2_gap_zero``, ...: that ablation on pf-v2).
CONFIGS.update({f"v2_{name}": {**CONFIGS["v2"], **CONFIGS[name]}
                for name in ("late", "gap_zero", "gap_ffill", "gap_seasonal")})
#: The gap-fill configurations of each reference: they share the reference's fits (``"auto"`` is the reference's).
GAP_FILL_CONFIGS = {reference: {f"{prefix}gap_{policy}": policy for policy in ("zero", "ffill", "seasonal")}
                    for reference, prefix in (("base", ""), ("v2", "v2_"))}
#: Options whose values build the same network on a task without future covariates (a covariate skip over the
#: future covariates only is then no skip): a cell built with either counts as built with the other there.
SAME_WITHOUT_FUTURE = {"use_covariate_skip": ("False", "'future'"), "clip_covariate_skip": ("False", "True"),
                       "linear_fallback": ("False", "True")}
#: Options that only change how the network reads gaps in its inputs: on a fold whose data have no gaps, training
#: is the same whatever their value, so configurations that differ only in them share one fit (exactly paired).
FORECAST_TIME_OPTIONS = ("gap_fill",)
#: Configurations paired with another than the task's reference (``v1``, else ``base``): the gap fills with the one
#: they share fits with, late fusion with the defaults it ablates (does the feedback still earn its cost?; on the
#: EPF future folds the defaults ran as ``cov_future_clip``, the same options).
PAIRED_WITH = {**{name: (reference,) for reference, fills in GAP_FILL_CONFIGS.items() for name in fills},
               "late": ("base", "cov_future_clip"), "auto": ("base", "cov_future_clip"), "v2_late": ("v2",),
               "cov": ("base", "v2"),
               "cov_future": ("v2", "base"),
               "cov_future_clip": ("cov_future", "v2"),
               "faults": ("gap_zero", "base"), "dec": ("base", "cov_future"), "wide": ("base", "cov_future"),
               "patch1": ("base", "cov_future"), "deep6": ("base", "cov_future"),
               "lr_plateau": ("base", "cov_future"), "lr_exp": ("base", "cov_future"),
               "cv_blocked": ("base", "cov_future"), "cov_blocked": ("cov", "base"),
               "lr_low": ("base", "cov_future"), "dense": ("base", "cov_future"),
               "calendar": ("base", "cov_future_clip"), "mdrop0": ("base", "cov_future_clip"),
               "fallback": ("base", "cov_future_clip")}


def without_future_effect(config: dict[str, str]) -> dict[str, str]:
    """``config`` (recorded values) with :data:`SAME_WITHOUT_FUTURE`'s options at their first value: how a cell
    of a task without future covariates is compared."""
    return {**config, **{name: values[0] for name, values in SAME_WITHOUT_FUTURE.items()
                         if config.get(name) in values}}


def as_built(config: dict[str, str]) -> dict[str, str]:
    """``config`` (recorded values) with the values that build the same model spelled one way: the target skip's
    ``None`` is on for point forecasts, the ridge of the least-squares start and the linear fallbacks are unused
    without that start, and the clipping of the covariate skip and the fallbacks without that skip."""
    config = dict(config)
    if config.get("use_target_skip") == "None" and config.get("likelihood", "None") == "None":
        config["use_target_skip"] = "True"
    if config.get("fit_linear_skips") == "False":
        config.pop("linear_skip_ridge", None)
        config.pop("linear_fallback", None)  # fitted by the start only
    if config.get("use_covariate_skip") == "False":
        config.pop("clip_covariate_skip", None)
        config.pop("linear_fallback", None)
    return config


def fold_task(task: ForecastingTask, origin: int, fold_rows: int) -> ForecastingTask:
    """``task`` re-split so that training ends ``fold_rows`` before ``origin``, validation is the ``fold_rows`` rows
    before it and the scored segment is ``[origin, origin + fold_rows)`` (the series is cut there)."""
    index = task.series.time_index
    return dataclasses.replace(task, series=task.series[:origin + fold_rows], val_start=index[origin - fold_rows],
                               test_start=index[origin])


def origins(task: ForecastingTask, folds: int, fold_rows: int) -> list[int]:
    """The fold origins, the last fold ending at the test segment's first row."""
    _, test_row = task.split_index()
    return [test_row - k * fold_rows for k in range(folds, 0, -1)]


def default_fold_rows(task: ForecastingTask) -> int:
    """A tenth of the history before the test segment (EPF: ~6 months of hours; ETTh1: 48 days)."""
    _, test_row = task.split_index()
    return max(10 * task.horizon, test_row // 10)


def build(name: str, task: ForecastingTask, seed: int, settings: BenchSettings):
    """The bench's model ``name``, or pf with the overrides of configuration ``name``."""
    if name not in CONFIGS:
        return make_model(name, task, seed, settings), name
    base = make_model("pf", task, seed, settings)
    return ProgressiveFusionForecaster(**{**base.model_params, **CONFIGS[name]}), "pf"


def stream_scores(model, task: ForecastingTask, seed: int, corruption: str, level: float) -> dict[tuple[str, str], float]:
    """(corruption, modality) -> MSE on the fold with that covariate modality alone corrupted at ``level`` (one
    forecast per horizon; the NaN reach pf as they are)."""
    report = evaluate_robustness(model, task.series, past_covariates=task.past_covariates,
                                 future_covariates=task.future_covariates, corruption=corruption, levels=[0.0, level],
                                 modalities=task.modalities, forecast_horizon=task.horizon, start=task.test_start,
                                 stride=task.horizon, seed=seed, metrics="mse")
    return {key: float(curve.loc[level]) for key, curve in report.mean_curves("mse").items()}


def fault_scores(model, task: ForecastingTask, seed: int) -> dict[str, float]:
    """MSE on the fold with each covariate modality failing alone under each stream fault at its middle severity."""
    return {f"fault:{corruption}:{modality}": mse for fault in FAULTS
            for (corruption, modality), mse in stream_scores(model, task, seed, fault, fault_middle_level(fault)).items()}


def removal_scores(model, task: ForecastingTask, seed: int) -> dict[str, float]:
    """MSE on the fold with each covariate modality removed alone for the whole fold."""
    return {f"removed:{modality}": mse for (_, modality), mse in stream_scores(model, task, seed, "missing", 1.0).items()}


def has_gaps(task: ForecastingTask) -> bool:
    """Whether the task's target or covariates hold a NaN."""
    return any(np.isnan(s.values()).any() for s in (task.series, task.past_covariates, task.future_covariates)
               if s is not None)


def training_key(name: str, task: ForecastingTask) -> str | None:
    """Configurations with one key train the same model on ``task`` (see :data:`FORECAST_TIME_OPTIONS`); ``None``
    for a peer, or where the data have gaps."""
    if name not in CONFIGS or has_gaps(task):
        return None
    trained = {k: v for k, v in CONFIGS[name].items() if k not in FORECAST_TIME_OPTIONS}
    return json.dumps(trained, sort_keys=True, default=repr)  # repr: a class (a learning-rate schedule)


def run_cell(name: str, task: ForecastingTask, origin: int, seed: int, settings: BenchSettings,
             with_faults: bool = False, fits: dict | None = None, with_removal: bool = False) -> dict:
    """One (configuration, fold, seed) cell; ``fits`` (training key -> fitted model, fit facts and seconds) lends
    a fit to the configurations that train the same model, and keeps this one's."""
    model, bench_name = build(name, task, seed, settings)
    config = model_config(model)  # this configuration's, also where it borrows a fit
    inputs = model_inputs(bench_name, task, settings.impute)
    key = training_key(name, task)
    if fits is not None and key in fits:
        fitted, facts, fit_seconds = fits[key]
        for option in FORECAST_TIME_OPTIONS:  # this configuration's values on the shared fit
            value = getattr(model, option)
            setattr(fitted, option, value)
            setattr(fitted.model.network, option, value)
        model = fitted
    else:
        start = time.perf_counter()
        facts = fit_model(model, bench_name, task, settings, inputs=inputs)
        fit_seconds = time.perf_counter() - start
        if fits is not None and key is not None:
            fits[key] = (model, facts, fit_seconds)
    local = bench_name in LOCAL_MODELS  # refitted on the history before every window, as the bench scores it
    forecasts = model.historical_forecasts(
        task.series, start=task.test_start, forecast_horizon=task.horizon, stride=1, retrain=local,
        last_points_only=False, overlap_end=False, verbose=False, show_warnings=False, **({} if local else inputs),
    )
    scores = pooled_errors(task.series, forecasts)
    if with_faults and name in CONFIGS:  # each stream failing alone at each fault's middle severity
        scores.update(fault_scores(model, task, seed))
    if with_removal and name in CONFIGS:  # each stream removed alone for the whole fold
        scores.update(removal_scores(model, task, seed))
    return {"config": name, "dataset": task.name, "track": task.track, "fold": origin, "seed": seed, **scores,
            "n_windows": len(forecasts), "fit_seconds": fit_seconds, "epochs": facts.get("epochs_trained"),
            # pf: the covariate modalities its least-squares start's linear model reads
            "linear_skip_modalities": json.dumps(facts.get("linear_skip_modalities")),
            "overrides": json.dumps(CONFIGS.get(name, {"model": name}), sort_keys=True, default=repr),
            # every hyper-parameter as built: "base" means the defaults of the code that ran it
            "model_config": json.dumps(config, sort_keys=True)}


def check_cell(path: Path, model, ignore: tuple[str, ...] = (), has_future: bool = True) -> None:
    """Refuse to reuse a finished cell computed with other hyper-parameters than ``model``'s (``base`` follows the
    defaults of the code that runs it). An option the cell predates counts as its value before it existed; options
    in ``ignore`` are not compared (:data:`FORECAST_TIME_OPTIONS` where the cell's data have no gaps), nor those of
    :data:`SAME_WITHOUT_FUTURE` on a task without future covariates (``has_future`` false)."""
    from pf_forecast.model import _ADDED_LATER

    before = {name: repr(value) for name, value in _ADDED_LATER.items()}  # what a cell predating an option had
    built = {**before, **json.loads(pd.read_csv(path).model_config.iloc[0])}
    built, wanted = as_built(built), as_built(model_config(model))
    if not has_future:
        built, wanted = without_future_effect(built), without_future_effect(wanted)
    changed = [f"{name}: {built[name]} -> {value}" for name, value in wanted.items()
               if name not in ("random_state", *ignore) and name in built and built[name] != value]
    if changed:
        raise SystemExit(f"{path.name} was computed with other hyper-parameters ({'; '.join(changed)}): the "
                         "defaults changed since. Move it away (e.g. rename its configuration) to recompute it.")


def load_spec(dataset: str, track: str) -> ForecastingTask:
    """The suite task ``dataset`` on ``track`` (ignored by the datasets that have one track)."""
    return load_task(dataset, **({"track": track} if dataset.startswith("epf-") or dataset == "beijing" else {}))


def quiet_one_thread() -> None:
    """One torch thread (two on a busy two-core machine can be far slower), no Lightning logs or warnings."""
    torch.set_num_threads(1)
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")


def run(tasks: list[tuple[str, str]], names: list[str], folds: int, seeds: list[int], fold_rows: int | None,
        with_faults: bool = False, with_removal: bool = False) -> None:
    CELLS.mkdir(parents=True, exist_ok=True)
    settings = BenchSettings(work_dir=str(CELLS.parent / "logs"))
    for dataset, track in tasks:
        task = load_spec(dataset, track)
        rows = fold_rows or default_fold_rows(task)
        # how the network reads gaps cannot change a clean score on data without gaps
        gap_free = not (with_faults or with_removal) and not has_gaps(task)
        suffix = "__faults" * with_faults + "__removal" * with_removal
        for seed in seeds:  # every fold and configuration of one seed before the next seed
            for origin in origins(task, folds, rows):
                fits: dict = {}  # this fold's fits, shared by the configurations that train the same model
                for name in names:
                    # named by the origin row and fold length, so runs with other fold layouts never collide
                    path = CELLS / f"{name}__{dataset}__{track}__o{origin}x{rows}__{seed}{suffix}.csv"
                    if name in DETERMINISTIC_MODELS and seed != seeds[0]:
                        continue  # a deterministic peer already fitted on this fold
                    if path.exists():
                        # a peer's settings follow its fold (e.g. the linear model's lags): only pf's are compared
                        if name in CONFIGS:
                            check_cell(path, build(name, task, seed, settings)[0],
                                       ignore=FORECAST_TIME_OPTIONS if gap_free else (),
                                       has_future=task.future_covariates is not None)
                        continue
                    with quiet_training():
                        row = run_cell(name, fold_task(task, origin, rows), origin, seed, settings, with_faults,
                                       fits, with_removal)
                    tmp = path.with_suffix(".tmp")
                    pd.DataFrame([row]).to_csv(tmp, index=False)
                    os.replace(tmp, path)
                    print(f"{path.name}: mse {row['mse']:.4f} ({row['n_windows']} windows, fit {row['fit_seconds']:.0f} s, "
                          f"{row['epochs']} epochs)", flush=True)


def per_fit(cells: pd.DataFrame) -> pd.DataFrame:
    """One row per (dataset, track, config, fold, seed): ``mse``, ``fault_mse`` and ``removal_mse`` (the mean over
    every fault column, every removed stream; NaN where none was scored) and ``fit_seconds``; a fit scored in several
    runs (with and without ``--faults``, ``--removal``) gets the mean of its clean scores (the faults' too)."""
    for prefix, metric in (("fault:", "fault_mse"), ("removed:", "removal_mse")):
        columns = [c for c in cells.columns if c.startswith(prefix)]
        cells = cells.assign(**{metric: cells[columns].mean(axis=1) if columns else np.nan})
    return cells.groupby(["dataset", "track", "config", "fold", "seed"], as_index=False).agg(
        mse=("mse", "mean"), fault_mse=("fault_mse", "mean"), removal_mse=("removal_mse", "mean"),
        fit_seconds=("fit_seconds", "median"))


def summary() -> pd.DataFrame:
    """Per task and configuration: mean MSE on the folds every pf configuration of the task ran, and the mean paired
    change against the reference (``v1``, the former defaults, where it ran; else ``base``; :data:`PAIRED_WITH`
    names others) over every (fold, seed) both ran, with its standard error."""
    frames = [pd.read_csv(p) for p in sorted(CELLS.glob("*.csv"))]
    if not frames:
        raise SystemExit("no selection cells yet")
    cells = pd.concat(frames, ignore_index=True)
    conflicts = []
    for key, group in cells[cells.config.isin(list(CONFIGS))].groupby(["config", "dataset", "track"]):  # pf configurations
        # (a peer's lags may follow the fold's length)
        # a hyper-parameter added to the model later is absent from older cells: only differing values conflict
        seen: dict[str, str] = {}
        for text, track in zip(group.model_config, group.track):
            built = json.loads(text)
            if track == "past":  # no future covariates on a past track
                built = without_future_effect(built)
            built = as_built(built)
            for name, value in built.items():
                if name != "random_state" and seen.setdefault(name, value) != value:
                    conflicts.append((*key, name))
    if conflicts:
        raise SystemExit(f"cells of one configuration were built with different hyper-parameters (changed defaults?): "
                         f"{sorted(set(conflicts))}; move the older cells away")
    cells = per_fit(cells)
    rows = []
    for (dataset, track), group in cells.groupby(["dataset", "track"]):
        # the oldest defaults measured on the task: v1, else v2, else the current ones
        task_reference = next((r for r in ("v1", "v2") if (group.config == r).any()), "base")
        # the folds every pf configuration of the task ran: each model's MSE is shown on these (comparable across
        # them), its paired change uses every (fold, seed) it shares with its reference
        ours = group[group.config.isin(list(CONFIGS))]
        shared = set.intersection(*(set(sub.fold) for _, sub in ours.groupby("config"))) if len(ours) else set()
        shared = shared or set(group.fold)
        for config, sub in group.groupby("config"):
            ran = set(group.config)
            reference = next((r for r in PAIRED_WITH.get(config, ()) if r in ran), task_reference)
            base = group[group.config == reference].set_index(["fold", "seed"])
            sub = sub.set_index(["fold", "seed"])
            row = {"task": f"{dataset} / {track}", "config": config, "reference": reference, "cells": len(sub),
                   "fit_s": sub.fit_seconds.median()}
            for metric in ("mse", "fault_mse", "removal_mse"):
                values = sub[metric]
                if config in DETERMINISTIC_MODELS:  # the same fit for every seed
                    values = values.droplevel("seed").reindex(base.index, level="fold")
                paired = (values / base[metric].reindex(values.index) - 1).dropna()
                prefix = metric.removesuffix("mse")
                on_shared = values[values.index.get_level_values("fold").isin(shared)]
                row.update({metric: on_shared.mean(), f"{prefix}vs_base": paired.mean() if len(paired) else np.nan,
                            f"{prefix}se": paired.std(ddof=1) / np.sqrt(len(paired)) if len(paired) > 1 else np.nan})
            rows.append(row)
    frame = pd.DataFrame(rows).sort_values(["task", "mse"])
    for prefix in ("fault_", "removal_"):  # only the scores some cell has
        if frame[f"{prefix}mse"].isna().all():
            frame = frame.drop(columns=[f"{prefix}mse", f"{prefix}vs_base", f"{prefix}se"])
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", default="etth1:past", help="comma list of dataset:track")
    parser.add_argument("--configs", default="v1,base", help=f"pf configurations: {', '.join(CONFIGS)}")
    parser.add_argument("--peers", default="", help="bench models on the same folds, e.g. linear,tide")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--fold-rows", type=int, default=None, help="rows per fold (default: a tenth of the history)")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--faults", action="store_true",
                        help="also score each stream failing alone under each fault (pf configurations)")
    parser.add_argument("--removal", action="store_true",
                        help="also score each stream removed alone for the whole fold (pf configurations)")
    parser.add_argument("--summary", action="store_true")
    args = parser.parse_args()
    if args.summary:
        print(summary().to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        return
    configs = [c for c in args.configs.split(",") if c]  # empty: the peers alone
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown:
        raise SystemExit(f"--configs: unknown {unknown}; choose among {list(CONFIGS)}")
    quiet_one_thread()
    tasks = [tuple(spec.split(":")) for spec in args.tasks.split(",")]
    names = [*configs, *[p for p in args.peers.split(",") if p]]
    run(tasks, names, args.folds, [int(s) for s in args.seeds.split(",")], args.fold_rows, args.faults, args.removal)


if __name__ == "__main__":
    main()
