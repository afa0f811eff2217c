"""Predicting a cohort a saved run never saw: records, gene names, coverage, scaling, scores."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from omicsnet.errors import ConfigError, DataError
from omicsnet.t2p.genes import r_make_names
from omicsnet.t2p.predict import PredictionWarning, load_run, predict_cohort
from omicsnet.t2p.workflows import (
    RUN_FILE,
    prepare_split,
    synthetic_t2p,
    train_and_save,
)
from omicsnet.t2p.workflows import predict as network_predict
from tests.conftest import run_cli

ARCH = {"block1_type": "fc", "block1_layers": 1, "block1_width": 8, "lr": 0.01, "batch_size": 16}
GENES = ["TP53", "HLA-A", "2'-PDE", "C10orf105", "MYC", "EGFR", "KRAS", "PTEN"]


def renamed(data, names):
    """The synthetic data with real-looking gene symbols (protein k = own mRNA of gene k)."""
    mapping = dict(zip(data.rna.columns, names, strict=False))
    data.rna = data.rna.rename(columns=mapping)
    data.protein = data.protein.rename(columns=mapping)
    data.own_mrna = pd.Series({mapping[p]: mapping[p] for p in data.own_mrna.index}, dtype=object)
    return data


def both_cohorts():
    """120 samples of one process (8 genes, 3 proteins): 80 to train on, 40 new ones."""
    data = renamed(synthetic_t2p(n_samples=120, n_genes=8, n_proteins=3, noise=0.2, seed=0), GENES)
    ids = list(data.rna.index)
    return data.subset_samples(ids[:80]), data.subset_samples(ids[80:])


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A run trained on the first cohort."""
    folder = tmp_path_factory.mktemp("t2p_predict")
    data, _ = both_cohorts()
    train_and_save(data, {**ARCH, "trainer_weight_decay": 1e-3}, folder / "run", max_epochs=40,
                   device="cpu")  # fmt: skip
    return folder / "run", data


@pytest.fixture
def new_cohort():
    """The same genes in the second cohort, on another scale (another platform)."""
    _, data = both_cohorts()
    return data.rna * 3.0 + 10.0, data.protein


def test_a_saved_run_records_what_prediction_needs(run):
    folder, _ = run
    record = json.loads((folder / RUN_FILE).read_text())["prediction"]
    assert record["inputs"] == GENES and record["outputs"] == GENES[:3]
    assert record["own_mrna"] == {g: g for g in GENES[:3]}
    assert record["scaling"]["cohorts"] == ["synthetic"]
    assert "own samples" in record["scaling"]["policy"] and "set to 0" in record["missing_inputs"]
    _, prediction, reference = load_run(folder)
    assert reference["rna_mean:synthetic"].shape == (8,)
    assert reference["ridge_dual"].shape[1] == 3 and prediction == record


def test_training_scaling_reproduces_the_networks_own_test_predictions(run):
    folder, data = run
    model, _, _ = load_run(folder)
    scaled = prepare_split(data, {"scheme": "standard", "seed": 0})
    expected = network_predict(model, scaled.x_test)
    result = predict_cohort(folder, data.rna.loc[scaled.test_ids], scaling="training")
    assert np.allclose(result.predictions.to_numpy().T, expected, atol=1e-5)
    assert result.coverage["inputs"]["coverage"] == 1.0


def test_gene_spellings_do_not_change_the_predictions(run, new_cohort):
    folder, _ = run
    rna, _ = new_cohort
    plain = predict_cohort(folder, rna)
    respelled = rna.rename(columns=lambda g: r_make_names(g).lower())  # X2..pde, hla.a, tp53
    other = predict_cohort(folder, respelled)
    assert np.allclose(plain.predictions, other.predictions)
    methods = other.coverage["inputs"]["methods"]
    assert methods["r_names"] == 2 and methods["case"] == 6
    # a cohort on another scale, standardised with its own statistics, predicts the same
    shifted = predict_cohort(folder, (rna - 10.0) / 3.0)
    assert np.allclose(plain.predictions, shifted.predictions, atol=1e-5)


def test_missing_inputs_are_filled_with_a_warning_and_reported(run, new_cohort):
    folder, _ = run
    rna, _ = new_cohort
    partial = rna.drop(columns=["TP53", "KRAS", "PTEN"])
    partial.iloc[0, 0] = np.nan
    with pytest.warns(PredictionWarning, match=r"3 of 8 model inputs \(38%\) missing"):
        result = predict_cohort(folder, partial)
    coverage = result.coverage
    assert coverage["inputs"]["found"] == 5 and coverage["inputs"]["missing"] == 3
    assert coverage["own_mrna"]["own_mrna_found"] == 2
    assert coverage["own_mrna"]["own_mrna_missing_examples"] == ["TP53"]
    assert coverage["missing_values_filled"] == 1
    assert np.isfinite(result.predictions.to_numpy()).all()


def test_coverage_below_the_threshold_is_a_one_line_error(run, new_cohort, tmp_path):
    folder, _ = run
    rna, _ = new_cohort
    path = tmp_path / "few.csv"
    rna[["TP53", "MYC", "EGFR"]].T.to_csv(path)
    with pytest.raises(DataError) as err:
        predict_cohort(folder, path)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{path}: only 3 of 8 model inputs (38%)")
    assert "below the 50% threshold" in message
    with pytest.warns(PredictionWarning):
        assert predict_cohort(folder, path, min_coverage=0.3).predictions.shape == (3, 40)


def test_scaling_choices(run, new_cohort):
    folder, _ = run
    rna, _ = new_cohort
    with pytest.raises(DataError, match="one sample cannot be standardised"):
        predict_cohort(folder, rna.iloc[:1])
    one = predict_cohort(folder, rna.iloc[:1], scaling="training")
    assert one.predictions.shape == (3, 1) and one.coverage["scaling"] == "training (synthetic)"
    with pytest.warns(PredictionWarning, match="with fewer than 10 these statistics are noisy"):
        predict_cohort(folder, rna.iloc[:5])
    with pytest.raises(ConfigError, match="reference cohort 'coad'"):
        predict_cohort(folder, rna, scaling="training", reference_cohort="coad")


def test_scores_against_measured_proteins(run, new_cohort):
    folder, _ = run
    rna, protein = new_cohort
    protein = protein.copy()
    protein.columns = [c.lower() for c in protein.columns]  # matched like the transcripts
    result = predict_cohort(folder, rna, protein=protein.iloc[:30])
    scores = result.scores
    assert scores["protein"].tolist() == GENES[:3] and (scores["n"] == 30).all()
    assert scores["own_mrna_available"].all()
    # the own-mRNA reference is a linear map of each protein's own mRNA: its r is that of
    # the raw correlation (up to the sign of the fitted slope)
    for row in scores.itertuples():
        raw = np.corrcoef(rna[row.protein].iloc[:30], protein[row.protein.lower()].iloc[:30])[0, 1]
        assert abs(row.own_mrna_r) == pytest.approx(abs(raw), abs=1e-6)
    summary = result.summary
    assert summary["proteins_scored"] == 3 and summary["network_r_median"] > 0.5
    assert summary["two_stage_ridge_r_median"] > summary["own_mrna_r_median"]  # context helps
    assert result.coverage["scored"]["samples"] == 30


def test_an_old_run_without_a_record_is_refused(run, tmp_path):
    folder, _ = run
    old = tmp_path / "old"
    old.mkdir()
    record = json.loads((folder / RUN_FILE).read_text())
    del record["prediction"]
    (old / RUN_FILE).write_text(json.dumps(record))
    with pytest.raises(DataError, match="saved before omicsnet recorded a run's inputs"):
        load_run(old)


def test_predict_command_end_to_end(run, new_cohort, tmp_path):
    folder, _ = run
    rna, protein = new_cohort
    rna.rename(columns=r_make_names).T.to_csv(tmp_path / "rna.csv")  # R wrote this table
    protein.T.to_csv(tmp_path / "protein.csv")
    result = run_cli(
        "t2p", "predict", "--model", str(folder), "--rna", "rna.csv", "--protein", "protein.csv",
        "--out", "pred.csv", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "coverage: 8 of 8 model inputs found (100.0%)" in result.stdout
    predictions = pd.read_csv(tmp_path / "pred.csv", index_col=0)
    assert predictions.shape == (3, 40) and predictions.index.tolist() == GENES[:3]
    coverage = json.loads((tmp_path / "pred.coverage.json").read_text())
    assert coverage["inputs"]["methods"]["r_names"] == 2
    scores = pd.read_csv(tmp_path / "pred.scores.csv")
    assert set(scores.columns) >= {"network_r", "own_mrna_r", "two_stage_ridge_r"}
    # the output is never replaced without --overwrite, and a bad table exits 2 in one line
    again = run_cli("t2p", "predict", "--model", str(folder), "--rna", "rna.csv",
                    "--out", "pred.csv", cwd=tmp_path)  # fmt: skip
    assert again.returncode == 2 and "already exists" in again.stderr
    (tmp_path / "bad.csv").write_text("gene,S1,S2\nTP53,1,oops\nTP53,2,3\n")
    bad = run_cli("t2p", "predict", "--model", str(folder), "--rna", "bad.csv",
                  "--out", "bad_pred.csv", cwd=tmp_path)  # fmt: skip
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1 and "bad.csv" in bad.stderr
    assert not (tmp_path / "bad_pred.csv").exists()
    rna[["TP53", "MYC", "EGFR"]].T.to_csv(tmp_path / "few.csv")  # 3 of 8 inputs
    few = run_cli("t2p", "predict", "--model", str(folder), "--rna", "few.csv",
                  "--out", "few_pred.csv", cwd=tmp_path)  # fmt: skip
    assert few.returncode == 2 and len(few.stderr.strip().splitlines()) == 1
    assert "only 3 of 8 model inputs (38%)" in few.stderr
    assert "below the 50% threshold" in few.stderr
    assert not (tmp_path / "few_pred.csv").exists()
    lowered = run_cli("t2p", "predict", "--model", str(folder), "--rna", "few.csv",
                      "--min-coverage", "0.3", "--out", "few_pred.csv", cwd=tmp_path)  # fmt: skip
    assert lowered.returncode == 0 and "5 of 8 model inputs (62%) missing" in lowered.stderr
    assert "coverage: 3 of 8 model inputs found (37.5%)" in lowered.stdout


@pytest.mark.slow
@pytest.mark.data
def test_ucec_trained_model_predicts_coad_end_to_end(shared_data, tmp_path):
    """The issue's check: a UCEC-trained run predicts COAD from its release files."""
    from omicsnet.t2p.workflows import load_data

    data = load_data({"cohorts": "ucec"}, data_dir=shared_data)
    run_dir = tmp_path / "ucec_run"
    config = {**ARCH, "linear_path": True, "trainer_weight_decay": 1e-3}
    train_and_save(data, config, run_dir, top_variable=2000, max_epochs=10, device="cpu")
    coad = shared_data / "transcript_protein" / "cptac_coad"
    with pytest.warns(PredictionWarning, match=r"model inputs \(19%\) missing"):
        result = predict_cohort(
            run_dir, coad / "transcriptomics.gz", protein=coad / "proteomics_tumor.cct.gz"
        )
    inputs = result.coverage["inputs"]
    # the 2,000 most variable UCEC transcripts plus every protein's own mRNA; COAD's
    # RNA-seq table lacks a fifth of them (the "20 % absent")
    assert inputs["model"] == 10765 and inputs["found"] == 8747
    assert result.coverage["own_mrna"]["own_mrna_found"] > 8000
    assert result.predictions.shape == (9102, 106)
    assert result.coverage["scored"]["samples"] == 96
    summary = result.summary
    assert summary["proteins_scored"] > 7000
    # COAD's own-mRNA correlation is low (about 0.33); the two-stage ridge fitted on UCEC
    # adds to it on COAD (0.39 with the benchmark's network settings)
    assert summary["two_stage_ridge_r_median"] > summary["own_mrna_r_median"] > 0.25
    assert summary["network_r_median"] > 0.2
    # fewer proteins, the same 2,000 variable transcripts: too few inputs in COAD
    small = load_data({"cohorts": "ucec", "proteins": 300}, data_dir=shared_data)
    train_and_save(small, ARCH, tmp_path / "small", top_variable=2000, max_epochs=2, device="cpu")
    with pytest.raises(DataError, match=r"only 711 of 2282 model inputs \(31%\) found"):
        predict_cohort(tmp_path / "small", coad / "transcriptomics.gz")
