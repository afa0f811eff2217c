"""The shared trainer: one training loop for every model family.

:class:`~omicsnet.train.trainer.Trainer` runs the loop (devices, mixed precision, clipping,
checkpoints and resume, early stopping, distributed data parallel); training plans in
:mod:`omicsnet.train.plans` say what the loss and metrics are; callbacks in
:mod:`omicsnet.train.callbacks` hook into the loop.
"""

from typing import Any

__all__ = ["Callback", "EarlyStopping", "TrainResult", "Trainer", "TrainingPlan"]

_LAZY = {
    "Trainer": "omicsnet.train.trainer",
    "TrainResult": "omicsnet.train.trainer",
    "Callback": "omicsnet.train.callbacks",
    "EarlyStopping": "omicsnet.train.callbacks",
    "TrainingPlan": "omicsnet.train.plans",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'omicsnet.train' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name]), name)
