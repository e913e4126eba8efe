"""The example notebooks: in sync with their percent-format sources, and running top to bottom in quick mode.

Each notebook's content is ``notebooks/NN_name.py`` (``# %%`` cells, linted by ruff); ``notebooks/NN_name.ipynb``
is generated from it by ``notebooks/build_notebooks.py``. Each notebook is executed with nbclient, ``PF_QUICK=1``
(tiny budgets), a per-cell timeout and a temporary working directory, exactly as
``python notebooks/build_notebooks.py --execute --quick`` does. The committed ``.ipynb`` file is what runs (what a
user opens), after a check that its cells are those of its ``.py`` source, so the two cannot drift.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
QUICK_CELL_TIMEOUT = 600  # seconds per cell; a quick notebook takes well under a minute in total


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_notebooks", NOTEBOOK_DIR / "build_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_notebooks", module)
    spec.loader.exec_module(module)
    return module


builder = _load_builder()
NAMES = list(builder.NOTEBOOKS)


def _repo_snapshot() -> set[str]:
    """Files and folders at the top of the repository and in notebooks/ (caches left out)."""
    ignored = {".pytest_cache", ".ruff_cache", ".hypothesis", "__pycache__", ".git"}
    entries = {p.name for p in ROOT.iterdir()} | {f"notebooks/{p.name}" for p in NOTEBOOK_DIR.iterdir()}
    return {e for e in entries if e.rsplit("/", 1)[-1] not in ignored}


def test_every_notebook_is_listed():
    on_disk = sorted(p.stem for p in NOTEBOOK_DIR.glob("*.ipynb"))
    assert NAMES, "no notebook sources (notebooks/NN_name.py) found"
    assert on_disk == sorted(NAMES), "every notebooks/NN_name.py needs its generated NN_name.ipynb, and vice versa"


def test_builder_holds_no_notebook_code():
    """The notebooks' code lives in their .py sources (linted), not in string literals of the builder."""
    tree = ast.parse((NOTEBOOK_DIR / "build_notebooks.py").read_text(encoding="utf-8"))
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    assert not [s for s in strings if "\n# %%" in s], "notebook cells inside a string literal of the builder"


@pytest.mark.parametrize("name", NAMES)
def test_source_parses_into_cells(name):
    cells = builder.parse_cells((NOTEBOOK_DIR / f"{name}.py").read_text(encoding="utf-8"))
    assert cells[0][0] == "markdown" and cells[0][1].startswith("# "), "a notebook opens with its title"
    assert any(kind == "code" for kind, _ in cells)
    assert all(text.strip() for _, text in cells), "empty cell in the source"


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_matches_its_source(name):
    problems = builder.sources_differ(name)
    assert not problems, (f"{problems}: the .ipynb drifted from notebooks/{name}.py; rerun "
                          f"`python notebooks/build_notebooks.py --execute {name[:2]}`")


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_has_full_run_outputs(name):
    nb = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), "some cells were never run: rerun --execute"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    setup_text = "".join(o.get("text", "") for o in code[0].outputs)
    assert "full run" in setup_text, "the committed outputs must come from a full run, not PF_QUICK=1"
    assert any("image/png" in o.get("data", {}) for c in code for o in c.outputs), "no plot in the outputs"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_in_quick_mode(name, tmp_path):
    nb = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    before = _repo_snapshot()

    builder.execute(nb, quick=True, cwd=tmp_path, timeout=QUICK_CELL_TIMEOUT)  # raises on the first failing cell

    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    assert "QUICK" in "".join(o.get("text", "") for o in code[0].outputs)
    stderr = "".join(o.get("text", "") for c in code for o in c.outputs if o.get("name") == "stderr")
    assert "Traceback" not in stderr, stderr
    assert len(stderr.splitlines()) < 20, f"walls of logs on stderr:\n{stderr}"
    assert _repo_snapshot() == before, "the notebook wrote into the repository"
