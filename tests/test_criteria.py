"""Criterion edges: thresholds met exactly, no-data PLR, catchments straddling two PLR."""

import numpy as np
import pandas as pd
import pytest

from quartiere.config import AtlasCriterion, MssRule
from quartiere.criteria import (
    aggregate_school_lmb,
    atlas_strata,
    count_criteria,
    estimate_lmb,
    mss_attention,
    schools_criterion,
)

RULES = [
    MssRule(status=["niedrig", "sehr niedrig"]),
    MssRule(status=["mittel"], dynamic=["negativ"]),
]
PLR = pd.Index(["01000001", "01000002", "01000003", "01000004", "01000005"])


def test_mss_rule_alternatives_and_no_data():
    mss = pd.DataFrame(
        {
            "status": ["sehr niedrig", " mittel ", "mittel", "hoch"],
            "dynamic": ["positiv", "negativ", "stabil", "negativ"],
        },
        index=PLR[:4],
    )
    out = mss_attention(mss, RULES, PLR)
    assert out["c_mss"].tolist()[:4] == [1, 1, 0, 0]
    assert out["c_mss"].isna().tolist() == [False, False, False, False, True]  # not indexed
    assert out.loc[PLR[1], "mss_status"] == "mittel"  # stray blanks removed


def test_lmb_estimate_scales_to_the_citywide_mean_and_caps():
    lmb, factor = estimate_lmb(pd.Series({"a": 20.0, "b": 80.0}), 25.0, 33.0)
    assert factor == pytest.approx(1.32)
    assert lmb["a"] == pytest.approx(26.4)
    assert lmb["b"] == 100.0


def test_school_table_aggregates_by_pupils():
    schools = pd.DataFrame(
        {
            "catchment": ["0101", "0101", "0102"],
            "share": [80.0, 40.0, 10.0],
            "pupils": [300.0, 100.0, 50.0],
        }
    )
    out = aggregate_school_lmb(schools)
    assert out["0101"] == pytest.approx(70.0)
    assert out["0102"] == pytest.approx(10.0)


def overlaps(rows):
    return pd.DataFrame(rows, columns=["source", "target", "area_m2"])


def test_schools_threshold_met_exactly_and_straddling_catchment():
    # Catchment K1 (lmb exactly 75) straddles P1 and P2: half of P1 and half of P2.
    ov = overlaps(
        [
            ("K1", "P1", 50.0),
            ("K2", "P1", 50.0),
            ("K1", "P2", 40.0),
            ("K3", "P2", 60.0),
            ("K3", "P3", 100.0),
        ]
    )
    lmb = pd.Series({"K1": 75.0, "K2": 10.0, "K3": np.nan})
    area = pd.Series({"P1": 100.0, "P2": 100.0, "P3": 100.0})
    out = schools_criterion(ov, lmb, area, lmb_threshold=75, min_area_share=0.5, min_coverage=0.3)
    assert out.loc["P1", "lmb_area_share"] == pytest.approx(0.5)
    assert out.loc["P1", "c_schools"] == 1  # exactly 50 % meets "at least 50 %"
    assert out.loc["P2", "c_schools"] == 0  # 40 % covered, with 40 % known coverage
    assert pd.isna(out.loc["P3", "c_schools"])  # no catchment with data
    stricter = schools_criterion(
        ov, lmb, area, lmb_threshold=75.01, min_area_share=0.5, min_coverage=0.3
    )
    assert stricter.loc["P1", "c_schools"] == 0


def test_atlas_quantiles_by_count_put_the_lowest_seventh_in_stratum_7():
    values = pd.Series(np.arange(14, dtype=float), index=[f"{i:08d}" for i in range(14)])
    values.iloc[13] = np.nan
    out = atlas_strata(values, pd.Series(1.0, index=values.index), AtlasCriterion())
    # 13 values, 7 strata: the lowest two (positions 0, 1) are stratum 7
    assert out["atlas_stratum"].iloc[:3].tolist() == [7, 7, 6]
    assert out["c_atlas"].iloc[:3].tolist() == [1, 1, 0]
    assert out["atlas_stratum"].iloc[12] == 1
    assert pd.isna(out["c_atlas"].iloc[13])


def test_atlas_quantiles_by_population_and_breaks():
    values = pd.Series([-2.0, -1.0, 0.0, 1.0], index=list("abcd"))
    pop = pd.Series([100.0, 100.0, 100.0, 700.0], index=list("abcd"))
    by_pop = atlas_strata(
        values, pop, AtlasCriterion(strata=2, flag_strata=[2], method="quantiles_population")
    )
    # the three low values hold 30 % of the inhabitants: all in the lower half
    assert by_pop["c_atlas"].tolist() == [1, 1, 1, 0]
    breaks = atlas_strata(
        values, pop, AtlasCriterion(strata=3, flag_strata=[3], method="breaks", breaks=[-1.0, 0.5])
    )
    assert breaks["atlas_stratum"].tolist() == [3, 3, 2, 1]  # a value on a bound joins the lower


def test_count_criteria_treats_no_data_as_not_met():
    flags = pd.DataFrame(
        {
            "c_mss": pd.array([1, pd.NA, 1], dtype="Int8"),
            "c_schools": pd.array([1, 1, pd.NA], dtype="Int8"),
            "c_atlas": pd.array([0, 1, pd.NA], dtype="Int8"),
        }
    )
    assert count_criteria(flags).tolist() == [2, 2, 1]


def test_schools_shares_are_floats_and_a_nullable_lmb_share_reads_na_as_unknown():
    ov = overlaps([("K1", "P1", 60.0), ("K2", "P1", 40.0), ("K2", "P2", 100.0)])
    lmb = pd.Series({"K1": 80.0, "K2": None}, dtype="Float64")  # <NA>: no lmb share known
    area = pd.Series({"P1": 100.0, "P2": 100.0})
    out = schools_criterion(ov, lmb, area, lmb_threshold=75, min_area_share=0.5, min_coverage=0.3)
    assert out["lmb_area_share"].dtype == np.float64
    assert out["lmb_coverage"].dtype == np.float64
    assert out["lmb_coverage"].tolist() == pytest.approx([0.6, 0.0])
    assert out.loc["P1", "c_schools"] == 1
    assert pd.isna(out.loc["P2", "c_schools"])


def test_schools_area_share_at_the_tolerance_below_the_minimum_still_meets_it():
    # flagged area exactly min_area_share - 1e-9 of the PLR: inside the float tolerance
    at = 0.5 - 1e-9
    ov = overlaps([("K1", "P1", at), ("K2", "P1", 1.0 - at), ("K1", "P2", at - 1e-9)])
    lmb = pd.Series({"K1": 80.0, "K2": 10.0})
    area = pd.Series({"P1": 1.0, "P2": 1.0})
    out = schools_criterion(ov, lmb, area, lmb_threshold=75, min_area_share=0.5, min_coverage=0.0)
    assert out["c_schools"].tolist() == [1, 0]


def test_atlas_population_quantiles_without_inhabitants_are_no_data():
    """No inhabitants at all: population quantiles are undefined, so stratum and flag are both
    no data, never every planning area in one stratum (a wrong answer that looks right)."""
    values = pd.Series([1.0, 2.0, 3.0], index=list("abc"))
    rule = AtlasCriterion(strata=2, flag_strata=[2], method="quantiles_population")
    out = atlas_strata(values, pd.Series([0.0, 0.0, 0.0], index=list("abc")), rule)
    assert out["atlas_stratum"].isna().all() and out["c_atlas"].isna().all()
    assert out["atlas_value"].tolist() == [1.0, 2.0, 3.0]
    # one inhabitant is enough
    out = atlas_strata(values, pd.Series([0.0, 1.0, 0.0], index=list("abc")), rule)
    assert out["atlas_stratum"].tolist() == [2, 1, 1]  # b holds the middle of the one inhabitant
    assert out["c_atlas"].tolist() == [1, 0, 0]


def test_atlas_population_quantiles_put_an_uninhabited_top_value_in_stratum_1():
    # the highest value has no inhabitants: its midpoint is the total, still the top stratum
    values = pd.Series([1.0, 2.0, 3.0], index=list("abc"))
    pop = pd.Series([100.0, 100.0, 0.0], index=list("abc"))
    out = atlas_strata(
        values, pop, AtlasCriterion(strata=2, flag_strata=[1], method="quantiles_population")
    )
    assert out["atlas_stratum"].tolist() == [2, 1, 1]
    assert out["c_atlas"].tolist() == [0, 1, 1]
