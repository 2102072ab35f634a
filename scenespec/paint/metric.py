"""Painter of layer `metric` (its model: `scenespec/layers/metric.py`): the matplotlib side, imported by a render."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.lines import Line2D

from scenespec.frame import Frame
from scenespec.layers.metric import MetricLayer
from scenespec.paint._tween import history
from scenespec.paint.base import BuildContext, Extent, Painter
from scenespec.resolve.trace import TraceField
from scenespec.transform.trailing_average import trailing_average


class MetricPainter(Painter[MetricLayer]):
    """Smooths the whole record once; per frame shows the part recorded up to the frame's step."""

    line: Line2D
    dot: Line2D | None

    def __init__(self, spec: MetricLayer, fields: Mapping[str, TraceField]) -> None:
        super().__init__(spec, fields)
        self.x_log = self.y_log = False
        self._prepare()

    def _prepare(self) -> None:
        """The whole record, smoothed once, with its x values."""
        y = self.fields["y"]
        assert y.steps is not None
        self.steps = y.steps
        self.ys = trailing_average(y.data.ravel(), self.spec.smooth)
        if "x" in self.fields:
            xf = self.fields["x"]
            assert xf.steps is not None
            rows = np.clip(np.searchsorted(xf.steps, self.steps, side="right") - 1, 0, None)
            self.xs = np.asarray(xf.data, dtype=float).ravel()[rows]
        else:
            self.xs = self.steps.astype(float)

    def refresh(self, fields: Mapping[str, TraceField], frames: Sequence[Frame]) -> None:
        super().refresh(fields, frames)
        self._prepare()

    @property
    def dynamic(self) -> bool:
        return True

    def shown(self, frame: Frame) -> tuple[np.ndarray, np.ndarray]:
        """x and (smoothed) y of every value recorded at or before the frame's step, or on an in-between frame
        of `frames.tween` up to its position, ending at a point interpolated there (`_tween.history`); hidden
        on a log axis if not > 0."""
        xs, ys = history(self.steps, self.xs, frame), history(self.steps, self.ys, frame)
        if self.x_log or self.y_log:
            keep = np.ones(len(xs), dtype=bool)
            if self.x_log:
                keep &= xs > 0
            if self.y_log:
                keep &= ys > 0
            xs, ys = np.where(keep, xs, np.nan), np.where(keep, ys, np.nan)
        return xs, ys

    def extent(self, frame_steps: np.ndarray) -> Extent:
        end = int(np.searchsorted(self.steps, int(frame_steps.max()), side="right"))
        return Extent(self.xs[:end], self.ys[:end])

    def build(self, ctx: BuildContext, frame: Frame) -> None:
        self.x_log = ctx.ax.get_xscale() == "log"
        self.y_log = ctx.ax.get_yscale() == "log"
        kwargs = self.artist_kwargs(color="color", lw="linewidth")
        themed = self.optimizer_colors(1)  # one optimizer's series (its loss): that optimizer's colour
        if themed is not None:
            kwargs["color"] = themed[0]
        (self.line,) = ctx.ax.plot([], [], **kwargs)
        self.dot = None
        if self.spec.marker:
            size = max(2.5 * self.style("linewidth"), 5.0)
            extra = self.common_kwargs(label=False)
            (self.dot,) = ctx.ax.plot([], [], ls="none", marker="o", ms=size, color=self.line.get_color(), **extra)
        if not self.spec.line:  # the dot alone: the curve stays empty, and the legend shows the dot
            self.line.set_linestyle("none")
            if self.dot is not None:
                self.line.set_marker("o")
                self.line.set_markersize(self.dot.get_markersize())
        self.artists = [self.line] if self.dot is None else [self.line, self.dot]
        self.update(frame)

    def frame_extent(self, frame: Frame) -> Extent:
        """The curve as far as the frame draws it, for limits that grow with the data."""
        return Extent(history(self.steps, self.xs, frame), history(self.steps, self.ys, frame))

    def update(self, frame: Frame) -> None:
        xs, ys = self.shown(frame)
        if self.spec.line:
            self.line.set_data(xs, ys)
        if self.dot is not None:
            self.dot.set_data(xs[-1:], ys[-1:])
