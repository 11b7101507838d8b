"""Every rule at its edges: at, just below and just above each boundary value, and every documented
exception, on inputs that tell the plausible variants of a rule apart (e.g. ``pgr_id != bzr_id``).

Each test names the single-point change it must catch; ``docs/testing.md`` lists them. Only public
entry points are used: :func:`delineate`, :func:`renumber`, :func:`build_contiguity`, the criteria
and harmonize functions, :func:`area_links`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from quartiere.compare.matching import area_links
from quartiere.compare.numbering import renumber
from quartiere.config import AtlasCriterion, MssRule
from quartiere.contiguity import build_contiguity, component_labels
from quartiere.criteria import atlas_strata, mss_attention, schools_criterion
from quartiere.harmonize import transfer_intensive
from test_delineate import RING, cell, delineate, lattice, rules  # English sentences

CENTRE = cell(2, 2)


def with_units(frame: gpd.GeoDataFrame, column: str, picture: str) -> gpd.GeoDataFrame:
    """Overwrite one border key (``bezirk``, ``bzr_id`` or ``pgr_id``) from a picture of letters,
    leaving the other keys as they are, so that the keys disagree."""
    tokens = [t for line in picture.strip().splitlines() for t in line.split()]
    out = frame.copy()
    out[column] = tokens
    return out


def ring_with_centre(column: str, value: str) -> gpd.GeoDataFrame:
    """The 5 x 5 ring around one empty centre, with one border key of the centre set apart."""
    frame = lattice(RING)
    frame[column] = frame[column].astype(object)
    frame.loc[CENTRE, column] = value
    return frame


# ------------------------------------------------------------------------------------- holes


@pytest.mark.parametrize(
    "border, column",
    [("bezirk", "bezirk"), ("prognoseraum", "pgr_id")],
)
def test_a_hole_in_another_border_unit_is_not_filled(border: str, column: str) -> None:
    """Catches: a hole in another district (or Prognoseraum) filled anyway."""
    result = delineate(ring_with_centre(column, "99"), rules(border=border))
    centre = result.members.loc[CENTRE]
    assert centre["role"] == "outside"
    label = {"bezirk": "Bezirk", "prognoseraum": "Prognoseraum"}[border]
    assert centre["decision"].endswith(f"is not filled: it lies in another {label}")
    # the same centre in the same unit is filled; without a border rule the unit does not matter
    assert delineate(lattice(RING), rules(border=border)).members.loc[CENTRE, "role"] == "hole"
    free = delineate(ring_with_centre(column, "99"), rules(border="none"))
    assert free.members.loc[CENTRE, "role"] == "hole"


def test_a_hole_whose_other_key_differs_is_filled() -> None:
    """Under the Prognoseraum border only pgr_id counts: a centre in another Bezirksregion of the
    same Prognoseraum is filled (catches the unit taken from bzr_id)."""
    frame = ring_with_centre("bzr_id", "99")
    result = delineate(frame, rules(border="prognoseraum"))
    assert result.members.loc[CENTRE, "role"] == "hole"


TWO_AREAS = """
    . . . . .
    . . 2 2 .
    . 2 . 2 .
    . 2 2 . .
    . . . . .
"""


def test_a_hole_bounded_by_two_areas_of_one_district_is_not_filled() -> None:
    """Catches: a hole touching two areas counted as enclosed. Both areas lie in one district and
    one Prognoseraum, so no border rule can save it."""
    for border in ("none", "bezirk", "prognoseraum"):
        result = delineate(lattice(TWO_AREAS), rules(border=border))
        assert len(result.areas) == 2, border
        centre = result.members.loc[CENTRE]
        assert centre["role"] == "outside", border
        assert "enclosed" not in centre["decision"]
        assert all(n == 3 for n in result.areas["n_plr"])


@pytest.mark.parametrize(
    "max_population, filled",
    [(999.0, False), (999.999, False), (1000.0, True), (1001.0, True)],
)
def test_hole_population_limit_at_and_around_the_boundary(
    max_population: float, filled: bool
) -> None:
    """The hole holds 1,000 inhabitants; ``max_population`` is a maximum, the value included.
    Catches: ``holes.max_population`` ignored, and ``>`` turned into ``>=``."""
    result = delineate(lattice(RING), rules(holes={"fill": True, "max_population": max_population}))
    centre = result.members.loc[CENTRE]
    assert (centre["role"] == "hole") is filled
    if not filled:
        assert centre["decision"].endswith(f"more than {max_population:,.0f} inhabitants")


@pytest.mark.parametrize(
    "max_area_km2, filled",
    [(0.0099, False), (0.0099999, False), (0.01, True), (0.0100001, True)],
)
def test_hole_area_limit_at_and_around_the_boundary(max_area_km2: float, filled: bool) -> None:
    """The hole is exactly 0.01 km² (a 100 m cell); ``max_area_km2`` is a maximum, the value
    included. Catches: ``max_area`` ``>`` turned into ``>=``."""
    result = delineate(lattice(RING), rules(holes={"fill": True, "max_area_km2": max_area_km2}))
    centre = result.members.loc[CENTRE]
    assert (centre["role"] == "hole") is filled
    if not filled:
        assert f"larger than {max_area_km2:g} km²" in centre["decision"]


def test_hole_limits_combine_and_the_first_reason_is_given() -> None:
    result = delineate(
        lattice(RING),
        rules(holes={"fill": True, "max_area_km2": 0.001, "max_population": 10}),
    )
    assert result.members.loc[CENTRE, "decision"].endswith("larger than 0.001 km²")


# ------------------------------------------------------------------------------------ borders

STRADDLE = """
    2 2 2 2
    . . . .
"""
HALVES = """
    A A B B
    A A B B
"""
ONE = """
    A A A A
    A A A A
"""


@pytest.mark.parametrize(
    "border, split_by, areas",
    [
        ("bezirk", "bezirk", 2),
        ("bezirk", "bzr_id", 1),
        ("bezirk", "pgr_id", 1),
        ("prognoseraum", "pgr_id", 2),
        ("prognoseraum", "bzr_id", 1),
        ("prognoseraum", "bezirk", 1),
        ("none", "bezirk", 1),
        ("none", "pgr_id", 1),
    ],
)
def test_each_border_cuts_on_its_own_key_only(border: str, split_by: str, areas: int) -> None:
    """One key splits the lattice in halves, the other two are constant. Catches the Prognoseraum
    border cutting on bzr_id (the plain lattice sets pgr_id == bzr_id), and the Bezirk border
    cutting on another key."""
    frame = lattice(STRADDLE)
    for column in ("bezirk", "bzr_id", "pgr_id"):
        frame = with_units(frame, column, HALVES if column == split_by else ONE)
    result = delineate(frame, rules(border=border))
    assert len(result.areas) == areas
    assert sorted(result.areas["n_plr"]) == ([2, 2] if areas == 2 else [4])


# ------------------------------------------------------------------------------ atlas strata


def strata(values: list[float], method: str, strata_k: int, population=None) -> list[int]:
    index = [f"{i:08d}" for i in range(len(values))]
    pop = pd.Series(population if population is not None else 1.0, index=index, dtype=float)
    rule = AtlasCriterion(strata=strata_k, flag_strata=[strata_k], method=method)
    out = atlas_strata(pd.Series(values, index=index, dtype=float), pop, rule)
    return out["atlas_stratum"].astype(int).tolist()


def test_count_quantiles_keep_ties_together() -> None:
    """Seven values, seven strata, the two lowest tied: both in stratum 7, the next in 5 (its rank
    is 3rd). Catches ties split (rank 'first' instead of 'min')."""
    assert strata([1, 1, 3, 4, 5, 6, 7], "quantiles_count", 7) == [7, 7, 5, 4, 3, 2, 1]
    # a tie at the top end shares the highest stratum reached by its first member
    assert strata([1, 2, 3, 4, 5, 7, 7], "quantiles_count", 7) == [7, 6, 5, 4, 3, 2, 2]


def test_count_quantiles_divide_by_n_not_n_minus_one() -> None:
    """14 values in 7 strata: exactly two per stratum. Catches ``position * k / (n - 1)``."""
    got = strata(list(range(14)), "quantiles_count", 7)
    assert got == [7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    # 3 values, 2 strata: positions 0, 1, 2 -> bins 0, 0.67, 1.33 -> strata 2, 2, 1
    assert strata([10, 20, 30], "quantiles_count", 2) == [2, 2, 1]


def test_population_quantiles_place_a_planning_area_by_the_middle_of_its_inhabitants() -> None:
    """Equal populations: the k-th lowest value is in the k-th quantile (midpoints 0.5, 1.5, ...).
    Catches the cumulative end used instead of the midpoint (every area one stratum up)."""
    assert strata([1, 2, 3, 4, 5, 6, 7], "quantiles_population", 7, [100] * 7) == [
        7,
        6,
        5,
        4,
        3,
        2,
        1,
    ]
    # A big area straddling the median: its middle (300 of 600) lies exactly on the boundary,
    # which belongs to the upper quantile; 1 inhabitant less below would move it down.
    assert strata([1, 2, 3], "quantiles_population", 2, [100, 400, 100]) == [2, 1, 1]
    assert strata([1, 2, 3], "quantiles_population", 2, [101, 400, 99]) == [2, 1, 1]
    assert strata([1, 2, 3], "quantiles_population", 2, [99, 400, 101]) == [2, 2, 1]


def test_population_quantiles_treat_ties_by_value_order_and_missing_population_as_zero() -> None:
    out = strata([1, 2, 3, 4], "quantiles_population", 2, [0, 0, 100, 100])
    assert out == [2, 2, 2, 1]


# ---------------------------------------------------------------------------------- contiguity


def edges(cells: list[shapely.Geometry], **kwargs) -> set[tuple[int, int]]:
    graph = build_contiguity(np.array(cells, dtype=object), **kwargs)
    return {(int(i), int(j)) for i, j in graph.edges()}


@pytest.mark.parametrize("offset, neighbours", [(0.5, False), (1.0, False), (1.5, True)])
def test_rook_with_tolerance_needs_more_than_the_tolerance_of_shared_boundary(
    offset: float, neighbours: bool
) -> None:
    """Two boxes meeting near a corner share ``offset`` metres of boundary; with a 1 m tolerance
    rook demands more than 1 m. Catches ``> tol`` turned into ``> 0``."""
    cells = [shapely.box(0, 0, 100, 100), shapely.box(100, 100 - offset, 200, 200 - offset)]
    assert edges(cells, tolerance=1.0) == ({(0, 1)} if neighbours else set())
    assert edges(cells, kind="queen", tolerance=1.0) == {(0, 1)}


def framed_cell(notch: float) -> list[shapely.Geometry]:
    """A 100 m cell inside a frame whose hole matches it except for a notch ``notch`` metres wide
    and 5 m deep above its top edge: ``notch`` metres of the cell's boundary face no neighbour."""
    hole = [(100, 100), (200, 100), (200, 200), (150 + notch / 2, 200)]
    hole += [(150 + notch / 2, 205), (150 - notch / 2, 205), (150 - notch / 2, 200), (100, 200)]
    frame = shapely.Polygon(shapely.box(0, 0, 300, 300).exterior.coords, [hole])
    return [frame, shapely.box(100, 100, 200, 200)]


@pytest.mark.parametrize("notch, exposed", [(0.5, False), (1.5, True), (5.0, True)])
def test_outline_flag_needs_more_than_the_tolerance_of_unshared_boundary(
    notch: float, exposed: bool
) -> None:
    """With a 1 m tolerance, a cell with 1.5 m or 5 m of boundary facing a gap lies on an outline;
    0.5 m is noise. Catches the outline threshold scaled (e.g. x10)."""
    cells = np.array(framed_cell(notch), dtype=object)
    graph = build_contiguity(cells, tolerance=1.0)
    assert bool(graph.exterior[1]) is exposed
    assert bool(graph.exterior[0])  # the frame's outer ring is the outline
    assert {(int(i), int(j)) for i, j in graph.edges()} == {(0, 1)}


def test_outline_flag_without_tolerance_uses_a_millimetre() -> None:
    """Without a tolerance, a 5 mm gap is outline, 0.5 mm is not (the 1 mm grid)."""
    exposed = build_contiguity(np.array(framed_cell(0.005), dtype=object))
    assert bool(exposed.exterior[1])
    snug = build_contiguity(np.array(framed_cell(0.0005), dtype=object))
    assert not bool(snug.exterior[1])


# ------------------------------------------------------------------------- exact boundaries


def test_school_coverage_exactly_at_the_minimum_has_data() -> None:
    """Catches ``coverage >= min_coverage`` turned into ``>``."""
    overlaps = pd.DataFrame(
        {"source": ["K1", "K2"], "target": ["P1", "P1"], "area_m2": [25.0, 75.0]}
    )
    lmb = pd.Series({"K1": 90.0, "K2": np.nan})
    area = pd.Series({"P1": 100.0})

    def run(min_coverage: float) -> pd.DataFrame:
        return schools_criterion(
            overlaps, lmb, area, lmb_threshold=75, min_area_share=0.25, min_coverage=min_coverage
        )

    assert run(0.25).loc["P1", "c_schools"] == 1  # exactly 25 % known: has data, and meets 25 %
    assert run(0.24).loc["P1", "c_schools"] == 1
    assert pd.isna(run(0.26).loc["P1", "c_schools"])
    assert run(0.25).loc["P1", "lmb_coverage"] == pytest.approx(0.25)


def test_intensive_transfer_coverage_exactly_at_the_minimum_has_a_value() -> None:
    """Catches ``coverage >= min_coverage`` turned into ``>`` in the zone transfer."""
    weights = pd.DataFrame({"source": ["A", "B"], "target": ["T", "T"], "weight": [1.0, 3.0]})
    values = pd.Series({"A": 10.0, "B": np.nan})
    targets = pd.Index(["T"])
    assert transfer_intensive(weights, values, targets, min_coverage=0.25).loc["T", "value"] == 10
    assert np.isnan(
        transfer_intensive(weights, values, targets, min_coverage=0.26).loc["T", "value"]
    )


GROUPED = """
    2 . 2 . 2
"""


@pytest.mark.parametrize("group_min, kept", [(1000.0, 3), (1999.0, 2), (2000.0, 2), (2001.0, 1)])
def test_group_part_minimum_at_and_around_the_boundary(group_min: float, kept: int) -> None:
    """Three one-cell clusters of 1,000, 2,000 and 3,000 inhabitants, all below the stand-alone
    minimum, go to a group whose parts need ``group_min``: a part of exactly that many stays.
    Catches ``c_pop < group_min`` turned into ``<=``."""
    result = delineate(
        lattice(GROUPED, population="3 1 2 1 1"),
        rules(
            minimum={"population": 5000, "n_plr": 1},
            groups=[{"name": "Kleine", "min_population": group_min}],
        ),
    )
    assert len(result.areas) == kept
    part = result.members.loc[cell(0, 2)]  # the 2,000-inhabitant cluster
    assert (part["hr_id"] != "") is (group_min <= 2000)
    if group_min > 2000:
        assert part["decision"].startswith(
            f"dropped: cluster of 1 PLR, 2,000 inhabitants, below {group_min:,.0f}"
        )


def half_overlap_areas(crs: str = "EPSG:25833") -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """An old area of 100 x 100 m and a new one of 100 x 100 m shifted by ``50`` m: they share
    exactly half of each."""
    old = gpd.GeoDataFrame(
        {"hr_id": ["07"], "hr_name": ["Alt"]}, geometry=[shapely.box(0, 0, 100, 100)], crs=crs
    )
    new = gpd.GeoDataFrame(
        {"hr_id": ["01"], "hr_name": ["Neu"]}, geometry=[shapely.box(50, 0, 150, 100)], crs=crs
    )
    return old, new


@pytest.mark.parametrize("min_overlap, match", [(0.49, True), (0.5, True), (0.51, False)])
def test_diff_min_overlap_at_and_around_the_boundary(min_overlap: float, match: bool) -> None:
    """Catches ``>= min_overlap`` turned into ``>`` in the diff's matching."""
    old, new = half_overlap_areas()
    links = area_links(old, new, min_overlap=min_overlap)
    assert links["share_of_old"].tolist() == [0.5]
    assert links["match"].tolist() == [match]


@pytest.mark.parametrize("min_overlap, kept", [(0.49, True), (0.5, True), (0.51, False)])
def test_renumber_min_overlap_at_and_around_the_boundary(min_overlap: float, kept: bool) -> None:
    """A fresh area covering the right half of the previous area 07 plus as much again: it keeps
    07 when half is enough. Catches ``>= min_overlap`` turned into ``>`` in numbering."""
    result = delineate(lattice("2 2"), rules())  # one area of two 100 m cells: x 0..200
    previous = gpd.GeoDataFrame(
        {"hr_id": ["07"], "hr_name": ["Alt"]},
        geometry=[shapely.box(-100, 0, 100, 100)],  # shares 0..100 = half of each
        crs="EPSG:25833",
    )
    out = renumber(result, previous, min_overlap=min_overlap)
    assert out.areas["hr_id"].tolist() == (["07"] if kept else ["08"])


def test_renumber_against_a_previous_build_in_another_crs() -> None:
    """The previous layer in WGS 84 is reprojected before matching. Catches the reprojection
    skipped (nothing would overlap, and every area would get a new number)."""
    flags = """
        2 2 . 2 2
    """
    result = delineate(lattice(flags), rules())
    assert result.areas["hr_id"].tolist() == ["01", "02"]
    previous = result.areas[["hr_id", "hr_name", "geometry"]].assign(
        hr_id=["05", "04"], hr_name=["West", "Ost"]
    )
    previous = previous.to_crs("EPSG:4326")
    out = renumber(result, previous)
    assert out.areas.sort_values("hr_id")["hr_id"].tolist() == ["04", "05"]
    west = out.areas.set_index("hr_id").loc["05"]
    assert west["hr_name"] == "West"
    assert west["plr_ids"] == f"{cell(0, 0)},{cell(0, 1)}"
    assert out.members.loc[cell(0, 4), "hr_id"] == "04"


# --------------------------------------------------------------------------------------- names


def test_name_override_of_the_smallest_member_id_wins() -> None:
    """Two members of one area carry overrides: the smallest plr_id's name wins, whatever the
    order of the overrides or of the rows. Catches the largest id winning."""
    frame = lattice("2 2 2")
    overrides = {cell(0, 2): "Drei", cell(0, 1): "Zwei"}
    for order in (frame, frame.iloc[::-1]):
        result = delineate(order, rules(naming={"overrides": overrides}))
        assert result.areas["hr_name"].tolist() == ["Zwei"]
    reverse = dict(reversed(list(overrides.items())))
    assert delineate(frame, rules(naming={"overrides": reverse})).areas["hr_name"].tolist() == [
        "Zwei"
    ]


def test_name_override_of_a_non_member_is_ignored() -> None:
    result = delineate(lattice("2 2 ."), rules(naming={"overrides": {cell(0, 2): "Draußen"}}))
    assert result.areas["hr_name"].tolist() == ["Region A"]


# ------------------------------------------------------------------------------------- MSS


def test_mss_class_texts_in_mixed_case_and_stray_blanks_are_matched_and_normalised() -> None:
    """Catches class texts left in mixed case (the rule would silently match nothing)."""
    ids = pd.Index(["00000001", "00000002", "00000003", "00000004"])
    mss = pd.DataFrame(
        {
            "status": ["Sehr  Niedrig", " NIEDRIG", "mittel", "Niedrig"],
            "dynamic": ["Negativ", "negativ ", "NEGATIV", "Stabil"],
        },
        index=ids[:4],
    )
    rule = [
        MssRule(status=["sehr niedrig"]),
        MssRule(status=["Niedrig"], dynamic=["NEGATIV"]),
    ]
    out = mss_attention(mss, rule, ids)
    assert out["c_mss"].tolist() == [1, 1, 0, 0]
    assert out["mss_status"].tolist() == ["sehr niedrig", "niedrig", "mittel", "niedrig"]
    assert out["mss_dynamic"].tolist() == ["negativ", "negativ", "negativ", "stabil"]


def tilted_frame(gap: float) -> list[shapely.Geometry]:
    """A 100 m cell in a frame whose hole's top edge rises from the cell's top-left corner to
    ``gap`` metres above its top-right corner: the gap widens linearly along the edge."""
    hole = [(100, 100), (200, 100), (200, 200 + gap), (100, 200)]
    frame = shapely.Polygon(shapely.box(0, 0, 300, 300).exterior.coords, [hole])
    return [frame, shapely.box(100, 100, 200, 200)]


@pytest.mark.parametrize(
    "gap, tolerance, exposed",
    [(0.9, 1.0, False), (1.5, 1.0, True), (3.0, 1.0, True), (3.0, 2.5, True), (2.4, 2.5, False)],
)
def test_a_boundary_diverging_at_an_angle_is_shared_while_within_the_tolerance(
    gap: float, tolerance: float, exposed: bool
) -> None:
    """The gap stays within the tolerance for ``100 * tolerance / gap`` metres; the rest of the
    cell's top edge faces nobody and puts the cell on an outline when longer than the tolerance.
    Exercises the sloped-segment band of the contiguity overlap."""
    graph = build_contiguity(np.array(tilted_frame(gap), dtype=object), tolerance=tolerance)
    assert bool(graph.exterior[1]) is exposed
    assert {(int(i), int(j)) for i, j in graph.edges()} == {(0, 1)}
    assert component_labels(graph.adjacency).tolist() == [0, 0]
    assert component_labels(graph.adjacency, np.array([False, True])).tolist() == [-1, 0]


def test_edges_are_int64_pairs_sorted_by_first_then_second_node() -> None:
    """Pairs (0, 3) and (1, 2): sorted by the first node, not by the second."""
    cells = [shapely.box(0, 0, 1, 1), shapely.box(5, 0, 6, 1), shapely.box(6, 0, 7, 1)]
    cells.append(shapely.box(1, 0, 2, 1))
    graph = build_contiguity(np.array(cells, dtype=object))
    edges = graph.edges()
    assert edges.dtype == np.int64
    assert edges.tolist() == [[0, 3], [1, 2]]
    assert component_labels(graph.adjacency).tolist() in ([0, 1, 1, 0], [1, 0, 0, 1])
