"""Model registry (after timm's ``register_model`` / ``create_model`` / ``list_models``).

A builder is a class (subclass of :class:`~omicsnet.models.base.OmicsModel`) or a function
returning one. Its keyword arguments, with their defaults, are the model's config: every
model can be built with no arguments, and the full config (defaults included) is stored on
the model so that it can be saved as JSON and rebuilt exactly.

Plugin models
-------------
Another installed package adds models to the zoo through the entry-point group
:data:`ENTRY_POINT_GROUP` (``omicsnet.models``), read beside the family list the first
time the registry is used::

    [project.entry-points."omicsnet.models"]
    my_net = "my_package.models:build_my_net"    # a builder: registered as "my_net"
    my_models = "my_package.models"              # a module whose import registers models

Such models are listed by ``omicsnet models``, built by name, walked by
:func:`omicsnet.models.testing.check_model` and saved/loaded like built-in ones. A plugin
that fails to import is left out with a warning (:func:`plugin_errors` says why), so a
broken package cannot break the zoo. A run config may also name a builder as
``"package.module:builder"`` (:func:`resolve_model_name`). A saved model only ever
names a registered model: :func:`omicsnet.load` looks the name up in the registry and
never imports a module named by the file.
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

#: Entry-point group through which installed packages add models to the zoo.
ENTRY_POINT_GROUP = "omicsnet.models"
_PLUGIN_ERRORS: dict[str, str] = {}
# "package.module:builder" of an entry point -> the name it is registered under
_PLUGIN_TARGETS: dict[str, str] = {}


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
    >>> _ = _REGISTRY.pop("tiny_linear_example")  # leave the zoo as it was
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
    load_plugins()


def load_plugins() -> dict[str, str]:
    """Load the models that installed packages declare under :data:`ENTRY_POINT_GROUP`.

    An entry point naming a module is imported (its ``@register_model`` decorators
    register its models); one naming a builder (``module:function`` or ``module:Class``)
    registers it under the entry point's name unless it registered itself. Family
    ``"plugin"`` unless the builder says otherwise. A plugin that fails to load is logged
    and left out.

    Returns
    -------
    dict
        ``{entry point name: why it failed}`` for the plugins that could not be loaded
        (also :func:`plugin_errors`).

    Examples
    --------
    >>> isinstance(load_plugins(), dict)
    True
    """
    from importlib.metadata import entry_points

    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name in _REGISTRY or point.name in _PLUGIN_ERRORS:
            continue
        try:
            loaded = point.load()
            if point.attr:  # a builder
                registered = _name_of(loaded)
                if registered is None:
                    register_model(point.name, family="plugin")(loaded)
                    registered = point.name
                _PLUGIN_TARGETS[point.value.replace(" ", "")] = registered
        except Exception as err:  # a broken plugin must not break the zoo
            first = (str(err).strip().splitlines() or [type(err).__name__])[0]
            _PLUGIN_ERRORS[point.name] = f"{type(err).__name__}: {first}"
            logger.warning(
                "model plugin %r (%s) could not be loaded and is left out: %s",
                point.name, point.value, _PLUGIN_ERRORS[point.name],
            )  # fmt: skip
    return dict(_PLUGIN_ERRORS)


def plugin_errors() -> dict[str, str]:
    """``{entry point name: error}`` of the model plugins that could not be loaded.

    Examples
    --------
    >>> isinstance(plugin_errors(), dict)
    True
    """
    _ensure_builtins()
    return dict(_PLUGIN_ERRORS)


def _name_of(builder: Any) -> str | None:
    """The name ``builder`` is registered under, if it is."""
    for name, entry in _REGISTRY.items():
        if entry.builder is builder:
            return name
    return None


def resolve_model_name(name: str) -> str:
    """The registered name for a model named in a run config.

    ``name`` is a registered name (``"mlp"``), or ``"package.module:builder"``. The
    latter resolves to the name of an installed plugin declaring that builder, else the
    module is imported (the config asks for it, as a script's ``import`` would) and the
    builder must be registered, by its ``@register_model`` or, failing that, here under
    the name ``"package.module:builder"`` itself (family ``"plugin"``). Saved models
    record the registered name; loading one looks it up and imports nothing.

    Raises
    ------
    ModelNotFoundError
        The module cannot be imported or has no such builder.

    Examples
    --------
    >>> resolve_model_name("mlp")
    'mlp'
    >>> resolve_model_name("omicsnet.models.mlp:MLP")
    'mlp'
    >>> resolve_model_name("no_such_package.models:net")
    Traceback (most recent call last):
    ...
    omicsnet.errors.ModelNotFoundError: model 'no_such_package.models:net': cannot import ...
    """
    _ensure_builtins()
    if ":" not in name or name in _REGISTRY:
        return name
    key = name.replace(" ", "")
    if key in _PLUGIN_TARGETS:
        return _PLUGIN_TARGETS[key]
    module_name, _, attr = key.partition(":")
    if not module_name or not attr:
        raise ModelNotFoundError(f"model {name!r}: write it as 'package.module:builder'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ModelNotFoundError(
            f"model {name!r}: cannot import {module_name!r} ({err}); is its package installed?"
        ) from None
    builder: Any = module
    for part in attr.split("."):
        builder = getattr(builder, part, None)
    if builder is None or not callable(builder):
        raise ModelNotFoundError(f"model {name!r}: {module_name} has no builder {attr!r}")
    registered = _name_of(builder)
    if registered is None:
        register_model(key, family="plugin")(builder)
        registered = key
    return registered


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

        if ":" in name and name.replace(" ", "") in _PLUGIN_TARGETS:
            return _REGISTRY[_PLUGIN_TARGETS[name.replace(" ", "")]]
        close = difflib.get_close_matches(name, _REGISTRY, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        plugin = (
            " (a model from another package loads once that package is installed with an "
            f"{ENTRY_POINT_GROUP!r} entry point, or its module imported; omicsnet never "
            "imports code named by a saved file)"
            if not close
            else ""
        )
        raise ModelNotFoundError(
            f"unknown model {name!r}{hint} (`omicsnet models` lists the zoo){plugin}"
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


def fill_data_options(
    name: str,
    options: dict[str, Any] | None = None,
    *,
    n_inputs: int,
    n_outputs: int,
    blocks: Sequence[Sequence[Any]] | None = None,
    task: str | None = None,
) -> dict[str, Any]:
    """A model's options with the sizes (and task) that come from the data filled in.

    What the caller gave wins. ``in_features`` (or, for models with an ``omics`` option,
    the omics blocks), ``out_features`` and, for models with a ``task`` option, the
    task. Used by ``omicsnet train`` and the façades, so that any model with these
    options (a plugin's too) is sized from the data the same way.

    Examples
    --------
    >>> fill_data_options("mlp", {"hidden": [8]}, n_inputs=5, n_outputs=2, task="classification")
    {'hidden': [8], 'in_features': 5, 'out_features': 2, 'task': 'classification'}
    >>> fill_data_options("early_fusion", None, n_inputs=5, n_outputs=2,
    ...                   blocks=[["rna", 3], ["prot", 2]])["omics"]
    [['rna', 3], ['prot', 2]]
    """
    accepted = model_info(name).defaults
    filled = dict(options or {})
    if "omics" in accepted:
        layout = [list(b) for b in blocks] if blocks else [["features", int(n_inputs)]]
        filled.setdefault("omics", layout)
    else:
        filled.setdefault("in_features", int(n_inputs))
    filled.setdefault("out_features", int(n_outputs))
    if task is not None and "task" in accepted:
        filled.setdefault("task", task)
    return filled


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
