"""Moved to :mod:`quartiere.record` (issue 21); this path re-exports for one release."""

from quartiere.record import Baseline, Build

__all__ = ["Baseline", "Build"]
