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

from omicsnet.utils.plotting import pyplot, save_figure


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
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    ax.plot(sweep["threshold"], sweep["true_rate"], label="true High (share)")
    ax.plot(sweep["threshold"], sweep["false_rate"], label="false positives (share)")
    ax.plot(sweep["threshold"], sweep["difference"], label="difference", color="black")
    best = sweep.attrs.get("best_threshold")
    if best is not None:
        ax.axvline(best, color="grey", linestyle="--", label=f"chosen {best:.2f}")
    ax.set_xlabel("threshold on P(High)")
    ax.set_ylabel("share of validation peaks")
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return save_figure(fig, path, dpi=110)


def plot_peak_matrices(
    matrices: Any,
    feature_ids: Sequence[str],
    path: str | os.PathLike[str],
    *,
    titles: Sequence[str] | None = None,
) -> Path:
    """Draw peak matrices side by side: the trace, and the in-peak points shaded.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from omicsnet.peaks.matrices import PeakMatrices
    >>> m = PeakMatrices(np.random.default_rng(0).random((2, 2, 120)).astype("float32"),
    ...                  ["a", "b"], pd.DataFrame())
    >>> plot_peak_matrices(m, ["a", "b"], pathlib.Path(tempfile.mkdtemp()) / "m.png").name
    'm.png'
    """
    plt = pyplot()
    position = {fid: i for i, fid in enumerate(matrices.feature_ids)}
    ids = [str(i) for i in feature_ids]
    fig, axes = plt.subplots(1, len(ids), figsize=(2.4 * len(ids), 2.4), squeeze=False)
    for k, (ax, fid) in enumerate(zip(axes[0], ids, strict=True)):
        trace, mask = matrices.matrices[position[fid]]
        x = np.arange(len(trace))
        ax.fill_between(x, 0, mask, color="tab:green", alpha=0.15, step="mid", lw=0)
        ax.plot(x, trace, color="tab:blue")
        ax.set_ylim(-0.02, 1.05)
        ax.set_title(titles[k] if titles else fid, fontsize=9)
        ax.set_xticks([0, len(trace) - 1])
        if k:
            ax.set_yticks([])
    fig.tight_layout()
    return save_figure(fig, path, dpi=110)


__all__ = ["plot_peak_matrices", "plot_threshold_sweep"]
