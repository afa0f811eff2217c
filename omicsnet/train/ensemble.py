"""Ensembles trained through the shared trainer: seed/learning-rate members, and their CV.

DeepMSProfiler trains many sub-models that differ only in learning rate and seed and
averages their class probabilities. :func:`train_ensemble` trains such members one after
another with :class:`~omicsnet.train.trainer.Trainer` (timed, batch-norm statistics
recomputed on the training data afterwards) and returns an
:class:`~omicsnet.models.ensemble.Ensemble`; :func:`cross_validate_ensemble` runs it
through the one cross-validation loop of :mod:`omicsnet.train.cv`.

Examples
--------
>>> import numpy as np, omicsnet
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(24, 3)).astype("float32")
>>> y = (x[:, 0] > 0).astype("int64")
>>> cv = cross_validate_ensemble(
...     {"model": "mlp", "config": {"in_features": 3, "out_features": 2,
...                                 "task": "classification"}},
...     omicsnet.ArrayDataset(x, y), n_splits=3, n_models=2,
...     trainer_kwargs={"max_epochs": 3, "progress": False})
>>> cv.proba.shape, sorted(set(cv.folds.tolist())), len(cv.members)
((24, 2), [0, 1, 2], 6)
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError
from omicsnet.models.ensemble import Ensemble
from omicsnet.models.registry import create_model
from omicsnet.train.batchnorm import recalibrate_batchnorm
from omicsnet.train.cv import (
    CVResult,
    FoldOutput,
    Split,
    classification_scorer,
    cross_validate,
    stratified_kfold,
)
from omicsnet.train.plans import TrainingPlan, WeightedClassificationPlan, balanced_class_weights
from omicsnet.train.seeding import seed_everything
from omicsnet.train.trainer import Trainer

logger = logging.getLogger(__name__)


@dataclass
class EnsembleTrainResult:
    """What :func:`train_ensemble` returns.

    Attributes
    ----------
    ensemble
        The trained :class:`Ensemble` (members hold their best weights).
    members
        One row per member: ``seed``, ``lr``, ``best_epoch``, ``best_score``, ``epochs``,
        ``stopped_early``, ``wall_seconds``, ``cpu_seconds``.
    histories
        Each member's per-epoch history (see :class:`~omicsnet.train.trainer.TrainResult`).
    """

    ensemble: Ensemble
    members: pd.DataFrame
    histories: list[pd.DataFrame] = field(default_factory=list)


def _per_member(value: Any, n: int, name: str, default: Callable[[int], Any]) -> list[Any]:
    if value is None:
        return [default(i) for i in range(n)]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [value] * n
    values = list(value)
    if len(values) != n:
        raise ConfigError(f"{name} has {len(values)} values for n_models={n}")
    return values


def _resolve_plan(
    plan: TrainingPlan | str | None, class_weights: Any, train_data: Any, n_classes: int
) -> TrainingPlan | str | None:
    if class_weights is None:
        return plan
    if plan is not None:
        raise ConfigError("give either plan or class_weights, not both")
    if isinstance(class_weights, str):
        if class_weights != "balanced":
            raise ConfigError(f"class_weights must be 'balanced' or a list, got {class_weights!r}")
        from omicsnet.data.datasets import ArrayDataset

        base = getattr(train_data, "base", train_data)
        if not isinstance(base, ArrayDataset) or "y" not in base.tensors:
            raise ConfigError("class_weights='balanced' needs an ArrayDataset with targets 'y'")
        class_weights = balanced_class_weights(base.tensors["y"], n_classes)
    return WeightedClassificationPlan(class_weights)


def train_ensemble(
    builder_config: Mapping[str, Any],
    train_data: Any,
    val_data: Any = None,
    n_models: int = 5,
    lrs: float | Sequence[float] | None = None,
    seeds: Sequence[int] | None = None,
    trainer_kwargs: Mapping[str, Any] | None = None,
    *,
    plan: TrainingPlan | str | None = None,
    class_weights: str | Sequence[float] | None = None,
    output_features: Sequence[str] | None = None,
    recalibrate_bn: bool = True,
) -> EnsembleTrainResult:
    """Train ``n_models`` members one after another with the shared Trainer; average them.

    Each member is built from ``builder_config`` after seeding torch with its seed (so
    initial weights differ), optionally initialised from local pretrained weights, and
    trained by a fresh :class:`~omicsnet.train.trainer.Trainer` with its learning rate and
    seed (which also fixes its batch order, dropout and the global-RNG augmentations).

    Parameters
    ----------
    builder_config
        ``{"model": name, "config": {...}}``, optionally with ``"pretrained_weights"``:
        a local safetensors file passed to the model's ``load_pretrained`` method.
    train_data, val_data
        As for :meth:`Trainer.fit` (e.g. an ``ArrayDataset`` or an augmented one).
    n_models
        Number of members.
    lrs
        One learning rate for all, or one per member (DeepMSProfiler varies them);
        default: ``trainer_kwargs["lr"]`` or the Trainer's default.
    seeds
        One seed per member; default ``trainer_kwargs.get("seed", 0) + i``.
    trainer_kwargs
        Other :class:`Trainer` arguments (``max_epochs``, ``batch_size``,
        ``early_stopping``, ``progress``, ...). A ``checkpoint_dir`` gets one subfolder per
        member.
    plan
        Training plan; default: the model's own.
    class_weights
        ``"balanced"`` or one weight per class: trains with
        :class:`WeightedClassificationPlan`.
    output_features
        Class names stored with the ensemble.
    recalibrate_bn
        After training, recompute each member's batch-norm statistics on the
        (un-augmented) training data with :func:`recalibrate_batchnorm`. Essential for
        small cohorts; harmless otherwise.

    Returns
    -------
    EnsembleTrainResult

    Examples
    --------
    >>> import numpy as np, omicsnet
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(60, 4)).astype("float32")
    >>> y = (x[:, 0] > 0).astype("int64")
    >>> data = omicsnet.ArrayDataset(x, y)
    >>> result = train_ensemble(
    ...     {"model": "mlp", "config": {"in_features": 4, "out_features": 2, "hidden": [8],
    ...                                 "task": "classification"}},
    ...     data, n_models=3, lrs=[1e-2, 5e-3, 2e-3],
    ...     trainer_kwargs={"max_epochs": 5, "batch_size": 16, "progress": False},
    ...     class_weights="balanced", output_features=["neg", "pos"])
    >>> result.members[["seed", "lr"]].values.tolist()
    [[0.0, 0.01], [1.0, 0.005], [2.0, 0.002]]
    >>> result.ensemble.predict_proba(x).shape
    (60, 2)
    """
    if not isinstance(builder_config, Mapping) or "model" not in builder_config:
        raise ConfigError("builder_config must be a dict {'model': name, 'config': {...}}")
    unknown = sorted(set(builder_config) - {"model", "config", "pretrained_weights"})
    if unknown:
        raise ConfigError(
            f"builder_config: unknown keys {unknown} (model, config, pretrained_weights)"
        )
    if int(n_models) < 1:
        raise ConfigError(f"n_models must be >= 1, got {n_models}")
    n_models = int(n_models)
    kwargs = dict(trainer_kwargs or {})
    if lrs is not None and "lr" in kwargs:
        raise ConfigError("give the learning rate either in lrs or in trainer_kwargs['lr']")
    if seeds is not None and "seed" in kwargs:
        raise ConfigError("give the seeds either in seeds or in trainer_kwargs['seed']")
    base_lr = kwargs.pop("lr", 1e-3)
    base_seed = int(kwargs.pop("seed", 0))
    member_lrs = [float(v) for v in _per_member(lrs, n_models, "lrs", lambda i: base_lr)]
    member_seeds = [int(v) for v in _per_member(seeds, n_models, "seeds", lambda i: base_seed + i)]
    checkpoint_root = kwargs.pop("checkpoint_dir", None)
    name, config = str(builder_config["model"]), dict(builder_config.get("config") or {})
    pretrained = builder_config.get("pretrained_weights")

    models, infos, histories = [], [], []
    for i, (lr, seed) in enumerate(zip(member_lrs, member_seeds, strict=True)):
        seed_everything(seed)
        model = create_model(name, output_features=output_features, **config)
        info: dict[str, Any] = {"member": i, "seed": seed, "lr": lr}
        if pretrained is not None:
            loader = getattr(model, "load_pretrained", None)
            if not callable(loader):
                raise ConfigError(f"model {name!r} cannot load pretrained weights")
            info["pretrained"] = loader(pretrained)
        if i == 0:
            member_plan = _resolve_plan(plan, class_weights, train_data, int(model.n_outputs or 0))
        checkpoint_dir = Path(checkpoint_root) / f"member_{i:02d}" if checkpoint_root else None
        trainer = Trainer(lr=lr, seed=seed, checkpoint_dir=checkpoint_dir, **kwargs)
        wall, cpu = time.perf_counter(), time.process_time()
        result = trainer.fit(model, train_data, val_data, plan=member_plan)
        if recalibrate_bn:
            recalibrate_batchnorm(result.model, train_data, batch_size=trainer.batch_size)
        info.update(
            best_epoch=result.best_epoch,
            best_score=result.best_score,
            monitor=result.monitor,
            epochs=len(result.history),
            stopped_early=result.stopped_early,
            wall_seconds=time.perf_counter() - wall,
            cpu_seconds=time.process_time() - cpu,
        )
        logger.info(
            "ensemble member %d/%d (seed %d, lr %.3g): best %s %.4g at epoch %s, %.1f s",
            i + 1, n_models, seed, lr, result.monitor, result.best_score or float("nan"),
            result.best_epoch, info["wall_seconds"],
        )  # fmt: skip
        models.append(result.model)
        infos.append(info)
        histories.append(result.history)
    ensemble = Ensemble.from_members(models, member_info=infos, output_features=output_features)
    table = pd.DataFrame(
        [{k: v for k, v in info.items() if k != "pretrained"} for info in infos]
    ).set_index("member")
    return EnsembleTrainResult(ensemble=ensemble, members=table, histories=histories)


@dataclass
class CrossValidationResult:
    """Out-of-fold predictions of :func:`cross_validate_ensemble`.

    Attributes
    ----------
    proba
        Ensemble probabilities, samples × classes (each sample predicted by the ensemble
        that did not see it).
    member_proba
        Every member's probabilities, ``(n_models, n_samples, n_classes)``.
    y
        True class codes.
    folds
        Fold number of each sample.
    members
        Training records of every member of every fold (a ``fold`` column added).
    cv
        The :class:`~omicsnet.train.cv.CVResult` of the run: the per-fold table (with
        accuracy and log-loss) and the splits.
    """

    proba: pd.DataFrame
    member_proba: np.ndarray
    y: np.ndarray
    folds: np.ndarray
    members: pd.DataFrame
    cv: CVResult | None = None


def cross_validate_ensemble(
    builder_config: Mapping[str, Any],
    data: Any,
    *,
    n_splits: int | str = 3,
    n_models: int = 3,
    lrs: float | Sequence[float] | None = None,
    seeds: Sequence[int] | None = None,
    trainer_kwargs: Mapping[str, Any] | None = None,
    class_weights: str | Sequence[float] | None = None,
    augment: Callable[[Any], Any] | None = None,
    class_names: Sequence[str] | None = None,
    seed: int = 0,
    recalibrate_bn: bool = True,
    progress: bool = False,
    store: str | os.PathLike[str] | None = None,
) -> CrossValidationResult:
    """Out-of-fold ensemble probabilities by stratified k-fold or leave-one-out CV.

    For each fold an ensemble is trained on the other samples (without a validation
    set: the trainer keeps the epoch with the lowest training loss, or the last one with
    ``restore_best=False``) and predicts the held-out samples.

    Parameters
    ----------
    builder_config, n_models, lrs, seeds, trainer_kwargs, class_weights, recalibrate_bn
        As for :func:`train_ensemble`.
    data
        An :class:`~omicsnet.data.datasets.ArrayDataset` with integer targets (e.g.
        :class:`~omicsnet.ms.arrays.LCMSArrays`).
    n_splits
        Number of stratified folds, or ``"loo"`` for leave-one-out.
    augment
        Optional ``train_subset -> dataset`` (e.g. wrapping it in an
        :class:`~omicsnet.ms.arrays.AugmentedDataset`).
    class_names
        Column names of ``proba``; default: ``data.class_names`` when it has them.
    seed
        Seed of the fold assignment.
    progress
        A progress bar over the folds.
    store
        Folder where each finished fold is kept, so that a killed cross-validation resumes
        without training those folds again (see :func:`omicsnet.train.cv.cross_validate`).
    """
    y = np.asarray(data.tensors["y"].cpu().numpy()).astype(int)
    splits = stratified_kfold(y, n_splits, seed=seed)

    def fit_predict(split: Split) -> dict[str, FoldOutput]:
        train = data.subset(split.train)
        result = train_ensemble(
            builder_config,
            augment(train) if augment is not None else train,
            None,
            n_models=n_models,
            lrs=lrs,
            seeds=seeds,
            trainer_kwargs=trainer_kwargs,
            class_weights=class_weights,
            recalibrate_bn=recalibrate_bn,
        )
        member_p = result.ensemble.member_proba(data.subset(split.test))
        return {
            "ensemble": FoldOutput(
                predictions=np.moveaxis(member_p, 0, 1),  # samples first
                records=result.members.reset_index(),
            )
        }

    result = cross_validate(
        splits,
        fit_predict,
        score=classification_scorer(y, members_axis=1),
        n_samples=len(y),
        sample_ids=list(data.sample_ids),
        progress=progress,
        desc="ensemble CV",
        store=store,
    )
    members_proba = np.moveaxis(result.out_of_fold("ensemble"), 1, 0)
    n_classes = members_proba.shape[-1]
    class_names = class_names if class_names is not None else getattr(data, "class_names", None)
    columns = (
        list(class_names) if class_names is not None else [f"class_{c}" for c in range(n_classes)]
    )
    fold_of = result.fold_of()
    members = result.records if result.records is not None else pd.DataFrame()
    members = members.assign(fold=members["split"].str.removeprefix("fold").astype(int))
    members = members.drop(columns=["model", "split"])
    return CrossValidationResult(
        proba=pd.DataFrame(members_proba.mean(0), index=list(data.sample_ids), columns=columns),
        member_proba=members_proba,
        y=y,
        folds=fold_of,
        members=members,
        cv=result,
    )


__all__ = [
    "CrossValidationResult",
    "EnsembleTrainResult",
    "cross_validate_ensemble",
    "train_ensemble",
]
