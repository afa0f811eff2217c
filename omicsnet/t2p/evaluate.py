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
from omicsnet.train.metrics import _as_2d, per_target_metrics, summarize_targets


def per_protein_metrics(
    y_true: object,
    y_pred: object,
    proteins: Sequence[str] | None = None,
    *,
    min_samples: int = 3,
) -> pd.DataFrame:
    """Pearson r, R² and MSE of each protein over its measured samples.

    :func:`omicsnet.train.metrics.per_target_metrics` with a ``protein`` column.

    Examples
    --------
    >>> y = np.array([[1.0, 2.0], [2.0, 3.0], [3.0, 1.0], [4.0, 0.0]])
    >>> per_protein_metrics(y, y, ["P1", "P2"])["pearson_r"].tolist()
    [1.0, 1.0]
    """
    return per_target_metrics(y_true, y_pred, proteins, min_samples=min_samples, label="protein")


def summarize_metrics(table: pd.DataFrame) -> dict[str, float]:
    """Median, quartiles and mean of per-protein r and R², plus the pooled MSE.

    :func:`omicsnet.train.metrics.summarize_targets` of :func:`per_protein_metrics`.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"protein": ["a", "b"], "n": [5, 5], "pearson_r": [0.2, 0.6],
    ...                   "r2": [0.0, 0.3], "mse": [1.0, 3.0]})
    >>> summarize_metrics(t)["pearson_r_median"], summarize_metrics(t)["n_proteins"]
    (0.4, 2.0)
    """
    return summarize_targets(table, count="proteins")


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
