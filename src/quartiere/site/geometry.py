"""Geometry for the web map: simplified as a coverage, in EPSG:4326, as compact GeoJSON.

Planning areas are simplified together (:func:`shapely.coverage_simplify`), so that neighbours
keep one shared edge: no slivers, no gaps. The Handlungsräume and the district borders are then
dissolved from the simplified planning areas, so their edges are the planning areas' edges.
Coordinates are rounded to :data:`DECIMALS` places (about 1 m in Berlin), which keeps shared
vertices shared (equal inputs round equally).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = [
    "DECIMALS",
    "WEB_CRS",
    "dissolve_web",
    "compact_collection",
    "feature_collection",
    "geojson_geometry",
    "simplify_coverage",
]

WEB_CRS = "EPSG:4326"
DECIMALS = 5
"""Decimal places of longitude and latitude: 1e-5 degree is 0.7 m (east) to 1.1 m (north)."""


def simplify_coverage(geometries: gpd.GeoSeries, tolerance_m: float) -> gpd.GeoSeries:
    """Simplify polygons that tile the ground together, so that shared edges stay shared.

    Parameters
    ----------
    geometries
        Polygons in a projected CRS (metres) that form a coverage (no overlaps).
    tolerance_m
        The simplification tolerance in metres.

    Returns
    -------
    GeoSeries
        The simplified polygons, same index and CRS. A layer that is not a valid coverage
        (overlapping polygons) is simplified polygon by polygon, topology preserved.
    """
    geoms = np.asarray(geometries.array)
    try:
        valid = bool(shapely.coverage_is_valid(geoms))
    except Exception:  # GEOS too old for coverage checks: simplify one by one
        valid = False
    if valid:
        simplified = shapely.coverage_simplify(geoms, tolerance_m)
    else:
        simplified = shapely.simplify(geoms, tolerance_m, preserve_topology=True)
    simplified = shapely.make_valid(simplified)
    return gpd.GeoSeries(simplified, index=geometries.index, crs=geometries.crs)


def dissolve_web(simplified: gpd.GeoSeries, by: pd.Series) -> gpd.GeoSeries:
    """Union of simplified planning areas per key (empty keys left out), in the same CRS.

    The union of polygons that share edges exactly has those edges removed, so an area's
    outline is made of its planning areas' (simplified) outer edges.
    """
    keys = by.reindex(simplified.index).fillna("").astype(str)
    out = {}
    for key, members in simplified.groupby(keys.to_numpy()):
        if key:
            out[key] = shapely.union_all(np.asarray(members.array))
    return gpd.GeoSeries(out, crs=simplified.crs)


def _ring(coords: np.ndarray) -> list[list[float]]:
    rounded = np.round(coords[:, :2], DECIMALS)
    keep = np.ones(len(rounded), dtype=bool)
    keep[1:] = np.any(rounded[1:] != rounded[:-1], axis=1)  # drop repeats made by rounding
    return rounded[keep].tolist()


def geojson_geometry(geometry: Any) -> dict[str, Any] | None:
    """A GeoJSON geometry dict with rounded coordinates (polygons as MultiPolygon), or None.

    >>> from shapely import box
    >>> geojson_geometry(box(13.0, 52.0, 13.1, 52.1))["type"]
    'MultiPolygon'
    >>> geojson_geometry(box(13.0, 52.0, 13.000001, 52.1)) is None  # nothing left at 1e-5
    True
    """
    if geometry is None or geometry.is_empty:
        return None
    if geometry.geom_type == "Point":
        return {"type": "Point", "coordinates": _ring(np.array([geometry.coords[0]]))[0]}
    polygons = [g for g in getattr(geometry, "geoms", [geometry]) if g.geom_type == "Polygon"]
    if not polygons and geometry.geom_type == "GeometryCollection":
        polygons = [g for g in geometry.geoms if g.geom_type == "Polygon"]
    rings = []
    for polygon in polygons:
        parts = [_ring(np.asarray(polygon.exterior.coords))]
        parts += [_ring(np.asarray(hole.coords)) for hole in polygon.interiors]
        if len(parts[0]) >= 4:
            rings.append([p for p in parts if len(p) >= 4])
    return {"type": "MultiPolygon", "coordinates": rings} if rings else None


def feature_collection(
    ids: Iterable[str],
    geometries: gpd.GeoSeries,
    properties: Iterable[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection in EPSG:4326; each feature's ``id`` is the given id.

    ``geometries`` are reprojected to EPSG:4326 here. Features without a geometry are left out.
    """
    web = geometries.to_crs(WEB_CRS) if geometries.crs is not None else geometries
    props = list(properties) if properties is not None else None
    features = []
    for i, (fid, geometry) in enumerate(zip(ids, web.array, strict=True)):
        geo = geojson_geometry(geometry)
        if geo is None:
            continue
        feature: dict[str, Any] = {"type": "Feature", "id": str(fid), "geometry": geo}
        feature["properties"] = props[i] if props is not None else {}
        features.append(feature)
    return {"type": "FeatureCollection", "features": features}


def _deltas(ring: list[list[float]]) -> list[int]:
    """A ring as integers of 1e-5 degree, the first point whole, then the steps between points."""
    units = np.rint(np.asarray(ring) * 10**DECIMALS).astype(np.int64)
    steps = np.vstack([units[:1], np.diff(units, axis=0)])
    return [int(v) for v in steps.reshape(-1)]


def compact_collection(ids: Iterable[str], geometries: gpd.GeoSeries) -> dict[str, Any]:
    """Polygons in EPSG:4326 as a compact collection the page's script decodes to GeoJSON.

    Each feature is ``[id, polygons]``; a polygon is a list of rings; a ring is the flat list
    ``[x0, y0, dx1, dy1, ...]`` in units of 1e-5 degree (first point, then the steps), which is
    about half the size of GeoJSON text. ``{"q": 100000, "f": [...]}``.

    >>> from shapely import box
    >>> compact_collection(["a"], gpd.GeoSeries([box(13.0, 52.0, 13.1, 52.1)], crs="EPSG:4326"))
    {'q': 100000, 'f': [['a', [[[1310000, 5200000, 0, 10000, -10000, 0, 0, -10000, 10000, 0]]]]]}
    """
    collection = feature_collection(ids, geometries)
    features = [
        [f["id"], [[_deltas(ring) for ring in polygon] for polygon in f["geometry"]["coordinates"]]]
        for f in collection["features"]
    ]
    return {"q": 10**DECIMALS, "f": features}


def dumps(value: Any) -> str:
    """Compact JSON (no spaces, UTF-8 kept) of data for the site."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
