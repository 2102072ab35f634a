"""The texts a scene draws that its spec gives, each with the key that gives it.

Every field typed `Label` (titles, axis labels, legend entries, colorbar labels, class names, an optimizer's
label), wherever it is in the spec, so a new layer or source kind's texts are found too; the literal parts of
text layers' templates and of the templates other layers fill in (`LayerSpec.fixed_texts`: a counter's `format`,
a path's `head_label`); and text held by the trace fields a layer binds (`names = "race.names"`), known once the
sources have run. Math (`$…$`) is left out: matplotlib's mathtext draws it with its own fonts.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from matplotlib import cbook
from pydantic import AfterValidator, BaseModel

from scenespec.errors import KeyPath
from scenespec.layers.base import LayerSpec
from scenespec.layers.text import TextLayer, template_fields
from scenespec.resolve.trace import TraceLike
from scenespec.validate.base import split_binding
from scenespec.validate.drawable import check_label
from scenespec.validate.scene import Scene

MATH_RE = re.compile(r"(?<!\\)\$.*?(?<!\\)\$", re.S)


@dataclass(frozen=True)
class SceneText:
    """A text drawn on the figure, the key path that gives it, and where its value came from if not the spec."""

    path: KeyPath
    text: str
    source: str | None = None
    """`field 'names' of source 'race'` when the text is a value of a trace field."""
    fixed: str | None = None
    """The part of `text` known before drawing, when not all of it is: a text layer's template without its fields."""

    @property
    def drawn(self) -> str:
        """The characters drawn with the text fonts: the known part, without math."""
        return plain_text(self.text if self.fixed is None else self.fixed)


def plain_text(text: str) -> str:
    """The part of `text` drawn with the text fonts: without its math, `\\$` read as a dollar sign."""
    if cbook.is_math_text(text):
        text = MATH_RE.sub(" ", text)
    return text.replace("\\$", "$")


def scene_texts(scene: Scene, traces: Mapping[str, TraceLike] | None = None) -> list[SceneText]:
    """Every text the spec gives (see the module's docstring); with `traces`, also the texts their bound fields
    hold."""
    found = list(_walk(scene, ()))
    if traces is not None:
        found += trace_texts(scene, traces)
    return found


def trace_texts(scene: Scene, traces: Mapping[str, TraceLike]) -> list[SceneText]:
    """Texts held by the static trace fields the layers bind (an optimizer source's `names`, …)."""
    found = []
    for p, panel in enumerate(scene.panels):
        for i, layer in enumerate(panel.layers):
            for key, binding in layer.bindings().items():
                source, name = split_binding(binding)
                if source not in traces or name not in traces[source].names:
                    continue
                data = np.asarray(traces[source].field(name).data)
                if data.dtype.kind in "USO":
                    where = f"field {name!r} of source {source!r}"
                    for value in dict.fromkeys(str(item) for item in data.ravel()):
                        found.append(SceneText(("panels", p, "layers", i, key), value, where))
    return found


def _walk(value: Any, path: KeyPath) -> Iterator[SceneText]:
    if isinstance(value, TextLayer):
        literals = "".join(literal for literal, _, _ in template_fields(value.text))
        yield SceneText((*path, "text"), value.text, fixed=literals)
    if isinstance(value, LayerSpec):
        for key, fixed in value.fixed_texts().items():
            yield SceneText((*path, key), getattr(value, key), fixed=fixed)
    if isinstance(value, BaseModel):
        labels = label_fields(type(value))
        for name, info in type(value).model_fields.items():
            item = getattr(value, name)
            key = info.alias or name
            if name in labels:
                if isinstance(item, str):
                    yield SceneText((*path, key), item)
                elif isinstance(item, list):
                    yield from (
                        SceneText((*path, key, n), text) for n, text in enumerate(item) if isinstance(text, str)
                    )
            else:
                yield from _walk(item, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, (*path, key))


@cache
def label_fields(model: type[BaseModel]) -> frozenset[str]:
    """The fields of `model` typed `Label` (or holding Labels), by name."""
    return frozenset(name for name, info in model.model_fields.items() if _is_label(info.annotation))


def _is_label(annotation: Any) -> bool:
    """Whether a field's type is (or holds) `Label`: text matplotlib draws."""
    if typing.get_origin(annotation) is typing.Annotated and any(
        isinstance(meta, AfterValidator) and meta.func is check_label for meta in annotation.__metadata__
    ):
        return True
    return any(_is_label(argument) for argument in typing.get_args(annotation))
