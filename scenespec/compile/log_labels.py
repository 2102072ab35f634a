"""Minor tick labels of a log axis that never touch: as many as fit, the roundest first.

Matplotlib labels the minor ticks of a log axis (2, 3, 4, 6 × 10ⁿ) when at most one decade boundary is
in view, however short the axis is: in a small side panel `6×10⁻¹`, `4×10⁻¹`, `3×10⁻¹`, `2×10⁻¹` pile up
and touch. `SpacedLogFormatter` keeps matplotlib's choice of candidates and, when the ticks are laid out
for a draw, drops those whose label would come closer to an already kept one than a small gap: the major
labels are kept first, then the minor ones in the order 2, 5, 3, 4, 6, 7, 8, 9 (the values a reader
interpolates from most easily). The room is measured in pixels with the labels' own font, so it holds at
every size and dpi, and is decided anew when limits change.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axis import Axis, YAxis
from matplotlib.scale import LogTransform
from matplotlib.ticker import LogFormatterSciNotation

PRIORITY = (2, 5, 3, 4, 6, 7, 8, 9)
"""Minor coefficients in the order they are given room."""

GAP = 0.3
"""Space left between two labels, as a fraction of the labels' font size."""


class SpacedLogFormatter(LogFormatterSciNotation):
    """Matplotlib's minor log labels, without those that would overlap a neighbour's."""

    def __init__(self, base: float = 10.0) -> None:
        super().__init__(base, labelOnlyBase=False)
        self.log_base = base
        self._kept: set[float] | None = None

    def set_locs(self, locs: Sequence[float] | None = None) -> None:
        super().set_locs(locs)
        self._kept = None
        if locs is not None and isinstance(self.axis, Axis) and self.axis.axes is not None:
            self._kept = self._spaced(self.axis, [float(x) for x in locs])

    def candidate(self, x: float) -> str:
        """The label matplotlib would write at `x` ('' for a tick it leaves unlabelled)."""
        return str(super().__call__(x))

    def __call__(self, x: float, pos: int | None = None) -> str:
        text = self.candidate(x)
        if text and self._kept is not None and x not in self._kept:
            return ""
        return text

    def _spaced(self, axis: Axis, locs: list[float]) -> set[float]:
        """The minor locations whose labels fit between the major labels and each other."""
        lo, hi = sorted(axis.get_view_interval())
        shown = [x for x in locs if lo <= x <= hi and x > 0 and self.candidate(x)]
        majors = [m for m in axis.get_majorticklocs() if lo <= m <= hi and m > 0]
        measure = _Measure(axis, lo, hi)
        major = axis.get_major_formatter()
        kept: list[tuple[float, float]] = [
            (measure.position(m), measure.extent(text)) for m in majors if (text := major(m))
        ]
        chosen: set[float] = set()
        for x in sorted(shown, key=self._rank):
            place, size = measure.position(x), measure.extent(self.candidate(x))
            if all(abs(place - other) >= (size + extent) / 2 + measure.gap for other, extent in kept):
                kept.append((place, size))
                chosen.add(x)
        return chosen

    def _rank(self, x: float) -> tuple[int, float]:
        exponent = math.floor(math.log(x, self.log_base) + 1e-9)
        coefficient = round(x / self.log_base**exponent)
        rank = PRIORITY.index(coefficient) if coefficient in PRIORITY else len(PRIORITY)
        return rank, x


class _Measure:
    """Where along an axis a value's tick sits and how much room its label takes there, in pixels."""

    def __init__(self, axis: Axis, lo: float, hi: float) -> None:
        self.axis = axis
        self.vertical = isinstance(axis, YAxis)
        bbox = axis.axes.bbox
        self.length = bbox.height if self.vertical else bbox.width
        self.scale = axis.get_transform()
        self.ends = self.scale.transform(np.array([lo, hi], dtype=float))
        ticks = axis.get_minor_ticks(1) or axis.get_major_ticks(1)
        self.font = ticks[0].label1.get_fontproperties()
        self.pixels_per_point = axis.figure.dpi / 72
        self.gap = GAP * self.font.get_size_in_points() * self.pixels_per_point
        self.renderer = _renderer(axis)

    def position(self, value: float) -> float:
        t = float(self.scale.transform(np.array([value], dtype=float))[0])
        return (t - self.ends[0]) / (self.ends[1] - self.ends[0]) * self.length

    def extent(self, text: str) -> float:
        """The label's height (on a vertical axis) or width (on a horizontal one)."""
        if self.renderer is None:  # no canvas to measure with: a generous estimate
            size = self.font.get_size_in_points() * self.pixels_per_point
            return 1.5 * size if self.vertical else 0.6 * size * len(text.strip("$"))
        width, height, _ = self.renderer.get_text_width_height_descent(text, self.font, ismath="$" in text)
        return float(height if self.vertical else width)


def _renderer(axis: Axis) -> Any:
    canvas = axis.figure.canvas
    get = getattr(canvas, "get_renderer", None)
    return get() if get is not None else None


def space_log_labels(axis: Axis) -> None:
    """Give a log axis minor labels that never touch (a linear axis is left alone)."""
    transform = axis.get_transform()
    if axis.get_scale() == "log" and isinstance(transform, LogTransform):
        axis.set_minor_formatter(SpacedLogFormatter(transform.base))
