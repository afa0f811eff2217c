"""NeatMS peak-quality workflows: labelled peaks → ``peak_cnn`` → predictions on a feature table.

Behind ``omicsnet lcms peaks-train`` and ``omicsnet lcms peaks-predict``. Each step joins
the data layer (:mod:`omicsnet.ms.feature_tables`, :mod:`omicsnet.peaks.matrices`,
which reads runs through the shared mzML reader), the zoo (``peak_cnn``) and the shared
trainer, keeps the user's feature IDs throughout, and writes its outputs atomically.

* :func:`train_peak_model` — from scratch or by transfer learning (a saved ``peak_cnn``
  with chosen layers frozen), Adam with NeatMS's learning rate 1e-5 by default, on a
  stratified train/validation/test split; the decision threshold is chosen on the
  validation peaks by :func:`threshold_sweep`.
* :func:`threshold_sweep` — NeatMS's ``get_threshold``: for thresholds 0, 0.01, ..., 0.99
  on the probability of ``High``, the share of true High peaks above it minus the share
  of other peaks above it; the threshold with the largest difference wins (ties: the
  middle of the tied range, where NeatMS takes the lowest).
* :func:`assign_labels` — ``High`` when its probability reaches the threshold, otherwise
  the most probable class (NeatMS's ``predict_peaks``).
* :func:`predict_feature_table` — matrices for every feature of the user's table, labels
  and probabilities written as new columns onto a **copy** of the table.

Examples
--------
>>> import numpy as np
>>> proba = np.array([[0.9, 0.05, 0.05], [0.4, 0.5, 0.1], [0.3, 0.1, 0.6]])
>>> assign_labels(proba, ["High", "Low", "Noise"], threshold=0.35)
['High', 'High', 'Noise']
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omicsnet.errors import CheckpointError, ConfigError, DataError, shown
from omicsnet.models.registry import create_model
from omicsnet.models.serialization import load, save

logger = logging.getLogger(__name__)

CLASSES = ("High", "Low", "Noise")
"""NeatMS's classes, in class-code order."""

LABEL_ALIASES = {
    "high": "High",
    "high_quality": "High",
    "high quality": "High",
    "low": "Low",
    "low_quality": "Low",
    "low quality": "Low",
    "noise": "Noise",
}
"""Label spellings accepted in label columns (NeatMS writes ``High_quality`` etc.)."""

THRESHOLDS = np.round(np.arange(0.0, 1.0, 0.01), 2)
"""Thresholds tried by :func:`threshold_sweep` (NeatMS's ``np.arange(0, 1.0, 0.01)``)."""

MODEL_DIR = "model"

TRAINER_DEFAULTS: dict[str, Any] = {"optimizer": "adam", "lr": 1e-5}
"""The family's trainer defaults (NeatMS: Adam at a learning rate of 1e-5)."""


# ---------------------------------------------------------------------------- thresholds
def threshold_sweep(
    proba: Any,
    y: Any,
    class_names: Sequence[str] = CLASSES,
    *,
    label: str = "High",
    thresholds: Sequence[float] | None = None,
) -> pd.DataFrame:
    """True-High and false-positive rates at each threshold on ``P(label)`` (NeatMS).

    Parameters
    ----------
    proba
        Class probabilities ``(n, n_classes)``.
    y
        Integer class codes ``(n,)``.
    class_names
        Class names in code order.
    label
        The monitored class.
    thresholds
        Default :data:`THRESHOLDS`.

    Returns
    -------
    pandas.DataFrame
        One row per threshold: ``threshold``, ``true`` / ``false`` (counts of monitored /
        other peaks with ``P(label) >= threshold``), ``false_<class>`` per other class,
        ``true_rate`` / ``false_rate`` (the counts divided by their class sizes, as NeatMS
        divides by the counts at threshold 0) and ``difference = true_rate - false_rate``.
        ``frame.attrs["best_threshold"]`` holds the threshold with the largest
        difference (with ties, the middle of the first range of tied thresholds).

    Examples
    --------
    >>> proba = np.array([[.9, .05, .05], [.6, .3, .1], [.5, .1, .4], [.2, .7, .1]])
    >>> sweep = threshold_sweep(proba, np.array([0, 0, 2, 1]))
    >>> sweep.attrs["best_threshold"]     # 0.51 to 0.60 all separate perfectly
    0.55
    >>> sweep.set_index("threshold").loc[0.5, ["true", "false", "difference"]].tolist()
    [2.0, 1.0, 0.5]
    """
    p = np.asarray(proba, dtype=np.float64)
    codes = np.asarray(y).astype(np.int64)
    names = [str(c) for c in class_names]
    if p.ndim != 2 or p.shape[1] != len(names) or len(codes) != len(p):
        raise DataError(
            f"threshold_sweep needs probabilities (n, {len(names)}) and n labels; got "
            f"{p.shape} and {codes.shape}"
        )
    if label not in names:
        raise ConfigError(f"label {label!r} is not a class ({', '.join(names)})")
    index = names.index(label)
    grid = np.asarray(THRESHOLDS if thresholds is None else thresholds, dtype=np.float64)
    above = p[:, index][None, :] >= grid[:, None]  # (thresholds, peaks)
    frame = pd.DataFrame({"threshold": grid})
    positive = codes == index
    frame["true"] = above[:, positive].sum(1).astype(float)
    frame["false"] = above[:, ~positive].sum(1).astype(float)
    for c, name in enumerate(names):
        if c != index:
            frame[f"false_{name}"] = above[:, codes == c].sum(1).astype(float)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    frame["true_rate"] = frame["true"] / n_pos if n_pos else np.nan
    frame["false_rate"] = frame["false"] / n_neg if n_neg else 0.0
    frame["difference"] = frame["true_rate"] - frame["false_rate"]
    if n_pos == 0:
        raise DataError(f"no {label!r} peaks among the {len(codes)} labelled peaks of the sweep")
    difference = frame["difference"].to_numpy()
    best = np.flatnonzero(difference >= np.nanmax(difference) - 1e-12)
    # the middle of the first run of best thresholds (NeatMS takes its first threshold,
    # which on a cleanly separated validation set is 0.00 and calls nearly every peak High)
    run_end = best[0] + int(np.argmax(np.append(np.diff(best) != 1, True)))
    frame.attrs["best_threshold"] = float(grid[(best[0] + best[run_end - best[0]]) // 2])
    return frame


def assign_labels(
    proba: Any, class_names: Sequence[str], *, threshold: float, label: str = "High"
) -> list[str]:
    """``label`` when ``P(label) >= threshold``, else the most probable class.

    Examples
    --------
    >>> assign_labels(np.array([[0.3, 0.7]]), ["High", "Noise"], threshold=0.3)
    ['High']
    """
    p = np.asarray(proba, dtype=np.float64)
    names = [str(c) for c in class_names]
    index = names.index(label)
    best = p.argmax(1)
    chosen = np.where(p[:, index] >= threshold, index, best)
    return [names[i] for i in chosen.tolist()]


def normalise_labels(labels: pd.Series, class_names: Sequence[str] = CLASSES) -> pd.Series:
    """Map label spellings to class names; empty cells become NaN (unlabelled).

    Raises
    ------
    DataError
        A label that is no class (the message names the feature ID).

    Examples
    --------
    >>> normalise_labels(pd.Series({"a": "High_quality", "b": "", "c": "noise"})).tolist()
    ['High', nan, 'Noise']
    """
    names = {str(c).lower(): str(c) for c in class_names}
    out = {}
    for key, value in labels.items():
        text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
        text = text.strip()
        if not text:
            out[key] = np.nan
            continue
        lowered = text.lower()
        mapped = names.get(lowered) or LABEL_ALIASES.get(lowered)
        if mapped is None or mapped not in names.values():
            raise DataError(
                f"feature {shown(key)} has label {shown(text, 30)}; expected one of "
                f"{', '.join(names.values())} (or High_quality/Low_quality)"
            )
        out[key] = mapped
    return pd.Series(out, index=labels.index, dtype=object)


# ---------------------------------------------------------------------------- training
@dataclass
class PeakTrainResult:
    """What :func:`train_peak_model` returns.

    Attributes
    ----------
    model
        The trained ``peak_cnn`` (best validation epoch).
    history
        The trainer's history.
    threshold
        Threshold on ``P(High)`` chosen on the validation peaks.
    sweep
        The validation threshold sweep.
    test_metrics
        Metrics on the test peaks: :func:`omicsnet.train.metrics.classification_metrics`
        plus ``high_precision``/``high_recall`` of the thresholded High calls.
    split
        Feature IDs of the ``train``/``val``/``test`` peaks.
    frozen
        Layers frozen during training.
    """

    model: Any
    history: pd.DataFrame
    threshold: float
    sweep: pd.DataFrame
    test_metrics: dict[str, float]
    split: dict[str, list[str]]
    frozen: list[str] = field(default_factory=list)


def train_peak_model(
    matrices: Any,
    labels: pd.Series,
    *,
    base_model: str | os.PathLike[str] | Any | None = None,
    freeze: Sequence[str] | int | str = (),
    epochs: int = 200,
    lr: float = 1e-5,
    batch_size: int = 64,
    val: float = 0.1,
    test: float = 0.1,
    early_stopping: int | None = 20,
    seed: int = 0,
    model_config: dict[str, Any] | None = None,
    progress: bool = True,
) -> PeakTrainResult:
    """Train ``peak_cnn`` on labelled peak matrices (from scratch, or transfer learning).

    Parameters
    ----------
    matrices
        :class:`~omicsnet.peaks.matrices.PeakMatrices`.
    labels
        Class names (``High``/``Low``/``Noise`` or NeatMS's ``High_quality``...) indexed
        by feature ID; peaks without a label are left out.
    base_model
        A saved ``peak_cnn`` folder (or model) to start from: transfer learning.
    freeze
        Layers of the base model to keep fixed (names or a depth, see
        :meth:`omicsnet.peaks.model.PeakCNN.freeze`).
    epochs, lr, batch_size, early_stopping, seed
        Trainer settings (Adam; NeatMS uses ``lr = 1e-5``).
    val, test
        Fractions of labelled peaks for validation (threshold choice, best epoch) and
        test, stratified by class.
    model_config
        Extra ``peak_cnn`` config when training from scratch.
    progress
        Progress bar.

    Returns
    -------
    PeakTrainResult

    Raises
    ------
    DataError
        Labels for unknown features, too few labelled peaks, a base model whose input
        shape differs from the matrices' (both shapes named).
    """
    import torch

    from omicsnet.data.datasets import ArrayDataset
    from omicsnet.data.splits import train_val_test_split
    from omicsnet.train.defaults import make_trainer
    from omicsnet.train.metrics import classification_metrics
    from omicsnet.train.seeding import seed_everything

    labelled = normalise_labels(labels).dropna()
    unknown = labelled.index.difference(pd.Index(matrices.feature_ids))
    known = labelled.index.intersection(pd.Index(matrices.feature_ids))
    if len(known) == 0:
        raise DataError(
            f"none of the {len(labelled)} labelled features has a peak matrix"
            + (f" (e.g. {str(unknown[0])!r} has none)" if len(unknown) else "")
        )
    if len(unknown):
        logger.info("%d labelled features have no peak matrix (skipped peaks)", len(unknown))
    position = {fid: i for i, fid in enumerate(matrices.feature_ids)}
    order = [fid for fid in matrices.feature_ids if fid in set(known)]
    seed_everything(seed)  # the initial weights follow the seed too: runs repeat exactly
    if base_model is not None:
        model = base_model if hasattr(base_model, "freeze") else load(_model_folder(base_model))
        if getattr(model, "model_name", None) != "peak_cnn":
            raise CheckpointError(f"{base_model} is not a peak_cnn model")
        model.unfreeze()
        check_model_shape(model, matrices.shape, what="the base model")
    else:
        config = {"n_points": matrices.n_points, **(model_config or {})}
        model = create_model("peak_cnn", **config)
    class_names = list(model.output_features)
    codes = np.array([class_names.index(labelled[fid]) for fid in order], dtype=np.int64)
    counts = np.bincount(codes, minlength=len(class_names))
    if (counts > 0).sum() < 2 or len(codes) < 10:
        found = dict(zip(class_names, counts.tolist(), strict=True))
        raise DataError(
            f"too few labelled peaks to train: {found}; "
            "need at least 10 peaks of at least two classes"
        )
    x = matrices.matrices[[position[fid] for fid in order]]
    train_idx, val_idx, test_idx = train_val_test_split(
        len(order), val=val, test=test, seed=seed, stratify=codes
    )
    if len(val_idx) == 0:
        raise DataError(f"no validation peaks with val={val} on {len(order)} labelled peaks")
    frozen: list[str] = model.freeze(freeze) if freeze not in ((), [], None, 0) else []
    if frozen:
        logger.info("frozen layers: %s; training %s", frozen, model.trainable_layers())

    def subset(idx: np.ndarray) -> ArrayDataset:
        return ArrayDataset(x[idx], codes[idx], sample_ids=[order[i] for i in idx.tolist()])

    trainer = make_trainer(
        TRAINER_DEFAULTS,
        {
            "max_epochs": epochs,
            "batch_size": batch_size,
            "lr": lr,
            "seed": seed,
            "early_stopping": early_stopping,
            "progress": progress,
        },
        model=model,
        n_train=len(train_idx),
    )
    result = trainer.fit(model, subset(train_idx), subset(val_idx))
    model = result.model.cpu().eval()
    with torch.no_grad():
        val_proba = model.predict_proba(torch.from_numpy(x[val_idx])).numpy()
    sweep = threshold_sweep(val_proba, codes[val_idx], class_names)
    threshold = float(sweep.attrs["best_threshold"])
    metrics: dict[str, float] = {}
    if len(test_idx):
        with torch.no_grad():
            test_proba = model.predict_proba(torch.from_numpy(x[test_idx])).numpy()
        metrics = classification_metrics(codes[test_idx], test_proba, class_names=class_names)
        called = np.array(assign_labels(test_proba, class_names, threshold=threshold)) == "High"
        is_high = codes[test_idx] == class_names.index("High")
        metrics["high_precision"] = float((called & is_high).sum() / max(1, called.sum()))
        metrics["high_recall"] = float((called & is_high).sum() / max(1, is_high.sum()))
    split = {
        name: [order[i] for i in idx.tolist()]
        for name, idx in (("train", train_idx), ("val", val_idx), ("test", test_idx))
    }
    return PeakTrainResult(model, result.history, threshold, sweep, metrics, split, frozen)


def check_model_shape(model: Any, shape: tuple[int, int], *, what: str = "the model") -> None:
    """Raise a :class:`~omicsnet.errors.DataError` naming both shapes when they differ.

    Examples
    --------
    >>> from omicsnet.models import create_model
    >>> check_model_shape(create_model("peak_cnn"), (2, 100))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    omicsnet.errors.DataError: the model takes peak matrices of shape (2, 120) but the ...
    """
    expected = tuple(getattr(model, "input_shape", ()))
    if expected != tuple(shape):
        raise DataError(
            f"{what} takes peak matrices of shape {expected} but the inputs are {tuple(shape)}; "
            f"build the matrices with n_points={expected[-1] if expected else '?'}"
        )


def save_peak_model(
    result: PeakTrainResult,
    matrices: Any,
    out: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Save a training run: ``model/`` plus history, threshold sweep, split and metrics.

    The threshold and the peak-matrix parameters go into the model's ``metadata.json`` so
    that :func:`predict_feature_table` uses them.
    """
    from omicsnet.utils.io import write_csv
    from omicsnet.utils.output import atomic_directory

    out = Path(out)
    record = {
        "threshold": result.threshold,
        "label": "High",
        "peak_matrix": {
            "n_points": matrices.n_points,
            "margin": matrices.margin,
            "min_scans": matrices.min_scans,
        },
        "frozen_layers": result.frozen,
        "test_metrics": result.test_metrics,
        "n_peaks": {k: len(v) for k, v in result.split.items()},
        **(extra or {}),
    }
    with atomic_directory(out, overwrite=overwrite) as tmp:
        save(result.model, tmp / MODEL_DIR, metadata={"peak_quality": record})
        write_csv(result.history, tmp / "history.csv")
        write_csv(result.sweep, tmp / "threshold_sweep.csv")
        split = pd.DataFrame(
            [(fid, part) for part, ids in result.split.items() for fid in ids],
            columns=["feature_id", "split"],
        )
        split.to_csv(tmp / "split.csv", index=False)
        write_csv(matrices.report, tmp / "peak_report.csv", index=True)
        (tmp / "metrics.json").write_text(json.dumps(record, indent=2, default=float))
        try:
            from omicsnet.peaks.plots import plot_threshold_sweep

            plot_threshold_sweep(result.sweep, tmp / "threshold_sweep.png")
        except ImportError:
            logger.info("matplotlib not installed: no threshold_sweep.png")
    return out


def train_peaks(
    mzml: str | os.PathLike[str],
    features: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    label_column: str = "label",
    sample: str | None = None,
    rt_unit: str = "auto",
    n_points: int = 120,
    margin: float = 1.0,
    min_scans: int = 5,
    overwrite: bool = False,
    **train_kwargs: Any,
) -> tuple[PeakTrainResult, Any]:
    """mzML + labelled feature table → trained ``peak_cnn`` saved in ``out``.

    ``train_kwargs`` go to :func:`train_peak_model` (``base_model``, ``freeze``,
    ``epochs``, ``lr``, ...). Returns the training result and the peak matrices.
    """
    from omicsnet.ms.feature_tables import read_feature_table
    from omicsnet.peaks.matrices import build_peak_matrices
    from omicsnet.utils.output import check_output_dir

    out = Path(out)
    check_output_dir(out, overwrite=overwrite)  # before any work
    table = read_feature_table(features, sample=sample, rt_unit=rt_unit)
    if label_column not in table.original.columns:
        raise DataError(
            f"{features}: no label column {label_column!r}; columns: "
            f"{', '.join(repr(c) for c in table.original.columns)}"
        )
    labels = pd.Series(table.original[label_column].tolist(), index=table.features.index)
    matrices = build_peak_matrices(
        mzml, table, n_points=n_points, margin=margin, min_scans=min_scans
    )
    result = train_peak_model(matrices, labels, **train_kwargs)
    save_peak_model(
        result,
        matrices,
        out,
        overwrite=overwrite,
        extra={"mzml": str(mzml), "features": str(features), "sample": table.sample},
    )
    return result, matrices


# ---------------------------------------------------------------------------- prediction
def _model_folder(path: str | os.PathLike[str]) -> Path:
    folder = Path(path)
    return folder / MODEL_DIR if (folder / MODEL_DIR / "config.json").is_file() else folder


def predict_matrices(model: Any, matrices: Any, *, threshold: float | None = None) -> pd.DataFrame:
    """Probabilities and labels of peak matrices, indexed by feature ID.

    Raises
    ------
    DataError
        The matrices' shape differs from the model's input shape (both named).

    Examples
    --------
    >>> from omicsnet.models import create_model
    >>> from omicsnet.peaks.matrices import PeakMatrices
    >>> m = PeakMatrices(np.zeros((2, 2, 100), np.float32), ["a", "b"], pd.DataFrame(),
    ...                  n_points=100)
    >>> predict_matrices(create_model("peak_cnn"), m)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    omicsnet.errors.DataError: the model takes peak matrices of shape (2, 120) but the inputs...
    """
    import torch

    check_model_shape(model, matrices.shape)
    proba = model.predict_proba(torch.from_numpy(np.ascontiguousarray(matrices.matrices))).numpy()
    names = list(model.output_features)
    frame = pd.DataFrame(proba, index=pd.Index(matrices.feature_ids, name="feature_id"))
    frame.columns = [f"p_{c}" for c in names]
    cut = 0.5 if threshold is None else float(threshold)
    frame.insert(0, "label", assign_labels(proba, names, threshold=cut))
    return frame


def predict_feature_table(
    model_dir: str | os.PathLike[str],
    mzml: str | os.PathLike[str],
    features: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    sample: str | None = None,
    rt_unit: str = "auto",
    column: str = "peak_quality",
    threshold: float | None = None,
    n_points: int | None = None,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Label every feature of the user's table and write a copy with new columns.

    Columns added (``column`` defaults to ``peak_quality``; an aligned MZmine table's
    sample name is put in front): ``<column>`` (High/Low/Noise, empty for skipped
    features), ``<column>_p_<class>`` per class, and ``<column>_skipped`` (why a feature
    has no matrix). All rows and columns of the input are kept as written.

    Parameters
    ----------
    model_dir
        A folder written by :func:`train_peaks` (or its ``model/`` subfolder).
    mzml, features
        The run and its feature table.
    out
        The copy to write; the input table is only replaced when ``out`` is that file and
        ``overwrite=True``.
    threshold
        Threshold on ``P(High)``; default: the one saved with the model (else 0.5).
    n_points
        Matrix width; must match the model's (default: the model's).

    Returns
    -------
    pandas.DataFrame
        The predictions, indexed by feature ID (all features; skipped ones with the
        reason).

    Raises
    ------
    DataError
        ``n_points`` differs from the model's input (both shapes named), or the table
        cannot be read.
    """
    from omicsnet.models.serialization import read_model_files
    from omicsnet.ms.feature_tables import read_feature_table
    from omicsnet.peaks.matrices import build_peak_matrices

    folder = _model_folder(model_dir)
    _, metadata = read_model_files(folder)
    model = load(folder)
    if getattr(model, "model_name", None) != "peak_cnn":
        raise CheckpointError(f"{folder} holds a {model.model_name!r} model, not peak_cnn")
    record = metadata.get("peak_quality", {})
    params = record.get("peak_matrix", {})
    width = int(n_points) if n_points is not None else int(model.n_points)
    check_model_shape(model, (2, width), what=f"the model in {folder}")
    cut = threshold if threshold is not None else record.get("threshold", 0.5)
    table = read_feature_table(features, sample=sample, rt_unit=rt_unit)
    matrices = build_peak_matrices(
        mzml,
        table,
        n_points=width,
        margin=float(params.get("margin", 1.0)),
        min_scans=int(params.get("min_scans", 5)),
    )
    predicted = predict_matrices(model, matrices, threshold=cut)
    name = f"{table.sample} {column}" if table.sample and len(table.samples) > 1 else column
    frame = predicted.reindex(table.features.index)
    frame["skipped"] = matrices.report["reason"].reindex(table.features.index)
    new_columns: dict[str, Any] = {name: frame["label"]}
    for c in model.output_features:
        new_columns[f"{name}_p_{c}"] = frame[f"p_{c}"]
    new_columns[f"{name}_skipped"] = frame["skipped"].where(frame["skipped"] != "", None)
    table.write_copy(out, new_columns, overwrite=overwrite)
    logger.info(
        "%s: %d of %d features labelled (threshold %.2f); written to %s",
        features,
        len(predicted),
        len(table),
        cut,
        out,
    )
    frame.attrs["threshold"] = float(cut)
    frame.attrs["summary"] = matrices.summary()
    return frame


__all__ = [
    "CLASSES",
    "THRESHOLDS",
    "PeakTrainResult",
    "assign_labels",
    "check_model_shape",
    "normalise_labels",
    "predict_feature_table",
    "predict_matrices",
    "save_peak_model",
    "threshold_sweep",
    "train_peak_model",
    "train_peaks",
]
