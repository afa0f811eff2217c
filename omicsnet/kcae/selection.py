"""Choosing a ``kgae``'s settings on training studies only (inner cross-validation by study).

A held-out evaluation is honest only if every choice (penalty strength, number of free
nodes, architecture) is made without the held-out studies. :func:`select_by_study_cv`
splits the *training* studies into folds of whole studies, fits every candidate on each
inner training part (the scaling fitted there too) and scores its predictions of the inner
held-out studies, pooled over the inner folds (the fold loop is
:func:`omicsnet.train.cv.cross_validate`). The rule prefers biology: candidates are given
most knowledge-constrained first, and the first whose pooled PCC is within ``tolerance``
of the best is chosen.

Examples
--------
>>> from omicsnet.kcae.compendium import synthetic_programs
>>> from omicsnet.models import create_model
>>> d = synthetic_programs(n_samples=60, seed=0)
>>> studies = pd.Series([f"s{i % 6}" for i in range(60)], index=d.expression.index)
>>> build = lambda c: create_model("kgae", input_features=list(d.expression.columns),
...     output_features=["growth_rate"], n_genes=d.expression.shape[1],
...     n_knowledge=len(d.node_names), n_free=c.n_free, program_edges=d.program_edges)
>>> chosen, table = select_by_study_cv(build, d.expression, d.phenotypes["growth_rate"],
...     studies, [Candidate("strict", 2, 1.0), Candidate("loose", 8, 0.0)], n_folds=2,
...     fit_options={"pretrain_epochs": 2, "epochs": 2})
>>> list(table.columns)
['candidate', 'n_free', 'penalty', 'penalty_kind', 'pooled_pcc', 'reconstruction_r', 'chosen']
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch

from omicsnet.errors import ConfigError, DataError
from omicsnet.kcae.compendium import RangeScaler
from omicsnet.kcae.guided_train import fit_guided, predict_heads, reconstruction_frame
from omicsnet.train.metrics import pearson_r, row_pearson

logger = logging.getLogger(__name__)

__all__ = ["Candidate", "fit_candidate", "select_by_study_cv"]


@dataclass(frozen=True)
class Candidate:
    """One setting to compare: free nodes, soft-mask penalty, further model options.

    Attributes
    ----------
    name
        Label in tables.
    n_free
        Unconstrained latent nodes.
    penalty, penalty_kind
        Soft-mask strength and kind (``"l1"`` or ``"group"``), see
        :class:`omicsnet.kcae.guided_train.SoftMaskProximal`.
    config
        Further ``kgae`` options (``hard_mask``, ``encoder``...).
    fit
        Further :func:`~omicsnet.kcae.guided_train.fit_guided` options of this candidate
        (``schedule``, ``supervised_weight``...); they override the common ones.
    """

    name: str
    n_free: int
    penalty: float
    penalty_kind: str = "l1"
    config: Mapping[str, Any] = field(default_factory=dict)
    fit: Mapping[str, Any] = field(default_factory=dict)


def fit_candidate(
    build: Callable[[Candidate], Any],
    candidate: Candidate,
    expression: pd.DataFrame,
    phenotypes: pd.DataFrame | None,
    *,
    scaling: str = "global",
    fit_options: Mapping[str, Any] | None = None,
    seed: int = 0,
) -> tuple[Any, RangeScaler, dict[str, Any]]:
    """Fit one candidate on raw expression: scaling fitted here, then :func:`fit_guided`.

    Parameters
    ----------
    build
        ``candidate -> untrained kgae`` (e.g. a ``kgae_from_graph`` call).
    candidate
        The setting.
    expression
        Raw samples x genes of the training samples (labelled or not).
    phenotypes
        Labelled samples x head columns (a subset of ``expression``'s samples) or ``None``.
    scaling
        :class:`~omicsnet.kcae.compendium.RangeScaler` method, fitted on ``expression``.
    fit_options
        Further :func:`~omicsnet.kcae.guided_train.fit_guided` options.
    seed
        Seeds the initial weights and the training.

    Returns
    -------
    (model, scaler, fit result)
    """
    scaler = RangeScaler(scaling).fit(expression)
    x = scaler.transform(expression).astype(np.float32)
    torch.manual_seed(seed)
    model = build(candidate)
    options = {"progress": False, **dict(fit_options or {}), **dict(candidate.fit)}
    result = fit_guided(
        model,
        x,
        phenotypes,
        penalty=candidate.penalty,
        penalty_kind=candidate.penalty_kind,
        seed=seed,
        **options,
    )
    return model, scaler, result


def select_by_study_cv(
    build: Callable[[Candidate], Any],
    expression: pd.DataFrame,
    target: pd.Series,
    studies: pd.Series,
    candidates: Sequence[Candidate],
    *,
    n_folds: int = 3,
    tolerance: float = 0.02,
    scaling: str = "global",
    fit_options: Mapping[str, Any] | None = None,
    seed: int = 0,
    progress: bool = False,
    store: str | os.PathLike[str] | None = None,
) -> tuple[Candidate, pd.DataFrame]:
    """Choose a candidate by inner cross-validation over whole training studies.

    Parameters
    ----------
    build
        ``candidate -> untrained kgae`` whose single head predicts ``target``.
    expression
        Raw samples x genes of the *training* samples only (labelled or not).
    target
        The measured phenotype (e.g. growth rate) of the labelled training samples.
    studies
        Study of each sample of ``expression``.
    candidates
        Settings, **most knowledge-constrained first**.
    n_folds
        Inner folds of whole studies (:func:`omicsnet.train.cv.group_kfold`).
    tolerance
        The first candidate whose pooled PCC is at least ``best - tolerance`` is chosen.
    scaling, fit_options, seed
        As :func:`fit_candidate`.
    progress
        Progress bar over the inner folds.
    store
        Folder that keeps each finished inner fold (``store=`` of
        :func:`omicsnet.train.cv.cross_validate`): a killed selection, run again with the
        same folder, reads the finished folds back and gives the same table. The folder
        records fingerprints of the data, the candidates and the options; a selection
        with others is refused (:class:`~omicsnet.errors.ConfigError`).

    Returns
    -------
    (chosen candidate, table)
        One row per candidate: pooled PCC of the inner held-out labelled samples, mean
        per-sample reconstruction r of all inner held-out samples, ``chosen``.
    """
    from omicsnet.train.cv import FoldOutput, cross_validate, group_kfold

    if not candidates:
        raise ConfigError("select_by_study_cv needs at least one candidate")
    names = [c.name for c in candidates]
    if len(set(names)) != len(names):
        raise ConfigError(f"candidate names repeat: {names}")
    ids = list(expression.index)
    labels = studies.reindex(ids)
    if labels.isna().any():
        raise DataError("every sample of expression needs a study")
    target = target.dropna()
    head = str(target.name or "target")
    splits = group_kfold(labels.to_numpy(), n_folds)
    if store is not None:
        from omicsnet.utils.units import UnitStore, fingerprint

        UnitStore.open(
            store,
            {
                "what": "inner study CV",
                "data": fingerprint(expression, target, labels),
                "candidates": fingerprint([repr(c) for c in candidates]),
                "options": fingerprint(sorted((fit_options or {}).items(), key=str)),
                "n_folds": int(n_folds),
                "scaling": scaling,
                "seed": int(seed),
            },
        )

    def fit_predict(split: Any) -> dict[str, FoldOutput]:
        train = [ids[i] for i in split.train]
        test = [ids[i] for i in split.test]
        labelled = target.loc[[i for i in train if i in target.index]].to_frame(head)
        out = {}
        for candidate in candidates:
            model, scaler, _ = fit_candidate(
                build, candidate, expression.loc[train], labelled,
                scaling=scaling, fit_options=fit_options, seed=seed,
            )  # fmt: skip
            x_test = scaler.transform(expression.loc[test]).astype(np.float32)
            rec = reconstruction_frame(model, x_test).to_numpy()
            out[candidate.name] = FoldOutput(
                predict_heads(model, x_test).iloc[:, 0].to_numpy(),
                # per-sample r as plain floats: stored as they are with the fold
                info={"reconstruction_rows": row_pearson(x_test.to_numpy(), rec).tolist()},
            )
        return out

    cv = cross_validate(
        splits, fit_predict, n_samples=len(ids), sample_ids=ids, progress=progress,
        desc="inner study CV", store=store,
    )  # fmt: skip
    measured = np.array([target.get(i, np.nan) for i in ids], dtype=float)
    known = np.isfinite(measured)
    rows = []
    for candidate in candidates:
        predicted = cv.out_of_fold(candidate.name)
        rows_r = cv.table.loc[cv.table["model"] == candidate.name, "reconstruction_rows"]
        rows.append(
            {
                "candidate": candidate.name,
                "n_free": candidate.n_free,
                "penalty": candidate.penalty,
                "penalty_kind": candidate.penalty_kind,
                "pooled_pcc": pearson_r(measured[known], predicted[known]),
                "reconstruction_r": float(
                    np.nanmean(np.concatenate([np.asarray(r, dtype=float) for r in rows_r]))
                ),
            }
        )
    table = pd.DataFrame(rows)
    scores = table["pooled_pcc"].fillna(-np.inf)
    best = float(scores.max())
    position = int(np.flatnonzero(scores.to_numpy() >= best - tolerance)[0])
    table["chosen"] = np.arange(len(table)) == position
    logger.info("inner study CV: %s", table.to_dict("records"))
    return candidates[position], table
