"""Each phase of the clustering (quartiere.delineate.clustering) on its own, with known answers.

Small box lattices whose cluster labels are given, so every figure a phase returns (rings and the
member joined through, hole components with their sizes and the first reason that applies, the
dominant district, the minimum, group membership, kept clusters and lettered parts) can be
checked exactly, including ties and values at a threshold.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from quartiere.config import Delineation
from quartiere.contiguity import build_contiguity
from quartiere.delineate.clustering import (
    Reason,
    Territory,
    _first_neighbour,
    cluster_districts,
    dominant,
    groups,
    holes,
    minimum,
    rings,
    seeds,
)
from quartiere.errors import ConfigError


def grid(labels: str):
    """Contiguity graph of a picture of 100 m cells and its cluster labels (``.`` = -1)."""
    rows = [line.split() for line in labels.strip().splitlines()]
    cells = [shapely.box(c * 100, -r * 100, c * 100 + 100, -r * 100 + 100)
             for r, line in enumerate(rows) for c, _ in enumerate(line)]  # fmt: skip
    values = [-1 if t == "." else int(t) for line in rows for t in line]
    return build_contiguity(np.array(cells, dtype=object)), np.array(values, dtype=np.int64)


def rules(**overrides) -> Delineation:
    return Delineation.model_validate(
        {"seed": "n_criteria >= 2", "join": "n_criteria >= 1", **overrides}
    )


def chain(n: int):
    return build_contiguity(shapely.box(np.arange(n), 0, np.arange(n) + 1, 1)).adjacency


# ------------------------------------------------------------------------------- territory


def test_territory_of_arrays_defaults_to_one_district_no_borders_and_position_rank():
    population = np.array([1.0, np.nan, 3.0])
    territory = Territory.of(population=population, area_km2=[1, 2, 3])
    assert territory.rank.dtype == np.int64 and territory.rank.tolist() == [0, 1, 2]
    assert territory.population.tolist() == [1.0, 0.0, 3.0]
    assert territory.area_km2.dtype == np.float64 and territory.area_km2.tolist() == [1, 2, 3]
    assert territory.district.dtype == object and territory.district.tolist() == ["", "", ""]
    assert list(territory.units) == ["none"]
    assert territory.units["none"].dtype == np.int64 and territory.units["none"].tolist() == [0] * 3
    population[0] = 9.0  # the territory holds its own copy
    assert territory.population[0] == 1.0
    for array in (territory.rank, territory.population, territory.area_km2, territory.district):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0
    with pytest.raises(ValueError, match="read-only"):
        territory.units["none"][0] = 1
    with pytest.raises(TypeError):
        territory.units["bezirk"] = np.zeros(3)  # type: ignore[index]


def test_territory_of_arrays_keeps_given_districts_units_and_rank():
    territory = Territory.of(
        population=[1, 2, 3],
        area_km2=[0.5, 0.5, 0.5],
        district=np.array(["01", "02", "01"]),
        units={"bezirk": [5, 6, 5], "prognoseraum": np.array([1.0, 2.0, 3.0])},
        rank=[2, 0, 1],
    )
    assert territory.rank.tolist() == [2, 0, 1]
    assert territory.district.dtype == object and territory.district.tolist() == ["01", "02", "01"]
    assert list(territory.units) == ["none", "bezirk", "prognoseraum"]
    assert territory.units["bezirk"].tolist() == [5, 6, 5]
    assert territory.units["prognoseraum"].dtype == np.int64
    assert territory.units["prognoseraum"].tolist() == [1, 2, 3]


def test_territory_of_arrays_owns_copies_and_casts_to_its_types():
    district = np.array(["01", "02"], dtype=object)
    bezirk = np.array([4, 5], dtype=np.int64)
    rank = np.array([1.0, 0.0])
    territory = Territory.of(
        population=[1, 2], area_km2=np.array([0.5, 0.5]), district=district,
        units={"bezirk": bezirk}, rank=rank,
    )  # fmt: skip
    district[0], bezirk[0] = "zz", 9
    assert territory.district.tolist() == ["01", "02"]
    assert territory.units["bezirk"].tolist() == [4, 5]
    assert territory.rank.dtype == np.int64 and territory.rank.tolist() == [1, 0]
    assert territory.population.dtype == np.float64 and territory.population.tolist() == [1.0, 2.0]


def test_territory_from_a_frame_ranks_by_id_and_factorises_its_borders():
    frame = gpd.GeoDataFrame(
        {
            "plr_id": ["03", "01", "02"],
            "population": ["1000", None, 250.5],
            "bezirk": ["02", "01", "02"],
            "pgr_id": ["02B", "01A", "02A"],
        },
        geometry=[
            shapely.box(0, 0, 100, 100),
            shapely.box(100, 0, 300, 100),
            shapely.box(0, 0, 1, 1),
        ],
    )
    territory = Territory.from_frame(frame, frame["plr_id"].to_numpy(dtype=object))
    assert territory.rank.tolist() == [2, 0, 1]
    assert territory.population.tolist() == [1000.0, 0.0, 250.5]
    assert territory.area_km2.tolist() == [0.01, 0.02, 1e-6]
    assert territory.district.tolist() == ["02", "01", "02"]
    assert list(territory.units) == ["none", "bezirk", "prognoseraum"]
    assert territory.units["bezirk"].tolist() == [0, 1, 0]
    assert territory.units["prognoseraum"].tolist() == [0, 1, 2]
    ordered = Territory.from_frame(
        frame.iloc[[1, 2, 0]], np.array(["01", "02", "03"], dtype=object)
    )
    assert ordered.rank.tolist() == [0, 1, 2]
    without_pgr = Territory.from_frame(frame.drop(columns="pgr_id"), np.array(["1", "2", "3"]))
    assert list(without_pgr.units) == ["none", "bezirk"]


# ----------------------------------------------------------------------------------- rings


def test_first_neighbour_is_the_candidate_of_the_smallest_rank():
    adjacency = chain(7)  # 0-1-2-3-4-5-6
    rank = np.array([3, 9, 1, 9, 0, 9, 9])
    best = _first_neighbour(adjacency, np.array([1, 3, 6]), np.array([0, 2, 4]), rank)
    assert best.dtype == np.int64
    assert best.tolist() == [2, 4, -1]  # 1: ranks 3 and 1; 3: ranks 1 and 0; 6: no candidate
    by_position = _first_neighbour(adjacency, np.array([1, 3]), np.array([0, 2, 4]), np.arange(7))
    assert by_position.tolist() == [0, 2]


def test_rings_grow_one_neighbour_per_ring_through_the_join_rule():
    adjacency = chain(7)
    seed = np.array([False, False, True, False, False, False, False])
    join = np.array([True, True, False, True, True, True, False])
    rank = np.arange(7)
    ring, via = rings(adjacency, seed, join, 2, rank)
    assert ring.dtype == np.int64 and via.dtype == np.int64
    assert ring.tolist() == [2, 1, 0, 1, 2, -1, -1]
    assert via.tolist() == [1, 2, -1, 2, 3, -1, -1]
    ring, via = rings(adjacency, seed, join, 10, rank)
    assert ring.tolist() == [2, 1, 0, 1, 2, 3, -1]  # 6 does not meet the join rule
    assert via.tolist() == [1, 2, -1, 2, 3, 4, -1]
    ring, via = rings(adjacency, seed, join, 0, rank)
    assert ring.tolist() == [-1, -1, 0, -1, -1, -1, -1]
    assert via.tolist() == [-1] * 7


def test_without_rings_a_join_cell_beside_a_seed_is_outside_for_that_reason():
    from quartiere.delineate.clustering import Role, cluster

    graph = build_contiguity(shapely.box(np.arange(4), 0, np.arange(4) + 1, 1))
    flags = {
        "c_mss": np.array([1.0, 1, 0, 1]),
        "c_schools": np.array([1.0, 0, 0, 0]),
        "c_atlas": np.zeros(4),
        "n_criteria": np.array([2.0, 1, 0, 1]),
    }
    territory = Territory.of(population=np.full(4, 1000.0), area_km2=np.full(4, 0.01))
    result = cluster(flags, rules(rings=0, border="none"), graph, territory)
    assert [Role(r).name for r in result.role] == ["SEED", "OUTSIDE", "OUTSIDE", "OUTSIDE"]
    assert [Reason(r).name for r in result.reason] == [
        "IN_AREA", "NO_RINGS", "JOIN_NOT_MET", "NO_RINGS"
    ]  # fmt: skip
    one = cluster(flags, rules(rings=1, border="none"), graph, territory)
    assert [Reason(r).name for r in one.reason] == [
        "IN_AREA", "IN_AREA", "JOIN_NOT_MET", "NO_SEED_NEARBY"
    ]  # fmt: skip


def test_rings_record_the_joined_member_of_the_smallest_rank():
    adjacency = chain(3)
    seed = np.array([True, False, True])
    join = np.ones(3, dtype=bool)
    assert rings(adjacency, seed, join, 1, np.array([0, 1, 2]))[1].tolist() == [-1, 0, -1]
    assert rings(adjacency, seed, join, 1, np.array([2, 1, 0]))[1].tolist() == [-1, 2, -1]


# ----------------------------------------------------------------------------------- holes

TWO_RINGS = """
0 0 0 . 1 1 1
0 . 0 . 1 . 1
0 0 0 . 1 1 1
"""


def territory_of(labels: np.ndarray, population: dict[int, float] | None = None, unit=None):
    pop = np.full(labels.size, 1000.0)
    for i, p in (population or {}).items():
        pop[i] = p
    units = {"bezirk": unit} if unit is not None else None
    return Territory.of(population=pop, area_km2=np.full(labels.size, 0.01), units=units)


def run_holes(picture, population=None, unit=None, **hole_rule):
    graph, labels = grid(picture)
    territory = territory_of(labels, population, unit)
    border = "none" if unit is None else "bezirk"
    config = rules(holes=hole_rule, border=border)
    return holes(graph, labels, territory.units[border], territory, config)


def test_holes_enclosed_by_one_cluster_are_filled_the_open_gap_is_not():
    result = run_holes(TWO_RINGS, population={8: 500.0, 12: 2000.0})
    # components in position order: the open column (3, 10, 17), 8 inside 0, 12 inside 1
    assert result.component.tolist() == [
        -1, -1, -1, 0, -1, -1, -1,
        -1, 1, -1, 0, -1, 2, -1,
        -1, -1, -1, 0, -1, -1, -1,
    ]  # fmt: skip
    assert np.flatnonzero(result.filled).tolist() == [8, 12]
    assert result.enclosed_by.tolist() == [-1] * 8 + [0] + [-1] * 3 + [1] + [-1] * 8
    assert result.size_n.tolist() == [3, 1, 1]
    assert result.size_km2.tolist() == pytest.approx([0.03, 0.01, 0.01])
    assert result.size_pop.tolist() == [3000.0, 500.0, 2000.0]
    assert result.reason.tolist() == [Reason.IN_AREA] * 3
    assert result.reason.dtype == np.int8


@pytest.mark.parametrize(
    ("hole_rule", "reasons"),
    [
        ({"max_population": 1000}, ["IN_AREA", "IN_AREA", "HOLE_TOO_POPULOUS"]),
        ({"max_population": 2000}, ["IN_AREA", "IN_AREA", "IN_AREA"]),
        ({"max_population": 499.9}, ["IN_AREA", "HOLE_TOO_POPULOUS", "HOLE_TOO_POPULOUS"]),
        ({"max_area_km2": 0.01}, ["IN_AREA", "IN_AREA", "IN_AREA"]),
        ({"max_area_km2": 0.0099}, ["IN_AREA", "HOLE_TOO_LARGE", "HOLE_TOO_LARGE"]),
        (
            {"max_area_km2": 0.0099, "max_population": 0},
            ["IN_AREA", "HOLE_TOO_LARGE", "HOLE_TOO_LARGE"],
        ),
        (
            {"fill": False, "max_area_km2": 0.0099, "max_population": 0},
            ["IN_AREA", "HOLES_NOT_FILLED", "HOLES_NOT_FILLED"],
        ),
    ],
)
def test_the_first_hole_reason_that_applies(hole_rule, reasons):
    result = run_holes(TWO_RINGS, population={8: 500.0, 12: 2000.0}, **hole_rule)
    assert [Reason(r).name for r in result.reason] == reasons
    filled = [i for i, name in ((8, reasons[1]), (12, reasons[2])) if name == "IN_AREA"]
    assert np.flatnonzero(result.filled).tolist() == filled
    # enclosed either way, filled or not
    assert result.enclosed_by[8] == 0 and result.enclosed_by[12] == 1


def test_a_hole_in_another_unit_than_its_cluster_is_not_filled():
    unit = np.array([0, 0, 0, 0, 1, 1, 1] * 3)  # cluster 0 in unit 0, cluster 1 in unit 1
    same = run_holes(TWO_RINGS, unit=unit)
    assert np.flatnonzero(same.filled).tolist() == [8, 12]
    unit[12] = 0  # 1's hole lies in unit 0
    other = run_holes(TWO_RINGS, unit=unit)
    assert np.flatnonzero(other.filled).tolist() == [8]
    assert [Reason(r).name for r in other.reason] == ["IN_AREA", "IN_AREA", "HOLE_IN_OTHER_UNIT"]
    populous = run_holes(TWO_RINGS, population={12: 5000.0}, unit=unit, max_population=4000)
    assert Reason(populous.reason[2]) is Reason.HOLE_TOO_POPULOUS


def test_a_gap_bounded_by_two_clusters_or_on_the_outline_is_not_enclosed():
    between = run_holes("0 0 0 0\n0 . . 1\n1 1 1 1")
    assert between.filled.tolist() == [False] * 12
    assert between.enclosed_by.tolist() == [-1] * 12
    assert between.size_n.tolist() == [2]
    on_outline = run_holes("0 . 0\n0 0 0")
    assert on_outline.filled.tolist() == [False] * 6
    assert on_outline.enclosed_by.tolist() == [-1] * 6


def test_holes_without_members_or_without_gaps():
    nobody = run_holes(". .\n. .")
    assert nobody.component.tolist() == [0, 0, 0, 0]
    assert nobody.filled.tolist() == [False] * 4 and nobody.enclosed_by.tolist() == [-1] * 4
    everybody = run_holes("0 0\n1 1")
    assert everybody.component.tolist() == [-1] * 4
    assert everybody.size_n.size == 0 and everybody.reason.size == 0


# ------------------------------------------------------------------------ dominant district


def test_dominant_label_by_total_weight_ties_to_the_smaller_label():
    out = dominant(
        np.array([0, 0, 0, 1, 1, 2, 3, 3, 3]),
        np.array(["b", "a", "c", "x", "y", "z", "p", "q", "p"]),
        np.array([5.0, 5.0, 2.0, 0.0, 0.0, 3.0, 1.0, 3.0, 3.0]),
    )
    assert out.index.tolist() == [0, 1, 2, 3]
    assert list(out.columns) == ["first", "second", "second_share"]
    assert out["first"].tolist() == ["a", "x", "z", "p"]
    assert out["second"].tolist()[:2] == ["b", "y"] and out["second"].tolist()[3] == "q"
    assert out["second"].isna().tolist() == [False, False, True, False]
    assert out["second_share"].tolist() == pytest.approx([5 / 12, 0.0, 0.0, 3 / 7])


def test_dominant_share_of_weights_below_one():
    out = dominant(np.array([0, 0, 0]), np.array(["a", "b", "c"]), np.array([0.5, 0.2, 0.1]))
    assert out["first"].tolist() == ["a"] and out["second"].tolist() == ["b"]
    assert out["second_share"].tolist() == pytest.approx([0.25])


def test_cluster_districts_by_population_with_members_only():
    labels = np.array([0, 0, 1, -1, 1, 2, 3, 3, 3, 3])
    district = np.array(["01", "02", "02", "03", "03", "01", "01", "01", "01", "02"], dtype=object)
    population = np.array([100, 300, 0, 999, 0, 0, 0, 0, 0, 2], dtype=float)
    out = cluster_districts(labels, district, population)
    assert out.dtype == object
    # 3: three uninhabited in 01, two inhabitants in 02
    assert out.tolist() == ["02", "02", "01", "02"]
    assert cluster_districts(np.array([-1, -1]), district[:2], population[:2]).tolist() == []
    # uninhabited clusters go by the count of their members
    assert cluster_districts(
        np.array([0, 0, 0]), np.array(["02", "01", "02"]), np.zeros(3)
    ).tolist() == ["02"]


# ----------------------------------------------------------------------------- the minimum


def test_minimum_counts_and_inhabitants_per_cluster_strictly_below():
    labels = np.array([0, 0, 1, -1, 2, 1])
    population = np.array([100.0, 200.0, 300.0, 999.0, 50.0, 0.0])
    config = rules(minimum={"population": 300, "n_plr": 2})
    c_n, c_pop, below_pop, below_n = minimum(labels, population, config)
    assert c_n.tolist() == [2, 2, 1]
    assert c_pop.tolist() == [300.0, 300.0, 50.0]
    assert below_pop.tolist() == [False, False, True]
    assert below_n.tolist() == [False, False, True]
    empty = minimum(np.array([-1, -1]), population[:2], config)
    assert [part.size for part in empty] == [0, 0, 0, 0]


# ---------------------------------------------------------------------------------- groups

GROUPS = [
    {"name": "G1", "bezirke": ["02"], "which": "below_minimum", "min_population": 100},
    {"name": "G2", "which": "all", "min_population": 50},
]


def group_territory():
    # clusters 0 and 3 in district 01, 1 and 2 in 02 (by population)
    return Territory.of(
        population=np.array([500.0, 150.0, 100.0, 40.0, 1.0]),
        area_km2=np.ones(5),
        district=np.array(["01", "02", "02", "01", "01"]),
    )


def test_groups_take_the_first_group_a_cluster_qualifies_for():
    labels = np.array([0, 1, 2, 3, 1])
    c_pop = np.array([500.0, 151.0, 100.0, 40.0])
    below = np.array([False, True, True, True])
    c_group, group_min, kept, part = groups(
        labels, c_pop, below, group_territory(), rules(groups=GROUPS)
    )
    assert c_group.tolist() == [1, 0, 0, 1]
    assert group_min.tolist() == [50.0, 100.0, 100.0, 50.0]
    assert kept.tolist() == [True, True, True, False]  # 100 is enough for G1, 40 not for G2
    assert part.tolist() == [False, True, True, False]  # G1 has two kept parts, G2 one


def test_one_kept_part_of_a_group_is_no_lettered_part():
    labels = np.array([0, 1, 2, 3, 1])
    c_pop = np.array([500.0, 151.0, 99.0, 40.0])
    below = np.array([False, True, True, True])
    _, _, kept, part = groups(labels, c_pop, below, group_territory(), rules(groups=GROUPS))
    assert kept.tolist() == [True, True, False, False]
    assert part.tolist() == [False, False, False, False]


def test_below_minimum_groups_of_every_district_and_no_groups():
    labels = np.array([0, 1, 2, 3, 1])
    c_pop = np.array([500.0, 151.0, 100.0, 40.0])
    below = np.array([False, True, False, True])
    config = rules(groups=[{"name": "G", "min_population": 40}])
    c_group, group_min, kept, part = groups(labels, c_pop, below, group_territory(), config)
    assert c_group.tolist() == [-1, 0, -1, 0]
    assert group_min.tolist() == [0.0, 40.0, 0.0, 40.0]
    assert kept.tolist() == [True, True, True, True]
    assert part.tolist() == [False, True, False, True]
    c_group, group_min, kept, part = groups(labels, c_pop, below, group_territory(), rules())
    assert c_group.tolist() == [-1, -1, -1, -1]
    assert group_min.tolist() == [0.0] * 4
    assert kept.tolist() == [True, False, True, False]
    assert part.tolist() == [False] * 4


# ------------------------------------------------------------------------- the whole run

EVERY_ROLE = """
    2 . . . . . .
    . 2 2 2 1 . 2
    . 2 . 2 1 1 .
    . 2 2 2 . . .
    2 . . . 1 . 2
"""
EVERY_ROLE_DISTRICTS = """
    1 1 1 1 1 1 1
    1 1 1 1 2 1 2
    1 1 1 1 1 1 1
    1 1 1 1 1 1 1
    1 1 1 1 1 1 1
"""
EVERY_ROLE_POPULATION = """
    2 1 1 1 1 1 1
    1 1 1 1 1 1 1
    1 1 1 1 1 1 1
    1 1 1 1 1 1 1
    1 1 1 1 1 1 2
"""


def test_a_run_with_every_role_phase_and_reason_and_the_types_it_returns():
    from quartiere.delineate.clustering import Phase, Role, cluster
    from test_delineate import lattice

    frame = lattice(EVERY_ROLE, EVERY_ROLE_DISTRICTS, population=EVERY_ROLE_POPULATION)
    config = rules(
        rings=1,
        border="bezirk",
        minimum={"population": 3000, "n_plr": 1},
        groups=[{"name": "G", "bezirke": ["01"], "min_population": 1500}],
    )
    graph = build_contiguity(frame.geometry.values)
    result = cluster(frame, config, graph, Territory.from_frame(frame, frame.index.to_numpy()))

    def at(r: int, c: int) -> int:
        return r * 7 + c

    roles = {i: Role(r).name for i, r in enumerate(result.role) if r != Role.OUTSIDE}
    ring_seeds = [at(1, 1), at(1, 2), at(1, 3), at(2, 1), at(2, 3), at(3, 1), at(3, 2), at(3, 3)]
    assert roles == {
        at(0, 0): "PART",
        **{i: "SEED" for i in ring_seeds},
        at(2, 4): "JOINED",
        at(2, 2): "HOLE",
        at(1, 6): "DROPPED",
        at(4, 0): "DROPPED",
        at(4, 6): "PART",
    }
    phases = {i: Phase(p).name for i, p in enumerate(result.phase) if p != Phase.RINGS}
    assert phases == {
        at(0, 0): "SEEDS",
        **{i: "SEEDS" for i in ring_seeds},
        at(2, 2): "HOLES",
        at(1, 6): "MINIMUM",
        at(4, 0): "GROUPS",
        at(4, 6): "SEEDS",
    }
    reasons = {i: Reason(r).name for i, r in enumerate(result.reason) if r != Reason.JOIN_NOT_MET}
    members = [at(0, 0), *ring_seeds, at(2, 4), at(2, 2), at(4, 6)]
    assert reasons == {
        **{i: "IN_AREA" for i in members},
        at(1, 6): "BELOW_MINIMUM",
        at(4, 0): "BELOW_GROUP_MINIMUM",
        at(1, 4): "ACROSS_BORDER",
        at(2, 5): "BEYOND_RINGS",
        at(4, 4): "NO_SEED_NEARBY",
    }
    assert result.cluster[at(2, 2)] == result.cluster[at(1, 1)] == 1
    assert result.ring[at(2, 4)] == 1 and result.via[at(2, 4)] == at(2, 3)
    assert result.n_plr.tolist() == [1, 10, 1, 1, 1]
    assert result.population.tolist() == [2000.0, 10000.0, 1000.0, 1000.0, 2000.0]
    assert result.group.tolist() == [0, -1, -1, 0, 0]
    assert result.group_min.tolist() == [1500.0, 0.0, 0.0, 1500.0, 1500.0]
    assert result.below_pop.tolist() == [True, False, True, True, True]
    assert result.below_n.tolist() == [False] * 5
    assert result.kept.tolist() == [True, True, False, False, True]
    assert result.part.tolist() == [True, False, False, False, True]
    assert result.n_areas == 3
    assert int(result.in_area.sum()) == 12
    dtypes = {
        name: str(getattr(result, name).dtype)
        for name in (
            "seed", "join", "ring", "via", "cluster", "role", "phase", "reason", "hole",
            "enclosed_by", "n_plr", "population", "group", "group_min", "below_pop", "below_n",
            "kept", "part", "hole_n", "hole_km2", "hole_pop",
        )
    }  # fmt: skip
    assert dtypes == {
        "seed": "bool", "join": "bool", "ring": "int64", "via": "int64", "cluster": "int64",
        "role": "int8", "phase": "int8", "reason": "int8", "hole": "int64",
        "enclosed_by": "int64", "n_plr": "int64", "population": "float64", "group": "int64",
        "group_min": "float64", "below_pop": "bool", "below_n": "bool", "kept": "bool",
        "part": "bool", "hole_n": "int64", "hole_km2": "float64", "hole_pop": "float64",
    }  # fmt: skip
    assert {name: str(v.dtype) for name, v in result.values.items()} == {
        "c_mss": "float64", "c_schools": "float64", "c_atlas": "float64", "n_criteria": "float64"
    }  # fmt: skip


@pytest.mark.parametrize("key", ["seed", "join"])
def test_a_rule_that_bypassed_validation_is_named_by_its_key(key):
    """seeds() names the configuration key in the error (model_copy skips the validation)."""
    values = {name: np.zeros(2) for name in ("c_mss", "c_schools", "c_atlas", "n_criteria")}
    with pytest.raises(ConfigError, match=rf"^delineation\.{key}: 'c_mss \+' is not a valid"):
        seeds(values, rules().model_copy(update={key: "c_mss +"}))
