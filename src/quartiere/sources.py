"""The source catalogue (``config/sources.yaml``): which service and layer each input comes from.

The catalogue names, for every input that a live service offers, the WFS service and type name,
the output format and CRS to ask for, how the service's fields map to the columns the editions
read, and the licence and attribution. A monitoring edition (``editions:``) is a pattern over
years: ``mss{year}`` for ``mss_{year}:mss{year}_indizes_542``. Nothing in it is evaluated as code:
a column is a field name or one of a few fixed transformations (:class:`Column`).

>>> catalogue = load_catalogue(Path(__file__).parents[2] / "config" / "sources.yaml")
>>> [s.name for s in catalogue.sources(["mss2025", "lor2021"])]
['mss2025', 'lor2021']
>>> catalogue.source("mss2025").layers["index"].type_name
'mss_2025:mss2025_indizes_542'
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from quartiere.errors import ConfigError

__all__ = [
    "Catalogue",
    "Client",
    "Column",
    "EditionPattern",
    "Layer",
    "Source",
    "load_catalogue",
]

DEFAULT_CATALOGUE = Path("config/sources.yaml")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Column(_Model):
    """One output column from one service field, optionally transformed.

    Exactly one of: ``field`` alone (copied), with ``values`` (a lookup; a value outside it is
    an error), with ``slice`` (characters ``[start, stop)`` of the text) or with ``after`` (the
    text after the first separator); or ``reason``: the field's text on rows that carry the
    sentinel (the service's explanation of the missing values, e.g. ``kom``), else empty.
    """

    field: str | None = None
    values: dict[int | str, str] | None = None
    slice: tuple[int, int] | None = None
    after: str | None = None
    reason: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Column:
        if (self.field is None) == (self.reason is None):
            raise ValueError("give either 'field' or 'reason'")
        transforms = [t for t in (self.values, self.slice, self.after) if t is not None]
        if len(transforms) > 1 or (self.reason is not None and transforms):
            raise ValueError("at most one of 'values', 'slice', 'after', and none with 'reason'")
        return self

    @property
    def source_field(self) -> str:
        """The service field this column reads."""
        return self.field if self.field is not None else str(self.reason)


class Layer(_Model):
    """One WFS feature type and the file it becomes."""

    type_name: str = Field(description="'<service>:<layer>' as GetCapabilities lists it")
    file: str = Field(description="file name under data/raw/<source>/ (.csv or .geojson)")
    geometry: Literal["none", "polygon", "xy"] = Field(
        "none", description="none: a table; polygon: GeoJSON; xy: x, y columns in the CRS"
    )
    sort: str | None = Field(None, description="a real attribute to sort the pages by")
    key: str | None = Field(None, description="output column that must be unique")
    count: int | None = Field(None, ge=1, description="the number of features there must be")
    no_data_when: str | None = Field(
        None,
        description="service field whose sentinel marks a row without data: its other "
        "non-complete columns are emptied too (texts such as 'Planungsraum ohne Zuordnung')",
    )
    complete: list[str] = Field(
        default_factory=list, description="output columns that must never be missing"
    )
    columns: dict[str, Column]
    all_fields: bool = Field(False, description="keep every served field (unmapped)")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("columns"), dict):
            columns = {
                name: {"field": spec} if isinstance(spec, str) else spec
                for name, spec in data["columns"].items()
            }
            data = {**data, "columns": columns}
        return data

    @model_validator(mode="after")
    def _known_columns(self) -> Layer:
        for name in [*self.complete, *([self.key] if self.key else [])]:
            if name not in self.columns:
                raise ValueError(f"{name!r} is not one of the layer's columns")
        return self

    @property
    def service(self) -> str:
        """The service part of the type name."""
        return self.type_name.partition(":")[0]

    @property
    def fields(self) -> list[str]:
        """The service fields the columns read (each once, in order)."""
        return list(dict.fromkeys(c.source_field for c in self.columns.values()))


class Source(_Model):
    """One input: a service, its layers, licence and attribution."""

    name: str
    service: str
    licence: str
    attribution: str
    note: str | None = None
    layers: dict[str, Layer]
    edition_year: int | None = Field(None, description="set for a monitoring edition's year")
    pattern: str | None = Field(None, description="the edition pattern it comes from")


class EditionPattern(_Model):
    """A monitoring edition per year (``{year}`` in every text)."""

    name: str
    service: str
    years: list[int]
    every: int = Field(2, ge=1)
    label: str
    licence: str
    attribution: str
    layers: dict[str, Layer]
    indicators: dict[str, str] = Field(default_factory=dict)

    def source(self, year: int, pattern: str) -> Source:
        """The source of one year: every ``{year}`` filled in."""

        def fill(value: Any) -> Any:
            if isinstance(value, str):
                return value.replace("{year}", str(year))
            if isinstance(value, dict):
                return {k: fill(v) for k, v in value.items()}
            if isinstance(value, list):
                return [fill(v) for v in value]
            return value

        layers = {k: fill(v.model_dump(exclude_defaults=True)) for k, v in self.layers.items()}
        return Source(
            name=fill(self.name),
            service=fill(self.service),
            licence=fill(self.licence),
            attribution=fill(self.attribution),
            layers={k: Layer.model_validate(v) for k, v in layers.items()},
            edition_year=year,
            pattern=pattern,
        )

    def year_of(self, name: str) -> int | None:
        """The year a source name like ``mss2027`` stands for, or None."""
        head, _, tail = self.name.partition("{year}")
        match = re.fullmatch(re.escape(head) + r"(\d{4})" + re.escape(tail), name)
        return int(match.group(1)) if match else None


class Client(_Model):
    """How to talk to the services: per-request timeout, bounded retries, page size."""

    timeout_s: float = Field(60, gt=0)
    retries: int = Field(3, ge=0, le=10)
    backoff_s: float = Field(2, ge=0)
    page_size: int = Field(1000, ge=1)


class Catalogue(_Model):
    """The whole catalogue; :meth:`sources` resolves names."""

    base_url: str
    format: str = "application/json"
    crs: str = "EPSG:25833"
    axis_order: Literal["easting,northing"] = "easting,northing"
    sentinel: int = -9999
    client: Client = Client()
    editions: dict[str, EditionPattern] = Field(default_factory=dict)
    fixed: dict[str, Source] = Field(default_factory=dict, alias="sources")
    path: Path | None = None

    @model_validator(mode="before")
    @classmethod
    def _names(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("sources"), dict):
            named = {
                name: {"name": name, **spec} if isinstance(spec, dict) else spec
                for name, spec in data["sources"].items()
            }
            data = {**data, "sources": named}
        return data

    def known_years(self, pattern: str) -> list[int]:
        """The years the catalogue names for an edition pattern."""
        return sorted(self.editions[pattern].years)

    def source(self, name: str) -> Source:
        """The source called ``name`` (a fixed one, or any year of an edition pattern)."""
        if name in self.fixed:
            return self.fixed[name]
        for key, pattern in self.editions.items():
            year = pattern.year_of(name)
            if year is not None:
                return pattern.source(year, key)
        known = [*(n for k in self.editions for n in self.edition_names(k)), *self.fixed]
        raise ConfigError(
            f"unknown source {name!r}; the catalogue has: {', '.join(known)} "
            "(and mss<year> for any later year)"
        )

    def edition_names(self, pattern: str, years: list[int] | None = None) -> list[str]:
        """Source names of an edition pattern's years (default: the years it names)."""
        spec = self.editions[pattern]
        return [spec.name.replace("{year}", str(y)) for y in (years or spec.years)]

    def sources(self, names: list[str] | None = None) -> list[Source]:
        """The named sources in the order given; all the catalogue names when ``names`` is empty.

        A pattern's key (``mss``) stands for every year it names.
        """
        if not names:
            names = [*(n for k in self.editions for n in self.edition_names(k)), *self.fixed]
        expanded: list[str] = []
        for name in names:
            expanded += self.edition_names(name) if name in self.editions else [name]
        return [self.source(n) for n in dict.fromkeys(expanded)]


def load_catalogue(path: str | Path = DEFAULT_CATALOGUE) -> Catalogue:
    """Read and validate a catalogue; a problem is one :class:`ConfigError` line."""
    from quartiere.yaml_io import safe_load

    path = Path(path)
    if not path.is_file():
        raise ConfigError("no such catalogue file", path)
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except Exception as exc:  # PyYAML's errors carry the line
        raise ConfigError(f"not valid YAML: {exc}".splitlines()[0], path) from None
    if not isinstance(data, dict):
        raise ConfigError("a catalogue is a mapping (base_url:, editions:, sources:)", path)
    try:
        return Catalogue.model_validate({**data, "path": path})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{first['msg']}", path, where) from None
