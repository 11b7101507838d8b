"""The decision sentence of each planning area, as a function of a :class:`Clustering`.

One sentence per PLR ("seed of HR 03: meets 2 criteria (MSS, atlas); cluster of 5 PLR, ..."),
built with array string operations: the sentences depend on a handful of distinct cases, so
they are built once per case and gathered. The reasons are the :class:`Reason` codes the
clustering decided; this module only puts them into words (English, as in the layers).
"""

from __future__ import annotations

import numpy as np

from quartiere.config import Delineation
from quartiere.delineate.clustering import Clustering, Reason
from quartiere.model import CRITERIA, CRITERION_LABELS

__all__ = ["decisions"]

_BORDER_LABEL = {"bezirk": "Bezirk", "prognoseraum": "Prognoseraum"}


def _fmt_int(values: np.ndarray) -> np.ndarray:
    return np.array([f"{v:,.0f}" for v in values], dtype=object)


# A phrase code: the bit mask of the criteria met, plus _COUNT_UNIT * n_criteria.
_COUNT_UNIT = 1 << len(CRITERIA)


def _meets_phrase(code: int) -> str:
    """'meets 2 criteria (MSS, atlas)' from a code = criteria bit mask + _COUNT_UNIT * n_criteria.

    >>> _meets_phrase(0b101 + _COUNT_UNIT * 2)
    'meets 2 criteria (MSS, atlas)'
    """
    count = code // _COUNT_UNIT
    names = [label for i, label in enumerate(CRITERION_LABELS.values()) if code >> i & 1]
    if count == 0:
        return "meets no criterion"
    listed = f" ({', '.join(names)})" if names else ""
    return f"meets {count} {'criterion' if count == 1 else 'criteria'}{listed}"


def _meets(clustering: Clustering) -> tuple[np.ndarray, np.ndarray]:
    """Per PLR the 'meets ...' phrase, and whether it meets at least one criterion."""
    values = clustering.values
    met_bits = sum((values[c] == 1).astype(np.int64) << i for i, c in enumerate(CRITERIA))
    n_criteria = np.clip(values["n_criteria"].astype(np.int64), 0, None)
    codes, phrase_of = np.unique(met_bits + _COUNT_UNIT * n_criteria, return_inverse=True)
    phrases = np.array([_meets_phrase(int(c)) for c in codes], dtype=object)
    return phrases[phrase_of], n_criteria >= 1


def _hole_size(clustering: Clustering, component: np.ndarray) -> np.ndarray:
    """'2 PLR, 0.35 km², 1,200 inhabitants' for each hole component in ``component``."""
    return (
        clustering.hole_n[component].astype(str).astype(object)
        + " PLR, "
        + np.char.mod("%.2f", clustering.hole_km2[component]).astype(object)
        + " km², "
        + _fmt_int(clustering.hole_pop[component])
        + " inhabitants"
    ).astype(object)


def _how(
    clustering: Clustering, hr_id: np.ndarray, ids: np.ndarray, meets: np.ndarray
) -> np.ndarray:
    """How each member entered its cluster: as a seed, by growth or as a hole."""
    seed, ring, via = clustering.seed, clustering.ring, clustering.via
    is_hole = (clustering.cluster >= 0) & (clustering.hole >= 0)
    hr = ("HR " + hr_id).astype(object)
    via_id = np.full(ids.size, "", dtype=object)
    via_id[via >= 0] = ids[via[via >= 0]]
    how = np.full(ids.size, "", dtype=object)
    how[seed] = ("seed of " + hr[seed] + ": " + meets[seed]).astype(object)
    first = (ring == 1) & ~seed
    how[first] = (
        "joined "
        + hr[first]
        + " as a neighbour of seed "
        + via_id[first]
        + " (ring 1); "
        + meets[first]
    ).astype(object)
    later = (ring > 1) & ~seed
    how[later] = (
        "joined "
        + hr[later]
        + " as a neighbour of "
        + via_id[later]
        + " (ring "
        + ring[later].astype(str).astype(object)
        + "); "
        + meets[later]
    ).astype(object)
    if is_hole.any():
        how[is_hole] = (
            "joined "
            + hr[is_hole]
            + " as an enclosed hole ("
            + _hole_size(clustering, clustering.hole[is_hole])
            + "); "
            + meets[is_hole]
        ).astype(object)
    return how


def _cluster_texts(clustering: Clustering, rules: Delineation) -> np.ndarray:
    """Per cluster, what the minimum and groups phases made of it (appended to the 'how')."""
    c_n, c_pop, c_group = clustering.n_plr, clustering.population, clustering.group
    kept, below_pop, below_n = clustering.kept, clustering.below_pop, clustering.below_n
    k = c_n.size
    cluster_text = (
        "cluster of " + c_n.astype(str).astype(object) + " PLR, " + _fmt_int(c_pop) + " inhabitants"
    ).astype(object)
    minimum = rules.minimum
    too_few = f"below {minimum.population:,.0f}", f"fewer than {minimum.n_plr} PLR"
    shortfall = np.full(k, "", dtype=object)
    shortfall[below_pop] = too_few[0]
    shortfall[below_n & ~below_pop] = too_few[1]
    shortfall[below_pop & below_n] = " and ".join(too_few)
    group_name = np.array([g.name for g in rules.groups] + [""], dtype=object)[c_group]
    c_text = np.full(k, "", dtype=object)
    grouped_small = (c_group >= 0) & kept & (shortfall != "")
    c_text[grouped_small] = (
        "; kept as part of group "
        + group_name[grouped_small]
        + " ("
        + cluster_text[grouped_small]
        + ", "
        + shortfall[grouped_small]
        + " for a stand-alone area)"
    )
    grouped_big = (c_group >= 0) & kept & (shortfall == "")
    c_text[grouped_big] = (
        "; part of group " + group_name[grouped_big] + " (" + cluster_text[grouped_big] + ")"
    )
    dropped_part = (c_group >= 0) & ~kept
    c_text[dropped_part] = (
        "dropped: "
        + cluster_text[dropped_part]
        + ", below "
        + _fmt_int(clustering.group_min[dropped_part])
        + " for a part of "
        + group_name[dropped_part]
    )
    alone_dropped = (c_group < 0) & ~kept
    c_text[alone_dropped] = (
        "dropped: " + cluster_text[alone_dropped] + ", " + shortfall[alone_dropped]
    )
    return c_text


def _outside_endings(rules: Delineation) -> dict[Reason, str]:
    """The end of an outside sentence, per reason (enclosed holes are worded apart)."""
    rings_text = f"{rules.rings} ring" + ("" if rules.rings == 1 else "s")
    border = _BORDER_LABEL.get(rules.border, "border unit")
    no_seed = (
        " but no neighbour is a seed" if rules.rings <= 1 else f" but no seed within {rings_text}"
    )
    return {
        Reason.JOIN_NOT_MET: "",
        Reason.NO_SEED_NEARBY: no_seed,
        Reason.ACROSS_BORDER: f" but its neighbouring area lies across the {border} border",
        # Its member neighbours joined in the last ring (or as a hole): growth stopped there.
        Reason.BEYOND_RINGS: f" but no seed within {rings_text}",
        Reason.NO_RINGS: " but rings is 0: only seeds form areas",
    }


def _hole_reasons(rules: Delineation) -> dict[Reason, str]:
    """Why an enclosed hole was not filled, in words."""
    holes = rules.holes
    border = _BORDER_LABEL.get(rules.border, "border unit")
    return {
        Reason.HOLES_NOT_FILLED: "holes are not filled (holes.fill: false)",
        Reason.HOLE_TOO_LARGE: f"larger than {holes.max_area_km2 or 0:g} km²",
        Reason.HOLE_TOO_POPULOUS: f"more than {holes.max_population or 0:,.0f} inhabitants",
        Reason.HOLE_IN_OTHER_UNIT: f"it lies in another {border}",
    }


def decisions(
    clustering: Clustering, hr_id: np.ndarray, ids: np.ndarray, rules: Delineation
) -> np.ndarray:
    """One sentence per planning area: how it entered its area, or why it is in none.

    Parameters
    ----------
    clustering
        The clustering (:func:`quartiere.delineate.clustering.cluster`).
    hr_id
        Per PLR, the hr_id of its area (``""`` when in none).
    ids
        Per PLR, its plr_id.
    rules
        The ``delineation`` rules the clustering ran with (thresholds named in the sentences).
    """
    n = ids.size
    meets, meets_any = _meets(clustering)
    member = clustering.cluster >= 0
    in_area = clustering.in_area
    cl = np.where(member, clustering.cluster, 0)
    c_text = _cluster_texts(clustering, rules)
    if c_text.size == 0:
        c_text = np.array([""], dtype=object)  # keeps cluster-indexed lookups valid
    how = _how(clustering, hr_id, ids, meets)
    decision = np.full(n, "", dtype=object)
    decision[in_area] = (how[in_area] + c_text[cl[in_area]]).astype(object)

    dropped = member & ~in_area
    ring = clustering.ring[dropped]
    was = np.where(ring > 0, "joined in ring " + ring.astype(str), "seed")
    was = np.where(clustering.hole[dropped] >= 0, "enclosed hole", was).astype(object)
    decision[dropped] = (c_text[cl[dropped]] + " (" + was + "; " + meets[dropped] + ")").astype(
        object
    )

    # Outside: a few distinct sentences, built once per (phrase, reason) and gathered.
    endings = _outside_endings(rules)
    not_join = f" but not the join rule ({rules.join})"
    outside = np.flatnonzero(~member & (clustering.reason < Reason.HOLES_NOT_FILLED))
    for reason, ending in endings.items():
        sel = outside[clustering.reason[outside] == reason]
        if reason == Reason.JOIN_NOT_MET:
            ending_of = np.where(meets_any[sel], not_join, "").astype(object)
            decision[sel] = ("outside: " + meets[sel] + ending_of).astype(object)
        else:
            decision[sel] = ("outside: " + meets[sel] + ending).astype(object)

    hole_reasons = _hole_reasons(rules)
    enclosed = np.flatnonzero(~member & (clustering.reason >= Reason.HOLES_NOT_FILLED))
    if enclosed.size:
        comp = clustering.hole[enclosed]
        why = np.array([hole_reasons[Reason(r)] for r in clustering.reason[enclosed]], dtype=object)
        decision[enclosed] = (
            "outside: "
            + meets[enclosed]
            + "; enclosed by HR "
            + _enclosing_hr_id(clustering, hr_id, enclosed)
            + " but the hole ("
            + _hole_size(clustering, comp)
            + ") is not filled: "
            + why
        ).astype(object)
    return decision


def _enclosing_hr_id(clustering: Clustering, hr_id: np.ndarray, which: np.ndarray) -> np.ndarray:
    """hr_id of the cluster enclosing each planning area in ``which``."""
    lookup = np.full(clustering.kept.size, "", dtype=object)
    member = clustering.cluster >= 0
    lookup[clustering.cluster[member]] = hr_id[member]
    return lookup[clustering.enclosed_by[which]]
