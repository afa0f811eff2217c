"""``omicsnet t2p ...`` from tables on disk: train -> explain, evaluate, ablate, space, errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.conftest import run_cli

ARCH = {
    "block1_type": "fc",
    "block1_layers": 1,
    "block1_width": 8,
    "block1_activation": "tanh",
    "lr": 0.01,
    "batch_size": 16,
    "residual": True,
}


@pytest.fixture
def tables(tmp_path):
    """Genes x samples CSV tables: 3 proteins that follow their own mRNA, one missing value."""
    rng = np.random.default_rng(0)
    samples = [f"S{i:02d}" for i in range(60)]
    genes = [f"G{i}" for i in range(10)]
    rna = pd.DataFrame(rng.normal(size=(10, 60)), index=genes, columns=samples)
    protein = rna.loc[["G0", "G1", "G2"]] + 0.3 * rng.normal(size=(3, 60))
    protein.iloc[1, 5] = np.nan
    rna.to_csv(tmp_path / "rna.csv")
    protein.to_csv(tmp_path / "protein.csv")
    (tmp_path / "arch.json").write_text(json.dumps(ARCH))
    return tmp_path


def _significant_digits(path):
    """Most significant digits of any number written in a CSV file."""
    import re

    most = 0
    for number in re.findall(r"-?\d+\.\d+(?:e[-+]?\d+)?", path.read_text()):
        mantissa = number.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
        most = max(most, len(mantissa.rstrip("0")))
    return most


def test_printed_numbers_keep_small_values_readable():
    from omicsnet.t2p.cli import _fmt

    assert [_fmt(v) for v in (0.6212345, 1.2e-4, 0, "n/a")] == ["0.621", "1.20e-04", "0", "n/a"]
    assert [_fmt(v, sign=True) for v in (0.0123, -0.5, 0.0, 3e-5)] == [
        "+0.0123", "-0.500", "0", "+3.00e-05",
    ]  # fmt: skip


def _ok(result):
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


def test_train_then_explain_from_tables(tables):
    data = ["--rna", "rna.csv", "--protein", "protein.csv"]
    out = _ok(
        run_cli(
            "t2p", "train", *data, "--config", "arch.json", "--epochs", "20",
            "--out", "run", "-q", cwd=tables,
        )
    )  # fmt: skip
    assert "3 proteins from 10 transcripts" in out
    assert "own-mRNA linear baseline" in out
    record = json.loads((tables / "run" / "t2p_run.json").read_text())
    assert record["trial_config"]["batch_size"] == 16
    assert record["samples"] == {"train": 48, "val": 6, "test": 6}
    per_protein = pd.read_csv(tables / "run" / "per_protein.csv")
    assert list(per_protein["protein"]) == ["G0", "G1", "G2"]
    assert 1 < _significant_digits(tables / "run" / "per_protein.csv") <= 6  # rounded, not noise
    # a second train into the same folder is refused
    again = run_cli("t2p", "train", *data, "--paper", "--out", "run", "-q", cwd=tables)
    assert again.returncode == 2 and "exists" in again.stderr

    out = _ok(
        run_cli(
            "t2p", "explain", "--run", "run", *data, "--proteins", "G1", "--method", "deep",
            "--threshold", "0.5", "--out", "explain", "-q", cwd=tables,
        )
    )  # fmt: skip
    assert "G1: direct" in out
    categories = pd.read_csv(tables / "explain" / "categories.csv")
    shap = categories.set_index("category")["mean_abs_shap"]
    assert shap["direct"] > shap["uncorrelated"]
    for name in ("categories.csv", "attribution.csv"):
        assert _significant_digits(tables / "explain" / name) <= 6
    assert (tables / "explain" / "shap_vs_spearman.png").stat().st_size > 1000
    # explaining with other data than the model was trained on is refused clearly
    pd.read_csv(tables / "rna.csv", index_col=0).iloc[:8].to_csv(tables / "rna8.csv")
    wrong = run_cli(
        "t2p", "explain", "--run", "run", "--rna", "rna8.csv", "--protein", "protein.csv",
        "--out", "explain2", cwd=tables,
    )  # fmt: skip
    assert wrong.returncode == 2 and "do not match the model" in wrong.stderr


@pytest.mark.slow
def test_evaluate_and_ablate_write_their_tables(tables):
    data = ["--rna", "rna.csv", "--protein", "protein.csv"]
    out = _ok(
        run_cli(
            "t2p", "evaluate", *data, "--config", "arch.json", "--k", "1", "--epochs", "5",
            "--baselines", "dummy,linear_own_mrna", "--out", "cv", "-q", cwd=tables,
        )
    )  # fmt: skip
    assert "1x2 cross-validation, 3 proteins" in out
    cv = pd.read_csv(tables / "cv" / "cv.csv")
    assert set(cv["model"]) == {"dummy", "linear_own_mrna", "mrna_protein_r", "network"}
    assert set(cv["split"]) == {"1x2/r0/f0", "1x2/r0/f1"}
    assert _significant_digits(tables / "cv" / "cv.csv") <= 6
    assert pd.read_csv(tables / "cv" / "summary.csv").columns[0] == "model"
    out = _ok(
        run_cli(
            "t2p", "ablate", *data, "--config", "arch.json", "--k", "1", "--epochs", "5",
            "--dropouts", "0.5", "--out", "ablation", "-q", cwd=tables,
        )
    )  # fmt: skip
    summary = pd.read_csv(tables / "ablation" / "summary.csv", index_col=0)
    assert list(summary.index) == ["full", "no_block1", "no_residual", "dropout=0.5"]
    assert summary.index.name == "variant"
    assert _significant_digits(tables / "ablation" / "summary.csv") <= 6
    assert "(change +" in out or "(change -" in out or "(change 0)" in out
    assert (tables / "ablation" / "ablation.png").is_file()


def test_space_and_input_errors(tmp_path):
    out = _ok(run_cli("t2p", "space", cwd=tmp_path))
    assert "block1_exists" in out and "batch_size" in out
    _ok(run_cli("t2p", "space", "--out", "space.yaml", cwd=tmp_path))
    refused = run_cli("t2p", "space", "--out", "space.yaml", cwd=tmp_path)
    assert refused.returncode == 2
    none = run_cli("t2p", "train", "--paper", "--out", "x", cwd=tmp_path)
    assert none.returncode == 2 and "exactly one of --cohort" in none.stderr
    missing = run_cli(
        "t2p", "train", "--synthetic", "--config", "nope.json", "--out", "x", cwd=tmp_path
    )
    assert missing.returncode == 2 and "nope.json" in missing.stderr


def test_train_with_the_cohort_covariate_then_predict(tables):
    data = ["--rna", "rna.csv", "--protein", "protein.csv"]
    _ok(
        run_cli(
            "t2p", "train", *data, "--config", "arch.json", "--epochs", "3",
            "--cohort-covariate", "--out", "run", "-q", cwd=tables,
        )
    )  # fmt: skip
    record = json.loads((tables / "run" / "t2p_run.json").read_text())
    assert record["cohort_covariate"] is True
    assert record["prediction"]["covariates"] == ["cohort:user"]
    assert record["prediction"]["inputs"][-1] == "cohort:user" and record["inputs"] == 11
    out = _ok(
        run_cli("t2p", "predict", "--model", "run", "--rna", "rna.csv", "--out", "pred.csv",
                cwd=tables)
    )  # fmt: skip
    assert "coverage: 10 of 10 model inputs found (100.0%)" in out
    assert pd.read_csv(tables / "pred.csv", index_col=0).shape == (3, 60)


def test_protein_join_reaches_the_loader_for_several_cohorts():
    import argparse

    from omicsnet.t2p.cli import _data_spec

    def spec(cohort, join="union"):
        args = argparse.Namespace(
            cohort=cohort, rna=None, protein=None, synthetic=False, samples_in_rows=False,
            max_missing=0.2, proteins_limit=None, protein_join=join,
        )  # fmt: skip
        return _data_spec(args)

    assert spec("ucec, coad") == {
        "cohorts": ["ucec", "coad"], "max_missing": 0.2, "protein_join": "union",
    }  # fmt: skip
    assert spec("ucec") == {"cohorts": "ucec", "max_missing": 0.2}  # one cohort: no join
