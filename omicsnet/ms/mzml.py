"""Read the spectra of mzML and mzXML files (optionally gzipped), safely and fast.

Three readers produce the same :class:`MSRun` (``"auto"``, the default, uses the fast one,
pyteomics where it gives up, and pymzdata for MGF files):

``"fast"``
    A streaming byte-level scanner. It reads the file in blocks (gunzipping on the fly;
    files over :data:`PREFETCH_MIN_BYTES` are read, hashed and gunzipped in a helper
    thread), finds each ``<spectrum>`` (mzML) or ``<scan>`` (mzXML, nested or not)
    element, reads the MS level (``MS:1000511``) and the scan start time (``MS:1000016``
    with its unit) from the element's cvParams, and decodes the m/z and intensity
    ``<binaryDataArray>`` elements itself: base64 (pybase64 when installed, else binascii)
    → optional zlib (``MS:1000574``; ``MS:1000576`` is none; ISA-L for big streams when
    installed) → little-endian float32/float64 (``MS:1000521`` / ``MS:1000523``), joined
    once into the run's flat arrays. It walks from tag to tag with ``bytes.find``
    (``memchr`` jumps over the base64 text); runs of ordinary spectra are read in batches,
    markup that repeats from spectrum to spectrum compared rather than walked, values and
    arrays converted per batch (``_MzMLScanner._run_fast``), anything else by the careful
    walk that the batch copies. It never builds an XML tree, so it never resolves entities,
    and it touches no network. Anything it does not understand (numpress or integer
    arrays, param-group references inside a spectrum, comments or CDATA inside a
    spectrum, mzXML scan numbers out of order, a missing MS level or time unit,
    unparsable numbers, …) makes it give up on the file, and ``"auto"`` then reads the
    whole file with pyteomics instead.
``"pyteomics"``
    :class:`pyteomics.mzml.MzML` / :class:`pyteomics.mzxml.MzXML` (lxml under the hood):
    the general reader, 25-40 times slower on the shared files.
``"pymzdata"``
    pymzdata (Rust ``mzdata``; plain mzML and MGF), wrapped in omicsnet's checks: the same
    prolog check first, then its spectra checked one by one against an index made by this
    module's scanner (see :mod:`omicsnet.ms.pymzdata`).

The arrays of all readers are identical (values and dtypes); the tests check it on every
shared file.

XML safety
----------
Before either reader sees a file, its prolog (everything before the root element) is
checked: a ``<!DOCTYPE`` — the only place where XML can declare entities, internal or
external — is refused with a :class:`~omicsnet.errors.DataError`. mzML and mzXML never
need a DTD, so this costs nothing for real files and shuts out entity bombs ("billion
laughs") and external entities (``<!ENTITY x SYSTEM "file:///etc/passwd">``) for both
readers, whatever lxml's defaults are.

Integrity
---------
Empty files, non-XML files, files whose root element is not ``mzML``/``indexedmzML``/
``mzXML``, truncated gzip streams and truncated XML (the root element is never closed, or a
spectrum is cut off) raise :class:`~omicsnet.errors.DataError` naming the file; nothing is
half-read. A file without spectra (e.g. chromatograms only) raises too. A zlib array that
inflates past 4 times its declared size + :data:`INFLATE_SLACK` (or past
:data:`MAX_ARRAY_BYTES`) is refused as a decompression bomb with bounded memory.

Retention times are always returned in minutes.

Examples
--------
>>> import tempfile, pathlib
>>> from omicsnet.ms.synthetic import write_synthetic_mzml
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.mzML"
>>> _ = write_synthetic_mzml(path, peaks=[(300.1, 1.0, 5e5)], n_scans=4, ms2_per_ms1=1)
>>> run = read_ms_run(path)
>>> len(run), run.reader, sorted(run.level_counts.items())
(8, 'fast', [(1, 4), (2, 4)])
>>> ms1 = read_ms_run(path, ms_level=1)
>>> len(ms1), ms1.rt.round(2).tolist()
(4, [0.5, 0.6, 0.7, 0.8])
"""

from __future__ import annotations

import binascii
import gzip
import hashlib
import html
import logging
import os
import re
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np

from omicsnet.errors import ConfigError, DataError, DataNotFoundError

try:  # SIMD base64 (an optional dependency of the lcms extra); binascii otherwise
    from pybase64 import b64decode as _fast_b64decode
except ImportError:  # pragma: no cover - depends on the installation
    _fast_b64decode = None
try:  # ISA-L inflate, ~2x zlib's speed (optional, lcms extra); for gzip files, big arrays
    from isal import isal_zlib as _big_inflate
    from isal.isal_zlib import error as _BigInflateError
except ImportError:  # pragma: no cover - depends on the installation
    _big_inflate = zlib
    _BigInflateError = zlib.error

logger = logging.getLogger(__name__)


def _strict_b64decode(text: bytes) -> bytes:
    """Base64 as ``_run_loop`` decodes it: strictly (pybase64) or as binascii does."""
    if _fast_b64decode is not None:
        return _fast_b64decode(text, validate=True)
    return binascii.a2b_base64(text)


if _fast_b64decode is not None:  # the same, without a Python call per text
    import functools

    _strict_b64decode = functools.partial(_fast_b64decode, validate=True)

READERS = ("auto", "fast", "pyteomics", "pymzdata")
"""Accepted values of ``reader=``."""

CHUNK_SIZE = 1 << 22
"""Bytes read from disk at a time by the streaming reader."""

PREFETCH_MIN_BYTES = 1 << 20
"""Files larger than this are read (and hashed, and gunzipped) in a helper thread."""

MAX_ARRAY_BYTES = 1 << 31
"""Most bytes a zlib-compressed binary array may inflate to (raise it for bigger arrays)."""

INFLATE_SLACK = 1 << 20
"""A zlib array may inflate to 4 times its declared size plus this many bytes (at most
:data:`MAX_ARRAY_BYTES`) before it is refused as a decompression bomb; between its
declared size and that limit it is a mere length mismatch (which ``"auto"`` leaves to
pyteomics, as for any array whose length differs from the declared one)."""

MAX_PROLOG_BYTES = 1 << 20
"""A file whose root element does not start within this many bytes is refused."""

MAX_ELEMENT_BYTES = 1 << 28
"""Most bytes one ``<spectrum>`` (or ``<scan>``) element may span before the file is refused
(real spectra take kilobytes to a few megabytes; an element that never ends would otherwise
be buffered whole). Raise it with ``OMICSNET_MAX_ELEMENT_BYTES``."""

MAX_GZIP_RATIO = 200
"""A gzipped file may inflate to this many times its compressed size (plus
:data:`GZIP_FLOOR_BYTES`) before it is refused as a decompression bomb (mzML holds
already-compressed arrays: real files inflate 1.1 to 20 fold). Raise it with
``OMICSNET_MAX_GZIP_RATIO``."""

GZIP_FLOOR_BYTES = 1 << 26
"""Bytes a gzipped file may always inflate to, whatever its compressed size."""


def _limit(name: str, default: int) -> int:
    """A limit of this module, raised (or lowered) by the environment variable ``name``."""
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return int(float(raw))
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None

_WS = b" \t\r\n"
_GZIP_MAGIC = b"\x1f\x8b"
_ROOTS = {"mzML": "mzML", "indexedmzML": "mzML", "mzXML": "mzXML"}

# Time units of "scan start time" by unit accession or unit name → factor to minutes
# (applied as a division for seconds/milliseconds so that both readers round alike).
_TIME_UNITS: dict[str, tuple[str, float]] = {
    "UO:0000010": ("div", 60.0),
    "second": ("div", 60.0),
    "s": ("div", 60.0),
    "UO:0000031": ("mul", 1.0),
    "minute": ("mul", 1.0),
    "min": ("mul", 1.0),
    "UO:0000028": ("div", 60000.0),
    "millisecond": ("div", 60000.0),
    "ms": ("div", 60000.0),
    "UO:0000032": ("mul", 60.0),
    "hour": ("mul", 60.0),
    "h": ("mul", 60.0),
}

_TIME_UNITS_BYTES = {
    name.encode(): (how == "div", factor) for name, (how, factor) in _TIME_UNITS.items()
}

# binaryDataArray cvParams understood by the fast reader.
_ACC_MZ = b"MS:1000514"
_ACC_INTENSITY = b"MS:1000515"
_ACC_FLOAT32 = b"MS:1000521"
_ACC_FLOAT64 = b"MS:1000523"
_ACC_ZLIB = b"MS:1000574"
_ACC_NO_COMPRESSION = b"MS:1000576"

_RE_ROOT_NAME = re.compile(rb"<([A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)")
_RE_DEFAULT_LENGTH = re.compile(rb'\sdefaultArrayLength="(\d+)"')
_RE_ARRAY_LENGTH = re.compile(rb'\sarrayLength="(\d+)"')
_NEEDLE_MS_LEVEL = b'accession="MS:1000511"'
_NEEDLE_START_TIME = b'accession="MS:1000016"'
_RE_ACCESSION = re.compile(rb'\saccession="([^"]*)"')
_RE_ATTRIBUTE = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
_RE_DURATION = re.compile(
    rb"P(?:T(?:(\d+\.?\d*)H)?(?:(\d+\.?\d*)M)?(?:(\d+\.?\d*)S)?)?"
)  # xs:duration without years/months/days, no sign (what the fast reader accepts)


class _UnsupportedError(Exception):
    """The fast reader met something it leaves to pyteomics (internal)."""


@dataclass
class MSRun:
    """The spectra of one file as flat arrays (peaks of all spectra concatenated).

    Spectrum ``i`` owns the peaks ``offsets[i]:offsets[i + 1]`` of ``mz`` and
    ``intensity``. Arrays keep the precision stored in the file (float32 or float64, in
    native byte order; float64 when a file mixes both).

    Attributes
    ----------
    path
        The file read.
    format
        ``"mzML"`` or ``"mzXML"``.
    reader
        ``"fast"`` or ``"pyteomics"``: which reader produced the arrays.
    ids
        Native spectrum IDs (mzML ``id``, mzXML ``num``).
    ms_level
        MS level per spectrum (``int16``; 0 when the file does not say).
    rt
        Scan start time per spectrum, in minutes (``float64``).
    offsets
        ``int64`` array of length ``len(self) + 1``.
    mz, intensity
        Concatenated peak arrays.
    sha256
        Hex SHA-256 of the file as stored on disk (compressed bytes for ``.gz``).
    n_bytes
        Size of the file on disk.
    level_counts
        Spectra per MS level in the whole file (before any ``ms_level`` filter).
    """

    path: Path
    format: str
    reader: str
    ids: list[str]
    ms_level: np.ndarray
    rt: np.ndarray
    offsets: np.ndarray
    mz: np.ndarray
    intensity: np.ndarray
    sha256: str
    n_bytes: int
    level_counts: dict[int, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rt)

    @property
    def n_peaks(self) -> int:
        """Number of peaks (data points) over all spectra.

        Examples
        --------
        >>> _demo_run().n_peaks
        5
        """
        return int(self.offsets[-1])

    def spectrum(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the ``(mz, intensity)`` arrays (views) of spectrum ``i``.

        Examples
        --------
        >>> mz, intensity = _demo_run().spectrum(1)
        >>> mz.tolist(), intensity.tolist()
        ([150.0, 250.0, 350.0], [4.0, 5.0, 6.0])
        """
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        return self.mz[lo:hi], self.intensity[lo:hi]

    def select(self, which: np.ndarray | Sequence[int]) -> MSRun:
        """Return a new run with the spectra selected by a boolean mask or indices.

        Examples
        --------
        >>> run = _demo_run()
        >>> sub = run.select(run.ms_level == 2)
        >>> len(sub), sub.ids, sub.spectrum(0)[0].tolist()
        (1, ['s2'], [150.0, 250.0, 350.0])
        """
        index = np.asarray(which)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        index = index.astype(np.int64, copy=False)
        starts = self.offsets[index]
        lengths = self.offsets[index + 1] - starts
        peak_index = _ragged_index(starts, lengths)
        offsets = np.zeros(len(index) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return MSRun(
            path=self.path,
            format=self.format,
            reader=self.reader,
            ids=[self.ids[i] for i in index.tolist()],
            ms_level=self.ms_level[index],
            rt=self.rt[index],
            offsets=offsets,
            mz=self.mz[peak_index],
            intensity=self.intensity[peak_index],
            sha256=self.sha256,
            n_bytes=self.n_bytes,
            level_counts=dict(self.level_counts),
        )

    def table(self) -> Any:
        """One row per spectrum: ``id``, ``ms_level``, ``rt_min``, ``n_peaks``.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> _demo_run().table()
           id  ms_level  rt_min  n_peaks
        0  s1         1     0.5        2
        1  s2         2     0.6        3
        """
        import pandas as pd

        return pd.DataFrame(
            {
                "id": self.ids,
                "ms_level": self.ms_level,
                "rt_min": self.rt,
                "n_peaks": np.diff(self.offsets),
            }
        )


def _demo_run() -> MSRun:
    """A two-spectrum run for the examples."""
    return MSRun(
        path=Path("demo.mzML"),
        format="mzML",
        reader="fast",
        ids=["s1", "s2"],
        ms_level=np.array([1, 2], dtype=np.int16),
        rt=np.array([0.5, 0.6]),
        offsets=np.array([0, 2, 5]),
        mz=np.array([100.0, 200.0, 150.0, 250.0, 350.0]),
        intensity=np.array([1.0, 2.0, 4.0, 5.0, 6.0]),
        sha256="0" * 64,
        n_bytes=0,
        level_counts={1: 1, 2: 1},
    )


def _ragged_index(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + n)`` for every ``(s, n)``, without a Python loop."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    shift = starts - (np.cumsum(lengths) - lengths)
    return np.arange(total, dtype=np.int64) + np.repeat(shift, lengths)


# ---------------------------------------------------------------------------- public API
def read_ms_run(
    path: str | os.PathLike[str],
    *,
    ms_level: int | Iterable[int] | None = None,
    reader: str = "auto",
) -> MSRun:
    """Read the spectra of an mzML or mzXML file (plain or gzipped).

    Parameters
    ----------
    path
        The file (mzML or mzXML, plain or gzipped; MGF through pymzdata). Gzip
        compression is recognised by its magic bytes, whatever the name.
    ms_level
        Keep only spectra of this MS level (or these levels); ``None`` keeps all.
    reader
        ``"auto"`` (fast reader, pyteomics where it gives up, pymzdata for MGF files),
        ``"fast"`` (fail with a :class:`~omicsnet.errors.DataError` where it gives up),
        ``"pyteomics"`` or ``"pymzdata"`` (plain mzML and MGF, checked against omicsnet's
        own index of the file; needs ``pip install 'omicsnet[pymzdata]'``).

    Returns
    -------
    MSRun
        Retention times in minutes; ``level_counts`` counts all spectra of the file.

    Raises
    ------
    DataNotFoundError
        When the file does not exist.
    DataError
        Empty, non-XML, truncated or unsafe (DOCTYPE) files, files without spectra
        (chromatogram-only), unknown time units, unreadable binary arrays, decompression
        bombs; with ``"pymzdata"`` also anything pymzdata read differently from the file's
        own index (or failed on).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from omicsnet.ms.synthetic import write_synthetic_mzml
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.mzML.gz"
    >>> _ = write_synthetic_mzml(path, peaks=[(120.5, 0.6, 1e4)], n_scans=3, rt_unit="second")
    >>> fast = read_ms_run(path)
    >>> slow = read_ms_run(path, reader="pyteomics")
    >>> fast.reader, slow.reader, bool((fast.mz == slow.mz).all())
    ('fast', 'pyteomics', True)
    >>> fast.rt.round(3).tolist()
    [0.5, 0.6, 0.7]
    """
    if reader not in READERS:
        raise DataError(f"reader must be one of {', '.join(READERS)}; got {reader!r}")
    levels = _normalise_levels(ms_level)
    file = Path(path)
    if not file.is_file():
        raise DataNotFoundError(f"{file}: no such mzML/mzXML file")
    n_bytes = file.stat().st_size
    if n_bytes == 0:
        raise DataError(f"{file}: empty file (0 bytes); not an mzML/mzXML file")

    if reader == "pymzdata" or (reader == "auto" and _is_mgf(file)):
        return _read_pymzdata(file, levels, n_bytes)
    if reader in ("auto", "fast"):
        try:
            return _read_fast(file, levels, n_bytes)
        except _UnsupportedError as why:
            if reader == "fast":
                raise DataError(
                    f"{file}: the fast reader cannot read this file ({why}); "
                    "use reader='pyteomics' or 'auto'"
                ) from None
            logger.info("%s: fast reader gave up (%s); reading with pyteomics", file, why)
    return _read_pyteomics(file, levels, n_bytes)


def _is_mgf(path: Path) -> bool:
    """Whether a file that is not XML (nor gzip) reads as MGF (``"auto"`` sends those to
    pymzdata)."""
    with open(path, "rb") as handle:
        head = handle.read(64)
    if head.startswith(_GZIP_MAGIC) or head.lstrip(b"\xef\xbb\xbf" + _WS).startswith(b"<"):
        return False
    from omicsnet.ms.pymzdata import looks_like_mgf

    return looks_like_mgf(path)


def sniff_format(path: str | os.PathLike[str]) -> str:
    """Return ``"mzML"`` or ``"mzXML"`` from the root element, after the safety check.

    Raises
    ------
    DataError
        Empty, non-XML or unsafe (DOCTYPE) files and other root elements.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.mzXML"
    >>> _ = p.write_text('<?xml version="1.0"?>\\n<mzXML xmlns="http://x"><msRun/></mzXML>')
    >>> sniff_format(p)
    'mzXML'
    >>> _ = p.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><mzML/>')
    >>> sniff_format(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    omicsnet.errors.DataError: ...x.mzXML: refusing to parse: the document has a DOCTYPE...
    """
    file = Path(path)
    if not file.is_file():
        raise DataNotFoundError(f"{file}: no such mzML/mzXML file")
    if file.stat().st_size == 0:
        raise DataError(f"{file}: empty file (0 bytes); not an mzML/mzXML file")
    head = b""
    for chunk in _decoded_chunks(file, None, 1 << 16):
        head += chunk
        result = _parse_prolog(head, file, final=False)
        if result is not None:
            return _ROOTS[result[0].split(":")[-1]]
    result = _parse_prolog(head, file, final=True)
    assert result is not None  # final=True raises instead of returning None
    return _ROOTS[result[0].split(":")[-1]]


def _normalise_levels(ms_level: int | Iterable[int] | None) -> frozenset[int] | None:
    if ms_level is None:
        return None
    if isinstance(ms_level, (int, np.integer)):
        return frozenset({int(ms_level)})
    return frozenset(int(level) for level in ms_level)


# ---------------------------------------------------------------------------- byte sources
def _raw_blocks(path: Path, hasher: Any, chunk_size: int) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while block := handle.read(chunk_size):
            yield block
            if hasher is not None:  # after the yield: in a helper thread, while it is parsed
                hasher.update(block)


def _prefetched(chunks: Iterator[bytes], depth: int = 2) -> Iterator[bytes]:
    """Yield ``chunks``, produced in a helper thread at most ``depth`` chunks ahead.

    Reading, hashing and gunzipping all release the GIL, so they run on another core while
    the caller parses; errors raised while producing (a corrupt or truncated gzip stream)
    are raised here, in order. Closing this generator stops the helper.
    """
    import queue
    import threading

    slots: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for chunk in chunks:
                if not put(("chunk", chunk)):
                    return
            put(("end", None))
        except BaseException as err:  # handed to the consumer, which raises it
            put(("error", err))
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    helper = threading.Thread(target=produce, name="omicsnet-mzml-read", daemon=True)
    helper.start()
    try:
        while True:
            kind, item = slots.get()
            if kind == "chunk":
                yield item
            elif kind == "end":
                return
            else:
                raise item
    finally:
        stop.set()


def _decoded_chunks(path: Path, hasher: Any, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """The file's bytes, gunzipped on the fly when it starts with the gzip magic."""
    blocks = _raw_blocks(path, hasher, chunk_size)
    first = next(blocks, b"")
    if not first.startswith(_GZIP_MAGIC):
        if first:
            yield first
        yield from blocks
        return
    decomp = _big_inflate.decompressobj(16 + zlib.MAX_WBITS)
    ratio = _limit("OMICSNET_MAX_GZIP_RATIO", MAX_GZIP_RATIO)
    compressed = inflated = 0

    def _all() -> Iterator[bytes]:
        yield first
        yield from blocks

    for block in _all():
        data = block
        compressed += len(block)
        while data:
            if decomp.eof:  # another gzip member follows (or zero padding)
                if not data.strip(b"\x00"):
                    break
                decomp = _big_inflate.decompressobj(16 + zlib.MAX_WBITS)
            try:  # at most 4 chunks at a time: a bomb never lands in memory whole
                out = decomp.decompress(data, 4 * chunk_size)
            except (zlib.error, _BigInflateError) as err:
                raise DataError(f"{path}: corrupt gzip data ({err})") from None
            if out:
                inflated += len(out)
                if inflated > ratio * compressed + GZIP_FLOOR_BYTES:
                    raise DataError(
                        f"{path}: the gzip stream inflates more than {ratio} times its size "
                        f"({inflated:,} bytes from {compressed:,}): a decompression bomb, or "
                        "not an mzML file; if you trust it, raise OMICSNET_MAX_GZIP_RATIO"
                    )
                yield out
            data = decomp.unused_data if decomp.eof else decomp.unconsumed_tail
    if not decomp.eof:
        raise DataError(
            f"{path}: truncated gzip file (the compressed stream ends early); "
            "the file was cut off while copying or writing"
        )


def _parse_prolog(head: bytes, path: Path, *, final: bool) -> tuple[str, int] | None:
    """Check the bytes before the root element; return ``(root qname, root start)``.

    Returns ``None`` when more bytes are needed (and ``final`` is false).
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\x00\x00\x00<")):
        raise DataError(f"{path}: UTF-16/UTF-32 encoded XML is not supported; re-save as UTF-8")
    i = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    n = len(head)

    def need_more(what: str) -> None:
        if final or n > MAX_PROLOG_BYTES:
            detail = "the file ends" if final else f"more than {MAX_PROLOG_BYTES} bytes pass"
            raise DataError(
                f"{path}: not an mzML/mzXML file: {detail} before the root element ({what})"
            )

    while True:
        while i < n and head[i] in _WS:
            i += 1
        if i >= n:
            need_more("only whitespace so far")
            return None
        if head[i : i + 1] != b"<":
            snippet = head[i : i + 20].decode("latin-1").encode("unicode_escape").decode()
            raise DataError(f"{path}: not an mzML/mzXML file: not XML (starts with {snippet!r})")
        if head.startswith(b"<?", i):
            end = head.find(b"?>", i + 2)
            if end < 0:
                need_more("unterminated processing instruction")
                return None
            i = end + 2
            continue
        if head.startswith(b"<!--", i):
            end = head.find(b"-->", i + 4)
            if end < 0:
                need_more("unterminated comment")
                return None
            i = end + 3
            continue
        if head.startswith(b"<!", i):
            raise DataError(
                f"{path}: refusing to parse: the document has a DOCTYPE declaration "
                "(mzML/mzXML never need one; DTDs can declare entities, which is how "
                "entity-expansion bombs and external-entity file reads work)"
            )
        match = _RE_ROOT_NAME.match(head, i)
        if match is None or match.end() >= n:
            if match is not None or n - i < 64:
                need_more("incomplete root tag")
                return None
            raise DataError(f"{path}: not an mzML/mzXML file: malformed root element")
        qname = match.group(1).decode("ascii")
        local = qname.split(":")[-1]
        if local not in _ROOTS:
            raise DataError(
                f"{path}: not an mzML/mzXML file: the root element is <{qname}> "
                "(expected mzML, indexedmzML or mzXML)"
            )
        return qname, i


# ---------------------------------------------------------------------------- fast reader
class _Collector:
    """Accumulates spectra (filtered by level) and per-level counts.

    Peak arrays arrive either as arrays (:meth:`add`) or, from the mzML reader, as the
    decoded little-endian bytes with their dtype (:meth:`add_raw`), which :meth:`to_run`
    joins once into the run's flat arrays (one copy, no per-array ``numpy`` objects).
    """

    def __init__(self, levels: frozenset[int] | None) -> None:
        self.levels = levels
        self.ids: list[str] = []
        self.ms_level: list[int] = []
        self.rt: list[float] = []
        self.lengths: list[int] = []
        self.mz: list[np.ndarray | bytes] = []
        self.intensity: list[np.ndarray | bytes] = []
        self.mz_dtypes: list[np.dtype] = []
        self.intensity_dtypes: list[np.dtype] = []
        self.level_counts: dict[int, int] = {}

    def keeps(self, level: int) -> bool:
        return self.levels is None or level in self.levels

    def count(self, level: int) -> None:
        self.level_counts[level] = self.level_counts.get(level, 0) + 1

    def wants(self, level: int) -> bool:
        """Count a spectrum of ``level`` and say whether it passes the level filter."""
        self.count(level)
        return self.keeps(level)

    def add(
        self, spectrum_id: str, level: int, rt: float, mz: np.ndarray, intensity: np.ndarray
    ) -> None:
        self.ids.append(spectrum_id)
        self.ms_level.append(level)
        self.rt.append(rt)
        self.lengths.append(len(mz))
        self.mz.append(mz)
        self.intensity.append(intensity)
        self.mz_dtypes.append(mz.dtype)
        self.intensity_dtypes.append(intensity.dtype)

    def add_raw(
        self,
        spectrum_id: str,
        level: int,
        rt: float,
        n_peaks: int,
        mz: bytes,
        mz_dtype: np.dtype,
        intensity: bytes,
        intensity_dtype: np.dtype,
    ) -> None:
        self.ids.append(spectrum_id)
        self.ms_level.append(level)
        self.rt.append(rt)
        self.lengths.append(n_peaks)
        self.mz.append(mz)
        self.intensity.append(intensity)
        self.mz_dtypes.append(mz_dtype)
        self.intensity_dtypes.append(intensity_dtype)

    def n_seen(self) -> int:
        return sum(self.level_counts.values())

    def to_run(self, path: Path, fmt: str, reader: str, sha256: str, n_bytes: int) -> MSRun:
        offsets = np.zeros(len(self.lengths) + 1, dtype=np.int64)
        np.cumsum(np.asarray(self.lengths, dtype=np.int64), out=offsets[1:])
        return MSRun(
            path=path,
            format=fmt,
            reader=reader,
            ids=self.ids,
            ms_level=np.asarray(self.ms_level, dtype=np.int16),
            rt=np.asarray(self.rt, dtype=np.float64),
            offsets=offsets,
            mz=_concat(self.mz, self.mz_dtypes),
            intensity=_concat(self.intensity, self.intensity_dtypes),
            sha256=sha256,
            n_bytes=n_bytes,
            level_counts=dict(sorted(self.level_counts.items())),
        )


def _concat(items: list[np.ndarray | bytes], dtypes: list[np.dtype]) -> np.ndarray:
    """One flat native-order array from arrays or raw bytes (float64 if dtypes mix)."""
    if not items:
        return np.zeros(0, dtype=np.float64)
    first = dtypes[0]
    if all(isinstance(item, bytes) for item in items) and dtypes.count(first) == len(dtypes):
        joined = np.frombuffer(bytearray().join(items), dtype=first)  # writable, one copy
        return joined if first.isnative else joined.astype(first.newbyteorder("="))
    arrays = [
        np.frombuffer(item, dtype=dtype) if isinstance(item, bytes) else item
        for item, dtype in zip(items, dtypes, strict=True)
    ]
    dtype = np.result_type(*arrays).newbyteorder("=")
    out = np.empty(sum(len(a) for a in arrays), dtype=dtype)
    np.concatenate(arrays, out=out, casting="safe")
    return out


def _to_minutes(value: float, unit: str | None, path: Path, spectrum_id: str) -> float:
    if unit is None:
        raise _UnsupportedError(f"spectrum {spectrum_id!r} gives no time unit")
    rule = _TIME_UNITS.get(unit)
    if rule is None:
        raise DataError(
            f"{path}: spectrum {spectrum_id!r} has scan start time in unknown unit {unit!r}"
        )
    how, factor = rule
    return value / factor if how == "div" else value * factor


def _read_fast(path: Path, levels: frozenset[int] | None, n_bytes: int) -> MSRun:
    hasher = hashlib.sha256()
    chunks = _decoded_chunks(path, hasher, CHUNK_SIZE)
    if n_bytes > PREFETCH_MIN_BYTES:
        chunks = _prefetched(chunks)
    try:
        return _scan_file(path, levels, n_bytes, chunks, hasher)
    finally:
        chunks.close()  # type: ignore[attr-defined]


def _scan_file(
    path: Path,
    levels: frozenset[int] | None,
    n_bytes: int,
    chunks: Iterator[bytes],
    hasher: Any,
) -> MSRun:
    collector = _Collector(levels)
    buf = b""
    root: tuple[str, int] | None = None
    for chunk in chunks:
        buf += chunk
        root = _parse_prolog(buf, path, final=False)
        if root is not None:
            break
    if root is None:
        _parse_prolog(buf, path, final=True)  # raises: no root element
        raise AssertionError("unreachable")
    qname, _ = root
    fmt = _ROOTS[qname.split(":")[-1]]
    scanner: _BlockScanner = (
        _MzMLScanner(path, collector) if fmt == "mzML" else _MzXMLScanner(path, collector)
    )
    try:
        tail = scanner.feed_all(buf, chunks)
    except DataError:
        raise
    except (ValueError, IndexError, UnicodeDecodeError) as err:  # odd numbers or ids
        raise _UnsupportedError(f"an unparsable value ({err})") from None
    closing = b"</" + qname.encode() + b">"
    if not tail.rstrip(_WS).endswith(closing):
        raise DataError(
            f"{path}: truncated or malformed XML: the file does not end with {closing.decode()} "
            "(was it cut off while copying or writing?)"
        )
    if collector.n_seen() == 0:
        _raise_no_spectra(path, scanner.saw_chromatograms)
    return collector.to_run(path, fmt, "fast", hasher.hexdigest(), n_bytes)


def _raise_no_spectra(path: Path, saw_chromatograms: bool) -> None:
    if saw_chromatograms:
        raise DataError(
            f"{path}: no spectra; chromatogram-only file (nothing to bin into an RT x m/z matrix)"
        )
    raise DataError(f"{path}: no spectra in the file")


class _BlockScanner:
    """Cuts ``<tag …>…</tag>`` blocks out of a byte stream and hands them to ``parse``."""

    start_tag = b""
    end_tag = b""

    def __init__(self, path: Path, collector: _Collector) -> None:
        self.path = path
        self.max_element = _limit("OMICSNET_MAX_ELEMENT_BYTES", MAX_ELEMENT_BYTES)
        self.collector = collector
        self.saw_chromatograms = False

    def parse(self, block: bytes) -> None:
        """Read one complete block (``start_tag`` up to, not including, its end)."""
        raise TypeError(f"{type(self).__name__} must override parse() or parse_at()")

    def parse_at(self, buf: bytes, start: int) -> int:
        """Read the block starting at ``start``; return where scanning resumes.

        Returns -1 when the block is not complete in ``buf`` (more bytes are needed);
        nothing is recorded then.
        """
        end, resume = self._find_end(buf, start)
        if end < 0:
            return -1
        self.parse(buf[start:end])
        return resume

    def _find_start(self, buf: bytes, pos: int) -> int:
        """Next ``<tag`` followed by whitespace or ``>``, or -1."""
        tag = self.start_tag
        while True:
            i = buf.find(tag, pos)
            if i < 0 or i + len(tag) >= len(buf):
                return -1 if i < 0 else i  # an unfinished tag at the end is a start too
            if buf[i + len(tag)] in b" \t\r\n>/":
                return i
            pos = i + len(tag)

    def _find_end(self, buf: bytes, start: int) -> tuple[int, int]:
        """Where the block that starts at ``start`` ends, and where scanning resumes."""
        end = buf.find(self.end_tag, start)
        return end, end + len(self.end_tag)

    def _skip(self, buf: bytes, lo: int, hi: int) -> int:
        """Check the text between blocks; return where scanning may resume (``<= hi``)."""
        if not self.saw_chromatograms and buf.find(b"<chromatogram ", lo, hi) >= 0:
            self.saw_chromatograms = True
        pos = lo
        while True:
            k = buf.find(b"<!", pos, hi)
            if k < 0:
                return hi
            if buf.startswith(b"<!--", k):
                end = buf.find(b"-->", k + 4)
                if end < 0 or end + 3 > hi:
                    raise _UnsupportedError("an XML comment among the spectra")
                pos = end + 3
            else:
                raise _UnsupportedError("CDATA or a declaration among the spectra")

    def feed_all(self, buf: bytes, chunks: Iterator[bytes]) -> bytes:
        """Scan ``buf`` and the rest of ``chunks``; return the unconsumed tail.

        A block cut by the end of the buffer is retried only once at least as many new
        bytes as it already has have arrived, so a huge spectrum costs a linear, not a
        quadratic, number of bytes scanned.
        """
        pos = 0
        exhausted = False
        while True:
            start = self._find_start(buf, pos)
            wanted = 0
            if start >= 0:
                self._skip(buf, pos, start)
                resume = self.parse_at(buf, start)
                if resume >= 0:
                    pos = resume
                    continue
                pos = start
                wanted = len(buf) - start
                if wanted > self.max_element:
                    raise DataError(
                        f"{self.path}: one element spans more than {self.max_element:,} bytes "
                        "without ending (a damaged or hostile file; real spectra take a few "
                        "MB); if you trust it, raise OMICSNET_MAX_ELEMENT_BYTES"
                    )
            else:
                keep = max(pos, len(buf.rstrip(_WS)) - 64)  # keep the root's end tag
                # text before `keep` cannot hold the start of a block any more
                if keep > pos:
                    last = buf.rfind(b"<!--", pos, keep)
                    if last >= 0 and buf.find(b"-->", last, keep) < 0:
                        keep = last  # an unfinished comment: keep it whole
                    self._skip(buf, pos, keep)
                    pos = keep
                stripped = len(buf.rstrip(_WS))
                if len(buf) - max(stripped, pos) > 4096:  # whitespace: keep none of it
                    buf = buf[: max(stripped, pos)] + b"\n"
            if exhausted:
                if start >= 0:
                    self._raise_cut_off()
                break
            pieces: list[Any] = [memoryview(buf)[pos:]] if pos < len(buf) else []
            arrived = 0
            wanted = min(wanted, self.max_element + 1 - wanted) if wanted else 0  # bounded
            while arrived == 0 or arrived < wanted:
                chunk = next(chunks, None)
                if chunk is None:
                    exhausted = True
                    break
                pieces.append(chunk)
                arrived += len(chunk)
            if exhausted and start >= 0 and arrived == 0:
                self._raise_cut_off()
            only = pieces[0] if len(pieces) == 1 else None
            buf = only if isinstance(only, bytes) else b"".join(pieces)
            pos = 0
        return buf[pos:]

    def _raise_cut_off(self) -> None:
        raise DataError(
            f"{self.path}: truncated XML: a <{self.start_tag[1:].decode()}> "
            "element is cut off at the end of the file"
        )


_WS_CODES = frozenset(_WS)
_TAG_END_CODES = frozenset(b" \t\r\n>")
_START_SEP_CODES = frozenset(b" \t\r\n>/")  # what may follow "<spectrum" (_find_start)
_RE_WS_CODES = frozenset(b" \t\n\r\x0b\x0c")  # what `\s` matches in a bytes pattern


def _attribute(buf: bytes, needle: bytes, lo: int, hi: int) -> bytes | None:
    r"""``re.search(rb'\s' + needle + rb'([^"]*)"', ...)`` over ``buf[lo:hi]``, with ``find``.

    ``needle`` is ``b'name="'``. Returns the value of the first ``name="…"`` preceded by
    whitespace whose closing quote lies before ``hi``, as the pattern would, or ``None``
    (also for ``hi < 0``, where the pattern's ``endpos`` finds nothing).
    """
    if hi < 0:
        return None
    k = buf.find(needle, lo, hi)
    while k >= 0:
        if k > lo and buf[k - 1] in _RE_WS_CODES:
            k += len(needle)
            q = buf.find(b'"', k, hi)
            return buf[k:q] if q >= 0 else None
        k = buf.find(needle, k + 1, hi)
    return None


_Kind = tuple[str, "np.dtype | None", bool]  # what an array's cvParams say (_array_kind)


def _decode_column(texts: list[bytes], kind: _Kind, expected: list[int]) -> list[bytes]:
    """Decode arrays of one kind (``_run_loop``'s rules), up to the first it would refuse.

    ``expected`` holds each array's declared size in bytes; every text is at most
    :data:`_SMALL_TEXT` long, so every zlib stream is inflated in one call.
    """
    zlib_on = kind[2]
    raws = _b64decode_column(texts)
    if zlib_on and raws:
        try:  # the declared size as the first output buffer: no 16 KB buffer to shrink
            if all(raws):
                raws = list(map(zlib.decompress, raws, repeat(zlib.MAX_WBITS), expected))
            else:
                raws = list(map(_inflate_or_empty, raws))
        except zlib.error:
            out = []
            for raw in raws:
                try:
                    out.append(_inflate_or_empty(raw))
                except zlib.error:
                    break
            raws = out
    got = list(map(len, raws))
    if got != expected[: len(got)]:
        pairs = zip(got, expected, strict=False)
        return raws[: next(i for i, (a, b) in enumerate(pairs) if a != b)]
    return raws


_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


def _b64decode_column(texts: list[bytes]) -> list[bytes]:
    """Base64 texts → bytes as ``_run_loop`` decodes them, up to the first it refuses.

    Texts that are all strictly valid (alphabet only, a multiple of 4 characters, at most
    two ``=`` and only at the end: checked for all texts at once) are decoded by
    pybase64 without its per-text validation, which costs more than the decoding of
    these short texts; otherwise text by text with validation (:data:`_strict_b64decode`).
    """
    n = len(texts)
    if _fast_b64decode is not None and n >= 32:  # (the checks cost more for a few texts)
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
        joined = b"".join(texts)
        if not (lengths & 3).any() and not joined.translate(None, _B64_ALPHABET):
            ends = np.cumsum(lengths)[lengths > 0]
            chars = np.frombuffer(joined, dtype=np.uint8)
            last = chars[ends - 1] == 0x3D  # "="
            second = last & (chars[ends - 2] == 0x3D)
            if joined.count(b"=") == int(last.sum()) + int(second.sum()):
                return list(map(_fast_b64decode, texts))
    b64 = _strict_b64decode
    try:
        return list(map(b64, texts))
    except ValueError:  # binascii.Error too: stop before the first text refused
        raws = []
        for text in texts:
            try:
                raws.append(b64(text))
            except ValueError:
                break
        return raws


def _decode_ids(raw_ids: list[bytes]) -> list[str]:
    """Spectrum IDs as ``_run_loop`` decodes them, up to the first that is not UTF-8."""
    try:
        joined = b"\n".join(raw_ids).decode("utf-8")
    except UnicodeDecodeError:
        joined = None
    ids = joined.split("\n") if joined is not None else []
    if len(ids) != len(raw_ids):  # an ID with a line break, or not UTF-8: one by one
        ids = []
        for raw in raw_ids:
            try:
                ids.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                break
    if "&" in (joined if joined is not None else "&"):
        ids = [html.unescape(i) if "&" in i else i for i in ids]
    return ids


def _inflate_or_empty(raw: bytes) -> bytes:
    return zlib.decompress(raw) if raw else raw


def _decode_in_order(
    path: Path,
    ids: list[str],
    lengths: list[int],
    columns: tuple[list[bytes], list[bytes]],
    kinds: tuple[list[_Kind], list[_Kind]],
    decoded: list[list[bytes]],
) -> int:
    """Decode array by array in document order as ``_run_loop`` does (big zlib streams
    inflated with a cap, raising where it raises); fill ``decoded``; return how many
    spectra were decoded whole before the first array it would leave to the careful walk.
    """
    b64 = _strict_b64decode
    for i, length in enumerate(lengths):
        for column, column_kinds, out in zip(columns, kinds, decoded, strict=True):
            kind, dtype, zlib_on = column_kinds[i]
            assert dtype is not None
            try:
                raw = b64(column[i])
            except ValueError:
                return i
            if zlib_on and raw:
                if len(raw) > _SMALL_DEFLATE:
                    raw = _inflate(raw, length * dtype.itemsize, path, ids[i], kind)
                else:
                    try:
                        raw = zlib.decompress(raw)
                    except zlib.error:
                        return i
            if len(raw) != length * dtype.itemsize:
                return i
            out.append(raw)
    return len(lengths)


class _MzMLScanner(_BlockScanner):
    """mzML ``<spectrum>`` elements, read in place.

    Runs of ordinary spectra are read by :meth:`_run_fast`: in batches by
    :meth:`_run_batch`, else one at a time by :meth:`_run_loop` (the usual branches of the
    careful walk written out in one loop); anything else goes to :meth:`_parse_careful`, a
    walk from tag to tag with ``bytes.find(b"<")`` that reads values with :meth:`_header`
    and :meth:`_ArrayDecoder.decode`. All jump over base64 text with ``memchr`` (base64
    never contains ``<``).
    """

    start_tag = b"<spectrum"
    end_tag = b"</spectrum>"
    MAX_BATCH_MISSES = 16
    """After this many calls in a row in which :meth:`_run_batch` read no spectrum (a file
    whose spectra all have a third array, say), it is not tried again in that file."""

    def __init__(self, path: Path, collector: _Collector) -> None:
        super().__init__(path, collector)
        self.arrays = _ArrayDecoder(path)
        self._batch_cache: dict[str, Any] = {}  # markup _run_batch met last (by kind)
        self._batch_misses = 0  # calls in a row in which _run_batch read nothing

    def parse_at(self, buf: bytes, start: int) -> int:
        pos = self._run_fast(buf, start)
        return pos if pos > start else self._parse_careful(buf, start)

    def _run_fast(self, buf: bytes, pos: int) -> int:
        """Read the ordinary spectra that follow one another from ``pos`` (whitespace only
        between them); return where the first other one (or the end of ``buf``) starts.

        Spectra of the usual shape are read in batches by :meth:`_run_batch` (markup
        compared with the last spectrum's, values and arrays converted per batch); a
        spectrum it does not take is read by :meth:`_run_loop`, which then hands back to
        the batch. Whatever neither takes is left to :meth:`_parse_careful` (the caller).
        """
        n = len(buf)
        while True:
            if self._batch_misses >= self.MAX_BATCH_MISSES:
                return self._run_loop(buf, pos)
            after = self._run_batch(buf, pos)
            self._batch_misses = 0 if after > pos else self._batch_misses + 1
            pos = after
            if not (
                pos + 9 < n
                and buf.startswith(b"<spectrum", pos)
                and buf[pos + 9] in _START_SEP_CODES
            ):
                return pos  # not a spectrum (the list ends, a comment, ...): the caller decides
            after = self._run_loop(buf, pos, once=True)
            if after == pos:
                return pos
            pos = after

    def _run_batch(self, buf: bytes, pos: int) -> int:
        """Read the spectra of the usual shape that follow one another from ``pos``; return
        where the first other one (or the end of ``buf``) starts.

        This is :meth:`_run_loop` with fewer steps per spectrum: what it checks in every
        spectrum and that real files never hold (``!``, ``referenceableParamGroupRef``,
        ``arrayLength``) is looked for once in the rest of ``buf``, and the batch stops
        before the first spectrum that reaches one; markup that repeats from spectrum to
        spectrum (the ms-level cvParam, the start-time cvParam around its value, the
        cvParams of each array, the markup between the arrays and after them, the
        whitespace before the next spectrum) is compared with the last spectrum's (one
        ``startswith`` each) and only walked tag by tag, as :meth:`_run_loop` walks it,
        where it differs; values are converted and arrays decoded for the whole batch at
        the end (:meth:`_finish_batch`). A spectrum with other than one m/z and one
        intensity array, or anything else :meth:`_run_loop` would not read, stops the
        batch before it.
        """
        find = buf.find
        rfind = buf.rfind
        startswith = buf.startswith
        n = len(buf)
        re_ws = _RE_WS_CODES
        ws = _WS_CODES
        start_codes = _START_SEP_CODES
        levels = self.collector.levels
        odd_tag = _RE_ODD_ARRAY_TAG.search
        cache = self._batch_cache
        if cache.get("bang_buf") is not buf or cache["bang"] < pos:  # the next "!"
            bang = find(b"!", pos)
            cache.update(bang_buf=buf, bang=bang if bang >= 0 else n)
        bang = cache["bang"]
        level_tag, level_offset, level = cache.get("level", (b"", -1, 0))
        time_prefix, time_offset, time_suffix, rule = cache.get("time", (b"", -1, b"", None))
        # markup met last (None: none yet); each is compared with startswith
        list_open = cache.get("list_open")  # "<binaryDataArrayList ...><binaryDataArray "
        body1, known1 = cache.get("body1", (None, None))  # cvParams + "<binary>", kind
        body2, known2 = cache.get("body2", (None, None))
        between = cache.get("between")  # "</binary>...<binaryDataArray "
        after = cache.get("after")  # "</binary>...</spectrum>"
        gap = cache.get("gap")  # whitespace + "<spectrum" + separator
        rows: list[tuple[Any, ...]] = []  # the kept spectra, read but not converted
        seen: list[int] = []  # the level of every spectrum read, kept or not
        start = pos
        raw_id = length_text = time_text = text1 = b""
        while True:  # buf[pos:] starts with "<spectrum" and a separator
            tag_end = find(b">", pos)
            if tag_end < 0 or buf[tag_end - 1] == 0x2F:
                break
            header_end = find(b"<binaryDataArrayList", tag_end)
            if (
                header_end < 0
                or find(b"</spectrum>", tag_end, header_end) >= 0
                or find(b"referenceableParamGroupRef", tag_end, header_end) >= 0
            ):
                break
            # ---- the MS level (the same cvParam text as last time: the same value)
            k = find(_NEEDLE_MS_LEVEL, tag_end, header_end)
            if k < 0 or buf[k - 1] not in ws:
                break
            at = rfind(b"<", tag_end, k)
            if k - at != level_offset or not startswith(level_tag, at):
                if at < 0 or not startswith(b"<cvParam", at):
                    break
                gt = find(b">", k)
                v = find(b'value="', at, gt)
                if not (gt > v > at and buf[v - 1] in re_ws):
                    break
                q = find(b'"', v + 7, gt)
                if q < 0 or not buf[v + 7 : q].isdigit():
                    break
                level = int(buf[v + 7 : q])
                level_tag, level_offset = buf[at : gt + 1], k - at
            # ---- the ID (the first occurrence, as _run_loop; decoded with the batch)
            k = find(b'id="', pos, tag_end)
            if not (k > pos and buf[k - 1] in re_ws):
                break
            q = find(b'"', k + 4, tag_end)
            if q < 0:
                break
            raw_id = buf[k + 4 : q]
            keep = levels is None or level in levels
            if not keep and not raw_id.isascii():  # the careful walk decodes every ID
                try:
                    raw_id.decode("utf-8")
                except UnicodeDecodeError:
                    break
            if keep:
                # ---- the default array length (the first occurrence, as _run_loop)
                k = find(b'defaultArrayLength="', pos, tag_end)
                if not (k > pos and buf[k - 1] in re_ws):
                    break
                q = find(b'"', k + 20, tag_end)
                if q < 0:
                    break
                length_text = buf[k + 20 : q]
                # ---- the start time: the cvParam's text around the value as last time?
                k = find(_NEEDLE_START_TIME, tag_end, header_end)
                if k < 0 or buf[k - 1] not in ws:
                    break
                at = rfind(b"<", tag_end, k)
                q = -1
                if k - at == time_offset and startswith(time_prefix, at):
                    v = at + len(time_prefix)
                    q = find(b'"', v)
                    if not startswith(time_suffix, q):
                        q = -1
                if q < 0:  # read the cvParam as _run_loop reads it
                    if at < 0 or not startswith(b"<cvParam", at):
                        break
                    gt = find(b">", k)
                    v = find(b'value="', at, gt)
                    if not (gt > v > k and buf[v - 1] in re_ws):
                        break  # (a value before the accession: _run_loop reads it)
                    q = find(b'"', v + 7, gt)
                    u = find(b'unitAccession="', at, gt)
                    if q < 0 or not (gt > u > at and buf[u - 1] in re_ws):
                        break
                    uq = find(b'"', u + 15, gt)
                    rule = _TIME_UNITS_BYTES.get(buf[u + 15 : uq]) if uq >= 0 else None
                    if rule is None:
                        break
                    v += 7
                    time_prefix, time_offset, time_suffix = buf[at:v], k - at, buf[q : gt + 1]
                time_text = buf[v:q]
            # ---- the arrays: "<binaryDataArrayList ...>" up to the first array's name
            if list_open is not None and startswith(list_open, header_end):
                at = header_end + len(list_open) - 17
            else:
                p = find(b">", header_end)
                at = find(b"<", p) if p >= 0 else -1
                if (
                    at < 0
                    or at + 17 > n
                    or not startswith(b"<binaryDataArray", at)
                    or buf[at + 16] not in _TAG_END_CODES
                ):
                    break
                list_open = buf[header_end : at + 17]
            # ---- the first array: start tag, cvParams, base64 text (the two arrays are
            # written out one after the other: a helper would add a call per array)
            tag_close = find(b">", at + 16)
            if (
                tag_close < 0
                or find(b"<", at + 16, tag_close) >= 0
                or odd_tag(buf, at + 16, tag_close) is not None
            ):
                break  # markup, accession, a group ref or arrayLength in the tag: _run_loop
            if body1 is None or not startswith(body1, tag_close + 1):
                cvparams = self._array_body(buf, at, tag_close)
                if cvparams is None:
                    break
                body1, known1 = cvparams + b"<binary>", self.arrays.kinds.get(cvparams)
            text_at = tag_close + 1 + len(body1)
            text_end = find(b"<", text_at)
            # ---- "</binary>", "</binaryDataArray>", the second array's name
            if between is not None and startswith(between, text_end):
                at = text_end + len(between) - 17
            else:
                at = self._array_close(buf, text_end)
                if (
                    at < 0
                    or at + 17 > n
                    or not startswith(b"<binaryDataArray", at)
                    or buf[at + 16] not in _TAG_END_CODES
                ):
                    break
                between = buf[text_end : at + 17]
            if keep:
                text1 = buf[text_at:text_end]
            # ---- the second array
            tag_close = find(b">", at + 16)
            if (
                tag_close < 0
                or find(b"<", at + 16, tag_close) >= 0
                or odd_tag(buf, at + 16, tag_close) is not None
            ):
                break
            if body2 is None or not startswith(body2, tag_close + 1):
                cvparams = self._array_body(buf, at, tag_close)
                if cvparams is None:
                    break
                body2, known2 = cvparams + b"<binary>", self.arrays.kinds.get(cvparams)
            text_at = tag_close + 1 + len(body2)
            text_end = find(b"<", text_at)
            # ---- "</binary>", "</binaryDataArray>", "</binaryDataArrayList>", "</spectrum>"
            if after is not None and startswith(after, text_end):
                end = text_end + len(after) - 11
            else:
                at = self._array_close(buf, text_end)
                if at < 0 or not startswith(b"</binaryDataArrayList>", at):
                    break
                end = find(b"<", at + 22)
                if end < 0 or not startswith(b"</spectrum>", end):
                    break
                after = buf[text_end : end + 11]
            if end + 11 > bang:
                break  # a "!" in this spectrum: _run_loop decides
            if keep:
                if known1 is None:  # the careful walk may have met them since
                    known1 = self.arrays.kinds.get(body1[:-8])
                if known2 is None:
                    known2 = self.arrays.kinds.get(body2[:-8])
                if (
                    known1 is None
                    or known2 is None
                    or known1[1] is None
                    or known2[1] is None
                    or known1[0] == known2[0]
                ):
                    break  # unseen kinds, or not one m/z and one intensity array
                rows.append(
                    (
                        len(seen),  # where it comes among the spectra read
                        pos,
                        raw_id,
                        level,
                        time_text,
                        rule,
                        length_text,
                        text1,
                        buf[text_at:text_end],
                        known1,
                        known2,
                    )
                )
            seen.append(level)
            # ---- the next spectrum, if only whitespace comes first
            pos = end + 11
            if gap is not None and startswith(gap, pos):
                pos += len(gap) - 10
                continue
            nxt = find(b"<", pos)
            if (
                nxt < 0
                or nxt + 9 >= n
                or not startswith(b"<spectrum", nxt)
                or buf[nxt + 9] not in start_codes
                or (nxt > pos and not buf[pos:nxt].isspace())
            ):
                break
            gap = buf[pos : nxt + 10]
            pos = nxt
        cache.update(
            level=(level_tag, level_offset, level),
            time=(time_prefix, time_offset, time_suffix, rule),
            list_open=list_open,
            body1=(body1, known1),
            body2=(body2, known2),
            between=between,
            after=after,
            gap=gap,
        )
        if not seen:
            return start
        n_ok = self._finish_batch(rows) if rows else 0
        n_seen = len(seen)
        if n_ok < len(rows):  # stop before the first spectrum the batch could not finish
            n_seen, pos = rows[n_ok][:2]
        counts = self.collector.level_counts
        for level in seen[:n_seen]:
            counts[level] = counts.get(level, 0) + 1
        return pos

    @staticmethod
    def _array_body(buf: bytes, at: int, tag_close: int) -> bytes | None:
        """The cvParams of the array starting at ``at``, where :meth:`_run_loop` reads them
        (up to a plain ``<binary>``), or ``None`` where it would not."""
        text_at = buf.find(b"<binary", at + 16)
        if (
            text_at < tag_close
            or buf.find(b"</binaryDataArray>", at, text_at) >= 0
            or not buf.startswith(b"<binary>", text_at)
        ):
            return None
        return buf[tag_close + 1 : text_at]

    @staticmethod
    def _array_close(buf: bytes, text_end: int) -> int:
        """After an array's text: where the next tag after its ``</binaryDataArray>``
        starts, or -1 where :meth:`_run_loop` would not go on."""
        if text_end < 0 or not buf.startswith(b"</binary>", text_end):
            return -1
        array_end = buf.find(b"<", text_end + 9)
        if array_end < 0 or not buf.startswith(b"</binaryDataArray>", array_end):
            return -1
        return buf.find(b"<", array_end + 18)

    def _finish_batch(self, rows: list[tuple[Any, ...]]) -> int:
        """Convert the values of the spectra :meth:`_run_batch` kept and decode their arrays;
        record them up to the first that :meth:`_run_loop` would not have read (an ID that
        is not UTF-8, a time that is not a number, a length that is not digits, arrays it
        would not decode); return how many were recorded."""
        (_, _, raw_ids, levels, time_texts, rules, length_texts, texts1, texts2, kinds1, kinds2) = (
            zip(*rows, strict=True)
        )
        ids = _decode_ids(list(raw_ids))
        n = len(ids)
        try:
            times = list(map(float, time_texts[:n]))
        except ValueError:
            times = []
            for text in time_texts[:n]:
                try:
                    times.append(float(text))
                except ValueError:
                    break
        n = len(times)
        if n and not all(map(bytes.isdigit, length_texts[:n])):
            n = next(i for i, text in enumerate(length_texts[:n]) if not text.isdigit())
        if n == 0:
            return 0
        lengths = list(map(int, length_texts[:n]))
        del times[n:]
        rule = rules[0]
        if rules.count(rule) == len(rules):
            factor = rule[1]
            rts = [t / factor for t in times] if rule[0] else [t * factor for t in times]
        else:
            rts = [t / r[1] if r[0] else t * r[1] for t, r in zip(times, rules, strict=False)]
        return self._decode_batch(
            ids[:n],
            list(levels[:n]),
            rts,
            lengths,
            (list(texts1[:n]), list(texts2[:n])),
            (list(kinds1[:n]), list(kinds2[:n])),
        )

    def _decode_batch(
        self,
        ids: list[str],
        levels: list[int],
        rts: list[float],
        lengths: list[int],
        columns: tuple[list[bytes], list[bytes]],
        kinds: tuple[list[_Kind], list[_Kind]],
    ) -> int:
        """Decode and record the arrays of the spectra :meth:`_run_batch` read; return how
        many were recorded: all but those from the first one whose arrays the careful walk
        would read another way or refuse (text that is not strict base64, a broken stream,
        a length other than declared), which is left to it.

        Where each column (the first and the second array of every spectrum) holds one
        kind of array and every zlib stream is small, a column is decoded by mapping the
        decoders over it; otherwise array by array in document order, so that a
        decompression bomb is refused exactly where the careful walk refuses it.
        """
        n = len(ids)
        uniform = all(column.count(column[0]) == n for column in kinds) and (
            max(max(map(len, texts)) for texts in columns) <= _SMALL_TEXT
        )
        decoded: list[list[bytes]] = []
        n_ok = n
        if uniform:
            for texts, column_kinds in zip(columns, kinds, strict=True):
                size = column_kinds[0][1].itemsize
                expected = [length * size for length in lengths]
                out = _decode_column(texts, column_kinds[0], expected)
                decoded.append(out)
                n_ok = min(n_ok, len(out))
        if not decoded:
            decoded = [[], []]
            n_ok = _decode_in_order(self.path, ids, lengths, columns, kinds, decoded)
        if n_ok == 0:
            return 0
        collector = self.collector
        if n_ok < n:
            del ids[n_ok:], levels[n_ok:], rts[n_ok:], lengths[n_ok:]
        collector.ids.extend(ids)
        collector.ms_level.extend(levels)
        collector.rt.extend(rts)
        collector.lengths.extend(lengths)
        if uniform:
            for out, column_kinds in zip(decoded, kinds, strict=True):
                kind, dtype, _ = column_kinds[0]
                if kind == "mz":
                    collector.mz.extend(out[:n_ok])
                    collector.mz_dtypes.extend([dtype] * n_ok)
                else:
                    collector.intensity.extend(out[:n_ok])
                    collector.intensity_dtypes.extend([dtype] * n_ok)
        else:
            for i in range(n_ok):
                for out, column_kinds in zip(decoded, kinds, strict=True):
                    kind, dtype, _ = column_kinds[i]
                    if kind == "mz":
                        collector.mz.append(out[i])
                        collector.mz_dtypes.append(dtype)
                    else:
                        collector.intensity.append(out[i])
                        collector.intensity_dtypes.append(dtype)
        return n_ok

    def _run_loop(self, buf: bytes, pos: int, *, once: bool = False) -> int:
        """Read the ordinary spectra that follow one another from ``pos`` (whitespace only
        between them); return where the first other one (or the end of ``buf``) starts.
        With ``once``, return after the first spectrum (where the next one starts, if only
        whitespace comes first).

        This is :meth:`_parse_careful` with :meth:`_header` and :meth:`_ArrayDecoder.decode`
        written out in one loop (no Python call per spectrum). It takes the careful walk's
        steps but only its usual branches: at anything else (a spectrum without arrays, a
        ``!`` in the markup, ``<binary/>``, a spectrum cut by the end of ``buf``, a value or
        array the careful walk would refuse or read with a fallback, ...) it stops before
        that spectrum, so the careful walk reads it, refuses it with its own message or asks
        for more bytes. Nothing of a spectrum is recorded until it has been read whole.
        ``tests/test_mzml_fastpath.py`` checks both on real, generated and odd files.
        """
        find = buf.find
        rfind = buf.rfind
        startswith = buf.startswith
        n = len(buf)
        text = memoryview(buf)
        ws = _WS_CODES
        re_ws = _RE_WS_CODES
        tag_end_codes = _TAG_END_CODES
        start_codes = _START_SEP_CODES
        units = _TIME_UNITS_BYTES
        odd_tag = _RE_ODD_ARRAY_TAG.search
        fast_b64 = _fast_b64decode
        decompress = zlib.decompress
        small = _SMALL_DEFLATE
        collector = self.collector
        counts = collector.level_counts
        levels = collector.levels
        add_id, add_level = collector.ids.append, collector.ms_level.append
        add_rt, add_length = collector.rt.append, collector.lengths.append
        add_mz, add_mz_dtype = collector.mz.append, collector.mz_dtypes.append
        add_int, add_int_dtype = collector.intensity.append, collector.intensity_dtypes.append
        kinds = self.arrays.kinds
        guesses: list[tuple[bytes, tuple[str, np.dtype | None, bool] | None] | None] = []
        while True:  # buf[pos:] starts with "<spectrum" and a separator
            # ---- structure, as _parse_careful walks it
            tag_end = find(b">", pos)
            if tag_end < 0 or buf[tag_end - 1] == 0x2F:
                return pos
            header_end = find(b"<binaryDataArrayList", tag_end)
            if (
                header_end < 0
                or find(b"</spectrum>", tag_end, header_end) >= 0
                or find(b"!", tag_end, header_end) >= 0  # a "<!" would be refused
                or find(b"referenceableParamGroupRef", tag_end, header_end) >= 0
            ):
                return pos
            # ---- the header, as _header reads it
            k = find(b'id="', pos, tag_end)
            if not (k > pos and buf[k - 1] in re_ws):
                return pos
            q = find(b'"', k + 4, tag_end)
            if q < 0:
                return pos
            try:
                spectrum_id = buf[k + 4 : q].decode("utf-8")
            except UnicodeDecodeError:
                return pos
            if "&" in spectrum_id:
                spectrum_id = html.unescape(spectrum_id)
            k = find(_NEEDLE_MS_LEVEL, tag_end, header_end)
            if k < 0 or buf[k - 1] not in ws:
                return pos
            at = rfind(b"<", 0, k)
            end = find(b">", k)
            if not startswith(b"<cvParam", at):
                return pos
            v = find(b'value="', at, end)
            if not (end > v > at and buf[v - 1] in re_ws):
                return pos  # the value attribute is elsewhere (or absent): careful decides
            q = find(b'"', v + 7, end)
            if q < 0:
                return pos
            level_text = buf[v + 7 : q]
            if not level_text.isdigit():
                return pos
            level = int(level_text)
            keep = levels is None or level in levels
            if keep:
                k = find(_NEEDLE_START_TIME, tag_end, header_end)
                if k < 0 or buf[k - 1] not in ws:
                    return pos
                at = rfind(b"<", 0, k)
                end = find(b">", k)
                if not startswith(b"<cvParam", at):
                    return pos
                v = find(b'value="', at, end)
                if not (end > v > at and buf[v - 1] in re_ws):
                    return pos
                q = find(b'"', v + 7, end)
                if q < 0:
                    return pos
                time_text = buf[v + 7 : q]
                v = find(b'unitAccession="', at, end)
                if not (end > v > at and buf[v - 1] in re_ws):
                    return pos
                q = find(b'"', v + 15, end)
                rule = units.get(buf[v + 15 : q]) if q >= 0 else None
                if rule is None:
                    return pos
                try:
                    rt = float(time_text)
                except ValueError:
                    return pos
                rt = rt / rule[1] if rule[0] else rt * rule[1]
                k = find(b'defaultArrayLength="', pos, tag_end)
                if not (k > pos and buf[k - 1] in re_ws):
                    return pos
                q = find(b'"', k + 20, tag_end)
                length_text = buf[k + 20 : q] if q >= 0 else b""
                if not length_text.isdigit():
                    return pos
                default_length = int(length_text)
            # ---- the binary arrays, as _parse_careful walks them and decode reads them
            p = find(b">", header_end)
            if p < 0:
                return pos
            mz = intensity = None
            n_mz = n_intensity = -1
            index = 0
            while True:
                at = find(b"<", p)
                if at < 0 or at + 22 > n:
                    return pos
                if startswith(b"</binaryDataArrayList>", at):
                    p = at + 22
                    break
                if not startswith(b"<binaryDataArray", at) or buf[at + 16] not in tag_end_codes:
                    return pos
                tag_close = find(b">", at + 16)
                if tag_close < 0 or find(b"<", at + 16, tag_close) >= 0:
                    return pos  # markup inside the start tag: careful
                # the cvParams usually repeat those of the same array in the last spectrum:
                # a body that passed the walk's checks below passes them again
                guess = guesses[index] if index < len(guesses) else None
                if (
                    guess is not None
                    and startswith(guess[0], tag_close + 1)
                    and startswith(b"<binary>", tag_close + 1 + len(guess[0]))
                ):
                    text_at = tag_close + 1 + len(guess[0])
                    known = guess[1]
                else:
                    text_at = find(b"<binary", at + 16)
                    if text_at < 0 or text_at + 9 > n:
                        return pos
                    if (
                        text_at < tag_close
                        or find(b"!", at, text_at) >= 0
                        or find(b"</binaryDataArray>", at, text_at) >= 0
                        or not startswith(b"<binary>", text_at)
                    ):
                        return pos
                    body = buf[tag_close + 1 : text_at]
                    known = kinds.get(body)
                    while len(guesses) <= index:
                        guesses.append(None)
                    guesses[index] = (body, known)
                index += 1
                text_end = find(b"<", text_at + 8)
                if text_end < 0 or text_end + 9 > n or not startswith(b"</binary>", text_end):
                    return pos
                array_end = find(b"<", text_end + 9)
                if (
                    array_end < 0
                    or array_end + 18 > n
                    or not startswith(b"</binaryDataArray>", array_end)
                ):
                    return pos
                p = array_end + 18
                if not keep:
                    continue
                if known is None or odd_tag(buf, at + 16, tag_close) is not None:
                    # a kind of array not met yet (careful classifies it), or accession, a
                    # group ref or arrayLength in the start tag (careful reads them)
                    if known is None and index <= len(guesses):
                        guesses[index - 1] = None  # ask the cache again next time
                    return pos
                kind, dtype, zlib_on = known
                if dtype is None:
                    continue
                raw = b""
                if text_end > text_at + 8:
                    try:
                        if fast_b64 is not None:
                            raw = fast_b64(text[text_at + 8 : text_end], validate=True)
                        else:
                            raw = binascii.a2b_base64(text[text_at + 8 : text_end])
                    except ValueError:  # binascii.Error too
                        return pos  # not strict base64: careful (binascii) decides
                    if zlib_on and raw:
                        if len(raw) > small:  # capped, raising as the careful walk would
                            raw = _inflate(
                                raw, default_length * dtype.itemsize, self.path, spectrum_id, kind
                            )
                        else:
                            try:
                                raw = decompress(raw)
                            except zlib.error:
                                return pos
                n_values, rest = divmod(len(raw), dtype.itemsize)
                if rest or n_values != default_length:
                    return pos
                if kind == "mz":
                    mz, mz_dtype, n_mz = raw, dtype, n_values
                else:
                    intensity, intensity_dtype, n_intensity = raw, dtype, n_values
            end = find(b"<", p)
            if end < 0 or end + 11 > n or not startswith(b"</spectrum>", end):
                return pos
            if keep:
                if mz is None or intensity is None or n_mz != n_intensity:
                    return pos
                add_id(spectrum_id)  # collector.add_raw, written out
                add_level(level)
                add_rt(rt)
                add_length(n_mz)
                add_mz(mz)
                add_mz_dtype(mz_dtype)
                add_int(intensity)
                add_int_dtype(intensity_dtype)
            counts[level] = counts.get(level, 0) + 1
            # ---- the next spectrum, if only whitespace comes first
            pos = end + 11
            nxt = find(b"<", pos)
            if (
                nxt < 0
                or nxt + 9 >= n
                or not startswith(b"<spectrum", nxt)
                or buf[nxt + 9] not in start_codes
                or (nxt > pos and not buf[pos:nxt].isspace())
            ):
                return pos
            pos = nxt
            if once:
                return pos

    def _add(
        self,
        spectrum_id: str,
        level: int,
        rt: float,
        mz: tuple[bytes, np.dtype] | None,
        intensity: tuple[bytes, np.dtype] | None,
    ) -> None:
        if mz is None or intensity is None:
            raise _UnsupportedError(f"spectrum {spectrum_id!r} lacks an m/z or intensity array")
        n_peaks = len(mz[0]) // mz[1].itemsize
        if n_peaks != len(intensity[0]) // intensity[1].itemsize:
            raise _UnsupportedError(f"spectrum {spectrum_id!r} has arrays of different lengths")
        self.collector.add_raw(spectrum_id, level, rt, n_peaks, *mz, *intensity)

    def _header(
        self,
        buf: bytes,
        tag_lo: int,
        tag_hi: int,
        lo: int,
        hi: int,
        *,
        markup_checked: bool = False,
    ) -> tuple[str, int, bool, float, int]:
        """ID, MS level, whether it is kept, start time and default array length.

        ``buf[tag_lo:tag_hi]`` holds the spectrum start tag's attributes (up to, not
        including, its ``>``); ``buf[lo:hi]`` what lies between the start tag and the
        binary arrays (or the end tag). ``markup_checked``: the caller's pattern already
        excluded comments, CDATA and declarations there.
        """
        find = buf.find
        if not markup_checked and find(b"<!", lo, hi) >= 0:
            raise _UnsupportedError("a comment, CDATA or declaration inside a spectrum")
        if find(b"referenceableParamGroupRef", lo, hi) >= 0:
            raise _UnsupportedError("a param-group reference inside a spectrum")
        raw_id = _attribute(buf, b'id="', tag_lo, tag_hi)
        spectrum_id = raw_id.decode("utf-8") if raw_id is not None else ""
        if "&" in spectrum_id:
            spectrum_id = html.unescape(spectrum_id)
        # the first cvParam holding the accession: the needle's first occurrence, preceded
        # by whitespace, must lie in a <cvParam> tag
        k = find(_NEEDLE_MS_LEVEL, lo, hi)
        level_value = None
        if k >= 0 and buf[k - 1] in _WS_CODES:
            at = buf.rfind(b"<", 0, k)
            if buf.startswith(b"<cvParam", at):
                level_value = _attribute(buf, b'value="', at, find(b">", k))
        if level_value is None:
            raise _UnsupportedError(f"spectrum {spectrum_id!r} has no 'ms level' cvParam")
        level = int(level_value)
        keep = self.collector.keeps(level)
        rt = 0.0
        if keep:
            k = find(_NEEDLE_START_TIME, lo, hi)
            time_value = None
            if k >= 0 and buf[k - 1] in _WS_CODES:
                at = buf.rfind(b"<", 0, k)
                if buf.startswith(b"<cvParam", at):
                    end = find(b">", k)
                    time_value = _attribute(buf, b'value="', at, end)
            if time_value is None:
                raise _UnsupportedError(f"spectrum {spectrum_id!r} has no 'scan start time'")
            unit = _attribute(buf, b'unitAccession="', at, end)
            if unit is None:
                unit = _attribute(buf, b'unitName="', at, end)
            rt = _to_minutes(
                float(time_value),
                unit.decode("ascii", "replace") if unit is not None else None,
                self.path,
                spectrum_id,
            )
        default_length = -1
        length = _attribute(buf, b'defaultArrayLength="', tag_lo, tag_hi)
        if length is not None:
            if length.isdigit():
                default_length = int(length)
            else:  # the pattern's own rule: the first such attribute made of digits
                default_match = _RE_DEFAULT_LENGTH.search(buf, tag_lo, tag_hi)
                default_length = int(default_match.group(1)) if default_match else -1
        return spectrum_id, level, keep, rt, default_length

    def _parse_careful(self, buf: bytes, start: int) -> int:
        find = buf.find
        n = len(buf)  # every check near the end of `buf` waits for more bytes (-1)
        tag_end = find(b">", start)
        if tag_end < 0:
            return -1
        if buf[tag_end - 1] == 0x2F:  # "/>"
            raise _UnsupportedError("an empty <spectrum/> element")
        header_end = find(b"<binaryDataArrayList", tag_end)
        close = find(b"</spectrum>", tag_end, None if header_end < 0 else header_end)
        if close >= 0:
            header_end = close  # a spectrum without binary arrays
        elif header_end < 0:
            return -1
        spectrum_id, level, keep, rt, default_length = self._header(
            buf, start, tag_end, tag_end, header_end
        )

        mz = intensity = None
        pos = header_end
        if close < 0:  # walk the binaryDataArrayList
            pos = find(b">", header_end)
            if pos < 0:
                return -1
            while True:
                at = find(b"<", pos)  # the next tag after whitespace
                if at < 0 or at + 22 > n:
                    return -1
                if buf.startswith(b"</binaryDataArrayList>", at):
                    pos = at + 22
                    break
                if not buf.startswith(b"<binaryDataArray", at) or buf[at + 16] not in _TAG_END:
                    raise _UnsupportedError("an unexpected element among the binary arrays")
                text_at = find(b"<binary", at + 16)
                if text_at < 0 or text_at + 9 > n:
                    return -1
                if find(b"<!", at, text_at) >= 0 or find(b"</binaryDataArray>", at, text_at) >= 0:
                    raise _UnsupportedError("a binaryDataArray without a plain <binary> element")
                if buf.startswith(b"<binary>", text_at):
                    text_end = find(b"<", text_at + 8)  # memchr over the base64 text
                    if text_end < 0 or text_end + 9 > n:
                        return -1
                    if not buf.startswith(b"</binary>", text_end):
                        raise _UnsupportedError("markup inside a <binary> element")
                    after = text_end + 9
                elif buf.startswith(b"<binary/>", text_at):
                    text_end = text_at + 8
                    after = text_at + 9
                else:
                    raise _UnsupportedError("a <binary> element with attributes")
                array_end = find(b"<", after)
                if array_end < 0 or array_end + 18 > n:
                    return -1
                if not buf.startswith(b"</binaryDataArray>", array_end):
                    raise _UnsupportedError("an unexpected element after <binary>")
                if keep:
                    tag_close = find(b">", at, text_at)
                    if tag_close < 0:
                        raise _UnsupportedError("a binaryDataArray start tag without its '>'")
                    kind, raw, dtype = self.arrays.decode(
                        buf,
                        at + 16,
                        tag_close,
                        tag_close + 1,
                        text_at,
                        text_at + 8,
                        text_end,
                        default_length,
                        spectrum_id,
                    )
                    if kind == "mz":
                        mz = (raw, dtype)
                    elif kind == "intensity":
                        intensity = (raw, dtype)
                pos = array_end + 18
        end = find(b"<", pos)
        if end < 0 or end + 11 > n:
            return -1
        if not buf.startswith(b"</spectrum>", end):
            raise _UnsupportedError("an unexpected element after the binary arrays")
        self.collector.count(level)
        if keep:
            self._add(spectrum_id, level, rt, mz, intensity)
        return end + 11


_TAG_END = b" \t\r\n>"
_RE_ODD_ARRAY_TAG = re.compile(rb"accession|referenceableParamGroupRef|arrayLength")
_RE_ODD_ONLY = re.compile(rb"accession|referenceableParamGroupRef")


class _ArrayDecoder:
    """Decodes mzML ``<binaryDataArray>`` elements; remembers how each kind of array is stored.

    The cvParams of a file's arrays repeat from spectrum to spectrum (only the start tag's
    ``arrayLength``/``encodedLength`` change), so what they say (m/z or intensity, float
    width, compression) is worked out once per distinct cvParam text and kept (at most
    :attr:`MAX_KINDS` of them, so a hostile file cannot grow the table without bound).
    """

    MAX_KINDS = 64

    def __init__(self, path: Path) -> None:
        self.path = path
        self.kinds: dict[bytes, tuple[str, np.dtype | None, bool]] = {}

    def decode(
        self,
        buf: bytes,
        tag_lo: int,
        tag_hi: int,
        body_lo: int,
        body_hi: int,
        text_lo: int,
        text_hi: int,
        default_length: int,
        spectrum_id: str,
    ) -> tuple[str, bytes, np.dtype | None]:
        """Decode one array: start-tag attributes ``buf[tag_lo:tag_hi]`` (before its ``>``),
        cvParams ``buf[body_lo:body_hi]`` (up to ``<binary``), base64 ``buf[text_lo:text_hi]``.
        """
        if _RE_ODD_ONLY.search(buf, tag_lo, tag_hi):  # read the tag's text too, uncached
            kind, dtype, zlib_on = _array_kind(buf[tag_lo:tag_hi] + b">" + buf[body_lo:body_hi])
        else:
            body = buf[body_lo:body_hi]
            known = self.kinds.get(body)
            if known is None:
                known = _array_kind(body)
                if len(self.kinds) >= self.MAX_KINDS:
                    self.kinds.clear()
                self.kinds[body] = known
            kind, dtype, zlib_on = known
        if dtype is None:
            return kind, b"", None
        expected = default_length
        if buf.find(b"arrayLength", tag_lo, tag_hi) >= 0:
            length_match = _RE_ARRAY_LENGTH.search(buf, tag_lo, tag_hi)
            if length_match:
                expected = int(length_match.group(1))
        try:
            raw = _b64decode(buf, text_lo, text_hi) if text_hi > text_lo else b""
        except binascii.Error as err:
            raise _UnsupportedError(f"undecodable binary data ({err})") from None
        if zlib_on and raw:
            cap = expected * dtype.itemsize if expected >= 0 else -1
            raw = _inflate(raw, cap, self.path, spectrum_id, kind)
        n_values, odd = divmod(len(raw), dtype.itemsize)
        if odd:
            raise _UnsupportedError("binary data whose length is not a multiple of the item size")
        if expected >= 0 and n_values != expected:
            raise _UnsupportedError(
                f"spectrum {spectrum_id!r}: {n_values} values decoded, {expected} declared"
            )
        return kind, raw, dtype


def _array_kind(meta: bytes) -> tuple[str, np.dtype | None, bool]:
    """What a ``<binaryDataArray>``'s cvParams say: kind, dtype (None: not read), zlib."""
    if b"referenceableParamGroupRef" in meta:
        raise _UnsupportedError("a param-group reference inside a binaryDataArray")
    accessions = set(_RE_ACCESSION.findall(meta))
    if _ACC_MZ in accessions:
        kind = "mz"
    elif _ACC_INTENSITY in accessions:
        kind = "intensity"
    else:
        return "other", None, False
    if _ACC_FLOAT64 in accessions and _ACC_FLOAT32 not in accessions:
        dtype = _F8
    elif _ACC_FLOAT32 in accessions and _ACC_FLOAT64 not in accessions:
        dtype = _F4
    else:
        raise _UnsupportedError(f"a {kind} array that is not plain 32/64-bit float")
    zlib_on = _ACC_ZLIB in accessions
    if zlib_on == (_ACC_NO_COMPRESSION in accessions):
        raise _UnsupportedError(f"a {kind} array with numpress or unknown compression")
    return kind, dtype, zlib_on


_SMALL_DEFLATE = 1 << 12
"""zlib streams up to this size are inflated in one call (at most ~4 MB, deflate's
maximum expansion being 1032:1) and then checked; larger ones with a capped output."""

_SMALL_TEXT = (_SMALL_DEFLATE // 3) * 4
"""Base64 texts up to this length (so zlib streams up to :data:`_SMALL_DEFLATE` bytes) are
decoded a column at a time; longer ones array by array, where a call costs little beside
the decoding and big zlib streams are inflated with a cap."""


def _inflate_limit(expected_bytes: int) -> int:
    """How far an array declared to hold ``expected_bytes`` (-1: undeclared) may inflate."""
    if expected_bytes < 0:
        return MAX_ARRAY_BYTES
    return min(4 * expected_bytes + INFLATE_SLACK, MAX_ARRAY_BYTES)


def _inflate(raw: bytes, expected_bytes: int, path: Path, spectrum_id: str, kind: str) -> bytes:
    """zlib-inflate ``raw``, never producing more than :func:`_inflate_limit` (+1 byte).

    A stream that inflates beyond the limit is refused with a
    :class:`~omicsnet.errors.DataError` (a corrupt file or a decompression bomb, which the
    other readers would inflate whole). Streams of up to :data:`_SMALL_DEFLATE` bytes are
    inflated in one call and checked after (deflate expands at most 1032-fold, so that
    stays within ~4 MB); larger ones with a capped output. A stream that is merely longer
    or shorter than declared, or broken, is left to the caller's checks (and the fallback
    reader).
    """
    limit = _inflate_limit(expected_bytes)
    try:
        if len(raw) <= _SMALL_DEFLATE:
            out = zlib.decompress(raw)
            finished = True
        else:
            inflater = _big_inflate.decompressobj()
            out = inflater.decompress(raw, limit + 1)
            finished = inflater.eof
    except (zlib.error, _BigInflateError) as err:
        raise _UnsupportedError(f"undecodable binary data ({err})") from None
    if len(out) > limit:
        _raise_inflated_too_far(path, spectrum_id, kind, expected_bytes)
    if not finished:
        raise _UnsupportedError(
            "undecodable binary data (Error -5 while decompressing data: incomplete or "
            "truncated stream)"
        )
    return out


def _raise_inflated_too_far(path: Path, spectrum_id: str, kind: str, expected_bytes: int) -> None:
    limit = _inflate_limit(expected_bytes)
    declared = f"{expected_bytes} bytes declared" if expected_bytes >= 0 else "none declared"
    raise DataError(
        f"{path}: spectrum {spectrum_id!r}: the {kind} array inflates to more than {limit} "
        f"bytes ({declared}; limits: omicsnet.ms.mzml.MAX_ARRAY_BYTES, INFLATE_SLACK); "
        "refusing it as a corrupt file or a decompression bomb"
    )


_F4 = np.dtype("<f4")
_F8 = np.dtype("<f8")


def _b64decode(buf: bytes, lo: int, hi: int) -> bytes:
    """Base64 text ``buf[lo:hi]`` → bytes, as ``binascii.a2b_base64`` decodes it.

    With :mod:`pybase64` installed, strictly valid text (the alphabet and final padding
    only: what every writer produces) is decoded by its SIMD decoder, about 25 times
    faster; text it refuses (whitespace, line breaks, stray characters, bad padding) is
    decoded by ``binascii.a2b_base64``, which skips characters outside the alphabet and
    raises :class:`binascii.Error` on bad padding. Where both accept a text they agree
    (``tests/test_mzml_speed.py`` checks it on random and damaged texts).
    """
    text = memoryview(buf)[lo:hi]
    if _fast_b64decode is not None:
        try:
            return _fast_b64decode(text, validate=True)
        except ValueError:  # binascii.Error: not strictly valid; binascii decides
            pass
    return binascii.a2b_base64(text)


class _MzXMLScanner(_BlockScanner):
    """mzXML scans, nested (MS2 inside MS1) or not.

    A block runs from a ``<scan`` start tag to its ``</scan>`` or to the next nested
    ``<scan``, whichever comes first: a scan's own ``<peaks>`` precede its children.
    Scans are returned in document order, which is the order pyteomics returns (ascending
    ``num``) as long as ``num`` increases through the file; otherwise the file is left to
    pyteomics.
    """

    start_tag = b"<scan"
    end_tag = b"</scan>"

    def __init__(self, path: Path, collector: _Collector) -> None:
        super().__init__(path, collector)
        self.last_num = -1

    def _find_end(self, buf: bytes, start: int) -> tuple[int, int]:
        end = buf.find(self.end_tag, start)
        child = self._find_start(buf, start + len(self.start_tag))
        if child >= 0 and child + len(self.start_tag) >= len(buf):
            return -1, -1  # perhaps <scanOrigin …: wait for more bytes
        if child >= 0 and (end < 0 or child < end):
            return child, child
        return end, (end + len(self.end_tag) if end >= 0 else -1)

    def parse(self, block: bytes) -> None:
        if b"<!" in block:
            raise _UnsupportedError("a comment or CDATA inside a scan")
        tag_end = block.find(b">")
        attrs = {k.decode(): v.decode() for k, v in _RE_ATTRIBUTE.findall(block[:tag_end])}
        scan_id = attrs.get("num", "")
        if not scan_id.isdigit() or int(scan_id) <= self.last_num:
            raise _UnsupportedError("scan numbers that do not increase through the file")
        self.last_num = int(scan_id)
        if "msLevel" not in attrs:
            raise _UnsupportedError(f"scan {scan_id!r} has no msLevel")
        level = int(attrs["msLevel"])
        if not self.collector.wants(level):
            return
        rt = _mzxml_minutes(attrs.get("retentionTime"), scan_id)
        peaks_at = block.find(b"<peaks", tag_end)
        if peaks_at < 0:
            raise _UnsupportedError(f"scan {scan_id!r} has no <peaks>")
        peaks_tag_end = block.find(b">", peaks_at)
        peaks_attrs = {
            k.decode(): v.decode() for k, v in _RE_ATTRIBUTE.findall(block[peaks_at:peaks_tag_end])
        }
        if block[peaks_tag_end - 1 : peaks_tag_end] == b"/":
            text = b""
        else:
            text_end = block.find(b"</peaks>", peaks_tag_end)
            if text_end < 0:
                raise _UnsupportedError("an unterminated <peaks> element")
            text = block[peaks_tag_end + 1 : text_end]
        precision = peaks_attrs.get("precision", "32")
        order = peaks_attrs.get("byteOrder", "network")
        pairs = peaks_attrs.get("pairOrder", peaks_attrs.get("contentType", "m/z-int"))
        compression = peaks_attrs.get("compressionType", "none")
        if precision not in ("32", "64") or order not in ("network", "big", "little"):
            raise _UnsupportedError(f"peaks with precision {precision!r} / byte order {order!r}")
        if pairs != "m/z-int" or compression not in ("none", "zlib"):
            raise _UnsupportedError(
                f"peaks with pair order {pairs!r} / compression {compression!r}"
            )
        dtype = np.dtype(
            ("<" if order == "little" else ">") + ("f4" if precision == "32" else "f8")
        )
        try:
            raw = _b64decode(text, 0, len(text))
        except binascii.Error as err:
            raise _UnsupportedError(f"undecodable peaks ({err})") from None
        if compression == "zlib" and raw:
            count = attrs.get("peaksCount", "")
            expected = int(count) * 2 * dtype.itemsize if count.isdigit() else -1
            raw = _inflate(raw, expected, self.path, scan_id, "peaks")
        if len(raw) % (2 * dtype.itemsize):
            raise _UnsupportedError("peaks data whose length is not a multiple of a pair")
        values = np.frombuffer(raw, dtype=dtype)
        native = dtype.newbyteorder("=")
        mz = values[0::2].astype(native)
        intensity = values[1::2].astype(native)
        if "peaksCount" in attrs and int(attrs["peaksCount"]) != len(mz):
            raise _UnsupportedError(f"scan {scan_id!r}: peaksCount differs from the data")
        self.collector.add(scan_id, level, rt, mz, intensity)


def _mzxml_minutes(value: str | None, scan_id: str) -> float:
    """xs:duration → minutes, computed exactly as pyteomics does (PTnHnMnS only)."""
    if value is None:
        raise _UnsupportedError(f"scan {scan_id!r} has no retentionTime")
    match = _RE_DURATION.fullmatch(value.strip().encode())
    if match is None:
        raise _UnsupportedError(f"retentionTime {value!r} is not a PT…S duration")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    total = minutes
    total += hours * 60.0
    total += seconds / 60.0
    return total


# ---------------------------------------------------------------------------- pymzdata
def _read_pymzdata(path: Path, levels: frozenset[int] | None, n_bytes: int) -> MSRun:
    """Read with pymzdata under omicsnet's checks (see :mod:`omicsnet.ms.pymzdata`).

    The same checks as the other readers first (a DOCTYPE never reaches pymzdata), an
    index of the file made by omicsnet's own scanner, then pymzdata's spectra checked
    against it one by one.
    """
    from omicsnet.ms import pymzdata as backend

    if not backend.pymzdata_available():
        raise DataError(
            f"{path}: reader='pymzdata' needs the pymzdata package (MGF files are read "
            "with it): pip install 'omicsnet[pymzdata]'"
        )
    with open(path, "rb") as handle:
        head = handle.read(64)
    if head.startswith(_GZIP_MAGIC):
        raise DataError(
            f"{path}: pymzdata cannot read gzip-compressed files; use reader='fast' or "
            "'auto' (or gunzip the file)"
        )
    if head.startswith(backend.THERMO_RAW_MAGIC):
        raise DataError(
            f"{path}: a Thermo RAW file: omicsnet does not read it through pymzdata (it "
            "cannot check the result against an index of its own); convert it to mzML "
            "(ProteoWizard msconvert)"
        )
    if backend.looks_like_mgf(path):
        fmt = "MGF"
        index = backend.index_mgf(path)
    else:
        fmt = sniff_format(path)  # the XML safety checks: DOCTYPE, root element, not XML
        if fmt != "mzML":
            raise DataError(f"{path}: pymzdata does not read {fmt}; use reader='fast' or 'auto'")
        index = _index_mzml(path)
    if not index.ids:
        _raise_no_spectra(path, fmt == "mzML" and _mentions_chromatograms(path))
    collector = _Collector(levels)
    seen = backend.read_checked(path, fmt, index, collector.wants, collector.add)
    if seen != len(index.ids):
        raise DataError(
            f"{path}: pymzdata returned {seen} spectra, the file holds {len(index.ids)}; "
            "refusing a partial read (use reader='fast' or 'auto')"
        )
    return collector.to_run(path, fmt, "pymzdata", index.sha256, n_bytes)


_RE_SPECTRUM_TAG = re.compile(rb"<spectrum(?=[ \t\r\n>/])([^>]*)>")


def _index_mzml(path: Path) -> Any:
    """IDs, declared lengths and scan times of the ``<spectrum>`` elements, and SHA-256.

    One streaming pass over the file (bounded memory). Also checks that the file ends with
    its root element's closing tag. Returns a ``mzml_pymzdata.SpectrumIndex``.
    """
    from omicsnet.ms.pymzdata import SpectrumIndex

    hasher = hashlib.sha256()
    index = SpectrumIndex()
    starts: list[int] = []  # offsets of the spectrum start tags in the stream
    times: list[int] = []  # offsets of the scan-start-time cvParams
    offset = 0  # stream offset of buf[0]
    buf = b""
    tail = b""
    needle = _NEEDLE_START_TIME
    for chunk in _decoded_chunks(path, hasher, CHUNK_SIZE):
        buf = buf + chunk
        last_end = 0
        for match in _RE_SPECTRUM_TAG.finditer(buf):
            lo, hi = match.span(1)
            raw_id = _attribute(buf, b'id="', lo, hi)
            spectrum_id = raw_id.decode("utf-8", "replace") if raw_id is not None else ""
            index.ids.append(html.unescape(spectrum_id) if "&" in spectrum_id else spectrum_id)
            length = _RE_DEFAULT_LENGTH.search(buf, lo, hi)
            index.lengths.append(int(length.group(1)) if length else -1)
            starts.append(offset + match.start())
            last_end = match.end()
        # carry an unfinished tag, and enough bytes for a needle cut by the chunk's end
        cut = buf.rfind(b"<", last_end)
        keep = cut if cut >= 0 and buf.find(b">", cut) < 0 else len(buf)
        keep = min(keep, max(last_end, len(buf) - len(needle) + 1))
        at = buf.find(needle, 0, keep + len(needle) - 1)  # needles starting before `keep`
        while at >= 0:
            times.append(offset + at)
            at = buf.find(needle, at + 1, keep + len(needle) - 1)
        tail = (tail + buf[:keep])[-256:]
        offset += keep
        buf = buf[keep:]
    tail = (tail + buf)[-256:].rstrip(_WS)
    if not (tail.endswith(b"</mzML>") or tail.endswith(b"</indexedmzML>")):
        raise DataError(
            f"{path}: truncated or malformed XML: the file does not end with its root's "
            "closing tag (was it cut off while copying or writing?)"
        )
    # which spectrum (the last start tag before it) each scan-start-time cvParam belongs to
    owner = np.searchsorted(np.asarray(starts, dtype=np.int64), times, side="right") - 1
    counts = np.bincount(owner[owner >= 0], minlength=len(starts))
    index.has_time = [bool(c) for c in counts[: len(starts)]]
    index.sha256 = hasher.hexdigest()
    return index


# ---------------------------------------------------------------------------- pyteomics
def _read_pyteomics(path: Path, levels: frozenset[int] | None, n_bytes: int) -> MSRun:
    """Read with pyteomics (after the same safety check as the fast reader)."""
    fmt = sniff_format(path)
    try:
        if fmt == "mzML":
            from pyteomics import mzml as module

            factory = module.MzML
        else:
            from pyteomics import mzxml as module

            factory = module.MzXML
    except ImportError as err:  # pragma: no cover - depends on the installation
        raise DataError(
            f"{path}: reading this file needs pyteomics (and psims for mzML): "
            f"pip install 'omicsnet[lcms]' ({err})"
        ) from err
    with open(path, "rb") as probe:
        is_gzip = probe.read(2) == _GZIP_MAGIC
    collector = _Collector(levels)
    missing_unit_warned = False
    try:
        with gzip.open(path, "rb") if is_gzip else open(path, "rb") as handle:
            reader = factory(
                handle, use_index=False, read_schema=False, decode_binary=True, huge_tree=False
            )
            with reader:
                for spectrum in reader:
                    if fmt == "mzML":
                        item = _pyteomics_mzml_spectrum(spectrum, path)
                    else:
                        item = _pyteomics_mzxml_scan(spectrum, path)
                    spectrum_id, level, rt, unit_missing, mz, intensity = item
                    if unit_missing and not missing_unit_warned:
                        logger.warning("%s: scan start time without a unit; assuming minutes", path)
                        missing_unit_warned = True
                    if collector.wants(level):
                        collector.add(spectrum_id, level, rt, mz, intensity)
    except DataError:
        raise
    except Exception as err:  # any parser failure → one clear error naming the file
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DataError(
            f"{path}: cannot read {fmt} ({type(err).__name__}: {reason}); "
            "the file is truncated or not valid XML"
        ) from err
    if collector.n_seen() == 0:
        _raise_no_spectra(path, _mentions_chromatograms(path))
    sha = _sha256(path)
    return collector.to_run(path, fmt, "pyteomics", sha, n_bytes)


def _pyteomics_mzml_spectrum(
    spectrum: dict[str, Any], path: Path
) -> tuple[str, int, float, bool, np.ndarray, np.ndarray]:
    spectrum_id = str(spectrum.get("id", ""))
    level = spectrum.get("ms level")
    if level is None:
        level = 1 if "MS1 spectrum" in spectrum else 0
    try:
        start = spectrum["scanList"]["scan"][0]["scan start time"]
    except (KeyError, IndexError, TypeError):
        raise DataError(f"{path}: spectrum {spectrum_id!r} has no scan start time") from None
    unit = getattr(start, "unit_info", None)
    rt = float(start) if unit is None else _to_minutes(float(start), str(unit), path, spectrum_id)
    mz, intensity = _pyteomics_arrays(spectrum, path, spectrum_id)
    return spectrum_id, int(level), rt, unit is None, mz, intensity


def _pyteomics_mzxml_scan(
    scan: dict[str, Any], path: Path
) -> tuple[str, int, float, bool, np.ndarray, np.ndarray]:
    scan_id = str(scan.get("num", scan.get("id", "")))
    level = int(scan.get("msLevel", 0))
    start = scan.get("retentionTime")
    if start is None:
        raise DataError(f"{path}: scan {scan_id!r} has no retentionTime")
    unit = getattr(start, "unit_info", None)
    # a bare number (no xs:duration): mzXML writers that skip the duration use seconds
    rt = float(start) if unit == "minute" else float(start) / 60.0
    mz, intensity = _pyteomics_arrays(scan, path, scan_id)
    return scan_id, level, rt, False, mz, intensity


def _pyteomics_arrays(
    record: dict[str, Any], path: Path, spectrum_id: str
) -> tuple[np.ndarray, np.ndarray]:
    mz = np.asarray(record.get("m/z array", np.zeros(0)))
    intensity = np.asarray(record.get("intensity array", np.zeros(0)))
    if mz.dtype.kind != "f" or intensity.dtype.kind != "f":
        mz, intensity = mz.astype(np.float64), intensity.astype(np.float64)
    mz = mz.astype(mz.dtype.newbyteorder("="), copy=False)
    intensity = intensity.astype(intensity.dtype.newbyteorder("="), copy=False)
    if mz.shape != intensity.shape or mz.ndim != 1:
        raise DataError(
            f"{path}: spectrum {spectrum_id!r} has m/z and intensity arrays of different "
            f"lengths ({mz.shape} vs {intensity.shape})"
        )
    return mz, intensity


def _mentions_chromatograms(path: Path) -> bool:
    return any(b"<chromatogram " in chunk for chunk in _decoded_chunks(path, None))


def _sha256(path: Path) -> str:
    from omicsnet.utils.io import sha256_file

    return sha256_file(path)
