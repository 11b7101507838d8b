"""Sentences about the per-school values for summary, map, GeoPackage metadata and build_info.

The words are the ``schools_*`` entries of ``messages.yaml``: German or English as the
configuration's ``language`` says; ``build_info`` keeps English (no ``Messages`` given).
"""

from __future__ import annotations

from quartiere.config_schools import SchoolsInput
from quartiere.i18n import Messages
from quartiere.schools import SchoolsResult

__all__ = ["schools_text"]


def schools_text(
    result: SchoolsResult,
    spec: SchoolsInput,
    threshold: float,
    edition_year: str,
    catchments_from_schools: bool = True,
    t: Messages | None = None,
    indicator: str = "s4",
) -> list[str]:
    """What the school values are, where they come from, how well they match the flags, in the
    language of ``t`` (English without).

    ``indicator``: the ranking's MSS indicator as the edition declares it
    (:meth:`quartiere.config.Config.child_poverty_label`, e.g. ``Kinderarmut (s4)``).
    """
    t = t or Messages("en")
    n = len(result.schools)
    n_flagged = int(result.flagged(threshold).sum())
    lines = [
        t(
            "schools_list",
            n=n,
            types="/".join(spec.types),
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
            t("schools_extra", label=e.label, weight=t.short(e.weight)) for e in spec.estimate.extra
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
        flag = spec.flags[0]
        method = (
            t("schools_out_of_fold", share=t.short(flag.share))
            if result.validation_out_of_fold
            else t("schools_in_sample")
        )
        lines.append(
            t(
                "schools_validation",
                column=flag.column,
                means=flag.means,
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
    if catchments_from_schools:
        notes = "; ".join(t(key, **values) for key, values in result.notes)
        lines.append(t("schools_catchment_mean", notes=notes))
    else:
        lines.append(t("schools_own_table"))
    return lines
