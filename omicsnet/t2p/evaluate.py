"""Per-protein evaluation of transcript → protein predictions, with missing targets masked.

Every function skips missing targets (``NaN`` in ``y_true``): a protein is scored on the
samples where it was measured, and proteins with fewer than ``min_samples`` measured
samples (or no variance) get ``NaN`` scores, which the summaries leave out and count.

Examples
--------
>>> import numpy as np
>>> y = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 1.0], [4.0, 0.0]])
>>> pred = np.array([[1.1, 2.0], [2.1, 5.0], [2.9, 1.0], [4.2, 0.5]])
>>> table = per_protein_metrics(y, pred, ["P1", "P2"])
>>> table["n"].tolist()
[4, 3]
>>> round(summarize_metrics(table)["pearson_r_median"], 4)
0.9887
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from omicsnet.errors import DataError


def _as_2d(values: object, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise DataError(f"{name} must be samples x proteins, got shape {array.shape}")
    return array


def per_protein_metrics(
    y_true: object,
    y_pred: object,
    proteins: Sequence[str] | None = None,
    *,
    min_samples: int = 3,
) -> pd.DataFrame:
    """Pearson r, R² and MSE of each protein over its measured samples.

    Parameters
    ----------
    y_true
        Samples × proteins targets; ``NaN`` = not measured (skipped).
    y_pred
        Predictions of the same shape (must be finite where the target is measured).
    proteins
        Protein names (default ``protein_0``…).
    min_samples
        Fewer measured samples than this gives ``NaN`` scores.

    Returns
    -------
    pandas.DataFrame
        Columns ``protein``, ``n`` (measured samples), ``pearson_r``, ``r2`` (1 − SSres /
        SStot around the measured samples' mean) and ``mse``.

    Raises
    ------
    DataError
        Shapes differ, names do not match the columns, or predictions are not finite
        where targets are measured.
    """
    truth, pred = _as_2d(y_true, "y_true"), _as_2d(y_pred, "y_pred")
    if truth.shape != pred.shape:
        raise DataError(f"y_true has shape {truth.shape} but y_pred {pred.shape}")
    names = [f"protein_{i}" for i in range(truth.shape[1])] if proteins is None else list(proteins)
    if len(names) != truth.shape[1]:
        raise DataError(f"{len(names)} protein names for {truth.shape[1]} columns")
    observed = np.isfinite(truth)
    bad = observed & ~np.isfinite(pred)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise DataError(f"prediction for protein {names[col]!r} in row {row} is not finite")
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
    return pd.DataFrame({"protein": names, "n": n, "pearson_r": pearson, "r2": r2, "mse": mse})


def summarize_metrics(table: pd.DataFrame) -> dict[str, float]:
    """Median, quartiles and mean of per-protein r and R², plus the pooled MSE.

    Parameters
    ----------
    table
        Output of :func:`per_protein_metrics`.

    Returns
    -------
    dict
        ``pearson_r_median``, ``pearson_r_q25``, ``pearson_r_q75``, ``pearson_r_mean``,
        the same for ``r2``, ``mse`` (over all measured values), ``n_proteins`` (scored)
        and ``n_unscored``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"protein": ["a", "b"], "n": [5, 5], "pearson_r": [0.2, 0.6],
    ...                   "r2": [0.0, 0.3], "mse": [1.0, 3.0]})
    >>> summarize_metrics(t)["pearson_r_median"], summarize_metrics(t)["mse"]
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
    out["n_proteins"] = float(scored)
    out["n_unscored"] = float(len(table) - scored)
    return out


def mrna_protein_correlation(
    x: object,
    y: object,
    own_index: Sequence[int] | np.ndarray,
    proteins: Sequence[str] | None = None,
    *,
    min_samples: int = 3,
) -> pd.Series:
    """Raw Pearson correlation of each protein with its own mRNA (``NaN`` when it has none).

    The reference a model should beat: it is the per-protein r of predicting each protein
    from its own transcript by any linear map.

    Parameters
    ----------
    x
        Samples × transcripts.
    y
        Samples × proteins (``NaN`` = not measured).
    own_index
        Column of each protein's own mRNA in ``x`` (``-1``: none).
    proteins
        Names for the result's index.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 0.0], [2.0, 1.0], [3.0, 0.0], [4.0, 1.0]])
    >>> y = np.array([[2.0, 1.0], [4.0, 1.0], [6.0, 2.0], [8.0, 0.0]])
    >>> mrna_protein_correlation(x, y, [0, -1], ["A", "B"]).round(3).tolist()
    [1.0, nan]
    """
    xs, ys = _as_2d(x, "x"), _as_2d(y, "y")
    index = np.asarray(own_index, dtype=np.int64)
    if len(index) != ys.shape[1]:
        raise DataError(f"{len(index)} own-mRNA indices for {ys.shape[1]} proteins")
    has = index >= 0
    paired = np.where(has[None, :], xs[:, np.clip(index, 0, None)], 0.0)
    table = per_protein_metrics(ys, paired, proteins, min_samples=min_samples)
    values = np.where(has, table["pearson_r"].to_numpy(), np.nan)
    return pd.Series(values, index=table["protein"].to_numpy(), name="mrna_protein_r")


def masked_mse(y_true: object, y_pred: object) -> float:
    """Mean squared error over measured targets only.

    Examples
    --------
    >>> import numpy as np
    >>> masked_mse(np.array([[1.0, np.nan]]), np.array([[3.0, 100.0]]))
    4.0
    """
    truth, pred = _as_2d(y_true, "y_true"), _as_2d(y_pred, "y_pred")
    observed = np.isfinite(truth)
    if not observed.any():
        return float("nan")
    return float(((truth - pred)[observed] ** 2).mean())
