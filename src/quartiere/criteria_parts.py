"""The composition of the criteria over one build: one array path for the build and the atlas.

:class:`CriteriaBasis` aligns what the criteria read to the planning areas once; the parts
(:func:`mss_part`, :func:`schools_part`, :func:`atlas_part`) apply the rules of
:mod:`quartiere.criteria` on arrays, :func:`combine_criteria` counts them and adds the registered
criteria, and :func:`evaluate_criteria` is the build's frame of it all. The robustness atlas
(:mod:`quartiere.sensitivity.scenario`) calls the same parts on a cached basis, so a scenario and
a build can never apply different rules. Split from :mod:`quartiere.criteria`, which holds the
rules themselves: this module is their composition over a build.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from quartiere.config import AtlasCriterion, Criteria, MssCriterion, SchoolsCriterion
from quartiere.criteria import (
    CRITERIA,
    REGISTERED,
    _coded,
    _count_by_location,
    _flag_array,
    _floats,
    _int8,
    _mss_met,
    _normalise_class,
    _schools_by_area,
    _strata,
    extra_criteria,
    mss_notes,
)
from quartiere.harmonize import Harmonized
from quartiere.inputs import Inputs, atlas_population

if TYPE_CHECKING:
    from quartiere.schools import SchoolsResult

__all__ = [
    "Columns",
    "CriteriaBasis",
    "atlas_part",
    "combine_criteria",
    "criteria_frame",
    "evaluate_criteria",
    "mss_part",
    "schools_part",
]


#: Criteria columns by position on :attr:`CriteriaBasis.plr_ids`: numbers as numpy arrays, flags
#: (``c_*``) and ``atlas_stratum`` as floats (1.0, 0.0, NaN = no data), texts as string arrays.
Columns = dict[str, Any]


@dataclass(frozen=True)
class CriteriaBasis:
    """What the criteria read, aligned by position to the planning areas; prepared once.

    The build prepares it once per evaluation, the robustness atlas once per run: every part
    (:func:`mss_part`, :func:`schools_part`, :func:`atlas_part`) then works on arrays, without
    pandas alignment. Build it with :meth:`of`.

    Attributes
    ----------
    plr_ids : Index
        The planning areas (plr_id), in their order.
    plr_area_m2 : ndarray
        Area per PLR (m²).
    mss_status, mss_dynamic : ExtensionArray
        Normalised MSS class texts per PLR (string, <NA> without an index).
    mss_status_codes, mss_dynamic_codes : (ndarray, Index)
        The same as integer codes (-1 for <NA>) and the classes they index.
    mss_note : ExtensionArray
        ``mss_note`` per PLR (:func:`mss_notes`).
    catchments : Index
        The catchments the overlaps name; lmb shares are read on it (:meth:`per_catchment`).
    overlap_catchment, overlap_plr, overlap_m2 : ndarray
        Per catchment x PLR overlap with a listed PLR: its catchment's and PLR's position, area.
    school_plr : ndarray or None
        Per listed school the position of its PLR (-1 outside every one); None without a list.
    atlas_value, atlas_population : ndarray
        Atlas index and the inhabitants the atlas criterion counts, per PLR (NaN unknown).
    planning_areas : DataFrame
        The planning areas a registered criterion reads (``criteria.extra``).
    population : Series
        Inhabitants per PLR, joined for a registered criterion.
    """

    plr_ids: pd.Index
    plr_area_m2: np.ndarray
    mss_status: Any
    mss_dynamic: Any
    mss_status_codes: tuple[np.ndarray, pd.Index]
    mss_dynamic_codes: tuple[np.ndarray, pd.Index]
    mss_note: Any
    catchments: pd.Index
    overlap_catchment: np.ndarray
    overlap_plr: np.ndarray
    overlap_m2: np.ndarray
    school_plr: np.ndarray | None
    atlas_value: np.ndarray
    atlas_population: np.ndarray
    planning_areas: pd.DataFrame
    population: pd.Series

    @classmethod
    def of(
        cls, inputs: Inputs, harmonized: Harmonized, plr_area_m2: pd.Series | None = None
    ) -> CriteriaBasis:
        """Align the inputs and the zone transfer to ``inputs.planning_areas``.

        Parameters
        ----------
        inputs : Inputs
            The loaded inputs (planning areas, MSS, population).
        harmonized : Harmonized
            The zone transfer: catchment overlaps, atlas values, the school list's PLR.
        plr_area_m2 : Series, optional
            Area per PLR (m²); by default that of the planning areas' geometry.

        Returns
        -------
        CriteriaBasis
        """
        plr = inputs.planning_areas
        ids = plr.index
        area = plr.geometry.area if plr_area_m2 is None else plr_area_m2.reindex(ids)
        table = inputs.mss.reindex(ids)
        status = _normalise_class(table["status"])
        dynamic = _normalise_class(table["dynamic"])
        overlaps = harmonized.catchment_overlaps
        sources = pd.Index(overlaps["source"])
        target = ids.get_indexer(pd.Index(overlaps["target"]))
        keep = target >= 0  # an overlap with a PLR not listed counts nowhere
        catchments = sources.unique()
        school_plr = None
        if harmonized.schools is not None:
            school_plr = ids.get_indexer(pd.Index(harmonized.schools.schools["plr_id"]))
        return cls(
            plr_ids=ids,
            plr_area_m2=area.to_numpy(dtype=float),
            mss_status=status.array,
            mss_dynamic=dynamic.array,
            mss_status_codes=_coded(status),
            mss_dynamic_codes=_coded(dynamic),
            mss_note=mss_notes(inputs.mss_unindexed, ids).array,
            catchments=catchments,
            overlap_catchment=catchments.get_indexer(sources)[keep],
            overlap_plr=target[keep],
            overlap_m2=overlaps["area_m2"].to_numpy(dtype=float)[keep],
            school_plr=school_plr,
            atlas_value=_floats(harmonized.atlas["value"].reindex(ids)),
            atlas_population=_floats(atlas_population(inputs).reindex(ids)),
            planning_areas=plr,
            population=inputs.population,
        )

    def per_catchment(self, lmb_share: pd.Series) -> np.ndarray:
        """An lmb share per catchment (%) on :attr:`catchments`, as floats (NaN unknown)."""
        if not lmb_share.index.equals(self.catchments):
            lmb_share = lmb_share.reindex(self.catchments)
        return _floats(lmb_share)

    def per_school(self, schools: SchoolsResult | None) -> np.ndarray | None:
        """Each listed school's lmb share (%), in the order of :attr:`school_plr` (NaN unknown)."""
        return None if schools is None else _floats(schools.schools["lmb_share"])


def mss_part(basis: CriteriaBasis, rule: MssCriterion) -> Columns:
    """The MSS criterion per PLR: ``mss_status``, ``mss_dynamic``, ``c_mss``, ``mss_note``."""
    met = _mss_met(basis.mss_status_codes, basis.mss_dynamic_codes, rule.attention)
    return {
        "mss_status": basis.mss_status,
        "mss_dynamic": basis.mss_dynamic,
        "c_mss": _flag_array(met, basis.mss_status_codes[0] >= 0),
        "mss_note": basis.mss_note,
    }


def schools_part(
    basis: CriteriaBasis, rule: SchoolsCriterion, lmb: np.ndarray, school_lmb: np.ndarray | None
) -> Columns:
    """The schools criterion per PLR, by catchment area or by school location (``rule.by``).

    Parameters
    ----------
    basis : CriteriaBasis
        The aligned inputs.
    rule : SchoolsCriterion
        The criterion's configuration.
    lmb : ndarray
        lmb share (%) per catchment of ``basis.catchments`` (:meth:`CriteriaBasis.per_catchment`).
    school_lmb : ndarray or None
        lmb share (%) per listed school (:meth:`CriteriaBasis.per_school`), None without a list.

    Returns
    -------
    Columns
        ``lmb_area_share``, ``lmb_coverage``, ``c_schools`` and, with a school list,
        ``n_schools``, ``n_schools_flagged``.
    """
    area_share, coverage, flag = _schools_by_area(
        lmb[basis.overlap_catchment],
        basis.overlap_plr,
        basis.overlap_m2,
        basis.plr_area_m2,
        lmb_threshold=rule.lmb_threshold,
        min_area_share=rule.min_area_share,
        min_coverage=rule.min_coverage,
    )
    columns: Columns = {"lmb_area_share": area_share, "lmb_coverage": coverage, "c_schools": flag}
    if basis.school_plr is not None and school_lmb is not None:
        marks = (school_lmb >= rule.lmb_threshold).astype(np.int64)  # NaN: not flagged
        count, flagged = _count_by_location(basis.school_plr, marks, len(basis.plr_ids))
        if rule.by == "school_location":
            columns["c_schools"] = _flag_array(flagged > 0)
        columns["n_schools"] = count
        columns["n_schools_flagged"] = flagged
    return columns


def atlas_part(basis: CriteriaBasis, rule: AtlasCriterion) -> Columns:
    """The atlas criterion per PLR: ``atlas_value``, ``atlas_stratum``, ``c_atlas``."""
    stratum, flag = _strata(basis.atlas_value, basis.atlas_population, rule)
    return {"atlas_value": basis.atlas_value, "atlas_stratum": stratum, "c_atlas": flag}


def criteria_frame(basis: CriteriaBasis, columns: Columns) -> pd.DataFrame:
    """Array-path columns as the build's frame, indexed by plr_id: flags and strata as Int8."""
    typed = {
        name: _int8(values) if name.startswith("c_") or name == "atlas_stratum" else values
        for name, values in columns.items()
    }
    return pd.DataFrame(typed, index=basis.plr_ids)


def combine_criteria(
    basis: CriteriaBasis, parts: Sequence[Columns], extra: Mapping[str, Mapping[str, Any]]
) -> Columns:
    """The built-in parts side by side, the ``criteria.extra`` flags and ``n_criteria``.

    A registered criterion reads a frame (the planning areas with population and the built-in
    flags, see :data:`CriterionFunction`); it is built only when ``extra`` names one.
    """
    columns: Columns = {}
    for part in parts:
        columns.update(part)
    if extra:
        frame = basis.planning_areas.drop(columns="plr_area_m2", errors="ignore")
        flags = extra_criteria(
            frame.join(basis.population).join(criteria_frame(basis, columns)), extra
        )
        columns.update({name: _floats(flags[name]) for name in flags.columns})
    names = [*CRITERIA, *(c for c in REGISTERED if c in columns)]
    count = np.zeros(len(basis.plr_ids), dtype=np.int64)
    for name in names:  # no data counts as not met
        count += np.nan_to_num(columns[name]).astype(np.int64)
    columns["n_criteria"] = count
    return columns


def evaluate_criteria(inputs: Inputs, harmonized: Harmonized, rules: Criteria) -> pd.DataFrame:
    """Every criterion per PLR (the built-in three and ``criteria.extra``), with the values behind
    each flag and ``n_criteria``; indexed by plr_id like ``inputs.planning_areas``.

    The one composition of the criteria, a thin frame wrapper around the array path: the build
    calls it, and the robustness atlas calls its parts (:class:`CriteriaBasis`,
    :func:`mss_part`, :func:`schools_part`, :func:`atlas_part`, :func:`combine_criteria`) with
    the scenario's values (:mod:`quartiere.sensitivity.scenario`).
    """
    basis = CriteriaBasis.of(inputs, harmonized)
    parts = [
        mss_part(basis, rules.mss),
        schools_part(
            basis,
            rules.schools,
            basis.per_catchment(harmonized.lmb_share),
            basis.per_school(harmonized.schools),
        ),
        atlas_part(basis, rules.atlas),
    ]
    return criteria_frame(basis, combine_criteria(basis, parts, rules.extra))
