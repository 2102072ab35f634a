"""Layer `text`: a format template filled with trace values at the current frame.

`"Cost: {fit.loss:.3f}"` reads field `loss` of source `fit` at the frame's step and
formats it with `.3f`. Templates are parsed, never evaluated: a field is a binding
(or `step` / `frame`), nothing else.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Literal

import numpy as np
from matplotlib.artist import Artist
from matplotlib.text import Text
from mpl_toolkits.mplot3d import Axes3D
from pydantic import Field, PositiveFloat, field_validator

from scenespec.frame import Frame
from scenespec.layers.base import BuildContext, ColorChecked, Painter, register_layer
from scenespec.layers.channels import constant
from scenespec.resolve.trace import TraceField
from scenespec.validate.base import BINDING_RE, Pair

BUILTIN_NAMES = ("step", "frame")


def template_fields(template: str) -> list[tuple[str, str, str]]:
    """(literal text, field name, format spec) parts of a template; raises ValueError if malformed."""
    parts = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        if conversion:
            raise ValueError(f"conversions like '!{conversion}' are not supported")
        if name is not None and name not in BUILTIN_NAMES and not BINDING_RE.match(name):
            raise ValueError(f"{{{name}}} is not a binding like {{source.field}} nor one of {BUILTIN_NAMES}")
        if spec and "{" in spec:
            raise ValueError("nested fields in a format spec are not supported")
        parts.append((literal, name or "", spec or ""))
    return parts


class TextLayer(ColorChecked):
    """Text at a position; `{source.field:fmt}`, `{step}` and `{frame}` are filled in per frame."""

    kind: Literal["text"]
    text: str = Field(description="Template, e.g. `Cost: {fit.loss:.3f}` or `epoch {step}`.")
    at: Pair[float] = Field(description="Position [x, y] in the coordinates named by `coords`.")
    coords: Literal["data", "axes"] = Field(
        "data",
        description="`data`: axis units (article 001); `axes`: 0..1 fractions of the panel (always so on 3D panels).",
    )
    color: str | None = Field(None, description="Text colour.")
    size: PositiveFloat | None = Field(None, description="Font size in points.")
    ha: Literal["left", "center", "right"] = Field("left", description="Horizontal alignment at `at`.")
    va: Literal["top", "center", "bottom", "baseline"] = Field("baseline", description="Vertical alignment.")

    channels = (
        constant("color", "r"),  # article 001's cost text; the theme's `text.color` is black
        constant("size", 12.0),
    )
    example = 'layers = [{ kind = "text", text = "Cost: {fit.loss:.3f}", at = [6, -2], size = 16 }]'
    axes = ("2d", "3d")

    @field_validator("text")
    @classmethod
    def _valid_template(cls, value: str) -> str:
        template_fields(value)
        return value

    def bindings(self) -> dict[str, str]:
        return {name: name for _, name, _ in template_fields(self.text) if name and name not in BUILTIN_NAMES}


class TextPainter(Painter[TextLayer]):
    def __init__(self, spec: TextLayer, fields: Mapping[str, TraceField]) -> None:
        super().__init__(spec, fields)
        self.parts = template_fields(spec.text)

    @property
    def dynamic(self) -> bool:
        return any(name in BUILTIN_NAMES for _, name, _ in self.parts) or super().dynamic

    def extent(self, frame_steps: np.ndarray) -> None:
        return None

    def render_text(self, frame: Frame) -> str:
        """The template filled in for `frame`: `{step}` and `{frame}` come from the frame context."""
        step = frame.step
        out = []
        for literal, name, spec in self.parts:
            out.append(literal)
            if name == "step":
                out.append(format(step, spec))
            elif name == "frame":
                out.append(format(frame.index, spec))
            elif name:
                value = np.asarray(self.value(name, step))
                if value.size == 1:
                    out.append(format(value.item(), spec))
                else:  # one value per column (e.g. per optimizer): each formatted, as a list
                    out.append("[" + ", ".join(format(v, spec) for v in value.ravel().tolist()) + "]")
        return "".join(out)

    def build(self, ctx: BuildContext, frame: Frame) -> None:
        s = self.spec
        kwargs = self.artist_kwargs(color="color", fontsize="size")
        if isinstance(ctx.ax, Axes3D):  # a 3D panel has no 2D data coordinates: place the text on the panel
            draw, transform = ctx.ax.text2D, ctx.ax.transAxes
        else:
            draw, transform = ctx.ax.text, ctx.ax.transAxes if s.coords == "axes" else ctx.ax.transData
        self.text: Text = draw(*s.at, self.render_text(frame), transform=transform, ha=s.ha, va=s.va, **kwargs)
        self.artists = [self.text]

    def update(self, frame: Frame) -> None:
        self.text.set_text(self.render_text(frame))

    def legend_handles(self) -> list[Artist]:
        return []


register_layer(TextLayer, TextPainter)
