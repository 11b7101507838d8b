"""The school criterion on real schools: the public per-school list, a calibrated lmb estimate per
school, and its validation against the per-school flags (docs/schools.md).

:func:`assess` runs the pure part on loaded inputs (:class:`SchoolInputs`) and returns a
:class:`SchoolsResult`: the per-school table (the ``schulen`` layer), the lmb share per catchment
the criterion reads, the calibration and the validation figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from quartiere.config_schools import SchoolFlag, SchoolsInput
from quartiere.errors import ConfigError
from quartiere.schools.calibrate import Anchor, Calibration, quantile_calibration
from quartiere.schools.link import Note, catchment_shares, link_schools
from quartiere.schools.rank import kernel_mean, ranking_score
from quartiere.schools.school_list import SchoolList, flag_column
from quartiere.schools.validate import Metrics, by_group, metrics, out_of_fold

__all__ = [
    "FlagCheck",
    "SchoolInputs",
    "SchoolsResult",
    "assess",
    "anchors_of",
    "check_flag",
    "lmb_info",
]


@dataclass(frozen=True)
class SchoolInputs:
    """What :func:`assess` reads: the school list and the planning-area data around the schools."""

    spec: SchoolsInput
    schools: SchoolList
    planning_areas: gpd.GeoDataFrame  # with bezirk_name
    catchments: gpd.GeoDataFrame
    child_poverty: pd.Series
    population: pd.Series
    extra: dict[str, pd.Series] = field(default_factory=dict)


@dataclass(frozen=True)
class FlagCheck:
    """The ranking checked against one more per-school flag (in sample: it fits nothing)."""

    flag: SchoolFlag
    metrics: Metrics
    method: str
    n_unknown: int = 0
    """Counted schools the flag does not know (not in its table): left out."""


@dataclass
class SchoolsResult:
    schools: gpd.GeoDataFrame
    catchment_lmb: pd.Series
    lmb_source: str
    calibration: Calibration | None
    validation: Metrics | None
    validation_by_bezirk: dict[str, Metrics]
    validation_method: str
    notes: list[Note]  # message keys and values, worded by ``report.schools_text``
    validation_out_of_fold: bool = False
    checks: list[FlagCheck] = field(default_factory=list)
    """Further checks of the ranking: every flag besides the primary (validating) one."""

    def flagged(self, threshold: float) -> pd.Series:
        return (self.schools["lmb_share"] >= threshold).fillna(False)


def anchors_of(spec: SchoolsInput, schools: gpd.GeoDataFrame) -> list[Anchor]:
    """The configured anchors as counts: a flag anchor counts the counted schools it marks."""
    assert spec.estimate is not None
    flags = {f.column: f for f in spec.flags}
    out = []
    for a in spec.estimate.anchors:
        if a.flag is not None:
            # Schools the flag does not know (<NA>: not in its table) count as not flagged: the
            # anchor is the number of counted schools known to carry it.
            count = int(schools[flag_column(a.flag)].fillna(0).sum())
            if count == 0:
                raise ConfigError(f"schools: no counted school carries the flag {a.flag!r}")
            flag = flags[a.flag]
            assert flag.share is not None  # refused in the configuration: validation_only flags
            source = a.source
            if flag.path is not None:
                source += (
                    f"; carried from {flag.path.name} by school number: the counted schools of "
                    f"{spec.school_year} flagged in {flag.year} (schools not in that table count "
                    "as not flagged)"
                )
            out.append(Anchor(share=flag.share, count=count, source=source))
        else:
            assert a.share is not None and a.count is not None
            out.append(Anchor(share=a.share, count=a.count, source=a.source))
    return out


def _score(data: SchoolInputs) -> pd.Series:
    spec = data.spec
    assert spec.estimate is not None
    plr = data.planning_areas
    centroids = plr.geometry.centroid
    points = data.schools.schools.geometry
    bw = spec.estimate.bandwidth_m
    indicators = {"s4": kernel_mean(points, centroids, data.child_poverty, data.population, bw)}
    weights = {"s4": 1.0}
    for extra in spec.estimate.extra:
        values = data.extra[extra.label]
        indicators[extra.label] = kernel_mean(points, centroids, values, data.population, bw)
        weights[extra.label] = extra.weight
    return ranking_score(indicators, weights)


def assess(data: SchoolInputs) -> SchoolsResult:
    spec = data.spec
    frame = data.schools.schools.copy()
    esb, notes = link_schools(frame, data.catchments, data.schools.key, str(spec.path))
    frame["esb_id"] = esb
    frame["bezirk"] = data.planning_areas["bezirk_name"].reindex(frame["plr_id"]).to_numpy()
    calibration = None
    if spec.lmb_source == "official":
        frame["score"] = frame["official_share"]
        frame["lmb_share"] = frame["official_share"]
    else:
        assert spec.estimate is not None
        frame["score"] = _score(data)
        anchors = anchors_of(spec, frame)
        calibration = quantile_calibration(
            frame["score"], anchors, spec.estimate.top_share, spec.estimate.bottom_share
        )
        frame["lmb_share"] = calibration.shares
    frame["lmb_source"] = spec.lmb_source
    validation: Metrics | None = None
    per_bezirk: dict[str, Metrics] = {}
    method = ""
    out_of_fold_ = False
    checks: list[FlagCheck] = []
    if spec.flags:
        validation, per_bezirk, method, out_of_fold_, checks = _validate(spec, frame)
    return SchoolsResult(
        schools=frame,
        catchment_lmb=catchment_shares(frame["lmb_share"], frame["esb_id"], data.catchments.index),
        lmb_source=spec.lmb_source,
        calibration=calibration,
        validation=validation,
        validation_by_bezirk=per_bezirk,
        validation_method=method,
        notes=notes,
        validation_out_of_fold=out_of_fold_,
        checks=checks,
    )


def _validate(
    spec: SchoolsInput, frame: gpd.GeoDataFrame
) -> tuple[Metrics | None, dict[str, Metrics], str, bool, list[FlagCheck]]:
    """The validation against the first flag with an lmb level (citywide and per Bezirk, the
    method's wording, whether out of fold: the flag's count calibrated the estimate), and the
    checks against every other flag."""
    primary = next((f for f in spec.flags if not f.validation_only), None)
    checks = [check_flag(spec, frame, f) for f in spec.flags if f is not primary]
    if primary is None:
        return None, {}, "", False, checks
    known = frame["lmb_share"].notna() & frame[flag_column(primary.column)].notna()
    f = frame[known.to_numpy()]
    truth = f[flag_column(primary.column)].astype(bool)
    anchored = spec.estimate is not None and any(
        a.flag == primary.column for a in spec.estimate.anchors
    )
    fold = spec.lmb_source == "estimate" and anchored
    assert primary.share is not None
    if fold:
        predicted = out_of_fold(f["score"], truth, f["bezirk"])
        method = (
            f"out of fold by Bezirk: the {primary.share:g} % level of each Bezirk's schools is "
            f"calibrated on the flag count of the other Bezirke; against {primary.column} "
            f"({primary.meaning()}, {primary.year})"
        )
    else:
        predicted = f["lmb_share"] >= primary.share
        method = (
            f"in sample (the flags fit nothing); against {primary.column} "
            f"({primary.meaning()}, {primary.year})"
        )
    unknown = int((~known & frame["lmb_share"].notna()).sum())
    if unknown:
        method += f"; {unknown} schools not in {_flag_source(primary, spec)} left out"
    citywide = metrics(truth.to_numpy(), predicted.to_numpy(), f["score"].to_numpy())
    per = by_group(truth, predicted, f["score"], f["bezirk"])
    return citywide, per, method, fold, checks


def _flag_source(flag: SchoolFlag, spec: SchoolsInput) -> str:
    return (flag.path or spec.path).name


def check_flag(spec: SchoolsInput, frame: gpd.GeoDataFrame, flag: SchoolFlag) -> FlagCheck:
    """The ranking against one more flag, in sample (it fits nothing).

    A flag with an lmb level is checked as the primary one, by "estimate >= share". A
    ``validation_only`` flag states no level: besides the AUC, the prediction is the top ``k``
    schools by the ranking, ``k`` the number it flags, so precision equals recall there.
    """
    name = flag_column(flag.column)
    known = frame["lmb_share"].notna() & frame[name].notna()
    f = frame[known.to_numpy()]
    truth = f[name].astype(bool)
    if flag.share is not None:
        predicted = f["lmb_share"] >= flag.share
        rule = f"'estimate >= {flag.share:g} %'"
    else:
        k = int(truth.sum())
        # The k best-ranked schools (ties by school number, as in the calibration).
        order = f.assign(_bsn=f.index.astype(str)).sort_values(
            ["score", "_bsn"], ascending=[False, True]
        )
        predicted = pd.Series(False, index=f.index)
        predicted.loc[order.index[:k]] = True
        rule = f"the top {k} schools of the ranking (the flag's own count; it has no lmb level)"
    unknown = int((~known & frame["lmb_share"].notna()).sum())
    method = f"in sample (the flag fits nothing); prediction: {rule}"
    if unknown:
        method += f"; {unknown} schools not in {_flag_source(flag, spec)} left out"
    return FlagCheck(
        flag=flag,
        metrics=metrics(truth.to_numpy(), predicted.to_numpy(), f["score"].to_numpy()),
        method=method,
        n_unknown=unknown,
    )


def lmb_info(result: SchoolsResult, spec: SchoolsInput) -> dict[str, str]:
    """``build_info`` keys ``lmb_calibration.*`` and ``lmb_validation.*``."""
    info: dict[str, str] = {
        "schools.list": f"{spec.path.name}, school year {spec.school_year}, "
        f"{len(result.schools)} schools of type {', '.join(spec.types)}",
        "schools.attribution": spec.attributions(),
    }
    if result.calibration is not None:
        assert spec.estimate is not None
        cal = result.calibration
        info["lmb_calibration.method"] = (
            f"{spec.estimate.method}: piecewise linear in the schools' rank through the anchors"
        )
        info["lmb_calibration.ranking"] = (
            "percentile rank of s4 (weight 1) "
            + "".join(f"+ {e.title} (weight {e.weight:g}) " for e in spec.estimate.extra)
            + f"around each school, Gaussian kernel {spec.estimate.bandwidth_m:g} m, "
            "population-weighted"
        )
        info["lmb_calibration.knots"] = "; ".join(f"position {c}: {p:g} %" for c, p in cal.knots)
        for i, a in enumerate(cal.anchors):
            reached = int((cal.shares >= a.share).sum())
            info[f"lmb_calibration.anchor.{i}"] = (
                f"{a.count} schools >= {a.share:g} % (estimate: {reached}); source: {a.source}"
            )
    if result.validation is not None:
        v = result.validation
        info["lmb_validation.method"] = result.validation_method
        info["lmb_validation.auc"] = f"{v.auc:.4f}"
        info["lmb_validation.balanced_accuracy"] = f"{v.balanced_accuracy:.4f}"
        info["lmb_validation.precision"] = f"{v.precision:.4f}"
        info["lmb_validation.recall"] = f"{v.recall:.4f}"
        info["lmb_validation.n"] = (
            f"{v.n} schools, {v.n_flagged} flagged, {v.n_predicted} predicted"
        )
        for name, m in result.validation_by_bezirk.items():
            info[f"lmb_validation.bezirk.{name}"] = m.text()
    for check in result.checks:
        m, key = check.metrics, f"lmb_validation.{check.flag.column}"
        info[f"{key}.means"] = f"{check.flag.meaning()} ({check.flag.year})"
        info[f"{key}.method"] = check.method
        info[f"{key}.auc"] = f"{m.auc:.4f}"
        info[f"{key}.balanced_accuracy"] = f"{m.balanced_accuracy:.4f}"
        info[f"{key}.precision"] = f"{m.precision:.4f}"
        info[f"{key}.recall"] = f"{m.recall:.4f}"
        info[f"{key}.n"] = f"{m.n} schools, {m.n_flagged} flagged, {m.n_predicted} predicted"
    for flag in spec.flags:
        if flag.path is not None:
            info[f"schools.flag.{flag.column}"] = joined_flag_text(result.schools, flag)
    return info


def joined_flag_text(schools: pd.DataFrame, flag: SchoolFlag) -> str:
    """How a flag joined from another table lands on the counted schools (English)."""
    values = schools[flag_column(flag.column)]
    assert flag.path is not None
    return (
        f"from {flag.path.name} (year {flag.year}), joined by school number ({flag.id}): "
        f"{int(values.fillna(0).sum())} of {len(values)} counted schools flagged, "
        f"{int(values.isna().sum())} not in that table (no value)"
    )
