"""Markdown and JSON of a timeline (:mod:`quartiere.compare.timeline`)."""

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
from quartiere.present.diff_text import markdown_table


def timeline_markdown(
    editions: Sequence[Edition],
    table: pd.DataFrame,
    matrix: pd.DataFrame,
    plr: gpd.GeoDataFrame,
    min_overlap: float = 0.5,
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

    Returns
    -------
    str
    """
    keys = [e.key for e in editions]
    persist_into = matrix_counts(matrix)
    heads = [f"MSS {e.year} ({e.key})" for e in editions]
    lines = ["# Handlungsräume over the editions", ""]
    lines += [
        f"- **{e.key}**: {e.label}, {len(e.build.areas)} Handlungsräume, "
        f"population inside {int(pd.to_numeric(e.build.areas['population']).sum()):,}"
        for e in editions
    ]
    if len(editions) >= 2:
        last = editions[-1]
        generations = list(dict.fromkeys(e.build.generation or "?" for e in editions))
        lines += [
            "",
            "Areas are matched by geometry overlap, never by number: an area persists into a "
            "later edition when it and an area of that edition are each other's largest overlap "
            f"and share at least {min_overlap:.0%} of the smaller of the two."
            + (
                " Planning areas are not compared by id: the editions use different LOR "
                f"generations ({' -> '.join(generations)})."
                if len(generations) > 1
                else ""
            ),
        ]
        for e in editions[:-1]:
            lines.append(
                f"- {persist_into[e.key][last.key]} of the {len(e.build.areas)} areas of "
                f"MSS {e.year} ({e.key}) persist into MSS {last.year} ({last.key})."
            )
    lines += ["", "## Which areas existed in which edition", ""]
    lines += markdown_table(
        ["track", "name", *heads, "editions"],
        [
            [row["track"], row["hr_name"], *(row[k] or "·" for k in keys), row["n_editions"]]
            for row in table.to_dict("records")
        ],
    )
    lines += [
        "",
        "A track follows one area through the editions; the cells hold its number in "
        "each edition (· = not an area).",
        "",
        "## Persistence between editions",
        "",
        "Areas of the row's edition continued by an area of the column's edition "
        "(diagonal: number of areas).",
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
        "## Persistence per planning area",
        "",
        f"On the {len(plr)} planning areas of the last edition ({keys[-1]}): in how many of "
        f"the {n} editions each lay inside a Handlungsraum (`persistence.csv`).",
        "",
    ]
    lines += markdown_table(
        ["editions inside", "planning areas"], [[k, int(v)] for k, v in per_count.items()]
    )
    core = plr[plr["persistence"] == n]
    if len(core):
        lines += [
            "",
            f"Inside in every edition ({len(core)}): "
            + ", ".join(
                f"{r['plr_id']} {r['plr_name']}"
                for r in core.sort_values("plr_id").to_dict("records")
            )
            + ".",
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
