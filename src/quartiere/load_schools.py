"""Read the per-school list (CSV/XLSX with coordinate columns) and the extra MSS indicators: the
load stage's part for ``schools:``.

Every problem is one line naming file, school and column: duplicate school numbers, missing or
non-numeric coordinates, coordinates outside the planning areas (e.g. lat/lng swapped), a
configured type or flag column that is absent.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from quartiere.config import IndicatorInput, TableInput
from quartiere.config_schools import SchoolFlag, SchoolsInput
from quartiere.errors import ConfigError, InputError
from quartiere.io.tables import read_table
from quartiere.schools.school_list import SchoolList, flag_column

__all__ = ["load_extra", "load_schools"]

# Planning areas and points are both exact; a school on a boundary line still counts as inside.
_INSIDE_TOLERANCE_M = 1.0


def load_schools(spec: SchoolsInput, planning_areas: gpd.GeoDataFrame, crs: str) -> SchoolList:
    table_spec = TableInput(path=spec.path, id=spec.id, delimiter=spec.delimiter)
    flags = [f.column for f in spec.flags if f.path is None]
    owner = [spec.ownership] if spec.ownership is not None else []
    text = [spec.name, spec.type, spec.x, spec.y, *owner, *flags]
    numeric = [spec.official_share] if spec.lmb_source == "official" and spec.official_share else []
    table = read_table(table_spec, columns=text, numeric=numeric, id_pattern=None)
    n_rows = len(table)
    kinds = table[spec.type].astype("string").str.strip()
    keep = kinds.isin(spec.types).fillna(False).to_numpy(dtype=bool, copy=True)
    if spec.ownership is not None and spec.ownerships is not None:
        owners = table[spec.ownership].astype("string").str.strip()
        known = owners.isin(spec.ownerships).fillna(False).to_numpy()
        if keep.any() and not (keep & known).any():
            present = sorted(owners.dropna().unique())[:5]
            raise InputError(
                f"no school of type {', '.join(spec.types)} has an ownership "
                f"{', '.join(spec.ownerships)} in column '{spec.ownership}' "
                f"(found: {', '.join(present)})",
                spec.path,
            )
        keep &= known
    counted = table[keep]
    if counted.empty:
        present = sorted(kinds.dropna().unique())[:5]
        raise InputError(
            f"no school of type {', '.join(spec.types)} in column '{spec.type}' "
            f"(types found: {', '.join(present)})",
            spec.path,
        )
    for anchor in spec.estimate.anchors if spec.estimate else []:
        if anchor.count is not None and anchor.count > len(counted):
            raise ConfigError(
                f"schools.estimate.anchors: calibration count {anchor.count} at "
                f"{anchor.share:g} % is larger than the {len(counted)} schools of type "
                f"{', '.join(spec.types)} in {spec.path.name}"
            )
    points = _points(counted, spec)
    frame = gpd.GeoDataFrame(
        {"name": counted[spec.name].astype(str), "type": counted[spec.type].astype(str)},
        geometry=points,
        crs=spec.crs,
        index=counted.index.rename("bsn"),
    ).to_crs(crs)
    frame["plr_id"] = _locate(frame, planning_areas, spec)
    for flag in spec.flags:
        if flag.path is None:
            cells = counted[flag.column].astype("string").str.strip()
            values = (cells == flag.value).fillna(False).astype(int).to_numpy()
            frame[flag_column(flag.column)] = values
        else:
            frame[flag_column(flag.column)] = _joined_flag(flag, frame.index)
    if numeric:
        frame["official_share"] = counted[numeric[0]].to_numpy(dtype=float)
    key = _read_key(spec) if spec.key is not None else None
    return SchoolList(schools=frame, n_rows=n_rows, key=key)


def _joined_flag(flag: SchoolFlag, schools: pd.Index) -> pd.Series:
    """A flag from another table joined by school number: 1/0 for the schools it holds, <NA>
    for the schools it does not (a school opened since, or renumbered: not known, not 0)."""
    assert flag.path is not None and flag.id is not None
    spec = TableInput(path=flag.path, id=flag.id, delimiter=flag.delimiter)
    table = read_table(spec, columns=[flag.column], id_pattern=None)
    table.index = table.index.astype(str).str.strip()
    cells = table[flag.column].astype("string").str.strip()
    values = (cells == flag.value).fillna(False).astype("Int64")
    out = values.reindex(schools.astype(str))
    if out.isna().all():
        raise InputError(
            f"no school number of the school list is in column '{flag.id}' (flag "
            f"{flag.column!r}); are the school numbers of the same kind (BSN)?",
            flag.path,
        )
    out.index = schools
    return out


def _points(table: pd.DataFrame, spec: SchoolsInput) -> gpd.GeoSeries:
    coords = {}
    for column in (spec.x, spec.y):
        cells = table[column].astype("string").str.strip().str.replace(",", ".", regex=False)
        missing = cells.isna() | (cells == "")
        if missing.any():
            raise InputError(
                f"school {table.index[missing.to_numpy()][0]}: missing coordinate",
                spec.path,
                f"column '{column}'",
            )
        values = pd.to_numeric(cells, errors="coerce")
        bad = values.isna().to_numpy()
        if bad.any():
            raise InputError(
                f"school {table.index[bad][0]}: coordinate {cells[bad].iloc[0]!r} is not a number",
                spec.path,
                f"column '{column}'",
            )
        coords[column] = values.to_numpy(dtype=float)
    return gpd.GeoSeries(gpd.points_from_xy(coords[spec.x], coords[spec.y]), index=table.index)


def _locate(
    schools: gpd.GeoDataFrame, planning_areas: gpd.GeoDataFrame, spec: SchoolsInput
) -> np.ndarray:
    """The planning area each school stands in; refuse a school outside every one."""
    plr = planning_areas.geometry
    hits = plr.sindex.query(schools.geometry, predicate="dwithin", distance=_INSIDE_TOLERANCE_M)
    out = np.full(len(schools), None, dtype=object)
    # The first hit per school: planning areas form a coverage, a point lies in one of them.
    for school, area in zip(hits[0][::-1], hits[1][::-1], strict=True):
        out[school] = plr.index[area]
    outside = np.flatnonzero(pd.isna(out))
    if len(outside):
        i = outside[0]
        more = f" (and {len(outside) - 1} more)" if len(outside) > 1 else ""
        raise InputError(
            f"school {schools.index[i]}: coordinates ({spec.x}, {spec.y}) lie outside every "
            f"planning area{more}; are {spec.x}/{spec.y} swapped or is the CRS not {spec.crs}?",
            spec.path,
        )
    return out


def _read_key(spec: SchoolsInput) -> pd.Series:
    assert spec.key is not None
    key_spec = TableInput(path=spec.key.path, id=spec.key.id)
    table = read_table(key_spec, columns=[spec.key.catchment], id_pattern=None)
    return table[spec.key.catchment].astype(str).str.strip()


def load_extra(spec: SchoolsInput, plr_ids: pd.Index) -> dict[str, pd.Series]:
    """The extra indicators of the ranking, per planning area (NaN where a value is withheld)."""
    out = {}
    for extra in spec.estimate.extra if spec.estimate else []:
        table_spec = IndicatorInput(path=extra.path, id=extra.id, column=extra.column)
        cells = read_table(table_spec, columns=[extra.column])[extra.column]
        # MSS context tables write '-' where a value is withheld.
        values = pd.to_numeric(cells.where(cells != "-"), errors="coerce")
        out[extra.label] = values.reindex(plr_ids)
    return out
