"""The per-school list as loaded: a plain value (read by :mod:`quartiere.load_schools`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

__all__ = ["SchoolList", "flag_column"]


@dataclass
class SchoolList:
    """The counted schools (configured types), points in the target CRS, indexed by school number.

    Columns: ``name``, ``type``, ``plr_id`` (the planning area it stands in), one 0/1 column per
    flag (:func:`flag_column`; nullable, <NA> where a flag joined from another table does not
    know the school), ``official_share`` (%, only with ``lmb_source: official``).
    ``extra`` holds each extra indicator per planning area, keyed by its label.
    """

    schools: gpd.GeoDataFrame
    n_rows: int
    extra: dict[str, pd.Series] = field(default_factory=dict)
    key: pd.Series | None = None  # school number -> catchment id, when a key table is given


def flag_column(column: str) -> str:
    """Output field of a flag column: ``Brennpunktschule-2018`` -> ``flag_brennpunktschule_...``."""
    clean = "".join(c if c.isalnum() else "_" for c in column.lower()).strip("_")
    return f"flag_{clean}"
