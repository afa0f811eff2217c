"""Search tasks: the function that evaluates one trial, and how campaigns find it.

A task is a plain function ``task(parameters, context) -> {metric: value}``. It gets the
trial's parameters as Ax suggests them (a flat dict; inactive conditional parameters are
absent) and a :class:`TrialContext`, and returns numbers for at least the campaign's
objectives. Any exception it raises fails that trial only: the error is recorded and the
campaign goes on.

Campaign configs name tasks as ``"module:function"`` (importable in worker processes and
on Ray nodes) or by a short name registered with :func:`register_task`. Built-in tasks:

``analytic``
    Known test functions (``branin``, ``sphere``, ``zdt1``), for trying campaigns and for
    tests. Options: ``function``, ``sleep`` (seconds per trial, to mimic real work).
``train``
    Trains a zoo model with :func:`omicsnet.train.experiment.run_experiment`. Options:
    ``experiment`` (a run config mapping, or a path to one relative to the campaign
    config) and ``set`` (parameter name → dotted config key, e.g. ``lr: trainer.lr``;
    names containing dots are used as keys directly). Returns ``val_loss`` (best
    epoch), ``test_*`` metrics, ``n_params`` and ``latency_ms``.
``t2p``
    Transcript → protein ``residual_mlp`` trials
    (:func:`omicsnet.t2p.search_task.run_trial`; the space of Cranney & Meyer 2024 is
    ``omicsnet t2p space``).

Examples
--------
>>> import tempfile
>>> context = TrialContext(trial_index=0, seed=0, out_dir=tempfile.mkdtemp())
>>> round(analytic_task({"x1": 3.14159, "x2": 2.275}, context)["branin"], 4)
0.3979
>>> resolve_task("analytic") is analytic_task
True
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import math
import os
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from omicsnet.errors import ConfigError
from omicsnet.families import family_search_tasks
from omicsnet.utils.signals import Terminated, stop_requested

logger = logging.getLogger(__name__)

TaskFunction = Callable[[dict[str, Any], "TrialContext"], Mapping[str, Any]]

#: The core's short task names -> "module:function".
CORE_TASKS: dict[str, str] = {
    "analytic": "omicsnet.search.tasks:analytic_task",
    "train": "omicsnet.search.tasks:train_task",
}
#: Names registered at run time (:func:`register_task`).
_REGISTERED: dict[str, str] = {}


def builtin_tasks() -> dict[str, str]:
    """Names every process knows: the core's, then each family's (``FamilySpec.search_tasks``).

    Names registered at run time are not among them: campaigns store those resolved.

    Examples
    --------
    >>> sorted(builtin_tasks())[:2], "t2p" in builtin_tasks()
    (['analytic', 'lcms_image'], True)
    """
    return {**CORE_TASKS, **family_search_tasks()}


def _all_tasks() -> dict[str, str]:
    return {**builtin_tasks(), **_REGISTERED}


@dataclass
class TrialContext:
    """What a task knows about the trial it evaluates.

    Attributes
    ----------
    trial_index
        Ax's trial index.
    seed
        A seed for this trial (the campaign seed plus the trial index).
    out_dir
        The trial's own folder (``CAMPAIGN/trials/00012``), created before the call;
        models, histories and logs a task writes go here.
    options
        ``task_options`` from the campaign config.
    device
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``...: the device this trial should use.
    base_dir
        The campaign config's folder: resolve paths in ``options`` against it with
        :func:`omicsnet.config.resolve_config_path`.
    data_dir
        The data directory (``OMICSNET_DATA``) given to the campaign, if any.
    """

    trial_index: int
    seed: int
    out_dir: str | os.PathLike[str]
    options: dict[str, Any] = field(default_factory=dict)
    device: str = "cpu"
    base_dir: str = "."
    data_dir: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (sent to worker processes and Ray tasks)."""
        data = asdict(self)
        data["out_dir"] = str(self.out_dir)
        return data


def register_task(name: str, target: str | Callable[..., Any], *, overwrite: bool = False) -> str:
    """Give a task a short name that campaign configs can use.

    Parameters
    ----------
    name
        The short name (``task: NAME`` in configs).
    target
        ``"module:function"``, or a module-level function (its import path is recorded,
        so that worker processes can import it).
    overwrite
        Replace an existing name.

    Returns
    -------
    str
        The ``"module:function"`` the name points to.

    Examples
    --------
    >>> register_task("branin", "omicsnet.search.tasks:analytic_task", overwrite=True)
    'omicsnet.search.tasks:analytic_task'
    >>> "branin" in list_tasks()
    True
    """
    if callable(target):
        target = task_path(target)
    if not isinstance(target, str) or ":" not in target:
        raise ConfigError(f"task {name!r}: expected 'module:function', got {target!r}")
    known = _all_tasks()
    if name in known and known[name] != target and not overwrite:
        raise ConfigError(f"task {name!r} is already registered as {known[name]}")
    _REGISTERED[name] = target
    return target


def list_tasks() -> dict[str, str]:
    """Registered short names and the ``"module:function"`` each stands for.

    Examples
    --------
    >>> list_tasks()["analytic"]
    'omicsnet.search.tasks:analytic_task'
    """
    return _all_tasks()


def task_path(function: Callable[..., Any]) -> str:
    """The ``"module:function"`` path of a module-level function.

    Examples
    --------
    >>> task_path(analytic_task)
    'omicsnet.search.tasks:analytic_task'
    """
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", "")
    if not module or module == "__main__" or "<" in qualname or "." in qualname:
        raise ConfigError(
            f"task {function!r} must be a module-level function of an importable module "
            "(worker processes import it by name)"
        )
    return f"{module}:{qualname}"


def task_reference(task: str | Callable[..., Any]) -> str:
    """Normalise a task given as a short name, ``"module:function"`` or a function."""
    if callable(task):
        return task_path(task)
    if not isinstance(task, str) or not task:
        raise ConfigError(f"task must be a name or 'module:function', got {task!r}")
    known = _all_tasks()
    if task in known:
        return known[task]
    if ":" not in task:
        raise ConfigError(
            f"unknown task {task!r}; known: {', '.join(sorted(known))}, or write 'module:function'"
        )
    return task


def resolve_task(task: str | Callable[..., Any]) -> TaskFunction:
    """Import the function a task name or ``"module:function"`` stands for.

    Raises
    ------
    ConfigError
        Unknown name, a module that cannot be imported or a missing function.
    """
    reference = task_reference(task)
    module_name, _, attr = reference.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ConfigError(f"task {reference!r}: cannot import {module_name}: {err}") from err
    function = getattr(module, attr, None)
    if not callable(function):
        raise ConfigError(f"task {reference!r}: {module_name} has no function {attr!r}")
    return function  # type: ignore[no-any-return]


def check_metrics(metrics: Any, objectives: list[str]) -> dict[str, float]:
    """Validate a task's return value: a mapping of finite numbers covering the objectives.

    Examples
    --------
    >>> check_metrics({"val_loss": 0.5, "n_params": 100}, ["val_loss"])
    {'val_loss': 0.5, 'n_params': 100.0}
    >>> check_metrics({"n_params": 100}, ["val_loss"])
    Traceback (most recent call last):
    ...
    ValueError: the task returned no value for the objective 'val_loss' (got: n_params)
    """
    if not isinstance(metrics, Mapping):
        raise ValueError(
            f"a task must return a dict of metric values, got {type(metrics).__name__}"
        )
    clean: dict[str, float] = {}
    for key, value in metrics.items():
        if not isinstance(key, str) or not key.isidentifier():
            raise ValueError(f"metric names must be identifiers, got {key!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"metric {key!r} is not a number: {value!r}") from None
        if key in objectives and not math.isfinite(number):
            raise ValueError(f"objective {key!r} is not finite: {number}")
        if math.isfinite(number):
            clean[key] = number
    for name in objectives:
        if name not in clean:
            got = ", ".join(sorted(clean)) or "nothing"
            raise ValueError(f"the task returned no value for the objective {name!r} (got: {got})")
    return clean


def execute_trial(job: Mapping[str, Any]) -> dict[str, Any]:
    """Run one trial where it is dispatched (inline, worker process or Ray task).

    ``job`` holds ``trial_index``, ``task`` (``"module:function"``), ``parameters``,
    ``context`` (a :meth:`TrialContext.to_dict`), ``objectives`` and optionally
    ``capture_output`` (send the task's output to ``trial.log``). The result is a
    plain dict: ``status`` (``"completed"`` or ``"failed"``), ``metrics``, ``error``
    (``"ValueError: ..."``), ``traceback``, ``seconds``, ``host`` and ``pid``. Exceptions
    of the task never escape (Ctrl-C and SIGTERM excepted: they stop the trial, which
    gets no result). Before it returns, the result (with the trial's ``parameters``) is
    written atomically to ``result.json`` in the trial's folder, so that a trial whose
    task returned is never run again, whatever is killed next.

    Examples
    --------
    >>> import tempfile
    >>> job = {"trial_index": 3, "task": "analytic", "parameters": {"x1": 0.0},
    ...        "context": {"trial_index": 3, "seed": 3, "out_dir": tempfile.mkdtemp(),
    ...                    "options": {"function": "sphere"}},
    ...        "objectives": ["sphere"]}
    >>> execute_trial(job)["metrics"]
    {'sphere': 0.0}
    >>> job["objectives"] = ["accuracy"]
    >>> execute_trial(job)["error"]
    "ValueError: the task returned no value for the objective 'accuracy' (got: sphere)"
    >>> import json, pathlib
    >>> saved = pathlib.Path(job["context"]["out_dir"]) / "result.json"
    >>> json.loads(saved.read_text())["status"]
    'failed'
    """
    import socket

    start = time.perf_counter()
    result: dict[str, Any] = {
        "trial_index": int(job["trial_index"]),
        "status": "failed",
        "metrics": None,
        "error": None,
        "traceback": None,
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }
    try:
        context = TrialContext(**job["context"])
        Path(context.out_dir).mkdir(parents=True, exist_ok=True)
        function = resolve_task(job["task"])
        capture = trial_log(context.out_dir) if job.get("capture_output") else None
        with capture or contextlib.nullcontext():
            metrics = function(dict(job["parameters"]), context)
        result["metrics"] = check_metrics(metrics, list(job.get("objectives", [])))
        result["status"] = "completed"
    except BaseException as err:  # a trial's failure is data, not a crash of the campaign
        if isinstance(err, KeyboardInterrupt):  # Ctrl-C or SIGTERM: no result at all
            raise
        result["error"] = f"{type(err).__name__}: {err}".strip()
        result["traceback"] = traceback.format_exc()
    result["seconds"] = time.perf_counter() - start
    stop = stop_requested()
    if stop is not None:  # the task swallowed a SIGTERM: its result may be cut short
        raise Terminated(stop)
    _save_result(job, result)
    return result


def _save_result(job: Mapping[str, Any], result: dict[str, Any]) -> None:
    """Write ``result.json`` into the trial's folder before the result is handed back.

    Durable before it is reported: a campaign killed between the task's return and its
    own bookkeeping finds the result on resume and does not run the trial again. A
    failed write (disk full) costs only that safety net, never the result.
    """
    from omicsnet.search.storage import RESULT_FILE
    from omicsnet.utils.io import atomic_write_text

    out_dir = (job.get("context") or {}).get("out_dir")
    if not out_dir:
        return
    record = {**result, "parameters": dict(job.get("parameters") or {})}
    try:
        atomic_write_text(Path(out_dir) / RESULT_FILE, json.dumps(record, indent=2, default=str))
    except OSError as err:
        logger.warning("trial %s: cannot save %s (%s)", result["trial_index"], RESULT_FILE, err)


# --------------------------------------------------------------------------- built-ins

BRANIN_MINIMUM = 0.397887


def analytic_task(parameters: dict[str, Any], context: TrialContext) -> dict[str, float]:
    """Known test functions, for trying out campaigns and testing them.

    Options (``task_options``): ``function`` (``branin``, default; ``sphere``; ``zdt1``)
    and ``sleep`` (seconds to wait, to mimic a real trial's cost).

    - ``branin(x1, x2)``, x1 ∈ [-5, 10], x2 ∈ [0, 15]: minimum 0.397887 at (π, 2.275),
      (-π, 12.275) and (9.42478, 2.475). Returns ``branin``.
    - ``sphere``: the sum of squares of every numeric parameter (booleans and strings are
      ignored); minimum 0 at the origin. Returns ``sphere``.
    - ``zdt1``: two objectives ``f1`` and ``f2`` of parameters ``x1..xn`` ∈ [0, 1] whose
      Pareto front is ``f2 = 1 - sqrt(f1)`` (all but x1 zero).

    Examples
    --------
    >>> ctx = TrialContext(trial_index=0, seed=0, out_dir=".", options={"function": "zdt1"})
    >>> analytic_task({"x1": 0.25, "x2": 0.0}, ctx)
    {'f1': 0.25, 'f2': 0.5}
    """
    options = dict(context.options or {})
    name = options.get("function", "branin")
    sleep = float(options.get("sleep", 0.0))
    if sleep > 0:
        time.sleep(sleep)
    if name == "branin":
        x1, x2 = float(parameters["x1"]), float(parameters["x2"])
        b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
        value = (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10
        return {"branin": value}
    if name == "sphere":
        numbers = [
            float(v)
            for v in parameters.values()
            if isinstance(v, (int, float)) and not isinstance(v, bool)
        ]
        return {"sphere": sum(v * v for v in numbers)}
    if name == "zdt1":
        xs = [float(parameters[k]) for k in sorted(parameters, key=_natural_key)]
        f1 = xs[0]
        g = 1 + 9 * sum(xs[1:]) / max(len(xs) - 1, 1)
        return {"f1": f1, "f2": g * (1 - math.sqrt(f1 / g))}
    raise ConfigError(f"task_options.function: unknown analytic function {name!r}")


def _natural_key(name: str) -> tuple[str, int]:
    digits = name.lstrip("abcdefghijklmnopqrstuvwxyz_ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return (name[: len(name) - len(digits)], int(digits) if digits.isdigit() else -1)


def set_config_value(config: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``config["a"]["b"][0]`` from ``"a.b.0"``, creating mappings on the way.

    Examples
    --------
    >>> cfg = {"model": {"config": {"hidden": [32, 16]}}}
    >>> set_config_value(cfg, "model.config.hidden.1", 8)
    >>> set_config_value(cfg, "trainer.lr", 0.01)
    >>> cfg
    {'model': {'config': {'hidden': [32, 8]}}, 'trainer': {'lr': 0.01}}
    """
    keys = dotted.split(".")
    node: Any = config
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                raise ConfigError(f"{dotted}: {key!r} is not an index of a list of {len(node)}")
            if last:
                node[int(key)] = value
            else:
                node = node[int(key)]
        elif isinstance(node, dict):
            if last:
                node[key] = value
            else:
                node = node.setdefault(key, {})
        else:
            raise ConfigError(f"{dotted}: cannot set {key!r} inside a {type(node).__name__}")


def train_task(parameters: dict[str, Any], context: TrialContext) -> dict[str, float]:
    """Train a zoo model with :func:`omicsnet.train.experiment.run_experiment` for one trial.

    Options (``task_options``): ``experiment``, a run config (mapping, or a path relative
    to the campaign config) whose values the trial's parameters replace, and ``set``, a
    mapping parameter name → dotted config key (``lr: trainer.lr``,
    ``width: model.config.hidden.0``). Parameter names that contain no dot and are not in
    ``set`` raise a :class:`~omicsnet.errors.ConfigError`, so that no searched value is
    silently ignored.

    Returns ``val_loss`` (the best epoch's), the test metrics as ``test_*``, ``n_params``
    and ``latency_ms`` (forward pass of one batch of 64 samples on the trial's device,
    median of 5).

    Examples
    --------
    >>> import tempfile
    >>> experiment = {"model": {"name": "mlp", "config": {"hidden": [8]}},
    ...               "data": {"dataset": "synthetic_omics",
    ...                        "params": {"n_samples": 60, "n_genes": 10, "n_proteins": 3}},
    ...               "trainer": {"max_epochs": 2, "progress": False}}
    >>> ctx = TrialContext(trial_index=0, seed=0, out_dir=tempfile.mkdtemp(),
    ...                    options={"experiment": experiment, "set": {"lr": "trainer.lr"}})
    >>> metrics = train_task({"lr": 0.01}, ctx)
    >>> sorted(metrics)[:3], metrics["n_params"] > 0
    (['latency_ms', 'n_params', 'test_loss'], True)
    """
    import copy

    from omicsnet.config import load_config, resolve_config_path
    from omicsnet.train.experiment import run_experiment

    options = dict(context.options or {})
    experiment = options.get("experiment")
    base_dir = context.base_dir
    if isinstance(experiment, str):
        path = resolve_config_path(experiment, context.base_dir, key="task_options.experiment")
        config = load_config(path)
        base_dir = str(path.parent)
    elif isinstance(experiment, Mapping):
        config = copy.deepcopy(dict(experiment))
    else:
        raise ConfigError("task_options.experiment must be a run config mapping or a path")
    bindings = dict(options.get("set") or {})
    for name, value in parameters.items():
        key = bindings.get(name, name if "." in name else None)
        if key is None:
            raise ConfigError(
                f"parameter {name!r} is not bound to a config key; add it to "
                f"task_options.set (e.g. {name}: trainer.{name})"
            )
        set_config_value(config, str(key), value)
    config.setdefault("seed", context.seed)
    trainer = config.setdefault("trainer", {})
    trainer.setdefault("device", context.device)
    config.pop("output", None)
    result = run_experiment(
        config,
        base_dir=base_dir,
        output=Path(context.out_dir) / "run",
        overwrite=True,
        data_dir=context.data_dir,
        progress=False,
    )
    history = result.history
    val = history["val_loss"] if "val_loss" in history else history["train_loss"]
    metrics: dict[str, float] = {"val_loss": float(val.min())}
    metrics.update({f"test_{k}": float(v) for k, v in result.test_metrics.items()})
    metrics["n_params"] = float(sum(p.numel() for p in result.model.parameters()))
    metrics["latency_ms"] = forward_latency_ms(result.model, device=trainer["device"])
    return metrics


def forward_latency_ms(
    model: Any, *, batch_size: int = 64, repeats: int = 5, device: str = "cpu"
) -> float:
    """Median time (ms) of a forward pass on one example batch of a zoo model.

    Examples
    --------
    >>> import omicsnet
    >>> model = omicsnet.create_model("mlp", in_features=8, out_features=2)
    >>> forward_latency_ms(model) > 0
    True
    """
    import statistics

    import torch

    from omicsnet.nn.devices import resolve_device

    target = resolve_device(device)
    model = model.to(target).eval()
    batch = model.example_input(batch_size)
    batch = batch.to(target) if isinstance(batch, torch.Tensor) else batch
    times: list[float] = []
    with torch.no_grad():
        model(batch)  # warm-up
        for _ in range(repeats):
            if target.type == "cuda":
                torch.cuda.synchronize(target)
            start = time.perf_counter()
            model(batch)
            if target.type == "cuda":
                torch.cuda.synchronize(target)
            times.append((time.perf_counter() - start) * 1000)
    return float(statistics.median(times))


@contextlib.contextmanager
def trial_log(out_dir: str | os.PathLike[str]) -> Any:
    """Send the trial's stdout, stderr and log records to ``out_dir/trial.log``."""
    path = Path(out_dir) / "trial.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handler = logging.StreamHandler(handle)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        try:
            with contextlib.redirect_stdout(handle), contextlib.redirect_stderr(handle):
                yield path
        finally:
            root.removeHandler(handler)
