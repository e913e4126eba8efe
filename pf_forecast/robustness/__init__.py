"""Robustness toolkit: seeded corruptions, missing modalities and robustness curves for any darts model.

- :mod:`~pf_forecast.robustness.corruptions`: ``GaussianNoise``, ``RandomDrop``, ``StructuredDrop``,
  ``MissingModality``, ``MultiBench`` (pure: they return new series and never mutate their input), and the
  stream faults of :mod:`~pf_forecast.robustness.faults`, importable from both: ``Outage``, ``Latency``, ``Stuck``,
  ``Spikes`` (default grids in ``FAULT_LEVELS``).
- :func:`evaluate_robustness`: sweep a corruption over levels and modalities with
  ``historical_forecasts(retrain=False)`` and return a :class:`RobustnessReport` (validate, then
  :mod:`~pf_forecast.robustness.plan`, then :mod:`~pf_forecast.robustness.run`; window-relative faults in
  :mod:`~pf_forecast.robustness.windows`).
- :func:`modality_importance`: metric increase when each modality alone is removed.
- MultiBench's summaries: :func:`relative_robustness`, :func:`effective_robustness`,
  :func:`normalized_robustness`.

Examples
--------
>>> import numpy as np
>>> from darts.utils.timeseries_generation import linear_timeseries
>>> from pf_forecast.robustness import MultiBench
>>> ts = linear_timeseries(length=20)
>>> MultiBench(0.0).apply(ts, np.random.default_rng(0)) == ts
True
"""

from . import scoring  # fev-bench's probabilistic scores: pf_forecast.robustness.scoring
from .corruptions import (
    FAULT_LEVELS,
    FAULTS,
    MULTIBENCH_LEVELS,
    Compose,
    Corruption,
    GaussianNoise,
    Identity,
    Latency,
    MissingModality,
    MultiBench,
    Outage,
    RandomDrop,
    Spikes,
    StructuredDrop,
    Stuck,
    corruption_factory,
    fault_middle_level,
)
from .evaluate import evaluate_robustness, mean_fusion_weights, modality_importance
from .imputation import IMPUTE_POLICIES, impute_missing, season_length
from .metrics import effective_robustness, normalized_robustness, relative_robustness
from .report import RobustnessReport

__all__ = [
    "FAULTS",
    "FAULT_LEVELS",
    "IMPUTE_POLICIES",
    "MULTIBENCH_LEVELS",
    "Compose",
    "Corruption",
    "GaussianNoise",
    "Identity",
    "Latency",
    "MissingModality",
    "MultiBench",
    "Outage",
    "RandomDrop",
    "RobustnessReport",
    "Spikes",
    "StructuredDrop",
    "Stuck",
    "corruption_factory",
    "fault_middle_level",
    "effective_robustness",
    "evaluate_robustness",
    "impute_missing",
    "season_length",
    "mean_fusion_weights",
    "modality_importance",
    "normalized_robustness",
    "relative_robustness",
    "scoring",
]
