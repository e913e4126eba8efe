"""Tests of ``pf-forecast bench``: the quick suite end to end, resume, a user CSV, bad inputs, atomic cells."""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
import pandas as pd
import pytest
import torch
from darts import TimeSeries

from pf_forecast import ProgressiveFusionForecaster, benchmark
from pf_forecast.benchmark import (
    RESULT_COLUMNS,
    BenchSettings,
    add_bench_arguments,
    make_model,
    parse_seeds,
    run_bench,
    shrink_task,
)
from pf_forecast.benchmark import runner as bench_runner
from pf_forecast.benchmark.models import (
    MODEL_NAMES,
    RestoreBestWeights,
    applicability,
    linear_lags,
    model_inputs,
    trainer_kwargs,
    tree_lags,
)
from pf_forecast.benchmark.runner import Cell, atomic_write_text, plan_cells, pooled_errors
from pf_forecast.data import load_csv
from pf_forecast.training import average_states, validation_loss

# the smallest settings that still exercise every stage (used for the CSV and failure tests)
TINY = ["--max-epochs", "1", "--patience", "1", "--max-train-samples", "64", "--profile", "tiny",
        "--levels", "0,0.5", "--no-progress"]


def bench(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="pf-forecast bench")
    add_bench_arguments(parser)
    return run_bench(parser.parse_args(argv))


def write_csv(path, n: int = 480, seed: int = 0, **changes) -> str:
    """Hourly synthetic data: target y driven by past covariates a, b and a future covariate c."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    a, b, c = np.sin(t / 6), np.cos(t / 10), np.sin(2 * np.pi * t / 24)
    frame = pd.DataFrame({
        "time": pd.date_range("2024-01-01", periods=n, freq="h"),
        "y": a + 0.5 * b + c + 0.1 * rng.standard_normal(n),
        "a": a, "b": b, "c": c,
    })
    for key, value in changes.items():
        frame[key] = value
    frame.to_csv(path, index=False)
    return str(path)


def csv_args(path, out, *extra: str) -> list[str]:
    return ["--csv", str(path), "--time-col", "time", "--target", "y", "--past-covariates", "a,b",
            "--future-covariates", "c", "--modality", "ab=a,b", "--modality", "cal=c",
            "--input-chunk-length", "24", "--horizon", "6", "--out", str(out), *TINY, *extra]


def cell_files(out) -> dict[str, float]:
    cells = out / "cells"
    return {p.name: p.stat().st_mtime_ns for p in cells.iterdir()} if cells.is_dir() else {}


# ---------------------------------------------------------------------------------------------------------------
# the quick suite
# ---------------------------------------------------------------------------------------------------------------
# the quick suite runs once per module (~7 s on a busy 2-core box): every test using it is `slow`
@pytest.fixture(scope="module")
def quick_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "quick"
    assert bench(["--suite", "quick", "--out", str(out), "--no-progress"]) == 0
    return out


@pytest.mark.slow
def test_quick_suite_writes_results_report_and_plot(quick_out):
    results = pd.read_csv(quick_out / "results.csv")
    assert list(results.columns) == list(RESULT_COLUMNS)
    assert {"pf", "pf-late", "tide"} <= set(results.model)
    assert set(results.dataset) == {"epf-NP-quick"} and set(results.track) == {"past"}
    for model in ("pf", "pf-late", "tide"):
        rows = results[results.model == model]
        clean = rows[rows.corruption == "none"].set_index("metric").value
        assert np.isfinite(clean[["mse", "mae"]]).all() and clean["hf_windows_per_s"] > 0
        noise = rows[(rows.corruption == "multibench") & (rows.metric == "mse")]
        assert sorted(noise.level) == [0.0, 0.4, 0.8]
        assert {"missing:grid_load", "missing:wind_power"} <= set(rows.corruption)
        assert rows.fit_seconds.gt(0).all() and rows.predict_seconds.gt(0).all() and rows.n_params.gt(0).all()
    # non-torch models: no parameter count; local models are not swept (they read no covariates)
    naive = results[results.model == "naive-seasonal"]
    assert naive.n_params.isna().all() and set(naive.corruption) == {"none"}
    assert results[results.model == "linear"].n_params.isna().all()

    report = (quick_out / "report.md").read_text()
    for heading in ("## Command", "## Machine", "## Settings", "## Clean test metrics",
                    "## Robustness to MultiBench noise", "## Missing modalities", "## Speed"):
        assert heading in report
    assert "| pf-late |" in report and "effective vs pf-late" in report and "fit / tide" in report
    assert "--suite quick" in report and "--max-train-samples 512" in report and "--test-stride 1" in report
    plots = list((quick_out / "plots").glob("*.png"))
    assert plots and plots[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_quick_suite_rerun_reuses_every_cell(quick_out, monkeypatch, capsys):
    before = cell_files(quick_out)

    def no_fit(*args, **kwargs):
        raise AssertionError("a finished cell was fitted again")

    monkeypatch.setattr(bench_runner, "run_cell", no_fit)
    assert bench(["--suite", "quick", "--out", str(quick_out), "--no-progress"]) == 0
    assert "0 cells run, 5 reused" in capsys.readouterr().out
    assert cell_files(quick_out) == before
    assert len(pd.read_csv(quick_out / "results.csv")) > 0


@pytest.mark.slow
def test_bad_input_on_an_existing_out_loses_nothing(quick_out):
    before = cell_files(quick_out)
    with pytest.raises(ValueError, match="nope"):
        bench(["--suite", "quick", "--models", "pf,nope", "--out", str(quick_out), "--no-progress"])
    with pytest.raises(ValueError, match="other settings.*max_epochs"):
        bench(["--suite", "quick", "--max-epochs", "3", "--out", str(quick_out), "--no-progress"])
    assert cell_files(quick_out) == before


# ---------------------------------------------------------------------------------------------------------------
# a user's CSV
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_csv_run(tmp_path, capsys):
    path = write_csv(tmp_path / "plant.csv")
    out = tmp_path / "out"
    assert bench(csv_args(path, out, "--models", "pf,pf-early,tcn,linear,naive-seasonal", "--seeds", "2")) == 0
    results = pd.read_csv(out / "results.csv")
    assert list(results.columns) == list(RESULT_COLUMNS)
    assert set(results.dataset) == {"plant"} and set(results.track) == {"past+future"}
    assert sorted(results[results.model == "pf"].seed.unique()) == [0, 1]
    assert results[results.model == "linear"].seed.unique().tolist() == [0]  # deterministic: one run
    assert {"none", "multibench", "missing:ab", "missing:cal"} <= set(results.corruption)
    clean = results[(results.corruption == "none") & (results.metric == "n_test_windows")]
    assert (clean.value == 480 - int(0.7 * 480) - int(0.1 * 480) - 6 + 1).all()
    assert "plant / past+future" in (out / "report.md").read_text()
    assert "8 cells run" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------------------------
# bad inputs: clear errors before any training
# ---------------------------------------------------------------------------------------------------------------
def test_missing_dataset_file_propagates_data_error(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(FileNotFoundError, match="ett/ETTh1.csv"):
        bench(["--suite", "etth1", "--data-dir", str(tmp_path / "empty"), "--out", str(out), "--no-progress"])
    assert not out.exists()


def test_unknown_suite_lists_valid_ones(tmp_path):
    with pytest.raises(ValueError, match=r"unknown suite 'nope'.*quick.*epf"):
        bench(["--suite", "nope", "--out", str(tmp_path / "out")])


def test_unknown_model_lists_valid_ones(tmp_path):
    with pytest.raises(ValueError, match=r"unknown model\(s\) \['prophet'\].*tide"):
        bench(["--suite", "quick", "--models", "pf,prophet", "--out", str(tmp_path / "out")])


def test_unknown_track(tmp_path):
    with pytest.raises(ValueError, match=r"'oracle'.*\['past', 'future'\]"):
        bench(["--suite", "epf", "--tracks", "oracle", "--out", str(tmp_path / "out")])


def test_datasets_select_tasks_of_the_suite(tmp_path, capsys):
    with pytest.raises(ValueError, match=r"--datasets: \['epf-XX'\] not in suite 'epf'.*'epf-NP'"):
        bench(["--suite", "epf", "--datasets", "epf-XX", "--out", str(tmp_path / "bad")])
    with pytest.raises(ValueError, match="--datasets 'epf-NP' selects tasks of a suite"):
        bench(csv_args(write_csv(tmp_path / "data.csv"), tmp_path / "csv", "--datasets", "epf-NP"))
    out = tmp_path / "out"
    assert bench(["--suite", "epf", "--datasets", "epf-NP", "--tracks", "past", "--models", "naive-seasonal",
                  "--out", str(out), "--no-progress", "--no-missing"]) == 0
    results = pd.read_csv(out / "results.csv")
    assert set(zip(results.dataset, results.track)) == {("epf-NP", "past")}
    assert "--datasets epf-NP" in (out / "report.md").read_text()


@pytest.mark.parametrize("seeds", ["0", "-1,", "a,b", "1,1"])
def test_bad_seeds(tmp_path, seeds):
    with pytest.raises(ValueError, match=f"--seeds {seeds!r}"):
        bench(["--suite", "quick", f"--seeds={seeds}", "--out", str(tmp_path / "out")])


def test_csv_missing_column(tmp_path):
    path = write_csv(tmp_path / "data.csv")
    argv = csv_args(path, tmp_path / "out")
    argv[argv.index("--target") + 1] = "price"
    with pytest.raises(ValueError, match=r"target: columns \['price'\] are not in the file"):
        bench(argv)


@pytest.mark.parametrize(("times", "message"), [
    (lambda t: t[::-1], "not increasing"),
    (lambda t: np.r_[t[:1], t[:-1]], "duplicate timestamps"),
])
def test_csv_bad_timestamps(tmp_path, times, message):
    stamps = pd.date_range("2024-01-01", periods=480, freq="h").to_numpy()
    path = write_csv(tmp_path / "data.csv", time=times(stamps))
    with pytest.raises(ValueError, match=message):
        bench(csv_args(path, tmp_path / "out"))


def test_csv_too_short(tmp_path):
    path = write_csv(tmp_path / "short.csv", n=40)
    with pytest.raises(ValueError, match=r"the train split has 28 rows but needs at least 30"):
        bench(csv_args(path, tmp_path / "out"))


def test_csv_options_without_csv_and_incomplete_csv(tmp_path):
    with pytest.raises(ValueError, match="--horizon.*only apply with --csv"):
        bench(["--horizon", "6", "--out", str(tmp_path / "out")])
    path = write_csv(tmp_path / "data.csv")
    with pytest.raises(ValueError, match="needs --input-chunk-length"):
        bench(["--csv", path, "--time-col", "time", "--target", "y", "--horizon", "6", "--out", str(tmp_path)])
    with pytest.raises(ValueError, match="--modality 'ab'"):
        bench(csv_args(path, tmp_path / "out", "--modality", "ab"))


def test_out_is_an_existing_file(tmp_path):
    target = tmp_path / "results.txt"
    target.write_text("keep me")
    with pytest.raises(ValueError, match=r"--out '.*results\.txt' is an existing file"):
        bench(["--suite", "quick", "--out", str(target)])
    assert target.read_text() == "keep me"


@pytest.mark.parametrize(("option", "value"), [("--levels", "0.2,0.4"), ("--test-stride", "0"),
                                               ("--max-train-samples", "-5"), ("--threads", "0")])
def test_bad_numeric_options(tmp_path, option, value):
    with pytest.raises(ValueError, match=f"{option} "):
        bench(["--suite", "quick", f"{option}={value}", "--out", str(tmp_path / "out")])


# ---------------------------------------------------------------------------------------------------------------
# atomic cells
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_exception_mid_cell_leaves_no_partial_file(tmp_path, monkeypatch):
    path = write_csv(tmp_path / "data.csv")
    out = tmp_path / "out"
    calls = {"n": 0}
    real = bench_runner.evaluate_robustness

    def flaky(*args, **kwargs):  # the second model dies in the middle of its cell (after fitting)
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("simulated crash mid-cell")
        return real(*args, **kwargs)

    monkeypatch.setattr(bench_runner, "evaluate_robustness", flaky)
    with pytest.raises(RuntimeError, match="simulated crash"):
        bench(csv_args(path, out, "--models", "dlinear,tide", "--seeds", "0,"))
    names = sorted(p.name for p in (out / "cells").iterdir())
    assert names == ["data__past+future__dlinear__0.csv", "data__past+future__dlinear__0.json"]
    results = pd.read_csv(out / "results.csv")  # regenerated from the finished cell despite the crash
    assert set(results.model) == {"dlinear"}
    stopped = json.loads((out / "runs.jsonl").read_text().splitlines()[-1])  # the log says what the run finished
    assert stopped["status"].startswith("stopped: RuntimeError")
    assert stopped["ran"] == ["data__past+future__dlinear__0"]

    monkeypatch.setattr(bench_runner, "evaluate_robustness", real)  # resume: only the missing cell runs
    assert bench(csv_args(path, out, "--models", "dlinear,tide", "--seeds", "0,")) == 0
    assert set(pd.read_csv(out / "results.csv").model) == {"dlinear", "tide"}


def test_atomic_write_text_keeps_old_content_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "cells" / "x.csv"
    atomic_write_text(target, "old\n")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new, but interrupted\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in target.parent.iterdir()] == ["x.csv"]


# ---------------------------------------------------------------------------------------------------------------
# pieces
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_task(tmp_path_factory):
    path = write_csv(tmp_path_factory.mktemp("task") / "small.csv")
    return load_csv(path, "time", "y", past_covariates=["a", "b"], future_covariates=["c"],
                    input_chunk_length=24, horizon=6)


def test_parse_seeds():
    assert parse_seeds("3") == [0, 1, 2]
    assert parse_seeds("0,5,9") == [0, 5, 9]
    assert parse_seeds("7,") == [7]


def _ar_series(n: int = 800) -> tuple[TimeSeries, TimeSeries]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 2)).astype(np.float32)
    y = np.zeros(n, dtype=np.float32)
    for t in range(2, n):
        y[t] = 0.5 * y[t - 1] - 0.2 * y[t - 2] + 0.8 * x[t - 1, 0] - 0.3 * x[t - 2, 1] + 0.5 * rng.standard_normal()
    return TimeSeries.from_values(y[:, None]), TimeSeries.from_values(x)


@pytest.mark.parametrize("lr", [1e-3, 5.0])
def test_restore_best_weights_counts_the_starting_weights(lr):
    """With the whole validation set checked before training, a model that starts as its least-squares linear
    model keeps that start when training only makes it worse (a learning rate that diverges)."""
    target, covs = _ar_series()
    restore = RestoreBestWeights()
    model = ProgressiveFusionForecaster(
        input_chunk_length=8, output_chunk_length=2, n_epochs=3, hidden_size=8, use_covariate_skip=True,
        fit_linear_skips=True, optimizer_kwargs={"lr": lr}, random_state=0,
        pl_trainer_kwargs=trainer_kwargs([restore], accelerator="cpu"))
    model.fit(target[:600], past_covariates=covs, val_series=target[600:], val_past_covariates=covs)
    assert restore.best_epoch is not None and restore.best_epoch >= -1
    if lr > 1:  # a diverging run: nothing beats the start
        assert restore.best_epoch == -1
    val_loss = model.trainer.callback_metrics["val_loss"]  # the last epoch's
    assert restore.best <= float(val_loss) + 1e-9


def test_restore_best_weights_keeps_the_average_only_where_it_validates_lower():
    """average_top_k=3: the weights left after training are the top-3 average exactly when its recomputed
    validation loss is below the best epoch's, else the best epoch's; either way their validation loss is the
    lower of the two."""
    target, covs = _ar_series()
    restore = RestoreBestWeights(average_top_k=3)
    model = ProgressiveFusionForecaster(
        input_chunk_length=8, output_chunk_length=2, n_epochs=5, hidden_size=8, random_state=1,
        pl_trainer_kwargs=trainer_kwargs([restore], accelerator="cpu"))
    model.fit(target[:600], past_covariates=covs, val_series=target[600:], val_past_covariates=covs)
    final = validation_loss(model.trainer, model.model)
    assert restore.average_loss is not None and np.isfinite(restore.average_loss)
    if restore.averaged_epochs is None:
        assert restore.average_loss >= restore.best and final == pytest.approx(restore.best, rel=1e-5)
    else:
        assert restore.average_loss < restore.best and final == pytest.approx(restore.average_loss, rel=1e-6)
        assert len(restore.averaged_epochs) == 3 and restore.averaged_epochs[0] == restore.best_epoch


@pytest.mark.parametrize("average_wins", [True, False])
def test_restore_best_weights_gate(monkeypatch, average_wins):
    """The gate alone: three snapshots of a linear layer, the average's validation loss set either side of the best."""
    import pf_forecast.training as training

    layer = torch.nn.Linear(2, 1)
    restore = RestoreBestWeights(average_top_k=3)
    states = [{k: torch.full_like(v, float(i)) for k, v in layer.state_dict().items()} for i in (1, 2, 6)]
    restore._snapshots = [(0.5, 4, states[0]), (0.6, 2, states[1]), (0.7, 7, states[2])]
    restore.best, restore.best_epoch = 0.5, 4
    monkeypatch.setattr(training, "validation_loss", lambda trainer, module: 0.4 if average_wins else 0.55)
    restore.on_train_end(None, layer)
    expected = 3.0 if average_wins else 1.0  # mean of 1, 2, 6; else the best snapshot
    assert torch.equal(layer.weight, torch.full_like(layer.weight, expected))
    assert restore.averaged_epochs == ([4, 2, 7] if average_wins else None)
    assert restore.average_loss == (0.4 if average_wins else 0.55)


def test_average_states_and_average_top_k_checks():
    states = [{"w": torch.tensor([1.0, 3.0]), "n": torch.tensor(5)}, {"w": torch.tensor([3.0, 5.0]), "n": torch.tensor(9)}]
    averaged = average_states(states)
    assert torch.equal(averaged["w"], torch.tensor([2.0, 4.0])) and int(averaged["n"]) == 5  # counters: the first's
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match=f"`average_top_k` .*got {bad!r}"):
            RestoreBestWeights(average_top_k=bad)


def test_average_top_k_setting_reaches_every_neural_model_and_leaves_the_fingerprint_at_1(small_task):
    default, averaged = BenchSettings(), BenchSettings(average_top_k=3)
    assert "average_top_k" not in default.fingerprint() and averaged.fingerprint()["average_top_k"] == 3
    for name in ("pf", "tide"):
        callbacks = make_model(name, small_task, seed=0, settings=averaged).trainer_params["callbacks"]
        assert [cb.average_top_k for cb in callbacks if isinstance(cb, RestoreBestWeights)] == [3]
    parser = argparse.ArgumentParser()
    add_bench_arguments(parser)
    args = parser.parse_args(["--suite", "quick", "--average-top-k", "3"])
    assert benchmark.resolve_settings(args, benchmark.get_suite("quick")).average_top_k == 3
    with pytest.raises(ValueError, match="--average-top-k 0 is not valid"):
        benchmark.resolve_settings(parser.parse_args(["--suite", "quick", "--average-top-k", "0"]),
                                   benchmark.get_suite("quick"))
    with pytest.raises(ValueError, match="average_top_k=0 must be a positive integer"):
        BenchSettings(average_top_k=0)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_make_model_builds_every_model(small_task, name, tmp_path):
    settings = BenchSettings(max_epochs=1, profile="tiny", work_dir=str(tmp_path))
    model = make_model(name, small_task, seed=3, settings=settings)
    if name.startswith("pf") or name in ("tide", "tsmixer", "tcn", "nhits", "dlinear"):
        assert model.model_params["random_state"] == 3 and model.n_epochs == 1
        callbacks = model.trainer_params["callbacks"]
        assert any(isinstance(cb, RestoreBestWeights) for cb in callbacks)
        assert any(type(cb).__name__ == "EarlyStopping" and cb.patience == settings.patience for cb in callbacks)
    if name == "pf-late":
        assert model.n_refinements == 1
    if name == "pf-early":  # one modality per source holding every covariate of it
        assert model.modalities == {"all_past": ["a", "b"], "all_future": ["c"]}
    if name in ("tcn", "nhits"):  # no future-covariate support: future covariates read as past ones
        inputs = model_inputs(name, small_task)
        assert inputs["future_covariates"] is None and list(inputs["past_covariates"].components) == ["a", "b", "c"]
    expected = {"pf": "ProgressiveFusionForecaster", "tide": "TiDEModel", "tsmixer": "TSMixerModel",
                "tcn": "TCNModel", "nhits": "NHiTSModel", "dlinear": "DLinearModel",
                "linear": "LinearRegressionModel", "lightgbm": "LightGBMModel", "naive-seasonal": "NaiveSeasonal",
                "arima": "ARIMA", "exp-smoothing": "ExponentialSmoothing"}
    assert type(model).__name__ == expected["pf" if name.startswith("pf") else name]
    if name in ("linear", "lightgbm"):  # lags of the target and both covariate sources, one output chunk
        lags = (list(range(-linear_lags(small_task), 0)) if name == "linear"
                else sorted(-lag for lag in tree_lags(small_task)))
        assert model.lags["target"] == lags and model.output_chunk_length == small_task.horizon
        assert model.lags["past"] == lags and model.lags["future"][-1] == small_task.horizon - 1
    if name == "lightgbm":
        assert model.kwargs["n_jobs"] == 1 and model.kwargs["random_state"] == 3
        assert model.kwargs["subsample"] == 0.5 and model.kwargs["subsample_freq"] == 1  # bagging is on
    if name == "naive-seasonal":
        assert model.K == 24  # hourly data: the daily season


def test_plan_cells_runs_deterministic_models_once_and_documents_exclusions(small_task):
    settings = BenchSettings()
    cells, excluded = plan_cells([small_task], ["pf", "linear", "naive-seasonal", "arima"], [0, 1, 2], settings)
    keys = [cell.key for _, cell in cells]
    assert keys.count("small__past+future__pf__1") == 1 and len([k for k in keys if "__pf__" in k]) == 3
    assert [k for k in keys if "linear" in k] == ["small__past+future__linear__0"]
    assert excluded == []  # a small series: ARIMA refits are tractable
    from pf_forecast.data import load_task

    big = BenchSettings(test_stride=1)
    reason = applicability("arima", load_task("epf-NP"), big)
    assert reason is not None and "intractable" in reason and "--test-stride" in reason


def test_shrink_task_keeps_protocol_proportions():
    task = benchmark.SUITES["quick"].tasks[0].load()
    assert task.name == "epf-NP-quick" and len(task.series) == 2400
    assert task.split_index() == (1680, 1920)
    assert len(task.past_covariates) == 2400 and task.input_chunk_length == 168
    with pytest.raises(ValueError, match="rows=100"):
        shrink_task(task, 100)


def test_pooled_errors_pool_windows_and_steps(small_task):
    series = small_task.series
    window = series[300:306]
    shifted = window.with_values(window.values() + 1.0)
    assert pooled_errors(series, [window, shifted]) == pytest.approx({"mse": 0.5, "mae": 0.5})


def test_cell_key_is_file_safe():
    assert Cell("my data/1", "past+future", "pf-late", 2).key == "my_data_1__past+future__pf-late__2"


def test_report_quotes_published_epf_numbers_and_scores(tmp_path):
    rows = []
    for model, slope in (("pf", 0.1), ("pf-late", 0.3), ("tide", 0.5)):
        for seed in (0, 1):
            common = {"dataset": "epf-NP", "track": "past", "model": model, "seed": seed,
                      "fit_seconds": 10.0 * (1 + (model == "pf")), "predict_seconds": 0.01, "n_params": 100.0}
            rows += [{**common, "corruption": "none", "level": 0.0, "metric": "mse", "value": 0.3 + 0.01 * seed},
                     {**common, "corruption": "none", "level": 0.0, "metric": "mae", "value": 0.3}]
            rows += [{**common, "corruption": "multibench", "level": p, "metric": "mse", "value": 0.3 + slope * p}
                     for p in (0.0, 0.4, 0.8)]
    report = benchmark.write_report(tmp_path, pd.DataFrame(rows, columns=list(RESULT_COLUMNS))).read_text()
    assert "published MSE / MAE" in report and "| tide | 0.305 ± 0.007 | 0.300 ± 0.000 | 2 |" in report
    assert "0.335 / 0.340" in report and "TimeXer 0.236 / 0.268" in report
    # relative robustness = trapezoid area; effective robustness against pf-late; pf twice as slow to fit as tide
    assert "| pf | 0.300 ± 0.000 | 0.380 ± 0.000 | 0.2720 ± 0.0000 | -0.2400 ± 0.0000 | 1.000 | 1.000 |" in report
    assert "| pf | 20.0 ± 0.0 | 10.0 ± 0.0 |" in report and "| 2.00 ± 0.00 | 1.00 ± 0.00 |" in report
    assert (tmp_path / "plots" / "noise_epf-NP__past.png").is_file()


# ---------------------------------------------------------------------------------------------------------------
# where the models train: --accelerator / --devices, outside the settings fingerprint
# ---------------------------------------------------------------------------------------------------------------
def test_accelerator_and_devices_reach_the_trainer_and_stay_out_of_the_fingerprint(small_task, tmp_path):
    default = BenchSettings()
    assert (default.accelerator, default.devices) == ("auto", "auto")
    assert default.trainer_devices() == {"accelerator": "auto", "devices": 1}  # auto: one device
    on_cpu = BenchSettings(accelerator="cpu", devices=1)
    assert on_cpu.fingerprint() == default.fingerprint() and "accelerator" not in default.fingerprint()
    for name, settings in (("pf", default), ("tide", on_cpu), ("nhits", BenchSettings(devices="1,"))):
        params = make_model(name, small_task, seed=0, settings=settings).trainer_params
        assert (params["accelerator"], params["devices"]) == (settings.accelerator,
                                                              settings.trainer_devices()["devices"])
    with pytest.raises(ValueError, match="accelerator='tpu'"):
        BenchSettings(accelerator="tpu")
    for bad in (0, 2, True, "two", "1,,2", "0,2", "2"):
        with pytest.raises(ValueError, match="devices="):
            BenchSettings(devices=bad)


def test_accelerator_options_resolve_and_are_spelled_out(tmp_path):
    parser = argparse.ArgumentParser()
    add_bench_arguments(parser)
    args = parser.parse_args(["--suite", "quick", "--accelerator", "cpu", "--devices", "1"])
    settings = benchmark.resolve_settings(args, benchmark.get_suite("quick"))
    assert (settings.accelerator, settings.devices) == ("cpu", 1)
    args = parser.parse_args(["--suite", "quick", "--devices", "1,"])
    assert benchmark.resolve_settings(args, benchmark.get_suite("quick")).devices == "1,"
    for bad in ("0", "2", "0,2"):
        with pytest.raises(ValueError, match=f"--devices '{bad}' is not valid; every model trains on one device"):
            bench(["--suite", "quick", "--devices", bad, "--out", str(tmp_path / "out")])
    assert not (tmp_path / "out").exists()


def test_a_cell_records_where_it_trained_and_resumes_on_another_accelerator(tmp_path, monkeypatch, capsys):
    path = write_csv(tmp_path / "data.csv")
    out = tmp_path / "out"
    assert bench(csv_args(path, out, "--models", "dlinear", "--seeds", "0,", "--accelerator", "cpu")) == 0
    meta = json.loads(next((out / "cells").glob("*.json")).read_text())
    assert meta["fit"]["device"] == "cpu" and meta["accelerator"] == "cpu" and "accelerator" not in meta["settings"]
    record = json.loads((out / "runs.jsonl").read_text().splitlines()[-1])
    assert "--accelerator cpu --devices auto" in record["command"]
    assert "Neural models trained on: cpu" in (out / "report.md").read_text()

    def no_fit(*args, **kwargs):
        raise AssertionError("a finished cell was fitted again")

    monkeypatch.setattr(bench_runner, "run_cell", no_fit)
    capsys.readouterr()
    assert bench(csv_args(path, out, "--models", "dlinear", "--seeds", "0,", "--accelerator", "auto")) == 0
    assert "0 cells run, 1 reused" in capsys.readouterr().out


def test_cells_from_before_the_newer_settings_resume(tmp_path, small_task):
    """Sidecars written before ``impute``, ``faults`` and ``probabilistic`` existed count as zero / off / off."""
    settings = BenchSettings(impute="zero")
    cells, _ = plan_cells([small_task], ["linear"], [0], settings)
    cell = cells[0][1]
    old = {k: v for k, v in settings.fingerprint().items() if k not in ("impute", "faults", "probabilistic")}
    atomic_write_text(cell.meta_path(tmp_path), json.dumps({"settings": old}))
    atomic_write_text(cell.csv_path(tmp_path), "x\n")
    bench_runner._check_existing(tmp_path, cells, settings)  # no error: the same settings
    with pytest.raises(ValueError, match=r"probabilistic: False -> True"):
        bench_runner._check_existing(tmp_path, cells, BenchSettings(impute="zero", probabilistic=True))


def test_a_committed_run_resumes_with_its_recorded_command():
    """benchmarks/stocks/: its last recorded command (+ --impute zero: recorded before the option) plans no cell."""
    import shlex
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "benchmarks" / "stocks"
    assert (folder / "runs.jsonl").is_file(), f"the committed stocks results are missing from {folder}"
    command = json.loads((folder / "runs.jsonl").read_text().splitlines()[-1])["command"]
    parser = argparse.ArgumentParser()
    add_bench_arguments(parser)
    args = parser.parse_args(shlex.split(command)[2:] + ([] if "--impute" in command else ["--impute", "zero"]))
    suite = benchmark.get_suite(args.suite)
    settings = benchmark.resolve_settings(args, suite)
    tasks = [spec.load() for spec in suite.tasks]
    cells, _ = plan_cells(tasks, args.models.split(","), parse_seeds(args.seeds), settings)
    assert cells and all(cell.csv_path(folder).is_file() for _, cell in cells)
    bench_runner._check_existing(folder, cells, settings)
