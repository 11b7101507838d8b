"""Sentences about the per-school values for summary, map, GeoPackage metadata and build_info.

The words are the ``schools_*`` entries of ``messages.yaml``: German or English as the
configuration's ``language`` says; ``build_info`` keeps English (no ``Messages`` given).
"""

from __future__ import annotations

from quartiere.config_schools import SchoolsInput
from quartiere.i18n import Messages
from quartiere.schools import SchoolsResult
from quartiere.schools.school_list import flag_column

__all__ = ["schools_text"]


def schools_text(
    result: SchoolsResult,
    spec: SchoolsInput,
    threshold: float,
    edition_year: str,
    catchments_from_schools: bool = True,
    t: Messages | None = None,
    catchments_school_year: str | None = None,
    indicator: str = "s4",
) -> list[str]:
    """What the school values are, where they come from, how well they match the flags, in the
    language of ``t`` (English without).

    ``edition_year`` names the edition's years (MSS edition, catchments' school year); when the
    school list is of the catchments' school year (``catchments_school_year``), the first line
    says so instead of "it does not match this edition's year".
    ``indicator``: the ranking's MSS indicator as the edition declares it
    (:meth:`quartiere.config.Config.child_poverty_label`, e.g. ``Kinderarmut (s4)``).
    """
    t = t or Messages("en")
    n = len(result.schools)
    n_flagged = int(result.flagged(threshold).sum())
    types = "/".join(spec.types)
    if spec.ownership is not None and spec.ownerships is not None:
        types += f" ({spec.ownership}: {'/'.join(spec.ownerships)})"
    same_year = catchments_school_year is not None and catchments_school_year == spec.school_year
    lines = [
        t(
            "schools_list_catchment_year" if same_year else "schools_list",
            n=n,
            types=types,
            file=spec.path.name,
            school_year=spec.school_year,
            edition_year=edition_year,
            attribution=spec.attribution,
        )
    ]
    if result.lmb_source == "estimate":
        assert result.calibration is not None and spec.estimate is not None
        anchors = "; ".join(
            t("schools_anchor", count=a.count, share=t.short(a.share), source=a.source)
            for a in result.calibration.anchors
        )
        extra = "".join(
            t("schools_extra", label=e.title, weight=t.short(e.weight)) for e in spec.estimate.extra
        )
        lines.append(
            t(
                "schools_estimate",
                indicator=indicator,
                extra=extra,
                bandwidth=t.short(spec.estimate.bandwidth_m),
                anchors=anchors,
                n_flagged=n_flagged,
                n=n,
                threshold=t.short(threshold),
            )
        )
    else:
        lines.append(
            t(
                "schools_official",
                column=spec.official_share,
                n_flagged=n_flagged,
                n=n,
                threshold=t.short(threshold),
            )
        )
    if result.validation is not None:
        v = result.validation
        flag = next(f for f in spec.flags if not f.validation_only)
        assert flag.share is not None
        method = (
            t("schools_out_of_fold", share=t.short(flag.share))
            if result.validation_out_of_fold
            else t("schools_in_sample")
        )
        lines.append(
            t(
                "schools_validation",
                column=flag.column,
                means=flag.meaning(t.language),
                year=flag.year,
                auc=t.number(v.auc, 3),
                balanced_accuracy=t.number(v.balanced_accuracy, 3),
                precision=t.number(v.precision, 3),
                recall=t.number(v.recall, 3),
                share=t.short(flag.share),
                n=v.n,
                n_flagged=v.n_flagged,
                method=method,
            )
        )
    for flag in spec.flags:
        if flag.path is not None:
            values = result.schools[flag_column(flag.column)]
            lines.append(
                t(
                    "schools_flag_joined",
                    column=flag.column,
                    file=flag.path.name,
                    id=flag.id,
                    n_flagged=int(values.fillna(0).sum()),
                    n=len(values),
                    n_unknown=int(values.isna().sum()),
                    school_year=spec.school_year,
                )
            )
    for check in result.checks:
        m = check.metrics
        key = "schools_check_top" if check.flag.share is None else "schools_check_share"
        lines.append(
            t(
                key,
                column=check.flag.column,
                means=check.flag.meaning(t.language),
                year=check.flag.year,
                auc=t.number(m.auc, 3),
                balanced_accuracy=t.number(m.balanced_accuracy, 3),
                precision=t.number(m.precision, 3),
                recall=t.number(m.recall, 3),
                share=t.short(check.flag.share) if check.flag.share is not None else "",
                n=m.n,
                n_flagged=m.n_flagged,
                hits=round(m.precision * m.n_predicted) if m.n_predicted else 0,
            )
        )
    if catchments_from_schools:
        notes = "; ".join(t(key, **values) for key, values in result.notes)
        lines.append(t("schools_catchment_mean", notes=notes))
    else:
        lines.append(t("schools_own_table"))
    return lines
