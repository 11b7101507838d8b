"""``summary.md``: every area and the citywide totals as Markdown, written atomically."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd

_CRITERIA = {"n_c_mss": "MSS", "n_c_schools": "schools", "n_c_atlas": "social atlas"}


def _criteria_text(row: pd.Series, n_plr: int) -> str:
    met = [
        f"{label} {int(row[col])}/{n_plr}"
        for col, label in _CRITERIA.items()
        if col in row.index and pd.notna(row[col]) and int(row[col]) > 0
    ]
    return ", ".join(met) if met else "none"


def _summary(
    areas: gpd.GeoDataFrame,
    planning_areas: gpd.GeoDataFrame,
    edition: str,
    estimates: Sequence[str],
    coverage: Sequence[str] = (),
) -> str:
    lines = [f"# Handlungsräume: {edition}", ""]
    if coverage:
        lines += [f"Input coverage: {'; '.join(coverage)}.", ""]
    lines += [
        "| Nr. | Name | Bezirk | PLR | Population | Criteria met (PLR) |",
        "|---|---|---|---:|---:|---|",
    ]
    members = planning_areas[planning_areas["hr_id"].fillna("") != ""]
    for _, row in areas.sort_values("hr_id", kind="stable").iterrows():
        n_plr = int(row["n_plr"])
        lines.append(
            f"| {row['hr_id']} | {row['hr_name']} | {row['bezirk']} | {n_plr} | "
            f"{int(row['population']):,} | {_criteria_text(row, n_plr)} |"
        )
    lines += ["", "## Planning areas per Handlungsraum", ""]
    for _, row in areas.sort_values("hr_id", kind="stable").iterrows():
        own = members[members["hr_id"] == row["hr_id"]].sort_values("plr_id")
        listed = (
            ", ".join(f"{p} {n}" for p, n in zip(own["plr_id"], own["plr_name"], strict=True))
            if len(own)
            else str(row.get("plr_ids", ""))
        )
        lines.append(f"- **{row['hr_id']} {row['hr_name']}**: {listed}")

    total_pop = int(planning_areas["population"].sum())
    area_pop = int(areas["population"].sum()) if len(areas) else 0
    share = 100 * area_pop / total_pop if total_pop else 0.0
    lines += [
        "",
        "## Citywide totals",
        "",
        f"- Handlungsräume (incl. parts): {len(areas)}",
        f"- Planning areas in a Handlungsraum: {len(members)} of {len(planning_areas)}",
        f"- Population in Handlungsräume: {area_pop:,} of {total_pop:,} ({share:.1f} %)",
    ]
    for column, label in (("c_mss", "MSS"), ("c_schools", "schools"), ("c_atlas", "social atlas")):
        if column in planning_areas:
            flagged = int((pd.to_numeric(planning_areas[column], errors="coerce") == 1).sum())
            lines.append(f"- Planning areas meeting the {label} criterion: {flagged}")
    counts = pd.to_numeric(planning_areas["n_criteria"], errors="coerce").fillna(0).astype(int)
    distribution = ", ".join(f"{k}: {int((counts == k).sum())}" for k in range(4))
    lines.append(f"- Planning areas by number of criteria met: {distribution}")
    if estimates:
        lines += ["", "## Estimates and approximations", ""]
        lines += [f"- {sentence}" for sentence in estimates]
    return "\n".join(lines) + "\n"


def summary_markdown(
    areas: gpd.GeoDataFrame,
    planning_areas: gpd.GeoDataFrame,
    *,
    edition: str,
    estimates: Sequence[str],
    coverage: Sequence[str] = (),
) -> str:
    """The text of ``summary.md``: each area with its planning areas and criteria, and totals.

    Parameters
    ----------
    areas
        Layer ``handlungsraeume`` (hr_id, hr_name, bezirk, n_plr, population, n_c_* counts).
    planning_areas
        Layer ``planungsraeume`` (plr_id, plr_name, population, c_* flags, n_criteria, hr_id).
    edition
        Edition label shown in the heading.
    estimates
        Sentences saying which values are estimates or approximations.
    coverage
        One phrase per input, e.g. ``"mss: 536 of 542 planning areas (98.9 %)"``, shown first.
    """
    return _summary(areas, planning_areas, edition, estimates, coverage)
