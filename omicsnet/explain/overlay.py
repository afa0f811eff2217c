"""Annotated features over a saliency map: which known compounds sit in the hot regions?

DeepLCMS (Cseresznye 2023, Fig. 7–8) drew the features annotated by a conventional
pipeline (MS-DIAL, MZmine, XCMS) over its class-activation maps and listed the annotated
compounds inside the strongest regions. :func:`overlay_features` does that for any
:class:`~omicsnet.explain.maps.SaliencyMap` (RISE, Grad-CAM, LayerCAM): every feature is
placed on the map's RT × m/z grid, gets the map's value there and its percentile within
the map, and is matched to the :func:`~omicsnet.explain.maps.top_regions` it falls in.
:func:`plot_overlay` draws the map with the features on top.

Feature tables are read by :func:`omicsnet.ms.feature_tables.read_annotated_features`,
which recognises the usual column names of MS-DIAL, MZmine and XCMS exports (or takes
them explicitly) and converts retention times in seconds to minutes.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from omicsnet.explain.maps import SaliencyMap
>>> values = np.zeros((1, 10, 10))
>>> values[0, 4, 6] = 1.0
>>> smap = SaliencyMap(values, axes={"rt": np.arange(10.0), "mz": 100 + np.arange(10.0)})
>>> features = pd.DataFrame({"id": ["f1", "f2"], "rt": [4.0, 1.0], "mz": [106.0, 101.0],
...                          "name": ["caffeine", "unknown"]})
>>> hits = overlay_features(smap, features, top=1, quantile=0.98)
>>> hits.loc[hits["in_top_region"], ["id", "region_rank"]].values.tolist()
[['f1', 1]]
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from omicsnet.errors import DataError
from omicsnet.explain.maps import SaliencyMap, _extent, top_regions

logger = logging.getLogger(__name__)


def _cell_index(axis: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest axis position of each value and whether the value lies inside the axis."""
    low, high = _extent(axis)
    inside = (values >= min(low, high)) & (values <= max(low, high))
    order = np.argsort(axis)
    sorted_axis = axis[order]
    pos = np.clip(np.searchsorted(sorted_axis, values), 1, len(axis) - 1)
    left, right = sorted_axis[pos - 1], sorted_axis[pos]
    nearest = np.where(np.abs(values - left) <= np.abs(values - right), pos - 1, pos)
    if len(axis) == 1:
        nearest = np.zeros_like(values, dtype=int)
    return order[nearest], inside


def overlay_features(
    smap: SaliencyMap,
    features: pd.DataFrame,
    *,
    classes: Sequence[int | str] | None = None,
    top: int = 10,
    quantile: float = 0.99,
) -> pd.DataFrame:
    """Score annotated features on a saliency map and match them to its top regions.

    Parameters
    ----------
    smap
        A saliency map whose axes are in minutes and m/z (bin indices work too, when the
        features are given in the same units).
    features
        Columns ``id``, ``rt`` (minutes), ``mz`` and optionally ``name``, ``level`` — as
        :func:`read_annotated_features` returns.
    classes
        Classes to report; default all of the map's.
    top, quantile
        The regions: :func:`~omicsnet.explain.maps.top_regions` with these settings.

    Returns
    -------
    pandas.DataFrame
        One row per feature and class: ``class``, the feature columns, ``score`` (map
        value at the feature's cell), ``percentile`` (0–100 within that class's map),
        ``in_map``, ``in_top_region``, ``region_rank`` (0 when in none), ``row``, ``col``;
        sorted by class, then region rank, then score (highest first). Features outside
        the map have ``in_map`` False and no score. Feature-table columns with one of
        these names are kept with the suffix ``_feature`` (e.g. ``class_feature``).
    """
    for column in ("id", "rt", "mz"):
        if column not in features.columns:
            raise DataError(
                f"feature table lacks a {column!r} column (read it with read_annotated_features)"
            )
    names = (
        list(smap.classes or [])
        if classes is None
        else [
            smap.classes[smap.class_index(c)]
            for c in classes  # type: ignore[index]
        ]
    )
    # the feature table's own columns must not collide with the ones added here
    added = ("class", "score", "percentile", "in_map", "in_top_region", "region_rank", "row", "col")
    clashes = {c: f"{c}_feature" for c in added if c in features.columns}
    if clashes:
        features = features.rename(columns=clashes)
    rt = features["rt"].to_numpy(dtype=float)
    mz = features["mz"].to_numpy(dtype=float)
    rows, rt_inside = _cell_index(np.asarray(smap.axes.rt, dtype=float), rt)
    cols, mz_inside = _cell_index(np.asarray(smap.axes.mz, dtype=float), mz)
    in_map = rt_inside & mz_inside
    outside = int((~in_map).sum())
    if outside:
        logger.info("%d of %d features lie outside the map's RT/m/z range", outside, len(rt))
    regions = top_regions(smap, top, quantile=quantile, classes=names)
    frames = []
    for name in names:
        values = smap[name]
        flat = np.sort(values.ravel())
        score = np.where(in_map, values[rows, cols], np.nan)
        percentile = np.where(
            in_map, 100.0 * np.searchsorted(flat, score, side="right") / flat.size, np.nan
        )
        rank = np.zeros(len(rt), dtype=int)
        for region in (
            regions[regions["class"] == name].sort_values("rank", ascending=False).itertuples()
        ):
            inside = (
                in_map
                & (rows >= region.row_start)
                & (rows <= region.row_end)
                & (cols >= region.col_start)
                & (cols <= region.col_end)
            )
            rank[inside] = region.rank
        frame = features.copy()
        frame.insert(0, "class", name)
        frame["score"] = score
        frame["percentile"] = percentile
        frame["in_map"] = in_map
        frame["in_top_region"] = rank > 0
        frame["region_rank"] = rank
        frame["row"], frame["col"] = rows, cols
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out["_order"] = np.where(out["region_rank"] > 0, out["region_rank"], np.iinfo(int).max)
    out = out.sort_values(["class", "_order", "score"], ascending=[True, True, False])
    return out.drop(columns="_order").reset_index(drop=True)


def plot_overlay(
    smap: SaliencyMap,
    hits: pd.DataFrame,
    *,
    classes: Sequence[int | str] | None = None,
    label_top: int = 8,
    top: int = 10,
    quantile: float = 0.99,
    cmap: str = "inferno",
) -> Any:
    """The map of each class with the features on top (from :func:`overlay_features`).

    Features inside a top region are drawn as filled cyan circles and up to ``label_top``
    of them, best-scoring first, are labelled with their name (or ID) where a label fits
    without covering another label or feature; the others are small white dots. Returns
    a matplotlib ``Figure`` (write it with :func:`omicsnet.utils.plotting.save_figure`).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> smap = SaliencyMap(np.random.default_rng(0).random((1, 8, 8)))
    >>> features = pd.DataFrame({"id": ["a"], "rt": [3.0], "mz": [4.0]})
    >>> fig = plot_overlay(smap, overlay_features(smap, features, top=2))
    >>> len(fig.axes) >= 1
    True
    """
    from matplotlib.figure import Figure
    from matplotlib.patheffects import withStroke

    from omicsnet.explain.maps import plot_maps
    from omicsnet.utils.plotting import place_labels, style

    names = (
        list(dict.fromkeys(hits["class"]))
        if classes is None
        else [
            smap.classes[smap.class_index(c)]
            for c in classes  # type: ignore[index]
        ]
    )
    fig: Figure = plot_maps(smap, classes=names, regions=top, quantile=quantile, cmap=cmap)
    image_axes = [ax for ax in fig.axes if ax.get_images()]
    with style():
        for ax, name in zip(image_axes, names, strict=True):
            shown = hits[(hits["class"] == name) & hits["in_map"]]
            hot = shown[shown["in_top_region"]].sort_values("score", ascending=False)
            cold = shown[~shown["in_top_region"]]
            ax.scatter(cold["mz"], cold["rt"], s=6, color="white", alpha=0.6, linewidths=0)
            ax.scatter(hot["mz"], hot["rt"], s=22, color="cyan", edgecolors="black",
                       linewidths=0.5)  # fmt: skip
            labels = [str(getattr(row, "name", "") or row.id) for row in hot.itertuples()]
            place_labels(
                ax,
                [*hot["mz"], *cold["mz"]],
                [*hot["rt"], *cold["rt"]],
                labels + [""] * len(cold),  # unlabelled dots are kept clear too
                budget=label_top,
                marker_size=[5.0] * len(hot) + [2.5] * len(cold),
                fontsize=6,
                colors=["white"] * (len(hot) + len(cold)),
                path_effects=[withStroke(linewidth=1.5, foreground="black")],
            )
    return fig
