"""PNG outputs: one frame (a poster), or every frame into a folder."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from scenespec.render.sinks.base import DirSink, FileSink, SinkKind, register_sink

if TYPE_CHECKING:
    from scenespec.frame import Frame

FRAME_NAME = re.compile(r"frame_\d{5,}\.png")


def png_bytes(rgb: np.ndarray) -> bytes:
    """One RGB frame as a PNG file's bytes."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8), "RGB").save(buffer, format="PNG")
    return buffer.getvalue()


class PngSink(FileSink):
    """One PNG of the last frame it is given: the render passes just that frame, a tee (`TeeSink`) every frame.

    So in a tee beside a GIF or a video it writes the animation's poster. Only the latest frame is kept (a copy),
    and it is encoded once, when the sink closes.
    """

    _last: np.ndarray | None = None

    def open(self) -> None:
        super().open()
        self._last = None

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        self._last = np.array(rgb, dtype=np.uint8, copy=True)
        self.frames_written += 1

    def finish(self) -> None:
        if self._last is None:
            raise ValueError("a PNG needs a frame")
        with self.output() as handle:
            handle.write(png_bytes(self._last))
        self._last = None

    def abort(self) -> None:
        self._last = None
        super().abort()


class PngSequenceSink(DirSink):
    """`frame_00000.png`, `frame_00001.png`, … in a folder (in memory: a zip of those files, in frame order)."""

    replaceable = "a new or empty folder, or one holding only frame_*.png"

    @classmethod
    def may_replace(cls, folder: Path) -> bool:
        """An empty folder, or one holding only frames of an earlier png-sequence render."""
        return all(child.is_file() and FRAME_NAME.fullmatch(child.name) for child in folder.iterdir())

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        self.add(f"frame_{frame.index:05d}.png", png_bytes(rgb))
        self.frames_written += 1


register_sink(
    SinkKind(
        "png",
        "file",
        "One PNG: the last frame (a poster), or the frame `--frame N` picks.",
        PngSink,
        (".png",),
    )
)
register_sink(
    SinkKind(
        "png-sequence",
        "folder",
        "`frame_00000.png`, `frame_00001.png`, … in a folder.",
        PngSequenceSink,
        suffix="_frames",
    )
)
