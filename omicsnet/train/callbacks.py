"""Callbacks: code that runs at fixed points of the training loop.

Callbacks can keep state; the trainer saves it in checkpoints (``state_dict`` /
``load_state_dict``) so that a resumed run behaves as if it had never stopped.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

from omicsnet.errors import ConfigError


class Trainer(Protocol):
    """What callbacks see of :class:`omicsnet.train.trainer.Trainer`."""

    mode: str
    current_monitor: str
    should_stop: bool


TrainResult = Any  # omicsnet.train.trainer.TrainResult (the trainer module imports this one)


class Callback:
    """Base class; override the hooks you need.

    Examples
    --------
    >>> class PrintLoss(Callback):
    ...     def on_epoch_end(self, trainer, epoch, logs):
    ...         print(f"epoch {epoch}: {logs['train_loss']:.3f}")
    """

    def on_fit_start(self, trainer: Trainer, model: Any) -> None:
        """Before the first epoch (also when resuming)."""

    def on_epoch_start(self, trainer: Trainer, epoch: int) -> None:
        """Before each epoch's training batches."""

    def on_batch_end(self, trainer: Trainer, epoch: int, step: int, loss: float) -> None:
        """After each optimiser step (``loss`` is that batch's loss)."""

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        """After validation; ``logs`` is the epoch's row of the history."""

    def on_fit_end(self, trainer: Trainer, result: TrainResult) -> None:
        """After training finished or stopped early."""

    def reset(self) -> None:
        """Forget the state of an earlier run (called when a new, non-resumed run starts)."""

    def state_dict(self) -> dict[str, Any]:
        """State to keep in checkpoints (plain numbers, strings, lists, dicts)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the state from :meth:`state_dict`."""


def is_improvement(value: float, best: float | None, mode: str, min_delta: float = 0.0) -> bool:
    """Whether ``value`` beats ``best`` by more than ``min_delta`` in direction ``mode``.

    Examples
    --------
    >>> is_improvement(0.5, 0.6, "min"), is_improvement(0.5, 0.6, "max")
    (True, False)
    """
    if value is None or math.isnan(value):
        return False
    if best is None:
        return True
    return value < best - min_delta if mode == "min" else value > best + min_delta


class EarlyStopping(Callback):
    """Stop when a monitored metric has not improved for ``patience`` epochs.

    Parameters
    ----------
    patience
        Epochs without improvement before stopping.
    monitor
        History column to watch; ``None`` uses the trainer's ``monitor``
        (``val_loss`` when there is validation data, else ``train_loss``).
    mode
        ``"min"`` or ``"max"``; ``None`` uses the trainer's.
    min_delta
        Smallest change that counts as an improvement.

    Examples
    --------
    >>> stopper = EarlyStopping(patience=2, monitor="val_loss", mode="min")
    >>> class FakeTrainer:
    ...     should_stop = False
    ...     current_monitor, mode = "val_loss", "min"
    >>> t = FakeTrainer()
    >>> for epoch, loss in enumerate([1.0, 0.8, 0.9, 0.85]):
    ...     stopper.on_epoch_end(t, epoch, {"val_loss": loss})
    >>> t.should_stop, stopper.stopped_epoch
    (True, 3)
    """

    def __init__(
        self,
        patience: int = 10,
        monitor: str | None = None,
        mode: str | None = None,
        min_delta: float = 0.0,
    ) -> None:
        if patience < 1:
            raise ConfigError(f"early stopping patience must be >= 1, got {patience}")
        if mode not in (None, "min", "max"):
            raise ConfigError(f"early stopping mode must be 'min' or 'max', got {mode!r}")
        self.patience = int(patience)
        self.monitor = monitor
        self.mode = mode
        self.min_delta = float(min_delta)
        self.best: float | None = None
        self.wait = 0
        self.stopped_epoch: int | None = None

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        monitor = self.monitor or trainer.current_monitor
        mode = self.mode or trainer.mode
        if monitor not in logs:
            raise ConfigError(
                f"early stopping monitors {monitor!r}, which is not in the history "
                f"(columns: {', '.join(sorted(logs))})"
            )
        value = float(logs[monitor])
        if is_improvement(value, self.best, mode, self.min_delta):
            self.best = value
            self.wait = 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            trainer.should_stop = True

    def reset(self) -> None:
        self.best, self.wait, self.stopped_epoch = None, 0, None

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "wait": self.wait, "stopped_epoch": self.stopped_epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = state.get("best")
        self.wait = int(state.get("wait", 0))
        self.stopped_epoch = state.get("stopped_epoch")
