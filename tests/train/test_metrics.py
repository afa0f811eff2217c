"""Classification metrics from probabilities: known answers and bootstrap intervals.

The known answers were worked out by hand; the same definitions were also checked
against scikit-learn on random data while writing the module (not repeated here to keep
scikit-learn's import out of the fast test run).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from omicsnet.errors import ConfigError, DataError
from omicsnet.train.metrics import (
    SUMMARY_METRICS,
    bootstrap_ci,
    classification_metrics,
    classification_report,
    confusion_matrix_frame,
    roc_auc_ovr,
)

# six samples, three classes; predictions 0 1 1 1 2 0
Y = np.array([0, 0, 1, 1, 2, 2])
PRED = np.array([0, 1, 1, 1, 2, 0])
PROBA = np.eye(3)[PRED] * 0.7 + 0.1


def test_known_answer_precision_recall_f1():
    m = classification_metrics(Y, PROBA)
    # per class: precision 1/2, 2/3, 1; recall 1/2, 1, 1/2; F1 1/2, 4/5, 2/3
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["precision_micro"] == m["recall_micro"] == m["f1_micro"] == m["accuracy"]
    assert m["precision_macro"] == pytest.approx((1 / 2 + 2 / 3 + 1) / 3)
    assert m["recall_macro"] == pytest.approx((1 / 2 + 1 + 1 / 2) / 3)
    assert m["f1_macro"] == pytest.approx((1 / 2 + 4 / 5 + 2 / 3) / 3)
    assert m["balanced_accuracy"] == pytest.approx(m["recall_macro"])
    assert m["log_loss"] == pytest.approx(-(4 * math.log(0.8) + 2 * math.log(0.1)) / 6)
    assert set(SUMMARY_METRICS) <= set(m)


def test_class_never_predicted_has_zero_precision():
    y = np.array([0, 1, 2, 2])
    proba = np.eye(3)[[0, 1, 1, 1]]  # class 2 never predicted
    m = classification_metrics(y, proba)
    # precision: 1, 1/3, 0 -> macro 4/9; recall: 1, 1, 0 -> 2/3
    assert m["precision_macro"] == pytest.approx(4 / 9)
    assert m["recall_macro"] == pytest.approx(2 / 3)


def test_roc_auc_known_answers():
    y = np.array([0, 0, 1, 1])
    perfect = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.1, 0.9]])
    assert roc_auc_ovr(y, perfect).tolist() == [1.0, 1.0]
    assert roc_auc_ovr(y, perfect[:, ::-1]).tolist() == [0.0, 0.0]
    ties = np.full((4, 2), 0.5)
    assert roc_auc_ovr(y, ties).tolist() == [0.5, 0.5]
    # positives 0.6, 0.7 vs negatives 0.1, 0.8: 2 of 4 pairs ordered right
    mixed = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.3, 0.7]])
    assert roc_auc_ovr(y, mixed, class_names=["a", "b"])["b"] == 0.5


def test_absent_class_gives_nan_auc_and_is_left_out_of_the_macro_average():
    y = np.array([0, 0, 1, 1])
    proba = np.array([[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.2, 0.7, 0.1], [0.1, 0.8, 0.1]])
    m = classification_metrics(y, proba, class_names=["C", "H", "N"])
    assert math.isnan(m["auc_N"]) and m["auc_C"] == m["auc_H"] == 1.0
    assert m["auc_macro"] == 1.0


def test_confusion_matrix_is_labelled():
    frame = confusion_matrix_frame(Y, PRED, ["C", "H", "N"])
    assert frame.index.name == "true" and frame.columns.name == "predicted"
    assert frame.to_numpy().tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert frame.loc["N", "C"] == 1 and int(frame.to_numpy().sum()) == 6
    assert list(confusion_matrix_frame([0, 1], [1, 1], 2).columns) == ["class_0", "class_1"]


def test_dataframe_probabilities_supply_class_names():
    proba = pd.DataFrame(PROBA, columns=["C", "H", "N"])
    report = classification_report(Y, proba, n_boot=50)
    assert list(report.per_class.index) == ["C", "H", "N"]
    assert report.per_class["f1"].round(4).tolist() == [0.5, 0.8, 0.6667]
    assert report.per_class["support"].tolist() == [2, 2, 2]
    assert "auc_H" in report.summary.index
    assert "predicted" in str(report)


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 6)
    proba = rng.dirichlet(np.ones(3), size=18)
    first = bootstrap_ci(y, proba, n_boot=300, seed=7)
    assert first.equals(bootstrap_ci(y, proba, n_boot=300, seed=7))
    assert not first.equals(bootstrap_ci(y, proba, n_boot=300, seed=8))
    assert list(first.columns) == ["estimate", "ci_lower", "ci_upper", "n_valid"]
    for metric in ("accuracy", "f1_macro", "auc_macro"):
        row = first.loc[metric]
        assert row.ci_lower <= row.estimate <= row.ci_upper
        assert row.ci_upper - row.ci_lower > 0.1  # n = 18: wide intervals
    assert (first.loc["accuracy", "n_valid"]) == 300


def test_bootstrap_of_a_perfect_classifier_and_of_rare_classes():
    y = np.array([0] * 9 + [1])
    proba = np.eye(2)[y]
    ci = bootstrap_ci(y, proba, n_boot=400, seed=0)
    assert ci.loc["accuracy", ["ci_lower", "ci_upper"]].tolist() == [1.0, 1.0]
    # the single positive is missing from about (9/10)^10 = 35 % of resamples: AUC undefined
    assert 200 < ci.loc["auc_class_1", "n_valid"] < 320


def test_bootstrap_chunks_give_the_same_answer_as_one_batch(monkeypatch):
    import omicsnet.train.metrics as metrics

    y = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    proba = np.linspace(0.1, 0.9, 8)[:, None] * np.array([[-1.0, 1.0]]) + np.array([[1.0, 0.0]])
    whole = bootstrap_ci(y, proba, n_boot=100, seed=3)
    monkeypatch.setattr(metrics, "_BOOT_CELLS", 7 * 8 * 2)  # resample 7 at a time
    assert whole.equals(bootstrap_ci(y, proba, n_boot=100, seed=3))


def test_input_errors():
    with pytest.raises(DataError, match="codes outside"):
        classification_metrics(np.array([0, 3]), np.full((2, 3), 1 / 3))
    with pytest.raises(DataError, match="one label per row"):
        classification_metrics(np.array([0, 1, 1]), np.full((2, 2), 0.5))
    with pytest.raises(DataError, match="NaN"):
        classification_metrics(np.array([0, 1]), np.array([[0.5, np.nan], [0.5, 0.5]]))
    with pytest.raises(DataError, match="integer class codes"):
        classification_metrics(np.array(["a", "b"]), np.full((2, 2), 0.5))
    with pytest.raises(ConfigError, match="2 class names for 3"):
        classification_metrics(Y, PROBA, class_names=["a", "b"])
    with pytest.raises(ConfigError, match="n_boot"):
        bootstrap_ci(Y, PROBA, n_boot=0)
