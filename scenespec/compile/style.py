"""The styling a scene's figure is built and drawn in: matplotlib's defaults, the user's matplotlibrc fonts, the
scene's style, then rcParams.

Both building and drawing read rcParams, so both happen inside `style_context`. Starting from matplotlib's
defaults makes the output independent of the caller's rcParams; what is laid on top, in order, is `Styling.base`
(the `font.*` settings of the user's matplotlibrc file), `Styling.style` (a matplotlib style name) and then
`Styling.rc` (rcParams the scene's other settings give: the theme's, then `scene.font` and the fallback fonts
its texts need, see scenespec/fonts/).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.style

from scenespec.fonts.check import check_fonts
from scenespec.fonts.mathtext import glyph_messages_collected, math_missing
from scenespec.fonts.matplotlibrc import user_font_rc
from scenespec.fonts.plan import FontPlan, plan_fonts
from scenespec.fonts.texts import SceneText, scene_texts
from scenespec.resolve.trace import TraceLike
from scenespec.themes import Theme, load_theme, using_optimizer_colors
from scenespec.validate.references import Locate
from scenespec.validate.scene import Scene


@dataclass(frozen=True)
class Styling:
    """What `style_context` applies: `base` on the defaults, a matplotlib style, then `rc` on top of it; and the
    colour each optimizer's series take (`scenespec.themes.optimizer_color`)."""

    style: str = "default"
    rc: Mapping[str, Any] = field(default_factory=dict)
    base: Mapping[str, Any] = field(default_factory=dict)
    """rcParams laid on matplotlib's defaults before the style: the user's matplotlibrc fonts."""
    quiet_glyphs: frozenset[str] = frozenset()
    """Characters no installed font has: the scene warned once per text about them (`fonts.check`), so
    matplotlib's warning per glyph drawn is silenced."""
    optimizer_colors: Mapping[str, str] = field(default_factory=dict)


def scene_theme(scene: Scene) -> Theme:
    """The theme validation read for the scene; for a scene made without a spec, read now (relative to the
    current directory)."""
    return scene.scene.resolved_theme or load_theme(scene.scene.theme, Path.cwd())


def requested_fonts(scene: Scene) -> list[str] | None:
    """`scene.font` as a list of families, or None when it is not given (then the families the styling in effect
    names are drawn with; a theme's own font list belongs there)."""
    font = scene.scene.font
    return [font] if isinstance(font, str) else font


def font_layers(scene: Scene) -> list[Mapping[str, Any]]:
    """The rcParams under `scene.font`, lowest first: the user's matplotlibrc fonts, the style's settings (and a
    theme's rcParams go last), from which the families in effect without `scene.font` are read."""
    style = {str(name): value for name, value in (matplotlib.style.library.get(scene.scene.style) or {}).items()}
    return [user_font_rc(), style, dict(scene_theme(scene).rc)]


def font_plan_of(scene: Scene, traces: Mapping[str, TraceLike] | None = None) -> tuple[list[SceneText], FontPlan]:
    """The texts a scene draws (with those its traces hold, when given) and the fonts that draw them."""
    texts = scene_texts(scene, traces)
    chars = {char for text in texts for char in text.drawn}
    return texts, plan_fonts(requested_fonts(scene), chars, font_layers(scene))


def styling_of(scene: Scene, traces: Mapping[str, TraceLike] | None = None) -> Styling:
    """The styling a validated scene asks for; `traces` adds the texts its trace fields hold (legend names) to
    those the fonts must cover. The fonts' rcParams come last in `rc`: above a theme's."""
    _, fonts = font_plan_of(scene, traces)
    theme = scene_theme(scene)
    return Styling(
        style=scene.scene.style,
        rc={**theme.rc, **fonts.rc},
        base=user_font_rc(),
        quiet_glyphs=fonts.uncovered,
        optimizer_colors=dict(theme.optimizer_colors),
    )


def warn_fonts(scene: Scene, traces: Mapping[str, TraceLike] | None, locate: Locate) -> None:
    """Warn (once, before drawing) about `scene.font` families not installed and texts with characters no
    installed font has, or, in texts with math, that mathtext's fonts lack (see `fonts.check`)."""
    texts, plan = font_plan_of(scene, traces)
    styling = styling_of(scene, traces)

    def missing_in_math(text: str) -> list[str]:
        with rc_context(styling):
            return math_missing(text)

    check_fonts(texts, plan, requested_fonts(scene), locate, missing_in_math)


@contextmanager
def rc_context(styling: Styling) -> Iterator[None]:
    """The rcParams of `styling`, on top of matplotlib's defaults, whatever the caller's rcParams are."""
    # the style "default" is matplotlib's defaults again, which would undo `base`: it is already in place
    layers: Sequence[Any] = ["default", dict(styling.base), *([styling.style] if styling.style != "default" else [])]
    with matplotlib.style.context(layers), matplotlib.rc_context(dict(styling.rc)):  # type: ignore[arg-type]
        yield


@contextmanager
def style_context(styling: Styling) -> Iterator[None]:
    """Apply `styling` on top of matplotlib's defaults, whatever the caller's rcParams are; matplotlib's messages
    about glyphs the scene's check has reported (`warn_fonts`) are silenced."""
    with (
        rc_context(styling),
        warnings.catch_warnings(),
        glyph_messages_collected(),
        using_optimizer_colors(styling.optimizer_colors),
    ):
        if styling.quiet_glyphs:
            codes = "|".join(str(ord(char)) for char in sorted(styling.quiet_glyphs))
            warnings.filterwarnings("ignore", message=rf"Glyph ({codes}) \(", category=UserWarning)
        yield
