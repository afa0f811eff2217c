"""``train_ensemble``: what a user watching a long ensemble run sees."""

from __future__ import annotations

import numpy as np

import omicsnet
from omicsnet.train.ensemble import train_ensemble


def test_each_member_bar_says_which_member_it_is(capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 3)).astype("float32")
    data = omicsnet.ArrayDataset(x, (x[:, 0] > 0).astype("int64"))
    config = {"in_features": 3, "out_features": 2, "hidden": [4], "task": "classification"}
    train_ensemble(
        {"model": "mlp", "config": config},
        data,
        n_models=2,
        trainer_kwargs={"max_epochs": 2, "batch_size": 8, "device": "cpu"},
    )
    err = capsys.readouterr().err
    assert "member 1/2" in err and "member 2/2" in err and "2/2 [" in err  # epochs counted
    train_ensemble(
        {"model": "mlp", "config": config},
        data,
        n_models=2,
        trainer_kwargs={"max_epochs": 2, "batch_size": 8, "device": "cpu", "progress": False},
    )
    assert "member" not in capsys.readouterr().err  # progress=False stays quiet
