"""Ablations of a transcript → protein network (Cranney & Meyer 2024, Figure 2D).

Starting from one architecture (a trial config, e.g. a campaign's best), each variant
changes one thing:

* ``no_block{i}`` — block ``i`` removed (the blocks after it connect to the one before);
* ``no_residual`` — the input → output residual path switched off;
* ``residual={set}`` — the residual path fed from another transcript set (``correlated``,
  ``uncorrelated`` or ``random`` instead of each protein's own mRNA);
* ``activation={name}`` — every block's activation replaced;
* ``dropout={p}`` — every block's dropout replaced.

:func:`run_ablation` trains the full model and every variant on the same k×2 splits
(same seeds, same inputs), and :func:`ablation_summary` reports each variant's median
per-protein r and MSE and their change against the full model; :func:`plot_ablation`
draws them.

Examples
--------
>>> from omicsnet.t2p.space import PAPER_BEST
>>> sorted(ablation_variants(PAPER_BEST, activations=["tanh"], dropouts=[0.0]))
['activation=tanh', 'dropout=0.0', 'full', 'no_block1', 'no_block2', 'no_block3', 'no_residual']
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError, DataError

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from matplotlib.figure import Figure

    from omicsnet.t2p.data import T2PData
    from omicsnet.t2p.space import T2PTrialConfig

logger = logging.getLogger(__name__)

FULL = "full"


def ablation_variants(
    config: Any,
    *,
    remove_blocks: bool = True,
    remove_residual: bool = True,
    remove_linear_path: bool = True,
    residual_sets: Sequence[str] = (),
    activations: Sequence[str] = (),
    dropouts: Sequence[float] = (),
) -> dict[str, T2PTrialConfig]:
    """The full model and its one-change variants, as trial configs.

    Parameters
    ----------
    config
        The architecture (trial config, its dict form, or flat search parameters).
    remove_blocks
        Add ``no_block{i}`` for every block.
    remove_residual
        Add ``no_residual`` (when the residual path is on).
    remove_linear_path
        Add ``no_linear_path`` (when the config has a linear path).
    residual_sets
        Add ``residual={set}`` for each other transcript set (when the path is on).
    activations
        Add ``activation={name}``: all blocks use that activation (skipped when they
        already all do).
    dropouts
        Add ``dropout={p}``: all blocks use that dropout (skipped when they already do).

    Returns
    -------
    dict
        Variant name → :class:`~omicsnet.t2p.space.T2PTrialConfig`, ``"full"`` first.

    Examples
    --------
    >>> v = ablation_variants({"block1_type": "fc", "block1_layers": 1, "block1_width": 8,
    ...                        "lr": 0.01, "batch_size": 8, "residual": True},
    ...                       residual_sets=["random"], dropouts=[0.5])
    >>> list(v)
    ['full', 'no_block1', 'no_residual', 'residual=random', 'dropout=0.5']
    >>> v["no_block1"].model["blocks"], v["dropout=0.5"].model["blocks"][0]["dropout"]
    ([], 0.5)
    """
    from omicsnet.t2p.space import RESIDUAL_SETS
    from omicsnet.t2p.workflows import as_trial_config

    base = as_trial_config(config)
    variants: dict[str, T2PTrialConfig] = {FULL: base}
    blocks = base.model["blocks"]

    def changed(**model_changes: Any) -> T2PTrialConfig:
        variant = copy.deepcopy(base)
        for key, value in model_changes.items():
            if key == "residual_set":
                variant.residual_set = value
            else:
                variant.model[key] = value
        return variant

    if remove_blocks:
        for i in range(len(blocks)):
            variants[f"no_block{i + 1}"] = changed(
                blocks=[b for j, b in enumerate(blocks) if j != i]
            )
    enabled = bool(base.model["residual"]["enabled"])
    if remove_residual and enabled:
        variants["no_residual"] = changed(residual={"enabled": False})
    if remove_linear_path and base.model.get("linear_path"):
        variants["no_linear_path"] = copy.deepcopy(base)
        del variants["no_linear_path"].model["linear_path"]
    for name in residual_sets:
        if name not in RESIDUAL_SETS:
            raise ConfigError(f"residual set must be one of {RESIDUAL_SETS}, got {name!r}")
        if enabled and name != base.residual_set:
            variants[f"residual={name}"] = changed(residual_set=name)
    for name in activations:
        from omicsnet.t2p.model import block_activation

        block_activation(str(name))  # unknown names fail here, not in training
        if blocks and any(b.get("activation") != name for b in blocks):
            variants[f"activation={name}"] = changed(
                blocks=[{**b, "activation": str(name)} for b in blocks]
            )
    for p in dropouts:
        if not 0.0 <= float(p) < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {p}")
        if blocks and any(float(b.get("dropout", 0.0)) != float(p) for b in blocks):
            variants[f"dropout={float(p)}"] = changed(
                blocks=[{**b, "dropout": float(p)} for b in blocks]
            )
    return variants


def run_ablation(
    data: T2PData,
    config: Any,
    *,
    variants: dict[str, Any] | None = None,
    k: int = 1,
    seed: int = 0,
    top_variable: int | None = None,
    max_epochs: int = 200,
    early_stopping: int | None = 20,
    device: str = "auto",
    progress: bool = False,
    **variant_options: Any,
) -> pd.DataFrame:
    """Train the full model and each variant on the same k×2 splits.

    Parameters
    ----------
    data
        Paired data.
    config
        The architecture to ablate.
    variants
        Name → config to compare; default :func:`ablation_variants` of ``config`` with
        ``variant_options`` (``residual_sets``, ``activations``, ``dropouts``...).
    k, seed, top_variable, max_epochs, early_stopping, device, progress
        As in :func:`omicsnet.t2p.workflows.cross_validate` (``k`` repeats of 2-fold CV).

    Returns
    -------
    DataFrame
        One row per (variant, split), as :func:`~omicsnet.t2p.workflows.cross_validate`.
    """
    from omicsnet.t2p.workflows import cross_validate

    chosen = variants if variants is not None else ablation_variants(config, **variant_options)
    if FULL not in chosen:
        chosen = {FULL: config, **chosen}
    table = cross_validate(
        data,
        chosen,
        baselines=(),
        k=k,
        seed=seed,
        top_variable=top_variable,
        max_epochs=max_epochs,
        early_stopping=early_stopping,
        device=device,
        progress=progress,
    )
    return table[table["model"] != "mrna_protein_r"].reset_index(drop=True)


def ablation_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per variant: median per-protein r and MSE over the splits, and their change
    against the full model on the same splits (paired by split).

    Returns
    -------
    DataFrame
        Index: variant (``full`` first); columns ``median_r``, ``delta_r`` (median over
        splits of the variant's r minus the full model's), ``mse``, ``delta_mse``,
        ``splits``.

    Examples
    --------
    >>> t = pd.DataFrame({"model": ["full", "full", "no_residual", "no_residual"],
    ...                   "split": ["a", "b", "a", "b"],
    ...                   "pearson_r_median": [0.6, 0.7, 0.4, 0.6], "mse": [1.0, 0.8, 1.2, 1.0]})
    >>> ablation_summary(t).loc["no_residual", ["median_r", "delta_r"]].round(2).tolist()
    [0.5, -0.15]
    """
    if FULL not in set(table["model"]):
        raise DataError("the ablation table has no 'full' model to compare with")
    wide_r = table.pivot(index="split", columns="model", values="pearson_r_median")
    wide_mse = table.pivot(index="split", columns="model", values="mse")
    order = [FULL] + [m for m in dict.fromkeys(table["model"]) if m != FULL]
    rows = {}
    for name in order:
        rows[name] = {
            "median_r": float(wide_r[name].median()),
            "delta_r": float((wide_r[name] - wide_r[FULL]).median()),
            "mse": float(wide_mse[name].mean()),
            "delta_mse": float((wide_mse[name] - wide_mse[FULL]).mean()),
            "splits": float(wide_r[name].notna().sum()),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def plot_ablation(table: pd.DataFrame) -> Figure:
    """Median per-protein r of each variant over the splits (points: single splits).

    Drawn in omicsnet's figure style (:func:`omicsnet.utils.plotting.style`); the x axis
    is Pearson r (no unit), the y axis names the variants.

    Parameters
    ----------
    table
        From :func:`run_ablation`.

    Examples
    --------
    >>> t = pd.DataFrame({"model": [FULL, FULL, "no_residual", "no_residual"],
    ...                   "split": ["s0", "s1", "s0", "s1"],
    ...                   "pearson_r_median": [0.6, 0.62, 0.5, 0.52], "mse": [0.7, 0.7, 0.8, 0.8]})
    >>> ax = plot_ablation(t).axes[0]
    >>> ax.get_xlabel(), ax.get_ylabel(), [t.get_text() for t in ax.get_yticklabels()]
    ('median per-protein Pearson r (test samples)', 'variant', ['full', 'no_residual'])
    """
    from omicsnet.utils.plotting import style

    with style():
        return _draw_ablation(table)


def _draw_ablation(table: pd.DataFrame) -> Figure:
    from matplotlib.figure import Figure

    from omicsnet.utils.plotting import label_axes, readable_ticks

    summary = ablation_summary(table)
    names = list(summary.index)
    fig = Figure(figsize=(6.5, 0.45 * len(names) + 1.2), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(names))[::-1]
    ax.barh(
        y,
        summary["median_r"],
        color=["#2ca02c"] + ["#9e9e9e"] * (len(names) - 1),
        label="median over splits",
    )
    for i, (position, name) in enumerate(zip(y, names, strict=True)):
        values = table.loc[table["model"] == name, "pearson_r_median"].to_numpy(dtype=float)
        ax.scatter(
            values,
            np.full(len(values), position),
            color="black",
            s=8,
            zorder=3,
            label="one split" if i == 0 else None,
        )
    ax.axvline(summary.loc[FULL, "median_r"], color="#2ca02c", linestyle="--", linewidth=1)
    ax.set_yticks(y, names)
    label_axes(ax, x="median per-protein Pearson r (test samples)", y="variant")
    readable_ticks(ax, y=None)
    ax.set_title("Ablation: one change at a time")
    ax.legend(loc="lower right")
    return fig
