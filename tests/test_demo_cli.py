"""The demo and the command line."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from pf_forecast.cli import build_parser, main
from pf_forecast.demo import DemoSettings, format_result, run_demo


def test_demo_runs_and_writes_a_plot(tmp_path):
    settings = DemoSettings(epochs=1, train_windows=300, test_stride=24 * 30)
    result = run_demo(tmp_path / "demo", settings=settings, progress=False)
    assert set(result.mae) == {"ProgressiveFusionForecaster", "TiDE (darts)", "Seasonal naive (same hour yesterday)"}
    assert all(np.isfinite(v) and v > 0 for v in result.mae.values())
    assert result.plot_path.exists() and result.plot_path.stat().st_size > 10_000
    assert "MAE (µg/m³)" in format_result(result)


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


def test_module_entry_point_help():
    out = subprocess.run([sys.executable, "-m", "pf_forecast", "--help"], capture_output=True, text=True, check=True)
    assert "demo" in out.stdout
