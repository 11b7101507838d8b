"""The scheduled job with live sources (``quartiere fetch --build``, ``make update FETCH=1``).

1. ask each source whether it changed: a full download (a few MB) hashed against its manifest, and
   GetCapabilities of later edition years (a new edition service);
2. replace what changed (:func:`quartiere.fetch.run.fetch`; a new year gets its edition file);
3. build the newest edition (the highest ``mss<year>.yaml`` in the editions directory) with
   ``quartiere update``: numbered against its previous build, or the first time against the
   previous edition's build, and the change memo written;
4. when no source changed, no edition was written and the newest edition's build is current
   (same configuration, no input newer than it), nothing is built: one line says so.

A failure of any source (the network is down) raises before anything is replaced or built: the last
good data and build stay, the exit status is non-zero, the message is one line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from quartiere.fetch.model import FetchResult
from quartiere.fetch.run import fetch
from quartiere.sources import Catalogue

__all__ = ["newest_edition", "run_command", "scheduled_fetch"]


def newest_edition(catalogue: Catalogue, editions: Path) -> tuple[Path, Path | None]:
    """The newest edition file of the catalogue's patterns and the one before it (or None)."""
    from quartiere.errors import ConfigError
    from quartiere.fetch.edition import previous_edition

    best: tuple[int, Path, Path | None] | None = None
    for pattern in catalogue.editions.values():
        newest = previous_edition(editions, pattern, 10_000)
        if newest is None:
            continue
        year = pattern.year_of(newest.stem)
        assert year is not None
        if best is None or year > best[0]:
            best = (year, newest, previous_edition(editions, pattern, year))
    if best is None:
        raise ConfigError("no edition file of the catalogue's editions", editions)
    return best[1], best[2]


def _current(config_path: Path, out: Path) -> bool:
    """``out`` is current: the one staleness rule (:func:`quartiere.reuse.why_stale`)."""
    from quartiere.config import load_config
    from quartiere.reuse import why_stale

    return why_stale(load_config(config_path), out) is None


def scheduled_fetch(
    catalogue: Catalogue,
    names: list[str] | None,
    out: Path,
    *,
    base_url: str | None,
    editions: Path,
    builds: Path,
    progress: Callable[[str], None] = lambda _: None,
) -> tuple[list[FetchResult], str]:
    """Fetch, then build the newest edition when something changed; return the results and one
    line.

    ``builds``: the directory of the edition builds (``builds/<edition>/handlungsraeume.gpkg``,
    as ``quartiere build`` puts them without ``--out``).
    """
    from quartiere.scheduled import update

    results = fetch(catalogue, names, out, base_url=base_url, editions=editions, progress=progress)
    changed = [r.source.name for r in results if r.changed]
    written = [str(r.edition) for r in results if r.edition]
    config_path, previous = newest_edition(catalogue, editions)
    target = builds / config_path.stem / "handlungsraeume.gpkg"
    if not changed and not written and _current(config_path, target):
        return results, (
            f"nothing new: {len(results)} sources unchanged, no new edition; {target} is current"
        )
    seed = None
    if previous is not None and not target.is_file():
        candidate = builds / previous.stem / "handlungsraeume.gpkg"
        seed = candidate if candidate.is_file() else None
    message = update(config_path, target, seed=seed, progress=progress)
    what = ", ".join(changed) or "no source"
    new = f"; new edition {', '.join(written)}" if written else ""
    return results, f"fetched: {what} changed{new}; {config_path.stem}: {message}"


def run_command(
    catalogue_path: Path,
    names: list[str],
    out: Path,
    *,
    base_url: str | None,
    editions: Path,
    retries: int | None,
    builds: Path | None,
    progress: Callable[[str], None],
) -> list[str]:
    """``quartiere fetch``: fetch (and with ``builds``, build); return the lines to print.

    One line per source, then, with ``builds``, the line of the scheduled run.
    """
    from quartiere.sources import load_catalogue

    catalogue = load_catalogue(catalogue_path)
    if retries is not None:
        client = catalogue.client.model_copy(update={"retries": retries})
        catalogue = catalogue.model_copy(update={"client": client})
    if builds is None:
        results = fetch(
            catalogue, names, out, base_url=base_url, editions=editions, progress=progress
        )
        return [r.line() for r in results]
    results, line = scheduled_fetch(
        catalogue,
        names,
        out,
        base_url=base_url,
        editions=editions,
        builds=builds,
        progress=progress,
    )
    return [*(r.line() for r in results), line]
