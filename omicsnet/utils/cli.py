"""Command-line building blocks shared by the core commands and the families' ``cli`` modules.

Only :mod:`argparse` is imported here, so that ``omicsnet --help`` stays fast.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser(prog="omicsnet")
>>> common = argparse.ArgumentParser(add_help=False)
>>> groups = CommandGroups(parser.add_subparsers(dest="command"), common, {"toy": "a toy"})
>>> _ = groups.action("toy", "run", help="run the toy")
>>> parser.parse_args(["toy", "run"]).toy_command
'run'
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field


@dataclass
class CommandGroups:
    """Where command modules add their subcommands.

    Parameters
    ----------
    top
        The top-level subparsers (``omicsnet COMMAND``).
    common
        Parent parser with ``--debug``/``--quiet``; pass it as ``parents=[groups.common]``.
    group_help
        Help lines of the command groups (``omicsnet GROUP ACTION``).
    """

    top: argparse._SubParsersAction
    common: argparse.ArgumentParser
    group_help: dict[str, str] = field(default_factory=dict)
    _groups: dict[str, argparse._SubParsersAction] = field(default_factory=dict)

    def command(self, name: str, help: str, **kwargs: object) -> argparse.ArgumentParser:
        """Add a top-level command ``omicsnet NAME``."""
        return self.top.add_parser(name, help=help, parents=[self.common], **kwargs)

    def action(self, group: str, name: str, help: str, **kwargs: object) -> argparse.ArgumentParser:
        """Add ``omicsnet GROUP NAME``; the group is created on first use.

        Several modules may add actions to one group (``lcms`` has conversion, model and
        study actions from different families).
        """
        if group not in self._groups:
            parser = self.top.add_parser(
                group, help=self.group_help.get(group, group), parents=[self.common]
            )
            self._groups[group] = parser.add_subparsers(
                dest=f"{group}_command", metavar="ACTION", required=True
            )
        return self._groups[group].add_parser(name, help=help, parents=[self.common], **kwargs)


__all__ = ["CommandGroups"]
