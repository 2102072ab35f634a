"""One render, several outputs: a tee hands every frame to each of its sinks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from scenespec.render.sinks.base import Sink

if TYPE_CHECKING:
    from scenespec.frame import Frame


class TeeSink(Sink):
    """Feeds every frame to each of `sinks`, in order; all of them are written, or none.

    If opening, writing or finishing any sink fails, every sink is aborted (no partial files; earlier outputs stay
    as they were). Closing finishes every sink first (GIF encoding, ffmpeg) and only then commits them (moves
    each file into place), so a failing encoder cannot leave some outputs new and others old; only the moves
    themselves, which do not fail short of the disk going away, happen one after the other.

    A `PngSink` in a tee writes the last frame: the animation's poster.
    """

    def __init__(self, sinks: Sequence[Sink]) -> None:
        super().__init__(None)
        if not sinks:
            raise ValueError("a tee needs at least one sink")
        self.sinks = list(sinks)

    def open(self) -> None:
        try:
            for sink in self.sinks:
                sink.open()
        except BaseException:
            self.abort()
            raise

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        for sink in self.sinks:
            sink.write(frame, rgb)
        self.frames_written += 1

    def finish(self) -> None:
        for sink in self.sinks:
            sink.finish()

    def commit(self) -> None:
        for sink in self.sinks:
            sink.commit()

    def abort(self) -> None:
        """Abort every sink, even when aborting one of them fails (the first such error is raised after)."""
        failure: BaseException | None = None
        for sink in self.sinks:
            try:
                sink.abort()
            except BaseException as exc:
                failure = failure or exc
        if failure is not None:
            raise failure

    def getvalue(self) -> bytes:
        raise ValueError("a tee has no output of its own: ask each of its sinks")
