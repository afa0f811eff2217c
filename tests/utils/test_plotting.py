"""The one figure style: units on axes, labelled colour bars, sample titles, PCA variance
and a label placer that keeps its budget and never overlaps (asserted on the figure
objects, not on pixels)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from matplotlib.figure import Figure

from omicsnet.errors import ConfigError
from omicsnet.utils.plotting import (
    axis_label,
    colorbar,
    label_axes,
    label_pca_axes,
    place_labels,
    sample_title,
    style,
    variance_label,
    wrap_label,
)


def _renderer(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if hasattr(fig.canvas, "get_renderer") else FigureCanvasAgg(fig)
    return canvas.get_renderer()


def _overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_axis_labels_carry_units():
    assert axis_label("growth rate", "1/h") == "growth rate (1/h)"
    assert axis_label("accuracy") == "accuracy"
    ax = label_axes(Figure().subplots(), x=("RT", "min"), y=("intensity", None))
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("RT (min)", "intensity")
    with pytest.raises(ConfigError, match="needs a quantity"):
        axis_label("  ", "min")


def test_colorbar_must_say_what_it_shows():
    ax = Figure().subplots()
    image = ax.imshow(np.eye(4))
    bar = colorbar(image, ax, "saliency (scaled to 0-1)")
    assert bar.ax.get_ylabel() == "saliency (scaled to 0-1)"
    with pytest.raises(ConfigError, match="needs a label"):
        colorbar(image, ax, "")


def test_sample_title_names_the_sample():
    fig = Figure()
    sample_title(fig, "C01", "predicted cancer (p = 0.41)")
    assert fig.get_suptitle() == "sample C01 - predicted cancer (p = 0.41)"


@pytest.mark.parametrize(
    ("ratio", "text"),
    [
        (0.3412, "PC1 (34 % variance)"),
        (0.042, "PC1 (4.2 % variance)"),
        (1e-5, "PC1 (<0.1 % variance)"),
    ],
)
def test_variance_label(ratio, text):
    assert variance_label(1, ratio) == text


def test_pca_axes_show_both_components_and_their_variance():
    ax = label_pca_axes(Figure().subplots(), np.array([0.5, 0.25, 0.1]))
    assert ax.get_xlabel() == "PC1 (50 % variance)"
    assert ax.get_ylabel() == "PC2 (25 % variance)"
    # one component only (a constant layer): the second axis has no variance to state
    ax = label_pca_axes(Figure().subplots(), [1.0])
    assert ax.get_ylabel() == "PC2"


def test_style_gives_coinciding_lines_different_dashes():
    with style():
        ax = Figure().subplots()
        first, second = ax.plot([0, 1], [0, 1]), ax.plot([0, 1], [0, 1])
    assert first[0].get_linestyle() != second[0].get_linestyle()
    assert first[0].get_color() != second[0].get_color()


def test_wrap_label_wraps_and_only_cuts_very_long_names():
    assert wrap_label("pykF") == "pykF"
    wrapped = wrap_label("(7Z)-octadecenoic acid")
    assert wrapped.replace("\n", " ") == "(7Z)-octadecenoic acid" and wrapped.count("\n") == 1
    cut = wrap_label("ATP binding cassette subfamily A member 1 and more words", width=10)
    assert cut.endswith("\u2026") and cut.count("\n") <= 1


def _crowd(n=150, seed=0):
    rng = np.random.default_rng(seed)
    fig = Figure(figsize=(4, 3), dpi=100)
    ax = fig.subplots()
    x, y = rng.random(n), rng.random(n)
    ax.scatter(x, y, s=16)
    ax.set(xlim=(-0.05, 1.05), ylim=(-0.05, 1.05))
    labels = [f"metabolite {i}" for i in range(n)]
    return fig, ax, x, y, labels


def test_labels_respect_the_budget_and_never_overlap():
    fig, ax, x, y, labels = _crowd()
    done = place_labels(ax, x, y, labels, budget=25, marker_size=4.0, fontsize=6)
    assert 0 < len(done.texts) <= 25
    assert sorted(done.placed + done.skipped) == list(range(len(labels)))
    renderer = _renderer(fig)
    boxes = [t.get_window_extent(renderer) for t in done.texts]
    assert not any(_overlap(a, b) for a, b in itertools.combinations(boxes, 2))
    frame = ax.get_window_extent(renderer)
    assert all(frame.x0 - 1 <= b.x0 and b.x1 <= frame.x1 + 1 for b in boxes)
    # no label covers another point's marker (the marker's centre, at least)
    centres = ax.transData.transform(np.column_stack([x, y]))
    for index, box in zip(done.placed, boxes, strict=True):
        inside = [
            k for k, (cx, cy) in enumerate(centres)
            if k != index and box.x0 < cx < box.x1 and box.y0 < cy < box.y1
        ]  # fmt: skip
        assert not inside


def test_labels_follow_priority():
    _fig, ax, x, y, labels = _crowd(60, seed=1)
    priority = np.arange(60)[::-1].astype(float)  # the first points matter most
    done = place_labels(ax, x, y, labels, budget=5, priority=priority, marker_size=4.0)
    assert done.placed == sorted(done.placed)  # placed in priority order
    assert done.placed[0] == 0  # the most important point always finds a spot in free space


def test_two_points_on_top_of_each_other_get_two_separate_labels():
    fig = Figure(figsize=(3, 3), dpi=100)
    ax = fig.subplots()
    ax.set(xlim=(-1, 1), ylim=(-1, 1))
    done = place_labels(ax, [0, 0], [0, 0], ["ASAH2", "ACER3"], budget=10)
    assert done.placed == [0, 1]
    a, b = (t.get_window_extent(_renderer(fig)) for t in done.texts)
    assert not _overlap(a, b)


def test_label_errors():
    ax = Figure().subplots()
    with pytest.raises(ConfigError, match="2 labels for 1 x"):
        place_labels(ax, [0], [0, 1], ["a", "b"])
    with pytest.raises(ConfigError, match="budget"):
        place_labels(ax, [0], [0], ["a"], budget=-1)
