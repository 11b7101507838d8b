"""What a build records about itself: the ``build_info`` table (inputs and configuration with
their hashes, versions, coverage, provenance, numbering) and the configuration hash."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from quartiere import __version__
from quartiere.config import Config
from quartiere.criteria import CRITERIA
from quartiere.editions import edition_key
from quartiere.io.builds import previous_record, sha256
from quartiere.io.cache import code_version
from quartiere.io.gdal import reading
from quartiere.io.gpkg import build_timestamp
from quartiere.present.estimates import attribution, estimates_text
from quartiere.provenance import atlas_cut, input_years
from quartiere.record import Baseline
from quartiere.result import BuildResult

__all__ = ["built_config_hash", "collect_build_info", "config_hash", "source_files"]


def source_files(config: Config) -> list[tuple[str, str]]:
    """(name, SHA-256) of each configuration file and input, named relative to their common root.

    Names do not depend on the working directory or on where the project lies on a machine.
    """
    paths = [*config.files, *config.input_paths()]
    root = Path(os.path.commonpath([Path(p).resolve().parent for p in paths]))
    return [(str(Path(p).resolve().relative_to(root)), sha256(p)) for p in paths]


def config_hash(config: Config) -> str:
    """SHA-256 over the contents of the configuration files (the edition file and its bases)."""
    return hashlib.sha256("\n".join(sha256(Path(p)) for p in config.files).encode()).hexdigest()


def built_config_hash(out: Path) -> str | None:
    """The ``config_hash`` a build recorded in its ``build_info``; None when there is none."""
    import pyogrio

    if not Path(out).is_file():
        return None
    try:
        with reading():
            table = pyogrio.read_dataframe(out, layer="build_info", where="key = 'config_hash'")
    except Exception:  # not a GeoPackage, or no build_info layer: treat as not built
        return None
    return str(table["value"].iloc[0]) if len(table) else None


def collect_build_info(
    result: BuildResult,
    files: list[tuple[str, str]],
    previous: Path | Baseline | None = None,
) -> dict[str, str]:
    """The ``build_info`` table; ``previous`` (a file or a :class:`Baseline`) is recorded as
    ``previous``, ``numbered_against``, ``continued`` and ``lineage.N``."""
    import pyogrio
    import shapely

    config = result.config
    info: dict[str, str] = {
        "edition": config.edition,
        "edition_key": edition_key(config),
        "built_at": build_timestamp().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "quartiere_version": __version__,
        "code_version": code_version(),
        "lor_generation": config.planning_areas.generation,
        "crs": config.crs,
    }
    n_config = len(config.files)
    for i, (name, digest) in enumerate(files[:n_config]):
        info[f"config.{i}"] = f"{name} sha256:{digest}"
    info["config_hash"] = hashlib.sha256(
        "\n".join(digest for _, digest in files[:n_config]).encode()
    ).hexdigest()
    for name, digest in files[n_config:]:
        info[f"input:{name}"] = f"sha256:{digest}"
    info["versions"] = (
        f"geopandas {gpd.__version__}, shapely {shapely.__version__}, "
        f"pyogrio {pyogrio.__version__}, GDAL {pyogrio.__gdal_version_string__}, "
        f"pandas {pd.__version__}"
    )
    for coverage in result.coverage:
        info[f"coverage.{coverage.input}"] = coverage.text().split(": ", 1)[1]
    for key, text in input_years(config):
        info[f"input_year.{key}"] = text
    info["atlas_cut"] = atlas_cut(result.planning_areas, config)
    info["lmb_source"] = result.harmonized.lmb_source
    info["language"] = config.language
    if result.harmonized.schools is not None and config.schools is not None:
        from quartiere.schools import lmb_info

        info.update(lmb_info(result.harmonized.schools, config.schools))
    if result.harmonized.lmb_factor is not None:
        info["lmb_estimate_factor"] = f"{result.harmonized.lmb_factor:.6f}"
    for i, line in enumerate(estimates_text(result)):
        info[f"estimate.{i}"] = line
    for i, note in enumerate(result.inputs.notes):
        info[f"note.{i}"] = note
    counts = {c: int((result.planning_areas[c] == 1).sum()) for c in CRITERIA}
    info["counts"] = (
        f"{len(result.planning_areas)} planning areas; "
        + ", ".join(f"{k}={v}" for k, v in counts.items())
        + f"; {len(result.areas)} Handlungsräume"
    )
    if previous is not None:
        info.update(previous_record(previous))
        # The one matching: which area continues which (quartiere diff reads it back).
        info["continued"] = ",".join(f"{o}>{n}" for o, n in result.delineation.continued)
        for i, line in enumerate(result.delineation.lineage):
            info[f"lineage.{i}"] = line
    info["hr_ids_used"] = ",".join(result.hr_ids_used)
    info["attribution"] = attribution(config)
    return info
