"""Trainer overhead: ``omicsnet.train.trainer.Trainer.fit`` against a hand-written loop.

What is compared
----------------
Seconds per epoch of :meth:`Trainer.fit` (``progress=False``, no checkpoints,
``device="cpu"``, validation data given) and of the fastest minimal PyTorch loop that a
user would write for the same job, on the zoo ``mlp`` and in-memory random regression
data. Two cases: a realistic one (4096 samples × 500 features → 100 outputs, batch 64)
and a small-model, tiny-batch one (batch 16, one hidden layer of 256) where per-batch
Python overhead weighs most.

Why the baseline is fair
------------------------
Both sides train a deep copy of the *same* zoo ``mlp`` instance (same architecture, same
initial weights) with ``torch.optim.Adam`` at the same learning rate and MSE loss, in the
same process with the same number of torch threads. The baseline shuffles with one
``torch.randperm`` per epoch (seeded like the trainer's, so both see exactly the same
batches), slices the tensors with ``index_select`` (what :class:`ArrayDataset` does),
accumulates the training loss with ``loss.item()``, and after every epoch validates as
the trainer does: eval mode, ``no_grad``, forward over the same validation set in chunks
of the same size, validation loss. Both sides are timed the same way, as a whole run of
``epochs`` epochs (optimiser creation included), after one untimed warm-up run of each;
runs alternate between candidate and baseline to cancel drift, and the median over
repeats is reported.
The equal per-epoch training losses of the two sides (kept in ``details``) show that they
did the same arithmetic, so any difference in time is the trainer's own overhead.
"""

from __future__ import annotations

import copy
import gc
import os
import statistics
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from omicsnet.bench.registry import BenchContext, BenchResult, BenchRow, register_benchmark

if TYPE_CHECKING:
    import torch
    from torch import nn

LR = 1e-3
SEED = 0
TARGET = "<= 1.10"
# Optional: pin torch's intra-op threads for both sides (default: torch's own choice).
# On a machine shared with other jobs, OpenMP threads that wait on each other can make
# multi-threaded timings swing by several times; one thread gives steadier numbers.
THREADS_ENV = "OMICSNET_BENCH_THREADS"


@dataclass(frozen=True)
class Case:
    """One benchmark configuration (data shape, model width and batch size)."""

    name: str
    n_train: int
    n_val: int
    in_features: int
    out_features: int
    hidden: tuple[int, ...]
    batch_size: int


FULL_CASES = (
    Case("4096x500->100, hidden [512, 256], batch 64", 4096, 1024, 500, 100, (512, 256), 64),
    Case("2048x100->10, hidden [256], batch 16", 2048, 512, 100, 10, (256,), 16),
)
QUICK_CASES = (
    Case("512x500->100, hidden [512, 256], batch 64", 512, 256, 500, 100, (512, 256), 64),
    Case("256x100->10, hidden [256], batch 16", 256, 128, 100, 10, (256,), 16),
)


@dataclass
class RunTiming:
    """Wall time of one whole run plus what it computed (for the equivalence check)."""

    seconds: float
    cpu_seconds: float
    epoch_seconds: list[float]
    train_losses: list[float]
    val_losses: list[float]


def make_data(case: Case) -> dict[str, torch.Tensor]:
    """Random linear-plus-noise regression data (float32 tensors), fixed by ``SEED``.

    Parameters
    ----------
    case
        The shapes to generate.

    Returns
    -------
    dict
        ``x``, ``y`` (training) and ``x_val``, ``y_val`` (validation).
    """
    import torch

    gen = torch.Generator().manual_seed(SEED + 1)
    weights = torch.randn(case.in_features, case.out_features, generator=gen)
    weights /= case.in_features**0.5
    data: dict[str, torch.Tensor] = {}
    for suffix, n in (("", case.n_train), ("_val", case.n_val)):
        x = torch.randn(n, case.in_features, generator=gen)
        noise = 0.1 * torch.randn(n, case.out_features, generator=gen)
        data[f"x{suffix}"] = x.contiguous()
        data[f"y{suffix}"] = (x @ weights + noise).contiguous()
    return data


def run_trainer(case: Case, template: nn.Module, train: Any, val: Any, epochs: int) -> RunTiming:
    """Train a copy of ``template`` with :class:`omicsnet.train.trainer.Trainer`.

    Parameters
    ----------
    case
        Batch size and names.
    template
        The model whose copy is trained (its initial weights are shared with the baseline).
    train, val
        :class:`omicsnet.data.datasets.ArrayDataset` objects.
    epochs
        Number of epochs.

    Returns
    -------
    RunTiming
    """
    from omicsnet.train.trainer import Trainer

    model = copy.deepcopy(template)
    gc.collect()
    cpu_start, start = time.process_time(), time.perf_counter()
    trainer = Trainer(
        max_epochs=epochs,
        batch_size=case.batch_size,
        optimizer="adam",
        lr=LR,
        seed=SEED,
        device="cpu",
        progress=False,
    )
    result = trainer.fit(model, train, val)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    history = result.history
    return RunTiming(
        seconds,
        cpu_seconds,
        [float(v) for v in history["seconds"]],
        [float(v) for v in history["train_loss"]],
        [float(v) for v in history["val_loss"]],
    )


def run_baseline(
    case: Case, template: nn.Module, data: dict[str, torch.Tensor], epochs: int
) -> RunTiming:
    """Train a copy of ``template`` with a minimal hand-written PyTorch loop.

    Parameters
    ----------
    case
        Batch size and names.
    template
        The model whose copy is trained.
    data
        Tensors from :func:`make_data`.
    epochs
        Number of epochs.

    Returns
    -------
    RunTiming
    """
    import torch
    from torch.nn import functional as F

    model = copy.deepcopy(template)
    x, y, x_val, y_val = data["x"], data["y"], data["x_val"], data["y_val"]
    n, n_val, batch_size = len(x), len(x_val), case.batch_size
    eval_batch = max(batch_size, 256)  # the trainer's evaluation chunk size
    epoch_seconds: list[float] = []
    train_losses: list[float] = []
    val_losses: list[float] = []
    gc.collect()
    cpu_start, start = time.process_time(), time.perf_counter()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    for epoch in range(epochs):
        epoch_start = time.perf_counter()
        model.train()
        # same seeding rule as the trainer, so that both sides see the same batches
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(SEED * 100_003 + epoch))
        running = 0.0
        for i in range(0, n, batch_size):
            idx = perm[i : i + batch_size]
            xb, yb = x.index_select(0, idx), y.index_select(0, idx)
            optimizer.zero_grad(set_to_none=True)
            loss = F.mse_loss(model(xb), yb)
            loss.backward()
            optimizer.step()
            running += loss.item() * len(idx)
        model.eval()
        squared = 0.0
        with torch.no_grad():
            for i in range(0, n_val, eval_batch):
                out = model(x_val[i : i + eval_batch])
                squared += F.mse_loss(out, y_val[i : i + eval_batch], reduction="sum").item()
        train_losses.append(running / n)
        val_losses.append(squared / y_val.numel())
        epoch_seconds.append(time.perf_counter() - epoch_start)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    return RunTiming(seconds, cpu_seconds, epoch_seconds, train_losses, val_losses)


def _max_rel_diff(a: list[float], b: list[float]) -> float:
    return max((abs(p - q) / max(abs(q), 1e-12) for p, q in zip(a, b, strict=True)), default=0.0)


def bench_case(case: Case, *, epochs: int, repeats: int) -> tuple[BenchRow, dict[str, Any]]:
    """Time one case: alternate trainer and baseline runs, return a row and its details.

    Parameters
    ----------
    case
        The configuration.
    epochs
        Epochs per timed run (seconds per epoch = run time / epochs).
    repeats
        Timed runs of each side; medians are reported.

    Returns
    -------
    (BenchRow, dict)
    """
    import torch

    from omicsnet import create_model
    from omicsnet.data.datasets import ArrayDataset

    data = make_data(case)
    train = ArrayDataset(data["x"], data["y"])
    val = ArrayDataset(data["x_val"], data["y_val"])
    torch.manual_seed(SEED)
    template = create_model(
        "mlp",
        in_features=case.in_features,
        out_features=case.out_features,
        hidden=list(case.hidden),
    )

    # untimed warm-up of both sides (allocator, kernels, lazy imports)
    run_trainer(case, template, train, val, 1)
    run_baseline(case, template, data, 1)

    cand: list[RunTiming] = []
    base: list[RunTiming] = []
    for rep in range(repeats):
        if rep % 2 == 0:
            cand.append(run_trainer(case, template, train, val, epochs))
            base.append(run_baseline(case, template, data, epochs))
        else:
            base.append(run_baseline(case, template, data, epochs))
            cand.append(run_trainer(case, template, train, val, epochs))

    cand_per_epoch = [r.seconds / epochs for r in cand]
    base_per_epoch = [r.seconds / epochs for r in base]
    cand_value = statistics.median(cand_per_epoch)
    base_value = statistics.median(base_per_epoch)
    # in-loop per-epoch times, first epoch of each run dropped
    cand_inner = statistics.median(s for r in cand for s in r.epoch_seconds[1:] or r.epoch_seconds)
    base_inner = statistics.median(s for r in base for s in r.epoch_seconds[1:] or r.epoch_seconds)
    steps = -(-case.n_train // case.batch_size)
    details = {
        "case": asdict(case),
        "epochs_per_run": epochs,
        "repeats": repeats,
        "steps_per_epoch": steps,
        "trainer_s_per_epoch_runs": [round(v, 6) for v in cand_per_epoch],
        "baseline_s_per_epoch_runs": [round(v, 6) for v in base_per_epoch],
        "trainer_median_epoch_in_loop_s": round(cand_inner, 6),
        "baseline_median_epoch_in_loop_s": round(base_inner, 6),
        "ratio_in_loop": round(cand_inner / base_inner, 4),
        # ratio of runs adjacent in time: robust to slow drift in machine load
        "paired_ratio_median": round(
            statistics.median(c.seconds / b.seconds for c, b in zip(cand, base, strict=True)), 4
        ),
        "min_ratio": round(min(cand_per_epoch) / min(base_per_epoch), 4),
        # process CPU time (all threads): less sensitive to other jobs on a shared machine
        "cpu_ratio": round(
            statistics.median(r.cpu_seconds for r in cand)
            / statistics.median(r.cpu_seconds for r in base),
            4,
        ),
        "overhead_per_step_us": round((cand_value - base_value) / steps * 1e6, 2),
        "train_loss_trainer": cand[0].train_losses,
        "train_loss_baseline": base[0].train_losses,
        "val_loss_trainer": cand[0].val_losses,
        "val_loss_baseline": base[0].val_losses,
        "max_rel_diff_train_loss": _max_rel_diff(cand[0].train_losses, base[0].train_losses),
        "max_rel_diff_val_loss": _max_rel_diff(cand[0].val_losses, base[0].val_losses),
    }
    same = details["max_rel_diff_train_loss"] < 1e-4 and details["max_rel_diff_val_loss"] < 1e-4
    notes = (
        f"{steps} steps/epoch, {epochs} epochs/run, median of {repeats} runs; "
        f"in-loop epoch ratio {cand_inner / base_inner:.3f}, "
        f"paired-run ratio {details['paired_ratio_median']:.3f}, "
        f"CPU-time ratio {details['cpu_ratio']:.3f}; "
        f"overhead {details['overhead_per_step_us']:.1f} µs/step; "
        f"losses {'identical' if same else 'DIFFER'} between the two sides"
    )
    row = BenchRow(
        case=case.name,
        candidate="omicsnet Trainer",
        baseline="hand-written loop",
        candidate_value=cand_value,
        baseline_value=base_value,
        unit="s",
        target=TARGET,
        notes=notes,
    )
    return row, details


@register_benchmark(
    "trainer-overhead",
    "Seconds per epoch of Trainer.fit vs a minimal hand-written PyTorch loop (mlp, CPU)",
    suites=("speed",),
    # candidate and baseline alternate within one process: their ratio is steadier
    noise="ratio ±10%",
)
def bench_trainer_overhead(ctx: BenchContext) -> BenchResult:
    """Run every case and collect the rows.

    Parameters
    ----------
    ctx
        ``ctx.quick`` selects smaller data, fewer epochs and repeats.

    Returns
    -------
    BenchResult
    """
    import torch

    threads_env = os.environ.get(THREADS_ENV, "").strip()
    if threads_env:
        torch.set_num_threads(int(threads_env))
    cases = QUICK_CASES if ctx.quick else FULL_CASES
    epochs = 2 if ctx.quick else 6
    repeats = max(ctx.repeats, 2) if ctx.quick else max(ctx.repeats, 7)
    rows: list[BenchRow] = []
    details: dict[str, Any] = {
        "torch_threads": torch.get_num_threads(),
        "torch_threads_from": THREADS_ENV if threads_env else "torch default",
        "torch_interop_threads": torch.get_num_interop_threads(),
        "lr": LR,
        "seed": SEED,
        "timing": "whole run (optimiser creation + all epochs) / epochs, after one warm-up "
        "run of each side; candidate and baseline runs alternate; median over repeats",
        "cases": [],
        "load_average_before": _load_average(),
        "omp_env": {k: v for k, v in os.environ.items() if k.startswith(("OMP_", "MKL_"))},
    }
    for case in cases:
        row, case_details = bench_case(case, epochs=epochs, repeats=repeats)
        rows.append(row)
        details["cases"].append(case_details)
    details["load_average_after"] = _load_average()
    return BenchResult(rows, details)


def _load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages: other processes distort multi-threaded timings."""
    return [round(v, 2) for v in os.getloadavg()] if hasattr(os, "getloadavg") else None
