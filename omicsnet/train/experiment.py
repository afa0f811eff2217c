"""Run a training experiment from a config: data → split → scale → model → train → test → save.

This is what ``omicsnet train --config FILE`` and ``omicsnet demo`` call. A config has
four sections::

    model:                      # a registered model and its options
      name: mlp
      config: {hidden: [64, 32], dropout: 0.1}
    data:                       # a registered dataset, or your own tables
      dataset: synthetic_omics  #   (or: features: x.csv, targets: y.csv, task: regression)
      params: {n_samples: 400}
      split: {val: 0.15, test: 0.15, seed: 0}
      standardize: true         # fitted on the training samples only
    trainer: {max_epochs: 60, batch_size: 32, lr: 0.001, early_stopping: 10}
    output: runs/demo           # relative to the config's folder

Input and output sizes (``in_features``/``out_features``) and feature names come from the
data unless the model config sets them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omicsnet.config import check_keys, resolve_config_path
from omicsnet.errors import ConfigError, OutputExistsError
from omicsnet.utils.io import atomic_write_text, write_csv
from omicsnet.utils.output import check_output_dir, output_dir, read_marker

logger = logging.getLogger(__name__)

SECTIONS = {"model", "data", "trainer", "output", "seed"}
DATA_KEYS = {
    "dataset",
    "params",
    "features",
    "targets",
    "task",
    "split",
    "standardize",
    "transpose",
}
TRAINER_KEYS = {
    "max_epochs",
    "batch_size",
    "optimizer",
    "lr",
    "weight_decay",
    "optimizer_kwargs",
    "scheduler",
    "scheduler_kwargs",
    "grad_clip",
    "precision",
    "device",
    "seed",
    "deterministic",
    "early_stopping",
    "monitor",
    "mode",
    "restore_best",
    "progress",
    "num_workers",
    "shuffle",
    "drop_last",
    "sync_batchnorm",
}


@dataclass
class ExperimentResult:
    """Outcome of :func:`run_experiment`."""

    output_dir: Path
    model_dir: Path
    history: pd.DataFrame
    test_metrics: dict[str, float]
    best_epoch: int | None
    model: Any = field(repr=False, default=None)


def run_experiment(
    config: dict[str, Any],
    *,
    base_dir: str | os.PathLike[str] = ".",
    output: str | os.PathLike[str] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    data_dir: str | None = None,
    progress: bool | None = None,
) -> ExperimentResult:
    """Train and evaluate a model as described by ``config`` (see the module docstring).

    Parameters
    ----------
    config
        The parsed config (see :func:`omicsnet.config.load_config`).
    base_dir
        Folder that relative paths in the config are resolved against.
    output
        Output folder; overrides ``config["output"]`` and may be anywhere.
    resume
        Continue an interrupted run in the same output folder.
    overwrite
        Replace an existing output folder's run.
    data_dir
        Data directory for ``data:`` paths and real datasets.
    progress
        Override the trainer's progress bar setting.

    Returns
    -------
    ExperimentResult
        Paths written, the history, the test metrics and the trained model.

    Examples
    --------
    >>> import tempfile
    >>> config = {"model": {"name": "mlp", "config": {"hidden": [16]}},
    ...           "data": {"dataset": "synthetic_omics",
    ...                    "params": {"n_samples": 80, "n_genes": 20, "n_proteins": 5}},
    ...           "trainer": {"max_epochs": 2, "progress": False}}
    >>> result = run_experiment(config, output=tempfile.mkdtemp() + "/run")
    >>> sorted(result.test_metrics)
    ['loss', 'mse', 'pearson', 'r2']
    """
    from omicsnet.data.datasets import ArrayDataset
    from omicsnet.models.registry import check_model_size, create_model
    from omicsnet.train.distributed import is_main_process
    from omicsnet.train.trainer import Trainer

    check_keys(config, SECTIONS, "config")
    out_dir = _output_dir(config, base_dir, output)
    if is_main_process():  # under torchrun, rank 0 checks and claims the folder
        if read_marker(out_dir) is not None and not (resume or overwrite):
            raise OutputExistsError(
                f"output folder {out_dir} already holds a run; use --resume to continue it or "
                "--overwrite to replace what omicsnet wrote there"
            )
        check_output_dir(out_dir, overwrite=overwrite, resume=resume)  # yours: refused
    seed = int(config.get("seed", 0))
    data_cfg = dict(config.get("data") or {})
    check_keys(data_cfg, DATA_KEYS, "data")
    table = _load_data(data_cfg, base_dir, data_dir)

    split_cfg = dict(data_cfg.get("split") or {})
    check_keys(split_cfg, {"val", "test", "seed"}, "data.split")
    from omicsnet.data.splits import train_val_test_split

    stratify = table.y.iloc[:, 0].to_numpy() if table.task == "classification" else None
    train_idx, val_idx, test_idx = train_val_test_split(
        len(table.x),
        val=float(split_cfg.get("val", 0.15)),
        test=float(split_cfg.get("test", 0.15)),
        seed=int(split_cfg.get("seed", seed)),
        stratify=stratify,
    )
    x = table.x
    if data_cfg.get("standardize", True):
        from omicsnet.data.scaling import Standardizer

        scaler = Standardizer().fit(x.iloc[train_idx])
        x = scaler.transform(x)
    datasets = {
        name: ArrayDataset(
            x.iloc[idx],
            table.y.iloc[idx],
        )
        for name, idx in (("train", train_idx), ("val", val_idx), ("test", test_idx))
    }

    model_cfg = config.get("model") or {}
    if isinstance(model_cfg, str):
        model_cfg = {"name": model_cfg}
    check_keys(model_cfg, {"name", "config"}, "model")
    if "name" not in model_cfg:
        raise ConfigError("model.name is required (see `omicsnet models`)")
    options = dict(model_cfg.get("config") or {})
    n_out = len(table.classes) if table.task == "classification" else table.y.shape[1]
    options.setdefault("in_features", x.shape[1])
    options.setdefault("out_features", n_out)
    if model_cfg["name"] == "mlp":
        options.setdefault("task", table.task)
    outputs = table.classes if table.task == "classification" else list(table.y.columns)
    import torch

    check_model_size(model_cfg["name"], options)  # a config file must not allocate gigabytes
    torch.manual_seed(seed)
    model = create_model(
        model_cfg["name"], input_features=list(x.columns), output_features=outputs, **options
    )

    trainer_cfg = dict(config.get("trainer") or {})
    check_keys(trainer_cfg, TRAINER_KEYS, "trainer")
    if progress is not None:
        trainer_cfg["progress"] = progress
    trainer_cfg.setdefault("seed", seed)
    trainer = Trainer(checkpoint_dir=out_dir / "checkpoints", overwrite=overwrite, **trainer_cfg)
    has_val = len(val_idx) > 0
    folder = (  # under torchrun, only rank 0 claims the folder and writes
        output_dir(out_dir, overwrite=overwrite, resume=resume, command="omicsnet train")
        if is_main_process()
        else contextlib.nullcontext(out_dir)
    )
    with folder:
        fit = trainer.fit(
            model, datasets["train"], datasets["val"] if has_val else None, resume=resume
        )
        test_metrics = trainer.evaluate(fit.model, datasets["test"]) if len(test_idx) else {}
        if is_main_process():
            splits = (train_idx, val_idx, test_idx)
            _write_outputs(config, out_dir, fit, model_cfg["name"], table, test_metrics, splits)
    model_dir = out_dir / "model"
    return ExperimentResult(
        out_dir, model_dir, fit.history, test_metrics, fit.best_epoch, fit.model
    )


def _write_outputs(
    config: dict[str, Any],
    out_dir: Path,
    fit: Any,
    model_name: str,
    table: Any,
    test_metrics: dict[str, float],
    splits: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    from omicsnet.models.serialization import save

    train_idx, val_idx, test_idx = splits
    save(
        fit.model,
        out_dir / "model",
        overwrite=True,
        metadata={
            "best_epoch": fit.best_epoch,
            "test_metrics": test_metrics,
            "n_train": len(train_idx),
            "n_val": len(val_idx),
            "n_test": len(test_idx),
        },
    )
    write_csv(fit.history, out_dir / "history.csv")
    summary = {
        "model": model_name,
        "task": table.task,
        "best_epoch": fit.best_epoch,
        "epochs_run": len(fit.history),
        "stopped_early": fit.stopped_early,
        "test_metrics": test_metrics,
        "samples": {"train": len(train_idx), "val": len(val_idx), "test": len(test_idx)},
        "test_samples": [table.x.index[i] for i in test_idx],
    }
    atomic_write_text(out_dir / "metrics.json", json.dumps(_finite(summary), indent=2))
    atomic_write_text(out_dir / "config.json", json.dumps(config, indent=2, default=str))


def output_folder_of(
    config: dict[str, Any], base_dir: str | os.PathLike[str], output: Any = None
) -> Path:
    """The output folder a run of ``config`` writes (``output``, else the config's own).

    Examples
    --------
    >>> output_folder_of({"output": "runs/a"}, "/study").as_posix()
    '/study/runs/a'
    """
    return _output_dir(config, base_dir, output)


def _output_dir(config: dict[str, Any], base_dir: str | os.PathLike[str], output: Any) -> Path:
    if output is not None:
        return Path(output)
    if "output" not in config:
        raise ConfigError("the config has no 'output' folder; add one or pass --output DIR")
    return resolve_config_path(str(config["output"]), base_dir, key="output")


def _load_data(cfg: dict[str, Any], base_dir: Any, data_dir: str | None) -> Any:
    from omicsnet.data.datasets import align_samples
    from omicsnet.data.registry import TabularData, load_dataset
    from omicsnet.data.tables import read_table

    if "dataset" in cfg:
        if "features" in cfg or "targets" in cfg:
            raise ConfigError("data: give either 'dataset' or 'features'/'targets', not both")
        params = dict(cfg.get("params") or {})
        if data_dir is not None and _accepts_data_dir(cfg["dataset"]):
            params.setdefault("data_dir", data_dir)
        return load_dataset(cfg["dataset"], **params)
    if "features" not in cfg or "targets" not in cfg:
        raise ConfigError("data: give 'dataset', or both 'features' and 'targets' tables")
    task = cfg.get("task", "regression")
    if task not in ("regression", "classification"):
        raise ConfigError(f"data.task must be 'regression' or 'classification', got {task!r}")
    transpose = bool(cfg.get("transpose", False))
    x = read_table(
        resolve_config_path(cfg["features"], base_dir, key="data.features", data_dir=data_dir),
        transpose=transpose,
    )
    y_path = resolve_config_path(cfg["targets"], base_dir, key="data.targets", data_dir=data_dir)
    y = read_table(y_path, transpose=transpose, numeric=task == "regression")
    y = align_samples(x, y, "features", "targets")
    classes: list[str] = []
    if task == "classification":
        if y.shape[1] != 1:
            raise ConfigError(f"{y_path}: a classification target table needs one label column")
        labels = y.iloc[:, 0].astype(str)
        classes = sorted(labels.unique())
        y = (
            labels.map({c: i for i, c in enumerate(classes)})
            .astype(np.int64)
            .to_frame(y.columns[0])
        )
    return TabularData(x, y, task, f"tables {cfg['features']} → {cfg['targets']}", classes)


def _accepts_data_dir(name: str) -> bool:
    import inspect

    from omicsnet.data.registry import _DATASETS, _ensure_builtins

    _ensure_builtins()
    entry = _DATASETS.get(name)
    return entry is not None and "data_dir" in inspect.signature(entry[0]).parameters


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
