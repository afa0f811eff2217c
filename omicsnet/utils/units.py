"""A folder of finished units of one long job, tied to the job's settings.

Long jobs (PCSF randomisations, benchmark folds) write each finished unit as soon as it
finishes, so that a killed job can go on where it stopped. A :class:`UnitStore` is that
folder. It records the job's settings and a fingerprint of them (inputs included, as
hashes from :func:`fingerprint`), and it refuses to be reused by a job whose settings
differ: a resumed run can never mix units of two different runs.

Units are small sets of named numpy arrays, one ``unit_NNNNNN.npz`` each, written
atomically (temporary file + rename) and read back without pickles.

Examples
--------
>>> import tempfile, pathlib
>>> import numpy as np
>>> folder = pathlib.Path(tempfile.mkdtemp()) / "reruns"
>>> store = UnitStore.open(folder, {"seed": 0, "graph": fingerprint(np.arange(3))})
>>> store.write(0, nodes=np.array([1, 2]))
>>> store.read(0)["nodes"].tolist(), store.read(1)
([1, 2], None)
>>> UnitStore.open(folder, {"seed": 1, "graph": fingerprint(np.arange(3))})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
omicsnet.errors.ConfigError: ... holds units of another run (different seed)...
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from omicsnet.errors import ConfigError
from omicsnet.utils.io import atomic_write_bytes, atomic_write_text

logger = logging.getLogger(__name__)

#: The file of a unit store that records the settings of its run.
SETTINGS_FILE = "units.json"
FORMAT = "omicsnet-units"
_MAX_SETTINGS_BYTES = 1 << 20


def fingerprint(*parts: Any) -> str:
    """A SHA-256 hex digest of arrays, tables, strings and numbers (an input's identity).

    Arrays are hashed with their dtype and shape; pandas objects with their index,
    columns and values; anything else by its ``repr``.

    Examples
    --------
    >>> import numpy as np
    >>> fingerprint(np.arange(3)) == fingerprint(np.arange(3))
    True
    >>> fingerprint(np.arange(3)) == fingerprint(np.arange(3).astype(float))
    False
    """
    digest = hashlib.sha256()
    for part in parts:
        _feed(digest, part)
    return digest.hexdigest()


def _feed(digest: Any, part: Any) -> None:
    import pandas as pd

    if isinstance(part, (bytes, bytearray)):
        digest.update(f"bytes {len(part)} ".encode())
        digest.update(part)
        return
    if isinstance(part, (pd.Series, pd.DataFrame)):
        digest.update(b"pandas")
        _feed(digest, part.index.astype(str).to_numpy(dtype=str))
        if isinstance(part, pd.DataFrame):
            _feed(digest, part.columns.astype(str).to_numpy(dtype=str))
            for column in part.columns:
                _feed(digest, part[column].to_numpy())
        else:
            _feed(digest, part.to_numpy())
        return
    if isinstance(part, np.ndarray):
        if part.dtype == object:
            part = part.astype(str)
        array = np.ascontiguousarray(part)
        digest.update(f"array {array.dtype.str} {array.shape}".encode())
        digest.update(array.tobytes())
        return
    digest.update(f"{type(part).__name__} {part!r}".encode())


def _plain(value: Any) -> Any:
    """JSON-ready settings (numpy numbers and tuples made plain)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return repr(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


@dataclass(frozen=True)
class UnitStore:
    """The folder of finished units of one run (see the module docs).

    Attributes
    ----------
    folder
        Where the units are.
    settings
        The run's settings, as recorded (JSON-plain).
    digest
        Their fingerprint.
    """

    folder: Path
    settings: dict[str, Any]
    digest: str

    @classmethod
    def open(
        cls,
        folder: str | os.PathLike[str],
        settings: Mapping[str, Any],
        *,
        remedy: str = "start again with --overwrite, or choose another output folder",
    ) -> UnitStore:
        """Open (create) the store of the run with ``settings`` at ``folder``.

        A folder that already holds units of the same settings is taken as it is (its
        units are read back); one of other settings is refused, with ``remedy`` as the
        end of the message.

        Raises
        ------
        ConfigError
            The folder holds units of a run with other settings, or is not a unit store.
        """
        path = Path(folder)
        plain = _plain(dict(settings))
        digest = fingerprint(json.dumps(plain, sort_keys=True))
        record_file = path / SETTINGS_FILE
        if record_file.is_file():
            old = _read_record(record_file)
            if old.get("fingerprint") != digest:
                before = old.get("settings") or {}
                changed = sorted(
                    k for k in set(before) | set(plain) if before.get(k) != plain.get(k)
                )
                shown = ", ".join(changed[:6]) + (", ..." if len(changed) > 6 else "")
                raise ConfigError(
                    f"{path} holds units of another run (different {shown or 'settings'}); {remedy}"
                )
        else:
            if path.is_dir() and any(p.name.startswith("unit_") for p in path.iterdir()):
                raise ConfigError(f"{path} holds units but no {SETTINGS_FILE}: not a unit store")
            path.mkdir(parents=True, exist_ok=True)
            record = {"format": FORMAT, "version": 1, "fingerprint": digest, "settings": plain}
            atomic_write_text(record_file, json.dumps(record, indent=2, sort_keys=True))
        return cls(path, plain, digest)

    def _file(self, index: int) -> Path:
        return self.folder / f"unit_{int(index):06d}.npz"

    def write(self, index: int, **arrays: Any) -> None:
        """Store unit ``index`` (named arrays), atomically: complete or not at all."""
        buffer = io.BytesIO()
        np.savez(buffer, **{k: np.asarray(v) for k, v in arrays.items()})
        atomic_write_bytes(self._file(index), buffer.getvalue(), overwrite=True)

    def read(self, index: int) -> dict[str, np.ndarray] | None:
        """Unit ``index`` as written, or ``None`` when it is not stored (or unreadable)."""
        path = self._file(index)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                return {k: data[k] for k in data.files}
        except (OSError, ValueError) as err:  # a damaged unit is simply done again
            logger.warning("unit %s cannot be read (%s): it is computed again", path, err)
            return None

    def finished(self) -> list[int]:
        """Indices of the stored units, in order."""
        return sorted(
            int(p.name[5:11])
            for p in self.folder.glob("unit_*.npz")
            if p.name[5:11].isdigit() and len(p.name) == 15
        )


def _read_record(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > _MAX_SETTINGS_BYTES:
            raise ValueError("too large")
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ConfigError(f"{path} cannot be read as a unit store's settings ({err})") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ConfigError(f"{path} is not a unit store's settings file")
    return record


__all__ = ["SETTINGS_FILE", "UnitStore", "fingerprint"]
