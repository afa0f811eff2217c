"""Bin LC-MS runs into RT x m/z intensity matrices, one file or many (in parallel, cached).

A run (:class:`~omicsnet.ms.mzml.MSRun`) becomes an :class:`LCMSMatrix`: a ``float32``
array with one row per retention-time step and one column per m/z bin, plus the bin
definitions, the source file's name and SHA-256, and every parameter used
(:class:`BinningParams`), all saved with the matrix.

The DeepMSProfiler preset (:data:`PRESETS` ``["deepmsprofiler"]``, also the default)
reproduces the matrices of Deng et al. (Nat Commun 2024): rows are sampled at
``0.5 + i * 0.016`` minutes (``i < 1024``, the values of ``np.arange(0.5, 16.884, 0.016)``);
each row takes the scan whose start time is **nearest** to its sampling time (ties go to
the earlier scan); that scan's peaks fall into 1024 m/z bins ``(50, 51], (51, 52], …,
(1073, 1074]`` — right-closed like ``pandas.cut`` — and each cell keeps the **maximum**
intensity (0 where no peak falls). Raw intensities, no transform, no scaling. Unlike the
original code, retention times are read in minutes whatever unit the file uses, and only
MS1 scans are used (``ms_level=1``; the original used every spectrum, which matters only
for files with MS2 scans — ``ms_level=None`` reproduces it). Note that nearest-scan
sampling fills rows before the first and after the last scan with copies of the edge
scans; ``max_rt_gap`` leaves such rows empty instead.

Other settings: ``rt_mode="bin"`` aggregates every scan whose time falls into
``[rt_start + i * rt_step, rt_start + (i + 1) * rt_step)``; ``aggregate="sum"`` adds
intensities; ``transform="log1p"`` and ``scale="max"`` / ``"sum"`` are applied in that order
after aggregation.

Binning is vectorised (``np.searchsorted``, ``np.maximum.at``/``np.bincount``); many files
are converted by :func:`convert_files` in worker processes with a progress bar, and results
are cached by file checksum + parameters.

Examples
--------
>>> import tempfile, pathlib
>>> from omicsnet.ms.synthetic import write_synthetic_mzml
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = write_synthetic_mzml(folder / "run.mzML", peaks=[(300.4, 2.0, 5e5, 0.0)],
...                          n_scans=34, rt_step=0.5)  # 0.5 to 17 min
>>> matrix = convert_file(folder / "run.mzML")  # DeepMSProfiler preset
>>> matrix.shape, matrix.values.dtype.name
((1024, 1024), 'float32')
>>> row = int(np.argmin(np.abs(matrix.rt - 2.0)))
>>> col = int(np.searchsorted(matrix.mz_edges, 300.4)) - 1
>>> float(matrix.values[row, col]), float(matrix.mz_edges[col])
(500000.0, 300.0)

A run that misses most of the grid (here 1.1 minutes of it) is refused, unless asked:

>>> _ = write_synthetic_mzml(folder / "short.mzML", n_scans=12)  # 0.5 to 1.6 min
>>> convert_file(folder / "short.mzML")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
omicsnet.errors.DataError: /.../short.mzML: 93 % of the grid rows (0.500 to 16.868 min) lie ...
>>> warned = convert_file(folder / "short.mzML", {"rt_outside": "warn"})
>>> print(warned.info["warnings"][0])  # doctest: +ELLIPSIS
93 % of the grid rows (0.500 to 16.868 min) lie beyond the scans (0.500 to 1.600 min) and ...
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import os
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from omicsnet.errors import ConfigError, DataError, DataNotFoundError, OmicsnetError, shown
from omicsnet.ms.mzml import MSRun, _ragged_index, read_ms_run
from omicsnet.utils.io import atomic_write_bytes, sha256_file

logger = logging.getLogger(__name__)

CONVERTER_VERSION = 1
"""Bumped whenever reading or binning would give different matrices: old caches miss."""

MATRIX_FORMAT = "omicsnet.lcms_matrix"
MATRIX_FORMAT_VERSION = 1
CACHE_ENV_VAR = "OMICSNET_CACHE"

RT_MODES = ("nearest", "bin")
AGGREGATES = ("max", "sum")
TRANSFORMS = ("none", "log1p")
SCALINGS = ("none", "max", "sum")
RT_OUTSIDE = ("refuse", "warn")
RT_MISMATCH_SHARE = 0.5
"""A run is refused (``rt_outside="refuse"``) when more than this share of its RT span lies
outside the grid, or of the grid's rows would only repeat its first or last scan."""


@dataclass(frozen=True)
class BinningParams:
    """How a run becomes a matrix. The defaults are the DeepMSProfiler preset.

    Parameters
    ----------
    rt_start, rt_step, n_rt
        Row ``i`` samples (``rt_mode="nearest"``) or starts (``"bin"``) at
        ``rt_start + i * rt_step`` minutes (computed like ``np.arange``).
    mz_start, mz_step, n_mz
        Column ``j`` holds m/z in ``(mz_start + j * mz_step, mz_start + (j + 1) * mz_step]``.
    ms_level
        Use only spectra of this MS level; ``None`` uses every spectrum.
    rt_mode
        ``"nearest"``: each row copies the binned scan nearest in time.
        ``"bin"``: each row aggregates all scans within its RT interval.
    max_rt_gap
        ``"nearest"`` mode only: rows farther than this (minutes) from every scan stay
        empty. ``None`` (DeepMSProfiler) always takes the nearest scan.
    aggregate
        ``"max"`` or ``"sum"`` of the intensities falling into one cell.
    transform
        ``"none"`` or ``"log1p"`` (applied after aggregation).
    scale
        ``"none"``, ``"max"`` (divide by the matrix maximum) or ``"sum"`` (by its total),
        applied after the transform.
    rt_outside
        What to do with a run whose RT range does not fit the grid: more than half of its
        RT span outside the grid, or more than half of the grid's rows beyond its first or
        last scan (in ``"nearest"`` mode without ``max_rt_gap`` those rows would all repeat
        an edge scan). ``"refuse"`` (default): a one-line error naming the file and both
        ranges. ``"warn"``: bin it anyway with a warning (what DeepMSProfiler does).

    Examples
    --------
    >>> params = BinningParams(transform="log1p", scale="max")
    >>> params.n_rt, params.aggregate, len(params.mz_edges())
    (1024, 'max', 1025)
    >>> BinningParams.from_dict(params.to_dict()) == params
    True
    >>> BinningParams(aggregate="mean")
    Traceback (most recent call last):
    ...
    omicsnet.errors.ConfigError: aggregate must be one of max, sum; got 'mean'
    """

    rt_start: float = 0.5
    rt_step: float = 0.016
    n_rt: int = 1024
    mz_start: float = 50.0
    mz_step: float = 1.0
    n_mz: int = 1024
    ms_level: int | None = 1
    rt_mode: str = "nearest"
    max_rt_gap: float | None = None
    aggregate: str = "max"
    transform: str = "none"
    scale: str = "none"
    rt_outside: str = "refuse"

    def __post_init__(self) -> None:
        for name in ("rt_start", "rt_step", "mz_start", "mz_step"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                raise ConfigError(f"{name} must be a number; got {value!r}")
            if not np.isfinite(value):
                raise ConfigError(f"{name} must be finite; got {value!r}")
            object.__setattr__(self, name, float(value))
        for name in ("rt_step", "mz_step"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be positive; got {getattr(self, name)!r}")
        for name in ("n_rt", "n_mz"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ConfigError(f"{name} must be a positive integer; got {value!r}")
            object.__setattr__(self, name, int(value))
        if self.ms_level is not None:
            if isinstance(self.ms_level, bool) or not isinstance(self.ms_level, (int, np.integer)):
                raise ConfigError(f"ms_level must be an integer or None; got {self.ms_level!r}")
            object.__setattr__(self, "ms_level", int(self.ms_level))
        if self.max_rt_gap is not None:
            if not isinstance(self.max_rt_gap, (int, float)) or not self.max_rt_gap > 0:
                raise ConfigError(f"max_rt_gap must be positive or None; got {self.max_rt_gap!r}")
            object.__setattr__(self, "max_rt_gap", float(self.max_rt_gap))
        for name, allowed in (
            ("rt_mode", RT_MODES),
            ("aggregate", AGGREGATES),
            ("transform", TRANSFORMS),
            ("scale", SCALINGS),
            ("rt_outside", RT_OUTSIDE),
        ):
            if getattr(self, name) not in allowed:
                raise ConfigError(
                    f"{name} must be one of {', '.join(allowed)}; got {getattr(self, name)!r}"
                )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary of the parameters.

        Examples
        --------
        >>> BinningParams().to_dict()["rt_step"]
        0.016
        """
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> BinningParams:
        """Build from a mapping; ``"preset"`` picks a starting point, other keys override.

        Raises
        ------
        ConfigError
            Unknown keys or presets, invalid values.

        Examples
        --------
        >>> BinningParams.from_dict({"preset": "deepmsprofiler", "aggregate": "sum"}).aggregate
        'sum'
        >>> BinningParams.from_dict({"rt_steps": 1})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        omicsnet.errors.ConfigError: unknown binning parameter(s): rt_steps (known: preset, ...)
        """
        data = dict(values)
        base = get_preset(data.pop("preset")) if "preset" in data else cls()
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"unknown binning parameter(s): {', '.join(unknown)} "
                f"(known: preset, {', '.join(f.name for f in dataclasses.fields(cls))})"
            )
        return dataclasses.replace(base, **data)

    def replace(self, **changes: Any) -> BinningParams:
        """A copy with some parameters changed.

        Examples
        --------
        >>> BinningParams().replace(n_rt=64).n_rt
        64
        """
        return dataclasses.replace(self, **changes)

    def cache_key(self) -> str:
        """16 hex digits identifying these parameters (and the converter version).

        Examples
        --------
        >>> BinningParams().cache_key() == BinningParams().cache_key()
        True
        >>> BinningParams().cache_key() == BinningParams(aggregate="sum").cache_key()
        False
        """
        payload = json.dumps(
            {"converter_version": CONVERTER_VERSION, "params": self.to_dict()}, sort_keys=True
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def rt_grid(self) -> np.ndarray:
        """Row times in minutes: ``rt_start + i * rt_step``, exactly as ``np.arange`` has them.

        Examples
        --------
        >>> p = BinningParams()
        >>> bool((p.rt_grid() == np.arange(0.5, 0.5 + 1024 * 0.016, 0.016)).all())
        True
        """
        return _arange_like(self.rt_start, self.rt_step, self.n_rt)

    def rt_edges(self) -> np.ndarray:
        """``n_rt + 1`` RT bin edges (``rt_mode="bin"``; rows are ``[lo, hi)``).

        Examples
        --------
        >>> BinningParams(n_rt=2, rt_start=1.0, rt_step=0.5).rt_edges().tolist()
        [1.0, 1.5, 2.0]
        """
        return _arange_like(self.rt_start, self.rt_step, self.n_rt + 1)

    def mz_edges(self) -> np.ndarray:
        """``n_mz + 1`` m/z bin edges; column ``j`` is ``(edges[j], edges[j + 1]]``.

        Examples
        --------
        >>> BinningParams(n_mz=3).mz_edges().tolist()
        [50.0, 51.0, 52.0, 53.0]
        """
        return self.mz_start + np.arange(self.n_mz + 1, dtype=np.float64) * self.mz_step


def _arange_like(start: float, step: float, n: int) -> np.ndarray:
    """``np.arange(start, …, step)[:n]`` without the length ambiguity of float ranges.

    numpy fills a range as ``start + i * ((start + step) - start)``; so do we.
    """
    delta = (start + step) - start
    return start + np.arange(n, dtype=np.float64) * delta


PRESETS: dict[str, BinningParams] = {
    "deepmsprofiler": BinningParams(),
}
"""Named parameter sets. ``deepmsprofiler``: 1024 x 1024, RT 0.5 + 0.016 i, m/z 50 to 1074."""


def get_preset(name: str) -> BinningParams:
    """Return the parameters of a named preset.

    Examples
    --------
    >>> get_preset("deepmsprofiler").mz_start
    50.0
    >>> get_preset("nope")
    Traceback (most recent call last):
    ...
    omicsnet.errors.ConfigError: unknown binning preset 'nope' (known: deepmsprofiler)
    """
    if name not in PRESETS:
        raise ConfigError(f"unknown binning preset {name!r} (known: {', '.join(sorted(PRESETS))})")
    return PRESETS[name]


def resolve_params(params: BinningParams | str | Mapping[str, Any] | None) -> BinningParams:
    """Accept parameters as an object, a preset name, a mapping, or ``None`` (the default).

    Examples
    --------
    >>> resolve_params(None) == resolve_params("deepmsprofiler") == BinningParams()
    True
    >>> resolve_params({"scale": "max"}).scale
    'max'
    """
    if params is None:
        return get_preset("deepmsprofiler")
    if isinstance(params, BinningParams):
        return params
    if isinstance(params, str):
        return get_preset(params)
    if isinstance(params, Mapping):
        return BinningParams.from_dict(params)
    raise ConfigError(
        f"binning parameters must be BinningParams, a preset name or a mapping; got {params!r}"
    )


# ---------------------------------------------------------------------------- the matrix
@dataclass
class LCMSMatrix:
    """An RT x m/z intensity matrix with its provenance.

    Attributes
    ----------
    values
        ``float32`` array of shape ``(n_rt, n_mz)``.
    rt
        Row times in minutes (sampling times in ``"nearest"`` mode, interval starts in
        ``"bin"`` mode).
    mz_edges
        ``n_mz + 1`` m/z edges; column ``j`` covers ``(mz_edges[j], mz_edges[j + 1]]``.
    params
        The :class:`BinningParams` used.
    source
        Name of the converted file.
    sha256
        SHA-256 of the converted file.
    info
        What the conversion saw: reader, spectra per MS level, RT range of the scans used,
        rows filled, peaks binned, warnings.
    """

    values: np.ndarray
    rt: np.ndarray
    mz_edges: np.ndarray
    params: BinningParams
    source: str
    sha256: str
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_rt, n_mz)``.

        Examples
        --------
        >>> _demo_matrix().shape
        (2, 3)
        """
        return (int(self.values.shape[0]), int(self.values.shape[1]))

    @property
    def mz(self) -> np.ndarray:
        """Centre of each m/z bin.

        Examples
        --------
        >>> _demo_matrix().mz.tolist()
        [50.5, 51.5, 52.5]
        """
        return (self.mz_edges[:-1] + self.mz_edges[1:]) / 2

    def metadata(self) -> dict[str, Any]:
        """Everything but the arrays, as saved in the file's JSON entry.

        Examples
        --------
        >>> meta = _demo_matrix().metadata()
        >>> meta["format"], meta["params"]["aggregate"], meta["shape"]
        ('omicsnet.lcms_matrix', 'max', [2, 3])
        """
        from omicsnet import __version__

        return {
            "format": MATRIX_FORMAT,
            "format_version": MATRIX_FORMAT_VERSION,
            "converter_version": CONVERTER_VERSION,
            "omicsnet_version": __version__,
            "source": self.source,
            "sha256": self.sha256,
            "shape": list(self.shape),
            "params": self.params.to_dict(),
            "info": self.info,
        }

    def to_frame(self) -> Any:
        """The matrix as a DataFrame: index ``rt_min``, columns ``mz`` (lower bin edges).

        Examples
        --------
        >>> _demo_matrix().to_frame()  # doctest: +NORMALIZE_WHITESPACE
        mz      50.0  51.0  52.0
        rt_min
        0.5      0.0   1.0   0.0
        0.6      2.0   0.0   0.0
        """
        import pandas as pd

        return pd.DataFrame(
            self.values,
            index=pd.Index(self.rt, name="rt_min"),
            columns=pd.Index(self.mz_edges[:-1], name="mz"),
        )

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = True) -> Path:
        """Write one ``.npz`` (arrays + JSON metadata entry), atomically.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "m.npz"
        >>> _ = _demo_matrix().save(path)
        >>> back = LCMSMatrix.load(path)
        >>> back.values.tolist(), back.params == _demo_matrix().params, back.source
        ([[0.0, 1.0, 0.0], [2.0, 0.0, 0.0]], True, 'demo.mzML')
        """
        meta = json.dumps(self.metadata(), sort_keys=True, default=_json_default)
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            values=np.ascontiguousarray(self.values, dtype=np.float32),
            rt=np.asarray(self.rt, dtype=np.float64),
            mz_edges=np.asarray(self.mz_edges, dtype=np.float64),
            metadata=np.frombuffer(meta.encode("utf-8"), dtype=np.uint8),
        )
        return atomic_write_bytes(path, buffer.getvalue(), overwrite=overwrite)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> LCMSMatrix:
        """Read a matrix written by :meth:`save` (no pickles are ever loaded).

        Raises
        ------
        DataNotFoundError
            When the file does not exist.
        DataError
            When it is not a (consistent) omicsnet LC-MS matrix file.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> bad = pathlib.Path(tempfile.mkdtemp()) / "bad.npz"
        >>> _ = bad.write_bytes(b"not a zip")
        >>> LCMSMatrix.load(bad)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        omicsnet.errors.DataError: ...bad.npz: not an omicsnet LC-MS matrix file (...)
        """
        file = Path(path)
        if not file.is_file():
            raise DataNotFoundError(f"{file}: no such LC-MS matrix file")
        try:
            with np.load(file, allow_pickle=False) as archive:
                values = archive["values"]
                rt = archive["rt"]
                mz_edges = archive["mz_edges"]
                meta = json.loads(archive["metadata"].tobytes().decode("utf-8"))
            if meta.get("format") != MATRIX_FORMAT:
                raise ValueError(f"format is {meta.get('format')!r}")
            if int(meta.get("format_version", 0)) > MATRIX_FORMAT_VERSION:
                raise ValueError(
                    f"format version {meta['format_version']} is newer than this omicsnet "
                    f"reads ({MATRIX_FORMAT_VERSION})"
                )
            params = BinningParams.from_dict(meta["params"])
            if values.ndim != 2 or values.shape != (len(rt), len(mz_edges) - 1):
                raise ValueError(
                    f"array shapes disagree: values {values.shape}, rt {rt.shape}, "
                    f"mz_edges {mz_edges.shape}"
                )
            return cls(
                values=values,
                rt=rt,
                mz_edges=mz_edges,
                params=params,
                source=str(meta["source"]),
                sha256=str(meta["sha256"]),
                info=dict(meta.get("info", {})),
            )
        except (OSError, ValueError, KeyError, TypeError, ConfigError) as err:
            raise DataError(f"{file}: not an omicsnet LC-MS matrix file ({err})") from None


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in matrix metadata")


def _demo_matrix() -> LCMSMatrix:
    """A 2 x 3 matrix for the examples."""
    params = BinningParams(n_rt=2, rt_step=0.1, n_mz=3)
    return LCMSMatrix(
        values=np.array([[0, 1, 0], [2, 0, 0]], dtype=np.float32),
        rt=params.rt_grid(),
        mz_edges=params.mz_edges(),
        params=params,
        source="demo.mzML",
        sha256="0" * 64,
    )


# ---------------------------------------------------------------------------- binning
def nearest_scan(times: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Index of the time nearest to each target: ``argmin(|times - t|)`` for every ``t``.

    Exactly ``np.argmin`` semantics (the first index among equally near times), in
    ``O((n + m) log n)`` instead of ``O(n m)``.

    Examples
    --------
    >>> nearest_scan(np.array([0.3, 0.1, 0.2]), np.array([0.0, 0.15, 0.26, 9.0])).tolist()
    [1, 1, 0, 0]
    """
    times = np.asarray(times, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    if len(times) == 0:
        raise ValueError("nearest_scan needs at least one time")
    order = np.argsort(times, kind="stable")
    ordered = times[order]
    right = np.searchsorted(ordered, targets, side="left")
    left = np.clip(right - 1, 0, len(ordered) - 1)
    right = np.clip(right, 0, len(ordered) - 1)
    left = np.searchsorted(ordered, ordered[left], side="left")  # first of equal times
    left_dist = np.abs(ordered[left] - targets)
    right_dist = np.abs(ordered[right] - targets)
    left_index, right_index = order[left], order[right]
    take_left = (left_dist < right_dist) | ((left_dist == right_dist) & (left_index <= right_index))
    return np.where(take_left, left_index, right_index)


def _mz_columns(mz: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Column per peak for right-closed bins ``(edges[j], edges[j + 1]]``; -1 outside."""
    cols = np.searchsorted(edges, np.asarray(mz, dtype=np.float64), side="left") - 1
    cols[cols >= len(edges) - 1] = -1
    return cols


_PEAKS_PER_BATCH = 1 << 22
"""Peaks binned per vectorised step (bounds the temporary index arrays to ~100 MB)."""


def _bin_scans(
    run: MSRun,
    scans: np.ndarray,
    rows: np.ndarray,
    n_rows: int,
    mz_edges: np.ndarray,
    how: str,
) -> tuple[np.ndarray, int]:
    """Aggregate the peaks of spectra ``scans`` into matrix rows ``rows`` (one per scan).

    Returns the dense float64 ``(n_rows, n_mz)`` max or sum per cell (0 where no peak
    falls) and the number of peaks binned. Vectorised over all peaks of a batch of scans;
    the only Python loop is over batches of about ``_PEAKS_PER_BATCH`` peaks.
    """
    n_mz = len(mz_edges) - 1
    size = n_rows * n_mz
    out = np.zeros(size) if how == "sum" else np.full(size, -np.inf)
    seen = np.zeros(size, dtype=bool) if how == "max" else None
    starts = run.offsets[scans]
    lengths = run.offsets[scans + 1] - starts
    batch = (np.cumsum(lengths) - lengths) // _PEAKS_PER_BATCH
    binned = 0
    for group in np.split(np.arange(len(scans)), np.flatnonzero(np.diff(batch)) + 1):
        if len(group) == 0:
            continue
        peaks = _ragged_index(starts[group], lengths[group])
        cols = _mz_columns(run.mz[peaks], mz_edges)
        ok = cols >= 0
        flat = np.repeat(rows[group].astype(np.int64), lengths[group])[ok] * n_mz + cols[ok]
        values = run.intensity[peaks[ok]].astype(np.float64)
        binned += len(flat)
        if how == "sum":
            out += np.bincount(flat, weights=values, minlength=size)
        else:
            np.maximum.at(out, flat, values)
            seen[flat] = True
    if seen is not None:
        out[~seen] = 0.0
    return out.reshape(n_rows, n_mz), binned


def _finish(
    rows: np.ndarray, params: BinningParams, multiplicity: np.ndarray, empty_rows: bool = False
) -> np.ndarray:
    """Apply the transform, then the scaling, to float64 rows that appear ``multiplicity``
    times in the matrix (plus all-zero rows when ``empty_rows``)."""
    if params.transform == "log1p":
        rows = np.log1p(rows)
    if params.scale != "none" and rows.size:
        if params.scale == "max":
            total = float(rows.max())
            if empty_rows:
                total = max(total, 0.0)
        else:
            total = float(rows.sum(axis=1) @ multiplicity)
        if total > 0:
            rows = rows / total
    return rows


def rt_mismatch(rt: np.ndarray, params: BinningParams) -> str | None:
    """Say how a run's scan times miss the RT grid, or ``None`` when they fit it.

    A run misses the grid when more than :data:`RT_MISMATCH_SHARE` of its RT span lies
    outside the grid, or (``"nearest"`` mode without ``max_rt_gap``) when more than that
    share of the grid's rows lie beyond its first or last scan, so that they would only
    repeat an edge scan.

    Examples
    --------
    >>> params = BinningParams()  # 0.5 to 16.868 min
    >>> rt_mismatch(np.linspace(0.0, 18.0, 50), params) is None
    True
    >>> rt_mismatch(np.linspace(60.0, 1200.0, 50), params)  # seconds read as minutes
    'scans at 60.000 to 1200.000 min lie 100 % outside the RT grid (0.500 to 16.868 min)'
    >>> print(rt_mismatch(np.array([1.0, 1.2]), params))  # doctest: +NORMALIZE_WHITESPACE
    99 % of the grid rows (0.500 to 16.868 min) lie beyond the scans (1.000 to 1.200 min)
    and would repeat an edge scan
    """
    rt = np.asarray(rt, dtype=np.float64)
    if rt.size == 0:
        return None
    lo, hi = float(rt.min()), float(rt.max())
    grid = params.rt_grid() if params.rt_mode == "nearest" else params.rt_edges()
    start, end = float(grid[0]), float(grid[-1])
    span = f"({start:.3f} to {end:.3f} min)"
    if hi > lo:
        inside = max(0.0, min(hi, end) - max(lo, start))
        outside_share = 1.0 - inside / (hi - lo)
    else:
        outside_share = 0.0 if start <= lo <= end else 1.0
    if outside_share > RT_MISMATCH_SHARE:
        return (
            f"scans at {lo:.3f} to {hi:.3f} min lie {outside_share:.0%} outside the RT grid {span}"
        ).replace("%", " %")
    if params.rt_mode == "nearest" and params.max_rt_gap is None:
        beyond = float(np.mean((grid < lo - params.rt_step) | (grid > hi + params.rt_step)))
        if beyond > RT_MISMATCH_SHARE:
            return (
                f"{beyond:.0%} of the grid rows {span} lie beyond the scans "
                f"({lo:.3f} to {hi:.3f} min) and would repeat an edge scan"
            ).replace("%", " %")
    return None


def bin_run(
    run: MSRun, params: BinningParams | str | Mapping[str, Any] | None = None
) -> LCMSMatrix:
    """Bin the spectra of a run into an RT x m/z matrix.

    Parameters
    ----------
    run
        Spectra from :func:`~omicsnet.ms.mzml.read_ms_run`.
    params
        :class:`BinningParams`, a preset name, a mapping, or ``None`` (DeepMSProfiler).

    Returns
    -------
    LCMSMatrix

    Raises
    ------
    DataError
        When no spectrum has the requested MS level, or retention times are not finite.

    Examples
    --------
    The demo run has an MS1 scan at 0.5 min (m/z 100, 200; intensities 1, 2) and an MS2
    scan at 0.6 min (m/z 150, 250, 350; intensities 4, 5, 6):

    >>> from omicsnet.ms.mzml import _demo_run
    >>> grid = dict(n_rt=3, rt_step=0.1, mz_start=99, n_mz=3, mz_step=50, ms_level=None)
    >>> bin_run(_demo_run(), grid).values.tolist()  # columns (99, 149], (149, 199], (199, 249]
    [[1.0, 0.0, 2.0], [0.0, 4.0, 0.0], [0.0, 4.0, 0.0]]
    >>> bin_run(_demo_run(), {**grid, "ms_level": 1, "max_rt_gap": 0.05}).values.tolist()
    [[1.0, 0.0, 2.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    >>> bin_run(_demo_run(), {**grid, "rt_mode": "bin", "rt_step": 0.5, "n_rt": 1,
    ...                       "aggregate": "sum"}).values.tolist()
    [[1.0, 4.0, 2.0]]
    """
    params = resolve_params(params)
    n_in_file = int(sum(run.level_counts.values())) or len(run)
    if params.ms_level is not None:
        mask = run.ms_level == params.ms_level
        if not mask.all():
            run = run.select(mask)
    if len(run) == 0:
        present = ", ".join(f"MS{k}: {v}" for k, v in sorted(run.level_counts.items()))
        raise DataError(
            f"{run.path}: no spectra of MS level {params.ms_level} to bin "
            f"(spectra in the file: {present or 'none'})"
        )
    if not np.isfinite(run.rt).all():
        raise DataError(f"{run.path}: some scan start times are not finite numbers")
    _check_peaks(run)

    mz_edges = params.mz_edges()
    warnings: list[str] = []
    mismatch = rt_mismatch(run.rt, params)
    if mismatch is not None:
        if params.rt_outside == "refuse":
            raise DataError(
                f"{run.path}: {mismatch}; choose a grid that fits the run "
                "(rt_start, rt_step, n_rt) or bin it anyway with rt_outside='warn' "
                "(--param rt_outside=warn)"
            )
        warnings.append(mismatch)
    if params.rt_mode == "nearest":
        rt = params.rt_grid()
        scan = nearest_scan(run.rt, rt)
        filled = np.ones(params.n_rt, dtype=bool)
        if params.max_rt_gap is not None:
            filled = np.abs(run.rt[scan] - rt) <= params.max_rt_gap
        used, row_of_used = np.unique(scan[filled], return_inverse=True)
        per_scan, n_peaks_binned = _bin_scans(
            run, used, np.arange(len(used)), len(used), mz_edges, params.aggregate
        )
        # Transform and scale the distinct scans (cells are independent), then copy rows.
        per_scan = _finish(
            per_scan,
            params,
            np.bincount(row_of_used.ravel(), minlength=len(used)),
            empty_rows=not filled.all(),
        )
        rows32 = np.take(per_scan.astype(np.float32), row_of_used.ravel(), axis=0)
        if filled.all():
            values = rows32
        else:
            values = np.zeros((params.n_rt, params.n_mz), dtype=np.float32)
            values[np.flatnonzero(filled)] = rows32
        n_scans_used = len(used)
        rows_filled = int(filled.sum())
    else:
        edges = params.rt_edges()
        rt = edges[:-1]
        row_of_scan = np.searchsorted(edges, run.rt, side="right") - 1
        inside = np.flatnonzero((row_of_scan >= 0) & (row_of_scan < params.n_rt))
        out, n_peaks_binned = _bin_scans(
            run, inside, row_of_scan[inside], params.n_rt, mz_edges, params.aggregate
        )
        values = _finish(out, params, np.ones(params.n_rt, dtype=np.int64)).astype(np.float32)
        n_scans_used = len(inside)
        rows_filled = len(np.unique(row_of_scan[inside]))
        if n_scans_used == 0:
            warnings.append("no scan falls into the RT range; the matrix is empty")

    for message in warnings:
        logger.warning("%s: %s", run.path, message)
    info = {
        "reader": run.reader,
        "format": run.format,
        "n_bytes": run.n_bytes,
        "n_spectra_in_file": n_in_file,
        "spectra_per_ms_level": {str(k): v for k, v in sorted(run.level_counts.items())},
        "n_spectra_used": len(run),
        "n_scans_binned": int(n_scans_used),
        "n_peaks_binned": n_peaks_binned,
        "rows_filled": rows_filled,
        "scan_rt_range_min": [float(run.rt.min()), float(run.rt.max())],
        "warnings": warnings,
    }
    return LCMSMatrix(
        values=values,
        rt=rt,
        mz_edges=mz_edges,
        params=params,
        source=run.path.name,
        sha256=run.sha256,
        info=info,
    )


def _check_peaks(run: MSRun) -> None:
    """Refuse non-finite or negative m/z values and non-finite intensities.

    A NaN intensity would silently disable the ``max`` scaling, and a NaN or negative m/z
    would land outside every bin: the error names the file and the first spectrum.
    """
    for name, values, negative_ok in (("m/z", run.mz, False), ("intensity", run.intensity, True)):
        bad = ~np.isfinite(values) if negative_ok else ~np.isfinite(values) | (values < 0)
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            spectrum = int(np.searchsorted(run.offsets, first, side="right") - 1)
            kind = "not a finite number" if not np.isfinite(values[first]) else "negative"
            raise DataError(
                f"{run.path}: spectrum {shown(run.ids[spectrum])} (number {spectrum}) has "
                f"{int(bad.sum())} bad {name} value(s), the first {kind}; the file is damaged"
            )


def convert_file(
    path: str | os.PathLike[str],
    params: BinningParams | str | Mapping[str, Any] | None = None,
    *,
    reader: str = "auto",
) -> LCMSMatrix:
    """Read an mzML/mzXML file (optionally gzipped) and bin it.

    Parameters
    ----------
    path
        The file.
    params
        :class:`BinningParams`, a preset name, a mapping, or ``None`` (DeepMSProfiler).
    reader
        ``"auto"``, ``"fast"`` or ``"pyteomics"`` (see :func:`~omicsnet.ms.mzml.read_ms_run`).

    Returns
    -------
    LCMSMatrix

    Raises
    ------
    DataError
        Unreadable, truncated, unsafe or chromatogram-only files; no spectra to bin.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from omicsnet.ms.synthetic import write_synthetic_mzml
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "s.mzML"
    >>> _ = write_synthetic_mzml(path, peaks=[(60.5, 0.6, 100.0, 0.0)], n_scans=3)
    >>> m = convert_file(path, {"n_rt": 3, "rt_step": 0.1, "n_mz": 12, "transform": "log1p"})
    >>> [round(float(v), 3) for v in m.values[:, 10]], m.params.transform
    ([0.0, 4.615, 0.0], 'log1p')
    """
    params = resolve_params(params)
    run = read_ms_run(path, ms_level=params.ms_level, reader=reader)
    return bin_run(run, params)


# ---------------------------------------------------------------------------- batches
def default_cache_dir() -> Path:
    """``$OMICSNET_CACHE/lcms``, else ``~/.cache/omicsnet/lcms``.

    Examples
    --------
    >>> import os
    >>> os.environ["OMICSNET_CACHE"] = "/tmp/omicsnet-cache"
    >>> default_cache_dir().as_posix()
    '/tmp/omicsnet-cache/lcms'
    >>> del os.environ["OMICSNET_CACHE"]
    """
    env = os.environ.get(CACHE_ENV_VAR)
    root = Path(env).expanduser() if env else Path.home() / ".cache" / "omicsnet"
    return root / "lcms"


def cache_file_for(
    sha256: str, params: BinningParams, cache_dir: str | os.PathLike[str] | None = None
) -> Path:
    """Where the matrix of a file (by SHA-256) under ``params`` is cached.

    Examples
    --------
    >>> cache_file_for("ab" + "0" * 62, BinningParams(), "/c").as_posix()[:12]
    '/c/ab/ab0000'
    """
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return folder / sha256[:2] / f"{sha256}-{params.cache_key()}.npz"


@dataclass
class ConversionRecord:
    """What happened to one input file in :func:`convert_files`.

    ``status`` is ``"converted"``, ``"cached"`` (read from the cache) or ``"failed"``
    (then ``error`` is a one-line reason naming the file). ``cache_error`` says why a
    converted matrix could not be written to the cache (disk full, read-only folder).
    """

    path: str
    status: str
    seconds: float
    sha256: str | None = None
    cache_file: str | None = None
    error: str | None = None
    cache_error: str | None = None


@dataclass
class BatchResult:
    """Outcome of :func:`convert_files`: one record per input, matrices of the successes.

    Examples
    --------
    >>> result = BatchResult([ConversionRecord("a.mzML", "failed", 0.1, error="a.mzML: empty")],
    ...                      {}, BinningParams())
    >>> result.failures, result.n_failed, result.ok
    ([('a.mzML', 'a.mzML: empty')], 1, False)
    """

    records: list[ConversionRecord]
    matrices: dict[str, LCMSMatrix]
    params: BinningParams

    @property
    def failures(self) -> list[tuple[str, str]]:
        """``(path, reason)`` of every failed file."""
        return [(r.path, r.error or "") for r in self.records if r.status == "failed"]

    @property
    def n_converted(self) -> int:
        """Files converted in this call."""
        return sum(r.status == "converted" for r in self.records)

    @property
    def n_cached(self) -> int:
        """Files read from the cache (cache hits)."""
        return sum(r.status == "cached" for r in self.records)

    @property
    def n_failed(self) -> int:
        """Files that could not be converted."""
        return sum(r.status == "failed" for r in self.records)

    @property
    def ok(self) -> bool:
        """True when no file failed."""
        return self.n_failed == 0

    def table(self) -> Any:
        """One row per input file (path, status, seconds, sha256, cache file, error).

        Examples
        --------
        >>> BatchResult([ConversionRecord("a.mzML", "cached", 0.01)], {}, BinningParams()
        ...             ).table()[["path", "status"]]
             path  status
        0  a.mzML  cached
        """
        import pandas as pd

        return pd.DataFrame([dataclasses.asdict(r) for r in self.records])


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    message = text[0] if text else ""
    if isinstance(err, OmicsnetError):
        return message or type(err).__name__
    return f"{type(err).__name__}: {message}" if message else type(err).__name__


def _os_reason(err: OSError) -> str:
    """``strerror`` of an OS error (never file content), e.g. ``No space left on device``."""
    return err.strerror or type(err).__name__


def _convert_task(
    path: str,
    params_dict: dict[str, Any],
    cache_dir: str | None,
    reader: str,
    keep: bool,
    cache_write: bool = True,
) -> tuple[ConversionRecord, LCMSMatrix | None]:
    """Convert one file (or read it from the cache); never raises (worker entry point).

    A cache that cannot be read or written costs the cache, never the conversion: an
    unreadable entry is converted again, and a failed write (disk full, read-only
    folder) is reported in ``cache_error``.
    """
    started = time.perf_counter()
    sha: str | None = None
    try:
        params = BinningParams.from_dict(params_dict)
        file = Path(path)
        if not file.is_file():
            raise DataNotFoundError(f"{file}: no such mzML/mzXML file")
        target: Path | None = None
        if cache_dir is not None:
            sha = sha256_file(file)
            target = cache_file_for(sha, params, cache_dir)
            if target.is_file():
                try:
                    matrix = LCMSMatrix.load(target)
                except (DataError, OSError) as err:
                    logger.warning("unreadable cache entry, converting again: %s", err)
                else:
                    matrix.source = file.name
                    record = ConversionRecord(
                        path, "cached", time.perf_counter() - started, sha, str(target)
                    )
                    return record, (matrix if keep else None)
        matrix = convert_file(file, params, reader=reader)
        cache_error: str | None = None
        if target is not None and cache_write:
            if matrix.sha256 != sha:  # the file changed while we read it
                logger.warning("%s changed during conversion; caching its new content", file)
                target = cache_file_for(matrix.sha256, params, cache_dir)
            try:
                matrix.save(target)
            except OSError as err:  # disk full, read-only, quota: convert without caching
                cache_error = f"{target.parent}: {_os_reason(err)}"
                target = None
        else:
            target = None
        record = ConversionRecord(
            path,
            "converted",
            time.perf_counter() - started,
            matrix.sha256,
            str(target) if target is not None else None,
            cache_error=cache_error,
        )
        return record, (matrix if keep else None)
    except Exception as err:  # a bad file must not stop the batch
        if not isinstance(err, OmicsnetError):
            logger.debug("conversion of %s failed:\n%s", path, traceback.format_exc())
        reason = _one_line(err)
        if path not in reason:
            reason = f"{path}: {reason}"
        return (
            ConversionRecord(path, "failed", time.perf_counter() - started, sha, error=reason),
            None,
        )


def _usable_cache(folder: str) -> tuple[str | None, bool]:
    """``(folder or None, writable)``: what of the cache can be used, with one warning if not all.

    A folder that cannot be created or is a file gives no cache; a folder that exists
    but cannot be written (read-only file system, permissions) is read but not written.
    """
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:  # a file in the way, a read-only parent, a full disk
        logger.warning(
            "cache folder %s cannot be used (%s); converting without caching",
            folder,
            _os_reason(err) if not isinstance(err, FileExistsError) else "it is a file",
        )
        return None, False
    try:
        handle, probe = tempfile.mkstemp(prefix=".write-probe-", dir=path)
        os.close(handle)
        os.unlink(probe)
    except OSError as err:
        if os.access(path, os.R_OK | os.X_OK):
            logger.warning(
                "cache folder %s cannot be written (%s); cached matrices are read, "
                "new ones are not cached",
                folder,
                _os_reason(err),
            )
            return folder, False
        logger.warning(
            "cache folder %s cannot be used (%s); converting without caching",
            folder,
            _os_reason(err),
        )
        return None, False
    return folder, True


def convert_files(
    paths: Iterable[str | os.PathLike[str]],
    params: BinningParams | str | Mapping[str, Any] | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    use_cache: bool = True,
    workers: int = 2,
    reader: str = "auto",
    progress: bool = True,
    keep_matrices: bool = True,
    on_converted: Callable[[str, LCMSMatrix], None] | None = None,
    backend: Any = None,
) -> BatchResult:
    """Convert many files in worker processes, with a cache and a progress bar.

    ``on_converted(path, matrix)`` is called for each file as soon as it is converted (or
    read from the cache), in the calling process: a command saves each result then, so
    that a stopped batch keeps what it finished.

    Parameters
    ----------
    paths
        mzML/mzXML files (optionally gzipped). Duplicates are converted once.
    params
        :class:`BinningParams`, a preset name, a mapping, or ``None`` (DeepMSProfiler).
    cache_dir
        Cache folder (default :func:`default_cache_dir`). Entries are keyed by the file's
        SHA-256 and :meth:`BinningParams.cache_key`, so renamed or moved files still hit
        and a changed parameter misses. A cache that cannot be used never fails a
        conversion: a folder that is a file or cannot be created gives no cache, a
        read-only one is read but not written, and a failed write (disk full) turns
        caching off for the rest of the batch, each with one warning.
    use_cache
        ``False`` neither reads nor writes the cache.
    workers
        Worker processes (:class:`omicsnet.utils.workers.WorkerPool`: they stop with this
        process, and Ctrl-C or SIGTERM cancels the files not yet started); 1 converts in
        this process.
    reader
        ``"auto"``, ``"fast"`` or ``"pyteomics"``.
    progress
        Show a tqdm progress bar.
    keep_matrices
        Return the matrices (``False``: only records, e.g. to fill a cache).
    backend
        ``None`` or ``"local"``: the local worker processes above. ``"ray"`` (or a
        :class:`~omicsnet.utils.executors.Backend`): each file is a Ray task (a local
        Ray instance with ``workers`` CPUs, or the cluster at ``backend.address``, whose
        nodes must see the input files and the cache folder at the same paths); the
        matrices come back here, so ``on_converted`` runs here as with local workers.

    Returns
    -------
    BatchResult
        Records in input order; a failed file gets ``status="failed"`` and a one-line
        reason, and the other files are converted all the same.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from omicsnet.ms.synthetic import write_synthetic_mzml
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write_synthetic_mzml(folder / "good.mzML", peaks=[(99.5, 0.5, 10.0)], n_scans=2,
    ...                          rt_step=16.0)  # 0.5 and 16.5 min: the grid's range
    >>> _ = (folder / "empty.mzML").write_bytes(b"")
    >>> files = [folder / "good.mzML", folder / "empty.mzML"]
    >>> first = convert_files(files, cache_dir=folder / "cache", workers=1, progress=False)
    >>> [r.status for r in first.records]
    ['converted', 'failed']
    >>> print(first.failures[0][1])  # doctest: +ELLIPSIS
    /.../empty.mzML: empty file (0 bytes); not an mzML/mzXML file
    >>> again = convert_files(files, cache_dir=folder / "cache", workers=1, progress=False)
    >>> [r.status for r in again.records]
    ['cached', 'failed']
    """
    params = resolve_params(params)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers must be a positive integer; got {workers!r}")
    ray_backend = None
    if backend is not None:
        from omicsnet.utils.executors import Backend

        parsed = Backend.parse(backend, workers=workers)
        ray_backend = parsed if parsed.name == "ray" else None
    unique: list[str] = []
    seen: set[str] = set()
    for item in paths:
        key = os.fspath(item)
        if key not in seen:
            seen.add(key)
            unique.append(key)
    folder: str | None = None
    cache_write = False
    if use_cache:
        folder = os.fspath(cache_dir) if cache_dir is not None else str(default_cache_dir())
        folder, cache_write = _usable_cache(folder)
    params_dict = params.to_dict()
    wanted = keep_matrices or on_converted is not None  # matrices sent back by the workers
    results: dict[str, tuple[ConversionRecord, LCMSMatrix | None]] = {}
    cache_warned = False

    def collect(path: str, outcome: tuple[ConversionRecord, LCMSMatrix | None]) -> None:
        nonlocal cache_write, cache_warned
        if on_converted is not None and outcome[1] is not None:
            on_converted(path, outcome[1])
            if not keep_matrices:  # handed over: do not hold every matrix in memory
                outcome = (outcome[0], None)
        results[path] = outcome
        error = outcome[0].cache_error
        if error is not None and not cache_warned:
            logger.warning("cannot write to the cache (%s); converting without caching", error)
            cache_warned, cache_write = True, False
        bar.update(1)

    from tqdm.auto import tqdm

    bar = tqdm(total=len(unique), desc="mzML -> matrix", unit="file", disable=not progress)
    try:
        if ray_backend is not None:
            from omicsnet.utils.executors import UnitExecutor

            units = [(path, params_dict, folder, reader, wanted, cache_write) for path in unique]
            with UnitExecutor(ray_backend, desc="mzML files") as executor:
                for done in executor.run(_convert_task, units, errors="return"):
                    path = unique[done.index]
                    if done.error is not None:  # e.g. a Ray worker killed by the OS
                        reason = f"{path}: Ray task failed ({_one_line(done.error)})"
                        outcome = (ConversionRecord(path, "failed", 0.0, error=reason), None)
                    else:
                        outcome = done.value
                    collect(path, outcome)
        elif workers == 1 or len(unique) <= 1:
            for path in unique:
                collect(
                    path,
                    _convert_task(path, params_dict, folder, reader, wanted, cache_write),
                )
        else:
            from concurrent.futures import as_completed

            from omicsnet.utils.workers import WorkerPool

            # workers die with this process; Ctrl-C or SIGTERM cancels the queued files
            with WorkerPool(max_workers=min(workers, len(unique))) as pool:
                futures = {
                    pool.submit(
                        _convert_task,
                        path,
                        params_dict,
                        folder,
                        reader,
                        wanted,
                        cache_write,
                    ): path
                    for path in unique
                }
                for future in as_completed(futures):
                    path = futures[future]
                    try:
                        outcome = future.result()
                    except Exception as err:  # e.g. a worker killed by the OS
                        reason = f"{path}: worker process failed ({_one_line(err)})"
                        outcome = (ConversionRecord(path, "failed", 0.0, error=reason), None)
                    collect(path, outcome)
    finally:
        bar.close()

    records = [results[path][0] for path in unique]
    matrices = {path: m for path, (_, m) in results.items() if m is not None}
    outcome = BatchResult(records, {p: matrices[p] for p in unique if p in matrices}, params)
    for _path, reason in outcome.failures:
        logger.warning("not converted: %s", reason)
    logger.info(
        "%d file(s): %d converted, %d from cache, %d failed",
        len(records),
        outcome.n_converted,
        outcome.n_cached,
        outcome.n_failed,
    )
    return outcome
