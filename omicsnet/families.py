"""The model families: the one list that names them, and what each one declares.

A family is one package on top of the layered core (as scvi-tools keeps each contributed
model in ``scvi/external/<family>/``). It holds its data readers, models, workflows,
plots, demo step and command-line glue, and declares in its ``__init__.py`` a
:class:`FamilySpec` named ``SPEC``: which of its modules register models, which adds
commands, its demo step and its search tasks. The core never imports a family: the model
registry, the command line, the demo and the search tasks read :data:`FAMILIES` and load
what the specs name, by module path, the way they would load a plugin.

Adding a family is one new package and one line in :data:`FAMILIES`.

Examples
--------
>>> "omicsnet.kcae" in FAMILIES
True
>>> spec = FamilySpec(models=("my_pkg.models",), commands="my_pkg.cli")
>>> spec.demo is None
True
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from omicsnet.errors import ConfigError

#: The model families, one package each, in the order ``omicsnet --help`` shows them.
FAMILIES: list[str] = [
    "omicsnet.kcae",
    "omicsnet.t2p",
    "omicsnet.lcms",
    "omicsnet.lcms_image",
    "omicsnet.peaks",
    "omicsnet.multiomics",
]


@dataclass(frozen=True)
class FamilySpec:
    """What a family package declares (as ``SPEC`` in its ``__init__.py``).

    Every module is named by its dotted path and imported only when needed, so that a
    family's ``__init__`` stays as light as ``import omicsnet``.

    Parameters
    ----------
    models
        Modules whose import registers the family's models in the zoo
        (``@register_model``).
    commands
        Module with ``add_commands(groups)`` adding the family's subcommands
        (see :class:`omicsnet.utils.cli.CommandGroups`).
    command_groups
        Help lines of the command groups the family creates (``omicsnet GROUP ACTION``).
    demo
        ``"module:function"`` of the family's demo step: ``function(folder, *, quick,
        progress) -> DemoStep``.
    search_tasks
        Short task names for search campaigns -> ``"module:function"``.

    Examples
    --------
    >>> FamilySpec(search_tasks={"toy": "toy_pkg.tasks:run"}).search_tasks["toy"]
    'toy_pkg.tasks:run'
    """

    models: tuple[str, ...] = ()
    commands: str | None = None
    command_groups: Mapping[str, str] = field(default_factory=dict)
    demo: str | None = None
    search_tasks: Mapping[str, str] = field(default_factory=dict)


@dataclass
class DemoStep:
    """What one family's demo step did: a name, report lines and success.

    Examples
    --------
    >>> DemoStep("kcae", ["  pretraining loss 0.1"]).ok
    True
    """

    name: str
    lines: list[str]
    ok: bool = True


def family_specs() -> dict[str, FamilySpec]:
    """Import each family package in :data:`FAMILIES` and return its ``SPEC`` by name.

    The name of a family is the last part of its package path (``"kcae"``).

    Raises
    ------
    ConfigError
        If a family package has no ``SPEC`` or two families share a name.

    Examples
    --------
    >>> sorted(family_specs())
    ['kcae', 'lcms', 'lcms_image', 'multiomics', 'peaks', 't2p']
    """
    specs: dict[str, FamilySpec] = {}
    for package in FAMILIES:
        name = package.rsplit(".", 1)[-1]
        spec = getattr(importlib.import_module(package), "SPEC", None)
        if not isinstance(spec, FamilySpec):
            raise ConfigError(f"family package {package} declares no SPEC = FamilySpec(...)")
        if name in specs:
            raise ConfigError(f"two families are named {name!r}")
        specs[name] = spec
    return specs


def family_model_modules() -> list[str]:
    """Modules that register the families' models, in family order.

    Examples
    --------
    >>> "omicsnet.kcae.model" in family_model_modules()
    True
    """
    return [module for spec in family_specs().values() for module in spec.models]


def family_command_modules() -> list[str]:
    """Modules that add the families' subcommands, in family order.

    Examples
    --------
    >>> "omicsnet.t2p.cli" in family_command_modules()
    True
    """
    return [spec.commands for spec in family_specs().values() if spec.commands]


def family_command_groups() -> dict[str, str]:
    """Help lines of the command groups the families create.

    Examples
    --------
    >>> "kcae" in family_command_groups()
    True
    """
    return {
        group: text
        for spec in family_specs().values()
        for group, text in spec.command_groups.items()
    }


def family_demo_steps() -> dict[str, str]:
    """``{family: "module:function"}`` of the families' demo steps.

    Examples
    --------
    >>> family_demo_steps()["t2p"]
    'omicsnet.t2p.demo:demo_t2p'
    """
    return {name: spec.demo for name, spec in family_specs().items() if spec.demo}


def family_search_tasks() -> dict[str, str]:
    """Short names of the families' search tasks -> ``"module:function"``.

    Examples
    --------
    >>> family_search_tasks()["t2p"]
    'omicsnet.t2p.search_task:run_trial'
    """
    return {
        task: path for spec in family_specs().values() for task, path in spec.search_tasks.items()
    }


__all__ = [
    "FAMILIES",
    "DemoStep",
    "FamilySpec",
    "family_command_groups",
    "family_command_modules",
    "family_demo_steps",
    "family_model_modules",
    "family_search_tasks",
    "family_specs",
]
