"""The live view a recording drives: the newest step, drawn by a drawing process, shown where the code runs.

The Keras callback and `Recorder.show` share it. Drawing happens in `drawer`'s process, so training never waits
for a frame; a notebook's frames come back as PNG bytes and are put in its one display here, between steps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from scenespec.drawer import DrawingProcess, Shown, ViewKind
from scenespec.frame_views import NotebookView, in_notebook

if TYPE_CHECKING:
    from scenespec.api import Animation, Spec


class LiveViewer:
    """The live view a recording drives (the Keras callback, `Recorder.show`): the newest recorded step, drawn by a
    drawing process (`drawer`) so that training never waits for a frame, shown in one notebook output or one
    window (`view`: "notebook", "window", or "none" to draw without showing; by default where the code runs).

    A window that cannot open fails when the viewer is made, before training starts.
    """

    def __init__(self, view: ViewKind | None = None) -> None:
        self.kind: ViewKind = view or ("notebook" if in_notebook() else "window")
        if self.kind == "window":
            from scenespec.render.sinks.screen import require_display

            require_display()
        self.notebook = NotebookView() if self.kind == "notebook" else None
        self.process: DrawingProcess | None = None

    def start(self, spec: Spec, source: str, static: dict[str, np.ndarray], stepped: list[str]) -> None:
        """Start the drawing process for `spec`, whose source `source` the recorded steps feed."""
        on_png = self.notebook.show_png if self.notebook is not None else None
        self.process = DrawingProcess(spec.loaded, source, static, list(stepped), self.kind, on_png=on_png)

    def append(self, step: int, row: dict[str, Any]) -> None:
        """A recorded step: sent to be drawn, never waited for."""
        assert self.process is not None, "start the viewer first"
        self.process.append(step, row)

    def poll(self) -> None:
        """Between steps: show the newest frame drawn (a notebook), and raise if drawing failed."""
        if self.process is not None:
            self.process.poll()

    def finish(self) -> Shown:
        """The run ended: wait until its last step is shown (a window stays open until this process ends)."""
        assert self.process is not None, "start the viewer first"
        return self.process.close()

    def show_animation(self, animation: Animation) -> None:
        """In a notebook, replace the live frame by the finished animation (the output then holds the whole run)."""
        if self.notebook is not None:
            self.notebook.show(animation)
