"""Lazy package exports: names resolve to their modules on first use.

Packages list ``{public name: module}`` and get a module-level ``__getattr__`` and
``__dir__`` from :func:`lazy_exports`, so that importing the package loads none of the
heavy libraries its modules need.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, names: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return ``(__getattr__, __dir__)`` for a package whose names load lazily.

    Parameters
    ----------
    package
        The package's ``__name__``.
    names
        Public name → module that defines it.

    Examples
    --------
    >>> getattr_, dir_ = lazy_exports("omicsnet", {"dumps_example": "json"})
    >>> getattr_("dumps_example") is None
    Traceback (most recent call last):
    ...
    AttributeError: module 'json' has no attribute 'dumps_example'
    >>> "dumps_example" in dir_()
    True
    """

    def module_getattr(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later lookups skip this function
        return value

    def module_dir() -> list[str]:
        return sorted({*vars(sys.modules[package]), *names})

    return module_getattr, module_dir
