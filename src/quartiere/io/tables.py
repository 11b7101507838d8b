"""Read tables keyed by an id column: CSV in any common dialect, or XLSX.

Analysts get tables from many hands: UTF-8 or Windows-1252 exports from Excel, ``,`` or ``;``
delimiters, decimal commas and thousands separators, XLSX workbooks with a title above the header,
ids that a spreadsheet turned into numbers. :func:`read_table` reads all of these into one shape
(a frame indexed by a string id) and refuses everything else with an :class:`InputError` that names
the file, the row as the user sees it in the file (1-based, header included) and the problem.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from quartiere.config_tables import TableInput
from quartiere.errors import InputError
from quartiere.io.header import (
    Merge,
    column_label,
    column_letter,
    letter_ref,
    split_header,
    suggest_column,
)

__all__ = ["read_header", "read_table", "validate_ids", "suggest_column"]

_CSV_SUFFIXES = {".csv", ".txt", ".tsv", ".tab", ""}
_XLSX_SUFFIXES = {".xlsx", ".xlsm"}
_DELIMITERS = (",", ";", "\t", "|")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# A number with an optional sign, thousands groups and exponent; ``{t}`` thousands, ``{d}`` decimal.
_NUMBER = r"[+-]?(?:\d{{1,3}}(?:[{t}\u00a0\u202f' ]\d{{3}})+|\d*)(?:{d}\d*)?(?:[eE][+-]?\d+)?"
_NUMBER_RE = {
    ".": re.compile(_NUMBER.format(t=",", d=r"\.")),
    ",": re.compile(_NUMBER.format(t=r"\.", d=",")),
}
_THOUSANDS = {".": ",", ",": "."}
_NUMERIC_ID = re.compile(r"(\d+)(?:\.0*)?")

#: one record of a table: its line/row number in the file (1-based) and its cells
_Record = tuple[int, list[object]]


def read_table(
    spec: TableInput,
    columns: Sequence[str] = (),
    numeric: Sequence[str] = (),
    id_pattern: str | None = r"\d{8}",
    key_patterns: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Read a CSV or XLSX table keyed by an id column.

    Parameters
    ----------
    spec : TableInput
        Where the table is and how it is written: ``path``, ``id`` column, XLSX ``sheet``,
        ``header_row`` (counted from 1, like a spreadsheet) and ``header_rows`` (how many rows
        the header spans: merged cells expanded, each column's texts joined, see
        :mod:`quartiere.io.header`), and optionally a forced
        ``encoding``, ``delimiter`` or ``decimal`` mark (detected otherwise: UTF-8 with or
        without BOM, else Windows-1252; ``,``, ``;``, tab or ``|``; ``.`` or ``,``).
    columns : sequence of str
        Text columns to return, stripped of surrounding blanks; empty cells become missing.
        Every column (these, ``numeric`` and ``spec.id``) is named by its header text (runs of
        blanks count as one) or by its spreadsheet letter written ``column E``; the frame's
        columns carry the names as requested.
    numeric : sequence of str
        Columns to return as float. Empty cells become NaN; thousands separators are accepted.
    id_pattern : str or None
        Regular expression every id must match in full (planning areas: 8 digits). ``None``
        accepts any non-empty id. Ids that look like numbers that lost their leading zeros
        (``1011101`` or ``1011101.0`` where 8 digits are expected) are padded back only when
        ``spec.restore_leading_zeros`` is true, and refused with a hint otherwise.
    key_patterns : dict of str to str, optional
        Text columns that hold ids of another table (a school's catchment), with their pattern:
        checked, hinted and restored like the id column, but not required to be unique.

    Returns
    -------
    pandas.DataFrame
        Indexed by the id (index name ``"id"``, strings), with ``columns`` then ``numeric``
        in the order requested, rows in file order.

    Raises
    ------
    InputError
        Missing or unreadable file, unsupported format, missing column, empty, duplicate or
        malformed id, or a cell in a numeric column that is not a number.

    Examples
    --------
    >>> spec = TableInput(path="data/raw/mss/mss2021_index.csv", id="id")  # doctest: +SKIP
    >>> read_table(spec, columns=["status_index_class"], numeric=["inhabitants"])  # doctest: +SKIP
    """
    path = Path(spec.path)
    if not path.is_file():
        raise InputError("file not found" if not path.exists() else "is not a file", path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror or exc}", path) from None
    if not raw.strip():
        raise InputError("file is empty", path)

    kind = _sniff_format(raw, path)
    merges: list[Merge] = []
    sheets: list[str] = []
    if kind == "xlsx":
        records, sheet_label, merges, sheets = _read_xlsx(path, spec.sheet)
        delimiter = None
    else:
        text = _decode(raw, spec.encoding, path)
        delimiter = spec.delimiter or _detect_delimiter(text, spec.header_row - 1)
        records = _read_csv(text, delimiter)
        sheet_label = None

    text_columns = [c for c in dict.fromkeys(columns) if c != spec.id]
    numeric_columns = [c for c in dict.fromkeys(numeric) if c != spec.id and c not in text_columns]
    pattern = re.compile(id_pattern) if id_pattern is not None else None

    def looks_like_id(value: str) -> bool:
        return pattern is not None and (
            pattern.fullmatch(value) is not None or _restore(value, pattern) is not None
        )

    try:
        _, positions, body = split_header(
            records,
            merges,
            spec,
            [spec.id, *text_columns, *numeric_columns],
            _header_text,
            looks_like_id,
            path,
            sheet_label,
        )
    except InputError as exc:
        lost = exc.message.startswith("id column") or "empty or missing" in exc.message
        lost = lost and "the header seems to be on" not in exc.message
        if len(sheets) > 1 and lost:
            others = ", ".join(repr(s) for s in sheets if s != sheet_label)
            exc.message += f" (is it the right sheet? the workbook's other sheets: {others})"
        raise InputError(exc.message, exc.path, exc.where) from None

    if not body:
        raise InputError(
            "table has no rows below the header",
            path,
            f"sheet {sheet_label!r}" if sheet_label else None,
        )
    if spec.decimal is not None and spec.decimal not in _NUMBER_RE:
        raise InputError(f"`decimal: {spec.decimal}` must be '.' or ','", path)

    def where(line: int, column: str | None = None) -> str:
        place = f"sheet {sheet_label!r}, row {line}" if sheet_label else f"row {line}"
        return f"{place}, {column_label(column)}" if column else place

    lines = [line for line, _ in body]

    def cells(name: str) -> list[object]:
        i = positions[name]
        return [row[i] if i < len(row) else None for _, row in body]

    ids = validate_ids(
        [_cell_text(v) for v in cells(spec.id)],
        [where(line) for line in lines],
        id_pattern=id_pattern,
        restore_leading_zeros=spec.restore_leading_zeros,
        path=path,
        column=_short(spec.id),
    )
    data: dict[str, object] = {}
    for name in text_columns:
        data[name] = [_cell_text(v) or None for v in cells(name)]
        if key_patterns and name in key_patterns:
            data[name] = validate_ids(
                [_cell_text(v) for v in cells(name)],
                [where(line) for line in lines],
                id_pattern=key_patterns[name],
                restore_leading_zeros=spec.restore_leading_zeros,
                path=path,
                column=_short(name),
                unique=False,
            )
    if numeric_columns:
        decimal = spec.decimal or _detect_decimal(
            {name: cells(name) for name in numeric_columns}, lines, delimiter, path, where
        )
        for name in numeric_columns:
            data[name] = _to_float(
                cells(name), decimal, partial(_row_where, where, lines, name), path
            )
    frame = pd.DataFrame(
        data, index=pd.Index(ids, name="id", dtype=str), columns=[*text_columns, *numeric_columns]
    )
    for name in numeric_columns:
        frame[name] = frame[name].astype("float64")
    return frame


def validate_ids(
    values: Sequence[str],
    where: Sequence[str],
    *,
    id_pattern: str | None,
    restore_leading_zeros: bool,
    path: str | Path,
    column: str,
    unique: bool = True,
) -> list[str]:
    """Check ids for emptiness, pattern and uniqueness; restore lost leading zeros on request.

    Parameters
    ----------
    values : sequence of str
        The ids as read, already stripped (``""`` for an empty cell).
    where : sequence of str
        Where each id sits in its file, e.g. ``"row 5"`` or ``"feature 3"``, for messages.
    id_pattern : str or None
        Regular expression each id must match in full; ``None`` accepts any non-empty id.
    restore_leading_zeros : bool
        Pad ids that look like numbers stripped of leading zeros (``1011101``, ``1011101.0``)
        with zeros until they match ``id_pattern``; refuse them with a hint when false.
    path : str or Path
        The file, for messages.
    column : str
        The id column or field, for messages.
    unique : bool
        Refuse an id that appears twice (false for a column of keys into another table).

    Returns
    -------
    list of str
        The ids, restored where allowed, in input order.

    Raises
    ------
    InputError
        On the first empty, malformed or duplicate id (with a count of further ones).
    """
    ids = list(values)
    empty = [i for i, v in enumerate(ids) if not v]
    if empty:
        more = _more(len(empty) - 1, "empty id")
        raise InputError(f"empty id in column {column!r}{more}", path, where[empty[0]])
    if id_pattern is not None:
        pattern = re.compile(id_pattern)
        bad = [i for i, v in enumerate(ids) if not pattern.fullmatch(v)]
        restorable = {i: r for i in bad if (r := _restore(ids[i], pattern)) is not None}
        unrestorable = [i for i in bad if i not in restorable]
        if unrestorable:
            first = unrestorable[0]
            more = _more(len(unrestorable) - 1, "malformed id")
            raise InputError(
                f"id {ids[first]!r} in column {column!r} does not match the expected "
                f"pattern {id_pattern}{more}",
                path,
                where[first],
            )
        if restorable and not restore_leading_zeros:
            first = min(restorable)
            more = _more(len(restorable) - 1, "such id")
            raise InputError(
                f"id {ids[first]!r} in column {column!r} looks like a number that lost its leading "
                f"zeros (expected {id_pattern}){more}; set `restore_leading_zeros: true` to pad "
                "such ids with zeros, or store the ids as text",
                path,
                where[first],
            )
        for i, fixed in restorable.items():
            ids[i] = fixed
    seen: dict[str, int] = {}
    for i, value in enumerate(ids if unique else []):
        if value in seen:
            j = seen[value]
            raise InputError(
                f"id {value!r} in column {column!r} appears twice: {where[j]} and {where[i]}",
                path,
                where[i],
            )
        seen[value] = i
    return ids


# --- helpers ---------------------------------------------------------------------------------


def _row_where(where: Callable[[int, str], str], lines: list[int], column: str, i: int) -> str:
    return where(lines[i], column)


def _more(count: int, what: str) -> str:
    return f" (and {count} more {what}{'s' if count > 1 else ''})" if count > 0 else ""


def _restore(value: str, pattern: re.Pattern[str]) -> str | None:
    """The id padded with zeros until it matches, if it looks like a number; else None."""
    match = _NUMERIC_ID.fullmatch(value)
    if match is None:
        return None
    digits = match.group(1)
    for width in range(len(digits), len(digits) + 20):
        candidate = digits.zfill(width)
        if pattern.fullmatch(candidate):
            return candidate
    return None


def _sniff_format(raw: bytes, path: Path) -> str:
    suffix = path.suffix.lower()
    if raw.startswith(_OLE2_MAGIC):
        raise InputError(
            "is a legacy Excel 97-2003 (.xls) workbook, which is not supported; "
            "save it as .xlsx or CSV",
            path,
        )
    if raw.startswith(_ZIP_MAGIC):
        if suffix in _XLSX_SUFFIXES or suffix in _CSV_SUFFIXES:
            return "xlsx"
        raise InputError(f"unsupported format {suffix!r}: expected CSV or XLSX", path)
    if suffix in _XLSX_SUFFIXES:
        raise InputError(f"cannot be read as an XLSX workbook (not a {suffix} file inside)", path)
    if suffix not in _CSV_SUFFIXES:
        raise InputError(f"unsupported format {suffix!r}: expected CSV (.csv, .txt) or XLSX", path)
    head = raw[:4096]
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError("is a binary file, not a CSV text table", path)
    return "csv"


def _decode(raw: bytes, forced: str | None, path: Path) -> str:
    def fail(exc: UnicodeDecodeError, what: str) -> InputError:
        line = raw[: exc.start].count(b"\n") + 1
        return InputError(f"{what} (byte 0x{raw[exc.start]:02x})", path, f"line {line}")

    if forced:
        try:
            return raw.decode(forced).removeprefix("\ufeff")
        except LookupError:
            raise InputError(f"unknown encoding {forced!r} (check `encoding:`)", path) from None
        except UnicodeDecodeError as exc:
            raise fail(exc, f"is not valid {forced} text") from None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            raise fail(exc, "is not valid UTF-16 text") from None
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw[len(codecs.BOM_UTF8) :].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise fail(exc, "starts with a UTF-8 BOM but is not valid UTF-8") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise fail(exc, "is neither UTF-8 nor Windows-1252 text; set `encoding:`") from None


def _detect_delimiter(text: str, header_row: int) -> str:
    """The candidate that splits most rows into the same number (> 1) of fields."""
    sample = "\n".join(text.splitlines()[header_row : header_row + 50])
    best, best_score = ",", (False, 0.0, 0)
    for delimiter in _DELIMITERS:
        rows = [r for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if r]
        if not rows:
            continue
        widths = Counter(len(r) for r in rows)
        width, count = max(widths.items(), key=lambda item: (item[1], item[0]))
        score = (width > 1, count / len(rows), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(text: str, delimiter: str) -> list[_Record]:
    records: list[_Record] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 0
    for row in reader:
        start, line = line + 1, reader.line_num
        records.append((start, list(row)))
    return records


def _read_xlsx(
    path: Path, sheet: str | int | None
) -> tuple[list[_Record], str, list[Merge], list[str]]:
    """The rows of one sheet, its name, its merged ranges and the names of all sheets.

    Opened in full (not read-only) mode: read-only mode does not report merged cells, which
    published headers rely on. The tables read here have hundreds to thousands of rows.
    """
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, InvalidFileException ...
        raise InputError(
            f"cannot be read as an XLSX workbook ({type(exc).__name__}: {exc})", path
        ) from None
    try:
        names = list(workbook.sheetnames)
        if sheet is None:
            name = names[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise InputError(
                    f"sheet index {sheet} out of range; the workbook has "
                    f"{len(names)} sheet(s): {', '.join(names)}",
                    path,
                )
            name = names[sheet]
        elif sheet in names:
            name = sheet
        else:
            raise InputError(f"sheet {sheet!r} not found; {suggest_column(sheet, names)}", path)
        worksheet = workbook[name]
        rows = worksheet.iter_rows(min_row=1)
        records = [(i, [_xlsx_value(cell) for cell in row]) for i, row in enumerate(rows, start=1)]
        merges = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in worksheet.merged_cells]
    finally:
        workbook.close()
    return records, name, merges, names


def _xlsx_value(cell: Any) -> object:
    """A cell's value; a number shown with a percent format (0.84 as ``84 %``) in percent."""
    value = cell.value
    number_format = getattr(cell, "number_format", None) or ""
    if isinstance(value, int | float) and not isinstance(value, bool) and "%" in number_format:
        return round(value * 100, 10)
    return value


def _header_text(value: object) -> str:
    return _cell_text(value).removeprefix("\ufeff").strip()


def _short(name: str) -> str:
    """A column's name for messages: its text, or its letter."""
    ref = letter_ref(name)
    return name if ref is None else column_letter(ref)


def _is_blank(value: object) -> bool:
    return (
        value is None
        or (isinstance(value, str) and not value.strip())
        or (isinstance(value, float) and math.isnan(value))
    )


def _cell_text(value: object) -> str:
    """A cell as stripped text; integral numbers without a trailing ``.0``."""
    if _is_blank(value):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def _detect_decimal(
    columns: dict[str, list[object]],
    lines: list[int],
    delimiter: str | None,
    path: Path,
    where: Callable[[int, str | None], str],
) -> str:
    """``.`` or ``,``: the mark that some value can only be read with; else by the delimiter."""
    evidence: dict[str, tuple[str, int, str]] = {}
    for name, values in columns.items():
        for i, value in enumerate(values):
            if not isinstance(value, str) or not value.strip():
                continue
            text = _normalise_number_text(value)
            fits = [d for d, rx in _NUMBER_RE.items() if rx.fullmatch(text)]
            if len(fits) == 1 and fits[0] not in evidence:
                evidence[fits[0]] = (name, i, value)
        if len(evidence) == 2:
            (n1, i1, v1), (n2, i2, v2) = evidence["."], evidence[","]
            raise InputError(
                f"mixes decimal marks: {v1.strip()!r} ({where(lines[i1], n1)}) and "
                f"{v2.strip()!r} ({where(lines[i2], n2)}); set `decimal:`",
                path,
            )
    if evidence:
        return next(iter(evidence))
    return "," if delimiter == ";" else "."


def _normalise_number_text(value: str) -> str:
    return value.strip().replace("\u2212", "-")


def _to_float(
    values: list[object], decimal: str, where: Callable[[int], str], path: Path
) -> np.ndarray:
    pattern, thousands = _NUMBER_RE[decimal], _THOUSANDS[decimal]
    out = np.full(len(values), np.nan)
    for i, value in enumerate(values):
        if _is_blank(value):
            continue
        if isinstance(value, bool):
            raise InputError(f"{value!r} is not a number", path, where(i))
        if isinstance(value, int | float):
            out[i] = float(value)
            continue
        text = _normalise_number_text(str(value))
        if not pattern.fullmatch(text) or not any(c.isdigit() for c in text):
            shown = str(value).strip()
            hint = (
                ""
                if decimal in text or thousands not in text
                else f" (read with decimal mark {decimal!r}; set `decimal:` if that is wrong)"
            )
            raise InputError(f"{shown!r} is not a number{hint}", path, where(i))
        for sep in (thousands, "\u00a0", "\u202f", "'", " "):
            text = text.replace(sep, "")
        out[i] = float(text.replace(decimal, "."))
    return out


def read_header(spec: TableInput) -> list[str]:
    """The column names of a table's header, as :func:`read_table` reads them (a multi-row
    header's texts joined, merged cells expanded; ``""`` where a column has no text)."""
    path = Path(spec.path)
    if not path.is_file():
        raise InputError("file not found" if not path.exists() else "is not a file", path)
    raw = path.read_bytes()
    merges: list[Merge] = []
    if _sniff_format(raw, path) == "xlsx":
        records, sheet, merges, _ = _read_xlsx(path, spec.sheet)
    else:
        text = _decode(raw, spec.encoding, path)
        records = _read_csv(text, spec.delimiter or _detect_delimiter(text, spec.header_row - 1))
        sheet = None
    header, _, _ = split_header(
        records, merges, spec, [spec.id], _header_text, lambda _: False, path, sheet
    )
    return header.names
