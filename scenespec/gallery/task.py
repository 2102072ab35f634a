"""One spec of the gallery as a task: rendered wherever a task runner puts it (this process, a local process, a
Dask worker on another machine), its outputs returned as bytes for the site's machine to write.

The same function serves every executor, so a gallery built on a cluster is built by the code that builds it here.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scenespec.errors import RenderError, SpecError

if TYPE_CHECKING:
    from scenespec.tasks.payload import SpecPayload

ANIMATION = {"animation.gif": "gif", "animation.mp4": "mp4"}
POSTER = "poster.png"


@dataclass(frozen=True)
class SpecTask:
    """What a worker needs to render one spec of the gallery."""

    name: str
    payload: SpecPayload
    workers: int | None = 1
    """Processes drawing its frames: 1 in a worker (a task never starts a pool); None (one per core) when the
    task runs alone in the process that builds the gallery."""
    cache: bool = True


@dataclass(frozen=True)
class SpecOutputs:
    """What came back: the files of the spec's folder (name -> bytes) and its facts, or the failure that a render
    here would have raised (a SpecError, RenderError or OSError, so it is reported as a local failure is)."""

    files: dict[str, bytes] = field(default_factory=dict)
    facts: dict[str, Any] | None = None
    failure: Exception | None = None
    ran_in: str = ""
    """`host:pid` of the process that rendered it."""


def render_spec(task: SpecTask) -> SpecOutputs:
    """GIF, MP4 and poster (the last frame) of an animated scene, drawn once and fed to three in-memory sinks by a
    tee; only the poster of a one-frame scene."""
    from scenespec.pipeline import render_into, sink_settings
    from scenespec.render.sinks import TeeSink, sink_for
    from scenespec.tasks.payload import prepare_payload

    ran_in = f"{socket.gethostname()}:{os.getpid()}"
    started = time.perf_counter()
    try:
        prepared = prepare_payload(task.payload, cache=task.cache)
        frames = prepared.frames
        animated = len(frames) > 1
        settings = sink_settings(prepared.scene)
        outputs = {**(ANIMATION if animated else {}), POSTER: "png"}
        sinks = {name: sink_for(fmt, None, settings) for name, fmt in outputs.items()}
        tee = TeeSink(list(sinks.values()))
        width, height = render_into(prepared, frames, tee, workers=task.workers, progress=False)
    except (SpecError, RenderError, OSError) as exc:
        return SpecOutputs(failure=exc, ran_in=ran_in)
    seconds = round(time.perf_counter() - started, 2)
    facts = {"frames": len(frames), "width": width, "height": height, "seconds": seconds, "animated": animated}
    return SpecOutputs({name: sink.getvalue() for name, sink in sinks.items()}, facts, ran_in=ran_in)
