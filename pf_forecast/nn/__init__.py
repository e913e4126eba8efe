"""Pure PyTorch building blocks of Progressive Fusion (no darts import): tensors in, tensors out."""

from pf_forecast.nn.dense import ModalityMLP
from pf_forecast.nn.fusion import (
    CONTEXT_INJECTIONS,
    FUSION_OPERATORS,
    ConcatFusion,
    ContextInjection,
    ContextProjection,
    GatedFusion,
    TemporalReadout,
)
from pf_forecast.nn.modality import SOURCES, Modality, ModalitySlot
from pf_forecast.nn.progressive import (
    ENCODERS,
    NETWORK_HYPER_PARAMETERS,
    ProgressiveFusionNetwork,
    pack_modalities,
)
from pf_forecast.nn.tcn import GroupedCausalConv, ModalityTCN

__all__ = [
    "CONTEXT_INJECTIONS",
    "ENCODERS",
    "FUSION_OPERATORS",
    "NETWORK_HYPER_PARAMETERS",
    "SOURCES",
    "ConcatFusion",
    "ContextInjection",
    "ContextProjection",
    "GatedFusion",
    "GroupedCausalConv",
    "Modality",
    "ModalityMLP",
    "ModalitySlot",
    "ModalityTCN",
    "ProgressiveFusionNetwork",
    "TemporalReadout",
    "pack_modalities",
]
