"""LC-MS study analyses from files to tables and figures (the ``omicsnet lcms``/``explain`` CLI).

* :func:`batch_effects` — batch vs class association through a saved model's layers
  (:mod:`omicsnet.explain.layer_mixing`), from labelled inputs with a batch column;
* :func:`whitelist_ablation` — cross-validate the same ensemble on the full matrices and
  on matrices reduced to an m/z whitelist (:mod:`omicsnet.ms.whitelist`), same folds;
* :func:`overlay` — annotated features over saved RISE/CAM maps
  (:mod:`omicsnet.explain.overlay`).

Inputs are read by :func:`omicsnet.ms.arrays.load_lcms_arrays` (``.npy`` arrays,
converted ``.npz`` matrices or mzML runs, joined to the label table by sample ID).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError, DataError

logger = logging.getLogger(__name__)

_TRUE = {"1", "true", "yes", "y", "qc", "reference", "ref"}
_FALSE = {"0", "false", "no", "n", "", "sample", "nan"}


def _column_for_samples(label_path: Path, column: str, sample_ids: Sequence[str]) -> pd.Series:
    """One column of the label table, aligned to ``sample_ids`` (every gap named)."""
    from omicsnet.ms.arrays import read_labels

    values = read_labels(label_path, label_column=column)
    missing = [s for s in sample_ids if s not in values.index]
    if missing:
        raise DataError(
            f"{label_path}: no {column!r} value for {len(missing)} sample(s): {missing[:10]}"
        )
    return values.reindex(list(sample_ids))


def _flags(values: pd.Series, column: str, where: Path) -> np.ndarray:
    text = values.astype(str).str.strip().str.lower()
    bad = sorted(set(text) - _TRUE - _FALSE)
    if bad:
        raise DataError(
            f"{where}: column {column!r} should mark reference/QC samples with yes/no "
            f"(or true/false, 1/0, qc/sample); found {bad}"
        )
    return text.isin(_TRUE).to_numpy()


def _single_model(model_dir: str | os.PathLike[str], member: int) -> Any:
    from omicsnet.models.ensemble import Ensemble
    from omicsnet.models.serialization import load

    model = load(model_dir)
    if isinstance(model, Ensemble):
        if not 0 <= member < len(model.members):
            raise ConfigError(
                f"{model_dir} has {len(model.members)} members; member {member} does not exist"
            )
        return model.members[member]
    return model


def batch_effects(
    model_dir: str | os.PathLike[str],
    inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    labels: str | os.PathLike[str] = "labels.csv",
    batch_column: str = "batch",
    reference_column: str | None = None,
    member: int = 0,
    layers: Sequence[str] | None = None,
    n_components: int = 10,
    standardize: bool = False,
    k: int = 10,
    perplexity: float = 30.0,
    binning: Any = None,
    cache_dir: str | os.PathLike[str] | None = None,
    workers: int = 2,
    overwrite: bool = False,
    progress: bool = True,
) -> Any:
    """Score batch vs class association at each layer of a saved model; write tables and plots.

    Parameters
    ----------
    model_dir
        A saved model, or an ensemble (then member ``member`` is probed).
    inputs
        Folder or files of labelled inputs (see ``load_lcms_arrays``).
    out
        Output folder: ``scores.csv``, ``scores_wide.csv``, ``pca.csv``,
        ``association_by_depth.png``, ``pca_by_layer.png``.
    labels
        The label table (``file``, ``label`` and the batch column; relative paths are
        looked for in the input folder first).
    batch_column
        Column of the batch labels.
    reference_column
        Optional yes/no column marking reference/QC samples: adds the input scored after
        reference-sample normalisation.
    member, layers, n_components, standardize, k, perplexity
        See :func:`omicsnet.explain.layer_mixing.layer_mixing`.
    binning, cache_dir, workers
        mzML inputs only: conversion settings; default binning: the one the model was
        trained with.
    overwrite
        Replace an existing output folder's files.
    progress
        Show progress bars.

    Returns
    -------
    LayerMixingResult
    """
    from omicsnet.explain.layer_mixing import layer_mixing
    from omicsnet.lcms.workflows import saved_input_record
    from omicsnet.ms.arrays import _label_path, load_lcms_arrays
    from omicsnet.utils.output import check_output_dir

    target = Path(out)
    check_output_dir(target, overwrite=overwrite)  # before any work

    if binning is None:
        binning = saved_input_record(model_dir).get("binning")
    data = load_lcms_arrays(
        inputs, labels, binning=binning, cache_dir=cache_dir, workers=workers, progress=progress
    )
    label_path = _label_path(inputs, labels)
    batches = _column_for_samples(label_path, batch_column, data.sample_ids)
    reference = None
    if reference_column:
        reference = _flags(
            _column_for_samples(label_path, reference_column, data.sample_ids),
            reference_column,
            label_path,
        )
    model = _single_model(model_dir, member)
    result = layer_mixing(
        model,
        data.x,
        batches.to_numpy(),
        data.labels.to_numpy(),
        layers=layers,
        reference=reference,
        sample_ids=data.sample_ids,
        n_components=n_components,
        standardize=standardize,
        k=k,
        perplexity=perplexity,
        progress=progress,
    )
    result.save(target, overwrite=overwrite)
    return result


def _mz_edges(data: Any, mz_edges: Sequence[float] | None) -> np.ndarray:
    from omicsnet.ms.whitelist import mz_edges_from_centres

    n_mz = data.x.shape[-1]
    if mz_edges is not None:
        edges = np.asarray(mz_edges, dtype=float)
    elif data.axes and "mz_edges" in data.axes:
        edges = np.asarray(data.axes["mz_edges"], dtype=float)
    elif data.axes and "mz" in data.axes:
        edges = mz_edges_from_centres(data.axes["mz"])
    else:
        raise ConfigError(
            "the inputs carry no m/z axis (plain .npy arrays): give the m/z bin edges "
            "(CLI: --mz-start and --mz-step)"
        )
    if len(edges) != n_mz + 1:
        raise DataError(f"{len(edges)} m/z edges for {n_mz} m/z columns (need {n_mz + 1})")
    return edges


def whitelist_ablation(
    data: Any,
    targets: Sequence[float],
    *,
    ppm: float = 10.0,
    mz_edges: Sequence[float] | None = None,
    builder_config: Mapping[str, Any] | None = None,
    n_splits: int | str = 3,
    n_models: int = 3,
    lrs: float | Sequence[float] | None = None,
    trainer_kwargs: Mapping[str, Any] | None = None,
    seed: int = 0,
    n_boot: int = 1000,
) -> pd.DataFrame:
    """Cross-validated metrics on the full matrices vs only the whitelisted m/z columns.

    Both runs use the same folds, members, seeds and trainer settings; only the input
    differs (non-whitelisted m/z columns set to 0).

    Parameters
    ----------
    data
        An :class:`~omicsnet.ms.arrays.LCMSArrays` (or any labelled
        ``ArrayDataset`` whose last axis is m/z).
    targets
        Target m/z values (e.g. ``whitelist_targets(...)["mz"]``).
    ppm
        Window half-width around each target.
    mz_edges
        The m/z bin edges of the inputs' columns; default from ``data.axes``.
    builder_config
        Ensemble member recipe (default: a small ``lcms_densenet``).
    n_splits, n_models, lrs, trainer_kwargs, seed
        As for :func:`~omicsnet.train.ensemble.cross_validate_ensemble`.
    n_boot
        Bootstrap resamples for the confidence intervals.

    Returns
    -------
    pandas.DataFrame
        Columns ``input`` (``"full"``/``"whitelist"``), ``metric``, ``estimate``,
        ``ci_lower``, ``ci_upper``, ``mz_columns_kept``; ``attrs["kept"]`` holds the mask.
    """
    import torch

    from omicsnet.data.datasets import ArrayDataset
    from omicsnet.ms.whitelist import apply_whitelist, whitelist_columns
    from omicsnet.train.ensemble import cross_validate_ensemble
    from omicsnet.train.metrics import classification_report

    edges = _mz_edges(data, mz_edges)
    keep = whitelist_columns(edges, targets, ppm=ppm)
    if not keep.any():
        raise DataError(
            f"no m/z column lies within {ppm} ppm of the {len(targets)} whitelist target(s) "
            f"(the inputs cover m/z {edges[0]:.4f}-{edges[-1]:.4f})"
        )
    logger.info("whitelist keeps %d of %d m/z columns", int(keep.sum()), keep.size)
    config = builder_config or {
        "model": "lcms_densenet",
        "config": {
            "n_classes": len(data.class_names),
            "input_size": list(data.x.shape[-2:]),
            "block_config": [2, 2, 2],
            "growth_rate": 8,
            "init_features": 16,
        },
    }
    x = data.tensors["x"]
    y = data.tensors["y"]
    rows = []
    for name, inputs in (("full", x), ("whitelist", apply_whitelist(x, keep))):
        cv = cross_validate_ensemble(
            config,
            ArrayDataset(inputs, y),
            n_splits=n_splits,
            n_models=n_models,
            lrs=lrs,
            trainer_kwargs=trainer_kwargs,
            class_names=data.class_names,
            seed=seed,
        )
        report = classification_report(
            y.numpy() if isinstance(y, torch.Tensor) else y,
            cv.proba,
            class_names=data.class_names,
            n_boot=n_boot,
            seed=seed,
        )
        summary = report.summary.reset_index()
        summary.insert(0, "input", name)
        summary["mz_columns_kept"] = int(keep.sum()) if name == "whitelist" else keep.size
        rows.append(summary)
    table = pd.concat(rows, ignore_index=True)
    table.attrs["kept"] = keep
    return table


def overlay(
    maps_path: str | os.PathLike[str],
    features: str | os.PathLike[str] | pd.DataFrame,
    out: str | os.PathLike[str],
    *,
    sample: str | int | None = None,
    classes: Sequence[str] | None = None,
    top: int = 10,
    quantile: float = 0.99,
    columns: Mapping[str, str] | None = None,
    rt_unit: str = "auto",
    overwrite: bool = False,
) -> pd.DataFrame:
    """Annotated features over saved maps: ``overlay_hits.csv`` and ``overlay.png``.

    Parameters
    ----------
    maps_path
        A saved :class:`~omicsnet.explain.maps.SaliencyMap` (``class_profiles.npz`` of
        ``omicsnet explain rise``) or :class:`~omicsnet.explain.maps.SaliencyBatch`
        (``rise_maps.npz``; then give ``sample``), or the folder holding them (class
        profiles are used).
    features
        Feature table (MS-DIAL, MZmine, XCMS or MAF export; see
        :func:`~omicsnet.ms.feature_tables.read_annotated_features`).
    out
        Output folder.
    sample
        Sample ID or index, for per-sample maps.
    classes, top, quantile
        See :func:`~omicsnet.explain.overlay.overlay_features`.
    columns, rt_unit
        See :func:`~omicsnet.ms.feature_tables.read_annotated_features`.
    overwrite
        Replace existing output files.
    """
    from omicsnet.explain.maps import SaliencyBatch, SaliencyMap
    from omicsnet.explain.overlay import overlay_features, plot_overlay
    from omicsnet.ms.feature_tables import read_annotated_features
    from omicsnet.utils.io import write_csv
    from omicsnet.utils.output import check_output_dir, check_output_file, output_dir
    from omicsnet.utils.plotting import save_figure

    source = Path(maps_path)
    if source.is_dir():
        source = source / "class_profiles.npz"
    if not source.is_file():
        raise DataError(f"no saved maps at {source}")
    target = Path(out)
    outputs = [target / "overlay_hits.csv", target / "overlay.png"]
    # added beside earlier omicsnet results (e.g. the RISE maps) in a folder of omicsnet's
    check_output_dir(target, resume=True)
    for path in outputs:
        check_output_file(path, overwrite=overwrite)
    try:
        smap = SaliencyMap.load(source)
    except DataError:  # not a single map: a batch of per-sample maps (else this raises)
        batch = SaliencyBatch.load(source)
        if sample is None:
            raise ConfigError(
                f"{source} holds maps of {len(batch)} samples: choose one with --sample"
            ) from None
        ids = list(batch.sample_ids or [])
        if str(sample) in ids:
            smap = batch[str(sample)]
        elif str(sample).isdigit() and int(sample) < len(batch):
            smap = batch[int(sample)]
        else:
            raise DataError(f"sample {sample!r} not in {source} (samples: {ids[:10]})") from None
    table = read_annotated_features(features, columns=dict(columns or {}), rt_unit=rt_unit)
    hits = overlay_features(smap, table, classes=classes, top=top, quantile=quantile)
    with output_dir(target, resume=True, command="omicsnet lcms overlay"):
        # the map's numbers rounded; the feature table's own columns as they were
        write_csv(hits, outputs[0], columns=["score", "percentile"], overwrite=overwrite)
        save_figure(
            plot_overlay(smap, hits, classes=classes, top=top, quantile=quantile),
            outputs[1],
            overwrite=overwrite,
        )
    return hits
