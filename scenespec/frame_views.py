"""Show the frames of a live render as they are drawn: one notebook output updated in place, or one window.

Article 002's complaint about redrawing from a callback is a notebook filling with a new figure per batch.
Here a notebook gets a single display (`display_id`) whose image is replaced at every frame; outside a
notebook a single window shows each frame as an image, which is cheaper than redrawing the scene's axes.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image

from scenespec.frame import Frame


def in_notebook() -> bool:
    """True inside a Jupyter kernel (an IPython shell that sends rich output to a front end)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class NotebookView:
    """One PNG output in the running cell, replaced by each new frame (`update_display`)."""

    def __init__(self) -> None:
        self._handle: Any = None

    def __call__(self, frame: Frame, rgb: np.ndarray) -> None:
        buffer = io.BytesIO()
        Image.fromarray(rgb).save(buffer, format="png")
        self.show_png(frame.step, buffer.getvalue())

    def show_png(self, step: int, png: bytes) -> None:
        """Show a frame already encoded (by a drawing process)."""
        from IPython.display import Image as PngImage

        self.show(PngImage(data=png, format="png"))

    def show(self, item: Any) -> None:
        """Put `item` (an image, an Animation: anything IPython displays) in this view's one output."""
        from IPython.display import display

        if self._handle is None:
            self._handle = display(item, display_id=True)
        else:
            self._handle.update(item)


class WindowView:
    """One matplotlib window showing each frame as an image; fails at once when no window can be opened."""

    def __init__(self) -> None:
        from scenespec.render.sinks.screen import require_display

        require_display()
        self._image: Any = None

    def __call__(self, frame: Frame, rgb: np.ndarray) -> None:
        import matplotlib.pyplot as plt

        if self._image is None:
            from scenespec.render.sinks.screen import window_figure

            height, width = rgb.shape[:2]
            with plt.rc_context({"toolbar": "None"}):  # the frame is an image: no zoom/pan, and pixels stay 1:1
                figure = window_figure((width / 100, height / 100), 100)
            axes = figure.add_axes((0, 0, 1, 1))
            axes.set_axis_off()
            self._image = axes.imshow(rgb)
            plt.show(block=False)
        else:
            self._image.set_data(rgb)
        self._image.figure.canvas.draw_idle()
        self._image.figure.canvas.flush_events()

    def idle(self) -> None:
        """Handle window events (a move, a resize) while no new frame comes."""
        if self._image is not None:
            self._image.figure.canvas.flush_events()

    def is_open(self) -> bool:
        """False once the user has closed the window."""
        import matplotlib.pyplot as plt

        return self._image is None or plt.fignum_exists(self._image.figure.number)
