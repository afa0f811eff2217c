"""NeatMS's peak-quality CNN (``"peak_cnn"`` in the zoo), with layer freezing for transfer.

NeatMS (bihealth/NeatMS, ``NN_handler.create_model``) classifies each peak's 2 × 120
matrix (see :mod:`omicsnet.peaks.matrices`) as High quality, Low quality or Noise
with a small Keras network over a ``(2, 120, 1)`` image. :class:`PeakCNN` is the same
network in torch, layer for layer:

=============  =============================================  ==========================
layer          NeatMS (Keras)                                 here
=============  =============================================  ==========================
``conv1``      Conv2D 32, kernel 5, ``same``, ReLU             Conv2d(1, 32, 5, padding 2)
``pool``       MaxPooling2D (1, 2)                            MaxPool2d((1, 2))
``conv2``      Conv2D 64, kernel 3, ``same``, ReLU             Conv2d(32, 64, 3, padding 1)
``dense``      Flatten, Dense 128 ReLU, L2 1e-3 on the kernel  Linear(64·2·60, 128), L2
``dropout``    Dropout 0.5                                    Dropout(0.5)
``output``     Dense n_classes, softmax                       Linear(128, n_classes)
=============  =============================================  ==========================

The model returns logits (the shared classification plan applies the softmax inside the
cross-entropy; :meth:`PeakCNN.predict_proba` returns probabilities). The L2 penalty is
Keras's: ``l2 · Σ w²`` of the dense kernel added to the training loss, by the model's own
training plan (:class:`PeakTrainingPlan`), so only that layer is regularised.

Transfer learning freezes chosen layers (:meth:`PeakCNN.freeze` by name or by depth):
their parameters stop receiving gradients and are left out of training.

Examples
--------
>>> import torch
>>> from omicsnet.models import create_model
>>> model = create_model("peak_cnn")
>>> model(torch.rand(4, 2, 120)).shape
torch.Size([4, 3])
>>> model.output_features
['High', 'Low', 'Noise']
>>> model.freeze(["conv1", "conv2"])
['conv1', 'conv2']
>>> model.trainable_layers()
['dense', 'output']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from omicsnet.errors import ConfigError, DataError
from omicsnet.models.base import OmicsModel
from omicsnet.models.inference import predict_proba
from omicsnet.models.registry import register_model
from omicsnet.train.plans import ClassificationPlan

LAYERS = ("conv1", "conv2", "dense", "output")
"""Layers with parameters, input to output (what ``freeze`` accepts, and its depth order)."""

DEFAULT_CLASSES = ("High", "Low", "Noise")


@register_model("peak_cnn", family="lcms")
class PeakCNN(OmicsModel):
    """NeatMS peak-quality CNN over 2 x 120 peak matrices: High, Low or Noise.

    Parameters
    ----------
    n_classes
        Output classes (3 in NeatMS: High, Low, Noise).
    n_points
        Width of the peak matrices (120 in NeatMS); a saved model refuses other widths.
    class_names
        Names of the classes (the model's output features).
    conv_channels
        Channels of the two convolutions (32, 64 in NeatMS).
    dense_units
        Units of the dense layer (128).
    dropout
        Dropout after the dense layer (0.5).
    l2
        Keras-style L2 factor of the dense kernel (``l2 · Σ w²`` is added to the loss).

    Examples
    --------
    >>> from omicsnet.models import create_model
    >>> model = create_model("peak_cnn", n_points=60)
    >>> model.example_input(2).shape
    torch.Size([2, 2, 60])
    >>> float(model.regularization_loss().detach()) > 0
    True
    """

    task = "classification"

    def __init__(
        self,
        n_classes: int = 3,
        n_points: int = 120,
        class_names: list[str] = DEFAULT_CLASSES,  # type: ignore[assignment]
        conv_channels: list[int] = (32, 64),  # type: ignore[assignment]
        dense_units: int = 128,
        dropout: float = 0.5,
        l2: float = 1e-3,
    ) -> None:
        super().__init__()
        if int(n_classes) < 2:
            raise ConfigError(f"peak_cnn needs n_classes >= 2, got {n_classes}")
        if int(n_points) < 4 or int(n_points) % 2:
            raise ConfigError(f"peak_cnn n_points must be an even number >= 4, got {n_points}")
        names = [str(c) for c in class_names]
        if len(names) != int(n_classes):
            raise ConfigError(
                f"peak_cnn has {n_classes} classes but {len(names)} class names: {names}"
            )
        channels = [int(c) for c in conv_channels]
        if len(channels) != 2 or min(channels) < 1:
            raise ConfigError(f"peak_cnn conv_channels must be two positive ints: {channels}")
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"peak_cnn dropout must be in [0, 1), got {dropout}")
        if l2 < 0:
            raise ConfigError(f"peak_cnn l2 must be >= 0, got {l2}")
        self.n_outputs = int(n_classes)
        self.n_points = int(n_points)
        self.l2 = float(l2)
        self.conv1 = nn.Conv2d(1, channels[0], kernel_size=5, padding=2)
        self.pool = nn.MaxPool2d(kernel_size=(1, 2))
        self.conv2 = nn.Conv2d(channels[0], channels[1], kernel_size=3, padding=1)
        self.dense = nn.Linear(channels[1] * 2 * (self.n_points // 2), int(dense_units))
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(int(dense_units), self.n_outputs)
        self.set_feature_names(output_features=names)

    @property
    def input_shape(self) -> tuple[int, int]:
        """``(2, n_points)``: the shape of one input matrix.

        Examples
        --------
        >>> PeakCNN().input_shape
        (2, 120)
        """
        return (2, self.n_points)

    def check_input(self, x: Tensor) -> Tensor:
        """Return ``x`` as ``(batch, 1, 2, n_points)``, or raise naming both shapes.

        Examples
        --------
        >>> PeakCNN(n_points=120).check_input(torch.zeros(3, 2, 100))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        omicsnet.errors.DataError: peak_cnn expects peak matrices of shape (batch, 2, 120) ...
        """
        if x.ndim == 3:
            x = x.unsqueeze(1)
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, *self.input_shape):
            shown = tuple(x.shape[:1]) + tuple(x.shape[2:]) if x.ndim == 4 else tuple(x.shape)
            raise DataError(
                f"peak_cnn expects peak matrices of shape (batch, 2, {self.n_points}) "
                f"(the model's input shape is 2 x {self.n_points}); got {shown}: build the "
                f"matrices with n_points={self.n_points} or use a model trained on them"
            )
        return x

    def forward(self, x: Tensor) -> Tensor:
        x = self.check_input(x)
        x = F.relu(self.conv1(x))
        x = self.pool(x)
        x = F.relu(self.conv2(x))
        x = F.relu(self.dense(torch.flatten(x, 1)))
        return self.output(self.dropout(x))

    def predict_proba(self, x: Tensor, *, batch_size: int = 1024) -> Tensor:
        """Class probabilities (softmax of the logits), batched, in eval mode, no gradients.

        Examples
        --------
        >>> p = PeakCNN().predict_proba(torch.rand(2, 2, 120))
        >>> p.shape, bool(torch.allclose(p.sum(1), torch.ones(2)))
        (torch.Size([2, 3]), True)
        """
        return torch.from_numpy(predict_proba(self, x, batch_size=batch_size, activation="softmax"))

    def regularization_loss(self) -> Tensor:
        """Keras's ``l2(λ)`` on the dense kernel: ``λ · Σ w²``."""
        return self.l2 * self.dense.weight.pow(2).sum()

    def training_plan(self) -> PeakTrainingPlan:
        """Cross-entropy plus the dense layer's L2 penalty."""
        return PeakTrainingPlan()

    # ------------------------------------------------------------------ transfer learning
    def freeze(self, layers: Sequence[str] | int | str) -> list[str]:
        """Stop training the given layers (by name, or the first ``k`` of :data:`LAYERS`).

        Parameters
        ----------
        layers
            Layer names (``"conv1"``, ``"conv2"``, ``"dense"``, ``"output"``), one name,
            or a depth ``k``: the first ``k`` layers from the input.

        Returns
        -------
        list of str
            All frozen layers after the call.

        Examples
        --------
        >>> m = PeakCNN()
        >>> m.freeze(2)
        ['conv1', 'conv2']
        >>> m.freeze("nope")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        omicsnet.errors.ConfigError: peak_cnn has no layer 'nope'; layers: conv1, conv2, ...
        """
        for name in self._layer_names(layers):
            getattr(self, name).requires_grad_(False)
        return self.frozen_layers()

    def unfreeze(self, layers: Sequence[str] | int | str | None = None) -> list[str]:
        """Train the given layers again (all layers when ``None``); returns the frozen ones.

        Examples
        --------
        >>> m = PeakCNN()
        >>> _ = m.freeze(3)
        >>> m.unfreeze(["dense"])
        ['conv1', 'conv2']
        """
        for name in LAYERS if layers is None else self._layer_names(layers):
            getattr(self, name).requires_grad_(True)
        return self.frozen_layers()

    def frozen_layers(self) -> list[str]:
        """Layers none of whose parameters are trained."""
        return [
            n for n in LAYERS if not any(p.requires_grad for p in getattr(self, n).parameters())
        ]

    def trainable_layers(self) -> list[str]:
        """Layers with trained parameters."""
        frozen = set(self.frozen_layers())
        return [n for n in LAYERS if n not in frozen]

    def _layer_names(self, layers: Sequence[str] | int | str) -> list[str]:
        if isinstance(layers, bool):
            raise ConfigError(f"layers to freeze must be names or a depth, got {layers!r}")
        if isinstance(layers, int):
            if not 0 <= layers <= len(LAYERS):
                raise ConfigError(f"freeze depth must be in 0..{len(LAYERS)}, got {layers}")
            return list(LAYERS[:layers])
        names = [layers] if isinstance(layers, str) else [str(n) for n in layers]
        for name in names:
            if name not in LAYERS:
                raise ConfigError(f"peak_cnn has no layer {name!r}; layers: {', '.join(LAYERS)}")
        return names

    def example_input(
        self, batch_size: int = 4, generator: torch.Generator | None = None
    ) -> Tensor:
        """Random peak matrices ``(batch_size, 2, n_points)``: a trace in [0, 1], a 0/1 mask.

        Examples
        --------
        >>> x = PeakCNN().example_input(3)
        >>> x.shape, sorted(x[:, 1].unique().tolist())
        (torch.Size([3, 2, 120]), [0.0, 1.0])
        """
        trace = torch.rand(batch_size, self.n_points, generator=generator)
        third = self.n_points // 3
        mask = torch.zeros(batch_size, self.n_points)
        mask[:, third : 2 * third] = 1.0
        return torch.stack([trace, mask], dim=1)


class PeakTrainingPlan(ClassificationPlan):
    """Cross-entropy with the model's L2 penalty on the training loss (Keras semantics).

    The validation loss (computed by the trainer from outputs alone) is the plain
    cross-entropy.

    Examples
    --------
    >>> model = PeakCNN()
    >>> batch = {"x": model.example_input(2), "y": torch.tensor([0, 2])}
    >>> loss, _ = PeakTrainingPlan().step(model, batch)
    >>> bool(loss > model.regularization_loss())
    True
    """

    name = "peak_classification"

    def step(self, model: Any, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        loss, outputs = super().step(model, batch)
        core = getattr(model, "module", model)  # DDP wraps the model
        penalty = getattr(core, "regularization_loss", None)
        if callable(penalty):
            loss = loss + penalty()
        return loss, outputs


__all__ = ["DEFAULT_CLASSES", "LAYERS", "PeakCNN", "PeakTrainingPlan"]
