"""The three criteria of the joint initiative, evaluated per planning area (Planungsraum, PLR).

Each criterion keeps the value behind its flag. Flags are pandas nullable ``Int8``: 1 = met, 0 =
not met,
``<NA>`` = no data (a PLR the source does not cover is never counted as "not disadvantaged").

* ``c_mss``: Monitoring Soziale Stadtentwicklung, *Gebiet mit besonderem Aufmerksamkeitsbedarf*;
* ``c_schools``: covered by catchments (Einschulungsbereiche) of primary schools with a high share
of
  pupils exempt from learning-material fees (*lernmittelbefreit*, lmb);
* ``c_atlas``: most disadvantaged stratum of the social atlas index (approximating *Schicht 7*).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from quartiere.config import AtlasCriterion, Criteria, MssCriterion, MssRule, SchoolsCriterion
from quartiere.errors import ConfigError
from quartiere.harmonize import Harmonized, estimate_lmb
from quartiere.inputs import Inputs, atlas_population
from quartiere.model import CRITERIA
from quartiere.rules import register_rule_name, unregister_rule_name

__all__ = [
    "MSS_NOT_INDEXED",
    "mss_attention",
    "mss_notes",
    "estimate_lmb",
    "aggregate_school_lmb",
    "schools_criterion",
    "schools_by_location",
    "atlas_strata",
    "count_criteria",
    "CRITERIA",
    "REGISTERED",
    "extra_criteria",
    "register_criterion",
    "evaluate_criteria",
    "mss_part",
    "schools_part",
    "atlas_part",
    "combine_criteria",
]

#: A criterion beyond the built-in three: a function of the planning areas (indexed by plr_id,
#: with population and the built-in flags) and its configuration entry, returning the flag per
#: PLR (nullable Int8: 1 met, 0 not met, NA no data).
CriterionFunction = Callable[[pd.DataFrame, Mapping[str, Any]], pd.Series]

#: Registered criteria by flag name (``c_<name>``), see :func:`register_criterion`.
REGISTERED: dict[str, CriterionFunction] = {}


def register_criterion(name: str, function: CriterionFunction | None) -> None:
    """Register (or, with ``None``, unregister) a criterion: its flag ``name`` becomes a rule name
    and counts in ``n_criteria``; ``criteria.extra.<name>`` in the configuration switches it on."""
    if not name.startswith("c_") or name in CRITERIA:
        raise ValueError(f"a criterion's flag is c_<name>, not a built-in one: {name!r}")
    if function is None:
        REGISTERED.pop(name, None)
        unregister_rule_name(name)
    else:
        REGISTERED[name] = function
        register_rule_name(name)


def extra_criteria(
    planning_areas: pd.DataFrame, entries: Mapping[str, Mapping[str, Any]]
) -> pd.DataFrame:
    """The flags of the configured extra criteria (``criteria.extra``), one column each."""
    unknown = sorted(set(entries) - set(REGISTERED))
    if unknown:
        raise ConfigError(
            f"criteria.extra: no criterion registered as {', '.join(unknown)}"
            f" (registered: {', '.join(sorted(REGISTERED)) or 'none'})"
        )
    flags = {
        name: _aligned(name, REGISTERED[name](planning_areas, entry), planning_areas.index)
        for name, entry in entries.items()
    }
    return pd.DataFrame(flags, index=planning_areas.index)


def _aligned(name: str, flag: Any, index: pd.Index) -> pd.Series:
    """A criterion's result as an Int8 column on ``index``: a Series by its labels (it must carry
    every plr_id; reindexing a positional one would read as no data everywhere), else by
    position."""
    if isinstance(flag, pd.Series):
        if not index.isin(flag.index).all():
            raise ValueError(
                f"criterion {name}: its Series lacks plr_id(s) of the planning areas, e.g."
                f" {index[~index.isin(flag.index)][0]!r} (index it like the planning areas)"
            )
        return flag.loc[index].astype("Int8")  # named by its key in extra_criteria's frame
    return pd.Series(flag, index=index).astype("Int8")


def _flag(met: pd.Series, known: pd.Series | None = None) -> pd.Series:
    """1/0 where ``met``, as Int8; <NA> where not ``known`` (a bool Series on the same index)."""
    flag = pd.Series(np.where(met, 1, 0), index=met.index, dtype="Int8")
    return flag if known is None else flag.where(known)


def _normalise_class(values: pd.Series) -> pd.Series:
    # Official class texts come with stray blanks and mixed case ("Status mittel , Dynamik
    # negativ").
    return values.astype("string").str.strip().str.replace(r"\s+", " ", regex=True).str.lower()


#: ``mss_note`` of a PLR the MSS table lists without an index and without a remark of its own.
MSS_NOT_INDEXED = "not indexed"


def mss_notes(unindexed: pd.Series, plr_ids: pd.Index) -> pd.Series:
    """Why the MSS gives a PLR no index, as far as its table says.

    Parameters
    ----------
    unindexed : Series
        Per PLR the table lists with empty class cells, the table's remark (<NA> for none).
    plr_ids : Index
        All planning areas.

    Returns
    -------
    Series
        ``mss_note`` (string) per PLR: the remark, :data:`MSS_NOT_INDEXED` for an unindexed row
        without one, <NA> for a PLR the table indexes or leaves out (then ``c_mss`` tells which).
    """
    notes = unindexed.astype("string").fillna(MSS_NOT_INDEXED)
    notes = notes.str.split().str.join(" ")
    return notes.reindex(plr_ids).astype("string").rename("mss_note")


def mss_attention(mss: pd.DataFrame, rules: Sequence[MssRule], plr_ids: pd.Index) -> pd.DataFrame:
    """Flag MSS areas needing particular attention (Gebiete mit besonderem Aufmerksamkeitsbedarf).

    Parameters
    ----------
    mss : DataFrame
        Indexed by PLR id with columns ``status`` and ``dynamic`` (class texts, e.g. "niedrig",
        "negativ"). PLR the MSS does not index (300 inhabitants or fewer, outliers) are absent:
        the table leaves them out, or lists them with empty class cells (dropped on loading).
    rules : sequence of MssRule
        Alternatives; a PLR matching any of them is flagged. Within one alternative every listed
        column must match one of its classes.
    plr_ids : Index
        All planning areas; those without an MSS row get ``<NA>``.

    Returns
    -------
    DataFrame
        ``mss_status``, ``mss_dynamic`` (normalised class texts) and ``c_mss`` per PLR.
    """
    table = mss.reindex(plr_ids)
    status = _normalise_class(table["status"])
    dynamic = _normalise_class(table["dynamic"])
    met = pd.Series(False, index=plr_ids)
    for rule in rules:  # isin() gives a bool Series, False for <NA>
        match = (
            status.isin([s.strip().lower() for s in rule.status])
            if rule.status is not None
            else True
        )
        if rule.dynamic is not None:
            match = dynamic.isin([d.strip().lower() for d in rule.dynamic]) & match
        met |= match
    # every column is indexed by plr_ids
    return pd.DataFrame(
        {"mss_status": status, "mss_dynamic": dynamic, "c_mss": _flag(met, status.notna())}
    )


def aggregate_school_lmb(schools: pd.DataFrame) -> pd.Series:
    """Official lmb per school -> per catchment: pupil-weighted mean when pupils are given.

    ``schools`` has columns ``catchment``, ``share`` (%) and optionally ``pupils``.
    """
    if "pupils" in schools and schools["pupils"].notna().all():
        weighted = (schools["share"] * schools["pupils"]).groupby(schools["catchment"]).sum()
        return (weighted / schools.groupby("catchment")["pupils"].sum()).rename("lmb_share")
    return schools.groupby("catchment")["share"].mean().rename("lmb_share")


def schools_criterion(
    overlaps: pd.DataFrame,
    lmb_share: pd.Series,
    plr_area_m2: pd.Series,
    *,
    lmb_threshold: float,
    min_area_share: float,
    min_coverage: float,
) -> pd.DataFrame:
    """Flag PLR covered mostly by catchments whose lmb share reaches the threshold.

    Parameters
    ----------
    overlaps : DataFrame
        Catchment x PLR overlaps from :func:`quartiere.harmonize.overlay_weights` (``source`` =
        catchment id, ``target`` = PLR id, ``area_m2``).
    lmb_share : Series
        lmb share (%) per catchment; NaN = unknown.
    plr_area_m2 : Series
        Area of each PLR (m²), indexed by PLR id.
    lmb_threshold : float
        A catchment is flagged when its lmb share is at least this (%), threshold included.
    min_area_share : float
        A PLR meets the criterion when flagged catchments cover at least this share of its area.
    min_coverage : float
        Below this share of its area covered by catchments with a known lmb share, a PLR has no
        data.

    Returns
    -------
    DataFrame
        ``lmb_area_share`` (0-1, share of the PLR's area in flagged catchments), ``lmb_coverage``
        (0-1) and ``c_schools`` per PLR.
    """
    share = lmb_share.reindex(overlaps["source"]).to_numpy()  # float; <NA> or no catchment: NaN
    known = ~np.isnan(share)
    flagged = known & (np.nan_to_num(share) >= lmb_threshold)
    area = overlaps["area_m2"].to_numpy()
    # Sums per PLR by position (an overlap with a PLR not listed counts nowhere).
    target = plr_area_m2.index.get_indexer(pd.Index(overlaps["target"]))
    keep = target >= 0
    n = len(plr_area_m2)
    flagged_m2 = np.bincount(target[keep], np.where(flagged, area, 0.0)[keep], minlength=n)
    known_m2 = np.bincount(target[keep], np.where(known, area, 0.0)[keep], minlength=n)
    plr_m2 = plr_area_m2.to_numpy(dtype=float)
    area_share = pd.Series(np.minimum(flagged_m2 / plr_m2, 1.0), index=plr_area_m2.index)
    coverage = pd.Series(np.minimum(known_m2 / plr_m2, 1.0), index=plr_area_m2.index)
    has_data = coverage >= min_coverage
    # A tolerance of 1e-9 keeps "exactly 50 %" at 50 % despite floating-point area sums.
    met = area_share >= min_area_share - 1e-9
    return pd.DataFrame(
        {
            "lmb_area_share": area_share.where(has_data),
            "lmb_coverage": coverage,
            "c_schools": _flag(met, has_data),
        }  # every column is indexed by plr_area_m2's index
    )


def schools_by_location(
    school_plr: pd.Series, school_flagged: pd.Series, plr_ids: pd.Index
) -> pd.DataFrame:
    """Schools per PLR and those flagged; ``c_schools_location`` = 1 where a flagged school stands.

    ``school_plr`` is the PLR id each school stands in, ``school_flagged`` its 0/1 flag.
    """
    where = plr_ids.get_indexer(pd.Index(school_plr))
    keep = where >= 0  # a school outside the listed PLR counts nowhere
    marks = pd.to_numeric(pd.Series(school_flagged)).fillna(0).to_numpy(dtype=np.int64)
    n = np.bincount(where[keep], minlength=len(plr_ids))
    flagged = np.bincount(where[keep], marks[keep], minlength=len(plr_ids)).astype(np.int64)
    return pd.DataFrame(
        {
            "n_schools": n.astype(int),
            "n_schools_flagged": flagged.astype(int),
            "c_schools_location": _flag(pd.Series(flagged > 0, index=plr_ids)),
        },
        index=plr_ids,
    )


def atlas_strata(values: pd.Series, population: pd.Series, rule: AtlasCriterion) -> pd.DataFrame:
    """Classify the atlas index into strata and flag the configured ones.

    Lower index values are more disadvantaged; stratum 1 holds the highest values and stratum
    ``rule.strata`` the lowest, as in the Sozialstrukturatlas where Schicht 7 of 7 is the most
    disadvantaged. Methods: ``quantiles_count`` (equal numbers of PLR with a value),
    ``quantiles_population`` (equal shares of inhabitants), ``breaks`` (explicit ascending bounds: a
    value up to the first bound falls into the lowest-valued stratum).

    Returns
    -------
    DataFrame
        ``atlas_value``, ``atlas_stratum`` (Int8, <NA> without a value) and ``c_atlas`` per PLR.
    """
    known = values.notna()
    v = values[known]
    k = rule.strata
    if rule.method == "quantiles_count":
        # rank "min" keeps equal values in the same stratum
        position = v.rank(method="min").to_numpy() - 1
        bin_ = np.floor(position * k / len(v))
    elif rule.method == "quantiles_population":
        pop = population.reindex(v.index).fillna(0.0)
        if not pop.sum() > 0:  # population quantiles of no inhabitants are undefined: no data
            known = values.notna() & False
            v = pop = v[:0]  # nothing to stratify
        order = np.lexsort([v.to_numpy()])  # stable: ties in the order of the planning areas
        # A PLR belongs to the quantile holding the middle of its inhabitants.
        midpoint = np.empty(len(v))
        midpoint[order] = np.cumsum(pop.to_numpy()[order]) - pop.to_numpy()[order] / 2
        bin_ = np.floor(midpoint * k / pop.sum())
    else:
        assert rule.breaks is not None
        bin_ = np.searchsorted(np.asarray(rule.breaks), v.to_numpy())  # value <= break: below
    stratum = pd.Series(index=values.index, dtype="Int8")  # <NA> without a value
    # bins are whole numbers >= 0; the last PLR by value can reach k when it has no inhabitants
    stratum[known] = k - np.minimum(bin_, k - 1)
    met = stratum.isin(rule.flag_strata)  # False for <NA>
    return pd.DataFrame(
        {"atlas_value": values, "atlas_stratum": stratum, "c_atlas": _flag(met, known)}
    )


def count_criteria(flags: pd.DataFrame) -> pd.Series:
    """Number of criteria met (no-data counts as not met) per PLR, registered ones included."""
    names = [*CRITERIA, *(c for c in REGISTERED if c in flags.columns)]
    return flags[names].fillna(0).astype(int).sum(axis=1).rename("n_criteria")


def mss_part(inputs: Inputs, rule: MssCriterion) -> pd.DataFrame:
    """The MSS criterion per PLR: ``mss_status``, ``mss_dynamic``, ``c_mss``, ``mss_note``."""
    plr_ids = inputs.planning_areas.index
    mss = mss_attention(inputs.mss, rule.attention, plr_ids)
    mss["mss_note"] = mss_notes(inputs.mss_unindexed, plr_ids)
    return mss


def schools_part(
    planning_areas: pd.DataFrame, harmonized: Harmonized, rule: SchoolsCriterion
) -> pd.DataFrame:
    """The schools criterion per PLR, by catchment area or by school location (``rule.by``).

    ``planning_areas`` needs ``plr_area_m2`` (m²), indexed by plr_id. Returns ``lmb_area_share``,
    ``lmb_coverage``, ``c_schools`` and, with a school list, ``n_schools``, ``n_schools_flagged``.
    """
    schools = schools_criterion(
        harmonized.catchment_overlaps,
        harmonized.lmb_share,
        planning_areas["plr_area_m2"],
        lmb_threshold=rule.lmb_threshold,
        min_area_share=rule.min_area_share,
        min_coverage=rule.min_coverage,
    )
    if harmonized.schools is not None:
        table = harmonized.schools.schools
        located = schools_by_location(
            table["plr_id"], harmonized.schools.flagged(rule.lmb_threshold), planning_areas.index
        )
        if rule.by == "school_location":
            schools["c_schools"] = located["c_schools_location"]
        schools = schools.join(located[["n_schools", "n_schools_flagged"]])
    return schools


def atlas_part(inputs: Inputs, harmonized: Harmonized, rule: AtlasCriterion) -> pd.DataFrame:
    """The atlas criterion per PLR: ``atlas_value``, ``atlas_stratum``, ``c_atlas``."""
    return atlas_strata(harmonized.atlas["value"], atlas_population(inputs), rule)


def combine_criteria(
    planning_areas: pd.DataFrame,
    population: pd.Series,
    parts: Sequence[pd.DataFrame],
    extra: Mapping[str, Mapping[str, Any]],
) -> pd.DataFrame:
    """The built-in parts side by side, the ``criteria.extra`` flags and ``n_criteria``."""
    flags = pd.concat(list(parts), axis=1)
    if extra:
        frame = planning_areas.drop(columns="plr_area_m2", errors="ignore")
        flags = flags.join(extra_criteria(frame.join(population).join(flags), extra))
    flags["n_criteria"] = count_criteria(flags)
    return flags


def evaluate_criteria(inputs: Inputs, harmonized: Harmonized, rules: Criteria) -> pd.DataFrame:
    """Every criterion per PLR (the built-in three and ``criteria.extra``), with the values behind
    each flag and ``n_criteria``; indexed by plr_id like ``inputs.planning_areas``.

    The one composition of the criteria: the build calls it, and the robustness atlas calls its
    parts (:func:`mss_part`, :func:`schools_part`, :func:`atlas_part`, :func:`combine_criteria`)
    with the scenario's values (:mod:`quartiere.sensitivity.scenario`).
    """
    plr = inputs.planning_areas
    areas = pd.DataFrame({"plr_area_m2": plr.geometry.area}, index=plr.index)
    parts = [
        mss_part(inputs, rules.mss),
        schools_part(areas, harmonized, rules.schools),
        atlas_part(inputs, harmonized, rules.atlas),
    ]
    return combine_criteria(plr, inputs.population, parts, rules.extra)
