"""Figures written once: a pyplot that works without a screen, and atomic figure files.

Library code draws on figures from :func:`pyplot` (the non-interactive Agg backend is
chosen only when nobody has started pyplot yet, so a notebook keeps its own backend) and
writes them with :func:`save_figure`: the format follows the suffix, the file appears
complete or not at all, and the figure is closed so that long jobs do not accumulate
open figures. matplotlib is imported only when a figure is drawn.

Examples
--------
>>> import tempfile, pathlib
>>> plt = pyplot()
>>> fig, ax = plt.subplots(figsize=(2, 2))
>>> _ = ax.plot([0, 1], [0, 1])
>>> path = save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "line.svg")
>>> path.suffix, plt.fignum_exists(fig.number)
('.svg', False)
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Any

from omicsnet.errors import ConfigError
from omicsnet.utils.io import atomic_write_bytes

FORMATS = ("png", "svg", "pdf")


def pyplot() -> Any:
    """``matplotlib.pyplot``, on the Agg backend unless pyplot was already in use.

    Examples
    --------
    >>> pyplot().__name__
    'matplotlib.pyplot'
    """
    if "matplotlib.pyplot" not in sys.modules:
        import matplotlib

        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure_path(path: str | os.PathLike[str]) -> Path:
    """The path a figure is written to: ``.png`` added when there is no suffix.

    Examples
    --------
    >>> figure_path("maps").name, figure_path("maps.pdf").name
    ('maps.png', 'maps.pdf')
    """
    path = Path(path)
    if not path.suffix:
        path = path.with_name(path.name + ".png")
    if path.suffix.lstrip(".").lower() not in FORMATS:
        raise ConfigError(f"figures are written as .png, .svg or .pdf, not {path.suffix!r}")
    return path


def save_figure(
    fig: Any,
    path: str | os.PathLike[str],
    *,
    dpi: int = 150,
    overwrite: bool = True,
    close: bool = True,
) -> Path:
    """Render a figure and write it atomically; the format follows the suffix (PNG default).

    Parameters
    ----------
    fig
        A matplotlib figure.
    path
        Destination; ``.png``, ``.svg`` or ``.pdf`` (no suffix: ``.png`` is added).
    dpi
        Resolution of raster formats.
    overwrite
        Replace an existing file (otherwise
        :class:`~omicsnet.errors.OutputExistsError`, raised before rendering).
    close
        Close the figure once written (when pyplot manages it).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from matplotlib.figure import Figure
    >>> path = save_figure(Figure(figsize=(1, 1)), pathlib.Path(tempfile.mkdtemp()) / "empty")
    >>> path.suffix, path.read_bytes()[:4]
    ('.png', b'\\x89PNG')
    """
    path = figure_path(path)
    if path.exists() and not overwrite:  # refuse before spending time on rendering
        atomic_write_bytes(path, b"", overwrite=False)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=path.suffix.lstrip(".").lower(), dpi=dpi, bbox_inches="tight")
    written = atomic_write_bytes(path, buffer.getvalue(), overwrite=overwrite)
    if close and "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close(fig)
    return written


__all__ = ["FORMATS", "figure_path", "pyplot", "save_figure"]
