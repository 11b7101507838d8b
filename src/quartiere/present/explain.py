"""``quartiere explain``: the story of one planning area, value by value, with its sources.

The story is told from :class:`Sources`: the build's layers (each planning area's values, flags,
``n_criteria``, decision and number; each area's figures), and, behind them, the inputs and the
harmonized values (which catchments and source planning areas overlap it, their values, the
schools, the MSS's remarks). It is worded in the build's language (``language:``, German by
default), every word from the catalogue (:mod:`quartiere.i18n`, keys ``explain.*``).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from quartiere.columns import column_label
from quartiere.config import Config
from quartiere.criteria import MSS_NOT_INDEXED, mss_notes
from quartiere.errors import InputError
from quartiere.i18n import Messages
from quartiere.model import CRITERIA
from quartiere.present.explain_basis import Sources, lmb_source_word, percent, word
from quartiere.present.explain_schools import school_lines
from quartiere.provenance import cut_changes, cut_record, input_years
from quartiere.record import BuildInfo
from quartiere.result import BuildResult

__all__ = ["Sources", "explain", "explain_sources", "lmb_source_word", "percent"]

#: the MSS indexes only planning areas with more inhabitants than this
_MSS_MIN_INHABITANTS = 300
_SMALL_NOTE = re.compile(r"unter\s+300\s+EW", re.IGNORECASE)
#: overlaps below this share of a planning area are boundary slivers, counted but not listed
_SLIVER = 0.005


def _verdict(t: Messages, flag: Any) -> str:
    if flag is None or pd.isna(flag):
        return t("explain.no_data")
    return t("explain.met") if int(flag) == 1 else t("explain.not_met")


def _rule_text(t: Messages, config: Config) -> str:
    def quoted(values: list[str]) -> str:
        return t("explain.rule_or").join(t("explain.quoted", text=v) for v in values)

    alternatives = []
    for rule in config.criteria.mss.attention:
        parts = []
        if rule.status:
            parts.append(t("explain.rule_status", values=quoted(list(rule.status))))
        if rule.dynamic:
            parts.append(t("explain.rule_dynamic", values=quoted(list(rule.dynamic))))
        alternatives.append(t("explain.rule_with").join(parts))
    return t("explain.rule_alternative").join(alternatives)


def _mss_no_data(s: Sources, t: Messages, plr_id: str, population: Any) -> str:
    """Why the MSS gives this PLR no data: the table's remark when it has one; else that the
    table lists it without an index, or leaves it out; "more than 300 inhabitants" only when the
    population table shows it has no more than 300."""
    mss = s.config.mss
    small = pd.notna(population) and float(population) <= _MSS_MIN_INHABITANTS
    note = mss_notes(s.inputs.mss_unindexed, pd.Index([plr_id])).iloc[0]
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


def _unknown_plr(s: Sources, plr_id: str, known: pd.Index) -> InputError:
    config = s.config
    close = [p for p in known if p.startswith(plr_id[:6])][:3]
    hint = f"; nearby ids: {', '.join(close)}" if close else ""
    zones, zones_spec = s.inputs.atlas_zones, config.atlas.zones
    if zones is not None and zones_spec is not None and plr_id in zones.index:
        hint = (
            f"; it is a planning area of {zones_spec.path.parent.name}: explain it with an "
            "edition on those planning areas (config/editions/)"
        )
    return InputError(
        f"no planning area {plr_id!r} in {config.planning_areas.generation} "
        f"(ids are 8 digits){hint}",
        config.planning_areas.path.name,
    )


def _slivers(t: Messages, key: str, n: int) -> str:
    return t(key, n=n, plural="" if n == 1 else "s", share=percent(t, _SLIVER, 1))


def _mss_lines(s: Sources, t: Messages, plr_id: str, row: pd.Series) -> list[str]:
    mss = s.config.mss
    lines = [t("explain.mss_head", edition=mss.edition, verdict=_verdict(t, row["c_mss"]))]
    if pd.isna(row["c_mss"]):
        lines.append("   " + _mss_no_data(s, t, plr_id, row["population"]))
    else:
        lines.append(
            t(
                "explain.mss_values",
                status=row["mss_status"],
                dynamic=row["mss_dynamic"],
                file=mss.path.name,
                status_column=column_label(mss.status).removeprefix("column "),
                dynamic_column=column_label(mss.dynamic).removeprefix("column "),
            )
        )
    lines.append(t("explain.rule", rule=_rule_text(t, s.config)))
    return lines


def _catchment_value(s: Sources, t: Messages, esb: Any, code: str) -> str:
    harmonized, threshold = s.harmonized, s.config.criteria.schools.lmb_threshold
    lmb = harmonized.lmb_share.get(esb, float("nan"))
    if pd.isna(lmb):
        if harmonized.lmb_source == "estimate":
            return t("explain.nothing_to_estimate")
        return t("explain.not_in_table")
    basis = ""
    if harmonized.catchment_child_poverty is not None:
        s4 = harmonized.catchment_child_poverty.get(esb, float("nan"))
        if pd.notna(s4):
            basis = t("explain.lmb_basis", code=code, value=t.number(s4, 1))
    mark = "explain.at_threshold" if lmb >= threshold else "explain.below_threshold"
    return t(
        "explain.lmb_value",
        lmb=t.number(lmb, 1),
        source=lmb_source_word(t, harmonized.lmb_source),
        basis=basis,
        mark=t(mark),
    )


def _schools_lines(s: Sources, t: Messages, plr_id: str, row: pd.Series) -> list[str]:
    config, harmonized = s.config, s.harmonized
    schools = config.criteria.schools
    lines = [
        t(
            "explain.schools_head",
            threshold=t.short(schools.lmb_threshold),
            verdict=_verdict(t, row["c_schools"]),
        )
    ]
    share = row["lmb_area_share"]
    if pd.isna(share):
        lines.append(t("explain.schools_uncovered", share=percent(t, schools.min_coverage)))
    else:
        lines.append(
            t(
                "explain.schools_share",
                share=percent(t, share),
                minimum=percent(t, schools.min_area_share),
            )
        )
    declared = config.child_poverty_indicator()
    code = declared.code if declared is not None else config.child_poverty.column
    overlaps = harmonized.catchment_overlaps
    mine = overlaps[overlaps["target"] == plr_id].sort_values("target_share", ascending=False)
    # Catchment and PLR boundaries do not quite match: slivers would only clutter the answer.
    shown = mine[mine["target_share"] >= _SLIVER]
    for _, o in shown.iterrows():
        lines.append(
            t(
                "explain.catchment",
                id=o["source"],
                share=percent(t, o["target_share"]),
                value=_catchment_value(s, t, o["source"], code),
            )
        )
    slivers = len(mine) - len(shown)
    if slivers:
        lines.append(_slivers(t, "explain.catchment_slivers", slivers))
    if harmonized.schools is not None and config.catchments.lmb_source == "schools":
        lines += school_lines(s, t, plr_id, [str(c) for c in shown["source"]])
    elif harmonized.lmb_source == "estimate":
        estimate = config.catchments.estimate
        assert estimate is not None
        lines.append(
            t(
                "explain.lmb_estimate",
                edition=config.mss.edition,
                poverty=config.child_poverty_label(t.language),
                file=config.child_poverty.path.name,
                factor=t.number(harmonized.lmb_factor, 3),
                mean=t.short(estimate.citywide_mean),
                catchments=config.catchments.path.name,
                school_year=config.catchments.school_year,
            )
        )
    else:
        assert config.catchments.official is not None
        lines.append(t("explain.lmb_official", file=config.catchments.official.path.name))
    return lines


def _atlas_lines(
    s: Sources, t: Messages, plr_id: str, row: pd.Series, previous_info: BuildInfo | None
) -> list[str]:
    config, layer = s.config, s.planning_areas
    atlas = config.criteria.atlas
    strata = ", ".join(map(str, atlas.flag_strata))
    lines = [
        t(
            "explain.atlas_head",
            strata=strata,
            n=atlas.strata,
            verdict=_verdict(t, row["c_atlas"]),
            of=atlas.approximation_of,
        )
    ]
    value = row["atlas_value"]
    column = config.atlas.column
    # the atlas criterion counts its own inhabitants (atlas.population), not the edition's
    atlas_population = s.inputs.atlas_population
    own = row["population"] if atlas_population is None else atlas_population.get(plr_id)
    inhabited = own is not None and pd.notna(own) and own > 0
    overlaps = s.harmonized.atlas_overlaps
    if pd.isna(value) and overlaps is not None and not inhabited:
        lines.append(t("explain.atlas_uninhabited", column=column))
    elif pd.isna(value):
        lines.append(t("explain.atlas_no_value", column=column))
    else:
        flagged = layer.loc[layer["atlas_stratum"].isin(atlas.flag_strata), "atlas_value"]
        bound = t("explain.atlas_bound", value=t.number(flagged.max(), 3)) if len(flagged) else ""
        lines.append(
            t(
                "explain.atlas_value",
                column=column,
                value=t.number(value, 3),
                stratum=int(row["atlas_stratum"]),
                n=atlas.strata,
                method=atlas.method,
                bound=bound,
            )
        )
    if overlaps is not None:
        assert config.atlas.zones is not None
        zones = config.atlas.zones.path
        mine = overlaps[overlaps["target"] == plr_id]
        total = mine["weight"].sum()
        lines.append(
            t(
                "explain.atlas_transfer",
                file=config.atlas.path.name,
                zones=f"{zones.parent.name}/{zones.name}",
                weight=word(
                    t, "explain.weight", config.atlas.weight, f"{config.atlas.weight}-weighted"
                ),
            )
        )
        shown = mine[mine["target_share"] >= _SLIVER].sort_values("weight", ascending=False)
        for _, o in shown.iterrows():
            v = s.inputs.atlas.get(o["source"], float("nan"))
            weight = o["weight"] / total if total > 0 else float("nan")
            lines.append(
                t(
                    "explain.atlas_source",
                    id=o["source"],
                    weight=percent(t, weight, 1),
                    share=percent(t, o["target_share"]),
                    value=t("explain.not_in_table")
                    if pd.isna(v)
                    else t("explain.atlas_source_value", value=t.number(v, 3)),
                )
            )
        if len(mine) > len(shown):
            lines.append(_slivers(t, "explain.atlas_slivers", len(mine) - len(shown)))
    else:
        lines.append(t("explain.atlas_file", file=config.atlas.path.name, column=column))
    flagged = layer.loc[layer["c_atlas"] == 1, "atlas_value"]
    lines.append(
        t(
            "explain.atlas_cut",
            strata=strata,
            n=atlas.strata,
            method=atlas.method,
            column=column,
            bound=f"<= {t.number(flagged.max(), 4)}"
            if len(flagged)
            else t("explain.atlas_cut_none"),
            valued=int(layer["atlas_value"].notna().sum()),
            flagged=len(flagged),
            population=dict(input_years(config, t))["atlas_population"],
        )
    )
    if previous_info is not None:
        for cut in cut_changes(previous_info, cut_record(layer, config)):
            lines.append(t("explain.cut_moved", old=cut.old, reasons="; ".join(cut.reasons)))
    return lines


def _outcome_lines(s: Sources, t: Messages, row: pd.Series) -> list[str]:
    config = s.config
    extra = sorted(config.criteria.extra)
    n = int(row["n_criteria"])
    lines = [t("explain.criteria_met", n=n, total=len(CRITERIA) + len(extra))]
    if extra:  # registered criteria are no columns of the layer: their count is n less the three
        builtin = sum(1 for c in CRITERIA if pd.notna(row[c]) and int(row[c]) == 1)
        lines.append(
            t("explain.extra_met", names=", ".join(extra), n=n - builtin, total=len(extra))
        )
    rules = config.delineation
    lines.append(t("explain.delineation", seed=rules.seed, join=rules.join, border=rules.border))
    lines.append(f"   {row['decision']}")
    hr_id = row["hr_id"]
    if isinstance(hr_id, str) and hr_id:  # missing (None) outside every area
        area: pd.Series = s.areas.set_index("hr_id").loc[hr_id]  # type: ignore[assignment]
        n_plr = int(area["n_plr"])
        lines.append(
            t(
                "explain.area",
                hr_id=hr_id,
                name=area["hr_name"],
                plrs=t("explain.plr_one" if n_plr == 1 else "explain.plr_many", n=n_plr),
                population=t.number(area["population"]),
                km2=t.number(area["area_km2"], 2),
            )
        )
    return lines


def _source_lines(s: Sources, t: Messages) -> list[str]:
    if s.read_from is None:
        against = ""
        if s.numbered_against is not None:
            against = t("explain.computed_against", file=s.numbered_against)
        return [t("explain.computed", against=against)]
    lines = [t("explain.read_from", file=s.read_from)]
    if s.reworded:
        other = "en" if s.language == "de" else "de"
        lines.append(t("explain.reworded", language=t(f"explain.language.{other}")))
    return lines


def explain_sources(s: Sources, plr_id: str, previous_info: BuildInfo | None = None) -> str:
    """A plain-text answer to "why is this PLR in or out?", ready to forward to a colleague.

    Parameters
    ----------
    s
        The build's layers and the inputs behind them.
    plr_id
        The planning area (8 digits).
    previous_info
        The ``build_info`` of the build the areas are numbered against; when a criterion's cut
        differs from it, the answer says so and why.

    Raises
    ------
    InputError
        No such planning area (with nearby ids, or the LOR generation it belongs to).
    """
    config = s.config
    t = Messages(s.language)
    plr = s.planning_areas.set_index("plr_id")
    if plr_id not in plr.index:
        raise _unknown_plr(s, plr_id, plr.index)
    row: pd.Series = plr.loc[plr_id]  # type: ignore[assignment]  # ids are unique
    population = row["population"]
    lines = [
        f"Planungsraum {plr_id} {row['plr_name']} (Bezirksregion {row['bzr_name']}, "
        f"Bezirk {row['bezirk']})",
        t(
            "explain.edition",
            edition=config.edition,
            generation=config.planning_areas.generation,
            file=config.planning_areas.path.name,
        ),
        t(
            "explain.inhabitants",
            population=t("explain.unknown") if pd.isna(population) else t.number(population),
            file=config.population.path.name,
            column=config.population.column,
        ),
        "",
        *_mss_lines(s, t, plr_id, row),
        "",
        *_schools_lines(s, t, plr_id, row),
        "",
        *_atlas_lines(s, t, plr_id, row, previous_info),
        "",
        *_outcome_lines(s, t, row),
        "",
        *_source_lines(s, t),
    ]
    return "\n".join(lines)


def explain(
    result: BuildResult,
    plr_id: str,
    previous_info: BuildInfo | None = None,
    *,
    language: str | None = None,
) -> str:
    """:func:`explain_sources` of a result computed in memory (:func:`quartiere.compute`), in
    ``language`` (default its configuration's)."""
    return explain_sources(Sources.of_result(result, language=language), plr_id, previous_info)
