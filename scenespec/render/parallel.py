"""Frames rendered in worker processes, handed to the sink in order.

Each worker builds its own artist graph and frame engine once (figures do not
cross process boundaries), then renders whichever frames it is given: frames are
independent given the graph. Workers are forked, so they inherit the resolved
traces instead of recomputing or unpickling them; where fork is unavailable,
rendering stays in one process. At most a few frames per worker are in flight, so
memory does not grow with the number of frames.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack
from typing import TYPE_CHECKING

import numpy as np

from scenespec.render.progress import Progress
from scenespec.render.sinks.base import Sink
from scenespec.schedule.frames import Frame

if TYPE_CHECKING:
    from scenespec.pipeline import Prepared

IN_FLIGHT_PER_WORKER = 3

_prepared: Prepared | None = None  # set in the parent just before forking; workers inherit it
_engine = None
_styles = ExitStack()


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def _start_worker() -> None:
    """Build this worker's graph and engine once, inside the scene's style for its whole life."""
    global _engine
    from scenespec.pipeline import build, scene_style
    from scenespec.render.engine import FrameEngine

    assert _prepared is not None
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the pool
    _styles.enter_context(scene_style(_prepared.scene))
    _engine = FrameEngine(build(_prepared))


def _render(frame: Frame) -> np.ndarray:
    assert _engine is not None
    return _engine.pixels(frame)


def render_in_workers(
    prepared: Prepared, frames: list[Frame], sink: Sink, workers: int, progress: Progress | None = None
) -> tuple[int, int]:
    """Render `frames` in `workers` forked processes into `sink`; returns the frame size (width, height)."""
    global _prepared
    _prepared = prepared
    size = (0, 0)
    try:
        with sink:  # closed once every frame is written; aborted (no output kept) on any failure
            pool = ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("fork"), initializer=_start_worker
            )
            try:
                pending: deque[tuple[Frame, Future[np.ndarray]]] = deque()
                upcoming = iter(frames)
                for frame in upcoming:
                    pending.append((frame, pool.submit(_render, frame)))
                    if len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                        break
                while pending:
                    frame, future = pending.popleft()
                    rgb = future.result()
                    size = (rgb.shape[1], rgb.shape[0])
                    sink.write(frame, rgb)
                    if progress:
                        progress.advance()
                    following = next(upcoming, None)
                    if following is not None:
                        pending.append((following, pool.submit(_render, following)))
                pool.shutdown()
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)  # Ctrl-C or a failed frame: stop at once
                raise
    finally:
        _prepared = None
        if progress:
            progress.finish()
    return size
