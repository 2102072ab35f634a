"""Finding and reading themes: a built-in name or a theme file, and the chain of themes it builds on.

A theme's problems are located in its own file (`themes/lab.toml:4: colors.text: ...`): it is read with the
spec loader and validated with the spec's error wording. `find_theme` is the one place a theme reference
becomes a file, so another kind of reference needs only a new branch there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from scenespec.errors import Problem, SpecError
from scenespec.load.loader import FORMATS, LoadedSpec, load_spec
from scenespec.packages import THEMES, is_packaged, packaged_file
from scenespec.themes.model import ThemeFile
from scenespec.validate.messages import problems_from  # the spec's wording of pydantic's errors

BUILTIN_DIR = Path(__file__).parent
BUILTIN_THEMES = ("light", "dark", "paper", "talk")
DEFAULT_THEME = "light"
MAX_CHAIN = 20
"""Themes a chain of `base`s may hold: more is a mistake (a chain that long is never meant)."""


@dataclass(frozen=True)
class Theme:
    """A theme as it applies: the rcParams it sets and the colour of each optimizer, bases merged in."""

    name: str
    rc: Mapping[str, Any] = field(default_factory=dict)
    optimizer_colors: Mapping[str, str] = field(default_factory=dict)


class ThemeNotFound(LookupError):
    """A theme reference that names no built-in theme and no file."""


def find_theme(reference: str, relative_to: Path) -> Path:
    """The file a theme reference names: a built-in theme's name, or a path (relative to `relative_to`) to a
    `.toml` or `.json` theme file. Raises ThemeNotFound saying what would have been accepted."""
    if reference in BUILTIN_THEMES:
        return BUILTIN_DIR / f"{reference}.toml"
    path = relative_to / reference
    if is_packaged(reference) and not path.exists():  # `PACKAGE:NAME`: a theme an installed package ships
        try:
            return packaged_file(reference, THEMES)
        except SpecError as exc:
            raise ThemeNotFound(exc.problems[0].message) from None
    if Path(reference).suffix.lower() not in FORMATS:
        raise ThemeNotFound(
            f"unknown theme {reference!r}: a built-in theme ({', '.join(BUILTIN_THEMES)}) or a theme file "
            f"({' or '.join(FORMATS)}) relative to the file that names it, or PACKAGE:NAME of an installed package"
        )
    if not path.is_file():
        raise ThemeNotFound(f"no theme file {reference!r} (looked for {path})")
    return path


def read_theme_file(path: Path) -> tuple[ThemeFile, LoadedSpec]:
    """One theme file, validated; its problems are located in it."""
    loaded = load_spec(path)
    try:
        theme = ThemeFile.model_validate(loaded.data)
    except ValidationError as exc:
        raise SpecError(problems_from(exc, loaded)) from None
    problems = [loaded.problem(message, key) for key, message in theme.problems()]
    if problems:
        raise SpecError(problems)
    return theme, loaded


def load_theme(reference: str, relative_to: Path, where: Problem | None = None) -> Theme:
    """The theme `reference` names, with every theme it builds on merged below it (nearest wins).

    `where` says where the reference was written (a Problem whose message is replaced), for errors about the
    reference itself: no such theme, or a chain of bases that comes back to a theme already in it."""
    chain: list[ThemeFile] = []
    seen: list[Path] = []
    current, folder, at = reference, relative_to, where
    while True:
        try:
            path = find_theme(current, folder).resolve()
        except ThemeNotFound as exc:
            raise SpecError([_at(at, str(exc))]) from None
        if path in seen or len(seen) >= MAX_CHAIN:
            names = " -> ".join(p.name for p in [*seen, path])
            raise SpecError([_at(at, f"themes build on each other in a cycle: {names}")])
        seen.append(path)
        theme, loaded = read_theme_file(path)
        chain.append(theme)
        if theme.base is None:
            break
        current, folder, at = theme.base, path.parent, loaded.problem("", ("base",))
    rc: dict[str, Any] = {}
    colours: dict[str, str] = {}
    for theme in reversed(chain):
        rc.update(theme.named_rc())
        colours.update(theme.optimizers)
    return Theme(reference, rc, colours)


def _at(where: Problem | None, message: str) -> Problem:
    if where is None:
        return Problem(message)
    return Problem(message, where.path, file=where.file, line=where.line)
