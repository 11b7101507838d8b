"""Configuration of the ``schools:`` input: a per-school list, its calibration and validation.

Kept apart from :mod:`quartiere.config` so that the school input can grow without the main
configuration module growing; :class:`quartiere.config.Config` holds a :class:`SchoolsInput`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from quartiere.units import as_fraction, as_percent

__all__ = [
    "CalibrationAnchor",
    "ExtraIndicator",
    "SchoolFlag",
    "SchoolKeyTable",
    "SchoolsEstimate",
    "SchoolsInput",
]

Percent = Annotated[float, BeforeValidator(as_percent)]
Fraction = Annotated[float, BeforeValidator(as_fraction)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SchoolFlag(_Model):
    """A per-school yes/no column with its stated meaning.

    With ``share``, ``value`` marks the school as having an lmb share of at least ``share`` %: the
    flag validates the estimate at that level and may anchor its calibration. With
    ``validation_only: true`` the flag states no lmb level (e.g. the Startchancen selection, made
    on poverty, migration and test results): it checks the ranking only (AUC) and can never anchor
    the calibration.

    The column is read from the school list, or, with ``path``, from another table joined by
    school number (``id``): a school of the list that the other table does not hold has no value
    for the flag (neither flagged nor unflagged) and is left out of the flag's validation.
    """

    column: str
    value: str = Field("x", description="cell text that sets the flag")
    share: Percent | None = Field(
        None, ge=0, le=100, description="the flag means: lmb share >= this (%)"
    )
    means: str | dict[Literal["de", "en"], str] = Field(
        description="the stated meaning, shown in outputs (one text, or one per language)"
    )
    year: str = Field(description="school year or year the flag refers to")
    validation_only: bool = Field(
        False, description="the flag states no lmb level: it checks the ranking, never calibrates"
    )
    path: Path | None = Field(None, description="another table holding the flag column")
    id: str | None = Field(None, description="that table's school-number column (with path)")
    delimiter: str | None = Field(None, description="that table's delimiter (default: detect)")
    attribution: str | None = Field(
        None, description="attribution of that table, carried by every output (with path)"
    )

    @model_validator(mode="after")
    def _kind(self) -> SchoolFlag:
        if self.share is None and not self.validation_only:
            raise ValueError(
                f"flag {self.column!r} needs 'share' (the lmb level it stands for), or "
                "'validation_only: true' if it states none"
            )
        if self.share is not None and self.validation_only:
            raise ValueError(
                f"flag {self.column!r}: 'validation_only' flags state no lmb level; drop 'share'"
            )
        if self.path is not None and self.id is None:
            raise ValueError(f"flag {self.column!r}: 'path' needs 'id' (its school-number column)")
        if self.path is None and (self.id is not None or self.delimiter is not None):
            raise ValueError(f"flag {self.column!r}: 'id' and 'delimiter' belong to a 'path'")
        return self

    def meaning(self, language: str = "en") -> str:
        """The stated meaning in ``language`` (the only text when one is given)."""
        if isinstance(self.means, str):
            return self.means
        return self.means.get(language) or next(iter(self.means.values()))  # type: ignore[call-overload]


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
    ownership: str | None = Field(None, description="column with the school's ownership")
    ownerships: list[str] | None = Field(
        None, min_length=1, description="which ownerships count (with ownership), e.g. [Public]"
    )
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
    min_coverage: Fraction = Field(
        0.9,
        ge=0,
        le=1,
        description="share of the catchments that must hold a counted school (and so an lmb share)",
    )
    allow_partial: bool = Field(
        False, description="build even below min_coverage (the coverage is reported all the same)"
    )

    def attributions(self) -> str:
        """The list's attribution and those of the tables its flags are joined from."""
        flags = [f.attribution for f in self.flags if f.attribution]
        return "; ".join(dict.fromkeys([self.attribution, *flags]))

    @model_validator(mode="after")
    def _source_present(self) -> SchoolsInput:
        if self.lmb_source == "estimate" and self.estimate is None:
            raise ValueError("schools.lmb_source is 'estimate' but no 'estimate' section is given")
        if self.lmb_source == "official" and self.official_share is None:
            raise ValueError("schools.lmb_source is 'official' but no 'official_share' column")
        if (self.ownership is None) != (self.ownerships is None):
            raise ValueError("schools: 'ownership' (a column) and 'ownerships' come together")
        flags = {f.column: f for f in self.flags}
        if len(flags) != len(self.flags):
            raise ValueError("schools.flags: a flag column is named twice")
        for anchor in self.estimate.anchors if self.estimate else []:
            if anchor.flag is None:
                continue
            if anchor.flag not in flags:
                raise ValueError(f"calibration anchor flag {anchor.flag!r} is not in schools.flags")
            if flags[anchor.flag].validation_only:
                raise ValueError(
                    f"calibration anchor flag {anchor.flag!r} is validation_only (it states no "
                    "lmb level): it checks the ranking and cannot calibrate it"
                )
        return self
