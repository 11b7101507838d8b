"""quartiere: reproducible delineation of Berlin's Handlungsräume.

The package follows the data flow: ``load -> harmonize -> criteria -> delineate -> name -> export``.
Its stages are here by name (``docs/api.md`` shows them from a notebook):

- :func:`load_config` reads and validates a configuration; :meth:`Config.with_values` varies
  a rule, validated the same way;
- :func:`load_inputs` reads every input of a configuration;
- :func:`compute` runs harmonize, criteria and delineate on loaded inputs (each also on its own:
  :func:`harmonize_inputs`, :func:`evaluate_criteria`, :func:`delineate_areas`; the plain names
  ``harmonize`` and ``delineate`` are their modules);
- :func:`explain` says why a planning area is in or out;
- :func:`write` writes a computed result as a GeoPackage; :func:`build` does all of it from a
  configuration file, map and summary included; :func:`read_build` reads a build back,
  :func:`diff_builds` compares two.

Importing the package imports none of them: each is imported when first used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: public name -> the module it lives in (``module:name`` where it is called otherwise there)
_API = {
    "Config": "quartiere.config",
    "load_config": "quartiere.config",
    "load_inputs": "quartiere.load",
    "Inputs": "quartiere.inputs",
    "harmonize_inputs": "quartiere.harmonize:harmonize",
    "evaluate_criteria": "quartiere.criteria_parts",
    "delineate_areas": "quartiere.delineate:delineate",
    "compute": "quartiere.pipeline",
    "write": "quartiere.pipeline",
    "build": "quartiere.pipeline",
    "BuildResult": "quartiere.result",
    "explain": "quartiere.present.explain",
    "read_build": "quartiere.io.builds",
    "diff_builds": "quartiere.compare.diff",
    "Build": "quartiere.record",
    "BuildInfo": "quartiere.record",
}

__all__ = ["ATTRIBUTION", "__version__", *_API]


def __getattr__(name: str) -> Any:
    """The stages by name, imported on first use (PEP 562)."""
    if name not in _API:
        raise AttributeError(f"module 'quartiere' has no attribute {name!r}")
    module, _, attribute = _API[name].partition(":")
    value = getattr(importlib.import_module(module), attribute or name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


ATTRIBUTION = (
    "Datenquelle: Amt für Statistik Berlin-Brandenburg / Senatsverwaltungen Berlin, CC BY 3.0 DE"
)
"""Attribution the licences of the Berlin open data require on every product made from them."""
