"""A small position-aware CNN for RT × m/z matrices (``"lcms_cnn"`` in the zoo).

In an LC-MS matrix a compound is identified by **where** its signal lies (its retention
time and m/z), not by the shape of the blob: every compound is a similar spot.
Networks that end in global average pooling (the DenseNet of ``lcms_densenet``) learn the
position only indirectly, through padding at the borders, which takes a deep network and
large matrices. :class:`LCMSCNN` keeps positions explicitly: a few ``conv 3×3 → ReLU →
max-pool`` blocks, then a linear layer over the **flattened** feature map, so every
(RT, m/z) region has its own weights. It is small and fast on a CPU, meant for coarse
matrices (e.g. 64 × 64) and quick runs (the demo, tests, benchmarks); its input size is
fixed by ``input_size``.

Like ``lcms_densenet``, it takes raw intensities and applies ``pre_pool`` and the
intensity ``transform`` itself, so the same inputs, ensembles, RISE maps and background
analysis work with either.

Examples
--------
>>> from omicsnet.models import create_model
>>> model = create_model("lcms_cnn", n_classes=3, input_size=[64, 48])
>>> model(model.example_input(2)).shape
torch.Size([2, 3])
>>> model.flat_features   # 8 channels x (64/4) x (48/4)
1536
"""

from __future__ import annotations

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


@register_model("lcms_cnn", family="lcms")
class LCMSCNN(OmicsModel):
    """Conv blocks and a linear layer over the flattened map: a position-aware classifier.

    Parameters
    ----------
    n_classes
        Number of classes.
    input_size
        ``[RT, m/z]`` of the raw inputs (fixed: the linear layer has one weight per
        position).
    pre_pool
        Max-pool factor applied first (1 = none).
    transform
        Intensity transform inside the model (see
        :func:`~omicsnet.lcms.densenet.intensity_transform`).
    channels
        Output channels of each ``conv 3×3 → ReLU → max-pool`` block.
    pool
        Max-pool factor of each block.
    dropout
        Dropout before the linear layer.

    Examples
    --------
    >>> import torch
    >>> from omicsnet.models import create_model
    >>> model = create_model("lcms_cnn", input_size=[32, 32], channels=[4, 8], pool=2)
    >>> model.preprocess(torch.full((1, 1, 32, 32), 9.0)).max().item()  # log1p, then / max
    1.0
    >>> create_model("lcms_cnn", input_size=[8, 8], pool=4, channels=[4, 4])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    omicsnet.errors.ConfigError: lcms_cnn input_size [8, 8] is too small ... 16 x 16)
    """

    task = "classification"

    def __init__(
        self,
        n_classes: int = 3,
        input_size: list[int] = (64, 64),  # type: ignore[assignment]
        pre_pool: int = 1,
        transform: str = "log1p_max",
        channels: list[int] = (8,),  # type: ignore[assignment]
        pool: int = 4,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        size = check_lcms_options("lcms_cnn", n_classes, transform, input_size, pre_pool)
        if int(pool) < 1:
            raise ConfigError(f"lcms_cnn pool must be >= 1, got {pool}")
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"lcms_cnn dropout must be in [0, 1), got {dropout}")
        widths = [int(c) for c in channels]
        if not widths or any(c < 1 for c in widths):
            raise ConfigError(f"lcms_cnn channels must be positive integers, got {channels}")
        factor = int(pre_pool) * int(pool) ** len(widths)
        if min(size) < factor:
            raise ConfigError(
                f"lcms_cnn input_size {size} is too small for pre_pool={pre_pool} and "
                f"{len(widths)} block(s) pooling by {pool} (needs at least {factor} x {factor})"
            )
        self.n_outputs = int(n_classes)
        self.input_size = size
        self.pre_pool = int(pre_pool)
        self.transform = transform
        layers: list[nn.Module] = []
        previous = 1
        rows, cols = size[0] // self.pre_pool, size[1] // self.pre_pool
        for width in widths:
            layers += [nn.Conv2d(previous, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(pool)]
            previous = width
            rows, cols = rows // int(pool), cols // int(pool)
        self.features = nn.Sequential(*layers)
        self.flat_features = previous * rows * cols
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.classifier = nn.Linear(self.flat_features, self.n_outputs)

    def preprocess(self, x: Tensor) -> Tensor:
        """Check the shape, pre-pool and transform raw intensities.

        Raises
        ------
        DataError
            Inputs that are not ``(batch, 1, *input_size)`` (or ``(batch, *input_size)``).
        """
        if x.ndim == 3:
            x = x.unsqueeze(1)
        if x.ndim != 4 or x.shape[1] != 1 or list(x.shape[2:]) != self.input_size:
            raise DataError(
                f"lcms_cnn expects raw matrices of shape (batch, 1, {self.input_size[0]}, "
                f"{self.input_size[1]}), got {tuple(x.shape)} (its input size is fixed)"
            )
        return pool_and_transform(x, self.pre_pool, self.transform)

    def forward(self, x: Tensor) -> Tensor:
        hidden = self.features(self.preprocess(x))
        return self.classifier(self.dropout(hidden.flatten(1)))

    def example_input(
        self, batch_size: int = 4, generator: torch.Generator | None = None
    ) -> Tensor:
        """Random sparse raw-intensity matrices ``(batch_size, 1, *input_size)``.

        Examples
        --------
        >>> from omicsnet.models import create_model
        >>> create_model("lcms_cnn").example_input(2).shape
        torch.Size([2, 1, 64, 64])
        """
        return random_raw_intensities((batch_size, 1, *self.input_size), generator)

    def extra_repr(self) -> str:
        return f"input_size={self.input_size}, flat_features={self.flat_features}"


__all__ = ["LCMSCNN"]
