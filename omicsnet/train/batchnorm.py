"""Batch-norm helpers: precise statistics after training, and the one-sample-batch rule.

Examples
--------
>>> from torch import nn
>>> has_batch_norm(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)))
True
"""

from __future__ import annotations

import logging
from typing import Any

import torch
from torch import nn

from omicsnet.models.inference import iter_batches

logger = logging.getLogger(__name__)


def has_batch_norm(model: nn.Module, *, trainable_only: bool = False) -> bool:
    """True when ``model`` has a batch-norm layer (with trainable parameters, if asked).

    Examples
    --------
    >>> from torch import nn
    >>> has_batch_norm(nn.Linear(2, 2))
    False
    """
    return any(
        isinstance(m, nn.modules.batchnorm._BatchNorm)
        and (not trainable_only or any(p.requires_grad for p in m.parameters()))
        for m in model.modules()
    )


def one_sample_last_batch(n_samples: int, batch_size: int) -> bool:
    """True when the last training batch would hold a single sample.

    Batch norm cannot train on one sample (its variance is zero): trainers drop that
    batch (``drop_last``) when the model has batch norm.

    Examples
    --------
    >>> one_sample_last_batch(33, 32), one_sample_last_batch(32, 32)
    (True, False)
    """
    return int(n_samples) > 1 and int(n_samples) % int(batch_size) == 1


@torch.no_grad()
def recalibrate_batchnorm(
    model: nn.Module, data: Any, *, batch_size: int = 64, trainable_only: bool = False
) -> int:
    """Recompute every batch-norm layer's running statistics on ``data`` ("precise BN").

    During training the running mean and variance are exponential averages over batches
    computed with *earlier* weights. With few samples (a handful of steps per epoch) and
    fast-changing weights they lag so far behind that eval-mode predictions differ
    wildly from train-mode ones: on the 18 DeepMSProfiler runs a DenseNet that fits its
    12 training samples in train mode predicted one class for all of them in eval mode,
    and 11 of 12 correctly after recalibration. This runs the model once over ``data``
    in train mode, without gradients, and stores the exact average of the batch
    statistics; weights are unchanged.

    Parameters
    ----------
    model
        Any module; without batch-norm layers nothing happens.
    data
        An :class:`~omicsnet.data.datasets.ArrayDataset` (an augmented one's un-augmented
        ``base`` is used), a tensor or an array of inputs.
    batch_size
        Batch size of the passes (use the training batch size).
    trainable_only
        Only layers with trainable parameters; frozen ones (transfer learning) keep the
        statistics they came with.

    Returns
    -------
    int
        Number of batch-norm layers recalibrated.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> net = nn.Sequential(nn.BatchNorm2d(2))
    >>> x = torch.randn(8, 2, 3, 3) * 5 + 1
    >>> recalibrate_batchnorm(net, x, batch_size=8)
    1
    >>> torch.allclose(net[0].running_mean, x.mean((0, 2, 3)), atol=1e-5)
    True
    """
    layers = [
        m
        for m in model.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm)
        and (not trainable_only or any(p.requires_grad for p in m.parameters()))
    ]
    if not layers:
        return 0
    data = getattr(data, "base", data)
    chunks = list(iter_batches(data, batch_size))
    if len(chunks) > 1 and len(chunks[-1]) == 1:  # batch norm needs >= 2 samples per batch
        chunks[-2:] = [torch.cat(chunks[-2:])]
    if sum(len(c) for c in chunks) < 2:
        logger.warning("batch-norm recalibration skipped: it needs at least 2 samples")
        return 0
    momenta = [layer.momentum for layer in layers]
    was_training = model.training
    device = next(model.parameters()).device
    try:
        for layer in layers:
            layer.reset_running_stats()
            layer.momentum = None  # cumulative average over the batches
        model.train()
        for chunk in chunks:
            model(chunk.to(device))
    finally:
        for layer, momentum in zip(layers, momenta, strict=True):
            layer.momentum = momentum
        model.train(was_training)
    return len(layers)


__all__ = ["has_batch_norm", "one_sample_last_batch", "recalibrate_batchnorm"]
