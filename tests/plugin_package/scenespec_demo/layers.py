"""Layer kind `level`: a horizontal line at a fixed height, in the package's colour."""

from typing import Literal

from pydantic import Field

from scenespec.frame import Frame
from scenespec.layers.base import LayerSpec, register_layer
from scenespec.paint.base import BuildContext, Painter


class LevelLayer(LayerSpec):
    kind: Literal["level"]
    at: float = Field(description="Height of the line.")
    channels = ()


class LevelPainter(Painter[LevelLayer]):
    def build(self, ctx: BuildContext, frame: Frame) -> None:
        self.artists = [ctx.ax.axhline(self.spec.at, color="purple")]


register_layer(LevelLayer, LevelPainter)
