"""Resolve stage: run (or load) each source the scene uses and collect its Trace."""

from __future__ import annotations

from scenespec.errors import SpecError
from scenespec.load.loader import LoadedSpec
from scenespec.resolve.cache import TraceCache, resolve_cached
from scenespec.resolve.trace import Trace
from scenespec.sources.base import ResolveContext
from scenespec.transform.apply import needed_transforms, root_source
from scenespec.validate.base import split_binding
from scenespec.validate.references import SourceFields
from scenespec.validate.scene import Scene


def context(name: str, loaded: LoadedSpec) -> ResolveContext:
    return ResolveContext(base_dir=loaded.base_dir, path=("sources", name), locate=loaded.problem)


def source_fields(scene: Scene, loaded: LoadedSpec, skip: set[str] | None = None) -> SourceFields:
    """What each source will record, known before anything is trained (`skip`: sources not asked)."""
    skip = skip or set()
    return {name: spec.fields(context(name, loaded)) for name, spec in scene.sources.items() if name not in skip}


def used_sources(scene: Scene, timeline: str | None) -> list[str]:
    """Sources that a layer binds to (directly or through transforms) or that drive the timeline, in spec order."""
    used = {split_binding(b)[0] for panel in scene.panels for layer in panel.layers for b in layer.bindings().values()}
    used |= {root_source(scene.transforms, name) for name in needed_transforms(scene)} - {None}
    if timeline:
        used.add(timeline)
    return [name for name in scene.sources if name in used]


def resolve_sources(
    scene: Scene, loaded: LoadedSpec, fields: SourceFields, names: list[str], *, cache: bool = True
) -> dict[str, Trace]:
    """Traces of the named sources; each must record the `fields` it promised (checked on a cache hit too).

    With `cache`, a source resolved before with the same key is read from the trace cache (docs/cache.md).
    """
    store = TraceCache() if cache else None
    traces = {}
    for name in names:
        trace = resolve_cached(scene.sources[name], context(name, loaded), store)
        missing = sorted(set(fields[name]) - set(trace.names))
        if missing:
            raise SpecError([loaded.problem(f"source did not record {missing}", ("sources", name))])
        traces[name] = trace
    return traces
