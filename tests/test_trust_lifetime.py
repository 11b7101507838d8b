"""Issue 24, findings 4 and 9: after `kill -9`, no helper holds the output lock and none lives
on; leftovers of dead owners are removed by the next run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GI2018 = ROOT / "config/editions/gi2018.yaml"
import quartiere  # noqa: E402

SRC = Path(quartiere.__file__).resolve().parents[1]  # the sources under test
ENV = {**os.environ, "PYTHONPATH": str(SRC)}


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _locked(directory: Path) -> bool:
    import fcntl

    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the lock `quartiere` takes
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_kill_9_of_a_build_frees_the_lock_and_leaves_no_process(tmp_path):
    out = tmp_path / "handlungsraeume.gpkg"
    # `build` draws its map in its own process (issue 21): under the lock it has no helper
    command = [sys.executable, "-m", "quartiere.cli", "build", "-q", "--config", str(GI2018)]
    proc = subprocess.Popen([*command, "--out", str(out)], env=ENV, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 60
    while not _locked(tmp_path):
        assert proc.poll() is None and time.monotonic() < deadline, "the build took no lock"
        time.sleep(0.05)
    time.sleep(0.5)
    assert children(proc.pid) == [], "a build started a helper process"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    start = time.monotonic()
    while _locked(tmp_path):  # the next run starts at once
        assert time.monotonic() - start < 5, "the output lock outlived its owner"
        time.sleep(0.1)


@pytest.mark.slow  # a sweep of real builds killed at moments: not the fast loop
def test_a_forked_helper_never_holds_the_lock(tmp_path):
    """Even alive, a process forked under the lock does not hold it."""
    script = f"""
import os, sys, time
from pathlib import Path
from quartiere.lifetime import forget_locks, output_lock
os.register_at_fork(after_in_child=forget_locks)
with output_lock(Path({str(tmp_path / "x.gpkg")!r})):
    pid = os.fork()
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    print(pid, flush=True)
    os._exit(0)  # the parent ends; its child lives on
"""
    proc = subprocess.run([sys.executable, "-c", script], env=ENV, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    child = int(proc.stdout.split()[0])
    try:
        from quartiere.lifetime import output_lock

        with output_lock(tmp_path / "x.gpkg", wait=False):
            pass
    finally:
        os.kill(child, signal.SIGKILL)


def test_leftovers_of_dead_owners_are_removed_by_the_next_run(tmp_path):
    from quartiere.io.atomic import write_text_atomically
    from quartiere.scheduled import recover

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    mine = os.getpid()
    for name in (f".update-{dead}-abcd", f".profiles.{dead}-xyz.tmp", f".a.txt.{dead}-q.tmp"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "big").write_bytes(b"x" * 1000)
    live = tmp_path / f".update-{mine}-live"
    live.mkdir()
    recover(tmp_path)  # an update's start
    write_text_atomically(tmp_path / "a.txt", "x")  # any atomic write beside a.txt
    write_text_atomically(tmp_path / "profiles", "x")  # as the profiles' staging does
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([live.name, "a.txt", "profiles"]), names


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` now (children of children ...)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        new = set(children(todo.pop())) - found
        found |= new
        todo += sorted(new)
    return found


def is_chromium(pid: int) -> bool:
    try:
        return b"chrom" in Path(f"/proc/{pid}/cmdline").read_bytes().lower()
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.client("chromium")
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and prctl")
def test_kill_9_of_profiles_ends_chromium_and_frees_the_lock(tmp_path):
    import fcntl

    build = tmp_path / "build" / "handlungsraeume.gpkg"
    made = subprocess.run([sys.executable, "-m", "quartiere.cli", "build", "-q", "--config",
                           str(GI2018), "--out", str(build)], env=ENV, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert made.returncode == 0, made.stderr
    out = tmp_path / "profiles"
    command = [sys.executable, "-m", "quartiere.cli", "profiles", "-q", "--config", str(GI2018),
               "--build", str(build), "--out", str(out)]  # fmt: skip
    proc = subprocess.Popen(command, env=ENV, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    seen: set[int] = set()
    deadline = time.monotonic() + 120
    while not list(tmp_path.rglob("*.pdf")):  # the printer is printing
        assert proc.poll() is None, "profiles ended before it printed"
        assert time.monotonic() < deadline, "no PDF printed"
        seen |= descendants(proc.pid)
        time.sleep(0.02)
    seen |= descendants(proc.pid)
    browsers = {pid for pid in seen if is_chromium(pid)}
    assert browsers, "no Chromium process seen"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    start = time.monotonic()
    while left := [pid for pid in seen if alive(pid)]:
        if time.monotonic() - start > 5:
            for pid in left:
                os.kill(pid, signal.SIGKILL)
            named = {pid: Path(f"/proc/{pid}/comm").read_text().strip() for pid in left}
            pytest.fail(f"alive 5 s after kill -9 of profiles: {named}")
        time.sleep(0.1)
    fd = os.open(tmp_path, os.O_RDONLY)  # the next run starts at once: the lock is free
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(fd)
    again = subprocess.run([*command, "--no-pdf"], env=ENV, cwd=ROOT, capture_output=True,
                           text=True, timeout=120)  # fmt: skip
    assert again.returncode == 0, again.stderr
