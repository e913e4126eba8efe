"""``report.md`` and noise-curve plots from a benchmark's ``results.csv``.

Every table shows the mean ± sample standard deviation over seeds (``n`` = number of seeds; deterministic models
have one). Robustness summaries follow MultiBench (see :mod:`pf_forecast.robustness.metrics`): relative robustness
is the trapezoid area under the MSE-vs-noise-level curve, effective robustness is
``sum_p (f_p - (g_p + f_0 - g_0))`` against ``pf-late`` (late fusion) with the same seed; both are raw values where
lower is more robust, and both are also min-max normalised over the compared models (1 = most robust).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pf_forecast.robustness import effective_robustness, normalized_robustness, relative_robustness

from .models import model_order
from .plots import fault_plot, fault_rows, noise_curves, noise_plot, save_figure_atomically
from .store import RESULTS_FILE, append_run, atomic_write_text, machine_info, read_cell_meta, read_runs

__all__ = ["EPF_PUBLISHED", "EPF_PUBLISHED_SOURCE", "FEV_PUBLISHED", "FEV_PUBLISHED_SOURCE", "append_run",
           "fault_plot", "machine_info", "markdown_table", "noise_plot", "portable_paths", "read_runs",
           "save_figure_atomically", "write_report"]

logger = logging.getLogger(__name__)

REPORT_FILE = "report.md"
PLOTS_DIR = "plots"
REFERENCE_MODEL = "pf-late"
SPEED_REFERENCE = "tide"

#: Where :data:`EPF_PUBLISHED` comes from.
EPF_PUBLISHED_SOURCE = (
    "TimeXer (Wang et al., NeurIPS 2024, arXiv 2402.19072), Table 2 (EPF): input 168, horizon 24, "
    "past covariates, 70/10/20 split, StandardScaler on train, test stride 1, full training"
)
#: Published EPF MSE / MAE (TimeXer protocol) per market and method.
EPF_PUBLISHED: dict[str, dict[str, tuple[float, float]]] = {
    "NP": {"TimeXer": (0.236, 0.268), "iTransformer": (0.265, 0.300), "PatchTST": (0.267, 0.284),
           "TimesNet": (0.250, 0.289), "DLinear": (0.309, 0.321), "TiDE": (0.335, 0.340)},
    "PJM": {"TimeXer": (0.093, 0.192), "iTransformer": (0.097, 0.197), "PatchTST": (0.106, 0.209),
            "TimesNet": (0.097, 0.195), "DLinear": (0.108, 0.215), "TiDE": (0.124, 0.228)},
    "BE": {"TimeXer": (0.379, 0.243), "iTransformer": (0.394, 0.270), "PatchTST": (0.400, 0.262),
           "TimesNet": (0.419, 0.288), "DLinear": (0.463, 0.313), "TiDE": (0.523, 0.336)},
    "FR": {"TimeXer": (0.385, 0.208), "iTransformer": (0.439, 0.233), "PatchTST": (0.411, 0.220),
           "TimesNet": (0.431, 0.234), "DLinear": (0.429, 0.260), "TiDE": (0.510, 0.290)},
    "DE": {"TimeXer": (0.440, 0.415), "iTransformer": (0.479, 0.443), "PatchTST": (0.461, 0.432),
           "TimesNet": (0.502, 0.446), "DLinear": (0.520, 0.463), "TiDE": (0.568, 0.496)},
}
_PUBLISHED_NAME = {"tide": "TiDE", "dlinear": "DLinear"}

#: Where :data:`FEV_PUBLISHED` comes from.
FEV_PUBLISHED_SOURCE = (
    "fev-bench (Shchur et al., arXiv 2509.26468), results CSVs of the autogluon/fev repository at commit 1bc95fd; "
    "tasks epf_be, epf_de, epf_fr, epf_np, epf_pjm"
)
#: Published fev-bench EPF results: SQL on BE, DE, FR, NP, PJM, then the geometric means of SQL and MASE.
FEV_PUBLISHED: dict[str, tuple[float, ...]] = {
    "PatchTST (AutoGluon, per task)": (0.550, 0.460, 0.338, 0.635, 0.369, 0.458, 0.574),
    "TiRex-2": (0.532, 0.488, 0.348, 0.612, 0.375, 0.461, 0.581),
    "TabPFN-TS-3": (0.533, 0.437, 0.374, 0.633, 0.382, 0.462, 0.582),
    "Chronos-2": (0.503, 0.491, 0.362, 0.658, 0.382, 0.468, 0.589),
    "TabPFN-TS": (0.546, 0.448, 0.330, 0.678, 0.436, 0.474, 0.605),
    "TFT (AutoGluon, per task)": (0.626, 0.509, 0.397, 0.690, 0.346, 0.496, 0.626),
    "TS-ICL": (0.476, 0.590, 0.364, 0.810, 0.390, 0.504, 0.633),
    "DeepAR (AutoGluon, per task)": (0.605, 0.632, 0.405, 0.817, 0.357, 0.538, 0.669),
    "Toto-2.0-2.5B (no covariates)": (0.517, 1.010, 0.396, 0.951, 0.404, 0.603, 0.759),
    "TimesFM-2.5 (no covariates)": (0.494, 1.030, 0.409, 1.171, 0.426, 0.636, 0.782),
    "CatBoost (point)": (0.745, 1.092, 0.579, 1.203, 0.597, 0.805, 0.805),
    "LightGBM (point)": (0.807, 1.096, 0.554, 1.302, 0.598, 0.825, 0.825),
    "Seasonal Naive (statsforecast, with intervals)": (1.150, 1.388, 1.246, 1.530, 0.515, 1.094, 1.088),
}
FEV_MARKETS = ("BE", "DE", "FR", "NP", "PJM")


# --------------------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------------------
def _mean_std(values: Sequence[float] | pd.Series, digits: int = 3) -> str:
    values = np.asarray(pd.Series(values, dtype=float).dropna())
    if values.size == 0:
        return "n/a"
    mean = values.mean()
    if values.size == 1:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {values.std(ddof=1):.{digits}f}"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _epf_market(dataset: str) -> str | None:
    market = dataset[4:] if dataset.startswith("epf-") else None
    return market if market in EPF_PUBLISHED else None


def _groups(results: pd.DataFrame) -> list[tuple[str, str]]:
    return list(results[["dataset", "track"]].drop_duplicates().itertuples(index=False, name=None))


def _per_seed(frame: pd.DataFrame, column: str = "value") -> pd.Series:
    """(model, seed) -> value (one row per model and seed expected)."""
    return frame.groupby(["model", "seed"])[column].first()


# --------------------------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------------------------
def _clean_section(results: pd.DataFrame) -> str:
    parts = ["## Clean test metrics\n",
             "MSE and MAE on the protocol's standardized target, over every test window and step (mean ± std over "
             "seeds). `n` = seeds; deterministic models run once. `published` = numbers quoted from the "
             "literature under the full protocol, NOT measured here.\n"]
    clean = results[results.corruption == "none"]
    overview: dict[str, dict[str, str]] = {}
    for dataset, track in _groups(results):
        sel = clean[(clean.dataset == dataset) & (clean.track == track)]
        if sel.empty:
            continue
        market = _epf_market(dataset) if track == "past" else None
        rows = []
        for model in model_order(sel.model):
            m = sel[sel.model == model]
            mse, mae = m[m.metric == "mse"].value, m[m.metric == "mae"].value
            epochs = m[m.metric == "epochs_trained"].value
            windows = m[m.metric == "n_test_windows"].value
            row = [model, _mean_std(mse), _mean_std(mae), mse.size,
                   "n/a" if m.n_params.isna().all() else f"{int(m.n_params.iloc[0]):,}",
                   f"{epochs.mean():.1f}" if epochs.size else "—",
                   f"{int(windows.iloc[0])}" if windows.size else "—"]
            if market is not None:
                published = EPF_PUBLISHED[market].get(_PUBLISHED_NAME.get(model, ""))
                row.append(f"{published[0]:.3f} / {published[1]:.3f}" if published else "—")
            rows.append(row)
            overview.setdefault(model, {})[f"{dataset} / {track}"] = _mean_std(mse)
        header = ["model", "MSE", "MAE", "n", "params", "epochs", "test windows"]
        if market is not None:
            header.append("published MSE / MAE")
        parts.append(f"### {dataset} / {track}\n")
        parts.append(markdown_table(header, rows) + "\n")
        if market is not None:
            quoted = "; ".join(f"{method} {mse:.3f} / {mae:.3f}" for method, (mse, mae) in EPF_PUBLISHED[market].items())
            parts.append(f"Published ({EPF_PUBLISHED_SOURCE}), MSE / MAE for {market}: {quoted}.\n")
    if len(_groups(clean)) > 1:
        columns = list(dict.fromkeys(f"{d} / {t}" for d, t in _groups(clean)))
        parts.append("### Overview: clean MSE per dataset / track\n")
        parts.append(markdown_table(["model", *columns],
                            ([m, *(overview[m].get(c, "—") for c in columns)] for m in model_order(overview))) + "\n")
    return "\n".join(parts)


def _geometric_mean(values: Sequence[float]) -> float:
    return float(np.exp(np.mean(np.log(np.asarray(values, dtype=float)))))


def _probabilistic_section(results: pd.DataFrame) -> str:
    """SQL per task (mean ± std over seeds), gm SQL / MASE, coverage, fit time; fev's published rows beside."""
    scores = results[(results.corruption == "none") & results.metric.isin(["sql", "mase", "coverage80"])]
    if scores.empty:
        return ""
    tasks = list(dict.fromkeys(f"{d} / {t}" for d, t in _groups(scores)))
    fev = [t for t in tasks if t.endswith(" / fev")]
    if fev:  # fev's task order, so our rows line up with the published ones
        tasks = sorted(fev, key=lambda t: FEV_MARKETS.index(t.split(" / ")[0].removeprefix("epf-"))) + [
            t for t in tasks if t not in fev]
    label = scores.dataset + " / " + scores.track
    rows = []
    for model in model_order(scores.model):
        m = scores[scores.model == model]
        sql = {t: m[(label[m.index] == t) & (m.metric == "sql")].value for t in tasks}
        mase = {t: m[(label[m.index] == t) & (m.metric == "mase")].value.mean() for t in tasks}
        complete = all(v.size for v in sql.values())
        gm_sql = _geometric_mean([v.mean() for v in sql.values()]) if complete else float("nan")
        gm_mase = _geometric_mean(list(mase.values())) if complete else float("nan")
        coverage = m[m.metric == "coverage80"].value.mean()
        rows.append([model, *(_mean_std(sql[t]) if sql[t].size else "—" for t in tasks),
                     "—" if np.isnan(gm_sql) else f"**{gm_sql:.3f}**", "—" if np.isnan(gm_mase) else f"{gm_mase:.3f}",
                     f"{coverage:.2f}", f"{m.fit_seconds.median():.0f}", m.seed.nunique()])
    if len(fev) == len(FEV_MARKETS) and len(tasks) == len(fev):
        for name, values in FEV_PUBLISHED.items():
            rows.append([f"*{name} (published)*", *(f"{v:.3f}" for v in values[:5]), f"{values[5]:.3f}",
                         f"{values[6]:.3f}", "—", "—", "—"])
    parts = ["## Probabilistic scores\n",
             "Quantile forecasts at levels 0.1, ..., 0.9 scored in the target's original units (fev-bench's "
             "definitions, `pf_forecast.robustness.scoring`): SQL = mean quantile loss over steps and levels "
             "divided by the seasonal naive error of each window's history, MASE = the median's absolute error on "
             "the same scale, both averaged over the test windows; gm = geometric mean over the tasks; coverage = "
             "share of actual values inside the 0.1-0.9 interval (0.80 is calibrated; a point forecast covers "
             "~0). Point models score their point forecast at every level (SQL = MASE). Fit = median seconds of "
             "`fit`; seeds = seeds measured. Hyper-parameters are the models' defaults (no selection on the test "
             "windows); early stopping uses the validation rows before the first test window.\n"]
    parts.append(markdown_table(["model", *(f"SQL {t}" for t in tasks), "gm SQL", "gm MASE", "coverage 80%", "fit s",
                         "seeds"], rows) + "\n")
    if len(rows) > len(model_order(scores.model)):
        parts.append(f"Rows marked published are quoted from {FEV_PUBLISHED_SOURCE}, NOT measured here (the models "
                     f"trained per task were trained for hours each on accelerators; the foundation models are "
                     f"zero-shot).\n")
    return "\n".join(parts)


def _robustness_scores(curves: pd.DataFrame) -> pd.DataFrame:
    """Per (model, seed): relative robustness and effective robustness against pf-late with the same seed."""
    levels = [float(x) for x in curves.columns]
    records = []
    for (model, seed), values in curves.iterrows():
        record = {"model": model, "seed": seed, "clean": values.iloc[0], "worst": values.iloc[-1],
                  "relative": relative_robustness(levels, values.to_numpy()), "effective": np.nan}
        if (REFERENCE_MODEL, seed) in curves.index:
            reference = curves.loc[(REFERENCE_MODEL, seed)].to_numpy()
            record["effective"] = effective_robustness(levels, values.to_numpy(), reference)
        records.append(record)
    return pd.DataFrame.from_records(records)


def _robustness_section(results: pd.DataFrame, plots: Mapping[tuple[str, str], str]) -> str:
    parts = ["## Robustness to MultiBench noise\n",
             "Test covariates corrupted with MultiBench's white noise + random drop + structured drop at level p "
             "(the target history is not corrupted; scores use the clean target). `relative` = area under the "
             "MSE-vs-p curve (raw, lower = more robust); `effective` = sum over p of (f_p - (g_p + f_0 - g_0)) with "
             "g = `pf-late` of the same seed (raw, lower = more robust, 0 for pf-late itself); `norm.` = MultiBench "
             "min-max normalisation of the negated mean raw score over the models of the table (1 = most robust). "
             "Models that read no covariates (local statistical baselines) are not swept.\n"]
    for dataset, track in _groups(results):
        curves = noise_curves(results, dataset, track)
        if curves.empty:
            continue
        scores = _robustness_scores(curves)
        means = scores.groupby("model")[["relative", "effective"]].mean()
        norm_rel = normalized_robustness(means["relative"])
        norm_eff = (normalized_robustness(means["effective"]) if means["effective"].notna().any()
                    else pd.Series(np.nan, index=means.index))
        levels = [float(x) for x in curves.columns]
        rows = []
        for model in model_order(scores.model):
            s = scores[scores.model == model]
            rows.append([model, _mean_std(s.clean), _mean_std(s.worst), _mean_std(s.relative, 4),
                         _mean_std(s.effective, 4) if s.effective.notna().any() else "n/a (no pf-late)",
                         f"{norm_rel[model]:.3f}",
                         "n/a" if pd.isna(norm_eff.get(model)) else f"{norm_eff[model]:.3f}"])
        parts.append(f"### {dataset} / {track}\n")
        parts.append(f"Levels p = {', '.join(f'{p:g}' for p in levels)}.\n")
        parts.append(markdown_table(["model", "MSE p=0", f"MSE p={levels[-1]:g}", "relative (AUC MSE)", "effective vs pf-late",
                             "norm. relative", "norm. effective"], rows) + "\n")
        if (dataset, track) in plots:
            parts.append(f"![noise curves {dataset} / {track}]({plots[(dataset, track)]})\n")
    return "\n".join(parts)


def _missing_section(results: pd.DataFrame) -> str:
    parts = ["## Missing modalities\n",
             "Each covariate modality removed alone over the whole test period (all its values missing). "
             "`ProgressiveFusionForecaster` receives NaN (it declares `handles_missing_covariates`); the other "
             "models get the run's declared imputation (`impute` in the settings above, the same as in the clean "
             "run; recorded per cell in `cells/*.json`). Cells: MSE with the modality removed (increase over the "
             "clean MSE at the same windows), mean over seeds.\n"]
    missing = results[results.corruption.str.startswith("missing:") & (results.metric == "mse")]
    for dataset, track in _groups(missing):
        sel = missing[(missing.dataset == dataset) & (missing.track == track)]
        modalities = list(dict.fromkeys(c.split(":", 1)[1] for c in sel.corruption))
        rows = []
        for model in model_order(sel.model):
            m = sel[sel.model == model]
            clean = m[m.level == 0.0].groupby("seed").value.mean()
            row = [model, _mean_std(clean)]
            for modality in modalities:
                removed = m[(m.corruption == f"missing:{modality}") & (m.level == 1.0)].groupby("seed").value.mean()
                clean_m = m[(m.corruption == f"missing:{modality}") & (m.level == 0.0)].groupby("seed").value.mean()
                delta = (removed - clean_m).dropna()
                row.append(f"{removed.mean():.3f} ({delta.mean():+.3f})" if removed.size else "—")
            rows.append(row)
        parts.append(f"### {dataset} / {track}\n")
        parts.append(markdown_table(["model", "clean MSE", *[f"without {m}" for m in modalities]], rows) + "\n")
    return "\n".join(parts) if len(parts) > 2 else parts[0] + "\nNo missing-modality sweep in these results.\n"


def _faults_section(results: pd.DataFrame, plots: Mapping[tuple[str, str], str],
                    metas: Sequence[Mapping[str, Any]] = ()) -> str:
    """MSE at each fault's middle severity per model, fault and modality (increase over clean), the imputation
    each model got, and the plots."""
    from pf_forecast.robustness import FAULT_LEVELS, FAULTS, fault_middle_level

    faults = fault_rows(results[results.metric == "mse"])
    if faults.empty:
        return ""
    grids = "; ".join(f"{f} {', '.join(f'{p:g}' for p in FAULT_LEVELS[f])}" for f in FAULTS)
    middles = ", ".join(f"{f} {fault_middle_level(f):g}" for f in FAULTS)
    parts = ["## Stream faults\n",
             "Realistic failures of one covariate stream (modality) at a time over the test period "
             "(`pf_forecast.robustness`): *outage* = contiguous missing blocks (level = expected "
             "fraction of missing steps, geometric lengths with mean 12 steps), *latency* = the stream published "
             "late (level = steps: the last steps before each forecast are missing; a future covariate misses its "
             "whole horizon part), *stuck* = the stream repeats its last value (level = fraction of frozen steps), "
             "*spikes* = isolated values 10 standard deviations off (level = fraction of spiked values). Missing "
             "values reach `ProgressiveFusionForecaster` as NaN; every other model gets them filled by the policy "
             "in the imputation table below: with `fault_impute = best` (the default) the one of zero, mean, "
             "ffill and seasonal (the value 24 h earlier on hourly data) with its lowest MSE at the middle "
             "severity on the validation segment, per fault and stream, the test windows never seen. "
             f"Grids: {grids}. Cells: MSE at the middle severity "
             f"({middles}), with the increase over the clean MSE of the same windows in brackets; mean over "
             "seeds.\n"]
    for dataset, track in _groups(faults):
        sel = faults[(faults.dataset == dataset) & (faults.track == track)]
        columns = [(f, m) for f in FAULTS for m in dict.fromkeys(sel[sel.fault == f].modality)]
        rows = []
        for model in model_order(sel.model):
            m = sel[sel.model == model]
            row = [model, _mean_std(m[m.level == 0.0].groupby("seed").value.mean())]
            for fault, modality in columns:
                cell = m[(m.fault == fault) & (m.modality == modality)]
                hit = cell[np.isclose(cell.level, fault_middle_level(fault))].groupby("seed").value.mean()
                clean = cell[cell.level == 0.0].groupby("seed").value.mean()
                delta = (hit - clean).dropna()
                row.append(f"{hit.mean():.3f} ({delta.mean():+.3f})" if hit.size else "—")
            rows.append(row)
        parts.append(f"### {dataset} / {track}\n")
        parts.append(markdown_table(["model", "clean MSE", *[f"{f} {m}" for f, m in columns]], rows) + "\n")
        chosen = _fault_imputations(metas, dataset, track, columns)
        if chosen:
            parts.append("Imputation per model (the most frequent choice over seeds):\n")
            parts.append(markdown_table(["model", *[f"{f} {m}" for f, m in columns]], chosen) + "\n")
        if (dataset, track) in plots:
            parts.append(f"![stream faults {dataset} / {track}]({plots[(dataset, track)]})\n")
    return "\n".join(parts)


def _fault_imputations(metas: Sequence[Mapping[str, Any]], dataset: str, track: str,
                       columns: Sequence[tuple[str, str]]) -> list[list[str]]:
    """Rows ``[model, policy per (fault, modality)]`` for the models that got their fault gaps imputed."""
    votes: dict[str, dict[tuple[str, str], list[str]]] = {}
    for meta in metas:
        faults = meta.get("faults") or {}
        if meta.get("dataset") != dataset or meta.get("track") != track or faults.get("fault_impute") in (None, "none"):
            continue
        for fault, per_modality in (faults.get("impute") or {}).items():
            for modality, policy in per_modality.items():
                votes.setdefault(meta["model"], {}).setdefault((fault, modality), []).append(policy)
    rows = []
    for model in model_order(votes):
        picked = [max(sorted(set(v)), key=v.count) if (v := votes[model].get(c)) else "—" for c in columns]
        rows.append([model, *picked])
    return rows


def _speed_section(results: pd.DataFrame) -> str:
    parts = ["## Speed\n",
             f"Fit = wall seconds of `fit` (early stopping included); predict = median of single `predict(horizon)` "
             f"calls; throughput = clean test windows per second of `historical_forecasts` (local models: including "
             f"the refit per window). Ratios against `{SPEED_REFERENCE}` pair cells of the same dataset, track and "
             f"seed measured in the same run (> 1 = slower than {SPEED_REFERENCE}).\n"]
    clean = results[results.corruption == "none"]
    for dataset, track in _groups(clean):
        sel = clean[(clean.dataset == dataset) & (clean.track == track)]
        per_cell = sel.groupby(["model", "seed"]).agg(fit=("fit_seconds", "first"), predict=("predict_seconds", "first"),
                                                      params=("n_params", "first"))
        throughput = _per_seed(sel[sel.metric == "hf_windows_per_s"])
        epochs = _per_seed(sel[sel.metric == "epochs_trained"])
        reference = per_cell.loc[SPEED_REFERENCE] if SPEED_REFERENCE in per_cell.index.get_level_values(0) else None
        rows = []
        for model in model_order(per_cell.index.get_level_values(0)):
            cell = per_cell.loc[model]
            fit_ratio = predict_ratio = "n/a"
            if reference is not None:
                common = cell.index.intersection(reference.index)
                if len(common):
                    fit_ratio = _mean_std(cell.loc[common, "fit"] / reference.loc[common, "fit"], 2)
                    predict_ratio = _mean_std(cell.loc[common, "predict"] / reference.loc[common, "predict"], 2)
            rows.append([
                model, _mean_std(cell.fit, 1), _mean_std(cell.predict * 1e3, 1),
                _mean_std(throughput.get(model, pd.Series(dtype=float)), 0),
                "n/a" if cell.params.isna().all() else f"{int(cell.params.iloc[0]):,}",
                _mean_std(epochs.get(model, pd.Series(dtype=float)), 1), fit_ratio, predict_ratio,
            ])
        parts.append(f"### {dataset} / {track}\n")
        parts.append(markdown_table(["model", "fit s", "predict ms", "hf windows/s", "params", "epochs",
                             f"fit / {SPEED_REFERENCE}", f"predict / {SPEED_REFERENCE}"], rows) + "\n")
    return "\n".join(parts)


def _settings_section(metas: Sequence[Mapping[str, Any]]) -> str:
    by_group: dict[str, set[str]] = {}
    for meta in metas:
        by_group.setdefault(json.dumps(meta.get("settings", {}), sort_keys=True), set()).add(
            f"{meta.get('dataset')} / {meta.get('track')}")
    parts = ["## Settings\n"]
    for settings, groups in by_group.items():
        values = json.loads(settings)
        parts.append(f"For {', '.join(sorted(groups))}:\n")
        parts.append("\n".join(f"- `{k}` = {v!r}" for k, v in values.items()) + "\n")
    budgets = sorted({str(json.loads(k).get("max_train_samples")) for k in by_group})
    parts.append(
        "Training windows: " + ("every training window (`max_train_samples` = None), as a user's `fit` gets."
                                if budgets == ["None"] else
                                f"an explicit budget of `max_train_samples` = {', '.join(budgets)} windows per "
                                "series and epoch (darts' `max_samples_per_ts`): these results are capped, not what "
                                "a user's `fit` on every window gets.") + "\n")
    imputes = sorted({str(json.loads(k).get("impute", "zero (before the impute setting)")) for k in by_group})
    parts.append(
        f"Missing covariate values: models that declare `handles_missing_covariates` (pf) receive NaN; every other "
        f"model gets them filled by `impute` = {', '.join(imputes)} (ffill: last observed value carried forward, "
        f"the training-period mean before the first one; mean: the training-period mean; zero: 0 on the scaled "
        f"data), in the clean run and in the noise and missing-modality sweeps alike. Each cell's "
        f"`covariate_nan` in `cells/*.json` says what it got.\n")
    parts.append(
        "`max_train_samples` None = every window; a number caps the training (and validation) windows per epoch "
        "via darts' `max_samples_per_ts`; `train_stride` None = auto: 1 without a cap, else the stride that spreads "
        "the capped windows over the whole training segment. `test_stride` is the stride of the clean test windows (1 = protocol); "
        "`robustness_stride` None = the horizon (non-overlapping windows covering the test segment) for the noise "
        "and missing-modality sweeps. Every neural model: the same epoch cap, `EarlyStopping(\"val_loss\", "
        "patience)` on the task's validation segment with the best epoch's weights restored, Adam, the same batch "
        "size, `random_state=seed`. `linear` is fitted by least squares on all training windows, `lightgbm` on all "
        "training windows with early stopping on the validation segment. Local "
        "statistical models are refit on the history before every test window.\n")
    train_strides = sorted({str(m.get("fit", {}).get("train_stride")) for m in metas if m.get("fit")})
    if train_strides:
        parts.append(f"Training strides used: {', '.join(train_strides)}.\n")
    devices = sorted({str(m["fit"]["device"]) for m in metas if (m.get("fit") or {}).get("device")})
    if devices:
        parts.append(f"Neural models trained on: {', '.join(devices)} (`--accelerator`, `--devices`; where a model "
                     f"trains is not part of its settings, so cells from a CPU and a GPU resume each other).\n")
    return "\n".join(parts)


#: How the recorded ``argv`` names the entry point when it is a path on the machine that ran it.
_TOKEN_START, _TOKEN_END = r"(?<![^\s`'\"])", r"(?![^\s`'\"])"  # a word of a command line, maybe quoted
_ENTRY_POINTS = (
    (re.compile(_TOKEN_START + r"[^\s`'\"]*pf_forecast/__main__\.py" + _TOKEN_END), "python -m pf_forecast"),
    (re.compile(_TOKEN_START + r"/[^\s`'\"]*/bin/pf-forecast" + _TOKEN_END), "pf-forecast"),
)
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~-])/(?:[\w.+@-]+/)+[\w.+@-]*")


def portable_paths(text: str, out: str | os.PathLike) -> str:
    """``text`` without the machine's absolute paths, so that a committed report reads the same anywhere.

    The entry point of a recorded ``argv`` becomes ``python -m pf_forecast`` / ``pf-forecast``; any other absolute
    path becomes relative to the working directory or, failing that, to the output folder's parent; a path under
    neither keeps only its last component.
    """
    for pattern, name in _ENTRY_POINTS:
        text = pattern.sub(name, text)
    bases = (Path.cwd().resolve(), Path(out).resolve().parent)

    def relative(match: re.Match[str]) -> str:
        path = Path(match.group(0))
        for base in bases:
            with contextlib.suppress(ValueError):
                return path.relative_to(base).as_posix() + ("/" if match.group(0).endswith("/") else "")
        return path.name

    return _ABSOLUTE_PATH.sub(relative, text)


def write_report(out: str | os.PathLike, results: pd.DataFrame | None = None) -> Path:
    """Write ``out/report.md`` and ``out/plots/noise_<dataset>__<track>.png`` from the benchmark's results.

    Parameters
    ----------
    out
        Benchmark output folder (holding ``results.csv``, ``cells/`` and ``runs.jsonl``).
    results
        The results frame; read from ``out/results.csv`` when ``None``.

    Returns
    -------
    pathlib.Path
        The report file.
    """
    out = Path(out)
    if results is None:
        results = pd.read_csv(out / RESULTS_FILE)
    results = results.copy()
    results["corruption"] = results["corruption"].astype(str)
    metas = read_cell_meta(out)
    runs = read_runs(out)

    plots: dict[tuple[str, str], str] = {}
    for dataset, track in _groups(results):
        name = f"noise_{dataset}__{track}.png".replace("/", "_")
        if noise_plot(results, dataset, track, out / PLOTS_DIR / name) is not None:
            plots[(dataset, track)] = f"{PLOTS_DIR}/{name}"
    fault_plots: dict[tuple[str, str], str] = {}
    for dataset, track in _groups(results):
        name = f"faults_{dataset}__{track}.png".replace("/", "_")
        if fault_plot(results, dataset, track, out / PLOTS_DIR / name) is not None:
            fault_plots[(dataset, track)] = f"{PLOTS_DIR}/{name}"

    parts = ["# pf_forecast benchmark report\n", f"Generated {time.strftime('%Y-%m-%d %H:%M:%S')}.\n"]
    if runs:
        last = runs[-1]
        parts.append("## Command\n")
        parts.append(f"Latest run (equivalent command with every resolved option):\n\n```\n{last.get('command')}\n```\n")
        parts.append(f"Invoked as: `{last.get('argv')}`\n")
        if len(runs) > 1:
            parts.append("Earlier runs into this folder:\n\n" + "\n".join(
                f"- {r.get('started')}: `{r.get('command')}` ({len(r.get('ran', []))} cells run, "
                f"{len(r.get('skipped', []))} reused)" for r in runs[:-1]) + "\n")
        machine = last.get("machine") or {}
    else:
        machine = machine_info()
    parts.append("## Machine\n")
    parts.append("\n".join(f"- {k}: {v}" for k, v in machine.items()) + "\n")
    if metas:
        parts.append(_settings_section(metas))
    if results.empty:
        parts.append("No finished cell yet.\n")
    else:
        parts.append(_clean_section(results))
        parts.append(_probabilistic_section(results))
        parts.append(_robustness_section(results, plots))
        parts.append(_missing_section(results))
        parts.append(_faults_section(results, fault_plots, metas))
        parts.append(_speed_section(results))
    excluded = {(e["dataset"], e["track"], e["model"]): e["reason"] for r in runs for e in r.get("excluded", [])}
    finished = {meta.get("cell") for meta in metas}
    failed = {k: v for r in runs for k, v in r.get("failed", {}).items() if k not in finished}
    if excluded or failed:
        parts.append("## Left out\n")
        parts.append("\n".join(f"- {d} / {t} / {m}: {reason}" for (d, t, m), reason in sorted(excluded.items())))
        parts.append("\n".join(f"- cell {key} FAILED: {error}" for key, error in sorted(failed.items())) + "\n")
    parts.append("## Notes\n")
    parts.append(
        "- Models that cannot take future covariates (`tcn`, `nhits`) read the future covariates of a `future` / "
        "`oracle` track as past covariates (input window only).\n"
        "- `pf-early` puts every covariate component in one modality (one per source when a task has both past "
        "and future covariates).\n"
        "- Throughput rows are `metric = hf_windows_per_s`; `n_test_windows` and `epochs_trained` are recorded "
        "the same way (corruption `none`).\n"
        "- Raw per-measurement values are in `results.csv`; per-cell settings and facts in `cells/*.json`.\n")
    report = out / REPORT_FILE
    atomic_write_text(report, portable_paths("\n".join(parts), out))
    return report
