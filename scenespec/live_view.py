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
        from IPython.display import Image as PngImage
        from IPython.display import display

        buffer = io.BytesIO()
        Image.fromarray(rgb).save(buffer, format="png")
        image = PngImage(data=buffer.getvalue(), format="png")
        if self._handle is None:
            self._handle = display(image, display_id=True)
        else:
            self._handle.update(image)


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


def frame_view() -> NotebookView | WindowView:
    """Where live frames are shown here: the notebook's output when in one, else a window."""
    return NotebookView() if in_notebook() else WindowView()
