"""Painter of layer `line` (its model: `scenespec/layers/line.py`): the matplotlib side, imported by a render."""

from __future__ import annotations

from scenespec.frame import Frame
from scenespec.layers.line import LineLayer
from scenespec.paint.base import BuildContext, Painter


class LinePainter(Painter[LineLayer]):
    def build(self, ctx: BuildContext, frame: Frame) -> None:
        args = [self.spec.style] if self.spec.style else []
        kwargs = self.artist_kwargs(color="color", lw="linewidth")
        (self.line,) = ctx.ax.plot(self.value_at("x", frame), self.value_at("y", frame), *args, **kwargs)
        self.artists = [self.line]

    def update(self, frame: Frame) -> None:
        self.line.set_data(self.value_at("x", frame), self.value_at("y", frame))
