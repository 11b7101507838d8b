"""Which input, of which year, feeds which value: the one list every output names its inputs from.

An edition (``config/editions/*.yaml``) names its tables and their years; an input of another
year than the MSS edition (the school year of the catchments, the atlas, the k05 context table of
an earlier MSS when the edition has none) is named with its year wherever its values are shown.
:func:`input_years` gives that list as ``(key, text)`` pairs, in English for ``build_info`` and in
the build's language for the summary; :func:`atlas_cut` states where the atlas criterion cuts.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from quartiere.config import Config
from quartiere.i18n import Messages
from quartiere.record import BuildInfo

__all__ = [
    "CutChange",
    "atlas_cut",
    "cut_changes",
    "cut_record",
    "input_lines",
    "map_caption",
    "input_years",
]


def input_years(config: Config, t: Messages | None = None) -> list[tuple[str, str]]:
    """Every input that feeds a value, with its year, as ``(key, text)`` pairs.

    Parameters
    ----------
    config
        The edition's configuration.
    t
        The words (``messages.yaml``); English without.

    Returns
    -------
    list of (str, str)
        Keys ``mss``, ``population``, ``child_poverty``, ``catchments``, ``schools``,
        ``extra.<label>``, ``atlas``, ``atlas_population``, ``planning_areas``, each with a
        sentence naming the file and its year.
    """
    t = t or Messages("en")
    edition = config.mss.edition

    def year_of(year: int | None) -> str:
        return t("provenance_year", year=year) if year is not None else t("provenance_no_year")

    rows = [
        ("mss", t("provenance_mss", file=config.mss.path.name, year=edition)),
        (
            "population",
            t(
                "provenance_table",
                file=config.population.path.name,
                year=year_of(config.population.year),
            ),
        ),
        (
            "child_poverty",
            t(
                "provenance_table",
                file=config.child_poverty.path.name,
                year=year_of(config.child_poverty.year),
            ),
        ),
        (
            "catchments",
            t(
                "provenance_catchments",
                file=config.catchments.path.name,
                school_year=config.catchments.school_year,
            ),
        ),
    ]
    if config.schools is not None:
        rows.append(
            (
                "schools",
                t(
                    "provenance_schools",
                    file=config.schools.path.name,
                    school_year=config.schools.school_year,
                ),
            )
        )
        for extra in config.schools.estimate.extra if config.schools.estimate else []:
            text = t("provenance_table", file=extra.path.name, year=year_of(extra.year))
            if extra.why:
                text += t("provenance_why", why=extra.why)
            rows.append((f"extra.{extra.label}", text))
    rows.append(
        ("atlas", t("provenance_atlas", file=config.atlas.path.name, label=config.atlas.label))
    )
    population = config.atlas.population
    rows.append(
        (
            "atlas_population",
            t("provenance_table", file=population.path.name, year=year_of(population.year))
            if population is not None
            else t("provenance_atlas_population_edition"),
        )
    )
    rows.append(
        (
            "planning_areas",
            t(
                "provenance_lor",
                file=config.planning_areas.path.name,
                generation=config.planning_areas.generation,
            ),
        )
    )
    return rows


def input_lines(config: Config, t: Messages) -> list[str]:
    """:func:`input_years` as ``"role: file (year)"`` phrases in the language of ``t``."""
    lines = []
    for key, text in input_years(config, t):
        role, _, label = key.partition(".")
        lines.append(f"{t('input_role_' + role, label=label)}: {text}")
    return lines


def map_caption(config: Config, lmb_source: str, summary: str, t: Messages) -> list[str]:
    """The map's short caption in the build's language: the inputs with their years, what is an
    estimate or an approximation, and where the details are (``summary``, the summary's name)."""
    parts = [
        t("caption_mss", year=config.mss.edition),
        t("caption_catchments", school_year=config.catchments.school_year),
    ]
    if config.schools is not None:
        parts.append(t("caption_schools", school_year=config.schools.school_year))
        for extra in config.schools.estimate.extra if config.schools.estimate else []:
            parts.append(extra.title)
    parts.append(config.atlas.label)
    lines = [t("caption_inputs", items="; ".join(parts))]
    estimate = t("caption_lmb_estimate") if lmb_source == "estimate" else ""
    lines.append(
        estimate
        + t("caption_atlas", approximation_of=config.criteria.atlas.approximation_of)
        + t("caption_details", summary=summary)
    )
    return lines


def atlas_cut(planning_areas: pd.DataFrame, config: Config) -> str:
    """Where the atlas criterion cuts: the highest index value in the flagged strata, and how many
    planning areas carry a value (English, for ``build_info`` and ``diff``)."""
    rule = config.criteria.atlas
    valued = planning_areas["atlas_value"].notna()
    flagged = planning_areas.loc[planning_areas["c_atlas"] == 1, "atlas_value"]
    strata = ", ".join(map(str, rule.flag_strata))
    bound = f"<= {flagged.max():.4f}" if len(flagged) else "none"
    return (
        f"strata {strata} of {rule.strata} ({rule.method}): {config.atlas.column} {bound};"
        f" {int(valued.sum())} planning areas with a value, {len(flagged)} flagged"
    )


@dataclass(frozen=True)
class CutChange:
    """A criterion whose cut moved between two builds: the cut before and after, and why."""

    criterion: str
    old: str
    new: str
    reasons: tuple[str, ...]


# build_info keys that describe each criterion's inputs (``input_year.<key>``)
_CUT_INPUTS = {"c_atlas": ("atlas", "atlas_population", "planning_areas")}


def cut_record(planning_areas: pd.DataFrame, config: Config) -> BuildInfo:
    """The record :func:`cut_changes` compares, for a result not yet written."""
    return BuildInfo(
        input_years=tuple(input_years(config)), atlas_cut=atlas_cut(planning_areas, config)
    )


def cut_changes(old: BuildInfo, new: BuildInfo) -> list[CutChange]:
    """The criteria whose cut differs between two builds' records, with what changed in their
    inputs: the input files and years, the files' hashes, the rule itself.

    A build without the record (made before it was kept) compares as unknown: nothing is said.
    """
    changes = []
    for criterion, keys in _CUT_INPUTS.items():
        before, after = old.atlas_cut, new.atlas_cut
        if before is None or after is None or before == after:
            continue
        reasons = []
        for key in keys:
            a, b = old.input_year(key), new.input_year(key)
            if a != b:
                reasons.append(f"{key}: {a or 'not recorded'} -> {b or 'not recorded'}")
            else:
                # the same file by name whose content is new (keys are paths as the configuration
                # wrote them, which differ between editions)
                name = (b or "").split(" ", 1)[0].rstrip(":")
                if name and new.input_digests(name) - old.input_digests(name):
                    reasons.append(f"{key}: {name} changed (sha256)")
        if not reasons and old.config_hash != new.config_hash:
            reasons.append("the configuration differs (config_hash)")
        if not reasons:
            reasons.append("no recorded input of the criterion changed")
        changes.append(CutChange(criterion, before, after, tuple(reasons)))
    return changes
