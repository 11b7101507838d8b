"""The robustness atlas's scenario adapter (:mod:`quartiere.sensitivity.scenario`) on a toy world.

The toy has everything a build reads (planning areas in two Bezirke, MSS classes, child poverty,
catchments offset from the planning areas, a school list, atlas values), small enough that a full
build takes a fraction of a second: so every scenario path (the schools' recalibrated ranking, the
catchment estimate, official shares) is checked against a full build without the Berlin data,
inside ``make test-fast`` and ``make mutation``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from quartiere.config import load_config
from quartiere.harmonize import harmonize
from quartiere.inputs import Inputs
from quartiere.schools.school_list import SchoolList
from quartiere.sensitivity import scenario
from quartiere.sensitivity.scenario import (
    criteria_flags,
    evaluate_batch,
    evaluate_scenario,
    prepare_context,
    scenario_harmonized,
)

ROOT = Path(__file__).resolve().parents[1]
CRS = "EPSG:25833"
ROWS, COLS, SIZE = 3, 6, 1000.0

# MSS status per planning area (row by row): "n" niedrig, "s" sehr niedrig, "m" mittel (with a
# negative dynamic where the DYNAMIC picture says "-"), "h" hoch; "." no index (no data).
STATUS = ["nnmhhh", "snnmh.", "hhhnnh"]
DYNAMIC = ["---+++", "++-+++", "++++-+"]
# child poverty s4 (%) per planning area; NaN where the MSS has no index
S4 = [[40, 38, 30, 12, 8, 6], [44, 36, 33, 20, 10, np.nan], [9, 11, 14, 35, 37, 7]]
POPULATION = [[6000, 5000, 4000, 3000, 2000, 1000], [5500, 4500, 3500, 2500, 1500, 250],
              [1200, 2200, 3200, 4200, 5200, 6200]]  # fmt: skip
ATLAS = [[-2.0, -1.5, -0.2, 0.4, 1.1, 0.9], [-1.8, -1.2, -0.6, 0.0, 0.7, np.nan],
         [0.3, 0.5, 0.2, -1.4, -1.6, 1.3]]  # fmt: skip


def plr_id(r: int, c: int) -> str:
    return f"0{1 + c // 3}0{r}0{c}00"


def toy_inputs(official: bool = False, school_shares: bool = False) -> Inputs:
    """Planning areas of 1 km in a 3 x 6 grid (Bezirk 01: columns 0-2, 02: columns 3-5; a
    Prognoseraum per Bezirk and half), catchments 1.5 km wide (so columns 1 and 4 are split in
    halves between two catchments), one school in each catchment but the last of row 1."""
    records = []
    for r in range(ROWS):
        for c in range(COLS):
            bezirk = f"0{1 + c // 3}"
            records.append(
                {
                    "plr_name": f"PLR {r}/{c}",
                    "bzr_id": f"{bezirk}0{r}",
                    "bzr_name": f"Region {bezirk}/{r}",
                    "pgr_id": f"{bezirk}{'a' if r < 2 else 'b'}",
                    "pgr_name": f"Prognoseraum {bezirk}",
                    "bezirk": bezirk,
                    "bezirk_name": f"Bezirk {bezirk}",
                    "geometry": shapely.box(c * SIZE, r * SIZE, (c + 1) * SIZE, (r + 1) * SIZE),
                }
            )
    index = pd.Index([plr_id(r, c) for r in range(ROWS) for c in range(COLS)], name="plr_id")
    plr = gpd.GeoDataFrame(records, index=index, crs=CRS)

    def per_plr(picture) -> pd.Series:
        return pd.Series(np.asarray(picture, dtype=float).ravel(), index=index)

    status = {"n": "niedrig", "s": "sehr niedrig", "m": "mittel", "h": "hoch"}
    cells = [(plr_id(r, c), STATUS[r][c], DYNAMIC[r][c]) for r in range(ROWS) for c in range(COLS)]
    mss = pd.DataFrame(
        [
            {"id": i, "status": status[s], "dynamic": "negativ" if d == "-" else "stabil"}
            for i, s, d in cells
            if s != "."
        ]
    ).set_index("id")
    mss.index.name = "plr_id"
    child_poverty = per_plr(S4).rename("child_poverty")
    width = 1.5 * SIZE
    esb_ids, boxes = [], []
    for r in range(ROWS):
        for k in range(4):
            esb_ids.append(f"E{r}{k}")
            boxes.append(shapely.box(k * width, r * SIZE, (k + 1) * width, (r + 1) * SIZE))
    catchments = gpd.GeoDataFrame(geometry=boxes, index=pd.Index(esb_ids, name="esb_id"), crs=CRS)
    points, school_ids, plr_of = [], [], []
    for r in range(ROWS):
        for k in range(4):
            if (r, k) == (1, 3):
                continue  # a catchment without a school: no lmb share, no data
            x, y = k * width + 0.25 * SIZE, r * SIZE + 0.5 * SIZE
            points.append(shapely.Point(x, y))
            school_ids.append(f"{r}{k}G01")
            plr_of.append(plr_id(r, int(x // SIZE)))
    schools = gpd.GeoDataFrame(
        {"name": [f"Schule {i}" for i in school_ids], "type": "Grundschule", "plr_id": plr_of},
        geometry=points,
        index=pd.Index(school_ids, name="bsn"),
        crs=CRS,
    )
    # the toy flag: six of the eleven schools (the six best ranked), nullable as loaded
    schools["flag_toy_flag"] = pd.array([1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1], dtype="Int64")
    if school_shares:  # lmb_source official: a share per school
        schools["official_share"] = [
            82.0,
            60.0,
            77.0,
            20.0,
            90.0,
            74.0,
            40.0,
            30.0,
            76.0,
            55.0,
            5.0,
        ]
    official_lmb = None
    if official:
        official_lmb = pd.Series(
            [80.0, 76.0, 40.0, 20.0, 90.0, 70.0, 78.0, np.nan, 30.0, 50.0, 85.0, 10.0],
            index=catchments.index,
            name="lmb_share",
        )
    return Inputs(
        planning_areas=plr,
        population=per_plr(POPULATION).rename("population"),
        mss=mss,
        child_poverty=child_poverty,
        catchments=catchments,
        official_lmb=official_lmb,
        atlas=per_plr(ATLAS).rename("atlas_value"),
        atlas_zones=None,
        atlas_zone_population=None,
        schools=SchoolList(schools=schools, n_rows=len(schools)),
    )


def base_config():
    """The shipped configuration with the toy's schools: a count anchor and a flag anchor (the
    toy flag's six schools at 50 %), no extra indicator; areas of at least 5,000 inhabitants
    (3,000 for lettered parts)."""
    flag = {"column": "Toy-Flag", "value": "1", "share": 50, "means": "toy", "year": "2024"}
    return load_config(ROOT / "config" / "criteria.yaml").with_values(
        {
            "schools.flags": [flag],
            "schools.estimate.extra": [],
            "schools.estimate.anchors": [
                {"share": 75, "count": 3, "source": "toy"},
                {"flag": "Toy-Flag", "source": "toy flags"},
            ],
            "delineation.minimum.population": 5000,
            "delineation.groups.0.min_population": 3000,
        }
    )


@pytest.fixture(scope="module")
def base():
    return base_config()


ESTIMATE = {"catchments.lmb_source": "estimate", "catchments.estimate": {"citywide_mean": 30}}
OFFICIAL = {
    "catchments.lmb_source": "official",
    "catchments.official": {"path": "toy.csv", "id": "esb", "share": "lmb"},
    "schools": None,
}
SCHOOLS_OFFICIAL = {
    "schools.lmb_source": "official",
    "schools.official_share": "share",
    "schools.estimate": None,
    "schools.flags": [],
}
OFFICIAL_WITH_SCHOOLS = {
    "catchments.lmb_source": "official",
    "catchments.official": {"path": "toy.csv", "id": "esb", "share": "lmb"},
}

# scenarios every variant runs, in this order on one context (so a cache keyed too coarsely
# hands a later scenario an earlier one's values)
COMMON = [
    {},
    {"criteria.schools.lmb_threshold": 55.0},
    {"criteria.schools.min_area_share": 0.75},
    {"criteria.schools.min_coverage": 1.0},
    {"criteria.schools.by": "school_location"},
    {"criteria.schools.by": "school_location", "criteria.schools.lmb_threshold": 55.0},
    {"criteria.mss.attention": [{"status": ["sehr niedrig"]}]},
    {"criteria.atlas.flag_strata": [5, 6, 7]},
    {"criteria.atlas.method": "quantiles_population"},
    {"delineation.contiguity": "queen", "delineation.rings": 0},
    # area 02 (9,400 inhabitants) below the minimum: a lettered part where its Bezirk may have one
    {"delineation.minimum.population": 10000, "delineation.groups.0.bezirke": ["02"]},
    {"delineation.minimum.population": 10000, "delineation.groups.0.bezirke": ["01"]},
    {},
]
RANKING = [  # the school ranking recalibrated: anchors, top and bottom share
    {"schools.estimate.anchors.0.count": 5},
    {"schools.estimate.anchors.0.count": 5, "criteria.schools.by": "school_location"},
    {"schools.estimate.anchors.0.share": 85.0},
    {"schools.estimate.anchors.0.share": 85.0, "criteria.schools.lmb_threshold": 80.0},
    {"schools.estimate.anchors.0.share": 85.0, "criteria.schools.by": "school_location",
     "criteria.schools.lmb_threshold": 80.0},
    {"schools.estimate.top_share": 99.0, "criteria.schools.lmb_threshold": 96.0},
    {"schools.estimate.bottom_share": 49.0, "criteria.schools.lmb_threshold": 45.0},
    {"schools.estimate.bottom_share": 49.0, "criteria.schools.lmb_threshold": 45.0,
     "criteria.schools.by": "school_location"},
    {},
]  # fmt: skip
SHORT = [
    {},
    {"criteria.schools.lmb_threshold": 55.0},
    {"criteria.schools.by": "school_location"},
    {"criteria.schools.by": "school_location", "criteria.schools.lmb_threshold": 55.0},
    {},
]
VARIANTS = {
    # an estimate section the schools' shares leave unused
    "schools": ({"catchments.estimate": {"citywide_mean": 30}}, {}, COMMON + RANKING),
    "estimate": (
        ESTIMATE,
        {},
        SHORT
        + [
            {"catchments.estimate.citywide_mean": 45.0},
            {"catchments.estimate.citywide_mean": 20.0, "criteria.schools.lmb_threshold": 40.0},
            {"catchments.estimate.citywide_mean": 45.0, "criteria.schools.by": "school_location"},
            {},
        ],
    ),
    "official": (
        OFFICIAL,
        {"official": True},
        [v for v in SHORT if "criteria.schools.by" not in v]
        + [{"criteria.schools.lmb_threshold": 25.0, "criteria.schools.min_area_share": 0.25}],
    ),
    "official_with_schools": (OFFICIAL_WITH_SCHOOLS, {"official": True}, SHORT + RANKING[:2]),
    "schools_official": (SCHOOLS_OFFICIAL, {"school_shares": True}, SHORT),
}
FLAGS = ("c_mss", "c_schools", "c_atlas", "n_criteria")


def as_floats(values) -> np.ndarray:
    return pd.to_numeric(pd.Series(values)).astype("Float64").fillna(-1).to_numpy()


def agree_with_a_build(ctx, inputs, config) -> None:
    """The scenario's zone transfer, flags and areas are those of a full build of ``config``."""
    from quartiere.pipeline import compute

    build = compute(inputs, config)
    full = build.harmonized
    mine = scenario_harmonized(ctx, config)
    pd.testing.assert_series_equal(mine.lmb_share.reindex(full.lmb_share.index), full.lmb_share)
    if full.schools is not None:
        np.testing.assert_allclose(
            mine.schools.schools["lmb_share"].to_numpy(dtype=float),
            full.schools.schools["lmb_share"].to_numpy(dtype=float),
        )
        pd.testing.assert_series_equal(mine.schools.catchment_lmb, full.schools.catchment_lmb)
    basis = scenario.criteria_basis(ctx)
    lmb, school_lmb = scenario.scenario_lmb(ctx, config)
    np.testing.assert_allclose(lmb, basis.per_catchment(full.lmb_share))
    if full.schools is None:
        assert school_lmb is None
    else:
        np.testing.assert_allclose(school_lmb, full.schools.schools["lmb_share"].to_numpy(float))
    layer = build.planning_areas.set_index("plr_id").reindex(ctx.plr_index)
    flags = criteria_flags(ctx, config)
    assert flags.index.equals(ctx.plr_index)
    for name in FLAGS:
        np.testing.assert_array_equal(as_floats(flags[name]), as_floats(layer[name]), name)
    result = evaluate_scenario(ctx, config)
    members = build.delineation.members.reindex(ctx.plr_index)
    inside = layer["hr_id"].notna().to_numpy()
    np.testing.assert_array_equal(result.inside, inside)
    np.testing.assert_array_equal(result.seed, (members["role"] == "seed").to_numpy())
    assert result.n_areas == len(build.areas)
    assert result.population == float(build.areas["population"].sum())
    assert result.label.dtype == np.int16 and result.inside.dtype == bool
    assert (result.label[~inside] == -1).all()
    pairs = set(zip(result.label[inside], layer["hr_id"][inside], strict=True))
    assert len(pairs) == len(set(result.label[inside])) == result.n_areas


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_scenario_path_agrees_with_a_full_build(base, variant):
    """Each source of the lmb shares (the schools' ranking, recalibrated per scenario; the
    catchment estimate, rescaled; an official table; official school shares) and each criteria
    setting: one context, every scenario equal to a full build of its configuration."""
    values, toy, scenarios = VARIANTS[variant]
    config = base.with_values(values)
    inputs = toy_inputs(**toy)
    ctx = prepare_context(config, inputs, harmonize(inputs, config))
    assert [scenario_harmonized(ctx, config).lmb_source] == [
        {"schools": "estimate", "schools_official": "official"}.get(variant, variant.split("_")[0])
    ]
    outcomes = set()
    for values in scenarios:
        varied = config.with_values(values)
        agree_with_a_build(ctx, inputs, varied)
        outcomes.add(tuple(evaluate_scenario(ctx, varied).inside))
    assert len(outcomes) >= 2  # the scenarios do differ


def test_the_context_holds_the_inputs_without_geometry(base):
    """What a cluster receives: ids, population, areas, border units, districts and both graphs,
    the inputs without geometry, the zone transfer without the atlas overlaps."""
    from quartiere.contiguity import build_contiguity

    config = base.with_values({**ESTIMATE, "delineation.snap_tolerance_m": 0.5})
    inputs = toy_inputs()
    index = inputs.planning_areas.index
    # the population table lists a PLR the layer does not (last: harmonize's citywide s4
    # assumes the population in the planning areas' order, as the loader reindexes it)
    extra = pd.Series([99.0], index=pd.Index(["09000000"], name="plr_id"))
    inputs.population = pd.concat([inputs.population, extra]).rename("population")
    harmonized = harmonize(inputs, config)
    inputs.atlas_zones = inputs.planning_areas[["geometry"]]  # as if the atlas had zones
    audit = pd.DataFrame({"source": ["x"], "target": [index[0]], "weight": [1.0]})
    ctx = prepare_context(config, inputs, replace_atlas_overlaps(harmonized, audit))
    assert ctx.config is config and ctx.n == 18
    assert ctx.plr_index.equals(index)
    pd.testing.assert_series_equal(ctx.population, inputs.population.reindex(index))
    assert (ctx.plr_area_m2 == 1e6).all() and ctx.plr_area_m2.index.equals(index)
    assert ctx.planning_areas.columns.tolist() == ["plr_area_m2"]
    assert (
        ctx.planning_areas.index.equals(index) and (ctx.planning_areas["plr_area_m2"] == 1e6).all()
    )
    # border units: Bezirk 01 | 02 in columns 0-2 | 3-5; Prognoseraum a (rows 0-1) | b (row 2)
    bezirk = np.array([0, 0, 0, 1, 1, 1] * 3)
    pgr = np.array([0, 0, 0, 1, 1, 1] * 2 + [2, 2, 2, 3, 3, 3])
    for key, expected in {"none": np.zeros(18), "bezirk": bezirk, "prognoseraum": pgr}.items():
        np.testing.assert_array_equal(ctx.units[key], expected)
        assert ctx.units[key].dtype == np.int64
    np.testing.assert_array_equal(ctx.district, np.where(bezirk == 0, "01", "02"))
    assert ctx.district.dtype == object
    for kind in ("rook", "queen"):
        graph = build_contiguity(inputs.planning_areas.geometry.values, kind, 0.5)
        assert ctx.graphs[kind].kind == kind and ctx.graphs[kind].tolerance == 0.5
        assert (ctx.graphs[kind].adjacency != graph.adjacency).nnz == 0
    assert ctx.graphs["queen"].adjacency.nnz > ctx.graphs["rook"].adjacency.nnz
    # the inputs without geometry (no registered criterion reads it)
    slim = ctx.inputs
    assert isinstance(slim.planning_areas, gpd.GeoDataFrame)
    assert "geometry" not in slim.planning_areas.columns
    pd.testing.assert_frame_equal(
        pd.DataFrame(slim.planning_areas),
        pd.DataFrame(inputs.planning_areas.drop(columns="geometry")),
    )
    assert len(slim.catchments) == 0 and slim.atlas_zones is None
    assert slim.mss is inputs.mss and slim.population is inputs.population
    assert ctx.harmonized.atlas_overlaps is None
    assert ctx.harmonized.lmb_share is harmonized.lmb_share
    assert ctx.lmb_share is harmonized.lmb_share
    assert ctx.child_poverty is harmonized.catchment_child_poverty is not None
    assert ctx.schools is harmonized.schools is not None
    # the citywide child poverty the estimate was scaled from: population-weighted s4
    s4, pop = inputs.child_poverty, inputs.population.reindex(index)
    has = s4.notna() & pop.notna()
    assert ctx.citywide_child_poverty == pytest.approx(np.average(s4[has], weights=pop[has]))
    assert ctx.citywide_child_poverty == pytest.approx(30 / harmonized.lmb_factor)


def replace_atlas_overlaps(harmonized, overlaps):
    from dataclasses import replace

    return replace(harmonized, atlas_overlaps=overlaps)


def test_a_context_without_the_estimate_has_no_citywide_child_poverty(base):
    inputs = toy_inputs()
    ctx = prepare_context(base, inputs, harmonize(inputs, base))
    assert ctx.citywide_child_poverty is None and ctx.child_poverty is None


def test_the_context_loads_and_transfers_what_it_is_not_given(base, monkeypatch):
    """Without inputs it loads them; without the zone transfer it computes it: the same context
    as when given both. Given inputs, nothing is loaded."""
    import quartiere.load

    config = base.with_values(ESTIMATE)
    inputs = toy_inputs()
    loaded = []

    def load(cfg):
        loaded.append(cfg)
        return inputs

    monkeypatch.setattr(quartiere.load, "load_inputs", load)
    own = prepare_context(config)
    assert loaded == [config]
    given = prepare_context(config, inputs, harmonize(inputs, config))
    transferred = prepare_context(config, inputs)
    assert len(loaded) == 1
    for ctx in (own, transferred):
        assert ctx.inputs.mss is inputs.mss
        pd.testing.assert_series_equal(ctx.lmb_share, given.lmb_share)
        assert ctx.citywide_child_poverty == given.citywide_child_poverty
        assert (
            ctx.schools.schools["lmb_share"].tolist() == given.schools.schools["lmb_share"].tolist()
        )
        np.testing.assert_array_equal(
            evaluate_scenario(ctx, config).label, evaluate_scenario(given, config).label
        )


def _east(planning_areas: pd.DataFrame, entry) -> pd.Series:
    """A toy registered criterion that reads geometry: 1 east of ``x`` metres."""
    east = planning_areas.geometry.centroid.x >= entry["x"]
    return east.astype("Int8")


def test_a_registered_criterion_keeps_the_geometry_and_counts(base):
    """A criterion of ``criteria.extra`` may read the planning areas' geometry: the context
    keeps it, and the flag counts in n_criteria as in a full build."""
    from quartiere.criteria import register_criterion

    inputs = toy_inputs()
    register_criterion("c_east", _east)
    try:
        config = base.with_values({"criteria.extra": {"c_east": {"x": 3000}}})
        ctx = prepare_context(config, inputs, harmonize(inputs, config))
        assert ctx.inputs.planning_areas.geometry.equals(inputs.planning_areas.geometry)
        assert ctx.inputs.catchments is inputs.catchments
        flags = criteria_flags(ctx, config)
        np.testing.assert_array_equal(flags["c_east"].to_numpy(), [0, 0, 0, 1, 1, 1] * 3)
        for values in ({}, {"delineation.seed": "c_east == 1 and c_mss == 1"}):
            agree_with_a_build(ctx, inputs, config.with_values(values))
    finally:
        register_criterion("c_east", None)


def test_the_territory_in_km2_with_unknown_population_as_none(base):
    inputs = toy_inputs()
    inputs.population.iloc[11] = np.nan  # the PLR without an MSS index
    ctx = prepare_context(base, inputs, harmonize(inputs, base))
    land = scenario.territory(ctx)
    np.testing.assert_array_equal(land.area_km2, np.ones(18))
    expected = np.nan_to_num(np.asarray(POPULATION, dtype=float).ravel())
    expected[11] = 0.0
    np.testing.assert_array_equal(land.population, expected)
    np.testing.assert_array_equal(land.district, ctx.district)
    assert scenario.territory(ctx) is land  # cached
    assert scenario.criteria_basis(ctx) is scenario.criteria_basis(ctx)
    agree_with_a_build(ctx, inputs, base)


PLAN = """\
samples: 4
seed: 3
parameters:
  - key: criteria.schools.lmb_threshold
    range: [45, 80]
  - key: schools.estimate.anchors.0.count
    range: [2, 6]
  - key: delineation.contiguity
    choices: [rook, queen]
"""


def test_a_batch_is_its_scenarios_one_by_one(tmp_path, base):
    from quartiere.sensitivity.plan import apply_values, load_plan

    path = tmp_path / "plan.yaml"
    path.write_text(PLAN, encoding="utf-8")
    plan = load_plan(path, base)
    inputs = toy_inputs()
    ctx = prepare_context(base, inputs, harmonize(inputs, base))
    rows = np.array([[0.1, 0.2, 0.9], [0.9, 0.9, 0.1], [0.5, 0.0, 0.6], [0.0, 0.99, 0.0]])
    out = evaluate_batch(ctx, plan, rows)
    assert {k: (v.dtype, v.shape) for k, v in out.items()} == {
        "inside": (np.dtype(bool), (4, 18)),
        "seed": (np.dtype(bool), (4, 18)),
        "label": (np.dtype(np.int16), (4, 18)),
        "n_areas": (np.dtype(np.int32), (4,)),
        "population": (np.dtype(np.float64), (4,)),
    }
    for i, row in enumerate(rows):
        one = evaluate_scenario(ctx, apply_values(base, plan.values(plan.decode(row))))
        np.testing.assert_array_equal(out["inside"][i], one.inside)
        np.testing.assert_array_equal(out["seed"][i], one.seed)
        np.testing.assert_array_equal(out["label"][i], one.label)
        assert out["n_areas"][i] == one.n_areas and out["population"][i] == one.population
    assert len({tuple(r) for r in out["inside"]}) > 1 and out["seed"].any()
    assert len(set(out["population"])) > 1
