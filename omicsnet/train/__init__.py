"""The shared trainer: one training loop for every model family.

:class:`~omicsnet.train.trainer.Trainer` runs the loop (devices, mixed precision, clipping,
checkpoints and resume, early stopping, distributed data parallel); training plans in
:mod:`omicsnet.train.plans` say what the loss and metrics are; callbacks in
:mod:`omicsnet.train.callbacks` hook into the loop.
"""

__all__ = ["Callback", "EarlyStopping", "TrainResult", "Trainer", "TrainingPlan"]

from omicsnet.utils.lazy import lazy_exports

_LAZY = {
    "Trainer": "omicsnet.train.trainer",
    "TrainResult": "omicsnet.train.trainer",
    "Callback": "omicsnet.train.callbacks",
    "EarlyStopping": "omicsnet.train.callbacks",
    "TrainingPlan": "omicsnet.train.plans",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
