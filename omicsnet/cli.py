"""The ``omicsnet`` command: parses arguments, calls the API, prints results.

Heavy libraries are imported inside the command that needs them, so that ``omicsnet
--help`` answers at once. A user error (bad config, missing file, unknown ID) prints one
line and exits with status 2; so does an OS error that is the user's to fix (permission
denied, disk full, read-only file system, disk quota), naming the path. Ctrl-C prints one
line and exits with 130, SIGTERM with 143 (after the same clean-up: worker processes
stopped, temporary files removed). Tracebacks are shown only with ``--debug``.
"""

from __future__ import annotations

import argparse
import errno
import logging
import sys
from collections.abc import Sequence

from omicsnet._version import __version__
from omicsnet.commands import add_all_commands
from omicsnet.errors import OmicsnetError
from omicsnet.utils.cli import CommandGroups
from omicsnet.utils.signals import Terminated, stop_on_signals

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C

#: OS errors that the user fixes, not omicsnet: errno -> (what happened, what to do).
USER_OS_ERRORS: dict[int, tuple[str, str]] = {
    errno.EACCES: ("permission denied", "check its permissions or choose another path"),
    errno.EPERM: ("operation not permitted", "check its permissions or choose another path"),
    errno.ENOSPC: ("no space left on the device (disk full)", "free some space or write elsewhere"),
    errno.EROFS: ("read-only file system", "choose a folder on a writable file system"),
}
if hasattr(errno, "EDQUOT"):
    USER_OS_ERRORS[errno.EDQUOT] = ("disk quota exceeded", "free some space or write elsewhere")


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
        with stop_on_signals():  # SIGTERM unwinds like Ctrl-C (workers stopped, files cleaned)
            return int(args.func(args) or 0)
    except OmicsnetError as err:
        if args.debug:
            raise
        print(f"omicsnet: error: {_one_line(err)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt as err:
        if isinstance(err, Terminated):
            print(f"omicsnet: {err}", file=sys.stderr)
            return err.exit_status
        print("omicsnet: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as err:
        message = os_error_message(err)
        if message is None or args.debug:
            return _internal_error(err, args.debug)
        print(f"omicsnet: error: {message}", file=sys.stderr)
        return EXIT_USER_ERROR
    except Exception as err:  # a bug: say so in one line unless debugging
        return _internal_error(err, args.debug)


def _internal_error(err: Exception, debug: bool) -> int:
    if debug:
        raise err
    print(
        f"omicsnet: internal error: {type(err).__name__}: {_one_line(err)} "
        "(rerun with --debug for the traceback, and please report it)",
        file=sys.stderr,
    )
    return EXIT_INTERNAL_ERROR


def os_error_message(err: OSError) -> str | None:
    """One line for an OS error that the user fixes (see :data:`USER_OS_ERRORS`), else ``None``.

    The line names the path (both paths of a rename) and never shows file content.

    Examples
    --------
    >>> import errno
    >>> os_error_message(OSError(errno.ENOSPC, "No space left on device", "/data/run.npz"))
    '/data/run.npz: no space left on the device (disk full); free some space or write elsewhere'
    >>> os_error_message(PermissionError(errno.EACCES, "Permission denied", "/srv/in.csv"))
    '/srv/in.csv: permission denied; check its permissions or choose another path'
    >>> os_error_message(OSError(errno.EIO, "Input/output error", "/x")) is None
    True
    """
    if err.errno not in USER_OS_ERRORS:
        return None
    what, hint = USER_OS_ERRORS[err.errno]
    where = [str(name) for name in (err.filename, err.filename2) if name is not None]
    if not where:
        return f"{what} (the system did not say which file); {hint}"
    return f"{' -> '.join(where)}: {what}; {hint}"


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text or type(err).__name__


if __name__ == "__main__":
    sys.exit(main())
