"""The content of the build's figures as plain values: what the build hands to
:func:`quartiere.report.draw_map` (coordinate arrays, drawn as one ``PathCollection``).
:class:`MapLayers` for the map (:mod:`.build_map`), :class:`CalibrationChart` for the lmb
calibration chart (:mod:`.schools_chart`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from pathlib import Path

    import geopandas as gpd

    from quartiere.config_schools import SchoolsInput
    from quartiere.schools import SchoolsResult

__all__ = ["CalibrationChart", "MapLayers", "chart_job"]


@dataclass(frozen=True)
class MapLayers:
    """What the build's map draws, as plain arrays in the layers' CRS (EPSG:25833, metres)."""

    planning_areas: np.ndarray
    """Shapely (multi)polygons of layer ``planungsraeume``."""
    n_criteria: np.ndarray
    """Criteria met per planning area, 0..3 (no data counts 0)."""
    districts: np.ndarray
    """One outline per Bezirk: the union of its planning areas."""
    areas: np.ndarray
    """Shapely multipolygons of layer ``handlungsraeume``."""
    hr_id: tuple[str, ...]
    hr_name: tuple[str, ...]

    @classmethod
    def of(cls, areas: gpd.GeoDataFrame, planning_areas: gpd.GeoDataFrame) -> MapLayers:
        """The map's arrays of layers ``handlungsraeume`` (``hr_id``, ``hr_name``) and
        ``planungsraeume`` (``bezirk``, ``n_criteria``)."""
        import pandas as pd

        from quartiere.delineate.dissolve import coverage_union

        plr = np.asarray(planning_areas.geometry.array, dtype=object)
        counts = pd.to_numeric(planning_areas["n_criteria"], errors="coerce").fillna(0)
        by_district = pd.Series(plr).groupby(planning_areas["bezirk"].to_numpy(), sort=True)
        return cls(
            planning_areas=plr,
            n_criteria=counts.to_numpy().astype(np.int64).clip(0, 3),
            districts=np.array(
                [coverage_union(g.to_numpy()) for _, g in by_district], dtype=object
            ),
            areas=np.asarray(areas.geometry.array, dtype=object),
            hr_id=tuple(str(v) for v in areas["hr_id"]),
            hr_name=tuple(str(v) for v in areas["hr_name"]),
        )


@dataclass(frozen=True)
class CalibrationChart:
    """The chart's content: schools ordered by their lmb share, the flag they carry, anchors."""

    shares: np.ndarray
    """lmb share % per school with one, in descending order."""
    lmb_source: str
    threshold: float
    """The criterion's lmb share %."""
    title: str
    attribution: str
    marked: np.ndarray | None = None
    """Per school (as ``shares``): whether it carries the first configured flag."""
    flag_label: str = ""
    flag_share: float = float("nan")
    """The share % the flag stands for (``lmb >= p %``)."""
    anchors: tuple[tuple[float, float], ...] = ()
    """Calibration anchors as (count, share %)."""
    known: np.ndarray | None = None
    """Per school (as ``shares``): whether the flag knows it (a flag joined from another table
    has no value for schools it does not hold); ``None``: every school."""
    checks: tuple[str, ...] = ()
    """One line per further check of the ranking (e.g. the Startchancen AUC), with its label."""

    @classmethod
    def of(cls, result: SchoolsResult, spec: SchoolsInput, threshold: float) -> CalibrationChart:
        from quartiere.schools.school_list import flag_column

        table = result.schools.dropna(subset=["lmb_share"])
        table = table.sort_values("lmb_share", ascending=False)
        title = f"{len(table)} schools ({spec.school_year})"
        if result.validation is not None:
            v = result.validation
            title += f": AUC {v.auc:.3f}, balanced accuracy {v.balanced_accuracy:.3f}"
        flag = next((f for f in spec.flags if not f.validation_only), None)
        values = None if flag is None else table[flag_column(flag.column)]
        known = None if values is None or values.notna().all() else values.notna().to_numpy()
        checks = tuple(
            f"second check of the ranking, {c.flag.column} ({c.flag.meaning()}, {c.flag.year}): "
            f"AUC {c.metrics.auc:.3f}, "
            f"n={c.metrics.n}, flagged {c.metrics.n_flagged}; a check of the ranking only"
            for c in result.checks
        )
        return cls(
            shares=table["lmb_share"].to_numpy(dtype=float),
            lmb_source=result.lmb_source,
            threshold=threshold,
            title=title,
            attribution=spec.attributions(),
            marked=None if values is None else values.fillna(0).to_numpy(dtype=int) == 1,
            flag_label="" if flag is None else f"{flag.column} ({flag.meaning()})",
            flag_share=float("nan") if flag is None or flag.share is None else flag.share,
            known=known,
            checks=checks,
            anchors=tuple(
                (a.count, a.share)
                for a in (result.calibration.anchors if result.calibration is not None else ())
            ),
        )


def chart_job(
    schools: SchoolsResult | None, spec: SchoolsInput | None, threshold: float, png: Path
) -> tuple[Path, CalibrationChart] | None:
    """The lmb calibration chart drawn beside the map, when the build has a school list."""
    return (
        None
        if schools is None or spec is None
        else (png, CalibrationChart.of(schools, spec, threshold))
    )
