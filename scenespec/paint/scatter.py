"""Painter of layer `scatter` (its model: `scenespec/layers/scatter.py`): the matplotlib side, imported by a render."""

from __future__ import annotations

import numpy as np

from scenespec.frame import Frame
from scenespec.layers.scatter import ScatterLayer
from scenespec.paint.base import BuildContext, Extent, Painter


def subsample(n: int, max_points: int | None) -> np.ndarray | None:
    """Indices of the points drawn out of `n` (None: all of them), evenly spaced and deterministic."""
    if max_points is None or n <= max_points:
        return None
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(np.int64))


class ScatterPainter(Painter[ScatterLayer]):
    def _thin(self, values: np.ndarray) -> np.ndarray:
        """The drawn points of `values` (the last axis runs over the points)."""
        values = np.asarray(values)
        index = subsample(values.shape[-1], self.spec.max_points) if values.ndim else None
        return values if index is None else values[..., index]

    def points(self, name: str, frame: Frame) -> np.ndarray:
        """The drawn points' `name` coordinates at the frame: blended between two shown steps on an in-between
        frame of `frames.tween` (`Painter.value_at`)."""
        return self._thin(np.ravel(self.value_at(name, frame)))

    def extent(self, frame_steps: np.ndarray) -> Extent:
        return Extent(self._thin(self.fields["x"].over(frame_steps)), self._thin(self.fields["y"].over(frame_steps)))

    def build(self, ctx: BuildContext, frame: Frame) -> None:
        kwargs = self.artist_kwargs(color="color", edgecolors="edgecolor", s="size", marker="marker")
        self.dots = ctx.ax.scatter(self.points("x", frame), self.points("y", frame), **kwargs)
        self.artists = [self.dots]

    def update(self, frame: Frame) -> None:
        self.dots.set_offsets(np.column_stack([self.points("x", frame), self.points("y", frame)]))
