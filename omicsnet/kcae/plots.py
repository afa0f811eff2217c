"""Figures of the kcae family: predicted against measured phenotypes, PCC per phenotype.

Examples
--------
>>> import tempfile, pathlib
>>> y = pd.Series([0.1, 0.4, 0.6, 0.9], name="growth rate (1/h)")
>>> path = plot_predicted_vs_measured(y, y * 0.9 + 0.05, pathlib.Path(tempfile.mkdtemp()) / "g.png")
>>> path.suffix
'.png'
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from omicsnet.train.metrics import pearson_r
from omicsnet.utils.plotting import pyplot, save_figure


def plot_predicted_vs_measured(
    measured: pd.Series,
    predicted: pd.Series,
    path: str | os.PathLike[str],
    *,
    studies: pd.Series | None = None,
    title: str = "",
) -> Path:
    """Scatter of predicted against measured values (coloured by study), with y = x."""
    plt = pyplot()
    ids = [i for i in measured.index if i in predicted.index]
    y = measured.loc[ids].to_numpy(float)
    p = predicted.loc[ids].to_numpy(float)
    fig, ax = plt.subplots(figsize=(4.8, 4.4))
    if studies is not None:
        labels = studies.loc[ids].astype(str)
        for study in sorted(set(labels)):
            sel = (labels == study).to_numpy()
            ax.scatter(y[sel], p[sel], s=14, label=study, alpha=0.8)
        if labels.nunique() <= 16:
            ax.legend(fontsize=5, ncol=2, frameon=False)
    else:
        ax.scatter(y, p, s=14, alpha=0.8)
    finite = np.concatenate([y, p])
    low, high = float(np.nanmin(finite)), float(np.nanmax(finite))
    ax.plot([low, high], [low, high], color="grey", lw=1, ls="--")
    ax.set_xlabel(f"measured {measured.name or ''}".strip())
    ax.set_ylabel("predicted")
    ax.set_title(title or f"PCC {pearson_r(y, p):.2f}, n={len(y)}", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path, dpi=120)


def plot_phenotype_pcc(pcc: pd.Series, path: str | os.PathLike[str], *, title: str = "") -> Path:
    """Horizontal bars of the PCC of each phenotype (sorted)."""
    plt = pyplot()
    values = pcc.dropna().sort_values()
    fig, ax = plt.subplots(figsize=(5, 0.3 * max(len(values), 3) + 1))
    ax.barh(range(len(values)), values.to_numpy(), color="#4477aa")
    ax.set_yticks(range(len(values)), [str(i) for i in values.index], fontsize=7)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("Pearson r (predicted vs measured)")
    ax.set_title(title or "per-phenotype PCC", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path, dpi=120)


__all__ = ["plot_phenotype_pcc", "plot_predicted_vs_measured"]
