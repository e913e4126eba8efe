"""Faults: a training run killed mid-way can be resumed from its last checkpoint, and model writes are atomic."""

from __future__ import annotations

import errno
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import TINY_PF, TRAINER_KWARGS, make_series

from pf_forecast import ProgressiveFusionForecaster
from pf_forecast.model import _ProgressiveFusionModule

IN, OUT = 24, 6
N_EPOCHS = 5
REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent

# The child trains with checkpoints and sleeps at the end of every epoch, before Lightning writes that epoch's
# checkpoint, so the parent can kill it safely between two checkpoint writes. The sleep is patched on the class, not
# passed as a callback, so nothing unpicklable ends up in the saved model.
CHILD = """
import sys, time
import torch
torch.set_num_threads(1)
sys.path.insert(0, {tests!r})
from conftest import TRAINER_KWARGS, make_series
from pf_forecast import ProgressiveFusionForecaster
from pf_forecast.model import _ProgressiveFusionModule

_original = _ProgressiveFusionModule.on_train_epoch_end
def _slow_epoch_end(self):
    _original(self)
    print("epoch", self.current_epoch, "done", flush=True)
    time.sleep({delay})
_ProgressiveFusionModule.on_train_epoch_end = _slow_epoch_end

y, x = make_series()
model = ProgressiveFusionForecaster({icl}, {ocl}, **{kwargs!r}, pl_trainer_kwargs=TRAINER_KWARGS)
model.fit(y, past_covariates=x)
print("finished", flush=True)  # never reached: the parent kills the child first
"""


def _tiny(**overrides) -> dict:
    return {**TINY_PF, **overrides}


def _checkpoints(folder: Path) -> list[Path]:
    return sorted(folder.glob("last-epoch=*.ckpt")) if folder.is_dir() else []


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Checkpoint directory .* exists and is not empty")
@pytest.mark.filterwarnings("ignore:.*could not find the monitored key")
def test_killed_training_resumes_from_its_last_checkpoint(tmp_path, monkeypatch):
    work_dir = tmp_path / "logs"
    kwargs = _tiny(n_epochs=N_EPOCHS, save_checkpoints=True, work_dir=str(work_dir), model_name="resume",
                   force_reset=True)
    script = tmp_path / "train.py"
    script.write_text(CHILD.format(tests=str(TESTS), delay=2.0, icl=IN, ocl=OUT, kwargs=kwargs))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    folder = work_dir / "resume" / "checkpoints"
    try:
        deadline = time.monotonic() + 120  # importing darts + torch in the child takes a while on a busy box
        while not _checkpoints(folder) and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _checkpoints(folder), f"no checkpoint appeared; child output:\n{child.communicate()[0]}"
        time.sleep(0.3)  # let the write finish; the next one comes only after the 2 s sleep of the next epoch
        os.kill(child.pid, signal.SIGKILL)
    finally:
        if child.poll() is None:
            child.kill()
        output = child.communicate(timeout=30)[0]
    assert child.returncode == -signal.SIGKILL
    assert "finished" not in output

    (ckpt,) = _checkpoints(folder)  # exactly one "last" checkpoint survives the kill
    done = int(re.search(r"last-epoch=(\d+)\.ckpt", ckpt.name).group(1)) + 1  # epochs completed before the kill
    assert 1 <= done < N_EPOCHS

    model = ProgressiveFusionForecaster.load_from_checkpoint("resume", work_dir=str(work_dir), best=False)
    assert model.load_ckpt_path == str(ckpt)
    seen: list[int] = []
    original = _ProgressiveFusionModule.on_train_epoch_start

    def record(self):
        seen.append(self.current_epoch)
        return original(self)

    monkeypatch.setattr(_ProgressiveFusionModule, "on_train_epoch_start", record)
    y, x = make_series()
    # when resuming, darts hands `epochs` to Lightning as max_epochs: the total to reach, counted from epoch 0
    model.fit(y, past_covariates=x, epochs=N_EPOCHS, verbose=False)
    assert seen == list(range(done, N_EPOCHS)), "training must continue after the checkpoint, not restart"
    assert model.epochs_trained == N_EPOCHS
    assert all(torch.isfinite(p).all() for p in model.model.parameters())
    assert np.isfinite(model.predict(OUT, verbose=False).values()).all()


# ---------------------------------------------------------------------------------------------------- atomic saves
@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("atomic")
    y, x = make_series()
    model = ProgressiveFusionForecaster(IN, OUT, **_tiny(n_epochs=1, work_dir=str(tmp),
                                                         pl_trainer_kwargs=dict(TRAINER_KWARGS)))
    return model.fit(y, past_covariates=x), y, x


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def _save_good(model, tmp_path) -> tuple[str, dict[str, bytes]]:
    path = str(tmp_path / "model.pt")
    model.save(path)
    files = _files(tmp_path)
    assert set(files) == {"model.pt", "model.pt.ckpt"}
    return path, files


def test_save_writes_temporary_files_then_renames(fitted, tmp_path, monkeypatch):
    model, _, _ = fitted
    targets: list[str] = []
    real_save = torch.save

    def spy(obj, f, *args, **kwargs):
        targets.append(getattr(f, "name", f) if not isinstance(f, (str, os.PathLike)) else os.fspath(f))
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", spy)
    model.save(str(tmp_path / "model.pt"))
    monkeypatch.undo()
    model_file = [t for t in targets if isinstance(t, str)]
    assert model_file and all(os.path.dirname(t) == str(tmp_path) for t in model_file)
    assert all(os.path.basename(t).startswith(".model.pt.") and t.endswith(".tmp") for t in model_file)
    assert set(_files(tmp_path)) == {"model.pt", "model.pt.ckpt"}  # nothing temporary left behind


def test_failure_writing_the_model_file_keeps_the_previous_save(fitted, tmp_path, monkeypatch):
    model, y, x = fitted
    path, before = _save_good(model, tmp_path)
    expected = ProgressiveFusionForecaster.load(path).predict(OUT, series=y, past_covariates=x).values()

    def disk_full(obj, f, *args, **kwargs):
        f.write(b"half a model")  # a partial write, then the failure
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", disk_full)
    with pytest.raises(OSError, match="No space left"):
        model.save(path)
    monkeypatch.undo()
    assert _files(tmp_path) == before  # same names, same bytes: no partial file, no leftovers
    again = ProgressiveFusionForecaster.load(path).predict(OUT, series=y, past_covariates=x).values()
    np.testing.assert_array_equal(again, expected)


def test_failure_writing_the_weights_keeps_the_previous_save(fitted, tmp_path, monkeypatch):
    model, _, _ = fitted
    path, before = _save_good(model, tmp_path)
    import pytorch_lightning as pl

    def killed_mid_checkpoint(self, filepath, *args, **kwargs):
        Path(filepath).write_bytes(b"PK\x03\x04 truncated")
        raise KeyboardInterrupt  # e.g. Ctrl-C in the middle of the write

    monkeypatch.setattr(pl.Trainer, "save_checkpoint", killed_mid_checkpoint)
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    monkeypatch.undo()
    assert _files(tmp_path) == before
    assert ProgressiveFusionForecaster.load(path).model is not None


def test_save_replaces_a_previous_model_and_drops_stale_weights(fitted, tmp_path):
    model, y, x = fitted
    path, before = _save_good(model, tmp_path)
    other = ProgressiveFusionForecaster(IN, OUT, **_tiny(n_epochs=1, random_state=1, work_dir=str(tmp_path / "w"),
                                                         pl_trainer_kwargs=dict(TRAINER_KWARGS)))
    other.fit(y, past_covariates=x)
    other.save(path)
    assert _files(tmp_path) != before
    np.testing.assert_array_equal(
        ProgressiveFusionForecaster.load(path).predict(OUT, series=y, past_covariates=x).values(),
        other.predict(OUT, series=y, past_covariates=x).values(),
    )
    # an unfitted model has no weights: the old weights file must not be paired with it
    ProgressiveFusionForecaster(IN, OUT, **_tiny(work_dir=str(tmp_path / "w"))).save(path)
    assert set(_files(tmp_path)) == {"model.pt"}
    assert not ProgressiveFusionForecaster.load(path)._fit_called


def test_child_script_is_valid_python():
    """The kill-and-resume child is a template: keep it importable (a syntax error would look like a timeout)."""
    compile(textwrap.dedent(CHILD.format(tests="t", delay=0, icl=IN, ocl=OUT, kwargs={})), "train.py", "exec")
