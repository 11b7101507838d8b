"""What an edition's MSS indicators are: code, column, meaning, unit and series (docs/usage.md,
"The indicators of an edition"). An MSS code is only a label (s2 was long-term unemployment up to
2017 and is children in single-parent households from 2023): every output takes the meaning from
the edition's declaration, and a trend joins editions only where they declare the same series.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from quartiere.config_tables import TableInput
from quartiere.errors import ConfigError

__all__ = [
    "Indicator",
    "IndicatorTable",
    "Indicators",
    "IndicatorUnit",
    "UNIT_MESSAGES",
    "check_indicator_columns",
]


class TableColumn(Protocol):
    """An input reading one column of a table (``child_poverty``)."""

    @property
    def path(self) -> Path: ...
    @property
    def column(self) -> str: ...


class ExtraColumn(TableColumn, Protocol):
    """A ranking indicator of the school estimate (``schools.estimate.extra``)."""

    @property
    def label(self) -> str: ...
    @property
    def year(self) -> int | None: ...


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


IndicatorUnit = Literal["%", "percentage points", "per 100 inhabitants", "per 100"]
"""The units an MSS indicator is published in (docs/usage.md, "The indicators of an edition")."""

UNIT_MESSAGES: dict[str, str] = {
    "%": "unit_percent",
    "percentage points": "unit_percentage_points",
    "per 100 inhabitants": "unit_per_100_inhabitants",
    "per 100": "unit_per_100",
}
"""Message key of each unit's display text."""


class Indicator(_Model):
    """What one column of an edition's indicator table is: its code, meaning, unit and series.

    The code (``s2``) is only the MSS's label and may mean different things in different editions;
    ``series`` says which indicators of different editions are the same quantity, and only they
    are joined in a trend.
    """

    code: str = Field(pattern=r"^[a-z]\d{1,2}$", description="the MSS code, e.g. s1 or k05")
    column: str = Field(description="the column of the table holding it")
    meaning: str | None = Field(
        None, description="a key of the message catalogue (quartiere/messages.yaml) saying it"
    )
    meaning_de: str | None = Field(None, description="what it measures, in German")
    meaning_en: str | None = Field(None, description="what it measures, in English")
    unit: IndicatorUnit = "%"
    series: str = Field(
        pattern=r"^[a-z][a-z0-9_]*$",
        description="the quantity it measures: indicators of several editions with the same"
        " series form one line of the trend, all others never share one",
    )

    @model_validator(mode="after")
    def _one_meaning(self) -> Indicator:
        inline = (self.meaning_de, self.meaning_en)
        if self.meaning is None and not all(inline):
            raise ValueError(
                f"indicator {self.code}: give 'meaning_de' and 'meaning_en', or 'meaning' (a"
                " message key)"
            )
        if self.meaning is not None and any(inline):
            raise ValueError(
                f"indicator {self.code}: 'meaning' (a message key) or 'meaning_de'/'meaning_en',"
                " not both"
            )
        if self.meaning is not None:
            from quartiere.i18n import MESSAGES

            if self.meaning not in MESSAGES:
                close = difflib.get_close_matches(self.meaning, list(MESSAGES), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ValueError(
                    f"indicator {self.code}: meaning {self.meaning!r} is not a message key{hint}"
                )
        return self

    def meaning_in(self, language: str) -> str:
        """What the indicator measures, in ``language`` (``de`` or ``en``)."""
        if self.meaning is not None:
            from quartiere.i18n import Messages

            return Messages(language)(self.meaning)
        text = self.meaning_de if language == "de" else self.meaning_en
        assert text is not None  # _one_meaning
        return text

    def short_label(self, language: str) -> str:
        """The meaning without its parenthesis, then the code: ``Kinderarmut (s4)``."""
        return f"{self.meaning_in(language).split(' (')[0]} ({self.code})"

    def label(self, language: str) -> str:
        """``code meaning``, with the unit when it is not percent (``k06 ... (Prozentpunkte)``)."""
        text = f"{self.code} {self.meaning_in(language)}"
        if self.unit != "%":
            from quartiere.i18n import Messages

            text += f" ({Messages(language)(UNIT_MESSAGES[self.unit])})"
        return text


class IndicatorTable(TableInput):
    """An MSS table of indicators per planning area (table 2, index; table 4.1, context) and the
    indicators an edition takes from it."""

    id: str = Field("id", description="column holding the planning area id")
    year: int = Field(description="the MSS edition the values belong to")  # type: ignore[assignment]
    why: str | None = Field(
        None, description="why the table is of another year than the edition (shown in outputs)"
    )
    items: list[Indicator] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> IndicatorTable:
        for key in ("code", "column", "series"):
            values = [getattr(i, key) for i in self.items]
            twice = sorted({v for v in values if values.count(v) > 1})
            if twice:
                raise ValueError(f"items: {key} {', '.join(twice)} declared twice")
        return self


class Indicators(_Model):
    """The edition's MSS indicators: what each column means (see :class:`Indicator`)."""

    index: IndicatorTable = Field(description="table 2: the index indicators s1..s4")
    context: IndicatorTable | None = Field(
        None,
        description="table 4.1: context indicators k01..; profiles show them only when the table"
        " is of the edition's own year",
    )

    def tables(self) -> list[tuple[str, IndicatorTable]]:
        """``(key, table)`` for the index table and the context table when there is one."""
        return [("index", self.index)] + ([("context", self.context)] if self.context else [])

    def reading(self, path: Path, column: str) -> Indicator | None:
        """The declared indicator an input reading ``column`` of ``path`` reads: that column of
        that table, or of the index table when the input reads a copy elsewhere; else None."""
        found = self.find(path, column)
        if found is not None:
            return found[1]
        return next((i for i in self.index.items if i.column == column), None)

    def disagreement(
        self, edition: int, child_poverty: TableColumn, extras: Sequence[ExtraColumn]
    ) -> str | None:
        """Why the declarations do not fit the edition, or None.

        The tables are of the edition's year (a context table of another year says ``why``);
        the inputs reading an indicator table read what is declared there: ``child_poverty``
        a declared column of the index table, a ranking indicator (``schools.estimate.extra``,
        k05) the table, column and year declared under its code.
        """
        if self.index.year != edition:
            return (
                f"indicators.index.year {self.index.year} is not the MSS edition {edition}"
                " (mss.edition): an edition takes its indicators from its own MSS year"
            )
        context = self.context
        if context is not None and context.year != edition and not context.why:
            return (
                f"indicators.context.year {context.year} is not the MSS edition {edition}: say"
                " why under 'why', or use the edition's own table"
            )
        columns = {i.column for i in self.index.items}
        if child_poverty.path == self.index.path and child_poverty.column not in columns:
            return (
                f"child_poverty.column {child_poverty.column!r} is not declared under"
                f" indicators.index.items (the same table, {self.index.path.name})"
            )
        declared = {i.code: (t, i) for _, t in self.tables() for i in t.items}
        for n, extra in enumerate(extras):
            if extra.label not in declared:
                continue
            table, item = declared[extra.label]
            if (extra.path, extra.column, extra.year) != (table.path, item.column, table.year):
                return (
                    f"schools.estimate.extra.{n} ({extra.label}: {extra.path.name}, column"
                    f" {extra.column}, year {extra.year}) is not the {item.code} the edition"
                    f" declares under indicators ({table.path.name}, column {item.column}, year"
                    f" {table.year})"
                )
        return None

    def find(self, path: Path, column: str) -> tuple[IndicatorTable, Indicator] | None:
        """The declared indicator read from ``column`` of the table at ``path``, if any."""
        for _, table in self.tables():
            if table.path == Path(path):
                for item in table.items:
                    if item.column == column:
                        return table, item
        return None


HeaderReader = Callable[[IndicatorTable], list[str]]


def check_indicator_columns(
    indicators: Indicators, source: Path | None, read_header: HeaderReader
) -> None:
    """Refuse an indicator declared on a column its table lacks, naming the file and column.

    A table that is not there is left to the loader (it reports a missing file as input error).
    ``read_header`` reads a table's column names (:func:`quartiere.io.tables.read_header`): the
    configuration reads no input file itself.

    Raises
    ------
    ConfigError
        ``indicators.<table>.items.<n>.column: column 'x' is not in <file> ...``, against
        ``source`` (the configuration file that was loaded).
    """
    for key, table in indicators.tables():
        if not Path(table.path).is_file():
            continue
        header = read_header(table)
        for n, item in enumerate(table.items):
            if item.column not in header:
                close = difflib.get_close_matches(item.column, header, n=1)
                hint = (
                    f"did you mean {close[0]!r}?" if close else f"its columns: {', '.join(header)}"
                )
                raise ConfigError(
                    f"indicators.{key}.items.{n}.column: column {item.column!r} ({item.code}) is"
                    f" not in {Path(table.path).name}; {hint}",
                    source,
                )
