"""RISE: batched masks against one mask per forward pass, and how many masks a stable map needs.

What is compared
----------------
A small CNN (max-pool 4, as DeepMSProfiler shrinks its matrices before the backbone, then
three 3x3 convolution + max-pool stages with 8/16/32 channels and a linear head) is
trained for about a second on a generated cohort of 128 x 128 RT x m/z matrices with
class-specific Gaussian peaks, shared peaks, noise and random RT shifts (three classes).
Then, on held-out matrices:

* **speed** — :func:`omicsnet.explain.rise_maps` (64 masked copies per forward pass)
  against a straightforward **one-mask-at-a-time** RISE at equal ``N`` (1000; quick: 250):
  the same masks, generated *before* the clock starts (so the baseline is not charged for
  making them, while the candidate is), then one forward pass per mask and the same
  weighted sum. Both run without gradients in eval mode on the same model and input; the
  maps agree to float precision (the largest difference is recorded). Timed
  alternately, median of up to 3 runs after a warm-up (1 when 3 baseline runs would take
  over a minute), with torch's default threads. The **target row** (batched takes at most
  a third of the time, ">= 3x faster") is the model RISE explains in DeepMSProfiler: the
  zoo's ``lcms_densenet``, a DenseNet-121 behind a 4x max-pool (untrained; a forward pass
  costs the same whatever the weights). The small CNN is timed too, with torch's default
  threads and with one thread (informative): how much batching saves depends on how much
  of a forward pass is per-call cost. A deep network of many small operations (DenseNet's
  ~120 convolutions, batch norms and concatenations) or a GPU (kernel launches) is mostly
  per-call cost at batch 1; a shallow CPU network dominated by one max-pool over the full
  matrix is mostly compute, which batching cannot remove. The batch-size scans and the
  load average are recorded.
* **mask-count stability** — for ``N`` in 250, 500, 1000, 2000 (quick: 125, 250, 500),
  the Pearson correlation between the map of the predicted class at ``N`` masks and the
  map at ``4N`` masks drawn with another seed, averaged over one held-out sample per
  class; the smallest ``N`` whose correlation reaches 0.9 is compared with the ``N = 1000``
  DeepMSProfiler used. Reported for the paper's normalisation (divide by ``N p``, the
  default) and for ``normalize="coverage"`` (divide by each cell's mask sum), computed
  from the same runs.

The details also record the held-out accuracy and whether the top regions of the class
maps (``N = 1000``, paper normalisation) recover the planted peaks.
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

SIZE = 128
CLASSES = ("healthy", "benign", "cancer")
COMMON = [(30, 20), (70, 90), (100, 40), (20, 110)]  # (row, column) present in every class
PLANTED = {
    0: [(25, 60), (90, 15)],
    1: [(50, 100), (110, 75)],
    2: [(60, 30), (15, 85)],
}
GRID, P = 8, 0.1
TARGET_CORRELATION = 0.9
REFERENCE_N = 1000
MAX_BASELINE_SECONDS = 60.0  # a busier machine gets one timed run per side instead of three


def make_cohort(n_per_class: int, seed: int) -> tuple[Any, np.ndarray]:
    """Generated 128 x 128 matrices: planted and shared Gaussian peaks, noise, RT shifts.

    Parameters
    ----------
    n_per_class
        Samples per class.
    seed
        Seed of the generator.

    Returns
    -------
    (float32 tensor ``(n, 1, 128, 128)``, integer labels)
    """
    import torch

    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:SIZE, 0:SIZE]

    def peak(r: float, c: float, height: float) -> np.ndarray:
        return height * np.exp(-((rows - r) ** 2 + (cols - c) ** 2) / (2 * 3.0**2))

    images, labels = [], []
    for cls, peaks in PLANTED.items():
        for _ in range(n_per_class):
            shift = int(rng.integers(-4, 5))
            image = sum(peak(r + shift, c, rng.uniform(0.5, 1.0)) for r, c in COMMON)
            image = image + sum(peak(r + shift, c, rng.uniform(0.7, 1.3)) for r, c in peaks)
            images.append(image + rng.normal(0.0, 0.05, (SIZE, SIZE)))
            labels.append(cls)
    return torch.tensor(np.array(images), dtype=torch.float32)[:, None], np.array(labels)


def make_model(seed: int = 0) -> Any:
    """The small CNN: max-pool 4 (as DeepMSProfiler shrinks its matrices), three conv stages."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    return nn.Sequential(
        nn.MaxPool2d(4),
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, len(CLASSES)),
    )


def train(model: Any, x: Any, y: np.ndarray, epochs: int) -> float:
    """Adam on cross-entropy in batches of 32, shuffled; returns the last batch's loss."""
    import torch
    from torch import nn

    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    targets = torch.as_tensor(y)
    loss = torch.tensor(float("nan"))
    model.train()
    generator = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        for i in range(0, len(x), 32):
            batch = order[i : i + 32]
            optimiser.zero_grad()
            loss = nn.functional.cross_entropy(model(x[batch]), targets[batch])
            loss.backward()
            optimiser.step()
    model.eval()
    return float(loss.detach())


def one_mask_at_a_time(model: Any, image: Any, masks: Any, p: float) -> np.ndarray:
    """The reference RISE loop: one masked copy per forward pass, masks made beforehand.

    Parameters
    ----------
    model
        The classifier (logits; a softmax gives the scores).
    image
        One input ``(channels, height, width)``.
    masks
        ``(N, height, width)`` masks.
    p
        Keep probability (the normalisation).

    Returns
    -------
    ``(n_classes, height, width)`` map.
    """
    import torch

    saliency = None
    with torch.no_grad():
        for mask in masks:
            scores = torch.softmax(model((image * mask)[None]), dim=1)[0]
            term = scores[:, None, None] * mask[None]
            saliency = term if saliency is None else saliency + term
    assert saliency is not None
    return (saliency / (len(masks) * p)).numpy()


def mask_coverage(n_masks: int, seed: int) -> np.ndarray:
    """Sum of the ``n_masks`` RISE masks (default grid and p) at every cell, in chunks."""
    from omicsnet.explain import MaskSampler

    sampler = MaskSampler(n_masks, (SIZE, SIZE), grid_size=GRID, p=P, seed=seed)
    total = np.zeros((SIZE, SIZE))
    for start in range(0, n_masks, 500):
        total += sampler.masks(start, min(start + 500, n_masks)).sum(0).double().numpy()
    return total


def time_pair(
    candidate: Callable[[], Any], baseline: Callable[[], Any], repeats: int
) -> tuple[list[float], list[float]]:
    """Alternate the two (candidate first on even repeats); wall seconds of each run."""
    cand: list[float] = []
    base: list[float] = []
    for rep in range(repeats):
        for which in ("cand", "base") if rep % 2 == 0 else ("base", "cand"):
            start = time.perf_counter()
            (candidate if which == "cand" else baseline)()
            (cand if which == "cand" else base).append(time.perf_counter() - start)
    return cand, base


def make_densenet(seed: int = 0) -> Any:
    """The zoo's ``lcms_densenet``: DenseNet-121 on the matrix max-pooled 4x (32 x 32 in).

    Untrained: only its speed is measured, and a forward pass costs the same whatever the
    weights.
    """
    import torch

    from omicsnet.models import create_model

    torch.manual_seed(seed)
    return create_model(
        "lcms_densenet", n_classes=len(CLASSES), input_size=[SIZE, SIZE], pre_pool=4
    ).eval()


def time_rise(
    model: Any,
    image: Any,
    n_masks: int,
    batch_size: int,
    repeats: int,
    *,
    one_thread: bool = True,
) -> dict[str, Any]:
    """Time :func:`~omicsnet.explain.rise_maps` against :func:`one_mask_at_a_time`.

    Both see the same ``n_masks`` masks (the baseline's made before its clock starts). Runs
    alternate after an untimed warm-up of each; one timed run per side when three baseline
    runs would exceed :data:`MAX_BASELINE_SECONDS`. With ``one_thread`` the pair is timed
    again with ``torch.set_num_threads(1)``. Also records a batch-size scan.

    Returns
    -------
    dict
        ``batched_seconds``, ``one_at_a_time_seconds``, ``repeats``, ``max_abs_difference``
        (between the two maps), ``batch_size_scan_seconds`` and, with ``one_thread``, the
        same timings under one thread.
    """
    import torch

    from omicsnet.explain import generate_masks, rise_maps

    masks = generate_masks(n_masks, (SIZE, SIZE), grid_size=GRID, p=P, seed=0)

    def batched(size: int = batch_size) -> np.ndarray:
        maps = rise_maps(
            model,
            image[None],
            n_masks=n_masks,
            grid_size=GRID,
            p=P,
            seed=0,
            batch_size=size,
            progress=False,
        )
        return maps.values[0]

    def reference() -> np.ndarray:
        return one_mask_at_a_time(model, image, masks, P)

    def warm_up() -> tuple[float, int]:
        """Run both once (untimed); fewer repeats when the baseline is very slow."""
        start = time.perf_counter()
        expected = reference()
        seconds = time.perf_counter() - start
        difference = float(np.abs(batched() - expected).max())
        return difference, repeats if seconds * repeats <= MAX_BASELINE_SECONDS else 1

    difference, reps = warm_up()
    cand, base = time_pair(batched, reference, reps)
    result: dict[str, Any] = {
        "n_masks": n_masks,
        "batch_size": batch_size,
        "threads": torch.get_num_threads(),
        "repeats": reps,
        "batched_seconds": cand,
        "one_at_a_time_seconds": base,
        "max_abs_difference": difference,
    }
    if one_thread:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            _, reps_one = warm_up()
            cand_one, base_one = time_pair(batched, reference, reps_one)
        finally:
            torch.set_num_threads(threads)
        result.update(
            repeats_1_thread=reps_one,
            batched_seconds_1_thread=cand_one,
            one_at_a_time_seconds_1_thread=base_one,
        )
    scan = {}
    for size in (16, 64, 256):
        start = time.perf_counter()
        batched(size)
        scan[size] = round(time.perf_counter() - start, 4)
    result["batch_size_scan_seconds"] = scan
    return result


@register_benchmark(
    "rise",
    "RISE: batched masks vs one mask per forward pass; masks for a stable map",
    suites=("speed",),
    # r: map correlations, mean over 3 samples; masks: any change of the stable N is news
    noise={"r": "value ±0.03", "masks": "value ±0", "s": "ratio ±15%"},
)
def bench_rise(ctx: BenchContext) -> BenchResult:
    """Speed of batched RISE and the mask count a stable map needs (small CNN, 128 x 128)."""
    import torch

    from omicsnet.explain import map_correlation, rise_maps, top_regions

    quick = ctx.quick
    repeats = 1 if quick else max(1, min(ctx.repeats, 3))
    n_speed = 250 if quick else REFERENCE_N
    batch_size = 64
    sizes = [125, 250, 500] if quick else [250, 500, 1000, 2000]
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None

    started = time.perf_counter()
    x_train, y_train = make_cohort(24, seed=1)
    x_test, y_test = make_cohort(2, seed=2)
    model = make_model()
    loss = train(model, x_train, y_train, epochs=25)
    with torch.no_grad():
        accuracy = float((model(x_test).argmax(1).numpy() == y_test).mean())
    train_seconds = time.perf_counter() - started
    logger.info(
        "trained the CNN in %.1f s (loss %.3g, held-out accuracy %.2f)",
        train_seconds,
        loss,
        accuracy,
    )

    # ------------------------------------------------------------------ speed
    image = x_test[0]
    threads = torch.get_num_threads()
    speed = {
        "small_cnn": time_rise(model, image, n_speed, batch_size, repeats),
        "densenet121": time_rise(
            make_densenet(), image, n_speed, batch_size, repeats, one_thread=False
        ),
    }

    # ------------------------------------------------------------------ stability
    picks = [int(np.flatnonzero(y_test == c)[0]) for c in range(len(CLASSES))]
    samples = x_test[picks]
    stability: dict[str, dict[int, list[float]]] = {"paper": {}, "coverage": {}}
    reference_maps = None
    for n in sizes:
        small = rise_maps(model, samples, n_masks=n, seed=1, batch_size=128, progress=False)
        large = rise_maps(model, samples, n_masks=4 * n, seed=2, batch_size=128, progress=False)
        if 4 * n == REFERENCE_N:
            reference_maps = large
        # the same maps under the other normalisation: x N p / (sum of the masks)
        small_cov = small.values * (n * P) / mask_coverage(n, 1)
        large_cov = large.values * (4 * n * P) / mask_coverage(4 * n, 2)
        predicted = large.predicted
        for name, (a, b) in {
            "paper": (small.values, large.values),
            "coverage": (small_cov, large_cov),
        }.items():
            stability[name][n] = [
                round(float(map_correlation(a[i, predicted[i]], b[i, predicted[i]])[0]), 4)
                for i in range(len(picks))
            ]
        logger.info(
            "N=%d vs %d masks: correlation %s (paper), %s (coverage)",
            n,
            4 * n,
            stability["paper"][n],
            stability["coverage"][n],
        )
    means = {
        name: {n: float(np.mean(v)) for n, v in values.items()}
        for name, values in stability.items()
    }
    smallest = {
        name: float(min([n for n, r in m.items() if r >= TARGET_CORRELATION], default=np.nan))
        for name, m in means.items()
    }

    recall = None
    if reference_maps is not None:
        profiles = reference_maps.class_profiles(np.arange(len(CLASSES)))
        table = top_regions(profiles, k=3, quantile=0.95)
        hits = 0
        for cls, peaks in PLANTED.items():
            regions = table[table["class"] == f"class_{cls}"]
            for r, c in peaks:
                inside = (
                    (regions.row_start - 4 <= r)
                    & (r <= regions.row_end + 4)
                    & (regions.col_start - 4 <= c)
                    & (c <= regions.col_end + 4)
                )
                hits += bool(inside.any())
        recall = hits / sum(len(v) for v in PLANTED.values())

    cnn, dense = speed["small_cnn"], speed["densenet121"]

    def speed_note(timing: dict[str, Any]) -> str:
        base = float(np.median(timing["one_at_a_time_seconds"]))
        cand = float(np.median(timing["batched_seconds"]))
        return (
            f"speed-up {base / cand:.1f}x; median of {timing['repeats']} alternating runs; "
            f"maps agree to {timing['max_abs_difference']:.1e}; "
            f"batch-size scan (s): {timing['batch_size_scan_seconds']}; "
            f"load average {load_before}"
        )

    def speed_row(model_name: str, timing: dict[str, Any], suffix: str, **extra: Any) -> BenchRow:
        return BenchRow(
            case=f"RISE N={n_speed}, 1x{SIZE}x{SIZE}, {model_name}",
            candidate=f"rise_maps, {batch_size} masks per forward pass",
            baseline="one mask per forward pass (masks precomputed)",
            candidate_value=float(np.median(timing["batched_seconds" + suffix])),
            baseline_value=float(np.median(timing["one_at_a_time_seconds" + suffix])),
            unit="s",
            **extra,
        )

    rows = [
        speed_row(
            f"lcms_densenet (DenseNet-121, pre-pool 4), {threads} threads",
            dense,
            "",
            target="<= 0.333",
            notes=speed_note(dense) + "; untrained weights (speed does not depend on them)",
        ),
        speed_row(
            f"small CNN, {threads} threads",
            cnn,
            "",
            notes=(
                "informative: a shallow network whose forward pass is mostly max-pooling "
                "compute, so there is little per-call cost for batching to save; " + speed_note(cnn)
            ),
        ),
        speed_row(
            "small CNN, 1 thread",
            cnn,
            "_1_thread",
            notes=(
                f"informative (median of {cnn['repeats_1_thread']} runs): with one thread no "
                "operation waits for a second, busy core, so batching saves only the per-call "
                "overhead"
            ),
        ),
    ]
    for name in ("paper", "coverage"):
        for n in sizes:
            rows.append(
                BenchRow(
                    case=f"stability N={n} vs {4 * n}, normalize={name!r}",
                    candidate="correlation of maps",
                    baseline="required correlation",
                    candidate_value=means[name][n],
                    baseline_value=TARGET_CORRELATION,
                    unit="r",
                    target=">= 1",
                    notes=f"predicted-class map, one sample per class: {stability[name][n]}",
                )
            )
        rows.append(
            BenchRow(
                case=f"smallest stable N, normalize={name!r} (vs DeepMSProfiler's N=1000)",
                candidate="smallest N with correlation >= 0.9",
                baseline="N = 1000",
                candidate_value=smallest[name],
                baseline_value=float(REFERENCE_N),
                unit="masks",
                target="<= 1",
                notes="" if np.isfinite(smallest[name]) else "no tested N reached 0.9",
            )
        )
    details = {
        "model": "max-pool 4, 3x3 convolutions (8/16/32 channels) with max-pooling, linear head",
        "parameters": int(sum(t.numel() for t in model.parameters())),
        "train_seconds": round(train_seconds, 2),
        "final_train_loss": loss,
        "held_out_accuracy": accuracy,
        "speed": {"load_average_before": load_before, **speed},
        "stability": {
            "sizes": sizes,
            "per_sample": stability,
            "mean_correlation": means,
            "smallest_stable_n": smallest,
        },
        "planted_peak_recall_top3": recall,
    }
    return BenchResult(rows, details)
