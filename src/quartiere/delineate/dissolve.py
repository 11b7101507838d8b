"""Geometry of the areas: the coverage-aware union of each area's members, and the layer.

All geometry stays in the input CRS (EPSG:25833, metres).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from quartiere.delineate.clustering import Clustering, Territory
from quartiere.delineate.numbering import Numbering
from quartiere.model import CRITERIA

__all__ = ["AREA_COLUMNS", "areas_layer", "coverage_union"]

# Columns of the ``handlungsraeume`` layer (before geometry); the counts are integers.
_COUNT_COLUMNS = ("n_plr", "population", *(f"n_{c}" for c in CRITERIA))
AREA_COLUMNS = (
    *("hr_id", "hr_name", "bezirk", "n_plr", "population", "area_km2", "plr_ids"),
    *(f"n_{c}" for c in CRITERIA),
)


def coverage_union(geoms: np.ndarray) -> shapely.Geometry:
    """Coverage-aware union (no slivers on a clean coverage), exact union as a fallback.

    >>> coverage_union(np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])).area
    2.0
    """
    try:
        merged = shapely.coverage_union_all(geoms)
        expected = float(shapely.area(geoms).sum())
        if shapely.is_valid(merged) and abs(shapely.area(merged) - expected) <= 1e-6 * expected:
            return merged
    except shapely.errors.GEOSException:
        # Coverage union refuses inputs whose shared edges are not noded identically (LOR 2006).
        pass
    return shapely.union_all(geoms)


def _as_multipolygons(geoms: np.ndarray) -> np.ndarray:
    """Every geometry as a MultiPolygon (the contract's type), dropping stray lines or points."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    polygon = shapely.get_type_id(parts) == 3
    out = np.empty(geoms.size, dtype=object)
    out[:] = shapely.multipolygons(parts[polygon], indices=owner[polygon])
    return out


def areas_layer(
    frame: gpd.GeoDataFrame,
    ids: np.ndarray,
    clustering: Clustering,
    numbering: Numbering,
    territory: Territory,
) -> gpd.GeoDataFrame:
    """The ``handlungsraeume`` layer, one row per area in numbering order."""
    area_order = numbering.order
    if area_order.size == 0:
        empty = gpd.GeoDataFrame({c: [] for c in AREA_COLUMNS}, geometry=[], crs=frame.crs)
        return empty.astype(dict.fromkeys(_COUNT_COLUMNS, int))
    aidx = np.flatnonzero(clustering.in_area)
    position = np.full(numbering.hr_id.size, -1, dtype=np.int64)
    position[area_order] = np.arange(area_order.size)
    pos = position[clustering.cluster[aidx]]
    order = np.lexsort((territory.rank[aidx], pos))
    members = aidx[order]
    pos = pos[order]
    starts = np.flatnonzero(np.r_[True, pos[1:] != pos[:-1]])
    geoms = np.asarray(frame.geometry.values, dtype=object)[members]
    unions = np.array(
        [coverage_union(chunk) for chunk in np.split(geoms, starts[1:])], dtype=object
    )
    population = territory.population
    n_areas = area_order.size
    count = np.bincount(pos, minlength=n_areas)
    pop = np.bincount(pos, weights=population[members], minlength=n_areas)
    id_lists = [",".join(chunk) for chunk in np.split(ids[members].astype(str), starts[1:])]
    district = territory.district
    names_of = dict(zip(district, frame["bezirk_name"].astype(str), strict=True))
    # All districts of an area, largest first: one name under the default border rule.
    by_district = (
        pd.DataFrame({"pos": pos, "d": district[members], "w": population[members]})
        .groupby(["pos", "d"])["w"]
        .sum()
        .reset_index()
        .sort_values(["pos", "w", "d"], ascending=[True, False, True])
    )
    by_district["name"] = by_district["d"].map(names_of)
    district_label = by_district.groupby("pos", sort=True)["name"].agg(", ".join)
    geometry = _as_multipolygons(unions)
    layer = pd.DataFrame(
        {
            "hr_id": numbering.hr_id[area_order].astype(str),
            "hr_name": numbering.name[area_order].astype(str),
            "bezirk": district_label.reindex(range(n_areas)).to_numpy(dtype=object),
            "n_plr": count.astype(int),
            "population": np.rint(pop).astype(int),
            "area_km2": np.round(shapely.area(geometry) / 1e6, 3),
            "plr_ids": id_lists,
            **{
                f"n_{c}": np.bincount(
                    pos,
                    weights=(clustering.values[c][members] == 1).astype(float),
                    minlength=n_areas,
                ).astype(int)
                for c in CRITERIA
            },
        }
    )
    return gpd.GeoDataFrame(layer, geometry=geometry, crs=frame.crs)
