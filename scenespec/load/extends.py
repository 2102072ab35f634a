"""Specs built from several files: `extends = "base.toml"` at the top, `include = "fragment.toml"` in any table,
and `[set]` patches.

One file is read as: its tables' includes merged in (each table's own keys win over its fragments'), then the
whole merged onto its base (`extends`, read the same way), then its `[set]` applied. Paths name files relative to
the file that writes them. A file that (through others) includes or extends itself is refused with the chain.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenespec.errors import KeyPath
from scenespec.load.files import Unreadable, format_of, label_for, locate_included, read_text
from scenespec.load.locations import Location
from scenespec.load.merge import Doc, finish_appends, merge, replace_subtree, spec_error, subtree
from scenespec.load.parse import parse_text
from scenespec.load.patches import PATCHES, apply_patches

EXTENDS = "extends"
INCLUDE = "include"


@dataclass
class Source:
    """One file (or the text or dict given) being read: its name in errors and the folder its paths start from."""

    label: str | None
    folder: Path
    path: Path | None = None


@dataclass
class Reading:
    """What one load reads: every file (for `LoadedSpec.files`), each label's folder, and the files open now."""

    top: Path
    """The folder of the spec itself: chains of files in messages are named relative to it."""
    files: list[Path] = field(default_factory=list)
    folders: dict[str, Path] = field(default_factory=dict)
    open: list[Path] = field(default_factory=list)

    def note(self, source: Source) -> None:
        if source.label is not None:
            self.folders.setdefault(source.label, source.folder)
        if source.path is not None and source.path not in self.files:
            self.files.append(source.path)

    def cycle(self, path: Path) -> str | None:
        """`a.toml → b.toml → a.toml` if reading `path` now would go round in a circle, else None."""
        real = [os.path.realpath(file) for file in self.open]
        target = os.path.realpath(path)
        if target not in real:
            return None
        chain = [*self.open[real.index(target) :], path]
        return " → ".join(os.path.relpath(file, self.top) for file in chain)


def uses_reuse(data: Any, top: bool = True) -> bool:
    """Whether parsed data says `extends`, `include`, `set` or `key+` anywhere (else it loads as it is)."""
    if isinstance(data, list):
        return any(uses_reuse(item, False) for item in data)
    if not isinstance(data, dict):
        return False
    if top and (EXTENDS in data or PATCHES in data):
        return True
    return any(
        key in (INCLUDE, EXTENDS) or key.endswith("+") or uses_reuse(value, False) for key, value in data.items()
    )


def assemble(doc: Doc, source: Source, reading: Reading) -> Doc:
    """The spec `doc` (read from `source`) with its includes, base and `[set]` applied."""
    reading.note(source)
    if source.path is not None:
        reading.open.append(source.path)
    try:
        doc.data = expand(doc, doc.data, (), source, reading, spec=True)
        reference = doc.data.pop(EXTENDS, None)
        patches = doc.data.pop(PATCHES, None)
        written = subtree(doc.locations, (PATCHES,))
        replace_subtree(doc.locations, (PATCHES,), {})
        if reference is not None:
            where = subtree(doc.locations, (EXTENDS,))
            replace_subtree(doc.locations, (EXTENDS,), {})
            if not isinstance(reference, str):
                raise spec_error(where, (EXTENDS,), f"expected a file name, not {type(reference).__name__}")
            base = _read(reference, source, reading, where, (EXTENDS,), ())
            doc = merge(assemble(base.doc, base.source, reading), doc)
        finish_appends(doc)
        if patches is not None:
            apply_patches(doc, patches, written)
        return doc
    finally:
        if source.path is not None:
            reading.open.pop()


def expand(doc: Doc, node: Any, at: KeyPath, source: Source, reading: Reading, *, spec: bool = False) -> Any:
    """Merge the fragments that `node`'s tables include into them (in place, below `at`); returns the node."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            node[index] = expand(doc, item, (*at, index), source, reading)
        return node
    if not isinstance(node, dict):
        return node
    if EXTENDS in node and at:
        message = (
            f"`{EXTENDS}` belongs at the top of a spec, before its first [table] (a key below a header is the table's)"
        )
        raise spec_error(doc.locations, (*at, EXTENDS), message)
    for key in list(node):
        if not (spec and key == PATCHES):  # `[set]` values are written as they are
            node[key] = expand(doc, node[key], (*at, key), source, reading)
    if INCLUDE not in node:
        return node
    references = node.pop(INCLUDE)
    where = subtree(doc.locations, (*at, INCLUDE))
    replace_subtree(doc.locations, (*at, INCLUDE), {})
    keys = _include_keys(references, where, (*at, INCLUDE))
    combined: Doc | None = None
    for reference, key in keys:
        fragment = _fragment(reference, source, reading, where, key, at)
        combined = fragment if combined is None else merge(combined, fragment, at)
    assert combined is not None
    merged = merge(combined, Doc(node, subtree(doc.locations, at)), at)
    replace_subtree(doc.locations, at, merged.locations)
    return merged.data


def _include_keys(references: Any, where: dict[KeyPath, Location], key: KeyPath) -> list[tuple[str, KeyPath]]:
    """Each file named by an `include` value (a name or a list of names), with the key path that names it."""
    if isinstance(references, str):
        return [(references, key)]
    if isinstance(references, list) and references and all(isinstance(item, str) for item in references):
        return [(item, (*key, index)) for index, item in enumerate(references)]
    raise spec_error(where, key, "expected a file name or a non-empty list of file names")


@dataclass
class _Read:
    doc: Doc
    source: Source


def _read(
    reference: str, by: Source, reading: Reading, where: dict[KeyPath, Location], key: KeyPath, at: KeyPath
) -> _Read:
    """The file `reference` (named at `key` by `by`), parsed, with its locations placed below `at`."""
    try:
        path = locate_included(reference, by.folder)
    except Unreadable as exc:
        raise spec_error(where, key, f"{reference}: {exc}") from None
    chain = reading.cycle(path)
    if chain is not None:
        raise spec_error(where, key, f"{chain}: a file cannot build on itself")
    label = label_for(reference, path, by.label)
    try:
        fmt = format_of(path)
        text = read_text(path)
    except Unreadable as exc:
        raise spec_error(where, key, f"{reference}: {exc} ({path})") from None
    data, lines = parse_text(text, fmt, label)
    located = {(*at, *keys): Location(label, line) for keys, line in lines.items()}
    if at:  # the fragment's own place, until the table that includes it takes over
        located.setdefault(at, Location(label, 1))
    return _Read(Doc(data, located), Source(label, path.parent, path))


def _fragment(
    reference: str, by: Source, reading: Reading, where: dict[KeyPath, Location], key: KeyPath, at: KeyPath
) -> Doc:
    """A fragment, with its own includes merged in, placed at `at` to be merged into the table there."""
    read = _read(reference, by, reading, where, key, at)
    if EXTENDS in read.doc.data:
        message = f"a fragment cannot extend a spec; `{EXTENDS}` belongs at the top of a spec, `{INCLUDE}` in tables"
        raise spec_error(read.doc.locations, (*at, EXTENDS), message)
    reading.note(read.source)
    reading.open.append(read.source.path or Path(reference))
    try:
        read.doc.data = expand(read.doc, read.doc.data, at, read.source, reading)
    finally:
        reading.open.pop()
    finish_appends(read.doc, read.doc.data, at)
    return read.doc
