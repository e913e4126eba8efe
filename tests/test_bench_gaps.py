"""``pf-forecast bench`` on data with gaps: every model runs under one declared imputation, never a silent NaN.

Also the bench defaults a user meets: every training window, LightGBM in the zoo, an unwritable ``--out``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_benchmark import bench, csv_args, write_csv

from pf_forecast.benchmark import BenchSettings
from pf_forecast.benchmark.models import LIGHTGBM_MAX_TREES, handles_missing_covariates, model_inputs
from pf_forecast.cli import main as cli_main
from pf_forecast.data import load_csv

#: the models of the gap case (every global model of the zoo's kinds: ours, darts' torch, lag and local models)
GAP_MODELS = ("pf", "pf-late", "tide", "tsmixer", "dlinear", "linear", "lightgbm", "naive-seasonal")


def gappy_csv(path, n: int = 480, rate: float = 0.03, seed: int = 1) -> str:
    """``write_csv`` data with ``rate`` of the covariate cells of a (past) and c (future) empty."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    a = np.where(rng.random(n) < rate, np.nan, np.sin(t / 6))
    c = np.where(rng.random(n) < rate, np.nan, np.sin(2 * np.pi * t / 24))
    return write_csv(path, n=n, a=a, c=c)


def clean_mse(out) -> pd.Series:
    results = pd.read_csv(out / "results.csv")
    return results[(results.corruption == "none") & (results.metric == "mse")].groupby("model").value.mean()


@pytest.mark.slow
def test_r15_csv_with_covariate_gaps_runs_every_model_with_a_declared_imputation(tmp_path):
    path = gappy_csv(tmp_path / "gappy.csv")
    out = tmp_path / "out"
    assert bench(csv_args(path, out, "--models", ",".join(GAP_MODELS), "--seeds", "1")) == 0
    mse = clean_mse(out)
    assert set(mse.index) == set(GAP_MODELS)
    assert np.isfinite(mse).all(), mse.to_dict()
    results = pd.read_csv(out / "results.csv")
    assert np.isfinite(results.value).all()  # sweeps too
    report = (out / "report.md").read_text()
    assert "`impute` = ffill" in report and "--impute ffill" in report
    metas = {m["model"]: m for m in map(json.loads, (p.read_text() for p in (out / "cells").glob("*.json")))}
    assert metas["pf"]["covariate_nan"].startswith("received as NaN")
    assert metas["tide"]["covariate_nan"] == "imputed: ffill"
    assert metas["tide"]["robustness"]["impute"] == "ffill" and metas["pf"]["robustness"]["impute"] == "none"


def test_r15_impute_none_reports_failed_cells_with_the_reason_not_nan(tmp_path, capsys):
    path = gappy_csv(tmp_path / "gappy.csv")
    out = tmp_path / "out"
    status = bench(csv_args(path, out, "--models", "pf,tide", "--seeds", "1", "--impute", "none"))
    assert status == 1  # a failed cell
    mse = clean_mse(out)
    assert list(mse.index) == ["pf"] and np.isfinite(mse).all()  # no NaN row for tide
    report = (out / "report.md").read_text()
    assert "tide__0 FAILED: NonFiniteForecastError" in report and "--impute ffill" in report
    assert "1 failed" in capsys.readouterr().out


def test_model_inputs_fill_gaps_only_for_models_that_cannot_take_nan(tmp_path):
    task = load_csv(gappy_csv(tmp_path / "g.csv"), "time", "y", past_covariates=["a", "b"],
                    future_covariates=["c"], input_chunk_length=24, horizon=6)
    before = task.past_covariates.values().copy()
    assert handles_missing_covariates("pf") and not handles_missing_covariates("tide")
    assert np.isnan(model_inputs("pf", task, "ffill")["past_covariates"].values()).any()
    for policy in ("ffill", "mean", "zero"):
        filled = model_inputs("tide", task, policy)
        assert all(np.isfinite(ts.values()).all() for ts in filled.values())
    ffilled = model_inputs("linear", task, "ffill")["past_covariates"].values()
    gap = np.flatnonzero(np.isnan(before[:, 0]))[0]
    assert ffilled[gap, 0] == before[gap - 1, 0]  # the last observed value carried forward
    np.testing.assert_array_equal(task.past_covariates.values(), before)  # the task is not modified


def test_bench_trains_on_every_window_by_default(tmp_path):
    assert BenchSettings().max_train_samples is None
    path = write_csv(tmp_path / "plant.csv")
    out = tmp_path / "out"
    argv = csv_args(path, out, "--models", "pf", "--seeds", "1")
    cut = argv.index("--max-train-samples")
    del argv[cut:cut + 2]  # the default
    assert bench(argv) == 0
    meta = json.loads(next((out / "cells").glob("*.json")).read_text())
    assert meta["settings"]["max_train_samples"] is None and meta["fit"]["train_stride"] == 1
    report = (out / "report.md").read_text()
    assert "--max-train-samples all" in report and "every training window" in report


def test_an_explicit_training_budget_is_printed_as_a_cap(tmp_path):
    path = write_csv(tmp_path / "plant.csv")
    out = tmp_path / "out"
    assert bench(csv_args(path, out, "--models", "naive-seasonal", "--seeds", "1")) == 0  # TINY caps at 64
    assert "capped" in (out / "report.md").read_text()


@pytest.mark.slow
def test_lightgbm_early_stops_on_validation_with_seasonal_lags(tmp_path):
    path = write_csv(tmp_path / "plant.csv")
    out = tmp_path / "out"
    assert bench(csv_args(path, out, "--models", "lightgbm,linear", "--seeds", "2", "--no-missing")) == 0
    records = [json.loads(p.read_text()) for p in (out / "cells").glob("*.json")]
    seeds = {model: sorted(r["seed"] for r in records if r["model"] == model) for model in ("lightgbm", "linear")}
    assert seeds == {"lightgbm": [0, 1], "linear": [0]}  # LightGBM subsamples rows and features: seeded; linear is not
    metas = {m["model"]: m for m in records}
    assert metas["linear"]["fit"]["lags"] == 24 and metas["lightgbm"]["fit"]["lags"] == 24  # hourly: 1..24
    assert 1 <= metas["lightgbm"]["fit"]["trees"] <= LIGHTGBM_MAX_TREES


@pytest.mark.parametrize("kind", ["a file in the way", "permission denied"])
def test_r07_unwritable_out_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch, kind):
    path = write_csv(tmp_path / "f.csv")
    if kind == "a file in the way":
        (tmp_path / "plain").write_text("x")
        out = tmp_path / "plain" / "sub"
    else:  # root ignores permission bits: make the folder refuse writes the way an unprivileged user sees it
        out = tmp_path / "ro_out"
        out.mkdir()
        import tempfile

        def refuse(*args, **kwargs):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(tempfile, "NamedTemporaryFile", refuse)
    argv = ["bench", *csv_args(path, out, "--models", "naive-seasonal", "--seeds", "1")]
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert f"--out {str(out)!r} cannot be written" in err and "pass a folder you can write to" in err
    assert not (out / "cells").exists()



def test_target_gaps_on_the_command_line_error_or_interpolate(tmp_path, capsys):
    y = pd.read_csv(write_csv(tmp_path / "base.csv"))["y"].to_numpy()
    path = write_csv(tmp_path / "gaps.csv", y=np.where(np.isin(np.arange(y.size), [100, 101]), np.nan, y))
    argv = ["bench", *csv_args(path, tmp_path / "out", "--models", "naive-seasonal", "--seeds", "1")]
    assert cli_main(argv) == 2
    assert "--interpolate-target" in capsys.readouterr().err
    assert cli_main([*argv, "--interpolate-target"]) == 0
    assert "--interpolate-target" in (tmp_path / "out" / "report.md").read_text()  # the resolved command
    assert np.isfinite(clean_mse(tmp_path / "out")).all()


def test_ctrl_c_in_bench_is_one_line_and_keeps_the_finished_cells(tmp_path, capsys, monkeypatch):
    from pf_forecast.benchmark import runner

    path = write_csv(tmp_path / "f.csv")
    out = tmp_path / "out"
    real = runner.run_cell

    def interrupt_second(task, cell, settings):
        if cell.model == "linear":
            raise KeyboardInterrupt
        return real(task, cell, settings)

    monkeypatch.setattr(runner, "run_cell", interrupt_second)
    assert cli_main(["bench", *csv_args(path, out, "--models", "naive-seasonal,linear", "--seeds", "1")]) == 130
    err = capsys.readouterr().err
    assert "interrupted. Finished cells are kept" in err and "Traceback" not in err
    assert sorted(p.name for p in (out / "cells").glob("*.csv")) == ["f__past+future__naive-seasonal__0.csv"]


def test_a_cell_computed_with_other_model_defaults_is_not_reused(tmp_path, monkeypatch):
    from pf_forecast.benchmark import models as zoo

    path = write_csv(tmp_path / "f.csv")
    out = tmp_path / "out"
    argv = csv_args(path, out, "--models", "linear", "--seeds", "1", "--no-missing")
    assert bench(argv) == 0
    meta = json.loads(next((out / "cells").glob("*.json")).read_text())
    assert meta["model_config"]["output_chunk_length"] == "6"
    assert bench(argv) == 0  # same defaults: reused
    real = zoo.LinearRegressionModel
    monkeypatch.setattr(zoo, "LinearRegressionModel", lambda **kw: real(**{**kw, "multi_models": False}))
    with pytest.raises(ValueError, match=r"holds cell 'f__past\+future__linear__0', computed with other linear "
                                         r"hyper-parameters \(multi_models: True -> False\).*delete "
                                         r"f__past\+future__linear__0\.csv"):
        bench(argv)
