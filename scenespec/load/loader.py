"""Load stage: a TOML or JSON spec (a file, text, or a dict) into a plain dict, remembering where every key came from.

A file's problems are reported as `file:line: key: message`, text's as `<text>:line: key: message`, and a
dict's as `key: message` (a dict has no lines).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenespec.errors import KeyPath, Problem, SpecError
from scenespec.load.extends import Reading, Source, assemble, uses_reuse
from scenespec.load.files import FORMATS, Unreadable, format_of, read_text
from scenespec.load.locations import Location, line_for
from scenespec.load.merge import Doc
from scenespec.load.nesting import TOO_DEEP, shown_path, too_deep_path
from scenespec.load.overrides import Override, apply_overrides, plain
from scenespec.load.parse import parse_text
from scenespec.packages import is_packaged, packaged_file


@dataclass
class LoadedSpec:
    """The raw spec data plus what is needed to point back into the file."""

    data: dict[str, Any]
    file: str | None
    """What errors name as the spec's place: a path, `<text>`, or None for a dict."""
    base_dir: Path
    name: str
    text: str
    locations: dict[KeyPath, Location] = field(default_factory=dict)
    """Key path -> (file, line) where it was written: the spec, a base it extends or a fragment it includes."""
    overrides: list[Override] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    """Every file the spec is read from: itself (when a file), its bases and its fragments."""
    folders: dict[str, Path] = field(default_factory=dict)
    """The folder of each file named in `locations`: relative paths written there start from it."""
    reference: str | None = None
    """`PACKAGE:NAME` when the spec is an installed package's (scenespec/packages.py): its outputs go to the
    current folder, never beside the file in the package."""

    def _overridden(self, path: KeyPath) -> Override | None:
        for override in reversed(self.overrides):
            if path[: len(override.path)] == override.path:
                return override
        return None

    def problem(self, message: str, path: KeyPath = ()) -> Problem:
        """A Problem located at `path`: in an override if one set it, else in the file that wrote it."""
        override = self._overridden(path)
        if override is not None:
            return Problem(message, path, file=override.label)
        where = line_for(self.locations, path)
        if where is None:  # a key missing at the top level: the document is its table
            where = Location(self.file, 1 if self.file is not None and self.text else None)
        return Problem(message, path, file=where.file, line=where.line)

    def folder_of(self, path: KeyPath) -> Path:
        """The folder a relative path given at key `path` starts from: that of the file that wrote the key (a base
        or fragment in another folder), else the spec's own (`base_dir`, also for `--set` values)."""
        where = None if self._overridden(path) else line_for(self.locations, path)
        if where is not None and where.file is not None:
            return self.folders.get(where.file, self.base_dir)
        return self.base_dir


TEXT_LABEL = "<text>"


def _finish(doc: Doc, source: Source, overrides: Sequence[str | Override], **where: Any) -> LoadedSpec:
    """Drop an editor's `$schema` pointer, build on the spec's bases and fragments, and apply overrides (`--set`
    texts or parsed ones)."""
    doc.data.pop("$schema", None)  # editors' schema pointer, not part of the scene
    reading = Reading(top=source.folder)
    if uses_reuse(doc.data):
        doc = assemble(doc, source, reading)
        doc = Doc(_not_too_deep_data(doc.data, doc.locations), doc.locations)
    else:
        reading.note(source)
    parsed = [item if isinstance(item, Override) else Override.parse(item) for item in overrides]
    apply_overrides(doc.data, parsed)
    loaded = LoadedSpec(
        data=doc.data, locations=doc.locations, overrides=parsed, files=reading.files, folders=reading.folders, **where
    )
    return _not_too_deep(loaded)


def _not_too_deep_data(data: dict[str, Any], locations: dict[KeyPath, Location]) -> dict[str, Any]:
    """`data`, unless merging files nested it too deeply (each file alone was checked when parsed)."""
    deep = too_deep_path(data)
    if deep is not None:
        where = line_for(locations, deep) or Location(None, None)
        raise SpecError([Problem(TOO_DEEP, shown_path(deep), file=where.file, line=where.line)])
    return data


def _located(lines: dict[KeyPath, int], file: str) -> dict[KeyPath, Location]:
    return {path: Location(file, line) for path, line in lines.items()}


def _paths(data: Any, prefix: KeyPath = ()) -> Iterator[KeyPath]:
    """Every key path of a dict spec down to its tables and arrays of tables (not inside arrays of numbers)."""
    items: Any = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        if isinstance(value, dict | list) or isinstance(data, dict):
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))


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
    data, lines = parse_text(text, fmt, TEXT_LABEL)
    folder = (Path(base_dir) if base_dir is not None else Path.cwd()).resolve()
    doc = Doc(data, _located(lines, TEXT_LABEL))
    return _finish(doc, Source(TEXT_LABEL, folder), overrides, file=TEXT_LABEL, base_dir=folder, name=name, text=text)


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
    folder = (Path(base_dir) if base_dir is not None else Path.cwd()).resolve()
    copied = copy.deepcopy(plain(dict(data)))  # numpy values made plain
    # A dict has no lines; its keys are marked as its own, so that they are not taken for a fragment's.
    nowhere = Location(None, None)
    doc = Doc(copied, {path: nowhere for path in _paths(copied)} if uses_reuse(copied) else {})
    return _finish(doc, Source(None, folder), overrides, file=None, base_dir=folder, name=name, text="")


def load_spec(path: str | Path, overrides: Sequence[str | Override] | None = None) -> LoadedSpec:
    """Read and parse a spec file, then apply command-line `--set key.path=value` overrides."""
    path = Path(path)
    file = str(path)
    try:
        fmt = format_of(path)
        text = read_text(path)
    except Unreadable as exc:
        raise SpecError([Problem(str(exc), file=file)]) from None
    data, lines = parse_text(text, fmt, file)
    folder = path.resolve().parent
    source = Source(file, folder, path.absolute())
    return _finish(
        Doc(data, _located(lines, file)), source, overrides or (), file=file, base_dir=folder, name=path.stem, text=text
    )


def with_overrides(loaded: LoadedSpec, overrides: Sequence[Override]) -> LoadedSpec:
    """A copy of `loaded` with more overrides applied on top (the spec itself is not changed)."""
    data = copy.deepcopy(loaded.data)
    apply_overrides(data, list(overrides))
    changed = dataclasses.replace(loaded, data=data, overrides=[*loaded.overrides, *overrides])
    return _not_too_deep(changed)


def open_spec(source: str | Path, overrides: Sequence[str | Override] = ()) -> LoadedSpec:
    """A spec file, or an installed package's spec `PACKAGE:NAME`: read where the package keeps it, so that its
    relative data paths resolve in the package's folder; errors name that file and its lines."""
    if not is_packaged(source):
        return load_spec(source, overrides)
    reference = str(source)
    return dataclasses.replace(load_spec(packaged_file(reference), overrides), reference=reference)
