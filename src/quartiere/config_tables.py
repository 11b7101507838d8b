"""The configuration of a table input (CSV or XLSX keyed by an id column), shared by the
configuration models (:mod:`quartiere.config`) and the table reader (:mod:`quartiere.io.tables`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from quartiere.units import as_fraction

Fraction = Annotated[float, BeforeValidator(as_fraction)]

__all__ = ["TableInput"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TableInput(_Model):
    """A table keyed by an id column: CSV (any common dialect) or XLSX.

    Every column (``id`` and the columns of the subclasses) is named by its header text, runs of
    blanks counting as one, or by its spreadsheet letter written ``column E``; see
    :func:`quartiere.io.tables.read_table`.
    """

    path: Path
    id: str = Field(description="column holding the id (planning areas: 8-digit string)")
    sheet: str | int | None = Field(None, description="XLSX sheet name or 0-based index")
    header_row: int = Field(
        1, ge=1, description="(first) row of the header, counted like a spreadsheet from 1"
    )
    header_rows: int = Field(
        1,
        ge=1,
        le=10,
        description="rows the header spans from header_row; each column's texts are joined",
    )
    encoding: str | None = Field(
        None, description="force an encoding; default: detect UTF-8/cp1252"
    )
    delimiter: str | None = Field(None, description="force a delimiter; default: detect , or ;")
    decimal: str | None = Field(None, description="force the decimal mark; default: detect . or ,")
    restore_leading_zeros: bool = Field(
        False, description="pad ids that a spreadsheet stored as numbers back to their width"
    )
    min_coverage: Fraction = Field(
        0.9,
        ge=0,
        le=1,
        description="share of the zones (planning areas, catchments) the table must give a value",
    )
    allow_partial: bool = Field(
        False, description="build even below min_coverage (the coverage is reported all the same)"
    )
    year: int | None = Field(
        None,
        description="the year (MSS edition) the table's values belong to, named in every output;"
        " an MSS table of another year than mss.edition is refused",
    )
