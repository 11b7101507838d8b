"""Derived inputs through the cache: parsed inputs, zone-transfer weights, the contiguity graph.

Each value has its own key (:func:`quartiere.io.cache.cache_key`) made of exactly what it depends
on, so that a changed input or rule invalidates only what depends on it:

* **inputs** (:func:`quartiere.load.load_inputs`): the SHA-256 of every input file and the
  configuration of the inputs (paths, fields, coverage rules, the CRS, the school list), not the
  criteria or the delineation rules, nor the lmb estimate's scaling;
* **harmonized** (:func:`quartiere.pipeline.harmonize`): the inputs key, the lmb estimate, the
  atlas transfer (weight, minimum coverage) and the per-school estimate (``schools:``);
* **contiguity** (:func:`quartiere.contiguity.build_contiguity`): the planning-area file and its
  configuration, the contiguity kind and the snap tolerance.

All keys include :func:`quartiere.io.cache.code_version`. Without a cache (``cache=None``) every
value is computed as before; outputs are equal either way (``tests/test_cache.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quartiere.io.cache import Cache, cache_key, file_digest

if TYPE_CHECKING:
    from quartiere.config import Config
    from quartiere.contiguity import Contiguity
    from quartiere.load import Inputs

__all__ = ["Derived", "derived_inputs"]

_INPUT_SECTIONS = (
    "crs",
    "planning_areas",
    "population",
    "mss",
    "child_poverty",
    "catchments",
    "schools",
)


@dataclass
class Derived:
    """What a build derives from its inputs before the criteria."""

    inputs: Inputs
    harmonized: Any  # quartiere.pipeline.Harmonized
    graph: Contiguity
    keys: dict[str, str]
    #: the SHA-256 of each input (resolved path -> hex) taken when the build began: the digests
    #: that key the cache and that the build records
    digests: dict[Path, str] = field(default_factory=dict)


def _digests(config: Config) -> dict[Path, str]:
    return {Path(p).resolve(): file_digest(p) for p in config.input_paths()}


def _keys(config: Config, digests: dict[Path, str] | None = None) -> dict[str, str]:
    digests = _digests(config) if digests is None else digests
    dump = config.model_dump(mode="json")
    inputs_part = {k: dump[k] for k in _INPUT_SECTIONS}
    inputs_part["catchments"] = {k: v for k, v in dump["catchments"].items() if k != "estimate"}
    inputs_part["atlas"] = {
        k: v for k, v in dump["atlas"].items() if k not in ("min_area_coverage", "label")
    }
    hashes = [digests[Path(p).resolve()] for p in config.input_paths()]
    inputs = cache_key("inputs", hashes, inputs_part)
    harmonized = cache_key(
        "harmonized",
        inputs,
        dump["catchments"].get("estimate"),
        dump["atlas"]["weight"],
        dump["atlas"]["min_area_coverage"],
        dump.get("schools"),  # the per-school estimate (quartiere.schools.assess)
    )
    rules = dump["delineation"]
    graph = cache_key(
        "contiguity",
        file_digest(config.planning_areas.path),
        dump["planning_areas"],
        dump["crs"],
        rules["contiguity"],
        rules["snap_tolerance_m"],
    )
    return {"inputs": inputs, "harmonized": harmonized, "contiguity": graph}


def derived_inputs(
    config: Config, cache: Cache | None, harmonize: Callable[[Inputs, Config], Any]
) -> Derived:
    """Parsed inputs, harmonized values and the contiguity graph: from ``cache`` when current.

    ``harmonize`` is :func:`quartiere.pipeline.harmonize` (passed in: the pipeline imports this
    module).
    """
    from quartiere.contiguity import build_contiguity
    from quartiere.load import load_inputs

    digests = _digests(config)
    keys = _keys(config, digests) if cache is not None else {}

    def through(kind: str, make: Callable[[], Any]) -> Any:
        return make() if cache is None else cache.fetch(kind, keys[kind], make)

    inputs = through("inputs", lambda: load_inputs(config))
    harmonized = through("harmonized", lambda: harmonize(inputs, config))
    rules = config.delineation
    graph = through(
        "contiguity",
        lambda: build_contiguity(
            inputs.planning_areas.geometry.values, rules.contiguity, rules.snap_tolerance_m
        ),
    )
    return Derived(inputs=inputs, harmonized=harmonized, graph=graph, keys=keys, digests=digests)
