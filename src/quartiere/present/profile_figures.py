"""Maps and charts of the profiles as SVG text (matplotlib, no pyplot state, text as paths).

Each function returns the SVG document as a string; the page embeds it as a data URI, so a page
needs no other file and no font.
"""

from __future__ import annotations

import io
import textwrap

import geopandas as gpd
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerBase
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, Patch, Rectangle

from quartiere.i18n import Messages
from quartiere.present.cartography import (
    CRITERIA_COLOURS,
    HALO,
    checker_bar,
    criteria_patches,
    label_areas,
    nice_length,
)

__all__ = ["CRITERIA_COLOURS", "area_map", "overview_map", "series_styles", "trend_chart"]

AREA_COLOUR = "#d95f02"
# Okabe-Ito colours, each line also with its own marker and dash (readable in greyscale). A style
# belongs to a series (what an indicator measures), never to an MSS code: s2 long-term
# unemployment and s2 children in single-parent households never share one.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9", "#f0e442", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
DASHES = ("-", "--", ":", "-.")


def series_styles(names: list[str]) -> dict[str, tuple[str, str, str]]:
    """Colour, marker and dash per series, by its place in the trend's list of series."""
    return {
        name: (PALETTE[i % len(PALETTE)], MARKERS[i % len(MARKERS)], DASHES[i % len(DASHES)])
        for i, name in enumerate(names)
    }


FIGURE_WIDTH_PT = 504.0  # the area map, 7 inches
HATCH_PT = 4.0  # spacing of the hatch lines along x, as matplotlib's "///"


def _hatch(polygons, spacing: float):
    """Diagonal hatch lines ("///") clipped to ``polygons``, as one MultiLineString in map units.

    Drawn as geometry rather than with matplotlib's ``hatch=``: Chromium prints an SVG pattern fill
    slowly and into a large PDF (about 0.4 s and 0.7 MB per map); lines cost next to nothing.
    """
    import numpy as np
    import shapely

    union = shapely.union_all(polygons)
    xmin, ymin, xmax, ymax = union.bounds
    # Lines y = x + c, from the lower-right to the upper-left corner of the bounds.
    offsets = np.arange(np.floor((ymin - xmax) / spacing), np.ceil((ymax - xmin) / spacing) + 1)
    c = offsets * spacing
    lines = shapely.linestrings(
        np.stack(
            [
                np.column_stack([np.full_like(c, xmin), xmin + c]),
                np.column_stack([np.full_like(c, xmax), xmax + c]),
            ],
            axis=1,
        )
    )
    return shapely.intersection(shapely.multilinestrings(lines), union)


class _HatchedBox(HandlerBase):
    """Legend key of a hatched patch drawn as lines (like :func:`_hatch`, no SVG pattern)."""

    def create_artists(  # noqa: PLR0913 - matplotlib's signature
        self, legend, orig_handle, xdescent, ydescent, width, height, fontsize, trans
    ):
        x0, y0 = -xdescent, -ydescent
        colour = orig_handle.get_edgecolor()
        box = Rectangle(
            (x0, y0),
            width,
            height,
            facecolor="none",
            edgecolor=colour,
            linestyle="--",
            linewidth=0.8,
            transform=trans,
        )
        segments = []
        step = height / 2.5
        k = -height
        while k < width:
            xs, xe = max(x0, x0 + k), min(x0 + width, x0 + k + height)
            if xs < xe:
                segments.append([(xs, y0 + xs - x0 - k), (xe, y0 + xe - x0 - k)])
            k += step
        lines = LineCollection(segments, colors=[colour], linewidths=0.6, transform=trans)
        return [box, lines]


def _svg(fig: Figure) -> str:
    FigureCanvasSVG(fig)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", facecolor="white", metadata={"Date": None})
    return buffer.getvalue()


def _scale_bar(ax, extent: tuple[float, float, float, float], t: Messages) -> None:
    xmin, ymin, xmax, ymax = extent
    length = nice_length(xmax - xmin, 4)
    height = (ymax - ymin) * 0.012
    x0, y0 = xmin + (xmax - xmin) * 0.04, ymin + (ymax - ymin) * 0.04
    checker_bar(ax, (x0, y0), length, height, 2)
    label = f"{t.number(length / 1000, 1 if length < 1000 else 0)} km"
    ax.text(
        x0 + length / 2,
        y0 + height * 1.6,
        label,
        ha="center",
        va="bottom",
        fontsize=7,
        zorder=10,
        path_effects=HALO,
    )


def _frame(ax, extent: tuple[float, float, float, float], t: Messages) -> None:
    """Limit the axes to ``extent`` and draw the scale bar and the north arrow."""
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    _scale_bar(ax, extent, t)
    _north_arrow(ax)


def _north_arrow(ax) -> None:
    ax.add_patch(
        FancyArrow(
            0.95,
            0.86,
            0,
            0.08,
            width=0.012,
            head_width=0.035,
            head_length=0.04,
            transform=ax.transAxes,
            color="black",
            zorder=10,
        )
    )
    ax.text(
        0.95,
        0.8,
        "N",
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=9,
        fontweight="bold",
        zorder=10,
        path_effects=HALO,
    )


def _districts(planning_areas: gpd.GeoDataFrame) -> gpd.GeoSeries:
    return planning_areas.dissolve(by="bezirk").geometry


def _shade(ax, planning_areas: gpd.GeoDataFrame, linewidth: float) -> None:
    counts = pd.to_numeric(planning_areas["n_criteria"], errors="coerce").fillna(0).astype(int)
    colours = counts.clip(0, 3).map(CRITERIA_COLOURS)
    planning_areas.plot(ax=ax, color=colours.to_numpy(), edgecolor="#9a9a9a", linewidth=linewidth)


def area_map(
    hr_id: str,
    areas: gpd.GeoDataFrame,
    planning_areas: gpd.GeoDataFrame,
    catchments: gpd.GeoDataFrame,
    schools: gpd.GeoDataFrame | None,
    districts: gpd.GeoSeries,
    lmb_threshold: float,
    t: Messages,
) -> str:
    """The area's planning areas shaded by criteria met, catchments above the lmb threshold,
    schools, neighbouring areas and district borders; scale bar, north arrow, attribution."""
    own = areas[areas["hr_id"] == hr_id]
    xmin, ymin, xmax, ymax = own.total_bounds
    span = max(xmax - xmin, ymax - ymin) * 1.25 + 400
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    extent = (cx - span / 2, cy - span / 2 * 0.75, cx + span / 2, cy + span / 2 * 0.75)
    window = gpd.GeoSeries.from_xy([extent[0], extent[2]], [extent[1], extent[3]]).total_bounds

    def clip(frame):
        return frame.cx[window[0] : window[2], window[1] : window[3]]

    fig = Figure(figsize=(FIGURE_WIDTH_PT / 72, 5.6))
    ax = fig.add_axes((0.0, 0.2, 1.0, 0.8))
    ax.set_axis_off()
    ax.set_aspect("equal")
    _shade(ax, clip(planning_areas), 0.4)
    flagged = clip(catchments)
    flagged = flagged[flagged["flagged"].fillna(0).astype(int) == 1]
    if len(flagged):
        flagged.boundary.plot(ax=ax, color="#555555", linewidth=0.9, linestyle=(0, (4, 2)))
        hatch = _hatch(flagged.geometry.to_numpy(), span * HATCH_PT / FIGURE_WIDTH_PT)
        gpd.GeoSeries([hatch]).plot(ax=ax, color="#555555", linewidth=0.7)
    clip(districts).boundary.plot(ax=ax, color="#222222", linewidth=1.6)
    others = clip(areas[areas["hr_id"] != hr_id])
    if len(others):
        others.boundary.plot(ax=ax, color="white", linewidth=2.6)
        others.boundary.plot(ax=ax, color=AREA_COLOUR, linewidth=1.0, linestyle="--")
        label_areas(ax, others, window, color=AREA_COLOUR)
    own.boundary.plot(ax=ax, color="white", linewidth=4.0)
    own.boundary.plot(ax=ax, color=AREA_COLOUR, linewidth=2.2)
    handles: list[Artist] = []
    if schools is not None and len(schools):
        shown = clip(schools)
        if len(shown):
            shown.plot(ax=ax, color="black", markersize=14, marker="^", zorder=8)
            handles.append(
                Line2D(
                    [], [], color="black", marker="^", linestyle="none", label=t("legend_school")
                )
            )
    _frame(ax, extent, t)
    catchment = Patch(
        facecolor="none",
        edgecolor="#555555",
        linestyle="--",
        label=t("legend_catchment", threshold=t.number(lmb_threshold)),
    )
    handles = (
        [*criteria_patches(t)]
        + [
            catchment,
            Line2D([], [], color=AREA_COLOUR, linewidth=2.2, label=t("legend_area") + f" {hr_id}"),
            Line2D(
                [],
                [],
                color=AREA_COLOUR,
                linewidth=1.0,
                linestyle="--",
                label=t("legend_neighbour"),
            ),
            Line2D([], [], color="#222222", linewidth=1.6, label=t("legend_district")),
        ]
        + handles
    )
    fig.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(0.0, 0.0),
        ncols=2,
        frameon=False,
        fontsize=7,
        handler_map={catchment: _HatchedBox()},
    )
    return _svg(fig)


def overview_map(
    areas: gpd.GeoDataFrame, planning_areas: gpd.GeoDataFrame, districts: gpd.GeoSeries, t: Messages
) -> str:
    """Berlin with the numbered areas over district borders."""
    fig = Figure(figsize=(7.0, 5.4))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_axis_off()
    ax.set_aspect("equal")
    _shade(ax, planning_areas, 0.1)
    districts.boundary.plot(ax=ax, color="#222222", linewidth=0.9)
    areas.boundary.plot(ax=ax, color="white", linewidth=2.6)
    areas.boundary.plot(ax=ax, color=AREA_COLOUR, linewidth=1.3)
    label_areas(ax, areas, fontweight="bold")
    xmin, ymin, xmax, ymax = planning_areas.total_bounds
    extent = (xmin - 500, ymin - 500, xmax + 500, ymax + 500)
    _frame(ax, extent, t)
    handles: list[Artist] = [*criteria_patches(t)] + [
        Line2D([], [], color=AREA_COLOUR, linewidth=1.3, label=t("legend_area")),
        Line2D([], [], color="#222222", linewidth=0.9, label=t("legend_district")),
    ]
    fig.legend(
        handles=handles,
        loc="lower right",
        bbox_to_anchor=(1.0, 0.0),
        frameon=True,
        framealpha=0.9,
        edgecolor="none",
        fontsize=6.5,
        title=t("legend_title"),
        title_fontsize=7,
        alignment="left",
    )
    return _svg(fig)


def trend_chart(
    area: pd.DataFrame,
    berlin: pd.DataFrame,
    name: str,
    t: Messages,
    series: list[tuple[str, str, str]],
) -> str:
    """Index indicators per MSS edition: the area (solid, with markers) and Berlin (thin, grey).

    ``series``: ``(series id, label, unit)`` of every series of the trend, in its order; each
    gets its own style (:func:`series_styles`) and label, and only percent series are drawn
    (one axis, one unit).
    """
    fig = Figure(figsize=(6.4, 2.6))
    ax = fig.add_axes((0.08, 0.14, 0.6, 0.8))
    styles = series_styles([s[0] for s in series])
    handles: list[Artist] = []
    for key, label, unit in series:
        colour, marker, dash = styles[key]
        if unit != "%" or key not in area.columns or area[key].isna().all():
            continue
        (line,) = ax.plot(
            area.index, area[key], color=colour, marker=marker, linestyle=dash, label=label
        )
        ax.plot(  # small markers: a series of one edition has no line to show
            berlin.index,
            berlin[key],
            color=colour,
            marker=marker,
            markersize=2.5,
            linestyle=dash,
            linewidth=0.8,
            alpha=0.7,
        )
        line.set_label(textwrap.fill(label, 34))
        handles.append(line)
    # which line is the area and which Berlin: once, in black, after the series
    handles += [
        Line2D([], [], color="black", marker="o", linewidth=1.5, label=textwrap.fill(name, 34)),
        Line2D([], [], color="black", linewidth=0.8, alpha=0.7, label=t("berlin")),
    ]
    ax.set_xticks(list(area.index))
    ax.set_ylabel("%")
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#dddddd", linewidth=0.5)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=7)
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=6.5
    )
    return _svg(fig)
