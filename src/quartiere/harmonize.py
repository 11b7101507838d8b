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

from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from quartiere.config import Config
from quartiere.inputs import Inputs, atlas_population
from quartiere.schools import SchoolInputs, SchoolsResult, assess

__all__ = [
    "Harmonized",
    "harmonize",
    "estimate_lmb",
    "overlay",
    "reverse",
    "weigh",
    "overlay_weights",
    "transfer_intensive",
]

Weighting = Literal["area", "population"]


def intersection_area(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Area (m²) of the pairwise intersections of two geometry arrays.

    Vectorised by shapely in this thread (chunks in a thread pool gained nothing measurable:
    docs/performance.md, "Concurrency").
    """
    return shapely.area(shapely.intersection(a, b))


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


def estimate_lmb(
    child_poverty: pd.Series, citywide_child_poverty: float, citywide_mean: float
) -> tuple[pd.Series, float]:
    """Stand-in lmb share (%) per catchment from MSS child poverty (indicator s4).

    lmb (SGB II, SGB XII, asylum seekers' benefits, Wohngeld, Kinderzuschlag) runs above s4 (SGB II
    only), so the estimate scales s4 by one factor chosen such that the citywide population-weighted
    mean equals ``citywide_mean`` (configured; press reports put it near one pupil in three), and
    caps
    the result at 100 %.

    Parameters
    ----------
    child_poverty : Series
        Population-weighted s4 (%) per catchment.
    citywide_child_poverty : float
        Population-weighted citywide s4 (%).
    citywide_mean : float
        Target citywide lmb share (%).

    Returns
    -------
    (Series, float)
        The estimated lmb share (%) per catchment, and the scaling factor used.
    """
    if not citywide_child_poverty > 0:
        raise ValueError("citywide child poverty must be positive to calibrate the lmb estimate")
    factor = citywide_mean / citywide_child_poverty
    return (child_poverty * factor).clip(upper=100.0).rename("lmb_share"), factor


@dataclass
class Harmonized:
    """Inputs moved onto the target planning areas, with the overlap weights kept for audit."""

    lmb_share: pd.Series  # per catchment, %
    lmb_source: str  # "official" or "estimate"
    lmb_factor: float | None  # estimate: s4 -> lmb scaling factor
    catchment_child_poverty: pd.Series | None  # estimate: population-weighted s4 per catchment, %
    catchment_overlaps: pd.DataFrame  # catchment (source) x PLR (target), area weights
    atlas: pd.DataFrame  # per PLR: value, coverage
    atlas_overlaps: pd.DataFrame | None  # source PLR x target PLR (when transferred)
    schools: SchoolsResult | None = None  # per-school values (config ``schools:``)


def harmonize(inputs: Inputs, config: Config) -> Harmonized:
    """Transfer catchment lmb shares and the atlas index onto the planning areas (the Berlin zone
    transfer: catchments -> planning areas, LOR 2006 atlas -> LOR 2021)."""
    plr = inputs.planning_areas
    catchments = inputs.catchments
    # One intersection serves both directions: catchments -> PLR (by area) and PLR -> catchments.
    overlaps = weigh(overlay(catchments.geometry, plr.geometry), "area")

    factor = None
    child_poverty = None
    schools = None
    if inputs.schools is not None and config.schools is not None:
        schools = assess(
            SchoolInputs(
                spec=config.schools,
                schools=inputs.schools,
                planning_areas=plr,
                catchments=catchments,
                child_poverty=inputs.child_poverty,
                population=inputs.population,
                extra=inputs.schools.extra,
            )
        )
    if config.catchments.lmb_source == "schools":
        assert schools is not None
        lmb, source = schools.catchment_lmb, schools.lmb_source
    elif inputs.official_lmb is not None:
        lmb = inputs.official_lmb.reindex(catchments.index)
        source = "official"
    else:
        assert config.catchments.estimate is not None
        # PLR -> catchment: s4 is a share of a PLR's children, so weigh each overlap by the PLR's
        # inhabitants in it (population spread evenly over the PLR's area).
        s4 = inputs.child_poverty.reindex(plr.index)
        has = s4.notna() & inputs.population.notna()
        pop = inputs.population.where(has)
        to_catchments = weigh(reverse(overlaps), "population", source_population=pop)
        child_poverty = transfer_intensive(to_catchments, s4, catchments.index)["value"]
        citywide = float(np.average(s4[has], weights=pop[has]))
        lmb, factor = estimate_lmb(
            child_poverty, citywide, config.catchments.estimate.citywide_mean
        )
        source = "estimate"

    atlas_overlaps = None
    if inputs.atlas_zones is None:
        atlas = pd.DataFrame(
            {
                "value": inputs.atlas.reindex(plr.index),
                "coverage": inputs.atlas.reindex(plr.index).notna().astype(float),
            }
        )
    else:
        atlas_overlaps = overlay_weights(
            inputs.atlas_zones.geometry,
            plr.geometry,
            weight=config.atlas.weight,
            source_population=inputs.atlas_zone_population,
        )
        atlas = transfer_intensive(
            atlas_overlaps, inputs.atlas, plr.index, min_coverage=config.atlas.min_area_coverage
        )
        # A planning area without inhabitants on record has no social index of its own: a
        # transferred value would only describe its neighbours, and would skew the strata.
        # Counted with the atlas's own inhabitants (``atlas.population``), so that a new MSS
        # table does not move the atlas criterion while the atlas itself is unchanged.
        uninhabited = ~(atlas_population(inputs).reindex(plr.index) > 0)
        atlas.loc[uninhabited.to_numpy(), "value"] = np.nan
    return Harmonized(
        lmb_share=lmb.rename("lmb_share"),
        lmb_source=source,
        lmb_factor=factor,
        catchment_child_poverty=child_poverty,
        catchment_overlaps=overlaps,
        atlas=atlas,
        atlas_overlaps=atlas_overlaps,
        schools=schools,
    )
