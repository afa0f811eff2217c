"""The ``omicsnet`` command: parses arguments, calls the API, prints results.

Heavy libraries are imported inside the command that needs them, so that ``omicsnet
--help`` answers at once. A user error (bad config, missing file, unknown ID) prints one
line and exits with status 2; tracebacks are shown only with ``--debug``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from omicsnet._version import __version__
from omicsnet.commands import add_all_commands
from omicsnet.errors import OmicsnetError
from omicsnet.utils.cli import CommandGroups

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="omicsnet",
        description="Biology-guided multi-omics deep learning: model zoo, trainer, benchmarks.",
        epilog="Run `omicsnet COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"omicsnet {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    # --debug and --quiet are accepted after the subcommand too
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show tracebacks and debug logs",
    )
    common.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="only warnings and errors",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_all_commands(CommandGroups(sub, common))
    return parser


# ---------------------------------------------------------------------- entry point
def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.debug else (logging.WARNING if args.quiet else logging.INFO)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if args.command is None:
        parser.print_help()
        return EXIT_USER_ERROR
    try:
        return int(args.func(args) or 0)
    except OmicsnetError as err:
        if args.debug:
            raise
        print(f"omicsnet: error: {_one_line(err)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("omicsnet: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a bug: say so in one line unless debugging
        if args.debug:
            raise
        print(
            f"omicsnet: internal error: {type(err).__name__}: {_one_line(err)} "
            "(rerun with --debug for the traceback, and please report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL_ERROR


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text or type(err).__name__


if __name__ == "__main__":
    sys.exit(main())
