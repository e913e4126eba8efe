"""One short GPU check: ProgressiveFusionForecaster vs darts' TiDE on EPF NP (TimeXer protocol), trained side by side
on CUDA with the same settings; prints JSON lines (per-epoch seconds, predict latency, hist-fc throughput, test MSE).

Run on a CUDA machine from the repository root: ``python benchmarks/gpu/gpu_check.py``.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import warnings

import numpy as np
import pytorch_lightning as pl
import torch
from darts.metrics import mse
from darts.models import TiDEModel

from pf_forecast import ProgressiveFusionForecaster
from pf_forecast.data import load_epf


class EpochTimer(pl.Callback):
    def __init__(self):
        self.times = []

    def on_train_epoch_start(self, trainer, module):
        torch.cuda.synchronize()
        self.start = time.perf_counter()

    def on_train_epoch_end(self, trainer, module):
        torch.cuda.synchronize()
        self.times.append(time.perf_counter() - self.start)


def main(epochs: int = 3, batch_size: int = 256) -> None:
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    task = load_epf("NP")
    for name in ("pf", "tide", "pf", "tide"):  # alternate, keep the second round
        timer = EpochTimer()
        common = dict(input_chunk_length=task.input_chunk_length, output_chunk_length=task.horizon, n_epochs=epochs,
                      batch_size=batch_size, random_state=0,
                      pl_trainer_kwargs={"accelerator": "gpu", "devices": 1, "enable_progress_bar": False,
                                         "enable_model_summary": False, "logger": False, "callbacks": [timer]})
        model = (ProgressiveFusionForecaster(modalities=task.modalities, **common) if name == "pf"
                 else TiDEModel(**common))
        start = time.perf_counter()
        model.fit(task.train_series(), past_covariates=task.past_covariates, dataloader_kwargs={"pin_memory": True})
        fit_s = time.perf_counter() - start
        latencies = []
        for _ in range(5):
            t = time.perf_counter()
            pred = model.predict(task.horizon, series=task.series[: task.test_start],
                                 past_covariates=task.past_covariates, verbose=False)
            latencies.append(time.perf_counter() - t)
        t = time.perf_counter()
        hf = model.historical_forecasts(task.series, past_covariates=task.past_covariates, start=task.test_start,
                                        forecast_horizon=task.horizon, stride=1, retrain=False,
                                        last_points_only=False, verbose=False, predict_kwargs={"batch_size": 1024})
        hf_s = time.perf_counter() - t
        scores = [mse(task.series.slice_intersect(f), f) for f in hf]
        print(json.dumps({"model": name, "device": torch.cuda.get_device_name(0), "fit_s": round(fit_s, 2),
                          "epoch_s": [round(x, 2) for x in timer.times], "predict_ms": round(1e3 * float(np.median(latencies)), 1),
                          "hf_windows_per_s": round(len(hf) / hf_s, 1), "test_mse": round(float(np.mean(scores)), 4),
                          "finite": bool(np.isfinite(pred.values()).all())}), flush=True)


if __name__ == "__main__":
    main(*map(int, sys.argv[1:]))
