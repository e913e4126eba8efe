"""The fev-epf suite: fev-bench's EPF protocol, probabilistic scores, and the published seasonal-naive MASE."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_benchmark import bench, csv_args, write_csv

from pf_forecast.data import FEV_WINDOWS, load_epf

#: fev-bench's published Seasonal Naive MASE (results CSVs of autogluon/fev at commit 1bc95fd)
FEV_SEASONAL_NAIVE_MASE = {"epf-BE": 1.0271, "epf-DE": 1.7086, "epf-FR": 0.8501, "epf-NP": 1.7613, "epf-PJM": 0.5812}


def test_fev_track_splits_like_fev():
    task = load_epf("NP", track="fev")
    n = len(task.series)
    _, test_row = task.split_index()
    assert n - test_row == FEV_WINDOWS * 24 == 480
    assert task.past_covariates is None and task.future_covariates is not None  # known over the horizon
    assert task.n_test_windows(24) == 20
    assert task.val_start < task.test_start  # selection before the first cutoff


def test_seasonal_naive_reproduces_fevs_published_mase_on_all_five_markets(tmp_path):
    out = tmp_path / "fev"
    assert bench(["--suite", "fev-epf", "--models", "naive-seasonal", "--seeds", "1", "--out", str(out),
                  "--no-progress"]) == 0
    results = pd.read_csv(out / "results.csv")
    mase = results[results.metric == "mase"].set_index("dataset").value
    for dataset, published in FEV_SEASONAL_NAIVE_MASE.items():
        assert mase[dataset] == pytest.approx(published, abs=5e-4), dataset
    sql = results[results.metric == "sql"].set_index("dataset").value
    assert (sql < mase).all()  # the residual quantiles beat the point forecast at every level
    coverage = results[results.metric == "coverage80"].value
    assert ((coverage > 0.5) & (coverage < 1.0)).all()
    report = (out / "report.md").read_text()
    assert "PatchTST (AutoGluon, per task) (published)* | 0.550" in report and "NOT measured here" in report
    assert "1.088" in report  # gm MASE of seasonal naive: fev's published value


@pytest.mark.slow
def test_probabilistic_bench_scores_quantile_models_and_point_models(tmp_path):
    path = write_csv(tmp_path / "plant.csv")
    out = tmp_path / "out"
    assert bench(csv_args(path, out, "--models", "pf,tide,lightgbm,linear", "--seeds", "1", "--probabilistic",
                          "--no-missing", "--test-stride", "6")) == 0
    results = pd.read_csv(out / "results.csv")
    clean = results[results.corruption == "none"]  # the sweep rows also carry an "mse" metric
    scores = clean[clean.metric.isin(["sql", "mase", "wql", "coverage80", "mse"])].pivot_table(
        index="model", columns="metric", values="value")
    assert set(scores.index) == {"pf", "tide", "lightgbm", "linear"} and np.isfinite(scores.values).all()
    assert scores.loc["linear", "sql"] == pytest.approx(scores.loc["linear", "mase"])  # a point model
    assert scores.loc["linear", "coverage80"] == 0.0
    for model in ("pf", "tide", "lightgbm"):  # quantile models: a real interval, SQL below MASE
        assert scores.loc[model, "coverage80"] > 0.0 and scores.loc[model, "sql"] < scores.loc[model, "mase"]
    assert "## Probabilistic scores" in (out / "report.md").read_text()
    # the sweeps score a quantile model's median (of many draws), not one random draw (25% worse here): on the
    # same windows (test stride = horizon = robustness stride) pf's clean sweep point matches its median's MSE
    # (TiDE's quantiles may cross, so the median of its draws is not its q0.5 output)
    sweep = results[(results.corruption == "multibench") & (results.level == 0.0) & (results.metric == "mse")]
    assert sweep[sweep.model == "pf"].value.iloc[0] == pytest.approx(scores.loc["pf", "mse"], rel=0.05)
