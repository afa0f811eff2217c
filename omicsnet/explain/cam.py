"""Class-activation maps (Grad-CAM and LayerCAM) as RT × m/z saliency maps.

Both read one layer's activations ``A`` (``K`` channels of ``h × w``) and the gradient
``G = ∂y_c/∂A`` of a class score ``y_c`` (the logit; for a one-logit binary head,
``+logit`` for the positive class and ``-logit`` for the negative one):

* **Grad-CAM** (Selvaraju et al., ICCV 2017): ``ReLU(Σ_k α_k A_k)`` with
  ``α_k = mean(G_k)`` — one weight per channel;
* **LayerCAM** (Jiang et al., IEEE TIP 2021; DeepLCMS's maps): ``ReLU(Σ_k ReLU(G_k) ⊙ A_k)``
  — a weight per channel *and* position, sharper and usable on earlier layers.

The ``h × w`` map is up-sampled bilinearly to the input's ``RT × m/z`` size, and the result
is a :class:`~omicsnet.explain.maps.SaliencyBatch` — the container RISE writes — so that
:func:`~omicsnet.explain.maps.top_regions`, :func:`~omicsnet.explain.maps.plot_maps` and
:func:`~omicsnet.explain.maps.map_correlation` work on both, and :func:`compare_maps` /
:func:`plot_comparison` put a RISE map and a CAM map of one sample side by side.

The layer is chosen by name (``model.named_modules()``); the default is the model's
``default_cam_layer`` (the last convolution block of ``lcms_image``), else the last
``Conv2d``. The layer's output is cloned inside the hook, so in-place operations after it
(``ReLU(inplace=True)``) cannot corrupt the saved activations. Gradients flow even through
frozen backbones (the input is made to require a gradient).

Examples
--------
>>> import numpy as np, torch
>>> from torch import nn
>>> class Spot(nn.Module):  # class 1 = signal in the top-left quarter
...     def __init__(self):
...         super().__init__()
...         self.conv = nn.Conv2d(1, 1, 1, bias=False)
...         nn.init.ones_(self.conv.weight)
...     def forward(self, x):
...         a = self.conv(x)
...         corner = a[:, 0, :8, :8].mean((1, 2))
...         return torch.stack([-corner, corner], 1)
>>> x = torch.zeros(1, 1, 16, 16)
>>> x[0, 0, 2:5, 3:6] = 1.0
>>> maps = cam_maps(Spot(), x, method="layercam", layer="conv", progress=False)
>>> hot = np.argwhere(maps.values[0, 1] > 0.5 * maps.values[0, 1].max())
>>> hot.min(0).tolist(), hot.max(0).tolist(), maps.method  # exactly the spot's cells
([2, 3], [4, 5], 'layercam')
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from omicsnet.errors import ConfigError
from omicsnet.explain.maps import (
    SaliencyBatch,
    SaliencyMap,
    map_correlation,
    plot_maps,
    top_regions,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

CAM_METHODS = ("gradcam", "layercam")


def resolve_layer(model: nn.Module, layer: str | None = None) -> tuple[str, nn.Module]:
    """The module a CAM reads: by name, else ``model.default_cam_layer``, else the last Conv2d.

    Raises
    ------
    ConfigError
        An unknown name (with the closest names), or a model without convolutions.

    Examples
    --------
    >>> net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Conv2d(2, 2, 3))
    >>> resolve_layer(net)[0]
    '2'
    >>> resolve_layer(net, "1")[1]
    ReLU()
    >>> resolve_layer(net, "3")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    omicsnet.errors.ConfigError: no layer named '3' in Sequential; ...
    """
    modules = dict(model.named_modules())
    if layer is None:
        layer = getattr(model, "default_cam_layer", None)
    if layer is None:
        convs = [name for name, m in modules.items() if isinstance(m, nn.Conv2d)]
        if not convs:
            raise ConfigError(
                f"{type(model).__name__} has no Conv2d layer; name the CAM layer explicitly"
            )
        layer = convs[-1]
    if layer not in modules or layer == "":
        close = difflib.get_close_matches(str(layer), [n for n in modules if n], n=5)
        hint = f"closest: {', '.join(close)}" if close else "see model.named_modules()"
        raise ConfigError(f"no layer named {layer!r} in {type(model).__name__}; {hint}")
    return layer, modules[layer]


def _class_names(model: Any, n_outputs: int) -> list[str]:
    names = getattr(model, "class_names", None)
    if n_outputs == 1:
        if isinstance(names, (list, tuple)) and len(names) == 2:
            return [str(n) for n in names]
        positive = getattr(model, "output_features", None) or ["positive"]
        return [f"not {positive[0]}", str(positive[0])]
    if isinstance(names, (list, tuple)) and len(names) == n_outputs:
        return [str(n) for n in names]
    features = getattr(model, "output_features", None)
    if isinstance(features, (list, tuple)) and len(features) == n_outputs:
        return [str(n) for n in features]
    return [f"class_{i}" for i in range(n_outputs)]


def _scores(outputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-class scores to differentiate and probabilities, both ``(batch, n_classes)``."""
    if outputs.ndim == 1:
        outputs = outputs[:, None]
    if outputs.ndim != 2:
        raise ConfigError(f"the model must return (batch, n_classes); got {tuple(outputs.shape)}")
    if outputs.shape[1] == 1:  # one logit: binary head
        p = torch.sigmoid(outputs)
        return torch.cat([-outputs, outputs], 1), torch.cat([1 - p, p], 1)
    return outputs, torch.softmax(outputs, 1)


def cam_maps(
    model: nn.Module,
    x: Any,
    *,
    method: str = "layercam",
    layer: str | None = None,
    classes: Sequence[str] | None = None,
    batch_size: int = 16,
    axes: Any = None,
    sample_ids: Sequence[str] | None = None,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> SaliencyBatch:
    """Grad-CAM or LayerCAM maps of every class for each sample of ``x``.

    Parameters
    ----------
    model
        An image classifier returning ``(batch, n_classes)`` logits, or ``(batch, 1)`` for
        a binary head (two maps: negative and positive class). Put in eval mode for the
        run, then restored.
    x
        ``(n, channels, RT, m/z)`` tensor or array, one ``(RT, m/z)`` matrix, or
        :class:`~omicsnet.ms.binning.LCMSMatrix` objects (as for
        :func:`~omicsnet.explain.rise.rise_maps`).
    method
        ``"layercam"`` or ``"gradcam"``.
    layer
        Name of the module whose output is used (see :func:`resolve_layer`).
    classes
        Class names; default the model's.
    batch_size
        Samples per forward/backward pass.
    axes
        RT and m/z coordinates (e.g. ``PseudoImageSet.axes()``); default those of ``x``
        when it is a matrix, else indices.
    sample_ids, device, progress
        As for :func:`~omicsnet.explain.rise.rise_maps`.

    Returns
    -------
    SaliencyBatch
        ``values`` ``(n, n_classes, RT, m/z)`` (non-negative, in the layer's units),
        ``probabilities`` of the unmodified inputs, method ``"gradcam"``/``"layercam"``,
        ``params`` with the layer and its feature-map size.

    Examples
    --------
    >>> net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(),
    ...                     nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
    >>> maps = cam_maps(net, torch.rand(2, 1, 12, 20), method="gradcam", progress=False)
    >>> maps.values.shape, maps.params["layer"], maps.params["feature_map"]
    ((2, 3, 12, 20), '0', [12, 20])
    """
    from tqdm.auto import tqdm

    from omicsnet.explain.rise import image_batch
    from omicsnet.models.inference import eval_mode, model_device

    if method not in CAM_METHODS:
        raise ConfigError(f"CAM method must be one of {CAM_METHODS}, got {method!r}")
    if isinstance(batch_size, bool) or int(batch_size) < 1:
        raise ConfigError(f"batch_size must be a positive integer, got {batch_size!r}")
    images, matrix_axes, matrix_ids = image_batch(x)
    n, _, height, width = images.shape
    name, module = resolve_layer(model, layer)
    run_device = model_device(model, device)
    saved: dict[str, torch.Tensor] = {}

    def hook(_module: nn.Module, _inputs: Any, output: Any) -> torch.Tensor:
        if not isinstance(output, torch.Tensor) or output.ndim != 4:
            shape = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output)
            raise ConfigError(
                f"CAM layer {name!r} must output (batch, channels, h, w) maps; got {shape}"
            )
        saved["a"] = output
        return output.clone()  # later in-place ops change the clone, not the saved maps

    values: np.ndarray | None = None
    probabilities: list[torch.Tensor] = []
    feature_map: list[int] = []
    n_outputs = 0
    handle = module.register_forward_hook(hook)
    try:
        with eval_mode(model, no_grad=False), torch.enable_grad():
            for start in tqdm(
                range(0, n, int(batch_size)), desc=method, unit="batch", disable=not progress
            ):
                batch = images[start : start + int(batch_size)].to(run_device).requires_grad_(True)
                outputs = model(batch)
                n_outputs = int(outputs.shape[1]) if outputs.ndim == 2 else 1
                scores, proba = _scores(outputs)
                activations = saved.pop("a", None)
                if activations is None:
                    raise ConfigError(f"layer {name!r} was not used in the model's forward pass")
                feature_map = list(activations.shape[-2:])
                if values is None:
                    values = np.zeros((n, scores.shape[1], height, width), dtype=np.float32)
                for c in range(scores.shape[1]):
                    (grad,) = torch.autograd.grad(
                        scores[:, c].sum(), activations, retain_graph=True
                    )
                    if method == "gradcam":
                        cam = (grad.mean(dim=(2, 3), keepdim=True) * activations).sum(1)
                    else:
                        cam = (grad.clamp_min(0) * activations).sum(1)
                    cam = F.interpolate(
                        cam.clamp_min(0)[:, None],
                        size=(height, width),
                        mode="bilinear",
                        align_corners=False,
                    )[:, 0]
                    values[start : start + len(batch), c] = cam.detach().cpu().numpy()
                probabilities.append(proba.detach().cpu())
    finally:
        handle.remove()
    assert values is not None
    names = list(classes) if classes is not None else _class_names(model, n_outputs)
    params = {
        "layer": name,
        "feature_map": feature_map,
        "input_shape": list(images.shape[1:]),
        "batch_size": int(batch_size),
        "device": str(run_device),
    }
    logger.info("%s: %d samples, layer %s (%s)", method, n, name, "x".join(map(str, feature_map)))
    return SaliencyBatch(
        values,
        torch.cat(probabilities).numpy(),
        axes if axes is not None else matrix_axes,
        names,
        method,
        params,
        sample_ids if sample_ids is not None else matrix_ids,
    )


# ---------------------------------------------------------------------------- comparisons
def compare_maps(
    a: SaliencyMap, b: SaliencyMap, *, k: int = 5, quantile: float = 0.99
) -> pd.DataFrame:
    """How two maps of one sample agree, class by class (e.g. RISE against LayerCAM).

    Parameters
    ----------
    a, b
        Maps of the same shape and classes.
    k
        Top regions compared per class (:func:`~omicsnet.explain.maps.top_regions`).
    quantile
        Threshold of the top cells and regions.

    Returns
    -------
    pandas.DataFrame
        One row per class: ``pearson`` (all cells), ``top_cell_jaccard`` (overlap of the
        cells at or above each map's ``quantile``), ``peak_rt_a``/``peak_mz_a`` and
        ``peak_rt_b``/``peak_mz_b`` (each map's strongest region), ``shared_regions`` (how
        many of ``a``'s top ``k`` region peaks fall inside one of ``b``'s top ``k`` regions)
        and ``n_regions_a``/``n_regions_b``.

    Examples
    --------
    >>> values = np.zeros((1, 20, 20))
    >>> values[0, 4:7, 10:13] = 1.0
    >>> a = SaliencyMap(values, method="rise")
    >>> b = SaliencyMap(values * 3 + 0.01 * np.random.default_rng(0).random((1, 20, 20)))
    >>> row = compare_maps(a, b, k=2, quantile=0.95).iloc[0]
    >>> round(float(row["pearson"]), 2), int(row["shared_regions"]), float(row["peak_mz_a"])
    (1.0, 1, 10.0)
    """
    import pandas as pd

    if a.values.shape != b.values.shape:
        raise ConfigError(
            f"maps of different shapes cannot be compared: {a.values.shape} vs {b.values.shape}"
        )
    correlation = map_correlation(a, b)
    regions_a = top_regions(a, k, quantile=quantile)
    regions_b = top_regions(b, k, quantile=quantile)
    rows = []
    for c, name in enumerate(a.classes or []):
        va, vb = a.values[c], b.values[c]
        top_a = va >= np.nanquantile(va, quantile)
        top_b = vb >= np.nanquantile(vb, quantile)
        union = int((top_a | top_b).sum())
        ra = regions_a[regions_a["class"] == name]
        rb = regions_b[regions_b["class"] == (b.classes or [])[c]]
        shared = sum(
            bool(
                (
                    (rb["row_start"] <= r.row)
                    & (r.row <= rb["row_end"])
                    & (rb["col_start"] <= r.col)
                    & (r.col <= rb["col_end"])
                ).any()
            )
            for r in ra.itertuples()
        )
        rows.append(
            {
                "class": name,
                "pearson": float(correlation[c]),
                "top_cell_jaccard": float((top_a & top_b).sum() / union) if union else np.nan,
                "peak_rt_a": float(ra["peak_rt"].iloc[0]) if len(ra) else np.nan,
                "peak_mz_a": float(ra["peak_mz"].iloc[0]) if len(ra) else np.nan,
                "peak_rt_b": float(rb["peak_rt"].iloc[0]) if len(rb) else np.nan,
                "peak_mz_b": float(rb["peak_mz"].iloc[0]) if len(rb) else np.nan,
                "shared_regions": int(shared),
                "n_regions_a": len(ra),
                "n_regions_b": len(rb),
            }
        )
    return pd.DataFrame(rows).set_index("class")


def plot_comparison(
    maps: Sequence[SaliencyMap],
    *,
    titles: Sequence[str] | None = None,
    classes: Sequence[int | str] | None = None,
    regions: int = 3,
    quantile: float = 0.99,
    image: Any = None,
    sample: str | None = None,
) -> Figure:
    """One sample's maps side by side (e.g. RISE | LayerCAM), top regions outlined.

    One row per class: each map of the row is the evidence for that class. The figure's
    title names the sample (and, for maps taken from a batch, the predicted class).

    Parameters
    ----------
    maps
        Maps of the same sample (:class:`~omicsnet.explain.maps.SaliencyMap`).
    titles, classes, regions, quantile
        As for :func:`~omicsnet.explain.maps.plot_maps`.
    image
        Optionally the input itself (an ``(RT, m/z)`` array) shown as a first column.
    sample
        The sample's name (default: the maps' ``params["sample_id"]``).

    Examples
    --------
    >>> m = SaliencyMap(np.random.default_rng(0).random((2, 10, 12)), method="rise")
    >>> fig = plot_comparison([m, m], titles=["RISE", "LayerCAM"], image=np.ones((10, 12)),
    ...                       sample="healthy_1")
    >>> fig.get_suptitle(), [ax.get_title() for ax in fig.axes[:3]]
    ('sample healthy_1', ['input', 'RISE for class class_0', 'LayerCAM for class class_0'])
    """
    maps = list(maps)
    if not maps:
        raise ConfigError("plot_comparison needs at least one map")
    names = list(titles) if titles is not None else [m.method for m in maps]
    if image is not None:
        first = maps[0]
        picture = np.broadcast_to(
            np.asarray(image, dtype=np.float32), (first.n_classes, *first.shape)
        )
        maps = [SaliencyMap(picture, first.axes, first.classes, "input"), *maps]
        names = ["input", *names]
    return plot_maps(
        maps, titles=names, classes=classes, regions=regions, quantile=quantile, sample=sample
    )


__all__ = ["CAM_METHODS", "cam_maps", "compare_maps", "plot_comparison", "resolve_layer"]
