"""NeatMS peak matrices and ``peak_cnn``: construction speed, and accuracy against a baseline.

What is compared
----------------
* **matrix construction** — :func:`omicsnet.peaks.matrices.build_peak_matrices`
  (extraction vectorised over peaks: (peak, scan) pairs, one ``searchsorted`` per scan
  for all its peaks, one ``add.reduceat`` for the sums; one ``numpy.interp`` per peak)
  against :func:`neatms_reference_matrices`, a straightforward **per-peak**
  re-implementation of NeatMS's algorithm (for each peak: mask the run's MS1 points by
  m/z and RT window, sum per unique RT, subtract the minimum, interpolate, normalise;
  NeatMS's ``RawData.extract_chromatogram`` + ``Peak.interpolate_chromatogram``). Both get
  the same in-memory MS1 run (the mzML reading is not timed); the outputs must be
  identical (the largest absolute difference and the agreement of valid/invalid calls
  are recorded). Two cases: the generated labelled peak set written as a real mzML file
  (quick: 300 features; full: 600) and a larger in-memory run (2,000 scans with 400
  noise points each; quick: 1,000 features, full: 4,000).
* **classification** — ``peak_cnn`` (NeatMS architecture, Adam, the shared trainer)
  against multinomial **logistic regression** on the flattened 2 × 120 matrices (sklearn,
  ``C`` chosen on the validation peaks) on the same stratified train/validation/test
  split of the generated labelled set (High: clean Gaussians; Low: truncated, partial
  and noisy peaks; Noise: spikes). Reported as test error rates (lower is better) plus
  accuracy, balanced accuracy and High precision/recall at the swept threshold. The
  learning rate is 1e-3 (NeatMS's 1e-5 needs about a hundred times more epochs for the
  same loss); quick mode trains fewer epochs on fewer peaks.

The load average is recorded: the shared 2-core machine is busy and timings are noisy.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from omicsnet.bench.registry import BenchContext, BenchResult, BenchRow, register_benchmark

logger = logging.getLogger(__name__)


def neatms_reference_matrices(
    ms1: Any,
    features: Any,
    *,
    n_points: int = 120,
    margin: float = 1.0,
    min_scans: int = 5,
) -> tuple[list[str], np.ndarray]:
    """NeatMS's per-peak algorithm on an in-memory MS1 run, one peak at a time.

    Parameters
    ----------
    ms1
        An :class:`omicsnet.ms.mzml.MSRun` of MS1 spectra.
    features
        A DataFrame indexed by feature ID with ``mz_min``, ``mz_max``, ``rt_min``,
        ``rt_max`` (minutes); rows with missing or inverted bounds are skipped.

    Returns
    -------
    (feature IDs of the valid peaks, float32 matrices ``(n, 2, n_points)``)
    """
    counts = np.diff(ms1.offsets)
    rt_all = np.repeat(np.asarray(ms1.rt, dtype=np.float64), counts)
    mz_all = np.asarray(ms1.mz, dtype=np.float64)
    int_all = np.asarray(ms1.intensity, dtype=np.float64)
    ids: list[str] = []
    out: list[np.ndarray] = []
    for fid, row in features.iterrows():
        mz_min, mz_max = float(row["mz_min"]), float(row["mz_max"])
        rt_min, rt_max = float(row["rt_min"]), float(row["rt_max"])
        if not np.isfinite([mz_min, mz_max, rt_min, rt_max]).all():
            continue
        if mz_max < mz_min or rt_max <= rt_min or mz_min < 0 or rt_min < 0:
            continue
        width = rt_max - rt_min
        start, end = rt_min - width * margin, rt_max + width * margin
        mask = (mz_all >= mz_min) & (mz_all <= mz_max) & (rt_all >= start) & (rt_all <= end)
        rts, intensities = rt_all[mask], int_all[mask]
        all_rt = np.unique(rts)
        if len(all_rt) <= 1:
            continue
        scan_number = int(((all_rt >= rt_min) & (all_rt <= rt_max)).sum())
        if scan_number < min_scans:
            continue
        summed = np.array([intensities[rts == r].sum() for r in all_rt])
        baseline = summed - summed.min()
        xvals = np.linspace(start, end, n_points)
        yinterp = np.interp(xvals, all_rt, baseline, left=0, right=0)
        if yinterp.max() <= 0:
            continue
        yinterp = yinterp / yinterp.max()
        window = [1 if rt_min <= x <= rt_max else 0 for x in xvals]
        ids.append(str(fid))
        out.append(np.array([yinterp, window]))
    matrices = np.asarray(out, dtype=np.float32).reshape(len(out), 2, n_points)
    return ids, matrices


def large_run(n_features: int, n_scans: int = 2000, noise_points: int = 400, seed: int = 0):
    """An in-memory MS1 run with ``n_features`` Gaussian peaks plus uniform noise points.

    Returns
    -------
    (MSRun, features DataFrame with ``mz_min``, ``mz_max``, ``rt_min``, ``rt_max``)
    """
    import pandas as pd

    from omicsnet.ms.mzml import MSRun

    rng = np.random.default_rng(seed)
    rt = np.round(np.arange(n_scans) * 0.01 + 0.5, 6)
    mz_c = np.sort(rng.uniform(100.0, 1000.0, n_features))
    apex = rng.uniform(rt[0] + 0.3, rt[-1] - 0.3, n_features)
    sigma = rng.uniform(0.02, 0.05, n_features)
    height = 10 ** rng.uniform(4, 7, n_features)
    # points of the peaks: every scan within 4 sigma of each apex
    first = np.searchsorted(rt, apex - 4 * sigma)
    last = np.searchsorted(rt, apex + 4 * sigma, side="right")
    lengths = last - first
    peak_of = np.repeat(np.arange(n_features), lengths)
    scan_of = np.concatenate([np.arange(a, b) for a, b in zip(first, last, strict=True)])
    values = height[peak_of] * np.exp(-0.5 * ((rt[scan_of] - apex[peak_of]) / sigma[peak_of]) ** 2)
    peak_mz = mz_c[peak_of] + rng.normal(0, 0.0005, len(peak_of))
    noise_scan = np.repeat(np.arange(n_scans), noise_points)
    noise_mz = rng.uniform(50.0, 1050.0, len(noise_scan))
    noise_int = rng.uniform(0.0, 5e3, len(noise_scan))
    scan = np.concatenate([scan_of, noise_scan])
    mz = np.concatenate([peak_mz, noise_mz])
    intensity = np.concatenate([values, noise_int]).astype(np.float32)
    order = np.lexsort((mz, scan))
    offsets = np.zeros(n_scans + 1, dtype=np.int64)
    np.cumsum(np.bincount(scan, minlength=n_scans), out=offsets[1:])
    run = MSRun(
        path=Path("in-memory"),
        format="mzML",
        reader="generated",
        ids=[f"scan={i + 1}" for i in range(n_scans)],
        ms_level=np.ones(n_scans, dtype=np.int16),
        rt=rt,
        offsets=offsets,
        mz=mz[order],
        intensity=intensity[order],
        sha256="",
        n_bytes=0,
        level_counts={1: n_scans},
    )
    half = 0.002
    features = pd.DataFrame(
        {
            "mz_min": mz_c - half,
            "mz_max": mz_c + half,
            "rt_min": apex - 2.5 * sigma,
            "rt_max": apex + 2.5 * sigma,
        },
        index=pd.Index([f"P{i:05d}" for i in range(n_features)], name="feature_id"),
    )
    return run, features


def _compare(run: Any, features: Any, repeats: int) -> dict[str, Any]:
    from omicsnet.bench.registry import time_call
    from omicsnet.peaks.matrices import build_peak_matrices

    fast = build_peak_matrices(run, features)
    ref_ids, ref = neatms_reference_matrices(run, features)
    same_ids = fast.feature_ids == ref_ids
    difference = float(np.abs(fast.matrices - ref).max()) if same_ids and len(ref) else float("nan")
    candidate = time_call(lambda: build_peak_matrices(run, features), repeats=repeats, warmup=0)
    baseline = time_call(
        lambda: neatms_reference_matrices(run, features), repeats=max(1, repeats // 3), warmup=0
    )
    return {
        "features": len(features),
        "valid": len(fast),
        "same_valid_peaks": same_ids,
        "max_abs_difference": difference,
        "identical": bool(same_ids and np.array_equal(fast.matrices, ref)),
        "candidate_s": candidate,
        "baseline_s": baseline,
    }


def _accuracy(peak_set: Any, matrices: Any, epochs: int, seed: int = 0) -> dict[str, Any]:
    import pandas as pd
    import torch
    from sklearn.linear_model import LogisticRegression

    from omicsnet.peaks.workflows import assign_labels, threshold_sweep, train_peak_model
    from omicsnet.train.metrics import classification_metrics

    labels = peak_set.table["label"]
    started = time.perf_counter()
    result = train_peak_model(
        matrices,
        labels,
        epochs=epochs,
        lr=1e-3,
        batch_size=32,
        val=0.15,
        test=0.25,
        early_stopping=None,
        seed=seed,
        progress=False,
    )
    cnn_seconds = time.perf_counter() - started
    classes = list(result.model.output_features)
    position = {fid: i for i, fid in enumerate(matrices.feature_ids)}

    def xy(part: str) -> tuple[np.ndarray, np.ndarray]:
        ids = result.split[part]
        x = matrices.matrices[[position[i] for i in ids]].reshape(len(ids), -1)
        y = np.array([classes.index(labels[i]) for i in ids])
        return x, y

    x_tr, y_tr = xy("train")
    x_va, y_va = xy("val")
    x_te, y_te = xy("test")
    best_c, best_acc = 1.0, -1.0
    for c in (0.01, 0.1, 1.0, 10.0):
        model = LogisticRegression(C=c, max_iter=3000).fit(x_tr, y_tr)
        acc = float((model.predict(x_va) == y_va).mean())
        if acc > best_acc:
            best_c, best_acc = c, acc
    baseline = LogisticRegression(C=best_c, max_iter=3000).fit(x_tr, y_tr)
    lr_proba = baseline.predict_proba(x_te)
    lr_metrics = classification_metrics(y_te, lr_proba, class_names=classes)
    lr_threshold = threshold_sweep(baseline.predict_proba(x_va), y_va, classes).attrs[
        "best_threshold"
    ]
    called = np.array(assign_labels(lr_proba, classes, threshold=lr_threshold)) == "High"
    is_high = y_te == classes.index("High")
    lr_metrics["high_precision"] = float((called & is_high).sum() / max(1, called.sum()))
    lr_metrics["high_recall"] = float((called & is_high).sum() / max(1, is_high.sum()))
    with torch.no_grad():
        cnn_pred = result.model.predict_proba(torch.from_numpy(matrices.matrices)).numpy()
    kinds = peak_set.table["kind"].reindex(result.split["test"]).to_numpy()
    test_rows = [position[i] for i in result.split["test"]]
    cnn_right = cnn_pred[test_rows].argmax(1) == y_te
    lr_right = lr_proba.argmax(1) == y_te
    per_kind = (
        pd.DataFrame({"kind": kinds, "peak_cnn": cnn_right, "logistic": lr_right})
        .groupby("kind")
        .mean()
        .round(3)
        .to_dict(orient="index")
    )
    keys = ("accuracy", "balanced_accuracy", "f1_macro", "high_precision", "high_recall")
    return {
        "peak_cnn": {k: result.test_metrics[k] for k in keys},
        "logistic_regression": {k: lr_metrics[k] for k in keys},
        "logistic_C": best_c,
        "peak_cnn_threshold": result.threshold,
        "logistic_threshold": lr_threshold,
        "accuracy_by_kind": per_kind,
        "split": {k: len(v) for k, v in result.split.items()},
        "epochs": epochs,
        "peak_cnn_train_seconds": cnn_seconds,
        "final_train_loss": float(result.history["train_loss"].iloc[-1]),
    }


@register_benchmark(
    "peaks",
    "NeatMS peak matrices: vectorised vs per-peak; peak_cnn vs logistic regression",
    suites=("science", "speed"),
    # error: two of the 150 test peaks
    noise={"error": "value ±0.014", "s": "ratio ±15%"},
)
def bench_peaks(ctx: BenchContext) -> BenchResult:
    """Peak-matrix construction speed and peak_cnn accuracy on generated labelled peaks."""
    import torch

    from omicsnet.ms.feature_tables import read_feature_table
    from omicsnet.ms.mzml import read_ms_run
    from omicsnet.peaks.matrices import build_peak_matrices
    from omicsnet.peaks.synthetic import write_labelled_peak_set

    quick = ctx.quick
    repeats = 1 if quick else max(1, min(ctx.repeats, 3))
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    rows: list[BenchRow] = []
    details: dict[str, Any] = {"load_average_before": load_before, "torch_threads": 1}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-peaks-") as tmp:
            per_class = 100 if quick else 200
            peak_set = write_labelled_peak_set(Path(tmp), n_per_class=per_class, seed=7)
            table = read_feature_table(peak_set.features)
            run = read_ms_run(peak_set.mzml, ms_level=1)
            synthetic = _compare(run, table.features, repeats)
            details["synthetic_mzml"] = synthetic
            rows.append(
                BenchRow(
                    f"peak matrices, generated mzML ({synthetic['features']} features, "
                    f"{len(run)} scans)",
                    "build_peak_matrices (vectorised)",
                    "per-peak NeatMS algorithm",
                    synthetic["candidate_s"],
                    synthetic["baseline_s"],
                    target="<= 0.5",
                    notes=f"identical output: {synthetic['identical']}",
                )
            )
            big_run, big_features = large_run(1000 if quick else 4000)
            large = _compare(big_run, big_features, repeats)
            details["large_in_memory_run"] = large
            rows.append(
                BenchRow(
                    f"peak matrices, in-memory run ({large['features']} features, "
                    f"{len(big_run)} scans, {big_run.n_peaks} points)",
                    "build_peak_matrices (vectorised)",
                    "per-peak NeatMS algorithm",
                    large["candidate_s"],
                    large["baseline_s"],
                    target="<= 0.2",
                    notes=f"identical output: {large['identical']}",
                )
            )
            matrices = build_peak_matrices(run, table)
            accuracy = _accuracy(peak_set, matrices, epochs=15 if quick else 40)
            details["classification"] = accuracy
            cnn, lr = accuracy["peak_cnn"], accuracy["logistic_regression"]
            rows.append(
                BenchRow(
                    f"test error rate, generated peaks ({accuracy['split']['test']} test peaks)",
                    "peak_cnn",
                    "logistic regression",
                    1.0 - cnn["accuracy"],
                    1.0 - lr["accuracy"],
                    unit="error",
                    target="<= 1.0",
                    notes=f"accuracy {cnn['accuracy']:.3f} vs {lr['accuracy']:.3f}",
                )
            )
    finally:
        torch.set_num_threads(threads)
    details["load_average_after"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return BenchResult(rows, details)
