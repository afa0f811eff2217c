"""The LC-MS DenseNet (``lcms_densenet``), its backbone, and classifier ensembles."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from torch.nn import functional as F

import omicsnet
from omicsnet.data.splits import stratified_folds
from omicsnet.errors import CheckpointError, ConfigError, DataError, DataNotFoundError
from omicsnet.lcms.densenet import intensity_transform
from omicsnet.models.ensemble import Ensemble, load_ensemble, read_ensemble_manifest, save_ensemble
from omicsnet.nn.densenet import DenseNetBackbone, load_densenet_weights
from omicsnet.train.batchnorm import recalibrate_batchnorm
from omicsnet.train.ensemble import train_ensemble
from omicsnet.train.plans import WeightedClassificationPlan, balanced_class_weights

TINY = {"growth_rate": 4, "block_config": [1, 1, 1, 1], "init_features": 8, "input_size": [32, 32]}


def tiny_model(**overrides):
    return omicsnet.create_model("lcms_densenet", **{**TINY, **overrides})


def raw_batch(n=4, size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, size, size, generator=g) ** 4 * 1e9


# ---------------------------------------------------------------- model and backbone
def test_tiny_densenet_forward_backward_on_one_channel():
    model = tiny_model(n_classes=3)
    assert model.backbone.features.conv0.weight.shape[1] == 1  # one input channel, no copies
    x = raw_batch()
    out = model(x)
    assert out.shape == (4, 3) and torch.isfinite(out).all()
    F.cross_entropy(out, torch.tensor([0, 1, 2, 0])).backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
    assert torch.equal(model.eval()(x[:, 0]), model(x))  # (batch, RT, m/z) accepted too


def test_three_channel_input_is_refused_with_a_hint():
    with pytest.raises(DataError, match="3 identical channels"):
        tiny_model()(raw_batch().repeat(1, 3, 1, 1))


def test_too_small_inputs_are_refused():
    with pytest.raises(DataError, match="at least 32"):
        tiny_model()(torch.rand(1, 1, 16, 64))
    with pytest.raises(ConfigError, match="smaller than this network's minimum"):
        tiny_model(input_size=[32, 32], pre_pool=2)


@pytest.mark.parametrize(
    "pool, size, expected", [(1, 32, 32), (2, 64, 32), (3, 96, 32), (3, 100, 33)]
)
def test_pre_pooling_shapes(pool, size, expected):
    model = tiny_model(pre_pool=pool, input_size=[size, size])
    x = raw_batch(2, size)
    pooled = model.preprocess(x)
    assert pooled.shape == (2, 1, expected, expected)
    reference = intensity_transform(F.max_pool2d(x, pool) if pool > 1 else x, "log1p_max")
    assert torch.equal(pooled, reference)
    assert model(x).shape == (2, 3)


def test_intensity_transform_scales_raw_intensities():
    x = raw_batch(3)
    out = intensity_transform(x, "log1p_max")
    assert out.min() >= 0 and torch.allclose(out.flatten(1).amax(1), torch.ones(3))
    assert torch.equal(intensity_transform(x, "none"), x)
    assert torch.equal(
        intensity_transform(torch.zeros(2, 1, 4, 4), "log1p_max"), torch.zeros(2, 1, 4, 4)
    )
    with pytest.raises(ConfigError, match="transform"):
        intensity_transform(x, "zscore")


def test_gradient_checkpointing_gives_identical_outputs_gradients_and_batch_stats():
    torch.manual_seed(0)
    plain = tiny_model(block_config=[2, 2, 2, 2], dropout=0.0)
    checked = tiny_model(block_config=[2, 2, 2, 2], checkpointing=True)
    checked.load_state_dict(plain.state_dict())
    x = raw_batch(4, seed=3)
    target = torch.tensor([0, 1, 2, 1])
    outputs = []
    for model in (plain, checked):
        model.train()
        out = model(x)
        F.cross_entropy(out, target).backward()
        outputs.append(out.detach())
    torch.testing.assert_close(outputs[0], outputs[1], rtol=0, atol=1e-6)
    grads_plain = dict(plain.named_parameters())
    for name, param in checked.named_parameters():
        torch.testing.assert_close(param.grad, grads_plain[name].grad, rtol=1e-5, atol=1e-6)
    # the recomputation in backward must not update batch-norm running statistics again
    buffers = dict(plain.named_buffers())
    for name, buf in checked.named_buffers():
        assert torch.equal(buf, buffers[name]), name


def test_group_norm_option_is_batch_independent():
    model = tiny_model(norm="group", checkpointing=True)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    x = raw_batch(4)
    model.train()
    F.cross_entropy(model(x), torch.tensor([0, 1, 2, 0])).backward()
    torch.testing.assert_close(model(x)[:1], model(x[:1]), rtol=1e-5, atol=1e-6)
    with pytest.raises(ConfigError, match="norm must be one of"):
        tiny_model(norm="layer")


def test_recalibrate_batchnorm_gives_exact_population_statistics():
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 1), torch.nn.BatchNorm2d(2)).eval()
    x = torch.randn(12, 1, 4, 4) * 3 + 2
    assert recalibrate_batchnorm(net, x, batch_size=12) == 1
    bn = net[1]
    with torch.no_grad():
        hidden = net[0](x)
    torch.testing.assert_close(bn.running_mean, hidden.mean((0, 2, 3)))
    torch.testing.assert_close(bn.running_var, hidden.var((0, 2, 3), unbiased=True))
    assert bn.momentum == 0.1 and not net.training
    recalibrate_batchnorm(net, omicsnet.ArrayDataset(x), batch_size=4)  # mean of 3 batches
    means = torch.stack([net[0](c).mean((0, 2, 3)) for c in x.split(4)]).mean(0)
    torch.testing.assert_close(bn.running_mean, means.detach())
    assert recalibrate_batchnorm(torch.nn.Linear(2, 2), torch.randn(3, 2)) == 0


def test_densenet121_default_size_and_features():
    net = DenseNetBackbone()
    assert net.out_features == 1024
    assert len(net.features.denseblock3) == 24


def test_pretrained_weights_load_from_local_file_only(tmp_path):
    model = tiny_model()
    with pytest.raises(DataNotFoundError, match="never downloads"):
        model.load_pretrained(tmp_path / "absent.safetensors")
    other = DenseNetBackbone(growth_rate=8, block_config=[1, 1, 1, 1], init_features=8)
    path = tmp_path / "other.safetensors"
    save_file(other.state_dict(), str(path))
    with pytest.raises(CheckpointError, match="other shapes"):
        model.load_pretrained(path)


def test_pretrained_three_channel_stem_is_summed_and_classifier_ignored(tmp_path):
    source = DenseNetBackbone(
        in_channels=3, growth_rate=4, block_config=[1, 1, 1, 1], init_features=8
    )
    state = {f"module.{k}": v for k, v in source.state_dict().items()}
    state["classifier.weight"] = torch.zeros(1000, 8)
    path = tmp_path / "imagenet_like.safetensors"
    save_file(state, str(path))
    model = tiny_model()
    head = model.classifier.weight.clone()
    record = model.load_pretrained(path)
    assert record["channels_summed"] and len(record["sha256"]) == 64
    assert torch.equal(model.classifier.weight, head)
    x = torch.rand(2, 1, 32, 32)
    expected = source.eval()(x.repeat(1, 3, 1, 1))  # 3 copies into the 3-channel network
    torch.testing.assert_close(model.backbone.eval()(x), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.slow  # importing MONAI takes ~4 s
def test_backbone_matches_monai_densenet(tmp_path):
    DenseNet = pytest.importorskip("monai.networks.nets").DenseNet

    torch.manual_seed(0)
    reference = DenseNet(
        spatial_dims=2, in_channels=1, out_channels=3, init_features=8, growth_rate=4,
        block_config=(2, 3, 2, 2),
    ).eval()  # fmt: skip
    path = tmp_path / "monai.safetensors"
    save_file(reference.state_dict(), str(path))
    ours = DenseNetBackbone(growth_rate=4, block_config=[2, 3, 2, 2], init_features=8)
    load_densenet_weights(ours, path)  # MONAI's layer names are mapped
    x = torch.rand(2, 1, 48, 40)
    with torch.no_grad():
        expected = reference.class_layers[:3](reference.features(x))  # relu, pool, flatten
        torch.testing.assert_close(ours.eval()(x), expected, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- ensembles
def _mlp_spec(**config):
    return {
        "model": "mlp",
        "config": {"in_features": 4, "out_features": 3, "task": "classification", **config},
    }


def test_ensemble_averages_member_probabilities():
    torch.manual_seed(0)
    ens = omicsnet.create_model(
        "ensemble", members=[_mlp_spec(), _mlp_spec(hidden=[5]), _mlp_spec(hidden=[])]
    )
    x = torch.randn(7, 4)
    with torch.no_grad():
        members = torch.stack([F.softmax(m.eval()(x), dim=1) for m in ens.members])
    expected = members.mean(0).numpy()
    np.testing.assert_allclose(ens.predict_proba(x), expected, atol=1e-6)
    np.testing.assert_allclose(ens.member_proba(x, batch_size=3), members.numpy(), atol=1e-6)
    np.testing.assert_allclose(ens.eval()(x).exp().detach().numpy(), expected, atol=1e-6)


def test_ensemble_refuses_non_classifiers_and_mismatched_classes():
    with pytest.raises(ConfigError, match="not a classifier"):
        omicsnet.create_model("ensemble", members=[_mlp_spec(), _mlp_spec(task="regression")])
    with pytest.raises(ConfigError, match="number of classes"):
        omicsnet.create_model("ensemble", members=[_mlp_spec(), _mlp_spec(out_features=2)])
    with pytest.raises(ConfigError, match="unknown keys"):
        omicsnet.create_model("ensemble", members=[{**_mlp_spec(), "lr": 0.1}])


def _trained_like_ensemble():
    torch.manual_seed(1)
    members = [tiny_model(output_features=["C", "H", "N"]) for _ in range(3)]
    for i, m in enumerate(members):  # make the members' batch-norm statistics non-trivial
        m.train()(raw_batch(4, seed=i))
    info = [{"seed": i, "lr": 10.0 ** -(i + 2)} for i in range(3)]
    return Ensemble.from_members(members, member_info=info).eval()


def test_ensemble_save_load_round_trip(tmp_path):
    ens = _trained_like_ensemble()
    x = raw_batch(5, seed=9)
    folder = save_ensemble(ens, tmp_path / "ens", metadata={"cv_accuracy": 0.5})
    manifest = read_ensemble_manifest(folder)
    assert [m["folder"] for m in manifest["members"]] == ["member_00", "member_01", "member_02"]
    assert manifest["output_features"] == ["C", "H", "N"] and manifest["metadata"] == {
        "cv_accuracy": 0.5
    }
    again = load_ensemble(folder)
    assert np.array_equal(again.predict_proba(x), ens.predict_proba(x))
    assert again.output_features == ["C", "H", "N"]
    assert [i["lr"] for i in again.member_info] == [1e-2, 1e-3, 1e-4]
    via_generic = omicsnet.load(folder)  # omicsnet.load recognises ensemble folders
    assert np.array_equal(via_generic.predict_proba(x), ens.predict_proba(x))
    single = omicsnet.load(folder / "member_01")  # each member loads on its own
    assert torch.equal(single(x), ens.members[1](x))
    with pytest.raises(FileExistsError):
        save_ensemble(ens, folder)


def test_loading_refuses_a_tampered_member(tmp_path):
    ens = _trained_like_ensemble()
    folder = ens.save(tmp_path / "ens")
    weights = folder / "member_01" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-8] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"member_01.*does not match the checksum"):
        load_ensemble(folder)


def test_loading_refuses_a_swapped_added_or_removed_member(tmp_path):
    ens = _trained_like_ensemble()
    folder = ens.save(tmp_path / "ens")
    other = tiny_model(output_features=["C", "H", "N"])
    # a complete, self-consistent model folder put in place of a member
    shutil.rmtree(folder / "member_02")
    omicsnet.save(other, folder / "member_02")
    with pytest.raises(CheckpointError, match=r"member_02.*does not match the checksum"):
        load_ensemble(folder)
    omicsnet.save(other, folder / "member_03")
    with pytest.raises(CheckpointError, match=r"not listed \['member_03'\]"):
        load_ensemble(folder)
    shutil.rmtree(folder / "member_03")
    shutil.rmtree(folder / "member_00")
    with pytest.raises(CheckpointError, match=r"missing \['member_00'\]"):
        load_ensemble(folder)
    manifest = json.loads((folder / "ensemble.json").read_text())
    manifest["members"][0]["folder"] = "../elsewhere"
    (folder / "ensemble.json").write_text(json.dumps(manifest))
    with pytest.raises(CheckpointError, match="invalid member folder"):
        load_ensemble(folder)


def test_train_ensemble_varies_seed_and_lr_and_times_members(tmp_path):
    g = torch.Generator().manual_seed(0)
    y = torch.arange(12) % 3
    x = torch.rand(12, 1, 32, 32, generator=g) * 1e5
    x[y == 1, :, 10:14, 10:14] = 1e8  # a class-specific "peak"
    data = omicsnet.ArrayDataset(x, y)
    result = train_ensemble(
        {"model": "lcms_densenet", "config": TINY},
        data,
        data,
        n_models=2,
        lrs=[3e-3, 1e-3],
        trainer_kwargs={
            "max_epochs": 2,
            "batch_size": 6,
            "progress": False,
            "checkpoint_dir": tmp_path,
        },
        class_weights="balanced",
        output_features=["C", "H", "N"],
    )
    table = result.members
    assert table["seed"].tolist() == [0, 1] and table["lr"].tolist() == [3e-3, 1e-3]
    assert (table["cpu_seconds"] > 0).all() and (table["epochs"] == 2).all()
    a, b = result.ensemble.members
    assert not torch.equal(a.classifier.weight, b.classifier.weight)
    assert (tmp_path / "member_00" / "last.pt").is_file() and (
        tmp_path / "member_01" / "best"
    ).is_dir()
    assert result.ensemble.output_features == ["C", "H", "N"]
    assert result.ensemble.predict_proba(data).shape == (12, 3)
    # batch-norm statistics were recalibrated on the training data after training
    before = {k: v.clone() for k, v in a.state_dict().items() if "running" in k}
    recalibrate_batchnorm(a, data, batch_size=6)
    for key, value in a.state_dict().items():
        if "running" in key:
            torch.testing.assert_close(value, before[key], rtol=1e-5, atol=1e-5)


def test_train_ensemble_argument_errors():
    data = omicsnet.ArrayDataset(torch.randn(6, 4), torch.tensor([0, 1, 2, 0, 1, 2]))
    spec = _mlp_spec()
    with pytest.raises(ConfigError, match="3 values for n_models=2"):
        train_ensemble(spec, data, n_models=2, lrs=[1e-3, 1e-3, 1e-3])
    with pytest.raises(ConfigError, match="either in lrs"):
        train_ensemble(spec, data, n_models=2, lrs=1e-3, trainer_kwargs={"lr": 1e-2})
    with pytest.raises(ConfigError, match="either plan or class_weights"):
        train_ensemble(spec, data, n_models=1, plan="classification", class_weights="balanced",
                       trainer_kwargs={"max_epochs": 1, "progress": False})  # fmt: skip


def test_weighted_plan_and_balanced_weights():
    assert balanced_class_weights([0, 0, 0, 1, 2, 2]) == pytest.approx([2 / 3, 2.0, 1.0])
    with pytest.raises(ConfigError, match=r"classes \[1\] have no training samples"):
        balanced_class_weights([0, 2, 2], n_classes=3)
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    target = torch.tensor([0, 1, 1])
    plan = WeightedClassificationPlan([1.0, 2.0])
    per_sample = F.cross_entropy(logits, target, reduction="none")
    expected = (per_sample * torch.tensor([1.0, 2.0, 2.0])).sum() / 5.0
    torch.testing.assert_close(plan.compute_loss(logits, target), expected)


def test_stratified_folds_balance_classes():
    y = np.repeat([0, 1, 2], 6)
    folds = stratified_folds(y, 3, seed=4)
    for f in range(3):
        assert np.bincount(y[folds == f], minlength=3).tolist() == [2, 2, 2]
    assert not np.array_equal(folds, stratified_folds(y, 3, seed=5))
    with pytest.raises(ConfigError, match="n_splits"):
        stratified_folds(y, 1)


@pytest.mark.slow
@pytest.mark.data
def test_ensemble_cross_validation_on_the_real_arrays(shared_data):
    """Pipeline check on the 18 DeepMSProfiler runs (a small DenseNet, few epochs).

    With n = 18 no accuracy threshold is meaningful: a 95 % interval around 0.5 spans about
    0.28-0.72. The benchmark reports the numbers; this test checks that everything runs.
    """
    from omicsnet.ms.arrays import (
        AugmentedDataset,
        default_augmentation,
        load_deepmsprofiler_arrays,
    )
    from omicsnet.train.ensemble import cross_validate_ensemble
    from omicsnet.train.metrics import classification_report

    arrays = load_deepmsprofiler_arrays(shared_data)
    config = {"pre_pool": 3, "input_size": [341, 341], "growth_rate": 8,
              "block_config": [2, 2, 2, 2], "init_features": 16}  # fmt: skip
    cv = cross_validate_ensemble(
        {"model": "lcms_densenet", "config": config},
        arrays,
        n_splits=3,
        n_models=2,
        lrs=[1e-3, 3e-4],
        trainer_kwargs={"max_epochs": 3, "batch_size": 4, "progress": False},
        augment=lambda d: AugmentedDataset(d, default_augmentation()),
    )
    assert list(cv.proba.columns) == ["cancer", "healthy", "nodule"]
    assert cv.proba.shape == (18, 3) and np.allclose(cv.proba.sum(1), 1.0, atol=1e-5)
    assert np.bincount(cv.folds).tolist() == [6, 6, 6]
    assert len(cv.members) == 6 and (cv.members["cpu_seconds"] > 0).all()
    report = classification_report(cv.y, cv.proba, n_boot=200)
    assert report.confusion.to_numpy().sum() == 18


def test_from_members_config_rebuilds_the_same_ensemble(tmp_path):
    ens = _trained_like_ensemble()
    rebuilt = omicsnet.create_model("ensemble", **ens.config)
    assert rebuilt.config == ens.config and rebuilt.model_name == ens.model_name
    rebuilt.load_state_dict(ens.state_dict())
    x = raw_batch(3, seed=4)
    assert np.array_equal(rebuilt.predict_proba(x), ens.predict_proba(x))
    # the generic zoo format works for an ensemble too (one weights file)
    again = omicsnet.load(omicsnet.save(ens, tmp_path / "generic"))
    assert np.array_equal(again.predict_proba(x), ens.predict_proba(x))
