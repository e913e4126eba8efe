"""Loaders for the real multimodal datasets shipped in ``datasets/``.

Every loader returns a :class:`ForecastingTask`: the (scaled, float32) darts target series, its covariates, the
grouping of covariate components into named modalities, the split points and a plain-text description of the
published protocol that the loader applies, so that results are comparable with the literature.

The data cards (provenance, licence, citation, columns) are in ``datasets/README.md``.

Examples
--------
>>> from pf_forecast.data import load_task
>>> task = load_task("epf-NP")
>>> task.input_chunk_length, task.horizon, task.n_test_windows()
(168, 24, 10460)
"""

from __future__ import annotations

import logging
import math
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from darts import TimeSeries
from sklearn.preprocessing import StandardScaler

from pf_forecast.model import MAX_ABS_INPUT

__all__ = [
    "DATA_ENV_VAR",
    "EPF_MARKETS",
    "TASKS",
    "ForecastingTask",
    "find_datasets_dir",
    "load_beijing_pm25",
    "load_csv",
    "load_epf",
    "load_etth1",
    "load_stocks",
    "load_task",
]

logger = logging.getLogger(__name__)

#: Environment variable naming a folder laid out like the project's ``datasets/``.
DATA_ENV_VAR = "PF_FORECAST_DATA"

#: Markets of the EPF benchmark (Lago et al. 2021).
EPF_MARKETS = ("NP", "PJM", "BE", "FR", "DE")

# The target modality is implicit in every task; a covariate modality may not take its name.
_TARGET_MODALITY = "target"

# MultiBench "Stocks" split, in windows: 3,200 train, 500 validation, the rest test. Its default history
# (2000-06-01 .. 2021-02-26) holds 5,218 NYSE sessions -> 5,217 daily returns -> 4,717 windows of 500, so the test
# part is 1,017 windows. A shorter history keeps these proportions.
_MULTIBENCH_WINDOWS = {"train": 3200, "val": 500, "test": 1017}
_STOCKS_WINDOW = 500


# --------------------------------------------------------------------------------------------------------------
# Where the data lives
# --------------------------------------------------------------------------------------------------------------


def _candidate_dirs(path: str | os.PathLike | None) -> list[tuple[str, Path]]:
    """Folders to search, in priority order, each with a label for error messages."""
    if path is not None:
        # An explicit folder is the user's decision: never silently fall back to another copy.
        return [("data_dir argument", Path(path).expanduser())]
    candidates = []
    env_value = os.environ.get(DATA_ENV_VAR)
    if env_value:
        candidates.append((f"${DATA_ENV_VAR}", Path(env_value).expanduser()))
    candidates.append(("source checkout", Path(__file__).resolve().parents[1] / "datasets"))
    candidates.append(("installed data-files", Path(sys.prefix) / "share" / "pf-forecast" / "datasets"))
    return candidates


def find_datasets_dir(path: str | os.PathLike | None = None, *, relative_file: str | None = None) -> Path:
    """Locate the folder that holds the project's datasets.

    The first of these that holds ``relative_file`` (or, without it, that exists) wins:

    1. ``path``, when given (and then only ``path``);
    2. the folder named by the environment variable ``PF_FORECAST_DATA``;
    3. ``datasets/`` of the source checkout this module was imported from;
    4. the copy that ``pip install`` puts in ``<sys.prefix>/share/pf-forecast/datasets``.

    Parameters
    ----------
    path
        An explicit folder laid out like ``datasets/`` (for example ``epf/NP.csv`` inside it).
    relative_file
        A file the folder must hold, relative to it, e.g. ``"epf/NP.csv"``.

    Returns
    -------
    pathlib.Path
        The folder.

    Raises
    ------
    FileNotFoundError
        If no candidate holds the file; the message lists every place looked at and how to fix it.

    Examples
    --------
    >>> from pf_forecast.data import find_datasets_dir
    >>> (find_datasets_dir(relative_file="ett/ETTh1.csv") / "ett" / "ETTh1.csv").is_file()
    True
    """
    candidates = _candidate_dirs(path)
    for label, folder in candidates:
        found = folder.is_dir() if relative_file is None else (folder / relative_file).is_file()
        if found:
            return folder
        if label.startswith("$"):
            logger.warning("%s=%s does not hold %s; trying the next location", DATA_ENV_VAR, folder,
                           relative_file or "a datasets folder")
    wanted = f"the dataset file {relative_file!r}" if relative_file else "a datasets folder"
    looked = "\n".join(f"  - {label}: {folder / (relative_file or '')}" for label, folder in candidates)
    raise FileNotFoundError(
        f"Could not find {wanted}. Looked in:\n{looked}\n"
        f"Fix: pass data_dir=<folder holding {relative_file or 'the datasets'}> to the loader, or set the "
        f"environment variable {DATA_ENV_VAR} to that folder."
    )


def _dataset_file(relative_file: str, data_dir: str | os.PathLike | None) -> Path:
    return find_datasets_dir(data_dir, relative_file=relative_file) / relative_file


# --------------------------------------------------------------------------------------------------------------
# The task container
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ForecastingTask:
    """A dataset ready for a darts model, with its split points and the protocol that produced it.

    All series are float32 (darts models train in the target's precision) and already scaled as the protocol says;
    :meth:`inverse_transform` maps target values back to the original units.

    Parameters
    ----------
    name
        Short identifier, e.g. ``"epf-NP"``.
    track
        Which covariate setting this is, e.g. ``"past"`` (covariates over the input window only), ``"future"``
        (also over the forecast horizon) or ``"oracle"`` (observed values used as if known in advance).
    series
        The full target series (train, validation and test).
    past_covariates, future_covariates
        Covariates over the same time index as ``series``, or ``None``.
    modalities
        Modality name -> covariate component names. The target history is an implicit extra modality and is
        never listed here.
    input_chunk_length
        Length of the input window the protocol prescribes.
    horizon
        Forecast horizon (darts' ``output_chunk_length`` / ``forecast_horizon``).
    val_start, test_start
        First time point of the validation and test segments (``pd.Timestamp``, or ``int`` for a series on a
        ``RangeIndex``). Validation and test windows may read ``input_chunk_length`` points before them.
    protocol
        Human-readable description of the preprocessing and split.
    scaler
        The fitted ``sklearn`` ``StandardScaler`` whose ``feature_names_in_`` are the scaled columns, or ``None``.
    info
        Extra dataset-specific facts (e.g. ``"dates"`` for a ``RangeIndex`` series, ``"target_imputed"``).

    Examples
    --------
    >>> from pf_forecast.data import load_etth1
    >>> task = load_etth1()
    >>> len(task.train_series()), task.split_index(), task.n_test_windows(stride=24)
    (8640, (8640, 11520), 120)
    """

    name: str
    track: str
    series: TimeSeries
    past_covariates: TimeSeries | None
    future_covariates: TimeSeries | None
    modalities: dict[str, list[str]]
    input_chunk_length: int
    horizon: int
    val_start: pd.Timestamp | int
    test_start: pd.Timestamp | int
    protocol: str
    scaler: StandardScaler | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        val_row, test_row = self.split_index()
        if not self.input_chunk_length <= val_row < test_row <= len(self.series) - self.horizon:
            raise ValueError(
                f"ForecastingTask {self.name!r}: split rows val={val_row}, test={test_row} do not fit a series of "
                f"{len(self.series)} rows with input_chunk_length={self.input_chunk_length} and "
                f"horizon={self.horizon}."
            )
        covariate_names = {
            name for covs in (self.past_covariates, self.future_covariates) if covs is not None
            for name in covs.components
        }
        unknown = [c for cols in self.modalities.values() for c in cols if c not in covariate_names]
        if unknown:
            raise ValueError(f"ForecastingTask {self.name!r}: modality components {unknown} are not covariates.")

    def split_index(self) -> tuple[int, int]:
        """Row positions of ``val_start`` and ``test_start`` in :attr:`series`.

        Returns
        -------
        tuple of int
            ``(val_row, test_row)``: train rows are ``[0, val_row)``, validation ``[val_row, test_row)``, test
            ``[test_row, len(series))``.
        """
        index = self.series.time_index
        return int(index.get_loc(self.val_start)), int(index.get_loc(self.test_start))

    def train_series(self) -> TimeSeries:
        """The training segment of the target (every training window lies inside it).

        Returns
        -------
        darts.TimeSeries
        """
        val_row, _ = self.split_index()
        return self.series[:val_row]

    def val_series(self) -> TimeSeries:
        """The validation segment plus the ``input_chunk_length`` points before it, so windows can start.

        Returns
        -------
        darts.TimeSeries
            Pass it as ``val_series`` to ``fit``; the covariates need no slicing (darts aligns them by time).
        """
        val_row, test_row = self.split_index()
        return self.series[val_row - self.input_chunk_length:test_row]

    def test_series(self) -> TimeSeries:
        """The test segment plus the ``input_chunk_length`` points before it.

        Returns
        -------
        darts.TimeSeries
        """
        _, test_row = self.split_index()
        return self.series[test_row - self.input_chunk_length:]

    def n_test_windows(self, stride: int = 1) -> int:
        """Number of test forecasts: windows whose forecast starts at ``test_start`` .. ``end - horizon + 1``.

        This is what ``model.historical_forecasts(task.series, start=task.test_start,
        forecast_horizon=task.horizon, stride=stride, retrain=False, last_points_only=False)`` returns.

        Parameters
        ----------
        stride
            Points between consecutive forecast starts.

        Returns
        -------
        int
        """
        if not isinstance(stride, int | np.integer) or stride < 1:
            raise ValueError(f"stride must be a positive integer, got {stride!r}.")
        _, test_row = self.split_index()
        return (len(self.series) - self.horizon - test_row) // stride + 1

    def covariate_kwargs(self) -> dict[str, TimeSeries]:
        """The task's covariates as keyword arguments for darts' ``fit`` / ``predict`` / ``historical_forecasts``.

        Returns
        -------
        dict
            ``{"past_covariates": ..., "future_covariates": ...}`` without the ``None`` entries.
        """
        kwargs = {"past_covariates": self.past_covariates, "future_covariates": self.future_covariates}
        return {key: value for key, value in kwargs.items() if value is not None}

    def fit_kwargs(self) -> dict[str, TimeSeries]:
        """Keyword arguments for ``model.fit``: train series, validation series and both sets of covariates.

        Returns
        -------
        dict

        Examples
        --------
        >>> from darts.models import LinearRegressionModel
        >>> from pf_forecast.data import load_etth1
        >>> task = load_etth1()
        >>> model = LinearRegressionModel(lags=24, lags_past_covariates=24, output_chunk_length=task.horizon)
        >>> model = model.fit(**{k: v for k, v in task.fit_kwargs().items() if not k.startswith("val_")})
        """
        kwargs: dict[str, TimeSeries] = {"series": self.train_series(), **self.covariate_kwargs()}
        kwargs["val_series"] = self.val_series()
        kwargs.update({f"val_{key}": value for key, value in self.covariate_kwargs().items()})
        return kwargs

    def inverse_transform(self, series: TimeSeries) -> TimeSeries:
        """Map a target series (e.g. a forecast) from the scaled space back to the original units.

        Parameters
        ----------
        series
            A series with the same components as :attr:`series` (deterministic or stochastic).

        Returns
        -------
        darts.TimeSeries
        """
        if self.scaler is None:
            return series
        components = list(self.series.components)
        if list(series.components) != components:
            raise ValueError(
                f"series has components {list(series.components)}; inverse_transform expects the target "
                f"components {components}."
            )
        fitted_names = list(self.scaler.feature_names_in_)
        positions = [fitted_names.index(name) for name in components]
        scale = self.scaler.scale_[positions] if self.scaler.with_std else np.ones(len(positions))
        offset = self.scaler.mean_[positions] if self.scaler.with_mean else np.zeros(len(positions))
        values = series.all_values(copy=False)  # (time, components, samples)
        restored = values * scale[None, :, None] + offset[None, :, None]
        return series.with_values(restored.astype(values.dtype))


# --------------------------------------------------------------------------------------------------------------
# Shared building blocks
# --------------------------------------------------------------------------------------------------------------


def _check_choice(argument: str, value: Any, valid: Iterable[Any]) -> None:
    valid = list(valid)
    if value not in valid:
        raise ValueError(f"{argument}={value!r} is not valid; choose one of {valid}.")


def _split_rows(n_rows: int, train_fraction: float, test_fraction: float) -> tuple[int, int]:
    """TimeXer's row split: train = first int(train_fraction n), test = last int(test_fraction n), val = rest."""
    # Rounding first guards against float artefacts: 0.7 * 43800 = 30659.999..., which must give 30660.
    n_train = int(round(n_rows * train_fraction, 6))
    n_test = int(round(n_rows * test_fraction, 6))
    return n_train, n_rows - n_test


def _fit_standard_scaler(frame: pd.DataFrame, n_train_rows: int) -> tuple[StandardScaler, pd.DataFrame]:
    """Fit a StandardScaler on the first ``n_train_rows`` rows only (NaN ignored) and scale every row."""
    scaler = StandardScaler().fit(frame.iloc[:n_train_rows])
    scaled = pd.DataFrame(scaler.transform(frame), index=frame.index, columns=frame.columns)
    return scaler, scaled


def _fixed_scaler(columns: Sequence[str], scales: Sequence[float], n_samples: int) -> StandardScaler:
    """A StandardScaler that divides each column by a given scale (no centring), for protocols that say so."""
    scaler = StandardScaler(with_mean=False)
    scaler.scale_ = np.asarray(scales, dtype=np.float64)
    scaler.var_ = scaler.scale_**2
    scaler.mean_ = np.zeros_like(scaler.scale_)
    scaler.n_features_in_ = len(columns)
    scaler.feature_names_in_ = np.asarray(columns, dtype=object)
    scaler.n_samples_seen_ = n_samples
    return scaler


def _to_series(frame: pd.DataFrame) -> TimeSeries:
    """A float32 darts series from a frame whose index is the (regular) time index."""
    return TimeSeries.from_times_and_values(
        frame.index, frame.to_numpy(dtype=np.float32), columns=[str(c) for c in frame.columns]
    )


def _regular_hourly_index(times: pd.Series, source: Path) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex(times)
    if pd.infer_freq(index) != "h":
        raise ValueError(f"{source}: expected a gap-free hourly time index; the file may be damaged.")
    return pd.DatetimeIndex(index, freq="h")


def _window_protocol(n_rows: int, val_row: int, test_row: int, index: pd.Index, input_chunk_length: int,
                     horizon: int) -> str:
    return (
        f"{n_rows} rows; train rows [0, {val_row}) from {index[0]}, validation rows [{val_row}, {test_row}) from "
        f"{index[val_row]}, test rows [{test_row}, {n_rows}) from {index[test_row]} to {index[-1]}. "
        f"Input {input_chunk_length}, horizon {horizon}; validation and test windows' inputs may start "
        f"{input_chunk_length} rows before their segment; test windows at stride 1 number "
        f"{n_rows - horizon - test_row + 1}."
    )


# --------------------------------------------------------------------------------------------------------------
# EPF: electricity prices (TimeXer protocol)
# --------------------------------------------------------------------------------------------------------------

_EPF_INPUT, _EPF_HORIZON = 168, 24
#: fev-bench's EPF test: this many windows of one horizon each, at the end of the series.
FEV_WINDOWS = 20


def _modality_slug(column: str) -> str:
    """'Zonal COMED load foecast' -> 'zonal_comed_load' (PJM's file misspells 'forecast')."""
    slug = re.sub(r"[^0-9a-z]+", "_", column.lower()).strip("_")
    return re.sub(r"_fo?r?ecast$", "", slug)


def load_epf(market: str, track: str = "past", data_dir: str | os.PathLike | None = None) -> ForecastingTask:
    """Day-ahead electricity prices of one EPF market, under the TimeXer protocol.

    Target ``OT`` (price); the two exogenous day-ahead forecasts are one modality each, named by a slug of the
    column name (e.g. ``"grid_load"``, ``"wind_power"``). 52,416 hourly rows: train = first ``int(0.7 n)``
    rows, test = last ``int(0.2 n)`` rows, validation = the rest; a ``StandardScaler`` is fitted on the train
    rows of all columns (target and covariates) and applied to all. Input 168, horizon 24.

    Parameters
    ----------
    market
        One of ``"NP", "PJM", "BE", "FR", "DE"``.
    track
        ``"past"``: the exogenous columns are past covariates (TimeXer's setting, comparable with its tables).
        ``"future"``: they are future covariates; legitimate since they are day-ahead forecasts, but report it
        as a separate track. ``"fev"``: fev-bench's protocol (future covariates; the test is the last 20 days,
        scored as 20 windows of 24 h with step 24; validation is the last 10% of the rows before them).
    data_dir
        Folder holding ``epf/<market>.csv``; see :func:`find_datasets_dir`.

    Returns
    -------
    ForecastingTask
        ``scaler`` holds the fitted ``StandardScaler`` (columns: the two covariates, then ``OT``).

    Examples
    --------
    >>> from pf_forecast.data import load_epf
    >>> task = load_epf("NP")
    >>> task.modalities
    {'grid_load': ['Grid load forecast'], 'wind_power': ['Wind power forecast']}
    """
    _check_choice("market", market, EPF_MARKETS)
    _check_choice("track", track, ("past", "future", "fev"))
    path = _dataset_file(f"epf/{market}.csv", data_dir)
    raw = pd.read_csv(path)
    raw.columns = raw.columns.str.strip()  # the covariate names begin with a space in the files
    index = _regular_hourly_index(pd.to_datetime(raw["date"], format="%Y/%m/%d %H:%M"), path)
    frame = raw.drop(columns="date").set_index(index)
    covariate_names = [c for c in frame.columns if c != "OT"]
    frame = frame[[*covariate_names, "OT"]]

    if track == "fev":
        test_row = len(frame) - FEV_WINDOWS * _EPF_HORIZON  # the last 20 days: 20 windows of 24 h, step 24
        val_row = test_row - int(0.1 * test_row)  # selection and early stopping on history before the first cutoff
    else:
        val_row, test_row = _split_rows(len(frame), train_fraction=0.7, test_fraction=0.2)
    scaler, scaled = _fit_standard_scaler(frame, val_row)
    covariates = _to_series(scaled[covariate_names])
    if track == "fev":
        protocol = (
            f"EPF {market}, fev-bench protocol (task epf_{market.lower()}). Target OT (day-ahead price); exogenous "
            f"{covariate_names} as future covariates (day-ahead forecasts, known over the horizon), one modality "
            f"each. Test: the last {FEV_WINDOWS} windows of {_EPF_HORIZON} h (step {_EPF_HORIZON}), each forecast "
            f"from the full history before its cutoff; one fit on the rows before the first cutoff, the last 10% "
            f"of them for validation (early stopping). StandardScaler fitted on the train rows, scores in the "
            f"original price units: SQL (quantile levels 0.1..0.9) and MASE scaled by the seasonal (24 h) naive "
            f"error of each window's history. "
            + _window_protocol(len(frame), val_row, test_row, frame.index, _EPF_INPUT, _EPF_HORIZON)
        )
    else:
        kind = "past" if track == "past" else "future (day-ahead forecasts, known over the horizon)"
        protocol = (
            f"EPF {market} (Lago et al. 2021), TimeXer protocol. Target OT (day-ahead price); exogenous "
            f"{covariate_names} as {kind} covariates, one modality each. StandardScaler fitted on the train rows "
            f"of all columns, applied to all. "
            + _window_protocol(len(frame), val_row, test_row, frame.index, _EPF_INPUT, _EPF_HORIZON)
            + " Metrics: MSE / MAE on the standardized target over every window and step."
        )
    return ForecastingTask(
        name=f"epf-{market}",
        track=track,
        series=_to_series(scaled[["OT"]]),
        past_covariates=covariates if track == "past" else None,
        future_covariates=covariates if track != "past" else None,
        modalities={_modality_slug(c): [c] for c in covariate_names},
        input_chunk_length=_EPF_INPUT,
        horizon=_EPF_HORIZON,
        val_start=frame.index[val_row],
        test_start=frame.index[test_row],
        protocol=protocol,
        scaler=scaler,
        info={"source": path},
    )


# --------------------------------------------------------------------------------------------------------------
# Stocks (MultiBench protocol)
# --------------------------------------------------------------------------------------------------------------


def _split_adjusted_open(raw: pd.DataFrame, tickers: Sequence[str]) -> pd.DataFrame:
    """Open x (Adj Close / Close), one column per ticker, on the trading days all tickers share."""
    adjusted = raw.assign(adjusted_open=raw["Open"] * raw["Adj Close"] / raw["Close"])
    wide = adjusted.pivot(index="Date", columns="Ticker", values="adjusted_open")[list(tickers)]
    return wide.dropna(how="any").sort_index()


def _stocks_window_split(n_windows: int) -> tuple[int, int]:
    """MultiBench's 3,200 / 500 / rest window split, scaled to ``n_windows``."""
    total = sum(_MULTIBENCH_WINDOWS.values())
    n_train = round(n_windows * _MULTIBENCH_WINDOWS["train"] / total)
    n_val = round(n_windows * _MULTIBENCH_WINDOWS["val"] / total)
    return n_train, n_val


def load_stocks(
    target: str = "MSFT",
    inputs: Sequence[str] = ("AAPL", "IBM", "MSFT"),
    data_dir: str | os.PathLike | None = None,
) -> ForecastingTask:
    """Next-day volatility of one stock from the daily returns of several (MultiBench "Stocks" protocol).

    The series live on an integer ``RangeIndex`` (step ``t`` = ``t``-th daily return), because trading days are
    irregular and filling holidays would invent data; ``task.info["dates"][t]`` is the trading day at whose
    open return ``t`` is complete.

    Definition, with ``O[d]`` the split-adjusted open ``Open x (Adj Close / Close)`` on the ``d``-th trading
    day all tickers share and ``r[t] = log(O[t + 1] / O[t])``:

    * past covariate ``<TICKER>_return`` at step ``t`` = ``r[t] / s_x`` for each ticker in ``inputs``, one
      modality per ticker; ``s_x`` = sample std of all chosen tickers' returns over steps ``[0, val_start)``
      (every return a training window reads or predicts), as MultiBench's code does;
    * target ``<TARGET>_sq_return`` at step ``t`` = ``r_target[t] ** 2 / s_y``; ``s_y`` = sample std of the
      training targets (steps ``[500, val_start)``).

    Both are known at the open of day ``t + 1``. A darts model with ``input_chunk_length=500`` and
    ``output_chunk_length=1`` reads steps ``t - 499 .. t`` and predicts step ``t + 1``, whose value needs the
    open of day ``t + 2``: exactly MultiBench's (window of 500 returns -> the next squared return), with no
    look-ahead. Windows are split chronologically in MultiBench's proportions (3,200 / 500 / 1,017 of its 4,717
    windows).

    Parameters
    ----------
    target
        Ticker whose next squared log return is forecast.
    inputs
        Tickers whose returns are the covariates (one modality each); the target may be among them.
    data_dir
        Folder holding ``stocks/stocks_2000_2013.csv``; see :func:`find_datasets_dir`.

    Returns
    -------
    ForecastingTask
        ``val_start`` / ``test_start`` are integer steps; ``scaler`` divides the returns by ``s_x`` and the
        target by ``s_y``; ``info`` holds ``"dates"``, ``"s_x"``, ``"s_y"``.

    Examples
    --------
    >>> from pf_forecast.data import load_stocks
    >>> task = load_stocks()
    >>> task.modalities["AAPL"], task.series.components[0]
    (['AAPL_return'], 'MSFT_sq_return')
    """
    inputs = [inputs] if isinstance(inputs, str) else list(inputs)
    path = _dataset_file("stocks/stocks_2000_2013.csv", data_dir)
    raw = pd.read_csv(path, parse_dates=["Date"])
    available = sorted(raw["Ticker"].unique())
    _check_choice("target", target, available)
    if not inputs or len(set(inputs)) != len(inputs):
        raise ValueError(f"inputs={inputs!r} must name at least one ticker, each once; choose from {available}.")
    for ticker in inputs:
        _check_choice("inputs", ticker, available)

    tickers = list(dict.fromkeys([*inputs, target]))
    adjusted_open = _split_adjusted_open(raw, tickers)
    # Row t = r[t] = log(O[t+1] / O[t]), labelled with the day t+1 whose open completes it.
    returns = np.log(adjusted_open / adjusted_open.shift(1)).iloc[1:]
    n_steps = len(returns)
    n_windows = n_steps - _STOCKS_WINDOW
    n_train, n_val = _stocks_window_split(max(n_windows, 0))
    if min(n_train, n_val, n_windows - n_train - n_val) < 1:
        raise ValueError(
            f"inputs={inputs!r}, target={target!r}: the {n_steps} returns the tickers share give {n_windows} "
            f"windows of {_STOCKS_WINDOW}, too few for a train/validation/test split; choose tickers with a "
            f"longer common history (AAPL, IBM, MSFT span 2000-2013)."
        )
    val_start = _STOCKS_WINDOW + n_train
    test_start = val_start + n_val

    input_scale = float(np.std(returns.iloc[:val_start].to_numpy().ravel(), ddof=1))
    squared = returns[target] ** 2
    target_scale = float(np.std(squared.iloc[_STOCKS_WINDOW:val_start].to_numpy(), ddof=1))
    covariate_frame = returns[inputs].rename(columns=lambda ticker: f"{ticker}_return") / input_scale
    target_name = f"{target}_sq_return"
    target_frame = (squared / target_scale).to_frame(target_name)
    steps = pd.RangeIndex(n_steps)
    dates = pd.DatetimeIndex(returns.index, name="date")

    default = target == "MSFT" and inputs == ["AAPL", "IBM", "MSFT"]
    protocol = (
        f"Stocks, MultiBench protocol. Prices: Open x (Adj Close / Close) (removes split jumps and dividend drops), "
        f"on the {len(adjusted_open)} trading days {tickers} share ({adjusted_open.index[0].date()} .. "
        f"{adjusted_open.index[-1].date()}). Integer time step t = daily log return r[t] = log(O[t+1]/O[t]), "
        f"known at the open of day t+1 (info['dates'][t]). Past covariates: r[t]/s_x for {inputs}, one modality "
        f"per ticker, s_x = {input_scale:.6g} (sample std of all tickers' returns over steps [0, {val_start})). "
        f"Target: r_{target}[t]^2 / s_y, s_y = {target_scale:.6g} (sample std of the training targets, steps "
        f"[{_STOCKS_WINDOW}, {val_start})). Input 500 steps, horizon 1: a window of returns up to t predicts "
        f"the squared return t+1 (no look-ahead). Windows split chronologically in MultiBench's 3200/500/1017 "
        f"proportions: {n_train} train, {n_val} validation, {n_windows - n_train - n_val} test windows; "
        f"validation from step {val_start} ({dates[val_start].date()}), test from step {test_start} "
        f"({dates[test_start].date()}). Metric: MSE on the normalised target."
    )
    return ForecastingTask(
        name="stocks" if default else f"stocks-{target}-from-{'-'.join(inputs)}",
        track="past",
        series=_to_series(target_frame.set_index(steps)),
        past_covariates=_to_series(covariate_frame.set_index(steps)),
        future_covariates=None,
        modalities={ticker: [f"{ticker}_return"] for ticker in inputs},
        input_chunk_length=_STOCKS_WINDOW,
        horizon=1,
        val_start=val_start,
        test_start=test_start,
        protocol=protocol,
        scaler=_fixed_scaler(
            [*covariate_frame.columns, target_name], [input_scale] * len(inputs) + [target_scale], val_start
        ),
        info={"source": path, "dates": dates, "s_x": input_scale, "s_y": target_scale},
    )


# --------------------------------------------------------------------------------------------------------------
# Beijing PM2.5
# --------------------------------------------------------------------------------------------------------------

_BEIJING_INPUT, _BEIJING_HORIZON = 168, 24


def load_beijing_pm25(track: str = "past", data_dir: str | os.PathLike | None = None) -> ForecastingTask:
    """Hourly Beijing PM2.5 with weather, wind and precipitation modalities.

    Target ``pm2.5``. The leading run of missing targets (the first 24 h) is dropped; the remaining missing
    targets (about 4.7%, gaps up to 155 h) are filled by time interpolation because darts targets must be
    finite; ``info["target_imputed"]`` marks them. Modalities: ``weather`` (DEWP, TEMP, PRES), ``wind`` (Iws
    and the one-hot wind direction ``cbwd_NE, cbwd_NW, cbwd_SE, cbwd_cv``), ``precipitation`` (Is, Ir).
    Chronological 70 / 10 / 20 split by rows; a ``StandardScaler`` fitted on the train rows (observed values
    only) scales the target and the numeric covariates; the one-hot columns stay 0 / 1. Input 168, horizon 24.

    Parameters
    ----------
    track
        ``"past"``: covariates over the input window only. ``"oracle"``: the same observed covariates as
        future covariates, i.e. perfect weather forecasts: an upper bound that leaks observed weather.
    data_dir
        Folder holding ``beijing_pm25/beijing_pm25_hourly.csv``; see :func:`find_datasets_dir`.

    Returns
    -------
    ForecastingTask

    Examples
    --------
    >>> from pf_forecast.data import load_beijing_pm25
    >>> task = load_beijing_pm25()
    >>> sorted(task.modalities)
    ['precipitation', 'weather', 'wind']
    """
    _check_choice("track", track, ("past", "oracle"))
    path = _dataset_file("beijing_pm25/beijing_pm25_hourly.csv", data_dir)
    raw = pd.read_csv(path)
    index = _regular_hourly_index(pd.to_datetime(raw[["year", "month", "day", "hour"]]), path)
    raw = raw.set_index(index)
    first_observed = raw["pm2.5"].first_valid_index()
    raw = raw.loc[first_observed:]

    wind_direction = pd.get_dummies(raw["cbwd"], prefix="cbwd", prefix_sep="_", dtype=np.float64)
    wind_direction = wind_direction[sorted(wind_direction.columns)]
    modalities = {
        "weather": ["DEWP", "TEMP", "PRES"],
        "wind": ["Iws", *wind_direction.columns],
        "precipitation": ["Is", "Ir"],
    }
    numeric_columns = ["pm2.5", "DEWP", "TEMP", "PRES", "Iws", "Is", "Ir"]
    val_row, test_row = _split_rows(len(raw), train_fraction=0.7, test_fraction=0.2)
    scaler, scaled = _fit_standard_scaler(raw[numeric_columns].astype(np.float64), val_row)

    imputed = scaled["pm2.5"].isna()
    scaled["pm2.5"] = scaled["pm2.5"].interpolate(method="time")
    logger.info("Beijing PM2.5: filled %d missing target values by time interpolation", int(imputed.sum()))
    covariate_names = [c for cols in modalities.values() for c in cols]
    covariates = _to_series(pd.concat([scaled, wind_direction], axis=1)[covariate_names])
    track_text = (
        "past covariates" if track == "past"
        else "ORACLE future covariates: observed weather used as if forecast, which leaks information"
    )
    protocol = (
        f"Beijing PM2.5 (Liang et al. 2015), hourly. Target pm2.5; the leading {raw.index[0] - index[0]} of "
        f"missing target dropped; {int(imputed.sum())} remaining missing targets ({imputed.mean():.1%}) filled by "
        f"time interpolation (info['target_imputed']). Covariates as {track_text}: weather (DEWP, TEMP, PRES), "
        f"wind (Iws + one-hot cbwd), precipitation (Is, Ir). Chronological 70/10/20 split by rows; "
        f"StandardScaler fitted on the observed train rows of pm2.5 and the numeric covariates (one-hot left "
        f"0/1). " + _window_protocol(len(raw), val_row, test_row, raw.index, _BEIJING_INPUT, _BEIJING_HORIZON)
    )
    return ForecastingTask(
        name="beijing",
        track=track,
        series=_to_series(scaled[["pm2.5"]]),
        past_covariates=covariates if track == "past" else None,
        future_covariates=covariates if track == "oracle" else None,
        modalities=modalities,
        input_chunk_length=_BEIJING_INPUT,
        horizon=_BEIJING_HORIZON,
        val_start=raw.index[val_row],
        test_start=raw.index[test_row],
        protocol=protocol,
        scaler=scaler,
        info={"source": path, "target_imputed": imputed.rename("target_imputed")},
    )


# --------------------------------------------------------------------------------------------------------------
# ETTh1
# --------------------------------------------------------------------------------------------------------------

_ETT_INPUT, _ETT_HORIZON = 96, 24
# The standard ETT split in hours: 12 months train, 4 validation, 4 test; later rows are not used.
_ETT_BORDERS = (12 * 30 * 24, 16 * 30 * 24, 20 * 30 * 24)


def load_etth1(data_dir: str | os.PathLike | None = None) -> ForecastingTask:
    """Electricity Transformer Temperature (ETTh1): oil temperature from three load groups.

    Target ``OT``; past-covariate modalities ``high`` (HUFL, HULL), ``middle`` (MUFL, MULL), ``low`` (LUFL,
    LULL). The standard ETT split (Informer): train rows [0, 8640), validation [8640, 11520), test
    [11520, 14400) (12 / 4 / 4 months of 30 days); the 3,020 rows after 14,400 are not used. A
    ``StandardScaler`` is fitted on the train rows of all seven columns. Input 96, horizon 24.

    Parameters
    ----------
    data_dir
        Folder holding ``ett/ETTh1.csv``; see :func:`find_datasets_dir`.

    Returns
    -------
    ForecastingTask

    Examples
    --------
    >>> from pf_forecast.data import load_etth1
    >>> load_etth1().modalities["high"]
    ['HUFL', 'HULL']
    """
    path = _dataset_file("ett/ETTh1.csv", data_dir)
    raw = pd.read_csv(path)
    index = _regular_hourly_index(pd.to_datetime(raw["date"]), path)
    val_row, test_row, end_row = _ETT_BORDERS
    frame = raw.drop(columns="date").set_index(index).iloc[:end_row]
    modalities = {"high": ["HUFL", "HULL"], "middle": ["MUFL", "MULL"], "low": ["LUFL", "LULL"]}
    covariate_names = [c for cols in modalities.values() for c in cols]
    frame = frame[[*covariate_names, "OT"]]
    scaler, scaled = _fit_standard_scaler(frame, val_row)
    protocol = (
        f"ETTh1 (Zhou et al. 2021), standard ETT split of 12/4/4 months; rows after {end_row} "
        f"({len(raw) - end_row}) are not used. Target OT; past covariates high (HUFL, HULL), middle (MUFL, MULL), "
        f"low (LUFL, LULL). StandardScaler fitted on the train rows of all columns. "
        + _window_protocol(len(frame), val_row, test_row, frame.index, _ETT_INPUT, _ETT_HORIZON)
    )
    return ForecastingTask(
        name="etth1",
        track="past",
        series=_to_series(scaled[["OT"]]),
        past_covariates=_to_series(scaled[covariate_names]),
        future_covariates=None,
        modalities=modalities,
        input_chunk_length=_ETT_INPUT,
        horizon=_ETT_HORIZON,
        val_start=frame.index[val_row],
        test_start=frame.index[test_row],
        protocol=protocol,
        scaler=scaler,
        info={"source": path},
    )


# --------------------------------------------------------------------------------------------------------------
# User data
# --------------------------------------------------------------------------------------------------------------


def _as_name_list(argument: str, value: str | Sequence[str]) -> list[str]:
    try:
        names = [value] if isinstance(value, str) else list(value)
    except TypeError:
        raise TypeError(f"{argument}={value!r} must be a column name or a sequence of column names.") from None
    if any(not isinstance(name, str) for name in names):
        raise TypeError(f"{argument}={value!r} must be a column name or a sequence of column names.")
    if len(set(names)) != len(names):
        raise ValueError(f"{argument}={value!r} names a column more than once; list each column once.")
    return names


def _check_fractions(val_fraction: float, test_fraction: float) -> None:
    for argument, value in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not 0 < value < 1:
            raise ValueError(f"{argument}={value!r} is out of range; use a fraction of the rows in (0, 1).")
    if val_fraction + test_fraction >= 1:
        raise ValueError(
            f"val_fraction={val_fraction!r} + test_fraction={test_fraction!r} leave no training rows; "
            f"make their sum smaller than 1."
        )


def _check_lengths(input_chunk_length: int, horizon: int) -> None:
    for argument, value in (("input_chunk_length", input_chunk_length), ("horizon", horizon)):
        if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{argument}={value!r} must be a positive integer.")


# Field separators seen in CSV files; a header line holding one of them but not ``sep`` means ``sep`` is wrong.
_SEPARATORS = (",", ";", "\t", "|")
# Numeric dates D/M/YYYY or M/D/YYYY (also with '.' or '-'); year-first ISO dates never match.
_NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{4}(?!\d)")
# A trailing UTC offset or zone designator, as pandas parses it ('Z', '+01:00', '+0100', 'UTC').
_UTC_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT)\s*$")
# A number written with a decimal comma, e.g. '3,14' or '-0,5'.
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d+,\d+\s*$")


def _check_csv_options(sep: str, decimal: str, dayfirst: bool, freq: str | None) -> None:
    if not isinstance(sep, str) or not sep:
        raise ValueError(f"sep={sep!r} must be a non-empty string, e.g. ',' or ';' or '\\t'.")
    if not isinstance(decimal, str) or len(decimal) != 1:
        raise ValueError(f"decimal={decimal!r} must be one character, e.g. '.' or ','.")
    if decimal == sep:
        raise ValueError(
            f"sep={sep!r} and decimal={decimal!r} are the same character; files with decimal commas separate "
            f"fields with ';' or a tab: pass e.g. sep=';', decimal=','."
        )
    if not isinstance(dayfirst, bool | np.bool_):
        raise ValueError(f"dayfirst={dayfirst!r} must be True (dates like 31/01/2024) or False (01/31/2024).")
    if freq is not None:
        try:
            pd.tseries.frequencies.to_offset(freq)
        except ValueError:
            raise ValueError(
                f"freq={freq!r} is not a pandas frequency string; use e.g. 'h', '15min', 'D' or 'W-MON'."
            ) from None


def _separator_hint(file: Path, sep: str, decimal: str) -> str:
    """A sentence naming the separator the header line suggests when it does not hold ``sep``, else ``""``."""
    try:
        with open(file, encoding="utf-8", errors="replace", newline="") as handle:
            header, first_row = handle.readline(), handle.readline()
    except OSError:
        return ""
    found = [candidate for candidate in _SEPARATORS if candidate != sep and candidate in header]
    if sep in header or not found:
        return ""
    guess = max(found, key=header.count)
    hint = f" The header line {header.strip()[:80]!r} holds {guess!r} but not sep={sep!r}: pass sep={guess!r}"
    if decimal != "," and any(_DECIMAL_COMMA.match(cell) for cell in first_row.split(guess)):
        hint += f" and decimal=',' (the first data row {first_row.strip()[:60]!r} has decimal commas)"
    return hint + "."


def _check_columns(frame: pd.DataFrame, time_col: str, target: list[str], past: list[str],
                   future: list[str], decimal: str = ".") -> None:
    both = sorted(set(past) & set(future))
    if both:
        raise ValueError(
            f"columns {both} are in both past_covariates and future_covariates; put each column in one of them "
            f"(future covariates are also seen over the input window)."
        )
    target_as_covariate = sorted(set(target) & set(past + future))
    if target_as_covariate:
        raise ValueError(
            f"target columns {target_as_covariate} are also listed as covariates; the target history is always "
            f"an input, so remove them from past_covariates / future_covariates."
        )
    for argument, names in (("time_col", [time_col]), ("target", target), ("past_covariates", past),
                            ("future_covariates", future)):
        missing = [name for name in names if name not in frame.columns]
        if missing:
            raise ValueError(
                f"{argument}: columns {missing} are not in the file; available columns: {list(frame.columns)}."
            )
    for argument, names in (("target", target), ("past_covariates", past), ("future_covariates", future)):
        non_numeric = {name: str(frame[name].dtype) for name in names
                       if not pd.api.types.is_numeric_dtype(frame[name])}
        if non_numeric:
            raise ValueError(
                f"{argument}: columns {non_numeric} are not numeric (column: dtype); encode them as numbers first, "
                f"e.g. one-hot with pandas.get_dummies, or fix unparseable values in the file."
                + _non_number_hint(frame[next(iter(non_numeric))], decimal)
            )


def _non_number_hint(column: pd.Series, decimal: str) -> str:
    """A sentence naming the first cell of ``column`` that is not a number, and ``decimal=`` if it would parse."""
    bad = (column.notna() & pd.to_numeric(column, errors="coerce").isna()).to_numpy()
    if not bad.any():
        return ""
    row = int(np.flatnonzero(bad)[0])
    value = column.iloc[row]
    hint = f" First such cell: {column.name!r} in row {row} (line {row + 2} of the file): {value!r}"
    other = "," if decimal == "." else "."
    try:
        if other not in str(value):
            raise ValueError
        float(str(value).strip().replace(other, ".", 1))
    except ValueError:
        return hint + "."
    return hint + f"; it reads as a number with decimal={other!r}: pass decimal={other!r}."


def _parse_time_index(frame: pd.DataFrame, time_col: str, freq: str | None,
                      dayfirst: bool = False) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex, bool]:
    """Parse ``time_col`` and check it against its (given or inferred) frequency.

    Returns the timestamp of each row, the regular index from the first to the last one, and whether UTC offsets
    were converted to UTC.
    """
    column = frame[time_col]
    if pd.api.types.is_numeric_dtype(column):  # to_datetime would read 0, 1, 2 as nanoseconds since 1970
        raise ValueError(
            f"time_col={time_col!r} holds numbers ({column.dtype}), not timestamps; write dates such as "
            f"2024-01-01 00:00 in the file, or convert the column first, e.g. pd.to_datetime(df[{time_col!r}], "
            f"unit='s') for Unix seconds."
        )
    empty = column.isna().to_numpy()
    if empty.any():
        raise ValueError(
            f"time_col={time_col!r} has {int(empty.sum())} empty cells (first in row {int(np.flatnonzero(empty)[0])}); "
            f"every row needs a timestamp: fill them in or delete those rows."
        )
    text = column.astype(str)
    ambiguous = _check_day_month(text, time_col, dayfirst)
    times, converted = _parse_timestamps(text, time_col, dayfirst)
    try:
        regular, failure = _regular_index(times, time_col, freq), None
    except ValueError as error:
        regular, failure = None, error
    if ambiguous and (regular is None or len(regular) != len(times)):
        # Every date reads both ways (day and month <= 12): say so when only the other reading is gap-free,
        # rather than report its symptoms (irregular steps, missing rows) or load a scrambled series.
        other, _ = _parse_timestamps(text, time_col, not dayfirst)
        try:
            other_fits = len(_regular_index(other, time_col, freq)) == len(other)
        except ValueError:
            other_fits = False
        if other_fits:
            row = int(np.flatnonzero(times != other)[0])
            raise ValueError(
                f"time_col={time_col!r}: {text.iloc[row]!r} (row {row}) is {times[row]:%Y-%m-%d} with "
                f"dayfirst={dayfirst} but {other[row]:%Y-%m-%d} with dayfirst={not dayfirst}; only the latter gives "
                f"a regular series without gaps: pass dayfirst={not dayfirst}."
            ) from failure
    if failure is not None:
        raise failure
    return times, regular, converted


def _check_day_month(text: pd.Series, time_col: str, dayfirst: bool) -> bool:
    """Refuse numeric dates that contradict ``dayfirst``; return whether every date reads both ways."""
    parts = text.str.extract(_NUMERIC_DATE)
    if parts.isna().to_numpy().any():  # not all D/M/YYYY-like: pandas' parser decides
        return False
    first, second = parts[0].astype(int).to_numpy(), parts[1].astype(int).to_numpy()
    # pandas would stop at the first such row, or, when the file starts with one, read the file against
    # ``dayfirst``: ask for the option that matches the file instead.
    month, order, fix = (first, "month/day/year", True) if not dayfirst else (second, "day/month/year", False)
    day = second if not dayfirst else first
    if month.max() > 12 and day.max() <= 12:
        row = int(np.flatnonzero(month > 12)[0])
        raise ValueError(
            f"time_col={time_col!r}: {text.iloc[row]!r} (row {row}) cannot be {order} with dayfirst={dayfirst} "
            f"(there is no month {month[row]}); the dates are {'day' if fix else 'month'}-first: pass dayfirst={fix}."
        )
    return bool(first.max() <= 12 and second.max() <= 12)


def _parse_timestamps(text: pd.Series, time_col: str, dayfirst: bool) -> tuple[pd.DatetimeIndex, bool]:
    """Time-zone-naive timestamps of ``text``, and whether UTC offsets were converted to UTC to get them."""

    def parse(utc: bool) -> pd.Series:
        with warnings.catch_warnings():
            # Mixed offsets (a DST change) are handled below; pandas' day-first notes are checked by the caller.
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", UserWarning)
            return pd.to_datetime(text, dayfirst=dayfirst, utc=utc, errors="coerce")

    try:
        parsed = parse(utc=False)
    except ValueError as error:  # newer pandas: mixed offsets need utc=True
        if "utc=True" not in str(error):
            raise ValueError(f"time_col={time_col!r}: values could not be parsed as timestamps ({error}).") from error
        parsed = None
    if parsed is None or parsed.dtype == object:  # several offsets, e.g. +01:00 / +02:00 across a DST change
        parsed = parse(utc=True)
    bad = parsed.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        value = text.iloc[row]
        hint = " (day-first dates need dayfirst=True)" if _NUMERIC_DATE.match(value) and not dayfirst else ""
        if bool(_UTC_OFFSET.search(value)) != bool(_UTC_OFFSET.search(text.iloc[0])):
            hint = " (one of them has a UTC offset, the other not)"
        raise ValueError(
            f"time_col={time_col!r}: {value!r} (row {row}, line {row + 2} of the file) could not be parsed as a "
            f"timestamp in the format of the first row, {text.iloc[0]!r}{hint}; write every timestamp in one "
            f"format, e.g. 2024-01-31 13:00, optionally with a UTC offset such as 2024-01-31T13:00:00+01:00."
        )
    converted = isinstance(parsed.dtype, pd.DatetimeTZDtype)
    if converted:
        # utc=True reads a timestamp without offset as UTC: refuse a mix rather than shift local times silently.
        without = (~text.str.contains(_UTC_OFFSET)).to_numpy()
        if without.any():
            row, first = int(np.flatnonzero(without)[0]), int(np.flatnonzero(~without)[0])
            raise ValueError(
                f"time_col={time_col!r}: {text.iloc[row]!r} (row {row}) has no UTC offset but "
                f"{text.iloc[first]!r} (row {first}) has one; write every timestamp with its offset, or none."
            )
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return pd.DatetimeIndex(parsed), converted


def _regular_index(times: pd.DatetimeIndex, time_col: str, freq: str | None) -> pd.DatetimeIndex:
    """The regular index at ``freq`` (inferred when ``None``) from the first to the last of ``times``."""
    duplicated = times[times.duplicated()]
    if len(duplicated):
        raise ValueError(
            f"time_col={time_col!r} has {len(duplicated)} duplicate timestamps (first: {duplicated[0]}); "
            f"keep one row per timestamp, e.g. aggregate the duplicates (local times repeated when clocks go back "
            f"are told apart by writing their UTC offsets, e.g. +02:00 / +01:00)."
        )
    if not times.is_monotonic_increasing:
        position = int(np.flatnonzero(np.diff(times.asi8) < 0)[0]) + 1
        raise ValueError(
            f"time_col={time_col!r} is not increasing: row {position} ({times[position]}) comes after "
            f"{times[position - 1]}; sort the file by {time_col!r}."
        )
    if freq is None:
        freq = pd.infer_freq(times) if len(times) >= 3 else None
        if freq is None:
            raise ValueError(
                f"time_col={time_col!r}: could not infer a regular frequency (timestamps missing or irregular: "
                f"{_irregular_step(times)}); pass freq= (e.g. freq='h'); missing timestamps then become NaN rows."
            )
    regular = pd.date_range(times[0], times[-1], freq=freq)
    off_grid = times.difference(regular)
    if len(off_grid):
        raise ValueError(
            f"freq={freq!r}: {len(off_grid)} timestamps of {time_col!r} are not on that grid (first: "
            f"{off_grid[0]}); pass the frequency the data is sampled at."
        )
    return regular


def _irregular_step(times: pd.DatetimeIndex) -> str:
    """Where ``times`` first leaves its most common step, in words."""
    if len(times) < 3:
        return f"only {len(times)} timestamps"
    steps = np.diff(times.asi8)
    usual = pd.Series(steps).mode().iloc[0]
    odd = np.flatnonzero(steps != usual)
    if not odd.size:
        return f"equal steps of {pd.Timedelta(int(usual))} that match no pandas frequency"
    row = int(odd[0]) + 1
    seen = (
        f"the usual step is {pd.Timedelta(int(usual))}, but row {row} ({times[row]}) comes "
        f"{pd.Timedelta(int(steps[row - 1]))} after {times[row - 1]}"
    )
    if pd.Timedelta(int(steps[row - 1] - usual)) == pd.Timedelta(hours=1):  # the gap clocks leave in spring
        seen += "; if these are local times, write them with UTC offsets (e.g. +02:00) to cross a DST change"
    return seen


def _resolve_modalities(modalities: Mapping[str, str | Sequence[str]] | None,
                        covariates: list[str]) -> dict[str, list[str]]:
    if modalities is None:
        return {name: [name] for name in covariates}
    resolved = {name: _as_name_list(f"modalities[{name!r}]", cols) for name, cols in modalities.items()}
    if _TARGET_MODALITY in resolved:
        raise ValueError(
            f"modalities: the name {_TARGET_MODALITY!r} is reserved for the target history; rename that modality."
        )
    seen: dict[str, str] = {}
    for name, columns in resolved.items():
        if not columns:
            raise ValueError(f"modalities[{name!r}] is empty; give it at least one covariate column.")
        for column in columns:
            if column not in covariates:
                raise ValueError(
                    f"modalities[{name!r}] names {column!r}, which is not a covariate; covariates are "
                    f"{covariates}; add it to past_covariates or future_covariates, or remove it."
                )
            if column in seen:
                raise ValueError(
                    f"modalities: column {column!r} is in both {seen[column]!r} and {name!r}; give it one modality."
                )
            seen[column] = name
    unassigned = [c for c in covariates if c not in seen]
    if unassigned:
        raise ValueError(
            f"modalities: covariate columns {unassigned} belong to no modality; add them to one, or drop them "
            f"from past_covariates / future_covariates."
        )
    return resolved


def _check_split_sizes(n_rows: int, val_row: int, test_row: int, input_chunk_length: int, horizon: int) -> None:
    needs = {
        "train": (val_row, input_chunk_length + horizon, "input_chunk_length + horizon"),
        "validation": (test_row - val_row, horizon, "horizon"),
        "test": (n_rows - test_row, horizon, "horizon"),
    }
    for split, (size, need, rule) in needs.items():
        if size < need:
            raise ValueError(
                f"the {split} split has {size} rows but needs at least {need} ({rule}, with "
                f"input_chunk_length={input_chunk_length}, horizon={horizon}); use a longer file, smaller "
                f"input_chunk_length / horizon, or other val_fraction / test_fraction."
            )


def _check_magnitudes(frame: pd.DataFrame, targets: list[str]) -> None:
    """Refuse values beyond ``MAX_ABS_INPUT``: their square overflows the scaler's variance (1e300 turns the whole
    column into NaN) or a single one squashes the rest of its column to a constant."""
    huge = (frame.abs() > MAX_ABS_INPUT).to_numpy()
    if not huge.any():
        return
    rows, cols = np.nonzero(huge)
    first = int(np.argmin(cols * len(frame) + rows))  # first row of the first column holding one
    column, row = frame.columns[cols[first]], int(rows[first])
    counts = {col: int(n) for col, n in zip(frame.columns, huge.sum(axis=0), strict=True) if n}
    fixes = []
    if any(col not in targets for col in counts):
        fixes.append("in covariate columns set such cells empty (NaN) so they are treated as missing")
    if any(col in targets for col in counts):
        fixes.append("in target columns correct them (the target may not be missing)")
    raise ValueError(
        f"columns {counts} hold values beyond {MAX_ABS_INPUT:g} in magnitude (column: count), first {column!r} "
        f"at {frame.index[row]}: {frame[column].iloc[row]:g}; they cannot be scaled (corrupt, or in the wrong "
        f"unit): {', and '.join(fixes)}, or rescale the column, before loading."
    )


def _check_covariates_in_train(frame: pd.DataFrame, val_row: int, past: list[str], future: list[str],
                               held_out: float, has_modalities: bool) -> None:
    """Refuse a covariate without any value in the train rows: the scaler, fitted there, would turn it all NaN."""
    for argument, columns in (("past_covariates", past), ("future_covariates", future)):
        for column in columns:
            present = np.flatnonzero(frame[column].notna().to_numpy())
            if present.size and present[0] < val_row:
                continue
            drop = f"drop {column!r} from {argument}" + (" and modalities" if has_modalities else "")
            if not present.size:
                raise ValueError(f"{argument}: column {column!r} has no value in any row; {drop}.")
            # The train rows reach row present[0] once 1 - val_fraction - test_fraction >= (present[0] + 1) / n.
            limit = math.floor((1 - (present[0] + 1) / len(frame)) * 1000) / 1000
            move = (f", or move the split so the train rows hold some of them: make val_fraction + "
                    f"test_fraction (now {held_out:g}) at most {limit:g}" if limit > 0 else "")
            raise ValueError(
                f"{argument}: column {column!r} has no value in the {val_row} train rows ({frame.index[0]} .. "
                f"{frame.index[val_row - 1]}), where the scaler is fitted, so it cannot be scaled; its "
                f"{present.size} values are in rows {present[0]}..{present[-1]} ({frame.index[present[0]]} .. "
                f"{frame.index[present[-1]]}). Fix: {drop}{move}."
            )


def load_csv(
    path: str | os.PathLike,
    time_col: str,
    target: str | Sequence[str],
    *,
    past_covariates: str | Sequence[str] = (),
    future_covariates: str | Sequence[str] = (),
    modalities: Mapping[str, str | Sequence[str]] | None = None,
    input_chunk_length: int,
    horizon: int,
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
    freq: str | None = None,
    name: str | None = None,
    sep: str = ",",
    decimal: str = ".",
    dayfirst: bool = False,
    interpolate_target: bool = False,
) -> ForecastingTask:
    """Turn a user's wide CSV (one row per timestamp) into a :class:`ForecastingTask`.

    The split is chronological by rows: train = first ``int((1 - val_fraction - test_fraction) n)`` rows, test
    = last ``int(test_fraction n)`` rows, validation = the rest. A ``StandardScaler`` is fitted on the train
    rows only (NaN ignored) and applied to the target and all covariates. Covariates may hold NaN (a model can
    treat it as missing data), but each needs at least one value in the train rows; the target may not. Values
    beyond ``1e15`` in magnitude (the bound :class:`~pf_forecast.ProgressiveFusionForecaster` applies to its inputs)
    are refused as corrupt or unscaled.

    Parameters
    ----------
    path
        The CSV file.
    time_col
        Column of timestamps, strictly increasing. Timestamps written with UTC offsets (e.g. local times
        ``2024-03-31T01:00:00+01:00``, ``2024-03-31T03:00:00+02:00`` across a daylight-saving change) are
        converted to UTC automatically, so the time axis is regular; the protocol says when this happened.
    target
        Target column name(s).
    past_covariates, future_covariates
        Covariate column names; future covariates must be known over the forecast horizon.
    modalities
        Modality name -> covariate columns, covering each covariate exactly once. ``None``: one modality per
        covariate column.
    input_chunk_length, horizon
        Input window and forecast horizon; every split must fit at least one window.
    val_fraction, test_fraction
        Fractions of the rows for validation and test, in (0, 1) with a sum below 1.
    freq
        pandas frequency string; ``None`` infers it. With an explicit ``freq`` missing timestamps become NaN
        rows (an error if that leaves NaN in the target).
    name
        Task name; defaults to the file's stem.
    sep
        Field separator, passed to :func:`pandas.read_csv`, e.g. ``";"`` for files written with decimal commas
        or ``"\t"``.
    decimal
        Decimal mark of the numbers, passed to :func:`pandas.read_csv`: ``"."`` or ``","`` (``3,14``).
    dayfirst
        Whether numeric dates are day-first (``31/01/2024``) rather than month-first (``01/31/2024``), passed
        to :func:`pandas.to_datetime`. Dates that contradict it are refused, as are dates that read both ways
        (day and month at most 12) where only the other reading gives a regular series.
    interpolate_target
        ``False`` (default): a target row without a value is an error naming the rows. ``True``: gaps inside the
        target are filled by linear interpolation in time (they are then also scored as actual values where they
        fall in the test rows); the count is in ``task.info["target_interpolated"]`` and the protocol. Gaps at
        the start or end of the file are still an error (drop those rows).

    Returns
    -------
    ForecastingTask

    Raises
    ------
    FileNotFoundError
        If ``path`` is not a file.
    ValueError
        For missing, duplicated, non-numeric or doubly-assigned columns, a header that suggests another ``sep``,
        numbers that suggest another ``decimal``, bad or mixed timestamps, dates that suggest another
        ``dayfirst``, bad fractions, splits too short for ``input_chunk_length + horizon``, NaN in the target,
        values beyond ``1e15`` in magnitude, a covariate without any value in the train rows, or a modality
        naming a non-covariate.

    Examples
    --------
    >>> import numpy as np, pandas as pd, tempfile, os
    >>> from pf_forecast.data import load_csv
    >>> frame = pd.DataFrame({"time": pd.date_range("2024-01-01", periods=400, freq="h"),
    ...                       "load": np.arange(400.0), "temp": np.sin(np.arange(400.0))})
    >>> csv = os.path.join(tempfile.mkdtemp(), "load.csv")
    >>> frame.to_csv(csv, index=False)
    >>> task = load_csv(csv, "time", "load", past_covariates=["temp"], input_chunk_length=48, horizon=12)
    >>> task.split_index(), task.modalities
    ((280, 320), {'temp': ['temp']})
    """
    file = Path(path).expanduser()
    if not file.is_file():
        raise FileNotFoundError(f"path={str(path)!r} is not a file; pass the path of an existing CSV file.")
    targets = _as_name_list("target", target)
    past = _as_name_list("past_covariates", past_covariates)
    future = _as_name_list("future_covariates", future_covariates)
    _check_fractions(val_fraction, test_fraction)
    _check_lengths(input_chunk_length, horizon)
    _check_csv_options(sep, decimal, dayfirst, freq)

    try:
        raw = pd.read_csv(file, sep=sep, decimal=decimal)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ValueError(
            f"path={str(path)!r} could not be read as a CSV file ({type(error).__name__}: {error}); pass a "
            f"UTF-8 text file with a header row, its fields separated by sep={sep!r}."
            + _separator_hint(file, sep, decimal)
        ) from error
    if raw.empty:
        raise ValueError(f"path={str(path)!r} has a header but no data rows; pass a file with data.")
    if time_col not in raw.columns and (hint := _separator_hint(file, sep, decimal)):
        raise ValueError(
            f"time_col={time_col!r} is not a column of path={str(path)!r}: with sep={sep!r} its header reads as "
            f"the columns {[str(c)[:80] for c in raw.columns[:5]]}.{hint}"
        )
    _check_columns(raw, time_col, targets, past, future, decimal)
    resolved_modalities = _resolve_modalities(modalities, past + future)
    times, index, converted_to_utc = _parse_time_index(raw, time_col, freq, dayfirst)
    frame = (
        raw[[*targets, *past, *future]].astype(np.float64)
        .set_index(times)
        .reindex(index)  # an explicit freq may reveal missing timestamps: they become NaN rows
    )
    infinite = {col: int(n) for col, n in np.isinf(frame).sum().items() if n}
    if infinite:
        raise ValueError(
            f"columns {infinite} hold infinite values (column: count); replace them with finite values, or with "
            f"empty cells / NaN in covariate columns (missing values), before loading."
        )
    _check_magnitudes(frame, targets)
    if not isinstance(interpolate_target, bool | np.bool_):
        raise ValueError(f"interpolate_target={interpolate_target!r} must be True or False.")
    frame, n_interpolated = _target_gaps(frame, targets, bool(interpolate_target))

    train_fraction = round(1.0 - val_fraction - test_fraction, 12)  # avoid 0.7000000000000001-style rounding
    val_row, test_row = _split_rows(len(frame), train_fraction, test_fraction)
    _check_split_sizes(len(frame), val_row, test_row, input_chunk_length, horizon)
    _check_covariates_in_train(frame, val_row, past, future, val_fraction + test_fraction, modalities is not None)
    scaler, scaled = _fit_standard_scaler(frame, val_row)

    track = "+".join(kind for kind, cols in (("past", past), ("future", future)) if cols) or "target-only"
    protocol = (
        f"User CSV {file.name}: target {targets}; past covariates {past}; future covariates {future}; "
        f"modalities {resolved_modalities}. Chronological split {train_fraction:g}/{val_fraction:g}/"
        f"{test_fraction:g} by rows; StandardScaler fitted on the train rows of all columns. "
        + ("Timestamps with UTC offsets converted to UTC. " if converted_to_utc else "")
        + (f"{n_interpolated} target values interpolated linearly in time. " if n_interpolated else "")
        + _window_protocol(len(frame), val_row, test_row, frame.index, input_chunk_length, horizon)
    )
    return ForecastingTask(
        name=name or file.stem,
        track=track,
        series=_to_series(scaled[targets]),
        past_covariates=_to_series(scaled[past]) if past else None,
        future_covariates=_to_series(scaled[future]) if future else None,
        modalities=resolved_modalities,
        input_chunk_length=input_chunk_length,
        horizon=horizon,
        val_start=frame.index[val_row],
        test_start=frame.index[test_row],
        protocol=protocol,
        scaler=scaler,
        info={"source": file, "target_interpolated": n_interpolated},
    )


def _target_gaps(frame: pd.DataFrame, targets: list[str], interpolate: bool) -> tuple[pd.DataFrame, int]:
    """Refuse target rows without a value, naming them, or fill the inner ones by time interpolation."""
    missing = frame[targets].isna()
    rows = missing.any(axis=1).to_numpy()
    if not rows.any():
        return frame, 0
    stamps = [str(t) for t in frame.index[rows][:3]]
    where = f"{int(rows.sum())} rows have no value (at {', '.join(stamps)}{', ...' if rows.sum() > 3 else ''})"
    if not interpolate:
        raise ValueError(
            f"target {targets}: {where}; darts targets must be finite. Pass interpolate_target=True (command line: "
            f"--interpolate-target) to fill gaps inside the series linearly in time, or fill or drop those rows."
        )
    filled = frame.copy()
    filled[targets] = frame[targets].interpolate(method="time", limit_area="inside")
    edge = filled[targets].isna().any(axis=1).to_numpy()
    if edge.any():
        raise ValueError(
            f"target {targets}: {int(edge.sum())} rows at the start or end have no value (first at "
            f"{frame.index[edge][0]}); interpolation only fills gaps between values: drop those rows."
        )
    return filled, int(missing.to_numpy().sum())


# --------------------------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------------------------

#: Task name -> loader; every loader accepts ``data_dir=`` (and its own keyword arguments).
TASKS: dict[str, Callable[..., ForecastingTask]] = {
    **{f"epf-{market}": partial(load_epf, market) for market in EPF_MARKETS},
    "stocks": load_stocks,
    "beijing": load_beijing_pm25,
    "etth1": load_etth1,
}


def load_task(name: str, **kwargs: Any) -> ForecastingTask:
    """Load a built-in task by name.

    Parameters
    ----------
    name
        A key of :data:`TASKS`: ``"epf-NP"``, ``"epf-PJM"``, ``"epf-BE"``, ``"epf-FR"``, ``"epf-DE"``,
        ``"stocks"``, ``"beijing"``, ``"etth1"``.
    **kwargs
        Passed to the loader, e.g. ``track="future"`` or ``data_dir=...``.

    Returns
    -------
    ForecastingTask

    Examples
    --------
    >>> from pf_forecast.data import load_task
    >>> load_task("beijing", track="oracle").future_covariates is not None
    True
    """
    _check_choice("name", name, TASKS)
    return TASKS[name](**kwargs)
