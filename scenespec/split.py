"""`--split`: a sweep rendered as one output per point instead of small multiples.

Each point is a task (`scenespec.tasks`) that draws its frames in its worker and returns the output's bytes; the
caller writes each file atomically, so the tasks need no shared disk (and can run on a cluster). Outputs are named
after the spec's output plus the point: `linreg.gif` -> `linreg.lr=0.0001.gif` (see docs/sweeps.md).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scenespec.errors import RenderError
from scenespec.load.sweep import PointSpec
from scenespec.output import Target, check_writable, resolve_target
from scenespec.pipeline import (
    RenderResult,
    check_scene_waiting,
    output_frames,
    render_into,
    sink_settings,
)
from scenespec.render.atomic import write_file
from scenespec.render.sinks.base import sink_for, sink_kinds
from scenespec.tasks import TaskRunner, task_runner
from scenespec.tasks.payload import SpecPayload, payload_for, prepare_payload

POINT = "{point}"
"""Where a `-o` pattern puts the point's name."""


@dataclass(frozen=True)
class PointTask:
    """One point to render: picklable, carrying what its file-reading sources read (workers need no shared disk)."""

    payload: SpecPayload
    format: str
    frame: int | None
    cache: bool


@dataclass(frozen=True)
class PointOutput:
    data: bytes
    frames: int
    pixels: tuple[int, int]


def render_point(task: PointTask) -> PointOutput:
    """Draw one point's output in this process (one worker: a task never starts a pool) and return its bytes."""
    prepared = prepare_payload(task.payload, cache=task.cache)
    frames = output_frames(prepared, task.format, task.frame)
    sink = sink_for(task.format, None, sink_settings(prepared.scene))
    pixels = render_into(prepared, frames, sink, workers=1, progress=False)
    return PointOutput(sink.getvalue(), len(frames), pixels)


def with_point(path: Path, slug: str) -> Path:
    """`out/linreg.gif` -> `out/linreg.lr=0.0001.gif`."""
    return path.with_name(f"{path.stem}.{slug}{path.suffix}")


def point_target(point: PointSpec, out: str | None, fmt: str | None, frame: int | None) -> Target:
    """Where one point's output goes: the spec's default output with the point inserted before its suffix; with
    `out`, a name pattern holding `{point}`, or an existing folder (that default name inside it)."""
    assert point.point is not None
    slug = point.point.slug
    if out is None or Path(out).is_dir():
        scene, _ = check_scene_waiting(point)
        default = resolve_target(scene, point, None, fmt, frame)
        if default.path is None:
            raise RenderError("--split writes one file per point; the screen shows one scene")
        path = with_point(default.path, slug) if out is None else Path(out) / with_point(default.path, slug).name
        target = Target(path, default.format)
    elif POINT in out:
        path = Path(out.replace(POINT, slug))
        scene, _ = check_scene_waiting(point)
        target = resolve_target(scene, point, str(path), fmt, frame)
    else:
        raise RenderError(
            f"-o {out}: with --split, the output is an existing folder or a name holding {POINT} "
            f"(e.g. {Path(out).stem}-{POINT}{Path(out).suffix or '.gif'})"
        )
    if target.format == "screen" or sink_kinds()[target.format].writes == "folder":
        raise RenderError(f"--split writes one file per point; a {target.format} output is not one file")
    check_writable(target.path, target.format) if target.path is not None else None
    return target


def render_split(
    points: Sequence[PointSpec],
    out: str | None = None,
    format: str | None = None,
    *,
    frame: int | None = None,
    cache: bool = True,
    runner: TaskRunner | None = None,
    workers: int | None = None,
) -> list[RenderResult]:
    """Render each point to its own file (`point_target`), as tasks of `runner` (default: local processes,
    `workers` of them); every target is checked before any task starts, and each file is written atomically."""
    started = time.perf_counter()
    targets = [point_target(point, out, format, frame) for point in points]
    paths = [target.path for target in targets]
    if len(set(paths)) < len(paths):
        raise RenderError(f"--split: two points would write the same file ({out}); put {POINT} in the name")
    tasks = [
        PointTask(payload_for(point, check_scene_waiting(point)[0], cache=cache), target.format, frame, cache)
        for point, target in zip(points, targets, strict=True)
    ]
    own = runner is None
    runner = runner or task_runner("local", workers=workers)
    results = []
    try:
        for target, output in zip(targets, runner.map(render_point, tasks), strict=True):
            assert target.path is not None
            write_file(target.path, output.data)
            results.append(RenderResult(target, output.frames, output.pixels, time.perf_counter() - started))
    finally:
        if own:
            runner.close()
    return results
