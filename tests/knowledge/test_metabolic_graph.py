"""Metabolite–protein graphs from COBRA models, interactomes, exports and the cache."""

from __future__ import annotations

import logging
import time

import pandas as pd
import pytest

from omicsnet.errors import ConfigError, DataError, DataNotFoundError
from omicsnet.knowledge.interactome import merge_edge_tables, read_bioplex, read_interactome
from omicsnet.knowledge.metabolic_graph import (
    DEFAULT_CURRENCY_METABOLITES,
    MetaboliteProteinGraph,
    load_cobra_graph,
    load_human_gem,
)

cobra = pytest.importorskip("cobra")


@pytest.fixture(scope="module")
def textbook():
    """cobra's bundled e_coli_core ("textbook") model."""
    return cobra.io.load_model("textbook")


@pytest.fixture(scope="module")
def graph(textbook) -> MetaboliteProteinGraph:
    return MetaboliteProteinGraph.from_cobra_model(textbook)


def _edges_of(graph: MetaboliteProteinGraph, reaction: str) -> set[tuple[str, str]]:
    hit = graph.edges["reactions"].str.split(";").map(lambda r: reaction in r)
    return set(zip(graph.edges.loc[hit, "source"], graph.edges.loc[hit, "target"], strict=True))


# ----------------------------------------------------------------------------- textbook


def test_textbook_counts_and_columns(graph):
    counts = graph.nodes["type"].value_counts()
    assert counts["metabolite"] == 54  # 72 compartment-specific metabolites collapsed
    assert counts["protein"] == 137
    assert len(graph.edges) == 255
    assert graph.edges.columns[:4].tolist() == ["source", "target", "cost", "kind"]
    assert set(graph.edges["kind"]) == {"metabolite-protein"}
    assert (graph.edges["cost"] == 0.5).all()
    assert not graph.edges.duplicated(["source", "target"]).any()
    assert graph.nodes["id"].is_unique
    assert graph.name == "e_coli_core"


def test_reaction_enzymes_link_to_non_currency_metabolites(graph):
    # PFK: atp + f6p -> adp + fdp + h, GPR b3916 or b1723 (isozymes: both are enzymes)
    assert _edges_of(graph, "PFK") == {
        ("f6p", "b1723"),
        ("f6p", "b3916"),
        ("fdp", "b1723"),
        ("fdp", "b3916"),
    }
    # PDH is a complex (b0115 and b0114 and b0116): every subunit is linked, to no currency
    assert _edges_of(graph, "PDH") == {
        (m, g) for m in ("pyr", "accoa") for g in ("b0114", "b0115", "b0116")
    }
    # ATP synthase only touches currency metabolites: no edges at all
    assert _edges_of(graph, "ATPS4r") == set()
    # reactions without genes add no edges
    assert _edges_of(graph, "EX_glc__D_e") == set()


def test_currency_metabolites_are_nodes_without_edges(graph, textbook):
    nodes = graph.nodes.set_index("id")
    for met in ("atp", "adp", "h2o", "h", "nad", "nadph", "co2", "pi", "coa", "o2"):
        assert nodes.loc[met, "currency"], met
    currency = set(nodes.index[nodes["currency"]])
    assert not currency & set(graph.edges["source"])
    assert currency <= {m for m in DEFAULT_CURRENCY_METABOLITES}
    # with no currency list, ATP is linked to its enzymes (e.g. PFK's)
    full = MetaboliteProteinGraph.from_cobra_model(textbook, currency=[])
    assert ("atp", "b3916") in _edges_of(full, "PFK")
    assert len(full.edges) > len(graph.edges)
    # a list matched by name as well as id
    custom = MetaboliteProteinGraph.from_cobra_model(textbook, currency=["D-Glucose", "h2o"])
    cnodes = custom.nodes.set_index("id")
    assert cnodes.loc["glc__D", "currency"] and cnodes.loc["h2o", "currency"]
    assert not cnodes.loc["atp", "currency"]


def test_compartment_copies_collapse(graph, textbook):
    nodes = graph.nodes.set_index("id")
    assert "pyr_c" not in nodes.index and "pyr_e" not in nodes.index
    assert nodes.loc["pyr", "compartments"] == "c;e"
    assert nodes.loc["glc__D", "compartments"] == "e"
    # the succinate transporter links its protein to one node, "succ"
    assert _edges_of(graph, "SUCCt2_2") == {("succ", "b3528")}
    flat = MetaboliteProteinGraph.from_cobra_model(textbook, base_id=None)
    assert (flat.nodes["type"] == "metabolite").sum() == len(textbook.metabolites)


def test_masses_and_cross_references(graph):
    nodes = graph.nodes.set_index("id")
    assert nodes.loc["glc__D", "mass"] == pytest.approx(180.06339, abs=1e-5)
    assert nodes.loc["pyr", "mass"] == pytest.approx(88.01604, abs=1e-5)  # from C3H3O3, -1
    assert nodes.loc["pyr", "formula"] == "C3H3O3" and nodes.loc["pyr", "charge"] == -1
    assert nodes.loc["pyr", "kegg"] == "C00022"
    assert nodes.loc["pyr", "hmdb"] == "HMDB0000243"  # normalised from HMDB00243
    assert "CHEBI:15361" in nodes.loc["pyr", "chebi"].split(";")
    assert nodes.loc["pyr", "bigg"] == "pyr"
    assert nodes.loc["b3916", "type"] == "protein"
    assert nodes.loc["b3916", "genes"] == "b3916" and nodes.loc["b3916", "name"] == "pfkA"
    # the graph's metabolites feed m/z matching directly
    result = graph.match_mz(pd.DataFrame({"mz": [87.00877]}), mode="negative", tol=5)
    assert "pyr" in set(result.matches["metabolite_id"])


def test_protein_ids_and_gene_map(textbook):
    by_name = MetaboliteProteinGraph.from_cobra_model(textbook, protein_ids="name")
    assert ("f6p", "pfkA") in _edges_of(by_name, "PFK")
    mapped = MetaboliteProteinGraph.from_cobra_model(
        textbook, gene_map={"b3916": "PFKA", "b1723": "PFKA"}
    )
    assert _edges_of(mapped, "PFK") == {("f6p", "PFKA"), ("fdp", "PFKA")}
    assert mapped.nodes.set_index("id").loc["PFKA", "genes"] == "b3916;b1723"
    with pytest.raises(DataError, match=r"node ids must be unique.*'pyr'"):
        MetaboliteProteinGraph.from_cobra_model(textbook, gene_map={"b3916": "pyr"})
    with pytest.raises(ConfigError, match="protein_ids"):
        MetaboliteProteinGraph.from_cobra_model(textbook, protein_ids="symbol")
    with pytest.raises(ConfigError, match="cost"):
        MetaboliteProteinGraph.from_cobra_model(textbook, cost=-1)


def test_subsystem_sets(textbook):
    model = textbook.copy()
    model.reactions.PFK.subsystem = "Glycolysis"
    model.reactions.PGI.subsystem = "Glycolysis"
    model.reactions.CS.subsystem = "TCA cycle"
    g = MetaboliteProteinGraph.from_cobra_model(model)
    sets = g.subsystem_sets()
    assert set(sets) == {"Glycolysis", "TCA cycle"}
    assert sets["Glycolysis"] == {"f6p", "fdp", "g6p", "b1723", "b3916", "b4025"}
    assert g.subsystem_sets("protein")["Glycolysis"] == {"b1723", "b3916", "b4025"}
    assert g.subsystem_sets("metabolite")["TCA cycle"] == {"accoa", "cit", "oaa"}
    assert g.subsystem_sets(min_size=5) == {"Glycolysis": sets["Glycolysis"]}
    with pytest.raises(ConfigError):
        g.subsystem_sets("reaction")


def test_human_gem_style_ids_collapse_even_with_a_wrong_compartment():
    model = cobra.Model("mini")
    mets = {
        mid: cobra.Metabolite(mid, formula=f, charge=z, name=n, compartment=c)
        for mid, f, z, n, c in [
            ("MAM01965c", "C6H12O6", 0, "glucose", "c"),
            ("MAM01965e", "C6H12O6", 0, "glucose", "e"),
            ("MAM01968c", "C6H11O9P", -2, "glucose-6-phosphate", "c"),
            ("MAM01371c", "C10H12N5O13P3", -4, "ATP", "c"),
            ("MAM01285c", "C10H12N5O10P2", -3, "ADP", "c"),
            ("MAM02039c", "H", 1, "H+", "c"),
            ("MAM20076n", "C34H67NO3", 0, "ceramide", "c"),  # suffix n, compartment c
            ("MAM02040n", "H2O", 0, "H2O", "n"),
        ]
    }
    transport = cobra.Reaction("GLUT", subsystem="Transport")
    transport.add_metabolites({mets["MAM01965e"]: -1, mets["MAM01965c"]: 1})
    transport.gene_reaction_rule = "ENSG00000117394"
    hk = cobra.Reaction("HK", subsystem="Glycolysis")
    hk.add_metabolites(
        {
            mets["MAM01965c"]: -1,
            mets["MAM01371c"]: -1,
            mets["MAM01968c"]: 1,
            mets["MAM01285c"]: 1,
            mets["MAM02039c"]: 1,
        }
    )
    hk.gene_reaction_rule = "ENSG00000156515 or (ENSG00000159399 and ENSG00000160883)"
    model.add_reactions([transport, hk])
    model.add_metabolites([mets["MAM20076n"], mets["MAM02040n"]])
    xrefs = pd.DataFrame({"kegg": ["C00031"], "bigg": ["glc__D"]}, index=["MAM01965"])
    g = MetaboliteProteinGraph.from_cobra_model(
        model,
        gene_map={"ENSG00000156515": "HK1", "ENSG00000159399": "HK2"},
        metabolite_xrefs=xrefs,
        currency=["atp", "adp", "h", "ATP", "ADP", "H+"],
    )
    met_ids = set(g.metabolites["id"])
    assert met_ids == {
        "MAM01965",
        "MAM01968",
        "MAM01371",
        "MAM01285",
        "MAM02039",
        "MAM20076",
        "MAM02040",
    }
    assert _edges_of(g, "HK") == {
        (m, p)
        for m in ("MAM01965", "MAM01968")
        for p in ("HK1", "HK2", "ENSG00000160883")  # isozyme and both complex subunits
    }
    assert _edges_of(g, "GLUT") == {("MAM01965", "ENSG00000117394")}
    nodes = g.nodes.set_index("id")
    assert nodes.loc["MAM01965", "kegg"] == "C00031" and nodes.loc["MAM01965", "bigg"] == "glc__D"
    assert nodes.loc["MAM01968", "mass"] == pytest.approx(260.02972, abs=1e-5)  # C6H13O9P
    assert g.subsystem_sets()["Glycolysis"] == {
        "MAM01965",
        "MAM01968",
        "HK1",
        "HK2",
        "ENSG00000160883",
    }


# ----------------------------------------------------------------------------- exports


def test_to_networkx(graph):
    G = graph.to_networkx()
    assert G.number_of_nodes() == len(graph.nodes)
    assert G.number_of_edges() == len(graph.edges)
    assert G.nodes["glc__D"]["type"] == "metabolite"
    assert G.nodes["glc__D"]["mass"] == pytest.approx(180.06339, abs=1e-5)
    assert "mass" not in G.nodes["b3916"]  # missing attributes are left out
    assert G.edges["fdp", "b3916"]["cost"] == 0.5
    assert "PFK" in G.edges["fdp", "b3916"]["reactions"].split(";")
    assert G.degree["atp"] == 0


def test_to_pyg(graph):
    pytest.importorskip("torch_geometric")
    data = graph.to_pyg()
    n_met = int((graph.nodes["type"] == "metabolite").sum())
    n_prot = int((graph.nodes["type"] == "protein").sum())
    assert data["metabolite"].num_nodes == n_met and data["protein"].num_nodes == n_prot
    assert data["metabolite"].node_id == graph.metabolites["id"].tolist()
    assert data["protein"].node_id == graph.proteins["id"].tolist()
    forward = data["metabolite", "reacts_with", "protein"].edge_index
    backward = data["protein", "rev_reacts_with", "metabolite"].edge_index
    assert tuple(forward.shape) == (2, len(graph.edges))
    assert forward.flip(0).tolist() == backward.tolist()
    assert data["metabolite", "reacts_with", "protein"].cost.shape == (len(graph.edges),)
    pairs = {
        (data["metabolite"].node_id[i], data["protein"].node_id[j]) for i, j in forward.t().tolist()
    }
    assert pairs == set(zip(graph.edges["source"], graph.edges["target"], strict=True))
    assert data["metabolite"].mass.shape == (n_met,)
    one_way = graph.to_pyg(undirected=False)
    assert ("protein", "rev_reacts_with", "metabolite") not in one_way.edge_types


def test_save_load_round_trip(graph, tmp_path):
    folder = graph.save(tmp_path / "g")
    back = MetaboliteProteinGraph.load(folder)
    pd.testing.assert_frame_equal(back.nodes, graph.nodes, check_dtype=False)
    pd.testing.assert_frame_equal(back.edges, graph.edges, check_dtype=False)
    pd.testing.assert_frame_equal(back.memberships, graph.memberships, check_dtype=False)
    assert back.name == graph.name


def test_load_cobra_graph_caches(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("OMICSNET_CACHE", str(tmp_path))
    first = load_cobra_graph("textbook")
    folders = list((tmp_path / "knowledge").iterdir())
    assert len(folders) == 1 and folders[0].name.startswith("textbook-")
    with caplog.at_level(logging.INFO, logger="omicsnet.knowledge.metabolic_graph"):
        second = load_cobra_graph("textbook")
    assert "from the cache" in caplog.text
    pd.testing.assert_frame_equal(first.edges, second.edges, check_dtype=False)
    # other parameters, other cache entry
    load_cobra_graph("textbook", cost=0.2)
    assert len(list((tmp_path / "knowledge").iterdir())) == 2
    with pytest.raises(DataNotFoundError, match="neither a model file nor a model bundled"):
        load_cobra_graph("no_such_model")


def test_load_cobra_graph_reads_files(tmp_path, textbook, monkeypatch):
    monkeypatch.setenv("OMICSNET_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "core.json"
    cobra.io.save_json_model(textbook, str(path))
    g = load_cobra_graph(path)
    assert len(g.edges) == 255
    bad = tmp_path / "bad.xml"
    bad.write_text("not sbml")
    with pytest.raises(DataError, match="cannot read the metabolic model"):
        load_cobra_graph(bad, cache=False)


# ----------------------------------------------------------------------------- interactome


def _write(path, text):
    path.write_text(text)
    return path


def test_read_interactome_costs_duplicates_and_self_loops(tmp_path):
    path = _write(
        tmp_path / "ppi.txt",
        "protein1\tprotein2\tcost\nA\tB\t0.5\nB\tA\t0.2\nC\tC\t0.1\nA\tC\t0.7\nA\tC\t0.9\n",
    )
    edges = read_interactome(path)
    assert edges.values.tolist() == [
        ["B", "A", 0.2, "protein-protein"],
        ["A", "C", 0.7, "protein-protein"],
    ]


def test_read_interactome_confidence_and_explicit_columns(tmp_path):
    bioplex = _write(
        tmp_path / "bp.tsv", "GeneA\tSymbolA\tSymbolB\tpInt\n1\tADA\tPOTEF\t0.9\n2\tX\tY\t0.75\n"
    )
    assert read_interactome(bioplex)["cost"].round(6).tolist() == [0.1, 0.25]
    custom = _write(tmp_path / "c.csv", "a,b,score\nP,Q,0.8\n")
    edges = read_interactome(custom, source_col="a", target_col="b", confidence_col="score")
    assert edges["cost"].round(6).tolist() == [0.2]
    scaled = read_interactome(
        custom, source_col="a", target_col="b", cost_col="score", cost_scale=2
    )
    assert scaled["cost"].tolist() == [1.6]


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        (
            "protein1\tprotein2\tcost\nA\tB\t0.5\nA\t\t0.2\n",
            DataError,
            r"line 3: missing value in column 'protein2'",
        ),
        (
            "protein1\tprotein2\tcost\nA\tB\t\n",
            DataError,
            r"line 2: missing value in column 'cost'",
        ),
        (
            "protein1\tprotein2\tcost\nA\tB\thigh\n",
            DataError,
            r"line 2: 'cost' value 'high' is not a number",
        ),
        ("protein1\tprotein2\tcost\nA\tB\t-1\n", DataError, r"line 2: costs must be ≥ 0"),
        (
            "SymbolA\tSymbolB\tpInt\nA\tB\t1.5\n",
            DataError,
            r"line 2: confidences must lie in \[0, 1\]",
        ),
        ("x\ty\tz\nA\tB\t1\n", ConfigError, "cannot tell the interactome's columns"),
    ],
)
def test_read_interactome_errors(tmp_path, text, error, message):
    path = _write(tmp_path / "bad.txt", text)
    with pytest.raises(error, match=message) as err:
        read_interactome(path)
    if error is DataError:
        assert "bad.txt" in str(err.value)


def test_read_bioplex_from_the_cptac_wheel():
    try:
        edges = read_bioplex()
    except DataNotFoundError:
        pytest.skip("cptac (which ships BioPlex) is not installed")
    assert edges.columns.tolist() == ["source", "target", "cost", "kind"]
    assert len(edges) > 100_000
    assert edges["cost"].between(0, 0.25).all()


def test_merge_and_add_interactome(graph):
    ppi = pd.DataFrame(
        {
            "source": ["b3916", "b1723", "NEW1"],
            "target": ["b1723", "b3916", "b3916"],
            "cost": [0.3, 0.1, 0.4],
        }
    )
    merged = graph.add_interactome(ppi, metabolite_protein_cost=0.25)
    assert "NEW1" in set(merged.proteins["id"])
    ppi_rows = merged.edges[merged.edges["kind"] == "protein-protein"]
    assert sorted(ppi_rows["cost"]) == [0.1, 0.4]
    assert (merged.edges.loc[merged.edges["kind"] == "metabolite-protein", "cost"] == 0.25).all()
    assert len(graph.edges) == 255 and (graph.edges["cost"] == 0.5).all()  # unchanged
    with pytest.raises(DataError, match="ids of metabolites"):
        graph.add_interactome(pd.DataFrame({"source": ["pyr"], "target": ["b3916"], "cost": [1.0]}))
    with pytest.raises(DataError, match="lacks column"):
        merge_edge_tables(pd.DataFrame({"source": ["a"], "target": ["b"]}))


# ----------------------------------------------------------------------------- real data


@pytest.mark.data
def test_irefindex_interactome(shared_data):
    path = shared_data / "networks/irefindex_v14/iRefIndex_v14_MIScore_interactome_C9.costs.txt.gz"
    edges = read_interactome(path)
    assert len(edges) == 182_002 - 47  # 47 self-loops in the file
    assert pd.unique(pd.concat([edges["source"], edges["target"]])).size == 15_759
    assert edges["cost"].between(0, 1).all()


@pytest.mark.data
@pytest.mark.slow
def test_human_gem_graph_and_cache(shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("OMICSNET_CACHE", str(tmp_path))
    start = time.perf_counter()
    g = load_human_gem(shared_data)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    cached = load_human_gem(shared_data)
    warm = time.perf_counter() - start
    logging.getLogger(__name__).info("Human-GEM graph: cold %.1f s, cached %.2f s", cold, warm)
    assert warm < 5
    pd.testing.assert_frame_equal(g.edges, cached.edges, check_dtype=False)
    counts = g.nodes["type"].value_counts()
    assert counts["metabolite"] == 4162  # 8,455 compartment-specific metabolites collapsed
    assert counts["protein"] == 2887
    nodes = g.nodes.set_index("id")
    glucose = nodes.loc["MAM01965"]
    assert glucose["mass"] == pytest.approx(180.06339, abs=1e-5)
    assert (glucose["kegg"], glucose["hmdb"], glucose["bigg"]) == (
        "C00031",
        "HMDB0000122",
        "glc__D",
    )
    assert nodes.loc["MAM02040", "currency"] and nodes.loc["MAM01371", "currency"]  # H2O, ATP
    assert "HK1" in nodes.index and nodes.loc["HK1", "genes"].startswith("ENSG")
    assert ("MAM01965", "HK1") in set(zip(g.edges["source"], g.edges["target"], strict=True))
    sets = g.subsystem_sets("protein")
    assert "HK1" in sets["Glycolysis / Gluconeogenesis"]
    ppi = read_interactome(
        shared_data / "networks/irefindex_v14/iRefIndex_v14_MIScore_interactome_C9.costs.txt.gz"
    )
    full = g.add_interactome(ppi)
    assert (full.edges["kind"] == "protein-protein").sum() == len(ppi)
    shared = set(g.proteins["id"]) & set(pd.concat([ppi["source"], ppi["target"]]))
    assert len(shared) > 2000


def test_graph_tables_are_validated():
    nodes = pd.DataFrame({"id": ["a", "P"], "type": ["metabolite", "protein"]})
    with pytest.raises(DataError, match="not in the node table, first 'a' - 'Q'"):
        MetaboliteProteinGraph(nodes, pd.DataFrame({"source": ["a"], "target": ["Q"], "cost": [1]}))
    with pytest.raises(DataError, match="costs must be numbers ≥ 0.*'a' - 'P'"):
        MetaboliteProteinGraph(
            nodes, pd.DataFrame({"source": ["a"], "target": ["P"], "cost": [-1]})
        )
    with pytest.raises(DataError, match="node type must be"):
        MetaboliteProteinGraph(
            pd.DataFrame({"id": ["r"], "type": ["reaction"]}),
            pd.DataFrame({"source": [], "target": [], "cost": []}),
        )
    g = MetaboliteProteinGraph(nodes, pd.DataFrame({"source": ["P"], "target": ["a"], "cost": [1]}))
    assert g.edges["kind"].tolist() == ["metabolite-protein"]
    assert g.nodes["name"].tolist() == ["a", "P"]
