"""Coverage of each input: the share of the zones (planning areas, catchments) it gives a value.

A partial table is not a finding: "schools criterion: 5" means little when the lmb table covers 4 of
346 catchments. Coverage is computed once per input, reported in ``build_info``, ``summary.md`` and
the map caption, and a build stops below ``min_coverage`` unless ``allow_partial: true``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from quartiere.errors import InputError
from quartiere.i18n import Messages

__all__ = ["Coverage", "table_coverage", "require_coverage"]


@dataclass(frozen=True)
class Coverage:
    """How many of ``total`` zones an input gives a value."""

    input: str
    n: int
    total: int
    zones: str  # plural label, e.g. "planning areas"

    @property
    def share(self) -> float:
        return self.n / self.total if self.total else 0.0

    def text(self, t: Messages | None = None) -> str:
        """E.g. ``"mss: 536 of 542 planning areas (98.9 %)"``; in the language of ``t`` (English
        without, as in ``build_info`` and on the command line).

        >>> Coverage("atlas", 428, 448, "lor2006 planning areas").text(Messages("de"))
        'atlas: 428 von 448 Planungsräumen (lor2006) (95,5 %)'
        """
        t = t or Messages("en")
        if self.zones == "catchments":
            zones = t("zones_catchments")
        elif self.zones.endswith("planning areas"):
            generation = self.zones.removesuffix("planning areas").strip()
            zones = (
                t("zones_planning_areas_of", generation=generation)
                if generation
                else t("zones_planning_areas")
            )
        else:
            zones = self.zones
        share = t.number(self.share * 100, 1)
        return t(
            "coverage_item",
            input=self.input,
            n=t.number(self.n),
            total=t.number(self.total),
            zones=zones,
            share=share,
        )


def table_coverage(name: str, values: pd.Series, zones: pd.Index, label: str) -> Coverage:
    """The zones of ``zones`` for which ``values`` (indexed by zone id) holds a value.

    >>> table_coverage("lmb", pd.Series([80.0, None], index=["0801", "0802"]),
    ...                pd.Index(["0801", "0802", "0803", "0804"]), "catchments").text()
    'lmb: 1 of 4 catchments (25.0 %)'
    """
    known = values.reindex(zones).notna()
    return Coverage(name, int(known.sum()), len(zones), label)


def require_coverage(
    coverage: Coverage,
    min_coverage: float,
    allow_partial: bool,
    path: Path | str,
    what: str = "",
) -> None:
    """Refuse an input below ``min_coverage`` unless the analyst says ``allow_partial: true``.

    ``what`` qualifies the zones in the message, e.g. ``"with a school of type Grundschule"``.
    """
    if coverage.share < min_coverage and not allow_partial:
        qualifier = f" {what}" if what else ""
        raise InputError(
            f"covers {coverage.n} of {coverage.total} {coverage.zones} "
            f"({coverage.share * 100:.1f} %){qualifier}, "
            f"below min_coverage {min_coverage:g}; complete the table, or set "
            "`allow_partial: true` if a partial result is meant",
            path,
        )
