"""Layer `scatter`: points, e.g. the training data (drawn once when its data is static)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, PositiveFloat

from scenespec.layers.base import BuildContext, Painter, XYLayer, register_layer


class ScatterLayer(XYLayer):
    """Points at (x, y); either may be static or change per step."""

    kind: Literal["scatter"]
    edgecolor: str | None = Field(None, description="Edge colour of the markers.")
    size: PositiveFloat = Field(36.0, description="Marker area in points².")
    marker: str = Field("o", description="Matplotlib marker, e.g. `o`, `x`, `.`.")
    example = 'layers = [{ kind = "scatter", x = "fit.x", y = "fit.y", color = "red", label = "Original data" }]'


class ScatterPainter(Painter[ScatterLayer]):
    def build(self, ctx: BuildContext, step: int) -> None:
        s = self.spec
        kwargs = self.style_kwargs(color="color", edgecolors="edgecolor", alpha="alpha", label="label", zorder="zorder")
        self.artists = [
            ctx.ax.scatter(self.value("x", step), self.value("y", step), s=s.size, marker=s.marker, **kwargs)
        ]

    def update(self, step: int) -> None:
        self.artists[0].set_offsets(np.column_stack([self.value("x", step), self.value("y", step)]))


register_layer(ScatterLayer, ScatterPainter)
