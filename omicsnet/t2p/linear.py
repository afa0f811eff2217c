"""Linear transcript → protein fits: own mRNA by least squares, shared-penalty ridge.

The fits every linear baseline and the network's linear path start from (see
:func:`omicsnet.t2p.train.build_t2p_model`): each protein fitted on its own mRNA, and one
ridge in sample space with one penalty shared by all proteins, chosen by summed
leave-one-out error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

RIDGE_ALPHAS = tuple(float(a) for a in np.logspace(-1, 5, 13))


def _training_arrays(scaled: Any, include_val: bool) -> tuple[np.ndarray, np.ndarray]:
    if include_val and len(scaled.val_ids):
        return (
            np.concatenate([scaled.x_train, scaled.x_val]).astype(np.float64),
            np.concatenate([scaled.y_train, scaled.y_val]).astype(np.float64),
        )
    return scaled.x_train.astype(np.float64), scaled.y_train.astype(np.float64)


def _column_means(y: np.ndarray) -> np.ndarray:
    observed = np.isfinite(y)
    return np.where(observed, y, 0.0).sum(0) / np.maximum(observed.sum(0), 1)


def _filled(y: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(y), y, _column_means(y))


def own_mrna_fit(
    x: np.ndarray, y: np.ndarray, own_index: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares intercept and slope of each protein on its own mRNA (missing skipped).

    Returns ``(intercept, slope)``; proteins without own mRNA (index ``-1``) or without
    variance get slope 0 and their mean as intercept.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0], [1.0], [2.0]])
    >>> y = np.array([[1.0, 5.0], [3.0, np.nan], [5.0, 7.0]])
    >>> a, b = own_mrna_fit(x, y, np.array([0, -1]))
    >>> a.tolist(), b.tolist()
    ([1.0, 6.0], [2.0, 0.0])
    """
    index = np.asarray(own_index)
    has = index >= 0
    observed = np.isfinite(y) & has[None, :]
    own = np.where(has[None, :], x[:, np.clip(index, 0, None)], 0.0)
    count = np.maximum(observed.sum(0), 1)
    x_mean = np.where(observed, own, 0.0).sum(0) / count
    y_mean = np.where(observed, y, 0.0).sum(0) / count
    xc = np.where(observed, own - x_mean, 0.0)
    yc = np.where(observed, y - y_mean, 0.0)
    var = (xc**2).sum(0)
    slope = np.where(var > 1e-12, (xc * yc).sum(0) / np.maximum(var, 1e-12), 0.0)
    intercept = np.where(has, y_mean - slope * x_mean, _column_means(y))
    return intercept, slope


def _own(x: np.ndarray, own_index: np.ndarray) -> np.ndarray:
    has = own_index >= 0
    return np.where(has[None, :], x[:, np.clip(own_index, 0, None)], 0.0)


class KernelRidge:
    """Multi-output ridge regression with an intercept, solved in sample space.

    With far more transcripts than samples, the dual form needs only the
    samples × samples kernel of centred inputs and never forms the transcripts × proteins
    coefficient matrix (9,102 × 25,886 would be 1.9 GB). Each protein's penalty is chosen
    from ``alphas`` by leave-one-out error, computed exactly from one eigendecomposition
    (as scikit-learn's ``RidgeCV``), or fixed with ``alpha``. With ``shared=True`` one
    penalty serves all proteins: the one with the smallest leave-one-out error summed
    over them (with few samples, per-protein choices are noisy).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(30, 5))
    >>> y = x @ np.array([[1.0], [2.0], [0.0], [0.0], [-1.0]]) + 3.0
    >>> model = KernelRidge(alphas=[1e-6, 1.0]).fit(x, y)
    >>> model.alpha_.tolist(), bool(np.allclose(model.predict(x[:2]), y[:2], atol=1e-4))
    ([1e-06], True)
    >>> y2 = np.hstack([y, rng.normal(size=(30, 1))])  # a second output that is pure noise
    >>> KernelRidge(alphas=[1e-6, 1e6]).fit(x, y2).alpha_.tolist()
    [1e-06, 1000000.0]
    >>> KernelRidge(alphas=[1e-6, 1e6], shared=True).fit(x, y2).alpha_.tolist()
    [1e-06, 1e-06]
    """

    def __init__(
        self,
        alphas: Sequence[float] = RIDGE_ALPHAS,
        alpha: np.ndarray | None = None,
        *,
        shared: bool = False,
    ) -> None:
        self.alphas = [float(a) for a in alphas]
        self.alpha = alpha
        self.shared = bool(shared)

    def fit(self, x: np.ndarray, y: np.ndarray) -> KernelRidge:
        self.x_mean_ = x.mean(0)
        self.y_mean_ = y.mean(0)
        self.xc_ = x - self.x_mean_
        yc = y - self.y_mean_
        eigenvalues, vectors = np.linalg.eigh(self.xc_ @ self.xc_.T)
        eigenvalues = np.clip(eigenvalues, 0.0, None)[:, None]
        # centring leaves one direction (the constant vector) to the unpenalised intercept:
        # it takes no part in the dual solution or the leave-one-out weights
        keep = np.ones((len(eigenvalues), 1))
        keep[np.argmax(np.abs(vectors.sum(0)))] = 0.0
        projected = vectors.T @ yc
        if self.alpha is not None:
            alpha = np.broadcast_to(np.asarray(self.alpha, dtype=float), (y.shape[1],))
        else:
            errors = []
            for value in self.alphas:
                weights = keep / (eigenvalues + value)
                dual = vectors @ (weights * projected)
                hat_diag = (vectors**2) @ weights  # diagonal of (K + αI)⁻¹
                errors.append(((dual / hat_diag) ** 2).mean(0))
            table = np.stack(errors)  # alphas x outputs
            if self.shared:
                best = int(np.argmin(table.sum(1)))
                alpha = np.full(y.shape[1], self.alphas[best])
            else:
                alpha = np.asarray(self.alphas)[np.argmin(table, axis=0)]
        self.alpha_ = np.asarray(alpha, dtype=float)
        self.dual_ = vectors @ (keep * projected / (eigenvalues + self.alpha_[None, :]))
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.x_mean_) @ self.xc_.T) @ self.dual_ + self.y_mean_


def ridge_with_unpenalised_own(
    x: np.ndarray,
    y: np.ndarray,
    x_test: np.ndarray,
    own_index: np.ndarray,
    features: np.ndarray,
    *,
    alphas: Sequence[float] = RIDGE_ALPHAS,
    iterations: int = 50,
) -> np.ndarray:
    """Ridge on ``features`` plus each protein's own mRNA with no penalty; test predictions.

    Minimises ``|y_k - Z w_k - b_k o_k - c_k|² + α_k |w_k|²`` for every protein ``k`` by
    alternating the ridge step (all proteins at once) and the per-protein least-squares
    step for ``b_k``, starting from the own-mRNA fit; ``α_k`` is chosen by leave-one-out on
    the first ridge step (what the own mRNA leaves unexplained).
    """
    z, z_test = x[:, features], x_test[:, features]
    own, own_test = _own(x, own_index), _own(x_test, own_index)
    y = _filled(y)
    columns = np.arange(y.shape[1])
    _, slope = own_mrna_fit(own, y, columns)  # start from the own-mRNA fit, so that the
    slope = np.where(own_index >= 0, slope, 0.0)  # penalty is chosen for what own mRNA misses
    alpha: np.ndarray | None = None
    for _ in range(int(iterations)):
        ridge = KernelRidge(alphas, alpha).fit(z, y - own * slope)
        alpha = ridge.alpha_
        _, slope = own_mrna_fit(own, y - ridge.predict(z), columns)
        slope = np.where(own_index >= 0, slope, 0.0)
    ridge = KernelRidge(alphas, alpha).fit(z, y - own * slope)
    return ridge.predict(z_test) + own_test * slope


def own_residual_ridge(
    x: np.ndarray,
    y: np.ndarray,
    own_index: np.ndarray,
    *,
    alphas: Sequence[float] = RIDGE_ALPHAS,
) -> tuple[np.ndarray, np.ndarray, KernelRidge]:
    """Two-stage linear model: own mRNA by least squares, then one shared-penalty ridge.

    Stage 1 fits each protein on its own mRNA (:func:`own_mrna_fit`); stage 2 fits a
    multi-output ridge on all columns of ``x`` to what stage 1 leaves unexplained, with one
    penalty for all proteins chosen by leave-one-out (``KernelRidge(shared=True)``).
    A missing target enters stage 2 as a residual of 0 (no evidence either way). The prediction
    for inputs ``z`` is ``intercept + slope * z[:, own_index] + ridge.predict(z)``.

    Returns
    -------
    (intercept, slope, ridge)

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(40, 6))
    >>> y = np.stack([x[:, 0] + 0.5 * x[:, 3], x[:, 1]], axis=1)
    >>> intercept, slope, ridge = own_residual_ridge(x, y, np.array([0, 1]), alphas=[1e-3])
    >>> pred = intercept + slope * x[:, [0, 1]] + ridge.predict(x)
    >>> bool(np.allclose(pred, y, atol=0.01))
    True
    """
    own_index = np.asarray(own_index)
    intercept, slope = own_mrna_fit(x, y, own_index)
    # a missing target says nothing about what stage 1 leaves: its residual is 0
    stage1 = intercept + slope * _own(x, own_index)
    residual = np.where(np.isfinite(y), y - stage1, 0.0)
    ridge = KernelRidge(alphas, shared=True).fit(x, residual)
    return intercept, slope, ridge
