"""Training helpers for darts torch models (any of them, not only ours)."""

from __future__ import annotations

import math

import pytorch_lightning as pl
import torch

__all__ = ["RestoreBestWeights"]


class RestoreBestWeights(pl.Callback):
    """Keep, in memory, the weights of the epoch with the lowest ``monitor`` and restore them when training ends.

    ``EarlyStopping`` alone stops training but keeps the last epoch's weights; this callback gives the best
    epoch's, without writing checkpoints to disk. When the trainer's sanity check validates every batch
    (``num_sanity_val_steps=-1``, as ``pf-forecast bench`` sets), the weights training starts from are a candidate
    too (``best_epoch = -1``): a model that starts as a fitted linear model (``fit_linear_skips``) then never ends
    worse on the validation segment than that linear model.

    Parameters
    ----------
    monitor
        The logged metric to minimise.

    Examples
    --------
    >>> from pytorch_lightning.callbacks import EarlyStopping
    >>> from pf_forecast import ProgressiveFusionForecaster, RestoreBestWeights
    >>> model = ProgressiveFusionForecaster(
    ...     input_chunk_length=48, output_chunk_length=24, fit_linear_skips=True,
    ...     pl_trainer_kwargs={"callbacks": [EarlyStopping("val_loss", patience=3), RestoreBestWeights()],
    ...                        "num_sanity_val_steps": -1})
    """

    def __init__(self, monitor: str = "val_loss") -> None:
        super().__init__()
        self.monitor = monitor
        self.best = math.inf
        self.best_epoch: int | None = None
        self._state: dict[str, torch.Tensor] | None = None

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:  # noqa: D102
        if trainer.sanity_checking and trainer.num_sanity_val_steps != math.inf:
            return  # a partial validation pass: not comparable with the epochs' full passes
        value = trainer.callback_metrics.get(self.monitor)
        if value is None:
            return
        value = float(value)
        if math.isfinite(value) and value < self.best:
            self.best = value
            self.best_epoch = -1 if trainer.sanity_checking else int(trainer.current_epoch)
            self._state = {k: v.detach().clone() for k, v in pl_module.state_dict().items()}

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:  # noqa: D102
        if self._state is not None:
            pl_module.load_state_dict(self._state)
            self._state = None
