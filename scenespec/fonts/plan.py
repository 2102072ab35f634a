"""Which families a scene's texts are drawn with: those asked for, then installed fonts covering what they lack.

matplotlib (3.6 and later) draws each character with the first family of `font.family` that has it, so covering a
Chinese title means appending a family that has its characters. The families asked for are `scene.font` or, when
it is not given, those the styling in effect names (matplotlib's defaults, the user's matplotlibrc fonts, the
style, the theme). A plan is a pure function of those names, the characters drawn and the installed fonts, so it
is the same in every process on a machine, and it changes nothing (no rcParams) when the fonts in effect cover
every character: a scene in Latin script is drawn exactly as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import matplotlib
from matplotlib import font_manager

from scenespec.fonts import installed
from scenespec.fonts.installed import GENERIC_FAMILIES, Face
from scenespec.fonts.scripts import drawn

KANA = (0x3040, 0x30FF)
HANGUL = ((0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7AF))


@dataclass(frozen=True)
class FontPlan:
    """The families to draw with, what was added or left out, and the characters no installed font has."""

    families: tuple[str, ...] = ()
    """`font.family` for the scene; () leaves the styling's own."""
    fallbacks: tuple[str, ...] = ()
    """Installed families appended to cover characters the others lack."""
    unknown: tuple[str, ...] = ()
    """Families of `scene.font` that are not installed (left out of `families`)."""
    uncovered: frozenset[str] = field(default_factory=frozenset)
    """Characters drawn that no installed font has."""

    @property
    def rc(self) -> dict[str, Any]:
        return {"font.family": list(self.families)} if self.families else {}


def effective_font_rc(layers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The `font.*` rcParams after laying each of `layers` (rcParams mappings, lowest first) on the defaults."""
    rc = dict(_default_font_rc())
    for layer in layers:
        for name, value in layer.items():
            if name in LIST_KEYS and isinstance(value, str):  # a theme may write `"DejaVu Sans, Arial"`
                rc[name] = [part.strip() for part in value.split(",")]
            elif name.startswith("font."):
                rc[name] = value
    return rc


@cache
def _default_font_rc() -> dict[str, Any]:
    """matplotlib's default `font.*` rcParams (they never change while it runs)."""
    return {str(name): value for name, value in matplotlib.rcParamsDefault.items() if str(name).startswith("font.")}


LIST_KEYS = {"font.family", *(f"font.{generic}" for generic in GENERIC_FAMILIES)}


def plan_fonts(
    requested: Sequence[str] | None, chars: Iterable[str], layers: Sequence[Mapping[str, Any]] = ()
) -> FontPlan:
    """The plan for drawing `chars` with the families `requested` (None: those `layers` name; see
    `effective_font_rc`). Cached: the styling of every frame asks for it."""
    rc = effective_font_rc(layers)
    key = tuple(sorted((name, tuple(value) if isinstance(value, list) else value) for name, value in rc.items()))
    return _plan(None if requested is None else tuple(requested), frozenset(c for c in chars if drawn(c)), key)


@lru_cache(maxsize=256)
def _plan(requested: tuple[str, ...] | None, chars: frozenset[str], rc_key: tuple[tuple[str, Any], ...]) -> FontPlan:
    rc = {name: list(value) if isinstance(value, tuple) else value for name, value in rc_key}
    names, unknown = _known(requested)
    if unknown and installed.refresh():  # installed after matplotlib's font cache was built?
        names, unknown = _known(requested)
    primary = names or [str(family) for family in rc["font.family"]]
    kind = _kind(primary[0]) if primary else "sans-serif"
    fallbacks, missing = _fallbacks(primary, chars, rc, kind)
    if missing and installed.refresh():
        fallbacks, missing = _fallbacks(primary, chars, rc, kind)
    families = tuple(primary) + tuple(fallbacks) if names or fallbacks else ()
    return FontPlan(families, tuple(fallbacks), tuple(unknown), frozenset(missing))


def _fallbacks(primary: list[str], chars: frozenset[str], rc: dict[str, Any], kind: str) -> tuple[list[str], set[str]]:
    """Fallback families for what the faces of `primary` (resolved under `rc`) lack, and what none has."""
    with matplotlib.rc_context(rc):  # type: ignore[arg-type]
        faces = [face for family in primary if (face := _face_of(family)) is not None]
    missing = set(chars)
    for face in faces:
        missing -= installed.coverage(face, missing)
    return _cover(missing, kind)


def _known(requested: tuple[str, ...] | None) -> tuple[list[str], list[str]]:
    """The requested families that are installed (by their installed names), and those that are not."""
    names: list[str] = []
    unknown: list[str] = []
    for name in requested or ():
        found = installed.installed_name(name)
        if found is None:
            unknown.append(name)
        elif found not in names:
            names.append(found)
    return names, unknown


def _face_of(family: str) -> Face | None:
    """The face matplotlib draws `family` with (a generic family through its `font.<generic>` list), or None."""
    properties = font_manager.FontProperties(family=[family], style="normal", weight="normal")
    try:
        path = font_manager.fontManager.findfont(properties, fallback_to_default=False)
    except ValueError:
        return None
    index = int(getattr(path, "face_index", 0))
    return next(
        (face for face in installed.faces() if face.file == str(path) and face.index == index),
        Face(family, str(path), index, 400, "normal"),
    )


def _kind(family: str) -> str:
    """`serif`, `monospace` or `sans-serif`: the look of `family`, for picking fallbacks that match it."""
    if family in GENERIC_FAMILIES:
        return family
    lowered = family.lower()
    if "mono" in lowered or "code" in lowered:
        return "monospace"
    if "serif" in lowered.replace("sans serif", "").replace("sans-serif", ""):
        return "serif"
    return "sans-serif"


def _cover(missing: set[str], kind: str) -> tuple[list[str], set[str]]:
    """Installed families that together have `missing` (greedily, most characters first), and what is left."""
    picked: list[str] = []
    left = set(missing)
    candidates = installed.fallback_candidates() if left else []
    region = _region(left)
    while left:
        scored = [(len(installed.coverage(face, left)), face) for face in candidates if face.family not in picked]
        scored = [(count, face) for count, face in scored if count]
        if not scored:
            break
        best = min(scored, key=lambda item: _preference(item[0], item[1].family, kind, region))[1]
        picked.append(best.family)
        left -= installed.coverage(best, left)
    return picked, left


def _preference(count: int, family: str, kind: str, region: str) -> tuple[int, bool, bool, str]:
    """Sort key of a candidate: most characters covered, then the look of the scene's font, then the regional
    variant, then the name (so the choice is the same on every run)."""
    return (-count, _kind(family) != kind, not family.endswith(region), family)


def _region(chars: Iterable[str]) -> str:
    """The regional CJK variant to prefer among fonts covering the same characters (Noto names them `… JP`,
    `… KR`, `… SC`): Japanese when kana are drawn, Korean when hangul are, else simplified Chinese."""
    codes = [ord(char) for char in chars]
    if any(KANA[0] <= code <= KANA[1] for code in codes):
        return " JP"
    if any(low <= code <= high for code in codes for low, high in HANGUL):
        return " KR"
    return " SC"
