"""The calibration chart: estimated lmb share per school against the per-school flag, drawn from
a :class:`~quartiere.present.figure_data.CalibrationChart` (plain values the build computes)."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from quartiere.present.figure_data import CalibrationChart

__all__ = ["calibration_figure"]


def calibration_figure(chart: CalibrationChart) -> Figure:
    """Schools ordered by their lmb share (line), flagged schools marked; anchors as points.

    The flag-rate panel counts only the schools the flag knows (``chart.known``); further checks
    of the ranking (``chart.checks``) are written under the chart with their labels.
    """
    fig = Figure(figsize=(8.0, 3.6), dpi=150)
    # Fixed margins (room for the axis labels and the attribution line): tight_layout measured
    # every label to the same end at a third of the chart's drawing time.
    ax, right = fig.subplots(
        1,
        2,
        width_ratios=[3, 2],
        gridspec_kw={
            "left": 0.07,
            "right": 0.97,
            "bottom": 0.14 + 0.035 * len(chart.checks),
            "top": 0.92,
            "wspace": 0.2,
        },
    )
    position = np.arange(1, len(chart.shares) + 1)
    ax.plot(
        position,
        chart.shares,
        color="#444444",
        lw=1.2,
        label=f"lmb_share ({chart.lmb_source})",
    )
    if chart.marked is not None:
        ax.scatter(
            position[chart.marked],
            chart.shares[chart.marked],
            s=6,
            color="#d95f02",
            label=chart.flag_label,
            zorder=3,
        )
        ax.axhline(chart.flag_share, color="#d95f02", lw=0.6, ls="--")
        known = np.ones(len(chart.shares), dtype=bool) if chart.known is None else chart.known
        _flag_rate(right, chart.shares[known], chart.marked[known], chart.flag_share)
    threshold = chart.threshold
    ax.axhline(threshold, color="#1b9e77", lw=0.6, ls="--", label=f"criterion {threshold:g} %")
    for count, share in chart.anchors:
        ax.plot([count], [share], marker="o", color="black", ms=4)
    ax.set_title(chart.title, fontsize=8)
    ax.set_xlabel("school, ordered by lmb_share", fontsize=7)
    ax.set_ylabel("lmb share %", fontsize=7)
    ax.set_ylim(0, 100)
    ax.tick_params(labelsize=6)
    ax.legend(fontsize=6, loc="lower left")
    right.tick_params(labelsize=6)
    fig.text(0.99, 0.005, chart.attribution, fontsize=5, ha="right", va="bottom")
    for i, line in enumerate(chart.checks):
        fig.text(0.01, 0.03 + 0.03 * (len(chart.checks) - 1 - i), line, fontsize=5, va="bottom")
    return fig


def _flag_rate(ax: Axes, share: np.ndarray, marked: np.ndarray, level: float) -> None:
    """Share of flagged schools per 10-point band of the estimate: the calibration check."""
    edges = np.arange(0, 101, 10)
    band = np.clip(np.digitize(share, edges) - 1, 0, len(edges) - 2)
    rate = [marked[band == b].mean() * 100 if (band == b).any() else np.nan for b in range(10)]
    count = [int((band == b).sum()) for b in range(10)]
    ax.bar(edges[:-1] + 5, rate, width=8, color="#d95f02", alpha=0.7)
    for x, r, n in zip(edges[:-1] + 5, rate, count, strict=True):
        if n:
            ax.text(x, (0 if np.isnan(r) else r) + 2, str(n), ha="center", fontsize=5)
    ax.axvline(level, color="#d95f02", lw=0.6, ls="--")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 105)
    ax.set_xlabel("estimated lmb share % (10-point bands; n above bars)", fontsize=7)
    ax.set_ylabel("flagged schools %", fontsize=7)
    ax.set_title("flag rate by estimate", fontsize=8)
