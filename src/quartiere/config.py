"""Typed configuration: every input, rule and number of a build, validated on load.

A configuration is a YAML file. ``extends: other.yaml`` names a base file whose keys are merged
under the
file's own (mappings merge key by key, everything else replaces). Every ``path`` is resolved
relative to the
file that writes it, so an edition under ``config/editions/`` and its base under ``config/`` can
both say
``../data/raw/...`` relative to themselves.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from quartiere.config_indicators import (
    UNIT_MESSAGES,
    Indicator,
    Indicators,
    IndicatorTable,
    IndicatorUnit,
)
from quartiere.config_inputs import (
    AtlasInput,
    CatchmentsInput,
    Fraction,
    IndicatorInput,
    LayerInput,
    LmbEstimate,
    MssInput,
    OfficialLmbInput,
    Percent,
    PlanningAreasInput,
    PopulationInput,
    TableInput,
    ZonesInput,
    _Model,
)
from quartiere.config_schools import SchoolsInput
from quartiere.errors import ConfigError
from quartiere.model import CRS, is_metric_crs
from quartiere.rules import RULE_NAMES, compile_rule, names_in, rule_names
from quartiere.yaml_io import safe_load

__all__ = [
    "AtlasInput",
    "CatchmentsInput",
    "Config",
    "Indicator",
    "IndicatorInput",
    "IndicatorTable",
    "IndicatorUnit",
    "UNIT_MESSAGES",
    "LayerInput",
    "LmbEstimate",
    "MssInput",
    "OfficialLmbInput",
    "PlanningAreasInput",
    "PopulationInput",
    "TableInput",
    "ZonesInput",
    "load_config",
    "read_config_dict",
]


class MssRule(_Model):
    """One alternative of the attention rule: every listed column's class must be one of its
    values."""

    status: list[str] | None = None
    dynamic: list[str] | None = None


class MssCriterion(_Model):
    """Gebiete mit besonderem Aufmerksamkeitsbedarf: a PLR matching any alternative is flagged."""

    attention: list[MssRule] = Field(min_length=1)


class SchoolsCriterion(_Model):
    lmb_threshold: Percent = Field(ge=0, le=100, description="lmb share (%) a catchment must reach")
    by: Literal["catchment_area", "school_location"] = Field(
        "catchment_area",
        description="a PLR meets it by its area in flagged catchments, or by holding such a school",
    )
    min_area_share: Fraction = Field(
        ge=0, le=1, description="share of the PLR's area covered by such catchments"
    )
    min_coverage: Fraction = Field(
        0.5, gt=0, le=1, description="share of the PLR's area that catchments with data must cover"
    )


class AtlasCriterion(_Model):
    strata: int = Field(7, ge=2, le=20)
    flag_strata: list[int] = Field(default_factory=lambda: [7])
    method: Literal["quantiles_count", "quantiles_population", "breaks"] = "quantiles_count"
    breaks: list[float] | None = Field(
        None, description="ascending upper bounds of the most disadvantaged strata (method: breaks)"
    )
    approximation_of: str = "Sozialstrukturatlas 2013 Schicht 7"

    @model_validator(mode="after")
    def _check(self) -> AtlasCriterion:
        bad = [s for s in self.flag_strata if not 1 <= s <= self.strata]
        if bad:
            raise ValueError(f"flag_strata {bad} outside 1..{self.strata}")
        if self.method == "breaks":
            if not self.breaks or len(self.breaks) != self.strata - 1:
                raise ValueError(f"method 'breaks' needs {self.strata - 1} breaks")
            if list(self.breaks) != sorted(self.breaks):
                raise ValueError("breaks must be ascending")
        return self


class Criteria(_Model):
    mss: MssCriterion
    schools: SchoolsCriterion
    atlas: AtlasCriterion
    extra: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="registered criteria beyond the three (quartiere.criteria.register_criterion):"
        " flag name -> its parameters",
    )

    @field_validator("extra")
    @classmethod
    def _registered(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        # Checked here, not after loading every input: `validate` must catch it.
        registered = [name for name in rule_names() if name not in RULE_NAMES]
        unknown = sorted(set(value) - set(registered))
        if unknown:
            raise ValueError(
                f"no criterion registered as {', '.join(unknown)}"
                f" (registered: {', '.join(sorted(registered)) or 'none'};"
                " see quartiere.criteria.register_criterion)"
            )
        return value


class HoleRule(_Model):
    fill: bool = True
    max_area_km2: float | None = Field(None, ge=0)
    max_population: float | None = Field(None, ge=0)


class MinimumSize(_Model):
    population: float = Field(0, ge=0)
    n_plr: int = Field(1, ge=1)


class GroupRule(_Model):
    """Separate clusters combined under one number with lettered parts (e.g. 13a-d)."""

    name: str
    bezirke: list[str] | None = Field(None, description="district codes (2-digit); None = all")
    which: Literal["below_minimum", "all"] = "below_minimum"
    min_population: float = Field(0, ge=0, description="parts smaller than this are dropped")


class NamingRule(_Model):
    by: Literal["bzr", "pgr"] = "bzr"
    second_name_share: Fraction = Field(
        0.35, ge=0, le=1, description="add a second name when it holds this population share"
    )
    overrides: dict[str, str] = Field(
        default_factory=dict, description="official names: member PLR id -> area name"
    )


class Delineation(_Model):
    seed: str = Field(description="boolean expression over c_mss, c_schools, c_atlas, n_criteria")
    join: str = Field(description="expression a neighbour must meet to join a seed cluster")

    @field_validator("seed", "join")
    @classmethod
    def _expression(cls, value: str, info: Any) -> str:
        try:
            compile_rule(value, info.field_name)
        except ConfigError as exc:
            raise ValueError(exc.message.split(": ", 1)[-1]) from None
        return value

    rings: int = Field(1, ge=0)
    contiguity: Literal["rook", "queen"] = "rook"
    snap_tolerance_m: float = Field(0.0, ge=0)
    border: Literal["none", "bezirk", "prognoseraum"] = "bezirk"
    holes: HoleRule = HoleRule()
    minimum: MinimumSize = MinimumSize()
    groups: list[GroupRule] = Field(default_factory=list)
    naming: NamingRule = NamingRule()
    min_overlap: Fraction = Field(
        0.5, gt=0, le=1, description="overlap share for an area to keep its number (--previous)"
    )


class Config(_Model):
    edition: str = Field(description="label of this edition, shown in every output")
    language: Literal["de", "en"] = Field(
        "de", description="language of profiles, map legend and summary (de or en)"
    )
    crs: str = CRS
    planning_areas: PlanningAreasInput
    population: PopulationInput
    mss: MssInput
    child_poverty: IndicatorInput
    indicators: Indicators = Field(description="what each MSS indicator of the edition means")
    catchments: CatchmentsInput
    schools: SchoolsInput | None = Field(None, description="per-school list (docs/schools.md)")
    atlas: AtlasInput
    criteria: Criteria
    delineation: Delineation
    source: Path | None = Field(None, description="the file this configuration was read from")
    files: list[Path] = Field(default_factory=list, description="this file and its bases")
    texts: list[str] = Field(
        default_factory=list,
        exclude=True,
        repr=False,
        description="the text of each of ``files`` as read and validated (empty when made in "
        "memory); a build records these texts and their hashes, never the files read again",
    )

    @field_validator("crs")
    @classmethod
    def _crs(cls, value: str) -> str:
        from pyproj import CRS

        try:
            CRS.from_user_input(value)
        except Exception as exc:  # pyproj raises its own CRSError
            raise ValueError(f"{value!r} is not a known CRS") from exc
        if not is_metric_crs(value):
            raise ValueError(
                f"{value!r} is not a projected CRS in metres (distances, areas and the contiguity "
                "tolerance are in metres; Berlin uses EPSG:25833)"
            )
        return value

    @model_validator(mode="after")
    def _schools_present(self) -> Config:
        if self.catchments.lmb_source == "schools" and self.schools is None:
            raise ValueError("catchments.lmb_source is 'schools' but no 'schools' input is given")
        if self.criteria.schools.by == "school_location" and self.schools is None:
            raise ValueError("criteria.schools.by is 'school_location' but no 'schools' input")
        return self

    @model_validator(mode="after")
    def _years_agree(self) -> Config:
        # An edition is one MSS year: its indicator tables must be of that year. An auxiliary
        # indicator of another year (k05 when the edition has no context table) must say why.
        edition = self.mss.edition
        for key in ("population", "child_poverty"):
            year = getattr(self, key).year
            if year is not None and year != edition:
                raise ValueError(
                    f"{key}.year {year} is not the MSS edition {edition} (mss.edition): an edition"
                    " takes its indicators from its own MSS year"
                )
        estimate = self.schools.estimate if self.schools is not None else None
        for i, extra in enumerate(estimate.extra if estimate else []):
            if extra.year is not None and extra.year != edition and not extra.why:
                raise ValueError(
                    f"schools.estimate.extra.{i}.year {extra.year} is not the MSS edition"
                    f" {edition}: say why under 'why', or use the edition's own table"
                )
        return self

    @model_validator(mode="after")
    def _indicators_agree(self) -> Config:
        estimate = self.schools.estimate if self.schools is not None else None
        extras = estimate.extra if estimate else []
        problem = self.indicators.disagreement(self.mss.edition, self.child_poverty, extras)
        if problem:
            raise ValueError(problem)
        return self

    def child_poverty_indicator(self) -> Indicator | None:
        """The declared indicator ``child_poverty`` reads (:meth:`Indicators.reading`)."""
        return self.indicators.reading(self.child_poverty.path, self.child_poverty.column)

    def child_poverty_label(self, language: str) -> str:
        """What ``child_poverty`` reads, as the edition declares it (``Kinderarmut (s4)``); the
        column's name when no declared indicator has that column."""
        item = self.child_poverty_indicator()
        return item.short_label(language) if item else self.child_poverty.column

    @model_validator(mode="after")
    def _rule_classes_exist(self) -> Config:
        def norm(values: list[str]) -> set[str]:
            return {" ".join(v.split()).lower() for v in values}

        known = {"status": norm(self.mss.status_classes), "dynamic": norm(self.mss.dynamic_classes)}
        for i, rule in enumerate(self.criteria.mss.attention):
            for column in ("status", "dynamic"):
                unknown = norm(getattr(rule, column) or []) - known[column]
                if unknown:
                    raise ValueError(
                        f"criteria.mss.attention.{i}.{column}: {sorted(unknown)} is not a "
                        f"{column} class of the MSS (mss.{column}_classes: "
                        f"{', '.join(sorted(known[column]))})"
                    )
        return self

    @model_validator(mode="after")
    def _rule_criteria_configured(self) -> Config:
        # A registered criterion's flag exists only when criteria.extra switches it on.
        for key in ("seed", "join"):
            expression = getattr(self.delineation, key)
            off = sorted(names_in(expression, key) - set(RULE_NAMES) - set(self.criteria.extra))
            if off:
                raise ValueError(
                    f"delineation.{key}: {', '.join(off)} in {expression!r} is not switched on"
                    f" (add it under criteria.extra)"
                )
        return self

    def with_values(self, values: Mapping[str, Any]) -> Config:
        """A copy with each dotted key set to its value, validated as the loader validates.

        Parameters
        ----------
        values
            Dotted key paths (list items by position) and their new values, e.g.
            ``{"criteria.schools.lmb_threshold": 55, "delineation.groups.0.min_population":
            2500}``.

        Returns
        -------
        Config
            A new configuration; this one is unchanged.

        Raises
        ------
        ConfigError
            A key that does not exist, or a value the loader would refuse, named by its key.

        Examples
        --------
        >>> from quartiere import load_config
        >>> config = load_config("config/criteria.yaml")  # doctest: +SKIP
        >>> stricter = config.with_values({"criteria.schools.lmb_threshold": 60})  # doctest: +SKIP
        """
        data = self.model_dump()
        for key, value in values.items():
            node: Any = data
            parts = key.split(".")
            for part in parts[:-1]:
                node = _child(node, part, key)
            last = parts[-1]
            if isinstance(node, list):
                _child(node, last, key)
                node[int(last)] = value
            elif isinstance(node, dict):
                node[last] = value  # an unknown key is refused by validation, with its name
            else:
                raise ConfigError(f"{key}: not a key of the configuration", self.source)
        try:
            return Config.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ConfigError(_describe(first, data), self.source) from None

    def input_paths(self) -> list[Path]:
        """Every input file this configuration reads, in a stable order."""
        paths = [
            self.planning_areas.path,
            self.population.path,
            self.mss.path,
            self.child_poverty.path,
            self.catchments.path,
            self.atlas.path,
        ]
        if self.catchments.official is not None and self.catchments.lmb_source == "official":
            paths.append(self.catchments.official.path)
        if self.schools is not None:
            paths.append(self.schools.path)
            estimate = self.schools.estimate
            paths.extend(e.path for e in (estimate.extra if estimate else []))
            if self.schools.key is not None:
                paths.append(self.schools.key.path)
            paths.extend(f.path for f in self.schools.flags if f.path is not None)
        if self.atlas.population is not None:
            paths.append(self.atlas.population.path)
        if self.atlas.zones is not None:
            paths.append(self.atlas.zones.path)
            if self.atlas.zones.population is not None:
                paths.append(self.atlas.zones.population.path)
        paths.extend(table.path for _, table in self.indicators.tables())  # read by profiles
        return list(dict.fromkeys(paths))


def _child(node: Any, part: str, key: str) -> Any:
    """The item ``part`` of a dumped configuration node (a list by position), or ConfigError."""
    if isinstance(node, dict) and part in node:
        return node[part]
    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
        return node[int(part)]
    raise ConfigError(f"{key}: {part!r} is not a key of the configuration")


def _resolve_paths(node: Any, base: Path) -> Any:
    """Make every ``path`` value absolute relative to the directory of the file that wrote it."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "path" and isinstance(value, str):
                out[key] = str((base / value).resolve())
            else:
                out[key] = _resolve_paths(value, base)
        return out
    if isinstance(node, list):
        return [_resolve_paths(v, base) for v in node]
    return node


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def read_config_dict(
    path: Path, _seen: tuple[Path, ...] = ()
) -> tuple[dict[str, Any], list[Path], list[str]]:
    """Read a YAML configuration with its ``extends`` chain; return the merged mapping, the files
    and the text of each file as read (each file is read once: the text is what is parsed)."""
    path = Path(path).resolve()
    if path in _seen:
        raise ConfigError("'extends' chain loops back to this file", path)
    if not path.is_file():
        raise ConfigError("configuration file not found", path)
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot be read as UTF-8 text ({type(exc).__name__})", path) from None
    try:
        data = safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError(problem, path, where) from None
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping of keys at the top level", path)
    data = _resolve_paths(data, path.parent)
    files, texts = [path], [text]
    parent = data.pop("extends", None)
    if parent is not None:
        if not isinstance(parent, str):
            raise ConfigError("'extends' must name one file", path)
        base, base_files, base_texts = read_config_dict(path.parent / parent, (*_seen, path))
        data = _merge(base, data)
        files, texts = base_files + files, base_texts + texts
    return data, files, texts


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model found at a location of the configuration, for suggesting key names."""
    model: Any = Config
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return None
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        model = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)),
            None,
        )
        if model is None:
            # lists of models: list[GroupRule]
            for c in candidates:
                for inner in getattr(c, "__args__", ()):
                    if isinstance(inner, type) and issubclass(inner, BaseModel):
                        model = inner
            if model is None:
                return None
    return model


def _describe(error: Any, data: dict[str, Any]) -> str:
    loc = tuple(error["loc"])
    dotted = ".".join(str(p) for p in loc)
    if error["type"] == "extra_forbidden":
        model = _model_at(loc[:-1])
        valid = list(getattr(model, "model_fields", {}) or {})
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f"; valid keys: {', '.join(valid)}"
        return f"{dotted}: unknown key{hint}"
    if error["type"] == "missing":
        return f"{dotted}: required key is missing"
    if error["type"] == "value_error":
        # Our own validators word their messages fully; a model-wide one names its key itself.
        reason = str(error.get("ctx", {}).get("error", error["msg"]))
        return f"{dotted}: {reason}" if dotted else reason
    value = error.get("input")
    shown = "" if isinstance(value, dict) else f": {value!r}"
    return f"{dotted}{shown} {error['msg'].lower()}"


RENAMED: dict[tuple[str, ...], str] = {
    ("atlas", "min_coverage"): (
        "renamed to atlas.min_area_coverage, a fraction 0-1 (0.5 means half) of a planning "
        "area's weight that must carry a value; the atlas table's own coverage is "
        "atlas.min_table_coverage"
    ),
}
"""Keys that changed name or meaning: refused with the new key and its unit, never reinterpreted."""


def _refuse_renamed(data: dict[str, Any], path: Path) -> None:
    for keys, hint in RENAMED.items():
        node: Any = data
        for key in keys[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and keys[-1] in node:
            raise ConfigError(f"{'.'.join(keys)}: {hint}", path)


def load_config(path: str | Path) -> Config:
    """Read, merge, resolve and validate a configuration file; raise ConfigError naming the key."""
    data, files, texts = read_config_dict(Path(path))
    _refuse_renamed(data, files[-1])
    for key in ("source", "files", "texts"):
        data.pop(key, None)
    try:
        config = Config.model_validate(
            {**data, "source": files[-1], "files": files, "texts": texts}
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        more = exc.error_count() - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ConfigError(_describe(first, data) + suffix, files[-1]) from None
    return config
