"""From scored m/z signals to a subnetwork and enrichment: API and CLI on e_coli_core."""

from __future__ import annotations

import json

import networkx as nx
import pandas as pd
import pytest

from omicsnet.errors import DataError
from omicsnet.knowledge.metabolic_graph import load_cobra_graph
from omicsnet.networks.infer import infer_network, read_signals
from tests.conftest import run_cli

PROTON = 1.007276


@pytest.fixture(scope="module")
def core_graph():
    return load_cobra_graph("textbook")


def _signals(graph, ids, score=0.9):
    nodes = graph.nodes.set_index("id")
    rows = [{"peak_id": f"p_{i}", "mz": nodes.loc[i, "mass"] + PROTON, "score": score} for i in ids]
    rows.append({"peak_id": "noise", "mz": 999.9999, "score": 0.95})
    return pd.DataFrame(rows)


def test_glycolysis_signals_give_a_connected_subnetwork(core_graph):
    # pyruvate and phosphoenolpyruvate share enzymes (pyruvate kinase, the glucose PTS, PEP
    # synthase): one of them must join the two as a hidden node
    signals = _signals(core_graph, ["pyr", "pep"])
    result = infer_network(signals, core_graph, g=None, progress=False)
    assert result.unmatched["peak_id"].tolist() == ["noise"]
    assert {"pyr", "pep"} <= set(result.prizes.index)
    selected = set(result.pcsf.selected)
    assert {"pyr", "pep"} <= selected
    edges = core_graph.edges
    shared = set(edges.loc[edges["source"] == "pyr", "target"]) & set(
        edges.loc[edges["source"] == "pep", "target"]
    )
    assert {"b1676", "b1854"} <= shared  # pykF, pykA
    forest = nx.from_pandas_edgelist(result.pcsf.edges, "source", "target")
    path = nx.shortest_path(forest, "pyr", "pep")
    assert len(path) == 3 and path[1] in shared  # joined through one shared enzyme
    assert path[1] in result.pcsf.hidden
    assert result.summary()["signals_unmatched"] == 1


def test_isomers_all_get_candidates(core_graph):
    # glucose-6-phosphate and fructose-6-phosphate have the same mass: both are candidates
    signals = _signals(core_graph, ["g6p"])
    result = infer_network(signals, core_graph, g=None, progress=False)
    candidates = set(result.matches.loc[result.matches["peak_id"] == "p_g6p", "metabolite_id"])
    assert {"g6p", "f6p"} <= candidates


def test_no_match_is_a_clear_error(core_graph):
    with pytest.raises(DataError, match="none of the 1 signals matches"):
        infer_network(pd.DataFrame({"mz": [999.9999], "score": [1.0]}), core_graph, progress=False)


def test_read_signals_errors(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("mass,value\n1,2\n")
    with pytest.raises(DataError, match="needs columns mz and score"):
        read_signals(path)
    path.write_text("id,mz,score\na,100.1,0.5\nb,oops,0.4\n")
    with pytest.raises(DataError, match=r"non-numeric mz in row 2 \(signal 'b'\)"):
        read_signals(path)


def test_cli_writes_every_output(core_graph, tmp_path):
    _signals(core_graph, ["pyr", "pep", "cit", "akg"]).rename(columns={"peak_id": "id"}).to_csv(
        tmp_path / "signals.csv", index=False
    )
    (tmp_path / "ppi.tsv").write_text("protein1\tprotein2\tcost\nb1676\tb1854\t0.2\n")
    out = tmp_path / "net"
    result = run_cli(
        "network",
        "infer",
        "--signals",
        str(tmp_path / "signals.csv"),
        "--model",
        "textbook",
        "--interactome",
        str(tmp_path / "ppi.tsv"),
        "--out",
        str(out),
        "-q",
    )
    assert result.returncode == 0, result.stderr
    assert "4 of 5 signals matched" in result.stdout
    for name in (
        "network.graphml",
        "nodes.csv",
        "edges.csv",
        "enrichment.csv",
        "matches.csv",
        "unmatched.csv",
        "network.png",
        "summary.json",
    ):
        assert (out / name).is_file(), name
    graph = nx.read_graphml(out / "network.graphml")
    assert {"pyr", "pep"} <= set(graph.nodes)
    assert graph.nodes["pyr"]["type"] == "metabolite"
    assert json.loads((out / "summary.json").read_text())["signals_unmatched"] == 1
    assert pd.read_csv(out / "unmatched.csv")["peak_id"].tolist() == ["noise"]

    again = run_cli(
        "network",
        "infer",
        "--signals",
        str(tmp_path / "signals.csv"),
        "--model",
        "textbook",
        "--out",
        str(out),
    )
    assert again.returncode == 2 and "already exists" in again.stderr


def _boxes_overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_network_figure_labels_proteins_by_symbol_without_overlaps(core_graph):
    from itertools import combinations

    from omicsnet.networks.infer import draw_network

    signals = _signals(core_graph, ["pyr", "pep", "cit", "akg", "succ", "mal__L"])
    result = infer_network(signals, core_graph, g=None, progress=False)
    selected = result.node_info.reindex(result.pcsf.selected)
    proteins = selected[selected["type"] == "protein"]
    assert len(proteins)  # the forest needs enzymes to join the metabolites
    fig = draw_network(result)
    ax = fig.axes[0]
    texts = [t for t in ax.texts if t.get_text()]
    shown = {t.get_text() for t in texts}
    # proteins are labelled with their gene symbol (e.g. pykF), not the b-number
    assert set(proteins["name"]) & shown
    assert not set(proteins.index) & shown
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in texts]
    assert not any(_boxes_overlap(a, b) for a, b in combinations(boxes, 2))
    # a label budget is a ceiling, and the title says how many nodes went unlabelled
    small = draw_network(result, max_labels=3)
    assert len([t for t in small.axes[0].texts if t.get_text()]) == 3
    assert f"3 of {len(result.pcsf.selected)} nodes labelled" in small.get_suptitle()


def test_written_tables_carry_no_float_noise(core_graph, tmp_path):
    import re

    signals = _signals(core_graph, ["pyr", "pep", "cit"])
    out = infer_network(signals, core_graph, g=None, progress=False).write(tmp_path / "net")
    noisy = re.compile(r"\d\.\d{9,}")  # e.g. 0.5034129371341075
    for name in ("edges.csv", "enrichment.csv", "nodes.csv"):
        assert not noisy.search((out / name).read_text()), name
    matches = pd.read_csv(out / "matches.csv")
    exact = signals.set_index("peak_id").loc[matches["peak_id"], "mz"].to_numpy()
    assert (matches["mz"].to_numpy() == exact).all()  # the user's m/z as given
