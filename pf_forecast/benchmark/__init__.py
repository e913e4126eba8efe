"""``pf-forecast bench``: a resumable benchmark of ProgressiveFusionForecaster against darts baselines.

For every ``(dataset, track, model, seed)`` cell it fits the model with a shared budget and early stopping, then
records clean test MSE / MAE, the MultiBench noise sweep, a missing-modality sweep (and with ``--faults`` the
stream-fault sweeps), fit time, predict latency, historical-forecast throughput and parameter count. Cells are
written atomically to ``<out>/cells/`` and skipped when re-run; ``<out>/results.csv`` (one row per measurement),
``<out>/report.md`` and ``<out>/plots/*.png`` are regenerated at the end of every run.

Modules: :mod:`.cli` (options, the resolved command, :func:`run_bench`), :mod:`.settings` (:class:`BenchSettings`),
:mod:`.models` (the zoo), :mod:`.suites`, :mod:`.runner` (cells, planning, running), :mod:`.store` (atomic files,
cells, ``results.csv``, run records, the settings check of a resume), :mod:`.report` and :mod:`.plots`.

Entry points for the command line: :func:`add_bench_arguments` and :func:`run_bench`.

Examples
--------
>>> import argparse
>>> from pf_forecast.benchmark import add_bench_arguments, run_bench
>>> parser = argparse.ArgumentParser(prog="pf-forecast bench")
>>> add_bench_arguments(parser)
>>> args = parser.parse_args(["--suite", "quick", "--out", "bench_quick"])
>>> run_bench(args)  # doctest: +SKIP
0
"""

from __future__ import annotations

from .cli import add_bench_arguments, parse_seeds, resolve_settings, run_bench
from .models import MODEL_NAMES, make_model
from .report import write_report
from .runner import BenchRun, run_benchmark, run_cell
from .settings import BenchSettings
from .store import RESULT_COLUMNS, Cell, collect_results
from .suites import SUITES, Suite, TaskSpec, get_suite, shrink_task

__all__ = [
    "MODEL_NAMES",
    "RESULT_COLUMNS",
    "SUITES",
    "BenchRun",
    "BenchSettings",
    "Cell",
    "Suite",
    "TaskSpec",
    "add_bench_arguments",
    "collect_results",
    "get_suite",
    "make_model",
    "parse_seeds",
    "resolve_settings",
    "run_bench",
    "run_benchmark",
    "run_cell",
    "shrink_task",
    "write_report",
]
