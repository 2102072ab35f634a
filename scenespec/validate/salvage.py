"""After structural problems, still check what can be checked, so one run reports every problem in a file.

A spec with a misspelt key and a binding to a missing field gets both problems at once. The parts with
structural problems are set aside: a broken layer becomes an empty one (so the other layers keep their
index), a broken source or transform is dropped and bindings to it are not judged, and any other broken key is
removed so that its default applies. If what is left still does not validate, only the structural problems
are reported.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from scenespec.errors import MAX_LISTED, KeyPath
from scenespec.validate.base import TRANSFORMS_SOURCE

PLACEHOLDER_LAYER: dict[str, Any] = {"kind": "text", "text": "", "at": [0, 0]}
"""What stands in for a broken layer: it binds nothing and fits a 2D or a 3D panel."""

ROUNDS = 2 * MAX_LISTED
"""Each round can uncover more structural problems (pydantic stops a table at its first unknown key); a round is a
validation of the whole spec, milliseconds."""


@dataclass
class SetAside:
    """The spec data without its broken parts, and what was taken out."""

    data: dict[str, Any]
    paths: list[KeyPath] = field(default_factory=list)
    unknown: set[str] = field(default_factory=set)
    """Source names and `transforms.NAME` bindings whose fields are not known (their spec is broken)."""

    def covers(self, path: KeyPath) -> bool:
        """Whether a problem at `path` lies in a part that was set aside."""
        return any(path[: len(aside)] == aside for aside in self.paths)

    def touches(self, path: KeyPath) -> bool:
        """Whether a problem at `path` may come from setting parts aside: it lies in one or holds one (a table
        left without its only source, a panel whose layer was replaced)."""
        return any(
            path[: len(aside)] == aside or aside[: len(path)] == path or _panel_setting_of(path, aside)
            for aside in self.paths
        )


def _panel_setting_of(path: KeyPath, aside: KeyPath) -> bool:
    """Whether `path` is a setting of the panel whose layer `aside` is: a panel's settings depend on its layers
    (`twin_ylabel` needs a layer on the twin axis, `zlabel` a 3D one)."""
    is_layer = len(aside) == 4 and aside[0] == "panels" and aside[2] == "layers"
    return is_layer and path[:2] == aside[:2] and (len(path) < 3 or path[2] != "layers")


def set_aside(data: dict[str, Any], broken: list[KeyPath]) -> SetAside | None:
    """A copy of `data` with the parts holding `broken` paths set aside; None if a path cannot be set aside."""
    result = SetAside(copy.deepcopy(data))
    for path in broken:
        if not _set_aside_one(result, path):
            return None
    return result


def extend(aside: SetAside, broken: list[KeyPath]) -> bool:
    """Set aside more parts of an earlier result; False if one cannot be."""
    return all(_set_aside_one(aside, path) for path in broken)


def _set_aside_one(aside: SetAside, path: KeyPath) -> bool:
    data = aside.data
    if aside.covers(path):
        return True
    if len(path) >= 4 and path[0] == "panels" and path[2] == "layers":
        panel, layer = path[1], path[3]
        try:
            layers = data["panels"][panel]["layers"]
            if not isinstance(layers, list) or not isinstance(layer, int):
                return False
            layers[layer] = dict(PLACEHOLDER_LAYER)
        except (KeyError, IndexError, TypeError):
            return False
        aside.paths.append(path[:4])
        return True
    if len(path) >= 2 and path[0] in ("sources", TRANSFORMS_SOURCE) and isinstance(data.get(path[0]), dict):
        group, name = path[0], path[1]
        if not isinstance(name, str) or name not in data[group]:
            return False
        del data[group][name]
        aside.unknown.add(name if group == "sources" else f"{TRANSFORMS_SOURCE}.{name}")
        aside.paths.append(path[:2])
        return True
    return _remove_key(aside, path)


def _remove_key(aside: SetAside, path: KeyPath) -> bool:
    """Remove the deepest table key on `path` (the whole value of `scene.size` for `scene.size[1]`)."""
    node: Any = aside.data
    deepest: tuple[dict[str, Any], str, int] | None = None
    for depth, part in enumerate(path):
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            deepest = (node, part, depth)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            break
    if deepest is None:
        return False
    table, key, depth = deepest
    del table[key]
    aside.paths.append(path[: depth + 1])
    return True
