"""Layer `counter`: the frame's step, or a counter the sources record (epoch, batch, loss), in a corner.

A reader of an animation wants to know where in training a frame is: `{ kind = "counter" }` writes
`step 120` in the panel's upper left corner, on a box of the panel's background colour so that it stays
readable over the data. `value = "fit.epoch"` counts a recorded field instead, and `format` words it
(`"epoch {value} / {last}"`). A number without a format spec is written with significant digits, never
fixed decimals, so a falling loss does not read `0.0000` (see `_numbers.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

import numpy as np
from matplotlib.artist import Artist
from pydantic import Field, field_validator

from scenespec.errors import Problem, SpecError
from scenespec.frame import Frame
from scenespec.layers._numbers import fill, parse_template
from scenespec.layers._tween import number_at
from scenespec.layers.base import BuildContext, ColorChecked, Painter, register_layer
from scenespec.layers.channels import Channel, constant, theme
from scenespec.layers.text import PlacedText, format_problem
from scenespec.resolve.trace import TraceField
from scenespec.validate.base import Binding, Pair, split_binding

Corner = Literal["upper left", "upper center", "upper right", "lower left", "lower center", "lower right"]

NAMES = ("value", "last", "name", "step")
"""The fields a counter's `format` may use."""

SAMPLES: dict[str, tuple[object, ...]] = {"value": (1.5, 2), "last": (1.5, 2), "name": ("a",), "step": (1,)}

INSET = 0.03
"""Distance of a corner counter from the panel's edges, as a fraction of the panel."""

COUNTER_ZORDER = 4.0
"""Above lines (2), markers and texts (3), below a legend (5): the counter is read over the data."""

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
        "`{name}` (`step`, or the bound field's name), `{step}`; a format spec as in Python (`{value:.3e}`), "
        "else a number is written with 4 significant digits and a whole number as an integer.",
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


class CounterPainter(Painter[CounterLayer]):
    def __init__(self, spec: CounterLayer, fields: Mapping[str, TraceField]) -> None:
        super().__init__(spec, fields)
        self.parts = parse_template(spec.format, NAMES, SAMPLES)
        self.name = split_binding(spec.value)[1] if spec.value is not None else "step"
        self.last: object = 0
        self.check_formats()

    def check_formats(self) -> None:
        """A format spec must format the bound field's values: `{value:d}` fits integers, not a float field."""
        if "value" not in self.fields:
            return
        values = np.asarray(self.fields["value"].data).ravel()
        for _, name, spec in self.parts:
            if spec and name in ("value", "last") and values.size:
                problem = format_problem(spec, (values[0].item(),))
                if problem is not None:
                    raise SpecError([Problem(f"counter layer: {{{name}:{spec}}}: {problem}", ("format",))])

    @property
    def dynamic(self) -> bool:
        return True  # the frame's step, or a field recorded per step

    def extent(self, frame_steps: np.ndarray) -> None:
        return None

    def count(self, step: int) -> object:
        """The count shown at `step`: the step itself, or the bound field's value recorded there."""
        if "value" not in self.fields:
            return step
        return np.asarray(self.value("value", step)).ravel()[0].item()

    def count_at(self, frame: Frame) -> object:
        """The count shown at `frame`. On an in-between frame of `frames.tween` a measurement (a loss) blends
        between the two shown steps, as the data it describes moves; the step, and a field of whole numbers (an
        epoch), stay what the shown step recorded (`_tween.number_at`)."""
        if "value" not in self.fields:
            return frame.step
        return np.asarray(number_at(self.fields["value"], frame)).ravel()[0].item()

    def render_text(self, frame: Frame) -> str:
        values = {"value": self.count_at(frame), "last": self.last, "name": self.name, "step": frame.step}
        return fill(self.parts, values)

    def build(self, ctx: BuildContext, frame: Frame) -> None:
        s = self.spec
        self.last = self.count(int(ctx.frame_steps[-1])) if len(ctx.frame_steps) else self.count(frame.step)
        x, y, ha, va = PLACES[s.at] if isinstance(s.at, str) else (*s.at, "left", "bottom")
        kwargs = self.artist_kwargs(color="color", fontsize="size")
        kwargs.setdefault("zorder", COUNTER_ZORDER)
        self.text = PlacedText(x, y, self.render_text(frame), transform=ctx.ax.transAxes, ha=ha, va=va, **kwargs)
        if s.box:
            face = ctx.ax.get_facecolor()
            self.text.set_bbox({"boxstyle": "round,pad=0.3", "facecolor": face, "edgecolor": "none", "alpha": 0.8})
        self.text.set_clip_on(False)
        ctx.ax.add_artist(self.text)
        self.artists = [self.text]

    def update(self, frame: Frame) -> None:
        self.text.set_text(self.render_text(frame))

    def legend_handles(self) -> list[Artist]:
        return []


register_layer(CounterLayer, CounterPainter)
