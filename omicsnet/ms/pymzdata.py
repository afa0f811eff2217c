"""pymzdata (Python bindings of the Rust ``mzdata`` library) as a guarded, optional reader.

``read_ms_run(path, reader="pymzdata")`` reads a file with :mod:`pymzdata` (``pip install
'omicsnet[pymzdata]'``), and ``reader="auto"`` uses it for MGF files, which the other
readers do not parse. pymzdata is fast, but on its own it can be silently wrong: measured
here (0.68), it returns **no spectra** without an error for corrupt base64, an empty file,
a non-XML file or an MGF file with a comment line, a **partial read** of a truncated file,
arrays shorter than the declared length, and it raises a Rust panic
(``pyo3_runtime.PanicException``, which derives from :class:`BaseException`, not
:class:`Exception`) on a bad zlib stream or an XML entity. So every read is wrapped in
omicsnet's own checks:

* **before**: the same checks as the other readers (missing and empty files; for mzML the
  XML prolog, so a DOCTYPE, and with it every entity, is refused before pymzdata sees the
  file); gzip-compressed and mzXML files are refused (pymzdata 0.68 reads neither);
* **an independent index** of the file, made by one pass of omicsnet's own scanner (which
  also computes the SHA-256): for mzML the ID and declared peak count
  (``defaultArrayLength``) of every ``<spectrum>`` start tag, whether each spectrum has a
  scan start time, and that the file ends with its root's closing tag; for MGF the
  ``BEGIN IONS``/``END IONS`` blocks, their ``TITLE``, ``RTINSECONDS`` and peak lines;
* **after**: pymzdata must have returned exactly those spectra, in that order, with those
  IDs, and for every spectrum that is kept, m/z and intensity arrays of the declared
  length;
* **panics** (and any other failure inside pymzdata) become one
  :class:`~omicsnet.errors.DataError` naming the file.

For mzML the arrays are pymzdata's ``raw_arrays()``, which keep the stored precision, so
they equal :func:`~omicsnet.ms.mzml.read_ms_run`'s (``tests/test_mzml_pymzdata.py``
checks it on every shared file). MGF spectra are MS2 spectra; their peaks are
``centroid_peaks()`` (m/z float64, intensity float32), their retention time comes from
``RTINSECONDS`` (NaN where a block has none).

Formats pymzdata reads but omicsnet does not route to it: Thermo RAW (needs a .NET runtime
on the machine), Bruker TDF (``.d`` folders) and imzML. None can be tested here, and
omicsnet has no independent index of them to check pymzdata's reading against, so they
are refused with a message saying so; convert them to mzML (e.g. ProteoWizard
``msconvert``).

Examples
--------
>>> import tempfile, pathlib
>>> from omicsnet.ms.mzml import read_ms_run
>>> from omicsnet.ms.synthetic import write_synthetic_mzml
>>> path = pathlib.Path(tempfile.mkdtemp()) / "run.mzML"
>>> _ = write_synthetic_mzml(path, peaks=[(300.1, 1.0, 5e5)], n_scans=3)
>>> if pymzdata_available():
...     run = read_ms_run(path, reader="pymzdata")
...     assert run.reader == "pymzdata" and len(run) == 3
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from omicsnet.errors import DataError

logger = logging.getLogger(__name__)

_RE_MGF_HEADER = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*=")
_MGF_COMMENT = (b"#", b";", b"!", b"/")
THERMO_RAW_MAGIC = b"\x01\xa1F\x00i\x00n\x00n\x00i\x00g\x00a\x00n\x00"
_SNIFF_BYTES = 1 << 16


def pymzdata_available() -> bool:
    """Whether :mod:`pymzdata` imports.

    Examples
    --------
    >>> isinstance(pymzdata_available(), bool)
    True
    """
    try:
        import pymzdata  # noqa: F401
    except ImportError:
        return False
    return True


def looks_like_mgf(path: Path) -> bool:
    """Whether ``path`` is a (plain) MGF file: its first line that is neither blank nor a
    comment is ``BEGIN IONS`` or a ``KEY=value`` header, and a ``BEGIN IONS`` follows
    within the first 64 KiB.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.mgf"
    >>> _ = p.write_text("COM=demo\\nBEGIN IONS\\nTITLE=a\\n100 1\\nEND IONS\\n")
    >>> looks_like_mgf(p)
    True
    >>> _ = p.write_text("hello, this is not MGF\\n")
    >>> looks_like_mgf(p)
    False
    """
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    for raw in head.splitlines():
        line = raw.strip()
        if not line or line.startswith(_MGF_COMMENT):
            continue
        if line == b"BEGIN IONS" or _RE_MGF_HEADER.match(line):
            return b"BEGIN IONS" in head
        return False
    return False


@dataclass
class SpectrumIndex:
    """What omicsnet's own scan of a file says it holds, spectrum by spectrum."""

    ids: list[str] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)  # declared peak counts (-1: none)
    has_time: list[bool] = field(default_factory=list)
    sha256: str = ""


def read_checked(
    path: Path,
    fmt: str,
    index: SpectrumIndex,
    wants: Callable[[int], bool],
    add: Callable[[str, int, float, np.ndarray, np.ndarray], None],
) -> int:
    """Read ``path`` with pymzdata, checking every spectrum against ``index``.

    ``wants(level)`` counts a spectrum and says whether it is kept; ``add(id, level, rt,
    mz, intensity)`` receives the kept ones. Returns how many spectra pymzdata returned
    (the caller checks it against the index).

    Raises
    ------
    DataError
        A spectrum that differs from the index, and any failure inside pymzdata (Rust
        panics, which derive from ``BaseException``, included); ``KeyboardInterrupt``,
        ``SystemExit`` and ``MemoryError`` pass through.
    """
    import pymzdata

    n = 0
    try:
        with pymzdata.MZReader(str(path)) as reader:
            for spectrum in reader:
                if n >= len(index.ids):
                    raise DataError(
                        f"{path}: pymzdata returned more spectra than the file holds "
                        f"({len(index.ids)})"
                    )
                spectrum_id = str(spectrum.id)
                if spectrum_id != index.ids[n]:
                    raise DataError(
                        f"{path}: pymzdata's spectrum {n} is {spectrum_id!r}, the file's is "
                        f"{index.ids[n]!r}; refusing a read that skipped or reordered spectra"
                    )
                level = int(spectrum.ms_level)
                if wants(level):
                    mz, intensity = _arrays(spectrum, fmt)
                    expected = index.lengths[n]
                    if len(mz) != len(intensity) or (expected >= 0 and len(mz) != expected):
                        raise DataError(
                            f"{path}: spectrum {spectrum_id!r}: pymzdata returned "
                            f"{len(mz)} m/z and {len(intensity)} intensity values, the file "
                            f"declares {expected}"
                        )
                    if fmt == "mzML" and not index.has_time[n]:
                        raise DataError(f"{path}: spectrum {spectrum_id!r} has no scan start time")
                    rt = float(spectrum.start_time) if index.has_time[n] else math.nan
                    add(spectrum_id, level, rt, mz, intensity)
                n += 1
    except DataError:
        raise
    except (KeyboardInterrupt, SystemExit, MemoryError, GeneratorExit):
        raise
    except BaseException as err:  # pyo3's PanicException derives from BaseException
        reason = str(err).splitlines()[0] if str(err) else ""
        raise DataError(
            f"{path}: pymzdata failed ({type(err).__name__}: {reason[:200]}); the file is "
            "corrupt or unsupported (reader='fast' or 'auto' give a precise reason)"
        ) from err
    return n


def _arrays(spectrum: Any, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """m/z and intensity, in the stored precision (mzML) or as MGF peaks."""
    arrays = spectrum.raw_arrays()
    mz = arrays.get("m/z array")
    intensity = arrays.get("intensity array")
    if mz is None and intensity is None and fmt == "MGF":
        mz, intensity = spectrum.centroid_peaks()
    if mz is None and intensity is None:
        return np.zeros(0, dtype=np.float64), np.zeros(0, dtype=np.float64)
    if mz is None or intensity is None:
        raise DataError(f"spectrum {spectrum.id!r} lacks an m/z or intensity array")
    mz = np.asarray(mz)
    intensity = np.asarray(intensity)
    return (
        mz.astype(mz.dtype.newbyteorder("="), copy=False),
        intensity.astype(intensity.dtype.newbyteorder("="), copy=False),
    )


def index_mgf(path: Path) -> SpectrumIndex:
    """The ``BEGIN IONS``/``END IONS`` blocks: titles, peak counts, RTINSECONDS; SHA-256."""
    hasher = hashlib.sha256()
    index = SpectrumIndex()
    inside = False
    peaks = 0
    title = ""
    has_time = False
    line_no = 0
    with open(path, "rb") as handle:
        for raw in handle:
            hasher.update(raw)
            line_no += 1
            line = raw.strip()
            if not line or line.startswith(_MGF_COMMENT):
                continue
            if line == b"BEGIN IONS":
                if inside:
                    raise DataError(f"{path}: line {line_no}: BEGIN IONS inside an open block")
                inside, peaks, title, has_time = True, 0, "", False
            elif line == b"END IONS":
                if not inside:
                    raise DataError(f"{path}: line {line_no}: END IONS without BEGIN IONS")
                index.ids.append(title if title else str(len(index.ids)))
                index.lengths.append(peaks)
                index.has_time.append(has_time)
                inside = False
            elif inside:
                if line[:1].isdigit() or line[:1] in (b"-", b"+", b"."):
                    peaks += 1
                elif line.startswith(b"TITLE="):
                    title = line[6:].decode("utf-8", "replace")
                elif line.startswith(b"RTINSECONDS="):
                    has_time = True
    if inside:
        raise DataError(
            f"{path}: truncated MGF: the last BEGIN IONS block has no END IONS "
            "(was it cut off while copying or writing?)"
        )
    index.sha256 = hasher.hexdigest()
    return index
