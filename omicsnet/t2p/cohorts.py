"""Several cohorts: pooled against single-cohort training, and transfer to an unseen cohort.

The two questions of the paper's multi-dataset claim, each on seeded splits and through
the one cross-validation loop (:func:`omicsnet.train.cv.cross_validate`):

* :func:`cohort_cv` — does training on several cohorts predict a target cohort better
  than training on the target alone? k×2 cross-validation of the target cohort
  (``target_kx2`` splits of :func:`omicsnet.t2p.data.t2p_splits`); in every split each
  model is fitted twice on the same target training half, once with every other cohort's
  samples added (``[pooled]``) and once without (``[single]``), and scored on the same
  target test half. The target's halves are those of plain k×2 CV of the target alone.
* :func:`transfer` — how well does a model fitted on one cohort predict another it never
  saw? Fitted once on the source cohort (``val`` of it held out for early stopping), it
  predicts the whole target cohort, whose transcripts are standardised with the target's
  own statistics (the policy of :mod:`omicsnet.t2p.predict`); the predictions are scored
  on each test half of the target's k×2 splits, the folds :func:`cohort_cv` scores
  within-cohort models on, and on the whole cohort (split ``all``).

Both return a :class:`~omicsnet.train.cv.CVResult`: one table row per (model, split) with
the :func:`~omicsnet.t2p.evaluate.summarize_metrics` columns, and
``CVResult.summary("pearson_r_median")`` gives each model's mean, median, SD, min and max
over the splits.

Examples
--------
>>> from omicsnet.t2p.data import align_t2p
>>> from omicsnet.t2p.workflows import synthetic_t2p
>>> a = synthetic_t2p(n_samples=40, n_genes=12, n_proteins=3, seed=0)
>>> b = synthetic_t2p(n_samples=30, n_genes=12, n_proteins=3, seed=1)
>>> rename = "b{}".format
>>> data = align_t2p({"a": (a.rna, a.protein),
...                   "b": (b.rna.rename(index=rename), b.protein.rename(index=rename))})
>>> cv = cohort_cv(data, "a", k=1, baselines=["linear_own_mrna"])
>>> sorted(set(cv.table["model"]))  # doctest: +NORMALIZE_WHITESPACE
['linear_own_mrna [pooled]', 'linear_own_mrna [single]', 'mrna_protein_r [pooled]',
 'mrna_protein_r [single]']
>>> moved = transfer(data, "a", "b", k=1, baselines=["linear_own_mrna"])
>>> sorted(set(moved.table["split"]))
['all', 'b:1x2/r0/f0', 'b:1x2/r0/f1']
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError, DataError

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from omicsnet.t2p.data import T2PData, T2PSplit
    from omicsnet.train.cv import CVResult

logger = logging.getLogger(__name__)

TRAINING = ("pooled", "single")
"""The two arms of :func:`cohort_cv`: every cohort in training, or the target alone."""

COHORT_BASELINES = ("linear_own_mrna", "ridge_own_residual")
"""Baselines of the cohort questions: own mRNA, and the two-stage ridge."""


def arm_label(name: str, arm: str) -> str:
    """The model name :func:`cohort_cv` gives ``name`` trained in arm ``arm``.

    Examples
    --------
    >>> arm_label("ridge_own_residual", "pooled")
    'ridge_own_residual [pooled]'
    """
    return f"{name} [{arm}]"


def single_cohort(split: T2PSplit, data: T2PData, cohort: str) -> T2PSplit:
    """The same split with the training and validation samples of other cohorts removed.

    Examples
    --------
    >>> import pandas as pd
    >>> from omicsnet.t2p.data import T2PData, T2PSplit
    >>> ids = ["a1", "a2", "b1"]
    >>> d = T2PData(pd.DataFrame(index=ids), pd.DataFrame(index=ids),
    ...             pd.Series(["a", "a", "b"], index=ids), pd.Series(dtype=object))
    >>> single_cohort(T2PSplit("s", ["a1", "b1"], [], ["a2"]), d, "a").train
    ['a1']
    """
    import dataclasses

    def keep(ids: list[str]) -> list[str]:
        return [s for s in ids if data.cohort[s] == cohort]

    return dataclasses.replace(split, train=keep(split.train), val=keep(split.val))


def _check_cohorts(data: T2PData, *names: str) -> None:
    present = data.cohorts
    unknown = [n for n in names if n not in present]
    if unknown:
        raise DataError(f"cohorts {unknown} are not in the data (cohorts: {present})")
    if len(present) < 2:
        raise DataError(f"this needs at least 2 cohorts, the data have {present}")


def _fit_options(
    networks: Mapping[str, Any] | None,
    baselines: Sequence[str],
    top_variable: int | None,
    max_epochs: int,
    early_stopping: int | None,
    baseline_options: Mapping[str, Any] | None,
    seed: int,
    device: str,
) -> dict[str, Any]:
    """The arguments of :func:`omicsnet.t2p.workflows.evaluate_split` both questions share."""
    return {
        "networks": networks,
        "baselines": baselines,
        "top_variable": top_variable,
        "max_epochs": max_epochs,
        "early_stopping": early_stopping,
        "baseline_options": baseline_options,
        "seed": seed,
        "device": device,
    }


def cohort_cv(
    data: T2PData,
    target: str,
    networks: Mapping[str, Any] | None = None,
    *,
    baselines: Sequence[str] = COHORT_BASELINES,
    training: Sequence[str] = TRAINING,
    k: int = 5,
    seed: int = 0,
    val: float = 0.1,
    top_variable: int | None = None,
    max_epochs: int = 200,
    early_stopping: int | None = 20,
    baseline_options: Mapping[str, Any] | None = None,
    cohort_covariate: bool = False,
    device: str = "auto",
    progress: bool = False,
) -> CVResult:
    """Pooled against single-cohort training, on the same k×2 folds of the target cohort.

    Parameters
    ----------
    data
        Aligned data of two or more cohorts (:func:`omicsnet.t2p.data.load_t2p`).
    target
        The cohort predicted and scored.
    networks
        Name → trial config of each network (see :func:`omicsnet.t2p.workflows.fit_config`).
    baselines
        Baselines fitted in each arm (:data:`omicsnet.t2p.baselines.BASELINES`).
    training
        Arms to fit: ``"pooled"`` (every cohort's samples added to the target's training
        half) and/or ``"single"`` (the target's training half alone).
    k, seed, val
        The target's k×2 scheme (``val`` of each training half held out for validation).
    top_variable, max_epochs, early_stopping, baseline_options, device
        As in :func:`omicsnet.t2p.workflows.cross_validate`.
    cohort_covariate
        Give the networks the cohort as one-hot input columns (pooled arm; a constant
        column in the single arm).
    progress
        Progress bar over the splits.

    Returns
    -------
    CVResult
        Models named ``NAME [pooled]`` and ``NAME [single]`` (:func:`arm_label`), including
        the raw own-mRNA correlation ``mrna_protein_r [...]``.
    """
    from omicsnet.t2p.data import t2p_splits
    from omicsnet.t2p.workflows import cv_split, evaluate_split
    from omicsnet.train.cv import cross_validate

    _check_cohorts(data, target)
    unknown = [arm for arm in training if arm not in TRAINING]
    if unknown or not training:
        raise ConfigError(f"training arms must be among {TRAINING}, got {list(training)}")
    t2p_list = list(
        t2p_splits(data, scheme="target_kx2", target_cohort=target, k=k, seed=seed, val=val)
    )
    by_name = {s.name: s for s in t2p_list}

    options = _fit_options(
        networks, baselines, top_variable, max_epochs, early_stopping, baseline_options, seed,
        device,
    )  # fmt: skip

    def fit_predict(split: Any) -> dict[str, Any]:
        pooled = by_name[split.name]
        outputs: dict[str, Any] = {}
        for arm in training:
            chosen = pooled if arm == "pooled" else single_cohort(pooled, data, target)
            scaled = data.scaled(chosen, cohort_covariate=cohort_covariate)
            outputs.update(
                evaluate_split(
                    scaled, **options, network_seed=seed + (pooled.repeat or 0), suffix=f" [{arm}]"
                )
            )
        return outputs

    ids = [str(s) for s in data.rna.index]
    return cross_validate(
        [cv_split(data, s) for s in t2p_list],
        fit_predict,
        n_samples=len(ids),
        sample_ids=ids,
        progress=progress,
        desc=f"{target}: pooled vs single",
    )


def transfer(
    data: T2PData,
    source: str,
    target: str,
    networks: Mapping[str, Any] | None = None,
    *,
    baselines: Sequence[str] = COHORT_BASELINES,
    k: int = 5,
    seed: int = 0,
    val: float = 0.1,
    top_variable: int | None = None,
    max_epochs: int = 200,
    early_stopping: int | None = 20,
    baseline_options: Mapping[str, Any] | None = None,
    device: str = "auto",
    progress: bool = False,
) -> CVResult:
    """Fit on the ``source`` cohort, predict the ``target`` cohort it never saw.

    Parameters
    ----------
    data
        Aligned data holding both cohorts (others are ignored).
    source, target
        Cohort names.
    networks, baselines
        As in :func:`cohort_cv`; every model is fitted once, on the source cohort
        (baselines on all its samples, networks with ``val`` of them held out for early
        stopping).
    k, seed
        The target's k×2 scheme whose test halves the predictions are scored on (the
        folds of :func:`cohort_cv` for the same target and seed).
    val
        Share of the source held out for validation.
    top_variable, max_epochs, early_stopping, baseline_options, device, progress
        As in :func:`cohort_cv`.

    Returns
    -------
    CVResult
        One row per (model, target half) plus split ``all`` (the whole target cohort);
        ``predictions`` holds each model's predictions for every target sample (in the
        order of ``splits[0].test``).
    """
    import dataclasses

    from omicsnet.t2p.data import t2p_splits
    from omicsnet.t2p.evaluate import (
        mrna_protein_correlation,
        per_protein_metrics,
        summarize_metrics,
    )
    from omicsnet.t2p.workflows import cv_split, evaluate_split
    from omicsnet.train.cv import CVResult, cross_validate

    _check_cohorts(data, source, target)
    if source == target:
        raise ConfigError(f"source and target are the same cohort ({source!r})")
    pair = data.subset_samples([s for s in data.rna.index if data.cohort[s] in (source, target)])
    split = next(
        s
        for s in t2p_splits(pair, scheme="loco", val=val, seed=seed)
        if s.name.endswith(f":{target}")
    )
    split = dataclasses.replace(split, name=f"{source} -> {target}")
    held: dict[str, Any] = {}

    options = _fit_options(
        networks, baselines, top_variable, max_epochs, early_stopping, baseline_options, seed,
        device,
    )  # fmt: skip

    def fit_predict(_: Any) -> dict[str, Any]:
        held["scaled"] = scaled = pair.scaled(split, unseen="own")
        return evaluate_split(scaled, **options)

    ids = [str(s) for s in pair.rna.index]
    fitted = cross_validate(
        [cv_split(pair, split)],
        fit_predict,
        n_samples=len(ids),
        sample_ids=ids,
        progress=progress,
        desc=f"{source} -> {target}",
    )
    scaled = held["scaled"]
    target_only = pair.subset_samples(split.test)
    halves = {
        s.name: s.test for s in t2p_splits(target_only, scheme="kx2", k=k, seed=seed, val=val)
    }
    halves = {f"{target}:{name}": ids_ for name, ids_ in halves.items()}
    halves["all"] = list(split.test)
    row_of = {sample: i for i, sample in enumerate(split.test)}
    fit_rows = fitted.table.set_index("model")
    rows = []
    for name, parts in fitted.predictions.items():
        predicted = parts[0]
        for half, samples in halves.items():
            index = np.asarray([row_of[s] for s in samples])
            y = scaled.y_test[index]
            if predicted is None:  # the raw own-mRNA correlation
                raw = mrna_protein_correlation(scaled.x_test[index], y, scaled.own_index)
                raw = raw.dropna()
                metrics = {"pearson_r_median": float(raw.median()) if len(raw) else np.nan}
            else:
                table = per_protein_metrics(y, np.asarray(predicted)[index], scaled.proteins)
                metrics = summarize_metrics(table)
            rows.append(
                {
                    "model": name,
                    "split": half,
                    "trained_on": source,
                    "n_train": len(split.train),
                    "n_test": len(samples),
                    "seconds": float(fit_rows.loc[name, "seconds"]),
                    **metrics,
                }
            )
    logger.info("transfer %s -> %s scored on %d target folds", source, target, len(halves))
    return CVResult(
        table=pd.DataFrame(rows),
        splits=fitted.splits,
        predictions=fitted.predictions,
        n_samples=fitted.n_samples,
        sample_ids=fitted.sample_ids,
    )


__all__ = [
    "COHORT_BASELINES",
    "TRAINING",
    "arm_label",
    "cohort_cv",
    "single_cohort",
    "transfer",
]
