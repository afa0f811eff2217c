"""The table-reading commands take ``.h5ad`` / ``.h5mu`` paths as they take CSV tables.

``omicsnet train`` and ``omicsnet multiomics compare`` are run on a MuData file in
tests/multiomics/test_train.py; here the kcae and t2p commands, which read their tables
through the same ``read_table``.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

anndata = pytest.importorskip("anndata")
mudata = pytest.importorskip("mudata")

from tests.conftest import run_cli  # noqa: E402


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_kcae_commands_read_an_h5ad_compendium_and_obs_phenotypes(tmp_path, one_torch_thread):
    from omicsnet.cli import main
    from omicsnet.kcae.compendium import synthetic_compendium
    from omicsnet.knowledge.phenotype_graph import load_phenotype_graph

    graph = load_phenotype_graph("textbook", progress=False)
    comp = synthetic_compendium(graph.genes[:120], n_samples=40, n_studies=4)
    adata = anndata.AnnData(
        comp.expression.to_numpy(),
        obs=comp.phenotypes.loc[comp.expression.index],
        var=pd.DataFrame(index=comp.expression.columns),
    )
    path = tmp_path / "compendium.h5ad"
    adata.write_h5ad(path)
    before = _sha(path)
    pre, fine, out = tmp_path / "pre", tmp_path / "fine", tmp_path / "pred.csv"
    common = ["--epochs", "2"]
    assert main(["-q", "kcae", "pretrain", "--graph", "textbook", "--compendium", str(path),
                 *common, "--out", str(pre)]) == 0  # fmt: skip
    growth = f"{path}::obs/growth_rate"
    assert main(["-q", "kcae", "finetune", "--model", str(pre), "--expression", str(path),
                 "--phenotypes", growth, *common, "--out", str(fine)]) == 0  # fmt: skip
    assert main(["-q", "kcae", "predict", "--model", str(fine), "--expression", str(path),
                 "--measured", growth, "--out", str(out)]) == 0  # fmt: skip
    predicted = pd.read_csv(out, index_col=0)
    assert predicted.index.tolist() == adata.obs_names.tolist()
    assert list(predicted.columns) == graph.phenotypes
    assert _sha(path) == before  # the input is read, never rewritten
    # an element the file does not have: exit 2, the element named
    assert main(["-q", "kcae", "predict", "--model", str(fine), "--expression",
                 f"{path}::layers/counts", "--out", str(tmp_path / "p2.csv")]) == 2  # fmt: skip


def test_t2p_train_reads_mudata_modalities(tmp_path):
    rng = np.random.default_rng(0)
    samples = [f"S{i:02d}" for i in range(60)]
    rna = pd.DataFrame(rng.normal(size=(60, 10)), index=samples,
                       columns=[f"G{i}" for i in range(10)])  # fmt: skip
    protein = rna[["G0", "G1", "G2"]] + 0.3 * rng.normal(size=(60, 3))
    protein.iloc[5, 1] = np.nan
    md = mudata.MuData({"rna": anndata.AnnData(rna), "prot": anndata.AnnData(protein)})
    md.write(tmp_path / "study.h5mu")
    arch = {"block1_type": "fc", "block1_layers": 1, "block1_width": 8, "lr": 0.01,
            "block1_activation": "tanh", "batch_size": 16, "residual": True}  # fmt: skip
    (tmp_path / "arch.json").write_text(json.dumps(arch))
    result = run_cli(
        "t2p", "train", "--rna", "study.h5mu::rna", "--protein", "study.h5mu::prot",
        "--config", "arch.json", "--epochs", "5", "--out", "run", "-q", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr + result.stdout
    assert "3 proteins from 10 transcripts" in result.stdout
    per_protein = pd.read_csv(tmp_path / "run" / "per_protein.csv")
    assert list(per_protein["protein"]) == ["G0", "G1", "G2"]
    missing = run_cli(
        "t2p", "train", "--rna", "study.h5mu::atac", "--protein", "study.h5mu::prot",
        "--paper", "--out", "run2", "-q", cwd=tmp_path,
    )  # fmt: skip
    assert missing.returncode == 2 and "atac" in missing.stderr
