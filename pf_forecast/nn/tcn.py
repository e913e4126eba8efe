"""Causal dilated residual temporal-convolution encoders, one per modality, run as one grouped convolution.

Every modality is packed to the same channel count and time length (see
:func:`pf_forecast.nn.progressive.pack_modalities`), so the M encoders become one ``Conv1d(groups=M)`` per layer:
the cost of M modalities is one kernel call per layer instead of a Python loop.

Shapes: B batch, M modalities, C channels per modality (values and masks), H hidden size, T time steps,
T' = ceil(T / patch_size) encoder steps.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

DropoutFactory = type[nn.Module]


def make_dropout(p: float, dropout_cls: DropoutFactory = nn.Dropout) -> nn.Module:
    """A dropout layer of ``dropout_cls``, or the identity when ``p == 0``."""
    return dropout_cls(p) if p > 0 else nn.Identity()


class GroupedCausalConv(nn.Module):
    """M independent causal dilated (optionally strided) 1-d convolutions in one grouped ``Conv1d``.

    Left padding keeps the output at step t a function of inputs <= t. With ``stride == kernel_size`` the layer cuts
    the series into non-overlapping patches aligned on the *last* step, so the newest patch ends at the window's end.
    """

    def __init__(
        self, n_groups: int, in_per_group: int, out_per_group: int, kernel_size: int, dilation: int = 1,
        stride: int = 1,
    ):
        super().__init__()
        self.n_groups = n_groups
        self.stride = stride
        self.left_pad = dilation * (kernel_size - 1) if stride == 1 else 0
        self.conv = nn.Conv1d(
            n_groups * in_per_group, n_groups * out_per_group, kernel_size, dilation=dilation, stride=stride,
            groups=n_groups,
        )

    def _pad(self, x: torch.Tensor) -> torch.Tensor:
        # patches: pad on the left to a multiple of the stride, so the last patch ends at the last step
        pad = self.left_pad if self.stride == 1 else (-x.shape[-1]) % self.stride
        return F.pad(x, (pad, 0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, M*C_in, T) -> (B, M*C_in, pad + T) -> (B, M*C_out, T')
        return self.conv(self._pad(x))

    def forward_group(self, x: torch.Tensor, group: int) -> torch.Tensor:
        """The convolution of one modality alone, using that group's slice of the weights (reference path)."""
        out = self.conv.out_channels // self.n_groups
        weight = self.conv.weight[group * out : (group + 1) * out]  # (C_out, C_in, K)
        bias = self.conv.bias[group * out : (group + 1) * out]  # (C_out,)
        # x: (B, C_in, T) -> (B, C_out, T')
        return F.conv1d(self._pad(x), weight, bias, dilation=self.conv.dilation, stride=self.stride)


class ModalityTCN(nn.Module):
    """Per-modality causal TCN encoders with a context-injection point at the input of any layer.

    Layer 0 (the stem) embeds non-overlapping patches of ``patch_size`` steps of each modality's input channels into
    ``hidden_size`` channels; layers 1..L-1 are residual blocks with dilation 2**(i-1) over patches. Progressive
    Fusion feeds the fused context back into the input of one layer j (by default the stem's pre-activation output):
    :meth:`first_layer` and :meth:`below` are computed once per forward pass and only :meth:`above` (the layers from
    j on) is re-run per refinement step.

    Parameters
    ----------
    n_modalities
        M, the number of encoders.
    in_channels
        Input channels per modality (values and availability masks, padded to a common count).
    hidden_size
        Channels per modality after each layer.
    kernel_size
        Kernel size of the residual layers.
    num_layers
        Number of convolution layers (>= 1), the stem included.
    patch_size
        Time steps per patch in the stem (1: every step is its own patch). Patches cut the encoder's cost and widen
        its receptive field by the same factor.
    """

    def __init__(
        self,
        n_modalities: int,
        in_channels: int,
        hidden_size: int,
        kernel_size: int,
        num_layers: int,
        patch_size: int = 1,
    ):
        super().__init__()
        self.n_modalities = n_modalities
        self.hidden_size = hidden_size
        self.patch_size = patch_size
        self.input_layer = GroupedCausalConv(
            n_modalities, in_channels, hidden_size, kernel_size=patch_size, stride=patch_size
        )
        self.residual_layers = nn.ModuleList(
            GroupedCausalConv(n_modalities, hidden_size, hidden_size, kernel_size, dilation=2 ** (i - 1))
            for i in range(1, num_layers)
        )

    def n_steps(self, input_steps: int) -> int:
        """T', the number of encoder steps for T input steps."""
        return -(-input_steps // self.patch_size)

    @property
    def receptive_field(self) -> int:
        """Input time steps that reach the last encoder step."""
        patches = 1 + sum(layer.left_pad for layer in self.residual_layers)
        return patches * self.patch_size

    def first_layer(self, x: torch.Tensor) -> torch.Tensor:
        """The stem before its activation; independent of the context, so computed once per forward pass."""
        # x: (B, M*C_in, T) -> (B, M*H, T')
        return self.input_layer(x)

    def forward(self, first: torch.Tensor) -> torch.Tensor:
        """Finish the encoders from the stem's pre-activation output (context already applied).

        Parameters
        ----------
        first
            Output of :meth:`first_layer`, shape (B, M*H, T'), possibly modulated by the fused context.

        Returns
        -------
        torch.Tensor
            (B, M*H, T') hidden states.
        """
        return self.above(first, 0)

    def below(self, first: torch.Tensor, layer: int) -> torch.Tensor:
        """The input of layer ``layer`` (where the context enters) from :meth:`first_layer`'s output: ``first``
        itself for 0 (the stem's pre-activation), else the output of residual layer ``layer - 1``."""
        if layer == 0:
            return first
        return self._residual(F.relu(first), self.residual_layers[:layer - 1])

    def above(self, h: torch.Tensor, layer: int) -> torch.Tensor:
        """The hidden states (B, M*H, T') from the input ``h`` of layer ``layer`` (see :meth:`below`)."""
        if layer == 0:
            h = F.relu(h)  # the stem's activation
        return self._residual(h, self.residual_layers[max(layer, 1) - 1:])

    @staticmethod
    def _residual(h: torch.Tensor, blocks) -> torch.Tensor:
        for block in blocks:
            h = h + F.relu(block(h))  # (B, M*H, T') -> (B, M*H, T')
        return h

    def forward_per_modality(self, x: torch.Tensor) -> torch.Tensor:
        """Reference implementation looping over modalities; numerically equal to the grouped path.

        Used by the tests to prove the grouped convolution runs M independent encoders.
        """
        batch, _, steps = x.shape
        xs = x.view(batch, self.n_modalities, -1, steps)  # (B, M*C_in, T) -> (B, M, C_in, T)
        outs = []
        for m in range(self.n_modalities):
            h = F.relu(self.input_layer.forward_group(xs[:, m], m))  # (B, C_in, T) -> (B, H, T')
            for layer in self.residual_layers:
                h = h + F.relu(layer.forward_group(h, m))
            outs.append(h)
        return torch.cat(outs, dim=1)  # M x (B, H, T') -> (B, M*H, T')
