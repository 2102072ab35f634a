"""The pipeline: load -> validate -> resolve -> schedule -> compile -> render.

(The schedule runs before compile because compile sets axis limits from the data
of exactly the frames that will be shown.)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure

from scenespec.compile import ArtistGraph, compile_scene
from scenespec.compile.graph import style_context
from scenespec.errors import RenderError, did_you_mean
from scenespec.load import LoadedSpec, load_spec
from scenespec.output import Target, check_writable, resolve_target
from scenespec.render.atomic import commit_file, discard, temp_file_for
from scenespec.render.parallel import available_cores, can_fork, render_in_workers
from scenespec.render.progress import Progress
from scenespec.render.renderer import render_frames
from scenespec.render.sinks import screen
from scenespec.render.sinks.base import Sink, SinkSettings, sink_for
from scenespec.resolve.resolve import resolve_sources, source_fields, used_sources
from scenespec.resolve.trace import Trace, save_traces
from scenespec.schedule import Frame, schedule
from scenespec.validate.references import check_references, frames_source
from scenespec.validate.scene import Scene
from scenespec.validate.validate import validate


@dataclass
class Prepared:
    """A validated scene with its traces and frames: everything but the figure."""

    loaded: LoadedSpec
    scene: Scene
    traces: dict[str, Trace]
    frames: list[Frame]


def load_and_validate(path: str | Path, overrides: Sequence[str] = ()) -> tuple[LoadedSpec, Scene]:
    """Parse and check a spec, including its bindings; runs no source."""
    loaded = load_spec(path, list(overrides))
    scene = validate(loaded)
    check_references(scene, source_fields(scene, loaded), loaded.problem)
    return loaded, scene


def resolve_and_schedule(loaded: LoadedSpec, scene: Scene, *, cache: bool = True) -> Prepared:
    fields = source_fields(scene, loaded)
    timeline = frames_source(scene, fields)
    traces = resolve_sources(scene, loaded, fields, used_sources(scene, timeline), cache=cache)
    steps = traces[timeline].steps if timeline else None
    frames = schedule(scene.frames, steps, loaded.problem)
    return Prepared(loaded, scene, traces, frames)


def prepare(path: str | Path, overrides: Sequence[str] = (), *, cache: bool = True) -> Prepared:
    """Load, validate, resolve (through the trace cache unless `cache=False`) and schedule a spec."""
    return resolve_and_schedule(*load_and_validate(path, overrides), cache=cache)


def scene_style(scene: Scene) -> AbstractContextManager[None]:
    """The scene's matplotlib style, to build its graph in."""
    return style_context(scene.scene.style)


def build(prepared: Prepared, figure: Figure | None = None) -> ArtistGraph:
    """The artist graph (call inside `scene_style`)."""
    return compile_scene(prepared.scene, prepared.traces, prepared.frames, figure)


def sink_settings(scene: Scene) -> SinkSettings:
    """What the sinks take from the scene, as plain values."""
    return SinkSettings(fps=scene.frames.fps, loop=scene.frames.loop, dither=scene.output.dither)


def render_into(
    prepared: Prepared, frames: list[Frame], sink: Sink, *, workers: int | None = None, progress: bool | None = None
) -> tuple[int, int]:
    """Draw `frames` into `sink` (opened, then closed or aborted); returns the frame size (width, height).

    `workers`: processes drawing frames (default: one per core; 1 draws in this process).
    """
    bar = Progress(len(frames), enabled=progress)
    workers = min(workers or available_cores(), len(frames))
    with scene_style(prepared.scene):
        if workers > 1 and can_fork():
            return render_in_workers(prepared, frames, sink, workers, bar)
        graph = build(prepared)
        render_frames(graph, frames, sink, bar)
        return graph.pixel_size


@dataclass(frozen=True)
class RenderResult:
    target: Target
    frames: int
    pixels: tuple[int, int]
    seconds: float


def pick_frame(frames: list[Frame], index: int) -> list[Frame]:
    if not -len(frames) <= index < len(frames):
        raise RenderError(
            f"--frame {index}: the scene has {len(frames)} frames (0..{len(frames) - 1}, or -1 for the last)"
        )
    return [frames[index]]


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
    """Render a spec to its output; see `scenespec render --help`.

    `workers`: processes drawing frames (default: one per core; 1 draws in this process).
    """
    started = time.perf_counter()
    loaded, scene = load_and_validate(path, overrides)
    target = resolve_target(scene, loaded, out, fmt, frame)
    if target.format == "screen":
        screen.require_display()
    prepared = resolve_and_schedule(loaded, scene, cache=cache)
    frames = prepared.frames if frame is None else pick_frame(prepared.frames, frame)
    if target.format == "png" and frame is None:
        frames = frames[-1:]  # a poster shows the trained model
    if target.format == "screen":
        with scene_style(scene):
            graph = build(prepared, screen.window_figure(scene.scene.size, scene.scene.dpi))
            screen.play(graph, frames, scene.frames.loop)
        return RenderResult(target, len(frames), graph.pixel_size, time.perf_counter() - started)
    assert target.path is not None
    sink = sink_for(target.format, target.path, sink_settings(scene))
    size = render_into(prepared, frames, sink, workers=workers, progress=progress)
    return RenderResult(target, len(frames), size, time.perf_counter() - started)


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
    traces = resolve_sources(scene, loaded, source_fields(scene, loaded), names, cache=cache)
    temp = temp_file_for(target)
    try:
        with open(temp, "wb") as handle:
            save_traces(traces, handle)
        commit_file(temp, target)
    except BaseException:
        discard(temp)
        raise
    return TraceResult(target, traces, time.perf_counter() - started)
