"""Executors: who draws the frames. Serial in this process, or local worker processes; a seam for clusters.

An executor turns a picklable `GraphRecipe` and a list of frames into RGB arrays, in frame order. Each
worker builds its own artist graph and frame engine once from the recipe (figures do not cross process
boundaries) and then renders whichever frames it is given: frames are independent given the graph.

`ProcessExecutor` starts its workers with `fork` where the platform has it (they inherit the recipe,
nothing is pickled) and with `spawn` or `forkserver` elsewhere, or when asked (the recipe is pickled
once per worker). No module-level state is inherited or needed (`AdaptiveExecutor`'s forked workers are the
exception: they inherit the engine this process built). At most a few frames per worker are in
flight, so memory does not grow with the number of frames. Workers ignore Ctrl-C and SIGTERM (the parent
stops the pool) and end when the main process ends, even by SIGKILL (see `lifeline`).

A cluster executor (Dask, …) implements the same `frames` method: it ships the recipe to its workers
once and maps `render_frame` over the frames, returning arrays (or PNG bytes) in order.

`AdaptiveExecutor`, the default when no number of workers is asked for, starts workers only when they pay
for themselves: a worker costs its start, and every frame it draws is pickled back to this process (a
640×480 frame is 0.9 MB), so a short render is faster drawn here. It draws the first frames here, estimates
the time the rest would take from them, and only when that is long hands the rest to forked workers, which
inherit the graph and engine already built here instead of building their own. Those workers draw each frame
into a slot of memory shared with this process (`SharedFrames`), which copies it out: pickled through a pipe, a
640×480 frame cost a few milliseconds of both processes' time, as much as drawing it.
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
import signal
import sys
import time
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
from scenespec.render.renderer import drawn_frames, frame_pixels

IN_FLIGHT_PER_WORKER = 3
PROBE_FRAMES = 4
"""Frames `AdaptiveExecutor` draws here after the first (which also draws the background) to time a frame."""
WORKERS_PAY_AFTER = 0.5
"""Seconds of drawing left, estimated, above which `AdaptiveExecutor` starts workers for the rest. Forked workers
that inherit the built engine start in tens of milliseconds, and a frame handed back through shared memory costs a
copy (a tenth of a millisecond for 640×480), so with a free second core they save up to half of the time left,
less that: from a few tenths of a second on (linreg's 200 frames get them, its 19 frames are drawn here). On a
machine busy with other work the second core is not free, and they neither gain nor lose measurably (linreg's 200
frames: 1.25 s either way at load 2)."""
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


class SharedFrames:
    """Frames of one shape in memory shared with forked workers: a worker draws into a slot, this process copies
    it out. Anonymous shared memory, mapped before the workers are forked, so nothing is named or cleaned up."""

    def __init__(self, shape: tuple[int, ...], slots: int) -> None:
        self.shape = shape
        self.size = int(np.prod(shape))
        self.slots = slots
        self._memory = mmap.mmap(-1, self.size * slots)  # MAP_SHARED: a forked child writes what this one reads

    def slot(self, index: int) -> np.ndarray:
        return np.frombuffer(self._memory, np.uint8, self.size, (index % self.slots) * self.size).reshape(self.shape)

    def close(self) -> None:
        self._memory.close()


class _Worker:
    """A worker process's own graph and engine, built once from the recipe (or inherited when forked)."""

    engine: FrameEngine | None = None
    shared: SharedFrames | None = None
    styles = ExitStack()


def _start_worker(recipe: GraphRecipe, parent: int) -> None:
    detach(parent)
    _Worker.styles.enter_context(recipe.styled())
    _Worker.engine = FrameEngine(recipe.build())


def detach(parent: int) -> None:
    """Ctrl-C and SIGTERM are the parent's to handle: it stops the pool. (A forked worker would otherwise also
    inherit the parent's SIGTERM handler and raise in the middle of a frame.) The worker ends with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    end_with(parent)


def render_frame(frame: Frame) -> np.ndarray:
    """The work unit: one frame drawn by this worker's engine (`_start_worker` ran first)."""
    assert _Worker.engine is not None, "worker not started"
    return _Worker.engine.pixels(frame)


def render_frame_into(frame: Frame, slot: int) -> None:
    """One frame drawn by this (forked) worker's engine into `slot` of the memory it shares with its parent."""
    assert _Worker.engine is not None and _Worker.shared is not None, "worker not forked from a drawing process"
    _Worker.engine.pixels(frame, _Worker.shared.slot(slot))


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
        yield from _pooled(pool, frames, self.workers)


def _pooled(
    pool: ProcessPoolExecutor, frames: list[Frame], workers: int, shared: SharedFrames | None = None
) -> Iterator[np.ndarray]:
    """The frames drawn by `pool`'s workers, in order (into `shared`'s slots, one per frame in flight, if given);
    the pool is shut down at the end or on any failure."""
    try:
        yield from _in_order(pool, frames, workers * IN_FLIGHT_PER_WORKER, shared)
    except BaseException:
        # Ctrl-C, a failed frame or a failed sink: drop the queued frames and wait only for those being drawn
        # (one per worker). Not waiting lets the interpreter exit while the pool's thread still runs, and
        # Python then prints a traceback from its exit handler after scenespec's clean error.
        with deferred(then_raise=False):
            pool.shutdown(wait=True, cancel_futures=True)
        raise
    with deferred():
        pool.shutdown()


class AdaptiveExecutor(Executor):
    """Draws here, and hands the rest to worker processes only when the frames left would take long.

    `started_workers` tells afterwards how many workers were started (0: every frame was drawn here) and
    `seconds_per_frame` the estimate it decided from."""

    def __init__(self, workers: int | None = None, pay_after: float = WORKERS_PAY_AFTER) -> None:
        self.workers = max(1, workers or available_cores())
        self.pay_after = pay_after
        self.started_workers = 0
        self.seconds_per_frame: float | None = None

    def frames(self, recipe: GraphRecipe, frames: list[Frame]) -> Iterator[np.ndarray]:
        with recipe.styled():
            graph = recipe.build()
            if len(frames) == 1:  # a poster, --frame: one full draw (a background would only add a draw)
                yield frame_pixels(graph, frames[0])
                return
            engine = FrameEngine(graph)
            times: list[float] = []
            pixels = None
            for done, frame in enumerate(frames):
                if len(times) == PROBE_FRAMES and self._workers_pay(times, len(frames) - done):
                    assert pixels is not None
                    yield from self._forked(engine, frames[done:], pixels.shape)
                    return
                started = time.perf_counter()
                pixels = engine.pixels(frame)
                if done:  # the first frame also drew the background
                    times.append(time.perf_counter() - started)
                yield pixels

    def _workers_pay(self, times: list[float], left: int) -> bool:
        self.seconds_per_frame = sorted(times)[len(times) // 2]
        return (
            self.workers > 1 and can_fork() and left > self.workers and self.seconds_per_frame * left > self.pay_after
        )

    def _forked(self, engine: FrameEngine, frames: list[Frame], shape: tuple[int, ...]) -> Iterator[np.ndarray]:
        """The frames drawn by forked workers that inherit `engine` (built, background drawn) from this process,
        each into a slot of shared memory, copied out here."""
        self.started_workers = self.workers
        window = self.workers * IN_FLIGHT_PER_WORKER
        # what the workers inherit when they are forked, at the first frames submitted
        _Worker.engine, _Worker.shared = engine, SharedFrames(shape, window)
        try:
            pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=detach,
                initargs=(os.getpid(),),
            )
            yield from _pooled(pool, frames, self.workers, _Worker.shared)
        finally:
            _Worker.shared.close()
            _Worker.engine, _Worker.shared = None, None


def _in_order(
    pool: ProcessPoolExecutor, frames: Iterable[Frame], window: int, shared: SharedFrames | None = None
) -> Iterator[np.ndarray]:
    """Results of `render_frame` over `frames`, in order, with at most `window` frames in flight; with `shared`
    (at least `window` slots), frame n is drawn into slot n and copied out before the slot is given again."""
    pending: deque[Future[np.ndarray | None]] = deque()
    numbered = enumerate(frames)

    def submit(number: int, frame: Frame) -> None:
        if shared is None:
            pending.append(pool.submit(render_frame, frame))
        else:
            pending.append(pool.submit(render_frame_into, frame, number))

    with deferred():  # Ctrl-C or SIGTERM is raised between these calls, never inside the pool's own code
        for number, frame in numbered:
            submit(number, frame)
            if len(pending) >= window:
                break
    done = 0
    while pending:
        with deferred():
            rgb = pending.popleft().result()
            if rgb is None:
                assert shared is not None
                rgb = shared.slot(done).copy()  # before the slot is given to the frame `window` places on
            done += 1
            following = next(numbered, None)
            if following is not None:
                submit(*following)
        yield rgb


def default_executor(workers: int | None, frame_count: int) -> Executor:
    """What `render` uses: without a number of workers, this process and workers only when they pay
    (`AdaptiveExecutor`); with one, that many worker processes (1: this process)."""
    if workers is None:
        return AdaptiveExecutor(min(available_cores(), frame_count))
    workers = min(workers, frame_count)
    return ProcessExecutor(workers) if workers > 1 else SerialExecutor()
