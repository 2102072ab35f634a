"""Painter of layer `quiver` (its model: `scenespec/layers/quiver.py`): the matplotlib side, imported by a render."""

from __future__ import annotations

import numpy as np

from scenespec.frame import Frame
from scenespec.layers.quiver import QuiverLayer
from scenespec.paint.base import BuildContext, Extent, Painter, add_colorbar


def thin(values: np.ndarray, arrows: int) -> np.ndarray:
    """Evenly spaced rows and columns of a grid (or points of a 1-D array), at most `arrows` per axis."""
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        return values[np.unique(np.linspace(0, len(values) - 1, min(arrows**2, len(values))).round().astype(int))]
    rows = np.unique(np.linspace(0, values.shape[0] - 1, min(arrows, values.shape[0])).round().astype(int))
    cols = np.unique(np.linspace(0, values.shape[1] - 1, min(arrows, values.shape[1])).round().astype(int))
    return values[np.ix_(rows, cols)]


class QuiverPainter(Painter[QuiverLayer]):
    def extent(self, frame_steps: np.ndarray) -> Extent:
        return Extent(self.fields["x"].data, self.fields["y"].data, tight=True)

    def vectors(self, frame: Frame) -> tuple[np.ndarray, np.ndarray]:
        """The arrows drawn at the frame: blended between two shown steps on an in-between frame of
        `frames.tween` (`Painter.value_at`), negated and normalized as the spec asks."""
        sign = -1.0 if self.spec.negate else 1.0
        u, v = (sign * raw for raw in self._raw(frame))
        if self.spec.normalize:
            length = np.hypot(u, v)
            length[length == 0] = 1.0
            u, v = u / length, v / length
        return u, v

    def build(self, ctx: BuildContext, frame: Frame) -> None:
        s = self.spec
        x, y = thin(self.value_at("x", frame), s.arrows), thin(self.value_at("y", frame), s.arrows)
        u, v = self.vectors(frame)
        kwargs = self.artist_kwargs(scale="scale", width="width")
        args = [x, y, u, v]
        if s.color_by == "magnitude":
            args.append(np.hypot(*self._raw(frame)))
            kwargs["cmap"] = self.style("cmap")
        else:
            kwargs["color"] = self.style("color")
        self.quiver = ctx.ax.quiver(*args, angles="xy", **kwargs)
        self.artists = [self.quiver]
        if s.color_by == "magnitude":
            add_colorbar(ctx.ax, self.quiver, s.colorbar)

    def _place(self, frame: Frame) -> None:
        """Move the arrows to the points of the frame. Matplotlib keeps them twice: the offsets place the arrows,
        `XY` (with `X`, `Y`) is what their angles and the data limits are computed from; both must move."""
        s = self.spec
        x, y = thin(self.value_at("x", frame), s.arrows).ravel(), thin(self.value_at("y", frame), s.arrows).ravel()
        points = np.column_stack([x, y])
        self.quiver.X, self.quiver.Y, self.quiver.XY = x, y, points
        self.quiver.set_offsets(points)

    def _raw(self, frame: Frame) -> tuple[np.ndarray, np.ndarray]:
        return thin(self.value_at("u", frame), self.spec.arrows), thin(self.value_at("v", frame), self.spec.arrows)

    def update(self, frame: Frame) -> None:
        if self.fields["x"].stepped or self.fields["y"].stepped:  # the arrows' points move too
            self._place(frame)
        u, v = self.vectors(frame)
        if self.spec.color_by == "magnitude":
            self.quiver.set_UVC(u, v, np.hypot(*self._raw(frame)))
        else:
            self.quiver.set_UVC(u, v)
