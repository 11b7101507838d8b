"""Delineation invariants on random lattices with random flags (property-based, hypothesis)."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quartiere.delineate import compile_rule, delineate
from test_delineate import lattice, rules


@st.composite
def cases(draw):
    n_rows = draw(st.integers(2, 7))
    n_cols = draw(st.integers(2, 7))
    cells = draw(
        st.lists(st.sampled_from(".123"), min_size=n_rows * n_cols, max_size=n_rows * n_cols)
    )
    split = draw(st.integers(1, n_cols))  # columns before `split` are district 1, the rest 2
    flags = "\n".join(" ".join(cells[r * n_cols : (r + 1) * n_cols]) for r in range(n_rows))
    districts = "\n".join(
        " ".join("1" if c < split else "2" for c in range(n_cols)) for _ in range(n_rows)
    )
    config = rules(
        rings=draw(st.integers(0, 2)),
        contiguity=draw(st.sampled_from(["rook", "queen"])),
        minimum={"population": draw(st.sampled_from([0, 2000, 4000])), "n_plr": 1},
        holes={"fill": draw(st.booleans()), "max_area_km2": 0.05},
        groups=draw(st.sampled_from([[], [{"name": "Rand", "min_population": 0}]])),
    )
    return lattice(flags, districts), config


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: conftest profile
@given(cases())
def test_delineation_invariants(case):
    plr, config = case
    result = delineate(plr, config)
    members = result.members
    areas = result.areas.set_index("hr_id")
    inside = members[members["hr_id"] != ""]

    # each planning area belongs to at most one area, and areas list exactly their members
    for hr_id, area in areas.iterrows():
        ids = area["plr_ids"].split(",")
        assert sorted(ids) == sorted(inside.index[inside["hr_id"] == hr_id])
        # inside one district
        assert plr.loc[ids, "bezirk"].nunique() == 1
        # the geometry is the union of its members, and areas do not overlap
        union = shapely.union_all(plr.loc[ids].geometry.to_numpy())
        assert abs(area.geometry.area - union.area) < 1e-6
        assert area.geometry.symmetric_difference(union).area < 1e-6
        # contiguous (rook lattice: one polygon) unless queen contact is allowed
        if config.contiguity == "rook":
            assert shapely.get_num_geometries(area.geometry) == 1
    geoms = areas.geometry.to_numpy()
    total = sum(g.area for g in geoms)
    assert abs(shapely.union_all(geoms).area - total) < 1e-6 if len(geoms) else True

    # every member is a seed, meets the join rule, or fills a hole
    seed = compile_rule(config.seed, "seed")(plr)
    join = compile_rule(config.join, "join")(plr)
    roles = inside["role"]
    position = plr.index.get_indexer(inside.index)
    assert (seed[position] | join[position] | roles.isin(["hole"]).to_numpy()).all()
    # every seed is inside an area or its decision says why not
    for plr_id in plr.index[np.asarray(seed)]:
        row = members.loc[plr_id]
        assert row["hr_id"] != "" or row["decision"].startswith("verworfen")
