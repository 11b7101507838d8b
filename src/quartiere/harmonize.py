"""Transfer attributes between zone systems by area- or population-weighted overlay.

Berlin's inputs live on different geometries: school catchments (Einschulungsbereiche), and the
social
atlas on the pre-2021 planning areas (LOR 2006). This stage moves their values onto the target
planning
areas and keeps the overlap weights, so that ``quartiere explain`` can show where a value came from.

Two kinds of variables are transferred differently:

* **intensive** variables (shares, rates, indices: lmb share, child poverty in %, GESIx) become the
  weighted mean of the overlapping source values;
* **extensive** variables (counts: inhabitants) are apportioned: each source value is split over its
  overlaps in proportion to their weight within the source, and the parts are summed per target. The
  citywide total is kept wherever source and target cover the same ground.

Weights are ``area`` (m², EPSG:25833) or ``population``: a source zone's inhabitants spread evenly
over
its area, so that an overlap with a densely populated source counts more than one with a park.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = [
    "overlay",
    "reverse",
    "weigh",
    "overlay_weights",
    "transfer_intensive",
]

Weighting = Literal["area", "population"]


def intersection_area(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Area (m²) of the pairwise intersections of two geometry arrays, on all CPU cores.

    GEOS releases Python's GIL, so chunks intersect in parallel threads; this is the costliest
    step of a build.
    """
    # Threads and chunks are speed settings, not rules: the serial and the parallel path give
    # the same areas (tested), so mutation testing leaves these lines alone.
    workers = min(os.cpu_count() or 1, 8)  # pragma: no mutate
    if workers == 1 or len(a) < 64:  # pragma: no mutate
        return shapely.area(shapely.intersection(a, b))
    chunks = np.array_split(np.arange(len(a)), workers * 2)  # pragma: no mutate
    with ThreadPoolExecutor(workers) as pool:  # pragma: no mutate
        parts = pool.map(lambda ix: shapely.area(shapely.intersection(a[ix], b[ix])), chunks)
        return np.concatenate(list(parts))


def overlay(
    source: gpd.GeoSeries, target: gpd.GeoSeries, *, min_area_m2: float = 1.0
) -> pd.DataFrame:
    """Intersect two polygon layers: one row per overlap with its area and shares.

    Parameters
    ----------
    source, target : GeoSeries
        Polygon layers in the same projected CRS (metres), indexed by their zone ids.
    min_area_m2 : float
        Overlaps smaller than this are slivers of non-matching boundaries and are dropped.

    Returns
    -------
    DataFrame
        Columns ``source``, ``target`` (zone ids), ``area_m2``, ``source_share`` (overlap area /
        source area) and ``target_share`` (overlap area / target area), sorted by target, source.
    """
    if source.crs is not None and target.crs is not None and source.crs != target.crs:
        raise ValueError(f"source CRS {source.crs} differs from target CRS {target.crs}")
    src_geoms = np.asarray(source.array)  # object arrays of geometries
    tgt_geoms = np.asarray(target.array)
    tree = shapely.STRtree(src_geoms)
    tgt_idx, src_idx = tree.query(tgt_geoms, predicate="intersects")
    area = intersection_area(src_geoms[src_idx], tgt_geoms[tgt_idx])
    keep = area >= min_area_m2
    src_idx, tgt_idx, area = src_idx[keep], tgt_idx[keep], area[keep]
    frame = pd.DataFrame(
        {
            "source": source.index.to_numpy()[src_idx],
            "target": target.index.to_numpy()[tgt_idx],
            "area_m2": area,
            "source_share": area / shapely.area(src_geoms)[src_idx],
            "target_share": area / shapely.area(tgt_geoms)[tgt_idx],
        }
    )
    return frame.sort_values(["target", "source"]).reset_index(drop=True)  # unique pairs


def reverse(overlaps: pd.DataFrame) -> pd.DataFrame:
    """The same overlaps seen from the other side (target becomes source), without the weights."""
    swapped = overlaps.rename(
        columns={
            "source": "target",
            "target": "source",
            "source_share": "target_share",
            "target_share": "source_share",
        }
    )
    columns = ["source", "target", "area_m2", "source_share", "target_share"]
    return swapped[columns].sort_values(["target", "source"]).reset_index(drop=True)


def weigh(
    overlaps: pd.DataFrame, weight: Weighting = "area", source_population: pd.Series | None = None
) -> pd.DataFrame:
    """Add a ``weight`` column to overlaps: their area, or their share of the source's inhabitants.

    Population weights spread each source zone's inhabitants evenly over its area; zones missing
    from ``source_population`` weigh 0.
    """
    out = overlaps.copy()
    if weight == "area":
        out["weight"] = out["area_m2"]
    elif weight == "population":
        if source_population is None:
            raise ValueError("population weighting needs source_population")
        pop = source_population.reindex(out["source"]).fillna(0.0).to_numpy()
        out["weight"] = pop * out["source_share"].to_numpy()
    else:  # pragma: no cover - guarded by the configuration model
        raise ValueError(f"unknown weight {weight!r}")
    return out


def overlay_weights(
    source: gpd.GeoSeries,
    target: gpd.GeoSeries,
    *,
    weight: Weighting = "area",
    source_population: pd.Series | None = None,
    min_area_m2: float = 1.0,
) -> pd.DataFrame:
    """Intersect two polygon layers and weigh each overlap (:func:`overlay`, then :func:`weigh`).

    Returns the overlaps of :func:`overlay` with a ``weight`` column: the overlap's area (m²), or
    the source zone's population times the overlap's share of the source zone's area.
    """
    return weigh(overlay(source, target, min_area_m2=min_area_m2), weight, source_population)


def transfer_intensive(
    weights: pd.DataFrame,
    values: pd.Series,
    targets: pd.Index,
    *,
    min_coverage: float = 0.0,
) -> pd.DataFrame:
    """Weighted mean of an intensive source variable per target zone.

    Overlaps whose source has no value (NaN or absent) are left out of the mean. A target whose
    overlaps with values carry less than ``min_coverage`` of its total weight gets NaN: "no data",
    never a value made up from a sliver.

    Returns
    -------
    DataFrame
        Indexed by ``targets`` with columns ``value`` (weighted mean) and ``coverage`` (share of
        the target's weight that carried a value, 0-1).
    """
    src_values = values.reindex(weights["source"]).to_numpy()  # NaN for absent sources
    has = ~np.isnan(src_values)
    w = weights["weight"].to_numpy()
    frame = pd.DataFrame(
        {
            "target": weights["target"].to_numpy(),
            "w_all": w,
            "w_has": np.where(has, w, 0.0),
            "wv": np.where(has, w * np.nan_to_num(src_values), 0.0),
        }
    )
    # A target without overlaps gets NaN sums; pandas divides without warnings. Weights are >= 0:
    # without weight that carries a value, wv is 0 too, and the mean 0/0 is NaN.
    sums = frame.groupby("target")[["w_all", "w_has", "wv"]].sum().reindex(targets)
    value = sums["wv"] / sums["w_has"]
    coverage = (sums["w_has"] / sums["w_all"]).fillna(0.0)
    return pd.DataFrame({"value": value.where(coverage >= min_coverage), "coverage": coverage})
