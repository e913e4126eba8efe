"""Distributed data-parallel training through Lightning, on two CPU processes of one machine (gloo backend).

The two multi-process tests are marked ``slow`` (skip them locally with ``pytest -m "not slow"``) but CI runs them:
the default ``python -m pytest`` selects every test. They are the only check that the model pickles into worker
processes, that the trained weights come back to the caller, and that predictions work afterwards.

- ``ddp_spawn`` inside this process: Lightning spawns two workers, trains, and copies rank 0's weights back.
- ``ddp`` under ``torchrun``, as on a real multi-GPU box or a SLURM node: every rank runs the whole script.
"""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import TINY_PF, TRAINER_KWARGS, make_series

from pf_forecast import ProgressiveFusionForecaster

IN, OUT = 24, 6
BATCH = 32
EPOCHS = 2
TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tiny(**overrides) -> dict:
    return {**TINY_PF, "n_epochs": EPOCHS, "batch_size": BATCH, **overrides}


def _steps_per_rank(n_windows: int, world_size: int) -> int:
    """Optimizer steps per rank over the run: the DistributedSampler gives each rank ceil(n / world) windows."""
    return EPOCHS * math.ceil(math.ceil(n_windows / world_size) / BATCH)


def _data():
    y1, x1 = make_series(n=160, seed=0)
    y2, x2 = make_series(n=160, seed=1)
    n_windows = 2 * (160 - IN - OUT + 1)
    return [y1, y2], [x1, x2], n_windows


@pytest.mark.slow
def test_ddp_spawn_on_two_cpu_processes(tmp_path, monkeypatch):
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", str(_free_port()))
    series, covs, n_windows = _data()
    model = ProgressiveFusionForecaster(
        IN, OUT, modalities={"a": ["c0", "c1"], "b": ["c2"]}, save_checkpoints=True, work_dir=str(tmp_path),
        model_name="ddp_spawn", force_reset=True,
        pl_trainer_kwargs={**TRAINER_KWARGS, "devices": 2, "strategy": "ddp_spawn"}, **_tiny(),
    )
    model.fit(series, past_covariates=covs)

    # rank 0 wrote the last checkpoint inside its worker; the data were sharded over the two processes
    (ckpt_path,) = (tmp_path / "ddp_spawn" / "checkpoints").glob("last-epoch=*.ckpt")
    ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=False)
    assert ckpt["epoch"] == EPOCHS - 1
    assert ckpt["global_step"] == _steps_per_rank(n_windows, world_size=2)
    # ... and the trained weights came back to this (the main) process
    weights = model.model.state_dict()
    assert all(torch.equal(weights[k], v) for k, v in ckpt["state_dict"].items())

    # saving right after the distributed fit, then predicting here: on one device, without re-spawning workers
    model.save(str(tmp_path / "ddp.pt"))
    forecast = model.predict(OUT, series=series[0], past_covariates=covs[0], verbose=False)
    assert np.isfinite(forecast.values()).all()
    hf = model.historical_forecasts(series[0], past_covariates=covs[0], start=120, forecast_horizon=OUT,
                                    stride=10, retrain=False, verbose=False)
    assert len(hf) > 0 and all(np.isfinite(f.values()).all() for f in hf)

    reloaded = ProgressiveFusionForecaster.load(str(tmp_path / "ddp.pt"))
    np.testing.assert_array_equal(
        reloaded.predict(OUT, series=series[0], past_covariates=covs[0], verbose=False).values(), forecast.values()
    )


TORCHRUN_SCRIPT = """
import sys
import torch
sys.path.insert(0, {tests!r})
from conftest import TRAINER_KWARGS, make_series
from pf_forecast import ProgressiveFusionForecaster

y1, x1 = make_series(n=160, seed=0)
y2, x2 = make_series(n=160, seed=1)
model = ProgressiveFusionForecaster(
    {icl}, {ocl}, **{kwargs!r},
    pl_trainer_kwargs={{**TRAINER_KWARGS, "accelerator": "cpu", "devices": 2, "strategy": "ddp"}},
)
model.fit([y1, y2], past_covariates=[x1, x2])
# every rank runs the whole script and calls save (Lightning's checkpoint write is collective); rank 0 writes
model.save({out!r})
with open({report!r} + str(model.trainer.global_rank), "w") as report:  # ranks share stdout: one file each
    report.write(str(model.trainer.global_step))
"""


@pytest.mark.slow
def test_ddp_under_torchrun(tmp_path):
    out = tmp_path / "torchrun.pt"
    script = tmp_path / "train.py"
    script.write_text(TORCHRUN_SCRIPT.format(tests=str(TESTS), icl=IN, ocl=OUT, out=str(out),
                                             report=str(tmp_path / "steps_of_rank_"),
                                             kwargs=_tiny(work_dir=str(tmp_path / "logs"))))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", "--nnodes=1", "--nproc_per_node=2",
               "--master_addr=127.0.0.1", f"--master_port={_free_port()}", str(script)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    series, covs, n_windows = _data()
    steps = _steps_per_rank(n_windows, world_size=2)  # both ranks trained on their half of the windows, and saved
    assert [(tmp_path / f"steps_of_rank_{r}").read_text() for r in (0, 1)] == [str(steps)] * 2
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("torchrun")) == [
        "torchrun.pt", "torchrun.pt.ckpt"]  # one model, written once, no temporary files left

    model = ProgressiveFusionForecaster.load(str(out))
    forecast = model.predict(OUT, series=series[1], past_covariates=covs[1], verbose=False)
    assert np.isfinite(forecast.values()).all()
    assert model.trainer_params["strategy"] == "ddp"  # loaded as saved; predict still runs on one device


@pytest.mark.parametrize(
    "params, single",
    [
        ({"accelerator": "cpu"}, None),
        ({"accelerator": "gpu", "devices": 1}, None),
        ({"accelerator": "gpu", "devices": [3]}, None),
        ({"accelerator": "cpu", "devices": 2, "strategy": "ddp_spawn"}, {"accelerator": "cpu", "devices": 1}),
        ({"accelerator": "gpu", "devices": [2, 3]}, {"accelerator": "gpu", "devices": [2]}),
        ({"accelerator": "gpu", "devices": -1}, {"accelerator": "gpu", "devices": 1}),
        ({"accelerator": "gpu", "devices": "0,1"}, {"accelerator": "gpu", "devices": 1}),
        ({"accelerator": "gpu", "devices": 4, "num_nodes": 2, "logger": False}, {"accelerator": "gpu", "devices": 1,
                                                                                   "logger": False}),
        ({"devices": 1, "strategy": "ddp"}, {"devices": 1}),
    ],
)
def test_prediction_trainer_settings(params, single):
    """Which trainer settings make predict / historical_forecasts switch to one device, and to what."""
    from pf_forecast.model import _single_device_trainer_params

    before = dict(params)
    assert _single_device_trainer_params(params) == single
    assert params == before  # the model's own settings are not modified


def test_single_process_settings_are_untouched(tmp_path):
    """No multi-process settings: predict uses the model's own trainer settings, as in darts."""
    y, x = make_series()
    model = ProgressiveFusionForecaster(IN, OUT, work_dir=str(tmp_path), pl_trainer_kwargs=dict(TRAINER_KWARGS),
                                        **_tiny(n_epochs=1))
    model.fit(y, past_covariates=x)
    settings = dict(model.trainer_params)
    model.predict(OUT, verbose=False)
    assert type(model.trainer.strategy).__name__ == "SingleDeviceStrategy"
    assert model.trainer_params == settings
