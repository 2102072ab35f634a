"""Colours, colormaps and styles as matplotlib takes them, checked without importing matplotlib.

`is_color` follows `matplotlib.colors.is_color_like` for strings (tests compare the two on many samples): a
cycle colour `C0`, `C1`, …; `none` in any case; a named colour, looked up as written and then (unless it is one
letter, like `r`) in lower case; `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`; a grey level `"0"`..`"1"` as Python's
`float` reads it. Names come from the generated table `mpl_names.py`.
"""

from __future__ import annotations

import re

from scenespec.errors import did_you_mean
from scenespec.validate.mpl_names import COLOR_NAMES, COLORMAPS, STYLES

_NAMED = frozenset(COLOR_NAMES)
_COLORMAPS = frozenset(COLORMAPS)
_CYCLE = re.compile(r"\AC[0-9]+\Z")
_HEX = re.compile(r"#[a-fA-F0-9]+")
_HEX_LENGTHS = (4, 5, 7, 9)

NOT_A_COLOR = "is not a matplotlib colour (a name like 'red', 'C0', or '#1f77b4')"


def is_color(value: str) -> bool:
    """Whether matplotlib draws the string `value` as a colour."""
    if _CYCLE.match(value) or value.lower() == "none":
        return True
    if value in _NAMED or (len(value) != 1 and value.lower() in _NAMED):
        return True
    if _HEX.fullmatch(value):
        return len(value) in _HEX_LENGTHS
    try:
        grey = float(value)
    except ValueError:
        return False
    return 0 <= grey <= 1


def check_color(value: str | None) -> str | None:
    """Reject colours matplotlib would not understand, at validation time."""
    if value is not None and not is_color(value):
        raise ValueError(f"{value!r} {NOT_A_COLOR}")
    return value


def is_colormap(name: str) -> bool:
    """Whether `matplotlib.colormaps` has `name`."""
    return name in _COLORMAPS


def unknown_colormap(name: str) -> str:
    """`unknown colormap 'x'` and the nearest names."""
    return f"unknown colormap {name!r}{did_you_mean(name, sorted(COLORMAPS))}"


def style_names(name: str) -> list[str]:
    """The style names `name` is checked against: matplotlib's own (the table), and, only when `name` is not
    one of them, the user's style library too (which needs matplotlib)."""
    names = ["default", *STYLES]
    if name in names:
        return names
    import matplotlib.style

    return ["default", *matplotlib.style.available]
