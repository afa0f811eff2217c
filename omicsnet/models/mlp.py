"""A plain multilayer perceptron: the zoo's general-purpose baseline and demo model."""

from __future__ import annotations

from torch import Tensor, nn

from omicsnet.errors import ConfigError
from omicsnet.models.base import OmicsModel
from omicsnet.models.registry import register_model
from omicsnet.nn.dense import hidden_layers

TASKS = ("regression", "classification", "binary")


@register_model("mlp", family="general")
class MLP(OmicsModel):
    """Dense feed-forward network for regression or classification on feature vectors.

    Parameters
    ----------
    in_features, out_features
        Input width (e.g. genes) and output width (proteins, or classes).
    hidden
        Widths of the hidden layers; ``[]`` gives a linear model.
    activation
        Activation name (see :func:`omicsnet.nn.activations.make_activation`).
    dropout
        Dropout probability after each hidden layer.
    batch_norm
        Batch normalisation after each hidden linear layer.
    task
        ``"regression"`` (MSE), ``"classification"`` (cross-entropy over
        ``out_features`` classes) or ``"binary"`` (BCE with logits); selects the default
        training plan.

    Examples
    --------
    >>> import torch
    >>> from omicsnet.models import create_model
    >>> model = create_model("mlp", in_features=20, out_features=3, hidden=[32, 16],
    ...                      task="classification")
    >>> model(torch.randn(5, 20)).shape
    torch.Size([5, 3])
    """

    def __init__(
        self,
        in_features: int = 16,
        out_features: int = 4,
        hidden: list[int] = (64, 32),  # type: ignore[assignment]
        activation: str = "relu",
        dropout: float = 0.0,
        batch_norm: bool = False,
        task: str = "regression",
    ) -> None:
        super().__init__()
        if task not in TASKS:
            raise ConfigError(f"mlp task must be one of {TASKS}, got {task!r}")
        if in_features < 1 or out_features < 1:
            raise ConfigError("mlp in_features and out_features must be positive")
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"mlp dropout must be in [0, 1), got {dropout}")
        self.task = task
        self.n_inputs, self.n_outputs = int(in_features), int(out_features)
        layers, width = hidden_layers(self.n_inputs, hidden, activation, dropout, batch_norm)
        layers.append(nn.Linear(width, self.n_outputs))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)
