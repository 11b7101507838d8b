"""Schools to catchments: by location, overridden by an explicit key table where one is given."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from quartiere.errors import InputError

__all__ = ["link_schools", "catchment_shares"]


def link_schools(
    schools: gpd.GeoDataFrame, catchments: gpd.GeoDataFrame, key: pd.Series | None, where: str
) -> tuple[pd.Series, list[str]]:
    """The catchment (ESB id) of each school, and notes on what did not match one to one."""
    hits = catchments.geometry.sindex.query(schools.geometry, predicate="intersects")
    esb = pd.Series(pd.NA, index=schools.index, dtype="string")
    # Catchments form a coverage; a school on a shared border takes the first (lowest id).
    pairs = pd.DataFrame({"s": hits[0], "c": catchments.index[hits[1]].astype(str)})
    first = pairs.sort_values(["s", "c"]).drop_duplicates("s")
    esb.iloc[first["s"].to_numpy()] = first["c"].to_numpy()
    notes = []
    if key is not None:
        mine = key.reindex(schools.index).dropna()
        unknown = mine[~mine.isin(catchments.index.astype(str))]
        if len(unknown):
            raise InputError(
                f"school {unknown.index[0]}: catchment {unknown.iloc[0]!r} is not in the "
                "catchment layer",
                where,
            )
        changed = int((esb.reindex(mine.index) != mine).fillna(True).sum())
        esb.loc[mine.index] = mine.to_numpy()
        notes.append(
            f"schools: the key table sets the catchment of {len(mine)} schools "
            f"({changed} differ from their location)"
        )
    outside = esb.isna()
    if outside.any():
        notes.append(
            f"schools: {int(outside.sum())} of {len(esb)} schools lie outside every catchment "
            f"({', '.join(esb.index[outside.to_numpy()][:5])})"
        )
    counts = esb.value_counts()
    empty = catchments.index.astype(str).difference(counts.index)

    def _first(ids: pd.Index) -> str:
        return ", ".join(ids[:5]) + (" ..." if len(ids) > 5 else "")

    if len(empty):
        notes.append(
            f"schools: {len(empty)} of {len(catchments)} catchments have no school of the counted "
            f"types; their lmb share is unknown ({_first(empty)})"
        )
    several = counts[counts > 1]
    if len(several):
        notes.append(
            f"schools: {len(several)} catchments have several schools; their lmb share is the mean "
            f"of their schools' ({_first(several.index)})"
        )
    return esb.rename("esb_id"), notes


def catchment_shares(share: pd.Series, esb: pd.Series, catchment_ids: pd.Index) -> pd.Series:
    """lmb share per catchment: the mean over its schools; NaN for a catchment without one."""
    frame = pd.DataFrame({"share": share, "esb": esb}).dropna()
    mean = frame.groupby("esb")["share"].mean()
    mean.index = mean.index.astype(str)
    out = mean.reindex(catchment_ids.astype(str))
    out.index = catchment_ids
    return out.rename("lmb_share")
