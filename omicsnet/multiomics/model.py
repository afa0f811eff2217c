"""Early and intermediate fusion networks over several omics.

Both models take one flat input, the omics side by side in the order of their ``omics``
option ``[[name, width], ...]`` (what :func:`omicsnet.data.omics.join_omics` builds and
``omicsnet train`` fills in from the data), so that they train, predict, save and load
with the shared trainer, inference and save format like any zoo model. Both expose
:meth:`latent` (the code the head reads), used by
``MultiOmicsModel.get_latent_representation``.

Examples
--------
>>> import torch
>>> from omicsnet.models import create_model
>>> model = create_model("intermediate_fusion", omics=[["rna", 20], ["mirna", 10]],
...                      out_features=3, latent_dim=4)
>>> x = torch.randn(5, 30)
>>> model(x).shape, model.latent(x).shape
(torch.Size([5, 3]), torch.Size([5, 8]))
"""

from __future__ import annotations

import abc
from typing import Any

import torch
from torch import Tensor, nn

from omicsnet.errors import ConfigError, DataError
from omicsnet.models.base import OmicsModel
from omicsnet.models.registry import register_model
from omicsnet.nn.dense import hidden_layers

TASKS = ("classification", "regression", "binary")
_DEFAULT_OMICS = (("omics1", 12), ("omics2", 8))


def _check_blocks(omics: Any) -> list[tuple[str, int]]:
    try:
        blocks = [(str(name), int(width)) for name, width in omics]
    except (TypeError, ValueError):
        raise ConfigError(f"omics must be a list of [name, width] pairs, got {omics!r}") from None
    if not blocks:
        raise ConfigError("omics needs at least one [name, width] pair")
    names = [b[0] for b in blocks]
    if len(set(names)) != len(names):
        raise ConfigError(f"omics names must be distinct, got {names}")
    if any(width < 1 for _, width in blocks):
        raise ConfigError(f"every omics needs at least one feature, got {blocks}")
    return blocks


def _stack(
    width: int, hidden: Any, activation: str, dropout: float, batch_norm: bool
) -> tuple[nn.Sequential, int]:
    layers, width = hidden_layers(width, hidden, activation, dropout, batch_norm)
    return nn.Sequential(*layers), width


class _Fusion(OmicsModel, abc.ABC):
    """What both fusion models share: blocks, task, input checks."""

    def _setup(
        self, omics: Any, out_features: int, task: str, dropout: float, latent_dim: int
    ) -> None:
        if task not in TASKS:
            raise ConfigError(f"{self.model_name} task must be one of {TASKS}, got {task!r}")
        if int(out_features) < 1:
            raise ConfigError("out_features must be positive")
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {dropout}")
        if int(latent_dim) < 1:
            raise ConfigError("latent_dim must be positive")
        self.task = task
        self.blocks = _check_blocks(omics)
        self.n_inputs = sum(width for _, width in self.blocks)
        self.n_outputs = int(out_features)

    def _check(self, x: Tensor) -> None:
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            layout = ", ".join(f"{n} {w}" for n, w in self.blocks)
            raise DataError(
                f"{type(self).__name__} expects inputs of shape (batch, {self.n_inputs}) "
                f"({layout}), got {tuple(x.shape)}"
            )

    def split(self, x: Tensor) -> list[Tensor]:
        """The input's omics blocks, in order."""
        return list(torch.split(x, [w for _, w in self.blocks], dim=1))

    @abc.abstractmethod
    def latent(self, x: Tensor) -> Tensor:
        """The latent code of ``x`` (each fusion model defines its own)."""

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.latent(x))


@register_model("early_fusion", family="multiomics")
class EarlyFusion(_Fusion):
    """Early fusion: the omics concatenated, one encoder, one head.

    Parameters
    ----------
    omics
        ``[[name, width], ...]``: the omics blocks of the input, in order.
    out_features
        Classes (classification), targets (regression) or 1 (binary).
    hidden
        Widths of the encoder's hidden layers.
    latent_dim
        Width of the latent code (the encoder's last layer); the head is linear on it.
    activation, dropout, batch_norm
        Of every hidden layer.
    task
        ``"classification"``, ``"regression"`` or ``"binary"``: selects the training plan.

    Examples
    --------
    >>> import torch
    >>> from omicsnet.models import create_model
    >>> m = create_model("early_fusion", omics=[["rna", 6], ["prot", 4]], out_features=2)
    >>> m(torch.randn(3, 10)).shape
    torch.Size([3, 2])
    """

    def __init__(
        self,
        omics: list[list[Any]] = _DEFAULT_OMICS,  # type: ignore[assignment]
        out_features: int = 3,
        hidden: list[int] = (64,),  # type: ignore[assignment]
        latent_dim: int = 16,
        activation: str = "relu",
        dropout: float = 0.0,
        batch_norm: bool = False,
        task: str = "classification",
    ) -> None:
        super().__init__()
        self._setup(omics, out_features, task, dropout, latent_dim)
        self.encoder, width = _stack(
            self.n_inputs, [*hidden, int(latent_dim)], activation, dropout, batch_norm
        )
        self.head = nn.Linear(width, self.n_outputs)

    def latent(self, x: Tensor) -> Tensor:
        """The latent code ``(batch, latent_dim)`` of the concatenated omics."""
        self._check(x)
        return self.encoder(x)


@register_model("intermediate_fusion", family="multiomics")
class IntermediateFusion(_Fusion):
    """Intermediate fusion: one encoder per omics, latent codes concatenated, a joint head.

    Parameters
    ----------
    omics
        ``[[name, width], ...]``: the omics blocks of the input, in order.
    out_features
        Classes (classification), targets (regression) or 1 (binary).
    encoder_hidden
        Widths of the hidden layers of each omics' encoder.
    latent_dim
        Width of each omics' latent code (the joint code is ``len(omics) * latent_dim``).
    head_hidden
        Widths of the joint head's hidden layers (``[]``: a linear head).
    activation, dropout, batch_norm
        Of every hidden layer.
    modality_dropout
        While training, the probability of zeroing one omics' whole latent code for a
        sample (at most all but one per sample), so that the head does not lean on one
        omics alone; 0 turns it off. Nothing is dropped in eval mode.
    task
        ``"classification"``, ``"regression"`` or ``"binary"``: selects the training plan.

    Examples
    --------
    >>> import torch
    >>> from omicsnet.models import create_model
    >>> m = create_model("intermediate_fusion", omics=[["rna", 6], ["prot", 4]],
    ...                  out_features=2, latent_dim=3)
    >>> m.latent(torch.randn(3, 10)).shape
    torch.Size([3, 6])
    """

    def __init__(
        self,
        omics: list[list[Any]] = _DEFAULT_OMICS,  # type: ignore[assignment]
        out_features: int = 3,
        encoder_hidden: list[int] = (64,),  # type: ignore[assignment]
        latent_dim: int = 16,
        head_hidden: list[int] = (),  # type: ignore[assignment]
        activation: str = "relu",
        dropout: float = 0.0,
        batch_norm: bool = False,
        modality_dropout: float = 0.0,
        task: str = "classification",
    ) -> None:
        super().__init__()
        self._setup(omics, out_features, task, dropout, latent_dim)
        if not 0.0 <= modality_dropout < 1.0:
            raise ConfigError(f"modality_dropout must be in [0, 1), got {modality_dropout}")
        self.modality_dropout = float(modality_dropout)
        self.encoders = nn.ModuleList(
            _stack(width, [*encoder_hidden, int(latent_dim)], activation, dropout, batch_norm)[0]
            for _, width in self.blocks
        )
        joint = int(latent_dim) * len(self.blocks)
        trunk, width = _stack(joint, head_hidden, activation, dropout, batch_norm)
        self.head = nn.Sequential(*trunk, nn.Linear(width, self.n_outputs))

    def latent(self, x: Tensor) -> Tensor:
        """The joint code ``(batch, len(omics) * latent_dim)``: each omics' code side by side."""
        self._check(x)
        codes = [encoder(part) for encoder, part in zip(self.encoders, self.split(x), strict=True)]
        if self.training and self.modality_dropout > 0 and len(codes) > 1:
            keep = torch.rand(x.shape[0], len(codes), device=x.device) >= self.modality_dropout
            none_kept = ~keep.any(dim=1)  # keep one omics (at random) for such samples
            if bool(none_kept.any()):
                pick = torch.randint(len(codes), (int(none_kept.sum()),), device=x.device)
                keep[none_kept.nonzero().squeeze(1), pick] = True
            codes = [c * keep[:, i : i + 1].to(c.dtype) for i, c in enumerate(codes)]
        return torch.cat(codes, dim=1)


__all__ = ["EarlyFusion", "IntermediateFusion"]
