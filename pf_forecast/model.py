"""ProgressiveFusionForecaster: Progressive Fusion as a darts ``TorchForecastingModel``.

Three parts, as in darts' own model files: the pure network lives in :mod:`pf_forecast.nn`; the private Lightning
module :class:`_ProgressiveFusionModule` adapts darts' ``PLModuleInput`` to it; the public model
:class:`ProgressiveFusionForecaster` stores hyper-parameters, resolves modalities against component names and
validates inputs before any training work.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
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
from darts.utils.likelihood_models import (
    CauchyLikelihood,
    GaussianLikelihood,
    GumbelLikelihood,
    LaplaceLikelihood,
    QuantileRegression,
)
from darts.utils.torch import MonteCarloDropout
from pytorch_lightning.strategies import ParallelStrategy
from torch.utils.data import DataLoader

from pf_forecast import _persistence
from pf_forecast._checks import (
    MAX_ABS_INPUT,  # noqa: F401 (re-exported: `from pf_forecast.model import MAX_ABS_INPUT` works)
    check_choice,
    check_fit_arguments,
    check_float,
    check_inference_data,
    check_model_hyper_parameters,
    check_predict_arguments,
    check_series_argument,
    check_training_data,
    component_names,
)
from pf_forecast.modalities import (
    Modality,
    check_components_match,
    resolve_modalities,
    validate_modalities_spec,
)
from pf_forecast.nn.progressive import (
    NETWORK_HYPER_PARAMETERS,
    RIDGE_GRID,
    ProgressiveFusionNetwork,
    check_hyper_parameters,
    cross_validated_ridge,
    normal_equations_of,
    ridge_folds,
    ridge_solution_per_output,
    select_feature_groups,
)
from pf_forecast.robustness.imputation import season_length

logger = logging.getLogger(__name__)

#: Likelihoods whose parameters include the target's location, where the linear target skip belongs.
LOCATION_LIKELIHOODS = (GaussianLikelihood, QuantileRegression, LaplaceLikelihood, CauchyLikelihood, GumbelLikelihood)
#: The Lightning module's own hyper-parameters: the network's, then three of its training (deep supervision, the
#: least-squares start and its ridge). Each is a plain argument of the public model under the same name (darts
#: re-creates models from their constructor arguments), stored on the model under that name, and saved under that
#: name in the weights' hparams.
MODULE_HYPER_PARAMETERS = (*NETWORK_HYPER_PARAMETERS, "deep_supervision", "fit_linear_skips", "linear_skip_ridge",
                           "linear_skip_cv")
#: Folds of the cross-validation that chooses the ridge strength of the least-squares start.
_RIDGE_FOLDS = 5
#: How the training windows are split into those folds (``linear_skip_cv``): every fifth window of the shuffled
#: training order, or contiguous runs of windows in time order (see :func:`~pf_forecast.nn.progressive.ridge_folds`).
LINEAR_SKIP_CV = ("shuffled", "blocked")
#: Values reproducing the network that weights saved before an option existed were trained with: their
#: checkpoints' hparams lack the option's key.
_ADDED_LATER = {"use_covariate_skip": False, "zero_init_feedback": True, "deep_supervision": False,
                "fit_linear_skips": False, "decoder_size": 0, "fault_dropout": 0.0, "linear_skip_ridge": 1e-3,
                "gap_fill": "zero", "season": 1, "clip_covariate_skip": False, "linear_skip_cv": "shuffled",
                "encoder": "tcn", "context_layer": 0, "linear_fallback": False}


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
        **kwargs,
    ):
        """``modality_*``, ``*_dim``, ``nr_params``: the data's layout (see ``_network_layout``; ``season``, the
        steps per season of the training series, travels in ``kwargs`` for older checkpoints' sake); ``kwargs``:
        the hyper-parameters in ``MODULE_HYPER_PARAMETERS`` and darts' ``PLForecastingModule`` arguments."""
        # Lightning saves the arguments, those in `kwargs` included, as the hparams that re-create this module from
        # a checkpoint: hence `kwargs` is completed (for older checkpoints) but never emptied.
        kwargs = {**_ADDED_LATER, **kwargs}
        super().__init__(**{k: v for k, v in kwargs.items() if k not in (*MODULE_HYPER_PARAMETERS, "season")})
        self.deep_supervision = kwargs["deep_supervision"]
        self.fit_linear_skips = kwargs["fit_linear_skips"]
        self.linear_skip_ridge = kwargs["linear_skip_ridge"]
        self.linear_skip_cv = kwargs["linear_skip_cv"]
        self.linear_skip_alpha: list[float] | None = None  # the strength used per forecast step, once fitted
        # saved with the weights, so resuming or refitting never re-initialises the skips
        self.register_buffer("linear_skips_fitted", torch.tensor(False))
        # the modalities travel as two plain lists, as in the hparams of every checkpoint saved so far (and plain
        # lists load under torch's weights-only unpickler without an allow-list)
        modalities = [Modality.of_columns(s, i) for s, i in zip(modality_sources, modality_indices)]
        covariate_skip = kwargs["use_covariate_skip"]
        # "auto": the least-squares start chooses the streams of a skip over all of them; where no start can be
        # fitted over every stream (several target components, another likelihood), the skip keeps the future ones
        self.choose_skip_streams = covariate_skip == "auto" and target_dim == 1 and self._can_start(nr_params)
        if covariate_skip == "auto" and not self.choose_skip_streams:
            covariate_skip = "future"
        self.network = ProgressiveFusionNetwork(
            input_chunk_length=self.input_chunk_length,
            output_chunk_length=self.output_chunk_length,
            slots=modalities,
            target_dim=target_dim,
            past_dim=past_dim,
            future_dim=future_dim,
            static_dim=static_dim,
            nr_params=nr_params,
            season=kwargs["season"],
            **{name: kwargs[name] for name in NETWORK_HYPER_PARAMETERS
               if name not in ("use_target_skip", "use_covariate_skip")},
            use_target_skip=self._uses_target_skip(kwargs["use_target_skip"]),
            use_covariate_skip=covariate_skip,
            dropout_cls=MonteCarloDropout,
        )

    def _can_start(self, nr_params: int) -> bool:
        """Whether ``fit_linear_skips`` applies to this model's forecasts: a point forecast or a likelihood the
        least-squares start can set, without reversible instance norm (see ``_fit_linear_start``)."""
        return bool(
            self.fit_linear_skips and not self.use_reversible_instance_norm
            and (self.likelihood is None and nr_params == 1
                 or isinstance(self.likelihood, QuantileRegression | GaussianLikelihood))
        )

    def _uses_target_skip(self, requested: bool | None) -> bool:
        """``use_target_skip``: as given, or for ``None`` on for point forecasts and likelihoods whose parameters
        are locations (a linear map of past values into rates or shapes makes sampled forecasts diverge)."""
        if requested is not None:
            return bool(requested)
        return self.likelihood is None or isinstance(self.likelihood, LOCATION_LIKELIHOODS)

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

    def setup(self, stage: str) -> None:
        super().setup(stage)
        if stage == "fit":
            self._fit_skip_range()
            self._fit_linear_start()

    def _fit_skip_range(self) -> None:
        """``clip_covariate_skip``'s range: every training window's covariate values, read once before training
        (and never again when training resumes: the range is saved with the weights)."""
        network = self.network
        if not network.clip_covariate_skip or bool(torch.isfinite(network.skip_low).any()):
            return
        # the shuffled loader draws from the global generator: restored, so training is as without the option
        with torch.random.fork_rng(devices=[self.device] if self.device.type == "cuda" else []):
            for batch in self.trainer.datamodule.train_dataloader():
                network.widen_skip_range(*[
                    None if x is None else x.to(self.device)
                    for x in (batch.past_target, batch.past_covariates, batch.historic_future_covariates,
                              batch.future_covariates)
                ])

    def _fit_linear_start(self) -> None:
        """The least-squares start of ``fit_linear_skips``, before any training step.

        It runs in ``setup``, before a distributed strategy wraps the module: DDP registers the parameters that
        need gradients when it wraps, so the frozen skips must be frozen by then. Every process reads the whole
        training set here (the strategy shards it only later), so all start from the same solution.
        """
        network = self.network
        eligible = (
            self._can_start(network.nr_params)
            and not bool(self.linear_skips_fitted)
            # one linear model: the covariate skip is per target component, the target skip shared by them all
            and (network.target_dim == 1 or network.covariate_skip is None)
            and (network.target_skip is not None or network.covariate_skip is not None)
        )
        if not eligible:
            return
        data = self.trainer.datamodule
        # samples per window: one per target component with the target skip alone (see _linear_skip_batches)
        per_window = network.target_dim if network.covariate_skip is None else 1

        def in_time_order():  # the windows in the dataset's order: per series, contiguous in time
            return DataLoader(data.train_dataset, batch_size=data.batch_size, shuffle=False, **data.dataloader_kwargs)

        def blocked(position):  # (S,) -> (S,): five contiguous runs of windows
            return ridge_folds(position // per_window, len(data.train_dataset), _RIDGE_FOLDS)

        def shuffled(position):  # (S,) -> (S,): every fifth sample of the shuffled order
            return position % _RIDGE_FOLDS

        blocked_sums = None
        if self.choose_skip_streams:
            # the streams are chosen on blocked folds: with shuffled ones a held-out window's overlapping neighbours
            # are in the training folds and a stream's overfit goes unseen. The pass in time order draws from the
            # global generator (the loader's seed): restored, so training is as without it.
            with torch.random.fork_rng(devices=[self.device] if self.device.type == "cuda" else []):
                blocked_sums = self._normal_equations(in_time_order(), blocked)
        if self.linear_skip_cv == "blocked":  # the ridge's strength on the same folds
            sums = blocked_sums or self._normal_equations(in_time_order(), blocked)
        else:
            sums = self._normal_equations(data.train_dataloader(), shuffled)
        if sums is None:
            return
        grams, crosses, squares = sums  # (K, F+1, F+1), (K, F+1, O), (K, O)
        alpha_grid = RIDGE_GRID if self.linear_skip_ridge is None else (float(self.linear_skip_ridge),)
        n_features = grams.shape[1] - 1
        columns = list(range(n_features))
        if blocked_sums is not None:  # the target's lags, then the streams whose lags lower the blocked-CV error
            groups = [range(cols.start, cols.stop) for _, cols in network.linear_skip_groups()]
            n_target = groups[0].start
            chosen = select_feature_groups(*blocked_sums, always=range(n_target), groups=groups, alphas=alpha_grid)
            columns = [*range(n_target), *(i for g in sorted(chosen) for i in groups[g])]
        index = torch.tensor([*columns, n_features], device=grams.device)  # the chosen features and the intercept
        grams, crosses = normal_equations_of(grams, crosses, index)
        if self.linear_skip_ridge is None:  # chosen per forecast step by cross-validation over the training windows
            alphas, _ = cross_validated_ridge(grams, crosses, squares)  # (O,)
        else:
            alphas = torch.full((crosses.shape[2],), float(self.linear_skip_ridge), dtype=crosses.dtype)
        self.linear_skip_alpha = alphas.tolist()
        # (O, F'), (O,): the least-squares mean forecast over the chosen features; the others get zero weights
        chosen_weight, bias = ridge_solution_per_output(grams.sum(dim=0), crosses.sum(dim=0), alphas)
        weight = chosen_weight.new_zeros(chosen_weight.shape[0], n_features)  # (O, F)
        weight[:, index[:-1]] = chosen_weight
        # the windows the likelihoods' spreads are read from, the fallbacks' too (a loader draws only when iterated)
        loader = in_time_order() if self.linear_skip_cv == "blocked" else data.train_dataloader()
        if network.nr_params > 1:
            weight, bias = self._linear_likelihood_start(weight, bias, loader)  # (O, N, F), (O, N)
        dtype = network.head[-1].weight.dtype
        network.set_linear_skips(weight.to(dtype), bias.to(dtype))
        if network.linear_fallback:
            weights, biases = self._linear_fallbacks(sums, columns, weight, bias, loader)
            network.set_linear_fallbacks(weights.to(dtype), biases.to(dtype))
        self.linear_skips_fitted.fill_(True)

    def _linear_fallbacks(self, sums, columns, weight, bias, loader) -> tuple[torch.Tensor, torch.Tensor]:
        """``linear_fallback``'s models, one per pattern of missing streams of the network: least squares over the
        start's ``columns`` less the missing streams' (the ridge chosen as the start's is), from the start's normal
        equations ``sums``; a pattern that leaves every column in keeps the start's ``weight`` and ``bias``.
        Weights (P, O, [N,] F), biases (P, O, [N])."""
        network = self.network
        grams, crosses, squares = sums  # (K, F+1, F+1), (K, F+1, O), (K, O)
        n_features = grams.shape[1] - 1
        groups = [range(cols.start, cols.stop) for _, cols in network.linear_skip_groups()]
        weights, biases = [], []
        for missing in network.fallback_missing.tolist():  # (Ms,) per pattern
            dropped = {i for group, gone in zip(groups, missing) if gone for i in group}
            kept = [c for c in columns if c not in dropped]
            if len(kept) == len(columns):
                weights.append(weight)
                biases.append(bias)
                continue
            index = torch.tensor([*kept, n_features], device=grams.device)
            kept_grams, kept_crosses = normal_equations_of(grams, crosses, index)
            if self.linear_skip_ridge is None:
                alphas, _ = cross_validated_ridge(kept_grams, kept_crosses, squares)  # (O,)
            else:
                alphas = torch.full((kept_crosses.shape[2],), float(self.linear_skip_ridge), dtype=kept_crosses.dtype)
            kept_weight, kept_bias = ridge_solution_per_output(kept_grams.sum(dim=0), kept_crosses.sum(dim=0), alphas)
            fallback = kept_weight.new_zeros(kept_weight.shape[0], n_features)  # (O, F)
            fallback[:, index[:-1]] = kept_weight
            if network.nr_params > 1:
                fallback, kept_bias = self._linear_likelihood_start(fallback, kept_bias, loader)
            weights.append(fallback)
            biases.append(kept_bias)
        return torch.stack(weights), torch.stack(biases)

    def _normal_equations(self, loader, fold_of) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
        """Per cross-validation fold, the sums of the least-squares start's normal equations over the training
        samples of ``loader``: grams (K, F+1, F+1), crosses (K, F+1, O) and squares (K, O); ``fold_of`` maps the
        samples' positions in the loader's order (S,) to their folds. ``None`` for an empty loader."""
        grams = crosses = squares = None
        seen = 0
        for features, target in self._linear_skip_batches(loader):
            if grams is None:
                n_in, n_out = features.shape[1], target.shape[1]
                grams = features.new_zeros(_RIDGE_FOLDS, n_in, n_in)  # (K, F+1, F+1)
                crosses, squares = features.new_zeros(_RIDGE_FOLDS, n_in, n_out), features.new_zeros(_RIDGE_FOLDS, n_out)
            folds = fold_of(torch.arange(len(features), device=features.device) + seen)  # (S,)
            seen += len(features)
            for k in range(_RIDGE_FOLDS):
                x, y = features[folds == k], target[folds == k]  # (S_k, F+1), (S_k, O)
                grams[k] += x.T @ x
                crosses[k] += x.T @ y
                squares[k] += (y**2).sum(dim=0)
        return None if grams is None else (grams, crosses, squares)

    def _linear_skip_batches(self, loader):
        """(features (S, F+1) with a constant last column, target (S, O)) per training batch, in float64: one
        sample per window (S = B), or, with the target skip alone, one per window and target component
        (S = B*C: the skip is one linear model shared by the components)."""
        network = self.network
        for batch in loader:
            future_target = batch.future_target.to(self.device).double()  # (B, O, C)
            if network.covariate_skip is None:
                history = torch.nan_to_num(batch.past_target.to(self.device).double(), nan=0.0, posinf=0.0,
                                           neginf=0.0)  # (B, L, C)
                features = history.transpose(1, 2).flatten(0, 1)  # (B*C, L)
                target = future_target.transpose(1, 2).flatten(0, 1)  # (B*C, O)
            else:  # one target component
                inputs = [
                    None if x is None else x.to(self.device)
                    for x in (batch.past_target, batch.past_covariates, batch.historic_future_covariates,
                              batch.future_covariates)
                ]
                features = network.linear_skip_features(*inputs).double()  # (B, F)
                target = future_target[:, :, 0]  # (B, O)
            yield torch.cat([features, features.new_ones(features.shape[0], 1)], dim=1), target  # (S, F+1), (S, O)

    def _linear_likelihood_start(self, weight, bias, loader):
        """The likelihood's parameters of the linear model's residuals, per horizon step: each quantile level's
        empirical residual quantile added to the mean (QuantileRegression), or the residuals' standard deviation
        through the inverse softplus (GaussianLikelihood's sigma); weights (O, N, F), biases (O, N)."""
        residuals = []
        for features, target in self._linear_skip_batches(loader):
            residuals.append(target - features[:, :-1] @ weight.T - bias)  # (B, O)
        residuals = torch.cat(residuals)  # (samples, O)
        if isinstance(self.likelihood, QuantileRegression):
            levels = torch.tensor(self.likelihood.quantiles, dtype=residuals.dtype)  # (N,), ascending
            offsets = torch.quantile(residuals, levels, dim=0).T  # (O, N)
            return weight[:, None, :].expand(-1, len(levels), -1), bias[:, None] + offsets
        sigma = residuals.std(dim=0).clamp_min(1e-6)  # (O,)
        raw_sigma = sigma + torch.log(-torch.expm1(-sigma))  # softplus^-1(sigma)
        weight = torch.stack([weight, torch.zeros_like(weight)], dim=1)  # (O, 2, F): mu linear, sigma constant
        return weight, torch.stack([bias, raw_sigma], dim=1)  # (O, 2)

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


class ProgressiveFusionForecaster(MixedCovariatesTorchModel):
    """Multimodal forecaster: one causal TCN encoder per covariate modality, fused, with the fused context fed
    back into the encoders for a few refinement steps (Progressive Fusion, Shankar et al., arXiv 2209.00302).

    A drop-in darts ``TorchForecastingModel``: ``fit`` / ``predict`` on one or several series, past / future /
    static covariates, likelihoods, ``historical_forecasts``, ``backtest``, ``save`` / ``load``. NaN or infinite
    covariate values are missing values, filled from the same stream (``gap_fill``); a modality missing for a whole
    window is replaced by a learned embedding, and ``modality_dropout`` trains the model to forecast without some
    modalities.

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
    encoder
        ``"tcn"`` (default): each modality's causal TCN over patches, as above. ``"dense"``: each modality's
        residual MLP over its whole flattened window (a stem to ``hidden_size``, then ``num_layers - 1`` blocks
        four times as wide inside; ``kernel_size`` and ``patch_size`` unused), as TiDE's encoder reads its window.
    context_size
        Size of the fused context c fed back to the encoders.
    n_refinements
        Number of unrolled fusion steps R; ``1`` is exactly late fusion (no feedback), the paper's ablation.
        Each step runs the encoders again (from ``context_layer`` up), so with the default ``context_layer=0``
        R = 2 costs about twice R = 1's fit time; on the rolling-origin validation folds (EPF past and future,
        ETTh1, stocks) R = 1 was as accurate, clean and (EPF future) under stream faults, while on the benchmark's
        test segments R = 2 beat every peer under stream faults in more cases (BENCHMARKS.md): ``1`` where fit time
        matters more than robustness.
    fusion
        ``"concat"`` (MLP over concatenated modality embeddings) or ``"gated"`` (one softmax weight per modality,
        readable with :meth:`fusion_weights`).
    context_injection
        How c enters the encoders' layer ``context_layer``: ``"add"`` (per-modality shift) or ``"film"`` (scale and
        shift).
    context_layer
        Which encoder layer's input c enters (``encoder="tcn"``): ``0`` (default), the stem's output, so each
        refinement step runs every encoder layer again; ``j`` in ``1 .. num_layers - 1``, the input of residual
        layer ``j``: the layers below it run once and are shared by the steps, so each step after the first costs
        only the top ``num_layers - j`` layers (with ``num_layers - 1``, R = 2 costs about R = 1 plus one layer).
    linear_fallback
        ``True`` (default; chosen on rolling-origin validation folds, see BENCHMARKS.md): with the covariate skip
        and the least-squares start, also fit, per pattern of missing covariate streams (every combination where
        the skip reads at most three streams, else each stream alone and all of them), the least-squares model over
        the inputs left, and use it as the linear path of a window that misses exactly those streams for the
        whole window (a failed feed), instead of the full linear model with those streams' contributions at zero.
        The deep path, trained with ``modality_dropout``, then learns what that fallback misses. Windows with every
        stream (the clean case) take the same linear path as without the option. Without a covariate skip (no
        future covariates, by default) it changes nothing.
    decoder_size
        ``E > 0``: decode every horizon step with a small residual MLP (a temporal decoder, as in TiDE) from its own
        ``E`` values of the fused state and the future covariates' values at that step (zero, with an
        availability flag, where they are missing), the weights shared over the steps, so that tomorrow's
        covariate value at hour h reaches the forecast at hour h directly. ``0`` (default): one linear head from
        the fused state to every step.
    fault_dropout
        Probability, during training, of failing each covariate modality of a sample part-way, as real feeds fail:
        half the time late data (the last 1 .. ``input_chunk_length / 4`` input steps missing, or for a future
        covariate its whole horizon part: tomorrow's forecast has not arrived), half an outage (a block of the
        window missing, mean 12 steps). Complements ``modality_dropout``, which hides whole modalities.
    gap_fill
        What the network reads at a covariate's missing (NaN) steps where the stream has other values in the
        input window. ``"auto"`` (default): per step, whichever of three guesses has been most accurate on the
        stream's observed values in the same window: its last observed value, its value a whole number of seasons
        earlier (a season is 24 steps on hourly data, 7 on daily: the training series' frequency, see
        :func:`~pf_forecast.robustness.season_length`), or its mean over the window; so a late wind feed reads as
        its mean and a late load forecast as the day before. ``"seasonal"``: the value one season earlier, else the
        last observed value; ``"ffill"``: the last observed value; ``"zero"`` (the behaviour before this option):
        0, with the steps marked missing in the availability channels. A filled step counts as
        observed. A stream missing for the whole window is never filled: the modality's learned embedding stands
        in for it. Only inputs with gaps are affected: on complete data every policy gives the same model.
    clip_covariate_skip
        Clip each value the covariate skip (``use_covariate_skip``) reads to the range of that component in the
        training windows, so a wrong value far outside it (a spike, a unit slip in a day-ahead feed) moves the
        linear path by at most that range; the deep path reads the values as they are. On data within that range
        the forecasts are exactly those without the option. ``True`` (default; chosen on the EPF future-track
        validation folds, see BENCHMARKS.md: clean MSE +0.0% to +0.1%, about 20% lower under spikes and other
        faults on two of three markets); ``False``: the linear path extrapolates, as a linear model does. The
        range is saved with the weights.
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
        Add a linear map from the target history to the forecast (a DLinear-style skip). ``None`` (default): on for
        point forecasts and for likelihoods whose parameters are locations (``QuantileRegression``, Gaussian,
        Laplace, Cauchy, Gumbel), off for the others (Poisson, Gamma, Beta, ...), where a linear map of past values
        into rates or shapes makes sampled multi-step forecasts diverge.
    use_covariate_skip
        Add a linear map from the covariate values (input window, plus the output window for future covariates) to
        the forecast: a linear ARX path beside the deep one. Missing or dropped modalities contribute zeros.
        ``"future"`` (default; chosen on rolling-origin validation folds, see BENCHMARKS.md): over the future
        covariates only (the streams known over the horizon, whose value at step h then reaches step h's forecast
        directly); lags of past covariates are where a linear map over hundreds of values overfits. Without future
        covariates it adds nothing. ``"auto"``: over every covariate modality, and the least-squares start
        (``fit_linear_skips``) chooses which ones its linear model reads: starting from the target's lags it adds,
        one at a time, the modality that lowers the 5-fold cross-validated error over the training windows most,
        while one does, on contiguous blocks of windows (with shuffled folds a held-out window's overlapping
        neighbours are in the training folds and a stream's overfit goes unseen); the others get zero weights (the
        deep path still reads every modality). ``linear_skip_modalities_`` names the chosen ones after fit. On the
        validation folds of BENCHMARKS.md it was within noise of ``"future"`` (the start improves, the model does
        not). Where there is no such start (``fit_linear_skips=False``, several target components, a likelihood
        other than ``QuantileRegression`` or ``GaussianLikelihood``, reversible instance norm) it acts as
        ``"future"``.
    fit_linear_skips
        ``True`` (default; chosen on rolling-origin validation folds, see BENCHMARKS.md): before gradient
        training, set the linear skips (target history, and covariates with
        ``use_covariate_skip``) to their least-squares solution on the training windows (a small ridge) and zero the
        deep head's output layer: training starts from the best linear model and learns what it misses. With
        ``QuantileRegression`` every quantile starts as that linear forecast plus the residuals' empirical quantile
        at its level, per horizon step; with ``GaussianLikelihood`` sigma starts at the residuals' standard
        deviation. With early stopping, :class:`~pf_forecast.RestoreBestWeights` and ``num_sanity_val_steps=-1``
        in ``pl_trainer_kwargs`` the start itself is a candidate: where the deep path does not improve the
        validation loss the model stays that linear model. With several target components the target skip (shared
        by them) is fitted on all of them
        (``use_covariate_skip`` then ignores the option). Applies to point forecasts or those two likelihoods
        without reversible instance norm; otherwise ignored.
    linear_skip_ridge
        Ridge strength of the least-squares start, relative to the mean feature energy. ``None`` (default):
        chosen among 1e-4 .. 100 per forecast step by 5-fold cross-validation over the training windows (a long
        input window with few windows needs a strong ridge: an AR model on 500 lags fitted on 1,500 windows
        overfits with 1e-3); the strengths used are ``model.model.linear_skip_alpha`` after fit.
    linear_skip_cv
        How that cross-validation splits the training windows into its 5 folds: ``"shuffled"`` (default): every
        fifth window of the shuffled training order; ``"blocked"``: five contiguous runs of windows in time order,
        so a held-out window's overlapping neighbours (stride-1 windows share all but one step) are not in the
        training folds. On the validation folds of BENCHMARKS.md the two gave the same accuracy.
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
        use_target_skip: bool | None = None,
        use_covariate_skip: bool | str = "future",
        deep_supervision: bool = False,
        fit_linear_skips: bool = True,
        linear_skip_ridge: float | None = None,
        linear_skip_cv: str = "shuffled",
        zero_init_feedback: bool = True,
        decoder_size: int = 0,
        fault_dropout: float = 0.0,
        gap_fill: str = "auto",
        clip_covariate_skip: bool = True,
        encoder: str = "tcn",
        context_layer: int = 0,
        linear_fallback: bool = True,
        use_static_covariates: bool = True,
        **kwargs,
    ):
        params = self.model_params  # every argument, defaults included, as darts stores them
        check_model_hyper_parameters(params)
        if params.get("linear_skip_ridge") is not None:
            check_float("linear_skip_ridge", params["linear_skip_ridge"], low=0.0, low_open=True,
                        about="the ridge strength of the least-squares start; None chooses it by cross-validation")
        check_choice("linear_skip_cv", params["linear_skip_cv"], choices=LINEAR_SKIP_CV)
        check_hyper_parameters(params)  # the network's
        if modalities is not None:
            validate_modalities_spec(modalities)  # structure only; component names are checked at fit
        super().__init__(**self._extract_torch_model_params(**params))
        self.pl_module_params = self._extract_pl_module_params(**params)

        self.modalities = modalities
        for name in MODULE_HYPER_PARAMETERS:  # hidden_size, ..., fit_linear_skips
            setattr(self, name, params[name])
        self._considers_static_covariates = use_static_covariates
        self._resolved_modalities: dict[str, Modality] | None = None
        self._season = 1  # steps per season of the training series, for gap_fill="seasonal"; set at fit
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
    def linear_skip_modalities_(self) -> list[str]:
        """The covariate modalities whose values reach the forecast through the linear covariate skip (after fit):
        with ``use_covariate_skip="auto"``, those the least-squares start chose; empty without a covariate skip."""
        modalities = list(self.modalities_)  # raises before fit
        return [modalities[slot] for slot in self.model.network.linear_skip_slots()]

    @property
    def supports_static_covariates(self) -> bool:
        return True

    # ------------------------------------------------------------------ darts entry points
    def fit(self, series, past_covariates=None, future_covariates=None, *args, **kwargs):
        """Fit the model; see darts' ``TorchForecastingModel.fit``. Inputs are validated before any training."""
        check_fit_arguments(self.likelihood, series, past_covariates, future_covariates, kwargs)
        return super().fit(series, past_covariates, future_covariates, *args, **kwargs)

    def predict(self, n: int, series=None, past_covariates=None, future_covariates=None, *args, **kwargs):
        """Forecast ``n`` steps; see darts' ``TorchForecastingModel.predict``."""
        if not self._fit_called:
            raise ValueError(
                "This ProgressiveFusionForecaster is not fitted: call `fit(series, ...)` before `predict(...)`, "
                "or load a fitted model with `ProgressiveFusionForecaster.load(path)`."
            )
        check_predict_arguments(
            n, series, past_covariates, future_covariates, self.output_chunk_length,
            fitted_with={"past_covariates": self.uses_past_covariates, "future_covariates": self.uses_future_covariates},
            training_series=self.training_series,
        )
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
        check_training_data(
            series, past_covariates, future_covariates, sample_weight, max_samples_per_ts, stride,
            self.input_chunk_length, self.output_chunk_length, self.output_chunk_shift, self.uses_static_covariates,
            prefix,
        )
        # torch needs one dtype: covariates (and, on refit, the target) follow the model's, i.e. the target's, dtype
        dtype = self._model_dtype() or series[0].dtype
        series, past_covariates, future_covariates = (
            _as_dtype(series, dtype), _as_dtype(past_covariates, dtype), _as_dtype(future_covariates, dtype)
        )
        past_names = component_names(past_covariates, f"{prefix}past_covariates")
        future_names = component_names(future_covariates, f"{prefix}future_covariates")
        if self._resolved_modalities is None:
            self._resolved_modalities = resolve_modalities(
                self.modalities, list(series[0].components), past_names, future_names
            )
            self._season = season_length(series[0])
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
                component_names(past_covariates, "past_covariates"),
                component_names(future_covariates, "future_covariates"),
            )
        check_inference_data(
            n, series, past_covariates, future_covariates, stride, bounds, self.input_chunk_length,
            self.output_chunk_length, self.output_chunk_shift, self.uses_static_covariates,
        )
        dtype = self._model_dtype()  # a float64 input to a float32 network would fail deep inside torch
        if dtype is not None:
            series, past_covariates, future_covariates = (
                _as_dtype(series, dtype), _as_dtype(past_covariates, dtype), _as_dtype(future_covariates, dtype)
            )
        return super()._build_inference_dataset(n, series, past_covariates, future_covariates, stride, bounds)

    def _model_dtype(self) -> np.dtype | None:
        """The network's dtype (that of the target it was first fitted on); ``None`` before the first fit."""
        sample = self.train_sample
        return None if sample is None else sample.past_target.dtype

    def _create_model(self, train_sample: TorchTrainingSample) -> PLForecastingModule:
        return _ProgressiveFusionModule(**self._network_layout(train_sample), **self.pl_module_params)

    def _network_layout(self, train_sample: TorchTrainingSample) -> dict:
        """The Lightning module's own arguments (beyond darts' ``pl_module_params``): the data's layout, as
        ``train_sample`` and the resolved modalities define it, and ``MODULE_HYPER_PARAMETERS``; also checked
        against a weights file's hparams by :meth:`load`."""
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
            season=getattr(self, "_season", 1),  # absent from models pickled by older versions
            **{name: getattr(self, name) for name in MODULE_HYPER_PARAMETERS},
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
        _persistence.save_atomically(self, path, clean)

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
        _persistence.check_load_path(cls, path)
        ckpt = path + ".ckpt"
        # hashed before darts reads it, and compared with the digest the model file recorded at save
        digest = _persistence.file_sha256(ckpt) if os.path.isfile(ckpt) else None
        try:
            model = super().load(path, pl_trainer_kwargs=pl_trainer_kwargs, trusted=trusted, **kwargs)
        except Exception as err:
            raise _persistence.load_error(cls, path, err) from err
        _persistence.check_loaded(cls, model, path, digest)
        return model

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
        check_series_argument(series, "series")
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


# ---------------------------------------------------------------------- helpers
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
