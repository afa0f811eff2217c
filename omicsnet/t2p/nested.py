"""Architecture search judged without selection bias: a nested protocol.

A network whose architecture was searched on the samples that then score it carries a
selection advantage (the published NAS-best of the ``t2p`` benchmark is such a network).
:func:`nested_search` removes it. For every outer split of a k×2 cross-validation:

1. an **inner campaign** (:func:`omicsnet.search.run_campaign`, the paper's space plus
   whatever parameters you add, e.g. weight decay and the linear path) searches on the
   outer *training* samples only: they are split again into inner training and inner
   validation samples (split spec ``within``, :func:`omicsnet.t2p.workflows.get_split`),
   and trials are ranked by inner validation loss. No starting point is attached: the
   campaign starts from its own quasi-random (Sobol) points, so no decision made on the
   whole data set enters;
2. the inner campaign's best configuration is trained on the outer training half (its
   validation share driving early stopping, as every other model of the CV);
3. it is scored **once** on the outer test half, beside baselines fitted on the same
   training half.

Every architecture decision (blocks, widths, learning rate, batch size, weight decay,
linear path on or off) is thus made without the outer test samples. What the protocol
cannot undo is the design of the search space itself (for instance, the linear path
exists as an option because it was found while looking at these samples): say so when
reporting.

The outer loop is the one CV loop (:func:`omicsnet.train.cv.cross_validate`); the
result's ``records`` hold every inner trial, and its table the chosen configuration of
each outer split (``chosen``, JSON).

Examples
--------
>>> import tempfile
>>> table = nested_search(  # doctest: +SKIP
...     {"synthetic": {"n_samples": 48, "n_genes": 12, "n_proteins": 3}}, k=1,
...     trials=2, initialization=2, max_epochs=3, workdir=tempfile.mkdtemp(),
...     parameters={"block2_exists": None, "block3_exists": None},
...     baselines=["linear_own_mrna"]).table
>>> sorted(set(table["model"])), len(table)  # doctest: +SKIP
(['linear_own_mrna', 'mrna_protein_r', 'nas_nested'], 6)
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError
from omicsnet.utils.numbers import format_number

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from omicsnet.train.cv import CVResult

logger = logging.getLogger(__name__)

NESTED_NAME = "nas_nested"
"""The model name of the nested-search network in the CV table."""

_TRIAL_COLUMNS = (
    "trial_index",
    "status",
    "val_loss",
    "val_median_r",
    "n_params",
    "epochs",
    "seconds",
)


def _block_removal(parameters: Mapping[str, Any] | None) -> dict[str, Any]:
    """Expand ``blockN_exists: None`` into removing every parameter of block N."""
    from omicsnet.t2p.space import BLOCK_KEYS

    out: dict[str, Any] = {}
    for name, spec in dict(parameters or {}).items():
        out[name] = spec
        if spec is None and name.endswith("_exists") and name.startswith("block"):
            prefix = name.removesuffix("exists")
            out.update({prefix + key: None for key in BLOCK_KEYS})
    return out


def nested_search(
    data_spec: Mapping[str, Any] | str,
    *,
    target_cohort: str | None = None,
    k: int = 5,
    seed: int = 0,
    val: float = 0.1,
    inner_val: float = 0.2,
    trials: int = 6,
    initialization: int = 3,
    parameters: Mapping[str, Any] | None = None,
    top_variable: int | None = None,
    max_epochs: int = 60,
    early_stopping: int | None = 8,
    trial_timeout: float | None = None,
    baselines: Sequence[str] = ("ridge_own_residual",),
    baseline_options: Mapping[str, Any] | None = None,
    workdir: str | os.PathLike[str],
    data_dir: str | os.PathLike[str] | None = None,
    data: Any = None,
    device: str = "cpu",
    progress: bool = False,
) -> CVResult:
    """Nested cross-validation of the architecture search (see the module docstring).

    Parameters
    ----------
    data_spec
        The data as a spec of :func:`omicsnet.t2p.workflows.load_data` (the inner
        campaigns load it by this spec, once per process).
    target_cohort
        ``None``: plain k×2 CV of all samples (one cohort). A cohort name: k×2 CV of that
        cohort with every other cohort always in training (pooled training), inner
        validation samples drawn from the target's training half only.
    k, seed, val
        The outer k×2 scheme (``val`` of each training half held out for early stopping
        of the final fit), as in :func:`omicsnet.t2p.workflows.cross_validate`.
    inner_val
        Share of the outer training samples (of the target cohort) that validate the
        inner trials.
    trials, initialization
        Inner campaign size: trials in all, and quasi-random ones before Bayesian
        optimisation.
    parameters
        Changes to the paper's search space (:func:`omicsnet.t2p.space.paper_campaign`),
        e.g. ``{"trainer_weight_decay": {...}, "linear_path": {...}}``; ``blockN_exists:
        None`` removes block N.
    top_variable, max_epochs, early_stopping, trial_timeout
        Inputs and training budget of the inner trials and of the final fit.
    baselines, baseline_options
        Baselines fitted on each outer training half (two-stage ridge by default).
    workdir
        Folder for the inner campaigns (``outer_<i>/``); created if needed.
    data_dir
        Data directory for the campaigns (else ``OMICSNET_DATA``).
    data
        The loaded data, if you have them (else loaded from ``data_spec``); they must be
        what ``data_spec`` loads.
    device, progress
        Device of every fit; progress bar over the outer splits.

    Returns
    -------
    CVResult
        Rows ``nas_nested`` (with ``chosen``, the flat parameters of the configuration,
        ``inner_val_loss``, ``inner_trials``, ``search_seconds``) and the baselines, per
        outer split; ``records``: every inner trial with its outer ``split``.
    """
    from omicsnet.search import run_campaign
    from omicsnet.t2p.data import t2p_splits
    from omicsnet.t2p.space import paper_campaign, trial_parameters
    from omicsnet.t2p.workflows import best_config, cv_split, evaluate_split, load_data
    from omicsnet.train.cv import cross_validate

    if not 0.0 < inner_val < 1.0:
        raise ConfigError(f"inner_val must be in (0, 1), got {inner_val}")
    if int(trials) < 1 or not 1 <= int(initialization) <= int(trials):
        raise ConfigError(
            f"need trials >= 1 and 1 <= initialization <= trials, got {trials}, {initialization}"
        )
    spec = {"cohorts": data_spec} if isinstance(data_spec, str) else dict(data_spec)
    if data is None:
        data = load_data(spec, base_dir=None, data_dir=data_dir)
    if target_cohort is None:
        outer_spec: dict[str, Any] = {"scheme": "kx2", "k": k, "seed": seed, "val": val}
    else:
        outer_spec = {
            "scheme": "target_kx2",
            "target_cohort": target_cohort,
            "k": k,
            "seed": seed,
            "val": val,
        }
    outer = list(t2p_splits(data, **outer_spec))
    by_name = {s.name: (i, s) for i, s in enumerate(outer)}
    root = Path(workdir)
    root.mkdir(parents=True, exist_ok=True)
    space = _block_removal(parameters)

    def inner_split(index: int) -> dict[str, Any]:
        within = {**outer_spec, "index": index}
        if target_cohort is None:
            return {"scheme": "standard", "val": inner_val, "test": 0.0, "seed": seed + index,
                    "within": within}  # fmt: skip
        return {
            "scheme": "target_cohort",
            "target_cohort": target_cohort,
            "target_fractions": [1.0 - inner_val, inner_val, 0.0],
            "seed": seed + index,
            "within": within,
        }

    def fit_predict(split: Any) -> dict[str, Any]:
        index, t2p_split = by_name[split.name]
        started = time.perf_counter()
        config = paper_campaign(
            {
                "trials": int(trials),
                "workers": 1,
                "backend": "inline",
                "device": device,
                "threads_per_worker": 1,
                "generation": {"method": "fast", "initialization_budget": int(initialization)},
                "seed": seed + index,
                "parameters": space,
                **({"trial_timeout": trial_timeout} if trial_timeout else {}),
            },
            task_options={
                "data": spec,
                "split": inner_split(index),
                "top_variable": top_variable,
                "max_epochs": max_epochs,
                "early_stopping": early_stopping,
            },
        )
        campaign = run_campaign(
            config,
            output=root / f"outer_{index}",
            overwrite=True,
            data_dir=None if data_dir is None else str(data_dir),
            progress=False,
        )
        chosen = best_config(campaign)
        best = campaign.best() or {}
        search_seconds = time.perf_counter() - started
        trials_table = campaign.table()
        keep = [c for c in _TRIAL_COLUMNS if c in trials_table.columns]
        records = trials_table[keep].copy()
        records["linear_path"] = [
            bool(v) if v == v and v is not None else False  # NaN: the parameter is absent
            for v in trials_table.get("linear_path", pd.Series([False] * len(trials_table)))
        ]
        outputs = evaluate_split(
            data.scaled(t2p_split),
            {NESTED_NAME: chosen},
            baselines=baselines,
            top_variable=top_variable,
            max_epochs=max_epochs,
            early_stopping=early_stopping,
            baseline_options=baseline_options,
            seed=seed,
            network_seed=seed + (t2p_split.repeat or 0),
            device=device,
        )
        network = outputs[NESTED_NAME]
        network.info = {
            **dict(network.info),
            "chosen": json.dumps(trial_parameters(chosen), default=float, sort_keys=True),
            "inner_val_loss": float(best.get("val_loss", np.nan)),
            "inner_trials": int(campaign.n_finished),
            "search_seconds": search_seconds,
        }
        network.records = records
        logger.info(
            "nested search %s: inner best val loss %s after %d trials (%s s)",
            split.name,
            format_number(network.info["inner_val_loss"], 4),
            network.info["inner_trials"],
            format_number(search_seconds),
        )
        return outputs

    ids = [str(s) for s in data.rna.index]
    return cross_validate(
        [cv_split(data, s) for s in outer],
        fit_predict,
        n_samples=len(ids),
        sample_ids=ids,
        progress=progress,
        desc="nested NAS",
    )


__all__ = ["NESTED_NAME", "nested_search"]
