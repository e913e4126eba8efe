"""Input validation, one place for the package (the model and the network use it; the data loaders, the
robustness toolkit and the bench are meant to).

One checker per kind of value, each raising early with an error that names the argument, the value seen and what
is accepted (and, where it helps, the fix):

- :func:`check_int`, :func:`check_float`, :func:`check_choice`: scalar arguments (hyper-parameters, options);
- ``check_series_argument`` ... ``check_likelihood_support``: the darts series handed to ``fit`` / ``predict``;
- :func:`check_training_data`, :func:`check_inference_data`: what darts' training and inference datasets will read.

This module imports nothing from :mod:`pf_forecast` and no darts at import time, so that :mod:`pf_forecast.nn`
(pure PyTorch) can use the scalar checkers; the two checks that need darts' ``TimeSeries`` class import it when
they run.
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np

#: Finite values beyond this magnitude overflow float32 activations; such inputs are almost surely unscaled or
#: corrupt, so they are refused with a clear error rather than turned into NaN forecasts.
MAX_ABS_INPUT = 1e15


# ---------------------------------------------------------------------- scalars
def check_int(name: str, value: Any, low: int | None = None, high: int | None = None, *, about: str = "",
              detail: str = "") -> int:
    """``value`` as an ``int``, if it is an integer (not a bool) in ``[low, high]``; else ``ValueError``.

    The error reads "`name` (about) must be an integer >= low, got value" followed by ``detail``, which carries its
    own separator (e.g. ``"; e.g. `predict(n=6)`"``). A value of another type is a ``ValueError`` too, so one
    ``except`` clause catches every bad value.
    """
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if ok and (low is None or value >= low) and (high is None or value <= high):
        return int(value)
    accepted = " ".join(filter(None, ("an integer", _range(low, high, False, False))))
    raise ValueError(f"{_named(name, about)} must be {accepted}, got {value!r}{detail}.")


def check_float(name: str, value: Any, low: float | None = None, high: float | None = None, low_open: bool = False,
                high_open: bool = False, *, about: str = "", detail: str = "") -> float:
    """``value`` as a ``float``, if it is a real number (not a bool, not NaN) within the bounds; else ``ValueError``.

    ``low_open`` / ``high_open`` exclude the bound itself. With both bounds the error reads "`name` (about) must be
    in [low, high), got value" (then ``detail``); with one, "`name` must be a number >= low, got value".
    """
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        number = float(value)
        above = low is None or (number > low if low_open else number >= low)
        below = high is None or (number < high if high_open else number <= high)
        if above and below:  # False for NaN
            return number
    accepted = _range(low, high, low_open, high_open)
    if not accepted.startswith("in "):  # "in [0, 1)", but "a number >= 0"
        accepted = " ".join(filter(None, ("a number", accepted)))
    raise ValueError(f"{_named(name, about)} must be {accepted}, got {value!r}{detail}.")


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    """``value`` if it is one of ``choices``, else ``ValueError`` listing them."""
    if isinstance(value, Hashable) and value in choices:
        return value
    raise ValueError(f"`{name}` must be one of {tuple(choices)}, got {value!r}.")


def check_model_hyper_parameters(params: Mapping[str, Any]) -> None:
    """The window lengths every darts torch model takes (``params``: the model's arguments)."""
    for name in ("input_chunk_length", "output_chunk_length"):
        check_int(name, params[name], low=1)
    check_int("output_chunk_shift", params["output_chunk_shift"], low=0)


def _named(name: str, about: str) -> str:
    return f"`{name}` ({about})" if about else f"`{name}`"


def _range(low, high, low_open: bool, high_open: bool) -> str:
    """The accepted range in words: "in [low, high)", ">= low", "<= high" or "" (no bounds)."""
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high:g}"
    return ""


def count_outside(values: np.ndarray, low: float, high: float, low_open: bool, high_open: bool,
                  integer: bool = False, choices: tuple[float, ...] | None = None) -> np.ndarray:
    """Mask of the finite values outside the support (NaN/inf are left to the finiteness check)."""
    finite = np.isfinite(values)
    if choices is not None:
        return finite & ~np.isin(values, choices)
    bad = (values <= low) if low_open else (values < low)
    bad |= (values >= high) if high_open else (values > high)
    if integer:
        bad |= values != np.round(values)
    return finite & bad


# ---------------------------------------------------------------------- series arguments
def as_list(value) -> list:
    return [] if value is None else list(value) if isinstance(value, list | tuple) else [value]


def check_series_argument(value, name: str, optional: bool = False) -> None:
    """``value`` is a darts ``TimeSeries`` or a non-empty list of them, of a floating-point dtype."""
    from darts import TimeSeries  # imported here: see the module docstring

    if value is None and optional:
        return
    items = value if isinstance(value, list | tuple) else [value]
    if not items:  # still a TypeError, as before, but with a message of its own
        raise TypeError(
            f"`{name}` is an empty {type(value).__name__}; pass a TimeSeries or a non-empty list of them (one per "
            f"target series){'' if not optional else f', or leave `{name}` out'}."
        )
    bad = [type(v).__name__ for v in items if not isinstance(v, TimeSeries)]
    if bad:
        raise TypeError(
            f"`{name}` must be a darts TimeSeries or a list of them, got {type(value).__name__}"
            f"{' containing ' + ', '.join(sorted(set(bad))) if bad and isinstance(value, list | tuple) else ''}. "
            "Convert a DataFrame with `TimeSeries.from_dataframe(df, time_col=..., value_cols=[...])`."
        )
    for i, ts in enumerate(items):
        if not np.issubdtype(ts.dtype, np.floating):
            raise TypeError(
                f"`{name}`[{i}] has dtype {ts.dtype}; the model needs floating-point values. Cast it with "
                "`ts.astype(np.float32)`."
            )


def component_names(covariates: Sequence | None, argument: str) -> list[str] | None:
    """The covariates' component names, the same in every series; ``None`` without covariates."""
    if not covariates:
        return None
    names = list(covariates[0].components)
    for i, ts in enumerate(covariates[1:], start=1):
        if list(ts.components) != names:
            raise ValueError(
                f"`{argument}`[{i}] has components {list(ts.components)} but `{argument}`[0] has {names}; all series "
                "must carry the same covariate components in the same order."
            )
    return names


def check_time_axes(series, covariates, argument: str, series_argument: str) -> None:
    """Covariates must share the target's kind of time index and frequency; darts' own message names neither fix."""
    for i, (ts, cov) in enumerate(zip(as_list(series), as_list(covariates))):
        if type(ts.time_index) is not type(cov.time_index):
            raise ValueError(
                f"`{argument}`[{i}] has a {type(cov.time_index).__name__} time index but `{series_argument}`[{i}] "
                f"has a {type(ts.time_index).__name__}; both need the same kind of time axis. Build the covariates "
                "on the target's axis, e.g. `TimeSeries.from_times_and_values(times, values)` with the target's "
                "timestamps, or integer-index both with `TimeSeries.from_values`."
            )
        if ts.freq != cov.freq:
            raise ValueError(
                f"`{argument}`[{i}] has frequency {cov.freq_str!r} but `{series_argument}`[{i}] has "
                f"{ts.freq_str!r}; covariates must be sampled on the target's time grid. Resample them first, e.g. "
                f"`covariates.resample(freq={ts.freq_str!r})`."
            )


def check_fit_arguments(likelihood, series, past_covariates, future_covariates, val: Mapping[str, Any]) -> None:
    """``fit``'s series arguments, before darts builds anything. ``val``: ``fit``'s keyword arguments, of which the
    ``val_series``, ``val_past_covariates`` and ``val_future_covariates`` are checked too."""
    check_series_argument(series, "series")
    check_series_argument(past_covariates, "past_covariates", optional=True)
    check_series_argument(future_covariates, "future_covariates", optional=True)
    for name in ("val_series", "val_past_covariates", "val_future_covariates"):
        check_series_argument(val.get(name), name, optional=True)
    for prefix, target, past, future in (
        ("", series, past_covariates, future_covariates),
        ("val_", val.get("val_series"), val.get("val_past_covariates"), val.get("val_future_covariates")),
    ):
        check_time_axes(target, past, f"{prefix}past_covariates", f"{prefix}series")
        check_time_axes(target, future, f"{prefix}future_covariates", f"{prefix}series")
        check_likelihood_support(likelihood, target, f"{prefix}series")


def check_predict_arguments(n, series, past_covariates, future_covariates, output_chunk_length: int,
                            fitted_with: Mapping[str, bool], training_series) -> None:
    """``predict``'s arguments. ``fitted_with``: for ``"past_covariates"`` and ``"future_covariates"``, whether the
    model was fitted with them; ``training_series``: the axis to check covariates against without ``series``."""
    check_int("n", n, low=1, about="the number of time steps to forecast",
              detail=f"; e.g. `predict(n={output_chunk_length})` for one output chunk")
    check_series_argument(series, "series", optional=True)
    check_series_argument(past_covariates, "past_covariates", optional=True)
    check_series_argument(future_covariates, "future_covariates", optional=True)
    for argument, given in (("past_covariates", past_covariates), ("future_covariates", future_covariates)):
        if given is not None and not fitted_with[argument]:
            raise ValueError(
                f"`{argument}` were passed to predict, but the model was fitted without {argument}; pass the "
                f"covariates it was fitted with (as in `fit`), or refit it with `{argument}=`."
            )
    reference = series if series is not None else training_series
    check_time_axes(reference, past_covariates, "past_covariates", "series")
    check_time_axes(reference, future_covariates, "future_covariates", "series")


# ---------------------------------------------------------------------- values
def check_finite_target(ts, label: str, where: str) -> None:
    """``ts`` is the part of the target that ``where`` (fit, predict, historical_forecasts) reads."""
    values = ts.values(copy=False)
    finite = np.isfinite(values)
    if not finite.all():
        bad = int((~finite).sum())
        first = ts.time_index[np.argwhere(~finite)[0][0]]
        raise ValueError(
            f"`{label}` (the target) has {bad} NaN or infinite values in the part {where} reads ({ts.start_time()} "
            f".. {ts.end_time()}; the first at {first}). The target must be finite: fill gaps with "
            "`darts.utils.missing_values.fill_missing_values(series)` or split the series at gaps with "
            "`extract_subseries(series)`. (NaN *covariates* are fine: they are treated as missing.)"
        )
    if np.abs(values).max(initial=0.0) > MAX_ABS_INPUT:
        raise ValueError(
            f"`{label}` (the target) has values of magnitude up to {np.abs(values).max():.3g}, beyond {MAX_ABS_INPUT:g}; "
            "scale it first, e.g. with darts.dataprocessing.transformers.Scaler."
        )


def check_covariate_values(covariates: Sequence | None, argument: str, spans: Sequence[tuple] | None = None,
                           where: str = "predict") -> None:
    """Refuse finite values too large for the network. ``spans``: per series, the first and last time step that
    ``where`` reads (values outside are never read, so they may be anything); ``None`` checks all values."""
    for i, ts in enumerate(covariates or []):
        values, times = ts.values(copy=False), ts.time_index
        if spans is not None:
            inside = (times >= spans[i][0]) & (times <= spans[i][1])
            values, times = values[inside], times[inside]
        huge = count_outside(values, -MAX_ABS_INPUT, MAX_ABS_INPUT, low_open=False, high_open=False)
        if huge.any():
            part = f", in the part {where} reads: {times[0]} .. {times[-1]}" if spans is not None else ""
            raise ValueError(
                f"`{argument}`[{i}] has finite values of magnitude up to {np.abs(values[huge]).max():.3g}, beyond "
                f"{MAX_ABS_INPUT:g} (the first at {times[np.argwhere(huge)[0][0]]}{part}); such values overflow the "
                "network. Scale the covariates (e.g. darts' Scaler) or set corrupt values to NaN, which the model "
                "treats as missing."
            )


def check_static_covariates(ts, label: str) -> None:
    """Numeric static covariates enter the network as they are: one NaN, inf or huge value makes every weight (and
    forecast) NaN, so they are checked like the target."""
    static = ts.static_covariates
    if static is None:
        return
    numeric = static.select_dtypes(include=np.number)  # darts refuses the other columns itself
    values = numeric.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | count_outside(values, -MAX_ABS_INPUT, MAX_ABS_INPUT, low_open=False,
                                               high_open=False)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(
            f"`{label}.static_covariates` column {numeric.columns[col]!r} has the value {values[row, col]:g} (row "
            f"{numeric.index[row]!r}); static covariates must be finite and of magnitude at most {MAX_ABS_INPUT:g}. "
            "Replace it, e.g. `series.with_static_covariates(df)` with the missing value filled and the columns "
            "scaled (darts' StaticCovariatesTransformer scales them), or construct the model with "
            "use_static_covariates=False to ignore static covariates."
        )


def check_sample_weight(sample_weight, series: Sequence, argument: str) -> None:
    """A NaN or infinite weight makes the loss, then every network weight, NaN; a negative one maximises that
    sample's loss. darts' built-in weightings (``"linear"``, ``"exponential"``) are strings and always valid."""
    from darts import TimeSeries  # imported here: see the module docstring

    if sample_weight is None or isinstance(sample_weight, str):
        return
    for i, (ts, weights) in enumerate(zip(series, sample_weight)):
        if not isinstance(weights, TimeSeries):
            continue  # darts reports the type
        values, times = weights.all_values(copy=False), weights.time_index
        if type(times) is type(ts.time_index):
            # only the weights at the target's steps are read
            inside = (times >= ts.start_time()) & (times <= ts.end_time())
            values, times = values[inside], times[inside]
        negative = count_outside(values, 0.0, np.inf, low_open=False, high_open=True)
        for bad, what, fix in (
            (~np.isfinite(values), "NaN or infinite",
             "Give those steps a finite weight (0 leaves a step out of the loss), e.g. "
             "`darts.utils.missing_values.fill_missing_values(sample_weight, fill=0.0)` for NaN gaps."),
            (negative, "negative",
             "Weights scale each sample's loss and must be >= 0: clip them, e.g. "
             "`sample_weight.map(lambda w: np.clip(w, 0, None))`, or use darts' built-in "
             "`sample_weight='linear'` / `'exponential'`."),
        ):
            if bad.any():
                raise ValueError(
                    f"`{argument}`[{i}] has {int(bad.sum())} {what} values (the first at {times[np.argwhere(bad)[0][0]]}: "
                    f"{values[bad][0]:g}); the weights must be finite and non-negative. {fix}"
                )


def check_training_coverage(series, covariates, argument: str, icl: int, ocl: int, shift: int, stride: int,
                            max_samples_per_ts: int | None, future: bool, series_argument: str = "series",
                            purpose: str = "training") -> None:
    """Covariates must span every training window darts will draw (the most recent ones first); otherwise darts
    fails with a bare index range, or, for covariates that start late, with a shape error in the middle of training.
    ``future``: future covariates, read over the output window too. ``series_argument`` / ``purpose``:
    ``"val_series"`` / ``"validation"`` for the validation set."""
    size = icl + shift + ocl
    for i, (ts, cov) in enumerate(zip(as_list(series), as_list(covariates))):
        n_windows = -(-(len(ts) - size + 1) // stride)  # ceil
        used = n_windows if max_samples_per_ts is None else min(n_windows, max_samples_per_ts)
        first = len(ts) - (used - 1) * stride - size  # first step of the earliest window used
        last = len(ts) - 1 if future else len(ts) - ocl - shift - 1
        if used < 1 or first < 0:
            continue  # too short: reported by the length check
        start, end = ts.time_index[first], ts.time_index[last]
        if cov.start_time() > start or cov.end_time() < end:
            raise ValueError(
                f"`{argument}`[{i}] cover {cov.start_time()} .. {cov.end_time()}, but {purpose} on "
                f"`{series_argument}`[{i}] needs them from {start} to {end} ({used} {purpose} windows of "
                f"input_chunk_length={icl}{' + the output window' if future else ''}). Pass covariates that cover "
                f"that span, or {'train' if purpose == 'training' else 'validate'} on the part of the target they "
                f"cover, e.g. `{series_argument}.slice_intersect({argument})`, or use fewer, more recent windows with "
                "`fit(..., max_samples_per_ts=...)`."
            )


_NON_NEGATIVE_FIX = (
    "Shift the target to be non-negative (a standardised target has negative values: use "
    "Scaler(MinMaxScaler()) or no scaling), or use a likelihood on all reals, e.g. GaussianLikelihood() or "
    "QuantileRegression()."
)
_POSITIVE_FIX = (
    "Make the target strictly positive (e.g. add an offset: `series + c`; a MinMaxScaler maps the minimum to 0), or "
    "use a likelihood on all reals, e.g. GaussianLikelihood() or QuantileRegression()."
)
_NON_NEGATIVE = {"low": 0, "high": np.inf, "low_open": False, "high_open": True}
_POSITIVE = {"low": 0, "high": np.inf, "low_open": True, "high_open": True}
_UNIT = {"low": 0, "high": 1, "low_open": False, "high_open": False}
#: likelihood class -> (the support in words, count_outside arguments, the fix)
_LIKELIHOOD_SUPPORT: dict[str, tuple[str, dict, str]] = {
    "PoissonLikelihood": ("non-negative values (counts)", _NON_NEGATIVE, _NON_NEGATIVE_FIX),
    "NegativeBinomialLikelihood": ("non-negative integers (counts)", {**_NON_NEGATIVE, "integer": True},
                                   "Round the counts, or use PoissonLikelihood() (which accepts non-integer "
                                   "non-negative values) or GaussianLikelihood()."),
    "GeometricLikelihood": ("non-negative integers (counts)", {**_NON_NEGATIVE, "integer": True},
                            "Round the counts, or use PoissonLikelihood() or GaussianLikelihood()."),
    "ExponentialLikelihood": ("non-negative values", _NON_NEGATIVE, _NON_NEGATIVE_FIX),
    "HalfNormalLikelihood": ("non-negative values", _NON_NEGATIVE, _NON_NEGATIVE_FIX),
    "GammaLikelihood": ("strictly positive values", _POSITIVE, _POSITIVE_FIX),
    "LogNormalLikelihood": ("strictly positive values", _POSITIVE, _POSITIVE_FIX),
    "WeibullLikelihood": ("strictly positive values", _POSITIVE, _POSITIVE_FIX),
    "BetaLikelihood": ("values strictly between 0 and 1", {**_UNIT, "low_open": True, "high_open": True},
                       "Rescale the target into (0, 1), e.g. Scaler(MinMaxScaler(feature_range=(0.01, 0.99)))."),
    "ContinuousBernoulliLikelihood": ("values in [0, 1]", _UNIT,
                                      "Rescale the target into [0, 1], e.g. Scaler(MinMaxScaler())."),
    "DirichletLikelihood": ("values in [0, 1] (components summing to 1)", _UNIT,
                            "Normalise each time step's components to proportions that sum to 1."),
    "BernoulliLikelihood": ("only the values 0 and 1", {**_UNIT, "choices": (0.0, 1.0)},
                            "Threshold the target into 0/1 (e.g. `series.map(lambda x: (x > t) * 1.0)`), or use "
                            "GaussianLikelihood() for a continuous target."),
}


def check_likelihood_support(likelihood, series, argument: str) -> None:
    """Refuse, before training, a target outside the likelihood's support (torch would fail mid-epoch)."""
    rule = _LIKELIHOOD_SUPPORT.get(type(likelihood).__name__) if likelihood is not None else None
    if rule is None:
        return
    support, bounds, fix = rule
    for i, ts in enumerate(as_list(series)):
        values = ts.all_values(copy=False)
        bad = count_outside(values, **bounds)
        if bad.any():
            finite = values[np.isfinite(values)]
            raise ValueError(
                f"likelihood={type(likelihood).__name__}() models {support}, but `{argument}`[{i}] has "
                f"{int(bad.sum())} values outside that (min {finite.min():.4g}, max {finite.max():.4g}, first "
                f"offending value {values[bad][0]:.4g}). {fix}"
            )


# ---------------------------------------------------------------------- what darts' datasets will read
def check_training_data(series: Sequence, past_covariates, future_covariates, sample_weight, max_samples_per_ts,
                        stride: int, icl: int, ocl: int, shift: int, static: bool, prefix: str = "") -> None:
    """The series darts is about to build a training dataset from (``prefix="val_"``: the validation one): long
    enough, a finite target, static covariates (when ``static``), covariate magnitudes, sample weights, and
    covariates that span every window drawn."""
    purpose = "validation" if prefix else "training"
    min_length = icl + ocl + shift
    for i, ts in enumerate(series):
        if len(ts) < min_length:
            raise ValueError(
                f"`{prefix}series`[{i}] has {len(ts)} time steps, fewer than input_chunk_length + "
                f"output_chunk_length + output_chunk_shift = {min_length} needed for one {purpose} window. Pass a "
                "longer series or lower `input_chunk_length` / `output_chunk_length`."
            )
        check_finite_target(ts, f"{prefix}series[{i}]", "fit")
        if static:
            check_static_covariates(ts, f"{prefix}series[{i}]")
    check_covariate_values(past_covariates, f"{prefix}past_covariates")
    check_covariate_values(future_covariates, f"{prefix}future_covariates")
    check_sample_weight(sample_weight, series, f"{prefix}sample_weight")
    for argument, covariates, future in (
        ("past_covariates", past_covariates, False), ("future_covariates", future_covariates, True)
    ):
        check_training_coverage(
            series, covariates, prefix + argument, icl, ocl, shift, stride, max_samples_per_ts, future=future,
            series_argument=f"{prefix}series", purpose=purpose,
        )


def read_positions(ts, i: int, stride: int, bounds, icl: int) -> tuple[int, int]:
    """Positions ``[start, end)`` of ``ts`` (the ``i``-th target series) that the forecasts read: the last input
    window for one forecast (``bounds=None``); for historical forecasts, from the first input window to the end
    of the last, given darts' ``bounds`` (per series, the first and last input-window end, exclusive)."""
    if bounds is None:
        first_end = last_end = len(ts)
    else:
        first_end = int(bounds[i][0])
        last_end = first_end + (int(bounds[i][1]) - first_end) // max(stride, 1) * max(stride, 1)
    end = min(max(last_end, 1), len(ts))
    return min(max(first_end - icl, 0), end - 1), end


def check_inference_data(n: int, series: Sequence, past_covariates, future_covariates, stride: int, bounds,
                         icl: int, ocl: int, shift: int, static: bool) -> None:
    """Only what the forecasts read is checked: values outside every window read cannot reach the network."""
    where = "predict" if bounds is None else "historical_forecasts"
    past_spans, future_spans = [], []
    for i, ts in enumerate(series):
        window = ts[slice(*read_positions(ts, i, stride, bounds, icl))]
        check_finite_target(window, f"series[{i}]", where)
        if static:
            check_static_covariates(ts, f"series[{i}]")
        # as darts' inference dataset reads them: past covariates to n - output_chunk_length steps past the
        # last input window (auto-regression), future covariates over the shift and the whole horizon
        last = window.end_time()
        past_spans.append((window.start_time(), last + max(0, n - ocl) * ts.freq))
        future_spans.append((window.start_time(), last + (shift + max(n, ocl)) * ts.freq))
    check_covariate_values(past_covariates, "past_covariates", past_spans, where)
    check_covariate_values(future_covariates, "future_covariates", future_spans, where)

