"""Figures out: a matplotlib figure written as a PNG through the one atomic writer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from quartiere.io.atomic import write_atomically

__all__ = ["write_png"]


def write_png(out: Path, fig: Figure, **savefig: Any) -> None:
    """Write ``fig`` as a PNG at ``out`` atomically; ``savefig`` goes to :meth:`Figure.savefig`."""
    write_atomically(Path(out), lambda tmp: fig.savefig(tmp, format="png", **savefig))
