"""DenseNet backbone (DenseNet-121 by default) for single-channel 2-D inputs, in plain torch.

The network follows Huang et al. (CVPR 2017) and torchvision's ``densenet121``: a 7×7/2
convolution and a 3×3/2 max-pool stem, four dense blocks of (6, 12, 24, 16) bottleneck
layers (BN → ReLU → 1×1 conv to ``bn_size × growth_rate`` channels → BN → ReLU → 3×3 conv
to ``growth_rate`` channels), transitions (BN → ReLU → 1×1 conv halving the channels →
2×2 average pool), a final BN, ReLU and global average pooling. :class:`DenseNetBackbone`
returns the pooled features (1024 for DenseNet-121); heads live in the models.

Why plain torch rather than ``monai.networks.nets.DenseNet121``
---------------------------------------------------------------
* **Gradient checkpointing.** MONAI 1.x has no memory-efficient option; here
  ``checkpointing=True`` recomputes each layer's concatenation + BN + ReLU + 1×1 conv in the
  backward pass instead of storing it (Pleiss et al. 2017): the stored concatenations grow
  linearly instead of quadratically with the layers of a block, which matters for
  1024 × 1024 LC-MS matrices. Unlike a plain ``torch.utils.checkpoint`` wrapper, the
  recomputation does not update the batch-norm running statistics a second time, so a
  checkpointed model trains exactly like one without.
* **Parameter names** are torchvision's (``features.denseblock1.denselayer1.conv1.weight``,
  ...), so an ImageNet checkpoint exported from torchvision or timm to safetensors loads by
  name (:func:`load_densenet_weights`, which also accepts MONAI's and torchvision's legacy
  names).
* **No dependency** and no import cost; the architecture is tested against MONAI's
  ``DenseNet121``: with the same weights both give the same outputs.

The stem takes ``in_channels`` (1 for LC-MS matrices) directly: nothing is copied into
three channels. For a 3-channel ImageNet checkpoint, :func:`load_densenet_weights` sums the
first convolution's filters over their input channels, which gives exactly the response of
the 3-channel network to three identical copies of the input (what DeepMSProfiler fed it).

Examples
--------
>>> import torch
>>> net = DenseNetBackbone(growth_rate=4, block_config=(1, 1, 1, 1), init_features=8)
>>> net(torch.randn(2, 1, 32, 32)).shape
torch.Size([2, 8])
>>> net.out_features
8
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torch.utils.checkpoint import checkpoint

from omicsnet.errors import CheckpointError, ConfigError, DataError, DataNotFoundError

logger = logging.getLogger(__name__)

DENSENET121_BLOCKS: tuple[int, ...] = (6, 12, 24, 16)
"""Layers per dense block of DenseNet-121 (169: 6, 12, 32, 32; 201: 6, 12, 48, 32)."""


NORMS: tuple[str, ...] = ("batch", "group")
"""Normalisation layers: batch norm (DenseNet-121's) or group norm (batch-size independent)."""


def _make_norm(kind: str, channels: int, max_groups: int = 32) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    # the most groups (up to 32) that divide the channels with at least 2 channels each
    start = min(max_groups, max(1, channels // 2))
    groups = next(g for g in range(start, 0, -1) if channels % g == 0)
    return nn.GroupNorm(groups, channels)


class _DenseLayer(nn.Module):
    """One bottleneck layer; its input is the list of all earlier feature maps."""

    def __init__(
        self,
        in_channels: int,
        growth_rate: int,
        bn_size: int,
        dropout: float,
        checkpointing: bool,
        norm: str = "batch",
    ) -> None:
        super().__init__()
        self.norm1 = _make_norm(norm, in_channels)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(in_channels, bn_size * growth_rate, 1, bias=False)
        self.norm2 = _make_norm(norm, bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, 3, padding=1, bias=False)
        self.dropout = float(dropout)
        self.checkpointing = checkpointing

    def _bottleneck(self, inputs: Sequence[Tensor], update_stats: bool = True) -> Tensor:
        concat = torch.cat(list(inputs), 1)
        norm = self.norm1
        if update_stats or not self.training or not isinstance(norm, nn.BatchNorm2d):
            normed = norm(concat)
        else:  # recomputation in the backward pass: same output, running stats left alone
            normed = F.batch_norm(
                concat,
                norm.running_mean,
                norm.running_var,
                norm.weight,
                norm.bias,
                training=True,
                momentum=0.0,
                eps=norm.eps,
            )
        return self.conv1(self.relu1(normed))

    def forward(self, inputs: list[Tensor]) -> Tensor:
        needs_grad = any(t.requires_grad for t in inputs)
        if self.checkpointing and needs_grad and torch.is_grad_enabled():
            calls = [0]

            def bottleneck(*tensors: Tensor) -> Tensor:
                calls[0] += 1
                return self._bottleneck(tensors, update_stats=calls[0] == 1)

            hidden = checkpoint(bottleneck, *inputs, use_reentrant=False)
        else:
            hidden = self._bottleneck(inputs)
        new = self.conv2(self.relu2(self.norm2(hidden)))
        if self.dropout > 0:
            new = F.dropout(new, p=self.dropout, training=self.training)
        return new


class _DenseBlock(nn.ModuleDict):
    def __init__(
        self,
        n_layers: int,
        in_channels: int,
        growth_rate: int,
        bn_size: int,
        dropout: float,
        checkpointing: bool,
        norm: str = "batch",
    ) -> None:
        super().__init__()
        for i in range(n_layers):
            layer = _DenseLayer(
                in_channels + i * growth_rate, growth_rate, bn_size, dropout, checkpointing, norm
            )
            self.add_module(f"denselayer{i + 1}", layer)

    def forward(self, x: Tensor) -> Tensor:
        features = [x]
        for layer in self.values():
            features.append(layer(features))
        return torch.cat(features, 1)


class _Transition(nn.Sequential):
    def __init__(self, in_channels: int, out_channels: int, norm: str = "batch") -> None:
        super().__init__()
        self.add_module("norm", _make_norm(norm, in_channels))
        self.add_module("relu", nn.ReLU(inplace=True))
        self.add_module("conv", nn.Conv2d(in_channels, out_channels, 1, bias=False))
        self.add_module("pool", nn.AvgPool2d(kernel_size=2, stride=2))


class DenseNetBackbone(nn.Module):
    """DenseNet feature extractor returning globally average-pooled features.

    Parameters
    ----------
    in_channels
        Input channels (1 for an RT × m/z intensity matrix).
    growth_rate
        Channels each dense layer adds (32 in DenseNet-121).
    block_config
        Layers per dense block; :data:`DENSENET121_BLOCKS` is DenseNet-121. Tiny configs
        such as ``(1, 1, 1, 1)`` make fast test models.
    init_features
        Channels of the stem convolution (64 in DenseNet-121).
    bn_size
        Bottleneck width factor: the 1×1 convolution has ``bn_size * growth_rate`` channels.
    dropout
        Dropout probability on each dense layer's new features (0 in DenseNet-121).
    checkpointing
        Recompute each layer's bottleneck in the backward pass instead of storing it
        (less memory, about 15–20 % more compute; same outputs and gradients).
    norm
        ``"batch"`` (DenseNet-121, needed for ImageNet weights) or ``"group"`` (group norm
        with up to 32 groups of at least 2 channels, independent of the batch). Batch norm
        trained on a few samples needs its statistics recomputed after training (see
        :func:`omicsnet.train.batchnorm.recalibrate_batchnorm`).

    Attributes
    ----------
    out_features : int
        Width of the pooled features.
    min_size : int
        Smallest height/width the network accepts (each block after the first halves it).

    Examples
    --------
    >>> import torch
    >>> net = DenseNetBackbone()  # DenseNet-121 on one channel
    >>> net.out_features, net.min_size
    (1024, 32)
    >>> sum(p.numel() for p in net.parameters())
    6947584
    """

    def __init__(
        self,
        in_channels: int = 1,
        growth_rate: int = 32,
        block_config: Sequence[int] = DENSENET121_BLOCKS,
        init_features: int = 64,
        bn_size: int = 4,
        dropout: float = 0.0,
        checkpointing: bool = False,
        norm: str = "batch",
    ) -> None:
        super().__init__()
        if norm not in NORMS:
            raise ConfigError(f"DenseNet norm must be one of {NORMS}, got {norm!r}")
        block_config = tuple(int(b) for b in block_config)
        if not block_config or any(b < 1 for b in block_config):
            raise ConfigError(
                f"block_config needs one or more positive layer counts, got {block_config}"
            )
        for name, value in (
            ("in_channels", in_channels),
            ("growth_rate", growth_rate),
            ("init_features", init_features),
            ("bn_size", bn_size),
        ):
            if int(value) < 1:
                raise ConfigError(f"DenseNet {name} must be a positive integer, got {value}")
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"DenseNet dropout must be in [0, 1), got {dropout}")
        self.in_channels = int(in_channels)
        self.checkpointing = bool(checkpointing)
        features = nn.Sequential()
        features.add_module(
            "conv0", nn.Conv2d(in_channels, init_features, 7, stride=2, padding=3, bias=False)
        )
        features.add_module("norm0", _make_norm(norm, init_features))
        features.add_module("relu0", nn.ReLU(inplace=True))
        features.add_module("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        channels = int(init_features)
        for i, n_layers in enumerate(block_config):
            block = _DenseBlock(
                n_layers,
                channels,
                int(growth_rate),
                int(bn_size),
                dropout,
                self.checkpointing,
                norm,
            )
            features.add_module(f"denseblock{i + 1}", block)
            channels += n_layers * int(growth_rate)
            if i != len(block_config) - 1:
                transition = _Transition(channels, channels // 2, norm)
                features.add_module(f"transition{i + 1}", transition)
                channels //= 2
        features.add_module("norm5", _make_norm(norm, channels))
        self.features = features
        self.out_features = channels
        self.min_size = 4 * 2 ** (len(block_config) - 1)
        self._init_weights()

    def _init_weights(self) -> None:
        # as torchvision and MONAI: He-normal convolutions, BN weight 1 and bias 0
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight)
            elif isinstance(module, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x: Tensor) -> Tensor:
        """Return the ``(batch, out_features)`` pooled features of ``x`` ``(batch, C, H, W)``."""
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise DataError(
                f"DenseNet backbone expects inputs of shape (batch, {self.in_channels}, H, W), "
                f"got {tuple(x.shape)}"
            )
        if min(x.shape[-2:]) < self.min_size:
            raise DataError(
                f"input of {tuple(x.shape[-2:])} pixels is too small for this DenseNet: "
                f"height and width must be at least {self.min_size}"
            )
        out = F.relu(self.features(x))
        return torch.flatten(F.adaptive_avg_pool2d(out, 1), 1)


_LEGACY_KEY = re.compile(
    r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$"
)


def _canonical_key(key: str) -> str:
    """Map torchvision-legacy (``norm.1``), MONAI (``layers.norm1``) and prefixed names."""
    for prefix in ("module.", "backbone.", "model."):
        if key.startswith(prefix):
            key = key[len(prefix) :]
    key = key.replace(".layers.", ".")
    match = _LEGACY_KEY.match(key)
    if match:
        key = match.group(1) + match.group(2)
    return key


def load_densenet_weights(
    backbone: DenseNetBackbone, path: str | os.PathLike[str], *, strict: bool = True
) -> dict[str, Any]:
    """Copy DenseNet weights (e.g. ImageNet) from a local safetensors file into ``backbone``.

    Nothing is downloaded: the file must exist. Keys may use torchvision's names
    (``features.denseblock1.denselayer1.conv1.weight``), its legacy names
    (``...norm.1.weight``), MONAI's (``...layers.conv1.weight``) or carry a ``module.`` /
    ``backbone.`` prefix. Classifier weights (``classifier.*``, ``class_layers.*``) are
    ignored. When the file's first convolution has 3 input channels and the backbone 1,
    its filters are summed over channels: the 1-channel network then computes exactly
    what the 3-channel one computes on three identical copies of the input.

    Parameters
    ----------
    backbone
        The backbone to fill (its configuration must match the file's).
    path
        A ``.safetensors`` file. To make one from torchvision on a machine that has it:
        ``safetensors.torch.save_file(torchvision.models.densenet121(weights="DEFAULT")
        .state_dict(), "densenet121.safetensors")``.
    strict
        Refuse files that lack some backbone tensors or hold unknown ones.

    Returns
    -------
    dict
        ``{"path", "sha256", "n_tensors", "channels_summed"}`` for provenance records.

    Raises
    ------
    DataNotFoundError
        The file does not exist.
    CheckpointError
        The file cannot be read, or its tensors do not fit the backbone.

    Examples
    --------
    >>> import tempfile, pathlib, torch
    >>> from safetensors.torch import save_file
    >>> source = DenseNetBackbone(in_channels=3, growth_rate=4, block_config=(1, 1),
    ...                           init_features=8)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "w.safetensors"
    >>> save_file(source.state_dict(), str(path))
    >>> target = DenseNetBackbone(growth_rate=4, block_config=(1, 1), init_features=8)
    >>> load_densenet_weights(target, path)["channels_summed"]
    True
    >>> x = torch.rand(1, 1, 32, 32)
    >>> torch.allclose(source.eval()(x.repeat(1, 3, 1, 1)), target.eval()(x), atol=1e-5)
    True
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from omicsnet.utils.io import sha256_file

    file = Path(path).expanduser()
    if not file.is_file():
        raise DataNotFoundError(
            f"pretrained weights file {file} not found; omicsnet never downloads weights: "
            "export them to safetensors on a machine that has them and pass that file"
        )
    try:
        tensors = load_file(str(file))
    except (SafetensorError, OSError, RuntimeError) as err:
        raise CheckpointError(f"cannot read pretrained weights {file}: {err}") from err
    own = backbone.state_dict()
    mapped: dict[str, Tensor] = {}
    for key, value in tensors.items():
        name = _canonical_key(key)
        if name.startswith(("classifier.", "class_layers.")):
            continue
        mapped[name] = value
    summed = False
    stem = mapped.get("features.conv0.weight")
    target = own["features.conv0.weight"]
    if stem is not None and stem.shape[1] != target.shape[1] and target.shape[1] == 1:
        mapped["features.conv0.weight"] = stem.sum(dim=1, keepdim=True)
        summed = True
    missing = sorted(k for k in own if k not in mapped)
    unexpected = sorted(k for k in mapped if k not in own)
    wrong = sorted(k for k in own if k in mapped and mapped[k].shape != own[k].shape)
    if wrong:
        k = wrong[0]
        raise CheckpointError(
            f"pretrained weights {file} do not fit this DenseNet: {len(wrong)} tensors have "
            f"other shapes, e.g. {k}: {tuple(mapped[k].shape)} in the file vs "
            f"{tuple(own[k].shape)} (check growth_rate, block_config, init_features)"
        )
    if strict and (missing or unexpected):
        raise CheckpointError(
            f"pretrained weights {file} do not fit this DenseNet: missing {missing[:5]} "
            f"({len(missing)}), unexpected {unexpected[:5]} ({len(unexpected)})"
        )
    backbone.load_state_dict({k: v for k, v in mapped.items() if k in own}, strict=False)
    logger.info("loaded %d DenseNet tensors from %s", len(mapped) - len(unexpected), file)
    return {
        "path": str(file),
        "sha256": sha256_file(file),
        "n_tensors": len(mapped) - len(unexpected),
        "channels_summed": summed,
    }


__all__ = ["DENSENET121_BLOCKS", "NORMS", "DenseNetBackbone", "load_densenet_weights"]
