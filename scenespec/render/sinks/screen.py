"""Screen output: a matplotlib window that plays the animation.

File outputs never touch pyplot; only this output picks an interactive backend, and
says clearly when there is no display to open a window on. It is registered as the format
`screen` but has no `Sink`: it animates the live figure instead of receiving frames.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from matplotlib.animation import FuncAnimation
from matplotlib.artist import Artist
from matplotlib.figure import Figure

from scenespec.compile.graph import ArtistGraph
from scenespec.errors import RenderError
from scenespec.frame import Frame
from scenespec.render.sinks.base import SinkKind, register_sink

INTERACTIVE_BACKENDS = ("QtAgg", "TkAgg", "GTK4Agg", "GTK3Agg", "MacOSX", "WXAgg")
NO_DISPLAY = "no display to open a window on{why}; render to a file instead, e.g. `-o out.gif`"


def has_display() -> bool:
    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def require_display() -> None:
    """Fail before any work is done when no window can be opened."""
    if not has_display():
        raise RenderError(NO_DISPLAY.format(why=" (neither DISPLAY nor WAYLAND_DISPLAY is set)"))


def window_figure(size: tuple[float, float], dpi: int) -> Figure:
    """A pyplot figure on the first interactive backend that works here."""
    require_display()
    import matplotlib.pyplot as plt

    for backend in INTERACTIVE_BACKENDS:
        try:
            plt.switch_backend(backend)
        except (ImportError, RuntimeError):
            continue
        return plt.figure(figsize=size, dpi=dpi)
    raise RenderError(
        NO_DISPLAY.format(why=f" (no interactive matplotlib backend works: tried {', '.join(INTERACTIVE_BACKENDS)})")
    )


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


def play(graph: ArtistGraph, frames: list[Frame], loop: bool, block: bool = True) -> Any:
    """Play the frames in the figure's window; returns the animation (keep it alive while it runs)."""
    import matplotlib.pyplot as plt

    animation = TimedAnimation(graph, frames, loop)
    plt.show(block=block)
    return animation


register_sink(SinkKind("screen", "screen", "Plays the animation in a matplotlib window (needs a display)."))
