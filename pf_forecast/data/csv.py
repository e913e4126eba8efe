"""Users' own data: :func:`load_csv` turns a wide CSV file into a :class:`~pf_forecast.data.ForecastingTask`.

Most of this module is checks: each mistake a CSV file or a call can make (separator, decimal mark, day-first
dates, UTC offsets, gaps, duplicates, huge values, a covariate without train values) is refused early, with the
argument, the value seen and the fix. The modality mapping is validated by :mod:`pf_forecast.modalities`, as the
model does it; the task is made by the loaders' shared :func:`~pf_forecast.data.task.build_task`.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pf_forecast._checks import MAX_ABS_INPUT, check_float, check_int
from pf_forecast.data.task import ForecastingTask, _split_rows, build_task
from pf_forecast.modalities import TARGET_MODALITY, resolve_modalities, validate_modalities_spec

__all__ = ["load_csv"]


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
        check_float(argument, value, 0, 1, low_open=True, high_open=True, about="a fraction of the rows")
    if val_fraction + test_fraction >= 1:
        raise ValueError(
            f"val_fraction={val_fraction!r} + test_fraction={test_fraction!r} leave no training rows; "
            f"make their sum smaller than 1."
        )


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


def _resolve_modalities(modalities: Mapping[str, str | Sequence[str]] | None, targets: list[str], past: list[str],
                        future: list[str]) -> dict[str, list[str]]:
    """Modality name -> covariate columns, checked by :func:`pf_forecast.modalities.resolve_modalities` as the model
    checks it at fit (every covariate in exactly one modality, each modality from one source, none named
    ``"target"``); ``None`` gives one modality per covariate. A single column may be written as a string."""
    spec = None
    if modalities is not None:
        if isinstance(modalities, Mapping):
            modalities = {name: [cols] if isinstance(cols, str) else cols for name, cols in modalities.items()}
        spec = validate_modalities_spec(modalities)
    resolved = resolve_modalities(spec, targets, past, future)
    # the user's order first (resolve_modalities puts past modalities before future ones)
    names = [*(spec or {}), *(name for name in resolved if name not in (spec or {}) and name != TARGET_MODALITY)]
    return {name: list(resolved[name].components) for name in names}


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
        Modality name -> covariate columns, covering each covariate exactly once, each modality drawing from the
        past or the future covariates (not both), as :class:`~pf_forecast.ProgressiveFusionForecaster` requires;
        checked by :func:`pf_forecast.resolve_modalities`. ``None``: one modality per covariate column.
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
        naming a non-covariate or mixing past and future covariates.
    TypeError
        For column arguments or a ``modalities`` mapping that do not hold column names.

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
    for argument, value in (("input_chunk_length", input_chunk_length), ("horizon", horizon)):
        check_int(argument, value, low=1)
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
    resolved_modalities = _resolve_modalities(modalities, targets, past, future)
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

    track = "+".join(kind for kind, cols in (("past", past), ("future", future)) if cols) or "target-only"
    protocol = (
        f"User CSV {file.name}: target {targets}; past covariates {past}; future covariates {future}; "
        f"modalities {resolved_modalities}. Chronological split {train_fraction:g}/{val_fraction:g}/"
        f"{test_fraction:g} by rows; StandardScaler fitted on the train rows of all columns. "
        + ("Timestamps with UTC offsets converted to UTC. " if converted_to_utc else "")
        + (f"{n_interpolated} target values interpolated linearly in time. " if n_interpolated else "")
    )
    return build_task(
        frame,
        name=name or file.stem,
        track=track,
        target=targets,
        past=past,
        future=future,
        modalities=resolved_modalities,
        input_chunk_length=input_chunk_length,
        horizon=horizon,
        val_row=val_row,
        test_row=test_row,
        protocol=protocol,
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
