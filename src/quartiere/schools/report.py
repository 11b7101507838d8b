"""Sentences about the per-school values for summary, map, GeoPackage metadata and build_info."""

from __future__ import annotations

from quartiere.config_schools import SchoolsInput
from quartiere.schools import SchoolsResult

__all__ = ["schools_text"]


def schools_text(
    result: SchoolsResult,
    spec: SchoolsInput,
    threshold: float,
    edition_year: str,
    catchments_from_schools: bool = True,
) -> list[str]:
    """What the school values are, where they come from, how well they match the flags."""
    n = len(result.schools)
    n_flagged = int(result.flagged(threshold).sum())
    lines = [
        f"Schools: {n} {'/'.join(spec.types)} from {spec.path.name} (school year "
        f"{spec.school_year}; it does not match this edition's year, {edition_year}). "
        f"{spec.attribution}."
    ]
    if result.lmb_source == "estimate":
        assert result.calibration is not None and spec.estimate is not None
        anchors = "; ".join(
            f"{a.count} schools >= {a.share:g} % ({a.source})" for a in result.calibration.anchors
        )
        extra = "".join(f" and {e.label} (weight {e.weight:g})" for e in spec.estimate.extra)
        lines.append(
            f"lmb_share per school is an ESTIMATE (lmb_source = 'estimate'): MSS child poverty "
            f"(s4){extra} around each school (Gaussian kernel {spec.estimate.bandwidth_m:g} m, "
            f"population-weighted) ranks the schools; a quantile mapping sets the scale so that "
            f"{anchors}. {n_flagged} of {n} schools reach {threshold:g} %."
        )
    else:
        lines.append(
            f"lmb_share per school is OFFICIAL (column {spec.official_share}); "
            f"{n_flagged} of {n} schools reach {threshold:g} %."
        )
    if result.validation is not None:
        v = result.validation
        flag = spec.flags[0]
        lines.append(
            f"Validation against {flag.column} ({flag.means}, {flag.year}; the list does not "
            f"say so itself): AUC {v.auc:.3f}, balanced accuracy {v.balanced_accuracy:.3f}, "
            f"precision {v.precision:.3f}, recall {v.recall:.3f} of 'estimate >= "
            f"{flag.share:g} %' ({v.n} schools, {v.n_flagged} flagged; "
            f"{result.validation_method.split(';')[0]})."
        )
    if catchments_from_schools:
        lines.append(
            "Catchment lmb_share is the mean of its schools' values; "
            + "; ".join(result.notes)
            + "."
        )
    else:
        lines.append("The criterion reads the catchments' own lmb table, not these school values.")
    return lines
