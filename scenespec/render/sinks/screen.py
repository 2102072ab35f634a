"""Screen output: a matplotlib window that plays the animation.

File outputs never touch pyplot; only this output picks an interactive backend, and
says clearly when there is no display to open a window on. It is registered as the format
`screen` but has no `Sink`: it animates the live figure instead of receiving frames.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from scenespec.errors import RenderError
from scenespec.render.sinks.base import SinkKind, register_sink

if TYPE_CHECKING:  # matplotlib only when a window is opened: the sink registry is read when a spec is checked
    from matplotlib.figure import Figure

    from scenespec.compile.graph import ArtistGraph
    from scenespec.frame import Frame

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


def play(graph: ArtistGraph, frames: list[Frame], loop: bool, block: bool = True) -> Any:
    """Play the frames in the figure's window; returns the animation (keep it alive while it runs)."""
    import matplotlib.pyplot as plt

    from scenespec.render.sinks._timed import TimedAnimation

    animation = TimedAnimation(graph, frames, loop)
    plt.show(block=block)
    return animation


def __getattr__(name: str) -> Any:
    if name == "TimedAnimation":
        from scenespec.render.sinks._timed import TimedAnimation

        return TimedAnimation
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


register_sink(SinkKind("screen", "screen", "Plays the animation in a matplotlib window (needs a display)."))
