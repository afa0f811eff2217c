"""Write small, real mzML files with known content (psims), for tests and planted-peak studies.

:func:`write_synthetic_mzml` writes a run of MS1 scans (optionally followed by DDA-style MS2
scans) in which chosen peaks rise and fall with a Gaussian elution profile, on top of
optional random noise peaks; profile or centroid mode, zlib or no compression, 32- or 64-bit
arrays, retention times in minutes or seconds, plain or gzipped. The returned
:class:`SyntheticRun` holds exactly what was written (arrays already cast to the stored
precision, times in minutes as a reader computes them), so a reader can be checked value
for value.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> truth = write_synthetic_mzml(folder / "a.mzML", peaks=[(150.2, 0.7, 1e6, 0.1)], n_scans=5)
>>> len(truth.rt), truth.ms_level.tolist()
(5, [1, 1, 1, 1, 1])
>>> [round(float(i.max())) for i in truth.intensity]  # the peak elutes at 0.7 min
[135335, 606531, 1000000, 606531, 135335]
"""

from __future__ import annotations

import gzip
import io
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from omicsnet.errors import ConfigError
from omicsnet.utils.io import atomic_write_bytes

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlantedPeak:
    """A compound eluting at ``rt`` (minutes) with apex ``intensity`` at ``mz``.

    ``rt_width`` is the Gaussian standard deviation of the elution profile in minutes;
    0 puts the whole peak into the single scan nearest to ``rt``.

    Examples
    --------
    >>> PlantedPeak(301.14, 2.5, 1e5).rt_width
    0.05
    """

    mz: float
    rt: float
    intensity: float
    rt_width: float = 0.05


@dataclass
class SyntheticRun:
    """What :func:`write_synthetic_mzml` wrote, spectrum by spectrum, in file order.

    Attributes
    ----------
    path
        The file written.
    ids
        Spectrum IDs (``scan=1``, ``scan=2``, …).
    ms_level
        MS level per spectrum.
    rt
        Scan start times in minutes, as a reader derives them from the stored values.
    mz, intensity
        Arrays per spectrum, in the stored precision.
    """

    path: Path
    ids: list[str]
    ms_level: np.ndarray
    rt: np.ndarray
    mz: list[np.ndarray]
    intensity: list[np.ndarray]


def _as_peak(item: PlantedPeak | Sequence[float]) -> PlantedPeak:
    if isinstance(item, PlantedPeak):
        return item
    values = [float(v) for v in item]
    if len(values) not in (3, 4):
        raise ConfigError(f"a planted peak is (mz, rt, intensity[, rt_width]); got {tuple(item)!r}")
    return PlantedPeak(*values)


def write_synthetic_mzml(
    path: str | os.PathLike[str],
    *,
    peaks: Sequence[PlantedPeak | Sequence[float]] = (),
    n_scans: int = 10,
    rt_start: float = 0.5,
    rt_step: float = 0.1,
    scan_times: Sequence[float] | None = None,
    mz_range: tuple[float, float] = (50.0, 1000.0),
    noise_peaks: int = 0,
    noise_level: float = 100.0,
    profile: bool = False,
    profile_points: int = 7,
    profile_spacing: float = 0.002,
    ms2_per_ms1: int = 0,
    compression: str = "zlib",
    mz_precision: int = 64,
    intensity_precision: int = 32,
    rt_unit: str = "minute",
    min_relative_height: float = 1e-3,
    chromatogram: bool = True,
    seed: int = 0,
) -> SyntheticRun:
    """Write an mzML file with planted peaks and return what was written.

    Parameters
    ----------
    path
        Output file; a name ending in ``.gz`` is gzip-compressed. Written atomically.
    peaks
        :class:`PlantedPeak` objects or ``(mz, rt, intensity[, rt_width])`` tuples.
    n_scans
        Number of MS1 scans (0 writes a chromatogram-only file).
    rt_start, rt_step
        MS1 scan times ``rt_start + i * rt_step`` minutes, unless ``scan_times`` is given.
    scan_times
        Explicit MS1 scan times in minutes (overrides ``n_scans``/``rt_start``/``rt_step``).
    mz_range
        Where noise peaks and MS2 fragments fall.
    noise_peaks, noise_level
        Random peaks per MS1 scan, with intensities uniform in ``[0, noise_level)``.
    profile, profile_points, profile_spacing
        Profile mode: each peak becomes ``profile_points`` points ``profile_spacing`` m/z
        apart with a Gaussian shape (the centre point carries the height). Centroid mode
        writes one point per peak.
    ms2_per_ms1
        MS2 scans after each MS1 scan (precursors cycle through the planted peaks).
    compression
        ``"zlib"`` or ``"none"``.
    mz_precision, intensity_precision
        32 or 64 (bits per stored float).
    rt_unit
        ``"minute"`` or ``"second"``: the unit of the stored scan start times.
    min_relative_height
        A planted peak is written in a scan only while its elution profile is at least
        this fraction of its apex.
    chromatogram
        Also write a total-ion-current chromatogram.
    seed
        Seed of the noise and fragment generator.

    Returns
    -------
    SyntheticRun

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> run = write_synthetic_mzml(
    ...     folder / "b.mzML.gz", peaks=[(200.0, 0.5, 1e4, 0.0)], n_scans=2,
    ...     profile=True, profile_points=3, ms2_per_ms1=1, rt_unit="second",
    ...     compression="none", mz_precision=32)
    >>> run.ms_level.tolist(), run.mz[0].dtype.name, len(run.mz[0])
    ([1, 2, 1, 2], 'float32', 3)
    >>> (folder / "b.mzML.gz").read_bytes()[:2] == b"\\x1f\\x8b"
    True
    """
    from psims.mzml.writer import MzMLWriter

    planted = [_as_peak(p) for p in peaks]
    if compression not in ("zlib", "none"):
        raise ConfigError(f"compression must be 'zlib' or 'none'; got {compression!r}")
    if mz_precision not in (32, 64) or intensity_precision not in (32, 64):
        raise ConfigError("mz_precision and intensity_precision must be 32 or 64")
    if rt_unit not in ("minute", "second"):
        raise ConfigError(f"rt_unit must be 'minute' or 'second'; got {rt_unit!r}")
    if profile and profile_points < 1:
        raise ConfigError("profile_points must be at least 1")
    times = (
        np.asarray(scan_times, dtype=np.float64)
        if scan_times is not None
        else rt_start + rt_step * np.arange(n_scans, dtype=np.float64)
    )
    mz_dtype = np.dtype(np.float32 if mz_precision == 32 else np.float64)
    int_dtype = np.dtype(np.float32 if intensity_precision == 32 else np.float64)
    rng = np.random.default_rng(seed)
    gap = float(np.min(np.diff(times))) if len(times) > 1 else max(rt_step, 1e-3)

    ids: list[str] = []
    levels: list[int] = []
    rts: list[float] = []
    mzs: list[np.ndarray] = []
    intensities: list[np.ndarray] = []
    tic: list[float] = []

    def stored_time(t_min: float) -> tuple[float | dict[str, object], float]:
        """(value handed to psims, minutes a reader computes from the stored text)."""
        if rt_unit == "second":
            seconds = float(repr(t_min * 60.0))
            value = {"name": "scan start time", "value": seconds, "unitName": "second"}
            return value, seconds / 60.0
        return t_min, float(repr(t_min))

    buffer = io.BytesIO()
    with MzMLWriter(buffer, close=False) as out:
        out.controlled_vocabularies()
        out.file_description(["MS1 spectrum", "MSn spectrum"] if ms2_per_ms1 else ["MS1 spectrum"])
        out.software_list(
            [
                {
                    "id": "omicsnet",
                    "version": "synthetic",
                    "params": ["custom unreleased software tool"],
                }
            ]
        )
        out.instrument_configuration_list(
            [out.InstrumentConfiguration(id="IC1", component_list=[], params=["instrument model"])]
        )
        out.data_processing_list(
            [
                out.DataProcessing(
                    [
                        out.ProcessingMethod(
                            order=0, software_reference="omicsnet", params=["Conversion to mzML"]
                        )
                    ],
                    id="omicsnet_synthetic",
                )
            ]
        )
        n_spectra = len(times) * (1 + ms2_per_ms1)
        with out.run(id="synthetic", instrument_configuration="IC1"):
            with out.spectrum_list(count=n_spectra):
                for t in times:
                    mz, intensity = _ms1_peaks(
                        float(t),
                        planted,
                        gap,
                        rng,
                        mz_range,
                        noise_peaks,
                        noise_level,
                        profile,
                        profile_points,
                        profile_spacing,
                        min_relative_height,
                    )
                    mz, intensity = mz.astype(mz_dtype), intensity.astype(int_dtype)
                    value, minutes = stored_time(float(t))
                    spectrum_id = f"scan={len(ids) + 1}"
                    out.write_spectrum(
                        mz,
                        intensity,
                        id=spectrum_id,
                        centroided=not profile,
                        scan_start_time=value,
                        params=[{"ms level": 1}, "MS1 spectrum"],
                        compression=compression,
                        encoding={"m/z array": mz_dtype.type, "intensity array": int_dtype.type},
                    )
                    ids.append(spectrum_id)
                    levels.append(1)
                    rts.append(minutes)
                    mzs.append(mz)
                    intensities.append(intensity)
                    tic.append(float(intensity.sum(dtype=np.float64)))
                    for j in range(ms2_per_ms1):
                        t2 = float(t) + gap * (j + 1) / (ms2_per_ms1 + 1)
                        if planted:
                            precursor = planted[(len(ids) + j) % len(planted)].mz
                        else:
                            precursor = float(rng.uniform(*mz_range))
                        low = mz_range[0]
                        frag = np.sort(rng.uniform(low, max(precursor, low + 1.0), 6))
                        frag_int = rng.uniform(10.0, 1000.0, 6)
                        frag, frag_int = frag.astype(mz_dtype), frag_int.astype(int_dtype)
                        value2, minutes2 = stored_time(t2)
                        ms2_id = f"scan={len(ids) + 1}"
                        out.write_spectrum(
                            frag,
                            frag_int,
                            id=ms2_id,
                            centroided=True,
                            scan_start_time=value2,
                            params=[{"ms level": 2}, "MSn spectrum"],
                            precursor_information={
                                "mz": precursor,
                                "charge": 1,
                                "spectrum_reference": spectrum_id,
                                "activation": [
                                    "beam-type collision-induced dissociation",
                                    {"collision energy": 30.0},
                                ],
                            },
                            compression=compression,
                            encoding={
                                "m/z array": mz_dtype.type,
                                "intensity array": int_dtype.type,
                            },
                        )
                        ids.append(ms2_id)
                        levels.append(2)
                        rts.append(minutes2)
                        mzs.append(frag)
                        intensities.append(frag_int)
            if chromatogram:
                with out.chromatogram_list(count=1):
                    ms1_times = np.asarray(
                        [r for r, lv in zip(rts, levels, strict=True) if lv == 1]
                    )
                    out.write_chromatogram(
                        ms1_times,
                        np.asarray(tic, dtype=np.float64),
                        id="TIC",
                        chromatogram_type="total ion current chromatogram",
                    )
    payload = buffer.getvalue()
    target = Path(path)
    if target.name.endswith(".gz"):
        payload = gzip.compress(payload, mtime=0)
    atomic_write_bytes(target, payload)
    logger.debug("wrote %s: %d spectra", target, len(ids))
    return SyntheticRun(
        path=target,
        ids=ids,
        ms_level=np.asarray(levels, dtype=np.int16),
        rt=np.asarray(rts, dtype=np.float64),
        mz=mzs,
        intensity=intensities,
    )


def _ms1_peaks(
    t: float,
    planted: list[PlantedPeak],
    gap: float,
    rng: np.random.Generator,
    mz_range: tuple[float, float],
    noise_peaks: int,
    noise_level: float,
    profile: bool,
    profile_points: int,
    profile_spacing: float,
    min_relative_height: float,
) -> tuple[np.ndarray, np.ndarray]:
    centres: list[float] = []
    heights: list[float] = []
    for peak in planted:
        if peak.rt_width > 0:
            factor = float(np.exp(-0.5 * ((t - peak.rt) / peak.rt_width) ** 2))
        else:
            factor = 1.0 if abs(t - peak.rt) <= gap / 2 else 0.0
        if factor >= min_relative_height and factor > 0:
            centres.append(peak.mz)
            heights.append(peak.intensity * factor)
    if noise_peaks:
        centres.extend(rng.uniform(mz_range[0], mz_range[1], noise_peaks).tolist())
        heights.extend(rng.uniform(0.0, noise_level, noise_peaks).tolist())
    centre = np.asarray(centres, dtype=np.float64)
    height = np.asarray(heights, dtype=np.float64)
    if profile and len(centre):
        offsets = profile_spacing * (np.arange(profile_points) - (profile_points - 1) / 2)
        sigma = max(profile_spacing * profile_points / 4, 1e-12)
        shape = np.exp(-0.5 * (offsets / sigma) ** 2)
        mz = (centre[:, None] + offsets[None, :]).ravel()
        intensity = (height[:, None] * shape[None, :]).ravel()
    else:
        mz, intensity = centre, height
    order = np.argsort(mz, kind="stable")
    return mz[order], intensity[order]
