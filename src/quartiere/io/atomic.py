"""The one atomic writer: every output appears whole or not at all.

Every output quartiere writes is staged and committed by :func:`staging` (a single file by its
shorthand :func:`write_atomically`): the build's GeoPackage, map, chart and summary (one commit),
each GeoPackage of :mod:`quartiere.io.gpkg`, the cache's entries and figures, a comparison's memo
(``changes.{gpkg,md,json}``, one commit), a history's timeline files, the profiles' pages, the web
map's folder, the robustness atlas's outputs, a fetched source's files with its manifest, a new
edition file, and the scheduled update's transaction (:mod:`quartiere.scheduled`).

1. **Stage.** A fresh folder beside the output, named after it and its owner,
   ``.<name>.<pid>-<random>.tmp`` (:func:`quartiere.lifetime.owner_is_dead` reads the owner), into
   which the writers write under the final names (so that writers which look at the suffix, like
   GDAL, and their side files such as SQLite journals stay inside it).
2. **Commit.** Everything staged is flushed to disk, then renamed onto its target with
   :func:`os.replace`, the output's own name last (Make and readers take it as the sign of a
   finished run). A commit of more than one rename is first written down in a journal beside the
   output, ``.<name>-journal.json``: a kill during the renames leaves the journal, and the next
   run that stages the same output finishes them before anything else (:func:`recover`). A folder
   replaces a folder by one atomic exchange where the system offers it (Linux ``renameat2``).
3. **Clean up.** On any failure nothing is renamed and the folder is removed. Leftovers of owners
   that are gone (``kill -9``, power loss) are removed at the start of the next run that stages
   the same output; a live owner's are never touched.

>>> import tempfile
>>> target = Path(tempfile.mkdtemp()) / "a.txt"
>>> write_text_atomically(target, "hello")
>>> target.read_text(), [p.name for p in target.parent.iterdir()]
('hello', ['a.txt'])
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quartiere.io.write_errors import writing
from quartiere.lifetime import STALE_AFTER_S, pid_alive, remove_dead_leftovers

__all__ = [
    "STALE_AFTER_S",
    "Stage",
    "journal_path",
    "recover",
    "staging",
    "write_atomically",
    "write_text_atomically",
]


def journal_path(out: Path) -> Path:
    """The commit record of a staged ``out`` in progress: ``.<name>-journal.json`` beside it."""
    out = Path(out)
    return out.parent / f".{out.name}-journal.json"


def fsync_dir(directory: Path) -> None:
    """Flush a directory's entries (renames into it) to disk."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """Flush every file under ``root`` and the entries of every folder below it to disk (not
    ``root``'s own: a staging folder is renamed out of, never kept)."""
    paths = sorted(root.rglob("*"))
    for path in paths:
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    for path in paths:
        if path.is_dir():
            fsync_dir(path)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2``); False where not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        done = libc.renameat2(
            _AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE
        )
    except (OSError, AttributeError):
        return False
    return bool(done == 0)


def _move(source: Path, target: Path) -> None:
    """Rename ``source`` onto ``target``; a folder onto a folder by exchange, the old one left
    where the new one was (inside the staging folder, removed with it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir() and target.is_dir():
        if _exchange(source, target):
            return
        # no exchange on this system: move the old folder aside, then the new one in
        os.replace(target, source.with_name(source.name + ".old"))
    os.replace(source, target)


def _replay(base: Path, record: dict[str, Any]) -> None:
    """Do a journal's renames and removals, skipping what is done already."""
    changed = {base}
    for src, dst in record["moves"]:
        source, target = base / src, base / dst
        if source.exists() or source.is_symlink():
            _move(source, target)
        changed.add(target.parent)
    for name in record.get("remove", ()):
        gone = base / name
        if gone.is_dir() and not gone.is_symlink():
            shutil.rmtree(gone, ignore_errors=True)
        else:
            gone.unlink(missing_ok=True)
        changed.add(gone.parent)
    for directory in sorted(changed):
        if directory.is_dir():
            fsync_dir(directory)


def recover(out: Path, leftovers: Sequence[str] = ()) -> str | None:
    """Finish a commit of ``out`` that a dead owner left half done; remove dead leftovers.

    Parameters
    ----------
    out
        The staged output (file or folder).
    leftovers
        More name patterns beside ``out`` to remove when their owner is dead (an earlier
        version's names).

    Returns
    -------
    str or None
        The finished commit's note (what it did), or None when none was left.
    """
    out = Path(out)
    base = out.parent
    journal = journal_path(out)
    note = None
    if journal.is_file():
        try:
            record = json.loads(journal.read_text(encoding="utf-8"))
            record["moves"] = [[str(a), str(b)] for a, b in record["moves"]]
            owner = record.get("owner")
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            record, owner = None, None  # not written whole: the commit had not begun
        if record is None:
            journal.unlink(missing_ok=True)
        elif owner is None or (int(owner) != os.getpid() and not pid_alive(int(owner))):
            _replay(base, record)
            journal.unlink()
            fsync_dir(base)
            if record.get("stage"):
                shutil.rmtree(base / str(record["stage"]), ignore_errors=True)
            note = str(record.get("outcome") or "")
    # its staging folders, and those of its journal (a kill while the journal was written)
    remove_dead_leftovers(base, (f".{out.name}.*.tmp", f".{journal.name}.*.tmp", *leftovers))
    return note


@dataclass
class Stage:
    """A staging folder for ``out``, committed by renames (see the module).

    Parameters
    ----------
    out
        The output the folder is named after, and whose journal records its commit.
    destination
        The folder the staged entries go into: ``out``'s parent, or ``out`` itself (a folder of
        outputs that replace theirs only all together).
    path
        The staging folder, beside ``out``.
    """

    out: Path
    destination: Path
    path: Path

    @classmethod
    def begin(cls, out: Path, *, into: bool = False) -> Stage:
        """Recover ``out``'s unfinished commit and dead leftovers, then make a fresh folder."""
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        recover(out)
        path = tempfile.mkdtemp(prefix=f".{out.name}.{os.getpid()}-", suffix=".tmp", dir=out.parent)
        return cls(out, out if into else out.parent, Path(path))

    def entries(self, only: str | None = None) -> list[tuple[str, str]]:
        """Every staged entry onto its own name (``only``: that one), ``out``'s name last."""
        names = sorted(p.name for p in self.path.iterdir() if only is None or p.name == only)
        if only is not None and not names:
            raise FileNotFoundError(f"{self.out}: the writer wrote nothing")
        names.sort(key=lambda name: name == self.out.name)
        return [(name, name) for name in names]

    def commit(
        self,
        moves: Sequence[tuple[str, str] | list[str]],
        *,
        remove: Sequence[str] = (),
        note: str = "",
    ) -> None:
        """Flush the folder, then do ``moves`` (staged path -> path in the destination) and the
        removals (paths in the destination), journalled when more than one step."""
        base = self.out.parent
        prefix = f"{self.out.name}/" if self.destination == self.out else ""
        record: dict[str, Any] = {
            "owner": os.getpid(),
            "stage": self.path.name,
            "moves": [[f"{self.path.name}/{src}", f"{prefix}{dst}"] for src, dst in moves],
            "remove": [f"{prefix}{name}" for name in remove],
            "outcome": note,
        }
        fsync_tree(self.path)
        if self.destination != base:
            self.destination.mkdir(parents=True, exist_ok=True)
        journal = journal_path(self.out)
        journalled = len(record["moves"]) + len(record["remove"]) > 1
        if journalled and any(
            (base / src).is_dir() and (base / dst).is_dir() for src, dst in record["moves"]
        ):  # an exchange cannot be told from its undoing when a journal is replayed
            raise ValueError(f"{self.out}: a folder replaces a folder only in a commit of its own")
        if journalled:
            write_text_atomically(journal, json.dumps(record, indent=1) + "\n")
        _replay(base, record)
        if journalled:
            journal.unlink()
            fsync_dir(base)

    def discard(self) -> None:
        """Remove the folder (after a commit, what is left in it; after a failure, all)."""
        shutil.rmtree(self.path, ignore_errors=True)


@contextmanager
def staging(
    out: Path,
    only: str | None = None,
    *,
    into: bool = False,
    prune: Callable[[Path], bool] | None = None,
) -> Iterator[Path]:
    """A staging folder for outputs that replace theirs only all together.

    Parameters
    ----------
    out
        The output. Its unfinished commit is finished and dead leftovers beside it are removed
        first; the folder is made beside it.
    only
        Commit just that entry (a writer's side files, such as SQLite journals, stay behind and
        go with the folder).
    into
        ``out`` is a folder of outputs: the staged entries go into it (it is created), its other
        files stay; else they go beside ``out``.
    prune
        With ``into``: which of ``out``'s entries that were not staged to remove in the same
        commit (e.g. the pages of areas that no longer exist).

    Yields
    ------
    Path
        The folder to write into, under the final names; a folder entry replaces a folder.
    """
    stage = Stage.begin(out, into=into)
    try:
        yield stage.path
        moves = stage.entries(only)
        remove: list[str] = []
        if prune is not None and stage.destination.is_dir():
            staged = {dst for _, dst in moves}
            remove = sorted(
                p.name for p in stage.destination.iterdir() if p.name not in staged and prune(p)
            )
        stage.commit(moves, remove=remove)
    finally:
        stage.discard()


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


def write_text_atomically(out: Path, text: str) -> None:
    """Write a UTF-8 text file atomically."""
    write_atomically(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
