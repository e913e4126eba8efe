"""Regression tests for ``load_csv``: r04 (covariates silently wiped by the scaler) and r10 (CSV dialects:
separator, decimal comma, day-first dates, UTC offsets)."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pf_forecast.data import load_csv

KW = {"input_chunk_length": 24, "horizon": 6}


def _frame(n_rows: int = 300, start: str = "2024-01-01") -> pd.DataFrame:
    steps = np.arange(n_rows, dtype=np.float64)
    return pd.DataFrame({
        "time": pd.date_range(start, periods=n_rows, freq="h"),
        "load": 10 + np.sin(steps / 5),
        "temp": np.cos(steps / 7),
    })


def _write(frame: pd.DataFrame, tmp_path: Path, **to_csv) -> Path:
    path = tmp_path / "user.csv"
    frame.to_csv(path, index=False, **to_csv)
    return path


def _load(path: Path, **overrides):
    return load_csv(path, "time", "load", **{"past_covariates": ["temp"], **KW, **overrides})


# ------------------------------------------------------------------------------------------------------------
# r04: a covariate silently turned all-NaN
# ------------------------------------------------------------------------------------------------------------


def test_r04_huge_covariate_cell_is_refused_naming_column_row_value_and_fix(tmp_path):
    frame = _frame()
    frame.loc[10, "temp"] = 1e300  # its square overflows the scaler's variance: the column became all NaN
    path = _write(frame, tmp_path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match=r"columns \{'temp': 1\} hold values beyond 1e\+15") as error:
        _load(path)
    message = str(error.value)
    for part in ("'temp' at 2024-01-01 10:00:00: 1e+300", "set such cells empty (NaN)", "treated as missing"):
        assert part in message
    assert path.read_bytes() == before


@pytest.mark.parametrize(("column", "value", "fix"), [
    ("temp", -1e30, "in covariate columns set such cells empty"),
    ("load", 2e15, "in target columns correct them"),
])
def test_r04_values_beyond_the_model_bound_are_refused(tmp_path, column, value, fix):
    frame = _frame()
    frame.loc[3, column] = value
    with pytest.raises(ValueError, match=rf"\{{'{column}': 1\}} hold values beyond 1e\+15") as error:
        _load(_write(frame, tmp_path))
    assert fix in str(error.value) and "2024-01-01 03:00:00" in str(error.value)
    frame.loc[3, column] = np.sign(value) * 1e15  # the bound itself is accepted, as by the model
    task = _load(_write(frame, tmp_path))
    assert np.isfinite(task.series.values()).all() and np.isfinite(task.past_covariates.values()).all()


def test_r04_covariate_empty_over_the_train_rows_is_refused_and_the_advice_works(tmp_path):
    frame = _frame()
    frame["temp"] = frame["temp"].where(frame.index > 210)  # values only in rows 211..299 (validation / test)
    path = _write(frame, tmp_path)
    with pytest.raises(ValueError, match=r"past_covariates: column 'temp' has no value in the 210 train rows") as error:
        _load(path)
    message = str(error.value)
    for part in ("rows 211..299", "2024-01-09 19:00:00 .. 2024-01-13 11:00:00", "drop 'temp' from past_covariates",
                 "val_fraction + test_fraction (now 0.3) at most 0.293"):
        assert part in message, part
    task = _load(path, val_fraction=0.093, test_fraction=0.2)  # the sum the message asks for
    values = task.past_covariates.values()
    assert int(np.isfinite(values).sum()) == 89  # every value kept, none wiped


def test_r04_covariate_without_any_value_is_refused(tmp_path):
    frame = _frame().assign(f=np.nan)
    with pytest.raises(ValueError, match=r"future_covariates: column 'f' has no value in any row; drop 'f' from "
                                         r"future_covariates and modalities"):
        load_csv(_write(frame, tmp_path), "time", "load", past_covariates=["temp"], future_covariates=["f"],
                 modalities={"weather": ["temp"], "forecast": ["f"]}, **KW)


# ------------------------------------------------------------------------------------------------------------
# r10: CSV dialects
# ------------------------------------------------------------------------------------------------------------


def test_r10_options_are_keyword_only_with_the_documented_defaults():
    parameters = inspect.signature(load_csv).parameters
    for name, default in (("sep", ","), ("decimal", "."), ("dayfirst", False)):
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY and parameters[name].default == default
        assert f"    {name}\n" in load_csv.__doc__


def test_r10_semicolon_file_error_names_the_header_and_the_options(tmp_path):
    path = _write(_frame(), tmp_path, sep=";", decimal=",")
    with pytest.raises(ValueError, match=r"time_col='time' is not a column") as error:
        _load(path)
    message = str(error.value)
    assert "'time;load;temp'" in message and "pass sep=';' and decimal=','" in message


def test_r10_semicolon_decimal_comma_file_loads_with_sep_and_decimal(tmp_path):
    reference = _load(_write(_frame(), tmp_path))
    (tmp_path / "eu").mkdir()
    task = _load(_write(_frame(), tmp_path / "eu", sep=";", decimal=","), sep=";", decimal=",")
    np.testing.assert_allclose(task.series.values(), reference.series.values(), rtol=1e-6)
    np.testing.assert_allclose(task.past_covariates.values(), reference.past_covariates.values(), rtol=1e-6)


def test_r10_forgotten_decimal_names_the_cell_and_the_option(tmp_path):
    path = _write(_frame(), tmp_path, sep=";", decimal=",")
    with pytest.raises(ValueError, match=r"target: columns \{'load': 'object'\} are not numeric") as error:
        _load(path, sep=";")
    assert "'load' in row 0 (line 2 of the file): '10,0'" in str(error.value)
    assert "pass decimal=','" in str(error.value)


def test_r10_tab_separated_file_error_names_sep(tmp_path):
    with pytest.raises(ValueError, match=r"holds '\\t' but not sep=',': pass sep='\\t'"):
        _load(_write(_frame(), tmp_path, sep="\t"))


@pytest.mark.parametrize(("overrides", "message"), [
    ({"sep": ""}, r"sep='' must be a non-empty string"),
    ({"decimal": ".."}, r"decimal='\.\.' must be one character"),
    ({"decimal": ","}, r"sep=',' and decimal=',' are the same character.*sep=';', decimal=','"),
    ({"dayfirst": "yes"}, r"dayfirst='yes' must be True"),
])
def test_r10_bad_option_values_are_refused(tmp_path, overrides, message):
    with pytest.raises(ValueError, match=message):
        _load(_write(_frame(), tmp_path), **overrides)


def _day_first(frame: pd.DataFrame, fmt: str = "%d/%m/%Y %H:%M") -> pd.DataFrame:
    return frame.assign(time=frame["time"].dt.strftime(fmt))


@pytest.mark.parametrize(("start", "row"), [("2024-01-01", 288), ("2024-01-13", 0)])
def test_r10_day_first_dates_error_names_the_value_and_dayfirst(tmp_path, start, row):
    path = _write(_day_first(_frame(400, start)), tmp_path)
    with pytest.raises(ValueError, match=rf"'13/01/2024 00:00' \(row {row}\) cannot be month/day/year.*"
                                         r"pass dayfirst=True"):
        _load(path)


def test_r10_dayfirst_true_reads_day_first_dates(tmp_path):
    task = _load(_write(_day_first(_frame(400)), tmp_path), dayfirst=True)
    assert task.series.time_index.equals(pd.date_range("2024-01-01", periods=400, freq="h"))


def test_r10_month_first_dates_with_dayfirst_true_are_refused(tmp_path):
    path = _write(_day_first(_frame(400, "2024-01-13"), "%m/%d/%Y %H:%M"), tmp_path)
    with pytest.raises(ValueError, match=r"'01/13/2024 00:00' \(row 0\) cannot be day/month/year.*dayfirst=False"):
        _load(path, dayfirst=True)


@pytest.mark.parametrize("freq", [None, "h"])
def test_r10_ambiguous_day_first_dates_are_not_misread(tmp_path, freq):
    # 1..10 January: every day and month is <= 12, so month-first parsing "succeeds" with Feb 1, Mar 1, ...
    path = _write(_day_first(_frame(240)), tmp_path)
    with pytest.raises(ValueError, match=r"'02/01/2024 00:00' \(row 24\) is 2024-02-01 with dayfirst=False but "
                                         r"2024-01-02 with dayfirst=True.*pass dayfirst=True"):
        _load(path, freq=freq)


def test_r10_local_times_with_dst_offsets_are_converted_to_utc(tmp_path):
    local = pd.date_range("2024-03-20", periods=400, freq="h", tz="Europe/Paris")  # crosses 31 March (+01 -> +02)
    frame = _frame(400).assign(time=local.map(lambda stamp: stamp.isoformat()))
    assert {"+01:00", "+02:00"} <= {stamp[-6:] for stamp in frame["time"]}
    task = _load(_write(frame, tmp_path))
    assert task.series.time_index.equals(pd.DatetimeIndex(local.tz_convert("UTC").tz_localize(None), freq="h"))
    np.testing.assert_allclose(task.inverse_transform(task.series).values()[:, 0], frame["load"], rtol=1e-5)
    assert "converted to UTC" in task.protocol


def test_r10_offsets_mixed_with_naive_timestamps_are_refused(tmp_path):
    frame = _frame(400).astype({"time": str})
    frame["time"] = pd.date_range("2024-03-20", periods=400, freq="h", tz="Europe/Paris").map(lambda s: s.isoformat())
    frame.loc[5, "time"] = "2024-03-20T05:00:00"
    with pytest.raises(ValueError, match=r"'2024-03-20T05:00:00' \(row 5, line 7 of the file\).*UTC offset"):
        _load(_write(frame, tmp_path))


def test_r10_unparsable_timestamp_is_named_with_its_row(tmp_path):
    frame = _frame().astype({"time": str})
    frame.loc[7, "time"] = "yesterday"
    with pytest.raises(ValueError, match=r"time_col='time': 'yesterday' \(row 7, line 9 of the file\) could not be "
                                         r"parsed"):
        _load(_write(frame, tmp_path))


def test_r10_irregular_axis_error_names_the_step_it_saw(tmp_path):
    with pytest.raises(ValueError, match=r"could not infer a regular frequency .*row 7 \(2024-01-01 08:00:00\) comes "
                                         r"0 days 02:00:00 after 2024-01-01 06:00:00.*UTC offsets"):
        _load(_write(_frame().drop(index=[7]), tmp_path))


# ---------------------------------------------------------------------------------------------------------------
# NaN in the target: an error naming the rows and the option, or explicit interpolation
# ---------------------------------------------------------------------------------------------------------------
def _target_gap_csv(tmp_path, rows) -> str:
    t = np.arange(300.0)
    frame = pd.DataFrame({"time": pd.date_range("2024-01-01", periods=300, freq="h"), "load": 10 + np.sin(t / 5),
                          "temp": np.cos(t / 7)})
    frame.loc[rows, "load"] = np.nan
    path = tmp_path / "target_gaps.csv"
    frame.to_csv(path, index=False)
    return str(path)


def test_target_gaps_error_names_rows_and_the_interpolation_option(tmp_path):
    path = _target_gap_csv(tmp_path, [40, 41, 100])
    with pytest.raises(ValueError, match=r"3 rows have no value \(at 2024-01-02 16:00:00, 2024-01-02 17:00:00, "
                                         r"2024-01-05 04:00:00\).*interpolate_target=True.*--interpolate-target"):
        load_csv(path, "time", "load", past_covariates=["temp"], input_chunk_length=24, horizon=6)


def test_interpolate_target_fills_inner_gaps_linearly_and_says_so(tmp_path):
    path = _target_gap_csv(tmp_path, [40, 41, 100])
    task = load_csv(path, "time", "load", past_covariates=["temp"], input_chunk_length=24, horizon=6,
                    interpolate_target=True)
    values = task.inverse_transform(task.series).values()[:, 0]
    raw = pd.read_csv(path)["load"].to_numpy()
    assert np.isfinite(values).all() and task.info["target_interpolated"] == 3
    np.testing.assert_allclose(values[40], raw[39] + (raw[42] - raw[39]) / 3, rtol=1e-5)
    assert "3 target values interpolated" in task.protocol


def test_interpolate_target_does_not_invent_values_at_the_edges(tmp_path):
    path = _target_gap_csv(tmp_path, [0, 1])
    with pytest.raises(ValueError, match=r"2 rows at the start or end have no value.*drop those rows"):
        load_csv(path, "time", "load", past_covariates=["temp"], input_chunk_length=24, horizon=6,
                 interpolate_target=True)
