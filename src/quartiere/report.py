"""The picture and the summary written beside the GeoPackage.

:func:`render_map` draws a print-quality map (matplotlib, Agg, no pyplot state) of the
Handlungsräume over district borders with the planning areas shaded by the number of criteria met;
:func:`write_summary` lists every area and the citywide totals as Markdown. Both write atomically:
a temporary file in the target directory, then :func:`os.replace`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from quartiere.delineate import coverage_union
from quartiere.i18n import Messages
from quartiere.io.atomic import write_atomically

__all__ = ["CRITERIA_COLOURS", "CRITERIA_LABELS", "render_map", "write_summary"]

CRITERIA_COLOURS = {0: "#f0f0f0", 1: "#9bd93c", 2: "#21918c", 3: "#440154"}
"""Fill per number of criteria met: viridis, lightness falling with the count (greyscale-safe);
the same colours as the QGIS style of layer ``planungsraeume``."""

CRITERIA_LABELS = {
    0: "0 of 3 criteria met",
    1: "1 of 3 criteria met",
    2: "2 of 3 criteria met",
    3: "3 of 3 criteria met (MSS, schools and social atlas)",
}

_CRITERIA = {"n_c_mss": "MSS", "n_c_schools": "schools", "n_c_atlas": "social atlas"}
_HALO = [patheffects.withStroke(linewidth=2.5, foreground="white")]


def _nice_length(span: float) -> float:
    """A round scale-bar length (1, 2 or 5 times a power of ten) near a fifth of ``span``."""
    target = span / 5
    power = 10 ** np.floor(np.log10(target))
    return float(max(m * power for m in (1, 2, 5) if m * power <= target))


def _scale_bar(ax, extent: tuple[float, float, float, float]) -> None:
    xmin, ymin, xmax, ymax = extent
    length = _nice_length(xmax - xmin)
    height = (ymax - ymin) * 0.008
    x0, y0 = xmin + (xmax - xmin) * 0.03, ymin + (ymax - ymin) * 0.04
    for i in range(4):
        ax.add_patch(
            Rectangle(
                (x0 + i * length / 4, y0),
                length / 4,
                height,
                zorder=10,
                facecolor="black" if i % 2 == 0 else "white",
                edgecolor="black",
                linewidth=0.6,
            )
        )
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
            path_effects=_HALO,
        )
    ax.text(
        x0 + length + (xmax - xmin) * 0.01,
        y0,
        unit,
        ha="left",
        va="bottom",
        fontsize=7,
        zorder=10,
        path_effects=_HALO,
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


def render_map(
    areas: gpd.GeoDataFrame,
    planning_areas: gpd.GeoDataFrame,
    out_png: Path,
    *,
    title: str,
    attribution: str,
    language: str = "de",
) -> None:
    """Draw the Handlungsräume over district borders and shaded planning areas as a PNG.

    Parameters
    ----------
    areas
        Layer ``handlungsraeume`` (``hr_id``, ``hr_name``, geometry; EPSG:25833, metres).
    planning_areas
        Layer ``planungsraeume`` (``bezirk``, ``n_criteria`` 0..3, geometry; same CRS).
    out_png
        Target file, replaced atomically; A4 landscape at 200 dpi.
    title
        Map title.
    attribution
        Source attribution printed at the bottom (licence requirement).
    language
        Language of the legend (``de`` or ``en``, :mod:`quartiere.i18n`).
    """
    t = Messages(language)
    fig = Figure(figsize=(11.69, 8.27), dpi=200)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.02, 0.06, 0.70, 0.86))
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
        points = areas.geometry.representative_point()
        for hr_id, point in zip(areas["hr_id"], points, strict=True):
            ax.text(
                point.x,
                point.y,
                str(hr_id),
                ha="center",
                va="center",
                fontsize=8,
                fontweight="bold",
                zorder=9,
                path_effects=_HALO,
            )

    xmin, ymin, xmax, ymax = planning_areas.total_bounds
    pad = 0.02 * max(xmax - xmin, ymax - ymin)
    extent = (xmin - pad, ymin - pad, xmax + pad, ymax + pad)
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    _scale_bar(ax, extent)
    _north_arrow(ax)

    handles: list[Artist] = [
        Patch(facecolor=CRITERIA_COLOURS[k], edgecolor="#808080", label=t(f"criteria_{k}"))
        for k in range(4)
    ]
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
    fig.text(
        0.02,
        0.025,
        f"{attribution}. {t('map_crs')}",
        ha="left",
        va="bottom",
        fontsize=7,
        color="#333333",
    )
    write_atomically(
        Path(out_png),
        lambda tmp: fig.savefig(tmp, format="png", facecolor="white", metadata={"Software": None}),
    )


def _criteria_text(row: pd.Series, n_plr: int, t: Messages) -> str:
    met = [
        f"{t(col[2:])} {int(row[col])}/{n_plr}"
        for col in _CRITERIA
        if col in row.index and pd.notna(row[col]) and int(row[col]) > 0
    ]
    return ", ".join(met) if met else t("summary_none")


def _summary(
    areas: gpd.GeoDataFrame,
    planning_areas: gpd.GeoDataFrame,
    edition: str,
    estimates: Sequence[str],
    t: Messages,
) -> str:
    lines = [f"# {t('summary_title', edition=edition)}", ""]
    lines += [t("summary_columns"), "|---|---|---|---:|---:|---|"]
    members = planning_areas[planning_areas["hr_id"].fillna("") != ""]
    for _, row in areas.sort_values("hr_id", kind="stable").iterrows():
        n_plr = int(row["n_plr"])
        lines.append(
            f"| {row['hr_id']} | {row['hr_name']} | {row['bezirk']} | {n_plr} | "
            f"{t.number(row['population'])} | {_criteria_text(row, n_plr, t)} |"
        )
    lines += ["", f"## {t('summary_members')}", ""]
    for _, row in areas.sort_values("hr_id", kind="stable").iterrows():
        own = members[members["hr_id"] == row["hr_id"]].sort_values("plr_id")
        listed = (
            ", ".join(f"{p} {n}" for p, n in zip(own["plr_id"], own["plr_name"], strict=True))
            if len(own)
            else str(row.get("plr_ids", ""))
        )
        lines.append(f"- **{row['hr_id']} {row['hr_name']}**: {listed}")

    total_pop = int(planning_areas["population"].sum())
    area_pop = int(areas["population"].sum()) if len(areas) else 0
    share = 100 * area_pop / total_pop if total_pop else 0.0
    lines += [
        "",
        f"## {t('summary_totals')}",
        "",
        f"- {t('summary_n_areas', n=len(areas))}",
        f"- {t('summary_n_plr', n=len(members), total=len(planning_areas))}",
        "- "
        + t(
            "summary_population",
            n=t.number(area_pop),
            total=t.number(total_pop),
            share=t.number(share, 1),
        ),
    ]
    for column in ("c_mss", "c_schools", "c_atlas"):
        if column in planning_areas:
            flagged = int((pd.to_numeric(planning_areas[column], errors="coerce") == 1).sum())
            lines.append(f"- {t('summary_criterion', label=t(column), n=flagged)}")
    counts = pd.to_numeric(planning_areas["n_criteria"], errors="coerce").fillna(0).astype(int)
    distribution = ", ".join(f"{k}: {int((counts == k).sum())}" for k in range(4))
    lines.append(f"- {t('summary_distribution', distribution=distribution)}")
    if estimates:
        lines += ["", f"## {t('summary_estimates')}", ""]
        lines += [f"- {sentence}" for sentence in estimates]
    return "\n".join(lines) + "\n"


def write_summary(
    areas: gpd.GeoDataFrame,
    planning_areas: gpd.GeoDataFrame,
    out_md: Path,
    *,
    edition: str,
    estimates: Sequence[str],
    language: str = "de",
) -> None:
    """Write ``summary.md``: each area with its planning areas and criteria, and citywide totals.

    Parameters
    ----------
    areas
        Layer ``handlungsraeume`` (hr_id, hr_name, bezirk, n_plr, population, n_c_* counts).
    planning_areas
        Layer ``planungsraeume`` (plr_id, plr_name, population, c_* flags, n_criteria, hr_id).
    out_md
        Target Markdown file, replaced atomically.
    edition
        Edition label shown in the heading.
    estimates
        Sentences saying which values are estimates or approximations.
    language
        ``de`` (default) or ``en`` (:mod:`quartiere.i18n`).
    """
    text = _summary(areas, planning_areas, edition, estimates, Messages(language))
    write_atomically(Path(out_md), lambda tmp: tmp.write_text(text, encoding="utf-8"))
