"""Layer `text`: a format template filled with trace values at the current frame.

`"Cost: {fit.loss:.3f}"` reads field `loss` of source `fit` at the frame's step and
formats it with `.3f`. Templates are parsed, never evaluated: a field is a binding
(or `step` / `frame`), nothing else.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from matplotlib.artist import Artist
from matplotlib.text import Text
from mpl_toolkits.mplot3d import Axes3D
from pydantic import Field, field_validator

from scenespec.errors import Problem, SpecError
from scenespec.frame import Frame
from scenespec.layers._glyphs import cached_glyphs
from scenespec.layers._tween import number_at
from scenespec.layers.base import BuildContext, ColorChecked, Painter, register_layer
from scenespec.layers.channels import constant, theme
from scenespec.resolve.trace import TraceField
from scenespec.validate.base import BINDING_RE, Pair
from scenespec.validate.drawable import check_label

BUILTIN_NAMES = ("step", "frame")

MAX_FORMAT_NUMBER = 100
"""Largest width or precision in a format spec: a text on a plot needs no more, and `{x:999999999f}` would build
a string of a gigabyte every frame."""

SAMPLES: tuple[object, ...] = (1.5, 2, "a")
"""What a bound field may hold, to try a format spec on before any data exists: a float, an int or a string."""


def format_problem(spec: str, samples: tuple[object, ...]) -> str | None:
    """Why `spec` cannot format any of `samples` (the values the field may hold), or None."""
    if any(int(number) > MAX_FORMAT_NUMBER for number in re.findall(r"\d+", spec)):
        return f"format spec {spec!r}: a width or precision is at most {MAX_FORMAT_NUMBER}"
    reasons = []
    for sample in samples:
        try:
            format(sample, spec)
            return None
        except ValueError as exc:
            reasons.append(str(exc))
    return f"format spec {spec!r} does not apply to the value: {reasons[0]}"


def template_fields(template: str) -> list[tuple[str, str, str]]:
    """(literal text, field name, format spec) parts of a template; raises ValueError if malformed.

    A format spec must format what the field can hold (the frame's step and index are integers; a bound field
    a number or a string, checked again with its data when the layer's painter is made)."""
    parts = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        if conversion:
            raise ValueError(f"conversions like '!{conversion}' are not supported")
        if name is not None and name not in BUILTIN_NAMES and not BINDING_RE.match(name):
            raise ValueError(f"{{{name}}} is not a binding like {{source.field}} nor one of {BUILTIN_NAMES}")
        if spec and "{" in spec:
            raise ValueError("nested fields in a format spec are not supported")
        if name and spec:
            problem = format_problem(spec, (1,) if name in BUILTIN_NAMES else SAMPLES)
            if problem is not None:
                raise ValueError(f"{{{name}:{spec}}}: {problem}")
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
    size: Annotated[float, Field(gt=0, le=1000)] | None = Field(None, description="Font size in points (at most 1000).")
    ha: Literal["left", "center", "right"] = Field("left", description="Horizontal alignment at `at`.")
    va: Literal["top", "center", "bottom", "baseline"] = Field("baseline", description="Vertical alignment.")

    channels = (
        constant("color", theme("text.color")),  # the theme's text colour, so text reads on any background
        constant("size", theme("font.size", scale=1.2)),  # 12 points at the default font size; themes scale it
    )
    example = 'layers = [{ kind = "text", text = "Cost: {fit.loss:.3f}", at = [6, -2], size = 16 }]'
    axes = ("2d", "3d")

    @field_validator("text")
    @classmethod
    def _valid_template(cls, value: str) -> str:
        shown = "".join(literal + ("1" if name else "") for literal, name, _ in template_fields(value))
        check_label(shown)  # the math in it must parse, whatever the values filled in
        return value

    def bindings(self) -> dict[str, str]:
        return {name: name for _, name, _ in template_fields(self.text) if name and name not in BUILTIN_NAMES}


FAR_OFF = 1e5
"""Pixels beyond the figure's edges past which a text is neither drawn nor laid out."""


class PlacedText(Text):
    """A text that is skipped when its position is far outside the figure (`at = [1e30, -2]`, or data far from
    the view): nothing there could be seen, and FreeType cannot place glyphs millions of pixels away.

    Drawn from cached glyph bitmaps (`_glyphs.py`): it is redrawn on every frame with new digits."""

    def on_canvas(self) -> bool:
        figure = self.get_figure(root=True)
        if figure is None:
            return True  # not on a figure yet: nothing decides where it is
        x, y = self.get_transform().transform(self.get_unitless_position())
        box = figure.bbox
        return bool(-FAR_OFF <= x <= box.width + FAR_OFF and -FAR_OFF <= y <= box.height + FAR_OFF)

    def draw(self, renderer: Any) -> None:
        if self.on_canvas():
            with cached_glyphs(renderer):
                super().draw(renderer)

    def get_tightbbox(self, renderer: Any = None) -> Any:
        return super().get_tightbbox(renderer) if self.on_canvas() else None


class TextPainter(Painter[TextLayer]):
    def __init__(self, spec: TextLayer, fields: Mapping[str, TraceField]) -> None:
        super().__init__(spec, fields)
        self.parts = template_fields(spec.text)
        self.check_formats()

    def check_formats(self) -> None:
        """Each format spec must format its field's values: `{net.epoch:d}` fits integers, not a float field."""
        for _, name, spec in self.parts:
            if not spec or name not in self.fields:
                continue
            values = np.asarray(self.fields[name].data).ravel()
            problem = format_problem(spec, (values[0].item(),)) if values.size else None
            if problem is not None:
                raise SpecError([Problem(f"text layer: {{{name}:{spec}}}: {problem}", ("text",))])

    @property
    def dynamic(self) -> bool:
        return any(name in BUILTIN_NAMES for _, name, _ in self.parts) or super().dynamic

    def extent(self, frame_steps: np.ndarray) -> None:
        return None

    def render_text(self, frame: Frame) -> str:
        """The template filled in for `frame`: `{step}` and `{frame}` come from the frame context; a bound number
        blends between the shown steps on an in-between frame of `frames.tween` unless it counts (whole numbers)."""
        step = frame.step
        out = []
        for literal, name, spec in self.parts:
            out.append(literal)
            if name == "step":
                out.append(format(step, spec))
            elif name == "frame":
                out.append(format(frame.index, spec))
            elif name:  # on an in-between frame, a measurement blends and a count stays (`_tween.number_at`)
                value = np.asarray(number_at(self.fields[name], frame))
                if value.size == 1:
                    out.append(format(value.item(), spec))
                else:  # one value per column (e.g. per optimizer): each formatted, as a list
                    out.append("[" + ", ".join(format(v, spec) for v in value.ravel().tolist()) + "]")
        return "".join(out)

    def build(self, ctx: BuildContext, frame: Frame) -> None:
        s = self.spec
        kwargs = self.artist_kwargs(color="color", fontsize="size")
        # a 3D panel has no 2D data coordinates: the text is placed on the panel
        on_panel = s.coords == "axes" or isinstance(ctx.ax, Axes3D)
        transform = ctx.ax.transAxes if on_panel else ctx.ax.transData
        self.text = PlacedText(*s.at, self.render_text(frame), transform=transform, ha=s.ha, va=s.va, **kwargs)
        self.text.set_clip_on(False)  # as `Axes.text` makes it: a text may stand outside its panel
        ctx.ax.add_artist(self.text)
        self.artists = [self.text]

    def update(self, frame: Frame) -> None:
        self.text.set_text(self.render_text(frame))

    def legend_handles(self) -> list[Artist]:
        return []


register_layer(TextLayer, TextPainter)
