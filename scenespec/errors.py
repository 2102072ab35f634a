"""User-facing errors: each one names where in the spec the problem is.

Every stage raises `SpecError` for mistakes a user can fix; the CLI prints them
as ``file:line: key.path: message`` and exits non-zero without a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

KeyPath = tuple[str | int, ...]


def format_path(path: KeyPath) -> str:
    """`('panels', 0, 'layers', 1, 'x')` -> `panels[0].layers[1].x`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """A "; did you mean 'x'?" suffix for the closest choice, or ''."""
    matches = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {matches[0]!r}?" if matches else ""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec, located as precisely as we know."""

    message: str
    path: KeyPath = ()
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        key = f"{format_path(self.path)}: " if self.path else ""
        return f"{where}{key}{self.message}"


@dataclass
class SpecError(Exception):
    """One or more problems in a spec; the message lists them all."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __reduce__(self) -> tuple[type[SpecError], tuple[list[Problem]]]:
        """Pickled as its problems (not as its message, which `Exception` would pass back as `problems`), so an
        error raised in a worker process or on another machine arrives as the same SpecError."""
        return type(self), (self.problems,)

    def __str__(self) -> str:
        """Every problem, in the order of the file (then those with no line), at most MAX_LISTED of them."""
        ordered = sorted(self.problems, key=_position)
        lines = [str(p) for p in ordered[:MAX_LISTED]]
        if len(ordered) > MAX_LISTED:
            lines.append(f"… and {len(ordered) - MAX_LISTED} more problems")
        return "\n".join(lines)


MAX_LISTED = 30
"""Problems printed for one spec: enough to fix a file in one go, few enough to read."""


def _position(problem: Problem) -> tuple[bool, str, bool, int]:
    return (problem.file is None, problem.file or "", problem.line is None, problem.line or 0)


class SpecWarning(UserWarning):
    """A problem in a spec that does not stop it rendering (a font that is not installed, a character no font
    has): a Python warning, which the CLI prints as `warning: file:line: key: message`."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class RenderError(Exception):
    """A failure while producing output (unwritable path, no display, …)."""


class PluginError(ImportError):
    """An installed plug-in (an entry point adding a kind) failed to load; the message names it."""
