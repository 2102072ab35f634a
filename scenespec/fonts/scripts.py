"""What a character is, for a warning about it: its script, and the Debian/Ubuntu font package that has it."""

from __future__ import annotations

import unicodedata

import matplotlib.ft2font

CJK_WORDS = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO", "IDEOGRAPHIC", "FULLWIDTH", "HALFWIDTH", "KANGXI")
"""First words of the Unicode names of characters that Noto's CJK fonts cover."""

CJK_PACKAGE = "fonts-noto-cjk"
OTHER_PACKAGE = "fonts-noto-core"
EXTRA_PACKAGE = "fonts-noto-extra"
EMOJI_PACKAGE = "fonts-symbola"

SKIPPED_CATEGORIES = ("Cc", "Cf", "Zl", "Zp")
"""Characters that are not drawn as glyphs (line breaks, tabs, joiners): never reported as missing."""


def drawn(char: str) -> bool:
    """Whether matplotlib draws `char` as a glyph (not a line break, tab or format character)."""
    return unicodedata.category(char) not in SKIPPED_CATEGORIES


def script_of(char: str) -> str:
    """A short name of the script or kind of `char`: `CJK`, `Greek`, `Arabic`, `private use`, `unassigned`, …"""
    category = unicodedata.category(char)
    if category == "Co":
        return "private use"
    if category == "Cn":
        return "unassigned"
    name = unicodedata.name(char, "")
    first = name.split(" ", 1)[0]
    if first in CJK_WORDS:
        return "CJK"
    if category == "So" and ord(char) >= 0x1F000:
        return "emoji"
    return first.capitalize() if first else "unknown"


def describe(char: str) -> str:
    """`'字' (U+5B57, CJK)`; a character that cannot be shown is given by its code alone."""
    shown = f"{char!r} " if char.isprintable() and unicodedata.category(char) not in ("Co", "Cn") else ""
    return f"{shown}(U+{ord(char):04X}, {script_of(char)})"


def install_advice(chars: list[str]) -> str:
    """What to install to draw `chars`, by script: Debian/Ubuntu packages (docs/fonts.md covers macOS and Windows)."""
    scripts = {script_of(char) for char in chars}
    advice = []
    if "CJK" in scripts:
        advice.append(f"install a CJK font (Debian/Ubuntu: apt-get install {CJK_PACKAGE})")
    if "emoji" in scripts:
        advice.append(
            f"install a monochrome emoji font (Debian/Ubuntu: apt-get install {EMOJI_PACKAGE}); "
            "matplotlib draws no colour emoji"
        )
    if scripts - {"CJK", "emoji", "private use", "unassigned"}:
        advice.append(
            f"install a font for that script (Debian/Ubuntu: apt-get install {OTHER_PACKAGE}, "
            f"or {EXTRA_PACKAGE} for rarer scripts)"
        )
    if "private use" in scripts:
        advice.append("a private-use character is drawn only by a font made for it: name that font in scene.font")
    if "unassigned" in scripts:
        advice.append("an unassigned code point is no character: no font has it")
    return "; ".join(advice)


def right_to_left(text: str) -> bool:
    """Whether `text` has letters of a right-to-left script (Arabic, Hebrew, Syriac, Thaana, N'Ko, …)."""
    return any(unicodedata.bidirectional(char) in ("R", "AL") for char in text)


def shapes_text() -> bool:
    """Whether this matplotlib lays text out with libraqm (3.11 and later): it then joins Arabic letters and
    orders right-to-left runs; older versions draw each letter alone, left to right."""
    return hasattr(matplotlib.ft2font.FT2Font, "_layout")
