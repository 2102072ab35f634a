"""Tick labels of log axes never overlap, measured with the renderer's window extents of the drawn labels."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from scenespec.compile.log_labels import SpacedLogFormatter, space_log_labels
from scenespec.pipeline import build, prepare, scene_style

SPECS = Path(__file__).resolve().parent.parent / "specs"


def drawn_labels(axis: Axis) -> list[Text]:
    """The tick labels the last draw showed: visible, non-empty, at ticks inside the view."""
    lo, hi = sorted(axis.get_view_interval())
    labels = []
    for ticks in (axis.get_major_ticks(), axis.get_minor_ticks()):
        for tick in ticks:
            if lo <= tick.get_loc() <= hi and tick.label1.get_visible() and tick.label1.get_text():
                labels.append(tick.label1)
    return labels


def overlapping(axis: Axis) -> list[tuple[str, str]]:
    renderer = axis.figure.canvas.get_renderer()
    boxes = [(label.get_text(), label.get_window_extent(renderer)) for label in drawn_labels(axis)]
    return [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2) if box_a.overlaps(box_b)]


def log_axis(limits: tuple[float, float], size: tuple[float, float], which: str, dpi: int = 100) -> Axis:
    figure = Figure(figsize=size, dpi=dpi)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    axis = ax.yaxis if which == "y" else ax.xaxis
    (ax.set_yscale if which == "y" else ax.set_xscale)("log")
    (ax.set_ylim if which == "y" else ax.set_xlim)(*limits)
    space_log_labels(axis)
    figure.canvas.draw()
    return axis


@pytest.mark.parametrize("which", ["y", "x"])
@pytest.mark.parametrize("limits", [(0.025, 0.8), (0.2, 0.9), (0.031, 0.099), (3e-4, 2.0), (1e-6, 1e3)])
@pytest.mark.parametrize("length", [1.2, 2.0, 6.0])
def test_no_two_tick_labels_of_a_log_axis_overlap(which: str, limits: tuple[float, float], length: float) -> None:
    size = (4.0, length) if which == "y" else (length, 3.0)
    axis = log_axis(limits, size, which)
    assert drawn_labels(axis), "nothing is labelled: the axis cannot be read"
    assert overlapping(axis) == []


def test_a_long_axis_keeps_every_minor_label_matplotlib_gives() -> None:
    """Room is only taken away where it is short: on a tall axis within one decade boundary, 2, 3, 4, 6 × 10ⁿ stay."""
    axis = log_axis((0.025, 0.8), (4.0, 9.0), "y")
    minor = sorted(round(t.get_loc(), 6) for t in axis.get_minor_ticks() if t.label1.get_text())
    within = [v for v in (0.03, 0.04, 0.06, 0.2, 0.3, 0.4, 0.6) if 0.025 <= v <= 0.8]
    assert minor == within
    assert overlapping(axis) == []


def test_a_short_axis_keeps_the_roundest_minor_label_first() -> None:
    """0.2 to 0.9 has no decade in view: matplotlib labels 2, 3, 4, 6 × 10⁻¹; on 1 inch the 2 and then others fit."""
    axis = log_axis((0.2, 0.9), (4.0, 1.0), "y")
    minor = [round(t.get_loc(), 6) for t in axis.get_minor_ticks() if t.label1.get_text()]
    assert 0.2 in minor and 0 < len(minor) < 4


def test_the_formatter_keeps_matplotlibs_text() -> None:
    axis = log_axis((0.025, 0.8), (4.0, 9.0), "y")
    formatter = axis.get_minor_formatter()
    assert isinstance(formatter, SpacedLogFormatter)
    text = next(t.label1.get_text() for t in axis.get_minor_ticks() if abs(t.get_loc() - 0.3) < 1e-9)
    assert text == r"$\mathdefault{3\times10^{-1}}$"


def test_learner_sine_side_panels_have_no_touching_labels() -> None:
    prepared = prepare(SPECS / "learner_sine.toml", ["sources.net.epochs=2"])
    with scene_style(prepared.scene):
        graph = build(prepared)
        for frame in (prepared.frames[0], prepared.frames[-1]):
            graph.show(frame)
            graph.figure.canvas.draw()
            for panel in graph.panels:
                if panel.spec.yscale == "log":
                    assert overlapping(panel.ax.yaxis) == []
                    assert len(drawn_labels(panel.ax.yaxis)) >= 2
