"""Generated mzML cohorts (planted peaks, RT-shift and intensity batch effects) and RISE on them.

The cohort goes through the real path: psims-written mzML → our reader and binning
(``convert_files``) → ``.npz`` matrices → labels joined by name → a zoo model trained by
the shared trainer → RISE class profiles → top regions, which must recover the planted
class-specific peaks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from omicsnet.errors import ConfigError
from omicsnet.lcms.workflows import planted_peak_recall
from omicsnet.ms.arrays import load_lcms_arrays, read_labels
from omicsnet.ms.binning import convert_files
from omicsnet.ms.synthetic import write_synthetic_cohort
from omicsnet.utils.io import OutputExistsError

pytestmark = pytest.mark.usefixtures("one_torch_thread")

DESIGN = {"rt_range": (0.5, 6.5), "scan_interval": 0.1, "noise_peaks": 10}


@pytest.fixture(scope="module")
def cohort_matrices(tmp_path_factory):
    """A 3-class, 2-batch cohort of 18 mzML runs, converted to 64 x 64 ``.npz`` matrices."""
    root = tmp_path_factory.mktemp("cohort")
    cohort = write_synthetic_cohort(root / "runs", n_per_class=6, seed=0, **DESIGN)
    result = convert_files(
        cohort.files, cohort.binning, cache_dir=root / "cache", workers=1, progress=False
    )
    assert result.ok, result.failures
    matrices = root / "matrices"
    for path, matrix in result.matrices.items():
        matrix.save(matrices / f"{path.rsplit('/', 1)[-1]}.npz")
    cohort.write_labels()
    return cohort, matrices, result


def test_cohort_contract_and_labels_join_by_name(cohort_matrices):
    cohort, matrices, _ = cohort_matrices
    assert [f.name for f in cohort.files] == list(cohort.labels["file"])
    assert all(f.is_file() and f.read_bytes().startswith(b"<?xml") for f in cohort.files)
    assert cohort.classes == ["healthy", "benign", "cancer"]
    # batches alternate within each class, so they are balanced across classes
    assert cohort.labels.groupby(["label", "batch"]).size().tolist() == [3] * 6
    assert cohort.labels.groupby("batch")["rt_offset"].first().tolist() == [-0.15, 0.15]
    assert cohort.labels.groupby("batch")["intensity_scale"].first().tolist() == [1.0, 0.6]
    assert cohort.planted.groupby("label").size().to_dict() == {
        "benign": 2,
        "cancer": 2,
        "healthy": 2,
    }
    assert list(cohort.planted.columns) == ["label", "rt", "mz", "intensity"]
    labels = read_labels(cohort.root / "labels.csv")
    assert labels["healthy_1"] == "healthy" and len(labels) == 18
    # healthy_1.mzML.npz is joined to the label row "healthy_1.mzML" by name
    data = load_lcms_arrays(matrices, cohort.root / "labels.csv")
    assert data.x.shape == (18, 1, 64, 64)
    assert data.labels["cancer_4"] == "cancer"
    assert data.axes["rt"][0] == 0.5 and len(data.axes["mz_edges"]) == 65
    assert data.binning["rt_mode"] == "bin"
    with pytest.raises(OutputExistsError, match="healthy_1.mzML"):
        write_synthetic_cohort(cohort.root, n_per_class=6, seed=0, **DESIGN)


def test_batches_shift_retention_times_and_scale_intensities(cohort_matrices):
    """The planted batch effects are visible in the converted matrices (known answer)."""
    cohort, _, result = cohort_matrices
    matrices = [result.matrices[str(f)] for f in cohort.files]
    apex_rt = {0: [], 1: []}
    height = {0: [], 1: []}
    for peak in cohort.common.itertuples():
        col = int(np.searchsorted(matrices[0].mz_edges, peak.mz)) - 1
        for matrix, batch in zip(matrices, cohort.labels["batch"], strict=True):
            column = matrix.values[:, col]
            apex_rt[batch].append(matrix.rt[int(np.argmax(column))])
            height[batch].append(column.max())
    shift = np.median(np.array(apex_rt[1]) - np.array(apex_rt[0]))
    assert shift == pytest.approx(0.3, abs=cohort.binning.rt_step)
    ratio = np.median(np.array(height[1]) / np.array(height[0]))
    assert ratio == pytest.approx(0.6, rel=0.25)
    # a class's planted peaks appear in its own runs only
    peak = cohort.planted.iloc[0]
    col = int(np.searchsorted(matrices[0].mz_edges, peak.mz)) - 1
    row = int(np.argmin(np.abs(matrices[0].rt - peak.rt)))
    window = slice(max(row - 3, 0), row + 4)
    own = cohort.labels["label"] == peak.label
    levels = np.array([m.values[window, col].max() for m in matrices])
    assert levels[own.to_numpy()].min() > 5 * levels[~own.to_numpy()].max()


def test_cohort_design_errors(tmp_path):
    with pytest.raises(ConfigError, match="one positive factor per batch"):
        write_synthetic_cohort(tmp_path, n_batches=3, intensity_scale=(1.0, 0.5))
    with pytest.raises(ConfigError, match="distinct"):
        write_synthetic_cohort(tmp_path, classes=("a", "a"))
    with pytest.raises(ConfigError, match="too short"):
        write_synthetic_cohort(tmp_path, rt_range=(0.5, 1.0), rt_shift=0.5)
    with pytest.raises(ConfigError, match="n_per_class"):
        write_synthetic_cohort(tmp_path, n_per_class=0)
    assert not list(tmp_path.iterdir())  # nothing written before the design was checked


def test_rise_top_regions_recover_the_planted_peaks(cohort_matrices):
    from omicsnet.explain import rise_maps, top_regions
    from omicsnet.models import create_model
    from omicsnet.train import Trainer

    cohort, matrices, _ = cohort_matrices
    data = load_lcms_arrays(matrices, cohort.root / "labels.csv", classes=cohort.classes)
    torch.manual_seed(0)
    model = create_model("lcms_cnn", n_classes=3, input_size=[64, 64])
    model.set_feature_names(output_features=cohort.classes)
    Trainer(max_epochs=60, batch_size=18, lr=1e-2, progress=False, seed=0).fit(model, data)
    maps = rise_maps(
        model,
        torch.from_numpy(data.x),
        n_masks=500,
        batch_size=250,
        normalize="coverage",
        axes=data.axes,
        classes=cohort.classes,
        progress=False,
    )
    assert (maps.predicted == data.y).mean() == 1.0
    profiles = maps.class_profiles(data.y)
    assert profiles.axes.rt_label == "RT (min)" and profiles.axes.mz_label == "m/z"
    regions = top_regions(profiles, k=3, quantile=0.95)
    tolerances = {
        "rt_tolerance": 0.15 + cohort.binning.rt_step,  # half the batch RT shift + one row
        "mz_tolerance": cohort.binning.mz_step,
    }
    recall, table = planted_peak_recall(regions, cohort.planted, **tolerances)
    assert recall >= 0.8, table
    # control: the regions are class-specific — other classes' peaks are (mostly) not in them
    swapped = cohort.planted.assign(label=np.roll(cohort.planted["label"].to_numpy(), 2))
    assert planted_peak_recall(regions, swapped, **tolerances)[0] <= 0.34


def test_planted_peak_recall_needs_the_own_class():
    regions = pd.DataFrame(
        {"class": ["a"], "rt_start": [1.0], "rt_end": [2.0], "mz_start": [100.0], "mz_end": [120.0]}
    )
    planted = pd.DataFrame({"label": ["a", "b"], "rt": [1.5, 1.5], "mz": [110.0, 110.0]})
    recall, table = planted_peak_recall(regions, planted)
    assert recall == 0.5 and table["found"].tolist() == [True, False]
    assert planted_peak_recall(regions, planted.assign(rt=2.1), rt_tolerance=0.2)[0] == 0.5
