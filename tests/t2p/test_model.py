"""The residual_mlp model, its masked training plan and train_t2p."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import omicsnet
from omicsnet.errors import ConfigError
from omicsnet.models import create_model
from omicsnet.t2p.model import DenseBlock, ResidualBlock
from omicsnet.t2p.plans import MaskedRegressionPlan
from omicsnet.t2p.train import build_t2p_model, train_t2p
from omicsnet.train.callbacks import Callback

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def zero_head(model):
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()


def test_residual_path_adds_the_chosen_inputs_before_the_output():
    model = create_model(
        "residual_mlp",
        in_features=5,
        out_features=3,
        blocks=[{"type": "fc", "layers": 2, "width": 7, "dropout": 0.3, "batch_norm": True}],
        residual={"enabled": True, "indices": [4, -1, 0]},
    ).eval()
    zero_head(model)
    x = torch.randn(6, 5)
    expected = torch.stack([x[:, 4], torch.zeros(6), x[:, 0]], dim=1)
    torch.testing.assert_close(model(x), expected)
    with torch.no_grad():
        model.residual_gain.copy_(torch.tensor([0.5, 3.0, -1.0]))
    torch.testing.assert_close(model(x), expected * torch.tensor([0.5, 0.0, -1.0]))


def test_residual_off_is_the_plain_block_stack():
    kwargs = {"in_features": 4, "out_features": 2, "blocks": [{"width": 3}]}
    off = create_model("residual_mlp", residual={"enabled": False, "indices": None}, **kwargs)
    assert not hasattr(off, "residual_gain") and "residual_index" not in off.state_dict()
    off.eval()
    x = torch.randn(5, 4)
    by_hand = off.head(off.blocks[0](x))
    torch.testing.assert_close(off(x), by_hand)
    zero_head(off)
    assert torch.count_nonzero(off(x)) == 0
    loss = off(x).sum() + off.blocks[0].layers[0][0].weight.sum()
    loss.backward()  # the no-residual path trains


def test_default_indices_are_identity_and_checked():
    model = create_model("residual_mlp", in_features=4, out_features=2, blocks=[])
    zero_head(model)
    x = torch.randn(3, 4)
    torch.testing.assert_close(model(x), x[:, :2])
    with pytest.raises(ConfigError, match="needs out_features"):
        create_model("residual_mlp", in_features=2, out_features=4, blocks=[])
    with pytest.raises(ConfigError, match=r"residual indices must be in \[-1, 4\)"):
        create_model("residual_mlp", in_features=4, out_features=2, residual={"indices": [0, 9]})
    with pytest.raises(ConfigError, match="2 given for 3 outputs"):
        create_model("residual_mlp", in_features=4, out_features=3, residual={"indices": [0, 1]})


def test_residual_block_skip_mask():
    spec = {"type": "residual", "layers": 2, "width": 4, "activation": "identity"}
    block = create_model(
        "residual_mlp",
        in_features=4,
        out_features=1,
        blocks=[{**spec, "skip": [True, False]}],
        residual={"enabled": False},
    ).blocks[0]
    assert isinstance(block, ResidualBlock) and isinstance(block.project, torch.nn.Identity)
    x = torch.randn(3, 4)
    first, second = block.layers
    torch.testing.assert_close(block(x), second(first(x) + x))
    block.skip = [False, True]
    torch.testing.assert_close(block(x), second(first(x)) + x)
    wide = ResidualBlock(6, {**spec, "skip": [False, True], "batch_norm": False, "dropout": 0.0})
    assert isinstance(wide.project, torch.nn.Linear) and wide.project.weight.shape == (4, 6)
    assert wide(torch.randn(2, 6)).shape == (2, 4)


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        ([{"width": 4}] * 4, "at most 3 blocks"),
        ([{"type": "conv"}], "type must be one of"),
        ([{"layers": 4}], "layers must be 1 to 3"),
        ([{"width": 0}], "width must be a positive integer"),
        ([{"dropout": 1.0}], r"dropout must be in \[0, 1\)"),
        ([{"activation": "swishy"}], "unknown activation 'swishy'"),
        ([{"type": "residual", "layers": 2, "skip": [True]}], "skip must be 2 booleans"),
        ([{"type": "fc", "skip": [True]}], "'skip' applies to residual blocks only"),
        ([{"depth": 2}], r"unknown keys \['depth'\]"),
    ],
)
def test_bad_block_configs_are_config_errors(blocks, message):
    with pytest.raises(ConfigError, match=message):
        create_model("residual_mlp", in_features=4, out_features=2, blocks=blocks)


def test_paper_architecture_builds_and_round_trips(tmp_path):
    blocks = [
        {"type": "fc", "layers": 1, "width": 31, "activation": "sigmoid", "dropout": 0.52},
        {
            "type": "residual",
            "layers": 3,
            "width": 50,
            "activation": "leaky_relu_0.01",
            "dropout": 0.69,
        },
        {"type": "fc", "layers": 1, "width": 12, "activation": "tanh", "dropout": 0.9},
    ]
    model = create_model(
        "residual_mlp",
        in_features=20,
        out_features=12,
        blocks=blocks,
        residual={"indices": list(range(12))},
    )
    assert [type(b) for b in model.blocks] == [DenseBlock, ResidualBlock, DenseBlock]
    assert model.config["blocks"][1]["type"] == "residual"
    omicsnet.save(model, tmp_path / "m")
    loaded = omicsnet.load(tmp_path / "m")
    x = torch.randn(4, 20)
    torch.testing.assert_close(model.eval()(x), loaded.eval()(x))


def test_masked_plan_ignores_missing_targets():
    plan = MaskedRegressionPlan()
    outputs = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = torch.tensor([[0.0, 99.0], [3.0, 2.0]])
    mask = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    target = plan.target({"y": y, "mask": mask})
    assert torch.isnan(target[0, 1]) and target[1, 1] == 2.0
    loss = plan.compute_loss(outputs, target)
    assert float(loss.detach()) == pytest.approx((1 + 0 + 4) / 3)
    loss.backward()
    assert outputs.grad[0, 1] == 0 and torch.isfinite(outputs.grad).all()
    metrics = plan.metrics(
        torch.tensor([[1.0], [2.0], [3.0], [9.0]]),
        torch.tensor([[1.0], [2.0], [3.0], [float("nan")]]),
    )
    assert metrics["pearson_median"] == pytest.approx(1.0) and metrics["mse"] == 0.0


def synthetic_scaled(n=60, seed=0):
    from omicsnet.t2p.data import t2p_from_tables, t2p_splits

    rng = np.random.default_rng(seed)
    rna = pd.DataFrame(rng.normal(size=(n, 8)), columns=[f"G{i}" for i in range(8)])
    rna.index = [f"S{i}" for i in range(n)]
    protein = 0.8 * rna[["G0", "G1", "G2"]] + 0.3 * rng.normal(size=(n, 3))
    protein.iloc[3, 1] = np.nan
    data = t2p_from_tables(rna, protein, genes_in_rows=False)
    return data.scaled(next(iter(t2p_splits(data, scheme="standard", seed=seed))))


class CountSteps(Callback):
    def __init__(self):
        self.steps = 0

    def on_batch_end(self, trainer, epoch, step, loss):
        self.steps += 1


@pytest.mark.parametrize("batch_size", [4, 16])
def test_train_t2p_really_uses_the_batch_size(batch_size):
    scaled = synthetic_scaled()
    counter = CountSteps()
    result = train_t2p(
        {"blocks": [{"width": 8, "batch_norm": True}]},
        scaled,
        batch_size=batch_size,
        lr=0.01,
        max_epochs=2,
        early_stopping=None,
        trainer_config={"callbacks": [counter]},
        device="cpu",
    )
    n_train = len(scaled.train_ids)  # 48
    assert counter.steps == 2 * -(-n_train // batch_size)
    assert result.batch_size == batch_size
    with pytest.raises(ConfigError, match="pass batch_size as train_t2p"):
        train_t2p({"blocks": []}, scaled, trainer_config={"batch_size": 8})


def test_train_t2p_learns_and_residual_indices_come_from_the_data():
    scaled = synthetic_scaled()
    model = build_t2p_model({"blocks": []}, scaled)
    assert model.residual_index.tolist() == [0, 1, 2] and model.input_features[:2] == ["G0", "G1"]
    result = train_t2p(
        {"blocks": [{"width": 16}], "residual": {"enabled": True}},
        scaled,
        batch_size=8,
        lr=0.01,
        max_epochs=40,
        device="cpu",
    )
    assert result.test_metrics["pearson_r_median"] > 0.8
    assert list(result.predictions.columns) == scaled.proteins
    assert result.val_loss == pytest.approx(result.history["val_loss"].min())
    off = train_t2p(
        {"blocks": [{"width": 16}], "residual": {"enabled": False}},
        scaled,
        batch_size=8,
        lr=0.01,
        max_epochs=40,
        device="cpu",
    )
    assert not off.model.residual_enabled and np.isfinite(off.val_loss)
    with pytest.raises(ConfigError, match="in_features=3 does not match the data"):
        build_t2p_model({"in_features": 3}, scaled)


def test_fit_initialisation_starts_from_the_own_mrna_linear_model():
    from omicsnet.t2p.baselines import fit_baselines

    scaled = synthetic_scaled()
    model = build_t2p_model({"blocks": [{"width": 8, "dropout": 0.2}]}, scaled).eval()
    with torch.no_grad():
        start = model(torch.as_tensor(scaled.x_test)).numpy()
    linear = fit_baselines(scaled, names=("linear_own_mrna",), include_val=False)
    np.testing.assert_allclose(start, linear["linear_own_mrna"].to_numpy(), atol=1e-5)
    ones = build_t2p_model({"blocks": []}, scaled, residual_init="ones")
    assert ones.residual_gain.tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(ConfigError, match="residual_init must be one of"):
        build_t2p_model({"blocks": []}, scaled, residual_init="zeros")


def test_train_t2p_is_reproducible():
    scaled = synthetic_scaled()
    runs = [
        train_t2p({"blocks": [{"width": 8}]}, scaled, batch_size=8, max_epochs=3, device="cpu")
        for _ in range(2)
    ]
    pd.testing.assert_frame_equal(runs[0].predictions, runs[1].predictions)


def test_linear_path_starts_as_the_two_stage_ridge_and_stays_frozen(tmp_path):
    from omicsnet.t2p.baselines import fit_baselines

    scaled = synthetic_scaled()
    config = {"blocks": [{"width": 8, "dropout": 0.2}], "linear_path": True}
    model = build_t2p_model(config, scaled).eval()
    assert model.linear_rank == len(scaled.train_ids)
    with torch.no_grad():
        start = model(torch.as_tensor(scaled.x_test)).numpy()
    # the untrained network predicts exactly the baseline fitted on the same samples
    ridge = fit_baselines(
        scaled,
        names=("ridge_own_residual",),
        include_val=False,
        top_variable=len(scaled.transcripts),
    )
    np.testing.assert_allclose(start, ridge["ridge_own_residual"].to_numpy(), atol=1e-4)
    frozen = {k: v.clone() for k, v in model.state_dict().items() if k.startswith("linear_")}
    result = train_t2p(config, scaled, batch_size=8, lr=0.01, max_epochs=3, device="cpu")
    trained = result.model.state_dict()
    assert set(frozen) == {"linear_in.weight", "linear_in.bias", "linear_out.weight"}
    for key, value in frozen.items():
        assert torch.equal(trained[key], value), key
    assert not torch.equal(trained["head.weight"], torch.zeros_like(trained["head.weight"]))
    omicsnet.save(result.model, tmp_path / "m")
    loaded = omicsnet.load(tmp_path / "m").eval()
    x = torch.as_tensor(scaled.x_test)
    torch.testing.assert_close(loaded(x), result.model.eval()(x))


def test_linear_path_without_the_residual_and_for_a_protein_without_mrna(tmp_path):
    from omicsnet.t2p.data import t2p_from_tables, t2p_splits
    from omicsnet.t2p.linear import own_residual_ridge

    rng = np.random.default_rng(1)
    rna = pd.DataFrame(rng.normal(size=(60, 8)), columns=[f"G{i}" for i in range(8)])
    rna.index = [f"S{i}" for i in range(60)]
    protein = pd.DataFrame({"G0": rna["G0"] + rna["G5"], "P_X": rna["G6"] - rna["G7"]})
    protein += 0.3 * rng.normal(size=protein.shape)
    protein.iloc[4, 0] = np.nan
    data = t2p_from_tables(rna, protein, genes_in_rows=False)
    scaled = data.scaled(next(iter(t2p_splits(data, scheme="standard", seed=0))))
    x_test = torch.as_tensor(scaled.x_test)
    x, y = scaled.x_train.astype(float), scaled.y_train.astype(float)
    for residual_on in (True, False):
        config = {"blocks": [], "residual": {"enabled": residual_on}, "linear_path": True}
        model = build_t2p_model(config, scaled).eval()
        assert model.residual_enabled is residual_on
        own = np.asarray(scaled.own_index) if residual_on else np.array([-1, -1])
        assert own.tolist() == ([0, -1] if residual_on else [-1, -1])
        intercept, slope, ridge = own_residual_ridge(x, y, own)
        z = scaled.x_test.astype(float)
        expected = intercept + slope * np.where(own >= 0, z[:, np.clip(own, 0, None)], 0.0)
        with torch.no_grad():
            start = model(x_test).numpy()
        np.testing.assert_allclose(start, expected + ridge.predict(z), atol=1e-4)
    assert not model.linear_in.weight.requires_grad
    omicsnet.save(model, tmp_path / "m")
    loaded = omicsnet.load(tmp_path / "m")
    assert not loaded.linear_in.weight.requires_grad  # still frozen after loading
    trainable = build_t2p_model({"blocks": [], "linear_path": True}, scaled, residual_init="ones")
    assert trainable.linear_in.weight.requires_grad


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_bad_linear_ranks_are_config_errors(bad):
    with pytest.raises(ConfigError, match="linear_rank must be a whole number"):
        create_model("residual_mlp", in_features=4, out_features=2, linear_rank=bad)
