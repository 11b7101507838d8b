"""The sensitivity plan: which configuration values are uncertain, and over what.

A plan is a YAML file::

    samples: 512          # Saltelli base samples N (scenarios: N * (D + 2)), a power of two
    seed: 20260101        # same plan and seed: the same scenarios and outputs
    parameters:
      - key: criteria.schools.lmb_threshold     # a key path of the configuration
        range: [65, 85]                          # numeric range (int when the key is an int)
      - key: criteria.atlas.flag_strata
        choices: [[7], [6, 7]]                   # any values the configuration accepts

Validated like the configuration: an unknown key path, an empty range, or a choice the
configuration would refuse is one clear line (exit 2).
"""

from __future__ import annotations

import copy
import difflib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ValidationError

from quartiere.config import Config, _describe
from quartiere.errors import ConfigError
from quartiere.yaml_io import safe_load

__all__ = ["Parameter", "Plan", "load_plan", "apply_values", "VARIABLE_PREFIXES"]

#: Key paths a scenario may vary: they change flags or the clustering, never geometry or inputs.
VARIABLE_PREFIXES = (
    "criteria.",
    "catchments.estimate.citywide_mean",
    "schools.estimate.anchors",
    "schools.estimate.top_share",
    "schools.estimate.bottom_share",
    "delineation.seed",
    "delineation.join",
    "delineation.rings",
    "delineation.contiguity",
    "delineation.border",
    "delineation.holes.",
    "delineation.minimum.",
    "delineation.groups.",
)
_PLAN_KEYS = {"samples", "seed", "parameters"}
_PARAM_KEYS = {"key", "name", "range", "choices", "why"}


@dataclass(frozen=True)
class Parameter:
    """One uncertain configuration value.

    ``kind`` is ``"float"``, ``"int"`` (inclusive range) or ``"choice"``; ``values`` holds the
    typed choices (as the validated configuration holds them) and ``labels`` their short texts.
    """

    key: str
    name: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    values: tuple[Any, ...] = ()
    labels: tuple[str, ...] = ()

    def decode(self, u: float) -> Any:
        """The parameter's value for a unit-interval sample ``u`` in [0, 1]."""
        if self.kind == "float":
            return self.low + u * (self.high - self.low)
        if self.kind == "int":
            span = int(self.high - self.low) + 1
            return int(self.low) + min(int(math.floor(u * span)), span - 1)
        k = len(self.values)
        return min(int(math.floor(u * k)), k - 1)  # choice index

    def value(self, decoded: Any) -> Any:
        return self.values[decoded] if self.kind == "choice" else decoded

    def label(self, decoded: Any) -> str:
        if self.kind == "choice":
            return self.labels[decoded]
        if self.kind == "int":
            return str(decoded)
        return f"{decoded:.6g}"


@dataclass(frozen=True)
class Plan:
    parameters: tuple[Parameter, ...]
    samples: int
    seed: int
    source: str = ""

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    def problem(self) -> dict[str, Any]:
        """The SALib problem: every parameter sampled on [0, 1] and decoded by :meth:`decode`."""
        return {
            "num_vars": len(self.parameters),
            "names": self.names,
            "bounds": [[0.0, 1.0]] * len(self.parameters),
        }

    def decode(self, row: np.ndarray) -> list[Any]:
        return [p.decode(float(u)) for p, u in zip(self.parameters, row, strict=True)]

    def values(self, decoded: list[Any]) -> dict[str, Any]:
        return {p.key: p.value(d) for p, d in zip(self.parameters, decoded, strict=True)}


def _split(key: str) -> list[str | int]:
    return [int(part) if part.isdigit() else part for part in key.split(".")]


def _lookup(node: Any, parts: list[str | int]) -> Any:
    for part in parts:
        if isinstance(node, BaseModel):
            node = getattr(node, str(part))
        elif isinstance(node, dict):
            node = node[part]
        else:
            node = node[int(part)]
    return node


def _set(data: dict[str, Any], parts: list[str | int], value: Any) -> None:
    node: Any = data
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value


def _check_path(data: dict[str, Any], key: str) -> str | None:
    """None when ``key`` names a value in ``data``; otherwise what is wrong."""
    node: Any = data
    walked: list[str] = []
    for part in _split(key):
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node = node[part]
        else:
            options = [str(k) for k in node] if isinstance(node, dict) else []
            close = difflib.get_close_matches(str(part), options, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            where = ".".join(walked) or "the configuration"
            return f"unknown key path: {where} has no '{part}'{hint}"
        walked.append(str(part))
    return None


def _label(value: Any) -> str:
    if isinstance(value, str):
        return value
    plain = value.model_dump(exclude_none=True) if isinstance(value, BaseModel) else value
    if isinstance(plain, list):
        plain = [v.model_dump(exclude_none=True) if isinstance(v, BaseModel) else v for v in plain]
    if not isinstance(plain, list | dict):
        return str(plain)
    return yaml.safe_dump(plain, default_flow_style=True, allow_unicode=True, width=10_000).strip()


def load_plan(path: str | Path, config: Config) -> Plan:
    """Read and validate a plan against ``config``; ConfigError (one line) when it is wrong."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("plan file not found", path)
    try:
        raw = safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        raise ConfigError(getattr(exc, "problem", None) or "not valid YAML", path, where) from None
    if not isinstance(raw, dict):
        raise ConfigError("expected a mapping with 'parameters'", path)
    unknown = sorted(set(raw) - _PLAN_KEYS)
    if unknown:
        raise ConfigError(
            f"unknown key '{unknown[0]}'; valid keys: samples, seed, parameters", path
        )
    samples = raw.get("samples", 256)
    seed = raw.get("seed", 0)
    for key, value, low in (("samples", samples, 1), ("seed", seed, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ConfigError(f"{key}: {value!r} must be an integer >= {low}", path)
    entries = raw.get("parameters")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(
            "parameters: a non-empty list of {key, range | choices} is required", path
        )

    base = config.model_dump(mode="python", exclude={"source", "files"})
    parameters: list[Parameter] = []
    for i, entry in enumerate(entries):
        parameters.append(_parameter(i, entry, base, config, path))
    keys = [p.key for p in parameters]
    names = [p.name for p in parameters]
    for label, seen in (("key", keys), ("name", names)):
        dup = next((k for k in seen if seen.count(k) > 1), None)
        if dup is not None:
            raise ConfigError(f"parameters: {label} '{dup}' appears twice", path)
    return Plan(tuple(parameters), samples, seed, str(path))


def _parameter(i: int, entry: Any, base: dict[str, Any], config: Config, path: Path) -> Parameter:
    where = f"parameters[{i}]"
    if not isinstance(entry, dict) or "key" not in entry:
        raise ConfigError(f"{where}: expected a mapping with 'key' and 'range' or 'choices'", path)
    unknown = sorted(set(entry) - _PARAM_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key '{unknown[0]}'", path)
    key = str(entry["key"])
    where = f"{where} ({key})"
    problem = _check_path(base, key)
    if problem:
        raise ConfigError(f"{where}: {problem}", path)
    if not any(key == p or key.startswith(p) for p in VARIABLE_PREFIXES):
        raise ConfigError(
            f"{where}: cannot vary per scenario (only criteria, the lmb calibration "
            "and the delineation rules; inputs and geometry are loaded once)",
            path,
        )
    if ("range" in entry) == ("choices" in entry):
        raise ConfigError(f"{where}: give exactly one of 'range' or 'choices'", path)
    name = str(entry.get("name") or key)
    parts = _split(key)
    current = _lookup(config, parts)

    def validated(value: Any, what: str) -> Any:
        data = copy.deepcopy(base)
        _set(data, parts, value)
        try:
            checked = Config.model_validate({**data, "source": config.source, "files": []})
        except ValidationError as exc:
            reason = _describe(exc.errors()[0], data)
            raise ConfigError(
                f"{where}: {what} {_label(value)!r} is refused by the configuration: {reason}",
                path,
            ) from None
        return _lookup(checked, parts)

    if "range" in entry:
        bounds = entry["range"]
        numeric = isinstance(bounds, list) and len(bounds) == 2
        numeric = numeric and all(
            isinstance(b, int | float) and not isinstance(b, bool) for b in bounds
        )
        if not numeric or not (isinstance(current, int | float) and not isinstance(current, bool)):
            raise ConfigError(f"{where}: range must be [low, high] of a numeric key", path)
        low, high = bounds
        if not low < high:
            raise ConfigError(
                f"{where}: empty range [{low}, {high}] (low must be below high)", path
            )
        kind = "int" if isinstance(current, int) else "float"
        if kind == "int" and not (float(low).is_integer() and float(high).is_integer()):
            raise ConfigError(f"{where}: {key} is an integer; the range needs integer bounds", path)
        validated(low, "range bound")
        validated(high, "range bound")
        return Parameter(key, name, kind, float(low), float(high))

    choices = entry["choices"]
    if not isinstance(choices, list) or len(choices) < 2:
        raise ConfigError(f"{where}: choices must list at least two values", path)
    values = tuple(validated(c, "choice") for c in choices)
    labels = tuple(_label(c) for c in choices)
    if len(set(labels)) != len(labels):
        raise ConfigError(f"{where}: choices repeat a value", path)
    return Parameter(key, name, "choice", values=values, labels=labels)


def apply_values(config: Config, values: dict[str, Any]) -> Config:
    """A copy of ``config`` with each key path set to its (already validated) value."""
    for key, value in values.items():
        config = _replace(config, _split(key), value)
    return config


def _replace(node: Any, parts: list[str | int], value: Any) -> Any:
    if not parts:
        return value
    head, rest = parts[0], parts[1:]
    if isinstance(node, BaseModel):
        return node.model_copy(update={str(head): _replace(getattr(node, str(head)), rest, value)})
    if isinstance(node, dict):
        return {**node, head: _replace(node[head], rest, value)}
    items = list(node)
    items[int(head)] = _replace(items[int(head)], rest, value)
    return items
