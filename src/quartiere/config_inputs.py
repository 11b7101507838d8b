"""The inputs a configuration names: one typed model per file (tables, layers, their columns).

Split from :mod:`quartiere.config`, which composes them with the rules into a :class:`Config`;
import them from either module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from quartiere.config_tables import TableInput
from quartiere.units import as_fraction, as_percent

# Units (docs/units-and-coverage.md): lmb shares and thresholds are percentages (0-100), every other
# share is a fraction (0-1); "75 %" is accepted by both and converted.
Percent = Annotated[float, BeforeValidator(as_percent)]
Fraction = Annotated[float, BeforeValidator(as_fraction)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LayerInput(_Model):
    """A polygon layer: GeoJSON, GeoPackage or Shapefile (also zipped)."""

    path: Path
    layer: str | None = None
    id: str
    crs: str | None = Field(None, description="CRS to assume when the file declares none")
    restore_leading_zeros: bool = Field(
        False, description="pad ids that a numeric field stored without leading zeros"
    )


class PlanningAreasInput(LayerInput):
    """Planungsräume (PLR) with their LOR hierarchy."""

    generation: str = Field(description="LOR generation label, e.g. 'lor2021' or 'lor2006'")
    name: str
    bzr_id: str
    bzr_name: str
    pgr_id: str
    pgr_name: str
    bezirk: str
    bezirk_name: str
    coverage_tolerance_m2: float = Field(
        1000.0, ge=0, description="gaps/overlaps between planning areas larger than this are errors"
    )


class PopulationInput(TableInput):
    """Inhabitants per planning area (an extensive count)."""

    column: str


class MssInput(TableInput):
    """Monitoring Soziale Stadtentwicklung, index table (Tabelle 1)."""

    edition: int
    status: str = Field(
        description="column with the status class (hoch/mittel/niedrig/sehr niedrig)"
    )
    dynamic: str = Field(description="column with the dynamic class (positiv/stabil/negativ)")
    note: str | None = Field(
        None, description="column with the published remark (why a row carries no index)"
    )
    status_classes: list[str] = Field(
        default_factory=lambda: ["hoch", "mittel", "niedrig", "sehr niedrig"],
        description="the status classes a row may carry; anything else is refused",
    )
    dynamic_classes: list[str] = Field(
        default_factory=lambda: ["positiv", "stabil", "negativ"],
        description="the dynamic classes a row may carry; anything else is refused",
    )


class IndicatorInput(TableInput):
    """One MSS index indicator per planning area, in percent (e.g. s4 child poverty)."""

    column: str


class OfficialLmbInput(TableInput):
    """An official lmb table: per catchment, or per school with a school -> catchment key."""

    share: str = Field(description="column with the lmb share in percent (0-100)")
    catchment: str | None = Field(
        None, description="per-school tables: column with the catchment id (ESB) of each school"
    )
    pupils: str | None = Field(
        None, description="per-school tables: pupils per school, to weight the catchment mean"
    )


class LmbEstimate(_Model):
    """Stand-in lmb share per catchment from MSS child poverty (s4); see docs/method.md."""

    citywide_mean: Percent = Field(
        gt=0,
        le=100,
        description="population-weighted citywide lmb share (%) the estimate is scaled to",
    )


class CatchmentsInput(LayerInput):
    """Einschulungsbereiche (primary school catchments)."""

    school_year: str
    lmb_source: Literal["estimate", "official", "schools"] = Field(
        "estimate", description="schools: the mean of the per-school values of `schools:`"
    )
    estimate: LmbEstimate | None = None
    official: OfficialLmbInput | None = None

    @model_validator(mode="after")
    def _source_present(self) -> CatchmentsInput:
        if self.lmb_source == "estimate" and self.estimate is None:
            raise ValueError("lmb_source is 'estimate' but no 'estimate' section is given")
        if self.lmb_source == "official" and self.official is None:
            raise ValueError("lmb_source is 'official' but no 'official' table is given")
        return self


class ZonesInput(LayerInput):
    """The geometry a table's ids refer to when it is not the target planning areas."""

    population: PopulationInput | None = Field(
        None, description="source-zone population, needed for population-weighted transfer"
    )


class AtlasInput(TableInput):
    """The social atlas index per planning area (lower = more disadvantaged).

    The table's own coverage is written ``min_table_coverage``: ``atlas.min_coverage`` once meant
    what is now ``min_area_coverage`` and is refused in a configuration file (:data:`RENAMED`); by
    field name it is accepted only from a validated model's dump (the sensitivity scenarios).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    column: str
    label: str = Field(description="what the index is, shown in outputs")
    zones: ZonesInput | None = Field(
        None, description="source planning areas when the table is on another LOR generation"
    )
    population: PopulationInput | None = Field(
        None,
        description="inhabitants per planning area as the atlas criterion counts them: a PLR"
        " without inhabitants here gets no transferred value, and quantiles_population weights by"
        " them. Default: the edition's population (the atlas criterion then moves with the MSS"
        " table)",
    )
    weight: Literal["area", "population"] = "population"
    min_coverage: Fraction = Field(
        0.9,
        ge=0,
        le=1,
        alias="min_table_coverage",
        description="share of the source zones the atlas table must give a value",
    )
    min_area_coverage: Fraction = Field(
        0.5, gt=0, le=1, description="share of a target area's weight that must carry a value"
    )
