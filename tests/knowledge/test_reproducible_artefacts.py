"""Knowledge artefacts are reproducible: one checksum whatever the workers or the order of
phenotypes; the checksum sees structure and rounded values, not provenance; `knowledge
build` writes to the user's cache by default and takes a cobra.Model in the API."""

from __future__ import annotations

import numpy as np
import pytest

cobra = pytest.importorskip("cobra")

from omicsnet.knowledge import essentiality as ess  # noqa: E402
from omicsnet.knowledge.phenotype_graph import (  # noqa: E402
    CHECKSUM_DECIMALS,
    FOLDER,
    PhenotypeGraph,
    build_artefact,
    build_phenotype_graph,
    default_phenotypes,
    load_phenotype_graph,
)
from omicsnet.utils.io import OutputExistsError  # noqa: E402
from tests.conftest import run_cli  # noqa: E402


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("OMICSNET_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "knowledge" / FOLDER


@pytest.fixture(scope="module")
def core():
    return ess.screening_model(cobra.io.load_model("textbook"))


def _screenable(model):
    caps = ess.phenotype_capacities(model, default_phenotypes(model))
    return [p for p, v in caps.items() if v > ess.FLUX_TOLERANCE]


def test_one_and_two_workers_give_one_checksum():
    one = build_phenotype_graph("textbook", workers=1, progress=False)
    two = build_phenotype_graph("textbook", workers=2, progress=False)
    assert one.checksum == two.checksum
    assert one.provenance["screen_lps"] == two.provenance["screen_lps"]
    np.testing.assert_array_equal(
        one.edge_attrs["reaction_phenotype"]["ratio"], two.edge_attrs["reaction_phenotype"]["ratio"]
    )


def test_screen_does_not_depend_on_what_was_solved_before(core, monkeypatch):
    """Phenotypes screened in reverse order give the same calls, ratios and LP counts; with
    the warm start carried over between phenotypes (the old behaviour) the LP counts differ,
    so this test can fail."""
    phenotypes = _screenable(core)

    def run(order):
        result = ess.essentiality_screen(core, order, progress=False)
        table = result.table().set_index(["unit", "phenotype"]).sort_index()
        return table, result.lp_count

    forward, lp_forward = run(phenotypes)
    backward, lp_backward = run(phenotypes[::-1])
    assert forward.equals(backward)
    assert lp_forward == lp_backward
    monkeypatch.setattr(ess, "reset_solver_state", lambda model: False)
    _, lp_a = run(phenotypes)
    _, lp_b = run(phenotypes[::-1])
    assert lp_a != lp_b  # without the reset, earlier solves change the path


def test_screen_leaves_the_model_alone(core):
    bounds = {r.id: r.bounds for r in core.reactions}
    objective = str(core.objective.expression)
    ess.essentiality_screen(core, ["EX_ac_e"], progress=False)
    assert {r.id: r.bounds for r in core.reactions} == bounds
    assert str(core.objective.expression) == objective


def test_checksum_sees_structure_and_rounded_values_only():
    graph = build_phenotype_graph("textbook", progress=False)
    ratio = graph.edge_attrs["reaction_phenotype"]["ratio"]
    finite = np.flatnonzero(np.isfinite(ratio) & (np.abs(ratio * 1e4 % 1 - 0.5) < 0.4))
    assert len(finite), "need a ratio away from a rounding boundary"

    def with_ratio(values):
        attrs = {**graph.edge_attrs, "reaction_phenotype": {"ratio": values}}
        return PhenotypeGraph(**{**graph.__dict__, "edge_attrs": attrs})

    noisy = ratio.copy()
    noisy[finite] += 3e-7  # solver noise at the 6th/7th decimal
    assert with_ratio(noisy).checksum == graph.checksum
    changed = ratio.copy()
    changed[finite[0]] += 10.0 ** -(CHECKSUM_DECIMALS - 1)
    assert with_ratio(changed).checksum != graph.checksum
    # provenance (LP counts, times), recipe parameters and names are not what a model uses
    other = PhenotypeGraph(
        **{
            **graph.__dict__,
            "provenance": {"screen_lps": 4727, "built": "another day"},
            "model_checksum": "0" * 64,
            "names": {},
        }
    )
    assert other.checksum == graph.checksum
    fewer = PhenotypeGraph(
        **{
            **graph.__dict__,
            "edges": {**graph.edges, "gene_protein": graph.gene_protein_edges[:, 1:]},
        }
    )
    assert fewer.checksum != graph.checksum


def test_names_label_nodes_and_survive_the_artefact(tmp_path):
    graph = build_phenotype_graph("textbook", progress=False)
    assert graph.label("phenotype", "EX_ac_e") == "EX_ac_e (Acetate exchange)"
    assert graph.label("gene", "b2779") == "eno (b2779)"
    complex_id = next(p for p in graph.proteins if "+" in p)
    symbols = [graph.names["gene"][g] for g in complex_id.split("+")]
    assert graph.label("protein", complex_id, width=200) == "+".join(symbols)
    loaded = PhenotypeGraph.load(graph.save(tmp_path / "g"))
    assert loaded.names == graph.names and loaded.checksum == graph.checksum


def test_build_artefact_takes_a_cobra_model_and_writes_to_the_user_cache(cache):
    model = cobra.io.load_model("textbook")
    model.reactions.ACALD.bounds = (0.0, 0.0)  # a user's own edit: not a bundled model any more
    graph, folder = build_artefact(model, phenotypes=["Biomass_Ecoli_core"], progress=False)
    assert folder.parent == cache and folder.name.startswith("e_coli_core-")
    assert PhenotypeGraph.load(folder).checksum == graph.checksum
    with pytest.raises(OutputExistsError):
        build_artefact(model, phenotypes=["Biomass_Ecoli_core"], progress=False)
    # the loader finds it there for the same model object and parameters
    again = load_phenotype_graph(model, phenotypes=["Biomass_Ecoli_core"], progress=False)
    assert again.checksum == graph.checksum


def test_cli_build_default_is_the_user_cache_not_the_checkout(cache, tmp_path):
    env = {"OMICSNET_CACHE": str(cache.parents[1])}
    done = run_cli(
        "knowledge", "build", "--model", "textbook", "--phenotypes", "EX_ac_e", "--quiet",
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    written = list(cache.iterdir())
    assert len(written) == 1 and written[0].name.startswith("textbook-")
    assert str(cache) in done.stdout
    assert not (tmp_path / "knowledge").exists()


@pytest.mark.slow
def test_ijo1366_one_and_two_workers_give_one_checksum():
    """The issue's case: iJO1366 rebuilt gave other ratios at the 6th decimal and another LP
    count; a subset of its phenotypes, screened by 1 and 2 workers, must agree exactly."""
    model = cobra.io.load_model("iJO1366")
    phenotypes = ["BIOMASS_Ec_iJO1366_core_53p95M", "EX_ac_e", "EX_glcn_e", "EX_etoh_e",
                  "EX_succ_e", "EX_lac__D_e"]  # fmt: skip
    one = build_phenotype_graph(model, phenotypes=phenotypes, workers=1, progress=False)
    two = build_phenotype_graph(model, phenotypes=phenotypes[::-1], workers=2, progress=False)
    assert one.provenance["screen_lps"] == two.provenance["screen_lps"]
    by_pair = {}
    for g in (one, two):
        src, dst = g.edges["reaction_phenotype"]
        ratios = g.edge_attrs["reaction_phenotype"]["ratio"]
        by_pair[id(g)] = {
            (g.reactions[i], g.phenotypes[j]): r
            for i, j, r in zip(src, dst, np.nan_to_num(ratios, nan=-1.0), strict=True)
        }
    assert by_pair[id(one)] == by_pair[id(two)]  # exactly equal, not approximately
