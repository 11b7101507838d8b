"""The header of a table as published: one or more rows, merged cells, columns by letter.

Official workbooks stack their header over several rows (``Planungsraum`` over ``Nummer`` and
``Name``) and merge cells across columns and rows; the columns under a merged cell have no text of
their own. :func:`build_header` turns such rows into one name per column: a merged cell's text
applies to every cell it spans, the texts of one column's header rows are joined with a blank
(the same text twice in a row once: a cell merged down over both rows), and runs of blanks become
one (``"Status-Index      (Klasse)"`` reads ``"Status-Index (Klasse)"``).

A column is asked for by its header text or by its spreadsheet letter written ``column E``
(:func:`letter_ref`). A bare ``E`` is always a header text: short header texts such as ``ID``,
``EW`` or ``BEZ`` are letters too, and a bare letter silently read from another column is the
worst kind of error. The letter form never falls back to a text, and a header text that itself
reads ``column E`` but stands in another column is refused as ambiguous.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from quartiere.columns import column_label, column_letter, letter_ref, normalise
from quartiere.config_tables import TableInput
from quartiere.errors import InputError

__all__ = [
    "Header",
    "Merge",
    "build_header",
    "column_label",
    "column_letter",
    "guess_header_rows",
    "letter_ref",
    "normalise",
    "rows_setting",
    "split_header",
    "suggest_column",
]

#: one record of a table: its line/row number in the file (1-based) and its cells
Record = tuple[int, list[object]]

#: a merged range of cells: (first row, first column, last row, last column), all 1-based
Merge = tuple[int, int, int, int]

_MAX_HEADER_ROWS = 3
_HEADER_SEARCH_ROWS = 30
_LISTED_WIDTH = 40
_MAX_LISTED = 25


def rows_setting(first: int, count: int) -> str:
    """How a configuration says "the header is on these rows", for hints."""
    if count == 1:
        return f"`header_row: {first}`"
    return f"`header_row: {first}` and `header_rows: {count}`"


def rows_label(first: int, count: int) -> str:
    """``row 4`` or ``rows 4-5``."""
    return f"row {first}" if count == 1 else f"rows {first}-{first + count - 1}"


@dataclass(frozen=True)
class Header:
    """One name per column (``""`` where a column has no header text), and the rows it spans."""

    names: list[str]
    first: int
    count: int

    @property
    def last(self) -> int:
        """The last header row: data starts below it."""
        return self.first + self.count - 1

    @property
    def label(self) -> str:
        """``header row 4`` or ``header rows 4-5``, for messages."""
        return "header " + rows_label(self.first, self.count)

    def find(self, name: str) -> list[int]:
        """The 0-based columns whose header text is ``name`` (runs of blanks count as one)."""
        key = normalise(name)
        return [i for i, text in enumerate(self.names) if text == key]

    def listing(self, filled: Collection[int] = ()) -> str:
        """Every column by letter with its text, neighbours of one text grouped: ``D-E ...``.

        Columns without a text are listed as ``(no text)``; trailing ones only when they are in
        ``filled`` (0-based columns holding a value below the header).
        """
        groups: list[tuple[int, int, str, bool]] = []
        for i, text in enumerate(self.names):
            used = bool(text) or i in filled
            last = groups[-1] if groups else None
            if last is not None and last[2] == text and last[3] == used and last[1] == i - 1:
                groups[-1] = (last[0], i, text, used)
            else:
                groups.append((i, i, text, used))
        while groups and not groups[-1][3]:
            groups.pop()
        parts = []
        for start, end, text, _ in groups:
            span = column_letter(start) + (f"-{column_letter(end)}" if end > start else "")
            shown = text if len(text) <= _LISTED_WIDTH else text[: _LISTED_WIDTH - 3] + "..."
            parts.append(f"{span} {shown!r}" if text else f"{span} (no text)")
        return ", ".join(parts)


def build_header(
    rows: dict[int, list[object]],
    merges: Sequence[Merge],
    first: int,
    count: int,
    text: Callable[[object], str],
) -> Header:
    """The names of the columns from header rows ``first`` .. ``first + count - 1``.

    Parameters
    ----------
    rows : dict of int to list
        The cells of each row by its 1-based number (rows not in the file are absent).
    merges : sequence of Merge
        Merged ranges (1-based, inclusive); the top-left cell's text applies to every cell.
    first, count : int
        The first header row (1-based) and how many rows the header spans.
    text : callable
        A cell as text (numbers without a trailing ``.0``, blank for empty cells).

    Returns
    -------
    Header
        Per column the texts of its header rows joined by a blank, whitespace collapsed, the same
        text in consecutive rows once.
    """
    lines = range(first, first + count)
    width = max((len(rows.get(line, [])) for line in lines), default=0)
    grid = {line: [text(v) for v in rows.get(line, [])] + [""] * width for line in lines}
    for top, left, bottom, right in merges:
        if bottom < first or top > lines[-1]:
            continue
        anchor = rows.get(top, [])
        value = text(anchor[left - 1]) if left - 1 < len(anchor) else ""
        width = max(width, right)
        for line in range(max(top, first), min(bottom, lines[-1]) + 1):
            cells = grid[line]
            cells.extend([""] * (right - len(cells)))
            cells[left - 1 : right] = [value] * (right - left + 1)
    names = []
    for i in range(width):
        parts: list[str] = []
        for line in lines:
            part = normalise(grid[line][i]) if i < len(grid[line]) else ""
            if part and (not parts or parts[-1] != part):
                parts.append(part)
        names.append(" ".join(parts))
    return Header(names, first, count)


def guess_header_rows(
    rows: dict[int, list[object]],
    merges: Sequence[Merge],
    first_data: int,
    text: Callable[[object], str],
) -> tuple[int, int] | None:
    """Where the header above the first data row seems to be: (first row, number of rows).

    The rows directly above ``first_data`` (blank rows skipped) that hold at least two different
    texts, at most three of them; a title (one text, merged across the table or not) ends the
    header. None when no such row is there.
    """
    line = first_data - 1
    while line >= 1 and not any(text(v) for v in rows.get(line, [])):
        line -= 1
    found: list[int] = []
    while line >= 1 and len(found) < _MAX_HEADER_ROWS:
        names = build_header(rows, merges, line, 1, text).names
        if len({n for n in names if n}) < 2:
            break
        found.append(line)
        line -= 1
    if not found:
        return None
    return found[-1], len(found)


def find_header_rows(
    rows: dict[int, list[object]],
    merges: Sequence[Merge],
    names: Sequence[str],
    text: Callable[[object], str],
    search_rows: int,
) -> tuple[int, int] | None:
    """The first header setting (first row, number of rows) under which every one of ``names``
    is a header text; one-row settings first. None when there is none in the first rows."""
    wanted = [normalise(n) for n in names]
    for count in range(1, _MAX_HEADER_ROWS + 1):
        for first in range(1, search_rows + 1):
            if first not in rows:
                continue
            header = build_header(rows, merges, first, count, text)
            if all(header.find(name) for name in wanted):
                return first, count
    return None


def split_header(
    records: list[Record],
    merges: Sequence[Merge],
    spec: TableInput,
    needed: list[str],
    text: Callable[[object], str],
    looks_like_id: Callable[[str], bool],
    path: Path,
    sheet: str | None,
) -> tuple[Header, dict[str, int], list[Record]]:
    """The header, the column of each needed name and the non-blank rows below the header.

    Parameters
    ----------
    records : list of Record
        The rows of the file with their 1-based numbers.
    merges : sequence of Merge
        Merged cell ranges (XLSX), applied to the header rows.
    spec : TableInput
        ``header_row``, ``header_rows`` and ``id`` of the table.
    needed : list of str
        The columns asked for, by header text or ``column E``; the id column first.
    text : callable
        A cell as stripped text.
    looks_like_id : callable
        Whether a cell's text reads as an id of the table (then a header row holding it in the
        id column is a data row).
    path : Path
        The file, for messages.
    sheet : str or None
        The XLSX sheet, for messages.

    Returns
    -------
    tuple
        The :class:`Header`, the 0-based column per needed name, and the body rows.

    Raises
    ------
    InputError
        An empty header, a header on a data row, a name that is not (or twice) in the header,
        a letter outside the table or of an empty column, or a row wider than the header; each
        with the rows where the header seems to be when that can be told.
    """
    place = f"sheet {sheet!r}, " if sheet else ""
    rows = {line: row for line, row in records}
    first, count = spec.header_row, spec.header_rows
    header = build_header(rows, merges, first, count, text)
    texts = [n for n in needed if letter_ref(n) is None]

    def filled() -> set[int]:
        """The columns without a header text that hold a value (for listings in messages)."""
        return {
            i
            for line, row in records
            if line > header.last
            for i, v in enumerate(row)
            if (i >= len(header.names) or not header.names[i]) and text(v)
        }

    def hint(names: Sequence[str], versus: bool = False) -> str:
        names = [n for n in names if letter_ref(n) is None]
        found = _seems(rows, merges, names, spec, text, looks_like_id)
        if found is None or found == (first, count):
            return ""
        now = str(first) if count == found[1] == 1 else rows_label(first, count)
        not_here = f", not {now}" if versus else ""
        return (
            f"; the header seems to be on {rows_label(*found)}{not_here} "
            f"(set {rows_setting(*found)})"
        )

    if not any(header.names):
        what = "header row is" if count == 1 else "header rows are"
        raise InputError(
            f"{what} empty or missing{hint(texts)}",
            path,
            f"{place}{rows_label(first, count)}",
        )
    for name in texts:
        columns = header.find(name)
        if len(columns) > 1:
            numbers = ", ".join(str(i + 1) for i in columns)
            raise InputError(
                f"column {name!r} appears {len(columns)} times in the header (columns {numbers})"
                f"; name one by its letter instead, e.g. `column {column_letter(columns[-1])}`",
                path,
                f"{place}{header.label}",
            )
    data_like = [
        t
        for line in range(first, first + count)
        for v in rows.get(line, [])
        if looks_like_id(t := text(v))
    ]
    for name in texts:
        if header.find(name):
            continue
        role = "id column" if name == spec.id else "column"
        found = hint(texts, versus=True) or hint([name], versus=True)
        if data_like:
            found = (
                f"; {header.label} holds {data_like[0]!r}, which looks like data, not a header"
                + found
            )
        elif not found:
            found = "; " + _suggest(name, header, filled())
        raise InputError(f"{role} {name!r} not found{found}", path, f"{place}{header.label}")

    body: list[Record] = []
    width = max((len(rows.get(line, [])) for line in range(first, first + count)), default=0)
    for line, row in records:
        if line <= header.last or not any(text(v) for v in row):
            continue
        if any(text(v) for v in row[width:]):
            raise InputError(
                f"has {len(row)} fields but the header has {width} "
                "(check the delimiter and quoting, or set `delimiter:`)",
                path,
                f"{place}row {line}",
            )
        body.append((line, row))

    positions: dict[str, int] = {}
    for name in needed:
        ref = letter_ref(name)
        if ref is None:
            positions[name] = header.find(name)[0]
            continue
        letter = column_letter(ref)
        elsewhere = [i for i in header.find(name) if i != ref]
        if elsewhere:
            raise InputError(
                f"`{name}` is ambiguous: the header text of column "
                f"{column_letter(elsewhere[0])} reads {normalise(name)!r} too",
                path,
                f"{place}{header.label}",
            )
        if ref >= width:
            last = column_letter(width - 1) if width else "none"
            raise InputError(
                f"column {letter} is outside the table (its last column is {last}); "
                f"columns: {header.listing(filled())}",
                path,
                f"{place}{header.label}",
            )
        empty = not (ref < len(header.names) and header.names[ref]) and not any(
            ref < len(row) and text(row[ref]) for _, row in body
        )
        if empty:
            role = "id column" if name == spec.id else "column"
            raise InputError(
                f"{role} {letter} is empty (no header text, no value in any row); "
                f"columns: {header.listing(filled())}",
                path,
                f"{place}{header.label}",
            )
        positions[name] = ref

    id_at = positions[spec.id]
    for line in range(first, first + count):
        row = rows.get(line, [])
        value = text(row[id_at]) if id_at < len(row) else ""
        if value and looks_like_id(value):
            raise InputError(
                f"header {rows_label(line, 1)} looks like a data row: its id column holds "
                f"{value!r}{hint(texts)}",
                path,
                f"{place}{header.label}",
            )
    return header, positions, body


def suggest_column(name: str, available: Sequence[str]) -> str:
    """A message fragment for a column that is not there: the closest name and the ones available.

    Parameters
    ----------
    name : str
        The column asked for.
    available : sequence of str
        The columns the file has.

    Returns
    -------
    str
        E.g. ``"did you mean 'inhabitants'? available: id, name, inhabitants"``.
    """
    names = [str(a) for a in available if str(a)]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if not close:
        folded = {a.casefold().replace(" ", "").replace("_", ""): a for a in names}
        key = name.casefold().replace(" ", "").replace("_", "")
        close = [folded[key]] if key in folded else []
    listed = ", ".join(names[:_MAX_LISTED]) + (", ..." if len(names) > _MAX_LISTED else "")
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{hint}available: {listed or '(none)'}"


def _suggest(name: str, header: Header, filled: Collection[int]) -> str:
    names = list(dict.fromkeys(n for n in header.names if n))
    if len(names) < 2:
        # One cell is not a header of an id table: the file is likely not a table at all (a
        # wrong path), and its first line is not echoed into a message (it may be private).
        return "the header row holds no named columns; is this the right file?"
    hint = suggest_column(name, names)
    if re.fullmatch(r"[A-Za-z]{1,3}", name.strip()):
        hint += f"; to name the column by its letter, write `column {name.strip().upper()}`"
    elif len({n for n in header.names if n}) > 1 and (
        "" in header.names or len(set(header.names)) < len(header.names)
    ):
        hint += f"; columns: {header.listing(filled)} (name one by its letter: `column E`)"
    return hint


def _seems(
    rows: dict[int, list[object]],
    merges: Sequence[Merge],
    names: Sequence[str],
    spec: TableInput,
    text: Callable[[object], str],
    looks_like_id: Callable[[str], bool],
) -> tuple[int, int] | None:
    """Where the header seems to be: the rows above the first row whose id column (any column,
    when not named by letter) holds an id, if they hold ``names`` (header texts); else the first
    rows that do."""
    ref = letter_ref(spec.id)
    above = None
    for line in sorted(rows):
        row = rows[line]
        cells = row if ref is None else row[ref : ref + 1]
        if any(looks_like_id(text(v)) for v in cells):
            above = guess_header_rows(rows, merges, line, text)
            break
    if above is not None:
        header = build_header(rows, merges, *above, text)
        if all(header.find(name) for name in names):
            return above
    return find_header_rows(rows, merges, names, text, _HEADER_SEARCH_ROWS) if names else None
