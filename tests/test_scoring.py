"""Forecast scores (fev-bench's SQL, MASE, WQL, coverage) against values computed by hand."""

from __future__ import annotations

import numpy as np
import pytest
from darts import TimeSeries

from pf_forecast.robustness.scoring import (
    QUANTILE_LEVELS,
    forecast_quantiles,
    interval_coverage,
    mase,
    quantile_loss,
    scaled_quantile_loss,
    score_windows,
    seasonal_scale,
    weighted_quantile_loss,
)


def test_quantile_loss_by_hand():
    # y = 10; q_hat = 8 at level 0.1 (under: 2 * 2 * 0.1 = 0.4) and 12 at level 0.9 (over: 2 * 2 * 0.1 = 0.4);
    # q_hat = 10 at 0.5: 0
    loss = quantile_loss([10.0], [[8.0, 10.0, 12.0]], [0.1, 0.5, 0.9])
    np.testing.assert_allclose(loss, [[0.4, 0.0, 0.4]])
    # the wrong side is expensive: q_hat = 12 at level 0.1 -> 2 * 2 * 0.9 = 3.6
    np.testing.assert_allclose(quantile_loss([10.0], [[12.0]], [0.1]), [[3.6]])


def test_seasonal_scale_by_hand():
    # |3-1|, |4-2|, |10-3| over season 2 -> (2 + 2 + 7) / 3
    assert seasonal_scale([1.0, 2.0, 3.0, 4.0, 10.0], season=2) == pytest.approx(11 / 3)
    assert seasonal_scale([1.0, np.nan, 3.0, 5.0], season=1) == pytest.approx(2.0)  # NaN differences skipped
    with pytest.raises(ValueError, match="constant history"):
        seasonal_scale([2.0, 2.0, 2.0])
    with pytest.raises(ValueError, match="needs more than season=24"):
        seasonal_scale(np.arange(24.0), season=24)


def test_sql_mase_wql_coverage_by_hand():
    y = np.array([10.0, 20.0])
    quantiles = np.array([[8.0, 11.0], [21.0, 22.0]])  # levels 0.2, 0.8
    levels = [0.2, 0.8]
    # losses: step 1: 2*2*0.2 = 0.8 (under at 0.2), 2*1*0.2 = 0.4 (over at 0.8); step 2: 2*1*0.8 = 1.6, 2*2*0.2 = 0.8
    assert scaled_quantile_loss(y, quantiles, levels, scale=2.0) == pytest.approx((0.8 + 0.4 + 1.6 + 0.8) / 4 / 2)
    assert weighted_quantile_loss(y, quantiles, levels) == pytest.approx(((0.8 + 1.6) + (0.4 + 0.8)) / 2 / 30)
    assert interval_coverage(y, quantiles[:, 0], quantiles[:, 1]) == 0.5  # 20 lies below 21
    assert mase(y, [12.0, 17.0], scale=5.0) == pytest.approx((2 + 3) / 2 / 5)


def test_a_point_forecast_scores_its_mase_as_sql():
    rng = np.random.default_rng(0)
    y, point = rng.normal(size=24), rng.normal(size=24)
    quantiles = np.repeat(point[:, None], len(QUANTILE_LEVELS), axis=1)
    assert scaled_quantile_loss(y, quantiles, QUANTILE_LEVELS, 1.7) == pytest.approx(mase(y, point, 1.7))


def test_forecast_quantiles_of_samples_and_of_a_point():
    samples = np.arange(1.0, 101.0)[None, None, :].repeat(3, axis=0)  # (H=3, C=1, S=100): 1..100 each step
    q = forecast_quantiles(TimeSeries.from_values(samples), [0.1, 0.5, 0.9])
    np.testing.assert_allclose(q[0], np.quantile(np.arange(1.0, 101.0), [0.1, 0.5, 0.9]))
    assert np.all(np.diff(q, axis=1) >= 0)  # never crossing
    point = forecast_quantiles(TimeSeries.from_values(np.array([1.0, 2.0])), [0.1, 0.9])
    np.testing.assert_array_equal(point, [[1.0, 1.0], [2.0, 2.0]])


def test_score_windows_scales_each_window_by_its_own_history():
    values = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 3.0, 0.0, 5.0])
    series = TimeSeries.from_values(values)
    windows = [TimeSeries.from_times_and_values(series.time_index[4:6], np.array([0.0, 1.0])),
               TimeSeries.from_times_and_values(series.time_index[6:8], np.array([0.0, 1.0]))]
    scores = score_windows(series, windows, levels=[0.1, 0.5, 0.9], season=1)
    # window 1: history 0,1,0,1 -> scale 1; errors 0, 2 -> MAE 1 -> MASE 1.
    # window 2: history 0,1,0,1,0,3 -> scale (1+1+1+1+3)/5 = 1.4; errors 0, 4 -> MAE 2 -> MASE 2/1.4
    assert scores["mase"] == pytest.approx((1.0 + 2 / 1.4) / 2)
    assert scores["sql"] == pytest.approx(scores["mase"])  # point forecasts
    assert scores["coverage"] == pytest.approx(0.5)


@pytest.mark.parametrize("levels", [[], [0.5, 0.1], [0.0, 0.5], [0.5, 1.0]])
def test_bad_levels_are_named(levels):
    with pytest.raises(ValueError, match="`levels` must be increasing quantile levels in \\(0, 1\\)"):
        quantile_loss([1.0], [[1.0] * max(len(levels), 1)], levels)


def test_shape_mismatch_is_named():
    with pytest.raises(ValueError, match=r"`quantiles` has shape \(2, 1\); it must be \(steps, levels\) = \(2, 2\)"):
        quantile_loss([1.0, 2.0], [[1.0], [2.0]], [0.1, 0.9])
