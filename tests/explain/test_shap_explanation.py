"""SHAP results as ``shap.Explanation``: the values, base values and names shap's plots use."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from omicsnet.errors import ConfigError, DataError
from omicsnet.explain.shap_attribution import ShapResult, shap_values

shap = pytest.importorskip("shap")
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _result():
    torch.manual_seed(0)
    model = torch.nn.Linear(5, 3)
    rng = np.random.default_rng(0)
    x, background = (
        rng.normal(size=(6, 5)).astype("float32"),
        rng.normal(size=(20, 5)).astype("float32"),
    )
    result = shap_values(
        model, x, background, method="deep", input_features=list("abcde"),
        output_names=["P1", "P2", "P3"], outputs=["P1", "P3"],
    )  # fmt: skip
    return model, x, result


def test_one_output_is_an_explanation_whose_values_add_up_to_the_prediction():
    model, x, result = _result()
    explanation = result.to_explanation(x, output="P3")
    assert isinstance(explanation, shap.Explanation)
    assert explanation.values.shape == (6, 5) and explanation.feature_names == list("abcde")
    with torch.no_grad():
        predicted = model(torch.as_tensor(x))[:, 2].numpy()
    # local accuracy: base value + sum of SHAP values = the model's output
    np.testing.assert_allclose(
        explanation.base_values + explanation.values.sum(1), predicted, atol=1e-4
    )
    np.testing.assert_array_equal(explanation.data, x.astype(float))


def test_all_outputs_and_shaps_own_plots(tmp_path):
    _, x, result = _result()
    explanation = result.to_explanation(x)
    assert explanation.values.shape == (6, 5, 2) and explanation.output_names == ["P1", "P3"]
    assert explanation.base_values.shape == (6, 2)
    import matplotlib

    matplotlib.use("Agg")
    shap.plots.beeswarm(result.to_explanation(x, output=0), show=False)
    shap.plots.waterfall(result.to_explanation(x, output="P1")[0], show=False)


def test_what_cannot_become_an_explanation():
    _, x, result = _result()
    with pytest.raises(DataError, match=r"data has shape \(6, 4\); expected \(6, 5\)"):
        result.to_explanation(x[:, :4])
    with pytest.raises(ConfigError, match="output 'P2' is not an output"):
        result.to_explanation(output="P2")
    summary_only = ShapResult(
        result.mean_abs, result.outputs, result.features, result.samples, "deep"
    )
    with pytest.raises(ConfigError, match="keep_values=True"):
        summary_only.to_explanation()
