"""The one area-matching rule: which new Handlungsraum continues which old one.

Used by ``quartiere diff`` and ``quartiere history`` (:mod:`quartiere.compare.diff`); the numbering
of ``quartiere build --previous`` follows the same rule (mutual largest overlap, at least
``min_overlap`` of the smaller area, same kind: stand-alone or lettered part).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

CRS = "EPSG:25833"
"""The CRS builds are compared in (metres)."""


def in_comparison_crs(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` reprojected to :data:`CRS` (as is when it has no CRS or already that one)."""
    return frame.to_crs(CRS) if frame.crs is not None and frame.crs != CRS else frame


def area_links(
    old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, *, min_link: float = 0.2, min_overlap: float = 0.5
) -> pd.DataFrame:
    """Link old and new Handlungsräume by geometry overlap and match them one-to-one.

    Parameters
    ----------
    old, new
        Areas with ``hr_id`` and polygon geometry in a metric CRS (EPSG:25833).
    min_link
        Minimum intersection, as a share of either area, for the pair to be linked.
    min_overlap
        Minimum intersection, as a share of the smaller of the two areas, for the new area to
        continue the old one (see :func:`match_areas`).

    Returns
    -------
    pandas.DataFrame
        One row per linked pair: ``old_hr_id``, ``new_hr_id``, ``overlap_m2``, ``share_of_old``,
        ``share_of_new`` and ``match`` (bool, one-to-one: each old and each new area in at most one
        match), largest overlaps first.

    Examples
    --------
    >>> from shapely import box
    >>> old = gpd.GeoDataFrame({"hr_id": ["01"]}, geometry=[box(0, 0, 2, 1)], crs=CRS)
    >>> new = gpd.GeoDataFrame({"hr_id": ["07"]}, geometry=[box(0, 0, 3, 1)], crs=CRS)
    >>> area_links(old, new)[["old_hr_id", "new_hr_id", "match"]].to_dict("records")
    [{'old_hr_id': '01', 'new_hr_id': '07', 'match': True}]
    """
    columns = ["old_hr_id", "new_hr_id", "overlap_m2", "share_of_old", "share_of_new", "match"]
    if len(old) == 0 or len(new) == 0:
        return pd.DataFrame(
            {c: pd.Series(dtype=object if c.endswith("id") else float) for c in columns}
        ).astype({"match": bool})
    old_geom = np.asarray(old.geometry.values)
    new_geom = np.asarray(new.geometry.values)
    i_old, i_new = shapely.STRtree(new_geom).query(old_geom, predicate="intersects")
    inter = shapely.area(shapely.intersection(old_geom[i_old], new_geom[i_new]))
    share_old = inter / shapely.area(old_geom[i_old])
    share_new = inter / shapely.area(new_geom[i_new])
    pairs = pd.DataFrame(
        {
            "old_hr_id": np.asarray(old["hr_id"].astype(str))[i_old],
            "new_hr_id": np.asarray(new["hr_id"].astype(str))[i_new],
            "overlap_m2": inter,
            "share_of_old": share_old,
            "share_of_new": share_new,
        }
    )
    pairs = pairs[(pairs["share_of_old"] >= min_link) | (pairs["share_of_new"] >= min_link)]
    pairs = pairs.sort_values(
        ["overlap_m2", "old_hr_id", "new_hr_id"], ascending=[False, True, True], kind="stable"
    ).reset_index(drop=True)
    pairs["match"] = match_areas(pairs, min_overlap)
    return pairs[columns]


def match_areas(links: pd.DataFrame, min_overlap: float = 0.5) -> pd.Series:
    """One-to-one matching of linked areas: mutual largest overlaps.

    A pair matches when it is the largest overlap of its old area and of its new area (so a small
    area lying inside a big old one does not continue it: containment is not identity), and its
    intersection holds at least ``min_overlap`` of either area, i.e. of the smaller of the two.
    Only areas of the same kind match (stand-alone, or a lettered part of a group): the rule of
    ``--previous`` numbering, so that a diff and the numbers tell the same story.

    Parameters
    ----------
    links
        Linked pairs with ``old_hr_id``, ``new_hr_id``, ``overlap_m2``, ``share_of_old`` and
        ``share_of_new``.
    min_overlap
        A pair can match when its intersection holds at least this share of the smaller area.

    Returns
    -------
    pandas.Series
        Boolean, indexed like ``links``: the pair is a match.
    """
    if links.empty:
        return pd.Series(False, index=links.index)
    is_part = {
        "old": links["old_hr_id"].str.contains(r"[a-z]$"),
        "new": links["new_hr_id"].str.contains(r"[a-z]$"),
    }
    same_kind = (is_part["old"] == is_part["new"]).to_numpy()
    order = links[same_kind].sort_values(
        ["overlap_m2", "old_hr_id", "new_hr_id"], ascending=[False, True, True], kind="stable"
    )
    best_of_old = order.groupby("old_hr_id", sort=False).head(1).index
    best_of_new = order.groupby("new_hr_id", sort=False).head(1).index
    eligible = np.maximum(links["share_of_old"], links["share_of_new"]) >= min_overlap
    return pd.Series(
        links.index.isin(best_of_old)
        & links.index.isin(best_of_new)
        & np.asarray(eligible)
        & same_kind,
        index=links.index,
    )
