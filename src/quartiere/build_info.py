"""What a build records about itself: the ``build_info`` record (inputs and configuration with
their hashes, versions, coverage, provenance, numbering) and the configuration hash.

The hashes are those of the bytes the build read: the configuration's from the text it
validated (:attr:`quartiere.config.Config.texts`), the inputs' from the digests its loading took
(:attr:`quartiere.derived.Derived.digests`, the same that key the cache). A file whose content
changed while the build ran is named in ``changed_during_build`` (:func:`changed_files`), and
such a build is never taken as up to date (:func:`built_config_hash`,
:func:`quartiere.reuse.build_is_current`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

from quartiere import __version__
from quartiere.config import Config
from quartiere.criteria import CRITERIA
from quartiere.editions import edition_key
from quartiere.io.build_record import read_build_info
from quartiere.io.builds import previous_record, sha256
from quartiere.io.cache import code_version
from quartiere.io.gpkg import build_timestamp
from quartiere.present.estimates import attribution, estimates_text
from quartiere.provenance import atlas_cut, input_years
from quartiere.record import Baseline, Build, BuildInfo
from quartiere.result import BuildResult

__all__ = [
    "built_config_hash",
    "changed_files",
    "collect_build_info",
    "config_digests",
    "config_hash",
    "source_files",
]


def config_digests(config: Config) -> list[str]:
    """The SHA-256 of each configuration file, of the text the configuration was validated
    from; of the file as it is now when the configuration holds no text (made in memory)."""
    if len(config.texts) == len(config.files):
        return [hashlib.sha256(text.encode("utf-8")).hexdigest() for text in config.texts]
    return [sha256(Path(p)) for p in config.files]


def source_files(
    config: Config, input_digests: Mapping[Path, str] | None = None
) -> list[tuple[str, str]]:
    """(name, SHA-256) of each configuration file and input, named relative to their common root.

    Names do not depend on the working directory or on where the project lies on a machine.

    Parameters
    ----------
    config
        The configuration as validated.
    input_digests
        The digest of each input as the build read it (resolved path -> hex); an input not in
        it is hashed now.
    """
    inputs = config.input_paths()
    paths = [*config.files, *inputs]
    root = Path(os.path.commonpath([Path(p).resolve().parent for p in paths]))
    digests = dict(input_digests or {})
    hashes = config_digests(config) + [
        digests.get(Path(p).resolve()) or sha256(Path(p)) for p in inputs
    ]
    return [
        (str(Path(p).resolve().relative_to(root)), d) for p, d in zip(paths, hashes, strict=True)
    ]


def changed_files(config: Config, files: list[tuple[str, str]]) -> list[str]:
    """The names of ``files`` (:func:`source_files`) whose content differs now from their
    recorded digest: what changed while the build ran."""
    paths = [*config.files, *config.input_paths()]
    return [
        name
        for p, (name, digest) in zip(paths, files, strict=True)
        if not Path(p).is_file() or sha256(Path(p)) != digest
    ]


def config_hash(config: Config) -> str:
    """SHA-256 over the digests of the configuration files (the edition file and its bases)."""
    return hashlib.sha256("\n".join(config_digests(config)).encode()).hexdigest()


def built_config_hash(out: Path) -> str | None:
    """The ``config_hash`` a build recorded; ``None`` when there is none, or when the build's
    files changed while it ran (then it is what no configuration says: never up to date)."""
    info = read_build_info(Path(out))
    if info is None or info.changed_during_build:
        return None
    return info.config_hash


def collect_build_info(
    result: BuildResult,
    files: list[tuple[str, str]],
    previous: Path | Baseline | None = None,
    *,
    before: Build | None = None,
    changed: list[str] | None = None,
) -> BuildInfo:
    """The build's record; ``previous`` (a file or a :class:`Baseline`, read as ``before``) is
    recorded as ``previous``, ``numbered_against``, ``continued`` and ``lineage``; ``changed``
    names the files that changed while the build ran."""
    import pyogrio
    import shapely

    config = result.config
    n_config = len(config.files)
    schools: dict[str, str] = {}
    if result.harmonized.schools is not None and config.schools is not None:
        from quartiere.schools import lmb_info

        schools = lmb_info(result.harmonized.schools, config.schools)
    factor = result.harmonized.lmb_factor
    counts = {c: int((result.planning_areas[c] == 1).sum()) for c in CRITERIA}
    numbered_against = recorded_previous = None
    if previous is not None:
        numbered_against, recorded_previous = previous_record(previous, before)
    return BuildInfo(
        edition=config.edition,
        edition_key=edition_key(config),
        built_at=build_timestamp().strftime("%Y-%m-%dT%H:%M:%SZ"),
        quartiere_version=__version__,
        code_version=code_version(),
        lor_generation=config.planning_areas.generation,
        crs=config.crs,
        config_files=tuple(files[:n_config]),
        config_hash=hashlib.sha256(
            "\n".join(digest for _, digest in files[:n_config]).encode()
        ).hexdigest(),
        inputs=tuple(files[n_config:]),
        versions=(
            f"geopandas {gpd.__version__}, shapely {shapely.__version__}, "
            f"pyogrio {pyogrio.__version__}, GDAL {pyogrio.__gdal_version_string__}, "
            f"pandas {pd.__version__}"
        ),
        coverage=tuple((c.input, c.text().split(": ", 1)[1]) for c in result.coverage),
        input_years=tuple(input_years(config)),
        atlas_cut=atlas_cut(result.planning_areas, config),
        lmb_source=result.harmonized.lmb_source,
        language=config.language,
        schools=tuple(schools.items()),
        lmb_estimate_factor=f"{factor:.6f}" if factor is not None else None,
        estimates=tuple(estimates_text(result)),
        notes=tuple(result.inputs.notes),
        counts=(
            f"{len(result.planning_areas)} planning areas; "
            + ", ".join(f"{k}={v}" for k, v in counts.items())
            + f"; {len(result.areas)} Handlungsräume"
        ),
        numbered_against=numbered_against,
        previous=recorded_previous,
        # The one matching: which area continues which (quartiere diff reads it back).
        continued=tuple((o, n) for o, n in result.delineation.continued)
        if previous is not None
        else None,
        lineage=tuple(result.delineation.lineage) if previous is not None else (),
        hr_ids_used=tuple(result.hr_ids_used),
        attribution=attribution(config),
        changed_during_build=tuple(changed or ()),
    )
