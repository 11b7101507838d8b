"""GeoJSON features of one layer -> the table or layer an edition reads, validated.

The catalogue's :class:`~quartiere.sources.Layer` says which service field becomes which column.
Here the features become that frame: the sentinel (-9999) turns into a missing value, a row without
data (``no_data_when``) loses its placeholder texts too, and the ``reason`` column keeps the
service's explanation (``kom``) for exactly those rows. Every check that makes a download
incomplete is a :class:`~quartiere.fetch.wfs.SourceError` naming the layer: a field the catalogue
expects that the service no longer has (with the closest served name), the sentinel or a gap in a
column that must be complete, a duplicate key, a wrong feature count, coordinates that are not
easting/northing in EPSG:25833.
"""

from __future__ import annotations

import difflib
import io
from typing import Any

import numpy as np
import pandas as pd

from quartiere.fetch.wfs import SourceError
from quartiere.sources import Column, Layer

__all__ = ["features_frame", "serialise"]

# EPSG:25833 around Berlin, generously: a swapped axis order (northing first) falls outside.
_EASTING = (200_000.0, 700_000.0)
_NORTHING = (5_600_000.0, 6_000_000.0)


def _sentinel_mask(values: pd.Series, sentinel: int) -> pd.Series:
    """Where a field carries the sentinel, as a number or as text ("-9999", "-9999.0")."""
    numeric = pd.to_numeric(values, errors="coerce")
    return (numeric == sentinel).fillna(False).astype(bool)


def _lookup(values: pd.Series, table: dict[int | str, str], where: str, field: str) -> pd.Series:
    mapping = {str(k): v for k, v in table.items()}
    keys = values.map(lambda v: None if pd.isna(v) else str(int(v)) if _integral(v) else str(v))
    unknown = sorted({k for k in keys.dropna() if k not in mapping})
    if unknown:
        raise SourceError(
            f"field {field!r} has values {', '.join(unknown)} outside the catalogue's "
            f"values {', '.join(mapping)}",
            where=where,
        )
    return keys.map(mapping)


def _integral(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) or (isinstance(value, float) and value.is_integer())


def _column(
    props: pd.DataFrame, column: Column, sentinel: int, where: str
) -> tuple[pd.Series, pd.Series]:
    """The column's values and where its field carried the sentinel."""
    raw = props[column.source_field]
    mask = _sentinel_mask(raw, sentinel)
    values = raw.astype("Int64") if pd.api.types.is_integer_dtype(raw) else raw.copy()
    values = values.mask(mask)
    if column.values is not None:
        values = _lookup(values, column.values, where, column.source_field)
    elif column.slice is not None:
        start, stop = column.slice
        values = values.map(lambda v: v if pd.isna(v) else str(v)[start:stop])
    elif column.after is not None:
        sep = column.after
        values = values.map(lambda v: v if pd.isna(v) else str(v).partition(sep)[2] or str(v))
    return values, mask


def features_frame(
    features: list[dict[str, Any]],
    layer: Layer,
    *,
    sentinel: int,
    crs: str,
    number_matched: int,
    where: str,
) -> pd.DataFrame:
    """The layer's output frame (a GeoDataFrame for ``geometry: polygon``), validated.

    ``where`` names the layer in messages (``mss2023: mss_2023:mss2023_indizes_542``).
    """
    if len(features) != number_matched:
        raise SourceError(
            f"fewer features than numberMatched: {len(features)} of {number_matched}; "
            "nothing was replaced",
            where=where,
        )
    props = pd.DataFrame([f.get("properties") or {} for f in features])
    served = list(props.columns)
    for field in layer.fields:
        if field not in props.columns:
            close = difflib.get_close_matches(field, served, n=1, cutoff=0.5)
            hint = f" (renamed to {close[0]!r}?)" if close else ""
            raise SourceError(
                f"field {field!r} is missing{hint}; the layer has {', '.join(served) or 'none'}",
                where=where,
            )
    masks: dict[str, pd.Series] = {}
    columns: dict[str, pd.Series] = {}
    for name, column in layer.columns.items():
        if column.reason is None:
            columns[name], masks[name] = _column(props, column, sentinel, where)
    any_sentinel = pd.Series(False, index=props.index)
    for mask in masks.values():
        any_sentinel |= mask
    if layer.no_data_when is not None:
        no_data = _sentinel_mask(props[layer.no_data_when], sentinel)
        any_sentinel |= no_data
        for name in columns:
            if name not in layer.complete:
                columns[name] = columns[name].mask(no_data)
    for name, column in layer.columns.items():
        if column.reason is not None:
            columns[name] = props[column.reason].where(any_sentinel)
    if layer.all_fields:
        for field in served:
            if field not in columns:
                raw = props[field]
                columns[field] = raw.mask(_sentinel_mask(raw, sentinel))
    frame = pd.DataFrame(columns, index=props.index)
    key = layer.key
    for name in layer.complete:
        gaps = frame[name].isna()
        if gaps.any():
            field = layer.columns[name].source_field
            first = int(np.flatnonzero(gaps.to_numpy())[0])
            at = f"{key}={frame[key].iloc[first]}" if key and key != name else f"feature {first}"
            raise SourceError(
                f"field {field!r} ({name}) must be complete but carries the sentinel {sentinel} "
                f"or nothing in {int(gaps.sum())} features (first: {at})",
                where=where,
            )
    if key is not None and frame[key].duplicated().any():
        dupes = frame.loc[frame[key].duplicated(), key].astype(str).unique()[:5]
        raise SourceError(f"{key} is not unique: {', '.join(dupes)}", where=where)
    if layer.count is not None and len(frame) != layer.count:
        raise SourceError(f"{len(frame)} features; {layer.count} expected", where=where)
    if layer.geometry != "none":
        frame = _with_geometry(frame, features, layer, crs, where)
    if key is not None:
        frame = frame.sort_values(key, kind="stable").reset_index(drop=True)
    return frame


def _with_geometry(
    frame: pd.DataFrame, features: list[dict[str, Any]], layer: Layer, crs: str, where: str
) -> pd.DataFrame:
    import geopandas as gpd
    import shapely

    geometries = shapely.from_geojson(
        [_json(f.get("geometry")) if f.get("geometry") else "null" for f in features],
        on_invalid="ignore",
    )
    if shapely.is_missing(geometries).any():
        first = int(np.flatnonzero(shapely.is_missing(geometries))[0])
        raise SourceError(f"feature {first} has no geometry", where=where)
    minx, miny, maxx, maxy = shapely.total_bounds(geometries)
    if crs.upper().endswith("25833") and not (
        _EASTING[0] <= minx <= maxx <= _EASTING[1] and _NORTHING[0] <= miny <= maxy <= _NORTHING[1]
    ):
        raise SourceError(
            f"coordinates ({minx:.0f}, {miny:.0f}) .. ({maxx:.0f}, {maxy:.0f}) are not "
            f"easting, northing in {crs} (axis order swapped, or another CRS)",
            where=where,
        )
    if layer.geometry == "xy":
        points = shapely.get_type_id(geometries) == shapely.GeometryType.POINT
        if not points.all():
            raise SourceError("geometry: xy needs point features", where=where)
        return frame.assign(x=shapely.get_x(geometries), y=shapely.get_y(geometries))
    return gpd.GeoDataFrame(frame, geometry=list(geometries), crs=crs)


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


def serialise(frame: pd.DataFrame, layer: Layer) -> bytes:
    """The bytes of the layer's file: CSV (UTF-8, ``\\n``) or GeoJSON (with its CRS).

    The same frame always gives the same bytes, so the SHA-256 tells a change.
    """
    if layer.geometry == "polygon":
        import geopandas as gpd

        assert isinstance(frame, gpd.GeoDataFrame)
        data = frame.__geo_interface__
        crs = frame.crs.to_epsg() if frame.crs is not None else None
        collection = {
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{crs}"}},
            "features": [
                {"type": "Feature", "properties": f["properties"], "geometry": f["geometry"]}
                for f in data["features"]
            ],
        }
        import json

        return json.dumps(collection, ensure_ascii=False, default=_plain).encode("utf-8")
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


def _plain(value: Any) -> Any:
    """numpy scalars and pandas' NA in GeoJSON properties."""
    if value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to GeoJSON")
