"""Loading labelled LC-MS arrays (joined by name) and the training augmentations."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import omicsnet
from omicsnet.errors import DataError, DataNotFoundError
from omicsnet.ms.arrays import (
    AugmentedDataset,
    Compose,
    IntensityJitter,
    RandomErasing,
    RTShift,
    default_augmentation,
    input_kind,
    load_deepmsprofiler_arrays,
    load_lcms_arrays,
    read_labels,
    read_lcms_inputs,
    sample_id,
)


def make_cohort(folder, labels, *, files=None, shape=(40, 36, 3)):
    """Write one small .npy per file (value = its index + 1) and a labels.csv."""
    folder.mkdir(parents=True, exist_ok=True)
    names = files if files is not None else list(labels)
    for i, name in enumerate(names):
        np.save(folder / f"{name}.npy", np.full(shape, i + 1, dtype=np.float32))
    rows = "".join(f"{name}.npy,{label}\n" for name, label in labels.items())
    (folder / "labels.csv").write_text("file,label\n" + rows)
    return folder


def test_labels_are_joined_by_name_not_by_order(tmp_path):
    # files written in one order, labels listed in another
    files = ["N01", "C01", "H01", "C02"]
    labels = {"C02": "cancer", "H01": "healthy", "N01": "nodule", "C01": "cancer"}
    arrays = load_lcms_arrays(make_cohort(tmp_path, labels, files=files))
    assert arrays.sample_ids == ["C01", "C02", "H01", "N01"]
    assert arrays.labels.to_dict() == {
        "C01": "cancer",
        "C02": "cancer",
        "H01": "healthy",
        "N01": "nodule",
    }
    value_of = {name: i + 1 for i, name in enumerate(files)}  # the array of each file
    assert [arrays.x[i, 0, 0, 0] for i in range(4)] == [value_of[s] for s in arrays.sample_ids]
    assert arrays.x.shape == (4, 1, 40, 36) and arrays.x.dtype == np.float32
    assert arrays.y.tolist() == [0, 0, 1, 2] and arrays.class_names == [
        "cancer",
        "healthy",
        "nodule",
    ]


def test_label_without_file_and_file_without_label_list_the_ids(tmp_path):
    labels = {"C01": "cancer", "C02": "cancer", "H01": "healthy", "H07": "healthy"}
    make_cohort(tmp_path, labels, files=["C01", "C02", "H01", "X99", "X98"])
    with pytest.raises(DataError) as err:
        load_lcms_arrays(tmp_path)
    message = str(err.value)
    assert "1 labelled sample(s) without a file: H07" in message
    assert "2 file(s) without a label: X98, X99" in message


def test_label_table_errors_name_the_samples(tmp_path):
    make_cohort(tmp_path, {"A": "a", "B": "b"})
    (tmp_path / "labels.csv").write_text("file,label\nA.npy,a\nB.npy,b\nA,b\n")
    with pytest.raises(DataError, match="listed more than once: A"):
        load_lcms_arrays(tmp_path)
    (tmp_path / "labels.csv").write_text("name,class\nA.npy,a\n")
    with pytest.raises(DataError, match=r"columns \['file', 'label'\] not found"):
        read_labels(tmp_path / "labels.csv")
    assert read_labels(
        tmp_path / "labels.csv", file_column="name", label_column="class"
    ).to_dict() == {"A": "a"}
    with pytest.raises(DataNotFoundError, match="absent.csv"):
        load_lcms_arrays(tmp_path, "absent.csv")


def test_class_order_and_unknown_classes(tmp_path):
    make_cohort(tmp_path, {"A": "healthy", "B": "cancer"})
    arrays = load_lcms_arrays(tmp_path, classes=["healthy", "cancer"])
    assert arrays.y.tolist() == [0, 1]
    with pytest.raises(DataError, match=r"labels \['cancer'\] are not among.*samples: B"):
        load_lcms_arrays(tmp_path, classes=["healthy", "nodule"])


def test_array_problems_name_the_file(tmp_path):
    folder = make_cohort(tmp_path / "channels", {"A": "a", "B": "b"})
    bad = np.ones((40, 36, 3), np.float32)
    bad[..., 2] = 2
    np.save(folder / "B.npy", bad)
    with pytest.raises(DataError, match=r"B\.npy: channel 2 differs"):
        load_lcms_arrays(folder)
    assert load_lcms_arrays(folder, channel=2).x[1, 0, 0, 0] == 2

    folder = make_cohort(tmp_path / "shape", {"A": "a", "B": "b"})
    np.save(folder / "B.npy", np.ones((40, 30), np.float32))
    with pytest.raises(DataError, match=r"B\.npy: matrix shape \(40, 30\) differs"):
        load_lcms_arrays(folder)

    folder = make_cohort(tmp_path / "nan", {"A": "a", "B": "b"}, shape=(8, 8))
    np.save(folder / "A.npy", np.full((8, 8), np.nan, np.float32))
    with pytest.raises(DataError, match=r"A\.npy: 64 NaN"):
        load_lcms_arrays(folder)

    folder = make_cohort(tmp_path / "pickle", {"A": "a", "B": "b"}, shape=(8, 8))
    np.save(folder / "A.npy", np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match=r"cannot read array .*A\.npy"):
        load_lcms_arrays(folder)


# ------------------------------------------------- converted .npz matrices and mzML runs
def _matrix(values, **params):
    from omicsnet.ms.binning import BinningParams, LCMSMatrix

    grid = BinningParams(n_rt=values.shape[0], rt_step=0.1, n_mz=values.shape[1], **params)
    return LCMSMatrix(
        np.asarray(values, np.float32), grid.rt_grid(), grid.mz_edges(), grid, "x.mzML", "0" * 64
    )


def test_sample_ids_strip_data_suffixes_so_labels_join_converted_files():
    assert [sample_id(n) for n in ["a.mzML.npz", "a.mzML.gz", "a.MZXML", "a.npy", "a"]] == ["a"] * 5
    assert sample_id("dir/run.2024.mzML") == "run.2024"
    assert [input_kind(n) for n in ["a.npy", "a.mzML.npz", "a.mzXML.gz", "a.txt"]] == [
        "npy",
        "npz",
        "run",
        None,
    ]


def test_npz_matrices_load_with_axes_and_join_labels_by_name(tmp_path):
    for i, name in enumerate(["H1", "C1", "C2"]):
        _matrix(np.full((4, 5), i)).save(tmp_path / f"{name}.mzML.npz")
    (tmp_path / "labels.csv").write_text("file,label\nH1.mzML,h\nC1.mzML.gz,c\nC2,c\n")
    arrays = load_lcms_arrays(tmp_path)
    assert arrays.sample_ids == ["C1", "C2", "H1"] and arrays.y.tolist() == [0, 0, 1]
    assert arrays.x.shape == (3, 1, 4, 5) and arrays.x[2].max() == 0  # H1 was written first
    assert arrays.axes["rt"].tolist() == pytest.approx([0.5, 0.6, 0.7, 0.8])
    assert arrays.axes["mz_edges"][:2].tolist() == [50.0, 51.0]
    assert arrays.binning["n_mz"] == 5
    part = arrays.subset([0])
    assert part.axes is arrays.axes and part.binning == arrays.binning
    # a list of files works too, with the label table given relative to the working directory
    listed = read_lcms_inputs([tmp_path / "C2.mzML.npz", tmp_path / "H1.mzML.npz"])
    assert listed.sample_ids == ["C2", "H1"] and listed.kind == "npz"


def test_input_kind_and_grid_errors_name_the_files(tmp_path):
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    _matrix(np.zeros((4, 5))).save(mixed / "a.mzML.npz")
    np.save(mixed / "b.npy", np.zeros((4, 5), np.float32))
    with pytest.raises(DataError, match=r"mixes input kinds \(npy, npz"):
        read_lcms_inputs(mixed)
    twice = tmp_path / "twice"
    twice.mkdir()
    _matrix(np.zeros((4, 5))).save(twice / "a.mzML.npz")
    _matrix(np.zeros((4, 5))).save(twice / "a.npz")
    with pytest.raises(DataError, match="both give sample ID 'a'"):
        read_lcms_inputs(twice)
    grids = tmp_path / "grids"
    grids.mkdir()
    _matrix(np.zeros((4, 5))).save(grids / "a.npz")
    _matrix(np.zeros((4, 5)), aggregate="sum").save(grids / "b.npz")
    with pytest.raises(DataError, match=r"b\.npz was binned on another .*aggregate"):
        read_lcms_inputs(grids)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataNotFoundError, match="no .npy arrays, .npz matrices or mzML"):
        read_lcms_inputs(tmp_path / "empty")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(DataError, match="notes.txt: not an LC-MS input"):
        read_lcms_inputs([grids / "a.npz", tmp_path / "notes.txt"])
    with pytest.raises(DataNotFoundError, match="absent.npz not found"):
        read_lcms_inputs([tmp_path / "absent.npz"])


def test_mzml_runs_are_converted_with_the_cache_and_failures_listed(tmp_path):
    from omicsnet.ms.synthetic import write_synthetic_mzml

    runs = tmp_path / "runs"
    runs.mkdir()
    write_synthetic_mzml(runs / "A.mzML", peaks=[(60.5, 0.6, 100.0, 0.0)], n_scans=3)
    write_synthetic_mzml(runs / "B.mzML.gz", peaks=[(61.5, 0.6, 50.0, 0.0)], n_scans=3)
    (runs / "labels.csv").write_text("file,label\nA.mzML,a\nB.mzML,b\n")
    grid = {"n_rt": 3, "rt_step": 0.1, "n_mz": 12}
    arrays = load_lcms_arrays(runs, binning=grid, cache_dir=tmp_path / "cache", workers=1)
    assert arrays.x.shape == (2, 1, 3, 12)
    assert arrays.x[0, 0, 1, 10] == 100.0 and arrays.x[1, 0, 1, 11] == 50.0
    assert arrays.binning["n_mz"] == 12 and len(arrays.axes["mz_edges"]) == 13
    assert len(list((tmp_path / "cache").rglob("*.npz"))) == 2
    (runs / "C.mzML").write_bytes(b"<mzML")
    with pytest.raises(DataError, match=r"1 of 3 file\(s\) failed to convert: .*C\.mzML"):
        read_lcms_inputs(runs, binning=grid, cache_dir=tmp_path / "cache", workers=1)


# ---------------------------------------------------------------- augmentations
def test_rt_shift_moves_rows_with_zero_fill():
    x = torch.arange(1.0, 11.0).view(1, 1, 10, 1).repeat(3, 1, 1, 2)
    out = RTShift(3)(x, generator=torch.Generator().manual_seed(2))
    assert out.shape == x.shape
    for sample in out[:, 0, :, 0]:
        nonzero = sample[sample != 0]
        shift = int(torch.nonzero(sample == nonzero[0])[0]) - int(nonzero[0] - 1)
        assert abs(shift) <= 3
        expected = torch.roll(x[0, 0, :, 0], shift)
        if shift > 0:
            expected[:shift] = 0
        elif shift < 0:
            expected[shift:] = 0
        assert torch.equal(sample, expected)
    assert torch.equal(RTShift(0)(x), x)
    assert torch.equal(RTShift(5, p=0.0)(x), x)


def test_augmentations_are_seeded_and_keep_shapes():
    x = torch.rand(4, 1, 24, 20) * 1e6
    for aug in (
        RTShift(4),
        IntensityJitter(0.2, per="cell"),
        RandomErasing(p=1.0),
        default_augmentation(),
    ):
        a = aug(x, generator=torch.Generator().manual_seed(11))
        b = aug(x, generator=torch.Generator().manual_seed(11))
        c = aug(x, generator=torch.Generator().manual_seed(12))
        assert a.shape == x.shape and torch.equal(a, b) and not torch.equal(a, c), aug
    assert aug(x[0]).shape == x[0].shape  # single sample (C, RT, m/z)
    torch.manual_seed(5)
    first = Compose([RTShift(2), IntensityJitter()])(x)
    torch.manual_seed(5)
    assert torch.equal(first, Compose([RTShift(2), IntensityJitter()])(x))  # global RNG


def test_intensity_jitter_modes():
    x = torch.ones(3, 1, 5, 6)
    g = torch.Generator().manual_seed(0)
    per_sample = IntensityJitter(0.3, per="sample")(x, generator=g)
    assert all(torch.unique(s).numel() == 1 for s in per_sample)
    per_mz = IntensityJitter(0.3, per="mz")(x, generator=g)
    assert torch.equal(per_mz, per_mz[:, :, :1].expand_as(per_mz))
    assert torch.equal(IntensityJitter(0.0)(x), x)


def test_random_erasing_zeroes_one_rectangle():
    x = torch.ones(8, 1, 30, 30)
    out = RandomErasing(p=1.0, area=(0.05, 0.2))(x, generator=torch.Generator().manual_seed(1))
    for sample in out[:, 0]:
        rows = torch.nonzero((sample == 0).any(1)).view(-1)
        cols = torch.nonzero((sample == 0).any(0)).view(-1)
        block = sample[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
        assert (block == 0).all()  # a filled rectangle
        assert 0.03 <= (sample == 0).float().mean() <= 0.22
    assert torch.equal(RandomErasing(p=0.0)(x), x)


def test_augmented_dataset_trains_reproducibly():
    y = torch.arange(8) % 2
    base = omicsnet.ArrayDataset(torch.rand(8, 1, 32, 32) * 1e6, y)
    data = AugmentedDataset(base, default_augmentation(max_shift=2))
    batch = data.batch(torch.tensor([0, 1]))
    assert not torch.equal(batch["x"], base.tensors["x"][:2])
    assert torch.equal(batch["y"], y[:2])
    assert isinstance(data.subset([0, 1]), AugmentedDataset)
    config = {
        "growth_rate": 4,
        "block_config": [1, 1, 1, 1],
        "init_features": 8,
        "input_size": [32, 32],
    }
    weights = []
    for _ in range(2):
        torch.manual_seed(0)  # same initial weights; the trainer's seed fixes the augmentations
        model = omicsnet.create_model("lcms_densenet", n_classes=2, **config)
        omicsnet.Trainer(max_epochs=2, batch_size=4, seed=3, progress=False).fit(model, data)
        weights.append(model.classifier.weight.detach().clone())
    assert torch.equal(weights[0], weights[1])


# ---------------------------------------------------------------- the real arrays
@pytest.mark.data
def test_deepmsprofiler_arrays(shared_data):
    arrays = load_deepmsprofiler_arrays(shared_data)
    assert arrays.x.shape == (18, 1, 341, 341) and arrays.x.dtype == np.float32
    assert arrays.class_names == ["cancer", "healthy", "nodule"]
    assert np.bincount(arrays.y).tolist() == [6, 6, 6]
    assert [s[0] for s in arrays.sample_ids] == list("C" * 6 + "H" * 6 + "N" * 6)
    assert arrays.labels["H03"] == "healthy"
    assert arrays.x.max() > 1e8 and arrays.x.min() == 0  # raw intensities, not scaled
    assert arrays.files[0].name == "C01.npy"
