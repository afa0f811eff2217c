"""The exact PCSF solver and the improvement pass against brute force on small graphs."""

from __future__ import annotations

import logging
import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from omicsnet.errors import ConfigError
from omicsnet.networks.pcsf import solve_pcsf, write_graphml
from omicsnet.networks.pcsf_exact import solve_exact
from omicsnet.networks.pcsf_improve import improve_forest
from omicsnet.networks.pcsf_reduce import dual_ascent_bound, reduce_instance

from .bruteforce import augment, optimum, random_instance


def _check_forest(result) -> None:
    """The result's edges form a forest over exactly its selected nodes."""
    if not result.selected:
        assert result.edges.empty and result.n_trees == 0
        return
    forest = nx.Graph()
    forest.add_nodes_from(result.selected)
    forest.add_edges_from(result.edges[["source", "target"]].itertuples(index=False))
    assert set(forest.nodes) == set(result.selected)
    assert nx.is_forest(forest)
    assert nx.number_connected_components(forest) == result.n_trees


def _brute(edges, prizes, *, w, b, g, rooted, num_clusters=1, dummy=True):
    names, costs, node_prizes = augment(edges, prizes, w=w, b=b, g=g, dummy=dummy)
    root = len(names) - 1 if rooted else None
    return optimum(len(names), costs, node_prizes, root=root, max_trees=num_clusters)


CASES = [
    # (rooted, g, negative prizes, num_clusters, dummy)
    (True, None, False, 1, True),
    (True, 0.0, False, 1, True),
    (True, None, True, 1, True),
    (False, None, False, 1, True),
    (False, -1.0, True, 1, True),
    (False, None, False, 2, False),
]


@pytest.mark.parametrize(("rooted", "g", "negative", "clusters", "dummy"), CASES)
def test_exact_equals_brute_force(rooted, g, negative, clusters, dummy):
    rng = np.random.default_rng(100 + CASES.index((rooted, g, negative, clusters, dummy)))
    fast_worse = 0
    for trial in range(14):
        n = int(rng.integers(4, 11)) if trial < 12 else 13  # two instances of 13 nodes
        edges, prizes = random_instance(rng, n, float(rng.uniform(0.25, 0.6)))
        if negative:
            names = sorted(set(edges["source"]) | set(edges["target"]))
            for name in rng.choice(names, 2, replace=False):
                prizes[str(name)] = -float(rng.uniform(0.1, 1.5))
        w = float(rng.choice([0.5, 1.0, 2.0, 4.0]))
        b = float(rng.choice([1.0, 2.0]))
        kwargs = dict(w=w, b=b, g=g, rooted=rooted, num_clusters=clusters)
        if not dummy:
            kwargs["dummy_mode"] = "none"
        expected = _brute(edges, prizes, w=w, b=b, g=g, rooted=rooted, num_clusters=clusters,
                          dummy=dummy)  # fmt: skip
        exact = solve_pcsf(edges, prizes, solver="exact", **kwargs)
        assert exact.objective == pytest.approx(expected, abs=1e-7), (trial, edges, prizes)
        assert exact.optimal and exact.gap == pytest.approx(0.0, abs=1e-9)
        assert exact.bound == pytest.approx(expected, abs=1e-7)
        assert exact.solver == "exact"
        _check_forest(exact)
        fast = solve_pcsf(edges, prizes, solver="fast", improve=False, **kwargs)
        improved = solve_pcsf(edges, prizes, solver="fast", improve=True, **kwargs)
        assert expected - 1e-9 <= improved.objective <= fast.objective + 1e-9
        _check_forest(improved)
        fast_worse += fast.objective > expected + 1e-9
    del fast_worse  # how often pcst_fast misses is measured in the benchmark


def test_exact_objective_recomputed_from_the_tables():
    """Rooted: edge solver costs + w per tree + prizes left out = the objective."""
    rng = np.random.default_rng(5)
    for _ in range(10):
        edges, prizes = random_instance(rng, 9, 0.4)
        w, b = 1.5, 2.0
        result = solve_pcsf(edges, prizes, w=w, b=b, g=None, solver="exact")
        chosen = set(result.selected)
        missed = sum(b * p for name, p in prizes.items() if p > 0 and name not in chosen)
        recomputed = result.edges["solver_cost"].sum() + w * result.n_trees + missed
        assert recomputed == pytest.approx(result.objective, abs=1e-9)


def test_pcst_fast_misses_two_cheap_trees():
    # A and D are worth 5 each; the path A-B-C-D costs 3 and each tree costs w = 2:
    # two lone trees (4) beat the joined tree (3 + 2 = 5), which is what pcst_fast returns
    edges = pd.DataFrame(
        {"source": ["A", "B", "C", "A"], "target": ["B", "C", "D", "D"], "cost": [1, 1, 1, 10.0]}
    )
    fast = solve_pcsf(edges, {"A": 5.0, "D": 5.0}, w=2.0, g=None, solver="fast", improve=False)
    assert fast.objective == pytest.approx(5.0) and math.isnan(fast.gap) and not fast.optimal
    improved = solve_pcsf(edges, {"A": 5.0, "D": 5.0}, w=2.0, g=None, solver="fast")
    exact = solve_pcsf(edges, {"A": 5.0, "D": 5.0}, w=2.0, g=None, solver="exact")
    assert exact.objective == pytest.approx(4.0) and exact.n_trees == 2
    assert sorted(exact.selected) == ["A", "D"] and exact.edges.empty
    assert improved.objective == pytest.approx(4.0)  # re-spanning swaps the path for w
    auto = solve_pcsf(edges, {"A": 5.0, "D": 5.0}, w=2.0, g=None)
    assert auto.solver == "exact" and auto.optimal


def test_improvement_never_worse_than_pcst_fast():
    rng = np.random.default_rng(21)
    better = 0
    for trial in range(60):
        edges, prizes = random_instance(rng, int(rng.integers(5, 15)), 0.35)
        rooted = trial % 2 == 0
        kwargs = dict(w=float(rng.choice([0.5, 1.0, 3.0])), g=None, rooted=rooted)
        fast = solve_pcsf(edges, prizes, solver="fast", improve=False, **kwargs)
        improved = solve_pcsf(edges, prizes, solver="fast", improve=True, **kwargs)
        assert improved.objective <= fast.objective + 1e-9
        better += improved.objective < fast.objective - 1e-9
        _check_forest(improved)
    assert better >= 3  # it does find improvements on generated graphs


def test_improve_forest_repairs_a_bad_tree_and_keeps_a_good_one():
    # a cycle 0-1-2-3-0 and a cheap chord 0-2; the bad tree goes round the cycle
    edges = np.array([[0, 1], [1, 2], [2, 3], [3, 0], [0, 2]])
    costs = np.array([2.0, 2.0, 2.0, 2.0, 0.5])
    prizes = np.array([3.0, 0.0, 3.0, 0.5])
    nodes, chosen, value = improve_forest(
        edges, costs, prizes, np.array([0, 1, 2, 3]), np.array([0, 1, 2]), root=-1
    )
    assert chosen.tolist() == [4] and nodes.tolist() == [0, 2] and value == pytest.approx(1.0)
    again = improve_forest(edges, costs, prizes, nodes, chosen, root=-1)
    assert again[2] == pytest.approx(1.0) and again[1].tolist() == [4]


def test_reductions_keep_the_optimum_and_the_bound_is_valid():
    rng = np.random.default_rng(8)
    for trial in range(25):
        edges_df, prizes = random_instance(rng, int(rng.integers(5, 12)), 0.3)
        names, costs, node_prizes = augment(edges_df, prizes, w=2.0, b=1.0, g=None)
        pairs = np.array(list(costs), dtype=np.int64)
        cost_array = np.array(list(costs.values()))
        prize_array = np.array(node_prizes)
        root = len(names) - 1
        best = optimum(len(names), costs, node_prizes, root=root)
        assert dual_ascent_bound(pairs, cost_array, prize_array, root) <= best + 1e-9
        # with the optimum as upper bound, every optimal solution survives the tests
        red = reduce_instance(pairs, cost_array, prize_array, root=root, upper_bound=best)
        assert red.lower_bound <= best + 1e-9
        assert red.n_nodes <= len(names) and red.n_edges <= len(pairs)
        for reduce in (True, False):
            sol = solve_exact(pairs, cost_array, prize_array, root=root, reduce=reduce)
            assert sol.objective == pytest.approx(best, abs=1e-9), (trial, reduce)
            assert sol.optimal


def test_degree_reductions_on_a_known_graph():
    # root 0; 1-2-3 is a chain through prize-less 2; 4 is a prize-less leaf
    edges = np.array([[0, 1], [1, 2], [2, 3], [1, 4], [0, 3]])
    costs = np.array([1.0, 0.5, 0.5, 0.1, 5.0])
    prizes = np.array([0.0, 2.0, 0.0, 2.0, 0.0])
    red = reduce_instance(edges, costs, prizes, root=0, path_test=False)
    assert red.log == {"degree_0_1": 1, "degree_2": 1}
    assert sorted(red.nodes.tolist()) == [0, 1, 3]
    merged = [i for i, origin in enumerate(red.edge_origin) if len(origin) == 2]
    assert len(merged) == 1 and red.costs[merged[0]] == pytest.approx(1.0)
    nodes, chosen = red.expand(np.array(merged), original_edges=edges)
    assert nodes.tolist() == [1, 2, 3] and chosen.tolist() == [1, 2]


def _scale_free_instance(
    seed: int, n: int, n_prizes: int, *, graph_seed: int
) -> tuple[pd.DataFrame, dict[str, float]]:
    """A Barabási–Albert interactome (m=3) with costs in [0.2, 1] and prizes in [0.5, 2]."""
    rng = np.random.default_rng(seed)
    graph = nx.barabasi_albert_graph(n, 3, seed=graph_seed)
    edges = pd.DataFrame(
        [(f"g{u}", f"g{v}", float(rng.uniform(0.2, 1.0))) for u, v in graph.edges],
        columns=["source", "target", "cost"],
    )
    holders = rng.choice(n, n_prizes, replace=False)
    return edges, {f"g{v}": float(rng.uniform(0.5, 2.0)) for v in holders}


def test_time_limit_gives_a_valid_forest_and_a_certified_bound():
    edges, prizes = _scale_free_instance(3, 400, 60, graph_seed=1)
    result = solve_pcsf(edges, prizes, w=3.0, g=None, solver="exact", time_limit=2.0)
    assert result.solve_info["seconds"] < 30
    assert result.bound <= result.objective + 1e-9 and result.gap >= 0
    assert result.optimal == (result.gap <= 1e-9)
    fast = solve_pcsf(edges, prizes, w=3.0, g=None, solver="fast", improve=False)
    assert result.objective <= fast.objective + 1e-9  # started from pcst_fast's forest
    assert result.solve_info["reduced_nodes"] <= result.solve_info["original_nodes"]
    _check_forest(result)


def test_too_large_for_branch_and_cut_gives_restarts_a_bound_and_the_same_forest(monkeypatch):
    """Above EXACT_MAX_EDGES the exact solver returns the best of the improved forest,
    ascend-and-prune and MAX_RESTARTS seeded restarts, with the dual-ascent bound: never
    worse than the improved pcst_fast forest, and the same forest on every run."""
    import omicsnet.networks.pcsf as pcsf_module
    import omicsnet.networks.pcsf_exact as exact_module

    monkeypatch.setattr(exact_module, "EXACT_MAX_EDGES", 10)
    monkeypatch.setattr(pcsf_module, "MAX_RESTARTS", 4)
    edges, prizes = _scale_free_instance(8, 300, 40, graph_seed=2)
    runs = [
        solve_pcsf(edges, prizes, w=3.0, g=None, solver="exact", time_limit=60.0) for _ in range(2)
    ]
    improved = solve_pcsf(edges, prizes, w=3.0, g=None, solver="fast", improve=True)
    for result in runs:
        assert result.solve_info["status"] == "too_large"
        assert result.solve_info["restarts"] == 4
        assert result.solve_info["recombination_rounds"] >= 1
        assert result.objective <= improved.objective + 1e-9
        assert result.bound <= result.objective + 1e-9
        assert result.optimal == (result.gap <= 1e-9)
        _check_forest(result)
    assert runs[0].selected == runs[1].selected and runs[0].objective == runs[1].objective


def test_recombination_finds_the_optimum_inside_the_union_of_its_forests():
    """Recombination solves the subgraph spanned by the forests' nodes exactly: with a
    pool whose union holds every node the root can reach, it returns the brute-force
    optimum, never worse than the best forest put in."""
    import time

    import scipy.sparse as sp
    from scipy.sparse.csgraph import breadth_first_order

    import omicsnet.networks.pcsf as pcsf_module

    from .test_pcsf_reduce import _rooted_case

    rng = np.random.default_rng(17)
    improved_somewhere = False
    for _ in range(8):
        pairs, values, prize_array, root, best = _rooted_case(rng, (7, 12), 0.35)
        instance = pcsf_module._Instance(
            edges=pairs, costs=values, prizes=prize_array, root=root, num_clusters=1,
            n_nodes=len(prize_array) - 1, n_edges=len(pairs),
        )  # fmt: skip
        fast_nodes, fast_edges = pcsf_module._raw_solve(instance, "strong")
        fast = pcsf_module._split(instance, fast_nodes, fast_edges)[2]
        # a poor forest over everything the root reaches: a breadth-first spanning tree
        n = len(prize_array)
        adj = sp.coo_matrix((np.arange(1, len(pairs) + 1), (pairs[:, 0], pairs[:, 1])), (n, n))
        adj = (adj + adj.T).tocsr()
        order, pred = breadth_first_order(adj, root, directed=False)
        tree = [int(adj[pred[v], v]) - 1 for v in order[1:]]
        span = (pcsf_module._split(instance, order, np.array(tree))[2], order, np.array(tree))
        info: dict = {}
        nodes, chosen = pcsf_module._recombine(
            instance, "strong", [(fast, fast_nodes, fast_edges), span],
            deadline=time.perf_counter() + 30.0, info=info,
        )  # fmt: skip
        value = pcsf_module._split(instance, nodes, chosen)[2]
        assert value == pytest.approx(best, abs=1e-9) and value <= fast + 1e-9
        assert info["recombination_rounds"] >= 1
        improved_somewhere |= value < fast - 1e-9
    assert improved_somewhere  # the cases include ones pcst_fast gets wrong


def test_lp_guided_heuristic_runs_on_the_lp_support_during_branch_and_cut():
    edges, prizes = _scale_free_instance(4, 400, 60, graph_seed=1)
    result = solve_pcsf(edges, prizes, w=3.0, g=None, solver="exact", time_limit=30.0)
    info = result.solve_info
    assert info["branch_and_cut"] and info["lp_heuristic_seconds"] > 0
    # its forests are valid ones of the instance: never below the proven optimum
    assert result.optimal and info["lp_heuristic_objective"] >= result.objective - 1e-9
    _check_forest(result)


def test_gap_is_written_to_graphml(tmp_path):
    edges = pd.DataFrame({"source": ["A", "B"], "target": ["B", "C"], "cost": [1.0, 1.0]})
    result = solve_pcsf(edges, {"A": 4.0, "C": 4.0}, g=None, solver="exact")
    back = nx.read_graphml(write_graphml(result, tmp_path / "f.graphml"))
    assert back.graph["optimal"] is True and back.graph["gap"] == 0.0
    assert back.graph["solver"] == "exact" and back.graph["objective"] == result.objective
    assert "gap 0%" in repr(result)


def test_solver_validation():
    edges = pd.DataFrame({"source": ["A"], "target": ["B"], "cost": [1.0]})
    with pytest.raises(ConfigError, match="solver"):
        solve_pcsf(edges, {"A": 1.0}, solver="magic")
    with pytest.raises(ConfigError, match="time_limit"):
        solve_pcsf(edges, {"A": 1.0}, time_limit=-1)


@pytest.mark.parametrize("mode", ["all", "others", "list"])
def test_exact_with_other_dummy_modes(mode):
    """The dummy joined to every node, to the prize-less ones, or to a given list."""
    rng = np.random.default_rng({"all": 1, "others": 2, "list": 3}[mode])
    for _ in range(8):
        edges, prizes = random_instance(rng, int(rng.integers(4, 10)), 0.4)
        names, costs, node_prizes = augment(edges, prizes, w=1.5, b=1.0, g=None, dummy=True)
        n = len(names) - 1
        # rebuild the dummy edges for this mode
        costs = {k: c for k, c in costs.items() if k[1] != n}
        if mode == "all":
            joined = list(range(n))
        elif mode == "others":
            joined = [i for i in range(n) if node_prizes[i] <= 0]
        else:
            joined = sorted(rng.choice(n, 2, replace=False).tolist())
        for i in joined:
            costs[(i, n)] = 1.5
        expected = optimum(n + 1, costs, node_prizes, root=n)
        dummy_mode = [names[i] for i in joined] if mode == "list" else mode
        result = solve_pcsf(edges, prizes, w=1.5, g=None, dummy_mode=dummy_mode, solver="exact")
        assert result.objective == pytest.approx(expected, abs=1e-7)
        assert result.optimal


def test_randomisation_reruns_use_the_improvement_pass():
    # pcst_fast joins A and D through B-C (3 + w=2); the improved forest is two lone trees
    # (2 + 2); with zero noise every robustness rerun sees the same costs
    edges = pd.DataFrame(
        {"source": ["A", "B", "C", "A"], "target": ["B", "C", "D", "D"], "cost": [1, 1, 1, 10.0]}
    )
    prizes = {"A": 5.0, "D": 5.0}
    kwargs = dict(w=2.0, g=None, solver="fast", robustness=3, noise=0.0, workers=1)
    plain = solve_pcsf(edges, prizes, improve=False, progress=False, **kwargs)
    improved = solve_pcsf(edges, prizes, improve=True, progress=False, **kwargs)
    assert plain.nodes.set_index("node").loc["B", "robustness"] == 1.0
    assert "B" not in set(improved.nodes["node"])  # never selected, in no rerun
    assert improved.nodes.set_index("node").loc["A", "robustness"] == 1.0


def test_specificity_reruns_improve_on_their_own_dummy_edges(monkeypatch, caplog):
    # specificity reruns move the prizes, so the dummy root's edges differ from rerun to
    # rerun: the improvement pass must see each rerun's own graph (a cached sparse graph of
    # another rerun made it skip every forest as "not a valid forest")
    from omicsnet.networks import pcsf as pcsf_module

    from .test_pcsf_resume import random_interactome

    edges, prizes = random_interactome(n=300, n_edges=1200, n_prizes=20, seed=3)
    kwargs = dict(w=3.0, g=None, solver="fast", specificity=6, seed=1, workers=1, progress=False)
    with caplog.at_level(logging.WARNING, logger="omicsnet.networks.pcsf_improve"):
        cached = solve_pcsf(edges, prizes, **kwargs)
    assert "not a valid forest" not in caplog.text
    original = pcsf_module._Replicator.run

    def fresh(self, kind, seed):
        self._forest_cache.clear()  # every rerun builds its graph from scratch
        return original(self, kind, seed)

    monkeypatch.setattr(pcsf_module._Replicator, "run", fresh)
    rebuilt = solve_pcsf(edges, prizes, **kwargs)
    pd.testing.assert_frame_equal(cached.nodes, rebuilt.nodes)
