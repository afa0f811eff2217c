"""What a saved transcript → protein run keeps so that it can predict a new cohort.

:func:`run_reference` collects, from the scaled split a network was trained on, the
record :func:`omicsnet.t2p.workflows.train_and_save` writes into ``t2p_run.json``
(``prediction``: input genes, output proteins, own-mRNA inputs, scaling and
missing-input policies) and the arrays of ``reference.safetensors`` (each training
cohort's transcript means and scales, and the own-mRNA and two-stage ridge fits).
:mod:`omicsnet.t2p.predict` reads them back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

REFERENCE_FILE = "reference.safetensors"
"""Arrays a run keeps for prediction: transcript scaling and the linear references."""
RUN_FORMAT = "omicsnet-t2p-run"
RUN_FORMAT_VERSION = 2

SCALING_POLICY = (
    "per cohort: each training cohort's transcripts and proteins were centred and scaled "
    "with that cohort's training-sample mean and SD; a new cohort's transcripts are "
    "standardised with its own samples' mean and SD (scaling='own'), or with a training "
    "cohort's (scaling='training'); predictions are standardised protein values"
)
MISSING_POLICY = (
    "a model input missing from the table, or a missing value in a sample, is set to 0 "
    "after scaling (the cohort's average, no information); cohort indicator inputs are 0"
)


def run_reference(scaled: Any) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """What :func:`omicsnet.t2p.workflows.train_and_save` keeps for prediction.

    Parameters
    ----------
    scaled
        The (restricted) scaled split the network was trained on.

    Returns
    -------
    (arrays, record)
        ``arrays`` for ``reference.safetensors``: each training cohort's transcript mean
        and scale over the model's inputs (``rna_mean:COHORT``, ``rna_scale:COHORT``);
        the own-mRNA fit (``own_intercept``, ``own_slope``) and the two-stage ridge
        (``ridge_*``), both fitted on the training and validation samples, as the
        baselines of the cross-validation are. ``record``: input genes, output proteins,
        own-mRNA inputs, covariates, cohorts and the scaling and missing-input policies.

    Examples
    --------
    >>> from omicsnet.t2p.workflows import prepare_split, synthetic_t2p
    >>> scaled = prepare_split(synthetic_t2p(n_samples=30, n_genes=6, n_proteins=2))
    >>> arrays, record = run_reference(scaled)
    >>> sorted(arrays)[:3], record["outputs"], record["scaling"]["cohorts"]
    (['own_intercept', 'own_slope', 'ridge_dual'], ['G0000', 'G0001'], ['synthetic'])
    """
    from omicsnet.t2p.linear import _training_arrays, own_mrna_fit, own_residual_ridge

    genes = [t for t in scaled.transcripts if t not in set(scaled.covariates)]
    x, y = _training_arrays(scaled, True)
    own = np.asarray(scaled.own_index)
    own_intercept, own_slope = own_mrna_fit(x, y, own)
    intercept, slope, ridge = own_residual_ridge(x, y, own)
    arrays: dict[str, np.ndarray] = {
        "own_intercept": own_intercept,
        "own_slope": own_slope,
        "ridge_intercept": intercept,
        "ridge_slope": slope,
        "ridge_x_mean": ridge.x_mean_,
        "ridge_xc": ridge.xc_,
        "ridge_dual": ridge.dual_,
        "ridge_y_mean": ridge.y_mean_,
    }
    for cohort, scaler in scaled.rna_scalers.items():
        if cohort in scaled.unseen:
            continue
        arrays[f"rna_mean:{cohort}"] = scaler.mean_.reindex(genes).to_numpy(dtype=float)
        arrays[f"rna_scale:{cohort}"] = scaler.scale_.reindex(genes).to_numpy(dtype=float)
    arrays = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in arrays.items()}
    record = {
        "format": RUN_FORMAT,
        "format_version": RUN_FORMAT_VERSION,
        "inputs": list(scaled.transcripts),
        "outputs": list(scaled.proteins),
        "own_mrna": {
            p: (scaled.transcripts[i] if i >= 0 else None)
            for p, i in zip(scaled.proteins, own.tolist(), strict=True)
        },
        "covariates": list(scaled.covariates),
        "scaling": {
            "policy": SCALING_POLICY,
            "cohorts": [c for c in scaled.rna_scalers if c not in scaled.unseen],
            "reference_samples": len(x),
        },
        "missing_inputs": MISSING_POLICY,
        "reference": REFERENCE_FILE,
    }
    return arrays, record


def save_reference(folder: Path, arrays: dict[str, np.ndarray]) -> Path:
    """Write ``reference.safetensors`` into ``folder`` (no pickle: safetensors)."""
    from safetensors.numpy import save_file

    path = folder / REFERENCE_FILE
    save_file(arrays, str(path))
    return path


__all__ = [
    "MISSING_POLICY",
    "REFERENCE_FILE",
    "RUN_FORMAT",
    "RUN_FORMAT_VERSION",
    "SCALING_POLICY",
    "run_reference",
    "save_reference",
]
