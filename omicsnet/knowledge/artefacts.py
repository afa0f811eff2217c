"""Versioned knowledge artefacts: small gzipped-JSON folders with their recipe and checksums.

An artefact is a folder holding two files:

``manifest.json``
    What it is and how it was made: ``schema`` and ``schema_version`` (the file layout),
    ``recipe`` (the omicsnet function and its version that built the data), ``params``
    (that function's parameters), ``inputs`` (SHA-256 checksums of the inputs, e.g. of a
    metabolic model's canonical JSON), the omicsnet version, and ``files``: the SHA-256 of
    each data file.
``data.json.gz``
    The data as plain JSON (names and integer edge lists), gzipped without a timestamp so
    that the same content gives the same bytes.

Reading never unpickles or evaluates anything: JSON only. :func:`read_artefact` checks the
schema and the data file's checksum; whether the recipe, parameters and inputs are the ones
wanted is for the caller to decide (:func:`artefact_mismatch`).

Where artefacts live
--------------------
Artefacts built by the project from public models are committed under the top-level
``knowledge/`` folder of a source checkout (:func:`repo_knowledge_dir`). An installed
(non-editable) package has no such folder; there, and for any non-default parameters,
artefacts are built on first use into the user cache ``$OMICSNET_CACHE/knowledge`` or
``~/.cache/omicsnet/knowledge`` (:func:`user_knowledge_dir`).

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp()) / "toy"
>>> manifest = {"schema": "toy", "schema_version": 1, "recipe": {"function": "f", "version": 1},
...             "params": {"k": 2}, "inputs": {"model": "abc"}}
>>> _ = write_artefact(folder, manifest, {"edges": [[0, 1], [1, 0]]})
>>> manifest, data = read_artefact(folder, schema="toy", schema_version=1)
>>> data["edges"], artefact_mismatch(manifest, manifest["recipe"], {"k": 3}, {"model": "abc"})
([[0, 1], [1, 0]], 'params differ: k=2 (stored) vs 3 (wanted)')
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from omicsnet.errors import DataError, DataNotFoundError

MANIFEST = "manifest.json"
DATA = "data.json.gz"


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal values give equal strings.

    Examples
    --------
    >>> canonical_json({"b": [1, 2], "a": None})
    '{"a":null,"b":[1,2]}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def sha256_text(text: str) -> str:
    """Hex SHA-256 of a string's UTF-8 bytes.

    Examples
    --------
    >>> sha256_text("abc")[:12]
    'ba7816bf8f01'
    """
    return hashlib.sha256(text.encode()).hexdigest()


def params_key(params: dict[str, Any]) -> str:
    """A short, stable key of a parameter dict (for folder names).

    Examples
    --------
    >>> params_key({"threshold": 0.9}) == params_key({"threshold": 0.9})
    True
    >>> len(params_key({"threshold": 0.9}))
    12
    """
    return sha256_text(canonical_json(params))[:12]


def repo_knowledge_dir() -> Path | None:
    """The top-level ``knowledge/`` folder of a source checkout, or ``None`` when installed.

    Examples
    --------
    >>> folder = repo_knowledge_dir()
    >>> folder is None or (folder / "README.md").is_file()
    True
    """
    folder = Path(__file__).resolve().parents[2] / "knowledge"  # omicsnet/knowledge/ -> repo
    return folder if (folder / "README.md").is_file() else None


def user_knowledge_dir() -> Path:
    """The user's artefact cache: ``$OMICSNET_CACHE/knowledge`` or ``~/.cache/omicsnet/knowledge``.

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"OMICSNET_CACHE": "/tmp/oc"}):
    ...     print(user_knowledge_dir().as_posix())
    /tmp/oc/knowledge
    """
    from omicsnet.knowledge.metabolic_graph import cache_dir

    return cache_dir() / "knowledge"


def write_artefact(
    folder: str | os.PathLike[str],
    manifest: dict[str, Any],
    data: dict[str, Any],
    *,
    overwrite: bool = False,
) -> Path:
    """Write ``manifest.json`` and ``data.json.gz`` into ``folder`` atomically.

    The data file's SHA-256 is added to the manifest under ``files``.

    Raises
    ------
    OutputExistsError
        ``folder`` exists and ``overwrite`` is false.
    """
    from omicsnet.utils.output import atomic_directory

    payload = gzip.compress(canonical_json(data).encode(), compresslevel=9, mtime=0)
    manifest = {**manifest, "files": {DATA: hashlib.sha256(payload).hexdigest()}}
    with atomic_directory(folder, overwrite=overwrite) as tmp:
        (tmp / DATA).write_bytes(payload)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return Path(folder)


def read_manifest(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of the artefact in ``folder``.

    Raises
    ------
    DataNotFoundError
        No ``manifest.json`` there.
    DataError
        It is not a JSON object.
    """
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise DataNotFoundError(f"no knowledge artefact at {folder} ({MANIFEST} missing)")
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataError(f"{path} is not valid JSON: {err}") from err
    if not isinstance(manifest, dict):
        raise DataError(f"{path} must hold a JSON object")
    return manifest


def read_artefact(
    folder: str | os.PathLike[str], *, schema: str, schema_version: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read and verify an artefact: ``(manifest, data)``.

    Raises
    ------
    DataNotFoundError
        A file is missing.
    DataError
        The schema or its version differs, the data file's checksum does not match the
        manifest, or a file is not valid (gzipped) JSON.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest.get("schema") != schema or manifest.get("schema_version") != schema_version:
        raise DataError(
            f"{folder} holds schema {manifest.get('schema')!r} version "
            f"{manifest.get('schema_version')!r}; this omicsnet reads {schema!r} version "
            f"{schema_version}"
        )
    path = folder / DATA
    if not path.is_file():
        raise DataNotFoundError(f"knowledge artefact {folder} lacks {DATA}")
    raw = path.read_bytes()
    expected = (manifest.get("files") or {}).get(DATA)
    if hashlib.sha256(raw).hexdigest() != expected:
        raise DataError(f"{path} does not match the checksum in its manifest (edited or damaged)")
    try:
        data = json.loads(gzip.decompress(raw))
    except (OSError, EOFError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataError(f"{path} is not gzipped JSON: {err}") from err
    if not isinstance(data, dict):
        raise DataError(f"{path} must hold a JSON object")
    return manifest, data


def artefact_mismatch(
    manifest: dict[str, Any],
    recipe: dict[str, Any],
    params: dict[str, Any],
    inputs: dict[str, str],
) -> str | None:
    """Why a stored artefact does not fit the wanted recipe, parameters and inputs (or ``None``).

    Examples
    --------
    >>> m = {"recipe": {"function": "f", "version": 1}, "params": {}, "inputs": {"model": "a"}}
    >>> artefact_mismatch(m, {"function": "f", "version": 2}, {}, {"model": "a"})[:14]
    'recipe differs'
    >>> artefact_mismatch(m, m["recipe"], {}, {"model": "b"})
    'input checksum differs for model'
    """
    if manifest.get("recipe") != recipe:
        return f"recipe differs: {manifest.get('recipe')} (stored) vs {recipe} (wanted)"
    stored = manifest.get("params") or {}
    if canonical_json(stored) != canonical_json(params):
        keys = sorted(set(stored) | set(params))
        diffs = [
            f"{k}={stored.get(k)!r} (stored) vs {params.get(k)!r} (wanted)"
            for k in keys
            if canonical_json(stored.get(k)) != canonical_json(params.get(k))
        ]
        return "params differ: " + "; ".join(diffs)
    stored_inputs = manifest.get("inputs") or {}
    for key in sorted(set(stored_inputs) | set(inputs)):
        if stored_inputs.get(key) != inputs.get(key):
            return f"input checksum differs for {key}"
    return None
