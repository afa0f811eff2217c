"""``train_ensemble``: what a user watching a long ensemble run sees."""

from __future__ import annotations

import numpy as np
import pandas as pd

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


def test_stored_members_are_read_back_not_trained_again(tmp_path, monkeypatch):
    import pytest

    from omicsnet.errors import ConfigError
    from omicsnet.train import trainer as trainer_module

    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 3)).astype("float32")
    data = omicsnet.ArrayDataset(x, (x[:, 0] > 0).astype("int64"))
    builder = {
        "model": "mlp",
        "config": {"in_features": 3, "out_features": 2, "hidden": [4], "task": "classification"},
    }
    kwargs = {"max_epochs": 2, "batch_size": 8, "device": "cpu", "progress": False}
    whole = train_ensemble(builder, data, n_models=3, trainer_kwargs=kwargs, store=tmp_path / "s")
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [
        "member_00",
        "member_01",
        "member_02",
    ]
    import shutil

    shutil.rmtree(tmp_path / "s" / "member_01")  # as if killed while training member 1
    fits = []
    original = trainer_module.Trainer.fit
    monkeypatch.setattr(
        trainer_module.Trainer,
        "fit",
        lambda self, *a, **k: fits.append(1) or original(self, *a, **k),
    )
    resumed = train_ensemble(builder, data, n_models=3, trainer_kwargs=kwargs, store=tmp_path / "s")
    assert len(fits) == 1  # only the missing member was trained
    np.testing.assert_array_equal(
        resumed.ensemble.predict_proba(x), whole.ensemble.predict_proba(x)
    )
    pd.testing.assert_frame_equal(
        resumed.members.drop(columns=["wall_seconds", "cpu_seconds"]),
        whole.members.drop(columns=["wall_seconds", "cpu_seconds"]),
        check_dtype=False,
    )
    with pytest.raises(ConfigError, match=r"member_00 holds another member .*--overwrite"):
        train_ensemble(
            builder, data, n_models=3, seeds=[5, 6, 7], trainer_kwargs=kwargs, store=tmp_path / "s"
        )
