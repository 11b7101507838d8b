"""One staleness rule (issue 21): Make's helper, history's reuse and explain ask the same function.

:func:`quartiere.reuse.why_stale` is the rule. The first tests check it on records made in
memory (fast); the last builds a lineage-numbered build and asks all three callers through their
own entry points (``quartiere inputs --check-built``, ``reuse.build_is_current``, ``quartiere
explain --build``) about the same files: they must agree on every case, so a caller with a rule
of its own fails here.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from quartiere.build_info import source_files
from quartiere.cli import main
from quartiere.config import load_config
from quartiere.io import cache as cache_module
from quartiere.io.beside import update_journal
from quartiere.io.cache import code_version
from quartiere.record import BuildInfo
from quartiere.reuse import why_stale

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "config" / "criteria.yaml"
GI2018 = ROOT / "config" / "editions" / "gi2018.yaml"


def _record(config_path: Path, **fields: object) -> BuildInfo:
    """The record a build of ``config_path`` made now by this code would have."""
    config = load_config(config_path)
    files = source_files(config)
    n = len(config.files)
    return BuildInfo(
        config_files=tuple(files[:n]),
        inputs=tuple(files[n:]),
        code_version=code_version(),
        **fields,  # type: ignore[arg-type]
    )


@pytest.fixture
def out(tmp_path: Path) -> Path:
    path = tmp_path / "handlungsraeume.gpkg"
    path.write_bytes(b"the record is given; the rule only needs the file to be there")
    return path


def test_a_lineage_numbered_build_is_current_unless_a_numbering_is_asked(out: Path) -> None:
    # The defect: without --previous, reuse required "numbered against nothing", so no build
    # numbered as the lineage numbers it (in memory or against a file) was ever current.
    config = load_config(DEFAULT)
    for previous in ("computed in memory", f"handlungsraeume.gpkg sha256:{'0' * 64}"):
        info = _record(DEFAULT, previous=previous, numbered_against="mss2021: somewhere")
        assert why_stale(config, out, info=info) is None
        assert why_stale(config, out, info=info, afresh=True) == (
            f"it was numbered against a build ({previous}), not afresh"
        )
    afresh = _record(DEFAULT)
    assert why_stale(config, out, info=afresh, afresh=True) is None
    # asked for a file: its SHA-256 now
    other = out.with_name("other.gpkg")
    other.write_bytes(b"an earlier build")
    assert why_stale(config, out, info=afresh, previous=other) is not None
    from quartiere.io.builds import sha256

    against = _record(DEFAULT, previous=f"other.gpkg sha256:{sha256(other)}")
    assert why_stale(config, out, info=against, previous=other) is None
    other.write_bytes(b"an earlier build, rebuilt")
    assert why_stale(config, out, info=against, previous=other) == (
        f"it was not numbered against {other} as that file is now"
    )


def test_each_difference_is_named(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(DEFAULT)
    info = _record(DEFAULT)
    name, _ = info.inputs[0]
    changed = dataclasses.replace(info, inputs=((name, "0" * 64), *info.inputs[1:]))
    assert why_stale(config, out, info=changed) == f"input {name} changed since it was built"
    other = load_config(GI2018)
    assert "configuration file" in (why_stale(other, out, info=info) or "")
    during = dataclasses.replace(info, changed_during_build=(name,))
    assert why_stale(config, out, info=during) == f"{name} changed while it was built"
    assert why_stale(config, out.with_name("none.gpkg"), info=info) == "there is no such build"
    assert why_stale(config, out) == "it has no build record (build_info)"  # not a GeoPackage
    update_journal(out).write_text("{}", encoding="utf-8")
    assert "an update of its directory is to be finished" in (
        why_stale(config, out, info=info) or ""
    )
    update_journal(out).unlink()
    monkeypatch.setattr(cache_module, "code_version", lambda: "another version")
    assert why_stale(config, out, info=info) == "it was made by another version of the code"


# -- the three callers on real builds ---------------------------------------------------------


def _callers(config_path: Path, build: Path, plr_id: str) -> dict[str, bool]:
    """Whether each caller takes ``build`` as current for ``config_path``."""
    from quartiere.reuse import build_is_current

    runner = CliRunner()
    listed = runner.invoke(
        main, ["inputs", "--config", str(config_path), "--check-built", str(build)]
    )
    assert listed.exit_code == 0, listed.output
    explained = runner.invoke(
        main, ["explain", plr_id, "--config", str(config_path), "--build", str(build)]
    )
    assert explained.exit_code in (0, 2), explained.output
    if explained.exit_code == 2:  # refused in one line, saying why
        (line,) = [x for x in explained.output.splitlines() if x.startswith("error:")]
        assert "not current" in line
    return {
        "make": "FORCE" not in listed.output.splitlines(),
        "reuse": build_is_current(config_path, build),
        "explain": explained.exit_code == 0,
    }


def _set_record(build: Path, key: str, value: str) -> None:
    with sqlite3.connect(build) as db:
        assert db.execute("UPDATE build_info SET value = ? WHERE key = ?", (value, key)).rowcount


@pytest.mark.slow
def test_make_reuse_and_explain_apply_one_rule(
    default_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from quartiere.io.builds import read_build
    from quartiere.pipeline import build
    from quartiere.record import Baseline

    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("QUARTIERE_CACHE", str(default_build.parent / ".cache"))  # warm
    # A build numbered as the lineage numbers it: against the earlier edition's build file.
    earlier = Baseline(read_build(default_build), "mss2021", str(default_build), default_build)
    lineage = tmp_path / "lineage" / "handlungsraeume.gpkg"
    build(DEFAULT, lineage, previous=earlier)
    info = read_build(lineage).info
    assert info.previous is not None and info.numbered_against is not None  # lineage-numbered
    plr_id = str(read_build(lineage).planning_areas["plr_id"].iloc[0])
    assert _callers(DEFAULT, lineage, plr_id) == dict.fromkeys(("make", "reuse", "explain"), True)
    assert _callers(GI2018, lineage, plr_id) == dict.fromkeys(("make", "reuse", "explain"), False)

    def copy(name: str) -> Path:
        target = tmp_path / name / "handlungsraeume.gpkg"
        shutil.copytree(lineage.parent, target.parent, ignore=shutil.ignore_patterns(".cache"))
        return target

    changed = copy("input-changed")  # as if an input file changed after the build
    name, _ = info.inputs[0]
    _set_record(changed, f"input:{name}", "sha256:" + "0" * 64)
    assert _callers(DEFAULT, changed, plr_id) == dict.fromkeys(("make", "reuse", "explain"), False)

    pending = copy("pending")
    update_journal(pending).write_text("{}", encoding="utf-8")
    assert _callers(DEFAULT, pending, plr_id) == dict.fromkeys(("make", "reuse", "explain"), False)

    monkeypatch.setattr(cache_module, "code_version", lambda: "another version")
    assert _callers(DEFAULT, lineage, plr_id) == dict.fromkeys(("make", "reuse", "explain"), False)
