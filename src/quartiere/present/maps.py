"""Maps (matplotlib, Agg, no pyplot state): the build map and the history map.

:func:`map_figure` draws a print-quality map of the Handlungsräume over district borders with the
planning areas shaded by the number of criteria met; :func:`timeline_figure` the persistence of
planning areas across editions. Both return the figure;
:func:`quartiere.io.figures.write_png` writes it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from quartiere import ATTRIBUTION
from quartiere.compare.matching import CRS, in_comparison_crs
from quartiere.compare.timeline import Edition
from quartiere.delineate import coverage_union
from quartiere.i18n import Messages
from quartiere.present.cartography import (
    CRITERIA_COLOURS,
    HALO,
    checker_bar,
    criteria_patches,
    label_areas,
    nice_length,
)


def timeline_figure(
    editions: Sequence[Edition], plr: gpd.GeoDataFrame, language: str | None = None
) -> Figure:
    """Draw one panel per edition (areas with their numbers) and a persistence panel.

    Parameters
    ----------
    editions
        The editions in order.
    plr
        :func:`persistence` (drawn in the last panel).
    language
        ``de`` or ``en``; by default the language of the last edition's build.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, without a canvas until it is saved.
    """
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    t = Messages(language or editions[-1].build.language)
    n_panels = len(editions) + 1
    ncols = min(3, n_panels)
    nrows = int(np.ceil(n_panels / ncols))
    # No Agg canvas until savefig: geopandas calls draw_idle after every layer, which an Agg
    # canvas would honour with a full (constrained-layout) redraw each time.
    fig = Figure(figsize=(4.2 * ncols, 3.7 * nrows), layout="constrained")
    halo = [patheffects.withStroke(linewidth=2, foreground="white")]
    city = shapely.union_all(np.asarray(plr.geometry.values))
    outline = gpd.GeoSeries([city], crs=CRS)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, edition in zip(axes, editions, strict=False):
        areas = in_comparison_crs(edition.build.areas)
        in_comparison_crs(edition.build.planning_areas).boundary.plot(
            ax=ax, color="#dddddd", linewidth=0.2
        )
        outline.boundary.plot(ax=ax, color="#555555", linewidth=0.6)
        areas.plot(ax=ax, color="#e66101", alpha=0.75, edgecolor="#7f2704", linewidth=0.4)
        for hr_id, point in zip(areas["hr_id"], areas.geometry.representative_point(), strict=True):
            ax.text(
                point.x,
                point.y,
                str(hr_id),
                fontsize=5.5,
                ha="center",
                va="center",
                path_effects=halo,
            )
        population = int(pd.to_numeric(areas["population"]).sum())
        ax.set_title(
            f"MSS {edition.year} ({edition.key})\n"
            + t("timeline.panel", n=len(areas), population=t.number(population)),
            fontsize=8,
        )
    ax = axes[len(editions)]
    n = len(editions)
    cmap = colormaps["YlOrRd"].resampled(n + 1)
    plr.plot(
        ax=ax,
        column="persistence",
        cmap=cmap,
        vmin=-0.5,
        vmax=n + 0.5,
        edgecolor="#bbbbbb",
        linewidth=0.1,
        legend=True,
        legend_kwds={
            "shrink": 0.6,
            "ticks": list(range(n + 1)),
            "label": t("timeline.editions_inside"),
        },
    )
    outline.boundary.plot(ax=ax, color="#555555", linewidth=0.6)
    colorbar = fig.axes[-1]
    colorbar.tick_params(labelsize=7)
    colorbar.yaxis.label.set_fontsize(7)
    ax.set_title(t("timeline.persistence_panel", edition=editions[-1].key), fontsize=8)
    for ax in axes:
        ax.set_axis_off()
        ax.set_aspect("equal")
    fig.suptitle(t("timeline.figure_title"), fontsize=10)
    fig.text(
        0.99,
        0.005,
        ATTRIBUTION,
        fontsize=5,
        ha="right",
        va="bottom",
    )
    return fig


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


def map_figure(
    areas: gpd.GeoDataFrame,
    planning_areas: gpd.GeoDataFrame,
    *,
    title: str,
    attribution: str,
    notes: Sequence[str] = (),
    language: str = "de",
) -> Figure:
    """Draw the Handlungsräume over district borders and shaded planning areas as a PNG.

    Parameters
    ----------
    areas
        Layer ``handlungsraeume`` (``hr_id``, ``hr_name``, geometry; EPSG:25833, metres).
    planning_areas
        Layer ``planungsraeume`` (``bezirk``, ``n_criteria`` 0..3, geometry; same CRS).
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
    # Room at the bottom for the caption: one line per estimate note, each maybe wrapped once.
    bottom = 0.06 + 0.022 * len(notes)
    ax = fig.add_axes((0.02, bottom, 0.70, 0.92 - bottom))
    ax.set_axis_off()
    ax.set_aspect("equal")

    counts = pd.to_numeric(planning_areas["n_criteria"], errors="coerce").fillna(0).astype(int)
    colours = counts.clip(0, 3).map(CRITERIA_COLOURS)
    planning_areas.plot(ax=ax, color=colours.to_numpy(), edgecolor="#b0b0b0", linewidth=0.15)
    by_district = planning_areas.geometry.groupby(planning_areas["bezirk"].to_numpy())
    districts = gpd.GeoSeries(
        [coverage_union(np.asarray(g.array, dtype=object)) for _, g in by_district],
        crs=planning_areas.crs,
    )
    districts.boundary.plot(ax=ax, color="#3c3c3c", linewidth=0.9)
    if len(areas):
        outline = areas.boundary
        outline.plot(ax=ax, color="white", linewidth=3.0)
        outline.plot(ax=ax, color="#d95f02", linewidth=1.6)
        label_areas(ax, areas, fontweight="bold")

    xmin, ymin, xmax, ymax = planning_areas.total_bounds
    pad = 0.02 * max(xmax - xmin, ymax - ymin)
    extent = (xmin - pad, ymin - pad, xmax + pad, ymax + pad)
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    _scale_bar(ax, extent)
    _north_arrow(ax)

    handles: list[Artist] = [*criteria_patches(t, width=36)]
    handles += [
        Line2D([], [], color="#d95f02", linewidth=1.6, label=t("legend_area")),
        Line2D([], [], color="#3c3c3c", linewidth=0.9, label=t("legend_district")),
    ]
    fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.73, 0.88),
        frameon=False,
        fontsize=8,
        title=t("legend_title"),
        title_fontsize=9,
        alignment="left",
    )
    table = "\n".join(
        f"{hr_id}  {name}" for hr_id, name in zip(areas["hr_id"], areas["hr_name"], strict=True)
    )
    fig.text(0.735, 0.52, table, ha="left", va="top", fontsize=7, linespacing=1.4)
    fig.suptitle(title, x=0.02, y=0.97, ha="left", fontsize=15, fontweight="bold")
    caption = "\n".join(textwrap.fill(note, 190) for note in notes)
    if caption:
        fig.text(0.02, 0.045, caption, ha="left", va="bottom", fontsize=6, color="#333333")
    fig.text(
        0.02,
        0.025,
        f"{attribution}. {t('map_crs')}",
        ha="left",
        va="bottom",
        fontsize=7,
        color="#333333",
    )
    FigureCanvasAgg(fig)
    return fig
