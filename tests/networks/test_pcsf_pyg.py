"""PCSF forests exported to PyTorch Geometric, matching the networkx export."""

from __future__ import annotations

import pandas as pd
import pytest

from omicsnet.errors import ConfigError
from omicsnet.networks.pcsf import solve_pcsf, to_networkx, to_pyg

pytest.importorskip("torch_geometric")


EDGES = pd.DataFrame(
    {"source": ["A", "B", "C", "D"], "target": ["B", "C", "D", "E"], "cost": [1.0, 1.0, 2.0, 9.0]}
)


def _result(prizes=None):
    return solve_pcsf(EDGES, prizes or {"A": 6.0, "D": 5.0}, g=None)


def test_pyg_graph_has_the_forests_nodes_edges_and_attributes():
    result = _result()
    graph = to_networkx(result)
    data = to_pyg(result, node_attributes=pd.DataFrame({"kind": ["metabolite"]}, index=["A"]))
    assert sorted(data.node_names) == sorted(graph.nodes)
    assert data.num_nodes == graph.number_of_nodes()
    assert data.edge_index.shape[1] == 2 * graph.number_of_edges()  # both directions
    pairs = {
        frozenset((data.node_names[u], data.node_names[v])) for u, v in data.edge_index.t().tolist()
    }
    assert pairs == {frozenset(e) for e in graph.edges}
    prize = data.x[:, data.node_features.index("prize")].tolist()
    assert dict(zip(data.node_names, prize, strict=True))["D"] == 5.0
    hidden = data.x[:, data.node_features.index("hidden")].tolist()
    assert {n for n, h in zip(data.node_names, hidden, strict=True) if h} == set(result.hidden)
    assert "kind" not in data.node_features  # text attributes stay out of x
    assert data.edge_features == ["cost", "solver_cost"] and data.edge_attr.shape == (6, 2)
    assert data.objective == pytest.approx(result.objective)


def test_an_empty_forest_is_an_empty_graph():
    empty = to_pyg(_result({"A": 4.0, "D": 5.0}))  # cheaper to leave both prizes out
    assert empty.num_nodes == 0 and empty.node_names == [] and empty.edge_index.shape == (2, 0)


def test_chosen_features_must_be_numbers_on_every_node():
    result = _result()
    assert to_pyg(result, node_features=["prize"]).x.shape[1] == 1
    with pytest.raises(ConfigError, match="node feature 'kind' is not a number"):
        to_pyg(
            result,
            node_attributes=pd.DataFrame({"kind": ["m"]}, index=["A"]),
            node_features=["kind"],
        )
