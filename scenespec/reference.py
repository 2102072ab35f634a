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
from typing_extensions import TypeAliasType

from scenespec.layers.base import LAYERS, LayerSpec
from scenespec.layers.channels import describe_default
from scenespec.registry import kind_of, literal_of
from scenespec.render.sinks.base import SinkKind, sink_kinds
from scenespec.sources.base import SOURCES, SourceSpec
from scenespec.transform.base import TRANSFORMS, TransformSpec
from scenespec.validate.limits import Limits
from scenespec.validate.scene import FramesSpec, OutputSpec, PanelSpec, Scene, SceneMeta, scene_model

TABLE_NAMES: dict[type[BaseModel], str] = {
    Scene: "Top level",
    SceneMeta: "[scene]",
    FramesSpec: "[frames]",
    PanelSpec: "[[panels]]",
    OutputSpec: "[output]",
    Limits: "[limits]",
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
        key = model.variant_key
        return f"Source `{kind_of(model)}`" + (f", {key} `{literal_of(model, key)}`" if key else "")
    if issubclass(model, TransformSpec) and model is not TransformSpec:
        return f"Transform `{kind_of(model)}`"
    return TABLE_NAMES.get(model, model.__name__)


def anchor(model: type[BaseModel]) -> str:
    return model.__name__.lower()


def type_name(annotation: Any) -> str:
    """A readable type: `number`, `"a" | "b"`, `[number, number]`, a link to a table."""
    if isinstance(annotation, TypeAliasType):
        return type_name(annotation.__value__)
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
    return describe_constraints(field.metadata)


def describe_constraints(metadata: list[Any]) -> str:
    parts = []
    for item in metadata:
        for cls, attr, symbol in CONSTRAINTS:
            if isinstance(item, cls):
                parts.append(f"{symbol} {getattr(item, attr)}")
    return f" ({', '.join(parts)})" if parts else ""


def default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value = field.get_default(call_default_factory=True)
        return "defaults" if isinstance(value, BaseModel) else f"`{value!r}`"
    if field.default is PydanticUndefined:
        return "**required**"
    value = field.default
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return "—" if value is None else f"`{value!r}`".replace("'", '"')


def without_none(annotation: Any) -> Any:
    """`X | None` -> `X`: a style setting's None means its default, which the default column shows."""
    if get_origin(annotation) in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        return options[0] if len(options) == 1 else Union[tuple(options)]  # noqa: UP007 (a runtime union)
    return annotation


def field_row(model: type[BaseModel], name: str, field: FieldInfo) -> tuple[str, str]:
    """Type (with constraints) and default columns of a field; a layer's channels say what a binding must hold
    and what a style setting defaults to."""
    channel = model.channel(name) if issubclass(model, LayerSpec) else None
    if channel is None:
        binding = name in getattr(model, "binding_fields", ())
        kind = "binding `source.field`" if binding else type_name(field.annotation)
        return kind + constraints(field), default(field)
    if channel.bindable:
        contract = channel.describe()
        return "binding `source.field`" + (f": {contract}" if contract else ""), default(field)
    setting = without_none(field.annotation)  # e.g. PositiveFloat: its constraints are inside the union
    inner = list(get_args(setting)[1:]) if get_origin(setting) is Annotated else []
    return type_name(setting) + describe_constraints([*field.metadata, *inner]), describe_default(channel.default)


def nested_models(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, TypeAliasType):
        annotation = annotation.__value__
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in get_args(annotation):
        yield from nested_models(arg)


def section(model: type[BaseModel]) -> str:
    doc = inspect.getdoc(model) or ""
    lines = [f'<a id="{anchor(model)}"></a>', f"### {title(model)}", "", doc, ""]
    lines += ["| key | type | default | description |", "| --- | --- | --- | --- |"]
    for name, field in model.model_fields.items():
        kind, default_text = field_row(model, name, field)
        description = (field.description or "").replace("|", "\\|").replace("\n", " ")
        if name == "kind" and not description:
            description = "Selects this kind."
        lines.append(f"| `{name}` | {kind} | {default_text} | {description} |")
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


REUSE = [
    "## Keys of specs built from other files",
    "",
    "Read when the spec is loaded, gone before it is checked; see [reuse.md](reuse.md).",
    "",
    "| key | where | what it does |",
    "| --- | --- | --- |",
    '| `extends` | top level | `extends = "base.toml"`: this spec builds on another spec (TOML or JSON), a file '
    "relative to this one; tables merge key by key, arrays and values are replaced |",
    '| `include` | any table, also a table in an array | `include = "panels/loss.toml"` or a list of files merged in '
    "order: a fragment merged into the table; the table's own keys win |",
    '| `NAME+` | any table | `"layers+" = [...]`: appended to the inherited array `NAME` instead of replacing it |',
    '| `[set]` | top level | key paths to values, applied after merging: `"panels[0].layers[1].color" = "red"`; '
    '`"panels[0].layers+" = [...]` appends |',
    "",
]


def generate() -> str:
    scene_model()
    layer_models = [kind.model for kind in LAYERS.load().values()]
    source_models = [m for kind in SOURCES.load().values() for m in nested_models(kind.spec_annotation())]
    transform_models = list(TRANSFORMS.load().values())
    kinds = layer_models + source_models + transform_models
    structure = [m for m in ordered_models([Scene]) if m not in kinds]
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
        *REUSE,
        "## Sources",
        "",
        "Each `[sources.NAME]` table has a `kind`. Layers bind to its fields as `NAME.field`.",
        "",
        *[section(m) for m in sources],
        "## Transforms",
        "",
        "Each `[transforms.NAME]` table has a `kind` and reads `of`, a source's field or another transform's "
        "output; layers bind to the result as `transforms.NAME`. See [transforms.md](transforms.md).",
        "",
        *[section(m) for m in transform_models],
        "## Layers",
        "",
        "Each entry of a panel's `layers` has a `kind`. Layers are drawn in order; `zorder` overrides it.",
        "",
        "A binding's type says what the bound field must hold: `recorded per step` or `static` (else either), and",
        "the shape of one step's value (`one number`, `a 1-D array`, `a 2-D grid`, `the shape of x`, …); a field",
        "that does not fit is an error naming the layer's key. A default marked *theme* is read from the scene's",
        "`style` (matplotlib rcParams, or the next colour of its property cycle) when the layer is built; the",
        "value shown is the one of style `default`. Other defaults are the kind's own.",
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
