"""Ablations of a t2p network: one change per variant, same splits, paired deltas."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from omicsnet.errors import ConfigError, DataError
from omicsnet.t2p.ablation import (
    ablation_summary,
    ablation_variants,
    plot_ablation,
    run_ablation,
)
from omicsnet.t2p.space import PAPER_BEST
from omicsnet.t2p.workflows import cv_summary

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _flat(variant):
    from omicsnet.t2p.space import trial_parameters

    return trial_parameters(variant)


def test_each_variant_changes_exactly_one_thing():
    variants = ablation_variants(
        PAPER_BEST,
        activations=["selu", "sigmoid"],
        dropouts=[0.0],
        residual_sets=["random", "own"],
    )
    assert list(variants) == [
        "full",
        "no_block1",
        "no_block2",
        "no_block3",
        "no_residual",
        "residual=random",  # 'own' is what the full model uses: no variant
        "activation=selu",
        "activation=sigmoid",
        "dropout=0.0",
    ]
    full = variants["full"]
    blocks = full.model["blocks"]
    assert variants["no_block2"].model["blocks"] == [blocks[0], blocks[2]]
    assert variants["no_residual"].model["residual"] == {"enabled": False}
    assert variants["no_residual"].model["blocks"] == blocks
    assert variants["residual=random"].residual_set == "random"
    assert {b["activation"] for b in variants["activation=selu"].model["blocks"]} == {"selu"}
    assert [b["dropout"] for b in variants["dropout=0.0"].model["blocks"]] == [0.0] * 3
    for name, variant in variants.items():
        if name != "full":
            assert (variant.batch_size, variant.lr) == (full.batch_size, full.lr)
    assert full.as_dict() == ablation_variants(PAPER_BEST)["full"].as_dict()  # not mutated


def test_variants_reject_unknown_settings():
    with pytest.raises(ConfigError, match="activation"):
        ablation_variants(PAPER_BEST, activations=["swishy"])
    with pytest.raises(ConfigError, match="dropout"):
        ablation_variants(PAPER_BEST, dropouts=[1.0])
    with pytest.raises(ConfigError, match="residual set"):
        ablation_variants(PAPER_BEST, residual_sets=["best"])
    no_residual = {**PAPER_BEST, "residual": False}
    assert "no_residual" not in ablation_variants(no_residual)


def test_summary_pairs_variants_with_the_full_model_by_split():
    table = pd.DataFrame(
        {
            "model": ["full"] * 3 + ["no_block1"] * 3,
            "split": ["a", "b", "c"] * 2,
            "pearson_r_median": [0.6, 0.5, 0.7, 0.5, 0.5, 0.4],
            "mse": [1.0, 1.0, 1.0, 1.5, 1.2, 1.3],
        }
    )
    summary = ablation_summary(table)
    assert list(summary.index) == ["full", "no_block1"]
    assert summary.loc["no_block1", "delta_r"] == pytest.approx(-0.1)  # median of -0.1, 0, -0.3
    assert summary.loc["no_block1", "delta_mse"] == pytest.approx(1 / 3)
    assert summary.loc["full", "delta_r"] == 0.0
    with pytest.raises(DataError, match="no 'full'"):
        ablation_summary(table[table["model"] != "full"])


def test_cv_summary_skips_models_without_correlation_quietly():
    table = pd.DataFrame(
        {
            "model": ["dummy", "dummy", "net", "net"],
            "split": ["a", "b", "a", "b"],
            "pearson_r_median": [np.nan, np.nan, 0.4, 0.6],
            "pearson_r_q25": [np.nan, np.nan, 0.2, 0.4],
            "pearson_r_q75": [np.nan, np.nan, 0.6, 0.7],
            "mse": [1.0, 1.2, 0.8, 0.6],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summary = cv_summary(table)
    assert np.isnan(summary.loc["dummy", "median_r"])
    assert summary.loc["dummy", "mse_mean"] == pytest.approx(1.1)
    assert summary.loc["net", "median_r"] == pytest.approx(0.5)
    assert summary.loc["net", "protein_iqr_mean"] == pytest.approx(0.35)


def test_removing_the_residual_path_hurts_when_proteins_follow_their_mrna(tmp_path):
    from omicsnet.t2p.data import t2p_from_tables

    rng = np.random.default_rng(0)
    samples = [f"S{i}" for i in range(80)]
    rna = pd.DataFrame(
        rng.normal(size=(80, 12)), index=samples, columns=[f"G{i}" for i in range(12)]
    )
    protein = rna[["G0", "G1", "G2"]] + 0.2 * rng.normal(size=(80, 3))
    data = t2p_from_tables(rna, protein, genes_in_rows=False)
    architecture = {
        "block1_type": "fc",
        "block1_layers": 1,
        "block1_width": 4,
        "block1_activation": "tanh",
        "lr": 1e-3,
        "batch_size": 16,
        "residual": True,
    }
    table = run_ablation(data, architecture, k=1, max_epochs=3, early_stopping=None, device="cpu")
    assert set(table["model"]) == {"full", "no_block1", "no_residual"}
    assert len(table) == 3 * 2  # every variant on both halves of the 1x2 CV
    summary = ablation_summary(table)
    # the residual path hands each protein its own mRNA: near-perfect from the start
    assert summary.loc["full", "median_r"] > 0.9
    assert summary.loc["no_residual", "delta_r"] < -0.3
    figure = plot_ablation(table)
    assert len(figure.axes) == 1


def test_no_linear_path_variant_only_for_configs_with_one():
    from omicsnet.t2p.ablation import ablation_variants

    flat = {"block1_type": "fc", "block1_layers": 1, "block1_width": 8, "lr": 0.01,
            "batch_size": 8, "residual": True}  # fmt: skip
    assert "no_linear_path" not in ablation_variants(flat)
    variants = ablation_variants({**flat, "linear_path": True}, remove_blocks=False)
    assert list(variants) == ["full", "no_residual", "no_linear_path"]
    assert variants["full"].model["linear_path"] is True
    assert "linear_path" not in variants["no_linear_path"].model
    assert variants["no_residual"].model["linear_path"] is True
