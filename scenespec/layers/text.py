"""Layer `text`: a format template filled with trace values at the current frame.

`"Cost: {fit.loss:.3f}"` reads field `loss` of source `fit` at the frame's step and
formats it with `.3f`. Templates are parsed, never evaluated: a field is a binding
(or `step` / `frame`), nothing else.
"""

from __future__ import annotations

import re
import string
from typing import Annotated, Literal

from pydantic import Field, field_validator

from scenespec.layers.base import ColorChecked, register_layer
from scenespec.layers.channels import constant, theme
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


register_layer(TextLayer, "scenespec.paint.text:TextPainter")
