"""Render stage: show each frame's step, draw, and hand the pixels to the sink in order."""

from __future__ import annotations

import numpy as np

from scenespec.compile.graph import ArtistGraph
from scenespec.render.progress import Progress
from scenespec.render.sinks.base import Sink
from scenespec.schedule.frames import Frame


def frame_pixels(graph: ArtistGraph, frame: Frame) -> np.ndarray:
    """The figure showing `frame`, as an RGB uint8 array (height, width, 3). Call inside `graph.styled()`."""
    graph.show(frame)
    canvas = graph.figure.canvas
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[:, :, :3].copy()


def render_frames(graph: ArtistGraph, frames: list[Frame], sink: Sink, progress: Progress | None = None) -> None:
    """Stream every frame to `sink`; on any failure (or Ctrl-C) the sink discards its partial output."""
    sink.open()
    try:
        with graph.styled():
            for frame in frames:
                sink.write(frame, frame_pixels(graph, frame))
                if progress:
                    progress.advance()
        sink.close()
    except BaseException:
        sink.abort()
        raise
    finally:
        if progress:
            progress.finish()
