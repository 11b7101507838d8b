"""How a configuration names a table's column: by its header text or by its letter (``column E``).

Values only (no file is read here): shared by the readers in :mod:`quartiere.io` and the texts of
:mod:`quartiere.present`.
"""

from __future__ import annotations

import re

from openpyxl.utils import column_index_from_string, get_column_letter

__all__ = ["column_label", "column_letter", "letter_ref", "normalise"]

_LETTER_REF = re.compile(r"column\s+([A-Za-z]{1,3})", re.IGNORECASE)


def normalise(text: str) -> str:
    """``text`` stripped, with every run of whitespace (blanks, tabs, line breaks) one blank."""
    return " ".join(text.split())


def letter_ref(name: str) -> int | None:
    """The 0-based column a ``column E`` reference names, or None for a header text.

    >>> letter_ref("column E"), letter_ref("Column aa"), letter_ref("E")
    (4, 26, None)
    """
    match = _LETTER_REF.fullmatch(name.strip())
    return column_index_from_string(match.group(1).upper()) - 1 if match else None


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column: 0 -> ``A``, 26 -> ``AA``."""
    return str(get_column_letter(index + 1))


def column_label(name: str) -> str:
    """``column 'inhabitants'`` for a header text, ``column E`` for a column named by letter."""
    ref = letter_ref(name)
    return f"column {name!r}" if ref is None else f"column {column_letter(ref)}"
