"""Validate stage: raw dict -> Scene, with every problem located at file, line and key."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from scenespec.errors import KeyPath, Problem, SpecError, did_you_mean
from scenespec.load.loader import LoadedSpec
from scenespec.validate.scene import Scene, scene_model


def _data_path(data: Any, loc: tuple[Any, ...]) -> KeyPath:
    """Pydantic's error location as a path through the spec data.

    Drops what pydantic adds that is not in the file: discriminator tags
    (`layers[0].scatter.x`) and union member names (`batch_size.int`).
    """
    path: list[str | int] = []
    node = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
        elif isinstance(node, dict) and part == node.get("kind"):
            continue
        elif node is not None and not isinstance(node, dict | list):
            break  # past a scalar: the rest names union members
        else:
            node = None
        path.append(part)
    return tuple(path)


def _what_kind(path: KeyPath) -> str:
    if "layers" in path:
        return "layer kind"
    if path[:1] == ("sources",) and len(path) == 2:
        return "source kind"
    return "kind"


def _message(error: Any, path: KeyPath) -> tuple[KeyPath, str]:
    """A user-facing message for one pydantic error, and the path it belongs at."""
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "unknown_key":
        return (*path, ctx["key"]), error["msg"]
    if kind == "union_tag_invalid":
        expected = re.findall(r"'([^']*)'", ctx["expected_tags"])
        tag = str(ctx["tag"])
        return (*path, "kind"), (
            f"unknown {_what_kind(path)} {tag!r}{did_you_mean(tag, expected)} (expected one of: {', '.join(expected)})"
        )
    if kind == "union_tag_not_found":
        return path, f"missing key 'kind' (which {_what_kind(path)} this is)"
    if kind == "missing":
        return path, "missing required key"
    message = error["msg"]
    if kind == "literal_error" and isinstance(error.get("input"), str):
        message += did_you_mean(error["input"], re.findall(r"'([^']*)'", ctx.get("expected", "")))
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
    elif isinstance(error.get("input"), str | int | float | bool) and kind != "string_pattern_mismatch":
        message += f", got {error['input']!r}"
    if kind == "string_pattern_mismatch" and "binding" not in message:
        message = f"expected a binding `source.field` (like `fit.pred`), got {error['input']!r}"
    return path, message


def problems_from(error: ValidationError, loaded: LoadedSpec) -> list[Problem]:
    """Turn a ValidationError into located problems, merging alternatives of one union."""
    merged: dict[KeyPath, list[str]] = {}
    for item in error.errors():
        path, message = _message(item, _data_path(loaded.data, item["loc"]))
        messages = merged.setdefault(path, [])
        if message not in messages:
            messages.append(message)
    problems = []
    for path, messages in merged.items():
        if len(messages) > 1:
            alternatives = [m.removeprefix("Input should be ") for m in messages]
            text = "expected " + ", or ".join(alternatives)
        else:
            text = messages[0]
        problems.append(loaded.problem(text, path))
    return problems


def validate(loaded: LoadedSpec) -> Scene:
    """Check the spec's structure and types; raises SpecError listing every problem."""
    model = scene_model()
    try:
        return model.model_validate(loaded.data)
    except ValidationError as exc:
        raise SpecError(problems_from(exc, loaded)) from None
