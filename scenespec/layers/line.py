"""Layer `line`: a curve through (x, y), e.g. the model's current fit line."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, PositiveFloat, field_validator

from scenespec.layers.base import XYLayer, register_layer
from scenespec.layers.channels import CYCLE, Channel, constant
from scenespec.validate.colors import is_color
from scenespec.validate.mpl_names import COLOR_NAMES, LINE_STYLES, MARKERS

FORMAT_GRAMMAR = "expected [marker][line][colour] in any order, e.g. `ro`, `g--`, `C1:`, or one colour like `red`"


def check_format(fmt: str) -> None:
    """Raise ValueError unless `Axes.plot` accepts `fmt` as its format string.

    matplotlib's grammar (the *Format Strings* notes of `Axes.plot`): a whole colour alone (`red`,
    `#ff0000`, `0.5`, `C1`; but `0` and `1` are markers, not greys), or at most one marker, one line
    style and one colour in any order, the colour a one-letter name or `C` + digits. Built from the
    public tables `Line2D.markers`, `Line2D.lineStyles` and the named colours (their copy in
    `validate/mpl_names.py`, so no matplotlib is imported); tests/test_line_format.py
    checks it agrees with `Axes.plot` itself.
    """
    if fmt not in ("0", "1") and is_color(fmt):
        return
    found: dict[str, str] = {}

    def take(what: str, symbol: str) -> None:
        if what in found:
            raise ValueError(f"{fmt!r} has two {what}s ({found[what]!r} and {symbol!r})")
        found[what] = symbol

    i = 0
    while i < len(fmt):
        if fmt[i : i + 2] in LINE_STYLES:
            take("line style", fmt[i : i + 2])
            i += 2
        elif fmt[i] in LINE_STYLES:
            take("line style", fmt[i])
            i += 1
        elif fmt[i] in MARKERS:
            take("marker", fmt[i])
            i += 1
        elif fmt[i] in COLOR_NAMES:
            take("colour", fmt[i])
            i += 1
        elif fmt[i] == "C":
            cycle = re.match(r"C\d+", fmt[i:])
            if cycle is None:
                raise ValueError(f"{fmt!r}: 'C' must be followed by a number (a colour of the cycle, like `C1`)")
            found["colour"] = cycle[0]  # like matplotlib, `C<n>` may replace a colour given before it
            i += len(cycle[0])
        else:
            raise ValueError(f"{fmt!r} has an unrecognized character {fmt[i]!r}")


class LineLayer(XYLayer):
    """A line through (x, y); with a stepped y it moves from frame to frame."""

    kind: Literal["line"]
    style: str | None = Field(None, description="Matplotlib format string, e.g. `g--` (green dashed).")
    linewidth: PositiveFloat | None = Field(None, description="Line width in points.")

    channels = (
        Channel("x", "vector", required=True),
        Channel("y", "matched:x", required=True),
        constant("color", CYCLE),  # a colour in `style` (`g--`) wins over the cycle
        constant("linewidth", 2.0),  # wider than the theme's `lines.linewidth`, as the article draws its fit line
    )
    example = 'layers = [{ kind = "line", x = "fit.x", y = "fit.pred", style = "g--", label = "Fitting line" }]'

    @field_validator("style")
    @classmethod
    def _valid_format(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                check_format(value)
            except ValueError as exc:
                raise ValueError(f"not a matplotlib format string: {exc} ({FORMAT_GRAMMAR})") from None
        return value


register_layer(LineLayer, "scenespec.paint.line:LinePainter")
