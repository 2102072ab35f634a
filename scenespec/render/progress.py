"""Progress on a terminal: a line for each phase before the frames (training, simulating, loading a source),
then a bar of frames done and time left. Silent when not attached to one."""

from __future__ import annotations

import itertools
import sys
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from types import TracebackType
from typing import TextIO

from scenespec.steps_done import listening

ESTIMATE_AFTER_FRAMES = 3
ESTIMATE_AFTER_SECONDS = 1.0
"""The time left is shown once this many frames, and seconds, have passed since the first frame."""

LINE_WIDTH = 72


def _clear(stream: TextIO) -> None:
    stream.write("\r" + " " * LINE_WIDTH + "\r")
    stream.flush()


class Progress:
    """Frames done and the time left.

    The time left is extrapolated from the frames drawn *after* the first: the first one also pays for starting
    the workers and building the figure in each, which in a 5 s render can be most of it, and extrapolated over
    every frame it announced minutes. Averaging over all frames since the first keeps the estimate steady while
    frames arrive in bursts from several workers.
    """

    def __init__(
        self,
        total: int,
        label: str = "rendering",
        stream: TextIO | None = None,
        enabled: bool | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total = total
        self.label = label
        self.done = 0
        self.clock = clock
        self.started = clock()
        self._first: float | None = None
        self._last_draw = -1.0

    def advance(self) -> None:
        self.done += 1
        now = self.clock()
        if self._first is None:
            self._first = now
        if self.enabled and (now - self._last_draw > 0.1 or self.done == self.total):
            self._last_draw = now
            self.stream.write(self.line(now))
            self.stream.flush()

    def seconds_left(self, now: float) -> float | None:
        """The estimate, or None while too few frames or seconds have passed since the first frame."""
        if self._first is None:
            return None
        since, frames = now - self._first, self.done - 1
        if frames < ESTIMATE_AFTER_FRAMES or since < ESTIMATE_AFTER_SECONDS:
            return None
        return since / frames * (self.total - self.done)

    def line(self, now: float) -> str:
        width = 24
        filled = int(width * self.done / self.total)
        bar = "#" * filled + "-" * (width - filled)
        left = self.seconds_left(now)
        estimate = "" if left is None else f", {left:4.1f} s left"
        return f"\r{self.label} [{bar}] {self.done}/{self.total} frames{estimate} "

    def finish(self) -> None:
        if self.enabled:
            _clear(self.stream)

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started


class Phase:
    """A line saying what runs before the frames ("training fit"), with a spinner, the steps done where the
    source reports them (`steps_done.report`: the trainers' epochs, the simulator's steps) and the seconds so far.

    A thread redraws the line until the phase ends, so it moves even while a step is slow. It appears only on
    a terminal and after `delay` seconds, so a trace read from the cache or a quick simulation shows nothing.
    """

    SPINNER = "|/-\\"

    def __init__(self, label: str, stream: TextIO | None = None, enabled: bool | None = None, delay: float = 0.5):
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.delay = delay
        self.drawn = False
        self.steps: tuple[int, int] | None = None
        """(done, total) as last reported by the source."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listening = ExitStack()

    def _step(self, done: int, total: int) -> None:
        self.steps = (done, total)

    def __enter__(self) -> Phase:
        if self.enabled:
            self._listening.enter_context(listening(self._step))
            self._thread = threading.Thread(target=self._spin, name="scenespec-phase", daemon=True)
            self._thread.start()
        return self

    def line(self, mark: str, seconds: float) -> str:
        steps = "" if self.steps is None else f"{self.steps[0]}/{self.steps[1]} "
        return f"\r{self.label} {mark} {steps}{seconds:.1f} s "

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._stop.set()
        self._listening.close()
        if self._thread is not None:
            self._thread.join()
        if self.drawn:
            _clear(self.stream)

    def _spin(self) -> None:
        started = time.perf_counter()
        for mark in itertools.cycle(self.SPINNER):
            if self._stop.wait(0.1 if self.drawn else self.delay):
                return
            self.stream.write(self.line(mark, time.perf_counter() - started))
            self.stream.flush()
            self.drawn = True
