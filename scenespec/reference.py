"""The spec reference (docs/reference.md), generated from the pydantic models so it cannot drift.

Regenerate with `python -m scenespec.reference > docs/reference.md`; a test fails when the
committed file differs from what the models say.
"""

from __future__ import annotations

import inspect
import sys
import types
from collections.abc import Iterator
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from scenespec.layers.base import LAYERS, LayerSpec
from scenespec.registry import kind_of
from scenespec.render.sinks.base import SinkKind, sink_kinds
from scenespec.sources.base import SOURCES, SourceSpec
from scenespec.validate.scene import FramesSpec, OutputSpec, PanelSpec, Scene, SceneMeta, scene_model

TABLE_NAMES: dict[type[BaseModel], str] = {
    Scene: "Top level",
    SceneMeta: "[scene]",
    FramesSpec: "[frames]",
    PanelSpec: "[[panels]]",
    OutputSpec: "[output]",
}
SCALARS = {float: "number", int: "integer", str: "string", bool: "boolean"}
CONSTRAINTS = (
    (at.Gt, "gt", ">"),
    (at.Ge, "ge", "≥"),
    (at.Lt, "lt", "<"),
    (at.Le, "le", "≤"),
    (at.MinLen, "min_length", "at least"),
)


def title(model: type[BaseModel]) -> str:
    if issubclass(model, LayerSpec) and model is not LayerSpec:
        return f"Layer `{kind_of(model)}`"
    if issubclass(model, SourceSpec) and model is not SourceSpec:
        return f"Source `{kind_of(model)}`"
    return TABLE_NAMES.get(model, model.__name__)


def anchor(model: type[BaseModel]) -> str:
    return model.__name__.lower()


def type_name(annotation: Any) -> str:
    """A readable type: `number`, `"a" | "b"`, `[number, number]`, a link to a table."""
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is type(None):
        return "none"
    if origin is Annotated:
        return type_name(args[0])
    if origin is Literal:
        return " \\| ".join(f'`"{a}"`' if isinstance(a, str) else f"`{a}`" for a in args)
    if origin in (Union, types.UnionType):
        return " or ".join(type_name(a) for a in args)
    if origin is tuple:
        return "[" + ", ".join(type_name(a) for a in args) + "]"
    if origin is list:
        return f"list of {type_name(args[0])}"
    if origin is dict:
        return f"table of {type_name(args[1])}"
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return f"[{title(annotation)}](#{anchor(annotation)})"
    return SCALARS.get(annotation, getattr(annotation, "__name__", str(annotation)))


def constraints(field: FieldInfo) -> str:
    parts = []
    for item in field.metadata:
        for cls, attr, symbol in CONSTRAINTS:
            if isinstance(item, cls):
                parts.append(f"{symbol} {getattr(item, attr)}")
    return f" ({', '.join(parts)})" if parts else ""


def default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value = field.default_factory()
        return "defaults" if isinstance(value, BaseModel) else f"`{value!r}`"
    if field.default is PydanticUndefined:
        return "**required**"
    value = field.default
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return "—" if value is None else f"`{value!r}`".replace("'", '"')


def nested_models(annotation: Any) -> Iterator[type[BaseModel]]:
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in get_args(annotation):
        yield from nested_models(arg)


def section(model: type[BaseModel]) -> str:
    doc = inspect.getdoc(model) or ""
    lines = [f'<a id="{anchor(model)}"></a>', f"### {title(model)}", "", doc, ""]
    lines += ["| key | type | default | description |", "| --- | --- | --- | --- |"]
    bindings = getattr(model, "binding_fields", ())
    for name, field in model.model_fields.items():
        kind = "binding `source.field`" if name in bindings else type_name(field.annotation)
        description = (field.description or "").replace("|", "\\|").replace("\n", " ")
        if name == "kind" and not description:
            description = "Selects this kind."
        lines.append(f"| `{name}` | {kind}{constraints(field)} | {default(field)} | {description} |")
    example = getattr(model, "example", None)
    if example:
        lines += ["", "```toml", example.strip(), "```"]
    return "\n".join(lines) + "\n"


def ordered_models(roots: list[type[BaseModel]]) -> list[type[BaseModel]]:
    """Roots and every table they contain, each once, in order of first mention."""
    seen: list[type[BaseModel]] = []
    queue = list(roots)
    while queue:
        model = queue.pop(0)
        if model in seen:
            continue
        seen.append(model)
        for field in model.model_fields.values():
            queue += [m for m in nested_models(field.annotation) if m not in seen]
    return seen


def generate() -> str:
    scene_model()
    layer_models = [kind.model for kind in LAYERS.load().values()]
    source_models = list(SOURCES.load().values())
    structure = [m for m in ordered_models([Scene]) if m not in layer_models and m not in source_models]
    sources = [m for m in ordered_models(source_models) if m not in structure]
    parts = [
        "# Spec reference",
        "",
        "Generated from the models by `python -m scenespec.reference`; do not edit by hand.",
        "A spec is TOML or JSON with the same keys. Unknown keys are errors.",
        "",
        "## Structure",
        "",
        *[section(m) for m in structure],
        "## Sources",
        "",
        "Each `[sources.NAME]` table has a `kind`. Layers bind to its fields as `NAME.field`.",
        "",
        *[section(m) for m in sources],
        "## Layers",
        "",
        "Each entry of a panel's `layers` has a `kind`. Layers are drawn in order; `zorder` overrides it.",
        "",
        *[section(m) for m in layer_models],
        "## Outputs",
        "",
        "`scenespec render SPEC -o OUT` picks the format from OUT's extension, `--format`, or `[output]`.",
        "",
        "| format | extension | what is written |",
        "| --- | --- | --- |",
        *[f"| `{name}` | {written_as(kind)} | {kind.description} |" for name, kind in sink_kinds().items()],
        "",
        "Each format is one module in `scenespec/render/sinks/` (see docs/architecture.md). From Python,",
        "`scenespec.render.sinks.sink_for(format)` without a target writes into memory: `getvalue()` returns the",
        "bytes the file would hold (`png-sequence`: a zip of the frame PNGs), and `TeeSink` feeds one render to",
        "several sinks.",
        "",
    ]
    return "\n".join(parts)


def written_as(kind: SinkKind) -> str:
    """The extension column of the outputs table."""
    if kind.writes == "folder":
        return "a folder"
    return ", ".join(f"`{extension}`" for extension in kind.extensions)


if __name__ == "__main__":
    sys.stdout.write(generate())
