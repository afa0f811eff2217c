"""Prize-collecting Steiner forests: known answers, brute-force optimality, reporting,
rooted vs unrooted, negative prizes, randomisations and export."""

from __future__ import annotations

import logging
import math
from itertools import combinations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from omicsnet.errors import ConfigError, DataError
from omicsnet.networks import pcsf as pcsf_module
from omicsnet.networks.pcsf import (
    PreparedGraph,
    SolverError,
    check_solver,
    prepare_graph,
    read_prizes,
    solve_pcsf,
    to_networkx,
    write_graphml,
)

IREF = "networks/irefindex_v14/iRefIndex_v14_MIScore_interactome_C9.costs.txt.gz"
PRIZES = "networks/irefindex_v14/example_prizes.tsv"


def edge_table(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["source", "target", "cost"])


# --------------------------------------------------------------------------------------
# Brute force on the GW objective that pcst_fast minimises
# --------------------------------------------------------------------------------------


def augmented_instance(
    edges: pd.DataFrame,
    prizes: dict[str, float],
    *,
    w: float,
    b: float,
    g: float | None,
    dummy_to: list[str],
) -> tuple[list[str], dict[tuple[int, int], float], list[float], int]:
    """Build the OI2 augmented instance independently of the code under test.

    Returns node names (dummy last), ``{(i, j): cost}`` with i < j, prizes, dummy index.
    """
    graph = nx.Graph()
    for s, t, c in edges.itertuples(index=False):
        graph.add_edge(str(s), str(t), cost=float(c))
    names = sorted(graph.nodes)
    pos = {name: i for i, name in enumerate(names)}
    n = len(names)
    costs: dict[tuple[int, int], float] = {}
    for s, t, data in graph.edges(data=True):
        c = data["cost"]
        if g is not None:
            du, dv = graph.degree(s), graph.degree(t)
            c += 10**g * du * dv / ((n - du - 1) * (n - dv - 1) + du * dv)
        costs[tuple(sorted((pos[s], pos[t])))] = c
    dummy = n
    for name in dummy_to:
        costs[(pos[name], dummy)] = w
    node_prizes = [max(0.0, b * prizes.get(name, 0.0)) for name in names] + [0.0]
    return [*names, "__dummy__"], costs, node_prizes, dummy


def mst_cost(nodes: list[int], costs: dict[tuple[int, int], float]) -> float:
    """Cost of a minimum spanning tree of the subgraph induced by ``nodes`` (inf if
    disconnected), by Prim's algorithm."""
    if len(nodes) == 1:
        return 0.0
    inside = {nodes[0]}
    best = {v: costs.get(tuple(sorted((nodes[0], v))), math.inf) for v in nodes[1:]}
    total = 0.0
    while best:
        v = min(best, key=best.__getitem__)
        if best[v] == math.inf:
            return math.inf
        total += best.pop(v)
        inside.add(v)
        for u in best:
            c = costs.get(tuple(sorted((u, v))), math.inf)
            if c < best[u]:
                best[u] = c
    return total


def brute_force_optimum(
    n: int, costs: dict[tuple[int, int], float], prizes: list[float], root: int | None
) -> float:
    """min over connected node sets S (containing ``root`` if given) of
    MST(S) + prizes outside S: the PCST optimum (a best tree spans some S and is then
    an MST of the subgraph induced by S)."""
    total = sum(prizes)
    best = math.inf
    others = [v for v in range(n) if v != root]
    for size in range(0 if root is not None else 1, len(others) + 1):
        for subset in combinations(others, size):
            nodes = [root, *subset] if root is not None else list(subset)
            value = mst_cost(nodes, costs) + total - sum(prizes[v] for v in nodes)
            best = min(best, value)
    return best


def objective_from_tables(result, costs_by_name, prizes_scaled, w) -> float:
    """GW objective recomputed from the result's tables (not from result.objective)."""
    chosen = set(result.selected)
    edge_cost = sum(result.edges["solver_cost"])
    # a rooted forest hangs from the dummy by one edge per tree
    dummy_cost = w * result.n_trees
    missed = sum(p for name, p in prizes_scaled.items() if name not in chosen)
    for row in result.edges.itertuples():
        key = tuple(sorted((row.source, row.target)))
        assert row.solver_cost == pytest.approx(costs_by_name[key])
    return edge_cost + dummy_cost + missed


def random_forest_instance(rng: np.random.Generator) -> tuple[pd.DataFrame, dict, list[str]]:
    """A random forest (1-3 trees, <= 9 nodes in all), prizes on random nodes, and one
    chosen node per tree for the dummy: the augmented graph is then itself a tree."""
    n_trees = int(rng.integers(1, 4))
    sizes = rng.integers(2, 9 // n_trees + 1, size=n_trees)
    rows, prizes, anchors, offset = [], {}, [], 0
    for size in sizes.tolist():
        names = [f"n{offset + i}" for i in range(size)]
        tree = nx.random_labeled_tree(size, seed=int(rng.integers(2**31)))
        rows += [(names[u], names[v], float(rng.uniform(0.1, 2.0))) for u, v in tree.edges]
        for name in names:
            if rng.random() < 0.6:
                prizes[name] = float(rng.uniform(0.0, 3.0))
        anchors.append(names[int(rng.integers(size))])
        offset += size
    return edge_table(rows), prizes, anchors


# --------------------------------------------------------------------------------------
# (a) known answers: guards against the broken pcst_fast wheel
# --------------------------------------------------------------------------------------


def test_solver_known_answer():
    assert check_solver() is True
    # A - B - C - D with prizes on A and D, plus an expensive shortcut A - D
    edges = edge_table([("A", "B", 1.0), ("B", "C", 1.0), ("C", "D", 1.0), ("A", "D", 10.0)])
    result = solve_pcsf(edges, {"A": 5.0, "D": 5.0}, w=2.0, g=None, solver="fast", improve=False)
    assert result.selected, "pcst_fast returned an empty forest on a known instance"
    assert sorted(result.selected) == ["A", "B", "C", "D"]
    assert sorted(result.hidden) == ["B", "C"]
    assert sorted(map(tuple, result.edges[["source", "target"]].values)) == [
        ("A", "B"),
        ("B", "C"),
        ("C", "D"),
    ]
    assert result.n_trees == 1
    assert result.objective == pytest.approx(3.0 + 2.0)  # three edges + one dummy edge


def test_broken_solver_is_refused(monkeypatch):
    def all_zero_solver(edges, prizes, costs, root, num_clusters, pruning, verbosity):
        return np.zeros(3, dtype=np.int64), np.zeros(2, dtype=np.int64)

    monkeypatch.setattr(pcsf_module, "_pcst_fast", lambda: all_zero_solver)
    check_solver.cache_clear()
    try:
        with pytest.raises(SolverError, match="no-binary"):
            check_solver()
        with pytest.raises(SolverError):
            solve_pcsf(edge_table([("A", "B", 1.0)]), {"A": 1.0})
    finally:
        check_solver.cache_clear()
    monkeypatch.undo()
    assert check_solver() is True


# --------------------------------------------------------------------------------------
# (b) optimality against brute force
# --------------------------------------------------------------------------------------


def test_objective_equals_brute_force_on_forests():
    """Rooted at the dummy, with the dummy joined to one node of each tree of a forest, the
    augmented graph is a tree; there pcst_fast with strong pruning was exact on every one of
    2,000 random instances we tried, so equality is asserted."""
    rng = np.random.default_rng(7)
    for trial in range(60):
        edges, prizes, anchors = random_forest_instance(rng)
        w = float(rng.choice([0.5, 1.0, 2.0, 4.0]))
        b = float(rng.choice([0.5, 1.0, 2.0]))
        g = [None, -1.0, 0.0][trial % 3]
        names, costs, node_prizes, dummy = augmented_instance(
            edges, prizes, w=w, b=b, g=g, dummy_to=anchors
        )
        optimum = brute_force_optimum(len(names), costs, node_prizes, dummy)
        result = solve_pcsf(
            edges, prizes, w=w, b=b, g=g, dummy_mode=anchors, solver="fast", improve=False
        )
        assert result.objective == pytest.approx(optimum, abs=1e-9), (trial, edges, prizes)
        costs_by_name = {
            tuple(sorted((names[i], names[j]))): c for (i, j), c in costs.items() if j != dummy
        }
        scaled = {name: b * p for name, p in prizes.items() if p > 0}
        recomputed = objective_from_tables(result, costs_by_name, scaled, w)
        assert recomputed == pytest.approx(optimum, abs=1e-9)


@pytest.mark.parametrize("rooted", [True, False])
@pytest.mark.parametrize("pruning", ["strong", "gw"])
def test_objective_within_twice_brute_force(rooted, pruning):
    """On general small graphs pcst_fast is a 2-approximation: OPT <= ours <= 2 OPT."""
    rng = np.random.default_rng(11 + rooted + 2 * (pruning == "gw"))
    exact = 0
    for trial in range(30):
        n = int(rng.integers(3, 9))
        graph = nx.gnp_random_graph(n, 0.45, seed=int(rng.integers(2**31)))
        if graph.number_of_edges() == 0:
            graph.add_edge(0, 1)
        edges = edge_table(
            [(f"v{u}", f"v{v}", float(rng.uniform(0.1, 2.0))) for u, v in graph.edges]
        )
        nodes = sorted(set(edges["source"]) | set(edges["target"]))
        prizes = {x: float(rng.uniform(0.0, 3.0)) for x in nodes if rng.random() < 0.6}
        w = float(rng.choice([0.5, 1.0, 2.0, 4.0]))
        g = [None, 0.0][trial % 2]
        result = solve_pcsf(
            edges, prizes, w=w, g=g, rooted=rooted, pruning=pruning, solver="fast", improve=False
        )
        terminals = [x for x in nodes if prizes.get(x, 0.0) > 0]
        names, costs, node_prizes, dummy = augmented_instance(
            edges, prizes, w=w, b=1.0, g=g, dummy_to=terminals
        )
        optimum = brute_force_optimum(len(names), costs, node_prizes, dummy if rooted else None)
        assert optimum - 1e-9 <= result.objective <= 2 * optimum + 1e-9
        exact += abs(result.objective - optimum) < 1e-9
    assert exact >= 10  # mostly optimal in practice


# --------------------------------------------------------------------------------------
# (c) reporting of prizes that are not in the graph
# --------------------------------------------------------------------------------------


def test_missing_and_duplicated_prizes_are_reported(caplog):
    edges = edge_table([("A", "B", 1.0), ("B", "C", 1.0)])
    prizes = pd.Series([3.0, 1.0, 2.0, 4.0], index=["A", "GHOST", "C", "A"])
    with caplog.at_level(logging.WARNING, logger="omicsnet.networks.pcsf"):
        result = solve_pcsf(edges, prizes, g=None, w=1.0)
    assert result.missing_prizes == ["GHOST"]
    assert "GHOST" in caplog.text and "not nodes of the graph" in caplog.text
    assert "several prizes" in caplog.text
    table = result.nodes.set_index("node")
    assert table.loc["A", "prize"] == 4.0  # the largest duplicate wins, as in OI2
    assert "GHOST" not in table.index


def test_input_validation():
    with pytest.raises(DataError, match="lacks column"):
        prepare_graph(pd.DataFrame({"a": ["A"], "b": ["B"], "cost": [1.0]}))
    with pytest.raises(DataError, match=">= 0"):
        prepare_graph(edge_table([("A", "B", -1.0)]))
    with pytest.raises(DataError, match="non-numeric"):
        prepare_graph(edge_table([("A", "B", float("nan"))]))
    edges = edge_table([("A", "B", 1.0)])
    with pytest.raises(DataError, match="non-numeric"):
        solve_pcsf(edges, pd.Series({"A": "lots"}))
    with pytest.raises(DataError, match="non-numeric"):
        solve_pcsf(edges, {"A": 1.0, "B": "lots"})
    with pytest.raises(DataError, match="not in the graph"):
        solve_pcsf(edges, {"A": 1.0}, dummy_mode=["A", "Z"])
    with pytest.raises(ConfigError, match="pruning"):
        solve_pcsf(edges, {"A": 1.0}, pruning="fancy")
    with pytest.raises(ConfigError, match="w must be"):
        solve_pcsf(edges, {"A": 1.0}, w=-1)


def test_prepare_graph_dedups_and_penalises():
    edges = edge_table(
        [("hub", "a", 1.0), ("a", "hub", 0.5), ("hub", "b", 1.0), ("hub", "c", 1.0),
         ("c", "c", 1.0), ("b", "c", 2.0)]
    )  # fmt: skip
    graph = prepare_graph(edges)
    assert isinstance(graph, PreparedGraph)
    assert graph.n_nodes == 4 and graph.n_edges == 4
    degree = dict(zip(graph.nodes, graph.degrees.tolist(), strict=True))
    assert degree == {"hub": 3, "a": 1, "b": 2, "c": 2}
    pairs = {tuple(sorted(p)): c for *p, c in graph.edge_table[["source", "target", "cost"]].values}
    assert pairs[("a", "hub")] == 0.5  # the cheaper duplicate is kept
    n = 4
    penalised = graph.penalized_costs(2.0)
    for (u, v), cost, new in zip(graph.edges, graph.costs, penalised, strict=True):
        du, dv = graph.degrees[u], graph.degrees[v]
        expected = cost + 100.0 * du * dv / ((n - du - 1) * (n - dv - 1) + du * dv)
        assert new == pytest.approx(expected)
    assert graph.penalized_costs(2.0) is penalised  # cached
    assert np.array_equal(graph.penalized_costs(None), graph.costs)


# --------------------------------------------------------------------------------------
# (d) rooted vs unrooted
# --------------------------------------------------------------------------------------


def test_rooted_vs_unrooted():
    # two separate pairs; an expensive dummy edge (w=100) is never worth paying
    edges = edge_table([("A", "B", 1.0), ("C", "D", 1.0)])
    prizes = {"A": 3.0, "B": 3.0, "C": 2.0, "D": 2.0}
    rooted = solve_pcsf(edges, prizes, w=100.0, g=None)
    assert rooted.selected == [] and rooted.n_trees == 0  # only the dummy root
    assert rooted.objective == pytest.approx(10.0)
    unrooted = solve_pcsf(edges, prizes, w=100.0, g=None, rooted=False)
    assert sorted(unrooted.selected) == ["A", "B"]  # the best single tree, no dummy
    assert unrooted.objective == pytest.approx(1.0 + 4.0)
    two = solve_pcsf(edges, prizes, g=None, rooted=False, num_clusters=2, dummy_mode="none")
    assert sorted(two.selected) == ["A", "B", "C", "D"] and two.n_trees == 2
    # a cheap dummy edge: the rooted forest collects both pairs as two trees
    cheap = solve_pcsf(edges, prizes, w=1.0, g=None)
    assert sorted(cheap.selected) == ["A", "B", "C", "D"] and cheap.n_trees == 2
    with pytest.raises(ConfigError, match="num_clusters"):
        solve_pcsf(edges, prizes, num_clusters=2)
    with pytest.raises(ConfigError, match="rooted=False"):
        solve_pcsf(edges, prizes, dummy_mode="none")


# --------------------------------------------------------------------------------------
# negative prizes
# --------------------------------------------------------------------------------------


def test_negative_prizes():
    # A and B can meet through N (cost 1 + 1) or the detour X - Y (1 + 1 + 1); joining
    # them (one tree, one dummy edge of 4) beats two lone trees (8)
    edges = edge_table(
        [("A", "N", 1.0), ("N", "B", 1.0), ("A", "X", 1.0), ("X", "Y", 1.0), ("Y", "B", 1.0)]
    )
    prizes = {"A": 5.0, "B": 5.0}
    assert "N" in solve_pcsf(edges, prizes, w=4.0, g=None).selected
    penalised = solve_pcsf(edges, {**prizes, "N": -2.0}, w=4.0, g=None)
    assert "N" not in penalised.selected and {"X", "Y"} <= set(penalised.selected)
    # a mild penalty: passing through N costs 1 + 1 + 0.5 < 3 (the detour)
    mild = solve_pcsf(edges, {**prizes, "N": -0.5}, w=4.0, g=None)
    assert "N" in mild.selected and "N" in mild.hidden
    assert sorted(mild.edges["solver_cost"]) == pytest.approx([1.25, 1.25])
    assert mild.objective == pytest.approx(2.5 + 4.0)
    clipped = solve_pcsf(edges, {**prizes, "N": -2.0}, w=4.0, g=None, negative_prizes="clip")
    assert "N" in clipped.selected
    with pytest.raises(DataError, match="negative"):
        solve_pcsf(edges, {**prizes, "N": -2.0}, negative_prizes="error")


# --------------------------------------------------------------------------------------
# (e) randomisations
# --------------------------------------------------------------------------------------


def _grid_instance() -> tuple[pd.DataFrame, dict[str, float]]:
    rng = np.random.default_rng(3)
    graph = nx.grid_2d_graph(6, 6)
    edges = edge_table(
        [(f"{u[0]}_{u[1]}", f"{v[0]}_{v[1]}", float(rng.uniform(0.2, 1.0))) for u, v in graph.edges]
    )
    prizes = {"0_0": 3.0, "5_5": 3.0, "2_3": 2.0, "4_1": 1.5}
    return edges, prizes


@pytest.mark.parametrize("specificity_mode", ["degree_matched", "shuffle"])
def test_randomisations_are_reproducible(specificity_mode):
    edges, prizes = _grid_instance()
    graph = prepare_graph(edges)
    kwargs = dict(w=4.0, g=None, robustness=6, specificity=6, noise=0.3, progress=False)
    kwargs["specificity_mode"] = specificity_mode
    first = solve_pcsf(graph, prizes, seed=5, workers=1, **kwargs)
    again = solve_pcsf(graph, prizes, seed=5, workers=1, **kwargs)
    pd.testing.assert_frame_equal(first.nodes, again.nodes)
    pd.testing.assert_frame_equal(first.edges, again.edges)
    for column in ("robustness", "specificity"):
        values = first.nodes[column]
        assert values.between(0.0, 1.0).all()
        assert set((values * 6).round(9)) <= set(range(7))  # fractions of 6 reruns
    assert first.edges["robustness"].between(0.0, 1.0).all()
    # prize nodes that the forest keeps are found in most noisy reruns
    assert first.nodes.set_index("node").loc["0_0", "robustness"] >= 0.5


def test_randomisations_in_processes_match_serial():
    edges, prizes = _grid_instance()
    graph = prepare_graph(edges)
    kwargs = dict(w=4.0, g=None, robustness=3, specificity=3, noise=0.3, seed=1, progress=False)
    serial = solve_pcsf(graph, prizes, workers=1, **kwargs)
    parallel = solve_pcsf(graph, prizes, workers=2, **kwargs)
    pd.testing.assert_frame_equal(serial.nodes, parallel.nodes)


def test_uniform_noise_and_validation():
    edges, prizes = _grid_instance()
    result = solve_pcsf(
        edges, prizes, g=None, robustness=3, noise_kind="uniform", workers=1, progress=False
    )
    assert "robustness" in result.nodes and result.nodes["specificity"].isna().all()
    with pytest.raises(ConfigError, match="robustness"):
        solve_pcsf(edges, prizes, robustness=-1)
    with pytest.raises(ConfigError, match="noise_kind"):
        solve_pcsf(edges, prizes, robustness=1, noise_kind="pink")


# --------------------------------------------------------------------------------------
# export and readers
# --------------------------------------------------------------------------------------


def test_networkx_and_graphml(tmp_path):
    edges = edge_table([("A", "B", 1.0), ("B", "C", 1.0), ("C", "D", 5.0)])
    edges["kind"] = ["ppi", "metabolic", "ppi"]
    result = solve_pcsf(edges, {"A": 4.0, "C": 4.0}, w=3.0, g=None)
    attributes = pd.DataFrame({"type": ["protein", "metabolite"]}, index=["A", "B"])
    forest = to_networkx(result, node_attributes=attributes)
    assert sorted(forest.nodes) == ["A", "B", "C"]
    assert forest.nodes["B"]["hidden"] is True and forest.nodes["B"]["type"] == "metabolite"
    assert "type" not in forest.nodes["C"]
    assert forest.edges["A", "B"]["kind"] == "ppi" and forest.edges["B", "C"]["cost"] == 1.0
    out = write_graphml(result, tmp_path / "out" / "forest.graphml", node_attributes=attributes)
    back = nx.read_graphml(out)
    assert sorted(back.nodes) == ["A", "B", "C"] and back.nodes["A"]["prize"] == 4.0
    assert not list(out.parent.glob(".*.tmp"))  # written atomically
    from omicsnet.utils.io import OutputExistsError

    with pytest.raises(OutputExistsError):
        write_graphml(result, out, overwrite=False)


def test_read_prizes_reports_bad_values(tmp_path):
    prizes = tmp_path / "prizes.tsv"
    prizes.write_text("name\tprize\textra\nTP53\t2\tx\nMDM2\tbad\ty\n")
    with pytest.raises(DataError, match="MDM2"):
        read_prizes(prizes)


# --------------------------------------------------------------------------------------
# real data
# --------------------------------------------------------------------------------------


@pytest.mark.data
def test_irefindex_example_prizes(shared_data, caplog):
    from omicsnet.knowledge.interactome import read_interactome

    graph = prepare_graph(read_interactome(shared_data / IREF))
    prizes = read_prizes(shared_data / PRIZES)
    assert graph.n_nodes > 15_000 and graph.n_edges > 180_000
    with caplog.at_level(logging.WARNING, logger="omicsnet.networks.pcsf"):
        result = solve_pcsf(graph, prizes, w=5.0, b=1.0, g=3.0)
    assert 400 < len(result.selected) < 900  # ~640 measured
    assert len(result.missing_prizes) == 18 and "not nodes of the graph" in caplog.text
    assert result.nodes["hidden"].sum() > 50
    assert result.n_trees >= 1 and len(result.edges) == len(result.selected) - result.n_trees
