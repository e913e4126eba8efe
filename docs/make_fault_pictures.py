"""Draw the pictures of docs/faults.md: each stream fault applied to real covariates (EPF Nord Pool).

Run from the repository root (it writes ``docs/img/faults_*.png``)::

    python docs/make_fault_pictures.py

The data are the two exogenous day-ahead forecasts of the EPF NP market (grid load and wind power, standardized
as the loader does), five days from the start of the test period. Every fault uses a fixed seed, so the pictures
are reproducible (over five days the share of affected steps varies a lot from seed to seed; this one shows
about the level). The severities are a little above the middle of each default grid so that a few days show them.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pf_forecast.data import load_epf  # noqa: E402
from pf_forecast.robustness import Latency, Outage, Spikes, Stuck  # noqa: E402

OUT = Path(__file__).resolve().parent / "img"
DAYS = 5
SEED = 11
DPI = 80


def _covariates():
    task = load_epf("NP")
    covs = task.past_covariates
    start = covs.get_index_at_point(task.test_start)
    return covs[start:start + 24 * DAYS]  # five days, hourly


def _shade(axis, times, mask, color):
    """Shade the runs of True in ``mask`` (the affected steps)."""
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    step = times[1] - times[0]
    for begin, end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
        axis.axvspan(times[begin] - step / 2, times[end - 1] + step / 2, color=color, alpha=0.15, linewidth=0)


def _level_fault(covs, fault, title, path):
    """One panel per component: the clean series in grey, the corrupted one in colour, affected steps shaded."""
    out = fault.apply(covs, np.random.default_rng(SEED))
    times = covs.time_index
    figure, axes = plt.subplots(covs.n_components, 1, figsize=(8, 3.6), sharex=True)
    for axis, name in zip(axes, covs.components):
        clean, bad = covs[name].values().ravel(), out[name].values().ravel()
        affected = ~((clean == bad) | (np.isnan(clean) & np.isnan(bad)))
        _shade(axis, times, affected, "tab:red")
        axis.plot(times, clean, color="0.6", linewidth=1.0, label="clean")
        axis.plot(times, bad, color="tab:red", linewidth=1.2, label="corrupted")
        axis.set_ylabel(name.replace(" forecast", ""), fontsize=8)
        axis.tick_params(labelsize=7)
        axis.grid(alpha=0.3)
    axes[0].legend(fontsize=7, loc="upper right", ncol=2)
    axes[0].set_title(title, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=DPI)
    plt.close(figure)


def _latency(covs, steps, path, input_length=72, horizon=24):
    """One forecast window: a past covariate misses its last steps, a future one its horizon part."""
    point_position = input_length + 12
    window = covs[point_position - input_length:point_position + horizon]
    point = covs.time_index[point_position]
    times = window.time_index
    grid, wind = covs.components
    figure, axes = plt.subplots(2, 1, figsize=(8, 3.6), sharex=True)
    for axis, name, role in ((axes[0], grid, "past"), (axes[1], wind, "future")):
        late = Latency(steps).apply_window(window[name], point, role=role)
        clean, bad = window[name].values().ravel(), late.values().ravel()
        _shade(axis, times, np.isnan(bad), "tab:red")
        axis.plot(times, clean, color="0.6", linewidth=1.0, label="clean")
        axis.plot(times, bad, color="tab:blue", linewidth=1.2, label="as seen at forecast time")
        axis.axvline(point, color="black", linewidth=0.8, linestyle="--")
        what = f"past covariate: last {steps} steps missing" if role == "past" else "future covariate: horizon missing"
        axis.set_ylabel(name.replace(" forecast", ""), fontsize=8)
        axis.set_title(what, fontsize=8, loc="left")
        axis.tick_params(labelsize=7)
        axis.grid(alpha=0.3)
    axes[0].legend(fontsize=7, loc="upper left", ncol=2)
    figure.suptitle(f"Latency({steps}): one forecast window, input {input_length} h, horizon {horizon} h "
                    "(dashed: forecast point)", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=DPI)
    plt.close(figure)


def main() -> None:
    """Write the four pictures."""
    OUT.mkdir(parents=True, exist_ok=True)
    covs = _covariates()
    _level_fault(covs, Outage(0.2, duration=12), "Outage(0.2, duration=12): 20% of the steps missing, "
                 "blocks of 12 h on average", OUT / "faults_outage.png")
    _level_fault(covs, Stuck(0.2, duration=12), "Stuck(0.2, duration=12): the feed repeats its last value "
                 "for 20% of the steps", OUT / "faults_stuck.png")
    _level_fault(covs, Spikes(0.02, scale=10.0), "Spikes(0.02, scale=10): 2% of the values 10 standard "
                 "deviations off", OUT / "faults_spikes.png")
    _latency(covs, 6, OUT / "faults_latency.png")
    for path in sorted(OUT.glob("faults_*.png")):
        print(f"{path.relative_to(OUT.parent.parent)}: {path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
