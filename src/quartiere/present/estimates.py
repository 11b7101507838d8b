"""The sentences of a build about its estimates and approximations, and its attribution."""

from __future__ import annotations

from quartiere import ATTRIBUTION
from quartiere.config import Config
from quartiere.i18n import Messages
from quartiere.result import BuildResult

__all__ = ["attribution", "estimates_text"]


def estimates_text(result: BuildResult, t: Messages | None = None) -> list[str]:
    """Sentences saying which values are estimates or approximations, in the language of ``t``
    (English without, as recorded in ``build_info``)."""
    t = t or Messages("en")
    config = result.config

    def short(value: float) -> str:  # like :g, in the language's number format
        return t.number(value, 0 if float(value).is_integer() else 2)

    lines = []
    if result.harmonized.schools is not None and config.schools is not None:
        from quartiere.schools.report import schools_text

        lines += schools_text(
            result.harmonized.schools,
            config.schools,
            config.criteria.schools.lmb_threshold,
            t(
                "schools_edition_year",
                edition=config.mss.edition,
                school_year=config.catchments.school_year,
            ),
            catchments_from_schools=config.catchments.lmb_source == "schools",
            t=t,
            catchments_school_year=config.catchments.school_year,
            indicator=config.child_poverty_label(t.language),
        )
    elif result.harmonized.lmb_source == "estimate":
        assert config.catchments.estimate is not None
        lines.append(
            t(
                "estimate_lmb",
                edition=config.mss.edition,
                indicator=config.child_poverty_label(t.language),
                factor=t.number(result.harmonized.lmb_factor, 3),
                mean=short(config.catchments.estimate.citywide_mean),
            )
        )
        lines.append(
            t(
                "estimate_lmb_flagged",
                n_flagged=int((result.catchments["flagged"] == 1).sum()),
                n_catchments=len(result.catchments),
                threshold=short(config.criteria.schools.lmb_threshold),
                n_plr=int((result.planning_areas["c_schools"] == 1).sum()),
            )
        )
    atlas = config.criteria.atlas
    transferred = ""
    if config.atlas.zones is not None:
        transferred = t(
            "atlas_transferred",
            generation=config.atlas.zones.path.parent.name,
            weight=t(f"weight_{config.atlas.weight}"),
        )
    lines.append(
        t(
            "approximation_atlas",
            approximation_of=atlas.approximation_of,
            flag_strata=", ".join(map(str, atlas.flag_strata)),
            strata=atlas.strata,
            method=atlas.method,
            label=config.atlas.label,
            transferred=transferred,
        )
    )
    return lines


def attribution(config: Config) -> str:
    """The attribution of the build's data: the Berlin open data, and the school list if used."""
    return ATTRIBUTION + (f"; {config.schools.attributions()}" if config.schools else "")
