"""Layer `metric`: a scalar recorded per step, drawn up to the current frame's step (article 002's side panels).

The whole-dataset loss and the per-batch loss over training: a curve that grows
with the frames and a dot at the current value. On a log axis (`yscale = "log"` on
the panel) values that are not positive are left out rather than clipped. `smooth = w` is the
`trailing_average` transform's (`scenespec/transform/trailing_average.py`) with `width = w`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field, PositiveFloat, model_validator

from scenespec.layers.base import ColorChecked, register_layer
from scenespec.layers.channels import CYCLE, Channel, constant, theme
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


register_layer(MetricLayer, "scenespec.paint.metric:MetricPainter")
