"""Batch/class association scores on hand-built representations with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from omicsnet.errors import DataError
from omicsnet.explain.mixing import (
    MIXING_METRICS,
    cluster_agreement,
    kbet_acceptance,
    lisi,
    mixing_scores,
    silhouette,
)


def test_silhouette_matches_hand_computation():
    x = np.array([[0.0], [1.0], [3.0], [4.0]])
    # point 0: a = 1, b = (3 + 4) / 2 -> 1 - 1/3.5; point 1: a = 1, b = (2 + 3) / 2 -> 1 - 1/2.5
    expected = np.mean([1 - 1 / 3.5, 1 - 1 / 2.5, 1 - 1 / 2.5, 1 - 1 / 3.5])
    assert silhouette(x, ["a", "a", "b", "b"]) == pytest.approx(expected)


def test_identical_points_give_exact_neighbourhood_mixing():
    # every point at the same place: all neighbourhoods weigh all other points equally
    x = np.zeros((20, 3))
    labels = ["a"] * 10 + ["b"] * 10
    # a point sees 9 of its own label and 10 of the other among 19 neighbours
    expected_lisi = 1 / ((9 / 19) ** 2 + (10 / 19) ** 2)
    assert lisi(x, labels, perplexity=30) == pytest.approx(expected_lisi, rel=1e-6)
    assert kbet_acceptance(x, labels, k=19) == 1.0


def test_separated_versus_mixed_labels():
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(0, 0.3, (30, 4)), rng.normal(5, 0.3, (30, 4))]
    cluster = np.array([0] * 30 + [1] * 30)
    mixed = np.tile([0, 1], 30)  # alternates inside each cluster: unrelated to the geometry
    assert cluster_agreement(x, cluster) == (1.0, 1.0)
    assert cluster_agreement(x, cluster, method="knn", k=5) == (1.0, 1.0)
    assert kbet_acceptance(x, cluster, k=10) == 0.0
    assert kbet_acceptance(x, mixed, k=10) > 0.8
    assert lisi(x, cluster, perplexity=5) == pytest.approx(1.0, abs=1e-6)
    assert lisi(x, mixed, perplexity=5) > 1.5  # ~5 effective neighbours
    nmi, ari = cluster_agreement(x, mixed)
    assert nmi < 0.05 and abs(ari) < 0.05


def test_mixing_scores_has_every_metric_and_scaled_lisi():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(24, 3))
    labels = ["x", "y", "z"] * 8
    scores = mixing_scores(x, labels, k=5, perplexity=4)
    assert set(scores) == set(MIXING_METRICS)
    assert scores["lisi_scaled"] == pytest.approx((scores["lisi"] - 1) / 2)
    assert 0.0 <= scores["kbet_acceptance"] <= 1.0


def test_bad_inputs_are_named():
    x = np.zeros((4, 2))
    with pytest.raises(DataError, match="3 labels for 4 samples"):
        silhouette(x, [0, 1, 0])
    with pytest.raises(DataError, match="at least 2 distinct labels"):
        lisi(x, [0, 0, 0, 0])
    x[2, 1] = np.nan
    with pytest.raises(DataError, match=r"rows\) \[2\]"):
        kbet_acceptance(x, [0, 1, 0, 1])
    with pytest.raises(DataError, match="unknown clustering method"):
        cluster_agreement(np.zeros((4, 2)), [0, 1, 0, 1], method="dbscan")
