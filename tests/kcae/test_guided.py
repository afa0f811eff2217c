"""kgae: knowledge nodes + free nodes, soft masks, whole transcriptome, heads, schedules,
interpretation that finds a planted pathway."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import torch

import omicsnet
from omicsnet.errors import ConfigError, DataError
from omicsnet.kcae.compendium import synthetic_programs
from omicsnet.kcae.guided import kgae_from_graph, knowledge_programs
from omicsnet.kcae.guided_train import (
    apply_proximal,
    fit_guided,
    latent_activity,
    predict_heads,
)
from omicsnet.kcae.interpret import gene_program, node_attributions, signal_shares
from omicsnet.models import create_model


@pytest.fixture(scope="module")
def graph():
    from omicsnet.knowledge.phenotype_graph import load_phenotype_graph

    return load_phenotype_graph("textbook", progress=False)


@pytest.fixture(scope="module")
def planted():
    return synthetic_programs(n_samples=160, seed=0)


def _model(data, **config):
    return create_model(
        "kgae",
        input_features=list(data.expression.columns),
        output_features=["growth_rate"],
        n_genes=data.expression.shape[1],
        n_knowledge=len(data.node_names),
        n_free=3,
        program_edges=data.program_edges,
        node_names=data.node_names,
        **config,
    )


def test_programs_from_the_graph_cover_only_measured_genes(graph):
    genes = [*graph.genes[::2], "not_a_model_gene"]  # half the model's genes + one outsider
    names, kinds, (src, dst) = knowledge_programs(graph, genes)
    assert set(kinds) == {"phenotype"} and set(names) <= set(graph.phenotypes)
    assert genes.index("not_a_model_gene") not in src
    # a phenotype's program = the measured subunits of the proteins essential for it
    biomass = names.index(graph.phenotypes[0])
    essential = {graph.proteins[p] for p, j in graph.protein_phenotype_edges.T if j == 0}
    expected = {
        genes.index(g) for p in essential for g in graph.protein_genes()[p] if g in set(genes)
    }
    assert {s for s, d in zip(src, dst, strict=True) if d == biomass} == expected
    both = knowledge_programs(graph, genes, nodes="both")[1]
    assert both.count("protein") > 0 and both[-1] == "phenotype"
    with pytest.raises(DataError, match="no knowledge node"):
        knowledge_programs(graph, ["x1", "x2"])


def test_whole_transcriptome_model_round_trips(graph, tmp_path):
    genes = graph.genes + [f"outside_{i}" for i in range(20)]
    model = kgae_from_graph(graph, genes, n_free=4, variational=True, head="mlp")
    assert model.input_features == genes and model.n_latent == model.n_knowledge + 4
    assert model.latent_names[-1] == "free_3"
    # outside genes are off every knowledge program, on every free node
    assert float(model.mask[-20:, : model.n_knowledge].sum()) == 0
    outside = model.mask[:, : model.n_knowledge].sum(1) == 0  # genes in no program
    assert bool(outside[-20:].all()) and 0 < int(outside.sum()) < len(genes)
    assert bool((model.mask[:, model.n_knowledge :] == outside[:, None].float()).all())
    folder = omicsnet.save(model, tmp_path / "kgae")
    again = omicsnet.load(folder, expected_knowledge_checksum=graph.checksum)
    x = model.example_input(3)
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(again(x), model(x))
        torch.testing.assert_close(again.reconstruct(x), model.reconstruct(x))
    assert again.node_names == model.node_names


def test_bad_configs_are_clear_errors():
    with pytest.raises(ConfigError, match="no knowledge in it"):
        create_model("kgae", encoder="mlp", decoder="mlp")
    with pytest.raises(ConfigError, match="no gene in their program"):
        create_model("kgae", n_genes=4, n_knowledge=3, program_edges=[[0, 1], [0, 1]])
    with pytest.raises(ConfigError, match="encoder must be one of"):
        create_model("kgae", encoder="dense")
    with pytest.raises(DataError, match=r"shape \(batch, 12\)"):
        create_model("kgae")(torch.zeros(2, 5))
    model = create_model("kgae", input_features=[f"g{i}" for i in range(12)])
    with pytest.raises(DataError, match="head column"):
        fit_guided(
            model,
            pd.DataFrame(np.zeros((4, 12)), columns=model.input_features),
            pd.DataFrame({"other": [1.0, 2.0, 3.0, 4.0]}),
            epochs=1,
            progress=False,
        )


def test_hard_mask_is_the_limit_of_the_soft_mask(planted, one_torch_thread):
    x, y = planted.expression, planted.phenotypes
    off = {}
    for label, config, penalty in (
        ("free", {}, 0.0),
        ("soft", {}, 1.0),
        ("hard", {"hard_mask": True}, 0.0),
    ):
        torch.manual_seed(0)
        model = _model(planted, **config)
        result = fit_guided(
            model, x, y, schedule="joint", epochs=30, penalty=penalty, lr=3e-3, progress=False
        )
        off[label] = result["off_graph"]
    assert off["hard"]["decoder_share"] == 0.0 and off["hard"]["encoder.0_share"] == 0.0
    assert off["soft"]["decoder_share"] < off["free"]["decoder_share"] / 3
    assert off["soft"]["decoder_nonzero"] < 0.5 < off["free"]["decoder_nonzero"]


def test_group_lasso_zeroes_whole_genes():
    model = create_model("kgae", n_genes=4, n_knowledge=2, n_free=1,
                         free_scope="all", program_edges=[[0, 1, 2, 3], [0, 0, 1, 1]])  # fmt: skip
    with torch.no_grad():
        model.decoder.weight.copy_(torch.tensor(
            [[1.0, 0.05, 9.0], [1.0, 2.0, 9.0], [0.05, 1.0, 9.0], [3.0, 1.0, 9.0]]
        ))  # fmt: skip
    apply_proximal(model, 0.1, "group")
    w = model.decoder.weight.detach()
    assert float(w[0, 1]) == 0.0 and float(w[2, 0]) == 0.0  # small groups: gone
    assert 0 < float(w[1, 1]) < 2.0 and 0 < float(w[3, 0]) < 3.0  # large ones shrunk
    assert float(w[0, 0]) == 1.0 and bool((w[:, 2] == 9.0).all())  # on-graph, free: untouched


def test_semi_supervised_heads_in_measured_units(planted, one_torch_thread):
    x, y = planted.expression, planted.phenotypes
    labelled = y.iloc[::2]  # half the samples labelled; every sample reconstructs
    torch.manual_seed(0)
    model = _model(planted)
    result = fit_guided(
        model, x, labelled, schedule="pretrain", pretrain_epochs=30, epochs=30, lr=3e-3,
        progress=False,
    )  # fmt: skip
    assert float(model.head_center[0]) == pytest.approx(float(labelled.mean().iloc[0]), rel=1e-5)
    unlabelled = y.index.difference(labelled.index)
    predicted = predict_heads(model, x.loc[unlabelled])["growth_rate"]
    r = np.corrcoef(predicted, y.loc[unlabelled, "growth_rate"])[0, 1]
    assert r > 0.8  # on samples never labelled
    assert result["history"]["train_loss"].iloc[-1] < result["history"]["train_loss"].iloc[0]


def test_head_schedule_freezes_the_autoencoder(planted, one_torch_thread):
    x, y = planted.expression, planted.phenotypes
    torch.manual_seed(0)
    model = _model(planted)
    pretrained_only = copy.deepcopy(model)
    fit_guided(pretrained_only, x, None, epochs=10, progress=False, seed=3)
    fit_guided(model, x, y, schedule="head", pretrain_epochs=10, epochs=10, progress=False, seed=3)
    torch.testing.assert_close(model.decoder.weight, pretrained_only.decoder.weight)
    torch.testing.assert_close(model.encoder[0].weight, pretrained_only.encoder[0].weight)
    assert not torch.equal(model.head[0].weight, pretrained_only.head[0].weight)


def test_planted_pathway_is_ranked_first(planted, one_torch_thread):
    """The phenotype is driven by one programme: its knowledge node must rank first and carry
    most of the attribution (SHAP and DeepLIFT), for two seeds. Unconstrained free nodes
    trained jointly spread the signal so that a free node comes first: the check can fail."""
    x, y = planted.expression, planted.phenotypes
    train, test = x.index[:120], x.index[120:]
    for seed in (0, 1):
        torch.manual_seed(seed)
        model = _model(planted)
        fit_guided(model, x.loc[train], y.loc[train], pretrain_epochs=80, epochs=60, lr=3e-3,
                   penalty=1.0, seed=seed, progress=False)  # fmt: skip
        for method in ("gradient", "deep") if seed == 0 else ("deep",):
            table = node_attributions(model, x.loc[test], x.loc[train], method=method)
            assert table["node"].iloc[0] == planted.driver, table.head()
            assert table["share"].iloc[0] > 0.5
    # the node's activity follows the true programme activity on held-out samples
    activity = latent_activity(model, x.loc[test])[planted.driver]
    assert abs(np.corrcoef(activity, planted.activity.loc[test, planted.driver])[0, 1]) > 0.9
    shares = signal_shares(model, x.loc[test], table)
    assert shares["prediction_knowledge_share"] > 0.5
    assert 0.0 < shares["reconstruction_knowledge_share"] <= 1.0
    program = gene_program(model, planted.driver, top=10)
    assert program["in_program"].all() and program.attrs["share_in_program"] > 0.8
    # the failure this design avoids
    torch.manual_seed(0)
    loose = _model(planted, free_scope="all")
    fit_guided(loose, x.loc[train], y.loc[train], schedule="joint", epochs=80, lr=3e-3,
               penalty=1.0, progress=False)  # fmt: skip
    table = node_attributions(loose, x.loc[test], x.loc[train], method="deep")
    assert table["kind"].iloc[0] == "free"


def test_variational_option_trains_and_is_deterministic_in_eval(planted, one_torch_thread):
    torch.manual_seed(0)
    model = _model(planted, variational=True, encoder="mlp", hidden=[32])
    result = fit_guided(model, planted.expression, planted.phenotypes, schedule="joint",
                        epochs=5, kl_weight=1e-2, progress=False)  # fmt: skip
    assert np.isfinite(result["history"]["train_loss"]).all()
    a = predict_heads(model, planted.expression.iloc[:5])
    b = predict_heads(model, planted.expression.iloc[:5])
    pd.testing.assert_frame_equal(a, b)


def test_cli_guided_and_explain(graph, tmp_path, one_torch_thread, capsys):
    from omicsnet.cli import main
    from omicsnet.kcae.compendium import synthetic_compendium

    genes = [*graph.genes, "yjjX", "ydcF"]  # the whole transcriptome: model genes and others
    comp = synthetic_compendium(genes, n_samples=40, n_studies=4, seed=0)
    comp.expression.T.to_csv(tmp_path / "x.csv")
    comp.phenotypes.iloc[:30].to_csv(tmp_path / "growth.csv")  # 30 of 40 labelled
    comp.studies.to_frame().to_csv(tmp_path / "studies.csv")
    model = tmp_path / "model"
    common = [
        "-q",
        "kcae",
        "guided",
        "--graph",
        "textbook",
        "--compendium",
        str(tmp_path / "x.csv"),
    ]
    args = [*common, "--phenotypes", str(tmp_path / "growth.csv"), "--epochs", "3",
            "--pretrain-epochs", "3", "--out", str(model)]  # fmt: skip
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "30 labelled" in printed and "13 knowledge + 16 free nodes" in printed
    assert " % of the knowledge nodes' |weight| off the graph" in printed  # format_number
    assert main(args) == 2  # the model folder exists: refused without --overwrite
    assert "--overwrite" in capsys.readouterr().err
    out = tmp_path / "explained"
    assert main(["-q", "kcae", "explain", "--model", str(model), "--expression",
                 str(tmp_path / "x.csv"), "--studies", str(tmp_path / "studies.csv"),
                 "--nsamples", "10", "--out", str(out)]) == 0  # fmt: skip
    activity = pd.read_csv(out / "node_activity.csv", index_col=0)
    # CSV cells rounded to 6 significant digits (utils.io.write_csv), not float noise
    cells = (out / "node_activity.csv").read_text().splitlines()[1].split(",")[1:]
    digits = [len(c.split("e")[0].lstrip("-").replace(".", "").lstrip("0")) for c in cells]
    assert max(digits) <= 6
    assert activity.shape == (40, 13 + 16)
    table = pd.read_csv(out / "attributions_growth_rate.csv")
    assert table["label"].str.contains("Acetate exchange").any()  # labelled with names
    assert (out / "node_activity.png").stat().st_size > 0
    # a phenotype table naming samples the compendium lacks is a one-line error (exit 2)
    comp.phenotypes.rename(index=lambda s: f"x{s}").to_csv(tmp_path / "bad.csv")
    bad = [*common, "--phenotypes", str(tmp_path / "bad.csv"), "--epochs", "1",
           "--out", str(tmp_path / "m2")]  # fmt: skip
    assert main(bad) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "not in the compendium" in err[-1]
