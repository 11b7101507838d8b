"""The decision sentence of each planning area, as a function of a :class:`Clustering`.

One sentence per PLR, in the configured language (``language:``, German by default): "Kern von
HR 03: erfüllt 2 Kriterien (MSS, Sozialatlas); ..." or "seed of HR 03: meets 2 criteria (MSS,
atlas); ...". The reasons are the :class:`Reason` codes the clustering decided; this module only
puts them into words, every word from the catalogue (:mod:`quartiere.i18n`, keys
``decision.*``) and every number in the language's format (``6.976`` / ``6,976``).

The sentences name each area by the hr_id they are given, so a renumbered build
(:func:`quartiere.compare.numbering.renumber`) words them again with its final numbers.
"""

from __future__ import annotations

import numpy as np

from quartiere.config import Delineation
from quartiere.delineate.clustering import Clustering, Reason
from quartiere.i18n import Messages
from quartiere.model import CRITERIA

__all__ = ["decisions"]

_BORDERS = ("bezirk", "prognoseraum")


def _border(t: Messages, key: str, border: str) -> str:
    """The message ``decision.<key>.<border>`` (``other`` for a border that is neither)."""
    return t(f"decision.{key}.{border if border in _BORDERS else 'other'}")


def _meets_phrase(t: Messages, met: tuple[bool, ...], count: int) -> str:
    """'meets 2 criteria (MSS, atlas)' / 'erfüllt 2 Kriterien (MSS, Sozialatlas)'.

    >>> _meets_phrase(Messages("de"), (True, False, True), 2)
    'erfüllt 2 Kriterien (MSS, Sozialatlas)'
    >>> _meets_phrase(Messages("en"), (True, False, False), 1)
    'meets 1 criterion (MSS)'
    """
    if count == 0:
        return t("decision.meets_none")
    names = [t(f"decision.label.{c}") for c, m in zip(CRITERIA, met, strict=True) if m]
    listed = f" ({', '.join(names)})" if names else ""
    key = "decision.meets_one" if count == 1 else "decision.meets_many"
    return t(key, count=count, listed=listed)


def _meets(t: Messages, clustering: Clustering) -> tuple[list[str], np.ndarray]:
    """Per PLR the 'meets ...' phrase, and whether it meets at least one criterion."""
    values = clustering.values
    met = np.column_stack([np.asarray(values[c] == 1, dtype=bool) for c in CRITERIA])
    n_criteria = np.clip(np.asarray(values["n_criteria"], dtype=np.int64), 0, None)
    phrases: dict[tuple[tuple[bool, ...], int], str] = {}
    out = []
    for row, count in zip(met, n_criteria, strict=True):
        key = (tuple(bool(m) for m in row), int(count))
        if key not in phrases:
            phrases[key] = _meets_phrase(t, *key)
        out.append(phrases[key])
    return out, n_criteria >= 1


def _hole_size(t: Messages, clustering: Clustering, component: int) -> str:
    """'2 PLR, 0.35 km², 1,200 inhabitants' for one hole component."""
    return t(
        "decision.hole_size",
        n=int(clustering.hole_n[component]),
        km2=t.number(clustering.hole_km2[component], 2),
        population=t.number(clustering.hole_pop[component]),
    )


def _how(
    t: Messages,
    clustering: Clustering,
    hr_id: np.ndarray,
    ids: np.ndarray,
    meets: list[str],
    i: int,
) -> str:
    """How member ``i`` entered its cluster: as a seed, by growth or as a hole."""
    hr, ring, via = hr_id[i], int(clustering.ring[i]), int(clustering.via[i])
    if clustering.hole[i] >= 0:
        size = _hole_size(t, clustering, int(clustering.hole[i]))
        return t("decision.joined_hole", hr=hr, size=size, meets=meets[i])
    if clustering.seed[i]:
        return t("decision.seed", hr=hr, meets=meets[i])
    key = "decision.joined_seed" if ring == 1 else "decision.joined_ring"
    return t(key, hr=hr, via=ids[via] if via >= 0 else "", ring=ring, meets=meets[i])


def _cluster_texts(t: Messages, clustering: Clustering, rules: Delineation) -> list[str]:
    """Per cluster, what the minimum and groups phases made of it (appended to the 'how')."""
    minimum = rules.minimum
    too_few = (
        t("decision.below_population", population=t.number(minimum.population)),
        t("decision.below_n_plr", n=minimum.n_plr),
    )
    names = [g.name for g in rules.groups]
    out = []
    for c in range(clustering.n_plr.size):
        below_pop, below_n = bool(clustering.below_pop[c]), bool(clustering.below_n[c])
        shortfall = t("decision.and").join(
            text for text, below in zip(too_few, (below_pop, below_n), strict=True) if below
        )
        cluster = t(
            "decision.cluster",
            n=int(clustering.n_plr[c]),
            population=t.number(clustering.population[c]),
        )
        group = int(clustering.group[c])
        kept = bool(clustering.kept[c])
        if group >= 0 and kept:
            key = "decision.kept_in_group" if shortfall else "decision.part_of_group"
            out.append(t(key, group=names[group], cluster=cluster, shortfall=shortfall))
        elif group >= 0:
            out.append(
                t(
                    "decision.dropped_part",
                    cluster=cluster,
                    population=t.number(clustering.group_min[c]),
                    group=names[group],
                )
            )
        elif not kept:
            out.append(t("decision.dropped", cluster=cluster, shortfall=shortfall))
        else:
            out.append("")
    return out


def _outside_endings(t: Messages, rules: Delineation) -> dict[Reason, str]:
    """The end of an outside sentence, per reason (enclosed holes are worded apart)."""
    rings = t("decision.rings_one" if rules.rings == 1 else "decision.rings_many", n=rules.rings)
    no_seed = t("decision.no_seed_within", rings=rings)
    return {
        Reason.JOIN_NOT_MET: "",
        Reason.NO_SEED_NEARBY: t("decision.no_seed_neighbour") if rules.rings <= 1 else no_seed,
        Reason.ACROSS_BORDER: _border(t, "across", rules.border),
        # Its member neighbours joined in the last ring (or as a hole): growth stopped there.
        Reason.BEYOND_RINGS: no_seed,
        Reason.NO_RINGS: t("decision.no_rings"),
    }


def _hole_reasons(t: Messages, rules: Delineation) -> dict[Reason, str]:
    """Why an enclosed hole was not filled, in words."""
    holes = rules.holes
    return {
        Reason.HOLES_NOT_FILLED: t("decision.holes_not_filled"),
        Reason.HOLE_TOO_LARGE: t(
            "decision.hole_too_large", km2=t.short(holes.max_area_km2 or 0, 9)
        ),
        Reason.HOLE_TOO_POPULOUS: t(
            "decision.hole_too_populous", population=t.number(holes.max_population or 0)
        ),
        Reason.HOLE_IN_OTHER_UNIT: _border(t, "other_unit", rules.border),
    }


def decisions(
    clustering: Clustering,
    hr_id: np.ndarray,
    ids: np.ndarray,
    rules: Delineation,
    language: str = "de",
) -> np.ndarray:
    """One sentence per planning area: how it entered its area, or why it is in none.

    Parameters
    ----------
    clustering
        The clustering (:func:`quartiere.delineate.clustering.cluster`).
    hr_id
        Per PLR, the hr_id of its area (``""`` when in none): the number the sentence names.
    ids
        Per PLR, its plr_id.
    rules
        The ``delineation`` rules the clustering ran with (thresholds named in the sentences).
    language
        ``de`` (the default) or ``en``: the configuration's ``language``.
    """
    t = Messages(language)
    meets, meets_any = _meets(t, clustering)
    cluster_texts = _cluster_texts(t, clustering, rules)
    endings = _outside_endings(t, rules)
    hole_reasons = _hole_reasons(t, rules)
    enclosing = _enclosing_hr_id(clustering, hr_id)
    out = np.full(ids.size, "", dtype=object)
    for i in range(ids.size):
        c = int(clustering.cluster[i])
        reason = Reason(int(clustering.reason[i]))
        if c >= 0 and clustering.in_area[i]:
            out[i] = _how(t, clustering, hr_id, ids, meets, i) + cluster_texts[c]
        elif c >= 0:
            ring = int(clustering.ring[i])
            if clustering.hole[i] >= 0:
                was = t("decision.was_hole")
            elif ring > 0:
                was = t("decision.was_ring", ring=ring)
            else:
                was = t("decision.was_seed")
            out[i] = t("decision.dropped_member", text=cluster_texts[c], was=was, meets=meets[i])
        elif reason in hole_reasons:
            comp = int(clustering.hole[i])
            out[i] = t(
                "decision.outside_enclosed",
                meets=meets[i],
                hr=enclosing[int(clustering.enclosed_by[i])],
                size=_hole_size(t, clustering, comp),
                why=hole_reasons[reason],
            )
        else:
            ending = endings.get(reason, "")
            if reason == Reason.JOIN_NOT_MET and meets_any[i]:
                ending = t("decision.not_join", rule=rules.join)
            out[i] = t("decision.outside", meets=meets[i], ending=ending)
    return out


def _enclosing_hr_id(clustering: Clustering, hr_id: np.ndarray) -> np.ndarray:
    """hr_id per cluster (``""`` for a cluster without one)."""
    lookup = np.full(clustering.kept.size, "", dtype=object)
    member = clustering.cluster >= 0
    lookup[clustering.cluster[member]] = hr_id[member]
    return lookup
