"""A scvi-tools-like façade over the zoo: ``Model(adata).train().predict()``.

:class:`OmicsFacade` wraps a zoo model (built by :func:`~omicsnet.models.create_model`),
the shared :class:`~omicsnet.train.Trainer` and the saved-model format around an
AnnData or MuData object, the way ``scvi.model.SCVI(adata)`` does:

>>> import numpy as np, pandas as pd, anndata
>>> rng = np.random.default_rng(0)
>>> obs = pd.DataFrame({"subtype": np.repeat(["A", "B"], 30)},
...                    index=[f"s{i}" for i in range(60)])
>>> x = rng.normal(size=(60, 8)) + (obs["subtype"] == "B").to_numpy()[:, None]
>>> adata = anndata.AnnData(x, obs=obs)
>>> model = OmicsFacade(adata, targets="subtype", hidden=[16])
>>> model.train(max_epochs=20)                                 # doctest: +ELLIPSIS
<...OmicsFacade object at ...>
>>> model.predict().iloc[:2].tolist()                          # predicted classes
['A', 'A']
>>> model.predict(return_proba=True).shape
(60, 2)

* the **inputs** are ``X`` (or a ``layer``) of an AnnData, or the modalities of a MuData
  (joined with :func:`omicsnet.data.omics.join_omics` and its ``missing_modality``
  policy); the **targets** are ``obs`` columns (classes when they are not numbers, else
  one regression target per column); samples without a target are not trained on;
* :meth:`train` splits off validation samples (stratified for classes), fits the
  standardisation on the training samples only, and trains with the trainer settings
  given (early stopping on the validation loss by default);
* :meth:`predict` returns classes (or probabilities) or values per sample;
  :meth:`get_latent_representation` the code the model's head reads (``model.latent``);
* :meth:`save` writes a folder: the model in omicsnet's format (``model/``) plus
  ``facade.json`` (targets, classes, scaling, data settings); :meth:`load` reads it back
  for new data; nothing in it is executed;
* :meth:`write` puts the results into a **new** ``.h5ad``/``.h5mu`` file
  (:func:`omicsnet.data.anndata_io.write_results`): latent in ``obsm``, predictions in
  ``obs`` (and ``obsm`` for probabilities or values), run metadata in ``uns``.

Families subclass it for their models (``omicsnet.kcae.facade.KCAEModel``,
``omicsnet.t2p.facade.T2PModel``, ``omicsnet.multiomics.facade.MultiOmicsModel``) and
override only what differs: the inputs, the scaling, the training objective, the latent.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from omicsnet.errors import CheckpointError, ConfigError, DataError, shown

logger = logging.getLogger(__name__)

FACADE_FILE = "facade.json"
FACADE_FORMAT = "omicsnet-facade"
FACADE_VERSION = 1


def _is_mudata(data: Any) -> bool:
    return hasattr(data, "mod") and hasattr(data, "obs")


def _as_container(data: Any) -> Any:
    if isinstance(data, (str, os.PathLike)):
        from omicsnet.data.anndata_io import read_container

        return read_container(data)
    if not hasattr(data, "obs"):
        raise ConfigError(
            f"expected an AnnData or MuData object (or the path of its file), got "
            f"{type(data).__name__}"
        )
    return data


class OmicsFacade:
    """A zoo model around an AnnData/MuData object (see the module docstring).

    Parameters
    ----------
    data
        An AnnData or MuData object, or the path of its ``.h5ad``/``.h5mu`` file.
    targets
        ``obs`` column(s) to predict; ``None`` for models trained without targets.
    task
        ``"classification"`` or ``"regression"``; default: classification when the
        (single) target column holds text or categories, else regression.
    layer
        Read this layer instead of ``X`` (of every modality, for a MuData).
    modalities
        For a MuData: the modalities to use, in this order (default: all, by name).
    missing_modality
        For a MuData: ``"drop"``, ``"impute"`` or ``"error"`` (see
        :mod:`omicsnet.data.omics`).
    model
        Registered model name (default: the class's :attr:`default_model`).
    **model_options
        Options of the model (sizes and the task are filled in from the data).
    """

    #: Registered model built by default.
    default_model: ClassVar[str] = "mlp"
    #: Trainer settings under the user's (see :func:`omicsnet.train.defaults.make_trainer`).
    trainer_defaults: ClassVar[dict[str, Any]] = {
        "max_epochs": 200,
        "batch_size": 32,
        "lr": 1e-3,
        "early_stopping": 20,
        "restore_best": True,
        "progress": False,
    }
    #: Regression: train on standardised targets (training samples' mean and SD) and
    #: return predictions in the targets' own units.
    scale_targets: ClassVar[bool] = True

    def __init__(
        self,
        data: Any,
        *,
        targets: str | Sequence[str] | None = None,
        task: str | None = None,
        layer: str | None = None,
        modalities: Sequence[str] | None = None,
        missing_modality: str = "drop",
        model: str | None = None,
        **model_options: Any,
    ) -> None:
        # the file the data came from: write() never rewrites it
        self.source = data if isinstance(data, (str, os.PathLike)) else None
        self.data = _as_container(data)
        self.targets = [targets] if isinstance(targets, str) else list(targets or [])
        self.layer = layer
        self.modalities = list(modalities) if modalities is not None else None
        self.missing_modality = missing_modality
        self.model_name = model or self.default_model
        self.model_options = dict(model_options)
        self.classes: list[str] = []
        self.scaler_state: dict[str, Any] = {}
        self.history: pd.DataFrame | None = None
        self.is_trained = False
        x, self.blocks = self._inputs(self.data)
        self.feature_names = list(x.columns)
        self.task = task or self._infer_task()
        if self.task not in ("classification", "regression"):
            raise ConfigError(f"task must be 'classification' or 'regression', got {task!r}")
        if self.task == "classification":
            self.classes = self._class_names(self._target_frame(self.data))
        self.module = self._build_module(x)

    # ------------------------------------------------------------------ hooks
    def _inputs(self, data: Any) -> tuple[pd.DataFrame, list[list[Any]]]:
        """Samples × features inputs and their omics blocks (one block for an AnnData)."""
        from omicsnet.data.anndata_io import anndata_table, modality_tables
        from omicsnet.data.omics import join_omics

        if _is_mudata(data):
            joined = join_omics(
                modality_tables(data, modalities=self.modalities, layer=self.layer),
                policy=self.missing_modality,
            )
            return joined.x, joined.blocks
        frame = anndata_table(data, layer=self.layer)
        return frame, [[self.layer or "X", frame.shape[1]]]

    def _build_module(self, x: pd.DataFrame) -> Any:
        """The zoo model, sized from the data."""
        from omicsnet.models.registry import create_model, fill_data_options

        n_out = len(self.classes) if self.task == "classification" else max(1, len(self.targets))
        options = fill_data_options(
            self.model_name,
            self.model_options,
            n_inputs=x.shape[1],
            n_outputs=n_out,
            blocks=self.blocks,
            task=self.task,
        )
        outputs = self.classes if self.task == "classification" else self.targets or None
        return create_model(
            self.model_name, input_features=list(x.columns), output_features=outputs, **options
        )

    def _fit_scaler(self, x: pd.DataFrame) -> None:
        """Fit the input scaling on training samples (per feature mean and SD)."""
        from omicsnet.data.scaling import Standardizer

        scaler = Standardizer().fit(x)
        assert scaler.mean_ is not None and scaler.scale_ is not None
        self.scaler_state = {
            "kind": "standardize",
            "mean": [float(v) for v in scaler.mean_.to_numpy()],
            "scale": [float(v) for v in scaler.scale_.to_numpy()],
        }

    def _scale(self, x: pd.DataFrame) -> pd.DataFrame:
        """Apply the fitted scaling (and the training means to missing values)."""
        state = self.scaler_state
        if not state:
            return x
        mean = np.asarray(state["mean"], dtype=float)
        values = x.to_numpy(dtype=float)
        values = np.where(np.isnan(values), mean[None, :], values)  # impute: training means
        scaled = (values - mean) / np.asarray(state["scale"], dtype=float)
        return pd.DataFrame(scaled, index=x.index, columns=x.columns)

    def _fit(
        self,
        train: tuple[pd.DataFrame, pd.DataFrame | None],
        val: tuple[pd.DataFrame, pd.DataFrame | None] | None,
        unlabelled: pd.DataFrame,
        settings: dict[str, Any],
    ) -> Any:
        """Train :attr:`module` on scaled ``(inputs, targets)`` frames; the trainer's result.

        ``unlabelled`` holds the (scaled) samples without targets, for models that also
        learn from them (an autoencoder's pretraining); the base class ignores them.
        """
        from omicsnet.train.defaults import make_trainer

        if val is None:  # nothing to stop on
            settings = {**settings, "early_stopping": None}
        trainer = make_trainer(
            self.trainer_defaults, settings, model=self.module, n_train=len(train[0])
        )
        return trainer.fit(
            self.module, self._dataset(train), self._dataset(val) if val is not None else None
        )

    def _dataset(self, part: tuple[pd.DataFrame, pd.DataFrame | None]) -> Any:
        """The dataset the trainer reads for ``(inputs, targets)`` frames."""
        from omicsnet.data.datasets import ArrayDataset

        return ArrayDataset(*part)

    def _latent(self, x: Any) -> Any:
        """The latent code of a batch (``module.latent`` by default)."""
        latent = getattr(self.module, "latent", None)
        if not callable(latent):
            raise ConfigError(f"model {self.model_name!r} has no latent space (no latent() method)")
        return latent(x)

    # ------------------------------------------------------------------ data
    def _infer_task(self) -> str:
        """Classification for one column of text or categories, else regression."""
        if not self.targets:
            return "regression"
        frame = self._target_frame(self.data)
        if len(self.targets) > 1:
            return "regression"
        values = frame.iloc[:, 0].dropna()
        numeric = pd.to_numeric(values, errors="coerce")
        return "regression" if bool(numeric.notna().all()) and len(values) else "classification"

    def _target_frame(self, data: Any) -> pd.DataFrame:
        from omicsnet.data.anndata_io import obs_table

        if not self.targets:
            raise ConfigError("this model was made without targets (targets=obs column)")
        return obs_table(data, self.targets, where=type(data).__name__)

    @staticmethod
    def _class_names(frame: pd.DataFrame) -> list[str]:
        labels = frame.iloc[:, 0].dropna().astype(str)
        classes = sorted(labels.unique())
        if len(classes) < 2:
            raise DataError(
                f"obs column {shown(frame.columns[0])} has {len(classes)} class(es); "
                "classification needs two or more"
            )
        return classes

    def _features(self, data: Any) -> pd.DataFrame:
        """The data's inputs in the model's feature order (new data: the same features)."""
        cached = getattr(self, "_cached_inputs", None)
        if cached is not None and cached[0] is data:  # the training data, read once
            return cached[1]
        x = self._matching_features(data)
        self._cached_inputs = (data, x)
        return x

    def _matching_features(self, data: Any) -> pd.DataFrame:
        x, _ = self._inputs(data)
        if list(x.columns) == self.feature_names:
            return x
        missing = [f for f in self.feature_names if f not in set(x.columns)]
        if missing:
            raise DataError(
                f"{len(missing)} of the model's {len(self.feature_names)} features are not in "
                f"the data (e.g. {[str(m) for m in missing[:3]]})"
            )
        return x[self.feature_names]

    def _labelled(self, x: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        frame = self._target_frame(self.data).reindex(x.index)
        if self.task == "classification":
            labels = frame.iloc[:, 0]
            keep = labels.notna().to_numpy()
            unknown = sorted(set(labels[keep].astype(str)) - set(self.classes))
            if unknown:
                raise DataError(f"class {shown(unknown[0])} is not one of {self.classes}")
            codes = labels[keep].astype(str).map({c: i for i, c in enumerate(self.classes)})
            return x[keep], codes.astype(np.int64).to_frame(self.targets[0])
        values = frame.apply(pd.to_numeric, errors="coerce").astype(float)
        keep = values.notna().all(axis=1).to_numpy()
        return x[keep], values[keep]

    # ------------------------------------------------------------------ API
    def train(
        self,
        max_epochs: int | None = None,
        *,
        validation_size: float = 0.15,
        seed: int = 0,
        **trainer_settings: Any,
    ) -> OmicsFacade:
        """Train on the labelled samples; returns ``self`` (the history is :attr:`history`).

        Parameters
        ----------
        max_epochs
            Epochs at most (default: :attr:`trainer_defaults`).
        validation_size
            Share of samples held out for early stopping and the best epoch (stratified
            by class); 0 trains on all (no early stopping).
        seed
            Seed of the split, the weights and the batch order.
        **trainer_settings
            Any :class:`~omicsnet.train.Trainer` setting (``lr``, ``batch_size``,
            ``early_stopping``, ``device``...).
        """
        import torch

        from omicsnet.data.splits import train_val_test_split

        x_all = self._features(self.data)
        y: pd.DataFrame | None = None
        x = x_all
        if self.targets:
            x, y = self._labelled(x_all)
            if len(x) == 0:
                raise DataError(f"no sample has a value for every target column {self.targets}")
        unlabelled = x_all[~x_all.index.isin(x.index)]
        stratify = (
            y.iloc[:, 0].to_numpy() if self.task == "classification" and y is not None else None
        )
        train_idx, val_idx, _ = train_val_test_split(
            len(x), val=float(validation_size), test=0.0, seed=seed, stratify=stratify
        )
        self._fit_scaler(pd.concat([x.iloc[train_idx], unlabelled]))
        scaled = self._scale(x)
        if y is not None and self.task == "regression" and self.scale_targets:
            train_y = y.iloc[train_idx]
            sd = train_y.std(axis=0, ddof=0)
            self.scaler_state["target_mean"] = [float(v) for v in train_y.mean(axis=0)]
            self.scaler_state["target_scale"] = [float(v) if v > 1e-12 else 1.0 for v in sd]
            y = (y - np.asarray(self.scaler_state["target_mean"])) / np.asarray(
                self.scaler_state["target_scale"]
            )
        settings = dict(trainer_settings)
        if max_epochs is not None:
            settings["max_epochs"] = int(max_epochs)
        settings.setdefault("seed", seed)
        torch.manual_seed(seed)
        self.module = self._build_module(x)  # fresh weights: train() twice starts afresh

        def part(idx: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame | None]:
            return scaled.iloc[idx], None if y is None else y.iloc[idx]

        result = self._fit(
            part(train_idx),
            part(val_idx) if len(val_idx) else None,
            self._scale(unlabelled),
            settings,
        )
        self.module = result.model
        self.history = result.history
        self.is_trained = True
        return self

    def _check_trained(self) -> None:
        if not self.is_trained:
            raise ConfigError("train() the model first (or load a trained one)")

    def _scaled_inputs(self, data: Any) -> pd.DataFrame:
        self._check_trained()
        return self._scale(self._features(_as_container(data) if data is not None else self.data))

    def predict(self, data: Any = None, *, return_proba: bool = False) -> Any:
        """Predictions per sample: classes (a Series), probabilities or values (DataFrames).

        Parameters
        ----------
        data
            New AnnData/MuData with the same features (default: the training data).
        return_proba
            Classification: the class probabilities instead of the most probable class.
        """
        from omicsnet.models.inference import predict, predict_proba

        x = self._scaled_inputs(data)
        array = x.to_numpy(np.float32)
        if self.task == "classification":
            proba = pd.DataFrame(
                predict_proba(self.module, array), index=x.index, columns=self.classes
            )
            if return_proba:
                return proba
            name = f"{self.targets[0]}_predicted" if self.targets else "predicted"
            return pd.Series(
                np.asarray(self.classes)[proba.to_numpy().argmax(1)], index=x.index, name=name
            )
        values = predict(self.module, array).astype(np.float64)
        if "target_mean" in self.scaler_state:  # back to the targets' units
            values = values * np.asarray(self.scaler_state["target_scale"]) + np.asarray(
                self.scaler_state["target_mean"]
            )
        columns = self.module.output_features
        return pd.DataFrame(values, index=x.index, columns=columns)

    def get_latent_representation(self, data: Any = None) -> np.ndarray:
        """The latent code of every sample, ``(n_samples, latent width)`` (as scvi-tools)."""
        import torch

        from omicsnet.models.inference import eval_mode, iter_batches

        x = self._scaled_inputs(data)
        parts = []
        with eval_mode(self.module):
            for batch in iter_batches(torch.as_tensor(x.to_numpy(np.float32)), 256):
                parts.append(self._latent(batch).detach().cpu().float().numpy())
        return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)

    # ------------------------------------------------------------------ files
    def _settings(self) -> dict[str, Any]:
        return {
            "targets": self.targets,
            "task": self.task,
            "classes": self.classes,
            "layer": self.layer,
            "modalities": self.modalities,
            "missing_modality": self.missing_modality,
            "model": self.model_name,
            "blocks": self.blocks,
            "feature_names": self.feature_names,
            "scaler": self.scaler_state,
        }

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the trained model to a new folder: ``model/`` and ``facade.json``.

        The folder follows the output policy (:mod:`omicsnet.utils.output`): new, empty,
        or omicsnet's own with ``overwrite``.
        """
        from omicsnet.models.serialization import save
        from omicsnet.utils.output import atomic_directory

        self._check_trained()
        record = {
            "format": FACADE_FORMAT,
            "format_version": FACADE_VERSION,
            "facade": type(self).__name__,
            **self._settings(),
        }
        with atomic_directory(path, overwrite=overwrite) as tmp:
            save(self.module, tmp / "model")
            (tmp / FACADE_FILE).write_text(json.dumps(record, indent=1), encoding="utf-8")
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str], data: Any, **load_options: Any) -> OmicsFacade:
        """Read a folder written by :meth:`save`, for ``data`` (an AnnData/MuData or a path).

        The model is rebuilt from the registry (:func:`omicsnet.load`); ``facade.json`` is
        read as data. ``data`` must hold the model's features.
        """
        from omicsnet.models.serialization import load

        folder = Path(path)
        file = folder / FACADE_FILE
        if not file.is_file():
            raise CheckpointError(f"{folder} has no {FACADE_FILE}: not a saved omicsnet façade")
        try:
            record = json.loads(file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as err:
            raise CheckpointError(f"{file}: not valid JSON ({err})") from err
        if (
            record.get("format") != FACADE_FORMAT
            or int(record.get("format_version", 0)) > FACADE_VERSION
        ):
            raise CheckpointError(f"{file}: not a façade record this omicsnet can read")
        self = cls.__new__(cls)
        self.source = data if isinstance(data, (str, os.PathLike)) else None
        self.data = _as_container(data)
        self.targets = list(record.get("targets") or [])
        self.task = str(record["task"])
        self.classes = list(record.get("classes") or [])
        self.layer = record.get("layer")
        self.modalities = record.get("modalities")
        self.missing_modality = str(record.get("missing_modality", "drop"))
        self.model_name = str(record["model"])
        self.model_options = {}
        self.blocks = record.get("blocks") or []
        self.feature_names = list(record["feature_names"])
        self.scaler_state = dict(record.get("scaler") or {})
        self.history = None
        self.module = load(folder / "model", **load_options)
        self.is_trained = True
        self._restore(record)
        return self

    def _restore(self, record: Mapping[str, Any]) -> None:
        """Subclasses: read back what :meth:`_settings` added."""

    def write(
        self,
        output: str | os.PathLike[str],
        data: Any = None,
        *,
        latent_key: str | None = None,
        overwrite: bool = False,
    ) -> Path:
        """Write ``data`` (default: the training data) plus the results into a NEW file.

        Latent code → ``obsm[latent_key]`` (default ``"X_omicsnet_<model>"``; left out
        for models without one); classes → ``obs["<target>_predicted"]`` and the
        probabilities → ``obsm["<target>_proba"]``; values → ``obs["<target>_predicted"]``
        (one target) or ``obsm["omicsnet_predicted"]``; the model and settings →
        ``uns["omicsnet"]``. The input file is never rewritten.
        """
        from omicsnet._version import __version__
        from omicsnet.data.anndata_io import write_results

        source = data if data is not None else (self.source or self.data)
        container = self.data if data is None else _as_container(source)
        obsm: dict[str, Any] = {}
        obs: dict[str, Any] = {}
        layers: dict[str, Any] = {}
        index = pd.Index([str(s) for s in container.obs_names])
        try:
            latent = self.get_latent_representation(container)
        except ConfigError:
            latent = None
        x_index = self._features(container).index
        if latent is not None:
            obsm[latent_key or f"X_omicsnet_{self.model_name}"] = pd.DataFrame(
                latent, index=x_index
            )
        if self.task == "classification":
            proba = self.predict(container, return_proba=True)
            labels = pd.Series(
                np.asarray(self.classes)[proba.to_numpy().argmax(1)], index=proba.index
            )
            obs[f"{self.targets[0]}_predicted"] = labels.reindex(index).astype(object).to_numpy()
            obsm[f"{self.targets[0]}_proba"] = proba
        elif self.targets:
            values = self.predict(container)
            if values.shape[1] == 1:
                obs[f"{self.targets[0]}_predicted"] = values.iloc[:, 0].reindex(index).to_numpy()
            else:
                obsm["omicsnet_predicted"] = values
        layers.update(self._extra_layers(container))
        obs_frame = pd.DataFrame(obs, index=index) if obs else None
        missing = obs_frame is not None and len(x_index) < len(index)
        if missing:  # samples dropped for a missing omics: no prediction
            logger.warning(
                "%d samples without every omics get no prediction", len(index) - len(x_index)
            )
        uns = {
            "model": self.model_name,
            "facade": type(self).__name__,
            "omicsnet_version": __version__,
            "settings": {k: v for k, v in self._settings().items() if k != "scaler"},
        }
        return write_results(
            output,
            source if isinstance(source, (str, os.PathLike)) else container,
            obsm={k: _full(v, index) for k, v in obsm.items()},
            layers=layers,
            obs=obs_frame,
            uns=uns,
            overwrite=overwrite,
        )

    def _extra_layers(self, data: Any) -> dict[str, Any]:
        """Subclasses: samples × var results (reconstructions) for :meth:`write`."""
        return {}


def _full(frame: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """Rows for every sample of the file (NaN for those without a result)."""
    return frame.reindex(index)


__all__ = ["FACADE_FILE", "OmicsFacade"]
