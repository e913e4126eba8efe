"""Fusion operators and the context path of Progressive Fusion.

- :class:`ConcatFusion`: an MLP over the concatenated modality embeddings ("late fusion" in its plainest form).
- :class:`GatedFusion`: one softmax weight per modality (readable, e.g. for modality importance), then an MLP.
- :class:`ContextProjection`: P, the small bounded projection c = tanh(W z) of the fused state.
- :class:`ContextInjection`: the per-modality projection of c fed back into each encoder's first layer.

Shapes: B batch, M modalities, H hidden size per modality, D fused size, K context size, T' encoder steps.
Missing modalities arrive as ``available`` (B, M) booleans; fusion never lets an absent modality's encoder output
in (the caller has already replaced it by a learned "missing" embedding, and gated fusion gives it zero weight).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from pf_forecast._checks import check_choice
from pf_forecast.nn.tcn import DropoutFactory, make_dropout

FUSION_OPERATORS = ("concat", "gated")
CONTEXT_INJECTIONS = ("add", "film")


class ConcatFusion(nn.Module):
    """z = MLP([e_1, ..., e_M]); returns no weights."""

    def __init__(
        self, n_modalities: int, hidden_size: int, fused_size: int, dropout: float,
        dropout_cls: DropoutFactory = nn.Dropout,
    ):
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(n_modalities * hidden_size, fused_size),
            nn.GELU(),
            make_dropout(dropout, dropout_cls),
            nn.Linear(fused_size, fused_size),
        )

    def forward(self, embeddings: torch.Tensor, available: torch.Tensor) -> tuple[torch.Tensor, None]:
        # embeddings: (B, M, H) -> (B, M*H) -> (B, D)
        return self.mlp(embeddings.flatten(1)), None


class GatedFusion(nn.Module):
    """z = MLP(sum_m a_m e_m) with a = softmax over the available modalities of a learned score per modality."""

    def __init__(
        self, n_modalities: int, hidden_size: int, fused_size: int, dropout: float,
        dropout_cls: DropoutFactory = nn.Dropout,
    ):
        super().__init__()
        self.score_weight = nn.Parameter(torch.randn(n_modalities, hidden_size) / hidden_size**0.5)  # (M, H)
        self.score_bias = nn.Parameter(torch.zeros(n_modalities))  # (M,)
        self.mlp = nn.Sequential(
            nn.Linear(hidden_size, fused_size),
            nn.GELU(),
            make_dropout(dropout, dropout_cls),
            nn.Linear(fused_size, fused_size),
        )

    def forward(self, embeddings: torch.Tensor, available: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # (B, M, H) . (M, H) -> (B, M) scores; absent modalities get -inf, i.e. weight 0
        scores = torch.einsum("bmh,mh->bm", embeddings, self.score_weight) + self.score_bias
        scores = scores.masked_fill(~available, float("-inf"))
        weights = torch.softmax(scores, dim=1)  # (B, M), rows sum to 1 (the target is always available)
        pooled = torch.einsum("bm,bmh->bh", weights, embeddings)  # (B, M) x (B, M, H) -> (B, H)
        return self.mlp(pooled), weights  # (B, D), (B, M)


def make_fusion(
    fusion: str, n_modalities: int, hidden_size: int, fused_size: int, dropout: float,
    dropout_cls: DropoutFactory = nn.Dropout,
) -> nn.Module:
    operator = {"concat": ConcatFusion, "gated": GatedFusion}[check_choice("fusion", fusion, FUSION_OPERATORS)]
    return operator(n_modalities, hidden_size, fused_size, dropout, dropout_cls)


class ContextProjection(nn.Module):
    """P: the fused state to a small bounded context, c = tanh(W z + b)."""

    def __init__(self, fused_size: int, context_size: int):
        super().__init__()
        self.linear = nn.Linear(fused_size, context_size)

    def forward(self, fused: torch.Tensor) -> torch.Tensor:
        # (B, D) -> (B, K)
        return torch.tanh(self.linear(fused))


class ContextInjection(nn.Module):
    """Per-modality projection of the context c into each encoder's first layer.

    ``"add"``: first_m + U_m c (a bias per modality, broadcast over time).
    ``"film"``: first_m * (1 + G_m c) + U_m c (feature-wise scale and shift).

    With ``zero_init`` the projections start at zero, so every refinement step starts as an exact copy of the first
    (the network starts as late fusion) and training grows the feedback only as far as it lowers the loss.
    """

    def __init__(
        self, n_modalities: int, context_size: int, hidden_size: int, mode: str = "add", zero_init: bool = True
    ):
        super().__init__()
        self.mode = check_choice("context_injection", mode, CONTEXT_INJECTIONS)
        n_out = 2 if mode == "film" else 1
        # one (K -> n_out*H) projection per modality, as a single (M, K, n_out*H) weight
        # drawn either way, so that every other layer's initial weights do not depend on zero_init
        init = torch.randn(n_modalities, context_size, n_out * hidden_size) / context_size**0.5  # (M, K, n_out*H)
        self.weight = nn.Parameter(torch.zeros_like(init) if zero_init else init)
        self.bias = nn.Parameter(torch.zeros(n_modalities, n_out * hidden_size))

    def forward(self, first: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """Apply the context to the first layer's output ``first`` (B, M*H, T'); returns the same shape."""
        batch, _, steps = first.shape
        n_mod = self.weight.shape[0]
        proj = torch.einsum("bk,mko->bmo", context, self.weight) + self.bias  # (B, K) -> (B, M, n_out*H)
        if self.mode == "add":
            return first + proj.reshape(batch, -1, 1)  # (B, M*H, T') + (B, M*H, 1)
        scale, shift = proj.chunk(2, dim=2)  # 2 x (B, M, H)
        first = first.view(batch, n_mod, -1, steps)  # (B, M*H, T') -> (B, M, H, T')
        out = first * (1 + scale.unsqueeze(-1)) + shift.unsqueeze(-1)  # (B, M, H, T')
        return out.view(batch, -1, steps)  # (B, M*H, T')


class TemporalReadout(nn.Module):
    """Summarise each modality's hidden sequence with learned weights over *all* time steps.

    The last causal state alone sees only the encoder's receptive field (the prototype missed daily and weekly
    patterns that way); P learned time weightings per modality let every step of the window reach fusion.
    """

    def __init__(self, n_modalities: int, hidden_size: int, n_steps: int, n_points: int):
        super().__init__()
        init = torch.randn(n_modalities, n_points, n_steps) / n_steps**0.5
        init[:, 0] = 0.0
        init[:, 0, -1] = 1.0  # the first point starts as the last causal state
        self.time_weight = nn.Parameter(init)  # (M, P, T')
        self.proj_weight = nn.Parameter(
            torch.randn(n_modalities, hidden_size * n_points, hidden_size) / (hidden_size * n_points) ** 0.5
        )  # (M, H*P, H)
        self.proj_bias = nn.Parameter(torch.zeros(n_modalities, hidden_size))  # (M, H)

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        # states: (B, M, H, T') x (M, P, T') -> (B, M, H, P)
        pooled = torch.einsum("bmht,mpt->bmhp", states, self.time_weight)
        pooled = pooled.flatten(2)  # (B, M, H*P)
        return F.gelu(torch.einsum("bmk,mkh->bmh", pooled, self.proj_weight) + self.proj_bias)  # (B, M, H)
