"""Contiguity graph on tiny synthetic lattices, plus one check against shapely on real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from quartiere.contiguity import build_contiguity

DATA = Path(__file__).resolve().parents[1] / "data" / "raw"


def grid(n_rows: int, n_cols: int, size: float = 100.0) -> np.ndarray:
    """Boxes of ``size`` metres, row-major, row 0 at the top; offset to UTM-like coordinates."""
    rows, cols = np.divmod(np.arange(n_rows * n_cols), n_cols)
    x0 = 390_000 + cols * size
    y0 = 5_820_000 - rows * size
    return shapely.box(x0, y0, x0 + size, y0 + size)


def edge_set(graph) -> set[tuple[int, int]]:
    return {tuple(e) for e in graph.edges().tolist()}


def test_rook_excludes_corner_contact_queen_includes_it():
    cells = grid(2, 2)  # 0 1 / 2 3
    assert edge_set(build_contiguity(cells)) == {(0, 1), (0, 2), (1, 3), (2, 3)}
    assert edge_set(build_contiguity(cells, kind="queen")) == {
        (0, 1),
        (0, 2),
        (0, 3),
        (1, 2),
        (1, 3),
        (2, 3),
    }


def test_adjacency_is_symmetric_boolean_without_diagonal():
    graph = build_contiguity(grid(3, 4))
    adj = graph.adjacency
    assert adj.dtype == bool
    assert (adj != adj.T).nnz == 0
    assert adj.diagonal().sum() == 0
    # 3x4 rook lattice: 3*3 horizontal + 2*4 vertical edges
    assert len(graph.edges()) == 17


def test_t_junction_counts_as_shared_edge():
    # One long box below two short ones: its top edge has no vertex at x=1, theirs do.
    cells = np.array(
        [shapely.box(0, 0, 2, 1), shapely.box(0, 1, 1, 2), shapely.box(1, 1, 2, 2)], dtype=object
    )
    assert edge_set(build_contiguity(cells)) == {(0, 1), (0, 2), (1, 2)}


def test_vertex_touching_mid_edge_is_queen_not_rook():
    # The diamond's bottom vertex lies inside the box's top edge, where the box has no vertex.
    diamond = shapely.Polygon([(1, 1), (2, 2), (1, 3), (0, 2)])
    cells = np.array([shapely.box(0, 0, 2, 1), diamond], dtype=object)
    assert edge_set(build_contiguity(cells)) == set()
    assert edge_set(build_contiguity(cells, kind="queen")) == {(0, 1)}


def test_snap_tolerance_bridges_a_small_gap_but_not_a_corner():
    gap = 0.3
    side_by_side = np.array([shapely.box(0, 0, 10, 10), shapely.box(10 + gap, 0, 20, 10)])
    assert edge_set(build_contiguity(side_by_side)) == set()
    assert edge_set(build_contiguity(side_by_side, tolerance=0.5)) == {(0, 1)}
    assert edge_set(build_contiguity(side_by_side, tolerance=0.2)) == set()
    diagonal = np.array([shapely.box(0, 0, 10, 10), shapely.box(10 + gap, 10 + gap, 20, 20)])
    assert edge_set(build_contiguity(diagonal, tolerance=0.5)) == set()
    assert edge_set(build_contiguity(diagonal, kind="queen", tolerance=0.5)) == {(0, 1)}


def test_island_has_no_neighbour_and_lies_on_the_outline():
    cells = np.concatenate([grid(1, 2), [shapely.box(0, 0, 50, 50)]])
    graph = build_contiguity(cells)
    assert edge_set(graph) == {(0, 1)}
    assert graph.adjacency[[2]].nnz == 0
    assert graph.exterior.tolist() == [True, True, True]


def test_exterior_flags_only_the_lattice_rim():
    graph = build_contiguity(grid(3, 3))
    assert graph.exterior.tolist() == [True] * 4 + [False] + [True] * 4


def test_polygon_with_hole_neighbours_the_polygon_filling_it():
    frame = shapely.Polygon(
        [(0, 0), (30, 0), (30, 30), (0, 30)], holes=[[(10, 10), (20, 10), (20, 20), (10, 20)]]
    )
    inner = shapely.box(10, 10, 20, 20)
    far = shapely.MultiPolygon([shapely.box(30, 0, 40, 10), shapely.box(100, 100, 110, 110)])
    graph = build_contiguity(np.array([frame, inner, far, None], dtype=object))
    assert edge_set(graph) == {(0, 1), (0, 2)}
    assert graph.exterior.tolist() == [True, False, True, False]


def test_rejects_unknown_kind():
    with pytest.raises(ValueError, match="rook"):
        build_contiguity(grid(1, 2), kind="bishop")  # type: ignore[arg-type]


@pytest.mark.parametrize("generation", ["lor2021", "lor2006"])
def test_matches_shapely_shared_boundary_on_berlin(generation):
    gpd = pytest.importorskip("geopandas")
    path = DATA / generation / "planungsraeume.geojson"
    if not path.exists():
        pytest.skip(f"{path} not shipped")
    geoms = gpd.read_file(path).geometry.values
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    shared = shapely.length(
        shapely.intersection(shapely.boundary(geoms[i]), shapely.boundary(geoms[j]))
    )
    # Shared lines shorter than 1 mm are survey noise (one pair in LOR 2006 shares 0.18 mm).
    expected = set(zip(i[shared > 1e-3].tolist(), j[shared > 1e-3].tolist(), strict=True))
    assert edge_set(build_contiguity(geoms)) == expected
