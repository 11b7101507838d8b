"""The command line: one clear line and an exit code for every user error, never a traceback."""

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from quartiere.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "config/criteria.yaml"
GI2018 = ROOT / "config/editions/gi2018.yaml"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def one_error_line(result) -> str:
    # progress lines may precede it; exactly one line reports the problem
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if "error" in line]
    assert len(errors) == 1, result.output
    assert errors[0].startswith("error: ")
    return errors[0]


def edition(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "edition.yaml"
    path.write_text(f"extends: {GI2018}\n{text}", encoding="utf-8")
    return path


def test_missing_config_is_a_configuration_error(tmp_path):
    result = run("validate", "--config", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "configuration file not found" in one_error_line(result)


def test_unknown_key_is_named(tmp_path):
    path = edition(tmp_path, "criteria:\n  mss:\n    atention: []\n")
    result = run("validate", "--config", str(path))
    assert result.exit_code == 2
    assert "criteria.mss.atention: unknown key; did you mean 'attention'?" in one_error_line(result)


def test_table_for_another_lor_edition_is_refused(tmp_path):
    # MSS 2021 is on LOR 2021 ids: none of them matches a LOR 2006 planning area
    path = edition(tmp_path, f"mss:\n  path: {ROOT / 'data/raw/mss/mss2021_index.csv'}\n")
    result = run("validate", "--config", str(path))
    assert result.exit_code == 3
    line = one_error_line(result)
    assert "mss2021_index.csv" in line and "matches no planning area" in line


def test_missing_column_is_named(tmp_path):
    path = edition(tmp_path, "mss:\n  status: status_klasse\n")
    result = run("validate", "--config", str(path))
    assert result.exit_code == 3
    assert "status_klasse" in one_error_line(result)


def test_validate_reports_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("validate", "--config", str(GI2018))
    assert result.exit_code == 0, result.output
    assert "ok: GI 2018" in result.output and "448 planning areas" in result.output
    assert list(tmp_path.iterdir()) == []


def test_explain_unknown_id(tmp_path):
    result = run("explain", "99999999", "--config", str(GI2018))
    assert result.exit_code == 3
    assert "no planning area '99999999'" in one_error_line(result)


def start_build(config: Path, out: Path) -> subprocess.Popen[str]:
    """``quartiere build`` in a process of its own, its progress readable on stderr."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "quartiere.cli",
            "build",
            "--config",
            str(config),
            "--out",
            str(out),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_failed_and_interrupted_builds_leave_the_previous_output_intact(tmp_path):
    out = tmp_path / "out" / "handlungsraeume.gpkg"
    first = run("build", "--config", str(GI2018), "--out", str(out))
    assert first.exit_code == 0, first.output
    assert out.is_file() and out.with_suffix(".png").is_file()
    before = digest(out)
    files_before = sorted(p.name for p in out.parent.iterdir())

    broken = edition(tmp_path, "atlas:\n  column: GESIx_2099\n")
    failed = run("build", "--config", str(broken), "--out", str(out))
    assert failed.exit_code == 3
    assert "GESIx_2099" in one_error_line(failed)
    assert digest(out) == before

    # a real process, terminated while it works
    proc = start_build(DEFAULT, out)
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("harmonize"):
            break
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    rest = proc.stderr.read()
    assert proc.wait(timeout=60) != 0
    assert "Traceback" not in rest
    assert digest(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == files_before


def test_help_documents_exit_codes():
    result = run("build", "--help")
    assert "bad configuration" in result.output and "bad input data" in result.output


def test_official_lmb_table_with_an_unknown_catchment(tmp_path):
    table = tmp_path / "lmb.csv"
    table.write_text("ESB;lmb\n0801;80,5\n9999;12,0\n", encoding="cp1252")
    path = edition(
        tmp_path,
        "catchments:\n  lmb_source: official\n  official:\n"
        f"    path: {table}\n    id: ESB\n    share: lmb\n",
    )
    result = run("validate", "--config", str(path))
    assert result.exit_code == 3
    line = one_error_line(result)
    assert "lmb.csv" in line and "'9999' matches no catchment in the catchment layer" in line


@pytest.mark.slow
def test_disk_full_while_writing_keeps_the_previous_output(tmp_path, monkeypatch):
    import errno

    import quartiere.io.gpkg as gpkg

    out = tmp_path / "handlungsraeume.gpkg"
    assert run("build", "--config", str(GI2018), "--out", str(out)).exit_code == 0
    before = digest(out)
    names = sorted(p.name for p in tmp_path.iterdir())

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(out))

    monkeypatch.setattr(gpkg.os, "replace", full)
    result = run("build", "--config", str(GI2018), "--out", str(out))
    assert result.exit_code == 1
    assert one_error_line(result) == f"error: {out}: cannot write: no space left on device"
    assert digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == names  # no temporary files left


@pytest.mark.slow
def test_a_second_build_waits_for_the_first(tmp_path):
    import fcntl

    out = tmp_path / "handlungsraeume.gpkg"
    holder = os.open(tmp_path, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)  # as a running build does
    try:
        proc = start_build(GI2018, out)
        assert proc.stderr is not None
        first = proc.stderr.readline()
        assert first.startswith("waiting for another build writing into")
        time.sleep(0.5)
        assert proc.poll() is None and not out.exists()
    finally:
        os.close(holder)
    proc.stderr.read()
    assert proc.wait(timeout=120) == 0
    assert out.is_file()


def test_validate_checks_the_delineation_rules_and_mss_classes(tmp_path):
    bad_rule = edition(tmp_path, 'delineation:\n  seed: "n_criteria => 2"\n')
    result = run("validate", "--config", str(bad_rule))
    assert result.exit_code == 2
    assert "delineation.seed: 'n_criteria => 2' is not a valid expression" in one_error_line(result)

    unknown_name = edition(tmp_path, 'delineation:\n  join: "c_msss or c_atlas"\n')
    result = run("validate", "--config", str(unknown_name))
    assert result.exit_code == 2
    assert "c_msss" in one_error_line(result)

    typo = edition(tmp_path, "criteria:\n  mss:\n    attention:\n      - status: [sehr niedig]\n")
    result = run("validate", "--config", str(typo))
    assert result.exit_code == 2
    assert "['sehr niedig'] is not a status class of the MSS" in one_error_line(result)


def test_an_unknown_class_in_the_mss_table_is_refused_not_read_as_not_met(tmp_path):
    source = (ROOT / "data/raw/mss/mss2017_index.csv").read_text(encoding="utf-8")
    table = tmp_path / "mss.csv"
    table.write_text(source.replace("sehr niedrig", "sehr_niedrig", 1), encoding="utf-8")
    result = run("validate", "--config", str(edition(tmp_path, f"mss:\n  path: {table}\n")))
    assert result.exit_code == 3
    line = one_error_line(result)
    assert "mss.csv: id " in line and "status class 'sehr_niedrig' is none of" in line


def test_profiles_of_a_file_that_is_no_geopackage_is_an_input_error(tmp_path):
    # A plausible slip: --build names the map next to the GeoPackage.
    png = tmp_path / "handlungsraeume.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    result = run("profiles", "--build", str(png), "--out", str(tmp_path / "p"), "--no-pdf")
    assert result.exit_code == 3
    line = one_error_line(result)
    assert "handlungsraeume.png: not a GeoPackage; is this a quartiere build?" in line


@pytest.mark.parametrize(
    "command",
    [
        ["diff", "OLD", "OLD"],
        ["history", str(GI2018)],
        ["profiles", "--no-pdf"],
        ["sensitivity", "--samples", "2"],
    ],
)
def test_an_output_directory_that_is_a_file_is_a_configuration_error(tmp_path, command):
    # A plausible slip: --out names the map (or any file) where a directory is wanted.
    taken = tmp_path / "handlungsraeume.png"
    taken.write_bytes(b"not a directory")
    args = [str(taken) if a == "OLD" else a for a in command]
    result = run(*args, "--out", str(taken))
    assert result.exit_code == 2  # was 1, "File exists", after the work was done
    assert one_error_line(result) == f"error: --out {taken}: is a file; name a directory"
    assert taken.read_bytes() == b"not a directory"
