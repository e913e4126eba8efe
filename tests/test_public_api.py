"""Every name the README's API table lists is importable from where the table says (public imports keep working)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _api_rows() -> list[tuple[str, list[str]]]:
    """(where, [names]) of the API table: the row's dotted path and the identifiers of its description."""
    section = README.read_text().split("## API in brief", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[1].startswith("`pf_forecast"):
            continue  # header, separator, or a row that is not a Python path (the CLI)
        where = re.match(r"`([\w.]+)`", cells[1]).group(1)
        text = re.sub(r"darts `[^`]+`", "", " ".join(cells[2:]))  # darts' own classes, named for context
        names = [n for n in re.findall(r"`([^`]+)`", text) if re.fullmatch(r"[A-Za-z_]\w*", n)]
        rows.append((where, names))
    return rows


def _resolve(path: str):
    try:
        return importlib.import_module(path)
    except ModuleNotFoundError:
        module, _, attribute = path.rpartition(".")
        return getattr(importlib.import_module(module), attribute)


def test_the_table_is_found():
    assert {where for where, _ in _api_rows()} >= {"pf_forecast.ProgressiveFusionForecaster", "pf_forecast.data",
                                                    "pf_forecast.robustness", "pf_forecast.modalities"}


@pytest.mark.parametrize("where, names", _api_rows(), ids=[w for w, _ in _api_rows()])
def test_every_listed_name_imports(where, names):
    target = _resolve(where)
    missing = [name for name in names if not hasattr(target, name)]
    assert not missing, f"README's API table lists {missing} under {where}, which has no such names"
