"""The ranking behind the estimate: MSS indicators of the planning areas around each school.

Each indicator is averaged over the planning areas near a school, weighted by their inhabitants
and a Gaussian kernel of the distance from the school to the planning area's centroid
(``exp(-(d / bandwidth)^2)``): the neighbourhood a primary school draws from, without the dilution
a whole-catchment average brings for a small estate in a large catchment. The score is the
weighted mean of the indicators' percentile ranks among the schools (s4 weight 1).
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = ["kernel_mean", "ranking_score"]


def kernel_mean(
    schools: gpd.GeoSeries,
    centroids: gpd.GeoSeries,
    values: pd.Series,
    population: pd.Series,
    bandwidth_m: float,
) -> pd.Series:
    """Population- and distance-weighted mean of ``values`` (per PLR) around each school."""
    v = values.reindex(centroids.index).to_numpy(dtype=float)
    pop = population.reindex(centroids.index).to_numpy(dtype=float)
    ok = ~np.isnan(v) & ~np.isnan(pop) & (pop > 0)
    sx, sy = schools.x.to_numpy()[:, None], schools.y.to_numpy()[:, None]
    cx, cy = centroids.x.to_numpy()[ok][None, :], centroids.y.to_numpy()[ok][None, :]
    d2 = (sx - cx) ** 2 + (sy - cy) ** 2
    w = pop[ok][None, :] * np.exp(-d2 / bandwidth_m**2)
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (w * v[ok][None, :]).sum(axis=1) / total
    return pd.Series(np.where(total > 0, mean, np.nan), index=schools.index)


def ranking_score(indicators: Mapping[str, pd.Series], weights: Mapping[str, float]) -> pd.Series:
    """Weighted mean of percentile ranks (0-1, ties averaged); NaN when an indicator is missing."""
    total = sum(weights.values())
    parts = [indicators[k].rank(pct=True) * weights[k] for k in weights]
    return (sum(parts) / total).rename("score")  # type: ignore[union-attr]
