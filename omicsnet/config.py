"""Reading run configs (YAML, JSON or TOML) and keeping their paths where they belong.

Paths inside a config are relative to the config file's folder and may not leave it
(no absolute paths, no ``..``, no symbolic link that leads outside: the check is made on
the resolved path): a config handed to you cannot make omicsnet read or write elsewhere.
Files in the data directory are named ``data:relative/path``, under the same rule.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from omicsnet.errors import ConfigError, DataNotFoundError
from omicsnet.utils.paths import confine, resolve_data_file

DATA_PREFIX = "data:"


def load_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a config file: ``.yaml``/``.yml`` (safe loader), ``.json`` or ``.toml``.

    Raises
    ------
    DataNotFoundError
        The file does not exist.
    ConfigError
        Unknown extension, a syntax error (with the line when the parser gives it) or a
        top level that is not a mapping.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "run.yaml"
    >>> _ = p.write_text("model:\\n  name: mlp\\ntrainer:\\n  max_epochs: 3\\n")
    >>> load_config(p)["trainer"]["max_epochs"]
    3
    """
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"config file {path} does not exist")
    suffix = path.suffix.lower()
    text = path.read_text(encoding="utf-8")
    try:
        if suffix in (".yaml", ".yml"):
            value = _yaml_load(text)
        elif suffix == ".json":
            value = json.loads(text)
        elif suffix == ".toml":
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10
                import tomli as tomllib  # type: ignore[no-redef]
            value = tomllib.loads(text)
        else:
            raise ConfigError(f"{path}: config files must be .yaml, .yml, .json or .toml")
    except ConfigError:
        raise
    except Exception as err:  # each parser has its own error types
        raise ConfigError(f"{path}: cannot parse config: {err}".splitlines()[0]) from err
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: the top level of a config must be a mapping of sections")
    return value


def _yaml_load(text: str) -> Any:
    """Safe YAML loading that also reads ``1e-3`` as a number (YAML 1.1 needs ``1.0e-3``)."""
    import re

    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    float_pattern = re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    )
    _Loader.add_implicit_resolver("tag:yaml.org,2002:float", float_pattern, list("-+0123456789."))
    return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no arbitrary objects


def parse_scalar(text: str) -> Any:
    """Read one command-line value as YAML would: numbers, booleans, ``null``, or a string.

    Examples
    --------
    >>> parse_scalar("512"), parse_scalar("1e-3"), parse_scalar("log1p"), parse_scalar("null")
    (512, 0.001, 'log1p', None)
    """
    value = _yaml_load(text)
    return text if isinstance(value, (dict, list)) else value


def resolve_config_path(
    value: str, base_dir: str | os.PathLike[str], *, key: str, data_dir: str | None = None
) -> Path:
    """Resolve a path written in a config, refusing paths that leave the config's folder.

    Parameters
    ----------
    value
        The path as written: relative to ``base_dir``, or ``data:relative/path`` for a
        file in the data directory.
    base_dir
        The config file's folder.
    key
        Config key, for error messages (e.g. ``"data.features"``).

    Examples
    --------
    >>> resolve_config_path("tables/x.csv", "/runs/study1", key="data.features").as_posix()
    '/runs/study1/tables/x.csv'
    >>> resolve_config_path("../../etc/passwd", "/runs/study1", key="data.features")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    omicsnet.errors.ConfigError: data.features: '../../etc/passwd' must stay inside ...
    """
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{key}: expected a path string, got {value!r}")
    if value.startswith(DATA_PREFIX):
        try:
            return resolve_data_file(value[len(DATA_PREFIX) :], data_dir)
        except DataNotFoundError as err:
            raise DataNotFoundError(f"{key}: {err}") from err
    rel = Path(value)
    base = Path(base_dir).resolve()
    if rel.is_absolute() or ".." in rel.parts:
        raise ConfigError(
            f"{key}: {value!r} must stay inside the config's folder {base.as_posix()} "
            "(no absolute paths or '..'); name data-directory files as 'data:relative/path'"
        )
    return confine(base / rel, base, what=key)  # symbolic links may not lead outside


def check_keys(section: dict[str, Any], allowed: set[str], where: str) -> None:
    """Refuse unknown keys in a config section, suggesting the closest known one.

    Examples
    --------
    >>> check_keys({"max_epoch": 3}, {"max_epochs", "lr"}, "trainer")
    Traceback (most recent call last):
    ...
    omicsnet.errors.ConfigError: trainer: unknown key 'max_epoch'; did you mean 'max_epochs'?
    """
    import difflib

    for key in section:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = (
                f"; did you mean {close[0]!r}?"
                if close
                else f" (known: {', '.join(sorted(allowed))})"
            )
            raise ConfigError(f"{where}: unknown key {key!r}{hint}")
