"""Figures of the peak-quality family: the threshold sweep and peak matrices.

Examples
--------
>>> import tempfile, pathlib
>>> from omicsnet.peaks.workflows import threshold_sweep
>>> sweep = threshold_sweep(np.array([[.9, .1], [.2, .8]]), np.array([0, 1]), ["High", "Noise"])
>>> plot_threshold_sweep(sweep, pathlib.Path(tempfile.mkdtemp()) / "sweep.svg").suffix
'.svg'
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omicsnet.errors import DataError
from omicsnet.utils.plotting import save_figure


def draw_threshold_sweep(sweep: pd.DataFrame) -> Any:
    """The threshold sweep as a figure (not registered with pyplot).

    The difference is drawn first as a wide pale band, the two shares on top of it with
    different dash patterns and markers, so that curves lying on each other (as they do
    when the classes separate perfectly) all stay visible.

    Examples
    --------
    >>> from omicsnet.peaks.workflows import threshold_sweep
    >>> sweep = threshold_sweep(np.array([[.9, .1], [.2, .8]]), np.array([0, 1]), ["High", "Noise"])
    >>> ax = draw_threshold_sweep(sweep).axes[0]
    >>> [line.get_label().split(" (")[0] for line in ax.get_lines()]
    ['difference', 'true High', 'false positives', 'chosen threshold 0.55']
    """
    from matplotlib.figure import Figure

    from omicsnet.utils.plotting import label_axes, readable_ticks, style

    every = max(1, len(sweep) // 12)
    with style():
        fig = Figure(figsize=(5.8, 3.6), layout="constrained")
        ax = fig.subplots()
        ax.plot(sweep["threshold"], sweep["difference"], color="0.55", linewidth=7, alpha=0.4,
                solid_capstyle="butt", label="difference (true - false)")  # fmt: skip
        ax.plot(sweep["threshold"], sweep["true_rate"], color="tab:blue", linestyle="-",
                marker="o", markevery=every, label="true High (share of High peaks)")  # fmt: skip
        ax.plot(sweep["threshold"], sweep["false_rate"], color="tab:orange", linestyle="--",
                marker="s", markevery=(every // 2, every),
                label="false positives (share of non-High peaks)")  # fmt: skip
        best = sweep.attrs.get("best_threshold")
        if best is not None:
            ax.axvline(best, color="black", linestyle=":", linewidth=1.2,
                       label=f"chosen threshold {best:.2f}")  # fmt: skip
        label_axes(ax, x="threshold on P(High)", y="share of validation peaks")
        ax.set_ylim(-0.04, 1.04)
        readable_ticks(ax, x=6, y=5)
        ax.legend(loc="center right")
    return fig


def plot_threshold_sweep(sweep: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Plot true-High and false-positive rates against the threshold (PNG, atomically).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from omicsnet.peaks.workflows import threshold_sweep
    >>> sweep = threshold_sweep(np.array([[.9, .1], [.2, .8]]), np.array([0, 1]), ["High", "Noise"])
    >>> plot_threshold_sweep(sweep, pathlib.Path(tempfile.mkdtemp()) / "s.png").suffix
    '.png'
    """
    return save_figure(draw_threshold_sweep(sweep), path, dpi=110)


def draw_peak_matrices(
    matrices: Any,
    feature_ids: Sequence[str],
    *,
    titles: Sequence[str] | None = None,
) -> Any:
    """Peak matrices side by side as a figure: the trace, and the in-peak points shaded.

    Examples
    --------
    >>> from omicsnet.peaks.matrices import PeakMatrices
    >>> m = PeakMatrices(np.random.default_rng(0).random((2, 2, 120)).astype("float32"),
    ...                  ["a", "b"], pd.DataFrame())
    >>> ax = draw_peak_matrices(m, ["a", "b"]).axes[0]
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('scan in the peak window', 'intensity (scaled to the maximum)')
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from omicsnet.utils.plotting import label_axes, style

    position = {fid: i for i, fid in enumerate(matrices.feature_ids)}
    ids = [str(i) for i in feature_ids]
    missing = [fid for fid in ids if fid not in position]
    if missing:
        raise DataError(f"no peak matrix for feature(s) {missing[:5]}")
    with style():
        fig = Figure(figsize=(2.5 * len(ids) + 0.4, 2.7), layout="constrained")
        axes = fig.subplots(1, len(ids), squeeze=False, sharey=True)[0]
        for k, (ax, fid) in enumerate(zip(axes, ids, strict=True)):
            trace, mask = matrices.matrices[position[fid]]
            x = np.arange(len(trace))
            ax.fill_between(x, 0, mask, color="tab:green", alpha=0.15, step="mid", lw=0)
            ax.plot(x, trace, color="tab:blue", linewidth=1.2)
            ax.set_ylim(-0.02, 1.05)
            ax.set_title(titles[k] if titles else fid)
            ax.set_xticks([0, len(trace) // 2, len(trace) - 1])
            label_axes(ax, x="scan in the peak window",
                       y="intensity (scaled to the maximum)" if k == 0 else None)  # fmt: skip
        fig.legend(
            handles=[
                Line2D([], [], color="tab:blue", label="intensity trace"),
                Patch(color="tab:green", alpha=0.3, label="inside the peak's RT bounds"),
            ],
            loc="outside lower center",
            ncols=2,
        )
    return fig


def plot_peak_matrices(
    matrices: Any,
    feature_ids: Sequence[str],
    path: str | os.PathLike[str],
    *,
    titles: Sequence[str] | None = None,
) -> Path:
    """Draw peak matrices side by side (:func:`draw_peak_matrices`) and write the figure.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from omicsnet.peaks.matrices import PeakMatrices
    >>> m = PeakMatrices(np.random.default_rng(0).random((2, 2, 120)).astype("float32"),
    ...                  ["a", "b"], pd.DataFrame())
    >>> plot_peak_matrices(m, ["a", "b"], pathlib.Path(tempfile.mkdtemp()) / "m.png").name
    'm.png'
    """
    return save_figure(draw_peak_matrices(matrices, feature_ids, titles=titles), path, dpi=110)


__all__ = [
    "draw_peak_matrices",
    "draw_threshold_sweep",
    "plot_peak_matrices",
    "plot_threshold_sweep",
]
