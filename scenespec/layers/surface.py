"""Layer `surface`: a 3D surface or wireframe of a grid z(x, y) (article 004, figures 6-1 and 6-2)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from matplotlib.collections import Collection
from pydantic import Field, NonNegativeFloat, model_validator

from scenespec.frame import Frame
from scenespec.layers.base import (
    BuildContext,
    ColormapLayer,
    Extent,
    Painter,
    add_colorbar,
    as_3d,
    redrawn,
    register_layer,
)
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


class SurfacePainter(Painter[SurfaceLayer]):
    def extent(self, frame_steps: np.ndarray) -> Extent:
        return Extent(self.fields["x"].data, self.fields["y"].data, self.fields["z"].over(frame_steps), tight=True)

    def build(self, ctx: BuildContext, frame: Frame) -> None:
        self.ax = as_3d(ctx.ax)
        self._draw(frame)
        if self.spec.style == "surface" and self.spec.color is None:
            add_colorbar(ctx.ax, self.surface, self.spec.colorbar)

    def _draw(self, frame: Frame) -> None:
        """The frame's grid: blended between two shown steps on an in-between frame of `frames.tween`."""
        s = self.spec
        x, y, z = (np.asarray(self.value_at(k, frame), dtype=float) for k in ("x", "y", "z"))
        kwargs = self.common_kwargs()
        count = {"rcount": s.count, "ccount": s.count}
        width = self.style("linewidth")
        if s.style == "wireframe":
            artist: Collection = self.ax.plot_wireframe(
                x, y, z, color=self.style("color"), linewidth=width, **count, **kwargs
            )
        else:
            colour = {"color": s.color} if s.color is not None else {"cmap": self.style("cmap")}
            artist = self.ax.plot_surface(x, y, z, linewidth=width, antialiased=width > 0, **colour, **count, **kwargs)
        self.surface = artist  # a Poly3DCollection (colormapped) or, for a wireframe, a Line3DCollection
        self.artists = [artist]

    def update(self, frame: Frame) -> None:
        """A height that changes per step is drawn anew (3D polygons cannot be edited in place)."""
        old = self.surface
        for artist in self.artists:
            artist.remove()
        self._draw(frame)
        redrawn(old, self.artists)


register_layer(SurfaceLayer, SurfacePainter)
