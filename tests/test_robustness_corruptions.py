"""Corruptions (properties), imputation policies and MultiBench's robustness formulas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from darts import TimeSeries
from hypothesis import given, settings
from hypothesis import strategies as st

from pf_forecast.robustness import (
    MULTIBENCH_LEVELS,
    Compose,
    GaussianNoise,
    Identity,
    MissingModality,
    MultiBench,
    RandomDrop,
    StructuredDrop,
    corruption_factory,
    effective_robustness,
    impute_missing,
    normalized_robustness,
    relative_robustness,
    season_length,
)

PROPS = settings(max_examples=40, deadline=None)

LEVEL_BASED = {
    "gaussian_shared": lambda p: GaussianNoise(p),
    "gaussian_independent": lambda p: GaussianNoise(p, shared_across_components=False),
    "random_drop": lambda p: RandomDrop(p),
    "random_drop_nan": lambda p: RandomDrop(p, fill=np.nan),
    "structured_drop": lambda p: StructuredDrop(p),
    "structured_drop_nan": lambda p: StructuredDrop(p, fill=np.nan),
    "multibench": lambda p: MultiBench(p),
}
ALL_KINDS = sorted(LEVEL_BASED) + ["missing"]


def _make(kind: str, level: float):
    return MissingModality() if kind == "missing" else LEVEL_BASED[kind](level)


@st.composite
def series_st(draw, min_len: int = 3, max_len: int = 40, nan: bool = True):
    """A float32 series (datetime or range index, 1-4 components, optional NaN values)."""
    n = draw(st.integers(min_len, max_len))
    c = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    values = rng.normal(size=(n, c)).astype(np.float32)
    if nan and draw(st.booleans()):
        values[rng.random((n, c)) < 0.1] = np.nan
    columns = [f"c{i}" for i in range(c)]
    if draw(st.booleans()):
        times = pd.date_range("2021-01-01", periods=n, freq="h")
    else:
        times = pd.RangeIndex(start=draw(st.integers(-5, 5)), stop=0, step=1)
        times = pd.RangeIndex(start=times.start, stop=times.start + n)
    return TimeSeries.from_times_and_values(times, values, columns=columns)


@st.composite
def selection_st(draw, ts: TimeSeries):
    """A random subset of the components (or None) and a random start (or None)."""
    comps = None
    if draw(st.booleans()):
        comps = draw(st.lists(st.sampled_from(list(ts.components)), unique=True, max_size=ts.n_components))
    start = None
    if draw(st.booleans()):
        start = ts.time_index[draw(st.integers(0, len(ts) - 1))]
    return comps, start


# -----------------------------------------------------------------------------------------------------------------
# properties
# -----------------------------------------------------------------------------------------------------------------
@PROPS
@given(data=st.data(), kind=st.sampled_from(sorted(LEVEL_BASED)))
def test_level_zero_is_identity(data, kind):
    ts = data.draw(series_st())
    comps, start = data.draw(selection_st(ts))
    out = LEVEL_BASED[kind](0.0).apply(ts, np.random.default_rng(0), components=comps, start=start)
    assert out == ts
    assert out is not ts
    assert out.dtype == ts.dtype


@PROPS
@given(
    data=st.data(), kind=st.sampled_from(ALL_KINDS), level=st.floats(0.0, 1.0), seed=st.integers(0, 2**32 - 1)
)
def test_same_seed_same_corruption(data, kind, level, seed):
    ts = data.draw(series_st())
    comps, start = data.draw(selection_st(ts))
    corruption = _make(kind, level)
    a = corruption.apply(ts, np.random.default_rng(seed), components=comps, start=start)
    b = corruption.apply(ts, np.random.default_rng(seed), components=comps, start=start)
    c = corruption.apply(ts, seed, components=comps, start=start)  # an int seed works as well
    assert a == b == c


@PROPS
@given(data=st.data(), kind=st.sampled_from(ALL_KINDS), level=st.floats(0.0, 1.0))
def test_input_never_mutated(data, kind, level):
    ts = data.draw(series_st())
    comps, start = data.draw(selection_st(ts))
    before = ts.all_values(copy=True)
    index_before = ts.time_index.copy()
    out = _make(kind, level).apply(ts, np.random.default_rng(1), components=comps, start=start)
    np.testing.assert_array_equal(ts.all_values(copy=False), before)
    assert ts.time_index.equals(index_before)
    assert not np.shares_memory(out.all_values(copy=False), ts.all_values(copy=False))


@PROPS
@given(data=st.data(), kind=st.sampled_from(ALL_KINDS), level=st.floats(0.05, 1.0))
def test_only_selected_components_and_times_change(data, kind, level):
    ts = data.draw(series_st(nan=False))
    comps, start = data.draw(selection_st(ts))
    out = _make(kind, level).apply(ts, np.random.default_rng(2), components=comps, start=start)
    assert out.time_index.equals(ts.time_index)
    assert list(out.components) == list(ts.components)
    assert out.dtype == ts.dtype
    rows = np.ones(len(ts), bool) if start is None else np.asarray(ts.time_index >= start)
    cols = np.ones(ts.n_components, bool) if comps is None else np.isin(ts.components, comps)
    hit = rows[:, None] & cols[None, :]
    old, new = ts.values(), out.values()
    np.testing.assert_array_equal(new[~hit], old[~hit])
    if kind == "missing":
        assert np.isnan(new[hit]).all()


@settings(max_examples=30, deadline=None)
@given(level=st.floats(0.0, 1.0), seed=st.integers(0, 2**32 - 1), fill=st.sampled_from([0.0, np.nan]))
def test_random_drop_fraction_matches_level(level, seed, fill):
    ts = TimeSeries.from_values(np.ones((1500, 3), dtype=np.float32))
    v = RandomDrop(level, fill=fill).apply(ts, np.random.default_rng(seed)).values()
    dropped = np.isnan(v) if np.isnan(fill) else v == 0.0
    assert abs(dropped.mean() - level) < 0.04  # sd <= 0.0075 for 4500 values
    assert (v[~dropped] == 1.0).all()


@settings(max_examples=30, deadline=None)
@given(level=st.floats(0.0, 1.0), seed=st.integers(0, 2**32 - 1))
def test_structured_drop_fraction_matches_level_and_drops_whole_steps(level, seed):
    ts = TimeSeries.from_values(np.ones((3000, 3), dtype=np.float32))
    v = StructuredDrop(level).apply(ts, np.random.default_rng(seed), components=["0", "2"]).values()
    step_dropped = v[:, 0] == 0.0
    np.testing.assert_array_equal(v[:, 2] == 0.0, step_dropped)  # whole steps of the selected components
    assert (v[:, 1] == 1.0).all()  # the unselected component is untouched
    assert abs(step_dropped.mean() - level) < 0.04  # sd <= 0.0092 for 3000 steps


@settings(max_examples=25, deadline=None)
@given(level=st.floats(0.05, 1.0), seed=st.integers(0, 2**32 - 1))
def test_gaussian_noise_shared_and_independent(level, seed):
    ts = TimeSeries.from_values(np.zeros((3000, 3), dtype=np.float32))
    shared = GaussianNoise(level).apply(ts, np.random.default_rng(seed)).values()
    np.testing.assert_array_equal(
        shared[:, 0], shared[:, 1]
    )  # one draw per time step, added to every component
    np.testing.assert_array_equal(shared[:, 0], shared[:, 2])
    assert abs(shared[:, 0].std() / level - 1.0) < 0.1
    indep = (
        GaussianNoise(level, shared_across_components=False).apply(ts, np.random.default_rng(seed)).values()
    )
    assert not np.array_equal(indep[:, 0], indep[:, 1])
    assert abs(indep.std() / level - 1.0) < 0.1


@settings(max_examples=25, deadline=None)
@given(p=st.floats(0.0, 0.95), q=st.floats(0.0, 0.95), seed=st.integers(0, 2**32 - 1))
def test_drops_are_nested_across_levels(p, q, seed):
    """Common random numbers: what is dropped at the lower level is dropped at the higher one."""
    lo, hi = sorted((p, q))
    ts = TimeSeries.from_values(np.ones((200, 2), dtype=np.float32))
    a = RandomDrop(lo).apply(ts, np.random.default_rng(seed)).values() == 0
    b = RandomDrop(hi).apply(ts, np.random.default_rng(seed)).values() == 0
    assert (b | ~a).all()


# -----------------------------------------------------------------------------------------------------------------
# MultiBench composition and specific behaviours
# -----------------------------------------------------------------------------------------------------------------
def test_multibench_is_noise_then_random_drop_then_structured_drop():
    ts = TimeSeries.from_values(np.random.default_rng(0).normal(size=(100, 3)).astype(np.float32))
    for p in (0.0, 0.3, 0.8):
        expected = Compose(GaussianNoise(p), RandomDrop(p), StructuredDrop(p)).apply(
            ts, np.random.default_rng(5)
        )
        assert MultiBench(p).apply(ts, np.random.default_rng(5)) == expected
    assert MultiBench(0.3).with_level(0.5) == MultiBench(0.5)
    assert MultiBench(0.3).name == "multibench"
    assert MULTIBENCH_LEVELS == (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def test_multibench_level_one_zeroes_everything_selected():
    ts = TimeSeries.from_values(np.ones((50, 2), dtype=np.float32))
    v = MultiBench(1.0).apply(ts, np.random.default_rng(0), components=["1"]).values()
    assert (v[:, 1] == 0).all() and (v[:, 0] == 1).all()


def test_missing_modality_names_mapping_and_start():
    times = pd.date_range("2020-01-01", periods=10, freq="D")
    ts = TimeSeries.from_times_and_values(times, np.ones((10, 3)), columns=["t", "w1", "w2"])
    out = MissingModality("wind", modalities={"wind": ["w1", "w2"]}).apply(ts, None, start=times[4])
    v = out.values()
    assert np.isnan(v[4:, 1:]).all() and not np.isnan(v[:4]).any() and not np.isnan(v[:, 0]).any()
    # component names work directly; `components` intersects with `names`
    v = MissingModality(["t", "w1"]).apply(ts, None, components=["w1", "w2"]).values()
    assert np.isnan(v[:, 1]).all() and not np.isnan(v[:, [0, 2]]).any()
    with pytest.raises(ValueError, match="'nope'"):
        MissingModality("nope").apply(ts, None)
    with pytest.raises(ValueError, match="'zz'"):
        MissingModality("m", modalities={"m": ["zz"]}).apply(ts, None)
    assert MissingModality("t").with_level(0.0) == Identity()
    assert MissingModality("t").with_level(1.0) == MissingModality("t")
    with pytest.raises(ValueError, match="0.5"):
        MissingModality("t").with_level(0.5)


def test_corruption_factory_names():
    assert corruption_factory("gaussian")(0.2) == GaussianNoise(0.2)
    assert corruption_factory("structured_drop")(0.2) == StructuredDrop(0.2)
    assert corruption_factory("missing")(0.0) == Identity()
    assert corruption_factory("missing")(1.0) == MissingModality()
    with pytest.raises(ValueError, match="'blur'"):
        corruption_factory("blur")


@pytest.mark.parametrize("level", [-0.1, 1.5, float("nan"), "0.5", True, None])
@pytest.mark.parametrize("cls", [GaussianNoise, RandomDrop, StructuredDrop, MultiBench])
def test_level_validation_names_the_value(cls, level):
    with pytest.raises(ValueError, match="level") as err:
        cls(level)
    assert repr(level) in str(err.value)


def test_bad_components_rng_and_series():
    ts = TimeSeries.from_values(np.ones((5, 2)), columns=["a", "b"])
    with pytest.raises(ValueError, match="'zz'"):
        RandomDrop(0.5).apply(ts, np.random.default_rng(0), components=["a", "zz"])
    with pytest.raises(ValueError, match="7"):
        RandomDrop(0.5).apply(ts, np.random.default_rng(0), components=[7])
    with pytest.raises(TypeError, match="Generator"):
        RandomDrop(0.5).apply(ts, "seed")
    with pytest.raises(TypeError, match="TimeSeries"):
        RandomDrop(0.5).apply(np.ones(5), np.random.default_rng(0))
    with pytest.raises(ValueError, match="'zz'"):  # validated even where the corruption is the identity
        MultiBench(0.0).apply(ts, np.random.default_rng(0), components=["zz"])


def test_stochastic_series_samples_are_corrupted_too():
    ts = TimeSeries.from_values(np.ones((30, 2, 4), dtype=np.float32))
    out = MissingModality().apply(ts, None, components=["1"])
    assert out.n_samples == 4
    assert np.isnan(out.all_values()[:, 1, :]).all() and not np.isnan(out.all_values()[:, 0, :]).any()


# -----------------------------------------------------------------------------------------------------------------
# imputation
# -----------------------------------------------------------------------------------------------------------------
def test_impute_policies():
    clean = TimeSeries.from_values(np.array([[1.0, 10.0], [3.0, 20.0], [5.0, 30.0], [7.0, 40.0]], np.float32))
    v = clean.values()
    v[1:, 0] = np.nan
    v[0, 1] = np.nan
    v[3, 1] = np.nan
    dirty = clean.with_values(v)
    before = dirty.values()
    assert impute_missing(dirty, "zero").values().tolist() == [[1, 0], [0, 20], [0, 30], [0, 0]]
    # means of the clean reference over the index < 2: (1 + 3) / 2 = 2 and (10 + 20) / 2 = 15
    mean = impute_missing(dirty, "mean", reference=clean, before=2).values()
    assert mean.tolist() == [[1, 15], [2, 20], [2, 30], [2, 15]]
    # ffill: last observed value; the leading NaN falls back to the mean
    ffill = impute_missing(dirty, "ffill", reference=clean, before=2)
    assert ffill.values().tolist() == [[1, 15], [1, 20], [1, 30], [1, 30]]
    assert ffill.dtype == np.float32
    assert impute_missing(dirty, "none") == dirty
    np.testing.assert_array_equal(dirty.values(), before)  # never mutated
    with pytest.raises(ValueError, match="'median'"):
        impute_missing(dirty, "median")


def test_impute_seasonal_takes_the_value_a_season_earlier():
    times = pd.date_range("2024-01-01", periods=8, freq="h")
    v = np.array([1.0, 2.0, 3.0, np.nan, np.nan, np.nan, np.nan, 8.0], np.float32)
    w = np.array([np.nan, 5.0, np.nan, np.nan, 6.0, np.nan, np.nan, np.nan], np.float32)
    dirty = TimeSeries.from_times_and_values(times, np.stack([v, w], axis=1))
    before = dirty.all_values(copy=True)
    filled = impute_missing(dirty, "seasonal", season=3)
    # column 0: t=3..5 copy t=0..2, t=6 copies the filled t=3 (a gap longer than a season repeats it)
    assert filled.values()[:, 0].tolist() == [1, 2, 3, 1, 2, 3, 1, 8]
    # column 1: nothing a season earlier (t=2) or NaN there (t=3) -> the previous value; leading NaN -> the mean
    assert filled.values()[:, 1].tolist() == [5.5, 5, 5, 5, 6, 5, 5, 6]
    np.testing.assert_array_equal(dirty.all_values(), before)
    assert filled.dtype == np.float32
    # the default season is one day of steps (24 on hourly data): a one-season-long series is filled like ffill
    assert impute_missing(dirty, "seasonal").values()[:, 0].tolist() == [1, 2, 3, 3, 3, 3, 3, 8]
    with pytest.raises(ValueError, match="`season` must be a positive integer"):
        impute_missing(dirty, "seasonal", season=0)


@pytest.mark.parametrize("freq, expected", [("h", 24), ("15min", 96), ("D", 7), ("B", 5), ("W", 52), ("MS", 12),
                                            ("QE", 4), ("7h", 1), ("YE", 1)])
def test_season_length(freq, expected):
    assert season_length(pd.date_range("2024-01-01", periods=3, freq=freq)) == expected
    assert season_length(pd.RangeIndex(5)) == 1


def test_impute_mean_without_finite_reference_uses_zero():
    ts = TimeSeries.from_values(np.full((3, 1), np.nan))
    assert impute_missing(ts, "mean").values().ravel().tolist() == [0.0, 0.0, 0.0]


# -----------------------------------------------------------------------------------------------------------------
# MultiBench formulas, against hand-computed values
# -----------------------------------------------------------------------------------------------------------------
def test_relative_robustness_is_trapezoid_area():
    levels = list(MULTIBENCH_LEVELS)
    values = [1.0, 1.2, 1.5, 1.5, 2.0, 2.5, 3.0, 3.0, 4.0]
    # 0.1 * (sum of the values - (first + last) / 2) = 0.1 * (19.7 - 2.5)
    assert relative_robustness(levels, values) == pytest.approx(1.72)
    assert relative_robustness([0.0, 0.5, 1.0], [2.0, 2.0, 2.0]) == pytest.approx(2.0)
    assert relative_robustness([0.2, 0.0, 0.1], [4.0, 1.0, 2.0]) == pytest.approx(
        0.45
    )  # sorted by level first
    assert relative_robustness([0.0], [3.0]) == 0.0
    with pytest.raises(ValueError, match="3 entries"):
        relative_robustness([0.0, 0.1, 0.2], [1.0, 2.0])
    with pytest.raises(ValueError, match="repeat"):
        relative_robustness([0.0, 0.0], [1.0, 2.0])


def test_effective_robustness_hand_computed():
    # f - (g + f0 - g0) with f0 - g0 = 0.5: [0, 0.5, 1.5, 2.5] -> 4.5
    f = [1.0, 2.0, 3.0, 4.0]
    g = [0.5, 1.0, 1.0, 1.0]
    assert effective_robustness([0.0, 0.1, 0.2, 0.3], f, g) == pytest.approx(4.5)
    assert effective_robustness([0.0, 0.1, 0.2], [2.0, 3.0, 5.0], [1.0, 2.0, 4.0]) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="reference_values"):
        effective_robustness([0.0, 0.1], [1.0, 2.0], [1.0])


def test_normalized_robustness_min_max():
    out = normalized_robustness({"late": 3.0, "pf": 1.0, "early": 2.5})
    assert out.to_dict() == pytest.approx({"late": 0.0, "pf": 1.0, "early": 0.25})
    s = normalized_robustness(pd.Series({"a": 0.2, "b": 0.6}), lower_is_better=False)
    assert s.to_dict() == pytest.approx({"a": 0.0, "b": 1.0})
    assert normalized_robustness({"a": 1.0, "b": 1.0}).tolist() == [1.0, 1.0]
    with_nan = normalized_robustness({"a": 1.0, "b": np.nan, "c": 3.0})
    assert with_nan["a"] == 1.0 and np.isnan(with_nan["b"]) and with_nan["c"] == 0.0
    with pytest.raises(TypeError):
        normalized_robustness([1.0, 2.0])
    with pytest.raises(ValueError, match="empty"):
        normalized_robustness({})
