"""kcae on textbook (e_coli_core): wiring from the graph, strategies, tied/untied, save/load,
pretrain -> fine-tune on generated data, fine-tuning options, CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import omicsnet
from omicsnet.errors import CheckpointError, ConfigError, DataError
from omicsnet.kcae.compendium import synthetic_compendium
from omicsnet.kcae.model import kcae_from_graph
from omicsnet.kcae.workflows import (
    PhenotypePlan,
    finetune,
    phenotype_metrics,
    predict_phenotypes,
    prepare_expression,
    pretrain,
    reconstruction_pcc,
)


@pytest.fixture(scope="module")
def graph():
    from omicsnet.knowledge.phenotype_graph import load_phenotype_graph

    return load_phenotype_graph("textbook", progress=False)


@pytest.fixture(scope="module")
def data(graph):
    comp = synthetic_compendium(graph.genes, n_samples=120, n_studies=6, seed=0)
    test_ids = list(comp.studies.index[comp.studies == "study_5"])
    train_ids = [s for s in comp.studies.index if s not in set(test_ids)]
    x, _, _ = prepare_expression(comp.expression, graph.genes, fit_on=train_ids)
    return comp, x, train_ids, test_ids


def test_model_is_wired_exactly_by_the_graph(graph):
    model = kcae_from_graph(graph, strategy="C")
    assert model.input_features == graph.genes
    assert model.output_features == graph.phenotypes
    assert model.knowledge_checksum == graph.checksum
    gp = graph.mask("gene_protein").toarray()  # genes x proteins
    pp = graph.mask("protein_phenotype").toarray()  # proteins x phenotypes
    assert np.array_equal(model.gene_protein.mask().numpy(), gp.T)
    assert np.array_equal(model.protein_phenotype.mask().numpy(), pp.T)
    n_edges = graph.gene_protein_edges.shape[1] + graph.protein_phenotype_edges.shape[1]
    biases = len(graph.proteins) * 2 + len(graph.phenotypes) + len(graph.genes)
    readout = 2 * len(graph.phenotypes)  # scale and shift per phenotype
    assert model.n_parameters() == n_edges + biases + readout  # tied: decoder owns biases only
    # a gene outside every GPR feeds no protein: its column of the encoder is empty
    free = np.flatnonzero(gp.sum(1) == 0)
    if len(free):
        x = torch.zeros(1, len(graph.genes))
        x[0, free] = 5.0
        torch.testing.assert_close(model.gene_protein(x), model.gene_protein(torch.zeros_like(x)))


@pytest.mark.parametrize(
    ("strategy", "tied"), [("A", True), ("A", False), ("B", False), ("C", True)]
)
def test_strategies_forward_backward_save_load(graph, strategy, tied, tmp_path):
    torch.manual_seed(0)
    model = kcae_from_graph(graph, strategy=strategy, tied=tied)
    x = model.example_input(5)
    phenotypes = model(x)
    assert phenotypes.shape == (5, len(graph.phenotypes))
    assert bool((phenotypes >= 0).all())  # softplus phenotype layer
    rec = model.reconstruct(x)
    assert rec.shape == x.shape
    (rec.pow(2).sum() + phenotypes.sum()).backward()
    assert all(p.grad is not None for p in model.parameters())
    folder = omicsnet.save(model, tmp_path / "m")
    again = omicsnet.load(folder, expected_knowledge_checksum=graph.checksum)
    assert again.knowledge_checksum == graph.checksum
    model.eval()
    torch.testing.assert_close(again.reconstruct(x), model.reconstruct(x), rtol=0, atol=0)
    if strategy != "A":
        assert torch.equal(again.gene_protein.edge_index, model.gene_protein.edge_index)
    with pytest.raises(CheckpointError, match="knowledge graph"):
        omicsnet.load(folder, expected_knowledge_checksum="0" * 64)


def test_dense_has_more_parameters_and_untied_more_than_tied(graph):
    counts = {
        (s, t): kcae_from_graph(graph, strategy=s, tied=t).n_parameters()
        for s in ("A", "C")
        for t in (True, False)
    }
    assert counts[("A", True)] > 10 * counts[("C", True)]
    edges = graph.gene_protein_edges.shape[1] + graph.protein_phenotype_edges.shape[1]
    assert counts[("C", False)] - counts[("C", True)] == edges


def test_tied_decoder_reads_the_encoder_weights(graph):
    model = kcae_from_graph(graph, strategy="C", tied=True)
    x = model.example_input(3)
    before = model.reconstruct(x).detach()
    with torch.no_grad():
        model.gene_protein.weight.mul_(2.0)
    assert not torch.allclose(model.reconstruct(x), before)


def test_bad_configs_and_inputs_are_clear_errors(graph):
    with pytest.raises(ConfigError, match="strategy must be one of"):
        omicsnet.create_model("kcae", strategy="D")
    with pytest.raises(ConfigError, match="edges do not fit"):
        omicsnet.create_model("kcae", n_genes=2, gene_protein_edges=[[0, 5], [0, 0]])
    model = kcae_from_graph(graph)
    with pytest.raises(DataError, match=r"expects inputs of shape \(batch, 137\)"):
        model(torch.zeros(2, 10))
    with pytest.raises(DataError, match="not a phenotype node"):
        finetune(
            model,
            pd.DataFrame(np.zeros((2, 137)), columns=graph.genes),
            pd.DataFrame({"lactate": [1.0, 2.0]}),
            epochs=1,
            progress=False,
        )
    with pytest.raises(ConfigError, match="unknown kcae layer group"):
        model.set_trainable(["encoder_1"])


def test_relative_error_loss_known_answer():
    plan = PhenotypePlan([0], loss="relative", eps=0.0)
    out = plan.compute_loss(torch.tensor([[1.5], [1.0]]), torch.tensor([[1.0], [2.0]]))
    assert float(out) == pytest.approx((0.5 + 0.5) / 2)
    assert (
        PhenotypePlan([0]).metrics(torch.tensor([[1.1], [3.0]]), torch.tensor([[1.0], [2.0]]))[
            "within_20pct"
        ]
        == 0.5
    )


def test_finetune_calibrates_the_readout_on_training_samples(graph, data):
    comp, x, train_ids, _ = data
    model = kcae_from_graph(graph, strategy="C")
    y = comp.phenotypes.loc[train_ids, ["growth_rate"]]
    finetune(model, x.loc[train_ids], y, epochs=1, lr=1e-9, progress=False)
    # with a negligible learning rate the fit is the least-squares line: mean matches
    predicted = predict_phenotypes(model, x.loc[train_ids])[graph.phenotypes[0]]
    assert predicted.mean() == pytest.approx(float(y["growth_rate"].mean()), abs=1e-3)
    # the readout is not used by the autoencoder path
    torch.manual_seed(0)
    fresh = kcae_from_graph(graph, strategy="C")
    fresh.load_state_dict(
        {k: v for k, v in model.state_dict().items() if "readout" not in k}, strict=False
    )
    xt = torch.as_tensor(x.loc[train_ids].to_numpy())
    torch.testing.assert_close(fresh.reconstruct(xt), model.reconstruct(xt))


def test_pretrain_then_finetune_predicts_held_out_study(graph, data, one_torch_thread):
    comp, x, train_ids, test_ids = data
    torch.manual_seed(0)
    model = kcae_from_graph(graph, strategy="C")
    before = float(reconstruction_pcc(model, x.loc[test_ids]).mean())
    result = pretrain(model, x.loc[train_ids], epochs=40, lr=3e-3, progress=False)
    assert result.history["train_loss"].iloc[-1] < result.history["train_loss"].iloc[0]
    after = float(reconstruction_pcc(model, x.loc[test_ids]).mean())
    assert after > before
    frozen = model.gene_protein.weight.detach().clone()
    finetune(
        model,
        x.loc[train_ids],
        comp.phenotypes.loc[train_ids, ["growth_rate"]],
        layers=["protein_phenotype"],
        epochs=5,
        progress=False,
    )
    assert torch.equal(model.gene_protein.weight.detach(), frozen)  # frozen layer untouched
    finetune(
        model,
        x.loc[train_ids],
        comp.phenotypes.loc[train_ids, ["growth_rate"]],
        epochs=60,
        lr=3e-3,
        loss="relative",
        progress=False,
    )
    assert all(p.requires_grad for p in model.parameters())  # unfrozen afterwards
    predicted = predict_phenotypes(model, x.loc[test_ids])
    assert list(predicted.columns) == graph.phenotypes
    metrics = phenotype_metrics(
        comp.phenotypes.loc[test_ids, "growth_rate"], predicted[graph.phenotypes[0]]
    )
    assert metrics["pooled_pcc"] > 0.6


def test_cli_pretrain_finetune_predict(graph, tmp_path, one_torch_thread):
    from omicsnet.cli import main

    comp = synthetic_compendium([*graph.genes[:120], "not_a_gene"], n_samples=40, n_studies=4)
    comp.expression.T.to_csv(tmp_path / "compendium.csv")
    comp.phenotypes.to_csv(tmp_path / "growth.csv")
    pre, fine = tmp_path / "pre", tmp_path / "fine"
    assert (
        main(
            [
                "-q",
                "kcae",
                "pretrain",
                "--graph",
                "textbook",
                "--compendium",
                str(tmp_path / "compendium.csv"),
                "--epochs",
                "3",
                "--out",
                str(pre),
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "-q",
                "kcae",
                "finetune",
                "--model",
                str(pre),
                "--expression",
                str(tmp_path / "compendium.csv"),
                "--phenotypes",
                str(tmp_path / "growth.csv"),
                "--epochs",
                "3",
                "--layers",
                "encoder",
                "--out",
                str(fine),
            ]
        )
        == 0
    )
    out = tmp_path / "pred.csv"
    assert (
        main(
            [
                "-q",
                "kcae",
                "predict",
                "--model",
                str(fine),
                "--expression",
                str(tmp_path / "compendium.csv"),
                "--measured",
                str(tmp_path / "growth.csv"),
                "--plots",
                str(tmp_path / "plots"),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    predicted = pd.read_csv(out, index_col=0)
    assert predicted.shape == (40, len(graph.phenotypes))
    assert list(predicted.columns) == graph.phenotypes
    assert (tmp_path / "plots" / "phenotype_pcc.png").stat().st_size > 0
    # existing output is refused without --overwrite (exit 2, one-line error)
    assert (
        main(
            [
                "-q",
                "kcae",
                "predict",
                "--model",
                str(fine),
                "--expression",
                str(tmp_path / "compendium.csv"),
                "--out",
                str(out),
            ]
        )
        == 2
    )
    # a compendium with the wrong gene IDs says so
    wrong = comp.expression.T.rename(index=lambda g: f"x{g}")
    wrong.to_csv(tmp_path / "wrong.csv")
    assert (
        main(
            [
                "-q",
                "kcae",
                "predict",
                "--model",
                str(fine),
                "--expression",
                str(tmp_path / "wrong.csv"),
                "--out",
                str(tmp_path / "p2.csv"),
            ]
        )
        == 2
    )


@pytest.mark.slow
def test_ijo1366_precise278_one_study_fold(shared_data, one_torch_thread):
    """The benchmark's setting in small: iJO1366 graph, PRECISE-278, one held-out study."""
    from omicsnet.kcae.compendium import load_precise278
    from omicsnet.knowledge.phenotype_graph import load_phenotype_graph

    graph = load_phenotype_graph("iJO1366", progress=False)
    comp = load_precise278(shared_data)
    labelled = comp.labelled("growth_rate")
    test_ids = list(labelled.studies.index[labelled.studies == "yTF"])
    train_ids = [s for s in comp.expression.index if comp.studies[s] != "yTF"]
    x, _, match = prepare_expression(comp.expression, graph.genes, fit_on=train_ids)
    assert match.n_matched == 1350
    model = kcae_from_graph(graph, strategy="C")
    assert model.n_parameters() < 10_000
    pretrain(model, x.loc[train_ids], epochs=10, lr=1e-2, progress=False)
    assert float(reconstruction_pcc(model, x.loc[test_ids]).mean()) > 0.2
    train_y = [s for s in train_ids if s in set(labelled.expression.index)]
    finetune(
        model,
        x.loc[train_y],
        labelled.phenotypes.loc[train_y, ["growth_rate"]],
        epochs=20,
        lr=3e-3,
        progress=False,
    )
    predicted = predict_phenotypes(model, x.loc[test_ids])[graph.phenotypes[0]]
    assert predicted.notna().all() and len(predicted) == 28
