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
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

# notebooks/_helpers.py: the set-up every notebook shares (PF_QUICK, quiet logs, plot style, a temporary work_dir)
# and the fit-and-forecast helpers
from _helpers import QUICK, TRAINER, WORK_DIR, fit, make_model, print_versions, test_forecasts

print_versions()

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

# spelled out here, once; the other notebooks call make_model and fit (notebooks/_helpers.py), which do this
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
from darts.models import NaiveSeasonal

tide = make_model(task, "tide", epochs=EPOCHS, seed=SEED)  # darts' TiDEModel, same chunk lengths and trainer
print(f"TiDE trained in {fit(tide, task, train_windows=TRAIN_WINDOWS):.0f} s")

# %%
window_kwargs = dict(start=task.test_start, forecast_horizon=task.horizon, stride=TEST_STRIDE,
                     last_points_only=False, verbose=False)
candidates = {
    "ProgressiveFusionForecaster": model,
    "TiDEModel (darts)": tide,
    "seasonal naive (same hour yesterday)": NaiveSeasonal(K=24),
}
forecasts = {
    "ProgressiveFusionForecaster": test_forecasts(model, task, stride=TEST_STRIDE),
    "TiDEModel (darts)": test_forecasts(tide, task, stride=TEST_STRIDE),
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
