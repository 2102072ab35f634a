"""Cross-references: every binding names an existing source and field, or a transform, before anything runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scenespec.errors import KeyPath, Problem, SpecError, did_you_mean
from scenespec.transform.apply import cycle_message, find_cycles, input_transform
from scenespec.validate.base import FIELD_NAME_RE, TRANSFORMS_SOURCE, split_binding
from scenespec.validate.panels import panel_problems
from scenespec.validate.scene import EMPTY_CELL, Scene

SourceFields = dict[str, dict[str, bool]]
"""Source name -> field name -> whether the field is recorded per step."""

Locate = Callable[[str, KeyPath], Problem]
"""Message and key path -> a Problem placed in the spec (`LoadedSpec.problem`: file and line)."""


def frames_source(scene: Scene, fields: SourceFields) -> str | None:
    """The source whose steps are the timeline: the named one, else the first with stepped fields."""
    if scene.frames.source is not None:
        return scene.frames.source
    for name, source_fields in fields.items():
        if any(source_fields.values()):
            return name
    return None


def check_references(
    scene: Scene, fields: SourceFields, locate: Locate, unknown: frozenset[str] | set[str] = frozenset()
) -> None:
    """Raise SpecError listing every binding to a missing source, field or transform, and every layout problem.

    `unknown` names sources (and `transforms.NAME`) whose own spec is broken: bindings to them are not judged.
    """
    problems = check_layout(scene, locate) + panel_problems(scene, locate)
    fields = {**fields, **{name: {} for name in unknown if name not in fields and "." not in name}}
    if scene.frames.source is not None and scene.frames.source not in fields:
        hint = did_you_mean(scene.frames.source, fields)
        problems.append(locate(f"no source named {scene.frames.source!r}{hint}", ("frames", "source")))
    if TRANSFORMS_SOURCE in fields:
        message = (
            f"a source cannot be named {TRANSFORMS_SOURCE!r}: bindings `{TRANSFORMS_SOURCE}.NAME` name the "
            "spec's transforms; rename the source"
        )
        problems.append(locate(message, ("sources", TRANSFORMS_SOURCE)))
        fields = {name: source_fields for name, source_fields in fields.items() if name != TRANSFORMS_SOURCE}
    derived, transform_problems = check_transforms(scene, fields, locate, unknown)
    problems += transform_problems
    fields = {**fields, TRANSFORMS_SOURCE: derived}
    key = scene.frames.key
    counting = [name for name, recorded in fields.items() if recorded.get(key)]
    if key != "step" and not counting and not unknown:
        stepped = sorted({f for recorded in fields.values() for f, is_stepped in recorded.items() if is_stepped})
        hint = did_you_mean(key, stepped)
        message = f"no source records a counter {key!r} per step{hint} (stepped fields: {', '.join(stepped)})"
        problems.append(locate(message, ("frames", "key")))
    origins = {name: source.field_origins() for name, source in scene.sources.items()}
    for p, panel in enumerate(scene.panels):
        projection = panel.projection
        for i, layer in enumerate(panel.layers):
            if projection not in layer.projections():
                problems.append(locate(_projection_problem(layer, panel), ("panels", p, "layers", i, "kind")))
            for key, binding in layer.bindings().items():
                path: KeyPath = ("panels", p, "layers", i, key if key in type(layer).model_fields else "text")
                channel = layer.channel(key)  # the kind's channel table; template bindings (text) have none
                timing = channel.timing if channel is not None else "either"
                wrong = _binding_problem(binding, fields, timing, unknown, origins)
                if wrong:
                    problems.append(locate(wrong, path))
    if problems:
        raise SpecError(problems)


def check_transforms(
    scene: Scene, fields: SourceFields, locate: Locate, unknown: frozenset[str] | set[str] = frozenset()
) -> tuple[dict[str, bool], list[Problem]]:
    """Whether each transform's output is stepped, and the problems with their inputs.

    A transform reads a source's field or another transform (`transforms.NAME`); chains may not loop; a
    transform that runs along the steps needs a stepped input. A transform with a broken input counts as
    stepped, so that bindings to it do not repeat its problem.
    """
    transforms = scene.transforms
    problems: list[Problem] = []
    cycles = find_cycles(transforms)
    in_cycle = {name for cycle in cycles for name in cycle}
    for cycle in cycles:
        problems.append(locate(cycle_message(cycle), ("transforms", cycle[0], "of")))
    stepped: dict[str, bool] = {}

    def output_stepped(name: str) -> bool | None:
        """Whether the transform's output is stepped; None (with a problem recorded) if its input is broken."""
        if name in stepped:
            return stepped[name]
        spec = transforms[name]
        path: KeyPath = ("transforms", name, "of")
        result: bool | None = None
        upstream = input_transform(spec)
        if name in in_cycle:
            pass  # reported above
        elif upstream is not None:
            if f"{TRANSFORMS_SOURCE}.{upstream}" in unknown:
                pass  # its own spec is broken, and reported
            elif upstream not in transforms:
                listed = ", ".join(transforms)
                message = f"{spec.of!r}: no transform named {upstream!r}{did_you_mean(upstream, transforms)} "
                problems.append(locate(message + f"(transforms: {listed})", path))
            else:
                result = output_stepped(upstream)
        else:
            origins = {name: source.field_origins() for name, source in scene.sources.items()}
            wrong = _binding_problem(spec.of, fields, "either", unknown, origins)
            if wrong:
                problems.append(locate(wrong, path))
            elif split_binding(spec.of)[0] not in unknown:
                source, field = split_binding(spec.of)
                result = fields[source][field]
        if result is False and spec.needs_steps():
            message = f"{spec.of!r} is static, and {spec.kind} runs along the steps: it needs a field recorded per step"
            problems.append(locate(message, path))
            result = None
        stepped[name] = True if result is None else result
        return result

    for name in transforms:
        if not FIELD_NAME_RE.fullmatch(name):
            message = (
                f"transform name {name!r} must be letters, digits or _ and start with a letter or _ "
                f"(it is bound as `{TRANSFORMS_SOURCE}.NAME`)"
            )
            problems.append(locate(message, ("transforms", name)))
        output_stepped(name)
    return stepped, problems


def check_layout(scene: Scene, locate: Locate) -> list[Problem]:
    """Problems with panel names and `scene.layout`: needs nothing but the spec."""
    problems: list[Problem] = []
    first_use: dict[str, int] = {}
    for p, panel in enumerate(scene.panels):
        if panel.name is None:
            continue
        if panel.name in first_use:
            message = (
                f"panel name {panel.name!r} is already used by panels[{first_use[panel.name]}]; names must be unique"
            )
            problems.append(locate(message, ("panels", p, "name")))
        else:
            first_use[panel.name] = p
    meta = scene.scene
    grid = meta.layout_cells
    if grid is None:
        for key in ("width_ratios", "height_ratios"):
            if getattr(meta, key) is not None:
                problems.append(
                    locate(f"{key} sizes the cells of `scene.layout`, and the scene has no layout", ("scene", key))
                )
        return problems
    placed = {cell for row in grid for cell in row if cell != EMPTY_CELL}
    names = sorted(first_use)
    reported: set[str] = set()
    for r, row in enumerate(grid):
        for cell in row:
            if cell == EMPTY_CELL or cell in first_use or cell in reported:
                continue
            reported.add(cell)
            known = f"panel names: {', '.join(names)}" if names else "no panel has a `name`"
            message = f"no panel named {cell!r}{did_you_mean(cell, names)} ({known})"
            problems.append(locate(message, ("scene", "layout", r)))
    layout_names = ", ".join(sorted(placed))
    for p, panel in enumerate(scene.panels):
        if panel.name is None:
            message = f"missing key 'name': with `scene.layout`, every panel needs a name placed in it ({layout_names})"
            problems.append(locate(message, ("panels", p, "name")))
        elif panel.name not in placed:
            hint = did_you_mean(panel.name, placed - set(first_use))
            message = f"panel {panel.name!r} is not in `scene.layout`{hint} (it places: {layout_names})"
            problems.append(locate(message, ("panels", p, "name")))
    columns = len(grid[0])
    ragged = False
    for r, row in enumerate(grid):
        if len(row) != columns:
            ragged = True
            message = (
                f"this layout row has {len(row)} cells and the first row has {columns}; "
                "every row needs as many cells (`.` for an empty one)"
            )
            problems.append(locate(message, ("scene", "layout", r)))
    if ragged:
        return problems
    for name in sorted(placed):
        cells = [(r, c) for r, row in enumerate(grid) for c, cell in enumerate(row) if cell == name]
        rows = [r for r, _ in cells]
        cols = [c for _, c in cells]
        area = (max(rows) - min(rows) + 1) * (max(cols) - min(cols) + 1)
        if len(cells) != area:
            message = (
                f"the cells of {name!r} do not form a rectangle (they spread over rows "
                f"{min(rows) + 1}-{max(rows) + 1}, columns {min(cols) + 1}-{max(cols) + 1}); "
                "a panel fills one rectangular block of cells"
            )
            problems.append(locate(message, ("scene", "layout")))
    for key, count, what in (("width_ratios", columns, "columns"), ("height_ratios", len(grid), "rows")):
        ratios = getattr(meta, key)
        if ratios is not None and len(ratios) != count:
            values = f"{len(ratios)} value" + ("" if len(ratios) == 1 else "s")
            message = f"{values} for the {count} {what} of `scene.layout`; give one per {what[:-1]}"
            problems.append(locate(message, ("scene", key)))
    return problems


def _binding_problem(
    binding: str,
    fields: SourceFields,
    timing: str,
    unknown: frozenset[str] | set[str] = frozenset(),
    origins: dict[str, dict[str, str]] | None = None,
) -> str | None:
    """What is wrong with `binding`, or None. `origins` gives, per source, the names its data gave the fields
    where they differ (a TensorBoard tag `loss/train` is field `loss_train`): the list of fields shows both."""
    source, name = split_binding(binding)
    if source in unknown or binding in unknown:
        return None  # the source's (or transform's) own spec is broken: its fields are not known
    if source == TRANSFORMS_SOURCE and source in fields and name not in fields[source]:
        available = fields[source]
        listed = f"transforms: {', '.join(available)}" if available else "the spec declares no [transforms]"
        return f"{binding!r}: no transform named {name!r}{did_you_mean(name, available)} ({listed})"
    if source not in fields:
        sources = ", ".join(name for name in fields if name != TRANSFORMS_SOURCE)
        return f"{binding!r}: no source named {source!r}{did_you_mean(source, fields)} (sources: {sources})"
    available = fields[source]
    if name not in available:
        hint = did_you_mean(name, available)
        named = (origins or {}).get(source, {})
        listed = ", ".join(f"{f} (from {named[f]!r})" if f in named else f for f in sorted(available))
        return f"{binding!r}: source {source!r} has no field {name!r}{hint} (fields: {listed})"
    if timing == "stepped" and not available[name]:
        return f"{binding!r}: this layer needs a field recorded per step, and {name!r} is static"
    if timing == "static" and available[name]:
        return f"{binding!r}: this layer needs a static field, and {name!r} is recorded per step"
    return None


def _projection_problem(layer: Any, panel: Any) -> str:
    """A 2D-only layer on a panel that a surface or 3D path made 3D."""
    cause = next(other.kind for other in panel.layers if "2d" not in other.projections())
    return (
        f"a {layer.kind!r} layer cannot be drawn in 3D, and this panel is 3D because of its {cause!r} layer; "
        "put it on a panel of its own"
    )
