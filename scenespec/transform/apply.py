"""Apply the scene's transforms to the resolved traces: each derived series is computed once.

A transform `[transforms.NAME]` is bound as `transforms.NAME`. Its output keeps the steps of the
source its input comes from (through any chain of transforms), so it lines up with that source's
other fields. Only transforms that a layer binds (directly or through a chain) are computed, as only
sources that a layer binds are run.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from scenespec.errors import KeyPath, Problem, SpecError
from scenespec.resolve.trace import Trace, TraceField
from scenespec.transform.base import TransformError, TransformSpec
from scenespec.validate.base import TRANSFORMS_SOURCE, split_binding

if TYPE_CHECKING:
    from scenespec.validate.scene import Scene

Locate = Callable[[str, KeyPath], Problem]


@dataclass
class DerivedTrace:
    """The transforms' outputs, the `transforms` entry of the traces: each field keeps its own source's steps.

    It answers `field(name)` and `names` as a `Trace` does, which is all the compile stage asks of a trace.
    """

    fields: dict[str, TraceField] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return sorted(self.fields)

    def field(self, name: str) -> TraceField:
        return self.fields[name]


def input_transform(spec: TransformSpec) -> str | None:
    """The transform this one reads (`of = "transforms.NAME"`), or None when it reads a source's field."""
    source, name = split_binding(spec.of)
    return name if source == TRANSFORMS_SOURCE else None


def find_cycles(transforms: dict[str, TransformSpec]) -> list[list[str]]:
    """Every cycle of `of` references, each listed once from its first transform in spec order."""
    order = list(transforms)
    cycles: list[list[str]] = []
    seen: set[str] = set()
    for start in order:
        path: list[str] = []
        name: str | None = start
        while name is not None and name in transforms and name not in seen and name not in path:
            path.append(name)
            name = input_transform(transforms[name])
        if name is not None and name in path:
            cycle = path[path.index(name) :]
            first = min(cycle, key=order.index)
            at = cycle.index(first)
            cycles.append(cycle[at:] + cycle[:at])
        seen.update(path)
    return cycles


def root_source(transforms: dict[str, TransformSpec], name: str) -> str | None:
    """The source a transform's input comes from, following chains; None if the chain is broken or cyclic."""
    visited: set[str] = set()
    while name in transforms and name not in visited:
        visited.add(name)
        source, field_name = split_binding(transforms[name].of)
        if source != TRANSFORMS_SOURCE:
            return source
        name = field_name
    return None


def bound_transforms(bindings: Iterable[str]) -> list[str]:
    """Names of the transforms among `bindings` (each `transforms.NAME`)."""
    return [name for source, name in map(split_binding, bindings) if source == TRANSFORMS_SOURCE]


def scene_bindings(scene: Scene) -> list[str]:
    """Every binding of every layer, in spec order."""
    return [b for panel in scene.panels for layer in panel.layers for b in layer.bindings().values()]


def needed_transforms(scene: Scene) -> list[str]:
    """Transforms the layers bind and the transforms they read, each once, inputs before the transforms reading them."""
    order: list[str] = []

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if name in order or name in chain or name not in scene.transforms:
            return
        upstream = input_transform(scene.transforms[name])
        if upstream is not None:
            visit(upstream, (*chain, name))
        order.append(name)

    for name in bound_transforms(scene_bindings(scene)):
        visit(name, ())
    return order


# --- computing, once --------------------------------------------------------------------------------------------

MEMO_SIZE = 64
_memo: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()


def _digest(values: np.ndarray) -> str:
    """A key for the content of an array: dtype, shape and bytes."""
    digest = hashlib.blake2b(f"{values.dtype.str}{values.shape}".encode(), digest_size=20)
    digest.update(np.ascontiguousarray(values).tobytes())
    return digest.hexdigest()


def compute_once(spec: TransformSpec, source: TraceField) -> np.ndarray:
    """`spec.compute` of the field's data, reused when the same transform already ran on equal data.

    Keyed by the transform's kind and parameters (not its name or input binding) and the input's content, so a
    second render of an unchanged spec, or two transforms that ask for the same thing, compute it once. The
    result is read-only, as it is shared.
    """
    try:
        values = np.asarray(source.data, dtype=float)
    except (TypeError, ValueError):
        raise TransformError(f"the input holds {source.data.dtype} values, not numbers") from None
    key = (spec.model_dump_json(exclude={"of"}), _digest(values) + ("/stepped" if source.stepped else ""))
    if key in _memo:
        _memo.move_to_end(key)
        return _memo[key]
    result = np.asarray(spec.compute(values, source.stepped), dtype=float)
    result.flags.writeable = False
    _memo[key] = result
    while len(_memo) > MEMO_SIZE:
        _memo.popitem(last=False)
    return result


def clear_memo() -> None:
    """Forget every computed transform (for tests and long-running processes)."""
    _memo.clear()


def _unlocated(message: str, path: KeyPath) -> Problem:
    return Problem(message, path)


def apply_transforms(
    scene: Scene, traces: dict[str, Trace], locate: Locate | None = None
) -> dict[str, Trace | DerivedTrace]:
    """The traces plus a `transforms` entry holding every transform the layers need, computed in chain order.

    `traces` must hold the sources those transforms read (`resolve.used_sources` includes them). The scene's
    references are expected to be checked (`validate.references.check_references`); a transform that does not
    suit its data (a window wider than the series, `along = "points"` on one number per step) is a SpecError
    located at the transform.
    """
    locate = locate or _unlocated
    needed = needed_transforms(scene)
    if not needed:
        return dict(traces)
    cycles = find_cycles(scene.transforms)
    if cycles:
        raise SpecError([locate(cycle_message(cycle), ("transforms", cycle[0], "of")) for cycle in cycles])
    outputs: dict[str, TraceField] = {}
    for name in needed:
        spec = scene.transforms[name]
        source, field_name = split_binding(spec.of)
        data = outputs[field_name] if source == TRANSFORMS_SOURCE else traces[source].field(field_name)
        try:
            result = compute_once(spec, data)
        except TransformError as exc:
            path: KeyPath = ("transforms", name, exc.key or "of")
            raise SpecError([locate(f"{spec.kind} of {spec.of!r}: {exc}", path)]) from None
        outputs[name] = TraceField(name, result, data.steps)
    return {**traces, TRANSFORMS_SOURCE: DerivedTrace(outputs)}


def cycle_message(cycle: list[str]) -> str:
    """What is wrong with a cycle of transforms, each reading the next."""
    if len(cycle) == 1:
        return f'transform {cycle[0]!r} derives from itself (of = "{TRANSFORMS_SOURCE}.{cycle[0]}")'
    loop = " → ".join([*cycle, cycle[0]])
    return f"transforms {loop} form a cycle: a transform cannot derive, directly or not, from itself"
