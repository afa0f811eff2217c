"""Peak-quality figures: curves that coincide stay visible; axes say what they show."""

from __future__ import annotations

import numpy as np
import pandas as pd

from omicsnet.peaks.matrices import PeakMatrices
from omicsnet.peaks.plots import draw_peak_matrices, draw_threshold_sweep
from omicsnet.peaks.workflows import threshold_sweep


def test_sweep_curves_that_coincide_stay_distinguishable():
    # perfectly separated classes: the true-High share and the difference are the same curve
    proba = np.array([[0.99, 0.01], [0.98, 0.02], [0.01, 0.99], [0.02, 0.98]])
    sweep = threshold_sweep(proba, np.array([0, 0, 1, 1]), ["High", "Noise"])
    assert np.allclose(sweep["true_rate"].iloc[5:90], sweep["difference"].iloc[5:90])
    ax = draw_threshold_sweep(sweep).axes[0]
    curves = [line for line in ax.get_lines() if len(line.get_xdata()) == len(sweep)]
    assert len(curves) == 3
    looks = {(line.get_color(), line.get_linestyle(), line.get_linewidth()) for line in curves}
    assert len(looks) == 3
    difference = next(line for line in curves if line.get_label().startswith("difference"))
    others = [line for line in curves if line is not difference]
    # the wide band is drawn first, so the thinner curves on top of it never vanish
    assert difference.get_zorder() <= min(line.get_zorder() for line in others)
    assert ax.get_lines().index(difference) == 0
    assert all(line.get_linewidth() < difference.get_linewidth() for line in others)
    assert ax.get_xlabel() == "threshold on P(High)" and ax.get_ylabel()


def test_peak_matrix_axes_are_labelled():
    m = PeakMatrices(np.random.default_rng(0).random((2, 2, 120)).astype("float32"), ["a", "b"],
                     pd.DataFrame())  # fmt: skip
    fig = draw_peak_matrices(m, ["a", "b"], titles=["High (a)", "Noise (b)"])
    first, second = fig.axes[:2]
    assert first.get_xlabel() == "scan in the peak window"
    assert first.get_ylabel() == "intensity (scaled to the maximum)"
    assert second.get_title() == "Noise (b)"
