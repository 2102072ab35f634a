"""The GIF sink: one palette for the whole animation, faithful frames, small files, durations, loop, atomic output.

Frames are synthetic plot-like images: a white figure, a light plot face, flat grid lines and anti-aliased curves
(continuous coverage, so thousands of blended colours: more than a GIF palette holds).
"""

from __future__ import annotations

import io
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image, ImageSequence

from scenespec.render.sinks.gif import GifSink, choose_palette, pack
from scenespec.schedule.frames import Frame, timed
from scenespec.validate.scene import FramesSpec

RED = np.array([214, 39, 40])  # matplotlib's tab:red
FACE = np.array([234, 234, 242])
CURVES = (((31, 119, 180), 0.0), ((44, 160, 44), 2.0), ((255, 127, 14), 4.0))


def plot_frame(i: int, width: int = 160, height: int = 120, red_square: bool = False) -> np.ndarray:
    """Frame `i` of a plot whose three anti-aliased curves drift to the right."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    image = np.full((height, width, 3), 255.0)
    top, bottom, left, right = height // 12, height - height // 12, width // 10, width - width // 16
    image[top:bottom, left:right] = FACE
    image[top:bottom, left:right:20] = (255, 255, 255)  # grid
    image[top:bottom, [left, right - 1]] = (40, 40, 40)  # spines
    image[[top, bottom - 1], left:right] = (40, 40, 40)
    for colour, phase in CURVES:
        curve = height / 2 + height / 4 * np.sin(xx / (width / 10) + phase + 0.07 * i)
        cover = np.clip(1.3 - np.abs(yy - curve) / 1.2, 0.0, 1.0)[..., None]
        cover[:, :left] = cover[:, right:] = 0
        image = image * (1 - cover) + np.array(colour) * cover
    if red_square:  # in the top corner of the face, where no curve goes
        image[top + 3 : top + 8, right - 10 : right - 5] = RED
    return np.round(image).astype(np.uint8)


def write_gif(
    path: Path, frames: list[np.ndarray], durations: list[int] | None = None, loop: bool = True, **options: bool
) -> bytes:
    sink = GifSink(path, loop=loop, **options)
    sink.open()
    for i, rgb in enumerate(frames):
        sink.write(Frame(i, i, durations[i] if durations else 100), rgb)
    sink.close()
    return path.read_bytes()


def decode(data: bytes) -> tuple[list[np.ndarray], list[int], dict]:
    """Every frame as RGB, the per-frame durations, and the first frame's info."""
    with Image.open(io.BytesIO(data)) as image:
        info = dict(image.info)
        frames, durations = [], []
        for frame in ImageSequence.Iterator(image):
            frames.append(np.asarray(frame.convert("RGB")).copy())
            durations.append(frame.info["duration"])
    return frames, durations, info


def gif_blocks(data: bytes) -> tuple[int, list[dict]]:
    """The size of the global colour table, and each image: its rectangle, local table flag, transparency index."""
    assert data[:6] == b"GIF89a"
    flags = data[10]
    table = 2 << (flags & 7) if flags & 0x80 else 0
    position, images, control = 13 + 3 * table, [], None
    while data[position] != 0x3B:
        if data[position] == 0x21:  # extension: label, then sub-blocks
            label, position = data[position + 1], position + 2
            if label == 0xF9:
                packed, _, index = struct.unpack("<BHB", data[position + 1 : position + 5])
                control = index if packed & 1 else None
        else:
            assert data[position] == 0x2C
            box = struct.unpack("<4H", data[position + 1 : position + 9])
            local = data[position + 9]
            position += 10 + (3 * (2 << (local & 7)) if local & 0x80 else 0) + 1
            images.append({"box": box, "local_table": bool(local & 0x80), "transparent": control})
            control = None
        while data[position]:
            position += data[position] + 1
        position += 1
    return table, images


def pillow_writer_baseline(frames: list[np.ndarray], fps: int = 10) -> bytes:
    """What matplotlib's PillowWriter writes: RGBA grabs converted to RGB, then Pillow quantizes each frame."""
    images = [Image.fromarray(np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)]), "RGBA") for rgb in frames]
    images = [image.convert("RGB") for image in images]  # opaque frames: PillowWriter.grab_frame
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
    return out.getvalue()


def distinct_colours(frames: list[np.ndarray]) -> int:
    return len(np.unique(np.concatenate([pack(rgb).ravel() for rgb in frames])))


def test_a_colour_only_in_the_last_frames_survives(tmp_path: Path) -> None:
    frames = [plot_frame(i, red_square=i >= 90) for i in range(100)]
    assert distinct_colours(frames) > 256  # the palette has to be chosen, not copied
    decoded, _, _ = decode(write_gif(tmp_path / "late.gif", frames))
    assert len(decoded) == 100
    square = (slice(13, 18), slice(140, 145))
    for shown in decoded[90:]:
        assert np.abs(shown[square].astype(int) - RED).max() <= 8
    for shown in decoded[:90]:
        assert np.abs(shown[square].astype(int) - FACE).max() <= 8


def test_every_frame_is_close_to_its_input_and_all_share_one_palette(tmp_path: Path) -> None:
    frames = [plot_frame(i) for i in range(40)]
    data = write_gif(tmp_path / "plot.gif", frames)
    decoded, _, _ = decode(data)
    assert len(decoded) == 40
    for shown, rgb in zip(decoded, frames, strict=True):
        assert np.abs(shown.astype(int) - rgb).mean(axis=(0, 1)).max() <= 2
    table, images = gif_blocks(data)
    assert table == 256
    assert len(images) == 40
    assert not any(image["local_table"] for image in images)


def test_few_colours_are_kept_exactly(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    colours = rng.integers(0, 256, (200, 3), dtype=np.uint8)
    frames = [colours[rng.integers(0, 200, (30, 40))] for _ in range(5)]
    decoded, _, _ = decode(write_gif(tmp_path / "flat.gif", frames))
    for shown, rgb in zip(decoded, frames, strict=True):
        np.testing.assert_array_equal(shown, rgb)


def test_palette_weights_a_colour_by_its_largest_share_of_one_frame() -> None:
    """Grey ramps fill most of the palette; a red seen in few frames still gets its own entry."""
    greys = np.arange(0, 256, dtype=np.uint32) * 0x010101
    red = np.array([0xD62728], np.uint32)
    keys = np.sort(np.concatenate([greys, red]))
    peak = np.where(keys == red[0], 20, 1000)
    palette = choose_palette(keys, peak)
    assert len(palette) <= 255
    assert np.abs(palette.astype(int) - RED).max(axis=1).min() == 0


@pytest.mark.parametrize("loop", [True, False], ids=["loop", "once"])
def test_durations_and_loop(tmp_path: Path, loop: bool) -> None:
    frames = [plot_frame(i) for i in range(4)]
    durations = [100, 50, 120, 2100]
    decoded, read, info = decode(write_gif(tmp_path / "timing.gif", frames, durations, loop=loop))
    assert len(decoded) == 4
    assert read == durations
    if loop:
        assert info["loop"] == 0  # loop forever
    else:
        assert "loop" not in info  # play once


def test_a_repeated_frame_is_shown_longer(tmp_path: Path) -> None:
    first, second = plot_frame(0), plot_frame(5)
    decoded, read, _ = decode(write_gif(tmp_path / "hold.gif", [first, first, second], [100, 200, 300]))
    assert read == [300, 300]  # as Pillow's writer does: one frame shown for the time of both
    for shown, rgb in zip(decoded, [first, second], strict=True):
        assert np.abs(shown.astype(int) - rgb).mean() <= 1


def colour_blocks() -> np.ndarray:
    """343 colours 40 apart on each channel (7 levels³), each a 3×3 block: more colours than a GIF palette holds."""
    levels = np.arange(0, 256, 40)
    colours = np.array(np.meshgrid(levels, levels, levels, indexing="ij")).reshape(3, -1).T.astype(np.uint8)
    return np.repeat(np.repeat(colours.reshape(7, 49, 3), 3, axis=0), 3, axis=1)


def nudged(rgb: np.ndarray, block: int, delta: tuple[int, int, int]) -> np.ndarray:
    """`rgb` with one 3×3 block's colour moved by `delta` (one level of 255: far closer than palette entries)."""
    out = rgb.copy()
    row, column = divmod(block, 49)
    area = (slice(3 * row, 3 * row + 3), slice(3 * column, 3 * column + 3))
    out[area] = out[area].astype(int) + delta
    return out


@pytest.mark.parametrize("dither", [False, True], ids=["nearest", "dither"])
def test_frames_equal_only_after_palette_mapping_keep_their_time(tmp_path: Path, dither: bool) -> None:
    """Frames that differ in RGB but not once mapped to the palette are merged, and the merged frame is shown
    for the time of all of them: the animation lasts as long as its schedule says."""
    base = colour_blocks()
    faint = nudged(base, 100, (1, 0, 0))
    fainter = nudged(faint, 200, (0, 1, 1))
    moved = base.copy()
    moved[0:3, 0:3] = (255, 0, 0)  # a colour no palette entry is near before: a visible change
    images = [base, faint, fainter, moved, moved]  # the last one repeats exactly
    assert distinct_colours(images) > 256  # so nearby colours share a palette entry
    assert not np.array_equal(base, faint) and not np.array_equal(faint, fainter)
    frames = timed(np.arange(len(images)), FramesSpec(fps=10, end_pause=1.5))
    assert [f.duration_ms for f in frames] == [100, 100, 100, 100, 100 + 1500]
    sink = GifSink(tmp_path / "faint.gif", dither=dither)
    sink.open()
    for frame, rgb in zip(frames, images, strict=True):
        sink.write(frame, rgb)
    sink.close()
    decoded, durations, _ = decode((tmp_path / "faint.gif").read_bytes())
    assert sum(durations) == len(images) * 100 + 1500
    assert durations == [3 * 100, 100 + 100 + 1500]
    assert len(decoded) == 2
    changed = np.argwhere((decoded[0] != decoded[1]).any(axis=-1))
    assert changed.min(axis=0).tolist() == [0, 0] and changed.max(axis=0).tolist() == [2, 2]  # only the red block
    assert np.abs(decoded[1][0:3, 0:3].astype(int) - (255, 0, 0)).max() <= 16


def test_unchanged_regions_cost_nothing(tmp_path: Path) -> None:
    background = plot_frame(0, width=320, height=240)
    frames = []
    for i in range(50):
        rgb = background.copy()
        rgb[30:40, 50 + i : 60 + i] = RED  # a small marker creeping along
        frames.append(rgb)
    single = len(write_gif(tmp_path / "single.gif", frames[:1]))
    data = write_gif(tmp_path / "creep.gif", frames)
    assert len(data) < 5 * single
    _, images = gif_blocks(data)
    assert all(w * h <= 11 * 10 for _, _, w, h in (image["box"] for image in images[1:]))
    decoded, _, _ = decode(data)
    for shown, rgb in zip(decoded, frames, strict=True):
        assert np.abs(shown.astype(int) - rgb).mean() <= 1


def matplotlib_frames(count: int) -> list[np.ndarray]:
    """Article 001's figure, drawn by matplotlib: red points, a dashed fit line turning, a cost text."""
    figure = Figure(figsize=(3.2, 2.4), dpi=100)
    canvas = FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    x = np.linspace(0, 10, 40)
    y = 2 * x - 2 + np.random.default_rng(0).normal(0, 2, x.size)
    axes.scatter(x, y, c="red", label="Original data")
    (line,) = axes.plot(x, 0 * x, "g--", label="Fitting line")
    text = axes.text(0.5, 15, "")
    axes.set(xlim=(0, 10), ylim=(-5, 20))
    axes.legend(loc="upper center")
    frames = []
    for i in range(count):
        slope = 2 * (1 - np.exp(-i / 8))
        line.set_ydata(slope * x - 2)
        text.set_text(f"Cost: {50 * np.exp(-i / 6):.3f}")
        canvas.draw()
        frames.append(np.asarray(canvas.buffer_rgba())[:, :, :3].copy())
    return frames


@pytest.mark.parametrize("drawn_by", ["synthetic", "matplotlib"])
def test_not_larger_than_matplotlib_pillow_writer(tmp_path: Path, drawn_by: str) -> None:
    if drawn_by == "synthetic":
        frames = [plot_frame(i, width=320, height=240, red_square=i >= 40) for i in range(50)]
    else:
        frames = matplotlib_frames(30)
    ours = write_gif(tmp_path / "ours.gif", frames)
    decoded, _, _ = decode(ours)
    for shown, rgb in zip(decoded, frames, strict=True):
        assert np.abs(shown.astype(int) - rgb).mean(axis=(0, 1)).max() <= 2
    baseline = pillow_writer_baseline(frames)
    assert len(ours) <= len(baseline)


def test_dither_changes_a_smooth_gradient_and_still_decodes(tmp_path: Path) -> None:
    yy, xx = np.mgrid[0:120, 0:160]
    gradient = np.dstack([xx * 255 // 159, yy * 255 // 119, (xx + yy) * 255 // 278]).astype(np.uint8)
    frames = [gradient, np.roll(gradient, 3, axis=1)]
    plain, _, _ = decode(write_gif(tmp_path / "plain.gif", frames))
    dithered, _, _ = decode(write_gif(tmp_path / "dithered.gif", frames, dither=True))
    assert len(dithered) == 2
    assert not np.array_equal(plain[0], dithered[0])
    for shown, rgb in zip(dithered, frames, strict=True):
        assert np.abs(shown.astype(int) - rgb).mean() <= 8
        # error diffusion: averaged over 8×8 blocks, the dithered image is closer to the gradient than banding
        blocks = (shown.astype(float) - rgb).reshape(15, 8, 20, 8, 3).mean(axis=(1, 3))
        assert np.abs(blocks).mean() <= 1.5


def test_write_keeps_no_raw_frames(tmp_path: Path) -> None:
    """Memory grows by each frame's compressed change (here the three curves move: ~4% of a raw frame), not by
    the raw frame."""
    frames = [plot_frame(i, width=320, height=240) for i in range(60)]
    raw = frames[0].nbytes
    sink = GifSink(tmp_path / "lean.gif")
    sink.open()
    tracemalloc.start()
    try:
        held = []
        for i, rgb in enumerate(frames):
            sink.write(Frame(i, i, 100), rgb)
            held.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    assert (held[-1] - held[9]) / 50 < raw / 8
    assert held[-1] < 8 * raw  # 60 raw frames would be 60 × raw
    frames[-1][...] = 0  # the sink does not keep the caller's array either
    sink.close()
    decoded, _, _ = decode((tmp_path / "lean.gif").read_bytes())
    assert np.abs(decoded[-1].astype(int) - plot_frame(59, width=320, height=240)).mean() <= 2


def test_abort_leaves_the_earlier_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.gif"
    target.write_bytes(b"earlier good output")
    sink = GifSink(target)
    sink.open()
    sink.write(Frame(0, 0, 100), plot_frame(0))
    sink.write(Frame(1, 1, 100), plot_frame(1))
    sink.abort()
    assert target.read_bytes() == b"earlier good output"
    assert [p.name for p in tmp_path.iterdir()] == ["out.gif"]


def test_frames_of_another_size_are_refused(tmp_path: Path) -> None:
    sink = GifSink(tmp_path / "sizes.gif")
    sink.open()
    sink.write(Frame(0, 0, 100), plot_frame(0))
    with pytest.raises(ValueError, match="same size"):
        sink.write(Frame(1, 1, 100), plot_frame(1, width=100))
    sink.abort()


@pytest.mark.parametrize("colours", ["few", "many"])
def test_frames_encoded_by_forked_processes_equal_those_encoded_here(tmp_path: Path, colours: str) -> None:
    if colours == "many":  # anti-aliased curves; each frame shown twice (the repeat lengthens the frame before)
        frames = [plot_frame(i // 2) for i in range(60)]
    else:  # flat colours, kept exactly by the palette: a red square moving one pixel a frame over a grey face
        frames = [np.full((120, 160, 3), 255, np.uint8) for _ in range(60)]
        for i, rgb in enumerate(frames):
            rgb[10:110, 16:150] = FACE
            rgb[20:30, 30 + i : 40 + i] = RED
    here = write_gif(tmp_path / "here.gif", frames, parallel_encoding=False)
    forked = write_gif(tmp_path / "forked.gif", frames, parallel_encoding=True)
    assert forked == here
    decoded, durations, _ = decode(forked)
    shown_for = [i for i in range(60) if i == 0 or not np.array_equal(frames[i], frames[i - 1])]
    assert len(decoded) == len(shown_for)
    assert sum(durations) == 60 * 100
    for shown, index in zip(decoded, shown_for, strict=True):
        difference = np.abs(shown.astype(int) - frames[index])
        assert difference.max() == 0 if colours == "few" else difference.mean(axis=(0, 1)).max() <= 2


def test_a_long_animation_is_encoded_in_forked_processes_only_with_a_core_to_spare(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from scenespec.render.sinks import gif

    started: list[int] = []
    monkeypatch.setattr(gif, "ProcessPoolExecutor", lambda workers, **_: started.append(workers))
    cases = [(2, 48, 0.9, True), (2, 47, 0.9, False), (2, 500, 1.6, False), (4, 500, 3.2, True), (1, 500, 0, False)]
    cases.append((0, 500, 0.0, False))  # cannot fork
    for cores, frames, load, pool in cases:
        started.clear()
        monkeypatch.setattr(gif, "_cores_to_fork", lambda cores=cores: cores)
        monkeypatch.setattr(gif.os, "getloadavg", lambda load=load: (load, load, load))
        gif.FrameEncoder(io.BytesIO(), None, frames)
        assert started == ([cores] if pool else [])
