"""``summary.md``: every area and the citywide totals as Markdown, in the configured language.

German by default, English with ``language: en``; the words are in the message catalogue
(:mod:`quartiere.i18n`), numbers are formatted as the language writes them (``184.383``).
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd

from quartiere.i18n import Messages

_MARKDOWN = str.maketrans(
    {c: f"\\{c}" for c in "\\`*_[]|#"} | {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
)


def md(text: object) -> str:
    r"""A name as Markdown text: table bars, emphasis, links and HTML written as characters.

    >>> md("A | B <script>")
    'A \\| B &lt;script&gt;'
    """
    return " ".join(str(text).split()).translate(_MARKDOWN)


CRITERIA = ("c_mss", "c_schools", "c_atlas")
"""The criteria in the order summary.md lists them; ``n_<criterion>`` counts them per area."""


def _criteria_text(row: pd.Series, n_plr: int, t: Messages) -> str:
    met = [
        f"{t(criterion)} {int(row[f'n_{criterion}'])}/{n_plr}"
        for criterion in CRITERIA
        if f"n_{criterion}" in row.index
        and pd.notna(row[f"n_{criterion}"])
        and int(row[f"n_{criterion}"]) > 0
    ]
    return ", ".join(met) if met else t("summary_none")


def summary_markdown(
    areas: gpd.GeoDataFrame,
    planning_areas: gpd.GeoDataFrame,
    *,
    edition: str,
    estimates: Sequence[str],
    coverage: Sequence[str] = (),
    language: str = "de",
    inputs: Sequence[str] = (),
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
        Sentences saying which values are estimates or approximations (in ``language``).
    coverage
        One phrase per input, e.g. ``"mss: 536 von 542 Planungsräumen (98,9 %)"``, shown first.
    language
        ``de`` (default) or ``en``.
    inputs
        Every input that feeds a value, with its year (:func:`quartiere.provenance.input_years`).
    """
    t = Messages(language)
    lines = [f"# {t('summary_title', edition=edition)}", ""]
    if inputs:
        lines += [t("summary_inputs", items="; ".join(inputs)), ""]
    if coverage:
        lines += [t("summary_coverage", items="; ".join(coverage)), ""]
    lines += [t("summary_columns"), "|---|---|---|---:|---:|---|"]
    members = planning_areas[planning_areas["hr_id"].fillna("") != ""]
    ordered = areas.sort_values("hr_id", kind="stable")
    for _, row in ordered.iterrows():
        n_plr = int(row["n_plr"])
        lines.append(
            f"| {md(row['hr_id'])} | {md(row['hr_name'])} | {md(row['bezirk'])} | {n_plr} | "
            f"{t.number(row['population'])} | {_criteria_text(row, n_plr, t)} |"
        )
    lines += ["", f"## {t('summary_members')}", ""]
    for _, row in ordered.iterrows():
        own = members[members["hr_id"] == row["hr_id"]].sort_values("plr_id")
        listed = (
            ", ".join(
                f"{md(p)} {md(n)}" for p, n in zip(own["plr_id"], own["plr_name"], strict=True)
            )
            if len(own)
            else str(row.get("plr_ids", ""))
        )
        lines.append(f"- **{md(row['hr_id'])} {md(row['hr_name'])}**: {listed}")

    total_pop = int(planning_areas["population"].sum())
    area_pop = int(areas["population"].sum()) if len(areas) else 0
    share = 100 * area_pop / total_pop if total_pop else 0.0
    lines += [
        "",
        f"## {t('summary_totals')}",
        "",
        f"- {t('summary_n_areas', n=len(areas))}",
        f"- {t('summary_n_plr', n=len(members), total=len(planning_areas))}",
        "- "
        + t(
            "summary_population",
            n=t.number(area_pop),
            total=t.number(total_pop),
            share=t.number(share, 1),
        ),
    ]
    for criterion in CRITERIA:
        if criterion in planning_areas:
            flagged = int((pd.to_numeric(planning_areas[criterion], errors="coerce") == 1).sum())
            lines.append(f"- {t('summary_criterion', label=t(criterion), n=flagged)}")
    counts = pd.to_numeric(planning_areas["n_criteria"], errors="coerce").fillna(0).astype(int)
    distribution = ", ".join(f"{k}: {int((counts == k).sum())}" for k in range(4))
    lines.append(f"- {t('summary_distribution', distribution=distribution)}")
    if estimates:
        lines += ["", f"## {t('summary_estimates')}", ""]
        lines += [f"- {sentence}" for sentence in estimates]
    return "\n".join(lines) + "\n"
