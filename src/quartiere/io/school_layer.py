"""Layer ``schulen``: one point per counted school with its lmb share, source and flags.

Its documentation (:func:`school_docs`) is registered in
:mod:`quartiere.io.gpkg`; the QGIS style is ``styles/schulen.qml`` (estimates drawn as hollow
markers, official values filled).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import pandas as pd

from quartiere.schools.school_list import flag_column

__all__ = ["POINT_LAYERS", "school_docs", "school_layer"]

POINT_LAYERS = frozenset({"schulen"})
"""Layers of points (every other geometry layer holds (Multi)Polygons)."""


def school_layer(
    schools: gpd.GeoDataFrame, flags: Sequence[str], threshold: float
) -> gpd.GeoDataFrame:
    """The ``schulen`` layer from the per-school table of :func:`quartiere.schools.assess`."""
    share = schools["lmb_share"]
    layer = pd.DataFrame(
        {
            "bsn": schools.index.astype(str),
            "name": schools["name"],
            "type": schools["type"],
            "esb_id": schools["esb_id"].astype(object),
            "plr_id": schools["plr_id"].astype(str),
            "bezirk": schools["bezirk"],
            "lmb_share": share.round(2),
            "lmb_source": schools["lmb_source"],
            **{flag_column(f): _flag(schools[flag_column(f)]) for f in flags},
            "flagged": (share >= threshold).astype("Int8").where(share.notna()),
        },
        index=schools.index,
    )
    return gpd.GeoDataFrame(layer, geometry=schools.geometry, crs=schools.crs).reset_index(
        drop=True
    )


def _flag(values: pd.Series) -> pd.Series:
    """A flag column as 0/1, empty (NULL) where a flag joined from another table does not know
    the school."""
    return values.astype("Int64") if values.isna().any() else values.astype(int)


def school_docs(layer_doc: Any, field: Any) -> tuple[Any, dict[str, Any]]:
    """The layer's :class:`LayerDoc` and :class:`Field` entries (classes passed in by gpkg)."""
    doc = layer_doc(
        "Schulen with lmb share",
        "Primary schools of the public school list (points) with their share of pupils exempt "
        "from paying for learning materials (lernmittelbefreit, lmb); lmb_source tells official "
        "values from estimates; flag_* columns are the per-school flags (1/0; empty where a "
        "flag joined from another table does not hold the school). EPSG:25833.",
        ("bsn",),
    )
    fields = {
        "bsn": field("BSN", "school number (Berliner Schulnummer)", "TEXT(8)"),
        "name": field("Schule", "name of the school", "TEXT(80)"),
        "type": field("Schulart", "school type", "TEXT(40)"),
        "esb_id": field("ESB-Nr.", "catchment the school is linked to (empty: none)", "TEXT(20)"),
        "plr_id": field("PLR-Nr.", "planning area the school stands in", "TEXT(8)"),
        "bezirk": field("Bezirk", "district (Bezirk) of that planning area", "TEXT(40)"),
        "lmb_share": field(
            "lmb-Anteil %", "lmb share of the school's pupils, percent 0..100", "REAL"
        ),
        "lmb_source": field("lmb-Quelle", "'official' or 'estimate' (stand-in value)", "TEXT(8)"),
        "flagged": field(
            "markiert", "1 = share reaches the school criterion threshold", "SMALLINT"
        ),
    }
    return doc, fields
