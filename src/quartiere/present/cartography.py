"""Map furniture shared by the build's map (:mod:`.maps`) and the profiles
(:mod:`.profile_figures`): the criteria colours, the white halo behind labels, and the scale bar's
length and checker bar."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib import patheffects
from matplotlib.patches import Patch, Rectangle

from quartiere.i18n import Messages

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "CRITERIA_COLOURS",
    "HALO",
    "checker_bar",
    "criteria_patches",
    "label_areas",
    "label_points",
    "nice_length",
]

CRITERIA_COLOURS = {0: "#f0f0f0", 1: "#9bd93c", 2: "#21918c", 3: "#440154"}
"""Fill per number of criteria met: viridis, lightness falling with the count (greyscale-safe);
the same colours as the QGIS style of layer ``planungsraeume``."""

HALO = [patheffects.withStroke(linewidth=2.5, foreground="white")]
"""A white outline that keeps a label readable over any fill."""


def nice_length(span: float, parts: int) -> float:
    """A round scale-bar length (1, 2 or 5 times a power of ten) near ``span / parts``.

    >>> nice_length(40_000, 5), nice_length(40_000, 4)
    (5000.0, 10000.0)
    """
    target = span / parts
    power = 10 ** np.floor(np.log10(target))
    return float(max(m * power for m in (1, 2, 5) if m * power <= target))


def checker_bar(
    ax, origin: tuple[float, float], length: float, height: float, segments: int
) -> None:
    """Draw a scale bar of ``segments`` alternating black and white boxes from ``origin``."""
    x0, y0 = origin
    for i in range(segments):
        ax.add_patch(
            Rectangle(
                (x0 + i * length / segments, y0),
                length / segments,
                height,
                facecolor="black" if i % 2 == 0 else "white",
                edgecolor="black",
                linewidth=0.6,
                zorder=10,
            )
        )


def criteria_patches(t: Messages, width: int | None = None) -> list[Patch]:
    """Legend entries of the criteria classes 0..3, labels wrapped at ``width`` characters."""
    return [
        Patch(
            facecolor=CRITERIA_COLOURS[k],
            edgecolor="#808080",
            label=textwrap.fill(t(f"criteria_{k}"), width) if width else t(f"criteria_{k}"),
        )
        for k in range(4)
    ]


def label_areas(
    ax,
    areas: gpd.GeoDataFrame,
    window: Sequence[float] | None = None,
    **style: Any,
) -> None:
    """Write each area's ``hr_id`` at its representative point, with a halo, in ``style``
    (matplotlib text properties); only the points inside ``window`` when one is given."""
    label_points(ax, areas["hr_id"], areas.geometry.representative_point().array, window, **style)


def label_points(
    ax,
    labels: Sequence[Any],
    points: Sequence[Any],
    window: Sequence[float] | None = None,
    **style: Any,
) -> None:
    """Write each label at its shapely point, with a halo (:func:`label_areas`)."""
    for label, point in zip(labels, points, strict=True):
        if window is None or (window[0] < point.x < window[2] and window[1] < point.y < window[3]):
            ax.text(
                point.x,
                point.y,
                str(label),
                ha="center",
                va="center",
                fontsize=8,
                zorder=9,
                path_effects=HALO,
                **style,
            )
