"""``quartiere fetch`` against a real WFS 2.0 server: Debian's MapServer on loopback.

The server (tests/wfs/) serves the shipped MSS 2023 tables under GDI Berlin's service paths, type
names and field names, with the -9999 sentinel and ``kom`` for the six planning areas without an
index, 200 features a page (so every layer comes in three pages). Broken services are scenarios of
the same server (a field excluded, a layer under another name, features missing, a sentinel in a
complete column), each under its own ``--base-url``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from quartiere.cli import main
from quartiere.errors import ConfigError
from quartiere.fetch.wfs import EXIT_SOURCE, SourceError, WfsClient
from quartiere.sources import Client, load_catalogue

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "config" / "sources.yaml"
SHIPPED = ROOT / "data" / "raw" / "mss"
EDITION_2023 = ROOT / "config" / "editions" / "mss2023.yaml"
PAGE = 200

mapserver = pytest.mark.client("mapserver")


# -- the catalogue (no server) -------------------------------------------------------------------


def test_catalogue_names_every_input_and_fills_edition_years():
    catalogue = load_catalogue(CATALOGUE)
    names = [s.name for s in catalogue.sources()]
    assert names == ["mss2023", "mss2025", "lor2021", "esb", "schools", "gssa2022"]
    later = catalogue.source("mss2027")
    assert later.layers["index"].type_name == "mss_2027:mss2027_indizes_542"
    assert later.layers["indicators"].file == "mss2027_indicators.csv"
    assert later.edition_year == 2027
    assert "2027" in later.attribution
    with pytest.raises(ConfigError, match="unknown source 'mss23'; the catalogue has: mss2023"):
        catalogue.source("mss23")


def test_catalogue_refuses_a_column_with_two_sources(tmp_path):
    data = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    data["sources"]["esb"]["layers"]["einschulungsbereiche"]["columns"]["esb"] = {
        "field": "esb",
        "reason": "kom",
    }
    bad = tmp_path / "sources.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="give either 'field' or 'reason'"):
        load_catalogue(bad)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_retries_are_bounded_with_exponential_backoff():
    slept: list[float] = []
    lines: list[str] = []
    client = WfsClient(
        f"http://127.0.0.1:{_closed_port()}",
        Client(timeout_s=2, retries=3, backoff_s=0.5),
        progress=lines.append,
        sleep=slept.append,
    )
    with pytest.raises(SourceError, match=r"does not answer \(connection refused\) after 4"):
        client.open("mss_2023")
    assert slept == [0.5, 1.0, 2.0]
    assert len(lines) == 3 and "attempt 2 of 4" in lines[0]


# -- the server ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    """MapServer behind a loopback front with the scenarios of this module."""
    from wfs.server import WfsFront, mapserver_available, mss_layers

    if not mapserver_available():
        pytest.skip("MapServer is absent")  # the client marker reports it first
    index, indicators = mss_layers(202212)
    front = WfsFront(tmp_path_factory.mktemp("wfs"))
    front.add_mss("ok", 2023, (index, indicators), page=PAGE)
    front.add_mss("next", 2023, (index, indicators), page=PAGE)
    front.add_mss("next", 2025, mss_layers(202412), page=PAGE)
    front.add_mss("renamed", 2023, (index, indicators), page=PAGE, exclude="si_v")
    front.add_mss("old", 2023, (index, indicators), page=PAGE, lor="447")
    short = (index.iloc[:-7], indicators.iloc[:-7])
    front.add_mss("short", 2023, (index, indicators), page=PAGE, features_only=short)
    holes = index.copy()
    holes.loc[holes["plr_id"].isin(["01100101", "08100102"]), "ew"] = -9999
    front.add_mss("sentinel", 2023, (holes, indicators), page=PAGE)
    yield front
    front.close()


def run(*args: str):
    """``quartiere ARGS``; stdout and stderr apart."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def fetch_args(front, scenario: str, out: Path, editions: Path, *names: str) -> list[str]:
    return [
        "fetch",
        *names,
        "--base-url",
        front.url(scenario),
        "--out",
        str(out),
        "--editions",
        str(editions),
        "--retries",
        "0",
    ]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def fetched_2023(front, tmp_path_factory):
    """``quartiere fetch mss2023`` from the healthy service, once."""
    base = tmp_path_factory.mktemp("fetched")
    result = run(*fetch_args(front, "ok", base / "raw", base / "editions", "mss2023"))
    assert result.exit_code == 0, result.stderr
    return base / "raw" / "mss2023", result


def _edition_copy(folder: Path) -> Path:
    """config/editions/mss2023.yaml in ``folder``, its paths made absolute."""
    from quartiere.fetch.edition import _rebase

    folder.mkdir(parents=True, exist_ok=True)
    data = yaml.safe_load(EDITION_2023.read_text(encoding="utf-8"))
    data = _rebase(data, EDITION_2023.parent, folder)
    target = folder / "mss2023.yaml"
    target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return target


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"id": str}, keep_default_na=True)


@mapserver
def test_fetch_reproduces_the_shipped_2023_tables(fetched_2023):
    folder, result = fetched_2023
    for name in ("mss2023_index.csv", "mss2023_indicators.csv"):
        shipped, got = _read(SHIPPED / name), _read(folder / name)
        assert list(got.columns) == [*shipped.columns, *([] if "note" in shipped else ["note"])]
        for column in shipped.columns:
            left, right = shipped[column], got[column]
            if pd.api.types.is_numeric_dtype(left):
                left, right = left.astype(float), right.astype(float)
            pd.testing.assert_series_equal(left, right, check_names=False, obj=f"{name}:{column}")
    indicators = _read(folder / "mss2023_indicators.csv").set_index("id")
    unindexed = indicators["s4_percentage_transfer_payments_recipients_below_15_years"].isna()
    assert unindexed.sum() == 6
    assert indicators.loc["10100205", "note"].endswith("(Ausreißerproblematik).")
    assert indicators.loc[~unindexed, "note"].isna().all()
    # paging ran over several pages of the server's 200
    assert result.stderr.count("mss_2023:mss2023_indizes_542:") == 3
    assert "200 of 542 features (1 pages)" in result.stderr


@mapserver
def test_manifest_names_request_count_and_hash(fetched_2023):
    folder, _ = fetched_2023
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    index = manifest["layers"]["index"]
    assert index["number_matched"] == 542 and index["features"] == 542 and index["pages"] == 3
    digest = hashlib.sha256((folder / "mss2023_index.csv").read_bytes()).hexdigest()
    assert index["sha256"] == digest
    assert index["as_of"] == ["202212"]
    assert index["request"]["params"]["srsName"] == "EPSG:25833"
    assert index["request"]["params"]["outputFormat"] == "application/json"
    assert manifest["axis_order"] == "easting,northing"
    assert manifest["licence"].startswith("dl-de/zero-2.0")
    assert "Monitoring Soziale Stadtentwicklung 2023" in manifest["attribution"]


@mapserver
@pytest.mark.slow
def test_build_from_fetched_files_equals_build_from_shipped(fetched_2023, tmp_path):
    from quartiere.pipeline import build

    folder, _ = fetched_2023
    edition = _edition_copy(tmp_path / "editions")
    data = yaml.safe_load(edition.read_text(encoding="utf-8"))
    for key, name in (
        ("population", "indicators"),
        ("child_poverty", "indicators"),
    ):
        data[key]["path"] = str(folder / f"mss2023_{name}.csv")
    # the fetched index table has the method's columns (the shipped edition reads the workbook)
    data["mss"] = {"path": str(folder / "mss2023_index.csv"), "edition": 2023, "note": "note"}
    data["indicators"]["index"]["path"] = str(folder / "mss2023_indicators.csv")
    edition.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    build(edition, tmp_path / "fetched" / "hr.gpkg")
    build(EDITION_2023, tmp_path / "shipped" / "hr.gpkg")
    layers = {}
    for which in ("fetched", "shipped"):
        path = tmp_path / which / "hr.gpkg"
        layers[which] = (
            gpd.read_file(path, layer="handlungsraeume"),
            gpd.read_file(path, layer="planungsraeume"),
        )
    fetched_areas, fetched_plr = layers["fetched"]
    shipped_areas, shipped_plr = layers["shipped"]
    assert int(fetched_plr["c_mss"].sum()) == 133
    pd.testing.assert_frame_equal(
        fetched_areas.drop(columns="geometry"), shipped_areas.drop(columns="geometry")
    )
    assert fetched_areas.geometry.geom_equals(shipped_areas.geometry).all()
    pd.testing.assert_frame_equal(
        fetched_plr.drop(columns="geometry"), shipped_plr.drop(columns="geometry")
    )


@mapserver
@pytest.mark.slow
def test_a_2025_service_becomes_an_edition_that_builds(front, tmp_path):
    from quartiere.config import load_config
    from quartiere.pipeline import build

    editions = tmp_path / "editions"
    _edition_copy(editions)
    result = run(*fetch_args(front, "next", tmp_path / "raw", editions, "mss2025"))
    assert result.exit_code == 0, result.stderr
    written = editions / "mss2025.yaml"
    assert f"wrote edition {written}" in result.stdout
    text = written.read_text(encoding="utf-8")
    assert "Not filled:" in text and "context indicators (k01..k17) of MSS 2025" in text
    assert "s2: Kinder und Jugendliche in Haushalten Alleinerziehender" in text
    config = load_config(written)
    assert config.edition == "MSS 2025 / LOR 2021"
    assert config.mss.edition == 2025 and config.population.year == 2025
    assert config.mss.path == (tmp_path / "raw" / "mss2025" / "mss2025_index.csv").resolve()
    assert config.catchments.path == load_config(EDITION_2023).catchments.path
    manifest = json.loads((tmp_path / "raw" / "mss2025" / "manifest.json").read_text("utf-8"))
    assert manifest["layers"]["index"]["as_of"] == ["202412"]
    out = build(written, tmp_path / "build" / "hr.gpkg")
    assert out.build_info.edition == "MSS 2025 / LOR 2021"
    plr = gpd.read_file(tmp_path / "build" / "hr.gpkg", layer="planungsraeume")
    assert int(plr["c_mss"].sum()) == 133  # the 2025-shaped layer is a copy of 2023


FAILURES = [
    ("down", "does not answer (connection refused) after 1 attempts"),
    ("renamed", "field 'si_v' is missing"),
    ("old", "unknown type name; GetCapabilities offers: mss_2023:mss2023_indexind_447"),
    ("short", "fewer features than numberMatched: 535 of 542"),
    ("sentinel", "field 'ew' (inhabitants) must be complete but carries the sentinel -9999"),
    ("sortby", "ExceptionReport"),
]


@mapserver
@pytest.mark.parametrize(("scenario", "message"), FAILURES, ids=[f[0] for f in FAILURES])
def test_a_failed_fetch_is_one_line_and_keeps_the_previous_download(
    front, fetched_2023, tmp_path, scenario, message
):
    folder, _ = fetched_2023
    out = tmp_path / "raw"
    shutil.copytree(folder, out / "mss2023")
    before = snapshot(out / "mss2023")
    args = fetch_args(front, "ok" if scenario == "sortby" else scenario, out, tmp_path, "mss2023")
    if scenario == "down":
        args[args.index("--base-url") + 1] = f"http://127.0.0.1:{_closed_port()}"
    if scenario == "sortby":
        data = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
        data["editions"]["mss"]["layers"]["index"]["sort"] = "no_such_field"
        catalogue = tmp_path / "sources.yaml"
        catalogue.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        args += ["--catalogue", str(catalogue)]
    result = run(*args)
    assert result.exit_code == EXIT_SOURCE
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert "\n" not in errors[0] and "Traceback" not in result.stderr
    assert snapshot(out / "mss2023") == before
    assert sorted(p.name for p in out.iterdir()) == ["mss2023"]  # no temporary folder left


@mapserver
@pytest.mark.slow
def test_a_scheduled_run_with_nothing_new_is_a_no_op(front, tmp_path):
    editions = tmp_path / "editions"
    _edition_copy(editions)
    args = [*fetch_args(front, "next", tmp_path / "raw", editions, "mss2025"), "--build"]
    args.append(str(tmp_path / "builds"))
    first = run(*args)
    assert first.exit_code == 0, first.stderr
    assert "new edition" in first.stdout and "first build" in first.stdout
    built = tmp_path / "builds" / "mss2025" / "handlungsraeume.gpkg"
    stamp, raw = built.stat().st_mtime_ns, snapshot(tmp_path / "raw" / "mss2025")
    second = run(*args, "--quiet")
    assert second.exit_code == 0, second.stderr
    assert second.stdout.strip().splitlines() == [
        f"nothing new: 1 sources unchanged, no new edition; {built} is current"
    ]
    assert built.stat().st_mtime_ns == stamp
    assert snapshot(tmp_path / "raw" / "mss2025") == raw
