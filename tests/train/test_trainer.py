"""The shared trainer: resume, early stopping, seeding, checkpoints, schedulers, callbacks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import Dataset

import omicsnet
from omicsnet.errors import CheckpointError, ConfigError
from omicsnet.train.callbacks import Callback, EarlyStopping
from omicsnet.train.trainer import Trainer


def make_model(seed: int = 1, **options):
    torch.manual_seed(seed)
    config = {"in_features": 6, "out_features": 3, "hidden": [16]} | options
    return omicsnet.create_model("mlp", **config)


def same_weights(a, b) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


class StopAt(Callback):
    """Simulates a killed job: raises after the given epoch's validation."""

    def __init__(self, epoch: int):
        self.epoch = epoch

    def on_epoch_end(self, trainer, epoch, logs):
        if epoch == self.epoch:
            raise KeyboardInterrupt


@pytest.mark.parametrize("scheduler", [None, "onecycle", "plateau"])
def test_interrupted_and_resumed_run_ends_with_the_same_weights(
    regression_data, tmp_path, scheduler
):
    train, val = regression_data
    options = {
        "max_epochs": 7,
        "batch_size": 16,
        "progress": False,
        "scheduler": scheduler,
        "restore_best": False,
        "early_stopping": 50,
    }
    straight = Trainer(checkpoint_dir=tmp_path / "a", **options).fit(
        make_model(dropout=0.2), train, val
    )

    with pytest.raises(KeyboardInterrupt):
        Trainer(checkpoint_dir=tmp_path / "b", callbacks=[StopAt(3)], **options).fit(
            make_model(dropout=0.2), train, val
        )
    # a different initialisation proves the weights come from the checkpoint
    resumed = Trainer(checkpoint_dir=tmp_path / "b", **options).fit(
        make_model(seed=99, dropout=0.2), train, val, resume=True
    )
    assert same_weights(straight.model, resumed.model)
    columns = ["epoch", "train_loss", "val_loss", "lr"]
    pd.testing.assert_frame_equal(straight.history[columns], resumed.history[columns])


def test_resume_refuses_missing_checkpoint_and_existing_runs(regression_data, tmp_path):
    train, _ = regression_data
    with pytest.raises(CheckpointError, match="cannot resume"):
        Trainer(checkpoint_dir=tmp_path / "x", progress=False).fit(make_model(), train, resume=True)
    Trainer(max_epochs=1, checkpoint_dir=tmp_path / "run", progress=False).fit(make_model(), train)
    with pytest.raises(CheckpointError, match="already holds a training run"):
        Trainer(max_epochs=1, checkpoint_dir=tmp_path / "run", progress=False).fit(
            make_model(), train
        )
    Trainer(max_epochs=1, checkpoint_dir=tmp_path / "run", overwrite=True, progress=False).fit(
        make_model(), train
    )
    with pytest.raises(ConfigError, match="needs the trainer's checkpoint_dir"):
        Trainer(progress=False).fit(make_model(), train, resume=True)


def test_checkpoint_files_history_csv_and_best_model(regression_data, tmp_path):
    train, val = regression_data
    result = Trainer(max_epochs=5, batch_size=32, checkpoint_dir=tmp_path, progress=False).fit(
        make_model(), train, val
    )
    assert (tmp_path / "last.pt").is_file()
    history = pd.read_csv(tmp_path / "history.csv")
    pd.testing.assert_frame_equal(history, result.history, check_dtype=False)
    assert list(history.columns[:3]) == ["epoch", "train_loss", "val_loss"]
    assert {"val_r2", "val_pearson", "lr", "seconds"} <= set(history.columns)
    best = omicsnet.load(tmp_path / "best")
    assert result.best_epoch == int(history["val_loss"].idxmin())
    assert same_weights(best, result.model)  # restore_best=True put the best weights back
    state = torch.load(tmp_path / "last.pt", weights_only=True)  # no pickle needed
    assert state["epoch"] == 4


def test_early_stopping_stops_after_patience(regression_data):
    train, _ = regression_data
    rng = np.random.default_rng(5)
    noise_val = omicsnet.ArrayDataset(
        rng.normal(size=(40, 6)).astype("float32"), rng.normal(size=(40, 3)).astype("float32")
    )
    stopper = EarlyStopping(patience=3)
    result = Trainer(max_epochs=200, lr=0.01, early_stopping=stopper, progress=False).fit(
        make_model(), train, noise_val
    )
    assert result.stopped_early
    assert len(result.history) == result.best_epoch + 3 + 1
    assert stopper.stopped_epoch == len(result.history) - 1
    assert result.best_score == pytest.approx(result.history["val_loss"].min())


def test_early_stopping_can_monitor_a_maximised_metric(regression_data):
    train, val = regression_data
    result = Trainer(
        max_epochs=30, monitor="val_r2", mode="max", early_stopping=2, progress=False
    ).fit(make_model(), train, val)
    assert result.monitor == "val_r2"
    assert result.best_score == pytest.approx(result.history["val_r2"].max())


def test_unknown_monitor_is_a_config_error(regression_data):
    train, val = regression_data
    with pytest.raises(ConfigError, match="monitor 'val_auc' is not among the logged metrics"):
        Trainer(max_epochs=2, monitor="val_auc", progress=False).fit(make_model(), train, val)


def test_same_seed_same_run_different_seed_different_run(regression_data):
    train, val = regression_data

    def run(seed):
        trainer = Trainer(max_epochs=3, batch_size=16, seed=seed, progress=False)
        return trainer.fit(make_model(dropout=0.3), train, val).model

    assert same_weights(run(4), run(4))
    assert not same_weights(run(4), run(5))


def test_generic_dataset_path_matches_the_in_memory_fast_path(regression_data):
    train, _ = regression_data

    class DictDataset(Dataset):
        def __init__(self, inner):
            self.inner = inner

        def __len__(self):
            return len(self.inner)

        def __getitem__(self, i):
            return self.inner[i]

    options = {"max_epochs": 3, "batch_size": 16, "progress": False}
    fast = Trainer(**options).fit(make_model(), train).model
    slow = Trainer(**options).fit(make_model(), DictDataset(train)).model
    for a, b in zip(fast.parameters(), slow.parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_gradient_clipping_bounds_each_update(regression_data):
    train, _ = regression_data
    model = make_model()
    before = torch.nn.utils.parameters_to_vector(model.parameters()).clone()
    Trainer(
        max_epochs=1,
        batch_size=len(train),
        optimizer="sgd",
        lr=1.0,
        grad_clip=1e-3,
        shuffle=False,
        progress=False,
    ).fit(model, train)
    step = torch.nn.utils.parameters_to_vector(model.parameters()) - before
    assert step.norm() <= 1e-3 + 1e-6


@pytest.mark.parametrize("name", ["adam", "adamw", "sgd", "rmsprop", "adamax"])
def test_optimizers_by_name_reduce_the_loss(regression_data, name):
    train, _ = regression_data
    result = Trainer(max_epochs=15, optimizer=name, lr=0.01, progress=False).fit(
        make_model(), train
    )
    assert result.history["train_loss"].iloc[-1] < result.history["train_loss"].iloc[0]


@pytest.mark.parametrize("name", ["cosine", "step", "exponential", "onecycle", "linear", "plateau"])
def test_schedulers_by_name_change_the_learning_rate(regression_data, name):
    train, val = regression_data
    kwargs = {"plateau": {"patience": 0, "factor": 0.5, "threshold": 0.99}}.get(name, {})
    result = Trainer(
        max_epochs=6, lr=0.01, scheduler=name, scheduler_kwargs=kwargs, progress=False
    ).fit(make_model(), train, val)
    assert result.history["lr"].nunique() > 1


def test_unknown_names_are_config_errors(regression_data):
    train, _ = regression_data
    with pytest.raises(ConfigError, match="unknown optimizer 'adamz'"):
        Trainer(optimizer="adamz", progress=False).fit(make_model(), train)
    with pytest.raises(ConfigError, match="unknown scheduler 'cosin'"):
        Trainer(scheduler="cosin", progress=False).fit(make_model(), train)
    with pytest.raises(ConfigError, match="has no option 'gama'"):
        Trainer(scheduler="step", scheduler_kwargs={"gama": 0.1}, progress=False).fit(
            make_model(), train
        )
    with pytest.raises(ConfigError, match="precision"):
        Trainer(precision="fp8")


def test_divergence_is_reported(regression_data):
    train, _ = regression_data
    x = train.tensors["x"] * 1e20
    with pytest.raises(ConfigError, match="training diverged"):
        Trainer(max_epochs=2, optimizer="sgd", lr=1e6, progress=False).fit(
            make_model(), omicsnet.ArrayDataset(x, train.tensors["y"])
        )


def test_callbacks_see_every_epoch_and_batch(regression_data):
    train, val = regression_data
    events: list[tuple] = []

    class Recorder(Callback):
        def on_fit_start(self, trainer, model):
            events.append(("start",))

        def on_batch_end(self, trainer, epoch, step, loss):
            events.append(("batch", epoch, step))

        def on_epoch_end(self, trainer, epoch, logs):
            events.append(("epoch", epoch, round(logs["train_loss"], 6)))

        def on_fit_end(self, trainer, result):
            events.append(("end", len(result.history)))

    Trainer(max_epochs=2, batch_size=64, callbacks=[Recorder()], progress=False).fit(
        make_model(), train, val
    )
    kinds = [e[0] for e in events]
    assert kinds == ["start", "batch", "batch", "epoch", "batch", "batch", "epoch", "end"]


def test_classification_metrics_and_predict_frame():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 4)).astype("float32")
    labels = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0).astype(np.int64)
    data = omicsnet.ArrayDataset(
        pd.DataFrame(x, index=[f"S{i}" for i in range(120)]),
        pd.Series(labels).set_axis([f"S{i}" for i in range(120)]),
    )
    torch.manual_seed(0)
    model = omicsnet.create_model(
        "mlp",
        in_features=4,
        out_features=3,
        task="classification",
        output_features=["low", "mid", "high"],
    )
    trainer = Trainer(max_epochs=40, lr=0.01, progress=False)
    trainer.fit(model, data)
    metrics = trainer.evaluate(model, data)
    assert metrics["accuracy"] > 0.8
    assert 0 <= metrics["balanced_accuracy"] <= 1
    frame = trainer.predict(model, data, as_frame=True)
    assert frame.shape == (120, 3)
    assert list(frame.columns) == ["low", "mid", "high"] and frame.index[0] == "S0"


def test_binary_plan_auc_known_answer():
    from omicsnet.train.plans import BinaryPlan, roc_auc

    assert roc_auc(torch.tensor([0.1, 0.4, 0.35, 0.8]), torch.tensor([0, 0, 1, 1])) == 0.75
    metrics = BinaryPlan().metrics(torch.tensor([-2.0, 1.0, 3.0]), torch.tensor([0.0, 0.0, 1.0]))
    assert metrics["auc"] == 1.0 and metrics["accuracy"] == pytest.approx(2 / 3)


def test_regression_metrics_known_answer():
    from omicsnet.train.plans import RegressionPlan

    y = torch.tensor([[1.0], [2.0], [3.0], [4.0]])
    metrics = RegressionPlan().metrics(y + 1.0, y)
    assert metrics["pearson"] == pytest.approx(1.0)
    assert metrics["mse"] == pytest.approx(1.0)
    assert metrics["r2"] == pytest.approx(1 - 4 / 5)


def test_auto_device_and_explicit_missing_cuda():
    from omicsnet.nn.devices import resolve_device

    assert resolve_device("auto").type in {"cpu", "cuda", "mps"}
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="CUDA is not available"):
            resolve_device("cuda")
    with pytest.raises(ConfigError, match="unknown device"):
        resolve_device("tpu9")


def test_a_reused_trainer_starts_each_run_afresh(regression_data):
    train, val = regression_data
    trainer = Trainer(max_epochs=6, lr=0.01, early_stopping=3, progress=False)
    first = trainer.fit(make_model(), train, val)
    assert len(first.history) == 6  # still improving: no early stop
    second = trainer.fit(make_model(seed=2), train)  # no validation data this time
    assert second.monitor == "train_loss"
    assert len(second.history) == 6  # early stopping did not keep the first run's best
    assert trainer.monitor is None


def test_resume_with_different_callbacks_is_refused(regression_data, tmp_path):
    train, val = regression_data
    with pytest.raises(KeyboardInterrupt):
        Trainer(max_epochs=4, checkpoint_dir=tmp_path, callbacks=[StopAt(1)], progress=False).fit(
            make_model(), train, val
        )
    with pytest.raises(CheckpointError, match="no saved state for the EarlyStopping callback"):
        Trainer(max_epochs=4, checkpoint_dir=tmp_path, early_stopping=2, progress=False).fit(
            make_model(), train, val, resume=True
        )


def test_plateau_scheduler_follows_the_trainer_mode(regression_data):
    train, val = regression_data
    result = Trainer(
        max_epochs=8,
        lr=0.01,
        scheduler="plateau",
        scheduler_kwargs={"patience": 0},
        monitor="val_r2",
        mode="max",
        progress=False,
    ).fit(make_model(), train, val)
    improving = result.history["val_r2"].is_monotonic_increasing
    assert improving and result.history["lr"].nunique() == 1  # rising R² never cuts the LR


def test_predict_uses_the_given_plan():
    from omicsnet.train.plans import RegressionPlan

    class OtherKey(RegressionPlan):
        input_key = "rna"

    model = make_model()
    data = omicsnet.ArrayDataset({"rna": torch.randn(5, 6)})
    out = Trainer(progress=False).predict(model, data, plan=OtherKey())
    assert out.shape == (5, 3)
