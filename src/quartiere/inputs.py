"""Everything a build reads, validated: the value the load stage returns and the stages take."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from quartiere.coverage import Coverage
from quartiere.schools.school_list import SchoolList

__all__ = ["Inputs", "atlas_population"]


@dataclass
class Inputs:
    """Everything a build reads, validated; geometry in the target CRS (EPSG:25833, metres)."""

    planning_areas: gpd.GeoDataFrame
    population: pd.Series
    mss: pd.DataFrame
    child_poverty: pd.Series
    catchments: gpd.GeoDataFrame
    official_lmb: pd.Series | None
    atlas: pd.Series
    atlas_zones: gpd.GeoDataFrame | None
    atlas_zone_population: pd.Series | None
    # inhabitants per PLR as the atlas criterion counts them (config ``atlas.population``, else
    # the edition's population): which PLR have an index of their own, quantile weights
    atlas_population: pd.Series | None = None
    notes: list[str] = field(default_factory=list)
    coverage: list[Coverage] = field(default_factory=list)
    schools: SchoolList | None = None  # the per-school list (config ``schools:``)
    #: PLR the MSS table lists without an index (empty class cells), with the table's remark
    #: (``mss.note``) or <NA> where it gives none; they are absent from ``mss``, like PLR the
    #: table leaves out, and so no data
    mss_unindexed: pd.Series = field(default_factory=lambda: pd.Series(dtype="string"))


def atlas_population(inputs: Inputs) -> pd.Series:
    """Inhabitants per PLR as the atlas criterion counts them (``atlas.population``)."""
    return inputs.population if inputs.atlas_population is None else inputs.atlas_population
