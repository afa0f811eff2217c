"""Exact prize-collecting Steiner trees and forests by branch-and-cut on SCIP.

The solver optimises exactly the objective that ``pcst_fast`` approximates in
:func:`omicsnet.networks.pcsf.solve_pcsf`: on the augmented instance (dummy root joined
to terminals at cost ``w``, prizes × ``b``, degree-penalised costs, negative prizes
folded into edge costs), minimise

.. math:: \\sum_{e \\in T} c_e + \\sum_{v \\notin T} p_v

over trees ``T`` that contain the root (rooted), or over forests of at most
``num_clusters`` trees (unrooted; an artificial root ``ρ`` then opens at most
``num_clusters`` trees through arcs of cost 0).

The model
---------
The directed cut formulation of Ljubić et al. (2006, *An algorithmic framework for the
exact solution of the prize-collecting Steiner tree problem*) on the bidirected graph:
``x_a ∈ {0, 1}`` per arc, ``y_v ∈ {0, 1}`` per node,

* in-degree: ``x(δ⁻(v)) = y_v`` (every node of the tree has one parent);
* two-cycles: ``x_uv + x_vu ≤ y_u`` and ``≤ y_v``;
* flow balance for prize-less nodes: ``x(δ⁻(v)) ≤ x(δ⁺(v))`` (no prize-less leaves);
* connectivity (separated, not enumerated): ``x(δ⁻(S)) ≥ y_v`` for every node set ``S``
  without the root and ``v ∈ S``. A constraint handler adds them: at fractional LP
  solutions by a maximum flow from the root to each node with ``y_v > 0`` (the minimum
  cut is the violated set), at integral ones from the components that the root does not
  reach.

Before the model is built the instance is reduced (:mod:`omicsnet.networks.pcsf_reduce`:
degree and shorter-path tests, then the dual-ascent bound tests at any size);
the warm start (``pcst_fast``'s forest, after the improvement pass) is handed to SCIP and
also gives the reductions their upper bound. The result carries the proven bound: SCIP's
dual bound on the reduced instance plus the constant the reductions set aside, so
``gap = (objective − bound) / objective`` is certified whether or not the time limit
was hit.

Examples
--------
>>> import numpy as np
>>> # a square 0-1-2-3 with a cheap diagonal 1-3; prizes on 0 and 2
>>> edges = np.array([[0, 1], [1, 2], [2, 3], [3, 0], [1, 3]])
>>> costs = np.array([1.0, 1.0, 1.5, 1.5, 0.1])
>>> sol = solve_exact(edges, costs, np.array([3.0, 0.0, 3.0, 0.0]), root=-1)
>>> sol.optimal, round(sol.objective, 6), sorted(sol.edges.tolist())
(True, 2.0, [0, 1])
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from omicsnet.errors import OmicsnetError
from omicsnet.networks.pcsf_reduce import ReducedInstance, compose, reduce_instance

logger = logging.getLogger(__name__)

__all__ = ["ExactSolution", "SolverError", "objective_of", "solve_exact"]


class SolverError(OmicsnetError, RuntimeError):
    """A solver is missing or returns wrong answers: ``pcst_fast`` (its PyPI wheel under
    numpy 2) or ``pyscipopt`` (SCIP) for the exact solver."""


_EPS = 1e-6  # LP values below this count as 0 in the separation
#: start the LP of a rooted instance with the cuts of a dual ascent on it (they carry the
#: dual-ascent bound, which the max-flow cuts alone reach slowly: on a 713-node /
#: 3,943-edge subgraph of iRefIndex the LP was at 259.5 after 9 separation rounds, against
#: 264.56 after the first round with these cuts; two 2,000-node scale-free graphs with 150
#: prizes were proven optimal in 10.9 s and 29.7 s with them, in > 40 s and 38.0 s without)
DA_CUTS = True
#: at most this many nonzeros in the dual-ascent cuts added to the model (memory)
DA_CUT_NONZEROS = 2_000_000
#: above this many edges after all reduction tests the branch-and-cut is not attempted
#: (the reductions, with their dual-ascent bound, run at any size). On iRefIndex v14 with
#: w=5 b=1 g=3, 11,958 nodes / 154,886 edges are left and SCIP does not finish presolving
#: and the root LP in 60 s; even the 713-node / 3,943-edge subgraph spanned by nine good
#: forests of that instance ends its 45 s at the root node with a 1.4 % gap, while
#: generated graphs of a few thousand edges are proven optimal in seconds (docs/networks.md)
EXACT_MAX_EDGES = 60_000
#: separation settings (measured on a 2,000-node scale-free graph with 150 prizes: the
#: back cuts make the root LP converge, 125.93 = the optimum, where cuts next to each
#: node alone stalled at 121.7 after 60 s)
NESTED_CUTS = 5  # nested max-flow cuts per node and round
#: nodes that the root does not reach in the LP support get back cuts only for the
#: BACK_CUT_TARGETS largest y per round, and the max-flow cuts of the reached nodes are
#: separated in the same round (CHEAP_FIRST = False). Measured on generated 2,000-node
#: Barabási–Albert graphs (m=3, 150 prizes, w=3): proven optimal in 19.4 / 11.7 / 8.1 s
#: instead of 28.5 / 14.9 / 8.5 s with back cuts for every such node first (~1,300 a
#: round on a 3,600-edge subgraph of iRefIndex, most adding little); that subgraph's
#: root bound after 30 s: gap 0.30 % instead of 0.35 %
BACK_CUT_TARGETS = 50
CHEAP_FIRST = False  # True: max flows only once the root reaches the whole LP support
FORCE_CUTS = False  # let SCIP's cut selection pick among the violated cuts
POOL_CUTS = True  # keep every cut in the global cut pool
#: every this many separation rounds, the ``heuristic`` of :func:`solve_exact` runs on the
#: LP solution's support (its edges with x > 0): on the 3,595-edge union of five good
#: forests of iRefIndex + example_prizes the LP support held a forest of 263.79 long before
#: the branch-and-cut proved it optimal (after 39.5 s), against 264.58 for the best forest
#: put in
LP_HEURISTIC_ROUNDS = 5


@dataclass
class ExactSolution:
    """The exact solver's answer on an instance.

    Attributes
    ----------
    nodes, edges
        Instance node and edge indices of the best tree or forest found (the root
        included when rooted).
    objective
        Its objective on the instance.
    bound
        Proven lower bound on the optimum.
    gap
        ``(objective − bound) / max(|objective|, 1e-9)``, ``≥ 0``.
    optimal
        Whether optimality is proven (gap within the requested tolerance).
    status
        SCIP's status (``"optimal"``, ``"timelimit"``, …) or ``"reduced"`` when the
        reductions alone solved the instance.
    seconds
        Wall time of reductions and search.
    reduced_nodes, reduced_edges
        Size of the instance the MILP saw.
    info
        Further numbers: original size, reduction log, warm-start objective, SCIP nodes,
        reduction and search seconds.
    guide_edges
        Instance edge indices of the subgraph that the dual ascent's zero reduced-cost
        arcs span from the root (``None`` without a dual ascent): where good solutions
        lie (see ``heuristic`` of :func:`solve_exact`).
    """

    nodes: np.ndarray
    edges: np.ndarray
    objective: float
    bound: float
    gap: float
    optimal: bool
    status: str
    seconds: float
    reduced_nodes: int
    reduced_edges: int
    info: dict[str, Any] = field(default_factory=dict)
    guide_edges: np.ndarray | None = None


def objective_of(
    edges: np.ndarray, costs: np.ndarray, prizes: np.ndarray, nodes: np.ndarray, chosen: np.ndarray
) -> float:
    """Objective of a solution: its edge costs plus the prizes of the nodes left out.

    Examples
    --------
    >>> import numpy as np
    >>> objective_of(np.array([[0, 1]]), np.array([2.0]), np.array([1.0, 5.0]),
    ...              np.array([1]), np.array([], dtype=int))
    1.0
    """
    del edges
    nodes = np.unique(np.asarray(nodes, dtype=np.int64))
    chosen = np.unique(np.asarray(chosen, dtype=np.int64))
    return float(costs[chosen].sum() + prizes.sum() - prizes[nodes].sum())


def _check_forest(
    n: int, edges: np.ndarray, nodes: np.ndarray, chosen: np.ndarray, root: int, k: int
) -> bool:
    """Whether (nodes, chosen edges) is a forest over ``nodes`` with the root (rooted) in
    one tree, or at most ``k`` trees (unrooted)."""
    nodes = np.unique(nodes)
    if len(chosen):
        ends = np.unique(edges[chosen].ravel())
        if not np.isin(ends, nodes).all():
            return False
    if len(nodes) == 0:
        return root < 0
    if root >= 0 and root not in set(nodes.tolist()):
        return False
    if len(chosen) != len(nodes) - _n_components(n, edges[chosen], nodes):
        return False  # a cycle
    comps = _n_components(n, edges[chosen], nodes)
    return comps == 1 if root >= 0 else comps <= k


def _n_components(n: int, chosen_edges: np.ndarray, nodes: np.ndarray) -> int:
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    if len(nodes) == 0:
        return 0
    pos = np.full(n, -1, dtype=np.int64)
    pos[nodes] = np.arange(len(nodes))
    m = len(nodes)
    adj = sp.coo_matrix(
        (np.ones(len(chosen_edges)), (pos[chosen_edges[:, 0]], pos[chosen_edges[:, 1]])),
        shape=(m, m),
    )
    return int(connected_components(adj, directed=False)[0])


# --------------------------------------------------------------------------------------
# The MILP on a reduced instance
# --------------------------------------------------------------------------------------


class _Arcs:
    """The bidirected arc set of a (reduced) instance, with an artificial root if needed."""

    def __init__(self, red: ReducedInstance, num_clusters: int) -> None:
        n = red.n_nodes
        e = red.edges
        self.n_graph = n
        if red.root >= 0:
            self.root = red.root
            self.n = n
        else:
            self.root = n  # artificial root
            self.n = n + 1
        tail = np.concatenate([e[:, 0], e[:, 1]])
        head = np.concatenate([e[:, 1], e[:, 0]])
        cost = np.concatenate([red.costs, red.costs])
        edge = np.concatenate([np.arange(len(e)), np.arange(len(e))])
        keep = head != self.root
        tail, head, cost, edge = tail[keep], head[keep], cost[keep], edge[keep]
        if red.root < 0:
            # the artificial root may open a tree at any node with a prize; a tree without
            # a prize is worth nothing (objective = the empty forest's)
            starts = np.flatnonzero(red.prizes > 0)
            tail = np.concatenate([tail, np.full(len(starts), self.root)])
            head = np.concatenate([head, starts])
            cost = np.concatenate([cost, np.zeros(len(starts))])
            edge = np.concatenate([edge, np.full(len(starts), -1)])
        self.tail, self.head, self.cost, self.edge = tail, head, cost, edge
        self.prizes = np.concatenate([red.prizes, [0.0]]) if red.root < 0 else red.prizes
        self.num_clusters = num_clusters
        self.unrooted = red.root < 0


def _build_model(arcs: _Arcs, quiet: bool) -> tuple[Any, Any, Any]:
    from pyscipopt import Model, quicksum

    model = Model("pcst")
    if quiet:
        model.hideOutput()
    n_arcs = len(arcs.tail)
    x = [model.addVar(vtype="B", obj=float(c), name=f"x{a}") for a, c in enumerate(arcs.cost)]
    y = [
        None
        if v == arcs.root
        else model.addVar(vtype="B", obj=-float(arcs.prizes[v]), name=f"y{v}")
        for v in range(arcs.n)
    ]
    model.addObjoffset(float(arcs.prizes.sum()))
    order_in = np.argsort(arcs.head, kind="stable")
    in_ptr = np.searchsorted(arcs.head[order_in], np.arange(arcs.n + 1))
    order_out = np.argsort(arcs.tail, kind="stable")
    out_ptr = np.searchsorted(arcs.tail[order_out], np.arange(arcs.n + 1))
    for v in range(arcs.n):
        if v == arcs.root:
            continue
        incoming = order_in[in_ptr[v] : in_ptr[v + 1]].tolist()
        model.addCons(quicksum(x[a] for a in incoming) == y[v], name=f"in{v}")
        if arcs.prizes[v] <= 0:
            outgoing = order_out[out_ptr[v] : out_ptr[v + 1]].tolist()
            model.addCons(
                quicksum(x[a] for a in incoming) <= quicksum(x[a] for a in outgoing),
                name=f"bal{v}",
            )
    # two-cycles: pair the arcs of each edge
    first: dict[int, int] = {}
    for a in range(n_arcs):
        e = int(arcs.edge[a])
        if e < 0:
            continue
        if e in first:
            b = first.pop(e)
            u, v = int(arcs.tail[a]), int(arcs.head[a])
            for node in (u, v):
                if node != arcs.root:
                    model.addCons(x[a] + x[b] <= y[node])
        else:
            first[e] = a
    if arcs.unrooted:
        starts = np.flatnonzero(arcs.tail == arcs.root).tolist()
        model.addCons(quicksum(x[a] for a in starts) <= arcs.num_clusters, name="trees")
    return model, x, y


def _make_handler(arcs: _Arcs, x: list, y: list) -> Any:
    import scipy.sparse as sp
    from pyscipopt import SCIP_RESULT, Conshdlr
    from scipy.sparse.csgraph import breadth_first_order, maximum_flow

    n = arcs.n
    root = arcs.root
    tail, head = arcs.tail, arcs.head
    candidates = [v for v in range(n) if v != root]
    x_vars = x
    y_vars = y

    cache: dict[str, list] = {}

    def transformed() -> tuple[list, list]:
        """The transformed variables (rows added during the solve must use them)."""
        if "x" not in cache:
            model = handler.model
            cache["x"] = [model.getTransformedVar(var) for var in x_vars]
            cache["y"] = [None if var is None else model.getTransformedVar(var) for var in y_vars]
        return cache["x"], cache["y"]

    def values(sol: Any) -> tuple[np.ndarray, np.ndarray]:
        model = handler.model
        xs = np.array([model.getSolVal(sol, var) for var in x_vars])
        ys = np.zeros(n)
        for v in candidates:
            ys[v] = model.getSolVal(sol, y_vars[v])
        return xs, ys

    def unreached(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Nodes with y = 1 that the root does not reach through arcs with x = 1."""
        on = xs > 0.5
        adj = sp.csr_matrix((np.ones(int(on.sum())), (tail[on], head[on])), shape=(n, n))
        reached = np.zeros(n, dtype=bool)
        reached[breadth_first_order(adj, root, directed=True, return_predecessors=False)] = True
        return np.flatnonzero((ys > 0.5) & ~reached)

    def cut_for(inside: np.ndarray) -> list[int]:
        return np.flatnonzero(inside[head] & ~inside[tail]).tolist()

    def add_cut(arcs_in: list[int], v: int) -> None:
        """Add x(δ⁻(S)) ≥ y_v as a global cutting plane (LP row and cut pool)."""
        model = handler.model
        tx, ty = transformed()
        row = model.createEmptyRowUnspec(
            name="", lhs=0.0, rhs=None, local=False, modifiable=False, removable=True
        )
        model.cacheRowExtensions(row)
        for a in arcs_in:
            model.addVarToRow(row, tx[a], 1.0)
        model.addVarToRow(row, ty[v], -1.0)
        model.flushRowExtensions(row)
        model.addCut(row, forcecut=FORCE_CUTS)
        if POOL_CUTS:
            model.addPoolCut(row)
        model.releaseRow(row)
        handler.n_cuts += 1

    def integral_cuts(xs: np.ndarray, ys: np.ndarray) -> int:
        lost = unreached(xs, ys)
        if len(lost) == 0:
            return 0
        # components of the chosen arcs among the unreached nodes
        on = (xs > 0.5) & np.isin(tail, lost) & np.isin(head, lost)
        adj = sp.csr_matrix((np.ones(int(on.sum())), (tail[on], head[on])), shape=(n, n))
        from scipy.sparse.csgraph import connected_components

        _, labels = connected_components(adj, directed=False)
        added = 0
        for label in np.unique(labels[lost]).tolist():
            members = lost[labels[lost] == label]
            inside = np.zeros(n, dtype=bool)
            inside[members] = True
            arcs_in = cut_for(inside)
            best = members[np.argmax(arcs.prizes[members])]
            add_cut(arcs_in, int(best))
            added += 1
        return added

    def fractional_cuts(xs: np.ndarray, ys: np.ndarray, limit: int = 2000) -> int:
        """Violated cuts for nodes with y > 0, by maximum flow from the root.

        Each cut is taken next to the node (the nodes that still reach it in the residual
        graph), and cuts are *nested*: the arcs of a cut found are given capacity 1 and
        the flow is recomputed, which yields further cuts between that one and the root
        (Ljubić et al. 2006); this makes the LP bound converge in far fewer rounds.
        """
        scale = 1_000_000
        base = np.floor(np.clip(xs, 0.0, 1.0) * scale).astype(np.int64)

        def flow_graph(caps: np.ndarray) -> Any:
            keep = caps > 0
            graph = sp.csr_matrix(
                (caps[keep].astype(np.int32), (tail[keep], head[keep])), shape=(n, n)
            )
            graph.sum_duplicates()
            graph.sort_indices()
            return graph

        graph0 = flow_graph(base)
        reached = np.zeros(n, dtype=bool)
        reached[breadth_first_order(graph0, root, directed=True, return_predecessors=False)] = True
        order = [v for v in candidates if ys[v] > 1e-4 and (arcs.prizes[v] > 0 or ys[v] > 0.5)]
        order.sort(key=lambda v: -ys[v])
        added = 0
        unreached = [v for v in order if not reached[v]][:BACK_CUT_TARGETS]
        if unreached:
            # no flow from the root at all: cut off everything the root does not reach
            # (one "back cut" per node), and each weakly connected part of it separately
            from scipy.sparse.csgraph import connected_components

            back = ~reached
            back_arcs = cut_for(back)
            inflow = xs[back_arcs].sum()
            for v in unreached:
                if inflow < ys[v] - 1e-4:
                    add_cut(back_arcs, v)
                    added += 1
            sub = (base > 0) & back[tail] & back[head]
            parts = sp.csr_matrix((np.ones(int(sub.sum())), (tail[sub], head[sub])), shape=(n, n))
            _, labels = connected_components(parts, directed=False)
            for v in unreached:
                inside = back & (labels == labels[v])
                if inside.sum() == back.sum():
                    continue  # the same set as the back cut
                arcs_in = cut_for(inside)
                if xs[arcs_in].sum() < ys[v] - 1e-4:
                    add_cut(arcs_in, v)
                    added += 1
            if added and CHEAP_FIRST:
                return added  # max flows only once the root reaches the whole support
        for v in order:
            if not reached[v]:
                continue
            caps = base.copy()
            graph = graph0
            for _ in range(NESTED_CUTS):
                result = maximum_flow(graph, root, v)
                if result.flow_value / scale >= ys[v] - 1e-4:
                    break
                residual = (graph - result.flow).tocsr()
                residual.data[residual.data < 0] = 0
                residual.eliminate_zeros()
                side = breadth_first_order(
                    residual.T.tocsr(), v, directed=True, return_predecessors=False
                )
                inside = np.zeros(n, dtype=bool)
                inside[side] = True
                if inside[root]:  # pragma: no cover - numerical corner
                    break
                arcs_in = np.asarray(cut_for(inside), dtype=np.int64)
                if xs[arcs_in].sum() >= ys[v] - 1e-4:
                    break
                add_cut(arcs_in.tolist(), v)
                added += 1
                caps[arcs_in] = scale  # nested: saturate this cut, look further out
                graph = flow_graph(caps)
            if added >= limit:
                break
        return added

    class Connectivity(Conshdlr):
        n_cuts = 0
        rounds = 0
        #: called with the reduced edge ids of the LP support every LP_HEURISTIC_ROUNDS
        on_support: Callable[[np.ndarray], None] | None = None

        def conscheck(
            self, constraints, solution, checkintegrality, checklprows, printreason, completely
        ):
            xs, ys = values(solution)
            return {
                "result": SCIP_RESULT.FEASIBLE
                if len(unreached(xs, ys)) == 0
                else SCIP_RESULT.INFEASIBLE
            }

        def consenfolp(self, constraints, nusefulconss, solinfeasible):
            xs, ys = values(None)
            if integral_cuts(xs, ys):
                return {"result": SCIP_RESULT.SEPARATED}
            return {"result": SCIP_RESULT.FEASIBLE}

        def consenfops(self, constraints, nusefulconss, solinfeasible, objinfeasible):
            xs, ys = values(None)
            if len(unreached(xs, ys)):
                return {"result": SCIP_RESULT.SOLVELP}
            return {"result": SCIP_RESULT.FEASIBLE}

        def conssepalp(self, constraints, nusefulconss):
            xs, ys = values(None)
            self.rounds += 1
            if self.on_support is not None and self.rounds % LP_HEURISTIC_ROUNDS == 1:
                support = np.unique(arcs.edge[xs > _EPS])
                self.on_support(support[support >= 0])
            if fractional_cuts(xs, ys):
                return {"result": SCIP_RESULT.SEPARATED}
            return {"result": SCIP_RESULT.DIDNOTFIND}

        def conslock(self, constraint, locktype, nlockspos, nlocksneg):
            # no constraint objects (needscons=False): dual reductions are switched off
            return None

    handler = Connectivity()
    return handler


def _warm_solution(
    red: ReducedInstance, arcs: _Arcs, edge_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """Arc and node values of a reduced solution given by reduced edge ids (oriented from
    the root; unrooted trees from their node of largest prize)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import breadth_first_order, connected_components

    n = red.n_nodes
    e = red.edges[edge_ids]
    adj = sp.coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n)).tocsr()
    adj = adj + adj.T
    xs = np.zeros(len(arcs.tail))
    ys = np.zeros(arcs.n)
    arc_of = {
        (int(t), int(h)): a for a, (t, h) in enumerate(zip(arcs.tail, arcs.head, strict=True))
    }
    used = np.zeros(n, dtype=bool)
    if len(e):
        used[np.unique(e.ravel())] = True
    starts: list[int] = []
    if red.root >= 0:
        starts = [red.root]
        used[red.root] = True
    else:
        _, labels = connected_components(adj, directed=False)
        for label in np.unique(labels[used]).tolist():
            members = np.flatnonzero(used & (labels == label))
            starts.append(int(members[np.argmax(red.prizes[members])]))
        if len(starts) > arcs.num_clusters:
            return None
    for s in starts:
        order, pred = breadth_first_order(adj, s, directed=False, return_predecessors=True)
        for v in order.tolist():
            ys[v] = 1.0
            if v == s:
                continue
            a = arc_of.get((int(pred[v]), v))
            if a is None:
                return None
            xs[a] = 1.0
        if red.root < 0:
            a = arc_of.get((arcs.root, s))
            if a is None:
                return None
            xs[a] = 1.0
    if not np.array_equal(ys[:n] > 0.5, used):
        return None
    return xs, ys


def _reduced_warm_edges(red: ReducedInstance, warm_edges: np.ndarray) -> np.ndarray:
    chosen = set(np.asarray(warm_edges, dtype=np.int64).tolist())
    return np.array(
        [i for i, origin in enumerate(red.edge_origin) if set(origin.tolist()) <= chosen],
        dtype=np.int64,
    )


def solve_exact(
    edges: np.ndarray,
    costs: np.ndarray,
    prizes: np.ndarray,
    *,
    root: int,
    num_clusters: int = 1,
    warm_start: tuple[np.ndarray, np.ndarray] | None = None,
    time_limit: float = 60.0,
    mip_gap: float = 0.0,
    reduce: bool = True,
    reduction_time: float | None = None,
    max_edges: int | None = None,
    quiet: bool = True,
    heuristic: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
) -> ExactSolution:
    """Solve a PCST instance to proven optimality (or to the time limit, with a bound).

    Parameters
    ----------
    edges, costs, prizes
        The instance: ``(E, 2)`` node indices, ``(E,)`` costs ``≥ 0``, ``(N,)`` prizes
        ``≥ 0``.
    root
        The root every tree must contain, or ``-1`` (unrooted: a forest of at most
        ``num_clusters`` trees).
    num_clusters
        Maximum number of trees when unrooted.
    warm_start
        ``(nodes, edge indices)`` of a known solution (e.g. ``pcst_fast``'s): SCIP starts
        from it and the reductions use its objective as upper bound.
    time_limit
        Seconds for reductions and search together.
    mip_gap
        Relative gap at which SCIP may stop and call the solution optimal (default 0).
    reduce
        Run the reduction tests first.
    reduction_time
        Seconds allowed for the dual ascent of the bound tests (default: a quarter of
        ``time_limit``, at most 20).
    max_edges
        Run the branch-and-cut only when the reduced instance has at most this many
        edges (``None``: no limit); otherwise return the warm start with the reductions'
        dual-ascent bound (``status="too_large"``). Independently, above
        :data:`EXACT_MAX_EDGES` edges after all reduction tests the branch-and-cut is
        not attempted; when more than that are left after the degree and shorter-path
        tests, the dual ascent of the bound tests may use the whole remaining time.
    quiet
        Hide SCIP's log.
    heuristic
        *Ascend-and-prune* (rooted, after the dual ascent of the reductions): called with
        the instance edge indices of the subgraph that the root reaches through arcs of
        zero reduced cost, it returns a solution ``(nodes, edge indices)`` found there
        (e.g. ``pcst_fast`` on that subgraph, then the improvement pass); a valid one
        that is cheaper replaces the warm start, before the branch-and-cut. During the
        branch-and-cut it is also called, every :data:`LP_HEURISTIC_ROUNDS` separation
        rounds, with the edges of the LP solution's support (an LP-guided heuristic).

    Returns
    -------
    ExactSolution

    Raises
    ------
    SolverError
        ``pyscipopt`` is not installed.

    Examples
    --------
    >>> import numpy as np
    >>> # root 0; node 2 pays for the path 0-1-2 (cost 2 < prize 3), node 3 does not
    >>> sol = solve_exact(np.array([[0, 1], [1, 2], [0, 3]]), np.array([1.0, 1.0, 5.0]),
    ...                   np.array([0.0, 0.0, 3.0, 4.0]), root=0)
    >>> sorted(sol.nodes.tolist()), sol.objective, sol.gap
    ([0, 1, 2], 6.0, 0.0)
    """
    try:
        import pyscipopt  # noqa: F401
    except ImportError as err:  # pragma: no cover - the dependency is in the install path
        raise SolverError(
            "the exact PCSF solver needs pyscipopt (SCIP): pip install 'omicsnet[knowledge]' "
            "or pip install pyscipopt"
        ) from err
    start = time.perf_counter()
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    costs = np.asarray(costs, dtype=np.float64)
    prizes = np.asarray(prizes, dtype=np.float64)
    n = len(prizes)
    if (costs < 0).any() or (prizes < 0).any():
        raise ValueError("solve_exact needs costs >= 0 and prizes >= 0")
    info: dict[str, Any] = {"original_nodes": n, "original_edges": len(edges)}

    best_nodes = np.array([root], dtype=np.int64) if root >= 0 else np.zeros(0, np.int64)
    best_edges = np.zeros(0, dtype=np.int64)
    best_obj = objective_of(edges, costs, prizes, best_nodes, best_edges)
    if warm_start is not None:
        w_nodes = np.unique(np.asarray(warm_start[0], dtype=np.int64))
        w_edges = np.unique(np.asarray(warm_start[1], dtype=np.int64))
        if root >= 0:
            w_nodes = np.union1d(w_nodes, [root])
        if _check_forest(n, edges, w_nodes, w_edges, root, num_clusters):
            w_obj = objective_of(edges, costs, prizes, w_nodes, w_edges)
            info["warm_start_objective"] = w_obj
            if w_obj < best_obj:
                best_nodes, best_edges, best_obj = w_nodes, w_edges, w_obj
        else:
            logger.warning("the warm start is not a valid solution; ignored")

    if reduction_time is None:
        reduction_time = min(time_limit / 4.0, 20.0)
    red_start = time.perf_counter()
    too_large = False
    if reduce:
        # degree and shorter-path tests (keep every optimal solution) ...
        red = reduce_instance(edges, costs, prizes, root=root)
        info["presolved_nodes"], info["presolved_edges"] = red.n_nodes, red.n_edges
        if root >= 0 and red.n_edges:
            # ... then the dual-ascent bound tests against the warm start, at any size;
            # when the branch-and-cut is out of reach anyway, the dual ascent gets the
            # time (a finished ascent gives a better bound than a cut-short one)
            budget = reduction_time
            if red.n_edges > EXACT_MAX_EDGES:
                budget = max(reduction_time, time_limit - (time.perf_counter() - start))
            inner = reduce_instance(
                red.edges,
                red.costs,
                red.prizes,
                root=red.root,
                upper_bound=best_obj - red.offset,
                time_budget=budget,
                path_test=False,
            )
            red = compose(red, inner)
        too_large = red.n_edges > EXACT_MAX_EDGES or (
            max_edges is not None and red.n_edges > max_edges
        )
    else:
        red = _identity(edges, costs, prizes, root)
        too_large = max_edges is not None and red.n_edges > max_edges
    info["reduction_seconds"] = time.perf_counter() - red_start

    def try_heuristic(subset: np.ndarray, key: str) -> np.ndarray | None:
        """Run ``heuristic`` on the instance edges ``subset``; keep a cheaper forest
        (returned as its edge ids; None when none is found)."""
        nonlocal best_nodes, best_edges, best_obj
        h_start = time.perf_counter()
        found = None
        h_nodes, h_edges = heuristic(subset)  # type: ignore[misc]
        h_nodes = np.unique(np.asarray(h_nodes, dtype=np.int64))
        h_edges = np.unique(np.asarray(h_edges, dtype=np.int64))
        if root >= 0:
            h_nodes = np.union1d(h_nodes, [root])
        if _check_forest(n, edges, h_nodes, h_edges, root, num_clusters):
            h_obj = objective_of(edges, costs, prizes, h_nodes, h_edges)
            info[f"{key}_objective"] = min(h_obj, info.get(f"{key}_objective", np.inf))
            if h_obj < best_obj - 1e-12 * max(1.0, abs(best_obj)):
                best_nodes, best_edges, best_obj = h_nodes, h_edges, h_obj
                found = h_edges
        else:  # pragma: no cover - a faulty heuristic
            logger.warning("the %s solution is not a valid forest; ignored", key)
        info[f"{key}_seconds"] = info.get(f"{key}_seconds", 0.0) + time.perf_counter() - h_start
        return found

    if heuristic is not None and red.guide_edges is not None and len(red.guide_edges):
        try_heuristic(red.guide_edges, "ascend_prune")
    info["reductions"] = dict(red.log)
    info["dual_ascent_bound"] = red.lower_bound
    logger.info(
        "PCST reductions: %d -> %d nodes, %d -> %d edges in %.2f s (%s)",
        n,
        red.n_nodes,
        len(edges),
        red.n_edges,
        info["reduction_seconds"],
        red.log,
    )

    bound = max(red.lower_bound, 0.0)  # costs and prizes are >= 0
    status = "reduced"
    info["branch_and_cut"] = False
    if too_large:
        status = "too_large"
    elif red.n_edges == 0 and (root >= 0 or red.n_nodes == 0):
        # nothing left to decide: the root alone (rooted), or nothing (unrooted)
        nodes = red.nodes[[red.root]] if red.root >= 0 else np.zeros(0, np.int64)
        cand_obj = objective_of(edges, costs, prizes, nodes, np.zeros(0, np.int64))
        if cand_obj < best_obj:
            best_nodes, best_edges, best_obj = nodes, np.zeros(0, np.int64), cand_obj
        bound = max(bound, red.offset + _trivial_bound(red))
    else:
        remaining = max(1.0, time_limit - (time.perf_counter() - start))

        def on_support(reduced_edges: np.ndarray) -> np.ndarray | None:
            if not len(reduced_edges):
                return None
            subset = np.concatenate([red.edge_origin[int(e)] for e in reduced_edges])
            return try_heuristic(np.unique(subset), "lp_heuristic")

        sol_edges, sol_nodes, red_bound, status, scip_info = _branch_and_cut(
            red, num_clusters, best_edges, remaining, mip_gap, quiet,
            on_support=on_support if heuristic is not None else None,
        )  # fmt: skip
        info.update(scip_info)
        info["branch_and_cut"] = True
        bound = max(bound, red_bound + red.offset)
        if sol_edges is not None:
            nodes, chosen = red.expand(sol_edges, sol_nodes, edges)
            if _check_forest(n, edges, nodes, chosen, root, num_clusters):
                cand_obj = objective_of(edges, costs, prizes, nodes, chosen)
                if cand_obj < best_obj - 1e-12:
                    best_nodes, best_edges, best_obj = nodes, chosen, cand_obj
            else:  # pragma: no cover - would be a bug in the mapping
                logger.error("the exact solver's solution does not map back to a forest")
    bound = min(bound, best_obj)
    diff = best_obj - bound
    if diff <= 1e-9 * max(1.0, abs(best_obj)):
        diff, bound = 0.0, best_obj
    gap = diff / max(abs(best_obj), 1e-9)
    optimal = gap <= max(mip_gap, 1e-9)  # the bound is proven whatever the status
    return ExactSolution(
        nodes=np.sort(best_nodes),
        edges=np.sort(best_edges),
        objective=best_obj,
        bound=bound,
        gap=gap,
        optimal=bool(optimal),
        status=status,
        seconds=time.perf_counter() - start,
        reduced_nodes=red.n_nodes,
        reduced_edges=red.n_edges,
        info=info,
        guide_edges=red.guide_edges,
    )


def _trivial_bound(red: ReducedInstance) -> float:
    """Objective of the reduced instance when it has no edge: nothing but the root (or a
    single node, unrooted) can be chosen."""
    if red.root >= 0:
        return float(red.prizes.sum() - red.prizes[red.root])
    return float(red.prizes.sum() - (red.prizes.max() if len(red.prizes) else 0.0))


def _identity(
    edges: np.ndarray, costs: np.ndarray, prizes: np.ndarray, root: int
) -> ReducedInstance:
    return ReducedInstance(
        nodes=np.arange(len(prizes)),
        edges=edges.copy(),
        costs=costs.copy(),
        prizes=prizes.copy(),
        root=root,
        offset=0.0,
        edge_origin=[np.array([i]) for i in range(len(edges))],
        n_original_nodes=len(prizes),
        n_original_edges=len(edges),
    )


def _tune(model: Any) -> None:
    """SCIP settings for this model: the connectivity cuts do the work, so SCIP's generic
    separators and its sub-MIP heuristics (whose copies do not know the connectivity
    constraints) mostly cost time."""
    import contextlib

    from pyscipopt import SCIP_PARAMSETTING

    # strong branching on a model with thousands of binaries is what SCIP spends its
    # time on otherwise: branch on pseudo-costs (inference as tie breaker)
    model.setParam("branching/relpscost/maxreliable", 1.0)
    model.setParam("branching/relpscost/sbiterquot", 0.05)
    model.setParam("branching/relpscost/sbiterofs", 1000)
    # the connectivity cuts close the gap at the root, slowly: do not stop on stalls
    model.setParam("separating/maxstallroundsroot", -1)
    model.setHeuristics(SCIP_PARAMSETTING.OFF)
    model.setPresolve(SCIP_PARAMSETTING.FAST)
    for sepa in (
        "clique", "gomory", "zerohalf", "aggregation", "mcf", "cmir", "flowcover",
        "impliedbounds", "intobj", "disjunctive", "rapidlearning", "closecuts",
        "convexproj", "eccuts", "gauge", "interminor", "minor", "mixing", "oddcycle",
        "rlt", "lagromory", "multicommodity", "knapsackcover",
    ):  # fmt: skip
        with contextlib.suppress(KeyError, LookupError, ValueError):  # not in every SCIP
            model.setParam(f"separating/{sepa}/freq", -1)


def _dual_ascent_cuts(
    red: ReducedInstance, arcs: _Arcs, time_budget: float
) -> tuple[list[tuple[int, np.ndarray]], float]:
    """Cuts ``x(arcs) ≥ y_t`` (model arc indices, terminal) from a dual ascent on a rooted
    reduced instance, and its bound on the reduced instance."""
    from omicsnet.networks.pcsf_reduce import _sap_arcs, dual_ascent

    tail, head, cost, _, copies = _sap_arcs(red.edges, red.costs, red.prizes, red.root)
    n_graph = len(arcs.tail)
    if not (
        len(tail) >= n_graph
        and np.array_equal(tail[:n_graph], arcs.tail)
        and np.array_equal(head[:n_graph], arcs.head)
    ):  # pragma: no cover - the two arc orders are built alike
        return [], float("-inf")
    terminals = np.flatnonzero((red.prizes > 0) & (np.arange(red.n_nodes) != red.root))
    raised: list[tuple[int, np.ndarray]] = []
    bound, _, _ = dual_ascent(
        tail, head, cost, red.n_nodes + len(copies), red.root, copies,
        time_budget=time_budget, record=raised, record_limit=DA_CUT_NONZEROS,
    )  # fmt: skip
    out: list[tuple[int, np.ndarray]] = []
    nonzeros = 0
    for copy, cut in raised:
        graph_arcs = np.sort(cut[cut < n_graph])
        nonzeros += len(graph_arcs) + 1
        if nonzeros > DA_CUT_NONZEROS:
            logger.info("dual-ascent cuts capped at %d of %d", len(out), len(raised))
            break
        out.append((int(terminals[copy - red.n_nodes]), graph_arcs))
    return out, float(bound)


def _branch_and_cut(
    red: ReducedInstance,
    num_clusters: int,
    warm_edges: np.ndarray,
    time_limit: float,
    mip_gap: float,
    quiet: bool,
    on_support: Callable[[np.ndarray], np.ndarray | None] | None = None,
) -> tuple[np.ndarray | None, np.ndarray | None, float, str, dict[str, Any]]:
    """Run SCIP on the reduced instance; return reduced edge ids, node ids, bound, status.
    ``on_support`` is called with the reduced edge ids of the LP support every
    :data:`LP_HEURISTIC_ROUNDS` separation rounds; when it returns the instance edge ids of
    a cheaper forest, SCIP gets that forest as a solution."""
    build_start = time.perf_counter()
    arcs = _Arcs(red, num_clusters)
    model, x, y = _build_model(arcs, quiet)
    handler = _make_handler(arcs, x, y)
    model.includeConshdlr(
        handler,
        "pcst_connectivity",
        "directed cut constraints of the prize-collecting Steiner tree",
        sepapriority=100,
        enfopriority=-100,
        chckpriority=-100,
        sepafreq=1,
        needscons=False,
    )
    model.setParam("limits/time", max(1.0, float(time_limit)))
    model.setParam("limits/gap", float(mip_gap))
    model.setParam("misc/allowstrongdualreds", False)
    model.setParam("misc/allowweakdualreds", False)
    model.setParam("presolving/maxrestarts", 0)
    _tune(model)
    info: dict[str, Any] = {"build_seconds": 0.0}
    da_bound = float("-inf")
    if DA_CUTS and red.root >= 0 and len(red.edges):
        from pyscipopt import quicksum

        cuts, da_bound = _dual_ascent_cuts(red, arcs, time_budget=0.25 * time_limit)
        for i, (terminal, cut) in enumerate(cuts):
            model.addCons(quicksum(x[a] for a in cut.tolist()) >= y[terminal], name=f"da{i}")
        info["dual_ascent_cuts"] = len(cuts)
        info["reduced_dual_ascent_bound"] = da_bound
        spent = time.perf_counter() - build_start
        model.setParam("limits/time", max(1.0, float(time_limit) - spent))

    def scip_solution(instance_edges: np.ndarray, original: bool = False) -> Any:
        """SCIP's solution for a forest given by instance edge ids (None: not one here);
        ``original``: in the space of the original variables (during the solve, where
        presolving may have aggregated some)."""
        warm = _warm_solution(red, arcs, _reduced_warm_edges(red, instance_edges))
        if warm is None:
            return None
        sol = model.createOrigSol() if original else model.createSol()
        xs, ys = warm
        for var, value in zip(x, xs.tolist(), strict=True):
            model.setSolVal(sol, var, value)
        for v, var in enumerate(y):
            if var is not None:
                model.setSolVal(sol, var, float(ys[v]))
        return sol

    if on_support is not None:
        # a cheaper forest that the LP-guided heuristic finds goes to SCIP too (pruning)
        def hook(support: np.ndarray) -> None:
            better = on_support(support)
            sol = None if better is None else scip_solution(better, original=True)
            if sol is not None:
                model.trySol(sol)

        handler.on_support = hook
    sol = scip_solution(warm_edges)
    info["warm_start_accepted"] = sol is not None and bool(model.addSol(sol))
    info["build_seconds"] = time.perf_counter() - build_start
    search_start = time.perf_counter()
    model.optimize()
    info["search_seconds"] = time.perf_counter() - search_start
    info["bnb_nodes"] = int(model.getNNodes())
    info["cuts"] = int(handler.n_cuts)
    status = str(model.getStatus())
    bound = max(float(model.getDualbound()), da_bound)
    if model.getNSols() == 0:
        return None, None, bound, status, info
    best = model.getBestSol()
    xs = np.array([model.getSolVal(best, var) for var in x])
    chosen_arcs = np.flatnonzero(xs > 0.5)
    edge_ids = np.unique(arcs.edge[chosen_arcs])
    edge_ids = edge_ids[edge_ids >= 0]
    node_ids = [
        v for v in range(red.n_nodes) if y[v] is not None and model.getSolVal(best, y[v]) > 0.5
    ]
    if red.root >= 0:
        node_ids.append(red.root)
    return edge_ids, np.array(node_ids, dtype=np.int64), bound, status, info
