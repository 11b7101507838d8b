"""Markdown and JSON of a timeline (:mod:`quartiere.compare.timeline`); the Markdown in the
language of the last edition's build (``language:``, German by default; keys ``timeline.*``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import pandas as pd

from quartiere.compare.timeline import (
    Edition,
    History,
    matrix_counts,
)
from quartiere.i18n import Messages
from quartiere.present.diff_text import markdown_table


def timeline_markdown(
    editions: Sequence[Edition],
    table: pd.DataFrame,
    matrix: pd.DataFrame,
    plr: gpd.GeoDataFrame,
    min_overlap: float = 0.5,
    language: str | None = None,
) -> str:
    """The timeline as Markdown: the areas per edition, persistence between editions and per PLR.

    Parameters
    ----------
    editions
        The editions in order.
    table
        :func:`timeline`.
    matrix
        :func:`persistence_matrix`.
    plr
        :func:`persistence`.
    min_overlap
        The matching threshold the timeline and matrix were computed with (for the text).
    language
        ``de`` or ``en``; by default the language of the last edition's build.

    Returns
    -------
    str
    """
    t = Messages(language or editions[-1].build.language)
    keys = [e.key for e in editions]
    persist_into = matrix_counts(matrix)
    heads = [f"MSS {e.year} ({e.key})" for e in editions]
    lines = [t("timeline.title"), ""]
    lines += [
        t(
            "timeline.edition",
            edition=e.key,
            label=e.label,
            n=len(e.build.areas),
            population=t.number(int(pd.to_numeric(e.build.areas["population"]).sum())),
        )
        for e in editions
    ]
    if len(editions) >= 2:
        last = editions[-1]
        generations = list(dict.fromkeys(e.build.generation or "?" for e in editions))
        lines += [
            "",
            t("timeline.matching", share=t.number(100 * min_overlap))
            + (
                t("timeline.generations", generations=" -> ".join(generations))
                if len(generations) > 1
                else ""
            ),
        ]
        for e in editions[:-1]:
            lines.append(
                t(
                    "timeline.persist_into",
                    n=persist_into[e.key][last.key],
                    total=len(e.build.areas),
                    year=e.year,
                    edition=e.key,
                    last_year=last.year,
                    last_key=last.key,
                )
            )
    lines += ["", t("timeline.which_heading"), ""]
    lines += markdown_table(
        [
            *t("timeline.which_header").split("|")[:2],
            *heads,
            t("timeline.which_header").split("|")[2],
        ],
        [
            [row["track"], row["hr_name"], *(row[k] or "·" for k in keys), row["n_editions"]]
            for row in table.to_dict("records")
        ],
    )
    lines += [
        "",
        t("timeline.track_note"),
        "",
        t("timeline.persistence_heading"),
        "",
        t("timeline.persistence_note"),
        "",
    ]
    lines += markdown_table(
        ["", *keys],
        [[key, *("" if v is None else v for v in persist_into[key].values())] for key in keys],
    )
    n = len(keys)
    per_count = plr["persistence"].value_counts().reindex(range(n + 1), fill_value=0)
    lines += [
        "",
        t("timeline.plr_heading"),
        "",
        t("timeline.plr_note", n_plr=len(plr), edition=keys[-1], n=n),
        "",
    ]
    lines += markdown_table(
        t("timeline.plr_header").split("|"), [[k, int(v)] for k, v in per_count.items()]
    )
    core = plr[plr["persistence"] == n]
    if len(core):
        lines += [
            "",
            t(
                "timeline.core",
                n=len(core),
                plr=", ".join(
                    f"{r['plr_id']} {r['plr_name']}"
                    for r in core.sort_values("plr_id").to_dict("records")
                ),
            ),
        ]
    return "\n".join(lines) + "\n"


def history_json(history: History) -> dict[str, Any]:
    """The timeline as plain data (editions, tracks, persistence matrix)."""
    return {
        "editions": [
            {"key": e.key, "year": e.year, "label": e.label, "n_areas": len(e.build.areas)}
            for e in history.editions
        ],
        "tracks": history.timeline.to_dict("records"),
        "persist_into": matrix_counts(history.matrix),
    }
