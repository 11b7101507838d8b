"""The clustering: which planning areas form which cluster, and why, without geometry or text.

Named phases, each a function returning values: :func:`seeds` (the seed and join rules),
:func:`rings` (growth), :func:`holes` (enclosed non-members), :func:`minimum` (per-cluster
figures and the minimum size) and :func:`groups` (declared groups and their parts). :func:`cluster`
runs them and returns one frozen :class:`Clustering`; it is cheap (a few milliseconds on Berlin's
542 planning areas with a prebuilt graph), so a sensitivity analysis can call it 10^4 times.

Examples
--------
>>> import shapely
>>> from quartiere.config import Delineation
>>> from quartiere.contiguity import build_contiguity
>>> cells = shapely.box([0, 1, 2], 0, [1, 2, 3], 1)  # three cells in a row
>>> graph = build_contiguity(cells)
>>> flags = {"c_mss": np.array([1.0, 0, 0]), "c_schools": np.array([1.0, 1, 0]),
...          "c_atlas": np.zeros(3), "n_criteria": np.array([2.0, 1, 0])}
>>> rules = Delineation(seed="n_criteria >= 2", join="n_criteria >= 1", border="none")
>>> result = cluster(flags, rules, graph, Territory.of(population=np.full(3, 1000.0),
...                                                    area_km2=np.full(3, 1e-6)))
>>> [Role(r).name for r in result.role]
['SEED', 'JOINED', 'OUTSIDE']
>>> Reason(result.reason[2]).name
'JOIN_NOT_MET'
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd
from scipy import sparse

from quartiere.config import Delineation
from quartiere.contiguity import Contiguity, component_labels
from quartiere.rules import evaluate_rule, rule_values

__all__ = [
    "Clustering",
    "Phase",
    "Reason",
    "Role",
    "Territory",
    "cluster",
    "dominant",
    "groups",
    "holes",
    "minimum",
    "rings",
    "seeds",
]


class Role(enum.IntEnum):
    """A planning area's role; the names, lower-cased, are ``DelineationResult.members.role``."""

    SEED = 0
    JOINED = 1
    HOLE = 2
    PART = 3
    DROPPED = 4
    OUTSIDE = 5


class Phase(enum.IntEnum):
    """The phase that settled a planning area's outcome."""

    SEEDS = 0  # a seed of an area
    RINGS = 1  # joined by growth, or never reached by it
    HOLES = 2  # filled as a hole, or enclosed and not filled
    MINIMUM = 3  # its cluster was below the minimum size
    GROUPS = 4  # its cluster was a part of a declared group too small to keep


class Reason(enum.IntEnum):
    """Why a planning area is where it is (the decision sentence says it in words)."""

    IN_AREA = 0  # member of a kept area
    JOIN_NOT_MET = 1  # outside: does not meet the join rule
    NO_SEED_NEARBY = 2  # outside: meets the join rule, no member among its neighbours
    ACROSS_BORDER = 3  # outside: its neighbouring member lies across the border
    BEYOND_RINGS = 4  # outside: its member neighbours joined in the last ring (or as a hole)
    NO_RINGS = 5  # outside: rings is 0, only seeds form areas
    HOLES_NOT_FILLED = 6  # outside, enclosed: holes.fill is false
    HOLE_TOO_LARGE = 7  # outside, enclosed: larger than holes.max_area_km2
    HOLE_TOO_POPULOUS = 8  # outside, enclosed: more than holes.max_population
    HOLE_IN_OTHER_UNIT = 9  # outside, enclosed: in another border unit than its cluster
    BELOW_MINIMUM = 10  # dropped: its cluster is below the minimum size
    BELOW_GROUP_MINIMUM = 11  # dropped: a group part below the group's min_population


def _frozen(values: np.ndarray) -> np.ndarray:
    """A read-only copy-free view: a Clustering never aliases a writable array."""
    out = np.asarray(values).view()
    out.setflags(write=False)
    return out


@dataclass(frozen=True)
class Territory:
    """What the clustering needs of the planning areas besides their flags; fixed across runs.

    Attributes
    ----------
    rank : per PLR, its position in plr_id order (ties in growth go to the smaller id)
    population : inhabitants per PLR (unknown counted as 0)
    area_km2 : area per PLR
    district : district code per PLR (groups restricted to districts)
    units : border ("none", "bezirk", "prognoseraum") -> unit label per PLR
    """

    rank: np.ndarray
    population: np.ndarray
    area_km2: np.ndarray
    district: np.ndarray
    units: Mapping[str, np.ndarray]

    @classmethod
    def of(
        cls,
        population: np.ndarray,
        area_km2: np.ndarray,
        district: np.ndarray | None = None,
        units: Mapping[str, np.ndarray] | None = None,
        rank: np.ndarray | None = None,
    ) -> Territory:
        """From arrays; one district and no borders unless given, rank = position."""
        n = len(population)
        zeros = np.zeros(n, dtype=np.int64)

        def own(values: np.ndarray, dtype: type | None = None) -> np.ndarray:
            return _frozen(np.array(values, dtype=dtype))  # np.array copies

        return cls(
            rank=own(np.arange(n) if rank is None else rank, np.int64),
            population=own(np.nan_to_num(np.asarray(population, dtype=float))),
            area_km2=own(area_km2, float),
            district=own(np.full(n, "") if district is None else district, object),
            units=MappingProxyType(
                {"none": own(zeros), **{k: own(v, np.int64) for k, v in (units or {}).items()}}
            ),
        )

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, ids: np.ndarray) -> Territory:
        """From the planning-area frame of :func:`quartiere.delineate.delineate`."""
        units = {}
        for border, column in (("bezirk", "bezirk"), ("prognoseraum", "pgr_id")):
            if column in frame.columns:
                units[border] = pd.factorize(frame[column].astype(str))[0]
        return cls.of(
            population=pd.to_numeric(frame["population"]).to_numpy(),  # NaN: counted as 0 in of()
            area_km2=frame.geometry.area.to_numpy() / 1e6,
            district=frame["bezirk"].astype(str).to_numpy(),
            units=units,
            rank=np.argsort(np.argsort(ids)),  # position in id order (the ids are unique)
        )


@dataclass(frozen=True, eq=False)  # arrays: compare fields explicitly, not with ==
class Clustering:
    """The outcome of the clustering: per planning area and per cluster, read-only arrays.

    Per planning area (length n): ``values`` (the rule values it used: criterion flags and
    n_criteria, floats, no data as 0), ``seed`` and ``join`` (the rules), ``ring`` (0 seed, k the
    k-th ring, -1 not reached), ``via`` (position of the member it joined through, -1),
    ``cluster`` (-1: in none), ``role`` (:class:`Role`), ``phase`` (:class:`Phase`), ``reason``
    (:class:`Reason`), ``hole`` (hole component, -1 for members) and ``enclosed_by`` (the cluster
    enclosing its hole, -1).

    Per cluster (length k): ``n_plr``, ``population``, ``group`` (declared group, -1 none),
    ``group_min``, ``below_pop``, ``below_n``, ``kept`` and ``part`` (a lettered part of a group).
    Per hole component: ``hole_n``, ``hole_km2``, ``hole_pop``.
    """

    values: Mapping[str, np.ndarray]
    seed: np.ndarray
    join: np.ndarray
    ring: np.ndarray
    via: np.ndarray
    cluster: np.ndarray
    role: np.ndarray
    phase: np.ndarray
    reason: np.ndarray
    hole: np.ndarray
    enclosed_by: np.ndarray
    n_plr: np.ndarray
    population: np.ndarray
    group: np.ndarray
    group_min: np.ndarray
    below_pop: np.ndarray
    below_n: np.ndarray
    kept: np.ndarray
    part: np.ndarray
    hole_n: np.ndarray
    hole_km2: np.ndarray
    hole_pop: np.ndarray

    @property
    def in_area(self) -> np.ndarray:
        """Per PLR: member of a kept area."""
        return self.role < Role.DROPPED

    @property
    def n_areas(self) -> int:
        """Kept clusters (an area or a lettered part each)."""
        return int(self.kept.sum())


# --------------------------------------------------------------------------------------------
# Phases
# --------------------------------------------------------------------------------------------


def seeds(values: Mapping[str, np.ndarray], rules: Delineation) -> tuple[np.ndarray, np.ndarray]:
    """Seed and join masks of the configured rules."""
    return evaluate_rule(rules.seed, values, "seed"), evaluate_rule(rules.join, values, "join")


def _first_neighbour(
    adjacency: sparse.csr_array, rows: np.ndarray, candidates: np.ndarray, rank: np.ndarray
) -> np.ndarray:
    """For each node in ``rows``, its neighbour among ``candidates`` with the smallest ``rank``."""
    sub = adjacency[rows][:, candidates].tocoo()
    order = np.lexsort((rank[candidates[sub.col]], sub.row))
    first = np.r_[True, sub.row[order][1:] != sub.row[order][:-1]]
    best = np.full(rows.size, -1)
    best[sub.row[order][first]] = candidates[sub.col[order][first]]
    return best


def rings(
    adjacency: sparse.csr_array, seed: np.ndarray, join: np.ndarray, n_rings: int, rank: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Ring of each member (0 = seed, -1 = not reached) and the member it joined through."""
    n = seed.size
    ring = np.where(seed, 0, -1).astype(np.int64)
    via = np.full(n, -1)
    frontier = seed.copy()
    for step in range(1, n_rings + 1):
        touched = adjacency @ frontier  # bool: has a neighbour in the frontier
        new = touched & join & (ring < 0)
        if not new.any():
            break
        new_idx = np.flatnonzero(new)
        via[new_idx] = _first_neighbour(adjacency, new_idx, np.flatnonzero(frontier), rank)
        ring[new_idx] = step
        frontier = new
    return ring, via


@dataclass(frozen=True)
class Holes:
    """Non-member components and whether they join the cluster that encloses them."""

    filled: np.ndarray  # bool per PLR: joins a cluster as a hole
    enclosed_by: np.ndarray  # int per PLR: the enclosing cluster, -1 when not enclosed
    component: np.ndarray  # int per PLR: hole component, -1 for members
    size_n: np.ndarray  # per component: PLR count
    size_km2: np.ndarray  # per component: area km2
    size_pop: np.ndarray  # per component: inhabitants
    reason: np.ndarray  # per component: Reason an enclosed hole is not filled (IN_AREA: filled)


def holes(
    graph: Contiguity,
    cluster: np.ndarray,
    unit: np.ndarray,
    territory: Territory,
    rules: Delineation,
) -> Holes:
    """Non-member components whose every neighbour belongs to one cluster and that do not reach
    the coverage's outline (a PLR on the city limit is never enclosed)."""
    n = cluster.size
    outside = cluster < 0
    comp = component_labels(graph.adjacency, outside)
    n_comp = int(comp.max()) + 1  # labels -1 when nothing is outside
    coo = graph.adjacency.tocoo()
    edge = outside[coo.row] & ~outside[coo.col]
    pairs = np.unique(np.column_stack([comp[coo.row[edge]], cluster[coo.col[edge]]]), axis=0)
    n_neighbours = np.bincount(pairs[:, 0], minlength=n_comp)
    enclosing = np.zeros_like(n_neighbours)  # read only where enclosed (one neighbour cluster)
    enclosing[pairs[:, 0]] = pairs[:, 1]
    idx = np.flatnonzero(outside)
    # every component 0..n_comp-1 has a member in idx: these bincounts have length n_comp
    touches_outline = np.bincount(comp[idx], weights=graph.exterior[idx]) > 0
    enclosed = (n_neighbours == 1) & ~touches_outline

    size_n = np.bincount(comp[idx])
    size_km2 = np.bincount(comp[idx], weights=territory.area_km2[idx])
    size_pop = np.bincount(comp[idx], weights=territory.population[idx])
    # A hole must sit in the same border unit as its enclosing cluster.
    # (every cluster 0..k-1 has members: its unit is its first member's; clusters lie in one unit)
    member = np.flatnonzero(~outside)
    cluster_unit = unit[member[np.unique(cluster[member], return_index=True)[1]]]
    inside = idx[enclosed[comp[idx]]]  # only an enclosed component has one enclosing cluster
    foreign = inside[unit[inside] != cluster_unit[enclosing[comp[inside]]]]
    same_unit = np.bincount(comp[foreign], minlength=n_comp) == 0

    # The first reason that applies, in this order.
    reason = np.full(n_comp, Reason.IN_AREA, dtype=np.int8)
    rule = rules.holes
    if not rule.fill:
        reason[:] = Reason.HOLES_NOT_FILLED
    if rule.max_area_km2 is not None:
        reason[(size_km2 > rule.max_area_km2) & (reason == 0)] = Reason.HOLE_TOO_LARGE
    if rule.max_population is not None:
        reason[(size_pop > rule.max_population) & (reason == 0)] = Reason.HOLE_TOO_POPULOUS
    reason[~same_unit & (reason == 0)] = Reason.HOLE_IN_OTHER_UNIT
    fill = enclosed & (reason == 0)
    reason[~enclosed] = Reason.IN_AREA

    filled = np.zeros(n, dtype=bool)
    filled[idx] = fill[comp[idx]]
    enclosed_by = np.full(n, -1)
    enclosed_by[idx] = np.where(enclosed[comp[idx]], enclosing[comp[idx]], -1)
    return Holes(filled, enclosed_by, comp, size_n, size_km2, size_pop, reason)


def dominant(keys: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> pd.DataFrame:
    """Per key: the label with the largest total weight, its share, and the runner-up."""
    table = (
        pd.DataFrame({"key": keys, "label": labels, "w": weights})
        .groupby(["key", "label"])["w"]
        .sum()
        .reset_index()
    )
    table["total"] = table.groupby("key")["w"].transform("sum")
    table = table.sort_values(["key", "w", "label"], ascending=[True, False, True])
    table["pos"] = table.groupby("key").cumcount()
    top = table[table["pos"] == 0].set_index("key")
    second = table[table["pos"] == 1].set_index("key")
    out = pd.DataFrame({"first": top["label"]})
    out["second"] = second["label"]  # aligned on the key; NaN without a runner-up
    # weights are >= 0: a runner-up's weight is 0 when the total is (0/0 is NaN, filled as 0)
    out["second_share"] = (second["w"] / top["total"]).fillna(0.0)
    return out


def cluster_districts(
    labels: np.ndarray, district: np.ndarray, population: np.ndarray
) -> np.ndarray:
    """Per cluster, its dominant district by population."""
    member = np.flatnonzero(labels >= 0)
    dom = dominant(labels[member], district[member], population[member] + 1e-9)
    return dom["first"].to_numpy()  # every label 0..k-1 has members: k rows in label order


def minimum(
    labels: np.ndarray, population: np.ndarray, rules: Delineation
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per cluster: PLR count, inhabitants, below the minimum population, below the minimum
    count."""
    midx = np.flatnonzero(labels >= 0)  # every label 0..k-1 has members: bincounts of length k
    c_n = np.bincount(labels[midx])
    c_pop = np.bincount(labels[midx], weights=population[midx])
    return c_n, c_pop, c_pop < rules.minimum.population, c_n < rules.minimum.n_plr


def groups(
    labels: np.ndarray,
    c_pop: np.ndarray,
    below: np.ndarray,
    territory: Territory,
    rules: Delineation,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per cluster: its declared group (the first it qualifies for, -1 none), the inhabitants a
    part of that group needs, whether it is kept and whether it is a lettered part."""
    k = c_pop.size
    c_group = np.full(k, -1)
    c_district = None
    for g, group in enumerate(rules.groups):
        in_districts = np.ones(k, dtype=bool)
        if group.bezirke is not None:
            if c_district is None:
                c_district = cluster_districts(labels, territory.district, territory.population)
            in_districts = np.isin(c_district, [str(b) for b in group.bezirke])
        qualifies = in_districts & (below if group.which == "below_minimum" else True)
        c_group[(c_group < 0) & qualifies] = g
    group_min = np.array([g.min_population for g in rules.groups] + [0.0])[c_group]
    kept = np.where(c_group >= 0, c_pop >= group_min, ~below)
    # A group with more than one kept part letters them (13a, 13b); one part takes the number.
    kept_parts = np.bincount(c_group[kept & (c_group >= 0)])
    part = kept & np.isin(c_group, np.flatnonzero(kept_parts > 1))
    return c_group, group_min, kept, part


# --------------------------------------------------------------------------------------------
# The whole clustering
# --------------------------------------------------------------------------------------------


def cluster(
    flags: pd.DataFrame | Mapping[str, np.ndarray],
    rules: Delineation,
    graph: Contiguity,
    territory: Territory,
) -> Clustering:
    """Run the phases on one graph: a :class:`Clustering`, no geometry, no names, no text.

    Parameters
    ----------
    flags
        Per planning area (graph order), the rule names (criterion flags and ``n_criteria``): a
        frame or a mapping of arrays; no data counts as not met.
    rules
        The ``delineation`` section of the configuration (its ``contiguity`` is ``graph``'s).
    graph
        The contiguity graph of the planning areas, uncut.
    territory
        Population, area, districts and border units (:meth:`Territory.from_frame`).
    """
    values = rule_values(flags)
    seed, join = seeds(values, rules)
    unit = territory.units[rules.border]
    within = graph.cut(unit).adjacency  # the "none" unit is one for all: every edge kept
    ring, via = rings(within, seed, join, rules.rings, territory.rank)
    labels = component_labels(within, ring >= 0)
    hole = holes(graph, labels, unit, territory, rules)
    labels = np.where(hole.filled, hole.enclosed_by, labels)
    member = labels >= 0
    c_n, c_pop, below_pop, below_n = minimum(labels, territory.population, rules)
    c_group, group_min, kept, part = groups(labels, c_pop, below_pop | below_n, territory, rules)

    n = labels.size
    kept_at = np.zeros(n, dtype=bool)
    kept_at[member] = kept[labels[member]]
    part_at = np.zeros(n, dtype=bool)
    part_at[member] = part[labels[member]]
    in_group = np.isin(labels, np.flatnonzero(c_group >= 0))
    role = np.full(n, Role.OUTSIDE, dtype=np.int8)
    role[member & ~kept_at] = Role.DROPPED
    role[kept_at & (ring >= 1)] = Role.JOINED
    role[kept_at & seed] = Role.SEED
    role[kept_at & hole.filled] = Role.HOLE
    role[kept_at & part_at] = Role.PART

    entered = np.where(hole.filled, Phase.HOLES, np.where(seed, Phase.SEEDS, Phase.RINGS))
    phase = np.where(member, entered, Phase.RINGS).astype(np.int8)
    phase[member & ~kept_at] = np.where(in_group, Phase.GROUPS, Phase.MINIMUM)[member & ~kept_at]

    reason = _outside_reasons(graph, within, member, join, rules.rings)
    reason[member & ~kept_at] = np.where(
        in_group, Reason.BELOW_GROUP_MINIMUM, Reason.BELOW_MINIMUM
    )[member & ~kept_at]
    # Enclosed by a kept cluster but not filled: the hole rule says why.
    enclosing_kept = np.zeros(n, dtype=bool)
    enclosed = ~member & (hole.enclosed_by >= 0)
    enclosing_kept[enclosed] = kept[hole.enclosed_by[enclosed]]
    reason[enclosing_kept] = hole.reason[hole.component[enclosing_kept]]
    phase[enclosing_kept] = Phase.HOLES

    return Clustering(
        values=MappingProxyType({k: _frozen(v) for k, v in values.items()}),
        **{
            name: _frozen(array)
            for name, array in {
                "seed": seed,
                "join": join,
                "ring": ring,
                "via": via,
                "cluster": labels,
                "role": role,
                "phase": phase,
                "reason": reason,
                "hole": hole.component,
                "enclosed_by": hole.enclosed_by,
                "n_plr": c_n,
                "population": c_pop,
                "group": c_group,
                "group_min": group_min,
                "below_pop": below_pop,
                "below_n": below_n,
                "kept": kept,
                "part": part,
                "hole_n": hole.size_n,
                "hole_km2": hole.size_km2,
                "hole_pop": hole.size_pop,
            }.items()
        },
    )


def _outside_reasons(
    graph: Contiguity, within: sparse.csr_array, member: np.ndarray, join: np.ndarray, n_rings: int
) -> np.ndarray:
    """Per PLR outside every cluster, the nearest reason a reader would look for."""
    n = member.size
    reason = np.full(n, Reason.IN_AREA, dtype=np.int8)
    outside = ~member
    reason[outside] = Reason.JOIN_NOT_MET
    reachable = outside & join
    if reachable.any():
        has_member = graph.adjacency @ member  # bool adjacency: has a member neighbour
        near_within = within @ member
        reason[reachable & ~has_member] = Reason.NO_SEED_NEARBY
        reason[reachable & has_member & ~near_within] = Reason.ACROSS_BORDER
        reason[reachable & near_within] = Reason.BEYOND_RINGS
        if n_rings == 0:
            reason[reachable] = Reason.NO_RINGS
    return reason
