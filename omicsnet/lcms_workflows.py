"""LC-MS workflows behind ``omicsnet lcms train|predict`` and ``omicsnet explain rise``.

Each joins the data layer (arrays joined to labels by file name), the zoo
(``lcms_densenet`` members of an :class:`~omicsnet.models.ensemble.Ensemble`), the shared
trainer and the explanation layer, and writes its outputs atomically.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omicsnet.utils.io import OutputExistsError, atomic_directory, atomic_write_text

logger = logging.getLogger(__name__)


def _member_config(pre_pool: int, tiny: bool) -> dict[str, Any]:
    config: dict[str, Any] = {"pre_pool": pre_pool}
    if tiny:  # a small DenseNet for smoke runs and tests
        config.update(growth_rate=4, block_config=[1, 1, 1, 1], init_features=8, bn_size=2)
    return config


def train_lcms(
    arrays: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    labels: str = "labels.csv",
    n_models: int = 3,
    lrs: list[float] | None = None,
    epochs: int = 20,
    batch_size: int = 4,
    pre_pool: int = 2,
    cv: int | str | None = None,
    augment: bool = True,
    tiny: bool = False,
    overwrite: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """Train an ensemble of ``lcms_densenet`` members on labelled arrays (or cross-validate).

    Parameters
    ----------
    arrays, labels
        Folder of ``.npy`` matrices and its label table (``file``, ``label`` columns);
        labels are joined to files by name.
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

    Returns
    -------
    dict
        A summary (samples, classes, and the CV metrics when ``cv`` is set).
    """
    from omicsnet.data.lcms_arrays import AugmentedDataset, default_augmentation, load_lcms_arrays
    from omicsnet.models.ensemble import cross_validate_ensemble, save_ensemble, train_ensemble
    from omicsnet.train.metrics import classification_report

    out = Path(out)
    if out.exists() and not overwrite:
        raise OutputExistsError(f"{out} already exists; choose another --out or add --overwrite")
    data = load_lcms_arrays(arrays, labels)  # a bare file name is looked for in ``arrays``
    builder = {
        "model": "lcms_densenet",
        "config": {"n_classes": len(data.class_names), **_member_config(pre_pool, tiny)},
    }
    rates = lrs or [1e-3 / (2**i) for i in range(n_models)]
    # drop_last: a last batch of one sample breaks batch norm in training mode
    trainer_kwargs = {
        "max_epochs": epochs,
        "batch_size": batch_size,
        "progress": progress,
        "drop_last": True,
    }
    summary: dict[str, Any] = {
        "samples": len(data),
        "classes": data.class_names,
        "counts": {c: int((data.y == i).sum()) for i, c in enumerate(data.class_names)},
    }
    if cv is not None:
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
        )
        report = classification_report(
            result.y, result.proba.to_numpy(), class_names=data.class_names
        )
        with atomic_directory(out, overwrite=overwrite) as tmp:
            report.summary.to_csv(tmp / "cv_summary.csv")
            report.per_class.to_csv(tmp / "cv_per_class.csv")
            report.confusion.to_csv(tmp / "cv_confusion.csv")
            predictions = result.proba.copy()
            predictions.insert(0, "true", [data.class_names[c] for c in result.y])
            predictions.insert(1, "fold", result.folds)
            predictions.to_csv(tmp / "cv_predictions.csv")
            result.members.to_csv(tmp / "cv_members.csv", index=False)
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
        metadata={"trained_on": str(arrays), "samples": len(data)},
    )
    return summary


def _read_inputs(arrays: str | os.PathLike[str]) -> tuple[list[str], np.ndarray]:
    folder = Path(arrays)
    files = sorted(folder.glob("*.npy"))
    if not files:
        from omicsnet.errors import DataNotFoundError

        raise DataNotFoundError(f"no .npy arrays in {folder}")
    from omicsnet.data.lcms_arrays import sample_id

    stacked = []
    for path in files:
        array = np.load(path, allow_pickle=False)
        if array.ndim == 3:  # (RT, m/z, channels) as DeepMSProfiler stores them: take one
            array = array[..., 0]
        stacked.append(array.astype(np.float32)[None])
    return [sample_id(p.name) for p in files], np.stack(stacked)


def predict_lcms(
    model_dir: str | os.PathLike[str],
    arrays: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Class probabilities of every ``.npy`` array in a folder, written as CSV.

    ``model_dir`` is a saved ensemble or a single saved model.
    """
    import torch

    from omicsnet.models.serialization import load

    model = load(model_dir)
    ids, x = _read_inputs(arrays)
    if hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(torch.from_numpy(x)))
    else:
        with torch.no_grad():
            proba = torch.softmax(model(torch.from_numpy(x)), dim=1).numpy()
    frame = pd.DataFrame(proba, index=pd.Index(ids, name="sample"), columns=model.output_features)
    frame.insert(0, "predicted", frame.columns[np.argmax(proba, axis=1)])
    atomic_write_text(out, frame.to_csv(), overwrite=overwrite)
    return frame


def explain_rise(
    model_dir: str | os.PathLike[str],
    arrays: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    n_masks: int = 1000,
    grid_size: int = 8,
    p: float = 0.1,
    top: int = 10,
    seed: int = 0,
    overwrite: bool = False,
    progress: bool = True,
) -> pd.DataFrame:
    """RISE maps of every array in a folder; maps, top regions and a figure in ``out``.

    Returns the top-region table (class, rank, score, RT range, m/z range, peak).
    """
    import torch

    from omicsnet.explain import plot_maps, rise_maps, save_figure, top_regions
    from omicsnet.models.serialization import load

    model = load(model_dir)
    ids, x = _read_inputs(arrays)
    if hasattr(model, "predict_proba"):
        activation = "none"

        def predict(batch: torch.Tensor) -> torch.Tensor:
            return torch.as_tensor(model.predict_proba(batch))
    else:
        activation, predict = "softmax", model
    maps = rise_maps(
        predict,
        torch.from_numpy(x),
        n_masks=n_masks,
        grid_size=grid_size,
        p=p,
        seed=seed,
        activation=activation,
        classes=list(model.output_features),
        sample_ids=ids,
        progress=progress,
    )
    profiles = maps.class_profiles(maps.predicted, maps.predicted)  # mean map per predicted class
    regions = top_regions(profiles, k=top)
    with atomic_directory(out, overwrite=overwrite) as tmp:
        maps.save(tmp / "rise_maps.npz")
        profiles.save(tmp / "class_profiles.npz")
        regions.to_csv(tmp / "top_regions.csv", index=False)
        save_figure(
            plot_maps([profiles], titles=["RISE class profiles"]), tmp / "class_profiles.png"
        )
        (tmp / "params.json").write_text(
            json.dumps(
                {"n_masks": n_masks, "grid_size": grid_size, "p": p, "seed": seed, "samples": ids},
                indent=2,
            )
        )
    return regions
