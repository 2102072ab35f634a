"""Load stage: read a TOML or JSON spec into a plain dict and remember where every key came from."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenespec.errors import KeyPath, Problem, SpecError
from scenespec.load.locations import line_for, locate_json, locate_toml
from scenespec.load.overrides import Override, apply_overrides

FORMATS = {".toml": "toml", ".json": "json"}


@dataclass
class LoadedSpec:
    """The raw spec data plus what is needed to point back into the file."""

    data: dict[str, Any]
    file: str
    base_dir: Path
    name: str
    text: str
    locations: dict[KeyPath, int] = field(default_factory=dict)
    overrides: list[Override] = field(default_factory=list)

    def problem(self, message: str, path: KeyPath = ()) -> Problem:
        """A Problem located at `path`: in an override if one set it, else in the file."""
        for override in reversed(self.overrides):
            if path[: len(override.path)] == override.path:
                return Problem(message, path, file=f"--set {override.text}")
        return Problem(message, path, file=self.file, line=line_for(self.locations, path))


def _toml_error_line(error: tomllib.TOMLDecodeError) -> tuple[str, int | None]:
    """Split tomllib's "... (at line 3, column 5)" into message and line."""
    text = str(error)
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", text)
    if not match:
        return text, None
    return text[: match.start()], int(match.group(1))


def parse_text(text: str, fmt: str, file: str) -> tuple[dict[str, Any], dict[KeyPath, int]]:
    """Parse spec text; a syntax error becomes a SpecError naming file and line."""
    if fmt == "toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            message, line = _toml_error_line(exc)
            raise SpecError([Problem(f"TOML syntax error: {message}", file=file, line=line)]) from None
        return data, locate_toml(text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problem = Problem(f"JSON syntax error: {exc.msg} (column {exc.colno})", file=file, line=exc.lineno)
        raise SpecError([problem]) from None
    if not isinstance(data, dict):
        raise SpecError([Problem("a JSON spec must be an object at the top level", file=file, line=1)])
    return data, locate_json(text)


def load_spec(path: str | Path, overrides: list[str] | None = None) -> LoadedSpec:
    """Read and parse a spec file, then apply command-line `--set key.path=value` overrides."""
    path = Path(path)
    file = str(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        expected = ", ".join(FORMATS)
        raise SpecError([Problem(f"unknown spec format {path.suffix!r}; expected one of {expected}", file=file)])
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError([Problem("no such spec file", file=file)]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([Problem(f"cannot read spec: {exc}", file=file)]) from None
    data, locations = parse_text(text, fmt, file)
    data.pop("$schema", None)  # editors' schema pointer, not part of the scene
    parsed = [Override.parse(item) for item in overrides or []]
    apply_overrides(data, parsed)
    return LoadedSpec(
        data=data,
        file=file,
        base_dir=path.resolve().parent,
        name=path.stem,
        text=text,
        locations=locations,
        overrides=parsed,
    )
