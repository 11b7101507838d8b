"""Issue 24, finding 10 (full disk): a write that runs out of space is one line naming the file,
exit status 1, and the previous output stays whole.

The disk is really full: a small tmpfs is mounted (root only; skipped with the reason otherwise)
and filled with a filler file until only so many bytes are free, so that GDAL, SQLite or a plain
write meets ENOSPC at different moments of the write.
"""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import quartiere

ROOT = Path(__file__).resolve().parents[1]
GI2018 = ROOT / "config/editions/gi2018.yaml"
MSS2019 = ROOT / "config/editions/mss2019.yaml"
SRC = Path(quartiere.__file__).resolve().parents[1]  # the sources under test
# no cache: its writes (which fail quietly) would take the space the test leaves free
ENV = {**os.environ, "PYTHONPATH": str(SRC), "QUARTIERE_CACHE": "off"}
DISK = "48m"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="tmpfs, statvfs")


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of its own (``DISK``), unmounted after the test."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK}", "tmpfs", str(mount)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"a small file system to fill needs `mount -t tmpfs` (root): {done.stderr}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def leave_free(disk: Path, free: int) -> None:
    """Fill ``disk`` (with ``disk/filler``) until about ``free`` bytes are left."""
    filler = disk / "filler"
    filler.unlink(missing_ok=True)
    stat = os.statvfs(disk)
    size = stat.f_bavail * stat.f_frsize - free
    with open(filler, "wb") as handle:
        handle.truncate(0)
        os.posix_fallocate(handle.fileno(), 0, max(size, 0))


def snapshot(directory: Path) -> dict[str, str]:
    return {
        p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file()
        else "dir"
        for p in sorted(directory.rglob("*"))
    }


def quartiere_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "quartiere.cli", *args], env=ENV, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def assert_one_line(done: subprocess.CompletedProcess[str], path: Path) -> None:
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: {path}: cannot write: no space left on device"
    ], done.stderr
    assert done.returncode == 1  # docs/usage.md: the output cannot be written (disk full)


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, Path]:
    """Two builds on a disk with room: the old state of each test, and a pair to diff."""
    base = tmp_path_factory.mktemp("builds")
    made = {}
    for name, config in (("gi2018", GI2018), ("mss2019", MSS2019)):
        out = base / name / "handlungsraeume.gpkg"
        done = quartiere_cli("build", "-q", "--config", str(config), "--out", str(out))
        assert done.returncode == 0, done.stderr
        made[name] = out
    return made


@pytest.mark.slow
@pytest.mark.parametrize(
    ("command", "free"),
    [("build", 64 * 1024), ("build", 2 * 2**20), ("build", 5 * 2**20), ("update", 2 * 2**20)],
)
def test_build_and_update_on_a_full_disk_say_so_in_one_line(builds, disk, command, free):
    out_dir = disk / "out"
    out_dir.mkdir()
    for path in builds["gi2018"].parent.iterdir():  # the current result: GeoPackage, map, summary
        if path.is_file():
            (out_dir / path.name).write_bytes(path.read_bytes())
    out = out_dir / "handlungsraeume.gpkg"
    before = snapshot(out_dir)
    leave_free(disk, free)
    done = quartiere_cli(command, "-q", "--config", str(GI2018), "--out", str(out))
    assert_one_line(done, out)
    assert snapshot(out_dir) == before  # the previous output whole, no temporary file left


@pytest.mark.slow
@pytest.mark.parametrize("free", [16 * 1024, 120 * 1024, 240 * 1024, 400 * 1024])
def test_diff_out_on_a_full_disk_says_so_in_one_line(builds, disk, free):
    out_dir = disk / "changes"
    old, new = str(builds["gi2018"]), str(builds["mss2019"])
    first = quartiere_cli("diff", old, old, "--out", str(out_dir))  # the previous memo
    assert first.returncode == 0, first.stderr
    before = snapshot(out_dir)
    leave_free(disk, free)
    done = quartiere_cli("diff", old, new, "--out", str(out_dir))
    assert_one_line(done, out_dir / "changes.gpkg")
    assert snapshot(out_dir) == before  # changes.gpkg, .md and .json: all the previous ones


def test_a_text_write_on_a_full_disk_names_its_file(disk):
    from quartiere.io.atomic import write_text_atomically

    out = disk / "summary.md"
    out.write_text("previous\n", encoding="utf-8")
    leave_free(disk, 0)
    with pytest.raises(OSError) as raised:
        write_text_atomically(out, "x" * 2**20)
    assert raised.value.errno == errno.ENOSPC
    assert str(raised.value) == f"[Errno 28] cannot write: no space left on device: '{out}'"
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in disk.iterdir()) == ["filler", "summary.md"]
