"""Write BENCHMARKS.md and README.md's headline table from the committed benchmark results.

Every number in BENCHMARKS.md is computed here from a results file in this folder: ``*/results.csv`` and
``*/cells/*.json`` / ``*/runs.jsonl`` written by ``pf-forecast bench``, ``selection/cells/*.csv`` written by
``select_defaults.py``, ``missing_retrain/cells/*.csv`` written by ``missing_retrain.py``. Published numbers are imported
from :mod:`pf_forecast.benchmark.report` and labelled as quoted. Usage::

    python benchmarks/summarize.py            # rewrites BENCHMARKS.md at the repository root
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
from pathlib import Path

import numpy as np
import pandas as pd

from pf_forecast.benchmark.models import DETERMINISTIC_MODELS, MODEL_NAMES, NEURAL_MODELS
from pf_forecast.benchmark.report import (
    EPF_PUBLISHED,
    EPF_PUBLISHED_SOURCE,
    FEV_PUBLISHED,
    FEV_PUBLISHED_SOURCE,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: The result folders of the robustness suites (clean accuracy, noise and missing-modality sweeps, speed).
SUITES = ("epf", "stocks", "beijing", "etth1")
ALL_WINDOWS = "epf_alldata"
FEV = "fev_epf"
FAULTS_FOLDER = "faults"
#: pf and TiDE timed side by side: one run per suite, the same settings and machine load (the speed target).
TIMING_FOLDER = "timing"
#: The same for late fusion (``pf-late``: ``n_refinements=1``) and TiDE, run after the feedback's validation.
LATE_TIMING_FOLDER = "timing_late"
FEV_MARKETS = ("BE", "DE", "FR", "NP", "PJM")
FEV_COMMAND = "pf-forecast bench --suite fev-epf --seeds 3 --out benchmarks/fev_epf"
#: Reruns of pf with the current defaults -> the pf-v1 folder whose peers they stand beside, oldest first. A later
#: rerun of the same folder replaces an earlier one's pf rows task by task: ``faults_v5`` reran the future track
#: after ``use_covariate_skip='future'`` became the default, ``faults_v6`` and ``fev_epf_v4`` after
#: ``clip_covariate_skip=True``, ``faults_v7`` and ``fev_epf_v5`` after ``linear_fallback=True``; on the past track,
#: which has no future covariates, these options add nothing, so ``faults_v4``'s past-track pf is the current model.
#: :func:`stale_pf_cells` names any pf cell left behind.
CURRENT_PF = {FEV + "_v3": FEV, FEV + "_v4": FEV, FEV + "_v5": FEV, FAULTS_FOLDER + "_v4": FAULTS_FOLDER,
              FAULTS_FOLDER + "_v5": FAULTS_FOLDER, FAULTS_FOLDER + "_v6": FAULTS_FOLDER,
              FAULTS_FOLDER + "_v7": FAULTS_FOLDER, ALL_WINDOWS + "_v2": ALL_WINDOWS}
#: Earlier reruns of pf kept as a record: folder -> (the pf-v1 folder whose peers they stand beside, the option they
#: had where the current defaults differ, the track they are compared on or ``None`` for all).
EARLIER_PF = {FAULTS_FOLDER + "_v2": (FAULTS_FOLDER, "`gap_fill='zero'`", None),
              FAULTS_FOLDER + "_v3": (FAULTS_FOLDER, "`gap_fill='seasonal'`", None),
              FAULTS_FOLDER + "_v4": (FAULTS_FOLDER, "`use_covariate_skip=False`", "future"),
              FAULTS_FOLDER + "_v5": (FAULTS_FOLDER, "`clip_covariate_skip=False`", "future"),
              FEV + "_v2": (FEV, "`use_covariate_skip=False`", None),
              FEV + "_v3": (FEV, "`clip_covariate_skip=False`", None),
              FAULTS_FOLDER + "_v6": (FAULTS_FOLDER, "`linear_fallback=False`", "future"),
              FEV + "_v4": (FEV, "`linear_fallback=False`", None)}
#: Reruns of every neural model with another rule for the weights kept after early stopping -> (the folder whose
#: rows they replace, the bench option, what the rule does). A (dataset, track, model) in the rerun replaces the
#: folder's, pf's current-defaults reruns included; the models trained without epochs (linear, lightgbm,
#: naive-seasonal) stay from the folder. Used by the clean-accuracy target only (:func:`clean_tasks`).
AVERAGE_TOP_3 = ("--average-top-k 3", "the 3 best epochs' weights averaged where that validates lower than the best "
                 "epoch")
RULE_RERUNS = {ALL_WINDOWS + "_avg3": (ALL_WINDOWS, *AVERAGE_TOP_3), "epf_future_avg3": (FAULTS_FOLDER, *AVERAGE_TOP_3),
               # pf again after linear_fallback=True became the default (its rows replace epf_future_avg3's)
               "epf_future_avg3_v2": (FAULTS_FOLDER, *AVERAGE_TOP_3)}
#: Every folder pf's current defaults were run in -> the folder it stands beside, oldest first.
PF_SOURCES = {**CURRENT_PF, **{rerun: base for rerun, (base, _, _) in RULE_RERUNS.items()}}
HEADLINE_MODELS = ("pf", "pf-late", "tide", "tsmixer", "dlinear", "linear", "naive-seasonal")
README_START, README_END = "<!-- headline:start -->", "<!-- headline:end -->"


# ----------------------------------------------------------------------------------------------------------------
# Reading the results
# ----------------------------------------------------------------------------------------------------------------
def load_results() -> pd.DataFrame:
    """Every robustness suite's ``results.csv`` (column ``suite`` added); also rewrites ``benchmarks/results.csv``."""
    frames = []
    for suite in SUITES:
        path = HERE / suite / "results.csv"
        if path.exists():
            frames.append(pd.read_csv(path).assign(suite=suite))
    if not frames:
        raise SystemExit("no benchmark results yet: run `pf-forecast bench` first (see BENCHMARKS.md)")
    results = pd.concat(frames, ignore_index=True)
    # every suite's measurements in one file, with exactly the columns `pf-forecast bench` writes
    combined = HERE / "results.csv"
    tmp = combined.with_suffix(".csv.tmp")
    results.drop(columns="suite").to_csv(tmp, index=False)
    os.replace(tmp, combined)
    return results


def load_folder(folder: str) -> pd.DataFrame | None:
    """A result folder's ``results.csv``, else (none yet, or fewer cells than the folder holds: a run still in
    progress writes it when it ends) its finished cells, else ``None``. Read once per folder; each call gets a copy."""
    frame = _read_folder(folder)
    return None if frame is None else frame.copy()


@functools.cache
def _read_folder(folder: str) -> pd.DataFrame | None:
    path = HERE / folder / "results.csv"
    paths = [p for p in sorted((HERE / folder / "cells").glob("*.csv")) if not p.name.startswith(".")]
    frame = pd.read_csv(path) if path.exists() else None
    if frame is None or len(frame.groupby(["dataset", "track", "model", "seed"])) < len(paths):
        cells = [pd.read_csv(p) for p in paths]
        cells = [c for c in cells if not c.empty]
        if not cells:
            return None
        frame = pd.concat(cells, ignore_index=True)
    return frame if not frame.empty else None


def reruns_of(folder: str) -> list[str]:
    """The folders where pf was rerun with the current defaults beside ``folder``'s peers, oldest first
    (:data:`CURRENT_PF`)."""
    return [rerun for rerun, base in CURRENT_PF.items() if base == folder]


def reruns_in_use(folder: str | None = None) -> list[str]:
    """The current-pf reruns (of ``folder``, or of every folder) that still provide a pf row once later reruns have
    replaced theirs (:func:`current_pf_rows`), oldest first."""
    folders = [folder] if folder else list(dict.fromkeys(CURRENT_PF.values()))
    used = set()
    for base in folders:
        frame = current_pf_rows(base, with_source=True)
        if frame is not None:
            used.update(frame.source)
    return [rerun for rerun in CURRENT_PF if rerun in used]


def current_pf_rows(folder: str, with_source: bool = False) -> pd.DataFrame | None:
    """pf's rows (every pf variant) from ``folder``'s reruns, a later rerun's (dataset, track, model) replacing an
    earlier one's, with the rerun's name as ``source`` if ``with_source``; ``None`` where none ran."""
    frames = [f[f.model.map(is_pf)].assign(source=rerun)
              for rerun, f in ((r, load_folder(r)) for r in reruns_of(folder)) if f is not None]
    if not frames:
        return None
    keys = ["dataset", "track", "model"]
    kept = []
    for age, frame in enumerate(frames):
        newer = pd.concat([f[keys] for f in frames[age + 1:]]).drop_duplicates() if age + 1 < len(frames) else None
        if newer is not None:
            frame = frame.merge(newer, on=keys, how="left", indicator=True)
            frame = frame[frame.pop("_merge") == "left_only"]
        kept.append(frame)
    rows = pd.concat(kept, ignore_index=True)
    return rows if with_source else rows.drop(columns="source")


def with_rule_reruns(folder: str, frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """``frame`` (``folder``'s rows) with the rows of its :data:`RULE_RERUNS` in place of the same (dataset, track,
    model)'s."""
    if frame is None:
        return None
    keys = ["dataset", "track", "model"]
    for rerun, (base, _, _) in RULE_RERUNS.items():
        rows = load_folder(rerun) if base == folder else None
        if rows is None:
            continue
        frame = frame.merge(rows[keys].drop_duplicates(), on=keys, how="left", indicator=True)
        frame = pd.concat([frame[frame.pop("_merge") == "left_only"], rows], ignore_index=True)
    return frame


def clean_mse_rows(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """``frame``'s clean-test MSE rows, with column ``source`` set to ``source``."""
    return frame[(frame.corruption == "none") & (frame.metric == "mse")].assign(source=source)


def rule_reruns_done() -> list[str]:
    """The folders of :data:`RULE_RERUNS` that hold results."""
    return [rerun for rerun in RULE_RERUNS if load_folder(rerun) is not None]


def rule_lines() -> list[str]:
    """Under the clean-accuracy table, per rule of :data:`RULE_RERUNS`: the tasks whose neural models ran under it,
    the neural models of those tasks not rerun yet, and each model's paired change (same task and seed) against the
    best-epoch rule of the folder it replaces."""
    lines, done = [], rule_reruns_done()
    for option in dict.fromkeys(option for _, option, _ in RULE_RERUNS.values()):
        reruns = [(rerun, base, what) for rerun, (base, o, what) in RULE_RERUNS.items()
                  if o == option and rerun in done and load_folder(base) is not None]
        if not reruns:
            continue
        # each rerun against the folder it replaces (EPF past is in two folders: the all-window run and the faults run)
        clean = pd.concat([clean_mse_rows(load_folder(rerun), rerun) for rerun, _, _ in reruns], ignore_index=True)
        before = pd.concat([clean_mse_rows(with_current_pf(base), rerun) for rerun, base, _ in reruns],
                           ignore_index=True)
        tasks = sorted({f"{d} / {t}" for d, t in zip(clean.dataset, clean.track)})
        rerun_models = set(zip(clean.dataset, clean.track, clean.model))
        left: dict[str, set[str]] = {}  # task -> its neural models not rerun yet
        for d, t, m in set(zip(before.dataset, before.track, before.model)):
            if f"{d} / {t}" in tasks and m in NEURAL_MODELS and (d, t, m) not in rerun_models:
                left.setdefault(f"{d} / {t}", set()).add(m)
        keys = ["source", "dataset", "track", "model", "seed"]
        paired = clean[keys + ["value"]].merge(before[keys + ["value"]], on=keys, suffixes=("", "_before"))
        paired = paired.assign(change=paired.value / paired.value_before - 1)
        effects = []
        for model in ordered_models(paired.model.unique()):
            change = paired.change[paired.model == model]
            se = change.std(ddof=1) / np.sqrt(len(change)) if len(change) > 1 else float("nan")
            effects.append(f"{model} {change.mean():+.1%}" + (f" ± {se:.1%}" if np.isfinite(se) else "")
                           + f" ({len(change)})")
        kept = [(json.loads(p.read_text()).get("fit") or {}).get("averaged_epochs") is not None
                for rerun, _, _ in reruns for p in sorted((HERE / rerun / "cells").glob("*.json"))]
        lines += [f"{', '.join(f'`{rerun}`' for rerun, _, _ in reruns)} (`{option}`: {reruns[0][2]}; kept in "
                  f"{sum(kept)} of {len(kept)} fits) rerun the neural models of {by_track(tasks)}. Clean MSE against "
                  f"the best epoch, paired by task and seed (fits): {'; '.join(effects)}."
                  + (" Not rerun yet: "
                     + "; ".join(f"{task}: {', '.join(ordered_models(models))}" for task, models in sorted(left.items()))
                     + "." if left else ""), ""]
    return lines


def by_track(tasks: list[str]) -> str:
    """``["epf-BE / past", "epf-DE / past"]`` -> ``"epf-BE, epf-DE / past"``; tracks with the same datasets share
    them (``"epf-BE, epf-DE / future, past"``)."""
    datasets: dict[str, list[str]] = {}
    for task in tasks:
        dataset, track = task.split(" / ")
        datasets.setdefault(track, []).append(dataset)
    tracks: dict[tuple[str, ...], list[str]] = {}
    for track, names in datasets.items():
        tracks.setdefault(tuple(names), []).append(track)
    return "; ".join(f"{', '.join(names)} / {', '.join(shared)}" for names, shared in tracks.items())


def with_current_pf(folder: str) -> pd.DataFrame | None:
    """A folder's rows, and where pf was rerun with the current defaults (:data:`CURRENT_PF`) the reruns' pf rows
    beside them: the folder's own pf rows are then renamed ``pf-v1`` (``pf-late-v1``, ...)."""
    frame = load_folder(folder)
    rerun = current_pf_rows(folder)
    if frame is None or (rerun is None and folder not in pf_v1_folders()):
        return frame
    old = frame.model.map(is_pf)
    frame = frame.assign(model=frame.model.where(~old, frame.model + "-v1"))
    return frame if rerun is None else pd.concat([frame, rerun], ignore_index=True)


#: The defaults a committed pf cell is checked against (:func:`stale_pf_cells`).
CHECKED_DEFAULTS = ("fit_linear_skips", "linear_skip_ridge", "use_covariate_skip", "use_target_skip", "gap_fill",
                    "hidden_size", "patch_size", "n_refinements", "decoder_size", "fault_dropout", "modality_dropout",
                    "clip_covariate_skip", "linear_fallback")


def pf_defaults() -> dict:
    """Every keyword of ``ProgressiveFusionForecaster`` with its default."""
    import inspect

    from pf_forecast import ProgressiveFusionForecaster

    return {name: p.default for name, p in inspect.signature(ProgressiveFusionForecaster.__init__).parameters.items()}


def stale_pf_cells() -> list[str]:
    """The cells of ``pf`` in the current-pf reruns (:data:`CURRENT_PF`) whose recorded configuration differs from
    the model's defaults (an option the cell predates counts as its value before it existed), other than the
    covariate skip's options on a track without future covariates (where the default ``'future'`` builds the same
    network) and its clipping and fallbacks without the skip: ``"cell: option recorded / default"``."""
    from pf_forecast.model import _ADDED_LATER

    defaults = {name: repr(value) for name, value in pf_defaults().items()}
    stale, replaced = [], set()
    for folder in reversed(PF_SOURCES):  # newest first: a task a later rerun replaced is not used (current_pf_rows)
        metas = [json.loads(p.read_text()) for p in sorted((HERE / folder / "cells").glob("*__pf__*.json"))]
        tasks = {(PF_SOURCES[folder], m["dataset"], m["track"]) for m in metas}
        for meta in metas:
            if (PF_SOURCES[folder], meta["dataset"], meta["track"]) in replaced:
                continue
            config = meta.get("model_config") or {}
            for name in CHECKED_DEFAULTS:
                seen = config.get(name, repr(_ADDED_LATER[name]) if name in _ADDED_LATER else None)
                if seen is None or seen == defaults[name]:
                    continue
                if name == "use_covariate_skip" and seen == "False" and meta["track"] == "past":
                    continue
                if name in ("clip_covariate_skip", "linear_fallback") and (
                        meta["track"] == "past" or config.get("use_covariate_skip") == "False"):
                    continue
                stale.append(f"{folder}/{meta['cell']}: {name} {seen} / {defaults[name]}")
        replaced |= tasks
    return stale


def plural(count: int, noun: str) -> str:
    """``"1 seed"``, ``"3 seeds"``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def pf_name(models) -> str | None:
    """``pf`` where these models have it, else its previous defaults' ``pf-v1``, else ``None``."""
    return next((name for name in ("pf", "pf-v1") if name in set(models)), None)


def is_pf(model: str) -> bool:
    """One of this package's models (pf, pf-late, ..., at any defaults): never a peer."""
    return model.startswith("pf")


def clean_mse(results: pd.DataFrame) -> pd.DataFrame:
    """Mean and std over seeds of the clean test MSE, per (suite, dataset, track, model)."""
    rows = results[(results.corruption == "none") & (results.metric == "mse")]
    return rows.groupby(["suite", "dataset", "track", "model"])["value"].agg(["mean", "std", "count"]).reset_index()


def degradation(results: pd.DataFrame) -> pd.DataFrame:
    """Area of the MSE curve above its clean value over the MultiBench levels, per (dataset, track, model, seed)."""
    rows = results[(results.corruption == "multibench") & (results.metric == "mse")]
    out = []
    for key, group in rows.groupby(["suite", "dataset", "track", "model", "seed"]):
        group = group.groupby("level")["value"].mean().sort_index()
        levels, values = group.index.to_numpy(float), group.to_numpy(float)
        excess = values - values[0]
        out.append((*key, float(np.sum((excess[1:] + excess[:-1]) / 2 * np.diff(levels)))))
    return pd.DataFrame(out, columns=["suite", "dataset", "track", "model", "seed", "degradation"])


def ordered_models(models) -> list[str]:
    """``models`` in the bench's model order (unknown names last; ``pf-v1`` right after ``pf``)."""
    order = {name: i for i, name in enumerate(MODEL_NAMES)}
    return sorted(set(models), key=lambda m: (order.get(m.removesuffix("-v1"), len(order)), m))


def ordered_datasets(datasets) -> list[str]:
    """EPF markets first, then the other datasets, alphabetically."""
    return sorted(set(datasets), key=lambda d: (not d.startswith("epf"), d))


def format_mean(row: pd.Series) -> str:
    """``mean ± std (n)`` of a :func:`clean_mse` row; the mean alone for one seed or a seed-independent model."""
    if row["count"] > 1:
        return f"{row['mean']:.3f} ± {row['std']:.3f} ({int(row['count'])})"
    return f"{row['mean']:.3f} ({'deterministic' if row['model'] in DETERMINISTIC_MODELS else 1})"


def table(header: list[str], rows: list[list]) -> list[str]:
    """A Markdown table."""
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(str(c) for c in row) + " |" for row in rows)]


def report_link(folder: str, text: str | None = None) -> str:
    """A link to a result folder's own ``report.md`` (``no report yet`` when it has none)."""
    path = HERE / folder / "report.md"
    text = text or f"{folder}/report.md"
    return f"[{text}]({path.relative_to(ROOT).as_posix()})" if path.exists() else "no report yet"


def machines(*folders: str) -> str:
    """The machines and torch thread counts recorded in these folders' ``runs.jsonl``, in words."""
    found, threads = [], set()
    for folder in folders:
        path = HERE / folder / "runs.jsonl"
        for line in path.read_text().splitlines() if path.exists() else []:
            run = json.loads(line)
            machine = run.get("machine") or {}
            name = f"{machine.get('cpu', 'unknown CPU')}, {machine.get('logical_cpus')} logical CPUs"
            if name not in found:
                found.append(name)
            threads.add(dict(option_pairs(run["command"])).get("--threads"))
    counts = sorted(t for t in threads if t)
    if not found:
        return "machine not recorded"
    return " / ".join(found) + f"; {' or '.join(counts)} torch thread{'s' if counts != ['1'] else ''}"


# ----------------------------------------------------------------------------------------------------------------
# Training-window budgets
# ----------------------------------------------------------------------------------------------------------------
def training_budgets(*folders: str) -> list[int]:
    """The explicit training-window budgets (``max_train_samples``) the cells of these result folders used."""
    budgets = set()
    for folder in folders:
        for sidecar in (HERE / folder / "cells").glob("*.json"):
            budget = json.loads(sidecar.read_text()).get("settings", {}).get("max_train_samples")
            if budget is not None:
                budgets.add(int(budget))
    return sorted(budgets)


def cap_label(*folders: str) -> str:
    """A warning line for tables whose neural models were trained under a window budget ('' when none was)."""
    budgets = training_budgets(*folders)
    if not budgets:
        return ""
    caps = " / ".join(f"{b:,}" for b in budgets)
    return (f"**Capped:** the neural models of this table were trained on at most {caps} windows per series and "
            f"epoch (`--max-train-samples {budgets[0]}`), not on every training window as `fit` and the bench's "
            f"default do; `linear` fits all. All-windows results: *Targets of the model*.")


def with_label(label: str, lines: list[str]) -> list[str]:
    """``lines`` preceded by ``label`` and a blank line, when there is a label."""
    return [label, "", *lines] if label else lines


# ----------------------------------------------------------------------------------------------------------------
# Commands
# ----------------------------------------------------------------------------------------------------------------
def run_commands(*folders: str) -> list[str]:
    """The resolved ``pf-forecast bench`` commands that wrote cells into these result folders (from ``runs.jsonl``).

    A run recorded before ``--impute`` existed filled covariate gaps with zero: ``--impute zero`` is appended so the
    command resumes that run instead of recomputing it. Commands that differ only in ``--threads``,
    ``--accelerator`` or ``--devices`` (which change speed, not results) are one command; the last recorded
    spelling is kept. A command whose models and seeds another command of the same options covers is left out.
    """
    commands: dict[str, str] = {}
    for folder in folders:
        path = HERE / folder / "runs.jsonl"
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            run = json.loads(line)
            # "ran" is absent from runs that stopped before the runner recorded stopped runs' cells: keep those
            if not run.get("ran", True):
                continue
            command = run["command"]
            if "--impute" not in command and folder != "scaling":  # run before the option existed:
                # its sweeps filled gaps with zero
                command += " --impute zero"
            key = re.sub(r" --(?:threads|accelerator|devices) \S+", "", command)
            commands.pop(key, None)
            commands[key] = re.sub(r" --(?:accelerator|devices) \S+", "", command)  # where, not what it measures
    return [c for c in commands.values() if not any(covers(other, c) for other in commands.values() if other != c)]


def covers(wide: str, narrow: str) -> bool:
    """Whether the bench command ``wide`` computes every cell of ``narrow``: the same other options, a superset of
    its ``--models``, ``--seeds`` and ``--datasets`` (no ``--datasets``: every dataset of the suite)."""
    from pf_forecast.benchmark.cli import parse_seeds

    def split(command: str) -> tuple[set, set, set, set | None]:
        pairs = dict(option_pairs(command))
        rest = {pair for pair in option_pairs(command) if pair[0] not in ("--models", "--seeds", "--datasets")}
        models = set((pairs.get("--models") or "").split(","))
        datasets = set(pairs["--datasets"].split(",")) if pairs.get("--datasets") else None
        return rest, models, set(parse_seeds(pairs["--seeds"])) if pairs.get("--seeds") else set(), datasets

    (rest_w, models_w, seeds_w, data_w), (rest_n, models_n, seeds_n, data_n) = split(wide), split(narrow)
    datasets_covered = data_w is None or (data_n is not None and data_n <= data_w)
    return rest_w == rest_n and models_n <= models_w and seeds_n <= seeds_w and bool(seeds_n) and datasets_covered


def scaling_command(command: str) -> str:
    """A recorded ``pf-forecast bench --suite scaling`` command (before the study moved into
    ``benchmarks/scaling_study.py``) spelled as the study script's command; any other command unchanged."""
    if not command.startswith("pf-forecast bench --suite scaling"):
        return command
    renamed = {"--max-epochs": "--epochs", "--max-train-samples": "--windows-per-epoch"}
    pairs = [(renamed.get(option, option), value) for option, value in option_pairs(command) if option != "--suite"]
    return shlex.join(["python", "benchmarks/scaling_study.py", *(t for pair in pairs for t in pair if t is not None)])


def option_pairs(command: str) -> list[tuple[str, str | None]]:
    """``(option, value)`` pairs of a command line after its program words (flags get ``None``)."""
    tokens = shlex.split(command)
    start = next((i for i, t in enumerate(tokens) if t.startswith("--")), len(tokens))
    pairs: list[tuple[str, str | None]] = []
    i = start
    while i < len(tokens):
        has_value = i + 1 < len(tokens) and not tokens[i + 1].startswith("--")
        pairs.append((tokens[i], tokens[i + 1] if has_value else None))
        i += 2 if has_value else 1
    return pairs


def shared_options(commands: list[str], skip: tuple = ("--suite",)) -> list[tuple[str, str | None]]:
    """The options every one of ``commands`` (two or more) gives with the same value, in the first one's order."""
    if len(commands) < 2:
        return []
    common = set(option_pairs(commands[0])).intersection(*(set(option_pairs(c)) for c in commands[1:]))
    return [pair for pair in option_pairs(commands[0]) if pair in common and pair[0] not in skip]


def assignment(name: str, options: list[tuple[str, str | None]]) -> str:
    """``NAME='--a 1 --b'``: a shell variable holding ``options``."""
    return f"{name}=" + shlex.quote(" ".join(t for pair in options for t in pair if t is not None))


def rewrite(command: str, front: tuple[str, list], back: tuple[str, list]) -> str:
    """``command`` with the options of ``front`` / ``back`` (``(name, options)``) replaced by ``$name``.

    ``$front`` follows the program words, ``$back`` ends the line; an empty option list adds no variable.
    """
    tokens = shlex.split(command)
    start = next((i for i, t in enumerate(tokens) if t.startswith("--")), len(tokens))
    drop = set(front[1]) | set(back[1])
    kept = [t for pair in option_pairs(command) if pair not in drop for t in pair if t is not None]
    parts = [shlex.join(tokens[:start]), f"${front[0]}" if front[1] else "", shlex.join(kept),
             f"${back[0]}" if back[1] else ""]
    return " ".join(part for part in parts if part)


def selection_commands() -> list[str]:
    """``python benchmarks/select_defaults.py`` lines that rerun exactly the committed selection cells: one per task
    and set of configurations run on the same folds and seeds."""
    import select_defaults

    runs: dict[tuple[str, str, bool, str], dict[str, set]] = {}  # (task, faults, name) -> its folds and seeds
    for path in sorted(select_defaults.CELLS.glob("*.csv")):
        name, dataset, track, fold, seed, *faults = path.stem.split("__")  # a trailing "faults": stream faults
        entry = runs.setdefault((dataset, track, bool(faults), name), {"folds": set(), "seeds": set()})
        entry["folds"].add(fold), entry["seeds"].add(int(seed))
    groups: dict[tuple, list[str]] = {}
    for (dataset, track, faults, name), entry in runs.items():
        rows = sorted({fold.split("x")[1] for fold in entry["folds"]})
        seeds = sorted(entry["seeds"])
        if name in select_defaults.DETERMINISTIC_MODELS:  # fitted once per fold: it runs with the group's seeds
            seeds = None
        groups.setdefault((dataset, track, faults, len(entry["folds"]), ",".join(rows),
                           None if seeds is None else ",".join(map(str, seeds))), []).append(name)
    lines = []
    for (dataset, track, faults, folds, rows, seeds), names in groups.items():
        if seeds is None:  # a deterministic peer joins a group of the same task and folds, else runs alone
            host = next((key for key in groups if key[:5] == (dataset, track, faults, folds, rows)
                         and key[5] is not None), None)
            if host is not None:
                continue
            seeds = "0"
        peers = [n for n in names if n not in select_defaults.CONFIGS]
        peers += [n for key, others in groups.items() if key[5] is None
                  and key[:5] == (dataset, track, faults, folds, rows) for n in others]
        configs = [c for c in select_defaults.CONFIGS if c in names]
        lines.append(f"python benchmarks/select_defaults.py --tasks {dataset}:{track} --configs {','.join(configs) or shlex.quote('')}"
                     + (f" --peers {','.join(sorted(set(peers)))}" if peers else "")
                     + f" --folds {folds} --fold-rows {rows} --seeds {seeds}" + (" --faults" if faults else ""))
    return lines


def folder_commands(folder: str, commands: list[str], common: list[tuple[str, str | None]]) -> list[str]:
    """A folder's commands, the options they all share in a variable named after the folder, ``common`` in $COMMON."""
    mine = [pair for pair in shared_options(commands, skip=()) if pair not in common]
    name = folder.upper()
    return [*([assignment(name, mine)] if mine else []),
            *(rewrite(c, (name, mine), ("COMMON", common)) for c in commands)]


def with_reruns(folder: str) -> list[str]:
    """A folder's commands, then those of its earlier pf reruns quoted in BENCHMARKS.md (:data:`EARLIER_PF`) and of
    its reruns with pf's current defaults (:data:`CURRENT_PF`)."""
    earlier = [rerun for rerun, (base, _, _) in EARLIER_PF.items() if base == folder]
    return [command for f in dict.fromkeys([folder, *earlier, *reruns_of(folder)]) for command in run_commands(f)]


def rule_rerun_commands(common: list[tuple[str, str | None]]) -> list[str]:
    """The commands of :data:`RULE_RERUNS`, each folder's shared options in its own variable ($COMMON only where
    every command has all of ``common``: its options would override the folder's own)."""
    lines = []
    for rerun in RULE_RERUNS:
        commands = run_commands(rerun)
        shared = all(pair in option_pairs(c) for c in commands for pair in common)
        lines += folder_commands(rerun, commands, common if shared else [])
    return lines


REPRODUCE_SCRIPT = HERE / "reproduce.sh"


def write_reproduce_script() -> list[str]:
    """Write :data:`REPRODUCE_SCRIPT` (every command of :func:`reproduce_block`) and return BENCHMARKS.md's
    block that runs it."""
    commands = [line for line in reproduce_block() if not line.startswith("```")]
    header = ["#!/bin/bash", "# Reruns every committed benchmark result; written by benchmarks/summarize.py from the",
              "# runs recorded under benchmarks/ (do not edit). Each command resumes: cells already in its folder are",
              "# reused, so rerunning only fills what is missing. pf cells of the pf-v1 folders need the code of",
              "# their time (the bench refuses to mix model configurations): a refused command does not stop the rest.", "set -u"]
    tmp = REPRODUCE_SCRIPT.with_suffix(".sh.tmp")
    tmp.write_text("\n".join(header + commands) + "\n")
    os.replace(tmp, REPRODUCE_SCRIPT)
    return ["```bash", f"bash {REPRODUCE_SCRIPT.relative_to(ROOT).as_posix()}  # {len(commands)} commands, "
            "from the repository root", "```"]


def reproduce_block() -> list[str]:
    """One bash block that reruns every committed result (each command resumes: finished cells are reused)."""
    folders = {**{folder: run_commands(folder) for folder in SUITES}, ALL_WINDOWS: with_reruns(ALL_WINDOWS)}
    common = shared_options([c for commands in folders.values() for c in commands])
    lines = ["```bash", *([assignment("COMMON", common)] if common else [])]
    for folder, commands in folders.items():
        lines += folder_commands(folder, commands, common)
    lines += folder_commands(FEV, with_reruns(FEV), []) or [f"{FEV_COMMAND}  # no finished run recorded yet"]
    lines += folder_commands(FAULTS_FOLDER, with_reruns(FAULTS_FOLDER), [])
    lines += rule_rerun_commands(common)
    for folder in (TIMING_FOLDER, LATE_TIMING_FOLDER):
        lines += folder_commands(folder, run_commands(folder), [])
    lines += list(dict.fromkeys(scaling_command(command) for command in run_commands("scaling")))
    lines += retrain_commands()
    lines += selection_commands()
    lines += ["python benchmarks/summarize.py", "```"]
    return lines


# ----------------------------------------------------------------------------------------------------------------
# Sections
# ----------------------------------------------------------------------------------------------------------------
def seed_range(frame: pd.DataFrame) -> str:
    """``"1-3"``: the fewest and most seeds any model of ``frame`` has."""
    counts = frame.groupby("model")["seed"].nunique()
    low, high = int(counts.min()), int(counts.max())
    return str(high) if low == high else f"{low}-{high}"


#: What each result folder holds, in a few words.
FOLDERS = {
    "epf": "EPF day-ahead electricity prices, 5 markets (TimeXer protocol)",
    "stocks": "MultiBench Stocks: MSFT volatility from AAPL, IBM, MSFT returns",
    "beijing": "Beijing PM2.5 air quality",
    "etth1": "ETTh1 transformer oil temperature",
    ALL_WINDOWS: "EPF again, every training window",
    FEV: "fev-bench's 5 EPF tasks, quantile forecasts",
    FAULTS_FOLDER: "stream faults (outage, latency, stuck, spikes) per covariate stream",
    "scaling": "cost vs modalities, series, input length (synthetic data)",
}


def suites_section() -> list[str]:
    """What each result folder holds, with a link to its own report."""
    rows = []
    for folder in (*SUITES, ALL_WINDOWS, FEV, FAULTS_FOLDER):
        frame = load_folder(folder)
        if frame is None:
            rows.append([f"`{folder}`", FOLDERS[folder], "—", "—", "—", "not run yet", "—"])
            continue
        budgets = training_budgets(folder)
        windows = f"capped at {', '.join(f'{b:,}' for b in budgets)}" if budgets else "all"
        tasks = frame[["dataset", "track"]].drop_duplicates()
        rows.append([f"`{folder}`", FOLDERS[folder], f"{len(tasks)} ({', '.join(tasks.track.unique())})",
                     frame.model.nunique(), seed_range(frame), report_link(folder, "report"), windows])
    rows.append(["`scaling`", FOLDERS["scaling"], "—", "pf, tide", 1, report_link("scaling", "report"), "—"])
    return table(["folder", "what", "tasks", "models", "seeds", "details", "training windows"], rows)


def pf_versus_best(past: pd.DataFrame) -> str:
    """How many tasks pf has the lowest mean MSE on, and its gap to the best other model of each."""
    gaps, wins, counts = [], {}, {}
    for (suite, dataset), group in past.groupby(["suite", "dataset"]):
        if "pf" not in set(group.model):
            continue
        pf = float(group.loc[group.model == "pf", "mean"].iloc[0])
        best = group[group.model != "pf"].sort_values("mean").iloc[0]
        wins[suite] = wins.get(suite, 0) + int(pf < best["mean"])
        counts[suite] = counts.get(suite, 0) + 1
        gaps.append(f"{dataset} {pf / best['mean'] - 1:+.1%} ({best.model})")
    summary = ", ".join(f"{wins[s]} of {counts[s]} {s}" for s in counts)
    single = [s for s in counts if past[past.suite == s]["count"].max() == 1]
    note = f" One seed on {' and '.join(single)}." if single else ""
    return (f"pf has the lowest mean MSE on {sum(wins.values())} of {sum(counts.values())} tasks ({summary}); its "
            f"MSE against the best other model: {', '.join(gaps)}.{note}")


def fusion_section(table_: pd.DataFrame, degr: pd.DataFrame) -> list[str]:
    """Progressive (pf) against late fusion (pf-late): clean MSE, and MSE degradation under MultiBench noise."""
    degr = degr[degr.track == "past"].groupby(["dataset", "model"])["degradation"].mean()
    rows, mse_changes, pooled = [], [], {"pf": 0.0, "pf-late": 0.0}
    for (suite, dataset), group in table_[table_.track == "past"].groupby(["suite", "dataset"]):
        means = group.set_index("model")["mean"]
        if not {"pf", "pf-late"} <= set(means.index):
            continue
        if dataset not in degr.index.get_level_values("dataset"):
            continue
        d = degr.loc[dataset]
        d_pf, d_late = float(d.get("pf", np.nan)), float(d.get("pf-late", np.nan))
        rows.append([dataset, f"{means['pf'] / means['pf-late'] - 1:+.1%}", f"{d_pf:.4f}", f"{d_late:.4f}",
                     f"{int((d < d_pf).sum()) + 1} of {len(d)}"])
        if suite in ("epf", "stocks"):
            mse_changes.append(means["pf"] / means["pf-late"] - 1)
            pooled["pf"] += d_pf
            pooled["pf-late"] += d_late
    lines = table(["task", "clean MSE, pf vs pf-late", "pf degradation", "pf-late degradation", "pf rank"], rows)
    if mse_changes:
        lines += ["", f"Over the EPF markets and stocks, pf's clean MSE differs from pf-late's by "
                  f"{np.mean(mse_changes):+.1%} on average, and its total degradation is {pooled['pf']:.4f} against "
                  f"{pooled['pf-late']:.4f} ({pooled['pf'] / pooled['pf-late'] - 1:+.1%}). A negative degradation "
                  "means the noisy covariates lowered the MSE."]
    return lines


def fusion_on_target_runs() -> list[str]:
    """pf against pf-late on the target runs (every window, current defaults, test segments): the stream-fault
    cases where each is lower than every peer."""
    frame = with_current_pf(FAULTS_FOLDER)
    if frame is None or not frame.corruption.str.startswith("fault:").any():
        return []
    both, pf_lower, late_lower, ratios = 0, 0, 0, []
    for _, row in fault_cases(frame).iterrows():
        row = row.dropna()
        peers = row.drop(labels=[m for m in row.index if is_pf(m)])
        if {"pf", "pf-late"} <= set(row.index) and not peers.empty:
            both += 1
            pf_lower += row["pf"] < peers.min()
            late_lower += row["pf-late"] < peers.min()
            ratios.append(row["pf-late"] / row["pf"])
    if not both:
        return []
    return [f"**All windows** (target runs, test segments): under stream faults pf is lower than every peer in "
            f"{pf_lower} of {both} cases, pf-late in {late_lower} (pf-late / pf: median {np.median(ratios):.2f} per "
            f"case; clean: the target table)."]


def removal_share() -> tuple[str, list[str]]:
    """("k of n (share), met / not met", the table) for the removal-versus-retrained target."""
    lines, close, total = retrained_comparison()
    if not total:
        return "not measured yet", lines
    return f"{close} of {total} ({close / total:.0%}), {'met' if close / total >= 0.9 else 'not met'}", lines


def retrained_cells() -> pd.DataFrame | None:
    """The cells of ``missing_retrain.py`` (pf retrained without one stream), or ``None`` before any ran."""
    frames = [pd.read_csv(p) for p in sorted((HERE / "missing_retrain" / "cells").glob("*.csv"))]
    return pd.concat(frames, ignore_index=True) if frames else None


def retrain_commands() -> list[str]:
    """``python benchmarks/missing_retrain.py`` lines that rerun the committed cells, one per (reference, seeds)."""
    frame = retrained_cells()
    if frame is None:
        return []
    groups: dict[tuple[str, str], list[str]] = {}
    for (reference, dataset, track), group in frame.groupby(["reference", "dataset", "track"], sort=False):
        seeds = ",".join(str(s) for s in sorted(group.seed.unique()))
        groups.setdefault((reference, seeds), []).append(f"{dataset}:{track}")
    return [f"python benchmarks/missing_retrain.py --reference {reference} --tasks {','.join(tasks)} --seeds {seeds}"
            for (reference, seeds), tasks in groups.items()]


def retrained_comparison() -> tuple[list[str], int, int]:
    """pf trained on every stream with stream m removed at test time against pf retrained without m
    (``missing_retrain.py`` cells against the latest current-pf faults rerun they reference, each compared with that
    rerun's own pf): the table, the cases with a ratio <= 1.02 and the cases."""
    frame = retrained_cells()
    referenced = [] if frame is None else [f for f in reruns_of(FAULTS_FOLDER) if (frame.reference == f).any()]
    if not referenced:
        return [f"pf retrained without each stream: not run yet (`python benchmarks/missing_retrain.py "
                f"--reference {reruns_of(FAULTS_FOLDER)[-1]}`)."], 0, 0
    reference = referenced[-1]
    retrained = frame[frame.reference == reference].groupby(["dataset", "track", "modality"])["retrained_mse"]
    retrained = retrained.agg(["mean", "count"])
    rows = load_folder(reference)
    rows = rows[rows.corruption.str.startswith("missing:") & (rows.metric == "mse") & (rows.level == 1.0)]
    pf = rows[rows.model == "pf"].copy()
    pf["modality"] = pf.corruption.str.split(":", n=1).str[1]
    pf = pf.groupby(["dataset", "track", "modality"])["value"].mean()
    per_task: dict[str, list[str]] = {}
    close = total = 0
    for (dataset, track, modality), row in retrained.iterrows():
        if (dataset, track, modality) not in pf.index:
            continue
        ratio = pf[(dataset, track, modality)] / row["mean"]
        close, total = close + int(ratio <= 1.02), total + 1
        per_task.setdefault(f"{dataset} / {track}", []).append(f"{modality} {ratio:.3f}")
    seeds = ", ".join(str(n) for n in sorted(retrained["count"].unique()))
    lines = [f"pf trained on every stream, that stream removed at test time, against pf retrained without it "
             f"(`missing_retrain.py`, the settings of `{reference}`; same test windows; seeds per cell: {seeds}):",
             "", *table(["task", "MSE removed at test / MSE retrained without it, per stream"],
                        [[task, "; ".join(cases)] for task, cases in per_task.items()]),
             "", f"The ratio is at most 1.02 in {close} of {total} cases."]
    return lines, close, total


def levels(results: pd.DataFrame) -> str:
    """The MultiBench noise levels of the sweeps, e.g. ``0, 0.1, ..., 0.8``."""
    values = sorted(results.loc[results.corruption == "multibench", "level"].unique())
    if len(values) < 4:
        return ", ".join(f"{v:g}" for v in values)
    return f"{values[0]:g}, {values[1]:g}, ..., {values[-1]:g}"


def fev_scores(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (model, market): mean and std over seeds of SQL, mean MASE and coverage, median fit seconds, seeds."""
    rows = frame[(frame.corruption == "none") & frame.metric.isin(["sql", "mase", "coverage80"])].copy()
    rows["market"] = rows.dataset.str.removeprefix("epf-")
    values = rows.pivot_table(index=["model", "market", "seed"], columns="metric", values="value").reset_index()
    fit = rows.groupby(["model", "market", "seed"])["fit_seconds"].first().rename("fit").reset_index()
    values = values.merge(fit, on=["model", "market", "seed"])
    return values.groupby(["model", "market"]).agg(
        sql=("sql", "mean"), sql_std=("sql", "std"), mase=("mase", "mean"), coverage=("coverage80", "mean"),
        fit=("fit", "median"), seeds=("seed", "nunique"))


def geometric_mean(values) -> float:
    """The geometric mean (fev-bench's aggregate over tasks)."""
    return float(np.exp(np.mean(np.log(np.asarray(values, dtype=float)))))


def fev_section() -> list[str]:
    """fev-bench's EPF tasks: our probabilistic scores beside fev-bench's published leaderboard."""
    frame = with_current_pf(FEV)
    published = [["*published, not measured here:*", *[""] * 10]]
    published += [[f"*{name}*", *(f"{v:.3f}" for v in values[:5]), f"{values[5]:.3f}", f"{values[6]:.3f}", "", "",
                   ""] for name, values in FEV_PUBLISHED.items()]
    published = [row[:8] for row in published]  # no coverage, fit or seeds for the published models
    header = ["model", *(f"SQL {m}" for m in FEV_MARKETS), "gm SQL", "gm MASE", "coverage 80%", "fit s", "seeds"]
    source = f"Published rows: {FEV_PUBLISHED_SOURCE}; quoted, not measured here."
    if frame is None:
        return ["_Not run yet_: only the published rows.", "", *table(header[:8], published), "", source]
    scores = fev_scores(frame)
    rows, gm = [], {}
    for model in ordered_models(scores.index.get_level_values("model")):
        s = scores.loc[model]
        complete = all(m in s.index for m in FEV_MARKETS)
        if complete:
            gm[model] = geometric_mean(s.loc[list(FEV_MARKETS), "sql"])
        cells = [("—" if m not in s.index else f"{s.loc[m, 'sql']:.3f}"
                  + ("" if np.isnan(s.loc[m, "sql_std"]) else f" ± {s.loc[m, 'sql_std']:.3f}")) for m in FEV_MARKETS]
        rows.append([f"**{model}**", *cells, f"{gm[model]:.3f}" if complete else "—",
                     f"{geometric_mean(s.loc[list(FEV_MARKETS), 'mase']):.3f}" if complete else "—",
                     f"{s.coverage.mean():.2f}", f"{s.fit.median():.0f}", int(s.seeds.max())])
    status = fev_status(scores)
    lines = [*([status, ""] if status else []), *table(header, rows), "", *table(header[:8], published), "", source]
    ranks = [f"`{name}` ranks {sum(v[5] < gm[name] for v in FEV_PUBLISHED.values()) + 1}"
             for name in ("pf", "pf-v1") if name in gm]
    lines.append(f"By gm SQL, {' and '.join(ranks)} of {len(FEV_PUBLISHED) + 1} (each among itself and the "
                 f"{len(FEV_PUBLISHED)} published models)." if ranks else
                 "pf's rank among the published models: not available until pf has all five markets.")
    if "pf-v1" in scores.index.get_level_values("model"):
        lines.append(f"`pf` has the current defaults ({', '.join(f'`{r}`' for r in reruns_in_use(FEV))}), `pf-v1` the "
                     "first ones (`fit_linear_skips=False`).")
    earlier_lines = []
    for folder, (base, difference, _) in EARLIER_PF.items():
        earlier = load_folder(folder) if base == FEV else None
        if earlier is None:
            continue
        old = fev_scores(earlier[earlier.model.map(is_pf)])
        summary = [f"`{model}` {geometric_mean(old.loc[model].loc[list(FEV_MARKETS), 'sql']):.3f} "
                   f"({plural(int(old.loc[model].seeds.max()), 'seed')})" for model in ordered_models(old.index.unique("model"))
                   if all(m in old.loc[model].index for m in FEV_MARKETS)]
        if summary:
            earlier_lines.append(f"{difference} (`{folder}`) {', '.join(summary)}")
    if earlier_lines:
        lines.append(f"Earlier reruns of pf (the option each had), gm SQL: {'; '.join(earlier_lines)}.")
    return lines


def fev_status(scores: pd.DataFrame) -> str:
    """The models whose fev-bench results lack a market (the table's seeds column gives the rest), or that no
    finished run is recorded yet; ``""`` when neither."""
    recorded = (HERE / FEV / "runs.jsonl").exists()
    partial = []
    for model in ordered_models(scores.index.get_level_values("model")):
        markets = [m for m in FEV_MARKETS if m in scores.loc[model].index]
        if len(markets) < len(FEV_MARKETS):
            partial.append(f"`{model}` has {', '.join(markets)} only")
    if not recorded:
        partial.insert(0, "Partial results (no finished run recorded yet)")
    return "; ".join(partial) + "." if partial else ""


def fault_cases(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (task, stream, fault): every model's MSE at the fault's middle severity (mean over seeds)."""
    from pf_forecast.robustness import fault_middle_level

    rows = frame[frame.corruption.str.startswith("fault:") & (frame.metric == "mse")].copy()
    parts = rows.corruption.str.split(":", n=2, expand=True)
    rows["fault"], rows["stream"] = parts[1], parts[2]
    rows = rows[np.isclose(rows.level, rows.fault.map(fault_middle_level))]
    rows["task"] = rows.dataset + " / " + rows.track
    return rows.groupby(["task", "stream", "fault", "model"])["value"].mean().unstack("model")


def earlier_fault_lines(cases: pd.DataFrame) -> list[str]:
    """One line over the earlier pf reruns (:data:`EARLIER_PF`) of the fault run: in how many of its cases each is
    lower than every peer."""
    parts = []
    for folder, (base, difference, track) in EARLIER_PF.items():
        frame = load_folder(folder) if base == FAULTS_FOLDER else None
        if frame is None or not frame.corruption.str.startswith("fault:").any():
            continue
        frame = frame if track is None else frame[frame.track == track]
        earlier = fault_cases(frame)["pf"].rename("earlier")
        joined = cases.join(earlier, how="inner").dropna(subset=["earlier"])
        peers = joined[[c for c in joined.columns if not is_pf(c) and c != "earlier"]].min(axis=1)
        where = "" if track is None else f", {track} track"
        parts.append(f"{difference} (`{folder}`{where}) {int((joined.earlier < peers).sum())} of {len(joined)}")
    if not parts:
        return []
    return [f"Earlier reruns of pf (the option each had), lower than every peer in these cases: {'; '.join(parts)}.",
            ""]


def fault_imputations() -> dict[tuple[str, str], str]:
    """(task, model) -> the imputations each peer got in the fault sweeps, most frequent first, with counts."""
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for path in sorted((HERE / FAULTS_FOLDER / "cells").glob("*.json")):
        meta = json.loads(path.read_text())
        faults = meta.get("faults") or {}
        if faults.get("fault_impute") in (None, "none"):
            continue
        key = (f"{meta['dataset']} / {meta['track']}", meta["model"])
        for per_stream in faults.get("impute", {}).values():
            for policy in per_stream.values():
                counts.setdefault(key, {}).setdefault(policy, 0)
                counts[key][policy] += 1
    return {key: ", ".join(f"{p} {n}" for p, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))
            for key, c in counts.items()}


def imputation_totals(chosen: dict[tuple[str, str], str], models: list[str]) -> str:
    """``"ffill 80, seasonal 30, ..."``: the peers' imputations over every task, from :func:`fault_imputations`."""
    totals: dict[str, int] = {}
    for (_, name), picks in chosen.items():
        if name in models:
            for pick in picks.split(", "):
                policy, count = pick.rsplit(" ", 1)
                totals[policy] = totals.get(policy, 0) + int(count)
    return ", ".join(f"{p} {n}" for p, n in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])))


def faults_section() -> list[str]:
    """The targets under stream faults: pf against every peer (best imputation each) at the middle severity, and
    pf with a stream removed against pf retrained without it."""
    frame = with_current_pf(FAULTS_FOLDER)
    if frame is None or not frame.corruption.str.startswith("fault:").any():
        return ["_Not run yet_ (`pf-forecast bench --suite ... --faults --out benchmarks/faults`)."]
    cases = fault_cases(frame)
    rows, wins, total, v1_wins, v1_total = [], 0, 0, 0, 0
    for task, group in cases.groupby(level="task"):
        lower, ratios, worst, name = 0, [], ("", 0.0), pf_name(group.dropna(axis=1, how="all").columns)
        for (_, stream, fault), row in group.iterrows():
            row = row.dropna()
            peers = row.drop(labels=[m for m in row.index if is_pf(m)])
            if name not in row or peers.empty:
                continue
            ratio = row[name] / peers.min()
            lower += int(ratio < 1)
            ratios.append(ratio)
            worst = max(worst, (f"{fault} {stream}", ratio), key=lambda item: item[1])
            if "pf-v1" in row:
                v1_wins, v1_total = v1_wins + int(row["pf-v1"] < peers.min()), v1_total + 1
        if ratios:
            wins, total = wins + lower, total + len(ratios)
            rows.append([task, name, f"{lower} / {len(ratios)}", f"{np.median(ratios):.2f}",
                         f"{worst[0]} ({worst[1]:.2f})"])
    models = ordered_models(frame.model.unique())
    share = f"{wins} of {total} ({wins / total:.0%})" if total else "no case yet"
    chosen = fault_imputations()
    peer_names = ordered_models({model for _, model in chosen})
    from pf_forecast.robustness import FAULTS, fault_middle_level

    middles = ", ".join(f"{f} {fault_middle_level(f):g}" for f in FAULTS)
    removal, removal_table = removal_share()
    return [f"Models in the run: {', '.join(f'`{m}`' for m in models)}; seeds: {seed_range(frame)}. Middle "
            f"severities: {middles} (outage and stuck: fraction of the steps; latency: steps; spikes: fraction of "
            "the values).", "",
            f"**Target: pf lower than every peer in >= 90% of the (task, stream, fault) cases: {share}, "
            f"{'met' if total and wins / total >= 0.9 else 'not met'}.**", "",
            *table(["task", "pf", "cases pf lower", "median pf / best peer", "worst case (pf / best peer)"], rows),
            "", *([f"`pf-v1` (the previous defaults) on the same cases: lower than every peer in {v1_wins} of "
                   f"{v1_total}.", ""] if v1_total else []), *earlier_fault_lines(cases),
            "Per-case MSEs (every fault, stream and model) are in the run's report: "
            f"{report_link(FAULTS_FOLDER)}.", "",
            f"**Target: under whole-stream removal, pf's MSE <= 1.02x that of pf retrained without the stream in "
            f">= 90% of the cases: {removal}.**", "", *removal_table, "",
            "Imputation the peers got, chosen per (model, task, fault, stream) on the validation segment (counts over "
            f"those cases and the {len(peer_names)} peers; per case in each cell's `.json`): "
            f"{imputation_totals(chosen, peer_names)}."]


#: Where every configuration ever measured on the validation folds is tabulated (BENCHMARKS.md: the current ones).
SELECTION_REPORT = HERE / "selection" / "report.md"
#: The configurations that are the current defaults on some task (``base``; on the EPF future folds, measured
#: before ``base`` was, ``cov_future_clip``, which sets the defaults' values): BENCHMARKS.md shows them and the
#: ablations paired with them.
CURRENT_CONFIGS = ("base", "cov_future_clip", "cov_future")


def selection_section(full: bool = False) -> list[str]:
    """The rolling-origin selection of pf's defaults (``select_defaults.py``): per task and configuration; unless
    ``full``, only the current defaults and the ablations paired with them (:data:`CURRENT_CONFIGS`), the rest in
    :data:`SELECTION_REPORT`."""
    import select_defaults

    if not any(select_defaults.CELLS.glob("*.csv")):
        return ["_Not run yet_ (`python benchmarks/select_defaults.py`)."]
    frame = select_defaults.summary()
    cells = pd.concat([pd.read_csv(p) for p in sorted(select_defaults.CELLS.glob("*.csv"))], ignore_index=True)
    rows = []
    # configurations that only change how gaps are read share base's fit: the gap-fill table below shows them
    gap_only = [name for fills in select_defaults.GAP_FILL_CONFIGS.values() for name in fills]
    shown = frame[frame.config.isin(list(select_defaults.CONFIGS)) & ~frame.config.isin(gap_only)]
    if not full:  # the pooled ablations: below the table (pooled_ablation)
        shown = shown[(shown.config.isin(CURRENT_CONFIGS) | shown.reference.isin(CURRENT_CONFIGS))
                      & ~shown.config.isin(list(POOLED_ABLATIONS))]
    listed = []  # the configurations in the table's rows
    for _, row in shown.iterrows():  # peers: their reports
        dataset, track = row.task.split(" / ")
        sub = cells[(cells.dataset == dataset) & (cells.track == track) & (cells.config == row.config)]
        if not full and sub.fold.nunique() * sub.seed.nunique() == 1:
            continue  # a single fit ranks nothing: the report has it
        listed += [row.config, row.reference]
        # compact: a change against the defaults is not named (the caption says so)
        against = "" if row.reference == "v1" or not full and row.reference in CURRENT_CONFIGS[:2] else (
            f" vs {row.reference}")
        paired = "—" if row.config == row.reference or np.isnan(row.vs_base) else (
            f"{row.vs_base:+.1%}" + ("" if np.isnan(row.se) else f" ± {row.se:.1%}") + against)
        faults = "—"
        if "fault_mse" in frame and not np.isnan(row.fault_mse):
            change = "" if np.isnan(row.fault_vs_base) or row.config == row.reference else (
                f" ({row.fault_vs_base:+.1%}" + ("" if np.isnan(row.fault_se) else f" ± {row.fault_se:.1%}")
                + f"{against})")
            faults = f"{row.fault_mse:.4f}{change}"
        rows.append([row.task, row.config, f"{row.mse:.4f}", paired, faults,
                     f"{sub.fold.nunique()} x {sub.seed.nunique()}", f"{row.fit_s:.0f}"])
    layouts: dict[str, list[str]] = {}  # "k x n windows" -> the tasks with that fold layout
    for (dataset, track), g in cells.groupby(["dataset", "track"]):
        layouts.setdefault(f"{g.fold.nunique()} x {int(g.n_windows.median()):,}", []).append(f"{dataset} / {track}")
    folds = [f"{by_track(tasks)}: {layout}" for layout, tasks in layouts.items()]
    defaults = pf_defaults()
    described: dict[str, list[str]] = {}  # the options a configuration sets to other values than the defaults
    for name in dict.fromkeys(listed):  # -> the configurations that set them (several can be the defaults)
        if name in select_defaults.CONFIGS:
            options = ", ".join(f"`{k}={v.__name__ if isinstance(v, type) else repr(v)}`"
                                for k, v in select_defaults.CONFIGS[name].items()
                                if k not in defaults or v != defaults[k]) or "the defaults"
            described.setdefault(options, []).append(f"`{name}`")
    legend = "; ".join(f"{', '.join(names)}: {options}" for options, names in described.items())
    header = ["task", "config", "validation MSE", "vs v1 (paired) ± s.e.", "under faults (vs v1)", "folds x seeds",
              "fit s"]
    if not full:  # one line per task (the full table is in the report), without the fit seconds
        header, rows = compact_selection_rows(rows)
    return [*table(header, rows), "", *pooled_ablations(cells, full),
            f"Configurations (options other than the defaults): {legend}.", "",
            "Folds x windows per fold: " + "; ".join(folds) + ". Changes paired per (fold, seed) with "
            + ("`v1` or the named configuration." if full
               else "the named configuration, else the defaults (the defaults' own change: with `v1`).")
            + " *Under faults*: mean MSE over every (fault, stream), one stream failing at the fault's middle severity.",
            "",
            *peers_on_folds(cells, full),
            *(gap_fill_table(cells) if full else [
                f"Every configuration, single fits included: [selection report]"
                f"({SELECTION_REPORT.relative_to(ROOT).as_posix()}).", ""])]


#: Ablations pooled over every task in one table below the selection table (not in its rows): configuration -> (what
#: it changes against the defaults, the verdict where the defaults are better beyond two standard errors, where it is,
#: where neither), and whether its cells ran beside the defaults' in one command: only then is the fit-time ratio
#: side by side. Late fusion: the issue's rule (the feedback stays the default only where it is at least as good).
POOLED_ABLATIONS = {
    "late": ("`n_refinements=1` (defaults: {n_refinements})", "the feedback stays the default",
             "late fusion is better: the default should be one step", True),
    "auto": ("`use_covariate_skip='auto'` (defaults: {use_covariate_skip!r})", "the default stays",
             "`auto` is better: it should be the default", False),
    "ctx_last": ("`context_layer=3` (defaults: {context_layer})", "the default stays",
                 "`ctx_last` is better: it should be the default", False),
    "calendar": ("hour and weekday as a stream (cyclic `add_encoders`; defaults: none)",
                 "the default stays", "calendar features should be on by default", False),
    "mdrop0": ("`modality_dropout=0` (defaults: {modality_dropout})", "modality dropout costs nothing clean",
               "modality dropout costs clean accuracy", False),
    "fallback": ("`linear_fallback=True` (the defaults since; before: False)", "the former default is better",
                 "better clean too", True),
}
POOLED_TIE = "within 2 s.e."


def pooled_ablation(cells: pd.DataFrame, config: str, full: bool = True) -> list[str] | None:
    """Configuration ``config`` of :data:`POOLED_ABLATIONS` against the defaults on every validation fold both ran,
    as a row of :func:`pooled_ablations`: its paired change of MSE pooled over every (task, fold, seed), the tasks
    where it is lower (named if ``full``, else counted), under faults where measured, the fit time where side by side
    and the verdict at two standard errors; ``None`` where it has no paired cell."""
    import select_defaults

    frame = select_defaults.per_fit(cells)
    keys = ["dataset", "track", "fold", "seed"]
    ablation = frame[frame.config == config].set_index(keys)
    if ablation.empty:
        return None
    # the defaults of each (task, fold, seed): "base", or the configuration that set the same values before
    current = frame[frame.config.isin(CURRENT_CONFIGS[:2])].sort_values("config").groupby(keys).first()
    pairs = ablation.join(current, rsuffix="_pf", how="inner")
    if pairs.empty:
        return None
    change = pairs.mse / pairs.mse_pf - 1  # the ablation against the defaults: > 0 where the defaults are better
    per_task = change.groupby(level=["dataset", "track"]).mean()
    lower = [f"{d} / {t}" for (d, t), v in per_task.items() if v < 0]
    mean, se = change.mean(), change.std(ddof=1) / np.sqrt(len(change))
    what, worse, better, side_by_side = POOLED_ABLATIONS[config]

    def paired(metric: str) -> pd.Series:  # the paired changes of a score (clean scores: `change`)
        scored = pairs.dropna(subset=[metric, f"{metric}_pf"])
        return scored[metric] / scored[f"{metric}_pf"] - 1

    def paired_change(metric: str) -> str:  # "mean ± s.e. (cells)", or "—"
        ratio = paired(metric)
        return f"{ratio.mean():+.1%} ± {ratio.std(ddof=1) / np.sqrt(len(ratio)):.1%} ({len(ratio)})" \
            if len(ratio) > 1 else "—"

    verdict = worse if mean > 2 * se else better if mean < -2 * se else POOLED_TIE
    removal = paired("removal_mse")
    if len(removal) > 1 and removal.mean() < -2 * removal.std(ddof=1) / np.sqrt(len(removal)):
        verdict += "; lower with a stream removed"

    return [f"`{config}`: {what.format(**pf_defaults())}", str(len(change)), f"{mean:+.1%} ± {se:.1%}",
            f"{len(lower)} of {len(per_task)}" + (f" ({', '.join(lower)})" if lower and full else ""),
            paired_change("fault_mse"), paired_change("removal_mse"),
            f"{(pairs.fit_seconds / pairs.fit_seconds_pf).median():.2f}x" if side_by_side else "—", verdict]


def pooled_ablations(cells: pd.DataFrame, full: bool = True) -> list[str]:
    """The table of :data:`POOLED_ABLATIONS` (rows from :func:`pooled_ablation`), empty where none has cells."""
    rows = [row for name in POOLED_ABLATIONS if (row := pooled_ablation(cells, name, full)) is not None]
    if not rows:
        return []
    return ["Pooled over the tasks, paired with the defaults (fit time: only where run beside them):", "",
            *table(["configuration", "cells", "MSE change ± s.e.", "tasks lower",
                    "under faults (cells)", "a stream removed (cells)", "fit time", "verdict"], rows), ""]


def compact_selection_rows(rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """:func:`selection_section`'s rows ``[task, config, MSE, paired change, under faults, folds x seeds, fit s]``
    folded into one row per task: each configuration run to the protocol (>= 2 folds, >= 3 seeds) with its
    validation MSE, its paired change and, where measured, its MSE under faults; only the tasks with more than one
    such configuration."""
    by_task: dict[str, list[str]] = {}
    for task, config, mse, paired, faults, layout, _ in rows:
        folds, seeds = (int(n) for n in layout.split(" x "))
        if folds < 2 or seeds < 3:
            continue  # a probe short of the protocol: in the selection report only
        text = f"`{config}` {mse}" + ("" if paired == "—" else f" ({paired})") + (
            "" if faults == "—" else f", faults {faults}") + f" [{layout}]"
        by_task.setdefault(task, []).append(text)
    # a task where only the defaults are left (the pooled ablations are below the table) is left out
    return (["task", "configuration (>= 2 folds x 3 seeds): validation MSE on the folds all ran (paired change "
             "± s.e.), under faults [folds x seeds]"],
            [[task, "; ".join(entries)] for task, entries in by_task.items() if len(entries) > 1])


def peers_on_folds(cells: pd.DataFrame, full: bool = True) -> list[str]:
    """Other models scored on the same validation folds as pf's defaults: per task and peer, both MSEs (mean over
    the folds and seeds both ran) and their ratio; not ``full``, one line per task with the ratios."""
    import select_defaults

    rows = []
    for (dataset, track), group in cells.groupby(["dataset", "track"]):
        current = next((c for c in CURRENT_CONFIGS if (group.config == c).any()), None)
        if current is None:
            continue
        pf = group[group.config == current].groupby("fold").mse.mean()  # (folds,): mean over seeds
        for peer, sub in group[~group.config.isin(list(select_defaults.CONFIGS))].groupby("config"):
            score = sub.groupby("fold").mse.mean()
            folds = pf.index.intersection(score.index)
            if len(folds):
                ratio = pf[folds].mean() / score[folds].mean()
                rows.append([f"{dataset} / {track}", peer, f"{score[folds].mean():.4f}", f"{pf[folds].mean():.4f} "
                             f"(`{current}`)", f"{ratio:.3f}", f"{len(folds)} x {sub.seed.nunique()}"])
    if not rows:
        return []
    if not full:
        by_task: dict[str, list[str]] = {}
        for task, peer, _, _, ratio, _ in rows:
            by_task.setdefault(task, []).append(f"{peer} {ratio}")
        return ["Other models on the same folds, pf's defaults / model (every window, early stopping; MSEs: the "
                "report): " + "; ".join(f"{task}: {', '.join(r)}" for task, r in by_task.items()) + ".", ""]
    return ["Other models on the same folds (every window, early stopping; mean over the folds both ran):", "",
            *table(["task", "model", "validation MSE", "pf's defaults", "pf / model", "folds x seeds"], rows), ""]


def write_selection_report() -> None:
    """:data:`SELECTION_REPORT`: the whole selection table, the gap-fill table and the commands."""
    lines = ["# Selecting pf's defaults on rolling-origin validation folds", "",
             "Written by `python benchmarks/summarize.py` from `cells/` (`benchmarks/select_defaults.py`); the "
             "test segments are never read.", "", *selection_section(full=True), "## Commands", "", "```bash",
             *selection_commands(), "```", ""]
    tmp = SELECTION_REPORT.with_suffix(".md.tmp")
    tmp.write_text("\n".join(lines))
    os.replace(tmp, SELECTION_REPORT)


def gap_fill_table(cells: pd.DataFrame) -> list[str]:
    """Validation MSE per fault (mean over streams, folds and seeds) for each ``gap_fill`` policy, on the folds
    where a reference (``base``, or ``v2``; its ``"auto"``) and its ``gap_zero`` / ``gap_ffill`` / ``gap_seasonal``
    share their fits (:data:`select_defaults.GAP_FILL_CONFIGS`)."""
    import select_defaults

    rows = []
    for reference, fills in select_defaults.GAP_FILL_CONFIGS.items():
        policies = [*fills, reference]
        faulted = cells[cells.config.isin(policies) & cells.filter(like="fault:").notna().any(axis=1)]
        shared = faulted.groupby(["dataset", "track", "fold", "seed"]).config.transform("nunique") == len(policies)
        for (dataset, track), group in faulted[shared].groupby(["dataset", "track"]):
            for fault in ("outage", "latency"):  # the faults that leave gaps (stuck and spikes leave none)
                columns = [c for c in group.columns if c.startswith(f"fault:{fault}:") and group[c].notna().any()]
                means = group.groupby("config")[columns].mean().mean(axis=1)
                rows.append([f"{dataset} / {track}", reference, fault, *(f"{means[c]:.4f}" for c in policies),
                             f"{group.fold.nunique()} x {group.seed.nunique()}"])
    if not rows:
        return []
    return ["What pf reads at a stream's missing steps (`gap_fill`; one fit per fold shared by the policies, so the "
            "differences are the policy's alone; on data without gaps their clean MSE is the reference's): "
            "validation MSE with one stream failing, mean over the streams.", "",
            *table(["task", "model", "fault", "zero", "ffill", "seasonal", "auto (default)", "folds x seeds"],
                   sorted(rows))]


def clean_tasks() -> list[tuple[str, str, pd.DataFrame]]:
    """(task, what is scored, per-model frame: score mean, seeds, fit and predict seconds) of every all-windows run
    committed: EPF past (``epf_alldata``), fev-bench EPF (SQL) and the fault runs' clean rows (``faults``), with pf's
    reruns at the current defaults beside them (:func:`with_current_pf`) and the reruns of every neural model under
    another early-stopping rule in place of their rows (:func:`with_rule_reruns`)."""
    out = []
    for folder, metric in [(ALL_WINDOWS, "mse"), (FEV, "sql"), (FAULTS_FOLDER, "mse")]:
        frame = with_rule_reruns(folder, with_current_pf(folder))
        if frame is None:
            continue
        rows = frame[(frame.corruption == "none") & (frame.metric == metric)]
        for (dataset, track), group in rows.groupby(["dataset", "track"]):
            per_seed = group.groupby(["model", "seed"]).agg(value=("value", "mean"), fit=("fit_seconds", "first"),
                                                             predict=("predict_seconds", "first"))
            models = per_seed.groupby("model").agg(value=("value", "mean"), seeds=("value", "size"),
                                                   fit=("fit", "median"), predict=("predict", "median"))
            task = f"{dataset} / {track}"
            out.append((task, f"{metric.upper()} ({folder})", models))
    return out


#: The peers the clean-accuracy target names, on every task (local statistical models on stocks only).
TARGET_PEERS = ("pf-late", "tide", "tsmixer", "tcn", "nhits", "dlinear", "linear", "lightgbm", "naive-seasonal")
TARGET_PEERS_STOCKS = ("arima", "exp-smoothing")


def short_of_protocol(task: str, models: pd.DataFrame, pf: str) -> list[str]:
    """What ``task``'s row lacks of the target's protocol: a named peer absent, or fewer than 3 seeds for pf or
    one of the two strongest peers (deterministic models and a peer over 10% behind pf need one)."""
    wanted = TARGET_PEERS + (TARGET_PEERS_STOCKS if task.startswith("stocks") else ())
    missing = [m for m in wanted if m not in models.index]
    peers = models.drop(index=[m for m in models.index if m == pf or m.endswith("-v1")]).value.nsmallest(2)
    few = [m for m in [pf, *peers.index] if models.seeds[m] < 3 and m not in DETERMINISTIC_MODELS
           and not (m != pf and models.value[m] > 1.1 * models.value[pf])]
    return [*missing, *(f"{m} seeds" for m in few)]


@functools.cache
def clean_comparison() -> tuple[list[list], list[tuple], dict[str, int]]:
    """pf against the best other model per task on the all-windows runs (:func:`clean_tasks`): the table rows
    ``[task, score, pf, best other model, pf / best, peers]``, the speed rows ``(task, pf's fit seconds, pf / TiDE
    fit, pf / TiDE predict)`` and the counts: tasks where pf is ``lowest``, within 3% (``close``), ``total`` and
    ``short`` of the target's protocol (:func:`short_of_protocol`)."""
    rows, speed_rows, seen = [], [], set()
    counts = dict.fromkeys(("lowest", "close", "total", "short"), 0)
    # a task in several runs (EPF past: epf_alldata and faults) counts once, from the run with the most peers
    for task, score, models in sorted(clean_tasks(), key=lambda item: -len(item[2])):
        pf = pf_name(models.index)
        # every other model of the run, pf's ablations (pf-late, pf-early) included; pf's earlier versions are not
        peers = models.drop(index=[m for m in models.index if m == pf or m.endswith("-v1")])
        key = (task, score.split(" (")[0])  # the score without its run
        if pf is None or peers.empty or key in seen:
            continue
        seen.add(key)
        best = peers.value.idxmin()
        ratio = models.value[pf] / peers.value[best]
        counts["lowest"] += ratio < 1
        counts["close"] += ratio <= 1.03
        counts["total"] += 1
        counts["short"] += bool(short_of_protocol(task, models, pf))
        rows.append([task, score.split(" (")[0], f"{models.value[pf]:.4f} ({int(models.seeds[pf])})"
                     + (" v1" if pf == "pf-v1" else ""),
                     f"{best} {peers.value[best]:.4f} ({int(peers.seeds[best])})", f"{ratio:.3f}", len(peers)])
        if "tide" in models.index:
            speed_rows.append((task, models.fit[pf], models.fit[pf] / models.fit["tide"],
                               models.predict[pf] / models.predict["tide"]))
    return sorted(rows, key=lambda row: (row[0].split(" / ")[0], row[1], row[0])), speed_rows, counts


def targets_section() -> list[str]:
    """This turn's targets for the model (clean lead, robustness, speed) with the values measured so far."""
    rows, speed_rows, counts = clean_comparison()
    lowest, close, total, short = (counts[k] for k in ("lowest", "close", "total", "short"))
    lines = ["**1. Clean accuracy** (pf lowest of every other model of the run, pf-late included, on >= 75% of the "
             "tasks, within 3% on all; seeds in brackets; every window; `v1`: pf with the previous defaults, where "
             "the current ones are not run yet). Runs "
             f"`{ALL_WINDOWS}`, `{FEV}`, `{FAULTS_FOLDER}`, with pf from "
             f"{', '.join(f'`{r}`' for r in reruns_in_use())} beside their peers"
             + (f" and the reruns {', '.join(f'`{r}`' for r in rule_reruns_done())} (below)"
                if rule_reruns_done() else "")
             + ":", "",
             *table(["task", "score", "pf", "best other model", "pf / best", "peers"], rows), "",
             f"pf is lowest on {lowest} of {total} tasks ({lowest / max(total, 1):.0%}) and within 3% of the lowest on "
             f"{close} of {total}: **{'met' if total and lowest / total >= 0.75 and close == total else 'not met'}**. "
             f"Rows short of the protocol (a named peer absent, or under 3 seeds for pf or one of the two strongest "
             f"peers): {short} of {total}.", ""]
    stale = stale_pf_cells()
    if stale:
        # (folder, "option recorded / default", model, track) -> dataset -> its stale seeds
        grouped: dict[tuple[str, str, str, str], dict[str, list[str]]] = {}
        for entry in stale:
            cell, difference = entry.split(": ", 1)
            folder, name = cell.split("/", 1)
            dataset, track, model, seed = name.split("__")  # the cell's name: dataset__track__model__seed
            grouped.setdefault((folder, difference, model, track), {}).setdefault(dataset, []).append(seed)
        listed = [f"`{folder}` {model} on {', '.join(f'{d} ({len(seeds)})' for d, seeds in datasets.items())} / "
                  f"{track} ({what})" for (folder, what, model, track), datasets in grouped.items()]
        lines += [f"Not at the current defaults (rerun them; seeds in brackets): {'; '.join(listed)}.", ""]
    lines += rule_lines()
    lines += linear_start_kept()
    lines += robustness_target()
    lines += speed_target(speed_rows)
    lines += late_fusion_speed()
    return lines


def side_by_side_speed(folder: str = TIMING_FOLDER, model: str = "pf") -> list[tuple[str, float, float, float, float]]:
    """``(task, model's fit seconds, model / TiDE fit, model / TiDE predict, model / TiDE fit seconds per epoch)``
    from ``folder``, where each task's ``model`` and TiDE ran one after the other in the same command."""
    frame = load_folder(folder)
    if frame is None:
        return []
    clean = frame[frame.corruption == "none"]
    rows = []
    for (dataset, track), task in clean.groupby(["dataset", "track"]):
        seconds = task[task.metric == "mse"].groupby("model")[["fit_seconds", "predict_seconds"]].median()
        epochs = task[task.metric == "epochs_trained"].groupby("model").value.median()
        if {model, "tide"} <= set(seconds.index) & set(epochs.index):
            ours, tide = seconds.loc[model], seconds.loc["tide"]
            rows.append((f"{dataset} / {track}", ours.fit_seconds, ours.fit_seconds / tide.fit_seconds,
                         ours.predict_seconds / tide.predict_seconds,
                         (ours.fit_seconds / epochs[model]) / (tide.fit_seconds / epochs["tide"])))
    return rows


def ratio_span(values: list[float]) -> str:
    """``"1.3-4.8x"``: the range of speed ratios."""
    return f"{min(values):.1f}-{max(values):.1f}x"


def within_speed_target(rows: list[tuple]) -> bool:
    """Whether every fit and predict ratio of :func:`side_by_side_speed`'s ``rows`` is at most 2x TiDE's."""
    return max(r[2] for r in rows) <= 2 and max(r[3] for r in rows) <= 2


def late_fusion_speed() -> list[str]:
    """Late fusion's (``pf-late``) fit and predict seconds over TiDE's, side by side in
    :data:`LATE_TIMING_FOLDER`: what the speed target would read with ``n_refinements=1``."""
    rows = side_by_side_speed(LATE_TIMING_FOLDER, "pf-late")
    if not rows:
        return []
    fits, predicts = [r[2] for r in rows], [r[3] for r in rows]
    epf = [r[1] for r in rows if r[0].startswith("epf-")]
    return [f"With `n_refinements=1` (`pf-late` and TiDE side by side in run `{LATE_TIMING_FOLDER}`, "
            f"{len(rows)} tasks): fit {ratio_span(fits)} TiDE's (median {np.median(fits):.1f}x), "
            f"predict {ratio_span(predicts)}" + (f", EPF <= {max(epf):.0f} s" if epf else "")
            + f": {'within' if within_speed_target(rows) else 'not within'} the target.", ""]


def speed_target(cross_run: list[tuple[str, float, float, float]]) -> list[str]:
    """Target 3: pf's fit and predict seconds over TiDE's, side by side where :data:`TIMING_FOLDER` has the task,
    else (marked) from different runs; and the slowest EPF market's fit."""
    side = side_by_side_speed()
    rows = side or cross_run
    if not rows:
        return []
    fits, predicts = [r[2] for r in rows], [r[3] for r in rows]
    per_epoch = [r[4] for r in side]
    epf = [r[1] for r in rows if r[0].startswith("epf-") and not r[0].endswith("/ fev")]
    source = (f"pf and TiDE side by side in run `{TIMING_FOLDER}` (every window, one seed, one thread; "
              f"{report_link(TIMING_FOLDER, 'report')}) on {len(rows)} tasks"
              if side else "pf's seconds from its current-defaults reruns, TiDE's from the peers' run (other machine "
              f"loads: indicative, not side by side) over {len(rows)} tasks")
    return ["**3. Speed** (fit and predict <= 2x TiDE's; an EPF market under 10 minutes on 2 cores), " + source
            + f": pf's fit over TiDE's {ratio_span(fits)} (median {np.median(fits):.1f}x), predict "
            f"{ratio_span(predicts)}: **{'met' if within_speed_target(rows) else 'not met'}**"
            + (f" (per training epoch {ratio_span(per_epoch)}, median {np.median(per_epoch):.1f}x: "
               "early stopping runs pf for more epochs)" if per_epoch else "")
            + (f"; an EPF market (either track, every window) fits in at most {max(epf):.0f} s: "
               f"**{'met' if max(epf) < 600 else 'not met'}**" if epf else "") + "."]


def linear_start_kept() -> list[str]:
    """The tasks where the current pf ended as its least-squares start (the deep path never lowered the validation
    loss, so :class:`~pf_forecast.RestoreBestWeights` kept the start, ``best_epoch = -1``)."""
    kept, replaced = {}, set()
    for folder in reversed(PF_SOURCES):  # newest first: a later rerun of a task replaces an earlier one's cells
        found = set()
        for path in sorted((HERE / folder / "cells").glob("*__pf__*.json")):
            meta = json.loads(path.read_text())
            task = f"{meta['dataset']} / {meta['track']}"
            if (PF_SOURCES[folder], task) in replaced:
                continue
            found.add((PF_SOURCES[folder], task))
            kept.setdefault(task, []).append((meta.get("fit") or {}).get("best_epoch") == -1)
        replaced |= found
    tasks = [f"{task} ({sum(flags)} of {len(flags)} seeds)" for task, flags in sorted(kept.items()) if any(flags)]
    if not tasks:
        return []
    return [f"Where the deep path never lowered the validation loss, pf stayed its least-squares start (a ridge model "
            f"on the target history; no covariate reaches its forecast): {', '.join(tasks)}.", ""]


def robustness_target() -> list[str]:
    """Target 2 on the all-windows faults run (every window, current pf beside pf-v1 and the peers): pf against
    every peer under each whole-stream removal and each MultiBench level, and pf's degradation area against
    pf-v1's."""
    frame = with_current_pf(FAULTS_FOLDER)
    head = ("**2. Robustness** (pf lower than every peer in >= 90% of the removals and MultiBench levels; "
            "degradation <= 1.25x pf-v1's)")
    if frame is None:
        return [f"{head}: not measured yet.", ""]
    mse = frame[frame.metric == "mse"]
    counts = {"removal": [0, 0], "noise": [0, 0]}
    losses = []  # removals where a peer is lower: (pf / best peer, "task stream ratio peer")
    for (dataset, track), task in mse.groupby(["dataset", "track"]):
        kinds = (("removal", task[task.corruption.str.startswith("missing:") & (task.level == 1.0)], "corruption"),
                 ("noise", task[(task.corruption == "multibench") & (task.level > 0)], "level"))
        for kind, rows, key in kinds:
            for _, case in rows.groupby(key):
                means = case.groupby("model")["value"].mean()
                peers = means.drop(labels=[m for m in means.index if is_pf(m)])
                if "pf" in means and not peers.empty:
                    counts[kind][0] += int(means["pf"] < peers.min())
                    counts[kind][1] += 1
                    if kind == "removal" and means["pf"] >= peers.min():
                        ratio, stream = means["pf"] / peers.min(), case.corruption.iloc[0].split(":", 1)[1]
                        losses.append((ratio, f"{dataset} / {track} without {stream} {ratio:.2f}x {peers.idxmin()}"))
    areas = degradation(mse.assign(suite=FAULTS_FOLDER)).groupby(["dataset", "track", "model"]).degradation.mean()
    pairs = [(f"{d} / {t}", areas[(d, t, "pf")], areas[(d, t, "pf-v1")])
             for d, t, m in areas.index if m == "pf" and (d, t, "pf-v1") in areas.index]
    wins = counts["removal"][0] + counts["noise"][0]
    total = counts["removal"][1] + counts["noise"][1]
    lines = [f"{head}, run `{FAULTS_FOLDER}` (every window, pf from "
             f"{', '.join(f'`{r}`' for r in reruns_in_use(FAULTS_FOLDER))}, the later per task): pf lower than every peer "
             f"under {counts['removal'][0]} of {counts['removal'][1]} removals and {counts['noise'][0]} of "
             f"{counts['noise'][1]} MultiBench levels (p > 0): {wins} of {total}"
             + (f" ({wins / total:.0%}), **{'met' if wins / total >= 0.9 else 'not met'}**" if total else "") + "."
             + (f" Removals a peer wins, worst first: "
                f"{', '.join(text for _, text in sorted(losses, reverse=True)[:3])}"
                + (f" and {len(losses) - 3} more (the faults report)" if len(losses) > 3 else "") + "." if losses else "")]
    if pairs:
        pf_total, v1_total = sum(p for _, p, _ in pairs), sum(v for _, _, v in pairs)
        verdict = "met" if pf_total <= 1.25 * v1_total else "not met"
        lines[-1] += (" Degradation area, pf / pf-v1: " + ", ".join(f"{task} {p:.4f} / {v:.4f}" for task, p, v in pairs)
                      + f"; total {pf_total:.4f} / {v1_total:.4f}: **{verdict}** (judged on the total: a task's "
                      "area can be near zero or negative).")
    return [*lines, ""]


@functools.cache
def pf_v1_folders() -> list[str]:
    """Result folders whose ``pf`` cells were built with the previous defaults (``fit_linear_skips=False``; cells
    from before model configurations were recorded count as previous too)."""
    current = repr(pf_defaults()["fit_linear_skips"])
    old = []
    for folder in (*SUITES, ALL_WINDOWS, FEV, FAULTS_FOLDER):
        metas = [json.loads(p.read_text()) for p in sorted((HERE / folder / "cells").glob("*__pf__*.json"))]
        if any((m.get("model_config") or {}).get("fit_linear_skips", "False") != current for m in metas):
            old.append(folder)
    return old


def pf_v1_note() -> list[str]:
    """The label of results computed with the previous defaults."""
    old = pf_v1_folders()
    if not old:
        return []
    return [f"**pf-v1:** `pf` in {', '.join(f'`{f}`' for f in old)} has the previous defaults "
            "(`fit_linear_skips=False`); the current pf is in the reruns beside them. Their commands under *Reproduce* "
            "give pf-v1 with the code before `git log --grep 'Default fit_linear_skips'`.", ""]


# ----------------------------------------------------------------------------------------------------------------
# README headline
# ----------------------------------------------------------------------------------------------------------------
def seeds_sentence(clean: pd.DataFrame) -> str:
    """``Mean over 3 seeds for `pf`, ...; 1 seed for ...`` from the clean rows of a run."""
    seeds = clean.groupby("model")["seed"].nunique()
    models = ordered_models(seeds.index)
    return "Mean over " + ", ".join(
        f"{n} seed{'s' if n > 1 else ''} for {', '.join(f'`{m}`' for m in models if seeds[m] == n)}"
        for n in sorted(set(seeds), reverse=True)) + "."


def mean_table(clean: pd.DataFrame, models) -> list[str]:
    """Models by tasks: the clean test MSE, mean over seeds, of the ``models`` that ran (``clean``: MSE rows)."""
    means = clean.groupby(["model", "dataset"])["value"].mean().unstack("dataset")
    datasets = ordered_datasets(means.columns)
    rows = [[model, *("—" if np.isnan(means.loc[model, d]) else f"{means.loc[model, d]:.3f}" for d in datasets)]
            for model in models if model in means.index]
    return table(["model", *datasets], rows)


def headline(results: pd.DataFrame, all_windows: pd.DataFrame | None) -> list[str]:
    """README's headline: pf at its current defaults against the best other model of each all-windows run
    (:func:`clean_comparison`), then the capped runs' clean test MSE per task for the main models (mean over seeds),
    published TimeXer beside."""
    rows, _, counts = clean_comparison()
    lowest, close, total, short = (counts[k] for k in ("lowest", "close", "total", "short"))
    current = ["Test scores of `pf` at its current defaults against the best of the other models on each task "
               "(every training window, early stopping on the validation rows; seeds in brackets; standardized MSE, "
               "fev-bench: scaled quantile loss):", "",
               *table(["task", "score", "pf", "best other model", "pf / best"], [row[:5] for row in rows]), "",
               f"pf is lowest on {lowest} of {total} tasks and within 3% of the lowest on {close}; "
               f"{plural(short, 'row')} {'lacks' if short == 1 else 'lack'} a peer or seeds of the protocol "
               "([BENCHMARKS.md](BENCHMARKS.md), *Targets of the model*).", ""]
    clean = results[(results.corruption == "none") & (results.metric == "mse") & (results.track == "past")]
    lines = mean_table(clean, HEADLINE_MODELS)
    datasets = lines[0].strip("| ").split(" | ")[1:]
    timexer = {f"epf-{market}": methods["TimeXer"][0] for market, methods in EPF_PUBLISHED.items()}
    lines.append("| *TimeXer (published, not measured here)* | "
                 + " | ".join(f"{timexer[d]:.3f}" if d in timexer else "—" for d in datasets) + " |")
    seeds = clean.groupby("suite")["seed"].nunique()
    lines = with_label(cap_label(*SUITES), lines)
    if pf_v1_folders():
        lines = ["**pf-v1:** `pf` in the tables below is the model with its previous defaults "
                 "(`fit_linear_skips=False`), in the first runs of the suites.", "", *lines]
    lines = [*current, *lines]
    lines += ["", "Standardized test MSE (EPF: TimeXer protocol, past covariates; stocks: MultiBench protocol; Beijing "
              "PM2.5 and ETTh1: their loaders' protocols), mean over seeds (at most "
              + ", ".join(f"{seeds[s]} on {s}" for s in SUITES if s in seeds) + "); lower is better. Published TimeXer row: "
              f"{EPF_PUBLISHED_SOURCE}. Full tables, robustness, speed and the fev-bench EPF comparison: "
              "[BENCHMARKS.md](BENCHMARKS.md)."]
    if all_windows is not None:
        full = all_windows[(all_windows.corruption == "none") & (all_windows.metric == "mse")]
        budget = " / ".join(f"{b:,}" for b in training_budgets("epf"))
        lines += ["", f"EPF again with every training window (the run above caps the neural models at {budget} "
                  "training windows per market to bound CPU time; `linear` always fits all):", "",
                  *mean_table(full, ordered_models(full.model)), "",
                  seeds_sentence(full)[:-1] + " (`linear` and `naive-seasonal` do not depend on it)."]
    return lines


def update_readme(lines: list[str]) -> None:
    """Replace README.md's text between the headline markers with ``lines``."""
    readme = ROOT / "README.md"
    text = readme.read_text()
    if README_START not in text:
        return
    before, rest = text.split(README_START, 1)
    after = rest.split(README_END, 1)[1]
    tmp = readme.with_suffix(".md.tmp")
    tmp.write_text(before + README_START + "\n" + "\n".join(lines) + "\n" + README_END + after)
    os.replace(tmp, readme)


# ----------------------------------------------------------------------------------------------------------------
# The document
# ----------------------------------------------------------------------------------------------------------------
def section(title: str, intro: str, body: list[str]) -> list[str]:
    """``## title``, then its intro paragraph (what is measured) and its body, each followed by a blank line."""
    return [f"## {title}", "", *([intro, ""] if intro else []), *body, ""]


def document(results: pd.DataFrame, all_windows: pd.DataFrame | None) -> list[str]:
    """BENCHMARKS.md, line by line."""
    clean = clean_mse(results)
    capped = cap_label(*SUITES)
    return [
        "# Benchmarks", "",
        "How `ProgressiveFusionForecaster` (`pf`) compares with darts' models on real multimodal tasks: clean "
        "accuracy, robustness to noisy or missing covariates, speed, and probabilistic forecasts on fev-bench's "
        "electricity-price tasks. `benchmarks/summarize.py` computes every number below from the results committed "
        "under `benchmarks/` ([benchmarks/README.md](benchmarks/README.md)); published numbers are quoted and "
        "labelled.", "",
        "Models: `pf` is this package's model (two refinement steps), `pf-late` the same with one (late fusion), "
        "`pf-early` with all covariates in one modality; the others are darts' models with their defaults.",
        "",
        *pf_v1_note(),
        *section("Result folders", "", suites_section()),
        *section("Targets of the model", "Measured on every committed all-windows run.", targets_section()),
        *section("Robustness: progressive against late fusion",
                 "MultiBench's noise (white noise, random and structured drops) on the test covariates at p = "
                 f"{levels(results)}. Degradation = area of the MSE curve above its clean value (lower = more "
                 "robust), ranked among every model of the task; pf-late is the same network without feedback.",
                 [*with_label(capped, fusion_section(clean, degradation(results))), "",
                  *fusion_on_target_runs()]),
        *section("Selecting the defaults (rolling-origin validation, stride-1 windows)",
                 "Each configuration of pf is trained as the bench trains it on the history before a fold and "
                 "scored on every stride-1 window of the fold; the last fold ends where the test segment, never "
                 "read, starts (`benchmarks/select_defaults.py`).",
                 selection_section()),
        *section("fev-bench EPF (probabilistic)",
                 "fev-bench's five electricity-price tasks: day-ahead quantile forecasts at the end of each market, "
                 "covariates known over the horizon, scored in price units: SQL (scaled quantile loss), MASE (of the "
                 "median), gm = geometric mean over the markets; coverage = share of actual values inside the 10-90% "
                 "interval (0.80 is calibrated). Our rows: mean ± std over seeds.",
                 with_label(cap_label(FEV), fev_section())),
        *section("Stream faults",
                 "One covariate stream at a time fails over the test period (outage, latency, stuck, spikes: "
                 "[docs/faults.md](docs/faults.md)). pf gets the gaps as NaN; every other model the imputation best "
                 "for it on validation (zero, mean, ffill or seasonal), per fault and stream. Standardized MSE.",
                 faults_section()),
        *section("Reproduce",
                 "[benchmarks/reproduce.sh](benchmarks/reproduce.sh) holds every command that wrote the results above "
                 "(written with this file); each resumes, so rerunning only fills what is missing. `COMMON` holds "
                 "the options every run of the robustness suites shares, `EPF` and the like those of one folder's "
                 "runs.",
                 write_reproduce_script()),
    ]


def main() -> None:
    results = load_results()
    all_windows = load_folder(ALL_WINDOWS)
    target = ROOT / "BENCHMARKS.md"
    tmp = target.with_suffix(".md.tmp")
    tmp.write_text("\n".join(document(results, all_windows)))
    os.replace(tmp, target)
    update_readme(headline(results, all_windows))
    write_selection_report()
    print(f"wrote {target.relative_to(ROOT)} ({target.stat().st_size:,} bytes) and README.md's headline table")


if __name__ == "__main__":
    main()
