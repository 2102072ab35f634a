"""Resolve stage: run (or load) each source the scene uses and collect its Trace."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from functools import partial

from scenespec.errors import SpecError
from scenespec.load.loader import LoadedSpec
from scenespec.resolve.cache import TraceCache, resolve_cached
from scenespec.resolve.trace import Trace
from scenespec.sources.base import ResolveContext, TraceShape
from scenespec.transform.apply import needed_transforms, root_source
from scenespec.validate.base import split_binding
from scenespec.validate.limits import Limits
from scenespec.validate.references import SourceFields
from scenespec.validate.scene import Scene


def context(name: str, loaded: LoadedSpec, limits: Limits | None = None) -> ResolveContext:
    """Where source `name` sits in the spec, and the budgets it is held to (default: the default limits)."""
    where = ResolveContext(
        base_dir=loaded.base_dir, path=("sources", name), locate=loaded.problem, folders=loaded.folder_of
    )
    if limits is not None:
        where.limits = limits
    return where


def source_fields(scene: Scene, loaded: LoadedSpec, skip: set[str] | None = None) -> SourceFields:
    """What each source will record, known before anything is trained (`skip`: sources not asked).

    Worked out once per source of a validated scene: validation checks the bindings with it, resolving
    (a second call, on the same scene) checks the traces against it. A `Spec` therefore reads its input
    files once; load it again to pick up an edited file.
    """
    skip = skip or set()
    fields: SourceFields = {}
    for name, spec in scene.sources.items():
        if name in skip:
            continue
        ctx = context(name, loaded, scene.limits)
        fields[name] = spec.once(("fields", ctx.base_dir), partial(spec.fields, ctx))
    return fields


def source_shapes(scene: Scene, loaded: LoadedSpec, skip: set[str] | None = None) -> dict[str, TraceShape | None]:
    """How large each source's trace will be, as its spec predicts it (None where that needs a file read)."""
    return {
        name: spec.trace_shape(context(name, loaded, scene.limits))
        for name, spec in scene.sources.items()
        if name not in (skip or set())
    }


def used_sources(scene: Scene, timeline: str | None) -> list[str]:
    """Sources that a layer binds to (directly or through transforms) or that drive the timeline, in spec order."""
    used = {split_binding(b)[0] for panel in scene.panels for layer in panel.layers for b in layer.bindings().values()}
    roots = (root_source(scene.transforms, name) for name in needed_transforms(scene))
    used |= {root for root in roots if root is not None}
    if timeline:
        used.add(timeline)
    return [name for name in scene.sources if name in used]


PHASES = {"trainer": "training", "classifier": "training", "optimizer": "simulating"}
"""What resolving a source of each kind is called on the progress line (other kinds: loading)."""


def phase_label(name: str, kind: str) -> str:
    return f"{PHASES.get(kind, 'loading')} {name}"


Phase = Callable[[str], AbstractContextManager[object]]
"""Called with a phase's label ("training fit"), around the work; shows progress (see render/progress.py)."""


def resolve_sources(
    scene: Scene,
    loaded: LoadedSpec,
    fields: SourceFields,
    names: list[str],
    *,
    cache: bool = True,
    phase: Phase = nullcontext,
) -> dict[str, Trace]:
    """Traces of the named sources; each must record the `fields` it promised (checked on a cache hit too).

    With `cache`, a source resolved before with the same key is read from the trace cache (docs/cache.md).
    """
    store = TraceCache() if cache else None
    traces = {}
    for name in names:
        ctx = context(name, loaded, scene.limits)
        spec = scene.sources[name]
        ctx.check_budget(spec.trace_shape(ctx))  # before it runs (or is read from the cache)
        with phase(phase_label(name, spec.kind)):
            trace = resolve_cached(spec, ctx, store)
        missing = sorted(set(fields[name]) - set(trace.names))
        if missing:
            raise SpecError([loaded.problem(f"source did not record {missing}", ("sources", name))])
        traces[name] = trace
    return traces
