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

#: How a stream's missing steps are filled inside a window where the stream has other values: ``"auto"`` (per step,
#: the most accurate on the window's observed values of the last observed value, the value one season earlier and
#: the window's mean), ``"seasonal"`` (the value one season earlier, else the last observed one), ``"ffill"`` (the
#: last observed value) or ``"zero"`` (0, with the steps marked missing in the availability channels). A filled step
#: counts as observed: marked missing, the network read a late day-ahead feed as an absent one, and its error under
#: late data was several times higher on validation (BENCHMARKS.md, *Selecting the defaults*).
GAP_FILLS = ("zero", "ffill", "seasonal", "auto")


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


def last_known_step(known: torch.Tensor) -> torch.Tensor:
    """(B, T, C'): per step, the index of the latest step at or before it where ``known`` (B, T, C') holds; -1 where
    none does."""
    time = torch.arange(known.shape[1], device=known.device).view(1, -1, 1).expand_as(known)  # (B, T, C')
    return torch.where(known, time, torch.full_like(time, -1)).cummax(dim=1).values


def steps_earlier(x: torch.Tensor, lag: int, value: float | bool = 0) -> torch.Tensor:
    """``x`` (B, T, C) read ``lag`` steps earlier: index t holds x[:, t - lag], and ``value`` where t < lag."""
    return nn.functional.pad(x[:, :-lag], (0, 0, lag, 0), value=value)  # (B, T, C)


def fill_gaps(values: torch.Tensor, observed: torch.Tensor, gaps: torch.Tensor, gap_fill: str, season: int
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """``values`` (B, T, C') with the steps of ``gaps`` (B, T, C') filled from the ``observed`` ones of the same
    column: one season earlier where that step is observed or itself filled (``"seasonal"``), else the last observed
    step (``"seasonal"``, ``"ffill"``); ``"auto"``: see :func:`fill_by_lowest_error`. Steps with nothing before them
    stay as they are. Also returns which steps now hold a value (observed or filled), (B, T, C')."""
    if gap_fill == "zero" or not bool(gaps.any()):
        return values, observed
    if gap_fill == "auto":
        return fill_by_lowest_error(values, observed, gaps, season)
    known = observed.clone()  # (B, T, C'): observed, or filled by now
    steps = values.shape[1]
    if gap_fill == "seasonal" and 1 < season < steps:
        for _ in range(steps // season):  # each pass reaches one season further back
            earlier = steps_earlier(known, season, value=False)  # (B, T, C')
            take = gaps & ~known & earlier
            if not bool(take.any()):
                break
            values = torch.where(take, steps_earlier(values, season), values)
            known = known | take
    last = last_known_step(known)  # (B, T, C')
    take = gaps & ~known & (last >= 0)
    return torch.where(take, torch.gather(values, 1, last.clamp_min(0)), values), known | take


def lagged_square_differences(values: torch.Tensor, observed: torch.Tensor) -> torch.Tensor:
    """(B, T, C'): at index k >= 1, D(k), the mean of (x_t - x_{t-k})^2 over the pairs of observed steps k apart in
    each column of ``values`` (B, T, C'); inf where no pair is observed, and at k = 0.

    The sums over t for every lag at once are cross-correlations, computed by FFT, in float64 where the device has
    it (a loop over the lags made a training step on windows with gaps about 1.8x slower than on complete ones; by
    FFT about 1.2x): with w the observed mask and x the values (centred by the caller: less rounding),
    sum w_t w_{t-k} (x_t - x_{t-k})^2 = corr(w x^2, w)_k + corr(w, w x^2)_k - 2 corr(w x, w x)_k.
    """
    steps = values.shape[1]
    precise = torch.float32 if values.device.type == "mps" else torch.float64  # MPS has no float64
    weight = observed.to(precise).transpose(1, 2)  # (B, C', T)
    x = values.to(precise).transpose(1, 2) * weight  # (B, C', T): zero where unobserved
    size = 2 * steps  # zero-padded: the circular correlation of length 2T holds every lag 0..T-1 unwrapped

    def correlation(spectrum: torch.Tensor) -> torch.Tensor:
        """sum_t a_t b_{t-k} for k = 0..T-1, from the cross-spectrum A conj(B)."""
        return torch.fft.irfft(spectrum, n=size)[..., :steps]  # (B, C', T + 1) -> (B, C', T)

    w, xx, sq = (torch.fft.rfft(a, n=size) for a in (weight, x, x * x))  # (B, C', T + 1) each
    pairs = correlation(w * w.conj()).round()  # (B, C', K): observed pairs k apart (integers)
    # corr(w x^2, w) + corr(w, w x^2) has the spectrum 2 Re(S conj(W)); corr(w x, w x) has |X|^2
    squares = correlation(2 * (sq * w.conj()).real - 2 * (xx * xx.conj()).real).clamp_min(0)  # (B, C', K)
    structure = torch.where(pairs > 0, squares / pairs.clamp_min(1), float("inf"))  # (B, C', K)
    structure[..., 0] = float("inf")
    return structure.transpose(1, 2).to(values.dtype)  # (B, K, C')


def fill_by_lowest_error(values: torch.Tensor, observed: torch.Tensor, gaps: torch.Tensor, season: int
                         ) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`fill_gaps` with ``"auto"``: each gap step takes the candidate of lowest expected squared error, measured
    on the column's observed steps of the same window: the last observed value d steps back (error D(d), the mean
    of (x_t - x_{t-d})^2 over observed pairs), the nearest observed value a whole number of seasons back (D(lag)),
    or the window's mean (its variance). A stream that barely repeats itself (wind) is read as its mean, a daily
    profile (load) as the day before, a slow signal as its last value."""
    steps = values.shape[1]
    weight = observed.to(values.dtype)  # (B, T, C')
    count = weight.sum(dim=1, keepdim=True)  # (B, 1, C')
    mean = (values * weight).sum(dim=1, keepdim=True) / count.clamp_min(1)  # (B, 1, C')
    variance = ((values - mean) ** 2 * weight).sum(dim=1, keepdim=True) / count.clamp_min(1)  # (B, 1, C')
    inf = torch.full_like(variance, float("inf"))
    structure = lagged_square_differences(values - mean, observed)  # (B, K=T, C'): D(k) at index k >= 1

    time = torch.arange(steps, device=values.device).view(1, steps, 1).expand_as(values)  # (B, T, C')
    last = last_known_step(observed)  # (B, T, C')
    has_last = last >= 0
    last_value = torch.gather(values, 1, last.clamp_min(0))  # (B, T, C')
    last_error = torch.where(has_last, torch.gather(structure, 1, (time - last).clamp(0, steps - 1)), float("inf"))
    seasonal_value, seasonal_error = torch.zeros_like(values), torch.full_like(values, float("inf"))
    if 1 < season < steps:
        for k in range((steps - 1) // season, 0, -1):  # the nearest observed season wins: written last
            lag = k * season
            earlier = steps_earlier(observed, lag, value=False)  # (B, T, C'): t - lag seen
            seasonal_value = torch.where(earlier, steps_earlier(values, lag), seasonal_value)
            seasonal_error = torch.where(earlier, structure[:, lag:lag + 1].expand_as(values), seasonal_error)
    mean_error = torch.where(count >= 2, variance, inf).expand_as(values)  # (B, T, C')
    # the lowest error, the first of equal ones (as argmin, which is several times slower over a leading dim of 3)
    last_best = (last_error <= seasonal_error) & (last_error <= mean_error)  # (B, T, C')
    guess = torch.where(last_best, last_value,
                        torch.where(seasonal_error <= mean_error, seasonal_value, mean.expand_as(values)))
    lowest = torch.minimum(torch.minimum(last_error, seasonal_error), mean_error)  # (B, T, C')
    measured = torch.isfinite(lowest)  # (B, T, C'): some guess has a measured error
    filled = torch.where(gaps & measured, guess, values)
    # too few observed values to measure any guess (a single one): its last value, as "ffill" does
    unmeasured = gaps & ~measured & has_last
    filled = torch.where(unmeasured, last_value, filled)
    return filled, observed | (gaps & measured) | unmeasured


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
