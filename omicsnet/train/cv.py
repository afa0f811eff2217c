"""Cross-validation written once: splits → fit → predict → one table per split.

Every family cross-validates through :func:`cross_validate`: it supplies the splits and
one function that, given a split, fits its model (and any baselines, on exactly the same
samples) and returns their predictions for the split's test samples. The loop times each
split, shows progress over the splits, assembles out-of-fold predictions, and returns a
:class:`CVResult` whose :attr:`~CVResult.table` has one row per (model, split): the
model, the split, its sizes, the seconds it took and the metrics. Baselines are simply
more models in the same table, so :meth:`CVResult.summary` puts every model's mean and
median over splits side by side, and :meth:`CVResult.wide` gives one column per model.

Splits come from :func:`kfold`, :func:`stratified_kfold`, :func:`leave_one_group_out`
(scikit-learn's group splitters) or any list of :class:`Split` (e.g. the k×2 scheme of
:func:`omicsnet.t2p.data.t2p_splits`).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(30, 3)); y = x @ [1.0, -2.0, 0.5] + rng.normal(0, 0.1, 30)
>>> def fit_predict(split):
...     coef = np.linalg.lstsq(x[split.train], y[split.train], rcond=None)[0]
...     return {"least_squares": x[split.test] @ coef,
...             "mean": np.full(len(split.test), y[split.train].mean())}
>>> def mse(name, split, predicted):
...     return {"mse": float(np.mean((y[split.test] - predicted) ** 2))}
>>> cv = cross_validate(kfold(30, 5, seed=0), fit_predict, score=mse)
>>> cv.table.columns[:5].tolist()
['model', 'split', 'n_train', 'n_test', 'seconds']
>>> s = cv.summary("mse")
>>> bool(s.loc["least_squares", "mse_median"] < s.loc["mean", "mse_median"])
True
>>> cv.out_of_fold("least_squares").shape
(30,)
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

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Split:
    """One split of ``n`` samples, as integer positions.

    Attributes
    ----------
    name
        E.g. ``"fold0"``, ``"study=GSE123"``, ``"5x2/r0/f1"``.
    train, test
        Positions of the training and test samples.
    val
        Positions held out of training for validation (early stopping), if any.
    """

    name: str
    train: np.ndarray
    test: np.ndarray
    val: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def splits_from_folds(fold_of: Sequence[int] | np.ndarray, *, prefix: str = "fold") -> list[Split]:
    """One :class:`Split` per fold number: that fold is the test set, the others train.

    Examples
    --------
    >>> [(s.name, s.test.tolist()) for s in splits_from_folds([0, 1, 0, 1])]
    [('fold0', [0, 2]), ('fold1', [1, 3])]
    """
    folds = np.asarray(fold_of).astype(np.int64).ravel()
    return [
        Split(f"{prefix}{k}", np.flatnonzero(folds != k), np.flatnonzero(folds == k))
        for k in np.unique(folds)
    ]


def kfold(n_samples: int, n_splits: int, *, seed: int = 0) -> list[Split]:
    """Shuffled k-fold splits of ``n_samples`` (scikit-learn's ``KFold``).

    Examples
    --------
    >>> [len(s.test) for s in kfold(10, 3)]
    [4, 3, 3]
    """
    from sklearn.model_selection import KFold

    if not 2 <= int(n_splits) <= int(n_samples):
        raise ConfigError(f"n_splits must be in [2, {n_samples}], got {n_splits}")
    splitter = KFold(int(n_splits), shuffle=True, random_state=seed)
    return [
        Split(f"fold{i}", train, test)
        for i, (train, test) in enumerate(splitter.split(np.zeros(int(n_samples))))
    ]


def stratified_kfold(y: Any, n_splits: int | str, *, seed: int = 0) -> list[Split]:
    """Stratified k-fold (or ``"loo"``) splits, each class dealt evenly over the folds.

    The fold assignment is :func:`omicsnet.data.splits.stratified_folds`.

    Examples
    --------
    >>> [s.test.tolist() for s in stratified_kfold([0, 0, 1, 1], 2, seed=0)]
    [[0, 2], [1, 3]]
    """
    from omicsnet.data.splits import stratified_folds

    return splits_from_folds(stratified_folds(y, n_splits, seed=seed))


def leave_one_group_out(groups: Sequence[Any] | np.ndarray) -> list[Split]:
    """One split per group (study, batch, cohort): that group is the test set.

    Examples
    --------
    >>> [s.name for s in leave_one_group_out(["a", "b", "a", "c"])]
    ['a', 'b', 'c']
    """
    from sklearn.model_selection import LeaveOneGroupOut

    labels = np.asarray(groups).astype(str)
    if len(np.unique(labels)) < 2:
        raise ConfigError("leave-one-group-out needs at least 2 groups")
    return [
        Split(str(labels[test[0]]), train, test)
        for train, test in LeaveOneGroupOut().split(labels, groups=labels)
    ]


def group_kfold(groups: Sequence[Any] | np.ndarray, n_splits: int) -> list[Split]:
    """k folds of whole groups (scikit-learn's ``GroupKFold``): no group is split.

    Examples
    --------
    >>> splits = group_kfold(["a", "a", "b", "b", "c", "c"], 3)
    >>> sorted(len(s.test) for s in splits)
    [2, 2, 2]
    """
    from sklearn.model_selection import GroupKFold

    labels = np.asarray(groups).astype(str)
    if not 2 <= int(n_splits) <= len(np.unique(labels)):
        raise ConfigError(
            f"n_splits must be in [2, {len(np.unique(labels))}] (the number of groups), "
            f"got {n_splits}"
        )
    return [
        Split(f"fold{i}", train, test)
        for i, (train, test) in enumerate(GroupKFold(int(n_splits)).split(labels, groups=labels))
    ]


@dataclass
class FoldOutput:
    """What a fit function returns for one model on one split.

    Attributes
    ----------
    predictions
        Predictions for the split's test samples (rows in test order).
    metrics
        Metrics already computed (used as they are; :func:`cross_validate`'s ``score``
        adds to them).
    info
        Further columns of the table (epochs, best epoch, ...).
    records
        A table of details (e.g. one row per ensemble member); the split's name is added
        as a ``split`` column and all splits' records are concatenated.
    """

    predictions: Any = None
    metrics: Mapping[str, float] = field(default_factory=dict)
    info: Mapping[str, Any] = field(default_factory=dict)
    records: pd.DataFrame | None = None


FitPredict = Callable[[Split], Mapping[str, Any]]
Score = Callable[[str, Split, Any], Mapping[str, float]]


def classification_scorer(
    y: Sequence[int] | np.ndarray, *, members_axis: int | None = None
) -> Score:
    """A ``score`` for class probabilities: accuracy and log-loss on each split's test samples.

    Parameters
    ----------
    y
        True class codes of all samples.
    members_axis
        Axis of the predictions that holds ensemble members, averaged first (e.g. 1 for
        ``(samples, members, classes)``).

    Examples
    --------
    >>> score = classification_scorer([0, 1, 1])
    >>> split = Split("s", np.array([0]), np.array([1, 2]))
    >>> score("m", split, np.array([[0.2, 0.8], [0.6, 0.4]]))["accuracy"]
    0.5
    """
    truth_all = np.asarray(y).astype(int)

    def score(name: str, split: Split, predicted: Any) -> dict[str, float]:
        proba = np.asarray(predicted, dtype=float)
        if members_axis is not None:
            proba = proba.mean(axis=members_axis)
        truth = truth_all[split.test]
        picked = np.clip(proba[np.arange(len(truth)), truth], 1e-12, 1.0)
        return {
            "accuracy": float((proba.argmax(1) == truth).mean()),
            "log_loss": float(-np.log(picked).mean()),
        }

    return score


@dataclass
class CVResult:
    """Outcome of :func:`cross_validate`.

    Attributes
    ----------
    table
        One row per (model, split): ``model``, ``split``, ``n_train``, ``n_test``,
        ``seconds`` (the split's fitting time, shared by the models fitted together unless
        a model reports its own), the metrics and the ``info`` columns.
    splits
        The splits, in order.
    predictions
        Model → one array of test predictions per split.
    n_samples
        Number of samples the splits index.
    sample_ids
        Their IDs, if given.
    records
        The models' ``records`` of every split, with ``model`` and ``split`` columns.
    """

    table: pd.DataFrame
    splits: list[Split]
    predictions: dict[str, list[Any]]
    n_samples: int
    sample_ids: list[str] | None = None
    records: pd.DataFrame | None = None

    @property
    def models(self) -> list[str]:
        """Model names, in the order they were first returned."""
        return list(self.predictions)

    def fold_of(self) -> np.ndarray:
        """The split (0-based position) in which each sample was tested; -1: never.

        Raises :class:`~omicsnet.errors.ConfigError` when a sample is tested in more than
        one split (repeated schemes such as k×2).
        """
        fold = np.full(self.n_samples, -1, dtype=np.int64)
        for k, split in enumerate(self.splits):
            if (fold[split.test] >= 0).any():
                raise ConfigError(
                    "samples are tested in several splits (a repeated scheme): there is no "
                    "single out-of-fold prediction; use .predictions per split"
                )
            fold[split.test] = k
        return fold

    def out_of_fold(self, model: str) -> np.ndarray:
        """Each sample's prediction by the split that did not train on it.

        Rows of samples that were never tested are NaN.
        """
        if model not in self.predictions:
            raise ConfigError(f"no model {model!r} in this CV; models: {self.models}")
        self.fold_of()  # refuses repeated schemes
        parts = [np.asarray(p, dtype=float) for p in self.predictions[model]]
        out = np.full((self.n_samples, *parts[0].shape[1:]), np.nan)
        for split, predicted in zip(self.splits, parts, strict=True):
            out[split.test] = predicted
        return out

    def out_of_fold_frame(self, model: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """:meth:`out_of_fold` as a DataFrame indexed by the sample IDs."""
        values = self.out_of_fold(model)
        values = values.reshape(len(values), -1)
        index = pd.Index(self.sample_ids, name="sample") if self.sample_ids else None
        return pd.DataFrame(values, index=index, columns=list(columns) if columns else None)

    def summary(self, metrics: str | Sequence[str] | None = None) -> pd.DataFrame:
        """Per model, each metric's mean, median, SD, min and max over splits.

        Columns are ``METRIC_mean``, ``METRIC_median``... plus ``splits``; rows keep
        the order in which models were returned (the model first, then baselines).
        """
        if isinstance(metrics, str):
            metrics = [metrics]
        fixed = {"model", "split", "n_train", "n_test"}
        numeric = [
            c
            for c in self.table.columns
            if c not in fixed and pd.api.types.is_numeric_dtype(self.table[c])
        ]
        chosen = list(metrics) if metrics is not None else numeric
        missing = sorted(set(chosen) - set(self.table.columns))
        if missing:
            raise ConfigError(f"no metric {missing} in the CV table; it has {numeric}")
        rows = {}
        for name, group in self.table.groupby("model", sort=False):
            row: dict[str, float] = {"splits": float(len(group))}
            for metric in chosen:
                values = group[metric].astype(float).dropna()
                row[f"{metric}_mean"] = float(values.mean()) if len(values) else np.nan
                row[f"{metric}_median"] = float(values.median()) if len(values) else np.nan
                row[f"{metric}_sd"] = float(values.std(ddof=0)) if len(values) else np.nan
                row[f"{metric}_min"] = float(values.min()) if len(values) else np.nan
                row[f"{metric}_max"] = float(values.max()) if len(values) else np.nan
            rows[name] = row
        return pd.DataFrame.from_dict(rows, orient="index")

    def wide(self, metric: str) -> pd.DataFrame:
        """One row per split, one column per model: ``metric`` side by side with baselines."""
        if metric not in self.table.columns:
            raise ConfigError(f"no metric {metric!r} in the CV table")
        frame = self.table.pivot(index="split", columns="model", values=metric)
        order = [s.name for s in self.splits if s.name in frame.index]
        return frame.loc[order, [m for m in self.models if m in frame.columns]]


def cross_validate(
    splits: Sequence[Split],
    fit_predict: FitPredict,
    *,
    score: Score | None = None,
    n_samples: int | None = None,
    sample_ids: Sequence[str] | None = None,
    progress: bool = False,
    desc: str = "cross-validation",
    store: str | os.PathLike[str] | None = None,
) -> CVResult:
    """Run ``fit_predict`` on every split and collect one table row per (model, split).

    With ``store``, each split's results are written to that folder as soon as the split
    is finished (``split_NNN/``: predictions as ``.npy``, records as CSV, metrics as JSON;
    nothing pickled), and a split already stored there is read back instead of being fitted
    again: a killed cross-validation resumes where it stopped, and ends with the same
    table as an uninterrupted run.

    Parameters
    ----------
    splits
        The splits (see the module docstring).
    fit_predict
        ``split -> {model name: predictions or FoldOutput}``: fits on ``split.train``
        (and ``split.val``) only, predicts ``split.test``. Return the model first and the
        baselines after it, fitted on the same samples.
    score
        ``(model name, split, predictions) -> {metric: value}``, called for every model
        and split (in addition to a :class:`FoldOutput`'s own metrics).
    n_samples
        Number of samples the splits index (default: the largest position + 1).
    sample_ids
        IDs of the samples (for out-of-fold frames).
    progress
        Show a progress bar over the splits.
    desc
        Its label.
    store
        Folder of finished splits (created; see above). Use a folder inside the command's
        output folder, so that ``--resume`` finds it and ``--overwrite`` removes it.

    Returns
    -------
    CVResult
    """
    from tqdm.auto import tqdm

    splits = list(splits)
    if not splits:
        raise ConfigError("cross-validation needs at least one split")
    for split in splits:
        overlap = np.intersect1d(split.test, np.concatenate([split.train, split.val]))
        if len(overlap):
            raise ConfigError(
                f"split {split.name}: {len(overlap)} test samples are also used for training"
            )
    largest = max(int(np.max(s.test, initial=-1)) for s in splits)
    largest = max(largest, *(int(np.max(s.train, initial=-1)) for s in splits))
    n = int(n_samples) if n_samples is not None else largest + 1
    if sample_ids is not None and len(sample_ids) != n:
        raise ConfigError(f"{len(sample_ids)} sample IDs for {n} samples")
    rows: list[dict[str, Any]] = []
    predictions: dict[str, list[Any]] = {}
    records: list[pd.DataFrame] = []
    bar = tqdm(splits, desc=desc, unit="split", disable=not progress)
    store_dir = Path(store) if store is not None else None
    for index, split in enumerate(bar):
        stored = _read_split(store_dir, index, split) if store_dir is not None else None
        if stored is not None:
            outputs, seconds = stored
            logger.info("%s %s: read back from %s", desc, split.name, store_dir)
        else:
            started = time.perf_counter()
            outputs = fit_predict(split)
            seconds = time.perf_counter() - started
            if not isinstance(outputs, Mapping) or not outputs:
                raise ConfigError("fit_predict must return {model name: predictions}")
            if store_dir is not None:
                _write_split(store_dir, index, split, outputs, seconds)
        for name, output in outputs.items():
            out = output if isinstance(output, FoldOutput) else FoldOutput(predictions=output)
            predictions.setdefault(str(name), []).append(out.predictions)
            metrics = dict(out.metrics)
            if score is not None and out.predictions is not None:
                metrics.update(score(str(name), split, out.predictions))
            row = {
                "model": str(name),
                "split": split.name,
                "n_train": len(split.train),
                "n_test": len(split.test),
                "seconds": seconds,
                **metrics,
                **dict(out.info),
            }
            rows.append(row)
            if out.records is not None:
                records.append(out.records.assign(model=str(name), split=split.name))
        logger.info(
            "%s %s: %d training, %d test samples, %.1f s",
            desc, split.name, len(split.train), len(split.test), seconds,
        )  # fmt: skip
    return CVResult(
        table=pd.DataFrame(rows),
        splits=splits,
        predictions=predictions,
        n_samples=n,
        sample_ids=[str(s) for s in sample_ids] if sample_ids is not None else None,
        records=pd.concat(records, ignore_index=True) if records else None,
    )


def _split_dir(store: Path, index: int) -> Path:
    return store / f"split_{index:03d}"


def _write_split(
    store: Path, index: int, split: Split, outputs: Mapping[str, Any], seconds: float
) -> None:
    """Save one finished split (atomically: the folder appears complete or not at all)."""
    import json

    from omicsnet.utils.output import atomic_directory

    store.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {"split": split.name, "seconds": seconds, "models": []}
    with atomic_directory(_split_dir(store, index), overwrite=True) as tmp:
        for k, (name, output) in enumerate(outputs.items()):
            out = output if isinstance(output, FoldOutput) else FoldOutput(predictions=output)
            entry: dict[str, Any] = {
                "name": str(name),
                "metrics": {key: _plain(v) for key, v in dict(out.metrics).items()},
                "info": {key: _plain(v) for key, v in dict(out.info).items()},
                "predictions": None,
                "records": None,
            }
            if out.predictions is not None:
                entry["predictions"] = f"predictions_{k}.npy"
                np.save(tmp / entry["predictions"], np.asarray(out.predictions), allow_pickle=False)
            if out.records is not None:
                entry["records"] = f"records_{k}.csv"
                out.records.to_csv(tmp / entry["records"], index=False)
            record["models"].append(entry)
        (tmp / "split.json").write_text(json.dumps(record, indent=2))


def _read_split(
    store: Path, index: int, split: Split
) -> tuple[dict[str, FoldOutput], float] | None:
    """A split saved by :func:`_write_split`, or ``None`` when it is not there (or not this one)."""
    import json

    folder = _split_dir(store, index)
    try:
        record = json.loads((folder / "split.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if record.get("split") != split.name:
        raise ConfigError(
            f"{folder} holds split {record.get('split')!r}, not {split.name!r}: the stored "
            "splits come from another scheme or seed; start again with --overwrite"
        )
    outputs: dict[str, FoldOutput] = {}
    for entry in record["models"]:
        predictions = (
            np.load(folder / entry["predictions"], allow_pickle=False)
            if entry.get("predictions")
            else None
        )
        records = pd.read_csv(folder / entry["records"]) if entry.get("records") else None
        metrics = {k: _unplain(v) for k, v in entry["metrics"].items()}
        info = {k: _unplain(v) for k, v in entry["info"].items()}
        outputs[entry["name"]] = FoldOutput(predictions, metrics, info, records)
    return outputs, float(record["seconds"])


def _plain(value: Any) -> Any:
    """JSON-ready numbers (NaN kept as None would lose it: stored as a string instead)."""
    if isinstance(value, (np.floating, float)):
        number = float(value)
        return number if np.isfinite(number) else repr(number)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _unplain(value: Any) -> Any:
    if isinstance(value, str) and value in ("nan", "inf", "-inf"):
        return float(value)
    return value


__all__ = [
    "CVResult",
    "FoldOutput",
    "Split",
    "classification_scorer",
    "cross_validate",
    "group_kfold",
    "kfold",
    "leave_one_group_out",
    "splits_from_folds",
    "stratified_kfold",
]
