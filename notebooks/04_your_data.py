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
import os
import sys
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

# notebooks/_helpers.py: the set-up every notebook shares (PF_QUICK, quiet logs, plot style, a temporary work_dir)
# and the fit-and-forecast helpers
from _helpers import QUICK, fit, make_model, print_versions, test_forecasts
from IPython.display import display

print_versions()

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
# make_model and fit (notebooks/_helpers.py): a ProgressiveFusionForecaster on the task's chunk lengths and
# modalities, fitted on its training split; as in 01_quickstart, spelled out there
model = make_model(task, "pf", epochs=EPOCHS, seed=SEED)
print(f"trained in {fit(model, task, train_windows=TRAIN_WINDOWS):.0f} s")

# %%
from darts.metrics import mae

windows = test_forecasts(model, task, stride=SWEEP_STRIDE)  # one 24-hour forecast per test day
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

import pf_forecast

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
