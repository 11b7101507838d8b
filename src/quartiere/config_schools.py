"""Configuration of the ``schools:`` input: a per-school list, its calibration and validation.

Kept apart from :mod:`quartiere.config` so that the school input can grow without the main
configuration module growing; :class:`quartiere.config.Config` holds a :class:`SchoolsInput`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from quartiere.units import as_percent

__all__ = [
    "CalibrationAnchor",
    "ExtraIndicator",
    "SchoolFlag",
    "SchoolKeyTable",
    "SchoolsEstimate",
    "SchoolsInput",
]

Percent = Annotated[float, BeforeValidator(as_percent)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SchoolFlag(_Model):
    """A per-school yes/no column with its stated meaning: ``value`` marks the school as having an
    lmb share of at least ``share`` %."""

    column: str
    value: str = Field("x", description="cell text that sets the flag")
    share: Percent = Field(ge=0, le=100, description="the flag means: lmb share >= this (%)")
    means: str = Field(description="the stated meaning, shown in outputs")
    year: str = Field(description="school year or year the flag refers to")


class SchoolKeyTable(_Model):
    """An explicit school -> catchment key that overrides the link by location."""

    path: Path
    id: str = Field(description="column with the school number")
    catchment: str = Field(description="column with the catchment id (ESB)")


class ExtraIndicator(_Model):
    """An additional MSS indicator per planning area that enters the ranking."""

    path: Path
    id: str = "id"
    column: str
    weight: float = Field(gt=0, description="weight of its percentile rank (s4 has weight 1)")
    label: str
    year: int | None = Field(None, description="the MSS edition the values belong to")
    why: str | None = Field(
        None, description="why the year differs from the edition's MSS year (shown in outputs)"
    )

    @property
    def title(self) -> str:
        """The label with the MSS edition its values come from, as every output names it."""
        return self.label if self.year is None else f"{self.label} (MSS {self.year})"


class CalibrationAnchor(_Model):
    """A published figure the calibrated estimate must reproduce: ``count`` schools at or above
    ``share`` %; or, with ``flag``, the number of schools carrying that flag at its share."""

    share: Percent | None = Field(None, ge=0, le=100)
    count: int | None = Field(None, ge=1)
    flag: str | None = Field(None, description="a flag column: its count of counted schools")
    source: str = Field(description="where the figure comes from and how it was derived")

    @model_validator(mode="after")
    def _one_kind(self) -> CalibrationAnchor:
        if self.flag is None and (self.share is None or self.count is None):
            raise ValueError("a calibration anchor needs 'share' and 'count', or 'flag'")
        return self


class SchoolsEstimate(_Model):
    """The ranking (MSS around each school) and its calibration to published counts."""

    bandwidth_m: float = Field(
        500.0, gt=0, description="Gaussian kernel scale (m) around the school over PLR centroids"
    )
    extra: list[ExtraIndicator] = Field(default_factory=list)
    method: Literal["quantile"] = Field(
        "quantile", description="monotone mapping of the ranking onto the anchored shares"
    )
    anchors: list[CalibrationAnchor] = Field(min_length=1)
    top_share: Percent = Field(95.0, gt=0, le=100, description="share of the top-ranked school")
    bottom_share: Percent = Field(2.0, ge=0, lt=100, description="share of the last school")


class SchoolsInput(_Model):
    """The public school list: one row per school with coordinates, type and flags."""

    path: Path
    school_year: str = Field(description="school year of the list, shown in outputs")
    attribution: str = Field(description="attribution carried by every output")
    id: str = Field("BSN", description="column with the school number (BSN)")
    name: str = "Schulname"
    type: str = Field("Schulart", description="column with the school type")
    types: list[str] = Field(default_factory=lambda: ["Grundschule"], min_length=1)
    x: str = Field(description="column with the x coordinate (longitude in EPSG:4326)")
    y: str = Field(description="column with the y coordinate (latitude in EPSG:4326)")
    crs: str = "EPSG:4326"
    delimiter: str | None = None
    flags: list[SchoolFlag] = Field(default_factory=list)
    key: SchoolKeyTable | None = None
    lmb_source: Literal["estimate", "official"] = "estimate"
    official_share: str | None = Field(
        None, description="lmb_source official: column with each school's lmb share (%)"
    )
    estimate: SchoolsEstimate | None = None

    @model_validator(mode="after")
    def _source_present(self) -> SchoolsInput:
        if self.lmb_source == "estimate" and self.estimate is None:
            raise ValueError("schools.lmb_source is 'estimate' but no 'estimate' section is given")
        if self.lmb_source == "official" and self.official_share is None:
            raise ValueError("schools.lmb_source is 'official' but no 'official_share' column")
        flags = {f.column for f in self.flags}
        for anchor in self.estimate.anchors if self.estimate else []:
            if anchor.flag is not None and anchor.flag not in flags:
                raise ValueError(f"calibration anchor flag {anchor.flag!r} is not in schools.flags")
        return self
