"""``omicsnet network infer --solver``: the certificate reaches the CLI output, the
summary and the GraphML."""

from __future__ import annotations

import json

import networkx as nx
import pandas as pd
import pytest

from omicsnet.knowledge.metabolic_graph import load_cobra_graph

from ..conftest import run_cli

PROTON = 1.007276


@pytest.fixture(scope="module")
def signals_file(tmp_path_factory):
    graph = load_cobra_graph("textbook")
    nodes = graph.nodes.set_index("id")
    rows = [{"id": f"p_{m}", "mz": nodes.loc[m, "mass"] + PROTON, "score": 0.9}
            for m in ("pyr", "pep", "cit", "akg")]  # fmt: skip
    path = tmp_path_factory.mktemp("signals") / "signals.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("solver", ["exact", "fast"])
def test_infer_with_solver(signals_file, tmp_path, solver):
    out = tmp_path / f"net_{solver}"
    result = run_cli(
        "network", "infer", "--signals", str(signals_file), "--model", "textbook",
        "--solver", solver, "--time-limit", "30", "--out", str(out), "-q",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    graph = nx.read_graphml(out / "network.graphml")
    assert summary["solver"] == solver == graph.graph["solver"]
    assert summary["params"]["solver"] == solver
    if solver == "exact":
        assert summary["optimal"] is True and summary["gap"] == 0.0
        assert summary["bound"] == pytest.approx(summary["objective"])
        assert graph.graph["optimal"] is True and graph.graph["gap"] == 0.0
        assert "gap 0% (optimal)" in result.stdout
    else:
        assert summary["bound"] is None and summary["gap"] is None
        assert "no bound" in result.stdout and "gap" not in graph.graph


def test_infer_rejects_an_unknown_solver(signals_file, tmp_path):
    result = run_cli(
        "network", "infer", "--signals", str(signals_file), "--model", "textbook",
        "--solver", "magic", "--out", str(tmp_path / "x"),
    )  # fmt: skip
    assert result.returncode == 2 and "invalid choice" in result.stderr
