"""Dual-polarity model: pairing by sample ID, separate branches, ensembles, save/load."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import omicsnet
from omicsnet.errors import DataError
from omicsnet.lcms.dual import pair_polarities
from omicsnet.models import create_model
from omicsnet.models.serialization import load, save
from omicsnet.train.ensemble import train_ensemble

TINY = {"input_size": [32, 32], "block_config": [1, 1], "growth_rate": 4, "init_features": 8}


def test_pairing_by_sample_id_in_any_order():
    runs = [np.full((4, 5), v, dtype=np.float32) for v in (1, 2, 3, 4)]
    x, ids = pair_polarities(runs, ["b", "a", "a", "b"], ["neg", "positive", "-", "+"])
    assert ids == ["b", "a"] and x.shape == (2, 2, 4, 5)
    assert x[0, 0, 0, 0] == 4 and x[0, 1, 0, 0] == 1  # b: positive = run 4, negative = run 1
    assert x[1, 0, 0, 0] == 2 and x[1, 1, 0, 0] == 3


def test_pairing_errors_name_every_problem():
    a = np.zeros((4, 4))
    with pytest.raises(
        DataError,
        match=r"2 unpaired sample\(s\): s1 \(no negative-mode run\), "
        r"s2 \(no positive-mode run\)",
    ):
        pair_polarities([a, a], ["s1", "s2"], ["pos", "neg"])
    with pytest.raises(DataError, match="s1: two positive-mode runs"):
        pair_polarities([a, a, a], ["s1", "s1", "s1"], ["pos", "pos", "neg"])
    with pytest.raises(DataError, match="no runs given"):
        pair_polarities([], [], [])
    with pytest.raises(DataError, match="unknown polarity 'neutral'"):
        pair_polarities([a], ["s1"], ["neutral"])
    with pytest.raises(DataError, match=r"shape \(4, 5\), others \(4, 4\)"):
        pair_polarities([a, np.zeros((4, 5))], ["s1", "s1"], ["pos", "neg"])


def test_branches_see_only_their_polarity(one_torch_thread):
    torch.manual_seed(0)
    model = create_model("lcms_dual", **TINY).eval()
    x = model.example_input(2)
    x.requires_grad_(True)
    model.positive(x[:, :1]).sum().backward()
    assert x.grad[:, 0].abs().sum() > 0 and x.grad[:, 1].abs().sum() == 0
    with pytest.raises(DataError, match="channel 0 the positive-mode"):
        model(torch.zeros(1, 1, 32, 32))
    shared = create_model("lcms_dual", shared_weights=True, **TINY)
    n_shared = sum(p.numel() for p in shared.parameters())
    n_separate = sum(p.numel() for p in model.parameters())
    head = model.classifier.weight.numel() + model.classifier.bias.numel()
    assert n_separate - head == 2 * (n_shared - head)


def test_dual_model_trains_in_an_ensemble_and_round_trips(tmp_path, one_torch_thread):
    rng = np.random.default_rng(0)
    y = np.array([0, 1] * 6)
    x = rng.gamma(2.0, 100.0, size=(12, 2, 32, 32)).astype(np.float32)
    x[y == 1, 1, 10:14, 10:14] += 1e5  # class 1: a peak in negative mode only
    data = omicsnet.ArrayDataset(x, y)
    result = train_ensemble(
        {"model": "lcms_dual", "config": {"n_classes": 2, **TINY}},
        data,
        n_models=2,
        trainer_kwargs={"max_epochs": 2, "batch_size": 4, "progress": False},
    )
    ensemble = result.ensemble.eval()
    with torch.no_grad():
        proba = ensemble.predict_proba(torch.as_tensor(x))
    assert proba.shape == (12, 2)
    np.testing.assert_allclose(np.asarray(proba).sum(1), 1.0, rtol=1e-5)
    member = ensemble.members[0]
    save(member, tmp_path / "dual")
    reloaded = load(tmp_path / "dual")
    with torch.no_grad():
        torch.testing.assert_close(reloaded(torch.as_tensor(x[:3])), member(torch.as_tensor(x[:3])))
