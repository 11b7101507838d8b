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

from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from quartiere.config import Config
from quartiere.config_schools import SchoolsInput
from quartiere.contiguity import Contiguity, build_contiguity
from quartiere.criteria_parts import (
    Columns,
    CriteriaBasis,
    atlas_part,
    combine_criteria,
    criteria_frame,
    mss_part,
    schools_part,
)
from quartiere.delineate import clustering
from quartiere.delineate.clustering import Territory
from quartiere.harmonize import Harmonized, estimate_lmb, harmonize
from quartiere.inputs import Inputs

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
    #: the base build's inputs, without geometry unless a registered criterion may read it
    inputs: Inputs
    #: the base build's zone transfer (overlaps, lmb shares, atlas values, the school ranking)
    harmonized: Harmonized
    planning_areas: pd.DataFrame  # ``plr_area_m2`` per PLR: what the schools criterion reads
    lmb_share: pd.Series  # the base build's lmb share per catchment
    child_poverty: pd.Series | None  # estimate: s4 per catchment
    citywide_child_poverty: float | None
    units: dict[str, np.ndarray]  # border -> unit per PLR
    district: np.ndarray  # district code per PLR
    graphs: dict[str, Contiguity]  # "rook" / "queen"
    schools: Any = None  # SchoolsResult of the base build: the per-school ranking, recalibrated
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)
    # made on first use: what every scenario reads
    _basis: CriteriaBasis | None = field(default=None, repr=False)
    _territory: Territory | None = field(default=None, repr=False)
    _base_lmb: tuple[np.ndarray, np.ndarray | None] | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return len(self.plr_index)


def prepare_context(config: Config, inputs: Any = None, harmonized: Any = None) -> Context:
    """Load the inputs, transfer zones and build both contiguity graphs, once."""
    from quartiere.load import load_inputs

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
    slim = inputs
    if not config.criteria.extra:  # only a registered criterion may read geometry: ship none
        slim = replace(
            inputs,
            planning_areas=gpd.GeoDataFrame(plr.drop(columns=plr.geometry.name)),
            catchments=inputs.catchments.iloc[:0],
            atlas_zones=None,
        )
    return Context(
        config=config,
        plr_index=plr.index,
        population=inputs.population.reindex(plr.index),
        plr_area_m2=plr.geometry.area,
        inputs=slim,
        harmonized=replace(harmonized, atlas_overlaps=None),
        planning_areas=pd.DataFrame({"plr_area_m2": plr.geometry.area}),
        lmb_share=harmonized.lmb_share,
        child_poverty=harmonized.catchment_child_poverty,
        citywide_child_poverty=citywide,
        units=units,
        district=plr["bezirk"].astype(str).to_numpy(),
        graphs=graphs,
        schools=harmonized.schools,
    )


def _cached(ctx: Context, key: Any, make: Any) -> Any:
    """``make()``, computed once per context and ``key``. Keys begin with the function whose
    result they hold (no string a typo could make collide)."""
    try:
        return ctx._cache[key]
    except KeyError:
        value = ctx._cache[key] = make()
        return value


def _school_ranking(ctx: Context, spec: SchoolsInput) -> Any:
    """The base ranking's per-school lmb, recalibrated to the scenario's anchors (cached per
    anchor set), as a :class:`~quartiere.schools.SchoolsResult` with its catchment means: what
    :func:`quartiere.schools.assess` gives the build for these anchors."""
    from quartiere.schools import anchors_of
    from quartiere.schools.calibrate import quantile_calibration
    from quartiere.schools.link import catchment_shares

    estimate = spec.estimate
    assert estimate is not None  # the base ranking is an estimate, so is the scenario's

    def make() -> Any:
        table = ctx.schools.schools
        calibration = quantile_calibration(
            table["score"], anchors_of(spec, table), estimate.top_share, estimate.bottom_share
        )
        shares = catchment_shares(calibration.shares, table["esb_id"], ctx.lmb_share.index)
        return replace(
            ctx.schools,
            schools=table.assign(lmb_share=calibration.shares),
            catchment_lmb=shares,
        )

    key = (_school_ranking, repr(estimate.anchors), estimate.top_share, estimate.bottom_share)
    return _cached(ctx, key, make)


def scenario_harmonized(ctx: Context, config: Config) -> Harmonized:
    """The zone transfer under the scenario's values: the lmb estimate's mean or the school
    ranking's anchors change the lmb shares; everything else is the base build's."""
    harmonized = ctx.harmonized
    if ctx.child_poverty is not None and config.catchments.estimate is not None:
        assert ctx.citywide_child_poverty is not None
        lmb, _ = estimate_lmb(
            ctx.child_poverty, ctx.citywide_child_poverty, config.catchments.estimate.citywide_mean
        )
        return replace(harmonized, lmb_share=lmb)
    if ctx.schools is not None and ctx.schools.lmb_source == "estimate" and config.schools:
        ranking = _school_ranking(ctx, config.schools)
        if config.catchments.lmb_source != "schools":  # the ranking counts by school location only
            return replace(harmonized, schools=ranking)
        return replace(harmonized, schools=ranking, lmb_share=ranking.catchment_lmb)
    return harmonized


def criteria_basis(ctx: Context) -> CriteriaBasis:
    """The criteria's inputs aligned to the planning areas (cached): what every scenario reads."""
    if ctx._basis is None:
        area = ctx.planning_areas["plr_area_m2"]
        ctx._basis = CriteriaBasis.of(ctx.inputs, ctx.harmonized, area)
    return ctx._basis


def scenario_lmb(ctx: Context, config: Config) -> tuple[np.ndarray, np.ndarray | None]:
    """The lmb shares a scenario's schools criterion reads, as arrays on the criteria basis: per
    catchment and per listed school (:func:`scenario_harmonized`'s, cached where they repeat)."""
    basis = criteria_basis(ctx)
    if ctx._base_lmb is None:
        ctx._base_lmb = _lmb_arrays(basis, ctx.harmonized)
    base = ctx._base_lmb
    if ctx.child_poverty is not None and config.catchments.estimate is not None:
        harmonized = scenario_harmonized(ctx, config)  # one multiplication per scenario
        return basis.per_catchment(harmonized.lmb_share), base[1]
    if ctx.schools is not None and ctx.schools.lmb_source == "estimate" and config.schools:
        assert config.schools.estimate is not None
        estimate = config.schools.estimate
        key = (_lmb_arrays, repr(estimate.anchors), estimate.top_share, estimate.bottom_share)
        return _cached(  # type: ignore[no-any-return]
            ctx,
            (*key, config.catchments.lmb_source),
            lambda: _lmb_arrays(basis, scenario_harmonized(ctx, config)),
        )
    return base


def _lmb_arrays(
    basis: CriteriaBasis, harmonized: Harmonized
) -> tuple[np.ndarray, np.ndarray | None]:
    return basis.per_catchment(harmonized.lmb_share), basis.per_school(harmonized.schools)


def criteria_columns(ctx: Context, config: Config) -> Columns:
    """Every criterion per PLR under the scenario's values, and ``n_criteria``, as arrays.

    The build's own functions (:func:`quartiere.criteria_parts.evaluate_criteria` is their
    composition) on the cached :class:`~quartiere.criteria_parts.CriteriaBasis`: the MSS and atlas
    parts cached per rule, the schools part on the scenario's lmb shares (by catchment area or by
    school location), the registered criteria of ``criteria.extra`` and the count.
    """
    rules = config.criteria
    basis = criteria_basis(ctx)
    mss = _cached(ctx, (mss_part, repr(rules.mss.attention)), lambda: mss_part(basis, rules.mss))
    atlas = _cached(ctx, (atlas_part, repr(rules.atlas)), lambda: atlas_part(basis, rules.atlas))
    lmb, school_lmb = scenario_lmb(ctx, config)
    schools = schools_part(basis, rules.schools, lmb, school_lmb)
    return combine_criteria(basis, [mss, schools, atlas], rules.extra)


def criteria_flags(ctx: Context, config: Config) -> pd.DataFrame:
    """:func:`criteria_columns` as the build's frame
    (:func:`quartiere.criteria_parts.criteria_frame`), indexed by plr_id."""
    return criteria_frame(criteria_basis(ctx), criteria_columns(ctx, config))


def territory(ctx: Context) -> Territory:
    """Population, area, districts and border units of the context's planning areas (cached;
    :meth:`Territory.of` counts unknown population as 0)."""
    if ctx._territory is None:
        ctx._territory = Territory.of(
            population=ctx.population.astype(float).to_numpy(),
            area_km2=ctx.plr_area_m2.to_numpy() / 1e6,
            district=ctx.district,
            units=ctx.units,
        )  # rank = position: the PLR index is sorted by id
    return ctx._territory


def cluster(ctx: Context, flags: Columns | pd.DataFrame, config: Config) -> ScenarioResult:
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
    flags = criteria_columns(ctx, config)
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
        "population": np.zeros(m),
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
