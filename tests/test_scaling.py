"""Tests of the scaling study (``benchmarks/scaling_study.py``) in its tiny configuration (``--profile tiny``)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))  # a repository script, not installed

import scaling_study as scaling_module  # noqa: E402
from scaling_study import (  # noqa: E402
    SCALING_COLUMNS,
    SCALING_PROFILES,
    ScalingConfig,
    loglog_slope,
    run_scaling,
)

from pf_forecast.benchmark import add_bench_arguments, run_bench  # noqa: E402

TINY = SCALING_PROFILES["tiny"]
EXPECTED_POINTS = {(axis, value, model) for axis, values in (("modalities", (1, 4)), ("n_series", (1, 10)),
                                                              ("input_length", (24, 48)))
                   for value in values for model in ("pf", "tide")}


def bench(argv: list[str]) -> int:
    """The study's command with parsed options (errors raise, as ``pf-forecast bench``'s do)."""
    return scaling_module.run_study(scaling_module.build_parser().parse_args(argv))


def scaling_args(out, *extra: str) -> list[str]:
    return ["--profile", "tiny", "--out", str(out), "--no-progress", *extra]


def point_files(out) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (out / "points").iterdir()}


# the tiny study (12 points, ~70 s on a busy 2-core box) runs once per module: every test using it is `slow`
@pytest.fixture(scope="module")
def tiny_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("scaling") / "tiny"
    assert bench(scaling_args(out)) == 0
    return out


@pytest.mark.slow
def test_tiny_suite_writes_one_row_per_point_and_model(tiny_out):
    results = pd.read_csv(tiny_out / "results.csv")
    assert list(results.columns) == list(SCALING_COLUMNS)
    assert list(results.columns[:7]) == ["axis", "value", "model", "seconds_per_epoch", "peak_rss_mb", "n_params",
                                         "windows_per_epoch"]
    points = list(zip(results.axis, results.value, results.model))
    assert len(points) == len(set(points)) == 12 and set(points) == EXPECTED_POINTS
    for column in ("seconds_per_epoch", "n_params", "windows_per_epoch", "fit_seconds"):
        assert np.isfinite(results[column]).all() and (results[column] > 0).all(), column
    # the RSS increase of a tiny fit can round to nothing; it is never negative or missing
    assert np.isfinite(results.peak_rss_mb).all() and (results.peak_rss_mb >= 0).all()
    assert (results.windows_per_epoch == 120).all()  # W // n windows per series: 120 x 1 and 12 x 10
    assert results.epoch_seconds.str.split(";").map(len).eq(2).all()  # 2 epochs, the first one = warm-up
    assert results.epochs.eq(2).all()
    ten = results[(results.axis == "n_series") & (results.value == 10)]
    assert ten.samples_per_series.eq(12).all() and ten.series_length.eq(60).all()
    m4 = results[(results.axis == "modalities") & (results.value == 4) & (results.model == "pf")]
    m1 = results[(results.axis == "modalities") & (results.value == 1) & (results.model == "pf")]
    assert m4.n_params.iloc[0] > m1.n_params.iloc[0]  # one encoder group per modality

    assert len(list((tiny_out / "points").glob("*.json"))) == 12
    assert not [p for p in tiny_out.rglob("*") if p.name.endswith(".tmp") or ".tmp." in p.name]
    report = (tiny_out / "report.md").read_text()
    for heading in ("## Command", "## Machine", "## Method", "## Exponents", "## modalities M",
                    "## number of series", "## input length", "## Targets"):
        assert heading in report, heading
    assert "| modalities | pf | 2 |" in report and "pf / tide time" in report
    assert "benchmarks/scaling_study.py --out" in report and "ru_maxrss" in report
    plot = tiny_out / "plots" / "scaling.png"
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_rerun_skips_finished_points(tiny_out, monkeypatch, capsys):
    before = point_files(tiny_out)

    def no_measure(point):
        raise AssertionError(f"finished point {point.key} was measured again")

    monkeypatch.setattr(scaling_module, "_run_in_child", no_measure)
    assert bench(scaling_args(tiny_out)) == 0
    assert "0 points run, 12 reused" in capsys.readouterr().out
    assert point_files(tiny_out) == before
    assert len(pd.read_csv(tiny_out / "results.csv")) == 12


@pytest.mark.slow
def test_other_settings_on_the_same_out_are_refused(tiny_out):
    before = point_files(tiny_out)
    with pytest.raises(ValueError, match=r"other settings \(epochs: 2 -> 3\)"):
        bench(scaling_args(tiny_out, "--epochs", "3"))
    assert point_files(tiny_out) == before


@pytest.mark.parametrize(("extra", "message"), [
    (["--models", "pf,nhits"], r"--models 'pf,nhits' is not valid for the scaling study"),
    (["--windows-per-epoch", "all"], "--windows-per-epoch 'all' is not valid"),
    (["--batch-size", "0"], "--batch-size '0'"),
    (["--epochs", "-1"], "--epochs '-1' is not valid"),
])
def test_bad_options(tmp_path, extra, message):
    with pytest.raises(ValueError, match=message):
        bench(scaling_args(tmp_path / "out", *extra))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("option", [["--seeds", "2"], ["--levels", "0,0.5"], ["--tracks", "past"], ["--csv", "x"]])
def test_bench_options_are_not_study_options(option, capsys):
    with pytest.raises(SystemExit) as stop:
        scaling_module.build_parser().parse_args(["--profile", "tiny", *option])
    assert stop.value.code == 2 and "unrecognized arguments" in capsys.readouterr().err


def test_main_reports_a_bad_option_in_one_line(tmp_path, capsys):
    assert scaling_module.main(scaling_args(tmp_path / "out", "--threads", "0")) == 2
    err = capsys.readouterr().err
    assert err.startswith("scaling study: error: --threads '0' is not valid") and len(err.strip().splitlines()) == 1


def test_bench_suite_scaling_points_to_the_study(tmp_path):
    parser = argparse.ArgumentParser(prog="pf-forecast bench")
    add_bench_arguments(parser)
    for argv in (["--suite", "scaling"], ["--suite", "scaling", "--csv", str(tmp_path / "x.csv")]):
        with pytest.raises(ValueError, match=r"moved to the repository script benchmarks/scaling_study\.py"):
            run_bench(parser.parse_args([*argv, "--out", str(tmp_path / "out")]))
    assert not (tmp_path / "out").exists()


def test_committed_points_are_read_and_resumed_without_measuring(tmp_path, monkeypatch, capsys):
    """benchmarks/scaling/: its recorded settings are the default profile's, so the study reuses every point."""
    import shutil

    committed = Path(__file__).resolve().parents[1] / "benchmarks" / "scaling"
    assert (committed / "points").is_dir(), f"the committed scaling points are missing from {committed}"
    out = tmp_path / "scaling"
    shutil.copytree(committed, out)

    def no_measure(point):
        raise AssertionError(f"committed point {point.key} was measured again")

    monkeypatch.setattr(scaling_module, "_run_in_child", no_measure)
    monkeypatch.setattr(scaling_module, "scaling_plot", lambda results, path: None)  # the plot is not the point
    assert bench(["--out", str(out), "--no-progress"]) == 0
    assert "0 points run, 24 reused" in capsys.readouterr().out
    assert len(pd.read_csv(out / "results.csv")) == 24
    assert json.loads((out / "runs.jsonl").read_text().splitlines()[-1])["status"] == "finished"


@pytest.mark.skipif(TINY.start_method != "fork", reason="the monkeypatch reaches the child only through fork")
def test_a_failing_point_leaves_no_point_file(tmp_path, monkeypatch):
    # fork: the child sees the parent's monkeypatch
    config = dataclasses.replace(TINY, modalities=(1,), n_series=(), input_lengths=(), models=("tide",))

    def broken(spec):
        raise MemoryError("simulated")

    monkeypatch.setattr(scaling_module, "measure_point", broken)
    with pytest.raises(RuntimeError, match=r"modalities__1__tide failed in its process: MemoryError: simulated"):
        run_scaling(config, tmp_path, progress=False)
    assert list((tmp_path / "points").iterdir()) == []
    assert pd.read_csv(tmp_path / "results.csv").empty

    def dies(spec):
        os._exit(3)

    monkeypatch.setattr(scaling_module, "measure_point", dies)
    run = run_scaling(config, tmp_path, progress=False, keep_going=True)
    assert list(run.failed) == ["modalities__1__tide"] and "exit code 3" in run.failed["modalities__1__tide"]


@pytest.mark.slow
def test_a_stopped_run_logs_the_points_it_finished(tmp_path, monkeypatch):
    real = scaling_module._run_in_child
    calls = {"n": 0}

    def second_point_stops(point):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("simulated stop")
        return real(point)

    monkeypatch.setattr(scaling_module, "_run_in_child", second_point_stops)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="simulated stop"):
        bench(scaling_args(out))
    record = json.loads((out / "runs.jsonl").read_text().splitlines()[-1])
    assert record["status"].startswith("stopped: RuntimeError")
    assert record["ran"] == [p.stem for p in (out / "points").glob("*.json")] and len(record["ran"]) == 1


@pytest.mark.slow
def test_one_point_in_a_spawned_process(tmp_path):
    """The full suite's start method: a fresh interpreter per point."""
    config = dataclasses.replace(TINY, modalities=(), n_series=(), input_lengths=(24,), models=("tide",),
                                 start_method="spawn")
    run = run_scaling(config, tmp_path, progress=False)
    assert run.ran == ["input_length__24__tide"]
    row = run.results.iloc[0]
    assert row.seconds_per_epoch > 0 and row.peak_rss_mb >= 0 and row.n_params > 0 and row.windows_per_epoch == 120
    assert row.baseline_rss_mb > 50  # a fresh interpreter with torch and darts imported


# ---------------------------------------------------------------------------------------------------------------
# pieces
# ---------------------------------------------------------------------------------------------------------------
def test_default_points_alternate_models_and_hold_w_windows():
    config = SCALING_PROFILES["default"]
    points = config.points()
    assert len(points) == 24 and config.start_method == "spawn" and config.windows_per_epoch == 2000
    by_axis = [p for p in points if p.axis == "modalities"]
    assert [p.model for p in by_axis] == ["pf", "tide", "tide", "pf", "pf", "tide", "tide", "pf"]
    series = {p.value: p for p in points if p.axis == "n_series" and p.model == "pf"}
    assert {n: (p.samples_per_series, p.series_length) for n, p in series.items()} == {
        1: (2000, 2119), 10: (200, 319), 100: (20, 300), 1000: (2, 300)}
    assert all(p.samples_per_series * p.n_series == 2000 for p in points)
    icl = {p.value: p for p in points if p.axis == "input_length" and p.model == "tide"}
    assert icl[720].input_chunk_length == 720 and icl[720].n_modalities == 4 and icl[720].n_series == 1


def test_config_validation():
    with pytest.raises(ValueError, match="every axis is empty"):
        ScalingConfig(modalities=(), n_series=(), input_lengths=())
    with pytest.raises(ValueError, match="the scaling suite runs"):
        ScalingConfig(models=("nhits",))
    with pytest.raises(ValueError, match="windows_per_epoch=0"):
        ScalingConfig(windows_per_epoch=0)


def test_loglog_slope():
    assert loglog_slope([1, 4, 16, 64], [2.0, 8.0, 32.0, 128.0]) == pytest.approx(1.0)
    assert loglog_slope([96, 192, 384], [3.0, 3.0, 3.0]) == pytest.approx(0.0, abs=1e-12)
    assert loglog_slope([1, 10], [1.0, 100.0]) == pytest.approx(2.0)
    assert math.isnan(loglog_slope([4], [1.0])) and math.isnan(loglog_slope([1, 2], [0.0, 0.0]))
