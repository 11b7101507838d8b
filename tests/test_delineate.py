"""Delineation rules on tiny synthetic lattices of 100 m planning areas."""

from __future__ import annotations

from functools import partial

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from contract import AREA_COLUMNS
from quartiere.compare.numbering import renumber
from quartiere.config import Delineation
from quartiere.delineate import compile_rule
from quartiere.delineate import delineate as delineate_in
from quartiere.errors import ConfigError

# The decision sentences asserted in this module are the English ones (language: en); German,
# the default, is tested in tests/test_language.py.
delineate = partial(delineate_in, language="en")

NAMES = {"01": "Mitte", "02": "Kreuzberg", "03": "Pankow"}


def lattice(
    flags: str,
    districts: str | None = None,
    bzr: str | None = None,
    population: float | str = 1000.0,
) -> gpd.GeoDataFrame:
    """Planning areas from a picture: one row of text per lattice row, one token per cell.

    ``flags``: number of criteria met (0-3; ``.`` = 0); c_mss, c_schools, c_atlas are met in that
    order. ``districts`` / ``bzr``: same shape, district code digit and Bezirksregion letter.
    ``population``: a constant or a picture of inhabitants in thousands. Ids are
    ``0<district>0<row:02><col:02>`` so id order is district, then row, then column.
    """
    rows = [line.split() for line in flags.strip().splitlines()]
    dist = [line.split() for line in districts.strip().splitlines()] if districts else None
    regions = [line.split() for line in bzr.strip().splitlines()] if bzr else None
    pops = (
        [line.split() for line in population.strip().splitlines()]
        if isinstance(population, str)
        else None
    )
    records = []
    for r, line in enumerate(rows):
        for c, token in enumerate(line):
            code = f"0{dist[r][c]}" if dist else "01"
            region = regions[r][c] if regions else "A"
            n = 0 if token == "." else int(token)
            records.append(
                {
                    "plr_id": f"{code}0{r:02d}{c:02d}",
                    "plr_name": f"PLR {r}/{c}",
                    "bzr_id": f"{code}{region}",
                    "bzr_name": f"Region {region}",
                    "pgr_id": f"{code}{region}",
                    "pgr_name": f"Prognoseraum {region}",
                    "bezirk": code,
                    "bezirk_name": NAMES[code],
                    "population": float(pops[r][c]) * 1000 if pops else float(population),
                    "n_criteria": n,
                    "c_mss": int(n >= 1),
                    "c_schools": int(n >= 2),
                    "c_atlas": int(n >= 3),
                    "geometry": shapely.box(c * 100, -r * 100, c * 100 + 100, -r * 100 + 100),
                }
            )
    frame = gpd.GeoDataFrame(records, crs="EPSG:25833")
    frame = frame.set_index(pd.Index(frame["plr_id"], name="plr_id"))
    for column in ("c_mss", "c_schools", "c_atlas"):
        frame[column] = pd.array(frame[column], dtype="Int8")
    return frame


def rules(**overrides) -> Delineation:
    base = {
        "seed": "n_criteria >= 2",
        "join": "n_criteria >= 1",
        "rings": 1,
        "minimum": {"population": 0, "n_plr": 1},
        "holes": {"fill": True},
    }
    return Delineation.model_validate({**base, **overrides})


def cell(r: int, c: int, district: int = 1) -> str:
    return f"0{district}0{r:02d}{c:02d}"


def members_of(result, hr_id: str) -> list[str]:
    m = result.members
    return sorted(m.index[m["hr_id"] == hr_id])


# ------------------------------------------------------------------------- rule expressions


def test_expressions_treat_missing_data_as_not_met():
    frame = pd.DataFrame(
        {
            "c_mss": pd.array([1, None, 0], dtype="Int8"),
            "c_schools": pd.array([None, 1, 1], dtype="Int8"),
            "c_atlas": pd.array([0, 0, None], dtype="Int8"),
            "n_criteria": [1, 1, 1],
        }
    )
    assert compile_rule("c_mss == 1 or c_atlas == 1")(frame).tolist() == [True, False, False]
    assert compile_rule("not c_schools")(frame).tolist() == [True, False, False]
    assert compile_rule("c_mss + c_schools >= 2")(frame).tolist() == [False, False, False]
    assert compile_rule("1 <= n_criteria < 2 and c_schools")(frame).tolist() == [False, True, True]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("n_criteria >=", "not a valid expression"),
        ("c_income >= 1", "unknown name 'c_income'"),
        ("__import__('os').system('true')", "not allowed"),
        ("n_criteria >= '2'", "not a number"),
        ("n_criteria ** 2 > 1", "Pow"),
        ("c_mss in [1]", "not allowed"),
    ],
)
def test_bad_expressions_raise_config_error_naming_the_key(expression, message):
    with pytest.raises(ConfigError, match=message) as info:
        compile_rule(expression, "seed")
    assert "delineation.seed" in str(info.value)


def test_bad_expression_in_rules_fails_before_any_work():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="is not a valid expression"):
        rules(join="n_criteria => 1")  # the configuration refuses it on load
    unchecked = rules().model_copy(update={"join": "n_criteria => 1"})
    with pytest.raises(ConfigError, match="delineation.join"):
        delineate(lattice("2 1"), unchecked)


# ------------------------------------------------------------------------------- contiguity


def test_corner_contact_does_not_join_under_rook_but_does_under_queen():
    flags = """
        2 . .
        . 2 .
        . . .
    """
    rook = delineate(lattice(flags), rules())
    assert list(rook.areas["hr_id"]) == ["01", "02"]
    assert rook.members.loc[cell(0, 0), "hr_id"] != rook.members.loc[cell(1, 1), "hr_id"]
    queen = delineate(lattice(flags), rules(contiguity="queen"))
    assert list(queen.areas["hr_id"]) == ["01"]
    assert queen.areas.loc[0, "plr_ids"] == f"{cell(0, 0)},{cell(1, 1)}"


def test_island_forms_its_own_area_or_is_dropped_below_minimum():
    flags = """
        2 1 . . .
        . . . 2 .
        . . . . .
    """
    result = delineate(lattice(flags), rules())
    assert members_of(result, "02") == [cell(1, 3)]
    small = delineate(lattice(flags), rules(minimum={"population": 0, "n_plr": 2}))
    assert list(small.areas["hr_id"]) == ["01"]
    island = small.members.loc[cell(1, 3)]
    assert island["role"] == "dropped"
    assert island["hr_id"] == ""
    assert island["decision"].startswith(
        "dropped: cluster of 1 PLR, 1,000 inhabitants, fewer than 2 PLR"
    )


# ------------------------------------------------------------------------------------ holes

RING = """
    . . . . .
    . 2 2 2 .
    . 2 . 2 .
    . 2 2 2 .
    . . . . .
"""


def test_enclosed_planning_area_fills_the_hole():
    result = delineate(lattice(RING), rules())
    centre = result.members.loc[cell(2, 2)]
    assert centre["role"] == "hole"
    assert centre["hr_id"] == "01"
    assert centre["decision"].startswith("joined HR 01 as an enclosed hole (1 PLR, 0.01 km²")
    area = result.areas.iloc[0]
    assert area["n_plr"] == 9
    assert shapely.get_num_interior_rings(area.geometry.geoms[0]) == 0
    assert area["area_km2"] == pytest.approx(0.09)


def test_hole_larger_than_maximum_stays_outside():
    result = delineate(lattice(RING), rules(holes={"fill": True, "max_area_km2": 0.005}))
    centre = result.members.loc[cell(2, 2)]
    assert centre["role"] == "outside"
    assert centre["hr_id"] == ""
    assert "enclosed by HR 01" in centre["decision"]
    assert "larger than 0.005 km²" in centre["decision"]
    assert shapely.get_num_interior_rings(result.areas.geometry.iloc[0].geoms[0]) == 1
    off = delineate(lattice(RING), rules(holes={"fill": False}))
    assert off.members.loc[cell(2, 2), "role"] == "outside"


def test_planning_area_on_the_city_limit_is_not_a_hole():
    # The gap in the U touches the lattice's outer edge, so nothing encloses it.
    flags = """
        2 . 2
        2 2 2
    """
    result = delineate(lattice(flags), rules())
    gap = result.members.loc[cell(0, 1)]
    assert gap["role"] == "outside"
    assert "enclosed" not in gap["decision"]


def test_hole_bounded_by_two_areas_is_not_filled():
    # The centre touches area 1 (left, district 1) and area 2 (right, district 2).
    flags = """
        . . . . .
        . 2 2 2 .
        . 2 . 2 .
        . 2 2 2 .
        . . . . .
    """
    districts = """
        1 1 1 2 2
        1 1 1 2 2
        1 1 1 2 2
        1 1 1 2 2
        1 1 1 2 2
    """
    result = delineate(lattice(flags, districts), rules())
    assert result.members.loc[cell(2, 2), "role"] == "outside"
    assert len(result.areas) == 2


# ------------------------------------------------------------------------------ border rule


STRADDLE = """
    2 2 2 2
    . . . .
"""
STRADDLE_DISTRICTS = """
    1 1 2 2
    1 1 2 2
"""


def test_cluster_straddling_a_district_border_is_split():
    result = delineate(lattice(STRADDLE, STRADDLE_DISTRICTS), rules())
    assert list(result.areas["hr_id"]) == ["01", "02"]
    assert list(result.areas["bezirk"]) == ["Mitte", "Kreuzberg"]
    assert members_of(result, "01") == [cell(0, 0), cell(0, 1)]
    assert members_of(result, "02") == [cell(0, 2, 2), cell(0, 3, 2)]
    merged = delineate(lattice(STRADDLE, STRADDLE_DISTRICTS), rules(border="none"))
    assert list(merged.areas["n_plr"]) == [4]
    assert merged.areas.loc[0, "bezirk"] in {"Mitte, Kreuzberg", "Kreuzberg, Mitte"}


def test_join_across_the_border_is_refused_and_explained():
    flags = "2 1"
    result = delineate(lattice(flags, "1 2"), rules())
    neighbour = result.members.loc[cell(0, 1, 2)]
    assert neighbour["role"] == "outside"
    assert neighbour["decision"] == (
        "outside: meets 1 criterion (MSS) but its neighbouring area lies across the Bezirk border"
    )


def test_prognoseraum_border_splits_within_a_district():
    bzr = "A A B B\nA A B B"
    result = delineate(lattice(STRADDLE, bzr=bzr), rules(border="prognoseraum"))
    assert list(result.areas["n_plr"]) == [2, 2]
    assert len(delineate(lattice(STRADDLE, bzr=bzr), rules()).areas) == 1


# ------------------------------------------------------------------------------------ rings

CHAIN = "2 1 1 1 . 1"


def test_growth_rings_limit_how_far_joiners_reach():
    one = delineate(lattice(CHAIN), rules(rings=1))
    assert members_of(one, "01") == [cell(0, 0), cell(0, 1)]
    assert one.members.loc[cell(0, 1), "decision"] == (
        f"joined HR 01 as a neighbour of seed {cell(0, 0)} (ring 1); meets 1 criterion (MSS)"
    )
    assert one.members.loc[cell(0, 2), "decision"] == (
        "outside: meets 1 criterion (MSS) but no seed within 1 ring"
    )
    assert one.members.loc[cell(0, 5), "decision"] == (
        "outside: meets 1 criterion (MSS) but no neighbour is a seed"
    )
    two = delineate(lattice(CHAIN), rules(rings=2))
    assert members_of(two, "01") == [cell(0, 0), cell(0, 1), cell(0, 2)]
    third = two.members.loc[cell(0, 2)]
    assert (third["ring"], third["via"], third["role"]) == (2, cell(0, 1), "joined")
    zero = delineate(lattice(CHAIN), rules(rings=0))
    assert members_of(zero, "01") == [cell(0, 0)]
    assert two.members.loc[cell(0, 0), "ring"] == 0
    assert pd.isna(two.members.loc[cell(0, 4), "ring"])


def test_joiner_records_the_smallest_seed_it_touches():
    result = delineate(lattice("2 1 2"), rules())
    assert result.members.loc[cell(0, 1), "via"] == cell(0, 0)


# ---------------------------------------------------------------------- minimum and groups


def test_cluster_below_minimum_population_is_dropped_with_reason():
    flags = """
        2 1 . 2 2 2
        . . . 2 2 2
    """
    result = delineate(lattice(flags), rules(minimum={"population": 5000, "n_plr": 1}))
    assert list(result.areas["plr_ids"]) == [
        ",".join(cell(r, c) for r in (0, 1) for c in (3, 4, 5))
    ]
    dropped = result.members.loc[cell(0, 1)]
    assert dropped["role"] == "dropped"
    assert dropped["decision"] == (
        "dropped: cluster of 2 PLR, 2,000 inhabitants, below 5,000 "
        "(joined in ring 1; meets 1 criterion (MSS))"
    )


GROUPED = """
    2 2 2 . . .
    2 2 2 . 2 .
    . . . . . .
    2 . . . . 2
"""
GROUPED_DISTRICTS = """
    1 1 1 2 2 2
    1 1 1 2 2 2
    1 1 1 2 2 2
    2 2 2 2 2 2
"""


def test_small_clusters_of_a_group_become_lettered_parts():
    group = {"name": "Stadtrand Süd", "bezirke": ["02"], "which": "below_minimum"}
    config = rules(minimum={"population": 3000, "n_plr": 1}, groups=[group])
    result = delineate(lattice(GROUPED, GROUPED_DISTRICTS), config)
    assert list(result.areas["hr_id"]) == ["01", "02a", "02b", "02c"]
    parts = result.areas.set_index("hr_id")
    # Parts are ordered by (district, smallest id): row 1 before row 3, column 0 before 5.
    assert parts.loc["02a", "plr_ids"] == cell(1, 4, 2)
    assert parts.loc["02b", "plr_ids"] == cell(3, 0, 2)
    assert parts.loc["02c", "plr_ids"] == cell(3, 5, 2)
    assert parts.loc["02a", "hr_name"] == "Stadtrand Süd (Region A)"
    member = result.members.loc[cell(1, 4, 2)]
    assert member["role"] == "part"
    assert member["decision"] == (
        "seed of HR 02a: meets 2 criteria (MSS, schools); kept as part of group Stadtrand Süd "
        "(cluster of 1 PLR, 1,000 inhabitants, below 3,000 for a stand-alone area)"
    )


def test_group_parts_below_their_own_minimum_are_dropped():
    group = {"name": "Rand", "bezirke": ["02"], "min_population": 1500}
    population = """
        1 1 1 1 1 1
        1 1 1 1 2 1
        1 1 1 1 1 1
        1 1 1 1 1 1
    """
    config = rules(minimum={"population": 3000, "n_plr": 1}, groups=[group])
    result = delineate(lattice(GROUPED, GROUPED_DISTRICTS, population=population), config)
    # Only one part survives, so it carries the group number without a letter.
    assert list(result.areas["hr_id"]) == ["01", "02"]
    assert result.areas.loc[1, "hr_name"] == "Rand"
    assert result.members.loc[cell(3, 0, 2), "decision"].startswith(
        "dropped: cluster of 1 PLR, 1,000 inhabitants, below 1,500 for a part of Rand"
    )


def test_group_which_all_takes_clusters_of_any_size():
    group = {"name": "Alle", "bezirke": ["01"], "which": "all"}
    result = delineate(lattice(GROUPED, GROUPED_DISTRICTS), rules(groups=[group]))
    ids = list(result.areas["hr_id"])
    # Three stand-alone areas in district 02 first, then the group (one part: no letter).
    assert ids == ["01", "02", "03", "04"]
    assert result.areas.loc[3, "hr_name"] == "Alle"
    assert result.areas.loc[3, "n_plr"] == 6


# ------------------------------------------------------------------- naming and numbering


def test_numbering_orders_by_district_code_then_smallest_id():
    # The left cluster has the smaller ids but lies in district 03.
    frame = lattice("2 . 2", "1 1 1")
    frame.loc[cell(0, 0), ["bezirk", "bezirk_name"]] = ["03", "Pankow"]
    result = delineate(frame, rules())
    assert list(result.areas["plr_ids"]) == [cell(0, 2), cell(0, 0)]
    assert list(result.areas["bezirk"]) == ["Mitte", "Pankow"]


def test_name_from_dominant_region_with_second_name_above_share():
    flags = "2 2 2 2"
    bzr = "A B B C"
    population = "1 4 4 3"
    result = delineate(lattice(flags, bzr=bzr, population=population), rules())
    # B holds 8,000 of 12,000; C 3,000 = 25 % < 35 %.
    assert result.areas.loc[0, "hr_name"] == "Region B"
    named = delineate(
        lattice(flags, bzr=bzr, population=population),
        rules(naming={"second_name_share": 0.25}),
    )
    assert named.areas.loc[0, "hr_name"] == "Region B / Region C"
    by_pgr = delineate(lattice(flags, bzr=bzr, population=population), rules(naming={"by": "pgr"}))
    assert by_pgr.areas.loc[0, "hr_name"] == "Prognoseraum B"
    official = delineate(
        lattice(flags, bzr=bzr, population=population),
        rules(naming={"overrides": {cell(0, 3): "Official Name"}}),
    )
    assert official.areas.loc[0, "hr_name"] == "Official Name"


# ------------------------------------------------------------------------- areas layer


def test_areas_layer_follows_the_contract():
    flags = """
        3 1 . 2
        2 . . 1
    """
    frame = lattice(flags)
    frame.loc[cell(1, 0), "c_atlas"] = pd.NA
    result = delineate(frame, rules())
    areas = result.areas
    assert list(areas.columns) == [*AREA_COLUMNS, "geometry"]
    assert areas.crs.to_epsg() == 25833
    assert set(areas.geom_type) == {"MultiPolygon"}
    first = areas.iloc[0]
    assert first["plr_ids"] == ",".join([cell(0, 0), cell(0, 1), cell(1, 0)])
    assert (first["n_plr"], first["population"]) == (3, 3000)
    assert (first["n_c_mss"], first["n_c_schools"], first["n_c_atlas"]) == (3, 2, 1)
    members = frame.loc[first["plr_ids"].split(",")].geometry.union_all()
    assert first.geometry.symmetric_difference(members).area == pytest.approx(0.0)
    assert areas["population"].dtype.kind == "i"
    assert result.members.index.equals(frame.index)
    assert set(result.members["role"]) <= {"seed", "joined", "hole", "part", "dropped", "outside"}


def test_every_member_meets_the_join_rule_or_is_a_seed_or_hole():
    rng = np.random.default_rng(7)
    picture = rng.choice(3, (12, 12), p=[0.6, 0.25, 0.15])
    text = "\n".join(" ".join(str(v) for v in row) for row in picture)
    frame = lattice(text)
    result = delineate(frame, rules(rings=2))
    m = result.members
    in_area = m["hr_id"] != ""
    ok = (frame["n_criteria"] >= 1) | (m["role"] == "hole")
    assert ok[in_area].all()
    # Areas are disjoint and each is contiguous (a single polygon under rook on a lattice).
    geoms = np.asarray(result.areas.geometry.values, dtype=object)
    assert len(geoms) > 3
    assert shapely.area(shapely.intersection(geoms[:, None], geoms[None, :])).sum() == (
        pytest.approx(shapely.area(geoms).sum())
    )
    assert (shapely.get_num_geometries(geoms) == 1).all()


def test_no_qualifying_planning_area_gives_an_empty_layer():
    result = delineate(lattice(". 1\n1 ."), rules())
    assert len(result.areas) == 0
    assert list(result.areas.columns) == [*AREA_COLUMNS, "geometry"]
    assert set(result.members["role"]) == {"outside"}


# -------------------------------------------------------------------------------- renumber


def test_renumber_keeps_numbers_of_persisting_areas_and_appends_new_ones():
    before = delineate(lattice("2 . . 2 . . ."), rules())
    assert list(before.areas["hr_id"]) == ["01", "02"]
    previous = before.areas.assign(hr_name=["Alt Eins", "Alt Zwei"])
    # Next edition: area 01 disappears, a new area appears first in id order, 02 grows.
    after = delineate(lattice(". 2 . 2 1 . 2"), rules())
    assert list(after.areas["plr_ids"]) == [cell(0, 1), f"{cell(0, 3)},{cell(0, 4)}", cell(0, 6)]
    stable = renumber(after, previous, min_overlap=0.5)
    by_ids = stable.areas.set_index("plr_ids")
    grown = by_ids.loc[f"{cell(0, 3)},{cell(0, 4)}"]
    assert (grown["hr_id"], grown["hr_name"]) == ("02", "Alt Zwei")
    assert by_ids.loc[cell(0, 1), "hr_id"] == "03"
    assert by_ids.loc[cell(0, 6), "hr_id"] == "04"
    assert list(stable.areas["hr_id"]) == ["02", "03", "04"]
    assert stable.members.loc[cell(0, 4), "hr_id"] == "02"
    assert stable.members.loc[cell(0, 4), "decision"].startswith("joined HR 02 ")
    assert "previous HR 01 (Alt Eins) has no successor" in stable.lineage
    assert renumber(after, None, 0.5) is after


def test_renumber_keeps_group_letters():
    group = {"name": "Rand", "bezirke": ["02"]}
    config = rules(minimum={"population": 3000, "n_plr": 1}, groups=[group])
    before = delineate(lattice(GROUPED, GROUPED_DISTRICTS), config)
    again = renumber(before, before.areas, 0.5)
    assert list(again.areas["hr_id"]) == list(before.areas["hr_id"])
    assert list(again.areas["plr_ids"]) == list(before.areas["plr_ids"])


def test_outside_decision_names_an_unmet_join_rule():
    result = delineate(lattice("2 2 1"), rules(join="n_criteria >= 2"))
    assert result.members.loc[cell(0, 2), "decision"] == (
        "outside: meets 1 criterion (MSS) but not the join rule (n_criteria >= 2)"
    )


def test_renumber_never_hands_a_retired_letter_or_a_group_number_to_another_place():
    group = {"name": "Rand", "bezirke": ["02"]}
    config = rules(minimum={"population": 3000, "n_plr": 1}, groups=[group])
    before = delineate(lattice(GROUPED, GROUPED_DISTRICTS), config)
    # Next edition: part 02a (row 1, column 4) is gone, a new small cluster appears elsewhere.
    after_grid = """
        2 2 2 . . .
        2 2 2 . . .
        . . . . . .
        2 . . 2 . 2
    """
    after = delineate(lattice(after_grid, GROUPED_DISTRICTS), config)
    stable = renumber(after, before.areas, 0.5)
    old = before.areas.set_index("plr_ids")["hr_id"]
    new = stable.areas.set_index("plr_ids")["hr_id"]
    for kept in (cell(3, 0, 2), cell(3, 5, 2)):  # parts that persist keep number and letter
        assert new[kept] == old[kept]
    retired = set(old[old.str.startswith("02")]) - set(new)
    assert len(retired) == 1
    assert new[cell(3, 3, 2)] not in retired and new[cell(3, 3, 2)].startswith("02")
    assert new[cell(3, 3, 2)] == "02d"


def test_renumber_gives_an_area_that_outgrew_its_group_a_number_of_its_own():
    group = {"name": "Rand", "bezirke": ["02"]}
    config = rules(minimum={"population": 3000, "n_plr": 1}, groups=[group])
    before = delineate(lattice(GROUPED, GROUPED_DISTRICTS), config)
    # The bottom-right part grows to three planning areas: stand-alone now.
    grown_grid = """
        2 2 2 . . .
        2 2 2 . 2 .
        . . . . . 2
        2 . . . 2 2
    """
    after = delineate(lattice(grown_grid, GROUPED_DISTRICTS), config)
    stable = renumber(after, before.areas, 0.5)
    grown = stable.areas[stable.areas["n_plr"] == 3].iloc[0]
    assert grown["hr_id"] == "03"  # not "02", the group's number
    assert not grown["hr_name"].startswith("Rand (")  # its own name, not the part's
    assert "01" in set(stable.areas["hr_id"])


def test_renumber_does_not_pass_a_big_areas_number_to_a_small_area_inside_it():
    old_grid = " ".join(["2"] * 10 + ["."] * 11)
    new_grid = " ".join(["2"] * 2 + ["."] * 4 + ["2"] * 15)
    before = delineate(lattice(old_grid), rules())
    assert list(before.areas["hr_id"]) == ["01"]
    after = delineate(lattice(new_grid), rules())
    stable = renumber(after, before.areas.assign(hr_name=["Alt"]), min_overlap=0.5)
    by_ids = stable.areas.set_index("plr_ids")
    small = by_ids.loc[f"{cell(0, 0)},{cell(0, 1)}"]
    # The small area lies wholly inside old 01, but old 01's largest overlap is the other area
    # (4 of its 10 planning areas, below the 50 % needed): neither continues 01.
    assert small["hr_id"] != "01" and small["hr_name"] != "Alt"
    assert "01" not in set(stable.areas["hr_id"])
    assert "previous HR 01 (Alt) has no successor" in stable.lineage


def test_renumber_keeps_numbers_retired_in_earlier_editions_retired():
    before = delineate(lattice("2 . . 2"), rules())
    after = delineate(lattice("2 . . 2 . . 2"), rules())
    stable = renumber(after, before.areas, 0.5, retired=["01", "02", "03", "04", "05b"])
    assert list(stable.areas["hr_id"]) == ["01", "02", "06"]


def test_renumber_breaks_an_exact_tie_in_overlap_by_the_smaller_old_number():
    # Old 01 and 02 (two planning areas each) merge into one area that covers both wholly: the
    # overlaps are equal, so the smaller old number continues, whatever the row order of the file.
    before = delineate(lattice("2 2 . 2 2"), rules())
    assert list(before.areas["hr_id"]) == ["01", "02"]
    after = delineate(lattice("2 2 1 2 2"), rules())
    for previous in (before.areas, before.areas.iloc[::-1]):
        stable = renumber(after, previous, min_overlap=0.5)
        assert list(stable.areas["hr_id"]) == ["01"]
        assert "previous HR 02 (Region A) has no successor" in stable.lineage


def test_renumber_keeps_letter_and_name_of_the_last_part_of_a_group():
    # Issue 20 ("14a -> 20 Kleinere Gebiete"): a group keeps one part, unchanged. Numbered
    # afresh the lone part takes the group number without a letter; against the previous
    # edition it persists, so it keeps its number, its letter and its name, and the lineage,
    # the recorded matching and the decision sentences all say so.
    from quartiere.compare.matching import area_links

    group = {"name": "Rand", "bezirke": ["02"]}
    config = rules(minimum={"population": 3000, "n_plr": 1}, groups=[group])
    before = delineate(lattice(GROUPED, GROUPED_DISTRICTS), config)
    lone = """
        2 2 2 . . .
        2 2 2 . 2 .
        . . . . . .
        . . . . . .
    """
    after = delineate(lattice(lone, GROUPED_DISTRICTS), config)
    assert list(after.areas["hr_id"]) == ["01", "02"]  # fresh: no letter, the group's name
    assert after.areas.loc[1, "hr_name"] == "Rand"
    old = before.areas.set_index("plr_ids")
    stable = renumber(after, before.areas, 0.5)
    new = stable.areas.set_index("plr_ids")
    part = cell(1, 4, 2)
    assert old.loc[part, "hr_id"] == "02a"
    assert new.loc[part, "hr_id"] == "02a"
    assert new.loc[part, "hr_name"] == old.loc[part, "hr_name"] == "Rand (Region A)"
    assert list(stable.areas["hr_id"]) == ["01", "02a"]
    assert ("02a", "02a") in stable.continued and ("01", "01") in stable.continued
    assert any(line.startswith("HR 02a continues previous HR 02a") for line in stable.lineage)
    assert not any(line.startswith("HR 02a is new") for line in stable.lineage)
    assert not any("previous HR 02a" in line and "no successor" in line for line in stable.lineage)
    decision = stable.members.loc[part, "decision"]
    assert decision.startswith("seed of HR 02a:") and "part of group Rand" in decision
    # the change memo's rule on the final numbers matches the same pair
    links = area_links(before.areas, stable.areas)
    pair = links[(links["old_hr_id"] == "02a") & (links["new_hr_id"] == "02a")]
    assert pair["match"].tolist() == [True]
