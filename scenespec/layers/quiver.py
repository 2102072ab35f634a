"""Layer `quiver`: arrows of a vector field on a grid, e.g. the negative gradient (article 004, fig. 6-4)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveFloat, PositiveInt, model_validator

from scenespec.layers.base import ColormapLayer, register_layer
from scenespec.layers.channels import Channel, constant, theme
from scenespec.validate.base import Binding
from scenespec.validate.drawable import Label


class QuiverLayer(ColormapLayer):
    """Arrows (u, v) at grid points (x, y), thinned to a coarser grid so they stay readable."""

    kind: Literal["quiver"]
    x: Binding = Field(description="Grid x coordinates, e.g. `bowl.X`.")
    y: Binding = Field(description="Grid y coordinates, e.g. `bowl.Y`.")
    u: Binding = Field(description="x component on the grid, e.g. `bowl.GX` (the gradient's ∂f/∂x).")
    v: Binding = Field(description="y component on the grid, e.g. `bowl.GY`.")
    negate: bool = Field(
        True, description="Draw −(u, v): with a gradient bound, the arrows point downhill, where descent goes."
    )
    arrows: PositiveInt = Field(20, le=500, description="Arrows along each axis (the grid is subsampled evenly).")
    color: str | None = Field(None, description="Arrow colour when not coloured by size.")
    color_by: Literal["none", "magnitude"] = Field(
        "none", description="`magnitude`: colour each arrow by its length through `cmap`."
    )
    normalize: bool = Field(False, description="Draw every arrow the same length: direction only.")
    scale: PositiveFloat | None = Field(
        None, description="Data units per arrow length unit (matplotlib's `scale`); default: automatic."
    )
    width: PositiveFloat | None = Field(None, description="Shaft width as a fraction of the panel width.")
    alpha: float | None = Field(None, ge=0, le=1, description="Opacity, 0 to 1.")
    label: Label | None = Field(None, description="Legend entry.")

    channels = (
        Channel("x", "grid|vector", required=True),  # a grid, or scattered points
        Channel("y", "matched:x", required=True),
        Channel("u", "matched:x", required=True),
        Channel("v", "matched:x", required=True),
        constant("color", "#666666"),  # article 004's grey
        constant("cmap", theme("image.cmap")),
    )

    @model_validator(mode="after")
    def _colorbar_needs_colormap(self) -> QuiverLayer:
        if self.colorbar is not False and self.color_by != "magnitude":
            raise ValueError("a colorbar needs arrows coloured by a colormap: set color_by = 'magnitude'")
        return self

    example = 'layers = [{ kind = "quiver", x = "bowl.X", y = "bowl.Y", u = "bowl.GX", v = "bowl.GY", arrows = 20 }]'


register_layer(QuiverLayer, "scenespec.paint.quiver:QuiverPainter")
