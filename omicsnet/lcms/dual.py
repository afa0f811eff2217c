"""Dual-polarity LC-MS classifier: positive- and negative-mode runs in separate branches.

DeepMSProfiler ("Methods") trained on both ionisation modes of each serum sample: the
positive-mode and negative-mode matrices go through separate convolutional branches,
whose pooled features are concatenated before the linear classifier. Here each branch
is a one-channel DenseNet (:class:`~omicsnet.nn.densenet.DenseNetBackbone`) with its own
pre-pooling and intensity transform, exactly as in ``lcms_densenet``.

Input: ``(batch, 2, RT, m/z)`` raw intensities, channel 0 the positive-mode matrix and
channel 1 the negative-mode matrix of the same sample, binned on the same grid.
:func:`pair_polarities` builds such arrays from separate runs, pairing them by sample ID
and naming any run without its partner. Because the pair is one tensor, the model trains
with the shared :class:`~omicsnet.train.Trainer` and averages in an
:class:`~omicsnet.models.ensemble.Ensemble` like any other classifier.

Examples
--------
>>> from omicsnet.models import create_model
>>> model = create_model("lcms_dual", input_size=[32, 32], block_config=[1, 1],
...                      growth_rate=4, init_features=8)
>>> x = model.example_input(3)
>>> x.shape, model(x).shape
(torch.Size([3, 2, 32, 32]), torch.Size([3, 3]))
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from omicsnet.errors import ConfigError, DataError
from omicsnet.lcms.densenet import (
    check_lcms_options,
    pool_and_transform,
    random_raw_intensities,
)
from omicsnet.models.base import OmicsModel
from omicsnet.models.registry import register_model
from omicsnet.nn.densenet import DENSENET121_BLOCKS, DenseNetBackbone

logger = logging.getLogger(__name__)

POLARITIES = ("positive", "negative")


class _PolarityBranch(nn.Module):
    """Pre-pool → intensity transform → one-channel DenseNet → pooled features."""

    def __init__(self, pre_pool: int, transform: str, **densenet: Any) -> None:
        super().__init__()
        self.pre_pool = pre_pool
        self.transform = transform
        self.backbone = DenseNetBackbone(in_channels=1, **densenet)

    def preprocess(self, x: Tensor) -> Tensor:
        return pool_and_transform(x, self.pre_pool, self.transform)

    def forward(self, x: Tensor) -> Tensor:
        return self.backbone(self.preprocess(x))


@register_model("lcms_dual", family="lcms")
class LCMSDualPolarity(OmicsModel):
    """Two DenseNet branches (positive / negative mode), features concatenated, linear head.

    Parameters
    ----------
    n_classes
        Number of classes.
    input_size
        Nominal ``[RT, m/z]`` of each polarity's matrix (for :meth:`example_input`).
    pre_pool, transform
        Max-pool factor and intensity transform of each branch (as ``lcms_densenet``).
    growth_rate, block_config, init_features, bn_size, dropout, checkpointing, norm
        Shape of each branch's DenseNet (default DenseNet-121).
    head_dropout
        Dropout on the concatenated features.
    shared_weights
        One backbone for both polarities (half the parameters) instead of two.

    Examples
    --------
    >>> from omicsnet.models import create_model
    >>> m = create_model("lcms_dual", block_config=[1, 1], growth_rate=4, init_features=8,
    ...                  n_classes=2)
    >>> m.positive.backbone.out_features, m.features(m.example_input(2)).shape
    (10, torch.Size([2, 20]))
    """

    task = "classification"

    def __init__(
        self,
        n_classes: int = 3,
        input_size: list[int] = (64, 64),  # type: ignore[assignment]
        pre_pool: int = 1,
        transform: str = "log1p_max",
        growth_rate: int = 32,
        block_config: list[int] = DENSENET121_BLOCKS,  # type: ignore[assignment]
        init_features: int = 64,
        bn_size: int = 4,
        dropout: float = 0.0,
        head_dropout: float = 0.0,
        checkpointing: bool = False,
        norm: str = "batch",
        shared_weights: bool = False,
    ) -> None:
        super().__init__()
        size = check_lcms_options("lcms_dual", n_classes, transform, input_size, pre_pool)
        densenet = {
            "growth_rate": growth_rate,
            "block_config": block_config,
            "init_features": init_features,
            "bn_size": bn_size,
            "dropout": dropout,
            "checkpointing": checkpointing,
            "norm": norm,
        }
        self.n_outputs = int(n_classes)
        self.input_size = size
        self.shared_weights = bool(shared_weights)
        self.positive = _PolarityBranch(int(pre_pool), transform, **densenet)
        self.negative = (
            self.positive
            if self.shared_weights
            else _PolarityBranch(int(pre_pool), transform, **densenet)
        )
        self.min_size = self.positive.backbone.min_size * int(pre_pool)
        if min(size) < self.min_size:
            raise ConfigError(
                f"lcms_dual input_size {size} is smaller than this network's minimum "
                f"{self.min_size} x {self.min_size}"
            )
        width = self.positive.backbone.out_features
        self.head_dropout = nn.Dropout(head_dropout) if head_dropout > 0 else nn.Identity()
        self.classifier = nn.Linear(2 * width, self.n_outputs)
        nn.init.zeros_(self.classifier.bias)

    def _split(self, x: Tensor) -> tuple[Tensor, Tensor]:
        if x.ndim != 4 or x.shape[1] != 2:
            raise DataError(
                "lcms_dual expects (batch, 2, RT, m/z) inputs: channel 0 the positive-mode and "
                f"channel 1 the negative-mode matrix (see pair_polarities); got {tuple(x.shape)}"
            )
        return x[:, :1], x[:, 1:]

    def features(self, x: Tensor) -> Tensor:
        """Concatenated pooled features ``(batch, 2 × branch width)``."""
        positive, negative = self._split(x)
        return torch.cat([self.positive(positive), self.negative(negative)], dim=1)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.head_dropout(self.features(x)))

    def example_input(
        self, batch_size: int = 4, generator: torch.Generator | None = None
    ) -> Tensor:
        """Random sparse raw intensities ``(batch_size, 2, *input_size)``."""
        return random_raw_intensities((batch_size, 2, *self.input_size), generator)


def pair_polarities(
    arrays: Sequence[Any],
    sample_ids: Sequence[str],
    polarities: Sequence[str],
) -> tuple[np.ndarray, list[str]]:
    """Stack each sample's positive- and negative-mode matrices into ``(n, 2, RT, m/z)``.

    Parameters
    ----------
    arrays
        One matrix per run, ``(RT, m/z)`` or ``(1, RT, m/z)``; all the same shape.
    sample_ids
        The sample each run belongs to.
    polarities
        ``"positive"``/``"negative"`` (or ``"pos"``/``"neg"``, ``"+"``/``"-"``) per run.

    Returns
    -------
    (x, ids)
        Paired arrays in the order of first appearance of each sample, and the sample IDs.

    Raises
    ------
    DataError
        Runs without their partner polarity, a sample with two runs of one polarity, an
        unknown polarity or matrices of different shapes — each named.

    Examples
    --------
    >>> import numpy as np
    >>> x, ids = pair_polarities([np.ones((4, 4)), np.zeros((4, 4))], ["s1", "s1"],
    ...                          ["neg", "pos"])
    >>> x.shape, ids, float(x[0, 0].sum()), float(x[0, 1].sum())
    ((1, 2, 4, 4), ['s1'], 0.0, 16.0)
    """
    aliases = {"positive": 0, "pos": 0, "+": 0, "negative": 1, "neg": 1, "-": 1}
    if not (len(arrays) == len(sample_ids) == len(polarities)):
        raise DataError(
            f"{len(arrays)} arrays, {len(sample_ids)} sample IDs and {len(polarities)} "
            "polarities: give one of each per run"
        )
    if len(arrays) == 0:
        raise DataError("no runs given to pair")
    slots: dict[str, list[Any]] = {}
    problems: list[str] = []
    shape = None
    for array, sample, polarity in zip(arrays, sample_ids, polarities, strict=True):
        channel = aliases.get(str(polarity).strip().lower())
        if channel is None:
            problems.append(f"{sample}: unknown polarity {polarity!r}")
            continue
        matrix = np.asarray(array, dtype=np.float32)
        matrix = matrix[0] if matrix.ndim == 3 and matrix.shape[0] == 1 else matrix
        if matrix.ndim != 2:
            problems.append(f"{sample} ({POLARITIES[channel]}): matrix of shape {matrix.shape}")
            continue
        if shape is None:
            shape = matrix.shape
        elif matrix.shape != shape:
            problems.append(
                f"{sample} ({POLARITIES[channel]}): shape {matrix.shape}, others {shape}"
            )
            continue
        pair = slots.setdefault(str(sample), [None, None])
        if pair[channel] is not None:
            problems.append(f"{sample}: two {POLARITIES[channel]}-mode runs")
        pair[channel] = matrix
    unpaired = [
        f"{s} (no {POLARITIES[0 if p[0] is None else 1]}-mode run)"
        for s, p in slots.items()
        if p[0] is None or p[1] is None
    ]
    if unpaired:
        problems.append(f"{len(unpaired)} unpaired sample(s): " + ", ".join(unpaired[:20]))
    if problems:
        raise DataError("cannot pair positive/negative runs: " + "; ".join(problems))
    ids = list(slots)
    return np.stack([np.stack(slots[s]) for s in ids]), ids
