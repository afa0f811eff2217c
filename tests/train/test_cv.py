"""The one cross-validation loop: out-of-fold assembly, summaries, leaks refused, resume."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omicsnet.errors import ConfigError
from omicsnet.train.cv import (
    FoldOutput,
    Split,
    classification_scorer,
    cross_validate,
    group_kfold,
    kfold,
    leave_one_group_out,
    stratified_kfold,
)

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 3))
Y = X @ np.array([1.0, -2.0, 0.5]) + RNG.normal(0, 0.1, 40)


def _fit_predict(split: Split) -> dict[str, object]:
    coef = np.linalg.lstsq(X[split.train], Y[split.train], rcond=None)[0]
    return {
        "least_squares": FoldOutput(X[split.test] @ coef, info={"n_coef": 3}),
        "mean": np.full(len(split.test), Y[split.train].mean()),
    }


def _mse(name: str, split: Split, predicted: np.ndarray) -> dict[str, float]:
    return {"mse": float(np.mean((Y[split.test] - predicted) ** 2))}


def test_out_of_fold_predictions_come_from_the_split_that_did_not_train_on_them():
    splits = kfold(40, 4, seed=1)
    cv = cross_validate(splits, _fit_predict, score=_mse, sample_ids=[f"s{i}" for i in range(40)])
    oof = cv.out_of_fold("least_squares")
    for split in splits:
        coef = np.linalg.lstsq(X[split.train], Y[split.train], rcond=None)[0]
        assert np.allclose(oof[split.test], X[split.test] @ coef)
    assert sorted(cv.fold_of().tolist()) == sorted([0] * 10 + [1] * 10 + [2] * 10 + [3] * 10)
    assert cv.out_of_fold_frame("mean").index[0] == "s0"
    assert set(cv.table.columns) >= {"model", "split", "n_train", "n_test", "seconds", "mse"}
    assert cv.table.loc[cv.table.model == "least_squares", "n_coef"].tolist() == [3] * 4


def test_summary_states_mean_and_median_over_splits_model_beside_baseline():
    cv = cross_validate(kfold(40, 4, seed=1), _fit_predict, score=_mse)
    per_split = cv.wide("mse")
    assert list(per_split.columns) == ["least_squares", "mean"]
    summary = cv.summary("mse")
    assert summary.loc["mean", "mse_mean"] == pytest.approx(per_split["mean"].mean())
    assert summary.loc["mean", "mse_median"] == pytest.approx(per_split["mean"].median())
    assert summary.loc["least_squares", "mse_max"] < summary.loc["mean", "mse_min"]
    assert summary.loc["mean", "splits"] == 4


def test_a_split_that_trains_on_its_test_samples_is_refused():
    leaky = [Split("leak", np.arange(0, 30), np.arange(25, 40))]
    with pytest.raises(ConfigError, match="5 test samples are also used for training"):
        cross_validate(leaky, _fit_predict)


def test_repeated_schemes_have_no_single_out_of_fold_prediction():
    twice = [Split("a", np.arange(20, 40), np.arange(0, 20)), Split("b", np.arange(0, 20),
             np.arange(0, 20) + 20), Split("c", np.arange(20, 40), np.arange(0, 20))]  # fmt: skip
    cv = cross_validate(twice, _fit_predict)
    with pytest.raises(ConfigError, match="several splits"):
        cv.out_of_fold("mean")


def test_splitters_keep_groups_and_classes_apart():
    groups = ["a"] * 5 + ["b"] * 5 + ["c"] * 5
    for split in leave_one_group_out(groups):
        assert len({groups[i] for i in split.test}) == 1
        assert {groups[i] for i in split.test}.isdisjoint(groups[i] for i in split.train)
    assert len(group_kfold(groups, 3)) == 3
    y = [0] * 6 + [1] * 6
    for split in stratified_kfold(y, 3, seed=0):
        assert sorted(np.asarray(y)[split.test].tolist()) == [0, 0, 1, 1]


def test_classification_scorer_averages_members_first():
    score = classification_scorer([0, 1], members_axis=1)
    members = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.4, 0.6], [0.4, 0.6]]])
    result = score("e", Split("s", np.array([], int), np.array([0, 1])), members)
    assert result["accuracy"] == 1.0
    assert result["log_loss"] == pytest.approx(-(np.log(0.55) + np.log(0.6)) / 2)


def test_a_killed_cross_validation_resumes_without_refitting_finished_splits(tmp_path):
    splits = kfold(40, 4, seed=1)
    store = tmp_path / "units"
    calls: list[str] = []

    def dies_at_third(split: Split) -> dict[str, object]:
        if len(calls) == 2:
            raise KeyboardInterrupt  # the job is killed in the third split
        calls.append(split.name)
        out = _fit_predict(split)
        out["records"] = FoldOutput(
            np.zeros(len(split.test)), records=pd.DataFrame({"member": [0, 1], "lr": [0.1, 0.2]})
        )
        return out

    with pytest.raises(KeyboardInterrupt):
        cross_validate(splits, dies_at_third, score=_mse, store=store)
    assert sorted(p.name for p in store.iterdir() if p.name.startswith("split")) == [
        "split_000", "split_001"]  # fmt: skip

    calls.clear()

    def resumed(split: Split) -> dict[str, object]:
        calls.append(split.name)
        out = _fit_predict(split)
        out["records"] = FoldOutput(
            np.zeros(len(split.test)), records=pd.DataFrame({"member": [0, 1], "lr": [0.1, 0.2]})
        )
        return out

    again = cross_validate(splits, resumed, score=_mse, store=store)
    assert calls == [splits[2].name, splits[3].name]  # finished splits were read back
    whole = cross_validate(splits, resumed, score=_mse)
    columns = [c for c in whole.table.columns if c != "seconds"]
    pd.testing.assert_frame_equal(again.table[columns], whole.table[columns])
    assert np.allclose(again.out_of_fold("least_squares"), whole.out_of_fold("least_squares"))
    assert len(again.records) == len(whole.records) == 8


def test_stored_splits_of_another_scheme_are_refused(tmp_path):
    store = tmp_path / "units"
    cross_validate(kfold(40, 4, seed=1), _fit_predict, store=store)
    other = [Split("other", s.train, s.test) for s in kfold(40, 4, seed=1)]
    with pytest.raises(ConfigError, match="holds split 'fold0', not 'other'"):
        cross_validate(other, _fit_predict, store=store)
