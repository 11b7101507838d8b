"""The result of one build in memory: what :func:`quartiere.pipeline.compute` returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd

from quartiere.config import Config
from quartiere.coverage import Coverage
from quartiere.delineate import DelineationResult
from quartiere.harmonize import Harmonized
from quartiere.inputs import Inputs
from quartiere.record import BuildInfo

__all__ = ["BuildResult"]


@dataclass
class BuildResult:
    config: Config
    inputs: Inputs
    harmonized: Harmonized
    planning_areas: gpd.GeoDataFrame
    catchments: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame
    delineation: DelineationResult
    hr_ids_used: list[str] = field(default_factory=list)
    coverage: list[Coverage] = field(default_factory=list)
    build_info: BuildInfo = field(default_factory=BuildInfo)
    timings: dict[str, float] = field(default_factory=dict)
