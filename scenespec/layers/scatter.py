"""Layer `scatter`: points, e.g. the training data (drawn once when its data is static; stepped points move, and
glide between shown steps on the in-between frames of `frames.tween`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field, PositiveFloat, PositiveInt, field_validator

from scenespec.layers.base import XYLayer, register_layer
from scenespec.layers.channels import CYCLE, Channel, constant, theme
from scenespec.validate.drawable import check_marker
from scenespec.validate.limits import FieldSize


class ScatterLayer(XYLayer):
    """Points at (x, y); either may be static or change per step."""

    kind: Literal["scatter"]
    edgecolor: str | None = Field(None, description="Edge colour of the markers.")
    size: PositiveFloat | None = Field(None, description="Marker area in points².")
    marker: str | None = Field(None, description="Matplotlib marker, e.g. `o`, `x`, `.`.")
    max_points: PositiveInt | None = Field(
        None,
        description="Draw at most this many points (article 002's scatter sparsity): with more, the points at "
        "evenly spaced indices `round(linspace(0, n - 1, max_points))` are drawn, first and last included. "
        "The same points at every frame, so none jump. Default: all points.",
    )

    channels = (
        Channel("x", "vector", required=True),
        Channel("y", "matched:x", required=True),
        constant("color", CYCLE),
        constant("edgecolor", theme("scatter.edgecolors")),
        constant("size", theme("lines.markersize", power=2)),
        constant("marker", theme("scatter.marker")),
    )
    example = 'layers = [{ kind = "scatter", x = "fit.x", y = "fit.y", color = "red", label = "Original data" }]'

    def drawn_points(self, sizes: Mapping[str, FieldSize]) -> int:
        """All points, or `max_points` of them."""
        points = max((size.per_step for size in sizes.values()), default=0)
        return points if self.max_points is None else min(points, self.max_points)

    @field_validator("marker")
    @classmethod
    def _valid_marker(cls, value: str | None) -> str | None:
        return check_marker(value)


register_layer(ScatterLayer, "scenespec.paint.scatter:ScatterPainter")
