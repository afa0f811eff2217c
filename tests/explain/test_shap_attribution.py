"""SHAP attributions with bounded memory, and the direct/correlated/uncorrelated groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import spearmanr

from omicsnet.errors import ConfigError, DataError
from omicsnet.explain.shap_attribution import (
    ShapResult,
    attribution_table,
    categorise_transcripts,
    category_summary,
    plot_shap_vs_spearman,
    shap_values,
    spearman_to_outputs,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _linear(n_in: int = 5, n_out: int = 4, seed: int = 0) -> torch.nn.Linear:
    torch.manual_seed(seed)
    return torch.nn.Linear(n_in, n_out)


def _data(n: int = 30, n_in: int = 5, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, n_in)).astype("float32")


def test_deep_shap_of_a_linear_model_is_weight_times_deviation_from_background():
    model = _linear()
    x, background = _data(6, seed=1), _data(20, seed=2)
    result = shap_values(model, x, background, outputs=[1, 3], method="deep")
    weight = model.weight.detach().numpy()
    expected = weight[[1, 3]][:, None, :] * (x - background.mean(axis=0))[None]
    np.testing.assert_allclose(result.values, expected, atol=1e-5)
    np.testing.assert_allclose(result.mean_abs, np.abs(expected).mean(axis=1), atol=1e-5)
    assert result.outputs == ["output_1", "output_3"]
    # DeepExplainer's base value is the mean output over the background
    with torch.no_grad():
        base = model(torch.as_tensor(background))[:, [1, 3]].mean(0).numpy()
    np.testing.assert_allclose(result.expected_value, base, atol=1e-5)


def test_gradient_shap_of_a_linear_model_approaches_the_exact_values():
    model = _linear()
    x, background = _data(4, seed=1), _data(50, seed=2)
    result = shap_values(model, x, background, outputs=[0], nsamples=400, seed=3)
    exact = model.weight.detach().numpy()[0] * (x - background.mean(axis=0))
    # expected gradients average (x - random background row): sampling noise only
    assert np.corrcoef(result.values[0].ravel(), exact.ravel())[0, 1] > 0.95


def test_chunking_and_dropping_values_do_not_change_the_answer():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 5))
    x, background = _data(7, 6, seed=1), _data(25, 6, seed=2)
    whole = shap_values(model, x, background, method="deep", output_chunk=5, sample_chunk=7)
    pieces = shap_values(model, x, background, method="deep", output_chunk=2, sample_chunk=3)
    summary = shap_values(
        model, x, background, method="deep", output_chunk=1, sample_chunk=2, keep_values=False
    )
    np.testing.assert_allclose(pieces.values, whole.values, atol=1e-6)
    assert summary.values is None
    np.testing.assert_allclose(summary.mean_abs, whole.mean_abs, atol=1e-6)
    # the same seed gives the same expected-gradient draws; the global NumPy state survives
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    a = shap_values(model, x, background, outputs=[0], nsamples=20, seed=5)
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    b = shap_values(model, x, background, outputs=[0], nsamples=20, seed=5)
    np.testing.assert_array_equal(a.values, b.values)


def test_background_is_capped_and_model_mode_is_restored():
    model = torch.nn.Sequential(torch.nn.Linear(5, 3), torch.nn.Dropout(0.5))
    model.train()
    result = shap_values(model, _data(3), _data(80), max_background=16, method="deep")
    assert result.params["n_background"] == 16
    assert model.training  # put back into training mode afterwards
    # dropout was off during explanation: additivity holds for the linear layer
    assert np.isfinite(result.values).all()


def test_names_come_from_dataframes_and_model_and_unknown_outputs_are_refused():
    model = _linear(3, 2)
    frame = pd.DataFrame(_data(5, 3), columns=["TP53", "EGFR", "MYC"], index=list("abcde"))
    result = shap_values(
        model, frame.iloc[:2], frame, outputs=["P2"], output_names=["P1", "P2"], method="deep"
    )
    assert result.features == ["TP53", "EGFR", "MYC"]
    assert result.samples == ["a", "b"]
    assert result.outputs == ["P2"]
    top = result.top(1)
    assert len(top) == 1 and top.loc[0, "output"] == "P2"
    with pytest.raises(ConfigError, match="'P9' is not an output"):
        shap_values(model, frame, frame, outputs=["P9"], output_names=["P1", "P2"])
    with pytest.raises(ConfigError, match="outside 0..1"):
        shap_values(model, frame, frame, outputs=[2])
    with pytest.raises(ConfigError, match="method"):
        shap_values(model, frame, frame, method="kernel")
    with pytest.raises(ConfigError, match="output_chunk"):
        shap_values(model, frame, frame, output_chunk=0)


def test_bad_inputs_get_clear_errors():
    model = _linear(3, 2)
    good = _data(5, 3)
    with pytest.raises(DataError, match="background has 4 columns but x has 3"):
        shap_values(model, good, _data(5, 4))
    bad = good.copy()
    bad[1, 2] = np.nan
    with pytest.raises(DataError, match="1 missing or infinite"):
        shap_values(model, bad, good)
    with pytest.raises(DataError, match="2-D"):
        shap_values(model, good[0], good)


def test_result_round_trips_through_npz_without_pickle(tmp_path):
    model = _linear(3, 2)
    result = shap_values(model, _data(4, 3), _data(10, 3), method="deep")
    path = result.save(tmp_path / "shap.npz")
    loaded = ShapResult.load(path)
    np.testing.assert_array_equal(loaded.values, result.values)
    np.testing.assert_array_equal(loaded.mean_abs, result.mean_abs)
    assert loaded.outputs == result.outputs and loaded.method == "deep"
    from omicsnet.utils.io import OutputExistsError

    with pytest.raises(OutputExistsError):
        result.save(path)
    (tmp_path / "other.npz").write_bytes(b"not a zip file")
    with pytest.raises(DataError, match="not a SHAP result"):
        ShapResult.load(tmp_path / "other.npz")


def _paired(n: int = 60, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Transcripts A (own mRNA of protein PA), B (correlated helper) and noise columns."""
    rng = np.random.default_rng(seed)
    index = [f"S{i:03d}" for i in range(n)]
    rna = pd.DataFrame(rng.normal(size=(n, 8)), index=index, columns=[f"N{i}" for i in range(8)])
    rna["A_mrna"] = rng.normal(size=n)
    rna["B"] = rng.normal(size=n)
    protein = pd.DataFrame(
        {"PA": 1.0 * rna["A_mrna"] + 0.6 * rna["B"] + 0.2 * rng.normal(size=n)}, index=index
    )
    return rna, protein


def test_spearman_matches_scipy_with_missing_protein_values():
    rna, protein = _paired()
    protein.iloc[[3, 10, 11], 0] = np.nan
    rho = spearman_to_outputs(rna, protein)
    present = protein["PA"].notna()
    for column in ["A_mrna", "N3"]:
        expected = spearmanr(rna.loc[present, column], protein.loc[present, "PA"]).statistic
        assert rho.loc["PA", column] == pytest.approx(expected, abs=1e-10)
    # samples are matched by ID, not position
    shuffled = spearman_to_outputs(rna.sample(frac=1.0, random_state=1), protein)
    np.testing.assert_allclose(shuffled.loc["PA", rna.columns], rho.loc["PA", rna.columns])
    with pytest.raises(DataError, match="share no sample"):
        spearman_to_outputs(rna, protein.set_axis([f"X{i}" for i in range(60)]))


def test_categories_follow_own_mrna_and_the_threshold():
    rna, protein = _paired()
    groups = categorise_transcripts(rna, protein, own_mrna={"PA": "A_mrna"}, threshold=0.3)
    by_transcript = groups.set_index("transcript")["category"]
    assert by_transcript["A_mrna"] == "direct"
    assert by_transcript["B"] == "correlated"
    rho = groups.set_index("transcript")["spearman"]
    noise = [c for c in rna.columns if c.startswith("N")]
    for name in noise:
        expected = "correlated" if abs(rho[name]) >= 0.3 else "uncorrelated"
        assert by_transcript[name] == expected
    strict = categorise_transcripts(rna, protein, own_mrna={"PA": "A_mrna"}, threshold=0.99)
    assert set(strict.set_index("transcript")["category"].drop("A_mrna")) == {"uncorrelated"}
    # without a mapping the own mRNA is the column named like the protein: none here
    unnamed = categorise_transcripts(rna, protein, threshold=0.3)
    assert "direct" not in set(unnamed["category"])
    with pytest.raises(ConfigError, match="threshold"):
        categorise_transcripts(rna, protein, threshold=0.0)


def test_shap_on_a_small_trained_model_ranks_direct_over_correlated_over_uncorrelated(tmp_path):
    rna, protein = _paired(n=200, seed=4)
    x = torch.tensor(rna.to_numpy(), dtype=torch.float32)
    y = torch.tensor(protein.to_numpy(), dtype=torch.float32)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(10, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    optimiser = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(300):
        optimiser.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimiser.step()
    assert float(loss.detach()) < 0.15
    train, test = rna.iloc[:150], rna.iloc[150:]
    result = shap_values(model, test, train, output_names=["PA"], method="deep")
    groups = categorise_transcripts(train, protein.iloc[:150], own_mrna={"PA": "A_mrna"})
    table = attribution_table(result, groups)
    summary = category_summary(table).set_index("category")
    assert summary.loc["direct", "mean_abs_shap"] > summary.loc["correlated", "mean_abs_shap"]
    assert (
        summary.loc["correlated", "mean_abs_shap"]
        > 3 * summary.loc["uncorrelated", "mean_abs_shap"]
    )
    assert summary["share_of_total"].sum() == pytest.approx(1.0)
    assert summary.loc["direct", "n_transcripts"] == 1
    fig = plot_shap_vs_spearman(table, threshold=0.3)
    from omicsnet.utils.plotting import save_figure

    assert save_figure(fig, tmp_path / "kde.png").stat().st_size > 1000
    with pytest.raises(DataError, match="no transcript categories"):
        attribution_table(result, groups.assign(protein="other"))
