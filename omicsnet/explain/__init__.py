"""Interpretation: which inputs drive a model's answers.

* :mod:`omicsnet.explain.rise` — RISE perturbation maps (Petsiuk et al. 2018) for any
  image-like classifier, batched, seeded, on the model's device; class profiles.
* :mod:`omicsnet.explain.maps` — the method-agnostic containers (:class:`SaliencyMap`,
  :class:`SaliencyBatch`) with RT/m/z axes, top-region tables, heat-map plots (two
  methods side by side) and atomic figure writes.
* :mod:`omicsnet.explain.ablation` — deletion/insertion curves against random orders, and
  DeepMSProfiler's background-category analysis for single models vs ensembles.

Importing this package is cheap: the modules (and torch, scipy, matplotlib) load on first
use of a name.

Examples
--------
>>> import numpy as np
>>> from omicsnet import explain
>>> values = np.zeros((1, 8, 8))
>>> values[0, 2, 5] = 1.0
>>> explain.top_regions(explain.SaliencyMap(values), k=1)[["row", "col"]].values.tolist()
[[2, 5]]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omicsnet.utils.lazy import lazy_exports

_LAZY: dict[str, str] = {
    "MapAxes": "omicsnet.explain.maps",
    "SaliencyBatch": "omicsnet.explain.maps",
    "SaliencyMap": "omicsnet.explain.maps",
    "map_correlation": "omicsnet.explain.maps",
    "plot_maps": "omicsnet.explain.maps",
    "save_figure": "omicsnet.utils.plotting",
    "top_regions": "omicsnet.explain.maps",
    "MaskSampler": "omicsnet.explain.rise",
    "generate_masks": "omicsnet.explain.rise",
    "rise_maps": "omicsnet.explain.rise",
    "cam_maps": "omicsnet.explain.cam",
    "compare_maps": "omicsnet.explain.cam",
    "plot_comparison": "omicsnet.explain.cam",
    "CurveResult": "omicsnet.explain.ablation",
    "as_predict_proba": "omicsnet.explain.ablation",
    "background_categories": "omicsnet.explain.ablation",
    "background_category_analysis": "omicsnet.explain.ablation",
    "deletion_insertion": "omicsnet.explain.ablation",
    "plot_background": "omicsnet.explain.ablation",
    "remove_top_signals": "omicsnet.explain.ablation",
    "ShapResult": "omicsnet.explain.shap_attribution",
    "attribution_table": "omicsnet.explain.shap_attribution",
    "categorise_transcripts": "omicsnet.explain.shap_attribution",
    "category_summary": "omicsnet.explain.shap_attribution",
    "plot_shap_vs_spearman": "omicsnet.explain.shap_attribution",
    "shap_values": "omicsnet.explain.shap_attribution",
    "spearman_to_outputs": "omicsnet.explain.shap_attribution",
}

__all__ = sorted(_LAZY)

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from omicsnet.explain.ablation import CurveResult as CurveResult
    from omicsnet.explain.ablation import as_predict_proba as as_predict_proba
    from omicsnet.explain.ablation import background_categories as background_categories
    from omicsnet.explain.ablation import (
        background_category_analysis as background_category_analysis,
    )
    from omicsnet.explain.ablation import deletion_insertion as deletion_insertion
    from omicsnet.explain.ablation import plot_background as plot_background
    from omicsnet.explain.ablation import remove_top_signals as remove_top_signals
    from omicsnet.explain.maps import MapAxes as MapAxes
    from omicsnet.explain.maps import SaliencyBatch as SaliencyBatch
    from omicsnet.explain.maps import SaliencyMap as SaliencyMap
    from omicsnet.explain.maps import map_correlation as map_correlation
    from omicsnet.explain.maps import plot_maps as plot_maps
    from omicsnet.explain.maps import top_regions as top_regions
    from omicsnet.explain.rise import MaskSampler as MaskSampler
    from omicsnet.explain.rise import generate_masks as generate_masks
    from omicsnet.explain.rise import rise_maps as rise_maps
    from omicsnet.utils.plotting import save_figure as save_figure


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
