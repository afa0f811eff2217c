"""``omicsnet train`` and the API on several omics: tables or a MuData file, missing modalities."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import omicsnet
from omicsnet.errors import DataError
from omicsnet.train.experiment import run_experiment
from tests.conftest import run_cli

anndata = pytest.importorskip("anndata")
mudata = pytest.importorskip("mudata")


def _omics(n=90, seed=0):
    """Class = sign(rna g0 + prot p0): each omics alone knows half of it."""
    rng = np.random.default_rng(seed)
    ids = [f"s{i:03d}" for i in range(n)]
    rna = pd.DataFrame(rng.normal(size=(n, 6)), index=ids, columns=[f"g{i}" for i in range(6)])
    prot = pd.DataFrame(rng.normal(size=(n, 4)), index=ids, columns=[f"p{i}" for i in range(4)])
    label = np.where(rna["g0"] + prot["p0"] > 0, "high", "low")
    return rna, prot, pd.DataFrame({"subtype": label}, index=ids)


def _config(data, model="intermediate_fusion"):
    return {
        "model": {"name": model, "config": {"latent_dim": 4}} if "fusion" in model else model,
        "data": {"task": "classification", **data},
        "trainer": {"max_epochs": 3, "progress": False},
    }


def test_a_config_listing_tables_trains_a_fusion_model(tmp_path):
    rna, prot, labels = _omics()
    rna.to_csv(tmp_path / "rna.csv", index_label="sample")
    prot.iloc[:80].to_csv(tmp_path / "prot.csv", index_label="sample")  # 10 samples lack it
    labels.to_csv(tmp_path / "subtype.csv", index_label="sample")
    config = _config({"omics": {"rna": "rna.csv", "prot": "prot.csv"}, "targets": "subtype.csv"})
    result = run_experiment(config, base_dir=tmp_path, output=tmp_path / "run")
    model = omicsnet.load(result.model_dir)
    assert model.model_name == "intermediate_fusion"
    assert model.config["omics"] == [["rna", 6], ["prot", 4]]
    assert model.input_features[:2] == ["rna:g0", "rna:g1"] and model.input_features[6] == "prot:p0"
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["omics"] == {"rna": 6, "prot": 4}
    assert metrics["missing_modality"] == "drop"
    assert metrics["dropped_samples"] == [f"s{i:03d}" for i in range(80, 90)]
    assert sum(metrics["samples"].values()) == 80


def test_a_mudata_file_with_each_missing_modality_policy(tmp_path):
    rna, prot, labels = _omics()
    md = mudata.MuData({"rna": anndata.AnnData(rna), "prot": anndata.AnnData(prot.iloc[:80])})
    md.obs["subtype"] = labels["subtype"].reindex(md.obs_names).to_numpy()
    md.write(tmp_path / "study.h5mu")
    data = {"omics": "study.h5mu", "targets": "study.h5mu::obs/subtype"}

    impute = run_experiment(
        _config({**data, "missing_modality": "impute"}), base_dir=tmp_path, output=tmp_path / "i"
    )
    metrics = json.loads((tmp_path / "i" / "metrics.json").read_text())
    assert sum(metrics["samples"].values()) == 90 and metrics["dropped_samples"] == []
    assert impute.model.config["omics"] == [["prot", 4], ["rna", 6]]  # modalities by name

    early = run_experiment(
        _config({**data, "omics": {"file": "study.h5mu", "modalities": ["rna", "prot"]}},
                model="early_fusion"),
        base_dir=tmp_path, output=tmp_path / "e",
    )  # fmt: skip
    assert early.model.config["omics"] == [["rna", 6], ["prot", 4]]
    assert sum(json.loads((tmp_path / "e" / "metrics.json").read_text())["samples"].values()) == 80

    with pytest.raises(DataError, match=r"10 only in prot|10 only in rna"):
        run_experiment(
            _config({**data, "missing_modality": "error"}), base_dir=tmp_path, output=tmp_path / "x"
        )


def test_single_table_models_take_the_joined_omics_too(tmp_path):
    rna, prot, labels = _omics()
    rna.to_csv(tmp_path / "rna.csv", index_label="sample")
    prot.to_csv(tmp_path / "prot.csv", index_label="sample")
    labels.to_csv(tmp_path / "subtype.csv", index_label="sample")
    result = run_experiment(
        _config({"omics": {"rna": "rna.csv", "prot": "prot.csv"}, "targets": "subtype.csv"}, "mlp"),
        base_dir=tmp_path,
        output=tmp_path / "run",
    )
    assert result.model.config["in_features"] == 10  # early fusion by concatenation


def test_omicsnet_train_and_compare_from_the_command_line(tmp_path):
    rna, prot, labels = _omics()
    md = mudata.MuData({"rna": anndata.AnnData(rna), "prot": anndata.AnnData(prot)})
    md.obs["subtype"] = labels["subtype"].to_numpy()
    md.write(tmp_path / "study.h5mu")
    (tmp_path / "run.yaml").write_text(
        "model: {name: intermediate_fusion, config: {latent_dim: 4}}\n"
        "data: {omics: study.h5mu, targets: 'study.h5mu::obs/subtype', task: classification}\n"
        "trainer: {max_epochs: 2}\noutput: out\n"
    )
    result = run_cli("train", "--config", str(tmp_path / "run.yaml"), "--no-progress")
    assert result.returncode == 0, result.stderr
    assert omicsnet.load(tmp_path / "out" / "model").output_features == ["high", "low"]

    compare = run_cli(
        "multiomics", "compare", "--mudata", str(tmp_path / "study.h5mu"),
        "--labels", f"{tmp_path / 'study.h5mu'}::obs/subtype", "--out", str(tmp_path / "cmp"),
        "--folds", "2", "--models", "early_fusion,logreg", "--max-epochs", "3", "--no-progress",
    )  # fmt: skip
    assert compare.returncode == 0, compare.stderr
    summary = pd.read_csv(tmp_path / "cmp" / "summary.csv", index_col=0)
    assert set(summary.index) == {"early_fusion", "logreg[prot]", "logreg[rna]", "logreg[all]"}
    bad = run_cli(
        "multiomics", "compare", "--omics", "rna", "--labels", "x.csv", "--out", str(tmp_path / "b")
    )
    assert bad.returncode == 2 and "NAME=TABLE" in bad.stderr


def test_fusion_regresses_several_targets_at_once(tmp_path, one_torch_thread):
    """Multi-target regression: each target needs both omics; both come back, in order."""
    rna, prot, _ = _omics(n=160, seed=1)
    rna.to_csv(tmp_path / "rna.csv", index_label="sample")
    prot.to_csv(tmp_path / "prot.csv", index_label="sample")
    targets = pd.DataFrame(
        {"t1": rna["g0"] + prot["p0"], "t2": rna["g1"] - prot["p1"]}, index=rna.index
    )
    targets.to_csv(tmp_path / "targets.csv", index_label="sample")
    config = {
        "model": {"name": "intermediate_fusion", "config": {"latent_dim": 4}},
        "data": {"omics": {"rna": "rna.csv", "prot": "prot.csv"}, "targets": "targets.csv"},
        "trainer": {"max_epochs": 60, "lr": 0.01, "progress": False, "seed": 0},
    }
    result = run_experiment(config, base_dir=tmp_path, output=tmp_path / "run")
    model = omicsnet.load(result.model_dir)
    assert model.config["task"] == "regression" and model.output_features == ["t1", "t2"]
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["task"] == "regression" and metrics["omics"] == {"rna": 6, "prot": 4}
    assert metrics["test_metrics"]["r2"] > 0.5  # held-out samples: both targets learned
