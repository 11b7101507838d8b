"""Read polygon layers (GeoJSON, GeoPackage, Shapefile, zipped Shapefile) and check coverages.

:func:`read_layer` returns valid 2D polygons in the target CRS indexed by their id, together with a
:class:`LayerReport` of what it had to do (reproject, repair, drop Z) for ``build_info``.
Everything it cannot read or repair is refused with one :class:`InputError` line naming the file,
the feature and the problem. :func:`check_coverage` checks that planning areas tile the city:
no gaps and no overlaps larger than a tolerance.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from quartiere.config import LayerInput
from quartiere.errors import InputError
from quartiere.io.gdal import reading
from quartiere.io.tables import _cell_text, suggest_column, validate_ids
from quartiere.model import CRS as MODEL_CRS

__all__ = ["LayerReport", "read_layer", "check_coverage", "find_coverage_problems"]

_DATA_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json")
_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)
_MAX_SHOWN = 3


@dataclass(frozen=True)
class LayerReport:
    """What :func:`read_layer` read and what it had to change, for ``build_info``.

    Attributes
    ----------
    path : str
        The file as configured.
    n_features : int
        Features read.
    source_crs : str
        The CRS of the file (declared, or configured when the file declares none), e.g.
        ``"EPSG:25833"``.
    reprojected : bool
        Whether the geometries were transformed to the target CRS.
    repaired : int
        Invalid geometries repaired with ``shapely.make_valid`` (polygonal parts kept).

    Z (or M) coordinates are always dropped: the layers are 2D.
    """

    path: str
    n_features: int
    source_crs: str
    reprojected: bool
    repaired: int


def read_layer(
    spec: LayerInput,
    columns: Sequence[str] = (),
    target_crs: str = MODEL_CRS,
    id_pattern: str | None = r"\d{8}",
) -> tuple[gpd.GeoDataFrame, LayerReport]:
    """Read a polygon layer, validate it, and bring it to the target CRS.

    Parameters
    ----------
    spec : LayerInput
        ``path`` (``.geojson``, ``.gpkg``, ``.shp`` or a ``.zip`` holding one of them), ``layer``
        (needed when the file holds several), ``id`` field, and ``crs`` to assume when the file
        declares none. A GeoJSON without a ``crs`` member means WGS 84 longitude/latitude
        (RFC 7946); when its coordinates are not longitudes/latitudes it counts as declaring none.
    columns : sequence of str
        Attribute fields to return besides the geometry.
    target_crs : str
        CRS of the result (default ETRS89 / UTM 33N, metres).
    id_pattern : str or None
        Regular expression every id must match in full; ids that lost leading zeros (a numeric
        field) are padded only with ``spec.restore_leading_zeros``, see
        :func:`quartiere.io.tables.validate_ids`.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by id (index name ``"id"``, strings), with ``columns`` and ``geometry``: valid, 2D
        Polygon or MultiPolygon (as read) in ``target_crs``, in file order.
    LayerReport
        What was read and changed.

    Raises
    ------
    InputError
        Missing or unreadable file, ambiguous or missing layer, missing field, no CRS, empty or
        null geometry, a geometry that is not polygonal, an invalid geometry with no area left
        after repair, or an empty, malformed or duplicate id.
    """
    path = Path(spec.path)
    if not path.exists():
        raise InputError("file not found", path)
    source, member_layer = _gdal_source(path, spec.layer)
    # GDAL parses a whole GeoJSON file on every open: list layers only where a file can hold
    # several, and read the data once rather than asking for its schema first.
    layer = spec.layer if member_layer is None else member_layer
    if path.suffix.lower() in (".gpkg", ".zip") or layer is not None:
        layer = _choose_layer(source, path, layer)
    where = f"layer {layer!r}" if layer else None
    try:
        with reading():
            frame = pyogrio.read_dataframe(source, layer=layer)
    except pyogrio.errors.DataLayerError as exc:
        raise InputError(f"cannot be read as a polygon layer: {_first_line(exc)}", path) from None
    except Exception as exc:  # DataSourceError; GDAL errors vary by driver
        raise InputError(
            f"cannot be read as GeoJSON, GeoPackage or Shapefile: {_first_line(exc)}", path
        ) from None
    if len(frame) == 0:
        raise InputError("layer has no features", path, where)
    wanted = list(dict.fromkeys(c for c in columns if c != spec.id))
    fields = [str(f) for f in frame.columns if f != frame.geometry.name]
    for name in [spec.id, *wanted]:
        if name not in fields:
            role = "id field" if name == spec.id else "field"
            raise InputError(
                f"{role} {name!r} not found; {suggest_column(name, fields)}", path, where
            )
    driver = "GeoJSON" if path.suffix.lower() in (".geojson", ".json") else None

    n = len(frame)
    ids = validate_ids(
        [_cell_text(v) for v in frame[spec.id].tolist()],
        [f"feature {i}" for i in range(1, n + 1)],
        id_pattern=id_pattern,
        restore_leading_zeros=spec.restore_leading_zeros,
        path=path,
        column=spec.id,
    )
    geoms = np.asarray(frame.geometry.array, dtype=object)
    _check_geometry_kinds(geoms, ids, path)

    if shapely.has_z(geoms).any():
        geoms = shapely.force_2d(geoms)

    source_crs = _source_crs(frame.crs, driver, shapely.total_bounds(geoms), spec, path)
    target = CRS.from_user_input(target_crs)
    series = gpd.GeoSeries(geoms, crs=source_crs)
    reprojected = not source_crs.equals(target)
    if reprojected:
        series = series.to_crs(target)
    geoms = np.asarray(series.array, dtype=object)
    geoms, repaired = _repair(geoms, ids, path)

    index = pd.Index(ids, name="id", dtype=str)
    data = {name: frame[name].to_numpy() for name in wanted}
    result = gpd.GeoDataFrame(
        data, index=index, geometry=gpd.GeoSeries(geoms, index=index), crs=target
    )
    report = LayerReport(
        path=str(spec.path),
        n_features=n,
        source_crs=_crs_label(source_crs),
        reprojected=reprojected,
        repaired=repaired,
    )
    return result, report


def find_coverage_problems(areas: gpd.GeoDataFrame, min_area_m2: float = 0.0) -> pd.DataFrame:
    """Gaps and overlaps in a layer that should tile its territory (a coverage).

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Polygons in a projected CRS in metres, indexed by id.
    min_area_m2 : float
        Only problems larger than this are returned.

    Returns
    -------
    pandas.DataFrame
        One row per problem, largest first, with ``kind`` (``"gap"``: a hole in the union of all
        areas, not the outer boundary; ``"overlap"``: the intersection of two areas), ``area_m2``,
        ``x`` and ``y`` (its centroid, m, rounded) and ``ids`` (the areas involved:
        the two overlapping ones, or the ones bordering the gap).
    """
    geoms = np.asarray(areas.geometry.array, dtype=object)
    ids = np.asarray(areas.index.astype(str))
    tree = shapely.STRtree(geoms)
    rows: list[dict[str, object]] = []

    if shapely.coverage_is_valid(geoms):
        # A valid coverage has no overlaps and matching edges: its union is cheap and exact.
        union = shapely.coverage_union_all(geoms)
    else:
        left, right = tree.query(geoms, predicate="intersects")
        keep = left < right
        left, right = left[keep], right[keep]
        # neighbours share edges; intersect only the pairs whose interiors meet (cheaper to test)
        shapely.prepare(geoms)
        keep = shapely.relate_pattern(geoms[left], geoms[right], "2********")
        left, right = left[keep], right[keep]
        overlaps = shapely.intersection(geoms[left], geoms[right])
        area = shapely.area(overlaps)
        big = area > min_area_m2
        for a, b, geom, size in zip(left[big], right[big], overlaps[big], area[big], strict=True):
            rows.append(_problem("overlap", geom, size, sorted([ids[a], ids[b]])))
        union = shapely.union_all(geoms)

    parts = shapely.get_parts(union)
    rings, owner = shapely.get_rings(parts, return_index=True)
    first = np.r_[True, owner[1:] != owner[:-1]]  # the first ring of each polygon is its exterior
    holes = shapely.polygons(rings[~first])
    hole_area = shapely.area(holes)
    holes, hole_area = holes[hole_area > min_area_m2], hole_area[hole_area > min_area_m2]
    if len(holes):
        hole_idx, area_idx = tree.query(holes, predicate="intersects")
        for k, (hole, size) in enumerate(zip(holes, hole_area, strict=True)):
            rows.append(_problem("gap", hole, size, sorted(ids[area_idx[hole_idx == k]])))

    problems = pd.DataFrame(rows, columns=["kind", "area_m2", "x", "y", "ids"])
    return problems.sort_values("area_m2", ascending=False, ignore_index=True)


def check_coverage(areas: gpd.GeoDataFrame, tolerance_m2: float, path: str) -> None:
    """Refuse planning areas with gaps or overlaps larger than a tolerance.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Planning areas in a projected CRS in metres (EPSG:25833), indexed by id.
    tolerance_m2 : float
        Gaps and overlaps up to this size (m²) are accepted as digitising noise.
    path : str
        The file the areas were read from, for the message.

    Raises
    ------
    InputError
        Naming the number of gaps and overlaps and the largest ones, each with its size (m²),
        location (x/y in m) and the ids involved.
    """
    problems = find_coverage_problems(areas, tolerance_m2)
    if problems.empty:
        return
    counts = problems["kind"].value_counts()
    summary = " and ".join(
        f"{counts[kind]} {kind}{'s' if counts[kind] > 1 else ''}"
        for kind in ("overlap", "gap")
        if kind in counts
    )
    shown = "; ".join(_describe_problem(row) for row in problems.head(_MAX_SHOWN).itertuples())
    more = f"; and {len(problems) - _MAX_SHOWN} more" if len(problems) > _MAX_SHOWN else ""
    raise InputError(
        f"planning areas are not a coverage: {summary} larger than {tolerance_m2:g} m2: "
        f"{shown}{more}",
        path,
        "coverage",
    )


# --- helpers ---------------------------------------------------------------------------------


def _first_line(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _gdal_source(path: Path, layer: str | None) -> tuple[str, str | None]:
    """The path GDAL opens; for a zip, the one data file inside (and the layer, if a GeoPackage)."""
    if path.suffix.lower() != ".zip":
        return str(path), None
    try:
        with zipfile.ZipFile(path) as archive:
            members = [
                m
                for m in archive.namelist()
                if m.lower().endswith(_DATA_SUFFIXES) and not Path(m).name.startswith(("._", "."))
            ]
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"is not a readable zip archive ({exc})", path) from None
    if not members:
        raise InputError("zip archive holds no Shapefile, GeoPackage or GeoJSON", path)
    if len(members) > 1:
        chosen = [m for m in members if layer is not None and Path(m).stem == layer]
        if len(chosen) != 1:
            names = ", ".join(sorted(Path(m).stem for m in members))
            raise InputError(
                f"zip archive holds {len(members)} layers ({names}); set `layer:` to one of them",
                path,
            )
        members = chosen
    member = members[0]
    inner_layer = layer if member.lower().endswith(".gpkg") else ""
    return f"/vsizip/{path.resolve()}/{member}", inner_layer or None


def _choose_layer(source: str, path: Path, layer: str | None) -> str | None:
    try:
        with reading():
            layers = [str(name) for name, _ in pyogrio.list_layers(source)]
    except Exception as exc:  # pyogrio raises DataSourceError, GDAL errors vary by driver
        raise InputError(
            f"cannot be read as GeoJSON, GeoPackage or Shapefile: {_first_line(exc)}", path
        ) from None
    if not layers:
        raise InputError("holds no layers", path)
    if layer is None:
        if len(layers) > 1:
            raise InputError(
                f"holds {len(layers)} layers ({', '.join(layers)}); set `layer:` to one of them",
                path,
            )
        return None
    if layer not in layers:
        raise InputError(f"layer {layer!r} not found; {suggest_column(layer, layers)}", path)
    return layer


def _check_geometry_kinds(geoms: np.ndarray, ids: list[str], path: Path) -> None:
    def refuse(mask: np.ndarray, what: str) -> None:
        bad = np.flatnonzero(mask)
        if len(bad):
            first = bad[0]
            more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
            raise InputError(f"{what}{more}", path, f"feature {ids[first]}")

    refuse(shapely.is_missing(geoms), "has no geometry (null)")
    refuse(shapely.is_empty(geoms), "has an empty geometry")
    kinds = shapely.get_type_id(geoms)
    bad = ~np.isin(kinds, [int(k) for k in _POLYGONAL])
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        more = f" (and {int(bad.sum()) - 1} more)" if bad.sum() > 1 else ""
        raise InputError(
            f"is a {geoms[first].geom_type}; only Polygon and MultiPolygon are accepted{more}",
            path,
            f"feature {ids[first]}",
        )


def _source_crs(
    declared: object, driver: object, bounds: np.ndarray, spec: LayerInput, path: Path
) -> CRS:
    """The file's CRS; the configured one when the file declares none; else refuse."""
    crs = None if declared is None else CRS.from_user_input(declared)
    lonlat_ok = bool(np.all(np.abs(bounds[[0, 2]]) <= 180) and np.all(np.abs(bounds[[1, 3]]) <= 90))
    reach = f"x={bounds[2]:.0f}, y={bounds[3]:.0f}"
    note = ""
    if crs is not None and crs.is_geographic and not lonlat_ok:
        if driver == "GeoJSON":
            # RFC 7946: no `crs` member means WGS 84; GDAL reports it so even for metre coordinates
            note = (
                f"; a GeoJSON without `crs` member means WGS 84 longitude/latitude, but the "
                f"coordinates reach {reach}"
            )
            crs = None
        else:
            raise InputError(
                f"declares the geographic CRS {_crs_label(crs)} but its coordinates reach {reach}; "
                "the CRS declaration (e.g. the .prj file) is wrong",
                path,
            )
    if crs is not None:
        return crs
    if spec.crs is None:
        raise InputError(f"declares no CRS and none is configured (set `crs:`){note}", path)
    try:
        return CRS.from_user_input(spec.crs)
    except CRSError:
        raise InputError(f"configured `crs: {spec.crs}` is not a known CRS", path) from None


def _crs_label(crs: CRS) -> str:
    authority = crs.to_authority()
    return f"{authority[0]}:{authority[1]}" if authority else crs.to_string()


def _repair(geoms: np.ndarray, ids: list[str], path: Path) -> tuple[np.ndarray, int]:
    """Repair invalid geometries with make_valid, keeping only their polygonal parts."""
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    if not len(invalid):
        return geoms, 0
    geoms = geoms.copy()
    fixed = shapely.make_valid(geoms[invalid])
    for i, geom in zip(invalid, fixed, strict=True):
        if shapely.get_type_id(geom) not in _POLYGONAL:
            parts = shapely.get_parts(geom)
            parts = parts[np.isin(shapely.get_type_id(parts), [int(k) for k in _POLYGONAL])]
            geom = shapely.union_all(parts) if len(parts) else shapely.Polygon()
        if shapely.is_empty(geom) or shapely.area(geom) == 0:
            raise InputError(
                "has an invalid geometry with no area left after repair "
                "(collapsed to lines or points)",
                path,
                f"feature {ids[i]}",
            )
        geoms[i] = geom
    return geoms, len(invalid)


def _problem(kind: str, geom: shapely.Geometry, size: float, ids: list[str]) -> dict[str, object]:
    point = shapely.centroid(geom)
    return {
        "kind": kind,
        "area_m2": float(size),
        "x": round(point.x),
        "y": round(point.y),
        "ids": ", ".join(ids),
    }


def _describe_problem(row: object) -> str:
    kind, size, x, y, ids = (getattr(row, k) for k in ("kind", "area_m2", "x", "y", "ids"))
    relation = "between" if kind == "overlap" else "bordered by"
    return f"{kind} of {size:.0f} m2 at x={x}, y={y} {relation} {ids}"
