"""RISE maps, the saliency containers, top-region tables and plots (omicsnet.explain)."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from omicsnet.errors import ConfigError, DataError
from omicsnet.explain import (
    MapAxes,
    SaliencyBatch,
    SaliencyMap,
    generate_masks,
    map_correlation,
    plot_maps,
    rise_maps,
    save_figure,
    top_regions,
)
from omicsnet.utils.io import OutputExistsError

RECT = (slice(8, 14), slice(18, 26))


pytestmark = pytest.mark.usefixtures("one_torch_thread")


# rows, columns of the known answer


class RectangleModel(nn.Module):
    """Class 1's logit is the mean intensity inside a fixed rectangle; class 0's is zero."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        inside = x[:, :, RECT[0], RECT[1]].mean(dim=(1, 2, 3))
        return torch.stack([torch.zeros_like(inside), 8.0 * inside - 4.0], dim=1)


def tiny_cnn(channels: int = 1, n_classes: int = 3, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(channels, 4, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d((4, 4)),
        nn.Flatten(),
        nn.Linear(64, n_classes),
    )


# ---------------------------------------------------------------------------- known answer
def test_known_answer_top_region_is_the_rectangle():
    maps = rise_maps(
        RectangleModel(), torch.ones(1, 1, 32, 32), n_masks=600, seed=3, progress=False
    )
    table = top_regions(maps[0], k=1, quantile=0.95, classes=["class_1"])
    (region,) = table.itertuples()
    assert RECT[0].start <= region.row < RECT[0].stop
    assert RECT[1].start <= region.col < RECT[1].stop
    # the region lies over the rectangle (RISE maps are smooth: allow a margin of a cell)
    assert region.row_start >= RECT[0].start - 4 and region.row_end <= RECT[0].stop + 3
    assert region.col_start >= RECT[1].start - 4 and region.col_end <= RECT[1].stop + 3
    class1, class0 = maps.values[0, 1], maps.values[0, 0]
    inside = np.zeros((32, 32), dtype=bool)
    inside[RECT] = True
    assert class1[inside].mean() > class1[~inside].mean() + 0.1
    assert class0[inside].mean() < class0[~inside].mean()  # class 0 loses where class 1 gains


def test_maps_sum_to_coverage_and_normalisations():
    """Softmax scores sum to 1, so the class maps sum to the masks' coverage / (N p)."""
    n, p = 400, 0.3
    x = torch.rand(2, 1, 16, 24)
    paper = rise_maps(tiny_cnn(), x, n_masks=n, p=p, seed=1, progress=False)
    masks = generate_masks(n, (16, 24), p=p, seed=1)
    expected = masks.sum(0).numpy() / (n * p)
    np.testing.assert_allclose(
        paper.values.sum(axis=1), np.broadcast_to(expected, (2, 16, 24)), rtol=1e-4
    )
    assert abs(float(expected.mean()) - 1.0) < 0.05  # E[M] = p
    coverage = rise_maps(
        tiny_cnn(), x, n_masks=n, p=p, seed=1, normalize="coverage", progress=False
    )
    np.testing.assert_allclose(coverage.values.sum(axis=1), 1.0, rtol=1e-4)
    assert coverage.params["normalize"] == "coverage"


def test_constant_model_gives_flat_map():
    def constant(batch):
        return torch.full((len(batch), 2), 0.5)

    maps = rise_maps(
        constant, torch.rand(1, 1, 12, 12), n_masks=300, activation="none", progress=False
    )
    assert abs(float(maps.values.mean()) - 0.5) < 0.05
    assert maps.params["device"] == "cpu"


# ---------------------------------------------------------------------------- batching, seeds
def test_batch_size_does_not_change_the_maps():
    model, x = tiny_cnn(), torch.rand(2, 1, 16, 16)
    one = rise_maps(model, x, n_masks=40, batch_size=1, seed=5, progress=False)
    for batch_size in (7, 40, 64):
        other = rise_maps(model, x, n_masks=40, batch_size=batch_size, seed=5, progress=False)
        np.testing.assert_allclose(other.values, one.values, rtol=1e-4, atol=1e-6)


def test_samples_in_chunks_give_the_same_maps(monkeypatch):
    import omicsnet.explain.rise as rise_module

    model, x = tiny_cnn(), torch.rand(3, 1, 16, 16)
    together = rise_maps(model, x, n_masks=24, batch_size=10, progress=False)
    monkeypatch.setattr(rise_module, "ACCUMULATOR_BYTES", 1)  # one sample at a time
    apart = rise_maps(model, x, n_masks=24, batch_size=10, progress=False)
    np.testing.assert_allclose(apart.values, together.values, rtol=1e-5, atol=1e-7)


def test_seeds_and_generators():
    model, x = tiny_cnn(), torch.rand(1, 1, 16, 16)
    a = rise_maps(model, x, n_masks=30, seed=1, progress=False).values
    b = rise_maps(model, x, n_masks=30, seed=1, progress=False).values
    c = rise_maps(model, x, n_masks=30, seed=2, progress=False).values
    assert np.array_equal(a, b) and not np.allclose(a, c)
    generator = torch.Generator().manual_seed(1)
    d = rise_maps(model, x, n_masks=30, seed=generator, progress=False)
    np.testing.assert_allclose(d.values, a, rtol=1e-5)
    assert d.params["seed"] == "torch.Generator"


def test_masks_are_smooth_shifted_and_keep_p():
    masks = generate_masks(2000, (20, 36), grid_size=(4, 6), p=0.25, seed=0)
    assert masks.shape == (2000, 20, 36)
    assert float(masks.min()) >= 0.0 and float(masks.max()) <= 1.0
    assert abs(float(masks.mean()) - 0.25) < 0.02
    assert float(((masks > 0.01) & (masks < 0.99)).float().mean()) > 0.2  # bilinear, not binary
    # random shifts: the masks are not all aligned with the grid
    edges = masks[:, :, 1:] != masks[:, :, :-1]
    assert len({int(e.nonzero()[0, 1]) for e in edges[:50] if e.any()}) > 2


@pytest.mark.parametrize(("shape", "grid"), [((32, 32), 8), ((20, 36), (4, 6)), ((13, 7), 3)])
def test_masks_are_the_papers_upsampled_and_cropped_grids(shape, grid):
    """The separable construction equals bilinear up-sampling to (s + 1) cells, then a crop."""
    from omicsnet.explain import MaskSampler

    sampler = MaskSampler(40, shape, grid_size=grid, p=0.3, seed=0)
    upsampled = torch.nn.functional.interpolate(
        sampler.grids.float()[:, None], size=sampler.up_size, mode="bilinear", align_corners=False
    )[:, 0]
    expected = torch.stack(
        [
            upsampled[i, r : r + shape[0], c : c + shape[1]]
            for i, (r, c) in enumerate(sampler.shifts.tolist())
        ]
    )
    torch.testing.assert_close(sampler.masks(0, 40), expected.clamp(0, 1), atol=1e-6, rtol=0)


def test_mask_arguments_are_checked():
    from omicsnet.explain import MaskSampler

    sampler = MaskSampler(5, (8, 8), grid_size=2, p=0.5)
    with pytest.raises(ConfigError, match="mask range"):
        sampler.masks(3, 9)


# ---------------------------------------------------------------------------- models and inputs
def test_multichannel_multiclass_and_class_names():
    model = tiny_cnn(channels=3, n_classes=5)
    model.output_features = ["a", "b", "c", "d", "e"]
    x = np.random.default_rng(0).random((3, 3, 12, 20)).astype("float32")
    maps = rise_maps(model, x, n_masks=20, batch_size=8, progress=False)
    assert maps.values.shape == (3, 5, 12, 20)
    assert maps.classes == ["a", "b", "c", "d", "e"]
    np.testing.assert_allclose(maps.probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert maps.params["input_shape"] == [3, 12, 20]
    assert maps.sample_ids == ["0", "1", "2"]
    sigmoid = rise_maps(model, x, n_masks=20, activation="sigmoid", progress=False)
    assert not np.allclose(sigmoid.probabilities.sum(axis=1), 1.0)


def test_model_mode_is_restored_and_dropout_is_off():
    model = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(64, 2))
    model.train()
    x = torch.rand(1, 1, 8, 8)
    a = rise_maps(model, x, n_masks=30, progress=False).values
    b = rise_maps(model, x, n_masks=30, progress=False).values
    assert model.training
    assert np.array_equal(a, b)


def test_matrices_give_axes_and_ids():
    rt = 0.5 + 0.016 * np.arange(16)
    edges = 50.0 + np.arange(25.0)

    def matrix(name: str, seed: int) -> SimpleNamespace:
        values = np.random.default_rng(seed).random((16, 24)).astype("float32")
        return SimpleNamespace(values=values, rt=rt, mz_edges=edges, mz=None, source=name)

    maps = rise_maps(
        tiny_cnn(), [matrix("a.mzML", 0), matrix("b.mzML", 1)], n_masks=20, progress=False
    )
    assert maps.sample_ids == ["a.mzML", "b.mzML"]
    np.testing.assert_allclose(maps.axes.rt, rt)
    np.testing.assert_allclose(maps.axes.mz, edges[:-1] + 0.5)
    assert (maps.axes.rt_label, maps.axes.mz_label) == ("RT (min)", "m/z")
    table = top_regions(maps[0], k=1)
    assert 0.5 <= table["peak_rt"].iloc[0] <= rt[-1] and 50 < table["peak_mz"].iloc[0] < 74
    other = matrix("c.mzML", 2)
    other.rt = rt + 1
    with pytest.raises(ConfigError, match="different RT/m/z axes"):
        rise_maps(tiny_cnn(), [matrix("a.mzML", 0), other], n_masks=5, progress=False)


def test_axes_from_lcms_matrices_their_metadata_and_binning():
    lcms = pytest.importorskip("omicsnet.ms.binning")
    params = lcms.BinningParams(n_rt=16, n_mz=24)
    values = np.random.default_rng(0).random((16, 24)).astype("float32")
    matrix = lcms.LCMSMatrix(
        values, params.rt_grid(), params.mz_edges(), params, "run.mzML", "0" * 64
    )
    maps = rise_maps(tiny_cnn(), matrix, n_masks=8, progress=False)
    assert maps.sample_ids == ["run.mzML"]
    np.testing.assert_allclose(maps.axes.mz, matrix.mz)
    np.testing.assert_allclose(maps.axes.rt, matrix.rt)
    for source in (matrix.metadata(), params):
        axes = MapAxes.resolve((16, 24), source)
        np.testing.assert_allclose(axes.rt, matrix.rt)
        np.testing.assert_allclose(axes.mz, matrix.mz)
    pooled = MapAxes.resolve((4, 6), matrix)  # an input max-pooled by 4
    assert pooled.rt[0] == pytest.approx(matrix.rt[:4].mean())


def test_axes_of_pooled_inputs_and_mismatches():
    axes = MapAxes.resolve((4, 3), {"rt": np.arange(8.0), "mz": [100.0, 101.0, 102.0]})
    assert axes.rt.tolist() == [0.5, 2.5, 4.5, 6.5]
    with pytest.raises(ConfigError, match="5 RT rows"):
        MapAxes.resolve((5, 3), {"rt": np.arange(8.0), "mz": [1.0, 2.0, 3.0]})
    with pytest.raises(ConfigError, match="axes must be"):
        MapAxes.resolve((2, 2), object())
    with pytest.raises(ConfigError, match="RT rows"):
        rise_maps(
            tiny_cnn(), torch.rand(1, 1, 8, 8), n_masks=5, axes=(np.arange(3.0), np.arange(8.0))
        )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_masks": 0}, "n_masks"),
        ({"p": 0.0}, "keeping"),
        ({"p": 1.5}, "keeping"),
        ({"grid_size": 0}, "grid_size"),
        ({"grid_size": (2, 2, 2)}, "grid_size"),
        ({"batch_size": 0}, "batch_size"),
        ({"activation": "relu"}, "activation"),
        ({"normalize": "mean"}, "normalize"),
        ({"seed": "zero"}, "seed"),
    ],
)
def test_bad_parameters_are_config_errors(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        rise_maps(tiny_cnn(), torch.rand(1, 1, 8, 8), **{"n_masks": 4, "progress": False, **kwargs})


def test_bad_inputs_and_outputs():
    with pytest.raises(ConfigError, match="channels, height, width"):
        rise_maps(tiny_cnn(), torch.rand(2, 8, 8), n_masks=4, progress=False)
    with pytest.raises(ConfigError, match="empty"):
        rise_maps(tiny_cnn(), torch.rand(0, 1, 8, 8), n_masks=4, progress=False)
    with pytest.raises(ConfigError, match="n_classes"):
        rise_maps(lambda b: b, torch.rand(1, 1, 8, 8), n_masks=4, progress=False)
    with pytest.raises(ConfigError, match="torch module or a callable"):
        rise_maps(42, torch.rand(1, 1, 8, 8), n_masks=4, progress=False)


def test_progress_bar_can_be_shown(capsys):
    rise_maps(tiny_cnn(), torch.rand(1, 1, 8, 8), n_masks=10, progress=True)
    assert "RISE" in capsys.readouterr().err


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_runs_on_the_models_cuda_device():
    model = tiny_cnn().cuda()
    maps = rise_maps(model, torch.rand(2, 1, 16, 16), n_masks=64, progress=False)
    cpu = rise_maps(tiny_cnn(), torch.rand(2, 1, 16, 16), n_masks=64, progress=False)
    assert maps.params["device"].startswith("cuda") and maps.values.shape == cpu.values.shape


# ---------------------------------------------------------------------------- planted peaks
H, W = 32, 48
COMMON = [(8, 10), (20, 30), (26, 6)]  # in every class: no information
PLANTED = {0: [(6, 20), (22, 40)], 1: [(12, 34), (27, 16)], 2: [(16, 8), (4, 42)]}
RT_AXIS = 0.5 + 0.016 * np.arange(H)
MZ_AXIS = 100.5 + np.arange(W)


def synthetic_cohort(n_per_class: int, seed: int) -> tuple[torch.Tensor, np.ndarray]:
    """RT x m/z matrices with class-specific Gaussian peaks, shared peaks, noise and RT shifts."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:H, 0:W]

    def peak(r: int, c: int, height: float) -> np.ndarray:
        return height * np.exp(-((rows - r) ** 2 + (cols - c) ** 2) / (2 * 1.2**2))

    images, labels = [], []
    for cls, peaks in PLANTED.items():
        for _ in range(n_per_class):
            shift = int(rng.integers(-2, 3))  # batch effect: the whole run elutes early/late
            image = sum(peak(r + shift, c, rng.uniform(0.5, 1.0)) for r, c in COMMON)
            image = image + sum(peak(r + shift, c, rng.uniform(0.7, 1.3)) for r, c in peaks)
            images.append(image + rng.normal(0.0, 0.05, (H, W)))
            labels.append(cls)
    return torch.tensor(np.array(images), dtype=torch.float32)[:, None], np.array(labels)


def test_planted_peaks_are_recovered_from_class_profiles():
    x_train, y_train = synthetic_cohort(30, seed=1)
    x_test, y_test = synthetic_cohort(3, seed=2)
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.MaxPool2d(2),
        nn.Conv2d(1, 6, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(6 * 8 * 12, 3),
    )
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    targets = torch.as_tensor(y_train)
    for _ in range(40):
        optimiser.zero_grad()
        nn.functional.cross_entropy(model(x_train), targets).backward()
        optimiser.step()
    names = ["healthy", "benign", "cancer"]
    maps = rise_maps(
        model,
        x_test,
        n_masks=1000,
        batch_size=250,
        axes={"rt": RT_AXIS, "mz": MZ_AXIS},
        classes=names,
        progress=False,
    )
    assert (maps.predicted == y_test).mean() >= 0.8
    profiles = maps.class_profiles([names[i] for i in y_test])
    assert sum(profiles.params["n_samples"].values()) == int((maps.predicted == y_test).sum())
    table = top_regions(profiles, k=3, quantile=0.95)
    found = 0
    for cls, peaks in PLANTED.items():
        regions = table[table["class"] == names[cls]]
        for r, c in peaks:  # within the region, allowing for the +-2 row RT shifts
            rt, mz = RT_AXIS[r], MZ_AXIS[c]
            hit = (
                (regions.rt_start - 2 * 0.016 - 1e-9 <= rt)
                & (rt <= regions.rt_end + 2 * 0.016 + 1e-9)
                & (regions.mz_start - 2 <= mz)
                & (mz <= regions.mz_end + 2)
            )
            found += bool(hit.any())
    assert found / 6 >= 0.8


# ---------------------------------------------------------------------------- containers
def test_class_profiles_use_only_correct_predictions():
    values = np.zeros((4, 2, 2, 2), dtype="float32")
    values[:, 0] = np.arange(4)[:, None, None]
    values[:, 1] = 10 + np.arange(4)[:, None, None]
    probs = [[0.9, 0.1], [0.2, 0.8], [0.1, 0.9], [0.3, 0.7]]
    batch = SaliencyBatch(values, probs, classes=["a", "b"], method="demo")
    profile = batch.class_profiles(["a", "a", "b", "b"])
    assert profile["a"].mean() == 0.0  # sample 1 (true a, predicted b) is left out
    assert profile["b"].mean() == 12.5
    assert profile.params["n_samples"] == {"a": 1, "b": 2}
    assert profile.method == "demo"
    explicit = batch.class_profiles([0, 0, 1, 1], y_pred=[0, 0, 1, 1])
    assert explicit.params["n_samples"] == {"a": 2, "b": 2}
    with pytest.raises(DataError, match="not classes"):
        batch.class_profiles(["a", "a", "b", "z"])
    with pytest.raises(DataError, match="one label for each"):
        batch.class_profiles(["a"])
    with pytest.raises(DataError, match="outside"):
        batch.class_profiles([0, 0, 1, 2])
    assert batch["3"].params["sample_id"] == "3"
    with pytest.raises(DataError):
        batch["nope"]


def test_containers_validate():
    with pytest.raises(ConfigError, match="n_classes, n_rt, n_mz"):
        SaliencyMap(np.zeros(5))
    with pytest.raises(ConfigError, match="class names"):
        SaliencyMap(np.zeros((2, 2, 2)), classes=["a"])
    with pytest.raises(ConfigError, match="unique"):
        SaliencyMap(np.zeros((2, 2, 2)), classes=["a", "a"])
    with pytest.raises(ConfigError, match="probabilities"):
        SaliencyBatch(np.zeros((2, 2, 3, 3)), np.zeros((2, 3)))
    with pytest.raises(ConfigError, match="sample IDs"):
        SaliencyBatch(np.zeros((2, 1, 3, 3)), np.zeros((2, 1)), sample_ids=["x"])
    smap = SaliencyMap(np.zeros((2, 2, 2)), classes=["a", "b"])
    with pytest.raises(ConfigError, match="unknown class"):
        smap["c"]
    with pytest.raises(ConfigError, match="out of range"):
        smap[2]


def test_save_and_load_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    axes = {"rt": 0.5 + 0.016 * np.arange(6), "mz": 50.5 + np.arange(5)}
    batch = SaliencyBatch(
        rng.random((3, 2, 6, 5)), rng.random((3, 2)), axes, ["x", "y"], "rise", {"n_masks": 7}
    )
    loaded = SaliencyBatch.load(batch.save(tmp_path / "maps.npz"))
    np.testing.assert_array_equal(loaded.values, batch.values)
    np.testing.assert_array_equal(loaded.probabilities, batch.probabilities)
    np.testing.assert_allclose(loaded.axes.rt, batch.axes.rt)
    assert (loaded.classes, loaded.method, loaded.params) == (["x", "y"], "rise", {"n_masks": 7})
    assert loaded.axes.rt_label == "RT (min)"
    smap = batch[1]
    again = SaliencyMap.load(smap.save(tmp_path / "one"))
    np.testing.assert_array_equal(again.values, smap.values)
    with pytest.raises(DataError, match="not"):
        SaliencyMap.load(tmp_path / "maps.npz")  # a batch, not a map
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(DataError):
        SaliencyMap.load(tmp_path / "junk.npz")
    with pytest.raises(OutputExistsError):
        smap.save(tmp_path / "one.npz", overwrite=False)


def test_top_regions_separates_peaks_and_ranks_them():
    rows, cols = np.mgrid[0:40, 0:60]
    values = (
        np.exp(-((rows - 10) ** 2 + (cols - 10) ** 2) / 8)
        + 0.8 * np.exp(-((rows - 10) ** 2 + (cols - 18) ** 2) / 8)  # joined to the first
        + 0.5 * np.exp(-((rows - 30) ** 2 + (cols - 45) ** 2) / 8)
    )
    smap = SaliencyMap(np.stack([values, values[::-1]]), classes=["p", "q"])
    table = top_regions(smap, k=5, quantile=0.9, min_distance=3)
    assert list(table.columns[:3]) == ["class", "rank", "score"]
    p = table[table["class"] == "p"]
    assert [(r.row, r.col) for r in p.itertuples()] == [(10, 10), (10, 18), (30, 45)]
    assert p["rank"].tolist() == [1, 2, 3]
    assert p["score"].is_monotonic_decreasing
    first, second = p.iloc[0], p.iloc[1]
    assert first.col_end < second.col_start  # the ridge is split between the two peaks
    q = table[table["class"] == "q"]
    assert (q["row"] == 39 - p["row"].to_numpy()).all()
    assert len(top_regions(smap, k=1)) == 2  # k per class
    assert top_regions(smap, k=2, classes=["q"])["class"].unique().tolist() == ["q"]


def test_top_regions_edge_cases():
    flat = top_regions(SaliencyMap(np.ones((1, 5, 5))), k=3)
    assert flat.empty and "peak_mz" in flat.columns
    empty = top_regions(SaliencyMap(np.full((1, 5, 5), np.nan)), k=3)
    assert empty.empty
    values = np.zeros((1, 6, 6))
    values[0, 2:4, 2:4] = 1.0  # a plateau: one region, one peak
    plateau = top_regions(values, k=3, quantile=0.5)
    assert len(plateau) == 1 and plateau["n_cells"].iloc[0] == 4
    for bad in ({"k": 0}, {"quantile": 1.0}, {"min_distance": 0}):
        with pytest.raises(ConfigError):
            top_regions(values, **bad)


def test_map_correlation():
    rng = np.random.default_rng(0)
    a = rng.random((2, 8, 8))
    r = map_correlation(SaliencyMap(a), a + 0.01 * rng.random((2, 8, 8)))
    assert r.shape == (2,) and (r > 0.99).all()
    assert np.isnan(map_correlation(np.ones((8, 8)), a[0])[0])
    with pytest.raises(ConfigError, match="different shapes"):
        map_correlation(a, a[:1])


def test_plot_side_by_side_and_save(tmp_path):
    rng = np.random.default_rng(1)
    axes = {"rt": 0.5 + 0.016 * np.arange(20), "mz": 50.5 + np.arange(30)}
    first = SaliencyMap(rng.random((3, 20, 30)), axes, ["a", "b", "c"], "rise")
    second = SaliencyMap(rng.random((3, 20, 30)), axes, ["a", "b", "c"], "gradcam")
    fig = plot_maps([first, second], classes=["a", "c"], regions=3)
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 4
    assert images[0].get_xlabel() == "m/z" and images[0].get_ylabel() == "RT (min)"
    assert images[1].get_title() == "Grad-CAM for class a"
    assert len(images[0].patches) == 3
    path = save_figure(fig, tmp_path / "maps.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob(".*tmp"))  # no temporary left behind
    with pytest.raises(OutputExistsError):
        save_figure(fig, path, overwrite=False)
    one = plot_maps(first, classes=["b"], normalize=False)
    assert save_figure(one, tmp_path / "one.svg").read_bytes().lstrip().startswith(b"<?xml")
    with pytest.raises(ConfigError, match="png"):
        save_figure(fig, tmp_path / "maps.jpg")
    with pytest.raises(ConfigError, match="titles"):
        plot_maps([first, second], titles=["only one"])
    with pytest.raises(ConfigError, match="unknown class"):
        plot_maps(first, classes=["zzz"])
    frame = first.to_frame("b")
    assert isinstance(frame, pd.DataFrame) and frame.index.name == "RT (min)"


def test_importing_explain_is_light():
    code = (
        "import sys, omicsnet.explain as e; "
        "heavy = [m for m in ('torch', 'scipy', 'matplotlib', 'pandas') if m in sys.modules]; "
        "print(heavy, len(e.__all__))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("[]")
