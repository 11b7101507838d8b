"""Delineation: from flagged planning areas to named, numbered Handlungsräume.

The stage is a chain of pure, vectorised steps over a contiguity graph of the planning areas
(Planungsräume, PLR):

1. *seed* and *join* rules (boolean expressions from configuration) flag each PLR;
2. seeds grow by up to ``rings`` steps into neighbouring PLR that meet the join rule, never across
   the configured border (Bezirk or Prognoseraum): graph edges across it are removed;
3. the connected members form clusters; non-member PLR enclosed by one cluster (holes) join it;
4. clusters below the minimum size are dropped, or kept as lettered parts of a declared group;
5. areas are numbered (district code, then smallest member id) and named after their dominant
   Bezirksregion or Prognoseraum;
6. every PLR gets a role and a one-sentence decision, and each area's polygon is the coverage-aware
   union of its members.

All geometry stays in the input CRS (EPSG:25833, metres). PLR ids are 8-digit strings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from quartiere.config import Delineation
from quartiere.contiguity import Contiguity, build_contiguity, component_labels
from quartiere.model import CRITERIA, CRITERION_LABELS, is_hr_id, split_hr_id
from quartiere.rules import RULE_NAMES, compile_rule

__all__ = [
    "RULE_NAMES",
    "coverage_union",
    "ROLES",
    "DelineationResult",
    "compile_rule",
    "delineate",
    "renumber",
]

#: Values of the ``role`` column of :attr:`DelineationResult.members`.
ROLES = ("seed", "joined", "hole", "part", "dropped", "outside")

# Columns of the ``handlungsraeume`` layer (before geometry); the counts are integers.
_COUNT_COLUMNS = ("n_plr", "population", *(f"n_{c}" for c in CRITERIA))
_AREA_COLUMNS = (
    *("hr_id", "hr_name", "bezirk", "n_plr", "population", "area_km2", "plr_ids"),
    *(f"n_{c}" for c in CRITERIA),
)
_BORDER_LABEL = {"bezirk": "Bezirk", "prognoseraum": "Prognoseraum"}


@dataclass
class DelineationResult:
    """What the delineation decided.

    Attributes
    ----------
    members : pandas.DataFrame
        One row per input planning area, indexed like the input. Columns: ``hr_id`` (str, ``""``
        when the PLR belongs to no area), ``cluster`` (Int64, internal cluster number, NA when the
        PLR was never in a cluster), ``role`` (one of :data:`ROLES`), ``ring`` (Int64: 0 for seeds,
        k for the k-th ring of growth, NA otherwise), ``via`` (str: plr_id of the member it joined
        through, ``""`` otherwise) and ``decision`` (one human-readable sentence).
    areas : geopandas.GeoDataFrame
        The ``handlungsraeume`` layer: hr_id, hr_name, bezirk (district name), n_plr, population,
        area_km2, plr_ids, n_c_mss, n_c_schools, n_c_atlas, geometry (MultiPolygon, input CRS).
    lineage : list of str
        Sentences on how the numbers relate to a previous edition (filled by :func:`renumber`).
    """

    members: pd.DataFrame
    areas: gpd.GeoDataFrame
    lineage: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Graph steps
# --------------------------------------------------------------------------------------------


def _first_neighbour(
    adjacency: sparse.csr_array, rows: np.ndarray, candidates: np.ndarray, rank: np.ndarray
) -> np.ndarray:
    """For each node in ``rows``, its neighbour among ``candidates`` with the smallest ``rank``."""
    sub = adjacency[rows][:, candidates].tocoo()
    order = np.lexsort((rank[candidates[sub.col]], sub.row))
    first = np.r_[True, sub.row[order][1:] != sub.row[order][:-1]]
    best = np.full(rows.size, -1, dtype=np.int64)
    best[sub.row[order][first]] = candidates[sub.col[order][first]]
    return best


def _grow(
    adjacency: sparse.csr_array,
    seed: np.ndarray,
    join: np.ndarray,
    rings: int,
    rank: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Ring of each member (0 = seed, -1 = not reached) and the member it joined through."""
    n = seed.size
    ring = np.where(seed, 0, -1).astype(np.int64)
    via = np.full(n, -1, dtype=np.int64)
    frontier = seed.copy()
    for step in range(1, rings + 1):
        touched = adjacency @ frontier.astype(np.int32)
        new = (touched > 0) & join & (ring < 0)
        if not new.any():
            break
        new_idx = np.flatnonzero(new)
        via[new_idx] = _first_neighbour(adjacency, new_idx, np.flatnonzero(frontier), rank)
        ring[new_idx] = step
        frontier = new
    return ring, via


@dataclass
class _Holes:
    filled: np.ndarray  # bool per PLR: joins a cluster as a hole
    enclosed_by: np.ndarray  # int per PLR: the enclosing cluster, -1 when not enclosed
    component: np.ndarray  # int per PLR: hole component, -1 for members
    size_n: np.ndarray  # per component: PLR count
    size_km2: np.ndarray  # per component: area km2
    size_pop: np.ndarray  # per component: inhabitants
    reason: np.ndarray  # per component: why an enclosed hole was not filled ("" when filled)


def _holes(
    graph: Contiguity,
    cluster: np.ndarray,
    unit: np.ndarray,
    area_km2: np.ndarray,
    population: np.ndarray,
    rules: Delineation,
) -> _Holes:
    """Non-member components whose every neighbour belongs to one cluster and that do not reach
    the coverage's outline (a PLR on the city limit is never enclosed)."""
    n = cluster.size
    outside = cluster < 0
    comp = component_labels(graph.adjacency, outside)
    n_comp = int(comp.max()) + 1 if outside.any() else 0
    coo = graph.adjacency.tocoo()
    edge = outside[coo.row] & ~outside[coo.col]
    pairs = np.unique(np.column_stack([comp[coo.row[edge]], cluster[coo.col[edge]]]), axis=0)
    n_neighbours = np.bincount(pairs[:, 0], minlength=n_comp)
    enclosing = np.full(n_comp, -1, dtype=np.int64)
    enclosing[pairs[:, 0]] = pairs[:, 1]
    idx = np.flatnonzero(outside)
    touches_outline = np.bincount(comp[idx], weights=graph.exterior[idx], minlength=n_comp) > 0
    enclosed = (n_neighbours == 1) & ~touches_outline

    size_n = np.bincount(comp[idx], minlength=n_comp)
    size_km2 = np.bincount(comp[idx], weights=area_km2[idx], minlength=n_comp)
    size_pop = np.bincount(comp[idx], weights=population[idx], minlength=n_comp)
    # A hole must sit in the same border unit as its enclosing cluster.
    cluster_unit = np.full(int(cluster.max()) + 2, -1, dtype=np.int64)
    cluster_unit[cluster[~outside]] = unit[~outside]
    same_unit = np.ones(n_comp, dtype=bool)
    foreign = idx[unit[idx] != cluster_unit[enclosing[comp[idx]]]]
    same_unit[comp[foreign]] = False

    reason = np.full(n_comp, "", dtype=object)
    holes = rules.holes
    if not holes.fill:
        reason[:] = "holes are not filled (holes.fill: false)"
    if holes.max_area_km2 is not None:
        too_big = size_km2 > holes.max_area_km2
        reason[too_big & (reason == "")] = f"larger than {holes.max_area_km2:g} km²"
    if holes.max_population is not None:
        too_many = size_pop > holes.max_population
        reason[too_many & (reason == "")] = f"more than {holes.max_population:,.0f} inhabitants"
    border = _BORDER_LABEL.get(rules.border, "border unit")
    reason[~same_unit & (reason == "")] = f"it lies in another {border}"
    fill = enclosed & (reason == "")
    reason[~enclosed] = ""

    filled = np.zeros(n, dtype=bool)
    filled[idx] = fill[comp[idx]]
    enclosed_by = np.full(n, -1, dtype=np.int64)
    enclosed_by[idx] = np.where(enclosed[comp[idx]], enclosing[comp[idx]], -1)
    return _Holes(filled, enclosed_by, comp, size_n, size_km2, size_pop, reason)


@dataclass
class _Clusters:
    """Per-cluster figures, indexed by cluster number."""

    n_plr: np.ndarray  # PLR count
    population: np.ndarray  # inhabitants
    group: np.ndarray  # the declared group the cluster belongs to, -1 for none
    group_min: np.ndarray  # inhabitants a part of that group needs (0 outside groups)
    part: np.ndarray  # bool: a lettered part of a group
    kept: np.ndarray  # bool: becomes an area (or a part of one)
    below_pop: np.ndarray  # bool: fewer inhabitants than a stand-alone area needs
    below_n: np.ndarray  # bool: fewer PLR than a stand-alone area needs

    @classmethod
    def inert(cls) -> _Clusters:
        """One cluster that nothing refers to: keeps cluster-indexed lookups valid."""
        no = np.zeros(1, dtype=bool)
        return cls(np.zeros(1, int), np.zeros(1), np.full(1, -1), np.zeros(1), no, no, no, no)


# --------------------------------------------------------------------------------------------
# Naming, numbering, geometry
# --------------------------------------------------------------------------------------------


def _letters(k: int) -> str:
    """0 -> 'a', 25 -> 'z', 26 -> 'aa' (groups of more than 26 parts stay well-defined)."""
    out = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        out = chr(97 + r) + out
    return out


def _dominant(keys: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> pd.DataFrame:
    """Per key: the label with the largest total weight, its share, and the runner-up."""
    table = (
        pd.DataFrame({"key": keys, "label": labels, "w": weights})
        .groupby(["key", "label"], sort=True)["w"]
        .sum()
        .reset_index()
    )
    table["total"] = table.groupby("key")["w"].transform("sum")
    table = table.sort_values(["key", "w", "label"], ascending=[True, False, True], kind="stable")
    table["pos"] = table.groupby("key").cumcount()
    top = table[table["pos"] == 0].set_index("key")
    second = table[table["pos"] == 1].set_index("key")
    out = pd.DataFrame({"first": top["label"]})
    out["second"] = second["label"].reindex(out.index)
    share = second["w"].reindex(out.index) / top["total"].where(top["total"] > 0)
    out["second_share"] = share.fillna(0.0)
    return out


def coverage_union(geoms: np.ndarray) -> shapely.Geometry:
    """Coverage-aware union (no slivers on a clean coverage), exact union as a fallback."""
    try:
        merged = shapely.coverage_union_all(geoms)
        expected = float(shapely.area(geoms).sum())
        if shapely.is_valid(merged) and abs(shapely.area(merged) - expected) <= 1e-6 * expected:
            return merged
    except shapely.errors.GEOSException:
        # Coverage union refuses inputs whose shared edges are not noded identically (LOR 2006).
        pass
    return shapely.union_all(geoms)


def _as_multipolygons(geoms: np.ndarray) -> np.ndarray:
    """Every geometry as a MultiPolygon (the contract's type), dropping stray lines or points."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    polygon = shapely.get_type_id(parts) == 3
    out = np.empty(geoms.size, dtype=object)
    out[:] = shapely.multipolygons(parts[polygon], indices=owner[polygon])
    return out


def _fmt_int(values: np.ndarray) -> np.ndarray:
    return np.array([f"{v:,.0f}" for v in values], dtype=object)


# --------------------------------------------------------------------------------------------
# The stage
# --------------------------------------------------------------------------------------------


def delineate(
    planning_areas: gpd.GeoDataFrame, rules: Delineation, graph: Contiguity | None = None
) -> DelineationResult:
    """Delineate Handlungsräume from flagged planning areas.

    Parameters
    ----------
    planning_areas : geopandas.GeoDataFrame
        One row per Planungsraum, indexed by plr_id (8-digit str), geometry in a metric CRS
        (EPSG:25833). Columns: plr_id, plr_name, bzr_id, bzr_name, pgr_id, pgr_name, bezirk
        (2-digit district code), bezirk_name, population (inhabitants, float, NaN = unknown, counted
        as 0), c_mss, c_schools, c_atlas (nullable Int8: 1 met, 0 not met, NA no data), n_criteria.
    rules : quartiere.config.Delineation
        The ``delineation`` section of the configuration.
    graph : Contiguity, optional
        A prebuilt contiguity graph of ``planning_areas`` (same rows, same order), e.g. for many
        runs on one city; built from the geometry with ``rules.contiguity`` when omitted.

    Returns
    -------
    DelineationResult
        ``members`` (role and decision for every PLR) and ``areas`` (the ``handlungsraeume`` layer).

    Notes
    -----
    Numbering: stand-alone areas get ``01``..``NN`` ordered by (district code, smallest member
    plr_id); then each declared group with at least one part, in configuration order, gets the next
    number, its parts lettered ``a``, ``b`` ... in the same order. A group with a single part gets
    the number without a letter. Numbers have at least two digits.
    """
    frame = planning_areas
    n = len(frame)
    ids = frame["plr_id"] if "plr_id" in frame.columns else frame.index.to_series()
    ids = ids.astype(str).to_numpy(dtype=object)
    if pd.Index(ids).is_monotonic_increasing:
        rank = np.arange(n, dtype=np.int64)
    else:
        rank = np.empty(n, dtype=np.int64)
        rank[np.argsort(ids, kind="stable")] = np.arange(n)
    population = pd.to_numeric(frame["population"]).astype(float).fillna(0.0).to_numpy()
    area_km2 = np.asarray(frame.geometry.area, dtype=float) / 1e6
    district = frame["bezirk"].astype(str).to_numpy(dtype=object)
    district_name = frame["bezirk_name"].astype(str).to_numpy(dtype=object)
    n_criteria = pd.to_numeric(frame["n_criteria"]).fillna(0).to_numpy(dtype=np.int64)
    flags = {
        c: pd.to_numeric(frame[c]).astype("Float64").fillna(0).to_numpy(float) == 1
        for c in CRITERIA
    }

    seed = compile_rule(rules.seed, "seed")(frame)
    join = compile_rule(rules.join, "join")(frame)

    if graph is None:
        graph = build_contiguity(frame.geometry.values, rules.contiguity, rules.snap_tolerance_m)
    if rules.border == "none":
        unit = np.zeros(n, dtype=np.int64)
    else:
        column = "bezirk" if rules.border == "bezirk" else "pgr_id"
        unit = pd.factorize(frame[column].astype(str))[0].astype(np.int64)
    within = graph.cut(unit).adjacency if rules.border != "none" else graph.adjacency

    ring, via = _grow(within, seed, join, rules.rings, rank)
    reached = ring >= 0
    cluster = component_labels(within, reached)

    holes = _holes(graph, cluster, unit, area_km2, population, rules)
    cluster = np.where(holes.filled, holes.enclosed_by, cluster)
    member = cluster >= 0

    # Per-cluster figures: PLR count, inhabitants, dominant district, smallest member id.
    midx = np.flatnonzero(member)
    k = int(cluster.max()) + 1 if member.any() else 0
    c_n = np.bincount(cluster[midx], minlength=k)
    c_pop = np.bincount(cluster[midx], weights=population[midx], minlength=k)
    c_rank = np.full(k, n, dtype=np.int64)
    np.minimum.at(c_rank, cluster[midx], rank[midx])
    dom = _dominant(cluster[midx], district[midx], population[midx] + 1e-9)
    c_district = dom["first"].reindex(range(k)).to_numpy(dtype=object)

    minimum = rules.minimum
    below_pop = c_pop < minimum.population
    below_n = c_n < minimum.n_plr
    below = below_pop | below_n

    # Groups: the first declared group a cluster qualifies for takes it.
    c_group = np.full(k, -1, dtype=np.int64)
    for g, group in enumerate(rules.groups):
        in_districts = (
            np.ones(k, dtype=bool)
            if group.bezirke is None
            else np.isin(c_district, [str(b) for b in group.bezirke])
        )
        qualifies = in_districts & (below if group.which == "below_minimum" else True)
        c_group[(c_group < 0) & qualifies] = g
    group_min = np.array([g.min_population for g in rules.groups] + [0.0])[c_group]
    part_too_small = (c_group >= 0) & (c_pop < group_min)
    kept = np.where(c_group >= 0, ~part_too_small, ~below)

    # Numbering.
    c_hr = np.full(k, "", dtype=object)
    c_part = np.zeros(k, dtype=bool)
    standalone = np.flatnonzero(kept & (c_group < 0))
    standalone = standalone[np.lexsort((c_rank[standalone], c_district[standalone].astype(str)))]
    numbers = list(range(1, standalone.size + 1))
    grouped_parts: list[tuple[int, np.ndarray]] = []
    next_number = standalone.size + 1
    for g in range(len(rules.groups)):
        parts = np.flatnonzero(kept & (c_group == g))
        if parts.size:
            parts = parts[np.lexsort((c_rank[parts], c_district[parts].astype(str)))]
            grouped_parts.append((next_number, parts))
            next_number += 1
    width = max(2, len(str(next_number - 1)))
    c_hr[standalone] = [f"{num:0{width}d}" for num in numbers]
    for num, parts in grouped_parts:
        if parts.size == 1:
            c_hr[parts] = f"{num:0{width}d}"
        else:
            c_hr[parts] = [f"{num:0{width}d}{_letters(i)}" for i in range(parts.size)]
            c_part[parts] = True
    area_order = [*standalone.tolist(), *[p for _, parts in grouped_parts for p in parts.tolist()]]

    hr_id = np.full(n, "", dtype=object)
    hr_id[midx] = c_hr[cluster[midx]]
    in_area = hr_id != ""

    # Naming: dominant Bezirksregion / Prognoseraum by population, overrides by member id.
    naming = rules.naming
    name_col = "bzr_name" if naming.by == "bzr" else "pgr_name"
    # Source names carry stray double spaces ("Südliche  Friedrichstadt"); collapse them.
    labels = frame[name_col].astype(str).str.split().str.join(" ").to_numpy(dtype=object)
    aidx = np.flatnonzero(in_area)
    names = _dominant(cluster[aidx], labels[aidx], population[aidx] + 1e-9)
    with_second = names["second"].notna() & (names["second_share"] >= naming.second_name_share)
    names["name"] = names["first"].where(~with_second, names["first"] + " / " + names["second"])
    c_name = names["name"].reindex(range(k)).fillna("").to_numpy(dtype=object, copy=True)
    for g, group in enumerate(rules.groups):
        sel = (c_group == g) & kept
        c_name[sel] = [
            f"{group.name} ({v})" if c_part[i] else group.name
            for i, v in zip(np.flatnonzero(sel), c_name[sel], strict=True)
        ]
    if naming.overrides:
        override = pd.Series(naming.overrides, dtype=object)
        hit = aidx[np.isin(ids[aidx], override.index)]
        hit = hit[np.argsort(rank[hit])[::-1]]  # smallest id wins: written last
        c_name[cluster[hit]] = override.reindex(ids[hit]).to_numpy(dtype=object)

    clusters = _Clusters(c_n, c_pop, c_group, group_min, c_part, kept, below_pop, below_n)
    members = _decisions(
        frame.index,
        ids,
        rules,
        seed,
        join,
        n_criteria,
        flags,
        ring,
        via,
        cluster,
        member,
        hr_id,
        holes,
        graph,
        within,
        clusters if k else _Clusters.inert(),
    )
    areas = _areas(
        frame,
        aidx,
        cluster,
        ids,
        rank,
        population,
        flags,
        district,
        district_name,
        area_order,
        c_hr,
        c_name,
    )
    return DelineationResult(members=members, areas=areas)


def _areas(
    frame: gpd.GeoDataFrame,
    aidx: np.ndarray,
    cluster: np.ndarray,
    ids: np.ndarray,
    rank: np.ndarray,
    population: np.ndarray,
    flags: dict[str, np.ndarray],
    district: np.ndarray,
    district_name: np.ndarray,
    area_order: list[int],
    c_hr: np.ndarray,
    c_name: np.ndarray,
) -> gpd.GeoDataFrame:
    """The ``handlungsraeume`` layer, one row per area in numbering order."""
    if not area_order:
        empty = gpd.GeoDataFrame({c: [] for c in _AREA_COLUMNS}, geometry=[], crs=frame.crs)
        return empty.astype(dict.fromkeys(_COUNT_COLUMNS, int))
    k = c_hr.size
    position = np.full(k, -1, dtype=np.int64)
    position[area_order] = np.arange(len(area_order))
    pos = position[cluster[aidx]]
    order = np.lexsort((rank[aidx], pos))
    members = aidx[order]
    pos = pos[order]
    starts = np.flatnonzero(np.r_[True, pos[1:] != pos[:-1]])
    geoms = np.asarray(frame.geometry.values, dtype=object)[members]
    chunks = np.split(geoms, starts[1:])
    unions = np.array([coverage_union(chunk) for chunk in chunks], dtype=object)
    count = np.bincount(pos, minlength=len(area_order))
    pop = np.bincount(pos, weights=population[members], minlength=len(area_order))
    id_lists = [",".join(chunk) for chunk in np.split(ids[members].astype(str), starts[1:])]
    names_of = dict(zip(district, district_name, strict=True))
    # All districts of an area, largest first: one name under the default border rule.
    by_district = (
        pd.DataFrame({"pos": pos, "d": district[members], "w": population[members]})
        .groupby(["pos", "d"])["w"]
        .sum()
        .reset_index()
        .sort_values(["pos", "w", "d"], ascending=[True, False, True])
    )
    by_district["name"] = by_district["d"].map(names_of)
    district_label = by_district.groupby("pos", sort=True)["name"].agg(", ".join)
    geometry = _as_multipolygons(unions)
    layer = pd.DataFrame(
        {
            "hr_id": c_hr[area_order].astype(str),
            "hr_name": c_name[area_order].astype(str),
            "bezirk": district_label.reindex(range(len(area_order))).to_numpy(dtype=object),
            "n_plr": count.astype(int),
            "population": np.rint(pop).astype(int),
            "area_km2": np.round(shapely.area(geometry) / 1e6, 3),
            "plr_ids": id_lists,
            **{
                f"n_{c}": np.bincount(
                    pos, weights=flags[c][members], minlength=len(area_order)
                ).astype(int)
                for c in CRITERIA
            },
        }
    )
    return gpd.GeoDataFrame(layer, geometry=geometry, crs=frame.crs)


def _decisions(
    index: pd.Index,
    ids: np.ndarray,
    rules: Delineation,
    seed: np.ndarray,
    join: np.ndarray,
    n_criteria: np.ndarray,
    flags: dict[str, np.ndarray],
    ring: np.ndarray,
    via: np.ndarray,
    cluster: np.ndarray,
    member: np.ndarray,
    hr_id: np.ndarray,
    holes: _Holes,
    graph: Contiguity,
    within: sparse.csr_array,
    clusters: _Clusters,
) -> pd.DataFrame:
    """Role and one-sentence decision per PLR, built with array string operations."""
    n = ids.size
    c_n, c_pop, c_group, c_part = clusters.n_plr, clusters.population, clusters.group, clusters.part
    kept, below_pop, below_n = clusters.kept, clusters.below_pop, clusters.below_n
    k = c_n.size
    cl = np.where(member, cluster, 0)
    in_area = hr_id != ""
    is_hole = holes.filled
    role = np.full(n, "outside", dtype=object)
    role[member & ~in_area] = "dropped"
    role[in_area & (ring > 0)] = "joined"
    role[in_area & seed] = "seed"
    role[in_area & is_hole] = "hole"
    role[in_area & c_part[cl]] = "part"

    # "meets ..." depends only on which criteria are met: a handful of distinct phrases, built
    # once and gathered, instead of string arithmetic over every planning area.
    met_bits = sum(flags[c].astype(np.int64) << i for i, c in enumerate(CRITERIA))
    phrase_code = met_bits + 8 * np.clip(n_criteria, 0, None)
    codes, phrase_of = np.unique(phrase_code, return_inverse=True)
    phrases = np.array([_meets_phrase(int(c)) for c in codes], dtype=object)
    meets = phrases[phrase_of]

    def hr(sel: np.ndarray) -> np.ndarray:
        return ("HR " + hr_id[sel]).astype(object)

    via_id = np.full(n, "", dtype=object)
    via_id[via >= 0] = ids[via[via >= 0]]
    how = np.full(n, "", dtype=object)
    how[seed] = ("seed of " + hr(seed) + ": " + meets[seed]).astype(object)
    via_seed = (ring == 1) & ~seed
    how[via_seed] = (
        "joined "
        + hr(via_seed)
        + " as a neighbour of seed "
        + via_id[via_seed]
        + " (ring 1); "
        + meets[via_seed]
    ).astype(object)
    later = (ring > 1) & ~seed
    how[later] = (
        "joined "
        + hr(later)
        + " as a neighbour of "
        + via_id[later]
        + " (ring "
        + ring[later].astype(str).astype(object)
        + "); "
        + meets[later]
    ).astype(object)
    if is_hole.any():
        hc = holes.component[is_hole]
        how[is_hole] = (
            "joined "
            + hr(is_hole)
            + " as an enclosed hole ("
            + _hole_size(holes, hc)
            + "); "
            + meets[is_hole]
        ).astype(object)

    cluster_text = (
        "cluster of " + c_n.astype(str).astype(object) + " PLR, " + _fmt_int(c_pop) + " inhabitants"
    ).astype(object)
    minimum = rules.minimum
    too_few = f"below {minimum.population:,.0f}", f"fewer than {minimum.n_plr} PLR"
    shortfall = np.full(k, "", dtype=object)
    shortfall[below_pop] = too_few[0]
    shortfall[below_n & ~below_pop] = too_few[1]
    shortfall[below_pop & below_n] = " and ".join(too_few)
    group_name = np.array([g.name for g in rules.groups] + [""], dtype=object)[c_group]
    c_text = np.full(k, "", dtype=object)
    grouped_small = (c_group >= 0) & kept & (shortfall != "")
    c_text[grouped_small] = (
        "; kept as part of group "
        + group_name[grouped_small]
        + " ("
        + cluster_text[grouped_small]
        + ", "
        + shortfall[grouped_small]
        + " for a stand-alone area)"
    )
    grouped_big = (c_group >= 0) & kept & (shortfall == "")
    c_text[grouped_big] = (
        "; part of group " + group_name[grouped_big] + " (" + cluster_text[grouped_big] + ")"
    )
    dropped_part = (c_group >= 0) & ~kept
    c_text[dropped_part] = (
        "dropped: "
        + cluster_text[dropped_part]
        + ", below "
        + _fmt_int(clusters.group_min[dropped_part])
        + " for a part of "
        + group_name[dropped_part]
    )
    alone_dropped = (c_group < 0) & ~kept
    c_text[alone_dropped] = (
        "dropped: " + cluster_text[alone_dropped] + ", " + (shortfall[alone_dropped])
    )

    decision = how  # filled in place from here on
    decision[in_area] = (how[in_area] + c_text[cl[in_area]]).astype(object)
    dropped = member & ~in_area
    was = np.where(ring[dropped] > 0, "joined in ring " + ring[dropped].astype(str), "seed")
    was = np.where(is_hole[dropped], "enclosed hole", was).astype(object)
    decision[dropped] = (c_text[cl[dropped]] + " (" + was + "; " + meets[dropped] + ")").astype(
        object
    )

    # Outside: the nearest reason a reader would look for, again as a few distinct sentences.
    outside = ~member
    reason = np.zeros(n, dtype=np.int64)  # 0: join rule not met
    reachable = outside & join
    if reachable.any():
        has_member = (graph.adjacency @ member.astype(np.int32)) > 0
        near_within = (within @ member.astype(np.int32)) > 0
        reason[reachable & ~has_member] = 1
        reason[reachable & has_member & ~near_within] = 2
        reason[reachable & near_within] = 3
        if rules.rings == 0:
            reason[reachable] = 4
    rings_text = f"{rules.rings} ring" + ("" if rules.rings == 1 else "s")
    border = _BORDER_LABEL.get(rules.border, "border unit")
    endings = {
        0: "",
        1: " but no neighbour is a seed"
        if rules.rings <= 1
        else f" but no seed within {rings_text}",
        2: f" but its neighbouring area lies across the {border} border",
        # Its member neighbours joined in the last ring (or as a hole): growth stopped there.
        3: f" but no seed within {rings_text}",
        4: " but rings is 0: only seeds form areas",
    }
    out_idx = np.flatnonzero(outside)
    combo = phrase_of[out_idx] * 8 + reason[out_idx]
    combos, combo_of = np.unique(combo, return_inverse=True)
    not_join = f" but not the join rule ({rules.join})"
    sentences = np.array(
        [
            f"outside: {phrases[c // 8]}"
            + (not_join if c % 8 == 0 and codes[c // 8] >= 8 else endings[int(c % 8)])
            for c in combos
        ],
        dtype=object,
    )
    decision[out_idx] = sentences[combo_of]

    enclosed = outside & (holes.enclosed_by >= 0)
    if enclosed.any():
        enclosing_hr = _hr_id_of_cluster(hr_id, cluster, holes.enclosed_by[enclosed])
        comp = holes.component[enclosed]
        show = enclosing_hr != ""
        sel = np.flatnonzero(enclosed)[show]
        decision[sel] = (
            "outside: "
            + meets[sel]
            + "; enclosed by HR "
            + enclosing_hr[show]
            + " but the hole ("
            + _hole_size(holes, comp[show])
            + ") is not filled: "
            + holes.reason[comp[show]]
        ).astype(object)
    return pd.DataFrame(
        {
            "hr_id": hr_id.astype(str),
            "cluster": pd.array(np.where(member, cluster, -1), dtype="Int64"),
            "role": role.astype(str),
            "ring": pd.array(np.where(ring >= 0, ring, -1), dtype="Int64"),
            "via": via_id.astype(str),
            "decision": decision.astype(str),
        },
        index=index,
    ).assign(
        cluster=lambda d: d["cluster"].mask(d["cluster"] < 0),
        ring=lambda d: d["ring"].mask(d["ring"] < 0),
    )


def _hole_size(holes: _Holes, component: np.ndarray) -> np.ndarray:
    """'2 PLR, 0.35 km², 1,200 inhabitants' for each hole component in ``component``."""
    return (
        holes.size_n[component].astype(str).astype(object)
        + " PLR, "
        + np.char.mod("%.2f", holes.size_km2[component]).astype(object)
        + " km², "
        + _fmt_int(holes.size_pop[component])
        + " inhabitants"
    ).astype(object)


def _meets_phrase(code: int) -> str:
    """'meets 2 criteria (MSS, atlas)' from a code = criteria bit mask + 8 * n_criteria."""
    count = code // 8
    names = [label for i, label in enumerate(CRITERION_LABELS.values()) if code >> i & 1]
    if count == 0:
        return "meets no criterion"
    listed = f" ({', '.join(names)})" if names else ""
    return f"meets {count} {'criterion' if count == 1 else 'criteria'}{listed}"


def _hr_id_of_cluster(hr_id: np.ndarray, cluster: np.ndarray, which: np.ndarray) -> np.ndarray:
    """hr_id of each cluster in ``which`` (``""`` when the cluster was dropped)."""
    lookup = np.full(int(cluster.max()) + 1, "", dtype=object)
    has = cluster >= 0
    lookup[cluster[has]] = hr_id[has]
    return lookup[which]


# --------------------------------------------------------------------------------------------
# Stable numbering against a previous edition
# --------------------------------------------------------------------------------------------


def _match_areas(
    new_geoms: np.ndarray,
    old_geoms: np.ndarray,
    new_is_part: list[bool],
    old_is_part: list[bool],
    min_overlap: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one matches of new to old areas.

    A new area continues an old one of the same kind (stand-alone or lettered part) when each is
    the other's largest overlap among areas of that kind and their intersection covers at least
    ``min_overlap`` of the smaller of the two (the rule of :func:`quartiere.diff.match_areas`).

    Returns, per new area, the index of the old area it continues (-1: none) and the share of the
    smaller of the two that their intersection covers.
    """
    match = np.full(len(new_geoms), -1, dtype=np.int64)
    match_share = np.zeros(len(new_geoms))
    if len(new_geoms) == 0 or len(old_geoms) == 0:
        return match, match_share
    a, b = shapely.STRtree(old_geoms).query(new_geoms, predicate="intersects")
    same_kind = np.array(new_is_part, dtype=bool)[a] == np.array(old_is_part, dtype=bool)[b]
    a, b = a[same_kind], b[same_kind]
    inter = shapely.area(shapely.intersection(new_geoms[a], old_geoms[b]))
    smaller = np.minimum(shapely.area(new_geoms[a]), shapely.area(old_geoms[b]))
    share = np.divide(inter, smaller, out=np.zeros_like(inter), where=smaller > 0)
    # The largest overlap of each new and of each old area; a pair matches when both agree, so a
    # small part lying inside a big old area does not inherit it (containment is not identity).
    best_new = pd.Series(inter).groupby(a).idxmax().to_numpy()  # pair index per new area
    best_old = pd.Series(inter).groupby(b).idxmax()  # pair index, indexed by old area
    mutual = best_old.reindex(b[best_new]).to_numpy() == best_new
    pair = best_new[mutual & (share[best_new] >= min_overlap)]
    match[a[pair]] = b[pair]
    match_share[a[pair]] = share[pair]
    return match, match_share


def renumber(
    result: DelineationResult,
    previous: gpd.GeoDataFrame | None,
    min_overlap: float = 0.5,
    retired: Collection[str] = (),
) -> DelineationResult:
    """Keep the numbers (and names) of areas that persist from a previous edition.

    Parameters
    ----------
    result : DelineationResult
        A fresh delineation (numbers from :func:`delineate`).
    previous : geopandas.GeoDataFrame or None
        The previous edition's ``handlungsraeume`` layer (hr_id, hr_name, geometry); reprojected to
        the CRS of ``result.areas`` when it differs. ``None`` returns ``result`` unchanged.
    min_overlap : float
        An area continues a previous one when each is the other's largest overlap among areas of
        its kind (stand-alone or lettered part) and their intersection covers at least this share
        of the smaller of the two (so an area that only grew or only shrank keeps its number).
    retired : collection of str
        hr_ids used by editions before the previous one (``build_info`` ``hr_ids_used``): their
        numbers and letters are not handed to new areas either.

    Returns
    -------
    DelineationResult
        Areas with kept or new ``hr_id`` (a new area gets a number after every number used so
        far, in ``previous`` or in ``retired``; a new part gets a letter its number never had),
        ``members.hr_id`` and the ``HR xx`` in decisions updated, and ``lineage`` sentences.
    """
    areas = result.areas
    if previous is None or len(previous) == 0 or len(areas) == 0:
        return result
    prev = (
        previous
        if previous.crs == areas.crs or previous.crs is None
        else previous.to_crs(areas.crs)
    )
    new_geoms = np.asarray(areas.geometry.values, dtype=object)
    old_geoms = np.asarray(prev.geometry.values, dtype=object)
    old_ids = prev["hr_id"].astype(str).to_numpy()
    old_names = (
        prev["hr_name"].astype(str).to_numpy()
        if "hr_name" in prev.columns
        else np.full(len(prev), "", dtype=object)
    )
    current = [split_hr_id(v) for v in areas["hr_id"]]
    prev_split = [split_hr_id(v) for v in old_ids]
    match, match_share = _match_areas(
        new_geoms,
        old_geoms,
        [bool(c[1]) for c in current],
        [bool(p[1]) for p in prev_split],
        min_overlap,
    )
    continues = match >= 0
    units: dict[int, list[int]] = {}
    for row, (num, _) in enumerate(current):
        units.setdefault(num, []).append(row)
    taken: set[int] = set()
    unit_number: dict[int, int] = {}
    for num, rows in units.items():
        votes = Counter(prev_split[match[r]][0] for r in rows if continues[r])
        for candidate, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])):
            if candidate not in taken:
                unit_number[num] = candidate
                taken.add(candidate)
                break
    # Numbers and letters of earlier editions stay retired, not only those of the previous one.
    earlier = [split_hr_id(v) for v in retired if is_hr_id(v)]
    prev_split_all = prev_split + earlier
    next_free = max([p for p, _ in prev_split_all] + list(taken)) + 1
    for num in units:
        if num not in unit_number:
            unit_number[num] = next_free
            taken.add(next_free)
            next_free += 1
    width = max(2, len(str(max(unit_number.values()))))

    new_ids = np.empty(len(areas), dtype=object)
    for num, rows in units.items():
        base = f"{unit_number[num]:0{width}d}"
        lettered = any(current[r][1] for r in rows)
        if not lettered:
            new_ids[rows] = base
            continue
        kept_letters: dict[int, str] = {}
        for r in rows:
            if continues[r]:
                p_num, p_letter = prev_split[match[r]]
                if p_num == unit_number[num] and p_letter not in kept_letters.values():
                    kept_letters[r] = p_letter
        # New parts get letters after every letter the number ever had: a retired part's letter
        # is not handed to a different place.
        used_letters = {p_letter for p_num, p_letter in prev_split_all if p_num == unit_number[num]}
        used_letters |= set(kept_letters.values())
        counter = 0
        for r in rows:
            if r not in kept_letters:
                while _letters(counter) in used_letters:
                    counter += 1
                kept_letters[r] = _letters(counter)
                used_letters.add(kept_letters[r])
            new_ids[r] = base + kept_letters[r]

    mapping = dict(zip(areas["hr_id"].astype(str), new_ids, strict=True))
    names = areas["hr_name"].astype(str).to_numpy(dtype=object)
    # Names persist with stand-alone areas (official names); a part's name follows its region.
    keep_name = continues & np.array([not c[1] for c in current], dtype=bool)
    names = np.where(keep_name, old_names[np.maximum(match, 0)], names)
    lineage = []
    for r in range(len(areas)):
        if continues[r]:
            lineage.append(
                f"HR {new_ids[r]} continues previous HR {old_ids[match[r]]} (their "
                f"intersection covers {match_share[r]:.0%} of the smaller of the two)"
            )
        else:
            lineage.append(
                f"HR {new_ids[r]} is new (no previous area of its kind and it are each other's "
                f"largest overlap with at least {min_overlap:.0%} of the smaller in common)"
            )
    used = {int(m) for m in match if m >= 0}
    for j in sorted(set(range(len(prev))) - used, key=lambda j: prev_split[j]):
        lineage.append(f"previous HR {old_ids[j]} ({old_names[j]}) has no successor")

    out_areas = areas.assign(hr_id=new_ids.astype(str), hr_name=names.astype(str))
    order = sorted(range(len(out_areas)), key=lambda r: split_hr_id(str(new_ids[r])))
    out_areas = out_areas.iloc[order].reset_index(drop=True)
    members = result.members.copy()
    members["hr_id"] = members["hr_id"].map(lambda v: mapping.get(v, v)).astype(str)
    members["decision"] = members["decision"].str.replace(
        r"\bHR (\w+)", lambda m: f"HR {mapping.get(m.group(1), m.group(1))}", regex=True
    )
    return DelineationResult(members=members, areas=out_areas, lineage=lineage)
