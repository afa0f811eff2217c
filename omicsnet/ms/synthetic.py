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
from typing import Any

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


# ---------------------------------------------------------------------------- cohorts
@dataclass
class SyntheticCohort:
    """A labelled cohort of generated mzML runs (see :func:`write_synthetic_cohort`).

    Attributes
    ----------
    root
        The folder holding the files.
    files
        The mzML files, in label-table order.
    labels
        One row per file: ``file`` (file name; join by name), ``label``, ``batch``,
        ``rt_offset`` (minutes this run's compounds elute late) and ``intensity_scale``.
    planted
        The class-specific peaks: ``label``, ``rt`` (minutes, averaged over batches), ``mz``,
        ``intensity`` (apex before batch scaling and sample jitter).
    common
        Peaks present in every run whatever the class (``rt``, ``mz``, ``intensity``).
    binning
        A :class:`~omicsnet.ms.binning.BinningParams` grid covering the runs: a
        coarse 64 x 64 grid (``rt_mode="bin"``, maximum per cell) for fast training.
    """

    root: Path
    files: list[Path]
    labels: Any
    planted: Any
    common: Any
    binning: Any

    @property
    def classes(self) -> list[str]:
        """Class names in the order given to :func:`write_synthetic_cohort`."""
        return list(dict.fromkeys(self.labels["label"]))

    def write_labels(
        self, path: str | os.PathLike[str] | None = None, *, overwrite: bool = False
    ) -> Path:
        """Write ``file,label,batch`` as CSV (default ``root/labels.csv``), atomically.

        The ``file`` column holds the mzML file names; ``omicsnet lcms train --labels``
        joins it to the converted matrices by name.
        """
        from omicsnet.utils.io import atomic_write_text

        target = Path(path) if path is not None else self.root / "labels.csv"
        table = self.labels[["file", "label", "batch"]]
        return atomic_write_text(target, table.to_csv(index=False), overwrite=overwrite)


def _lattice_positions(
    n: int, rt_bounds: tuple[float, float], mz_bounds: tuple[float, float], rng: np.random.Generator
) -> list[tuple[float, float]]:
    """``n`` (rt, mz) points in distinct cells of a lattice, so no two peaks share a cell."""
    side = max(int(np.ceil(np.sqrt(n * 2.0))), 2)
    cells = rng.permutation(side * side)[:n]
    rt_step = (rt_bounds[1] - rt_bounds[0]) / side
    mz_step = (mz_bounds[1] - mz_bounds[0]) / side
    points = []
    for cell in cells.tolist():
        i, j = divmod(cell, side)
        rt = rt_bounds[0] + rt_step * (i + rng.uniform(0.3, 0.7))
        mz = mz_bounds[0] + mz_step * (j + rng.uniform(0.3, 0.7))
        points.append((round(float(rt), 3), round(float(mz), 4)))
    return points


def write_synthetic_cohort(
    out_dir: str | os.PathLike[str],
    *,
    n_per_class: int = 6,
    classes: Sequence[str] = ("healthy", "benign", "cancer"),
    n_batches: int = 2,
    rt_shift: float = 0.3,
    intensity_scale: Sequence[float] | float = (1.0, 0.6),
    peaks_per_class: int = 2,
    n_common: int = 6,
    rt_range: tuple[float, float] = (0.5, 8.5),
    scan_interval: float = 0.05,
    mz_range: tuple[float, float] = (50.0, 1074.0),
    peak_intensity: float = 1e6,
    rt_width: float = 0.08,
    jitter: float = 0.25,
    rt_jitter: float = 0.03,
    noise_peaks: int = 20,
    noise_level: float = 2e4,
    gzip_files: bool = False,
    overwrite: bool = False,
    seed: int = 0,
) -> SyntheticCohort:
    """Write a cohort of mzML runs with class-specific planted peaks and batch effects.

    Every run holds ``n_common`` peaks shared by all classes, the ``peaks_per_class``
    peaks of its own class (absent from the other classes) and ``noise_peaks`` random
    peaks per scan. Samples are assigned to batches in turn within each class (so batches
    are balanced across classes); batch ``b`` elutes ``(b - (n_batches - 1) / 2) * rt_shift``
    minutes late (an RT-shift batch effect; the planted RT is the average over batches) and
    has all intensities multiplied by ``intensity_scale[b]``. On top, each run gets a small
    RT jitter (``rt_jitter`` minutes, normal) and each peak a log-normal intensity jitter
    (``jitter``).

    Peaks are placed in distinct cells of a lattice over the RT and m/z ranges (kept clear
    of the ends by the batch shifts), so each planted peak is a separate signal.

    Parameters
    ----------
    out_dir
        Folder for the files (created). Files are named ``<class>_<i>.mzML`` (``.mzML.gz``
        with ``gzip_files``).
    n_per_class, classes, n_batches
        Cohort design.
    rt_shift
        RT offset between consecutive batches, in minutes.
    intensity_scale
        One factor per batch (or one for all).
    peaks_per_class, n_common
        Planted peaks per class; peaks shared by every class.
    rt_range, scan_interval, mz_range
        MS1 scans every ``scan_interval`` minutes over ``rt_range``; peaks within ``mz_range``.
    peak_intensity, rt_width
        Apex intensity scale (each peak gets 0.5-1.5 times it) and elution width (minutes).
    jitter, rt_jitter
        Per-sample log-normal intensity jitter and per-run RT jitter.
    noise_peaks, noise_level
        Random noise peaks per scan, intensities uniform in ``[0, noise_level)``.
    gzip_files
        Write gzip-compressed files.
    overwrite
        Replace existing files of the same names.
    seed
        Seed of everything random.

    Returns
    -------
    SyntheticCohort

    Raises
    ------
    ConfigError
        Invalid design (no classes, repeated class names, wrong number of intensity
        scales, an RT range too short for the shifts, ...).
    omicsnet.errors.OutputExistsError
        ``out_dir`` holds files omicsnet did not write, or an earlier run and
        ``overwrite`` is false (see :mod:`omicsnet.utils.output`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> cohort = write_synthetic_cohort(pathlib.Path(tempfile.mkdtemp()), n_per_class=2,
    ...                                 classes=("a", "b"), rt_range=(0.5, 3.5))
    >>> [f.name for f in cohort.files]
    ['a_1.mzML', 'a_2.mzML', 'b_1.mzML', 'b_2.mzML']
    >>> cohort.labels[["label", "batch", "rt_offset"]].values.tolist()
    [['a', 0, -0.15], ['a', 1, 0.15], ['b', 0, -0.15], ['b', 1, 0.15]]
    >>> cohort.planted["label"].tolist()
    ['a', 'a', 'b', 'b']
    """
    import pandas as pd

    from omicsnet.errors import OutputExistsError
    from omicsnet.ms.binning import BinningParams
    from omicsnet.utils.output import check_output_dir, output_dir

    names = [str(c) for c in classes]
    if not names or len(set(names)) != len(names):
        raise ConfigError(f"classes must be distinct names, at least one; got {names}")
    for name, value in (
        ("n_per_class", n_per_class),
        ("n_batches", n_batches),
        ("peaks_per_class", peaks_per_class),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{name} must be a positive integer; got {value!r}")
    if isinstance(n_common, bool) or not isinstance(n_common, int) or n_common < 0:
        raise ConfigError(f"n_common must be a non-negative integer; got {n_common!r}")
    scales = (
        [float(intensity_scale)] * n_batches
        if isinstance(intensity_scale, (int, float))
        else [float(s) for s in intensity_scale]
    )
    if len(scales) != n_batches or any(not s > 0 for s in scales):
        raise ConfigError(
            f"intensity_scale needs one positive factor per batch ({n_batches}); got {scales}"
        )
    if not scan_interval > 0 or not rt_width >= 0 or rt_shift < 0:
        raise ConfigError("scan_interval must be positive, rt_width and rt_shift non-negative")
    offsets = [round((b - (n_batches - 1) / 2) * rt_shift, 6) for b in range(n_batches)]
    margin = max(abs(o) for o in offsets) + 4 * rt_width + 3 * rt_jitter + scan_interval
    rt_bounds = (rt_range[0] + margin, rt_range[1] - margin)
    mz_bounds = (mz_range[0] + 0.02 * (mz_range[1] - mz_range[0]), 0.98 * mz_range[1])
    if rt_bounds[1] - rt_bounds[0] < 4 * rt_width + scan_interval or mz_bounds[1] <= mz_bounds[0]:
        raise ConfigError(
            f"rt_range {rt_range} is too short for RT shifts of {rt_shift} min between "
            f"{n_batches} batches and peaks {rt_width} min wide"
        )
    rng = np.random.default_rng(seed)
    n_planted = peaks_per_class * len(names)
    points = _lattice_positions(n_planted + n_common, rt_bounds, mz_bounds, rng)
    heights = peak_intensity * rng.uniform(0.5, 1.5, len(points))
    planted = pd.DataFrame(
        {
            "label": [names[i // peaks_per_class] for i in range(n_planted)],
            "rt": [p[0] for p in points[:n_planted]],
            "mz": [p[1] for p in points[:n_planted]],
            "intensity": heights[:n_planted].round(0),
        }
    )
    common = pd.DataFrame(
        {
            "rt": [p[0] for p in points[n_planted:]],
            "mz": [p[1] for p in points[n_planted:]],
            "intensity": heights[n_planted:].round(0),
        }
    )
    root = Path(out_dir)
    suffix = ".mzML.gz" if gzip_files else ".mzML"
    rows = []
    for label in names:
        for i in range(n_per_class):
            rows.append(
                {"file": f"{label}_{i + 1}{suffix}", "label": label, "batch": i % n_batches}
            )
    existing = [r["file"] for r in rows if (root / r["file"]).exists()]
    if existing and not overwrite:
        raise OutputExistsError(
            f"{root} already holds {', '.join(existing[:5])}"
            f"{' ...' if len(existing) > 5 else ''}; pass overwrite=True to replace them"
        )
    check_output_dir(root, overwrite=overwrite)  # before any work: a folder of yours is refused
    scan_times = np.arange(rt_range[0], rt_range[1] + scan_interval / 2, scan_interval)
    files = []
    with output_dir(root, overwrite=overwrite, command="write_synthetic_cohort"):
        for index, row in enumerate(rows):
            batch = row["batch"]
            own = planted[planted["label"] == row["label"]]
            peaks_of_run = pd.concat([common, own[["rt", "mz", "intensity"]]], ignore_index=True)
            drift = offsets[batch] + float(rng.normal(0.0, rt_jitter))
            gains = scales[batch] * np.exp(jitter * rng.standard_normal(len(peaks_of_run)))
            peaks = [
                PlantedPeak(float(mz), float(rt) + drift, float(height * gain), rt_width)
                for (rt, mz, height), gain in zip(
                    peaks_of_run[["rt", "mz", "intensity"]].to_numpy(), gains, strict=True
                )
            ]
            path = root / row["file"]
            write_synthetic_mzml(
                path,
                peaks=peaks,
                scan_times=scan_times,
                mz_range=mz_range,
                noise_peaks=noise_peaks,
                noise_level=noise_level * scales[batch],
                chromatogram=False,
                seed=seed * 100_003 + index + 1,
            )
            row["rt_offset"] = offsets[batch]
            row["intensity_scale"] = scales[batch]
            files.append(path)
    labels = pd.DataFrame(rows, columns=["file", "label", "batch", "rt_offset", "intensity_scale"])
    n_rt, n_mz = 64, 64
    binning = BinningParams(
        rt_start=rt_range[0],
        rt_step=(rt_range[1] - rt_range[0] + scan_interval) / n_rt,
        n_rt=n_rt,
        mz_start=mz_range[0],
        mz_step=(mz_range[1] - mz_range[0]) / n_mz,
        n_mz=n_mz,
        rt_mode="bin",
    )
    logger.info(
        "wrote %d synthetic runs (%d classes, %d batches) to %s",
        len(files),
        len(names),
        n_batches,
        root,
    )
    return SyntheticCohort(root, files, labels, planted, common, binning)
