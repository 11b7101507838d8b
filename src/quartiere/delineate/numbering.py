"""Numbers and names of the areas, as functions of a :class:`Clustering`.

Stand-alone areas get ``01``..``NN`` ordered by (district code, smallest member plr_id); then each
declared group with at least one part, in configuration order, gets the next number, its parts
lettered ``a``, ``b`` ... in the same order. A group with a single part gets the number without a
letter. Numbers have at least two digits. Names: the dominant Bezirksregion or Prognoseraum by
population (with a runner-up holding at least ``second_name_share``), group names, overrides.

Numbering against a previous edition (``--previous``):
:func:`quartiere.compare.numbering.renumber`.

>>> letters(0), letters(25), letters(26)
('a', 'z', 'aa')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from quartiere.config import Delineation
from quartiere.delineate.clustering import Clustering, Territory, cluster_districts, dominant

__all__ = ["Numbering", "letters", "number", "name"]


def letters(k: int) -> str:
    """0 -> 'a', 25 -> 'z', 26 -> 'aa' (groups of more than 26 parts stay well-defined)."""
    out = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        out = chr(97 + r) + out
    return out


@dataclass(frozen=True)
class Numbering:
    """Per cluster its hr_id (``""``: no area) and name; ``order``: the kept clusters in
    numbering order (the rows of the ``handlungsraeume`` layer)."""

    hr_id: np.ndarray
    name: np.ndarray
    order: np.ndarray

    def hr_id_at(self, clustering: Clustering) -> np.ndarray:
        """Per planning area, the hr_id of its area (``""`` when in none)."""
        out = np.full(clustering.cluster.size, "", dtype=object)
        member = clustering.cluster >= 0
        out[member] = self.hr_id[clustering.cluster[member]]
        return out


def number(
    clustering: Clustering, territory: Territory, rules: Delineation
) -> tuple[np.ndarray, np.ndarray]:
    """Per cluster its hr_id (``""`` when dropped), and the kept clusters in numbering order."""
    labels, kept, c_group = clustering.cluster, clustering.kept, clustering.group
    k = kept.size
    member = np.flatnonzero(labels >= 0)
    c_rank = np.full(k, labels.size, dtype=np.int64)
    np.minimum.at(c_rank, labels[member], territory.rank[member])
    c_district = cluster_districts(labels, territory.district, territory.population).astype(str)

    def in_order(which: np.ndarray) -> np.ndarray:
        return which[np.lexsort((c_rank[which], c_district[which]))]

    standalone = in_order(np.flatnonzero(kept & (c_group < 0)))
    grouped: list[tuple[int, np.ndarray]] = []
    next_number = standalone.size + 1
    for g in range(len(rules.groups)):
        parts = np.flatnonzero(kept & (c_group == g))
        if parts.size:
            grouped.append((next_number, in_order(parts)))
            next_number += 1
    width = max(2, len(str(next_number - 1)))
    c_hr = np.full(k, "", dtype=object)
    c_hr[standalone] = [f"{num:0{width}d}" for num in range(1, standalone.size + 1)]
    for num, parts in grouped:
        if parts.size == 1:
            c_hr[parts] = f"{num:0{width}d}"
        else:
            c_hr[parts] = [f"{num:0{width}d}{letters(i)}" for i in range(parts.size)]
    order = np.array(
        [*standalone.tolist(), *[p for _, parts in grouped for p in parts.tolist()]], dtype=np.int64
    )
    return c_hr, order


def name(
    clustering: Clustering,
    frame: pd.DataFrame,
    ids: np.ndarray,
    territory: Territory,
    rules: Delineation,
) -> np.ndarray:
    """Per cluster its name: dominant Bezirksregion / Prognoseraum, group names, overrides."""
    naming = rules.naming
    labels_of = clustering.cluster
    k = clustering.kept.size
    name_col = "bzr_name" if naming.by == "bzr" else "pgr_name"
    aidx = np.flatnonzero(clustering.in_area)
    # Source names carry stray double spaces ("Südliche  Friedrichstadt"); collapse them (for
    # the members of an area only: the others name nothing).
    labels = frame[name_col].iloc[aidx].astype(str).str.split().str.join(" ")
    population = territory.population
    names = dominant(labels_of[aidx], labels.to_numpy(dtype=object), population[aidx] + 1e-9)
    with_second = names["second"].notna() & (names["second_share"] >= naming.second_name_share)
    names["name"] = names["first"].where(~with_second, names["first"] + " / " + names["second"])
    c_name = names["name"].reindex(range(k)).fillna("").to_numpy(dtype=object, copy=True)
    for g, group in enumerate(rules.groups):
        sel = (clustering.group == g) & clustering.kept
        c_name[sel] = [
            f"{group.name} ({v})" if clustering.part[i] else group.name
            for i, v in zip(np.flatnonzero(sel), c_name[sel], strict=True)
        ]
    if naming.overrides:
        override = pd.Series(naming.overrides, dtype=object)
        hit = aidx[np.isin(ids[aidx], override.index)]
        hit = hit[np.argsort(territory.rank[hit])[::-1]]  # smallest id wins: written last
        c_name[labels_of[hit]] = override.reindex(ids[hit]).to_numpy(dtype=object)
    return c_name


def numbering(
    clustering: Clustering,
    frame: pd.DataFrame,
    ids: np.ndarray,
    territory: Territory,
    rules: Delineation,
) -> Numbering:
    """Numbers, names and order of the areas of one clustering."""
    c_hr, order = number(clustering, territory, rules)
    return Numbering(c_hr, name(clustering, frame, ids, territory, rules), order)
