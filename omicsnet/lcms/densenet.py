"""Raw LC-MS classifiers: a DenseNet over the RT × m/z intensity matrix (DeepMSProfiler).

DeepMSProfiler (Deng et al., Nat Commun 2024) bins each LC-MS run into a 1024 × 1024
matrix (rows: retention time, columns: m/z), max-pools it 3 × 3, tiles it into three
identical channels, feeds the raw intensities (up to ~1e9) to an ImageNet DenseNet-121 and
classifies with a linear layer. :class:`LCMSDenseNet` (``"lcms_densenet"`` in the zoo) does
the same with three corrections:

* the **intensity transform is part of the model** (default ``"log1p_max"``: ``log1p`` of
  the clipped-at-zero intensities, then division by each sample's maximum), so a saved
  model applies it to whatever raw matrix it is given, and nothing of order 1e9 reaches a
  convolution;
* the backbone takes **one channel** (no copies);
* optional **pre-pooling** (``pre_pool=3`` reproduces the paper's 3 × 3 max-pool of the
  1024 × 1024 matrix; the shared example arrays are already pooled, so the default is 1).

ImageNet-style initialisation is only ever read from a local safetensors file
(:func:`load_pretrained_backbone`); nothing is downloaded.

Examples
--------
>>> import torch
>>> from omicsnet.models import create_model
>>> model = create_model("lcms_densenet", n_classes=3, growth_rate=4,
...                      block_config=[1, 1, 1, 1], init_features=8, input_size=[32, 32])
>>> model(torch.rand(2, 1, 32, 32) * 1e9).shape
torch.Size([2, 3])
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from omicsnet.errors import ConfigError, DataError
from omicsnet.models.base import OmicsModel
from omicsnet.models.registry import register_model
from omicsnet.nn.densenet import DENSENET121_BLOCKS, DenseNetBackbone, load_densenet_weights
from omicsnet.nn.intensity import TRANSFORMS, intensity_transform

logger = logging.getLogger(__name__)


def check_lcms_options(
    model: str, n_classes: int, transform: str, input_size: Any, pre_pool: int
) -> list[int]:
    """Validate the options every LC-MS classifier shares; returns ``input_size`` as ints.

    Examples
    --------
    >>> check_lcms_options("lcms_cnn", 2, "log1p", (32, 48), 1)
    [32, 48]
    >>> check_lcms_options("lcms_cnn", 1, "log1p", (32, 48), 1)
    Traceback (most recent call last):
    ...
    omicsnet.errors.ConfigError: lcms_cnn needs n_classes >= 2, got 1
    """
    if int(n_classes) < 2:
        raise ConfigError(f"{model} needs n_classes >= 2, got {n_classes}")
    if int(pre_pool) < 1:
        raise ConfigError(f"{model} pre_pool must be >= 1, got {pre_pool}")
    if transform not in TRANSFORMS:
        raise ConfigError(f"{model} transform must be one of {TRANSFORMS}, got {transform!r}")
    size = [int(s) for s in input_size]
    if len(size) != 2:
        raise ConfigError(f"{model} input_size must be [RT, m/z], got {input_size}")
    return size


def pool_and_transform(x: Tensor, pre_pool: int, transform: str) -> Tensor:
    """Max-pool ``(batch, C, RT, m/z)`` by ``pre_pool`` (kernel = stride), then transform.

    Examples
    --------
    >>> import torch
    >>> pool_and_transform(torch.arange(16.0).view(1, 1, 4, 4), 2, "max").tolist()
    [[[[0.3333333432674408, 0.46666666865348816], [0.8666666746139526, 1.0]]]]
    """
    if pre_pool > 1:
        x = F.max_pool2d(x, kernel_size=pre_pool, stride=pre_pool)
    return intensity_transform(x, transform)


def random_raw_intensities(
    shape: Sequence[int], generator: torch.Generator | None = None
) -> Tensor:
    """Sparse log-normal intensities up to 1e9 (half the cells zero): example LC-MS input.

    Examples
    --------
    >>> x = random_raw_intensities((2, 1, 8, 8), torch.Generator().manual_seed(0))
    >>> x.shape, bool(x.max() <= 1e9), bool((x == 0).any())
    (torch.Size([2, 1, 8, 8]), True, True)
    """
    present = torch.rand(tuple(shape), generator=generator) < 0.5
    values = torch.exp(torch.randn(tuple(shape), generator=generator) * 2.0 + 14.0)
    return torch.where(present, values.clamp_max(1e9), torch.zeros(()))


@register_model("lcms_densenet", family="lcms")
class LCMSDenseNet(OmicsModel):
    """DenseNet-121 classifier of RT × m/z intensity matrices (DeepMSProfiler sub-model).

    Input: raw intensities ``(batch, 1, RT, m/z)`` (or ``(batch, RT, m/z)``). The model
    max-pools by ``pre_pool``, applies ``transform``, runs a one-channel DenseNet
    (:class:`~omicsnet.nn.densenet.DenseNetBackbone`) and a linear layer over
    ``n_classes`` logits.

    Parameters
    ----------
    n_classes
        Number of classes (3 in DeepMSProfiler: healthy, benign nodule, adenocarcinoma).
    input_size
        Nominal ``[RT, m/z]`` size of the raw inputs: used by :meth:`example_input` and
        recorded with the model; other sizes work (the network pools globally) as long as
        they are at least ``min_size`` after pre-pooling. The small default keeps the zoo's
        tests fast; DeepMSProfiler's matrices are ``[1024, 1024]`` (``[341, 341]`` after its
        3 × 3 pool).
    pre_pool
        Max-pool factor applied first (kernel = stride = ``pre_pool``; 1 = none).
    transform
        Intensity transform inside the model (see :func:`intensity_transform`);
        ``"none"`` only for inputs already transformed by the data layer.
    growth_rate, block_config, init_features, bn_size
        DenseNet shape; the defaults are DenseNet-121.
    dropout
        Dropout on each dense layer's new features.
    head_dropout
        Dropout before the linear classifier.
    checkpointing
        Gradient checkpointing of the dense layers (less memory, same results).
    norm
        ``"batch"`` (DenseNet-121's batch norm; needed for ImageNet weights) or ``"group"``
        (group norm, independent of the batch). With batch norm on cohorts of tens of
        samples, recompute the statistics after training (``recalibrate_batchnorm`` in
        :mod:`omicsnet.models.ensemble`; ``train_ensemble`` does it): the running averages
        lag so far behind the weights that eval-mode predictions can collapse to one class.

    Examples
    --------
    >>> from omicsnet.models import create_model
    >>> model = create_model("lcms_densenet", pre_pool=3, input_size=[96, 96],
    ...                      growth_rate=4, block_config=[1, 1, 1, 1], init_features=8)
    >>> model.example_input(2).shape
    torch.Size([2, 1, 96, 96])
    >>> model.preprocess(model.example_input(2)).shape   # pooled 3 x 3, scaled to [0, 1]
    torch.Size([2, 1, 32, 32])
    >>> model.task, model.n_outputs
    ('classification', 3)
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
    ) -> None:
        super().__init__()
        size = check_lcms_options("lcms_densenet", n_classes, transform, input_size, pre_pool)
        if not 0.0 <= head_dropout < 1.0:
            raise ConfigError(f"lcms_densenet head_dropout must be in [0, 1), got {head_dropout}")
        self.n_outputs = int(n_classes)
        self.input_size = size
        self.pre_pool = int(pre_pool)
        self.transform = transform
        self.backbone = DenseNetBackbone(
            in_channels=1,
            growth_rate=growth_rate,
            block_config=block_config,
            init_features=init_features,
            bn_size=bn_size,
            dropout=dropout,
            checkpointing=checkpointing,
            norm=norm,
        )
        self.min_size = self.backbone.min_size * self.pre_pool
        if min(size) < self.min_size:
            raise ConfigError(
                f"lcms_densenet input_size {size} is smaller than this network's minimum "
                f"{self.min_size} x {self.min_size} (after pre_pool={self.pre_pool})"
            )
        self.head_dropout = nn.Dropout(head_dropout) if head_dropout > 0 else nn.Identity()
        self.classifier = nn.Linear(self.backbone.out_features, self.n_outputs)
        nn.init.zeros_(self.classifier.bias)

    def preprocess(self, x: Tensor) -> Tensor:
        """Pre-pool and transform raw intensities; returns ``(batch, 1, H', W')``.

        Examples
        --------
        >>> import torch
        >>> from omicsnet.models import create_model
        >>> m = create_model("lcms_densenet", block_config=[1, 1, 1, 1], growth_rate=4,
        ...                  init_features=8, pre_pool=2)
        >>> m.preprocess(torch.rand(3, 64, 64) * 1e8).shape
        torch.Size([3, 1, 32, 32])
        """
        if x.ndim == 3:
            x = x.unsqueeze(1)
        if x.ndim != 4 or x.shape[1] != 1:
            hint = (
                "; DeepMSProfiler's arrays hold 3 identical channels: take one "
                "(omicsnet.ms.arrays does)"
                if x.ndim == 4
                else ""
            )
            raise DataError(
                f"lcms_densenet expects raw matrices of shape (batch, 1, RT, m/z) or "
                f"(batch, RT, m/z), got {tuple(x.shape)}{hint}"
            )
        return pool_and_transform(x, self.pre_pool, self.transform)

    def features(self, x: Tensor) -> Tensor:
        """Pooled backbone features ``(batch, backbone.out_features)`` of raw inputs.

        Examples
        --------
        >>> from omicsnet.models import create_model
        >>> m = create_model("lcms_densenet", block_config=[1, 1, 1, 1], growth_rate=4,
        ...                  init_features=8)
        >>> m.features(m.example_input(2)).shape
        torch.Size([2, 8])
        """
        return self.backbone(self.preprocess(x))

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.head_dropout(self.features(x)))

    def load_pretrained(
        self, path: str | os.PathLike[str], *, strict: bool = True
    ) -> dict[str, Any]:
        """Initialise the backbone from a local safetensors file.

        See :func:`load_pretrained_backbone`.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from safetensors.torch import save_file
        >>> from omicsnet.models import create_model
        >>> tiny = dict(block_config=[1, 1, 1, 1], growth_rate=4, init_features=8)
        >>> source = create_model("lcms_densenet", **tiny)
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "backbone.safetensors"
        >>> save_file(source.backbone.state_dict(), str(path))
        >>> create_model("lcms_densenet", **tiny).load_pretrained(path)["n_tensors"]
        77
        """
        return load_pretrained_backbone(self, path, strict=strict)

    def example_input(
        self, batch_size: int = 4, generator: torch.Generator | None = None
    ) -> Tensor:
        """Random sparse raw-intensity matrices ``(batch_size, 1, *input_size)`` up to ~1e9.

        Examples
        --------
        >>> from omicsnet.models import create_model
        >>> x = create_model("lcms_densenet").example_input(2)
        >>> x.shape, bool(x.max() > 1e6), bool((x == 0).any())
        (torch.Size([2, 1, 64, 64]), True, True)
        """
        return random_raw_intensities((batch_size, 1, *self.input_size), generator)


def load_pretrained_backbone(
    model: LCMSDenseNet, path: str | os.PathLike[str], *, strict: bool = True
) -> dict[str, Any]:
    """Initialise ``model``'s DenseNet from a local safetensors file (e.g. ImageNet weights).

    Only the backbone is copied (the classifier keeps its initialisation); a 3-channel
    stem is summed to one channel (see :func:`omicsnet.nn.densenet.load_densenet_weights`).
    The weights are not part of the model's config: a trained model saved with
    :func:`omicsnet.save` holds them and loads without the file. Pass the returned record
    as ``metadata={"pretrained": record}`` to :func:`omicsnet.save` to keep provenance.

    Parameters
    ----------
    model
        An ``lcms_densenet`` model.
    path
        Local ``.safetensors`` file with DenseNet weights matching the model's shape.
    strict
        Refuse files with missing or unknown backbone tensors.

    Returns
    -------
    dict
        ``{"path", "sha256", "n_tensors", "channels_summed"}``.

    Raises
    ------
    DataNotFoundError
        The file does not exist (nothing is downloaded).
    CheckpointError
        The tensors do not fit the backbone.

    Examples
    --------
    >>> from omicsnet.models import create_model
    >>> model = create_model("lcms_densenet")
    >>> load_pretrained_backbone(model, "/no/such/dn121.safetensors")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    omicsnet.errors.DataNotFoundError: pretrained weights file /no/such/dn121.safetensors not ...
    """
    backbone = getattr(model, "backbone", None)
    if not isinstance(backbone, DenseNetBackbone):
        raise ConfigError(
            f"{type(model).__name__} has no DenseNet backbone to initialise from {path}"
        )
    return load_densenet_weights(backbone, path, strict=strict)


__all__ = ["TRANSFORMS", "LCMSDenseNet", "intensity_transform", "load_pretrained_backbone"]
