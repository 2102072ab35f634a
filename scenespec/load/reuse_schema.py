"""The spec's JSON Schema, taught the keys of specs built from several files, so that editors do not flag them.

`extends` and `[set]` are accepted at the top, `include` and `"name+"` arrays in every table. A table that includes
a fragment may leave out what the fragment gives (its required keys, even `kind`), and a spec that extends a base
may leave out anything: it is checked against a copy of the definitions (`Partial…`) with nothing required,
while a spec without `extends` is checked in full.
"""

from __future__ import annotations

import copy
from typing import Any

EXTENDS = {
    "type": "string",
    "description": "A spec this one builds on: a file relative to this one; its tables merge with this spec's "
    "key by key, its arrays and values are replaced (see docs/reuse.md).",
}
INCLUDE = {
    "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}],
    "description": "A fragment (or a list of them, merged in order) merged into this table; the table's own keys "
    "win. A file relative to the one that says it (see docs/reuse.md).",
}
SET = {
    "type": "object",
    "additionalProperties": True,
    "description": 'Changes applied after merging, as `--set` does: "panels[0].title" = "Loss"; a key path ending '
    'in `+` appends to an array: "panels[0].layers+" = [...] (see docs/reuse.md).',
}
APPENDED = {
    "^.+\\+$": {
        "type": "array",
        "description": "`name+`: appended to the inherited array `name` instead of replacing it.",
    }
}
PARTIAL = "Partial"
DEFS = "#/$defs/"


def with_reuse_keys(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` (the Scene's, with `properties` and `$defs` at the top) accepting `extends`, `include`, `set`
    and appended arrays."""
    defs = schema.pop("$defs", {})
    properties = schema.pop("properties")
    required = schema.pop("required", [])
    whole = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        whole["required"] = required
    full = {name: _relaxed(model, partial=False) for name, model in defs.items()}
    partial = {PARTIAL + name: _relaxed(model, partial=True) for name, model in defs.items()}
    full["Spec"] = _relaxed(whole, partial=False, top=True)
    derived = _relaxed(whole, partial=True, top=True)
    return {
        **schema,
        "$defs": {**full, **partial},
        "properties": derived["properties"],
        "patternProperties": derived["patternProperties"],
        "additionalProperties": False,
        "if": {"required": ["extends"]},
        "else": {"$ref": DEFS + "Spec"},
    }


def _relaxed(node: Any, *, partial: bool, top: bool = False) -> Any:
    """A copy of a schema node with the reuse keys allowed in its objects (and, when `partial`, nothing required
    and every reference to the partial definitions)."""
    if isinstance(node, list):
        return [_relaxed(item, partial=partial) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _relaxed(value, partial=partial) for key, value in node.items() if key != "discriminator"}
    if partial and isinstance(out.get("$ref"), str) and out["$ref"].startswith(DEFS):
        out["$ref"] = DEFS + PARTIAL + out["$ref"][len(DEFS) :]
    if "discriminator" in node:  # a table may name its kind in a fragment: any branch may match
        out["anyOf"] = out.pop("oneOf")
    if node.get("type") == "object" and isinstance(node.get("properties"), dict):
        extra = {"extends": EXTENDS, "set": SET} if top else {}
        out["properties"] = {**out["properties"], **extra, "include": copy.deepcopy(INCLUDE)}
        out["patternProperties"] = copy.deepcopy(APPENDED)
        required = out.pop("required", None)
        if required and not partial:
            alternatives = [{"required": required}, {"required": ["include"]}]
            out["allOf"] = [*out.get("allOf", []), {"anyOf": alternatives}]
    return out
