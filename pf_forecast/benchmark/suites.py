"""Benchmark suites: which tasks (dataset x track), default models, seeds and settings each one runs.

=========  ==========================================================================================
suite      tasks
=========  ==========================================================================================
quick      EPF NP cut to its first 2,400 rows (re-split 70/10/20), past track; tiny models, 2 epochs,
           noise levels 0, 0.4, 0.8; one seed. A smoke run of every stage in well under a minute.
epf        the 5 EPF markets (TimeXer protocol), ``past`` track and ``future`` track (day-ahead forecasts
           known over the horizon, reported separately).
stocks     MultiBench "Stocks" (MSFT volatility from AAPL, IBM, MSFT returns).
beijing    Beijing PM2.5, ``past`` track and ``oracle`` track (observed weather used as a forecast).
etth1      ETTh1, past track.
fev-epf    fev-bench's five EPF tasks (``fev`` track of the EPF loader): probabilistic day-ahead forecasts,
           20 windows of 24 h at the end, scored by SQL and MASE in price units (see
           :mod:`pf_forecast.robustness.scoring`); quantile models; beside fev's published leaderboard.
all        every task above except ``quick`` and ``fev-epf``.
scaling    moved: the scaling study (fit time per epoch and peak memory of pf and TiDE against the number of
           modalities, of series and the input length) is the repository script
           ``benchmarks/scaling_study.py``.
=========  ==========================================================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pf_forecast.data import EPF_MARKETS, ForecastingTask, load_task

from .models import MODEL_NAMES

__all__ = ["OTHER_SUITES", "SUITES", "Suite", "TaskSpec", "get_suite", "shrink_task"]

_GLOBAL_MODELS = ("pf", "pf-late", "pf-early", "tide", "tsmixer", "tcn", "nhits", "dlinear", "linear",
                  "naive-seasonal")


@dataclass(frozen=True)
class TaskSpec:
    """One task of a suite: a :data:`pf_forecast.data.TASKS` loader, its track, and an optional cut.

    Parameters
    ----------
    task
        Key of :data:`pf_forecast.data.TASKS` (e.g. ``"epf-NP"``).
    track
        The track the loader is asked for (``"past"``, ``"future"``, ``"oracle"``).
    rows
        Keep only the first ``rows`` rows, re-split 70/10/20 (quick runs); ``None`` keeps the protocol.
    dataset
        Name used in the results; defaults to the task's own name (``"-quick"`` appended when cut).
    """

    task: str
    track: str = "past"
    rows: int | None = None
    dataset: str | None = None

    @property
    def name(self) -> str:
        """The dataset name in the results (what ``--datasets`` selects)."""
        return self.dataset or (f"{self.task}-quick" if self.rows is not None else self.task)

    def load(self, data_dir: str | os.PathLike | None = None) -> ForecastingTask:
        """Load the task (pf_forecast.data's errors, e.g. a missing dataset file, propagate unchanged).

        Parameters
        ----------
        data_dir
            Folder laid out like ``datasets/``; ``None`` uses pf_forecast.data's search order.

        Returns
        -------
        ForecastingTask
        """
        kwargs: dict[str, Any] = {"data_dir": data_dir}
        if self.task.startswith("epf-") or self.task == "beijing":
            kwargs["track"] = self.track
        task = load_task(self.task, **kwargs)
        if self.rows is not None:
            task = shrink_task(task, self.rows, name=self.dataset or f"{task.name}-quick")
        elif self.dataset is not None:
            task = _renamed(task, self.dataset)
        return task


@dataclass(frozen=True)
class Suite:
    """A named set of tasks with default models, seeds and setting overrides.

    Parameters
    ----------
    name
        Suite name.
    tasks
        The tasks.
    models
        Models run when ``--models`` is not given.
    seeds
        Seeds used when ``--seeds`` is not given.
    settings
        Overrides of the :class:`~pf_forecast.benchmark.models.BenchSettings` defaults (command-line options override both).
    description
        One line for ``--help`` and the report.
    """

    name: str
    tasks: tuple[TaskSpec, ...]
    models: tuple[str, ...]
    seeds: tuple[int, ...] = (0, 1, 2)
    settings: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""

    def tracks(self) -> list[str]:
        """The tracks this suite's tasks use, in order."""
        return list(dict.fromkeys(spec.track for spec in self.tasks))


_EPF = tuple(TaskSpec(f"epf-{m}", track) for track in ("past", "future") for m in EPF_MARKETS)
_STOCKS = (TaskSpec("stocks", "past"),)
_BEIJING = (TaskSpec("beijing", "past"), TaskSpec("beijing", "oracle"))
_ETTH1 = (TaskSpec("etth1", "past"),)
_FEV_EPF = tuple(TaskSpec(f"epf-{m}", "fev") for m in ("BE", "DE", "FR", "NP", "PJM"))

#: The suites by name.
SUITES: dict[str, Suite] = {
    "quick": Suite(
        "quick",
        (TaskSpec("epf-NP", "past", rows=2400),),
        models=("pf", "pf-late", "tide", "linear", "naive-seasonal"),
        seeds=(0,),
        settings={"max_epochs": 2, "patience": 1, "max_train_samples": 512, "profile": "tiny",
                  "levels": (0.0, 0.4, 0.8)},
        description="EPF NP, first 2,400 rows, tiny models, 2 epochs, 3 noise levels, one seed (smoke run)",
    ),
    "epf": Suite("epf", _EPF, _GLOBAL_MODELS,
                 description="5 EPF markets (TimeXer protocol), past and future tracks"),
    "stocks": Suite("stocks", _STOCKS, MODEL_NAMES,
                    description="MultiBench Stocks: MSFT volatility from AAPL, IBM, MSFT returns"),
    "beijing": Suite("beijing", _BEIJING, _GLOBAL_MODELS,
                     description="Beijing PM2.5, past and oracle tracks"),
    "etth1": Suite("etth1", _ETTH1, _GLOBAL_MODELS, description="ETTh1, past track"),
    "fev-epf": Suite(
        "fev-epf", _FEV_EPF, ("pf", "pf-late", "tide", "tsmixer", "lightgbm", "linear", "naive-seasonal"),
        settings={"test_stride": 24, "probabilistic": True, "levels": (0.0,), "missing": False},
        description="fev-bench's 5 EPF tasks: 20 day-ahead windows at the end, covariates known over the horizon, "
                    "quantile forecasts scored by SQL / MASE in price units beside the published leaderboard",
    ),
    "all": Suite("all", _EPF + _STOCKS + _BEIJING + _ETTH1, MODEL_NAMES,
                 description="every task of epf, stocks, beijing and etth1"),
}

#: Suites that moved out of ``pf-forecast bench`` (name -> where they went).
OTHER_SUITES: dict[str, str] = {
    "scaling": "moved to the repository script benchmarks/scaling_study.py (fit time per epoch and peak memory of "
               "pf and TiDE against modalities, series and input length): from a checkout, run "
               "python benchmarks/scaling_study.py --out DIR",
}


def get_suite(name: str) -> Suite:
    """The suite called ``name``.

    Parameters
    ----------
    name
        A key of :data:`SUITES`.

    Returns
    -------
    Suite

    Raises
    ------
    ValueError
        Naming the unknown suite and listing the valid ones.
    """
    if name not in SUITES:
        moved = f" ({name!r} {OTHER_SUITES[name]})" if name in OTHER_SUITES else ""
        raise ValueError(f"unknown suite {name!r}{moved}; valid suites are {list(SUITES)}.")
    return SUITES[name]


def _renamed(task: ForecastingTask, name: str) -> ForecastingTask:
    return ForecastingTask(
        name=name, track=task.track, series=task.series, past_covariates=task.past_covariates,
        future_covariates=task.future_covariates, modalities=task.modalities,
        input_chunk_length=task.input_chunk_length, horizon=task.horizon, val_start=task.val_start,
        test_start=task.test_start, protocol=task.protocol, scaler=task.scaler, info=dict(task.info),
    )


def shrink_task(task: ForecastingTask, rows: int, name: str | None = None,
                fractions: tuple[float, float] = (0.7, 0.1)) -> ForecastingTask:
    """Cut a task to its first ``rows`` rows and re-split them chronologically (train / validation / test).

    The scaling of the original task (fitted on its full training segment) is kept. Meant for smoke runs; the
    results are not comparable with the protocol's.

    Parameters
    ----------
    task
        The full task.
    rows
        Rows to keep.
    name
        Name of the cut task (default: ``<name>-quick``).
    fractions
        Train and validation fractions; the test segment is the rest.

    Returns
    -------
    ForecastingTask

    Raises
    ------
    ValueError
        If ``rows`` is too small for the input window and horizon in every segment.
    """
    n_train = int(rows * fractions[0])
    n_val = int(rows * fractions[1])
    need = task.input_chunk_length + task.horizon
    if rows > len(task.series) or n_train < need or n_val < task.horizon or rows - n_train - n_val < task.horizon:
        raise ValueError(
            f"rows={rows} cannot cut {task.name!r} ({len(task.series)} rows) into train/validation/test segments "
            f"that fit input_chunk_length + horizon = {need}; use more rows."
        )
    series = task.series[:rows]
    # the loaders give covariates on the target's time index, so the same row cut applies
    past = task.past_covariates[:rows] if task.past_covariates is not None else None
    future = task.future_covariates[:rows] if task.future_covariates is not None else None
    protocol = (
        f"{task.protocol} CUT FOR A SMOKE RUN: only the first {rows} rows, re-split {fractions[0]:g}/"
        f"{fractions[1]:g}/{1 - sum(fractions):g} (train rows [0, {n_train}), validation [{n_train}, "
        f"{n_train + n_val}), test [{n_train + n_val}, {rows})), scaling of the full task kept; not comparable with "
        f"published numbers."
    )
    return ForecastingTask(
        name=name or f"{task.name}-quick", track=task.track, series=series, past_covariates=past,
        future_covariates=future, modalities=task.modalities, input_chunk_length=task.input_chunk_length,
        horizon=task.horizon, val_start=series.time_index[n_train], test_start=series.time_index[n_train + n_val],
        protocol=protocol, scaler=task.scaler, info=dict(task.info),
    )
