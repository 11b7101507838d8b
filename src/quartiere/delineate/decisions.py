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

from string import Formatter

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


def _fill(t: Messages, key: str, **values: object) -> np.ndarray:
    """The message ``key`` with its placeholders filled elementwise: each value is one string or an
    object array of strings (all of one length), so that a case is worded once per row without a
    Python call per row."""
    out: object = ""
    for literal, field, _, _ in Formatter().parse(t(key)):
        out = out + literal  # type: ignore[operator]
        if field is not None:
            out = out + values[field]  # type: ignore[operator]
    return np.asarray(out, dtype=object)


def _strings(values: np.ndarray) -> np.ndarray:
    return np.asarray(values).astype(str).astype(object)


def _meets(t: Messages, clustering: Clustering) -> tuple[np.ndarray, np.ndarray]:
    """Per PLR the 'meets ...' phrase, and whether it meets at least one criterion."""
    values = clustering.values
    met_bits = sum(np.asarray(values[c] == 1, dtype=np.int64) << i for i, c in enumerate(CRITERIA))
    n_criteria = np.clip(np.asarray(values["n_criteria"], dtype=np.int64), 0, None)
    unit = 1 << len(CRITERIA)
    codes, phrase_of = np.unique(met_bits + unit * n_criteria, return_inverse=True)
    phrases = np.array(
        [
            _meets_phrase(t, tuple(bool(c >> i & 1) for i in range(len(CRITERIA))), int(c // unit))
            for c in codes
        ],
        dtype=object,
    )
    return phrases[phrase_of.reshape(-1)], n_criteria >= 1


def _hole_sizes(t: Messages, clustering: Clustering) -> np.ndarray:
    """'2 PLR, 0.35 km², 1,200 inhabitants' per hole component."""
    return np.array(
        [
            t(
                "decision.hole_size",
                n=int(n),
                km2=t.number(km2, 2),
                population=t.number(population),
            )
            for n, km2, population in zip(
                clustering.hole_n, clustering.hole_km2, clustering.hole_pop, strict=True
            )
        ]
        + [""],
        dtype=object,
    )


def _how(
    t: Messages, clustering: Clustering, hr_id: np.ndarray, ids: np.ndarray, meets: np.ndarray
) -> np.ndarray:
    """How each member entered its cluster: as a seed, by growth or as a hole."""
    seed, ring, via = clustering.seed, clustering.ring, clustering.via
    is_hole = (clustering.cluster >= 0) & (clustering.hole >= 0)
    via_id = np.full(ids.size, "", dtype=object)
    via_id[via >= 0] = ids[via[via >= 0]]
    how = np.full(ids.size, "", dtype=object)
    how[seed] = _fill(t, "decision.seed", hr=hr_id[seed], meets=meets[seed])
    for key, sel in (
        ("decision.joined_seed", (ring == 1) & ~seed),
        ("decision.joined_ring", (ring > 1) & ~seed),
    ):
        how[sel] = _fill(
            t, key, hr=hr_id[sel], via=via_id[sel], ring=_strings(ring[sel]), meets=meets[sel]
        )
    if is_hole.any():
        size = _hole_sizes(t, clustering)[clustering.hole[is_hole]]
        how[is_hole] = _fill(
            t, "decision.joined_hole", hr=hr_id[is_hole], size=size, meets=meets[is_hole]
        )
    return how


def _cluster_texts(
    t: Messages, clustering: Clustering, rules: Delineation, lettered: np.ndarray
) -> list[str]:
    """Per cluster, what the minimum and groups phases made of it (appended to the 'how').

    ``lettered``: per cluster, whether its area's number carries a letter; a group's only kept
    part is numbered without one, and then its sentence says it is the group's only part.
    """
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
            if not lettered[c]:
                key += "_alone"
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
    hr_id = np.asarray(hr_id, dtype=object)
    n = ids.size
    meets, meets_any = _meets(t, clustering)
    member = clustering.cluster >= 0
    in_area = clustering.in_area
    cl = np.where(member, clustering.cluster, 0)
    lettered = np.zeros(clustering.n_plr.size, dtype=bool)
    for c, hr in zip(cl[in_area], hr_id[in_area], strict=True):
        lettered[c] = str(hr)[-1:].isalpha()
    c_text = np.array([*_cluster_texts(t, clustering, rules, lettered), ""], dtype=object)
    how = _how(t, clustering, hr_id, ids, meets)
    decision = np.full(n, "", dtype=object)
    decision[in_area] = how[in_area] + c_text[cl[in_area]]

    dropped = member & ~in_area
    if dropped.any():
        ring = clustering.ring[dropped]
        was = np.where(
            ring > 0,
            _fill(t, "decision.was_ring", ring=_strings(ring)),
            t("decision.was_seed"),
        ).astype(object)
        was[clustering.hole[dropped] >= 0] = t("decision.was_hole")
        decision[dropped] = _fill(
            t, "decision.dropped_member", text=c_text[cl[dropped]], was=was, meets=meets[dropped]
        )

    # Outside: the ending depends on the reason only (and on meeting a criterion at all).
    outside = np.flatnonzero(~member & (clustering.reason < Reason.HOLES_NOT_FILLED))
    endings = _outside_endings(t, rules)
    ending = np.full(outside.size, "", dtype=object)
    for reason, text in endings.items():
        ending[clustering.reason[outside] == reason] = text
    not_join = (clustering.reason[outside] == Reason.JOIN_NOT_MET) & meets_any[outside]
    ending[not_join] = t("decision.not_join", rule=rules.join)
    decision[outside] = _fill(t, "decision.outside", meets=meets[outside], ending=ending)

    enclosed = np.flatnonzero(~member & (clustering.reason >= Reason.HOLES_NOT_FILLED))
    if enclosed.size:
        hole_reasons = _hole_reasons(t, rules)
        why = np.array([hole_reasons[Reason(r)] for r in clustering.reason[enclosed]], dtype=object)
        decision[enclosed] = _fill(
            t,
            "decision.outside_enclosed",
            meets=meets[enclosed],
            hr=_enclosing_hr_id(clustering, hr_id)[clustering.enclosed_by[enclosed]],
            size=_hole_sizes(t, clustering)[clustering.hole[enclosed]],
            why=why,
        )
    return decision


def _enclosing_hr_id(clustering: Clustering, hr_id: np.ndarray) -> np.ndarray:
    """hr_id per cluster (``""`` for a cluster without one)."""
    lookup = np.full(clustering.kept.size, "", dtype=object)
    member = clustering.cluster >= 0
    lookup[clustering.cluster[member]] = hr_id[member]
    return lookup
