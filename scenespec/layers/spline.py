"""Layer `spline`: a per-step value (a cost) as a smooth curve, typically on a twin y axis.

Article 001 draws the cost over the data's x range on a twin axis, smoothed by a
spline, once training ends. Here the spline is fitted once over every shown value
and revealed up to the current step (or only at the end), so the curve never
changes shape while it grows. PCHIP is the default because it does not overshoot
where the cost drops steeply (a cubic spline rings below zero there).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field, PositiveFloat, PositiveInt

from scenespec.layers.base import ColorChecked, register_layer
from scenespec.layers.channels import Channel, constant
from scenespec.validate.base import Binding
from scenespec.validate.drawable import Label
from scenespec.validate.limits import FieldSize, Usage, number


class SplineLayer(ColorChecked):
    """A stepped scalar (e.g. `fit.loss`) drawn as a smoothed curve over the steps."""

    kind: Literal["spline"]
    y: Binding = Field(description="A scalar recorded at every step, e.g. `fit.loss`.")
    method: Literal["pchip", "cubic", "akima", "linear"] = Field(
        "pchip", description="Smoothing: `pchip` (shape-preserving, default), `cubic`, `akima`, or `linear` (none)."
    )
    along: Literal["steps", "frames"] = Field(
        "steps",
        description="`steps`: every recorded value at its step number; `frames`: the values at the shown frames, "
        "evenly spaced one per frame (article 001's look when frames are sampled non-uniformly).",
    )
    stretch: bool | None = Field(
        None,
        description="Spread the steps over the x range of the panel's other data (article 001) instead of "
        "plotting against step numbers. Default: true on a twin axis, false otherwise.",
    )
    reveal: Literal["progressive", "end"] = Field(
        "progressive", description="`progressive`: grow with the frames; `end`: appear on the last frame only."
    )
    samples: PositiveInt = Field(400, description="Points on the smoothed curve.")
    color: str | None = Field(None, description="Line colour.")
    linewidth: PositiveFloat | None = Field(None, description="Line width in points.")
    label: Label | None = Field(None, description="Legend entry.")

    channels = (
        Channel("y", "scalar", "stepped", required=True),
        constant("color", "b"),  # article 001's cost line
        constant("linewidth", 2.0),
    )
    example = 'layers = [{ kind = "spline", y = "fit.loss", twin = true, along = "frames", label = "Cost line" }]'

    def drawn_points(self, sizes: Mapping[str, FieldSize]) -> int:
        return self.samples

    def usages(self) -> tuple[Usage, ...]:
        return (Usage("max_spline_samples", self.samples, ("samples",), f"{number(self.samples)} samples"),)


register_layer(SplineLayer, "scenespec.paint.spline:SplinePainter")
