"""The lcms family's step of ``omicsnet demo`` (a generated mzML cohort, no download)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from omicsnet.families import DemoStep
from omicsnet.lcms.workflows import explain_rise, planted_peak_recall, predict_lcms, train_lcms


def demo_lcms(
    out_dir: str | os.PathLike[str], *, quick: bool = False, progress: bool = False
) -> DemoStep:
    """``omicsnet demo`` LC-MS step: generated mzML cohort → matrices → ensemble → RISE.

    Writes a cohort of mzML runs with class-specific planted peaks and two batches (RT
    shift 0.3 min, intensities × 0.6), converts them to ``.npz`` matrices, trains a small
    ensemble of tiny ``lcms_densenet`` members on two thirds of each class, predicts the
    held-out runs, and checks whether RISE's top regions (class profiles of correctly
    predicted samples) recover the planted peaks.
    """
    from omicsnet.ms.arrays import sample_id
    from omicsnet.ms.binning import convert_files
    from omicsnet.ms.synthetic import write_synthetic_cohort

    started = time.perf_counter()
    out = Path(out_dir)
    cohort = write_synthetic_cohort(
        out / "runs",
        n_per_class=4 if quick else 9,
        rt_range=(0.5, 6.5),
        scan_interval=0.2 if quick else 0.1,
        noise_peaks=10,
        overwrite=True,
        seed=0,
    )
    result = convert_files(cohort.files, cohort.binning, use_cache=False, workers=1, progress=False)
    matrices = out / "matrices"
    for path, matrix in result.matrices.items():
        matrix.save(matrices / f"{Path(path).name}.npz")  # as `omicsnet lcms convert` names them
    # two thirds of each class train, the rest is held out (both batches in each part)
    labels = cohort.labels.assign(
        part=lambda t: np.where(t.groupby("label").cumcount() % 3 == 2, "test", "train")
    )
    labels.to_csv(out / "labels.csv", index=False)
    labels[labels.part == "train"].to_csv(out / "train_labels.csv", index=False)
    train_files = [matrices / f"{f}.npz" for f in labels.loc[labels.part == "train", "file"]]
    test_files = [matrices / f"{f}.npz" for f in labels.loc[labels.part == "test", "file"]]
    members = 2
    train_lcms(
        train_files,
        out / "ensemble",
        labels=out / "train_labels.csv",
        n_models=members,
        lrs=[1e-2, 5e-3],
        epochs=10 if quick else 40,
        batch_size=4,
        pre_pool=1,
        architecture="lcms_cnn",
        augment=False,
        overwrite=True,
        progress=progress,
    )
    predicted = predict_lcms(out / "ensemble", test_files, out / "predictions.csv", overwrite=True)
    truth = labels.set_index(labels["file"].map(sample_id))["label"]
    accuracy = float((predicted["predicted"] == truth.loc[predicted.index]).mean())
    regions = explain_rise(
        out / "ensemble",
        [matrices / f"{f}.npz" for f in labels["file"]],
        out / "rise",
        n_masks=100 if quick else 500,
        normalize="coverage",
        top=3,
        labels=out / "labels.csv",
        overwrite=True,
        progress=progress,
    )
    shifts = cohort.labels["rt_offset"].abs().max()
    recall, _ = planted_peak_recall(
        regions,
        cohort.planted,
        rt_tolerance=float(shifts + cohort.binning.rt_step),
        mz_tolerance=cohort.binning.mz_step,
    )
    n_train, n_test = len(train_files), len(test_files)
    lines = [
        f"omicsnet demo lcms: {len(cohort.files)} generated mzML runs, 3 classes, 2 batches "
        f"(RT shift 0.3 min, intensity x0.6) -> 64 x 64 matrices",
        f"  ensemble of {members} lcms_cnn members trained on {n_train} runs; "
        f"held-out accuracy {accuracy:.2f} on {n_test} runs (chance 0.33)",
        f"  RISE top-3 regions per class recover {recall:.0%} of the "
        f"{len(cohort.planted)} planted peaks ({time.perf_counter() - started:.1f} s)",
        f"  files in {out}: runs/, matrices/, ensemble/, predictions.csv, rise/",
    ]
    return DemoStep("lcms", lines, ok=len(predicted) == n_test and result.ok)


__all__ = ["demo_lcms"]
