"""How deeply a spec nests arrays and tables, and where it goes too deep.

Parsers and every later stage walk a spec recursively: `x = [[[[…]]]]` a few thousand levels deep
exhausts Python's stack (a RecursionError in tomllib, json, deepcopy or pydantic). No spec needs more than
a handful of levels, so more than `MAX_NESTING` is refused with the line where the limit is crossed.
"""

from __future__ import annotations

import bisect
from typing import Any

from scenespec.errors import KeyPath

MAX_NESTING = 100
"""Deepest nesting of arrays and tables (inline or not) a spec may have; real specs use fewer than ten."""

TOO_DEEP = f"nested too deeply (more than {MAX_NESTING} levels of arrays and tables)"

_OPEN = "[{"
_CLOSE = "]}"


def too_deep_path(data: Any, limit: int = MAX_NESTING) -> KeyPath | None:
    """The key path of the first value nested more than `limit` levels deep in parsed data, or None.

    Walks with an explicit stack, so data too deep for recursion is measured all the same.
    """
    stack: list[tuple[Any, KeyPath]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            items: Any = node.items()
        elif isinstance(node, list | tuple):
            items = enumerate(node)
        else:
            continue
        if len(path) >= limit:
            return path
        stack.extend((value, (*path, key)) for key, value in items)
    return None


def shown_path(path: KeyPath) -> KeyPath:
    """The start of a path too deep to print whole: its keys up to the first array index, at most three."""
    for index, part in enumerate(path[:3]):
        if isinstance(part, int):
            return path[: max(index, 1)]
    return path[:3]


def too_deep_line(text: str, limit: int = MAX_NESTING) -> int | None:
    """The 1-based line where brackets and braces outside strings and comments first nest deeper than `limit`.

    Works on TOML and JSON text alike (TOML table headers open and close on their own line); it trusts nothing
    about the text being valid, as it is used when a parser failed.
    """
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]
    depth = 0
    pos = 0
    quote = ""
    while pos < len(text):
        ch = text[pos]
        if quote:
            if ch == "\\" and quote in ('"', '"""'):
                pos += 2
                continue
            if text.startswith(quote, pos):
                pos += len(quote)
                quote = ""
                continue
        elif ch in "\"'":
            quote = text[pos : pos + 3] if text.startswith(ch * 3, pos) else ch
            pos += len(quote)
            continue
        elif ch == "#":
            end = text.find("\n", pos)
            pos = len(text) if end < 0 else end
            continue
        elif ch in _OPEN:
            depth += 1
            if depth > limit:
                return bisect.bisect_left(newlines, pos) + 1
        elif ch in _CLOSE:
            depth = max(depth - 1, 0)
        pos += 1
    return None
