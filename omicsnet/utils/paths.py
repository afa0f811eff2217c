"""Where datasets live: one setting for the whole library.

The data directory is taken, in order, from the ``data_dir=`` argument, then the
``OMICSNET_DATA`` environment variable. Nothing is downloaded: functions that need a
dataset say which file they looked for and how to point omicsnet at it.
"""

from __future__ import annotations

import os
from pathlib import Path

from omicsnet.errors import ConfigError, DataNotFoundError

DATA_ENV_VAR = "OMICSNET_DATA"


def get_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """Return the configured data directory, or ``None`` when none is set.

    Parameters
    ----------
    data_dir
        Explicit directory; wins over the ``OMICSNET_DATA`` environment variable.

    Returns
    -------
    pathlib.Path or None
        The directory (not checked for existence), or ``None`` when neither is given.

    Examples
    --------
    >>> get_data_dir("/srv/omics").as_posix()
    '/srv/omics'
    """
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get(DATA_ENV_VAR)
    if env:
        return Path(env).expanduser()
    return None


def confine(path: str | os.PathLike[str], root: str | os.PathLike[str], *, what: str) -> Path:
    """``path`` with every symbolic link resolved, if it stays inside ``root``; else an error.

    The check is made on the resolved paths, so a link inside ``root`` that points
    elsewhere is refused like a ``..`` would be. Nothing of the file is read.

    Raises
    ------
    ConfigError
        The resolved path lies outside the resolved ``root``.

    Examples
    --------
    >>> import tempfile, pathlib, os
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> confine(root / "a.csv", root, what="data.features") == (root / "a.csv").resolve()
    True
    >>> os.symlink("/etc", root / "escape")
    >>> confine(root / "escape" / "passwd", root, what="data.features")
    Traceback (most recent call last):
    ...
    omicsnet.errors.ConfigError: data.features: ... through a symbolic link; refusing it
    """
    base = Path(root).resolve()
    resolved = Path(path).resolve()
    if resolved != base and base not in resolved.parents:
        raise ConfigError(
            f"{what}: {Path(path).as_posix()!r} leads outside {base.as_posix()} "
            "through a symbolic link; refusing it"
        )
    return resolved


def resolve_data_file(
    relative: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None
) -> Path:
    """Return the path of ``relative`` inside the data directory, or raise a clear error.

    ``relative`` must stay inside the data directory: ``..`` components and absolute
    paths are refused, so a config cannot make omicsnet read files elsewhere.

    Parameters
    ----------
    relative
        Path of a dataset file relative to the data directory, e.g.
        ``"ecoli_compendium/X.csv.gz"``.
    data_dir
        Explicit data directory (else ``OMICSNET_DATA``).

    Raises
    ------
    DataNotFoundError
        When no data directory is configured or the file is not there.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "table.csv").write_text("a,b\\n1,2\\n")
    >>> resolve_data_file("table.csv", data_dir=root).name
    'table.csv'
    """
    rel = Path(relative)
    if rel.is_absolute() or ".." in rel.parts:
        raise DataNotFoundError(
            f"dataset path {str(relative)!r} must be relative to the data directory and "
            "must not contain '..'"
        )
    root = get_data_dir(data_dir)
    if root is None:
        raise DataNotFoundError(
            f"no data directory set: cannot find {rel.as_posix()!r}. "
            f"Set {DATA_ENV_VAR}=/path/to/data, or pass --data-dir (command line) "
            "or data_dir= (Python)"
        )
    path = confine(root / rel, root, what="data directory file")
    if not path.exists():
        raise DataNotFoundError(
            f"{rel.as_posix()!r} not found in the data directory {root} "
            f"(set {DATA_ENV_VAR}, --data-dir or data_dir= to the folder that holds it)"
        )
    return path
