"""How strongly a representation clusters by a label: batch versus class, layer by layer.

DeepMSProfiler (Deng et al. 2024, Fig. 3) showed that raw LC-MS inputs cluster by batch
and that the network's deeper layers cluster by class instead. These functions score one
representation (samples × features, e.g. a layer's PCA coordinates) against one label:

* :func:`cluster_agreement` — normalised mutual information and adjusted Rand index
  between the label and unsupervised clusters (k-means with as many clusters as labels,
  or the majority label of each sample's k nearest neighbours);
* :func:`silhouette` — average silhouette width of the label's groups (−1 … 1);
* :func:`kbet_acceptance` — kBET-style: for each sample, a χ² test of whether the label
  mix among its k nearest neighbours matches the global mix; the fraction of samples
  *not* rejected at ``alpha`` (1 = well mixed, 0 = fully separated);
* :func:`lisi` — LISI-style: the inverse Simpson index of the label mix in a Gaussian
  neighbourhood of fixed perplexity (Korsunsky et al. 2019); 1 = one label only,
  ``n_labels`` = perfectly mixed. :func:`mixing_scores` also gives it rescaled to 0 … 1.

High NMI/ARI/silhouette and low kBET acceptance/LISI mean *strong association* with the
label: good for the class label, bad for the batch label.

Examples
--------
>>> import numpy as np
>>> x = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
>>> round(silhouette(x, ["a", "a", "b", "b"]), 3)
0.986
>>> scores = mixing_scores(x, ["a", "a", "b", "b"], k=1, seed=0)
>>> scores["nmi_kmeans"], scores["ari_kmeans"]
(1.0, 1.0)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from omicsnet.errors import DataError

logger = logging.getLogger(__name__)

#: Scores computed by :func:`mixing_scores`, with whether a high value means the
#: representation is strongly associated with the label.
MIXING_METRICS: dict[str, bool] = {
    "nmi_kmeans": True,
    "ari_kmeans": True,
    "nmi_knn": True,
    "ari_knn": True,
    "silhouette": True,
    "kbet_acceptance": False,
    "lisi": False,
    "lisi_scaled": False,
}


def _check(x: Any, labels: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    data = np.asarray(x, dtype=float)
    if data.ndim != 2:
        raise DataError(f"expected a samples x features matrix, got shape {data.shape}")
    codes_labels = np.asarray(labels)
    if len(codes_labels) != data.shape[0]:
        raise DataError(
            f"{len(codes_labels)} labels for {data.shape[0]} samples: give one label per sample"
        )
    if not np.isfinite(data).all():
        bad = np.flatnonzero(~np.isfinite(data).all(axis=1))
        raise DataError(f"non-finite values in samples (rows) {bad[:10].tolist()}")
    names, codes = np.unique(codes_labels.astype(str), return_inverse=True)
    if len(names) < 2:
        raise DataError(f"need at least 2 distinct labels to score association, got {names}")
    return data, codes, names


def _neighbours(data: np.ndarray, k: int) -> np.ndarray:
    """Indices of each sample's k nearest other samples (Euclidean), shape (n, k)."""
    from sklearn.neighbors import NearestNeighbors

    n = data.shape[0]
    k = min(k, n - 1)
    if k < 1:
        raise DataError("need at least 2 samples for neighbourhood scores")
    index = NearestNeighbors(n_neighbors=k + 1).fit(data)
    _, neighbours = index.kneighbors(data)
    # drop each sample itself (the first hit, unless exact duplicates reorder it)
    out = np.empty((n, k), dtype=np.int64)
    for i, row in enumerate(neighbours):
        others = row[row != i]
        out[i] = others[:k]
    return out


def cluster_agreement(
    x: Any, labels: Sequence[Any], *, method: str = "kmeans", k: int = 10, seed: int = 0
) -> tuple[float, float]:
    """NMI and ARI between ``labels`` and unsupervised clusters of ``x``.

    Parameters
    ----------
    x
        Samples × features.
    labels
        One label per sample (batch or class).
    method
        ``"kmeans"``: k-means with as many clusters as distinct labels (10 restarts);
        ``"knn"``: each sample's cluster is the most common label among its ``k``
        nearest neighbours (ties go to the first label in sorted order).
    k
        Neighbours for ``"knn"``.
    seed
        k-means seed.

    Returns
    -------
    (nmi, ari)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0], [0.2], [9.0], [9.2]])
    >>> cluster_agreement(x, ["a", "b", "a", "b"])
    (0.0, -0.5)
    """
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    data, codes, names = _check(x, labels)
    if method == "kmeans":
        from sklearn.cluster import KMeans

        clusters = KMeans(n_clusters=len(names), n_init=10, random_state=seed).fit_predict(data)
    elif method == "knn":
        neighbours = _neighbours(data, k)
        counts = np.zeros((data.shape[0], len(names)))
        np.add.at(
            counts,
            (np.repeat(np.arange(data.shape[0]), neighbours.shape[1]), codes[neighbours].ravel()),
            1,
        )
        clusters = counts.argmax(axis=1)
    else:
        raise DataError(f"unknown clustering method {method!r}; use 'kmeans' or 'knn'")
    return (
        float(normalized_mutual_info_score(codes, clusters)),
        float(adjusted_rand_score(codes, clusters)),
    )


def silhouette(x: Any, labels: Sequence[Any]) -> float:
    """Average silhouette width of the groups given by ``labels`` (−1 … 1).

    Examples
    --------
    >>> import numpy as np
    >>> round(silhouette(np.array([[0.0], [1.0], [3.0], [4.0]]), [0, 0, 1, 1]), 4)
    0.6571
    """
    from sklearn.metrics import silhouette_score

    data, codes, _ = _check(x, labels)
    if min(np.bincount(codes)) < 1 or data.shape[0] <= len(np.unique(codes)):
        raise DataError("silhouette needs more samples than labels")
    return float(silhouette_score(data, codes))


def kbet_acceptance(x: Any, labels: Sequence[Any], *, k: int = 10, alpha: float = 0.05) -> float:
    """kBET-style acceptance rate: fraction of neighbourhoods whose label mix fits the global one.

    For every sample, the labels of its ``k`` nearest neighbours are compared with the
    label frequencies of the whole data set by a χ² goodness-of-fit test (Büttner et al.
    2019); the result is the fraction of samples whose test is *not* rejected at
    ``alpha``. Well-mixed data score near ``1 − alpha``; fully separated labels score 0.

    Examples
    --------
    >>> import numpy as np
    >>> separated = np.r_[np.zeros((20, 2)), np.full((20, 2), 10.0)]
    >>> separated += np.random.default_rng(0).normal(scale=0.1, size=separated.shape)
    >>> kbet_acceptance(separated, [0] * 20 + [1] * 20, k=8)
    0.0
    """
    from scipy.stats import chi2

    data, codes, names = _check(x, labels)
    neighbours = _neighbours(data, k)
    k_eff = neighbours.shape[1]
    expected = np.bincount(codes, minlength=len(names)) / len(codes) * k_eff
    observed = np.zeros((data.shape[0], len(names)))
    np.add.at(observed, (np.repeat(np.arange(data.shape[0]), k_eff), codes[neighbours].ravel()), 1)
    statistic = ((observed - expected) ** 2 / expected).sum(axis=1)
    p_values = chi2.sf(statistic, df=len(names) - 1)
    return float(np.mean(p_values >= alpha))


def _gaussian_weights(distances: np.ndarray, perplexity: float) -> np.ndarray:
    """Row-wise Gaussian kernel weights whose entropy matches ``log(perplexity)``."""
    target = np.log(perplexity)
    n = distances.shape[0]
    beta = np.ones(n)
    low = np.full(n, -np.inf)
    high = np.full(n, np.inf)
    d2 = distances**2
    d2 = d2 - d2.min(axis=1, keepdims=True)  # stable exponent; weights are row-normalised
    weights = np.empty_like(d2)
    for _ in range(64):
        weights = np.exp(-d2 * beta[:, None])
        total = weights.sum(axis=1, keepdims=True)
        p = weights / total
        entropy = -(p * np.log(np.where(p > 0, p, 1.0))).sum(axis=1)
        too_flat = entropy > target  # entropy too high -> narrow the kernel (raise beta)
        low = np.where(too_flat, beta, low)
        high = np.where(too_flat, high, beta)
        beta = np.where(
            np.isinf(high), beta * 2, np.where(np.isinf(low), beta / 2, (low + high) / 2)
        )
        if np.all(np.abs(entropy - target) < 1e-5):
            break
    return weights / weights.sum(axis=1, keepdims=True)


def lisi(x: Any, labels: Sequence[Any], *, perplexity: float = 30.0) -> float:
    """Mean LISI: inverse Simpson index of labels in each sample's Gaussian neighbourhood.

    Each sample's neighbourhood is its ``3 × perplexity`` nearest neighbours (at most all
    other samples) weighted by a Gaussian kernel whose width is tuned so the weights have
    the given perplexity, as in Korsunsky et al. (2019). The score runs from 1 (every
    neighbourhood holds one label) to the number of labels (perfectly mixed, equal sizes).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.r_[np.zeros((10, 1)), np.full((10, 1), 50.0)]
    >>> x += np.random.default_rng(1).normal(scale=0.5, size=x.shape)
    >>> round(lisi(x, [0] * 10 + [1] * 10, perplexity=3), 3)
    1.0
    """
    from sklearn.neighbors import NearestNeighbors

    data, codes, names = _check(x, labels)
    n = data.shape[0]
    k = int(min(n - 1, max(1, round(3 * perplexity))))
    perplexity = min(perplexity, k / 3) if k < 3 * perplexity else perplexity
    distances, neighbours = NearestNeighbors(n_neighbors=k + 1).fit(data).kneighbors(data)
    distances, neighbours = distances[:, 1:], neighbours[:, 1:]
    weights = _gaussian_weights(distances, max(perplexity, 1.0 + 1e-6))
    mix = np.zeros((n, len(names)))
    np.add.at(mix, (np.repeat(np.arange(n), k), codes[neighbours].ravel()), weights.ravel())
    return float(np.mean(1.0 / (mix**2).sum(axis=1)))


def mixing_scores(
    x: Any,
    labels: Sequence[Any],
    *,
    k: int = 10,
    perplexity: float = 30.0,
    alpha: float = 0.05,
    seed: int = 0,
) -> dict[str, float]:
    """Every score of :data:`MIXING_METRICS` for one representation and one label.

    ``lisi_scaled`` maps LISI to 0 … 1 as ``(lisi − 1) / (n_labels − 1)``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.r_[rng.normal(0, 1, (15, 3)), rng.normal(6, 1, (15, 3))]
    >>> by_cluster = mixing_scores(x, [0] * 15 + [1] * 15, k=5, perplexity=5)
    >>> by_random = mixing_scores(x, rng.permutation([0] * 15 + [1] * 15), k=5, perplexity=5)
    >>> by_cluster["nmi_kmeans"] > by_random["nmi_kmeans"], by_cluster["lisi"] < by_random["lisi"]
    (True, True)
    """
    data, codes, names = _check(x, labels)
    nmi_km, ari_km = cluster_agreement(data, codes, method="kmeans", seed=seed)
    nmi_nn, ari_nn = cluster_agreement(data, codes, method="knn", k=k)
    lisi_value = lisi(data, codes, perplexity=perplexity)
    return {
        "nmi_kmeans": nmi_km,
        "ari_kmeans": ari_km,
        "nmi_knn": nmi_nn,
        "ari_knn": ari_nn,
        "silhouette": silhouette(data, codes),
        "kbet_acceptance": kbet_acceptance(data, codes, k=k, alpha=alpha),
        "lisi": lisi_value,
        "lisi_scaled": (lisi_value - 1.0) / (len(names) - 1),
    }
