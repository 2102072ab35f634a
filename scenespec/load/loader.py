"""Load stage: a TOML or JSON spec (a file, text, or a dict) into a plain dict, remembering where every key came from.

A file's problems are reported as `file:line: key: message`, text's as `<text>:line: key: message`, and a
dict's as `key: message` (a dict has no lines).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenespec.errors import KeyPath, Problem, SpecError
from scenespec.load.locations import json_duplicate_keys, line_for, locate_json, locate_toml
from scenespec.load.nesting import TOO_DEEP, shown_path, too_deep_line, too_deep_path
from scenespec.load.overrides import Override, apply_overrides, plain

FORMATS = {".toml": "toml", ".json": "json"}


@dataclass
class LoadedSpec:
    """The raw spec data plus what is needed to point back into the file."""

    data: dict[str, Any]
    file: str | None
    """What errors name as the spec's place: a path, `<text>`, or None for a dict."""
    base_dir: Path
    name: str
    text: str
    locations: dict[KeyPath, int] = field(default_factory=dict)
    overrides: list[Override] = field(default_factory=list)
    reference: str | None = None
    """`PACKAGE:NAME` when the spec is an installed package's (scenespec/packages.py): its outputs go to the
    current folder, never beside the file in the package."""

    def problem(self, message: str, path: KeyPath = ()) -> Problem:
        """A Problem located at `path`: in an override if one set it, else in the file."""
        for override in reversed(self.overrides):
            if path[: len(override.path)] == override.path:
                return Problem(message, path, file=override.label)
        line = line_for(self.locations, path)
        if line is None and self.file is not None and self.text:
            line = 1  # a key missing at the top level: the document is its table
        return Problem(message, path, file=self.file, line=line)


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


TEXT_LABEL = "<text>"


def _finish(
    data: dict[str, Any], locations: dict[KeyPath, int], overrides: Sequence[str | Override], **where: Any
) -> LoadedSpec:
    """Drop an editor's `$schema` pointer and apply overrides (`--set` texts or parsed ones)."""
    data.pop("$schema", None)  # editors' schema pointer, not part of the scene
    parsed = [item if isinstance(item, Override) else Override.parse(item) for item in overrides]
    apply_overrides(data, parsed)
    return _not_too_deep(LoadedSpec(data=data, locations=locations, overrides=parsed, **where))


def _not_too_deep(loaded: LoadedSpec) -> LoadedSpec:
    """`loaded`, unless an override put data in it nested too deeply for the later stages."""
    deep = too_deep_path(loaded.data)
    if deep is not None:
        raise SpecError([loaded.problem(TOO_DEEP, shown_path(deep))])
    return loaded


def load_text(
    text: str,
    fmt: str | None = None,
    overrides: Sequence[str | Override] = (),
    *,
    base_dir: str | Path | None = None,
    name: str = "scene",
) -> LoadedSpec:
    """Parse spec text: JSON when it starts with `{` (or `fmt="json"`), else TOML; errors name `<text>:line`."""
    fmt = fmt or ("json" if text.lstrip().startswith("{") else "toml")
    if fmt not in FORMATS.values():
        raise ValueError(f"unknown spec format {fmt!r}; expected toml or json")
    data, locations = parse_text(text, fmt, TEXT_LABEL)
    folder = Path(base_dir) if base_dir is not None else Path.cwd()
    return _finish(data, locations, overrides, file=TEXT_LABEL, base_dir=folder.resolve(), name=name, text=text)


def load_data(
    data: Mapping[str, Any],
    overrides: Sequence[str | Override] = (),
    *,
    base_dir: str | Path | None = None,
    name: str = "scene",
) -> LoadedSpec:
    """A spec given as a dict (deep-copied, so the caller's stays as it was); errors name the key path."""
    if not isinstance(data, Mapping):
        raise SpecError([Problem(f"a spec is a mapping of tables, not {type(data).__name__}")])
    deep = too_deep_path(data)
    if deep is not None:
        raise SpecError([Problem(TOO_DEEP, shown_path(deep))])
    folder = Path(base_dir) if base_dir is not None else Path.cwd()
    copied = copy.deepcopy(plain(dict(data)))  # numpy values made plain
    return _finish(copied, {}, overrides, file=None, base_dir=folder.resolve(), name=name, text="")


def load_spec(path: str | Path, overrides: Sequence[str | Override] | None = None) -> LoadedSpec:
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
    return _finish(
        data, locations, overrides or (), file=file, base_dir=path.resolve().parent, name=path.stem, text=text
    )


def with_overrides(loaded: LoadedSpec, overrides: Sequence[Override]) -> LoadedSpec:
    """A copy of `loaded` with more overrides applied on top (the spec itself is not changed)."""
    data = copy.deepcopy(loaded.data)
    apply_overrides(data, list(overrides))
    changed = dataclasses.replace(loaded, data=data, overrides=[*loaded.overrides, *overrides])
    return _not_too_deep(changed)
