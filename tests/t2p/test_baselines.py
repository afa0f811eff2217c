"""Per-protein evaluation metrics and the transcript → protein baselines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import pearsonr

from omicsnet.errors import ConfigError, DataError
from omicsnet.t2p.baselines import BASELINES, baseline_summary, fit_baselines, handbuilt_config
from omicsnet.t2p.data import t2p_from_tables, t2p_splits
from omicsnet.t2p.evaluate import (
    masked_mse,
    mrna_protein_correlation,
    per_protein_metrics,
    summarize_metrics,
)
from omicsnet.t2p.linear import KernelRidge, own_mrna_fit, ridge_with_unpenalised_own


def test_per_protein_metrics_match_scipy_and_skip_missing():
    rng = np.random.default_rng(0)
    y = rng.normal(size=(20, 4))
    pred = y + rng.normal(scale=0.5, size=(20, 4))
    y[3, 1] = np.nan
    y[:18, 3] = np.nan  # two measured samples: too few to score
    table = per_protein_metrics(y, pred, ["a", "b", "c", "d"])
    assert table["n"].tolist() == [20, 19, 20, 2]
    for k in range(3):
        keep = np.isfinite(y[:, k])
        r = pearsonr(y[keep, k], pred[keep, k]).statistic
        ss_res = ((y[keep, k] - pred[keep, k]) ** 2).sum()
        ss_tot = ((y[keep, k] - y[keep, k].mean()) ** 2).sum()
        assert table.loc[k, "pearson_r"] == pytest.approx(r, abs=1e-12)
        assert table.loc[k, "r2"] == pytest.approx(1 - ss_res / ss_tot, abs=1e-12)
        assert table.loc[k, "mse"] == pytest.approx(ss_res / keep.sum(), abs=1e-12)
    assert np.isnan(table.loc[3, "pearson_r"]) and np.isnan(table.loc[3, "r2"])
    summary = summarize_metrics(table)
    assert summary["n_proteins"] == 3 and summary["n_unscored"] == 1
    assert summary["pearson_r_median"] == pytest.approx(np.median(table["pearson_r"][:3]))
    assert summary["mse"] == pytest.approx(masked_mse(y, pred))


def test_metric_input_errors():
    with pytest.raises(DataError, match=r"y_true has shape \(2, 2\) but y_pred \(2, 3\)"):
        per_protein_metrics(np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(DataError, match="prediction for protein 'b' in row 1 is not finite"):
        per_protein_metrics(np.ones((3, 2)), np.array([[0, 0], [0, np.nan], [0, 0.0]]), ["a", "b"])
    with pytest.raises(DataError, match="1 protein names for 2 columns"):
        per_protein_metrics(np.ones((3, 2)), np.ones((3, 2)), ["a"])


def test_raw_mrna_protein_correlation():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(30, 3))
    y = np.stack([2 * x[:, 2] + 1, rng.normal(size=30)], axis=1)
    r = mrna_protein_correlation(x, y, [2, -1], ["P", "Q"])
    assert r["P"] == pytest.approx(1.0) and np.isnan(r["Q"])


def make_scaled(n=80, seed=0, noise=0.5):
    rng = np.random.default_rng(seed)
    rna = pd.DataFrame(rng.normal(size=(n, 30)), columns=[f"G{i}" for i in range(30)])
    rna.index = [f"S{i}" for i in range(n)]
    # proteins G0..G4: own mRNA plus a shared signal from G10 and G11; P_X has no mRNA
    shared = rna["G10"] - rna["G11"]
    protein = pd.DataFrame({f"G{i}": rna[f"G{i}"] + shared for i in range(5)})
    protein["P_X"] = shared
    protein += noise * rng.normal(size=protein.shape)
    protein.iloc[2, 0] = np.nan
    data = t2p_from_tables(rna, protein, genes_in_rows=False)
    return data.scaled(next(iter(t2p_splits(data, scheme="standard", seed=seed))))


def test_own_mrna_fit_is_least_squares():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(25, 2))
    y = np.stack([3 * x[:, 1] - 1 + 0.1 * rng.normal(size=25), rng.normal(size=25)], axis=1)
    y[0, 0] = np.nan
    intercept, slope = own_mrna_fit(x, y, np.array([1, -1]))
    expected = np.polyfit(x[1:, 1], y[1:, 0], 1)
    assert slope[0] == pytest.approx(expected[0]) and intercept[0] == pytest.approx(expected[1])
    assert slope[1] == 0.0 and intercept[1] == pytest.approx(y[:, 1].mean())


def test_kernel_ridge_matches_scikit_learn():
    from sklearn.linear_model import Ridge, RidgeCV

    rng = np.random.default_rng(3)
    x = rng.normal(size=(35, 200))
    y = x[:, :3] @ rng.normal(size=(3, 4)) + rng.normal(size=(35, 4)) * np.array([0.1, 1, 3, 10])
    alphas = np.logspace(-1, 4, 11)
    ours = KernelRidge(alphas).fit(x, y)
    reference = RidgeCV(alphas=alphas, alpha_per_target=True).fit(x, y)
    np.testing.assert_allclose(ours.alpha_, reference.alpha_)
    x_new = rng.normal(size=(5, 200))
    np.testing.assert_allclose(
        ours.predict(x_new), Ridge(alpha=ours.alpha_).fit(x, y).predict(x_new), atol=1e-10
    )


def test_ridge_with_unpenalised_own_solves_the_partially_penalised_problem():
    rng = np.random.default_rng(4)
    n, p = 40, 12
    x = rng.normal(size=(n, p))
    y = np.stack([2.0 * x[:, 0] + x[:, 5] + 0.3 * rng.normal(size=n), x[:, 7]], axis=1)
    features, own, alpha = np.arange(4, 12), np.array([0, -1]), 5.0
    pred = ridge_with_unpenalised_own(x, y, x[:3], own, features, alphas=[alpha], iterations=200)
    # exact answer for protein 0: penalise the features, not the intercept or own mRNA
    design = np.column_stack([np.ones(n), x[:, 0], x[:, features]])
    penalty = np.diag([0.0, 0.0] + [alpha] * len(features))
    beta = np.linalg.solve(design.T @ design + penalty, design.T @ y[:, 0])
    np.testing.assert_allclose(pred[:, 0], design[:3] @ beta, atol=1e-6)


def test_fit_baselines_on_synthetic_data():
    scaled = make_scaled()
    predictions = fit_baselines(
        scaled,
        names=("dummy", "linear_own_mrna", "ridge", "ridge_variable_own", "random_forest"),
        top_variable=10,
        rf_estimators=20,
    )
    assert set(predictions) == {
        "dummy",
        "linear_own_mrna",
        "ridge",
        "ridge_variable_own",
        "random_forest",
    }
    for frame in predictions.values():
        assert frame.shape == (len(scaled.test_ids), 6) and list(frame.columns) == scaled.proteins
        assert frame.attrs["seconds"] >= 0
    np.testing.assert_allclose(predictions["dummy"].to_numpy().std(0), 0.0, atol=1e-12)
    table = baseline_summary(scaled, predictions)
    r = table["pearson_r_median"]
    assert r["ridge"] > r["linear_own_mrna"] > 0.3  # the shared signal needs more than own mRNA
    assert r["ridge"] > 0.8 and np.isnan(r["dummy"])  # constant predictions have no r
    assert table.loc["dummy", "mse"] > table.loc["ridge", "mse"]
    assert "mrna_protein_r" in table.index
    with pytest.raises(ConfigError, match="unknown baselines"):
        fit_baselines(scaled, names=("lasso",))


def test_handbuilt_network_baseline_trains():
    scaled = make_scaled(n=60)
    config = handbuilt_config(30, 6)
    assert config["residual"]["enabled"] is False
    assert [b["dropout"] for b in config["blocks"]] == [0.6, 0.6]
    assert all(b["batch_norm"] and b["activation"] == "leaky_relu_0.05" for b in config["blocks"])
    predictions = fit_baselines(scaled, names=("handbuilt_nn",), nn_epochs=3, device="cpu")
    assert predictions["handbuilt_nn"].shape == (len(scaled.test_ids), 6)
    assert np.isfinite(predictions["handbuilt_nn"].to_numpy()).all()
    assert "handbuilt_nn" in BASELINES


def test_kernel_ridge_shared_penalty_minimises_the_summed_leave_one_out_error():
    from sklearn.linear_model import RidgeCV

    rng = np.random.default_rng(8)
    x = rng.normal(size=(30, 50))
    y = x[:, :2] @ rng.normal(size=(2, 3)) + rng.normal(size=(30, 3)) * np.array([0.1, 1, 5])
    alphas = np.logspace(-1, 4, 11)
    ours = KernelRidge(alphas, shared=True).fit(x, y)
    reference = RidgeCV(alphas=alphas).fit(x, y)  # one alpha by the summed LOO error
    assert set(ours.alpha_) == {reference.alpha_}
    assert alphas[0] < reference.alpha_ < alphas[-1]  # an interior choice, not a grid edge
    per_output = KernelRidge(alphas).fit(x, y).alpha_
    assert reference.alpha_ not in per_output  # no output alone would choose it


def test_own_residual_ridge_is_own_fit_then_ridge_on_what_it_leaves():
    from sklearn.linear_model import Ridge

    from omicsnet.t2p.linear import own_residual_ridge

    rng = np.random.default_rng(6)
    x = rng.normal(size=(40, 10))
    y = np.stack([1.5 * x[:, 0] + x[:, 4], x[:, 6] - 2.0], axis=1) + 0.2 * rng.normal(size=(40, 2))
    y[5, 0] = np.nan
    intercept, slope, ridge = own_residual_ridge(x, y, np.array([0, -1]), alphas=[3.0])
    expected_intercept, expected_slope = own_mrna_fit(x, y, np.array([0, -1]))
    np.testing.assert_allclose(slope, expected_slope)
    np.testing.assert_allclose(intercept, expected_intercept)
    stage1 = intercept + slope * np.stack([x[:, 0], np.zeros(40)], axis=1)
    residual = np.where(np.isnan(y), 0.0, y - stage1)  # a missing target adds no evidence
    reference = Ridge(alpha=3.0).fit(x, residual)
    np.testing.assert_allclose(ridge.predict(x[:4]), reference.predict(x[:4]), atol=1e-8)


def test_ridge_own_residual_baseline_uses_the_networks_inputs():
    from omicsnet.t2p.linear import own_residual_ridge
    from omicsnet.t2p.workflows import restrict_transcripts

    scaled = make_scaled()
    out = fit_baselines(scaled, names=("ridge_own_residual", "linear_own_mrna"), top_variable=4)
    # by hand: the 4 most variable transcripts plus the own mRNAs, training + validation
    inputs = restrict_transcripts(scaled, 4)
    assert 5 <= inputs.x_train.shape[1] < len(scaled.transcripts)
    x = np.concatenate([inputs.x_train, inputs.x_val]).astype(float)
    y = np.concatenate([inputs.y_train, inputs.y_val]).astype(float)
    own = np.asarray(inputs.own_index)
    intercept, slope, ridge = own_residual_ridge(x, y, own)
    z = inputs.x_test.astype(float)
    expected = intercept + slope * np.where(own >= 0, z[:, np.clip(own, 0, None)], 0.0)
    expected = expected + ridge.predict(z)
    np.testing.assert_allclose(out["ridge_own_residual"].to_numpy(), expected, atol=1e-10)
    # with every transcript, the shared signal (G10 - G11) is reachable through stage 2
    wide = baseline_summary(
        scaled,
        fit_baselines(scaled, names=("ridge_own_residual", "linear_own_mrna"), top_variable=30),
    )
    assert (
        wide.loc["ridge_own_residual", "pearson_r_median"]
        > wide.loc["linear_own_mrna", "pearson_r_median"]
    )
