"""Pure PyTorch building blocks of Progressive Fusion (no darts import): tensors in, tensors out."""

from pf_forecast.nn.fusion import (
    CONTEXT_INJECTIONS,
    FUSION_OPERATORS,
    ConcatFusion,
    ContextInjection,
    ContextProjection,
    GatedFusion,
    TemporalReadout,
)
from pf_forecast.nn.progressive import ModalitySlot, ProgressiveFusionNetwork, pack_modalities
from pf_forecast.nn.tcn import GroupedCausalConv, ModalityTCN

__all__ = [
    "CONTEXT_INJECTIONS",
    "FUSION_OPERATORS",
    "ConcatFusion",
    "ContextInjection",
    "ContextProjection",
    "GatedFusion",
    "GroupedCausalConv",
    "ModalitySlot",
    "ModalityTCN",
    "ProgressiveFusionNetwork",
    "TemporalReadout",
    "pack_modalities",
]
