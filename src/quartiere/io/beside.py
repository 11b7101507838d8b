"""The files a build writes beside its GeoPackage, named after it.

``quartiere build --out X.gpkg`` writes ``X.png`` (the map), ``X_lmb.png`` (the lmb calibration
chart, with a school list) and ``X.md`` (the summary) next to ``X.gpkg``, so that two builds in one
folder never overwrite each other's. A build under the default name ``handlungsraeume.gpkg`` (the
default build, each edition's own directory, a history's editions) keeps its summary's name,
``summary.md``.

>>> from pathlib import Path
>>> [f(Path("a/x.gpkg")).name for f in (map_png, lmb_png, summary_md)]
['x.png', 'x_lmb.png', 'x.md']
>>> summary_md(Path("data/processed/handlungsraeume.gpkg")).name
'summary.md'
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DEFAULT_STEM", "JOURNAL", "lmb_png", "map_png", "summary_md", "update_journal"]

DEFAULT_STEM = "handlungsraeume"
"""The default GeoPackage's name without ``.gpkg``: its summary is ``summary.md``."""

JOURNAL = ".update-journal.json"
"""The commit record of an update in progress (:mod:`quartiere.scheduled`), in the build's
directory."""


def map_png(out: Path) -> Path:
    """The build's map beside ``out``: ``X.png``."""
    return Path(out).with_suffix(".png")


def lmb_png(out: Path) -> Path:
    """The lmb calibration chart beside ``out``: ``X_lmb.png``."""
    out = Path(out)
    return out.with_name(f"{out.stem}_lmb.png")


def summary_md(out: Path) -> Path:
    """The summary beside ``out``: ``X.md``, or ``summary.md`` for the default name."""
    out = Path(out)
    return out.with_name("summary.md" if out.stem == DEFAULT_STEM else f"{out.stem}.md")


def update_journal(out: Path) -> Path:
    """The journal of an update of ``out``'s directory in progress (:data:`JOURNAL`)."""
    return Path(out).parent / JOURNAL
