"""What the web map shows of one edition, read from its build's layers (nothing recomputed).

:func:`edition_content` turns the layers of a build GeoPackage (:class:`~quartiere.present.
profile_data.Build`) into plain data for the page: the planning areas with their values, flags,
decision sentence and the catchments' transfer weights (the share of the planning area each
catchment covers, from the two layers' geometry), the Handlungsräume with their key figures, the
catchments with their lmb share and its source, the schools, the district borders, the sources
named in ``build_info``, and, where given, the robustness atlas and the change memo.

Geometry is shared: editions on the same planning areas reference one geometry collection
(:class:`GeometryStore`, keyed by content), so the site holds each LOR generation once.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from quartiere.harmonize import overlay
from quartiere.io.build_record import info_rows
from quartiere.record import Build
from quartiere.site.geometry import (
    compact_collection,
    dissolve_web,
    dumps,
    simplify_coverage,
)

__all__ = ["GeometryStore", "edition_content", "robustness_content", "SOURCE_KEYS"]

PLR_TOLERANCE_M = 10.0
"""Coverage simplification of planning areas and catchments: invisible below about 1:20,000."""

MIN_SHARE = 0.005
"""Overlaps under half a percent of a planning area are boundary slivers: not listed."""

SOURCE_KEYS = (
    "edition",
    "lor_generation",
    "built_at",
    "input_year.mss",
    "input_year.population",
    "input_year.catchments",
    "input_year.schools",
    "input_year.atlas",
    "input_year.atlas_population",
    "atlas_cut",
    "lmb_source",
    "attribution",
)
"""The ``build_info`` facts the page names as sources."""


def clean(value: Any) -> Any:
    """A JSON-safe scalar: NaN and NA become None, numpy numbers plain numbers."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _number(value: Any, decimals: int | None = None) -> float | int | None:
    v = clean(value)
    if v is None:
        return None
    v = float(v)
    if decimals is None:
        return int(round(v))
    return round(v, decimals)


def _digest(geometries: gpd.GeoSeries) -> str:
    ids = "\x1f".join(map(str, geometries.index)).encode("utf-8")
    return hashlib.sha256(ids + b"".join(geometries.to_wkb().to_numpy())).hexdigest()


@dataclass
class GeometryStore:
    """Geometry collections written once each, named by a hash of their content; and what is
    derived from one layer's geometry (simplified shapes, overlaps), computed once per layer."""

    collections: dict[str, str] = field(default_factory=dict)  # name -> JSON text
    _memo: dict[tuple[str, ...], Any] = field(default_factory=dict)

    def add(self, collection: dict[str, Any], prefix: str) -> str:
        """Store a collection; returns its name (``prefix-<hash>``)."""
        text = dumps(collection)
        name = f"{prefix}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:12]}"
        self.collections.setdefault(name, text)
        return name

    def once(self, key: tuple[str, ...], make: Callable[[], Any]) -> Any:
        """``make()``, computed once per key."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def simplified(self, geometries: gpd.GeoSeries) -> tuple[str, gpd.GeoSeries]:
        """The layer's digest and its coverage-simplified polygons (computed once per layer)."""
        digest = _digest(geometries)
        return digest, self.once(
            ("simplified", digest), lambda: simplify_coverage(geometries, PLR_TOLERANCE_M)
        )


def _catchment_weights(plr: gpd.GeoSeries, esb: gpd.GeoSeries) -> dict[str, list[list[Any]]]:
    """Per planning area: the catchments covering it, each with its share of the PLR's area."""
    overlaps = overlay(esb, plr)
    overlaps = overlaps[overlaps["target_share"] >= MIN_SHARE]
    out: dict[str, list[list[Any]]] = {}
    for target, rows in overlaps.sort_values("target_share", ascending=False).groupby("target"):
        out[str(target)] = [
            [str(s), round(float(v), 3)]
            for s, v in zip(rows["source"], rows["target_share"], strict=True)
        ]
    return out


def _plr_rows(build: Build, weights: Mapping[str, list[list[Any]]]) -> dict[str, dict[str, Any]]:
    rows = {}
    for p in build.planning_areas.drop(columns="geometry").to_dict("records"):
        pid = str(p["plr_id"])
        rows[pid] = {
            "nm": clean(p.get("plr_name")),
            "bzr": clean(p.get("bzr_name")),
            "bz": clean(p.get("bezirk")),
            "pop": _number(p.get("population")),
            "st": clean(p.get("mss_status")),
            "dy": clean(p.get("mss_dynamic")),
            "ls": _number(p.get("lmb_area_share"), 4),
            "ns": _number(p.get("n_schools")),
            "nsf": _number(p.get("n_schools_flagged")),
            "av": _number(p.get("atlas_value"), 4),
            "as": _number(p.get("atlas_stratum")),
            "c": [_number(p.get(c)) for c in ("c_mss", "c_schools", "c_atlas")],
            "n": _number(p.get("n_criteria")),
            "hr": clean(p.get("hr_id")) or "",
            "d": clean(p.get("decision")) or "",
            "w": weights.get(pid, []),
        }
    return rows


def _areas(build: Build, simplified: gpd.GeoSeries) -> dict[str, Any]:
    """The Handlungsräume dissolved from the simplified planning areas, with key figures:
    ``{"shapes": compact collection, "props": {hr_id: {...}}}``."""
    hr_of = build.planning_areas.set_index("plr_id")["hr_id"]
    shapes = dissolve_web(simplified, hr_of)
    areas = build.areas.copy()
    areas["hr_id"] = areas["hr_id"].astype(str)
    areas = areas[areas["hr_id"].isin(shapes.index)]
    geoms = shapes.reindex(areas["hr_id"])
    label_points = geoms.to_crs("EPSG:4326").representative_point()
    props = {}
    for a, point in zip(
        areas.drop(columns="geometry").to_dict("records"), label_points.array, strict=True
    ):
        props[a["hr_id"]] = {
            "nm": clean(a.get("hr_name")),
            "bz": clean(a.get("bezirk")),
            "n_plr": _number(a.get("n_plr")),
            "pop": _number(a.get("population")),
            "km2": _number(a.get("area_km2"), 2),
            "nc": [_number(a.get(f"n_{c}")) for c in ("c_mss", "c_schools", "c_atlas")],
            "at": [round(point.y, 5), round(point.x, 5)],
        }
    return {
        "order": list(areas["hr_id"]),
        "shapes": compact_collection(areas["hr_id"], geoms),
        "props": props,
    }


def _schools(build: Build) -> list[dict[str, Any]]:
    if build.schools is None or build.schools.empty:
        return []
    points = build.schools.to_crs("EPSG:4326")
    out = []
    for s, point in zip(
        points.drop(columns="geometry").to_dict("records"), points.geometry.array, strict=True
    ):
        if point is None or point.is_empty:
            continue
        out.append(
            {
                "id": clean(s.get("bsn")),
                "nm": clean(s.get("name")),
                "esb": clean(s.get("esb_id")),
                "lmb": _number(s.get("lmb_share"), 1),
                "src": clean(s.get("lmb_source")),
                "f": _number(s.get("flagged")),
                "at": [round(point.y, 5), round(point.x, 5)],
            }
        )
    return out


def _districts(simplified: gpd.GeoSeries, bezirk: pd.Series) -> dict[str, Any]:
    shapes = dissolve_web(simplified, bezirk)
    return compact_collection(shapes.index, shapes)


def edition_content(build: Build, store: GeometryStore) -> dict[str, Any]:
    """Everything the page shows of one build (one edition), as JSON-ready data.

    Parameters
    ----------
    build
        The layers of the build (:func:`quartiere.profiles.data.read_build_layers`).
    store
        Where the geometry collections go (shared between editions).

    Returns
    -------
    dict
        ``plr_geo``, ``esb_geo``, ``districts_geo`` (names in ``store``), ``plr`` (rows by
        plr_id), ``esb`` (rows by esb_id), ``areas`` (a FeatureCollection), ``schools``,
        ``sources`` (build_info facts) and ``notes`` (estimates and approximations).
    """
    plr = build.planning_areas.set_index(build.planning_areas["plr_id"].astype(str))
    plr_key, simplified = store.simplified(plr.geometry)
    esb = build.catchment_layer.set_index(build.catchment_layer["esb_id"].astype(str))
    esb_key, esb_simplified = store.simplified(esb.geometry)
    bezirk_key = hashlib.sha256("\x1f".join(plr["bezirk"].astype(str)).encode()).hexdigest()
    # Transfer weights from the simplified shapes: shares differ from the full geometry's by
    # well under a percentage point at 10 m, and the intersections are several times faster.
    weights = store.once(
        ("weights", plr_key, esb_key), lambda: _catchment_weights(simplified, esb_simplified)
    )
    info = build.info
    return {
        "plr_geo": store.once(
            ("plr", plr_key), lambda: store.add(compact_collection(plr.index, simplified), "plr")
        ),
        "esb_geo": store.once(
            ("esb", esb_key),
            lambda: store.add(compact_collection(esb.index, esb_simplified), "esb"),
        ),
        "districts_geo": store.once(
            ("districts", plr_key, bezirk_key),
            lambda: store.add(_districts(simplified, plr["bezirk"]), "districts"),
        ),
        "plr": _plr_rows(build, weights),
        "esb": {
            str(i): {
                "lmb": _number(r.get("lmb_share"), 1),
                "src": clean(r.get("lmb_source")),
                "f": _number(r.get("flagged")),
            }
            for i, r in zip(esb.index, esb.drop(columns="geometry").to_dict("records"), strict=True)
        },
        "areas": _areas(build, simplified),
        "schools": _schools(build),
        "sources": {k: v for k, v in info_rows(info) if k in SOURCE_KEYS},
        "notes": list(info.estimates),
    }


def robustness_content(atlas: Mapping[str, Any], t_class: Mapping[str, str]) -> dict[str, Any]:
    """The robustness atlas (``sensitivity.json``) per planning area and area, for the page.

    ``t_class`` words each class (``robust_in``, ``robust_out``, ``contested``).
    """
    parameters = atlas.get("parameters", [])
    if isinstance(parameters, str):  # older atlases wrote the list as text
        parameters = []
    keys = {p["name"]: p["key"] for p in parameters if isinstance(p, dict)}
    plr = {
        str(pid): {
            "inc": round(float(e.get("inclusion", 0.0)), 4),
            "cls": str(e.get("class", "")),
            "seed": round(float(e.get("seed_frequency", 0.0)), 4),
            "flips": sorted(
                ([n, keys.get(n, n), round(float(v), 4)] for n, v in e.get("flips", {}).items()),
                key=lambda f: (-f[2], f[0]),
            ),
        }
        for pid, e in atlas.get("planning_areas", {}).items()
    }
    areas = atlas.get("areas", {})
    if isinstance(areas, str):
        areas = {}
    return {
        "edition": str(atlas.get("edition", "")),
        "n": int(atlas.get("n_scenarios", 0) or 0),
        "classes": dict(t_class),
        "plr": plr,
        "areas": {
            str(k): {
                "nm": v.get("name"),
                "stability": v.get("stability"),
                "jaccard": v.get("mean_jaccard"),
            }
            for k, v in areas.items()
            if isinstance(v, dict)
        },
    }
