"""Painter of layer `surface` (its model: `scenespec/layers/surface.py`): the matplotlib side, imported by a render."""

from __future__ import annotations

import numpy as np
from matplotlib.collections import Collection

from scenespec.frame import Frame
from scenespec.layers.surface import SurfaceLayer
from scenespec.paint.base import BuildContext, Extent, Painter, add_colorbar, as_3d, redrawn

FLOOR_COLOR = "0.5"


FLOOR_ALPHA = 0.6


FLOOR_LINEWIDTH = 0.6


FLOOR_ZORDER = 0.5
"""Floor contours: neutral grey, drawn first (the surface's faces have zorder 1), so nothing hides under them."""


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
