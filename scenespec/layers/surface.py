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

FLOOR_COLOR = "0.5"
FLOOR_ALPHA = 0.6
FLOOR_LINEWIDTH = 0.6
FLOOR_ZORDER = 0.5
"""Floor contours: neutral grey, drawn first (the surface's faces have zorder 1), so nothing hides under them."""


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
        if s.floor_contours is not None:
            self.artists.append(self._floor(x, y, z, s.floor_contours))

    def _floor(self, x: np.ndarray, y: np.ndarray, z: np.ndarray, count: int) -> Collection:
        """`count` contour lines of z, evenly spaced strictly between its lowest and highest value (both would be
        mere points or the rim), on the floor of the box, grey and beneath the surface."""
        levels = np.linspace(np.nanmin(z), np.nanmax(z), count + 2)[1:-1]
        contours = self.ax.contour(
            x, y, z, levels=levels, zdir="z", offset=self.ax.get_zlim()[0], colors=FLOOR_COLOR,
            linewidths=FLOOR_LINEWIDTH, alpha=FLOOR_ALPHA,
        )  # fmt: skip
        contours.set_zorder(FLOOR_ZORDER)
        return contours

    def occluder(self, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Coloured faces hide what is behind them (a wireframe's grid lines do not)."""
        if self.spec.style != "surface":
            return None
        x, y, z = (np.asarray(self.value(k, step), dtype=float) for k in ("x", "y", "z"))
        return x, y, z

    def update(self, frame: Frame) -> None:
        """A height that changes per step is drawn anew (3D polygons cannot be edited in place)."""
        old = self.surface
        for artist in self.artists:
            artist.remove()
        self._draw(frame)
        redrawn(old, self.artists)


register_layer(SurfaceLayer, SurfacePainter)
