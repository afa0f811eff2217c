"""Subcommands of the ``omicsnet`` command line, one module per area.

Each module named by :func:`command_modules` (the core's, then each family's
``FamilySpec.commands``) defines ``add_commands(groups)``, which adds its subcommands
through a :class:`~omicsnet.utils.cli.CommandGroups`. Modules import only :mod:`argparse` at top
level; heavy libraries are imported inside the command functions, so ``omicsnet --help``
stays fast. A command function takes the parsed :class:`argparse.Namespace` and returns
the exit status.
"""

from __future__ import annotations

import importlib

from omicsnet.families import family_command_groups, family_command_modules
from omicsnet.utils.cli import CommandGroups

#: Core modules whose ``add_commands`` build the command line; each family's own
#: (``FamilySpec.commands``) follow, in the order of the family list.
CORE_COMMAND_MODULES: tuple[str, ...] = (
    "omicsnet.commands.core",
    "omicsnet.commands.network",
    "omicsnet.commands.search",
    "omicsnet.commands.bench",
    "omicsnet.commands.knowledge",
)

#: Help lines of the core command groups (``omicsnet GROUP ACTION``).
CORE_GROUP_HELP: dict[str, str] = {
    "knowledge": "knowledge artefacts built from metabolic models",
    "search": "neural architecture / hyperparameter search campaigns (Ax)",
    "explain": "explain a model's predictions",
    "network": "metabolite-protein network inference",
    "bench": "list, run and compare benchmarks",
}


def command_modules() -> list[str]:
    """Every module that adds subcommands: the core's, then the families'."""
    return [*CORE_COMMAND_MODULES[:1], *family_command_modules(), *CORE_COMMAND_MODULES[1:]]


def group_help() -> dict[str, str]:
    """Help lines of every command group."""
    return {**CORE_GROUP_HELP, **family_command_groups()}


def add_all_commands(groups: CommandGroups) -> None:
    """Call ``add_commands`` of every module in :func:`command_modules`."""
    groups.group_help.update(group_help())
    for module_name in command_modules():
        importlib.import_module(module_name).add_commands(groups)


__all__ = ["CommandGroups", "add_all_commands", "command_modules", "group_help"]
