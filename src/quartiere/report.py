"""The build's map: drawn by :func:`draw_map`, in this process by :class:`InProcessDrawer`.

A build called from Python draws its map in the calling process, after the GeoPackage and the
summary are written into the stage (:func:`staging`); only then are the new outputs moved into
place together. Any failure to draw fails the build with one line
(:class:`~quartiere.errors.QuartiereError`) and leaves the previous outputs as they were. The
command line passes :class:`quartiere.cli_concurrency.MapProcess` instead, which draws the same
map in a forked process beside the build.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from quartiere.errors import QuartiereError
from quartiere.io.atomic import staging

__all__ = ["InProcessDrawer", "draw_map", "staging"]


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


class InProcessDrawer:
    """Draws the map in the calling process, when the build waits for it: what a build called
    from Python uses (it starts no process and no thread). Same methods as
    :class:`quartiere.cli_concurrency.MapProcess`."""

    def __init__(self) -> None:
        self._job: tuple[Path, dict[str, Any]] | None = None

    def draw(self, png: Path, payload: dict[str, Any]) -> None:
        self._job = (png, payload)

    def wait(self) -> None:
        """Draw the map now; raise one line when it could not be drawn."""
        job, self._job = self._job, None
        if job is not None:
            try:
                draw_map(*job)
            except Exception as exc:  # noqa: BLE001
                raise QuartiereError(f"map not drawn: {type(exc).__name__}: {exc}") from None

    def close(self, kill: bool = False) -> None:
        self._job = None
