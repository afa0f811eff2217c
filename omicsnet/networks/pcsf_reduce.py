"""Reduction tests for the prize-collecting Steiner tree problem (PCST).

The exact solver (:mod:`omicsnet.networks.pcsf_exact`) works on the *augmented* instance
that :func:`omicsnet.networks.pcsf.solve_pcsf` hands to ``pcst_fast``: nodes ``0 … n−1``
(the dummy root among them), undirected edges with costs ``c ≥ 0``, prizes ``p ≥ 0`` and
either a root that every solution contains (``rooted``) or none. The objective is

.. math:: \\sum_{e \\in T} c_e + \\sum_{v \\notin T} p_v

over trees ``T`` (forests of at most ``num_clusters`` trees when unrooted). Before the
MILP sees it, the instance is shrunk by tests that never remove a solution at least as
good as the best one known (the literature: Uchoa 2006, *Reduction tests for the
prize-collecting Steiner problem*; Rehfeldt & Koch's SCIP-Jack):

* **degree tests** — a node without prize (not the root) of degree 0 or 1 is never needed
  (a pruned optimal tree has no prize-less leaf): removed; one of degree 2 is either
  unused or passed through, so its two edges become one edge whose cost is their sum
  (kept only when cheaper than a parallel edge). In the rooted problem, nodes that cannot
  reach the root are removed (their prize is lost in every solution), and a terminal whose
  only edge costs at least its prize is removed (it could only be a leaf that does not
  pay for its edge).
* **shorter-path test** (:func:`shorter_path_edges`) — an edge dearer than some other
  path between its ends is in no optimal solution (replace it by the path): Duin's
  special-distance test with the plain distance as an upper bound of the special
  distance. On iRefIndex with the degree penalty it removes 13 % of the edges (the hubs'
  expensive ones) in about 2 s.
* **bound tests** (rooted problems) — the instance is turned into a Steiner arborescence
  problem (every terminal ``t`` gets a copy ``t'``, reached from ``t`` at cost 0 or from
  the root at cost ``p_t``, the prize given up), and Wong's *dual ascent* gives a lower
  bound ``LB`` with reduced costs ``c̃ ≥ 0``. Any solution that contains node ``v`` costs at
  least ``LB + d̃(root, v) + d̃(v, terminals)``, and one that uses arc ``(u, v)`` at least
  ``LB + d̃(root, u) + c̃_uv + d̃(v, terminals)``; a node or edge for which that exceeds the
  cost of a known solution (``upper_bound``, e.g. ``pcst_fast``'s) is removed. The dual
  ascent (compiled: :mod:`omicsnet.networks.pcsf_ascent`) can stop at any time
  (``time_budget``): a partial one is still a valid bound.

The reduced instance keeps, for each of its edges, the original edges it stands for, so
solutions map back (:meth:`ReducedInstance.expand`).

Examples
--------
>>> import numpy as np
>>> edges = np.array([[0, 1], [1, 2], [2, 3], [1, 4]])  # 4 is a prize-less leaf
>>> red = reduce_instance(edges, np.ones(4), np.array([0.0, 3.0, 0.0, 3.0, 0.0]), root=-1)
>>> red.n_nodes, red.n_edges  # 0 and 4 removed; 2 passed through (edge 1-3 of cost 2)
(2, 1)
>>> nodes, chosen = red.expand(np.arange(red.n_edges), original_edges=edges)
>>> nodes.tolist(), chosen.tolist()
([1, 2, 3], [1, 2])
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

logger = logging.getLogger(__name__)

__all__ = [
    "ReducedInstance",
    "compose",
    "dual_ascent",
    "dual_ascent_bound",
    "reduce_instance",
    "shorter_path_edges",
]

#: relative tolerance of the bound tests: a node or edge is removed only when its bound
#: exceeds the upper bound by more than this (times max(1, |upper bound|))
BOUND_TOL = 1e-9


@dataclass
class ReducedInstance:
    """A PCST instance after reductions, with the way back to the original one.

    Attributes
    ----------
    nodes
        Original index of each reduced node (reduced node ``i`` is ``nodes[i]``).
    edges
        ``(E', 2)`` reduced node indices.
    costs, prizes
        Edge costs and node prizes of the reduced instance.
    root
        Reduced index of the root, or ``-1``.
    offset
        Constant added to every objective: prizes of removed terminals (lost in every
        solution that the reductions keep).
    edge_origin
        For each reduced edge, the original edge indices it stands for (a chain of
        prize-less degree-2 nodes becomes one edge).
    n_original_nodes, n_original_edges
        Size before the reductions.
    log
        What each test removed.
    lower_bound
        The dual-ascent lower bound on the original instance (``-inf`` when not run).
    guide_edges
        Original edge indices between the nodes that the root reaches through arcs of
        zero reduced cost after the last dual ascent (``None`` when none ran): the
        subgraph in which the *ascend-and-prune* heuristic looks for a good solution.
    """

    nodes: np.ndarray
    edges: np.ndarray
    costs: np.ndarray
    prizes: np.ndarray
    root: int
    offset: float
    edge_origin: list[np.ndarray]
    n_original_nodes: int
    n_original_edges: int
    log: dict[str, int] = field(default_factory=dict)
    lower_bound: float = float("-inf")
    guide_edges: np.ndarray | None = None

    @property
    def n_nodes(self) -> int:
        """Number of nodes left."""
        return len(self.nodes)

    @property
    def n_edges(self) -> int:
        """Number of edges left."""
        return len(self.edges)

    def expand(
        self,
        edge_ids: np.ndarray,
        node_ids: np.ndarray | None = None,
        original_edges: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Map a reduced solution back to original node and edge indices.

        Parameters
        ----------
        edge_ids
            Reduced edge indices of the solution.
        node_ids
            Reduced node indices of the solution (isolated nodes, e.g. the root alone);
            the endpoints of the edges are added anyway.
        original_edges
            The original ``(E, 2)`` edge array, to add the nodes inside merged chains.

        Returns
        -------
        (numpy.ndarray, numpy.ndarray)
            Sorted original node indices and original edge indices.
        """
        orig_edges = (
            np.concatenate([self.edge_origin[int(e)] for e in edge_ids])
            if len(edge_ids)
            else np.zeros(0, dtype=np.int64)
        )
        orig_edges = np.unique(orig_edges)
        parts = [np.zeros(0, dtype=np.int64)]
        if node_ids is not None:
            parts.append(self.nodes[np.asarray(node_ids, dtype=np.int64)])
        if original_edges is not None:
            parts.append(np.asarray(original_edges)[orig_edges].ravel())
        return np.unique(np.concatenate(parts)), orig_edges


def compose(outer: ReducedInstance, inner: ReducedInstance) -> ReducedInstance:
    """The reductions ``outer`` followed by ``inner`` (which reduced ``outer``'s instance),
    as one :class:`ReducedInstance` of the original instance.

    Examples
    --------
    >>> import numpy as np
    >>> edges = np.array([[0, 1], [1, 2], [2, 3], [0, 2]])
    >>> costs, prizes = np.array([1.0, 1.0, 9.0, 1.0]), np.array([0.0, 2.0, 2.0, 1.0])
    >>> outer = reduce_instance(edges, costs, prizes, root=0)
    >>> inner = reduce_instance(outer.edges, outer.costs, outer.prizes, root=outer.root,
    ...                         upper_bound=3.0 - outer.offset)
    >>> both = compose(outer, inner)
    >>> sorted(both.nodes.tolist()), both.offset, both.n_original_edges
    ([0, 1, 2], 1.0, 4)
    """
    log = dict(outer.log)
    for key, value in inner.log.items():
        log[key] = log.get(key, 0) + value
    return ReducedInstance(
        nodes=outer.nodes[inner.nodes],
        edges=inner.edges,
        costs=inner.costs,
        prizes=inner.prizes,
        root=inner.root,
        offset=outer.offset + inner.offset,
        edge_origin=[
            np.concatenate([outer.edge_origin[int(j)] for j in origin])
            if len(origin)
            else np.zeros(0, dtype=np.int64)
            for origin in inner.edge_origin
        ],
        n_original_nodes=outer.n_original_nodes,
        n_original_edges=outer.n_original_edges,
        log=log,
        lower_bound=max(outer.lower_bound, inner.lower_bound + outer.offset),
        guide_edges=outer.guide_edges
        if inner.guide_edges is None
        else np.unique(
            np.concatenate(
                [np.zeros(0, dtype=np.int64)]
                + [outer.edge_origin[int(j)] for j in inner.guide_edges]
            )
        ),
    )


def _components_with(n: int, edges: np.ndarray, source: int) -> np.ndarray:
    import scipy.sparse as sp
    from scipy.sparse.csgraph import breadth_first_order

    if len(edges) == 0:
        out = np.zeros(n, dtype=bool)
        out[source] = True
        return out
    adj = sp.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n)).tocsr()
    order = breadth_first_order(adj, source, directed=False, return_predecessors=False)
    out = np.zeros(n, dtype=bool)
    out[order] = True
    return out


class _Graph:
    """Mutable adjacency (dict of dicts) for the degree tests."""

    def __init__(self, edges: np.ndarray, costs: np.ndarray, n: int) -> None:
        self.adj: list[dict[int, int]] = [dict() for _ in range(n)]
        self.cost: dict[int, float] = {}
        self.origin: dict[int, np.ndarray] = {}
        self.ends: dict[int, tuple[int, int]] = {}
        self.next_id = 0
        for i, ((u, v), c) in enumerate(zip(edges.tolist(), costs.tolist(), strict=True)):
            self._add(u, v, c, np.array([i], dtype=np.int64))

    def _add(self, u: int, v: int, c: float, origin: np.ndarray) -> None:
        key = self.next_id
        self.next_id += 1
        self.adj[u][v] = key
        self.adj[v][u] = key
        self.cost[key] = c
        self.origin[key] = origin
        self.ends[key] = (u, v)

    def remove_edge(self, key: int) -> None:
        u, v = self.ends.pop(key)
        del self.adj[u][v]
        del self.adj[v][u]
        del self.cost[key]
        del self.origin[key]

    def remove_node(self, v: int) -> None:
        for key in list(self.adj[v].values()):
            self.remove_edge(key)

    def merge_through(self, v: int) -> bool:
        """Replace u - v - w by u - w (cost summed) where cheaper than an edge u - w."""
        (u, k1), (w, k2) = self.adj[v].items()
        cost = self.cost[k1] + self.cost[k2]
        origin = np.concatenate([self.origin[k1], self.origin[k2]])
        self.remove_edge(k1)
        self.remove_edge(k2)
        existing = self.adj[u].get(w)
        if existing is not None:
            if self.cost[existing] <= cost:
                return False
            self.remove_edge(existing)
        self._add(u, w, cost, origin)
        return True


def _degree_tests(
    graph: _Graph, prizes: np.ndarray, alive: np.ndarray, root: int, log: dict[str, int]
) -> float:
    """Degree-0/1/2 tests to a fixed point; returns the prize lost by removed terminals."""
    lost = 0.0
    stack = [v for v in range(len(prizes)) if alive[v] and len(graph.adj[v]) <= 2]
    while stack:
        v = stack.pop()
        if not alive[v] or v == root:
            continue
        degree = len(graph.adj[v])
        if prizes[v] > 0:
            if root < 0 or degree > 1:
                continue
            if degree == 1:
                ((u, key),) = graph.adj[v].items()
                if graph.cost[key] < prizes[v]:
                    continue
                stack.append(u)
            # a terminal of degree 0 (rooted) or a leaf that does not pay for its edge
            graph.remove_node(v)
            alive[v] = False
            lost += float(prizes[v])
            log["terminals_removed"] = log.get("terminals_removed", 0) + 1
            continue
        if degree <= 1:
            neighbours = list(graph.adj[v])
            graph.remove_node(v)
            alive[v] = False
            log["degree_0_1"] = log.get("degree_0_1", 0) + 1
            stack.extend(neighbours)
        elif degree == 2:
            u, w = list(graph.adj[v])
            graph.merge_through(v)
            alive[v] = False
            log["degree_2"] = log.get("degree_2", 0) + 1
            stack.extend((u, w))
    return lost


def shorter_path_edges(
    n: int, edges: np.ndarray, costs: np.ndarray, *, batch: int = 256
) -> np.ndarray:
    """Edges that a strictly cheaper path between their ends makes useless.

    If ``c_uv > d(u, v)`` (the shortest-path distance through other edges), no optimal
    tree or forest contains the edge ``u - v``: replacing it by that path keeps every node
    connected, may only add nodes (whose prizes are gained) and, after dropping the edges
    of any cycle (costs ``≥ 0``), costs strictly less. This is the special-distance test
    of Duin & Volgenant with the plain distance as the (larger, so weaker but always
    valid) bound; it holds for rooted and unrooted problems alike. Of parallel edges the
    more expensive ones are removed.

    Each edge is checked by one Dijkstra search from its endpoint of larger degree,
    limited to the largest cost checked there (``scipy.sparse.csgraph.dijkstra``), so the
    hubs whose many expensive edges the degree penalty creates are searched once each.

    Parameters
    ----------
    n
        Number of nodes.
    edges
        ``(E, 2)`` node indices.
    costs
        ``(E,)`` edge costs (``≥ 0``).
    batch
        Sources per Dijkstra call (memory: ``batch × n`` floats).

    Returns
    -------
    numpy.ndarray
        ``(E,)`` boolean, ``True`` for the edges that can be removed.

    Examples
    --------
    >>> import numpy as np
    >>> # the edge 0-2 (cost 3) is beaten by the path 0-1-2 (cost 2)
    >>> shorter_path_edges(3, np.array([[0, 1], [1, 2], [0, 2]]), np.array([1.0, 1.0, 3.0]))
    array([False, False,  True])
    """
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    costs = np.asarray(costs, dtype=np.float64)
    removable = np.zeros(len(edges), dtype=bool)
    proper = edges[:, 0] != edges[:, 1]
    removable[~proper] = True  # a loop is never part of a tree
    if not proper.any():
        return removable
    ids = np.flatnonzero(proper)
    lo = np.minimum(edges[ids, 0], edges[ids, 1])
    hi = np.maximum(edges[ids, 0], edges[ids, 1])
    # parallel edges: keep one cheapest of each pair
    order = np.lexsort((costs[ids], hi, lo))
    first = np.ones(len(order), dtype=bool)
    first[1:] = (lo[order][1:] != lo[order][:-1]) | (hi[order][1:] != hi[order][:-1])
    removable[ids[order[~first]]] = True
    ids = ids[order[first]]
    u, v, c = edges[ids, 0], edges[ids, 1], costs[ids]
    matrix = sp.csr_matrix((np.concatenate([c, c]), (np.concatenate([u, v]),
                            np.concatenate([v, u]))), shape=(n, n))  # fmt: skip
    degree = np.bincount(np.concatenate([u, v]), minlength=n)
    from_u = degree[u] >= degree[v]
    source = np.where(from_u, u, v)
    target = np.where(from_u, v, u)
    limit = np.zeros(n)
    np.maximum.at(limit, source, c)
    by_source = np.argsort(source, kind="stable")
    ptr = np.searchsorted(source[by_source], np.arange(n + 1))
    sources = np.unique(source)
    sources = sources[np.argsort(limit[sources], kind="stable")]
    tol = 1e-9 * np.maximum(1.0, c)
    for start in range(0, len(sources), batch):
        chunk = sources[start : start + batch]
        dist = dijkstra(matrix, directed=True, indices=chunk, limit=float(limit[chunk].max()))
        for row, s in enumerate(chunk.tolist()):
            mine = by_source[ptr[s] : ptr[s + 1]]
            shorter = dist[row, target[mine]] < c[mine] - tol[mine]
            removable[ids[mine[shorter]]] = True
    return removable


def _path_test(graph: _Graph, n: int, log: dict[str, int]) -> int:
    """Remove the edges that :func:`shorter_path_edges` finds; returns how many."""
    keys = list(graph.ends)
    if not keys:
        return 0
    ends = np.array([graph.ends[k] for k in keys], dtype=np.int64)
    cost = np.array([graph.cost[k] for k in keys])
    removable = shorter_path_edges(n, ends, cost)
    for key, drop in zip(keys, removable.tolist(), strict=True):
        if drop:
            graph.remove_edge(key)
    count = int(removable.sum())
    log["shorter_path"] = log.get("shorter_path", 0) + count
    return count


# --------------------------------------------------------------------------------------
# Dual ascent on the Steiner arborescence transformation (rooted problems)
# --------------------------------------------------------------------------------------


def _sap_arcs(
    edges: np.ndarray, costs: np.ndarray, prizes: np.ndarray, root: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Arcs of the Steiner arborescence problem equivalent to a rooted PCST.

    Returns tail, head, cost, the original edge of each graph arc (-1 for the added arcs)
    and the terminal copies (SAP terminals besides the root).
    """
    n = len(prizes)
    u, v = edges[:, 0], edges[:, 1]
    tail = np.concatenate([u, v])
    head = np.concatenate([v, u])
    cost = np.concatenate([costs, costs])
    edge_of = np.concatenate([np.arange(len(edges)), np.arange(len(edges))])
    keep = head != root
    tail, head, cost, edge_of = tail[keep], head[keep], cost[keep], edge_of[keep]
    terminals = np.flatnonzero((prizes > 0) & (np.arange(n) != root))
    copies = n + np.arange(len(terminals))
    tail = np.concatenate([tail, terminals, np.full(len(terminals), root)])
    head = np.concatenate([head, copies, copies])
    cost = np.concatenate([cost, np.zeros(len(terminals)), prizes[terminals]])
    edge_of = np.concatenate([edge_of, np.full(2 * len(terminals), -1)])
    return tail, head, cost.astype(np.float64), edge_of, copies


def dual_ascent(
    tail: np.ndarray,
    head: np.ndarray,
    cost: np.ndarray,
    n_nodes: int,
    root: int,
    terminals: np.ndarray,
    *,
    time_budget: float | None = None,
    record: list[tuple[int, np.ndarray]] | None = None,
    record_limit: int | None = None,
) -> tuple[float, np.ndarray, bool]:
    """Wong's dual ascent for the Steiner arborescence problem.

    Repeatedly takes the terminal whose cut (the arcs entering the set of nodes that reach
    it through zero reduced-cost arcs) has the fewest arcs, and lowers the reduced costs of
    that cut by their minimum, until the root reaches every terminal.

    Parameters
    ----------
    tail, head, cost
        The arcs (``cost ≥ 0``).
    n_nodes
        Number of nodes.
    root
        The root.
    terminals
        The terminals to connect.
    time_budget
        Stop after this many seconds (the bound found so far is valid).
    record
        If given, each cut whose dual value is raised is appended as ``(terminal, arc
        indices entering its node set)``: valid inequalities ``x(cut) ≥ 1`` that together
        carry the bound (the exact solver starts its LP with them).
    record_limit
        Stop recording once the recorded cuts hold this many arcs in all (memory).

    Returns
    -------
    (float, numpy.ndarray, bool)
        The lower bound, the reduced costs (``≥ 0``), and whether the ascent finished.

    Examples
    --------
    >>> import numpy as np
    >>> tail, head = np.array([0, 0, 1]), np.array([1, 2, 2])
    >>> bound, reduced, done = dual_ascent(tail, head, np.array([1.0, 3.0, 1.0]), 3, 0,
    ...                                    np.array([2]))
    >>> bound, reduced.tolist(), done
    (2.0, [0.0, 1.0, 0.0], True)
    """
    from omicsnet.networks.pcsf_ascent import AscentState, cut_arcs

    start = time.perf_counter()
    state = AscentState.start(tail, head, cost, n_nodes, terminals, record=record is not None)
    finished = False
    while not finished:
        # in slices, so that the time budget is checked (the kernel is compiled)
        finished = state.run(root, max_steps=0 if time_budget is None else 256)
        if time_budget is not None and time.perf_counter() - start > time_budget:
            break
    if record is not None:
        recorded = 0
        for terminal, arcs in cut_arcs(state, np.asarray(head, dtype=np.int64)):
            recorded += len(arcs)
            if record_limit is not None and recorded > record_limit:
                break
            record.append((terminal, arcs))
    return float(state.bound), state.reduced, finished


def dual_ascent_bound(
    edges: np.ndarray,
    costs: np.ndarray,
    prizes: np.ndarray,
    root: int,
    *,
    time_budget: float | None = None,
) -> float:
    """A lower bound on a rooted PCST instance's optimum by dual ascent.

    Parameters
    ----------
    edges, costs, prizes
        The instance.
    root
        The root (``≥ 0``).
    time_budget
        Seconds allowed (the bound reached by then is valid).

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> # root 0 - 1 (cost 1) - 2 (prize 3): the optimum 0-1-2 costs 2, the bound is tight
    >>> dual_ascent_bound(np.array([[0, 1], [1, 2]]), np.array([1.0, 1.0]),
    ...                   np.array([0.0, 0.0, 3.0]), 0)
    2.0
    """
    prizes = np.asarray(prizes, dtype=np.float64)
    tail, head, cost, _, copies = _sap_arcs(
        np.asarray(edges, dtype=np.int64).reshape(-1, 2),
        np.asarray(costs, dtype=np.float64),
        prizes,
        root,
    )
    bound, _, _ = dual_ascent(
        tail, head, cost, len(prizes) + len(copies), root, copies, time_budget=time_budget
    )
    return float(bound)


def _bound_tests(
    edges: np.ndarray,
    costs: np.ndarray,
    prizes: np.ndarray,
    root: int,
    upper_bound: float,
    time_budget: float | None,
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Nodes and edges that may be in a solution of cost <= upper_bound, the bound, and
    the edges between nodes that the root reaches through zero reduced-cost arcs."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import breadth_first_order, dijkstra

    n = len(prizes)
    tail, head, cost, edge_of, copies = _sap_arcs(edges, costs, prizes, root)
    n_sap = n + len(copies)
    bound, red, _ = dual_ascent(tail, head, cost, n_sap, root, copies, time_budget=time_budget)
    matrix = sp.csr_matrix((red, (tail, head)), shape=(n_sap, n_sap))
    from_root = dijkstra(matrix, indices=root)
    to_terminal = (
        dijkstra(matrix.T.tocsr(), indices=copies, min_only=True)
        if len(copies)
        else np.full(n_sap, np.inf)
    )
    limit = upper_bound + BOUND_TOL * max(1.0, abs(upper_bound))
    node_ok = bound + from_root[:n] + to_terminal[:n] <= limit
    node_ok[root] = True
    arc_ok = bound + from_root[tail] + red + to_terminal[head] <= limit
    graph_arc = edge_of >= 0
    edge_ok = np.zeros(len(edges), dtype=bool)
    edge_ok[edge_of[graph_arc & arc_ok]] = True
    # ascend-and-prune: the part of the graph that the ascent made free from the root
    tight = graph_arc & (red <= 0.0)
    free = sp.csr_matrix(
        (np.ones(int(tight.sum())), (tail[tight], head[tight])), shape=(n_sap, n_sap)
    )
    reached = np.zeros(n_sap, dtype=bool)
    reached[breadth_first_order(free, root, directed=True, return_predecessors=False)] = True
    guide = reached[edges[:, 0]] & reached[edges[:, 1]] & edge_ok
    return node_ok, edge_ok, bound, guide


def reduce_instance(
    edges: np.ndarray,
    costs: np.ndarray,
    prizes: np.ndarray,
    *,
    root: int,
    upper_bound: float | None = None,
    time_budget: float | None = None,
    rounds: int = 2,
    path_test: bool = True,
) -> ReducedInstance:
    """Shrink a PCST instance by the degree and shorter-path tests and (rooted, with
    ``upper_bound``) the dual-ascent bound tests.

    Parameters
    ----------
    edges
        ``(E, 2)`` node indices.
    costs
        ``(E,)`` edge costs (``≥ 0``).
    prizes
        ``(N,)`` node prizes (``≥ 0``).
    root
        Root node (``-1``: unrooted; then only the degree tests that keep every
        single-node tree run).
    upper_bound
        Objective of a known solution; enables the bound tests (rooted only). Every
        solution of cost ``≤ upper_bound`` survives.
    time_budget
        Seconds allowed for the dual ascents, all rounds together (``None``: no limit).
    rounds
        Rounds of (degree tests, bound tests).
    path_test
        Run the shorter-path edge test (:func:`shorter_path_edges`) once, after the
        first degree tests.

    Returns
    -------
    ReducedInstance

    Examples
    --------
    >>> import numpy as np
    >>> # root 0; a far node 3 behind an expensive edge cannot pay for itself
    >>> edges = np.array([[0, 1], [1, 2], [2, 3], [0, 2]])
    >>> red = reduce_instance(edges, np.array([1.0, 1.0, 9.0, 1.0]),
    ...                       np.array([0.0, 2.0, 2.0, 1.0]), root=0, upper_bound=3.0)
    >>> sorted(red.nodes.tolist()), red.offset
    ([0, 1, 2], 1.0)
    """
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    costs = np.asarray(costs, dtype=np.float64)
    prizes = np.asarray(prizes, dtype=np.float64)
    n = len(prizes)
    log: dict[str, int] = {}
    alive = np.ones(n, dtype=bool)
    offset = 0.0
    if root >= 0:
        reach = _components_with(n, edges, root)
        if not reach.all():
            offset += float(prizes[~reach].sum())
            log["unreachable"] = int((~reach).sum())
            alive &= reach
            keep = reach[edges[:, 0]] & reach[edges[:, 1]]
            edges_in, costs_in, ids = edges[keep], costs[keep], np.flatnonzero(keep)
        else:
            edges_in, costs_in, ids = edges, costs, np.arange(len(edges))
    else:
        edges_in, costs_in, ids = edges, costs, np.arange(len(edges))
    graph = _Graph(edges_in, costs_in, n)
    for key in graph.origin:  # map to original edge ids
        graph.origin[key] = ids[graph.origin[key]]
    lower_bound = float("-inf")
    guide_edges: np.ndarray | None = None
    started = time.perf_counter()
    for round_ in range(max(1, rounds)):
        offset += _degree_tests(graph, prizes, alive, root, log)
        if path_test and round_ == 0:
            start = time.perf_counter()
            if _path_test(graph, n, log):
                offset += _degree_tests(graph, prizes, alive, root, log)
            logger.debug("shorter-path test in %.2f s", time.perf_counter() - start)
        if root < 0 or upper_bound is None or round_ == rounds:
            break
        keys = list(graph.ends)
        if not keys:
            break
        cur_edges = np.array([graph.ends[k] for k in keys], dtype=np.int64)
        cur_costs = np.array([graph.cost[k] for k in keys])
        cur_prizes = np.where(alive, prizes, 0.0)
        start = time.perf_counter()
        budget = None
        if time_budget is not None:
            budget = time_budget - (start - started)
            if budget <= 0:
                break
        node_ok, edge_ok, bound, guide = _bound_tests(
            cur_edges, cur_costs, cur_prizes, root, upper_bound - offset, budget
        )
        guide &= node_ok[cur_edges[:, 0]] & node_ok[cur_edges[:, 1]]
        if guide.any():
            guide_edges = np.unique(
                np.concatenate(
                    [graph.origin[k] for k, g in zip(keys, guide.tolist(), strict=True) if g]
                )
            )
        lower_bound = max(lower_bound, bound + offset)
        logger.debug(
            "dual ascent bound %.6g (upper %.6g) in %.2f s",
            bound + offset,
            upper_bound,
            time.perf_counter() - start,
        )
        removed_edges = 0
        for key, ok in zip(keys, edge_ok.tolist(), strict=True):
            if not ok:
                graph.remove_edge(key)
                removed_edges += 1
        dead = np.flatnonzero(alive & ~node_ok)
        for v in dead.tolist():
            graph.remove_node(v)
            alive[v] = False
            offset += float(prizes[v])
        log["bound_edges"] = log.get("bound_edges", 0) + removed_edges
        log["bound_nodes"] = log.get("bound_nodes", 0) + len(dead)
        if not removed_edges and not len(dead):
            break
        if round_ == rounds - 1:
            offset += _degree_tests(graph, prizes, alive, root, log)
    nodes = np.flatnonzero(alive)
    if root >= 0:
        # drop what the removals cut off from the root
        keys = list(graph.ends)
        cur = np.array([graph.ends[k] for k in keys], dtype=np.int64).reshape(-1, 2)
        reach = _components_with(n, cur, root) & alive
        for v in np.flatnonzero(alive & ~reach).tolist():
            graph.remove_node(v)
            alive[v] = False
            offset += float(prizes[v])
            log["unreachable"] = log.get("unreachable", 0) + 1
        nodes = np.flatnonzero(alive)
    position = np.full(n, -1, dtype=np.int64)
    position[nodes] = np.arange(len(nodes))
    keys = list(graph.ends)
    red_edges = np.array(
        [(position[graph.ends[k][0]], position[graph.ends[k][1]]) for k in keys], dtype=np.int64
    ).reshape(-1, 2)
    return ReducedInstance(
        nodes=nodes,
        edges=red_edges,
        costs=np.array([graph.cost[k] for k in keys], dtype=np.float64),
        prizes=prizes[nodes].copy(),
        root=int(position[root]) if root >= 0 else -1,
        offset=offset,
        edge_origin=[graph.origin[k] for k in keys],
        n_original_nodes=n,
        n_original_edges=len(edges),
        log=log,
        lower_bound=lower_bound,
        guide_edges=guide_edges,
    )
