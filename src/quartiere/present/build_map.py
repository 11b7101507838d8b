"""The build's map (matplotlib, Agg, no pyplot state): the Handlungsräume over district borders,
the planning areas shaded by the number of criteria met, on A4 landscape at 200 dpi.

The map is drawn in a second process while the build writes the GeoPackage
(:mod:`quartiere.report`). That process starts before the build imports its libraries, so this
module imports only numpy, shapely and matplotlib: the layers come as plain arrays
(:class:`~quartiere.present.figure_data.MapLayers`, no pandas or geopandas to import to unpickle
them), and the polygons are drawn as one :class:`~matplotlib.collections.PathCollection` built
from their coordinate arrays (geopandas' ``plot`` builds one patch per polygon).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.path import Path

from quartiere.i18n import Messages
from quartiere.present.cartography import (
    CRITERIA_COLOURS,
    HALO,
    checker_bar,
    criteria_patches,
    nice_length,
)
from quartiere.present.figure_data import MapLayers

__all__ = ["map_figure", "place_labels", "polygon_paths", "ring_lines"]


def polygon_paths(geoms: np.ndarray) -> list[Path]:
    """One :class:`~matplotlib.path.Path` per (multi)polygon: each ring a sub-path (holes
    included, as geopandas draws them), from one vectorised pass over the coordinates."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    rings, part = shapely.get_rings(parts, return_index=True)
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(coords), Path.LINETO, dtype=Path.code_type)
    codes[np.r_[0, np.flatnonzero(np.diff(ring)) + 1][: len(coords)]] = Path.MOVETO
    bounds = np.r_[0, np.searchsorted(owner[part][ring], np.arange(len(geoms)), side="right")]
    return [Path(coords[a:b], codes[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def ring_lines(geoms: np.ndarray) -> list[np.ndarray]:
    """The rings (outer and inner) of polygons as coordinate arrays: their boundary lines."""
    rings = shapely.get_rings(shapely.get_parts(geoms))
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    return np.split(coords, np.flatnonzero(np.diff(ring)) + 1) if len(coords) else []


def _scale_bar(ax, extent: tuple[float, float, float, float]) -> None:
    xmin, ymin, xmax, ymax = extent
    length = nice_length(xmax - xmin, 5)
    height = (ymax - ymin) * 0.008
    x0, y0 = xmin + (xmax - xmin) * 0.03, ymin + (ymax - ymin) * 0.04
    checker_bar(ax, (x0, y0), length, height, 4)
    unit, factor = ("km", 1000) if length >= 1000 else ("m", 1)
    for x, value in ((x0, 0), (x0 + length, length)):
        ax.text(
            x,
            y0 + height * 2,
            f"{value / factor:g}",
            ha="center",
            va="bottom",
            fontsize=7,
            zorder=10,
            path_effects=HALO,
            gid="scale",
        )
    ax.text(
        x0 + length + (xmax - xmin) * 0.01,
        y0,
        unit,
        ha="left",
        va="bottom",
        fontsize=7,
        zorder=10,
        path_effects=HALO,
        gid="scale",
    )


def _north_arrow(ax) -> None:
    ax.annotate(
        "N",
        xy=(0.95, 0.95),
        xytext=(0.95, 0.86),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=11,
        fontweight="bold",
        arrowprops={
            "arrowstyle": "-|>",
            "facecolor": "black",
            "linewidth": 1.2,
            "mutation_scale": 18,
        },
    )


def _candidates(geom: object, n: int = 7) -> list[tuple[float, float]]:
    """Label positions inside an area, best first: the point on its surface, then points of a
    grid over its largest part that lie inside it, nearest to the first."""
    parts = shapely.get_parts(geom)
    part = parts[int(np.argmax(shapely.area(parts)))]
    first = shapely.point_on_surface(part)
    x0, y0, x1, y1 = shapely.bounds(part)
    xs, ys = np.meshgrid(np.linspace(x0, x1, n + 2)[1:-1], np.linspace(y0, y1, n + 2)[1:-1])
    grid = shapely.points(xs.ravel(), ys.ravel())
    inside = grid[shapely.contains(part, grid)]
    inside = inside[np.argsort(shapely.distance(first, inside), kind="stable")]
    return [(first.x, first.y)] + [(p.x, p.y) for p in inside]


def place_labels(ax, renderer, areas: np.ndarray, labels: Sequence[str]) -> None:
    """Write each area's number inside it where it overlaps no label written before; where no
    position inside is free, beside the map's content with a leader line to the area.

    Labels are placed largest area first, so that small areas are the ones led out.
    """
    placed: list[object] = []  # window extents (display pixels) of the labels written
    style = {
        "ha": "center",
        "va": "center",
        "fontsize": 8,
        "fontweight": "bold",
        "zorder": 9,
        "path_effects": HALO,
        "gid": "label",
    }
    leader = {"arrowstyle": "-", "color": "#333333", "linewidth": 0.6}

    def free(text: Any, last: bool = False) -> bool:
        """Keep ``text`` where it overlaps no placed label (or as the last resort), else drop it."""
        box = text.get_window_extent(renderer)
        if not last and any(box.overlaps(other) for other in placed):
            text.remove()
            return False
        placed.append(box)
        return True

    for i in np.argsort(-shapely.area(areas), kind="stable"):
        label, spots = str(labels[i]), _candidates(areas[i])
        if any(free(ax.text(x, y, label, **style)) for x, y in spots):
            continue
        # led out: above-right of the area, further at each step until it is free (or the last)
        for step in range(1, 12):
            text = ax.annotate(
                label, xy=spots[0], xytext=(14 * step, 10 * step), textcoords="offset points",
                arrowprops=leader, **style,
            )  # fmt: skip
            if free(text, last=step == 11):
                break


def map_figure(
    layers: MapLayers,
    *,
    title: str,
    attribution: str,
    notes: Sequence[str] = (),
    language: str = "de",
) -> Figure:
    """Draw the Handlungsräume over district borders and shaded planning areas.

    Parameters
    ----------
    layers
        :meth:`MapLayers.of` the build's layers.
    title
        Map title.
    attribution
        Source attribution printed at the bottom (licence requirement).
    notes
        Caption lines above the attribution: the estimates and approximations of
        ``summary.md`` and the input coverage, so that the map is never read without them.
    language
        ``de`` (default) or ``en``: of the legend and the CRS note (:mod:`quartiere.i18n`).

    Returns
    -------
    matplotlib.figure.Figure
        A4 landscape at 200 dpi.
    """
    t = Messages(language)
    # The Agg canvas is attached once the figure is complete: with a canvas, every GeoSeries.plot
    # renders the whole figure (geopandas calls draw_idle), four full renders for nothing.
    fig = Figure(figsize=(11.69, 8.27), dpi=200)
    # The caption and the attribution sit at the bottom; the map takes the room above them,
    # measured once the text is laid out (no fixed guess of how many lines wrap).
    caption = "\n".join(textwrap.fill(note, 170) for note in notes)
    credit = fig.text(
        0.02,
        0.015,
        textwrap.fill(f"{attribution}. {t('map_crs')}", 190),
        ha="left",
        va="bottom",
        fontsize=6,
        color="#333333",
        gid="attribution",
    )
    ax = fig.add_axes((0.02, 0.1, 0.70, 0.82))
    ax.set_axis_off()
    ax.set_aspect("equal")

    colours = [CRITERIA_COLOURS[int(k)] for k in layers.n_criteria]
    ax.add_collection(
        PathCollection(
            polygon_paths(layers.planning_areas),
            facecolors=colours,
            edgecolors="#b0b0b0",
            linewidths=0.15,
        )
    )
    districts = ring_lines(layers.districts)
    ax.add_collection(LineCollection(districts, colors="#3c3c3c", linewidths=0.9))
    if len(layers.areas):
        outline = ring_lines(layers.areas)
        ax.add_collection(LineCollection(outline, colors="white", linewidths=3.0))
        ax.add_collection(LineCollection(outline, colors="#d95f02", linewidths=1.6))

    xmin, ymin, xmax, ymax = shapely.total_bounds(layers.planning_areas)
    pad = 0.02 * max(xmax - xmin, ymax - ymin)
    extent = (xmin - pad, ymin - pad, xmax + pad, ymax + pad)
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    _north_arrow(ax)

    handles: list[Artist] = [*criteria_patches(t, width=36)]
    handles += [
        Line2D([], [], color="#d95f02", linewidth=1.6, label=t("legend_area")),
        Line2D([], [], color="#3c3c3c", linewidth=0.9, label=t("legend_district")),
    ]
    legend = fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.73, 0.9),
        frameon=False,
        fontsize=8,
        title=t("legend_title"),
        title_fontsize=9,
        alignment="left",
    )
    legend.set_gid("legend")
    fig.suptitle(title, x=0.02, y=0.97, ha="left", fontsize=15, fontweight="bold")
    FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    inverse = fig.transFigure.inverted()
    top = inverse.transform(credit.get_window_extent(renderer))[1, 1]
    if caption:
        text = fig.text(
            0.02,
            top + 0.006,
            caption,
            ha="left",
            va="bottom",
            fontsize=6,
            color="#333333",
            gid="caption",
        )
        top = inverse.transform(text.get_window_extent(renderer))[1, 1]
    ax.set_position((0.02, top + 0.015, 0.70, 0.92 - top - 0.015))
    _scale_bar(ax, extent)
    legend_bottom = inverse.transform(legend.get_window_extent(renderer))[0, 1]
    table = "\n".join(
        f"{hr_id}  {name}" for hr_id, name in zip(layers.hr_id, layers.hr_name, strict=True)
    )
    fig.text(
        0.735,
        legend_bottom - 0.03,
        table,
        ha="left",
        va="top",
        fontsize=7,
        linespacing=1.4,
        gid="area_table",
    )
    if len(layers.areas):
        place_labels(ax, renderer, layers.areas, layers.hr_id)
    return fig
