"""Campaign configs: what to search, how to judge a trial, and where and how to run it.

A campaign config (YAML, JSON or TOML, read with :func:`omicsnet.config.load_config`)::

    name: mlp_search
    task: train                       # a registered name or "module:function"
    task_options: {...}               # passed to the task as context.options
    parameters:                       # see omicsnet.search.space
      lr: {type: range, bounds: [1.0e-4, 1.0e-1], scale: log}
      width: {type: range, bounds: [16, 256]}
    parameter_constraints: []         # Ax linear constraints, e.g. "width1 >= width2"
    objectives: {val_loss: minimize}  # several objectives -> multi-objective (Pareto)
    outcome_constraints: []           # e.g. "latency_ms <= 5"
    trials: 20                        # budget: trials that finish (completed or failed)
    workers: 2                        # trials at once
    backend: local                    # local (worker processes) | ray | inline
    generation: {method: fast, initialization_budget: 5}
    seed: 0
    device: auto                      # per-trial device; GPUs are shared round-robin
    trial_timeout: null               # seconds; a trial running longer fails
    threads_per_worker: null          # OMP/torch threads per worker (default cores/workers)
    max_failures: null                # stop after more failed trials than this (per run)
    ray: {address: null, num_cpus_per_trial: 1, num_gpus_per_trial: 0, runtime_env: null}
    output: runs/mlp_search           # the campaign folder, relative to this file
    storage: experiment.json          # the Ax snapshot's file name inside the folder
    extends: base_search.yaml         # optional: start from another config

``extends`` names another campaign config (relative to this one). Its keys are the
defaults; ``parameters`` are merged by name, and a parameter set to ``null`` removes it.
This is how a user adapts a published search space (for example the paper's t2p space)
without copying it.

Examples
--------
>>> settings = CampaignSettings.from_dict({
...     "task": "analytic",
...     "parameters": {"x1": {"type": "range", "bounds": [-5.0, 10.0]},
...                    "x2": {"type": "range", "bounds": [0.0, 15.0]}},
...     "objectives": "branin", "trials": 8})
>>> settings.objective_string, settings.workers, settings.backend
('-branin', 1, 'local')
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omicsnet.config import check_keys, load_config, resolve_config_path
from omicsnet.errors import ConfigError
from omicsnet.search.space import SearchSpace

KEYS = {
    "name",
    "description",
    "task",
    "task_options",
    "parameters",
    "parameter_constraints",
    "objectives",
    "outcome_constraints",
    "trials",
    "workers",
    "backend",
    "generation",
    "seed",
    "device",
    "trial_timeout",
    "threads_per_worker",
    "max_failures",
    "ray",
    "output",
    "storage",
    "extends",
}
BACKENDS = ("local", "ray", "inline")
GENERATION_KEYS = {
    "method",
    "initialization_budget",
    "initialize_with_center",
    "min_observed_initialization_trials",
    "allow_exceeding_initialization_budget",
}
GENERATION_METHODS = ("fast", "quality", "random_search")
RAY_KEYS = {"address", "num_cpus_per_trial", "num_gpus_per_trial", "runtime_env", "init"}
GOALS = {"minimize": "minimize", "minimise": "minimize", "min": "minimize",
         "maximize": "maximize", "maximise": "maximize", "max": "maximize"}  # fmt: skip


@dataclass(frozen=True)
class Objective:
    """One objective: a metric name and whether lower or higher is better."""

    name: str
    goal: str = "minimize"

    @property
    def minimize(self) -> bool:
        return self.goal == "minimize"


@dataclass
class CampaignSettings:
    """A parsed and checked campaign config (see the module docstring).

    Use :meth:`from_dict` or :meth:`from_file`; :meth:`to_dict` gives back the plain
    config, as stored in the campaign folder.
    """

    task: str
    space: SearchSpace
    objectives: list[Objective]
    raw: dict[str, Any] = field(repr=False)
    name: str = "omicsnet_search"
    task_options: dict[str, Any] = field(default_factory=dict)
    outcome_constraints: list[str] = field(default_factory=list)
    trials: int = 20
    workers: int = 1
    backend: str = "local"
    generation: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    device: str = "auto"
    trial_timeout: float | None = None
    threads_per_worker: int | None = None
    max_failures: int | None = None
    ray: dict[str, Any] = field(default_factory=dict)
    output: str | None = None
    storage: str = "experiment.json"
    base_dir: str = "."

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> CampaignSettings:
        """Read a config file, following ``extends``; paths resolve against its folder."""
        path = Path(path)
        raw = _load_with_extends(path, seen=())
        return cls.from_dict(raw, base_dir=path.resolve().parent)

    @classmethod
    def from_dict(
        cls, config: Mapping[str, Any], *, base_dir: str | os.PathLike[str] = "."
    ) -> CampaignSettings:
        """Check a config mapping (``extends`` must already be resolved)."""
        from omicsnet.search.tasks import task_reference

        raw = dict(config)
        check_keys(raw, KEYS, "campaign config")
        if "extends" in raw:
            raise ConfigError("extends: only works in config files (CampaignSettings.from_file)")
        for required in ("task", "parameters", "objectives"):
            if required not in raw:
                raise ConfigError(f"campaign config: '{required}' is required")
        task = raw["task"]
        task_reference(task)  # unknown names fail now, not in a worker
        space = SearchSpace.from_config(raw["parameters"], raw.get("parameter_constraints"))
        objectives = _parse_objectives(raw["objectives"])
        clash = [o.name for o in objectives if o.name in space]
        if clash:
            raise ConfigError(f"objectives: {', '.join(clash)} is also a parameter name")
        options = raw.get("task_options") or {}
        if not isinstance(options, Mapping):
            raise ConfigError("task_options must be a mapping")
        outcome_constraints = raw.get("outcome_constraints") or []
        if not isinstance(outcome_constraints, list) or not all(
            isinstance(c, str) for c in outcome_constraints
        ):
            raise ConfigError("outcome_constraints must be a list of strings like 'x <= 5'")
        backend = raw.get("backend", "local")
        if backend not in BACKENDS:
            raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        generation = dict(raw.get("generation") or {})
        check_keys(generation, GENERATION_KEYS, "generation")
        method = generation.get("method", "fast")
        if method not in GENERATION_METHODS:
            raise ConfigError(
                f"generation.method must be one of {', '.join(GENERATION_METHODS)}, got {method!r}"
            )
        ray = dict(raw.get("ray") or {})
        check_keys(ray, RAY_KEYS, "ray")
        name = str(raw.get("name", "omicsnet_search"))
        if not name.replace("-", "_").isidentifier():
            raise ConfigError(f"name: use letters, digits, '_' or '-', got {name!r}")
        storage = str(raw.get("storage", "experiment.json"))
        if Path(storage).name != storage or not storage.endswith(".json"):
            raise ConfigError(
                f"storage: the snapshot is a .json file name inside the campaign folder, "
                f"got {storage!r}"
            )
        output = raw.get("output")
        if output is not None and not isinstance(output, str):
            raise ConfigError(f"output: expected a folder path, got {output!r}")
        return cls(
            task=task,
            space=space,
            objectives=objectives,
            raw=raw,
            name=name,
            task_options=dict(options),
            outcome_constraints=list(outcome_constraints),
            trials=_positive_int(raw.get("trials", 20), "trials"),
            workers=_positive_int(raw.get("workers", 1), "workers"),
            backend=backend,
            generation=generation,
            seed=_int(raw.get("seed", 0), "seed"),
            device=str(raw.get("device", "auto")),
            trial_timeout=_optional_positive(raw.get("trial_timeout"), "trial_timeout"),
            threads_per_worker=_optional_int(raw.get("threads_per_worker"), "threads_per_worker"),
            max_failures=_optional_int(raw.get("max_failures"), "max_failures"),
            ray=ray,
            output=output,
            storage=storage,
            base_dir=str(Path(base_dir).resolve()),
        )

    @property
    def objective_names(self) -> list[str]:
        """The objectives' metric names."""
        return [o.name for o in self.objectives]

    @property
    def multi_objective(self) -> bool:
        """Whether the campaign has more than one objective (a Pareto front)."""
        return len(self.objectives) > 1

    @property
    def objective_string(self) -> str:
        """The objective as Ax's ``configure_optimization`` reads it (``-name`` minimises)."""
        return ", ".join(("-" if o.minimize else "") + o.name for o in self.objectives)

    def output_dir(self) -> Path:
        """The campaign folder named by ``output`` (inside the config's folder)."""
        if self.output is None:
            raise ConfigError("the config has no 'output' folder; add one or pass --out DIR")
        return resolve_config_path(self.output, self.base_dir, key="output")

    def to_dict(self) -> dict[str, Any]:
        """The config as written (with ``extends`` resolved)."""
        return dict(self.raw)

    def with_overrides(self, **overrides: Any) -> CampaignSettings:
        """A copy with some top-level keys replaced (``None`` values are ignored).

        Examples
        --------
        >>> s = CampaignSettings.from_dict({"task": "analytic", "objectives": "sphere",
        ...     "parameters": {"x": {"type": "range", "bounds": [-1.0, 1.0]}}})
        >>> s.with_overrides(workers=3, trials=None).workers
        3
        """
        raw = dict(self.raw)
        raw.update({k: v for k, v in overrides.items() if v is not None})
        return CampaignSettings.from_dict(raw, base_dir=self.base_dir)


def check_paths(settings: CampaignSettings, *, data_dir: str | None = None) -> list[Path]:
    """Resolve every path a campaign config names, before any trial runs.

    A path that escapes the config's folder (absolute, ``..``, a symbolic link leading
    outside), a ``data:`` file that is not there, or an ``experiment`` file of the
    ``train`` task that is missing or unreadable would otherwise fail every trial and
    burn the whole budget; here it is one error before anything starts. Checked:

    - ``output``;
    - every string in ``task_options`` (at any depth) that names a path: it starts with
      ``data:``, contains a ``/``, has a file extension, or exists in the config's folder;
      each goes through :func:`omicsnet.config.resolve_config_path`;
    - for the ``train`` task, the experiment config that ``task_options.experiment``
      names is read, and the paths in it are checked the same way against its folder.

    Returns
    -------
    list of Path
        The resolved paths (for logging).

    Raises
    ------
    ConfigError, DataNotFoundError
        One line naming the config key and the path as written.

    Examples
    --------
    >>> s = CampaignSettings.from_dict({"task": "train", "objectives": "val_loss",
    ...     "parameters": {"lr": {"type": "range", "bounds": [1e-4, 1e-2]}},
    ...     "task_options": {"experiment": "../../etc/run.yaml"}}, base_dir="/runs/study")
    >>> check_paths(s)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    omicsnet.errors.ConfigError: task_options.experiment: '../../etc/run.yaml' must stay inside ...
    """
    from omicsnet.search.tasks import CORE_TASKS, task_reference

    resolved: list[Path] = []
    if settings.output is not None:
        resolved.append(settings.output_dir())
    base_dir = settings.base_dir
    resolved += _check_strings(settings.task_options, base_dir, "task_options", data_dir)
    experiment = settings.task_options.get("experiment")
    if task_reference(settings.task) == CORE_TASKS["train"] and isinstance(experiment, str):
        path = resolve_config_path(
            experiment, base_dir, key="task_options.experiment", data_dir=data_dir
        )
        if not path.is_file():
            raise ConfigError(f"task_options.experiment: {experiment!r} is not a file")
        config = load_config(path)
        config.pop("output", None)  # the train task writes into each trial's folder
        resolved += _check_strings(config, str(path.parent), "", data_dir, f"{experiment}: ")
    return resolved


def _looks_like_path(value: str, base_dir: str) -> bool:
    if value.startswith("data:") or "/" in value or os.sep in value:
        return True
    try:
        return bool(Path(value).suffix) or os.path.lexists(os.path.join(base_dir, value))
    except ValueError:  # an embedded NUL: not a path anyone can open
        return False


def _check_strings(
    node: Any, base_dir: str, key: str, data_dir: str | None, where: str = ""
) -> list[Path]:
    """Resolve the path-like strings of a config section (recursively).

    ``key`` is the dotted key of ``node``; ``where`` prefixes it in errors (a file name).
    """
    if isinstance(node, str):
        if not node or not _looks_like_path(node, base_dir):
            return []
        return [resolve_config_path(node, base_dir, key=f"{where}{key}", data_dir=data_dir)]
    items: list[tuple[Any, Any]] = []
    if isinstance(node, Mapping):
        items = list(node.items())
    elif isinstance(node, (list, tuple)):
        items = list(enumerate(node))
    found: list[Path] = []
    for name, value in items:
        child = f"{key}.{name}" if key else str(name)
        found += _check_strings(value, base_dir, child, data_dir, where)
    return found


def _parse_objectives(value: Any) -> list[Objective]:
    if isinstance(value, str):
        items: list[tuple[Any, Any]] = [(value, "minimize")]
    elif isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, list):
        items = []
        for i, entry in enumerate(value):
            if isinstance(entry, str):
                items.append((entry, "minimize"))
            elif isinstance(entry, Mapping) and "name" in entry:
                check_keys(entry, {"name", "goal"}, f"objectives[{i}]")
                items.append((entry["name"], entry.get("goal", "minimize")))
            else:
                raise ConfigError(f"objectives[{i}]: expected a name or {{name, goal}}")
    else:
        raise ConfigError("objectives: a metric name, a mapping name -> goal, or a list")
    objectives = []
    for name, goal in items:
        if not isinstance(name, str) or not name.isidentifier():
            raise ConfigError(f"objectives: metric names must be identifiers, got {name!r}")
        if str(goal).lower() not in GOALS:
            raise ConfigError(f"objectives.{name}: goal must be minimize or maximize, got {goal!r}")
        objectives.append(Objective(name, GOALS[str(goal).lower()]))
    if not objectives:
        raise ConfigError("objectives: at least one objective is needed")
    if len({o.name for o in objectives}) != len(objectives):
        raise ConfigError("objectives: duplicate names")
    return objectives


def _int(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{key} must be an integer, got {value!r}")
    return value


def _positive_int(value: Any, key: str) -> int:
    if _int(value, key) < 1:
        raise ConfigError(f"{key} must be a positive integer, got {value!r}")
    return int(value)


def _optional_int(value: Any, key: str) -> int | None:
    return None if value is None else _positive_int(value, key)


def _optional_positive(value: Any, key: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"{key} must be a positive number of seconds, got {value!r}")
    return float(value)


def _load_with_extends(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    resolved = path.resolve()
    if resolved in seen:
        chain = " -> ".join(p.name for p in (*seen, resolved))
        raise ConfigError(f"{path}: 'extends' loops ({chain})")
    config = load_config(path)
    parent_ref = config.pop("extends", None)
    if parent_ref is None:
        return config
    parent_path = resolve_config_path(str(parent_ref), resolved.parent, key=f"{path}: extends")
    parent = _load_with_extends(parent_path, (*seen, resolved))
    merged = {**parent, **config}
    if "parameters" in parent and "parameters" in config:
        merged["parameters"] = _merge_parameters(parent["parameters"], config["parameters"], path)
    for key in ("task_options",):
        if isinstance(parent.get(key), Mapping) and isinstance(config.get(key), Mapping):
            merged[key] = {**parent[key], **config[key]}
    return merged


def _merge_parameters(base: Any, update: Any, path: Path) -> dict[str, Any]:
    def as_mapping(value: Any) -> dict[str, Any]:
        if isinstance(value, Mapping):
            return dict(value)
        if isinstance(value, list) and all(isinstance(v, Mapping) and "name" in v for v in value):
            return {str(v["name"]): dict(v) for v in value}
        raise ConfigError(f"{path}: parameters must be a mapping or a list of named specs")

    merged = as_mapping(base)
    for name, spec in as_mapping(update).items():
        if spec is None:
            merged.pop(name, None)
        else:
            merged[name] = spec
    return merged
