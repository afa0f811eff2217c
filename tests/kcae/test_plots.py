"""kcae figures a biologist reads: units, studies, node names, a labelled colour bar."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omicsnet.kcae import plots
from omicsnet.utils.plotting import save_figure


@pytest.fixture
def captured(monkeypatch):
    """The figures the plotting functions save (kept open for inspection)."""
    figures = []

    def keep(fig, path, **kwargs):
        figures.append(fig)
        return save_figure(fig, path, close=False, **kwargs)

    monkeypatch.setattr(plots, "save_figure", keep)
    yield figures
    import matplotlib.pyplot as plt

    for fig in figures:
        plt.close(fig)


def test_growth_plot_has_units_and_one_colour_per_study(captured, tmp_path):
    ids = [f"s{i}" for i in range(6)]
    measured = pd.Series([0.2, 0.4, 0.5, 0.7, 0.8, 1.0], index=ids)
    predicted = measured * 0.9 + 0.05
    studies = pd.Series(["fur", "fur", "ytf", "ytf", "ytf", "glu"], index=ids)
    path = plots.plot_predicted_vs_measured(
        measured, predicted, tmp_path / "g.png", studies=studies, quantity="growth rate",
        unit="1/h",
    )  # fmt: skip
    assert path.read_bytes()[:4] == b"\x89PNG"
    ax = captured[0].axes[0]
    assert ax.get_xlabel() == "measured growth rate (1/h)"
    assert ax.get_ylabel() == "predicted growth rate (1/h)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["fur (2)", "glu (1)", "ytf (3)"]
    assert ax.get_title() == "PCC 1.0, n=6"


def test_node_heat_map_names_nodes_and_labels_its_colour_bar(captured, tmp_path):
    rng = np.random.default_rng(0)
    activity = pd.DataFrame(
        rng.normal(size=(6, 3)), columns=["EX_ac_e", "b0001+b0002", "free_0"],
        index=[f"s{i}" for i in range(6)],
    )  # fmt: skip
    labels = {"EX_ac_e": "EX_ac_e (Acetate exchange)", "b0001+b0002": "thrL+thrA",
              "free_0": "free node 0"}  # fmt: skip
    groups = pd.Series(list("bbaacc"), index=activity.index)
    plots.plot_node_activity(activity, tmp_path / "a.png", labels=labels, groups=groups,
                             nodes=["EX_ac_e", "b0001+b0002", "free_0"])  # fmt: skip
    fig = captured[0]
    heat, bar = fig.axes
    assert [t.get_text() for t in heat.get_yticklabels()] == list(labels.values())
    assert [t.get_text() for t in heat.get_xticklabels()] == ["a", "b", "c"]  # by study
    assert "grouped by study" in heat.get_xlabel()
    assert "z-score" in bar.get_ylabel()
