"""Cross-references: every binding names an existing source and field, before anything runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scenespec.errors import KeyPath, Problem, SpecError, did_you_mean
from scenespec.validate.base import split_binding
from scenespec.validate.scene import Scene

SourceFields = dict[str, dict[str, bool]]
"""Source name -> field name -> whether the field is recorded per step."""

Locate = Callable[[str, KeyPath], Problem]


def frames_source(scene: Scene, fields: SourceFields) -> str | None:
    """The source whose steps are the timeline: the named one, else the first with stepped fields."""
    if scene.frames.source is not None:
        return scene.frames.source
    for name, source_fields in fields.items():
        if any(source_fields.values()):
            return name
    return None


def check_references(scene: Scene, fields: SourceFields, locate: Locate) -> None:
    """Raise SpecError listing every binding to a missing source or field."""
    problems: list[Problem] = []
    if scene.frames.source is not None and scene.frames.source not in fields:
        hint = did_you_mean(scene.frames.source, fields)
        problems.append(locate(f"no source named {scene.frames.source!r}{hint}", ("frames", "source")))
    for p, panel in enumerate(scene.panels):
        projection = panel.projection
        for i, layer in enumerate(panel.layers):
            if projection not in layer.projections():
                problems.append(locate(_projection_problem(layer, panel), ("panels", p, "layers", i, "kind")))
            for key, binding in layer.bindings().items():
                path: KeyPath = ("panels", p, "layers", i, key if key in type(layer).model_fields else "text")
                message = _binding_problem(binding, fields, key in layer.stepped_bindings)
                if message:
                    problems.append(locate(message, path))
    if problems:
        raise SpecError(problems)


def _binding_problem(binding: str, fields: SourceFields, needs_steps: bool) -> str | None:
    source, name = split_binding(binding)
    if source not in fields:
        return f"{binding!r}: no source named {source!r}{did_you_mean(source, fields)} (sources: {', '.join(fields)})"
    available = fields[source]
    if name not in available:
        hint = did_you_mean(name, available)
        return f"{binding!r}: source {source!r} has no field {name!r}{hint} (fields: {', '.join(sorted(available))})"
    if needs_steps and not available[name]:
        return f"{binding!r}: this layer needs a field recorded per step, and {name!r} is static"
    return None


def _projection_problem(layer: Any, panel: Any) -> str:
    """A 2D-only layer on a panel that a surface or 3D path made 3D."""
    cause = next(other.kind for other in panel.layers if "2d" not in other.projections())
    return (
        f"a {layer.kind!r} layer cannot be drawn in 3D, and this panel is 3D because of its {cause!r} layer; "
        "put it on a panel of its own"
    )
