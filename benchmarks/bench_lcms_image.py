"""DeepLCMS pseudo-images and CAM maps: vectorised against per-sample reference code.

What is compared
----------------
* **pseudo-images of a cohort** —
  :func:`omicsnet.lcms_image.pseudo_images.pseudo_images_from_arrays`
  (the histograms of all samples as cumulative-sum run totals over a fixed grid, one
  float32 ``gaussian_filter`` over the stack)
  against the per-sample loop of the DeepLCMS code: for each matrix, select the cells
  ≥ 5000, ``np.histogram2d`` weighted by intensity, divide by the maximum,
  ``gaussian_filter(σ = 2)``, scale to 255, ``log1p``. Inputs: the 18 DeepMSProfiler serum
  arrays (341 × 341) when the data directory has them, else 18 generated arrays of the
  same size (recorded in the details); DeepLCMS's 500 × 500 images. Both outputs are
  compared cell by cell (largest difference recorded). The target is only "not slower"
  (ratio ≤ 1): the Gaussian blur — the same scipy call in both — is most of the time, so
  vectorising the histograms cannot save more than about half of it.
* **CAM against RISE** (informative) — LayerCAM of one 128 × 128 pseudo-image through a
  small ``lcms_image`` (one forward and one backward pass per class) against RISE with
  DeepMSProfiler's 1000 masks on the same model and image.

Timings alternate candidate and baseline after a warm-up; medians are reported with the
load average, as the shared machine is noisy.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from omicsnet.bench.registry import BenchContext, BenchResult, BenchRow, register_benchmark

logger = logging.getLogger(__name__)


def reference_pseudo_image(matrix: np.ndarray, rt: np.ndarray, mz: np.ndarray, bins: int) -> Any:
    """One image the DeepLCMS way: threshold, weighted ``histogram2d``, normalise, blur, log."""
    from scipy.ndimage import gaussian_filter

    rows, cols = np.nonzero(matrix >= 5000.0)
    rt_edges = np.concatenate([[rt[0] - 0.5], rt + 0.5])
    mz_edges = np.concatenate([[mz[0] - 0.5], mz + 0.5])
    hist, _, _ = np.histogram2d(
        rt[rows],
        mz[cols],
        bins=bins,
        range=[[rt_edges[0], rt_edges[-1]], [mz_edges[0], mz_edges[-1]]],
        weights=matrix[rows, cols].astype(np.float64),
    )
    if hist.max() > 0:
        hist /= hist.max()
    hist = gaussian_filter(hist, 2.0)
    if hist.max() > 0:
        hist *= 255.0 / hist.max()
    return np.log1p(hist).astype(np.float32)


def _alternate(
    candidate: Callable[[], Any], baseline: Callable[[], Any], repeats: int
) -> tuple[float, float]:
    candidate()
    baseline()
    cand, base = [], []
    for _ in range(repeats):
        for which, times in ((candidate, cand), (baseline, base)):
            start = time.perf_counter()
            which()
            times.append(time.perf_counter() - start)
    return float(np.median(cand)), float(np.median(base))


def _cohort(ctx: BenchContext) -> tuple[np.ndarray, str]:
    from omicsnet.errors import DataNotFoundError

    try:
        from omicsnet.ms.arrays import load_deepmsprofiler_arrays

        arrays = load_deepmsprofiler_arrays(ctx.data_dir)
        return arrays.x[:, 0], "DeepMSProfiler serum arrays (18 x 341 x 341)"
    except DataNotFoundError:
        rng = np.random.default_rng(0)
        x = rng.lognormal(7.0, 2.5, size=(18, 341, 341)).astype(np.float32)
        return x, "generated log-normal arrays (18 x 341 x 341; real data not found)"


@register_benchmark(
    "lcms_image",
    "DeepLCMS pseudo-images: vectorised vs per-sample histogram2d; CAM vs RISE",
    suites=("speed",),
    noise="ratio ±15%",
)
def bench_lcms_image(ctx: BenchContext) -> BenchResult:
    """Pseudo-image speed (serum arrays, 500 x 500) and LayerCAM vs RISE time."""
    import torch

    from omicsnet.explain import cam_maps, rise_maps
    from omicsnet.lcms_image.pseudo_images import PseudoImageParams, pseudo_images_from_arrays
    from omicsnet.models import create_model

    repeats = 1 if ctx.quick else max(1, min(ctx.repeats, 3))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    x, source = _cohort(ctx)
    if ctx.quick:
        x = x[:6]
    bins = 500
    rt = np.arange(x.shape[1], dtype=np.float64)
    mz = np.arange(x.shape[2], dtype=np.float64)
    params = PseudoImageParams(n_rt=bins, n_mz=bins)

    def candidate() -> np.ndarray:
        return pseudo_images_from_arrays(x, params, rt=rt, mz=mz).images

    def baseline() -> np.ndarray:
        return np.stack([reference_pseudo_image(m, rt, mz, bins) for m in x])

    difference = float(np.abs(candidate() - baseline()).max())
    cand, base = _alternate(candidate, baseline, repeats)
    rows = [
        BenchRow(
            case=f"pseudo-images {len(x)} x {x.shape[1]}x{x.shape[2]} -> {bins}x{bins}",
            candidate="pseudo_images_from_arrays (run sums on the grid, one blur for all)",
            baseline="per-sample histogram2d + gaussian_filter (DeepLCMS code)",
            candidate_value=cand,
            baseline_value=base,
            target="<= 1.0",
            notes=(
                f"speed-up {base / cand:.1f}x; images agree to {difference:.1e}; "
                f"median of {repeats}; load average {load}"
            ),
        )
    ]

    torch.manual_seed(0)
    model = create_model("lcms_image", head="multiclass", n_classes=3, input_size=[128, 128])
    image = torch.rand(1, 1, 128, 128) * 5.5
    n_masks = 250 if ctx.quick else 1000

    def cam() -> Any:
        return cam_maps(model, image, method="layercam", progress=False)

    def rise() -> Any:
        return rise_maps(model, image, n_masks=n_masks, batch_size=64, progress=False)

    cam_s, rise_s = _alternate(cam, rise, repeats)
    rows.append(
        BenchRow(
            case="saliency of one 128x128 pseudo-image, lcms_image (small_cnn), 3 classes",
            candidate="LayerCAM (1 forward, 3 backward passes)",
            baseline=f"RISE, {n_masks} masks, 64 per pass",
            candidate_value=cam_s,
            baseline_value=rise_s,
            notes=f"informative; median of {repeats}; load average {load}",
        )
    )
    return BenchResult(
        rows=rows,
        details={
            "inputs": source,
            "params": params.to_dict(),
            "max_abs_difference": difference,
            "torch_threads": torch.get_num_threads(),
        },
    )
