"""GIF through Pillow (no ImageMagick): one palette for the whole animation, per-frame durations, loop or play once.

How the file is made:

- `write` keeps each frame only as its change against the previous frame: the positions of the pixels that
  changed and their new colours, zlib-compressed (frame 0: the whole frame, compressed), plus one copy of the
  latest frame to diff against. Memory therefore grows by the *encoded* change of each frame, never by its raw
  size, and the caller's array is not kept. `write` also keeps an exact census of the animation's colours: for
  every colour, how many pixels it has in the current frame and the most it had in any one frame ("peak"). Only
  the pixels that changed are counted, so a frame where a line moved costs little.
- `finish` (on close) picks one palette for the whole animation, then replays the frames, maps each to the palette
  and streams it to the file (or the memory buffer) one frame at a time (Pillow's `save_all` would hold every
  frame): only the rectangle that changed against the previous frame is encoded (as Pillow's writer does too),
  and inside it the unchanged pixels become a transparent index (as Pillow does with `optimize` and a free
  index), so unchanged regions cost (almost) nothing. A frame identical to the previous one is merged into it
  (durations add up), as Pillow does. The LZW encoding is Pillow's (`GifImagePlugin.getdata`); the header is
  written here. Pillow's encoder holds the interpreter lock and takes most of `finish` (about 1 ms a frame for a
  640×480 plot), so a long animation's frames are encoded by forked processes, one per core, while this process
  maps the next ones, when a core is free (`FrameEncoder`); the bytes are the same as encoded here.

The palette (255 colours; the 256th index is the transparent "unchanged" pixel):

- at most 255 distinct colours in the whole animation (flat plots): those colours, exactly;
- more (anti-aliasing, colormaps, shading): a colour's weight is its peak, the largest number of pixels it covers
  in any one frame, not its total over all frames. With totals, the background and axes seen in every frame
  would outweigh a marker or an optimizer path that only shows up in the last frames, and those would be merged
  into a grey. The heaviest colours (peak ≥ 16 pixels, at most half of the palette: the flat colours of lines,
  markers, text and faces) are kept exactly; the other entries are added farthest-first, each time the colour
  with the largest peak × squared distance to the palette so far (so a small colour far from all others, a red
  marker among greys, gets an entry; median cut, which splits by population, merged it into a grey), then
  refined by a few weighted k-means steps with the kept colours pinned.

Pixels are mapped to the exact nearest palette colour (a lookup table over every colour the census saw); Pillow's
own palette mapping is approximate (it buckets colours) and would blur anti-aliasing shades. With `dither=True`
and more than 255 colours, frames go through Pillow's Floyd–Steinberg instead, for smooth gradients (3D surfaces).
"""

from __future__ import annotations

import io
import os
import zlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
from PIL import GifImagePlugin, Image

from scenespec.render.sinks.base import FileSink, SinkKind, SinkSettings, register_sink

if TYPE_CHECKING:
    from scenespec.frame import Frame

PALETTE_COLOURS = 255  # index 255 (or the first free one) marks "unchanged" pixels of a delta frame
SOLID_PIXELS = 16  # a colour covering this many pixels of some frame is a flat colour: kept exactly if room
ENCODE_IN_PARALLEL_FROM = 48
"""Frames from which `finish` encodes them in forked processes: starting them costs a few hundredths of a second,
encoding a plot's frame about a millisecond."""
ENCODING_IN_FLIGHT = 4  # frames queued per encoding process: bounds the memory held by frames waiting to be encoded
MAX_DELAY_MS = 65535 * 10  # the longest delay a GIF frame can hold (centiseconds in 16 bits)


def pack(rgb: np.ndarray) -> np.ndarray:
    """RGB uint8 (..., 3) to one uint32 per pixel, 0x00RRGGBB."""
    packed = rgb[..., 0].astype(np.uint32)
    packed <<= 8
    packed |= rgb[..., 1]
    packed <<= 8
    packed |= rgb[..., 2]
    return packed


def unpack(packed: np.ndarray) -> np.ndarray:
    """uint32 0x00RRGGBB to RGB uint8 (n, 3)."""
    packed = packed.astype(np.uint32)
    return np.stack([(packed >> 16) & 255, (packed >> 8) & 255, packed & 255], axis=-1).astype(np.uint8)


class ColourCensus:
    """Every colour seen, with its pixel count in the current frame and its peak count over all frames."""

    def __init__(self) -> None:
        self.keys = np.zeros(0, np.uint32)  # sorted packed colours
        self.current = np.zeros(0, np.int64)
        self.peak = np.zeros(0, np.int64)

    def start(self, packed: np.ndarray) -> None:
        self.keys, counts = np.unique(packed, return_counts=True)
        self.current = counts.astype(np.int64)
        self.peak = self.current.copy()

    def change(self, removed: np.ndarray, added: np.ndarray) -> None:
        """Pixels that were `removed` colours are now `added` colours (both packed, same length)."""
        new_keys, new_counts = np.unique(added, return_counts=True)
        self._include(new_keys)
        old_keys, old_counts = np.unique(removed, return_counts=True)
        self.current[np.searchsorted(self.keys, old_keys)] -= old_counts
        at = np.searchsorted(self.keys, new_keys)
        self.current[at] += new_counts
        self.peak[at] = np.maximum(self.peak[at], self.current[at])  # only added colours can grow

    def _include(self, keys: np.ndarray) -> None:
        at = np.searchsorted(self.keys, keys)
        known = (at < len(self.keys)) & (self.keys[np.minimum(at, len(self.keys) - 1)] == keys)
        if known.all():
            return
        missing = keys[~known]  # sorted, distinct: `keys` comes from np.unique
        where = at[~known]
        self.keys = np.insert(self.keys, where, missing)
        self.current = np.insert(self.current, where, 0)
        self.peak = np.insert(self.peak, where, 0)


NEAREST_CHUNK = 16384
"""Colours compared with the whole palette at once by `nearest`: 16 MB of distances for 256 palette colours."""


def nearest(colours: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """For each colour (n, 3), the index of the nearest palette colour (Euclidean RGB; the first on a tie).

    By brute force, a matrix product per chunk: a palette has at most 256 colours, so this is about as fast as a
    k-d tree, and exact (every sum is an integer below 2**24, which float32 holds exactly), without importing
    scipy.spatial (a third of a second of every GIF render's start-up)."""
    points = palette.astype(np.float32)
    squares = (points**2).sum(axis=1)
    out = np.empty(len(colours), np.intp)
    for start in range(0, len(colours), NEAREST_CHUNK):
        chunk = colours[start : start + NEAREST_CHUNK].astype(np.float32)
        # |c - p|² = |c|² - 2 c·p + |p|², and |c|² is the same for every p
        out[start : start + len(chunk)] = np.argmin(squares - 2 * chunk @ points.T, axis=1)
    return out


def farthest_first(colours: np.ndarray, weights: np.ndarray, chosen: np.ndarray, count: int) -> np.ndarray:
    """Add up to `count` colours to `chosen`, each time the one with the largest weight × squared distance to
    the palette so far: a colour far from every entry (a marker, a path) wins even with few pixels."""
    channels = np.ascontiguousarray(colours.T, dtype=np.float32)
    weights = weights.astype(np.float32)
    gap = np.full(len(colours), np.inf, np.float32)
    distance = np.empty_like(gap)
    square = np.empty_like(gap)
    palette: list[int] = []

    def add(index: int) -> None:
        palette.append(index)
        np.subtract(channels[0], channels[0, index], out=distance)
        np.multiply(distance, distance, out=distance)
        for channel in channels[1:]:
            np.subtract(channel, channel[index], out=square)
            np.multiply(square, square, out=square)
            np.add(distance, square, out=distance)
        np.minimum(gap, distance, out=gap)

    for index in chosen if len(chosen) else [int(np.argmax(weights))]:
        add(int(index))
    score = np.empty_like(gap)
    while len(palette) < len(chosen) + count:
        np.multiply(weights, gap, out=score)
        best = int(np.argmax(score))
        if score[best] <= 0:
            break
        add(best)
    return colours[palette].astype(np.float64)


def choose_palette(keys: np.ndarray, peak: np.ndarray, size: int = PALETTE_COLOURS, refine: int = 3) -> np.ndarray:
    """At most `size` colours (n, 3) for the animation whose colours are `keys` (packed) with `peak` weights."""
    colours = unpack(keys)
    if len(keys) <= size:
        return colours
    order = np.argsort(-peak, kind="stable")[: size // 2]
    solid = order[peak[order] >= SOLID_PIXELS]
    weights = peak.astype(np.float64)
    palette = farthest_first(colours, weights, solid, size - len(solid))
    pinned = len(solid)
    for _ in range(refine):  # weighted k-means (Lloyd) steps; the solid colours stay where they are
        assigned = nearest(colours, palette)
        mass = np.bincount(assigned, weights=weights, minlength=len(palette))
        moving = np.flatnonzero(mass > 0)
        moving = moving[moving >= pinned]
        for channel in range(3):
            sums = np.bincount(assigned, weights=weights * colours[:, channel], minlength=len(palette))
            palette[moving, channel] = sums[moving] / mass[moving]
    palette = np.clip(np.round(palette), 0, 255).astype(np.uint8)
    _, first = np.unique(pack(palette), return_index=True)
    return palette[np.sort(first)]


@dataclass
class _Delta:
    """One frame as written: which pixels changed from the previous frame, and to which colours."""

    count: int  # changed pixels (0: the frame repeats the previous one)
    gaps: bytes  # zlib of the uint32 gaps between successive changed pixel positions (frame 0: b"")
    colours: bytes  # zlib of their packed colours (frame 0: zlib of the whole RGB frame)
    duration_ms: int


@dataclass
class _Pending:
    """A frame ready to encode, held back until we know whether the next frame repeats it."""

    indices: np.ndarray
    offset: tuple[int, int]
    duration_ms: int
    transparent: int | None


class GifSink(FileSink):
    """An animated GIF with one global palette, changed-rectangle frames and optional Floyd–Steinberg dithering."""

    compress_level = 1  # zlib level of the changes kept in memory: fast; plots' changes are small anyway

    def __init__(
        self,
        target: Path | str | None = None,
        loop: bool = True,
        dither: bool = False,
        parallel_encoding: bool | None = None,
    ) -> None:
        """`dither`: Floyd–Steinberg error diffusion when the animation has more colours than the palette
        (smooth gradients, 3D surfaces); with 255 colours or fewer the palette is exact and nothing is dithered.
        `parallel_encoding`: encode the frames in forked processes (True), here (False), or decide from the
        number of frames and cores (None, `FrameEncoder`); the file is the same either way."""
        super().__init__(target, loop)
        self.dither = dither
        self.parallel_encoding = parallel_encoding
        self._reset()

    @classmethod
    def options(cls, settings: SinkSettings) -> dict[str, Any]:
        return super().options(settings) | {"dither": settings.dither}

    def _reset(self) -> None:
        self._deltas: list[_Delta] = []
        self._canvas: np.ndarray | None = None  # the latest frame, to diff the next one against
        self._census = ColourCensus()

    def open(self) -> None:
        super().open()
        self._reset()

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"a GIF frame is RGB uint8 (height, width, 3), not {rgb.dtype} {rgb.shape}")
        canvas = self._canvas
        if canvas is None:
            self._canvas = np.array(rgb, copy=True, order="C")
            self._census.start(pack(self._canvas).ravel())
            data = zlib.compress(self._canvas.tobytes(), self.compress_level)
            self._deltas.append(_Delta(rgb.shape[0] * rgb.shape[1], b"", data, frame.duration_ms))
        else:
            if rgb.shape != canvas.shape:
                raise ValueError(f"every GIF frame has the same size: {rgb.shape} after {canvas.shape}")
            self._deltas.append(self._delta(canvas, np.ascontiguousarray(rgb), frame.duration_ms))
        self.frames_written += 1

    def _delta(self, canvas: np.ndarray, rgb: np.ndarray, duration_ms: int) -> _Delta:
        """Record what changed from `canvas` to `rgb` and bring `canvas` up to date."""
        changed = np.flatnonzero(rgb.reshape(-1) != canvas.reshape(-1))
        if changed.size == 0:
            return _Delta(0, b"", b"", duration_ms)
        pixels = changed // 3
        pixels = pixels[np.concatenate(([True], pixels[1:] != pixels[:-1]))]
        colours = pack(rgb.reshape(-1, 3)[pixels])
        self._census.change(pack(canvas.reshape(-1, 3)[pixels]), colours)
        np.copyto(canvas, rgb)
        gaps = np.diff(pixels, prepend=-1).astype(np.uint32)
        level = self.compress_level
        return _Delta(
            len(pixels), zlib.compress(gaps.tobytes(), level), zlib.compress(colours.tobytes(), level), duration_ms
        )

    def finish(self) -> None:
        if self._canvas is None:
            raise ValueError("a GIF needs at least one frame")
        with self.output() as handle:
            self._encode(handle, PALETTE_COLOURS)
        self._reset()

    def encoded(self, colours: int) -> bytes:
        """The GIF of the frames written so far with a palette of at most `colours` (before `finish`): a size
        budget tries several palettes on one set of drawn frames (scenespec/size_budget.py)."""
        if self._canvas is None:
            raise ValueError("a GIF needs at least one frame")
        buffer = io.BytesIO()
        self._encode(buffer, colours)
        return buffer.getvalue()

    def abort(self) -> None:
        self._reset()
        super().abort()

    def _encode(self, handle: BinaryIO, most: int) -> None:
        """Replay the recorded frames into `handle` with a palette of at most `most` colours (the canvas ends as frame 0
        or, dithered, the last frame: either way the next replay starts from the recorded first frame)."""
        canvas = self._canvas
        assert canvas is not None
        palette = choose_palette(self._census.keys, self._census.peak, most)
        height, width = canvas.shape[:2]
        exact = len(self._census.keys) <= most
        transparent = len(palette)  # the first index after the colours
        handle.write(gif_header(width, height, palette, transparent + 1, self.loop))
        lookup = np.zeros(1 << 24, np.uint8)
        lookup[self._census.keys] = np.arange(len(palette)) if exact else nearest(unpack(self._census.keys), palette)
        dither_palette = None
        if self.dither and not exact:  # with an exact palette there is no error to diffuse
            dither_palette = Image.new("P", (1, 1))
            dither_palette.putpalette(palette.tobytes())
        with FrameEncoder(handle, self.parallel_encoding, len(self._deltas)) as encoder:
            for frame in self._replayed(canvas, lookup, dither_palette, transparent):
                encoder.write(frame)
        handle.write(b";")

    def _replayed(
        self, canvas: np.ndarray, lookup: np.ndarray, dither_palette: Image.Image | None, transparent: int
    ) -> Iterator[_Pending]:
        """The recorded frames mapped to the palette: the first whole, then the rectangle that changed, in which
        unchanged pixels are `transparent`; frames that look the same as the one before lengthen it."""
        width = canvas.shape[1]
        first, *rest = self._deltas
        np.copyto(canvas, np.frombuffer(zlib.decompress(first.colours), np.uint8).reshape(canvas.shape))
        shown = self._map(canvas, lookup, dither_palette)  # the palette indices on screen
        pending = _Pending(shown.copy(), (0, 0), first.duration_ms, None)
        flat_canvas, flat_shown = canvas.reshape(-1, 3), shown.reshape(-1)
        for delta in rest:
            if delta.count == 0:  # the same frame again: show the previous one longer
                pending.duration_ms += delta.duration_ms
                continue
            pixels = np.cumsum(np.frombuffer(zlib.decompress(delta.gaps), np.uint32), dtype=np.int64) - 1
            colours = np.frombuffer(zlib.decompress(delta.colours), np.uint32)
            if dither_palette is None:  # nearest colour, pixel by pixel: only the changed pixels need mapping
                indices = lookup[colours]
                differs = indices != flat_shown[pixels]
                pixels, indices = pixels[differs], indices[differs]
            else:  # error diffusion depends on the whole frame
                flat_canvas[pixels] = unpack(colours)
                mapped = self._map(canvas, lookup, dither_palette).reshape(-1)
                pixels = np.flatnonzero(mapped != flat_shown)
                indices = mapped[pixels]
            if pixels.size == 0:  # looks the same once mapped to the palette
                pending.duration_ms += delta.duration_ms
                continue
            flat_shown[pixels] = indices
            rows, columns = np.divmod(pixels, width)
            top, left = int(rows[0]), int(columns.min())
            crop = np.full((int(rows[-1]) + 1 - top, int(columns.max()) + 1 - left), transparent, np.uint8)
            crop[rows - top, columns - left] = indices
            yield pending
            pending = _Pending(crop, (left, top), delta.duration_ms, transparent)
        yield pending

    @staticmethod
    def _map(canvas: np.ndarray, lookup: np.ndarray, dither_palette: Image.Image | None) -> np.ndarray:
        """The palette indices of a whole frame."""
        if dither_palette is None:
            return lookup[pack(canvas)]
        image = Image.fromarray(canvas, "RGB")
        return np.array(image.quantize(palette=dither_palette, dither=Image.Dither.FLOYDSTEINBERG))


def gif_header(width: int, height: int, palette: np.ndarray, entries: int, loop: bool) -> bytes:
    """GIF89a header, global colour table with room for `entries` indices, and the loop extension if looping."""
    bits = max(1, int(entries - 1).bit_length())  # table of 2**bits entries
    table = np.zeros((1 << bits, 3), np.uint8)
    table[: len(palette)] = palette
    flags = 0x80 | ((8 - 1) << 4) | (bits - 1)  # global table, 8-bit colour resolution, table size
    header = b"GIF89a" + width.to_bytes(2, "little") + height.to_bytes(2, "little") + bytes([flags, 0, 0])
    header += table.tobytes()
    if loop:  # NETSCAPE2.0 application extension, 0 = loop forever; without it a GIF plays once
        header += b"!\xff\x0bNETSCAPE2.0\x03\x01" + (0).to_bytes(2, "little") + b"\x00"
    return header


def write_frame(handle: BinaryIO, frame: _Pending) -> None:
    """Graphic control extension (delay, keep previous frame, transparency), image descriptor and LZW data."""
    handle.write(encoded_frame(frame))


def encoded_frame(frame: _Pending) -> bytes:
    """A frame's bytes in the file: graphic control extension, image descriptor and LZW data."""
    params: dict[str, int] = {"duration": min(frame.duration_ms, MAX_DELAY_MS), "disposal": 1}
    if frame.transparent is not None:
        params["transparency"] = frame.transparent
    image = Image.fromarray(np.ascontiguousarray(frame.indices), "L")
    return b"".join(GifImagePlugin.getdata(image, frame.offset, **params))


class FrameEncoder:
    """Writes encoded frames to `handle` in order: encoded here, or by forked processes while this one goes on.

    `parallel`: False, True (where processes can be forked), or None to decide from the number of frames the caller
    `expected`: from `ENCODE_IN_PARALLEL_FROM` on, with more than one core and about one of them free."""

    def __init__(self, handle: BinaryIO, parallel: bool | None = None, expected: int = 0) -> None:
        self.handle = handle
        self._pending: deque[Future[bytes]] = deque()
        self._pool: ProcessPoolExecutor | None = None
        cores = _cores_to_fork()
        if parallel is None:
            parallel = expected >= ENCODE_IN_PARALLEL_FROM and cores > 1 and _a_core_is_free(cores)
        if parallel and cores:
            self._workers = max(2, cores)
            from scenespec.render.executors import detach  # Ctrl-C is this process's; they end with it

            self._pool = ProcessPoolExecutor(
                self._workers, mp_context=get_context("fork"), initializer=detach, initargs=(os.getpid(),)
            )

    def write(self, frame: _Pending) -> None:
        if self._pool is None:
            self.handle.write(encoded_frame(frame))
            return
        self._pending.append(self._pool.submit(encoded_frame, frame))
        if len(self._pending) >= self._workers * ENCODING_IN_FLIGHT:
            self.handle.write(self._pending.popleft().result())

    def __enter__(self) -> FrameEncoder:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        """Write the frames still being encoded (not after a failure) and stop the processes."""
        try:
            while self._pending and kind is None:
                self.handle.write(self._pending.popleft().result())
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None


def _a_core_is_free(cores: int) -> bool:
    """Whether the machine has about a core to spare for encoding (1-minute load average, this process included).

    On a machine busy with other work the encoding processes only compete with this one: a loss of a few hundredths
    of a second, against a gain of about a tenth with a free core (linreg's 200 frames)."""
    try:
        return os.getloadavg()[0] < cores - 0.5
    except OSError:  # no load average here
        return True


def _cores_to_fork() -> int:
    """The cores forked encoders could use; 0 where this process cannot fork them (another platform, or a daemonic
    process such as a cluster's worker, which may not have children)."""
    import multiprocessing

    from scenespec.render.executors import available_cores, can_fork

    return available_cores() if can_fork() and not multiprocessing.current_process().daemon else 0


register_sink(
    SinkKind(
        "gif",
        "file",
        "An animated GIF with one global palette, changed-rectangle frames and optional Floyd–Steinberg dithering.",
        GifSink,
        (".gif",),
    )
)
