"""The documented contract of the criteria and zone-transfer functions, to the letter: output names,
dtypes, index order, defaults, no-data handling and messages, on inputs that are unsorted, partial
or larger than the fast paths (written against the survivors of ``make mutation``)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from quartiere.config import AtlasCriterion, MssRule
from quartiere.criteria import (
    aggregate_school_lmb,
    atlas_strata,
    count_criteria,
    estimate_lmb,
    mss_attention,
    schools_criterion,
)
from quartiere.harmonize import (
    intersection_area,
    overlay,
    overlay_weights,
    transfer_intensive,
    weigh,
)

CRS = "EPSG:25833"

# ------------------------------------------------------------------------------------ criteria


def test_mss_attention_output_follows_the_planning_areas_order_and_types() -> None:
    ids = pd.Index(["P3", "P1", "P2", "P4"])
    mss = pd.DataFrame(
        {"status": ["niedrig", "mittel", None], "dynamic": ["negativ", "negativ", "negativ"]},
        index=["P1", "P2", "P3"],
    )
    rule = [MssRule(status=["niedrig"], dynamic=["negativ"]), MssRule(dynamic=["positiv"])]
    out = mss_attention(mss, rule, ids)
    assert list(out.index) == list(ids)
    assert list(out.columns) == ["mss_status", "mss_dynamic", "c_mss"]
    assert str(out["c_mss"].dtype) == "Int8"
    assert out["c_mss"].isna().tolist() == [True, False, False, True]  # P3 no status, P4 no row
    assert out.loc["P1", "c_mss"] == 1 and out.loc["P2", "c_mss"] == 0
    # a rule naming only the status ignores the dynamic, and vice versa
    only_dynamic = mss_attention(mss, [MssRule(dynamic=["negativ"])], ids)
    assert only_dynamic.loc[["P1", "P2"], "c_mss"].tolist() == [1, 1]


def test_lmb_estimate_scales_caps_names_and_refuses_zero_poverty() -> None:
    s4 = pd.Series({"K1": 10.0, "K2": 40.0}, name="s4")
    estimate, factor = estimate_lmb(s4, citywide_child_poverty=0.5, citywide_mean=30.0)
    assert factor == 60.0
    assert estimate.name == "lmb_share"
    assert estimate.tolist() == [100.0, 100.0]  # 600 % and 2400 % capped
    with pytest.raises(ValueError, match="citywide child poverty must be positive"):
        estimate_lmb(s4, citywide_child_poverty=0.0, citywide_mean=30.0)


def test_school_lmb_per_catchment_weighted_only_when_every_school_has_pupils() -> None:
    schools = pd.DataFrame(
        {"catchment": ["K1", "K1", "K2"], "share": [10.0, 40.0, 20.0], "pupils": [300, 100, 50]}
    )
    weighted = aggregate_school_lmb(schools)
    assert weighted.name == "lmb_share"
    assert weighted.to_dict() == {"K1": pytest.approx(17.5), "K2": 20.0}
    partial = aggregate_school_lmb(schools.assign(pupils=[300, None, 50]))
    assert partial.name == "lmb_share"
    assert partial.to_dict() == {"K1": 25.0, "K2": 20.0}  # plain mean
    plain = aggregate_school_lmb(schools.drop(columns="pupils"))
    assert plain.to_dict() == {"K1": 25.0, "K2": 20.0}


def test_schools_criterion_without_overlaps_clipped_shares_and_order() -> None:
    overlaps = pd.DataFrame(
        {"source": ["K1", "K1", "K2"], "target": ["P2", "P2", "P1"], "area_m2": [80.0, 60.0, 30.0]}
    )
    lmb = pd.Series({"K1": 90.0, "K2": 90.0})
    area = pd.Series({"P2": 100.0, "P1": 100.0, "P3": 100.0})
    out = schools_criterion(
        overlaps, lmb, area, lmb_threshold=75, min_area_share=0.5, min_coverage=0.0
    )
    assert list(out.index) == ["P2", "P1", "P3"]
    assert list(out.columns) == ["lmb_area_share", "lmb_coverage", "c_schools"]
    assert str(out["c_schools"].dtype) == "Int8"
    assert out.loc["P2", "lmb_area_share"] == 1.0 and out.loc["P2", "lmb_coverage"] == 1.0
    assert out.loc["P1", "lmb_area_share"] == pytest.approx(0.3)
    assert out["c_schools"].tolist() == [1, 0, 0]
    assert out.loc["P3", "lmb_coverage"] == 0.0 and out.loc["P3", "lmb_area_share"] == 0.0
    strict = schools_criterion(
        overlaps, lmb, area, lmb_threshold=75, min_area_share=0.5, min_coverage=0.01
    )
    assert pd.isna(strict.loc["P3", "c_schools"]) and pd.isna(strict.loc["P3", "lmb_area_share"])


def test_atlas_population_quantiles_on_unsorted_values_with_gaps() -> None:
    values = pd.Series([3.0, np.nan, 1.0, 2.0], index=["c", "x", "a", "b"])
    population = pd.Series({"a": 100.0, "b": 100.0, "c": 100.0, "x": 5000.0})
    rule = AtlasCriterion(strata=3, flag_strata=[3], method="quantiles_population")
    out = atlas_strata(values, population, rule)
    assert list(out.columns) == ["atlas_value", "atlas_stratum", "c_atlas"]
    assert str(out["atlas_stratum"].dtype) == "Int8" and str(out["c_atlas"].dtype) == "Int8"
    assert out["atlas_stratum"].tolist()[0] == 1 and pd.isna(out["atlas_stratum"].iloc[1])
    assert out.loc[["a", "b", "c"], "atlas_stratum"].tolist() == [3, 2, 1]
    assert out.loc[["a", "b", "c"], "c_atlas"].tolist() == [1, 0, 0]
    # a planning area without a population figure weighs nothing (not one inhabitant)
    sparse_pop = pd.Series({"a": np.nan, "b": 200.0, "c": 1.0})  # 1 more in a moves b up
    weighted = atlas_strata(
        values, sparse_pop, AtlasCriterion(strata=2, flag_strata=[2], method="quantiles_population")
    )
    assert weighted.loc[["a", "b", "c"], "atlas_stratum"].tolist() == [2, 2, 1]


def test_atlas_breaks_beyond_the_last_bound_fall_into_stratum_one() -> None:
    values = pd.Series([-5.0, 0.0, 9.0], index=["a", "b", "c"])
    rule = AtlasCriterion(strata=3, flag_strata=[3], method="breaks", breaks=[-1.0, 1.0])
    out = atlas_strata(values, pd.Series(1.0, index=values.index), rule)
    assert out["atlas_stratum"].tolist() == [3, 2, 1]


def test_count_criteria_is_an_integer_series_named_n_criteria() -> None:
    flags = pd.DataFrame(
        {
            "c_mss": pd.array([1, None, 0], dtype="Int8"),
            "c_schools": pd.array([1, 1, None], dtype="Int8"),
            "c_atlas": pd.array([1, 0, None], dtype="Int8"),
        }
    )
    out = count_criteria(flags)
    assert out.name == "n_criteria"
    assert out.tolist() == [3, 1, 0]
    assert pd.api.types.is_integer_dtype(out)


# ----------------------------------------------------------------------------------- harmonize


def test_intersection_area_equals_the_serial_result_on_the_parallel_path() -> None:
    n = 150  # above the 64 pairs where the work is split over threads
    a = shapely.box(np.arange(n), 0, np.arange(n) + 2, 1)
    b = shapely.box(np.arange(n) + 1, 0, np.arange(n) + 1 + np.linspace(0.5, 3, n), 1)
    got = intersection_area(a, b)
    want = shapely.area(shapely.intersection(a, b))
    assert got.dtype == np.float64 and got.shape == (n,)
    np.testing.assert_allclose(got, want)
    small = intersection_area(a[:5], b[:5])
    assert small.dtype == np.float64
    np.testing.assert_allclose(small, want[:5])


def layer(boxes: dict[str, tuple[float, float, float, float]], crs: str | None = CRS):
    return gpd.GeoSeries([shapely.box(*b) for b in boxes.values()], index=list(boxes), crs=crs)


def test_overlay_keeps_overlaps_of_at_least_min_area_sorted_by_target_then_source() -> None:
    source = layer({"S2": (0, 0, 10, 10), "S1": (10, 0, 20, 10)})
    target = layer({"T2": (9, 0, 11, 10), "T1": (0, 0, 10, 0.1)})
    out = overlay(source, target)
    assert list(out.columns) == ["source", "target", "area_m2", "source_share", "target_share"]
    # T1 x S2 is exactly 1 m²: kept by the default minimum of 1 m²
    assert list(zip(out["target"], out["source"], strict=True)) == [
        ("T1", "S2"),
        ("T2", "S1"),
        ("T2", "S2"),
    ]
    assert out["area_m2"].tolist() == pytest.approx([1.0, 10.0, 10.0])
    assert len(overlay(source, target, min_area_m2=1.01)) == 2
    assert len(overlay_weights(source, target, min_area_m2=1.01)) == 2


def test_overlay_refuses_two_different_crs_but_accepts_one_missing() -> None:
    source = layer({"S": (0, 0, 10, 10)})
    with pytest.raises(ValueError, match="source CRS EPSG:25833 differs from target CRS"):
        overlay(source, layer({"T": (0, 0, 10, 10)}, crs="EPSG:3035"))
    assert len(overlay(source, layer({"T": (0, 0, 10, 10)}, crs=None))) == 1
    assert len(overlay(layer({"S": (0, 0, 10, 10)}, crs=None), layer({"T": (0, 0, 10, 10)}))) == 1


def test_weigh_defaults_to_area_and_weighs_unknown_population_zero() -> None:
    overlaps = pd.DataFrame(
        {
            "source": ["A", "B"],
            "target": ["T", "T"],
            "area_m2": [4.0, 6.0],
            "source_share": [0.5, 1.0],
        }
    )
    assert weigh(overlaps)["weight"].tolist() == [4.0, 6.0]
    by_pop = weigh(overlaps, "population", pd.Series({"A": 100.0}))
    assert by_pop["weight"].tolist() == [50.0, 0.0]
    with pytest.raises(ValueError, match="population weighting needs source_population"):
        weigh(overlaps, "population")


def test_intensive_transfer_keeps_target_order_and_marks_unreached_targets() -> None:
    weights = pd.DataFrame(
        {"source": ["A", "B", "C"], "target": ["T1", "T1", "T2"], "weight": [1.0, 1.0, 2.0]}
    )
    values = pd.Series({"A": 10.0, "B": 30.0, "C": np.nan})
    out = transfer_intensive(weights, values, pd.Index(["T3", "T2", "T1"]))
    assert list(out.index) == ["T3", "T2", "T1"]
    assert list(out.columns) == ["value", "coverage"]
    assert out.loc["T1", "value"] == 20.0 and out.loc["T1", "coverage"] == 1.0
    assert np.isnan(out.loc["T2", "value"]) and out.loc["T2", "coverage"] == 0.0  # only no data
    assert np.isnan(out.loc["T3", "value"]) and out.loc["T3", "coverage"] == 0.0  # no overlap
