"""Quality presets (`render --quality`): a scene's dpi and fps for a quick look, the spec as written, or print.

The spec's own size, dpi and fps are `standard`; the other presets are computed from them, so a preset keeps the
spec's proportions and its text sizes (points scale with the dpi, so a larger frame is the same picture, sharper).
The frames stay the same steps: fps only changes how long each is shown (docs/animation.md has the table).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scenespec.validate.scene import Scene

DRAFT_MAX_FPS = 10.0
"""A draft plays at most this fast: a GIF viewer shows 10 fps smoothly and a quick look needs no more."""

UHD_WIDTH = 3840
"""The `4k` preset's frame width in pixels (UHD), whatever the spec's width in inches."""


def _draft(scene: Scene) -> dict[str, Any]:
    meta = scene.scene
    return {"scene.dpi": max(10, round(meta.dpi / 2)), "frames.fps": min(scene.frames.fps, DRAFT_MAX_FPS)}


def _high(scene: Scene) -> dict[str, Any]:
    return {"scene.dpi": scene.scene.dpi * 2}


def _uhd(scene: Scene) -> dict[str, Any]:
    return {"scene.dpi": round(UHD_WIDTH / scene.scene.size[0])}


PRESETS: dict[str, Callable[[Scene], dict[str, Any]]] = {
    "draft": _draft,
    "standard": lambda scene: {},
    "high": _high,
    "4k": _uhd,
}
"""Each preset's values, as `with_values` keys, from the scene as the spec writes it."""


def quality_values(scene: Scene, name: str) -> dict[str, Any]:
    """The `scene.dpi` and `frames.fps` values preset `name` sets for `scene` (none for `standard`)."""
    if name not in PRESETS:
        raise ValueError(f"unknown quality {name!r} (expected one of: {', '.join(PRESETS)})")
    return PRESETS[name](scene)
