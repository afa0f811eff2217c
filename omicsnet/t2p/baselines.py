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
>>> from omicsnet.t2p.data import t2p_from_tables, t2p_splits
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
from omicsnet.t2p.linear import (
    RIDGE_ALPHAS,
    KernelRidge,
    _column_means,
    _filled,
    _own,
    _training_arrays,
    own_mrna_fit,
    own_residual_ridge,
    ridge_with_unpenalised_own,
)
from omicsnet.utils.numbers import format_number

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
        A :class:`~omicsnet.t2p.data.ScaledT2P`.
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
            from omicsnet.t2p.data import restrict_transcripts

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
        logger.info("baseline %s fitted in %s s", name, format_number(frame.attrs["seconds"]))
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
