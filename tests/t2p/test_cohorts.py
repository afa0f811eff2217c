"""Several cohorts: the COAD reader, alignment, splits, per-cohort scaling, pooled CV, transfer."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from omicsnet.errors import ConfigError, DataError, DataNotFoundError
from omicsnet.t2p.cohorts import cohort_cv, transfer
from omicsnet.t2p.cptac import COAD_FILES, read_coad_release
from omicsnet.t2p.data import align_t2p, load_t2p, restrict_transcripts, t2p_splits
from omicsnet.t2p.workflows import synthetic_t2p


# ---------------------------------------------------------------------- COAD release files
def coad_tables(folder, *, repeat_gene=False):
    """Small tables in the COAD release's layout (genes in rows, attrib_name header)."""
    rng = np.random.default_rng(0)
    samples = ["01CO001", "01CO005", "05CO002", "05CO003"]
    genes = ["A1BG", "TP53", "MYC", "A1BG" if repeat_gene else "EGFR"]
    rna = pd.DataFrame(rng.normal(9, 2, (4, 4)).round(3), index=genes, columns=samples)
    tumour = pd.DataFrame(rng.normal(0, 1, (3, 3)).round(3), index=genes[:3],
                          columns=["01CO005", "05CO002", "05CO003"])  # fmt: skip
    tumour.iloc[0, 0] = np.nan
    normal = pd.DataFrame(rng.normal(0, 1, (3, 2)).round(3), index=genes[:3],
                          columns=["01CO001N", "01CO005N"])  # fmt: skip
    clinical = pd.DataFrame([["Male", "Female", "Female", "Male"]], index=["Gender"],
                            columns=samples)  # fmt: skip
    for frame, kind in ((rna, "transcriptomics"), (tumour, "proteomics_tumor"),
                        (normal, "proteomics_normal"), (clinical, "clinical")):  # fmt: skip
        frame.index.name = "attrib_name"
        (folder / COAD_FILES[kind]).write_bytes(
            gzip.compress(frame.to_csv(sep="\t").encode(), mtime=0)
        )
    return folder


def test_coad_reader_reads_tumours_normals_and_clinical(tmp_path):
    cohort = read_coad_release(coad_tables(tmp_path))
    assert cohort.name == "coad" and cohort.rna.shape == (4, 4)
    assert cohort.protein.index.tolist() == [
        "01CO005",
        "05CO002",
        "05CO003",
        "01CO001N",
        "01CO005N",
    ]
    assert cohort.tumour.to_dict() == {
        "01CO001": True, "01CO005": True, "05CO002": True, "05CO003": True,
        "01CO001N": False, "01CO005N": False,
    }  # fmt: skip
    assert cohort.clinical.loc["05CO002", "Gender"] == "Female"
    data = load_t2p("coad", release={"coad": tmp_path}, max_missing=0.5)
    # 01CO001 has RNA but no tumour protein; the normals have no RNA
    assert data.rna.index.tolist() == ["01CO005", "05CO002", "05CO003"]
    assert data.report["coad"]["rna_only_samples"] == ["01CO001"]
    assert np.isnan(data.protein.loc["01CO005", "A1BG"])  # masked, not imputed


def test_coad_reader_errors_name_the_file(tmp_path):
    with pytest.raises(DataNotFoundError, match="CPTAC COAD release files not found"):
        read_coad_release(tmp_path)
    coad_tables(tmp_path, repeat_gene=True)
    with pytest.raises(DataError, match=r"transcriptomics\.gz: gene 'A1BG' appears more than once"):
        read_coad_release(tmp_path)


@pytest.mark.data
def test_real_coad_release(shared_data):
    cohort = read_coad_release(data_dir=shared_data)
    assert cohort.rna.shape == (106, 13482)
    assert cohort.protein.shape == (197, 8067)  # 97 tumours + 100 paired normals
    assert int((~cohort.tumour).sum()) == 100
    assert not cohort.rna.isna().to_numpy().any()  # the release's RNA is complete


@pytest.mark.data
def test_real_ucec_and_coad_pooled(shared_data):
    data = load_t2p(["ucec", "coad"], data_dir=shared_data)
    assert data.cohorts == ["ucec", "coad"]
    assert data.cohort.value_counts().to_dict() == {"ucec": 101, "coad": 96}
    assert data.rna.shape[1] == 13258  # transcripts in both tables
    assert data.report["proteins_by_cohort"] == {"ucec": 5445, "coad": 5445}
    union = load_t2p(["ucec", "coad"], data_dir=shared_data, protein_join="union")
    assert union.report["proteins_by_cohort"] == {"ucec": 9102, "coad": 5659}
    assert union.protein.shape[1] == 9316
    # a protein COAD does not measure is masked for every COAD sample, never imputed
    only_ucec = union.protein.columns[union.protein[union.cohort == "coad"].isna().all()]
    assert len(only_ucec) == 9316 - 5659


# ---------------------------------------------------------------------- alignment
def two_cohorts(n_a=40, n_b=30, *, seed=0, same_process=False, **kwargs):
    """Two cohorts of synthetic data (from one generating process when ``same_process``)."""
    if same_process:
        full = synthetic_t2p(n_samples=n_a + n_b, seed=seed, **kwargs)
        ids = list(full.rna.index)
        parts = {"a": ids[:n_a], "b": ids[n_a:]}
        return align_t2p({c: (full.rna.loc[s], full.protein.loc[s]) for c, s in parts.items()})
    a = synthetic_t2p(n_samples=n_a, seed=seed, **kwargs)
    b = synthetic_t2p(n_samples=n_b, seed=seed + 1, **kwargs)
    rename = "b{}".format
    return align_t2p(
        {"a": (a.rna, a.protein), "b": (b.rna.rename(index=rename), b.protein.rename(index=rename))}
    )


def test_protein_join_and_the_per_cohort_missing_rule():
    rng = np.random.default_rng(0)
    ids_a, ids_b = [f"a{i}" for i in range(10)], [f"b{i}" for i in range(10)]
    rna_a = pd.DataFrame(rng.normal(size=(10, 3)), index=ids_a, columns=["P", "Q", "R"])
    rna_b = pd.DataFrame(rng.normal(size=(10, 3)), index=ids_b, columns=["P", "Q", "S"])
    prot_a = pd.DataFrame(rng.normal(size=(10, 2)), index=ids_a, columns=["P", "Q"])
    prot_b = pd.DataFrame(rng.normal(size=(10, 3)), index=ids_b, columns=["P", "Q", "X"])
    prot_b.iloc[:5, 1] = np.nan  # Q: half missing in b -> not measured there
    cohorts = {"a": (rna_a, prot_a), "b": (rna_b, prot_b)}
    inner = align_t2p(cohorts, max_missing=0.2)
    assert inner.rna.columns.tolist() == ["P", "Q"]  # transcripts: always the intersection
    assert inner.protein.columns.tolist() == ["P"]
    assert inner.report["proteins_by_cohort"] == {"a": 1, "b": 1}
    union = align_t2p(cohorts, max_missing=0.2, protein_join="union")
    assert union.protein.columns.tolist() == ["P", "Q", "X"]
    assert union.report["proteins_by_cohort"] == {"a": 2, "b": 2}
    assert union.protein.loc[ids_b, "Q"].isna().all()  # masked in b, kept for a
    assert union.protein.loc[ids_a, "X"].isna().all()
    assert union.own_mrna.to_dict() == {"P": "P", "Q": "Q", "X": None}
    with pytest.raises(ConfigError, match="protein_join"):
        align_t2p(cohorts, protein_join="outer")
    no_common = {"a": (rna_a[["R"]], prot_a), "b": (rna_b[["S"]], prot_b)}
    with pytest.raises(DataError, match="transcript tables of cohorts 'a', 'b' share no gene"):
        align_t2p(no_common)


def test_samples_without_protein_are_left_out_and_reported():
    rna = pd.DataFrame(np.arange(8.0).reshape(4, 2), index=list("abcd"), columns=["G", "H"])
    protein = pd.DataFrame({"G": [1.0, np.nan, 2.0, 3.0]}, index=list("abcd"))
    data = align_t2p({"x": (rna, protein)}, max_missing=0.5)
    assert data.rna.index.tolist() == ["a", "c", "d"]
    assert data.report["x"]["samples_without_protein"] == ["b"]


# ---------------------------------------------------------------------- splits
def test_target_kx2_scores_the_same_folds_as_kx2_on_the_target_alone():
    data = two_cohorts(n_a=33, n_b=20, n_genes=8, n_proteins=2)
    alone = data.subset_samples([s for s in data.rna.index if data.cohort[s] == "a"])
    plain = list(t2p_splits(alone, scheme="kx2", k=3, seed=4, val=0.1))
    target = list(t2p_splits(data, scheme="target_kx2", target_cohort="a", k=3, seed=4, val=0.1))
    b_samples = {s for s in data.rna.index if data.cohort[s] == "b"}
    assert [s.name for s in target][:2] == ["a:3x2/r0/f0", "a:3x2/r0/f1"]
    for p, t in zip(plain, target, strict=True):
        assert p.test == t.test and p.val == t.val
        assert set(t.train) == set(p.train) | b_samples  # the other cohort always trains
    with pytest.raises(DataError, match="target cohort 'c' not in the data"):
        next(t2p_splits(data, scheme="target_kx2", target_cohort="c"))


def test_leave_one_cohort_out():
    data = two_cohorts(n_a=20, n_b=10, n_genes=8, n_proteins=2)
    splits = list(t2p_splits(data, scheme="loco", val=0.1, seed=0))
    assert [s.name for s in splits] == ["loco:a", "loco:b"]
    first = splits[0]
    assert {data.cohort[s] for s in first.test} == {"a"} and len(first.test) == 20
    assert {data.cohort[s] for s in first.train + first.val} == {"b"} and len(first.val) == 1
    with pytest.raises(DataError, match="needs at least 2 cohorts"):
        next(t2p_splits(synthetic_t2p(n_samples=10, n_genes=4, n_proteins=1), scheme="loco"))


# ---------------------------------------------------------------------- scaling
def test_each_cohort_is_scaled_on_its_own_training_samples():
    data = two_cohorts(n_genes=8, n_proteins=2)
    data.rna.loc[data.cohort == "b"] += 100.0  # a platform offset in cohort b
    split = next(t2p_splits(data, scheme="target_kx2", target_cohort="a", k=1, val=0.0))
    scaled = data.scaled(split)
    b_rows = [i for i, s in enumerate(scaled.train_ids) if data.cohort[s] == "b"]
    a_rows = [i for i, s in enumerate(scaled.train_ids) if data.cohort[s] == "a"]
    for rows in (a_rows, b_rows):  # every cohort centred on its own training samples
        assert np.abs(scaled.x_train[rows].mean(0)).max() < 1e-4
    test_mean = data.rna.loc[split.test].mean()
    assert not np.allclose(scaled.x_test.mean(0), 0.0)  # test samples: training statistics
    assert np.abs(test_mean - data.rna.loc[split.train].loc[lambda f: data.cohort[f.index] == "a"]
                  .mean()).max() > 0  # fmt: skip


def test_an_unseen_cohort_needs_its_own_scaling_and_the_covariate_is_kept():
    data = two_cohorts(n_genes=8, n_proteins=2)
    loco = next(t2p_splits(data, scheme="loco", val=0.0))
    with pytest.raises(DataError, match="no training samples to fit its scaling on"):
        data.scaled(loco)
    scaled = data.scaled(loco, unseen="own", cohort_covariate=True)
    assert scaled.unseen == ["a"] and scaled.covariates == ["cohort:a", "cohort:b"]
    assert np.abs(scaled.x_test[:, :-2].mean(0)).max() < 1e-4  # own statistics
    assert scaled.x_test[:, -2:].tolist() == [[1.0, 0.0]] * len(loco.test)
    small = restrict_transcripts(scaled, 2)
    assert small.transcripts[-2:] == ["cohort:a", "cohort:b"]


# ---------------------------------------------------------------------- pooled vs single, transfer
def test_pooling_a_cohort_from_the_same_process_helps_and_folds_are_shared():
    data = two_cohorts(n_a=40, n_b=120, same_process=True, n_genes=60, n_proteins=20, noise=1.0)
    cv = cohort_cv(data, "a", k=2, baselines=["ridge_own_residual"])
    table = cv.table
    assert set(table["model"]) == {
        "ridge_own_residual [pooled]", "ridge_own_residual [single]",
        "mrna_protein_r [pooled]", "mrna_protein_r [single]",
    }  # fmt: skip
    summary = cv.summary("pearson_r_median")["pearson_r_median_mean"]
    assert summary["ridge_own_residual [pooled]"] > summary["ridge_own_residual [single]"] + 0.02
    # same target test halves in both arms: the raw own-mRNA correlation is identical
    raw = cv.wide("pearson_r_median")
    assert np.allclose(raw["mrna_protein_r [pooled]"], raw["mrna_protein_r [single]"])
    with pytest.raises(ConfigError, match="training arms"):
        cohort_cv(data, "a", training=["both"])


def test_transfer_is_scored_on_the_target_folds_and_never_trains_on_the_target():
    data = two_cohorts(n_a=40, n_b=24, n_genes=12, n_proteins=4)
    result = transfer(data, "a", "b", k=2, baselines=["linear_own_mrna"], seed=3)
    split = result.splits[0]
    ids = result.sample_ids
    trained = {ids[i] for i in np.concatenate([split.train, split.val])}
    assert {data.cohort[s] for s in trained} == {"a"}
    assert {data.cohort[ids[i]] for i in split.test} == {"b"} and len(split.test) == 24
    b_alone = data.subset_samples([s for s in data.rna.index if data.cohort[s] == "b"])
    folds = [f"b:{s.name}" for s in t2p_splits(b_alone, scheme="kx2", k=2, seed=3)]
    assert sorted(set(result.table["split"])) == sorted([*folds, "all"])
    whole = result.table[result.table["split"] == "all"].set_index("model")
    assert whole.loc["linear_own_mrna", "n_test"] == 24
    with pytest.raises(ConfigError, match="same cohort"):
        transfer(data, "a", "a")
