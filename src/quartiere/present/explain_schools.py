"""The school lines of ``quartiere explain``: which schools decide a PLR's school criterion."""

from __future__ import annotations

import pandas as pd

from quartiere.i18n import Messages
from quartiere.present.explain_basis import Sources, lmb_source_word
from quartiere.schools.school_list import flag_column

__all__ = ["school_lines"]


def _school(t: Messages, row: pd.Series, flags: list[tuple[str, str]], threshold: float) -> str:
    share = row["lmb_share"]
    if pd.isna(share):
        value, mark = t("explain.school_no_value"), ""
    else:
        value = f"lmb {t.number(share, 1)} % ({lmb_source_word(t, row['lmb_source'])})"
        mark = t("explain.school_at") if share >= threshold else t("explain.school_below")
    marks = [
        f"{column} {'?' if pd.isna(row[name]) else 'x' if row[name] == 1 else '-'}"
        for column, name in flags
    ]
    return f"{row.name} {row['name']}: {value}{mark}; {', '.join(marks)}".rstrip("; ")


def school_lines(s: Sources, t: Messages, plr_id: str, catchment_ids: list[str]) -> list[str]:
    """Lines naming the deciding schools: with ``by: catchment_area`` those of the catchments
    shown (``catchment_ids``), with ``by: school_location`` those standing in the PLR."""
    schools = s.harmonized.schools
    config = s.config
    spec = config.schools
    if schools is None or spec is None:
        return []
    rule = config.criteria.schools
    threshold = rule.lmb_threshold
    flags = [(f.column, flag_column(f.column)) for f in spec.flags]
    table = schools.schools
    lines = []
    if rule.by == "school_location":
        mine = table[table["plr_id"] == plr_id]
        lines.append(t("explain.school_location_rule", threshold=t.short(threshold), n=len(mine)))
        lines += [
            t("explain.school_here", school=_school(t, r, flags, threshold))
            for _, r in mine.iterrows()
        ]
    else:
        lines.append(t("explain.schools_deciding"))
        for esb in catchment_ids:
            mine = table[table["esb_id"] == esb]
            if mine.empty:
                lines.append(t("explain.catchment_no_school", id=esb))
            for _, r in mine.iterrows():
                school = _school(t, r, flags, threshold)
                lines.append(t("explain.catchment_school", id=esb, school=school))
    years = t(
        "explain.school_years",
        school_year=spec.school_year,
        catchments=config.catchments.path.name,
        catchment_year=config.catchments.school_year,
        edition=config.mss.edition,
    )
    if schools.lmb_source == "estimate" and spec.estimate is not None:
        if schools.calibration:
            anchors = "; ".join(
                t("explain.school_anchor", count=a.count, share=t.short(a.share))
                for a in schools.calibration.anchors
            )
            lines.append(
                t(
                    "explain.school_estimate",
                    file=spec.path.name,
                    years=years,
                    poverty=config.child_poverty_label(t.language),
                    extra="".join(f" + {e.title}" for e in spec.estimate.extra),
                    bandwidth=t.short(spec.estimate.bandwidth_m),
                    anchors=anchors,
                )
            )
    else:
        lines.append(t("explain.school_official", file=spec.path.name, years=years))
    if any(flag.path is not None for flag in spec.flags):
        lines.append(t("explain.school_flag_unknown"))
    if schools.validation is not None:
        v = schools.validation
        lines.append(
            t(
                "explain.school_validation",
                method=schools.validation_method,
                auc=t.number(v.auc, 3),
                accuracy=t.number(v.balanced_accuracy, 3),
            )
        )
    for check in schools.checks:
        lines.append(
            t(
                "explain.school_check",
                column=check.flag.column,
                meaning=check.flag.meaning(),
                year=check.flag.year,
                auc=t.number(check.metrics.auc, 3),
                method=check.method,
            )
        )
    lines.append(f"   {spec.attributions()}")
    return lines
