"""Parse TOML or JSON spec text into data and the line of every key; a syntax error, a repeated JSON key or
nesting too deep becomes a SpecError naming the file and line."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

from scenespec.errors import KeyPath, Problem, SpecError
from scenespec.load.locations import json_duplicate_keys, locate_json, locate_toml
from scenespec.load.nesting import TOO_DEEP, too_deep_line, too_deep_path


def _toml_error_line(error: tomllib.TOMLDecodeError) -> tuple[str, int | None]:
    """Split tomllib's "... (at line 3, column 5)" into message and line."""
    text = str(error)
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", text)
    if not match:
        return text, None
    return text[: match.start()], int(match.group(1))


def _too_deep(text: str, file: str) -> SpecError:
    return SpecError([Problem(TOO_DEEP, file=file, line=too_deep_line(text))])


class _DuplicateKey(Exception):
    """A JSON object repeats a key (json.loads would silently keep the last)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json.loads' object hook: an object whose keys repeat is an error, as a table's are in TOML."""
    data = dict(pairs)
    if len(data) != len(pairs):
        raise _DuplicateKey
    return data


def _duplicate_problems(text: str, file: str) -> list[Problem]:
    problems = []
    for path, line, first in json_duplicate_keys(text):
        message = f"key {path[-1]!r} is given twice (first on line {first}); keys of an object must be unique"
        problems.append(Problem(message, path, file=file, line=line))
    return problems or [Problem("a key is given twice in one object; keys of an object must be unique", file=file)]


def _parse_json(text: str, file: str) -> dict[str, Any]:
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        problem = Problem(f"JSON syntax error: {exc.msg} (column {exc.colno})", file=file, line=exc.lineno)
        raise SpecError([problem]) from None
    except _DuplicateKey:
        raise SpecError(_duplicate_problems(text, file)) from None
    if not isinstance(data, dict):
        raise SpecError([Problem("a JSON spec must be an object at the top level", file=file, line=1)])
    return data


def parse_text(text: str, fmt: str, file: str) -> tuple[dict[str, Any], dict[KeyPath, int]]:
    """Parse spec text; a syntax error, a repeated key or nesting too deep becomes a SpecError naming file and line."""
    try:
        if fmt == "toml":
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                message, line = _toml_error_line(exc)
                raise SpecError([Problem(f"TOML syntax error: {message}", file=file, line=line)]) from None
        else:
            data = _parse_json(text, file)
    except RecursionError:
        raise _too_deep(text, file) from None
    if too_deep_path(data) is not None:
        raise _too_deep(text, file)
    return data, locate_toml(text) if fmt == "toml" else locate_json(text)
