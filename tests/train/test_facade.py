"""The scvi-tools-like façade: Model(adata), train, predict, latent, save, load, write."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from omicsnet.errors import CheckpointError, ConfigError, DataError, OutputExistsError

anndata = pytest.importorskip("anndata")
mudata = pytest.importorskip("mudata")

from omicsnet.multiomics.facade import MultiOmicsModel  # noqa: E402
from omicsnet.train.facade import OmicsFacade  # noqa: E402


def _adata(n=80, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6))
    obs = pd.DataFrame(
        {
            "subtype": np.where(x[:, 0] + x[:, 1] > 0, "B", "A"),
            "growth": 1000.0 + 10.0 * x[:, 2],
        },
        index=[f"s{i}" for i in range(n)],
    )
    return anndata.AnnData(x, obs=obs, var=pd.DataFrame(index=[f"g{i}" for i in range(6)]))


def test_classification_train_predict_save_load(tmp_path, one_torch_thread):
    adata = _adata()
    model = OmicsFacade(adata, targets="subtype", hidden=[16])
    assert model.task == "classification" and model.classes == ["A", "B"]
    model.train(max_epochs=60, lr=1e-2)
    predicted = model.predict()
    assert predicted.name == "subtype_predicted"
    assert (predicted == adata.obs["subtype"]).mean() > 0.85
    proba = model.predict(return_proba=True)
    assert proba.columns.tolist() == ["A", "B"] and np.allclose(proba.sum(axis=1), 1.0)
    with pytest.raises(ConfigError, match="no latent space"):
        model.get_latent_representation()

    folder = model.save(tmp_path / "model")
    assert sorted(p.name for p in folder.iterdir()) == [
        ".omicsnet-output.json",
        "facade.json",
        "model",
    ]
    again = OmicsFacade.load(folder, adata)
    pd.testing.assert_frame_equal(again.predict(return_proba=True), proba)
    with pytest.raises(CheckpointError, match="no facade.json"):
        OmicsFacade.load(tmp_path, adata)


def test_regression_predictions_come_back_in_the_targets_units(one_torch_thread):
    adata = _adata()
    model = OmicsFacade(adata, targets="growth", hidden=[])
    assert model.task == "regression"
    model.train(max_epochs=200, lr=1e-2)
    predicted = model.predict()["growth"]
    assert abs(predicted.mean() - 1000.0) < 2.0
    assert np.corrcoef(predicted, adata.obs["growth"])[0, 1] > 0.95


def test_new_data_must_hold_the_models_features(one_torch_thread):
    adata = _adata()
    model = OmicsFacade(adata, targets="subtype").train(max_epochs=2)
    shuffled = adata[:, ["g5", "g4", "g3", "g2", "g1", "g0"]].copy()
    pd.testing.assert_series_equal(model.predict(shuffled), model.predict(adata))
    with pytest.raises(
        DataError, match=r"1 of the model's 6 features are not in the data \(e.g. \['g5'\]\)"
    ):
        model.predict(adata[:, :5].copy())
    with pytest.raises(ConfigError, match="train"):
        OmicsFacade(adata, targets="subtype").predict()


def test_results_are_written_into_a_new_file(tmp_path, one_torch_thread):
    adata = _adata()
    path = tmp_path / "cells.h5ad"
    adata.write_h5ad(path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    model = OmicsFacade(path, targets="subtype").train(max_epochs=2)
    out = model.write(tmp_path / "cells_results.h5ad")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    result = anndata.read_h5ad(out)
    assert result.obs_names.tolist() == adata.obs_names.tolist()
    assert set(result.obs["subtype_predicted"]) <= {"A", "B"}
    assert result.obsm["subtype_proba"].shape == (80, 2)
    assert result.uns["omicsnet"]["model"] == "mlp"
    with pytest.raises(OutputExistsError):
        model.write(path, overwrite=True)


def _mudata(n=80, seed=0):
    rng = np.random.default_rng(seed)
    ids = [f"s{i:02d}" for i in range(n)]
    rna = pd.DataFrame(rng.normal(size=(n, 5)), index=ids, columns=[f"g{i}" for i in range(5)])
    prot = pd.DataFrame(rng.normal(size=(n, 3)), index=ids, columns=[f"p{i}" for i in range(3)])
    md = mudata.MuData({"rna": anndata.AnnData(rna), "prot": anndata.AnnData(prot.iloc[: n - 10])})
    md.obs["subtype"] = np.where(rna["g0"] + prot["p0"] > 0, "hi", "lo")
    return md


def test_multiomics_facade_latent_and_missing_modalities(tmp_path, one_torch_thread):
    md = _mudata()
    model = MultiOmicsModel(md, targets="subtype", latent_dim=3)  # drop: 70 complete samples
    assert model.blocks == [["prot", 3], ["rna", 5]]
    model.train(max_epochs=3)
    assert model.get_latent_representation().shape == (70, 6)
    out = model.write(tmp_path / "study_results.h5mu")
    result = mudata.read_h5mu(out)
    latent = result.obsm["X_omicsnet_intermediate_fusion"]
    assert latent.shape == (80, 6)
    assert np.isnan(latent[70:]).all() and np.isfinite(latent[:70]).all()  # no omics, no code
    assert result.obs["subtype_predicted"].iloc[:70].notna().all()

    early = MultiOmicsModel(md, targets="subtype", fusion="early", missing_modality="impute")
    early.train(max_epochs=2)
    assert early.get_latent_representation().shape == (80, 16)
    folder = early.save(tmp_path / "early")
    again = MultiOmicsModel.load(folder, md)
    np.testing.assert_array_equal(
        again.get_latent_representation(), early.get_latent_representation()
    )
    with pytest.raises(ConfigError, match="fusion must be one of"):
        MultiOmicsModel(md, targets="subtype", fusion="late")
