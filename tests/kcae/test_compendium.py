"""Compendium tables: gene mapping, [-1, 1] scaling on training samples, study-wise splits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omicsnet.errors import DataError, DataNotFoundError
from omicsnet.kcae.compendium import (
    RangeScaler,
    leave_study_out,
    load_precise278,
    map_genes,
    read_compendium,
    study_folds,
    synthetic_compendium,
)


def test_read_compendium_genes_in_rows_and_errors(tmp_path):
    path = tmp_path / "lfc.tsv"
    path.write_text("gene\ts1\ts2\ts3\nb0001\t0.5\t-1\t0\nb0002\t2\t0\t1\n")
    frame = read_compendium(path)
    assert frame.shape == (3, 2)
    assert frame.loc["s2", "b0001"] == -1.0
    bad = tmp_path / "bad.csv"
    bad.write_text("gene,s1,s2\nb0001,0.5,\nb0002,2,0\n")
    with pytest.raises(DataError, match=r"missing value for sample 's2', gene 'b0001'"):
        read_compendium(bad)
    with pytest.raises(DataNotFoundError):
        read_compendium(tmp_path / "absent.csv")


def test_map_genes_reorders_fills_and_reports():
    x = pd.DataFrame(
        [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], index=["s1", "s2"], columns=["b2", "b1", "zz"]
    )
    mapped, match = map_genes(x, ["b1", "b2", "b3", "b4"], min_fraction=0.5)
    assert list(mapped.columns) == ["b1", "b2", "b3", "b4"]
    assert mapped.loc["s2"].tolist() == [5.0, 4.0, 0.0, 0.0]
    assert (match.n_matched, match.n_model_genes, match.unmatched_data) == (2, 4, ("zz",))
    assert "2 of 4 model genes" in match.summary()


def test_map_genes_mismatched_ids_are_a_clear_error():
    x = pd.DataFrame([[1.0, 2.0]], index=["s1"], columns=["thrA", "thrB"])
    with pytest.raises(DataError, match=r"only 0 of 2 model genes.*b0002.*thrA.*id_map"):
        map_genes(x, ["b0002", "b0003"])
    mapped, match = map_genes(x, ["b0002", "b0003"], id_map={"thrA": "b0002", "thrB": "b0003"})
    assert match.n_matched == 2 and mapped.loc["s1", "b0003"] == 2.0


def test_range_scaler_uses_training_samples_only():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(10, 3)), columns=["a", "b", "c"])
    train, test = frame.iloc[:6], frame.iloc[6:] * 100  # test values far outside
    for method in ("maxabs", "minmax"):
        scaler = RangeScaler(method).fit(train)
        out = scaler.transform(train)
        assert out.to_numpy().min() >= -1 - 1e-12 and out.to_numpy().max() <= 1 + 1e-12
        assert np.isclose(out.abs().max().max(), 1.0)
        # statistics come from train only: refitting on train+test changes them
        assert not np.allclose(RangeScaler(method).fit(frame).scale_, scaler.scale_)
        assert RangeScaler(method, clip=True).fit(train).transform(test).abs().max().max() == 1.0
    maxabs = RangeScaler().fit(train)
    assert (
        maxabs.transform(pd.DataFrame([[0.0, 0.0, 0.0]], columns=["a", "b", "c"])).eq(0).all(None)
    )
    again = RangeScaler.from_dict(maxabs.to_dict())
    pd.testing.assert_frame_equal(again.transform(test), maxabs.transform(test))
    with pytest.raises(DataError, match="fitted on 3 genes"):
        maxabs.transform(train[["a", "b"]])


def test_leave_study_out_never_shares_a_study():
    comp = synthetic_compendium([f"g{i}" for i in range(5)], n_samples=50, n_studies=7, seed=2)
    studies = comp.studies.to_numpy()
    seen = []
    for train, test, study in leave_study_out(comp.studies):
        assert set(studies[test]) == {study}
        assert study not in set(studies[train])
        assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == 50
        seen.append(study)
    assert sorted(seen) == sorted(set(studies))
    folds = study_folds(comp.studies, 3, seed=0)
    tested = np.concatenate([test for _, test in folds])
    assert sorted(tested.tolist()) == list(range(50))  # every sample tested exactly once
    for train, test in folds:
        assert not set(studies[train]) & set(studies[test])
    with pytest.raises(DataError, match="at least 2 studies"):
        list(leave_study_out(["a", "a"]))


def test_precise278_loader(shared_data):
    comp = load_precise278(shared_data)
    assert comp.expression.shape == (278, 3923)
    assert comp.expression.columns[0].startswith("b")
    growth = comp.labelled("growth_rate")
    assert len(growth.expression) == 195
    assert growth.studies.nunique() == 15
    assert comp.studies.nunique() == 21
