"""Plots of a benchmark's results: noise curves and stream-fault curves, saved atomically as PNG."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .models import model_order

__all__ = ["fault_plot", "fault_rows", "noise_curves", "noise_plot", "save_figure_atomically"]


def noise_curves(results: pd.DataFrame, dataset: str, track: str, metric: str = "mse") -> pd.DataFrame:
    """Rows (model, seed), columns levels: the MultiBench curve of each fitted model."""
    sel = results[(results.dataset == dataset) & (results.track == track) & (results.corruption == "multibench")
                  & (results.metric == metric)]
    if sel.empty:
        return pd.DataFrame()
    return sel.pivot_table(index=["model", "seed"], columns="level", values="value", aggfunc="mean").sort_index(axis=1)


def fault_rows(results: pd.DataFrame) -> pd.DataFrame:
    """The stream-fault rows (``fault:<fault>:<modality>``) with ``fault`` and ``modality`` columns added."""
    faults = results[results.corruption.str.startswith("fault:")]
    if faults.empty:
        return faults.assign(fault=pd.Series(dtype=str), modality=pd.Series(dtype=str))
    parts = faults.corruption.str.split(":", n=2, expand=True)
    return faults.assign(fault=parts[1], modality=parts[2])


def noise_plot(results: pd.DataFrame, dataset: str, track: str, path: str | os.PathLike) -> Path | None:
    """Plot MSE against the MultiBench noise level, one line per model (mean, band = ± std over seeds).

    Parameters
    ----------
    results
        ``results.csv`` as a frame.
    dataset, track
        Which curves.
    path
        PNG file to write.

    Returns
    -------
    pathlib.Path or None
        ``path``, or ``None`` when there is no curve to plot.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    curves = noise_curves(results, dataset, track)
    if curves.empty:
        return None
    levels = [float(x) for x in curves.columns]
    figure, axis = plt.subplots(figsize=(6.4, 4.2))
    try:
        for model in model_order(curves.index.get_level_values(0)):
            values = curves.loc[model]
            mean = values.mean(axis=0).to_numpy()
            std = values.std(axis=0, ddof=1).fillna(0.0).to_numpy() if len(values) > 1 else np.zeros_like(mean)
            (line,) = axis.plot(levels, mean, marker="o", markersize=3, label=model)
            axis.fill_between(levels, mean - std, mean + std, color=line.get_color(), alpha=0.15, linewidth=0)
        axis.set_xlabel("MultiBench noise level p (test covariates)")
        axis.set_ylabel("test MSE (standardized)")
        axis.set_title(f"{dataset} / {track}")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8, ncol=2)
        figure.tight_layout()
        save_figure_atomically(figure, path, dpi=110)
    finally:
        plt.close(figure)
    return Path(path)


def fault_plot(results: pd.DataFrame, dataset: str, track: str, path: str | os.PathLike) -> Path | None:
    """Plot MSE against each stream fault's severity: one panel per fault, one line per model.

    Each line is the mean over the task's modalities (each corrupted alone) and seeds.

    Parameters
    ----------
    results
        ``results.csv`` as a frame.
    dataset, track
        Which curves.
    path
        PNG file to write.

    Returns
    -------
    pathlib.Path or None
        ``path``, or ``None`` when there is no fault sweep to plot.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from pf_forecast.robustness import FAULTS

    faults = fault_rows(results[(results.dataset == dataset) & (results.track == track) & (results.metric == "mse")])
    if faults.empty:
        return None
    shown = [f for f in FAULTS if (faults.fault == f).any()]
    units = {"latency": "steps published late", "spikes": "fraction of values spiked"}
    figure, axes = plt.subplots(1, len(shown), figsize=(3.2 * len(shown), 3.4), sharey=True, squeeze=False)
    try:
        for axis, fault in zip(axes[0], shown):
            sel = faults[faults.fault == fault]
            for model in model_order(sel.model):
                # (seed, level) -> mean over modalities, then mean over seeds
                curve = sel[sel.model == model].groupby(["seed", "level"]).value.mean().groupby("level").mean()
                axis.plot(curve.index.to_numpy(dtype=float), curve.to_numpy(), marker="o", markersize=3, label=model)
            axis.set_title(fault)
            axis.set_xlabel(units.get(fault, "fraction of steps affected"))
            axis.grid(alpha=0.3)
        axes[0][0].set_ylabel("test MSE (standardized)")
        axes[0][-1].legend(fontsize=7)
        figure.suptitle(f"{dataset} / {track}: stream faults (mean over modalities)", fontsize=10)
        figure.tight_layout()
        save_figure_atomically(figure, path, dpi=100)
    finally:
        plt.close(figure)
    return Path(path)


def save_figure_atomically(figure: Any, path: str | os.PathLike, dpi: int = 100) -> Path:
    """Save a matplotlib figure as PNG through a temporary file and ``os.replace`` (no half-written plot).

    Parameters
    ----------
    figure
        A matplotlib ``Figure``.
    path
        Destination PNG; its folder is created if needed.
    dpi
        Resolution.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    figure.savefig(tmp, dpi=dpi)
    os.replace(tmp, path)
    return path
