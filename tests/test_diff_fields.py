"""``diff`` field by field: every column of the events, the ground and the planning-area changes on
hand-computed lattices (pictures as in ``test_diff``), the counts, the thresholds at their exact
values, the recorded matching, and builds with missing columns or no areas at all."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from quartiere.compare.diff import DiffOptions, diff_builds
from quartiere.record import Build, BuildInfo
from test_diff import build, plr_id

# 211 m cells: 0.044521 km2, so a field rounded to 4 decimals differs from one rounded to 5
CELL = 0.044521

OLD = """
01 01 .  02 02 .  03 03
01 01 .  02 .  .  .  .
04 04 .  .  .  .  .  .
05 05 05 05 .  .  .  .
08 08 .  .  09 .  .  .
11 11 .  .  .  .  .  .
"""
NEW = """
01 01 01 02 .  .  07 07
01 01 .  02 .  .  .  .
.  04 04 .  .  .  .  .
05 05 .  06 .  .  .  .
08 08 08 08 08 .  .  .
.  .  .  .  .  .  10 10
"""


def row(kind, old_ids, new_ids, old_cells, new_cells, **fields):
    """An expected event: population 1,000 and CELL km2 per cell."""
    names = {"old": tuple(f"Area {i}" for i in old_ids), "new": tuple(f"Area {i}" for i in new_ids)}
    out = {
        "kind": kind,
        "old_hr_ids": tuple(old_ids),
        "new_hr_ids": tuple(new_ids),
        "old_name": "; ".join(names["old"]),
        "new_name": "; ".join(names["new"]),
        "old_names": names["old"],
        "new_names": names["new"],
        "continues": (),
        "old_population": 1000 * old_cells,
        "new_population": 1000 * new_cells,
        "d_population": 1000 * (new_cells - old_cells),
        "old_area_km2": round(old_cells * CELL, 4),
        "new_area_km2": round(new_cells * CELL, 4),
        "d_area_km2": round((new_cells - old_cells) * CELL, 4),
        "overlap": 0.0,
        "gained_km2": 0.0,
        "lost_km2": 0.0,
        "extent": "",
        "renumbered": False,
        "changed": True,
    }
    return out | fields


def test_every_field_of_every_event_in_order():
    """01 grew, 02 shrank (2 of its 3 cells stay), 04 reshaped, 03 renumbered 07, 05 split
    into 05 and 06, 08 and 09 merged, 10 appeared, 11 vanished; the events sorted by kind, then
    by their first new (else old) id."""
    result = diff_builds(build(OLD, size=211), build(NEW, size=211))
    got = result.areas.to_dict("records")
    one = round(CELL, 4)
    assert got == [
        row("persisted", ["01"], ["01"], 4, 5, continues=("01>01",), overlap=1.0,
            gained_km2=one, extent="grew"),
        row("persisted", ["02"], ["02"], 3, 2, continues=("02>02",), overlap=0.6667,
            lost_km2=one, extent="shrank"),
        row("persisted", ["04"], ["04"], 2, 2, continues=("04>04",), overlap=0.5,
            gained_km2=one, lost_km2=one, extent="reshaped"),
        row("persisted", ["03"], ["07"], 2, 2, continues=("03>07",), overlap=1.0,
            extent="unchanged", renumbered=True),
        row("split", ["05"], ["05", "06"], 4, 3, continues=("05>05",), overlap=0.75,
            lost_km2=one),
        row("merged", ["08", "09"], ["08"], 3, 5, continues=("08>08",), overlap=1.0,
            gained_km2=round(2 * CELL, 4)),
        row("appeared", [], ["10"], 0, 2),
        row("vanished", ["11"], [], 2, 0),
    ]  # fmt: skip
    assert list(result.areas.index) == list(range(8))
    plr = result.planning_areas
    entered = [(0, 2), (2, 2), (4, 2), (4, 3), (5, 6), (5, 7)]
    left = [(0, 4), (2, 0), (3, 2), (5, 0), (5, 1)]
    assert dict(zip(plr["plr_id"], plr["membership"], strict=True)) == {
        **{plr_id(r, c): "entered" for r, c in entered},
        **{plr_id(r, c): "left" for r, c in left},
    }
    assert result.counts() == {
        "persisted": 4,
        "split": 1,
        "merged": 1,
        "regrouped": 0,
        "appeared": 1,
        "vanished": 1,
        "persisted_unchanged": 1,
        "persisted_grew": 1,
        "persisted_shrank": 1,
        "persisted_reshaped": 1,
        "renumbered": 1,
        "plr_entered": 6,
        "plr_left": 5,
        "plr_moved": 0,
        "c_mss_now_met": 6,
        "c_mss_no_longer_met": 5,
        "c_schools_now_met": 0,
        "c_schools_no_longer_met": 0,
        "c_atlas_now_met": 0,
        "c_atlas_no_longer_met": 0,
    }
    assert result.old == {
        "label": "lor2021",
        "edition": "edition lor2021",
        "lor_generation": "lor2021",
        "built_at": None,
        "language": "de",
        "n_areas": 8,
        "population": 20000,
        "area_km2": round(20 * CELL, 3),
    }
    assert result.new["n_areas"] == 8 and result.new["population"] == 21000
    # flags known on both sides are whole numbers in the JSON
    from quartiere.present.diff_text import diff_json

    first = diff_json(result)["planning_areas"][0]
    assert (first["c_mss_old"], first["c_mss_new"]) == (0, 1)
    assert all(
        type(first[f"c_{c}_{w}"]) is int
        for c in ("mss", "schools", "atlas")
        for w in ("old", "new")
    )


def test_counts_of_one_move_and_of_what_stays():
    """A planning area moving between persisting areas, unchanged areas: counted as such."""
    # 1 of 02's 6 cells moves to 01 (7 cells then): too little to link them, so a move
    before = "01 01 01 02 02 02\n01 01 01 02 02 02"
    after = "01 01 01 01 02 02\n01 01 01 02 02 02"
    result = diff_builds(build(before), build(after))
    counts = result.counts()
    assert counts["plr_moved"] == 1 and counts["plr_entered"] == counts["plr_left"] == 0
    assert (counts["persisted"], counts["persisted_grew"], counts["persisted_shrank"]) == (2, 1, 1)
    assert counts["persisted_unchanged"] == counts["renumbered"] == counts["split"] == 0
    assert counts["c_mss_now_met"] == counts["c_mss_no_longer_met"] == 0
    still = diff_builds(build(before), build(before)).counts()
    assert (still["persisted"], still["persisted_unchanged"], still["plr_moved"]) == (2, 2, 0)
    assert sum(still.values()) == 4


# one cell of 31,622.7645 m: 999.999235 km2, where dividing by 1,000,001 instead of 10^6 shows
# in the third decimal, and rounding to 5 decimals instead of 4 in the fifth
BIG = 31622.7645
BIG_KM2 = BIG * BIG / 1e6


def test_square_kilometres_of_large_areas_to_the_stated_decimals():
    assert round(BIG_KM2, 6) == 999.999235
    result = diff_builds(build("01 .", size=BIG), build("01 01", size=BIG))
    grown = result.areas.iloc[0]
    assert (grown["old_area_km2"], grown["new_area_km2"]) == (999.9992, 1999.9985)
    assert (grown["d_area_km2"], grown["gained_km2"]) == (999.9992, 999.9992)
    assert (result.old["area_km2"], result.new["area_km2"]) == (999.999, 1999.998)
    assert result.areas.iloc[0]["overlap"] == 1.0
    piece = result.changes.iloc[0]
    assert (piece["kind"], piece["area_km2"], piece["population"]) == ("entered", 999.9992, 1000)
    shrunk = diff_builds(build("01 01", size=BIG), build("01 .", size=BIG)).areas.iloc[0]
    assert (shrunk["d_area_km2"], shrunk["lost_km2"], shrunk["overlap"]) == (
        -999.9992,
        999.9992,
        0.5,
    )


def test_the_ground_pieces_field_by_field():
    """The ground that changed hands, with where it came from or went to (the area holding at
    least half of it), its inhabitants and the planning areas inside it."""
    old = build("01 01 01 01 01 01\n.  .  .  .  .  .")
    new = build("01 01 01 01 .  03\n.  .  .  .  .  03\n.  .  .  .  .  03\n.  .  .  .  .  03\n"
                ".  .  .  .  .  03\n.  .  .  .  .  03")  # fmt: skip
    # a planning area of the old build whose inhabitants are not known (text in the column)
    plr = old.planning_areas.astype({"population": object})
    plr.loc[plr["plr_id"] == plr_id(0, 4), "population"] = "unbekannt"
    old = Build(old.areas, plr, old.info, old.label)
    result = diff_builds(old, new)
    changes = result.changes
    assert list(changes.columns) == [
        "kind", "hr_id", "hr_name", "old_hr_id", "new_hr_id", "area_km2", "population",
        "plr_ids", "geometry",
    ]  # fmt: skip
    assert changes["population"].dtype == np.int64 and list(changes.index) == [0, 1]
    assert changes.crs == "EPSG:25833"
    records = changes.drop(columns="geometry").to_dict("records")
    lost = ",".join(plr_id(0, c) for c in (4, 5))
    assert records == [
        # 01 lost two cells, one of them now in 03: exactly half, so it went to 03
        {"kind": "left", "hr_id": "01", "hr_name": "Area 01", "old_hr_id": "01",
         "new_hr_id": "03", "area_km2": 0.08, "population": 1000, "plr_ids": lost},
        # 03 (not linked: 1 of its 6 cells was 01's) came from no area holding half of it
        {"kind": "appeared", "hr_id": "03", "hr_name": "Area 03", "old_hr_id": "",
         "new_hr_id": "03", "area_km2": 0.24, "population": 6000,
         "plr_ids": ",".join(plr_id(r, 5) for r in range(6))},
    ]  # fmt: skip
    assert changes.geometry.iloc[0].equals(shapely.box(800, -200, 1200, 0))
    # a planning area counts for a piece with at least plr_share of it inside: 1.0 exactly
    exact = diff_builds(old, new, DiffOptions(plr_share=1.0)).changes
    assert exact["plr_ids"].tolist() == [lost, ",".join(plr_id(r, 5) for r in range(6))]


def test_a_piece_holding_no_planning_area_lists_none():
    """The new build's planning areas cut half a cell off: no piece holds 75 % of any."""
    old, new = build("01 .\n01 ."), build("01 01\n01 01")
    shifted = new.planning_areas.copy()
    shifted["geometry"] = shifted.geometry.translate(xoff=100)
    new = Build(new.areas, gpd.GeoDataFrame(shifted, crs=new.planning_areas.crs), new.info)
    changes = diff_builds(old, new, DiffOptions(plr_share=0.75)).changes
    assert changes["plr_ids"].tolist() == [""]
    assert changes["population"].tolist() == [2000]  # half of each of four planning areas


def test_pieces_at_the_exact_size_and_width_thresholds():
    """One 200 m cell of new ground is 40,000 m2: kept at min_piece_m2 = 40,000, gone above.
    Another LOR cut 5 m off leaves L-shaped strips 5 m wide (a little more at the corner): gone
    at sliver_width_m = 3 or 10; at 2.4, and when no width counts (0), they stay."""
    old, new = build("01 ."), build("01 01")
    assert len(diff_builds(old, new, DiffOptions(min_piece_m2=40_000)).changes) == 1
    assert diff_builds(old, new, DiffOptions(min_piece_m2=40_001)).changes.empty
    moved = build("01 01\n01 01", generation="lor2006", shift=5.0)
    plain = build("01 01\n01 01")
    slivers = diff_builds(plain, moved, DiffOptions(min_piece_m2=0, sliver_width_m=0))
    assert sorted(slivers.changes["kind"]) == ["entered", "left"]
    strips = slivers.changes.geometry
    assert shapely.area(strips).tolist() == pytest.approx([2 * 400 * 5 - 25] * 2)
    for width in (3.0, 10.0):
        assert diff_builds(
            plain, moved, DiffOptions(min_piece_m2=0, sliver_width_m=width)
        ).changes.empty
    assert (
        len(diff_builds(plain, moved, DiffOptions(min_piece_m2=0, sliver_width_m=2.4)).changes) == 2
    )


def test_min_overlap_decides_whether_a_reshaped_area_continues():
    old, new = build("01 01 ."), build(". 01 01")
    assert diff_builds(old, new).areas["continues"].tolist() == [("01>01",)]
    strict = diff_builds(old, new, DiffOptions(min_overlap=0.9)).areas
    assert strict["continues"].tolist() == [()]
    assert strict["kind"].tolist() == ["persisted"]  # linked all the same


def test_the_numbering_recorded_against_this_very_file_is_the_matching():
    """01 split: geometry continues it in the larger part (02); the new build, numbered against
    this file, recorded 01 > 01: that is the matching. Against another file it is not."""
    old = build("01 01 01 01")
    new = build("01 02 02 02")
    assert diff_builds(old, new).areas["continues"].tolist() == [("01>02",)]
    old = Build(old.areas, old.planning_areas, old.info, old.label, sha256="ab12")
    info = BuildInfo(lor_generation="lor2021", previous="old.gpkg sha256:ab12",
                     continued=(("01", "01"),))  # fmt: skip
    numbered = Build(new.areas, new.planning_areas, info, new.label)
    result = diff_builds(old, numbered)
    assert result.areas["continues"].tolist() == [("01>01",)]
    assert result.links.set_index("new_hr_id")["match"].to_dict() == {"01": True, "02": False}
    other = BuildInfo(lor_generation="lor2021", previous="old.gpkg sha256:ffff",
                      continued=(("01", "01"),))  # fmt: skip
    unrelated = diff_builds(old, Build(new.areas, new.planning_areas, other, new.label))
    assert unrelated.areas["continues"].tolist() == [("01>02",)]


def test_a_moved_atlas_cut_is_reported():
    old, new = build("01 ."), build("01 .")
    old = Build(old.areas, old.planning_areas, BuildInfo(lor_generation="lor2021", atlas_cut="a"))
    new = Build(new.areas, new.planning_areas, BuildInfo(lor_generation="lor2021", atlas_cut="b"))
    result = diff_builds(old, new)
    assert [(c.criterion, c.old, c.new) for c in result.cuts] == [("c_atlas", "a", "b")]
    assert result.changed


@pytest.mark.filterwarnings("ignore:GeoSeries.notna:UserWarning")  # None, not empty: meant
def test_areas_without_names_population_or_geometry():
    """A row without geometry or with an empty one is no area; a missing name is empty, a
    missing or unreadable population 0."""
    old = build("01 01 . .")
    areas = old.areas.drop(columns=["hr_name", "population"])
    empty = gpd.GeoDataFrame(
        {"hr_id": ["98", "99"]}, geometry=[None, shapely.Polygon()], crs=areas.crs
    )
    old = Build(pd.concat([areas, empty], ignore_index=True), old.planning_areas, old.info)
    new = build("01 01 02 .")
    new.areas["population"] = new.areas["population"].astype(object)
    new.areas.loc[new.areas["hr_id"] == "02", "population"] = "?"
    new.areas.loc[new.areas["hr_id"] == "01", "population"] = np.nan
    new.areas.loc[new.areas["hr_id"] == "02", "hr_name"] = np.nan
    result = diff_builds(old, new)
    assert result.old["n_areas"] == 1 and result.old["population"] == 0
    assert result.new["population"] == 0
    events = result.areas.set_index("kind")
    assert (
        events.loc["persisted", "old_name"] == ""
        and events.loc["persisted", "new_name"] == "Area 01"
    )
    assert (
        events.loc["persisted", "old_population"] == 0 == events.loc["appeared", "new_population"]
    )
    assert events.loc["persisted", "changed"]  # the name changed
    assert events.loc["appeared", "new_name"] == ""


def test_builds_without_areas():
    """Nothing to compare, every area new, every area gone: the frames keep all their columns."""
    none = build(". .")
    some = build("01 .")
    nothing = diff_builds(none, none)
    assert nothing.areas.empty and not nothing.changed
    assert list(nothing.areas.columns) == list(diff_builds(some, some).areas.columns)
    assert nothing.links.empty and nothing.changes.empty
    assert diff_builds(none, some).areas["kind"].tolist() == ["appeared"]
    gone = diff_builds(some, none)
    assert gone.areas["kind"].tolist() == ["vanished"]
    assert gone.changes[["kind", "hr_id", "new_hr_id"]].values.tolist() == [["vanished", "01", ""]]


def test_planning_area_changes_with_missing_columns_and_no_data():
    """Criteria as text or missing, no data on either side, names and districts absent, a
    planning area in one build only, hr_id missing outside."""
    old = build("01 01 .")
    new = build("01 01 .")
    o, n = old.planning_areas.copy(), new.planning_areas.copy()
    # old: c_mss no data in cell 0, c_schools as text; new: c_mss met in cell 0, c_schools 1
    o["c_mss"] = pd.array([pd.NA, 1, pd.NA], dtype="Int64")  # cell 2: no data on both sides
    o["c_schools"] = ["0", "1", "x"]
    n["c_mss"] = pd.array([1, pd.NA, pd.NA], dtype="Int64")
    n["c_schools"] = [1, 1, 0]
    o = o.drop(columns=["c_atlas", "plr_name", "bezirk"])
    n = n.drop(columns=["plr_name"])
    o["hr_id"] = o["hr_id"].replace("", None)
    # a planning area only the new build has (outside), one only the old has (inside 01)
    n = pd.concat([n, n.iloc[[2]].assign(plr_id="01009900", hr_id="01")], ignore_index=True)
    o = pd.concat([o, o.iloc[[0]].assign(plr_id="01009800")], ignore_index=True)
    result = diff_builds(Build(old.areas, gpd.GeoDataFrame(o), old.info),
                         Build(new.areas, gpd.GeoDataFrame(n), new.info))  # fmt: skip
    plr = result.planning_areas
    assert list(plr.index) == list(range(len(plr)))
    assert plr.columns.tolist() == [
        "plr_id", "plr_name", "bezirk", "old_hr_id", "new_hr_id", "membership", "flipped",
        "c_mss_old", "c_mss_new", "c_schools_old", "c_schools_new", "c_atlas_old", "c_atlas_new",
    ]  # fmt: skip
    table = plr.astype(object).where(plr.notna(), None).to_dict("records")
    assert table == [
        {"plr_id": plr_id(0, 0), "plr_name": "", "bezirk": "Mitte", "old_hr_id": "01",
         "new_hr_id": "01", "membership": "", "flipped": "c_mss,c_schools,c_atlas",
         "c_mss_old": None, "c_mss_new": 1, "c_schools_old": 0, "c_schools_new": 1,
         "c_atlas_old": None, "c_atlas_new": 0},
        {"plr_id": plr_id(0, 1), "plr_name": "", "bezirk": "Mitte", "old_hr_id": "01",
         "new_hr_id": "01", "membership": "", "flipped": "c_mss,c_atlas",
         "c_mss_old": 1, "c_mss_new": None, "c_schools_old": 1, "c_schools_new": 1,
         "c_atlas_old": None, "c_atlas_new": 0},
        {"plr_id": plr_id(0, 2), "plr_name": "", "bezirk": "Mitte", "old_hr_id": "",
         "new_hr_id": "", "membership": "", "flipped": "c_schools,c_atlas",
         "c_mss_old": None, "c_mss_new": None, "c_schools_old": None, "c_schools_new": 0,
         "c_atlas_old": None, "c_atlas_new": 0},
        {"plr_id": "01009800", "plr_name": "", "bezirk": "", "old_hr_id": "01",
         "new_hr_id": "", "membership": "left", "flipped": "c_schools",
         "c_mss_old": None, "c_mss_new": None, "c_schools_old": 0, "c_schools_new": None,
         "c_atlas_old": None, "c_atlas_new": None},
        {"plr_id": "01009900", "plr_name": "", "bezirk": "Mitte", "old_hr_id": "",
         "new_hr_id": "01", "membership": "entered", "flipped": "c_schools,c_atlas",
         "c_mss_old": None, "c_mss_new": None, "c_schools_old": None, "c_schools_new": 0,
         "c_atlas_old": None, "c_atlas_new": 0},
    ]  # fmt: skip


def test_a_spike_of_an_invalid_area_is_no_ground():
    """An area drawn with a spike (a zero-width appendage) is valid as a square and a line: the
    line is no ground, even when no size or width counts."""
    old = build("01 .")
    spike = shapely.Polygon([(0, 0), (0, -200), (200, -200), (300, -200), (200, -200), (200, 0)])
    new = Build(old.areas.assign(geometry=[spike]), old.planning_areas, old.info, old.label)
    result = diff_builds(old, new, DiffOptions(min_piece_m2=0, sliver_width_m=0))
    assert result.changes.empty and not result.changed


def test_builds_are_compared_in_the_newer_planning_areas_crs():
    """The newer build's CRS, its planning areas' first: the ground is in that CRS."""
    old, new = build("01 ."), build("01 01")
    other = new.planning_areas.to_crs("EPSG:3035")
    result = diff_builds(old, Build(new.areas, other, new.info))
    assert result.changes.crs == "EPSG:3035"
    assert result.changes["area_km2"].tolist() == [pytest.approx(0.04, rel=0.01)]  # reprojected
    unset = new.planning_areas.set_crs(None, allow_override=True)
    areas = new.areas.to_crs("EPSG:3035")
    assert diff_builds(old, Build(areas, unset, new.info)).changes.crs == "EPSG:3035"
