"""Output folders: the one policy every command and API function follows when it writes.

A user's files are never lost. omicsnet writes a folder only when it is

* new (it is created), or
* empty, or
* one that omicsnet wrote itself: it carries the marker file :data:`MARKER`, which
  records what omicsnet wrote there.

Anything else is refused with :class:`~omicsnet.errors.OutputExistsError`, with or
without ``overwrite``. ``overwrite=True`` on an omicsnet folder removes only the entries
the marker says omicsnet wrote, says which (a log line at WARNING level), and keeps the
rest (your ``notes/`` stay where they are). ``resume=True`` keeps everything and lets a
job continue in place.

Folders are written in one of two ways:

* :func:`atomic_directory`: the new content is built under a temporary name next to the
  target and moved into place only when complete (saved models, reports). A crash or a
  killed job leaves the target as it was.
* :func:`output_dir` with ``atomic=False``: the job writes into the folder as it goes
  (training runs that checkpoint and resume, search campaigns). The marker says
  ``"status": "running"`` until the job ends.

Both check the target first (:func:`check_output_dir`): an existing file, a dangling
link, a folder of the user's or one that cannot be written is refused in one line before
any work starts.

Examples
--------
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> with atomic_directory(root / "run") as tmp:
...     _ = (tmp / "table.csv").write_text("a,b\\n")
>>> read_marker(root / "run")["written"]
['table.csv']
>>> (root / "mine").mkdir(); _ = (root / "mine" / "thesis.txt").write_text("years of work")
>>> with atomic_directory(root / "mine", overwrite=True) as tmp:
...     pass
Traceback (most recent call last):
...
omicsnet.errors.OutputExistsError: ... holds files that omicsnet did not write ...
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from omicsnet.errors import OutputError, OutputExistsError
from omicsnet.utils.io import atomic_write_text

logger = logging.getLogger(__name__)

#: The file that marks a folder as omicsnet's and lists what omicsnet wrote in it.
MARKER = ".omicsnet-output.json"
MARKER_FORMAT = "omicsnet-output"
_MAX_MARKER_BYTES = 1 << 20
_SHOWN = 5  # names listed in an error message


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


# ---------------------------------------------------------------------- the marker
def read_marker(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The marker of an omicsnet output folder, or ``None`` when it has none (or a bad one).

    A marker that is not omicsnet's JSON (too large, not an object, names with path
    separators) counts as no marker: such a folder is treated as the user's.

    Examples
    --------
    >>> import tempfile
    >>> read_marker(tempfile.mkdtemp()) is None
    True
    """
    path = Path(folder) / MARKER
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > _MAX_MARKER_BYTES:
            return None
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(value, dict) or value.get("format") != MARKER_FORMAT:
        return None
    for key in ("written", "kept"):
        names = value.get(key, [])
        if not isinstance(names, list) or not all(_plain_name(n) for n in names):
            return None
    return value


def _plain_name(name: Any) -> bool:
    """A direct child's name: no separators, not ``.``/``..``, not the marker."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..", MARKER)
        and "/" not in name
        and "\\" not in name
        and "\x00" not in name
    )


def _write_marker(folder: Path, record: dict[str, Any]) -> None:
    atomic_write_text(folder / MARKER, json.dumps(record, indent=2) + "\n")


def _entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != MARKER)


# ---------------------------------------------------------------------- checks
def _check_writable(path: Path) -> None:
    """Refuse a folder (or the nearest existing parent of a new one) we cannot write."""
    probe = path
    while not probe.exists():
        if probe.is_symlink():
            raise OutputExistsError(f"{probe} is a dangling symbolic link; choose another path")
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(f"cannot write {path}: {probe} is not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {path}: permission denied on {probe}")


def check_output_dir(
    path: str | os.PathLike[str], *, overwrite: bool = False, resume: bool = False
) -> Path:
    """Check that ``path`` may be written as an output folder; return it resolved.

    Call it before any long work so that a mistake costs nothing. It changes nothing on
    disk.

    Parameters
    ----------
    path
        The output folder.
    overwrite
        Allow replacing what an earlier omicsnet run wrote there.
    resume
        Allow continuing an earlier omicsnet run there.

    Raises
    ------
    OutputExistsError
        ``path`` is a file or a dangling link; a non-empty folder without omicsnet's
        marker; or an omicsnet folder and neither ``overwrite`` nor ``resume`` was given.
    OutputError
        The folder (or its nearest existing parent) cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> new = pathlib.Path(tempfile.mkdtemp()) / "new" / "run"
    >>> check_output_dir(new) == new.resolve()
    True
    >>> new.exists()
    False
    """
    raw = Path(path).expanduser()
    if raw.is_symlink() and not raw.exists():
        raise OutputExistsError(f"{raw} is a dangling symbolic link; choose another path")
    target = raw.resolve()
    if target.exists() and not target.is_dir():
        raise OutputExistsError(
            f"{raw} already exists and is a file, not a folder; choose another output folder"
        )
    if target.is_dir():
        entries = _entries(target)
        marker = read_marker(target)
        if entries and marker is None:
            raise OutputExistsError(
                f"{raw} already exists and holds files that omicsnet did not write "
                f"({_names(entries)}); "
                "omicsnet writes only into a new or empty folder, or one it wrote itself: "
                "choose another output folder"
            )
        if entries and not (overwrite or resume):
            by = f" ({marker['command']})" if marker and marker.get("command") else ""
            if marker and marker.get("status") == "running":
                raise OutputExistsError(
                    f"{raw} already exists and holds an unfinished omicsnet run{by}; continue "
                    "it with --resume (resume=True), or add --overwrite (overwrite=True) to "
                    "replace what omicsnet wrote there"
                )
            raise OutputExistsError(
                f"{raw} already exists and holds the results of an earlier omicsnet run{by}; "
                "choose another folder, or add --overwrite (overwrite=True) to replace what "
                "omicsnet wrote there"
            )
    _check_writable(target)
    return target


def check_output_file(path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Check that the file ``path`` may be written; return it (resolved).

    A file the user names explicitly may be replaced with ``overwrite``; a folder or a
    dangling link at that path never is.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.csv"
    >>> _ = target.write_text("x")
    >>> check_output_file(target)
    Traceback (most recent call last):
    ...
    omicsnet.errors.OutputExistsError: ... already exists; choose another path or add --overwrite...
    >>> check_output_file(target, overwrite=True) == target.resolve()
    True
    """
    raw = Path(path).expanduser()
    if raw.is_symlink() and not raw.exists():
        raise OutputExistsError(f"{raw} is a dangling symbolic link; choose another path")
    target = raw.resolve()
    if target.is_dir():
        raise OutputExistsError(f"{raw} already exists and is a folder; name a file to write")
    if target.exists() and not overwrite:
        raise OutputExistsError(
            f"{raw} already exists; choose another path or add --overwrite "
            "(overwrite=True) to replace it"
        )
    if target.exists() and not os.access(target, os.W_OK):
        raise OutputError(f"cannot write {raw}: permission denied")
    _check_writable(target.parent)
    return target


# ---------------------------------------------------------------------- removal
def _remove_entry(path: Path) -> None:
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path)


def _split_owned(folder: Path, marker: dict[str, Any] | None) -> tuple[list[str], list[str]]:
    """(entries omicsnet wrote, entries it did not) of an existing output folder."""
    entries = _entries(folder)
    if marker is None:  # an empty folder (anything else was refused by the check)
        return [], entries
    written = set(marker.get("written", []))
    if marker.get("status") == "running":  # a killed job: all but what it found there
        written |= set(entries) - set(marker.get("kept", []))
    return [e for e in entries if e in written], [e for e in entries if e not in written]


def _announce_removal(folder: Path, owned: list[str], kept: list[str]) -> None:
    if owned:
        logger.warning("overwrite: removing what omicsnet wrote in %s: %s", folder, _names(owned))
    if kept:
        logger.warning(
            "overwrite: keeping %s in %s (not written by omicsnet)", _names(kept), folder
        )


# ---------------------------------------------------------------------- writers
@contextlib.contextmanager
def atomic_directory(
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    command: str | None = None,
) -> Iterator[Path]:
    """Build a folder under a temporary name; move it to ``path`` only on success.

    Yields the temporary folder to fill. If the block raises, the temporary folder is
    removed and ``path`` is untouched. With ``overwrite=True`` an existing omicsnet
    folder is replaced only after the new content is complete; entries in it that
    omicsnet did not write are moved into the new folder unchanged (if the new content
    has an entry of the same name, the new content is kept aside as ``NAME.new-…`` and
    an error says so: nothing of yours is replaced).

    Parameters
    ----------
    path
        The folder to write.
    overwrite
        Replace what an earlier omicsnet run wrote at ``path``.
    command
        What wrote the folder (recorded in the marker), e.g. ``"omicsnet lcms train"``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "model"
    >>> with atomic_directory(target) as tmp:
    ...     _ = (tmp / "config.json").write_text("{}")
    >>> sorted(p.name for p in target.iterdir())
    ['.omicsnet-output.json', 'config.json']
    """
    target = check_output_dir(path, overwrite=overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; use the user's usual mode
    try:
        yield tmp
        written = _entries(tmp)
        record = {
            "format": MARKER_FORMAT,
            "version": 1,
            "command": command,
            "created": _now(),
            "status": "complete",
            "written": written,
            "kept": [],
        }
        _install(tmp, target, record, overwrite=overwrite)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _install(tmp: Path, target: Path, record: dict[str, Any], *, overwrite: bool) -> None:
    """Move the finished ``tmp`` into place at ``target``, keeping the user's entries."""
    if not target.exists():
        _write_marker(tmp, record)
        os.replace(tmp, target)
        return
    # re-check now: the folder may have changed while the job ran
    check_output_dir(target, overwrite=overwrite)
    marker = read_marker(target)
    owned, kept = _split_owned(target, marker)
    clash = sorted(set(kept) & set(record["written"]))
    if clash:
        aside = target.with_name(f"{target.name}.new-{_dt.datetime.now():%Y%m%d-%H%M%S}")
        _write_marker(tmp, record)
        os.replace(tmp, aside)
        raise OutputExistsError(
            f"{target} holds {_names(clash)}, not written by omicsnet, where the new results "
            f"go; nothing was replaced and the new results are in {aside}"
        )
    _announce_removal(target, owned, kept)
    for name in kept:
        os.replace(target / name, tmp / name)
    record["kept"] = kept
    _write_marker(tmp, record)
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    old.rmdir()
    os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def output_dir(
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    resume: bool = False,
    command: str | None = None,
) -> Iterator[Path]:
    """Write into the folder ``path`` in place, as a long job does (see the module docs).

    On entry the folder is checked, created if needed and marked as omicsnet's
    (``"status": "running"``); with ``overwrite`` what omicsnet wrote there before is
    removed first. On a normal exit the marker lists every entry the job left (except
    the user's own entries found on entry) and says ``"complete"``; if the job fails or
    is killed it stays ``"running"``, so that ``resume`` or ``overwrite`` know it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "run"
    >>> with output_dir(folder) as out:
    ...     _ = (out / "history.csv").write_text("epoch\\n")
    >>> read_marker(folder)["status"], read_marker(folder)["written"]
    ('complete', ['history.csv'])
    >>> with output_dir(folder) as out:
    ...     pass
    Traceback (most recent call last):
    ...
    omicsnet.errors.OutputExistsError: ... holds the results of an earlier omicsnet run...
    """
    target = check_output_dir(path, overwrite=overwrite, resume=resume)
    target.mkdir(parents=True, exist_ok=True)
    marker = read_marker(target)
    if resume and marker is not None:
        kept = list(marker.get("kept", []))
    else:
        owned, kept = _split_owned(target, marker)
        if owned:
            _announce_removal(target, owned, kept)
            for name in owned:
                _remove_entry(target / name)
    record = {
        "format": MARKER_FORMAT,
        "version": 1,
        "command": command,
        "created": _now(),
        "status": "running",
        "written": sorted(set(_entries(target)) - set(kept)),
        "kept": kept,
    }
    _write_marker(target, record)
    yield target
    record.update(status="complete", written=sorted(set(_entries(target)) - set(kept)))
    _write_marker(target, record)


def claim_output_dir(
    path: str | os.PathLike[str],
    *,
    command: str | None = None,
    adopt: Any = None,
) -> Path:
    """Take a folder that a tool keeps adding results to (benchmark runs, conversions).

    The folder must be new, empty or omicsnet's (see :func:`check_output_dir`); it is
    created and marked, and what it holds already stays. ``adopt(path) -> bool`` may
    recognise an unmarked folder of omicsnet's own results written before markers
    existed (published benchmark results, for instance): it is marked and taken.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> claim_output_dir(root / "runs").name, is_omicsnet_output(root / "runs")
    ('runs', True)
    >>> (root / "old").mkdir(); _ = (root / "old" / "results.json").write_text("{}")
    >>> claim_output_dir(root / "old", adopt=lambda p: (p / "results.json").is_file()).name
    'old'
    """
    target = Path(path).expanduser().resolve()
    marker = read_marker(target) if target.is_dir() else None
    if marker is None and target.is_dir() and adopt is not None and adopt(target):
        marker = {"kept": [], "written": _entries(target)}
        logger.info("%s holds omicsnet results written before output markers: marking it", target)
    elif marker is None:
        check_output_dir(target)  # new or empty, or refused
    target.mkdir(parents=True, exist_ok=True)
    _check_writable(target)
    kept = list((marker or {}).get("kept", []))
    record = {
        "format": MARKER_FORMAT,
        "version": 1,
        "command": command or (marker or {}).get("command"),
        "created": (marker or {}).get("created") or _now(),
        "status": "complete",
        "written": sorted(set(_entries(target)) - set(kept)),
        "kept": kept,
    }
    _write_marker(target, record)
    return target


def is_omicsnet_output(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is a folder carrying omicsnet's marker.

    Examples
    --------
    >>> import tempfile
    >>> is_omicsnet_output(tempfile.mkdtemp())
    False
    """
    return Path(path).is_dir() and read_marker(path) is not None


__all__ = [
    "MARKER",
    "OutputError",
    "OutputExistsError",
    "atomic_directory",
    "check_output_dir",
    "check_output_file",
    "claim_output_dir",
    "is_omicsnet_output",
    "output_dir",
    "read_marker",
]
