"""Schools to catchments: by location, overridden by an explicit key table where one is given."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from quartiere.errors import InputError

__all__ = ["Note", "link_schools", "catchment_shares"]

Note = tuple[str, dict[str, object]]
"""A note as a message key of ``messages.yaml`` and its values, worded in either language."""


def link_schools(
    schools: gpd.GeoDataFrame, catchments: gpd.GeoDataFrame, key: pd.Series | None, where: str
) -> tuple[pd.Series, list[Note]]:
    """The catchment (ESB id) of each school, and notes on what did not match one to one."""
    hits = catchments.geometry.sindex.query(schools.geometry, predicate="intersects")
    esb = pd.Series(pd.NA, index=schools.index, dtype="string")
    # Catchments form a coverage; a school on a shared border takes the first (lowest id).
    pairs = pd.DataFrame({"s": hits[0], "c": catchments.index[hits[1]].astype(str)})
    first = pairs.sort_values(["s", "c"]).drop_duplicates("s")
    esb.iloc[first["s"].to_numpy()] = first["c"].to_numpy()
    notes: list[Note] = []
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
        notes.append(("schools_note_key", {"n": len(mine), "changed": changed}))
    outside = esb.isna()
    if outside.any():
        ids = ", ".join(esb.index[outside.to_numpy()][:5])
        notes.append(
            ("schools_note_outside", {"n": int(outside.sum()), "total": len(esb), "ids": ids})
        )
    counts = esb.value_counts()
    empty = catchments.index.astype(str).difference(counts.index)

    def _first(ids: pd.Index) -> str:
        return ", ".join(ids[:5]) + (" ..." if len(ids) > 5 else "")

    if len(empty):
        notes.append(
            (
                "schools_note_empty",
                {"n": len(empty), "total": len(catchments), "ids": _first(empty)},
            )
        )
    several = counts[counts > 1]
    if len(several):
        notes.append(("schools_note_several", {"n": len(several), "ids": _first(several.index)}))
    return esb.rename("esb_id"), notes


def catchment_shares(share: pd.Series, esb: pd.Series, catchment_ids: pd.Index) -> pd.Series:
    """lmb share per catchment: the mean over its schools; NaN for a catchment without one."""
    frame = pd.DataFrame({"share": share, "esb": esb}).dropna()
    mean = frame.groupby("esb")["share"].mean()
    mean.index = mean.index.astype(str)
    out = mean.reindex(catchment_ids.astype(str))
    out.index = catchment_ids
    return out.rename("lmb_share")
