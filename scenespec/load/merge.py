"""The merge rules of specs that build on others: tables merge key by key, arrays and values replace,
and `"key+" = [...]` appends to the inherited array.

Every function keeps the locations of the merged data true: each key remembers the file and line it came from,
so that an error in an inherited panel names the base file, and one in an included source the fragment.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from scenespec.errors import KeyPath, Problem, SpecError
from scenespec.load.locations import Location, line_for

APPEND = "+"
"""The suffix of a key whose array is appended to the inherited one: `"layers+" = [...]`."""


@dataclass
class Doc:
    """Spec data (or the part of it at some key path) with the location of each of its keys, by full key path."""

    data: dict[str, Any]
    locations: dict[KeyPath, Location]


def spec_error(locations: dict[KeyPath, Location], path: KeyPath, message: str) -> SpecError:
    """A one-problem SpecError located where `path` (or its nearest located ancestor) was written."""
    where = line_for(locations, path) or Location(None, None)
    return SpecError([Problem(message, path, file=where.file, line=where.line)])


def within(path: KeyPath, prefix: KeyPath) -> bool:
    return path[: len(prefix)] == prefix


def subtree(locations: dict[KeyPath, Location], prefix: KeyPath) -> dict[KeyPath, Location]:
    """The locations of `prefix` and everything below it."""
    return {path: where for path, where in locations.items() if within(path, prefix)}


def moved(locations: dict[KeyPath, Location], source: KeyPath, target: KeyPath) -> Iterator[tuple[KeyPath, Location]]:
    """The locations below `source` (itself included), as if that value were written at `target`."""
    for path, where in locations.items():
        if within(path, source):
            yield (*target, *path[len(source) :]), where


def replace_subtree(locations: dict[KeyPath, Location], prefix: KeyPath, new: dict[KeyPath, Location]) -> None:
    """Forget what was located at and below `prefix`, then take `new` (located at and below it)."""
    for path in [path for path in locations if within(path, prefix)]:
        del locations[path]
    locations.update(new)


def appended_name(key: str, value: Any) -> str | None:
    """`layers` for a key `layers+` holding an array; None for any other key."""
    if key.endswith(APPEND) and len(key) > len(APPEND) and isinstance(value, list):
        return key[: -len(APPEND)]
    return None


class _Placed:
    """A Doc's locations, indexed by every prefix: a merge moves whole subtrees many times, and a spec may hold
    long arrays (100,000 numbers), so finding a subtree must not scan every location each time."""

    def __init__(self, doc: Doc) -> None:
        self.locations = doc.locations
        self.below: dict[KeyPath, list[KeyPath]] = {}
        for path in doc.locations:
            for end in range(len(path) + 1):
                self.below.setdefault(path[:end], []).append(path)

    def get(self, path: KeyPath) -> Location | None:
        return self.locations.get(path)

    def moved(self, source: KeyPath, target: KeyPath) -> Iterator[tuple[KeyPath, Location]]:
        """The locations at and below `source`, as if that value were written at `target`."""
        for path in self.below.get(source, ()):
            yield (*target, *path[len(source) :]), self.locations[path]


def merge(base: Doc, over: Doc, at: KeyPath = ()) -> Doc:
    """`over` built on `base` (both the table at key path `at`): `over`'s keys win."""
    locations: dict[KeyPath, Location] = {}
    data = _tables(_Placed(base), _Placed(over), base.data, over.data, at, locations)
    return Doc(data, locations)


def _tables(
    base: _Placed, over: _Placed, low: dict[str, Any], high: dict[str, Any], at: KeyPath, out: dict[KeyPath, Location]
) -> dict[str, Any]:
    here = over.locations.get(at) or base.locations.get(at)
    if here is not None:
        out[at] = here
    appends = _appends(over.locations, high, at)
    result: dict[str, Any] = {}
    for key, value in low.items():
        path = (*at, key)
        if key in high:
            mine = high[key]
            if isinstance(value, dict) and isinstance(mine, dict):
                result[key] = _tables(base, over, value, mine, path, out)
            else:
                result[key] = mine
                out.update(over.moved(path, path))
        elif key in appends:
            result[key] = _append(base, over, value, high[appends[key]], path, out)
        else:
            result[key] = value
            out.update(base.moved(path, path))
    for key, mine in high.items():
        if key in result or appended_name(key, mine) in result:
            continue
        result[key] = mine
        out.update(over.moved((*at, key), (*at, key)))
    return result


def _appends(locations: dict[KeyPath, Location], table: dict[str, Any], at: KeyPath) -> dict[str, str]:
    """Array name -> its `name+` key in `table`; a table giving both `name` and `name+` is refused."""
    found = {}
    for key, value in table.items():
        name = appended_name(key, value)
        if name is None:
            continue
        if name in table:
            raise spec_error(locations, (*at, key), f"give {name!r} (replace) or {key!r} (append), not both")
        found[name] = key
    return found


def _append(
    base: _Placed, over: _Placed, inherited: Any, extra: list[Any], path: KeyPath, out: dict[KeyPath, Location]
) -> list[Any]:
    key = f"{path[-1]}{APPEND}"
    written = (*path[:-1], key)
    if not isinstance(inherited, list):
        kind = "a table" if isinstance(inherited, dict) else f"a {type(inherited).__name__}"
        raise spec_error(over.locations, written, f"cannot append: the inherited {path[-1]!r} is {kind}, not an array")
    out.update(base.moved(path, path))
    where = over.get(written)
    if where is not None:
        out[path] = where
    for index in range(len(extra)):
        out.update(over.moved((*written, index), (*path, len(inherited) + index)))
    return [*inherited, *extra]


def finish_appends(doc: Doc, node: Any = None, at: KeyPath = ()) -> Any:
    """Turn the `name+` keys left with nothing to append to into plain `name` arrays (in place); returns the node.

    Called once a file is read whole, so that what builds on it sees plain arrays.
    """
    node = doc.data if node is None else node
    if isinstance(node, list):
        for index, item in enumerate(node):
            finish_appends(doc, item, (*at, index))
        return node
    if not isinstance(node, dict):
        return node
    renames = _appends(doc.locations, node, at)
    for key, value in node.items():
        finish_appends(doc, value, (*at, key))
    if renames:
        renamed = {key: name for name, key in renames.items()}
        items = [(renamed.get(key, key), value) for key, value in node.items()]
        node.clear()
        node.update(items)
        for key, name in renamed.items():
            replace_subtree(doc.locations, (*at, key), dict(moved(doc.locations, (*at, key), (*at, name))))
    return node
