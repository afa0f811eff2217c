"""Run a training experiment from a config (defined in :mod:`omicsnet.train.experiment`).

Examples
--------
>>> from omicsnet.experiment import run_experiment
>>> run_experiment.__module__
'omicsnet.train.experiment'
"""

from omicsnet.train.experiment import ExperimentResult, run_experiment

__all__ = ["ExperimentResult", "run_experiment"]
