"""Modality resolution, validation and the stacking helper."""

from __future__ import annotations

import numpy as np
import pytest
from darts import TimeSeries

from pf_forecast.modalities import (
    check_components_match,
    expected_components,
    resolve_modalities,
    stack_modalities,
)


def test_default_is_one_modality_per_component():
    mods = resolve_modalities(None, ["y"], ["a", "b"], ["f"])
    assert list(mods) == ["target", "a", "b", "f"]
    assert mods["b"].source == "past" and mods["b"].indices == (1,)
    assert mods["f"].source == "future" and mods["f"].indices == (0,)


def test_dict_groups_components_in_given_order():
    mods = resolve_modalities({"w": ["c", "a"], "f": ["g"], "b": ["b"]}, ["y"], ["a", "b", "c"], ["g"])
    assert list(mods) == ["target", "w", "b", "f"]  # past modalities first, then future ones
    assert mods["w"].components == ("c", "a") and mods["w"].indices == (2, 0)


def test_encodings_grouped_into_their_own_modality():
    mods = resolve_modalities({"w": ["a"]}, ["y"], ["a", "darts_enc_pc_cyc_hour_sin", "darts_enc_pc_cyc_hour_cos"], None)
    assert mods["encodings_past"].indices == (1, 2)


@pytest.mark.parametrize(
    "spec, match",
    [
        ({"w": ["a", "zz"]}, r"\['zz'\].*not in the covariates.*Available past-covariate components: \['a', 'b'\]"),
        ({"w": ["a"], "v": ["a", "b"]}, r"'a' is in two modalities \('w' and 'v'\)"),
        ({"w": [], "v": ["a", "b"]}, r"`modalities\['w'\]` is empty"),
        ({"target": ["a"], "v": ["b"]}, r"may not define a modality named 'target'"),
        ({"w": ["a"]}, r"\['b'\] belong to no modality"),
        ({"w": ["a", "f"], "v": ["b"]}, r"mixes past-covariate and future-covariate"),
        ({"w": ["a", "a"], "v": ["b"]}, r"lists a component twice"),
    ],
)
def test_bad_specs_name_the_problem(spec, match):
    with pytest.raises(ValueError, match=match):
        resolve_modalities(spec, ["y"], ["a", "b"], ["f"] if "f" in str(spec) else None)


@pytest.mark.parametrize("spec", [["a", "b"], {"w": "a"}, {1: ["a"]}])
def test_bad_spec_types(spec):
    with pytest.raises(TypeError, match="modalit"):
        resolve_modalities(spec, ["y"], ["a", "b"], None)


def test_duplicate_component_names_rejected():
    with pytest.raises(ValueError, match="duplicated component names"):
        resolve_modalities(None, ["y"], ["a", "a"], None)


def test_same_name_in_past_and_future():
    # as darts allows: one modality per stream, named by source
    assert list(resolve_modalities(None, ["y"], ["a"], ["a"])) == ["target", "past:a", "future:a"]
    # a spec must say which stream
    with pytest.raises(ValueError, match=r"both `past_covariates` and `future_covariates`.*'past:a' or 'future:a'"):
        resolve_modalities({"w": ["a"]}, ["y"], ["a"], ["a"])


def test_check_components_match():
    mods = resolve_modalities({"w": ["b", "a"]}, ["y"], ["a", "b"], None)
    assert expected_components(mods) == {"past": ["a", "b"], "future": []}
    check_components_match(mods, ["a", "b"], None)
    with pytest.raises(ValueError, match=r"have components \['b', 'a'\], but the model was fitted with \['a', 'b'\]"):
        check_components_match(mods, ["b", "a"], None)


def test_stack_modalities():
    w = TimeSeries.from_values(np.zeros((10, 2), dtype=np.float32), columns=["TEMP", "x"])
    load = TimeSeries.from_values(np.ones((10, 2), dtype=np.float32), columns=["load", "x"])
    covs, mods = stack_modalities({"weather": w, "load": load})
    assert mods == {"weather": ["TEMP", "weather:x"], "load": ["load", "load:x"]}
    assert list(covs.components) == ["TEMP", "weather:x", "load", "load:x"]
    np.testing.assert_array_equal(covs.values()[:, 2:], 1.0)
    # the mapping is directly usable
    assert list(resolve_modalities(mods, ["y"], list(covs.components), None)) == ["target", "weather", "load"]


def test_stack_modalities_bad_inputs():
    w = TimeSeries.from_values(np.zeros((10, 1), dtype=np.float32), columns=["a"])
    with pytest.raises(TypeError, match="streams"):
        stack_modalities([w])
    with pytest.raises(TypeError, match=r"streams\['w'\]"):
        stack_modalities({"w": np.zeros(10)})
    with pytest.raises(ValueError, match="different time index"):
        stack_modalities({"w": w, "v": w.shift(3)})
