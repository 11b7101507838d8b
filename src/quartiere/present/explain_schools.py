"""The school lines of ``quartiere explain``: which schools decide a PLR's school criterion."""

from __future__ import annotations

import pandas as pd

from quartiere.result import BuildResult
from quartiere.schools.school_list import flag_column

__all__ = ["school_lines"]


def _school(row: pd.Series, flags: list[tuple[str, str]], threshold: float) -> str:
    share = row["lmb_share"]
    value = "no value" if pd.isna(share) else f"lmb {share:.1f} % ({row['lmb_source']})"
    mark = "" if pd.isna(share) else (" >= threshold" if share >= threshold else " below")
    marks = [
        f"{column} {'?' if pd.isna(row[name]) else 'x' if row[name] == 1 else '-'}"
        for column, name in flags
    ]
    return f"{row.name} {row['name']}: {value}{mark}; {', '.join(marks)}".rstrip("; ")


def school_lines(result: BuildResult, plr_id: str, catchment_ids: list[str]) -> list[str]:
    """Lines naming the deciding schools: with ``by: catchment_area`` those of the catchments
    shown (``catchment_ids``), with ``by: school_location`` those standing in the PLR."""
    schools = result.harmonized.schools
    spec = result.config.schools
    if schools is None or spec is None:
        return []
    rule = result.config.criteria.schools
    threshold = rule.lmb_threshold
    flags = [(f.column, flag_column(f.column)) for f in spec.flags]
    table = schools.schools
    lines = []
    if rule.by == "school_location":
        mine = table[table["plr_id"] == plr_id]
        lines.append(
            f"   rule (by: school_location): met when a school in the PLR reaches "
            f"{threshold:g} %; {len(mine)} school(s) here:"
        )
        lines += [f"   - school {_school(r, flags, threshold)}" for _, r in mine.iterrows()]
    else:
        lines.append("   schools deciding the catchments' values (mean per catchment):")
        for esb in catchment_ids:
            mine = table[table["esb_id"] == esb]
            if mine.empty:
                lines.append(f"   - catchment {esb}: no school of the counted types")
            for _, r in mine.iterrows():
                lines.append(f"   - catchment {esb}: school {_school(r, flags, threshold)}")
    config = result.config
    years = (
        f"school year {spec.school_year}; catchments {config.catchments.path.name}, school year "
        f"{config.catchments.school_year}; MSS {config.mss.edition}"
    )
    if schools.lmb_source == "estimate" and spec.estimate is not None:
        lines.append(
            f"   lmb source: ESTIMATE per school ({spec.path.name}, {years}): MSS "
            f"{result.config.child_poverty_label('en')}"
            + "".join(f" + {e.title}" for e in spec.estimate.extra)
            + f" around the school ({spec.estimate.bandwidth_m:g} m), quantile-calibrated to "
            + "; ".join(f"{a.count} schools >= {a.share:g} %" for a in schools.calibration.anchors)
            if schools.calibration
            else ""
        )
    else:
        lines.append(f"   lmb source: official per-school values ({spec.path.name}, {years})")
    if any(flag.path is not None for flag in spec.flags):
        lines.append("   flag ?: the school is not in the flag's table (opened or renumbered)")
    if schools.validation is not None:
        v = schools.validation
        lines.append(
            f"   validation: {schools.validation_method}: AUC {v.auc:.3f}, balanced accuracy "
            f"{v.balanced_accuracy:.3f}"
        )
    for check in schools.checks:
        lines.append(
            f"   second check of the ranking: {check.flag.column} ({check.flag.meaning()}, "
            f"{check.flag.year}): AUC {check.metrics.auc:.3f}; {check.method}"
        )
    lines.append(f"   {spec.attributions()}")
    return lines
