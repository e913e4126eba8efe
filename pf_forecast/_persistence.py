"""Saving and loading :class:`~pf_forecast.ProgressiveFusionForecaster` files: the atomic two-file save, and the
checks that a loaded model file and its weights file belong together.

A save writes ``path`` (the pickled model, without its network) and ``path + ".ckpt"`` (a Lightning checkpoint of
the network); the model file records the sha256 digest of the weights file, which a load compares.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import os
import pickletools
import shutil
import uuid
import zipfile

import pytorch_lightning as pl
import torch

#: What a load compares between the model file and the weights' hparams, beside the network's layout.
_SHARED_PL_PARAMS = ("input_chunk_length", "output_chunk_length", "output_chunk_shift", "use_reversible_instance_norm")


# ---------------------------------------------------------------------- save
def save_atomically(model, path: str, clean: bool) -> None:
    """Write ``model`` to ``path`` and its weights to ``path + ".ckpt"``, both first under temporary names in the
    same folder and then moved into place, so a failure leaves any previous save at ``path`` intact."""
    folder, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    if model.trainer is not None and model.trainer.global_rank != 0:
        # distributed run (every rank calls save): Lightning's checkpoint write is collective (a barrier) and
        # happens on rank 0 only, so the other ranks join it and write nothing
        model.trainer.save_checkpoint(tmp + ".ckpt", weights_only=clean)
        return
    check_save_target(path, folder)  # before anything is written: nothing half-done to undo
    try:
        # the weights first: the model file records their digest
        has_weights = write_weights(model, tmp + ".ckpt", weights_only=clean)
        saved = model._clean() if clean else copy.copy(model)  # a shallow copy: `model` is left as it is
        saved.model = None  # the weights travel in the .ckpt only, as darts saves them
        saved._weights_sha256 = file_sha256(tmp + ".ckpt") if has_weights else None
        with open(tmp, "wb") as f_out:
            torch.save(saved, f_out)
        if has_weights:
            os.replace(tmp + ".ckpt", path + ".ckpt")
            os.replace(tmp, path)
        else:  # no weights (never fitted): a weights file left by an older save would not match
            os.replace(tmp, path)
            if os.path.exists(path + ".ckpt"):
                os.remove(path + ".ckpt")
    except OSError as err:
        # the failing file is one of the temporary ones: name the user's path instead
        message = (
            f"Cannot save the model to {path!r}: {err.strerror or err}. Check that the folder {folder!r} is "
            "writable and has free space, or pass a path in another folder."
        )
        raise (OSError(err.errno, message) if err.errno is not None else OSError(message)) from None
    finally:
        for leftover in (tmp, tmp + ".ckpt"):
            if os.path.exists(leftover):
                os.remove(leftover)


def write_weights(model, file: str, weights_only: bool) -> bool:
    """Write the weights checkpoint of ``model`` to ``file``; ``False`` when it has none (never fitted)."""
    if model.trainer is not None:
        model.trainer.save_checkpoint(file, weights_only=weights_only)
    elif model.load_ckpt_path and os.path.isfile(model.load_ckpt_path):
        # load_from_checkpoint: keep the full checkpoint (optimizer, loops) a later fit resumes from, as darts does
        shutil.copyfile(model.load_ckpt_path, file)
    elif model.model is not None:
        # loaded or copied, and neither trained nor run since: no trainer holds the module, so write it directly
        torch.save(module_checkpoint(model.model), file)
    return os.path.exists(file)


def check_save_target(path: str, folder: str) -> None:
    """``save``: refuse a target it could not write, before writing anything."""
    if not os.path.isdir(folder):
        if os.path.exists(folder):
            what, fix = "is a file, not a folder", "Pass a path in a folder"
        else:
            what = "does not exist"
            fix = f"Create the folder first (`os.makedirs({folder!r}, exist_ok=True)`), or save into an existing one"
        raise FileNotFoundError(f"Cannot save the model to {path!r}: the folder {folder!r} {what}. {fix}.")
    if os.path.isdir(path):
        raise ValueError(
            f"Cannot save the model to {path!r}: that path is a directory; save() writes two files, `path` and "
            f"`path + '.ckpt'`. Pass a file path, e.g. {os.path.join(path, 'model.pt')!r}."
        )
    if os.path.isdir(path + ".ckpt"):
        raise ValueError(
            f"Cannot save the model to {path!r}: its weights file {path + '.ckpt'!r} would replace a directory. Move "
            "that directory away, or pass another path."
        )


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def module_checkpoint(module: pl.LightningModule) -> dict:
    """A Lightning checkpoint of ``module`` with what ``Trainer.save_checkpoint(weights_only=True)`` writes (weights,
    hyper-parameters, darts' own entries), for a module that no trainer holds (loaded from a file, or copied)."""
    checkpoint = {
        "epoch": module.current_epoch,
        "global_step": module.global_step,
        "pytorch-lightning_version": pl.__version__,
        "state_dict": module.state_dict(),
        module.CHECKPOINT_HYPER_PARAMS_KEY: dict(module.hparams),
    }
    hparams_name = getattr(module, "_hparams_name", None)
    if hparams_name:
        checkpoint[module.CHECKPOINT_HYPER_PARAMS_NAME] = hparams_name
    module.on_save_checkpoint(checkpoint)  # darts adds the dtype, input shapes, loss and metrics
    return checkpoint


# ---------------------------------------------------------------------- load
def check_load_path(cls: type, path: str) -> None:
    """``load``: ``path`` must be a file."""
    if not os.path.isfile(path):
        what = "is a directory" if os.path.isdir(path) else "does not exist"
        raise FileNotFoundError(
            f"Cannot load a {cls.__name__} from {path!r}: the path {what}. Pass the file given to "
            "`model.save(path)` (save() also writes the weights next to it, as path + '.ckpt')."
        )


def load_error(cls: type, path: str, err: Exception) -> Exception:
    """The error to raise when darts cannot load ``path``: it names the class the file holds, if any, and the
    paths."""
    held = pickled_class(path)  # e.g. a regression model: darts pickles those, without torch
    if held is not None:
        module, name = held
        how = f"`{name}.load(path)`" if module.split(".")[0] == "darts" else "the library that wrote it"
        return TypeError(
            f"{path!r} holds a {name} ({module}.{name}, pickled without torch), not a {cls.__name__}; "
            f"load it with {how}."
        )
    return ValueError(
        f"Cannot load a {cls.__name__} from {path!r} (or its weights {path + '.ckpt'!r}): "
        f"{type(err).__name__}: {err or 'unreadable file'}. The file is truncated, corrupt or was not written "
        f"by `{cls.__name__}.save()`; save the model again, or copy both files again."
    )


def check_loaded(cls: type, model, path: str, digest: str | None) -> None:
    """The model darts loaded from ``path`` is a ``cls`` whose weights file (of sha256 ``digest``, ``None`` if
    absent) is the one saved with it."""
    ckpt = path + ".ckpt"
    if not isinstance(model, cls):
        raise TypeError(
            f"{path!r} holds a {type(model).__name__}, not a {cls.__name__}; load it with "
            f"`{type(model).__name__}.load(path)`."
        )
    if model.train_sample is not None and not os.path.isfile(ckpt):
        raise FileNotFoundError(
            f"{path!r} holds a fitted {cls.__name__}, but its weights file {ckpt!r} is missing; "
            "copy it next to the model file (save() writes both), or save the model again."
        )
    fix = f"Copy both files of one save together ({path!r} and {ckpt!r}), or save the model again."
    mismatched = weights_mismatch(model)
    if mismatched:
        raise ValueError(
            f"Cannot load a {cls.__name__} from {path!r}: its weights file {ckpt!r} holds another network "
            f"({'; '.join(mismatched)}), so it was written by another save. {fix}"
        )
    recorded = getattr(model, "_weights_sha256", None)  # absent from files saved by older versions
    if recorded is not None and recorded != digest:
        raise ValueError(
            f"Cannot load a {cls.__name__} from {path!r}: its weights file {ckpt!r} is not the one saved with it "
            f"(sha256 {(digest or 'none')[:12]}..., the model file recorded {recorded[:12]}...): it was written "
            f"by another save, or modified or corrupted since. {fix}"
        )


def weights_mismatch(model) -> list[str]:
    """The network hyper-parameters on which the loaded weights (``model.model``) and ``model`` differ, as
    ``"name=<weights'> (the model file has <model's>)"``; empty when they agree or cannot be compared."""
    if model.model is None or model.train_sample is None:
        return []
    if model._resolved_modalities is None and model.modalities is not None:
        return []  # fitted from a dataset without component names: no layout to compare with
    expected = model._network_layout(model.train_sample)
    for key in _SHARED_PL_PARAMS:
        if key in model.pl_module_params:
            expected[key] = model.pl_module_params[key]
    found = model.model.hparams
    return [
        f"{key}={found[key]!r} (the model file has {value!r})"
        for key, value in expected.items()
        if key in found and _plain(found[key]) != _plain(value)  # older weights may lack newer keys
    ]


def pickled_class(path: str) -> tuple[str, str] | None:
    """``(module, name)`` of the class of the object pickled in ``path``, read from the pickle's first opcodes
    (nothing is unpickled); ``None`` if ``path`` is no plain pickle (e.g. a torch zip file) or names no class."""
    if zipfile.is_zipfile(path):
        return None
    strings: list[str] = []
    try:
        with open(path, "rb") as f:
            for i, (op, arg, _) in enumerate(itertools.islice(pickletools.genops(f), 64)):
                if i == 0 and op.name != "PROTO":  # darts pickles with protocol >= 2; other bytes read as noise
                    return None
                if op.name == "GLOBAL":  # protocols 2-3: "module name"
                    module, _, name = arg.partition(" ")
                elif op.name == "STACK_GLOBAL" and len(strings) >= 2:  # protocol 4+: the two strings pushed before
                    module, name = strings[-2:]
                else:
                    if isinstance(arg, str) and "UNICODE" in op.name:
                        strings.append(arg)
                    continue
                if not (name.isidentifier() and all(part.isidentifier() for part in module.split("."))):
                    return None
                if module not in ("copyreg", "copy_reg", "builtins", "__builtin__"):  # pickle's own helpers
                    return module, name
    except Exception:  # not a pickle, or truncated: the caller reports it as an unreadable file
        return None
    return None


def _plain(value):
    """Tuples as lists, recursively: hyper-parameters compared after a round trip through a checkpoint."""
    return [_plain(v) for v in value] if isinstance(value, list | tuple) else value
