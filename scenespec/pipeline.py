"""The pipeline: load -> validate -> resolve -> schedule -> compile -> render, stage by stage.

(The schedule runs before compile because compile sets axis limits from the data of exactly the frames
that will be shown.) `scenespec.api` is the user-facing layer on top: specs from files, dicts or text,
in-memory traces and outputs. `render(path, …)` here is what `scenespec render` did before that API.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from scenespec.checking import (  # noqa: F401 (re-exported: commands and tests check specs through the pipeline)
    InMemory,
    binding_keys,
    check_scene,
    check_scene_waiting,
    check_spec,
    given_fields,
    load_and_validate,
    sweep_points,
    waiting_sources,
)
from scenespec.compile import ArtistGraph
from scenespec.compile.recipe import GraphRecipe
from scenespec.compile.style import style_context, styling_of
from scenespec.errors import RenderError, SpecError, did_you_mean
from scenespec.frame import Frame
from scenespec.load import LoadedSpec
from scenespec.load.sweep import SweptSpec
from scenespec.output import Target, check_writable, resolve_target
from scenespec.render.atomic import commit_file, discard, temp_file_for, write_file
from scenespec.render.executors import Executor, available_cores, default_executor
from scenespec.render.progress import Phase, Progress
from scenespec.render.renderer import write_frames
from scenespec.render.sinks import screen
from scenespec.render.sinks.base import Sink, SinkSettings, sink_for
from scenespec.resolve.resolve import context, resolve_sources, used_sources
from scenespec.resolve.stream import StreamingTrace
from scenespec.resolve.trace import Trace, save_traces
from scenespec.schedule import schedule, select_steps
from scenespec.size_budget import Drawer, Fit, fit_gif
from scenespec.sources._inputs import provided_inputs
from scenespec.tasks import TaskRunner, task_runner
from scenespec.transform.apply import DerivedTrace, apply_transforms
from scenespec.validate.base import split_binding
from scenespec.validate.budget import check_drawing
from scenespec.validate.limits import FieldSize
from scenespec.validate.references import SourceFields, frames_source
from scenespec.validate.scene import Scene


@dataclass
class Prepared:
    """A validated scene with its traces and frames: everything but the figure."""

    loaded: LoadedSpec
    scene: Scene
    traces: dict[str, Trace | DerivedTrace]
    frames: list[Frame]

    def recipe(self) -> GraphRecipe:
        """What a worker needs to build the graph (picklable). Limits cover every frame, even when
        only some are drawn (a poster, `--frame N`), so a lone frame looks as it does in the animation."""
        return GraphRecipe(self.scene, self.traces, self.frames, locate=self.loaded.problem)


def resolve_and_schedule(
    loaded: LoadedSpec,
    scene: Scene,
    *,
    cache: bool = True,
    traces: InMemory = {},  # noqa: B006 (never mutated)
    progress: bool | None = False,
    runner: TaskRunner | None = None,
) -> Prepared:
    """Run (or take from `traces`, or the cache) every source the scene uses, then pick the frames.

    `progress`: a line per source being run, on a terminal (None: when stderr is one). The sources of a sweep's
    points run as tasks (`runner`, default: local processes); others here, one after the other."""
    fields = given_fields(loaded, scene, traces)
    timeline = frames_source(scene, fields)
    needed = used_sources(scene, timeline)
    # a StreamingTrace is taken as the steps it holds now, which are those the frames are scheduled from
    resolved: dict[str, Trace] = {
        name: trace.snapshot() if isinstance(trace, StreamingTrace) else trace for name, trace in traces.items()
    }
    to_run = [name for name in needed if name not in resolved]
    phase = partial(Phase, enabled=progress)
    if isinstance(loaded, SweptSpec) and len(to_run) > 1:
        resolved |= resolve_as_tasks(scene, loaded, fields, to_run, cache=cache, runner=runner)
    else:
        resolved |= resolve_sources(scene, loaded, fields, to_run, cache=cache, phase=phase)  # checks recorded fields
    used = {name: resolved[name] for name in needed}
    if scene.frames.key != "step":
        used = keyed(used, fields, scene.frames.key, loaded)
    with_transforms = apply_transforms(scene, used, loaded.problem)
    steps = None
    if timeline:  # a sweep's timeline is every copy's steps: a point with fewer steps holds its last
        copies = loaded.copies(timeline) if isinstance(loaded, SweptSpec) else []
        steps = np.unique(np.concatenate([used[name].steps for name in copies or [timeline] if name in used]))
    # the frames are counted before they are made: in-between frames, more of them in slow motion, can be many
    count = 1 if steps is None else scene.frames.frame_count(select_steps(scene.frames.steps, steps).tolist())
    assert count is not None  # the steps are given, so they tell
    check_drawing(
        scene, (count, ("frames", "steps"), "scheduled by frames.steps"), trace_sizes(with_transforms), loaded.problem
    )
    frames = schedule(scene.frames, steps, loaded.problem)
    return Prepared(loaded, scene, with_transforms, frames)


@dataclass(frozen=True)
class SourceTask:
    """One source to resolve in a task: picklable (the scene, the spec, the fields it must record)."""

    scene: Scene
    loaded: LoadedSpec
    fields: SourceFields
    name: str
    cache: bool
    inputs: dict[str, bytes]
    """The source's input files (a trainer's CSV data), read here: a worker elsewhere need not have them."""


def resolve_task(task: SourceTask) -> Trace:
    """Resolve one source (through the trace cache): a task run by a `TaskRunner`."""
    with provided_inputs(task.inputs):
        return resolve_sources(task.scene, task.loaded, task.fields, [task.name], cache=task.cache)[task.name]


def input_bytes(scene: Scene, loaded: LoadedSpec, name: str) -> dict[str, bytes]:
    """The bytes of the files source `name` reads as input, by the path the spec names (unreadable ones are left
    out: the source reports them, located, when it reads them)."""
    source = scene.sources[name]
    files: dict[str, bytes] = {}
    for path in source.inputs(context(name, loaded, scene.limits)):
        try:
            files[str(path)] = source.read_input(path)
        except OSError:
            continue
    return files


def resolve_as_tasks(
    scene: Scene, loaded: LoadedSpec, fields: SourceFields, names: list[str], *, cache: bool, runner: TaskRunner | None
) -> dict[str, Trace]:
    """The named sources resolved as tasks of `runner` (default: a local one, a process per source up to the
    cores; in a worker process, this process: a task never starts a pool of its own), in the order of `names`.

    Sources that only read files (`cacheable = False`) are read here, where the files are; the others' input files
    travel with their tasks as bytes, so a worker on another machine needs no shared disk."""
    readers = [name for name in names if not scene.sources[name].cacheable]
    resolved = resolve_sources(scene, loaded, fields, readers, cache=cache) if readers else {}
    computing = [name for name in names if name not in resolved]
    tasks = [SourceTask(scene, loaded, fields, name, cache, input_bytes(scene, loaded, name)) for name in computing]
    if runner is not None:
        resolved |= dict(zip(computing, runner.map(resolve_task, tasks), strict=True))
    else:
        workers = 1 if multiprocessing.parent_process() is not None else min(max(len(computing), 1), available_cores())
        with task_runner("local", workers=workers) as local:
            resolved |= dict(zip(computing, local.map(resolve_task, tasks), strict=True))
    return {name: resolved[name] for name in names}


def trace_sizes(traces: Mapping[str, Trace | DerivedTrace]) -> Callable[[str], FieldSize | None]:
    """The size of a bound field in resolved traces, for the budgets."""

    def size_of(binding: str) -> FieldSize | None:
        source, name = split_binding(binding)
        trace = traces.get(source)
        if trace is None or name not in trace.names:
            return None
        field = trace.field(name)
        data = np.asarray(field.data)
        if field.steps is None:
            return FieldSize(int(data.size), shape=data.shape)
        return FieldSize(int(data[0].size) if len(data) else 0, len(field.steps), data.shape[1:])

    return size_of


def keyed(traces: dict[str, Trace], fields: SourceFields, counter: str, loaded: LoadedSpec) -> dict[str, Trace]:
    """Traces re-indexed by a recorded counter (`frames.key`) where they record it; the others as they are."""
    out = {}
    for name, trace in traces.items():
        if counter not in trace.stepped:
            out[name] = trace
            continue
        try:
            out[name] = trace.keyed_by(counter)
        except ValueError as exc:
            raise SpecError([loaded.problem(f"source {name!r}: {exc}", ("frames", "key"))]) from None
    return out


def prepare(path: str | Path, overrides: Sequence[str] = (), *, cache: bool = True) -> Prepared:
    """Load, validate, resolve (through the trace cache unless `cache=False`) and schedule a spec."""
    return resolve_and_schedule(*load_and_validate(path, overrides), cache=cache)


def scene_style(scene: Scene, traces: Mapping[str, Trace | DerivedTrace] | None = None) -> AbstractContextManager[None]:
    """The scene's matplotlib style, to build its graph in (with `traces`, fonts also cover the texts they hold)."""
    return style_context(styling_of(scene, traces))


def build(prepared: Prepared, figure: Figure | None = None) -> ArtistGraph:
    """The artist graph (call inside `scene_style`)."""
    return prepared.recipe().build(figure)


def sink_settings(scene: Scene) -> SinkSettings:
    """What the sinks take from the scene, as plain values."""
    return SinkSettings(fps=scene.frames.fps, loop=scene.frames.loop, dither=scene.output.dither)


def render_into(
    prepared: Prepared,
    frames: list[Frame],
    sink: Sink,
    *,
    executor: Executor | None = None,
    workers: int | None = None,
    progress: bool | None = None,
) -> tuple[int, int]:
    """Draw `frames` with `executor` (default: this process, with workers, one per core, only when they pay;
    `workers=N`: N worker processes; `workers=1`: this process) into
    `sink`, which is opened, then closed, or aborted on any failure; returns the frame size (width, height)."""
    executor = executor or default_executor(workers, len(frames))
    bar = Progress(len(frames), enabled=progress)
    return write_frames(frames, executor.frames(prepared.recipe(), frames), sink, bar)


@dataclass(frozen=True)
class RenderResult:
    target: Target
    frames: int
    pixels: tuple[int, int]
    seconds: float
    fit: Fit | None = None
    """What `--max-size` chose to fit its budget (None without one)."""


def pick_frame(frames: list[Frame], index: int) -> list[Frame]:
    if not -len(frames) <= index < len(frames):
        raise RenderError(
            f"--frame {index}: the scene has {len(frames)} frames (0..{len(frames) - 1}, or -1 for the last)"
        )
    return [frames[index]]


def output_frames(prepared: Prepared, fmt: str, frame: int | None) -> list[Frame]:
    """The frames an output shows: all, the one `--frame` picks, or the last (a lone PNG is a poster)."""
    if frame is not None:
        return pick_frame(prepared.frames, frame)
    if fmt == "png":
        return prepared.frames[-1:]  # a poster shows the trained model
    return prepared.frames


def write_output(
    prepared: Prepared,
    target: Target,
    frame: int | None = None,
    *,
    started: float,
    executor: Executor | None = None,
    workers: int | None = None,
    progress: bool | None = None,
    max_size: int | None = None,
) -> RenderResult:
    """Draw the frames `target` shows (all, `frame`, or the poster) into its file, or play them on the screen.

    `max_size`: a GIF's size budget in bytes, met by fewer colours, scale and fps (scenespec/size_budget.py)."""
    frames = output_frames(prepared, target.format, frame)
    if max_size is not None:
        return _write_within(prepared, target, frames, max_size, started, _scaled_drawer(prepared, executor, workers))
    if target.format == "screen":
        size = show_on_screen(prepared, frames)
    else:
        sink = sink_for(target.format, target.path, sink_settings(prepared.scene))
        size = render_into(prepared, frames, sink, executor=executor, workers=workers, progress=progress)
    return RenderResult(target, len(frames), size, time.perf_counter() - started)


def check_budget_format(fmt: str) -> None:
    """A size budget is met by changing a GIF's palette, scale and fps: other formats have none."""
    if fmt != "gif":
        raise RenderError(f"--max-size: only a GIF output has a size budget, and this output is {fmt}")


def _write_within(
    prepared: Prepared, target: Target, frames: list[Frame], budget: int, started: float, draw: Drawer
) -> RenderResult:
    """The GIF that fits `budget`, written in place only once it is known to fit."""
    check_budget_format(target.format)
    assert target.path is not None
    settings = sink_settings(prepared.scene)
    fps = prepared.scene.frames.fps
    fit = fit_gif(frames, budget, fps=fps, loop=settings.loop, dither=settings.dither, draw=draw)
    write_file(target.path, fit.data)
    return RenderResult(target, fit.frames, fit.pixels, time.perf_counter() - started, fit)


def _scaled_drawer(prepared: Prepared, executor: Executor | None, workers: int | None) -> Drawer:
    """Draws frames of `prepared` at a scale of its dpi (what a size budget tries), with the render's executor."""

    def draw(scale: float, frames: list[Frame], sink: Sink) -> tuple[int, int]:
        meta = prepared.scene.scene
        dpi = max(10, round(meta.dpi * scale))
        scene = prepared.scene.model_copy(update={"scene": meta.model_copy(update={"dpi": dpi})})
        return render_into(
            replace(prepared, scene=scene), frames, sink, executor=executor, workers=workers, progress=False
        )

    return draw


def show_on_screen(prepared: Prepared, frames: list[Frame]) -> tuple[int, int]:
    scene = prepared.scene
    with scene_style(scene, prepared.traces):
        graph = build(prepared, screen.window_figure(scene.scene.size, scene.scene.dpi))
        screen.play(graph, frames, scene.frames.loop)
    return graph.pixel_size


def render(
    path: str | Path,
    out: str | None = None,
    fmt: str | None = None,
    frame: int | None = None,
    overrides: Sequence[str] = (),
    progress: bool | None = None,
    workers: int | None = None,
    *,
    cache: bool = True,
) -> RenderResult:
    """Render a spec file to its output; see `scenespec render --help`.

    `workers`: processes drawing frames (default: this process, and workers when the frames would take long; 1
    draws in this process).
    """
    started = time.perf_counter()
    loaded, scene = load_and_validate(path, overrides)
    target = resolve_target(scene, loaded, out, fmt, frame)
    if target.format == "screen":
        screen.require_display()
    prepared = resolve_and_schedule(loaded, scene, cache=cache, progress=progress)
    return write_output(prepared, target, frame, started=started, workers=workers, progress=progress)


@dataclass(frozen=True)
class TraceResult:
    path: Path
    traces: dict[str, Trace]
    seconds: float


def write_traces(
    path: str | Path,
    out: str | Path | None = None,
    overrides: Sequence[str] = (),
    sources: Sequence[str] = (),
    *,
    cache: bool = True,
    progress: bool | None = False,
) -> TraceResult:
    """Resolve sources (default: every source of the spec) and save their traces in one `.npz`."""
    started = time.perf_counter()
    loaded, scene = load_and_validate(path, overrides)
    names = list(sources) or list(scene.sources)
    unknown = [n for n in names if n not in scene.sources]
    if unknown:
        hint = did_you_mean(unknown[0], list(scene.sources))
        available = ", ".join(scene.sources)
        raise RenderError(f"--source {unknown[0]}: the spec has no such source{hint} (it has {available})")
    target = Path(out) if out is not None else Path(f"{loaded.name}.npz")
    if target.suffix != ".npz":
        raise RenderError(f"{target}: a trace file ends in .npz")
    check_writable(target, "npz")
    phase = partial(Phase, enabled=progress)
    traces = resolve_sources(scene, loaded, given_fields(loaded, scene, {}), names, cache=cache, phase=phase)
    temp = temp_file_for(target)
    try:
        with open(temp, "wb") as handle:
            save_traces(traces, handle)
        commit_file(temp, target)
    except BaseException:
        discard(temp)
        raise
    return TraceResult(target, traces, time.perf_counter() - started)
