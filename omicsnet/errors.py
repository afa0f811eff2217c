"""Exceptions that describe a user's mistake.

Every error a user can fix (a bad config, a missing file, an unknown model, mismatched
sample IDs) derives from :class:`OmicsnetError`. The command-line tool prints such errors
as one line and exits non-zero; anything else is a bug and shows a traceback with
``--debug``.

Examples
--------
>>> from omicsnet.errors import ConfigError
>>> try:
...     raise ConfigError("trainer.max_epochs must be a positive integer, got -1")
... except ConfigError as err:
...     print(err)
trainer.max_epochs must be a positive integer, got -1
"""

from __future__ import annotations


class OmicsnetError(Exception):
    """Base class of errors caused by user input (files, configs, IDs, arguments)."""


class ConfigError(OmicsnetError, ValueError):
    """A configuration value is missing, of the wrong type or out of range."""


class DataError(OmicsnetError, ValueError):
    """Input data is malformed: NaNs, mismatched sample IDs, unknown features, bad files."""


class DataNotFoundError(OmicsnetError, FileNotFoundError):
    """A dataset or file the user asked for does not exist where it was looked for."""


class ModelNotFoundError(OmicsnetError, KeyError):
    """A model name is not in the zoo."""

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain.
        return str(self.args[0]) if self.args else ""


class CheckpointError(OmicsnetError):
    """A saved model or training checkpoint cannot be read or does not fit the model."""


class OutputError(OmicsnetError, PermissionError):
    """An output cannot be written (permissions, a file where a folder is needed)."""


class OutputExistsError(OmicsnetError, FileExistsError):
    """An output path exists and may not be written: see :mod:`omicsnet.utils.output`."""


def shown(value: object, limit: int = 60) -> str:
    """An ID from a user's file as it may appear in a message: quoted, one line, short.

    Errors name the file, the row and the ID, and never echo more of a file than that:
    control characters are escaped and long values cut.

    Examples
    --------
    >>> shown("TP53")
    "'TP53'"
    >>> shown("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' (100 characters)"
    """
    text = repr(str(value))
    if len(str(value)) <= limit:
        return text
    return repr(str(value)[:limit])[:-1] + f"...' ({len(str(value))} characters)"
