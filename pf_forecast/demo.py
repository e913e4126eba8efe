"""The demo behind ``pf-forecast demo``: Beijing PM2.5 with three weather modalities, against two baselines.

Trains a small ProgressiveFusionForecaster on the Beijing PM2.5 training split (modalities weather, wind,
precipitation), forecasts the 2014 test year day by day (24 h ahead from every midnight), and prints its MAE in
µg/m³ beside a seasonal-naive forecast (same hour yesterday) and darts' TiDE trained the same way. Writes a plot of
the forecasts against the actual values.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from darts import TimeSeries
from darts.models import NaiveSeasonal, TiDEModel

from pf_forecast.data import ForecastingTask, load_beijing_pm25
from pf_forecast.model import ProgressiveFusionForecaster

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoSettings:
    """Sizes that keep the demo to a few minutes on two CPU cores."""

    epochs: int = 4
    train_windows: int = 6000  # the most recent training windows used (darts' max_samples_per_ts)
    hidden_size: int = 16
    batch_size: int = 64
    test_stride: int = 24  # one 24-hour forecast per day, issued at midnight
    seed: int = 0


@dataclass
class DemoResult:
    mae: dict[str, float]
    seconds: dict[str, float]
    plot_path: Path


def run_demo(out_dir: str | Path = "demo_out", settings: DemoSettings | None = None, data_dir=None,
             progress: bool = True) -> DemoResult:
    """Train, forecast, score and plot; returns the MAEs (µg/m³) and timings.

    Parameters
    ----------
    out_dir
        Folder for ``forecast.png`` and the model's training logs (created if needed).
    settings
        Training and evaluation sizes; :class:`DemoSettings` defaults when ``None``.
    data_dir
        Where the datasets are (see :func:`pf_forecast.data.find_datasets_dir`).
    progress
        Show Lightning's progress bars.
    """
    settings = settings or DemoSettings()
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"`out_dir` {str(out)!r} is a file; pass a folder path (it is created if needed).")
    out.mkdir(parents=True, exist_ok=True)
    task = load_beijing_pm25(data_dir=data_dir)
    trainer_kwargs = {
        "accelerator": "cpu",
        "enable_progress_bar": progress,
        "enable_model_summary": False,
        "logger": False,
    }
    common = {
        "input_chunk_length": task.input_chunk_length,
        "output_chunk_length": task.horizon,
        "n_epochs": settings.epochs,
        "batch_size": settings.batch_size,
        "random_state": settings.seed,
        "work_dir": str(out / "logs"),
        "pl_trainer_kwargs": trainer_kwargs,
    }
    models = {
        "ProgressiveFusionForecaster": ProgressiveFusionForecaster(
            modalities=task.modalities, hidden_size=settings.hidden_size, **common
        ),
        "TiDE (darts)": TiDEModel(hidden_size=settings.hidden_size * 4, **common),
    }

    mae: dict[str, float] = {}
    seconds: dict[str, float] = {}
    forecasts: dict[str, list[TimeSeries]] = {}
    for name, model in models.items():
        logger.info("Training %s", name)
        start = time.perf_counter()
        model.fit(
            task.train_series(),
            past_covariates=task.past_covariates,
            max_samples_per_ts=settings.train_windows,
            verbose=progress,
        )
        seconds[name] = time.perf_counter() - start
        forecasts[name] = model.historical_forecasts(
            task.series,
            past_covariates=task.past_covariates,
            start=task.test_start,
            forecast_horizon=task.horizon,
            stride=settings.test_stride,
            retrain=False,
            last_points_only=False,
            verbose=False,
        )
        mae[name] = _mae_in_units(task, forecasts[name])

    naive = NaiveSeasonal(K=24)
    forecasts["Seasonal naive (same hour yesterday)"] = naive.historical_forecasts(
        task.series, start=task.test_start, forecast_horizon=task.horizon, stride=settings.test_stride,
        retrain=True, last_points_only=False, verbose=False,
    )
    mae["Seasonal naive (same hour yesterday)"] = _mae_in_units(task, forecasts["Seasonal naive (same hour yesterday)"])
    plot_path = _plot(task, forecasts, out / "forecast.png")
    return DemoResult(mae=mae, seconds=seconds, plot_path=plot_path)


def _mae_in_units(task: ForecastingTask, forecasts: list[TimeSeries]) -> float:
    """MAE in the target's original units (µg/m³) over every forecast window and step."""
    actual = task.inverse_transform(task.series)
    errors = [
        np.abs(task.inverse_transform(f).values() - actual.slice_intersect(f).values()).ravel() for f in forecasts
    ]
    return float(np.concatenate(errors).mean())


def _plot(task: ForecastingTask, forecasts: dict[str, list[TimeSeries]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    days = 14  # the last two weeks of the test year
    fig, ax = plt.subplots(figsize=(12, 4.5))
    actual = task.inverse_transform(task.series)[-days * 24 :]
    actual.plot(ax=ax, label="actual", color="black", linewidth=1.2)
    for (name, windows), color in zip(forecasts.items(), ("tab:red", "tab:blue", "tab:gray")):
        shown = [w for w in windows if w.start_time() >= actual.start_time()]
        for i, window in enumerate(shown):
            task.inverse_transform(window).plot(
                ax=ax, label=name if i == 0 else "_nolegend_", color=color, linewidth=1.0, alpha=0.9
            )
    ax.set_title("Beijing PM2.5: 24-hour forecasts issued at midnight (test year 2014, last two weeks)")
    ax.set_ylabel("PM2.5 (µg/m³)")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def format_result(result: DemoResult) -> str:
    """The demo's printed summary."""
    lines = ["", "Beijing PM2.5, 24-hour forecasts from every midnight of the 2014 test year", ""]
    lines.append(f"{'model':<40} {'MAE (µg/m³)':>12} {'fit (s)':>9}")
    for name, value in result.mae.items():
        fit = result.seconds.get(name)
        lines.append(f"{name:<40} {value:>12.2f} {fit if fit is None else round(fit, 1)!s:>9}")
    lines.append("")
    lines.append(f"Forecast plot: {result.plot_path}")
    return "\n".join(lines)
