"""A new edition file for a fetched monitoring year (``config/editions/mss<year>.yaml``).

The edition is the minimal complete one, in the shape of the newest earlier edition: it
``extends`` the method file that edition extends; the MSS tables (``population``, ``mss``,
``child_poverty``) are the fetched files of the year, named by path and year only; everything the
services do not offer for that year (planning areas, catchments with their school list, the atlas)
is carried over from the earlier edition unchanged, with its paths rebased. The header says what was
filled from the fetch, what was carried over and what could not be filled (a context table the
service does not offer), and lists the index indicators and their meanings from the catalogue.
The file is checked by loading it as a configuration; a file that does not load is removed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quartiere.fetch.model import FetchResult
    from quartiere.sources import Catalogue, EditionPattern

__all__ = ["edition_text", "previous_edition", "write_missing_editions"]

MSS_SECTIONS = ("population", "mss", "child_poverty")


def previous_edition(editions: Path, pattern: EditionPattern, year: int) -> Path | None:
    """The newest edition file of ``pattern`` in ``editions`` older than ``year``."""
    head, _, tail = pattern.name.partition("{year}")
    best: tuple[int, Path] | None = None
    for path in Path(editions).glob(f"{head}*{tail}.yaml"):
        match = re.fullmatch(re.escape(head) + r"(\d{4})" + re.escape(tail), path.stem)
        if match and int(match.group(1)) < year and (best is None or int(match.group(1)) > best[0]):
            best = (int(match.group(1)), path)
    return best[1] if best else None


def _rebase(node: Any, old: Path, new: Path) -> Any:
    """Every ``path:`` (and ``extends:``) relative to ``old`` made relative to ``new``."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("path", "extends") and isinstance(value, str):
                out[key] = os.path.relpath((old / value).resolve(), new.resolve())
            else:
                out[key] = _rebase(value, old, new)
        return out
    if isinstance(node, list):
        return [_rebase(v, old, new) for v in node]
    return node


def edition_text(
    previous: Path, result: FetchResult, catalogue: Catalogue, target: Path
) -> tuple[str, list[str]]:
    """The YAML text of the new edition and the notes on what could not be filled."""
    import yaml

    from quartiere.yaml_io import safe_load

    source = result.source
    assert source.edition_year is not None and source.pattern is not None
    year = source.edition_year
    pattern = catalogue.editions[source.pattern]
    old = safe_load(previous.read_text(encoding="utf-8")) or {}
    here = target.parent
    files = {f.key: result.directory / f.layer.file for f in result.layers}
    rel = {k: os.path.relpath(p.resolve(), here.resolve()) for k, p in files.items()}
    carried = {k: v for k, v in old.items() if k not in ("extends", "edition", *MSS_SECTIONS)}
    carried = _rebase(carried, previous.parent, here)
    notes: list[str] = []
    for extra in (carried.get("schools") or {}).get("estimate", {}).get("extra", []) or []:
        if isinstance(extra, dict) and extra.get("year") not in (None, year):
            extra["why"] = (
                f"no MSS {year} context table (k01..k17) on the service: the catalogue has no "
                f"context layer for {source.service}; MSS {extra['year']} as in {previous.name}"
            )
            notes.append(
                f"context indicators (k01..k17) of MSS {year}: not offered; "
                f"{extra.get('label', extra.get('column'))} stays MSS {extra['year']}"
            )
    index = (carried.get("indicators") or {}).get("index")
    if isinstance(index, dict):
        # the fetched indicator table has the columns the catalogue maps, as the previous
        # edition's does: its declarations carry over, pointed at the fetched table and year
        index.update({"path": rel["indicators"], "year": year})
        notes.append(
            f"indicator meanings carried from {previous.name} (the service's s1..s4, listed"
            f" below): check them against the MSS {year} report"
        )
    edition: dict[str, Any] = {
        "extends": _rebase({"extends": old.get("extends")}, previous.parent, here)["extends"],
        "edition": pattern.label.replace("{year}", str(year)),
        "planning_areas": carried.pop("planning_areas"),
        "population": {"path": rel["indicators"], "year": year},
        # the fetched index table: the method's column names, the service's `kom` as the note
        "mss": {"path": rel["index"], "edition": year, "note": "note"},
        "child_poverty": {"path": rel["indicators"], "year": year},
        **carried,
    }
    taken = [k for k in edition if k not in ("extends", "edition", *MSS_SECTIONS)]
    manifest = os.path.relpath((result.directory / "manifest.json").resolve(), here.resolve())
    lines = [
        f"# MSS {year}: written by `quartiere fetch {source.name}` from the source catalogue",
        f"# (GDI Berlin {source.service}; {', '.join(f.layer.type_name for f in result.layers)};",
        f"# manifest {manifest}). Edit it like any edition; fetch never overwrites it.",
        f"# From the fetch: {', '.join(MSS_SECTIONS)} ({', '.join(sorted(set(rel.values())))}).",
        f"# Carried over from {previous.name} (no newer copy on the services): {', '.join(taken)}.",
        "# Not filled:",
        *[f"#   - {n}" for n in notes or ["nothing"]],
        f"# Index indicators of MSS {year} (columns s1..s4 of the indicator table):",
        *[f"#   {k}: {v}" for k, v in pattern.indicators.items()],
    ]
    body = yaml.safe_dump(edition, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(lines) + "\n" + body, notes


def write_missing_editions(
    results: list[FetchResult],
    catalogue: Catalogue,
    editions: Path,
    *,
    progress: Callable[[str], None] = lambda _: None,
) -> None:
    """Write ``editions/<source>.yaml`` for each fetched edition year that has none."""
    from quartiere.config import load_config
    from quartiere.errors import ConfigError, QuartiereError
    from quartiere.io.atomic import write_text_atomically

    for result in results:
        source = result.source
        if source.edition_year is None or source.pattern is None:
            continue
        target = Path(editions) / f"{source.name}.yaml"
        if target.exists():
            continue
        pattern = catalogue.editions[source.pattern]
        previous = previous_edition(Path(editions), pattern, source.edition_year)
        if previous is None:
            note = (
                f"no edition written: no earlier {pattern.name.replace('{year}', '<year>')}.yaml "
                f"in {editions} to take the inputs the services do not offer from"
            )
            result.notes.append(note)
            progress(f"{source.name}: {note}")
            continue
        text, notes = edition_text(previous, result, catalogue, target)
        write_text_atomically(target, text)
        try:
            load_config(target)
        except QuartiereError as exc:
            target.unlink()
            raise ConfigError(
                f"the written edition does not load ({exc}); removed", target
            ) from None
        result.edition = target
        result.notes = notes
        for note in notes:
            progress(f"{source.name}: not filled: {note}")
