"""Layer `surface`: a 3D surface or wireframe of a grid z(x, y) (article 004, figures 6-1 and 6-2)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeFloat, model_validator

from scenespec.layers.base import ColormapLayer, register_layer
from scenespec.layers.channels import ByField, Channel, constant, theme
from scenespec.validate.base import Binding
from scenespec.validate.drawable import Label


class SurfaceLayer(ColormapLayer):
    """z over the grid (x, y) in a 3D panel; the panel becomes 3D when it holds a surface."""

    kind: Literal["surface"]
    x: Binding = Field(description="Grid x coordinates (2D), e.g. `bowl.X`.")
    y: Binding = Field(description="Grid y coordinates, e.g. `bowl.Y`.")
    z: Binding = Field(description="Height on the grid, e.g. `bowl.Z`.")
    style: Literal["surface", "wireframe"] = Field(
        "surface", description="`surface`: coloured faces (fig. 6-2); `wireframe`: grid lines only (fig. 6-1)."
    )
    color: str | None = Field(
        None, description="One colour instead of the colormap (default for a wireframe: the first cycle colour)."
    )
    alpha: float | None = Field(None, ge=0, le=1, description="Opacity, 0 to 1.")
    count: int = Field(
        50, ge=2, le=1000, description="At most this many grid rows and columns are drawn (matplotlib's rcount)."
    )
    linewidth: NonNegativeFloat | None = Field(
        None, description="Width of the grid lines in points (default: 0 for a surface, 1 for a wireframe)."
    )
    label: Label | None = Field(None, description="Legend entry.")
    floor_contours: int | None = Field(
        None,
        ge=1,
        le=100,
        description="This many contour lines of z, evenly spaced between its lowest and highest value, drawn on the "
        "floor of the box (the lower z limit) in a neutral grey beneath everything: the map under the surface.",
    )

    channels = (
        Channel("x", "grid", required=True),
        Channel("y", "matched:x", required=True),
        Channel("z", "matched:x", required=True),
        constant("cmap", theme("image.cmap")),
        constant("color", ByField("style", {"surface": None, "wireframe": "C0"})),  # None: coloured by `cmap`
        constant("linewidth", ByField("style", {"surface": 0.0, "wireframe": 1.0})),
    )
    axes = ("3d",)

    @model_validator(mode="after")
    def _colorbar_needs_colormap(self) -> SurfaceLayer:
        if self.colorbar is not False and (self.style == "wireframe" or self.color is not None):
            raise ValueError("a colorbar needs a surface coloured by its colormap: style 'surface' and no `color`")
        return self

    example = 'layers = [{ kind = "surface", x = "bowl.X", y = "bowl.Y", z = "bowl.Z", cmap = "bwr", colorbar = true }]'


register_layer(SurfaceLayer, "scenespec.paint.surface:SurfacePainter")
