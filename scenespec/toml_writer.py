"""Spec data as TOML text, for `scenespec init` turning a JSON spec into a TOML one.

The standard library reads TOML but does not write it, and a spec needs little: tables, arrays of tables
(`[[panels]]`), inline tables (layers), strings, numbers, booleans and arrays. The layout follows the specs in
specs/: a top-level table is a `[section]`, its sub-tables `[section.sub]`, a top-level array of tables `[[name]]`
whose own tables and arrays of tables are written inline, one table per line.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

_BARE = re.compile(r"[A-Za-z0-9_-]+")


class NotToml(ValueError):
    """A value TOML cannot hold (JSON's null)."""

    def __init__(self, path: tuple[str | int, ...]) -> None:
        super().__init__("a null value, which TOML cannot write")
        self.path = path


def dumps(data: Mapping[str, Any]) -> str:
    """TOML text whose `tomllib.loads` equals `data`."""
    lines: list[str] = []
    _section(lines, (), data)
    return "\n".join(lines).lstrip("\n") + "\n"


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, Mapping) for item in value)


def _section(lines: list[str], path: tuple[str, ...], table: Mapping[str, Any]) -> None:
    """`table` as `[path]` with its plain keys, then its sub-tables and arrays of tables as sections of their own."""
    plain = {k: v for k, v in table.items() if not isinstance(v, Mapping) and not _is_tables(v)}
    subtables = {k: v for k, v in table.items() if isinstance(v, Mapping)}
    arrays = {k: v for k, v in table.items() if _is_tables(v)}
    if path and (plain or not (subtables or arrays)):
        lines += ["", f"[{_dotted(path)}]"]
    lines += [f"{_key(k)} = {_value(v, (*path, k))}" for k, v in plain.items()]
    for key, sub in subtables.items():
        _section(lines, (*path, key), sub)
    for key, items in arrays.items():
        for index, item in enumerate(items):
            lines += ["", f"[[{_dotted((*path, key))}]]"]
            lines += [f"{_key(k)} = {_value(v, (*path, key, index, k))}" for k, v in item.items()]


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(_key(part) for part in path)


def _key(key: str) -> str:
    return key if _BARE.fullmatch(key) else _string(key)


def _string(text: str) -> str:
    # JSON's escapes (\" \\ \n \t \uXXXX ...) are TOML's; DEL is the one control character JSON leaves raw
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value: Any, path: tuple[str | int, ...]) -> str:
    """One value, inline: a table as `{ k = v }`, an array of tables one table per line."""
    if value is None:
        raise NotToml(path)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return ("-inf" if value < 0 else "inf") if math.isinf(value) else "nan" if math.isnan(value) else repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_key(k)} = {_value(v, (*path, k))}" for k, v in value.items())
        return f"{{ {inner} }}" if inner else "{}"
    if _is_tables(value):
        rows = "".join(f"  {_value(item, (*path, i))},\n" for i, item in enumerate(value))
        return f"[\n{rows}]"
    return "[" + ", ".join(_value(item, (*path, i)) for i, item in enumerate(value)) + "]"
