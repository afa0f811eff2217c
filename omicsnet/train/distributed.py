"""Multi-process data parallelism with ``torch.distributed`` (launched by ``torchrun``).

The trainer calls :func:`setup_distributed`: when ``torchrun`` has set ``WORLD_SIZE`` > 1
it joins the process group (gloo on CPU, NCCL on CUDA), and the model is wrapped in
``DistributedDataParallel`` without any change to the model itself.

Sharding is chosen so that ``n`` processes with a global batch of ``B`` see exactly the
same samples per optimiser step as one process with batch ``B``: every process draws the
same permutation, process ``r`` takes positions ``r, r + n, r + 2n, ...``, so step ``k``
covers global positions ``kB ... (k+1)B - 1`` across processes. Gradients are averaged, so
results match single-process training up to floating-point summation order (for models
without batch-dependent layers such as batch norm or dropout).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from omicsnet.errors import ConfigError


@dataclass(frozen=True)
class DistributedContext:
    """Where this process sits in a distributed run."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    created_group: bool = False

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup_distributed(device: torch.device) -> DistributedContext:
    """Join the process group if launched by ``torchrun`` with more than one process.

    Examples
    --------
    >>> setup_distributed(torch.device("cpu")).enabled  # not under torchrun
    False
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return DistributedContext()
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    created = False
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(local_rank)
        dist.init_process_group(backend=backend)
        created = True
    return DistributedContext(rank, world_size, local_rank, created)


def is_main_process() -> bool:
    """Whether this process is rank 0 (or not distributed at all): the one that writes files.

    Examples
    --------
    >>> is_main_process()
    True
    """
    return int(os.environ.get("RANK", "0")) == 0


def teardown_distributed(ctx: DistributedContext) -> None:
    """Leave the process group if :func:`setup_distributed` created it."""
    if ctx.created_group and dist.is_initialized():
        dist.destroy_process_group()


def epoch_batches(
    n_samples: int,
    batch_size: int,
    *,
    shuffle: bool,
    seed: int,
    epoch: int,
    rank: int = 0,
    world_size: int = 1,
    drop_last: bool = False,
) -> list[torch.Tensor]:
    """Index batches of one epoch for this process.

    The permutation depends only on ``seed`` and ``epoch``, so a resumed run draws the
    same batches as an uninterrupted one. ``batch_size`` is the global batch size; each of
    ``world_size`` processes gets ``batch_size // world_size`` samples per step. The last
    incomplete global batch is padded by wrapping around (as ``DistributedSampler``) when
    ``world_size > 1`` so that every process takes the same number of steps.

    Examples
    --------
    >>> [b.tolist() for b in epoch_batches(5, 2, shuffle=False, seed=0, epoch=0)]
    [[0, 1], [2, 3], [4]]
    >>> [b.tolist() for b in epoch_batches(4, 2, shuffle=False, seed=0, epoch=0,
    ...                                    rank=1, world_size=2)]
    [[1], [3]]
    """
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    if batch_size % world_size:
        raise ConfigError(
            f"batch_size {batch_size} must be divisible by the number of processes {world_size}"
        )
    if shuffle:
        generator = torch.Generator().manual_seed(int(seed) * 100_003 + int(epoch))
        order = torch.randperm(n_samples, generator=generator)
    else:
        order = torch.arange(n_samples)
    if world_size > 1:
        total = -(-n_samples // world_size) * world_size
        if total > n_samples:
            order = torch.cat([order, order[: total - n_samples]])
        order = order[rank::world_size]
    local = batch_size // world_size
    batches = list(torch.split(order, local))
    if drop_last and batches and len(batches[-1]) < local:
        batches.pop()
    return batches


def all_reduce_sum(values: torch.Tensor, ctx: DistributedContext) -> torch.Tensor:
    """Sum a tensor over processes (no-op for a single process)."""
    if ctx.enabled:
        values = values.clone()
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values


def barrier(ctx: DistributedContext) -> None:
    """Wait for every process (no-op for a single process)."""
    if ctx.enabled:
        dist.barrier()
