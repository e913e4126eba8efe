"""Datasets as forecasting tasks: the real multimodal datasets shipped in ``datasets/`` and users' CSV files.

Every loader returns a :class:`ForecastingTask`: the (scaled, float32) darts target series, its covariates, the
grouping of covariate components into named modalities, the split points and a plain-text description of the
published protocol that the loader applies, so that results are comparable with the literature.

- :mod:`pf_forecast.data.task`: :class:`ForecastingTask` and ``build_task``, the one builder every loader uses;
- :mod:`pf_forecast.data.published`: the published-protocol loaders (:func:`load_epf`, :func:`load_stocks`,
  :func:`load_beijing_pm25`, :func:`load_etth1`), the registry :data:`TASKS` / :func:`load_task` and
  :func:`find_datasets_dir`;
- :mod:`pf_forecast.data.csv`: :func:`load_csv` for a user's own file.

The data cards (provenance, licence, citation, columns) are in ``datasets/README.md``.

Examples
--------
>>> from pf_forecast.data import load_task
>>> task = load_task("epf-NP")
>>> task.input_chunk_length, task.horizon, task.n_test_windows()
(168, 24, 10460)
"""

from __future__ import annotations

import logging

from pf_forecast._checks import MAX_ABS_INPUT  # noqa: F401 (was importable from the single-module pf_forecast.data)
from pf_forecast.data.csv import load_csv
from pf_forecast.data.published import (
    DATA_ENV_VAR,
    EPF_MARKETS,
    FEV_WINDOWS,  # noqa: F401 (public, though not in __all__ before either)
    TASKS,
    find_datasets_dir,
    load_beijing_pm25,
    load_epf,
    load_etth1,
    load_stocks,
    load_task,
)
from pf_forecast.data.task import ForecastingTask

__all__ = [
    "DATA_ENV_VAR",
    "EPF_MARKETS",
    "TASKS",
    "ForecastingTask",
    "find_datasets_dir",
    "load_beijing_pm25",
    "load_csv",
    "load_epf",
    "load_etth1",
    "load_stocks",
    "load_task",
]

#: The parent of the submodules' loggers (``pf_forecast.data.published``, ...): configure it for all of them.
logger = logging.getLogger(__name__)
