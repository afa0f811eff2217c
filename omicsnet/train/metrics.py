"""Metrics written once: classification from probabilities (with bootstrap confidence
intervals), and per-target regression metrics with missing targets masked.

Everything is computed from integer class codes ``y_true`` ``(n,)`` and probabilities
``proba`` ``(n, n_classes)``; the predicted class is the most probable one (ties: the
lower code). Conventions follow scikit-learn's:

* **micro** precision, recall and F1 pool all decisions; for single-label multi-class
  data all three equal the accuracy;
* **macro** averages are unweighted means over the classes that occur in ``y_true`` or
  in the predictions; a class never predicted has precision 0 (``zero_division=0``), and
  macro F1 is the mean of the per-class F1 scores;
* **balanced accuracy** is the mean recall over the classes in ``y_true``;
* **ROC AUC** is one-vs-rest per class by the rank-sum formula (ties averaged); it is
  undefined (NaN) for a class that is absent or the only one; ``auc_macro`` averages the
  defined ones.

:func:`bootstrap_ci` resamples samples with replacement (seeded, all resamples evaluated
at once with NumPy) and reports percentile intervals; resamples in which a metric is
undefined are left out and counted. With a cohort of 18 the intervals are wide — that is
the point of reporting them.

Examples
--------
>>> import numpy as np
>>> y = np.array([0, 0, 1, 1, 2, 2])
>>> proba = np.eye(3)[[0, 1, 1, 1, 2, 0]] * 0.7 + 0.1
>>> m = classification_metrics(y, proba)
>>> round(m["accuracy"], 4), round(m["f1_macro"], 4), round(m["precision_macro"], 4)
(0.6667, 0.6556, 0.7222)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError, DataError

logger = logging.getLogger(__name__)

_BOOT_CELLS = 2_000_000  # probabilities resampled at once by bootstrap_ci (memory bound)

SUMMARY_METRICS: tuple[str, ...] = (
    "accuracy",
    "balanced_accuracy",
    "precision_micro",
    "recall_micro",
    "f1_micro",
    "precision_macro",
    "recall_macro",
    "f1_macro",
    "auc_macro",
    "log_loss",
)
"""Metrics reported by :func:`classification_metrics` (plus ``auc_<class>`` per class)."""


def _check_inputs(
    y_true: Any, proba: Any, class_names: Sequence[str] | None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    if isinstance(proba, pd.DataFrame):
        if class_names is None:
            class_names = [str(c) for c in proba.columns]
        proba = proba.to_numpy()
    p = np.asarray(proba, dtype=np.float64)
    y = np.asarray(y_true)
    if p.ndim != 2 or p.shape[1] < 2:
        raise DataError(f"proba must be (n_samples, n_classes >= 2), got shape {p.shape}")
    if y.ndim != 1 or len(y) != len(p):
        raise DataError(f"y_true has shape {y.shape}, proba {p.shape}: one label per row needed")
    if len(y) == 0:
        raise DataError("no samples to evaluate")
    if not np.issubdtype(y.dtype, np.integer):
        if np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y)):
            y = y.astype(np.int64)
        else:
            raise DataError(f"y_true must be integer class codes, got dtype {y.dtype}")
    n_classes = p.shape[1]
    bad = np.flatnonzero((y < 0) | (y >= n_classes))
    if len(bad):
        raise DataError(
            f"y_true holds codes outside [0, {n_classes}) at rows {bad[:5].tolist()} "
            f"(values {y[bad[:5]].tolist()})"
        )
    if not np.isfinite(p).all():
        row = int(np.flatnonzero(~np.isfinite(p).all(1))[0])
        raise DataError(f"proba has NaN/infinite values (first at row {row})")
    names = (
        [str(c) for c in class_names]
        if class_names is not None
        else [f"class_{c}" for c in range(n_classes)]
    )
    if len(names) != n_classes:
        raise ConfigError(f"{len(names)} class names for {n_classes} probability columns")
    return y.astype(np.int64), p, names


def _rankdata_rows(values: np.ndarray) -> np.ndarray:
    """Ranks (1-based, ties averaged) along the last axis of a 2-D array, vectorised."""
    n_rows, n = values.shape
    order = np.argsort(values, axis=1, kind="stable")
    ordered = np.take_along_axis(values, order, axis=1)
    new_group = np.ones((n_rows, n), dtype=bool)
    new_group[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    groups = np.cumsum(new_group, axis=1) - 1 + (np.arange(n_rows) * n)[:, None]
    positions = np.broadcast_to(np.arange(1, n + 1, dtype=np.float64), (n_rows, n))
    mean_rank = np.bincount(groups.ravel(), weights=positions.ravel(), minlength=n_rows * n)
    mean_rank /= np.maximum(np.bincount(groups.ravel(), minlength=n_rows * n), 1)
    ranks = np.empty((n_rows, n))
    np.put_along_axis(ranks, order, mean_rank[groups], axis=1)
    return ranks


def _metrics_batch(y: np.ndarray, p: np.ndarray) -> dict[str, np.ndarray]:
    """All metrics for a batch of resamples: ``y`` ``(B, n)``, ``p`` ``(B, n, C)``."""
    n_boot, n, n_classes = p.shape
    pred = p.argmax(-1)
    flat = (np.arange(n_boot)[:, None] * n_classes + y) * n_classes + pred
    confusion = np.bincount(flat.ravel(), minlength=n_boot * n_classes * n_classes).reshape(
        n_boot, n_classes, n_classes
    )
    tp = np.diagonal(confusion, axis1=1, axis2=2).astype(np.float64)
    support = confusion.sum(2).astype(np.float64)  # true counts per class
    predicted = confusion.sum(1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    present = (support > 0) | (predicted > 0)
    n_present = present.sum(1)
    accuracy = tp.sum(1) / n

    def macro(values: np.ndarray) -> np.ndarray:
        return (values * present).sum(1) / n_present

    in_truth = support > 0
    balanced = (recall * in_truth).sum(1) / in_truth.sum(1)

    aucs = np.full((n_boot, n_classes), np.nan)
    for c in range(n_classes):
        positive = y == c
        n_pos = positive.sum(1).astype(np.float64)
        n_neg = n - n_pos
        ranks = _rankdata_rows(p[:, :, c])
        with np.errstate(invalid="ignore", divide="ignore"):
            auc = ((ranks * positive).sum(1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
        aucs[:, c] = np.where((n_pos > 0) & (n_neg > 0), auc, np.nan)
    valid = ~np.isnan(aucs)
    with np.errstate(invalid="ignore"):
        auc_macro = np.where(valid.any(1), np.nansum(aucs, 1) / valid.sum(1), np.nan)
    true_p = np.take_along_axis(p, y[..., None], axis=-1)[..., 0]
    log_loss = -np.log(np.clip(true_p, 1e-15, 1.0)).mean(1)

    out = {
        "accuracy": accuracy,
        "balanced_accuracy": balanced,
        "precision_micro": accuracy,
        "recall_micro": accuracy,
        "f1_micro": accuracy,
        "precision_macro": macro(precision),
        "recall_macro": macro(recall),
        "f1_macro": macro(f1),
        "auc_macro": auc_macro,
        "log_loss": log_loss,
    }
    for c in range(n_classes):
        out[f"_auc_{c}"] = aucs[:, c]
        out[f"_precision_{c}"] = precision[:, c]
        out[f"_recall_{c}"] = recall[:, c]
        out[f"_f1_{c}"] = f1[:, c]
    return out


def _named(values: dict[str, np.ndarray], names: Sequence[str]) -> dict[str, np.ndarray]:
    named = {k: v for k, v in values.items() if not k.startswith("_")}
    for c, name in enumerate(names):
        named[f"auc_{name}"] = values[f"_auc_{c}"]
    return named


def classification_metrics(
    y_true: Any, proba: Any, *, class_names: Sequence[str] | None = None
) -> dict[str, float]:
    """Accuracy, balanced accuracy, micro/macro precision, recall and F1, ROC AUCs, log loss.

    Parameters
    ----------
    y_true
        Integer class codes ``(n,)``.
    proba
        Class probabilities ``(n, n_classes)`` (array or DataFrame with class columns).
    class_names
        Names used in the per-class keys ``auc_<name>`` (default: DataFrame columns,
        else ``class_0``, ``class_1``, ...).

    Returns
    -------
    dict
        :data:`SUMMARY_METRICS` and ``auc_<class>`` for each class (NaN when undefined).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 1, 1, 0])
    >>> proba = np.array([[0.9, 0.1], [0.4, 0.6], [0.3, 0.7], [0.2, 0.8]])
    >>> m = classification_metrics(y, proba, class_names=["healthy", "cancer"])
    >>> m["accuracy"], m["recall_macro"], m["auc_cancer"]   # AUC: 2 of 4 pairs ranked right
    (0.75, 0.75, 0.5)
    """
    y, p, names = _check_inputs(y_true, proba, class_names)
    values = _named(_metrics_batch(y[None], p[None]), names)
    return {k: float(v[0]) for k, v in values.items()}


def roc_auc_ovr(y_true: Any, proba: Any, *, class_names: Sequence[str] | None = None) -> pd.Series:
    """One-vs-rest ROC AUC of each class (NaN for a class that is absent or alone).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 2])
    >>> proba = np.array([[.8, .1, .1], [.3, .6, .1], [.2, .7, .1], [.1, .1, .8]])
    >>> roc_auc_ovr(y, proba, class_names=["a", "b", "c"]).round(3).tolist()
    [1.0, 1.0, 1.0]
    """
    y, p, names = _check_inputs(y_true, proba, class_names)
    values = _metrics_batch(y[None], p[None])
    return pd.Series(
        [float(values[f"_auc_{c}"][0]) for c in range(len(names))], index=names, name="auc"
    )


def confusion_matrix_frame(
    y_true: Any, y_pred: Any, class_names: Sequence[str] | int
) -> pd.DataFrame:
    """Confusion matrix as a DataFrame: rows = true class, columns = predicted class.

    Parameters
    ----------
    y_true, y_pred
        Integer class codes.
    class_names
        Class names in code order, or the number of classes.

    Examples
    --------
    >>> frame = confusion_matrix_frame([0, 0, 1, 2], [0, 1, 1, 0], ["C", "H", "N"])
    >>> frame  # doctest: +NORMALIZE_WHITESPACE
    predicted  C  H  N
    true
    C          1  1  0
    H          0  1  0
    N          1  0  0
    """
    names = (
        [f"class_{c}" for c in range(class_names)]
        if isinstance(class_names, int)
        else [str(c) for c in class_names]
    )
    t = np.asarray(y_true, dtype=np.int64).ravel()
    q = np.asarray(y_pred, dtype=np.int64).ravel()
    k = len(names)
    if len(t) != len(q):
        raise DataError(f"{len(t)} true labels but {len(q)} predictions")
    if len(t) and (min(t.min(), q.min()) < 0 or max(t.max(), q.max()) >= k):
        raise DataError(f"class codes must lie in [0, {k})")
    counts = np.bincount(t * k + q, minlength=k * k).reshape(k, k)
    return pd.DataFrame(
        counts,
        index=pd.Index(names, name="true"),
        columns=pd.Index(names, name="predicted"),
    )


def bootstrap_ci(
    y_true: Any,
    proba: Any,
    *,
    class_names: Sequence[str] | None = None,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Percentile bootstrap confidence intervals of every metric of :func:`classification_metrics`.

    Parameters
    ----------
    y_true, proba, class_names
        As for :func:`classification_metrics`.
    n_boot
        Number of resamples (with replacement, of the same size as the data).
    level
        Coverage of the intervals (0.95: 2.5th–97.5th percentiles).
    seed
        Seed of the resampling: the same seed gives the same intervals.

    Returns
    -------
    pandas.DataFrame
        One row per metric; columns ``estimate`` (on all the data), ``ci_lower``,
        ``ci_upper`` and ``n_valid`` (resamples in which the metric was defined).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1, 2], 6)
    >>> proba = rng.dirichlet(np.ones(3), size=18)
    >>> ci = bootstrap_ci(y, proba, n_boot=200, seed=1)
    >>> low, estimate, high = ci.loc["accuracy", ["ci_lower", "estimate", "ci_upper"]]
    >>> bool(low <= estimate <= high)
    True
    >>> ci.equals(bootstrap_ci(y, proba, n_boot=200, seed=1))
    True
    """
    y, p, names = _check_inputs(y_true, proba, class_names)
    if int(n_boot) < 1:
        raise ConfigError(f"n_boot must be >= 1, got {n_boot}")
    if not 0.0 < level < 1.0:
        raise ConfigError(f"level must be in (0, 1), got {level}")
    estimate = _named(_metrics_batch(y[None], p[None]), names)
    rng = np.random.default_rng(seed)
    rows: dict[str, list[np.ndarray]] = {k: [] for k in estimate}
    chunk = max(1, _BOOT_CELLS // max(1, len(y) * p.shape[1]))  # bound the memory per chunk
    remaining = int(n_boot)
    while remaining > 0:
        size = min(chunk, remaining)
        idx = rng.integers(0, len(y), size=(size, len(y)))
        values = _named(_metrics_batch(y[idx], p[idx]), names)
        for key in rows:
            rows[key].append(values[key])
        remaining -= size
    alpha = (1.0 - level) / 2.0
    records = []
    for key, parts in rows.items():
        samples = np.concatenate(parts)
        ok = samples[~np.isnan(samples)]
        lower, upper = (
            (float(np.quantile(ok, alpha)), float(np.quantile(ok, 1.0 - alpha)))
            if len(ok)
            else (float("nan"), float("nan"))
        )
        records.append(
            {
                "metric": key,
                "estimate": float(estimate[key][0]),
                "ci_lower": lower,
                "ci_upper": upper,
                "n_valid": len(ok),
            }
        )
    return pd.DataFrame.from_records(records).set_index("metric")


@dataclass
class ClassificationReport:
    """Everything :func:`classification_report` computes.

    Attributes
    ----------
    summary
        Metrics × (``estimate``, ``ci_lower``, ``ci_upper``, ``n_valid``).
    per_class
        Classes × (``precision``, ``recall``, ``f1``, ``support``, ``auc``).
    confusion
        Counts, true classes in rows, predicted in columns.
    """

    summary: pd.DataFrame
    per_class: pd.DataFrame
    confusion: pd.DataFrame

    def __str__(self) -> str:
        from omicsnet.utils.numbers import format_frame

        return (
            f"{format_frame(self.summary)}\n\n{format_frame(self.per_class)}"
            f"\n\n{self.confusion.to_string()}"
        )


def classification_report(
    y_true: Any,
    proba: Any,
    *,
    class_names: Sequence[str] | None = None,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> ClassificationReport:
    """Summary metrics with bootstrap CIs, per-class table and confusion matrix.

    Parameters
    ----------
    y_true, proba, class_names
        As for :func:`classification_metrics`.
    n_boot, level, seed
        As for :func:`bootstrap_ci`.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 1, 2, 2])
    >>> proba = np.eye(3)[[0, 1, 1, 1, 2, 0]] * 0.7 + 0.1
    >>> report = classification_report(y, proba, class_names=["C", "H", "N"], n_boot=100)
    >>> table = report.per_class[["precision", "recall", "support"]].round(3)
    >>> table  # doctest: +NORMALIZE_WHITESPACE
           precision  recall  support
    class
    C          0.500     0.5        2
    H          0.667     1.0        2
    N          1.000     0.5        2
    >>> int(report.confusion.loc["N", "C"])
    1
    """
    y, p, names = _check_inputs(y_true, proba, class_names)
    summary = bootstrap_ci(y, p, class_names=names, n_boot=n_boot, level=level, seed=seed)
    values = _metrics_batch(y[None], p[None])
    per_class = pd.DataFrame(
        {
            "precision": [float(values[f"_precision_{c}"][0]) for c in range(len(names))],
            "recall": [float(values[f"_recall_{c}"][0]) for c in range(len(names))],
            "f1": [float(values[f"_f1_{c}"][0]) for c in range(len(names))],
            "support": np.bincount(y, minlength=len(names)),
            "auc": [float(values[f"_auc_{c}"][0]) for c in range(len(names))],
        },
        index=pd.Index(names, name="class"),
    )
    confusion = confusion_matrix_frame(y, p.argmax(1), names)
    return ClassificationReport(summary=summary, per_class=per_class, confusion=confusion)


__all__ = [
    "SUMMARY_METRICS",
    "ClassificationReport",
    "bootstrap_ci",
    "classification_metrics",
    "classification_report",
    "confusion_matrix_frame",
    "roc_auc_ovr",
]


# ---------------------------------------------------------------------- regression
def pearson_r(a: Any, b: Any) -> float:
    """Pearson r of two 1-D arrays; NaN when either is constant or shorter than 2.

    Examples
    --------
    >>> pearson_r([1.0, 2.0, 3.0], [2.0, 4.0, 7.0]) > 0.99
    True
    >>> pearson_r([1.0, 1.0], [1.0, 2.0])
    nan
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def row_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson r of each row of ``a`` with the same row of ``b`` (NaN for a constant row).

    Examples
    --------
    >>> row_pearson(np.array([[1.0, 2, 3], [1, 0, 1]]), np.array([[2.0, 4, 6], [0, 1, 0]]))
    array([ 1., -1.])
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a = a - a.mean(1, keepdims=True)
    b = b - b.mean(1, keepdims=True)
    denom = np.sqrt((a * a).sum(1) * (b * b).sum(1))
    return np.divide((a * b).sum(1), denom, out=np.full(len(a), np.nan), where=denom > 0)


def _as_2d(values: object, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise DataError(f"{name} must be samples x proteins, got shape {array.shape}")
    return array


def per_target_metrics(
    y_true: object,
    y_pred: object,
    names: Sequence[str] | None = None,
    *,
    min_samples: int = 3,
    label: str = "target",
) -> pd.DataFrame:
    """Pearson r, R² and MSE of each target (column) over its measured samples.

    Missing targets (``NaN`` in ``y_true``) are masked: a target is scored on the samples
    where it was measured, and targets with fewer than ``min_samples`` measured samples
    (or no variance) get ``NaN`` scores.

    Parameters
    ----------
    y_true
        Samples × targets; ``NaN`` = not measured (skipped).
    y_pred
        Predictions of the same shape (must be finite where the target is measured).
    names
        Target names (default ``{label}_0``…).
    min_samples
        Fewer measured samples than this gives ``NaN`` scores.
    label
        Name of the first column (``"protein"``, ``"phenotype"``...).

    Returns
    -------
    pandas.DataFrame
        Columns ``{label}``, ``n`` (measured samples), ``pearson_r``, ``r2`` (1 − SSres /
        SStot around the measured samples' mean) and ``mse``.

    Examples
    --------
    >>> y = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 1.0], [4.0, 0.0]])
    >>> pred = np.array([[1.1, 2.0], [2.1, 5.0], [2.9, 1.0], [4.2, 0.5]])
    >>> per_target_metrics(y, pred, ["P1", "P2"], label="protein")["n"].tolist()
    [4, 3]

    Raises
    ------
    DataError
        Shapes differ, names do not match the columns, or predictions are not finite
        where targets are measured.
    """
    truth, pred = _as_2d(y_true, "y_true"), _as_2d(y_pred, "y_pred")
    if truth.shape != pred.shape:
        raise DataError(f"y_true has shape {truth.shape} but y_pred {pred.shape}")
    names = [f"{label}_{i}" for i in range(truth.shape[1])] if names is None else list(names)
    if len(names) != truth.shape[1]:
        raise DataError(f"{len(names)} {label} names for {truth.shape[1]} columns")
    observed = np.isfinite(truth)
    bad = observed & ~np.isfinite(pred)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise DataError(f"prediction for {label} {names[col]!r} in row {row} is not finite")
    n = observed.sum(0)
    count = np.maximum(n, 1)
    t = np.where(observed, truth, 0.0)
    p = np.where(observed, pred, 0.0)
    t_mean, p_mean = t.sum(0) / count, p.sum(0) / count
    tc = np.where(observed, truth - t_mean, 0.0)
    pc = np.where(observed, pred - p_mean, 0.0)
    ss_tot = (tc**2).sum(0)
    ss_res = (np.where(observed, truth - pred, 0.0) ** 2).sum(0)
    denom = np.sqrt(ss_tot * (pc**2).sum(0))
    valid = (n >= min_samples) & (ss_tot > 1e-12)
    with np.errstate(invalid="ignore", divide="ignore"):
        pearson = np.where(valid & (denom > 1e-12), (tc * pc).sum(0) / denom, np.nan)
        r2 = np.where(valid, 1.0 - ss_res / ss_tot, np.nan)
        mse = np.where(n > 0, ss_res / count, np.nan)
    return pd.DataFrame({label: names, "n": n, "pearson_r": pearson, "r2": r2, "mse": mse})


def summarize_targets(table: pd.DataFrame, *, count: str = "proteins") -> dict[str, float]:
    """Median, quartiles and mean of per-target r and R², plus the pooled MSE.

    Parameters
    ----------
    table
        Output of :func:`per_target_metrics`.

    Returns
    -------
    dict
        ``pearson_r_median``, ``pearson_r_q25``, ``pearson_r_q75``, ``pearson_r_mean``,
        the same for ``r2``, ``mse`` (over all measured values), ``n_{count}`` (scored
        targets; ``n_proteins`` by default) and ``n_unscored``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"protein": ["a", "b"], "n": [5, 5], "pearson_r": [0.2, 0.6],
    ...                   "r2": [0.0, 0.3], "mse": [1.0, 3.0]})
    >>> summarize_targets(t)["pearson_r_median"], summarize_targets(t)["mse"]
    (0.4, 2.0)
    """
    out: dict[str, float] = {}
    for column in ("pearson_r", "r2"):
        values = table[column].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        stats = np.quantile(values, [0.5, 0.25, 0.75]) if len(values) else np.full(3, np.nan)
        out[f"{column}_median"] = float(stats[0])
        out[f"{column}_q25"] = float(stats[1])
        out[f"{column}_q75"] = float(stats[2])
        out[f"{column}_mean"] = float(values.mean()) if len(values) else float("nan")
    n = table["n"].to_numpy(dtype=float)
    mse = table["mse"].to_numpy(dtype=float)
    used = n > 0
    out["mse"] = float((mse[used] * n[used]).sum() / n[used].sum()) if used.any() else float("nan")
    scored = int(np.isfinite(table["pearson_r"].to_numpy(dtype=float)).sum())
    out[f"n_{count}"] = float(scored)
    out["n_unscored"] = float(len(table) - scored)
    return out
