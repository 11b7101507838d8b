"""Processes that die with their owner, locks that only the owner holds, leftovers of the dead.

* :func:`die_with_parent`: called first thing in a helper process (the PDF printer, the dask
  workers of a local cluster), so that it ends when the process that started it ends, even by
  ``kill -9``: Linux's parent-death signal (``prctl`` through :mod:`ctypes`); elsewhere nothing
  is set and the helpers end when their pipe closes.
* :func:`output_lock`: the lock of an output directory (``flock``). Only the process that took it
  holds it: a process forked while it is held closes its copy at once (:func:`forget_locks`,
  registered by the command line with :func:`os.register_at_fork`), so an orphaned helper can
  never keep the next run waiting.
* :func:`owned_name` and :func:`owner_is_dead`: temporary folders carry their owner's process id
  (``.<name>.<pid>-<random>.tmp``, ``.update-<pid>-<random>``), so that the next run removes the
  folders of owners that are gone, however young, and never those of a live one.

This module changes no global state by itself: the command line registers :func:`forget_locks`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import fnmatch
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

__all__ = [
    "STALE_AFTER_S",
    "dask_setup",
    "die_with_parent",
    "forget_locks",
    "forget_locks_in_children",
    "output_lock",
    "owned_name",
    "owner_is_dead",
    "pid_alive",
    "remove_dead_leftovers",
]

STALE_AFTER_S = 3600
"""Age (seconds) after which a leftover whose owner cannot be told is removed."""

_PR_SET_PDEATHSIG = 1
_held: set[int] = set()
_OWNER = re.compile(r"\.(\d+)-[^./]*(?:\.tmp)?$|^\.update-(\d+)-")


def die_with_parent(parent: int | None = None) -> bool:
    """Make this process receive SIGKILL when its parent ends (Linux); return whether set.

    Parameters
    ----------
    parent
        The process id the caller expects as its parent: when the parent has already gone
        (it died between the fork and this call), this process ends at once.

    Returns
    -------
    bool
        True when the parent-death signal is set.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        done = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False
    if parent is not None and os.getppid() != parent:
        os._exit(1)
    return bool(done)


def dask_setup(worker: Any) -> None:
    """dask preload hook (``preload=["quartiere.lifetime"]``): the worker dies with its parent."""
    die_with_parent()


_hooked: list[bool] = []


def forget_locks_in_children() -> None:
    """Register :func:`forget_locks` to run in every forked child (once per process).

    Called by the command line; it changes process state, so library code never calls it.
    """
    if not _hooked:
        os.register_at_fork(after_in_child=forget_locks)
        _hooked.append(True)


def forget_locks() -> None:
    """In a freshly forked child: close the inherited descriptors of every held output lock."""
    for fd in list(_held):
        with suppress(OSError):
            os.close(fd)
    _held.clear()


@contextmanager
def output_lock(
    out: Path, wait: bool = True, say: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Serialise builds writing into the same directory (a second build waits for the first).

    Parameters
    ----------
    out
        A file in the directory to lock (the directory is created).
    wait
        Wait for the other build; otherwise raise at once.
    say
        Receives the one line saying that this run waits.

    Raises
    ------
    quartiere.errors.QuartiereError
        ``wait`` is False and another build holds the lock.
    """
    from quartiere.errors import QuartiereError

    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out.parent, os.O_RDONLY | os.O_CLOEXEC)
    _held.add(fd)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise QuartiereError(f"another build is writing into {out.parent}") from None
            if say is not None:
                say(f"waiting for another build writing into {out.parent} ...")
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        _held.discard(fd)
        os.close(fd)


def owned_name(prefix: str, suffix: str = "") -> str:
    """``<prefix><pid>-<random><suffix>``: a temporary name that says who owns it."""
    return f"{prefix}{os.getpid()}-{os.urandom(4).hex()}{suffix}"


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (someone else's counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's: alive
    try:  # a killed process not yet reaped by its parent (a zombie) owns nothing any more
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (not Linux): the signal check is all there is
    return state not in ("Z", "X")


def owner_is_dead(path: Path, stale_after: float = STALE_AFTER_S) -> bool:
    """Whether the temporary folder ``path`` belongs to a process that is gone.

    A name with an owner (:func:`owned_name`) is dead when that process no longer exists; a name
    without one (earlier versions) when it was untouched for ``stale_after`` seconds.
    """
    match = _OWNER.search(path.name)
    pid = next((int(g) for g in match.groups() if g), None) if match else None
    if pid is not None and pid != os.getpid():
        return not pid_alive(pid)
    if pid == os.getpid():
        return False
    try:
        return time.time() - path.stat().st_mtime > stale_after
    except OSError:
        return False


def remove_dead_leftovers(directory: Path, patterns: tuple[str, ...]) -> list[Path]:
    """Remove the folders matching ``patterns`` in ``directory`` whose owner is dead.

    Returns
    -------
    list of Path
        What was removed.
    """
    removed: list[Path] = []
    try:
        names = [entry.name for entry in os.scandir(directory)]
    except OSError:
        return removed
    for name in sorted(names):  # one listing for every pattern (the cache holds many entries)
        leftover = Path(directory) / name
        matches = any(fnmatch.fnmatchcase(name, p) for p in patterns)
        if matches and leftover.is_dir() and owner_is_dead(leftover):
            shutil.rmtree(leftover, ignore_errors=True)
            removed.append(leftover)
    return removed
