"""Figures written once: one style, labelled axes, and atomic figure files.

Library code draws on figures from :func:`pyplot` (the non-interactive Agg backend is
chosen only when nobody has started pyplot yet, so a notebook keeps its own backend) and
writes them with :func:`save_figure`: the format follows the suffix, the file appears
complete or not at all, and the figure is closed so that long jobs do not accumulate
open figures. matplotlib is imported only when a figure is drawn.

Every figure of omicsnet is drawn the same way, with the helpers below:

* :func:`style` (or the :func:`styled` decorator): one set of rc parameters (readable
  font sizes, no legend frames, and a line cycle that changes the dash pattern with the
  colour, so that a curve lying on another one still shows);
* :func:`axis_label` / :func:`label_axes`: axis titles with their units, ``"RT (min)"``;
* :func:`colorbar`: a colour bar that always says what its colours mean;
* :func:`sample_title`: the sample a figure is about, in its title;
* :func:`variance_label` / :func:`label_pca_axes`: ``"PC1 (34 % variance)"``;
* :func:`place_labels`: point labels that never overlap each other or the points,
  placed in priority order up to a label budget (the rest are left unlabelled and
  counted), long names wrapped rather than cut.

Examples
--------
>>> import tempfile, pathlib
>>> plt = pyplot()
>>> with style():
...     fig, ax = plt.subplots(figsize=(2, 2))
...     _ = ax.plot([0, 1], [0, 1])
...     _ = label_axes(ax, x=("retention time", "min"), y="m/z")
>>> ax.get_xlabel(), ax.get_ylabel()
('retention time (min)', 'm/z')
>>> path = save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "line.svg")
>>> path.suffix, plt.fignum_exists(fig.number)
('.svg', False)
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from omicsnet.errors import ConfigError
from omicsnet.utils.io import atomic_write_bytes

FORMATS = ("png", "svg", "pdf")

F = TypeVar("F", bound=Callable[..., Any])

#: Colours of successive lines (matplotlib's tab10 without its grey and olive).
LINE_COLOURS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
)  # fmt: skip
#: Dash patterns paired with :data:`LINE_COLOURS`: two curves that coincide still show
#: both (a dashed line on a solid one), also in greyscale print.
LINE_STYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1)), (0, (1, 1)), (0, (6, 2, 1, 2)))

#: The rc parameters of every omicsnet figure (see :func:`style`).
STYLE: dict[str, Any] = {
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.title_fontsize": 8,
    "legend.frameon": False,
    "figure.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "grid.alpha": 0.3,
    "lines.linewidth": 1.6,
    "lines.markersize": 4,
    "image.cmap": "viridis",
    "savefig.dpi": 150,
    "axes.formatter.limits": (-3, 5),  # offsets/e-notation only outside 1e-3 .. 1e5
    "axes.formatter.use_mathtext": True,
}


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


@contextlib.contextmanager
def style(**overrides: Any) -> Iterator[None]:
    """Draw inside this context to get omicsnet's figure style (:data:`STYLE`).

    rc parameters are read when artists are created, so the figure and its axes must be
    made inside the context; ``overrides`` replace single parameters.

    Examples
    --------
    >>> import matplotlib
    >>> with style(**{"font.size": 7}):
    ...     matplotlib.rcParams["font.size"], matplotlib.rcParams["legend.frameon"]
    (7.0, False)
    """
    import matplotlib
    from cycler import cycler

    params = {
        **STYLE,
        "axes.prop_cycle": cycler(color=list(LINE_COLOURS), linestyle=list(LINE_STYLES)),
        **overrides,
    }
    with matplotlib.rc_context(params):
        yield


def styled(func: F) -> F:
    """Decorator: run a plotting function inside :func:`style`.

    Examples
    --------
    >>> @styled
    ... def fontsize():
    ...     import matplotlib
    ...     return matplotlib.rcParams["xtick.labelsize"]
    >>> fontsize()
    8.0
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with style():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def axis_label(quantity: str, unit: str | None = None) -> str:
    """An axis title with its unit in parentheses (none for unit-free quantities).

    Examples
    --------
    >>> axis_label("growth rate", "1/h"), axis_label("accuracy")
    ('growth rate (1/h)', 'accuracy')
    """
    quantity = str(quantity).strip()
    if not quantity:
        raise ConfigError("an axis label needs a quantity")
    return f"{quantity} ({unit})" if unit else quantity


def label_axes(
    ax: Any,
    x: str | tuple[str, str | None] | None = None,
    y: str | tuple[str, str | None] | None = None,
) -> Any:
    """Set the x and y titles of ``ax``: a string, or ``(quantity, unit)``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = label_axes(Figure().subplots(), x=("RT", "min"), y=("share of peaks", "%"))
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('RT (min)', 'share of peaks (%)')
    """
    for value, setter in ((x, ax.set_xlabel), (y, ax.set_ylabel)):
        if value is None:
            continue
        setter(axis_label(*value) if isinstance(value, tuple) else axis_label(value))
    return ax


def percent_axis(ax: Any, which: str = "y", *, xmax: float = 1.0, decimals: int | None = 0) -> Any:
    """Show a fraction axis (0 to ``xmax``) as percentages.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = percent_axis(Figure().subplots(), "x")
    >>> ax.xaxis.get_major_formatter()(0.25, 0)
    '25%'
    """
    from matplotlib.ticker import PercentFormatter

    if which not in ("x", "y"):
        raise ConfigError(f"which must be 'x' or 'y', not {which!r}")
    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_major_formatter(PercentFormatter(xmax=xmax, decimals=decimals))
    return ax


def readable_ticks(ax: Any, *, x: int | None = 6, y: int | None = 6) -> Any:
    """At most ``x``/``y`` major ticks at round numbers (``None`` leaves an axis alone).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> _ = ax.plot([0.0, 0.2], [0.0, 1.0])
    >>> len(readable_ticks(ax, x=4).get_xticks()) <= 6   # ticks may include the limits
    True
    """
    from matplotlib.ticker import MaxNLocator

    if x is not None:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=x, steps=[1, 2, 2.5, 5, 10]))
    if y is not None:
        ax.yaxis.set_major_locator(MaxNLocator(nbins=y, steps=[1, 2, 2.5, 5, 10]))
    return ax


def colorbar(mappable: Any, ax: Any, label: str, **kwargs: Any) -> Any:
    """A colour bar for ``mappable`` beside ``ax`` (one axes or several) that says what it shows.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> bar = colorbar(ax.imshow(np.eye(3)), ax, "saliency (scaled to 0-1)")
    >>> bar.ax.get_ylabel()
    'saliency (scaled to 0-1)'
    """
    if not str(label).strip():
        raise ConfigError("a colour bar needs a label that says what its colours mean")
    figure = ax[0].figure if isinstance(ax, (list, tuple)) else getattr(ax, "figure", None)
    if figure is None:  # a numpy array of axes
        figure = ax.flat[0].figure
        ax = list(ax.flat)
    bar = figure.colorbar(mappable, ax=ax, **kwargs)
    bar.set_label(str(label))
    return bar


def sample_title(fig: Any, sample: str, detail: str | None = None, **kwargs: Any) -> Any:
    """Title a figure with the sample it shows: ``"sample C01 - true class cancer"``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> sample_title(Figure(), "healthy_1", "predicted healthy (p = 0.93)").get_text()
    'sample healthy_1 - predicted healthy (p = 0.93)'
    """
    text = f"sample {sample}" + (f" - {detail}" if detail else "")
    return fig.suptitle(text, **kwargs)


def variance_label(component: int, ratio: float | None) -> str:
    """``"PC1 (34 % variance)"``: a principal-component axis and the variance it explains.

    Examples
    --------
    >>> variance_label(1, 0.3412), variance_label(2, 0.042), variance_label(3, 0.0004)
    ('PC1 (34 % variance)', 'PC2 (4.2 % variance)', 'PC3 (<0.1 % variance)')
    >>> variance_label(2, None)
    'PC2'
    """
    name = f"PC{int(component)}"
    if ratio is None or ratio != ratio:  # not known (or NaN)
        return name
    percent = 100.0 * float(ratio)
    if percent < 0.1:
        text = "<0.1"
    elif percent < 10:
        text = f"{percent:.1f}"
    else:
        text = f"{percent:.0f}"
    return f"{name} ({text} % variance)"


def label_pca_axes(
    ax: Any, ratios: Sequence[float] | None, components: tuple[int, int] = (1, 2)
) -> Any:
    """Label the axes of a PCA scatter with the components and the variance they explain.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = label_pca_axes(Figure().subplots(), [0.62, 0.21])
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('PC1 (62 % variance)', 'PC2 (21 % variance)')
    """
    ratios = list(ratios) if ratios is not None else []
    cx, cy = components
    ax.set_xlabel(variance_label(cx, ratios[cx - 1] if len(ratios) >= cx else None))
    ax.set_ylabel(variance_label(cy, ratios[cy - 1] if len(ratios) >= cy else None))
    return ax


def wrap_label(text: str, width: int = 16, max_lines: int = 2) -> str:
    """A long name on at most ``max_lines`` lines of about ``width`` characters.

    Lines break at spaces and hyphens; lines may grow to 1.5 ``width`` rather than cut the
    name, and only a name longer than that is cut, ending with an ellipsis.

    Examples
    --------
    >>> wrap_label("D-glucurono-6,3-lactone")
    'D-glucurono-6,3-\\nlactone'
    >>> wrap_label("(7Z)-octadecenoic acid")
    '(7Z)-octadecenoic\\nacid'
    >>> wrap_label("ATP binding cassette subfamily A member 1", width=12)
    'ATP binding\\ncassette su…'
    >>> wrap_label("ASAH2")
    'ASAH2'
    """
    text = " ".join(str(text).split())
    if len(text) <= width:
        return text
    lines = textwrap.wrap(text, width=width, break_on_hyphens=True) or [text]
    for wider in range(width + 1, width + width // 2 + 1):  # a little wider beats cutting
        if len(lines) <= max(1, max_lines):
            break
        lines = textwrap.wrap(text, width=wider, break_on_hyphens=True) or [text]
    if min(map(len, lines)) < 4 and len(text) <= width + width // 2:
        return text  # no line of two characters: "3-" / "dehydrosphinganine"
    if len(lines) > max(1, max_lines):
        rest = text
        for line in lines[: max_lines - 1]:  # textwrap keeps every character but break spaces
            rest = rest[len(line) :].lstrip()
        lines = [*lines[: max_lines - 1], rest[: max(1, width - 1)].rstrip() + "\u2026"]
    return "\n".join(lines)


@dataclass
class PlacedLabels:
    """What :func:`place_labels` did.

    Attributes
    ----------
    texts
        The label artists placed, in priority order.
    placed
        Index (into the points given) of each placed label.
    skipped
        Indices of labels left out: past the budget, or with no free spot.
    """

    texts: list[Any] = field(default_factory=list)
    placed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


def _renderer(fig: Any) -> Any:
    """A renderer that measures text as the saved figure will (Agg for plain Figures)."""
    canvas = fig.canvas
    if not hasattr(canvas, "get_renderer"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        canvas = FigureCanvasAgg(fig)
    return canvas.get_renderer()


# Candidate spots around a point, in order of preference: (dx, dy, ha, va)
_SPOTS = (
    (1, 0, "left", "center"),
    (-1, 0, "right", "center"),
    (0, 1, "center", "bottom"),
    (0, -1, "center", "top"),
    (0.8, 0.8, "left", "bottom"),
    (-0.8, 0.8, "right", "bottom"),
    (0.8, -0.8, "left", "top"),
    (-0.8, -0.8, "right", "top"),
)


def place_labels(
    ax: Any,
    x: Sequence[float],
    y: Sequence[float],
    labels: Sequence[str],
    *,
    budget: int = 40,
    priority: Sequence[float] | None = None,
    marker_size: float | Sequence[float] = 6.0,
    fontsize: float = 6.5,
    gap: float = 1.5,
    wrap: int | None = 16,
    colors: Sequence[Any] | None = None,
    **text_kwargs: Any,
) -> PlacedLabels:
    """Label points without overlaps, most important first, up to a label budget.

    Each label tries eight spots around its point (right, left, above, below, then the
    diagonals) and takes the first one that overlaps no label placed before it, no point
    marker and stays inside the axes; a label with no free spot is left out, so a crowded
    figure shows fewer labels rather than a pile of them. Long names are wrapped
    (:func:`wrap_label`), not cut. Call it last, with the axis limits set: spots are
    measured in display space, so a figure with a layout engine (constrained or tight
    layout) is laid out here and then kept as it is.

    Parameters
    ----------
    ax
        The axes holding the points.
    x, y
        Point coordinates (data units).
    labels
        One label per point (empty strings are not placed).
    budget
        Largest number of labels placed.
    priority
        Higher is labelled first (default: the order given).
    marker_size
        Marker diameter in points, one for all or one per point (the scatter size ``s`` is
        an area: pass ``sqrt(s)``); labels keep clear of every marker.
    fontsize, gap
        Label font size, and the gap between a marker and its label (points).
    wrap
        Characters per line of wrapped names (``None``: never wrap).
    colors
        One text colour per point (default black).
    text_kwargs
        Passed to ``ax.annotate``.

    Returns
    -------
    PlacedLabels

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure(figsize=(3, 3)).subplots()
    >>> _ = ax.scatter([0, 0.01, 1], [0, 0.01, 1]); _ = ax.set(xlim=(-1, 2), ylim=(-1, 2))
    >>> done = place_labels(ax, [0, 0.01, 1], [0, 0.01, 1], ["a", "b", "c"], budget=2)
    >>> done.placed, done.skipped
    ([0, 1], [2])
    """
    import numpy as np

    n = len(labels)
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(xs) != n or len(ys) != n:
        raise ConfigError(f"{n} labels for {len(xs)} x and {len(ys)} y values")
    if budget < 0:
        raise ConfigError(f"the label budget must be >= 0, got {budget}")
    sizes = np.broadcast_to(np.asarray(marker_size, dtype=float), (n,))
    order = list(range(n))
    if priority is not None:
        if len(priority) != n:
            raise ConfigError(f"{len(priority)} priorities for {n} labels")
        keys = np.asarray(priority, dtype=float)
        order = sorted(order, key=lambda i: (-keys[i], i))  # stable: ties keep the order given
    fig = ax.figure
    renderer = _renderer(fig)
    if fig.get_layout_engine() is not None:  # lay the figure out now, then keep it so
        fig.draw_without_rendering()
        fig.set_layout_engine("none")
    px = fig.dpi / 72.0  # pixels per point
    centres = ax.transData.transform(np.column_stack([xs, ys])) if n else np.zeros((0, 2))
    radius = sizes * px / 2
    frame = ax.get_window_extent(renderer)
    obstacles = np.column_stack([centres - radius[:, None], centres + radius[:, None]])
    boxes: list[np.ndarray] = []
    result = PlacedLabels()

    def free(box: np.ndarray, own: int) -> bool:
        if box[0] < frame.x0 or box[1] < frame.y0 or box[2] > frame.x1 or box[3] > frame.y1:
            return False
        hit = (
            (obstacles[:, 0] < box[2]) & (obstacles[:, 2] > box[0])
            & (obstacles[:, 1] < box[3]) & (obstacles[:, 3] > box[1])
        )  # fmt: skip
        hit[own] = False
        if hit.any():
            return False
        return not any(
            b[0] < box[2] and b[2] > box[0] and b[1] < box[3] and b[3] > box[1] for b in boxes
        )

    for i in order:
        text = str(labels[i])
        if not text or not (np.isfinite(xs[i]) and np.isfinite(ys[i])):
            result.skipped.append(i)
            continue
        if len(result.placed) >= budget:
            result.skipped.append(i)
            continue
        shown = wrap_label(text, wrap) if wrap else text
        colour = colors[i] if colors is not None else "black"
        probe = ax.annotate(shown, (0, 0), xycoords="figure pixels", fontsize=fontsize,
                            ha="left", va="bottom", **text_kwargs)  # fmt: skip
        extent = probe.get_window_extent(renderer)
        probe.remove()
        w, h = extent.width, extent.height
        reach = radius[i] + gap * px
        cx, cy = centres[i]
        for dx, dy, ha, va in _SPOTS:
            ox, oy = cx + dx * reach, cy + dy * reach
            left = {"left": ox, "right": ox - w, "center": ox - w / 2}[ha]
            bottom = {"bottom": oy, "top": oy - h, "center": oy - h / 2}[va]
            box = np.array([left, bottom, left + w, bottom + h])
            if free(box, i):
                artist = ax.annotate(
                    shown, (xs[i], ys[i]), xytext=(dx * reach / px, dy * reach / px),
                    textcoords="offset points", ha=ha, va=va, fontsize=fontsize,
                    color=colour, annotation_clip=False, **text_kwargs,
                )  # fmt: skip
                boxes.append(box)
                result.texts.append(artist)
                result.placed.append(i)
                break
        else:
            result.skipped.append(i)
    return result


__all__ = [
    "FORMATS",
    "LINE_COLOURS",
    "LINE_STYLES",
    "STYLE",
    "PlacedLabels",
    "axis_label",
    "colorbar",
    "figure_path",
    "label_axes",
    "label_pca_axes",
    "percent_axis",
    "place_labels",
    "pyplot",
    "readable_ticks",
    "sample_title",
    "save_figure",
    "style",
    "styled",
    "variance_label",
    "wrap_label",
]
