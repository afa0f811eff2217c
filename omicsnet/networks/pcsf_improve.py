"""A local-improvement pass for prize-collecting Steiner forests that never makes one worse.

``pcst_fast`` returns a Goemans–Williamson forest, which can cost up to twice the optimum
(in practice a few per cent more). :func:`improve_forest` takes any feasible forest of the
augmented instance (see :mod:`omicsnet.networks.pcsf`) and applies, until nothing
changes, moves that each lower the objective or leave it unchanged:

* **re-span** — replace the edges by a minimum spanning tree (forest) of the subgraph
  induced by the selected nodes (and the dummy root: an edge dearer than ``w`` is then
  swapped for a dummy edge, i.e. a tree is split off and hung from the root);
* **attach** — add a terminal outside the forest through its cheapest edge into the
  forest when that edge costs less than its prize;
* **key-path exchange** — remove a path between two key nodes (terminals, the root,
  branch points) whose inner nodes are prize-less, and reconnect the two parts by a
  shortest path through the graph when that is cheaper. Paths through the dummy root are
  allowed, so two trees are merged when a path between them costs less than ``w``, and a
  tree is hung from the root when that is cheaper than its connection;
* **prune** — drop every subtree whose prizes do not pay for it (and, unrooted, every tree
  whose prizes do not pay for its edges).

The result is checked at the end: if it were somehow not better than the input (or not a
valid forest), the input is returned unchanged.

Examples
--------
>>> import numpy as np
>>> # a square 0-1-2-3-0 with a cheap diagonal 0-2; a bad tree uses 0-1-2 (cost 4)
>>> edges = np.array([[0, 1], [1, 2], [2, 3], [3, 0], [0, 2]])
>>> costs = np.array([2.0, 2.0, 5.0, 5.0, 1.0])
>>> prizes = np.array([3.0, 0.0, 3.0, 0.0])
>>> nodes, chosen, value = improve_forest(edges, costs, prizes, np.array([0, 1, 2]),
...                                       np.array([0, 1]), root=-1)
>>> nodes.tolist(), chosen.tolist(), value
([0, 2], [4], 1.0)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)

__all__ = ["ForestGraph", "improve_forest"]


@dataclass
class ForestGraph:
    """An instance's graph as sparse matrices, built once and reused by every pass.

    Attributes
    ----------
    edges, costs, prizes
        The instance.
    root
        Root node or ``-1``.
    matrix
        Symmetric CSR matrix of edge costs (explicit entries, zeros included).
    edge_index
        CSR matrix of (edge index + 1) in the same layout, to map a pair to its edge.
    """

    edges: np.ndarray
    costs: np.ndarray
    prizes: np.ndarray
    root: int
    matrix: object
    edge_index: object

    @classmethod
    def build(
        cls, edges: np.ndarray, costs: np.ndarray, prizes: np.ndarray, root: int
    ) -> ForestGraph:
        """Prepare the matrices.

        Examples
        --------
        >>> import numpy as np
        >>> g = ForestGraph.build(np.array([[0, 1]]), np.array([0.0]), np.ones(2), -1)
        >>> g.edge_of(1, 0)
        0
        """
        import scipy.sparse as sp

        n = len(prizes)
        edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
        costs = np.asarray(costs, dtype=np.float64)
        rows = np.concatenate([edges[:, 0], edges[:, 1]])
        cols = np.concatenate([edges[:, 1], edges[:, 0]])
        ids = np.concatenate([np.arange(len(edges)), np.arange(len(edges))])
        index = sp.csr_matrix((ids + 1, (rows, cols)), shape=(n, n))
        if index.nnz != len(rows):
            # a pair listed twice: keep its cheaper edge
            order = np.lexsort((np.concatenate([costs, costs]), cols, rows))
            first = np.ones(len(order), dtype=bool)
            first[1:] = (rows[order][1:] != rows[order][:-1]) | (
                cols[order][1:] != cols[order][:-1]
            )
            keep = order[first]
            rows, cols, ids = rows[keep], cols[keep], ids[keep]
            index = sp.csr_matrix((ids + 1, (rows, cols)), shape=(n, n))
        # the same layout as ``index``: weights looked up through the stored edge ids
        matrix = sp.csr_matrix((costs[index.data - 1], index.indices, index.indptr), shape=(n, n))
        return cls(
            edges=edges,
            costs=np.asarray(costs, dtype=np.float64),
            prizes=np.asarray(prizes, dtype=np.float64),
            root=int(root),
            matrix=matrix,
            edge_index=index,
        )

    def with_weights(
        self, costs: np.ndarray | None = None, prizes: np.ndarray | None = None
    ) -> ForestGraph:
        """The same graph with other edge costs and/or prizes (the sparse structure is
        shared, so this is cheap: randomisation reruns change only the numbers).

        Examples
        --------
        >>> import numpy as np
        >>> g = ForestGraph.build(np.array([[0, 1]]), np.array([1.0]), np.ones(2), -1)
        >>> float(g.with_weights(costs=np.array([3.0])).matrix[0, 1])
        3.0
        """
        import scipy.sparse as sp

        new_costs = self.costs if costs is None else np.asarray(costs, dtype=np.float64)
        index = self.edge_index
        matrix = sp.csr_matrix(
            (new_costs[index.data - 1], index.indices, index.indptr),  # type: ignore[attr-defined]
            shape=index.shape,  # type: ignore[attr-defined]
        )
        return ForestGraph(
            edges=self.edges,
            costs=new_costs,
            prizes=self.prizes if prizes is None else np.asarray(prizes, dtype=np.float64),
            root=self.root,
            matrix=matrix,
            edge_index=index,
        )

    def edge_of(self, u: int, v: int) -> int:
        """Index of the edge joining ``u`` and ``v`` (``-1`` if none)."""
        return int(self.edge_index[u, v]) - 1  # type: ignore[index]

    def objective(self, nodes: np.ndarray, chosen: np.ndarray) -> float:
        """Edge costs plus prizes left out."""
        return float(
            self.costs[chosen].sum() + self.prizes.sum() - self.prizes[np.unique(nodes)].sum()
        )


def _tree_lists(n_nodes: int, edges: np.ndarray, chosen: np.ndarray) -> dict[int, list]:
    adj: dict[int, list] = {}
    for e in chosen.tolist():
        u, v = int(edges[e, 0]), int(edges[e, 1])
        adj.setdefault(u, []).append((v, e))
        adj.setdefault(v, []).append((u, e))
    return adj


def _respan(graph: ForestGraph, nodes: np.ndarray, n_trees_max: int | None) -> np.ndarray:
    """Minimum spanning forest of the subgraph induced by ``nodes``; unrooted, up to
    ``n_trees_max`` trees (its dearest edges dropped)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components, minimum_spanning_tree

    sub = graph.matrix[nodes][:, nodes].tocoo()  # type: ignore[index]
    ids = graph.edge_index[nodes][:, nodes].tocoo()  # type: ignore[index]
    m = len(nodes)
    # shift every weight by 1: zero-cost edges stay edges, and the spanning forest is the
    # same (each spanning forest of a component has the same number of edges)
    shifted = sp.csr_matrix((sub.data + 1.0, (sub.row, sub.col)), shape=(m, m))
    tree = minimum_spanning_tree(shifted).tocoo()
    if tree.nnz == 0:
        return np.zeros(0, dtype=np.int64)
    lookup = ids.tocsr()
    edge_ids = np.asarray(lookup[tree.row, tree.col], dtype=np.int64).ravel() - 1
    if n_trees_max is not None and len(edge_ids):
        n_comp = connected_components(shifted, directed=False)[0]
        extra = n_trees_max - n_comp
        if extra > 0:
            order = np.argsort(-graph.costs[edge_ids], kind="stable")
            drop = [i for i in order[:extra].tolist() if graph.costs[edge_ids[i]] > 0]
            edge_ids = np.delete(edge_ids, drop)
    return np.sort(edge_ids)


def _prune(graph: ForestGraph, nodes: np.ndarray, chosen: np.ndarray) -> tuple:
    """Drop subtrees (and, unrooted, trees) whose prizes do not pay for them."""
    adj = _tree_lists(len(graph.prizes), graph.edges, chosen)
    keep_nodes: list[int] = []
    keep_edges: list[int] = []
    seen: set[int] = set()
    starts = [graph.root] if graph.root >= 0 else []
    rest = sorted(set(nodes.tolist()) - set(starts), key=lambda v: -graph.prizes[v])
    for start in starts + rest:
        if start in seen:
            continue
        # iterative DFS: parents before children
        order, parent, via = [start], {start: -1}, {start: -1}
        seen.add(start)
        i = 0
        while i < len(order):
            u = order[i]
            i += 1
            for v, e in adj.get(u, []):
                if v not in seen:
                    seen.add(v)
                    parent[v] = u
                    via[v] = e
                    order.append(v)
        value = {v: float(graph.prizes[v]) for v in order}
        for v in reversed(order[1:]):
            net = value[v] - graph.costs[via[v]]
            if net > 0:
                value[parent[v]] += net
        if graph.root < 0 and value[start] <= 0 and start != graph.root:
            continue  # the whole tree does not pay
        alive = {start}
        keep_nodes.append(start)
        for v in order[1:]:
            if parent[v] in alive and value[v] - graph.costs[via[v]] > 0:
                alive.add(v)
                keep_nodes.append(v)
                keep_edges.append(via[v])
    return np.array(sorted(keep_nodes), dtype=np.int64), np.array(
        sorted(keep_edges), dtype=np.int64
    )


def _attach(graph: ForestGraph, nodes: np.ndarray, chosen: np.ndarray) -> tuple:
    """Add outside terminals whose cheapest edge into the forest costs less than their
    prize."""
    n = len(graph.prizes)
    inside = np.zeros(n, dtype=bool)
    inside[nodes] = True
    outside_terms = np.flatnonzero(~inside & (graph.prizes > 0))
    if not len(outside_terms) or not inside.any():
        return nodes, chosen
    sub = graph.matrix[outside_terms][:, np.flatnonzero(inside)].tocoo()  # type: ignore[index]
    if sub.nnz == 0:
        return nodes, chosen
    inside_ids = np.flatnonzero(inside)
    best: dict[int, tuple[float, int]] = {}
    for r, c, w in zip(sub.row.tolist(), sub.col.tolist(), sub.data.tolist(), strict=True):
        if r not in best or w < best[r][0]:
            best[r] = (w, c)
    add_nodes, add_edges = [], []
    for r, (w, c) in best.items():
        t = int(outside_terms[r])
        if w < graph.prizes[t]:
            add_nodes.append(t)
            add_edges.append(graph.edge_of(t, int(inside_ids[c])))
    if not add_nodes:
        return nodes, chosen
    return np.union1d(nodes, add_nodes), np.union1d(chosen, add_edges)


def _tree_structure(
    graph: ForestGraph, nodes: np.ndarray, chosen: np.ndarray
) -> tuple[dict[int, int], dict[int, int], dict[int, int], dict[int, int], dict[int, int]]:
    """Root every tree (at the root, else at its node of largest prize) and number the
    nodes in depth-first order: parent, edge to the parent, entry and exit times, and the
    tree-degree of every node."""
    adj = _tree_lists(len(graph.prizes), graph.edges, chosen)
    parent: dict[int, int] = {}
    via: dict[int, int] = {}
    tin: dict[int, int] = {}
    tout: dict[int, int] = {}
    clock = 0
    starts = [graph.root] if graph.root >= 0 else []
    starts += sorted(nodes.tolist(), key=lambda v: -graph.prizes[v])
    for start in starts:
        if start in tin:
            continue
        parent[start], via[start] = -1, -1
        stack = [(start, iter(adj.get(start, [])))]
        tin[start] = clock
        clock += 1
        while stack:
            u, children = stack[-1]
            for v, e in children:
                if v not in tin:
                    parent[v], via[v] = u, e
                    tin[v] = clock
                    clock += 1
                    stack.append((v, iter(adj.get(v, []))))
                    break
            else:
                tout[u] = clock
                stack.pop()
    degree = {v: len(adj.get(v, [])) for v in nodes.tolist()}
    return parent, via, tin, tout, degree


def _key_path_exchange(
    graph: ForestGraph, nodes: np.ndarray, chosen: np.ndarray, max_paths: int | None
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Replace key paths by cheaper connections, one after the other, in one pass over the
    paths (longest first)."""
    from scipy.sparse.csgraph import dijkstra

    improved = False
    failed: set[tuple[int, ...]] = set()
    examined = 0
    while True:
        parent, via, tin, tout, degree = _tree_structure(graph, nodes, chosen)
        node_list = nodes.tolist()
        is_key = {
            v: v == graph.root or graph.prizes[v] > 0 or degree[v] != 2 or parent[v] < 0
            for v in node_list
        }
        # a key path runs up from a key node v (not a tree's top) to its first key ancestor
        paths: list[tuple[float, int, list[int], list[int]]] = []
        for v in node_list:
            if not is_key[v] or parent[v] < 0:
                continue
            inner: list[int] = []
            edges = [via[v]]
            u = parent[v]
            while not is_key[u]:
                inner.append(u)
                edges.append(via[u])
                u = parent[u]
            length = float(graph.costs[edges].sum())
            if length > 0 and tuple(edges) not in failed:
                paths.append((length, v, inner, edges))
        paths.sort(key=lambda p: -p[0])
        order = np.array([tin[v] for v in node_list], dtype=np.int64)
        node_array = np.asarray(node_list, dtype=np.int64)
        applied = False
        for length, v, inner, edges in paths:
            if max_paths is not None and examined >= max_paths:
                break
            examined += 1
            below = (order >= tin[v]) & (order < tout[v])
            subtree = node_array[below]
            outside = np.ones(len(node_list), dtype=bool)
            outside[below] = False
            if inner:
                outside &= ~np.isin(node_array, inner)
            targets = node_array[outside]
            if len(targets) == 0:
                failed.add(tuple(edges))
                continue
            sources, goal = (
                (subtree, targets) if len(subtree) <= len(targets) else (targets, subtree)
            )
            dist, pred, _ = dijkstra(
                graph.matrix,
                indices=sources,
                min_only=True,
                limit=length,
                return_predecessors=True,
            )
            reach = dist[goal]
            best = int(np.argmin(reach))
            if not np.isfinite(reach[best]) or reach[best] >= length - 1e-12 * max(1.0, length):
                failed.add(tuple(edges))
                continue
            w = int(goal[best])
            new_edges, path_nodes = [], [w]
            while pred[w] >= 0:
                new_edges.append(graph.edge_of(int(pred[w]), w))
                w = int(pred[w])
                path_nodes.append(w)
            keep = np.setdiff1d(chosen, edges)
            cand_edges = np.union1d(keep, new_edges)
            cand_nodes = np.union1d(np.setdiff1d(nodes, inner), path_nodes)
            if graph.objective(cand_nodes, cand_edges) < graph.objective(nodes, chosen):
                nodes, chosen = cand_nodes, cand_edges
                improved = applied = True
                break
            failed.add(tuple(edges))
        if not applied:
            return nodes, chosen, improved


def _is_forest(graph: ForestGraph, nodes: np.ndarray, chosen: np.ndarray, n_trees_max: int) -> bool:
    from omicsnet.networks.pcsf_exact import _check_forest

    return _check_forest(len(graph.prizes), graph.edges, nodes, chosen, graph.root, n_trees_max)


def improve_forest(
    edges: np.ndarray | ForestGraph,
    costs: np.ndarray | None,
    prizes: np.ndarray | None,
    nodes: np.ndarray,
    chosen: np.ndarray,
    *,
    root: int,
    num_clusters: int = 1,
    max_rounds: int = 20,
    max_paths: int | None = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Improve a feasible forest by local moves; never returns a worse one.

    Parameters
    ----------
    edges, costs, prizes
        The instance (``edges`` may instead be a :class:`ForestGraph` built once, with
        ``costs``/``prizes`` ``None``).
    nodes, chosen
        The forest: its node indices (the root included when rooted) and edge indices.
    root
        Root node, or ``-1`` (unrooted: at most ``num_clusters`` trees).
    num_clusters
        Maximum number of trees when unrooted.
    max_rounds
        Rounds of moves (each round ends at the first key-path improvement).
    max_paths
        Examine at most this many key paths (the longest) per round (``None``: all).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, float)
        Node indices, edge indices and objective of the improved forest.
    """
    graph = (
        edges if isinstance(edges, ForestGraph) else ForestGraph.build(edges, costs, prizes, root)  # type: ignore[arg-type]
    )
    nodes = np.unique(np.asarray(nodes, dtype=np.int64))
    chosen = np.unique(np.asarray(chosen, dtype=np.int64))
    if graph.root >= 0:
        nodes = np.union1d(nodes, [graph.root])
    start_value = graph.objective(nodes, chosen)
    limit = None if graph.root >= 0 else int(num_clusters)
    if not _is_forest(graph, nodes, chosen, int(num_clusters)):
        logger.warning("improve_forest: the input is not a valid forest; left unchanged")
        return nodes, chosen, start_value
    cur_nodes, cur_edges, value = nodes, chosen, start_value
    for _ in range(max_rounds):
        changed = False
        for move in ("respan", "attach", "prune", "keypath"):
            if move == "respan":
                if len(cur_nodes) < 2:
                    continue
                new_edges = _respan(graph, cur_nodes, limit)
                new_nodes = cur_nodes
            elif move == "attach":
                new_nodes, new_edges = _attach(graph, cur_nodes, cur_edges)
            elif move == "prune":
                new_nodes, new_edges = _prune(graph, cur_nodes, cur_edges)
            else:
                new_nodes, new_edges, _ = _key_path_exchange(graph, cur_nodes, cur_edges, max_paths)
            if graph.root >= 0:
                new_nodes = np.union1d(new_nodes, [graph.root])
            new_value = graph.objective(new_nodes, new_edges)
            if new_value < value - 1e-12 * max(1.0, abs(value)) and _is_forest(
                graph, new_nodes, new_edges, int(num_clusters)
            ):
                cur_nodes, cur_edges, value = new_nodes, new_edges, new_value
                changed = True
        if not changed:
            break
    if value > start_value:  # pragma: no cover - moves are accepted only when better
        return nodes, chosen, start_value
    return cur_nodes, cur_edges, value
