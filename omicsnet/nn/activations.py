"""Activation functions by name, so configs can name them as strings."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from omicsnet.errors import ConfigError

_ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.01),
    "leaky_relu_0.01": lambda: nn.LeakyReLU(0.01),
    "leaky_relu_0.1": lambda: nn.LeakyReLU(0.1),
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "selu": nn.SELU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "softplus": nn.Softplus,
    "identity": nn.Identity,
}


def activation_names() -> list[str]:
    """Return the activation names :func:`make_activation` accepts.

    Examples
    --------
    >>> "selu" in activation_names()
    True
    """
    return sorted(_ACTIVATIONS)


def make_activation(name: str) -> nn.Module:
    """Return a new activation module for ``name``.

    Parameters
    ----------
    name
        One of :func:`activation_names`, e.g. ``"relu"``, ``"leaky_relu_0.1"``, ``"tanh"``.

    Raises
    ------
    ConfigError
        For an unknown name (the message lists the known ones).

    Examples
    --------
    >>> make_activation("leaky_relu_0.1")
    LeakyReLU(negative_slope=0.1)
    """
    try:
        return _ACTIVATIONS[name]()
    except KeyError:
        raise ConfigError(
            f"unknown activation {name!r}; choose one of {', '.join(activation_names())}"
        ) from None
