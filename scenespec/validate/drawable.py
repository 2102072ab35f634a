"""Strings matplotlib parses only when it draws: math in labels (`$x^2$`) and marker names.

matplotlib accepts `xlabel = "$\\frac{$"` or `marker = "qq"` when the artist is made and fails when the frame
is drawn, in a worker, long after validation. Parsing them here makes each a located error in the spec.

Only text with math imports matplotlib (its mathtext parser is the one judge of math); plain text is told from
math as `matplotlib.cbook.is_math_text` does, and marker codes are looked up in the generated table `mpl_names.py`,
so checking most specs imports no matplotlib.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator

from scenespec.validate.mpl_names import MARKERS

if TYPE_CHECKING:
    from matplotlib.mathtext import MathTextParser

_MARKERS = frozenset(MARKERS)


@cache
def _parser() -> MathTextParser[Any]:
    from matplotlib.mathtext import MathTextParser

    return MathTextParser("path")


def is_math_text(text: str) -> bool:
    """Whether matplotlib reads `text` as math: an even, non-zero number of unescaped `$` (`cbook.is_math_text`)."""
    dollars = text.count("$") - text.count(r"\$")
    return dollars > 0 and dollars % 2 == 0


def mathtext_problem(text: str) -> str | None:
    """Why matplotlib cannot draw `text` (math between an even number of `$` it cannot parse), or None."""
    if not is_math_text(text):
        return None  # drawn as it is written
    from scenespec.fonts.mathtext import glyph_messages_collected

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
    if not is_math_text(marker):
        return None if marker in _MARKERS else not_a_marker(marker)
    from matplotlib.markers import MarkerStyle

    try:
        MarkerStyle(marker)  # a math marker: matplotlib parses it when it is made
    except ValueError:
        return not_a_marker(marker)
    return mathtext_problem(marker)


def not_a_marker(marker: str) -> str:
    """The message for a string that is no marker."""
    return f"{marker!r} is not a matplotlib marker (e.g. 'o', 'x', '.', 's', '^', '*', '+', or math like '$★$')"


def check_marker(marker: str | None) -> str | None:
    """A field validator for a marker name (None: the default)."""
    if marker is not None:
        problem = marker_problem(marker)
        if problem is not None:
            raise ValueError(problem)
    return marker
