"""Markdown, JSON and terminal text of a comparison (:class:`quartiere.compare.diff.BuildDiff`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from quartiere.compare.diff import _EXTENTS, _KIND_ORDER, BuildDiff
from quartiere.criteria import CRITERIA


def _ids(ids: Sequence[str]) -> str:
    return ", ".join(ids) if ids else "-"


def _arrow(old: Any, new: Any, spec: str = ",") -> str:
    """``"38,852 -> 49,610"``: a before and after value, both formatted with ``spec``."""
    return f"{old:{spec}} -> {new:{spec}}"


def _event_counts(c: Mapping[str, int], renumbered: bool = False) -> str:
    """``"10 persisted (1 unchanged, 4 grew, 3 shrank, 2 reshaped), 1 split, ..."``."""
    extents = ", ".join(f"{c[f'persisted_{e}']} {e}" for e in _EXTENTS)
    if renumbered:
        extents += f"; {c['renumbered']} renumbered"
    others = ", ".join(f"{c[kind]} {kind}" for kind in _KIND_ORDER[1:])
    return f"{c['persisted']} persisted ({extents}), {others}"


def _signed(value: float, digits: int = 0) -> str:
    text = f"{value:+,.{digits}f}"
    return "±0" if float(f"{value:.{digits}f}") == 0 else text


def _named(ids: Sequence[str], names: Sequence[str]) -> str:
    """``"01 Moabit West, 02 Wedding Zentrum"``."""
    parts = [f"{i} {n}".strip() for i, n in zip(ids, names, strict=False)]
    return (", ".join(parts[:-1]) + " and " + parts[-1]) if len(parts) > 1 else _ids(parts)


def _continues(pairs: Sequence[str]) -> str:
    """How numbers carry over inside a split or merge, as a parenthesis."""
    texts = []
    for pair in pairs:
        old, new = pair.split(">")
        texts.append(f"{new} continues {old}" if old != new else f"{new} keeps its number")
    return f" ({'; '.join(texts)})" if texts else ""


def _event_sentence(row: Mapping[Any, Any]) -> str:
    """One sentence about one event, for stdout and the memo."""
    old_ids, new_ids = list(row["old_hr_ids"]), list(row["new_hr_ids"])
    old_named = _named(old_ids, row["old_names"])
    new_named = _named(new_ids, row["new_names"])
    kind = row["kind"]
    size = (
        f"population {_arrow(row['old_population'], row['new_population'])} "
        f"({_signed(row['d_population'])}), "
        f"area {_arrow(row['old_area_km2'], row['new_area_km2'], '.2f')} km2"
    )
    if kind == "persisted":
        number = f"{old_ids[0]} -> {new_ids[0]}" if row["renumbered"] else new_ids[0]
        extent = {
            "unchanged": "same extent",
            "grew": "grew",
            "shrank": "shrank",
            "reshaped": "reshaped (gained and lost ground)",
        }[row["extent"]]
        renamed = f" (was {row['old_name']})" if row["old_name"] != row["new_name"] else ""
        return (
            f"{number} {row['new_name']}{renamed}: persisted ({row['overlap']:.0%} of its "
            f"old ground inside), {extent}; {size}"
        )
    if kind == "appeared":
        return (
            f"{new_named}: appeared; population {row['new_population']:,}, "
            f"{row['new_area_km2']:.2f} km2"
        )
    if kind == "vanished":
        return (
            f"{old_named}: vanished; had population {row['old_population']:,}, "
            f"{row['old_area_km2']:.2f} km2"
        )
    carried = _continues(row["continues"])
    if kind == "split":
        return f"{old_named}: split into {new_named}{carried}; {size}"
    if kind == "merged":
        return f"{old_named} merged into {new_named}{carried}; {size}"
    return f"{old_named} regrouped into {new_named}{carried}; {size}"


def summary_lines(diff: BuildDiff) -> list[str]:
    """A short plain-text summary for the terminal (one line per changed area)."""
    c = diff.counts()
    lines = [
        f"{diff.old['label']} ({diff.old['edition']}) -> "
        f"{diff.new['label']} ({diff.new['edition']})"
    ]
    if not diff.changed:
        lines.append(f"no changes: {diff.new['n_areas']} Handlungsräume, all unchanged")
        return lines
    lines.append(
        f"Handlungsräume: {_arrow(diff.old['n_areas'], diff.new['n_areas'], '')}; "
        + _event_counts(c)
    )
    if diff.same_generation:
        flips = ", ".join(f"{k} +{c[f'{k}_now_met']}/-{c[f'{k}_no_longer_met']}" for k in CRITERIA)
        lines.append(
            f"planning areas: {c['plr_entered']} entered, {c['plr_left']} left, "
            f"{c['plr_moved']} moved; criteria newly met/no longer met: {flips}"
        )
    else:
        lines.append(
            f"planning areas: LOR generations differ ({diff.old['lor_generation']} -> "
            f"{diff.new['lor_generation']}); areas matched by geometry overlap only"
        )
    for row in diff.areas[diff.areas["changed"]].to_dict("records"):
        lines.append("  " + _event_sentence(row))
    return lines


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """Lines of a Markdown table; a ``|`` inside a cell becomes ``/``."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(v).replace("|", "/") for v in row) + " |" for row in rows]
    return out


def _flag(value: Any) -> str:
    return "no data" if pd.isna(value) else str(int(value))


def diff_markdown(diff: BuildDiff) -> str:
    """The comparison as a memo in Markdown (``changes.md``), ready to paste.

    Parameters
    ----------
    diff
        The result of :func:`diff_builds`.

    Returns
    -------
    str
        Markdown text ending with a newline.
    """
    c = diff.counts()
    old, new = diff.old, diff.new
    lines = [f"# Handlungsräume: {old['edition']} -> {new['edition']}", ""]
    lines.append(
        f"Compared `{old['label']}` (built {old['built_at'] or 'unknown'}) with "
        f"`{new['label']}` (built {new['built_at'] or 'unknown'})."
    )
    if diff.same_generation:
        lines.append(
            f"Both use the planning areas {new['lor_generation']}, so planning areas are "
            "compared by id."
        )
    else:
        lines.append(
            f"The planning areas differ ({old['lor_generation']} -> "
            f"{new['lor_generation']}): areas are matched by geometry overlap only, and "
            "changes are described as ground gained or lost, not by planning-area id."
        )
    lines += ["", "## In brief", ""]
    if not diff.changed:
        lines += [
            f"Nothing changed: the same {new['n_areas']} Handlungsräume with the same "
            "extent, numbers and names; no planning area changed its criteria.",
            "",
        ]
        return "\n".join(lines)
    lines.append(
        f"- Handlungsräume: {old['n_areas']} before, {new['n_areas']} now; "
        f"population inside {_arrow(old['population'], new['population'])}, "
        f"area {_arrow(old['area_km2'], new['area_km2'], '.2f')} km²."
    )
    lines.append(f"- {_event_counts(c, renumbered=True)}.")
    if diff.same_generation:
        lines.append(
            f"- Planning areas: {c['plr_entered']} entered an area, {c['plr_left']} "
            f"left one, {c['plr_moved']} moved to another area."
        )
        flips = [f"`{k}` {c[f'{k}_now_met']} / {c[f'{k}_no_longer_met']}" for k in CRITERIA]
        lines.append(
            "- Planning areas that newly meet / no longer meet a criterion: "
            + "; ".join(flips)
            + "."
        )
    lines += ["", "## Handlungsräume", ""]
    rows = []
    for row in diff.areas.to_dict("records"):
        rows.append(
            [
                row["kind"] + (f" ({row['extent']})" if row["extent"] else ""),
                _ids(row["old_hr_ids"]),
                _ids(row["new_hr_ids"]),
                row["new_name"] or row["old_name"],
                f"{row['overlap']:.0%}" if row["old_hr_ids"] and row["new_hr_ids"] else "",
                _arrow(row["old_population"], row["new_population"]),
                _arrow(row["old_area_km2"], row["new_area_km2"], ".2f"),
            ]
        )
    lines += markdown_table(
        ["change", "old no.", "new no.", "name", "overlap", "population", "area km²"], rows
    )
    lines += ["", "Overlap: share of the old area's ground that lies inside the new area(s).", ""]
    notable = diff.areas[diff.areas["changed"]]
    if len(notable):
        lines += [f"- {_event_sentence(row)}" for row in notable.to_dict("records")]
        lines.append("")
    pieces = diff.changes
    if len(pieces):
        lines += ["## Ground gained and lost", ""]
        rows = []
        for p in pieces.drop(columns="geometry").to_dict("records"):
            gained = p["kind"] in ("entered", "appeared")
            # Every number says which build it belongs to, every id list its LOR generation.
            this, other = ("new", "old") if gained else ("old", "new")
            other_id = p["old_hr_id"] if gained else p["new_hr_id"]
            generation = new["lor_generation"] if gained else old["lor_generation"]
            plr_ids = p["plr_ids"] or "-"
            if not diff.same_generation and p["plr_ids"]:
                plr_ids = f"{generation}: {plr_ids}"
            rows.append(
                [
                    p["kind"],
                    f"{this} {p['hr_id']}",
                    p["hr_name"],
                    f"{other} {other_id}" if other_id else "outside",
                    f"{p['area_km2']:.2f}",
                    f"{p['population']:,}",
                    plr_ids,
                ]
            )
        lines += markdown_table(
            ["kind", "area", "name", "from / to", "km²", "population", "planning areas"], rows
        )
        lines += [
            "",
            "Area: gained ground is shown with the new build's number, lost ground with the old "
            "build's. From / to: the area of the other build that holds most of the piece; "
            "outside = no Handlungsraum. Population: planning-area inhabitants spread evenly "
            "over their area. Planning areas: those at least half inside the piece, of the build "
            "that holds it"
            + (
                f" (gained: {new['lor_generation']}, lost: {old['lor_generation']})."
                if not diff.same_generation
                else "."
            ),
        ]
        lines.append("")
    plr = diff.planning_areas
    if diff.same_generation and len(plr):
        moved = plr[plr["membership"] != ""]
        if len(moved):
            lines += ["## Planning areas that entered, left or moved", ""]
            lines += markdown_table(
                ["PLR", "name", "Bezirk", "change", "before", "now"],
                [
                    [
                        r["plr_id"],
                        r["plr_name"],
                        r["bezirk"],
                        r["membership"],
                        r["old_hr_id"] or "-",
                        r["new_hr_id"] or "-",
                    ]
                    for r in moved.to_dict("records")
                ],
            )
            lines.append("")
        flipped = plr[plr["flipped"] != ""]
        if len(flipped):
            lines += [
                "## Criteria that flipped",
                "",
                "1 = met, 0 = not met, no data = the input has no value.",
                "",
            ]
            rows = []
            for r in flipped.to_dict("records"):
                cells = [
                    _arrow(_flag(r[f"{k}_old"]), _flag(r[f"{k}_new"]), "")
                    if k in r["flipped"].split(",")
                    else ""
                    for k in CRITERIA
                ]
                rows.append(
                    [r["plr_id"], r["plr_name"], r["bezirk"], *cells, r["new_hr_id"] or "-"]
                )
            lines += markdown_table(["PLR", "name", "Bezirk", *CRITERIA, "area now"], rows)
            lines.append("")
    return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


def diff_json(diff: BuildDiff) -> dict[str, Any]:
    """The comparison of :func:`diff_builds` as plain data for automation (``changes.json``).

    A JSON-serialisable dict: ``changed`` (bool), ``old``/``new`` (build descriptions),
    ``same_generation``, ``counts``, ``areas`` (events), ``links``, ``planning_areas`` and
    ``changes`` (gained and lost ground without geometry).
    """

    def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
        return [{str(k): _jsonable(v) for k, v in row.items()} for row in frame.to_dict("records")]

    return {
        "changed": diff.changed,
        "old": diff.old,
        "new": diff.new,
        "same_generation": diff.same_generation,
        "counts": diff.counts(),
        "areas": records(diff.areas),
        "links": records(diff.links.round({"overlap_m2": 1, "share_of_old": 4, "share_of_new": 4})),
        "planning_areas": records(diff.planning_areas),
        "changes": records(pd.DataFrame(diff.changes.drop(columns="geometry"))),
    }
