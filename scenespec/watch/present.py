"""Where `scenespec watch` shows the newest step: one window, a PNG rewritten in place, or a whole animation
rewritten in place. Files are replaced atomically, so a viewer (or Ctrl-C) never sees half a file."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from scenespec.frame import Frame
from scenespec.frame_views import WindowView
from scenespec.render.atomic import commit_file, temp_file_for
from scenespec.watch.session import Watch

WINDOW_TICK_S = 0.05
"""How often an idle window handles its events (moving, resizing, closing) between changes: not a redraw."""


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def _steps(watch: Watch) -> str:
    return _count(len(watch.stream) if watch.stream is not None else 0, "step") + " read"


def _draw_newest(watch: Watch) -> tuple[Frame, np.ndarray] | None:
    """The newest step's frame and pixels (None before any step is chosen as a frame)."""
    assert watch.live is not None
    frame = watch.live.draw_newest()
    if frame is None or watch.live.last_rgb is None:
        return None
    return frame, watch.live.last_rgb


class WindowPresenter:
    """The newest frame in one window; closing the window ends the watch."""

    tick: float | None = WINDOW_TICK_S

    def __init__(self) -> None:
        self.view = WindowView()  # fails at once without a display
        self.opened = False

    def present(self, watch: Watch) -> str | None:
        drawn = _draw_newest(watch)
        if drawn is None:
            return None
        frame, rgb = drawn
        self.view(frame, rgb)
        self.opened = True
        return f"step {frame.step} on screen ({_steps(watch)})"

    def idle(self) -> bool:
        if not self.opened:
            return True
        self.view.idle()
        return self.view.is_open()


class StillPresenter:
    """The newest frame as a PNG file, replaced at every change."""

    tick: float | None = None

    def __init__(self, path: Path) -> None:
        self.path = path

    def present(self, watch: Watch) -> str | None:
        drawn = _draw_newest(watch)
        if drawn is None:
            return None
        frame, rgb = drawn
        buffer = io.BytesIO()
        Image.fromarray(rgb).save(buffer, format="png")
        temp = temp_file_for(self.path)
        try:
            temp.write_bytes(buffer.getvalue())
            commit_file(temp, self.path)
        finally:
            temp.unlink(missing_ok=True)
        return f"step {frame.step} in {self.path} ({_steps(watch)})"

    def idle(self) -> bool:
        return True


class AnimationPresenter:
    """The whole animation of the steps so far (a GIF, a video, frames), written again at every change."""

    tick: float | None = None

    def __init__(self, path: Path, format: str | None) -> None:
        self.path = path
        self.format = format

    def present(self, watch: Watch) -> str | None:
        assert watch.stream is not None and watch.timeline is not None
        trace = watch.stream.snapshot()
        animation = watch.spec.render(self.path, self.format, traces={watch.timeline: trace})
        assert animation.result is not None
        frames = _count(animation.result.frames, "frame")
        return f"step {int(trace.steps[-1])} in {self.path}: {frames} ({_steps(watch)})"

    def idle(self) -> bool:
        return True
