"""pf_forecast: Progressive Fusion forecasting for multimodal covariates, as a darts model, with robustness
evaluation under noisy or missing modalities."""

from darts.utils.serialization import add_safe_globals

from pf_forecast.modalities import Modality, resolve_modalities, stack_modalities
from pf_forecast.model import ProgressiveFusionForecaster, _ProgressiveFusionModule
from pf_forecast.training import RestoreBestWeights

__version__ = "0.1.0"

# darts loads pickled models through an allow-list; without this `ProgressiveFusionForecaster.load` is refused.
add_safe_globals([ProgressiveFusionForecaster, _ProgressiveFusionModule, Modality])

__all__ = ["Modality", "ProgressiveFusionForecaster", "RestoreBestWeights", "resolve_modalities", "stack_modalities",
           "__version__"]
