"""The values of one build: its record (:class:`BuildInfo`) and its layers (:class:`Build`).

:class:`BuildInfo` is the typed view of the GeoPackage's ``build_info`` key/value table. It is
written and parsed in one place, :mod:`quartiere.io.build_record`; everything else reads its
fields and never parses the key strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class BuildInfo:
    """What a build records about itself (the ``build_info`` table), field by field.

    A scalar field is ``None`` when the build did not record it (an older build, or a key that
    only some builds have, such as ``previous``).

    Parameters
    ----------
    edition, edition_key, built_at, quartiere_version, code_version, lor_generation, crs
        The edition's label (``MSS 2021 / LOR 2021``) and key (``mss2021``), the build time
        (ISO 8601, UTC), the package and code versions, the LOR generation and the CRS.
    config_files
        ``(name, sha256)`` of each configuration file (the edition file and its bases), named
        relative to the common root of the files a build reads; the digests are those of the
        bytes the configuration was parsed from.
    config_hash
        SHA-256 over the configuration files' digests.
    inputs
        ``(name, sha256)`` of each input file.
    versions
        The versions of geopandas, shapely, pyogrio, GDAL and pandas, one line.
    coverage, input_years
        ``(input, text)``: how many units carry a value, and which file and year each input is.
    atlas_cut
        Where the atlas criterion cuts (English).
    lmb_source, language
        Where the catchments' lmb share comes from (``table``, ``estimate`` ...) and the
        language of the build's texts.
    schools
        ``(key, text)`` facts of the school list, the calibration and validation
        (``schools.*``, ``lmb_calibration.*``, ``lmb_validation.*``, ``<flag>_check.*``).
    lmb_estimate_factor
        The lmb estimate's scaling, as recorded.
    estimates, notes
        The estimate sentences and the loaders' notes, in order.
    counts
        One line: planning areas, each criterion's count, Handlungsräume.
    numbered_against, previous
        Which build the numbering continues, and that build's file name and SHA-256
        (``<name> sha256:<hex>``) or ``computed in memory``.
    continued
        ``(old hr_id, new hr_id)`` pairs of the numbering against ``previous``; ``None`` when
        not recorded.
    lineage
        The numbering's sentences.
    hr_ids_used
        Every area number used so far (the register that travels from build to build).
    attribution
        The data attribution the licences require.
    changed_during_build
        The configuration and input files whose content changed while the build ran: the
        build is then not what its files now say, and is never taken as up to date.
    other
        ``(key, value)`` rows of keys this version does not know, kept as read.
    """

    edition: str | None = None
    edition_key: str | None = None
    built_at: str | None = None
    quartiere_version: str | None = None
    code_version: str | None = None
    lor_generation: str | None = None
    crs: str | None = None
    config_files: Pairs = ()
    config_hash: str | None = None
    inputs: Pairs = ()
    versions: str | None = None
    coverage: Pairs = ()
    input_years: Pairs = ()
    atlas_cut: str | None = None
    lmb_source: str | None = None
    language: str | None = None
    schools: Pairs = ()
    lmb_estimate_factor: str | None = None
    estimates: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    counts: str | None = None
    numbered_against: str | None = None
    previous: str | None = None
    continued: Pairs | None = None
    lineage: tuple[str, ...] = ()
    hr_ids_used: tuple[str, ...] | None = None
    attribution: str | None = None
    changed_during_build: tuple[str, ...] = ()
    other: Pairs = ()

    @property
    def previous_sha256(self) -> str | None:
        """The SHA-256 of the build file this one was numbered against; ``None`` when none
        (numbered afresh, or against a build computed in memory)."""
        if self.previous is None or " sha256:" not in self.previous:
            return None
        return self.previous.rsplit(" sha256:", 1)[1]

    def input_year(self, key: str) -> str | None:
        """Which file and year the input ``key`` (``atlas``, ``mss`` ...) is; ``None`` when not
        recorded."""
        return dict(self.input_years).get(key)

    def input_digests(self, file_name: str) -> set[str]:
        """The SHA-256 of every recorded input whose file name is ``file_name``."""
        return {d for name, d in self.inputs if Path(name).name == file_name}

    def school_fact(self, key: str) -> str | None:
        """One fact of the school list (``schools.attribution`` ...); ``None`` when absent."""
        return dict(self.schools).get(key)

    def files(self) -> Pairs:
        """``(name, sha256)`` of every file the build read: the configuration, then inputs."""
        return (*self.config_files, *self.inputs)


@dataclass(frozen=True)
class Build:
    """The layers of one build and its record: the input of every comparison, of explain, the
    profiles and the site.

    Parameters
    ----------
    areas
        The ``handlungsraeume`` layer: ``hr_id`` (text, e.g. ``"01"``, ``"13a"``), ``hr_name``,
        ``population`` and MultiPolygon geometry in EPSG:25833 (metres).
    planning_areas
        The ``planungsraeume`` layer: ``plr_id`` (8-digit text), ``plr_name``, ``bezirk``,
        ``population``, ``c_mss``, ``c_schools``, ``c_atlas`` (0/1, empty = no data), ``hr_id``
        (missing outside every area: as in the GeoPackage, where it is NULL) and
        geometry.
    info
        The build's record (``build_info``).
    label
        How outputs name this build (e.g. its file name); defaults to the edition.
    sha256
        The SHA-256 of the file it was read from (``""`` when not read from a file): a build
        numbered against this file records it in ``build_info`` ``previous``.
    catchments
        The ``einschulungsbereiche`` layer, when read (profiles, site).
    schools
        The ``schulen`` layer, when the build has one and it was read.
    """

    areas: gpd.GeoDataFrame
    planning_areas: gpd.GeoDataFrame
    info: BuildInfo = field(default_factory=BuildInfo)
    label: str = ""
    sha256: str = ""
    catchments: gpd.GeoDataFrame | None = None
    schools: gpd.GeoDataFrame | None = None

    def continued_from(self, old: Build) -> list[tuple[str, str]] | None:
        """The ``(old hr_id, new hr_id)`` pairs this build's numbering recorded when it was
        numbered against ``old`` (its ``previous`` names ``old``'s file hash); ``None`` when it
        was not, or recorded no pairs (a build made before this was recorded)."""
        if not old.sha256 or self.info.previous_sha256 != old.sha256:
            return None
        if self.info.continued is None:
            return None
        return list(self.info.continued)

    @property
    def catchment_layer(self) -> gpd.GeoDataFrame:
        """The ``einschulungsbereiche`` layer; :class:`ValueError` when the build was read
        without it (:func:`quartiere.io.builds.read_build` reads it with ``full=True``)."""
        if self.catchments is None:
            raise ValueError(f"{self.label or 'the build'} was read without its catchments")
        return self.catchments

    @property
    def edition(self) -> str:
        """The edition label recorded in ``build_info`` (or the build's label)."""
        return self.info.edition or self.label or "?"

    @property
    def language(self) -> str:
        """The language the build was made in (``build_info`` ``language``; ``de`` when not
        recorded): its change memo is written in it."""
        value = self.info.language or "de"
        return value if value in ("de", "en") else "de"

    @property
    def generation(self) -> str | None:
        """The LOR generation of the planning areas (``lor2006``, ``lor2021``), if recorded."""
        return self.info.lor_generation or None


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
