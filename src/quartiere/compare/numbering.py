"""Numbering against a previous edition (``quartiere build --previous``): persisting areas keep
their numbers and names.

Which new area continues which old one is decided by
:func:`quartiere.compare.matching.match_frames`, the rule ``quartiere diff`` and ``quartiere
history`` use too, so the numbering and the change memo tell the same story by construction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import replace

import geopandas as gpd
import numpy as np

from quartiere.compare.matching import match_frames
from quartiere.delineate import DelineationResult
from quartiere.delineate.numbering import letters
from quartiere.i18n import Messages
from quartiere.model import is_hr_id, split_hr_id

__all__ = ["renumber"]


def renumber(
    result: DelineationResult,
    previous: gpd.GeoDataFrame | None,
    min_overlap: float = 0.5,
    retired: Collection[str] = (),
) -> DelineationResult:
    """Keep the numbers (and names) of areas that persist from a previous edition.

    Parameters
    ----------
    result : DelineationResult
        A fresh delineation (numbers from :func:`quartiere.delineate.delineate`).
    previous : geopandas.GeoDataFrame or None
        The previous edition's ``handlungsraeume`` layer (hr_id, hr_name, geometry); reprojected to
        the CRS of ``result.areas`` when it differs. ``None`` returns ``result`` unchanged.
    min_overlap : float
        An area continues a previous one by the one matching rule,
        :func:`quartiere.compare.matching.mutual_best` (as ``quartiere diff`` and ``history``):
        each is the other's largest overlap among areas of its kind (stand-alone or lettered part)
        and their intersection covers at least this share of the smaller of the two (so an area
        that only grew or only shrank keeps its number).
    retired : collection of str
        hr_ids used by editions before the previous one (``build_info`` ``hr_ids_used``): their
        numbers and letters are not handed to new areas either.

    Returns
    -------
    DelineationResult
        Areas with kept or new ``hr_id`` (a new area gets a number after every number used so
        far, in ``previous`` or in ``retired``; a new part gets a letter its number never had),
        ``members.hr_id`` updated, the decision sentences worded again with the final numbers
        (:meth:`DelineationResult.decisions`), and ``lineage`` sentences in the result's
        language.
    """
    areas = result.areas
    if previous is None or len(previous) == 0 or len(areas) == 0:
        return result
    prev = (
        previous
        if previous.crs == areas.crs or previous.crs is None
        else previous.to_crs(areas.crs)
    )
    new_geoms = np.asarray(areas.geometry.values, dtype=object)
    old_geoms = np.asarray(prev.geometry.values, dtype=object)
    old_ids = prev["hr_id"].astype(str).to_numpy()
    old_names = (
        prev["hr_name"].astype(str).to_numpy()
        if "hr_name" in prev.columns
        else np.full(len(prev), "", dtype=object)
    )
    current = [split_hr_id(v) for v in areas["hr_id"]]
    prev_split = [split_hr_id(v) for v in old_ids]
    # A group that kept a single part numbers it without a letter, but it is still a part: it
    # may continue a lettered part (keeping its letter) as well as a stand-alone area.
    single_part = _single_group_parts(result) & np.array([not c[1] for c in current], dtype=bool)
    matches = match_frames(
        gpd.GeoDataFrame(
            {"hr_id": old_ids, "is_part": [bool(p[1]) for p in prev_split]}, geometry=old_geoms
        ),
        gpd.GeoDataFrame(
            {
                "hr_id": areas["hr_id"].astype(str),
                "is_part": [bool(c[1]) for c in current],
                "any_kind": single_part,
            },
            geometry=new_geoms,
        ),
        min_overlap,
    )
    match = np.full(len(areas), -1, dtype=np.int64)
    match_share = np.zeros(len(areas))
    match[matches["new"].to_numpy(dtype=np.int64)] = matches["old"].to_numpy(dtype=np.int64)
    match_share[matches["new"].to_numpy(dtype=np.int64)] = matches["share"].to_numpy(dtype=float)
    continues = match >= 0
    units: dict[int, list[int]] = {}
    for row, (num, _) in enumerate(current):
        units.setdefault(num, []).append(row)
    taken: set[int] = set()
    unit_number: dict[int, int] = {}
    for num, rows in units.items():
        votes = Counter(prev_split[match[r]][0] for r in rows if continues[r])
        for candidate, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])):
            if candidate not in taken:
                unit_number[num] = candidate
                taken.add(candidate)
                break
    # Numbers and letters of earlier editions stay retired, not only those of the previous one.
    earlier = [split_hr_id(v) for v in retired if is_hr_id(v)]
    prev_split_all = prev_split + earlier
    next_free = max([p for p, _ in prev_split_all] + list(taken)) + 1
    for num in units:
        if num not in unit_number:
            unit_number[num] = next_free
            taken.add(next_free)
            next_free += 1
    width = max(2, len(str(max(unit_number.values()))))

    new_ids = np.empty(len(areas), dtype=object)
    for num, rows in units.items():
        base = f"{unit_number[num]:0{width}d}"
        # Lettered when its parts are, or when it continues a lettered part (and keeps the letter).
        lettered = any(current[r][1] or (continues[r] and prev_split[match[r]][1]) for r in rows)
        if not lettered:
            new_ids[rows] = base
            continue
        kept_letters: dict[int, str] = {}
        for r in rows:
            if continues[r]:
                p_num, p_letter = prev_split[match[r]]
                if p_num == unit_number[num] and p_letter not in kept_letters.values():
                    kept_letters[r] = p_letter
        # New parts get letters after every letter the number ever had: a retired part's letter
        # is not handed to a different place.
        used_letters = {p_letter for p_num, p_letter in prev_split_all if p_num == unit_number[num]}
        used_letters |= set(kept_letters.values())
        counter = 0
        for r in rows:
            if r not in kept_letters:
                while letters(counter) in used_letters:
                    counter += 1
                kept_letters[r] = letters(counter)
                used_letters.add(kept_letters[r])
            new_ids[r] = base + kept_letters[r]

    mapping = dict(zip(areas["hr_id"].astype(str), new_ids, strict=True))
    names = areas["hr_name"].astype(str).to_numpy(dtype=object)
    # An area that persists keeps its number, its letter and its name.
    names = np.where(continues, old_names[np.maximum(match, 0)], names)
    t = Messages(result.language)
    lineage = []
    for r in range(len(areas)):
        if continues[r]:
            lineage.append(
                t(
                    "lineage.continues",
                    hr=new_ids[r],
                    old=old_ids[match[r]],
                    share=t.number(100 * match_share[r]),
                )
            )
        else:
            lineage.append(t("lineage.new", hr=new_ids[r], share=t.number(100 * min_overlap)))
    used = {int(m) for m in match if m >= 0}
    for j in sorted(set(range(len(prev))) - used, key=lambda j: prev_split[j]):
        lineage.append(t("lineage.no_successor", old=old_ids[j], name=old_names[j]))

    out_areas = areas.assign(hr_id=new_ids.astype(str), hr_name=names.astype(str))
    order = sorted(range(len(out_areas)), key=lambda r: split_hr_id(str(new_ids[r])))
    out_areas = out_areas.iloc[order].reset_index(drop=True)
    members = result.members.copy()
    members["hr_id"] = members["hr_id"].map(lambda v: mapping.get(v, v)).astype(str)
    if result.clustering is not None:  # the sentences name the final numbers
        members["decision"] = result.decisions(members["hr_id"].to_numpy(dtype=object)).astype(str)
    continued = sorted(
        ((str(old_ids[match[r]]), str(new_ids[r])) for r in range(len(areas)) if continues[r]),
        key=lambda pair: split_hr_id(pair[1]),
    )
    return replace(result, members=members, areas=out_areas, lineage=lineage, continued=continued)


def _single_group_parts(result: DelineationResult) -> np.ndarray:
    """Per row of ``result.areas``: whether it is the only kept part of a declared group (numbered
    without a letter by :func:`quartiere.delineate.numbering.number`)."""
    areas, clustering = result.areas, result.clustering
    out = np.zeros(len(areas), dtype=bool)
    if clustering is None:
        return out
    members = result.members
    inside = members["hr_id"] != ""
    cluster_of = (
        members.loc[inside, ["hr_id", "cluster"]]
        .drop_duplicates("hr_id")
        .set_index("hr_id")["cluster"]
        .astype("int64")
    )
    clusters = cluster_of.reindex(areas["hr_id"].astype(str)).to_numpy()
    grouped = clustering.group[clusters] >= 0
    out[:] = grouped & ~clustering.part[clusters]
    return out
