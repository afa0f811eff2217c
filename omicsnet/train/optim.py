"""Optimisers and learning-rate schedulers by name, so that configs can choose them."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

import torch

from omicsnet.errors import ConfigError

OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "adamax": torch.optim.Adamax,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
    "adagrad": torch.optim.Adagrad,
    "nadam": torch.optim.NAdam,
    "radam": torch.optim.RAdam,
}

# name -> (scheduler class, whether it steps once per batch instead of once per epoch)
SCHEDULERS: dict[str, tuple[type, bool]] = {
    "cosine": (torch.optim.lr_scheduler.CosineAnnealingLR, False),
    "cosine_restarts": (torch.optim.lr_scheduler.CosineAnnealingWarmRestarts, False),
    "step": (torch.optim.lr_scheduler.StepLR, False),
    "multistep": (torch.optim.lr_scheduler.MultiStepLR, False),
    "exponential": (torch.optim.lr_scheduler.ExponentialLR, False),
    "plateau": (torch.optim.lr_scheduler.ReduceLROnPlateau, False),
    "onecycle": (torch.optim.lr_scheduler.OneCycleLR, True),
    "linear": (torch.optim.lr_scheduler.LinearLR, False),
}


def build_optimizer(
    name: str, params: Iterable[Any], lr: float, weight_decay: float = 0.0, **kwargs: Any
) -> torch.optim.Optimizer:
    """Create an optimiser by name.

    Parameters
    ----------
    name
        One of ``adam``, ``adamw``, ``adamax``, ``sgd``, ``rmsprop``, ``adagrad``, ``nadam``,
        ``radam`` (case-insensitive).
    params
        Parameters (or parameter groups) to optimise.
    lr, weight_decay
        Learning rate and L2 weight decay.
    **kwargs
        Further options of the torch optimiser (e.g. ``momentum`` for SGD).

    Examples
    --------
    >>> layer = torch.nn.Linear(2, 1)
    >>> type(build_optimizer("AdamW", layer.parameters(), lr=1e-3)).__name__
    'AdamW'
    """
    try:
        cls = OPTIMIZERS[name.lower()]
    except KeyError:
        raise ConfigError(
            f"unknown optimizer {name!r}; choose one of {', '.join(sorted(OPTIMIZERS))}"
        ) from None
    _check_kwargs(cls, kwargs, f"optimizer {name!r}")
    return cls(params, lr=lr, weight_decay=weight_decay, **kwargs)


def build_scheduler(
    name: str | None,
    optimizer: torch.optim.Optimizer,
    *,
    max_epochs: int,
    steps_per_epoch: int,
    **kwargs: Any,
) -> tuple[Any, bool]:
    """Create a learning-rate scheduler by name with sensible defaults.

    Parameters
    ----------
    name
        ``None`` for a constant rate, or one of ``cosine``, ``cosine_restarts``, ``step``,
        ``multistep``, ``exponential``, ``plateau``, ``onecycle``, ``linear``.
    optimizer
        The optimiser to schedule.
    max_epochs, steps_per_epoch
        Used for defaults (``cosine`` anneals over ``max_epochs``; ``onecycle`` spans all
        steps).
    **kwargs
        Options of the torch scheduler, overriding the defaults.

    Returns
    -------
    (scheduler or None, per_batch)
        ``per_batch`` is ``True`` when the scheduler steps after every batch.

    Examples
    --------
    >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    >>> sched, per_batch = build_scheduler("cosine", opt, max_epochs=10, steps_per_epoch=5)
    >>> type(sched).__name__, per_batch
    ('CosineAnnealingLR', False)
    """
    if name is None or name == "none":
        return None, False
    try:
        cls, per_batch = SCHEDULERS[name.lower()]
    except KeyError:
        raise ConfigError(
            f"unknown scheduler {name!r}; choose one of {', '.join(sorted(SCHEDULERS))}"
        ) from None
    defaults: dict[str, Any] = {
        "cosine": {"T_max": max(1, max_epochs)},
        "cosine_restarts": {"T_0": max(1, max_epochs // 4)},
        "step": {"step_size": max(1, max_epochs // 3)},
        "multistep": {"milestones": [max(1, max_epochs // 2), max(1, 3 * max_epochs // 4)]},
        "exponential": {"gamma": 0.95},
        "plateau": {"patience": 5, "factor": 0.5},
        "onecycle": {
            "max_lr": [group["lr"] for group in optimizer.param_groups],
            "total_steps": max(1, max_epochs * steps_per_epoch),
        },
        "linear": {"total_iters": max(1, max_epochs)},
    }[name.lower()]
    options = {**defaults, **kwargs}
    _check_kwargs(cls, options, f"scheduler {name!r}")
    return cls(optimizer, **options), per_batch


def _check_kwargs(cls: type, kwargs: dict[str, Any], what: str) -> None:
    accepted = set(inspect.signature(cls).parameters) - {"self", "params", "optimizer"}
    unknown = sorted(set(kwargs) - accepted)
    if unknown:
        raise ConfigError(
            f"{what} has no option {unknown[0]!r} (options: {', '.join(sorted(accepted))})"
        )
