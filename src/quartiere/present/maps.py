"""The history map (matplotlib, Agg, no pyplot state): :func:`timeline_figure` draws the
Handlungsräume of every edition and the persistence of planning areas across editions;
:func:`quartiere.io.figures.write_png` writes it. The build's map is :mod:`.build_map`.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.figure import Figure

from quartiere import ATTRIBUTION
from quartiere.compare.matching import comparison_crs, in_comparison_crs
from quartiere.compare.timeline import Edition
from quartiere.i18n import Messages


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
    crs = comparison_crs(plr, *(e.build.areas for e in editions))
    outline = gpd.GeoSeries([city], crs=plr.crs).to_crs(crs)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, edition in zip(axes, editions, strict=False):
        areas = in_comparison_crs(edition.build.areas, crs)
        in_comparison_crs(edition.build.planning_areas, crs).boundary.plot(
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
