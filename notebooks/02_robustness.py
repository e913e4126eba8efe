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
# entirely absent over the test inputs). Then the effect of training with `modality_dropout`, and last four
# realistic stream faults (outage, late data, a stuck sensor, spikes) with the forecasts side by side.

# %%
import time

import matplotlib.pyplot as plt
import pandas as pd

# notebooks/_helpers.py: the set-up every notebook shares (PF_QUICK, quiet logs, plot style, a temporary work_dir)
# and the fit-and-forecast helpers
from _helpers import QUICK, fit, make_model, print_versions, test_forecasts

print_versions()

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

from pf_forecast import ProgressiveFusionForecaster

DEFAULTS = {name: p.default for name, p in inspect.signature(ProgressiveFusionForecaster.__init__).parameters.items()}
PROGRESSIVE = f"progressive (R={DEFAULTS['n_refinements']})"
LATE, TIDE = "late fusion (R=1)", "TiDE"
budget = dict(epochs=EPOCHS, seed=SEED)  # the same training budget for every compared model
models = {PROGRESSIVE: make_model(task, "pf", **budget), LATE: make_model(task, "pf", n_refinements=1, **budget),
          TIDE: make_model(task, "tide", **budget)}
fit_seconds = {}
for name, model in models.items():
    fit_seconds[name] = fit(model, task, train_windows=TRAIN_WINDOWS)
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
    windows = test_forecasts(model, task, stride=TEST_STRIDE)
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
            model = make_model(task, "pf", epochs=EPOCHS, seed=seed, modality_dropout=dropout)
            fit(model, task, train_windows=TRAIN_WINDOWS)
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

# %% [markdown]
# ## 7. Real stream faults: outages, late data, stuck sensors, spikes
#
# Streams rarely vanish cleanly. `pf_forecast.robustness` has four faults that forecasting pipelines meet every
# week ([docs/faults.md](../docs/faults.md)): an **outage** (contiguous missing blocks), **latency** (the stream is
# published late: its last steps are missing at forecast time), a **stuck** sensor (its last value repeated) and
# **spikes** (isolated values 10 standard deviations off). Here the grid-load stream fails in each way at the middle
# severity of the fault's grid. TiDE cannot take NaN, so, as a practitioner would, we give it the imputation that
# works best for it, chosen on the validation segment (never the test) among zero, mean, forward fill and seasonal
# (the value 24 h earlier). The progressive model gets the gaps as NaN and fills them itself from the same stream
# (`gap_fill="auto"`, its default: the last value, the value 24 h earlier or the mean, whichever the input window
# shows to be most accurate for that stream).

# %%
import numpy as np

from pf_forecast.robustness import FAULTS, corruption_factory, fault_middle_level, impute_missing

STREAM = "grid_load"
POLICIES = ("ffill", "mean", "zero", "seasonal")  # ties (no gap to fill) go to the first
stream = {STREAM: task.modalities[STREAM]}
fault_kwargs = {k: v for k, v in sweep_kwargs.items() if k != "start"}
history = task.series[:task.split_index()[1]]  # the target before the test segment: validation windows only


def fault_mse(model, fault, impute, series, start):
    """MSE of ``model`` with the stream clean and under ``fault`` at its middle severity."""
    level = fault_middle_level(fault)
    report = evaluate_robustness(model, series, corruption=fault, levels=[0.0, level], modalities=stream,
                                 start=start, impute=impute, metrics="mse", **fault_kwargs)
    curve = report.mean_curves("mse")[(fault, STREAM)]
    return curve.loc[0.0], curve.loc[level]


best_impute, validation = {}, {}
for fault in FAULTS:
    validation[fault] = {p: fault_mse(models[TIDE], fault, p, history, task.val_start)[1] for p in POLICIES}
    best_impute[fault] = min(validation[fault], key=validation[fault].get)
print("TiDE's validation MSE per imputation:")
print(pd.DataFrame(validation).T.round(4))
print("chosen:", best_impute)

# %%
rows = {}
for fault in FAULTS:
    for name, impute in ((PROGRESSIVE, None), (TIDE, best_impute[fault])):
        clean_mse, faulty_mse = fault_mse(models[name], fault, impute, task.series, task.test_start)
        rows[(fault, name)] = {"imputation": impute or "none (NaN)", "clean MSE": clean_mse,
                               "MSE under the fault": faulty_mse, "increase": faulty_mse / clean_mse - 1}
faults_table = pd.DataFrame(rows).T
faults_table.index.names = ["fault", "model"]
faults_table

# %% [markdown]
# One test forecast under each fault: the grid-load input as the models receive it (grey: the real values), and the
# two forecasts against the actual prices. The forecast shown is the one (of one per 24 h of the test period) whose
# last 48 input hours the fault changes most.

# %%
SHOWN = 72  # input hours drawn (the model reads task.input_chunk_length = 168)
clean_stream = task.past_covariates[stream[STREAM]]


def changed_steps(covariates, day, hours=48):
    """How many of the stream's last ``hours`` input values before ``day`` differ from the real ones."""
    end = day - task.series.freq
    got = covariates[stream[STREAM]].slice_n_points_before(end, hours).values()[:, 0]
    real = clean_stream.slice_n_points_before(end, hours).values()[:, 0]
    return int(np.sum(~np.isclose(got, real)))


days = task.series.time_index[task.split_index()[1]::24][1:-1]  # forecast points: one per 24 h of the test period
fig, axes = plt.subplots(len(FAULTS), 2, figsize=(14, 3.0 * len(FAULTS)), gridspec_kw={"width_ratios": [3, 2]})
for (ax_in, ax_out), fault in zip(axes, FAULTS):
    corruption = corruption_factory(fault)(fault_middle_level(fault))
    if corruption.window_relative:  # latency: what is missing depends on the forecast point
        def received(day, corruption=corruption):
            return corruption.apply_window(task.past_covariates, day, components=stream[STREAM], rng=SEED)
    else:  # one corrupted copy of the test period, whatever the forecast point
        whole = corruption.apply(task.past_covariates, np.random.default_rng(SEED), components=stream[STREAM],
                                 start=task.test_start)

        def received(day, whole=whole):
            return whole

    day = max(days, key=lambda d, get=received: changed_steps(get(d), d))
    covariates = received(day)
    past = task.series.drop_after(day)
    forecast_pf = models[PROGRESSIVE].predict(task.horizon, series=past, past_covariates=covariates)
    filled = impute_missing(covariates, best_impute[fault], reference=task.past_covariates, before=task.test_start)
    forecast_tide = models[TIDE].predict(task.horizon, series=past, past_covariates=filled)

    first, last = day - SHOWN * task.series.freq, day - task.series.freq
    clean_stream.slice(first, last).plot(ax=ax_in, color="lightgrey", label="real values")
    covariates[stream[STREAM]].slice(first, last).plot(ax=ax_in, label=f"as received ({fault})")
    ax_in.set_title(f"{fault}: grid-load input, the last {SHOWN} h")
    ax_in.set_xlabel("")
    task.series.slice_n_points_after(day, task.horizon).plot(ax=ax_out, color="black", label="actual")
    forecast_pf.plot(ax=ax_out, label=PROGRESSIVE)
    forecast_tide.plot(ax=ax_out, label=f"TiDE ({best_impute[fault]} fill)")
    ax_out.set_title(f"{fault}: next-day forecasts (standardised price)")
    ax_out.set_xlabel("")
    for ax in (ax_in, ax_out):
        ax.legend(fontsize=8)
fig.tight_layout()

# %%
for fault in FAULTS:
    pf_row, tide_row = faults_table.loc[(fault, PROGRESSIVE)], faults_table.loc[(fault, TIDE)]
    lower = pf_row["MSE under the fault"] < tide_row["MSE under the fault"]
    print(f"{fault:<8} progressive {pf_row['MSE under the fault']:.4f} ({pf_row['increase']:+.1%}), TiDE "
          f"{tide_row['MSE under the fault']:.4f} ({tide_row['increase']:+.1%}, {tide_row['imputation']} fill): "
          f"{'progressive lower' if lower else 'TiDE lower'}")
if QUICK:
    print("quick mode: tiny budgets, no conclusion")
