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
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from quartiere.config import AtlasCriterion, MssRule
from quartiere.errors import ConfigError
from quartiere.harmonize import estimate_lmb
from quartiere.model import CRITERIA
from quartiere.rules import register_rule_name, unregister_rule_name

if TYPE_CHECKING:
    pass

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


def _flag_array(met: np.ndarray, known: np.ndarray | None = None) -> np.ndarray:
    """A flag on the array path: 1.0 where ``met``, 0.0 where not, NaN where not ``known``."""
    flag = met.astype(float)
    return flag if known is None else np.where(known, flag, np.nan)


def _int8(flag: np.ndarray) -> pd.arrays.IntegerArray:
    """An array-path flag (1.0, 0.0, NaN) as the frames' nullable Int8 (NaN -> <NA>)."""
    missing = np.isnan(flag)
    return pd.arrays.IntegerArray(np.where(missing, 0, flag).astype(np.int8), missing)


def _floats(values: pd.Series) -> np.ndarray:
    """A numeric Series as float64, no data (<NA>, NaN) as NaN."""
    return pd.to_numeric(values).to_numpy(dtype=float, na_value=np.nan)


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


def _coded(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Class texts as integer codes (-1 for <NA>) and the classes they index."""
    codes, classes = pd.factorize(values)
    return codes, pd.Index(classes)


def _is_class(coded: tuple[np.ndarray, pd.Index], names: Sequence[str]) -> np.ndarray:
    """Where the coded classes are one of ``names`` (stripped, lower-cased); False for <NA>."""
    codes, classes = coded
    wanted = classes.get_indexer(pd.Index([name.strip().lower() for name in names]))
    return np.isin(codes, wanted[wanted >= 0])


def _mss_met(
    status: tuple[np.ndarray, pd.Index],
    dynamic: tuple[np.ndarray, pd.Index],
    rules: Sequence[MssRule],
) -> np.ndarray:
    """Where any alternative of ``rules`` matches the coded status and dynamic (a bool array)."""
    met = np.zeros(len(status[0]), dtype=bool)
    for rule in rules:
        match = np.ones(len(met), dtype=bool)
        if rule.status is not None:
            match &= _is_class(status, rule.status)
        if rule.dynamic is not None:
            match &= _is_class(dynamic, rule.dynamic)
        met |= match
    return met


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
    met = _mss_met(_coded(status), _coded(dynamic), rules)
    flag = _flag_array(met, status.notna().to_numpy())
    return pd.DataFrame(
        {"mss_status": status.array, "mss_dynamic": dynamic.array, "c_mss": _int8(flag)},
        index=plr_ids,
    )


def aggregate_school_lmb(schools: pd.DataFrame) -> pd.Series:
    """Official lmb per school -> per catchment: pupil-weighted mean when pupils are given.

    ``schools`` has columns ``catchment``, ``share`` (%) and optionally ``pupils``.
    """
    if "pupils" in schools and schools["pupils"].notna().all():
        weighted = (schools["share"] * schools["pupils"]).groupby(schools["catchment"]).sum()
        return (weighted / schools.groupby("catchment")["pupils"].sum()).rename("lmb_share")
    return schools.groupby("catchment")["share"].mean().rename("lmb_share")


def _schools_by_area(
    share: np.ndarray,
    target: np.ndarray,
    area_m2: np.ndarray,
    plr_area_m2: np.ndarray,
    *,
    lmb_threshold: float,
    min_area_share: float,
    min_coverage: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The schools criterion by catchment area, on arrays.

    Parameters
    ----------
    share : ndarray
        lmb share (%) of each overlap's catchment; NaN = unknown.
    target : ndarray
        Position of each overlap's PLR in ``plr_area_m2`` (every one a listed PLR).
    area_m2 : ndarray
        Area of each overlap (m²).
    plr_area_m2 : ndarray
        Area of each PLR (m²).
    lmb_threshold, min_area_share, min_coverage : float
        As in :func:`schools_criterion`.

    Returns
    -------
    (ndarray, ndarray, ndarray)
        Per PLR: ``lmb_area_share`` (NaN without data), ``lmb_coverage`` and ``c_schools`` (1.0,
        0.0, NaN without data).
    """
    known = ~np.isnan(share)
    flagged = known & (np.nan_to_num(share) >= lmb_threshold)
    n = len(plr_area_m2)
    flagged_m2 = np.bincount(target, np.where(flagged, area_m2, 0.0), minlength=n)
    known_m2 = np.bincount(target, np.where(known, area_m2, 0.0), minlength=n)
    area_share = np.minimum(flagged_m2 / plr_area_m2, 1.0)
    coverage = np.minimum(known_m2 / plr_area_m2, 1.0)
    has_data = coverage >= min_coverage
    # A tolerance of 1e-9 keeps "exactly 50 %" at 50 % despite floating-point area sums.
    met = area_share >= min_area_share - 1e-9
    return np.where(has_data, area_share, np.nan), coverage, _flag_array(met, has_data)


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
    source = lmb_share.index.get_indexer(pd.Index(overlaps["source"]))
    # Sums per PLR by position (an overlap with a PLR not listed counts nowhere).
    target = plr_area_m2.index.get_indexer(pd.Index(overlaps["target"]))
    keep = target >= 0
    share = np.append(_floats(lmb_share), np.nan)[source[keep]]  # no catchment (-1): NaN
    area_m2 = overlaps["area_m2"].to_numpy(dtype=float)[keep]
    area_share, coverage, flag = _schools_by_area(
        share,
        target[keep],
        area_m2,
        plr_area_m2.to_numpy(dtype=float),
        lmb_threshold=lmb_threshold,
        min_area_share=min_area_share,
        min_coverage=min_coverage,
    )
    return pd.DataFrame(
        {"lmb_area_share": area_share, "lmb_coverage": coverage, "c_schools": _int8(flag)},
        index=plr_area_m2.index,
    )


def _count_by_location(where: np.ndarray, marks: np.ndarray, n: int) -> tuple[np.ndarray, ...]:
    """Schools and flagged schools (``marks`` 0/1) per PLR position; ``where`` -1 counts nowhere."""
    keep = where >= 0
    count = np.bincount(where[keep], minlength=n)
    flagged = np.bincount(where[keep], marks[keep], minlength=n).astype(np.int64)
    return count.astype(np.int64), flagged


def schools_by_location(
    school_plr: pd.Series, school_flagged: pd.Series, plr_ids: pd.Index
) -> pd.DataFrame:
    """Schools per PLR and those flagged; ``c_schools_location`` = 1 where a flagged school stands.

    ``school_plr`` is the PLR id each school stands in, ``school_flagged`` its 0/1 flag.
    """
    where = plr_ids.get_indexer(pd.Index(school_plr))  # a school outside the PLR counts nowhere
    marks = pd.to_numeric(pd.Series(school_flagged)).fillna(0).to_numpy(dtype=np.int64)
    count, flagged = _count_by_location(where, marks, len(plr_ids))
    return pd.DataFrame(
        {
            "n_schools": count,
            "n_schools_flagged": flagged,
            "c_schools_location": _int8(_flag_array(flagged > 0)),
        },
        index=plr_ids,
    )


def _strata(
    values: np.ndarray, population: np.ndarray, rule: AtlasCriterion
) -> tuple[np.ndarray, np.ndarray]:
    """The atlas strata on arrays: per PLR its stratum and ``c_atlas`` (NaN without a value).

    ``population`` is aligned to ``values`` (NaN counts as no inhabitants); see
    :func:`atlas_strata` for the methods.
    """
    known = ~np.isnan(values)
    v = values[known]
    k = rule.strata
    if rule.method == "quantiles_count":
        # rank "min" (the number of smaller values) keeps equal values in the same stratum
        position = np.searchsorted(np.sort(v), v, side="left").astype(float)
        bin_ = np.floor(position * k / len(v))
    elif rule.method == "quantiles_population":
        pop = population[known]
        pop = np.where(np.isnan(pop), 0.0, pop)
        if not pop.sum() > 0:  # population quantiles of no inhabitants are undefined: no data
            known = np.zeros_like(known)
            v = pop = v[:0]  # nothing to stratify
        order = np.lexsort([v])  # stable: ties in the order of the planning areas
        # A PLR belongs to the quantile holding the middle of its inhabitants.
        midpoint = np.empty(len(v))
        midpoint[order] = np.cumsum(pop[order]) - pop[order] / 2
        bin_ = np.floor(midpoint * k / pop.sum())
    else:
        assert rule.breaks is not None
        bin_ = np.searchsorted(np.asarray(rule.breaks), v)  # value <= break: below
    stratum = np.full(len(values), np.nan)  # NaN without a value
    # bins are whole numbers >= 0; the last PLR by value can reach k when it has no inhabitants
    stratum[known] = k - np.minimum(bin_, k - 1)
    return stratum, _flag_array(np.isin(stratum, rule.flag_strata), known)


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
    stratum, flag = _strata(_floats(values), _floats(population.reindex(values.index)), rule)
    return pd.DataFrame(
        {"atlas_value": values, "atlas_stratum": _int8(stratum), "c_atlas": _int8(flag)},
        index=values.index,
    )


def count_criteria(flags: pd.DataFrame) -> pd.Series:
    """Number of criteria met (no-data counts as not met) per PLR, registered ones included."""
    names = [*CRITERIA, *(c for c in REGISTERED if c in flags.columns)]
    return flags[names].fillna(0).astype(int).sum(axis=1).rename("n_criteria")
