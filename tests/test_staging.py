"""The one staging helper (issue 21): every output is staged and committed by
``quartiere.io.atomic.staging``; a commit of several renames is journalled and finished by the
next run; a folder replaces a folder in one exchange; dead owners' leftovers go, a live one's stay.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from quartiere.io.atomic import journal_path, recover, staging

ROOT = Path(__file__).resolve().parents[1]
SRC = Path(__import__("quartiere").__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(SRC)}


def _killed_commit(out: Path, kill_at: int, into: bool = False) -> subprocess.CompletedProcess:
    """A child stages a.txt, b.txt and out's own name (new contents) and SIGKILLs itself
    just before its ``kill_at``-th rename."""
    code = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from quartiere.io.atomic import staging
        real, count = os.replace, [0]
        def replace(src, dst):
            count[0] += 1
            if count[0] == {kill_at}:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(src, dst)
        out = Path({str(out)!r})
        with staging(out, into={into}) as stage:
            for name in ("a.txt", "b.txt", "{"z.txt" if into else out.name}"):
                (stage / name).write_text("new " + name)
            os.replace = replace
        """
    )
    return subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True)


def _old_state(directory: Path, names: tuple[str, ...]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / name).write_text("old " + name)


def _contents(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(directory.iterdir()) if p.is_file()}


def test_a_commit_killed_before_its_journal_leaves_the_old_state_and_no_leftover(tmp_path):
    out = tmp_path / "out.gpkg"
    _old_state(tmp_path, ("a.txt", "b.txt", "out.gpkg"))
    # rename 1 is the journal's own (written atomically): killed before it
    run = _killed_commit(out, kill_at=1)
    assert run.returncode == -9, run.stderr
    assert _contents(tmp_path) == {n: f"old {n}" for n in ("a.txt", "b.txt", "out.gpkg")}
    assert recover(out) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt", "out.gpkg"]


@pytest.mark.parametrize("kill_at", [2, 3, 4])
def test_a_commit_killed_after_its_journal_is_finished_by_the_next_run(tmp_path, kill_at):
    out = tmp_path / "out.gpkg"
    _old_state(tmp_path, ("a.txt", "b.txt", "out.gpkg"))
    run = _killed_commit(out, kill_at=kill_at)
    assert run.returncode == -9, run.stderr
    assert journal_path(out).is_file()
    # the output's own name goes last: until then a reader still sees the old build
    assert (tmp_path / "out.gpkg").read_text() == "old out.gpkg"
    mixed = _contents(tmp_path)
    assert sum(v.startswith("new") for v in mixed.values()) == kill_at - 2
    with staging(out) as stage:  # the next run, whatever it stages
        (stage / "c.txt").write_text("c")
    assert _contents(tmp_path) == {
        "a.txt": "new a.txt",
        "b.txt": "new b.txt",
        "c.txt": "c",
        "out.gpkg": "new out.gpkg",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt", "c.txt", "out.gpkg"]


def test_a_folder_of_outputs_killed_mid_commit_is_finished_and_keeps_other_files(tmp_path):
    atlas = tmp_path / "atlas"
    _old_state(atlas, ("a.txt", "b.txt", "z.txt", "mine.txt"))
    run = _killed_commit(atlas, kill_at=3, into=True)
    assert run.returncode == -9, run.stderr
    note = recover(atlas)
    assert note == ""  # finished (a note-less commit)
    assert _contents(atlas) == {
        "a.txt": "new a.txt",
        "b.txt": "new b.txt",
        "mine.txt": "old mine.txt",  # not staged, not pruned: left alone
        "z.txt": "new z.txt",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["atlas"]


def test_a_live_owners_journal_is_left_alone_until_it_is_gone(tmp_path):
    out = tmp_path / "out.txt"
    stage = tmp_path / ".out.txt.1-x.tmp"
    stage.mkdir()
    (stage / "out.txt").write_text("new")
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        record = {
            "owner": owner.pid,
            "stage": stage.name,
            "moves": [[f"{stage.name}/out.txt", "out.txt"]],
        }
        journal_path(out).write_text(json.dumps(record))
        assert recover(out) is None  # its commit is in progress: never raced
        assert not out.exists() and journal_path(out).exists()
    finally:
        owner.kill()
        owner.wait()
    assert recover(out) == ""
    assert out.read_text() == "new" and not journal_path(out).exists() and not stage.exists()


def test_a_journal_of_an_earlier_version_without_owner_is_finished(tmp_path):
    """The scheduled update's journals had no owner: such a journal is finished, as before."""
    from quartiere.scheduled import JOURNAL
    from quartiere.scheduled import recover as recover_update

    stage = tmp_path / ".update-123-abc"
    (stage / "new").mkdir(parents=True)
    (stage / "new" / "handlungsraeume.gpkg").write_text("new")
    record = {
        "stage": stage.name,
        "moves": [[f"{stage.name}/new/handlungsraeume.gpkg", "handlungsraeume.gpkg"]],
        "outcome": "changed: previous.gpkg updated",
    }
    (tmp_path / JOURNAL).write_text(json.dumps(record))
    line = recover_update(tmp_path)
    assert (
        line == "finished the update interrupted while committing: changed: previous.gpkg updated"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["handlungsraeume.gpkg"]


def test_a_folder_replaces_a_folder_whole_in_one_step(tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "data").mkdir(parents=True)
    (site / "data" / "old.js").write_text("old")
    (site / "index.html").write_text("old")
    renames: list[str] = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (renames.append(str(b)), real(a, b))[1])
    with staging(site) as stage:
        (stage / "site" / "lib").mkdir(parents=True)
        (stage / "site" / "lib" / "new.js").write_text("new")
        (stage / "site" / "index.html").write_text("new")
    files = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert files == ["index.html", "lib/new.js"]  # nothing of the old site survives
    assert (site / "index.html").read_text() == "new"
    if sys.platform.startswith("linux"):
        assert renames == []  # exchanged (renameat2), never moved aside: no moment without it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_prune_removes_what_was_not_staged_in_the_same_commit(tmp_path):
    out = tmp_path / "profiles"
    _old_state(out, ("01.html", "02.html", "02.pdf", "notes.txt"))
    with staging(out, into=True, prune=lambda p: p.suffix in (".html", ".pdf")) as stage:
        (stage / "01.html").write_text("new")
        (stage / "index.html").write_text("new")
    assert _contents(out) == {"01.html": "new", "index.html": "new", "notes.txt": "old notes.txt"}


def test_a_failure_inside_moves_nothing_and_leaves_nothing(tmp_path):
    out = tmp_path / "atlas"
    _old_state(out, ("scenarios.csv",))
    with pytest.raises(RuntimeError, match="boom"), staging(out, into=True) as stage:
        (stage / "scenarios.csv").write_text("new")
        raise RuntimeError("boom")
    assert _contents(out) == {"scenarios.csv": "old scenarios.csv"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["atlas"]


def test_a_journalled_commit_refuses_to_replace_a_folder(tmp_path):
    """An exchange cannot be told from its undoing when a journal is replayed."""
    (tmp_path / "site").mkdir()
    with (
        pytest.raises(ValueError, match="only in a commit of its own"),
        staging(tmp_path / "x") as stage,
    ):
        (stage / "site").mkdir()
        (stage / "x").write_text("x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


_STAGING = re.compile(
    r"mkdtemp|TemporaryDirectory|os\.(?:replace|rename)\(|\.rename\([a-z_][\w.]*\)|shutil\.move\("
)


def test_no_module_but_the_helper_stages_or_renames_an_output():
    """profiles, site, sensitivity, history, diff, the update, fetch: all through io/atomic."""
    offenders = []
    for path in sorted((ROOT / "src" / "quartiere").rglob("*.py")):
        if path.relative_to(ROOT).as_posix() == "src/quartiere/io/atomic.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if _STAGING.search(line.split("#", 1)[0]):
                offenders.append(f"{path.relative_to(ROOT).as_posix()}:{number}: {line.strip()}")
    # the command line's scratch folder (profiles a site embeds, copied in) is no output
    scratch = [o for o in offenders if o.startswith("src/quartiere/cli.py") and "scratch" in o]
    assert len(scratch) == 1
    assert [o for o in offenders if o not in scratch] == []


def test_a_build_commit_left_to_finish_makes_make_rebuild(tmp_path):
    """The one staleness rule (:func:`quartiere.reuse.why_stale`, which ``quartiere inputs
    --check-built`` asks) calls a build stale while its own journal or an update's is pending,
    before it looks at anything else: the next run finishes the commit."""
    from click.testing import CliRunner

    from quartiere.cli import main
    from quartiere.config import load_config
    from quartiere.reuse import why_stale

    built = tmp_path / "handlungsraeume.gpkg"
    built.write_text("old")
    config_path = ROOT / "config" / "criteria.yaml"
    config = load_config(config_path)

    def forced() -> bool:
        result = CliRunner().invoke(
            main, ["inputs", "--config", str(config_path), "--check-built", str(built)]
        )
        assert result.exit_code == 0, result.output
        return result.output.splitlines()[-1] == "FORCE"

    assert why_stale(config, built) == "it has no build record (build_info)"
    journal_path(built).write_text("{}")
    assert "its own commit is to be finished" in why_stale(config, built)
    assert forced()
    journal_path(built).unlink()
    (tmp_path / ".update-journal.json").write_text("{}")
    assert "an update of its directory is to be finished" in why_stale(config, built)
    assert forced()
