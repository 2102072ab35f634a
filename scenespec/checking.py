"""Checking a spec without running it: load -> validate -> bindings -> budgets, for `scenespec validate`,
`scenespec.load` and every render before its sources run.

Its own module, apart from the pipeline's render part, so that checking a spec imports neither matplotlib nor
any painter: the spec models are the layer modules, and their painters are imported only by a render
(`scenespec/paint/`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from scenespec.errors import Problem, SpecError, did_you_mean
from scenespec.layers.base import LAYERS
from scenespec.load import LoadedSpec
from scenespec.load.loader import open_spec
from scenespec.load.sweep import SWEEP, PointSpec, expand, read_sweep
from scenespec.resolve.resolve import context, source_fields, source_shapes
from scenespec.resolve.stream import StreamingTrace
from scenespec.resolve.trace import Trace
from scenespec.validate.budget import check_traces
from scenespec.validate.references import SourceFields, check_references, frames_source
from scenespec.validate.salvage import ROUNDS, extend, set_aside
from scenespec.validate.scene import Scene
from scenespec.validate.sweep import check_points
from scenespec.validate.validate import validate

InMemory = Mapping[str, Trace | StreamingTrace]
"""Traces handed in by the caller, by source name: those sources are not run."""


def waiting_sources(scene: Scene, loaded: LoadedSpec, given: InMemory) -> set[str]:
    """Sources not given in memory that cannot tell their fields yet (`SourceSpec.fields_known`: a recording
    whose run has not begun)."""
    return {
        name
        for name, spec in scene.sources.items()
        if name not in given and not spec.fields_known(context(name, loaded, scene.limits))
    }


def given_fields(loaded: LoadedSpec, scene: Scene, given: InMemory, waiting: set[str] | None = None) -> SourceFields:
    """Fields of every source: from the in-memory trace where one is given, else from the source's spec
    (`waiting` sources left out)."""
    unknown = [name for name in given if name not in scene.sources]
    if unknown:
        hint = did_you_mean(unknown[0], list(scene.sources))
        available = ", ".join(scene.sources)
        raise SpecError([loaded.problem(f"traces: no source named {unknown[0]!r}{hint} (the spec has {available})")])
    fields = source_fields(scene, loaded, skip=set(given) | (waiting or set()))
    for name, trace in given.items():
        if isinstance(trace, StreamingTrace):
            fields[name] = {field: field in trace.stepped_names for field in trace.names}
        elif isinstance(trace, Trace):
            fields[name] = {field: field in trace.stepped for field in trace.names}
        else:
            raise TypeError(f"traces[{name!r}] must be a scenespec.Trace or StreamingTrace, not {type(trace).__name__}")
    return {name: fields[name] for name in scene.sources if name in fields}


def check_scene(loaded: LoadedSpec, given: InMemory = {}) -> Scene:  # noqa: B006 (never mutated)
    """Validate a loaded spec, including its bindings (against in-memory traces where given); runs no source.

    Structural problems do not hide binding problems elsewhere in the file: both are reported in one run.
    """
    return check_scene_waiting(loaded, given)[0]


def check_scene_waiting(loaded: LoadedSpec, given: InMemory = {}) -> tuple[Scene, set[str]]:  # noqa: B006
    """`check_scene`, and the sources whose bindings it could not judge yet (`waiting_sources`)."""
    if SWEEP in loaded.data:
        raise SpecError([loaded.problem(
            "a sweep is drawn by `scenespec render` and `scenespec.load`; this way of drawing takes one scene",
            (SWEEP,),
        )])  # fmt: skip
    try:
        scene = validate(loaded)
    except SpecError as error:
        error.problems += _problems_despite(loaded, error.problems, given)
        raise
    waiting = waiting_sources(scene, loaded, given)
    fields = given_fields(loaded, scene, given, waiting)
    check_references(scene, fields, loaded.problem, waiting)
    shapes = source_shapes(scene, loaded, skip=set(given) | waiting)
    check_traces(scene, shapes, frames_source(scene, fields), loaded.problem)
    return scene, waiting


def _problems_despite(loaded: LoadedSpec, problems: list[Problem], given: InMemory) -> list[Problem]:
    """More problems of a spec with structural problems, found with its broken parts set aside.

    An unknown key stops pydantic from checking the rest of its table, so a second look finds the table's
    other problems; then the well-formed parts' bindings are checked.
    """
    aside = set_aside(loaded.data, [problem.path for problem in problems])
    found: list[Problem] = []
    for _ in range(ROUNDS):
        if aside is None:
            return found
        salvaged = replace(loaded, data=aside.data)
        try:
            scene = validate(salvaged)
        except SpecError as error:
            found += [problem for problem in error.problems if not aside.touches(problem.path)]
            if not extend(aside, [problem.path for problem in error.problems]):
                return found
            continue
        try:
            known = {name: t for name, t in given.items() if name in scene.sources}
            waiting = waiting_sources(scene, salvaged, known)
            fields = given_fields(salvaged, scene, known, waiting)
            check_references(scene, fields, loaded.problem, aside.unknown | waiting)
        except SpecError as error:
            found += [problem for problem in error.problems if not aside.touches(problem.path)]
        return found
    return found


def binding_keys(kind: object) -> tuple[str, ...]:
    """The keys of a layer kind that hold bindings (none for an unknown kind: validation reports it)."""
    layer = LAYERS.load().get(kind) if isinstance(kind, str) else None
    return layer.model.binding_fields if layer is not None else ()


def check_spec(loaded: LoadedSpec, *, split: bool = False) -> tuple[LoadedSpec, Scene, set[str]]:
    """`check_scene_waiting` for any spec: one with a `[sweep]` is checked point by point, then expanded into small
    multiples (returned as the loaded spec to render). With `split` the points are only checked, and the first
    is returned (render each with `sweep_points`)."""
    sweep = read_sweep(loaded)
    if sweep is None:
        return loaded, *check_scene_waiting(loaded)
    points = check_points(loaded, sweep, check_scene_waiting)
    if split:
        return points[0], *check_scene_waiting(points[0])
    swept = expand(loaded, sweep, binding_keys)
    return swept, *check_scene_waiting(swept)


def sweep_points(loaded: LoadedSpec) -> list[PointSpec]:
    """The spec at each point of its sweep (checked), or [] for a spec without one."""
    sweep = read_sweep(loaded)
    return [] if sweep is None else check_points(loaded, sweep, check_scene_waiting)


def load_and_validate(path: str | Path, overrides: Sequence[str] = ()) -> tuple[LoadedSpec, Scene]:
    """Parse and check a spec file (or an installed package's `PACKAGE:NAME`), including its bindings; runs no
    source. A sweep comes back expanded."""
    loaded, scene, _ = check_spec(open_spec(path, list(overrides)))
    return loaded, scene
