"""Ensembles of classifiers whose softmax probabilities are averaged (DeepMSProfiler).

DeepMSProfiler trains 18–20 DenseNet sub-models that differ only in learning rate and
seed and averages their class probabilities; the average is better calibrated than any
member and removes the "background category" of single models (a class predicted when
nothing else fits). This module provides

* :class:`Ensemble` (``"ensemble"`` in the zoo): any number of registered classifiers,
  possibly of different kinds; ``forward`` returns the **log of the averaged
  probabilities**, so ``softmax(forward(x))`` is the ensemble's prediction and the
  classification plan's cross-entropy is the ensemble's negative log-likelihood;
  :meth:`Ensemble.predict_proba` and :meth:`Ensemble.member_proba` for analysis;
* :func:`train_ensemble`: members trained one after another through the shared
  :class:`~omicsnet.train.trainer.Trainer`, each with its own seed and learning rate,
  timed (wall and CPU seconds), their batch-norm statistics recomputed on the training
  data afterwards (:func:`recalibrate_batchnorm`; without it, DenseNets trained on a
  dozen samples predict a single class in eval mode);
* :func:`cross_validate_ensemble`: out-of-fold ensemble probabilities (stratified k-fold or
  leave-one-out) for small cohorts;
* :func:`save_ensemble` / :func:`load_ensemble`: one folder holding a JSON manifest and each
  member saved by :func:`omicsnet.save` in ``member_NN/``, so single members can also be
  loaded alone. The manifest records every member file's SHA-256; loading refuses members
  that were changed, added or removed.

Being a zoo model, an ensemble also round-trips through the generic :func:`omicsnet.save`
/ :func:`omicsnet.load` (one weights file); :func:`save_ensemble` is the format to use for
trained ensembles because it keeps members loadable on their own and records their
training settings.

Examples
--------
>>> import torch
>>> from omicsnet.models import create_model
>>> ens = create_model("ensemble", members=[
...     {"model": "mlp", "config": {"in_features": 4, "out_features": 3,
...                                 "task": "classification"}}] * 2)
>>> proba = ens.predict_proba(torch.randn(5, 4))
>>> proba.shape, bool(abs(proba.sum(1) - 1).max() < 1e-6)
((5, 3), True)
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import math
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from omicsnet._version import __version__
from omicsnet.errors import CheckpointError, ConfigError
from omicsnet.models.base import OmicsModel
from omicsnet.models.registry import create_model, register_model
from omicsnet.train.plans import TrainingPlan, WeightedClassificationPlan

if TYPE_CHECKING:  # pandas loads only when an ensemble is trained (keeps the registry light)
    import pandas as pd

logger = logging.getLogger(__name__)

MANIFEST_FILE = "ensemble.json"
MANIFEST_FORMAT = "omicsnet-ensemble"
MANIFEST_VERSION = 1
_MEMBER_DIR = re.compile(r"^member_\d{2,}$")
_SPEC_KEYS = frozenset({"model", "config"})

_TINY_LCMS = {
    "growth_rate": 4,
    "block_config": [1, 1, 1, 1],
    "init_features": 8,
    "input_size": [32, 32],
}
DEFAULT_MEMBERS: tuple[dict[str, Any], ...] = (
    {"model": "lcms_densenet", "config": _TINY_LCMS},
    {"model": "lcms_densenet", "config": _TINY_LCMS},
)
"""Two tiny ``lcms_densenet`` members: the default config, small so the zoo test is fast."""


def _member_specs(members: Any) -> list[dict[str, Any]]:
    if isinstance(members, Mapping) or not isinstance(members, Sequence) or not members:
        raise ConfigError(
            "ensemble members must be a non-empty list of {'model': name, 'config': {...}}"
        )
    specs = []
    for i, spec in enumerate(members):
        if not isinstance(spec, Mapping) or "model" not in spec:
            raise ConfigError(
                f"ensemble member {i} must be a dict with a 'model' name, got {spec!r}"
            )
        unknown = sorted(set(spec) - _SPEC_KEYS)
        if unknown:
            raise ConfigError(
                f"ensemble member {i}: unknown keys {unknown} (allowed: model, config)"
            )
        config = spec.get("config") or {}
        if not isinstance(config, Mapping):
            raise ConfigError(f"ensemble member {i}: 'config' must be a dict, got {config!r}")
        specs.append({"model": str(spec["model"]), "config": dict(config)})
    return specs


@register_model("ensemble", family="ensemble")
class Ensemble(OmicsModel):
    """Average of the softmax probabilities of several classifiers (any registered ones).

    Parameters
    ----------
    members
        One ``{"model": name, "config": {...}}`` per member (the config may be partial:
        defaults fill the rest). Every member must have ``task == "classification"`` and
        the same number of classes.

    Attributes
    ----------
    members : torch.nn.ModuleList
        The member models.
    member_info : list of dict
        Per-member training record (seed, learning rate, best epoch, seconds, ...), saved
        in the manifest by :func:`save_ensemble`.

    Examples
    --------
    >>> import torch
    >>> from omicsnet.models import create_model
    >>> spec = {"model": "mlp", "config": {"in_features": 3, "out_features": 2,
    ...                                    "task": "classification"}}
    >>> ens = create_model("ensemble", members=[spec, spec, spec])
    >>> len(ens.members), ens.n_outputs
    (3, 2)
    >>> x = torch.randn(4, 3)
    >>> torch.allclose(ens(x).exp(), torch.tensor(ens.predict_proba(x)), atol=1e-6)
    True
    """

    task = "classification"

    def __init__(self, members: list[dict[str, Any]] = DEFAULT_MEMBERS) -> None:  # type: ignore[assignment]
        super().__init__()
        specs = _member_specs(members)
        self._attach([create_model(spec["model"], **spec["config"]) for spec in specs])

    def _attach(self, models: Sequence[Any]) -> None:
        self._check_members(models)
        self.members = nn.ModuleList(models)
        first = models[0]
        self.n_outputs = first.n_outputs
        same = all(m.n_inputs == first.n_inputs for m in models)
        self.n_inputs = first.n_inputs if same else None
        self.member_info: list[dict[str, Any]] = [{} for _ in models]

    @staticmethod
    def _check_members(models: Sequence[Any]) -> None:
        for i, model in enumerate(models):
            if getattr(model, "task", None) != "classification":
                raise ConfigError(
                    f"ensemble member {i} ({getattr(model, 'model_name', type(model).__name__)}) "
                    f"is not a classifier (task={getattr(model, 'task', None)!r}); ensembles "
                    "average class probabilities"
                )
        classes = {getattr(m, "n_outputs", None) for m in models}
        if len(classes) != 1 or None in classes:
            raise ConfigError(
                f"ensemble members disagree on the number of classes: {sorted(map(str, classes))}"
            )

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_members(
        cls,
        models: Sequence[OmicsModel],
        *,
        member_info: Sequence[Mapping[str, Any]] | None = None,
        output_features: Sequence[str] | None = None,
    ) -> Ensemble:
        """Make an ensemble of already built (e.g. trained) zoo models.

        The models become the ensemble's members (they are not copied). The ensemble's
        config lists each member's name and full config, so it can be rebuilt and saved.

        Parameters
        ----------
        models
            Zoo classifiers made by :func:`omicsnet.create_model` (or loaded).
        member_info
            Optional training record per member.
        output_features
            Class names; default: the members' (which must agree).

        Examples
        --------
        >>> from omicsnet.models import create_model
        >>> a = create_model("mlp", in_features=2, out_features=2, task="classification",
        ...                  output_features=["healthy", "cancer"])
        >>> b = create_model("mlp", in_features=2, out_features=2, task="classification",
        ...                  hidden=[4], output_features=["healthy", "cancer"])
        >>> ens = Ensemble.from_members([a, b])
        >>> ens.output_features, ens.members[1] is b
        (['healthy', 'cancer'], True)
        """
        models = list(models)
        if not models:
            raise ConfigError("an ensemble needs at least one member")
        for i, model in enumerate(models):
            if not getattr(model, "model_name", None) or not hasattr(model, "config"):
                raise ConfigError(f"ensemble member {i} was not made by omicsnet.create_model")
        cls._check_members(models)
        if output_features is None:
            named = [list(m._output_features) for m in models if m._output_features is not None]
            if named and any(n != named[0] for n in named):
                raise ConfigError(f"ensemble members disagree on class names: {named}")
            output_features = named[0] if named else None
        specs = [{"model": m.model_name, "config": m.config} for m in models]
        # what create_model("ensemble", members=specs) makes, without building the members anew
        ensemble = cls.__new__(cls)
        OmicsModel.__init__(ensemble)
        device = next(iter(models[0].parameters()), torch.empty(0)).device
        ensemble._attach([m.to(device) for m in models])
        ensemble.model_name = "ensemble"
        ensemble.config = {"members": json.loads(json.dumps(specs))}
        if output_features is not None:
            ensemble.set_feature_names(None, output_features)
        if member_info is not None:
            if len(member_info) != len(models):
                raise ConfigError(
                    f"{len(member_info)} member_info records for {len(models)} members"
                )
            ensemble.member_info = [dict(info) for info in member_info]
        return ensemble

    def set_feature_names(
        self,
        input_features: Sequence[str] | None = None,
        output_features: Sequence[str] | None = None,
    ) -> None:
        """Set feature names on the ensemble and on every member.

        Examples
        --------
        >>> from omicsnet.models import create_model
        >>> ens = create_model("ensemble")
        >>> ens.set_feature_names(output_features=["C", "H", "N"])
        >>> ens.members[0].output_features
        ['C', 'H', 'N']
        """
        super().set_feature_names(input_features, output_features)
        for member in self.members:
            member.set_feature_names(input_features, output_features)

    # ------------------------------------------------------------------ inference
    def member_log_proba(self, x: Any) -> Tensor:
        """Log-probabilities of every member, ``(n_members, batch, n_classes)``."""
        return torch.stack([F.log_softmax(member(x).float(), dim=-1) for member in self.members])

    def forward(self, x: Any) -> Tensor:
        """Log of the members' averaged class probabilities, ``(batch, n_classes)``."""
        log_p = self.member_log_proba(x)
        return torch.logsumexp(log_p, dim=0) - math.log(len(self.members))

    @torch.no_grad()
    def member_proba(self, x: Any, *, batch_size: int = 64) -> np.ndarray:
        """Class probabilities of each member, ``(n_members, n_samples, n_classes)``.

        ``x`` is a tensor, an array or an :class:`~omicsnet.data.datasets.ArrayDataset`
        (its ``"x"``); it is processed in batches, in eval mode.

        Examples
        --------
        >>> import torch
        >>> from omicsnet.models import create_model
        >>> ens = create_model("ensemble")
        >>> ens.member_proba(ens.example_input(3)).shape
        (2, 3, 3)
        """
        was_training = self.training
        self.eval()
        try:
            device = next(self.parameters()).device
            parts = [
                self.member_log_proba(chunk.to(device)).exp().cpu()
                for chunk in _chunks(x, batch_size)
            ]
        finally:
            self.train(was_training)
        return torch.cat(parts, dim=1).numpy()

    def predict_proba(self, x: Any, *, batch_size: int = 64) -> np.ndarray:
        """Averaged class probabilities, ``(n_samples, n_classes)`` (see :meth:`member_proba`).

        Examples
        --------
        >>> import torch
        >>> from omicsnet.models import create_model
        >>> ens = create_model("ensemble")
        >>> x = ens.example_input(3)
        >>> bool(abs(ens.predict_proba(x) - ens.member_proba(x).mean(0)).max() < 1e-6)
        True
        """
        return self.member_proba(x, batch_size=batch_size).mean(axis=0)

    def example_input(self, batch_size: int = 4, generator: torch.Generator | None = None) -> Any:
        """The first member's example input.

        Examples
        --------
        >>> from omicsnet.models import create_model
        >>> create_model("ensemble").example_input(2).shape
        torch.Size([2, 1, 32, 32])
        """
        return self.members[0].example_input(batch_size, generator=generator)

    def save(
        self,
        path: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        metadata: Mapping[str, Any] | None = None,
    ) -> Path:
        """Save as a manifest + member folders (see :func:`save_ensemble`).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from omicsnet.models import create_model
        >>> folder = create_model("ensemble").save(pathlib.Path(tempfile.mkdtemp()) / "ens")
        >>> sorted(p.name for p in folder.iterdir())
        ['.omicsnet-output.json', 'ensemble.json', 'member_00', 'member_01']
        """
        return save_ensemble(self, path, overwrite=overwrite, metadata=metadata)


def _chunks(x: Any, batch_size: int) -> list[Tensor]:
    from omicsnet.data.datasets import ArrayDataset

    if isinstance(x, ArrayDataset):
        x = x.tensors["x"]
    if not isinstance(x, Tensor):
        x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    return list(torch.split(x, max(1, int(batch_size))))


# ---------------------------------------------------------------------- save / load
def _jsonable(value: Any, where: str) -> Any:
    try:
        return json.loads(json.dumps(value, default=_plain))
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"{where} is not JSON-serialisable: {err}") from err


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def save_ensemble(
    ensemble: Ensemble,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    metadata: Mapping[str, Any] | None = None,
) -> Path:
    """Save an ensemble as ONE folder: ``ensemble.json`` + ``member_NN/`` (written atomically).

    Each member is saved by :func:`omicsnet.save` (config JSON + safetensors weights, its
    training record as metadata); the manifest lists the members in order with the SHA-256
    of each member's files, the class names and ``metadata``.

    Parameters
    ----------
    ensemble
        The ensemble to save.
    path
        Destination folder; must not exist unless ``overwrite=True`` (then it is replaced
        only once the new folder is complete).
    overwrite
        Replace an existing folder.
    metadata
        Extra JSON-serialisable provenance (data checksum, CV metrics, ...).

    Returns
    -------
    pathlib.Path
        The folder.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> from omicsnet.models import create_model
    >>> folder = save_ensemble(create_model("ensemble"), pathlib.Path(tempfile.mkdtemp()) / "e",
    ...                        metadata={"cohort": "demo"})
    >>> manifest = json.loads((folder / "ensemble.json").read_text())
    >>> manifest["n_members"], manifest["metadata"]
    (2, {'cohort': 'demo'})
    """
    from omicsnet.models.serialization import CONFIG_FILE, WEIGHTS_FILE, save
    from omicsnet.utils.io import sha256_file
    from omicsnet.utils.output import atomic_directory

    if not isinstance(ensemble, Ensemble):
        raise CheckpointError(f"save_ensemble needs an Ensemble, got {type(ensemble).__name__}")
    extra = _jsonable(dict(metadata or {}), "ensemble metadata")
    width = max(2, len(str(len(ensemble.members) - 1)))
    entries = []
    with atomic_directory(path, overwrite=overwrite) as tmp:
        for i, member in enumerate(ensemble.members):
            folder = f"member_{i:0{width}d}"
            info = _jsonable(ensemble.member_info[i], f"member_info[{i}]")
            save(member, tmp / folder, metadata={"ensemble_member": i, **info})
            entries.append(
                {
                    "folder": folder,
                    "model": member.model_name,
                    "config_sha256": sha256_file(tmp / folder / CONFIG_FILE),
                    "weights_sha256": sha256_file(tmp / folder / WEIGHTS_FILE),
                    "info": info,
                }
            )
        manifest = {
            "format": MANIFEST_FORMAT,
            "format_version": MANIFEST_VERSION,
            "omicsnet_version": __version__,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "n_members": len(entries),
            "output_features": ensemble.output_features,
            "members": entries,
            "metadata": extra,
        }
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    logger.debug("saved an ensemble of %d members to %s", len(entries), path)
    return Path(path)


def read_ensemble_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the manifest of a saved ensemble folder (checked, members not loaded).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from omicsnet.models import create_model
    >>> folder = create_model("ensemble").save(pathlib.Path(tempfile.mkdtemp()) / "e")
    >>> [m["folder"] for m in read_ensemble_manifest(folder)["members"]]
    ['member_00', 'member_01']
    """
    folder = Path(path)
    file = folder / MANIFEST_FILE
    if not file.is_file():
        raise CheckpointError(
            f"{folder} is not a saved omicsnet ensemble: {MANIFEST_FILE} is missing"
        )
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"cannot read {file}: {err}") from err
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise CheckpointError(f"{file} is not an omicsnet ensemble manifest")
    if int(manifest.get("format_version", 0)) > MANIFEST_VERSION:
        raise CheckpointError(
            f"{folder} was saved in ensemble format {manifest['format_version']}, newer than "
            f"this omicsnet ({__version__}) reads; upgrade omicsnet"
        )
    members = manifest.get("members")
    if not isinstance(members, list) or not members:
        raise CheckpointError(f"{file} lists no members")
    if manifest.get("n_members") != len(members):
        raise CheckpointError(
            f"{file} says n_members={manifest.get('n_members')} but lists {len(members)}"
        )
    for entry in members:
        name = entry.get("folder") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not _MEMBER_DIR.match(name):
            raise CheckpointError(f"{file}: invalid member folder entry {entry!r}")
    return manifest


def load_ensemble(
    path: str | os.PathLike[str], *, device: str = "cpu", verify_checksum: bool = True
) -> Ensemble:
    """Load an ensemble saved by :func:`save_ensemble`, verifying every member (eval mode).

    Parameters
    ----------
    path
        The ensemble folder.
    device
        Where to put the weights (``"cpu"``, ``"cuda"``, ``"auto"``).
    verify_checksum
        Compare each member's files with the SHA-256 in the manifest (and its weights with
        its own metadata).

    Raises
    ------
    CheckpointError
        Missing manifest; a member folder missing, unlisted or changed since saving; a
        member of another model kind or other classes than recorded.

    Examples
    --------
    >>> import tempfile, pathlib, torch
    >>> from omicsnet.models import create_model
    >>> ens = create_model("ensemble").eval()
    >>> folder = ens.save(pathlib.Path(tempfile.mkdtemp()) / "e")
    >>> again = load_ensemble(folder)
    >>> x = ens.example_input(3)
    >>> bool((again.predict_proba(x) == ens.predict_proba(x)).all())
    True
    """
    from omicsnet.models.serialization import CONFIG_FILE, WEIGHTS_FILE, load
    from omicsnet.utils.io import sha256_file

    folder = Path(path)
    manifest = read_ensemble_manifest(folder)
    listed = [entry["folder"] for entry in manifest["members"]]
    present = sorted(p.name for p in folder.iterdir() if p.is_dir() and _MEMBER_DIR.match(p.name))
    missing = sorted(set(listed) - set(present))
    extra = sorted(set(present) - set(listed))
    if missing or extra:
        raise CheckpointError(
            f"{folder}: member folders do not match {MANIFEST_FILE}: missing {missing}, "
            f"not listed {extra}"
        )
    models = []
    for entry in manifest["members"]:
        member_dir = folder / entry["folder"]
        if verify_checksum:
            for file_name, key in (
                (CONFIG_FILE, "config_sha256"),
                (WEIGHTS_FILE, "weights_sha256"),
            ):
                file = member_dir / file_name
                if not file.is_file():
                    raise CheckpointError(f"{file} is missing")
                if entry.get(key) and sha256_file(file) != entry[key]:
                    raise CheckpointError(
                        f"{file} does not match the checksum recorded in "
                        f"{folder / MANIFEST_FILE}: the member was changed or corrupted "
                        "after the ensemble was saved"
                    )
        model = load(member_dir, device=device, verify_checksum=verify_checksum)
        if model.model_name != entry.get("model"):
            raise CheckpointError(
                f"{member_dir} holds model {model.model_name!r}, "
                f"the manifest says {entry.get('model')!r}"
            )
        models.append(model)
    classes = manifest.get("output_features")
    for entry, model in zip(manifest["members"], models, strict=True):
        if classes is not None and model.output_features != list(classes):
            raise CheckpointError(
                f"{folder / entry['folder']} has classes {model.output_features}, the "
                f"ensemble {list(classes)}"
            )
    try:
        ensemble = Ensemble.from_members(
            models,
            member_info=[entry.get("info") or {} for entry in manifest["members"]],
            output_features=classes,
        )
    except ConfigError as err:
        raise CheckpointError(f"{folder}: {err}") from err
    return ensemble.eval()


# ---------------------------------------------------------------------- training
def balanced_class_weights(y: Any, n_classes: int | None = None) -> list[float]:
    """Class weights ``n / (n_classes * count_c)`` (scikit-learn's "balanced").

    Parameters
    ----------
    y
        Integer class codes.
    n_classes
        Number of classes (default ``max(y) + 1``).

    Raises
    ------
    ConfigError
        When a class has no sample (its weight would be infinite).

    Examples
    --------
    >>> balanced_class_weights([0, 0, 0, 1])
    [0.6666666666666666, 2.0]
    """
    codes = (
        np.asarray(torch.as_tensor(y).cpu().numpy() if isinstance(y, Tensor) else y)
        .astype(int)
        .ravel()
    )
    n = int(n_classes if n_classes is not None else codes.max() + 1)
    counts = np.bincount(codes, minlength=n)
    if (counts == 0).any():
        raise ConfigError(
            f"classes {np.flatnonzero(counts == 0).tolist()} have no training samples"
        )
    return (len(codes) / (n * counts)).tolist()


@torch.no_grad()
def recalibrate_batchnorm(
    model: nn.Module, data: Any, *, batch_size: int = 64, trainable_only: bool = False
) -> int:
    """Recompute every batch-norm layer's running statistics on ``data`` ("precise BN").

    During training the running mean and variance are exponential averages over batches
    computed with *earlier* weights. With few samples (a handful of steps per epoch) and
    fast-changing weights they lag so far behind that eval-mode predictions differ
    wildly from train-mode ones: on the 18 DeepMSProfiler runs a DenseNet that fits its
    12 training samples in train mode predicted one class for all of them in eval mode,
    and 11 of 12 correctly after recalibration. This runs the model once over ``data``
    in train mode, without gradients, and stores the exact average of the batch
    statistics; weights are unchanged.

    Parameters
    ----------
    model
        Any module; without batch-norm layers nothing happens.
    data
        An :class:`~omicsnet.data.datasets.ArrayDataset` (an augmented one's un-augmented
        ``base`` is used), a tensor or an array of inputs.
    batch_size
        Batch size of the passes (use the training batch size).
    trainable_only
        Only layers with trainable parameters; frozen ones (transfer learning) keep the
        statistics they came with.

    Returns
    -------
    int
        Number of batch-norm layers recalibrated.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> net = nn.Sequential(nn.BatchNorm2d(2))
    >>> x = torch.randn(8, 2, 3, 3) * 5 + 1
    >>> recalibrate_batchnorm(net, x, batch_size=8)
    1
    >>> torch.allclose(net[0].running_mean, x.mean((0, 2, 3)), atol=1e-5)
    True
    """
    layers = [
        m
        for m in model.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm)
        and (not trainable_only or any(p.requires_grad for p in m.parameters()))
    ]
    if not layers:
        return 0
    data = getattr(data, "base", data)
    chunks = list(_chunks(data, batch_size))
    if len(chunks) > 1 and len(chunks[-1]) == 1:  # batch norm needs >= 2 samples per batch
        chunks[-2:] = [torch.cat(chunks[-2:])]
    if sum(len(c) for c in chunks) < 2:
        logger.warning("batch-norm recalibration skipped: it needs at least 2 samples")
        return 0
    momenta = [layer.momentum for layer in layers]
    was_training = model.training
    device = next(model.parameters()).device
    try:
        for layer in layers:
            layer.reset_running_stats()
            layer.momentum = None  # cumulative average over the batches
        model.train()
        for chunk in chunks:
            model(chunk.to(device))
    finally:
        for layer, momentum in zip(layers, momenta, strict=True):
            layer.momentum = momentum
        model.train(was_training)
    return len(layers)


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
    from omicsnet.train.seeding import seed_everything
    from omicsnet.train.trainer import Trainer

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
    import pandas as pd

    table = pd.DataFrame(
        [{k: v for k, v in info.items() if k != "pretrained"} for info in infos]
    ).set_index("member")
    return EnsembleTrainResult(ensemble=ensemble, members=table, histories=histories)


def stratified_folds(y: Any, n_splits: int | str, *, seed: int = 0) -> np.ndarray:
    """Assign each sample to a fold, every class spread evenly over the folds.

    Within each class the samples are shuffled (seeded) and dealt to the folds in turn,
    continuing where the previous class stopped, so fold sizes differ by at most one.

    Parameters
    ----------
    y
        Class labels.
    n_splits
        Number of folds (2 or more, at most the number of samples), or ``"loo"``:
        one fold per sample.
    seed
        Shuffling seed.

    Returns
    -------
    numpy.ndarray
        The fold number (0-based) of each sample.

    Examples
    --------
    >>> folds = stratified_folds([0, 0, 0, 1, 1, 1], 3, seed=1)
    >>> sorted(folds[:3].tolist()), sorted(folds[3:].tolist())
    ([0, 1, 2], [0, 1, 2])
    >>> stratified_folds([0, 1, 1], "loo").tolist()
    [0, 1, 2]
    """
    labels = np.asarray(y).ravel()
    n = len(labels)
    if n_splits == "loo":
        return np.arange(n)
    if isinstance(n_splits, str) or not 2 <= int(n_splits) <= n:
        raise ConfigError(f"n_splits must be 'loo' or an integer in [2, {n}], got {n_splits!r}")
    k = int(n_splits)
    rng = np.random.default_rng(seed)
    folds = np.empty(n, dtype=np.int64)
    start = 0
    for value in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == value))
        folds[members] = (start + np.arange(len(members))) % k
        start = (start + len(members)) % k
    return folds


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
    """

    proba: pd.DataFrame
    member_proba: np.ndarray
    y: np.ndarray
    folds: np.ndarray
    members: pd.DataFrame


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
        :class:`~omicsnet.data.lcms_arrays.LCMSArrays`).
    n_splits
        Number of stratified folds, or ``"loo"`` for leave-one-out.
    augment
        Optional ``train_subset -> dataset`` (e.g. wrapping it in an
        :class:`~omicsnet.data.lcms_arrays.AugmentedDataset`).
    class_names
        Column names of ``proba``; default: ``data.class_names`` when it has them.
    seed
        Seed of the fold assignment.

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
    y = np.asarray(data.tensors["y"].cpu().numpy()).astype(int)
    fold_of = stratified_folds(y, n_splits, seed=seed)
    n_classes = None
    proba: np.ndarray | None = None
    members_proba: np.ndarray | None = None
    tables = []
    for fold in range(int(fold_of.max()) + 1):
        test_idx = np.flatnonzero(fold_of == fold)
        train_idx = np.flatnonzero(fold_of != fold)
        train = data.subset(train_idx)
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
        held = data.subset(test_idx)
        member_p = result.ensemble.member_proba(held)
        if proba is None:
            n_classes = member_p.shape[-1]
            proba = np.zeros((len(y), n_classes))
            members_proba = np.zeros((member_p.shape[0], len(y), n_classes))
        assert members_proba is not None
        members_proba[:, test_idx] = member_p
        proba[test_idx] = member_p.mean(0)
        tables.append(result.members.assign(fold=fold))
        logger.info(
            "CV fold %d: %d training samples, %d held out", fold, len(train_idx), len(test_idx)
        )
    assert proba is not None and members_proba is not None and n_classes is not None
    class_names = class_names if class_names is not None else getattr(data, "class_names", None)
    columns = (
        list(class_names) if class_names is not None else [f"class_{c}" for c in range(n_classes)]
    )
    import pandas as pd

    frame = pd.DataFrame(proba, index=list(data.sample_ids), columns=columns)
    return CrossValidationResult(
        proba=frame,
        member_proba=members_proba,
        y=y,
        folds=fold_of,
        members=pd.concat(tables).reset_index(),
    )


__all__ = [
    "DEFAULT_MEMBERS",
    "CrossValidationResult",
    "Ensemble",
    "EnsembleTrainResult",
    "WeightedClassificationPlan",
    "balanced_class_weights",
    "cross_validate_ensemble",
    "load_ensemble",
    "read_ensemble_manifest",
    "recalibrate_batchnorm",
    "save_ensemble",
    "stratified_folds",
    "train_ensemble",
]
