"""Checks every spec value gets whatever its field: whole numbers a float64 holds, text without control characters.

TOML and JSON allow integers of any size and strings with any character. A step number of 10^23 overflows
numpy's int64 deep inside the scheduler, and a bell or escape character in a title is drawn as a missing
glyph (or moves a terminal's cursor when an error quotes it). Both are refused where they are written.
"""

from __future__ import annotations

import re
from typing import Any

MAX_WHOLE = 2**53
"""Largest whole number in a spec (in size): every integer up to it is exactly a float64, and fits an int64."""

CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters refused in text: C0 but tab and line feed (a CR only in a CRLF line break), DEL, C1."""


def control_problem(text: str) -> str | None:
    """Why `text` cannot be spec text (a control character other than tab and line break), or None."""
    found = CONTROL_RE.search(text.replace("\r\n", "\n"))
    if found is None:
        return None
    return (
        f"control character U+{ord(found[0]):04X} in the text; only tabs and line breaks are allowed "
        "(write \\n for a line break)"
    )


def value_problem(value: Any) -> str | None:
    """Why a value read from a spec cannot be used whatever its field, or None; lists are checked item by item."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and abs(value) > MAX_WHOLE:
        return f"{value} is too large; whole numbers in a spec are at most 2**53 = {MAX_WHOLE} in size"
    if isinstance(value, str):
        return control_problem(value)
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            problem = value_problem(item)
            if problem is not None:
                return f"item {index + 1}: {problem}"
    return None


def check_value(value: Any) -> None:
    """Raise ValueError if `value_problem` finds one (a field validator turns it into a located error)."""
    problem = value_problem(value)
    if problem is not None:
        raise ValueError(problem)
