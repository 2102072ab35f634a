"""Executors: who draws the frames. Serial in this process, or local worker processes; a seam for clusters.

An executor turns a picklable `GraphRecipe` and a list of frames into RGB arrays, in frame order. Each
worker builds its own artist graph and frame engine once from the recipe (figures do not cross process
boundaries) and then renders whichever frames it is given: frames are independent given the graph.

`ProcessExecutor` starts its workers with `fork` where the platform has it (they inherit the recipe,
nothing is pickled) and with `spawn` or `forkserver` elsewhere, or when asked (the recipe is pickled
once per worker). No module-level state is inherited or needed. At most a few frames per worker are in
flight, so memory does not grow with the number of frames. Workers ignore Ctrl-C and SIGTERM (the parent
stops the pool) and end when the main process ends, even by SIGKILL (see `lifeline`).

A cluster executor (Dask, …) implements the same `frames` method: it ships the recipe to its workers
once and maps `render_frame` over the frames, returning arrays (or PNG bytes) in order.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack
from typing import Literal

import numpy as np

from scenespec.compile.recipe import GraphRecipe
from scenespec.frame import Frame
from scenespec.interrupt import deferred
from scenespec.render.engine import FrameEngine
from scenespec.render.lifeline import end_with
from scenespec.render.renderer import drawn_frames

IN_FLIGHT_PER_WORKER = 3
StartMethod = Literal["fork", "spawn", "forkserver"]


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


class Executor:
    """Draws the frames of a recipe, in order. Subclasses: `SerialExecutor`, `ProcessExecutor`."""

    workers: int = 1

    def frames(self, recipe: GraphRecipe, frames: list[Frame]) -> Iterator[np.ndarray]:
        """Each frame as an RGB uint8 array (height, width, 3), in the order given."""
        raise NotImplementedError


class SerialExecutor(Executor):
    """Everything in this process: one graph, one frame engine."""

    def frames(self, recipe: GraphRecipe, frames: list[Frame]) -> Iterator[np.ndarray]:
        with recipe.styled():
            yield from drawn_frames(recipe.build(), frames)


class _Worker:
    """A worker process's own graph and engine, built once from the recipe."""

    engine: FrameEngine | None = None
    styles = ExitStack()


def _start_worker(recipe: GraphRecipe, parent: int) -> None:
    # Ctrl-C and SIGTERM are the parent's to handle: it stops the pool. (A forked worker would otherwise also
    # inherit the parent's SIGTERM handler and raise in the middle of a frame.)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    end_with(parent)
    _Worker.styles.enter_context(recipe.styled())
    _Worker.engine = FrameEngine(recipe.build())


def render_frame(frame: Frame) -> np.ndarray:
    """The work unit: one frame drawn by this worker's engine (`_start_worker` ran first)."""
    assert _Worker.engine is not None, "worker not started"
    return _Worker.engine.pixels(frame)


class ProcessExecutor(Executor):
    """Local worker processes; `start_method` None picks fork where available, else spawn."""

    def __init__(self, workers: int | None = None, start_method: StartMethod | None = None) -> None:
        self.workers = max(1, workers or available_cores())
        self.start_method: StartMethod = start_method or ("fork" if can_fork() else "spawn")

    def frames(self, recipe: GraphRecipe, frames: list[Frame]) -> Iterator[np.ndarray]:
        if self.workers == 1 or len(frames) == 1:
            yield from SerialExecutor().frames(recipe, frames)
            return
        context = multiprocessing.get_context(self.start_method)
        pool = ProcessPoolExecutor(
            min(self.workers, len(frames)),
            mp_context=context,
            initializer=_start_worker,
            initargs=(recipe, os.getpid()),
        )
        try:
            yield from _in_order(pool, frames, self.workers * IN_FLIGHT_PER_WORKER)
        except BaseException:
            # Ctrl-C, a failed frame or a failed sink: drop the queued frames and wait only for those being drawn
            # (one per worker). Not waiting lets the interpreter exit while the pool's thread still runs, and
            # Python then prints a traceback from its exit handler after scenespec's clean error.
            with deferred(then_raise=False):
                pool.shutdown(wait=True, cancel_futures=True)
            raise
        with deferred():
            pool.shutdown()


def _in_order(pool: ProcessPoolExecutor, frames: Iterable[Frame], window: int) -> Iterator[np.ndarray]:
    """Results of `render_frame` over `frames`, in order, with at most `window` frames in flight."""
    pending: deque[Future[np.ndarray]] = deque()
    upcoming = iter(frames)
    with deferred():  # Ctrl-C or SIGTERM is raised between these calls, never inside the pool's own code
        for frame in upcoming:
            pending.append(pool.submit(render_frame, frame))
            if len(pending) >= window:
                break
    while pending:
        with deferred():
            rgb = pending.popleft().result()
            following = next(upcoming, None)
            if following is not None:
                pending.append(pool.submit(render_frame, following))
        yield rgb


def default_executor(workers: int | None, frame_count: int) -> Executor:
    """What `render` uses: worker processes when more than one core and frame, else this process."""
    workers = min(workers or available_cores(), frame_count)
    return ProcessExecutor(workers) if workers > 1 else SerialExecutor()
