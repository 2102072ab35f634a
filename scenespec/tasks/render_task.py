"""`scenespec render --executor dask`: one spec rendered as one task on a cluster, its output written here.

The output is checked here before anything runs (`resolve_target`), rendered into memory by the worker, and
written atomically here: a file moved into place, a PNG sequence (which comes back as a zip) unpacked into a
folder swapped in whole.
"""

from __future__ import annotations

import io
import os
import socket
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from scenespec.errors import RenderError
from scenespec.load import LoadedSpec
from scenespec.output import Target
from scenespec.pipeline import RenderResult, output_frames, render_into, sink_settings
from scenespec.render.atomic import commit_dir, discard, temp_dir_for, write_file
from scenespec.render.sinks.base import sink_for, sink_kinds
from scenespec.tasks import TaskRunner
from scenespec.tasks.payload import SpecPayload, payload_for, prepare_payload
from scenespec.validate.scene import Scene


@dataclass(frozen=True)
class RenderTask:
    payload: SpecPayload
    format: str
    frame: int | None = None
    cache: bool = True


@dataclass(frozen=True)
class Rendered:
    data: bytes
    frames: int
    pixels: tuple[int, int]
    ran_in: str
    """`host:pid` of the process that rendered it."""


def render_task(task: RenderTask) -> Rendered:
    """The output's bytes (a folder format's as a zip), drawn in this process (a task starts no pool)."""
    prepared = prepare_payload(task.payload, cache=task.cache)
    frames = output_frames(prepared, task.format, task.frame)
    sink = sink_for(task.format, None, sink_settings(prepared.scene))
    pixels = render_into(prepared, frames, sink, workers=1, progress=False)
    return Rendered(sink.getvalue(), len(frames), pixels, f"{socket.gethostname()}:{os.getpid()}")


def render_on(
    runner: TaskRunner, loaded: LoadedSpec, scene: Scene, target: Target, frame: int | None = None, cache: bool = True
) -> RenderResult:
    """Render the spec as one task of `runner` and write its output to `target` (a file or a folder, not the
    screen, which is this machine's)."""
    if target.path is None or target.format == "screen":
        raise RenderError("--executor dask renders on the cluster and writes a file here; the screen is not a file")
    started = time.perf_counter()
    payload = payload_for(loaded, scene, cache=cache)
    (rendered,) = runner.map(render_task, [RenderTask(payload, target.format, frame, cache)])
    write_rendered(target.path, target.format, rendered.data)
    return RenderResult(target, rendered.frames, rendered.pixels, time.perf_counter() - started)


def write_rendered(path: Path, fmt: str, data: bytes) -> None:
    """Write an in-memory output where its file sink would have: atomically, replacing an earlier one only once
    complete."""
    if sink_kinds()[fmt].writes == "folder":
        temp = temp_dir_for(path)
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for name in archive.namelist():
                    (temp / PurePosixPath(name).name).write_bytes(archive.read(name))  # flat, as the sink wrote it
            commit_dir(temp, path)
        except BaseException:
            discard(temp)
            raise
        return
    write_file(path, data)
