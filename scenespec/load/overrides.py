"""`--set key.path=value`: change any spec value from the command line before validation."""

from __future__ import annotations

import re
import reprlib
import tomllib
from dataclasses import dataclass
from typing import Any

import numpy as np

from scenespec.errors import KeyPath, Problem, SpecError
from scenespec.load.nesting import too_deep_path

LABEL = reprlib.Repr()
"""How an override from Python shows its value in messages: as `repr`, but cut short when long or deep."""
LABEL.maxstring = LABEL.maxother = 80


def plain(value: Any) -> Any:
    """A value from Python as a spec holds it: numpy numbers and arrays become Python numbers and lists (strict
    validation takes a numpy int for no whole number), through lists, tuples and dicts."""
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


_PART = re.compile(r"([^.\[\]]+)((?:\[\d+\])*)")


def parse_key_path(text: str) -> KeyPath | None:
    """`panels[0].layers[1].color` or `panels.0.layers.1.color` as a key path; None if it is not one.

    Both spellings are taken: brackets read as the reference docs write paths, dots as shells type them.
    """
    path: list[str | int] = []
    for raw in text.strip().split("."):
        match = _PART.fullmatch(raw.strip())
        if match is None:
            return None
        name, indexes = match.group(1).strip(), match.group(2)
        path.append(int(name) if name.isdigit() else name)
        path.extend(int(index) for index in re.findall(r"\d+", indexes))
    return tuple(path)


def parse_value(text: str) -> Any:
    """Read a value as TOML (`20`, `true`, `[1, 2]`, `"s"`); anything else is a plain string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):  # too deep to parse: text, as anything not TOML is
        return text


@dataclass(frozen=True)
class Override:
    """One parsed `--set`: the key path it writes and the value."""

    text: str
    path: KeyPath
    value: Any
    origin: str = "--set"
    """Where it was given: `--set` on the command line, `with_values` in Python."""

    @property
    def label(self) -> str:
        """How an error names this override, e.g. `--set frames.fps=0`."""
        return f"{self.origin} {self.text}"

    @classmethod
    def of(cls, key: str, value: Any, origin: str = "with_values") -> Override:
        """An override from Python: `key` is a dotted path (`frames.fps`, `panels.0.title` or `panels[0].title`),
        `value` any value."""
        path = parse_key_path(str(key))
        if path is None:
            raise SpecError([Problem("expected a dotted key path, e.g. frames.fps", file=f"{origin} {key!r}")])
        value = value if too_deep_path(value) is not None else plain(value)  # too deep: refused when applied
        return cls(text=f"{key}={LABEL.repr(value)}", path=path, value=value, origin=origin)

    @classmethod
    def parse(cls, text: str) -> Override:
        key, sep, raw = text.partition("=")
        path = parse_key_path(key)
        if not sep or path is None:
            problem = Problem("expected KEY.PATH=VALUE, e.g. frames.fps=20", file=f"--set {text}")
            raise SpecError([problem])
        return cls(text=text, path=path, value=parse_value(raw.strip()))


def apply_overrides(data: dict[str, Any], overrides: list[Override]) -> None:
    """Write each override into `data` in place, creating tables on the way."""
    for override in overrides:
        node: Any = data
        *parents, last = override.path
        for depth, part in enumerate(parents):
            nxt = override.path[depth + 1]
            if isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            elif isinstance(node, dict) and isinstance(part, str):
                node = node.setdefault(part, [] if isinstance(nxt, int) else {})
            else:
                _fail(override, f"cannot index {type(node).__name__} with {part!r}")
        if isinstance(node, dict) and isinstance(last, str):
            node[last] = override.value
        elif isinstance(node, list) and isinstance(last, int) and last <= len(node):
            if last == len(node):
                node.append(override.value)
            else:
                node[last] = override.value
        else:
            _fail(override, f"cannot set {last!r} here")


def _fail(override: Override, message: str) -> None:
    raise SpecError([Problem(message, override.path, file=override.label)])
