"""Regression tests for save / load defects found by hostile use (reproducers r01, r05, r08, r12).

- r01: ``load()`` then ``save()`` deleted or omitted the weights file, leaving a model that could not be loaded.
- r05: ``load`` accepted another model's weights file, or corrupted weights, without an error.
- r08: ``save`` errors named an internal temporary file; a directory as target left a half-written pair.
- r12: unclear errors for ``fit(series=[])``, ``predict`` after pickle / deepcopy, and loading a file holding a
  darts model that is not a torch model.
"""

from __future__ import annotations

import copy
import errno
import os
import pickle
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import TINY_PF, TRAINER_KWARGS, make_series

from pf_forecast import ProgressiveFusionForecaster

IN, OUT = 24, 6
MODALITIES = {"a": ["c0", "c1"], "b": ["c2"]}


def _kwargs(tmp: Path, **overrides) -> dict:
    base = {**TINY_PF, "n_epochs": 1, "work_dir": str(tmp / "logs"), "pl_trainer_kwargs": dict(TRAINER_KWARGS)}
    return {**base, **overrides}


class Fitted:
    """Three tiny fitted models: ``a`` and ``c`` share a network layout (modalities a, b; other seeds), ``b`` has
    one modality per covariate; each saved once under ``tmp``."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.y, self.x = make_series()
        self.a = self._fit(modalities=MODALITIES)
        self.b = self._fit()
        self.c = self._fit(modalities=MODALITIES, random_state=1)
        for name in "abc":
            getattr(self, name).save(str(tmp / f"{name}.pt"))

    def _fit(self, **overrides) -> ProgressiveFusionForecaster:
        model = ProgressiveFusionForecaster(IN, OUT, **_kwargs(self.tmp, **overrides))
        return model.fit(self.y, past_covariates=self.x)

    def forecast(self, model) -> np.ndarray:
        return model.predict(OUT, series=self.y, past_covariates=self.x).values()

    def pair(self, folder: Path, name: str, pt: str, ckpt: str | None) -> str:
        """``folder/name`` made of model ``pt``'s model file and model ``ckpt``'s weights file."""
        folder.mkdir(exist_ok=True)
        path = folder / name
        shutil.copyfile(self.tmp / f"{pt}.pt", path)
        if ckpt is not None:
            shutil.copyfile(self.tmp / f"{ckpt}.pt.ckpt", str(path) + ".ckpt")
        return str(path)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> Fitted:
    return Fitted(tmp_path_factory.mktemp("fitted"))


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _old_format_model_file(model: ProgressiveFusionForecaster, path: str) -> None:
    """A model file as versions before the weights digest wrote it (darts' format: the model without its module)."""
    old = copy.copy(model)
    old.model = None
    assert not hasattr(old, "_weights_sha256")
    with open(path, "wb") as f:
        torch.save(old, f)


# ---------------------------------------------------------------------------------------------- r01
@pytest.mark.parametrize("clean", [False, True])
def test_r01_load_then_save_to_the_same_path_keeps_the_weights(fitted, tmp_path, clean):
    path = fitted.pair(tmp_path, "m.pt", "a", "a")
    ProgressiveFusionForecaster.load(path).save(path, clean=clean)  # no fit / predict in between
    assert set(_files(tmp_path)) == {"m.pt", "m.pt.ckpt"}
    np.testing.assert_allclose(fitted.forecast(ProgressiveFusionForecaster.load(path)), fitted.forecast(fitted.a))


@pytest.mark.parametrize("clean", [False, True])
def test_r01_load_then_save_to_a_new_path_writes_both_files(fitted, tmp_path, clean):
    path = fitted.pair(tmp_path, "m.pt", "a", "a")
    before = _files(tmp_path)
    copy_path = str(tmp_path / "copy.pt")
    ProgressiveFusionForecaster.load(path).save(copy_path, clean=clean)
    assert set(_files(tmp_path)) == {"m.pt", "m.pt.ckpt", "copy.pt", "copy.pt.ckpt"}
    assert {k: v for k, v in _files(tmp_path).items() if k.startswith("m.")} == before  # the source is untouched
    reloaded = ProgressiveFusionForecaster.load(copy_path)
    assert reloaded.modalities_ == fitted.a.modalities_
    np.testing.assert_allclose(fitted.forecast(reloaded), fitted.forecast(fitted.a))
    # the weights written without a trainer are a complete checkpoint: darts' load_weights reads them too
    fresh = ProgressiveFusionForecaster(IN, OUT, **_kwargs(tmp_path, modalities=MODALITIES))
    fresh.load_weights(copy_path)
    np.testing.assert_allclose(fitted.forecast(fresh), fitted.forecast(fitted.a))


def test_r01_a_twice_resaved_model_still_loads(fitted, tmp_path):
    path = fitted.pair(tmp_path, "m.pt", "a", "a")
    for target in ("m.pt", "m2.pt", "m.pt"):  # load -> save, repeatedly, over the source and elsewhere
        ProgressiveFusionForecaster.load(path).save(str(tmp_path / target))
        path = str(tmp_path / target)
    np.testing.assert_allclose(fitted.forecast(ProgressiveFusionForecaster.load(path)), fitted.forecast(fitted.a))


# ---------------------------------------------------------------------------------------------- r05
def test_r05_weights_of_another_network_are_refused(fitted, tmp_path):
    path = fitted.pair(tmp_path, "mix.pt", "a", "b")  # a's modalities (3) with b's network (4 modalities)
    with pytest.raises(ValueError) as info:
        ProgressiveFusionForecaster.load(path)
    message = str(info.value)
    assert path in message and path + ".ckpt" in message
    assert "holds another network" in message and "modality_sources" in message
    assert "Copy both files of one save together" in message


def test_r05_weights_of_another_network_are_refused_for_files_without_digest(fitted, tmp_path):
    path = str(tmp_path / "old.pt")
    _old_format_model_file(fitted.a, path)
    shutil.copyfile(fitted.tmp / "b.pt.ckpt", path + ".ckpt")
    with pytest.raises(ValueError, match=r"holds another network \(modality_sources="):
        ProgressiveFusionForecaster.load(path)


def test_r05_weights_of_another_save_with_the_same_network_are_refused(fitted, tmp_path):
    path = fitted.pair(tmp_path, "mix.pt", "a", "c")  # same layout and names, other weights
    with pytest.raises(ValueError, match=r"is not the one saved with it \(sha256 .*another save.*Copy both files"):
        ProgressiveFusionForecaster.load(path)


def test_r05_corrupted_weights_are_refused(fitted, tmp_path):
    path = fitted.pair(tmp_path, "flip.pt", "a", "a")
    raw = bytearray(Path(path + ".ckpt").read_bytes())
    with zipfile.ZipFile(path + ".ckpt") as z:  # flip exponent bits inside the largest stored tensor
        info = max((z.getinfo(n) for n in z.namelist() if "/data/" in n), key=lambda i: i.file_size)
    off = info.header_offset
    name_len, extra_len = (int.from_bytes(raw[off + k:off + k + 2], "little") for k in (26, 28))
    start = off + 30 + name_len + extra_len  # the local header, then the stored (uncompressed) bytes
    for k in range(0, 64, 4):
        raw[start + k + 3] ^= 0x40
    Path(path + ".ckpt").write_bytes(bytes(raw))
    before = _files(tmp_path)
    with pytest.raises(ValueError, match=r"flip\.pt\.ckpt' is not the one saved with it.*corrupted"):
        ProgressiveFusionForecaster.load(path)
    assert _files(tmp_path) == before


def test_r05_model_file_without_digest_still_loads(fitted, tmp_path):
    path = str(tmp_path / "old.pt")
    _old_format_model_file(fitted.a, path)
    shutil.copyfile(fitted.tmp / "a.pt.ckpt", path + ".ckpt")
    np.testing.assert_allclose(fitted.forecast(ProgressiveFusionForecaster.load(path)), fitted.forecast(fitted.a))


# ---------------------------------------------------------------------------------------------- r08
def test_r08_save_into_a_missing_folder_names_the_path(fitted, tmp_path):
    path = str(tmp_path / "missing_dir" / "m.pt")
    with pytest.raises(FileNotFoundError) as info:
        fitted.a.save(path)
    message = str(info.value)
    assert path in message and "does not exist" in message and "Create the folder" in message
    assert ".tmp" not in message
    assert list(tmp_path.iterdir()) == []


def test_r08_save_onto_a_directory_writes_nothing(fitted, tmp_path):
    os.makedirs(tmp_path / "m.pt")
    with pytest.raises(ValueError) as info:
        fitted.a.save(str(tmp_path / "m.pt"))
    message = str(info.value)
    assert str(tmp_path / "m.pt") in message and "is a directory" in message and ".tmp" not in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]  # no weights file moved into place
    assert list((tmp_path / "m.pt").iterdir()) == []


def test_r08_a_failed_write_names_the_path_not_the_temporary_file(fitted, tmp_path, monkeypatch):
    import pytorch_lightning as pl

    def read_only(self, filepath, *args, **kwargs):  # what a read-only folder gives, on any user (root included)
        raise PermissionError(errno.EACCES, "Permission denied", filepath)

    monkeypatch.setattr(pl.Trainer, "save_checkpoint", read_only)
    path = str(tmp_path / "m.pt")
    with pytest.raises(PermissionError) as info:
        fitted.a.save(path)
    message = str(info.value)
    assert path in message and "Permission denied" in message and "writable" in message
    assert ".tmp" not in message and info.value.__suppress_context__
    assert list(tmp_path.iterdir()) == []


def test_r08_save_into_a_read_only_folder_names_the_path(fitted, tmp_path, monkeypatch):
    """A read-only folder refuses every new file in it, the temporary ones included. Simulated by refusing writes
    into that folder (not with permission bits, which root, as in CI, ignores)."""
    import builtins

    folder = tmp_path / "ro"
    folder.mkdir()
    real_open = builtins.open

    def read_only_open(file, mode="r", *args, **kwargs):
        if (isinstance(file, (str, bytes, os.PathLike)) and any(c in mode for c in "wax+")
                and os.path.dirname(os.path.abspath(os.fsdecode(file))) == str(folder)):
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(file))
        return real_open(file, mode, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(builtins, "open", read_only_open)
        with pytest.raises(PermissionError) as info:
            fitted.a.save(str(folder / "m.pt"))
    message = str(info.value)
    assert str(folder / "m.pt") in message and ".tmp" not in message and "writable" in message
    assert list(folder.iterdir()) == []


# ---------------------------------------------------------------------------------------------- r12
def test_r12_fit_on_an_empty_list_says_it_is_empty(tmp_path):
    model = ProgressiveFusionForecaster(IN, OUT, **_kwargs(tmp_path))
    with pytest.raises(TypeError, match=r"`series` is an empty list; pass a TimeSeries or a non-empty list"):
        model.fit([])
    y, x = make_series()
    with pytest.raises(TypeError, match=r"`past_covariates` is an empty list.*or leave `past_covariates` out"):
        model.fit(y, past_covariates=[])
    assert not model._fit_called


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_r12_a_pickled_or_deepcopied_fitted_model_predicts(fitted, how):
    clone = pickle.loads(pickle.dumps(fitted.a)) if how == "pickle" else copy.deepcopy(fitted.a)
    assert clone.model is not None and clone.model is not fitted.a.model
    np.testing.assert_allclose(fitted.forecast(clone), fitted.forecast(fitted.a))
    np.testing.assert_allclose(clone.predict(OUT).values(), fitted.a.predict(OUT).values())


def test_r12_save_still_writes_the_weights_only_to_the_ckpt(fitted, tmp_path):
    # plain pickling keeps the network; the model file that save() writes must not (darts' format)
    fitted.a.save(str(tmp_path / "m.pt"))
    assert b"_pickled_module" not in (tmp_path / "m.pt").read_bytes()
    assert fitted.a.model is not None and fitted.a.trainer is not None  # save leaves the model as it was


def test_r12_load_of_a_regression_model_file_names_its_class(fitted, tmp_path):
    from darts.models import LinearRegressionModel

    path = str(tmp_path / "lr.pkl")
    LinearRegressionModel(lags=4).fit(fitted.y).save(path)
    with pytest.raises(TypeError) as info:
        ProgressiveFusionForecaster.load(path)
    message = str(info.value)
    assert path in message and "holds a LinearRegressionModel" in message
    assert "`LinearRegressionModel.load(path)`" in message
