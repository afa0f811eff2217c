"""The transcript → protein search space: flat Ax parameters ⇄ ``residual_mlp`` configs.

Ax proposes a flat dict of parameter values. :func:`trial_config` turns it into a
``residual_mlp`` config plus the batch size and learning rate it is trained with
(:class:`T2PTrialConfig`); :func:`trial_parameters` is the inverse, so any architecture
(the paper's best network, for instance) can be written as a point of the search space.
The campaign task that trains one point is :func:`omicsnet.t2p.search_task.run_trial`.
Parameter names
---------------
``block{i}_exists`` (bool; a missing value counts as true when the block's other
parameters are given), ``block{i}_type`` (``fc``/``residual``), ``block{i}_layers`` (1–3),
``block{i}_width``, ``block{i}_activation``, ``block{i}_dropout``, ``block{i}_batch_norm``
for blocks ``i = 1, 2, 3``; ``lr``, ``batch_size``, ``residual`` (bool: the input → output
residual of each protein's own mRNA), ``residual_set`` (``own``, ``correlated``,
``uncorrelated`` or ``random``) and ``linear_path`` (bool, default false: a frozen linear
path started from the two-stage ridge fit, see
:func:`omicsnet.t2p.train.build_t2p_model`; not in the paper's space). Names starting
with ``trainer_`` go to the trainer
(``trainer_weight_decay``, ``trainer_max_epochs``...). The paper's space is in
``omicsnet/t2p/spaces/cranney_meyer.yaml`` (:func:`paper_space_path`).

Examples
--------
>>> cfg = trial_config({"block1_exists": True, "block1_type": "fc", "block1_layers": 1,
...                     "block1_width": 319, "block1_activation": "sigmoid",
...                     "block1_dropout": 0.52, "block2_exists": False,
...                     "block3_exists": False, "lr": 1e-4, "batch_size": 128,
...                     "residual": True})
>>> cfg.model["blocks"][0]["width"], cfg.batch_size, cfg.model["residual"]["enabled"]
(319, 128, True)
>>> trial_parameters(cfg)["block1_width"]
319
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from omicsnet.errors import ConfigError

MAX_BLOCKS = 3
BLOCK_KEYS = ("type", "layers", "width", "activation", "dropout", "batch_norm")
REQUIRED_BLOCK_KEYS = ("type", "layers", "width")
RESIDUAL_SETS = ("own", "correlated", "uncorrelated", "random")
TOP_LEVEL_KEYS = ("lr", "batch_size", "residual", "residual_set", "linear_path")
TRAINER_PREFIX = "trainer_"

PAPER_BEST: dict[str, Any] = {
    "block1_exists": True,
    "block1_type": "fc",
    "block1_layers": 1,
    "block1_width": 319,
    "block1_activation": "sigmoid",
    "block1_dropout": 0.52,
    "block1_batch_norm": False,
    "block2_exists": True,
    "block2_type": "residual",
    "block2_layers": 3,
    "block2_width": 508,
    "block2_activation": "sigmoid",
    "block2_dropout": 0.69,
    "block2_batch_norm": False,
    "block3_exists": True,
    "block3_type": "fc",
    "block3_layers": 1,
    "block3_width": 508,
    "block3_activation": "tanh",
    "block3_dropout": 0.9,
    "block3_batch_norm": False,
    "lr": 1e-4,
    "batch_size": 128,
    "residual": True,
}
"""The network Cranney & Meyer's search found, as a point of the search space. The paper
gives block 1 (FC 319, sigmoid, dropout 0.52), block 2 (3 layers of 508 with an internal
residual, dropout 0.69), a final tanh with dropout 0.9, batch 128 and lr 1e-4; block 2's
activation and the width of the tanh layer are not stated and are set here to sigmoid and
508."""


@dataclass
class T2PTrialConfig:
    """What one trial trains: the model config, batch size, learning rate, trainer extras.

    Attributes
    ----------
    model
        ``residual_mlp`` config without the data-dependent parts: ``{"blocks": [...],
        "residual": {"enabled": bool}}``, plus ``"linear_path": True`` when the trial has
        a linear path; :meth:`model_config` adds sizes and indices.
    batch_size, lr
        Used by the trainer as given (the original code ignored the searched batch size).
    residual_set
        Which transcript each protein's residual path takes (``"own"`` by default).
    trainer
        Further trainer settings from ``trainer_*`` parameters.
    """

    model: dict[str, Any]
    batch_size: int
    lr: float
    residual_set: str = "own"
    trainer: dict[str, Any] = field(default_factory=dict)

    def model_config(
        self, in_features: int, out_features: int, residual_indices: list[int] | None
    ) -> dict[str, Any]:
        """The full ``create_model("residual_mlp", **config)`` arguments for a data set.

        A config with a linear path is refused: that path is fitted to training samples,
        which :func:`omicsnet.t2p.train.build_t2p_model` does.

        Examples
        --------
        >>> cfg = T2PTrialConfig({"blocks": [], "residual": {"enabled": True}}, 8, 1e-3)
        >>> cfg.model_config(5, 2, [4, -1])["residual"]
        {'enabled': True, 'indices': [4, -1]}
        """
        if self.model.get("linear_path"):
            raise ConfigError(
                "a config with a linear path is built from data: use "
                "omicsnet.t2p.train.build_t2p_model (it fits the path to the training samples)"
            )
        residual = {"enabled": bool(self.model["residual"]["enabled"])}
        if residual["enabled"]:
            residual["indices"] = residual_indices
        return {
            "in_features": int(in_features),
            "out_features": int(out_features),
            "blocks": [dict(b) for b in self.model["blocks"]],
            "residual": residual,
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (stored with each trial and with the benchmark)."""
        return {
            "model": self.model,
            "batch_size": self.batch_size,
            "lr": self.lr,
            "residual_set": self.residual_set,
            "trainer": self.trainer,
        }


def trial_config(parameters: Mapping[str, Any]) -> T2PTrialConfig:
    """Turn one Ax trial's flat parameters into a :class:`T2PTrialConfig`.

    Parameters
    ----------
    parameters
        Flat values (see the module docstring). Parameters of a block that does not exist
        may be absent (Ax leaves inactive conditional parameters out) or present (then
        ignored). Booleans may arrive as ``true``/``false`` strings, integers as floats.

    Raises
    ------
    ConfigError
        An unknown parameter name, a missing required value, or a value of the wrong
        kind, naming the parameter.

    Examples
    --------
    >>> trial_config({"lr": 0.01, "batch_size": 16, "residual": "false"}).model
    {'blocks': [], 'residual': {'enabled': False}}
    >>> trial_config({"lr": 0.01, "batch_size": 16, "block1_widht": 8})
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    omicsnet.errors.ConfigError: unknown search parameter 'block1_widht' (block parameters: ...)
    """
    params = dict(parameters)
    _check_names(params)
    blocks = []
    for i in range(1, MAX_BLOCKS + 1):
        prefix = f"block{i}_"
        given = {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)}
        exists_value = given.pop("exists", None)
        exists = _bool(exists_value, f"{prefix}exists") if exists_value is not None else bool(given)
        if not exists:
            continue
        missing = [k for k in REQUIRED_BLOCK_KEYS if k not in given]
        if missing:
            raise ConfigError(
                f"block {i} exists but {', '.join(prefix + k for k in missing)} is not given"
            )
        block: dict[str, Any] = {
            "type": str(given["type"]),
            "layers": _int(given["layers"], f"{prefix}layers"),
            "width": _int(given["width"], f"{prefix}width"),
        }
        if "activation" in given:
            block["activation"] = str(given["activation"])
        if "dropout" in given:
            block["dropout"] = _float(given["dropout"], f"{prefix}dropout")
        if "batch_norm" in given:
            block["batch_norm"] = _bool(given["batch_norm"], f"{prefix}batch_norm")
        blocks.append(block)
    for key in ("lr", "batch_size"):
        if key not in params:
            raise ConfigError(f"search parameter {key!r} is not given (fix it or search it)")
    batch_size = _int(params["batch_size"], "batch_size")
    lr = _float(params["lr"], "lr")
    if batch_size < 1 or lr <= 0:
        raise ConfigError(f"batch_size must be >= 1 and lr > 0, got {batch_size} and {lr}")
    residual_set = str(params.get("residual_set", "own"))
    if residual_set not in RESIDUAL_SETS:
        raise ConfigError(f"residual_set must be one of {RESIDUAL_SETS}, got {residual_set!r}")
    trainer = {
        k[len(TRAINER_PREFIX) :]: v for k, v in params.items() if k.startswith(TRAINER_PREFIX)
    }
    enabled = _bool(params.get("residual", True), "residual")
    model: dict[str, Any] = {"blocks": blocks, "residual": {"enabled": enabled}}
    if _bool(params.get("linear_path", False), "linear_path"):
        model["linear_path"] = True
    return T2PTrialConfig(
        model=model,
        batch_size=batch_size,
        lr=lr,
        residual_set=residual_set,
        trainer=trainer,
    )


def trial_parameters(config: T2PTrialConfig | Mapping[str, Any]) -> dict[str, Any]:
    """The flat parameters of a trial config (inverse of :func:`trial_config`).

    ``config`` may also be a saved ``as_dict()`` mapping. Absent blocks are written as
    ``block{i}_exists: False`` only.

    Examples
    --------
    >>> flat = trial_parameters(trial_config(PAPER_BEST))
    >>> trial_config(flat).as_dict() == trial_config(PAPER_BEST).as_dict()
    True
    """
    if not isinstance(config, T2PTrialConfig):
        config = T2PTrialConfig(
            model=dict(config["model"]),
            batch_size=int(config["batch_size"]),
            lr=float(config["lr"]),
            residual_set=str(config.get("residual_set", "own")),
            trainer=dict(config.get("trainer", {})),
        )
    blocks = config.model["blocks"]
    if len(blocks) > MAX_BLOCKS:
        raise ConfigError(f"at most {MAX_BLOCKS} blocks, got {len(blocks)}")
    flat: dict[str, Any] = {}
    for i in range(1, MAX_BLOCKS + 1):
        flat[f"block{i}_exists"] = i <= len(blocks)
        if i <= len(blocks):
            for key, value in blocks[i - 1].items():
                if key not in BLOCK_KEYS:
                    raise ConfigError(f"block {i}: key {key!r} has no search parameter")
                flat[f"block{i}_{key}"] = value
    flat.update(
        lr=config.lr,
        batch_size=config.batch_size,
        residual=bool(config.model["residual"]["enabled"]),
        residual_set=config.residual_set,
    )
    if config.model.get("linear_path"):  # only then: the paper's space has no such parameter
        flat["linear_path"] = True
    flat.update({TRAINER_PREFIX + k: v for k, v in config.trainer.items()})
    return flat


def paper_space_path() -> Path:
    """Path of the paper's search space (``omicsnet/t2p/spaces/cranney_meyer.yaml``).

    Examples
    --------
    >>> paper_space_path().name
    'cranney_meyer.yaml'
    """
    return Path(str(resources.files("omicsnet.t2p").joinpath("spaces/cranney_meyer.yaml")))


def paper_space() -> dict[str, Any]:
    """The paper's campaign config (parameters, objectives, task, options) as a dict.

    Examples
    --------
    >>> space = paper_space()
    >>> space["task"], "block2_width" in space["parameters"]
    ('omicsnet.t2p.search_task:run_trial', True)
    """
    from omicsnet.config import load_config

    return load_config(paper_space_path())


def paper_campaign(
    overrides: Mapping[str, Any] | None = None, *, task_options: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The paper's campaign config with your changes, ready for ``run_campaign``.

    Parameters
    ----------
    overrides
        Top-level keys to replace (``trials``, ``workers``, ``objectives``, ``output``...).
        ``parameters`` are merged by name; a parameter set to ``None`` is removed.
    task_options
        Task options to replace, merged into the paper's (``data``, ``split``...).

    Examples
    --------
    >>> cfg = paper_campaign({"trials": 5, "parameters": {"block3_exists": None,
    ...                       "block3_type": None, "block3_layers": None,
    ...                       "block3_width": None, "block3_activation": None,
    ...                       "block3_dropout": None, "block3_batch_norm": None}},
    ...                      task_options={"top_variable": None})
    >>> cfg["trials"], "block3_width" in cfg["parameters"], cfg["task_options"]["top_variable"]
    (5, False, None)
    """
    config = paper_space()
    for key, value in dict(overrides or {}).items():
        if key == "parameters":
            merged = dict(config["parameters"])
            for name, spec in dict(value).items():
                if spec is None:
                    merged.pop(name, None)
                else:
                    merged[name] = spec
            config["parameters"] = merged
        else:
            config[key] = value
    config["task_options"] = {**config.get("task_options", {}), **dict(task_options or {})}
    return config


def _check_names(params: Mapping[str, Any]) -> None:
    block_names = [
        f"block{i}_{k}" for i in range(1, MAX_BLOCKS + 1) for k in ("exists", *BLOCK_KEYS)
    ]
    allowed = set(block_names) | set(TOP_LEVEL_KEYS)
    for name in params:
        if name in allowed or name.startswith(TRAINER_PREFIX):
            continue
        first = [n for n in block_names if n.startswith("block1_")]
        raise ConfigError(
            f"unknown search parameter {name!r} (block parameters: {', '.join(first)}; "
            f"others: {', '.join(TOP_LEVEL_KEYS)}, {TRAINER_PREFIX}*)"
        )


def _bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    raise ConfigError(f"search parameter {name} must be true or false, got {value!r}")


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(f"search parameter {name} must be an integer, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"search parameter {name} must be an integer, got {value!r}") from None
    if not number.is_integer():
        raise ConfigError(f"search parameter {name} must be an integer, got {value!r}")
    return int(number)


def _float(value: Any, name: str) -> float:
    if isinstance(value, bool):
        raise ConfigError(f"search parameter {name} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"search parameter {name} must be a number, got {value!r}") from None


__all__ = [
    "BLOCK_KEYS",
    "MAX_BLOCKS",
    "PAPER_BEST",
    "RESIDUAL_SETS",
    "T2PTrialConfig",
    "paper_campaign",
    "paper_space",
    "paper_space_path",
    "trial_config",
    "trial_parameters",
]
