"""`[set]`: a spec changes single values of what it inherited, by key path, as `--set` does.

`"panels[0].layers[1].color" = "red"` changes one layer of an inherited panel, where merging could only replace
the whole `panels` array; `"panels[0].layers+" = [...]` appends to an array. Each changed key is then located
at its `[set]` entry.
"""

from __future__ import annotations

from typing import Any

from scenespec.errors import KeyPath
from scenespec.load.locations import Location
from scenespec.load.merge import APPEND, Doc, moved, replace_subtree, spec_error
from scenespec.load.overrides import parse_key_path

PATCHES = "set"


def apply_patches(doc: Doc, patches: Any, written: dict[KeyPath, Location]) -> None:
    """Apply the `[set]` table `patches` to `doc` in order; `written` holds the locations of the `[set]` table."""
    if not isinstance(patches, dict):
        raise spec_error(written, (PATCHES,), 'expected a table of key paths, e.g. "panels[0].title" = "Loss"')
    for key, value in patches.items():
        entry = (PATCHES, key)
        append = key.endswith(APPEND)
        path = parse_key_path(key[: -len(APPEND)] if append else key)
        if path is None or not path:
            raise spec_error(written, entry, 'expected a key path such as "panels[0].title" or "frames.fps"')
        parent = _parent(doc.data, path, written, entry)
        last = path[-1]
        if append:
            _append(doc, parent, path, value, written, entry)
            continue
        if isinstance(parent, dict) and isinstance(last, str):
            parent[last] = value
        elif isinstance(parent, list) and isinstance(last, int) and last <= len(parent):
            parent[last : last + 1] = [value]
        else:
            raise spec_error(written, entry, _cannot(parent, last))
        new = dict(moved(written, entry, path))
        new[path] = written.get(entry) or Location(None, None)
        replace_subtree(doc.locations, path, new)


def _parent(data: dict[str, Any], path: KeyPath, written: dict[KeyPath, Location], entry: KeyPath) -> Any:
    """The table or array holding the last key of `path`; tables on the way are made when missing."""
    node: Any = data
    for depth, part in enumerate(path[:-1]):
        if isinstance(node, dict) and isinstance(part, str):
            node = node.setdefault(part, [] if isinstance(path[depth + 1], int) else {})
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            raise spec_error(written, entry, _cannot(node, part))
    return node


def _append(doc: Doc, parent: Any, path: KeyPath, value: Any, written: dict[KeyPath, Location], entry: KeyPath) -> None:
    last = path[-1]
    if not isinstance(value, list):
        raise spec_error(written, entry, f"a key ending in {APPEND!r} appends an array; got {type(value).__name__}")
    if isinstance(parent, dict) and isinstance(last, str):
        target = parent.setdefault(last, [])
    elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        target = parent[last]
    else:
        raise spec_error(written, entry, _cannot(parent, last))
    if not isinstance(target, list):
        raise spec_error(written, entry, f"cannot append: the value at this path is a {type(target).__name__}")
    start = len(target)
    target.extend(value)
    doc.locations.setdefault(path, written.get(entry) or Location(None, None))
    for index in range(len(value)):
        doc.locations.update(moved(written, (*entry, index), (*path, start + index)))


def _cannot(node: Any, part: str | int) -> str:
    if isinstance(node, list) and isinstance(part, int):
        return f"no element [{part}]: the array has {len(node)}"
    kind = "an array" if isinstance(node, list) else "a table" if isinstance(node, dict) else f"a {type(node).__name__}"
    return f"cannot index {kind} with {part!r}"
