"""Data containers, tables, splits, scaling and the data directory."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import omicsnet
from omicsnet.data.datasets import ArrayDataset, align_samples
from omicsnet.data.scaling import Standardizer
from omicsnet.data.splits import train_val_test_split
from omicsnet.data.tables import read_table
from omicsnet.errors import ConfigError, DataError, DataNotFoundError
from omicsnet.utils.paths import get_data_dir, resolve_data_file


def test_nan_error_names_sample_and_feature():
    x = pd.DataFrame([[1.0, 2.0], [3.0, np.nan]], index=["S1", "S2"], columns=["TP53", "MYC"])
    with pytest.raises(
        DataError, match=r"1 NaN/infinite value\(s\), first at sample 'S2', feature 'MYC'"
    ):
        ArrayDataset(x)


def test_mismatched_sample_ids_are_listed():
    x = pd.DataFrame({"g": [1.0, 2.0]}, index=["S1", "S2"])
    y = pd.DataFrame({"p": [1.0, 2.0]}, index=["S1", "S3"])
    with pytest.raises(
        DataError, match=r"1 only in inputs \(e.g. \['S2'\]\), 1 only in targets \(e.g. \['S3'\]\)"
    ):
        ArrayDataset(x, y)


def test_duplicate_sample_ids_are_refused():
    x = pd.DataFrame({"g": [1.0, 2.0]}, index=["S1", "S1"])
    with pytest.raises(DataError, match="'S1' appears more than once"):
        align_samples(x, x, "rna", "protein")


def test_targets_are_reordered_to_inputs():
    x = pd.DataFrame({"g": [1.0, 2.0, 3.0]}, index=["a", "b", "c"])
    y = pd.DataFrame({"p": [30.0, 10.0, 20.0]}, index=["c", "a", "b"])
    ds = ArrayDataset(x, y)
    assert ds.tensors["y"][:, 0].tolist() == [10.0, 20.0, 30.0]
    sub = ds.subset([2, 0])
    assert sub.sample_ids == ["c", "a"]
    assert sub.batch(torch.tensor([0]))["y"].item() == 30.0


def test_integer_labels_become_a_long_vector():
    ds = ArrayDataset(np.zeros((3, 2)), pd.Series([0, 1, 2]))
    assert ds.tensors["y"].dtype == torch.int64
    assert ds.tensors["y"].shape == (3,)


def test_read_table_reports_non_numeric_cells(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("sample,TP53,MYC\nS1,1.0,2.0\nS2,high,3.0\n")
    with pytest.raises(DataError, match=r"non-numeric value at row 'S2', column 'TP53'") as err:
        read_table(path)
    assert "high" not in str(err.value)  # the cell's content is not echoed


def test_read_table_handles_tsv_gzip_and_transpose(tmp_path):
    import gzip

    path = tmp_path / "genes_by_samples.tsv.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("gene\tS1\tS2\nTP53\t1\t2\nMYC\t3\t4\n")
    frame = read_table(path, transpose=True)
    assert frame.index.tolist() == ["S1", "S2"]
    assert frame.loc["S2", "MYC"] == 4.0


def test_read_table_missing_and_duplicate_rows(tmp_path):
    with pytest.raises(DataNotFoundError, match="does not exist"):
        read_table(tmp_path / "absent.csv")
    path = tmp_path / "dup.csv"
    path.write_text("sample,a\nS1,1\nS1,2\n")
    with pytest.raises(DataError, match="row ID 'S1' appears more than once"):
        read_table(path)


def test_splits_are_disjoint_seeded_and_stratified():
    labels = np.array([0] * 50 + [1] * 50)
    a = train_val_test_split(100, val=0.2, test=0.2, seed=3, stratify=labels)
    b = train_val_test_split(100, val=0.2, test=0.2, seed=3, stratify=labels)
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x, y)
    train, val, test = a
    assert len(set(train) | set(val) | set(test)) == 100
    assert not (set(train) & set(test)) and not (set(val) & set(test))
    assert labels[test].sum() == 10  # half of the 20 test samples from each class
    c = train_val_test_split(100, val=0.2, test=0.2, seed=4, stratify=labels)
    assert not np.array_equal(a[2], c[2])
    with pytest.raises(ConfigError, match="sum below 1"):
        train_val_test_split(10, val=0.6, test=0.5)


def test_standardizer_uses_training_statistics_only():
    train = pd.DataFrame({"g": [0.0, 2.0], "const": [5.0, 5.0]})
    test = pd.DataFrame({"g": [100.0], "const": [5.0]})
    scaler = Standardizer().fit(train)
    out = scaler.transform(test)
    assert out["g"].item() == pytest.approx(99.0)  # (100 - mean 1) / std 1: no test leakage
    assert out["const"].item() == 0.0  # constant feature centred, not divided by zero


def test_data_dir_setting(monkeypatch, tmp_path):
    monkeypatch.delenv("OMICSNET_DATA", raising=False)
    assert get_data_dir() is None
    with pytest.raises(DataNotFoundError, match="OMICSNET_DATA"):
        resolve_data_file("x.csv")
    monkeypatch.setenv("OMICSNET_DATA", str(tmp_path))
    assert get_data_dir() == tmp_path
    assert get_data_dir(tmp_path / "other") == tmp_path / "other"  # argument wins
    with pytest.raises(DataNotFoundError, match="'x.csv' not found in the data directory"):
        resolve_data_file("x.csv")
    with pytest.raises(DataNotFoundError, match="must not contain '..'"):
        resolve_data_file("../secret.csv")


def test_synthetic_dataset_is_deterministic_and_shaped():
    a = omicsnet.load_dataset("synthetic_omics", n_samples=30, n_genes=10, n_proteins=4, seed=2)
    b = omicsnet.load_dataset("synthetic_omics", n_samples=30, n_genes=10, n_proteins=4, seed=2)
    pd.testing.assert_frame_equal(a.x, b.x)
    assert a.y.shape == (30, 4) and list(a.y.columns) == list(a.x.columns[:4])
    with pytest.raises(ConfigError, match="unknown dataset 'nope'"):
        omicsnet.load_dataset("nope")


@pytest.mark.data
def test_breast_tcga_real_data(shared_data):
    data = omicsnet.load_dataset("breast_tcga", data_dir=str(shared_data))
    assert data.x.shape == (150, 200)
    assert data.classes == ["Basal", "Her2", "LumA"]
    assert data.y["subtype"].value_counts().to_dict() == {2: 75, 0: 45, 1: 30}
    protein = omicsnet.load_dataset("breast_tcga", target="protein", data_dir=str(shared_data))
    assert protein.y.shape == (150, 142)
    assert (protein.y.index == protein.x.index).all()
