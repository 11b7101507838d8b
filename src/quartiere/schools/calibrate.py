"""Calibrate the ranking's scale to published counts: a quantile mapping.

The schools are ordered by their score (ties by school number); the school at position ``c`` of an
anchor "``c`` schools at or above ``p`` %" gets exactly ``p`` %, the first school ``top_share``,
the last ``bottom_share``, and positions in between are interpolated linearly. The mapping is
monotone (a higher score never gets a lower share) and meets every anchor exactly: exactly ``c``
schools reach ``p`` %. A quantile mapping needs no per-school share to fit, which is all the
published record offers (counts, not values); isotonic regression would need per-school targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from quartiere.errors import ConfigError

__all__ = ["Anchor", "Calibration", "quantile_calibration", "order"]


@dataclass(frozen=True)
class Anchor:
    """``count`` schools at or above ``share`` %, with where the figure comes from."""

    share: float
    count: int
    source: str


@dataclass(frozen=True)
class Calibration:
    shares: pd.Series  # calibrated lmb share (%) per school
    knots: tuple[tuple[int, float], ...]  # (position, share) the mapping interpolates
    anchors: tuple[Anchor, ...]


def order(score: pd.Series) -> pd.Series:
    """Position 1..n of each school, best score first; equal scores by school number."""
    frame = pd.DataFrame({"score": score.to_numpy(), "id": score.index.astype(str)})
    ranked = frame.sort_values(["score", "id"], ascending=[False, True], kind="stable")
    position = pd.Series(np.arange(1, len(frame) + 1), index=ranked.index)
    return pd.Series(position.sort_index().to_numpy(), index=score.index)


def quantile_calibration(
    score: pd.Series, anchors: Sequence[Anchor], top_share: float, bottom_share: float
) -> Calibration:
    """Map scores onto lmb shares through the anchors (see the module text).

    Schools without a score keep NaN and are not counted. Raises ConfigError when an anchor asks
    for more schools than there are, or anchors contradict each other.
    """
    known = score.dropna()
    n = len(known)
    ordered = sorted(anchors, key=lambda a: a.count)
    for anchor in ordered:
        if anchor.count > n:
            raise ConfigError(
                f"schools.estimate.anchors: calibration count {anchor.count} at {anchor.share:g} % "
                f"is larger than the {n} schools counted"
            )
    knots = [(1, top_share), *[(a.count, a.share) for a in ordered], (n, bottom_share)]
    for (c0, p0), (c1, p1) in zip(knots, knots[1:], strict=False):
        if c1 < c0 or p1 > p0 or (c1 > c0 and p1 == p0):
            raise ConfigError(
                "schools.estimate.anchors: the anchors contradict each other or top/bottom_share "
                f"({c0} schools at {p0:g} %, {c1} at {p1:g} %): more schools need a lower share"
            )
    # An anchor at an end (count 1 or n) wins over top_share or bottom_share there, also when
    # both ends are the one school; of two anchors at one count, the first (the higher share).
    points = {1: top_share, n: bottom_share}
    anchored: dict[int, float] = {}
    for anchor in ordered:
        anchored.setdefault(anchor.count, anchor.share)
    points.update(anchored)
    xs = sorted(points)
    ys = [points[x] for x in xs]
    position = order(known)
    shares = pd.Series(np.interp(position.to_numpy(), xs, ys), index=known.index)
    return Calibration(
        shares=shares.reindex(score.index).rename("lmb_share"),
        knots=tuple(zip(xs, ys, strict=True)),
        anchors=tuple(ordered),
    )
