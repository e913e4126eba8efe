"""The demo and the command line."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from pf_forecast.cli import build_parser, main
from pf_forecast.demo import DemoSettings, format_result, run_demo

SMALL = {"epochs": 1, "train_windows": 300, "test_stride": 24 * 30}


def test_demo_runs_and_writes_a_plot(tmp_path):
    result = run_demo(tmp_path / "demo", settings=DemoSettings(**SMALL), progress=False)
    assert set(result.mae) == {"ProgressiveFusionForecaster", "TiDE (darts)", "Seasonal naive (same hour yesterday)"}
    assert all(np.isfinite(v) and v > 0 for v in result.mae.values())
    assert set(result.seconds) == {"ProgressiveFusionForecaster", "TiDE (darts)"}
    assert result.coverage is not None and 0 <= result.coverage <= 1
    assert result.plot_path.exists() and result.plot_path.stat().st_size > 10_000
    text = format_result(result)
    assert "MAE (µg/m³)" in text and "None" not in text and "clipped to 0" in text
    naive_row = next(line for line in text.splitlines() if line.startswith("Seasonal naive"))
    assert naive_row.split()[-1] == "-"  # no fit time


def test_demo_clips_forecasts_at_zero():
    from darts import TimeSeries
    from darts.utils.likelihood_models.base import quantile_names

    from pf_forecast.data import load_beijing_pm25
    from pf_forecast.demo import _in_units

    task = load_beijing_pm25()
    window = task.series[:24]
    below_zero = window.with_values(np.full((24, 1, 1), -50.0, dtype=np.float32))  # far below 0 µg/m³ once restored
    assert task.inverse_transform(below_zero).values().max() < 0
    assert (_in_units(task, [below_zero]).median[0].values() == 0).all()
    names = quantile_names([0.1, 0.5, 0.9], task.series.components[0])
    quantiles = TimeSeries.from_times_and_values(
        window.time_index, np.stack([np.full(24, v, dtype=np.float32) for v in (-50.0, -1.0, 1.0)], axis=1),
        columns=names,
    )
    f = _in_units(task, [quantiles])
    assert (f.lower[0].values() == 0).all() and (f.lower[0].values() <= f.median[0].values()).all()
    assert (f.median[0].values() <= f.upper[0].values()).all() and f.upper[0].values().min() > 0


# the CLI demo with the small settings above, in a subprocess whose stderr is a pipe (not a terminal), as in CI or
# under `pf-forecast demo > log 2>&1`
_CLI_SMALL = (
    "import functools, sys\n"
    "import pf_forecast.demo as demo\n"
    "from pf_forecast.cli import main\n"
    "demo.DemoSettings = functools.partial(demo.DemoSettings, train_windows={train_windows}, test_stride={test_stride})\n"
    "sys.exit(main(['demo', '--epochs', '{epochs}', '--out', sys.argv[1]]))\n"
)


@pytest.mark.slow
def test_demo_cli_off_a_terminal_prints_a_few_clean_lines(tmp_path):
    out = tmp_path / "demo"
    run = subprocess.run(
        [sys.executable, "-c", _CLI_SMALL.format(**SMALL), str(out)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600,
    )
    output = run.stdout
    assert run.returncode == 0, output
    assert (out / "forecast.png").exists()
    assert "None" not in output
    assert not [line for line in output.splitlines() if "warning" in line.lower() or "deprecat" in line.lower()]
    assert "\r" not in output  # no progress bar redrawing itself
    lines = output.splitlines()
    assert len(lines) <= 16, output
    assert sum(line.startswith("Training ") for line in lines) == 2  # one short line per model fit
    assert "MAE (µg/m³)" in output and "Total run time" in output


def test_demo_refuses_a_file_as_out(tmp_path, capsys):
    out = tmp_path / "file.txt"
    out.write_text("keep me")
    assert main(["demo", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "`out_dir`" in err and "file.txt" in err and "is a file" in err
    assert out.read_text() == "keep me"


@pytest.mark.parametrize("argv, fragment", [
    (["demo", "--epochs", "0"], "expected a positive integer, got '0'"),
    (["demo", "--threads", "x"], "expected a positive integer, got 'x'"),
    (["nonsense"], "invalid choice: 'nonsense'"),
])
def test_bad_cli_flags(argv, fragment, capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(argv)
    assert exc.value.code == 2
    assert fragment in capsys.readouterr().err


@pytest.mark.slow
def test_module_entry_point_help():
    out = subprocess.run([sys.executable, "-m", "pf_forecast", "--help"], capture_output=True, text=True, check=True)
    assert "demo" in out.stdout
