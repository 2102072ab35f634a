"""One warning per text a scene draws with a character no installed font has, and per `scene.font` family that
is not installed: the scene still renders (a spec moves between machines with different fonts), but never with
silent boxes. Run once, where the graph's recipe is made, before any worker draws (matplotlib's own per-glyph
warnings are silenced for those characters: see `Styling.quiet_glyphs`)."""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Callable, Sequence

import matplotlib
from matplotlib.cbook import is_math_text

from scenespec.errors import KeyPath, Problem, SpecWarning
from scenespec.fonts import installed
from scenespec.fonts.plan import FontPlan
from scenespec.fonts.scripts import describe, install_advice, right_to_left, shapes_text
from scenespec.fonts.texts import SceneText
from scenespec.validate.references import Locate

MathMissing = Callable[[str], list[str]]
"""The characters mathtext lacks in a text with math, under the scene's rcParams (`mathtext.math_missing`)."""


def font_problems(
    texts: Sequence[SceneText],
    plan: FontPlan,
    requested: Sequence[str] | None,
    locate: Locate,
    math_missing: MathMissing = lambda text: [],
) -> list[Problem]:
    """The warnings for a scene drawn by `plan`: families of `scene.font` (`requested`) not installed, texts with
    characters no font has (or, with math, that mathtext's fonts lack), right-to-left texts a matplotlib without
    text shaping would draw wrongly."""
    problems = [_unknown_family(name, requested or [], locate) for name in plan.unknown]
    shown: set[tuple[KeyPath, str]] = set()
    written = {text.text for text in texts if text.source is None}
    for text in texts:
        if (text.path, text.text) in shown or (text.source is not None and text.text in written):
            continue  # a trace's value the spec wrote (an optimizer's label) is reported where it is written
        shown.add((text.path, text.text))
        plain = text.drawn
        missing = list(dict.fromkeys(char for char in plain if char in plan.uncovered))
        origin = f" (a value of {text.source})" if text.source else ""
        if missing:
            chars = ", ".join(describe(char) for char in missing)
            problems.append(locate(
                f"no installed font has {chars} in {text.text!r}{origin}: drawn as boxes; {install_advice(missing)}",
                text.path,
            ))  # fmt: skip
        in_math = [char for char in math_missing(text.text) if char not in missing] if is_math_text(text.text) else []
        if in_math:
            chars = ", ".join(describe(char) for char in in_math)
            problems.append(locate(
                f"mathtext's fonts have no {chars} in {text.text!r}{origin}: drawn as boxes, since a text with math "
                "($…$) is drawn whole by mathtext, which uses no other fonts; write such characters in a text "
                "without math (or escape its dollar signs: \\$)",
                text.path,
            ))  # fmt: skip
        if right_to_left(plain) and not shapes_text():
            problems.append(locate(
                f"{text.text!r}{origin} is right-to-left text, which matplotlib {matplotlib.__version__} draws letter "
                "by letter from left to right, Arabic letters unjoined (matplotlib 3.11 and later shape it)",
                text.path,
            ))  # fmt: skip
    return problems


def _unknown_family(name: str, requested: Sequence[str], locate: Locate) -> Problem:
    path: KeyPath = ("scene", "font") if len(requested) <= 1 else ("scene", "font", list(requested).index(name))
    names = {family.lower(): family for family in installed.families()}
    close = [names[match] for match in difflib.get_close_matches(name.lower(), list(names), n=3, cutoff=0.6)]
    hint = f"; did you mean {', '.join(repr(family) for family in close)}?" if close else ""
    rest = " (the other fonts of the list apply)" if len(requested) > 1 else " (the style's fonts apply)"
    return locate(f"font {name!r} is not installed{hint}{rest}", path)


def check_fonts(
    texts: Sequence[SceneText],
    plan: FontPlan,
    requested: Sequence[str] | None,
    locate: Locate,
    math_missing: MathMissing = lambda text: [],
) -> None:
    """Issue each of `font_problems` as a `SpecWarning` (the command line prints `warning: file:line: key: …`)."""
    for problem in font_problems(texts, plan, requested, locate, math_missing):
        warnings.warn(SpecWarning(problem), stacklevel=2)
