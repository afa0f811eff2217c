"""Finished units of a benchmark (its cross-validation folds), kept so a killed run resumes.

A long benchmark keeps each finished fold in ``units/PART/`` inside its output folder
(:meth:`omicsnet.bench.registry.BenchContext.units`); the folder is a
:class:`~omicsnet.utils.units.UnitStore`, so it records the benchmark's settings and
refuses to be reused by a benchmark whose settings changed. Pass it as ``store=`` to
:func:`omicsnet.train.cv.cross_validate`. ``omicsnet bench run NAME --out DIR --resume``
reads the finished folds back instead of fitting them again; without ``--resume`` the
units of an earlier, unfinished run are removed first; after a benchmark has written its
results its units are removed.

Examples
--------
>>> import tempfile, pathlib
>>> from omicsnet.bench.registry import BenchContext
>>> ctx = BenchContext(workdir=pathlib.Path(tempfile.mkdtemp()))
>>> folder = ctx.units("folds", {"epochs": 10})
>>> folder.relative_to(ctx.workdir).as_posix()
'units/folds'
>>> ctx.units("folds", {"epochs": 20})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
omicsnet.errors.ConfigError: ... holds units of another run (different epochs)...
>>> clear_units(ctx.workdir, reason="finished"); folder.exists()
False
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: The folder of a benchmark's output folder that keeps its finished units.
UNITS = "units"


def unit_folder(
    workdir: Path | None, part: str, settings: Mapping[str, Any], *, quick: bool = False
) -> Path | None:
    """The unit store of ``part`` in ``workdir`` (``None`` without an output folder).

    ``settings`` is everything the units depend on (sizes, epochs, seeds, a fingerprint
    of the benchmark's source and of its data); a store of other settings is refused
    with a :class:`~omicsnet.errors.ConfigError`.
    """
    from omicsnet.utils.units import UnitStore

    if workdir is None:
        return None
    if not part or Path(part).name != part or part.startswith("."):
        raise ValueError(f"a unit part is a plain folder name, got {part!r}")
    folder = Path(workdir) / UNITS / part
    UnitStore.open(
        folder,
        {"part": part, "quick": bool(quick), **dict(settings)},
        remedy="run it without --resume to start it again",
    )
    return folder


def clear_units(workdir: Path, *, reason: str) -> None:
    """Remove the finished units kept in ``workdir`` (omicsnet's own folder)."""
    folder = Path(workdir) / UNITS
    if folder.is_dir():
        logger.info("removing the finished units in %s (%s)", folder, reason)
        shutil.rmtree(folder)


__all__ = ["UNITS", "clear_units", "unit_folder"]
