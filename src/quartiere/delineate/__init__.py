"""Delineation: from flagged planning areas to named, numbered Handlungsräume.

The stage is a chain of pure, vectorised phases over a contiguity graph of the planning areas
(Planungsräume, PLR), in :mod:`quartiere.delineate.clustering`:

1. *seeds*: the seed and join rules (boolean expressions from configuration) flag each PLR;
2. *rings*: seeds grow by up to ``rings`` steps into neighbouring PLR that meet the join rule,
   never across the configured border (Bezirk or Prognoseraum): graph edges across it are removed;
   the connected members form clusters;
3. *holes*: non-member PLR enclosed by one cluster join it;
4. *minimum* and *groups*: clusters below the minimum size are dropped, or kept as lettered parts
   of a declared group.

Their outcome is one :class:`Clustering` value (:func:`cluster`, cheap: no geometry, no text).
Functions of it: numbers and names (:mod:`~quartiere.delineate.numbering`), each area's polygon as
the coverage-aware union of its members (:mod:`~quartiere.delineate.dissolve`) and a one-sentence
decision per PLR (:mod:`quartiere.delineate.decisions`, in the configured language, worded again
when :func:`quartiere.compare.numbering.renumber` hands out the final numbers). :func:`delineate`
composes them.

All geometry stays in the input CRS (EPSG:25833, metres). PLR ids are 8-digit strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from quartiere.config import Delineation
from quartiere.contiguity import Contiguity, build_contiguity
from quartiere.delineate.clustering import Clustering, Phase, Reason, Role, Territory, cluster
from quartiere.delineate.dissolve import areas_layer, coverage_union
from quartiere.delineate.numbering import numbering
from quartiere.rules import RULE_NAMES, compile_rule

__all__ = [
    "RULE_NAMES",
    "ROLES",
    "Clustering",
    "DelineationResult",
    "Phase",
    "Reason",
    "Role",
    "Territory",
    "cluster",
    "compile_rule",
    "coverage_union",
    "delineate",
]

#: Values of the ``role`` column of :attr:`DelineationResult.members`.
ROLES = tuple(role.name.lower() for role in Role)


@dataclass
class DelineationResult:
    """What the delineation decided.

    Attributes
    ----------
    members : pandas.DataFrame
        One row per input planning area, indexed like the input. Columns: ``hr_id`` (str, ``""``
        when the PLR belongs to no area), ``cluster`` (Int64, internal cluster number, NA when the
        PLR was never in a cluster), ``role`` (one of :data:`ROLES`), ``ring`` (Int64: 0 for seeds,
        k for the k-th ring of growth, NA otherwise), ``via`` (str: plr_id of the member it joined
        through, ``""`` otherwise) and ``decision`` (one human-readable sentence).
    areas : geopandas.GeoDataFrame
        The ``handlungsraeume`` layer: hr_id, hr_name, bezirk (district name), n_plr, population,
        area_km2, plr_ids, n_c_mss, n_c_schools, n_c_atlas, geometry (MultiPolygon, input CRS).
    lineage : list of str
        Sentences on how the numbers relate to a previous edition (filled by
        :func:`quartiere.compare.numbering.renumber`).
    clustering : Clustering or None
        The clustering the result was made from.
    rules : Delineation or None
        The rules it ran with (the decision sentences name their thresholds).
    language : str
        The language of the decision and lineage sentences (``de`` or ``en``).
    plr_ids : numpy.ndarray or None
        Per row of :attr:`members`, its plr_id (the decision sentences name neighbours by it).
    continued : list of tuple of str
        ``(previous hr_id, hr_id)`` for each area that continues one of a previous edition (filled
        by :func:`quartiere.compare.numbering.renumber`; ``build_info`` key ``continued``): the
        one matching the lineage, the change memo and the numbers all come from.
    """

    members: pd.DataFrame
    areas: gpd.GeoDataFrame
    lineage: list[str] = field(default_factory=list)
    clustering: Clustering | None = field(default=None, repr=False)
    rules: Delineation | None = field(default=None, repr=False)
    language: str = "de"
    plr_ids: np.ndarray | None = field(default=None, repr=False)
    continued: list[tuple[str, str]] = field(default_factory=list)

    def decisions(self, hr_id: np.ndarray) -> np.ndarray:
        """The decision sentence per planning area (in the order of :attr:`members`), naming
        each area by ``hr_id`` (per PLR): a renumbered build words its sentences with this."""
        from quartiere.delineate.decisions import decisions  # the words; the stage decides

        if self.clustering is None or self.rules is None or self.plr_ids is None:
            raise ValueError("this result has no clustering to word decisions from")
        hr_id = np.asarray(hr_id, dtype=object)
        return decisions(self.clustering, hr_id, self.plr_ids, self.rules, self.language)


def delineate(
    planning_areas: gpd.GeoDataFrame,
    rules: Delineation,
    graph: Contiguity | None = None,
    language: str = "de",
) -> DelineationResult:
    """Delineate Handlungsräume from flagged planning areas.

    Parameters
    ----------
    planning_areas : geopandas.GeoDataFrame
        One row per Planungsraum, indexed by plr_id (8-digit str), geometry in a metric CRS
        (EPSG:25833). Columns: plr_id, plr_name, bzr_id, bzr_name, pgr_id, pgr_name, bezirk
        (2-digit district code), bezirk_name, population (inhabitants, float, NaN = unknown, counted
        as 0), c_mss, c_schools, c_atlas (nullable Int8: 1 met, 0 not met, NA no data), n_criteria.
    rules : quartiere.config.Delineation
        The ``delineation`` section of the configuration.
    graph : Contiguity, optional
        A prebuilt contiguity graph of ``planning_areas`` (same rows, same order), e.g. for many
        runs on one city; built from the geometry with ``rules.contiguity`` when omitted.
    language : str
        The language of the decision sentences: ``de`` (default) or ``en`` (``language:``).

    Returns
    -------
    DelineationResult
        ``members`` (role and decision for every PLR) and ``areas`` (the ``handlungsraeume`` layer),
        numbered as :mod:`quartiere.delineate.numbering` describes.
    """
    frame = planning_areas
    ids = frame["plr_id"] if "plr_id" in frame.columns else frame.index.to_series()
    ids = ids.astype(str).to_numpy(dtype=object)
    if graph is None:
        graph = build_contiguity(frame.geometry.values, rules.contiguity, rules.snap_tolerance_m)
    territory = Territory.from_frame(frame, ids)
    clustering = cluster(frame, rules, graph, territory)
    numbers = numbering(clustering, frame, ids, territory, rules)
    hr_id = numbers.hr_id_at(clustering)
    hr_id[~clustering.in_area] = ""
    via = clustering.via
    via_id = np.full(ids.size, "", dtype=object)
    via_id[via >= 0] = ids[via[via >= 0]]
    member = clustering.cluster >= 0
    members = pd.DataFrame(
        {
            # object arrays of str straight to pandas' string dtype (no fixed-width copy)
            "hr_id": pd.array(hr_id, dtype="str"),
            "cluster": pd.array(np.where(member, clustering.cluster, -1), dtype="Int64"),
            "role": pd.array(np.array(ROLES, dtype=object)[clustering.role], dtype="str"),
            "ring": pd.array(clustering.ring, dtype="Int64"),
            "via": pd.array(via_id, dtype="str"),
        },
        index=frame.index,
    ).assign(
        cluster=lambda d: d["cluster"].mask(d["cluster"] < 0),
        ring=lambda d: d["ring"].mask(d["ring"] < 0),
    )
    areas = areas_layer(frame, ids, clustering, numbers, territory)
    result = DelineationResult(
        members=members,
        areas=areas,
        clustering=clustering,
        rules=rules,
        language=language,
        plr_ids=ids,
    )
    members["decision"] = pd.array(result.decisions(hr_id), dtype="str")
    return result
