"""Live rendering: frames drawn while a `StreamingTrace` grows (a training loop appending steps).

The schedule runs incrementally (`schedule.incremental.FrameStream`); the graph is compiled at the first
frame, with `final` limits treated as `grow` (later data is not known yet); for each later frame the
painters are handed the grown trace (`Painter.refresh`) and the frame engine draws it, rebuilding its
background when limits widen. Frames go to a sink as they are drawn and to an optional callback; closing
the trace (or the LiveRender) writes the last frame and commits the output atomically.

With `newest=True` nothing is drawn when steps arrive: `draw_newest()` draws the newest step's frame, whenever the
caller has time (a drawing process or a watch loop that fell behind skips the frames in between).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from scenespec.compile.compiler import compile_scene, layer_fields
from scenespec.compile.graph import ArtistGraph
from scenespec.compile.style import style_context, styling_of, warn_fonts
from scenespec.errors import SpecError
from scenespec.frame import Frame
from scenespec.render.engine import FrameEngine
from scenespec.render.sinks.base import Sink
from scenespec.resolve.stream import StreamingTrace
from scenespec.resolve.trace import Trace
from scenespec.schedule.incremental import FrameStream
from scenespec.transform.apply import DerivedTrace, apply_transforms

if TYPE_CHECKING:
    from scenespec.load import LoadedSpec
    from scenespec.validate.scene import Scene

FrameCallback = Callable[[Frame, np.ndarray], None]


class LiveRender:
    """Draws the frames of `scene` as the timeline's streaming trace grows; see `Spec.live`."""

    def __init__(
        self,
        loaded: LoadedSpec,
        scene: Scene,
        timeline: str,
        streams: dict[str, StreamingTrace],
        traces: dict[str, Trace],
        sink: Sink | None = None,
        on_frame: FrameCallback | None = None,
        *,
        newest: bool = False,
    ) -> None:
        if newest and sink is not None:
            raise ValueError("a live render that draws only the newest frame writes no file (it skips frames)")
        self.scene = scene
        self.streams = streams
        self.traces = traces
        self.sink = sink
        self.on_frame = on_frame
        self.frames: list[Frame] = []
        self.graph: ArtistGraph | None = None
        self.engine: FrameEngine | None = None
        self.locate = loaded.problem
        self.schedule = FrameStream(scene.frames, loaded.problem)
        self.finished = False
        self.newest = newest
        self.shown: Frame | None = None
        """The frame drawn last, and its pixels."""
        self.last_rgb: np.ndarray | None = None
        self._lock = threading.Lock()  # steps may arrive on another thread than the one drawing
        self._pending = False
        if sink is not None:
            sink.open()
        self._unsubscribe = streams[timeline].subscribe(self._on_change)
        before = streams[timeline].snapshot().steps.tolist()  # steps recorded before we subscribed
        self._on_change(streams[timeline], [int(step) for step in before], False)
        if streams[timeline].closed:
            self.close()

    def _on_change(self, trace: StreamingTrace, steps: list[int], closed: bool) -> None:
        if self.newest:  # only note the steps: the owner draws the newest frame when it has time
            with self._lock:
                for step in steps:
                    self.frames.extend(self.schedule.feed(step))
                self._pending = self._pending or bool(steps)
            return
        for step in steps:
            self._draw_all(self.schedule.feed(step))
        if closed:
            self.close()

    def _draw_all(self, frames: list[Frame]) -> None:
        try:
            for frame in frames:
                self._draw(frame)
        except BaseException:
            self.abort()
            raise

    def _snapshot(self) -> dict[str, Trace | DerivedTrace]:
        traces = self.traces | {name: stream.snapshot() for name, stream in self.streams.items()}
        return apply_transforms(self.scene, traces, self.locate)

    @property
    def behind(self) -> bool:
        """Steps have arrived since the last `draw_newest`."""
        return self._pending

    def draw_newest(self) -> Frame | None:
        """Draw the frame of the newest chosen step (the frames in between are skipped); None if none is chosen yet."""
        with self._lock:
            self._pending = False
            frame = self.schedule.peek()
            frames = list(self.frames) if frame is None else [*self.frames, frame]
        if frame is None:
            frame = frames[-1] if frames else None
        if frame is None:
            return None
        self._draw(frame, frames)
        return frame

    def _draw(self, frame: Frame, frames: list[Frame] | None = None) -> None:
        traces = self._snapshot()
        if frames is None:
            self.frames.append(frame)
            frames = self.frames
        if self.graph is None:
            warn_fonts(self.scene, traces, self.locate)
        with style_context(styling_of(self.scene, traces)):
            if self.graph is None:
                self.graph = compile_scene(self.scene, traces, [frame], locate=self.locate, live=True)
                self.engine = FrameEngine(self.graph)
            else:
                for node in self.graph.layers:
                    painter = node.painter
                    painter.refresh(layer_fields(painter.spec, traces), frames)
            assert self.engine is not None
            rgb = self.engine.pixels(frame)
        self.shown, self.last_rgb = frame, rgb
        if self.sink is not None:
            self.sink.write(frame, rgb)
        if self.on_frame is not None:
            self.on_frame(frame, rgb)

    def close(self) -> None:
        """The run is over: draw the last frame (with its end pause) and commit the output."""
        if self.finished:
            return
        self.finished = True
        self._unsubscribe()
        try:
            if self.schedule.emitted or self.schedule.held is not None:
                with self._lock:
                    last = self.schedule.finish()
                    self._pending = False
                if self.newest:
                    self.frames.extend(last[:-1])
                for frame in last[-1:] if self.newest else last:
                    self._draw(frame)
            elif self.sink is not None:
                raise SpecError([self.schedule.locate("no step was recorded: nothing to draw", ("frames",))])
            if self.sink is not None:
                self.sink.close()
        except BaseException:
            if self.sink is not None:
                self.sink.abort()
            raise

    def abort(self) -> None:
        """Stop without writing: an earlier output stays as it was."""
        if not self.finished:
            self.finished = True
            self._unsubscribe()
            if self.sink is not None:
                self.sink.abort()
