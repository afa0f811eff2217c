"""``lcms_image``: freezing really stops learning, heads and plans, training, CLI end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import omicsnet
from omicsnet.cli import main
from omicsnet.errors import ConfigError, DataError
from omicsnet.lcms_image.workflows import (
    cross_validate_lcms_image,
    fit_lcms_image,
    predict_lcms_image,
    run_trial,
)
from omicsnet.ms.arrays import LCMSArrays
from omicsnet.train import Trainer
from omicsnet.train.plans import BinaryPlan, ClassificationPlan, resolve_plan

TINY = {"backbone_config": {"channels": [4, 8]}}
TINY_DENSENET = {
    "backbone": "densenet121",
    "backbone_config": {"block_config": [1, 1, 1], "growth_rate": 4, "init_features": 8},
}


def _blob_data(n_per_class: int = 8, size: int = 24, seed: int = 0) -> LCMSArrays:
    """Class 1 has a bright blob in the top-left quarter; both classes get one elsewhere."""
    rng = np.random.default_rng(seed)
    x = rng.random((2 * n_per_class, 1, size, size)).astype("f4") * 0.5
    for i in range(2 * n_per_class):
        x[i, 0, size - 8 : size - 4, size - 8 : size - 4] += 3.0  # common to both classes
        if i >= n_per_class:
            x[i, 0, 3:7, 3:7] += 3.0
    ids = [f"s{i:02d}" for i in range(2 * n_per_class)]
    return LCMSArrays(
        x,
        [0] * n_per_class + [1] * n_per_class,
        sample_ids=ids,
        class_names=["control", "case"],
        files=[Path(s) for s in ids],
    )


@pytest.mark.parametrize(
    ("config", "frozen_prefix"),
    [
        ({**TINY, "freeze": ["backbone.*"]}, "backbone."),
        ({**TINY, "trainable_blocks": 1}, "backbone.blocks.block1."),
        ({**TINY_DENSENET, "trainable_blocks": 1}, "backbone.features.denseblock1."),
    ],
)
def test_frozen_parameters_get_no_gradient_and_do_not_change(
    config, frozen_prefix, one_torch_thread
):
    torch.manual_seed(0)
    model = omicsnet.create_model("lcms_image", input_size=[32, 32], **config)
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    assert frozen and all(n.startswith("backbone.") for n in frozen)
    assert any(n.startswith(frozen_prefix) for n in frozen)
    trainable = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    assert "head.weight" in trainable
    frozen_bn = {
        n: b.clone()
        for n, b in model.named_buffers()
        if "running" in n and n.rsplit(".", 1)[0] + ".weight" in frozen
    }
    # one backward: frozen tensors get no gradient
    model.train()
    model(torch.rand(4, 1, 32, 32)).sum().backward()
    for name, p in model.named_parameters():
        assert (p.grad is None) == (name in frozen), name
    model.zero_grad(set_to_none=True)
    # a few Adamax steps through the shared trainer: frozen weights and BN statistics stay put
    x = torch.rand(8, 1, 32, 32)
    data = omicsnet.ArrayDataset(x, torch.tensor([0, 1] * 4))
    Trainer(max_epochs=2, batch_size=4, optimizer="adamax", lr=0.1, progress=False).fit(model, data)
    now = dict(model.named_parameters())
    for name, before in frozen.items():
        assert torch.equal(now[name], before), name
    assert any(not torch.equal(now[n], before) for n, before in trainable.items())
    buffers = dict(model.named_buffers())
    assert frozen_bn, "the frozen part has batch-norm layers"
    for name, before in frozen_bn.items():
        assert torch.equal(buffers[name], before), name


def test_freezing_is_saved_with_the_config(tmp_path):
    model = omicsnet.create_model("lcms_image", **TINY, freeze=["backbone.blocks.block1.*"])
    loaded = omicsnet.load(omicsnet.save(model, tmp_path / "m"))
    assert loaded.trainable_parameter_names() == model.trainable_parameter_names()
    assert loaded.unfreeze("backbone.*")  # and it can be unfrozen for fine-tuning
    assert len(loaded.trainable_parameter_names()) == len(list(loaded.parameters()))


def test_bad_freeze_patterns_and_heads_are_config_errors():
    with pytest.raises(ConfigError, match="matches no parameter"):
        omicsnet.create_model("lcms_image", freeze=["backbone.block9.*"])
    with pytest.raises(ConfigError, match="trainable_blocks must be in"):
        omicsnet.create_model("lcms_image", trainable_blocks=7)
    with pytest.raises(ConfigError, match="binary head needs n_classes=2"):
        omicsnet.create_model("lcms_image", n_classes=3)
    with pytest.raises(ConfigError, match="backbone must be one of"):
        omicsnet.create_model("lcms_image", backbone="resnet")


def test_heads_choose_their_plans_and_probabilities():
    binary = omicsnet.create_model("lcms_image", **TINY, classes=["ctrl", "opium"])
    multi = omicsnet.create_model("lcms_image", **TINY, head="multiclass", n_classes=3)
    assert isinstance(resolve_plan(None, binary), BinaryPlan)
    assert isinstance(resolve_plan(None, multi), ClassificationPlan)
    assert binary.output_features == ["opium"] and binary.n_outputs == 1
    x = torch.rand(5, 1, 64, 64)
    p = binary.predict_proba(x)
    logits = binary.eval()(x)
    np.testing.assert_allclose(p[:, 1], torch.sigmoid(logits[:, 0]).detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(multi.predict_proba(x).sum(1), 1.0, rtol=1e-6)
    with pytest.raises(DataError, match=r"\(batch, 1, RT, m/z\)"):
        binary(torch.rand(2, 3, 64, 64))


def test_training_separates_positional_classes(one_torch_thread):
    data = _blob_data()
    cv = cross_validate_lcms_image(
        data,
        n_splits=2,
        model_config={**TINY, "pool_size": 2},
        trainer_kwargs={"max_epochs": 25, "progress": False, "early_stopping": None},
        augment=False,
    )
    accuracy = (cv.proba.to_numpy().argmax(1) == cv.y).mean()
    assert accuracy >= 0.85, cv.proba
    baseline = (cv.baseline_proba.to_numpy().argmax(1) == cv.y).mean()
    assert 0.0 <= baseline <= 1.0 and sorted(set(cv.folds.tolist())) == [0, 1]
    reports = cv.reports(n_boot=50)
    assert set(reports) == {"lcms_image", "nearest_centroid"}


def test_run_trial_is_a_search_task(tmp_path, one_torch_thread):
    from omicsnet.lcms_image.pseudo_images import pseudo_images_from_arrays

    data = _blob_data(n_per_class=4, size=16)
    images = pseudo_images_from_arrays(
        data.x * 1e4,
        omicsnet.lcms_image.pseudo_images.PseudoImageParams(n_rt=16, n_mz=16, blur_sigma=0.5),
        sample_ids=data.sample_ids,
    )
    images.save(tmp_path / "img.npz")
    (tmp_path / "labels.csv").write_text(
        "file,label\n" + "".join(f"{s},{lab}\n" for s, lab in data.labels.items())
    )
    context = {
        "images": str(tmp_path / "img.npz"),
        "labels": str(tmp_path / "labels.csv"),
        "epochs": 2,
        "n_splits": 2,
        "model_config": TINY,
    }
    metrics = run_trial({"optimizer": "adamax", "scheduler": "cosine", "lr": 0.01}, context)
    assert set(metrics) == {"accuracy", "balanced_accuracy", "f1_macro", "log_loss"}
    assert 0 <= metrics["accuracy"] <= 1 and metrics["log_loss"] > 0
    with pytest.raises(ConfigError, match="unknown lcms_image trial parameters"):
        run_trial({"optimiser": "adam"}, context)


def test_cli_end_to_end_from_mzml(tmp_path, capsys, one_torch_thread):
    from omicsnet.ms.synthetic import write_synthetic_mzml

    runs = tmp_path / "runs"
    rows = ["file,label"]
    for i in range(4):
        label = "case" if i % 2 else "control"
        peaks = [(250.0, 1.2, 5e5, 0.08), (650.0 if label == "case" else 450.0, 1.8, 5e5, 0.08)]
        write_synthetic_mzml(runs / f"r{i}.mzML", peaks=peaks, n_scans=12, seed=i)
        rows.append(f"r{i}.mzML,{label}")
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    images = tmp_path / "img.npz"
    assert main(["-q", "lcms", "images", str(runs), "--out", str(images), "--bins", "32",
                 "--mz-range", "200", "700"]) == 0  # fmt: skip
    assert images.is_file() and images.with_suffix(".png").is_file()
    model_dir = tmp_path / "model"
    common = ["--images", str(images), "--labels", str(tmp_path / "labels.csv")]
    assert main(["-q", "lcms", "image-train", *common, "--out", str(model_dir), "--epochs", "3",
                 "--backbone-config", json.dumps(TINY["backbone_config"]),
                 "--freeze", "backbone.blocks.block1.*"]) == 0  # fmt: skip
    assert (model_dir / "history.csv").is_file()
    assert (
        omicsnet.load(model_dir).trainable_parameter_names()[0].startswith("backbone.blocks.block2")
    )
    assert main(["-q", "lcms", "image-train", *common, "--out", str(tmp_path / "cv"), "--cv", "2",
                 "--epochs", "1", "--backbone-config", '{"channels": [4]}']) == 0  # fmt: skip
    summary = (tmp_path / "cv" / "cv_summary.csv").read_text()
    assert "nearest_centroid" in summary and "lcms_image" in summary
    out = tmp_path / "pred.csv"
    assert main(["-q", "lcms", "image-predict", "--model", str(model_dir), "--images",
                 str(images), "--out", str(out)]) == 0  # fmt: skip
    frame = predict_lcms_image(model_dir, images)
    assert frame.index.tolist() == [f"r{i}" for i in range(4)]
    assert list(frame.columns) == ["predicted", "case", "control"]
    cam_dir = tmp_path / "cam"
    assert main(["-q", "explain", "cam", "--model", str(model_dir), "--images", str(images),
                 "--out", str(cam_dir), "--rise-masks", "16", "--sample", "r1"]) == 0  # fmt: skip
    assert {"cam_maps.npz", "rise_maps.npz", "cam_vs_rise.csv", "r1_cam_vs_rise.png"} <= {
        p.name for p in cam_dir.iterdir()
    }
    capsys.readouterr()
    # an existing output is refused with one line and exit status 2
    assert main(["lcms", "images", str(runs), "--out", str(images), "--bins", "32"]) == 2
    assert "already exists" in capsys.readouterr().err


def test_predict_refuses_images_of_another_size(tmp_path):
    from omicsnet.lcms_image.pseudo_images import PseudoImageParams, pseudo_images_from_arrays

    model = omicsnet.create_model("lcms_image", **TINY, input_size=[32, 32])
    omicsnet.save(model, tmp_path / "m")
    images = pseudo_images_from_arrays(
        np.ones((2, 20, 20)) * 1e4, PseudoImageParams(n_rt=16, n_mz=24)
    )
    images.save(tmp_path / "img.npz")
    with pytest.raises(
        DataError, match=r"trained on 32 x 32 pseudo-images but the images are 16 x 24"
    ):
        predict_lcms_image(tmp_path / "m", tmp_path / "img.npz")


def test_fit_refuses_model_config_keys_from_the_data():
    with pytest.raises(ConfigError, match="comes from the data"):
        fit_lcms_image(_blob_data(2), model_config={"n_classes": 2})


@pytest.mark.slow
def test_real_serum_pseudo_images_cross_validate(shared_data, one_torch_thread):
    from omicsnet.lcms_image.pseudo_images import PseudoImageParams, pseudo_images_from_arrays
    from omicsnet.ms.arrays import load_deepmsprofiler_arrays

    arrays = load_deepmsprofiler_arrays(shared_data)
    images = pseudo_images_from_arrays(
        arrays.x, PseudoImageParams(n_rt=128, n_mz=128), sample_ids=arrays.sample_ids
    )
    data = images.to_arrays(arrays.labels.to_dict())
    assert data.x.shape == (18, 1, 128, 128)
    assert float(data.x.max()) == pytest.approx(np.log1p(255.0), rel=1e-5)
    cv = cross_validate_lcms_image(
        data, n_splits=3, trainer_kwargs={"max_epochs": 10, "progress": False}
    )
    assert cv.proba.shape == (18, 3)
    np.testing.assert_allclose(cv.proba.to_numpy().sum(1), 1.0, rtol=1e-5)
    summary = cv.reports(n_boot=200)["lcms_image"].summary
    assert summary.loc["accuracy", "ci_lower"] <= summary.loc["accuracy", "estimate"]
