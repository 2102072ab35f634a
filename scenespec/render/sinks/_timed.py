"""The window's animation (`screen` output), apart from the sink's registration so that reading the registry
imports no matplotlib."""

from __future__ import annotations

from matplotlib.animation import FuncAnimation
from matplotlib.artist import Artist

from scenespec.compile.graph import ArtistGraph
from scenespec.frame import Frame


class TimedAnimation(FuncAnimation):
    """Plays frames each for its own duration (a start pause, slow motion, the end pause), where FuncAnimation
    waits one interval after every frame: after drawing a frame, matplotlib waits `_interval`, so each frame's
    drawing sets it to that frame's duration."""

    def __init__(self, graph: ArtistGraph, frames: list[Frame], loop: bool) -> None:
        self.graph, self.shown_frames = graph, frames
        self.moving = [a for node in graph.dynamic_layers for a in node.painter.artists]
        # the first frame is drawn when the window is, then again at once (1 ms) by the timer, and lasts its
        # duration; on a loop, the last frame's duration (its end pause included) passes before the first returns
        super().__init__(graph.figure, self.show, frames=len(frames), interval=1, repeat=loop, repeat_delay=0)

    def show(self, index: int) -> list[Artist]:
        frame = self.shown_frames[index]
        self.graph.show(frame)
        self._interval = frame.duration_ms
        return self.moving
