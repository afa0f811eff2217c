"""peak_cnn: NeatMS's architecture, freezing, L2, separation of generated peaks, predictions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import omicsnet
from omicsnet.errors import ConfigError, DataError
from omicsnet.ms.feature_tables import read_feature_table
from omicsnet.peaks.matrices import build_peak_matrices
from omicsnet.peaks.synthetic import write_labelled_peak_set
from omicsnet.peaks.workflows import (
    normalise_labels,
    predict_feature_table,
    predict_matrices,
    threshold_sweep,
    train_peak_model,
    train_peaks,
)
from omicsnet.utils.io import OutputExistsError


def test_architecture_matches_neatms_keras_model():
    model = omicsnet.create_model("peak_cnn")
    # Keras summary of NeatMS's model: conv2d_1 832, conv2d_2 18,496, dense_1 983,168
    # (64 channels x 2 x 60 = 7,680 inputs), dense_prediction 387
    sizes = {
        name: sum(p.numel() for p in getattr(model, name).parameters())
        for name in ("conv1", "conv2", "dense", "output")
    }
    assert sizes == {"conv1": 832, "conv2": 18496, "dense": 983168, "output": 387}
    assert model.dropout.p == 0.5
    assert model.output_features == ["High", "Low", "Noise"]


def test_freeze_really_stops_gradients_and_updates(one_torch_thread):
    torch.manual_seed(0)
    model = omicsnet.create_model("peak_cnn")
    assert model.freeze(["conv1", "conv2"]) == ["conv1", "conv2"]
    x, y = model.example_input(8), torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    assert model.conv1.weight.grad is None and model.conv2.bias.grad is None
    assert model.dense.weight.grad.abs().sum() > 0 and model.output.weight.grad.abs().sum() > 0

    # through the shared trainer: frozen weights stay bit-identical, the others move
    before = {k: v.clone() for k, v in model.state_dict().items()}
    data = omicsnet.ArrayDataset(x.numpy(), y.numpy())
    omicsnet.Trainer(max_epochs=2, batch_size=4, lr=1e-3, progress=False).fit(model, data)
    after = model.state_dict()
    for key in before:
        same = torch.equal(before[key], after[key])
        assert same == key.startswith(("conv1.", "conv2.")), key

    assert model.unfreeze() == []
    model.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    assert model.conv1.weight.grad.abs().sum() > 0
    assert model.freeze(3) == ["conv1", "conv2", "dense"]
    with pytest.raises(ConfigError, match="no layer 'pool'"):
        model.freeze(["pool"])


def test_l2_penalty_is_keras_l2_on_the_dense_kernel_only():
    from omicsnet.peaks.model import PeakTrainingPlan

    model = omicsnet.create_model("peak_cnn").eval()
    batch = {"x": model.example_input(4), "y": torch.tensor([0, 1, 2, 0])}
    loss, outputs = PeakTrainingPlan().step(model, batch)
    plain = torch.nn.functional.cross_entropy(outputs, batch["y"])
    expected = 1e-3 * (model.dense.weight**2).sum()
    assert float((loss - plain).detach()) == pytest.approx(float(expected.detach()), rel=1e-5)
    assert type(omicsnet.train.plans.resolve_plan(None, model)) is PeakTrainingPlan


def test_shape_mismatch_states_both_shapes():
    model = omicsnet.create_model("peak_cnn")
    with pytest.raises(DataError, match=r"\(batch, 2, 120\).*got \(3, 2, 100\)"):
        model(torch.zeros(3, 2, 100))
    with pytest.raises(DataError, match=r"got \(3, 3, 120\)"):
        model(torch.zeros(3, 3, 120))


def test_threshold_sweep_follows_neatms_rates():
    proba = np.array([[0.9, 0.1, 0.0], [0.7, 0.2, 0.1], [0.3, 0.6, 0.1], [0.8, 0.1, 0.1]])
    y = np.array([0, 0, 1, 2])
    sweep = threshold_sweep(proba, y).set_index("threshold")
    assert sweep.loc[0.0, ["true", "false", "false_Low", "false_Noise"]].tolist() == [2, 2, 1, 1]
    assert sweep.loc[0.75, ["true_rate", "false_rate", "difference"]].tolist() == [0.5, 0.5, 0.0]
    assert sweep.loc[0.5, "difference"] == pytest.approx(0.5)
    best = threshold_sweep(proba, y).attrs["best_threshold"]
    # best difference 0.5 in two ranges: 0.31-0.70 (both High and the Noise peak above)
    # and 0.81-0.90 (one High, nothing else); the middle of the first range is taken
    assert best == pytest.approx(0.5, abs=0.011)
    with pytest.raises(DataError, match="label 'Bad'"):
        normalise_labels(pd.Series({"f1": "Bad"}))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A peak_cnn trained from scratch on a generated run (train/val/test split inside)."""
    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp("peaks")
    peak_set = write_labelled_peak_set(folder / "train", n_per_class=40, seed=1)
    result, matrices = train_peaks(
        peak_set.mzml,
        peak_set.features,
        folder / "run",
        epochs=25,
        lr=1e-3,
        batch_size=32,
        early_stopping=None,
        progress=False,
    )
    return folder, peak_set, result, matrices


def test_peak_cnn_separates_clean_truncated_and_noise_peaks(trained):
    folder, _, result, _ = trained
    other = write_labelled_peak_set(folder / "other", n_per_class=30, seed=2)
    matrices = build_peak_matrices(other.mzml, read_feature_table(other.features))
    predicted = predict_matrices(result.model, matrices)
    truth = other.table.loc[predicted.index, "label"]
    most_likely = predicted[["p_High", "p_Low", "p_Noise"]].idxmax(axis=1).str[2:]
    recall = (most_likely == truth).groupby(truth).mean()
    assert (most_likely == truth).mean() >= 0.85, recall.to_dict()
    assert recall.min() >= 0.7, recall.to_dict()
    # the clean peaks are told apart from the truncated/partial ones specifically
    kinds = other.table.loc[predicted.index, "kind"]
    truncated = kinds.str.startswith("Low (truncated")
    assert (most_likely[truncated] != "High").mean() >= 0.7


def test_transfer_learning_keeps_frozen_layers_of_the_base_model(trained):
    folder, peak_set, _, matrices = trained
    base = omicsnet.load(folder / "run" / "model")
    tuned = train_peak_model(
        matrices,
        peak_set.table["label"],
        base_model=folder / "run",
        freeze=["conv1", "conv2"],
        epochs=2,
        lr=1e-3,
        progress=False,
    )
    assert tuned.frozen == ["conv1", "conv2"]
    for name in ("conv1", "conv2"):
        for a, b in zip(
            getattr(base, name).parameters(), getattr(tuned.model, name).parameters(), strict=True
        ):
            assert torch.equal(a, b)
    assert not torch.equal(base.dense.weight, tuned.model.dense.weight)


def test_predictions_written_onto_a_copy_with_user_ids(trained):
    folder, peak_set, result, _ = trained
    out = folder / "predicted.csv"
    frame = predict_feature_table(folder / "run", peak_set.mzml, peak_set.features, out)
    copy = pd.read_csv(out, dtype={"id": str})
    original = pd.read_csv(peak_set.features, dtype={"id": str})
    assert copy["id"].tolist() == original["id"].tolist()  # every row, same order and IDs
    pd.testing.assert_frame_equal(copy[original.columns], original)
    assert {"peak_quality", "peak_quality_p_High", "peak_quality_skipped"} <= set(copy.columns)
    labelled = copy.dropna(subset=["peak_quality"])
    assert set(labelled["peak_quality"]) <= {"High", "Low", "Noise"}
    assert frame.attrs["threshold"] == pytest.approx(result.threshold)
    skipped = copy[copy["peak_quality"].isna()]
    assert skipped["peak_quality_skipped"].notna().all()
    with pytest.raises(OutputExistsError):
        predict_feature_table(folder / "run", peak_set.mzml, peak_set.features, peak_set.features)
    with pytest.raises(DataError, match=r"shape \(2, 120\) but the inputs are \(2, 100\)"):
        predict_feature_table(
            folder / "run", peak_set.mzml, peak_set.features, folder / "x.csv", n_points=100
        )


@pytest.mark.slow
def test_neatms_default_learning_rate_learns(tmp_path, one_torch_thread):
    """Adam at NeatMS's 1e-5 (the default) gets there too, given enough epochs."""
    peak_set = write_labelled_peak_set(tmp_path / "set", n_per_class=60, seed=4)
    matrices = build_peak_matrices(peak_set.mzml, read_feature_table(peak_set.features))
    result = train_peak_model(
        matrices, peak_set.table["label"], epochs=80, batch_size=16, progress=False
    )
    assert result.history["train_loss"].iloc[-1] < result.history["train_loss"].iloc[0]
    assert result.test_metrics["balanced_accuracy"] >= 0.85
