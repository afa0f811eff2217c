"""Pseudo-image classifiers with partial freezing (DeepLCMS transfer learning).

DeepLCMS (Cseresznye et al. 2023) fine-tunes an image CNN on LC-MS pseudo-images
(:mod:`omicsnet.lcms_image.pseudo_images`) with everything frozen but the head, a binary head
trained with BCE-with-logits, Adamax and a cosine schedule, and early stopping.
:class:`LCMSImageClassifier` (``"lcms_image"`` in the zoo) is that model on the zoo's parts:

* **backbone** ``"densenet121"`` — the one-channel DenseNet of
  :mod:`omicsnet.nn.densenet` (shape configurable through ``backbone_config``; local
  ImageNet-style weights via :meth:`LCMSImageClassifier.load_pretrained`), or
  ``"small_cnn"`` — a few ``conv 3×3 → batch norm → ReLU → max-pool 2`` blocks, fast on CPU;
* **head** ``"binary"`` (one logit; the shared ``binary`` plan, BCE-with-logits) or
  ``"multiclass"`` (``n_classes`` logits; the ``classification`` plan);
* **freezing** by parameter-name patterns (``fnmatch``, e.g. ``"backbone.*"``) or by
  depth (``trainable_blocks=k``: only the backbone's last ``k`` blocks and the head learn).
  Frozen parameters get ``requires_grad=False`` (no gradient; optimisers skip them) and
  batch-norm layers whose parameters are all frozen stay in eval mode while training, so
  their running statistics do not move either. The freezing is part of the config, so a
  saved model reloads frozen the same way.

Train it with :class:`~omicsnet.train.trainer.Trainer` (``optimizer="adamax",
scheduler="cosine", early_stopping=...``); :mod:`omicsnet.lcms_image.workflows` does
that, cross-validation and the optimiser × scheduler search.

Examples
--------
>>> import torch
>>> from omicsnet.models import create_model
>>> model = create_model("lcms_image", head="binary", classes=["control", "opium"],
...                      freeze=["backbone.*"])
>>> model(torch.rand(2, 1, 64, 64)).shape, model.task
(torch.Size([2, 1]), 'binary')
>>> [name for name, p in model.named_parameters() if p.requires_grad]
['head.weight', 'head.bias']
"""

from __future__ import annotations

import fnmatch
import logging
import os
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from omicsnet.errors import CheckpointError, ConfigError, DataError, DataNotFoundError
from omicsnet.models.base import OmicsModel
from omicsnet.models.inference import predict_proba
from omicsnet.models.registry import register_model
from omicsnet.nn.densenet import DENSENET121_BLOCKS, DenseNetBackbone, load_densenet_weights
from omicsnet.nn.intensity import TRANSFORMS, intensity_transform

logger = logging.getLogger(__name__)

BACKBONES = ("small_cnn", "densenet121")
HEADS = ("binary", "multiclass")


class SmallCNN(nn.Module):
    """``conv 3×3 → BN → ReLU → max-pool 2`` blocks, then global average pooling.

    Blocks are named ``blocks.block1``, ``blocks.block2``, ...; the last one is the natural
    class-activation layer.

    Examples
    --------
    >>> net = SmallCNN(channels=(4, 8))
    >>> net(torch.rand(2, 1, 16, 16)).shape, net.out_features, net.min_size
    (torch.Size([2, 8]), 8, 4)
    """

    def __init__(self, in_channels: int = 1, channels: Sequence[int] = (16, 32, 64)) -> None:
        super().__init__()
        widths = [int(c) for c in channels]
        if not widths or any(c < 1 for c in widths):
            raise ConfigError(f"small_cnn channels must be positive integers, got {list(channels)}")
        self.blocks = nn.Sequential()
        previous = int(in_channels)
        for i, width in enumerate(widths):
            self.blocks.add_module(
                f"block{i + 1}",
                nn.Sequential(
                    nn.Conv2d(previous, width, 3, padding=1, bias=False),
                    nn.BatchNorm2d(width),
                    nn.ReLU(),
                    nn.MaxPool2d(2),
                ),
            )
            previous = width
        self.out_features = previous
        self.min_size = 2 ** len(widths)

    def forward(self, x: Tensor) -> Tensor:
        return torch.flatten(nn.functional.adaptive_avg_pool2d(self.blocks(x), 1), 1)


@register_model("lcms_image", family="lcms")
class LCMSImageClassifier(OmicsModel):
    """CNN classifier of LC-MS pseudo-images with a binary or multi-class head.

    Input: ``(batch, 1, RT, m/z)`` pseudo-images (or ``(batch, RT, m/z)``).

    Parameters
    ----------
    n_classes
        Number of classes (2 for a binary head).
    head
        ``"binary"`` (one logit, BCE-with-logits; needs ``n_classes=2``) or ``"multiclass"``.
    classes
        Class names (``n_classes``); the binary head's logit is for ``classes[1]``.
    backbone
        ``"small_cnn"`` or ``"densenet121"``.
    backbone_config
        Options of the backbone: ``channels`` for ``small_cnn``; ``growth_rate``,
        ``block_config``, ``init_features``, ``bn_size``, ``norm``, ``checkpointing`` for the
        DenseNet (default DenseNet-121).
    input_size
        Nominal ``[RT, m/z]`` size (examples and the size check).
    transform
        Intensity transform applied first (see
        :func:`omicsnet.nn.intensity.intensity_transform`); ``"none"`` for pseudo-images.
    freeze
        Parameter-name patterns (``fnmatch``) to freeze, e.g. ``["backbone.*"]``.
    trainable_blocks
        Freeze the backbone except its last ``k`` blocks (``None``: no depth rule; 0:
        the whole backbone frozen). Applied before ``freeze``.
    dropout
        Dropout before the head.
    pool_size
        The last feature maps are average-pooled to ``pool_size × pool_size`` cells before
        the head. 1 is global average pooling (DeepLCMS, ImageNet CNNs), which discards
        *where* a signal lies; 2–4 keep a coarse RT × m/z position, which matters when
        classes differ by the position of peaks rather than by their shape.

    Examples
    --------
    >>> from omicsnet.models import create_model
    >>> m = create_model("lcms_image", head="multiclass", n_classes=3,
    ...                  backbone_config={"channels": [4, 8, 16]}, trainable_blocks=1)
    >>> m.task, m.output_features
    ('classification', ['class_0', 'class_1', 'class_2'])
    >>> m.block_names()
    ['backbone.blocks.block1', 'backbone.blocks.block2', 'backbone.blocks.block3']
    >>> m.trainable_parameter_names()[:2]
    ['backbone.blocks.block3.0.weight', 'backbone.blocks.block3.1.weight']
    """

    def __init__(
        self,
        n_classes: int = 2,
        head: str = "binary",
        classes: list[str] | None = None,
        backbone: str = "small_cnn",
        backbone_config: dict[str, Any] | None = None,
        input_size: list[int] = (64, 64),  # type: ignore[assignment]
        transform: str = "none",
        freeze: list[str] = (),  # type: ignore[assignment]
        trainable_blocks: int | None = None,
        dropout: float = 0.0,
        pool_size: int = 1,
    ) -> None:
        super().__init__()
        if head not in HEADS:
            raise ConfigError(f"lcms_image head must be one of {HEADS}, got {head!r}")
        if backbone not in BACKBONES:
            raise ConfigError(f"lcms_image backbone must be one of {BACKBONES}, got {backbone!r}")
        if transform not in TRANSFORMS:
            raise ConfigError(
                f"lcms_image transform must be one of {TRANSFORMS}, got {transform!r}"
            )
        n_classes = int(n_classes)
        if n_classes < 2:
            raise ConfigError(f"lcms_image needs n_classes >= 2, got {n_classes}")
        if head == "binary" and n_classes != 2:
            raise ConfigError(
                f"a binary head needs n_classes=2, got {n_classes}; use head='multiclass'"
            )
        names = [str(c) for c in classes] if classes is not None else None
        if names is not None and (len(names) != n_classes or len(set(names)) != n_classes):
            raise ConfigError(f"classes must be {n_classes} distinct names, got {names}")
        if not 0.0 <= float(dropout) < 1.0:
            raise ConfigError(f"lcms_image dropout must be in [0, 1), got {dropout}")
        size = [int(s) for s in input_size]
        if len(size) != 2:
            raise ConfigError(f"lcms_image input_size must be [RT, m/z], got {input_size}")
        self.head_kind = head
        self.task = "binary" if head == "binary" else "classification"
        self.n_classes = n_classes
        self.class_names = names or [f"class_{i}" for i in range(n_classes)]
        self.n_outputs = 1 if head == "binary" else n_classes
        self._output_features = (
            [self.class_names[1]] if head == "binary" else list(self.class_names)
        )
        self.input_size = size
        self.transform = transform
        self.backbone_kind = backbone
        options = dict(backbone_config or {})
        try:
            if backbone == "small_cnn":
                self.backbone: nn.Module = SmallCNN(1, **options)
                self.default_cam_layer = f"backbone.blocks.block{len(self.backbone.blocks)}"
            else:
                options.setdefault("block_config", DENSENET121_BLOCKS)
                self.backbone = DenseNetBackbone(in_channels=1, **options)
                self.default_cam_layer = "backbone.features"
        except TypeError as err:
            raise ConfigError(
                f"lcms_image backbone_config {options} for {backbone}: {err}"
            ) from err
        if min(size) < self.backbone.min_size:
            raise ConfigError(
                f"lcms_image input_size {size} is smaller than the backbone's minimum "
                f"{self.backbone.min_size} x {self.backbone.min_size}"
            )
        if isinstance(pool_size, bool) or int(pool_size) < 1:
            raise ConfigError(f"lcms_image pool_size must be a positive integer, got {pool_size}")
        self.pool_size = int(pool_size)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.head = nn.Linear(self.backbone.out_features * self.pool_size**2, self.n_outputs)
        nn.init.zeros_(self.head.bias)
        if trainable_blocks is not None:
            self.freeze_depth(int(trainable_blocks))
        if freeze:
            self.freeze(list(freeze))

    # ------------------------------------------------------------------ layers and freezing
    def block_names(self) -> list[str]:
        """Names of the backbone's blocks, input to output (the units of depth freezing).

        Examples
        --------
        >>> from omicsnet.models import create_model
        >>> m = create_model("lcms_image", backbone="densenet121",
        ...                  backbone_config={"block_config": [1, 1], "growth_rate": 4,
        ...                                   "init_features": 8})
        >>> m.block_names()
        ['backbone.features.stem', 'backbone.features.denseblock1', 'backbone.features.denseblock2']
        """
        if isinstance(self.backbone, SmallCNN):
            return [f"backbone.blocks.{name}" for name, _ in self.backbone.blocks.named_children()]
        names = ["backbone.features.stem"]
        names += [
            f"backbone.features.{name}"
            for name, _ in self.backbone.features.named_children()
            if name.startswith("denseblock")
        ]
        return names

    def _block_of(self, parameter: str) -> int:
        """Index into :meth:`block_names` of a backbone parameter (DenseNet transitions and the
        final norm belong to the block before them)."""
        parts = parameter.split(".")
        if isinstance(self.backbone, SmallCNN):
            return int(parts[2].removeprefix("block")) - 1
        child = parts[2]
        if child.startswith("denseblock"):
            return int(child.removeprefix("denseblock"))
        if child.startswith("transition"):
            return int(child.removeprefix("transition"))
        if child == "norm5":
            return len(self.block_names()) - 1
        return 0  # conv0, norm0: the stem

    def freeze(self, patterns: Sequence[str] | str) -> list[str]:
        """Freeze the parameters whose names match any pattern; returns the names frozen.

        Raises
        ------
        ConfigError
            A pattern that matches no parameter (typos would otherwise freeze nothing).

        Examples
        --------
        >>> from omicsnet.models import create_model
        >>> m = create_model("lcms_image")
        >>> len(m.freeze("backbone.blocks.block1.*"))
        3
        >>> m.freeze("backbone.nope*")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        omicsnet.errors.ConfigError: freeze pattern 'backbone.nope*' matches no parameter ...
        """
        return self._set_trainable(patterns, False)

    def unfreeze(self, patterns: Sequence[str] | str) -> list[str]:
        """Make the matching parameters trainable again; returns their names.

        Examples
        --------
        >>> from omicsnet.models import create_model
        >>> m = create_model("lcms_image", freeze=["backbone.*"])
        >>> len(m.unfreeze("backbone.blocks.block3.*")), len(m.trainable_parameter_names())
        (3, 5)
        """
        return self._set_trainable(patterns, True)

    def _set_trainable(self, patterns: Sequence[str] | str, trainable: bool) -> list[str]:
        if isinstance(patterns, str):
            patterns = [patterns]
        changed: list[str] = []
        named = dict(self.named_parameters())
        verb = "unfreeze" if trainable else "freeze"
        for pattern in patterns:
            hits = [n for n in named if fnmatch.fnmatchcase(n, pattern)]
            if not hits:
                close = sorted({n.rsplit(".", 2)[0] + ".*" for n in named})[:8]
                raise ConfigError(
                    f"{verb} pattern {pattern!r} matches no parameter (e.g. {', '.join(close)})"
                )
            for name in hits:
                named[name].requires_grad_(trainable)
                changed.append(name)
        return sorted(set(changed))

    def freeze_depth(self, trainable_blocks: int) -> list[str]:
        """Freeze the whole backbone except its last ``trainable_blocks`` blocks.

        Examples
        --------
        >>> from omicsnet.models import create_model
        >>> m = create_model("lcms_image")
        >>> frozen = m.freeze_depth(1)
        >>> sorted({n.split(".")[2] for n in frozen})
        ['block1', 'block2']
        """
        blocks = self.block_names()
        if not 0 <= trainable_blocks <= len(blocks):
            raise ConfigError(
                f"trainable_blocks must be in [0, {len(blocks)}] for this backbone "
                f"({', '.join(blocks)}), got {trainable_blocks}"
            )
        first_trainable = len(blocks) - trainable_blocks
        frozen = []
        for name, parameter in self.named_parameters():
            if name.startswith("backbone."):
                keep = self._block_of(name) >= first_trainable
                parameter.requires_grad_(keep)
                if not keep:
                    frozen.append(name)
        return frozen

    def trainable_parameter_names(self) -> list[str]:
        """Names of the parameters that learn.

        Examples
        --------
        >>> from omicsnet.models import create_model
        >>> create_model("lcms_image", trainable_blocks=0).trainable_parameter_names()
        ['head.weight', 'head.bias']
        """
        return [n for n, p in self.named_parameters() if p.requires_grad]

    def train(self, mode: bool = True) -> LCMSImageClassifier:
        """Like ``nn.Module.train``, but frozen batch-norm layers stay in eval mode."""
        super().train(mode)
        if mode:
            for module in self.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    params = list(module.parameters())
                    if params and not any(p.requires_grad for p in params):
                        module.eval()
        return self

    # ------------------------------------------------------------------ forward
    def preprocess(self, x: Tensor) -> Tensor:
        """Check the shape (``(batch, 1, RT, m/z)``) and apply the intensity transform."""
        if x.ndim == 3:
            x = x.unsqueeze(1)
        if x.ndim != 4 or x.shape[1] != 1:
            raise DataError(
                f"lcms_image expects pseudo-images of shape (batch, 1, RT, m/z) or "
                f"(batch, RT, m/z), got {tuple(x.shape)}"
            )
        if min(x.shape[-2:]) < self.backbone.min_size:
            raise DataError(
                f"lcms_image: images of {tuple(x.shape[-2:])} pixels are smaller than the "
                f"backbone's minimum {self.backbone.min_size} x {self.backbone.min_size}"
            )
        return intensity_transform(x, self.transform)

    def feature_maps(self, x: Tensor) -> Tensor:
        """The backbone's last feature maps ``(batch, channels, h, w)`` of inputs ``x``.

        Examples
        --------
        >>> from omicsnet.models import create_model
        >>> create_model("lcms_image").feature_maps(torch.rand(2, 1, 64, 64)).shape
        torch.Size([2, 64, 8, 8])
        """
        x = self.preprocess(x)
        if isinstance(self.backbone, SmallCNN):
            return self.backbone.blocks(x)
        return torch.relu(self.backbone.features(x))

    def forward(self, x: Tensor) -> Tensor:
        pooled = nn.functional.adaptive_avg_pool2d(self.feature_maps(x), self.pool_size)
        return self.head(self.dropout(torch.flatten(pooled, 1)))

    def predict_proba(self, x: Any, *, batch_size: int = 64) -> Any:
        """Class probabilities ``(n, n_classes)`` (binary: ``[1 - p, p]``), in eval mode.

        Examples
        --------
        >>> from omicsnet.models import create_model
        >>> p = create_model("lcms_image").predict_proba(torch.rand(3, 1, 64, 64))
        >>> p.shape, bool(abs(p.sum(1) - 1).max() < 1e-6)
        ((3, 2), True)
        """
        return predict_proba(self, x, batch_size=batch_size)  # uses self.probabilities

    def probabilities(self, logits: Tensor) -> Tensor:
        """Probabilities of every class from the model's outputs (sigmoid or softmax)."""
        if self.head_kind == "binary":
            p = torch.sigmoid(logits.reshape(-1, 1))
            return torch.cat([1 - p, p], dim=1)
        return torch.softmax(logits, dim=1)

    def load_pretrained(
        self, path: str | os.PathLike[str], *, strict: bool = True
    ) -> dict[str, Any]:
        """Initialise the backbone from a local safetensors file (nothing is downloaded).

        DenseNet backbones accept torchvision/MONAI names and 3-channel stems (see
        :func:`omicsnet.nn.densenet.load_densenet_weights`). A ``small_cnn`` takes a file of
        its own backbone tensors (keys as in ``model.backbone.state_dict()``, optionally
        prefixed ``backbone.``, e.g. the ``model.safetensors`` of a saved ``lcms_image``):
        transfer learning from one cohort to another.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from safetensors.torch import save_file
        >>> from omicsnet.models import create_model
        >>> source = create_model("lcms_image")
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "cnn.safetensors"
        >>> save_file(source.backbone.state_dict(), str(path))
        >>> target = create_model("lcms_image")
        >>> target.load_pretrained(path)["n_tensors"]  # weights, BN statistics and counters
        18
        >>> conv = "blocks.block1.0.weight"
        >>> torch.equal(target.backbone.state_dict()[conv], source.backbone.state_dict()[conv])
        True
        """
        if isinstance(self.backbone, DenseNetBackbone):
            return load_densenet_weights(self.backbone, path, strict=strict)
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        from omicsnet.utils.io import sha256_file

        file = os.fspath(path)
        if not os.path.isfile(file):
            raise DataNotFoundError(f"pretrained weights file {file} not found")
        try:
            tensors = load_file(file)
        except (SafetensorError, OSError) as err:
            raise CheckpointError(f"{file}: not a safetensors file ({err})") from err
        if any(k.startswith("backbone.") for k in tensors):
            tensors = {
                k.removeprefix("backbone."): v
                for k, v in tensors.items()
                if k.startswith("backbone.")
            }
        own = self.backbone.state_dict()
        missing = sorted(set(own) - set(tensors))
        unknown = sorted(set(tensors) - set(own))
        if strict and (missing or unknown):
            raise CheckpointError(
                f"{file}: tensors do not fit the small_cnn backbone (missing {missing[:5]}, "
                f"unknown {unknown[:5]})"
            )
        for key, value in tensors.items():
            if key in own and tuple(own[key].shape) != tuple(value.shape):
                raise CheckpointError(
                    f"{file}: tensor {key} has shape {tuple(value.shape)}, the backbone needs "
                    f"{tuple(own[key].shape)}"
                )
        self.backbone.load_state_dict({k: v for k, v in tensors.items() if k in own}, strict=False)
        return {"path": file, "sha256": sha256_file(file), "n_tensors": len(own) - len(missing)}

    def example_input(
        self, batch_size: int = 4, generator: torch.Generator | None = None
    ) -> Tensor:
        """Random pseudo-images in ``[0, log 256]``: ``(batch_size, 1, *input_size)``.

        Examples
        --------
        >>> from omicsnet.models import create_model
        >>> create_model("lcms_image").example_input(2).shape
        torch.Size([2, 1, 64, 64])
        """
        shape = (batch_size, 1, *self.input_size)
        return torch.rand(shape, generator=generator) * float(torch.log1p(torch.tensor(255.0)))


__all__ = ["BACKBONES", "HEADS", "LCMSImageClassifier", "SmallCNN"]
