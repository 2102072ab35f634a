"""Layer `line`: a curve through (x, y), e.g. the model's current fit line."""

from __future__ import annotations

from typing import Literal

from matplotlib.axes._base import _process_plot_format
from pydantic import Field, PositiveFloat, field_validator

from scenespec.frame import Frame
from scenespec.layers.base import BuildContext, Painter, XYLayer, register_layer
from scenespec.layers.channels import CYCLE, Channel, constant


class LineLayer(XYLayer):
    """A line through (x, y); with a stepped y it moves from frame to frame."""

    kind: Literal["line"]
    style: str | None = Field(None, description="Matplotlib format string, e.g. `g--` (green dashed).")
    linewidth: PositiveFloat | None = Field(None, description="Line width in points.")

    channels = (
        Channel("x", "vector", required=True),
        Channel("y", "matched:x", required=True),
        constant("color", CYCLE),  # a colour in `style` (`g--`) wins over the cycle
        constant("linewidth", 2.0),  # wider than the theme's `lines.linewidth`, as the article draws its fit line
    )
    example = 'layers = [{ kind = "line", x = "fit.x", y = "fit.pred", style = "g--", label = "Fitting line" }]'

    @field_validator("style")
    @classmethod
    def _valid_format(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                _process_plot_format(value)
            except ValueError as exc:
                raise ValueError(f"not a matplotlib format string: {exc}") from None
        return value


class LinePainter(Painter[LineLayer]):
    def build(self, ctx: BuildContext, frame: Frame) -> None:
        args = [self.spec.style] if self.spec.style else []
        kwargs = self.artist_kwargs(color="color", lw="linewidth")
        self.artists = ctx.ax.plot(self.value_at("x", frame), self.value_at("y", frame), *args, **kwargs)

    def update(self, frame: Frame) -> None:
        self.artists[0].set_data(self.value_at("x", frame), self.value_at("y", frame))


register_layer(LineLayer, LinePainter)
