"""``quartiere explain``: the story of one planning area, value by value, with its sources."""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from quartiere.columns import column_label
from quartiere.criteria import MSS_NOT_INDEXED, mss_notes
from quartiere.errors import InputError
from quartiere.i18n import Messages
from quartiere.present.explain_schools import school_lines
from quartiere.provenance import atlas_cut, cut_changes, cut_record, input_years
from quartiere.record import BuildInfo
from quartiere.result import BuildResult

__all__ = ["explain"]

#: the MSS indexes only planning areas with more inhabitants than this
_MSS_MIN_INHABITANTS = 300
_SMALL_NOTE = re.compile(r"unter\s+300\s+EW", re.IGNORECASE)


def _fmt_int(value: float) -> str:
    return "unknown" if value is None or pd.isna(value) else f"{value:,.0f}"


def _slivers(n: int) -> str:
    return f"{n} boundary sliver{'s' if n != 1 else ''}"


def _verdict(flag: Any) -> str:
    if flag is None or pd.isna(flag):
        return "NO DATA"
    return "MET" if int(flag) == 1 else "not met"  # type: ignore[call-overload]


def _rule_text(result: BuildResult) -> str:
    alternatives = []
    for rule in result.config.criteria.mss.attention:
        parts = []
        if rule.status:
            parts.append("status " + " or ".join(f'"{s}"' for s in rule.status))
        if rule.dynamic:
            parts.append("dynamic " + " or ".join(f'"{d}"' for d in rule.dynamic))
        alternatives.append(" with ".join(parts))
    return "; or ".join(alternatives)


def _mss_no_data(result: BuildResult, plr_id: str, population: Any) -> str:
    """Why the MSS gives this PLR no data, in the configured language: the table's remark when
    it has one; else that the table lists it without an index, or leaves it out; "more than 300
    inhabitants" only when the population table shows it has no more than 300."""
    config = result.config
    mss = config.mss
    t = Messages(config.language)
    small = pd.notna(population) and float(population) <= _MSS_MIN_INHABITANTS
    note = mss_notes(result.inputs.mss_unindexed, pd.Index([plr_id])).iloc[0]
    words = {"edition": mss.edition, "file": mss.path.name}
    if pd.notna(note) and note != MSS_NOT_INDEXED:
        key = "explain.mss_note"
        if "ausreißer" in note.lower():
            key = "explain.mss_note_outlier"
        elif small and _SMALL_NOTE.search(note):
            key = "explain.mss_note_small"
        assert mss.note is not None
        return t(key, note=note, column=column_label(mss.note).removeprefix("column "), **words)
    text = t("explain.mss_unindexed" if pd.notna(note) else "explain.mss_absent", **words)
    if small:
        text += t("explain.mss_small_plr", population=t.number(population))
    return text


def explain(result: BuildResult, plr_id: str, previous_info: BuildInfo | None = None) -> str:
    """A plain-text answer to "why is this PLR in or out?", ready to forward to a colleague.

    ``previous_info``: the ``build_info`` of the build the areas are numbered against; when a
    criterion's cut differs from it, the answer says so and why.
    """
    config = result.config
    plr = result.planning_areas.set_index("plr_id")
    if plr_id not in plr.index:
        close = [p for p in plr.index if p.startswith(plr_id[:6])][:3]
        hint = f"; nearby ids: {', '.join(close)}" if close else ""
        zones, zones_spec = result.inputs.atlas_zones, config.atlas.zones
        if zones is not None and zones_spec is not None and plr_id in zones.index:
            hint = (
                f"; it is a planning area of {zones_spec.path.parent.name}: explain it with an "
                "edition on those planning areas (config/editions/)"
            )
        raise InputError(
            f"no planning area {plr_id!r} in {config.planning_areas.generation} "
            f"(ids are 8 digits){hint}",
            config.planning_areas.path.name,
        )
    row = plr.loc[plr_id]
    lines = [
        f"Planungsraum {plr_id} {row['plr_name']} (Bezirksregion {row['bzr_name']}, "
        f"Bezirk {row['bezirk']})",
        f"Edition: {config.edition}; planning areas {config.planning_areas.generation} "
        f"({config.planning_areas.path.name})",
        f"Inhabitants: {_fmt_int(row['population'])} "
        f"({config.population.path.name}, column {config.population.column})",
        "",
    ]

    # 1. MSS
    mss = config.mss
    lines.append(
        f"1. MSS {mss.edition}, area needing particular attention (c_mss): {_verdict(row['c_mss'])}"
    )
    if pd.isna(row["c_mss"]):
        lines.append("   " + _mss_no_data(result, plr_id, row["population"]))
    else:
        lines.append(
            f'   status "{row["mss_status"]}", dynamic "{row["mss_dynamic"]}" '
            f"({mss.path.name}, columns {mss.status} / {mss.dynamic})"
        )
    lines.append(f"   rule: {_rule_text(result)}")
    lines.append("")

    # 2. Schools
    schools = config.criteria.schools
    harmonized = result.harmonized
    lines.append(
        f"2. Primary-school catchments with lmb share >= {schools.lmb_threshold:g} % "
        f"(c_schools): {_verdict(row['c_schools'])}"
    )
    share = row["lmb_area_share"]
    if pd.isna(share):
        lines.append(
            f"   catchments with a known lmb share cover less than "
            f"{schools.min_coverage:.0%} of this PLR"
        )
    else:
        lines.append(
            f"   {share:.0%} of the PLR's area lies in such catchments "
            f"(rule: at least {schools.min_area_share:.0%})"
        )
    # the child poverty indicator as the edition declares it ("child poverty (s4)")
    poverty = config.child_poverty_label("en")
    declared = config.child_poverty_indicator()
    code = declared.code if declared is not None else config.child_poverty.column
    overlaps = harmonized.catchment_overlaps
    mine = overlaps[overlaps["target"] == plr_id].sort_values("target_share", ascending=False)
    # Catchment and PLR boundaries do not quite match: slivers would only clutter the answer.
    slivers = mine[mine["target_share"] < 0.005]
    for _, o in mine[mine["target_share"] >= 0.005].iterrows():
        lmb = harmonized.lmb_share.get(o["source"], math.nan)
        basis = ""
        if harmonized.catchment_child_poverty is not None:
            s4 = harmonized.catchment_child_poverty.get(o["source"], math.nan)
            basis = f" from {code} {s4:.1f} %" if pd.notna(s4) else ""
        if pd.isna(lmb):
            value = "no data (not in the table)"
            if harmonized.lmb_source == "estimate":
                value = "no data (no child poverty value to estimate from)"
        else:
            mark = ">= threshold" if lmb >= schools.lmb_threshold else "below threshold"
            value = f"lmb {lmb:.1f} % ({harmonized.lmb_source}{basis}, {mark})"
        lines.append(f"   - catchment {o['source']}: {o['target_share']:.0%} of the PLR, {value}")
    if len(slivers):
        lines.append(f"   (and {_slivers(len(slivers))} of other catchments, each < 0.5 %)")
    if harmonized.schools is not None and config.catchments.lmb_source == "schools":
        esb_shown = [str(c) for c in mine[mine["target_share"] >= 0.005]["source"]]
        lines += school_lines(result, plr_id, esb_shown)
    elif harmonized.lmb_source == "estimate":
        assert config.catchments.estimate is not None
        lines.append(
            f"   lmb source: ESTIMATE from MSS {mss.edition} {poverty} "
            f"({config.child_poverty.path.name}), population-weighted per catchment, "
            f"x {harmonized.lmb_factor:.3f} (citywide mean "
            f"{config.catchments.estimate.citywide_mean:g} %); catchments "
            f"{config.catchments.path.name} ({config.catchments.school_year})"
        )
    else:
        assert config.catchments.official is not None
        lines.append(f"   lmb source: official table {config.catchments.official.path.name}")
    lines.append("")

    # 3. Atlas
    atlas = config.criteria.atlas
    lines.append(
        f"3. Social atlas, stratum {', '.join(map(str, atlas.flag_strata))} of "
        f"{atlas.strata} (c_atlas): {_verdict(row['c_atlas'])}; an APPROXIMATION of "
        f"{atlas.approximation_of}"
    )
    value = row["atlas_value"]
    # the atlas criterion counts its own inhabitants (atlas.population), not the edition's
    atlas_population = result.inputs.atlas_population
    own = row["population"] if atlas_population is None else atlas_population.get(plr_id)
    inhabited = own is not None and pd.notna(own) and own > 0
    if pd.isna(value) and result.harmonized.atlas_overlaps is not None and not inhabited:
        lines.append(
            f"   no {config.atlas.column} value: the PLR has no inhabitants on record, so a "
            "value transferred from other planning areas would only describe its neighbours"
        )
    elif pd.isna(value):
        lines.append(f"   no {config.atlas.column} value for this PLR")
    else:
        strata = result.planning_areas.groupby("atlas_stratum")["atlas_value"].agg(["min", "max"])
        flagged = strata.loc[strata.index.isin(atlas.flag_strata)]
        bound = (
            f"; flagged strata hold values up to {flagged['max'].max():.3f}" if len(flagged) else ""
        )
        lines.append(
            f"   {config.atlas.column} = {value:.3f} -> stratum "
            f"{int(row['atlas_stratum'])} of {atlas.strata} ({atlas.method}; lower = "
            f"more disadvantaged{bound})"
        )
    if result.harmonized.atlas_overlaps is not None:
        assert config.atlas.zones is not None
        zones = config.atlas.zones.path
        ov = result.harmonized.atlas_overlaps
        mine = ov[ov["target"] == plr_id]
        total = mine["weight"].sum()
        lines.append(
            f"   transferred from {config.atlas.path.name} on the planning areas of "
            f"{zones.parent.name}/{zones.name} ({config.atlas.weight}-weighted mean of the "
            "overlapping source PLR):"
        )
        slivers = mine[mine["target_share"] < 0.005]
        shown = mine[mine["target_share"] >= 0.005].sort_values("weight", ascending=False)
        for _, o in shown.iterrows():
            v = result.inputs.atlas.get(o["source"], math.nan)
            w = o["weight"] / total if total > 0 else math.nan
            value_text = "no data (not in the table)" if pd.isna(v) else f"value {v:.3f}"
            lines.append(
                f"   - source PLR {o['source']}: weight {w:.1%}, "
                f"{o['target_share']:.0%} of this PLR's area, {value_text}"
            )
        if len(slivers):
            lines.append(f"   (and {_slivers(len(slivers))} of other source PLR, each < 0.5 %)")
    else:
        lines.append(f"   source: {config.atlas.path.name}, column {config.atlas.column}")
    years = dict(input_years(config))
    lines.append(
        f"   cut: {atlas_cut(result.planning_areas, config)}; inhabitants counted: "
        f"{years['atlas_population']}"
    )
    if previous_info is not None:
        record = cut_record(result.planning_areas, config)
        for cut in cut_changes(previous_info, record):
            lines.append(
                f"   the cut MOVED against the previous build: before {cut.old}; why: "
                + "; ".join(cut.reasons)
            )
    lines.append("")
    n = int(row["n_criteria"])
    lines.append(f"Criteria met: {n} of 3 (no data counts as not met).")
    rules = config.delineation
    lines.append(f"Delineation (seed: {rules.seed}; join: {rules.join}; border: {rules.border}):")
    lines.append(f"   {row['decision']}")
    if isinstance(row["hr_id"], str) and row["hr_id"]:  # missing (None) outside every area
        area = result.areas.set_index("hr_id").loc[row["hr_id"]]
        lines.append(
            f"   Handlungsraum {row['hr_id']} {area['hr_name']}: {int(area['n_plr'])} "
            f"planning area{'' if int(area['n_plr']) == 1 else 's'}, "
            f"{_fmt_int(area['population'])} inhabitants, "
            f"{area['area_km2']:.2f} km2"
        )
    return "\n".join(lines)
