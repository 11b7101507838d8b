"""Work once, vary cheaply: the prepared context and one scenario's evaluation.

:class:`Context` holds everything a scenario needs and nothing it can recompute cheaply: the
inputs after the zone transfer (catchment x PLR overlaps, per-catchment child poverty, atlas values
per PLR) and the contiguity graphs (rook and queen, built once each). It carries no geometry and
pickles small, so a dask cluster receives it once.

:func:`evaluate_scenario` is the single adapter between the atlas and the delineation stage: it
recomputes the criteria flags and the clustering for one configuration and returns compact
arrays (per PLR: in an area, seed, cluster label; per scenario: number of areas, population).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from quartiere.config import Config
from quartiere.contiguity import Contiguity, build_contiguity
from quartiere.criteria import atlas_strata, mss_attention
from quartiere.delineate import clustering
from quartiere.delineate.clustering import Territory
from quartiere.errors import ConfigError

__all__ = ["Context", "ScenarioResult", "prepare_context", "evaluate_scenario", "evaluate_batch"]


@dataclass
class ScenarioResult:
    inside: np.ndarray  # bool per PLR: member of a kept area
    seed: np.ndarray  # bool per PLR: a seed of a kept area
    label: np.ndarray  # int16 per PLR: the area (cluster) it belongs to, -1 outside
    n_areas: int
    population: float


@dataclass
class Context:
    """Inputs after the zone transfer, and the graphs: prepared once, shared by every scenario."""

    config: Config
    plr_index: pd.Index
    population: pd.Series  # inhabitants per PLR (NaN unknown)
    plr_area_m2: pd.Series
    mss: pd.DataFrame
    catchment_overlaps: pd.DataFrame
    lmb_share: pd.Series  # the base build's lmb share per catchment
    child_poverty: pd.Series | None  # estimate: s4 per catchment
    citywide_child_poverty: float | None
    atlas_values: pd.Series
    units: dict[str, np.ndarray]  # border -> unit per PLR
    district: np.ndarray  # district code per PLR
    graphs: dict[str, Contiguity]  # "rook" / "queen"
    schools: Any = None  # SchoolsResult of the base build: the per-school ranking, recalibrated
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return len(self.plr_index)


def prepare_context(config: Config, inputs: Any = None, harmonized: Any = None) -> Context:
    """Load the inputs, transfer zones and build both contiguity graphs, once."""
    from quartiere.load import load_inputs
    from quartiere.pipeline import harmonize

    if config.criteria.extra:
        raise ConfigError(
            f"criteria.extra ({', '.join(sorted(config.criteria.extra))}): the robustness atlas "
            "does not evaluate registered criteria; run it on a configuration without them"
        )
    inputs = load_inputs(config) if inputs is None else inputs
    harmonized = harmonize(inputs, config) if harmonized is None else harmonized
    plr = inputs.planning_areas
    tolerance = config.delineation.snap_tolerance_m
    graphs = {k: build_contiguity(plr.geometry.values, k, tolerance) for k in ("rook", "queen")}
    n = len(plr)
    units = {
        "none": np.zeros(n, dtype=np.int64),
        "bezirk": pd.factorize(plr["bezirk"].astype(str))[0].astype(np.int64),
        "prognoseraum": pd.factorize(plr["pgr_id"].astype(str))[0].astype(np.int64),
    }
    citywide = None
    if harmonized.lmb_factor is not None:
        assert config.catchments.estimate is not None
        citywide = config.catchments.estimate.citywide_mean / harmonized.lmb_factor
    return Context(
        config=config,
        plr_index=plr.index,
        population=inputs.population.reindex(plr.index),
        plr_area_m2=plr.geometry.area,
        mss=inputs.mss,
        catchment_overlaps=harmonized.catchment_overlaps,
        lmb_share=harmonized.lmb_share,
        child_poverty=harmonized.catchment_child_poverty,
        citywide_child_poverty=citywide,
        atlas_values=harmonized.atlas["value"],
        units=units,
        district=plr["bezirk"].astype(str).to_numpy(dtype=object),
        graphs=graphs,
        schools=harmonized.schools,
    )


def _cached(ctx: Context, key: Any, make: Any) -> Any:
    try:
        return ctx._cache[key]
    except KeyError:
        value = ctx._cache[key] = make()
        return value


def _schools_arrays(ctx: Context) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Catchment position, PLR position and area of each overlap, and each PLR's area."""

    def make() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        overlaps = ctx.catchment_overlaps
        catchments = pd.Index(ctx.lmb_share.index)
        source = catchments.get_indexer(pd.Index(overlaps["source"]))
        target = ctx.plr_index.get_indexer(pd.Index(overlaps["target"]))
        keep = target >= 0
        return (
            source[keep],
            target[keep],
            overlaps["area_m2"].to_numpy(dtype=float)[keep],
            ctx.plr_area_m2.to_numpy(dtype=float),
        )

    return _cached(ctx, "schools", make)


def _school_shares(ctx: Context, config: Config) -> pd.Series:
    """lmb share per school: the base ranking recalibrated to the scenario's anchors (cached per
    anchor set: the quantile mapping, as in the build), or the list's own (official) shares."""
    from quartiere.schools import anchors_of
    from quartiere.schools.calibrate import quantile_calibration

    table = ctx.schools.schools
    spec = config.schools
    if ctx.schools.lmb_source != "estimate" or spec is None or spec.estimate is None:
        return table["lmb_share"]  # type: ignore[no-any-return]
    estimate = spec.estimate

    def make() -> pd.Series:
        return quantile_calibration(
            table["score"], anchors_of(spec, table), estimate.top_share, estimate.bottom_share
        ).shares

    key = ("school_shares", repr(estimate.anchors), estimate.top_share, estimate.bottom_share)
    return _cached(ctx, key, make)  # type: ignore[no-any-return]


def _school_lmb(ctx: Context, config: Config) -> np.ndarray:
    """lmb per catchment: the mean of its schools' scenario shares (cached per anchor set)."""
    from quartiere.schools.link import catchment_shares

    spec = config.schools
    assert spec is not None and spec.estimate is not None
    estimate = spec.estimate

    def make() -> np.ndarray:
        shares = _school_shares(ctx, config)
        table = ctx.schools.schools
        return catchment_shares(shares, table["esb_id"], ctx.lmb_share.index).to_numpy(float)

    key = ("school_lmb", repr(estimate.anchors), estimate.top_share, estimate.bottom_share)
    return _cached(ctx, key, make)  # type: ignore[no-any-return]


def _schools_by_location(ctx: Context, config: Config) -> np.ndarray:
    """``criteria.schools.by: school_location``: 1.0 where a school at or above the threshold
    stands (:func:`quartiere.criteria.schools_by_location` on arrays), else 0.0."""
    table = ctx.schools.schools
    where = _cached(ctx, "school_plr", lambda: ctx.plr_index.get_indexer(pd.Index(table["plr_id"])))
    share = pd.to_numeric(_school_shares(ctx, config)).to_numpy(dtype=float)
    flagged = ~np.isnan(share) & (np.nan_to_num(share) >= config.criteria.schools.lmb_threshold)
    keep = where >= 0
    return (np.bincount(where[keep], flagged[keep], ctx.n) > 0).astype(float)


def criteria_flags(ctx: Context, config: Config) -> dict[str, np.ndarray]:
    """c_mss, c_schools, c_atlas (1.0 met, 0.0 not met or no data) and n_criteria per PLR.

    MSS and atlas flags come from :mod:`quartiere.criteria` (cached per rule); the schools flag is
    :func:`quartiere.criteria.schools_criterion` on arrays, or with ``criteria.schools.by:
    school_location`` :func:`quartiere.criteria.schools_by_location` (the test suite checks they
    agree with the build's for every setting, no data included).
    """
    rules = config.criteria

    def as_array(flag: pd.Series) -> np.ndarray:
        return pd.to_numeric(flag).astype("Float64").fillna(0).to_numpy(float)

    mss = _cached(
        ctx,
        ("mss", repr(rules.mss.attention)),
        lambda: as_array(mss_attention(ctx.mss, rules.mss.attention, ctx.plr_index)["c_mss"]),
    )
    atlas = _cached(
        ctx,
        ("atlas", repr(rules.atlas)),
        lambda: as_array(atlas_strata(ctx.atlas_values, ctx.population, rules.atlas)["c_atlas"]),
    )
    lmb = _cached(ctx, "lmb", lambda: ctx.lmb_share.to_numpy(dtype=float))
    if ctx.child_poverty is not None and config.catchments.estimate is not None:
        assert ctx.citywide_child_poverty is not None
        # quartiere.criteria.estimate_lmb on arrays: one scaling factor, capped at 100 %
        child_poverty = _cached(
            ctx,
            "child_poverty",
            lambda: ctx.child_poverty.reindex(ctx.lmb_share.index).to_numpy(dtype=float),
        )
        factor = config.catchments.estimate.citywide_mean / ctx.citywide_child_poverty
        lmb = np.minimum(child_poverty * factor, 100.0)
    if ctx.schools is not None and ctx.schools.lmb_source == "estimate" and config.schools:
        lmb = _school_lmb(ctx, config)
    source, target, area, plr_area = _schools_arrays(ctx)
    share = lmb[source]
    known = ~np.isnan(share)
    flagged = known & (np.nan_to_num(share) >= rules.schools.lmb_threshold)
    n = ctx.n
    area_share = np.minimum(np.bincount(target, np.where(flagged, area, 0.0), n) / plr_area, 1.0)
    coverage = np.minimum(np.bincount(target, np.where(known, area, 0.0), n) / plr_area, 1.0)
    has_data = coverage >= rules.schools.min_coverage
    schools = (has_data & (area_share >= rules.schools.min_area_share - 1e-9)).astype(float)
    if rules.schools.by == "school_location":
        schools = _schools_by_location(ctx, config)
    return {
        "c_mss": mss,
        "c_schools": schools,
        "c_atlas": atlas,
        "n_criteria": mss + schools + atlas,
    }


def territory(ctx: Context) -> Territory:
    """Population, area, districts and border units of the context's planning areas (cached)."""
    return _cached(
        ctx,
        "territory",
        lambda: Territory.of(
            population=ctx.population.astype(float).fillna(0.0).to_numpy(),
            area_km2=ctx.plr_area_m2.to_numpy(dtype=float) / 1e6,
            district=ctx.district,
            units=ctx.units,
        ),  # rank = position: the PLR index is sorted by id
    )


def cluster(ctx: Context, flags: dict[str, np.ndarray], config: Config) -> ScenarioResult:
    """The delineation's clustering (:func:`quartiere.delineate.cluster`) as compact arrays."""
    rules = config.delineation
    result = clustering.cluster(flags, rules, ctx.graphs[rules.contiguity], territory(ctx))
    inside = result.in_area
    label = np.where(inside, result.cluster, -1).astype(np.int16)
    return ScenarioResult(
        inside=inside,
        seed=result.seed & inside,
        label=label,
        n_areas=result.n_areas,
        population=float(territory(ctx).population[inside].sum()),
    )


def evaluate_scenario(ctx: Context, config: Config) -> ScenarioResult:
    """One scenario: criteria flags, then the clustering. The one place the atlas calls the
    delineation stage."""
    flags = criteria_flags(ctx, config)
    return cluster(ctx, flags, config)


def evaluate_batch(ctx: Context, plan: Any, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Evaluate a batch of sample rows (unit-interval values, one row per scenario)."""
    from quartiere.sensitivity.plan import apply_values

    m = len(rows)
    out = {
        "inside": np.zeros((m, ctx.n), dtype=bool),
        "seed": np.zeros((m, ctx.n), dtype=bool),
        "label": np.zeros((m, ctx.n), dtype=np.int16),
        "n_areas": np.zeros(m, dtype=np.int32),
        "population": np.zeros(m, dtype=np.float64),
    }
    for i, row in enumerate(rows):
        config = apply_values(ctx.config, plan.values(plan.decode(row)))
        result = evaluate_scenario(ctx, config)
        out["inside"][i] = result.inside
        out["seed"][i] = result.seed
        out["label"][i] = result.label
        out["n_areas"][i] = result.n_areas
        out["population"][i] = result.population
    return out
