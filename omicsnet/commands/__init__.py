"""Subcommands of the ``omicsnet`` command line, one module per area.

Each module in :data:`COMMAND_MODULES` defines ``add_commands(groups)``, which adds its
subcommands through a :class:`CommandGroups`. Modules import only :mod:`argparse` at top
level; heavy libraries are imported inside the command functions, so ``omicsnet --help``
stays fast. A command function takes the parsed :class:`argparse.Namespace` and returns
the exit status.
"""

from __future__ import annotations

import argparse
import importlib
from dataclasses import dataclass, field

#: Modules whose ``add_commands`` build the command line, in the order shown by --help.
COMMAND_MODULES: tuple[str, ...] = (
    "omicsnet.commands.core",
    "omicsnet.commands.kcae",
    "omicsnet.commands.lcms",
    "omicsnet.commands.explain",
    "omicsnet.commands.lcms_images",
    "omicsnet.commands.lcms_peaks",
    "omicsnet.commands.lcms_study",
    "omicsnet.commands.network",
    "omicsnet.commands.search",
    "omicsnet.commands.t2p",
    "omicsnet.commands.bench",
    "omicsnet.commands.knowledge",
)

#: Help lines of the command groups (``omicsnet GROUP ACTION``).
GROUP_HELP: dict[str, str] = {
    "knowledge": "knowledge artefacts built from metabolic models",
    "kcae": "knowledge-constrained autoencoders (DeepMetabolism)",
    "t2p": "transcript -> protein prediction",
    "search": "neural architecture / hyperparameter search campaigns (Ax)",
    "lcms": "raw LC-MS data: conversion, models, studies",
    "explain": "explain a model's predictions",
    "network": "metabolite-protein network inference",
    "bench": "list, run and compare benchmarks",
}


@dataclass
class CommandGroups:
    """Where command modules add their subcommands.

    Parameters
    ----------
    top
        The top-level subparsers (``omicsnet COMMAND``).
    common
        Parent parser with ``--debug``/``--quiet``; pass it as ``parents=[groups.common]``.
    """

    top: argparse._SubParsersAction
    common: argparse.ArgumentParser
    _groups: dict[str, argparse._SubParsersAction] = field(default_factory=dict)

    def command(self, name: str, help: str, **kwargs: object) -> argparse.ArgumentParser:
        """Add a top-level command ``omicsnet NAME``."""
        return self.top.add_parser(name, help=help, parents=[self.common], **kwargs)

    def action(self, group: str, name: str, help: str, **kwargs: object) -> argparse.ArgumentParser:
        """Add ``omicsnet GROUP NAME``; the group is created on first use.

        Several modules may add actions to one group (``lcms`` has conversion, model and
        study actions from different modules).
        """
        if group not in self._groups:
            parser = self.top.add_parser(
                group, help=GROUP_HELP.get(group, group), parents=[self.common]
            )
            self._groups[group] = parser.add_subparsers(
                dest=f"{group}_command", metavar="ACTION", required=True
            )
        return self._groups[group].add_parser(name, help=help, parents=[self.common], **kwargs)


def add_all_commands(groups: CommandGroups) -> None:
    """Call ``add_commands`` of every module in :data:`COMMAND_MODULES`."""
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).add_commands(groups)
