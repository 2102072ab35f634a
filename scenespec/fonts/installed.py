"""The fonts matplotlib can use on this machine, and which characters each has.

matplotlib lists installed fonts in `fontManager.ttflist`, read from a cache built when matplotlib first ran: a
font installed later is not in it. `refresh()` adds the system's font files the cache lacks (`addfont`, for this
process), so a CJK font installed after matplotlib's first run is found without deleting its cache.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

GENERIC_FAMILIES = ("sans-serif", "serif", "monospace", "cursive", "fantasy")
"""Family names matplotlib resolves through its `font.<generic>` lists."""

NOT_FALLBACKS = re.compile(r"^(Last Resort|STIXNonUnicode|STIXSize|cm[a-z]+10$)")
"""Families never picked to cover characters: matplotlib's Last Resort font has a placeholder box for every
character, and the TeX math fonts map their glyphs to positions that are not the characters'."""


@dataclass(frozen=True)
class Face:
    """One face of an installed font file (a .ttc holds several)."""

    family: str
    file: str
    index: int
    weight: int
    style: str


def faces() -> list[Face]:
    """Every font face matplotlib knows now, in the order of its list."""
    return [
        Face(entry.name, entry.fname, getattr(entry, "index", 0), _weight(entry.weight), entry.style)
        for entry in font_manager.fontManager.ttflist
    ]


def _weight(weight: int | str) -> int:
    return weight if isinstance(weight, int) else font_manager.weight_dict.get(weight, 400)


def families() -> dict[str, Face]:
    """Each installed family by name, as its most regular face (upright, weight nearest 400)."""
    chosen: dict[str, Face] = {}
    for face in faces():
        best = chosen.get(face.family)
        if best is None or _regularity(face) < _regularity(best):
            chosen[face.family] = face
    return chosen


def _regularity(face: Face) -> tuple[bool, int]:
    return (face.style != "normal", abs(face.weight - 400))


def installed_name(name: str) -> str | None:
    """The installed family `name` designates (matplotlib compares family names ignoring case), or None."""
    lowered = name.lower()
    if lowered in GENERIC_FAMILIES:
        return lowered
    return next((family for family in families() if family.lower() == lowered), None)


def fallback_candidates() -> list[Face]:
    """Installed families that may cover characters the scene's fonts lack, by name."""
    return [face for name, face in sorted(families().items()) if not NOT_FALLBACKS.match(name)]


_known: dict[tuple[str, int], dict[str, bool]] = {}
"""Per face, whether it has each character asked about so far: a font file does not change while this process
runs. (Results, not FT2Font objects, are kept: those must not cross a fork.)"""


def coverage(face: Face, chars: Iterable[str]) -> frozenset[str]:
    """The characters of `chars` the face has."""
    known = _known.setdefault((face.file, face.index), {})
    unknown = [char for char in chars if char not in known]
    if unknown:
        try:
            font = FT2Font(face.file, face_index=face.index)
        except (OSError, RuntimeError, ValueError):  # a font file gone or broken since it was listed
            font = None
        for char in unknown:
            known[char] = font is not None and font.get_char_index(ord(char)) != 0
    return frozenset(char for char in chars if known[char])


_refreshed = False


def refresh() -> bool:
    """Add the system's font files that matplotlib's font cache does not list yet (installed after it was
    built); True if any was added. Done once per process: the system's fonts are listed in a few milliseconds,
    adding a font file takes longer."""
    global _refreshed
    if _refreshed:
        return False
    _refreshed = True
    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    added = False
    for path in sorted(font_manager.findSystemFonts()):
        if path not in known:
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # a broken or unreadable font file: not a font to use
                continue
            added = True
    return added
