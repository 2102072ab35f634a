"""Painter of layer `band` (its model: `scenespec/layers/band.py`): the matplotlib side, imported by a render."""

from __future__ import annotations

import numpy as np

from scenespec.errors import Problem, SpecError
from scenespec.frame import Frame
from scenespec.layers.band import BandLayer
from scenespec.paint.base import BuildContext, Extent, Painter
from scenespec.transform.moving_average import moving_average


def _points(values: np.ndarray, stepped: bool) -> int:
    """Number of points per step of a field (a static field is one row)."""
    row = values[0] if stepped and len(values) else values
    return int(np.asarray(row).size)


class BandPainter(Painter[BandLayer]):
    def check(self) -> None:
        """The smoothing window must fit in the spread (x, y and spread match: checked by their channels)."""
        spread = self.fields["spread"]
        points = _points(spread.data, spread.stepped)
        if self.spec.smooth > points:
            raise SpecError(
                [
                    Problem(
                        f"band layer: smooth = {self.spec.smooth} is wider than the {points} points "
                        f"of spread = {self.spec.spread!r}"
                    )
                ]
            )

    def edges(self, frame: Frame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """x, lower and upper edge of the band at the frame. On an in-between frame of `frames.tween`, x, y and the
        spread are blended between the two shown steps (`Painter.value_at`); the smoothing and the scale are linear,
        so each edge is the same blend of the two steps' edges, within the limits they set."""
        x = np.asarray(self.value_at("x", frame), dtype=float).ravel()
        y = np.asarray(self.value_at("y", frame), dtype=float).ravel()
        spread = self.spec.scale * moving_average(np.ravel(self.value_at("spread", frame)), self.spec.smooth)
        return x, y - spread, y + spread

    def extent(self, frame_steps: np.ndarray) -> Extent:
        self.check()
        shown = [self.edges(Frame(0, int(step), 0)) for step in np.unique(frame_steps)]
        xs = np.concatenate([x for x, _, _ in shown])
        ys = np.concatenate([np.concatenate([lo, hi]) for _, lo, hi in shown])
        return Extent(xs, ys)

    def build(self, ctx: BuildContext, frame: Frame) -> None:
        self.check()
        self.band = ctx.ax.fill_between(*self.edges(frame), linewidth=0, **self.artist_kwargs(color="color"))
        self.artists = [self.band]

    def update(self, frame: Frame) -> None:
        band = self.band
        x, lower, upper = self.edges(frame)
        if hasattr(band, "set_data"):  # FillBetweenPolyCollection, matplotlib >= 3.10
            band.set_data(x, lower, upper)
        else:  # a plain PolyCollection (matplotlib < 3.10): one polygon along the upper edge and back
            band.set_verts([np.concatenate([np.column_stack([x, upper]), np.column_stack([x, lower])[::-1]])])
