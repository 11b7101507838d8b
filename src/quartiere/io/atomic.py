"""The one atomic writer: every output appears whole or not at all.

A file is written into a fresh temporary folder beside its target (under the target's own name,
so that writers which look at the suffix, like GDAL, and their side files such as SQLite journals
stay inside it), flushed to disk, then renamed onto the target with :func:`os.replace`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from quartiere.io.write_errors import writing
from quartiere.lifetime import STALE_AFTER_S

__all__ = ["STALE_AFTER_S", "staging", "write_atomically", "write_text_atomically"]


def _remove_stale_workdirs(out: Path) -> None:
    """Remove temporary folders that a killed run (SIGKILL, power loss) left beside ``out``.

    A folder is named after its owner's process id (:func:`quartiere.lifetime.owned_name`): it
    goes when that process is gone, at once; a concurrent writer's folder is never removed. A
    folder of an earlier version (no owner in its name) goes when untouched for an hour.
    """
    from quartiere.lifetime import remove_dead_leftovers

    remove_dead_leftovers(out.parent, (f".{out.name}.*.tmp",))


def write_atomically(out: Path, write: Callable[[Path], Any]) -> None:
    """Call ``write`` on a temporary path beside ``out``, then rename it onto ``out``.

    ``write`` receives a path with ``out``'s file name inside a temporary folder in ``out``'s
    directory. A failure (or an interrupt) at any point leaves a previous ``out`` untouched and
    removes the temporary folder; a write that fails for want of space or permission raises
    one :class:`OSError` naming ``out`` (:func:`quartiere.io.write_errors.writing`).

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "a.txt"
    >>> write_text_atomically(target, "hello")
    >>> target.read_text(), [p.name for p in target.parent.iterdir()]
    ('hello', ['a.txt'])
    """
    with writing(out), staging(out, only=out.name) as workdir:
        write(workdir / out.name)


@contextmanager
def staging(out: Path, only: str | None = None) -> Iterator[Path]:
    """A temporary folder beside ``out`` for outputs that replace theirs only all together.

    Files written into the folder under their final names are flushed to disk and moved onto the
    files of the same name beside ``out`` when the block succeeds; on any failure nothing is moved
    and the folder is removed. With ``only``, just that file is moved (a writer's side files, such
    as SQLite journals, stay behind and go with the folder).
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_workdirs(out)
    workdir = Path(
        tempfile.mkdtemp(prefix=f".{out.name}.{os.getpid()}-", suffix=".tmp", dir=out.parent)
    )
    try:
        yield workdir
        files = sorted(
            p for p in workdir.iterdir() if p.is_file() and (only is None or p.name == only)
        )
        if only is not None and not files:
            raise FileNotFoundError(f"{out}: the writer wrote nothing")
        for path in files:
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        for path in files:
            os.replace(path, out.parent / path.name)
        directory = os.open(out.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def write_text_atomically(out: Path, text: str) -> None:
    """Write a UTF-8 text file atomically."""
    write_atomically(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
