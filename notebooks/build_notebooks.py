"""Write the example notebooks from the Python sources in this file, and optionally execute them.

The notebooks are generated, never edited by hand: their cells live below as plain text in the "percent" format
(``# %%`` starts a code cell, ``# %% [markdown]`` a markdown cell), so a review reads them as code. Run from
anywhere (paths are resolved from this file)::

    python notebooks/build_notebooks.py                   # write notebooks/*.ipynb from the sources, without outputs
    python notebooks/build_notebooks.py --execute         # write them and run them in FULL mode, saving the outputs
                                                          # and plots into notebooks/*.ipynb (what is committed)
    python notebooks/build_notebooks.py --execute 02 03   # only some notebooks (any prefix of the names)
    python notebooks/build_notebooks.py --execute --quick # smoke run (PF_QUICK=1); executed copies go to a temp
                                                          # folder (or --out DIR), the committed notebooks are untouched
    python notebooks/build_notebooks.py --check           # exit 1 when a committed notebook's cells differ from here

After changing the model's defaults, rerun ``--execute`` to refresh the committed outputs (each notebook takes a few
minutes on two CPU cores; the script prints the time of each). Every notebook reads the environment variable
``PF_QUICK``: ``PF_QUICK=1`` shrinks epochs, training windows, evaluation stride, noise levels and seeds so that a
notebook runs in about a minute; ``tests/test_notebooks.py`` executes them that way.

Execution details: the kernel runs in a fresh temporary working directory (nothing is written into the
repository), with ``PYTHONPATH`` pointing at this checkout (so it runs without ``pip install -e .``) and without
``MPLBACKEND`` (so inline plots are captured even when the caller set ``MPLBACKEND=Agg``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
KERNEL_NAME = "python3"
#: Per-cell timeout in seconds, by mode.
CELL_TIMEOUT = {"quick": 600, "full": 1800}

# ---------------------------------------------------------------------------------------------------------------
# The set-up cell shared by every notebook (inserted where a source says %SETUP%)
# ---------------------------------------------------------------------------------------------------------------
SETUP = r'''
import logging
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

# PF_QUICK=1: a smoke run with tiny budgets (about a minute). Unset: the real settings (a few minutes).
QUICK = os.environ.get("PF_QUICK") == "1"

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

torch.set_num_threads(1)  # one thread is the fastest for these small models on a busy 2-core machine

try:
    import pf_forecast
except ImportError:  # a source checkout without `pip install -e .`: use the checkout this notebook lives in
    _root = next((p for p in (Path.cwd(), *Path.cwd().parents) if (p / "pf_forecast" / "__init__.py").is_file()), None)
    if _root is None:
        raise ImportError("pf_forecast is not installed: run `pip install -e .` in the repository root.") from None
    sys.path.insert(0, str(_root))
    import pf_forecast

import darts
import pytorch_lightning  # noqa: F401  Lightning sets its loggers to INFO on import: quiet them afterwards

for _name in ("pytorch_lightning", "lightning.pytorch", "lightning_fabric"):
    logging.getLogger(_name).setLevel(logging.WARNING)
logging.getLogger("darts.models.forecasting.tide_model").setLevel(logging.ERROR)  # "feature expansion" notice
for _message in (".*pin_memory.*", ".*does not have many workers.*", ".*LeafSpec.*"):
    warnings.filterwarnings("ignore", message=_message)

WORK_DIR = Path(tempfile.mkdtemp(prefix="pf_forecast_notebook_"))  # darts' work_dir: nothing lands in the repo
TRAINER = {"accelerator": "cpu", "enable_progress_bar": False, "enable_model_summary": False, "logger": False}
plt.rcParams.update({"figure.figsize": (10, 4), "figure.dpi": 90, "axes.grid": True, "grid.alpha": 0.3})
print(f"pf_forecast {pf_forecast.__version__} | darts {darts.__version__} | torch {torch.__version__} | "
      f"{'QUICK smoke run (PF_QUICK=1)' if QUICK else 'full run'}")
'''

# ---------------------------------------------------------------------------------------------------------------
# 01 quickstart: Beijing PM2.5
# ---------------------------------------------------------------------------------------------------------------
NB01 = r'''
# %% [markdown]
# # Quickstart: a multimodal forecast of Beijing PM2.5
#
# `ProgressiveFusionForecaster` is a darts model: it takes the same `TimeSeries`, `fit` / `predict` /
# `historical_forecasts` / `backtest` / `save` / `load` calls as darts' `TiDEModel`. What it adds is the notion of
# **modalities**: named groups of covariate components (weather, wind, precipitation...), each with its own encoder,
# fused and refined together.
#
# This notebook: load a real dataset, declare modalities, fit, forecast in µg/m³, backtest against darts' TiDE on
# the same split, and save / load the model.

# %%
%SETUP%

# %% [markdown]
# **Budgets.** Full mode trains each model for a few epochs on the most recent training windows; `PF_QUICK=1`
# shrinks everything to a smoke test (the numbers are then meaningless).

# %%
EPOCHS = 1 if QUICK else 6
TRAIN_WINDOWS = 300 if QUICK else 8_000  # most recent training windows per epoch (darts' max_samples_per_ts)
TEST_STRIDE = 24 * 14 if QUICK else 24  # one 24-hour forecast per test day, issued at midnight
SEED = 0

# %% [markdown]
# ## 1. Load the data
#
# `load_beijing_pm25()` returns a `ForecastingTask`: the scaled target, its covariates, their grouping into
# modalities, the chronological 70 / 10 / 20 split and the protocol in words.

# %%
from pf_forecast.data import load_beijing_pm25

task = load_beijing_pm25()
val_row, test_row = task.split_index()
print(task.protocol)
print(f"\ntarget {task.series.components.tolist()}: {len(task.series)} hours; train {val_row}, "
      f"validation {test_row - val_row}, test {len(task.series) - test_row} (from {task.test_start:%Y-%m-%d})")

# %% [markdown]
# ## 2. Modalities
#
# The task already groups its 9 covariate components into three streams. The target history is always an extra
# modality, `"target"`.

# %%
task.modalities

# %% [markdown]
# Your own grouping is a plain dict `{modality name: [component names]}`, passed as `modalities=`;
# `modalities=None` means one modality per component. `resolve_modalities` shows (and checks) the layout a model
# will use, exactly as `fit` resolves it. If your streams are separate series, `stack_modalities` stacks them into
# one covariate series and writes the dict for you:

# %%
from pf_forecast import resolve_modalities, stack_modalities

covariates = task.past_covariates
my_modalities = {  # a finer grouping: temperature and pressure apart
    "temperature": ["TEMP", "DEWP"],
    "pressure": ["PRES"],
    "wind": ["Iws", "cbwd_NE", "cbwd_NW", "cbwd_SE", "cbwd_cv"],
    "precipitation": ["Is", "Ir"],
}
resolved = resolve_modalities(my_modalities, list(task.series.components), list(covariates.components), None)
print("my_modalities resolve to:", {name: m.components for name, m in resolved.items()})

streams = {name: covariates[components] for name, components in task.modalities.items()}
stacked, mapping = stack_modalities(streams)  # e.g. weather, wind and precipitation from three sources
print("stack_modalities ->", mapping)
print("same covariates as the task:", stacked.components.tolist() == covariates.components.tolist())

# %% [markdown]
# ## 3. Fit
#
# Everything darts' torch models accept works here (`n_epochs`, `batch_size`, `random_state`, `likelihood`,
# `pl_trainer_kwargs`, ...). `task.fit_kwargs()` hands over the training series, the validation series and the
# covariates.

# %%
from pf_forecast import ProgressiveFusionForecaster

model = ProgressiveFusionForecaster(
    input_chunk_length=task.input_chunk_length,  # 168 hours of history
    output_chunk_length=task.horizon,  # 24 hours ahead
    modalities=task.modalities,
    n_epochs=EPOCHS,
    random_state=SEED,
    work_dir=str(WORK_DIR),
    pl_trainer_kwargs=TRAINER,
)
start = time.perf_counter()
model.fit(**task.fit_kwargs(), max_samples_per_ts=TRAIN_WINDOWS, verbose=False)
print(f"trained in {time.perf_counter() - start:.0f} s; parameters: "
      f"{sum(p.numel() for p in model.model.parameters()):,}")

# %% [markdown]
# After `fit`, `model.modalities_` shows how the names were resolved: each modality's source and components, in the
# order the network reads them (`"target"` first).

# %%
pd.DataFrame(
    [(name, m.source, ", ".join(m.components)) for name, m in model.modalities_.items()],
    columns=["modality", "source", "components"],
).set_index("modality")

# %% [markdown]
# ## 4. Forecast the next 24 hours
#
# `predict` continues the series it is given: here the history up to the first test hour. The forecast is scaled
# like the training data; `task.inverse_transform` brings it back to µg/m³. (Nothing constrains the output to be
# non-negative; for a strictly positive quantity, forecasting e.g. log(1 + PM2.5) is the usual remedy.)

# %%
history = task.series[:test_row]
forecast = model.predict(task.horizon, series=history, past_covariates=task.past_covariates)

actual = task.inverse_transform(task.series[test_row - 72 : test_row + task.horizon])
fig, ax = plt.subplots()
actual.plot(ax=ax, label="actual", color="black", linewidth=1.2)
task.inverse_transform(forecast).plot(ax=ax, label="forecast (next 24 h)", color="tab:red", linewidth=1.5)
ax.axvline(forecast.start_time(), color="gray", linestyle="--", linewidth=1)
ax.set_title(f"Beijing PM2.5: 24-hour forecast issued {forecast.start_time():%Y-%m-%d %H:%M}")
ax.set_ylabel("PM2.5 (µg/m³)")
ax.set_xlabel("")
ax.legend(loc="upper left");

# %% [markdown]
# ## 5. Backtest against darts' TiDE
#
# TiDE gets the same split, covariates, epochs and training windows (its own default architecture). Both forecast
# 24 hours from every midnight of the test year without refitting (`historical_forecasts(retrain=False)`);
# `backtest` scores those windows. A seasonal-naive forecast (the same hour yesterday) sets the floor.

# %%
from darts.metrics import mae, rmse
from darts.models import NaiveSeasonal, TiDEModel

tide = TiDEModel(
    input_chunk_length=task.input_chunk_length,
    output_chunk_length=task.horizon,
    n_epochs=EPOCHS,
    random_state=SEED,
    work_dir=str(WORK_DIR),
    pl_trainer_kwargs=TRAINER,
)
start = time.perf_counter()
tide.fit(**task.fit_kwargs(), max_samples_per_ts=TRAIN_WINDOWS, verbose=False)
print(f"TiDE trained in {time.perf_counter() - start:.0f} s")

# %%
window_kwargs = dict(start=task.test_start, forecast_horizon=task.horizon, stride=TEST_STRIDE,
                     last_points_only=False, verbose=False)
candidates = {
    "ProgressiveFusionForecaster": model,
    "TiDEModel (darts)": tide,
    "seasonal naive (same hour yesterday)": NaiveSeasonal(K=24),
}
forecasts = {
    "ProgressiveFusionForecaster": model.historical_forecasts(
        task.series, past_covariates=task.past_covariates, retrain=False, **window_kwargs),
    "TiDEModel (darts)": tide.historical_forecasts(
        task.series, past_covariates=task.past_covariates, retrain=False, **window_kwargs),
    "seasonal naive (same hour yesterday)": candidates["seasonal naive (same hour yesterday)"].historical_forecasts(
        task.series, retrain=True, **window_kwargs),
}
actual_units = task.inverse_transform(task.series)
rows = {}
for name, windows in forecasts.items():
    scaled_mae = candidates[name].backtest(task.series, historical_forecasts=windows, metric=mae)
    unit_mae, unit_rmse = candidates[name].backtest(
        actual_units, historical_forecasts=[task.inverse_transform(w) for w in windows], metric=[mae, rmse])
    rows[name] = {"MAE (µg/m³)": unit_mae, "RMSE (µg/m³)": unit_rmse, "MAE (scaled)": scaled_mae}
scores = pd.DataFrame(rows).T.astype(float)
print(f"{len(forecasts['ProgressiveFusionForecaster'])} test windows of {task.horizon} h")
scores.round(3)

# %%
best = scores["MAE (µg/m³)"].idxmin()
pf_mae, tide_mae = scores.loc["ProgressiveFusionForecaster", "MAE (µg/m³)"], scores.loc["TiDEModel (darts)", "MAE (µg/m³)"]
print(f"Lowest MAE: {best}. ProgressiveFusionForecaster vs TiDE: {pf_mae:.1f} vs {tide_mae:.1f} µg/m³ "
      f"({(pf_mae - tide_mae) / tide_mae:+.1%}).")

# %% [markdown]
# Two weeks of those daily forecasts against what happened:

# %%
days = 14
shown_start = forecasts["ProgressiveFusionForecaster"][0].start_time()
fig, ax = plt.subplots(figsize=(12, 4.5))
task.inverse_transform(task.series.slice(shown_start, shown_start + pd.Timedelta(hours=24 * days - 1))).plot(
    ax=ax, label="actual", color="black", linewidth=1.2)
for (name, windows), color in zip(forecasts.items(), ("tab:red", "tab:blue", "tab:gray")):
    for i, window in enumerate([w for w in windows if w.start_time() < shown_start + pd.Timedelta(days=days)]):
        task.inverse_transform(window).plot(ax=ax, label=name if i == 0 else "_nolegend_", color=color,
                                            linewidth=1.0, alpha=0.9)
ax.set_title(f"Beijing PM2.5: 24-hour forecasts issued at midnight, first {days} days of the test period")
ax.set_ylabel("PM2.5 (µg/m³)")
ax.set_xlabel("")
ax.legend(loc="upper left");

# %% [markdown]
# ## 6. Save and load
#
# `save` writes the model and its weights; `ProgressiveFusionForecaster.load` restores it (modalities included),
# and the restored model forecasts exactly the same values.

# %%
path = WORK_DIR / "pf_beijing.pt"
model.save(str(path))
restored = ProgressiveFusionForecaster.load(str(path))
again = restored.predict(task.horizon, series=history, past_covariates=task.past_covariates)
identical = np.array_equal(again.values(), forecast.values())
print(f"identical predictions after save / load: {identical}")
print("restored modalities:", {name: list(m.components) for name, m in restored.modalities_.items()})
assert identical

# %% [markdown]
# ## Next
#
# - `02_robustness.ipynb`: what noisy or missing covariate streams do to the forecasts, and how to measure it.
# - `03_paper_replication.ipynb`: the Progressive Fusion paper's claims, checked on the stocks task.
# - `04_your_data.ipynb`: from a CSV of your own to a benchmark report.
'''

# ---------------------------------------------------------------------------------------------------------------
# 02 robustness: EPF NP
# ---------------------------------------------------------------------------------------------------------------
NB02 = r'''
# %% [markdown]
# # Robustness: noisy and missing covariate streams (EPF, Nord Pool)
#
# Day-ahead electricity prices (EPF benchmark, market NP) with two covariate streams: the day-ahead grid-load
# forecast and the wind-power forecast. Real streams get noisy or go missing; this notebook measures what that does
# to three models trained the same way:
#
# - **progressive fusion**: `ProgressiveFusionForecaster` with its defaults (fused context fed back for
#   `n_refinements` steps);
# - **late fusion**: the same model with `n_refinements=1` (no feedback), the paper's ablation;
# - **TiDE**: darts' `TiDEModel`, which cannot take NaN inputs, so missing values are imputed by a declared policy.
#
# Two sweeps from `pf_forecast.robustness.evaluate_robustness`: the **MultiBench noise protocol** (white noise, then
# random drops, then whole-step drops, each at level p = 0.0 ... 0.8) and the **missing-modality sweep** (a stream
# entirely absent over the test inputs). Last, the effect of training with `modality_dropout`.

# %%
%SETUP%

# %%
from pf_forecast.robustness import MULTIBENCH_LEVELS

EPOCHS = 1 if QUICK else 8
TRAIN_WINDOWS = 300 if QUICK else 12_000  # most recent training windows per epoch
TEST_STRIDE = 24 * 30 if QUICK else 1  # clean metrics: stride 1 is the TimeXer protocol (every test window)
SWEEP_STRIDE = 24 * 30 if QUICK else 24  # robustness sweeps: one forecast per test day
LEVELS = (0.0, 0.4, 0.8) if QUICK else MULTIBENCH_LEVELS
N_REPEATS = 1 if QUICK else 3  # independent noise draws per level
SEED = 0

# %% [markdown]
# ## 1. Data and models
#
# `load_epf("NP")` applies the TimeXer protocol: 168 h of input, 24 h ahead, a 70 / 10 / 20 split by rows, all
# columns standardised on the training rows, the two exogenous columns as past covariates (one modality each).

# %%
from pf_forecast.data import load_epf

task = load_epf("NP")
covariate_names = list(task.past_covariates.components)
print(task.protocol)
task.modalities

# %%
import inspect

from darts.models import TiDEModel

from pf_forecast import ProgressiveFusionForecaster


def make_model(kind, seed=SEED, **overrides):
    """One of the compared models, with the same training budget."""
    common = dict(input_chunk_length=task.input_chunk_length, output_chunk_length=task.horizon, n_epochs=EPOCHS,
                  random_state=seed, work_dir=str(WORK_DIR), pl_trainer_kwargs=TRAINER)
    if kind == "tide":
        return TiDEModel(**common)
    return ProgressiveFusionForecaster(modalities=task.modalities, **common, **overrides)


DEFAULTS = {name: p.default for name, p in inspect.signature(ProgressiveFusionForecaster.__init__).parameters.items()}
PROGRESSIVE = f"progressive (R={DEFAULTS['n_refinements']})"
LATE, TIDE = "late fusion (R=1)", "TiDE"
models = {PROGRESSIVE: make_model("pf"), LATE: make_model("pf", n_refinements=1), TIDE: make_model("tide")}
fit_seconds = {}
for name, model in models.items():
    start = time.perf_counter()
    model.fit(**task.fit_kwargs(), max_samples_per_ts=TRAIN_WINDOWS, verbose=False)
    fit_seconds[name] = time.perf_counter() - start
    print(f"{name:<22} trained in {fit_seconds[name]:5.0f} s")

# %% [markdown]
# ## 2. Clean accuracy
#
# Standardised MSE and MAE over the test windows (in full mode every window, stride 1, as TimeXer reports).
# Published numbers for NP with far larger training budgets, for scale: TimeXer 0.236 / 0.268, DLinear 0.309 /
# 0.321, TiDE 0.335 / 0.340 (MSE / MAE).

# %%
from darts.metrics import mae, mse

clean = {}
for name, model in models.items():
    windows = model.historical_forecasts(task.series, past_covariates=task.past_covariates, start=task.test_start,
                                         forecast_horizon=task.horizon, stride=TEST_STRIDE, retrain=False,
                                         last_points_only=False, verbose=False)
    clean[name] = dict(zip(["MSE", "MAE"], model.backtest(task.series, historical_forecasts=windows,
                                                         metric=[mse, mae])))
    clean[name]["fit (s)"] = fit_seconds[name]
print(f"{len(windows)} test windows")
pd.DataFrame(clean).T.astype(float).round(3)

# %% [markdown]
# ## 3. The MultiBench noise sweep
#
# At each level p the test inputs get white noise N(0, p²) (one draw per time step), then each value is zeroed with
# probability p, then each whole time step with probability p. The curves: each covariate stream alone, both
# together, and every input including the price history (MultiBench corrupts every input modality). Forecasts are
# always scored against the clean prices. `N_REPEATS` noise draws per level, the same draws for every model.

# %%
from pf_forecast.robustness import evaluate_robustness

target_name = task.series.components[0]
NOISE_CURVES = {**task.modalities, "both covariates": covariate_names,
                "all inputs (with price history)": [*covariate_names, target_name]}
sweep_kwargs = dict(past_covariates=task.past_covariates, forecast_horizon=task.horizon, start=task.test_start,
                    stride=SWEEP_STRIDE, seed=SEED)
start = time.perf_counter()
noise = {
    name: evaluate_robustness(model, task.series, corruption="multibench", levels=LEVELS, modalities=NOISE_CURVES,
                              n_repeats=N_REPEATS, corrupt_target=True, **sweep_kwargs)
    for name, model in models.items()
}
print(f"noise sweeps: {time.perf_counter() - start:.0f} s; {noise[PROGRESSIVE].metadata['n_windows']} windows, "
      f"levels {list(LEVELS)}, {N_REPEATS} draw(s) per level")
noise[PROGRESSIVE]

# %% [markdown]
# `report.plot()` draws one model's curves (the band spans the noise draws):

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), sharey=True)
for ax, (name, report) in zip(axes, noise.items()):
    report.plot("mse", ax=ax)
    ax.set_title(name)
    ax.set_xlabel("MultiBench noise level p")
    ax.set_ylabel("test MSE (standardised price)")
fig.suptitle("EPF NP: MSE under MultiBench noise, by corrupted input")
fig.tight_layout()

# %% [markdown]
# The same curves side by side per model, for the two joint corruptions:

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
for ax, curve in zip(axes, ["both covariates", "all inputs (with price history)"]):
    for name, report in noise.items():
        means = report.mean_curves("mse")[("multibench", curve)]
        ax.plot(means.index, means.values, marker="o", label=name)
    ax.set_title(f"corrupted: {curve}")
    ax.set_xlabel("MultiBench noise level p")
    ax.set_ylabel("test MSE (standardised price)")
    ax.legend()
fig.suptitle("EPF NP: progressive vs late fusion vs TiDE under noise")
fig.tight_layout()

# %% [markdown]
# ## 4. Robustness scores
#
# - **relative robustness**: the area under the MSE-vs-p curve (trapezoid); lower is better. It mixes accuracy and
#   robustness: a model with a lower clean MSE scores better even if it degrades as fast.
# - **effective robustness** against late fusion: Σ_p (f_p − (g_p + f_0 − g_0)), the excess MSE over the late-fusion
#   curve shifted to the same clean MSE. Negative: degrades *less* than late fusion. Late fusion scores 0 by
#   definition.
# - **normalised robustness** (MultiBench): relative robustness negated and min-max scaled across the compared
#   models; 1 is the most robust, 0 the least.

# %%
from pf_forecast.robustness import normalized_robustness

relative = pd.DataFrame({name: report.relative_robustness("mse") for name, report in noise.items()})
effective = pd.DataFrame({name: report.effective_robustness(noise[LATE], "mse") for name, report in noise.items()})
normalised = relative.apply(normalized_robustness, axis=1)
scores = pd.concat({"relative (area, lower is better)": relative.T, "effective vs late (lower is better)": effective.T,
                    "normalised (1 = best)": normalised.T}, names=["score", "model"])
scores.droplevel("corruption", axis=1)[list(NOISE_CURVES)].round(4)

# %%
for curve in ["both covariates", "all inputs (with price history)"]:
    prog, late = relative.loc[("multibench", curve), PROGRESSIVE], relative.loc[("multibench", curve), LATE]
    eff = effective.loc[("multibench", curve), PROGRESSIVE]
    print(f"{curve}: progressive fusion's area under the MSE curve is {(prog - late) / late:+.1%} vs late fusion; "
          f"effective robustness {eff:+.4f} ({'degrades less' if eff < 0 else 'degrades more'} than late fusion)")

# %% [markdown]
# ## 5. Missing modalities
#
# A stream may be absent altogether (a feed is down). `corruption="missing"` makes a modality entirely NaN over the
# test inputs. `ProgressiveFusionForecaster` takes NaN as "missing" (it masks the stream and substitutes a learned
# embedding); TiDE cannot, so its NaN are imputed with the declared policy (`impute`, default `"zero"`: the
# training mean after standardisation).

# %%
MISSING_CURVES = {**task.modalities, "both covariates": covariate_names}
missing = {
    name: evaluate_robustness(model, task.series, corruption="missing", modalities=MISSING_CURVES, **sweep_kwargs)
    for name, model in models.items()
}
print({name: report.metadata["impute"] for name, report in missing.items()})
mse_missing = pd.DataFrame({
    name: {"clean": report.mean_curves("mse").iloc[0, 0],
           **{f"without {curve}": report.mean_curves("mse").loc[1.0, ("missing", curve)] for curve in MISSING_CURVES}}
    for name, report in missing.items()
}).T
mse_missing.round(4)

# %%
increase = mse_missing.drop(columns="clean").div(mse_missing["clean"], axis=0) - 1
ax = (100 * increase).T.plot.bar(figsize=(9, 4), rot=0)
ax.set_title("EPF NP: MSE increase when a covariate stream is missing over the test inputs")
ax.set_ylabel("MSE increase over clean (%)")
ax.axhline(0, color="black", linewidth=0.8);

# %% [markdown]
# ## 6. Does `modality_dropout` help when a stream goes missing?
#
# `modality_dropout` hides each covariate modality of a training sample with that probability, so the model learns
# to forecast without it. Train the progressive model with `modality_dropout=0` and with the default, on
# `len(DROPOUT_SEEDS)` seeds each, and compare how much the MSE rises when each stream is removed
# (`modality_importance`: MSE(removed) − MSE(clean), at the same windows as above).

# %%
from pf_forecast.robustness import modality_importance

DEFAULT_DROPOUT = DEFAULTS["modality_dropout"]
COMPARED = (DEFAULT_DROPOUT, 0.0) if DEFAULT_DROPOUT > 0 else (0.0, 0.2)  # the default against the other
DROPOUT_SEEDS = (SEED,) if QUICK else (SEED, SEED + 1)
rows = []
for seed in DROPOUT_SEEDS:
    for dropout in COMPARED:
        if seed == SEED and dropout == DEFAULT_DROPOUT:
            model = models[PROGRESSIVE]  # trained above
        else:
            model = make_model("pf", seed=seed, modality_dropout=dropout)
            model.fit(**task.fit_kwargs(), max_samples_per_ts=TRAIN_WINDOWS, verbose=False)
        importance = modality_importance(model, task.series, metric="mse", modalities=MISSING_CURVES,
                                         **{k: v for k, v in sweep_kwargs.items() if k != "seed"})
        rows.append({"modality_dropout": dropout, "seed": seed, "clean MSE": importance.attrs["clean"],
                     **{f"MSE increase without {k}": v for k, v in importance.items()}})
dropout_table = pd.DataFrame(rows).set_index(["modality_dropout", "seed"]).sort_index()
dropout_table.round(4)

# %%
means = dropout_table.groupby(level="modality_dropout").mean()
with_d, without_d = means.loc[max(COMPARED)], means.loc[min(COMPARED)]
print(f"mean over {len(DROPOUT_SEEDS)} seed(s); modality_dropout={max(COMPARED)} vs {min(COMPARED)}:")
print(f"  clean MSE: {with_d['clean MSE']:.4f} vs {without_d['clean MSE']:.4f}")
for column in means.columns[1:]:
    better = with_d[column] < without_d[column]
    print(f"  {column}: {with_d[column]:+.4f} vs {without_d[column]:+.4f} -> "
          f"{'smaller' if better else 'not smaller'} with modality dropout")
if len(DROPOUT_SEEDS) == 1:
    print("one seed only (quick mode): no conclusion")
'''

# ---------------------------------------------------------------------------------------------------------------
# 03 paper replication: stocks under MultiBench
# ---------------------------------------------------------------------------------------------------------------
NB03 = r'''
# %% [markdown]
# # Paper replication: progressive vs late vs early fusion on the stocks task
#
# Shankar et al. (*Progressive Fusion for Multimodal Integration*, arXiv 2209.00302) report, on MultiBench's
# financial time-series task, about **5% lower MSE** and about **40% better robustness** than the late-fusion
# counterpart. This notebook checks both claims on the stocks data shipped here, under the MultiBench protocol:
#
# - **task** (`load_stocks()`): predict MSFT's next-day squared log return (a volatility proxy) from 500 days of
#   daily open-to-open log returns of AAPL, IBM and MSFT, one modality per stock; chronological split in
#   MultiBench's proportions; MSE on the normalised target;
# - **robustness**: MultiBench noise (white noise, random drops, whole-step drops at p = 0.0 ... 0.8) on every test
#   input, including the target's own history;
# - **variants**, all the same network and training budget, several seeds each:
#   - *progressive*: one encoder per stock, fused context fed back (`n_refinements=2`);
#   - *late*: the same without feedback (`n_refinements=1`), the paper's baseline;
#   - *early*: one encoder reading all stocks' returns together (`modalities={"all": [...]}`), no feedback.
#
# The data is not MultiBench's (its ticker lists and 2000–2021 history are not available offline; here three
# tickers, 2000–2013), so the numbers are comparable between the variants, not with the paper's.

# %%
%SETUP%

# %%
from pf_forecast.robustness import MULTIBENCH_LEVELS

SEEDS = (0,) if QUICK else (0, 1, 2)
EPOCHS = 1 if QUICK else 10
TRAIN_WINDOWS = 200 if QUICK else None  # None: all training windows
TEST_STRIDE = 30 if QUICK else 1  # every test window in full mode
LEVELS = (0.0, 0.4, 0.8) if QUICK else MULTIBENCH_LEVELS
N_REPEATS = 1 if QUICK else 3  # noise draws per level
R_PROGRESSIVE = 2

# %% [markdown]
# ## 1. The task

# %%
from pf_forecast.data import load_stocks

task = load_stocks()
val_row, test_row = task.split_index()
covariate_names = list(task.past_covariates.components)
target_name = task.series.components[0]
print(task.protocol)
print(f"\nmodalities: {task.modalities}; target: {target_name}")

# %% [markdown]
# Two reference forecasts set the scale: the **constant training mean**, and the **historical volatility**, the
# mean of the last 20 squared returns (volatility clusters, so recent days say much about tomorrow). A variant that
# does not beat them has found little signal in its inputs; then "robustness to noisy inputs" is cheap, since
# there is little to lose.

# %%
y = task.series.values()[:, 0]
test_steps = np.arange(test_row, len(y), TEST_STRIDE)  # the steps the models forecast below
REFERENCES = {
    "constant training mean": np.full(len(test_steps), y[task.input_chunk_length:val_row].mean()),
    "historical volatility (20-day mean)": np.array([y[t - 20:t].mean() for t in test_steps]),
}
reference_mse = {name: float(np.mean((y[test_steps] - pred) ** 2)) for name, pred in REFERENCES.items()}
print(f"{len(test_steps)} test days; reference MSE:", {name: round(v, 4) for name, v in reference_mse.items()})

# %% [markdown]
# ## 2. Train the three variants on several seeds, and sweep the noise
#
# For every (variant, seed): fit, clean test MSE (`backtest`), and the MultiBench sweep on all inputs.

# %%
from darts.metrics import mse

from pf_forecast import ProgressiveFusionForecaster
from pf_forecast.robustness import evaluate_robustness

VARIANTS = {
    f"progressive (R={R_PROGRESSIVE})": dict(modalities=task.modalities, n_refinements=R_PROGRESSIVE),
    "late (R=1)": dict(modalities=task.modalities, n_refinements=1),
    "early (one encoder)": dict(modalities={"all": covariate_names}, n_refinements=1),
}
PROGRESSIVE, LATE, EARLY = VARIANTS
ALL_INPUTS = {"all inputs": [*covariate_names, target_name]}

results, reports = [], {}
start_all = time.perf_counter()
for seed in SEEDS:
    for variant, kwargs in VARIANTS.items():
        model = ProgressiveFusionForecaster(
            input_chunk_length=task.input_chunk_length, output_chunk_length=task.horizon, n_epochs=EPOCHS,
            random_state=seed, work_dir=str(WORK_DIR), pl_trainer_kwargs=TRAINER, **kwargs)
        start = time.perf_counter()
        model.fit(**task.fit_kwargs(), max_samples_per_ts=TRAIN_WINDOWS, verbose=False)
        fit_s = time.perf_counter() - start
        clean_mse = model.backtest(task.series, past_covariates=task.past_covariates, start=task.test_start,
                                   forecast_horizon=task.horizon, stride=TEST_STRIDE, retrain=False,
                                   last_points_only=False, metric=mse, verbose=False)
        reports[variant, seed] = evaluate_robustness(
            model, task.series, past_covariates=task.past_covariates, corruption="multibench", levels=LEVELS,
            modalities=ALL_INPUTS, corrupt_target=True, forecast_horizon=task.horizon, start=task.test_start,
            stride=TEST_STRIDE, n_repeats=N_REPEATS, seed=seed)
        results.append({"variant": variant, "seed": seed, "clean MSE": float(clean_mse), "fit (s)": fit_s,
                        "parameters": sum(p.numel() for p in model.model.parameters())})
        print(f"seed {seed} {variant:<22} clean MSE {clean_mse:.4f}  ({fit_s:.0f} s)")
print(f"total {time.perf_counter() - start_all:.0f} s")

# %% [markdown]
# ## 3. Noise curves
#
# Each variant's curves over all seeds and noise draws, gathered into one `RobustnessReport` (its `repeat` column
# then runs over seeds × draws), so `report.plot()` draws the mean curve with the min–max band.

# %%
from pf_forecast.robustness import RobustnessReport

frames = []
for (variant, seed), report in reports.items():
    frame = report.curves.assign(modality=variant, repeat=report.curves["repeat"] + SEEDS.index(seed) * N_REPEATS)
    frames.append(frame)
combined = RobustnessReport(pd.concat(frames, ignore_index=True), {"model": "fusion variants"})
fig, ax = plt.subplots(figsize=(10, 5))
combined.plot("mse", ax=ax)
for (name, value), style in zip(reference_mse.items(), (":", "--")):
    ax.axhline(value, color="gray", linestyle=style, label=name)
ax.set_title(f"Stocks (MSFT volatility): MSE under MultiBench noise on all inputs, {len(SEEDS)} seed(s)")
ax.set_xlabel("MultiBench noise level p")
ax.set_ylabel("test MSE (normalised target)")
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0));

# %% [markdown]
# ## 4. Scores per seed
#
# Per seed: clean MSE, relative robustness (area under the MSE-vs-p curve; lower is better) and effective
# robustness against the *same seed's* late-fusion curve (negative: degrades less than late fusion).

# %%
from pf_forecast.robustness import effective_robustness, normalized_robustness, relative_robustness

table = pd.DataFrame(results).set_index(["variant", "seed"])
for (variant, seed), report in reports.items():
    curve = report.mean_curves("mse")[("multibench", "all inputs")]
    late_curve = reports[LATE, seed].mean_curves("mse")[("multibench", "all inputs")]
    table.loc[(variant, seed), "relative robustness"] = relative_robustness(curve.index, curve.values)
    table.loc[(variant, seed), "effective vs late"] = effective_robustness(curve.index, curve.values,
                                                                           late_curve.values)
    table.loc[(variant, seed), "MSE at p=max"] = curve.iloc[-1]
table.round(4)

# %%
summary = table.groupby("variant", sort=False)[["clean MSE", "relative robustness", "effective vs late",
                                                "MSE at p=max", "fit (s)"]].agg(["mean", "std"])
summary[("normalised robustness", "mean")] = normalized_robustness(summary[("relative robustness", "mean")])
summary.round(4)

# %% [markdown]
# ## 5. Do the paper's claims hold here?
#
# How the claims are read:
#
# - **"≈5% lower MSE"**: the clean-MSE gain of progressive over late fusion, 1 − MSE_prog / MSE_late, per seed;
# - **"≈40% better robustness"**: the gain in relative robustness, 1 − area_prog / area_late, per seed (the
#   effective robustness tells whether any gain comes from degrading less or only from starting lower).
#
# A claim counts as *reproduced* when the mean gain is at least half the claimed size and progressive fusion wins on
# every seed; otherwise it is *not reproduced*, with the reason (no gain on average, a gain smaller than the
# seed-to-seed spread, or a smaller or inconsistent gain). The verdict below is computed from the numbers above;
# nothing in it is typed in by hand.

# %%
from IPython.display import Markdown

def per_seed(column, variant):
    return table.xs(variant, level="variant")[column]

mse_gain = 1 - per_seed("clean MSE", PROGRESSIVE) / per_seed("clean MSE", LATE)
rob_gain = 1 - per_seed("relative robustness", PROGRESSIVE) / per_seed("relative robustness", LATE)
eff_prog = per_seed("effective vs late", PROGRESSIVE)
late_mse = per_seed("clean MSE", LATE)
late_degradation = per_seed("MSE at p=max", LATE) / late_mse - 1
seed_spread = late_mse.std() / late_mse.mean() if len(SEEDS) > 1 else float("nan")


def verdict(gains, claimed):
    if len(gains) < 2:
        return "not decidable from one seed"
    mean = gains.mean()
    if mean >= claimed / 2 and (gains > 0).all():
        return "reproduced"
    if mean <= 0:
        return "not reproduced (no gain on average)"
    if mean < gains.std():
        return "not reproduced (the mean gain is smaller than its seed-to-seed spread)"
    return "not reproduced (a gain in the claimed direction, but under half the claimed size or not on every seed)"


def describe(gains):
    spread = f" ± {gains.std():.1%} (std over seeds)" if len(gains) > 1 else ""
    return f"{gains.mean():+.1%}{spread}; progressive wins on {int((gains > 0).sum())} of {len(gains)} seed(s)"


def relation(value, reference):
    change = value / reference - 1
    return f"{abs(change):.1%} {'below' if change < 0 else 'above'}"


early_gain = 1 - per_seed("clean MSE", EARLY) / late_mse
best_mse = table["clean MSE"].min()
lines = [
    f"**Lower MSE (claimed ≈5%)**: {verdict(mse_gain, 0.05)}. MSE gain of progressive over late fusion: "
    f"{describe(mse_gain)}. Early fusion vs late: {early_gain.mean():+.1%}.",
    f"**Better robustness (claimed ≈40%)**: {verdict(rob_gain, 0.40)}. Gain in area under the MSE-vs-noise curve: "
    f"{describe(rob_gain)}. Effective robustness vs late fusion: {eff_prog.mean():+.4f} "
    f"({'degrades less than' if eff_prog.mean() < 0 else 'degrades at least as much as'} late fusion once the "
    f"clean MSE is factored out).",
    f"**Context**: noise at p={max(LEVELS)} changes late fusion's MSE by {late_degradation.mean():+.1%}. The best "
    f"clean MSE of any variant and seed, {best_mse:.4f}, is {relation(best_mse, reference_mse['constant training mean'])} "
    f"the constant training mean and {relation(best_mse, reference_mse['historical volatility (20-day mean)'])} "
    f"the 20-day historical volatility"
    + (f"; late fusion's clean MSE varies by {seed_spread:.1%} (relative std) across seeds alone." if len(SEEDS) > 1
       else ". One seed only (quick mode): no conclusion can be drawn."),
]
if late_degradation.mean() < 0.10:
    lines.append("Noise barely raises (or even lowers) the MSE here, so the robustness areas mostly restate the "
                 "clean MSEs: the robustness claim cannot be tested meaningfully on this task.")
if best_mse >= min(reference_mse.values()):
    lines.append("No variant beats the best reference forecast: the networks have not learned the signal that a "
                 "20-day average captures, so differences between fusion schemes say little about fusion itself.")
display(Markdown("\n\n".join(lines)))
'''

# ---------------------------------------------------------------------------------------------------------------
# 04 your data: CSV -> task -> robustness -> pf-forecast bench
# ---------------------------------------------------------------------------------------------------------------
NB04 = r'''
# %% [markdown]
# # Your own data: from a CSV to a benchmark
#
# Everything in the previous notebooks works on a CSV of your own: one row per timestamp, a time column, the
# target column(s) and the covariate columns. This notebook writes such a file (hourly transformer data derived
# from ETTh1: oil temperature `OT` and six load measurements), then
#
# 1. turns it into a `ForecastingTask` with `load_csv` (split, scaling, modalities);
# 2. fits and forecasts with `ProgressiveFusionForecaster`;
# 3. measures robustness with `evaluate_robustness` and `modality_importance`;
# 4. runs the whole benchmark from the command line, `pf-forecast bench --csv ...`, and reads its report.

# %%
%SETUP%

# %%
from pf_forecast.robustness import MULTIBENCH_LEVELS

ROWS = 2_000 if QUICK else 24 * 30 * 8  # hours of data in the CSV (full: 8 months)
EPOCHS = 1 if QUICK else 6
TRAIN_WINDOWS = 300 if QUICK else None  # None: every training window
SWEEP_STRIDE = 24  # one forecast per test day
LEVELS = (0.0, 0.4, 0.8) if QUICK else MULTIBENCH_LEVELS
N_REPEATS = 1 if QUICK else 2
SEED = 0
# options of `pf-forecast bench` (see `pf-forecast bench --help`); full mode keeps its default budget
# (early stopping on the validation split, at most 4,000 training windows per epoch) with fewer epochs
BENCH_OPTIONS = (
    ["--models", "pf,pf-late,tide,naive-seasonal", "--seeds", "1", "--max-epochs", "1", "--max-train-samples",
     "200", "--levels", "0,0.4,0.8", "--profile", "tiny", "--test-stride", "24"]
    if QUICK else
    ["--models", "pf,pf-late,tide,dlinear,naive-seasonal", "--seeds", "2", "--max-epochs", "8"]
)

# %% [markdown]
# ## 1. A CSV of your own
#
# Here the first months of ETTh1 (an electricity transformer: oil temperature `OT` and the useful / useless loads
# of its high, middle and low voltage sides, `HUFL HULL MUFL MULL LUFL LULL`), written to a temporary folder.
# Replace `csv_path` and the column names below by yours.

# %%
from pf_forecast.data import find_datasets_dir

DATA_DIR = Path(tempfile.mkdtemp(prefix="pf_your_data_"))
csv_path = DATA_DIR / "transformer.csv"
source = find_datasets_dir(relative_file="ett/ETTh1.csv") / "ett" / "ETTh1.csv"
pd.read_csv(source).iloc[:ROWS].to_csv(csv_path, index=False)

frame = pd.read_csv(csv_path)
print(f"{csv_path.name}: {len(frame)} rows, columns {list(frame.columns)}")
frame.head()

# %% [markdown]
# ## 2. `load_csv`: from columns to a task
#
# Name the time column, the target, the covariates and (optionally) how the covariates group into modalities.
# The split is chronological (default 70 / 10 / 20 by rows) and a `StandardScaler` is fitted on the training rows
# only. Covariates may contain NaN (missing values); the target may not.

# %%
from pf_forecast.data import load_csv

LOADS = ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL"]
MODALITIES = {"high": ["HUFL", "HULL"], "middle": ["MUFL", "MULL"], "low": ["LUFL", "LULL"]}
task = load_csv(csv_path, time_col="date", target="OT", past_covariates=LOADS, modalities=MODALITIES,
                input_chunk_length=96, horizon=24)
val_row, test_row = task.split_index()
print(task.protocol)

# %% [markdown]
# ## 3. Fit and forecast

# %%
from pf_forecast import ProgressiveFusionForecaster

model = ProgressiveFusionForecaster(
    input_chunk_length=task.input_chunk_length,
    output_chunk_length=task.horizon,
    modalities=task.modalities,
    n_epochs=EPOCHS,
    random_state=SEED,
    work_dir=str(WORK_DIR),
    pl_trainer_kwargs=TRAINER,
)
start = time.perf_counter()
model.fit(**task.fit_kwargs(), max_samples_per_ts=TRAIN_WINDOWS, verbose=False)
print(f"trained in {time.perf_counter() - start:.0f} s")

# %%
from darts.metrics import mae

windows = model.historical_forecasts(task.series, past_covariates=task.past_covariates, start=task.test_start,
                                     forecast_horizon=task.horizon, stride=SWEEP_STRIDE, retrain=False,
                                     last_points_only=False, verbose=False)
actual = task.inverse_transform(task.series)
test_mae = model.backtest(actual, historical_forecasts=[task.inverse_transform(w) for w in windows], metric=mae)
print(f"{len(windows)} daily test forecasts, MAE {test_mae:.2f} °C")

days = 10
fig, ax = plt.subplots(figsize=(12, 4))
actual[test_row : test_row + 24 * days].plot(ax=ax, label="actual", color="black", linewidth=1.2)
for i, window in enumerate(windows[:days]):
    task.inverse_transform(window).plot(ax=ax, label="24-hour forecasts" if i == 0 else "_nolegend_",
                                        color="tab:red", linewidth=1.2)
ax.set_title(f"Transformer oil temperature: daily 24-hour forecasts, first {days} test days")
ax.set_ylabel("oil temperature (°C)")
ax.set_xlabel("")
ax.legend(loc="upper left");

# %% [markdown]
# ## 4. Robustness on your data
#
# The MultiBench noise sweep with each modality corrupted alone (`modalities="each"`), and `modality_importance`:
# how much the MSE rises when a modality is missing over the whole test period.

# %%
from pf_forecast.robustness import evaluate_robustness, modality_importance

report = evaluate_robustness(model, task.series, past_covariates=task.past_covariates, corruption="multibench",
                             levels=LEVELS, modalities="each", forecast_horizon=task.horizon,
                             start=task.test_start, stride=SWEEP_STRIDE, n_repeats=N_REPEATS, seed=SEED)
ax = report.plot("mse")
ax.set_title("Transformer data: MSE under MultiBench noise, one modality corrupted at a time")
ax.set_xlabel("MultiBench noise level p")
ax.set_ylabel("test MSE (standardised OT)");

# %%
importance = modality_importance(model, task.series, past_covariates=task.past_covariates,
                                 forecast_horizon=task.horizon, start=task.test_start, stride=SWEEP_STRIDE)
print(f"clean MSE {importance.attrs['clean']:.4f}; MSE increase when the modality is missing:")
importance.sort_values(ascending=False).round(4)

# %% [markdown]
# ## 5. The benchmark, from the command line
#
# `pf-forecast bench --csv ...` takes the same description of the file and runs every model of the list on the
# same split and budget (several seeds, early stopping on the validation split), with the noise and
# missing-modality sweeps, timings and parameter counts. In a terminal:
#
# ```
# pf-forecast bench --csv transformer.csv --time-col date --target OT \
#     --past-covariates HUFL,HULL,MUFL,MULL,LUFL,LULL \
#     --modality high=HUFL,HULL --modality middle=MUFL,MULL --modality low=LUFL,LULL \
#     --input-chunk-length 96 --horizon 24 --out bench_out
# ```
#
# Here it runs through `sys.executable -m pf_forecast`, the same Python as this notebook's kernel, from the data
# folder. Finished cells are reused when the command is run again with the same `--out`.

# %%
import shlex
import subprocess

command = [
    sys.executable, "-m", "pf_forecast", "bench",
    "--csv", csv_path.name, "--time-col", "date", "--target", "OT", "--past-covariates", ",".join(LOADS),
    *[arg for name, columns in MODALITIES.items() for arg in ("--modality", f"{name}={','.join(columns)}")],
    "--input-chunk-length", "96", "--horizon", "24", "--out", "bench_out", "--no-progress", *BENCH_OPTIONS,
]
# the subprocess imports the same pf_forecast as this kernel, installed or not
env = {**os.environ, "PYTHONPATH": os.pathsep.join(
    p for p in (str(Path(pf_forecast.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH")) if p)}
print("pf-forecast", shlex.join(command[3:]))
start = time.perf_counter()
run = subprocess.run(command, cwd=DATA_DIR, env=env, capture_output=True, text=True)
print(run.stdout[-3000:])
print(f"exit code {run.returncode} after {time.perf_counter() - start:.0f} s")
if run.returncode != 0:
    raise RuntimeError(f"pf-forecast bench failed:\n{run.stderr[-3000:]}")

# %% [markdown]
# The run writes `results.csv` (one row per measurement), `report.md` (tables, plots, the exact command and
# settings) and `cells/` (one file per finished model × seed). The report:

# %%
import re

from IPython.display import Image, Markdown

BENCH_OUT = DATA_DIR / "bench_out"
report_md = (BENCH_OUT / "report.md").read_text()
for chunk in re.split(r"(!\[[^\]]*\]\([^)]+\))", report_md):  # show the report's plots inline
    image = re.fullmatch(r"!\[[^\]]*\]\(([^)]+)\)", chunk)
    display(Image(filename=str(BENCH_OUT / image.group(1))) if image else Markdown(chunk))

# %% [markdown]
# `results.csv` is tidy, ready for your own tables: for example the clean test MSE / MAE per model (mean over
# seeds), and the MSE at each noise level.

# %%
results = pd.read_csv(BENCH_OUT / "results.csv")
clean = results[(results["corruption"] == "none") & results["metric"].isin(["mse", "mae"])]
clean.pivot_table(index="model", columns="metric", values="value", aggfunc="mean").sort_values("mse").round(4)

# %%
noisy = results[(results["corruption"] == "multibench") & (results["metric"] == "mse")]
noisy.pivot_table(index="model", columns="level", values="value", aggfunc="mean").round(4)
'''

NOTEBOOKS: dict[str, str] = {
    "01_quickstart": NB01,
    "02_robustness": NB02,
    "03_paper_replication": NB03,
    "04_your_data": NB04,
}


# ---------------------------------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------------------------------
def parse_cells(source: str) -> list[tuple[str, str]]:
    """Split a percent-format source into ``(cell_type, text)`` pairs (``"code"`` or ``"markdown"``).

    Markdown lines may start with ``# `` (stripped) as in jupytext's percent format.
    """
    cells: list[tuple[str, list[str]]] = []
    for line in source.strip("\n").splitlines():
        stripped = line.strip()
        if stripped == "# %% [markdown]":
            cells.append(("markdown", []))
        elif stripped == "# %%":
            cells.append(("code", []))
        elif not cells:
            raise ValueError(f"text before the first cell marker: {line!r}")
        else:
            cells[-1][1].append(line)
    out = []
    for kind, lines in cells:
        if kind == "markdown":
            lines = [ln[2:] if ln.startswith("# ") else ("" if ln == "#" else ln) for ln in lines]
        text = "\n".join(lines).strip("\n")
        if kind == "code":
            text = text.replace("%SETUP%", SETUP.strip("\n"))
        out.append((kind, text))
    return out


def build(name: str):
    """The notebook ``name`` (a key of :data:`NOTEBOOKS`) as an ``nbformat`` node, without outputs."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": KERNEL_NAME},
        "language_info": {"name": "python"},
    }
    for kind, text in parse_cells(NOTEBOOKS[name]):
        cell = nbformat.v4.new_code_cell(text) if kind == "code" else nbformat.v4.new_markdown_cell(text)
        cell.pop("id", None)  # stable files: no random cell ids
        nb.cells.append(cell)
    nb.nbformat, nb.nbformat_minor = 4, 4  # minor 4: cell ids are optional
    return nb


def kernel_env(quick: bool) -> dict[str, str]:
    """The kernel's environment: PF_QUICK, this checkout on PYTHONPATH, no MPLBACKEND override."""
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)
    env["PF_QUICK"] = "1" if quick else "0"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # silence a debugger notice of ipykernel
    return env


def execute(nb, *, quick: bool, cwd: str | os.PathLike, timeout: int | None = None) -> float:
    """Run ``nb`` top to bottom in place (outputs stored in it) and return the wall time in seconds.

    Raises ``nbclient.exceptions.CellExecutionError`` on the first failing cell.
    """
    from nbclient import NotebookClient

    client = NotebookClient(
        nb,
        timeout=timeout or CELL_TIMEOUT["quick" if quick else "full"],
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(cwd)}},
        record_timing=False,
    )
    start = time.perf_counter()
    client.execute(env=kernel_env(quick))
    return time.perf_counter() - start


def select(names: list[str]) -> list[str]:
    if not names:
        return list(NOTEBOOKS)
    chosen = []
    for prefix in names:
        matches = [n for n in NOTEBOOKS if n.startswith(prefix)]
        if not matches:
            raise SystemExit(f"no notebook starts with {prefix!r}; choose from {list(NOTEBOOKS)}")
        chosen += [m for m in matches if m not in chosen]
    return chosen


def sources_differ(name: str) -> list[str]:
    """Differences between the committed ``notebooks/<name>.ipynb`` and the sources here (empty: in sync)."""
    import nbformat

    path = HERE / f"{name}.ipynb"
    if not path.is_file():
        return [f"{path.name} is missing"]
    committed = [(c.cell_type, c.source) for c in nbformat.read(path, as_version=4).cells]
    expected = [(c.cell_type, c.source) for c in build(name).cells]
    if len(committed) != len(expected):
        return [f"{path.name}: {len(committed)} cells, the sources have {len(expected)}"]
    return [f"{path.name}: cell {i} differs" for i, (a, b) in enumerate(zip(committed, expected)) if a != b]


def main(argv: list[str] | None = None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebooks to build (name prefixes, e.g. 01 02); default: all")
    parser.add_argument("--execute", action="store_true", help="run the notebooks and save their outputs")
    parser.add_argument("--quick", action="store_true", help="with --execute: PF_QUICK=1 smoke run")
    parser.add_argument("--out", default=None,
                        help="folder for the notebooks (default: notebooks/, or a temp folder with --quick)")
    parser.add_argument("--check", action="store_true", help="compare the committed notebooks with the sources")
    args = parser.parse_args(argv)
    names = select(args.names)

    if args.check:
        problems = [p for name in names for p in sources_differ(name)]
        print("\n".join(problems) if problems else "notebooks are in sync with build_notebooks.py")
        return 1 if problems else 0

    if args.out:
        out = Path(args.out)
    elif args.execute and args.quick:
        out = Path(tempfile.mkdtemp(prefix="pf_notebooks_quick_"))
    else:
        out = HERE
    out.mkdir(parents=True, exist_ok=True)
    failed = []
    for name in names:
        nb = build(name)
        if args.execute:
            with tempfile.TemporaryDirectory(prefix=f"pf_nb_{name}_") as cwd:
                try:
                    seconds = execute(nb, quick=args.quick, cwd=cwd)
                except Exception as err:  # keep the partial outputs for inspection, go on with the others
                    failed.append(name)
                    print(f"{name}: FAILED: {type(err).__name__}: {str(err)[-2000:]}", file=sys.stderr)
                    nbformat.write(nb, out / f"{name}.failed.ipynb")
                    continue
            print(f"{name}: executed in {seconds:.0f} s ({'quick' if args.quick else 'full'} mode)", flush=True)
        nbformat.write(nb, out / f"{name}.ipynb")
    print(f"notebooks written to {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
