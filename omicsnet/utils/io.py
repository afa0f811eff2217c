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
from pathlib import Path

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


__all__ = ["OutputExistsError", "atomic_write_bytes", "atomic_write_text", "sha256_file"]
