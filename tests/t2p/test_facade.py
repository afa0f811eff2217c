"""T2PModel: residual_mlp from a MuData's transcripts to its proteins, gaps masked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

anndata = pytest.importorskip("anndata")
mudata = pytest.importorskip("mudata")

from omicsnet.errors import ConfigError, DataError  # noqa: E402
from omicsnet.t2p.facade import T2PModel  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _mudata():
    rng = np.random.default_rng(0)
    ids = [f"s{i}" for i in range(60)]
    rna = rng.normal(size=(60, 5))
    prot = 3.0 * rna[:, [1, 3]] + 50.0 + rng.normal(0, 0.1, (60, 2))
    prot[:5, 0] = np.nan  # single gaps: masked, the samples still train on the other protein
    return mudata.MuData(
        {
            "rna": anndata.AnnData(
                rna, obs=pd.DataFrame(index=ids), var=pd.DataFrame(index=["A", "B", "C", "D", "E"])
            ),
            "prot": anndata.AnnData(
                prot, obs=pd.DataFrame(index=ids), var=pd.DataFrame(index=["B", "Z"])
            ),
        }
    )


def test_own_mrna_residual_masked_gaps_and_units(tmp_path):
    md = _mudata()
    model = T2PModel(md, blocks=[])
    assert model.module.residual_index.tolist() == [
        1,
        0,
    ] and model.module.residual_mask.tolist() == [1.0, 0.0]
    model.train(max_epochs=150, lr=1e-2)
    predicted = model.predict()
    assert predicted.columns.tolist() == ["B", "Z"]
    truth = md.mod["prot"].to_df()
    assert abs(predicted["B"].mean() - 50.0) < 1.0  # back in the proteins' units
    assert np.corrcoef(predicted["B"][5:], truth["B"][5:])[0, 1] > 0.95
    out = model.write(tmp_path / "t2p.h5mu")
    result = mudata.read_h5mu(out)
    assert result.mod["prot"].layers["predicted"].shape == (60, 2)


def test_modalities_are_checked():
    md = _mudata()
    with pytest.raises(DataError, match="no modality 'protein'"):
        T2PModel(md, protein="protein")
    with pytest.raises(ConfigError, match="MuData"):
        T2PModel(md.mod["rna"])


def test_the_t2p_table_reader_takes_mudata_modalities(tmp_path):
    from omicsnet.t2p.data import t2p_from_tables

    md = _mudata()
    md.write(tmp_path / "cptac_like.h5mu")
    data = t2p_from_tables(f"{tmp_path}/cptac_like.h5mu::rna", f"{tmp_path}/cptac_like.h5mu::prot")
    assert data.rna.shape == (60, 5) and list(data.protein.columns) == ["B", "Z"]
    assert int(data.protein["B"].isna().sum()) == 5
