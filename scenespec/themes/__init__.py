"""Themes: named looks (fonts, colours, line widths, optimizer colours) a scene is drawn in; see docs/themes.md."""

from scenespec.themes.active import optimizer_color, series_colors, using_optimizer_colors
from scenespec.themes.loading import BUILTIN_THEMES, DEFAULT_THEME, Theme, ThemeNotFound, find_theme, load_theme

__all__ = [
    "BUILTIN_THEMES",
    "DEFAULT_THEME",
    "Theme",
    "ThemeNotFound",
    "find_theme",
    "load_theme",
    "optimizer_color",
    "series_colors",
    "using_optimizer_colors",
]
