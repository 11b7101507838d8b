"""What changed between two builds: Handlungsräume matched by overlap, planning areas by id.

Two builds are compared as frames (their ``handlungsraeume`` and ``planungsraeume`` layers and their
``build_info``); reading and writing happen elsewhere (:mod:`quartiere.history`, the CLI); text in
:mod:`quartiere.present.diff_text`.

Handlungsräume are matched **by geometry overlap, never by id**: numbers may be reassigned and,
across LOR generations (pre-2021 vs 2021 planning areas), ids mean nothing at all. An old and a new
area are *linked* when their intersection holds at least ``min_link`` of either one's area; the
connected groups of linked areas are the events:

==========  =====================================================================================
persisted   one old area linked to exactly one new area (and vice versa); ``extent`` says whether
            it is unchanged, grew, shrank or was reshaped (gained and lost ground)
split       one old area linked to several new areas
merged      several old areas linked to one new area
regrouped   several old areas linked to several new areas (merged and split at once)
appeared    a new area linked to no old area
vanished    an old area linked to no new area
==========  =====================================================================================

Within a group, a one-to-one *match* (areas of the same kind, stand-alone or lettered part, each
the other's largest overlap, their intersection covering at least ``min_overlap`` of the smaller of
the two) names which new area continues which old one: the rule of
:mod:`quartiere.compare.matching`, which the stable numbering of ``quartiere build --previous``
uses too. When the new build was numbered against the old file itself (its ``build_info``
``previous`` holds the old file's hash), the pairs its numbering recorded (``continued``) are the
matches: one matching result for the numbers, the lineage and the memo. An event (``persisted``,
``split`` ...) needs only links, so a lettered part can persist as a stand-alone area without
continuing it.

Planning areas (Planungsräume, PLR) are compared by id only when both builds use the same LOR
generation (``build_info`` key ``lor_generation``): criteria that flipped (``c_mss``, ``c_schools``,
``c_atlas``) and membership changes (entered, left, moved to an area that does not continue the old
one).

The ``changes`` frame holds the ground each area gained (``entered``, or ``appeared`` for a whole
new area) and lost (``left``, ``vanished``) as EPSG:25833 MultiPolygons. Across LOR generations the
boundaries differ slightly everywhere; slivers narrower than ``sliver_width_m`` or smaller than
``min_piece_m2`` are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from quartiere.compare.matching import area_links, comparison_crs, in_comparison_crs
from quartiere.criteria import CRITERIA
from quartiere.provenance import CutChange, cut_changes
from quartiere.record import Build

_KIND_ORDER = ("persisted", "split", "merged", "regrouped", "appeared", "vanished")


_EXTENTS = ("unchanged", "grew", "shrank", "reshaped")


_EVENT_COLUMNS = [
    "kind",
    "old_hr_ids",
    "new_hr_ids",
    "old_name",
    "new_name",
    "old_names",
    "new_names",
    "continues",
    "old_population",
    "new_population",
    "d_population",
    "old_area_km2",
    "new_area_km2",
    "d_area_km2",
    "overlap",
    "gained_km2",
    "lost_km2",
    "extent",
    "renumbered",
    "changed",
]


@dataclass(frozen=True)
class DiffOptions:
    """Thresholds of a comparison.

    Parameters
    ----------
    min_link
        Share (0..1) of an old or a new area's surface their intersection must hold for the two to
        be linked into one event.
    min_overlap
        Share (0..1) of an old or a new area's surface their intersection must hold for the new area
        to continue the old one (one-to-one); the same rule as ``delineation.min_overlap``.
    sliver_width_m
        Pieces of gained or lost ground narrower than twice this width (metres) are boundary noise.
    min_piece_m2
        Pieces of gained or lost ground smaller than this (square metres) are boundary noise.
    plr_share
        A planning area belongs to a piece of ground when at least this share of it lies inside.
    """

    min_link: float = 0.2
    min_overlap: float = 0.5
    sliver_width_m: float = 10.0
    min_piece_m2: float = 10_000.0
    plr_share: float = 0.5


@dataclass
class BuildDiff:
    """The result of :func:`diff_builds`.

    Attributes
    ----------
    old, new
        Short descriptions of the two builds (label, edition, generation, built_at, n_areas).
    same_generation
        Whether both builds use the same LOR generation, so planning areas compare by id.
    links
        One row per linked pair: ``old_hr_id``, ``new_hr_id``, ``overlap_m2``, ``share_of_old``,
        ``share_of_new`` (0..1), ``match`` (the new area continues the old one).
    areas
        One row per event (see the module docstring): ``kind``, ``old_hr_ids``, ``new_hr_ids``
        (tuples of ids), ``old_names``, ``new_names`` (tuples of names), ``old_name``,
        ``new_name`` (names joined by "; "), ``continues`` (tuple of ``old>new`` pairs),
        ``old_population``, ``new_population``, ``d_population``, ``old_area_km2``,
        ``new_area_km2``, ``d_area_km2``, ``overlap`` (share 0..1 of the old ground inside the new
        areas), ``gained_km2``, ``lost_km2``, ``extent`` (persisted: ``unchanged``, ``grew``,
        ``shrank``, ``reshaped``), ``renumbered`` and ``changed`` (bool).
    planning_areas
        Planning areas with a change (same generation only): ``plr_id``, ``plr_name``, ``bezirk``,
        ``old_hr_id``, ``new_hr_id``, ``membership`` (``entered``, ``left``, ``moved`` or empty),
        ``flipped`` (comma-separated criteria), and ``<criterion>_old`` / ``<criterion>_new``.
    changes
        Gained and lost ground: ``kind`` (``entered``, ``left``, ``appeared``, ``vanished``),
        ``hr_id`` (the area that gained or lost it), ``hr_name``, ``old_hr_id`` / ``new_hr_id``
        (where it came from / went to, when one area holds most of it), ``area_km2``,
        ``population`` (the build's planning-area inhabitants, spread evenly over their area),
        ``plr_ids`` and MultiPolygon geometry in EPSG:25833.
    cuts
        Criteria whose cut moved (:func:`quartiere.provenance.cut_changes`): the cut before and
        after and what changed in the criterion's inputs.
    """

    old: dict[str, Any]
    new: dict[str, Any]
    same_generation: bool
    links: pd.DataFrame
    areas: pd.DataFrame
    planning_areas: pd.DataFrame
    changes: gpd.GeoDataFrame
    cuts: list[CutChange] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything differs: an area event, a planning-area flip or membership change."""
        return bool(self.areas["changed"].any() or len(self.planning_areas) or self.cuts)

    def counts(self) -> dict[str, int]:
        """Number of events of each kind, plus the persisted areas by extent and the PLR changes."""
        kinds = self.areas["kind"].value_counts()
        out = {kind: int(kinds.get(kind, 0)) for kind in _KIND_ORDER}
        persisted = self.areas[self.areas["kind"] == "persisted"]
        for extent in _EXTENTS:
            out[f"persisted_{extent}"] = int((persisted["extent"] == extent).sum())
        out["renumbered"] = int(self.areas["renumbered"].sum())
        plr = self.planning_areas  # empty, with every column, across LOR generations
        for membership in ("entered", "left", "moved"):
            out[f"plr_{membership}"] = int((plr["membership"] == membership).sum())
        for criterion in CRITERIA:
            old, new = plr[f"{criterion}_old"] == 1, plr[f"{criterion}_new"] == 1
            out[f"{criterion}_now_met"] = int((new & ~old).sum())
            out[f"{criterion}_no_longer_met"] = int((old & ~new).sum())
        return out


def _areas_frame(areas: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame:
    """Areas with text ids, names, population and valid geometry, in the comparison CRS, sorted
    by id. Only positions and columns are read: the index is left as it comes."""
    frame = in_comparison_crs(areas, crs)
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    out = gpd.GeoDataFrame(
        {
            "hr_id": frame["hr_id"].astype(str).to_numpy(),
            "hr_name": (
                frame["hr_name"].fillna("").astype(str).to_numpy()
                if "hr_name" in frame
                else [""] * len(frame)
            ),
            "population": (
                pd.to_numeric(frame["population"], errors="coerce").to_numpy()  # sums skip NaN
                if "population" in frame
                else np.zeros(len(frame))
            ),
        },
        geometry=shapely.make_valid(frame.geometry.to_numpy()),
        crs=crs,
    )
    return out.sort_values("hr_id")  # ids are unique


def _groups(
    old_ids: Sequence[str], new_ids: Sequence[str], links: pd.DataFrame
) -> list[tuple[list[str], list[str]]]:
    """Connected groups of the bipartite link graph as (old ids, new ids)."""
    n_old = len(old_ids)
    nodes = {f"o:{i}": k for k, i in enumerate(old_ids)}
    nodes.update({f"n:{i}": n_old + k for k, i in enumerate(new_ids)})
    rows = np.array([nodes[f"o:{i}"] for i in links["old_hr_id"]])
    cols = np.array([nodes[f"n:{i}"] for i in links["new_hr_id"]])
    size = n_old + len(new_ids)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(size, size))
    _, labels = connected_components(graph)  # weakly connected: the links in either direction
    groups: dict[int, tuple[list[str], list[str]]] = {}
    for k, i in enumerate(old_ids):
        groups.setdefault(int(labels[k]), ([], []))[0].append(i)
    for k, i in enumerate(new_ids):
        groups.setdefault(int(labels[n_old + k]), ([], []))[1].append(i)
    return list(groups.values())  # in no particular order: the events are sorted


def _drop_slivers(geoms: np.ndarray, width: float, min_area: float) -> np.ndarray:
    """Remove polygon parts narrower than ``2 * width`` or smaller than ``min_area``."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    keep = shapely.area(parts) >= min_area
    # a line or point left by a difference buffers to nothing: only polygons are kept
    keep &= ~shapely.is_empty(shapely.buffer(parts, -width, quad_segs=2))
    out = np.array([shapely.MultiPolygon()] * len(geoms), dtype=object)
    # Geometries without a part kept stay the empty MultiPolygon already in ``out``.
    shapely.multipolygons(parts[keep], indices=owner[keep], out=out)
    return out


def _difference(
    minuend: gpd.GeoDataFrame, subtrahend: gpd.GeoDataFrame, partners: Mapping[Any, list[str]]
) -> np.ndarray:
    """Each minuend area minus the union of its linked partners in the other build."""
    by_id = pd.Series(subtrahend.geometry.values, index=subtrahend["hr_id"])
    others = np.array(
        [shapely.union_all(by_id[partners.get(i, [])].to_numpy()) for i in minuend["hr_id"]]
    )
    return shapely.difference(np.asarray(minuend.geometry.values), others)


def _majority_id(pieces: np.ndarray, areas: gpd.GeoDataFrame) -> np.ndarray:
    """The id of the area holding at least half of each piece, else empty."""
    out = np.full(len(pieces), "", dtype=object)
    geoms = np.asarray(areas.geometry.values)
    # candidates by bounding box: one that does not intersect has a share of 0
    i_piece, i_area = shapely.STRtree(geoms).query(pieces)
    inter = shapely.area(shapely.intersection(pieces[i_piece], geoms[i_area]))
    share = inter / shapely.area(pieces[i_piece])  # a piece that is a candidate has an area
    hit = share >= 0.5
    out[i_piece[hit]] = np.asarray(areas["hr_id"])[i_area[hit]]
    return out


def _apportion(
    pieces: np.ndarray, planning_areas: gpd.GeoDataFrame, plr_share: float
) -> tuple[np.ndarray, list[str]]:
    """Inhabitants (spread evenly over each PLR) and ids of the PLR mostly inside each piece.

    Planning areas without a ``population`` column (or with unknown values) count 0 inhabitants,
    as areas without one do in :func:`_areas_frame`.
    """
    population = np.zeros(len(pieces))
    geoms = np.asarray(planning_areas.geometry.values)
    if "population" in planning_areas.columns:
        pop = pd.to_numeric(planning_areas["population"], errors="coerce").fillna(0).to_numpy()
    else:
        pop = np.zeros(len(geoms))
    # candidates by bounding box: one that does not intersect has a share of 0
    i_piece, i_plr = shapely.STRtree(geoms).query(pieces)
    share = shapely.area(shapely.intersection(pieces[i_piece], geoms[i_plr])) / shapely.area(
        geoms[i_plr]
    )
    np.add.at(population, i_piece, pop[i_plr] * share)
    plr_ids = np.asarray(planning_areas["plr_id"].astype(str))
    inside = share >= plr_share
    ids = (
        pd.Series(plr_ids[i_plr[inside]])
        .groupby(i_piece[inside])
        .agg(lambda v: ",".join(sorted(v)))
        .reindex(range(len(pieces)), fill_value="")
    )
    return population, ids.tolist()


def _changes_frame(
    old: gpd.GeoDataFrame,
    new: gpd.GeoDataFrame,
    links: pd.DataFrame,
    old_plr: gpd.GeoDataFrame,
    new_plr: gpd.GeoDataFrame,
    options: DiffOptions,
) -> gpd.GeoDataFrame:
    """Gained ground of each new area and lost ground of each old area, slivers removed."""
    partners_of_new = links.groupby("new_hr_id")["old_hr_id"].apply(list).to_dict()
    partners_of_old = links.groupby("old_hr_id")["new_hr_id"].apply(list).to_dict()
    gained = _drop_slivers(
        _difference(new, old, partners_of_new), options.sliver_width_m, options.min_piece_m2
    )
    lost = _drop_slivers(
        _difference(old, new, partners_of_old), options.sliver_width_m, options.min_piece_m2
    )
    gained_pop, gained_plr = _apportion(gained, new_plr, options.plr_share)
    lost_pop, lost_plr = _apportion(lost, old_plr, options.plr_share)
    new_linked = new["hr_id"].isin(links["new_hr_id"]).to_numpy()
    old_linked = old["hr_id"].isin(links["old_hr_id"]).to_numpy()
    entered = pd.DataFrame(
        {
            "kind": np.where(new_linked, "entered", "appeared"),
            "hr_id": new["hr_id"].to_numpy(),
            "hr_name": new["hr_name"].to_numpy(),
            "old_hr_id": _majority_id(gained, old),
            "new_hr_id": new["hr_id"].to_numpy(),
            "area_km2": shapely.area(gained) / 1e6,
            "population": gained_pop,
            "plr_ids": gained_plr,
            "geometry": gained,
        }
    )
    left = pd.DataFrame(
        {
            "kind": np.where(old_linked, "left", "vanished"),
            "hr_id": old["hr_id"].to_numpy(),
            "hr_name": old["hr_name"].to_numpy(),
            "old_hr_id": old["hr_id"].to_numpy(),
            "new_hr_id": _majority_id(lost, new),
            "area_km2": shapely.area(lost) / 1e6,
            "population": lost_pop,
            "plr_ids": lost_plr,
            "geometry": lost,
        }
    )
    frame = pd.concat([entered, left])  # indexed afresh below
    frame = frame[~shapely.is_empty(frame["geometry"].to_numpy())]
    frame = frame.assign(
        area_km2=frame["area_km2"].round(4), population=frame["population"].round().astype("int64")
    )
    frame = frame.sort_values(["hr_id", "kind"]).reset_index(drop=True)  # unique pairs
    return gpd.GeoDataFrame(frame, crs=new.crs)


def _events(
    old: gpd.GeoDataFrame,
    new: gpd.GeoDataFrame,
    links: pd.DataFrame,
    changes: gpd.GeoDataFrame,
    same_generation: bool,
) -> pd.DataFrame:
    """One row per connected group of linked areas."""
    old_by = old.set_index("hr_id")
    new_by = new.set_index("hr_id")
    gained = changes[changes["kind"] == "entered"].groupby("hr_id")["area_km2"].sum()
    lost = changes[changes["kind"] == "left"].groupby("hr_id")["area_km2"].sum()
    matches = links[links["match"]]
    rows = []
    for old_ids, new_ids in _groups(list(old["hr_id"]), list(new["hr_id"]), links):
        if old_ids and new_ids:
            kind = {(1, 1): "persisted"}.get((len(old_ids), len(new_ids)))
            kind = kind or (
                "split" if len(old_ids) == 1 else "merged" if len(new_ids) == 1 else "regrouped"
            )
        else:
            kind = "appeared" if new_ids else "vanished"
        # (sums over no ids are 0; unknown gains and losses count nothing)
        old_area = float(old_by.loc[old_ids].geometry.area.sum())
        new_area = float(new_by.loc[new_ids].geometry.area.sum())
        inside = links[links["old_hr_id"].isin(old_ids)]["overlap_m2"].sum()
        pairs = matches[matches["old_hr_id"].isin(old_ids)]
        continues = tuple(pairs["old_hr_id"] + ">" + pairs["new_hr_id"])
        gain = float(gained.reindex(new_ids).sum())
        loss = float(lost.reindex(old_ids).sum())
        old_pop = int(round(old_by.loc[old_ids, "population"].sum()))
        new_pop = int(round(new_by.loc[new_ids, "population"].sum()))
        old_names = tuple(old_by.loc[old_ids, "hr_name"])
        new_names = tuple(new_by.loc[new_ids, "hr_name"])
        old_name, new_name = "; ".join(old_names), "; ".join(new_names)
        extent = ""
        if kind == "persisted":
            extent = {
                (False, False): "unchanged",
                (True, False): "grew",
                (False, True): "shrank",
                (True, True): "reshaped",
            }[(gain > 0, loss > 0)]
        renumbered = kind == "persisted" and old_ids[0] != new_ids[0]
        unchanged = (
            kind == "persisted"
            and extent == "unchanged"
            and not renumbered
            and old_name == new_name
            and (old_pop == new_pop or not same_generation)
        )
        rows.append(
            {
                "kind": kind,
                "old_hr_ids": tuple(old_ids),
                "new_hr_ids": tuple(new_ids),
                "old_name": old_name,
                "new_name": new_name,
                "old_names": old_names,
                "new_names": new_names,
                "continues": continues,
                "old_population": old_pop,
                "new_population": new_pop,
                "d_population": new_pop - old_pop,
                "old_area_km2": round(old_area / 1e6, 4),
                "new_area_km2": round(new_area / 1e6, 4),
                "d_area_km2": round((new_area - old_area) / 1e6, 4),
                "overlap": round(float(inside / old_area), 4) if old_area else 0.0,
                "gained_km2": round(gain, 4),
                "lost_km2": round(loss, 4),
                "extent": extent,
                "renumbered": renumbered,
                "changed": not unchanged,
            }
        )
    frame = pd.DataFrame(rows, columns=_EVENT_COLUMNS)
    order = {k: i for i, k in enumerate(_KIND_ORDER)}
    frame["_order"] = frame["kind"].map(order)
    # every group holds an id: its first new one, else its first old one (unique per kind)
    frame["_first"] = [ids[0] for ids in frame["new_hr_ids"] + frame["old_hr_ids"]]
    return (
        frame.sort_values(["_order", "_first"])
        .drop(columns=["_order", "_first"])
        .reset_index(drop=True)
        .astype({"renumbered": bool, "changed": bool})
    )


def _criterion(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype("Int64")


def _plr_changes(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Planning areas whose criteria flipped or whose membership changed (same generation)."""
    columns = [
        "plr_id",
        "plr_name",
        "bezirk",
        "old_hr_id",
        "new_hr_id",
        "membership",
        "flipped",
        *(f"{c}_{w}" for c in CRITERIA for w in ("old", "new")),
    ]

    def prepare(frame: gpd.GeoDataFrame) -> pd.DataFrame:
        out = pd.DataFrame(
            {
                "plr_id": frame["plr_id"].astype(str).to_numpy(),
                "plr_name": frame.get("plr_name", pd.Series("", index=frame.index)).to_numpy(),
                "bezirk": frame.get("bezirk", pd.Series("", index=frame.index)).to_numpy(),
                "hr_id": frame["hr_id"].fillna("").astype(str).to_numpy(),
            }
        )
        flags = frame.reindex(columns=list(CRITERIA))  # a criterion not in the layer: no data
        for criterion in CRITERIA:
            out[criterion] = _criterion(flags[criterion]).to_numpy()
        return out.set_index("plr_id")

    before, after = prepare(old), prepare(new)
    joined = before.add_suffix("_old").join(after.add_suffix("_new"), how="outer")
    joined["plr_name"] = joined["plr_name_new"].fillna(joined["plr_name_old"])
    joined["bezirk"] = joined["bezirk_new"].fillna(joined["bezirk_old"])
    joined["old_hr_id"] = joined["hr_id_old"].fillna("")
    joined["new_hr_id"] = joined["hr_id_new"].fillna("")
    was, now = joined["old_hr_id"] != "", joined["new_hr_id"] != ""
    # Staying inside a linked successor is not a move, whatever its number.
    linked = pd.MultiIndex.from_arrays([joined["old_hr_id"], joined["new_hr_id"]]).isin(
        pd.MultiIndex.from_arrays([links["old_hr_id"], links["new_hr_id"]])
    )
    joined["membership"] = np.select(
        [~was & now, was & ~now, was & now & ~linked], ["entered", "left", "moved"], ""
    )
    flips = np.column_stack(
        [joined[f"{c}_old"].fillna(-1).ne(joined[f"{c}_new"].fillna(-1)) for c in CRITERIA]
    ).reshape(len(joined), len(CRITERIA))
    names = np.array(CRITERIA)
    joined["flipped"] = [",".join(names[row]) for row in flips]
    changed = (joined["membership"] != "") | (joined["flipped"] != "")
    return (
        joined.loc[changed]
        .reset_index()[columns]  # the index is plr_id (unique)
        .sort_values("plr_id")
        .reset_index(drop=True)
    )


def _describe(build: Build, areas: gpd.GeoDataFrame) -> dict[str, Any]:
    return {
        "label": build.label or build.edition,
        "edition": build.edition,
        "lor_generation": build.generation,
        "built_at": build.info.built_at,
        "language": build.language,
        "n_areas": len(areas),
        "population": int(round(areas["population"].sum())),
        "area_km2": round(float(areas.geometry.area.sum()) / 1e6, 3),
    }


def diff_builds(old: Build, new: Build, options: DiffOptions | None = None) -> BuildDiff:
    """Compare two builds: Handlungsräume by overlap, planning areas by id (same generation).

    Parameters
    ----------
    old, new
        The earlier and the later build.
    options
        Thresholds; the defaults suit Berlin's planning areas.

    Returns
    -------
    BuildDiff
        Events per Handlungsraum, planning-area changes and the gained / lost ground.

    Examples
    --------
    >>> from shapely import box
    >>> from quartiere.model import CRS
    >>> from quartiere.record import BuildInfo
    >>> def build(hr_id, geom):
    ...     areas = gpd.GeoDataFrame({"hr_id": [hr_id], "hr_name": ["A"], "population": [10]},
    ...                              geometry=[geom], crs=CRS)
    ...     plr = gpd.GeoDataFrame({"plr_id": ["01"], "hr_id": [hr_id], "c_mss": [1],
    ...                             "c_schools": [1], "c_atlas": [0],
    ...                             "population": [10]}, geometry=[geom], crs=CRS)
    ...     return Build(areas, plr, BuildInfo(lor_generation="lor2021"))
    >>> result = diff_builds(build("01", box(0, 0, 500, 500)), build("01", box(0, 0, 500, 500)))
    >>> result.changed
    False
    """
    options = options or DiffOptions()
    crs = comparison_crs(new.areas, new.planning_areas)  # the newer build's CRS
    old_areas, new_areas = _areas_frame(old.areas, crs), _areas_frame(new.areas, crs)
    old_plr = in_comparison_crs(old.planning_areas, crs)
    new_plr = in_comparison_crs(new.planning_areas, crs)
    links = area_links(
        old_areas, new_areas, min_link=options.min_link, min_overlap=options.min_overlap
    )
    recorded = new.continued_from(old)
    if recorded is not None:
        # The new build was numbered against this very file: its numbering's matching is THE
        # matching, so the memo says what the lineage and the numbers say.
        pairs = pd.MultiIndex.from_arrays([links["old_hr_id"], links["new_hr_id"]])
        links["match"] = pairs.isin(recorded)
    same = old.generation is not None and old.generation == new.generation
    changes = _changes_frame(old_areas, new_areas, links, old_plr, new_plr, options)
    events = _events(old_areas, new_areas, links, changes, same)
    # Across LOR generations planning-area ids mean nothing: an empty frame with every column.
    plr = _plr_changes(
        old_plr if same else old_plr.iloc[:0], new_plr if same else new_plr.iloc[:0], links
    )
    return BuildDiff(
        old=_describe(old, old_areas),
        new=_describe(new, new_areas),
        same_generation=same,
        links=links,
        areas=events,
        planning_areas=plr,
        changes=changes,
        cuts=cut_changes(old.info, new.info),
    )
