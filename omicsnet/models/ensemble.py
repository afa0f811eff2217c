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
* :func:`omicsnet.train.ensemble.train_ensemble` (in the training layer): members
  trained one after another through the shared trainer, each with its own seed and
  learning rate, and :func:`omicsnet.train.ensemble.cross_validate_ensemble`;
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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from omicsnet._version import __version__
from omicsnet.errors import CheckpointError, ConfigError
from omicsnet.models.base import OmicsModel
from omicsnet.models.inference import eval_mode, iter_batches
from omicsnet.models.registry import create_model, register_model
from omicsnet.models.serialization import (
    CONFIG_FILE,
    WEIGHTS_FILE,
    load,
    register_folder_format,
    save,
)
from omicsnet.utils.compat import moved_attributes

if TYPE_CHECKING:  # pandas loads only when an ensemble is trained (keeps the registry light)
    pass

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
        device = next(self.parameters()).device
        with eval_mode(self):
            parts = [
                self.member_log_proba(chunk.to(device)).exp().cpu()
                for chunk in iter_batches(x, batch_size)
            ]
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


register_folder_format(MANIFEST_FILE, load_ensemble)

# training moved to the training layer; the old names keep working for one release
__getattr__ = moved_attributes(
    __name__,
    {
        "train_ensemble": "omicsnet.train.ensemble",
        "cross_validate_ensemble": "omicsnet.train.ensemble",
        "EnsembleTrainResult": "omicsnet.train.ensemble",
        "CrossValidationResult": "omicsnet.train.ensemble",
        "recalibrate_batchnorm": "omicsnet.train.batchnorm",
        "balanced_class_weights": "omicsnet.train.plans",
        "WeightedClassificationPlan": "omicsnet.train.plans",
        "stratified_folds": "omicsnet.data.splits",
    },
)

__all__ = [
    "DEFAULT_MEMBERS",
    "MANIFEST_FILE",
    "Ensemble",
    "load_ensemble",
    "read_ensemble_manifest",
    "save_ensemble",
]
