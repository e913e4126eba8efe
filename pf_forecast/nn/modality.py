"""A modality: one named stream of input columns, and the sources its columns come from.

The one representation of a modality in the package. :mod:`pf_forecast.modalities` resolves a user's
``modalities`` argument against darts' component names into these; the network reads each one's ``source`` and
``indices``. Pure Python (no torch, no darts), so both layers share it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from pf_forecast._checks import check_choice

#: Where a modality's columns come from: the target history, the past covariates or the future covariates.
Source = Literal["target", "past", "future"]
#: The valid sources, in the order the network pools their columns.
SOURCES: tuple[str, ...] = get_args(Source)
#: The sources a user's ``modalities`` argument may draw from.
COVARIATE_SOURCES: tuple[str, ...] = SOURCES[1:]


@dataclass(frozen=True)
class Modality:
    """One resolved modality.

    Parameters
    ----------
    name
        The modality's name (``"target"`` for the target history).
    source
        Where its components come from: ``"target"``, ``"past"`` (past covariates) or ``"future"`` (future
        covariates).
    components
        Component names, in the order the network reads them.
    indices
        Column indices of ``components`` inside the target, past-covariate or future-covariate series.
    """

    name: str
    source: Source
    components: tuple[str, ...]
    indices: tuple[int, ...]

    def __post_init__(self) -> None:
        check_choice("source", self.source, SOURCES)

    @property
    def n_components(self) -> int:
        return len(self.components)

    @classmethod
    def of_columns(cls, source: str, indices: Sequence[int]) -> Modality:
        """A modality known only by its columns (all the network reads), with placeholder names: components
        ``"<source>_<index>"``, named ``"target"`` or after its components."""
        components = tuple(f"{source}_{int(i)}" for i in indices)
        name = "target" if source == "target" else "+".join(components)
        return cls(name, source, components, tuple(int(i) for i in indices))


# Pickles (saved models hold their resolved modalities) and darts' allow-list of safe globals name a class by its
# module: the public home, as the package has always saved it, so files load across versions both ways.
Modality.__module__ = "pf_forecast.modalities"

#: The network's former name for a modality known by its columns: ``ModalitySlot(source, indices)``.
ModalitySlot = Modality.of_columns
