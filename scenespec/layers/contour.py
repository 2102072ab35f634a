"""Layer `contour`: contour lines or filled contours of a grid z(x, y), e.g. a loss surface."""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, PositiveFloat, field_validator, model_validator

from scenespec.layers.base import ColormapLayer, register_layer
from scenespec.layers.channels import Channel, constant, theme
from scenespec.layers.text import format_problem
from scenespec.validate.base import Binding, SpecModel

MAX_LEVELS = 1000


class LevelRange(SpecModel):
    """Levels `start, start + step, …` below `stop`, like numpy.arange (article 004: 0 to 100 by 1)."""

    start: float = Field(description="First level.")
    stop: float = Field(description="Levels stay below this value.")
    step: PositiveFloat = Field(description="Distance between levels.")

    @model_validator(mode="after")
    def _sensible(self) -> LevelRange:
        count = (self.stop - self.start) / self.step
        if not 0 < count <= MAX_LEVELS:
            raise ValueError(f"a level range gives between 1 and {MAX_LEVELS} levels; this one gives {max(count, 0):g}")
        return self

    def values(self) -> list[float]:
        return list(np.arange(self.start, self.stop, self.step))


class ContourLayer(ColormapLayer):
    """Contours of z over the grid (x, y): article 004's figure 6-3, or the backdrop of an optimizer race."""

    kind: Literal["contour"]
    x: Binding = Field(description="Grid x coordinates (2D, like numpy.meshgrid's X), e.g. `bowl.X`.")
    y: Binding = Field(description="Grid y coordinates, e.g. `bowl.Y`.")
    z: Binding = Field(description="Values on the grid, e.g. `bowl.Z`.")
    levels: Annotated[int, Field(ge=1, le=MAX_LEVELS)] | list[float] | LevelRange = Field(
        10,
        description="How many levels (spanning z), the explicit levels (`[1, 2, 5, 10]`), "
        "or a range `{ start = 0, stop = 100, step = 1 }`.",
    )
    filled: bool = Field(False, description="Filled regions (contourf) instead of lines.")
    norm: Literal["linear", "log"] = Field(
        "linear", description="`log` spaces levels and colours logarithmically (Rosenbrock, Beale)."
    )
    color: str | None = Field(None, description="One colour for every line, instead of the colormap.")
    linewidth: PositiveFloat | None = Field(None, description="Line width in points (lines only).")
    alpha: float | None = Field(None, ge=0, le=1, description="Opacity, 0 to 1.")
    labels: bool = Field(False, description="Write each line's level on it (inline labels).")
    label_format: str = Field(".3g", description="Python format spec of the inline labels, e.g. `.1f`.")

    channels = (
        Channel("x", "grid", required=True),
        Channel("y", "matched:x", required=True),
        Channel("z", "matched:x", required=True),
        constant("cmap", theme("image.cmap")),
        constant("linewidth", theme("contour.linewidth", "lines.linewidth")),
    )
    example = """
layers = [
  { kind = "contour", x = "bowl.X", y = "bowl.Y", z = "bowl.Z", levels = [1, 2, 4, 8, 16, 32, 64], labels = true },
]"""

    @field_validator("levels")
    @classmethod
    def _increasing(cls, value: int | list[float] | LevelRange) -> int | list[float] | LevelRange:
        if isinstance(value, list) and (not value or any(b <= a for a, b in pairwise(value))):
            raise ValueError("explicit levels must be a non-empty, strictly increasing list")
        return value

    @field_validator("label_format")
    @classmethod
    def _valid_format(cls, value: str) -> str:
        problem = format_problem(value, (1.5,))
        if problem is not None:
            raise ValueError(problem)
        return value


register_layer(ContourLayer, "scenespec.paint.contour:ContourPainter")
