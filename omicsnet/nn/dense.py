"""Stacks of fully connected hidden layers, as the MLP-like zoo models build them."""

from __future__ import annotations

from collections.abc import Iterable

from torch import nn

from omicsnet.nn.activations import make_activation


def hidden_layers(
    width: int,
    hidden: Iterable[int],
    activation: str = "relu",
    dropout: float = 0.0,
    batch_norm: bool = False,
) -> tuple[list[nn.Module], int]:
    """Linear → (batch norm) → activation → (dropout) for each hidden width.

    Parameters
    ----------
    width
        Input width.
    hidden
        Widths of the hidden layers, in order (empty: no layers).
    activation
        Activation name (see :func:`omicsnet.nn.activations.make_activation`).
    dropout
        Dropout probability after each hidden layer (``0``: no dropout layer).
    batch_norm
        A ``BatchNorm1d`` after each linear layer.

    Returns
    -------
    tuple
        The layers (a list, to extend or wrap in ``nn.Sequential``) and the output width.

    Examples
    --------
    >>> layers, width = hidden_layers(10, [8, 4], dropout=0.1)
    >>> [type(layer).__name__ for layer in layers], width
    (['Linear', 'ReLU', 'Dropout', 'Linear', 'ReLU', 'Dropout'], 4)
    """
    layers: list[nn.Module] = []
    for size in hidden:
        layers.append(nn.Linear(width, int(size)))
        if batch_norm:
            layers.append(nn.BatchNorm1d(int(size)))
        layers.append(make_activation(activation))
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = int(size)
    return layers, width
