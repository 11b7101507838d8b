"""The robustness atlas's GeoPackage (issue 21): written by the build's writer, so reproducible,
documented, styled for QGIS, and in the build's language (German by default)."""

from __future__ import annotations

import hashlib
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from quartiere.config import load_config
from quartiere.sensitivity.atlas import CLASSES, ROBUST_IN, ROBUST_OUT
from quartiere.sensitivity.outputs import write_gpkg, write_outputs

try:
    from test_sensitivity import CONFIG, lattice_atlas
except ImportError:  # tests/ imported as a package
    from tests.test_sensitivity import CONFIG, lattice_atlas

EPOCH = "1700000000"
STAMP = "2023-11-14T22:13:20.000Z"


@pytest.fixture(scope="module")
def config():
    return load_config(CONFIG)


def frames() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Three planning areas, one per class, and one area; rows out of order on purpose."""
    boxes = [shapely.box(390000 + i * 100, 5810000, 390090 + i * 100, 5810090) for i in range(3)]
    plr = gpd.GeoDataFrame(
        {
            "plr_id": ["01100003", "01100001", "01100002"],
            "plr_name": ["Drei", "Eins", "Zwei"],
            "bezirk": "Mitte",
            "population": [300.0, 100.0, 200.0],
            "reference_hr_id": ["", "01", ""],
            "inclusion": [0.0, 0.95, 0.5],
            "seed_frequency": [0.0, 0.5, 0.1],
            "class": ["robust_out", "robust_in", "contested"],
            "flipped_by": ["", "", "lmb_threshold (40%)"],
            "in_reference": [0, 1, 0],
        },
        geometry=boxes,
        crs="EPSG:25833",
    )
    areas = gpd.GeoDataFrame(
        {
            "hr_id": ["01"],
            "hr_name": ["Eins"],
            "population": [100],
            "stability": [0.95],
            "mean_jaccard": [0.8],
            "stability_class": ["stable"],
        },
        geometry=[boxes[1]],
        crs="EPSG:25833",
    )
    return plr, areas


def query(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


def test_two_writes_give_identical_bytes(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    plr, areas = frames()
    a, b = tmp_path / "a" / "sensitivity.gpkg", tmp_path / "b" / "sensitivity.gpkg"
    write_gpkg(a, plr, areas, {"kind": "quartiere sensitivity"})
    write_gpkg(b, plr.iloc[::-1], areas, {"kind": "quartiere sensitivity"})  # order given aside
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
    assert query(a, "SELECT DISTINCT last_change FROM gpkg_contents") == [(STAMP,)]
    assert query(a, "SELECT DISTINCT update_time FROM layer_styles") == [(STAMP,)]
    # rows in a stable order, by the planning area's number
    assert [r[0] for r in query(a, "SELECT plr_id FROM planungsraeume ORDER BY fid")] == [
        "01100001",
        "01100002",
        "01100003",
    ]


def test_two_atlas_runs_give_one_geopackage(tmp_path, monkeypatch, config):
    """The whole atlas output: the run's duration is in the memo and the JSON, not the file."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    ctx, atlas = lattice_atlas(tmp_path, config)
    boxes = [shapely.box(i * 100, 0, i * 100 + 100, 100) for i in range(len(atlas.plr))]
    geometry = gpd.GeoSeries(boxes, crs="EPSG:25833")
    area_geometry = gpd.GeoSeries([shapely.box(0, 0, 400, 100)], crs="EPSG:25833")
    digests = []
    for run, elapsed in (("one", 1.5), ("two", 9.25)):
        write_outputs(tmp_path / run, atlas, geometry, area_geometry, "test-2023", elapsed)
        digests.append(hashlib.sha256((tmp_path / run / "sensitivity.gpkg").read_bytes()).digest())
    assert digests[0] == digests[1]
    info = dict(query(tmp_path / "one" / "sensitivity.gpkg", "SELECT key, value FROM build_info"))
    assert info["kind"] == "quartiere sensitivity" and info["edition"] == "test-2023"
    assert info["n_scenarios"] == str(len(atlas.rows)) and info["seed"] == str(atlas.plan.seed)
    assert "elapsed" not in " ".join(info)


def _styles(path: Path) -> dict[str, ET.Element]:
    rows = query(
        path, "SELECT f_table_name, styleQML, useAsDefault, f_geometry_column FROM layer_styles"
    )
    assert all(default == 1 and column == "geom" for _, _, default, column in rows)
    return {name: ET.fromstring(qml.split("\n", 1)[1]) for name, qml, _, _ in rows}


def test_each_layer_has_a_default_style_qgis_loads(tmp_path):
    plr, areas = frames()
    out = tmp_path / "sensitivity.gpkg"
    write_gpkg(out, plr, areas)
    styles = _styles(out)
    assert sorted(styles) == ["handlungsraeume", "planungsraeume"]
    renderer = styles["planungsraeume"].find("renderer-v2")
    assert renderer is not None
    assert (renderer.get("type"), renderer.get("attr")) == ("categorizedSymbol", "class")
    categories = [(c.get("value"), c.get("label")) for c in renderer.iter("category")]
    assert [v for v, _ in categories] == list(CLASSES)
    assert categories[0][1] == f"robust innen (in ≥ {ROBUST_IN:.0%} der Szenarien)".replace(
        "%", " %"
    )
    assert categories[2][1] == f"robust außen (in ≤ {ROBUST_OUT:.0%} der Szenarien)".replace(
        "%", " %"
    )
    areas_renderer = styles["handlungsraeume"].find("renderer-v2")
    assert areas_renderer is not None and areas_renderer.get("attr") == "stability_class"
    assert [c.get("value") for c in areas_renderer.iter("category")] == ["stable", "fragile"]
    # the field aliases travel with the style (QGIS 3.22 reads them from there)
    aliases = {a.get("field"): a.get("name") for a in styles["planungsraeume"].iter("alias")}
    assert aliases["inclusion"] == "Einschlusshäufigkeit" and aliases["plr_id"] == "PLR-Nr."
    # every value the layer holds has its category: nothing draws as "all other values"
    assert set(plr["class"]) <= {v for v, _ in categories}
    # registered as contents, so GDAL (and QGIS through it) lists the styles
    assert query(out, "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'") == [
        ("attributes",)
    ]


def test_german_by_default_english_on_request(tmp_path):
    plr, areas = frames()
    de, en = tmp_path / "de.gpkg", tmp_path / "en.gpkg"
    write_gpkg(de, plr, areas)
    write_gpkg(en, plr, areas, language="en")
    sql = "SELECT table_name, identifier FROM gpkg_contents WHERE data_type = 'features'"
    assert dict(query(de, sql)) == {
        "planungsraeume": "Planungsräume mit Robustheit",
        "handlungsraeume": "Handlungsräume mit Stabilität",
    }
    assert dict(query(en, sql)) == {
        "planungsraeume": "Planungsräume with robustness",
        "handlungsraeume": "Handlungsräume with stability",
    }
    described = "SELECT description FROM gpkg_data_columns WHERE column_name = 'inclusion'"
    assert query(de, described)[0][0].startswith("Einschlusshäufigkeit, Anteil 0..1")
    assert query(en, described)[0][0].startswith("inclusion frequency, share 0..1")
    legend = {n: [c.get("label") for c in s.iter("category")] for n, s in _styles(en).items()}
    assert legend["planungsraeume"][1] == "contested"
    assert legend["handlungsraeume"] == ["stable (kept in ≥ 90 % of scenarios)", "fragile"]
    # the aliases stay German, as in the build's GeoPackage
    aliases = "SELECT name FROM gpkg_data_columns WHERE column_name = 'stability'"
    assert query(en, aliases) == query(de, aliases) == [("Stabilität",)]


def test_every_field_is_documented_with_its_type(tmp_path):
    plr, areas = frames()
    out = tmp_path / "sensitivity.gpkg"
    write_gpkg(out, plr, areas)
    for layer, frame in (("planungsraeume", plr), ("handlungsraeume", areas)):
        documented = query(
            out, f"SELECT column_name FROM gpkg_data_columns WHERE table_name = '{layer}'"
        )
        assert sorted(c for (c,) in documented) == sorted(
            c for c in frame.columns if c != "geometry"
        )
    types = {row[1]: row[2] for row in query(out, "PRAGMA table_info(planungsraeume)")}
    assert types["population"] == "MEDIUMINT" and types["in_reference"] == "SMALLINT"
    assert types["inclusion"] == "REAL" and types["plr_id"] == "TEXT(8)"
    assert query(out, "SELECT population FROM planungsraeume ORDER BY fid") == [
        (100,),
        (200,),
        (300,),
    ]


def test_the_atlas_outputs_take_the_language(tmp_path, config):
    """``write_outputs(..., language)``, which the run gives the configured ``language``."""
    ctx, atlas = lattice_atlas(tmp_path, config)
    geometry = gpd.GeoSeries([shapely.box(0, 0, 100, 100)] * len(atlas.plr), crs="EPSG:25833")
    area_geometry = gpd.GeoSeries([shapely.box(0, 0, 400, 100)], crs="EPSG:25833")
    write_outputs(tmp_path / "en", atlas, geometry, area_geometry, "e", 1.0, language="en")
    titles = query(tmp_path / "en" / "sensitivity.gpkg", "SELECT identifier FROM gpkg_contents")
    assert ("Planungsräume with robustness",) in titles
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no stage left
