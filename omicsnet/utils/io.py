"""Atomic writes: a file or folder appears complete or not at all.

Outputs are written to a temporary name in the same folder and renamed into place, so a
crash or a killed job never leaves half a file, and an existing file is only replaced when
the caller says so. Whole folders follow the output-folder policy of
:mod:`omicsnet.utils.output`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from omicsnet.errors import OutputExistsError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _refuse_existing(path: Path, overwrite: bool) -> None:
    if path.exists() and not overwrite:
        raise OutputExistsError(
            f"{path} already exists; choose another path or pass overwrite=True "
            "(--overwrite on the command line) to replace it"
        )


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, *, overwrite: bool = True
) -> Path:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename.

    Parameters
    ----------
    path
        Destination file; its folder is created if needed.
    data
        Bytes to write.
    overwrite
        Replace an existing file. When ``False`` an existing file raises
        :class:`OutputExistsError` and is left untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> _ = atomic_write_bytes(p, b"hello")
    >>> p.read_bytes()
    b'hello'
    """
    path = Path(path)
    _refuse_existing(path, overwrite)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        named = _naming(err, path)
        if named is err:
            raise
        raise named from err
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; use the user's usual mode
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        named = _naming(err, path) if isinstance(err, OSError) else err
        if named is err:
            raise
        raise named from err
    return path


def _naming(err: OSError, path: Path) -> OSError:
    """The same error (type and errno) naming the destination, not a temporary file.

    A full disk fails ``write`` with no file name at all, and ``mkstemp``/``replace`` name
    the temporary file; the user needs the destination. Errors naming another path (the
    folder that could not be created) are kept as they are.
    """
    if err.errno is None:
        return err
    if err.filename is not None and not Path(str(err.filename)).name.startswith(f".{path.name}."):
        return err
    return OSError(err.errno, err.strerror, os.fspath(path))  # PermissionError stays one


def atomic_write_text(
    path: str | os.PathLike[str], text: str, *, overwrite: bool = True, encoding: str = "utf-8"
) -> Path:
    """Write ``text`` atomically (see :func:`atomic_write_bytes`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "note.md"
    >>> _ = atomic_write_text(p, "# title\\n")
    >>> p.read_text()
    '# title\\n'
    """
    return atomic_write_bytes(path, text.encode(encoding), overwrite=overwrite)


def sha256_file(path: str | os.PathLike[str], chunk_size: int = 1 << 20) -> str:
    """Return the hex SHA-256 of a file, read in chunks.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x"
    >>> _ = p.write_bytes(b"abc")
    >>> sha256_file(p)[:12]
    'ba7816bf8f01'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk_size):
            digest.update(block)
    return digest.hexdigest()


def write_csv(
    frame: Any,
    path: str | os.PathLike[str],
    *,
    significant: int | None = None,
    columns: Iterable[str] | None = None,
    exact: Iterable[str] = (),
    index: bool = False,
    sep: str = ",",
    overwrite: bool = True,
) -> Path:
    """Write a table as CSV, atomically, with floats rounded to meaningful precision.

    Every table omicsnet writes for people to read goes through here, so that a file says
    ``3.1`` and not ``3.0999999999999996``: float columns are rounded to ``significant``
    significant digits (:func:`omicsnet.utils.numbers.round_frame`; whole numbers stored
    as floats keep every digit). Files read back as state (resumable runs) keep full
    precision by writing with ``frame.to_csv`` themselves.

    Parameters
    ----------
    frame
        A pandas DataFrame (a Series is written as one column).
    path
        Destination file; written through a temporary file and a rename.
    significant
        Significant digits of float columns (default
        :data:`~omicsnet.utils.numbers.CSV_SIGNIFICANT`, 6).
    columns, exact
        Round only ``columns`` (default all float columns), never ``exact`` (e.g. a
        user's own m/z column); see :func:`~omicsnet.utils.numbers.round_frame`.
    index
        Write the index as the first column.
    sep
        Field separator (``"\\t"`` for TSV).
    overwrite
        Replace an existing file (otherwise :class:`OutputExistsError`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "scores.csv"
    >>> _ = write_csv(pd.DataFrame({"r": [0.1 + 0.2], "n": [52700.0]}), p)
    >>> p.read_text()
    'r,n\\n0.3,52700.0\\n'
    """
    import pandas as pd

    from omicsnet.utils.numbers import CSV_SIGNIFICANT, round_frame

    path = Path(path)
    _refuse_existing(path, overwrite)  # before formatting a large table
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    digits = CSV_SIGNIFICANT if significant is None else significant
    rounded = round_frame(frame, digits, columns=columns, exact=exact)
    return atomic_write_text(path, rounded.to_csv(sep=sep, index=index), overwrite=overwrite)


__all__ = [
    "OutputExistsError",
    "atomic_write_bytes",
    "atomic_write_text",
    "sha256_file",
    "write_csv",
]
