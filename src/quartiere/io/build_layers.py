"""The layers of a build GeoPackage, shaped from a :class:`~quartiere.result.BuildResult`, and
their writing (through :func:`quartiere.io.gpkg.write_geopackage`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from quartiere.config import Config
from quartiere.delineate import DelineationResult
from quartiere.harmonize import Harmonized
from quartiere.i18n import Messages
from quartiere.io.build_record import info_rows
from quartiere.io.gpkg import write_geopackage
from quartiere.io.school_layer import school_layer as school_frame
from quartiere.present.estimates import attribution, estimates_text
from quartiere.result import BuildResult

__all__ = [
    "catchment_layer",
    "missing_outside",
    "planning_area_layer",
    "school_layer",
    "write_build",
]


def missing_outside(hr_id: pd.Series) -> pd.Series:
    """``hr_id`` as text where a planning area is inside an area and missing outside (never
    ``""``): the text dtype pandas reads the GeoPackage's NULL into, so a build in memory and
    the same build read back hold the same column."""
    values = [v if isinstance(v, str) and v else None for v in hr_id.tolist()]
    return pd.Series(values, index=hr_id.index, dtype="str", name=hr_id.name)


def planning_area_layer(plr: gpd.GeoDataFrame, result: DelineationResult) -> gpd.GeoDataFrame:
    members = result.members.reindex(plr.index)
    layer = pd.DataFrame(
        {
            "plr_id": plr.index.astype(str),
            "plr_name": plr["plr_name"],
            "bzr_name": plr["bzr_name"],
            "bezirk": plr["bezirk_name"],
            "population": plr["population"].round().astype("Int64"),
            "mss_status": plr["mss_status"],
            "mss_dynamic": plr["mss_dynamic"],
            "c_mss": plr["c_mss"],
            "lmb_area_share": plr["lmb_area_share"].round(4),
            "c_schools": plr["c_schools"],
            **{k: plr[k] for k in ("n_schools", "n_schools_flagged") if k in plr},
            "atlas_value": plr["atlas_value"].round(4),
            "atlas_stratum": plr["atlas_stratum"],
            "c_atlas": plr["c_atlas"],
            "n_criteria": plr["n_criteria"].astype(int),
            # missing (None) outside every area, in memory as in the GeoPackage (NULL)
            "hr_id": missing_outside(members["hr_id"]),
            "decision": members["decision"].astype(str),
        },
        index=plr.index,
    )
    return gpd.GeoDataFrame(layer, geometry=plr.geometry, crs=plr.crs).reset_index(drop=True)


def catchment_layer(
    catchments: gpd.GeoDataFrame, harmonized: Harmonized, config: Config
) -> gpd.GeoDataFrame:
    share = harmonized.lmb_share.reindex(catchments.index)
    threshold = config.criteria.schools.lmb_threshold
    layer = pd.DataFrame(
        {
            "esb_id": catchments.index.astype(str),
            "lmb_share": share.round(2),
            "lmb_source": harmonized.lmb_source,
            # unknown share: unknown flag (NULL), never "not flagged"
            "flagged": (share >= threshold).astype("Int8").where(share.notna()),
        },
        index=catchments.index,
    )
    return (
        gpd.GeoDataFrame(layer, geometry=catchments.geometry, crs=catchments.crs)
        .sort_index()
        .reset_index(drop=True)
    )


def school_layer(result: BuildResult) -> dict[str, gpd.GeoDataFrame]:
    """Layer ``schulen`` when the build has a school list, else nothing."""
    schools, config = result.harmonized.schools, result.config
    if schools is None or config.schools is None:
        return {}
    flags = [f.column for f in config.schools.flags]
    return {"schulen": school_frame(schools.schools, flags, config.criteria.schools.lmb_threshold)}


def write_build(result: BuildResult, files: list[tuple[str, str]], out: Path) -> None:
    """Write the build's layers, ``build_info`` and metadata into the GeoPackage ``out``."""
    config = result.config
    rows = info_rows(result.build_info)
    info_table = pd.DataFrame(rows, columns=["key", "value"])
    # the text the configuration was validated from, never the files read again
    texts = config.texts or [Path(p).read_text(encoding="utf-8") for p in config.files]
    metadata: dict[str, Any] = {
        "edition": config.edition,
        "config": "\n---\n".join(texts),
        "inputs": [{"path": name, "sha256": digest} for name, digest in files[len(config.files) :]],
        "attribution": attribution(config),
        "estimates": estimates_text(result, Messages(config.language)),
        "language": config.language,
    }
    layers = {
        "handlungsraeume": result.areas,
        # Outside every area hr_id is NULL, so that QGIS finds them with "hr_id" IS NULL.
        "planungsraeume": result.planning_areas.assign(
            hr_id=missing_outside(result.planning_areas["hr_id"])
        ),
        "einschulungsbereiche": result.catchments,
        **school_layer(result),
        "build_info": info_table,
    }
    write_geopackage(out, layers, dict(rows), metadata)
