"""KCAEModel: the kcae workflow behind Model(adata, graph).train/predict/save/load/write."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

anndata = pytest.importorskip("anndata")

from omicsnet.errors import ConfigError  # noqa: E402
from omicsnet.kcae.facade import KCAEModel  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")

GRAPH = SimpleNamespace(
    genes=["b1", "b2", "b3", "b4", "b5"],
    proteins=["P1", "P2"],
    phenotypes=["BIOMASS", "EX_ac_e"],
    gene_protein_edges=np.array([[0, 1, 2, 3, 4], [0, 0, 1, 1, 1]]),
    protein_phenotype_edges=np.array([[0, 1, 1], [0, 0, 1]]),
    checksum="toy-graph",
)


def _adata():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4))  # b5 is not measured: mapped genes missing from data are 0
    growth = 0.6 + 0.1 * x[:, 0]
    growth[40:] = np.nan  # 20 samples without a phenotype: used in pretraining only
    return anndata.AnnData(
        x,
        obs=pd.DataFrame({"growth_rate": growth}, index=[f"s{i}" for i in range(60)]),
        var=pd.DataFrame(index=["b1", "b2", "b3", "b4"]),
    )


def test_pretrain_on_all_finetune_on_labelled_save_load_write(tmp_path):
    adata = _adata()
    model = KCAEModel(adata, GRAPH, targets="growth_rate")
    model.train(max_epochs=4, pretrain_epochs=3)
    predicted = model.predict()
    assert predicted.columns.tolist() == ["BIOMASS", "EX_ac_e"] and len(predicted) == 60
    assert model.get_latent_representation().shape == (60, 2)  # the phenotype layer

    again = KCAEModel.load(model.save(tmp_path / "kcae"), adata)
    assert again.module.knowledge_checksum == "toy-graph"
    pd.testing.assert_frame_equal(again.predict(), predicted)

    out = model.write(tmp_path / "out.h5ad")
    result = anndata.read_h5ad(out)
    assert result.layers["kcae_reconstruction"].shape == (60, 4)
    assert result.obsm["omicsnet_predicted"].columns.tolist() == ["BIOMASS", "EX_ac_e"]
    assert result.obsm["X_omicsnet_kcae"].shape == (60, 2)


def test_a_graph_is_needed():
    with pytest.raises(ConfigError, match="needs the phenotype graph"):
        KCAEModel(_adata())
