"""Batch vs class association through a network's layers, on generated LC-MS-like matrices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from omicsnet.errors import ConfigError, DataError
from omicsnet.explain.layer_mixing import (
    default_layers,
    layer_mixing,
    layer_outputs,
    reference_normalize,
)
from omicsnet.models import create_model
from omicsnet.utils.io import OutputExistsError


def _cohort(shift: int = 5, scale: float = 4.0, n_per_group: int = 6, seed: int = 0):
    """Batches differ by an RT shift and an intensity scale; classes by one weak peak."""
    rng = np.random.default_rng(seed)
    x, batches, classes = [], [], []
    rows = np.arange(32)[:, None]
    cols = np.arange(32)[None, :]
    for batch in (0, 1):
        for cls in (0, 1):
            for _ in range(n_per_group):
                m = rng.gamma(2.0, 50.0, size=(32, 32))
                for r, c in ((8, 5), (16, 20), (24, 12)):  # strong peaks shared by everyone
                    r += shift * batch
                    m += 5e4 * np.exp(-((rows - r) ** 2 + (cols - c) ** 2) / 4)
                r, c = (10, 26) if cls == 0 else (20, 8)  # the weak class-specific peak
                m += 2e3 * np.exp(-((rows - r) ** 2 + (cols - c) ** 2) / 4)
                x.append(m * (scale if batch else 1.0))
                batches.append(f"b{batch}")
                classes.append(f"c{cls}")
    return np.asarray(x, dtype=np.float32)[:, None], np.array(batches), np.array(classes)


@pytest.fixture
def tiny_densenet(one_torch_thread):
    torch.manual_seed(0)
    return create_model(
        "lcms_densenet", input_size=[32, 32], block_config=[1, 1], growth_rate=4, init_features=8
    )


def test_default_layers_walk_the_densenet(tiny_densenet):
    x, _, _ = _cohort(n_per_group=2)
    outputs = layer_outputs(tiny_densenet, x, progress=False)
    assert list(outputs) == default_layers(tiny_densenet)
    assert all(v.shape[0] == len(x) for v in outputs.values())
    # the penultimate features are what the classifier sees
    with torch.no_grad():
        features = tiny_densenet.eval().features(torch.as_tensor(x)).numpy()
    np.testing.assert_allclose(outputs["penultimate"], features, rtol=1e-5, atol=1e-6)


def test_input_clusters_by_batch_when_batches_dominate(tiny_densenet):
    x, batches, classes = _cohort()
    result = layer_mixing(tiny_densenet, x, batches, classes, k=5, perplexity=5, progress=False)
    wide = result.wide().set_index("layer")
    assert wide.loc["input", "nmi_kmeans:batch"] == pytest.approx(1.0)
    assert wide.loc["input", "nmi_kmeans:batch"] > wide.loc["input", "nmi_kmeans:class"]
    assert wide.loc["input", "kbet_acceptance:batch"] < 0.2
    assert list(wide.index) == default_layers(tiny_densenet)


def test_pca_plot_states_the_variance_each_component_explains(tiny_densenet, tmp_path):
    from sklearn.decomposition import PCA

    x, batches, classes = _cohort(n_per_group=3)
    result = layer_mixing(
        tiny_densenet, x, batches, classes, layers=["input", "penultimate"], k=3,
        perplexity=2, progress=False,
    )  # fmt: skip
    flat = x.reshape(len(x), -1).astype(np.float64)
    expected = PCA(n_components=2).fit(flat - flat.mean(0)).explained_variance_ratio_
    np.testing.assert_allclose(result.explained_variance["input"][:2], expected, rtol=1e-6)
    assert result.explained_variance["input"].sum() <= 1.0 + 1e-9
    fig = result.plot_pca()
    panels = [ax for ax in fig.axes if ax.collections]
    assert [ax.get_title() for ax in panels] == ["input", "penultimate"]
    first = round(100 * expected[0])
    assert panels[0].get_xlabel() == f"PC1 ({first} % variance)"
    assert panels[0].get_ylabel().startswith("PC2 (") and "% variance)" in panels[0].get_ylabel()
    assert all(ax.get_ylabel() for ax in result.plot_scores().axes)  # every metric axis named
    saved = result.save(tmp_path / "mix")
    table = pd.read_csv(saved / "pca_variance.csv")
    assert table[table.layer == "input"]["explained_variance_ratio"].iloc[0] == pytest.approx(
        expected[0], rel=1e-5
    )


def test_reference_normalisation_removes_a_pure_intensity_batch_effect(tiny_densenet):
    x, batches, classes = _cohort(shift=0, scale=6.0)
    reference = np.zeros(len(x), dtype=bool)
    reference[[0, 6, 12, 18]] = True  # two QC-like samples per batch, one of each class
    result = layer_mixing(
        tiny_densenet,
        x,
        batches,
        classes,
        layers=["input"],
        reference=reference,
        k=5,
        perplexity=5,
        progress=False,
    )
    wide = result.wide().set_index("layer")
    raw, fixed = wide.loc["input"], wide.loc["input (reference-normalised)"]
    assert fixed["silhouette:batch"] < raw["silhouette:batch"]
    assert fixed["lisi:batch"] > raw["lisi:batch"]


def test_reference_normalize_known_answer_and_errors():
    x = np.array([[2.0, 0.0], [4.0, 1.0], [6.0, 0.0], [9.0, 3.0]])
    out = reference_normalize(x, ["a", "a", "b", "b"], [True, False, True, False])
    # reference means: a = (2, 0), b = (6, 0); target (4, 0); zero means leave the column
    np.testing.assert_allclose(out, [[4.0, 0.0], [8.0, 1.0], [4.0, 0.0], [6.0, 3.0]])
    with pytest.raises(DataError, match=r"\['b'\] have no reference"):
        reference_normalize(x, ["a", "a", "b", "b"], [True, False, False, False])


def test_bad_layers_and_labels_are_named(tiny_densenet, tmp_path):
    x, batches, classes = _cohort(n_per_group=2)
    with pytest.raises(ConfigError, match="unknown layer"):
        layer_outputs(tiny_densenet, x, ["backbone.features.nope"], progress=False)
    with pytest.raises(DataError, match="batch labels but"):
        layer_mixing(tiny_densenet, x, batches, classes[:-1], progress=False)
    result = layer_mixing(
        tiny_densenet, x, batches, classes, layers=["input", "penultimate"], progress=False
    )
    out = result.save(tmp_path / "mix")
    assert {"scores.csv", "scores_wide.csv", "pca.csv"} <= {p.name for p in out.iterdir()}
    with pytest.raises(OutputExistsError):
        result.save(tmp_path / "mix")


def test_preprocessed_layer_and_reference_need_their_inputs(tiny_densenet):
    x, batches, classes = _cohort(n_per_group=2)
    outputs = layer_outputs(tiny_densenet, x, ["input", "preprocessed"], progress=False)
    # "input" is the raw matrix; "preprocessed" what the DenseNet sees (log1p, max-scaled)
    np.testing.assert_allclose(outputs["input"], x.reshape(len(x), -1), rtol=1e-6)
    assert outputs["preprocessed"].max() <= 1.0 + 1e-6
    plain = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(32 * 32, 2))
    with pytest.raises(ConfigError, match="preprocess"):
        layer_outputs(plain, x, ["preprocessed"], progress=False)
    reference = np.zeros(len(x), dtype=bool)
    with pytest.raises(ConfigError, match="add 'input'"):
        layer_mixing(
            tiny_densenet, x, batches, classes, layers=["penultimate"], reference=reference,
            progress=False,
        )  # fmt: skip
    with pytest.raises(DataError, match="same batch label"):
        layer_mixing(tiny_densenet, x, ["b0"] * len(x), classes, progress=False)
    with pytest.raises(DataError, match="scores need more samples than classes"):
        layer_mixing(tiny_densenet, x[:3], ["b0", "b1", "b0"], ["a", "b", "c"], progress=False)
    with pytest.raises(DataError, match="reference flags"):
        layer_mixing(tiny_densenet, x, batches, classes, reference=reference[:-1], progress=False)


def test_centring_keeps_a_sparse_intensity_batch_effect_that_standardising_drowns():
    """Unit-variance scaling lets thousands of empty/noise cells outvote the peaks."""
    from omicsnet.explain.layer_mixing import _pca
    from omicsnet.explain.mixing import silhouette

    rng = np.random.default_rng(0)
    x = rng.gamma(1.0, 1.0, size=(20, 2000))  # noise cells
    x[:, :5] += 1000.0  # five peaks shared by every sample ...
    x[10:, :5] *= 0.5  # ... at half the intensity in batch 1
    batches = [0] * 10 + [1] * 10
    centred = silhouette(_pca(x, 5), batches)
    standardised = silhouette(_pca(x, 5, standardize=True), batches)
    assert centred > 0.9 > 0.2 > standardised


@pytest.mark.slow
def test_trained_network_trades_batch_for_class_association(tmp_path, one_torch_thread):
    """DeepMSProfiler Fig. 3 on a generated mzML cohort: RT shift + intensity-scale batches."""
    from omicsnet.ms.arrays import load_lcms_arrays
    from omicsnet.ms.binning import BinningParams
    from omicsnet.ms.synthetic import write_synthetic_cohort
    from omicsnet.train.ensemble import train_ensemble

    cohort = write_synthetic_cohort(
        tmp_path / "runs", n_per_class=8, classes=("healthy", "cancer"), n_batches=2,
        rt_shift=0.6, intensity_scale=(1.0, 0.5), noise_peaks=10, seed=0,
    )  # fmt: skip
    cohort.write_labels()
    grid = BinningParams(
        rt_mode="bin", rt_start=0.5, rt_step=0.125, n_rt=64, mz_start=50, mz_step=16, n_mz=64
    )
    data = load_lcms_arrays(cohort.root, binning=grid, use_cache=False, workers=1)
    config = {
        "model": "lcms_densenet",
        "config": {
            "n_classes": 2, "input_size": [64, 64], "pre_pool": 1, "growth_rate": 4,
            "block_config": [1, 1, 1, 1], "init_features": 8, "bn_size": 2,
        },
    }  # fmt: skip
    trained = train_ensemble(
        config, data, n_models=1, lrs=[0.01],
        trainer_kwargs={"max_epochs": 40, "batch_size": 4, "drop_last": True, "seed": 0,
                        "progress": False},
    )  # fmt: skip
    model = trained.ensemble.members[0]
    batch_of = cohort.labels.assign(sid=cohort.labels["file"].str.replace(".mzML", ""))
    batches = batch_of.set_index("sid").loc[data.sample_ids, "batch"].to_numpy()
    result = layer_mixing(
        model, data.x, batches, data.labels.to_numpy(), k=5, perplexity=5, progress=False
    )
    wide = result.wide().set_index("layer")
    print(wide[["nmi_kmeans:batch", "nmi_kmeans:class", "silhouette:batch",
                "silhouette:class", "lisi:batch", "lisi:class"]].round(3).to_string())  # fmt: skip
    start, end = wide.loc["input"], wide.loc["penultimate"]
    assert start["nmi_kmeans:batch"] > 0.5  # the raw input clusters by batch ...
    assert end["nmi_kmeans:class"] > start["nmi_kmeans:class"] + 0.5  # ... the end by class
    assert end["nmi_kmeans:batch"] < start["nmi_kmeans:batch"] - 0.5
    assert end["silhouette:class"] > start["silhouette:class"]
    assert end["silhouette:batch"] < start["silhouette:batch"]
    assert end["lisi:batch"] > start["lisi:batch"]  # batches mixed in the neighbourhoods


def test_a_shared_module_called_twice_gives_one_row_per_sample(one_torch_thread):
    torch.manual_seed(0)
    dual = create_model(
        "lcms_dual", input_size=[32, 32], block_config=[1, 1], growth_rate=4,
        init_features=8, shared_weights=True,
    )  # fmt: skip
    x = torch.rand(6, 2, 32, 32) * 1e4
    layer = "positive.backbone.features.denseblock2"
    both = layer_outputs(dual, x, [layer], progress=False)[layer]
    # one row per sample: the positive- and negative-mode features side by side
    assert both.shape[0] == 6 and both.shape[1] % 2 == 0
    half = both.shape[1] // 2
    assert not np.allclose(both[:, :half], both[:, half:])

    class Unused(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.used, self.spare = torch.nn.Linear(4, 2), torch.nn.Linear(2, 2)

        def forward(self, x):
            return self.used(x)

    with pytest.raises(ConfigError, match="'spare' was not called"):
        layer_outputs(Unused(), torch.randn(3, 4), ["spare"], progress=False)
