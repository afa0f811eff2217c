"""NeatMS peak matrices: one 2 × 120 matrix per detected peak, built from an MS1 run.

For each feature (m/z range ``[mz_min, mz_max]``, RT range ``[rt_min, rt_max]``), as in
NeatMS (bihealth/NeatMS, ``PymzmlDataReader.create_interpolated_chromatograms``):

1. the window is the peak's RT range widened by ``margin`` peak widths on each side:
   ``[rt_min - margin·w, rt_max + margin·w]`` with ``w = rt_max - rt_min``;
2. in every MS1 scan of the window, the intensities of the points with
   ``mz_min <= m/z <= mz_max`` are summed; scans without such a point are left out
   (they are not zeros);
3. the peak is **invalid** when fewer than 2 scans carry signal, or fewer than
   ``min_scans`` (5) of them lie inside ``[rt_min, rt_max]``;
4. the minimum of the summed intensities is subtracted (a crude baseline);
5. the trace is linearly interpolated at ``n_points`` (120) evenly spaced times over the
   window (``numpy.interp``; 0 outside the first/last scan with signal) and divided by
   its maximum;
6. a second row marks the points inside ``[rt_min, rt_max]`` with 1, the margins with 0.

Row 0 is the normalised trace, row 1 the in-peak mask. The extraction (steps 1-3) runs
over all peaks at once: windows become (peak, scan) pairs, each scan's m/z array is
searched for all the peaks it serves in one :func:`numpy.searchsorted` call, and the
intensities are summed with one :func:`numpy.add.reduceat`. The result is identical to
the per-peak algorithm (``benchmarks/bench_peaks.py`` checks it and times both).

Peaks that give no matrix are reported with the reason: ``absent in sample``, ``missing
bounds``, ``bad bounds``, ``outside the run's RT range``, ``no signal``, ``too few scans``,
``flat signal`` (constant intensity: nothing left after the baseline is removed).

NeatMS reads *centroided* points (pymzml centroids profile spectra itself). The shared
reader returns spectra as stored: with profile-mode files every profile point inside the
m/z range is summed, so matrices of profile data differ from NeatMS's; centroid such
files first for NeatMS-identical matrices.

Examples
--------
>>> import tempfile, pathlib
>>> from omicsnet.ms.synthetic import write_synthetic_mzml
>>> from omicsnet.ms.feature_tables import feature_table_from_bounds
>>> path = pathlib.Path(tempfile.mkdtemp()) / "one.mzML"
>>> _ = write_synthetic_mzml(path, peaks=[(200.0, 1.0, 1e6, 0.05)], n_scans=21, rt_step=0.025)
>>> table = feature_table_from_bounds(["pk1", "gone"], [199.99, 300.0], [200.01, 300.1],
...                                   [0.9, 1.0], [1.1, 1.1])
>>> result = build_peak_matrices(path, table)
>>> result.matrices.shape, result.feature_ids
((1, 2, 120), ['pk1'])
>>> result.report.loc["gone", "reason"]
'no signal'
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError, DataError
from omicsnet.ms.feature_tables import FeatureTable, feature_table_from_bounds

logger = logging.getLogger(__name__)

N_POINTS = 120
"""Points per matrix row (NeatMS's ``matrice_size``)."""

MARGIN = 1.0
"""Peak widths added on each side of the peak's RT range (NeatMS's ``margin``)."""

MIN_SCANS = 5
"""Fewest scans with signal inside the peak's RT range (NeatMS's ``min_scan_num``)."""

SKIP_REASONS = (
    "absent in sample",
    "missing bounds",
    "bad bounds",
    "outside the run's RT range",
    "no signal",
    "too few scans",
    "flat signal",
)
"""Why a feature gets no matrix (column ``reason`` of :attr:`PeakMatrices.report`)."""


@dataclass
class PeakMatrices:
    """NeatMS matrices of the valid peaks and a report on every feature.

    Attributes
    ----------
    matrices
        ``float32`` array ``(n_valid, 2, n_points)``: normalised trace, in-peak mask.
    feature_ids
        The user's IDs of the valid peaks, in table order (one per matrix).
    report
        One row per feature of the table (index ``feature_id``): ``status`` (``"ok"`` or
        ``"skipped"``), ``reason`` (empty when ok), ``scans_in_window``,
        ``scans_with_signal``, ``scans_in_peak`` (with signal inside the peak's range).
    n_points, margin, min_scans
        The parameters used.
    source
        The mzML file (or ``None`` for an in-memory run) and its SHA-256.
    notes
        Warnings worth showing (e.g. a likely RT-unit mismatch).
    """

    matrices: np.ndarray
    feature_ids: list[str]
    report: pd.DataFrame
    n_points: int = N_POINTS
    margin: float = MARGIN
    min_scans: int = MIN_SCANS
    source: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.feature_ids)

    @property
    def shape(self) -> tuple[int, int]:
        """``(2, n_points)``: the shape of one matrix.

        Examples
        --------
        >>> PeakMatrices(np.zeros((0, 2, 120), np.float32), [], pd.DataFrame()).shape
        (2, 120)
        """
        return (2, int(self.n_points))

    def skipped(self) -> pd.Series:
        """Number of skipped features per reason (reasons with none left out).

        Examples
        --------
        >>> report = pd.DataFrame({"status": ["ok", "skipped"], "reason": ["", "no signal"]})
        >>> PeakMatrices(np.zeros((1, 2, 120), np.float32), ["a"], report).skipped().to_dict()
        {'no signal': 1}
        """
        reasons = self.report.loc[self.report["status"] == "skipped", "reason"]
        return (
            reasons.value_counts()
            .reindex([r for r in SKIP_REASONS if r in set(reasons)])
            .astype(int)
        )

    def summary(self) -> str:
        """One line: valid peaks and skipped features by reason.

        Examples
        --------
        >>> report = pd.DataFrame({"status": ["ok", "skipped"], "reason": ["", "no signal"]})
        >>> PeakMatrices(np.zeros((1, 2, 120), np.float32), ["a"], report).summary()
        '1 of 2 features give a peak matrix; skipped: no signal 1'
        """
        skipped = self.skipped()
        parts = ", ".join(f"{reason} {count}" for reason, count in skipped.items())
        return f"{len(self)} of {len(self.report)} features give a peak matrix" + (
            f"; skipped: {parts}" if parts else ""
        )

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write ``matrices``, IDs and parameters to an ``.npz`` file (no pickles) and the
        report next to it as ``<name>.report.csv``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> report = pd.DataFrame({"status": ["ok"], "reason": [""]},
        ...                       index=pd.Index(["a"], name="feature_id"))
        >>> m = PeakMatrices(np.ones((1, 2, 120), np.float32), ["a"], report)
        >>> p = m.save(pathlib.Path(tempfile.mkdtemp()) / "peaks.npz")
        >>> again = PeakMatrices.load(p)
        >>> again.feature_ids, bool((again.matrices == m.matrices).all())
        (['a'], True)
        """
        import io
        import json

        from omicsnet.utils.io import atomic_write_bytes, atomic_write_text, write_csv

        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            matrices=self.matrices,
            feature_ids=np.asarray(self.feature_ids, dtype=str),
            params=np.asarray(
                json.dumps(
                    {
                        "n_points": self.n_points,
                        "margin": self.margin,
                        "min_scans": self.min_scans,
                        "source": self.source,
                    }
                )
            ),
        )
        target = Path(path)
        if _report_path(target).exists() and not overwrite:  # refuse before writing anything
            atomic_write_text(_report_path(target), "", overwrite=False)
        atomic_write_bytes(target, buffer.getvalue(), overwrite=overwrite)
        write_csv(self.report, _report_path(target), index=True, overwrite=overwrite)
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PeakMatrices:
        """Read a file written by :meth:`save` (and its report, when present)."""
        import json

        from omicsnet.errors import DataNotFoundError

        target = Path(path)
        if not target.is_file():
            raise DataNotFoundError(f"peak-matrix file {target} does not exist")
        try:
            with np.load(target, allow_pickle=False) as data:
                matrices = data["matrices"].astype(np.float32, copy=False)
                ids = [str(i) for i in data["feature_ids"].tolist()]
                params = json.loads(str(data["params"]))
        except (KeyError, ValueError, OSError) as err:
            raise DataError(f"{target}: not a peak-matrix file ({err})") from err
        if matrices.ndim != 3 or matrices.shape[1] != 2 or len(ids) != len(matrices):
            raise DataError(
                f"{target}: matrices of shape {matrices.shape} with {len(ids)} IDs; expected "
                "(n_peaks, 2, n_points) and one ID per matrix"
            )
        report_file = _report_path(target)
        if report_file.is_file():
            report = pd.read_csv(report_file, index_col=0, dtype={"feature_id": str})
            report.index = report.index.map(str)
            report["reason"] = report["reason"].fillna("")
        else:
            report = pd.DataFrame(
                {"status": "ok", "reason": ""}, index=pd.Index(ids, name="feature_id")
            )
        return cls(
            matrices,
            ids,
            report,
            n_points=int(params["n_points"]),
            margin=float(params["margin"]),
            min_scans=int(params["min_scans"]),
            source=dict(params.get("source", {})),
        )


def _report_path(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(".npz") + ".report.csv")


def build_peak_matrices(
    run: Any,
    features: FeatureTable | pd.DataFrame,
    *,
    n_points: int = N_POINTS,
    margin: float = MARGIN,
    min_scans: int = MIN_SCANS,
    reader: str = "auto",
) -> PeakMatrices:
    """Build the NeatMS 2 × ``n_points`` matrix of every feature of a table.

    Parameters
    ----------
    run
        An mzML/mzXML path (read with :func:`omicsnet.ms.mzml.read_ms_run`, MS1 only)
        or an :class:`~omicsnet.ms.mzml.MSRun` (its MS1 spectra are used).
    features
        A :class:`~omicsnet.ms.feature_tables.FeatureTable`, or a DataFrame indexed by
        feature ID with ``mz_min``, ``mz_max``, ``rt_min``, ``rt_max`` in minutes.
    n_points, margin, min_scans
        Matrix width, window margin in peak widths, and the fewest scans with signal
        inside the peak (see the module docs).
    reader
        mzML reader when ``run`` is a path.

    Returns
    -------
    PeakMatrices

    Raises
    ------
    DataError
        The run has no MS1 scans, or not a single feature gives a matrix (the message
        counts the reasons and, when features fall outside the run, compares the RT
        ranges of the table and of the run: a seconds/minutes mix-up shows there).
    ConfigError
        Bad parameters.

    Examples
    --------
    >>> from omicsnet.ms.mzml import MSRun
    >>> rt = np.arange(10) / 10                        # 10 scans, one point each at m/z 100
    >>> run = MSRun(Path("x"), "mzML", "fast", [str(i) for i in range(10)],
    ...             np.ones(10, np.int16), rt, np.arange(11), np.full(10, 100.0),
    ...             np.array([0, 1, 2, 5, 9, 5, 2, 1, 0, 0], float), "", 0)
    >>> table = feature_table_from_bounds(["f"], [99.9], [100.1], [0.3], [0.6])
    >>> m = build_peak_matrices(run, table, n_points=7, min_scans=4)
    >>> (m.matrices[0, 0] * 7).round(4).tolist()  # window 0.0-0.9 min, points every 0.15 min
    [0.0, 1.5, 5.0, 7.0, 2.0, 0.5, 0.0]
    >>> m.matrices[0, 1].tolist()                   # inside 0.3-0.6 min
    [0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    """
    from omicsnet.ms.mzml import MSRun, read_ms_run

    if int(n_points) < 2:
        raise ConfigError(f"n_points must be at least 2; got {n_points}")
    if not margin >= 0:
        raise ConfigError(f"margin must be >= 0 peak widths; got {margin}")
    if int(min_scans) < 1:
        raise ConfigError(f"min_scans must be >= 1; got {min_scans}")
    table = _as_feature_table(features)
    if isinstance(run, MSRun):
        ms1 = run.select(run.ms_level == 1) if (run.ms_level != 1).any() else run
    else:
        ms1 = read_ms_run(run, ms_level=1, reader=reader)
    if len(ms1) == 0:
        raise DataError(f"{ms1.path}: no MS1 spectra; peak matrices need MS1 scans")
    rt, offsets, mz, intensity = _sorted_scans(ms1)

    frame = table.features
    lo_mz = frame["mz_min"].to_numpy(np.float64)
    hi_mz = frame["mz_max"].to_numpy(np.float64)
    lo_rt = frame["rt_min"].to_numpy(np.float64)
    hi_rt = frame["rt_max"].to_numpy(np.float64)
    present = frame["present"].to_numpy(bool) if "present" in frame else np.ones(len(frame), bool)
    n = len(frame)
    reason = np.full(n, "", dtype=object)
    finite = np.isfinite(lo_mz) & np.isfinite(hi_mz) & np.isfinite(lo_rt) & np.isfinite(hi_rt)
    reason[~present] = "absent in sample"
    reason[present & ~finite] = "missing bounds"
    with np.errstate(invalid="ignore"):
        bad = (hi_mz < lo_mz) | (hi_rt <= lo_rt) | (lo_mz < 0) | (lo_rt < 0)
    reason[(reason == "") & bad] = "bad bounds"
    width = hi_rt - lo_rt
    win_lo = lo_rt - width * margin
    win_hi = hi_rt + width * margin
    ok = reason == ""
    outside = ok & ((win_hi < rt[0]) | (win_lo > rt[-1]))
    reason[outside] = "outside the run's RT range"
    ok = reason == ""

    extracted = _extract(rt, offsets, mz, intensity, lo_mz, hi_mz, win_lo, win_hi, ok)
    pair_peak, pair_scan, pair_sum, pair_count = extracted
    signal = pair_count > 0
    in_window = np.bincount(pair_peak, minlength=n)
    with_signal = np.bincount(pair_peak[signal], minlength=n)
    pair_rt = rt[pair_scan]
    inside = signal & (pair_rt >= lo_rt[pair_peak]) & (pair_rt <= hi_rt[pair_peak])
    in_peak = np.bincount(pair_peak[inside], minlength=n)
    reason[ok & (with_signal == 0)] = "no signal"
    reason[(reason == "") & ok & ((with_signal <= 1) | (in_peak < min_scans))] = "too few scans"
    ok = reason == ""

    # per-peak traces: the signal pairs, grouped by peak (pairs are sorted by peak, scan)
    keep = signal & ok[pair_peak]
    trace_peak, trace_rt, trace_sum = pair_peak[keep], pair_rt[keep], pair_sum[keep]
    valid = np.flatnonzero(ok)
    starts = np.searchsorted(trace_peak, valid, side="left")
    ends = np.searchsorted(trace_peak, valid, side="right")
    grid = np.linspace(win_lo[valid], win_hi[valid], int(n_points), axis=1)
    traces = np.zeros((len(valid), int(n_points)), dtype=np.float64)
    for k in range(len(valid)):
        x = trace_rt[starts[k] : ends[k]]
        y = trace_sum[starts[k] : ends[k]]
        traces[k] = np.interp(grid[k], x, y - y.min(), left=0, right=0)
    peak_max = traces.max(axis=1) if len(valid) else np.zeros(0)
    flat = peak_max <= 0
    reason[valid[flat]] = "flat signal"
    matrices = np.empty((int((~flat).sum()), 2, int(n_points)), dtype=np.float32)
    matrices[:, 0] = traces[~flat] / peak_max[~flat, None]
    kept = valid[~flat]
    matrices[:, 1] = (grid[~flat] >= lo_rt[kept, None]) & (grid[~flat] <= hi_rt[kept, None])

    ids = [str(i) for i in frame.index]
    report = pd.DataFrame(
        {
            "status": np.where(reason == "", "ok", "skipped"),
            "reason": reason.astype(str),
            "scans_in_window": in_window,
            "scans_with_signal": with_signal,
            "scans_in_peak": in_peak,
        },
        index=pd.Index(ids, name="feature_id"),
    )
    usable = present & finite & ~bad
    beyond = usable & ((hi_rt < rt[0]) | (lo_rt > rt[-1]))  # the peak itself misses the run
    notes = _unit_notes(table, rt, beyond, usable)
    source = {"path": str(ms1.path), "sha256": ms1.sha256, "ms1_scans": len(ms1)}
    result = PeakMatrices(
        matrices,
        [ids[i] for i in kept.tolist()],
        report,
        n_points=int(n_points),
        margin=float(margin),
        min_scans=int(min_scans),
        source=source,
        notes=notes,
    )
    logger.info("%s: %s", ms1.path, result.summary())
    for note in notes:
        logger.warning("%s", note)
    if len(result) == 0:
        raise DataError(
            f"{ms1.path}: none of the {n} features gives a peak matrix ({result.summary()})"
            + (f"; {notes[0]}" if notes else "")
        )
    return result


def _as_feature_table(features: FeatureTable | pd.DataFrame) -> FeatureTable:
    if isinstance(features, FeatureTable):
        return features
    if isinstance(features, pd.DataFrame):
        missing = [c for c in ("mz_min", "mz_max", "rt_min", "rt_max") if c not in features]
        if missing:
            raise DataError(
                f"the feature frame lacks {missing}; columns found: {list(features.columns)}"
            )
        return feature_table_from_bounds(
            [str(i) for i in features.index],
            features["mz_min"],
            features["mz_max"],
            features["rt_min"],
            features["rt_max"],
        )
    raise ConfigError(f"features must be a FeatureTable or a DataFrame, not {type(features)}")


def _sorted_scans(ms1: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Scans in RT order and, inside each scan, points in m/z order (copies only if needed)."""
    rt = np.asarray(ms1.rt, dtype=np.float64)
    if np.any(np.diff(rt) < 0):
        ms1 = ms1.select(np.argsort(rt, kind="stable"))
        rt = np.asarray(ms1.rt, dtype=np.float64)
    offsets = np.asarray(ms1.offsets, dtype=np.int64)
    mz = np.asarray(ms1.mz, dtype=np.float64)
    intensity = np.asarray(ms1.intensity, dtype=np.float64)
    step = np.diff(mz)
    boundary = np.zeros(len(step), dtype=bool)
    inner = offsets[1:-1]
    boundary[inner[(inner > 0) & (inner < len(mz))] - 1] = True
    if np.any((step < 0) & ~boundary):
        scan_of_point = np.repeat(np.arange(len(rt)), np.diff(offsets))
        order = np.lexsort((mz, scan_of_point))
        mz, intensity = mz[order], intensity[order]
    return rt, offsets, mz, intensity


def _ragged(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + n)`` for each ``(s, n)``."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    shift = starts - (np.cumsum(lengths) - lengths)
    return np.arange(total, dtype=np.int64) + np.repeat(shift, lengths)


def _extract(
    rt: np.ndarray,
    offsets: np.ndarray,
    mz: np.ndarray,
    intensity: np.ndarray,
    lo_mz: np.ndarray,
    hi_mz: np.ndarray,
    win_lo: np.ndarray,
    win_hi: np.ndarray,
    ok: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(peak, scan) pairs of every window, with the summed intensity and point count.

    Pairs come sorted by peak, then scan.
    """
    peaks = np.flatnonzero(ok)
    first = np.searchsorted(rt, win_lo[peaks], side="left")
    last = np.searchsorted(rt, win_hi[peaks], side="right")
    lengths = np.maximum(last - first, 0)
    pair_peak = np.repeat(peaks, lengths)
    pair_scan = _ragged(first, lengths)
    lo = np.empty(len(pair_peak), dtype=np.int64)
    hi = np.empty(len(pair_peak), dtype=np.int64)
    by_scan = np.argsort(pair_scan, kind="stable")
    scans, scan_starts = np.unique(pair_scan[by_scan], return_index=True)
    scan_ends = np.append(scan_starts[1:], len(by_scan)) if len(scans) else scan_starts
    for scan, a, b in zip(scans.tolist(), scan_starts.tolist(), scan_ends.tolist(), strict=True):
        members = by_scan[a:b]
        start, stop = offsets[scan], offsets[scan + 1]
        segment = mz[start:stop]
        owners = pair_peak[members]
        lo[members] = start + np.searchsorted(segment, lo_mz[owners], side="left")
        hi[members] = start + np.searchsorted(segment, hi_mz[owners], side="right")
    count = np.maximum(hi - lo, 0)
    sums = np.zeros(len(pair_peak), dtype=np.float64)
    has = np.flatnonzero(count > 0)
    if len(has):
        gathered = intensity[_ragged(lo[has], count[has])]
        bounds = np.concatenate([[0], np.cumsum(count[has])[:-1]])
        sums[has] = np.add.reduceat(gathered, bounds)
    return pair_peak, pair_scan, sums, count


def _unit_notes(
    table: FeatureTable, rt: np.ndarray, outside: np.ndarray, usable: np.ndarray
) -> list[str]:
    """A hint when most features fall outside the run: often seconds read as minutes."""
    n_usable = int(usable.sum())
    if n_usable == 0 or outside.sum() < max(1, n_usable // 2):
        return []
    frame = table.features
    lo = float(np.nanmin(frame["rt_min"].to_numpy(float)[usable]))
    hi = float(np.nanmax(frame["rt_max"].to_numpy(float)[usable]))
    other = "second" if table.rt_unit == "minute" else "minute"
    factor = 1 / 60 if other == "second" else 60.0
    if lo * factor <= rt[-1] and hi * factor >= rt[0]:
        advice = f"if the table's RT is in {other}s, pass rt_unit='{other}' (--rt-unit {other})"
    else:
        advice = (
            "read in either unit the table does not overlap the run: is this the run the "
            "table was made from?"
        )
    return [
        f"{int(outside.sum())} of {n_usable} features lie outside the run: the table spans "
        f"RT {lo:.3g}-{hi:.3g} min (read as {table.rt_unit}s) but the run spans "
        f"{rt[0]:.3g}-{rt[-1]:.3g} min; {advice}"
    ]


def stack_peak_matrices(parts: Sequence[PeakMatrices]) -> PeakMatrices:
    """Concatenate matrices built from several runs (IDs must stay unique).

    Examples
    --------
    >>> r = pd.DataFrame({"status": ["ok"], "reason": [""]}, index=["a"])
    >>> a = PeakMatrices(np.zeros((1, 2, 120), np.float32), ["a"], r)
    >>> b = PeakMatrices(np.ones((1, 2, 120), np.float32), ["b"], r.rename(index={"a": "b"}))
    >>> stack_peak_matrices([a, b]).feature_ids
    ['a', 'b']
    """
    if not parts:
        raise ConfigError("no peak matrices to stack")
    shapes = {p.shape for p in parts}
    if len(shapes) > 1:
        raise DataError(f"peak matrices of different shapes cannot be stacked: {sorted(shapes)}")
    ids = [i for p in parts for i in p.feature_ids]
    if len(set(ids)) != len(ids):
        raise DataError("feature IDs repeat across the runs; prefix them with the sample name")
    first = parts[0]
    return PeakMatrices(
        np.concatenate([p.matrices for p in parts]),
        ids,
        pd.concat([p.report for p in parts]),
        n_points=first.n_points,
        margin=first.margin,
        min_scans=first.min_scans,
        source={"parts": [p.source for p in parts]},
        notes=[n for p in parts for n in p.notes],
    )


__all__ = [
    "MARGIN",
    "MIN_SCANS",
    "N_POINTS",
    "SKIP_REASONS",
    "PeakMatrices",
    "build_peak_matrices",
    "stack_peak_matrices",
]
