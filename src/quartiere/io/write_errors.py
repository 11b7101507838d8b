"""A write that fails for want of space (or permission) is one :class:`OSError` naming the output.

GDAL and SQLite report a full disk in their own words, if at all: pyogrio's ``Failed to commit
transaction`` says nothing of the cause, an insert that fails quotes its SQL (kilobytes of it),
and a plain write raises ``OSError`` without a file name. :func:`writing` turns each into an
``OSError`` with the errno of the cause (``ENOSPC`` for a full disk), a short reason and the path
of the output as the user named it: a staging folder (``.<name>.<pid>-<random>.tmp``,
``.update.<pid>-<random>.tmp``, an earlier ``.update-<pid>-<random>``) is left out of the name.
Any other exception passes unchanged.
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["LOW_SPACE_BYTES", "final_path", "os_error", "writing"]

LOW_SPACE_BYTES = 64 * 2**20
"""A GDAL write that failed without a reason while less than this (or less than twice the size
of the output it replaces) is free on the output's file system failed for want of space: a
failed transaction is rolled back, so the space it had taken is free again when it is seen."""

_STAGING = re.compile(r"^\..+\.\d+-[^/]*\.tmp$|^\.update-\d+-[^/]*$")
_FULL_TEXT = re.compile(r"disk is full|no space left on device|disk quota exceeded", re.I)
_FULL = (errno.ENOSPC, errno.EDQUOT)
_SQLITE_CODES = {
    13: errno.ENOSPC,  # SQLITE_FULL
    8: errno.EROFS,  # SQLITE_READONLY
    3: errno.EACCES,  # SQLITE_PERM
}


def final_path(path: Path | str) -> Path:
    """``path`` without its staging folders: the output as the user named it.

    >>> str(final_path("/data/.hr.gpkg.812-ab_c9.tmp/hr.gpkg"))
    '/data/hr.gpkg'
    >>> str(final_path("/data/.update-812-0a1b2c3d/changes/x/changes.md"))
    '/data/changes/x/changes.md'
    >>> str(final_path("/data/.update-812-0a1b2c3d/new/.hr.gpkg.812-x.tmp/hr.gpkg"))
    '/data/hr.gpkg'
    >>> str(final_path("/data/.update.812-0a1b2c3d.tmp/new/hr.gpkg"))
    '/data/hr.gpkg'
    """
    parts: list[str] = []
    update = False  # an update's stage: its new build is in new/ (quartiere.scheduled)
    for part in Path(path).parts:
        if _STAGING.match(part):
            update = part.startswith((".update-", ".update."))
            continue
        if not (update and part == "new"):
            parts.append(part)
        update = False
    return Path(*parts)


def _free_bytes(directory: Path) -> int | None:
    while not directory.exists() and directory != directory.parent:
        directory = directory.parent
    try:
        stat = os.statvfs(directory)
    except (OSError, AttributeError):
        return None
    return stat.f_bavail * stat.f_frsize


def _low_space(out: Path) -> bool:
    free = _free_bytes(out.parent)
    if free is None:
        return False
    try:
        replaced = final_path(out).stat().st_size
    except OSError:
        replaced = 0
    return free < max(LOW_SPACE_BYTES, 2 * replaced)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _cause(exc: BaseException, out: Path) -> int | None:
    """The errno of the cause of a failed write of ``out``, or None when it is no I/O failure."""
    library = type(exc).__module__.startswith("pyogrio") or isinstance(exc, sqlite3.Error)
    if not (library or isinstance(exc, OSError)):
        return None  # a user error or a bug of the writer: not translated
    for link in _chain(exc):
        if isinstance(link, OSError) and link.errno is not None:
            return link.errno
        if isinstance(link, sqlite3.Error):
            code = getattr(link, "sqlite_errorcode", None)
            if code is not None and code & 0xFF in _SQLITE_CODES:
                return _SQLITE_CODES[code & 0xFF]
            if code is not None and code & 0xFF == 10:  # SQLITE_IOERR
                return errno.ENOSPC if _low_space(out) else errno.EIO
    if library:
        if any(_FULL_TEXT.search(str(link)) for link in _chain(exc)):
            return errno.ENOSPC
        if _low_space(out):  # GDAL said only "Failed to commit transaction"
            return errno.ENOSPC
    return None


def os_error(exc: BaseException, out: Path) -> OSError | None:
    """The :class:`OSError` that says why writing ``out`` failed, or None for another failure.

    Its ``filename`` is :func:`final_path` of ``out`` and its ``strerror`` one short phrase
    (``cannot write: no space left on device``), never the library's message.
    """
    code = _cause(exc, out)
    if code is None:
        return None
    reason = "no space left on device" if code in _FULL else os.strerror(code).lower()
    return OSError(code, f"cannot write: {reason}", str(final_path(out)))


@contextmanager
def writing(out: Path) -> Iterator[None]:
    """Translate a failure to write ``out`` in the block into :func:`os_error`'s one line."""
    try:
        yield
    except Exception as exc:
        translated = os_error(exc, Path(out))
        if translated is None:
            raise
        raise translated from exc
