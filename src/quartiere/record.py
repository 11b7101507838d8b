"""The layers of one build as a plain value, the input of every comparison."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd


@dataclass(frozen=True)
class Build:
    """The layers of one build that a comparison needs.

    Parameters
    ----------
    areas
        The ``handlungsraeume`` layer: ``hr_id`` (text, e.g. ``"01"``, ``"13a"``), ``hr_name``,
        ``population`` and MultiPolygon geometry in EPSG:25833 (metres).
    planning_areas
        The ``planungsraeume`` layer: ``plr_id`` (8-digit text), ``plr_name``, ``bezirk``,
        ``population``, ``c_mss``, ``c_schools``, ``c_atlas`` (0/1, empty = no data), ``hr_id``
        (empty when outside) and geometry.
    info
        The ``build_info`` key -> value table (``edition``, ``lor_generation``, ``built_at`` ...).
    label
        How outputs name this build (e.g. its file name); defaults to the edition.
    sha256
        The SHA-256 of the file it was read from (``""`` when not read from a file): a build
        numbered against this file records it in ``build_info`` ``previous``.
    """

    areas: gpd.GeoDataFrame
    planning_areas: gpd.GeoDataFrame
    info: Mapping[str, str] = field(default_factory=dict)
    label: str = ""
    sha256: str = ""

    def continued_from(self, old: Build) -> list[tuple[str, str]] | None:
        """The ``(old hr_id, new hr_id)`` pairs this build's numbering recorded when it was
        numbered against ``old`` (its ``previous`` names ``old``'s file hash); ``None`` when it
        was not, or recorded no pairs (a build made before this was recorded)."""
        previous = str(self.info.get("previous", ""))
        if not old.sha256 or not previous.endswith(f"sha256:{old.sha256}"):
            return None
        if "continued" not in self.info:
            return None
        text = str(self.info["continued"])
        pairs = [item.split(">", 1) for item in text.split(",") if ">" in item]
        return [(o, n) for o, n in pairs]

    @property
    def edition(self) -> str:
        """The edition label recorded in ``build_info`` (or the build's label)."""
        return str(self.info.get("edition") or self.label or "?")

    @property
    def language(self) -> str:
        """The language the build was made in (``build_info`` ``language``; ``de`` when not
        recorded): its change memo is written in it."""
        value = str(self.info.get("language") or "de")
        return value if value in ("de", "en") else "de"

    @property
    def generation(self) -> str | None:
        """The LOR generation of the planning areas (``lor2006``, ``lor2021``), if recorded."""
        value = self.info.get("lor_generation")
        return str(value) if value else None


@dataclass(frozen=True)
class Baseline:
    """The earlier build a new one is numbered against, and where it comes from.

    Parameters
    ----------
    build
        Its layers (at least ``areas``; ``info`` carries the register ``hr_ids_used``).
    key
        The edition key of the earlier build (``mss2021``).
    source
        Where it comes from, one phrase for ``build_info`` and the progress line (a file's path,
        or how it was computed in memory).
    path
        The GeoPackage it was read from; ``None`` when computed in memory.
    """

    build: Build
    key: str
    source: str
    path: Path | None = None
