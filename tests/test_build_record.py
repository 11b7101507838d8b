"""The build record (issues 21 and 24): one typed record over the ``build_info`` rows, one reader
of a build GeoPackage that sees one build, and a build that records what it read.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from quartiere.io.build_record import info_rows, parse_info, read_build_info
from quartiere.record import BuildInfo

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"


def _golden_rows(edition: str) -> list[tuple[str, str]]:
    table = pd.read_csv(GOLDEN / edition / "build_info.csv", dtype=str, keep_default_na=False)
    return list(zip(table["key"], table["value"], strict=True))


@pytest.mark.parametrize("edition", ["mss2021", "gi2018"])
def test_the_record_writes_back_exactly_the_rows_it_was_read_from(edition: str) -> None:
    rows = _golden_rows(edition)
    info = parse_info(rows)
    assert info_rows(info) == rows
    assert info.other == ()  # every key of today's builds is a field


def test_the_record_holds_the_values_of_its_rows() -> None:
    info = parse_info(_golden_rows("mss2021"))
    assert (info.edition, info.edition_key, info.lor_generation) == (
        "MSS 2021 / LOR 2021",
        "mss2021",
        "lor2021",
    )
    assert [name for name, _ in info.config_files] == [
        "config/base/method.yaml",
        "config/editions/mss2021.yaml",
    ]
    assert info.config_files[0][1].startswith("eaa1502e")
    assert (
        info.config_hash
        == hashlib.sha256("\n".join(d for _, d in info.config_files).encode()).hexdigest()
    )
    assert len(info.inputs) == 9
    assert info.input_digests("gssa2022_planungsraeume.csv") == {
        "79d8e207556e4c214260998d8347439033a8a7aff03e4ed132860b18347434f9"
    }
    assert info.input_year("atlas") == (
        "gssa2022_planungsraeume.csv: GESIx 2022 (Gesundheits- und Sozialstrukturatlas 2022)"
    )
    assert info.hr_ids_used is not None and len(info.hr_ids_used) == 17
    assert info.hr_ids_used[-4:] == ("14a", "14b", "14c", "14d")
    assert len(info.estimates) == 5 and info.estimates[4].startswith("c_atlas is an APPROX")
    assert len(info.notes) == 5
    assert info.school_fact("schools.attribution") == (
        "Schulliste: Thomas Tursics (MIT), nach Drucksache 18/17293"
    )
    assert info.lmb_source == "estimate" and info.language == "de"
    # numbered afresh: no previous, no pairs, no lineage; nothing changed while it ran
    assert info.previous is None and info.continued is None and info.lineage == ()
    assert info.previous_sha256 is None and info.changed_during_build == ()


def test_numbering_and_unknown_keys_round_trip() -> None:
    rows = [
        ("edition", "E"),
        ("counts", "3 planning areas"),
        ("numbered_against", "--previous old.gpkg"),
        ("previous", "old.gpkg sha256:" + "ab" * 32),
        ("continued", "01>01,02>03"),
        ("lineage.0", "HR 01 setzt den bisherigen HR 01 fort"),
        ("lineage.1", "HR 03 setzt den bisherigen HR 02 fort"),
        ("hr_ids_used", "01,02,03"),
        ("changed_during_build", "config/x.yaml"),
        ("a_future_key", "kept"),
    ]
    info = parse_info(rows)
    assert info.previous_sha256 == "ab" * 32
    assert info.continued == (("01", "01"), ("02", "03"))
    assert info.hr_ids_used == ("01", "02", "03")
    assert info.changed_during_build == ("config/x.yaml",)
    assert info.other == (("a_future_key", "kept"),)
    assert info_rows(info) == rows
    # an empty register is written (a build that made no area), an absent one is not
    assert ("hr_ids_used", "") in info_rows(BuildInfo(hr_ids_used=()))
    assert info_rows(BuildInfo()) == []


def test_a_file_that_is_no_build_has_no_record(tmp_path: Path) -> None:
    assert read_build_info(tmp_path / "missing.gpkg") is None
    (tmp_path / "text.gpkg").write_text("not a GeoPackage")
    assert read_build_info(tmp_path / "text.gpkg") is None


def _other_build(source: Path, target: Path) -> None:
    """A copy of ``source`` that is another build: another edition, one area fewer."""
    shutil.copyfile(source, target)
    with sqlite3.connect(target) as db:
        db.execute("UPDATE build_info SET value = 'another build' WHERE key = 'edition'")
        first = db.execute("SELECT min(fid) FROM handlungsraeume").fetchone()[0]
        db.execute("DELETE FROM handlungsraeume WHERE fid = ?", (first,))
    db.close()


@pytest.mark.slow
def test_a_build_replaced_between_two_layer_reads_is_read_as_one_build(
    default_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 24 item 8: diff, explain and profiles opened the file once per layer, so a build
    # renamed over it between two layers mixed two builds.
    import quartiere.io.builds as builds
    from quartiere.io.gdal import read_layer_of

    path = tmp_path / "handlungsraeume.gpkg"
    shutil.copyfile(default_build, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    whole = builds.read_build(path, full=True)
    other = tmp_path / "other.gpkg"
    _other_build(path, other)

    read: list[str] = []

    def interrupted(source: Path | bytes, layer: str, **options: object):
        frame = read_layer_of(source, layer, **options)
        if not read:  # after the first layer, the writer renames another build over the file
            os.replace(other, path)
        read.append(layer)
        return frame

    monkeypatch.setattr(builds, "read_layer_of", interrupted)
    build = builds.read_build(path, full=True)
    assert len(read) >= 4 and not other.exists()  # the file was replaced after the first read
    assert build.info.edition == whole.info.edition == "MSS 2023 / LOR 2021"
    assert len(build.areas) == len(whole.areas)
    assert build.sha256 == digest
    # control: the file now is the other build, as a per-layer reader would have seen it
    assert read_build_info(path) is not None
    assert (read_build_info(path) or BuildInfo()).edition == "another build"
    assert len(read_layer_of(path, "handlungsraeume")) == len(whole.areas) - 1


@pytest.mark.slow
def test_a_configuration_edited_mid_build_is_recorded_as_read_and_caught(tmp_path: Path) -> None:
    # Issue 24 item 6: a build hashed the configuration again after computing, so an edit made
    # while it ran labelled a threshold-70 result with the edited file; make update then said
    # "Nothing to be done".
    import pyogrio

    from quartiere.build_info import built_config_hash
    from quartiere.pipeline import build
    from quartiere.reuse import build_is_current

    config = tmp_path / "edition.yaml"
    validated = (
        f"extends: {ROOT / 'config' / 'editions' / 'mss2023.yaml'}\n"
        "criteria:\n  schools:\n    lmb_threshold: 70\n"
    )
    config.write_text(validated, encoding="utf-8")
    edited = validated.replace("70", "60")
    out = tmp_path / "out" / "handlungsraeume.gpkg"

    def edit_while_running(line: str) -> None:
        if line.startswith("delineate"):  # after loading, before the record and the export
            config.write_text(edited, encoding="utf-8")

    lines: list[str] = []
    result = build(
        config,
        out,
        progress=lambda line: (lines.append(line), edit_while_running(line)),
        write_extras=False,
    )
    assert config.read_text(encoding="utf-8") == edited
    assert result.config.criteria.schools.lmb_threshold == 70
    info = read_build_info(out)
    assert info is not None
    name, digest = info.config_files[-1]
    assert name.endswith("edition.yaml")
    assert digest == hashlib.sha256(validated.encode()).hexdigest()
    assert info.changed_during_build == (name,)
    assert any("changed while the build ran" in line for line in lines)
    text = pyogrio.read_info(out, layer="build_info")["dataset_metadata"]["CONFIG"]
    assert text.endswith(validated) and "lmb_threshold: 60" not in text
    # Never up to date, even once the file says again what was validated: Make's helper forces
    # a rebuild (FORCE) and history's reuse rebuilds.
    config.write_text(validated, encoding="utf-8")
    out.with_suffix(".png").write_bytes(b"")
    (out.parent / "summary.md").write_text("")
    assert built_config_hash(out) is None
    assert not build_is_current(config, out)
