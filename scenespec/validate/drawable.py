"""Strings matplotlib parses only when it draws: math in labels (`$x^2$`) and marker names.

matplotlib accepts `xlabel = "$\\frac{$"` or `marker = "qq"` when the artist is made and fails when the frame
is drawn, in a worker, long after validation. Parsing them here makes each a located error in the spec.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from matplotlib import cbook
from matplotlib.markers import MarkerStyle
from matplotlib.mathtext import MathTextParser
from pydantic import AfterValidator

from scenespec.fonts.mathtext import glyph_messages_collected


@cache
def _parser() -> MathTextParser[Any]:
    return MathTextParser("path")


def mathtext_problem(text: str) -> str | None:
    """Why matplotlib cannot draw `text` (math between an even number of `$` it cannot parse), or None."""
    if not cbook.is_math_text(text):
        return None  # drawn as it is written
    try:
        with glyph_messages_collected():  # characters mathtext lacks are a font warning when the scene is drawn
            _parser().parse(text)
    except ValueError as exc:
        reason = " ".join(str(exc).split())
        return f"matplotlib cannot draw the math in this text ({reason}); write \\$ for a dollar sign"
    return None


def check_label(text: str) -> str:
    """A field validator: text matplotlib draws, whose math (`$…$`) must parse."""
    problem = mathtext_problem(text)
    if problem is not None:
        raise ValueError(problem)
    return text


Label = Annotated[str, AfterValidator(check_label)]
"""Text drawn on the figure: a title, an axis label, a legend entry."""


def marker_problem(marker: str) -> str | None:
    """Why `marker` is not a matplotlib marker (`o`, `x`, `.`, `$★$`, …), or None."""
    try:
        MarkerStyle(marker)
    except ValueError:
        return f"{marker!r} is not a matplotlib marker (e.g. 'o', 'x', '.', 's', '^', '*', '+', or math like '$★$')"
    return mathtext_problem(marker)


def check_marker(marker: str | None) -> str | None:
    """A field validator for a marker name (None: the default)."""
    if marker is not None:
        problem = marker_problem(marker)
        if problem is not None:
            raise ValueError(problem)
    return marker
