"""Reduction tests of the exact PCSF solver: the shorter-path edge test and the chaining
of reductions, checked against brute force on small graphs."""

from __future__ import annotations

import numpy as np
import pytest

from omicsnet.networks.pcsf_exact import solve_exact
from omicsnet.networks.pcsf_reduce import compose, reduce_instance, shorter_path_edges

from .bruteforce import augment, optimum, random_instance


def _rooted_case(rng, sizes=(6, 11), density=0.35, w=2.0):
    """A random rooted instance (the dummy root last) as arrays, with its brute-force
    optimum: pairs, costs, prizes, root, optimum."""
    edges_df, prizes = random_instance(rng, int(rng.integers(*sizes)), density)
    names, costs, node_prizes = augment(edges_df, prizes, w=w, b=1.0, g=None)
    root = len(names) - 1
    best = optimum(len(names), costs, node_prizes, root=root)
    pairs = np.array(list(costs), dtype=np.int64)
    return pairs, np.array(list(costs.values())), np.array(node_prizes), root, best


def test_shorter_path_known_answers():
    # square 0-1-2-3 with diagonals: 0-2 (2.5) loses to 0-1-2 (2.0); 1-3 (2.0) ties with
    # 1-2-3 (2.0) and stays (only a strictly cheaper path removes an edge)
    edges = np.array([[0, 1], [1, 2], [2, 3], [3, 0], [0, 2], [1, 3]])
    costs = np.array([1.0, 1.0, 1.0, 1.5, 2.5, 2.0])
    assert shorter_path_edges(4, edges, costs).tolist() == [
        False, False, False, False, True, False,
    ]  # fmt: skip


def test_shorter_path_parallel_loops_and_zero_costs():
    edges = np.array([[0, 1], [1, 0], [1, 1], [1, 2], [0, 2]])
    costs = np.array([0.0, 0.5, 1.0, 0.0, 0.0])
    # the dearer parallel edge and the loop go; zero-cost edges tie and stay
    assert shorter_path_edges(3, edges, costs).tolist() == [False, True, True, False, False]


def test_shorter_path_uses_long_paths_through_hubs():
    # a star around hub 0 with cheap spokes; the rim edges 1-2, 2-3 cost more than the
    # two spokes; the rim edge 3-4 is cheaper than its detour
    edges = np.array([[0, 1], [0, 2], [0, 3], [0, 4], [1, 2], [2, 3], [3, 4]])
    costs = np.array([0.1, 0.1, 0.1, 0.1, 0.3, 0.19, 0.2])
    assert shorter_path_edges(5, edges, costs).tolist() == [
        False, False, False, False, True, False, False,
    ]  # fmt: skip


@pytest.mark.parametrize("rooted", [True, False])
def test_shorter_path_never_changes_the_optimum(rooted):
    """Brute force on the instance with and without the removed edges: equal optima."""
    rng = np.random.default_rng(17 if rooted else 18)
    removed_any = 0
    for _ in range(30):
        edges_df, prizes = random_instance(rng, int(rng.integers(5, 11)), 0.5)
        names, costs, node_prizes = augment(
            edges_df, prizes, w=float(rng.uniform(0.5, 3.0)), b=1.0, g=None
        )
        # random costs make many triangles with a long side
        costs = {pair: float(rng.uniform(0.1, 2.0)) for pair in costs}
        pairs = np.array(list(costs), dtype=np.int64)
        values = np.array(list(costs.values()))
        root = len(names) - 1 if rooted else None
        best = optimum(len(names), costs, node_prizes, root=root)
        drop = shorter_path_edges(len(names), pairs, values)
        removed_any += int(drop.sum())
        kept = {pair: c for pair, c, d in zip(costs, values, drop, strict=True) if not d}
        assert optimum(len(names), kept, node_prizes, root=root) == pytest.approx(best)
        # and the exact solver, whose reductions include the test, finds the optimum
        sol = solve_exact(pairs, values, np.array(node_prizes), root=-1 if root is None else root)
        assert sol.optimal and sol.objective == pytest.approx(best, abs=1e-9)
    assert removed_any > 10  # the test did bite on these graphs


def test_reductions_log_the_shorter_path_test():
    edges = np.array([[0, 1], [1, 2], [2, 3], [1, 4], [0, 3]])
    costs = np.array([1.0, 0.5, 0.5, 0.1, 5.0])
    prizes = np.array([0.0, 2.0, 0.0, 2.0, 0.0])
    red = reduce_instance(edges, costs, prizes, root=0)
    # 0-3 (5.0) loses to 0-1-2-3 (2.0); then 3 is a terminal leaf behind the chain 1-2-3
    assert red.log["shorter_path"] == 1
    assert sorted(red.nodes.tolist()) == [0, 1, 3]


def test_compose_maps_back_to_the_original_instance():
    rng = np.random.default_rng(3)
    for _ in range(15):
        pairs, values, prize_array, root, best = _rooted_case(rng)
        outer = reduce_instance(pairs, values, prize_array, root=root)
        inner = reduce_instance(
            outer.edges, outer.costs, outer.prizes, root=outer.root,
            upper_bound=best - outer.offset, path_test=False,
        )  # fmt: skip
        both = compose(outer, inner)
        assert both.lower_bound <= best + 1e-9
        assert both.n_original_edges == len(pairs)
        # every reduced edge stands for original edges of the same total cost
        for i, origin in enumerate(both.edge_origin):
            assert values[origin].sum() == pytest.approx(both.costs[i])
        # the reduced optimum plus the offset is the original optimum
        sol = solve_exact(both.edges, both.costs, both.prizes, root=both.root, reduce=False)
        assert sol.objective + both.offset == pytest.approx(best, abs=1e-9)
        nodes, chosen = both.expand(sol.edges, sol.nodes, pairs)
        value = values[chosen].sum() + prize_array.sum() - prize_array[nodes].sum()
        assert value == pytest.approx(best, abs=1e-9)


def test_dual_ascent_cuts_separate_the_root_from_their_terminal():
    """Every recorded cut meets every root-terminal path of the arborescence problem, so
    ``x(cut) ≥ y_t`` holds for every tree; the cuts' dual values add up to the bound."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import breadth_first_order

    from omicsnet.networks.pcsf_reduce import _sap_arcs, dual_ascent

    rng = np.random.default_rng(5)
    for _ in range(10):
        pairs, values, prize_array, root, best = _rooted_case(rng, (6, 12), 0.4)
        tail, head, cost, _, copies = _sap_arcs(pairs, values, prize_array, root)
        n_sap = len(prize_array) + len(copies)
        record: list = []
        bound, _, _ = dual_ascent(tail, head, cost, n_sap, root, copies, record=record)
        assert record and bound <= best + 1e-9
        for terminal_copy, cut in record:
            keep = np.ones(len(tail), dtype=bool)
            keep[cut] = False
            graph = sp.csr_matrix(
                (np.ones(int(keep.sum())), (tail[keep], head[keep])), shape=(n_sap, n_sap)
            )
            reached = breadth_first_order(graph, root, directed=True, return_predecessors=False)
            assert terminal_copy not in set(reached.tolist())


@pytest.mark.parametrize("da_cuts", [True, False])
def test_exact_with_and_without_dual_ascent_cuts(monkeypatch, da_cuts):
    import omicsnet.networks.pcsf_exact as exact_module

    monkeypatch.setattr(exact_module, "DA_CUTS", da_cuts)
    rng = np.random.default_rng(21)
    for _ in range(10):
        pairs, values, prize_array, root, best = _rooted_case(rng, (6, 12), 0.4, w=1.5)
        sol = solve_exact(pairs, values, prize_array, root=root, reduce=False)
        assert sol.optimal and sol.objective == pytest.approx(best, abs=1e-9)
        assert ("dual_ascent_cuts" in sol.info) == da_cuts


def test_ascend_and_prune_gets_the_guide_subgraph_and_never_makes_things_worse():
    rng = np.random.default_rng(33)
    called = 0
    for _ in range(12):
        pairs, values, prize_array, root, best = _rooted_case(rng, (6, 12), 0.4)
        seen: list[np.ndarray] = []

        def root_alone(subset, seen=seen, root=root):
            seen.append(subset)
            return np.array([root]), np.zeros(0, dtype=np.int64)

        # a poor warm start (the root alone) and a heuristic that offers the same
        warm = (np.array([root]), np.zeros(0, dtype=np.int64))
        sol = solve_exact(
            pairs, values, prize_array, root=root, warm_start=warm, heuristic=root_alone
        )
        assert sol.optimal and sol.objective == pytest.approx(best, abs=1e-9)
        if seen:
            called += 1
            subset = seen[0]
            assert len(subset) and subset.min() >= 0 and subset.max() < len(pairs)
            assert sol.guide_edges is not None and set(sol.guide_edges) == set(subset)
            lonely = prize_array.sum() - prize_array[root]
            assert sol.info["ascend_prune_objective"] == pytest.approx(lonely)
    assert called >= 6


def test_solve_pcsf_exact_uses_ascend_and_prune():
    from omicsnet.networks.pcsf import solve_pcsf

    for seed in range(3):
        edges_df, prizes = random_instance(np.random.default_rng(seed), 12, 0.35)
        result = solve_pcsf(edges_df, prizes, w=2.0, g=None, solver="exact")
        # the heuristic ran on the dual ascent's subgraph and its forest is a real one
        found = result.solve_info["ascend_prune_objective"]
        assert result.objective <= found + 1e-9
        names, costs, node_prizes = augment(edges_df, prizes, w=2.0, b=1.0, g=None)
        best = optimum(len(names), costs, node_prizes, root=len(names) - 1)
        assert result.objective == pytest.approx(best, abs=1e-9) and found >= best - 1e-9
