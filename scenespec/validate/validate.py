"""Validate stage: raw dict -> Scene, with every problem located at file, line and key."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from scenespec.errors import KeyPath, Problem, SpecError, did_you_mean
from scenespec.load.loader import LoadedSpec
from scenespec.validate.base import union_tags
from scenespec.validate.scene import Scene, scene_model


def _data_path(data: Any, loc: tuple[Any, ...]) -> KeyPath:
    """Pydantic's error location as a path through the spec data.

    Drops what pydantic adds that is not in the file: discriminator tags (`layers[0].scatter.x`,
    `sources.fit.trainer.mlp.network`, also a tag taken by default) and union member names (`batch_size.int`).
    """
    path: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        if isinstance(node, dict) and part in union_tags(node) and index + 1 < len(loc) and loc[index + 1] in node:
            continue  # a tag that is also a key of the member (a `text` layer's `text`): the path goes on inside
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
        elif isinstance(node, dict) and part in union_tags(node):
            continue  # the tag of a discriminated union: `kind` (layers, sources), `name` (optimizers), `model`
        elif node is not None and not isinstance(node, dict | list):
            break  # past a scalar: the rest names union members
        else:
            node = None
        path.append(part)
    return tuple(path)


def _what_kind(path: KeyPath, key: str) -> str:
    if key != "kind" and key != "name":
        return key  # e.g. `model`
    if "optimizers" in path:
        return "optimizer"
    if "layers" in path:
        return "layer kind"
    if path[:1] == ("sources",) and len(path) == 2:
        return "source kind"
    if path[:1] == ("transforms",) and len(path) == 2:
        return "transform kind"
    return "kind"


EXPECTED = {
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "string_type": "a string",
    "finite_number": "a finite number (not inf or nan)",
    "list_type": "a list",
    "tuple_type": "a list",
}
"""What a value of the wrong type should have been, by pydantic error type, in the spec's words."""


NOT_TEXT = {f"expected {words}" for kind, words in EXPECTED.items() if kind != "string_type"}


def got(value: Any, messages: list[str]) -> str:
    """A value as the spec wrote it: `true`, `3`, `inf`, `'mae'`; `the string '0.1'` where no text was expected."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str) and all(message in NOT_TEXT for message in messages):
        return f"the string {value!r}"
    return repr(value)


def _expected(message: str) -> str:
    """pydantic's "Input should be X" -> "expected X"."""
    return "expected " + message.removeprefix("Input should be ") if message.startswith("Input should be ") else message


def _message(error: Any, path: KeyPath) -> tuple[KeyPath, str, str]:
    """A user-facing message for one pydantic error, the path it belongs at, and a hint to append."""
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "unknown_key":
        return (*path, ctx["key"]), error["msg"], ""
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        # `kind`, `name` for optimizers; `model()` when pydantic calls a function (validate/base.py's discriminator)
        key = str(ctx.get("discriminator", "kind")).strip("'").removesuffix("()")
        if kind == "union_tag_not_found":
            return path, f"missing key {key!r} (which {_what_kind(path, key)} this is)", ""
        expected = re.findall(r"'([^']*)'", ctx["expected_tags"])
        tag = str(ctx["tag"])
        hint = did_you_mean(tag, expected)
        what = _what_kind(path, key)
        return (*path, key), f"unknown {what} {tag!r}{hint} (expected one of: {', '.join(expected)})", ""
    if kind == "missing" and path and isinstance(path[-1], int):
        return path[:-1], f"too few values: item {path[-1] + 1} is missing", ""
    if kind == "missing":
        return path, "missing required key", ""
    if kind == "string_pattern_mismatch":
        return path, "expected a binding `source.field` (like `fit.pred`)", ""
    if kind == "value_error":
        return path, error["msg"].removeprefix("Value error, "), ""
    if kind in EXPECTED:
        return path, f"expected {EXPECTED[kind]}", ""
    hint = ""
    if kind == "literal_error" and isinstance(error.get("input"), str):
        hint = did_you_mean(error["input"], re.findall(r"'([^']*)'", ctx.get("expected", "")))
    return path, _expected(error["msg"]), hint


def problems_from(error: ValidationError, loaded: LoadedSpec) -> list[Problem]:
    """Turn a ValidationError into located problems, merging the alternatives of one union."""
    merged: dict[KeyPath, tuple[list[str], list[str], Any]] = {}
    for item in error.errors():
        path, message, hint = _message(item, _data_path(loaded.data, item["loc"]))
        messages, hints, _ = merged.setdefault(path, ([], [], item.get("input")))
        if message not in messages:
            messages.append(message)
        if hint and hint not in hints:
            hints.append(hint)
    problems = []
    for path, (messages, hints, value) in merged.items():
        text = (
            messages[0]
            if len(messages) == 1
            else "expected " + ", or ".join(m.removeprefix("expected ") for m in messages)
        )
        if text.startswith("expected ") and isinstance(value, str | int | float | bool):
            text += f"; got {got(value, messages)}"
        problems.append(loaded.problem(text + "".join(hints[:1]), path))
    return problems


def validate(loaded: LoadedSpec) -> Scene:
    """Check the spec's structure and types; raises SpecError listing every problem."""
    model = scene_model()
    try:
        return model.model_validate(loaded.data)
    except ValidationError as exc:
        raise SpecError(problems_from(exc, loaded)) from None
