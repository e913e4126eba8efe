"""Set-up and small helpers shared by the example notebooks (``from _helpers import ...`` in their first cell).

Importing this module prepares the kernel exactly as every notebook needs it: one torch thread, ``pf_forecast``
importable from this checkout when it is not installed, Lightning's and darts' chatter silenced, a plot style,
and a temporary ``WORK_DIR`` for darts (nothing lands in the repository). ``PF_QUICK=1`` in the environment
(``QUICK``) asks for a smoke run with tiny budgets; the notebooks read ``QUICK`` to size their budgets.

The fit-and-forecast helpers (:func:`make_model`, :func:`fit`, :func:`test_forecasts`) are the block the
notebooks would otherwise repeat: a model on the task's chunk lengths and modalities, fitted on the task's
training split, then forecasting every test window without refitting.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import torch

#: PF_QUICK=1: a smoke run with tiny budgets (about a minute). Unset: the real settings (a few minutes).
QUICK = os.environ.get("PF_QUICK") == "1"

torch.set_num_threads(1)  # one thread is the fastest for these small models on a busy 2-core machine

try:
    import pf_forecast
except ImportError:  # a source checkout without `pip install -e .`: use the checkout these notebooks live in
    _root = Path(__file__).resolve().parents[1]
    if not (_root / "pf_forecast" / "__init__.py").is_file():
        raise ImportError("pf_forecast is not installed: run `pip install -e .` in the repository root.") from None
    sys.path.insert(0, str(_root))
    import pf_forecast

import darts  # noqa: E402
import pytorch_lightning  # noqa: E402, F401  Lightning sets its loggers to INFO on import: quiet them afterwards
from darts.models import TiDEModel  # noqa: E402

from pf_forecast import ProgressiveFusionForecaster  # noqa: E402

for _name in ("pytorch_lightning", "lightning.pytorch", "lightning_fabric"):
    logging.getLogger(_name).setLevel(logging.WARNING)
logging.getLogger("darts.models.forecasting.tide_model").setLevel(logging.ERROR)  # "feature expansion" notice
for _message in (".*pin_memory.*", ".*does not have many workers.*", ".*LeafSpec.*"):
    warnings.filterwarnings("ignore", message=_message)

#: darts' work_dir for checkpoints and logs: a fresh temporary folder, so nothing lands in the repository.
WORK_DIR = Path(tempfile.mkdtemp(prefix="pf_forecast_notebook_"))
#: Lightning trainer settings of every model in the notebooks: CPU, no progress bars, summaries or loggers.
TRAINER = {"accelerator": "cpu", "enable_progress_bar": False, "enable_model_summary": False, "logger": False}
plt.rcParams.update({"figure.figsize": (10, 4), "figure.dpi": 90, "axes.grid": True, "grid.alpha": 0.3})


def print_versions() -> None:
    """One line: the versions in use and the mode (full run, or PF_QUICK=1 smoke run)."""
    print(f"pf_forecast {pf_forecast.__version__} | darts {darts.__version__} | torch {torch.__version__} | "
          f"{'QUICK smoke run (PF_QUICK=1)' if QUICK else 'full run'}")


def make_model(task, kind: str = "pf", *, epochs: int, seed: int = 0, **overrides):
    """A model for ``task`` (its input / output chunk lengths), trained ``epochs`` epochs with ``seed``.

    ``kind="pf"``: a :class:`~pf_forecast.ProgressiveFusionForecaster` on ``task.modalities`` (``overrides`` go to
    its constructor, e.g. ``n_refinements=1``); ``kind="tide"``: darts' ``TiDEModel`` with its defaults.
    """
    common = dict(input_chunk_length=task.input_chunk_length, output_chunk_length=task.horizon, n_epochs=epochs,
                  random_state=seed, work_dir=str(WORK_DIR), pl_trainer_kwargs=TRAINER)
    if kind == "tide":
        return TiDEModel(**common, **overrides)
    if kind != "pf":
        raise ValueError(f"kind must be 'pf' or 'tide', got {kind!r}")
    return ProgressiveFusionForecaster(**{"modalities": task.modalities, **common, **overrides})


def fit(model, task, *, train_windows: int | None = None) -> float:
    """Fit ``model`` on the task's training split (validation series and covariates included); the seconds taken.

    ``train_windows``: the most recent training windows per epoch (darts' ``max_samples_per_ts``; None: all).
    """
    start = time.perf_counter()
    model.fit(**task.fit_kwargs(), max_samples_per_ts=train_windows, verbose=False)
    return time.perf_counter() - start


def test_forecasts(model, task, *, stride: int, **kwargs):
    """``model``'s forecasts of every ``stride``-th test window, ``task.horizon`` steps each, without refitting.

    A list of ``TimeSeries`` (darts' ``historical_forecasts(retrain=False, last_points_only=False)``), scaled like
    the task's series.
    """
    return model.historical_forecasts(task.series, past_covariates=task.past_covariates, start=task.test_start,
                                      forecast_horizon=task.horizon, stride=stride, retrain=False,
                                      last_points_only=False, verbose=False, **kwargs)
