"""Markdown, JSON and terminal text of a comparison (:class:`quartiere.compare.diff.BuildDiff`).

The memo (``changes.md``) is in the language the newer build was made in (``language:``, German
by default; words in ``messages.yaml``, keys ``diff.*``); the terminal summary is English like the
rest of the command line. The JSON holds codes, not words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from quartiere.compare.diff import _EXTENTS, _KIND_ORDER, BuildDiff
from quartiere.criteria import CRITERIA
from quartiere.i18n import Messages
from quartiere.provenance import CutChange


def _ids(ids: Sequence[str]) -> str:
    return ", ".join(ids) if ids else "-"


def _num(t: Messages, value: Any, decimals: int = 0) -> str:
    return t.number(value, decimals) if isinstance(value, int | float | np.number) else str(value)


def _arrow(t: Messages, old: Any, new: Any, decimals: int = 0) -> str:
    """``"38.852 -> 49.610"``: a before and after value in the language's number format."""
    return f"{_num(t, old, decimals)} -> {_num(t, new, decimals)}"


def _percent(t: Messages, share: float) -> str:
    """``"75 %"`` (German) or ``"75%"``: a share 0..1 as a whole percentage."""
    return t("diff.percent", value=t.number(100 * share))


def _event_counts(t: Messages, c: Mapping[str, int], renumbered: bool = False) -> str:
    """``"10 persisted (1 unchanged, 4 grew, 3 shrank, 2 reshaped), 1 split, ..."``."""
    extents = ", ".join(f"{c[f'persisted_{e}']} {t(f'diff.extent.{e}')}" for e in _EXTENTS)
    if renumbered:
        extents += f"; {c['renumbered']} {t('diff.renumbered')}"
    others = ", ".join(f"{c[kind]} {t(f'diff.kind.{kind}')}" for kind in _KIND_ORDER[1:])
    return f"{c['persisted']} {t('diff.kind.persisted')} ({extents}), {others}"


def _signed(t: Messages, value: float, digits: int = 0) -> str:
    if float(f"{value:.{digits}f}") == 0:
        return "±0"
    return ("+" if value > 0 else "-") + t.number(abs(value), digits)


def _named(t: Messages, ids: Sequence[str], names: Sequence[str]) -> str:
    """``"01 Moabit West, 02 Wedding Zentrum"``."""
    parts = [f"{i} {n}".strip() for i, n in zip(ids, names, strict=False)]
    if len(parts) > 1:
        return ", ".join(parts[:-1]) + t("diff.and") + parts[-1]
    return _ids(parts)


def _continues(t: Messages, pairs: Sequence[str]) -> str:
    """How numbers carry over inside a split or merge, as a parenthesis."""
    texts = []
    for pair in pairs:
        old, new = pair.split(">")
        texts.append(
            t("diff.continues", new=new, old=old) if old != new else t("diff.keeps", new=new)
        )
    return f" ({'; '.join(texts)})" if texts else ""


def _event_sentence(t: Messages, row: Mapping[Any, Any]) -> str:
    """One sentence about one event, for stdout and the memo."""
    old_ids, new_ids = list(row["old_hr_ids"]), list(row["new_hr_ids"])
    old_named = _named(t, old_ids, row["old_names"])
    new_named = _named(t, new_ids, row["new_names"])
    kind = row["kind"]
    size = t(
        "diff.size",
        population=_arrow(t, row["old_population"], row["new_population"]),
        change=_signed(t, row["d_population"]),
        area=_arrow(t, row["old_area_km2"], row["new_area_km2"], 2),
    )
    if kind == "persisted":
        number = f"{old_ids[0]} -> {new_ids[0]}" if row["renumbered"] else new_ids[0]
        if not row["continues"]:  # the numbering's matching: linked, but not its successor
            number += t("diff.not_continued", old=old_ids[0])
        renamed = (
            t("diff.was_named", name=row["old_name"]) if row["old_name"] != row["new_name"] else ""
        )
        return t(
            "diff.event.persisted",
            number=number,
            name=row["new_name"],
            renamed=renamed,
            overlap=_percent(t, row["overlap"]),
            extent=t(f"diff.extent_long.{row['extent']}"),
            size=size,
        )
    if kind == "appeared":
        return t(
            "diff.event.appeared",
            named=new_named,
            population=_num(t, row["new_population"]),
            area=_num(t, row["new_area_km2"], 2),
        )
    if kind == "vanished":
        return t(
            "diff.event.vanished",
            named=old_named,
            population=_num(t, row["old_population"]),
            area=_num(t, row["old_area_km2"], 2),
        )
    key = f"diff.event.{kind}" if kind in ("split", "merged") else "diff.event.regrouped"
    carried = _continues(t, row["continues"])
    return t(key, old=old_named, new=new_named, carried=carried, size=size)


def summary_lines(diff: BuildDiff, language: str = "en") -> list[str]:
    """A short plain-text summary for the terminal (one line per changed area); English like
    the rest of the command line unless ``language`` says otherwise."""
    t = Messages(language)
    c = diff.counts()
    lines = [
        f"{diff.old['label']} ({diff.old['edition']}) -> "
        f"{diff.new['label']} ({diff.new['edition']})"
    ]
    if not diff.changed:
        lines.append(t("diff.terminal_unchanged", n=diff.new["n_areas"]))
        return lines
    lines.append(
        f"Handlungsräume: {_arrow(t, diff.old['n_areas'], diff.new['n_areas'])}; "
        + _event_counts(t, c)
    )
    if diff.same_generation:
        flips = ", ".join(f"{k} +{c[f'{k}_now_met']}/-{c[f'{k}_no_longer_met']}" for k in CRITERIA)
        lines.append(
            t(
                "diff.terminal_plr",
                entered=c["plr_entered"],
                left=c["plr_left"],
                moved=c["plr_moved"],
                flips=flips,
            )
        )
    else:
        lines.append(
            t(
                "diff.terminal_generations",
                old=diff.old["lor_generation"],
                new=diff.new["lor_generation"],
            )
        )
    for row in diff.areas[diff.areas["changed"]].to_dict("records"):
        lines.append("  " + _event_sentence(t, row))
    lines += [_cut_sentence(t, cut) for cut in diff.cuts]
    return lines


def _cut_sentence(t: Messages, cut: CutChange) -> str:
    return t(
        "diff.cut_moved",
        criterion=cut.criterion,
        old=cut.old,
        new=cut.new,
        reasons="; ".join(cut.reasons),
    )


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """Lines of a Markdown table; a ``|`` inside a cell becomes ``/``."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(v).replace("|", "/") for v in row) + " |" for row in rows]
    return out


def _flag(t: Messages, value: Any) -> str:
    return t("diff.no_data") if pd.isna(value) else str(int(value))


def diff_markdown(diff: BuildDiff, language: str | None = None) -> str:
    """The comparison as a memo in Markdown (``changes.md``), ready to paste.

    Parameters
    ----------
    diff
        The result of :func:`diff_builds`.
    language
        ``de`` or ``en``; by default the language the newer build was made in (its
        ``build_info`` ``language``, German when not recorded).

    Returns
    -------
    str
        Markdown text ending with a newline.
    """
    t = Messages(language or diff.new.get("language") or "de")
    c = diff.counts()
    old, new = diff.old, diff.new
    lines = [f"# Handlungsräume: {old['edition']} -> {new['edition']}", ""]
    unknown = t("diff.unknown")
    lines.append(
        t(
            "diff.compared",
            old=old["label"],
            old_built=old["built_at"] or unknown,
            new=new["label"],
            new_built=new["built_at"] or unknown,
        )
    )
    if diff.same_generation:
        lines.append(t("diff.same_generation", generation=new["lor_generation"]))
    else:
        lines.append(
            t("diff.other_generation", old=old["lor_generation"], new=new["lor_generation"])
        )
    lines += ["", t("diff.in_brief"), ""]
    if not diff.changed:
        lines += [t("diff.nothing_changed", n=new["n_areas"]), ""]
        return "\n".join(lines)
    lines.append(
        t(
            "diff.brief_areas",
            old=old["n_areas"],
            new=new["n_areas"],
            population=_arrow(t, old["population"], new["population"]),
            area=_arrow(t, old["area_km2"], new["area_km2"], 2),
        )
    )
    lines.append(f"- {_event_counts(t, c, renumbered=True)}.")
    if diff.same_generation:
        lines.append(
            t(
                "diff.brief_plr",
                entered=c["plr_entered"],
                left=c["plr_left"],
                moved=c["plr_moved"],
            )
        )
        flips = [f"`{k}` {c[f'{k}_now_met']} / {c[f'{k}_no_longer_met']}" for k in CRITERIA]
        lines.append(t("diff.brief_flips", flips="; ".join(flips)))
    lines += [f"- {_cut_sentence(t, cut)}" for cut in diff.cuts]
    lines += ["", "## Handlungsräume", ""]
    rows = []
    for row in diff.areas.to_dict("records"):
        extent = f" ({t('diff.extent.' + row['extent'])})" if row["extent"] else ""
        rows.append(
            [
                t(f"diff.kind.{row['kind']}") + extent,
                _ids(row["old_hr_ids"]),
                _ids(row["new_hr_ids"]),
                row["new_name"] or row["old_name"],
                _percent(t, row["overlap"]) if row["old_hr_ids"] and row["new_hr_ids"] else "",
                _arrow(t, row["old_population"], row["new_population"]),
                _arrow(t, row["old_area_km2"], row["new_area_km2"], 2),
            ]
        )
    lines += markdown_table(t("diff.areas_header").split("|"), rows)
    lines += ["", t("diff.overlap_note"), ""]
    notable = diff.areas[diff.areas["changed"]]
    if len(notable):
        lines += [f"- {_event_sentence(t, row)}" for row in notable.to_dict("records")]
        lines.append("")
    pieces = diff.changes
    if len(pieces):
        lines += [t("diff.ground_heading"), ""]
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
                    t(f"diff.piece.{p['kind']}"),
                    f"{t(f'diff.build.{this}')} {p['hr_id']}",
                    p["hr_name"],
                    f"{t(f'diff.build.{other}')} {other_id}" if other_id else t("diff.outside"),
                    t.number(p["area_km2"], 2),
                    t.number(p["population"]),
                    plr_ids,
                ]
            )
        lines += markdown_table(t("diff.ground_header").split("|"), rows)
        generations = (
            t("diff.ground_generations", new=new["lor_generation"], old=old["lor_generation"])
            if not diff.same_generation
            else ""
        )
        lines += ["", t("diff.ground_note", generations=generations)]
        lines.append("")
    plr = diff.planning_areas
    if diff.same_generation and len(plr):
        moved = plr[plr["membership"] != ""]
        if len(moved):
            lines += [t("diff.moved_heading"), ""]
            lines += markdown_table(
                t("diff.moved_header").split("|"),
                [
                    [
                        r["plr_id"],
                        r["plr_name"],
                        r["bezirk"],
                        t(f"diff.membership.{r['membership']}"),
                        r["old_hr_id"] or "-",
                        r["new_hr_id"] or "-",
                    ]
                    for r in moved.to_dict("records")
                ],
            )
            lines.append("")
        flipped = plr[plr["flipped"] != ""]
        if len(flipped):
            lines += [t("diff.flipped_heading"), "", t("diff.flipped_note"), ""]
            rows = []
            for r in flipped.to_dict("records"):
                cells = [
                    _arrow(t, _flag(t, r[f"{k}_old"]), _flag(t, r[f"{k}_new"]))
                    if k in r["flipped"].split(",")
                    else ""
                    for k in CRITERIA
                ]
                rows.append(
                    [r["plr_id"], r["plr_name"], r["bezirk"], *cells, r["new_hr_id"] or "-"]
                )
            header = t("diff.flipped_header").split("|")
            lines += markdown_table([*header[:3], *CRITERIA, header[3]], rows)
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
        "cuts": [
            {"criterion": c.criterion, "old": c.old, "new": c.new, "reasons": list(c.reasons)}
            for c in diff.cuts
        ],
    }
