"""Robustness atlas: plan validation, the cheap scenario against the build, Sobol' analysis on a
lattice, determinism, outputs, and a real dask cluster on loopback."""

from __future__ import annotations

import json
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from conftest import CLIENT_ENV, CLIENT_PYTHON
from quartiere.cli import main
from quartiere.config import load_config
from quartiere.contiguity import build_contiguity
from quartiere.errors import ConfigError
from quartiere.harmonize import Harmonized
from quartiere.inputs import Inputs
from quartiere.sensitivity.atlas import analyse, sample
from quartiere.sensitivity.engine import run_scenarios
from quartiere.sensitivity.outputs import scenarios_table
from quartiere.sensitivity.plan import apply_values, load_plan
from quartiere.sensitivity.scenario import Context, evaluate_scenario

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "criteria.yaml"
PLAN = ROOT / "config" / "sensitivity.yaml"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def config():
    return load_config(CONFIG)


def plan_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --- plan validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "parameters:\n  - key: criteria.schools.lmb_treshold\n    range: [60, 80]\n",
            "unknown key path: criteria.schools has no 'lmb_treshold'; did you mean "
            "'lmb_threshold'?",
        ),
        (
            "parameters:\n  - key: criteria.schools.lmb_threshold\n    range: [80, 80]\n",
            "empty range",
        ),
        (
            "parameters:\n  - key: criteria.atlas.flag_strata\n    choices: [[7], [8]]\n",
            "choice '[8]' is refused by the configuration: criteria.atlas: flag_strata [8] "
            "outside 1..7",
        ),
        (
            "parameters:\n  - key: criteria.schools.min_area_share\n    range: [0.5, 1.5]\n",
            "range bound '1.5' is refused by the configuration",
        ),
        (
            "parameters:\n  - key: delineation.seed\n"
            "    choices: ['n_criteria >= 2', 'import os']\n",
            "is refused by the configuration",
        ),
        ("parameters:\n  - key: planning_areas.id\n    choices: [a, b]\n", "cannot vary"),
        ("parameters:\n  - key: delineation.rings\n    range: [0, 1.5]\n", "integer bounds"),
    ],
)
def test_plan_errors_are_one_clear_line(tmp_path, config, text, expected):
    with pytest.raises(ConfigError) as info:
        load_plan(plan_file(tmp_path, text), config)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message and "plan.yaml" in message


def test_cli_refuses_a_bad_plan_with_exit_2(tmp_path):
    plan = plan_file(tmp_path, "parameters:\n  - key: criteria.nope\n    range: [1, 2]\n")
    result = CliRunner().invoke(
        main, ["sensitivity", "--plan", str(plan), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert "unknown key path: criteria has no 'nope'" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.cluster
def test_cli_unreachable_scheduler_is_exit_2(tmp_path):
    """A --scheduler nobody listens on is the user's address to fix (exit 2), not a bug (exit 1)."""
    result = CliRunner().invoke(
        main,
        ["sensitivity", "--samples", "4", "--scheduler", "tcp://127.0.0.1:9"]
        + ["--out", str(tmp_path / "out")],
    )
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.strip().splitlines() if "scheduler" in line]
    assert lines and "--scheduler tcp://127.0.0.1:9: cannot reach the dask scheduler" in lines[-1]
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_default_plan_covers_the_uncertain_rules(config):
    plan = load_plan(PLAN, config)
    keys = {p.key for p in plan.parameters}
    assert {
        "schools.estimate.anchors.0.count",
        "criteria.schools.lmb_threshold",
        "criteria.schools.min_area_share",
        "criteria.atlas.flag_strata",
        "criteria.atlas.method",
        "criteria.mss.attention",
        "delineation.seed",
        "delineation.join",
        "delineation.rings",
        "delineation.contiguity",
        "delineation.minimum.population",
        "delineation.groups.0.min_population",
    } <= keys
    rings = next(p for p in plan.parameters if p.key == "delineation.rings")
    assert (rings.kind, rings.decode(0.0), rings.decode(0.999)) == ("int", 0, 2)


# --- the cheap scenario agrees with the build -------------------------------------------------


@pytest.fixture(scope="module")
def berlin(config):
    from quartiere.load import load_inputs
    from quartiere.pipeline import harmonize
    from quartiere.sensitivity.scenario import prepare_context

    inputs = load_inputs(config)
    harmonized = harmonize(inputs, config)
    return inputs, prepare_context(config, inputs, harmonized)


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"delineation.contiguity": "queen", "delineation.rings": 2},
        {"criteria.schools.lmb_threshold": 62.0, "schools.estimate.anchors.0.count": 58},
        {"delineation.minimum.population": 15000.0, "delineation.join": "n_criteria >= 2"},
        {"delineation.rings": 0, "delineation.groups.0.min_population": 2500.0},
        {"criteria.schools.by": "school_location", "schools.estimate.anchors.0.count": 58},
        # no data is not met: planning areas short of catchments with data must stay no data
        {"criteria.schools.min_coverage": 1.0},
        {"criteria.schools.min_coverage": 0.95, "criteria.schools.min_area_share": 0.0},
    ],
)
def test_scenario_matches_a_full_build(config, berlin, values):
    from quartiere.pipeline import compute

    inputs, ctx = berlin
    varied = apply_values(config, values)
    result = evaluate_scenario(ctx, varied)
    build = compute(inputs, varied)
    layer = build.planning_areas.set_index("plr_id").reindex(ctx.plr_index.astype(str))
    np.testing.assert_array_equal(result.inside, layer["hr_id"].notna().to_numpy())
    assert result.n_areas == len(build.areas)
    assert result.population == pytest.approx(float(build.areas["population"].sum()))
    # the same PLR share an area in both
    labels = pd.Series(result.label[result.inside]).astype(str).to_numpy()
    hr = layer["hr_id"].to_numpy()[result.inside]
    assert len(set(zip(labels, hr, strict=True))) == len(set(hr)) == len(set(labels))


def _populous(planning_areas: pd.DataFrame, entry) -> pd.Series:
    """A toy registered criterion: 1 where at least ``min_population`` people live."""
    population = pd.to_numeric(planning_areas["population"])
    return (population >= entry["min_population"]).astype("Int8").mask(population.isna())


AGREEMENT = [
    {"criteria.schools.by": "school_location"},
    {"criteria.schools.by": "school_location", "criteria.schools.lmb_threshold": 62.0},
    {"criteria.schools.by": "school_location", "schools.estimate.anchors.0.count": 58},
    # no data is not met: planning areas short of catchments with data must stay no data
    {"criteria.schools.min_coverage": 1.0},
    {"criteria.schools.min_coverage": 0.95, "criteria.schools.min_area_share": 0.0},
    {"criteria.extra": {"c_toy": {"min_population": 9000}}},
    {"criteria.extra": {"c_toy": {"min_population": 9000}}, "delineation.seed": "c_toy == 1"},
    {"criteria.atlas.flag_strata": [6, 7]},
    {"criteria.atlas.flag_strata": [5, 6, 7], "criteria.atlas.method": "quantiles_population"},
    {"criteria.atlas.method": "breaks", "criteria.atlas.breaks": [-1.5, -1.0, -0.5, 0.0, 0.5, 1.0]},
]


@pytest.mark.parametrize("values", AGREEMENT, ids=lambda v: ",".join(f"{k}={v[k]}" for k in v))
def test_scenario_flags_and_areas_equal_a_full_build(config, berlin, values):
    """One implementation of each rule: under every setting of the grid (schools by location,
    an extra criterion, flag strata and methods), the atlas's flags and areas are the build's."""
    from quartiere.criteria import register_criterion
    from quartiere.pipeline import compute
    from quartiere.sensitivity.scenario import criteria_flags

    inputs, ctx = berlin
    register_criterion("c_toy", _populous)
    try:
        varied = config.with_values(values)
        flags = criteria_flags(ctx, varied)
        result = evaluate_scenario(ctx, varied)
        build = compute(inputs, varied)
    finally:
        register_criterion("c_toy", None)
    layer = build.planning_areas.set_index("plr_id").reindex(ctx.plr_index.astype(str))
    for name in ("c_mss", "c_schools", "c_atlas", "n_criteria"):
        expected = pd.to_numeric(layer[name]).astype("Float64").fillna(-1).to_numpy()
        got = pd.to_numeric(flags[name]).astype("Float64").fillna(-1).to_numpy()
        np.testing.assert_array_equal(got, expected, err_msg=name)
    np.testing.assert_array_equal(result.inside, layer["hr_id"].notna() & (layer["hr_id"] != ""))
    assert result.n_areas == len(build.areas)
    assert result.population == pytest.approx(float(build.areas["population"].sum()))


# --- lattice: Sobol' and classes --------------------------------------------------------------

UNIT = (2, 1)  # the unit whose fate the lmb threshold decides


def lattice_context(config) -> Context:
    """A 4 x 3 lattice in one district. Row 0: MSS and schools flagged (always in); UNIT: MSS
    flagged, its catchment at 70 % lmb (in iff the threshold is at most 70); all else out."""
    rows, cols = 3, 4
    ids = [f"{r:02d}{c:02d}0000" for r in range(rows) for c in range(cols)]
    boxes = [
        shapely.box(c * 100, r * 100, (c + 1) * 100, (r + 1) * 100)
        for r in range(rows)
        for c in range(cols)
    ]
    index = pd.Index(ids, name="plr_id")
    geometry = gpd.GeoSeries(boxes, index=index, crs="EPSG:25833")
    unit_id = f"{UNIT[1]:02d}{UNIT[0]:02d}0000"
    status = ["niedrig" if (i.startswith("00") or i == unit_id) else "hoch" for i in ids]
    lmb = pd.Series(
        [90.0 if i.startswith("00") else 70.0 if i == unit_id else 10.0 for i in ids],
        index=pd.Index([f"E{i}" for i in ids]),
    )
    overlaps = pd.DataFrame(
        {"source": [f"E{i}" for i in ids], "target": ids, "area_m2": np.full(len(ids), 1e4)}
    )
    n = len(ids)
    population = pd.Series(1000.0, index=index)
    return Context(
        config=apply_values(
            config,
            {
                "criteria.schools.lmb_threshold": 75.0,
                "delineation.seed": "n_criteria >= 2",
                "delineation.join": "n_criteria >= 2",
                "delineation.minimum.population": 0.0,
                "delineation.minimum.n_plr": 1,
            },
        ),
        plr_index=index,
        population=population,
        plr_area_m2=geometry.area,
        inputs=Inputs(
            planning_areas=gpd.GeoDataFrame(index=index),
            population=population,
            mss=pd.DataFrame({"status": status, "dynamic": "stabil"}, index=index),
            child_poverty=pd.Series(np.nan, index=index),
            catchments=gpd.GeoDataFrame(index=lmb.index),
            official_lmb=None,
            atlas=pd.Series(np.nan, index=index),
            atlas_zones=None,
            atlas_zone_population=None,
        ),
        harmonized=Harmonized(
            lmb_share=lmb,
            lmb_source="official",
            lmb_factor=None,
            catchment_child_poverty=None,
            catchment_overlaps=overlaps,
            atlas=pd.DataFrame({"value": np.nan, "coverage": 0.0}, index=index),
            atlas_overlaps=None,
        ),
        planning_areas=pd.DataFrame({"plr_area_m2": geometry.area}, index=index),
        lmb_share=lmb,
        child_poverty=None,
        citywide_child_poverty=None,
        units={k: np.zeros(n, dtype=np.int64) for k in ("none", "bezirk", "prognoseraum")},
        district=np.full(n, "01", dtype=object),
        graphs={k: build_contiguity(geometry.values, k) for k in ("rook", "queen")},
    )


LATTICE_PLAN = """\
samples: 64
seed: 7
parameters:
  - key: criteria.schools.lmb_threshold
    range: [60, 80]
  - key: delineation.holes.max_area_km2   # the lattice has no holes: cannot change anything
    range: [1, 2]
  - key: criteria.atlas.method            # no atlas values: cannot change anything
    choices: [quantiles_count, quantiles_population]
"""


def lattice_atlas(tmp_path, config, seed=None):
    ctx = lattice_context(config)
    plan = load_plan(plan_file(tmp_path, LATTICE_PLAN), config)
    rows = sample(plan, seed=seed)
    results = run_scenarios(ctx, plan, rows, workers=0)
    ref_plr = pd.DataFrame(
        {
            "plr_id": ctx.plr_index.astype(str),
            "plr_name": ctx.plr_index.astype(str),
            "bezirk": "Mitte",
            "population": 1000.0,
            "in_reference": False,
            "reference_hr_id": "",
        }
    )
    ref_areas = pd.DataFrame(
        {"hr_id": ["01"], "hr_name": ["row 0"], "population": [4000], "members": [np.arange(4)]}
    )
    area = ctx.plr_area_m2.to_numpy()
    return ctx, analyse(plan, rows, results, ref_plr, ref_areas, area, plan.seed)


def test_lattice_threshold_contests_exactly_one_unit(tmp_path, config):
    ctx, atlas = lattice_atlas(tmp_path, config)
    classes = dict(zip(atlas.plr["plr_id"], atlas.plr["class"], strict=True))
    unit_id = f"{UNIT[1]:02d}{UNIT[0]:02d}0000"
    assert [k for k, v in classes.items() if v == "contested"] == [unit_id]
    assert sorted(k for k, v in classes.items() if v == "robust_in") == [
        f"00{c:02d}0000" for c in range(4)
    ]
    # in iff threshold <= 70: half of the range [60, 80]
    assert atlas.plr.set_index("plr_id").loc[unit_id, "inclusion"] == pytest.approx(0.5, abs=0.1)
    # only the threshold flips it
    flips = dict(zip(atlas.plan.names, atlas.flips[:, ctx.plr_index.get_loc(unit_id)], strict=True))
    assert flips["criteria.schools.lmb_threshold"] > 0.3
    assert flips["delineation.holes.max_area_km2"] == 0 == flips["criteria.atlas.method"]
    # row 0 exists in every scenario
    assert atlas.areas["stability"].tolist() == [1.0]


def test_lattice_total_sobol_of_an_inert_parameter_is_zero(tmp_path, config):
    _, atlas = lattice_atlas(tmp_path, config)
    drivers = atlas.drivers["population"]
    assert drivers.loc["criteria.schools.lmb_threshold", "ST"] > 0.8
    assert abs(drivers.loc["delineation.holes.max_area_km2", "ST"]) < 0.02
    assert abs(drivers.loc["criteria.atlas.method", "ST"]) < 0.02
    # the unit joins row 0's area or forms its own: number of areas varies with the threshold too
    assert set(np.unique(atlas.results["n_areas"])) <= {1, 2}


def test_identical_seeds_give_identical_scenarios(tmp_path, config):
    _, one = lattice_atlas(tmp_path, config)
    _, two = lattice_atlas(tmp_path, config)
    _, other = lattice_atlas(tmp_path, config, seed=8)
    assert scenarios_table(one).encode() == scenarios_table(two).encode()
    assert scenarios_table(one) != scenarios_table(other)
    header = scenarios_table(one).splitlines()[0]
    assert header.endswith("n_areas,population,n_plr")


# --- classes and area stability on hand-computed toys -----------------------------------------


def test_class_boundaries_at_exactly_ten_and_ninety_percent():
    """docs/sensitivity.md: robust_in in >= 90 % of the scenarios, robust_out in <= 10 %,
    contested strictly between. Catches: exactly 90 % called contested, exactly 10 % contested."""
    from quartiere.sensitivity.atlas import classify

    for n in (10, 20, 30, 70, 100):
        inside = np.arange(n)[:, None] < np.arange(n + 1)[None, :]  # column k: in k of n
        got = dict(enumerate(classify(inside.mean(axis=0))))
        for k, cls in got.items():
            share = k / n
            expected = (
                "robust_in" if share >= 0.9 else "robust_out" if share <= 0.1 else "contested"
            )
            assert cls == expected, (n, k, cls)
        assert got[n * 9 // 10] == "robust_in" and got[n * 9 // 10 - 1] == "contested"
        assert got[n // 10] == "robust_out" and got[n // 10 + 1] == "contested"


# PLR areas (weights) and the reference areas: R1 = PLR 0 and 1 (3 units), R2 = PLR 2 and 3 (6)
TOY_WEIGHTS = np.array([1.0, 2.0, 3.0, 3.0, 5.0])
TOY_LABELS = np.array(
    [
        [0, 0, 1, 1, -1],  # R1 and R2 exactly: Jaccard 1 and 1
        [0, 0, 0, -1, -1],  # R1 inside {0,1,2} (6): 3 / (3 + 6 - 3) = 1/2; R2: PLR 2 only
        [0, 1, 1, -1, -1],  # R1 split: {0} 1/(3+1-1), {1,2} 2/(3+5-2): best 1/3, share 2/3
        [-1, -1, 0, 0, 0],  # R1 gone; R2 inside {2,3,4} (11): 6 / 11
        [0, -1, 1, -1, 1],  # R1: {0} share 1/3; R2: {2,4} (8): 3/(6+8-3) = 3/11, share 1/2
    ],
    dtype=np.int16,
)


def test_area_overlap_and_jaccard_on_hand_computed_toys():
    """Jaccard = |A and B| / (|A| + |B| - |A and B|), weighted by area. Catches: a denominator
    that counts the intersection twice (|A| + |B|), a share of the wrong area."""
    from quartiere.sensitivity.atlas import _area_overlap

    share, jaccard = _area_overlap(TOY_LABELS, np.array([0, 1]), TOY_WEIGHTS)
    np.testing.assert_allclose(share, [1, 1, 2 / 3, 0, 1 / 3])
    np.testing.assert_allclose(jaccard, [1, 1 / 2, 1 / 3, 0, 1 / 3])
    share, jaccard = _area_overlap(TOY_LABELS, np.array([2, 3]), TOY_WEIGHTS)
    np.testing.assert_allclose(share, [1, 1 / 2, 1 / 2, 1, 1 / 2])
    # scenario 1: R2's PLR 2 lies in {0,1,2} (6): 3/9; scenario 2: {1,2} (5): 3/(6+5-3)
    np.testing.assert_allclose(jaccard, [1, 3 / 9, 3 / 8, 6 / 11, 3 / 11])


def test_analyse_classes_and_stability_on_a_toy(tmp_path, config):
    """The atlas end to end on hand-made scenario arrays: 10 scenarios, PLR 0 in 9 (robust_in),
    PLR 1 in 1 (robust_out), PLR 2 in 5; R2 is kept (one area covers >= 50 %) in every toy
    scenario, R1 in 3 of 5 (repeated twice)."""
    plan = load_plan(plan_file(tmp_path, LATTICE_PLAN), config)
    n = 2 * (len(plan.parameters) + 2)
    inside = np.zeros((n, 5), dtype=bool)
    inside[:9, 0] = True
    inside[:1, 1] = True
    inside[::2, 2] = True
    labels = np.vstack([TOY_LABELS, TOY_LABELS])
    results = {
        "inside": inside,
        "seed": inside,
        "label": labels,
        "n_areas": np.full(n, 2),
        "population": np.full(n, 1.0),
    }
    ref_plr = pd.DataFrame({"plr_id": [f"P{i}" for i in range(5)]})
    ref_areas = pd.DataFrame(
        {"hr_id": ["R1", "R2"], "hr_name": ["one", "two"], "members": [[0, 1], [2, 3]]}
    )
    rows = np.full((n, len(plan.parameters)), 0.5)
    atlas = analyse(plan, rows, results, ref_plr, ref_areas, TOY_WEIGHTS, 7)
    assert atlas.plr["class"].tolist()[:3] == ["robust_in", "robust_out", "contested"]
    assert atlas.plr["inclusion"].tolist()[:3] == [0.9, 0.1, 0.5]
    stability = dict(zip(atlas.areas["hr_id"], atlas.areas["stability"], strict=True))
    assert stability == {"R1": pytest.approx(3 / 5), "R2": 1.0}
    jaccard = dict(zip(atlas.areas["hr_id"], atlas.areas["mean_jaccard"], strict=True))
    assert jaccard["R1"] == pytest.approx((1 + 1 / 2 + 1 / 3 + 0 + 1 / 3) / 5)
    assert jaccard["R2"] == pytest.approx((1 + 3 / 9 + 3 / 8 + 6 / 11 + 3 / 11) / 5)


FOUR_PLAN = """\
samples: 64
seed: 7
parameters:
  - key: criteria.schools.lmb_threshold
    range: [60, 80]
  - key: criteria.schools.min_area_share
    range: [0.3, 0.7]
  - key: delineation.holes.max_area_km2
    range: [1, 2]
  - key: delineation.rings
    range: [0, 2]
"""


@pytest.mark.parametrize("n", [0, 1, 3, 6, 12])
def test_sample_needs_a_power_of_two_of_at_least_two(tmp_path, config, n):
    plan = load_plan(plan_file(tmp_path, LATTICE_PLAN), config)
    with pytest.raises(ConfigError) as info:
        sample(plan, samples=n)
    assert str(info.value) == f"samples: {n} must be a power of two (Sobol' sequence), e.g. 256"


def test_sample_takes_the_given_count_and_seed(tmp_path, config):
    """N * (D + 2) rows on [0, 1]^D (first-order and total indices, no second order)."""
    plan = load_plan(plan_file(tmp_path, LATTICE_PLAN), config)  # 64 samples, 3 parameters
    assert sample(plan).shape == (64 * 5, 3)
    two = sample(plan, samples=2)
    assert two.shape == (2 * 5, 3) and ((two >= 0) & (two <= 1)).all()
    np.testing.assert_array_equal(sample(plan, samples=2, seed=7), two)  # the plan's seed
    assert not np.array_equal(sample(plan, samples=2, seed=8), two)


def toy_scenarios(tmp_path, config):
    """A 4-parameter plan, 2 Saltelli blocks of 6 rows. PLR 0 flips with parameter 0 in both
    blocks and with parameter 2 in one; PLR 1 only with parameter 3, in one block."""
    plan = load_plan(plan_file(tmp_path, FOUR_PLAN), config)
    d = len(plan.parameters)
    inside = np.zeros((2, d + 2, 3), dtype=bool)
    inside[:, 0, 0] = True  # A: PLR 0 in; with B's parameter 0 (row 1) out
    inside[:, 2:, 0] = True
    inside[0, 3, 0] = False  # parameter 2, first block only
    inside[1, 4, 1] = True  # parameter 3, second block: PLR 1 in
    inside[:, 0, 2] = True  # PLR 2: in A only, so every parameter flips it
    inside = inside.reshape(2 * (d + 2), 3)
    seed = np.zeros_like(inside)
    seed[:3, 0] = True
    rng = np.random.default_rng(0)
    results = {
        "inside": inside,
        "seed": seed,
        "label": rng.choice(np.array([-1, 0], dtype=np.int16), inside.shape),
        "n_areas": rng.integers(1, 5, len(inside)),
        "population": rng.random(len(inside)),
    }
    ref_plr = pd.DataFrame({"plr_id": ["P0", "P1", "P2"]})
    ref_areas = pd.DataFrame({"hr_id": ["07"], "hr_name": ["seven"], "members": [[0]]})
    rows = sample(plan, samples=2)
    return plan, rows, results, ref_plr, ref_areas


def test_analyse_frequencies_flips_and_drivers_on_a_toy(tmp_path, config):
    plan, rows, results, ref_plr, ref_areas = toy_scenarios(tmp_path, config)
    weights = np.ones(3)
    atlas = analyse(plan, rows, results, ref_plr, ref_areas, weights, 7)
    assert atlas.rows is rows and atlas.results is results
    np.testing.assert_allclose(atlas.plr["inclusion"], [9 / 12, 1 / 12, 2 / 12])
    np.testing.assert_allclose(atlas.plr["seed_frequency"], [3 / 12, 0, 0])
    np.testing.assert_allclose(atlas.flips[:, 0], [1, 0, 1 / 2, 0])
    np.testing.assert_allclose(atlas.flips[:, 1], [0, 0, 0, 1 / 2])
    np.testing.assert_allclose(atlas.flips[:, 2], [1, 1, 1, 1])
    names = plan.names
    assert atlas.plr["flipped_by"].tolist() == [
        f"{names[0]} (100%), {names[2]} (50%)",
        f"{names[3]} (50%)",
        f"{names[0]} (100%), {names[1]} (100%), {names[2]} (100%)",  # the first three of four
    ]
    assert set(atlas.drivers) == {"n_areas", "population", "area 07"}
    again = analyse(plan, rows, results, ref_plr, ref_areas, weights, 7)
    for key, frame in atlas.drivers.items():  # the bootstrap is seeded
        pd.testing.assert_frame_equal(frame, again.drivers[key])
    assert atlas.decoded == [plan.decode(r) for r in rows]


def test_every_driver_of_the_atlas_is_seeded(tmp_path, config):
    """Random scenario arrays of 16 Saltelli blocks: the same seed gives the same bootstrap
    confidence of every output's indices, the number of areas, the population and each area's
    existence; another seed another."""
    plan = load_plan(plan_file(tmp_path, FOUR_PLAN), config)
    rows = sample(plan, samples=16)
    rng = np.random.default_rng(1)
    inside = rng.random((len(rows), 3)) < 0.5
    results = {
        "inside": inside,
        "seed": inside,
        "label": rng.choice(np.array([-1, 0, 1], dtype=np.int16), inside.shape),
        "n_areas": rng.integers(1, 5, len(rows)),
        "population": rng.random(len(rows)),
    }
    ref_plr = pd.DataFrame({"plr_id": ["P0", "P1", "P2"]})
    ref_areas = pd.DataFrame({"hr_id": ["07"], "hr_name": ["seven"], "members": [[0, 1]]})
    args = (plan, rows, results, ref_plr, ref_areas, np.ones(3))
    one, two, other = analyse(*args, 7), analyse(*args, 7), analyse(*args, 8)
    assert set(one.drivers) == {"n_areas", "population", "area 07"}
    for key, frame in one.drivers.items():
        pd.testing.assert_frame_equal(frame, two.drivers[key])
        assert not frame["ST_conf"].equals(other.drivers[key]["ST_conf"]), key


def test_sobol_indices_seeded_and_zero_for_a_constant_output(tmp_path, config):
    from SALib.analyze import sobol

    from quartiere.sensitivity.atlas import sobol_indices

    plan, rows, results, *_ = toy_scenarios(tmp_path, config)
    zero = sobol_indices(plan, np.full(len(rows), 3.0), 7)
    # no floating-point error reaches the caller, even one who raises on them: here the
    # outputs of samples A and B do not vary, and SALib divides 0 by 0
    with np.errstate(all="raise"):
        flat = sobol_indices(plan, results["inside"][:, 0].astype(float), 7)
    assert (flat["ST"] == 0).all()
    # an output whose range is exactly 1 (in or out) varies: its indices are computed
    binary = np.array([0, 1, 0, 0, 0, 1, 1, 1, 0, 1, 0, 0], dtype=float)
    assert (sobol_indices(plan, binary, 7).to_numpy() != 0).any()
    assert zero.columns.tolist() == ["S1", "S1_conf", "ST", "ST_conf"]
    assert zero.index.tolist() == plan.names and (zero.to_numpy() == 0).all()
    y = results["population"]
    got = sobol_indices(plan, y, 7)
    pd.testing.assert_frame_equal(got, sobol_indices(plan, y, 7))
    expected = sobol.analyze(plan.problem(), y, calc_second_order=False, num_resamples=100, seed=7)
    for key in ("S1", "S1_conf", "ST", "ST_conf"):
        np.testing.assert_allclose(got[key], np.nan_to_num(expected[key]))
    assert got.index.tolist() == plan.names


def test_area_overlap_when_the_last_scenario_lacks_the_highest_label():
    from quartiere.sensitivity.atlas import _area_overlap

    labels = np.array([[0, 1, 1], [-1, -1, -1]], dtype=np.int16)
    share, jaccard = _area_overlap(labels, np.array([1, 2]), np.array([1.0, 1.0, 2.0]))
    np.testing.assert_allclose(share, [1, 0])
    np.testing.assert_allclose(jaccard, [1, 0])


# --- Berlin: outputs, memo, explain --------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "quartiere"), *args], capture_output=True, text=True, cwd=ROOT, timeout=600
    )


@pytest.fixture(scope="module")
def default_atlas(tmp_path_factory):
    out = tmp_path_factory.mktemp("atlas") / "run"
    result = run_cli("sensitivity", "--samples", "8", "--workers", "0", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.slow
def test_outputs_are_complete_and_styled(default_atlas):
    names = sorted(p.name for p in default_atlas.iterdir())
    assert names == [
        "scenarios.csv",
        "sensitivity.gpkg",
        "sensitivity.json",
        "sensitivity.md",
        "sensitivity.png",
    ]
    plr = gpd.read_file(default_atlas / "sensitivity.gpkg", layer="planungsraeume")
    areas = gpd.read_file(default_atlas / "sensitivity.gpkg", layer="handlungsraeume")
    assert len(plr) == 542 and len(areas) > 0
    assert plr["inclusion"].between(0, 1).all() and areas["stability"].between(0, 1).all()
    expected = np.where(
        plr["inclusion"] >= 0.9,
        "robust_in",
        np.where(plr["inclusion"] <= 0.1, "robust_out", "contested"),
    )
    assert (plr["class"].to_numpy() == expected).all()
    with sqlite3.connect(default_atlas / "sensitivity.gpkg") as db:
        styled = {r[0] for r in db.execute("SELECT f_table_name FROM layer_styles")}
    assert styled == {"planungsraeume", "handlungsraeume"}
    scenarios = pd.read_csv(default_atlas / "scenarios.csv")
    assert len(scenarios) == 8 * (12 + 2)
    # an area's population figure is what its PLR hold
    assert (scenarios["population"] >= 0).all()


@pytest.mark.slow
def test_memo_agrees_with_the_layer(default_atlas):
    plr = gpd.read_file(default_atlas / "sensitivity.gpkg", layer="planungsraeume")
    text = (default_atlas / "sensitivity.md").read_text(encoding="utf-8")
    core_section = text.split("## Robust core")[1].split("## Contested")[0]
    core = set(re.findall(r"\b(\d{8})\b", core_section))
    contested_section = text.split("## Contested planning areas")[1]
    contested = set(re.findall(r"^\| (\d{8}) \|", contested_section, flags=re.M))
    assert core == set(plr.loc[plr["class"] == "robust_in", "plr_id"])
    assert contested == set(plr.loc[plr["class"] == "contested", "plr_id"])
    # the data line names every source the build used, the school list included
    assert "Schulliste" in text.rsplit("Data: ", 1)[1]
    assert f"Robust core (in >= 90% of scenarios): {len(core)} planning areas" in text
    data = json.loads((default_atlas / "sensitivity.json").read_text(encoding="utf-8"))
    assert {k for k, v in data["planning_areas"].items() if v["class"] == "contested"} == contested
    assert set(data["drivers"]["n_areas"]) == {p["name"] for p in data["parameters"]}


@pytest.mark.slow
def test_same_seed_same_scenarios_csv_on_berlin(default_atlas, tmp_path):
    out = tmp_path / "again"
    result = run_cli("sensitivity", "--samples", "8", "--workers", "0", "--out", str(out), "-q")
    assert result.returncode == 0, result.stderr
    assert (out / "scenarios.csv").read_bytes() == (default_atlas / "scenarios.csv").read_bytes()


# --- a real dask cluster on loopback ----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.cluster
def test_cluster_run_equals_local_run(default_atlas, tmp_path):
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = str(BIN / "dask")
    procs = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        dask,
                        "worker",
                        address,
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout="5s") as client:
                    client.wait_for_workers(2, timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        out = tmp_path / "cluster"
        result = run_cli(
            "sensitivity", "--samples", "8", "--scheduler", address, "--out", str(out), "-q"
        )
        assert result.returncode == 0, result.stderr
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    assert (out / "scenarios.csv").read_bytes() == (default_atlas / "scenarios.csv").read_bytes()
    local = json.loads((default_atlas / "sensitivity.json").read_text(encoding="utf-8"))
    remote = json.loads((out / "sensitivity.json").read_text(encoding="utf-8"))
    for data in (local, remote):
        data.pop("elapsed_s")
    assert remote == local


@pytest.mark.slow
def test_explain_adds_the_atlas(default_atlas):
    data = json.loads((default_atlas / "sensitivity.json").read_text(encoding="utf-8"))
    plr_id, entry = next(
        (k, v) for k, v in data["planning_areas"].items() if v["class"] == "contested"
    )
    result = run_cli("explain", plr_id, "--sensitivity", str(default_atlas))
    assert result.returncode == 0, result.stderr
    assert (
        f"in a Handlungsraum in {entry['inclusion']:.1%} of scenarios (contested)" in result.stdout
    )
    top = max(entry["flips"], key=lambda k: entry["flips"][k])
    assert f"    {top} (" in result.stdout
    missing = run_cli("explain", plr_id, "--sensitivity", str(default_atlas / "nope"))
    assert missing.returncode == 3 and "no atlas here" in missing.stderr


@pytest.mark.slow
def test_interrupt_leaves_no_partial_output(tmp_path):
    import signal

    out = tmp_path / "atlas"
    out.mkdir()
    (out / "scenarios.csv").write_text("previous\n", encoding="utf-8")
    proc = subprocess.Popen(
        [str(BIN / "quartiere"), "sensitivity", "--samples", "64", "--workers", "0"]
        + ["--out", str(out)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        # a job started in the background inherits an ignored SIGINT: Ctrl-C must reach it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("scenarios ["):  # running scenarios: interrupt now
            proc.send_signal(signal.SIGINT)
            break
    assert proc.wait(timeout=120) == 130
    assert sorted(p.name for p in out.iterdir()) == ["scenarios.csv"]
    assert (out / "scenarios.csv").read_text(encoding="utf-8") == "previous\n"
    # no staging directory left (the inputs' cache is kept beside the atlas's folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".cache", "atlas"]


QGIS_SCRIPT = r"""
import json, sys
from qgis.core import QgsApplication, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
out = {}
for name in ["planungsraeume", "handlungsraeume"]:
    layer = QgsVectorLayer(f"{sys.argv[1]}|layername={name}", name, "ogr")
    r = layer.renderer() if layer.isValid() else None
    cat = r is not None and r.type() == "categorizedSymbol"
    out[name] = {
        "valid": layer.isValid(),
        "features": layer.featureCount(),
        "renderer": r.type() if r else None,
        "attr": r.classAttribute() if cat else None,
        "values": [c.value() for c in r.categories()] if cat else [],
    }
print(json.dumps(out))
"""


@pytest.mark.slow
@pytest.mark.qgis
@pytest.mark.client("qgis")
def test_qgis_opens_the_atlas_styled(default_atlas):
    result = subprocess.run(
        [str(CLIENT_PYTHON), "-c", QGIS_SCRIPT, str(default_atlas / "sensitivity.gpkg")],
        capture_output=True,
        text=True,
        env=CLIENT_ENV,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    plr, areas = report["planungsraeume"], report["handlungsraeume"]
    assert plr["valid"] and plr["features"] == 542
    assert (plr["renderer"], plr["attr"]) == ("categorizedSymbol", "class")
    assert plr["values"] == ["robust_in", "contested", "robust_out"]
    assert areas["valid"] and (areas["renderer"], areas["attr"]) == (
        "categorizedSymbol",
        "stability_class",
    )
