"""How pydantic's errors are told to the user: located problems `file:line: key: message`, one per key, with hints."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from scenespec.errors import KeyPath, Problem, did_you_mean
from scenespec.load.loader import LoadedSpec
from scenespec.validate.base import BINDING_RE, field_name, union_tags

UNION_MEMBER_RE = re.compile(r"^[A-Z]|[\[\](),'\-]|^(int|float|str|bool|none|list|dict|tuple)$")
"""How pydantic names the member of a plain union in an error location: `StepRule`, `list[int]`,
`literal['all']`, `constrained-int`, `function-after[…]`, `int`. Spec keys are lowercase words."""


def _data_path(data: Any, loc: tuple[Any, ...]) -> tuple[KeyPath, bool]:
    """Pydantic's error location as a path through the spec data, and whether it went through a union member.

    Drops what pydantic adds that is not in the file: discriminator tags (`layers[0].scatter.x`,
    `sources.fit.trainer.mlp.network`, also a tag taken by default) and union member names
    (`batch_size.int`, `frames.steps.list[int][1]`, `frames.steps.StepRule.first`).
    """
    path: list[str | int] = []
    node = data
    through_union = False
    passed: set[Any] = set()  # the discriminator tags passed at this node (a trainer source has `kind` and `model`)
    for part in loc:
        if isinstance(node, dict) and part not in passed and part in union_tags(node):
            passed.add(part)  # a tag comes first, even when the data has a key of that name (a `text` layer's `text`)
            continue  # the tag of a discriminated union: `kind` (layers, sources), `name` (optimizers), `model`
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
            passed = set()
        elif isinstance(node, dict | list) and isinstance(part, str) and UNION_MEMBER_RE.search(part):
            through_union = True
            continue  # the member of a plain union that pydantic tried
        elif node is not None and not isinstance(node, dict | list):
            through_union = True
            break  # past a scalar: the rest names union members
        else:
            node = None
        path.append(part)
    return tuple(path), through_union


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
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
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
    """pydantic's "Input should be X" -> "expected X" (types are said in the spec's words by EXPECTED)."""
    if not message.startswith("Input should be "):
        return message
    return "expected " + message.removeprefix("Input should be ")


def _count_message(error: Any) -> str:
    """pydantic's "Tuple should have at most 2 items after validation, not 3" in the spec's words."""
    ctx = error.get("ctx", {})
    actual = ctx.get("actual_length")
    bound = ("at most", ctx.get("max_length")) if error["type"] == "too_long" else ("at least", ctx.get("min_length"))
    wanted = f"{bound[0]} {bound[1]}"
    if ctx.get("min_length") is not None and ctx.get("min_length") == ctx.get("max_length"):
        wanted = str(ctx["min_length"])
    plural = "" if wanted.endswith(" 1") or wanted == "1" else "s"
    got = f"; got {actual}" if actual is not None else ""
    if actual is not None and error["type"] == "too_short":
        got += " value" if actual == 1 else " values"
    return f"expected {wanted} value{plural}{got}"


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
        return path, "expected a binding `source.field` (like `fit.pred`)", _binding_hint(error.get("input"))
    if kind == "value_error":
        return path, error["msg"].removeprefix("Value error, "), ""
    if kind in ("too_short", "too_long"):
        return path, _count_message(error), ""
    if kind in EXPECTED:
        return path, f"expected {EXPECTED[kind]}", ""
    hint = ""
    if kind == "literal_error" and isinstance(error.get("input"), str):
        hint = did_you_mean(error["input"], re.findall(r"'([^']*)'", ctx.get("expected", "")))
    return path, _expected(error["msg"]), hint


TYPE_MISMATCH = frozenset(
    {
        "literal_error", "dict_type", "model_type", "model_attributes_type", "list_type", "tuple_type", "set_type",
        "int_type", "int_parsing", "float_type", "float_parsing", "string_type", "bool_type", "bool_parsing",
        "is_instance_of", "none_required",
    }
)  # fmt: skip
"""pydantic error types that say a value is not of an alternative's type at all."""


def problems_from(error: ValidationError, loaded: LoadedSpec) -> list[Problem]:
    """Turn a ValidationError into located problems, merging the alternatives of one union.

    When some alternative of a union got inside the value (a list whose item 2 is not a number), only what it
    found is reported, not that the value is not the union's other kinds either.
    """
    located = []
    for item in error.errors():
        path, through_union = _data_path(loaded.data, item["loc"])
        located.append((item, path, through_union))
    deeper = {path for _, path, through_union in located if through_union}
    # an alternative whose type fitted but whose rule failed (`start` after `stop`) says more than the others
    ruled = {path for item, path, through_union in located if through_union and item["type"] not in TYPE_MISMATCH}
    merged: dict[KeyPath, tuple[list[str], list[str], Any]] = {}
    for item, data_path, through_union in located:
        if through_union and any(len(o) > len(data_path) and o[: len(data_path)] == data_path for o in deeper):
            continue  # an alternative that failed at the surface, while another one got further
        if through_union and data_path in ruled and item["type"] in TYPE_MISMATCH:
            continue  # an alternative of another type, while one of this value's type broke a rule
        path, message, hint = _message(item, data_path)
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


def _binding_hint(value: object) -> str:
    """For `tb.loss/train`: the field a log's column or tag is bound as (`tb.loss_train`), if that is a binding."""
    if not isinstance(value, str) or "." not in value:
        return ""
    source, _, rest = value.partition(".")
    suggestion = f"{source}.{field_name(rest)}"
    if not BINDING_RE.fullmatch(suggestion):
        return ""
    return (
        f"; did you mean {suggestion!r}? (a field name keeps only letters, digits and _: a log's column, key or tag "
        f"{rest!r} is field {field_name(rest)!r})"
    )
