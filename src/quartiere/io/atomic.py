"""Atomic file writes: every output appears whole or not at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["write_atomically", "write_text_atomically"]


def write_atomically(out: Path, write: Callable[[Path], Any]) -> None:
    """Call ``write`` on a temporary file beside ``out``, then rename it onto ``out``.

    A failure (or an interrupt) at any point leaves a previous ``out`` untouched and removes the
    temporary file.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file normal permissions
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomically(out: Path, text: str) -> None:
    """Write a UTF-8 text file atomically."""
    write_atomically(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
