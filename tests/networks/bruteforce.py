"""Brute-force optimum of the OmicsIntegrator2 PCSF objective, written independently of
the code under test (for graphs of at most ~14 nodes)."""

from __future__ import annotations

import math
from itertools import combinations

import networkx as nx
import numpy as np
import pandas as pd


def augment(
    edges: pd.DataFrame,
    prizes: dict[str, float],
    *,
    w: float,
    b: float,
    g: float | None,
    dummy: bool = True,
) -> tuple[list[str], dict[tuple[int, int], float], list[float]]:
    """The augmented instance of ``solve_pcsf``: names (dummy last when ``dummy``),
    ``{(i, j): cost}`` with ``i < j`` and solver prizes.

    Degree penalty ``10**g d_u d_v / ((N-d_u-1)(N-d_v-1) + d_u d_v)``; a node with prize
    ``p < 0`` adds ``|b p| / 2`` to each of its edges and gets prize 0; the dummy joins
    every node with a positive prize at cost ``w``.
    """
    graph = nx.Graph()
    for s, t, c in edges[["source", "target", "cost"]].itertuples(index=False):
        if s != t and (not graph.has_edge(s, t) or graph[s][t]["cost"] > c):
            graph.add_edge(str(s), str(t), cost=float(c))
    names = sorted(graph.nodes)
    pos = {name: i for i, name in enumerate(names)}
    n = len(names)
    scaled = {name: b * prizes.get(name, 0.0) for name in names}
    costs: dict[tuple[int, int], float] = {}
    for s, t, data in graph.edges(data=True):
        c = data["cost"]
        if g is not None:
            du, dv = graph.degree(s), graph.degree(t)
            c += 10**g * du * dv / ((n - du - 1) * (n - dv - 1) + du * dv)
        for x in (s, t):
            if scaled[x] < 0:
                c += -scaled[x] / 2
        costs[tuple(sorted((pos[s], pos[t])))] = c
    node_prizes = [max(0.0, scaled[name]) for name in names]
    if dummy:
        for name in names:
            if scaled[name] > 0:
                costs[(pos[name], n)] = w
        return [*names, "__dummy__"], costs, [*node_prizes, 0.0]
    return names, costs, node_prizes


def spanning_forest(nodes: list[int], costs: dict[tuple[int, int], float]) -> list[float]:
    """Edge weights of a minimum spanning forest of the subgraph induced by ``nodes``
    (Kruskal with a tiny union-find)."""
    parent = {v: v for v in nodes}

    def find(v: int) -> int:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    inside = set(nodes)
    weights = []
    for (u, v), c in sorted(costs.items(), key=lambda item: item[1]):
        if u in inside and v in inside:
            ru, rv = find(u), find(v)
            if ru != rv:
                parent[ru] = rv
                weights.append(c)
    return weights


def optimum(
    n: int,
    costs: dict[tuple[int, int], float],
    prizes: list[float],
    *,
    root: int | None,
    max_trees: int = 1,
) -> float:
    """min over node sets S of (cheapest forest spanning S with one tree containing
    ``root``, or at most ``max_trees`` trees) + prizes outside S."""
    total = sum(prizes)
    best = total if root is None else math.inf
    others = [v for v in range(n) if v != root]
    for size in range(len(others) + 1):
        for subset in combinations(others, size):
            nodes = [*subset, root] if root is not None else list(subset)
            if not nodes:
                continue
            weights = spanning_forest(nodes, costs)
            trees = len(nodes) - len(weights)
            if root is not None:
                if trees != 1:
                    continue
            else:
                if trees > max_trees:
                    continue
                # more trees are allowed: drop the dearest edges
                weights = sorted(weights)[: max(0, len(weights) - (max_trees - trees))]
            value = sum(weights) + total - sum(prizes[v] for v in nodes)
            best = min(best, value)
    return best


def random_instance(
    rng: np.random.Generator, n_nodes: int, density: float
) -> tuple[pd.DataFrame, dict[str, float]]:
    """A connected-ish random graph on ``n_nodes`` nodes with random costs and prizes."""
    graph = nx.gnp_random_graph(n_nodes, density, seed=int(rng.integers(2**31)))
    for v in range(1, n_nodes):  # every node keeps an edge (so it is in the edge table)
        if graph.degree(v) == 0:
            graph.add_edge(v, int(rng.integers(v)))
    if graph.degree(0) == 0:
        graph.add_edge(0, 1)
    rows = [(f"v{u}", f"v{v}", float(rng.uniform(0.05, 2.0))) for u, v in graph.edges]
    edges = pd.DataFrame(rows, columns=["source", "target", "cost"])
    prizes = {f"v{v}": float(rng.uniform(0.2, 3.0)) for v in graph.nodes if rng.random() < 0.5}
    return edges, prizes
