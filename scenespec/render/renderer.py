"""Render stage: show each frame, draw, and hand the pixels to the sink in order.

`drawn_frames` draws with a `FrameEngine` (static parts once, moving artists per frame);
`frame_pixels` is the plain full redraw it must match, kept as the reference.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import numpy as np

from scenespec.compile.graph import ArtistGraph
from scenespec.frame import Frame
from scenespec.interrupt import raise_if_interrupted
from scenespec.render.engine import FrameEngine, agg_canvas, rgb
from scenespec.render.progress import Progress
from scenespec.render.sinks.base import Sink


def frame_pixels(graph: ArtistGraph, frame: Frame) -> np.ndarray:
    """The figure showing `frame`, as an RGB uint8 array (height, width, 3), drawn in full.

    Call inside `graph.styled()`. `FrameEngine.pixels` gives the same picture faster.
    """
    graph.show(frame)
    canvas = agg_canvas(graph.figure)
    canvas.draw()
    return rgb(canvas)


def write_frames(
    frames: list[Frame], images: Iterable[np.ndarray], sink: Sink, progress: Progress | None = None
) -> tuple[int, int]:
    """Hand each frame's pixels to `sink` in order; on any failure (or Ctrl-C, or SIGTERM) the sink discards its
    partial output. Returns the frame size (width, height).

    `images` is closed when this returns or fails: a generator that draws inside a style (an executor's `frames`)
    then leaves it at once, instead of whenever the exception that stopped it is let go, which may be never in a
    process that keeps it (a notebook, a test): its rcParams, warning filters and glyph-message filter would
    outlive the render."""
    size = (0, 0)
    try:
        with sink, closing_iterator(images):
            for frame, rgb in zip(frames, images, strict=True):
                raise_if_interrupted()  # a signal whose exception Python dropped while a worker was forked
                size = (rgb.shape[1], rgb.shape[0])
                sink.write(frame, rgb)
                if progress:
                    progress.advance()
            raise_if_interrupted()  # before the sink commits the output
    finally:
        if progress:
            progress.finish()
    return size


@contextmanager
def closing_iterator(images: Iterable[np.ndarray]) -> Iterator[None]:
    """Close `images` on the way out if it is a generator (or anything with `close`)."""
    try:
        yield
    finally:
        close = getattr(images, "close", None)
        if callable(close):
            close()


def drawn_frames(graph: ArtistGraph, frames: list[Frame]) -> Iterator[np.ndarray]:
    """Each frame's pixels, in order, drawn by a frame engine (call inside `graph.styled()`).

    One frame (a poster, --frame) is one full draw: a background would only add a draw."""
    if len(frames) == 1:
        yield frame_pixels(graph, frames[0])
        return
    engine = FrameEngine(graph)
    for frame in frames:
        yield engine.pixels(frame)


def render_frames(graph: ArtistGraph, frames: list[Frame], sink: Sink, progress: Progress | None = None) -> None:
    """Stream every frame of a built graph to `sink`; on any failure (or Ctrl-C) the sink discards its output."""
    with graph.styled():
        write_frames(frames, drawn_frames(graph, frames), sink, progress)
