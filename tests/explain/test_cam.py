"""Grad-CAM and LayerCAM: exact formulas, known answers, layers, and RISE side by side."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import omicsnet
from omicsnet.errors import ConfigError
from omicsnet.explain import SaliencyBatch, SaliencyMap, rise_maps, top_regions
from omicsnet.explain.cam import cam_maps, compare_maps, plot_comparison, resolve_layer


class LinearCNN(nn.Module):
    """1×1 conv → global average pool → linear: the CAM formulas have closed forms here."""

    def __init__(self, channels: int = 3, classes: int = 2) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, channels, 1)
        self.fc = nn.Linear(channels, classes)

    def forward(self, x):
        return self.fc(self.conv(x).mean((2, 3)))


def test_gradcam_and_layercam_match_their_closed_forms():
    torch.manual_seed(0)
    model = LinearCNN()
    x = torch.rand(2, 1, 6, 7)
    activations = model.conv(x).detach()  # (2, K, 6, 7)
    grads = model.fc.weight.detach()[:, :, None, None] / (6 * 7)  # dy_c/dA_k, same everywhere
    grad_maps = cam_maps(model, x, method="gradcam", layer="conv", progress=False)
    layer_maps = cam_maps(model, x, method="layercam", layer="conv", progress=False)
    for c in range(2):
        expected_grad = (grads[c][None] * activations).sum(1).clamp_min(0)
        expected_layer = (grads[c][None].clamp_min(0) * activations).sum(1).clamp_min(0)
        np.testing.assert_allclose(grad_maps.values[:, c], expected_grad.numpy(), atol=1e-6)
        np.testing.assert_allclose(layer_maps.values[:, c], expected_layer.numpy(), atol=1e-6)
    expected_p = torch.softmax(model(x), 1).detach().numpy()
    np.testing.assert_allclose(grad_maps.probabilities, expected_p, rtol=1e-5)


class CornerModel(nn.Module):
    """Strided convolution; class 1's evidence is the top-left quarter of its feature map."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 2, 4, stride=4), nn.ReLU(inplace=True))
        with torch.no_grad():
            self.features[0].weight.fill_(1 / 16)
            self.features[0].bias.zero_()

    def forward(self, x):
        a = self.features(x)
        corner = a[:, :, :2, :2].mean((1, 2, 3))
        return torch.stack([-corner, corner], 1) * 5


@pytest.mark.parametrize("method", ["gradcam", "layercam"])
def test_known_answer_cam_peaks_where_the_class_evidence_is(method):
    x = torch.zeros(1, 1, 32, 32)
    x[0, 0, 4:8, 0:8] = 1.0  # feature cells (1, 0) and (1, 1): inside the evidence region
    x[0, 0, 20:28, 20:28] = 0.5  # a weaker signal the model ignores
    maps = cam_maps(CornerModel(), x, method=method, layer="features.0", progress=False)
    assert maps.values.shape == (1, 2, 32, 32)  # up-sampled from the 8 x 8 feature map
    assert maps.params["feature_map"] == [8, 8]
    hot = divmod(int(maps.values[0, 1].argmax()), 32)
    assert 4 <= hot[0] < 8 and hot[1] < 8
    ignored = maps.values[0, 1, 20:28, 20:28].max()
    if method == "layercam":  # per-position weights: nothing where the gradient is zero
        assert ignored == 0
    else:  # one weight per channel: Grad-CAM lights up every active cell, less strongly
        assert 0 < ignored < maps.values[0, 1].max()
    assert maps.values[0, 0].max() == 0  # the other class has only negative evidence


def test_in_place_relu_after_the_layer_does_not_change_the_maps():
    torch.manual_seed(1)
    conv = nn.Conv2d(1, 3, 1)
    plain = nn.Sequential(conv, nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 2))
    inplace = nn.Sequential(
        conv, nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten(), plain[4]
    )
    x = torch.randn(3, 1, 5, 5)
    a = cam_maps(plain, x, layer="0", progress=False)
    b = cam_maps(inplace, x, layer="0", progress=False)
    np.testing.assert_allclose(a.values, b.values, atol=1e-6)


def test_layer_resolution_defaults_and_errors():
    model = omicsnet.create_model("lcms_image", backbone_config={"channels": [4, 8]})
    assert resolve_layer(model)[0] == "backbone.blocks.block2"
    with pytest.raises(ConfigError, match=r"no layer named 'backbone.blocks.block9'.*closest"):
        resolve_layer(model, "backbone.blocks.block9")
    with pytest.raises(ConfigError, match="must output"):
        cam_maps(model, torch.rand(1, 1, 64, 64), layer="head", progress=False)
    with pytest.raises(ConfigError, match="method must be one of"):
        cam_maps(model, torch.rand(1, 1, 64, 64), method="scorecam", progress=False)


def test_binary_frozen_model_gives_two_named_maps_on_image_axes():
    from omicsnet.lcms_image.pseudo_images import PseudoImageParams, pseudo_images_from_arrays

    model = omicsnet.create_model(
        "lcms_image",
        classes=["control", "opium"],
        backbone_config={"channels": [4, 8]},
        input_size=[16, 16],
        freeze=["backbone.*"],
    )
    rng = np.random.default_rng(0)
    images = pseudo_images_from_arrays(
        rng.exponential(1e4, (2, 16, 16)),
        PseudoImageParams(n_rt=16, n_mz=16),
        rt=np.linspace(1, 10, 16),
        mz=np.linspace(100, 400, 16),
    )
    maps = cam_maps(model, images.tensor(), axes=images.axes(), progress=False)
    assert isinstance(maps, SaliencyBatch) and maps.classes == ["control", "opium"]
    np.testing.assert_allclose(maps.axes.mz, images.axes()["mz"])
    assert maps.axes.rt_label == "RT (min)"
    p = model.predict_proba(images.tensor())
    np.testing.assert_allclose(maps.probabilities, p, rtol=1e-5)
    assert np.isfinite(maps.values).all() and (maps.values >= 0).all()


def test_a_trained_model_looks_at_its_class_blob(one_torch_thread):
    from omicsnet.lcms_image.workflows import fit_lcms_image
    from tests.lcms_image.test_model import _blob_data

    data = _blob_data(n_per_class=8, size=24)
    result = fit_lcms_image(
        data,
        model_config={"backbone_config": {"channels": [4, 8]}, "pool_size": 2},
        trainer_kwargs={"max_epochs": 20, "progress": False, "early_stopping": None},
        augment=False,
    )
    cases = data.x[data.y == 1]
    maps = cam_maps(result.model, cases, method="layercam", progress=False)
    inside = 0
    for sample in range(len(cases)):
        table = top_regions(maps[sample], k=1, quantile=0.95, classes=["case"])
        row, col = int(table["row"].iloc[0]), int(table["col"].iloc[0])
        inside += (0 <= row <= 9) and (0 <= col <= 9)  # the case blob is at rows/cols 3..6
    assert inside >= len(cases) - 1, inside


def test_rise_and_cam_of_one_sample_compare_side_by_side():
    torch.manual_seed(0)
    x = torch.zeros(1, 1, 32, 32)
    x[0, 0, 4:8, 0:8] = 1.0
    model = CornerModel()
    cam = cam_maps(model, x, layer="features.0", progress=False)
    rise = rise_maps(model, x, n_masks=100, grid_size=4, p=0.5, progress=False)
    table = compare_maps(rise[0], cam[0], k=3, quantile=0.95)
    assert list(table.index) == list(cam.classes)
    assert {"pearson", "top_cell_jaccard", "shared_regions", "peak_rt_a", "peak_mz_b"} <= set(
        table.columns
    )
    assert table.loc["class_1", "pearson"] > 0.3  # both find the top-left spot
    assert table.loc["class_1", "peak_rt_b"] < 8 and table.loc["class_1", "peak_mz_b"] < 8
    figure = plot_comparison([rise[0], cam[0]], titles=["RISE", "LayerCAM"], image=x[0, 0])
    assert len([ax for ax in figure.axes if ax.get_title()]) == 6  # 2 classes x 3 columns
    # one sample: its name (and prediction) in the title, each row titled by the class its
    # maps are evidence for, every colour bar saying what it shows
    predicted = cam.classes[int(cam.predicted[0])]
    assert figure.get_suptitle().startswith(f"sample 0 - predicted {predicted} (p = ")
    panels = [ax for ax in figure.axes if ax.images]
    assert [ax.get_title() for ax in panels[:3]] == [
        "input", "RISE for class class_0", "LayerCAM for class class_0",
    ]  # fmt: skip
    bars = [ax for ax in figure.axes if not ax.images]
    assert len(bars) == 3  # one shared 0-1 bar per column
    assert [ax.get_ylabel() for ax in bars] == [
        "intensity (scaled to 0-1)", "saliency (scaled to 0-1)", "saliency (scaled to 0-1)",
    ]  # fmt: skip
    named = plot_comparison([cam[0]], sample="C01")
    assert named.get_suptitle().startswith("sample C01")
    with pytest.raises(ConfigError, match="different shapes"):
        compare_maps(cam[0], SaliencyMap(np.zeros((2, 4, 4))))
