"""Budget checks: the spec's numbers held against its limits (`validate/limits.py`) before the heavy work.

Checked three times, each time with what is known then, so that nothing large starts unasked:

- on the raw data, before the models read it: the length of every string and list (`check_raw`);
- at `validate`, from the spec alone: pixels per frame, a layer's own settings (`check_scene_budgets`), and each
  source's trace as its spec predicts it (`check_traces`: memory, grid, training batches, frames, points);
- once the data is known (a CSV read, traces resolved, frames scheduled), before drawing (`check_drawing`).

Each problem names the key that causes it, the estimate and the limit, and how to raise the limit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from scenespec.errors import KeyPath, Problem, SpecError
from scenespec.sources.base import TraceShape
from scenespec.transform.base import TransformSpec
from scenespec.validate.base import TRANSFORMS_SOURCE, split_binding
from scenespec.validate.limits import FieldSize, Limits, Usage, number, over_limit
from scenespec.validate.references import Locate
from scenespec.validate.scene import Scene

SizeOf = Callable[[str], FieldSize | None]
"""A binding (`fit.pred`) -> the size of that field, or None when not known yet."""


def raw_limits(data: Mapping[str, Any]) -> Limits:
    """The spec's `[limits]` read on their own, before the rest (the defaults if the table is malformed:
    validation then reports it)."""
    try:
        return Limits.model_validate(data.get("limits", {}))
    except ValidationError:
        return Limits()


def check_raw(data: Mapping[str, Any], locate: Locate) -> None:
    """Every string and list of the raw spec within `max_text_length` and `max_list_length`: checked before
    validation, whose validators (formulas, templates) would otherwise work through them."""
    limits = raw_limits(data)
    max_text, max_list = limits.value("max_text_length"), limits.value("max_list_length")
    problems: list[Problem] = []
    stack: list[tuple[KeyPath, Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str) and len(value) > max_text:
            text = over_limit(f"a string of {number(len(value))} characters", "max_text_length", limits)
            problems.append(locate(text, path))
        elif isinstance(value, list):
            if len(value) > max_list:
                problems.append(
                    locate(over_limit(f"a list of {number(len(value))} items", "max_list_length", limits), path)
                )
            else:
                stack.extend(((*path, i), item) for i, item in enumerate(value))
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and len(key) > max_text:
                    text = over_limit(f"a key of {number(len(key))} characters", "max_text_length", limits)
                    problems.append(locate(text, path))
                else:
                    stack.append(((*path, key), item))
    if problems:
        raise SpecError(sorted(problems, key=lambda p: (p.line or 0, str(p))))


def frame_pixels(scene: Scene) -> tuple[float, float]:
    """Width and height of a frame in pixels (whole numbers; a size of `inf` stays infinite)."""
    meta = scene.scene
    sides = (meta.size[0] * meta.dpi, meta.size[1] * meta.dpi)
    width, height = (float(round(side)) if math.isfinite(side) else side for side in sides)
    return width, height


def pixel_count(value: float) -> str:
    """`100000000000`: a pixel count as the product of sides reads best without separators."""
    return f"{value:.0f}" if value < 1e15 else f"{value:.3g}"


def check_scene_budgets(scene: Scene, locate: Locate) -> None:
    """What the spec alone fixes: pixels per frame, and what layers ask for themselves (spline samples)."""
    limits = scene.limits
    width, height = frame_pixels(scene)
    estimate = f"{pixel_count(width)} × {pixel_count(height)} pixels per frame (size × dpi)"
    usages = [Usage("max_pixels_per_frame", width * height, ("scene", "size"), estimate)]
    for p, panel in enumerate(scene.panels):
        for i, layer in enumerate(panel.layers):
            usages += [_at(usage, ("panels", p, "layers", i)) for usage in layer.usages()]
    problems = [locate(text, usage.key) for usage in usages if (text := usage.problem_text(limits))]
    if problems:
        raise SpecError(problems)


def _at(usage: Usage, where: KeyPath) -> Usage:
    return Usage(usage.limit, usage.amount, (*where, *usage.key), usage.estimate)


def source_problems(name: str, shape: TraceShape | None, limits: Limits, locate: Locate) -> list[Problem]:
    """One source's trace memory and the other budgets it draws on (grid, training batches)."""
    if shape is None:
        return []
    where: KeyPath = ("sources", name)
    return [locate(text, (*where, *u.key)) for u in shape.all_usages() if (text := u.problem_text(limits))]


def check_traces(scene: Scene, shapes: Mapping[str, TraceShape | None], timeline: str | None, locate: Locate) -> None:
    """At `validate`: each source's predicted trace, and the frames and points it would make when known."""
    limits = scene.limits
    problems = [problem for name, shape in shapes.items() for problem in source_problems(name, shape, limits, locate)]
    if problems:
        raise SpecError(problems)
    steps = scene.frames.steps
    shape = shapes.get(timeline) if timeline is not None else None
    frames: tuple[int, KeyPath, str] | None = None  # else known once the steps are scheduled: `check_drawing`
    tweened = "" if scene.frames.tween is None else f", with {scene.frames.tween.between} in between each two"
    tweened += (
        " and more in the stretches of frames.slow" if scene.frames.tween is not None and scene.frames.slow else ""
    )
    if isinstance(steps, list):
        count = scene.frames.frame_count(sorted(set(steps)))
        if count is not None:
            frames = (count, ("frames", "steps"), f"listed in frames.steps{tweened}")
    elif steps == "all" and scene.frames.key == "step" and timeline is not None and shape is not None:
        count = scene.frames.frame_count(shape.steps)  # None with slow motion: the steps themselves tell
        if count is not None:
            frames = (count, ("sources", timeline, *shape.key), f"every recorded step of {timeline!r}{tweened}")
    check_drawing(scene, frames, _shape_sizes(shapes, scene.transforms), locate)


def _shape_sizes(shapes: Mapping[str, TraceShape | None], transforms: Mapping[str, TransformSpec]) -> SizeOf:
    """Sizes from the sources' predicted traces; a transform's from its input's, through chains (`output_size`)."""

    def size_of(binding: str, seen: frozenset[str] = frozenset()) -> FieldSize | None:
        source, name = split_binding(binding)
        if source == TRANSFORMS_SOURCE:
            spec = transforms.get(name)
            if spec is None or name in seen:
                return None  # unknown or a cycle: reported by the references
            size = size_of(spec.of, seen | {name})
            return None if size is None else spec.output_size(size)
        shape = shapes.get(source)
        return None if shape is None else shape.fields.get(name)

    return size_of


def check_drawing(scene: Scene, frames: tuple[int, KeyPath, str] | None, size_of: SizeOf, locate: Locate) -> None:
    """Frames, pixels of all frames and points per frame: `frames` is (count, key that sets it, how it is
    counted) when known; `size_of` gives the bound fields' sizes (None for those not known yet)."""
    limits = scene.limits
    problems: list[Problem] = []
    if frames is not None:
        count, key, how = frames
        width, height = frame_pixels(scene)
        pixels = count * width * height
        size = f"{pixel_count(width)} × {pixel_count(height)}"
        usages = [
            Usage("max_frames", count, key, f"{number(count)} frames ({how})"),
            Usage(
                "max_total_pixels", pixels, key, f"{number(count)} frames of {size} pixels ({number(pixels)} pixels)"
            ),
        ]
        problems += [locate(text, u.key) for u in usages if (text := u.problem_text(limits))]
    points = layer_points(scene, size_of)
    total = sum(count for count, _ in points)
    if total > limits.value("max_points_per_frame"):
        most, key = max(points)
        estimate = f"{number(total)} points drawn per frame (this layer: {number(most)})"
        problems.append(locate(over_limit(estimate, "max_points_per_frame", limits), key))
    if problems:
        raise SpecError(problems)


def layer_points(scene: Scene, size_of: SizeOf) -> list[tuple[int, KeyPath]]:
    """Points each layer draws per frame, with the key of its largest binding (or of the layer)."""
    out = []
    for p, panel in enumerate(scene.panels):
        for i, layer in enumerate(panel.layers):
            sizes = {key: size for key, binding in layer.bindings().items() if (size := size_of(binding)) is not None}
            where: KeyPath = ("panels", p, "layers", i)
            largest = max(sizes, key=lambda k: sizes[k].per_step, default=None)
            key = largest if largest in type(layer).model_fields else "text" if largest else None
            out.append((layer.drawn_points(sizes), (*where, key) if key else where))
    return out
