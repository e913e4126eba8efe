"""Build the example notebooks from their percent-format sources, and optionally execute them.

Each notebook's content lives in a plain Python file next to it, ``notebooks/NN_name.py``, in the "percent"
format that jupytext and most editors read (``# %%`` starts a code cell, ``# %% [markdown]`` a markdown cell whose
lines start with ``# ``). Those sources are linted by ruff like the package; the ``.ipynb`` files are generated
from them, never edited by hand. Set-up and helpers the notebooks share live in ``notebooks/_helpers.py``. Run
from anywhere (paths are resolved from this file)::

    python notebooks/build_notebooks.py                   # write notebooks/*.ipynb from the sources, without outputs
    python notebooks/build_notebooks.py --execute         # write them and run them in FULL mode, saving the outputs
                                                          # and plots into notebooks/*.ipynb (what is committed)
    python notebooks/build_notebooks.py --execute 02 03   # only some notebooks (any prefix of the names)
    python notebooks/build_notebooks.py --execute --quick # smoke run (PF_QUICK=1); executed copies go to a temp
                                                          # folder (or --out DIR), the committed notebooks are untouched
    python notebooks/build_notebooks.py --check           # exit 1 when a committed notebook's cells differ from
                                                          # its .py source

After changing a source or the model's defaults, rerun ``--execute`` to refresh the committed outputs (each
notebook takes a few minutes on two CPU cores; the script prints the time of each). Every notebook reads the
environment variable ``PF_QUICK`` (through ``_helpers.QUICK``): ``PF_QUICK=1`` shrinks epochs, training windows,
evaluation stride, noise levels and seeds so that a notebook runs in about a minute; ``tests/test_notebooks.py``
executes them that way.

Execution details: the kernel runs in a fresh temporary working directory (nothing is written into the
repository), with ``PYTHONPATH`` pointing at this checkout and at ``notebooks/`` (so it runs without
``pip install -e .`` and finds ``_helpers``) and without ``MPLBACKEND`` (so inline plots are captured even when
the caller set ``MPLBACKEND=Agg``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
KERNEL_NAME = "python3"
#: Per-cell timeout in seconds, by mode.
CELL_TIMEOUT = {"quick": 600, "full": 1800}
#: The notebooks, by name: ``notebooks/<name>.py`` is the source of ``notebooks/<name>.ipynb``.
NOTEBOOKS: dict[str, Path] = {p.stem: p for p in sorted(HERE.glob("[0-9][0-9]_*.py"))}


def parse_cells(source: str) -> list[tuple[str, str]]:
    """Split a percent-format source into ``(cell_type, text)`` pairs (``"code"`` or ``"markdown"``).

    Markdown lines start with ``# `` (stripped) as in jupytext's percent format; blank lines around a cell are
    dropped.
    """
    cells: list[tuple[str, list[str]]] = []
    for line in source.strip("\n").splitlines():
        stripped = line.strip()
        if stripped == "# %% [markdown]":
            cells.append(("markdown", []))
        elif stripped == "# %%":
            cells.append(("code", []))
        elif not cells:
            raise ValueError(f"text before the first cell marker: {line!r}")
        else:
            cells[-1][1].append(line)
    out = []
    for kind, lines in cells:
        if kind == "markdown":
            lines = [ln[2:] if ln.startswith("# ") else ("" if ln == "#" else ln) for ln in lines]
        out.append((kind, "\n".join(lines).strip("\n")))
    return out


def build(name: str):
    """The notebook ``name`` (a key of :data:`NOTEBOOKS`), built from its source, as an ``nbformat`` node without
    outputs."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": KERNEL_NAME},
        "language_info": {"name": "python"},
    }
    for kind, text in parse_cells(NOTEBOOKS[name].read_text(encoding="utf-8")):
        cell = nbformat.v4.new_code_cell(text) if kind == "code" else nbformat.v4.new_markdown_cell(text)
        cell.pop("id", None)  # stable files: no random cell ids
        nb.cells.append(cell)
    nb.nbformat, nb.nbformat_minor = 4, 4  # minor 4: cell ids are optional
    return nb


def kernel_env(quick: bool) -> dict[str, str]:
    """The kernel's environment: PF_QUICK, this checkout and notebooks/ on PYTHONPATH, no MPLBACKEND override."""
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)
    env["PF_QUICK"] = "1" if quick else "0"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), str(HERE), env.get("PYTHONPATH", "")) if p)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # silence a debugger notice of ipykernel
    return env


def execute(nb, *, quick: bool, cwd: str | os.PathLike, timeout: int | None = None) -> float:
    """Run ``nb`` top to bottom in place (outputs stored in it) and return the wall time in seconds.

    Raises ``nbclient.exceptions.CellExecutionError`` on the first failing cell.
    """
    from nbclient import NotebookClient

    client = NotebookClient(
        nb,
        timeout=timeout or CELL_TIMEOUT["quick" if quick else "full"],
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(cwd)}},
        record_timing=False,
    )
    start = time.perf_counter()
    client.execute(env=kernel_env(quick))
    return time.perf_counter() - start


def select(names: list[str]) -> list[str]:
    if not names:
        return list(NOTEBOOKS)
    chosen = []
    for prefix in names:
        matches = [n for n in NOTEBOOKS if n.startswith(prefix)]
        if not matches:
            raise SystemExit(f"no notebook starts with {prefix!r}; choose from {list(NOTEBOOKS)}")
        chosen += [m for m in matches if m not in chosen]
    return chosen


def sources_differ(name: str) -> list[str]:
    """Differences between the committed ``notebooks/<name>.ipynb`` and its source ``<name>.py`` (empty: in sync)."""
    import nbformat

    path = HERE / f"{name}.ipynb"
    if not path.is_file():
        return [f"{path.name} is missing"]
    committed = [(c.cell_type, c.source) for c in nbformat.read(path, as_version=4).cells]
    expected = [(c.cell_type, c.source) for c in build(name).cells]
    if len(committed) != len(expected):
        return [f"{path.name}: {len(committed)} cells, {name}.py has {len(expected)}"]
    return [f"{path.name}: cell {i} differs from {name}.py" for i, (a, b) in enumerate(zip(committed, expected)) if a != b]


def main(argv: list[str] | None = None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebooks to build (name prefixes, e.g. 01 02); default: all")
    parser.add_argument("--execute", action="store_true", help="run the notebooks and save their outputs")
    parser.add_argument("--quick", action="store_true", help="with --execute: PF_QUICK=1 smoke run")
    parser.add_argument("--out", default=None,
                        help="folder for the notebooks (default: notebooks/, or a temp folder with --quick)")
    parser.add_argument("--check", action="store_true", help="compare the committed notebooks with the sources")
    args = parser.parse_args(argv)
    names = select(args.names)

    if args.check:
        problems = [p for name in names for p in sources_differ(name)]
        print("\n".join(problems) if problems else "notebooks are in sync with their .py sources")
        return 1 if problems else 0

    if args.out:
        out = Path(args.out)
    elif args.execute and args.quick:
        out = Path(tempfile.mkdtemp(prefix="pf_notebooks_quick_"))
    else:
        out = HERE
    out.mkdir(parents=True, exist_ok=True)
    failed = []
    for name in names:
        nb = build(name)
        if args.execute:
            with tempfile.TemporaryDirectory(prefix=f"pf_nb_{name}_") as cwd:
                try:
                    seconds = execute(nb, quick=args.quick, cwd=cwd)
                except Exception as err:  # keep the partial outputs for inspection, go on with the others
                    failed.append(name)
                    print(f"{name}: FAILED: {type(err).__name__}: {str(err)[-2000:]}", file=sys.stderr)
                    nbformat.write(nb, out / f"{name}.failed.ipynb")
                    continue
            print(f"{name}: executed in {seconds:.0f} s ({'quick' if args.quick else 'full'} mode)", flush=True)
        nbformat.write(nb, out / f"{name}.ipynb")
    print(f"notebooks written to {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
