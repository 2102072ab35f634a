"""The styling a scene's figure is built and drawn in: matplotlib's defaults, the scene's style, then rcParams.

Both building and drawing read rcParams, so both happen inside `style_context`. Starting from matplotlib's
defaults makes the output independent of the caller's rcParams; what is laid on top, in order, is
`Styling.style` (a matplotlib style name) and then `Styling.rc` (rcParams the scene's other settings give:
its theme's, docs/themes.md). A theme's optimizer colours, which no rcParam holds, are made current beside them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.style

from scenespec.themes import Theme, load_theme, using_optimizer_colors
from scenespec.validate.scene import Scene


@dataclass(frozen=True)
class Styling:
    """What `style_context` applies: a matplotlib style on the defaults, then `rc` on top of it; and the colour
    each optimizer's series take (`scenespec.themes.optimizer_color`)."""

    style: str = "default"
    rc: Mapping[str, Any] = field(default_factory=dict)
    optimizer_colors: Mapping[str, str] = field(default_factory=dict)


def scene_theme(scene: Scene) -> Theme:
    """The theme validation read for the scene; for a scene made without a spec, read now (relative to the
    current directory)."""
    return scene.scene.resolved_theme or load_theme(scene.scene.theme, Path.cwd())


def styling_of(scene: Scene) -> Styling:
    """The styling a validated scene asks for: its style, then its theme's rcParams."""
    theme = scene_theme(scene)
    return Styling(style=scene.scene.style, rc=dict(theme.rc), optimizer_colors=dict(theme.optimizer_colors))


@contextmanager
def style_context(styling: Styling) -> Iterator[None]:
    """Apply `styling` on top of matplotlib's defaults, whatever the caller's rcParams are."""
    with (
        matplotlib.style.context(["default", styling.style]),
        matplotlib.rc_context(dict(styling.rc)),  # type: ignore[arg-type]
        using_optimizer_colors(styling.optimizer_colors),
    ):
        yield
