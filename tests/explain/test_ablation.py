"""Deletion/insertion curves and the background-category analysis (omicsnet.explain.ablation)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from omicsnet.errors import ConfigError, DataError
from omicsnet.explain import (
    CurveResult,
    SaliencyMap,
    as_predict_proba,
    background_categories,
    background_category_analysis,
    deletion_insertion,
    plot_background,
    remove_top_signals,
    rise_maps,
    save_figure,
)

REGION = (slice(4, 10), slice(12, 20))


pytestmark = pytest.mark.usefixtures("one_torch_thread")


class RegionModel(nn.Module):
    """Two classes; class 1 wins when the fixed region is bright."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        inside = x[:, :, REGION[0], REGION[1]].mean(dim=(1, 2, 3))
        return torch.stack([torch.zeros_like(inside), 10.0 * inside - 3.0], dim=1)


def region_inputs(n: int = 4, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return 0.5 + 0.5 * torch.rand(n, 1, 24, 24, generator=generator)


# ---------------------------------------------------------------------------- deletion/insertion
def test_rise_order_beats_random_order():
    model, x = RegionModel(), region_inputs()
    maps = rise_maps(model, x, n_masks=400, progress=False)
    result = deletion_insertion(model, x, maps, steps=16, n_random=3, seed=0)
    summary = result.summary()
    assert set(summary.index) == {"deletion", "insertion"}
    assert summary.loc["deletion", "saliency_better"] == 1.0
    assert summary.loc["insertion", "saliency_better"] == 1.0
    assert summary.loc["deletion", "difference"] < -0.1
    assert summary.loc["insertion", "difference"] > 0.1
    assert (summary["n_samples"] == 4).all()
    assert set(result.auc["target"]) == {1}  # the predicted class by default


def test_curve_end_points_and_shape():
    model, x = RegionModel(), region_inputs(2)
    predict = as_predict_proba(model)
    full, empty = predict(x)[:, 1], predict(torch.zeros_like(x))[:, 1]
    saliency = np.random.default_rng(0).random((2, 24, 24))
    result = deletion_insertion(model, x, saliency, targets=[1, 1], steps=8, n_random=2)
    curves = result.curves
    assert len(curves) == 2 * 2 * 2 * 9  # samples x modes x orders x (steps + 1)
    for i in range(2):
        for order in ("saliency", "random"):
            deletion = curves[(curves["sample"] == i) & (curves["mode"] == "deletion")]
            deletion = deletion[deletion["order"] == order].sort_values("fraction")
            insertion = curves[(curves["sample"] == i) & (curves["mode"] == "insertion")]
            insertion = insertion[insertion["order"] == order].sort_values("fraction")
            assert deletion["fraction"].tolist() == pytest.approx(np.linspace(0, 1, 9))
            assert deletion["score"].iloc[0] == pytest.approx(full[i], abs=1e-6)
            assert deletion["score"].iloc[-1] == pytest.approx(empty[i], abs=1e-6)
            assert insertion["score"].iloc[0] == pytest.approx(empty[i], abs=1e-6)
            assert insertion["score"].iloc[-1] == pytest.approx(full[i], abs=1e-6)
    assert (result.auc["auc"].between(0, 1)).all()
    assert (result.auc.loc[result.auc["order"] == "saliency", "auc_std"] == 0).all()


def test_random_orders_are_seeded():
    model, x = RegionModel(), region_inputs(1)
    saliency = np.zeros((24, 24))
    a = deletion_insertion(model, x, saliency, steps=6, n_random=2, seed=4).auc
    b = deletion_insertion(model, x, saliency, steps=6, n_random=2, seed=4).auc
    c = deletion_insertion(model, x, saliency, steps=6, n_random=2, seed=5).auc
    assert a.equals(b) and not a.equals(c)
    only_saliency = deletion_insertion(model, x, saliency, steps=4, n_random=0, modes=["deletion"])
    assert set(only_saliency.auc["order"]) == {"saliency"}
    assert np.isnan(only_saliency.summary().loc["deletion", "random_auc"])


def test_saliency_forms_agree():
    model, x = RegionModel(), region_inputs(2)
    maps = rise_maps(model, x, n_masks=60, progress=False)
    reference = deletion_insertion(model, x, maps, steps=5, n_random=0).auc["auc"].to_numpy()
    as_4d = deletion_insertion(model, x, maps.values, steps=5, n_random=0)
    as_3d = deletion_insertion(model, x, maps.values[:, 1], steps=5, n_random=0)
    np.testing.assert_allclose(as_4d.auc["auc"], reference)
    np.testing.assert_allclose(as_3d.auc["auc"], reference)
    profile = SaliencyMap(maps.values[0], classes=maps.classes)
    by_profile = deletion_insertion(model, x, profile, targets=["class_1"] * 2, steps=5, n_random=0)
    shared = deletion_insertion(model, x, maps.values[0, 1], targets=[1, 1], steps=5, n_random=0)
    np.testing.assert_allclose(by_profile.auc["auc"], shared.auc["auc"])


def test_callables_and_batching():
    model, x = RegionModel(), region_inputs(5)
    predict = as_predict_proba(model, batch_size=2)
    np.testing.assert_allclose(predict(x), torch.softmax(model(x), 1).numpy(), rtol=1e-6)
    ensemble = lambda batch: (predict(batch) + predict(batch)) / 2  # noqa: E731
    saliency = np.random.default_rng(1).random((24, 24))
    by_module = deletion_insertion(model, x, saliency, steps=4, n_random=1, batch_size=3)
    by_callable = deletion_insertion(ensemble, x, saliency, steps=4, n_random=1, batch_size=3)
    np.testing.assert_allclose(by_module.auc["auc"], by_callable.auc["auc"], rtol=1e-5)
    dropout = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(24 * 24, 2)).train()
    wrapped = as_predict_proba(dropout)
    assert np.array_equal(wrapped(x), wrapped(x)) and dropout.training


def test_deletion_insertion_errors():
    model, x = RegionModel(), region_inputs(2)
    saliency = np.zeros((24, 24))
    with pytest.raises(ConfigError, match="does not fit"):
        deletion_insertion(model, x, np.zeros((3, 24, 24)))
    with pytest.raises(ConfigError, match="inputs are"):
        deletion_insertion(model, x, np.zeros((2, 10, 10)))
    with pytest.raises(ConfigError, match="modes"):
        deletion_insertion(model, x, saliency, modes=["sideways"])
    with pytest.raises(ConfigError, match="n_random"):
        deletion_insertion(model, x, saliency, n_random=-1)
    with pytest.raises(ConfigError, match="steps"):
        deletion_insertion(model, x, saliency, steps=0)
    with pytest.raises(ConfigError, match="target class 5"):
        deletion_insertion(model, x, saliency, targets=[5, 5], steps=2, n_random=0)
    with pytest.raises(DataError, match="targets"):
        deletion_insertion(model, x, saliency, targets=[1], steps=2)
    with pytest.raises(DataError, match="class indices"):
        deletion_insertion(model, x, saliency, targets=["a", "b"], steps=2)
    with pytest.raises(ConfigError, match="n_inputs, n_classes"):
        deletion_insertion(lambda b: np.zeros(len(b)), x, saliency, targets=[0, 0], steps=2)
    with pytest.raises(ConfigError, match="predict_proba"):
        deletion_insertion("model", x, saliency)


def test_curve_plot(tmp_path):
    model, x = RegionModel(), region_inputs(1)
    result = deletion_insertion(model, x, np.zeros((24, 24)), steps=4, n_random=1)
    assert isinstance(result, CurveResult)
    fig = result.plot()
    assert [ax.get_title() for ax in fig.axes] == ["deletion", "insertion"]


# ---------------------------------------------------------------------------- signal removal
def test_remove_top_signals_units():
    saliency = np.array([[0.0, 5.0, 1.0], [np.nan, 4.0, 9.0]])
    x = torch.ones(2, 1, 2, 3)
    pixels, n = remove_top_signals(x, saliency, 0.5, fill_value=-1.0)
    assert n == 3
    assert pixels[0, 0].tolist() == [[1.0, -1.0, 1.0], [1.0, -1.0, -1.0]]
    columns, n = remove_top_signals(x, saliency, 0.34, unit="mz")
    assert n == 1 and columns[1, 0, :, 2].tolist() == [0.0, 0.0]
    rows, n = remove_top_signals(x, saliency, 0.5, unit="rt")
    assert n == 1 and rows[0, 0, 1].tolist() == [0.0, 0.0, 0.0]
    unchanged, n = remove_top_signals(x, saliency, 0.0)
    assert n == 0 and torch.equal(unchanged, x)
    everything, _ = remove_top_signals(x, saliency, 1.0)
    assert float(everything.abs().sum()) == 0.0  # NaN cells rank last but still go at 100 %
    assert float(x.sum()) == 12.0  # the input is not modified
    with pytest.raises(ConfigError, match="unit"):
        remove_top_signals(x, saliency, 0.1, unit="column")
    with pytest.raises(ConfigError, match="fraction"):
        remove_top_signals(x, saliency, 1.5)
    with pytest.raises(ConfigError, match="saliency map is"):
        remove_top_signals(x, saliency[:1], 0.1)


# ---------------------------------------------------------------------------- background category
CLASSES = ["a", "b", "c"]
BLOCKS = [(slice(0, 4), slice(0, 4)), (slice(4, 8), slice(4, 8)), (slice(8, 12), slice(8, 12))]


def block_means(x: torch.Tensor) -> torch.Tensor:
    return torch.stack([x[:, 0, r, c].mean(dim=(1, 2)) for r, c in BLOCKS], dim=1)


def single_model(x: torch.Tensor) -> torch.Tensor:
    """Looks for a's and b's signals only; 'c' is what it answers when neither is there."""
    means = block_means(torch.as_tensor(x))
    logits = torch.stack([6 * means[:, 0], 6 * means[:, 1], torch.full_like(means[:, 0], 2.0)], 1)
    return torch.softmax(logits, 1)


def ensemble_model(x: torch.Tensor) -> torch.Tensor:
    """Every class has its own signals."""
    return torch.softmax(6 * block_means(torch.as_tensor(x)) - 1.0, 1)


def cohort() -> tuple[torch.Tensor, list[str]]:
    generator = torch.Generator().manual_seed(0)
    x = 0.05 * torch.rand(12, 1, 12, 12, generator=generator)
    labels = []
    for i in range(12):
        rows, cols = BLOCKS[i % 3]
        x[i, 0, rows, cols] += 1.0
        labels.append(CLASSES[i % 3])
    return x, labels


def profiles() -> SaliencyMap:
    values = np.zeros((3, 12, 12))
    for k, (rows, cols) in enumerate(BLOCKS):
        values[k, rows, cols] = 1.0 + np.linspace(0, 0.1, 16).reshape(4, 4)
    return SaliencyMap(values, classes=CLASSES, method="test")


def test_single_model_has_a_background_category_and_the_ensemble_none(tmp_path):
    x, y = cohort()
    table = background_category_analysis(
        {"single": single_model, "ensemble": ensemble_model},
        x,
        y,
        {"single": profiles(), "ensemble": profiles()},
        fractions=[0.05, 0.12],
        progress=False,
    )
    assert set(table.columns) >= {"model", "removed_class", "fraction", "accuracy", "n_removed"}
    assert len(table) == 2 * 3 * 3 * 3  # models x removed classes x fractions x true classes
    assert (table[table.fraction == 0.0]["accuracy"] == 1.0).all()
    assert table[table.fraction == 0.12]["n_removed"].eq(round(0.12 * 144)).all()
    summary = background_categories(table)
    flagged = summary[summary["background"]]
    assert flagged[["model", "class"]].values.tolist() == [["single", "c"]]
    single = summary[summary["model"] == "single"].set_index("class")
    assert single.loc["c", "own_drop"] == 0.0 and single.loc["a", "own_drop"] == 1.0
    ensemble = summary[summary["model"] == "ensemble"].set_index("class")
    assert (ensemble["own_drop"] == 1.0).all()
    fig = plot_background(table)
    assert len([ax for ax in fig.axes if ax.lines]) == 6
    assert save_figure(fig, tmp_path / "background.png").stat().st_size > 0


def test_background_analysis_inputs():
    x, y = cohort()
    one = background_category_analysis(
        ensemble_model, x, y, profiles(), fractions=[0.5], unit="rt", progress=False
    )
    assert set(one["model"]) == {"model"} and set(one["fraction"]) == {0.0, 0.5}
    assert set(one.loc[one.fraction == 0.5, "n_removed"]) == {6}
    empty = profiles()
    empty.values[2] = np.nan  # no correctly predicted 'c' sample: its signals are skipped
    partial = background_category_analysis(
        ensemble_model, x, y, empty, fractions=[0.1], progress=False
    )
    assert set(partial["removed_class"]) == {"a", "b"}
    with pytest.raises(ConfigError, match="no saliency profiles"):
        background_category_analysis(
            {"m": ensemble_model}, x, y, {"other": profiles()}, progress=False
        )
    with pytest.raises(ConfigError, match="fractions"):
        background_category_analysis(
            ensemble_model, x, y, profiles(), fractions=[2.0], progress=False
        )
    with pytest.raises(DataError, match="not classes"):
        background_category_analysis(ensemble_model, x, ["z"] * 12, profiles(), progress=False)
    two_class = SaliencyMap(np.ones((2, 12, 12)), classes=["a", "b"])
    with pytest.raises(ConfigError, match="returns 3 classes"):
        background_category_analysis(ensemble_model, x, ["a"] * 12, two_class, progress=False)
    other = SaliencyMap(np.ones((3, 12, 12)), classes=["x", "y", "z"])
    with pytest.raises(ConfigError, match="classes"):
        background_category_analysis(
            {"m": ensemble_model, "n": ensemble_model}, x, y, {"m": profiles(), "n": other}
        )
    with pytest.raises(ConfigError, match="no rows at fraction"):
        background_categories(one, fraction=0.3)
    with pytest.raises(DataError, match="empty"):
        background_categories(one.iloc[:0])


@pytest.mark.slow  # the DenseNet members' first forward passes take seconds
def test_zoo_ensemble_as_module_and_as_predict_proba():
    """An ensemble works as a module (softmax of its log-probabilities) or as predict_proba."""
    from omicsnet.models import create_model, list_models

    if "ensemble" not in list_models():
        pytest.skip("no 'ensemble' model registered")
    ensemble = create_model("ensemble")
    x = ensemble.example_input(2, generator=torch.Generator().manual_seed(0))
    as_module = rise_maps(ensemble, x, n_masks=16, progress=False)
    as_callable = rise_maps(
        ensemble.predict_proba, x, n_masks=16, activation="none", progress=False
    )
    np.testing.assert_allclose(as_module.values, as_callable.values, atol=1e-5)
    np.testing.assert_allclose(as_predict_proba(ensemble)(x), ensemble.predict_proba(x), atol=1e-5)
