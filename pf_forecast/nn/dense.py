"""Dense (MLP) encoders, one per modality, over each modality's whole flattened window, run as batched matmuls.

The alternative to the causal TCN (:mod:`pf_forecast.nn.tcn`), with the same interface, selected by the model's
``encoder="dense"``. A TCN sees the window through patches and a limited receptive field and is summarised by a
readout; a dense encoder reads every step of its modality's window at once, as TiDE's encoder reads the whole
flattened window (there over every stream together; here one per modality, so a missing stream still only removes
its own embedding). It has a single encoder step (T' = 1): the context is injected into its stem's output exactly as
into the TCN's.

Shapes: B batch, M modalities, C channels per modality (values and masks), T time steps, H hidden size, E the
blocks' inner width (``expansion * H``).
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def _grouped_weight(n_groups: int, n_in: int, n_out: int) -> nn.Parameter:
    """(M, n_in, n_out) weights drawn as ``nn.Linear`` draws its own (uniform, bound 1 / sqrt(n_in))."""
    bound = 1 / math.sqrt(n_in)
    return nn.Parameter(torch.empty(n_groups, n_in, n_out).uniform_(-bound, bound))


class ModalityMLP(nn.Module):
    """Per-modality residual MLP encoders over the flattened window, with a context-injection point at the stem.

    The stem maps each modality's C x T input values to H; each of the ``num_layers - 1`` residual blocks adds
    ``W2 gelu(W1 h)`` (H -> E -> H). :meth:`first_layer` (the stem before its activation) is computed once per
    forward pass and the blocks are re-run per refinement step, as with :class:`~pf_forecast.nn.tcn.ModalityTCN`.

    Parameters
    ----------
    n_modalities
        M, the number of encoders.
    in_channels
        Input channels per modality (values and availability masks, padded to a common count).
    hidden_size
        H, the width of each modality's state.
    num_layers
        Layers (>= 1), the stem included.
    input_steps
        T, the time steps of every window the encoders read.
    expansion
        E / H, the inner width of the residual blocks relative to H.
    """

    def __init__(self, n_modalities: int, in_channels: int, hidden_size: int, num_layers: int, input_steps: int,
                 expansion: int = 4):
        super().__init__()
        self.n_modalities = n_modalities
        self.hidden_size = hidden_size
        self.input_steps = input_steps
        n_in, inner = in_channels * input_steps, expansion * hidden_size
        self.stem_weight = _grouped_weight(n_modalities, n_in, hidden_size)  # (M, C*T, H)
        self.stem_bias = nn.Parameter(torch.zeros(n_modalities, hidden_size))  # (M, H)
        self.expand_weights = nn.ParameterList(_grouped_weight(n_modalities, hidden_size, inner)
                                               for _ in range(num_layers - 1))  # (M, H, E) each
        self.expand_biases = nn.ParameterList(nn.Parameter(torch.zeros(n_modalities, inner))
                                              for _ in range(num_layers - 1))  # (M, E) each
        self.project_weights = nn.ParameterList(_grouped_weight(n_modalities, inner, hidden_size)
                                                for _ in range(num_layers - 1))  # (M, E, H) each
        self.project_biases = nn.ParameterList(nn.Parameter(torch.zeros(n_modalities, hidden_size))
                                               for _ in range(num_layers - 1))  # (M, H) each

    def n_steps(self, input_steps: int) -> int:
        """T' = 1: one state per modality."""
        return 1

    @property
    def receptive_field(self) -> int:
        """Input time steps that reach the state: all of them."""
        return self.input_steps

    def first_layer(self, x: torch.Tensor) -> torch.Tensor:
        """The stem before its activation; independent of the context, so computed once per forward pass."""
        batch = x.shape[0]
        flat = x.reshape(batch, self.n_modalities, -1)  # (B, M*C, T) -> (B, M, C*T)
        stem = torch.einsum("bmi,mih->bmh", flat, self.stem_weight) + self.stem_bias  # (B, M, H)
        return stem.reshape(batch, -1, 1)  # (B, M*H, 1)

    def forward(self, first: torch.Tensor) -> torch.Tensor:
        """Finish the encoders from the stem's output ``first`` (B, M*H, 1), context already applied; returns the
        (B, M*H, 1) states."""
        batch = first.shape[0]
        h = F.relu(first).view(batch, self.n_modalities, -1)  # (B, M, H)
        for w1, b1, w2, b2 in zip(self.expand_weights, self.expand_biases, self.project_weights,
                                  self.project_biases):
            inner = F.gelu(torch.einsum("bmh,mhe->bme", h, w1) + b1)  # (B, M, E)
            h = h + torch.einsum("bme,meh->bmh", inner, w2) + b2  # (B, M, H)
        return h.reshape(batch, -1, 1)  # (B, M*H, 1)

    def below(self, first: torch.Tensor, layer: int) -> torch.Tensor:
        """The context enters the stem's output (``layer`` 0 only): nothing is shared beyond :meth:`first_layer`."""
        return first

    def above(self, first: torch.Tensor, layer: int) -> torch.Tensor:
        """:meth:`forward` (``layer`` 0 only)."""
        return self(first)

    def forward_per_modality(self, x: torch.Tensor) -> torch.Tensor:
        """Reference implementation looping over modalities; numerically equal to the batched path."""
        batch = x.shape[0]
        flat = x.reshape(batch, self.n_modalities, -1)  # (B, M, C*T)
        outs = []
        for m in range(self.n_modalities):
            h = F.relu(flat[:, m] @ self.stem_weight[m] + self.stem_bias[m])  # (B, H)
            for w1, b1, w2, b2 in zip(self.expand_weights, self.expand_biases, self.project_weights,
                                      self.project_biases):
                h = h + F.gelu(h @ w1[m] + b1[m]) @ w2[m] + b2[m]  # (B, H)
            outs.append(h)
        return torch.stack(outs, dim=1).reshape(batch, -1, 1)  # (B, M*H, 1)
