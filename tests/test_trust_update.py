"""Issue 24, findings 3, 5 and 7: an update is one transaction; memos are never overwritten.

The kill sweep sends SIGKILL and SIGTERM to `quartiere update` just before each rename it does
(every moment it changes the disk; its build is replaced by a copy of a prepared one, so a run
takes about a second), then checks that what is on disk is the old state whole or the new state
whole, that the message says which, and that the next run is correct. Real `make update` runs are
killed by process group as `timeout` and Ctrl-C do; the Makefile marks its outputs precious.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from quartiere.cli import main

ROOT = Path(__file__).resolve().parents[1]
GI2018 = ROOT / "config/editions/gi2018.yaml"
SCRIPT = ROOT / "tests/trust/killed_update.py"
BIN = Path(sys.executable).parent
SRC = Path(__import__("quartiere").__file__).resolve().parents[1]  # the sources under test


def run(*args: str):
    return CliRunner().invoke(main, list(args))


EPOCH = "1767225600"  # 2026-01-01T00:00:00Z


def snapshot(directory: Path) -> dict[str, str]:
    """Every file of the record: the build by content, the memo by presence."""
    state = {}
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory).as_posix()
        if path.is_dir() or rel.startswith(".cache"):
            continue
        if rel.startswith("changes"):
            # the memo by presence: GDAL dates its GeoPackage, and its text names the files
            # compared by their paths, which differ between the test's folders
            state[rel] = "present"
        else:
            state[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


@pytest.fixture(scope="module")
def states(tmp_path_factory):
    """OLD: a first build. NEW: after an update that changed the result."""
    base = tmp_path_factory.mktemp("states")
    lower = base / "lower.yaml"
    lower.write_text(f"extends: {GI2018}\ncriteria:\n  schools:\n    lmb_threshold: 60\n")
    old = base / "old" / "handlungsraeume.gpkg"
    assert run("update", "-q", "--config", str(GI2018), "--out", str(old)).exit_code == 0
    new = base / "new" / "handlungsraeume.gpkg"
    shutil.copytree(old.parent, new.parent)
    # a fixed build time: a real `make update` that completes reaches exactly this NEW state
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        result = run("update", "-q", "--config", str(lower), "--out", str(new))
    finally:
        if saved is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved
    assert result.exit_code == 0 and result.output.startswith("changed:"), result.output
    from quartiere.io.build_record import read_build_info

    built_at = read_build_info(new).built_at  # read as quartiere reads: no GDAL side file
    return {
        "old": old.parent,
        "new": new.parent,
        "lower": lower,
        "built_at": built_at,
        "OLD": snapshot(old.parent),
        "NEW": snapshot(new.parent),
    }


def _command(states, work: Path, k: int, sig: str) -> list[str]:
    out = work / "handlungsraeume.gpkg"
    args = [str(states["new"]), states["built_at"], str(k), sig, "--"]
    args += ["update", "-q", "--config", str(states["lower"]), "--out", str(out)]
    return [sys.executable, str(SCRIPT), *args]


ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(ROOT / "tests")])}


def killed(states, work: Path, k: int, sig: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _command(states, work, k, sig), capture_output=True, text=True, env=ENV, timeout=60
    )


def killed_all(states, runs: list[tuple[Path, int, str]], parallel: int = 3) -> list[tuple]:
    """Run the killed updates a few at a time; (returncode, stderr) in order."""
    results: list[tuple] = []
    for i in range(0, len(runs), parallel):
        procs = [
            subprocess.Popen(
                _command(states, w, k, s), stderr=subprocess.PIPE, text=True, env=ENV,
                stdout=subprocess.DEVNULL,
            )
            for w, k, s in runs[i : i + parallel]
        ]  # fmt: skip
        errors = [p.communicate(timeout=60)[1] for p in procs]
        results += [(p.returncode, err) for p, err in zip(procs, errors, strict=True)]
    return results


@pytest.mark.slow  # a sweep of real updates killed at moments: not the fast loop
def test_kill_sweep_leaves_the_old_or_the_new_state_whole(states, tmp_path):
    from quartiere.scheduled import JOURNAL, recover

    clean = killed(states, _fresh(states, tmp_path / "count"), 10**6, "SIGTERM")
    assert clean.returncode == 0, clean.stderr
    assert snapshot(tmp_path / "count") == states["NEW"]
    renames = [line.split()[2] for line in clean.stderr.splitlines() if line.startswith("rename ")]
    commit = renames.index(JOURNAL) + 1  # the k of the journal's rename: the commit point
    # The renames before commit - 1 happen inside the staging folder, all alike: the first of
    # them, then SIGKILL at every moment from the last staged file on, and SIGTERM around the
    # commit (within it, it is held back) and at the last rename.
    plan = [(k, "SIGKILL") for k in [1, *range(commit - 1, len(renames) + 2)]]
    plan += [(k, "SIGTERM") for k in (1, commit - 1, commit, commit + 1, len(renames))]
    runs = [(_fresh(states, tmp_path / f"{sig}-{k}"), k, sig) for k, sig in plan]
    seen = set()
    for (work, k, sig), (code, stderr) in zip(runs, killed_all(states, runs), strict=True):
        said = None
        if k > len(renames):  # after the last rename: not interrupted
            assert code == 0, stderr
        elif sig == "SIGTERM":
            assert code == 130, stderr
            line = [s for s in stderr.splitlines() if s.startswith("interrupted")]
            assert len(line) == 1, stderr
            said = "NEW" if "after the update was committed: changed:" in line[0] else "OLD"
            if said == "OLD":
                assert "before the update was committed" in line[0], line
        else:
            assert code == -signal.SIGKILL, stderr
        recover(work)  # what the next run (or make's FORCE) does first
        state = snapshot(work)
        which = "NEW" if state == states["NEW"] else "OLD" if state == states["OLD"] else None
        assert which is not None, (sig, k, sorted(set(state) ^ set(states["NEW"])))
        assert said in (None, which), (sig, k, stderr)
        # SIGTERM is held back from the journal on; SIGKILL cannot be: the journal decides
        assert which == ("OLD" if k < commit + (sig == "SIGKILL") else "NEW"), (sig, k)
        assert not [p for p in work.iterdir() if p.name.startswith((".update", "..update"))]
        seen.add(which)
    assert seen == {"OLD", "NEW"}
    # the next run is correct, whatever the kill left: just before and just after the commit
    for work, k, sig in runs:
        if k in (commit, commit + 1) and sig == "SIGKILL":
            again = killed(states, work, 0, "SIGTERM")
            assert again.returncode == 0, again.stderr
            assert snapshot(work) == states["NEW"], (sig, k)


def _fresh(states, work: Path) -> Path:
    shutil.copytree(states["old"], work)
    return work


def test_makefile_outputs_are_precious():
    """SIGTERM to make's process group must never make make delete the GeoPackage."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    database = subprocess.run(
        ["make", "-pn", "-C", str(ROOT), f"BIN={BIN}", "OUT=x/handlungsraeume.gpkg", "update"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    ).stdout
    precious = [line for line in database.splitlines() if line.startswith(".PRECIOUS:")]
    assert precious and "x/handlungsraeume.gpkg" in precious[0].split()


@pytest.mark.slow  # make update killed at moments: not the fast loop
@pytest.mark.parametrize(("sig", "after"), [("SIGTERM", 2.0), ("SIGKILL", 3.5), ("SIGTERM", 5.0)])
def test_make_update_killed_by_process_group(states, tmp_path, sig, after):
    """A real `make update`, killed by process group: the record stays whole, the next run is
    correct (here: finishes the committed update, or does it again)."""
    from quartiere.scheduled import recover

    work = _fresh(states, tmp_path / "w")
    out = work / "handlungsraeume.gpkg"
    env = {**os.environ, "PYTHONPATH": str(SRC), "SOURCE_DATE_EPOCH": EPOCH}
    command = [
        "make", "-s", "-C", str(ROOT), f"BIN={BIN}", f"STAMP={BIN.parent / '.installed'}",
        f"CONFIG={states['lower']}", f"OUT={out}", "update",
    ]  # fmt: skip
    proc = subprocess.Popen(command, env=env, start_new_session=True, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    time.sleep(after)
    os.killpg(proc.pid, getattr(signal, sig))
    output, _ = proc.communicate(timeout=60)
    assert "Traceback" not in output
    assert out.is_file(), output  # never deleted by make
    recover(work)
    got = snapshot(work)
    if "changed:" in output:  # the update committed before the signal: the whole new record
        from quartiere.io.build_record import read_build_info

        assert set(got) == set(states["NEW"]), output
        assert read_build_info(out).built_at == states["built_at"], output
    else:  # interrupted: the old record, byte for byte
        differ = sorted(
            k for k in set(got) | set(states["OLD"]) if got.get(k) != states["OLD"].get(k)
        )
        assert not differ, f"{differ}\n{output}"


def test_memo_folders_are_unique_with_a_fixed_build_time(tmp_path):
    """Finding 5: with SOURCE_DATE_EPOCH every build has the same time; no memo is overwritten."""
    from quartiere.scheduled import _memo_name

    assert _memo_name(tmp_path, "20260101T000000Z") == "20260101T000000Z"
    (tmp_path / "changes" / "20260101T000000Z").mkdir(parents=True)
    assert _memo_name(tmp_path, "20260101T000000Z") == "20260101T000000Z-2"
    (tmp_path / "changes" / "20260101T000000Z-2").mkdir()
    assert _memo_name(tmp_path, "20260101T000000Z") == "20260101T000000Z-3"


def test_an_interrupted_history_leaves_no_memo_a_rerun_keeps(tmp_path):
    """Finding 7: a memo older than a build it compares is written again, never kept."""
    from quartiere.history import _memo_after

    builds = [tmp_path / "a.gpkg", tmp_path / "b.gpkg"]
    memo = [tmp_path / f"changes.{x}" for x in ("gpkg", "md", "json")]
    for path in [*builds, *memo]:
        path.write_text("x")
    assert _memo_after(memo, builds)
    os.utime(builds[1], ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))  # rebuilt later
    assert not _memo_after(memo, builds)  # interrupted before its memo: written again
    memo[0].unlink()
    assert not _memo_after(memo, builds)
