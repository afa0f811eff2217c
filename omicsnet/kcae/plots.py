"""Figures of the kcae family: predicted against measured phenotypes (with units, coloured
by study), PCC per phenotype, node-activity heat maps labelled with reaction/protein names.

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
from omicsnet.utils.numbers import format_number
from omicsnet.utils.plotting import (
    colorbar,
    label_axes,
    pyplot,
    readable_ticks,
    save_figure,
    styled,
)


@styled
def plot_predicted_vs_measured(
    measured: pd.Series,
    predicted: pd.Series,
    path: str | os.PathLike[str],
    *,
    studies: pd.Series | None = None,
    title: str = "",
    quantity: str | None = None,
    unit: str | None = None,
) -> Path:
    """Scatter of predicted against measured values, coloured by study, with y = x.

    Parameters
    ----------
    measured, predicted
        Values by sample ID (only samples in both are drawn). For a held-out evaluation
        pass out-of-fold predictions only (each sample predicted by a model that did not
        train on its study).
    path
        Figure file.
    studies
        Study of each sample: one colour per study, named in a legend beside the axes.
    title
        Title; default the PCC and the number of samples.
    quantity, unit
        Axis labels ``measured <quantity> (<unit>)`` and ``predicted <quantity> (<unit>)``,
        e.g. ``"growth rate"`` and ``"1/h"``; default ``measured.name`` without a unit.
    """
    plt = pyplot()
    ids = [i for i in measured.index if i in predicted.index]
    y = measured.loc[ids].to_numpy(float)
    p = predicted.loc[ids].to_numpy(float)
    quantity = quantity if quantity is not None else str(measured.name or "value")
    fig, ax = plt.subplots(figsize=(6.8 if studies is not None else 4.8, 4.4))
    if studies is not None:
        labels = studies.loc[ids].astype(str)
        names = sorted(set(labels))
        colours = plt.get_cmap("tab20" if len(names) > 10 else "tab10")
        markers = "osD^v<>"
        for i, study in enumerate(names):
            sel = (labels == study).to_numpy()
            ax.scatter(
                y[sel], p[sel], s=16, alpha=0.85, color=colours(i % colours.N),
                marker=markers[(i // colours.N) % len(markers)],
                label=f"{study} ({int(sel.sum())})",
            )  # fmt: skip
        ax.legend(
            fontsize=6, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0),
            title="study (samples)", title_fontsize=7,
            ncol=1 if len(names) <= 24 else 2,
        )  # fmt: skip
    else:
        ax.scatter(y, p, s=14, alpha=0.8)
    finite = np.concatenate([y, p])
    low, high = float(np.nanmin(finite)), float(np.nanmax(finite))
    ax.plot([low, high], [low, high], color="grey", lw=1, ls="--", label="_y = x")
    label_axes(ax, x=(f"measured {quantity}", unit), y=(f"predicted {quantity}", unit))
    readable_ticks(ax, x=6, y=6)
    ax.set_title(title or f"PCC {format_number(pearson_r(y, p), 2)}, n={len(y)}", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path, dpi=120)


@styled
def plot_node_activity(
    activity: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    labels: dict[str, str] | None = None,
    groups: pd.Series | None = None,
    nodes: list[str] | None = None,
    top: int = 30,
    title: str = "",
) -> Path:
    """Heat map of latent node activities: nodes (labelled by name) x samples (by study).

    Parameters
    ----------
    activity
        Samples x nodes (:func:`omicsnet.kcae.guided_train.latent_activity`).
    path
        Figure file.
    labels
        Node id -> readable label (reaction or protein names, e.g. from
        :func:`omicsnet.kcae.interpret.node_labels`); default the ids.
    groups
        Group of each sample (study): samples are ordered by group, and a colour strip
        above the map names the groups.
    nodes
        Nodes to show, in order (e.g. the top of :func:`~omicsnet.kcae.interpret.
        node_attributions`); default the ``top`` nodes with the largest variance.
    top
        How many nodes when ``nodes`` is not given.
    title
        Figure title.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> a = pd.DataFrame(np.random.default_rng(0).normal(size=(6, 3)),
    ...                  columns=["EX_ac_e", "b1+b2", "free_0"])
    >>> out = plot_node_activity(a, pathlib.Path(tempfile.mkdtemp()) / "a.png",
    ...     labels={"EX_ac_e": "EX_ac_e (Acetate exchange)"},
    ...     groups=pd.Series(list("aabbcc"), index=a.index))
    >>> out.suffix
    '.png'
    """
    plt = pyplot()
    chosen = (
        list(nodes)
        if nodes is not None
        else list(activity.var(axis=0).sort_values(ascending=False).index[:top])
    )
    frame = activity[chosen]
    if groups is not None:
        order = groups.loc[frame.index].astype(str).sort_values(kind="stable")
        frame = frame.loc[order.index]
    values = frame.to_numpy(float)
    # each node centred and scaled over the samples shown: activities have no common unit
    values = (values - values.mean(0)) / np.where(values.std(0) > 0, values.std(0), 1.0)
    names = [(labels or {}).get(n, n) for n in chosen]
    height = 0.22 * len(chosen) + (2.4 if groups is not None else 1.6)
    fig, ax = plt.subplots(figsize=(8.5, height))
    limit = float(np.nanmax(np.abs(values))) if values.size else 1.0
    image = ax.imshow(values.T, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit,
                      interpolation="nearest")  # fmt: skip
    ax.set_yticks(range(len(chosen)), names, fontsize=6)
    colorbar(image, ax, "activity (z-score per node)",
             fraction=0.025, pad=0.01)  # fmt: skip
    if groups is not None:
        codes, uniques = pd.factorize(order)
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        ends = np.r_[starts[1:], len(codes)]
        for start in starts[1:]:
            ax.axvline(start - 0.5, color="black", lw=0.4)
        ax.set_xticks((starts + ends - 1) / 2, [str(uniques[c]) for c in codes[starts]],
                      rotation=60, ha="right", fontsize=5.5)  # fmt: skip
        label_axes(ax, x=f"samples ({len(order)}), grouped by study")
    else:
        ax.set_xticks([])
        label_axes(ax, x=f"samples ({len(frame)})")
    label_axes(ax, y="latent node (reaction / protein / free)")
    ax.set_title(title or "node activity", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path, dpi=130)


@styled
def plot_phenotype_pcc(pcc: pd.Series, path: str | os.PathLike[str], *, title: str = "") -> Path:
    """Horizontal bars of the PCC of each phenotype (sorted)."""
    plt = pyplot()
    values = pcc.dropna().sort_values()
    fig, ax = plt.subplots(figsize=(5, 0.3 * max(len(values), 3) + 1))
    ax.barh(range(len(values)), values.to_numpy(), color="#4477aa")
    ax.set_yticks(range(len(values)), [str(i) for i in values.index], fontsize=7)
    ax.axvline(0, color="black", lw=0.8)
    label_axes(ax, x="Pearson r, predicted vs measured")
    readable_ticks(ax, x=6, y=None)
    ax.set_title(title or "per-phenotype PCC", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path, dpi=120)


__all__ = ["plot_node_activity", "plot_phenotype_pcc", "plot_predicted_vs_measured"]
