"""A benchmark killed (SIGKILL) in the middle of a suite resumes with every finished cell intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
# the quick suite with two seeds: pf, pf-late and tide twice, linear and naive-seasonal once = 8 cells
COMMAND = [sys.executable, "-m", "pf_forecast", "bench", "--suite", "quick", "--seeds", "2", "--no-progress"]
N_CELLS = 8


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("MPLBACKEND", "Agg")
    return env


def _finished(cells: Path) -> list[Path]:
    return sorted(p for p in cells.glob("*.csv") if not p.name.startswith(".")) if cells.is_dir() else []


def _temporary(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.name.endswith(".tmp") or ".tmp." in p.name)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_benchmark_resumes_with_finished_cells_intact(tmp_path):
    out = tmp_path / "bench"
    cells = out / "cells"
    process = subprocess.Popen([*COMMAND, "--out", str(out)], cwd=tmp_path, env=_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while len(_finished(cells)) < 2 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert process.poll() is None, f"the run ended before it could be killed: {process.communicate()}"
        assert len(_finished(cells)) >= 2, "no cell finished within 120 s"
        process.send_signal(signal.SIGKILL)  # mid-suite: no finally block, no results.csv, no report
        process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == -signal.SIGKILL

    finished = _finished(cells)
    assert 2 <= len(finished) < N_CELLS, [p.name for p in finished]
    snapshot = {}
    for csv in finished:  # a finished cell is whole: its CSV parses and its JSON sidecar came first
        sidecar = csv.with_suffix(".json")
        assert sidecar.is_file() and len(pd.read_csv(csv)) > 0
        snapshot.update({p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (csv, sidecar)})
    assert not (out / "results.csv").exists()

    rerun = subprocess.run([*COMMAND, "--out", str(out)], cwd=tmp_path, env=_env(), capture_output=True,
                           text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"{N_CELLS - len(finished)} cells run, {len(finished)} reused, 0 failed" in rerun.stdout

    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in cells.iterdir()}
    for name, (content, mtime) in snapshot.items():  # not recomputed, not rewritten
        assert after[name][0] == content, f"{name} changed"
        assert after[name][1] == mtime, f"{name} was rewritten"
    assert len(_finished(cells)) == N_CELLS
    assert _temporary(out) == []
    results = pd.read_csv(out / "results.csv")
    cells_in_results = set(zip(results.model, results.seed))
    assert cells_in_results == {("pf", 0), ("pf", 1), ("pf-late", 0), ("pf-late", 1), ("tide", 0), ("tide", 1),
                                ("linear", 0), ("naive-seasonal", 0)}
    assert (out / "report.md").is_file()
