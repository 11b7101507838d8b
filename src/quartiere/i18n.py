"""Every user-facing word of the documents meant for Berlin users, in German and English.

Profiles, the build's map, ``summary.md`` and the GeoPackage's descriptions and QGIS legends are
read in a Berlin administration: German by default, English with ``language: en`` in the
configuration. The words live in one catalogue, ``messages.yaml`` beside this module (loaded as
:data:`MESSAGES`), one entry per message with both languages side by side, so a translation is
checked in one place; numbers and dates are formatted by Babel (``1.234,5`` and
``28. November 2026`` in German).

>>> t = Messages("de")
>>> t("inhabitants")
'Einwohnerinnen und Einwohner'
>>> t.number(1234.5, 1)
'1.234,5'
>>> Messages("en").number(1234.5, 1)
'1,234.5'
>>> t.short(0.25), t.short(75.0)
('0,25', '75')
"""

from __future__ import annotations

import math
from datetime import date, datetime
from importlib import resources
from typing import Any, Literal

import numpy as np
from babel.dates import format_date
from babel.numbers import format_decimal

from quartiere.yaml_io import safe_load

__all__ = ["LANGUAGES", "Language", "MESSAGES", "Messages"]

Language = Literal["de", "en"]
LANGUAGES: tuple[Language, ...] = ("de", "en")

MESSAGES: dict[str, dict[str, str]] = safe_load(
    resources.files("quartiere").joinpath("messages.yaml").read_text(encoding="utf-8")
)
"""Message key -> language -> text, from the one catalogue ``messages.yaml`` beside this module."""


class Messages:
    """The catalogue in one language, with number and date formatting of that language."""

    def __init__(self, language: str = "de") -> None:
        if language not in LANGUAGES:
            raise ValueError(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
        self.language: Language = language  # type: ignore[assignment]

    def __call__(self, key: str, **values: object) -> str:
        """The message ``key`` in this language, with ``{placeholders}`` filled in."""
        text = MESSAGES[key][self.language]
        return text.format(**values) if values else text

    def number(self, value: Any, decimals: int = 0) -> str:
        """A number as this language writes it (``1.234,5``); an en dash for no data."""
        if value is None or (isinstance(value, float | np.floating) and math.isnan(value)):
            return "–"
        fmt = "#,##0" + ("." + "0" * decimals if decimals else "")
        return str(format_decimal(round(float(value), decimals), format=fmt, locale=self.language))

    def short(self, value: float, decimals: int = 3) -> str:
        """A number with at most ``decimals`` decimals and no trailing zeros, like ``:g``
        (``0,25`` and ``500`` in German)."""
        fmt = "#,##0." + "#" * decimals
        return str(format_decimal(float(value), format=fmt, locale=self.language))

    def date(self, value: date | datetime) -> str:
        """A date as this language writes it (``28. November 2026``)."""
        return str(format_date(value, format="long", locale=self.language))
