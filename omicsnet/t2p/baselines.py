"""Baselines for transcript → protein prediction, fitted on the same scaled splits.

* ``dummy``: each protein's training mean;
* ``linear_own_mrna``: each protein from its own mRNA by least squares (the mean for a
  protein without one);
* ``ridge``: multi-output ridge on all transcripts, one penalty per protein chosen by
  efficient leave-one-out (generalised cross-validation) on the training samples;
* ``ridge_variable_own``: ridge on the most variable transcripts (training variance) plus
  each protein's own mRNA left unpenalised (solved by block coordinate descent);
* ``ridge_own_residual``: two stages: each protein from its own mRNA by least squares,
  then one ridge on what that leaves unexplained, over the networks' inputs (the most
  variable transcripts plus every protein's own mRNA), with **one** penalty shared by all
  proteins, chosen by leave-one-out (:func:`own_residual_ridge`);
* ``random_forest``: multi-output random forest bounded like the paper (``max_features``
  log2, depth 50; ``n_estimators`` and ``n_jobs`` bound its cost);
* ``handbuilt_nn``: the paper's hand-built network (two hidden layers with batch norm,
  dropout 0.6, LeakyReLU 0.05, no residual path; widths scaled to the data), trained
  with the shared trainer.

Missing targets: ``dummy``, ``linear_own_mrna`` and ``handbuilt_nn`` skip them; ridge and
the random forest cannot, and are fitted with them set to the protein's training mean
(0 after scaling). Every score skips them (:mod:`omicsnet.t2p.evaluate`).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from omicsnet.data.t2p import t2p_from_tables, t2p_splits
>>> rng = np.random.default_rng(0)
>>> rna = pd.DataFrame(rng.normal(size=(60, 5)), columns=list("ABCDE"))
>>> protein = rna[["A", "B"]] + 0.3 * rng.normal(size=(60, 2))
>>> data = t2p_from_tables(rna, protein, genes_in_rows=False)
>>> scaled = data.scaled(next(iter(t2p_splits(data, scheme="standard"))))
>>> predictions = fit_baselines(scaled, names=("dummy", "linear_own_mrna"))
>>> table = baseline_summary(scaled, predictions)
>>> bool(table.loc["linear_own_mrna", "pearson_r_median"] > 0.8)
True
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError

logger = logging.getLogger(__name__)

BASELINES = (
    "dummy",
    "linear_own_mrna",
    "ridge",
    "ridge_variable_own",
    "ridge_own_residual",
    "random_forest",
    "handbuilt_nn",
)
DEFAULT_BASELINES = BASELINES
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


def handbuilt_config(n_inputs: int, n_outputs: int) -> dict[str, Any]:
    """The paper's hand-built network as a ``residual_mlp`` config, widths scaled to the data.

    Two fully connected hidden layers with batch norm, dropout 0.6 and LeakyReLU 0.05;
    no input → output residual. The first width is the geometric mean of the input and
    output widths divided by 16 (32–1024), the second half of it (at least 16).

    Examples
    --------
    >>> [b["width"] for b in handbuilt_config(25886, 9102)["blocks"]]
    [959, 479]
    """
    first = int(min(1024, max(32, math.sqrt(n_inputs * n_outputs) / 16)))
    block = {
        "type": "fc",
        "layers": 1,
        "activation": "leaky_relu_0.05",
        "dropout": 0.6,
        "batch_norm": True,
    }
    return {
        "blocks": [{**block, "width": first}, {**block, "width": max(16, first // 2)}],
        "residual": {"enabled": False, "indices": None},
    }


def fit_baselines(
    scaled: Any,
    names: Sequence[str] = DEFAULT_BASELINES,
    *,
    include_val: bool = True,
    ridge_alphas: Sequence[float] = RIDGE_ALPHAS,
    top_variable: int = 2000,
    rf_estimators: int = 100,
    rf_jobs: int = 1,
    nn_epochs: int = 200,
    nn_batch_size: int = 16,
    nn_lr: float = 1e-3,
    seed: int = 0,
    device: str = "auto",
) -> dict[str, pd.DataFrame]:
    """Fit baselines on one scaled split and return their test-set predictions.

    Parameters
    ----------
    scaled
        A :class:`~omicsnet.data.t2p.ScaledT2P`.
    names
        Baselines to fit (see :data:`BASELINES`).
    include_val
        Fit the closed-form baselines on training + validation samples (they need no
        validation set); the hand-built network always uses validation for early
        stopping.
    ridge_alphas
        Penalties searched by leave-one-out for each protein.
    top_variable
        Transcripts kept by ``ridge_variable_own`` and ``ridge_own_residual`` (highest
        training variance; the latter also keeps every protein's own mRNA, as the networks'
        inputs do).
    rf_estimators, rf_jobs
        Trees and parallel jobs of the random forest.
    nn_epochs, nn_batch_size, nn_lr
        Training of the hand-built network (early stopping patience 20).
    seed, device
        Seeds (forest, network) and the network's device.

    Returns
    -------
    dict
        Name → DataFrame of test samples × proteins predictions; each frame's
        ``attrs["seconds"]`` holds the fitting time.
    """
    unknown = [n for n in names if n not in BASELINES]
    if unknown:
        raise ConfigError(f"unknown baselines {unknown}; choose from {BASELINES}")
    x, y = _training_arrays(scaled, include_val)
    x_test = scaled.x_test.astype(np.float64)
    own_index = np.asarray(scaled.own_index)
    results: dict[str, pd.DataFrame] = {}
    for name in names:
        started = time.perf_counter()
        if name == "dummy":
            pred = np.broadcast_to(_column_means(y), (len(x_test), y.shape[1]))
        elif name == "linear_own_mrna":
            intercept, slope = own_mrna_fit(x, y, own_index)
            pred = intercept + slope * _own(x_test, own_index)
        elif name == "ridge":
            pred = KernelRidge(ridge_alphas).fit(x, _filled(y)).predict(x_test)
        elif name == "ridge_variable_own":
            variance = np.asarray(scaled.transcript_variance.reindex(scaled.transcripts), float)
            features = np.argsort(-np.nan_to_num(variance, nan=-1.0), kind="stable")[:top_variable]
            pred = ridge_with_unpenalised_own(
                x, y, x_test, own_index, np.sort(features), alphas=ridge_alphas
            )
        elif name == "ridge_own_residual":
            from omicsnet.t2p.workflows import restrict_transcripts

            inputs = restrict_transcripts(scaled, top_variable)
            z, _ = _training_arrays(inputs, include_val)
            z_test = inputs.x_test.astype(np.float64)
            own_columns = np.asarray(inputs.own_index)
            intercept, slope, ridge = own_residual_ridge(z, y, own_columns, alphas=ridge_alphas)
            pred = intercept + slope * _own(z_test, own_columns) + ridge.predict(z_test)
        elif name == "random_forest":
            from sklearn.ensemble import RandomForestRegressor

            forest = RandomForestRegressor(
                n_estimators=int(rf_estimators),
                max_features="log2",
                max_depth=50,
                n_jobs=int(rf_jobs),
                random_state=seed,
            ).fit(x, _filled(y))
            pred = forest.predict(x_test)
        else:  # handbuilt_nn
            from omicsnet.t2p.train import train_t2p

            fit = train_t2p(
                handbuilt_config(len(scaled.transcripts), len(scaled.proteins)),
                scaled,
                batch_size=nn_batch_size,
                lr=nn_lr,
                max_epochs=nn_epochs,
                seed=seed,
                device=device,
            )
            pred = fit.predictions.to_numpy()
        frame = pd.DataFrame(
            np.asarray(pred, dtype=np.float64).reshape(len(x_test), -1),
            index=scaled.test_ids,
            columns=scaled.proteins,
        )
        frame.attrs["seconds"] = time.perf_counter() - started
        logger.info("baseline %s fitted in %.1f s", name, frame.attrs["seconds"])
        results[name] = frame
    return results


def baseline_summary(scaled: Any, predictions: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per-model summary of test predictions (median/IQR per-protein r and R², MSE).

    Also adds a row ``mrna_protein_r``: the raw test-set correlation of each protein with
    its own mRNA, the reference every model should beat.

    Returns
    -------
    pandas.DataFrame
        One row per model, columns from :func:`~omicsnet.t2p.evaluate.summarize_metrics`
        plus ``seconds``.
    """
    from omicsnet.t2p.evaluate import (
        mrna_protein_correlation,
        per_protein_metrics,
        summarize_metrics,
    )

    rows = {}
    for name, frame in predictions.items():
        table = per_protein_metrics(scaled.y_test, frame.to_numpy(), scaled.proteins)
        rows[name] = {**summarize_metrics(table), "seconds": frame.attrs.get("seconds", np.nan)}
    raw = mrna_protein_correlation(scaled.x_test, scaled.y_test, scaled.own_index, scaled.proteins)
    values = raw.dropna().to_numpy()
    if len(values):
        q = np.quantile(values, [0.5, 0.25, 0.75])
        rows["mrna_protein_r"] = {
            "pearson_r_median": q[0],
            "pearson_r_q25": q[1],
            "pearson_r_q75": q[2],
            "pearson_r_mean": float(values.mean()),
            "n_proteins": float(len(values)),
        }
    return pd.DataFrame.from_dict(rows, orient="index")
