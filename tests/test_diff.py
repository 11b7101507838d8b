"""Comparing two builds, on tiny synthetic lattices drawn as pictures: one kind of change each."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from quartiere.compare.diff import DiffOptions, diff_builds
from quartiere.compare.matching import area_links
from quartiere.compare.numbering import renumber
from quartiere.config import Delineation
from quartiere.delineate import delineate
from quartiere.present.diff_text import diff_json, diff_markdown, summary_lines
from quartiere.record import Build, BuildInfo

CRS = "EPSG:25833"
SIZE = 200.0  # metres per lattice cell: 0.04 km², well above the sliver threshold


def plr_id(r: int, c: int) -> str:
    return f"0100{r:02d}{c:02d}"


def build(
    picture: str,
    *,
    generation: str = "lor2021",
    mss: str | None = None,
    shift: float = 0.0,
    size: float = SIZE,
    population: float = 1000.0,
) -> Build:
    """A build from a picture: one token per cell, ``.`` outside, else the cell's hr_id.

    ``mss``: a picture of the same shape with the c_mss flag per cell (``1``, ``0`` or ``-`` for no
    data); default all 1 inside, 0 outside. ``shift`` moves every boundary (another LOR cut).
    """
    rows = [line.split() for line in picture.strip().splitlines()]
    flags = [line.split() for line in mss.strip().splitlines()] if mss else None
    records = []
    for r, line in enumerate(rows):
        for c, token in enumerate(line):
            flag = flags[r][c] if flags else ("0" if token == "." else "1")
            records.append(
                {
                    "plr_id": plr_id(r, c),
                    "plr_name": f"PLR {r}/{c}",
                    "bezirk": "Mitte",
                    "population": population,
                    "c_mss": None if flag == "-" else int(flag),
                    "c_schools": 0,
                    "c_atlas": 0,
                    "hr_id": "" if token == "." else token,
                    "geometry": shapely.box(
                        c * size + shift,
                        -(r + 1) * size + shift,
                        (c + 1) * size + shift,
                        -r * size + shift,
                    ),
                }
            )
    plr = gpd.GeoDataFrame(records, crs=CRS)
    plr["c_mss"] = pd.array(plr["c_mss"], dtype="Int64")
    inside = plr[plr["hr_id"] != ""]
    areas = inside.dissolve("hr_id", aggfunc={"population": "sum"}).reset_index()
    areas["hr_name"] = "Area " + areas["hr_id"]
    return Build(
        areas=areas,
        planning_areas=plr,
        info=BuildInfo(lor_generation=generation, edition=f"edition {generation}"),
        label=generation,
    )


def event(result, kind: str) -> pd.DataFrame:
    return result.areas[result.areas["kind"] == kind]


def only(frame: pd.DataFrame) -> dict:
    assert len(frame) == 1, frame
    return frame.iloc[0].to_dict()


BASE = """
01 01 . . . .
01 01 . . 02 02
. . . . 02 02
"""


def test_identical_builds_have_no_changes():
    result = diff_builds(build(BASE), build(BASE))
    assert not result.changed
    assert set(result.areas["kind"]) == {"persisted"}
    assert set(result.areas["extent"]) == {"unchanged"}
    assert result.planning_areas.empty and result.changes.empty
    assert summary_lines(result)[-1].startswith("no changes")
    assert "Nothing changed" in diff_markdown(result, "en")
    assert diff_json(result)["changed"] is False


def test_an_area_that_grows_persists_and_its_new_ground_entered():
    after = """
01 01 01 . . .
01 01 01 . 02 02
. . . . 02 02
"""
    result = diff_builds(build(BASE), build(after))
    grown = only(event(result, "persisted")[lambda f: f["new_hr_ids"] == ("01",)])
    assert grown["extent"] == "grew" and not grown["renumbered"]
    assert (grown["d_population"], grown["gained_km2"], grown["lost_km2"]) == (2000, 0.08, 0.0)
    assert grown["overlap"] == 1.0
    pieces = result.changes
    assert pieces[["kind", "hr_id"]].values.tolist() == [["entered", "01"]]
    assert pieces.geometry.iloc[0].equals(shapely.box(400, -400, 600, 0))
    assert pieces["plr_ids"].iloc[0] == f"{plr_id(0, 2)},{plr_id(1, 2)}"
    assert pieces["population"].iloc[0] == 2000
    plr = result.planning_areas.set_index("plr_id")
    assert plr["membership"].to_dict() == {plr_id(0, 2): "entered", plr_id(1, 2): "entered"}
    # c_mss went 0 -> 1 with the membership (default picture: flagged inside)
    assert set(plr["flipped"]) == {"c_mss"}
    assert result.changed


def with_population(b: Build, hr_id: str, population: int) -> Build:
    areas = b.areas.copy()
    areas.loc[areas["hr_id"] == hr_id, "population"] = population
    return Build(areas, b.planning_areas, b.info, b.label)


def test_a_persisting_area_reports_every_numeric_field_that_changed():
    """Area 02 keeps its ground, number and name; only its population changed (new population
    figures). It is a change, with the old and new figures; area 01 stays unchanged. Catches: a
    persisting area's population left out of what counts as a change."""
    result = diff_builds(build(BASE), with_population(build(BASE), "02", 5321))
    assert result.changed
    rows = result.areas.set_index(result.areas["new_hr_ids"].str[0])
    same, moved = rows.loc["01"].to_dict(), rows.loc["02"].to_dict()
    assert (same["changed"], same["d_population"], same["d_area_km2"]) == (False, 0, 0.0)
    assert (moved["kind"], moved["extent"], moved["renumbered"]) == (
        "persisted",
        "unchanged",
        False,
    )
    assert moved["changed"] is True
    assert (moved["old_population"], moved["new_population"], moved["d_population"]) == (
        4000,
        5321,
        1321,
    )
    assert (moved["old_area_km2"], moved["new_area_km2"], moved["d_area_km2"]) == (0.16, 0.16, 0.0)
    assert result.planning_areas.empty  # no planning area entered, left or flipped
    changed_lines = [line for line in summary_lines(result) if line.startswith("  ")]
    assert changed_lines == [
        "  02 Area 02: persisted (100% of its old ground inside), same extent; "
        "population 4,000 -> 5,321 (+1,321), area 0.16 -> 0.16 km2"
    ]
    assert diff_json(result)["changed"] is True
    # Across LOR generations inhabitants are re-estimated, so a population change alone is not
    # a change (the figures are still reported).
    other = diff_builds(build(BASE), with_population(build(BASE, generation="lor2019"), "02", 5321))
    assert not other.changed
    assert other.areas["d_population"].tolist() == [0, 1321]


def test_planning_areas_without_population_count_no_inhabitants_in_changed_ground():
    after = """
01 01 01 . . .
01 01 01 . 02 02
. . . . 02 02
"""
    old, new = build(BASE), build(after)
    bare = Build(new.areas, new.planning_areas.drop(columns="population"), new.info, new.label)
    result = diff_builds(old, bare)
    piece = only(result.changes)
    assert (piece["kind"], piece["plr_ids"]) == ("entered", f"{plr_id(0, 2)},{plr_id(1, 2)}")
    assert piece["population"] == 0  # 2000 with the column (test above)
    # the areas still carry their own population
    grown = only(event(result, "persisted")[lambda f: f["new_hr_ids"] == ("01",)])
    assert grown["d_population"] == 2000


def test_an_area_that_shrinks_persists_and_the_lost_ground_left():
    after = """
01 . . . . .
01 . . . 02 02
. . . . 02 02
"""
    result = diff_builds(build(BASE), build(after))
    shrunk = only(event(result, "persisted")[lambda f: f["new_hr_ids"] == ("01",)])
    assert shrunk["extent"] == "shrank"
    assert shrunk["overlap"] == pytest.approx(0.5)
    left = result.changes[result.changes["kind"] == "left"]
    assert left["hr_id"].tolist() == ["01"] and left["new_hr_id"].tolist() == [""]
    assert left["area_km2"].iloc[0] == pytest.approx(0.08)
    plr = result.planning_areas.set_index("plr_id")["membership"]
    assert plr.to_dict() == {plr_id(0, 1): "left", plr_id(1, 1): "left"}


def test_split_names_the_continuation_and_the_new_area():
    before = """
01 01 01 01 01
01 01 01 01 01
"""
    after = """
01 01 . 03 03
01 01 . 03 03
"""
    result = diff_builds(build(before), build(after))
    split = only(event(result, "split"))
    assert split["old_hr_ids"] == ("01",) and split["new_hr_ids"] == ("01", "03")
    assert split["continues"] == ("01>01",)
    assert split["overlap"] == pytest.approx(0.8)
    assert "01 Area 01: split into 01 Area 01 and 03 Area 03" in "\n".join(summary_lines(result))
    assert len(event(result, "persisted")) == 0 and len(event(result, "appeared")) == 0
    # the middle column left; the PLR that now form 03 did not move: 03 continues part of 01
    membership = result.planning_areas.set_index("plr_id")["membership"]
    assert membership[membership != ""].to_dict() == {plr_id(0, 2): "left", plr_id(1, 2): "left"}


def test_merge_of_two_areas_through_a_bridge():
    before = """
01 01 . 02 02
01 01 . 02 02
"""
    after = """
01 01 01 01 01
01 01 01 01 01
"""
    result = diff_builds(build(before), build(after))
    merged = only(event(result, "merged"))
    assert merged["old_hr_ids"] == ("01", "02") and merged["new_hr_ids"] == ("01",)
    assert merged["continues"] == ("01>01",)
    assert (merged["old_population"], merged["new_population"]) == (8000, 10000)
    assert merged["overlap"] == 1.0
    entered = result.changes[result.changes["kind"] == "entered"]
    assert entered["area_km2"].tolist() == [pytest.approx(0.08)]
    assert diff_json(result)["counts"]["merged"] == 1


def test_regrouping_when_areas_merge_and_split_at_once():
    before = """
01 01 02 02
01 01 02 02
"""
    after = """
03 03 03 03
04 04 04 04
"""
    result = diff_builds(build(before), build(after))
    regrouped = only(event(result, "regrouped"))
    assert regrouped["old_hr_ids"] == ("01", "02")
    assert regrouped["new_hr_ids"] == ("03", "04")


def test_appear_and_vanish():
    after = """
. . . . . .
. . . . 02 02
03 . . . 02 02
"""
    result = diff_builds(build(BASE), build(after))
    assert only(event(result, "vanished"))["old_hr_ids"] == ("01",)
    assert only(event(result, "appeared"))["new_hr_ids"] == ("03",)
    kinds = result.changes.set_index("hr_id")["kind"].to_dict()
    assert kinds == {"01": "vanished", "03": "appeared"}
    assert result.changes.geometry.geom_type.unique().tolist() == ["MultiPolygon"]
    assert result.changes.crs.to_epsg() == 25833
    memo = diff_markdown(result, "en")
    assert "03 Area 03: appeared" in memo and "01 Area 01: vanished" in memo


def test_a_planning_area_moving_between_persisting_areas():
    before = """
01 01 01 02 02 02
01 01 01 02 02 02
"""
    after = """
01 01 02 02 02 02
01 01 01 02 02 02
"""
    result = diff_builds(build(before), build(after))
    assert set(result.areas["kind"]) == {"persisted"}
    assert set(result.areas["extent"]) == {"grew", "shrank"}
    membership = result.planning_areas.set_index("plr_id")["membership"]
    assert membership.to_dict() == {plr_id(0, 2): "moved"}
    left = result.changes[result.changes["kind"] == "left"].iloc[0]
    assert (left["hr_id"], left["new_hr_id"]) == ("01", "02")


def test_renumbered_area_is_the_same_area_not_a_move():
    after = BASE.replace("02", "07")
    result = diff_builds(build(BASE), build(after))
    renumbered = only(result.areas[result.areas["renumbered"]])
    assert (renumbered["old_hr_ids"], renumbered["new_hr_ids"]) == (("02",), ("07",))
    assert renumbered["extent"] == "unchanged"
    assert result.changed
    assert result.planning_areas.empty  # membership follows the area, not the number
    assert "02 -> 07 Area 07" in "\n".join(summary_lines(result))


def test_criteria_flips_including_no_data():
    before_mss = """
1 1 0 0 0 0
1 1 0 0 1 1
0 0 0 0 1 1
"""
    after_mss = """
1 1 1 0 0 0
1 1 0 0 1 1
0 0 - 0 1 0
"""
    result = diff_builds(build(BASE, mss=before_mss), build(BASE, mss=after_mss))
    plr = result.planning_areas.set_index("plr_id")
    assert plr["flipped"].to_dict() == {
        plr_id(0, 2): "c_mss",
        plr_id(2, 2): "c_mss",
        plr_id(2, 5): "c_mss",
    }
    assert pd.isna(plr.loc[plr_id(2, 2), "c_mss_new"])
    counts = result.counts()
    assert (counts["c_mss_now_met"], counts["c_mss_no_longer_met"]) == (1, 1)
    assert set(result.areas["extent"]) == {"unchanged"}
    assert result.changed
    memo = diff_markdown(result, "en")
    assert "| 01000202 | PLR 2/2 | Mitte | 0 -> no data |" in memo


def test_across_lor_generations_areas_match_by_overlap_and_slivers_are_ignored():
    # The new generation cuts the city into finer planning areas, 3 m off the old boundaries.
    after = """
05 05 05 05 . . . . . . . .
05 05 05 05 . . . . . . . .
05 05 05 05 . . . . 06 06 06 06
05 05 05 05 . . . . 06 06 06 06
. . . . . . . . 06 06 06 06
. . . . . . . . 06 06 06 06
"""
    result = diff_builds(build(BASE), build(after, generation="lor2031", size=SIZE / 2, shift=3))
    assert not result.same_generation
    assert result.planning_areas.empty
    persisted = event(result, "persisted")
    assert sorted(zip(persisted["old_hr_ids"], persisted["new_hr_ids"], strict=True)) == [
        (("01",), ("05",)),
        (("02",), ("06",)),
    ]
    assert set(persisted["extent"]) == {"unchanged"}  # a 3 m shift is boundary noise
    assert result.changes.empty
    assert "LOR generations differ" in "\n".join(summary_lines(result))
    json.dumps(diff_json(result))  # serialisable


def test_links_need_a_real_share_and_matches_are_one_to_one():
    boxes = [shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)]
    old = gpd.GeoDataFrame({"hr_id": ["01", "02"]}, geometry=boxes, crs=CRS)
    # new area covers all of 01 and a 10 % strip of 02
    new = gpd.GeoDataFrame({"hr_id": ["01"]}, geometry=[shapely.box(0, 0, 1100, 1000)], crs=CRS)
    links = area_links(old, new, min_link=0.2)
    assert links["old_hr_id"].tolist() == ["01"]
    links = area_links(old, new, min_link=0.05)
    assert sorted(links["old_hr_id"]) == ["01", "02"]
    assert links.set_index("old_hr_id")["match"].to_dict() == {"01": True, "02": False}


def test_a_small_area_inside_a_big_old_one_does_not_continue_it():
    old = gpd.GeoDataFrame({"hr_id": ["09"]}, geometry=[shapely.box(0, 0, 1000, 1000)], crs=CRS)
    # the big new area shares 40 % of old 09; a small one lies wholly inside it
    new = gpd.GeoDataFrame(
        {"hr_id": ["10e", "12"]},
        geometry=[shapely.box(0, 0, 100, 100), shapely.box(600, 0, 1600, 1000)],
        crs=CRS,
    )
    links = area_links(old, new, min_link=0.0)
    assert set(links["new_hr_id"]) == {"10e", "12"}
    assert not links["match"].any()  # 12 shares too little, 10e is not 09's largest overlap


def test_a_stand_alone_area_and_a_lettered_part_do_not_match():
    box = shapely.box(0, 0, 1000, 1000)
    old = gpd.GeoDataFrame({"hr_id": ["05"]}, geometry=[box], crs=CRS)
    new = gpd.GeoDataFrame({"hr_id": ["12a"]}, geometry=[box], crs=CRS)
    links = area_links(old, new, min_link=0.2)
    assert links["new_hr_id"].tolist() == ["12a"] and not links["match"].any()
    same_kind = gpd.GeoDataFrame({"hr_id": ["12"]}, geometry=[box], crs=CRS)
    assert area_links(old, same_kind, min_link=0.2)["match"].all()


# ------------------------------------------------------------------- stable numbering end to end


def delineation_input(flags: str) -> gpd.GeoDataFrame:
    """Planning areas for :func:`delineate` from a picture of criteria counts (``.`` = 0)."""
    rows = [line.split() for line in flags.strip().splitlines()]
    records = []
    for r, line in enumerate(rows):
        for c, token in enumerate(line):
            n = 0 if token == "." else int(token)
            records.append(
                {
                    "plr_id": plr_id(r, c),
                    "plr_name": f"PLR {r}/{c}",
                    "bzr_id": "0101",
                    "bzr_name": "Region",
                    "pgr_id": "0101",
                    "pgr_name": "Prognoseraum",
                    "bezirk": "01",
                    "bezirk_name": "Mitte",
                    "population": 1000.0,
                    "n_criteria": n,
                    "c_mss": int(n >= 1),
                    "c_schools": int(n >= 2),
                    "c_atlas": int(n >= 3),
                    "geometry": shapely.box(c * SIZE, -r * SIZE, (c + 1) * SIZE, (-r + 1) * SIZE),
                }
            )
    frame = gpd.GeoDataFrame(records, crs=CRS).set_index("plr_id", drop=False)
    for column in ("c_mss", "c_schools", "c_atlas"):
        frame[column] = pd.array(frame[column], dtype="Int8")
    return frame


def as_build(frame: gpd.GeoDataFrame, result) -> Build:
    plr = frame.assign(hr_id=result.members["hr_id"].reindex(frame.index).fillna(""))
    return Build(
        areas=result.areas,
        planning_areas=plr.reset_index(drop=True),
        info=BuildInfo(lor_generation="lor2021"),
    )


def test_renumbering_keeps_the_number_of_an_area_that_only_grows():
    rules = Delineation.model_validate(
        {
            "seed": "n_criteria >= 2",
            "join": "n_criteria >= 1",
            "minimum": {"population": 0, "n_plr": 1},
        }
    )
    first = delineation_input("""
. . . . 2 2
. . . . 2 2
""")
    # Next edition: the area grows by a column, and a new area appears first in id order.
    second = delineation_input("""
2 . . 1 2 2
. . . 1 2 2
""")
    before = delineate(first, rules)
    assert before.areas["hr_id"].tolist() == ["01"]
    fresh = delineate(second, rules)
    # Without the previous edition the grown area would take number 02: the test can fail.
    assert fresh.members.loc[plr_id(0, 4), "hr_id"] == "02"
    stable = renumber(fresh, before.areas, min_overlap=0.5)
    assert stable.members.loc[plr_id(0, 4), "hr_id"] == "01"
    assert stable.members.loc[plr_id(0, 0), "hr_id"] == "02"

    result = diff_builds(as_build(first, before), as_build(second, stable))
    grown = only(event(result, "persisted"))
    assert (grown["old_hr_ids"], grown["new_hr_ids"]) == (("01",), ("01",))
    assert grown["extent"] == "grew" and not grown["renumbered"]
    assert only(event(result, "appeared"))["new_hr_ids"] == ("02",)
    unstable = diff_builds(as_build(first, before), as_build(second, fresh))
    assert only(event(unstable, "persisted"))["renumbered"]


def test_thresholds_are_options():
    before = """
01 01 01 01 01
01 01 01 01 01
"""
    after = """
01 . . . .
01 . . . .
"""
    shrunk = diff_builds(build(before), build(after))
    assert only(shrunk.areas)["kind"] == "persisted"  # 20 % of the old area, all of the new one
    strict = diff_builds(build(before), build(after), DiffOptions(min_link=1.01))
    assert sorted(strict.areas["kind"]) == ["appeared", "vanished"]
    assert np.isclose(only(shrunk.areas)["overlap"], 0.2)
