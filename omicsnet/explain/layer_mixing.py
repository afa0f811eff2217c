"""Batch effects through a network: does each layer cluster samples by batch or by class?

DeepMSProfiler (Deng et al. 2024, Fig. 3) collected the outputs of successive layers of
its DenseNet, reduced them with PCA and showed that the raw input clusters by analysis
batch while deeper layers cluster by class. :func:`layer_mixing` repeats that analysis
for any model and any labelled samples:

1. :func:`layer_outputs` runs the samples through the model once, with forward hooks on
   the chosen layers (default: the raw input, the input as the network sees it after the
   model's ``preprocess`` step when it has one, every dense block and transition of a
   DenseNet — or the model's top-level children — and the penultimate features feeding
   the last linear layer). Spatial outputs ``(C, H, W)`` are average-pooled to at most
   ``spatial × spatial`` per channel and flattened, so memory stays bounded.
2. Each layer's outputs are centred (optionally standardised) and reduced to
   ``n_components`` principal components (fewer when there are fewer samples). Centring
   only is the default: scaling every feature to unit variance would give the thousands
   of near-empty cells of a raw LC-MS matrix the same weight as its peaks.
3. :func:`omicsnet.explain.mixing.mixing_scores` scores the PCA coordinates against the
   batch label and against the class label.

With reference/QC samples marked, the raw input is also scored after
:func:`reference_normalize` (each batch scaled so its reference samples match the
reference mean over all batches) — the conventional correction to compare with.

Examples
--------
>>> import numpy as np, torch
>>> from torch import nn
>>> model = nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 2))
>>> x = torch.randn(12, 1, 4, 4)
>>> result = layer_mixing(model, x, batches=[0, 1] * 6, classes=[0] * 6 + [1] * 6,
...                       k=3, perplexity=3, progress=False)
>>> result.layers
['input', '0', '1', '2', 'penultimate']
>>> sorted(result.table["label"].unique())
['batch', 'class']
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from omicsnet.errors import ConfigError, DataError
from omicsnet.explain.mixing import MIXING_METRICS, mixing_scores

logger = logging.getLogger(__name__)

INPUT = "input"
PREPROCESSED = "preprocessed"
PENULTIMATE = "penultimate"
_SPECIAL = (INPUT, PREPROCESSED, PENULTIMATE)
_DENSENET_STAGE = re.compile(r"(^|\.)(denseblock|transition)\d+$")


def default_layers(model: nn.Module) -> list[str]:
    """The layers :func:`layer_mixing` probes unless told otherwise.

    ``"input"`` (the raw input); ``"preprocessed"`` when the model has a ``preprocess``
    method (the zoo's LC-MS models: pre-pooling and intensity transform); then every
    ``denseblockN``/``transitionN`` module when the model has them (the zoo's DenseNets),
    else every top-level child except the last linear layer; then ``"penultimate"`` (the
    input of the model's last ``nn.Linear``).

    Examples
    --------
    >>> from omicsnet.models import create_model
    >>> m = create_model("lcms_densenet", block_config=[1, 1], growth_rate=4, init_features=8)
    >>> default_layers(m)
    ['input', 'preprocessed', 'backbone.features.denseblock1', 'backbone.features.transition1', \
'backbone.features.denseblock2', 'penultimate']
    """
    stages = [name for name, _ in model.named_modules() if _DENSENET_STAGE.search(name)]
    if not stages:
        last_linear = _last_linear_name(model)
        stages = [name for name, _ in model.named_children() if name != last_linear]
    front = [INPUT, PREPROCESSED] if callable(getattr(model, "preprocess", None)) else [INPUT]
    return [*front, *stages, PENULTIMATE]


def _last_linear_name(model: nn.Module) -> str | None:
    names = [name for name, module in model.named_modules() if isinstance(module, nn.Linear)]
    return names[-1] if names else None


def _summarise(tensor: torch.Tensor, spatial: int) -> torch.Tensor:
    """``(batch, ...)`` → ``(batch, features)``: pool spatial maps, flatten the rest."""
    out = tensor.detach().float()
    if out.ndim == 4:
        size = (min(spatial, out.shape[-2]), min(spatial, out.shape[-1]))
        out = torch.nn.functional.adaptive_avg_pool2d(out, size)
    elif out.ndim == 3 and spatial > 0:
        out = torch.nn.functional.adaptive_avg_pool1d(out, min(spatial, out.shape[-1]))
    return out.flatten(1).cpu()


def layer_outputs(
    model: nn.Module,
    x: Any,
    layers: Sequence[str] | None = None,
    *,
    batch_size: int = 8,
    spatial: int = 8,
    input_size: int = 64,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> dict[str, np.ndarray]:
    """Outputs of chosen layers for every sample, as ``samples × features`` arrays.

    Parameters
    ----------
    model
        Any ``torch.nn.Module``; it is put in eval mode for the run and restored after.
    x
        Inputs ``(n, ...)`` as a tensor or array, in the form the model takes.
    layers
        Module names from ``model.named_modules()``, plus ``"input"`` (the raw input as
        given), ``"preprocessed"`` (the input passed through the model's ``preprocess``
        method, e.g. pre-pooling and log transform) and ``"penultimate"`` (the input of
        the last ``nn.Linear``).
        Default: :func:`default_layers`.
    batch_size
        Samples per forward pass.
    spatial
        Spatial outputs are average-pooled to at most ``spatial × spatial`` per channel.
    input_size
        The same for ``"input"`` and ``"preprocessed"`` (a single channel keeps more
        detail: 64 × 64).
    device
        Where to run; default: where the model's parameters are.
    progress
        Show a progress bar.

    Returns
    -------
    dict
        Layer name → ``(n, features)`` float32 array, in the order of ``layers``.
    """
    from tqdm.auto import tqdm

    names = list(layers) if layers is not None else default_layers(model)
    modules = dict(model.named_modules())
    unknown = [n for n in names if n not in _SPECIAL and n not in modules]
    if unknown:
        available = [n for n in modules if n][:30]
        raise ConfigError(
            f"unknown layer(s) {unknown}; the model has e.g. {available} "
            "(see model.named_modules())"
        )
    preprocess = getattr(model, "preprocess", None)
    if PREPROCESSED in names and not callable(preprocess):
        raise ConfigError(f"'{PREPROCESSED}' needs a model with a preprocess() method")
    last_linear = _last_linear_name(model)
    if PENULTIMATE in names and last_linear is None:
        raise ConfigError("'penultimate' needs a model whose last layer is an nn.Linear")
    data = torch.as_tensor(np.asarray(x) if not torch.is_tensor(x) else x).float()
    if data.shape[0] == 0:
        raise DataError("no samples given")
    if device is None:
        param = next(model.parameters(), None)
        device = param.device if param is not None else torch.device("cpu")
    collected: dict[str, list[torch.Tensor]] = {name: [] for name in names}
    # outputs of the current forward pass; a module called more than once per pass (one
    # backbone shared by two branches, e.g. lcms_dual with shared_weights) gives one block
    # of features per call, joined side by side
    calls: dict[str, list[torch.Tensor]] = {name: [] for name in names}
    hooks = []

    def output_hook(name: str):
        def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
            tensor = output[0] if isinstance(output, (tuple, list)) else output
            calls[name].append(_summarise(tensor, spatial))

        return hook

    def input_hook(_module: nn.Module, inputs: Any) -> None:
        calls[PENULTIMATE].append(_summarise(inputs[0], spatial))

    for name in names:
        if name not in _SPECIAL:
            hooks.append(modules[name].register_forward_hook(output_hook(name)))
    if PENULTIMATE in names:
        hooks.append(modules[last_linear].register_forward_pre_hook(input_hook))
    was_training = model.training
    model.eval()
    needs_forward = any(n not in (INPUT, PREPROCESSED) for n in names)
    try:
        with torch.no_grad():
            starts = range(0, data.shape[0], batch_size)
            for start in tqdm(starts, desc="layer outputs", disable=not progress, leave=False):
                chunk = data[start : start + batch_size].to(device)
                if INPUT in names:
                    calls[INPUT].append(_summarise(chunk, input_size))
                if PREPROCESSED in names:
                    calls[PREPROCESSED].append(_summarise(preprocess(chunk), input_size))
                if needs_forward:
                    model(chunk)
                for name in names:
                    if not calls[name]:
                        raise ConfigError(
                            f"layer {name!r} was not called in the model's forward pass"
                        )
                    collected[name].append(torch.cat(calls[name], dim=1))
                    calls[name] = []
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return {name: torch.cat(collected[name]).numpy().astype(np.float32) for name in names}


def reference_normalize(
    x: np.ndarray, batches: Sequence[Any], is_reference: Sequence[bool], *, eps: float = 1e-12
) -> np.ndarray:
    """Scale each batch so that its reference (QC) samples match the overall reference mean.

    For every feature ``j`` and batch ``b``: ``x[i, j] * m_j / m_bj`` for the samples of
    ``b``, where ``m_bj`` is the mean of feature ``j`` over the reference samples of ``b``
    and ``m_j`` the mean of the per-batch reference means. Features where a batch's
    reference mean is 0 are left as they are.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 2.0], [1.0, 2.0], [3.0, 6.0], [3.0, 6.0]])
    >>> reference_normalize(x, ["a", "a", "b", "b"], [True, False, True, False]).tolist()
    [[2.0, 4.0], [2.0, 4.0], [2.0, 4.0], [2.0, 4.0]]
    """
    data = np.asarray(x, dtype=float)
    batch = np.asarray(batches).astype(str)
    ref = np.asarray(is_reference, dtype=bool)
    if not (len(batch) == len(ref) == data.shape[0]):
        raise DataError(
            f"{data.shape[0]} samples but {len(batch)} batch labels and {len(ref)} reference flags"
        )
    names = np.unique(batch)
    missing = [str(b) for b in names if not ref[batch == b].any()]
    if missing:
        raise DataError(f"batch(es) {missing} have no reference/QC sample to normalise with")
    means = np.stack([data[(batch == b) & ref].mean(axis=0) for b in names])
    target = means.mean(axis=0)
    out = data.copy()
    for b, mean in zip(names, means, strict=True):
        factor = np.where(np.abs(mean) > eps, target / np.where(np.abs(mean) > eps, mean, 1), 1)
        out[batch == b] *= factor
    return out


def _pca_with_variance(
    values: np.ndarray, n_components: int, standardize: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """PCA coordinates and the share of the total variance each component explains."""
    from sklearn.decomposition import PCA

    centred = values.astype(np.float64) - values.mean(axis=0)
    scale = centred.std(axis=0)
    centred = centred[:, scale > 0]
    if standardize:
        centred = centred / scale[scale > 0]
    if centred.shape[1] == 0:  # a constant layer: one component explaining nothing
        return np.zeros((values.shape[0], 1)), np.zeros(1)
    k = max(1, min(n_components, values.shape[0] - 1, centred.shape[1]))
    pca = PCA(n_components=k, random_state=0)
    return pca.fit_transform(centred), pca.explained_variance_ratio_.astype(np.float64)


def _pca(values: np.ndarray, n_components: int, standardize: bool = False) -> np.ndarray:
    return _pca_with_variance(values, n_components, standardize)[0]


@dataclass
class LayerMixingResult:
    """Scores and PCA coordinates of each layer, with plots.

    Attributes
    ----------
    table
        Long table: ``layer``, ``depth`` (0 = input), ``label`` (``"batch"``/``"class"``),
        ``metric``, ``value``, ``higher_means_associated``.
    embeddings
        Layer → PCA coordinates ``(n, n_components)``.
    batches, classes
        The labels used, one per sample.
    sample_ids
        Sample names (may be empty).
    explained_variance
        Layer → share of that layer's total variance explained by each component (the
        axis titles of :meth:`plot_pca`; ``pca_variance.csv``).
    """

    table: pd.DataFrame
    embeddings: dict[str, np.ndarray]
    batches: np.ndarray
    classes: np.ndarray
    sample_ids: list[str] = field(default_factory=list)
    explained_variance: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def layers(self) -> list[str]:
        """Layer names in depth order."""
        return list(self.embeddings)

    def wide(self) -> pd.DataFrame:
        """One row per layer, one column per ``metric:label``.

        Examples
        --------
        >>> import torch
        >>> from torch import nn
        >>> m = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.Linear(3, 2))
        >>> r = layer_mixing(m, torch.randn(8, 4), batches=[0, 1] * 4, classes=[0] * 4 + [1] * 4,
        ...                  k=3, perplexity=2, progress=False)
        >>> r.wide().shape[0], "nmi_kmeans:batch" in r.wide().columns
        (4, True)
        """
        wide = self.table.pivot_table(
            index=["depth", "layer"], columns=["metric", "label"], values="value"
        )
        wide.columns = [f"{metric}:{label}" for metric, label in wide.columns]
        return wide.reset_index().sort_values("depth").reset_index(drop=True)

    def save(self, folder: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write ``scores.csv`` (long), ``scores_wide.csv``, ``pca.csv`` and ``pca_variance.csv``.

        Plots too when matplotlib is installed. The folder is written as one unit (see
        :mod:`omicsnet.utils.output`); floats are rounded to 6 significant digits.
        """
        from omicsnet.utils.io import write_csv
        from omicsnet.utils.output import atomic_directory

        frames = []
        for layer, coords in self.embeddings.items():
            frame = pd.DataFrame(coords[:, :2], columns=["pc1", "pc2"][: coords.shape[1]])
            frame.insert(0, "layer", layer)
            frame.insert(1, "sample", self.sample_ids or list(range(len(coords))))
            frame["batch"], frame["class"] = self.batches, self.classes
            frames.append(frame)
        variance = pd.DataFrame(
            [
                {"layer": layer, "component": f"PC{i + 1}", "explained_variance_ratio": ratio}
                for layer, ratios in self.explained_variance.items()
                for i, ratio in enumerate(ratios)
            ],
            columns=["layer", "component", "explained_variance_ratio"],
        )
        with atomic_directory(folder, overwrite=overwrite) as tmp:
            write_csv(self.table, tmp / "scores.csv")
            write_csv(self.wide(), tmp / "scores_wide.csv")
            write_csv(pd.concat(frames), tmp / "pca.csv")
            write_csv(variance, tmp / "pca_variance.csv")
            try:
                import matplotlib  # noqa: F401
            except ImportError:
                logger.info("matplotlib not installed: no plots")
            else:
                from omicsnet.utils.plotting import save_figure

                save_figure(self.plot_scores(), tmp / "association_by_depth.png")
                save_figure(self.plot_pca(), tmp / "pca_by_layer.png")
        return Path(folder)

    def plot_scores(
        self, metrics: Sequence[str] = ("nmi_kmeans", "ari_kmeans", "silhouette", "lisi_scaled")
    ) -> Any:
        """Batch vs class association across depth, one panel per metric.

        Returns a matplotlib ``Figure`` (not registered with pyplot); write it with
        :func:`omicsnet.utils.plotting.save_figure`.

        Examples
        --------
        >>> import torch
        >>> from torch import nn
        >>> m = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.Linear(3, 2))
        >>> r = layer_mixing(m, torch.randn(8, 4), batches=[0, 1] * 4, classes=[0] * 4 + [1] * 4,
        ...                  k=3, perplexity=2, progress=False)
        >>> r.plot_scores().axes[0].get_ylabel()
        'NMI, k-means clusters vs labels'
        """
        from matplotlib.figure import Figure

        from omicsnet.utils.plotting import style

        wide = self.wide()
        with style():
            fig = Figure(figsize=(3.4 * len(metrics), 3.3), dpi=110, layout="constrained")
            axes = np.atleast_1d(fig.subplots(1, len(metrics)))
            for ax, metric in zip(axes, metrics, strict=True):
                for label, colour, dash in (("batch", "tab:red", "-"), ("class", "tab:blue", "--")):
                    column = f"{metric}:{label}"
                    if column in wide:
                        ax.plot(wide["depth"], wide[column], marker="o", linestyle=dash,
                                color=colour, label=label)  # fmt: skip
                ax.set_xticks(wide["depth"], wide["layer"].map(_short), rotation=60, ha="right")
                direction = "higher" if MIXING_METRICS.get(metric, True) else "lower"
                ax.set_ylabel(METRIC_LABELS.get(metric, metric))
                ax.set_title(f"{direction} = more associated", fontsize=8)
                ax.grid(alpha=0.3)
            axes[0].legend(title="association with")
            fig.supxlabel("layer (input to output)", fontsize=9)
        return fig

    def plot_pca(self, max_layers: int = 8) -> Any:
        """PCA scatter per layer: colour = class, marker = batch; returns the figure.

        Each panel's axes say which components they show and how much of that layer's
        variance each explains (``PC1 (34 % variance)``).

        Examples
        --------
        >>> import torch
        >>> from torch import nn
        >>> m = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.Linear(3, 2))
        >>> r = layer_mixing(m, torch.randn(8, 4), batches=[0, 1] * 4, classes=[0] * 4 + [1] * 4,
        ...                  k=3, perplexity=2, progress=False)
        >>> r.plot_pca().axes[0].get_xlabel()  # doctest: +ELLIPSIS
        'PC1 (... % variance)'
        """
        from matplotlib import colormaps
        from matplotlib.figure import Figure

        from omicsnet.utils.plotting import label_pca_axes, style

        layers = self.layers
        if len(layers) > max_layers:  # keep the first, the last and evenly spaced between
            keep = np.unique(np.linspace(0, len(layers) - 1, max_layers).round().astype(int))
            layers = [layers[i] for i in keep]
        class_names = list(dict.fromkeys(self.classes.tolist()))
        batch_names = list(dict.fromkeys(self.batches.tolist()))
        markers = "os^Dv<>PX*"
        colours = colormaps["tab10"]
        columns = min(4, len(layers))
        rows = -(-len(layers) // columns)
        with style():
            fig = Figure(figsize=(2.9 * columns + 1.3, 2.7 * rows), dpi=110, layout="constrained")
            axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel()
            for ax, layer in zip(axes, layers, strict=False):
                coords = self.embeddings[layer]
                y = coords[:, 1] if coords.shape[1] > 1 else np.zeros(len(coords))
                for ci, cls in enumerate(class_names):
                    for bi, batch in enumerate(batch_names):
                        sel = (self.classes == cls) & (self.batches == batch)
                        ax.scatter(
                            coords[sel, 0],
                            y[sel],
                            s=18,
                            color=colours(ci % 10),
                            marker=markers[bi % len(markers)],
                            label=f"{cls} / {batch}",
                        )
                ax.set_title(_short(layer))
                label_pca_axes(ax, self.explained_variance.get(layer))
                ax.xaxis.label.set_size(7.5)
                ax.yaxis.label.set_size(7.5)
                ax.set_xticks([])  # principal-component scores have no unit worth reading
                ax.set_yticks([])
            for ax in axes[len(layers) :]:
                ax.set_axis_off()
            handles, labels = axes[0].get_legend_handles_labels()
            fig.legend(handles, labels, loc="outside right upper", title="class / batch")
        return fig


#: Axis titles of the association metrics.
METRIC_LABELS = {
    "nmi_kmeans": "NMI, k-means clusters vs labels",
    "ari_kmeans": "ARI, k-means clusters vs labels",
    "nmi_knn": "NMI, kNN-graph clusters vs labels",
    "ari_knn": "ARI, kNN-graph clusters vs labels",
    "silhouette": "silhouette width by label",
    "kbet_acceptance": "kBET acceptance rate",
    "lisi": "LISI (1 = unmixed)",
    "lisi_scaled": "LISI, scaled (0 = unmixed)",
}


def _short(layer: str) -> str:
    """A tick label: the last part of a module path; the normalised input abbreviated."""
    if layer.endswith("(reference-normalised)"):
        return "input (QC-norm.)"
    return layer.rsplit(".", 1)[-1]


def layer_mixing(
    model: nn.Module,
    x: Any,
    batches: Sequence[Any],
    classes: Sequence[Any],
    *,
    layers: Sequence[str] | None = None,
    reference: Sequence[bool] | None = None,
    sample_ids: Sequence[str] | None = None,
    n_components: int = 10,
    standardize: bool = False,
    k: int = 10,
    perplexity: float = 30.0,
    seed: int = 0,
    batch_size: int = 8,
    spatial: int = 8,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> LayerMixingResult:
    """Score how strongly each layer's outputs cluster by batch and by class.

    Parameters
    ----------
    model, x
        The model and its inputs (``n`` samples).
    batches, classes
        One batch label and one class label per sample.
    layers
        Layers to probe (see :func:`layer_outputs`); default :func:`default_layers`.
    reference
        Optional flags marking reference/QC samples; adds the layer
        ``"input (reference-normalised)"``: the raw input scored after
        :func:`reference_normalize` (needs ``"input"`` among the layers).
    sample_ids
        Sample names for the saved PCA table.
    n_components
        Principal components kept per layer (at most ``n - 1``).
    standardize
        Scale every feature to unit variance before the PCA (default: centre only).
    k, perplexity, seed
        Neighbourhood size (kNN clusters, kBET), LISI perplexity and k-means seed; both
        are capped by the number of samples.
    batch_size, spatial, device, progress
        As :func:`layer_outputs`.

    Returns
    -------
    LayerMixingResult
    """
    n = len(batches)
    if len(classes) != n:
        raise DataError(f"{n} batch labels but {len(classes)} class labels")
    for what, values in (("batch", batches), ("class", classes)):
        distinct = sorted({str(v) for v in values})
        if len(distinct) < 2:
            raise DataError(
                f"all {n} samples have the same {what} label {distinct}: "
                f"{what} association needs at least two {what}es"
            )
        if len(distinct) >= n:
            raise DataError(
                f"{n} samples in {len(distinct)} {what}es: scores need more samples than "
                f"{what}es (some {what} with at least two samples)"
            )
    if reference is not None:
        if len(reference) != n:
            raise DataError(f"{n} batch labels but {len(reference)} reference flags")
        if layers is not None and INPUT not in layers:
            raise ConfigError(
                f"reference normalisation applies to the raw input: add '{INPUT}' to the layers"
            )
    outputs = layer_outputs(
        model,
        x,
        layers,
        batch_size=batch_size,
        spatial=spatial,
        device=device,
        progress=progress,
    )
    first = next(iter(outputs.values()))
    if first.shape[0] != n:
        raise DataError(f"{first.shape[0]} samples in x but {n} batch/class labels")
    if reference is not None:
        normalised = reference_normalize(outputs[INPUT], batches, reference)
        items = list(outputs.items())
        items.insert(
            list(outputs).index(INPUT) + 1,
            (f"{INPUT} (reference-normalised)", normalised.astype(np.float32)),
        )
        outputs = dict(items)
    k_eff = max(1, min(k, n - 1))
    perplexity_eff = max(1.0, min(perplexity, (n - 1) / 3))
    rows = []
    embeddings: dict[str, np.ndarray] = {}
    variance: dict[str, np.ndarray] = {}
    depth = 0.0
    for layer, values in outputs.items():
        coords, ratios = _pca_with_variance(values, n_components, standardize)
        embeddings[layer] = coords
        variance[layer] = ratios
        # the normalised input sits between the input (0) and the first layer (1)
        layer_depth = 0.5 if layer.endswith("(reference-normalised)") else depth
        for label_name, label in (("batch", batches), ("class", classes)):
            scores = mixing_scores(coords, label, k=k_eff, perplexity=perplexity_eff, seed=seed)
            rows += [
                {
                    "layer": layer,
                    "depth": layer_depth,
                    "label": label_name,
                    "metric": metric,
                    "value": value,
                    "higher_means_associated": MIXING_METRICS[metric],
                }
                for metric, value in scores.items()
            ]
        if layer_depth == depth:
            depth += 1
    table = pd.DataFrame(rows)
    return LayerMixingResult(
        table,
        embeddings,
        np.asarray(batches).astype(str),
        np.asarray(classes).astype(str),
        [str(s) for s in sample_ids] if sample_ids is not None else [],
        variance,
    )
