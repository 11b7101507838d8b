"""The GeoPackage for GIS staff: conformance, documentation, styles, reproducibility, atomicity."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import box

from conftest import CLIENT_PYTHON
from contract import AREA_COLUMNS
from quartiere.io import gpkg
from quartiere.io.gpkg import ATTRIBUTION, write_geopackage

CRS = "EPSG:25833"


def synthetic_layers() -> dict[str, pd.DataFrame]:
    """A 4 x 3 lattice of 1 km planning areas, two Handlungsräume, four catchments.

    Rows are deliberately out of id order, and one area is a plain Polygon, to check sorting and
    promotion to MultiPolygon.
    """
    x0, y0 = 390_000, 5_818_000
    cells = [
        box(x0 + i * 1000, y0 + j * 1000, x0 + (i + 1) * 1000, y0 + (j + 1) * 1000)
        for j in range(3)
        for i in range(4)
    ]
    n = len(cells)
    hr_of = ["", "01", "01", "01", "", "", "02", "02", "02", "02", "", ""]
    plr = gpd.GeoDataFrame(
        {
            "plr_id": [f"{11000000 + i:08d}" for i in range(n)],
            "plr_name": [f"Planungsraum {i}" for i in range(n)],
            "bzr_name": ["Region"] * n,
            "bezirk": ["Mitte"] * 6 + ["Neukölln"] * 6,
            "population": np.arange(n) * 100 + 1000,
            "mss_status": ["sehr niedrig"] * n,
            "mss_dynamic": ["negativ"] * n,
            "c_mss": pd.array([0, 1, 1, 1, 0, None, 1, 1, 1, 0, 0, 0], dtype="Int8"),
            "lmb_area_share": np.linspace(0, 1, n),
            "c_schools": pd.array([0, 1, 1, 1, 0, 1, 0, 1, 1, 1, 0, 0], dtype="Int8"),
            "atlas_value": np.linspace(-2, 2, n),
            "atlas_stratum": pd.array([7] * n, dtype="Int8"),
            "c_atlas": pd.array([0, 0, 0, 1, 0, 0, 1, 1, 1, 1, 0, 0], dtype="Int8"),
            "n_criteria": [0, 2, 2, 3, 0, 1, 2, 3, 3, 2, 0, 0],
            "hr_id": hr_of,
            "decision": ["seed" if h else "outside" for h in hr_of],
        },
        geometry=cells,
        crs=CRS,
    ).iloc[::-1]
    areas = plr[plr["hr_id"] != ""].dissolve("hr_id", as_index=False)[["hr_id", "geometry"]]
    areas = areas.assign(
        hr_name=["Nord", "Süd"],
        bezirk=["Mitte", "Neukölln"],
        n_plr=[3, 4],
        population=[3300, 7400],
        area_km2=areas.area / 1e6,
        plr_ids=["11000001,11000002,11000003", "11000006,11000007,11000008,11000009"],
        n_c_mss=[3, 3],
        n_c_schools=[3, 3],
        n_c_atlas=[1, 4],
    )[[*AREA_COLUMNS, "geometry"]]
    catchments = gpd.GeoDataFrame(
        {
            "esb_id": ["E4", "E2", "E3", "E1"],
            "lmb_share": [80.0, 40.0, 60.0, 10.0],
            "lmb_source": ["estimate", "estimate", "official", "official"],
            "flagged": [1, 0, 0, 0],
        },
        geometry=[
            box(x0 + 3000, y0 + 1500, x0 + 4000, y0 + 3000),
            box(x0 + 2000, y0, x0 + 4000, y0 + 1500),
            box(x0 + 2000, y0 + 1500, x0 + 3000, y0 + 3000),
            box(x0, y0, x0 + 2000, y0 + 3000),
        ],
        crs=CRS,
    )
    build_info = pd.DataFrame(
        {"key": ["edition", "built_at"], "value": ["test", "2023-11-14T22:13:20Z"]}
    )
    return {
        "handlungsraeume": areas,
        "planungsraeume": plr,
        "einschulungsbereiche": catchments,
        "build_info": build_info,
    }


METADATA = {
    "edition": "test-2023",
    "config": "edition: test-2023\ncriteria:\n  schools:\n    threshold: 75\n",
    "inputs": [{"path": "data/raw/mss/mss.csv", "sha256": "ab" * 32}],
    "attribution": ATTRIBUTION,
    "estimates": ["lmb_share is an ESTIMATE.", "c_atlas is an APPROXIMATION."],
}
BUILD_INFO = {"edition": "test-2023", "quartiere_version": "0.1.0"}


def write(out: Path, layers: dict[str, pd.DataFrame] | None = None) -> Path:
    write_geopackage(out, layers or synthetic_layers(), BUILD_INFO, METADATA)
    return out


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return write(tmp_path / "out" / "handlungsraeume.gpkg")


def query(path: Path, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(sql, args).fetchall()


GEOMETRY_LAYERS = {"handlungsraeume": 2, "planungsraeume": 12, "einschulungsbereiche": 4}


def test_layers_read_back_with_values_types_and_order(built: Path) -> None:
    layers = dict(pyogrio.list_layers(built).tolist())
    assert layers == {
        "handlungsraeume": "MultiPolygon",
        "planungsraeume": "MultiPolygon",
        "einschulungsbereiche": "MultiPolygon",
        "build_info": None,
        "layer_styles": None,
    }
    plr = gpd.read_file(built, layer="planungsraeume")
    assert plr.crs.to_epsg() == 25833
    assert len(plr) == 12
    assert plr["plr_id"].tolist() == sorted(plr["plr_id"])  # stable order by id
    assert (plr.geom_type == "MultiPolygon").all()
    assert plr.loc[plr["plr_id"] == "11000005", "c_mss"].isna().all()  # NA stays NULL
    assert plr.loc[plr["plr_id"] == "11000003", ["c_mss", "c_atlas", "n_criteria"]].iloc[
        0
    ].tolist() == [1, 1, 3]
    assert plr.loc[plr["plr_id"] == "11000000", "hr_id"].iloc[0] == ""
    esb = gpd.read_file(built, layer="einschulungsbereiche")
    assert esb["esb_id"].tolist() == ["E1", "E2", "E3", "E4"]
    assert esb.set_index("esb_id").loc["E4", "lmb_share"] == 80.0
    info = pyogrio.read_dataframe(built, layer="build_info")
    assert info["key"].tolist() == ["edition", "built_at"]


def test_conformance_in_sqlite(built: Path) -> None:
    assert query(built, "PRAGMA application_id") == [(0x47504B47,)]  # 'GPKG'
    assert query(built, "PRAGMA user_version") == [(10300,)]  # 1.3: no warning in GDAL 3.6
    assert query(built, "PRAGMA journal_mode") == [("delete",)]
    assert sorted(
        query(built, "SELECT table_name, geometry_type_name, srs_id FROM gpkg_geometry_columns")
    ) == sorted((name, "MULTIPOLYGON", 25833) for name in GEOMETRY_LAYERS)
    assert query(
        built, "SELECT DISTINCT srs_id FROM gpkg_contents WHERE data_type = 'features'"
    ) == [(25833,)]
    for name in GEOMETRY_LAYERS:
        assert query(
            built, "SELECT count(*) FROM sqlite_master WHERE name = ?", f"rtree_{name}_geom"
        ) == [(1,)]
        assert query(built, f'SELECT count(*) FROM "rtree_{name}_geom"') == [
            (GEOMETRY_LAYERS[name],)
        ]
    for (name,) in query(built, "SELECT table_name FROM gpkg_contents"):
        columns = query(built, f'PRAGMA table_info("{name}")')
        user = [c[1] for c in columns if not c[5]]  # not the primary key
        assert "fid" not in user
        if name != "layer_styles":  # QGIS's own table keeps QGIS's column names
            assert all(re.fullmatch(r"[a-z][a-z0-9_]*", c) for c in user), user
    declared = {c[1]: c[2] for c in query(built, 'PRAGMA table_info("planungsraeume")')}
    assert declared["plr_id"] == "TEXT(8)"
    assert declared["hr_id"] == "TEXT(4)"
    assert declared["population"] == "MEDIUMINT"
    assert declared["c_mss"] == "SMALLINT"
    assert declared["lmb_area_share"] == "REAL"
    assert query(built, "PRAGMA integrity_check") == [("ok",)]
    assert query(built, "PRAGMA foreign_key_check") == []
    assert sorted(p.name for p in built.parent.iterdir()) == ["handlungsraeume.gpkg"]


def _documentation(path: Path) -> tuple[dict, dict]:
    contents = {
        n: (i, d)
        for n, i, d in query(path, "SELECT table_name, identifier, description FROM gpkg_contents")
    }
    columns = {
        (t, c): (n, d)
        for t, c, n, d in query(
            path, "SELECT table_name, column_name, name, description FROM gpkg_data_columns"
        )
    }
    return contents, columns


def test_descriptions_follow_the_language(tmp_path: Path) -> None:
    """German by default, English with ``language: en``; the aliases are German in both."""
    english = tmp_path / "en.gpkg"
    write_geopackage(english, synthetic_layers(), BUILD_INFO, {**METADATA, "language": "en"})
    german = write(tmp_path / "de.gpkg")
    de_contents, de_columns = _documentation(german)
    en_contents, en_columns = _documentation(english)
    sql = "SELECT styleQML FROM layer_styles WHERE f_table_name = ?"
    legends = {
        (language, layer): re.findall(r'label="([^"]*)"', query(path, sql, layer)[0][0])
        for language, path in (("de", german), ("en", english))
        for layer in ("planungsraeume", "einschulungsbereiche")
    }
    assert legends["de", "planungsraeume"] == [
        "0 von 3 Kriterien erfüllt",
        "1 von 3 Kriterien erfüllt",
        "2 von 3 Kriterien erfüllt",
        "3 von 3 Kriterien erfüllt (MSS, Schulen und Sozialatlas)",
    ]
    assert (
        legends["en", "planungsraeume"][3] == "3 of 3 criteria met (MSS, schools and social atlas)"
    )
    assert legends["de", "einschulungsbereiche"][3:] == [
        "lmb-Anteil ≥ 75 % (Schulkriterium)",
        "kein lmb-Anteil",
        "geschätzter Anteil (schraffiert, gestrichelte Umrandung)",
    ]
    assert legends["en", "einschulungsbereiche"][5] == "estimated share (hatched, dashed outline)"
    assert de_contents["planungsraeume"][0] == "Planungsräume mit Kriterien"
    assert en_contents["planungsraeume"][0] == "Planungsräume with criteria"
    assert de_contents["build_info"][1].startswith("Woraus diese Datei gebaut wurde")
    assert en_contents["build_info"][1].startswith("What this file was built from")
    assert de_contents["layer_styles"][1] == "Standardstile der Ebenen für QGIS"
    for contents in (de_contents, en_contents):
        assert contents["handlungsraeume"][0] == "Handlungsräume"
        assert "EPSG:25833" in contents["planungsraeume"][1]
        assert "Sozialstrukturatlas 2013" in contents["planungsraeume"][1]  # the approximation
    assert de_columns[("planungsraeume", "plr_id")] == (
        "PLR-Nr.",
        "Nummer des Planungsraums (8 Ziffern; LOR-Generation in build_info lor_generation)",
    )
    assert en_columns[("planungsraeume", "plr_id")][1].startswith("planning area id (8 digits")
    assert de_columns[("planungsraeume", "hr_id")][1].endswith(
        "NULL außerhalb jedes Handlungsraums"
    )
    assert en_columns[("planungsraeume", "hr_id")][1].endswith("NULL when outside every area")
    assert de_columns[("handlungsraeume", "n_c_schools")][1] == (
        "Zahl der Planungsräume des Gebiets, die das Kriterium Schulen erfüllen"
    )
    assert en_columns[("handlungsraeume", "n_c_schools")][1] == (
        "number of the area's planning areas that meet the schools criterion"
    )
    # every documented field has a description in both languages, and the same alias
    assert set(de_columns) == set(en_columns)
    for key, (alias, description) in de_columns.items():
        assert description and en_columns[key][1] and description != en_columns[key][1], key
        assert alias == en_columns[key][0], key


def test_documentation_in_the_file(built: Path) -> None:
    contents, columns = _documentation(built)
    assert contents["handlungsraeume"][0] == "Handlungsräume"
    assert "EPSG:25833" in contents["planungsraeume"][1]
    assert contents["build_info"][1].startswith("Woraus diese Datei gebaut wurde")
    assert columns[("planungsraeume", "plr_id")][1].startswith("Nummer des Planungsraums")
    assert columns[("einschulungsbereiche", "lmb_share")][0] == "lmb-Anteil %"
    assert ("gpkg_data_columns", "gpkg_schema") in query(
        built, "SELECT table_name, extension_name FROM gpkg_extensions"
    )
    (dataset,) = query(
        built,
        "SELECT m.metadata FROM gpkg_metadata m JOIN "
        "gpkg_metadata_reference r ON r.md_file_id = m.id "
        "WHERE r.reference_scope = 'geopackage'",
    )
    text = dataset[0]
    assert '<MDI key="EDITION">test-2023</MDI>' in text
    assert "threshold: 75" in text  # the configuration
    assert f"data/raw/mss/mss.csv sha256:{'ab' * 32}" in text
    assert "Amt für Statistik Berlin-Brandenburg / Senatsverwaltungen Berlin, CC BY 3.0 DE" in text
    assert "lmb_share is an ESTIMATE." in text
    tables = {
        t
        for (t,) in query(
            built, "SELECT table_name FROM gpkg_metadata_reference WHERE reference_scope = 'table'"
        )
    }
    assert tables == {*GEOMETRY_LAYERS, "build_info"}


def test_default_styles_for_qgis(built: Path) -> None:
    rows = query(
        built,
        "SELECT f_table_name, f_geometry_column, useAsDefault, styleQML "
        "FROM layer_styles ORDER BY id",
    )
    styles = {name: (geom, default, qml) for name, geom, default, qml in rows}
    assert set(styles) == set(GEOMETRY_LAYERS)
    assert all(geom == "geom" and default == 1 for geom, default, _ in styles.values())
    assert 'type="categorizedSymbol"' in styles["planungsraeume"][2]
    assert 'attr="n_criteria"' in styles["planungsraeume"][2]
    assert (
        'label="3 von 3 Kriterien erfüllt (MSS, Schulen und Sozialatlas)"'
        in styles["planungsraeume"][2]
    )
    assert 'label="geschätzter Anteil (schraffiert' in styles["einschulungsbereiche"][2]
    assert "lmb_source" in styles["einschulungsbereiche"][2]
    assert 'labelsEnabled="1"' in styles["handlungsraeume"][2]
    assert '<alias field="hr_name" index="2" name="Name"/>' in styles["handlungsraeume"][2]
    assert query(
        built, "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'"
    ) == [("attributes",)]


def test_unknown_layer_is_written_without_style(tmp_path: Path) -> None:
    layers = synthetic_layers()
    layers["changes"] = pd.DataFrame({"hr_id": ["01"], "Change": ["new"]})
    out = write(tmp_path / "x.gpkg", layers)
    assert pyogrio.read_dataframe(out, layer="changes").columns.tolist() == ["hr_id", "change"]
    assert query(out, "SELECT count(*) FROM layer_styles WHERE f_table_name = 'changes'") == [(0,)]


def test_without_build_info_layer_the_mapping_is_written(tmp_path: Path) -> None:
    layers = synthetic_layers()
    del layers["build_info"]
    out = write(tmp_path / "x.gpkg", layers)
    info = pyogrio.read_dataframe(out, layer="build_info")
    assert dict(zip(info["key"], info["value"], strict=True)) == BUILD_INFO


def test_reproducible_with_source_date_epoch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    a, b = write(tmp_path / "a" / "h.gpkg"), write(tmp_path / "b" / "h.gpkg")
    assert a.read_bytes() == b.read_bytes()
    assert query(a, "SELECT DISTINCT last_change FROM gpkg_contents") == [
        ("2023-11-14T22:13:20.000Z",)
    ]
    assert query(a, "SELECT DISTINCT update_time FROM layer_styles") == [
        ("2023-11-14T22:13:20.000Z",)
    ]


def test_fifty_writes_give_one_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Byte-identical every time, not usually: before the fix about one write in ten differed in
    SQLite's file change counter (header bytes 24-27 and 92-95), because GDAL skips its
    ``last_change`` UPDATE when the wall-clock millisecond has not moved between two layers."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    before = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    hashes, headers = set(), set()
    for i in range(50):
        data = write(tmp_path / str(i) / "h.gpkg").read_bytes()
        hashes.add(hashlib.sha256(data).hexdigest())
        headers.add((data[24:28], data[92:96]))
    assert len(hashes) == 1
    assert headers == {((1).to_bytes(4, "big"), (1).to_bytes(4, "big"))}
    assert pyogrio.get_gdal_config_option("OGR_CURRENT_DATE") == before  # restored
    # the patched header is a valid database: the in-header page count matches the file
    data = (tmp_path / "0" / "h.gpkg").read_bytes()
    page_size = int.from_bytes(data[16:18], "big")
    assert int.from_bytes(data[28:32], "big") * page_size == len(data)
    assert query(tmp_path / "0" / "h.gpkg", "PRAGMA integrity_check") == [("ok",)]


def test_without_epoch_only_timestamps_differ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    a = write(tmp_path / "a" / "h.gpkg")
    monkeypatch.setattr(
        gpkg, "build_timestamp", lambda: pd.Timestamp("2031-01-01T00:00:00.123Z").to_pydatetime()
    )
    b = write(tmp_path / "b" / "h.gpkg")

    def dump(path: Path) -> list[str]:
        with sqlite3.connect(path) as db:
            return [
                re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", "<ts>", line)
                for line in db.iterdump()
            ]

    assert a.read_bytes() != b.read_bytes()
    assert dump(a) == dump(b)


def test_failure_leaves_previous_file_and_no_temporary_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "h.gpkg"
    out.write_bytes(b"previous build")

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("killed while documenting")

    monkeypatch.setattr(gpkg, "_document", boom)
    with pytest.raises(RuntimeError, match="killed"):
        write(out)
    assert out.read_bytes() == b"previous build"
    assert [p.name for p in tmp_path.iterdir()] == ["h.gpkg"]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda f: f["planungsraeume"].to_crs(4326), "CRS must be projected in metres"),
        (lambda f: f["planungsraeume"].assign(fid=1), "named 'fid'"),
        (lambda f: f["planungsraeume"].assign(**{"bad name": 1}), "not \\[a-z\\]"),
        (
            lambda f: f["planungsraeume"].set_geometry(f["planungsraeume"].centroid),
            r"\(Multi\)Polygon",
        ),
    ],
)
def test_contract_violations_raise_before_anything_is_written(
    tmp_path: Path, change, message: str
) -> None:
    layers = synthetic_layers()
    layers["planungsraeume"] = change(layers)
    with pytest.raises(ValueError, match=message):
        write(tmp_path / "h.gpkg", layers)
    assert list(tmp_path.iterdir()) == []


def test_upper_case_field_names_are_lowered(tmp_path: Path) -> None:
    layers = synthetic_layers()
    layers["einschulungsbereiche"] = layers["einschulungsbereiche"].rename(
        columns={"esb_id": "ESB_ID"}
    )
    out = write(tmp_path / "h.gpkg", layers)
    assert "esb_id" in pyogrio.read_info(out, layer="einschulungsbereiche")["fields"]


@pytest.mark.qgis
@pytest.mark.client("gdal")
def test_gdal_validator_and_ogrinfo_are_clean(built: Path) -> None:
    check = subprocess.run(
        [str(CLIENT_PYTHON), "-m", "osgeo_utils.samples.validate_gpkg", str(built)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.strip() == "" and check.stderr.strip() == ""
    info = subprocess.run(["ogrinfo", "-so", "-al", str(built)], capture_output=True, text=True)
    assert info.returncode == 0
    assert info.stderr.strip() == ""  # no warning from GDAL 3.6
    blocks = {
        m.group(1): m.group(2)
        for m in re.finditer(r"Layer name: (\w+)\n(.*?)(?=\nLayer name: |\Z)", info.stdout, re.S)
    }
    for name, count in GEOMETRY_LAYERS.items():
        assert "Geometry: Multi Polygon" in blocks[name]
        assert f"Feature Count: {count}" in blocks[name]
        assert 'ID["EPSG",25833]' in blocks[name]
    assert "lmb_source: String (8.0)" in blocks["einschulungsbereiche"]
    assert "EDITION=test-2023" in blocks["planungsraeume"]


def test_stale_temporary_folders_of_killed_builds_are_removed(tmp_path: Path) -> None:
    import os as _os

    out = tmp_path / "handlungsraeume.gpkg"
    stale = tmp_path / f".{out.name}.dead.tmp"
    fresh = tmp_path / f".{out.name}.alive.tmp"
    for folder in (stale, fresh):
        folder.mkdir()
        (folder / out.name).write_bytes(b"partial")
    old = stale.stat().st_mtime - 2 * 3600
    _os.utime(stale, (old, old))
    write_geopackage(out, synthetic_layers(), BUILD_INFO, METADATA)
    assert not stale.exists()
    assert fresh.exists()  # possibly another build's work in progress


@pytest.mark.parametrize("import_quartiere", [True, False])
def test_reading_a_build_leaves_no_side_file(
    built: Path, tmp_path: Path, import_quartiere: bool
) -> None:
    """quartiere's reader keeps GDAL from writing .aux.xml beside what it reads (a setting scoped
    to the read, not the environment); a plain read leaves one (the control: the check can
    tell)."""
    import os
    import shutil
    import sys

    folder = tmp_path / "read"
    folder.mkdir()
    copy = folder / "build.gpkg"
    shutil.copyfile(built, copy)
    env = {k: v for k, v in os.environ.items() if k != "GDAL_PAM_ENABLED"}
    code = (
        f"from quartiere.io.builds import read_build; read_build({str(copy)!r})"
        if import_quartiere
        else f"import pyogrio; pyogrio.read_dataframe({str(copy)!r}, layer='planungsraeume')"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    side_files = sorted(p.name for p in folder.iterdir() if p.name != "build.gpkg")
    assert side_files == ([] if import_quartiere else ["build.gpkg.aux.xml"])
