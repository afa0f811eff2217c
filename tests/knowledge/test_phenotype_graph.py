"""Typed gene/protein/reaction/metabolite/phenotype graphs on e_coli_core, and their artefacts."""

from __future__ import annotations

import gzip
import json
import logging
import math
from pathlib import Path

import numpy as np
import pytest

cobra = pytest.importorskip("cobra")

from omicsnet.errors import ConfigError, DataError, DataNotFoundError  # noqa: E402
from omicsnet.knowledge import artefacts as art  # noqa: E402
from omicsnet.knowledge.phenotype_graph import (  # noqa: E402
    EDGE_TYPES,
    FOLDER,
    PhenotypeGraph,
    artefact_folder_name,
    build_phenotype_graph,
    gpr_complexes,
    graph_params,
    load_phenotype_graph,
    model_checksum,
)
from omicsnet.utils.io import OutputExistsError  # noqa: E402
from tests.conftest import run_cli  # noqa: E402

BIOMASS = "Biomass_Ecoli_core"
REPO_KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge" / FOLDER


@pytest.fixture(scope="module")
def graph() -> PhenotypeGraph:
    return build_phenotype_graph("textbook", progress=False)


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("OMICSNET_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "knowledge" / FOLDER


def _proteins_of(graph: PhenotypeGraph, reaction: str) -> set[str]:
    src, dst = graph.edges["protein_reaction"]
    r = graph.reactions.index(reaction)
    return {graph.proteins[p] for p, q in zip(src, dst, strict=True) if q == r}


def _essential_proteins(graph: PhenotypeGraph, phenotype: str) -> set[str]:
    src, dst = graph.protein_phenotype_edges
    j = graph.phenotypes.index(phenotype)
    return {graph.proteins[p] for p, q in zip(src, dst, strict=True) if q == j}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("b1", [("b1",)]),
        ("b1 or b2", [("b1",), ("b2",)]),
        ("b2 and b1", [("b1", "b2")]),
        ("(b1 and b2) or (b3 and b2)", [("b1", "b2"), ("b2", "b3")]),
        ("b1 and (b2 or b3) and b4", [("b1", "b2", "b4"), ("b1", "b3", "b4")]),
        ("b1 or (b1 and b2)", [("b1",)]),
        ("", []),
    ],
)
def test_gpr_complexes(rule, expected):
    assert gpr_complexes(rule) == expected


def test_gene_protein_policy_on_core(graph):
    """Complexes are one protein with their subunits; isozymes are separate proteins."""
    # PFK: b3916 or b1723 -> two monomeric isozymes of the same reaction
    assert _proteins_of(graph, "PFK") == {"b3916", "b1723"}
    # PDH and AKGDH are complexes sharing the lipoamide dehydrogenase subunit b0116
    assert _proteins_of(graph, "PDH") == {"b0114+b0115+b0116"}
    assert _proteins_of(graph, "AKGDH") == {"b0116+b0726+b0727"}
    genes = graph.protein_genes()
    assert genes["b0114+b0115+b0116"] == ["b0114", "b0115", "b0116"]
    src, dst = graph.gene_protein_edges
    lpd = graph.genes.index("b0116")
    assert {graph.proteins[p] for p in dst[src == lpd]} == {
        "b0114+b0115+b0116",
        "b0116+b0726+b0727",
    }
    # exchange reactions have no enzyme
    assert _proteins_of(graph, "EX_ac_e") == set()
    # every protein is used by a reaction and every complex's genes are in the model
    assert set(graph.edges["protein_reaction"][0]) == set(range(len(graph.proteins)))
    assert graph.gene_protein_edges.dtype == np.int64 and graph.gene_protein_edges.shape[0] == 2


def test_phenotypes_default_and_dropped(graph):
    assert graph.phenotypes[0] == BIOMASS
    assert all(p.startswith("EX_") for p in graph.phenotypes[1:])
    assert {"EX_o2_e", "EX_glc__D_e", "EX_nh4_e"} <= set(graph.dropped_phenotypes)
    assert graph.dropped_phenotypes["EX_glc__D_e"] == pytest.approx(-10.0)  # fixed uptake
    assert graph.wild_type[BIOMASS] == pytest.approx(0.8739, abs=1e-4)
    assert [graph.reactions[r] for r in graph.edges["phenotype_reaction"][1]] == graph.phenotypes


def test_protein_phenotype_edges_hand_checked(graph):
    """Enolase is essential for growth (checked by direct FBA); PFL isozymes are not."""
    model = cobra.io.load_model("textbook")
    model.reactions.EX_glc__D_e.bounds = (-10, -10)
    wild = model.slim_optimize()
    with model:
        model.reactions.ENO.knock_out()
        assert model.slim_optimize(error_value=0.0) <= 0.95 * wild
    with model:
        model.reactions.PFL.knock_out()
        assert model.slim_optimize() > 0.95 * wild
    essential = _essential_proteins(graph, BIOMASS)
    assert "b2779" in essential  # eno
    assert not (_proteins_of(graph, "PFL") & essential)
    # reaction knockout (DeepMetabolism): all isozymes of an essential reaction are linked
    assert {"b0755", "b3612", "b4395"} <= essential  # the three PGM isozymes


def test_protein_knockout_spares_isozymes():
    g = build_phenotype_graph("textbook", phenotypes=[BIOMASS], knockout="protein", progress=False)
    essential = _essential_proteins(g, BIOMASS)
    assert "b2779" in essential  # a single enzyme stays essential
    assert not ({"b0755", "b3612", "b4395"} & essential)  # any PGM isozyme can take over
    assert "protein_phenotype" in g.edges and "reaction_phenotype" not in g.edges


def test_gene_knockout_links_complexes_of_essential_genes():
    g = build_phenotype_graph("textbook", phenotypes=[BIOMASS], knockout="gene", progress=False)
    essential_genes = {g.genes[i] for i in g.edges["gene_phenotype"][0]}
    assert "b2779" in essential_genes and "b1723" not in essential_genes
    proteins = _essential_proteins(g, BIOMASS)
    genes_of = g.protein_genes()
    # a protein is linked exactly when one of its subunits is an essential gene
    assert proteins == {p for p, gs in genes_of.items() if set(gs) & essential_genes}


def test_user_phenotypes_and_errors():
    g = build_phenotype_graph("textbook", phenotypes=["EX_ac_e", BIOMASS], progress=False)
    assert g.phenotypes == ["EX_ac_e", BIOMASS]
    with pytest.raises(DataError, match="EX_nope_e, FOO"):
        build_phenotype_graph("textbook", phenotypes=["EX_nope_e", BIOMASS, "FOO"], progress=False)
    with pytest.raises(DataError, match="no phenotype of textbook can carry flux"):
        build_phenotype_graph("textbook", phenotypes=["EX_o2_e"], progress=False)
    with pytest.raises(ConfigError, match="knockout"):
        build_phenotype_graph("textbook", knockout="operon", progress=False)
    with pytest.raises(ConfigError, match="listed twice: EX_ac_e"):
        graph_params("textbook", phenotypes=["EX_ac_e", "EX_ac_e"])
    with pytest.raises(DataNotFoundError, match="no_such_model"):
        build_phenotype_graph("no_such_model", progress=False)


def test_model_file_gives_the_same_graph(graph, tmp_path):
    path = tmp_path / "core.json"
    cobra.io.save_json_model(cobra.io.load_model("textbook"), str(path))
    g = build_phenotype_graph(path, progress=False)
    assert g.name == "core"
    assert g.proteins == graph.proteins and g.phenotypes == graph.phenotypes
    for name, index in graph.edges.items():
        np.testing.assert_array_equal(g.edges[name], index)


def test_masks_and_pyg_export(graph):
    mask = graph.mask("protein_phenotype")
    assert mask.shape == (len(graph.proteins), len(graph.phenotypes)) and mask.dtype == bool
    assert mask.nnz == graph.protein_phenotype_edges.shape[1]
    dense = graph.torch_mask("gene_protein").to_dense().numpy().astype(bool)
    np.testing.assert_array_equal(dense, graph.mask("gene_protein").toarray())
    assert graph.edge_index("protein_phenotype").dtype.is_floating_point is False
    data = graph.to_pyg()
    assert set(data.node_types) == {"gene", "protein", "reaction", "metabolite", "phenotype"}
    for name, index in graph.edges.items():
        np.testing.assert_array_equal(data[EDGE_TYPES[name]].edge_index.numpy(), index)
    assert data["phenotype"].ids == graph.phenotypes
    coef = data["metabolite", "substrate_of", "reaction"].edge_attr[:, 0].numpy()
    assert (coef > 0).all()
    with pytest.raises(ConfigError, match="no 'gene_phenotype' edges"):
        graph.mask("gene_phenotype")


def test_checksum_tracks_content(graph):
    changed = PhenotypeGraph(
        **{
            **graph.__dict__,
            "edges": {**graph.edges, "protein_phenotype": graph.protein_phenotype_edges[:, 1:]},
        }
    )
    assert changed.checksum != graph.checksum
    same = PhenotypeGraph(**{**graph.__dict__, "provenance": {"built": "another day"}})
    assert same.checksum == graph.checksum
    with pytest.raises(DataError, match="outside"):
        PhenotypeGraph("bad", ["g"], ["p"], [], [], ["x"], {"gene_protein": [[0], [3]]})


def test_artefact_round_trip_and_tamper(graph, tmp_path):
    folder = graph.save(tmp_path / "textbook")
    files = {p.name: p.stat().st_size for p in folder.iterdir()}
    assert set(files) == {".omicsnet-output.json", "manifest.json", "data.json.gz"}
    assert max(files.values()) < 300_000
    loaded = PhenotypeGraph.load(folder)
    assert loaded.checksum == graph.checksum and loaded.params == graph.params
    assert loaded.dropped_phenotypes["EX_o2_e"] == graph.dropped_phenotypes["EX_o2_e"]
    np.testing.assert_array_equal(
        loaded.edge_attrs["reaction_phenotype"]["ratio"],
        graph.edge_attrs["reaction_phenotype"]["ratio"],
    )
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["recipe"]["function"].endswith("build_phenotype_graph")
    assert manifest["inputs"]["model"] == model_checksum(cobra.io.load_model("textbook"))
    with pytest.raises(OutputExistsError):
        graph.save(folder)
    # edit the data: the file checksum catches it
    data = json.loads(gzip.decompress((folder / "data.json.gz").read_bytes()))
    data["edges"]["protein_phenotype"][0][0] = 1
    (folder / "data.json.gz").write_bytes(gzip.compress(json.dumps(data).encode()))
    with pytest.raises(DataError, match="does not match the checksum"):
        PhenotypeGraph.load(folder)
    manifest["schema_version"] = 99
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DataError, match="version 99"):
        PhenotypeGraph.load(folder)


def test_load_uses_matching_artefacts_and_rebuilds_on_mismatch(
    graph, cache, tmp_path, caplog, monkeypatch
):
    monkeypatch.setattr(art, "repo_knowledge_dir", lambda: None)  # as a non-editable install
    knowledge = tmp_path / "k"
    graph.save(knowledge / "textbook")
    with caplog.at_level(logging.INFO, logger="omicsnet.knowledge.phenotype_graph"):
        loaded = load_phenotype_graph("textbook", knowledge_dir=knowledge, progress=False)
    assert loaded.checksum == graph.checksum and "loaded" in caplog.text
    # a stale artefact (different model checksum) is skipped with its reason, then rebuilt
    manifest = json.loads((knowledge / "textbook" / "manifest.json").read_text())
    manifest["inputs"]["model"] = "0" * 64
    (knowledge / "textbook" / "manifest.json").write_text(json.dumps(manifest))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="omicsnet.knowledge.phenotype_graph"):
        rebuilt = load_phenotype_graph(
            "textbook", knowledge_dir=knowledge, threshold=0.95, progress=False
        )
    assert "input checksum differs for model" in caplog.text and "building" in caplog.text
    assert rebuilt.checksum == graph.checksum
    assert (cache / "textbook" / "manifest.json").is_file()  # built into the user cache
    # non-default parameters get their own folder in the user cache, reused next time
    strict = load_phenotype_graph("textbook", threshold=0.5, progress=False)
    folder = cache / artefact_folder_name("textbook", strict.params)
    assert folder.is_dir() and folder.name.startswith("textbook-")
    assert strict.num_edges()["protein_phenotype"] < graph.num_edges()["protein_phenotype"]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="omicsnet.knowledge.phenotype_graph"):
        again = load_phenotype_graph("textbook", threshold=0.5, progress=False)
    assert again.checksum == strict.checksum and "loaded" in caplog.text


def test_committed_textbook_artefact_is_current(graph):
    folder = REPO_KNOWLEDGE / "textbook"
    manifest = art.read_manifest(folder)
    assert manifest["params"] == graph_params("textbook")
    assert PhenotypeGraph.load(folder).checksum == graph.checksum


def test_committed_ijo1366_artefact_is_small_and_default():
    folder = REPO_KNOWLEDGE / "iJO1366"
    manifest = art.read_manifest(folder)
    assert manifest["params"] == graph_params("iJO1366")
    assert manifest["counts"]["nodes"]["gene"] == 1367
    assert all(p.stat().st_size < 300_000 for p in folder.iterdir())


@pytest.mark.slow
def test_committed_ijo1366_artefact_matches_the_bundled_model():
    g = load_phenotype_graph("iJO1366", progress=False)
    manifest = art.read_manifest(REPO_KNOWLEDGE / "iJO1366")
    assert g.checksum == manifest["graph_checksum"]
    assert g.phenotypes[0].startswith("BIOMASS_Ec_iJO1366")
    assert len(g.proteins) > 1000 and g.num_edges()["protein_phenotype"] > 0
    assert not math.isnan(g.wild_type[g.phenotypes[0]])


def test_cli_build_and_info(tmp_path):
    out = tmp_path / "kn"
    done = run_cli(
        "knowledge", "build", "--model", "textbook", "--phenotypes", BIOMASS, "EX_ac_e",
        "--threshold", "0.9", "--out", str(out), "--quiet",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    folders = list(out.iterdir())
    assert len(folders) == 1 and folders[0].name.startswith("textbook-")
    assert "2 phenotypes" in done.stdout
    again = run_cli(
        "knowledge", "build", "--model", "textbook", "--phenotypes", BIOMASS, "EX_ac_e",
        "--threshold", "0.9", "--out", str(out), "--quiet",
    )  # fmt: skip
    assert again.returncode == 2 and "--overwrite" in again.stderr
    info = run_cli("knowledge", "info", str(folders[0]))
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["params"]["threshold"] == 0.9
    bad = run_cli(
        "knowledge", "build", "--model", "textbook", "--phenotypes", "EX_zzz_e", "--out", str(out)
    )
    assert bad.returncode == 2 and "EX_zzz_e" in bad.stderr
