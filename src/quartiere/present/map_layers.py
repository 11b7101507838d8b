"""The layers of the build's map as plain arrays: what the build sends to the map process
(:mod:`quartiere.report`), which then imports neither pandas nor geopandas to read them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["MapLayers"]


@dataclass(frozen=True)
class MapLayers:
    """What the build's map draws, as plain arrays in the layers' CRS (EPSG:25833, metres)."""

    planning_areas: np.ndarray
    """Shapely (multi)polygons of layer ``planungsraeume``."""
    n_criteria: np.ndarray
    """Criteria met per planning area, 0..3 (no data counts 0)."""
    districts: np.ndarray
    """One outline per Bezirk: the union of its planning areas."""
    areas: np.ndarray
    """Shapely multipolygons of layer ``handlungsraeume``."""
    hr_id: tuple[str, ...]
    hr_name: tuple[str, ...]

    @classmethod
    def of(cls, areas: gpd.GeoDataFrame, planning_areas: gpd.GeoDataFrame) -> MapLayers:
        """The map's arrays of layers ``handlungsraeume`` (``hr_id``, ``hr_name``) and
        ``planungsraeume`` (``bezirk``, ``n_criteria``)."""
        import pandas as pd

        from quartiere.delineate.dissolve import coverage_union

        plr = np.asarray(planning_areas.geometry.array, dtype=object)
        counts = pd.to_numeric(planning_areas["n_criteria"], errors="coerce").fillna(0)
        by_district = pd.Series(plr).groupby(planning_areas["bezirk"].to_numpy(), sort=True)
        return cls(
            planning_areas=plr,
            n_criteria=counts.to_numpy().astype(np.int64).clip(0, 3),
            districts=np.array(
                [coverage_union(g.to_numpy()) for _, g in by_district], dtype=object
            ),
            areas=np.asarray(areas.geometry.array, dtype=object),
            hr_id=tuple(str(v) for v in areas["hr_id"]),
            hr_name=tuple(str(v) for v in areas["hr_name"]),
        )
