"""Packing the input windows into one tensor per modality, with availability channels and gap filling.

Shapes: B batch, L input length, O output length, C target components, P past-covariate components, F future-
covariate components, M modalities, W widest modality, T input time steps (L, or L + O when future covariates
exist), C' = C + P + F + 1 pool columns (the last one a constant-missing padding channel).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.nn as nn

from pf_forecast.nn.modality import SOURCES, Modality

#: How a stream's missing steps are filled inside a window where the stream has other values: ``"zero"`` (the
#: training mean, as the inputs are scaled; the availability channels mark the steps missing), ``"ffill"`` (the last
#: observed value) or ``"seasonal"`` (the value one season earlier, else the last observed one). A filled step counts
#: as observed: marked missing, the network read a late day-ahead feed as an absent one, and its error under late
#: data was several times higher on validation (BENCHMARKS.md, *Selecting the defaults*).
GAP_FILLS = ("zero", "ffill", "seasonal")


@dataclass
class PackedModalities:
    """All modalities on one channel count and time length, ready for the grouped encoder."""

    inputs: torch.Tensor  # (B, M*2W, T): per modality W value channels then W availability channels
    available: torch.Tensor  # (B, M) bool: the modality has at least one finite value in the window


def build_gather_index(slots: Sequence[Modality], dims: Mapping[str, int]) -> torch.Tensor:
    """Column indices into the channel pool ``[target | past | future | zero]`` (sources in :data:`SOURCES`
    order) for each modality, padded to W; ``dims``: the number of columns per source.

    Narrower modalities are padded with the pool's constant-zero channel, whose availability is 0.
    """
    sizes = [dims[source] for source in SOURCES]
    offsets = dict(zip(SOURCES, itertools.accumulate(sizes, initial=0)))
    zero_channel = sum(sizes)
    width = max(len(s.indices) for s in slots)
    rows = []
    for slot in slots:
        cols = [offsets[slot.source] + i for i in slot.indices]
        rows.append(cols + [zero_channel] * (width - len(cols)))
    return torch.tensor(rows, dtype=torch.long)  # (M, W)


def fill_gaps(values: torch.Tensor, observed: torch.Tensor, gaps: torch.Tensor, gap_fill: str, season: int
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """``values`` (B, T, C') with the steps of ``gaps`` (B, T, C') filled from the ``observed`` ones of the same
    column: one season earlier where that step is observed or itself filled (``"seasonal"``), else the last observed
    step (``"seasonal"``, ``"ffill"``); steps with nothing before them stay as they are. Also returns which steps
    now hold a value (observed or filled), (B, T, C')."""
    if gap_fill == "zero" or not bool(gaps.any()):
        return values, observed
    known = observed.clone()  # (B, T, C'): observed, or filled by now
    steps = values.shape[1]
    if gap_fill == "seasonal" and 1 < season < steps:
        for _ in range(steps // season):  # each pass reaches one season further back
            earlier = nn.functional.pad(known[:, :-season], (0, 0, season, 0), value=False)  # (B, T, C')
            take = gaps & ~known & earlier
            if not bool(take.any()):
                break
            shifted = nn.functional.pad(values[:, :-season], (0, 0, season, 0))  # (B, T, C'): t - season
            values = torch.where(take, shifted, values)
            known = known | take
    time = torch.arange(steps, device=values.device).view(1, steps, 1)  # (1, T, 1)
    last = torch.where(known, time, torch.full_like(time, -1)).cummax(dim=1).values  # (B, T, C'): last known step
    take = gaps & ~known & (last >= 0)
    return torch.where(take, torch.gather(values, 1, last.clamp_min(0)), values), known | take


def pack_modalities(
    gather_index: torch.Tensor,
    past_target: torch.Tensor,
    past_covariates: torch.Tensor | None,
    historic_future_covariates: torch.Tensor | None,
    future_covariates: torch.Tensor | None,
    gap_fill: str = "zero",
    season: int = 1,
    failed: torch.Tensor | None = None,
) -> PackedModalities:
    """Gather every modality's columns, with NaN/inf filled by ``gap_fill`` (see :data:`GAP_FILLS`; ``season``:
    steps per season) or, unfilled, 0 and signalled in the availability channels.

    Past inputs are right-padded with unavailable zeros over the output window when future covariates extend the
    encoder frame to L + O steps, so one grouped convolution serves all modalities; that padding is never filled.
    ``failed`` (B, M, T), optional: steps of each modality to treat as missing too (training's simulated faults).
    """
    batch, in_len, _ = past_target.shape
    has_future = historic_future_covariates is not None or future_covariates is not None
    out_len = future_covariates.shape[1] if future_covariates is not None else 0
    steps = in_len + out_len if has_future else in_len

    def frame(x: torch.Tensor | None, n_cols: int) -> torch.Tensor:
        if x is None:
            return past_target.new_full((batch, steps, n_cols), float("nan"))
        pad = steps - x.shape[1]
        return nn.functional.pad(x, (0, 0, 0, pad), value=float("nan"))  # (B, t, c) -> (B, T, c)

    n_future = 0
    future_frame = None
    if has_future:
        parts = [historic_future_covariates, future_covariates]
        n_future = next(p.shape[2] for p in parts if p is not None)
        parts = [p if p is not None else past_target.new_full((batch, n, n_future), float("nan"))
                 for p, n in zip(parts, (in_len, out_len))]
        future_frame = torch.cat(parts, dim=1)  # (B, L, F) + (B, O, F) -> (B, L+O, F)

    n_before_future = past_target.shape[2] + (past_covariates.shape[2] if past_covariates is not None else 0)
    pool = torch.cat(
        [
            frame(past_target, past_target.shape[2]),  # (B, T, C)
            frame(past_covariates, n_before_future - past_target.shape[2]),  # (B, T, P)
            future_frame if future_frame is not None else past_target.new_zeros((batch, steps, 0)),  # (B, T, F)
            past_target.new_full((batch, steps, 1), float("nan")),  # (B, T, 1) the padding channel
        ],
        dim=2,
    )  # (B, T, C')
    observed = torch.isfinite(pool)  # (B, T, C')
    if failed is not None:
        observed = observed & ~failed_columns(failed, gather_index, pool.shape[2])  # (B, T, C')
    values = torch.where(observed, pool, torch.zeros_like(pool))  # (B, T, C')
    # where a column has values at all: the input window for past inputs, the whole frame for future covariates
    in_span = torch.zeros(steps, pool.shape[2], dtype=torch.bool, device=pool.device)  # (T, C')
    in_span[:in_len, :n_before_future] = True
    in_span[:, n_before_future:n_before_future + n_future] = True
    values, held = fill_gaps(values, observed, ~observed & in_span, gap_fill, season)  # (B, T, C') twice
    values = values[:, :, gather_index].permute(0, 2, 3, 1)  # (B, T, M, W) -> (B, M, W, T)
    mask = held[:, :, gather_index].permute(0, 2, 3, 1)  # (B, M, W, T)
    available = mask.flatten(2).any(dim=2)  # (B, M)
    inputs = torch.cat([values, mask.to(values.dtype)], dim=2)  # (B, M, 2W, T)
    return PackedModalities(inputs=inputs.flatten(1, 2), available=available)  # (B, M*2W, T)


def failed_columns(failed: torch.Tensor, gather_index: torch.Tensor, n_columns: int) -> torch.Tensor:
    """(B, M, T) failed steps per modality to (B, T, C') per pool column (the padding channel never fails)."""
    owner = torch.full((n_columns,), -1, dtype=torch.long, device=failed.device)  # (C',): modality of each column
    modality = torch.arange(gather_index.shape[0], device=failed.device)[:, None].expand_as(gather_index)  # (M, W)
    owner[gather_index.flatten().to(failed.device)] = modality.flatten()
    owner[-1] = -1  # the padding channel, shared by every narrower modality
    columns = failed[:, owner.clamp_min(0)] & (owner >= 0)[None, :, None]  # (B, C', T)
    return columns.transpose(1, 2)  # (B, T, C')
