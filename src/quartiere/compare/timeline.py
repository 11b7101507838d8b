"""The timeline of several editions (pure): tracks of areas across editions and how long each
planning area stays inside an area. Text and maps of it live in :mod:`quartiere.present`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from quartiere.compare.diff import BuildDiff, DiffOptions
from quartiere.compare.matching import area_links, comparison_crs, in_comparison_crs
from quartiere.record import Build


@dataclass
class Edition:
    """One edition of a history: its key (the configuration's file stem), label and build."""

    key: str
    year: int
    label: str
    config: Path
    path: Path
    build: Build


def timeline(
    builds: Sequence[Build], keys: Sequence[str], options: DiffOptions | None = None
) -> pd.DataFrame:
    """Which Handlungsraum existed in which edition, followed through the editions by overlap.

    An area continues the *track* of the area of the edition before that it matches one-to-one
    (the matching of :func:`quartiere.compare.matching.area_links`); any other area starts a new
    track.

    Parameters
    ----------
    builds
        The builds in chronological order.
    keys
        One short name per build (column names).
    options
        Matching thresholds.

    Returns
    -------
    pandas.DataFrame
        One row per track: ``track`` (``<first key>:<hr_id>``), ``hr_name`` (latest), one column
        per key with the area's ``hr_id`` in that edition (empty when absent), ``first``, ``last``
        and ``n_editions``.
    """
    options = options or DiffOptions()
    tracks: dict[str, dict[str, str]] = {}
    names: dict[str, str] = {}
    current: dict[str, str] = {}
    previous: gpd.GeoDataFrame | None = None
    crs = comparison_crs(*(b.areas for b in builds))  # the newest edition's
    for key, build in zip(keys, builds, strict=True):
        areas = in_comparison_crs(build.areas, crs)
        areas = areas.assign(hr_id=areas["hr_id"].astype(str))
        matched: dict[str, str] = {}
        if previous is not None:
            links = area_links(
                previous, areas, min_link=options.min_link, min_overlap=options.min_overlap
            )
            matched = dict(
                zip(
                    links.loc[links["match"], "new_hr_id"],
                    links.loc[links["match"], "old_hr_id"],
                    strict=True,
                )
            )
        following: dict[str, str] = {}
        hr_names = (
            areas["hr_name"].fillna("").astype(str)
            if "hr_name" in areas
            else pd.Series("", index=areas.index)
        )
        for hr_id, name in sorted(zip(areas["hr_id"], hr_names, strict=True)):
            old = matched.get(hr_id)
            track = current[old] if old is not None and old in current else f"{key}:{hr_id}"
            tracks.setdefault(track, {})[key] = hr_id
            names[track] = name
            following[hr_id] = track
        current = following
        previous = areas
    rows = []
    for track, cells in tracks.items():
        present = [k for k in keys if k in cells]
        rows.append(
            {
                "track": track,
                "hr_name": names[track],
                **{k: cells.get(k, "") for k in keys},
                "first": present[0],
                "last": present[-1],
                "n_editions": len(present),
            }
        )
    frame = pd.DataFrame(rows, columns=["track", "hr_name", *keys, "first", "last", "n_editions"])
    order = {k: i for i, k in enumerate(keys)}
    frame["_first"] = frame["first"].map(order)
    frame["_id"] = [row[row["first"]] for row in frame.to_dict("records")]
    return (
        frame.sort_values(["_first", "_id"], kind="stable")
        .drop(columns=["_first", "_id"])
        .reset_index(drop=True)
    )


def _inside(planning_areas: gpd.GeoDataFrame, build: Build, share: float) -> np.ndarray:
    """Whether at least ``share`` of each planning area lies inside one of the build's areas."""
    same = build.generation is not None and set(build.planning_areas["plr_id"].astype(str)) == set(
        planning_areas["plr_id"].astype(str)
    )
    if same:
        inside = build.planning_areas.set_index(build.planning_areas["plr_id"].astype(str))
        hr = inside["hr_id"].fillna("").astype(str).reindex(planning_areas["plr_id"].astype(str))
        return (hr.fillna("") != "").to_numpy()
    areas = build.areas.to_crs(planning_areas.crs) if build.areas.crs else build.areas
    union = shapely.union_all(np.asarray(areas.geometry.values))
    geoms = np.asarray(planning_areas.geometry.values)
    covered = shapely.area(shapely.intersection(geoms, union)) / shapely.area(geoms)
    return covered >= share


def persistence(
    planning_areas: gpd.GeoDataFrame,
    builds: Sequence[Build],
    keys: Sequence[str],
    share: float = 0.5,
) -> gpd.GeoDataFrame:
    """In how many editions each planning area was inside a Handlungsraum.

    Parameters
    ----------
    planning_areas
        The target planning areas (``plr_id``, ``plr_name``, ``bezirk``, geometry), normally the
        last edition's ``planungsraeume`` layer (LOR 2021).
    builds, keys
        The editions and their short names.
    share
        A planning area counts as inside an edition of another LOR generation when at least this
        share of its surface lies inside that edition's areas; within one generation the
        membership (``hr_id``) is used as is.

    Returns
    -------
    geopandas.GeoDataFrame
        ``plr_id``, ``plr_name``, ``bezirk``, one 0/1 column ``in_<key>`` per edition,
        ``persistence`` (number of editions inside, 0..n), ``n_editions`` and geometry.
    """
    target = in_comparison_crs(planning_areas, comparison_crs(*(b.areas for b in builds)))
    out = pd.DataFrame(
        {
            "plr_id": target["plr_id"].astype(str).to_numpy(),
            "plr_name": target.get("plr_name", pd.Series("", index=target.index)).to_numpy(),
            "bezirk": target.get("bezirk", pd.Series("", index=target.index)).to_numpy(),
        }
    )
    for key, build in zip(keys, builds, strict=True):
        out[f"in_{key}"] = _inside(target, build, share).astype(int)
    out["persistence"] = out[[f"in_{k}" for k in keys]].sum(axis=1).astype(int)
    out["n_editions"] = len(keys)
    return gpd.GeoDataFrame(out, geometry=np.asarray(target.geometry.values), crs=target.crs)


def persistence_matrix(
    builds: Sequence[Build], keys: Sequence[str], options: DiffOptions | None = None
) -> pd.DataFrame:
    """How many areas of each edition persist into each later edition, matched directly.

    Parameters
    ----------
    builds, keys
        The editions in chronological order and their short names.
    options
        Matching thresholds (one-to-one, at least ``min_overlap`` of either area).

    Returns
    -------
    pandas.DataFrame
        Rows and columns are keys; cell (i, j), j after i, is the number of areas of edition i
        continued by an area of edition j; the diagonal holds the number of areas; the rest is NA.
    """
    options = options or DiffOptions()
    empty = {k: pd.array([pd.NA] * len(keys), dtype="Int64") for k in keys}
    matrix = pd.DataFrame(empty, index=list(keys))
    crs = comparison_crs(*(b.areas for b in builds))
    areas = [in_comparison_crs(b.areas, crs) for b in builds]
    for i, key_i in enumerate(keys):
        matrix.loc[key_i, key_i] = len(areas[i])
        for j in range(i + 1, len(keys)):
            links = area_links(
                areas[i], areas[j], min_link=options.min_link, min_overlap=options.min_overlap
            )
            matrix.loc[key_i, keys[j]] = int(links["match"].sum())
    return matrix


def matrix_counts(matrix: pd.DataFrame) -> dict[str, dict[str, int | None]]:
    """:func:`persistence_matrix` as nested plain dicts: row key -> column key -> count or None."""
    return {
        str(row): {
            str(col): (None if value is pd.NA else int(value))
            for col, value in zip(matrix.columns, values, strict=True)
        }
        for row, values in zip(matrix.index, matrix.to_numpy(dtype=object), strict=True)
    }


@dataclass
class History:
    """What :func:`run_history` built and wrote."""

    editions: list[Edition]
    timeline: pd.DataFrame
    matrix: pd.DataFrame
    persistence: gpd.GeoDataFrame
    diffs: dict[str, BuildDiff] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
