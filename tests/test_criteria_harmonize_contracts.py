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
    with pytest.raises(ValueError) as info:
        estimate_lmb(s4, citywide_child_poverty=0.0, citywide_mean=30.0)
    assert str(info.value) == (
        "citywide child poverty must be positive to calibrate the lmb estimate"
    )


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


def test_intersection_area_is_the_area_of_the_pairwise_intersections() -> None:
    n = 150
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
    assert len(overlay_weights(source, target)) == 3  # the default minimum is 1 m²


def test_overlay_pairs_only_zones_that_intersect_not_bounding_boxes() -> None:
    ell = shapely.box(0, 0, 10, 10).difference(shapely.box(5, 5, 10, 10))
    source = gpd.GeoSeries([ell], index=["L"], crs=CRS)
    target = layer({"N": (6, 6, 9, 9), "E": (5, 5, 9, 9)})  # in the notch; touching its corner
    out = overlay(source, target, min_area_m2=0.0)
    assert list(zip(out["target"], out["source"], out["area_m2"], strict=True)) == [("E", "L", 0.0)]


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
    with pytest.raises(ValueError) as info:
        weigh(overlaps, "population")
    assert str(info.value) == "population weighting needs source_population"
    with pytest.raises(ValueError) as info:
        weigh(overlaps, "volume")  # type: ignore[arg-type]
    assert str(info.value) == "unknown weight 'volume'"


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
    # a quarter of the weight with a value: a value under the default min_coverage of 0
    partial = pd.DataFrame({"source": ["A", "C"], "target": ["T4", "T4"], "weight": [1.0, 3.0]})
    out = transfer_intensive(partial, values, pd.Index(["T4"]))
    assert out.loc["T4", "value"] == 10.0 and out.loc["T4", "coverage"] == 0.25


# ------------------------------------------------------------------- registered criteria


def _half(planning_areas: pd.DataFrame, entry) -> list[int | None]:
    """A toy criterion: the entry's list of flags, as a plain list (aligned by position)."""
    return entry["flags"]


def test_registering_a_criterion_checks_its_name_and_undoes_cleanly() -> None:
    from quartiere.criteria import REGISTERED, register_criterion
    from quartiere.rules import rule_names

    for bad in ("toy", "c_mss", "C_toy"):
        with pytest.raises(ValueError) as info:
            register_criterion(bad, _half)
        assert str(info.value) == f"a criterion's flag is c_<name>, not a built-in one: {bad!r}"
    register_criterion("c_half", _half)
    try:
        assert REGISTERED["c_half"] is _half
        assert rule_names()[-1] == "c_half"
    finally:
        register_criterion("c_half", None)
    assert "c_half" not in REGISTERED
    assert "c_half" not in rule_names()
    register_criterion("c_half", None)  # unregistering twice is harmless


def test_extra_criteria_are_int8_flags_on_the_planning_areas_index() -> None:
    from quartiere.criteria import extra_criteria, register_criterion
    from quartiere.errors import ConfigError

    areas = pd.DataFrame({"population": [10.0, 20.0, 30.0]}, index=["P3", "P1", "P2"])
    with pytest.raises(ConfigError) as info:
        extra_criteria(areas, {"c_zzz": {}, "c_aaa": {}})
    assert str(info.value) == (
        "criteria.extra: no criterion registered as c_aaa, c_zzz (registered: none)"
    )
    register_criterion("c_half", _half)
    try:
        with pytest.raises(ConfigError) as info:
            extra_criteria(areas, {"c_zzz": {}})
        assert str(info.value).endswith("as c_zzz (registered: c_half)")
        register_criterion("c_another", _half)
        with pytest.raises(ConfigError) as info:
            extra_criteria(areas, {"c_zzz": {}})
        assert str(info.value).endswith("as c_zzz (registered: c_another, c_half)")
        register_criterion("c_another", None)
        flags = extra_criteria(areas, {"c_half": {"flags": [1, None, 0]}})
        assert list(flags.columns) == ["c_half"]
        assert flags.index.tolist() == ["P3", "P1", "P2"]
        assert str(flags["c_half"].dtype) == "Int8"
        assert flags["c_half"].tolist() == [1, pd.NA, 0]
        assert flags["c_half"].name == "c_half"
        empty = extra_criteria(areas, {})
        assert empty.shape == (3, 0) and empty.index.tolist() == ["P3", "P1", "P2"]
        counted = count_criteria(
            pd.DataFrame(
                {
                    "c_mss": pd.array([1, None, 0], dtype="Int8"),
                    "c_schools": pd.array([1, 1, None], dtype="Int8"),
                    "c_atlas": pd.array([0, 0, 0], dtype="Int8"),
                    "c_half": pd.array([1, None, 1], dtype="Int8"),
                    "c_other": [1, 1, 1],  # not registered: not counted
                }
            )
        )
        assert counted.tolist() == [3, 1, 1] and counted.name == "n_criteria"
        # a registered criterion the flags lack is simply not counted
        assert count_criteria(
            pd.DataFrame({"c_mss": [1], "c_schools": [1], "c_atlas": [1]})
        ).tolist() == [3]
    finally:
        register_criterion("c_half", None)


def test_a_criterion_returning_a_series_is_aligned_by_its_labels() -> None:
    from quartiere.criteria import extra_criteria, register_criterion

    areas = pd.DataFrame({"population": [10.0, 20.0, 30.0]}, index=["P3", "P1", "P2"])
    register_criterion("c_half", _half)
    try:
        by_label = extra_criteria(
            areas, {"c_half": {"flags": pd.Series([1, 0, None], index=["P1", "P2", "P3"])}}
        )
        assert by_label["c_half"].tolist() == [pd.NA, 1, 0]
        assert str(by_label["c_half"].dtype) == "Int8" and by_label["c_half"].name == "c_half"
        with pytest.raises(ValueError) as info:
            extra_criteria(areas, {"c_half": {"flags": pd.Series([1, 0], index=["P1", "P3"])}})
        assert str(info.value) == (
            "criterion c_half: its Series lacks plr_id(s) of the planning areas, e.g. 'P2'"
            " (index it like the planning areas)"
        )
    finally:
        register_criterion("c_half", None)


def test_schools_by_location_counts_schools_and_flags_where_a_flagged_one_stands() -> None:
    from quartiere.criteria import schools_by_location

    school_plr = pd.Series(["P1", "P1", "P3", "P9"], index=["s1", "s2", "s3", "s4"])
    flagged = pd.Series([1, 0, 0, 1], index=["s1", "s2", "s3", "s4"])
    out = schools_by_location(school_plr, flagged, pd.Index(["P3", "P2", "P1"]))
    assert list(out.columns) == ["n_schools", "n_schools_flagged", "c_schools_location"]
    assert out.index.tolist() == ["P3", "P2", "P1"]
    assert out["n_schools"].tolist() == [1, 0, 2]
    assert out["n_schools_flagged"].tolist() == [0, 0, 1]
    assert out["c_schools_location"].tolist() == [0, 0, 1]
    assert str(out["c_schools_location"].dtype) == "Int8"
    assert out["n_schools"].dtype == int and out["n_schools_flagged"].dtype == int
    bools = schools_by_location(school_plr, flagged.astype(bool), pd.Index(["P1"]))
    assert bools["n_schools_flagged"].tolist() == [1]
