"""Layer `metric`: a scalar recorded per step, drawn up to the current frame's step (article 002's side panels).

The whole-dataset loss and the per-batch loss over training: a curve that grows
with the frames and a dot at the current value. On a log axis (`yscale = "log"` on
the panel) values that are not positive are left out rather than clipped. `smooth = w` is the
`trailing_average` transform's (`scenespec/transform/trailing_average.py`) with `width = w`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
from matplotlib.lines import Line2D
from pydantic import Field, PositiveFloat, model_validator

from scenespec.frame import Frame
from scenespec.layers._tween import history
from scenespec.layers.base import BuildContext, ColorChecked, Extent, Painter, register_layer
from scenespec.layers.channels import CYCLE, Channel, constant, theme
from scenespec.resolve.trace import TraceField
from scenespec.transform.trailing_average import trailing_average
from scenespec.validate.base import Binding
from scenespec.validate.drawable import Label
from scenespec.validate.limits import FieldSize

MAX_SMOOTH = 10_000


class MetricLayer(ColorChecked):
    """A stepped scalar (e.g. `net.loss`) as a curve up to the current step, with a dot at the current value."""

    kind: Literal["metric"]
    y: Binding = Field(description="A scalar recorded at every step, e.g. `net.loss` or `net.batch_loss`.")
    x: Binding | None = Field(
        None, description="A scalar recorded at every step used as x, e.g. `net.batch`; default: the step numbers."
    )
    color: str | None = Field(
        None,
        description="Line and marker colour; default: the theme's colour of the optimizer whose loss it plots "
        "(a source with one optimizer), else the colour cycle.",
    )
    linewidth: PositiveFloat | None = Field(None, description="Line width in points.")
    marker: bool = Field(True, description="A dot at the current value.")
    line: bool = Field(
        True,
        description="The curve up to the current step; `false` leaves the dot alone, a marker that moves to each "
        "step's value (e.g. the best epoch so far, with `x`).",
    )
    label: Label | None = Field(None, description="Legend entry.")
    smooth: int = Field(
        1,
        ge=1,
        le=MAX_SMOOTH,
        description="Trailing moving average over the last `smooth` recorded values (fewer at the start), "
        "so drawn points never change as the curve grows; 1 = none.",
    )
    alpha: float | None = Field(None, ge=0, le=1, description="Opacity, 0 to 1.")

    channels = (
        Channel("y", "scalar", "stepped", required=True),
        Channel("x", "scalar", "stepped"),
        constant("color", CYCLE),
        constant("linewidth", theme("lines.linewidth")),
    )
    example = 'layers = [{ kind = "metric", y = "net.loss", x = "net.batch", label = "loss" }]'

    @model_validator(mode="after")
    def _draws_something(self) -> MetricLayer:
        if not self.line and not self.marker:
            raise ValueError("line = false and marker = false draw nothing; keep one of them")
        return self

    def drawn_points(self, sizes: Mapping[str, FieldSize]) -> int:
        """The curve of every recorded step, up to the last."""
        return max((size.per_step * (size.steps or 1) for size in sizes.values()), default=0)


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


register_layer(MetricLayer, MetricPainter)
