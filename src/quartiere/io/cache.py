"""A bounded on-disk cache of derived inputs (parsed inputs, zone-transfer weights, contiguity).

Entries live under ``data/processed/.cache/`` (``QUARTIERE_CACHE`` names another directory;
``QUARTIERE_CACHE=off`` disables the cache). Each entry is one file named by a SHA-256 key that
the caller derives from everything the value depends on (:func:`cache_key`): the hashes of the
input files, the configuration keys that matter and :func:`code_version`. A changed input, key or
code therefore gives another key; the stale entry is never read again and ages out.

An entry is written atomically (:mod:`quartiere.io.atomic`) as a header line with the SHA-256 of
its payload followed by the payload in a data-only format (:mod:`quartiere.io.datacodec`: JSON,
``.npy`` arrays read with ``allow_pickle=False``, Arrow IPC tables). Nothing in an entry is ever
executed: the cache never unpickles, so a file planted in a shared or world-writable cache
directory (or under the ``.pkl`` names of earlier versions, which are removed unread) cannot run
code; at worst it is a value of the wrong content, which its key and checksum make a miss. A file
whose header, checksum or format does not hold is damaged: it is removed and the value rebuilt,
never trusted. Hits refresh an entry's time; when the directory grows beyond ``max_bytes`` the
least recently used entries are removed. A value that is not plain data (``TypeError`` from the
codec) is not cached.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from contextlib import suppress
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from quartiere.io.atomic import write_atomically
from quartiere.io.datacodec import decode, encode

__all__ = [
    "Cache",
    "cache_key",
    "cached",
    "code_version",
    "default_cache",
    "file_digest",
    "MAX_BYTES",
    "sha256",
]

MAX_BYTES = 256 * 2**20
"""Default bound of the cache directory (bytes); least recently used entries go first."""

DEFAULT_DIR = Path("data/processed/.cache")
_MAGIC = b"quartiere-cache 2 "
_SUFFIX = ".entry"
_LEGACY = ".pkl"  # pickled entries of earlier versions: removed, never read

T = TypeVar("T")
_digests: dict[tuple[str, int, int], str] = {}


def sha256(path: Path) -> str:
    """The SHA-256 of a file, hex, read now (the one file hash of the project)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """:func:`sha256` of a file, remembered per (path, size, mtime) within one process."""
    stat = Path(path).stat()
    memo = (str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)
    if memo not in _digests:
        _digests[memo] = sha256(path)
    return _digests[memo]


@lru_cache(maxsize=1)
def code_version() -> str:
    """SHA-256 over the package's Python sources (and its version): any code change is a new one."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    from quartiere import __version__

    digest.update(__version__.encode())
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_key(kind: str, *parts: Any) -> str:
    """A key from a kind and JSON-serialisable parts (hashes, configuration subsets)."""
    text = json.dumps([kind, code_version(), *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class Cache:
    """A directory of data-only entries, keyed by :func:`cache_key`, bounded by ``max_bytes``."""

    def __init__(self, root: Path, max_bytes: int = MAX_BYTES) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0

    def _path(self, kind: str, key: str) -> Path:
        return self.root / f"{kind}-{key}{_SUFFIX}"

    def get(self, kind: str, key: str) -> Any | None:
        """The value stored under ``key``, or None when absent or damaged (a damaged file goes)."""
        path = self._path(kind, key)
        with suppress(OSError):  # an earlier version's pickle (or one planted under its name)
            (self.root / f"{kind}-{key}{_LEGACY}").unlink()
        try:
            blob = path.read_bytes()
        except OSError:
            return None
        header, sep, payload = blob.partition(b"\n")
        try:
            if not sep or not header.startswith(_MAGIC):
                raise ValueError("no header")
            if header[len(_MAGIC) :].decode() != hashlib.sha256(payload).hexdigest():
                raise ValueError("checksum")
            value = decode(payload)  # data only: never executes anything
        except Exception:  # noqa: BLE001 - damaged: rebuild, never trust
            path.unlink(missing_ok=True)
            return None
        with suppress(OSError):
            os.utime(path)  # least recently used goes first
        return value

    def put(self, kind: str, key: str, value: Any) -> None:
        """Store ``value`` atomically; then keep the directory within ``max_bytes``."""
        try:
            payload = encode(value)
        except Exception:  # noqa: BLE001 - not plain data: not cached, only costs time
            return
        header = _MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n"
        try:
            write_atomically(self._path(kind, key), lambda tmp: tmp.write_bytes(header + payload))
            self.evict()
        except OSError:
            pass  # a cache that cannot be written only costs time

    def evict(self) -> None:
        """Remove least recently used entries until the directory holds at most ``max_bytes``."""
        for legacy in self.root.glob(f"*{_LEGACY}"):
            with suppress(OSError):
                legacy.unlink()
        entries = []
        for path in self.root.glob(f"*{_SUFFIX}"):
            try:
                stat = path.stat()
            except OSError:
                continue
            entries.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries, key=lambda e: (e[0], str(e[2]))):
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size

    def fetch(self, kind: str, key: str, make: Callable[[], T]) -> T:
        """The cached value, or ``make()`` stored for next time."""
        value = self.get(kind, key)
        if value is not None:
            self.hits += 1
            return value  # type: ignore[no-any-return]
        self.misses += 1
        value = make()
        self.put(kind, key, value)
        return value


def default_cache(directory: Path | None = None) -> Cache | None:
    """The cache named by ``QUARTIERE_CACHE`` (``off``: none), else ``directory/.cache`` (beside
    the output: ``data/processed/.cache`` for the default build); without ``directory``, none.
    Never relative to the working directory."""
    setting = os.environ.get("QUARTIERE_CACHE", "")
    if setting.lower() in ("off", "0", "no", "false"):
        return None
    if setting:
        return Cache(Path(setting))
    return Cache(Path(directory).resolve() / DEFAULT_DIR.name) if directory is not None else None


def cached(kind: str, files: list[Path], parts: Any, make: Callable[[], T]) -> T:
    """``make()`` through :func:`default_cache`, keyed by the files' hashes and ``parts``."""
    cache = default_cache()
    if cache is None:
        return make()
    return cache.fetch(kind, cache_key(kind, [file_digest(p) for p in files], parts), make)
