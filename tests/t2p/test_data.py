"""Transcript → protein data: alignment, missing-value policy, splits and leak-free scaling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omicsnet.errors import ConfigError, DataError
from omicsnet.t2p.data import (
    T2PSplit,
    align_t2p,
    residual_indices,
    t2p_from_tables,
    t2p_splits,
)


def make_cohort(
    name: str, n: int, seed: int, n_genes: int = 12
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    samples = [f"{name}_{i:03d}" for i in range(n)]
    genes = [f"G{j}" for j in range(n_genes)]
    rna = pd.DataFrame(rng.normal(5, 2, size=(n, n_genes)), index=samples, columns=genes)
    protein = rna.iloc[:, :6].to_numpy() * 0.5 + rng.normal(size=(n, 6))
    protein = pd.DataFrame(protein, index=samples, columns=[*genes[:4], "P_only", "P_sparse"])
    protein.iloc[: n // 2, 5] = np.nan  # 50 % missing: dropped at max_missing 0.2
    protein.iloc[0, 0] = np.nan  # one missing value: kept, masked
    return rna, protein


@pytest.fixture
def two_cohorts():
    tables = {"a": make_cohort("a", 40, 0), "b": make_cohort("b", 30, 1)}
    return align_t2p(tables, max_missing=0.2)


def test_alignment_keeps_shared_samples_and_genes_and_reports_drops():
    rna, protein = make_cohort("a", 20, 0)
    rna = rna.drop(index="a_000")
    protein = protein.drop(index="a_019")
    rna["CONST"] = 1.0
    data = align_t2p({"a": (rna, protein)}, max_missing=0.2)
    assert data.rna.index.tolist() == [f"a_{i:03d}" for i in range(1, 19)]
    assert data.report["a"]["rna_only_samples"] == ["a_019"]
    assert data.report["a"]["protein_only_samples"] == ["a_000"]
    assert "CONST" not in data.rna.columns and data.report["constant_transcripts"] == 1
    assert "P_sparse" not in data.protein.columns and data.report["proteins_over_max_missing"] == 1
    assert data.own_mrna.to_dict() == {
        "G0": "G0",
        "G1": "G1",
        "G2": "G2",
        "G3": "G3",
        "P_only": None,
    }
    assert data.own_index.tolist() == [0, 1, 2, 3, -1]


def test_alignment_intersects_genes_across_cohorts():
    ra, pa = make_cohort("a", 20, 0)
    rb, pb = make_cohort("b", 20, 1)
    rb = rb.drop(columns=["G5"])
    data = align_t2p({"a": (ra, pa), "b": (rb, pb)})
    assert "G5" not in data.rna.columns
    assert data.cohort.value_counts().to_dict() == {"a": 20, "b": 20}
    assert data.cohorts == ["a", "b"]


def test_duplicate_symbols_error_names_them_or_are_merged():
    rna, protein = make_cohort("a", 10, 0)
    rna.columns = ["G0", "G0", *rna.columns[2:]]
    with pytest.raises(
        DataError, match=r"transcriptomics: 1 gene symbols appear more than once \(e\.g\. \['G0'\]"
    ):
        align_t2p({"a": (rna, protein)})
    merged = align_t2p({"a": (rna, protein)}, duplicates="mean")
    expected = (make_cohort("a", 10, 0)[0].iloc[:, :2].mean(axis=1)).rename("G0")
    pd.testing.assert_series_equal(merged.rna["G0"], expected, check_names=False)


def test_mismatched_and_colliding_ids_are_clear_errors():
    rna, protein = make_cohort("a", 10, 0)
    protein.index = [f"X{i}" for i in range(10)]
    with pytest.raises(DataError, match="cohort 'a': no sample is in both tables"):
        align_t2p({"a": (rna, protein)})
    r1, p1 = make_cohort("a", 10, 0)
    with pytest.raises(DataError, match="sample ID 'a_000' is in cohorts 'x' and 'y'"):
        align_t2p({"x": (r1, p1), "y": (r1.copy(), p1.copy())})
    dup = pd.concat([r1, r1.iloc[:1]])
    with pytest.raises(DataError, match="sample ID 'a_000' appears twice"):
        align_t2p({"a": (dup, p1)})


def test_tumour_filter_and_unknown_status():
    rna, protein = make_cohort("a", 10, 0)
    tumour = pd.Series([i % 2 == 0 for i in range(10)], index=rna.index)
    data = align_t2p({"a": (rna, protein)}, tumour={"a": tumour})
    assert data.rna.index.tolist() == [f"a_{i:03d}" for i in range(0, 10, 2)]
    assert data.report["a"]["normal_samples_dropped"] == [f"a_{i:03d}" for i in range(1, 10, 2)]
    kept_all = align_t2p({"a": (rna, protein)}, tumour={"a": tumour}, tumour_only=False)
    assert len(kept_all.rna) == 10
    with pytest.raises(DataError, match="tumour/normal status unknown"):
        align_t2p({"a": (rna, protein)}, tumour={"a": tumour.iloc[:5]})


def test_user_tables_genes_in_rows_from_files(tmp_path):
    rna, protein = make_cohort("u", 12, 3)
    rna.T.to_csv(tmp_path / "rna.tsv", sep="\t")
    protein.T.to_csv(tmp_path / "protein.csv")
    data = t2p_from_tables(tmp_path / "rna.tsv", tmp_path / "protein.csv", cohort="mine")
    assert data.rna.shape == (12, 12) and set(data.cohort) == {"mine"}
    np.testing.assert_allclose(data.rna.to_numpy(), rna.to_numpy(), rtol=1e-12)


def _assert_partition(split: T2PSplit, samples: list[str]) -> None:
    parts = [set(split.train), set(split.val), set(split.test)]
    assert not (parts[0] & parts[1]) and not (parts[0] & parts[2]) and not (parts[1] & parts[2])
    assert parts[0] | parts[1] | parts[2] == set(samples)


def test_standard_split_per_cohort_proportions(two_cohorts):
    split = next(iter(t2p_splits(two_cohorts, scheme="standard", seed=3)))
    _assert_partition(split, two_cohorts.rna.index.tolist())
    for name, n in (("a", 40), ("b", 30)):
        counts = tuple(
            sum(two_cohorts.cohort[s] == name for s in ids)
            for ids in (split.train, split.val, split.test)
        )
        assert counts == (
            n - 2 * round(0.1 * n),
            round(0.1 * n),
            round(0.1 * n),
        )
    again = next(iter(t2p_splits(two_cohorts, scheme="standard", seed=3)))
    other = next(iter(t2p_splits(two_cohorts, scheme="standard", seed=4)))
    assert again == split and other.test != split.test


def test_target_cohort_split(two_cohorts):
    split = next(iter(t2p_splits(two_cohorts, scheme="target_cohort", target_cohort="b", seed=0)))
    _assert_partition(split, two_cohorts.rna.index.tolist())
    cohort = two_cohorts.cohort
    assert all(cohort[s] == "b" for s in split.val + split.test)
    assert sum(cohort[s] == "a" for s in split.train) == 40
    in_b = (sum(cohort[s] == "b" for s in split.train), len(split.val), len(split.test))
    assert in_b == (30 - 3 - round(0.45 * 30), 3, round(0.45 * 30))
    with pytest.raises(ConfigError, match="needs target_cohort"):
        next(iter(t2p_splits(two_cohorts, scheme="target_cohort")))
    with pytest.raises(DataError, match="target cohort 'zz' not in the data"):
        next(iter(t2p_splits(two_cohorts, scheme="target_cohort", target_cohort="zz")))


@pytest.mark.parametrize("k", [5, 100])
def test_kx2_splits_halves_swap_cover_and_repeat(two_cohorts, k):
    samples = two_cohorts.rna.index.tolist()
    splits = list(t2p_splits(two_cohorts, scheme="kx2", k=k, seed=7))
    assert len(splits) == 2 * k and splits[1].name == f"{k}x2/r0/f1"
    for first, second in zip(splits[::2], splits[1::2], strict=True):
        _assert_partition(first, samples)
        # the two folds of a repeat swap halves: each sample is tested exactly once
        assert set(first.test) | set(second.test) == set(samples)
        assert not set(first.test) & set(second.test)
        assert set(first.train) | set(first.val) == set(second.test)
        for name, n in (("a", 40), ("b", 30)):
            in_test = sum(two_cohorts.cohort[s] == name for s in first.test)
            assert in_test in (n // 2, (n + 1) // 2)
    assert len({tuple(s.test) for s in splits[::2]}) > 1  # repeats differ
    assert splits == list(t2p_splits(two_cohorts, scheme="kx2", k=k, seed=7))


def test_unknown_scheme_and_bad_split(two_cohorts):
    with pytest.raises(ConfigError, match="unknown split scheme"):
        next(iter(t2p_splits(two_cohorts, scheme="loo")))
    ids = two_cohorts.rna.index.tolist()
    with pytest.raises(DataError, match="is in both train and test"):
        two_cohorts.scaled(T2PSplit("bad", ids[:10], [], ids[9:20]))
    only_a = [s for s in ids if s.startswith("a")]
    only_b = [s for s in ids if s.startswith("b")]
    with pytest.raises(DataError, match="cohort 'b' has 5 validation/test samples but no training"):
        two_cohorts.scaled(T2PSplit("no-b", only_a, [], only_b[:5]))


def test_scaling_uses_training_statistics_per_cohort(two_cohorts):
    split = next(iter(t2p_splits(two_cohorts, scheme="standard", seed=0)))
    scaled = two_cohorts.scaled(split)
    for name in ("a", "b"):
        rows = [i for i, s in enumerate(split.train) if two_cohorts.cohort[s] == name]
        np.testing.assert_allclose(scaled.x_train[rows].mean(0), 0.0, atol=1e-5)
        np.testing.assert_allclose(scaled.x_train[rows].std(0), 1.0, atol=1e-4)
        np.testing.assert_allclose(np.nanmean(scaled.y_train[rows], axis=0), 0.0, atol=1e-5)
    test_a = [s for s in split.test if two_cohorts.cohort[s] == "a"]
    scaler = scaled.rna_scalers["a"]
    expected = (two_cohorts.rna.loc[test_a] - scaler.mean_) / scaler.scale_
    rows = [split.test.index(s) for s in test_a]
    np.testing.assert_allclose(scaled.x_test[rows], expected.to_numpy(), rtol=1e-5, atol=1e-5)
    assert (
        scaled.x_train.dtype == np.float32
        and np.isnan(scaled.y_train).sum()
        + np.isnan(scaled.y_test).sum()
        + np.isnan(scaled.y_val).sum()
        == 2
    )  # the two masked values (one per cohort)


def test_no_test_statistics_leak_into_training(two_cohorts):
    split = next(iter(t2p_splits(two_cohorts, scheme="kx2", k=1, seed=0)))
    before = two_cohorts.scaled(split)
    held = split.val + split.test
    changed = two_cohorts.subset_proteins(list(two_cohorts.protein.columns))
    changed.rna = two_cohorts.rna.copy()
    changed.protein = two_cohorts.protein.copy()
    changed.rna.loc[held] = changed.rna.loc[held] * 100 + 1e3
    changed.protein.loc[held] = -changed.protein.loc[held] * 50
    after = changed.scaled(split)
    np.testing.assert_array_equal(before.x_train, after.x_train)
    np.testing.assert_array_equal(before.y_train, after.y_train)
    pd.testing.assert_series_equal(before.transcript_variance, after.transcript_variance)
    for name in ("a", "b"):
        for old, new in (
            (before.rna_scalers, after.rna_scalers),
            (before.protein_scalers, after.protein_scalers),
        ):
            pd.testing.assert_series_equal(old[name].mean_, new[name].mean_)
            pd.testing.assert_series_equal(old[name].scale_, new[name].scale_)
    assert not np.allclose(before.x_test, after.x_test)


def test_masked_dataset_and_residual_sets(two_cohorts):
    split = next(iter(t2p_splits(two_cohorts, scheme="standard", seed=0)))
    scaled = two_cohorts.scaled(split)
    ds = scaled.dataset("train")
    mask = ds.tensors["mask"].numpy()
    assert (mask == 0).sum() == np.isnan(scaled.y_train).sum()
    assert ds.tensors["y"].isfinite().all()
    own = residual_indices(scaled, "own")
    assert own == [0, 1, 2, 3, -1]
    correlated = residual_indices(scaled, "correlated")
    # proteins G0..G3 are 0.5 × own mRNA + noise; P_only is made from transcript G4
    assert correlated == [0, 1, 2, 3, 4]
    uncorrelated = residual_indices(scaled, "uncorrelated")
    x = scaled.x_train.astype(float)
    for k, j in enumerate(uncorrelated):
        y = scaled.y_train[:, k]
        keep = np.isfinite(y)
        r = [abs(np.corrcoef(x[keep, i], y[keep])[0, 1]) for i in range(x.shape[1])]
        assert j == int(np.argmin(r))
    assert residual_indices(scaled, "random", seed=1) == residual_indices(scaled, "random", seed=1)
    with pytest.raises(ConfigError, match="residual set must be"):
        residual_indices(scaled, "closest")


def test_real_ucec_matches_the_issue_protocol(shared_data):
    from omicsnet.t2p.data import load_t2p

    data = load_t2p("ucec", data_dir=shared_data, max_missing=0.2, tumour_only=True)
    assert data.rna.shape == (101, 25886)
    assert data.protein.shape == (101, 9102)
    assert data.report["proteins_with_own_mrna"] == 9092
    assert data.own_mrna["TP53"] == "TP53"
    split = next(iter(t2p_splits(data, scheme="kx2", k=5, seed=0)))
    assert len(split.train) + len(split.val) in (50, 51)
