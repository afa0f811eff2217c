"""Save and load any zoo model: config as JSON, weights as safetensors, provenance metadata.

A saved model is a folder::

    my_model/
      config.json        model name, full config, input/output feature names
      model.safetensors  the weights (no pickle: safe to load from untrusted sources)
      metadata.json      omicsnet/torch versions, creation time, weights and knowledge checksums

Nothing is unpickled or evaluated on load: the model is rebuilt from the registry by name
and its config, then the tensors are copied in.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any

from omicsnet._version import __version__
from omicsnet.errors import CheckpointError, ConfigError, ModelNotFoundError
from omicsnet.utils.io import sha256_file
from omicsnet.utils.output import atomic_directory

logger = logging.getLogger(__name__)

FORMAT_NAME = "omicsnet-model"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
METADATA_FILE = "metadata.json"
RESERVED_METADATA = frozenset(
    {
        "omicsnet_version",
        "torch_version",
        "python_version",
        "created",
        "weights_sha256",
        "knowledge_checksum",
        "n_parameters",
    }
)


FolderLoader = Callable[..., Any]
_FOLDER_FORMATS: dict[str, FolderLoader] = {}


def register_folder_format(marker_file: str, loader: FolderLoader) -> None:
    """Let :func:`load` read another kind of saved-model folder.

    A folder that holds ``marker_file`` is read by ``loader(folder, device=...,
    verify_checksum=...)`` instead of the single-model format (an ensemble's
    ``ensemble.json`` with one subfolder per member, for example).

    Examples
    --------
    >>> "ensemble.json" in folder_formats()
    True
    """
    _FOLDER_FORMATS[marker_file] = loader


def folder_formats() -> dict[str, FolderLoader]:
    """Marker file -> loader of every registered folder format (see
    :func:`register_folder_format`)."""
    from omicsnet.models.registry import load_builtin_models

    load_builtin_models()
    return dict(_FOLDER_FORMATS)


def _unwrap(model: Any) -> Any:
    """Return the zoo model inside DDP/DataParallel/compiled wrappers."""
    for attr in ("module", "_orig_mod"):
        while hasattr(model, attr) and not hasattr(model, "model_name"):
            model = getattr(model, attr)
    return model


def save(
    model: Any,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    metadata: dict[str, Any] | None = None,
    extra_files: dict[str, str | bytes] | None = None,
) -> Path:
    """Save a zoo model to the folder ``path`` (written atomically).

    Parameters
    ----------
    model
        A model made by :func:`omicsnet.create_model` (DDP wrappers are unwrapped).
    path
        Destination folder. It must not exist unless ``overwrite=True``.
    overwrite
        Replace an existing folder (only after the new one is complete).
    metadata
        Extra JSON-serialisable provenance stored in ``metadata.json`` (e.g. the
        training data's checksum, metrics).
    extra_files
        Further files written into the same folder, in the same atomic step
        (``{"history.csv": text}``); plain names only.

    Returns
    -------
    pathlib.Path
        The folder written.

    Examples
    --------
    >>> import tempfile, pathlib, torch, omicsnet
    >>> model = omicsnet.create_model("mlp", in_features=4, out_features=2)
    >>> folder = omicsnet.save(model, pathlib.Path(tempfile.mkdtemp()) / "mlp")
    >>> sorted(p.name for p in folder.iterdir())
    ['.omicsnet-output.json', 'config.json', 'metadata.json', 'model.safetensors']
    >>> again = omicsnet.load(folder)
    >>> x = torch.randn(3, 4)
    >>> torch.equal(model.eval()(x), again(x))
    True
    """
    from safetensors.torch import save_model

    model = _unwrap(model)
    name = getattr(model, "model_name", None)
    if not name or not hasattr(model, "config"):
        raise CheckpointError(
            "only models built with omicsnet.create_model() can be saved "
            f"(got {type(model).__name__})"
        )
    config = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "model": name,
        "config": model.config,
        "input_features": model.input_features,
        "output_features": model.output_features,
    }
    reserved = sorted(set(metadata or {}) & RESERVED_METADATA)
    if reserved:
        raise CheckpointError(f"metadata keys {reserved} are reserved for omicsnet's own records")
    try:
        config_text = json.dumps(config, indent=2)
        extra = json.loads(json.dumps(metadata or {}))
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"model config or metadata is not JSON-serialisable: {err}") from err

    files = dict(extra_files or {})
    reserved_files = {CONFIG_FILE, WEIGHTS_FILE, METADATA_FILE}
    for name in files:
        if name in reserved_files or Path(name).name != name or name in ("", ".", ".."):
            raise CheckpointError(f"extra file name {name!r} is not a plain, free file name")
    with atomic_directory(path, overwrite=overwrite) as tmp:
        for name, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
            (tmp / name).write_bytes(data)
        (tmp / CONFIG_FILE).write_text(config_text, encoding="utf-8")
        save_model(model, str(tmp / WEIGHTS_FILE), metadata={"format": "pt"})
        import torch

        meta = {
            "omicsnet_version": __version__,
            "torch_version": torch.__version__,
            "python_version": platform.python_version(),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "weights_sha256": sha256_file(tmp / WEIGHTS_FILE),
            "knowledge_checksum": getattr(model, "knowledge_checksum", None),
            "n_parameters": sum(p.numel() for p in model.parameters()),
            **extra,
        }
        (tmp / METADATA_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    logger.debug("saved model %r to %s", name, path)
    return Path(path)


def read_model_files(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return ``(config, metadata)`` of a saved model folder without building the model.

    Examples
    --------
    >>> import tempfile, pathlib, omicsnet
    >>> folder = omicsnet.save(omicsnet.create_model("mlp"), pathlib.Path(tempfile.mkdtemp()) / "m")
    >>> config, meta = read_model_files(folder)
    >>> config["model"], meta["omicsnet_version"] == omicsnet.__version__
    ('mlp', True)
    """
    folder = Path(path)
    if not folder.is_dir():
        raise CheckpointError(f"{folder} is not a saved omicsnet model folder (not a directory)")
    for required in (CONFIG_FILE, WEIGHTS_FILE):
        if not (folder / required).is_file():
            raise CheckpointError(f"{folder} is not a saved omicsnet model: {required} is missing")
    config = _read_json(folder / CONFIG_FILE)
    if config.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{folder / CONFIG_FILE} is not an omicsnet model config")
    if not isinstance(config.get("model"), str) or not isinstance(config.get("config", {}), dict):
        raise CheckpointError(
            f"{folder / CONFIG_FILE}: 'model' must be a model name and 'config' a mapping of "
            "options"
        )
    for key in ("input_features", "output_features"):
        names = config.get(key)
        if names is not None and not (
            isinstance(names, list) and all(isinstance(n, str) for n in names)
        ):
            raise CheckpointError(f"{folder / CONFIG_FILE}: {key!r} must be a list of names")
    if int(config.get("format_version", 0)) > FORMAT_VERSION:
        raise CheckpointError(
            f"{folder} was saved in format version {config['format_version']}, newer than this "
            f"omicsnet ({__version__}) can read; upgrade omicsnet"
        )
    meta_path = folder / METADATA_FILE
    metadata = _read_json(meta_path) if meta_path.is_file() else {}
    return config, metadata


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"cannot read {path}: {err}") from err
    if not isinstance(value, dict):
        raise CheckpointError(f"{path} must hold a JSON object")
    return value


def load(
    path: str | os.PathLike[str],
    *,
    device: str = "cpu",
    verify_checksum: bool = True,
    expected_knowledge_checksum: str | None = None,
    max_parameters: int | None = None,
) -> Any:
    """Load a model saved by :func:`save`, in eval mode.

    Parameters
    ----------
    path
        The saved model folder.
    device
        Where to put the weights (``"cpu"``, ``"cuda"``, ``"auto"``).
    verify_checksum
        Check the weights file against the SHA-256 recorded at save time.
    expected_knowledge_checksum
        If given, refuse a model wired from a different knowledge graph.
    max_parameters
        Refuse (before allocating anything) a config that would build a larger model
        (default: ``OMICSNET_MAX_PARAMETERS``, else 500 million numbers).

    Raises
    ------
    CheckpointError
        Missing or corrupted files, unknown model names, weights that do not fit the
        config, or a knowledge-graph mismatch.

    Examples
    --------
    >>> import tempfile, pathlib, omicsnet
    >>> folder = omicsnet.save(omicsnet.create_model("mlp", in_features=3, out_features=1,
    ...                        input_features=["a", "b", "c"]),
    ...                        pathlib.Path(tempfile.mkdtemp()) / "m")
    >>> omicsnet.load(folder).input_features
    ['a', 'b', 'c']
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_model

    from omicsnet.models.registry import check_model_size, create_model
    from omicsnet.nn.devices import resolve_device

    folder = Path(path)
    for marker, loader in folder_formats().items():  # e.g. an ensemble: members one by one
        if (folder / marker).is_file():
            return loader(folder, device=device, verify_checksum=verify_checksum)
    config, metadata = read_model_files(folder)
    weights = folder / WEIGHTS_FILE
    recorded = metadata.get("weights_sha256")
    if verify_checksum and recorded and sha256_file(weights) != recorded:
        raise CheckpointError(
            f"{weights} does not match the checksum recorded in {METADATA_FILE}: "
            "the file is corrupted or was changed after saving"
        )
    saved_version = metadata.get("omicsnet_version")
    if saved_version and saved_version != __version__:
        logger.warning(
            "%s was saved by omicsnet %s; this is %s", folder, saved_version, __version__
        )
    try:
        check_model_size(config["model"], config.get("config", {}), limit=max_parameters)
        model = create_model(
            config["model"],
            input_features=config.get("input_features") or None,
            output_features=config.get("output_features") or None,
            **config.get("config", {}),
        )
    except (ModelNotFoundError, ConfigError) as err:
        raise CheckpointError(f"{folder}: {err}") from err
    knowledge = metadata.get("knowledge_checksum")
    if expected_knowledge_checksum is not None and knowledge != expected_knowledge_checksum:
        raise CheckpointError(
            f"{folder} was built from knowledge graph {knowledge}, "
            f"not the expected {expected_knowledge_checksum}"
        )
    if knowledge and getattr(model, "knowledge_checksum", None) not in (None, knowledge):
        raise CheckpointError(
            f"{folder} was built from knowledge graph {knowledge} but its config now "
            f"resolves to {model.knowledge_checksum}: the knowledge artefact changed"
        )
    try:
        missing, unexpected = load_model(model, str(weights), strict=False)
    except (SafetensorError, RuntimeError, OSError) as err:
        raise CheckpointError(f"cannot load weights from {weights}: {err}") from err
    if missing or unexpected:
        raise CheckpointError(
            f"weights in {weights} do not fit model {config['model']!r}: "
            f"missing {sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]}"
        )
    for name, tensor in model.state_dict().items():
        if tensor.is_floating_point() and not bool(tensor.isfinite().all()):
            raise CheckpointError(
                f"{weights}: {name} holds NaN or infinite values; the model cannot predict "
                "(was training diverging?)"
            )
    return model.to(resolve_device(device)).eval()
