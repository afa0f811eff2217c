"""DeepLCMS workflows: pseudo-images → ``lcms_image`` training, CV, prediction, CAM maps, search.

Behind ``omicsnet lcms images|image-train|image-predict`` and ``omicsnet explain cam``:

* :func:`make_pseudo_images` — mzML/mzXML files, saved matrices (``.npz``) or ``.npy``
  arrays → one :class:`~omicsnet.lcms_image.pseudo_images.PseudoImageSet` file and a preview;
* :func:`fit_lcms_image` — one ``lcms_image`` model through the shared
  :class:`~omicsnet.train.trainer.Trainer` (Adamax + cosine + early stopping by default,
  DeepLCMS augmentations), batch-norm statistics recomputed afterwards;
* :func:`cross_validate_lcms_image` — out-of-fold probabilities on stratified folds, with
  a nearest-centroid baseline on **the same folds**; :func:`train_lcms_image` writes the
  model or the CV tables (metrics with bootstrap CIs);
* :func:`predict_lcms_image`, :func:`explain_lcms_image` (Grad-CAM/LayerCAM, optionally
  RISE on the same samples and a comparison table and figure);
* :func:`run_trial` — the optimiser × scheduler search task for ``omicsnet.search``
  (``"omicsnet.lcms_image.workflows:run_trial"``).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from omicsnet.errors import ConfigError, DataError, DataNotFoundError
from omicsnet.utils.io import write_csv
from omicsnet.utils.numbers import round_frame
from omicsnet.utils.output import atomic_directory, check_output_dir, check_output_file

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from omicsnet.lcms_image.pseudo_images import PseudoImageParams, PseudoImageSet
    from omicsnet.ms.arrays import LCMSArrays

logger = logging.getLogger(__name__)

MZML_SUFFIXES = (".mzml", ".mzxml", ".mzml.gz", ".mzxml.gz")

#: Trainer settings of DeepLCMS: Adamax, cosine schedule, early stopping.
DEFAULT_TRAINER: dict[str, Any] = {
    "optimizer": "adamax",
    "scheduler": "cosine",
    "lr": 5e-3,
    "max_epochs": 40,
    "batch_size": 4,
    "early_stopping": 10,
}


# ---------------------------------------------------------------------------- images
def _input_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(MZML_SUFFIXES):
        return "mzml"
    if name.endswith(".npz"):
        return "matrix"
    if name.endswith(".npy"):
        return "array"
    return "other"


def collect_inputs(inputs: Sequence[str | os.PathLike[str]]) -> tuple[str, list[Path]]:
    """Expand folders and check that all inputs are of one kind (mzML, ``.npz`` or ``.npy``).

    Examples
    --------
    >>> collect_inputs(["a.mzML", "b.mzXML.gz"])
    ('mzml', [PosixPath('a.mzML'), PosixPath('b.mzXML.gz')])
    >>> collect_inputs(["a.mzML", "b.npy"])
    Traceback (most recent call last):
    ...
    omicsnet.errors.ConfigError: inputs mix kinds (array: b.npy; mzml: a.mzML); give one kind
    """
    files: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if _input_kind(p) != "other")
            if not found:
                raise DataNotFoundError(f"{path}: no mzML/mzXML, .npz or .npy files")
            files.extend(found)
        else:
            files.append(path)
    if not files:
        raise DataNotFoundError("no input files given")
    kinds: dict[str, list[str]] = {}
    for path in files:
        kinds.setdefault(_input_kind(path), []).append(path.name)
    if "other" in kinds:
        raise ConfigError(f"not mzML/mzXML, .npz or .npy: {', '.join(kinds['other'][:5])}")
    if len(kinds) > 1:
        detail = "; ".join(f"{k}: {', '.join(v[:3])}" for k, v in sorted(kinds.items()))
        raise ConfigError(f"inputs mix kinds ({detail}); give one kind")
    return next(iter(kinds)), files


def make_pseudo_images(
    inputs: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str] | None = None,
    *,
    params: PseudoImageParams | Mapping[str, Any] | None = None,
    overwrite: bool = False,
    progress: bool = True,
    preview: bool = True,
) -> PseudoImageSet:
    """Pseudo-images of mzML files, saved matrices or ``.npy`` arrays (one common grid).

    Parameters
    ----------
    inputs
        Files or folders of one kind: mzML/mzXML (read with the shared reader), ``.npz``
        matrices from ``omicsnet lcms convert``, or ``.npy`` arrays (DeepMSProfiler; one
        channel taken).
    out
        ``.npz`` file for the images (a ``.png`` preview of the first one beside it).
    params
        :class:`~omicsnet.lcms_image.pseudo_images.PseudoImageParams` or its dict.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for i in range(2):
    ...     np.save(folder / f"S{i}.npy", np.full((20, 20), 1e4 * (i + 1), "f4"))
    >>> images = make_pseudo_images([folder], folder / "img.npz", params={"n_rt": 10,
    ...                             "n_mz": 10}, progress=False, preview=False)
    >>> images.sample_ids, images.images.shape
    (['S0', 'S1'], (2, 10, 10))
    """
    from omicsnet.lcms_image.pseudo_images import (
        PseudoImageParams,
        plot_pseudo_image,
        pseudo_images_from_arrays,
        pseudo_images_from_files,
    )

    if params is None:
        params = PseudoImageParams()
    elif isinstance(params, Mapping):
        params = PseudoImageParams.from_dict(params)
    target = Path(out) if out is not None else None
    preview_path = target.with_suffix(".png") if target is not None and preview else None
    for path in (target, preview_path):  # before any work
        if path is not None:
            check_output_file(path, overwrite=overwrite)
    kind, files = collect_inputs(inputs)
    if kind == "mzml":  # DeepLCMS works on the data points themselves, not on binned matrices
        images = pseudo_images_from_files(files, params, progress=progress)
    else:  # .npz matrices (with their RT/m/z axes) or .npy arrays (bin indices)
        from omicsnet.ms.arrays import read_lcms_inputs

        data = read_lcms_inputs(files, channel=0)
        axes = data.axes or {}
        edges = axes.get("mz_edges")
        images = pseudo_images_from_arrays(
            data.x,
            params,
            rt=axes.get("rt"),
            mz=(edges[:-1] + edges[1:]) / 2 if edges is not None else axes.get("mz"),
            sample_ids=data.sample_ids,
            sources=[str(f) for f in data.files],
        )
    if target is not None:
        images.save(target, overwrite=overwrite)
        if preview:
            from omicsnet.utils.plotting import save_figure

            save_figure(plot_pseudo_image(images, 0), preview_path, overwrite=overwrite)
    return images


def _label_table(labels: Any) -> dict[str, str]:
    from omicsnet.lcms_image.pseudo_images import _stem
    from omicsnet.ms.arrays import read_labels

    if isinstance(labels, (str, os.PathLike)):
        labels = read_labels(labels)
    return {_stem(Path(str(k))): str(v) for k, v in dict(labels).items()}


def load_image_data(
    images: str | os.PathLike[str] | PseudoImageSet,
    labels: Any,
    *,
    classes: Sequence[str] | None = None,
) -> tuple[PseudoImageSet, LCMSArrays]:
    """Pseudo-images joined to a label table (``file,label`` CSV) by sample name.

    Label file names may carry ``.mzML``/``.mzML.gz``/``.npy``/``.npz`` suffixes.
    """
    from omicsnet.lcms_image.pseudo_images import PseudoImageSet

    image_set = images if isinstance(images, PseudoImageSet) else PseudoImageSet.load(images)
    return image_set, image_set.to_arrays(_label_table(labels), classes=classes)


# ---------------------------------------------------------------------------- training
def _split_validation(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from omicsnet.data.splits import stratified_folds

    k = max(2, round(1.0 / fraction))
    if k > len(y):
        raise ConfigError(f"val_fraction {fraction} leaves no validation sample of {len(y)}")
    folds = stratified_folds(y, k, seed=seed)
    return np.flatnonzero(folds != 0), np.flatnonzero(folds == 0)


def fit_lcms_image(
    data: LCMSArrays,
    *,
    model_config: Mapping[str, Any] | None = None,
    trainer_kwargs: Mapping[str, Any] | None = None,
    augment: bool | Any = True,
    val_fraction: float = 0.0,
    pretrained: str | os.PathLike[str] | None = None,
    seed: int = 0,
) -> Any:
    """Train one ``lcms_image`` model on labelled pseudo-images with the shared Trainer.

    Parameters
    ----------
    data
        Labelled images (:meth:`PseudoImageSet.to_arrays
        <omicsnet.lcms_image.pseudo_images.PseudoImageSet.to_arrays>`).
    model_config
        ``lcms_image`` options (``head``, ``backbone``, ``backbone_config``, ``freeze``,
        ``trainable_blocks``, ...); ``n_classes``, ``classes`` and ``input_size`` come from
        the data. Default head: binary for two classes, else multi-class.
    trainer_kwargs
        :class:`~omicsnet.train.trainer.Trainer` options over :data:`DEFAULT_TRAINER`.
    augment
        ``True``: :func:`~omicsnet.lcms_image.pseudo_images.deeplcms_augmentation`; a callable:
        that augmentation; ``False``: none.
    val_fraction
        Hold out this stratified fraction of ``data`` to monitor (early stopping on
        ``val_loss``); 0 monitors the training loss.
    pretrained
        Local safetensors weights for the backbone.
    seed
        Seeds model initialisation, batch order and augmentations.

    Returns
    -------
    omicsnet.train.trainer.TrainResult

    Examples
    --------
    >>> import torch
    >>> from omicsnet.ms.arrays import LCMSArrays
    >>> x = torch.rand(8, 1, 16, 16)
    >>> x[4:, :, 4:8, 4:8] += 3.0
    >>> data = LCMSArrays(x, [0] * 4 + [1] * 4, sample_ids=list("abcdefgh"),
    ...                   class_names=["no", "yes"], files=[Path(s) for s in "abcdefgh"])
    >>> result = fit_lcms_image(data, model_config={"backbone_config": {"channels": [4, 8]}},
    ...                         trainer_kwargs={"max_epochs": 2, "progress": False})
    >>> result.model.task, result.model.class_names, len(result.history)
    ('binary', ['no', 'yes'], 2)
    """
    from omicsnet.lcms_image.pseudo_images import deeplcms_augmentation
    from omicsnet.models.registry import create_model
    from omicsnet.ms.arrays import AugmentedDataset
    from omicsnet.train.defaults import make_trainer
    from omicsnet.train.seeding import seed_everything

    config = dict(model_config or {})
    for key in ("n_classes", "classes", "input_size"):
        if key in config:
            raise ConfigError(f"model_config must not set {key!r}: it comes from the data")
    n_classes = len(data.class_names)
    config.setdefault("head", "binary" if n_classes == 2 else "multiclass")
    kwargs = {**DEFAULT_TRAINER, **dict(trainer_kwargs or {})}
    kwargs.setdefault("seed", seed)
    kwargs.setdefault("drop_last", True)  # a last batch of one sample breaks batch norm
    train, val = data, None
    if val_fraction > 0:
        train_idx, val_idx = _split_validation(data.y, val_fraction, seed)
        train, val = data.subset(train_idx), data.subset(val_idx)
    if len(train) < int(kwargs["batch_size"]):
        kwargs["batch_size"] = max(2, len(train))
    seed_everything(seed)
    model = create_model(
        "lcms_image",
        n_classes=n_classes,
        classes=list(data.class_names),
        input_size=list(data.x.shape[-2:]),
        **config,
    )
    if pretrained is not None:
        model.load_pretrained(pretrained)
    transform = deeplcms_augmentation() if augment is True else (augment or None)
    train_data = AugmentedDataset(train, transform) if transform is not None else train
    trainer = make_trainer(None, kwargs, model=model, n_train=len(train))
    result = trainer.fit(model, train_data, val)
    from omicsnet.train.batchnorm import recalibrate_batchnorm

    recalibrate_batchnorm(
        result.model, train, batch_size=trainer.batch_size, trainable_only=True
    )  # frozen batch-norm layers keep their statistics
    return result


@dataclass
class ImageCVResult:
    """Out-of-fold predictions of :func:`cross_validate_lcms_image`.

    Attributes
    ----------
    proba
        ``lcms_image`` probabilities, samples × classes (each from the model that did not
        see the sample).
    baseline_proba
        Nearest-centroid predictions on the same folds (one-hot).
    y, folds
        True class codes; fold of each sample.
    histories
        Each fold's training history.
    cv
        The :class:`~omicsnet.train.cv.CVResult`: per-fold accuracy of the model and the
        baseline side by side, the splits.
    """

    proba: pd.DataFrame
    baseline_proba: pd.DataFrame
    y: np.ndarray
    folds: np.ndarray
    histories: list[pd.DataFrame] = field(default_factory=list)
    cv: Any = None

    def reports(self, *, n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
        """Classification reports (bootstrap CIs) of the model and of the baseline."""
        from omicsnet.train.metrics import classification_report

        names = list(self.proba.columns)
        return {
            name: classification_report(
                self.y, frame.to_numpy(), class_names=names, n_boot=n_boot, seed=seed
            )
            for name, frame in (
                ("lcms_image", self.proba),
                ("nearest_centroid", self.baseline_proba),
            )
        }


def nearest_centroid_proba(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, n_classes: int
) -> np.ndarray:
    """One-hot predictions of a nearest-centroid classifier on flattened, standardised inputs.

    Features are standardised with the training samples' means and standard deviations.

    Examples
    --------
    >>> x = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    >>> nearest_centroid_proba(x, np.array([0, 0, 1, 1]), np.array([[4.0, 4.0]]), 2).tolist()
    [[0.0, 1.0]]
    """
    a = x_train.reshape(len(x_train), -1).astype(np.float64)
    b = x_test.reshape(len(x_test), -1).astype(np.float64)
    mean, std = a.mean(0), a.std(0)
    std[std == 0] = 1.0
    a, b = (a - mean) / std, (b - mean) / std
    centroids = np.stack(
        [a[y_train == c].mean(0) if (y_train == c).any() else np.full(a.shape[1], np.inf)
         for c in range(n_classes)]
    )  # fmt: skip
    distance = ((b[:, None, :] - centroids[None]) ** 2).sum(-1)
    return np.eye(n_classes)[distance.argmin(1)]


def cross_validate_lcms_image(
    data: LCMSArrays,
    *,
    n_splits: int | str = 3,
    model_config: Mapping[str, Any] | None = None,
    trainer_kwargs: Mapping[str, Any] | None = None,
    augment: bool | Any = True,
    val_fraction: float = 0.0,
    seed: int = 0,
    progress: bool = False,
) -> ImageCVResult:
    """Stratified k-fold (or ``"loo"``) CV of ``lcms_image``, with a nearest-centroid baseline.

    Both see exactly the same folds (the one CV loop, :func:`omicsnet.train.cv.cross_validate`).
    Augmentations apply to training folds only.

    Examples
    --------
    >>> import torch
    >>> from omicsnet.ms.arrays import LCMSArrays
    >>> x = torch.rand(12, 1, 16, 16)
    >>> x[6:, :, 4:8, 4:8] += 3.0
    >>> data = LCMSArrays(x, [0] * 6 + [1] * 6, sample_ids=[f"s{i:02d}" for i in range(12)],
    ...                   class_names=["no", "yes"], files=[Path(f"{i}") for i in range(12)])
    >>> cv = cross_validate_lcms_image(data, n_splits=3, augment=False,
    ...     model_config={"backbone_config": {"channels": [4, 8]}},
    ...     trainer_kwargs={"max_epochs": 2, "progress": False})
    >>> cv.proba.shape, sorted(set(cv.folds.tolist())), float(cv.baseline_proba.to_numpy().sum())
    ((12, 2), [0, 1, 2], 12.0)
    """
    import pandas as pd

    from omicsnet.train.cv import (
        FoldOutput,
        Split,
        classification_scorer,
        cross_validate,
        stratified_kfold,
    )

    y = np.asarray(data.y).astype(int)
    splits = stratified_kfold(y, n_splits, seed=seed)
    position = {split.name: k for k, split in enumerate(splits)}
    n_classes = len(data.class_names)
    x = data.x

    def fit_predict(split: Split) -> dict[str, FoldOutput]:
        fold = position[split.name]
        result = fit_lcms_image(
            data.subset(split.train),
            model_config=model_config,
            trainer_kwargs=trainer_kwargs,
            augment=augment,
            val_fraction=val_fraction,
            seed=seed + fold,
        )
        baseline = nearest_centroid_proba(x[split.train], y[split.train], x[split.test], n_classes)
        return {
            "lcms_image": FoldOutput(
                predictions=result.model.predict_proba(x[split.test]),
                records=result.history.assign(fold=fold),
            ),
            "nearest_centroid": baseline,
        }

    cv = cross_validate(
        splits,
        fit_predict,
        score=classification_scorer(y),
        n_samples=len(y),
        sample_ids=list(data.sample_ids),
        progress=progress,
        desc="lcms_image CV",
    )
    index = pd.Index(data.sample_ids, name="sample")
    histories = [
        group.drop(columns=["model", "split"]).reset_index(drop=True)
        for _, group in cv.records.groupby("split", sort=False)
    ]
    return ImageCVResult(
        pd.DataFrame(cv.out_of_fold("lcms_image"), index=index, columns=data.class_names),
        pd.DataFrame(cv.out_of_fold("nearest_centroid"), index=index, columns=data.class_names),
        y,
        cv.fold_of(),
        histories,
        cv,
    )


def train_lcms_image(
    images: str | os.PathLike[str],
    labels: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    cv: int | str | None = None,
    model_config: Mapping[str, Any] | None = None,
    trainer_kwargs: Mapping[str, Any] | None = None,
    augment: bool = True,
    val_fraction: float = 0.0,
    pretrained: str | os.PathLike[str] | None = None,
    seed: int = 0,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Train ``lcms_image`` on a pseudo-image file and a label table, or cross-validate it.

    Writes to ``out``: the saved model (``omicsnet.load``-able) with ``history.csv``, or with
    ``cv`` the tables ``cv_summary.csv`` (metrics with 95 % bootstrap CIs, model and
    nearest-centroid baseline), ``cv_per_class.csv``, ``cv_confusion.csv``,
    ``cv_predictions.csv`` and ``cv_history.csv``. Returns a summary dict.
    """
    from omicsnet.models.serialization import save

    out = Path(out)
    check_output_dir(out, overwrite=overwrite)  # before any work
    image_set, data = load_image_data(images, labels)
    summary: dict[str, Any] = {
        "samples": len(data),
        "classes": data.class_names,
        "counts": {c: int((data.y == i).sum()) for i, c in enumerate(data.class_names)},
        "image_shape": list(data.x.shape[-2:]),
    }
    if cv is not None:
        result = cross_validate_lcms_image(
            data,
            n_splits=cv,
            model_config=model_config,
            trainer_kwargs=trainer_kwargs,
            augment=augment,
            val_fraction=val_fraction,
            seed=seed,
        )
        reports = result.reports(seed=seed)
        import pandas as pd

        table = pd.concat({k: r.summary for k, r in reports.items()}, names=["model"])
        with atomic_directory(out, overwrite=overwrite) as tmp:
            write_csv(table, tmp / "cv_summary.csv", index=True)
            write_csv(reports["lcms_image"].per_class, tmp / "cv_per_class.csv", index=True)
            write_csv(reports["lcms_image"].confusion, tmp / "cv_confusion.csv", index=True)
            predictions = result.proba.copy()
            predictions.insert(0, "true", [data.class_names[c] for c in result.y])
            predictions.insert(1, "fold", result.folds)
            predictions.insert(2, "baseline", result.baseline_proba.idxmax(axis=1).to_numpy())
            write_csv(predictions, tmp / "cv_predictions.csv", index=True)
            write_csv(pd.concat(result.histories), tmp / "cv_history.csv")
        summary["cv"] = table.reset_index().to_dict(orient="records")
        return summary
    result = fit_lcms_image(
        data,
        model_config=model_config,
        trainer_kwargs=trainer_kwargs,
        augment=augment,
        val_fraction=val_fraction,
        pretrained=pretrained,
        seed=seed,
    )
    save(
        result.model,
        out,
        overwrite=overwrite,
        metadata={
            "trained_on": str(images),
            "samples": len(data),
            "pseudo_image_params": image_set.params.to_dict(),
            "best_epoch": result.best_epoch,
        },
        extra_files={"history.csv": round_frame(result.history).to_csv(index=False)},
    )
    summary["best_epoch"] = result.best_epoch
    summary["epochs"] = len(result.history)
    return summary


# ---------------------------------------------------------------------------- predict, explain
def _load_image_model(model_dir: str | os.PathLike[str], images: PseudoImageSet) -> Any:
    from omicsnet.models.serialization import load

    model = load(model_dir)
    if getattr(model, "model_name", None) != "lcms_image":
        raise ConfigError(
            f"{model_dir} holds a {getattr(model, 'model_name', type(model).__name__)!r} "
            "model; pseudo-image commands need an 'lcms_image' model"
        )
    expected = tuple(model.input_size)
    got = tuple(images.images.shape[1:])
    if expected != got:
        raise DataError(
            f"the model {model_dir} was trained on {expected[0]} x {expected[1]} pseudo-images "
            f"but the images are {got[0]} x {got[1]}; make them with the same n_rt/n_mz"
        )
    return model.eval()  # RISE calls the model through a closure: batch norm must not train


def predict_lcms_image(
    model_dir: str | os.PathLike[str],
    images: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Class probabilities of every pseudo-image, with the predicted class; CSV if ``out``."""
    import pandas as pd

    from omicsnet.lcms_image.pseudo_images import PseudoImageSet

    image_set = PseudoImageSet.load(images)
    model = _load_image_model(model_dir, image_set)
    proba = model.predict_proba(image_set.tensor())
    frame = pd.DataFrame(
        proba, index=pd.Index(image_set.sample_ids, name="sample"), columns=model.class_names
    )
    frame.insert(0, "predicted", frame.columns[np.argmax(proba, axis=1)])
    if out is not None:
        write_csv(frame, out, index=True, overwrite=overwrite)
    return frame


def explain_lcms_image(
    model_dir: str | os.PathLike[str],
    images: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    method: str = "layercam",
    layer: str | None = None,
    samples: Sequence[str] | None = None,
    top: int = 10,
    rise_masks: int = 0,
    rise_grid: int = 8,
    rise_p: float = 0.1,
    seed: int = 0,
    overwrite: bool = False,
    progress: bool = True,
) -> pd.DataFrame:
    """CAM maps (and optionally RISE maps) of pseudo-images; tables and figures in ``out``.

    Writes ``cam_maps.npz`` (a :class:`~omicsnet.explain.maps.SaliencyBatch`),
    ``top_regions.csv`` (each sample's predicted class) and ``<sample>_cam.png`` (input and
    CAM of the first sample); with ``rise_masks > 0`` instead of that figure
    ``rise_maps.npz``, ``cam_vs_rise.csv`` (:func:`~omicsnet.explain.cam.compare_maps` per
    sample and class) and ``<sample>_cam_vs_rise.png`` (input | RISE | CAM). Returns the
    top-region table.
    """
    import pandas as pd
    import torch

    from omicsnet.explain.cam import cam_maps, compare_maps, plot_comparison
    from omicsnet.explain.maps import top_regions
    from omicsnet.explain.rise import rise_maps
    from omicsnet.lcms_image.pseudo_images import PseudoImageSet
    from omicsnet.utils.plotting import save_figure

    out = Path(out)
    check_output_dir(out, overwrite=overwrite)  # before any work
    image_set = PseudoImageSet.load(images)
    if samples:
        image_set = image_set.subset(list(samples))
    model = _load_image_model(model_dir, image_set)
    x = image_set.tensor()
    axes: Any = image_set.axes()
    if image_set.info.get("rt_axis") == "index" or image_set.info.get("mz_axis") == "index":
        from omicsnet.explain.maps import COLUMN_LABEL, ROW_LABEL, MapAxes

        axes = MapAxes(axes["rt"], axes["mz"], ROW_LABEL, COLUMN_LABEL)  # .npy arrays: no axes
    maps = cam_maps(
        model, x, method=method, layer=layer, axes=axes,
        sample_ids=image_set.sample_ids, progress=progress,
    )  # fmt: skip
    tables = []
    for i, sid in enumerate(image_set.sample_ids):
        predicted = maps.classes[int(maps.predicted[i])]  # type: ignore[index]
        table = top_regions(maps[i], top, classes=[predicted])
        tables.append(table.assign(sample=sid))
    regions = pd.concat(tables, ignore_index=True)
    regions.insert(0, "sample", regions.pop("sample"))
    rise = None
    if rise_masks > 0:

        def predict(batch: torch.Tensor) -> torch.Tensor:
            return model.probabilities(model(batch))

        rise = rise_maps(
            predict, x, n_masks=rise_masks, grid_size=rise_grid, p=rise_p, seed=seed,
            activation="none", axes=axes, classes=list(model.class_names),
            sample_ids=image_set.sample_ids, progress=progress,
        )  # fmt: skip
    first = image_set.sample_ids[0]
    with atomic_directory(out, overwrite=overwrite) as tmp:
        maps.save(tmp / "cam_maps.npz")
        write_csv(regions, tmp / "top_regions.csv")
        if rise is None:
            save_figure(
                plot_comparison([maps[0]], titles=[method], image=image_set.images[0]),
                tmp / f"{first}_cam.png",
                dpi=100,
            )
        else:
            rise.save(tmp / "rise_maps.npz")
            comparison = pd.concat(
                [compare_maps(rise[i], maps[i]).assign(sample=s)
                 for i, s in enumerate(image_set.sample_ids)]
            )  # fmt: skip
            write_csv(comparison, tmp / "cam_vs_rise.csv", index=True)
            save_figure(
                plot_comparison(
                    [rise[0], maps[0]], titles=["RISE", method], image=image_set.images[0]
                ),
                tmp / f"{first}_cam_vs_rise.png",
                dpi=100,
            )
        (tmp / "params.json").write_text(
            json.dumps(
                {"method": method, "layer": maps.params["layer"], "samples": image_set.sample_ids,
                 "rise_masks": rise_masks, "rise_grid": rise_grid, "rise_p": rise_p, "seed": seed},
                indent=2,
            )
        )  # fmt: skip
    return regions


# ---------------------------------------------------------------------------- search task
_TRIAL_CACHE: dict[tuple[str, str], tuple[Any, Any]] = {}


def _trial_options(context: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Options and run settings of a trial context (``TrialContext`` or a plain mapping)."""
    from omicsnet.config import resolve_config_path

    if isinstance(context, Mapping):
        return dict(context), {}
    options = dict(getattr(context, "options", {}) or {})
    base_dir = getattr(context, "base_dir", ".")
    for key in ("images", "labels"):
        value = options.get(key)
        if isinstance(value, str):  # absolute paths and ".." are refused there
            options[key] = str(
                resolve_config_path(
                    value, base_dir, key=f"task_options.{key}", data_dir=context.data_dir
                )
            )
    options.setdefault("seed", 0)
    run = {"device": getattr(context, "device", "auto"), "out_dir": context.out_dir}
    return options, run


def run_trial(parameters: Mapping[str, Any], context: Any) -> dict[str, float]:
    """One optimiser × scheduler trial: CV of ``lcms_image`` → metrics (a search task).

    Name it in a campaign config as ``task: omicsnet.lcms_image.workflows:run_trial``
    (example: ``docs/examples/lcms_image_search.yaml``).

    Parameters
    ----------
    parameters
        ``optimizer`` (e.g. ``adamax``, ``adam``, ``sgd``), ``scheduler`` (``cosine``,
        ``step``, ``none``, ...), optionally ``lr`` and ``weight_decay``.
    context
        A :class:`~omicsnet.search.tasks.TrialContext` whose ``options`` (the campaign's
        ``task_options``) hold ``images`` (pseudo-image ``.npz``) and ``labels`` (table),
        relative to the campaign config or ``data:...``, and optionally ``n_splits`` (3),
        ``epochs`` (20), ``batch_size``, ``model_config``, ``augment``, ``val_fraction``,
        ``seed``; or those options as a plain mapping. With a ``TrialContext`` the trial
        runs on its device and writes ``cv_predictions.csv`` to its folder.

    Returns
    -------
    dict
        ``accuracy``, ``balanced_accuracy``, ``f1_macro``, ``log_loss`` of the out-of-fold
        predictions (higher is better except ``log_loss``).
    """
    from omicsnet.train.metrics import classification_metrics

    options, run = _trial_options(context)
    for key in ("images", "labels"):
        if key not in options:
            raise ConfigError(f"the lcms_image search task needs {key!r} in its task_options")
    unknown = sorted(set(parameters) - {"optimizer", "scheduler", "lr", "weight_decay"})
    if unknown:
        raise ConfigError(
            f"unknown lcms_image trial parameters {unknown} "
            "(optimizer, scheduler, lr, weight_decay)"
        )
    cache_key = (str(options["images"]), str(options["labels"]))
    if cache_key not in _TRIAL_CACHE:
        _TRIAL_CACHE.clear()
        _TRIAL_CACHE[cache_key] = load_image_data(options["images"], options["labels"])
    _, data = _TRIAL_CACHE[cache_key]
    scheduler = parameters.get("scheduler", "cosine")
    trainer_kwargs = {
        "optimizer": str(parameters.get("optimizer", "adamax")),
        "scheduler": None if scheduler in (None, "none") else str(scheduler),
        "lr": float(parameters.get("lr", DEFAULT_TRAINER["lr"])),
        "weight_decay": float(parameters.get("weight_decay", 0.0)),
        "max_epochs": int(options.get("epochs", 20)),
        "batch_size": int(options.get("batch_size", DEFAULT_TRAINER["batch_size"])),
        "progress": False,
    }
    if "device" in run:
        trainer_kwargs["device"] = run["device"]
    result = cross_validate_lcms_image(
        data,
        n_splits=options.get("n_splits", 3),
        model_config=options.get("model_config"),
        trainer_kwargs=trainer_kwargs,
        augment=bool(options.get("augment", True)),
        val_fraction=float(options.get("val_fraction", 0.0)),
        seed=int(options.get("seed", 0)),
    )
    proba = result.proba.to_numpy()
    if run.get("out_dir") is not None:
        table = result.proba.assign(true=[data.class_names[c] for c in result.y], fold=result.folds)
        write_csv(table, Path(run["out_dir"]) / "cv_predictions.csv", index=True)
    metrics = classification_metrics(result.y, proba)
    clipped = np.clip(proba[np.arange(len(result.y)), result.y], 1e-7, 1.0)
    return {
        "accuracy": float(metrics["accuracy"]),
        "balanced_accuracy": float(metrics["balanced_accuracy"]),
        "f1_macro": float(metrics["f1_macro"]),
        "log_loss": float(-np.log(clipped).mean()),
    }


__all__ = [
    "DEFAULT_TRAINER",
    "ImageCVResult",
    "collect_inputs",
    "cross_validate_lcms_image",
    "explain_lcms_image",
    "fit_lcms_image",
    "load_image_data",
    "make_pseudo_images",
    "nearest_centroid_proba",
    "predict_lcms_image",
    "run_trial",
    "train_lcms_image",
]
