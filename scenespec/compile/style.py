"""The styling a scene's figure is built and drawn in: matplotlib's defaults, the scene's style, then rcParams.

Both building and drawing read rcParams, so both happen inside `style_context`. Starting from matplotlib's
defaults makes the output independent of the caller's rcParams; what is laid on top, in order, is
`Styling.style` (a matplotlib style name) and then `Styling.rc` (rcParams the scene's other settings give).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import matplotlib
import matplotlib.style

from scenespec.validate.scene import Scene


@dataclass(frozen=True)
class Styling:
    """What `style_context` applies: a matplotlib style on the defaults, then `rc` on top of it."""

    style: str = "default"
    rc: Mapping[str, Any] = field(default_factory=dict)


def styling_of(scene: Scene) -> Styling:
    """The styling a validated scene asks for."""
    return Styling(style=scene.scene.style)


@contextmanager
def style_context(styling: Styling) -> Iterator[None]:
    """Apply `styling` on top of matplotlib's defaults, whatever the caller's rcParams are."""
    with matplotlib.style.context(["default", styling.style]), matplotlib.rc_context(dict(styling.rc)):  # type: ignore[arg-type]
        yield
