"""PNG outputs: one frame as a poster, or every frame into a folder."""

from __future__ import annotations

import numpy as np
from PIL import Image

from scenespec.render.sinks.base import DirSink, FileSink
from scenespec.schedule.frames import Frame


class PngSink(FileSink):
    """One PNG of one frame (the renderer passes only the chosen frame)."""

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        Image.fromarray(rgb, "RGB").save(self.temp, format="PNG")
        self.frames_written += 1


class PngSequenceSink(DirSink):
    """`frame_00000.png`, `frame_00001.png`, … in a folder."""

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        Image.fromarray(rgb, "RGB").save(self.temp / f"frame_{frame.index:05d}.png", format="PNG")
        self.frames_written += 1
