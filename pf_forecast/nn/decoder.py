"""The per-step (temporal) decoder: each horizon step decoded from its own slice of the fused state and its own
future-covariate values.

Without it the forecast is one linear map of the fused state, so a future covariate's value at step h (tomorrow's
load forecast at 14:00) reaches the forecast at step h only through the fused vector. The temporal decoder gives
every step a direct, non-linear path from its own covariate values (as TiDE's temporal decoder does), with the
weights shared over the steps.

Shapes: B batch, O output length, E decoder size per step, S step features (values and availability of the future
modalities at that step), H hidden size, V values per step (target components x likelihood parameters).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from pf_forecast.nn.tcn import DropoutFactory, make_dropout


class TemporalDecoder(nn.Module):
    """A residual MLP applied to every horizon step: [decoded state (E) | step features (S)] -> V values.

    out_h = W2 GELU(W1 x_h) + W_skip x_h, with x_h = [d_h, f_h]; the same weights for every step h.

    Parameters
    ----------
    decoder_size
        E, the per-step slice of the fused state.
    n_step_features
        S, the features of one step's future covariates (0: none, the decoder then reads the state alone).
    hidden_size
        H.
    n_values
        V.
    dropout
        Dropout on the hidden layer.
    dropout_cls
        Dropout class (darts' Monte-Carlo dropout in the adapter).
    """

    def __init__(self, decoder_size: int, n_step_features: int, hidden_size: int, n_values: int, dropout: float,
                 dropout_cls: DropoutFactory = nn.Dropout):
        super().__init__()
        n_in = decoder_size + n_step_features
        self.hidden = nn.Linear(n_in, hidden_size)
        self.dropout = make_dropout(dropout, dropout_cls)
        self.out = nn.Linear(hidden_size, n_values)
        self.skip = nn.Linear(n_in, n_values)

    def forward(self, decoded: torch.Tensor, step_features: torch.Tensor | None) -> torch.Tensor:
        # decoded (B, O, E), step_features (B, O, S) | None -> (B, O, V)
        x = decoded if step_features is None else torch.cat([decoded, step_features], dim=-1)  # (B, O, E+S)
        return self.out(self.dropout(nn.functional.gelu(self.hidden(x)))) + self.skip(x)

    @torch.no_grad()
    def zero_output(self) -> None:
        """Make the decoder output zero for every input (the deep path's start under ``fit_linear_skips``)."""
        for layer in (self.out, self.skip):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
