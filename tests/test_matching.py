"""The area-matching rule (quartiere.compare.matching) on boxes with exact areas.

The lattices hold ties in overlap (broken by the old key, then the new key), shares exactly at
``min_link`` and ``min_overlap``, a pair linked by one share only, a touching pair with no overlap,
a small area inside a big one, and areas of different kinds, so that each variant of the rule
(``>`` for ``>=``, ``&`` for ``|``, the other tie order, the larger share for the smaller) gives
other rows.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import box

from quartiere.compare.matching import (
    CRS,
    area_links,
    comparison_crs,
    in_comparison_crs,
    is_lettered_part,
    match_areas,
    match_frames,
    mutual_best,
)


def bools(text: str) -> list[bool]:
    """ "TFF" -> [True, False, False]."""
    return [c == "T" for c in text]


def frame(areas: dict, crs: str | None = CRS, **columns) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"hr_id": list(areas), **columns}, geometry=list(areas.values()), crs=crs
    )


OLD = frame(
    {
        "01": box(0, 0, 10, 10),
        "02": box(10, 0, 20, 10),
        "03": box(0, 20, 10, 30),
        "04": box(0, 40, 10, 50),
        "05": box(0, 60, 10, 70),
    }
)
NEW = frame(
    {
        "07": box(0, 0, 8, 10),  # 80 of 01
        "08": box(8, 0, 12, 10),  # 20 of 01 and 20 of 02: a tie broken by the old id
        "09": box(12, 0, 30, 10),  # 80 of 02, 80/180 of itself
        "10": box(-100, 0, 0.5, 10),  # 5 of 01: below min_link on both sides
        "12": box(0, 20, 5, 30),  # 50 of 03, as 13: a tie broken by the new id
        "13": box(5, 20, 10, 30),
        "14": box(10, 0, 11, 10),  # 10 of 02 (0.1 of it, all of itself); touches 01
        "16": box(0, 48, 10, 60),  # 20 of 04: share of the old exactly min_link, of itself 1/6
        "17": box(0, 69, 2, 74),  # 2 of 05: share of itself exactly min_link, of the old 0.02
    }
)


LINK_COLUMNS = ["old_hr_id", "new_hr_id", "overlap_m2", "share_of_old", "share_of_new", "match"]


def test_links_of_every_pair_with_a_share_of_at_least_min_link_largest_first():
    links = area_links(OLD, NEW)
    assert list(links.columns) == LINK_COLUMNS
    assert list(links.index) == list(range(9))
    rows = [
        (r.old_hr_id, r.new_hr_id, r.overlap_m2, r.share_of_old, round(r.share_of_new, 6), r.match)
        for r in links.itertuples()
    ]
    assert rows == [
        ("01", "07", 80.0, 0.8, 1.0, True),
        ("02", "09", 80.0, 0.8, round(80 / 180, 6), True),
        ("03", "12", 50.0, 0.5, 1.0, True),
        ("03", "13", 50.0, 0.5, 1.0, False),
        ("01", "08", 20.0, 0.2, 0.5, False),
        ("02", "08", 20.0, 0.2, 0.5, False),
        ("04", "16", 20.0, 0.2, round(1 / 6, 6), False),
        ("02", "14", 10.0, 0.1, 1.0, False),
        ("05", "17", 2.0, 0.02, 0.2, False),
    ]
    assert links["match"].dtype == bool


def test_min_link_and_min_overlap_are_options():
    links = area_links(OLD, NEW, min_link=0.05, min_overlap=0.9)
    pairs = {(r.old_hr_id, r.new_hr_id): r.match for r in links.itertuples()}
    assert ("01", "10") in pairs and not pairs[("01", "10")]  # 0.05 of 01: linked now
    assert ("01", "14") not in pairs  # touching: no overlap, never linked
    # 0.8 of the old 02 and 0.44 of the new 09: below 0.9 of the smaller
    assert [k for k, v in pairs.items() if v] == [("01", "07"), ("03", "12")]
    assert ("05", "17") in pairs
    strict = area_links(OLD, NEW, min_link=0.2000001, min_overlap=0.8)
    assert sorted(zip(strict["old_hr_id"], strict["new_hr_id"], strict["match"], strict=True)) == [
        ("01", "07", True),
        ("01", "08", False),
        ("02", "08", False),
        ("02", "09", True),  # 0.8 of the smaller: exactly min_overlap
        ("02", "14", False),
        ("03", "12", True),
        ("03", "13", False),
    ]


def test_links_take_ids_of_any_type_as_text():
    old = gpd.GeoDataFrame({"hr_id": [1, 2]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)])
    new = gpd.GeoDataFrame({"hr_id": [5]}, geometry=[box(0.5, 0, 2, 1)])
    links = area_links(old, new)
    assert links[["old_hr_id", "new_hr_id", "match"]].to_dict("records") == [
        {"old_hr_id": "2", "new_hr_id": "5", "match": True},
        {"old_hr_id": "1", "new_hr_id": "5", "match": False},
    ]


@pytest.mark.parametrize("side", ["old", "new"])
def test_links_with_an_empty_side_are_an_empty_frame_of_the_right_columns(side):
    empty = OLD.iloc[:0]
    links = area_links(empty, NEW) if side == "old" else area_links(OLD, empty)
    assert links.empty
    assert list(links.columns) == LINK_COLUMNS
    assert links.dtypes.astype(str).to_dict() == {
        "old_hr_id": "object",
        "new_hr_id": "object",
        "overlap_m2": "float64",
        "share_of_old": "float64",
        "share_of_new": "float64",
        "match": "bool",
    }


def test_lettered_parts_end_in_a_small_letter():
    ids = pd.Series(["01", "13a", "13B", "a1", 7, "2z"])
    assert is_lettered_part(ids).tolist() == [False, True, False, False, False, True]


def test_mutual_best_needs_the_largest_overlap_of_both_sides():
    # B holds a small area s entirely (share 1.0) and a larger overlap with t: containment is not
    # identity, B continues as t. A is the largest overlap of x. C and D tie for n: C wins.
    old = np.array(["A", "A", "B", "B", "C", "D", "E", "E"])
    new = np.array(["x", "y", "s", "t", "n", "n", "p", "q"])
    overlap = np.array([9.0, 1.0, 4.0, 50.0, 5.0, 5.0, 3.0, 3.0])
    share = np.array([0.9, 1.0, 1.0, 0.6, 0.5, 0.5, 0.7, 0.7])
    assert mutual_best(old, new, overlap, share, 0.5).tolist() == bools("TFFTTFTF")
    # the same pairs in another order: the tie still goes to the smaller keys
    order = np.array([7, 6, 5, 4, 3, 2, 1, 0])
    assert mutual_best(old[order], new[order], overlap[order], share[order], 0.5).tolist() == bools(
        "FTFTTFFT"
    )
    # min_overlap at and around a share
    assert mutual_best(old, new, overlap, share, 0.6).tolist() == bools("TFFTFFTF")
    assert mutual_best(old, new, overlap, share, 0.6000001).tolist() == bools("TFFFFFTF")


def test_mutual_best_of_no_pairs_is_an_empty_bool_array():
    result = mutual_best(np.array([]), np.array([]), np.array([]), np.array([]), 0.5)
    assert result.dtype == bool
    assert result.shape == (0,)


def test_match_frames_matches_areas_of_the_same_kind_ordered_by_the_new_area():
    old = frame({"05": box(0, 0, 10, 10), "13a": box(10, 0, 20, 10), "13b": box(20, 0, 30, 10)})
    new = frame(
        {
            "x2": box(20, 0, 30, 10),  # the old 13b's ground, but a stand-alone area now
            "x1": box(10, 0, 20, 10),
            "x3": box(0, 0, 9, 10),
            "x4": box(9, 0, 10, 10),
        },
        is_part=[False, True, False, False],
    )
    matches = match_frames(old, new)
    assert list(matches.columns) == ["old", "new", "old_hr_id", "new_hr_id", "overlap_m2", "share"]
    assert matches.to_dict("records") == [
        {
            "old": 1,
            "new": 1,
            "old_hr_id": "13a",
            "new_hr_id": "x1",
            "overlap_m2": 100.0,
            "share": 1.0,
        },
        {
            "old": 0,
            "new": 2,
            "old_hr_id": "05",
            "new_hr_id": "x3",
            "overlap_m2": 90.0,
            "share": 1.0,
        },
    ]
    # without is_part every new id reads as a stand-alone area ("x1" ends in a digit)
    plain = match_frames(old, new.drop(columns="is_part"))
    assert plain["new_hr_id"].tolist() == ["x3"]
    # is_part on the old side overrides its ids too
    old_flags = old.assign(is_part=[False, False, False])
    assert match_frames(old_flags, new.drop(columns="is_part"))["new_hr_id"].tolist() == [
        "x2",
        "x1",
        "x3",
    ]


def test_match_frames_share_is_of_the_smaller_area_and_min_overlap_applies_to_it():
    old = frame({"01": box(0, 0, 10, 10)})
    new = frame({"02": box(6, 0, 16, 10)})  # 40 of 100 and 100
    assert match_frames(old, new, min_overlap=0.4)["share"].tolist() == [0.4]
    assert match_frames(old, new, min_overlap=0.4000001).empty
    assert match_frames(old, new).empty  # default 0.5
    bigger = frame({"02": box(5, 0, 25, 10)})  # 50 of 100 and 200: half of the smaller
    assert match_frames(old, bigger)["share"].tolist() == [0.5]


@pytest.mark.parametrize("side", ["old", "new"])
def test_match_frames_with_an_empty_side_is_empty_with_its_columns(side):
    empty = OLD.iloc[:0]
    out = match_frames(empty, NEW) if side == "old" else match_frames(OLD, empty)
    assert out.empty
    assert list(out.columns) == ["old", "new", "old_hr_id", "new_hr_id", "overlap_m2", "share"]
    assert out.dtypes.astype(str).tolist() == ["object"] * 6


def test_match_areas_keeps_the_links_index_and_matches_only_the_same_kind():
    links = pd.DataFrame(
        {
            "old_hr_id": ["13a", "13a", "02", "03"],
            "new_hr_id": ["07", "13c", "08", "09"],
            "overlap_m2": [90.0, 10.0, 30.0, 40.0],
            "share_of_old": [0.9, 0.1, 0.3, 0.45],
            "share_of_new": [0.2, 1.0, 0.6, 0.2],
        },
        index=[10, 11, 12, 13],
    )
    match = match_areas(links)
    assert match.index.tolist() == [10, 11, 12, 13]
    # 13a-07 differ in kind; 13a-13c is then the best of both; 02-08 by the larger share (0.6);
    # 03-09 holds 0.45 of the old and 0.2 of the new: below 0.5 of the smaller
    assert match.tolist() == [False, True, True, False]
    assert match_areas(links, min_overlap=0.45).tolist() == [False, True, True, True]
    assert match_areas(links, min_overlap=0.61).tolist() == [False, True, False, False]


def test_match_areas_of_no_links_is_an_empty_series():
    empty = pd.DataFrame(
        columns=["old_hr_id", "new_hr_id", "overlap_m2", "share_of_old", "share_of_new"]
    )
    out = match_areas(empty)
    assert out.empty
    assert out.dtype == bool


def test_frames_are_compared_in_the_newest_builds_crs():
    plain = frame({"01": box(0, 0, 1, 1)}, crs=None)
    assert in_comparison_crs(plain, CRS) is plain
    assert in_comparison_crs(OLD, CRS) is OLD
    wgs84 = frame({"01": box(13.4, 52.5, 13.41, 52.51)}, crs="EPSG:4326")
    moved = in_comparison_crs(wgs84, CRS)
    assert moved.crs == CRS
    x, y = moved.geometry.iloc[0].centroid.coords[0]
    assert 390_000 < x < 395_000 and 5_815_000 < y < 5_822_000
    laea = in_comparison_crs(wgs84, "EPSG:3035")  # another metric CRS: Europe's LAEA
    x, y = laea.geometry.iloc[0].centroid.coords[0]
    assert 4_550_000 < x < 4_560_000 and 3_270_000 < y < 3_280_000
    # the last frame with a CRS decides; none at all falls back to the default
    assert comparison_crs(OLD, laea, plain) == laea.crs
    assert comparison_crs(laea, OLD) == OLD.crs
    assert comparison_crs(plain) == CRS


# an L whose bounding box holds a box it does not touch
ELL = box(0, 0, 10, 10).difference(box(5, 5, 10, 10))
NOTCH = box(6, 6, 9, 9)


def test_only_areas_that_intersect_are_candidates_not_bounding_boxes():
    old = frame({"01": ELL})
    new = frame({"02": NOTCH})
    assert area_links(old, new, min_link=0.0).empty
    assert match_frames(old, new, min_overlap=0.0).empty
    touching = frame({"02": box(5, 5, 9, 9)})  # touches the L at its inner corner
    links = area_links(old, touching, min_link=0.0)
    assert links[["old_hr_id", "new_hr_id", "overlap_m2"]].values.tolist() == [["01", "02", 0.0]]


def test_a_share_of_an_area_without_area_is_zero():
    # a line has no area: its share is 0, not 0/0, so with min_overlap 0 it still matches
    old = frame({"01": box(0, 0, 10, 10)})
    line = gpd.GeoDataFrame({"hr_id": ["02"]}, geometry=[shapely.LineString([(1, 1), (2, 2)])])
    matches = match_frames(old, line, min_overlap=0.0)
    assert matches[["old_hr_id", "new_hr_id", "share"]].values.tolist() == [["01", "02", 0.0]]
    assert match_frames(old, line, min_overlap=1e-9).empty


def test_shares_of_areas_smaller_than_a_square_metre():
    old = frame({"01": box(0, 0, 1, 1)})
    new = frame({"02": box(0, 0, 0.5, 1)})
    assert match_frames(old, new)["share"].tolist() == [1.0]


def test_match_frames_gives_equal_overlaps_to_the_smaller_id_whatever_the_row_order():
    # the new area overlaps both old ones by 50 m²; "01" comes second in the file
    old = frame({"02": box(10, 0, 20, 10), "01": box(0, 0, 10, 10)})
    new = frame({"07": box(5, 0, 15, 10)})
    assert match_frames(old, new)[["old", "old_hr_id"]].values.tolist() == [[1, "01"]]
    # and an old area overlapped equally by two new ones goes to the smaller new id
    one = frame({"01": box(0, 0, 10, 10)})
    two = frame({"08": box(5, 0, 15, 10), "07": box(-5, 0, 5, 10)})
    assert match_frames(one, two)[["new", "new_hr_id"]].values.tolist() == [[1, "07"]]
