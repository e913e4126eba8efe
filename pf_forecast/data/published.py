"""Loaders for the real multimodal datasets shipped in ``datasets/``, each applying its published protocol.

Every loader reads its file, prepares one frame and hands it to :func:`~pf_forecast.data.task.build_task`, which
scales it, makes the darts series and writes the protocol text; the loaders differ only in what the protocol
prescribes (columns, split, scaling, covariate track).

The data cards (provenance, licence, citation, columns) are in ``datasets/README.md``.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pf_forecast._checks import check_choice
from pf_forecast.data.task import ForecastingTask, _fixed_scaler, _split_rows, build_task

__all__ = [
    "DATA_ENV_VAR",
    "EPF_MARKETS",
    "FEV_WINDOWS",
    "TASKS",
    "find_datasets_dir",
    "load_beijing_pm25",
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
    candidates.append(("source checkout", Path(__file__).resolve().parents[2] / "datasets"))
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


def _regular_hourly_index(times: pd.Series, source: Path) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex(times)
    if pd.infer_freq(index) != "h":
        raise ValueError(f"{source}: expected a gap-free hourly time index; the file may be damaged.")
    return pd.DatetimeIndex(index, freq="h")



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
    check_choice("market", market, EPF_MARKETS)
    check_choice("track", track, ("past", "future", "fev"))
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
        protocol = (
            f"EPF {market}, fev-bench protocol (task epf_{market.lower()}). Target OT (day-ahead price); exogenous "
            f"{covariate_names} as future covariates (day-ahead forecasts, known over the horizon), one modality "
            f"each. Test: the last {FEV_WINDOWS} windows of {_EPF_HORIZON} h (step {_EPF_HORIZON}), each forecast "
            f"from the full history before its cutoff; one fit on the rows before the first cutoff, the last 10% "
            f"of them for validation (early stopping). StandardScaler fitted on the train rows, scores in the "
            f"original price units: SQL (quantile levels 0.1..0.9) and MASE scaled by the seasonal (24 h) naive "
            f"error of each window's history. "
        )
        protocol_end = ""
    else:
        val_row, test_row = _split_rows(len(frame), train_fraction=0.7, test_fraction=0.2)
        kind = "past" if track == "past" else "future (day-ahead forecasts, known over the horizon)"
        protocol = (
            f"EPF {market} (Lago et al. 2021), TimeXer protocol. Target OT (day-ahead price); exogenous "
            f"{covariate_names} as {kind} covariates, one modality each. StandardScaler fitted on the train rows "
            f"of all columns, applied to all. "
        )
        protocol_end = " Metrics: MSE / MAE on the standardized target over every window and step."
    return build_task(
        frame,
        name=f"epf-{market}",
        track=track,
        target=["OT"],
        past=covariate_names if track == "past" else (),
        future=covariate_names if track != "past" else (),
        modalities={_modality_slug(c): [c] for c in covariate_names},
        input_chunk_length=_EPF_INPUT,
        horizon=_EPF_HORIZON,
        val_row=val_row,
        test_row=test_row,
        protocol=protocol,
        protocol_end=protocol_end,
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
    check_choice("target", target, available)
    if not inputs or len(set(inputs)) != len(inputs):
        raise ValueError(f"inputs={inputs!r} must name at least one ticker, each once; choose from {available}.")
    for i, ticker in enumerate(inputs):
        check_choice(f"inputs[{i}]", ticker, available)

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
    covariate_names = [f"{ticker}_return" for ticker in inputs]
    target_name = f"{target}_sq_return"
    frame = returns[inputs].set_axis(covariate_names, axis=1).assign(**{target_name: squared})
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
    return build_task(
        frame.set_index(steps),
        name="stocks" if default else f"stocks-{target}-from-{'-'.join(inputs)}",
        track="past",
        target=[target_name],
        past=covariate_names,
        modalities={ticker: [f"{ticker}_return"] for ticker in inputs},
        input_chunk_length=_STOCKS_WINDOW,
        horizon=1,
        val_row=val_start,
        test_row=test_start,
        protocol=protocol,
        describe_windows=False,  # the text above counts windows of the MultiBench split
        scaler=_fixed_scaler([*covariate_names, target_name], [input_scale] * len(inputs) + [target_scale],
                             val_start),
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
    check_choice("track", track, ("past", "oracle"))
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
    frame = pd.concat([raw[numeric_columns].astype(np.float64), wind_direction], axis=1)

    imputed = frame["pm2.5"].isna()
    logger.info("Beijing PM2.5: filled %d missing target values by time interpolation", int(imputed.sum()))
    covariate_names = [c for cols in modalities.values() for c in cols]
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
        f"0/1). "
    )
    return build_task(
        frame,
        name="beijing",
        track=track,
        target=["pm2.5"],
        past=covariate_names if track == "past" else (),
        future=covariate_names if track == "oracle" else (),
        modalities=modalities,
        input_chunk_length=_BEIJING_INPUT,
        horizon=_BEIJING_HORIZON,
        val_row=val_row,
        test_row=test_row,
        protocol=protocol,
        scaled_columns=numeric_columns,  # the one-hot wind directions stay 0 / 1
        # the scaler is fitted on the observed targets only; the gaps are filled in the scaled space
        after_scaling=lambda scaled: scaled.assign(**{"pm2.5": scaled["pm2.5"].interpolate(method="time")}),
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
    protocol = (
        f"ETTh1 (Zhou et al. 2021), standard ETT split of 12/4/4 months; rows after {end_row} "
        f"({len(raw) - end_row}) are not used. Target OT; past covariates high (HUFL, HULL), middle (MUFL, MULL), "
        f"low (LUFL, LULL). StandardScaler fitted on the train rows of all columns. "
    )
    return build_task(
        frame,
        name="etth1",
        track="past",
        target=["OT"],
        past=covariate_names,
        modalities=modalities,
        input_chunk_length=_ETT_INPUT,
        horizon=_ETT_HORIZON,
        val_row=val_row,
        test_row=test_row,
        protocol=protocol,
        info={"source": path},
    )


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
    check_choice("name", name, TASKS)
    return TASKS[name](**kwargs)
