"""LC-MS workflows behind ``omicsnet lcms train|predict``, ``omicsnet explain rise|background``.

Each joins the data layer (inputs joined to labels by sample name), the zoo
(``lcms_densenet`` members of an :class:`~omicsnet.models.ensemble.Ensemble`), the shared
trainer and the explanation layer, and writes its outputs atomically.

Inputs are a folder or a list of files of one kind (see
:func:`~omicsnet.ms.arrays.read_lcms_inputs`): ``.npy`` arrays, ``.npz`` matrices
written by ``omicsnet lcms convert``, or mzML/mzXML runs (converted through the cache).
Training records the inputs' binning parameters and matrix shape with the saved model;
prediction and RISE check converted inputs against them and convert mzML runs with them,
and RISE maps take their RT/m/z axes from the matrices.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omicsnet.models.inference import predict_proba
from omicsnet.utils.io import write_csv
from omicsnet.utils.output import atomic_directory, check_output_dir, output_dir

logger = logging.getLogger(__name__)


ARCHITECTURES = ("lcms_densenet", "lcms_cnn", "lcms_dual")
"""Member models ``train_lcms`` builds: DeepMSProfiler's DenseNet, the small
position-aware CNN for coarse matrices and quick runs, or the dual-polarity DenseNet
(positive- and negative-mode runs paired by sample; see :mod:`omicsnet.lcms.dual_polarity`)."""


#: The family's trainer defaults: a last batch of one sample breaks batch norm, so every
#: incomplete last batch is dropped (DenseNets train on a dozen runs per fold).
TRAINER_DEFAULTS: dict[str, Any] = {"drop_last": True}


def _member_config(
    architecture: str, pre_pool: int, tiny: bool, input_size: list[int]
) -> dict[str, Any]:
    from omicsnet.errors import ConfigError

    if architecture not in ARCHITECTURES:
        raise ConfigError(f"architecture must be one of {ARCHITECTURES}, got {architecture!r}")
    config: dict[str, Any] = {"pre_pool": pre_pool, "input_size": input_size}
    if tiny and architecture in ("lcms_densenet", "lcms_dual"):  # small DenseNets for smoke runs
        config.update(growth_rate=4, block_config=[1, 1, 1, 1], init_features=8, bn_size=2)
    return config


def train_lcms(
    arrays: Any,
    out: str | os.PathLike[str],
    *,
    labels: str | os.PathLike[str] = "labels.csv",
    n_models: int = 3,
    lrs: list[float] | None = None,
    epochs: int = 20,
    batch_size: int = 4,
    pre_pool: int = 2,
    cv: int | str | None = None,
    augment: bool = True,
    tiny: bool = False,
    architecture: str = "lcms_densenet",
    binning: Any = None,
    cache_dir: str | os.PathLike[str] | None = None,
    workers: int = 2,
    seed: int = 0,
    overwrite: bool = False,
    progress: bool = True,
    resume: bool = False,
) -> dict[str, Any]:
    """Train an ensemble of ``lcms_densenet`` (or ``lcms_cnn``) members, or cross-validate.

    Parameters
    ----------
    arrays, labels
        Inputs (a folder or files: ``.npy`` arrays, converted ``.npz`` matrices or mzML
        runs) and the label table (``file``, ``label`` columns); labels are joined to
        inputs by sample name (:func:`~omicsnet.ms.arrays.sample_id`). For
        ``lcms_dual`` the table has one row per run with ``sample`` and ``polarity``
        columns too: each sample's positive- and negative-mode runs are paired into one
        ``(2, RT, m/z)`` input and must have the same label
        (:func:`~omicsnet.lcms.dual_polarity.pair_lcms_arrays`).
    out
        Output folder: the saved ensemble (``ensemble.json`` + members), or with ``cv`` the
        cross-validation tables (``cv_summary.csv``, ``cv_per_class.csv``,
        ``cv_confusion.csv``, ``cv_predictions.csv``).
    n_models, lrs, epochs, batch_size, pre_pool
        Ensemble size, one learning rate per member (default 1e-3, 5e-4, 2e-4, ...),
        epochs, batch size and the max-pool factor applied inside each member.
    cv
        ``None`` trains on every sample; an integer k or ``"loo"`` cross-validates.
    augment
        RT shifts, intensity jitter and random erasing while training.
    tiny
        A very small DenseNet (smoke runs).
    architecture
        ``"lcms_densenet"`` (DeepMSProfiler's DenseNet-121, default), ``"lcms_cnn"``
        (small position-aware CNN for coarse matrices; see :mod:`omicsnet.lcms.cnn`)
        or ``"lcms_dual"`` (one DenseNet branch per polarity; see
        :mod:`omicsnet.lcms.dual`).
    binning, cache_dir, workers
        mzML inputs only: binning parameters (default: the DeepMSProfiler preset), the
        conversion cache and worker processes.
    seed
        Seed of the first member (member ``i`` uses ``seed + i``) and of the CV folds.
    resume
        With ``cv``: continue a killed cross-validation in ``out``; folds already finished
        (kept in ``out/cv_folds/`` as they finish) are read back, not trained again.

    Returns
    -------
    dict
        A summary (samples, classes, and the CV metrics when ``cv`` is set).
    """
    from omicsnet.models.ensemble import save_ensemble
    from omicsnet.ms.arrays import AugmentedDataset, default_augmentation, load_lcms_arrays
    from omicsnet.train.ensemble import cross_validate_ensemble, train_ensemble
    from omicsnet.train.metrics import classification_report

    out = Path(out)
    check_output_dir(out, overwrite=overwrite, resume=resume and cv is not None)  # before work
    data = load_lcms_arrays(
        arrays, labels, binning=binning, cache_dir=cache_dir, workers=workers, progress=progress
    )
    n_runs = len(data)
    if architecture == "lcms_dual":
        from omicsnet.lcms.dual_polarity import pair_lcms_arrays
        from omicsnet.ms.arrays import _label_path

        data = pair_lcms_arrays(data, _label_path(arrays, labels))
    builder = {
        "model": architecture,
        "config": {
            "n_classes": len(data.class_names),
            **_member_config(architecture, pre_pool, tiny, list(data.x.shape[2:])),
        },
    }
    rates = lrs or [1e-3 / (2**i) for i in range(n_models)]
    trainer_kwargs = {
        **TRAINER_DEFAULTS,
        "max_epochs": epochs,
        "batch_size": batch_size,
        "progress": progress,
        "seed": seed,
    }
    summary: dict[str, Any] = {
        "samples": len(data),
        "runs": n_runs,
        "classes": data.class_names,
        "counts": {c: int((data.y == i).sum()) for i, c in enumerate(data.class_names)},
    }
    if cv is not None:
        command = "omicsnet lcms train --cv"
        with output_dir(out, overwrite=overwrite, resume=resume, command=command) as folder:
            result = cross_validate_ensemble(
                builder,
                data,
                n_splits=cv,
                n_models=n_models,
                lrs=rates,
                trainer_kwargs=trainer_kwargs,
                augment=(lambda subset: AugmentedDataset(subset, default_augmentation()))
                if augment
                else None,
                class_names=data.class_names,
                seed=seed,
                progress=progress,
                store=folder / "cv_folds",  # each finished fold; --resume reads them back
            )
            report = classification_report(
                result.y, result.proba.to_numpy(), class_names=data.class_names
            )
            predictions = result.proba.copy()
            predictions.insert(0, "true", [data.class_names[c] for c in result.y])
            predictions.insert(1, "fold", result.folds)
            for name, frame, index in (
                ("cv_summary.csv", report.summary, True),
                ("cv_per_class.csv", report.per_class, True),
                ("cv_confusion.csv", report.confusion, True),
                ("cv_predictions.csv", predictions, True),
                ("cv_members.csv", result.members, False),
            ):
                write_csv(frame, folder / name, index=index)
        summary["cv"] = report.summary.reset_index().to_dict(orient="records")
        return summary
    train_data = AugmentedDataset(data, default_augmentation()) if augment else data
    trained = train_ensemble(
        builder,
        train_data,
        n_models=n_models,
        lrs=rates,
        trainer_kwargs=trainer_kwargs,
        output_features=data.class_names,
    )
    save_ensemble(
        trained.ensemble,
        out,
        overwrite=overwrite,
        metadata={**_input_record(arrays, data), "architecture": architecture},
    )
    return summary


def _input_record(arrays: Any, data: Any) -> dict[str, Any]:
    """What prediction needs to know about the training inputs (saved with the model)."""
    sources = [str(arrays)] if isinstance(arrays, (str, os.PathLike)) else [str(a) for a in arrays]
    return {
        "trained_on": sources[0] if len(sources) == 1 else sources,
        "samples": len(data),
        "input_shape": list(data.x.shape[2:]),
        "binning": data.binning,
    }


def saved_input_record(model_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The input record (``input_shape``, ``binning``, ...) saved with a model or ensemble.

    Empty for models saved without one (e.g. by the Python API).
    """
    from omicsnet.models.ensemble import MANIFEST_FILE, read_ensemble_manifest
    from omicsnet.models.serialization import read_model_files

    folder = Path(model_dir)
    if (folder / MANIFEST_FILE).is_file():
        return dict(read_ensemble_manifest(folder).get("metadata") or {})
    _, metadata = read_model_files(folder)
    return dict(metadata or {})


def read_model_inputs(
    model_dir: str | os.PathLike[str],
    inputs: Any,
    *,
    binning: Any = None,
    cache_dir: str | os.PathLike[str] | None = None,
    workers: int = 2,
    progress: bool = False,
) -> Any:
    """Read inputs for a saved model, checking them against what it was trained on.

    mzML runs are converted with ``binning``, else the binning the model was trained with
    (recorded at training), else the DeepMSProfiler preset. Converted matrices must have
    been binned with the model's parameters, and every input must have its matrix shape.

    Returns
    -------
    omicsnet.ms.arrays.LCMSInputs

    Raises
    ------
    DataError
        Inputs binned on another grid, or of another shape, than the training data.
    """
    from omicsnet.errors import DataError
    from omicsnet.ms.arrays import read_lcms_inputs

    record = saved_input_record(model_dir)
    trained = record.get("binning")
    data = read_lcms_inputs(
        inputs,
        binning=binning if binning is not None else trained,
        cache_dir=cache_dir,
        workers=workers,
        progress=progress,
    )
    if trained and data.binning:
        differ = sorted(
            k for k in set(trained) | set(data.binning) if trained.get(k) != data.binning.get(k)
        )
        if differ:
            changes = ", ".join(
                f"{k} {data.binning.get(k)!r} (model: {trained.get(k)!r})" for k in differ
            )
            raise DataError(
                f"the inputs were binned differently from the model's training data: "
                f"{changes}; convert them with the model's parameters"
            )
    shape = record.get("input_shape")
    if shape and list(data.x.shape[2:]) != list(shape):
        raise DataError(
            f"the inputs are {tuple(data.x.shape[2:])} matrices but {model_dir} was trained "
            f"on {tuple(shape)} ({data.files[0].name})"
        )
    return data


def _read_inputs(arrays: str | os.PathLike[str]) -> tuple[list[str], np.ndarray]:
    """Sample IDs and ``(N, 1, RT, m/z)`` matrices of a folder of inputs (any kind)."""
    from omicsnet.ms.arrays import read_lcms_inputs

    data = read_lcms_inputs(arrays, channel=0)
    return data.sample_ids, data.x


def is_dual_polarity(model: Any) -> bool:
    """Whether a loaded model (or any member of an ensemble) is ``lcms_dual``."""
    from omicsnet.lcms.dual import LCMSDualPolarity

    members = list(getattr(model, "members", [])) or [model]
    return any(isinstance(m, LCMSDualPolarity) for m in members)


def _probabilities(model: Any, x: np.ndarray) -> np.ndarray:
    """Class probabilities: an ensemble's own average of its members', else softmax."""
    if hasattr(model, "predict_proba"):
        return np.asarray(model.predict_proba(x))
    return predict_proba(model, x, activation="softmax")


def predict_lcms(
    model_dir: str | os.PathLike[str],
    arrays: Any,
    out: str | os.PathLike[str],
    *,
    binning: Any = None,
    cache_dir: str | os.PathLike[str] | None = None,
    workers: int = 2,
    pairs: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    progress: bool = False,
) -> pd.DataFrame:
    """Class probabilities of LC-MS inputs with a saved ensemble or model, written as CSV.

    Parameters
    ----------
    model_dir
        A saved ensemble or a single saved model.
    arrays
        A folder or files: ``.npy`` arrays, converted ``.npz`` matrices or mzML runs (see
        :func:`read_model_inputs`).
    out
        The CSV: index ``sample``, a ``predicted`` column and one probability per class.
    binning, cache_dir, workers, progress
        mzML conversion settings (default binning: the model's training binning).
    pairs
        Dual-polarity models (``lcms_dual``) only, and required for them: the pairing table
        (``file``, ``sample``, ``polarity`` columns, one row per run; the training label
        table works) that pairs each sample's positive- and negative-mode runs; rows of
        the output are then samples.
    overwrite
        Replace an existing ``out``.

    Raises
    ------
    ConfigError
        A dual-polarity model without ``pairs``, or ``pairs`` for a single-polarity model.
    """
    from omicsnet.errors import ConfigError
    from omicsnet.models.serialization import load

    model = load(model_dir)
    dual = is_dual_polarity(model)
    if dual and pairs is None:
        raise ConfigError(
            f"{model_dir} is a dual-polarity (lcms_dual) model: give the table pairing the "
            "positive- and negative-mode runs (--pairs FILE with file, sample, polarity columns)"
        )
    if pairs is not None and not dual:
        raise ConfigError(f"--pairs is for dual-polarity models; {model_dir} is not one")
    data = read_model_inputs(
        model_dir, arrays, binning=binning, cache_dir=cache_dir, workers=workers, progress=progress
    )
    x, ids = data.x, data.sample_ids
    if dual:
        from omicsnet.lcms.dual_polarity import pair_runs, read_pairing_table

        x, ids, _ = pair_runs(x, ids, read_pairing_table(pairs), Path(pairs).name)
    proba = _probabilities(model, x)
    frame = pd.DataFrame(proba, index=pd.Index(ids, name="sample"), columns=model.output_features)
    frame.insert(0, "predicted", frame.columns[np.argmax(proba, axis=1)])
    write_csv(frame, out, index=True, overwrite=overwrite)
    return frame


def explain_rise(
    model_dir: str | os.PathLike[str],
    arrays: Any,
    out: str | os.PathLike[str],
    *,
    n_masks: int = 1000,
    grid_size: int = 8,
    p: float = 0.1,
    normalize: str = "paper",
    top: int = 10,
    seed: int = 0,
    labels: str | os.PathLike[str] | None = None,
    binning: Any = None,
    cache_dir: str | os.PathLike[str] | None = None,
    workers: int = 2,
    overwrite: bool = False,
    progress: bool = True,
) -> pd.DataFrame:
    """RISE maps of LC-MS inputs; maps, class profiles, top regions and a figure in ``out``.

    Parameters
    ----------
    model_dir
        A saved ensemble or model.
    arrays
        A folder or files (``.npy``, converted ``.npz`` or mzML; see
        :func:`read_model_inputs`). Converted inputs give the maps RT (minutes) and m/z
        axes; ``.npy`` arrays give row/column indices.
    out
        Output folder: ``rise_maps.npz``, ``class_profiles.npz``, ``top_regions.csv``,
        ``class_profiles.png``, ``params.json``.
    n_masks, grid_size, p, normalize, seed
        RISE settings (see :func:`~omicsnet.explain.rise.rise_maps`).
    top
        Regions per class in the table.
    labels
        Optional label table: class profiles then average the maps of **correctly
        predicted** samples of each class (DeepMSProfiler); without it, of the samples
        predicted as each class.
    binning, cache_dir, workers
        mzML conversion settings.
    overwrite
        Replace an existing ``out``.

    Returns
    -------
    pandas.DataFrame
        The top-region table (class, rank, score, RT range, m/z range, peak).
    """
    import torch

    from omicsnet.explain import plot_maps, rise_maps, save_figure, top_regions
    from omicsnet.models.serialization import load

    check_output_dir(out, overwrite=overwrite)  # before any work
    model = load(model_dir)
    data = read_model_inputs(
        model_dir, arrays, binning=binning, cache_dir=cache_dir, workers=workers, progress=progress
    )
    classes = list(model.output_features)
    truth = None if labels is None else _join_labels(arrays, labels, data.sample_ids, classes)
    predict, activation = _as_predict(model)
    maps = rise_maps(
        predict,
        torch.from_numpy(data.x),
        n_masks=n_masks,
        grid_size=grid_size,
        p=p,
        seed=seed,
        activation=activation,
        normalize=normalize,
        axes=data.axes,
        classes=classes,
        sample_ids=data.sample_ids,
        progress=progress,
    )
    if truth is not None:
        profiles = maps.class_profiles(truth)  # correctly predicted samples of each class
    else:
        profiles = maps.class_profiles(maps.predicted, maps.predicted)
    regions = top_regions(profiles, k=top)
    with atomic_directory(out, overwrite=overwrite) as tmp:
        maps.save(tmp / "rise_maps.npz")
        profiles.save(tmp / "class_profiles.npz")
        write_csv(regions, tmp / "top_regions.csv")
        save_figure(
            plot_maps([profiles], titles=["RISE class profile"]), tmp / "class_profiles.png"
        )
        (tmp / "params.json").write_text(
            json.dumps(
                {
                    "n_masks": n_masks,
                    "grid_size": grid_size,
                    "p": p,
                    "normalize": normalize,
                    "seed": seed,
                    "samples": data.sample_ids,
                    "profiles_from": "true labels" if truth is not None else "predictions",
                    "binning": data.binning,
                },
                indent=2,
            )
        )
    return regions


def _join_labels(
    arrays: Any, labels: str | os.PathLike[str], sample_ids: list[str], classes: list[str]
) -> list[str]:
    """The class of every sample, from a label table joined by sample name (strict)."""
    from omicsnet.errors import DataError
    from omicsnet.ms.arrays import _id_list, _label_path, read_labels

    path = _label_path(arrays, labels)
    table = read_labels(path)
    no_label = sorted(set(sample_ids) - set(table.index))
    no_input = sorted(set(table.index) - set(sample_ids))
    if no_label or no_input:
        parts = []
        if no_input:
            parts.append(f"{len(no_input)} labelled sample(s) without a file: {_id_list(no_input)}")
        if no_label:
            parts.append(f"{len(no_label)} file(s) without a label: {_id_list(no_label)}")
        raise DataError(f"labels and inputs do not match ({path.name}): " + "; ".join(parts))
    unknown = sorted(set(table) - set(classes))
    if unknown:
        raise DataError(f"{path}: labels {unknown} are not classes of the model ({classes})")
    return [str(table[s]) for s in sample_ids]


def _as_predict(model: Any) -> Any:
    """A ``batch -> probabilities`` callable for RISE (ensembles average probabilities)."""
    import torch

    if hasattr(model, "predict_proba"):

        def predict(batch: torch.Tensor) -> torch.Tensor:
            return torch.as_tensor(model.predict_proba(batch))

        return predict, "none"
    return model, "softmax"


def explain_background(
    model_dir: str | os.PathLike[str],
    arrays: Any,
    out: str | os.PathLike[str],
    *,
    labels: str | os.PathLike[str] = "labels.csv",
    n_masks: int = 500,
    grid_size: int = 8,
    p: float = 0.1,
    normalize: str = "coverage",
    fractions: tuple[float, ...] = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2),
    unit: str = "pixel",
    min_drop: float = 0.1,
    seed: int = 0,
    binning: Any = None,
    cache_dir: str | os.PathLike[str] | None = None,
    workers: int = 2,
    overwrite: bool = False,
    progress: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Background-category analysis of a saved ensemble's members and of the ensemble.

    Each model (every member, then the ensemble's averaged probabilities; or the one
    saved model) gets its own RISE class profiles from the correctly predicted samples;
    then each class's top signals are removed progressively and every class's accuracy is
    recorded (:func:`~omicsnet.explain.ablation.background_category_analysis`). A class
    whose accuracy survives the removal of its own signals is a background category
    (:func:`~omicsnet.explain.ablation.background_categories`).

    Parameters
    ----------
    model_dir
        A saved ensemble (or model).
    arrays, labels
        Inputs (folder or files; see :func:`read_model_inputs`) and their label table,
        joined by sample name; every input needs a label.
    n_masks, grid_size, p, normalize, seed
        RISE settings for the profiles (``"coverage"`` normalisation is stable with a few
        hundred masks).
    fractions, unit
        Shares of the units (``"pixel"``, ``"mz"`` columns, ``"rt"`` rows) removed.
    min_drop
        Accuracy drop below which a class counts as a background category.
    binning, cache_dir, workers
        mzML conversion settings.
    out, overwrite
        Output folder (``background.csv``, ``background_summary.csv``, ``background.png``,
        ``params.json``) and whether to replace it.

    Returns
    -------
    (table, summary)
        The per-fraction accuracy table and the per-model, per-class summary.
    """
    import torch

    from omicsnet.explain import (
        background_categories,
        background_category_analysis,
        plot_background,
        rise_maps,
        save_figure,
    )
    from omicsnet.models.serialization import load

    check_output_dir(out, overwrite=overwrite)  # before any work
    model = load(model_dir)
    classes = list(model.output_features)
    data = read_model_inputs(
        model_dir, arrays, binning=binning, cache_dir=cache_dir, workers=workers, progress=progress
    )
    truth = _join_labels(arrays, labels, data.sample_ids, classes)
    members = list(getattr(model, "members", []))
    models: dict[str, Any] = {f"member_{i}": m for i, m in enumerate(members)}
    models["ensemble" if members else "model"] = model
    x = torch.from_numpy(data.x)
    profiles = {}
    for name, candidate in models.items():
        predict, activation = _as_predict(candidate)
        maps = rise_maps(
            predict,
            x,
            n_masks=n_masks,
            grid_size=grid_size,
            p=p,
            seed=seed,
            activation=activation,
            normalize=normalize,
            axes=data.axes,
            classes=classes,
            sample_ids=data.sample_ids,
            progress=progress,
        )
        profiles[name] = maps.class_profiles(truth)
    predictors = {name: _as_predict(candidate)[0] for name, candidate in models.items()}
    table = background_category_analysis(
        predictors, x, truth, profiles, fractions=fractions, unit=unit, progress=progress
    )
    summary = background_categories(table, min_drop=min_drop)
    with atomic_directory(out, overwrite=overwrite) as tmp:
        write_csv(table, tmp / "background.csv")
        write_csv(summary, tmp / "background_summary.csv")
        save_figure(plot_background(table), tmp / "background.png")
        (tmp / "params.json").write_text(
            json.dumps(
                {
                    "n_masks": n_masks,
                    "grid_size": grid_size,
                    "p": p,
                    "normalize": normalize,
                    "seed": seed,
                    "fractions": list(fractions),
                    "unit": unit,
                    "min_drop": min_drop,
                    "models": list(models),
                    "samples": data.sample_ids,
                },
                indent=2,
            )
        )
    return table, summary


def planted_peak_recall(
    regions: pd.DataFrame,
    planted: pd.DataFrame,
    *,
    rt_tolerance: float = 0.0,
    mz_tolerance: float = 0.0,
) -> tuple[float, pd.DataFrame]:
    """Share of planted peaks that fall inside a top region of their own class.

    A peak ``(label, rt, mz)`` is found when some region of class ``label`` spans it, the
    region's RT and m/z ranges widened by the tolerances (e.g. the batches' RT shifts and
    one bin).

    Returns
    -------
    (recall, planted table with a ``found`` column)

    Examples
    --------
    >>> regions = pd.DataFrame({"class": ["a", "b"], "rt_start": [1.0, 3.0], "rt_end": [1.5, 3.2],
    ...                         "mz_start": [100.0, 300.0], "mz_end": [120.0, 310.0]})
    >>> planted = pd.DataFrame({"label": ["a", "b"], "rt": [1.6, 5.0], "mz": [110.0, 305.0]})
    >>> recall, table = planted_peak_recall(regions, planted, rt_tolerance=0.2)
    >>> recall, table["found"].tolist()
    (0.5, [True, False])
    """
    found = []
    for row in planted.itertuples(index=False):
        own = regions[regions["class"] == row.label]
        hit = (
            (own["rt_start"] - rt_tolerance <= row.rt)
            & (row.rt <= own["rt_end"] + rt_tolerance)
            & (own["mz_start"] - mz_tolerance <= row.mz)
            & (row.mz <= own["mz_end"] + mz_tolerance)
        )
        found.append(bool(hit.any()))
    table = planted.assign(found=found)
    return (float(np.mean(found)) if found else float("nan")), table
