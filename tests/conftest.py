"""Shared test set-up: one torch thread, silent Lightning, logs in a temp dir, tiny model settings.

The tiny model: :data:`TINY_PF` holds the ProgressiveFusionForecaster arguments every test file builds its small
models from (``{**TINY_PF, **overrides}``); the ``tiny_kwargs`` fixture adds a temporary ``work_dir`` and the quiet
:data:`TRAINER_KWARGS`.

Slow tests: the long ones (multi-process training, kill-and-resume subprocesses, end-to-end CLI and benchmark runs,
the demo subprocess, the scaling study, the notebooks) are marked ``@pytest.mark.slow``. The default command,
``python -m pytest`` (what CI runs via ``.ci/run``), runs them too. To skip them locally::

    python -m pytest -m "not slow"
"""

from __future__ import annotations

import logging
import os

import numpy as np
import pytest
import torch

os.environ.setdefault("MPLBACKEND", "Agg")
# two torch threads on a busy 2-core box can be 10x slower than one
torch.set_num_threads(1)

#: darts' own test settings: CPU, no progress bar, no model summary, no logger.
TRAINER_KWARGS = {
    "accelerator": "cpu",
    "enable_progress_bar": False,
    "enable_model_summary": False,
    "logger": False,
}


@pytest.fixture(autouse=True, scope="session")
def _quiet_logs():
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


@pytest.fixture(autouse=True)
def _run_in_tmp_dir(tmp_path, monkeypatch):
    """Lightning and darts write logs relative to the working directory (e.g. ``lightning_logs/`` when a model
    saved with ``clean=True`` predicts with default trainer settings): keep them out of the repository."""
    monkeypatch.chdir(tmp_path)


#: ProgressiveFusionForecaster arguments that make it train in well under a second: the one tiny configuration
#: of the test suite. Copy it with overrides (``{**TINY_PF, "n_epochs": 1}``); never modify it in place.
TINY_PF = {
    "hidden_size": 8,
    "num_layers": 2,
    "context_size": 4,
    "readout_points": 2,
    "n_epochs": 2,
    "batch_size": 32,
    "random_state": 0,
}


@pytest.fixture
def tiny_kwargs(tmp_path):
    """:data:`TINY_PF` plus a temporary ``work_dir`` and the quiet trainer settings: ready for the constructor."""
    return {**TINY_PF, "work_dir": str(tmp_path), "pl_trainer_kwargs": dict(TRAINER_KWARGS)}


def make_series(n: int = 160, n_covariates: int = 3, seed: int = 0, freq: str | None = None):
    """A target driven by its covariates, plus those covariates (float32, named c0, c1, ...).

    Integer-indexed by default; ``freq`` (e.g. ``"h"``) gives a datetime index starting 2020-01-01.
    """
    import pandas as pd
    from darts import TimeSeries

    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=np.float32)
    covs = np.stack([np.sin(t / (4 + 3 * i) + i) for i in range(n_covariates)], axis=1).astype(np.float32)
    target = (covs.sum(axis=1) + 0.1 * rng.standard_normal(n)).astype(np.float32)
    names = [f"c{i}" for i in range(n_covariates)]
    if freq is None:
        return TimeSeries.from_values(target[:, None], columns=["y"]), TimeSeries.from_values(covs, columns=names)
    times = pd.date_range("2020-01-01", periods=n, freq=freq)
    return (
        TimeSeries.from_times_and_values(times, target[:, None], columns=["y"]),
        TimeSeries.from_times_and_values(times, covs, columns=names),
    )
