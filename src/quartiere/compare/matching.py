"""The one area-matching rule: which new Handlungsraum continues which old one.

Used by ``quartiere diff`` and ``quartiere history`` (:mod:`quartiere.compare.diff`); the numbering
of ``quartiere build --previous`` follows the same rule (mutual largest overlap, at least
``min_overlap`` of the smaller area, same kind: stand-alone or lettered part).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from quartiere.model import CRS


def comparison_crs(*frames: gpd.GeoDataFrame) -> Any:
    """The CRS two or more builds are compared in: the last (newest) one's that has a CRS.

    The configuration's ``crs`` (default :data:`quartiere.model.CRS`) is a projected CRS in metres,
    so overlap shares and areas mean the same in every build; a build is compared in the newer
    build's CRS and an older one is reprojected to it. :data:`CRS` when no frame has one.
    """
    for frame in reversed(frames):
        if frame.crs is not None:
            return frame.crs
    return CRS


def in_comparison_crs(frame: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame:
    """``frame`` reprojected to ``crs`` (as is when it has no CRS or already that one)."""
    return frame.to_crs(crs) if frame.crs is not None and frame.crs != crs else frame


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
        ["overlap_m2", "old_hr_id", "new_hr_id"], ascending=[False, True, True], ignore_index=True
    )
    pairs["match"] = match_areas(pairs, min_overlap)
    return pairs[columns]


def is_lettered_part(hr_ids: pd.Series) -> pd.Series:
    """Whether each ``hr_id`` names a lettered part of a group (``"13a"``), not a stand-alone area.

    >>> is_lettered_part(pd.Series(["01", "13a", "13b"])).tolist()
    [False, True, True]
    """
    return hr_ids.astype(str).str.contains(r"[a-z]$")


def mutual_best(
    old_key: np.ndarray,
    new_key: np.ndarray,
    overlap: np.ndarray,
    share_of_smaller: np.ndarray,
    min_overlap: float,
) -> np.ndarray:
    """THE matching rule, on candidate pairs of the same kind: mutual largest overlap.

    A pair matches when it is the largest overlap of its old area and of its new area (so a small
    area lying inside a big old one does not continue it: containment is not identity) and its
    intersection holds at least ``min_overlap`` of the smaller of the two. Ties in overlap go to
    the smaller old key, then the smaller new key.

    Parameters
    ----------
    old_key, new_key
        Per pair, the old and the new area (ids or positions).
    overlap
        Per pair, the area of the intersection (m²).
    share_of_smaller
        Per pair, the intersection as a share of the smaller of the two areas.
    min_overlap
        The least ``share_of_smaller`` of a match.

    Returns
    -------
    numpy.ndarray
        Boolean per pair: the pair is a match.

    Examples
    --------
    >>> mutual_best(np.array(["A", "A"]), np.array(["x", "y"]), np.array([9.0, 1.0]),
    ...             np.array([0.9, 1.0]), 0.5).tolist()
    [True, False]
    """
    pairs = pd.DataFrame(
        {"old": np.asarray(old_key), "new": np.asarray(new_key), "overlap": np.asarray(overlap)}
    )
    if pairs.empty:
        return np.zeros(0, dtype=bool)
    order = pairs.sort_values(["overlap", "old", "new"], ascending=[False, True, True])
    # head(1): each group's first row in the frame's order; isin reads the index as a set
    best_of_old = order.groupby("old").head(1).index
    best_of_new = order.groupby("new").head(1).index
    return (
        pairs.index.isin(best_of_old)
        & pairs.index.isin(best_of_new)
        & (np.asarray(share_of_smaller) >= min_overlap)
    )


def match_frames(
    old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, min_overlap: float = 0.5
) -> pd.DataFrame:
    """Which new area continues which old one: :func:`mutual_best` over two area frames.

    Parameters
    ----------
    old, new
        Areas with ``hr_id`` and polygon geometry in one metric CRS; the kind of an area is
        the bool column ``is_part`` when present, else read from the ``hr_id``
        (:func:`is_lettered_part`). Only areas of the same kind match, except that a new area
        with ``any_kind`` True (the single kept part of a group, numbered without a letter) may
        match either kind; new areas not yet numbered may carry provisional ids.
    min_overlap
        The least share of the smaller area that the intersection of a match covers. Exactly
        equal overlaps go to the smaller ``hr_id`` (as in :func:`match_areas`), whatever the
        order of the rows.

    Returns
    -------
    pandas.DataFrame
        One row per match: ``old`` and ``new`` (positions in the frames), ``old_hr_id``,
        ``new_hr_id``, ``overlap_m2`` and ``share`` (of the smaller area), ordered by ``new``.

    Examples
    --------
    >>> from shapely import box
    >>> old = gpd.GeoDataFrame({"hr_id": ["01", "02"]}, geometry=[box(0, 0, 2, 1), box(2, 0, 4, 1)])
    >>> new = gpd.GeoDataFrame({"hr_id": ["07"]}, geometry=[box(0, 0, 2.5, 1)])
    >>> match_frames(old, new)[["old_hr_id", "new_hr_id", "share"]].to_dict("records")
    [{'old_hr_id': '01', 'new_hr_id': '07', 'share': 1.0}]
    """
    columns = ["old", "new", "old_hr_id", "new_hr_id", "overlap_m2", "share"]
    old_geoms, new_geoms = np.asarray(old.geometry.values), np.asarray(new.geometry.values)
    if len(old_geoms) == 0 or len(new_geoms) == 0:
        return pd.DataFrame(columns=columns)  # no rows: object columns
    old_ids, new_ids = old["hr_id"].astype(str).to_numpy(), new["hr_id"].astype(str).to_numpy()
    old_part = (old["is_part"] if "is_part" in old else is_lettered_part(old["hr_id"])).to_numpy()
    new_part = (new["is_part"] if "is_part" in new else is_lettered_part(new["hr_id"])).to_numpy()
    any_kind = (
        new["any_kind"].to_numpy(dtype=bool) if "any_kind" in new else np.zeros(len(new), bool)
    )
    i_new, i_old = shapely.STRtree(old_geoms).query(new_geoms, predicate="intersects")
    same_kind = (new_part[i_new] == old_part[i_old]) | any_kind[i_new]
    i_new, i_old = i_new[same_kind], i_old[same_kind]
    inter = shapely.area(shapely.intersection(new_geoms[i_new], old_geoms[i_old]))
    smaller = np.minimum(shapely.area(new_geoms[i_new]), shapely.area(old_geoms[i_old]))
    # The intersection is no larger than either area: 0 for a degenerate area without any.
    share = inter / np.maximum(smaller, np.finfo(float).tiny)
    # Ties go to the smaller hr_id (as in the diff's links), not to the earlier row of the file.
    old_rank, new_rank = _id_rank(old_ids), _id_rank(new_ids)
    keep = mutual_best(old_rank[i_old], new_rank[i_new], inter, share, min_overlap)
    out = pd.DataFrame(
        {
            "old": i_old[keep],
            "new": i_new[keep],
            "old_hr_id": old_ids[i_old[keep]],
            "new_hr_id": new_ids[i_new[keep]],
            "overlap_m2": inter[keep],
            "share": share[keep],
        }
    )
    return out.sort_values("new").reset_index(drop=True)  # a new area is in one match at most


def _id_rank(ids: np.ndarray) -> np.ndarray:
    """Per row, its position in hr_id order (rows with equal ids in row order): unique keys."""
    return np.argsort(np.lexsort([ids]))  # lexsort is stable; the inverse of a permutation


def match_areas(links: pd.DataFrame, min_overlap: float = 0.5) -> pd.Series:
    """:func:`mutual_best` over linked pairs of areas of the same kind (the diff's links).

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
    same_kind = (
        is_lettered_part(links["old_hr_id"]) == is_lettered_part(links["new_hr_id"])
    ).to_numpy()
    candidates = links[same_kind]
    match = pd.Series(False, index=links.index)
    match[candidates.index] = mutual_best(
        candidates["old_hr_id"].to_numpy(),
        candidates["new_hr_id"].to_numpy(),
        candidates["overlap_m2"].to_numpy(),
        np.maximum(candidates["share_of_old"].to_numpy(), candidates["share_of_new"].to_numpy()),
        min_overlap,
    )
    return match
