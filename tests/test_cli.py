"""The omicsnet command: listings, training from configs, one-line errors, laziness."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import omicsnet

from .conftest import run_cli


def test_version_and_models():
    assert run_cli("--version").stdout.strip() == f"omicsnet {omicsnet.__version__}"
    result = run_cli("models")
    assert result.returncode == 0
    lines = result.stdout.strip().splitlines()
    assert len(lines) == len(omicsnet.list_models())
    assert any(line.startswith("mlp ") and "[general]" in line for line in lines)


def test_datasets_listing():
    result = run_cli("datasets")
    assert result.returncode == 0
    assert "synthetic_omics" in result.stdout and "breast_tcga" in result.stdout


def test_import_and_help_do_not_load_heavy_libraries():
    code = (
        "import sys, omicsnet, omicsnet.cli; omicsnet.cli.build_parser().format_help();"
        "heavy = ('torch', 'pandas', 'numpy', 'cobra', 'ax', 'shap');"
        "heavy = [m for m in heavy if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def _write_tables(folder, n=60):
    rng = np.random.default_rng(0)
    samples = [f"S{i:03d}" for i in range(n)]
    x = pd.DataFrame(rng.normal(size=(n, 5)), index=samples, columns=list("ABCDE"))
    y = pd.DataFrame({"P1": x["A"] * 2 + x["B"], "P2": x["C"] - x["D"]}, index=samples)
    x.to_csv(folder / "rna.csv", index_label="sample")
    y.iloc[::-1].to_csv(folder / "protein.csv", index_label="sample")  # other order: aligned
    return x, y


def test_train_from_user_tables_writes_model_metrics_and_history(tmp_path):
    _write_tables(tmp_path)
    (tmp_path / "run.yaml").write_text(
        "model: {name: mlp, config: {hidden: [8]}}\n"
        "data: {features: rna.csv, targets: protein.csv, split: {val: 0.2, test: 0.2}}\n"
        "trainer: {max_epochs: 5, batch_size: 8}\n"
        "output: runs/first\n"
    )
    result = run_cli("train", "--config", str(tmp_path / "run.yaml"), "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "model saved to" in result.stdout
    out = tmp_path / "runs" / "first"
    model = omicsnet.load(out / "model")
    assert model.input_features == list("ABCDE")
    assert model.output_features == ["P1", "P2"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["samples"] == {"train": 36, "val": 12, "test": 12}
    assert set(metrics["test_metrics"]) == {"loss", "mse", "r2", "pearson"}
    assert len(pd.read_csv(out / "history.csv")) == 5

    again = run_cli("train", "--config", str(tmp_path / "run.yaml"), "--no-progress")
    assert again.returncode == 2
    assert "already holds a run" in again.stderr and "--resume" in again.stderr
    resumed = run_cli("train", "--config", str(tmp_path / "run.yaml"), "--no-progress", "--resume")
    assert resumed.returncode == 0, resumed.stderr  # finished run: resume adds nothing
    assert len(pd.read_csv(out / "history.csv")) == 5


def test_classification_from_label_table(tmp_path):
    x, _ = _write_tables(tmp_path)
    labels = np.where(x["A"] > 0, "tumour", "normal")
    pd.DataFrame({"status": labels}, index=x.index).to_csv(
        tmp_path / "labels.csv", index_label="sample"
    )
    (tmp_path / "run.json").write_text(
        json.dumps(
            {
                "model": "mlp",
                "data": {"features": "rna.csv", "targets": "labels.csv", "task": "classification"},
                "trainer": {"max_epochs": 3},
                "output": "out",
            }
        )
    )
    result = run_cli("train", "--config", str(tmp_path / "run.json"), "--no-progress")
    assert result.returncode == 0, result.stderr
    assert omicsnet.load(tmp_path / "out" / "model").output_features == ["normal", "tumour"]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            "model: mlp\ndata: {dataset: synthetic_omics}\ntrainer: {max_epoch: 3}\noutput: o\n",
            "trainer: unknown key 'max_epoch'; did you mean 'max_epochs'?",
        ),
        (
            "model: mlpp\ndata: {dataset: synthetic_omics}\noutput: o\n",
            "unknown model 'mlpp'; did you mean mlp?",
        ),
        (
            "model: mlp\ndata: {features: ../../etc/passwd, targets: y.csv}\noutput: o\n",
            "data.features: '../../etc/passwd' must stay inside the config's folder",
        ),
        (
            "model: mlp\ndata: {dataset: synthetic_omics}\noutput: /tmp/elsewhere\n",
            "output: '/tmp/elsewhere' must stay inside the config's folder",
        ),
        (
            "model: mlp\ndata: {features: missing.csv, targets: y.csv}\noutput: o\n",
            "missing.csv does not exist",
        ),
        ("model: [unclosed\n", "cannot parse config"),
        (
            "model: mlp\ndata: {dataset: synthetic_omics}\ntrainer: {lr: -1}\noutput: o\n",
            "lr must be a positive number",
        ),
    ],
)
def test_user_errors_are_one_line_with_exit_status_2(tmp_path, config, expected):
    (tmp_path / "bad.yaml").write_text(config)
    result = run_cli("train", "--config", str(tmp_path / "bad.yaml"), "--no-progress")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("omicsnet: error: ")
    assert expected in lines[-1]
    assert "Traceback" not in result.stderr


def test_mismatched_sample_ids_name_the_ids(tmp_path):
    _write_tables(tmp_path)
    y = pd.read_csv(tmp_path / "protein.csv", index_col=0).rename(index={"S000": "S999"})
    y.to_csv(tmp_path / "protein.csv", index_label="sample")
    (tmp_path / "run.yaml").write_text(
        "model: mlp\ndata: {features: rna.csv, targets: protein.csv}\noutput: o\n"
    )
    result = run_cli("train", "--config", str(tmp_path / "run.yaml"))
    assert result.returncode == 2
    assert "only in features (e.g. ['S000'])" in result.stderr
    assert "only in targets (e.g. ['S999'])" in result.stderr


def test_debug_flag_shows_the_traceback(tmp_path):
    result = run_cli("--debug", "train", "--config", str(tmp_path / "absent.yaml"))
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "DataNotFoundError" in result.stderr


def test_no_command_prints_help_and_fails():
    result = run_cli()
    assert result.returncode == 2
    assert "usage: omicsnet" in result.stdout


def test_demo_quick_runs_end_to_end(tmp_path):
    result = run_cli("demo", "--quick", "--output", str(tmp_path / "demo"), "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "reloaded model predicts identically: yes" in result.stdout
    assert (tmp_path / "demo" / "model" / "model.safetensors").is_file()
    refused = run_cli("demo", "--quick", "--output", str(tmp_path / "demo"), "--no-progress")
    assert refused.returncode == 2 and "already holds a run" in refused.stderr


def test_yaml_scientific_notation_and_debug_after_the_subcommand(tmp_path):
    from omicsnet.config import load_config

    (tmp_path / "run.yaml").write_text("trainer: {lr: 1e-3, grad_clip: 5e0, max_epochs: 3}\n")
    assert load_config(tmp_path / "run.yaml")["trainer"] == {
        "lr": 0.001,
        "grad_clip": 5.0,
        "max_epochs": 3,
    }
    result = run_cli("train", "--config", str(tmp_path / "absent.yaml"), "--debug")
    assert "Traceback" in result.stderr
