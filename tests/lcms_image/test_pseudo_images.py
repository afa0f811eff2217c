"""DeepLCMS pseudo-images: the transform by hand, readers and matrices, files, augmentations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter

from omicsnet.errors import ConfigError, DataError
from omicsnet.lcms_image.pseudo_images import (
    ColorJitter,
    PseudoImageParams,
    PseudoImageSet,
    RandomRotation,
    RandomShift2D,
    deeplcms_augmentation,
    pseudo_image_from_points,
    pseudo_images_from_arrays,
    pseudo_images_from_files,
    pseudo_images_from_matrices,
    shifted_copies,
)
from omicsnet.ms.arrays import AugmentedDataset, Compose, LCMSArrays, RandomErasing

RANGES = {"rt_range": (0.0, 10.0), "mz_range": (100.0, 200.0)}


def _image(rt, mz, intensity, **params):
    p = PseudoImageParams(**{"n_rt": 10, "n_mz": 10, **params})
    return pseudo_image_from_points(rt, mz, intensity, p, **RANGES)


def test_threshold_weighting_and_scaling_by_hand():
    # cell (2, 3) gets 2e4 + 1e4 (two points), cell (7, 8) gets 1.5e4, the 4999 point is dropped
    rt = [2.5, 2.9, 7.1, 5.0]
    mz = [131.0, 139.0, 185.0, 150.0]
    intensity = [2e4, 1e4, 1.5e4, 4999.0]
    raw = _image(rt, mz, intensity, blur_sigma=0.0, log=False)
    expected = np.zeros((10, 10))
    expected[2, 3] = 255.0
    expected[7, 8] = 255.0 * 1.5e4 / 3e4
    np.testing.assert_allclose(raw, expected, rtol=1e-6)
    logged = _image(rt, mz, intensity, blur_sigma=0.0)
    np.testing.assert_allclose(logged, np.log1p(expected), rtol=1e-6)
    assert logged.dtype == np.float32


def test_threshold_is_inclusive_and_range_edges():
    kept = _image([1.0], [150.0], [5000.0], blur_sigma=0.0, log=False)
    assert kept.max() == 255.0
    dropped = _image([1.0], [150.0], [4999.9], blur_sigma=0.0, log=False)
    assert not dropped.any()
    # the upper range edge belongs to the last bin; values outside the range are dropped
    edge = _image([10.0, 10.5], [200.0, 150.0], [1e4, 1e6], blur_sigma=0.0, log=False)
    assert edge[9, 9] == 255.0 and edge.sum() == 255.0


def test_blur_is_a_gaussian_filter_rescaled_to_255():
    p = PseudoImageParams(n_rt=21, n_mz=21, blur_sigma=2.0, log=False)
    image = pseudo_image_from_points([5.0], [150.0], [1e6], p, **RANGES)  # cell (10, 10)
    delta = np.zeros((21, 21))
    delta[10, 10] = 1.0
    blurred = gaussian_filter(delta, 2.0)
    np.testing.assert_allclose(image, blurred / blurred.max() * 255.0, rtol=1e-5)
    assert np.unravel_index(image.argmax(), image.shape) == (10, 10)
    assert image[10, 12] == pytest.approx(image[12, 10]) == pytest.approx(image[8, 10])


def test_default_params_are_deeplcms():
    p = PseudoImageParams()
    assert (p.n_rt, p.n_mz, p.min_intensity, p.blur_sigma, p.scale_max, p.log) == (
        500,
        500,
        5000.0,
        2.0,
        255.0,
        True,
    )
    image = pseudo_image_from_points([1.0, 2.0], [300.0, 400.0], [1e5, 1e6])
    assert image.shape == (500, 500)
    assert image.max() == pytest.approx(np.log1p(255.0), rel=1e-6)


@pytest.mark.parametrize(
    "bad",
    [{"n_mz": -1}, {"blur_sigma": -1.0}, {"rt_range": (5.0, 1.0)}, {"scale_max": 0.0}],
)
def test_bad_params_are_config_errors(bad):
    with pytest.raises(ConfigError):
        PseudoImageParams(**bad)


def test_matrices_equal_their_cells_as_points():
    rng = np.random.default_rng(0)
    x = rng.exponential(4000.0, size=(3, 12, 15)).astype("f4")
    rt = 0.5 + 0.1 * np.arange(12)
    mz = 100.5 + np.arange(15)
    params = PseudoImageParams(n_rt=6, n_mz=5, blur_sigma=1.0)
    images = pseudo_images_from_arrays(x, params, rt=rt, mz=mz, sample_ids=["a", "b", "c"])
    rr, mm = np.meshgrid(rt, mz, indexing="ij")
    for i in range(3):
        expected = pseudo_image_from_points(
            rr, mm, x[i], params, rt_range=(0.45, 1.65), mz_range=(100.0, 115.0)
        )
        np.testing.assert_allclose(images.images[i], expected, rtol=1e-5, atol=1e-6)
    assert images.info["points_used"] == [int((x[i] >= 5000).sum()) for i in range(3)]
    np.testing.assert_allclose(images.rt_edges[[0, -1]], [0.45, 1.65])


def test_unsorted_axes_give_the_same_images_as_sorted_ones():
    rng = np.random.default_rng(2)
    x = rng.exponential(6000.0, size=(2, 9, 11)).astype("f4")
    rt, mz = 1.0 + 0.2 * np.arange(9), 200.5 + np.arange(11)
    params = PseudoImageParams(n_rt=4, n_mz=3, blur_sigma=0.5, rt_range=(0.9, 2.7),
                               mz_range=(200.0, 211.0))  # fmt: skip
    fast = pseudo_images_from_arrays(x, params, rt=rt, mz=mz)  # sorted: reduceat sums
    slow = pseudo_images_from_arrays(x[:, ::-1], params, rt=rt[::-1], mz=mz)  # bincount
    np.testing.assert_allclose(fast.images, slow.images, rtol=1e-6, atol=1e-7)
    assert fast.info["points_used"] == slow.info["points_used"]


def test_matrix_shape_errors_name_the_shapes():
    with pytest.raises(DataError, match=r"12 RT and 15 m/z values; got 11 and 15"):
        pseudo_images_from_arrays(np.zeros((1, 12, 15)), rt=np.arange(11), mz=np.arange(15))
    with pytest.raises(DataError, match="NaN"):
        pseudo_images_from_arrays(np.full((1, 4, 4), np.nan))


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    from omicsnet.ms.synthetic import write_synthetic_mzml

    folder = tmp_path_factory.mktemp("runs")
    write_synthetic_mzml(folder / "a.mzML", peaks=[(300.2, 1.5, 1e6, 0.05)], n_scans=30)
    write_synthetic_mzml(
        folder / "b.mzML.gz", peaks=[(700.7, 2.5, 1e6, 0.05)], n_scans=30, noise_peaks=5
    )
    return folder


def test_mzml_files_through_the_shared_reader(two_runs):
    params = PseudoImageParams(n_rt=29, n_mz=50, blur_sigma=1.0, mz_range=(100.0, 1100.0))
    images = pseudo_images_from_files(
        [two_runs / "a.mzML", two_runs / "b.mzML.gz"], params, progress=False
    )
    assert images.sample_ids == ["a", "b"]
    # the common RT range is the union of both runs' points above the threshold
    from omicsnet.ms.mzml import read_ms_run

    kept = np.concatenate(
        [
            np.repeat(run.rt, np.diff(run.offsets))[run.intensity >= 5000]
            for run in (read_ms_run(two_runs / n, ms_level=1) for n in ("a.mzML", "b.mzML.gz"))
        ]
    )
    assert images.rt_edges[[0, -1]].tolist() == [kept.min(), kept.max()]
    for image, (rt, mz) in zip(images.images, [(1.5, 300.2), (2.5, 700.7)], strict=True):
        row, col = np.unravel_index(image.argmax(), image.shape)
        assert images.rt_edges[row] <= rt <= images.rt_edges[row + 1]
        assert images.mz_edges[col] <= mz <= images.mz_edges[col + 1]


def test_saved_matrices_give_the_peak_in_the_same_place(two_runs, tmp_path):
    from omicsnet.ms.binning import BinningParams, convert_file

    binning = BinningParams(n_rt=30, rt_start=0.5, rt_step=0.1, n_mz=100, mz_start=100, mz_step=10)
    path = convert_file(two_runs / "a.mzML", binning).save(tmp_path / "a.mzML.npz")
    params = PseudoImageParams(n_rt=30, n_mz=100, blur_sigma=0.0)
    images = pseudo_images_from_matrices([path], params)
    assert images.sample_ids == ["a"]
    row, col = np.unravel_index(images.images[0].argmax(), images.images[0].shape)
    assert images.rt_edges[row] <= 1.5 <= images.rt_edges[row + 1]
    assert images.mz_edges[col] <= 300.2 <= images.mz_edges[col + 1]


def test_save_load_round_trip_and_label_join(tmp_path):
    images = pseudo_images_from_arrays(
        np.random.default_rng(1).exponential(1e4, (3, 8, 8)),
        PseudoImageParams(n_rt=8, n_mz=8),
        sample_ids=["s2", "s1", "s3"],
    )
    path = images.save(tmp_path / "img.npz")
    back = PseudoImageSet.load(path)
    np.testing.assert_array_equal(back.images, images.images)
    assert back.params == images.params and back.sample_ids == images.sample_ids
    arrays = back.to_arrays({"s1.mzML.gz": "x", "s2.npy": "y", "s3": "x"})
    assert isinstance(arrays, LCMSArrays)
    assert arrays.sample_ids == ["s1", "s2", "s3"] and arrays.y.tolist() == [0, 1, 0]
    with pytest.raises(DataError, match=r"1 labelled sample\(s\) without an image: s9"):
        back.to_arrays({"s1": "x", "s2": "y", "s3": "x", "s9": "y"})
    with pytest.raises(Exception, match="already exists"):
        images.save(path)
    (tmp_path / "bad.npz").write_bytes(b"nope")
    with pytest.raises(DataError, match="not an omicsnet pseudo-image file"):
        PseudoImageSet.load(tmp_path / "bad.npz")


# ---------------------------------------------------------------------------- augmentations
def test_random_shift_moves_a_spot_by_at_most_max_shift():
    x = torch.zeros(50, 1, 21, 21)
    x[:, 0, 10, 10] = 1.0
    out = RandomShift2D(3)(x, generator=torch.Generator().manual_seed(0))
    positions = torch.stack([(o[0] == 1).nonzero()[0] for o in out])
    assert (positions - 10).abs().max() <= 3
    assert len({tuple(p.tolist()) for p in positions}) > 10  # really random
    assert torch.equal(RandomShift2D(0)(x), x)


def test_shifted_copies_are_the_nine_offsets():
    x = torch.zeros(1, 1, 20, 20)
    x[0, 0, 10, 10] = 1.0
    copies = shifted_copies(x, 5)
    positions = sorted(tuple((c[0] == 1).nonzero()[0].tolist()) for c in copies)
    assert positions == [(r, c) for r in (5, 10, 15) for c in (5, 10, 15)]


def test_rotation_keeps_the_centre_and_is_seeded():
    x = torch.zeros(4, 1, 31, 31)
    x[:, 0, 13:18, 13:18] = 1.0
    a = RandomRotation(5)(x, generator=torch.Generator().manual_seed(3))
    b = RandomRotation(5)(x, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and not torch.equal(a, x)
    assert torch.allclose(RandomRotation(0)(x), x, atol=1e-6)
    grid = torch.arange(31.0)
    centre_row = (a[:, 0].sum(2) * grid).sum(1) / a[:, 0].sum((1, 2))
    assert torch.allclose(centre_row, torch.full((4,), 15.0), atol=0.2)


def test_colour_jitter_brightness_is_one_gain_per_image():
    x = torch.rand(6, 1, 8, 8) + 0.1
    out = ColorJitter(brightness=0.3, contrast=0.0)(x, generator=torch.Generator().manual_seed(0))
    ratio = out / x
    gains = ratio.flatten(1)
    assert torch.allclose(gains, gains[:, :1].expand_as(gains), atol=1e-5)
    assert ((gains[:, 0] >= 0.7) & (gains[:, 0] <= 1.3)).all()
    with pytest.raises(ConfigError):
        ColorJitter(brightness=1.5)


def test_augmentations_compose_with_the_array_ones_in_a_dataset():
    aug = deeplcms_augmentation()
    assert isinstance(aug, Compose) and isinstance(aug.transforms[-1], RandomErasing)
    base = LCMSArrays(
        torch.rand(4, 1, 16, 16),
        [0, 1, 0, 1],
        sample_ids=list("abcd"),
        class_names=["x", "y"],
        files=[Path(s) for s in "abcd"],
    )
    data = AugmentedDataset(base, aug, seed=0)
    batch = data.batch(torch.tensor([0, 1, 2]))
    assert batch["x"].shape == (3, 1, 16, 16) and not torch.equal(batch["x"], base.tensors["x"][:3])
