"""Palettes of the layers that colour points by class (`embedding`, `sprites`), checked without matplotlib."""

from __future__ import annotations

from scenespec.errors import did_you_mean
from scenespec.validate.colors import NOT_A_COLOR, is_color, is_colormap
from scenespec.validate.mpl_names import COLORMAPS

DEFAULT_PALETTE = "tab10"


def check_palette(value: str | list[str] | None) -> str | list[str] | None:
    """A palette is a matplotlib colormap name or a non-empty list of colours; refuse others when validating."""
    if value is None:
        return None
    if isinstance(value, str):
        if not is_colormap(value):
            raise ValueError(
                f"unknown palette {value!r}{did_you_mean(value, sorted(COLORMAPS))} "
                "(a colormap name like 'tab10', or a list of colours)"
            )
        return value
    if not value:
        raise ValueError("give at least one colour")
    for item in value:
        if not is_color(item):
            raise ValueError(f"{item!r} {NOT_A_COLOR}")
    return value
