"""The Progressive Fusion network: missing-modality masks, the unrolled refinement loop and the head.

Pure PyTorch: tensors in, tensors out. The darts adapter (:mod:`pf_forecast.model`) only turns darts' batches into
the arguments of :meth:`ProgressiveFusionNetwork.forward`.

Shapes: B batch, L input length, O output length, C target components, P past-covariate components, F future-
covariate components, S static covariates (flattened), M modalities (target first), W widest modality, H hidden
size, D fused size, K context size, T input time steps (L, or L + O when future covariates exist), T' encoder
steps (T / patch size), N likelihood parameters per value, Ms covariate modalities read by the covariate skip.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial

import torch
import torch.nn as nn

from pf_forecast._checks import check_choice, check_float, check_int
from pf_forecast.nn.decoder import TemporalDecoder
from pf_forecast.nn.dense import ModalityMLP
from pf_forecast.nn.fusion import (
    CONTEXT_INJECTIONS,
    FUSION_OPERATORS,
    ContextInjection,
    ContextProjection,
    TemporalReadout,
    make_fusion,
)
from pf_forecast.nn.modality import Modality
from pf_forecast.nn.packing import GAP_FILLS, PackedModalities, build_gather_index, pack_modalities
from pf_forecast.nn.tcn import DropoutFactory, ModalityTCN, make_dropout

_POSITIVE_INT = partial(check_int, low=1)
_SIZE_OR_OFF = partial(check_int, low=0, about="0 turns it off")
_PROBABILITY = partial(check_float, low=0.0, high=1.0, high_open=True)
#: ``use_covariate_skip``: off, over every covariate modality, over the future-covariate modalities only (the
#: streams known over the horizon, whose value at step h a linear map uses best; lags of past streams are where a
#: linear map over hundreds of values overfits), or ``"auto"``: over every covariate modality, the darts model's
#: least-squares start then choosing which of them its linear path reads (the network reads it as ``True``).
COVARIATE_SKIPS = (False, True, "future", "auto")
#: ``encoder``: each modality's causal TCN over patches (:mod:`pf_forecast.nn.tcn`), or a residual MLP over its
#: whole flattened window (:mod:`pf_forecast.nn.dense`).
ENCODERS = ("tcn", "dense")

#: The network's hyper-parameters (its constructor's arguments beyond the data's layout), in its constructor's
#: order, each with the check of its value (``None``: a switch, read as a truth value). The darts model takes each
#: as a plain constructor argument of the same name and its Lightning module hands them all to the network, so an
#: option added here (and to the constructor) reaches the network from the model's argument of that name.
_HYPER_PARAMETER_CHECKS: dict[str, Callable[[str, object], object] | None] = {
    "hidden_size": _POSITIVE_INT,
    "kernel_size": _POSITIVE_INT,
    "num_layers": _POSITIVE_INT,
    "patch_size": _POSITIVE_INT,
    "context_size": _POSITIVE_INT,
    "n_refinements": _POSITIVE_INT,
    "fusion": partial(check_choice, choices=FUSION_OPERATORS),
    "context_injection": partial(check_choice, choices=CONTEXT_INJECTIONS),
    "readout_points": _POSITIVE_INT,
    "dropout": _PROBABILITY,
    "modality_dropout": partial(
        _PROBABILITY,
        detail=": it is the probability of hiding one covariate modality of a training sample (1 would hide all "
        "of them always)",
    ),
    "use_target_skip": None,
    "use_covariate_skip": partial(check_choice, choices=COVARIATE_SKIPS),
    "zero_init_feedback": None,
    "decoder_size": _SIZE_OR_OFF,
    "fault_dropout": partial(
        _PROBABILITY,
        detail=": it is the probability of failing one covariate modality of a training sample part-way (1 would "
        "fail all of them always)",
    ),
    "gap_fill": partial(check_choice, choices=GAP_FILLS),
    "clip_covariate_skip": None,
    "encoder": partial(check_choice, choices=ENCODERS),
    "context_layer": partial(check_int, low=0, about="the encoder layer whose input the fed-back context shifts"),
    "linear_fallback": None,
}
NETWORK_HYPER_PARAMETERS: tuple[str, ...] = tuple(_HYPER_PARAMETER_CHECKS)


def check_hyper_parameters(values: Mapping[str, object]) -> None:
    """Raise ``ValueError`` naming the first of the network's hyper-parameters in ``values`` whose value is invalid
    (the argument, the value and what is accepted); names not in :data:`NETWORK_HYPER_PARAMETERS` are ignored."""
    for name, check in _HYPER_PARAMETER_CHECKS.items():
        if check is not None and name in values:
            check(name, values[name])
    layer, depth = values.get("context_layer", 0), values.get("num_layers")
    if depth is not None and layer >= depth:
        raise ValueError(f"`context_layer` must be < `num_layers` ({depth}): the encoders have layers 0..{depth - 1}, "
                         f"got {layer}. Pass context_layer={depth - 1} to feed the context into the last layer.")
    if layer and values.get("encoder", "tcn") != "tcn":
        raise ValueError(f"`context_layer` must be 0 with encoder={values['encoder']!r} (the context enters its stem), "
                         f"got {layer}. Pass context_layer=0, or encoder='tcn'.")


def ridge_solution(gram: torch.Tensor, cross: torch.Tensor, alpha: float = 1e-3) -> tuple[torch.Tensor, torch.Tensor]:
    """Least squares with a small ridge from accumulated normal equations.

    Parameters
    ----------
    gram
        (F+1, F+1) sum of x x^T over samples, the last feature being the constant 1 (the intercept).
    cross
        (F+1, O) sum of x y^T.
    alpha
        Ridge strength relative to the mean feature energy, on every coefficient including the intercept: where
        the intercept and the lags explain the target equally well (a constant series) the level is shared with
        the lags, so the forecast still follows its inputs.

    Returns
    -------
    (weight (O, F), bias (O,))
    """
    n_features = gram.shape[0] - 1
    penalty = alpha * torch.diagonal(gram)[:n_features].mean().clamp_min(1e-12) if n_features else 0.0
    regularised = gram.clone()
    regularised.diagonal().add_(penalty)
    solution = torch.linalg.solve(regularised, cross)  # (F+1, O)
    return solution[:n_features].T.contiguous(), solution[n_features].contiguous()


#: Ridge strengths tried by :func:`cross_validated_ridge`, relative to the mean feature energy.
RIDGE_GRID: tuple[float, ...] = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0)


def cross_validated_ridge(
    grams: torch.Tensor, crosses: torch.Tensor, squares: torch.Tensor, alphas: Sequence[float] = RIDGE_GRID
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per output (forecast step), the ridge strength of lowest K-fold cross-validated squared error, from
    per-fold normal equations.

    A long input window with few training windows (an AR model on 500 lags fitted on 1,500 windows) overfits badly
    with a small ridge, and later steps need more shrinkage than the first: the strength is chosen per fit and per
    output (the outputs' ridge problems are independent). Fold k's error of a solution W fitted without it is
    ``y'y - 2 W'X'y + W'X'X W`` over its own sums, so nothing but the sums is kept.

    Parameters
    ----------
    grams
        (K, F+1, F+1) per fold: sum of x x^T (the last feature the constant 1).
    crosses
        (K, F+1, O) per fold: sum of x y^T.
    squares
        (K, O) per fold: sum of y^2.
    alphas
        Candidate strengths (see :func:`ridge_solution`).

    Returns
    -------
    (the chosen strength per output (O,), the cross-validated errors (A, O))
    """
    total_gram, total_cross = grams.sum(dim=0), crosses.sum(dim=0)
    errors = torch.zeros(len(alphas), crosses.shape[2], dtype=crosses.dtype)  # (A, O)
    for a, alpha in enumerate(alphas):
        for gram, cross, square in zip(grams, crosses, squares):
            weight, bias = ridge_solution(total_gram - gram, total_cross - cross, alpha)
            solution = torch.cat([weight.T, bias[None]], dim=0)  # (F+1, O)
            fitted = (solution * (gram @ solution)).sum(dim=0)  # (O,): W'X'X W per output
            errors[a] += (square - 2 * (solution * cross).sum(dim=0) + fitted).cpu()
    grid = torch.tensor(alphas, dtype=crosses.dtype)
    return grid[errors.argmin(dim=0)], errors


def normal_equations_of(grams: torch.Tensor, crosses: torch.Tensor, index: torch.Tensor
                        ) -> tuple[torch.Tensor, torch.Tensor]:
    """The per-fold normal equations (K, F+1, F+1) and (K, F+1, O) restricted to the features ``index`` (F'+1,)."""
    return grams.index_select(1, index).index_select(2, index), crosses.index_select(1, index)


def select_feature_groups(
    grams: torch.Tensor, crosses: torch.Tensor, squares: torch.Tensor, always: Sequence[int],
    groups: Sequence[Sequence[int]], alphas: Sequence[float] = RIDGE_GRID,
) -> list[int]:
    """Forward selection of groups of features by K-fold cross-validated ridge error.

    Starting from the features ``always`` (the intercept, the constant last feature, is always added), add the group
    whose features lower the cross-validated squared error the most (each output at its best strength), while one
    does. Built for the least-squares start's streams: a stream's lags that only overfit stay out of the linear model.

    Parameters
    ----------
    grams, crosses, squares
        Per-fold sums, as for :func:`cross_validated_ridge` (the last feature the constant 1).
    always
        Feature indices always in the model (e.g. the target's lags).
    groups
        The candidate groups, each a sequence of feature indices.
    alphas
        Candidate strengths (see :func:`ridge_solution`).

    Returns
    -------
    The indices of the chosen groups, in the order they were added.
    """
    intercept = grams.shape[1] - 1

    def error(features: list[int]) -> float:
        index = torch.tensor([*features, intercept], device=grams.device)
        _, errors = cross_validated_ridge(*normal_equations_of(grams, crosses, index), squares, alphas)  # (A, O)
        return float(errors.min(dim=0).values.sum())

    chosen: list[int] = []
    features = list(always)
    best = error(features)
    while len(chosen) < len(groups):
        trials = {g: error(features + list(groups[g])) for g in range(len(groups)) if g not in chosen}
        group = min(trials, key=trials.get)
        if trials[group] >= best:
            break
        chosen.append(group)
        features += list(groups[group])
        best = trials[group]
    return chosen


def ridge_folds(window: torch.Tensor, n_windows: int, n_folds: int) -> torch.Tensor:
    """The cross-validation fold of each training window by its place ``window`` (S,) in time order among
    ``n_windows``: ``n_folds`` contiguous blocks of (nearly) equal size.

    Stride-1 windows overlap their neighbours in all but one step: where neighbours fall into different folds (every
    k-th window of a shuffled order), a held-out window is nearly a copy of training ones, so its error is not that
    of a new window. With blocks, only the windows at a block's two edges have such neighbours.
    """
    return torch.div(window * n_folds, n_windows, rounding_mode="floor")  # (S,)


def ridge_solution_per_output(gram: torch.Tensor, cross: torch.Tensor, alphas: torch.Tensor
                              ) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`ridge_solution` with one strength per output ``alphas`` (O,): (weight (O, F), bias (O,))."""
    weight = gram.new_empty(cross.shape[1], gram.shape[0] - 1)  # (O, F)
    bias = gram.new_empty(cross.shape[1])  # (O,)
    for alpha in torch.unique(alphas):
        columns = (alphas == alpha).nonzero().flatten().to(cross.device)
        w, b = ridge_solution(gram, cross[:, columns], float(alpha))
        weight[columns], bias[columns] = w, b
    return weight, bias


def fallback_patterns(n_streams: int) -> torch.Tensor:
    """The missing-stream patterns that get a linear fallback, (P, n) bool (True = missing): every non-empty subset
    of up to three streams (at most 7 patterns); beyond three, each stream alone and all of them together, so the
    patterns grow linearly with the streams (a sample missing another combination keeps zero contributions)."""
    if n_streams <= 3:
        subsets = [[bool(code >> i & 1) for i in range(n_streams)] for code in range(1, 2**n_streams)]
        subsets.sort(key=sum)  # one stream missing first
    else:
        subsets = [[i == j for i in range(n_streams)] for j in range(n_streams)] + [[True] * n_streams]
    return torch.tensor(subsets, dtype=torch.bool).reshape(-1, n_streams)


class ProgressiveFusionNetwork(nn.Module):
    """Per-modality causal TCN encoders, fusion, and the fused context fed back for ``n_refinements`` steps.

    c(0) = 0. For r = 1..R: e_m(r) = G_m(x_m, c(r-1)); z(r) = F(e_1(r), ..., e_M(r)); c(r) = P(z(r)).
    The forecast is head(z(R)) plus linear skips from the target history and from the covariate values. With R = 1
    no context is ever injected: it is exactly late fusion.

    Parameters
    ----------
    input_chunk_length, output_chunk_length
        L and O.
    slots
        One :class:`~pf_forecast.nn.modality.Modality` per modality, the target first (only their ``source`` and
        ``indices`` are read).
    target_dim, past_dim, future_dim, static_dim
        C, P, F and the flattened static-covariate size (0 when absent).
    nr_params
        Likelihood parameters per forecast value (1 for point forecasts).
    hidden_size, kernel_size, num_layers
        Encoder width, kernel and depth.
    patch_size
        Time steps per patch embedded by the encoders' stem (see :class:`~pf_forecast.nn.tcn.ModalityTCN`).
    context_size
        K, the size of the fed-back context c.
    n_refinements
        R >= 1, the number of unrolled fusion steps.
    fusion
        ``"concat"`` or ``"gated"``.
    context_injection
        ``"add"`` or ``"film"`` (see :class:`~pf_forecast.nn.fusion.ContextInjection`).
    zero_init_feedback
        Start the context injection at zero: step r > 1 starts as a copy of step 1 (see ``ContextInjection``).
    readout_points
        Learned time weightings per modality in the temporal readout.
    decoder_size
        E > 0: decode each horizon step with a :class:`~pf_forecast.nn.decoder.TemporalDecoder` from its own E
        values of the fused state and the future modalities' values (and availability) at that step; 0: one linear
        head from the fused state to every step.
    dropout
        Dropout inside encoders, fusion and head.
    modality_dropout
        During training, the probability of hiding each covariate modality of a sample entirely.
    fault_dropout
        During training, the probability of failing each covariate modality of a sample part-way: late data (its
        last input steps, or a future modality's horizon part, missing) or an outage (a block missing).
    use_target_skip
        Add a linear map from the target history to the forecast (as DLinear / TiDE do).
    use_covariate_skip
        Add a linear map from the covariate values (input window, and output window for future covariates) to the
        forecast: a linear ARX path beside the deep one. Missing and dropped modalities contribute zeros.
        ``"future"`` (default): from the future-covariate modalities' values only; ``"auto"``: as ``True`` (the
        darts model's least-squares start zeroes the modalities it leaves out).
    gap_fill, season
        How a stream's missing steps are filled where the stream has other values in the window (see
        :data:`~pf_forecast.nn.packing.GAP_FILLS`), and the steps per season for ``"seasonal"``.
    clip_covariate_skip
        Clip each value the covariate skip reads to that component's range in training (set by
        :meth:`widen_skip_range`; unbounded until then), so a spike moves the linear path by at most the range.
    encoder
        ``"tcn"``: causal TCN encoders over patches (``kernel_size``, ``patch_size`` apply); ``"dense"``: a
        residual MLP per modality over its whole flattened window (``num_layers`` layers, ``hidden_size`` wide).
    context_layer
        Where the context enters the TCN encoders: 0, the stem's output (every layer is run again per refinement
        step); j >= 1, the input of residual layer j (layers below it are run once and shared by the steps, so
        each extra step costs the top ``num_layers - j`` layers only).
    linear_fallback
        With the covariate skip: keep, per pattern of missing skipped streams (:func:`fallback_patterns`), a
        linear model over the inputs still there (installed by :meth:`set_linear_fallbacks`; zero until then), used
        in place of the skips' zero contributions when a sample misses exactly those streams.
    dropout_cls
        Dropout class (darts' Monte-Carlo dropout in the adapter).
    """

    def __init__(
        self,
        input_chunk_length: int,
        output_chunk_length: int,
        slots: Sequence[Modality],
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
        use_covariate_skip: bool | str = "future",
        zero_init_feedback: bool = True,
        decoder_size: int = 0,
        fault_dropout: float = 0.0,
        gap_fill: str = "zero",
        clip_covariate_skip: bool = False,
        encoder: str = "tcn",
        context_layer: int = 0,
        linear_fallback: bool = False,
        season: int = 1,
        dropout_cls: DropoutFactory = nn.Dropout,
    ):
        super().__init__()
        if not slots or slots[0].source != "target":
            raise ValueError("`slots` must start with the target modality.")
        check_hyper_parameters(locals())  # the arguments: the hyper-parameters among them are checked
        self.input_chunk_length = input_chunk_length
        self.output_chunk_length = output_chunk_length
        self.target_dim = target_dim
        self.nr_params = nr_params
        self.n_refinements = n_refinements
        self.context_layer = context_layer
        self.modality_dropout = modality_dropout
        self.fault_dropout = fault_dropout
        self.gap_fill, self.season = gap_fill, season
        # the modalities read from the future covariates (whose horizon part a late feed leaves empty)
        self.register_buffer("is_future", torch.tensor([slot.source == "future" for slot in slots]), persistent=False)
        self.n_modalities = len(slots)
        dims = {"target": target_dim, "past": past_dim, "future": future_dim}
        self.register_buffer("gather_index", build_gather_index(slots, dims), persistent=False)  # (M, W)
        width = self.gather_index.shape[1]
        steps = input_chunk_length + (output_chunk_length if future_dim else 0)
        self.n_steps = steps  # T
        fused_size = hidden_size

        self.encoders = (
            ModalityTCN(self.n_modalities, 2 * width, hidden_size, kernel_size, num_layers, patch_size)
            if encoder == "tcn" else ModalityMLP(self.n_modalities, 2 * width, hidden_size, num_layers, steps)
        )
        self.readout = TemporalReadout(self.n_modalities, hidden_size, self.encoders.n_steps(steps), readout_points)
        # dropout on the per-modality embeddings, not on the long encoder activations (cheap, and MC-dropout ready)
        self.embedding_dropout = make_dropout(dropout, dropout_cls)
        # a learned stand-in for each modality's embedding when the modality is absent from the window
        self.missing_embedding = nn.Parameter(torch.zeros(self.n_modalities, hidden_size))  # (M, H)
        self.fusion = make_fusion(fusion, self.n_modalities, hidden_size, fused_size, dropout, dropout_cls)
        self.context_projection = ContextProjection(fused_size, context_size)
        self.context_injection = ContextInjection(
            self.n_modalities, context_size, hidden_size, context_injection, zero_init=zero_init_feedback
        )
        self.static_projection = nn.Linear(static_dim, fused_size) if static_dim else None
        out_values = output_chunk_length * target_dim * nr_params
        # the future modalities, whose values at each horizon step feed the temporal decoder
        self.future_slots = [i for i, slot in enumerate(slots) if slot.source == "future"] if future_dim else []
        self.temporal_decoder = None
        if decoder_size:
            head_values = output_chunk_length * decoder_size  # E values of the fused state per step
            self.temporal_decoder = TemporalDecoder(decoder_size, len(self.future_slots) * 2 * width, hidden_size,
                                                    target_dim * nr_params, dropout, dropout_cls)
        self.head = nn.Sequential(
            nn.GELU(), make_dropout(dropout, dropout_cls),
            nn.Linear(fused_size, head_values if decoder_size else out_values)
        )
        self.target_skip = (
            nn.Linear(input_chunk_length, output_chunk_length * nr_params) if use_target_skip else None
        )
        # the covariate modalities the linear skip reads (all of them, or the future ones), all T steps each
        future_only = use_covariate_skip == "future"
        skipped = [i for i, slot in enumerate(slots) if i > 0 and (not future_only or slot.source == "future")]
        self.register_buffer("skip_slots", torch.tensor(skipped, dtype=torch.long), persistent=False)
        n_covariate_values = len(skipped) * width * steps
        self.covariate_skip = (
            nn.Linear(n_covariate_values, output_chunk_length * target_dim * nr_params)
            if use_covariate_skip and n_covariate_values
            else None
        )
        self.clip_covariate_skip = bool(clip_covariate_skip) and self.covariate_skip is not None
        if self.clip_covariate_skip:  # saved with the weights: the range is the training data's
            self.register_buffer("skip_low", torch.full((len(skipped), width, 1), float("inf")))  # (Ms, W, 1)
            self.register_buffer("skip_high", torch.full((len(skipped), width, 1), float("-inf")))  # (Ms, W, 1)
        self.linear_fallback = bool(linear_fallback) and self.covariate_skip is not None and target_dim == 1
        if self.linear_fallback:
            # per pattern of missing skipped streams, the fallback's weights and bias as differences from the skips'
            # (zero: the skips as they are); saved with the weights, as the skips are
            patterns = fallback_patterns(len(skipped))  # (P, Ms)
            n_features = (input_chunk_length if self.target_skip is not None else 0) + n_covariate_values
            self.register_buffer("fallback_missing", patterns, persistent=False)  # (P, Ms)
            self.register_buffer("fallback_weight", torch.zeros(len(patterns), out_values, n_features))  # (P, O*N, F)
            self.register_buffer("fallback_bias", torch.zeros(len(patterns), out_values))  # (P, O*N)
        #: when a list, each forward appends the last step's gated-fusion weights (B, M); see ``fusion_weights``
        self.recorded_fusion_weights: list[torch.Tensor] | None = None

    def forward(
        self,
        past_target: torch.Tensor,
        past_covariates: torch.Tensor | None = None,
        historic_future_covariates: torch.Tensor | None = None,
        future_covariates: torch.Tensor | None = None,
        static_covariates: torch.Tensor | None = None,
        return_all_steps: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """Forecast (B, O, C, N) from the input windows; NaN/inf covariates are treated as missing.

        With ``return_all_steps``, also return the forecasts decoded from the earlier refinement steps (for deep
        supervision), as a list of R - 1 tensors of shape (B, O, C, N).
        """
        batch = past_target.shape[0]
        failed = None
        if self.training and self.fault_dropout > 0 and self.n_modalities > 1:
            failed = self._failed_steps(batch, past_target.device)  # (B, M, T)
        packed = self._pack(past_target, past_covariates, historic_future_covariates, future_covariates, failed)
        available = packed.available.clone()  # (B, M)
        available[:, 0] = True  # the target history is always a modality (validated finite upstream)
        if self.training and self.modality_dropout > 0 and self.n_modalities > 1:
            dropped = torch.rand(batch, self.n_modalities, device=available.device) < self.modality_dropout
            dropped[:, 0] = False
            available = available & ~dropped  # (B, M)

        step_features = self._step_features(packed, available) if self.temporal_decoder is not None else None
        first = self.encoders.first_layer(packed.inputs)  # (B, M*2W, T) -> (B, M*H, T')
        shared = self.encoders.below(first, self.context_layer)  # (B, M*H, T'): the layers every step shares
        context = None
        earlier_steps = []
        for step in range(self.n_refinements):
            modulated = shared if context is None else self.context_injection(shared, context)  # (B, M*H, T')
            states = self.encoders.above(modulated, self.context_layer)  # (B, M*H, T')
            states = states.view(batch, self.n_modalities, -1, states.shape[-1])  # (B, M, H, T')
            embeddings = self.embedding_dropout(self.readout(states))  # (B, M, H)
            embeddings = torch.where(available.unsqueeze(-1), embeddings, self.missing_embedding)  # (B, M, H)
            fused, weights = self.fusion(embeddings, available)  # (B, D), (B, M) | None
            if step < self.n_refinements - 1:
                context = self.context_projection(fused)  # (B, D) -> (B, K)
                if return_all_steps:
                    earlier_steps.append(self._decode(fused, past_target, static_covariates, step_features))

        if self.recorded_fusion_weights is not None and weights is not None:
            self.recorded_fusion_weights.append(weights.detach())
        out = self._decode(fused, past_target, static_covariates, step_features)  # (B, O, C, N)
        if self.covariate_skip is not None:
            values = self._covariate_values(packed, available)  # (B, Ms*W*T)
            linear = self.covariate_skip(values)  # (B, O*C*N)
            if self.linear_fallback:
                linear = linear + self._fallback_correction(past_target, values, available)
            linear = linear.view(batch, self.output_chunk_length, self.target_dim, self.nr_params)  # (B, O, C, N)
            out = out + linear
            earlier_steps = [e + linear for e in earlier_steps]
        return (out, earlier_steps) if return_all_steps else out

    def _pack(self, past_target, past_covariates, historic_future_covariates, future_covariates, failed=None
              ) -> PackedModalities:
        return pack_modalities(self.gather_index, past_target, past_covariates, historic_future_covariates,
                               future_covariates, gap_fill=self.gap_fill, season=self.season, failed=failed)

    def _failed_steps(self, batch: int, device: torch.device) -> torch.Tensor:
        """Training only: (B, M, T), the steps each covariate modality of a sample misses when it fails part-way
        (probability ``fault_dropout``), as real feeds do. Half the failures are late data (a past modality's last
        1 .. L/4 input steps missing; a future modality's horizon part missing), half an outage (a block of the
        window missing, of geometric length with mean 12 steps). They are packed exactly as NaN inputs."""
        steps, n_in = self.n_steps, self.input_chunk_length
        fails = torch.rand(batch, self.n_modalities, device=device) < self.fault_dropout  # (B, M)
        fails[:, 0] = False  # the target history never fails
        late = torch.rand(batch, self.n_modalities, device=device) < 0.5  # (B, M): late data, else an outage
        # late data: past modalities lose their last k input steps, future ones their horizon part [L, T)
        k = torch.randint(1, max(n_in // 4, 1) + 1, (batch, self.n_modalities), device=device)  # (B, M)
        late_start = torch.where(self.is_future, torch.full_like(k, n_in), n_in - k)  # (B, M)
        late_end = torch.where(self.is_future, torch.full_like(k, steps), torch.full_like(k, n_in))
        # an outage: a block starting anywhere in the input window, geometric length (mean 12, at least 1 step)
        block_start = torch.randint(0, n_in, (batch, self.n_modalities), device=device)  # (B, M)
        length = torch.distributions.Geometric(probs=torch.tensor(1 / 12, device=device)).sample(k.shape) + 1
        start = torch.where(late, late_start, block_start)  # (B, M)
        end = torch.where(late, late_end, block_start + length.long())  # (B, M)
        time = torch.arange(steps, device=device)  # (T,)
        return fails[..., None] & (time >= start[..., None]) & (time < end[..., None])  # (B, M, T)

    def _step_features(self, packed: PackedModalities, available: torch.Tensor) -> torch.Tensor | None:
        """The future modalities' values and availability at each horizon step, (B, O, Mf*2W); a missing or
        dropped modality contributes zeros (its availability channels say so)."""
        if not self.future_slots:
            return None
        batch, _, steps = packed.inputs.shape
        inputs = packed.inputs.view(batch, self.n_modalities, -1, steps)  # (B, M, 2W, T)
        horizon = inputs[:, self.future_slots, :, steps - self.output_chunk_length:]  # (B, Mf, 2W, O)
        kept = available[:, self.future_slots, None, None].to(horizon.dtype)  # (B, Mf, 1, 1)
        return (horizon * kept).permute(0, 3, 1, 2).flatten(2)  # (B, O, Mf, 2W) -> (B, O, Mf*2W)

    def _fallback_correction(self, past_target: torch.Tensor, values: torch.Tensor, available: torch.Tensor
                             ) -> torch.Tensor:
        """What turns the skips' output into the linear fallback of each sample's pattern of missing skipped streams
        (zero for a sample with all of them, or with a pattern that has no fallback), (B, O*N)."""
        missing = ~available[:, self.skip_slots]  # (B, Ms)
        match = (missing[:, None, :] == self.fallback_missing[None]).all(dim=2)  # (B, P)
        features = self._linear_features(past_target, values)  # (B, F)
        per_pattern = torch.einsum("bf,pof->bpo", features, self.fallback_weight) + self.fallback_bias  # (B, P, O*N)
        return (per_pattern * match[..., None].to(per_pattern.dtype)).sum(dim=1)  # (B, O*N)

    def _covariate_values(self, packed: PackedModalities, available: torch.Tensor) -> torch.Tensor:
        batch, _, steps = packed.inputs.shape
        # Ms skipped modalities (every covariate modality, or the future ones), values only
        values = packed.inputs.view(batch, self.n_modalities, 2, -1, steps)[:, self.skip_slots, 0]  # (B, Ms, W, T)
        if self.clip_covariate_skip:
            # a component never observed in training keeps (inf, -inf), and its values as they are
            bounded = torch.isfinite(self.skip_low)  # (Ms, W, 1)
            clipped = torch.minimum(torch.maximum(values, self.skip_low), self.skip_high)  # (B, Ms, W, T)
            values = torch.where(bounded, clipped, values)
        values = values * available[:, self.skip_slots, None, None].to(values.dtype)  # (B, Ms, W, T)
        return values.flatten(1)  # (B, Ms*W*T)

    @torch.no_grad()
    def widen_skip_range(
        self,
        past_target: torch.Tensor,
        past_covariates: torch.Tensor | None = None,
        historic_future_covariates: torch.Tensor | None = None,
        future_covariates: torch.Tensor | None = None,
    ) -> None:
        """Widen ``clip_covariate_skip``'s range per skipped component to the values observed (or gap-filled) in
        these training windows; call it on every training batch before training."""
        packed = self._pack(past_target, past_covariates, historic_future_covariates, future_covariates)
        batch, _, steps = packed.inputs.shape
        inputs = packed.inputs.view(batch, self.n_modalities, 2, -1, steps)[:, self.skip_slots]  # (B, Ms, 2, W, T)
        values, held = inputs[:, :, 0], inputs[:, :, 1] > 0  # (B, Ms, W, T) twice
        inf = torch.tensor(float("inf"), dtype=values.dtype, device=values.device)
        low = torch.where(held, values, inf).amin(dim=(0, 3)).unsqueeze(-1)  # (Ms, W, 1)
        high = torch.where(held, values, -inf).amax(dim=(0, 3)).unsqueeze(-1)  # (Ms, W, 1)
        self.skip_low.copy_(torch.minimum(self.skip_low, low.to(self.skip_low.dtype)))
        self.skip_high.copy_(torch.maximum(self.skip_high, high.to(self.skip_high.dtype)))

    # ------------------------------------------------------------------ least-squares start for the linear skips
    def linear_skip_features(
        self,
        past_target: torch.Tensor,
        past_covariates: torch.Tensor | None = None,
        historic_future_covariates: torch.Tensor | None = None,
        future_covariates: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The inputs of the linear skips, (B, L [+ Ms*W*T]): the target history, then the covariate values.

        Only defined for one target component (``target_dim == 1``), where the skips together are one linear model
        per likelihood parameter, which :meth:`set_linear_skips` can install.
        """
        values = None
        if self.covariate_skip is not None:
            packed = self._pack(past_target, past_covariates, historic_future_covariates, future_covariates)
            available = packed.available.clone()
            available[:, 0] = True
            values = self._covariate_values(packed, available)  # (B, Ms*W*T)
        return self._linear_features(past_target, values)

    def _linear_features(self, past_target: torch.Tensor, covariate_values: torch.Tensor | None) -> torch.Tensor:
        """(B, L [+ Ms*W*T]): the target history the target skip reads, then the covariate skip's values."""
        parts = [] if covariate_values is None else [covariate_values]
        if self.target_skip is not None:
            parts.insert(0, torch.nan_to_num(past_target[:, :, 0], nan=0.0, posinf=0.0, neginf=0.0))  # (B, L)
        return torch.cat(parts, dim=1)

    def linear_skip_groups(self) -> list[tuple[int, slice]]:
        """The covariate modalities the covariate skip reads, each as (its slot index, its columns in
        :meth:`linear_skip_features`); empty without a covariate skip."""
        if self.covariate_skip is None:
            return []
        n_target = self.input_chunk_length if self.target_skip is not None else 0
        n_values = self.covariate_skip.in_features // len(self.skip_slots)  # W*T values per modality
        return [(int(slot), slice(n_target + i * n_values, n_target + (i + 1) * n_values))
                for i, slot in enumerate(self.skip_slots)]

    def linear_skip_slots(self) -> list[int]:
        """The slot indices of the covariate modalities whose values reach the forecast through the covariate skip:
        those with a non-zero weight (a least-squares start that left a modality out zeroed its weights)."""
        if self.covariate_skip is None:
            return []
        weight = self.covariate_skip.weight  # (O*C*N, Ms*W*T), one block of W*T columns per skipped modality
        read = weight.view(weight.shape[0], len(self.skip_slots), -1).ne(0).any(dim=2).any(dim=0)  # (Ms,)
        return [int(slot) for slot, kept in zip(self.skip_slots, read) if kept]

    @torch.no_grad()
    def set_linear_skips(self, weight: torch.Tensor, bias: torch.Tensor) -> None:
        """Install a linear model over :meth:`linear_skip_features` into the skips and freeze them, and zero the deep
        head's output layer: the network starts as that linear model and training fits the deep part to what it
        misses (SGD would only blur an exact least-squares solution).

        ``weight`` is (O, F) and ``bias`` (O,) for point forecasts; with N likelihood parameters per value, (O, N, F)
        and (O, N): one linear model per parameter (e.g. the same weights for every quantile, with the quantile's
        offset in its bias).
        """
        n_out = self.output_chunk_length
        weight = weight.reshape(n_out * self.nr_params, -1)  # (O, N, F) -> (O*N, F): the skips' row order
        bias = bias.reshape(n_out * self.nr_params)  # (O*N,)
        n_target = self.input_chunk_length if self.target_skip is not None else 0
        if self.target_skip is not None:
            self.target_skip.weight.copy_(weight[:, :n_target])  # (O*N, L)
            self.target_skip.bias.copy_(bias)
        if self.covariate_skip is not None:
            self.covariate_skip.weight.copy_(weight[:, n_target:])  # (O*N, K)
            self.covariate_skip.bias.zero_() if self.target_skip is not None else self.covariate_skip.bias.copy_(bias)
        for skip in (self.target_skip, self.covariate_skip):
            if skip is not None:
                skip.requires_grad_(False)
        if self.temporal_decoder is not None:
            self.temporal_decoder.zero_output()
        else:
            nn.init.zeros_(self.head[-1].weight)
            nn.init.zeros_(self.head[-1].bias)

    @torch.no_grad()
    def set_linear_fallbacks(self, weights: torch.Tensor, biases: torch.Tensor) -> None:
        """Install the linear fallbacks after :meth:`set_linear_skips`: one linear model over
        :meth:`linear_skip_features` per row of ``fallback_missing``, weights (P, O, F) and biases (P, O), or with N
        likelihood parameters (P, O, N, F) and (P, O, N); a missing stream's columns should be zero."""
        n_patterns, n_out = self.fallback_weight.shape[:2]
        weights = weights.reshape(n_patterns, n_out, -1)  # (P, O*N, F): the skips' row order
        biases = biases.reshape(n_patterns, n_out)  # (P, O*N)
        parts = [self.covariate_skip.weight]  # (O*N, Ms*W*T)
        bias = self.covariate_skip.bias  # (O*N,)
        if self.target_skip is not None:
            parts.insert(0, self.target_skip.weight)  # (O*N, L)
            bias = bias + self.target_skip.bias
        self.fallback_weight.copy_(weights - torch.cat(parts, dim=1))  # (P, O*N, F)
        self.fallback_bias.copy_(biases - bias)  # (P, O*N)

    def _decode(
        self, fused: torch.Tensor, past_target: torch.Tensor, static_covariates: torch.Tensor | None,
        step_features: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The head: fused state (B, D) to a forecast (B, O, C, N), plus the linear skip from the target history;
        with the temporal decoder, each step from its slice of the head's output and its ``step_features``."""
        batch = fused.shape[0]
        if self.static_projection is not None and static_covariates is not None:
            static = torch.nan_to_num(static_covariates.flatten(1))  # (B, C|1, S) -> (B, S')
            fused = fused + self.static_projection(static)  # (B, D)
        out = self.head(fused)  # (B, D) -> (B, O*C*N), or (B, O*E) with the temporal decoder
        if self.temporal_decoder is not None:
            decoded = out.view(batch, self.output_chunk_length, -1)  # (B, O, E)
            out = self.temporal_decoder(decoded, step_features)  # (B, O, C*N)
        out = out.view(batch, self.output_chunk_length, self.target_dim, self.nr_params)  # (B, O, C, N)

        if self.target_skip is not None:
            history = torch.nan_to_num(past_target, nan=0.0, posinf=0.0, neginf=0.0).transpose(1, 2)  # (B, C, L)
            skip = self.target_skip(history)  # (B, C, L) -> (B, C, O*N)
            skip = skip.view(batch, self.target_dim, self.output_chunk_length, self.nr_params)  # (B, C, O, N)
            out = out + skip.transpose(1, 2)  # (B, O, C, N)
        return out
