"""Layer `counter`: the frame's step, or a counter the sources record (epoch, batch, loss), in a corner.

A reader of an animation wants to know where in training a frame is: `{ kind = "counter" }` writes
`step 120` in the panel's upper left corner, on a box of the panel's background colour so that it stays
readable over the data. `value = "fit.epoch"` counts a recorded field instead, and `format` words it
(`"epoch {value} / {last}"`). A number without a format spec is written with significant digits, never
fixed decimals, so a falling loss does not read `0.0000` (see `_numbers.py`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from scenespec.layers._numbers import parse_template
from scenespec.layers.base import ColorChecked, register_layer
from scenespec.layers.channels import Channel, constant, theme
from scenespec.validate.base import Binding, Pair

Corner = Literal["upper left", "upper center", "upper right", "lower left", "lower center", "lower right"]

NAMES = ("value", "last", "name", "step", "value_step")
"""The fields a counter's `format` may use."""

SAMPLES: dict[str, tuple[object, ...]] = {
    "value": (1.5, 2),
    "last": (1.5, 2),
    "name": ("a",),
    "step": (1,),
    "value_step": (1,),
}

INSET = 0.03
"""Distance of a corner counter from the panel's edges, as a fraction of the panel."""


PLACES: dict[str, tuple[float, float, str, str]] = {
    "upper left": (INSET, 1 - INSET, "left", "top"),
    "upper center": (0.5, 1 - INSET, "center", "top"),
    "upper right": (1 - INSET, 1 - INSET, "right", "top"),
    "lower left": (INSET, INSET, "left", "bottom"),
    "lower center": (0.5, INSET, "center", "bottom"),
    "lower right": (1 - INSET, INSET, "right", "bottom"),
}
"""Corner -> axes position and alignment."""


class CounterLayer(ColorChecked):
    """A counter in a corner of the panel: the frame's step, or a recorded value, on a box."""

    kind: Literal["counter"]
    value: Binding | None = Field(
        None,
        description="A field recorded per step, one number each, e.g. `fit.epoch` or `bowl.loss`; default: "
        "the frame's step.",
    )
    format: str = Field(
        "{name} {value}",
        description="Template: `{value}` (the count at this frame), `{last}` (at the animation's last frame), "
        "`{name}` (`step`, or the bound field's name), `{step}` (the frame's step), `{value_step}` (the step "
        "`{value}` was recorded at: the last one up to the frame's step, which stays put once a source that "
        "ran fewer steps than the animation has ended); a format spec as in Python (`{value:.3e}`), else a "
        "number is written with 4 significant digits and a whole number as an integer.",
    )
    at: Corner | Pair[float] = Field(
        "upper left", description="A corner of the panel, or a position [x, y] in 0..1 fractions of the panel."
    )
    color: str | None = Field(None, description="Text colour.")
    size: Annotated[float, Field(gt=0, le=1000)] | None = Field(None, description="Font size in points.")
    box: bool = Field(True, description="A box of the panel's background colour behind the text, to read it over data.")

    channels = (
        Channel("value", "scalar", "stepped"),
        constant("color", theme("text.color")),
        constant("size", theme("font.size")),
    )
    example = 'layers = [{ kind = "counter", value = "fit.epoch", format = "epoch {value} / {last}" }]'
    axes = ("2d", "3d")

    @field_validator("format")
    @classmethod
    def _valid_format(cls, value: str) -> str:
        parse_template(value, NAMES, SAMPLES)
        return value

    def fixed_texts(self) -> dict[str, str]:
        return {"format": "".join(literal for literal, _, _ in parse_template(self.format, NAMES, SAMPLES))}


register_layer(CounterLayer, "scenespec.paint.counter:CounterPainter")
