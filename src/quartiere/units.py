"""Units of shares and thresholds: percentages (0-100) and fractions (0-1), declared and checked.

Convention (docs/units-and-coverage.md): a key whose value is an lmb share, an lmb threshold or a
citywide mean is a **percentage** (``75`` means 75 %); every other share (``min_area_share``,
``min_coverage``, ``second_name_share``, ``min_overlap``) is a **fraction** (``0.5`` means half).
Either kind of key also accepts an explicit unit, ``"75 %"``; it is converted to the key's unit.
A bare number that fits the other unit is refused with a hint rather than silently misread.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["as_percent", "as_fraction", "check_percent_column"]

_EXPLICIT = re.compile(r"^\s*([-+]?\d+(?:[.,]\d+)?)\s*%\s*$")


def _explicit_percent(value: object) -> float | None:
    """``"75 %"`` -> 75.0; anything else -> None."""
    if isinstance(value, str):
        match = _EXPLICIT.match(value)
        if match:
            return float(match.group(1).replace(",", "."))
    return None


def _in_unit(value: object, unit: str, other: str, wrong: tuple[float, float]) -> object:
    """``value`` in ``unit`` (``percentage`` or ``fraction``): an explicit ``"75 %"`` converted,
    a bare number in ``wrong`` (lower bound open, upper closed) refused as the ``other`` unit."""
    percent = unit == "percentage"
    explicit = _explicit_percent(value)
    if explicit is not None:
        return explicit if percent else explicit / 100
    low, high = wrong
    if isinstance(value, int | float) and not isinstance(value, bool) and low < value <= high:
        meant = value * 100 if percent else value / 100
        raise ValueError(
            f"{value:g} looks like a {other}; this key is a {unit}: did you mean {meant:g}?"
        )
    return value


def as_percent(value: object) -> object:
    """Validate a percentage key: ``75`` or ``"75 %"``; ``0.75`` is refused as a fraction.

    >>> as_percent("75 %"), as_percent(75)
    (75.0, 75)
    >>> as_percent(0.75)
    Traceback (most recent call last):
    ValueError: 0.75 looks like a fraction; this key is a percentage: did you mean 75?
    """
    return _in_unit(value, "percentage", "fraction", (0, 1))


def as_fraction(value: object) -> object:
    """Validate a fraction key: ``0.5`` or ``"50 %"``; ``50`` is refused as a percentage.

    >>> as_fraction("50 %"), as_fraction(0.5)
    (0.5, 0.5)
    >>> as_fraction(50)
    Traceback (most recent call last):
    ValueError: 50 looks like a percentage; this key is a fraction: did you mean 0.5?
    """
    return _in_unit(value, "fraction", "percentage", (1, 100))


def check_percent_column(values: Sequence[float]) -> str | None:
    """Why a column meant in percent (0-100) seems to hold fractions, or None when it does not.

    A column whose every known value lies in [0, 1] (and not all 0) is a table of fractions:
    read as percent, 0.78 would be 0.78 %, and no catchment would ever reach a threshold.

    >>> check_percent_column([0.78, 0.12, 0.5])
    'all values lie in 0-1 (largest 0.78); this column is a percentage (0-100): write 78 for 78 %'
    >>> check_percent_column([78.0, 12.0]) is None
    True
    """
    known = [float(v) for v in values if v == v]  # drop NaN
    if not known or max(known) <= 0 or max(known) > 1 or min(known) < 0:
        return None
    top = max(known)
    return (
        f"all values lie in 0-1 (largest {top:g}); this column is a percentage (0-100): "
        f"write {top * 100:g} for {top * 100:g} %"
    )
