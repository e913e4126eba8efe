"""ProgressiveFusionForecaster: Progressive Fusion as a darts ``TorchForecastingModel``.

Three parts, as in darts' own model files: the pure network lives in :mod:`pf_forecast.nn`; the private Lightning
module :class:`_ProgressiveFusionModule` adapts darts' ``PLModuleInput`` to it; the public model
:class:`ProgressiveFusionForecaster` stores hyper-parameters, resolves modalities against component names and
validates inputs before any training work.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import logging
import os
import pickletools
import shutil
import uuid
import zipfile
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pytorch_lightning as pl
import torch
from darts import TimeSeries
from darts.models.forecasting.pl_forecasting_module import PLForecastingModule, io_processor
from darts.models.forecasting.torch_forecasting_model import MixedCovariatesTorchModel
from darts.utils.data.torch_datasets.utils import (
    ModuleStage,
    PLModuleInput,
    PLModuleOutput,
    TorchTrainingSample,
)
from darts.utils.likelihood_models import QuantileRegression
from darts.utils.torch import MonteCarloDropout
from pytorch_lightning.strategies import ParallelStrategy

from pf_forecast.modalities import (
    Modality,
    check_components_match,
    resolve_modalities,
    validate_modalities_spec,
)
from pf_forecast.nn.fusion import CONTEXT_INJECTIONS, FUSION_OPERATORS
from pf_forecast.nn.progressive import ModalitySlot, ProgressiveFusionNetwork, ridge_solution

logger = logging.getLogger(__name__)

#: Finite values beyond this magnitude overflow float32 activations; such inputs are almost surely unscaled or
#: corrupt, so they are refused with a clear error rather than turned into NaN forecasts.
MAX_ABS_INPUT = 1e15


class _ProgressiveFusionModule(PLForecastingModule):
    """Lightning module: darts batch fields in, ``(B, O, C, N)`` forecast out."""

    def __init__(
        self,
        modality_sources: list[str],
        modality_indices: list[list[int]],
        target_dim: int,
        past_dim: int,
        future_dim: int,
        static_dim: int,
        nr_params: int,
        hidden_size: int,
        kernel_size: int,
        num_layers: int,
        patch_size: int,
        context_size: int,
        n_refinements: int,
        fusion: str,
        context_injection: str,
        readout_points: int,
        dropout: float,
        modality_dropout: float,
        use_target_skip: bool,
        use_covariate_skip: bool = False,
        deep_supervision: bool = False,
        fit_linear_skips: bool = False,
        zero_init_feedback: bool = True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.deep_supervision = deep_supervision
        self.fit_linear_skips = fit_linear_skips
        # saved with the weights, so resuming or refitting never re-initialises the skips
        self.register_buffer("linear_skips_fitted", torch.tensor(False))
        slots = [ModalitySlot(s, tuple(i)) for s, i in zip(modality_sources, modality_indices)]
        self.network = ProgressiveFusionNetwork(
            input_chunk_length=self.input_chunk_length,
            output_chunk_length=self.output_chunk_length,
            slots=slots,
            target_dim=target_dim,
            past_dim=past_dim,
            future_dim=future_dim,
            static_dim=static_dim,
            nr_params=nr_params,
            hidden_size=hidden_size,
            kernel_size=kernel_size,
            num_layers=num_layers,
            patch_size=patch_size,
            context_size=context_size,
            n_refinements=n_refinements,
            fusion=fusion,
            context_injection=context_injection,
            readout_points=readout_points,
            dropout=dropout,
            modality_dropout=modality_dropout,
            use_target_skip=use_target_skip,
            use_covariate_skip=use_covariate_skip,
            zero_init_feedback=zero_init_feedback,
            dropout_cls=MonteCarloDropout,
        )

    @io_processor
    def forward(self, x_in: PLModuleInput) -> PLModuleOutput:
        inputs = (
            x_in.past_target,  # (B, L, C)
            x_in.past_covariates,  # (B, L, P) | None
            x_in.historic_future_covariates,  # (B, L, F) | None
            x_in.future_covariates,  # (B, O, F) | None
            x_in.static_covariates,  # (B, C|1, S) | None
        )
        if self.deep_supervision and x_in.stage is ModuleStage.TRAIN:
            prediction, earlier = self.network(*inputs, return_all_steps=True)
            # the earlier steps' forecasts ride in `state` (unused by darts in training) to `_compute_loss`
            return PLModuleOutput(prediction=prediction, state=earlier)
        prediction = self.network(*inputs)  # (B, O, C, N)
        if isinstance(self.likelihood, QuantileRegression):
            # darts orders the quantiles ascending: sorted outputs can never cross (the sort passes gradients)
            prediction = torch.sort(prediction, dim=-1).values  # (B, O, C, Q)
        return PLModuleOutput(prediction=prediction)

    def on_fit_start(self) -> None:
        super().on_fit_start()
        network = self.network
        eligible = (
            self.fit_linear_skips
            and not bool(self.linear_skips_fitted)
            and network.target_dim == 1
            and network.nr_params == 1
            and not self.use_reversible_instance_norm
            and (network.target_skip is not None or network.covariate_skip is not None)
        )
        if not eligible:
            return
        gram = cross = None
        for batch in self.trainer.datamodule.train_dataloader():
            inputs = [
                None if x is None else x.to(self.device)
                for x in (batch.past_target, batch.past_covariates, batch.historic_future_covariates,
                          batch.future_covariates)
            ]
            features = network.linear_skip_features(*inputs).double()  # (B, F)
            features = torch.cat([features, features.new_ones(features.shape[0], 1)], dim=1)  # (B, F+1)
            target = batch.future_target[:, :, 0].to(self.device).double()  # (B, O)
            gram = features.T @ features if gram is None else gram + features.T @ features  # (F+1, F+1)
            cross = features.T @ target if cross is None else cross + features.T @ target  # (F+1, O)
        if gram is None:
            return
        weight, bias = ridge_solution(gram, cross)
        network.set_linear_skips(weight.to(network.head[-1].weight.dtype), bias.to(network.head[-1].weight.dtype))
        self.linear_skips_fitted.fill_(True)

    def _compute_loss(self, output: PLModuleOutput, target, criterion, sample_weight):
        loss = super()._compute_loss(output, target, criterion, sample_weight)
        if not (self.deep_supervision and isinstance(output.state, list) and output.state):
            return loss
        # deep supervision: the mean loss over all refinement steps, so every step learns to forecast
        for earlier in output.state:
            if self.use_reversible_instance_norm:
                earlier = self.rin.inverse(earlier)  # io_processor only de-normalises `prediction`
            loss = loss + super()._compute_loss(PLModuleOutput(prediction=earlier), target, criterion, sample_weight)
        return loss / (len(output.state) + 1)


# ---------------------------------------------------------------------- save / load helpers
def _file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _module_checkpoint(module: PLForecastingModule) -> dict:
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


def _pickled_class(path: str) -> tuple[str, str] | None:
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


def _check_save_target(path: str, folder: str) -> None:
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


def _plain(value):
    """Tuples as lists, recursively: hyper-parameters compared after a round trip through a checkpoint."""
    return [_plain(v) for v in value] if isinstance(value, (list, tuple)) else value


class ProgressiveFusionForecaster(MixedCovariatesTorchModel):
    """Multimodal forecaster: one causal TCN encoder per covariate modality, fused, with the fused context fed
    back into the encoders for a few refinement steps (Progressive Fusion, Shankar et al., arXiv 2209.00302).

    A drop-in darts ``TorchForecastingModel``: ``fit`` / ``predict`` on one or several series, past / future /
    static covariates, likelihoods, ``historical_forecasts``, ``backtest``, ``save`` / ``load``. NaN or infinite
    covariate values are treated as missing (masked), a modality missing for a whole window is replaced by a learned
    embedding, and ``modality_dropout`` trains the model to forecast without some modalities.

    Parameters
    ----------
    input_chunk_length
        Length of the input window L.
    output_chunk_length
        Steps forecast at once O (longer horizons are auto-regressive, as in darts).
    output_chunk_shift
        Steps between the end of the input and the start of the output window.
    modalities
        ``None`` for one modality per covariate component, or ``{name: [component, ...]}`` grouping components of
        the past covariates or of the future covariates (a modality draws from one of the two). Columns darts adds
        through ``add_encoders`` form the modalities ``"encodings_past"`` / ``"encodings_future"``. The target
        history is always the modality ``"target"``. A component name in both the past and the future covariates
        (one series passed as both, as darts allows) is written ``"past:<name>"`` / ``"future:<name>"``; with
        ``None`` its two modalities are named so. Resolved at fit: see :attr:`modalities_`.
    hidden_size
        Channels of each modality's encoder (and of the fused representation).
    kernel_size
        Kernel size of the encoders' residual convolutions.
    num_layers
        Convolution layers per encoder: a patch-embedding stem, then residual layers with dilations 1, 2, 4, ...
        over patches. A learned readout over all encoder steps lets every part of the window reach fusion whatever
        the receptive field.
    patch_size
        Time steps per patch in the encoders' stem (1: a plain step-by-step TCN). Patches divide the encoder cost by
        about ``patch_size`` and widen the receptive field by as much.
    context_size
        Size of the fused context c fed back to the encoders.
    n_refinements
        Number of unrolled fusion steps R; ``1`` is exactly late fusion (no feedback), the paper's ablation.
    fusion
        ``"concat"`` (MLP over concatenated modality embeddings) or ``"gated"`` (one softmax weight per modality,
        readable with :meth:`fusion_weights`).
    context_injection
        How c enters the encoders' first layer: ``"add"`` (per-modality shift) or ``"film"`` (scale and shift).
    zero_init_feedback
        Initialise the context injection at zero, so that with ``n_refinements > 1`` the network starts exactly as
        late fusion and training grows the feedback only as far as it lowers the loss. Chosen on rolling-origin EPF
        validation folds (lowest mean MSE, within noise of a random start: see BENCHMARKS.md). ``False``: a random
        start.
    readout_points
        Learned time weightings per modality in the temporal readout.
    dropout
        Dropout probability on the modality embeddings, fusion and head (Monte-Carlo dropout:
        ``predict(mc_dropout=True)`` samples with it).
    modality_dropout
        Probability, during training, of hiding each covariate modality of a sample, in [0, 1).
    use_target_skip
        Add a linear map from the target history to the forecast (a DLinear-style skip).
    use_covariate_skip
        Add a linear map from the covariate values (input window, plus the output window for future covariates) to
        the forecast: a linear ARX path beside the deep one. Missing or dropped modalities contribute zeros.
    fit_linear_skips
        Before gradient training, set the linear skips (target history, and covariates with
        ``use_covariate_skip``) to their least-squares solution on the training windows (a small ridge) and zero the
        deep head's output layer: training starts from the best linear model and learns what it misses. Applies to
        one target component, point forecasts and no reversible instance norm; otherwise ignored.
    deep_supervision
        Train on the mean loss of the forecasts decoded after every refinement step (not only the last), so each
        step must forecast on its own and later steps learn to refine.
    use_static_covariates
        Use the target's static covariates when present.
    **kwargs
        Any ``TorchForecastingModel`` argument: ``likelihood``, ``loss_fn``, ``optimizer_cls``,
        ``optimizer_kwargs``, ``lr_scheduler_cls``, ``lr_scheduler_kwargs``, ``use_reversible_instance_norm``,
        ``batch_size``, ``n_epochs``, ``random_state``, ``pl_trainer_kwargs``, ``add_encoders``, ``save_checkpoints``,
        ``work_dir``, ``model_name``, ``force_reset``...

    Attributes
    ----------
    modalities_ : dict[str, Modality]
        After fit: the resolved modalities, ``"target"`` first, each with its source and components.

    Examples
    --------
    >>> import numpy as np
    >>> from darts import TimeSeries
    >>> from pf_forecast import ProgressiveFusionForecaster
    >>> t = np.arange(200, dtype=np.float32)
    >>> y = TimeSeries.from_values(np.sin(t / 8), columns=["y"])
    >>> covs = TimeSeries.from_values(np.stack([np.cos(t / 8), np.sin(t / 5), t / 200], 1), columns=["a", "b", "c"])
    >>> model = ProgressiveFusionForecaster(24, 6, modalities={"wave": ["a", "b"], "trend": ["c"]}, n_epochs=1)
    >>> model.fit(y, past_covariates=covs)  # doctest: +SKIP
    >>> model.predict(6).values().shape  # doctest: +SKIP
    (6, 1)
    """

    #: The robustness toolkit passes NaN to models that declare they can take it, and imputes for the others.
    handles_missing_covariates = True

    def __init__(
        self,
        input_chunk_length: int,
        output_chunk_length: int,
        output_chunk_shift: int = 0,
        modalities: Mapping[str, Sequence[str]] | None = None,
        hidden_size: int = 32,
        kernel_size: int = 3,
        num_layers: int = 4,
        patch_size: int = 4,
        context_size: int = 16,
        n_refinements: int = 2,
        fusion: str = "concat",
        context_injection: str = "add",
        readout_points: int = 4,
        dropout: float = 0.1,
        modality_dropout: float = 0.1,
        use_target_skip: bool = True,
        use_covariate_skip: bool = False,
        deep_supervision: bool = False,
        fit_linear_skips: bool = False,
        zero_init_feedback: bool = True,
        use_static_covariates: bool = True,
        **kwargs,
    ):
        _validate_hyper_parameters(
            input_chunk_length=input_chunk_length,
            output_chunk_length=output_chunk_length,
            output_chunk_shift=output_chunk_shift,
            modalities=modalities,
            hidden_size=hidden_size,
            kernel_size=kernel_size,
            num_layers=num_layers,
            patch_size=patch_size,
            context_size=context_size,
            n_refinements=n_refinements,
            fusion=fusion,
            context_injection=context_injection,
            readout_points=readout_points,
            dropout=dropout,
            modality_dropout=modality_dropout,
        )
        super().__init__(**self._extract_torch_model_params(**self.model_params))
        self.pl_module_params = self._extract_pl_module_params(**self.model_params)

        self.modalities = modalities
        self.hidden_size = hidden_size
        self.kernel_size = kernel_size
        self.num_layers = num_layers
        self.patch_size = patch_size
        self.context_size = context_size
        self.n_refinements = n_refinements
        self.fusion = fusion
        self.context_injection = context_injection
        self.readout_points = readout_points
        self.dropout = dropout
        self.modality_dropout = modality_dropout
        self.use_target_skip = use_target_skip
        self.use_covariate_skip = use_covariate_skip
        self.deep_supervision = deep_supervision
        self.fit_linear_skips = fit_linear_skips
        self.zero_init_feedback = zero_init_feedback
        self._considers_static_covariates = use_static_covariates
        self._resolved_modalities: dict[str, Modality] | None = None
        # while darts sets up a fit: how many datasets `_build_train_dataset` has built (the 2nd is validation)
        self._train_datasets_built: int | None = None

    # ------------------------------------------------------------------ fitted state
    @property
    def modalities_(self) -> dict[str, Modality]:
        """The modalities resolved at fit (``"target"`` first), each a :class:`~pf_forecast.modalities.Modality`."""
        if self._resolved_modalities is None:
            raise AttributeError(
                "`modalities_` is set by `fit()`; this ProgressiveFusionForecaster has not been fitted yet."
            )
        return dict(self._resolved_modalities)

    @property
    def supports_static_covariates(self) -> bool:
        return True

    # ------------------------------------------------------------------ darts entry points
    def fit(self, series, past_covariates=None, future_covariates=None, *args, **kwargs):
        """Fit the model; see darts' ``TorchForecastingModel.fit``. Inputs are validated before any training."""
        _check_series_argument(series, "series")
        _check_series_argument(past_covariates, "past_covariates", optional=True)
        _check_series_argument(future_covariates, "future_covariates", optional=True)
        for name in ("val_series", "val_past_covariates", "val_future_covariates"):
            _check_series_argument(kwargs.get(name), name, optional=True)
        for target, prefix in ((series, ""), (kwargs.get("val_series"), "val_")):
            _check_time_axes(target, past_covariates if not prefix else kwargs.get("val_past_covariates"),
                             f"{prefix}past_covariates", f"{prefix}series")
            _check_time_axes(target, future_covariates if not prefix else kwargs.get("val_future_covariates"),
                             f"{prefix}future_covariates", f"{prefix}series")
            _check_likelihood_support(self.likelihood, target, f"{prefix}series")
        return super().fit(series, past_covariates, future_covariates, *args, **kwargs)

    def predict(self, n: int, series=None, past_covariates=None, future_covariates=None, *args, **kwargs):
        """Forecast ``n`` steps; see darts' ``TorchForecastingModel.predict``."""
        if not self._fit_called:
            raise ValueError(
                "This ProgressiveFusionForecaster is not fitted: call `fit(series, ...)` before `predict(...)`, "
                "or load a fitted model with `ProgressiveFusionForecaster.load(path)`."
            )
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(
                f"`n` (the number of time steps to forecast) must be an integer >= 1, got {n!r}; e.g. "
                f"`predict(n={self.output_chunk_length})` for one output chunk."
            )
        _check_series_argument(series, "series", optional=True)
        _check_series_argument(past_covariates, "past_covariates", optional=True)
        _check_series_argument(future_covariates, "future_covariates", optional=True)
        for argument, given, used in (
            ("past_covariates", past_covariates, self.uses_past_covariates),
            ("future_covariates", future_covariates, self.uses_future_covariates),
        ):
            if given is not None and not used:
                raise ValueError(
                    f"`{argument}` were passed to predict, but the model was fitted without {argument}; pass the "
                    f"covariates it was fitted with (as in `fit`), or refit it with `{argument}=`."
                )
        reference = series if series is not None else self.training_series
        _check_time_axes(reference, past_covariates, "past_covariates", "series")
        _check_time_axes(reference, future_covariates, "future_covariates", "series")
        return super().predict(n, series, past_covariates, future_covariates, *args, **kwargs)

    def predict_from_dataset(self, n: int, dataset, trainer=None, *args, **kwargs):
        """darts' ``predict_from_dataset`` (behind ``predict`` and ``historical_forecasts``), on one device when the
        trainer settings ask for several: under a multi-process strategy (DDP) each process would predict a shard and
        the caller would get nothing back (darts issue #2265). Pass ``trainer=`` to choose otherwise."""
        single_device = _single_device_trainer_params(self.trainer_params) if trainer is None else None
        if single_device is None:
            return super().predict_from_dataset(n, dataset, trainer, *args, **kwargs)
        logger.info("Predicting on one device (the trainer settings ask for multi-process training).")
        saved, self.trainer_params = self.trainer_params, single_device
        try:
            return super().predict_from_dataset(n, dataset, trainer, *args, **kwargs)
        finally:
            self.trainer_params = saved

    def _setup_for_fit_from_dataset(self, *args, **kwargs):
        # darts builds the training dataset, then the validation one, both with `_build_train_dataset`: counting the
        # calls lets the errors of the second name `val_series`, `val_past_covariates`, ...
        resolved = self._resolved_modalities
        self._train_datasets_built = 0
        try:
            return super()._setup_for_fit_from_dataset(*args, **kwargs)
        except BaseException:
            self._resolved_modalities = resolved  # a refused fit trains nothing: the next one resolves afresh
            raise
        finally:
            self._train_datasets_built = None

    def _build_train_dataset(
        self, series, past_covariates, future_covariates, sample_weight, max_samples_per_ts, stride=1
    ):
        built = getattr(self, "_train_datasets_built", None)  # absent from models pickled by older versions
        prefix = "val_" if built else ""
        if built is not None:
            self._train_datasets_built = built + 1
        purpose = "validation" if prefix else "training"
        min_length = self.input_chunk_length + self.output_chunk_length + self.output_chunk_shift
        for i, ts in enumerate(series):
            if len(ts) < min_length:
                raise ValueError(
                    f"`{prefix}series`[{i}] has {len(ts)} time steps, fewer than input_chunk_length + "
                    f"output_chunk_length + output_chunk_shift = {min_length} needed for one {purpose} window. Pass a "
                    "longer series or lower `input_chunk_length` / `output_chunk_length`."
                )
            _check_finite_target(ts, f"{prefix}series[{i}]", "fit")
            if self.uses_static_covariates:
                _check_static_covariates(ts, f"{prefix}series[{i}]")
        _check_covariate_values(past_covariates, f"{prefix}past_covariates")
        _check_covariate_values(future_covariates, f"{prefix}future_covariates")
        _check_sample_weight(sample_weight, series, f"{prefix}sample_weight")
        for argument, covariates in (("past_covariates", past_covariates), ("future_covariates", future_covariates)):
            _check_training_coverage(
                series, covariates, prefix + argument, self.input_chunk_length, self.output_chunk_length,
                self.output_chunk_shift, stride, max_samples_per_ts, series_argument=f"{prefix}series",
                purpose=purpose,
            )
        # torch needs one dtype: covariates (and, on refit, the target) follow the model's, i.e. the target's, dtype
        dtype = self._model_dtype() or series[0].dtype
        series, past_covariates, future_covariates = (
            _as_dtype(series, dtype), _as_dtype(past_covariates, dtype), _as_dtype(future_covariates, dtype)
        )
        past_names = _component_names(past_covariates, f"{prefix}past_covariates")
        future_names = _component_names(future_covariates, f"{prefix}future_covariates")
        if self._resolved_modalities is None:
            self._resolved_modalities = resolve_modalities(
                self.modalities, list(series[0].components), past_names, future_names
            )
            logger.info("Resolved modalities: %s", {k: list(m.components) for k, m in self._resolved_modalities.items()})
        else:
            check_components_match(
                self._resolved_modalities, past_names, future_names, where="fit", argument_prefix=prefix
            )
        return super()._build_train_dataset(
            series, past_covariates, future_covariates, sample_weight, max_samples_per_ts, stride
        )

    def _build_inference_dataset(self, n, series, past_covariates, future_covariates, stride=0, bounds=None):
        if self._resolved_modalities is not None:
            check_components_match(
                self._resolved_modalities,
                _component_names(past_covariates, "past_covariates"),
                _component_names(future_covariates, "future_covariates"),
            )
        # only what the forecasts read is checked: values outside every window read cannot reach the network
        where = "predict" if bounds is None else "historical_forecasts"
        past_spans, future_spans = [], []
        for i, ts in enumerate(series):
            window = ts[slice(*self._read_positions(ts, i, stride, bounds))]
            _check_finite_target(window, f"series[{i}]", where)
            if self.uses_static_covariates:
                _check_static_covariates(ts, f"series[{i}]")
            # as darts' inference dataset reads them: past covariates to n - output_chunk_length steps past the
            # last input window (auto-regression), future covariates over the shift and the whole horizon
            last = window.end_time()
            past_spans.append((window.start_time(), last + max(0, n - self.output_chunk_length) * ts.freq))
            future_spans.append(
                (window.start_time(), last + (self.output_chunk_shift + max(n, self.output_chunk_length)) * ts.freq)
            )
        _check_covariate_values(past_covariates, "past_covariates", past_spans, where)
        _check_covariate_values(future_covariates, "future_covariates", future_spans, where)
        dtype = self._model_dtype()  # a float64 input to a float32 network would fail deep inside torch
        if dtype is not None:
            series, past_covariates, future_covariates = (
                _as_dtype(series, dtype), _as_dtype(past_covariates, dtype), _as_dtype(future_covariates, dtype)
            )
        return super()._build_inference_dataset(n, series, past_covariates, future_covariates, stride, bounds)

    def _read_positions(self, ts: TimeSeries, i: int, stride: int, bounds) -> tuple[int, int]:
        """Positions ``[start, end)`` of ``ts`` (the ``i``-th target series) that the forecasts read: the last input
        window for one forecast (``bounds=None``); for historical forecasts, from the first input window to the end
        of the last, given darts' ``bounds`` (per series, the first and last input-window end, exclusive)."""
        if bounds is None:
            first_end = last_end = len(ts)
        else:
            first_end = int(bounds[i][0])
            last_end = first_end + (int(bounds[i][1]) - first_end) // max(stride, 1) * max(stride, 1)
        end = min(max(last_end, 1), len(ts))
        return min(max(first_end - self.input_chunk_length, 0), end - 1), end

    def _model_dtype(self) -> np.dtype | None:
        """The network's dtype (that of the target it was first fitted on); ``None`` before the first fit."""
        sample = self.train_sample
        return None if sample is None else sample.past_target.dtype

    def _create_model(self, train_sample: TorchTrainingSample) -> PLForecastingModule:
        return _ProgressiveFusionModule(**self._network_layout(train_sample), **self.pl_module_params)

    def _network_layout(self, train_sample: TorchTrainingSample) -> dict:
        """The network's own hyper-parameters (those of the Lightning module beyond darts' ``pl_module_params``), as
        this model and ``train_sample`` define them; also checked against a weights file's by :meth:`load`."""
        target_dim = train_sample.past_target.shape[1]
        past_dim = train_sample.past_covariates.shape[1] if train_sample.past_covariates is not None else 0
        future_dim = (
            train_sample.future_covariates.shape[1] if train_sample.future_covariates is not None else 0
        )
        static = train_sample.static_covariates
        static_dim = static.shape[0] * static.shape[1] if static is not None else 0
        resolved = self._resolved_modalities
        if resolved is None:
            # fit_from_dataset (or load_weights without checks) gives no component names: one modality per covariate
            # column. Not stored, so the first call that sees names resolves the same layout with real names.
            if self.modalities is not None:
                raise ValueError(
                    "`modalities` names components, but no component names are available (fit_from_dataset, or "
                    "load_weights with skip_checks=True). Use `fit()` / `load_weights()`, or construct the model with "
                    "modalities=None (one modality per covariate column)."
                )
            resolved = resolve_modalities(
                None,
                [f"target_{i}" for i in range(target_dim)],
                [f"past_{i}" for i in range(past_dim)],
                [f"future_{i}" for i in range(future_dim)],
            )
        mods = list(resolved.values())
        nr_params = 1 if self.likelihood is None else self.likelihood.num_parameters
        return dict(
            modality_sources=[m.source for m in mods],
            modality_indices=[list(m.indices) for m in mods],
            target_dim=target_dim,
            past_dim=past_dim,
            future_dim=future_dim,
            static_dim=static_dim,
            nr_params=nr_params,
            hidden_size=self.hidden_size,
            kernel_size=self.kernel_size,
            num_layers=self.num_layers,
            patch_size=self.patch_size,
            context_size=self.context_size,
            n_refinements=self.n_refinements,
            fusion=self.fusion,
            context_injection=self.context_injection,
            readout_points=self.readout_points,
            dropout=self.dropout,
            modality_dropout=self.modality_dropout,
            use_target_skip=self.use_target_skip,
            use_covariate_skip=self.use_covariate_skip,
            deep_supervision=self.deep_supervision,
            fit_linear_skips=self.fit_linear_skips,
            zero_init_feedback=self.zero_init_feedback,
        )

    def _check_ckpt_parameters(self, tfm_save):
        super()._check_ckpt_parameters(tfm_save)
        # load_weights: the network layout follows the modalities resolved when the weights were trained
        self._resolved_modalities = tfm_save._resolved_modalities

    # ------------------------------------------------------------------ pickling, save / load
    def __getstate__(self):
        state = super().__getstate__()  # darts drops the Lightning module: `save` writes it to the .ckpt
        if self.model is not None:
            # keep it for a plain pickle or deepcopy (e.g. sent to a worker process), so that the copy of a fitted
            # model can predict; `save` pickles a copy without it, so the model file stays weights-free
            state["_pickled_module"] = self.model
        return state

    def __setstate__(self, d):
        module = d.pop("_pickled_module", None)
        super().__setstate__(d)
        if module is not None:
            self.model = module

    def save(self, path: str | os.PathLike | None = None, clean: bool = False) -> None:
        """Save the model to ``path`` (the pickled model) and ``path + ".ckpt"`` (its weights), atomically.

        Both files are first written under temporary names in the same folder and then moved into place with
        ``os.replace``, so a crash, a full disk or a kill during ``save`` leaves any model previously saved at
        ``path`` intact (the two renames follow each other immediately). The model file records the sha256 digest of
        its weights file, which :meth:`load` checks. A model just loaded (not trained or run since) is saved with
        its weights too. See darts' ``TorchForecastingModel.save`` for ``clean``. In a distributed (DDP) script call
        it on every rank: only rank 0 writes.

        Raises
        ------
        FileNotFoundError
            If the folder of ``path`` does not exist (nothing is written).
        ValueError
            If ``path`` or ``path + ".ckpt"`` is a directory (nothing is written).
        OSError
            If writing fails (a read-only folder, a full disk); the message names ``path``.

        Examples
        --------
        >>> model.save("pf.pt")  # doctest: +SKIP
        >>> ProgressiveFusionForecaster.load("pf.pt").predict(6)  # doctest: +SKIP
        """
        path = os.fspath(path) if path is not None else self._default_save_path() + ".pt"
        folder, name = os.path.split(os.path.abspath(path))
        tmp = os.path.join(folder, f".{name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        if self.trainer is not None and self.trainer.global_rank != 0:
            # distributed run (every rank calls save): Lightning's checkpoint write is collective (a barrier) and
            # happens on rank 0 only, so the other ranks join it and write nothing
            self.trainer.save_checkpoint(tmp + ".ckpt", weights_only=clean)
            return
        _check_save_target(path, folder)  # before anything is written: nothing half-done to undo
        try:
            # the weights first: the model file records their digest
            has_weights = self._write_weights(tmp + ".ckpt", weights_only=clean)
            saved = self._clean() if clean else copy.copy(self)  # a shallow copy: `self` is left as it is
            saved.model = None  # the weights travel in the .ckpt only, as darts saves them
            saved._weights_sha256 = _file_sha256(tmp + ".ckpt") if has_weights else None
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

    def _write_weights(self, file: str, weights_only: bool) -> bool:
        """Write the weights checkpoint to ``file``; ``False`` when the model has none (never fitted)."""
        if self.trainer is not None:
            self.trainer.save_checkpoint(file, weights_only=weights_only)
        elif self.load_ckpt_path and os.path.isfile(self.load_ckpt_path):
            # load_from_checkpoint: keep the full checkpoint (optimizer, loops) a later fit resumes from, as darts does
            shutil.copyfile(self.load_ckpt_path, file)
        elif self.model is not None:
            # loaded or copied, and neither trained nor run since: no trainer holds the module, so write it directly
            torch.save(_module_checkpoint(self.model), file)
        return os.path.exists(file)

    @classmethod
    def load(cls, path: str | os.PathLike, pl_trainer_kwargs: dict | None = None, trusted: bool = False, **kwargs):
        """Load a model written by :meth:`save`; see darts' ``TorchForecastingModel.load``.

        The weights file must be the one saved with the model file: its network must match the model file's
        hyper-parameters and modalities, and its sha256 digest the one recorded at save (files saved by older
        versions have no digest and skip that check).

        Raises
        ------
        FileNotFoundError
            If ``path`` (or, for a fitted model, its weights ``path + ".ckpt"``) is not a file.
        ValueError
            If the files are truncated, corrupt or not written by ``save``, or if the weights file does not belong to
            the model file (written by another save, or changed since); the message names the paths.
        TypeError
            If the file holds another darts model class (the message names it and how to load it).
        """
        path = os.fspath(path)
        if not os.path.isfile(path):
            what = "is a directory" if os.path.isdir(path) else "does not exist"
            raise FileNotFoundError(
                f"Cannot load a {cls.__name__} from {path!r}: the path {what}. Pass the file given to "
                "`model.save(path)` (save() also writes the weights next to it, as path + '.ckpt')."
            )
        ckpt = path + ".ckpt"
        # hashed before darts reads it, and compared with the digest the model file recorded at save
        digest = _file_sha256(ckpt) if os.path.isfile(ckpt) else None
        try:
            model = super().load(path, pl_trainer_kwargs=pl_trainer_kwargs, trusted=trusted, **kwargs)
        except Exception as err:
            held = _pickled_class(path)  # e.g. a regression model: darts pickles those, without torch
            if held is not None:
                module, name = held
                how = f"`{name}.load(path)`" if module.split(".")[0] == "darts" else "the library that wrote it"
                raise TypeError(
                    f"{path!r} holds a {name} ({module}.{name}, pickled without torch), not a {cls.__name__}; "
                    f"load it with {how}."
                ) from err
            raise ValueError(
                f"Cannot load a {cls.__name__} from {path!r} (or its weights {ckpt!r}): "
                f"{type(err).__name__}: {err or 'unreadable file'}. The file is truncated, corrupt or was not written "
                f"by `{cls.__name__}.save()`; save the model again, or copy both files again."
            ) from err
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
        mismatched = model._weights_mismatch()
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
        return model

    def _weights_mismatch(self) -> list[str]:
        """The network hyper-parameters on which the loaded weights (``self.model``) and this model differ, as
        ``"name=<weights'> (the model file has <model's>)"``; empty when they agree or cannot be compared."""
        if self.model is None or self.train_sample is None:
            return []
        if self._resolved_modalities is None and self.modalities is not None:
            return []  # fitted from a dataset without component names: no layout to compare with
        expected = self._network_layout(self.train_sample)
        for key in ("input_chunk_length", "output_chunk_length", "output_chunk_shift", "use_reversible_instance_norm"):
            if key in self.pl_module_params:
                expected[key] = self.pl_module_params[key]
        found = self.model.hparams
        return [
            f"{key}={found[key]!r} (the model file has {value!r})"
            for key, value in expected.items()
            if key in found and _plain(found[key]) != _plain(value)  # older weights may lack newer keys
        ]

    # ------------------------------------------------------------------ introspection
    def fusion_weights(
        self,
        series: TimeSeries,
        past_covariates: TimeSeries | None = None,
        future_covariates: TimeSeries | None = None,
        start=None,
        stride: int = 1,
    ) -> pd.DataFrame:
        """Gated-fusion weight of each modality, per forecast window (last refinement step).

        Parameters
        ----------
        series, past_covariates, future_covariates
            One target series and its covariates, as for ``historical_forecasts``.
        start
            First forecast time (``historical_forecasts``' ``start``); ``None`` for the earliest possible one.
        stride
            Steps between forecast windows.

        Returns
        -------
        pandas.DataFrame
            One row per forecast window (indexed by its first forecast time), one column per modality; rows sum to 1.
            A modality absent from a window gets weight 0.

        Examples
        --------
        >>> w = model.fusion_weights(series, past_covariates=covs)  # doctest: +SKIP
        >>> w.mean()  # doctest: +SKIP
        """
        if self.fusion != "gated":
            raise ValueError(
                f"fusion_weights needs a model built with fusion='gated'; this one has fusion={self.fusion!r}. "
                "Re-create the model with ProgressiveFusionForecaster(..., fusion='gated')."
            )
        if not self._fit_called:
            raise ValueError("fusion_weights needs a fitted model: call `fit(...)` first.")
        _check_series_argument(series, "series")
        network = self.model.network
        network.recorded_fusion_weights = []
        try:
            forecasts = self.historical_forecasts(
                series,
                past_covariates=past_covariates,
                future_covariates=future_covariates,
                forecast_horizon=self.output_chunk_length,
                start=start,
                stride=stride,
                retrain=False,
                last_points_only=False,
                verbose=False,
                show_warnings=False,
            )
            weights = torch.cat(network.recorded_fusion_weights).cpu().numpy()  # (windows, M)
        finally:
            network.recorded_fusion_weights = None
        index = pd.Index([f.start_time() for f in forecasts], name="forecast_start")
        return pd.DataFrame(weights[: len(index)], index=index, columns=list(self.modalities_))


# ---------------------------------------------------------------------- validation helpers
def _validate_hyper_parameters(**p) -> None:
    """Raise ValueError/TypeError naming the argument, the value and the fix; nothing is built yet."""
    for name in ("input_chunk_length", "output_chunk_length", "hidden_size", "kernel_size", "num_layers",
                 "patch_size", "context_size", "n_refinements", "readout_points"):
        value = p[name]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"`{name}` must be an integer >= 1, got {value!r}.")
    shift = p["output_chunk_shift"]
    if isinstance(shift, bool) or not isinstance(shift, (int, np.integer)) or shift < 0:
        raise ValueError(f"`output_chunk_shift` must be an integer >= 0, got {shift!r}.")
    if p["fusion"] not in FUSION_OPERATORS:
        raise ValueError(f"`fusion` must be one of {FUSION_OPERATORS}, got {p['fusion']!r}.")
    if p["context_injection"] not in CONTEXT_INJECTIONS:
        raise ValueError(f"`context_injection` must be one of {CONTEXT_INJECTIONS}, got {p['context_injection']!r}.")
    if not 0.0 <= p["dropout"] < 1.0:
        raise ValueError(f"`dropout` must be in [0, 1), got {p['dropout']!r}.")
    if not (isinstance(p["modality_dropout"], (int, float)) and 0.0 <= p["modality_dropout"] < 1.0):
        raise ValueError(
            f"`modality_dropout` must be in [0, 1), got {p['modality_dropout']!r}: it is the probability of hiding "
            "one covariate modality of a training sample (1 would hide all of them always)."
        )
    modalities = p["modalities"]
    if modalities is not None:
        validate_modalities_spec(modalities)  # structure only; component names are checked at fit


def _check_series_argument(value, name: str, optional: bool = False) -> None:
    if value is None and optional:
        return
    items = value if isinstance(value, (list, tuple)) else [value]
    if not items:  # still a TypeError, as before, but with a message of its own
        raise TypeError(
            f"`{name}` is an empty {type(value).__name__}; pass a TimeSeries or a non-empty list of them (one per "
            f"target series){'' if not optional else f', or leave `{name}` out'}."
        )
    bad = [type(v).__name__ for v in items if not isinstance(v, TimeSeries)]
    if bad:
        raise TypeError(
            f"`{name}` must be a darts TimeSeries or a list of them, got {type(value).__name__}"
            f"{' containing ' + ', '.join(sorted(set(bad))) if bad and isinstance(value, (list, tuple)) else ''}. "
            "Convert a DataFrame with `TimeSeries.from_dataframe(df, time_col=..., value_cols=[...])`."
        )
    for i, ts in enumerate(items):
        if not np.issubdtype(ts.dtype, np.floating):
            raise TypeError(
                f"`{name}`[{i}] has dtype {ts.dtype}; the model needs floating-point values. Cast it with "
                "`ts.astype(np.float32)`."
            )


def _component_names(covariates: Sequence[TimeSeries] | None, argument: str) -> list[str] | None:
    if not covariates:
        return None
    names = list(covariates[0].components)
    for i, ts in enumerate(covariates[1:], start=1):
        if list(ts.components) != names:
            raise ValueError(
                f"`{argument}`[{i}] has components {list(ts.components)} but `{argument}`[0] has {names}; all series "
                "must carry the same covariate components in the same order."
            )
    return names


def _check_finite_target(ts: TimeSeries, label: str, where: str) -> None:
    """``ts`` is the part of the target that ``where`` (fit, predict, historical_forecasts) reads."""
    values = ts.values(copy=False)
    finite = np.isfinite(values)
    if not finite.all():
        bad = int((~finite).sum())
        first = ts.time_index[np.argwhere(~finite)[0][0]]
        raise ValueError(
            f"`{label}` (the target) has {bad} NaN or infinite values in the part {where} reads ({ts.start_time()} "
            f".. {ts.end_time()}; the first at {first}). The target must be finite: fill gaps with "
            "`darts.utils.missing_values.fill_missing_values(series)` or split the series at gaps with "
            "`extract_subseries(series)`. (NaN *covariates* are fine: they are treated as missing.)"
        )
    if np.abs(values).max(initial=0.0) > MAX_ABS_INPUT:
        raise ValueError(
            f"`{label}` (the target) has values of magnitude up to {np.abs(values).max():.3g}, beyond {MAX_ABS_INPUT:g}; "
            "scale it first, e.g. with darts.dataprocessing.transformers.Scaler."
        )


def _check_covariate_values(covariates: Sequence[TimeSeries] | None, argument: str,
                            spans: Sequence[tuple] | None = None, where: str = "predict") -> None:
    """Refuse finite values too large for the network. ``spans``: per series, the first and last time step that
    ``where`` reads (values outside are never read, so they may be anything); ``None`` checks all values."""
    for i, ts in enumerate(covariates or []):
        values, times = ts.values(copy=False), ts.time_index
        if spans is not None:
            inside = (times >= spans[i][0]) & (times <= spans[i][1])
            values, times = values[inside], times[inside]
        huge = _count_outside(values, -MAX_ABS_INPUT, MAX_ABS_INPUT, low_open=False, high_open=False)
        if huge.any():
            part = f", in the part {where} reads: {times[0]} .. {times[-1]}" if spans is not None else ""
            raise ValueError(
                f"`{argument}`[{i}] has finite values of magnitude up to {np.abs(values[huge]).max():.3g}, beyond "
                f"{MAX_ABS_INPUT:g} (the first at {times[np.argwhere(huge)[0][0]]}{part}); such values overflow the "
                "network. Scale the covariates (e.g. darts' Scaler) or set corrupt values to NaN, which the model "
                "treats as missing."
            )


def _check_static_covariates(ts: TimeSeries, label: str) -> None:
    """Numeric static covariates enter the network as they are: one NaN, inf or huge value makes every weight (and
    forecast) NaN, so they are checked like the target."""
    static = ts.static_covariates
    if static is None:
        return
    numeric = static.select_dtypes(include=np.number)  # darts refuses the other columns itself
    values = numeric.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | _count_outside(values, -MAX_ABS_INPUT, MAX_ABS_INPUT, low_open=False,
                                                high_open=False)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(
            f"`{label}.static_covariates` column {numeric.columns[col]!r} has the value {values[row, col]:g} (row "
            f"{numeric.index[row]!r}); static covariates must be finite and of magnitude at most {MAX_ABS_INPUT:g}. "
            "Replace it, e.g. `series.with_static_covariates(df)` with the missing value filled and the columns "
            "scaled (darts' StaticCovariatesTransformer scales them), or construct the model with "
            "use_static_covariates=False to ignore static covariates."
        )


def _check_sample_weight(sample_weight, series: Sequence[TimeSeries], argument: str) -> None:
    """A NaN or infinite weight makes the loss, then every network weight, NaN; a negative one maximises that
    sample's loss. darts' built-in weightings (``"linear"``, ``"exponential"``) are strings and always valid."""
    if sample_weight is None or isinstance(sample_weight, str):
        return
    for i, (ts, weights) in enumerate(zip(series, sample_weight)):
        if not isinstance(weights, TimeSeries):
            continue  # darts reports the type
        values, times = weights.all_values(copy=False), weights.time_index
        if type(times) is type(ts.time_index):
            # only the weights at the target's steps are read
            inside = (times >= ts.start_time()) & (times <= ts.end_time())
            values, times = values[inside], times[inside]
        negative = _count_outside(values, 0.0, np.inf, low_open=False, high_open=True)
        for bad, what, fix in (
            (~np.isfinite(values), "NaN or infinite",
             "Give those steps a finite weight (0 leaves a step out of the loss), e.g. "
             "`darts.utils.missing_values.fill_missing_values(sample_weight, fill=0.0)` for NaN gaps."),
            (negative, "negative",
             "Weights scale each sample's loss and must be >= 0: clip them, e.g. "
             "`sample_weight.map(lambda w: np.clip(w, 0, None))`, or use darts' built-in "
             "`sample_weight='linear'` / `'exponential'`."),
        ):
            if bad.any():
                raise ValueError(
                    f"`{argument}`[{i}] has {int(bad.sum())} {what} values (the first at {times[np.argwhere(bad)[0][0]]}: "
                    f"{values[bad][0]:g}); the weights must be finite and non-negative. {fix}"
                )


def _as_list(value) -> list[TimeSeries]:
    return [] if value is None else list(value) if isinstance(value, (list, tuple)) else [value]


def _check_time_axes(series, covariates, argument: str, series_argument: str) -> None:
    """Covariates must share the target's kind of time index and frequency; darts' own message names neither fix."""
    for i, (ts, cov) in enumerate(zip(_as_list(series), _as_list(covariates))):
        if type(ts.time_index) is not type(cov.time_index):
            raise ValueError(
                f"`{argument}`[{i}] has a {type(cov.time_index).__name__} time index but `{series_argument}`[{i}] "
                f"has a {type(ts.time_index).__name__}; both need the same kind of time axis. Build the covariates "
                "on the target's axis, e.g. `TimeSeries.from_times_and_values(times, values)` with the target's "
                "timestamps, or integer-index both with `TimeSeries.from_values`."
            )
        if ts.freq != cov.freq:
            raise ValueError(
                f"`{argument}`[{i}] has frequency {cov.freq_str!r} but `{series_argument}`[{i}] has "
                f"{ts.freq_str!r}; covariates must be sampled on the target's time grid. Resample them first, e.g. "
                f"`covariates.resample(freq={ts.freq_str!r})`."
            )


def _check_training_coverage(series, covariates, argument: str, icl: int, ocl: int, shift: int, stride: int,
                             max_samples_per_ts: int | None, series_argument: str = "series",
                             purpose: str = "training") -> None:
    """Covariates must span every training window darts will draw (the most recent ones first); otherwise darts
    fails with a bare index range, or, for covariates that start late, with a shape error in the middle of training.
    ``series_argument`` / ``purpose``: ``"val_series"`` / ``"validation"`` for the validation set."""
    size = icl + shift + ocl
    future = "future" in argument  # "future_covariates" or "val_future_covariates"
    for i, (ts, cov) in enumerate(zip(_as_list(series), _as_list(covariates))):
        n_windows = -(-(len(ts) - size + 1) // stride)  # ceil
        used = n_windows if max_samples_per_ts is None else min(n_windows, max_samples_per_ts)
        first = len(ts) - (used - 1) * stride - size  # first step of the earliest window used
        last = len(ts) - 1 if future else len(ts) - ocl - shift - 1
        if used < 1 or first < 0:
            continue  # too short: reported by the length check
        start, end = ts.time_index[first], ts.time_index[last]
        if cov.start_time() > start or cov.end_time() < end:
            raise ValueError(
                f"`{argument}`[{i}] cover {cov.start_time()} .. {cov.end_time()}, but {purpose} on "
                f"`{series_argument}`[{i}] needs them from {start} to {end} ({used} {purpose} windows of "
                f"input_chunk_length={icl}{' + the output window' if future else ''}). Pass covariates that cover "
                f"that span, or {'train' if purpose == 'training' else 'validate'} on the part of the target they "
                f"cover, e.g. `{series_argument}.slice_intersect({argument})`, or use fewer, more recent windows with "
                "`fit(..., max_samples_per_ts=...)`."
            )


def _count_outside(values: np.ndarray, low: float, high: float, low_open: bool, high_open: bool,
                   integer: bool = False, choices: tuple[float, ...] | None = None) -> np.ndarray:
    """Mask of the finite values outside the support (NaN/inf are left to the finiteness check)."""
    finite = np.isfinite(values)
    if choices is not None:
        return finite & ~np.isin(values, choices)
    bad = (values <= low) if low_open else (values < low)
    bad |= (values >= high) if high_open else (values > high)
    if integer:
        bad |= values != np.round(values)
    return finite & bad


_NON_NEGATIVE_FIX = (
    "Shift the target to be non-negative (a standardised target has negative values: use "
    "Scaler(MinMaxScaler()) or no scaling), or use a likelihood on all reals, e.g. GaussianLikelihood() or "
    "QuantileRegression()."
)
_POSITIVE_FIX = (
    "Make the target strictly positive (e.g. add an offset: `series + c`; a MinMaxScaler maps the minimum to 0), or "
    "use a likelihood on all reals, e.g. GaussianLikelihood() or QuantileRegression()."
)
#: likelihood class -> (the support in words, _count_outside arguments, the fix)
_LIKELIHOOD_SUPPORT: dict[str, tuple[str, dict, str]] = {
    "PoissonLikelihood": ("non-negative values (counts)", {"low": 0, "high": np.inf, "low_open": False,
                                                          "high_open": True}, _NON_NEGATIVE_FIX),
    "NegativeBinomialLikelihood": ("non-negative integers (counts)", {"low": 0, "high": np.inf, "low_open": False,
                                                                      "high_open": True, "integer": True},
                                   "Round the counts, or use PoissonLikelihood() (which accepts non-integer "
                                   "non-negative values) or GaussianLikelihood()."),
    "GeometricLikelihood": ("non-negative integers (counts)", {"low": 0, "high": np.inf, "low_open": False,
                                                               "high_open": True, "integer": True},
                            "Round the counts, or use PoissonLikelihood() or GaussianLikelihood()."),
    "ExponentialLikelihood": ("non-negative values", {"low": 0, "high": np.inf, "low_open": False,
                                                      "high_open": True}, _NON_NEGATIVE_FIX),
    "HalfNormalLikelihood": ("non-negative values", {"low": 0, "high": np.inf, "low_open": False,
                                                     "high_open": True}, _NON_NEGATIVE_FIX),
    "GammaLikelihood": ("strictly positive values", {"low": 0, "high": np.inf, "low_open": True,
                                                     "high_open": True}, _POSITIVE_FIX),
    "LogNormalLikelihood": ("strictly positive values", {"low": 0, "high": np.inf, "low_open": True,
                                                         "high_open": True}, _POSITIVE_FIX),
    "WeibullLikelihood": ("strictly positive values", {"low": 0, "high": np.inf, "low_open": True,
                                                       "high_open": True}, _POSITIVE_FIX),
    "BetaLikelihood": ("values strictly between 0 and 1", {"low": 0, "high": 1, "low_open": True,
                                                           "high_open": True},
                       "Rescale the target into (0, 1), e.g. Scaler(MinMaxScaler(feature_range=(0.01, 0.99)))."),
    "ContinuousBernoulliLikelihood": ("values in [0, 1]", {"low": 0, "high": 1, "low_open": False,
                                                           "high_open": False},
                                      "Rescale the target into [0, 1], e.g. Scaler(MinMaxScaler())."),
    "DirichletLikelihood": ("values in [0, 1] (components summing to 1)", {"low": 0, "high": 1, "low_open": False,
                                                                          "high_open": False},
                            "Normalise each time step's components to proportions that sum to 1."),
    "BernoulliLikelihood": ("only the values 0 and 1", {"low": 0, "high": 1, "low_open": False,
                                                        "high_open": False, "choices": (0.0, 1.0)},
                            "Threshold the target into 0/1 (e.g. `series.map(lambda x: (x > t) * 1.0)`), or use "
                            "GaussianLikelihood() for a continuous target."),
}


def _check_likelihood_support(likelihood, series, argument: str) -> None:
    """Refuse, before training, a target outside the likelihood's support (torch would fail mid-epoch)."""
    rule = _LIKELIHOOD_SUPPORT.get(type(likelihood).__name__) if likelihood is not None else None
    if rule is None:
        return
    support, bounds, fix = rule
    for i, ts in enumerate(_as_list(series)):
        values = ts.all_values(copy=False)
        bad = _count_outside(values, **bounds)
        if bad.any():
            finite = values[np.isfinite(values)]
            raise ValueError(
                f"likelihood={type(likelihood).__name__}() models {support}, but `{argument}`[{i}] has "
                f"{int(bad.sum())} values outside that (min {finite.min():.4g}, max {finite.max():.4g}, first "
                f"offending value {values[bad][0]:.4g}). {fix}"
            )


def _as_dtype(series: Sequence[TimeSeries] | None, dtype) -> Sequence[TimeSeries] | None:
    """``series`` with every element in ``dtype`` (new series where a cast is needed; inputs are not modified)."""
    if series is None or all(ts.dtype == dtype for ts in series):
        return series
    return [ts if ts.dtype == dtype else ts.astype(dtype) for ts in series]


#: Lightning strategies that run one process per device: darts' predict() then returns nothing in the main process.
_MULTI_PROCESS_STRATEGIES = ("ddp", "fsdp", "deepspeed")


def _single_device_trainer_params(params: Mapping) -> dict | None:
    """One-device copy of trainer settings that ask for several devices / processes; ``None`` if they do not."""
    strategy, devices, nodes = params.get("strategy"), params.get("devices"), params.get("num_nodes", 1)
    if isinstance(devices, str):  # Lightning accepts "auto", "2", "-1", "0,1", "1,"
        text = devices.strip()
        parts = [p for p in text.split(",") if p.strip()]
        n_devices = 1 if text in ("", "auto") else len(parts) if "," in text else int(text) if text.lstrip("-").isdigit() else 1
    elif isinstance(devices, (list, tuple)):
        n_devices = len(devices)
    elif isinstance(devices, (int, np.integer)) and not isinstance(devices, bool):
        n_devices = int(devices)
    else:
        n_devices = 1
    many = (
        n_devices > 1
        or n_devices == -1
        or nodes not in (None, 1)
        or isinstance(strategy, ParallelStrategy)
        or (isinstance(strategy, str) and strategy.startswith(_MULTI_PROCESS_STRATEGIES))
    )
    if not many:
        return None
    single = {k: v for k, v in params.items() if k not in ("strategy", "devices", "num_nodes")}
    single["devices"] = [devices[0]] if isinstance(devices, (list, tuple)) and devices else 1
    return single


__all__ = ["ProgressiveFusionForecaster"]
