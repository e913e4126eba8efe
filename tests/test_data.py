"""Protocol tests for the dataset loaders in pf_forecast.data.

Each built-in loader reads a CSV of a few MB, so every task is loaded once per module (module-scoped fixtures).
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from darts.models import LinearRegressionModel

from pf_forecast import data
from pf_forecast.data import (
    DATA_ENV_VAR,
    EPF_MARKETS,
    TASKS,
    ForecastingTask,
    find_datasets_dir,
    load_beijing_pm25,
    load_csv,
    load_epf,
    load_etth1,
    load_stocks,
    load_task,
)

DATASETS = Path(__file__).resolve().parents[1] / "datasets"
STOCKS_FILE = DATASETS / "stocks" / "stocks_2000_2013.csv"


@pytest.fixture(autouse=True)
def _no_data_env(monkeypatch):
    # A developer's own PF_FORECAST_DATA must not change what these tests read.
    monkeypatch.delenv(DATA_ENV_VAR, raising=False)


@pytest.fixture(scope="module")
def epf_np():
    return load_epf("NP")


@pytest.fixture(scope="module")
def etth1():
    return load_etth1()


@pytest.fixture(scope="module")
def stocks():
    return load_stocks()


@pytest.fixture(scope="module")
def beijing():
    return load_beijing_pm25()


@pytest.fixture(scope="module")
def stocks_raw():
    return pd.read_csv(STOCKS_FILE, parse_dates=["Date"])


def _train_values(task: ForecastingTask, covariates) -> np.ndarray:
    val_row, _ = task.split_index()
    return covariates.values()[:val_row].astype(np.float64)


# ------------------------------------------------------------------------------------------------------------
# EPF (TimeXer protocol)
# ------------------------------------------------------------------------------------------------------------


def test_epf_np_follows_timexer_split(epf_np):
    index = epf_np.series.time_index
    assert len(epf_np.series) == 52_416
    assert epf_np.test_start == index[41_933]
    assert epf_np.val_start == index[int(0.7 * 52_416)]
    assert epf_np.n_test_windows(stride=1) == 10_460
    assert (epf_np.input_chunk_length, epf_np.horizon) == (168, 24)
    assert len(epf_np.train_series()) == 36_691
    val = epf_np.val_series()
    assert val.start_time() == index[36_691 - 168] and val.end_time() == index[41_933 - 1]
    assert epf_np.test_series().start_time() == index[41_933 - 168]


@pytest.mark.parametrize("market", EPF_MARKETS)
def test_every_epf_market_loads_clean_with_stripped_names(market):
    task = load_epf(market)
    assert len(task.series) == 52_416 and task.split_index()[1] == 41_933
    assert task.series.dtype == np.float32 and task.past_covariates.dtype == np.float32
    names = list(task.past_covariates.components)
    assert len(names) == 2 and all(name == name.strip() for name in names)
    assert sorted(c for cols in task.modalities.values() for c in cols) == sorted(names)
    assert list(task.series.components) == ["OT"] and task.name == f"epf-{market}"
    assert np.isfinite(task.series.values()).all() and np.isfinite(task.past_covariates.values()).all()


def test_epf_scaler_is_fitted_on_train_rows_of_all_columns(epf_np):
    for covariates in (epf_np.series, epf_np.past_covariates):
        train = _train_values(epf_np, covariates)
        np.testing.assert_allclose(train.mean(axis=0), 0.0, atol=1e-4)
        np.testing.assert_allclose(train.std(axis=0), 1.0, atol=1e-4)
    raw = pd.read_csv(DATASETS / "epf" / "NP.csv")
    np.testing.assert_allclose(epf_np.scaler.mean_[-1], raw["OT"].iloc[:36_691].mean())
    # Had the test rows leaked into the fit, the whole series would be centred instead.
    assert abs(epf_np.series.values().mean()) > 0.05


def test_epf_inverse_transform_recovers_prices(epf_np):
    raw = pd.read_csv(DATASETS / "epf" / "NP.csv")
    restored = epf_np.inverse_transform(epf_np.series).values()[:, 0]
    np.testing.assert_allclose(restored, raw["OT"].to_numpy(), rtol=1e-5, atol=1e-3)


def test_epf_future_track_moves_the_forecasts_to_future_covariates(epf_np):
    task = load_epf("NP", track="future")
    assert task.past_covariates is None and task.track == "future"
    np.testing.assert_array_equal(task.future_covariates.values(), epf_np.past_covariates.values())
    assert set(task.covariate_kwargs()) == {"future_covariates"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"market": "XX"}, r"`market` must be one of \('NP', 'PJM', 'BE', 'FR', 'DE'\), got 'XX'"),
     ({"market": "NP", "track": "oracle"}, r"`track` must be one of \('past', 'future', 'fev'\), got 'oracle'")],
)
def test_epf_rejects_unknown_market_or_track(kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_epf(**kwargs)


# ------------------------------------------------------------------------------------------------------------
# Window counts agree with darts itself
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("task_fixture", ["epf_np", "etth1", "stocks", "beijing"])
def test_n_test_windows_matches_darts_historical_forecasts(task_fixture, request):
    task = request.getfixturevalue(task_fixture)
    lags = min(24, task.input_chunk_length)
    model = LinearRegressionModel(lags=lags, lags_past_covariates=lags, output_chunk_length=task.horizon)
    model.fit(task.train_series(), past_covariates=task.past_covariates)
    stride = 1 if task_fixture in ("etth1", "stocks") else 24
    forecasts = model.historical_forecasts(
        task.series, past_covariates=task.past_covariates, start=task.test_start, forecast_horizon=task.horizon,
        stride=stride, retrain=False, last_points_only=False,
    )
    assert len(forecasts) == task.n_test_windows(stride=stride)
    assert forecasts[0].start_time() == task.test_start
    assert forecasts[0].dtype == np.float32


# ------------------------------------------------------------------------------------------------------------
# ETTh1
# ------------------------------------------------------------------------------------------------------------


def test_etth1_standard_ett_split(etth1):
    index = etth1.series.time_index
    assert len(etth1.series) == 14_400  # rows after 20 months are not part of the protocol
    assert etth1.split_index() == (8_640, 11_520)
    assert etth1.val_start == pd.Timestamp("2017-06-26") and etth1.test_start == index[11_520]
    assert etth1.n_test_windows() == 14_400 - 24 - 11_520 + 1
    assert etth1.modalities == {"high": ["HUFL", "HULL"], "middle": ["MUFL", "MULL"], "low": ["LUFL", "LULL"]}
    assert (etth1.input_chunk_length, etth1.horizon) == (96, 24)


def test_etth1_scaler_uses_train_rows_only(etth1):
    for covariates in (etth1.series, etth1.past_covariates):
        train = _train_values(etth1, covariates)
        np.testing.assert_allclose(train.mean(axis=0), 0.0, atol=1e-4)
        np.testing.assert_allclose(train.std(axis=0), 1.0, atol=1e-4)


# ------------------------------------------------------------------------------------------------------------
# Beijing PM2.5
# ------------------------------------------------------------------------------------------------------------


def test_beijing_drops_leading_gap_and_interpolates_the_rest(beijing):
    raw = pd.read_csv(DATASETS / "beijing_pm25" / "beijing_pm25_hourly.csv")
    imputed = beijing.info["target_imputed"]
    assert beijing.series.start_time() == pd.Timestamp("2010-01-02 00:00")
    assert len(beijing.series) == len(raw) - 24
    assert np.isfinite(beijing.series.values()).all()
    assert int(imputed.sum()) == int(raw["pm2.5"].isna().sum()) - 24
    assert "interpolation" in beijing.protocol


def test_beijing_split_modalities_and_scaling(beijing):
    n_rows = len(beijing.series)
    assert beijing.split_index() == (int(round(0.7 * n_rows)), n_rows - int(0.2 * n_rows))
    assert beijing.modalities["wind"] == ["Iws", "cbwd_NE", "cbwd_NW", "cbwd_SE", "cbwd_cv"]
    assert beijing.modalities["weather"] == ["DEWP", "TEMP", "PRES"]
    assert beijing.modalities["precipitation"] == ["Is", "Ir"]
    covariates = beijing.past_covariates.to_dataframe()
    assert set(np.unique(covariates.filter(like="cbwd_").to_numpy())) == {0.0, 1.0}
    val_row, _ = beijing.split_index()
    train = covariates[["DEWP", "TEMP", "PRES", "Iws", "Is", "Ir"]].iloc[:val_row].to_numpy(np.float64)
    np.testing.assert_allclose(train.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(train.std(axis=0), 1.0, atol=1e-4)
    observed_train_target = beijing.series.values()[:val_row, 0][~beijing.info["target_imputed"].iloc[:val_row]]
    assert abs(observed_train_target.astype(np.float64).mean()) < 1e-4
    assert observed_train_target.astype(np.float64).std() == pytest.approx(1.0, abs=1e-4)


def test_beijing_oracle_track_is_labelled_and_uses_future_covariates(beijing):
    oracle = load_beijing_pm25(track="oracle")
    assert oracle.past_covariates is None and oracle.track == "oracle"
    assert "ORACLE" in oracle.protocol and "leaks" in oracle.protocol
    np.testing.assert_array_equal(oracle.future_covariates.values(), beijing.past_covariates.values())
    with pytest.raises(ValueError, match=r"`track` must be one of \('past', 'oracle'\), got 'future'"):
        load_beijing_pm25(track="future")


# ------------------------------------------------------------------------------------------------------------
# Stocks (MultiBench)
# ------------------------------------------------------------------------------------------------------------


def test_stocks_split_keeps_multibench_proportions(stocks):
    n_steps = len(stocks.series)
    n_windows = n_steps - 500
    val_row, test_row = stocks.split_index()
    n_train, n_val, n_test = val_row - 500, test_row - val_row, stocks.n_test_windows()
    assert n_steps == 3_270 - 1  # one return per pair of consecutive trading days
    assert n_train + n_val + n_test == n_windows
    assert abs(n_train - n_windows * 3200 / 4717) <= 1 and abs(n_val - n_windows * 500 / 4717) <= 1
    assert (stocks.input_chunk_length, stocks.horizon) == (500, 1)
    assert isinstance(stocks.series.time_index, pd.RangeIndex)
    assert isinstance(stocks.val_start, int) and stocks.val_start == val_row
    dates = stocks.info["dates"]
    assert len(dates) == n_steps and dates.is_monotonic_increasing
    assert str(dates[val_row].date()) in stocks.protocol


def test_stocks_split_adjustment_removes_fake_split_returns(stocks, stocks_raw):
    unadjusted = stocks_raw.pivot(index="Date", columns="Ticker", values="Open")
    unadjusted_returns = np.log(unadjusted / unadjusted.shift(1))
    returns = stocks.past_covariates.to_dataframe().set_index(stocks.info["dates"]) * stocks.info["s_x"]
    for ticker, day in (("AAPL", "2000-06-21"), ("AAPL", "2005-02-28"), ("MSFT", "2003-02-18")):
        assert unadjusted_returns.loc[day, ticker] < -0.6  # the raw file's fake -50% "return"
        assert abs(returns.loc[day, f"{ticker}_return"]) < 0.1
    # A genuine crash survives the adjustment (AAPL, 2000-09-29).
    assert returns.loc["2000-09-29", "AAPL_return"] < -0.5


def test_stocks_scaling_follows_multibench(stocks):
    val_row, _ = stocks.split_index()
    returns = stocks.past_covariates.values().astype(np.float64)
    target = stocks.series.values()[:, 0].astype(np.float64)
    assert np.std(returns[:val_row].ravel(), ddof=1) == pytest.approx(1.0, rel=1e-5)
    assert np.std(target[500:val_row], ddof=1) == pytest.approx(1.0, rel=1e-5)
    restored = stocks.inverse_transform(stocks.series).values()[:, 0]
    np.testing.assert_allclose(restored, (returns[:, 2] * stocks.info["s_x"]) ** 2, rtol=1e-4)


def test_stocks_target_is_the_square_of_the_same_step_return(stocks):
    # Step t holds r[t] and r[t]**2 side by side, so a window of steps <= t forecasts r[t+1]**2: the next return.
    msft_return = stocks.past_covariates["MSFT_return"].values()[:, 0].astype(np.float64) * stocks.info["s_x"]
    target = stocks.series.values()[:, 0].astype(np.float64) * stocks.info["s_y"]
    np.testing.assert_allclose(target, msft_return**2, rtol=1e-4, atol=1e-10)


def test_stocks_have_no_look_ahead(stocks, stocks_raw, tmp_path):
    # Change MSFT's open on the trading day that completes test step t0; nothing before step t0 may move.
    t0 = stocks.split_index()[1] + 10
    day = stocks.info["dates"][t0]
    perturbed = stocks_raw.copy()
    on_day = (perturbed["Ticker"] == "MSFT") & (perturbed["Date"] == day)
    perturbed.loc[on_day, "Open"] *= 1.5
    (tmp_path / "stocks").mkdir()
    perturbed.to_csv(tmp_path / "stocks" / STOCKS_FILE.name, index=False, date_format="%Y-%m-%d")

    moved = load_stocks(data_dir=tmp_path)
    assert moved.info["s_x"] == pytest.approx(stocks.info["s_x"])  # test-segment change: scales unchanged
    for before, after in ((stocks.series, moved.series), (stocks.past_covariates, moved.past_covariates)):
        np.testing.assert_allclose(after.values()[:t0], before.values()[:t0], rtol=1e-6)
        assert not np.allclose(after.values()[t0], before.values()[t0])


def test_stocks_reject_unknown_or_short_tickers():
    with pytest.raises(ValueError, match=r"`inputs\[1\]` must be one of \('AAPL'.*got 'TSLA'"):
        load_stocks(inputs=("AAPL", "TSLA"))
    with pytest.raises(ValueError, match=r"`target` must be one of \('AAPL'.*got 'TSLA'"):
        load_stocks(target="TSLA")
    with pytest.raises(ValueError, match=r"inputs=\['FB'\].*too few"):
        load_stocks(target="FB", inputs=("FB",))


# ------------------------------------------------------------------------------------------------------------
# Locating the data
# ------------------------------------------------------------------------------------------------------------


def _copy_etth1(folder: Path) -> Path:
    (folder / "ett").mkdir(parents=True)
    return Path(shutil.copy(DATASETS / "ett" / "ETTh1.csv", folder / "ett" / "ETTh1.csv"))


def test_data_dir_argument_overrides_other_locations(tmp_path, monkeypatch):
    copy = _copy_etth1(tmp_path / "mine")
    monkeypatch.setenv(DATA_ENV_VAR, str(DATASETS))
    task = load_etth1(data_dir=tmp_path / "mine")
    assert task.info["source"] == copy
    assert len(task.series) == 14_400


def test_environment_variable_is_used_before_the_checkout(tmp_path, monkeypatch):
    _copy_etth1(tmp_path)
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path))
    assert find_datasets_dir(relative_file="ett/ETTh1.csv") == tmp_path
    assert find_datasets_dir() == tmp_path


def test_environment_variable_without_the_file_falls_back_with_a_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path))
    with caplog.at_level(logging.WARNING, logger="pf_forecast.data"):
        assert find_datasets_dir(relative_file="ett/ETTh1.csv") == DATASETS
    assert DATA_ENV_VAR in caplog.text


def test_missing_file_in_data_dir_explains_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        load_epf("NP", data_dir=tmp_path)
    message = str(error.value)
    assert "epf/NP.csv" in message and str(tmp_path) in message
    assert "data_dir=" in message and DATA_ENV_VAR in message


def test_missing_file_everywhere_lists_every_place_looked(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path))
    with pytest.raises(FileNotFoundError) as error:
        find_datasets_dir(relative_file="nowhere/missing.csv")
    message = str(error.value)
    for label in (f"${DATA_ENV_VAR}", "source checkout", "installed data-files", "share/pf-forecast/datasets"):
        assert label in message


# ------------------------------------------------------------------------------------------------------------
# load_csv
# ------------------------------------------------------------------------------------------------------------


def _user_frame(n_rows: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    steps = np.arange(n_rows, dtype=np.float64)
    return pd.DataFrame({
        "time": pd.date_range("2024-01-01", periods=n_rows, freq="h"),
        "y": 10 + np.sin(steps / 12) + rng.normal(0, 0.1, n_rows) + steps / 100,
        "a": rng.normal(5, 2, n_rows),
        "b": rng.normal(-3, 0.5, n_rows),
        "f": np.cos(steps / 24),
        "label": ["x", "y"] * (n_rows // 2),
    })


def _write(frame: pd.DataFrame, tmp_path: Path, name: str = "user.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_load_csv_happy_path(tmp_path):
    path = _write(_user_frame(), tmp_path)
    task = load_csv(path, "time", "y", past_covariates=["a", "b"], future_covariates=["f"],
                    input_chunk_length=48, horizon=12)
    assert task.name == "user" and task.track == "past+future"
    assert task.modalities == {"a": ["a"], "b": ["b"], "f": ["f"]}
    assert task.split_index() == (280, 320)
    assert task.n_test_windows() == 400 - 12 - 320 + 1
    assert task.series.dtype == np.float32 and task.future_covariates.dtype == np.float32
    assert task.series.freq == pd.tseries.frequencies.to_offset("h")
    for covariates in (task.series, task.past_covariates, task.future_covariates):
        train = _train_values(task, covariates)
        np.testing.assert_allclose(train.mean(axis=0), 0.0, atol=1e-5)
        np.testing.assert_allclose(train.std(axis=0), 1.0, atol=1e-5)
    np.testing.assert_allclose(task.inverse_transform(task.series).values()[:, 0], _user_frame()["y"], rtol=1e-5)


def test_load_csv_groups_modalities_and_accepts_covariate_gaps(tmp_path):
    frame = _user_frame()
    frame.loc[100:110, "a"] = np.nan  # NaN covariates are information for the model, not an error
    path = _write(frame, tmp_path)
    task = load_csv(path, "time", ["y"], past_covariates=("a", "b"), modalities={"pair": ["a", "b"]},
                    input_chunk_length=24, horizon=6, freq="h", name="gappy")
    assert task.modalities == {"pair": ["a", "b"]} and task.name == "gappy"
    assert int(np.isnan(task.past_covariates.values()).sum()) == 11
    assert np.isfinite(task.series.values()).all()


def test_load_csv_explicit_freq_turns_a_missing_timestamp_into_a_target_gap(tmp_path):
    path = _write(_user_frame().drop(index=[50]), tmp_path)
    with pytest.raises(ValueError, match=r"target \['y'\]: 1 rows have no value \(at 2024-01-03 02:00:00\)"):
        load_csv(path, "time", "y", past_covariates=["a"], input_chunk_length=24, horizon=6, freq="h")


BAD_INPUTS = [
    ({"past_covariates": ["a", "nope"]}, ValueError, r"past_covariates: columns \['nope'\].*available columns"),
    ({"target": "missing"}, ValueError, r"target: columns \['missing'\].*available columns"),
    ({"past_covariates": ["label"]}, ValueError, r"past_covariates: columns \{'label': 'object'\}.*not numeric"),
    ({"input_chunk_length": 300}, ValueError, r"train split has 280 rows.*input_chunk_length=300"),
    ({"horizon": 50}, ValueError, r"validation split has 40 rows.*horizon=50"),
    ({"val_fraction": 1.5}, ValueError, r"`val_fraction` \(a fraction of the rows\) must be in \(0, 1\), got 1\.5"),
    ({"test_fraction": 0.0}, ValueError, r"`test_fraction` \(a fraction of the rows\) must be in \(0, 1\), got 0\.0"),
    ({"val_fraction": 0.5, "test_fraction": 0.5}, ValueError, r"val_fraction=0\.5 \+ test_fraction=0\.5"),
    ({"modalities": {"g": ["a", "f"]}}, ValueError, r"`modalities\['g'\]` names components \['f'\] that are not in the covariates"),
    ({"modalities": {"g": ["a"]}, "past_covariates": ["a", "b"]}, ValueError, r"\['b'\] belong to no modality"),
    ({"modalities": {"target": ["a"]}}, ValueError, r"may not define a modality named 'target'"),
    ({"future_covariates": ["a"]}, ValueError, r"\['a'\] are in both past_covariates and future_covariates"),
    ({"past_covariates": ["a", "y"]}, ValueError, r"target columns \['y'\] are also listed as covariates"),
    ({"horizon": 0}, ValueError, r"`horizon` must be an integer >= 1, got 0"),
    ({"time_col": "when"}, ValueError, r"time_col: columns \['when'\].*available columns"),
]


@pytest.mark.parametrize(("overrides", "error", "message"), BAD_INPUTS)
def test_load_csv_rejects_bad_arguments(tmp_path, overrides, error, message):
    path = _write(_user_frame(), tmp_path)
    kwargs = {"time_col": "time", "target": "y", "past_covariates": ["a"], "input_chunk_length": 48, "horizon": 12}
    with pytest.raises(error, match=message):
        load_csv(path, **{**kwargs, **overrides})


def _shuffled_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[[1, 0, *range(2, len(frame))]]


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [(lambda frame: pd.concat([frame, frame.iloc[[10]]]).sort_values("time", kind="stable"),
      r"time_col='time' has 1 duplicate timestamps \(first: 2024-01-01 10:00:00\)"),
     (_shuffled_rows, r"time_col='time' is not increasing: row 1 \(2024-01-01 00:00:00\).*sort the file"),
     (lambda frame: frame.drop(index=[7]), r"time_col='time': could not infer a regular frequency.*freq="),
     (lambda frame: frame.assign(y=frame["y"].where(frame.index != 30)), r"target \['y'\]: 1 rows have no value")],
    ids=["duplicate", "non-monotonic", "irregular", "nan-target"],
)
def test_load_csv_rejects_bad_timestamps_and_targets(tmp_path, corrupt, message):
    path = _write(corrupt(_user_frame()), tmp_path)
    with pytest.raises(ValueError, match=message):
        load_csv(path, "time", "y", past_covariates=["a"], input_chunk_length=48, horizon=12)


def test_load_csv_rejects_timestamps_off_the_given_grid(tmp_path):
    path = _write(_user_frame(), tmp_path)
    with pytest.raises(ValueError, match=r"freq='2h': 200 timestamps"):
        load_csv(path, "time", "y", input_chunk_length=24, horizon=6, freq="2h")


def test_load_csv_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"path='.*absent\.csv' is not a file"):
        load_csv(tmp_path / "absent.csv", "time", "y", input_chunk_length=24, horizon=6)


# ------------------------------------------------------------------------------------------------------------
# The task container and the registry
# ------------------------------------------------------------------------------------------------------------


def test_task_is_frozen_and_checks_stride(etth1):
    with pytest.raises(dataclasses.FrozenInstanceError):
        etth1.horizon = 48
    with pytest.raises(ValueError, match=r"`stride` must be an integer >= 1, got 0"):
        etth1.n_test_windows(stride=0)
    assert etth1.n_test_windows(stride=24) == (14_400 - 24 - 11_520) // 24 + 1


def test_fit_kwargs_hold_train_and_validation_parts(etth1):
    kwargs = etth1.fit_kwargs()
    assert set(kwargs) == {"series", "past_covariates", "val_series", "val_past_covariates"}
    assert kwargs["series"].end_time() < etth1.val_start
    assert len(kwargs["val_series"]) == 11_520 - 8_640 + 96


def test_registry_names_and_unknown_name():
    assert set(TASKS) == {*(f"epf-{m}" for m in EPF_MARKETS), "stocks", "beijing", "etth1"}
    assert load_task("etth1").name == "etth1"
    with pytest.raises(ValueError, match=r"`name` must be one of \(.*'etth1'\), got 'etth2'"):
        load_task("etth2")


def test_every_public_name_has_a_numpy_docstring():
    for name in data.__all__:
        obj = getattr(data, name)
        if callable(obj) and not isinstance(obj, dict):
            assert obj.__doc__ and ("Parameters" in obj.__doc__ or "Returns" in obj.__doc__), name
