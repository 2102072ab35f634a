"""Tick labels of a 3D panel that would touch each other are left blank.

Two axes of a 3D box meet at its front corner, and each labels its own end of it: from most cameras the x axis'
last label and the y axis' first one run into each other there (`10−10`), and the z axis' first label sits just
above them. Where the labels land is only known once matplotlib has projected the box, so the compiler measures
them after its layout draw and blanks, axis by axis (x, then y, then z), each label that comes closer than
`GAP` to one already kept. The tick stays; only its text goes, so the other labels keep their places.

A camera that moves brings other corners to the front: its panel is laid out again for each frame's view
(`declutter_view`, the axes alone, as `Axes3D.draw` lays them out) before the frame is drawn.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backend_bases import RendererBase
from matplotlib.ticker import Formatter
from matplotlib.transforms import Bbox
from mpl_toolkits.mplot3d import Axes3D
from mpl_toolkits.mplot3d.axis3d import Axis

GAP = 2.0
"""Points of free space kept between two tick labels: closer than that, they read as one."""


def tick_label_boxes(axis: Axis, renderer: RendererBase) -> list[tuple[float, Bbox]]:
    """The drawn, non-empty tick labels of `axis` inside its limits: (tick value, window extent), as last drawn."""
    low, high = sorted(axis.get_view_interval())
    slack = (high - low) * 1e-9
    return [
        (float(tick.get_loc()), tick.label1.get_window_extent(renderer))
        for tick in axis.majorTicks
        if tick.label1.get_visible() and tick.label1.get_text() and low - slack <= tick.get_loc() <= high + slack
    ]


def _touches(box: Bbox, others: list[Bbox], pad: float) -> bool:
    grown = box.padded(pad)
    return any(grown.overlaps(other) for other in others)


class BlankedFormatter(Formatter):
    """Another formatter's labels, with nothing written at some values."""

    def __init__(self, inner: Formatter, values: set[float]) -> None:
        self.inner = inner
        self.values = values

    def __call__(self, x: float, pos: int | None = None) -> str:
        if any(abs(x - value) <= 1e-9 * max(1.0, abs(value)) for value in self.values):
            return ""
        return self.inner(x, pos)

    def set_locs(self, locs: list[float]) -> None:
        super().set_locs(locs)
        self.inner.set_locs(locs)

    def get_offset(self) -> str:
        return self.inner.get_offset()


def declutter_tick_labels(ax: Axes3D, renderer: RendererBase) -> dict[str, list[float]]:
    """Blank the tick labels that would touch one kept before them; returns the blanked values per axis."""
    pad = GAP * float(renderer.points_to_pixels(1.0)) / 2  # type: ignore[arg-type]  # a float for a float
    kept: list[Bbox] = []
    blanked: dict[str, list[float]] = {}
    for name, axis in (("x", ax.xaxis), ("y", ax.yaxis), ("z", ax.zaxis)):
        hidden = []
        for value, box in tick_label_boxes(axis, renderer):
            if _touches(box, kept, pad):
                hidden.append(value)
            else:
                kept.append(box)
        if hidden:
            axis.set_major_formatter(BlankedFormatter(axis.get_major_formatter(), set(hidden)))
            blanked[name] = hidden
    return blanked


def declutter_view(ax: Axes3D, renderer: RendererBase) -> dict[str, list[float]]:
    """Blank the labels that touch from the axes' current camera, after putting back those blanked for another.

    The tick labels land where `Axes3D.draw` puts them: its projection for the current view, then each axis
    drawn (here into the renderer the frame's own draw clears and draws again)."""
    axes = (ax.xaxis, ax.yaxis, ax.zaxis)
    for axis in axes:
        formatter = axis.get_major_formatter()
        if isinstance(formatter, BlankedFormatter):
            axis.set_major_formatter(formatter.inner)
    ax.M = ax.get_proj()
    ax.invM = np.linalg.inv(ax.M)
    for axis in axes:
        axis.draw(renderer)
    return declutter_tick_labels(ax, renderer)
