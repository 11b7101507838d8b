"""The robustness atlas's outputs (:mod:`quartiere.sensitivity.outputs`) from a hand-made atlas:
scenarios.csv, the memo and the JSON to the character, the styled GeoPackage, the map, and the
move into DIR that leaves DIR as it was when a step fails."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from quartiere.sensitivity import outputs
from quartiere.sensitivity.atlas import Atlas
from quartiere.sensitivity.outputs import atlas_json, memo, scenarios_table, write_outputs
from quartiere.sensitivity.plan import Parameter, Plan

PLAN = Plan(
    parameters=(
        Parameter("criteria.schools.lmb_threshold", "lmb threshold", "float", 60.0, 80.0),
        Parameter("delineation.rings", "rings", "int", 0.0, 2.0),
        Parameter(
            "delineation.join",
            "join",
            "choice",
            values=("n_criteria >= 1", "n_criteria >= 2", "n_criteria >= 3"),
            labels=(">= 1", 'say "x"', "a, b"),
        ),
        Parameter("delineation.minimum.population", "minimum", "float", 5000.0, 15000.0),
    ),
    samples=2,
    seed=7,
    source="/somewhere/plan.yaml",
)
NAMES = ["lmb threshold", "rings", "join", "minimum"]


def drivers(s1, st, conf=0.0123456):
    return pd.DataFrame(
        {"S1": s1, "S1_conf": [conf] * 4, "ST": st, "ST_conf": [2 * conf] * 4}, index=NAMES
    )


def toy_atlas() -> Atlas:
    """Three scenarios, six planning areas (three robust in, two contested, one robust out) in two
    Bezirke (listed Wedding first), two reference areas (one stable)."""
    inside = np.array(
        [[1, 0, 1, 0, 1, 1], [1, 1, 0, 0, 1, 0], [1, 0, 0, 0, 0, 0]], dtype=bool
    )  # 4, 3 and 1 planning areas
    plr = pd.DataFrame(
        {
            "plr_id": ["01000001", "01000002", "02000003", "02000004", "02000005", "02000006"],
            "plr_name": ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta"],
            "bezirk": ["Wedding", "Wedding", "Pankow", "Pankow", "Pankow", "Pankow"],
            "population": [1500.0, 800.0, 2000.0, 100.0, 700.0, 300.0],
            "in_reference": [True, False, True, False, True, False],
            "inclusion": [1.0, 1 / 3, 2 / 3, 0.0, 0.95, 0.9],
            "seed_frequency": [0.5, 0.0, 1 / 3, 0.0, 0.123456, 0.0],
            "class": [
                "robust_in",
                "contested",
                "contested",
                "robust_out",
                "robust_in",
                "robust_in",
            ],
            "flipped_by": ["", "rings (50%)", "lmb threshold (100%), join (50%)", "", "", ""],
        }
    )
    areas = pd.DataFrame(
        {
            "hr_id": ["01", "02", "03"],
            "hr_name": ["Nord", "Süd", "Ost"],
            "population": [4000, 2000, 1000],
            "stability": [0.9, 0.123456, 0.0],
            "mean_jaccard": [0.87654, 0.25, 0.0],
        }
    )
    flips = np.zeros((4, 6))
    flips[1, 1] = 0.5
    flips[0, 2], flips[2, 2] = 1.0, 0.5
    flips[2, 4] = 0.333333
    flips[3, 5] = 0.25
    return Atlas(
        plan=PLAN,
        rows=np.zeros((3, 4)),
        decoded=[[62.5, 0, 0, 5000.0], [70.0, 2, 1, 12345.678], [61.123456789, 1, 2, 15000.0]],
        results={
            "inside": inside,
            "seed": inside,
            "label": np.where(inside, 0, -1),
            "n_areas": np.array([2, 3, 2]),
            "population": np.array([1000.4, 2500.6, 1200.0]),
        },
        plr=plr,
        areas=areas,
        drivers={
            "n_areas": drivers([0.1, 0.5, 0.0, 0.02], [0.2, 0.7, 0.0, 0.03]),
            "population": drivers([0.6, 0.1, 0.05, 0.0], [0.8, 0.1, 0.1, 0.0]),  # a tie
            "area 01": drivers([0.3, 0.02, 0.01, 0.04], [0.5, 0.07, 0.06, 0.05]),  # four >= 0.05
            "area 02": drivers([0.01, 0.02, 0.0, 0.03], [0.05, 0.01, 0.0, 0.049]),  # 0.05 exactly
            "area 03": drivers([0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.049, 0.0]),  # none
        },
        flips=flips,
        info={"attribution": "Toy data (CC0)"},
    )


def test_scenarios_csv_quotes_labels_and_rounds_population():
    assert scenarios_table(toy_atlas()) == (
        "scenario,lmb threshold,rings,join,minimum,n_areas,population,n_plr\n"
        "0,62.5,0,>= 1,5000,2,1000,4\n"
        '1,70,2,"say ""x""",12345.7,3,2501,3\n'
        '2,61.1235,1,"a, b",15000,2,1200,1\n'
    )


MEMO = """\
# Robustness atlas: MSS Toy

3 scenarios (2 Saltelli base samples x (4 parameters + 2), seed 7), run in 12.3 s. Each \
scenario is one plausible rule set from the plan; a planning area's inclusion frequency is the \
share of scenarios in which it belongs to a Handlungsraum.

## Parameters

| parameter | key | varied over |
|---|---|---|
| lmb threshold | `criteria.schools.lmb_threshold` | 60 .. 80 |
| rings | `delineation.rings` | 0 .. 2 |
| join | `delineation.join` | `>= 1` / `say "x"` / `a, b` |
| minimum | `delineation.minimum.population` | 5000 .. 15000 |

## Summary

- Number of areas: median 2, range 2-3.
- Population covered: median 1,200, range 1,000-2,501.
- Robust core (in >= 90% of scenarios): 3 planning areas, 2,500 inhabitants.
- Contested (10% < inclusion < 90%): 2 planning areas.
- Robustly out (in <= 10%): 1 planning areas.

## What drives the result

Sobol' indices: S1 = share of the output's variance due to the parameter alone, ST = including \
its interactions (± 95 % confidence half-width). ST near 0: the parameter does not matter for \
this output.

### Number of areas

| parameter | S1 | ST |
|---|---:|---:|
| rings | 0.50 ± 0.01 | 0.70 ± 0.02 |
| lmb threshold | 0.10 ± 0.01 | 0.20 ± 0.02 |
| minimum | 0.02 ± 0.01 | 0.03 ± 0.02 |
| join | 0.00 ± 0.01 | 0.00 ± 0.02 |

### Population covered

| parameter | S1 | ST |
|---|---:|---:|
| lmb threshold | 0.60 ± 0.01 | 0.80 ± 0.02 |
| rings | 0.10 ± 0.01 | 0.10 ± 0.02 |
| join | 0.05 ± 0.01 | 0.10 ± 0.02 |
| minimum | 0.00 ± 0.01 | 0.00 ± 0.02 |

## Reference areas

Stability = share of scenarios with an area covering at least 50% of the reference area (by \
surface); mean Jaccard = average best overlap / union. Drivers: parameters with the largest total \
index ST (at least 0.05) of the area's existence.

| Nr. | Name | stability | mean Jaccard | drivers (S1, ST) |
|---|---|---:|---:|---|
| 01 | Nord | 90% | 0.88 | lmb threshold S1 0.30 ± 0.01, ST 0.50 ± 0.02; rings S1 0.02 ± 0.01, \
ST 0.07 ± 0.02; join S1 0.01 ± 0.01, ST 0.06 ± 0.02 |
| 02 | Süd | 12% | 0.25 | lmb threshold S1 0.01 ± 0.01, ST 0.05 ± 0.02 |
| 03 | Ost | 0% | 0.00 | - |

## Robust core

3 planning areas are in a Handlungsraum in at least 90% of the scenarios:

- **Pankow** (2): 02000005 Epsilon, 02000006 Zeta
- **Wedding** (1): 01000001 Alpha

## Contested planning areas

Their fate hinges on the rules. 'Flipped by': share of paired scenarios in which changing only \
that parameter moves the area in or out.

| PLR | Name | Bezirk | inclusion | in reference build | flipped by |
|---|---|---|---:|---|---|
| 02000003 | Gamma | Pankow | 66.7% | yes | lmb threshold (100%), join (50%) |
| 01000002 | Beta | Wedding | 33.3% | no | rings (50%) |

Data: Toy data (CC0)
"""


def test_the_memo_to_the_character():
    assert memo(toy_atlas(), "MSS Toy", 12.3456) == MEMO


def test_the_memo_names_the_default_attribution_without_one():
    from quartiere import ATTRIBUTION

    atlas = toy_atlas()
    atlas.info = {}
    assert memo(atlas, "MSS Toy", 1.0).endswith(f"\n\nData: {ATTRIBUTION}\n")


def test_the_json_to_the_value():
    got = atlas_json(toy_atlas(), "MSS Toy", 12.3456)
    s1 = {"S1_conf": 0.0123, "ST_conf": 0.0247}
    assert got == {
        "edition": "MSS Toy",
        "plan": "plan.yaml",
        "samples": 2,
        "seed": 7,
        "n_scenarios": 3,
        "elapsed_s": 12.35,
        "thresholds": {"robust_in": 0.9, "robust_out": 0.1},
        "parameters": [
            {"name": "lmb threshold", "key": "criteria.schools.lmb_threshold", "kind": "float",
             "range": [60.0, 80.0]},
            {"name": "rings", "key": "delineation.rings", "kind": "int", "range": [0.0, 2.0]},
            {"name": "join", "key": "delineation.join", "kind": "choice",
             "choices": [">= 1", 'say "x"', "a, b"]},
            {"name": "minimum", "key": "delineation.minimum.population", "kind": "float",
             "range": [5000.0, 15000.0]},
        ],
        "drivers": {
            "n_areas": {
                "lmb threshold": {"S1": 0.1, "ST": 0.2, **s1},
                "rings": {"S1": 0.5, "ST": 0.7, **s1},
                "join": {"S1": 0.0, "ST": 0.0, **s1},
                "minimum": {"S1": 0.02, "ST": 0.03, **s1},
            },
            "population": {
                "lmb threshold": {"S1": 0.6, "ST": 0.8, **s1},
                "rings": {"S1": 0.1, "ST": 0.1, **s1},
                "join": {"S1": 0.05, "ST": 0.1, **s1},
                "minimum": {"S1": 0.0, "ST": 0.0, **s1},
            },
            "area 01": {
                "lmb threshold": {"S1": 0.3, "ST": 0.5, **s1},
                "rings": {"S1": 0.02, "ST": 0.07, **s1},
                "join": {"S1": 0.01, "ST": 0.06, **s1},
                "minimum": {"S1": 0.04, "ST": 0.05, **s1},
            },
            "area 02": {
                "lmb threshold": {"S1": 0.01, "ST": 0.05, **s1},
                "rings": {"S1": 0.02, "ST": 0.01, **s1},
                "join": {"S1": 0.0, "ST": 0.0, **s1},
                "minimum": {"S1": 0.03, "ST": 0.049, **s1},
            },
            "area 03": {
                "lmb threshold": {"S1": 0.0, "ST": 0.0, **s1},
                "rings": {"S1": 0.0, "ST": 0.0, **s1},
                "join": {"S1": 0.0, "ST": 0.049, **s1},
                "minimum": {"S1": 0.0, "ST": 0.0, **s1},
            },
        },
        "planning_areas": {
            "01000001": {"inclusion": 1.0, "seed_frequency": 0.5, "class": "robust_in",
                         "flips": {}},
            "01000002": {"inclusion": 0.3333, "seed_frequency": 0.0, "class": "contested",
                         "flips": {"rings": 0.5}},
            "02000003": {"inclusion": 0.6667, "seed_frequency": 0.3333, "class": "contested",
                         "flips": {"lmb threshold": 1.0, "join": 0.5}},
            "02000004": {"inclusion": 0.0, "seed_frequency": 0.0, "class": "robust_out",
                         "flips": {}},
            "02000005": {"inclusion": 0.95, "seed_frequency": 0.1235, "class": "robust_in",
                         "flips": {"join": 0.3333}},
            "02000006": {"inclusion": 0.9, "seed_frequency": 0.0, "class": "robust_in",
                         "flips": {"minimum": 0.25}},
        },
        "areas": {
            "01": {"name": "Nord", "stability": 0.9, "mean_jaccard": 0.8765},
            "02": {"name": "Süd", "stability": 0.1235, "mean_jaccard": 0.25},
            "03": {"name": "Ost", "stability": 0.0, "mean_jaccard": 0.0},
        },
    }  # fmt: skip
    assert all(type(v["inclusion"]) is float for v in got["planning_areas"].values())
    unnamed = toy_atlas()
    unnamed.plan = Plan(PLAN.parameters, 2, 7)
    assert atlas_json(unnamed, "MSS Toy", 1.0)["plan"] == ""


def geometries():
    plr = gpd.GeoSeries([shapely.box(i, 0, i + 1, 1) for i in range(6)], crs="EPSG:25833")
    areas = gpd.GeoSeries(
        [shapely.box(0, 0, 1, 1), shapely.box(2, 0, 5, 1), shapely.box(5, 0, 6, 1)],
        crs="EPSG:25833",
    )
    return plr, areas


EXPECTED_FILES = [
    "scenarios.csv",
    "sensitivity.gpkg",
    "sensitivity.json",
    "sensitivity.md",
    "sensitivity.png",
]


def test_the_outputs_land_in_a_new_folder_complete(tmp_path):
    atlas = toy_atlas()
    plr_geom, area_geom = geometries()
    out = tmp_path / "a" / "atlas"
    write_outputs(out, atlas, plr_geom, area_geom, "MSS Toy", 12.3456)
    assert sorted(p.name for p in out.iterdir()) == EXPECTED_FILES
    assert sorted(p.name for p in out.parent.iterdir()) == ["atlas"]  # no staging left
    assert (out / "sensitivity.md").read_text(encoding="utf-8") == MEMO
    assert (out / "scenarios.csv").read_text(encoding="utf-8") == scenarios_table(atlas)
    text = (out / "sensitivity.json").read_text(encoding="utf-8")
    assert (
        text
        == json.dumps(atlas_json(atlas, "MSS Toy", 12.3456), indent=1, ensure_ascii=False) + "\n"
    )
    assert '"Süd"' in text and '\n "edition"' in text
    assert (out / "sensitivity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    plr = gpd.read_file(out / "sensitivity.gpkg", layer="planungsraeume")
    assert plr["in_reference"].tolist() == [1, 0, 1, 0, 1, 0]
    assert plr["inclusion"].tolist() == [1.0, 0.3333, 0.6667, 0.0, 0.95, 0.9]
    assert plr["seed_frequency"].tolist() == [0.5, 0.0, 0.3333, 0.0, 0.1235, 0.0]
    assert plr["class"].tolist() == atlas.plr["class"].tolist()
    assert plr.geom_type.tolist() == ["MultiPolygon"] * 6 and plr.crs == "EPSG:25833"
    assert plr.geometry.iloc[3].equals(shapely.MultiPolygon([shapely.box(3, 0, 4, 1)]))
    areas = gpd.read_file(out / "sensitivity.gpkg", layer="handlungsraeume")
    assert areas["stability"].tolist() == [0.9, 0.1235, 0.0]
    assert areas["mean_jaccard"].tolist() == [0.8765, 0.25, 0.0]
    assert areas["stability_class"].tolist() == ["stable", "fragile", "fragile"]  # 90 %: stable
    assert plr["in_reference"].dtype.kind == "i"  # 0/1, not a float
    import pyogrio

    layer = pyogrio.read_info(out / "sensitivity.gpkg", layer="planungsraeume")["layer_metadata"]
    assert (layer["EDITION"], layer["ATTRIBUTION"]) == ("MSS Toy", "Toy data (CC0)")
    assert areas.geometry.iloc[1].equals(shapely.MultiPolygon([shapely.box(2, 0, 5, 1)]))

    with sqlite3.connect(out / "sensitivity.gpkg") as db:
        info = dict(db.execute("SELECT key, value FROM build_info"))
        styled = {r[0] for r in db.execute("SELECT f_table_name FROM layer_styles")}
    from quartiere import __version__

    assert info == {
        "kind": "quartiere sensitivity",
        "edition": "MSS Toy",
        "plan": "plan.yaml",
        "samples": "2",
        "seed": "7",
        "n_scenarios": "3",
        "parameters": "lmb threshold, rings, join, minimum",
        "quartiere_version": __version__,
    }
    assert styled == {"planungsraeume", "handlungsraeume"}
    # German by default: the GeoPackage's texts in the language asked for
    german = (out / "sensitivity.gpkg").read_bytes()
    write_outputs(out, atlas, plr_geom, area_geom, "MSS Toy", 12.3456, language="en")
    english = (out / "sensitivity.gpkg").read_bytes()
    assert german != english
    with sqlite3.connect(out / "sensitivity.gpkg") as db:
        (description,) = db.execute(
            "SELECT description FROM gpkg_contents WHERE table_name = 'layer_styles'"
        ).fetchone()
    assert description == "QGIS default styles of the layers"
    assert b"Toy data (CC0)" in english  # the atlas's attribution, not the default


def test_a_failing_step_leaves_the_folder_as_it_was(tmp_path, monkeypatch):
    out = tmp_path / "atlas"
    out.mkdir()
    (out / "old.txt").write_text("before", encoding="utf-8")

    def fail(*args, **kwargs):
        raise RuntimeError("no map today")

    monkeypatch.setattr(outputs, "render_frequency_map", fail)
    with pytest.raises(RuntimeError, match="no map today"):
        write_outputs(out, toy_atlas(), *geometries(), "MSS Toy", 1.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["atlas"]
    assert sorted(p.name for p in out.iterdir()) == ["old.txt"]


def test_an_existing_folder_gets_the_new_outputs_beside_its_files(tmp_path):
    out = tmp_path / "atlas"
    out.mkdir()
    (out / "sensitivity.md").write_text("old memo", encoding="utf-8")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    write_outputs(out, toy_atlas(), *geometries(), "MSS Toy", 12.3456)
    assert sorted(p.name for p in out.iterdir()) == sorted([*EXPECTED_FILES, "notes.txt"])
    assert (out / "sensitivity.md").read_text(encoding="utf-8") == MEMO


def test_the_map_figure():
    from matplotlib.colors import to_rgba

    plr_geom, _ = geometries()
    atlas = toy_atlas()
    plr = gpd.GeoDataFrame(atlas.plr, geometry=plr_geom.to_numpy(), crs=plr_geom.crs)
    # frequencies short of 0 and 1: the colour scale is still 0 .. 1; two of five robust in
    plr = plr.iloc[1:].assign(inclusion=[0.3, 0.6, 0.2, 0.95, 0.9])
    atlas.plr = plr
    fig = outputs.frequency_figure(plr, "Inclusion frequency: MSS Toy", "Toy data")
    assert tuple(fig.get_size_inches()) == pytest.approx((11.69, 8.27)) and fig.dpi == 150
    ax, bar = fig.axes  # the map and its colour bar
    # one map on the page: the whole subplot area (0.125 .. 0.9 x 0.11 .. 0.88), less the bar
    page = ax.get_position(original=True)
    assert (page.x0, page.y0, page.height) == pytest.approx((0.125, 0.11, 0.77))
    assert page.width > 0.5
    assert ax.get_title() == "Inclusion frequency: MSS Toy" and ax.title.get_fontsize() == 12
    assert not ax.axison and ax.get_aspect() == 1.0
    fill, outline = ax.collections
    assert fill.get_cmap().name == "YlOrRd"
    assert (fill.norm.vmin, fill.norm.vmax) == (0, 1)
    np.testing.assert_allclose(fill.get_array(), atlas.plr["inclusion"])
    np.testing.assert_allclose(fill.get_edgecolor()[0], to_rgba("#808080"))
    assert fill.get_linewidth()[0] == pytest.approx(0.1)
    # only the robust core outlined, in black
    assert len(outline.get_segments()) == 2
    np.testing.assert_allclose(outline.get_color()[0], to_rgba("black"))
    assert outline.get_linewidth()[0] == pytest.approx(0.6)
    assert bar.get_ylabel() == "inclusion frequency (share of scenarios)"
    fig.canvas.draw()
    # shrink 0.6: the bar is 0.6 of the map's subplot height
    height = ax.get_position(original=True).height
    assert bar.get_position().height == pytest.approx(0.6 * height, rel=0.01)
    (note,) = fig.texts
    assert note.get_text() == "Black outline: robust core. Toy data"
    assert note.get_position() == (0.01, 0.01) and note.get_fontsize() == 6


def test_the_map_file(tmp_path):
    plr_geom, _ = geometries()
    plr = gpd.GeoDataFrame(toy_atlas().plr, geometry=plr_geom.to_numpy(), crs=plr_geom.crs)
    path = Path(tmp_path / "map.png")
    outputs.render_frequency_map(plr, path, "t")
    from matplotlib.image import imread

    image = imread(path)
    assert image.shape[:2] == (int(8.27 * 150), int(11.69 * 150))  # A4 landscape at 150 dpi


def test_the_map_gets_the_title_and_the_attribution(tmp_path, monkeypatch):
    """The map's title names the edition; its note the atlas's attribution, else the default."""
    from quartiere import ATTRIBUTION

    drawn = []
    real = outputs.render_frequency_map

    def record(plr, out, title, attribution):
        drawn.append((out.name, title, attribution, plr["inclusion"].tolist()))
        real(plr, out, title, attribution)

    monkeypatch.setattr(outputs, "render_frequency_map", record)
    atlas = toy_atlas()
    write_outputs(tmp_path / "a", atlas, *geometries(), "MSS Toy", 1.0)
    atlas.info = {}
    write_outputs(tmp_path / "b", atlas, *geometries(), "MSS Toy", 1.0)
    inclusion = [1.0, 0.3333, 0.6667, 0.0, 0.95, 0.9]
    assert drawn == [
        ("sensitivity.png", "Inclusion frequency: MSS Toy", "Toy data (CC0)", inclusion),
        ("sensitivity.png", "Inclusion frequency: MSS Toy", ATTRIBUTION, inclusion),
    ]


def test_the_map_file_draws_the_figure_asked_for(tmp_path, monkeypatch):
    made = []
    real = outputs.frequency_figure

    def record(plr, title, attribution):
        made.append((title, attribution))
        return real(plr, title, attribution)

    monkeypatch.setattr(outputs, "frequency_figure", record)
    plr_geom, _ = geometries()
    plr = gpd.GeoDataFrame(toy_atlas().plr, geometry=plr_geom.to_numpy(), crs=plr_geom.crs)
    outputs.render_frequency_map(plr, tmp_path / "map.png", "A title", "An attribution")
    assert made == [("A title", "An attribution")]
    assert (tmp_path / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_geopackage_without_an_edition_names_none(tmp_path):
    import pyogrio

    atlas = toy_atlas()
    plr_geom, area_geom = geometries()
    plr = gpd.GeoDataFrame(atlas.plr, geometry=plr_geom.to_numpy(), crs=plr_geom.crs)
    areas = gpd.GeoDataFrame(atlas.areas, geometry=area_geom.to_numpy(), crs=area_geom.crs)
    outputs.write_gpkg(tmp_path / "a.gpkg", plr, areas)
    layer = pyogrio.read_info(tmp_path / "a.gpkg", layer="handlungsraeume")["layer_metadata"]
    assert layer.get("EDITION", "") == "" and layer["LICENSE"] == "CC BY 3.0 DE"
