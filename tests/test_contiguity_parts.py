"""The parts of the contiguity builder (quartiere.contiguity), each on inputs with known answers.

The end-to-end tests (test_contiguity.py) check graphs; these check the values the graph is built
from, so that a change inside a part that the lattices happen to tolerate still shows: vertex ids
on both key paths, the overlap of sloped and parallel segments at the tolerance, the rings of
polygons with holes and of multipolygons, the pairing of shared segments.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import shapely
from scipy import sparse

from quartiere.contiguity import (
    Contiguity,
    _overlap_along,
    _pairs_sharing,
    _ring_coordinates,
    _symmetric_bool,
    _vertex_ids,
    build_contiguity,
    component_labels,
)

# ------------------------------------------------------------------------------ vertex ids

POINTS = np.array([[2.0, 1.0], [0.0, 5.0], [2.0, 1.0], [0.0, 0.0], [1.0, 0.0], [-3.0, 7.0]])
# ids follow (x, y) order: (-3, 7) 0, (0, 0) 1, (0, 5) 2, (1, 0) 3, (2, 1) 4
POINT_IDS = [4, 2, 4, 1, 3, 0]


def test_vertex_ids_are_dense_in_x_then_y_order():
    ids = _vertex_ids(POINTS, 1.0)
    assert ids.dtype == np.int64
    assert ids.tolist() == POINT_IDS


def test_vertex_ids_of_a_huge_extent_take_the_two_column_path_with_the_same_ids():
    # a 1e-9 grid over 10 units: more than 2**62 keys, so the lexsort path runs
    huge = _vertex_ids(POINTS, 1e-9)
    assert huge.dtype == np.int64
    assert huge.tolist() == POINT_IDS
    # a single point, and points equal in x only / in y only
    assert _vertex_ids(np.array([[5.0, 5.0]]), 1e-9).tolist() == [0]
    line = np.array([[0.0, 3.0], [0.0, 1.0], [7.0, 1.0], [0.0, 3.0], [7.0, 0.5]])
    assert _vertex_ids(line, 1e-9).tolist() == [1, 0, 3, 1, 2]
    assert _vertex_ids(line, 1.0).tolist() == [1, 0, 3, 1, 2]


def test_vertex_ids_keep_points_apart_whose_key_exceeds_a_float_mantissa():
    # keys near 2**60: distinct as int64, equal as float64
    far = np.array([[0.0, 0.0], [0.0, 2.0**30], [2.0**30, 0.0], [2.0**30, 1.0]])
    assert _vertex_ids(far, 1.0).tolist() == [0, 1, 2, 3]


def test_vertex_ids_snap_to_the_grid():
    coords = np.array([[1.0, 1.0], [1.0004, 0.9996], [1.0006, 1.0], [1.0, 1.0011]])
    assert _vertex_ids(coords, 1e-3).tolist() == [0, 0, 2, 1]
    # a key of x * span_y + y: (0, 1) and (1, 0) differ even on a 2 x 2 extent
    square = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    assert _vertex_ids(square, 1.0).tolist() == [1, 2, 3, 0]


# --------------------------------------------------------------------------------- overlap


def overlap(p, q, tol=1.0, collinear=False) -> float:
    p0, p1 = np.array([p[0]], dtype=float), np.array([p[1]], dtype=float)
    q0, q1 = np.array([q[0]], dtype=float), np.array([q[1]], dtype=float)
    return float(_overlap_along(p0, p1, q0, q1, tol, collinear)[0])


P = ((0, 0), (10, 0))


@pytest.mark.parametrize(
    ("q", "tol", "expected"),
    [
        (((2, 0), (5, 0)), 1.0, 3.0),  # on p
        (((5, 0), (2, 0)), 1.0, 3.0),  # reversed
        (((-5, 0), (3, 0)), 1.0, 3.0),  # clipped at p's start
        (((8, 0), (15, 0)), 1.0, 2.0),  # clipped at p's end
        (((-5, 0), (15, 0)), 1.0, 10.0),  # longer than p
        (((12, 0), (15, 0)), 1.0, 0.0),  # beyond p
        (((2, 1), (5, 1)), 1.0, 3.0),  # parallel, exactly at the tolerance
        (((2, -1), (5, -1)), 1.0, 3.0),
        (((2, 1.001), (5, 1.001)), 1.0, 0.0),  # parallel, just beyond it
        (((0, -1), (10, 1)), 0.5, 5.0),  # sloped: within 0.5 for u in [2.5, 7.5]
        (((10, 1), (0, -1)), 0.5, 5.0),
        (((0, 1), (10, -1)), 0.5, 5.0),
        (((0, -2), (10, 2)), 1.0, 5.0),  # |v| <= 1 for u in [2.5, 7.5]
        (((4, -1), (8, 1)), 0.5, 2.0),  # |v| <= 0.5 for u in [5, 7]
        (((-10, -1), (10, 1)), 0.5, 5.0),  # band u in [-5, 5], clipped to [0, 5]
        (((5, -1), (5, 1)), 1.0, 0.0),  # perpendicular: a point, no length
        (((3, 0), (3, 0)), 1.0, 0.0),  # q a point
        (((2, 0), (2.5, 0)), 1.0, 0.5),  # q shorter than a metre
        (((0, -0.4), (10, 0.4)), 0.2, 5.0),  # gently sloped: |v| <= 0.2 for u in [2.5, 7.5]
    ],
)
def test_overlap_along_a_segment(q, tol, expected):
    assert overlap(P, q, tol) == pytest.approx(expected, abs=1e-9)


def test_overlap_along_a_sloped_segment_counts_only_collinear_ones_when_asked():
    assert overlap(P, ((0, -1), (10, 1)), 0.5, collinear=True) == 0.0
    assert overlap(P, ((0, 0.4), (10, -0.4)), 0.5, collinear=True) == pytest.approx(10.0)
    assert overlap(P, ((2, 0.5), (5, 0.5)), 0.5, collinear=True) == pytest.approx(3.0)
    assert overlap(P, ((2, 0.5), (5, 0.6)), 0.5, collinear=True) == 0.0
    assert overlap(P, ((2, -0.6), (5, -0.5)), 0.5, collinear=True) == 0.0


def test_overlap_along_a_segment_shorter_than_a_metre():
    assert overlap(((0, 0), (0.5, 0)), ((0.1, 0), (0.3, 0)), 0.01) == pytest.approx(0.2)
    assert overlap(((0, 0), (0, 0.5)), ((0, 0.6), (0, 0.2)), 0.01) == pytest.approx(0.3)


def test_overlap_along_a_point_segment_is_zero():
    assert overlap(((3, 3), (3, 3)), ((3, 3), (6, 3)), 1.0) == 0.0
    assert overlap(((3, 3), (3, 3)), ((3, 3), (6, 3)), 1.0, collinear=True) == 0.0


def test_overlap_along_a_diagonal_segment_in_its_own_units():
    # p along the diagonal, length 10 * sqrt(2); q on it for half of that
    p = ((0, 0), (10, 10))
    assert overlap(p, ((0, 0), (5, 5)), 0.1) == pytest.approx(5 * 2**0.5)
    assert overlap(p, ((5, 5), (20, 20)), 0.1) == pytest.approx(5 * 2**0.5)
    # q offset by 1 perpendicular: within a tolerance of 1 only
    assert overlap(p, ((-(0.5**0.5), 0.5**0.5), (5 - 0.5**0.5, 5 + 0.5**0.5)), 1.0) == (
        pytest.approx(5 * 2**0.5)
    )
    assert overlap(p, ((-(0.5**0.5), 0.5**0.5), (5 - 0.5**0.5, 5 + 0.5**0.5)), 0.99) == 0.0


def test_overlap_along_many_segments_at_once():
    p0 = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    p1 = np.array([[10.0, 0.0], [0.0, 10.0], [10.0, 0.0]])
    q0 = np.array([[2.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    q1 = np.array([[5.0, 0.0], [0.0, 4.0], [10.0, 1.0]])
    out = _overlap_along(p0, p1, q0, q1, 0.5, False)
    assert out.tolist() == pytest.approx([3.0, 3.0, 5.0])


# ----------------------------------------------------------------------------------- rings


def test_ring_coordinates_of_simple_holed_multi_and_missing_polygons():
    holed = shapely.Polygon(
        [(10, 0), (20, 0), (20, 10), (10, 10)], [[(12, 2), (14, 2), (14, 4), (12, 4)]]
    )
    multi = shapely.MultiPolygon([shapely.box(30, 0, 31, 1), shapely.box(40, 0, 41, 1)])
    geoms = np.array(
        [shapely.box(0, 0, 1, 1), holed, None, multi, shapely.box(50, 0, 51, 1)], dtype=object
    )
    coords, ring, owner = _ring_coordinates(geoms)
    assert coords.shape == (30, 2)
    assert ring.dtype == np.int64 and owner.dtype == np.int64
    # simple polygons first (own position as ring id), then each ring of the others
    assert owner.tolist() == [0] * 5 + [4] * 5 + [1] * 10 + [3] * 10
    assert ring.tolist() == [0] * 5 + [4] * 5 + [5] * 5 + [6] * 5 + [7] * 5 + [8] * 5
    assert coords[:5].tolist() == shapely.get_coordinates(geoms[0]).tolist()
    assert coords[10:15].tolist() == shapely.get_coordinates(holed.exterior).tolist()
    assert coords[15:20].tolist() == shapely.get_coordinates(holed.interiors[0]).tolist()
    assert coords[25:].min(axis=0).tolist() == [40.0, 0.0]


def test_a_polygon_with_a_hole_and_a_multipolygon_have_their_neighbours():
    holed = shapely.Polygon(
        [(0, 0), (30, 0), (30, 30), (0, 30)], [[(10, 10), (20, 10), (20, 20), (10, 20)]]
    )
    multi = shapely.MultiPolygon([shapely.box(30, 0, 40, 10), shapely.box(30, 20, 40, 30)])
    cells = np.array([holed, shapely.box(10, 10, 20, 20), multi, shapely.box(30, 10, 40, 20)])
    graph = build_contiguity(cells)
    assert graph.edges().tolist() == [[0, 1], [0, 2], [0, 3], [2, 3]]
    assert graph.exterior.tolist() == [True, False, True, True]


# ----------------------------------------------------------------------------------- pairs


def test_pairs_sharing_a_group_held_by_two_or_more_owners():
    groups = np.array([0, 0, 1, 1, 2, 3, 3])
    owners = np.array([0, 1, 1, 2, 2, 3, 3])  # group 3 twice by owner 3 counts once
    rows, cols = _pairs_sharing(groups, owners)
    assert rows.dtype == np.int64 and cols.dtype == np.int64
    pairs = set(zip(rows.tolist(), cols.tolist(), strict=True))
    assert pairs == {(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 1), (2, 2)}
    empty_rows, empty_cols = _pairs_sharing(np.array([], dtype=np.int64), np.array([]))
    assert empty_rows.dtype == np.int64 and empty_rows.size == 0 and empty_cols.size == 0


def test_symmetric_bool_drops_the_diagonal_and_duplicates():
    matrix = _symmetric_bool(np.array([0, 1, 1, 2, 0]), np.array([1, 0, 1, 0, 1]), 4)
    assert matrix.shape == (4, 4)
    assert matrix.dtype == bool
    assert matrix.nnz == 4  # (0, 1), (1, 0), (2, 0), (0, 2): duplicates summed, diagonal gone
    assert matrix.has_sorted_indices
    assert matrix.indices.tolist() == [1, 2, 0, 0]
    assert matrix.toarray().tolist() == [
        [False, True, True, False],
        [True, False, False, False],
        [True, False, False, False],
        [False, False, False, False],
    ]


# ----------------------------------------------------------------------------------- graph


def test_no_polygons_or_only_missing_ones_give_an_empty_graph():
    graph = build_contiguity(np.array([None, shapely.Polygon(), None], dtype=object), "queen", 2)
    assert graph.adjacency.shape == (3, 3)
    assert graph.adjacency.nnz == 0
    assert graph.adjacency.dtype == bool
    assert graph.exterior.dtype == bool
    assert graph.exterior.tolist() == [False, False, False]
    assert (graph.kind, graph.tolerance) == ("queen", 2.0)
    assert isinstance(graph.tolerance, float)


def test_a_missing_polygon_is_an_isolated_node():
    cells = np.array([shapely.box(0, 0, 1, 1), None, shapely.box(1, 0, 2, 1)], dtype=object)
    graph = build_contiguity(cells)
    assert graph.edges().tolist() == [[0, 2]]
    assert graph.exterior.dtype == bool
    assert graph.exterior.tolist() == [True, False, True]
    assert graph.adjacency.dtype == bool


def test_bad_kind_and_negative_tolerance_are_refused_with_the_value():
    cells = np.array([shapely.box(0, 0, 1, 1)])
    with pytest.raises(ValueError, match=r"^kind must be 'rook' or 'queen', not 'bishop'$"):
        build_contiguity(cells, kind="bishop")
    with pytest.raises(ValueError, match=r"^tolerance must be >= 0$"):
        build_contiguity(cells, tolerance=-0.1)
    assert build_contiguity(cells, tolerance=0).tolerance == 0.0


def test_queen_within_the_tolerance_pairs_a_corner_across_a_gap():
    # two boxes whose corners are 0.5 m apart diagonally: queen neighbours with a 1 m tolerance
    cells = np.array([shapely.box(0, 0, 10, 10), shapely.box(10.3, 10.3, 20, 20)])
    assert build_contiguity(cells, "queen", 1.0).edges().tolist() == [[0, 1]]
    assert build_contiguity(cells, "queen", 0.0).edges().tolist() == []
    assert build_contiguity(cells, "rook", 1.0).edges().tolist() == []


def test_rook_across_a_gap_within_the_tolerance_counts_the_shared_length():
    # a 0.5 m gap along 10 m: neighbours with a tolerance of 1 m (10 m > 1 m), not without
    cells = np.array([shapely.box(0, 0, 10, 10), shapely.box(10.5, 0, 20.5, 10)])
    with_tol = build_contiguity(cells, "rook", 1.0)
    assert with_tol.edges().tolist() == [[0, 1]]
    assert with_tol.exterior.tolist() == [True, True]
    assert build_contiguity(cells, "rook", 0.4).edges().tolist() == []
    # a cell 3 m high beside a 10 m one shares 3 m: more than 2.9 m, less than 3.5 m
    short = np.array([shapely.box(0, 0, 10, 10), shapely.box(10.5, 0, 15, 3)])
    assert build_contiguity(short, "rook", 2.9).edges().tolist() == [[0, 1]]
    assert build_contiguity(short, "rook", 3.5).edges().tolist() == []


def test_t_junction_shared_length_and_outline_on_both_sides():
    # one long cell below two short ones: its top edge is one segment, theirs two; no gap
    cells = np.array(
        [shapely.box(0, 0, 20, 10), shapely.box(0, 10, 10, 20), shapely.box(10, 10, 20, 20)]
    )
    graph = build_contiguity(cells)
    assert graph.edges().tolist() == [[0, 1], [0, 2], [1, 2]]
    # inside a frame that holds them exactly, none lies on an outline
    frame = shapely.Polygon(
        shapely.box(-5, -5, 25, 25).exterior.coords, [[(0, 0), (20, 0), (20, 20), (0, 20)]]
    )
    framed = build_contiguity(np.array([*cells, frame], dtype=object))
    assert framed.exterior.tolist() == [False, False, False, True]
    assert framed.edges().tolist() == [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]


def test_cut_keeps_only_edges_within_a_unit_and_everything_else():
    cells = shapely.box([0, 1, 2, 3], 0, [1, 2, 3, 4], 1)
    graph = build_contiguity(cells, "queen", 0.5)
    cut = graph.cut(np.array([7, 7, 8, 8]))
    assert isinstance(cut, Contiguity)
    assert cut.edges().tolist() == [[0, 1], [2, 3]]
    assert cut.exterior is graph.exterior
    assert (cut.kind, cut.tolerance) == ("queen", 0.5)
    assert cut.adjacency.shape == (4, 4)
    assert cut.adjacency.dtype == bool
    # the last node loses every edge: the graph still has all four nodes
    alone = graph.cut(np.array([7, 7, 7, 8]))
    assert alone.adjacency.shape == (4, 4)
    assert alone.edges().tolist() == [[0, 1], [1, 2]]


def test_edges_of_a_graph_with_unsorted_storage_are_pairs_of_two_nodes():
    adjacency = sparse.csr_array(
        (
            np.ones(7, dtype=bool),
            (np.array([3, 1, 2, 0, 2, 1, 1]), np.array([2, 0, 1, 1, 3, 2, 1])),
        ),
        shape=(4, 4),
    )  # and a stray loop (1, 1): not a pair of neighbours
    graph = Contiguity(adjacency, np.zeros(4, dtype=bool), "rook", 0.0)
    assert graph.edges().tolist() == [[0, 1], [1, 2], [2, 3]]


def test_component_labels_with_and_without_a_mask():
    cells = shapely.box([0, 1, 2, 4, 5], 0, [1, 2, 3, 5, 6], 1)  # 0-1-2 and 3-4
    adjacency = build_contiguity(cells).adjacency
    labels = component_labels(adjacency)
    assert labels.dtype == np.int64
    assert labels.tolist() == [0, 0, 0, 1, 1]
    assert component_labels(adjacency, np.array([1, 0, 1, 1, 1])).tolist() == [0, -1, 1, 2, 2]
    assert component_labels(adjacency, np.zeros(5, dtype=bool)).tolist() == [-1] * 5
    assert component_labels(adjacency, [True, True, False, False, True]).tolist() == [
        0,
        0,
        -1,
        -1,
        1,
    ]


def test_a_t_junction_on_a_diagonal_boundary():
    # A's diagonal is one segment; B and C split it at (5, 5): only the overlap path pairs them
    a = shapely.Polygon([(0, 0), (10, 0), (10, 10)])
    b = shapely.Polygon([(0, 0), (5, 5), (0, 5)])
    c = shapely.Polygon([(0, 5), (5, 5), (10, 10), (0, 10)])
    graph = build_contiguity(np.array([a, b, c]))
    assert graph.edges().tolist() == [[0, 1], [0, 2], [1, 2]]
    assert graph.exterior.tolist() == [True, True, True]


def test_a_segment_collapsed_by_the_grid_is_dropped_and_the_next_one_kept():
    # A's right edge has a 0.1 mm step at its foot: one vertex on the 1 mm grid
    a = shapely.Polygon([(0, 0), (10, 0), (10, 0.0001), (10, 10), (0, 10)])
    graph = build_contiguity(np.array([a, shapely.box(10, 0, 20, 10)]))
    assert graph.edges().tolist() == [[0, 1]]
    framed = shapely.Polygon(
        shapely.box(-5, -5, 25, 15).exterior.coords, [[(0, 0), (20, 0), (20, 10), (0, 10)]]
    )
    inside = build_contiguity(np.array([a, shapely.box(10, 0, 20, 10), framed]))
    assert inside.exterior.tolist() == [False, False, True]


@pytest.mark.parametrize(("notch", "exposed"), [(0.99, False), (1.0, False), (1.01, True)])
def test_outline_needs_more_than_the_tolerance_unshared_at_the_exact_value(notch, exposed):
    from test_rule_edges import framed_cell

    graph = build_contiguity(np.array(framed_cell(notch), dtype=object), tolerance=1.0)
    assert bool(graph.exterior[1]) is exposed


def test_overlap_along_parallel_and_point_segments_warns_nothing():
    """A parallel q divides by dv = 0 and a point q computes 0/0: the caller sees no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert overlap(P, ((2, 0.5), (5, 0.5)), 1.0) == pytest.approx(3.0)  # divide by zero
        assert overlap(P, ((4, 0), (4, 0)), 1.0) == 0.0  # 0 / 0
