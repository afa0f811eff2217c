"""The fusion models: block layout, shapes, the latent code, modality dropout."""

from __future__ import annotations

import pytest
import torch

import omicsnet
from omicsnet.errors import ConfigError, DataError


def test_intermediate_fusion_encodes_each_omics_apart():
    torch.manual_seed(0)
    model = omicsnet.create_model(
        "intermediate_fusion", omics=[["rna", 5], ["prot", 3]], out_features=2, latent_dim=4
    )
    x = torch.randn(6, 8)
    changed = x.clone()
    changed[:, 5:] += 1.0  # only the protein block
    model.eval()
    with torch.no_grad():
        a, b = model.latent(x), model.latent(changed)
    assert a.shape == (6, 8)
    assert torch.equal(a[:, :4], b[:, :4])  # the rna code does not see the proteins
    assert not torch.equal(a[:, 4:], b[:, 4:])


def test_early_fusion_mixes_the_omics_in_one_encoder():
    torch.manual_seed(0)
    model = omicsnet.create_model("early_fusion", omics=[["rna", 5], ["prot", 3]], out_features=2)
    x = torch.randn(6, 8)
    changed = x.clone()
    changed[:, 5:] += 1.0
    model.eval()
    with torch.no_grad():
        assert not torch.equal(model.latent(x), model.latent(changed))


def test_modality_dropout_acts_in_training_only_and_keeps_one_omics():
    torch.manual_seed(0)
    model = omicsnet.create_model(
        "intermediate_fusion", omics=[["a", 4], ["b", 4]], latent_dim=3, modality_dropout=0.9,
        encoder_hidden=[], activation="identity",
    )  # fmt: skip
    x = torch.randn(200, 8)
    model.train()
    codes = model.latent(x)
    zero_a = (codes[:, :3] == 0).all(dim=1)
    zero_b = (codes[:, 3:] == 0).all(dim=1)
    assert bool(zero_a.any()) and bool(zero_b.any())
    assert not bool((zero_a & zero_b).any())  # never both
    model.eval()
    with torch.no_grad():
        assert not bool((model.latent(x) == 0).all(dim=1).any())


def test_inputs_and_options_are_checked():
    model = omicsnet.create_model("early_fusion", omics=[["rna", 5], ["prot", 3]])
    with pytest.raises(DataError, match=r"expects inputs of shape \(batch, 8\) \(rna 5, prot 3\)"):
        model(torch.randn(2, 7))
    with pytest.raises(ConfigError, match="distinct"):
        omicsnet.create_model("early_fusion", omics=[["a", 2], ["a", 3]])
    with pytest.raises(ConfigError, match=r"\[name, width\] pairs"):
        omicsnet.create_model("intermediate_fusion", omics=[["a"]])
    with pytest.raises(ConfigError, match="task must be one of"):
        omicsnet.create_model("early_fusion", task="survival")


def test_listed_in_the_zoo_under_their_family():
    assert omicsnet.list_models(family="multiomics") == ["early_fusion", "intermediate_fusion"]
