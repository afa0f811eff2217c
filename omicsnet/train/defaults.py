"""Trainer settings, merged in one place: family defaults, then the user's, then the rules.

Every family builds its :class:`~omicsnet.train.trainer.Trainer` through
:func:`make_trainer`: the family declares its defaults (a DenseNet family trains with
``drop_last``, a small tabular network with early stopping...), the user's settings win
over them, unknown settings are refused with the list of known ones, and the batch-norm
rule is applied once for everybody: a model with batch norm cannot train on a last batch
of a single sample, so that batch is dropped.

Examples
--------
>>> from torch import nn
>>> model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
>>> trainer_settings({"batch_size": 32, "max_epochs": 5}, {"max_epochs": 9},
...                  model=model, n_train=65)
{'batch_size': 32, 'max_epochs': 9, 'drop_last': True}
>>> trainer_settings({}, {"max_epoch": 3})
Traceback (most recent call last):
...
omicsnet.errors.ConfigError: unknown trainer setting 'max_epoch'; did you mean 'max_epochs'? ...
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Mapping
from typing import Any

from torch import nn

from omicsnet.errors import ConfigError
from omicsnet.train.batchnorm import has_batch_norm, one_sample_last_batch
from omicsnet.train.trainer import Trainer

#: Every setting :class:`Trainer` accepts (its keyword arguments).
TRAINER_OPTIONS: frozenset[str] = frozenset(
    name for name in inspect.signature(Trainer.__init__).parameters if name != "self"
)


def check_trainer_options(settings: Mapping[str, Any], *, where: str = "trainer") -> None:
    """Refuse settings that :class:`Trainer` does not know, suggesting the closest one.

    Examples
    --------
    >>> check_trainer_options({"lr": 1e-3, "batch_size": 8})
    """
    for key in settings:
        if key not in TRAINER_OPTIONS:
            close = difflib.get_close_matches(str(key), TRAINER_OPTIONS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(sorted(TRAINER_OPTIONS))
            raise ConfigError(f"unknown {where} setting {key!r}{hint} (known: {known})")


def trainer_settings(
    defaults: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    model: nn.Module | None = None,
    n_train: int | None = None,
) -> dict[str, Any]:
    """Merge ``defaults`` and ``overrides`` (which win) and apply the batch-norm rule.

    Parameters
    ----------
    defaults
        The family's defaults.
    overrides
        The user's settings.
    model, n_train
        The model and the number of training samples: when the model has batch norm and
        the last batch would hold one sample, ``drop_last`` is set (unless given).

    Returns
    -------
    dict
        Keyword arguments for :class:`Trainer`.
    """
    settings = {**dict(defaults or {}), **dict(overrides or {})}
    check_trainer_options(settings)
    if (
        "drop_last" not in settings
        and model is not None
        and n_train is not None
        and has_batch_norm(model, trainable_only=True)
        and one_sample_last_batch(n_train, int(settings.get("batch_size", 64)))
    ):
        settings["drop_last"] = True
    return settings


def make_trainer(
    defaults: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    model: nn.Module | None = None,
    n_train: int | None = None,
) -> Trainer:
    """A :class:`Trainer` from :func:`trainer_settings`.

    Examples
    --------
    >>> make_trainer({"max_epochs": 3}, {"progress": False}).max_epochs
    3
    """
    return Trainer(**trainer_settings(defaults, overrides, model=model, n_train=n_train))


__all__ = ["TRAINER_OPTIONS", "check_trainer_options", "make_trainer", "trainer_settings"]
