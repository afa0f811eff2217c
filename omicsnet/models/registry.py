"""Model registry (after timm's ``register_model`` / ``create_model`` / ``list_models``).

A builder is a class (subclass of :class:`~omicsnet.models.base.OmicsModel`) or a function
returning one. Its keyword arguments, with their defaults, are the model's config: every
model can be built with no arguments, and the full config (defaults included) is stored on
the model so that it can be saved as JSON and rebuilt exactly.
"""

from __future__ import annotations

import importlib
import inspect
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from omicsnet.errors import ConfigError, ModelNotFoundError

logger = logging.getLogger(__name__)

# Core modules that register models; each family's own (``FamilySpec.models``) follow.
CORE_MODEL_MODULES: tuple[str, ...] = (
    "omicsnet.models.mlp",
    "omicsnet.models.ensemble",
)

Builder = TypeVar("Builder", bound=Callable[..., Any])


@dataclass(frozen=True)
class ModelEntry:
    """What the registry knows about one model."""

    name: str
    builder: Callable[..., Any]
    family: str
    description: str
    defaults: dict[str, Any] = field(default_factory=dict)


_REGISTRY: dict[str, ModelEntry] = {}
_builtins_loaded = False


def register_model(
    name: str | None = None, *, family: str = "general", description: str | None = None
) -> Callable[[Builder], Builder]:
    """Register a model builder under ``name`` (a class or a function).

    Parameters
    ----------
    name
        Registry name; defaults to the builder's ``__name__`` in lower case.
    family
        Model family shown by ``omicsnet models`` (e.g. ``"kcae"``, ``"lcms"``).
    description
        One line for listings; defaults to the first line of the builder's docstring.

    Returns
    -------
    callable
        A decorator that registers the builder and returns it unchanged.

    Raises
    ------
    ConfigError
        If the name is taken, or a builder argument has no default or a default that
        is not JSON-serialisable.

    Examples
    --------
    >>> from torch import nn
    >>> from omicsnet.models.base import OmicsModel
    >>> @register_model("tiny_linear_example", family="examples")
    ... class TinyLinear(OmicsModel):
    ...     '''A single linear layer.'''
    ...     def __init__(self, in_features: int = 3, out_features: int = 1):
    ...         super().__init__()
    ...         self.n_inputs, self.n_outputs = in_features, out_features
    ...         self.linear = nn.Linear(in_features, out_features)
    ...     def forward(self, x):
    ...         return self.linear(x)
    >>> create_model("tiny_linear_example").config
    {'in_features': 3, 'out_features': 1}
    """

    def decorator(builder: Builder) -> Builder:
        reg_name = name or builder.__name__.lower()
        if reg_name in _REGISTRY and _REGISTRY[reg_name].builder is not builder:
            raise ConfigError(f"a model named {reg_name!r} is already registered")
        defaults = _builder_defaults(builder, reg_name)
        doc = description or (inspect.getdoc(builder) or "").strip().splitlines()[:1]
        _REGISTRY[reg_name] = ModelEntry(
            name=reg_name,
            builder=builder,
            family=family,
            description=doc if isinstance(doc, str) else (doc[0] if doc else ""),
            defaults=defaults,
        )
        return builder

    return decorator


def _builder_defaults(builder: Callable[..., Any], name: str) -> dict[str, Any]:
    signature = inspect.signature(builder)
    defaults: dict[str, Any] = {}
    for param in signature.parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.default is inspect.Parameter.empty:
            raise ConfigError(
                f"model {name!r}: argument {param.name!r} needs a default, so that the "
                "model can be built from its default config"
            )
        defaults[param.name] = _jsonable(param.default, f"{name}.{param.name}")
    return defaults


def _jsonable(value: Any, where: str) -> Any:
    """Return ``value`` with tuples as lists, or raise if it is not JSON-serialisable."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as err:
        raise ConfigError(f"config value {where}={value!r} is not JSON-serialisable") from err


def load_builtin_models() -> None:
    """Import the core's and the families' model modules (once), registering their models.

    Examples
    --------
    >>> load_builtin_models(); "mlp" in list_models()
    True
    """
    _ensure_builtins()


def _ensure_builtins() -> None:
    global _builtins_loaded
    if _builtins_loaded:
        return
    _builtins_loaded = True
    from omicsnet.families import family_model_modules

    for module in (*CORE_MODEL_MODULES, *family_model_modules()):
        importlib.import_module(module)


def list_models(family: str | None = None) -> list[str]:
    """Return the sorted names of registered models, optionally of one family.

    Examples
    --------
    >>> "mlp" in list_models()
    True
    >>> list_models(family="no-such-family")
    []
    """
    _ensure_builtins()
    return sorted(n for n, e in _REGISTRY.items() if family is None or e.family == family)


def model_info(name: str) -> ModelEntry:
    """Return the registry entry (builder, family, description, defaults) of ``name``.

    Examples
    --------
    >>> model_info("mlp").family
    'general'
    """
    _ensure_builtins()
    try:
        return _REGISTRY[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, _REGISTRY, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ModelNotFoundError(
            f"unknown model {name!r}{hint} (`omicsnet models` lists the zoo)"
        ) from None


#: Largest model (parameters + buffers) built from a config read from a file, unless the
#: caller or ``OMICSNET_MAX_PARAMETERS`` allows more: 500 million numbers (2 GB in float32).
DEFAULT_MAX_PARAMETERS = 500_000_000
MAX_PARAMETERS_ENV = "OMICSNET_MAX_PARAMETERS"


def max_parameters(limit: int | None = None) -> int:
    """The size limit in force: ``limit``, else ``OMICSNET_MAX_PARAMETERS``, else the default.

    Examples
    --------
    >>> max_parameters(1000)
    1000
    """
    import os

    if limit is not None:
        return int(limit)
    raw = os.environ.get(MAX_PARAMETERS_ENV)
    if raw:
        try:
            return int(float(raw))
        except ValueError:
            raise ConfigError(f"{MAX_PARAMETERS_ENV} must be a number, got {raw!r}") from None
    return DEFAULT_MAX_PARAMETERS


def model_size(name: str, **config: Any) -> int | None:
    """Parameters + buffers a model of this config would hold, counted without allocating.

    The model is built on PyTorch's ``meta`` device, which records shapes but no data.
    ``None`` when the builder cannot run there (it then reads values at construction).

    Examples
    --------
    >>> model_size("mlp", in_features=60_000, out_features=2, hidden=[60_000]) > 3e9
    True
    """
    import torch

    entry = model_info(name)
    unknown = [key for key in config if key not in entry.defaults]
    if unknown:
        return None  # create_model reports it
    full = {**entry.defaults, **config}
    try:
        with torch.device("meta"):
            model = entry.builder(**full)
    except Exception as err:
        logger.debug("model %s cannot be sized on the meta device: %s", name, err)
        return None
    return sum(t.numel() for t in (*model.parameters(), *model.buffers()))


def check_model_size(name: str, config: dict[str, Any], *, limit: int | None = None) -> None:
    """Refuse a config that would build a model larger than the limit, before allocating it.

    For configs read from files (a saved model's ``config.json``, a run config): a
    700-byte file must not make omicsnet allocate gigabytes.

    Raises
    ------
    ConfigError
        The model would hold more numbers than allowed (the message says how to allow it).

    Examples
    --------
    >>> check_model_size("mlp", {"in_features": 60_000, "hidden": [60_000]})
    Traceback (most recent call last):
    ...
    omicsnet.errors.ConfigError: model 'mlp' with this config would hold 3,600,... numbers ...
    """
    allowed = max_parameters(limit)
    size = model_size(name, **config)
    if size is not None and size > allowed:
        raise ConfigError(
            f"model {name!r} with this config would hold {size:,} numbers "
            f"(~{size * 4 / 2**30:.1f} GiB), more than the limit of {allowed:,}; if you trust "
            f"it, raise the limit with {MAX_PARAMETERS_ENV}=N or max_parameters=N"
        )


def create_model(
    name: str,
    *,
    input_features: Sequence[str] | None = None,
    output_features: Sequence[str] | None = None,
    **config: Any,
) -> Any:
    """Build a registered model from its name and config.

    Parameters
    ----------
    name
        Registered model name (see :func:`list_models`).
    input_features, output_features
        Optional feature names (genes, proteins, classes) carried by the model and saved
        with it.
    **config
        Builder arguments; missing ones take their defaults. Unknown ones are an error.

    Returns
    -------
    OmicsModel
        The model, with ``model.model_name`` and the full ``model.config`` set.

    Raises
    ------
    ModelNotFoundError
        Unknown name.
    ConfigError
        Unknown or non-serialisable config keys.

    Examples
    --------
    >>> model = create_model("mlp", in_features=10, out_features=3, hidden=[16])
    >>> model.config["hidden"]
    [16]
    >>> create_model("mlp", hiden=[16])
    Traceback (most recent call last):
    ...
    omicsnet.errors.ConfigError: model 'mlp' has no option 'hiden'; did you mean 'hidden'? ...
    """
    entry = model_info(name)
    unknown = [key for key in config if key not in entry.defaults]
    if unknown:
        import difflib

        key = unknown[0]
        close = difflib.get_close_matches(key, entry.defaults, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"model {name!r} has no option {key!r}{hint} "
            f"(options: {', '.join(sorted(entry.defaults))})"
        )
    full = dict(entry.defaults)
    full.update({k: _jsonable(v, f"{name}.{k}") for k, v in config.items()})
    try:
        model = entry.builder(**full)
    except (TypeError, ValueError) as err:
        if isinstance(err, ConfigError):
            raise
        raise ConfigError(f"model {name!r} cannot be built with {config}: {err}") from err
    model.model_name = name
    model.config = full
    if input_features is not None or output_features is not None:
        model.set_feature_names(input_features, output_features)
    return model
