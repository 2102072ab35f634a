"""Source kind `ramp`: a line through the origin whose slope grows by `rise` each step."""

from typing import Literal

import numpy as np
from pydantic import Field, PositiveInt

from scenespec.resolve.trace import Trace
from scenespec.sources.base import ResolveContext, SourceSpec, register_source


@register_source
class RampSource(SourceSpec):
    """`x` (static, `points` values over [0, 1]) and `y = rise × step × x` per step."""

    kind: Literal["ramp"]
    points: PositiveInt = Field(5, description="Values of x over [0, 1].")
    steps: PositiveInt = Field(4, description="Steps recorded.")
    rise: float = Field(1.0, description="How much the slope grows per step.")

    def fields(self, ctx: ResolveContext) -> dict[str, bool]:
        return {"x": False, "y": True}

    def resolve(self, ctx: ResolveContext) -> Trace:
        x = np.linspace(0.0, 1.0, self.points)
        steps = np.arange(self.steps)
        return Trace(steps=steps, static={"x": x}, stepped={"y": self.rise * steps[:, None] * x[None, :]})
