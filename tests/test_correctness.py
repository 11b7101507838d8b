"""No silent wrong result (issue 14): each trap replayed through the CLI on copies of real data:
either stops with one clear line (and the previous output untouched) or gives the right result."""

from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pyogrio
import pytest
from click.testing import CliRunner

from quartiere.cli import main
from quartiere.config import TableInput, load_config
from quartiere.io.tables import read_table

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "config/criteria.yaml"
MSS2021 = ROOT / "config/editions/mss2021.yaml"  # the catchments of 2019/20 the test table keys
GI2018 = ROOT / "config/editions/gi2018.yaml"
OFFICIAL = ROOT / "tests/data/official_lmb"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def error_line(result) -> str:
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.output
    return errors[0]


def edition(tmp_path: Path, text: str, base: Path = DEFAULT, name: str = "edition.yaml") -> Path:
    path = tmp_path / name
    path.write_text(f"extends: {base}\n{text}", encoding="utf-8")
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def official(tmp_path: Path, table: Path, extra: str = "", **keys: str) -> Path:
    spec = {"id": "ESB", "share": "lmb_percent", **keys}
    lines = "".join(f"    {k}: {v}\n" for k, v in spec.items())
    return edition(
        tmp_path,
        f"catchments:\n  lmb_source: official\n  official:\n    path: {table}\n{lines}{extra}",
        base=MSS2021,
    )


def refused_build(config: Path, built: Path, status: int) -> str:
    """Build ``config`` onto the previous result ``built``: it must exit with ``status``, leave
    ``built`` untouched, and say why in one line, which is returned."""
    before = digest(built)
    result = run("build", "--config", str(config), "--out", str(built))
    assert result.exit_code == status, result.output
    assert digest(built) == before
    return error_line(result)


def refused_config(tmp_path: Path, text: str) -> str:
    """``validate`` an edition of ``text`` over the default: exit status 2 and the one line."""
    result = run("validate", "--config", str(edition(tmp_path, text)))
    assert result.exit_code == 2, result.output
    return error_line(result)


@pytest.fixture
def built(tmp_path: Path, default_build: Path) -> Path:
    """A copy of the default build, as a previous result that a failed run must leave alone."""
    out = tmp_path / "out" / "handlungsraeume.gpkg"
    out.parent.mkdir()
    out.write_bytes(default_build.read_bytes())
    return out


# --- units ------------------------------------------------------------------------------------


def test_a_fraction_for_a_percentage_threshold_is_refused_with_a_hint(tmp_path, built):
    config = edition(tmp_path, "criteria:\n  schools:\n    lmb_threshold: 0.75\n")
    assert refused_build(config, built, 2) == (
        f"error: {config}: criteria.schools.lmb_threshold: 0.75 looks like a fraction; this key "
        "is a percentage: did you mean 75?"
    )


def test_a_percentage_for_a_fraction_key_is_refused_with_a_hint(tmp_path):
    assert refused_config(tmp_path, "criteria:\n  schools:\n    min_area_share: 50\n").endswith(
        "criteria.schools.min_area_share: 50 looks like a percentage; this key is a fraction: "
        "did you mean 0.5?"
    )


def test_an_explicit_unit_reads_as_the_plain_number(tmp_path):
    explicit = edition(
        tmp_path, 'criteria:\n  schools:\n    lmb_threshold: "75 %"\n    min_area_share: "50 %"\n'
    )
    schools = load_config(explicit).criteria.schools
    assert (schools.lmb_threshold, schools.min_area_share) == (75.0, 0.5)
    assert schools == load_config(DEFAULT).criteria.schools


def test_an_official_table_of_fractions_is_refused(tmp_path, built):
    table = tmp_path / "lmb.csv"
    table.write_text("ESB,lmb_percent\n0801,0.825\n0802,0.91\n", encoding="utf-8")
    assert refused_build(official(tmp_path, table), built, 3) == (
        f"error: {table}: column 'lmb_percent': all values lie in 0-1 (largest 0.91); this "
        "column is a percentage (0-100): write 91 for 91 %"
    )


def test_xlsx_cells_formatted_as_percent_read_as_percent(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["ESB", "lmb_percent"])
    for esb, share in (("0801", 0.825), ("0802", 0.91)):
        sheet.append([esb, share])
        sheet.cell(sheet.max_row, 2).number_format = "0.0%"
    path = tmp_path / "lmb.xlsx"
    workbook.save(path)
    xlsx = read_table(TableInput(path=path, id="ESB"), numeric=["lmb_percent"], id_pattern=None)
    csv = read_table(
        TableInput(path=OFFICIAL / "lmb_by_catchment.csv", id="ESB"),
        numeric=["lmb_percent"],
        id_pattern=None,
    )
    assert xlsx.loc["0801", "lmb_percent"] == pytest.approx(82.5)
    assert xlsx["lmb_percent"].tolist() == pytest.approx(csv["lmb_percent"].iloc[:2].tolist())


# --- coverage ---------------------------------------------------------------------------------


def test_a_partial_official_table_stops_the_build(tmp_path, built):
    table = OFFICIAL / "lmb_by_catchment.csv"
    assert refused_build(official(tmp_path, table), built, 3) == (
        f"error: {table}: covers 4 of 346 catchments (1.2 %), below min_coverage 0.9; complete "
        "the table, or set `allow_partial: true` if a partial result is meant"
    )


@pytest.mark.slow
def test_a_partial_table_allowed_is_reported_everywhere(tmp_path):
    table = OFFICIAL / "lmb_by_catchment.csv"
    config = official(tmp_path, table, extra="    allow_partial: true\n")
    out = tmp_path / "partial" / "handlungsraeume.gpkg"
    result = run("build", "--config", str(config), "--out", str(out))
    assert result.exit_code == 0, result.output
    info = pyogrio.read_dataframe(out, layer="build_info").set_index("key")["value"]
    assert info["coverage.lmb"] == "4 of 346 catchments (1.2 %)"
    assert info["coverage.mss"] == "536 of 542 planning areas (98.9 %)"
    summary = (out.parent / "summary.md").read_text(encoding="utf-8").splitlines()
    (covered,) = [line for line in summary if line.startswith("Abdeckung der Eingaben: ")]
    assert covered.startswith("Abdeckung der Eingaben: population: 536 von 542 Planungsräumen")
    assert "lmb: 4 von 346 Einschulungsbereichen (1,2 %)" in covered
    # 08100101 Hasenheide lies in catchments the small table does not list
    explained = run("explain", "08100101", "--config", str(config))
    assert explained.exit_code == 0, explained.output
    assert "keine Daten (nicht in der Tabelle)" in explained.output
    assert "nan" not in explained.output


def test_minimum_coverage_is_a_fraction_key(tmp_path):
    assert refused_config(tmp_path, "mss:\n  min_coverage: 90\n").endswith(
        "mss.min_coverage: 90 looks like a percentage; this key is a fraction: did you mean 0.9?"
    )


def test_renamed_atlas_key_is_refused_not_reinterpreted(tmp_path):
    # atlas.min_coverage once meant the per-area weight share; since the rename it would have
    # been read as the table's coverage: refused, naming the new key and its unit
    assert refused_config(tmp_path, "atlas:\n  min_coverage: 0.3\n").endswith(
        "atlas.min_coverage: renamed to atlas.min_area_coverage, a fraction 0-1 (0.5 means half) "
        "of a planning area's weight that must carry a value; the atlas table's own coverage is "
        "atlas.min_table_coverage"
    )
    config = edition(tmp_path, "atlas:\n  min_area_coverage: 0.3\n  min_table_coverage: 0.95\n")
    loaded = load_config(config)
    assert (loaded.atlas.min_area_coverage, loaded.atlas.min_coverage) == (0.3, 0.95)


# --- one edition, one place -------------------------------------------------------------------


@pytest.mark.slow
def test_another_edition_without_out_builds_into_its_own_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    default = tmp_path / "data/processed/handlungsraeume.gpkg"
    default.parent.mkdir(parents=True)
    default.write_bytes(b"the default edition's result")
    result = run("build", "--config", str(GI2018))
    assert result.exit_code == 0, result.output
    own = tmp_path / "data/processed/gi2018/handlungsraeume.gpkg"
    assert own.is_file() and (own.parent / "summary.md").is_file()
    assert default.read_bytes() == b"the default edition's result"
    # Make's up-to-date check: the gi2018 build does not pass for the default configuration
    forced = run("inputs", "--config", str(DEFAULT), "--check-built", str(own))
    assert forced.exit_code == 0 and forced.output.splitlines()[-1] == "FORCE"
    same = run("inputs", "--config", str(GI2018), "--check-built", str(own))
    assert "FORCE" not in same.output


def test_inputs_lists_only_the_files_the_configuration_names(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = run("inputs", "--config", "config/editions/gi2018.yaml")
    assert result.exit_code == 0
    files = result.output.splitlines()
    config = load_config(GI2018)
    assert files[: len(config.files)] == ["config/base/method.yaml", "config/editions/gi2018.yaml"]
    assert len(files) == len(config.files) + len(config.input_paths())
    assert "data/raw/mss/mss2021_index.csv" not in files  # gi2018 reads MSS 2017
    assert all((ROOT / f).is_file() for f in files)


# --- --out --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("{dir}", "error: --out {dir}: is a directory; name a .gpkg file in it"),
        ("{dir}/hr.shp", "error: --out {dir}/hr.shp: must name a GeoPackage file ending in .gpkg"),
        (
            "{file}/sub/hr.gpkg",
            "error: --out {file}/sub/hr.gpkg: directory {file}/sub cannot be created or written",
        ),
    ],
)
def test_out_must_name_a_geopackage_in_a_creatable_directory(tmp_path, out, message):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    values = {"dir": str(tmp_path), "file": str(a_file)}
    result = run("build", "--config", str(GI2018), "--out", out.format(**values))
    assert result.exit_code == 2
    assert error_line(result) == message.format(**values)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


# --- smaller traps ------------------------------------------------------------------------------


def test_hr_id_is_null_outside_every_area(default_build):
    outside = pyogrio.read_dataframe(
        default_build, layer="planungsraeume", where="hr_id IS NULL", read_geometry=False
    )
    inside = pyogrio.read_dataframe(
        default_build, layer="planungsraeume", where="hr_id IS NOT NULL", read_geometry=False
    )
    assert len(outside) > 400 and (inside["hr_id"] != "").all()
    assert len(outside) + len(inside) == 542
    assert (outside["decision"].str.len() > 0).all()


def test_catchment_keys_that_lost_their_leading_zeros_get_the_hint(tmp_path):
    table = tmp_path / "schools.csv"
    table.write_text(
        (OFFICIAL / "lmb_by_school.csv").read_text(encoding="utf-8").replace(";0801;", ";801;"),
        encoding="utf-8",
    )
    config = official(tmp_path, table, id="school", catchment="ESB", pupils="pupils")
    result = run("validate", "--config", str(config))
    assert result.exit_code == 3
    assert error_line(result) == (
        f"error: {table}: row 2: id '801' in column 'ESB' looks like a number that lost its "
        "leading zeros (expected \\d{4}) (and 1 more such id); set `restore_leading_zeros: true` "
        "to pad such ids with zeros, or store the ids as text"
    )
    restored = official(
        tmp_path,
        table,
        id="school",
        catchment="ESB",
        pupils="pupils",
        restore_leading_zeros="true",
        allow_partial="true",
    )
    assert run("validate", "--config", str(restored)).exit_code == 0


def test_header_row_counts_from_one(tmp_path):
    table = tmp_path / "lmb.csv"
    table.write_text("Tabelle 1\nESB,lmb_percent\n0801,82.5\n", encoding="utf-8")
    spec = TableInput(path=table, id="ESB", header_row=2)
    assert read_table(spec, numeric=["lmb_percent"], id_pattern=None).loc["0801"].item() == 82.5
    wrong = run("validate", "--config", str(official(tmp_path, table)))
    assert wrong.exit_code == 3
    assert "the header seems to be on row 2, not 1 (set `header_row: 2`)" in error_line(wrong)


def test_the_map_caption_carries_the_estimate_notes():
    import geopandas as gpd
    from shapely.geometry import box

    from quartiere.present.build_map import map_figure
    from quartiere.present.figure_data import MapLayers

    plr = gpd.GeoDataFrame(
        {"bezirk": ["01"], "n_criteria": [1], "hr_id": [""]},
        geometry=[box(0, 0, 1000, 1000)],
        crs=25833,
    )
    areas = gpd.GeoDataFrame({"hr_id": [], "hr_name": []}, geometry=[], crs=25833)
    notes = ["lmb_share is an ESTIMATE", "c_atlas is an APPROXIMATION"]
    figure = map_figure(MapLayers.of(areas, plr), title="t", attribution="a", notes=notes)
    texts = [t.get_text() for t in figure.texts]
    assert "lmb_share is an ESTIMATE\nc_atlas is an APPROXIMATION" in texts


# --- scheduled runs keep their record -----------------------------------------------------------


@pytest.mark.slow
def test_update_keeps_previous_and_memo_unless_the_result_changed(tmp_path):
    out = tmp_path / "processed" / "handlungsraeume.gpkg"
    first = run("update", "-q", "--config", str(GI2018), "--out", str(out))
    assert first.exit_code == 0, first.output
    # no build of the edition before on disk: numbered as the history numbers it, in memory
    assert first.output.strip() == (
        f"first build: {out} (numbered against mss2015: computed in memory: mss2013 (afresh) > "
        "mss2015)"
    )

    # a real change: a lower threshold flags more catchments
    lower = edition(tmp_path, "criteria:\n  schools:\n    lmb_threshold: 60\n", base=GI2018)
    changed = run("update", "-q", "--config", str(lower), "--out", str(out))
    assert changed.exit_code == 0, changed.output
    memos = sorted((tmp_path / "processed" / "changes").glob("*/changes.md"))
    assert len(memos) == 1
    assert changed.output.strip() == (
        f"changed: previous.gpkg updated, memo in {memos[0].parent}/changes.md"
    )
    latest = (out.parent / "changes.md").read_text(encoding="utf-8")
    assert latest.startswith(
        f"Letzte Änderungsnotiz, aufbewahrt als changes/{memos[0].parent.name}/"
    )
    assert latest.endswith(memos[0].read_text(encoding="utf-8"))
    kept = {p: digest(p) for p in (out.parent / "previous.gpkg", out.parent / "changes.md")}

    # the same again: nothing changed, so the record of the last change stays
    again = run("update", "-q", "--config", str(lower), "--out", str(out))
    assert again.exit_code == 0, again.output
    assert again.output.strip() == (
        f"no change against the previous build: {out} rebuilt; previous.gpkg and changes.md "
        "kept from the last change"
    )
    assert {p: digest(p) for p in kept} == kept
    assert sorted((tmp_path / "processed" / "changes").glob("*/changes.md")) == memos


@pytest.mark.slow
def test_a_seeded_first_build_continues_the_history_numbers_and_names(tmp_path, history_run):
    from quartiere.config import load_config
    from quartiere.editions import edition_key

    default_key = edition_key(load_config(DEFAULT))  # the default edition, whichever it is
    in_history = next(e for e in history_run.editions if e.key == default_key)
    out = tmp_path / "processed" / "handlungsraeume.gpkg"
    result = run(
        "update", "-q", "--config", str(DEFAULT), "--out", str(out), "--seed", str(in_history.path)
    )
    assert result.exit_code == 0, result.output
    columns = ["plr_ids", "hr_id", "hr_name"]
    history = pyogrio.read_dataframe(
        in_history.path, layer="handlungsraeume", columns=columns, read_geometry=False
    ).sort_values("plr_ids")
    built = pyogrio.read_dataframe(
        out, layer="handlungsraeume", columns=columns, read_geometry=False
    ).sort_values("plr_ids")
    assert built.to_numpy().tolist() == history.to_numpy().tolist()
    fresh = run(
        "build", "-q", "--fresh", "--config", str(DEFAULT), "--out", str(tmp_path / "f.gpkg")
    )
    assert fresh.exit_code == 0, fresh.output
    afresh = pyogrio.read_dataframe(
        tmp_path / "f.gpkg", layer="handlungsraeume", columns=columns, read_geometry=False
    ).sort_values("plr_ids")
    assert afresh.to_numpy().tolist() != history.to_numpy().tolist()  # not by chance
