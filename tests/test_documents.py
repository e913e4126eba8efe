"""The shipped code and the published documents read the same on any machine and speak to users.

Checked: ``pf_forecast/**/*.py``, ``README.md``, ``BENCHMARKS.md``, ``docs/*.md``, ``benchmarks/README.md`` and the
committed benchmark reports (``benchmarks/*/report.md``). None may hold an absolute path of the machine that wrote
it, a reference to this project's issue tracker ("Issue-7", "issue 15"; another project's tracker, such as
"darts issue #2265", is a citation and allowed), the word "moonshot" or a ``shared/`` folder that only the
development machine has.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from pf_forecast.benchmark.report import portable_paths, write_report
from pf_forecast.benchmark.runner import RESULT_COLUMNS

ROOT = Path(__file__).resolve().parent.parent

#: What no checked file may contain, with why.
FORBIDDEN = {
    "an absolute path of the machine": re.compile(r"(?<![\w.:/~-])/(?:work|root|home|tmp|Users|mnt)/"),
    "an issue-tracker reference": re.compile(r"\bissues?[- ]\d+", re.IGNORECASE),
    "'moonshot'": re.compile(r"moonshot", re.IGNORECASE),
    "a shared/ folder": re.compile(r"(?<![\w.-])shared/"),
}


def checked_files() -> list[Path]:
    """Every file the checks cover that exists in this checkout."""
    files = sorted((ROOT / "pf_forecast").rglob("*.py"))
    files += [ROOT / "README.md", ROOT / "BENCHMARKS.md", ROOT / "benchmarks" / "README.md",
              ROOT / "benchmarks" / "reproduce.sh"]
    files += sorted((ROOT / "docs").glob("*.md")) + sorted((ROOT / "benchmarks").glob("*/report.md"))
    return [path for path in files if path.is_file()]


def offences(text: str) -> list[str]:
    """``line number: what`` for each forbidden thing in ``text``."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        found += [f"{number}: {what} ({match.group(0)!r})" for what, pattern in FORBIDDEN.items()
                  for match in pattern.finditer(line)]
    return found


def test_the_checks_cover_the_documents():
    names = {path.relative_to(ROOT).as_posix() for path in checked_files()}
    assert {"README.md", "pf_forecast/__init__.py"} <= names
    assert any(name.startswith("benchmarks/") and name.endswith("/report.md") for name in names)


def test_the_patterns_catch_what_they_are_for():
    machine_path = "/" + "/".join(("work", "shared", "data", "README.md"))  # built here: no such path in this file
    assert offences(f"see {machine_path}") and offences("Issue-7 targets") and offences("issue 15")
    assert offences("the moonshot") and offences("as quoted in shared/data/README.md")
    assert offences("saved to /tmp/x.csv") and offences("`/home/me/data.csv`")
    assert not offences("darts issue #2265; MSE / MAE; https://example.org/home/x; pf_forecast/benchmark/x.py")


@pytest.mark.parametrize("path", checked_files(), ids=lambda path: path.relative_to(ROOT).as_posix())
def test_no_machine_paths_or_tracker_language(path):
    assert offences(path.read_text(encoding="utf-8")) == [], path.relative_to(ROOT).as_posix()


def test_portable_paths_strips_the_machine(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "runs" / "bench"
    text = (f"/opt/x/.venv/bin/pf-forecast bench --out {out}; /srv/repo/pf_forecast/__main__.py demo; "
            f"read {tmp_path}/data/a.csv; missing /elsewhere/deep/b.csv; MSE / MAE; https://example.org/a/b")
    assert portable_paths(text, out) == ("pf-forecast bench --out runs/bench; python -m pf_forecast demo; "
                                         "read data/a.csv; missing b.csv; MSE / MAE; https://example.org/a/b")


def test_run_records_carry_no_machine_paths(tmp_path, monkeypatch):
    """The recorded equivalent command (what reproduce.sh is written from) is made portable as the argv is."""
    from pf_forecast.benchmark.store import recorded_run

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "benchmarks" / "faults"
    out.mkdir(parents=True)
    with recorded_run(out, {"command": f"pf-forecast bench --suite stocks --out {out}"}, progress=dict,
                      report=lambda: None) as run:
        run["status"] = "finished"
    record = json.loads((out / "runs.jsonl").read_text().splitlines()[-1])
    assert record["command"] == "pf-forecast bench --suite stocks --out benchmarks/faults"
    assert str(tmp_path) not in json.dumps(record)


def test_write_report_never_writes_machine_paths(tmp_path):
    out = tmp_path / "bench"
    out.mkdir()
    record = {"started": "2026-01-01 00:00:00", "status": "failed cells", "machine": {"cpu": "test"},
              "argv": f"/root/repo/pf_forecast/__main__.py bench --csv /home/me/data.csv --out {out}",
              "command": f"pf-forecast bench --csv /home/me/data.csv --out {out}",
              "failed": {"x__past__pf__0": "FileNotFoundError: /home/me/data.csv"}, "ran": [], "skipped": []}
    (out / "runs.jsonl").write_text(json.dumps(record) + "\n" + json.dumps(record) + "\n")
    report = write_report(out, pd.DataFrame(columns=list(RESULT_COLUMNS))).read_text()
    assert "`python -m pf_forecast bench --csv data.csv --out bench`" in report
    assert offences(report) == [] and str(tmp_path) not in report


def test_benchmarks_md_is_short_and_plain():
    text = (ROOT / "BENCHMARKS.md").read_text(encoding="utf-8")
    assert len(text.encode()) < 20_000
    assert not re.search(r"\btargets? \d", text, re.IGNORECASE)
    assert text.count("```") == 2, "one reproduce block"


def test_relative_links_resolve():
    """Every relative link and image of the top-level documents points at a file of the checkout."""
    broken = []
    for document in [ROOT / "README.md", ROOT / "BENCHMARKS.md", ROOT / "benchmarks" / "README.md",
                     *sorted((ROOT / "docs").glob("*.md"))]:
        if not document.is_file():
            continue
        for target in re.findall(r"\]\(([^)\s]+)\)", document.read_text(encoding="utf-8")):
            target = target.split("#", 1)[0]
            if target and not re.match(r"[a-z]+:", target) and not (document.parent / target).exists():
                broken.append(f"{document.relative_to(ROOT)} -> {target}")
    assert broken == []
