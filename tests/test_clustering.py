"""The Clustering value: phases, roles and reasons as enums, read-only, without geometry or text."""

from __future__ import annotations

import numpy as np
import pytest

from quartiere.contiguity import build_contiguity
from quartiere.delineate import Phase, Reason, Role, Territory, cluster, delineate
from test_delineate import RING, STRADDLE, STRADDLE_DISTRICTS, lattice, rules


def run(frame, config):
    ids = frame["plr_id"].to_numpy(dtype=object)
    graph = build_contiguity(frame.geometry.values, config.contiguity, config.snap_tolerance_m)
    return cluster(frame, config, graph, Territory.from_frame(frame, ids)), graph


def test_each_planning_area_gets_its_role_phase_and_reason():
    frame = lattice("2 1 1 . 1")
    result, _ = run(frame, rules(rings=1))
    roles = [Role(r).name for r in result.role]
    assert roles == ["SEED", "JOINED", "OUTSIDE", "OUTSIDE", "OUTSIDE"]
    assert [Phase(p).name for p in result.phase] == ["SEEDS", "RINGS", "RINGS", "RINGS", "RINGS"]
    assert [Reason(r).name for r in result.reason] == [
        "IN_AREA",
        "IN_AREA",
        "BEYOND_RINGS",  # meets the join rule, but its member neighbour joined in the last ring
        "JOIN_NOT_MET",
        "NO_SEED_NEARBY",
    ]
    assert result.ring.tolist() == [0, 1, -1, -1, -1]
    assert result.via.tolist() == [-1, 0, -1, -1, -1]
    assert result.n_areas == 1 and result.in_area.tolist() == [True, True, False, False, False]
    # the roles are the members' roles of the full stage
    members = delineate(frame, rules(rings=1)).members
    assert members["role"].tolist() == [Role(r).name.lower() for r in result.role]


def test_dropped_clusters_say_which_minimum_dropped_them():
    result, _ = run(lattice("2 1 . 2 2 2"), rules(minimum={"population": 0, "n_plr": 3}))
    assert [Role(r).name for r in result.role[:2]] == ["DROPPED", "DROPPED"]
    assert {Reason(r) for r in result.reason[:2]} == {Reason.BELOW_MINIMUM}
    assert {Phase(p) for p in result.phase[:2]} == {Phase.MINIMUM}
    assert result.n_plr.tolist() == [2, 3] and result.kept.tolist() == [False, True]
    assert result.below_n.tolist() == [True, False]


def test_an_unfilled_hole_says_why_and_across_a_border_is_its_own_reason():
    result, _ = run(lattice(RING), rules(holes={"fill": True, "max_area_km2": 0.005}))
    centre = 2 * 5 + 2
    assert Reason(result.reason[centre]) is Reason.HOLE_TOO_LARGE
    assert Phase(result.phase[centre]) is Phase.HOLES
    assert result.enclosed_by[centre] == result.cluster[6] and result.hole_n.tolist() == [16, 1]
    filled, _ = run(lattice(RING), rules())
    assert Role(filled.role[centre]) is Role.HOLE and filled.cluster[centre] == filled.cluster[6]

    # A join-rule cell next to a member that lies across the district border.
    straddle, _ = run(lattice("2 2 1 1", "1 1 2 2"), rules(rings=1))
    assert [Reason(r).name for r in straddle.reason] == [
        "IN_AREA",
        "IN_AREA",
        "ACROSS_BORDER",
        "NO_SEED_NEARBY",
    ]
    assert straddle.n_areas == 1


def test_the_clustering_is_read_only_and_owns_its_arrays():
    frame = lattice(STRADDLE, STRADDLE_DISTRICTS)
    names = ("c_mss", "c_schools", "c_atlas", "n_criteria")
    flags = {c: np.array(frame[c], dtype=float) for c in names}  # writable arrays
    ids = frame["plr_id"].to_numpy(dtype=object)
    graph = build_contiguity(frame.geometry.values)
    result = cluster(flags, rules(), graph, Territory.from_frame(frame, ids))
    before = result.cluster.copy()
    flags["n_criteria"][:] = 0  # the caller's arrays are not the Clustering's
    assert result.values["n_criteria"].tolist() == [2.0] * 4 + [0.0] * 4
    for name in ("cluster", "role", "reason", "seed", "kept", "population"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(result, name)[0] = 1
    with pytest.raises(TypeError):
        result.values["c_mss"] = np.zeros(8)  # type: ignore[index]
    assert np.array_equal(result.cluster, before)


def test_delineate_on_a_prebuilt_graph_equals_building_it():
    frame = lattice(RING)
    _, graph = run(frame, rules())
    with_graph = delineate(frame, rules(), graph)
    without = delineate(frame, rules())
    assert with_graph.members.equals(without.members)
    assert with_graph.areas.drop(columns="geometry").equals(without.areas.drop(columns="geometry"))
