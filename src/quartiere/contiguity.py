"""Contiguity graph of a polygon coverage: which planning areas are neighbours.

Two polygons are *rook* neighbours when their boundaries share a line of positive length (a
corner contact is not enough), *queen* neighbours when they share at least one point. Real
boundaries do not always meet exactly, so a snapping tolerance in metres (in the layer's projected
CRS, EPSG:25833 for Berlin) lets boundaries that run within that distance of each other count as
shared.

The graph is built without pairwise geometry predicates on the hot path: every ring is exploded
into segments, segment end points are snapped to a 1 mm integer grid and hashed, and polygons
holding the same segment (rook) or the same vertex (queen) are paired through a sparse incidence
product. Only the segments that no other polygon holds exactly (the coverage's outline,
T-junctions where one side has a vertex the other lacks, and near misses within the tolerance) go
through an STRtree and a vectorised numpy overlap computation. A lattice of 10^6 boxes takes a
few seconds. On the Berlin LOR 2021 and LOR 2006 planning areas the result equals the shapely
predicate "boundaries share a line longer than 1 mm".

Examples
--------
>>> import shapely
>>> cells = shapely.box([0, 1, 1], [0, 0, 1], [1, 2, 2], [1, 1, 2])  # (0,0), (1,0), (1,1)
>>> graph = build_contiguity(cells)
>>> graph.edges().tolist()
[[0, 1], [1, 2]]
>>> build_contiguity(cells, kind="queen").edges().tolist()
[[0, 1], [0, 2], [1, 2]]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph

__all__ = ["Contiguity", "build_contiguity", "component_labels"]

# Two boundaries closer than this (metres) are "the same line" even without a snapping tolerance:
# survey coordinates carry at most millimetre precision, and a 1 mm grid keeps a city-sized extent
# within one int64 key per vertex.
_EPS = 1e-3


@dataclass(frozen=True)
class Contiguity:
    """An undirected contiguity graph over ``n`` polygons, indexed by position.

    Attributes
    ----------
    adjacency : scipy.sparse.csr_array
        ``(n, n)`` boolean, symmetric, empty diagonal; ``adjacency[i, j]`` is True when polygons
        ``i`` and ``j`` (0-based positions in the input) are neighbours.
    exterior : numpy.ndarray
        ``(n,)`` boolean: part of the polygon's boundary (longer than the tolerance) is shared
        with no other polygon, i.e. it lies on the coverage's outline (the city limit) or a gap.
    kind : {"rook", "queen"}
        The contiguity rule the graph was built with.
    tolerance : float
        The snapping tolerance in CRS units (metres).
    """

    adjacency: sparse.csr_array
    exterior: np.ndarray
    kind: Literal["rook", "queen"]
    tolerance: float

    def cut(self, unit: np.ndarray) -> Contiguity:
        """The same graph without the edges between different ``unit`` labels (a border cut).

        Like libpysal's ``Graph.subgraph``: a new :class:`Contiguity`, never a bare matrix.

        >>> from shapely import box
        >>> g = build_contiguity(np.array([box(0, 0, 1, 1), box(1, 0, 2, 1)]), "rook", 0.0)
        >>> int(g.adjacency.nnz), int(g.cut(np.array([0, 1])).adjacency.nnz)
        (2, 0)
        """
        coo = self.adjacency.tocoo()
        keep = unit[coo.row] == unit[coo.col]
        shape = self.adjacency.shape
        kept = sparse.csr_array((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=shape)
        return Contiguity(kept, self.exterior, self.kind, self.tolerance)

    def edges(self) -> np.ndarray:
        """Every neighbour pair once, as an ``(m, 2)`` int64 array with ``i < j``, sorted."""
        upper = sparse.triu(self.adjacency, k=1).tocoo()
        pairs = np.column_stack([upper.row, upper.col]).astype(np.int64)
        return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


def component_labels(adjacency: sparse.csr_array, mask: np.ndarray | None = None) -> np.ndarray:
    """Connected components of the subgraph induced by ``mask``; ``-1`` outside the mask."""
    n, _ = adjacency.shape
    labels = np.full(n, -1)
    idx = np.arange(n) if mask is None else np.flatnonzero(mask)
    if idx.size == 0:
        return labels
    sub = adjacency[idx][:, idx]
    # symmetric: its weakly connected components (the default) are the undirected ones
    _, sub_labels = csgraph.connected_components(sub)
    labels[idx] = sub_labels
    return labels


def _symmetric_bool(rows: np.ndarray, cols: np.ndarray, n: int) -> sparse.csr_array:
    keep = rows != cols
    rows, cols = rows[keep], cols[keep]
    data = np.ones(2 * rows.size, dtype=bool)
    matrix = sparse.coo_array(
        (data, (np.concatenate([rows, cols]), np.concatenate([cols, rows]))), shape=(n, n)
    ).tocsr()
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix


def _pairs_sharing(groups: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of distinct owners holding the same group (segment or vertex), via S^T S.

    ``groups`` are dense 0-based ids, one per entry of ``owners``.
    """
    if groups.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    # Only the sparsity pattern is read: which owners hold a group (tocsr merges duplicates).
    incidence = sparse.coo_array((np.ones(groups.size), (groups, owners))).tocsr()
    # Only groups held by two or more polygons create edges; dropping the rest keeps S^T S small.
    shared = np.flatnonzero(np.diff(incidence.indptr) >= 2)
    incidence = incidence[shared]
    product = (incidence.T @ incidence).tocoo()
    return product.row.astype(np.int64), product.col.astype(np.int64)


def _overlap_along(
    p0: np.ndarray, p1: np.ndarray, q0: np.ndarray, q1: np.ndarray, tol: float, collinear: bool
) -> np.ndarray:
    """Length of segment ``p0-p1`` along which segment ``q0-q1`` runs within ``tol`` of it.

    All inputs are ``(m, 2)``; the result is ``(m,)``. Segment q is projected onto the line of
    p: ``u`` is the position along p, ``v`` the signed offset. Because ``v`` is linear in ``u``
    along q, the part of q within the tolerance band is one interval, found in closed form. With
    ``collinear`` only segments lying on p's line (both ends within ``tol``) count, so a vertex
    touching an edge at an angle (a corner contact) has no length at all.
    """
    d = p1 - p0
    length = np.hypot(d[:, 0], d[:, 1])
    safe = np.where(length > 0, length, 1.0)
    ux, uy = d[:, 0] / safe, d[:, 1] / safe
    a, b = q0 - p0, q1 - p0
    u0 = a[:, 0] * ux + a[:, 1] * uy
    u1 = b[:, 0] * ux + b[:, 1] * uy
    v0 = a[:, 0] * -uy + a[:, 1] * ux
    v1 = b[:, 0] * -uy + b[:, 1] * ux
    lo = np.maximum(np.minimum(u0, u1), 0.0)
    hi = np.minimum(np.maximum(u0, u1), length)
    du, dv = u1 - u0, v1 - v0
    sloped = np.abs(dv) > 1e-12
    with np.errstate(divide="ignore", invalid="ignore"):
        ua = u0 + (-tol - v0) * du / dv
        ub = u0 + (tol - v0) * du / dv
    band_lo = np.where(sloped, np.minimum(ua, ub), -np.inf)
    band_hi = np.where(sloped, np.maximum(ua, ub), np.inf)
    parallel_outside = ~sloped & (np.abs(v0) > tol)
    overlap = np.minimum(hi, band_hi) - np.maximum(lo, band_lo)
    overlap = np.where(parallel_outside | (np.abs(du) <= 1e-12), 0.0, overlap)
    if collinear:
        overlap = np.where((np.abs(v0) <= tol) & (np.abs(v1) <= tol), overlap, 0.0)
    return np.clip(overlap, 0.0, None)


def _ring_coordinates(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates of every ring, with a ring id and the owning polygon's position per coordinate.

    Coordinates of one ring are contiguous. Simple polygons (no holes, not multi) skip get_parts /
    get_rings, which allocate a geometry per ring and dominate the run time on large lattices.
    """
    simple = (shapely.get_type_id(geoms) == 3) & (shapely.get_num_interior_rings(geoms) == 0)
    simple_idx = np.flatnonzero(simple)
    coords_s, local = shapely.get_coordinates(geoms[simple_idx], return_index=True)
    owner_s = simple_idx[local]
    complex_idx = np.flatnonzero(~simple)
    parts, part_owner = shapely.get_parts(geoms[complex_idx], return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords_c, coord_ring_c = shapely.get_coordinates(rings, return_index=True)
    owner_c = complex_idx[part_owner[ring_part[coord_ring_c]]]
    coords = np.concatenate([coords_s, coords_c])
    # Simple polygons have one ring each, so their owner doubles as ring id.
    ring = np.concatenate([owner_s, geoms.size + coord_ring_c]).astype(np.int64)
    owner = np.concatenate([owner_s, owner_c]).astype(np.int64)
    return coords, ring, owner


def _vertex_ids(coords: np.ndarray, grid_size: float) -> np.ndarray:
    """Dense ids of distinct points after snapping ``coords`` (``(m, 2)``) to ``grid_size``."""
    snapped = np.rint(coords / grid_size).astype(np.int64)
    snapped -= snapped.min(axis=0)
    span_x, span_y = (int(v) + 1 for v in snapped.max(axis=0))
    # A speed switch, not a rule: both paths give the same ids (tested), so it is not mutated.
    if span_x * span_y < 2**62:  # pragma: no mutate
        # One integer key per point sorts twice as fast as a two-column lexsort.
        key = snapped[:, 0] * span_y + snapped[:, 1]
        _, vertex = np.unique(key, return_inverse=True)
        return vertex.astype(np.int64)
    order = np.lexsort((snapped[:, 1], snapped[:, 0]))
    ordered = snapped[order]
    new_vertex = np.r_[True, np.any(ordered[1:] != ordered[:-1], axis=1)]
    vertex = np.empty(order.size, dtype=np.int64)
    vertex[order] = np.cumsum(new_vertex) - 1
    return vertex


def build_contiguity(
    geometry: object,
    kind: Literal["rook", "queen"] = "rook",
    tolerance: float = 0.0,
    *,
    grid_size: float = _EPS,
) -> Contiguity:
    """Build the contiguity graph of a polygon coverage.

    Parameters
    ----------
    geometry : GeoSeries, GeometryArray or array-like of shapely geometries
        Polygons or MultiPolygons in a projected CRS with metre units (EPSG:25833 for Berlin). Node
        ``i`` of the graph is position ``i`` of this sequence; ``None`` or empty geometries are
        isolated nodes.
    kind : {"rook", "queen"}
        ``"rook"``: neighbours share a boundary line of positive length (longer than ``tolerance``
        when one is given); a single shared point (corner contact) does not count. ``"queen"``:
        neighbours share at least one point (within ``tolerance``).
    tolerance : float
        Snapping tolerance in metres: boundary parts closer than this count as shared. ``0`` means
        exact contact (up to ``grid_size`` of floating-point noise).
    grid_size : float
        Coordinates are snapped to this grid (metres) before vertices are compared.

    Returns
    -------
    Contiguity
        Adjacency matrix (CSR, bool, symmetric) and the per-polygon ``exterior`` flag.

    Notes
    -----
    T-junctions (a vertex present on one side of a boundary only) are handled: the segments that no
    other polygon holds exactly are matched by overlap length, so the result equals the shapely
    predicate ``length(intersection(boundary_i, boundary_j)) > 0`` on a valid coverage.
    """
    if kind not in ("rook", "queen"):
        raise ValueError(f"kind must be 'rook' or 'queen', not {kind!r}")
    if tolerance < 0:
        raise ValueError("tolerance must be >= 0")
    geoms = np.asarray(geometry)  # GeoSeries, GeometryArray, list: an object array
    n = geoms.size
    tol = max(float(tolerance), _EPS)

    coords, coord_ring, coord_owner = _ring_coordinates(geoms)
    if coords.shape[0] == 0:
        empty = sparse.csr_array((n, n), dtype=bool)
        return Contiguity(empty, np.zeros(n, dtype=bool), kind, float(tolerance))
    vertex = _vertex_ids(coords, grid_size)
    n_vertices = int(vertex.max()) + 1

    # Segments: consecutive coordinates of one ring (rings are closed, so this covers every edge).
    same_ring = coord_ring[1:] == coord_ring[:-1]
    start = np.flatnonzero(same_ring)
    start = start[vertex[start] != vertex[start + 1]]  # drop segments collapsed by the grid
    va, vb = vertex[start], vertex[start + 1]
    seg_owner = coord_owner[start]
    seg_key = np.minimum(va, vb) * n_vertices + np.maximum(va, vb)

    key_order = np.argsort(seg_key)  # the order within a run of equal keys is never read
    sorted_keys = seg_key[key_order]
    sorted_owner = seg_owner[key_order]
    new_run = np.r_[True, np.diff(sorted_keys) != 0]
    run_start = np.flatnonzero(new_run)
    run_id = np.cumsum(new_run) - 1

    # Exactly shared segments: the common case on a noded coverage.
    rows, cols = _pairs_sharing(run_id, sorted_owner)

    # Segments held by one polygon only (several times by the same polygon still counts as one).
    owner_min = np.minimum.reduceat(sorted_owner, run_start)
    owner_max = np.maximum.reduceat(sorted_owner, run_start)
    single = (owner_min == owner_max)[run_id]
    lonely = start[key_order[single]]
    lonely_owner = coord_owner[lonely]

    exterior = np.zeros(n, dtype=bool)
    extra_rows: list[np.ndarray] = []
    extra_cols: list[np.ndarray] = []
    if lonely.size:
        p0, p1 = coords[lonely], coords[lonely + 1]
        lines = shapely.linestrings(np.stack([p0, p1], axis=1))
        tree = shapely.STRtree(lines)
        i, j = tree.query(lines, predicate="dwithin", distance=tol)
        other = lonely_owner[i] != lonely_owner[j]
        i, j = i[other], j[other]
        overlap = _overlap_along(p0[i], p1[i], p0[j], p1[j], tol, collinear=tolerance == 0)
        # Covered length of each lonely segment; what remains uncovered is outline or gap.
        covered = np.bincount(i, weights=overlap, minlength=lonely.size)
        seg_len = np.hypot(*(p1 - p0).T)
        exterior[lonely_owner[(seg_len - covered) > tol]] = True
        # Boundary length shared by each polygon pair, measured on both sides, keep the larger.
        shared = sparse.coo_array(
            (overlap, (lonely_owner[i], lonely_owner[j])), shape=(n, n)
        ).tocsr()
        shared.sum_duplicates()
        shared = shared.maximum(shared.T).tocoo()
        # With a tolerance, a corner contact yields a short band of overlap; demanding more than
        # the tolerance (at least _EPS) keeps rook strict about corners.
        long_enough = shared.data > tol
        extra_rows.append(shared.row[long_enough])
        extra_cols.append(shared.col[long_enough])
        if kind == "queen":
            extra_rows.append(lonely_owner[i])
            extra_cols.append(lonely_owner[j])

    if kind == "queen":
        vrows, vcols = _pairs_sharing(vertex, coord_owner)
        extra_rows.append(vrows)
        extra_cols.append(vcols)

    rows = np.concatenate([rows, *extra_rows])
    cols = np.concatenate([cols, *extra_cols])
    adjacency = _symmetric_bool(rows, cols, n)
    return Contiguity(adjacency, exterior, kind, float(tolerance))
