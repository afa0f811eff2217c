"""Runs already in memory as :class:`~omicsnet.ms.mzml.MSRun`: pyOpenMS, pyteomics, arrays.

A run loaded with pyOpenMS (``MSExperiment``), parsed with pyteomics (its spectrum
dictionaries) or held as plain arrays is binned into an RT × m/z matrix without writing
a file:

>>> import numpy as np
>>> from omicsnet.ms.binning import bin_run
>>> run = run_from_arrays(rt=[0.5, 0.6], mz=[[100.2, 200.7], [150.1]],
...                       intensity=[[1.0, 2.0], [4.0]])
>>> grid = dict(n_rt=2, rt_step=0.1, mz_start=99, n_mz=3, mz_step=50)
>>> bin_run(run, grid).values.tolist()
[[1.0, 0.0, 2.0], [0.0, 4.0, 0.0]]

The run's ``sha256`` is a checksum of its arrays (so that two identical runs are
recognised as one, as files are); ``path`` is a name (``in-memory`` unless given) used
in messages and as the matrix's ``source``. The same checks as for files apply when
binning: m/z values must be finite and not negative, intensities finite.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from omicsnet.errors import ConfigError, DataError, shown
from omicsnet.ms.mzml import MSRun

#: Retention-time units accepted by :func:`run_from_arrays`, to minutes.
RT_UNITS = {"minute": 1.0, "second": 1.0 / 60.0, "hour": 60.0}
_PYTEOMICS_UNITS = {"minute": 1.0, "second": 1.0 / 60.0, "hour": 60.0, "millisecond": 1 / 60000}


def _checksum(rt: np.ndarray, offsets: np.ndarray, mz: np.ndarray, intensity: np.ndarray) -> str:
    digest = hashlib.sha256()
    for array in (rt, offsets, mz, intensity):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def _assemble(
    name: str,
    reader: str,
    ids: list[str],
    levels: list[int],
    rts: list[float],
    mzs: list[np.ndarray],
    intensities: list[np.ndarray],
) -> MSRun:
    if not rts:
        raise DataError(f"{name}: the run holds no spectra")
    lengths = np.fromiter((len(a) for a in mzs), dtype=np.int64, count=len(mzs))
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    mz_dtype = np.result_type(np.float32, *[a.dtype for a in mzs]) if mzs else np.float64
    int_dtype = (
        np.result_type(np.float32, *[a.dtype for a in intensities]) if intensities else np.float64
    )
    mz = np.concatenate(mzs).astype(mz_dtype, copy=False) if mzs else np.zeros(0)
    intensity = (
        np.concatenate(intensities).astype(int_dtype, copy=False) if intensities else np.zeros(0)
    )
    rt = np.asarray(rts, dtype=np.float64)
    level = np.asarray(levels, dtype=np.int16)
    counts: dict[int, int] = {}
    for value in levels:
        counts[int(value)] = counts.get(int(value), 0) + 1
    return MSRun(
        path=Path(name),
        format="in-memory",
        reader=reader,
        ids=ids,
        ms_level=level,
        rt=rt,
        offsets=offsets,
        mz=mz,
        intensity=intensity,
        sha256=_checksum(rt, offsets, mz, intensity),
        n_bytes=0,
        level_counts=dict(sorted(counts.items())),
    )


def _pair(mz: Any, intensity: Any, name: str, spectrum: str) -> tuple[np.ndarray, np.ndarray]:
    m = np.asarray(mz, dtype=np.float64 if np.asarray(mz).dtype.kind not in "f" else None)
    i = np.asarray(
        intensity, dtype=np.float64 if np.asarray(intensity).dtype.kind not in "f" else None
    )
    m = m.astype(m.dtype.newbyteorder("="), copy=False).reshape(-1)
    i = i.astype(i.dtype.newbyteorder("="), copy=False).reshape(-1)
    if m.shape != i.shape:
        raise DataError(
            f"{name}: spectrum {shown(spectrum)} has {len(m)} m/z values and {len(i)} intensities"
        )
    return m, i


def run_from_arrays(
    rt: Sequence[float] | np.ndarray,
    mz: Sequence[Any],
    intensity: Sequence[Any],
    *,
    ms_level: int | Sequence[int] = 1,
    ids: Sequence[str] | None = None,
    rt_unit: str = "minute",
    name: str = "in-memory",
) -> MSRun:
    """A run from plain arrays: one retention time and one (m/z, intensity) pair per spectrum.

    Parameters
    ----------
    rt
        Scan start time of each spectrum, in ``rt_unit``.
    mz, intensity
        One array per spectrum (equal lengths within a spectrum).
    ms_level
        One MS level for all spectra, or one per spectrum.
    ids
        Spectrum IDs (default ``scan=1``, ``scan=2``, ...).
    rt_unit
        ``"minute"`` (omicsnet's unit), ``"second"`` or ``"hour"``.
    name
        What messages and the binned matrix call the run.

    Raises
    ------
    DataError
        Different numbers of times, m/z arrays, intensity arrays, levels or IDs; a
        spectrum whose m/z and intensity lengths differ; no spectra.

    Examples
    --------
    >>> run = run_from_arrays([30.0, 36.0], [[100.0], [101.0, 102.0]], [[5.0], [1.0, 2.0]],
    ...                       rt_unit="second", ms_level=[1, 2])
    >>> run.rt.tolist(), run.ms_level.tolist(), run.n_peaks
    ([0.5, 0.6], [1, 2], 3)
    """
    if rt_unit not in RT_UNITS:
        raise ConfigError(f"rt_unit must be one of {', '.join(RT_UNITS)}, got {rt_unit!r}")
    times = np.asarray(rt, dtype=np.float64).reshape(-1) * RT_UNITS[rt_unit]
    n = len(times)
    if len(mz) != n or len(intensity) != n:
        raise DataError(
            f"{name}: {n} retention times, {len(mz)} m/z arrays and {len(intensity)} "
            "intensity arrays; give one of each per spectrum"
        )
    levels = [int(ms_level)] * n if np.ndim(ms_level) == 0 else [int(v) for v in ms_level]  # type: ignore[arg-type]
    if len(levels) != n:
        raise DataError(f"{name}: {len(levels)} MS levels for {n} spectra")
    names = [f"scan={k + 1}" for k in range(n)] if ids is None else [str(v) for v in ids]
    if len(names) != n:
        raise DataError(f"{name}: {len(names)} spectrum IDs for {n} spectra")
    pairs = [
        _pair(m, i, name, names[k]) for k, (m, i) in enumerate(zip(mz, intensity, strict=True))
    ]
    return _assemble(
        name, "arrays", names, levels, times.tolist(), [p[0] for p in pairs], [p[1] for p in pairs]
    )


def run_from_pyopenms(experiment: Any, *, name: str | None = None) -> MSRun:
    """A run from a pyOpenMS ``MSExperiment`` (e.g. after ``MzMLFile().load(path, exp)``).

    Retention times are converted from OpenMS's seconds to minutes; spectrum IDs are the
    native IDs (``scan=N`` when a spectrum has none).

    Examples
    --------
    >>> import pyopenms as oms
    >>> exp = oms.MSExperiment()
    >>> for rt, peaks in ((30.0, ([100.0, 200.0], [1.0, 2.0])), (36.0, ([150.0], [4.0]))):
    ...     spectrum = oms.MSSpectrum(); spectrum.setRT(rt); spectrum.setMSLevel(1)
    ...     spectrum.set_peaks(peaks); exp.addSpectrum(spectrum)
    >>> run = run_from_pyopenms(exp)
    >>> run.rt.tolist(), run.mz.tolist()
    ([0.5, 0.6], [100.0, 200.0, 150.0])
    """
    if not hasattr(experiment, "getNrSpectra") or not hasattr(experiment, "getSpectrum"):
        raise ConfigError(f"expected a pyopenms.MSExperiment, got {type(experiment).__name__}")
    label = name
    if label is None:
        loaded = getattr(experiment, "getLoadedFilePath", lambda: "")()
        loaded = loaded.decode() if isinstance(loaded, bytes) else str(loaded or "")
        label = Path(loaded).name if loaded else "in-memory"
    ids: list[str] = []
    levels: list[int] = []
    rts: list[float] = []
    mzs: list[np.ndarray] = []
    intensities: list[np.ndarray] = []
    for k in range(int(experiment.getNrSpectra())):
        spectrum = experiment.getSpectrum(k)
        native = spectrum.getNativeID()
        native = native.decode() if isinstance(native, bytes) else str(native)
        ids.append(native or f"scan={k + 1}")
        levels.append(int(spectrum.getMSLevel()))
        rts.append(float(spectrum.getRT()) / 60.0)
        m, i = spectrum.get_peaks()
        m, i = _pair(m, i, label, ids[-1])
        mzs.append(m)
        intensities.append(i)
    return _assemble(label, "pyopenms", ids, levels, rts, mzs, intensities)


def _pyteomics_minutes(value: Any, name: str, spectrum: str) -> float:
    unit = getattr(value, "unit_info", None)
    if unit is None:
        return float(value)  # pyteomics gives no unit: minutes, as in the file readers
    factor = _PYTEOMICS_UNITS.get(str(unit))
    if factor is None:
        raise DataError(f"{name}: spectrum {shown(spectrum)} has its time in unknown unit {unit!r}")
    return float(value) * factor


def run_from_pyteomics(spectra: Iterable[dict[str, Any]], *, name: str = "in-memory") -> MSRun:
    """A run from pyteomics spectrum dictionaries (``pyteomics.mzml`` or ``pyteomics.mzxml``).

    mzML spectra give ``id``, ``ms level`` and the first scan's ``scan start time`` (in its
    unit); mzXML scans give ``num``, ``msLevel`` and ``retentionTime``. Both give
    ``m/z array`` and ``intensity array``.

    Examples
    --------
    >>> from pyteomics.auxiliary import unitfloat
    >>> spectra = [{"id": "scan=1", "ms level": 1, "m/z array": [100.0], "intensity array": [3.0],
    ...             "scanList": {"scan": [{"scan start time": unitfloat(30, "second")}]}}]
    >>> run_from_pyteomics(spectra).rt.tolist()
    [0.5]
    """
    ids: list[str] = []
    levels: list[int] = []
    rts: list[float] = []
    mzs: list[np.ndarray] = []
    intensities: list[np.ndarray] = []
    for k, spectrum in enumerate(spectra):
        if not isinstance(spectrum, dict):
            raise ConfigError(
                f"expected pyteomics spectrum dictionaries, got {type(spectrum).__name__}"
            )
        if "retentionTime" in spectrum:  # mzXML
            spectrum_id = str(spectrum.get("num", spectrum.get("id", k + 1)))
            level = int(spectrum.get("msLevel", 0))
            rt = spectrum["retentionTime"]
            unit = getattr(rt, "unit_info", None)
            minutes = float(rt) if unit == "minute" else float(rt) / 60.0
        else:
            spectrum_id = str(spectrum.get("id", f"scan={k + 1}"))
            level = int(spectrum.get("ms level", 1 if "MS1 spectrum" in spectrum else 0))
            try:
                start = spectrum["scanList"]["scan"][0]["scan start time"]
            except (KeyError, IndexError, TypeError):
                raise DataError(
                    f"{name}: spectrum {shown(spectrum_id)} has no scan start time"
                ) from None
            minutes = _pyteomics_minutes(start, name, spectrum_id)
        m, i = _pair(
            spectrum.get("m/z array", ()), spectrum.get("intensity array", ()), name, spectrum_id
        )
        ids.append(spectrum_id)
        levels.append(level)
        rts.append(minutes)
        mzs.append(m)
        intensities.append(i)
    return _assemble(name, "pyteomics", ids, levels, rts, mzs, intensities)


def as_ms_run(obj: Any, **options: Any) -> MSRun:
    """An :class:`MSRun` from whatever holds the run: an MSRun, an MSExperiment or spectra.

    Examples
    --------
    >>> as_ms_run(run_from_arrays([1.0], [[100.0]], [[1.0]])).n_peaks
    1
    """
    if isinstance(obj, MSRun):
        return obj
    if hasattr(obj, "getNrSpectra"):
        return run_from_pyopenms(obj, **options)
    if isinstance(obj, (list, tuple)) or hasattr(obj, "__iter__"):
        return run_from_pyteomics(obj, **options)
    raise ConfigError(
        f"cannot make a run from {type(obj).__name__}: give an MSRun, a pyopenms.MSExperiment, "
        "pyteomics spectra or use run_from_arrays"
    )


__all__ = ["RT_UNITS", "as_ms_run", "run_from_arrays", "run_from_pyopenms", "run_from_pyteomics"]
