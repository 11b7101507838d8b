"""The build's map, drawn in the build's process (:func:`draw_or_fail`).

A build draws its map after the GeoPackage and the summary are written into the stage
(:func:`staging`); only then are the new outputs moved into place together. Any failure to draw
fails the build with one line (:class:`~quartiere.errors.QuartiereError`) and leaves the previous
outputs as they were. (Until issue 21 the command line drew it in a forked process beside the
build; measured, that gained nothing: docs/performance.md, "Concurrency".)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from quartiere.errors import QuartiereError
from quartiere.io.atomic import staging

__all__ = ["draw_map", "draw_or_fail", "staging"]


def draw_map(png: Path, payload: dict[str, Any]) -> None:
    """Draw the build's map (:func:`quartiere.present.build_map.map_figure`) into ``png``, and
    the lmb calibration chart when the payload has one, one after the other (encoding the PNG in
    a thread beside the chart gained nothing measurable: docs/performance.md, "Concurrency")."""
    from quartiere.io.figures import render, save_png, write_png
    from quartiere.present.build_map import map_figure

    figure = map_figure(
        payload["layers"],
        title=payload["title"],
        attribution=payload["attribution"],
        notes=payload["notes"],
        language=payload.get("language", "de"),
    )
    save_png(png, render(figure))
    if payload.get("chart") is not None:  # the lmb calibration chart, with a school list
        from quartiere.present.schools_chart import calibration_figure

        chart_png, chart = payload["chart"]
        write_png(chart_png, calibration_figure(chart))


def draw_or_fail(png: Path, payload: dict[str, Any]) -> None:
    """:func:`draw_map`, in the calling process; any failure as one
    :class:`~quartiere.errors.QuartiereError` line (the build then leaves the previous outputs
    as they were)."""
    try:
        draw_map(png, payload)
    except Exception as exc:  # noqa: BLE001 - one line for the user
        raise QuartiereError(f"map not drawn: {type(exc).__name__}: {exc}") from None
