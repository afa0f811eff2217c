"""Architecture and hyperparameter search campaigns on Ax's ``Client`` API.

A campaign is a config (search space, objectives, task, budget, workers, backend) and a
folder that holds the Ax experiment, stored after every trial. Trials run in worker
processes or as Ray tasks; a campaign that is killed resumes where it stopped.

- :mod:`~omicsnet.search.space`: declarative parameters (range, choice, fixed; log
  scale; conditional parameters) → Ax.
- :mod:`~omicsnet.search.settings`: the campaign config.
- :mod:`~omicsnet.search.tasks`: the functions that evaluate a trial, by name.
- :mod:`~omicsnet.search.campaign`: run, resume and open campaigns.
- :mod:`~omicsnet.search.runners`, :mod:`~omicsnet.search.ray_backend`: where trials run.
- :mod:`~omicsnet.search.storage`: the campaign folder.
- :mod:`~omicsnet.search.report`: trial table, best trial, Pareto front, plots.

Importing this package loads neither Ax nor torch.

Examples
--------
>>> from omicsnet.search import SearchSpace, TrialContext, register_task
>>> SearchSpace.from_config({"lr": {"type": "range", "bounds": [1e-4, 1e-2],
...                                 "scale": "log"}}).describe()
['lr: float in [0.0001, 0.01] (log)']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omicsnet.utils.lazy import lazy_exports

_LAZY: dict[str, str] = {
    "SearchSpace": "omicsnet.search.space",
    "ParameterSpec": "omicsnet.search.space",
    "parse_parameter": "omicsnet.search.space",
    "register_parameter_type": "omicsnet.search.space",
    "CampaignSettings": "omicsnet.search.settings",
    "Objective": "omicsnet.search.settings",
    "TrialContext": "omicsnet.search.tasks",
    "register_task": "omicsnet.search.tasks",
    "list_tasks": "omicsnet.search.tasks",
    "resolve_task": "omicsnet.search.tasks",
    "execute_trial": "omicsnet.search.tasks",
    "Campaign": "omicsnet.search.campaign",
    "SearchError": "omicsnet.search.campaign",
    "run_campaign": "omicsnet.search.campaign",
    "resume_campaign": "omicsnet.search.campaign",
    "load_campaign": "omicsnet.search.campaign",
    "trial_table": "omicsnet.search.report",
    "pareto_front": "omicsnet.search.report",
    "best_trial": "omicsnet.search.report",
    "LocalRunner": "omicsnet.search.runners",
    "InlineRunner": "omicsnet.search.runners",
    "RayRunner": "omicsnet.search.ray_backend",
}

__all__ = sorted(_LAZY)

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from omicsnet.search.campaign import Campaign as Campaign
    from omicsnet.search.campaign import SearchError as SearchError
    from omicsnet.search.campaign import load_campaign as load_campaign
    from omicsnet.search.campaign import resume_campaign as resume_campaign
    from omicsnet.search.campaign import run_campaign as run_campaign
    from omicsnet.search.ray_backend import RayRunner as RayRunner
    from omicsnet.search.report import best_trial as best_trial
    from omicsnet.search.report import pareto_front as pareto_front
    from omicsnet.search.report import trial_table as trial_table
    from omicsnet.search.runners import InlineRunner as InlineRunner
    from omicsnet.search.runners import LocalRunner as LocalRunner
    from omicsnet.search.settings import CampaignSettings as CampaignSettings
    from omicsnet.search.settings import Objective as Objective
    from omicsnet.search.space import ParameterSpec as ParameterSpec
    from omicsnet.search.space import SearchSpace as SearchSpace
    from omicsnet.search.space import parse_parameter as parse_parameter
    from omicsnet.search.space import register_parameter_type as register_parameter_type
    from omicsnet.search.tasks import TrialContext as TrialContext
    from omicsnet.search.tasks import execute_trial as execute_trial
    from omicsnet.search.tasks import list_tasks as list_tasks
    from omicsnet.search.tasks import register_task as register_task
    from omicsnet.search.tasks import resolve_task as resolve_task

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
