"""A GIF size budget (`render --max-size 5MB`): the animation made to fit, as people do by hand for READMEs.

Settings are given up in a fixed order, each only when the previous one is exhausted:

1. fewer colours: the palette goes 255 → 127 → 63 → 31 (one index stays free for "unchanged" pixels, so each
   palette fills a power-of-two colour table and LZW codes one bit shorter);
2. a lower scale: the dpi times 0.9 … 0.25, the largest that fits found by binary search (with the fewest colours;
   then the most colours that still fit at that scale are kept);
3. a lower fps: every 2nd, 3rd or 4th frame, keeping the first and the last, each kept frame shown as long as the
   frames it stands for (the animation lasts as long; it plays less smoothly).

Each try is drawn and encoded and its bytes counted, so the result is never over the budget. The frames are drawn
once per scale and encoded once per palette. If even 31 colours at 0.25 scale and a quarter of the frames are too
big, nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from scenespec.errors import RenderError
from scenespec.render.sinks.gif import PALETTE_COLOURS, GifSink
from scenespec.sizes import show_size

if TYPE_CHECKING:
    from scenespec.frame import Frame

Drawer = Callable[[float, "list[Frame]", GifSink], tuple[int, int]]
"""Draws frames at a scale of the scene's dpi into a sink, returning the frame size (the pipeline's render, with
its executor): the budget chooses settings, the pipeline draws."""

COLOURS = (PALETTE_COLOURS, 127, 63, 31)
SCALES = (1.0, 0.9, 0.75, 0.6, 0.5, 0.4, 0.3, 0.25)
EVERY = (1, 2, 3, 4)


@dataclass(frozen=True)
class Fit:
    """What a size budget chose, and the GIF it made."""

    budget: int
    colours: int
    scale: float
    every: int
    fps: float
    data: bytes
    pixels: tuple[int, int]
    frames: int

    def describe(self) -> str:
        """`fit 5 MB: 127 colours, 0.75 scale` (settings left as written are not named)."""
        chosen = [f"{self.colours} colours"] if self.colours != PALETTE_COLOURS else []
        chosen += [f"{self.scale:g} scale"] if self.scale != 1 else []
        chosen += [f"{self.fps:.3g} fps (every {self.every} frames)"] if self.every != 1 else []
        return f"fit {show_size(self.budget)}: " + (", ".join(chosen) or "as written")


def thinned(frames: list[Frame], every: int) -> list[Frame]:
    """Every `every`-th frame and the last, each lasting until the next kept one (the total time is kept)."""
    keep = sorted(set(range(0, len(frames), every)) | {len(frames) - 1})
    ends = [*keep[1:], len(frames)]
    count = len(keep)
    return [
        replace(
            frames[start],
            index=i,
            duration_ms=sum(f.duration_ms for f in frames[start:end]),
            count=count,
        )
        for i, (start, end) in enumerate(zip(keep, ends, strict=True))
    ]


class _Trials:
    """Draws the frames at a scale and frame step once, and encodes them with any palette."""

    def __init__(self, frames: list[Frame], loop: bool, dither: bool, draw: Drawer) -> None:
        self.frames, self.loop, self.dither, self.draw = frames, loop, dither, draw
        self._drawn: dict[tuple[float, int], tuple[_Recorder, tuple[int, int], int]] = {}

    def size(self, scale: float, every: int, colours: int) -> tuple[bytes, tuple[int, int], int]:
        """The GIF at these settings, its frame size and its frame count."""
        key = (scale, every)
        if key not in self._drawn:
            self._drawn.clear()  # keep one drawn set at a time: they hold every frame's changes
            frames = thinned(self.frames, every)
            recorder = _Recorder(None, loop=self.loop, dither=self.dither)
            pixels = self.draw(scale, frames, recorder)
            self._drawn[key] = (recorder, pixels, len(frames))
        recorder, pixels, count = self._drawn[key]
        return recorder.encoded(colours), pixels, count


class _Recorder(GifSink):
    """A GIF sink that keeps its frames when closed, to be encoded with `encoded(colours)`."""

    def finish(self) -> None:
        if self._canvas is None:
            raise ValueError("a GIF needs at least one frame")

    def commit(self) -> None:
        self._buffer = None


def fit_gif(frames: list[Frame], budget: int, *, fps: float, loop: bool, dither: bool, draw: Drawer) -> Fit:
    """The best GIF of `frames` within `budget` bytes (see the module's order), or a RenderError saying the
    smallest one tried and its size."""
    trials = _Trials(frames, loop, dither, draw)

    def fits(scale: float, every: int, colours: int) -> Fit | None:
        data, pixels, count = trials.size(scale, every, colours)
        if len(data) > budget:
            return None
        return Fit(budget, colours, scale, every, fps / every, data, pixels, count)

    def best_colours(scale: float, every: int) -> Fit | None:
        for colours in COLOURS:  # the most colours that fit (sizes fall with the palette)
            if (fit := fits(scale, every, colours)) is not None:
                return fit
        return None

    if (fit := best_colours(1.0, 1)) is not None:
        return fit
    smallest = COLOURS[-1]
    fewest = max(e for e in EVERY if e == 1 or e < len(frames))
    least, _, _ = trials.size(SCALES[-1], fewest, smallest)  # one cheap draw tells whether anything can fit
    if len(least) > budget:
        raise RenderError(
            f"--max-size {show_size(budget)}: the smallest GIF tried ({smallest} colours, {SCALES[-1]:g} scale, "
            f"{fps / fewest:.3g} fps) is {show_size(len(least))}; nothing was written"
        )
    low, high = 1, len(SCALES) - 1  # SCALES[high] is the next to try; SCALES[0] is known too big
    found: int | None = None
    while low <= high:  # the largest scale that fits: sizes fall with the scale
        middle = (low + high) // 2
        if fits(SCALES[middle], 1, smallest) is not None:
            found, high = middle, middle - 1
        else:
            low = middle + 1
    if found is not None:
        fit = best_colours(SCALES[found], 1)
        assert fit is not None
        return fit
    for every in EVERY[1:]:
        if every <= fewest and (fit := best_colours(SCALES[-1], every)) is not None:
            return fit
    raise AssertionError("the smallest GIF fits, so some setting does")
