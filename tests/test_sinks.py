"""Sinks as plug-ins: one registry feeds the command line, the spec and the schema; every format writes the same
bytes to a file and into memory; sinks are context managers; a tee feeds one render to several sinks, all or none."""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError

from scenespec.cli import _parser
from scenespec.errors import RenderError
from scenespec.output import check_writable, infer_format
from scenespec.render.sinks import SINKS, Sink, SinkKind, SinkSettings, TeeSink, output_formats, sink_for, sink_kinds
from scenespec.render.sinks.base import FileSink
from scenespec.render.sinks.gif import GifSink
from scenespec.render.sinks.png import PngSequenceSink, PngSink
from scenespec.render.sinks.video import Mp4Sink, WebmSink
from scenespec.schedule import Frame
from scenespec.schema import schema
from scenespec.validate.scene import OutputSpec, scene_model

FORMATS = ("gif", "mp4", "png", "png-sequence", "screen", "webm")
WRITTEN = ("gif", "png", "png-sequence", "mp4", "webm")  # every format a sink writes
COLOURS = [(230, 30, 30), (30, 160, 60), (40, 60, 220), (250, 200, 20), (128, 128, 128)]
DURATIONS = [100, 200, 100, 300, 500]
SETTINGS = SinkSettings(fps=10.0, loop=True, dither=False)


def synthetic_frames() -> list[tuple[Frame, np.ndarray]]:
    """Five 64×48 frames: a flat colour each, with a white square that moves, and different durations."""
    frames = []
    for index, (colour, duration) in enumerate(zip(COLOURS, DURATIONS, strict=True)):
        rgb = np.full((48, 64, 3), colour, np.uint8)
        rgb[10:20, 5 + 8 * index : 15 + 8 * index] = 255
        frames.append((Frame(index, index * 10, duration), rgb))
    return frames


FRAMES = synthetic_frames()


def feed(sink: Sink, frames: list[tuple[Frame, np.ndarray]] = FRAMES) -> Sink:
    with sink:
        for frame, rgb in frames:
            sink.write(frame, rgb)
    return sink


def leftovers(folder: Path) -> list[str]:
    """Temporary files a sink would leave behind: `.name.….part` beside the target, `.old` folders."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or p.suffix in (".part", ".old"))


@pytest.fixture
def private_temps() -> Iterator[set[str]]:
    """The in-memory video sinks' private temporary files present before the test (none may be added)."""
    folder = Path(tempfile.gettempdir())
    before = {p.name for p in folder.glob("scenespec-*.part")}
    yield before
    assert {p.name for p in folder.glob("scenespec-*.part")} == before


# --- the registry -----------------------------------------------------------------------------------------------


def test_registry_lists_exactly_the_formats() -> None:
    kinds = sink_kinds()
    assert tuple(kinds) == FORMATS == output_formats()
    assert {name: kind.writes for name, kind in kinds.items()} == {
        "gif": "file",
        "mp4": "file",
        "png": "file",
        "png-sequence": "folder",
        "screen": "screen",
        "webm": "file",
    }
    assert {name: kind.extensions for name, kind in kinds.items()} == {
        "gif": (".gif",),
        "mp4": (".mp4",),
        "png": (".png",),
        "png-sequence": (),
        "screen": (),
        "webm": (".webm",),
    }
    assert {name: kind.default_suffix for name, kind in kinds.items() if kind.writes != "screen"} == {
        "gif": ".gif",
        "mp4": ".mp4",
        "png": ".png",
        "png-sequence": "_frames",
        "webm": ".webm",
    }
    assert {name: kind.sink for name, kind in kinds.items()} == {
        "gif": GifSink,
        "mp4": Mp4Sink,
        "png": PngSink,
        "png-sequence": PngSequenceSink,
        "screen": None,
        "webm": WebmSink,
    }
    assert all(kind.description and "\n" not in kind.description for kind in kinds.values())


def test_format_choices_of_the_command_line_come_from_the_registry() -> None:
    render = next(a for a in _parser()._actions if a.dest == "command").choices["render"]
    (option,) = [a for a in render._actions if a.dest == "format"]
    assert tuple(option.choices) == FORMATS
    assert "(.gif, .mp4, .png, .webm, a folder for png-sequence)" in " ".join(render.description.split())


def test_spec_output_format_is_checked_against_the_registry() -> None:
    scene_model()
    for name in FORMATS:
        assert OutputSpec.model_validate({"format": name}).format == name
    with pytest.raises(ValidationError) as caught:
        OutputSpec.model_validate({"format": "gfi"})
    (error,) = caught.value.errors()
    assert error["type"] == "literal_error"
    assert error["msg"] == "Input should be 'gif', 'mp4', 'png', 'png-sequence', 'screen' or 'webm'"


def test_schema_lists_the_formats_as_an_enum() -> None:
    options = schema()["$defs"]["OutputSpec"]["properties"]["format"]["anyOf"]
    assert {"type": "string", "enum": list(FORMATS)} in options
    assert {"type": "null"} in options


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.gif", "gif"),
        ("a.GIF", "gif"),
        ("a.png", "png"),
        ("a.mp4", "mp4"),
        ("b.webm", "webm"),
        ("frames", "png-sequence"),
    ],
)
def test_extension_inference_reads_the_registry(name: str, expected: str) -> None:
    assert infer_format(Path(name)) == expected


def test_unknown_extension_and_format_name_the_registered_ones() -> None:
    with pytest.raises(RenderError, match=r"cannot tell the format from '\.avi'; use --format \(gif, mp4, png, "):
        infer_format(Path("out.avi"))
    with pytest.raises(RenderError, match=r"unknown output format 'gfi'; did you mean 'gif'\? \(expected one of: gif,"):
        sink_for("gfi")
    with pytest.raises(RenderError, match="plays in a window"):
        sink_for("screen")


class RawSink(FileSink):
    """Raw RGB bytes, frame after frame (a format plugged in by a test)."""

    def open(self) -> None:
        super().open()
        self.data = bytearray()

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        self.data += rgb.tobytes()

    def finish(self) -> None:
        with self.output() as handle:
            handle.write(bytes(self.data))


def test_a_registered_module_is_a_new_format(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(SINKS, "kinds", dict(sink_kinds()))
    SINKS.register("raw", SinkKind("raw", "file", "Raw RGB bytes.", RawSink, (".rgb",)))
    assert "raw" in output_formats()
    assert infer_format(tmp_path / "out.rgb") == "raw"
    feed(sink_for("raw", tmp_path / "out.rgb"))
    assert (tmp_path / "out.rgb").read_bytes() == b"".join(rgb.tobytes() for _, rgb in FRAMES)
    assert feed(sink_for("raw")).getvalue() == (tmp_path / "out.rgb").read_bytes()
    with pytest.raises(ValueError, match="registered twice"):
        SINKS.register("raw", SinkKind("raw", "file", "again", RawSink, (".rgb",)))


def test_folder_output_checks_come_from_the_folder_sink(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(RenderError, match=r"name a new or empty folder, or one holding only frame_\*\.png"):
        check_writable(mine, "png-sequence")
    frames = tmp_path / "frames"
    frames.mkdir()
    (frames / "frame_00000.png").write_bytes(b"old")
    check_writable(frames, "png-sequence")
    with pytest.raises(RenderError, match=r"it is a folder \(a gif output is a file\)"):
        check_writable(frames, "gif")
    with pytest.raises(RenderError, match=r"it is a file \(png-sequence writes a folder\)"):
        check_writable(mine / "notes.txt", "png-sequence")


def test_settings_reach_the_sinks() -> None:
    settings = SinkSettings(fps=24.0, loop=False, dither=True)
    gif = sink_for("gif", settings=settings)
    assert isinstance(gif, GifSink) and (gif.loop, gif.dither) == (False, True)
    video = sink_for("mp4", settings=settings)
    assert isinstance(video, Mp4Sink) and video.fps == 24
    assert sink_for("gif", settings=settings, dither=False).dither is False  # explicit options win
    default = sink_for("gif")
    assert isinstance(default, GifSink) and (default.loop, default.dither) == (True, False)


# --- bytes in memory == bytes in the file -----------------------------------------------------------------------


def written(fmt: str, path: Path) -> bytes:
    """What a file or folder output holds, as bytes (a folder: the zip its in-memory form is)."""
    if fmt != "png-sequence":
        return path.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for file in sorted(path.iterdir()):
            archive.writestr(zipfile.ZipInfo(file.name, date_time=(1980, 1, 1, 0, 0, 0)), file.read_bytes())
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", WRITTEN)
def test_bytes_in_memory_equal_the_file(fmt: str, tmp_path: Path, private_temps: set[str]) -> None:
    target = tmp_path / f"out{sink_kinds()[fmt].default_suffix}"
    feed(sink_for(fmt, target, SETTINGS))
    memory = feed(sink_for(fmt, None, SETTINGS)).getvalue()
    assert memory == written(fmt, target)
    assert len(memory) > 100
    assert leftovers(tmp_path) == []
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_gif_bytes_hold_every_frame() -> None:
    data = feed(sink_for("gif", settings=SETTINGS)).getvalue()
    with Image.open(io.BytesIO(data)) as image:
        assert image.n_frames == len(FRAMES)
        durations, shown = [], []
        for index in range(image.n_frames):
            image.seek(index)
            durations.append(image.info["duration"])
            shown.append(np.asarray(image.convert("RGB")))
        assert image.info.get("loop") == 0
    assert durations == DURATIONS
    for (_, rgb), frame in zip(FRAMES, shown, strict=True):
        np.testing.assert_array_equal(frame, rgb)  # five flat colours and white: the palette is exact


def test_png_bytes_are_the_last_frame() -> None:
    data = feed(sink_for("png")).getvalue()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")), FRAMES[-1][1])


def test_png_sequence_bytes_are_a_zip_of_the_frames() -> None:
    data = feed(sink_for("png-sequence")).getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == [f"frame_{i:05d}.png" for i in range(len(FRAMES))]
        for name, (_, rgb) in zip(archive.namelist(), FRAMES, strict=True):
            assert archive.getinfo(name).compress_type == zipfile.ZIP_STORED
            np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(archive.read(name))).convert("RGB")), rgb)


@pytest.mark.parametrize(("fmt", "magic", "codec"), [("mp4", b"ftyp", "h264"), ("webm", b"\x1a\x45\xdf\xa3", "vp9")])
def test_video_bytes_decode_to_the_frames(
    fmt: str, magic: bytes, codec: str, tmp_path: Path, private_temps: set[str]
) -> None:
    data = feed(sink_for(fmt, settings=SETTINGS)).getvalue()
    assert magic in data[:16]
    path = tmp_path / f"copy.{fmt}"
    path.write_bytes(data)
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    frames = [np.frombuffer(raw, np.uint8).reshape(48, 64, 3) for raw in reader]
    assert meta["codec"] == codec and meta["size"] == (64, 48)
    assert len(frames) == sum(DURATIONS) // 100  # 10 fps: one video frame per 100 ms
    starts = np.cumsum([0, *DURATIONS[:-1]]) // 100
    for start, (_, rgb) in zip(starts, FRAMES, strict=True):
        assert np.abs(frames[start].astype(int) - rgb.astype(int)).mean() <= 8


def test_getvalue_needs_a_closed_in_memory_sink(tmp_path: Path) -> None:
    sink = sink_for("png")
    with pytest.raises(ValueError, match="close the sink first"):
        sink.getvalue()
    on_disk = feed(sink_for("png", tmp_path / "a.png"))
    with pytest.raises(ValueError, match="not into memory"):
        on_disk.getvalue()


# --- context managers --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", WRITTEN)
@pytest.mark.parametrize("failure", [RuntimeError("boom"), KeyboardInterrupt()], ids=["error", "ctrl-c"])
def test_an_exception_aborts_and_keeps_the_earlier_output(fmt: str, failure: BaseException, tmp_path: Path) -> None:
    target = tmp_path / f"out{sink_kinds()[fmt].default_suffix}"
    feed(sink_for(fmt, target, SETTINGS))
    before = written(fmt, target)
    sink = sink_for(fmt, target, SETTINGS)
    with pytest.raises(type(failure)), sink:
        for frame, rgb in FRAMES[:3]:
            sink.write(frame, 255 - rgb)
        raise failure
    assert written(fmt, target) == before
    assert leftovers(tmp_path) == []


def test_a_failing_close_aborts(tmp_path: Path) -> None:
    target = tmp_path / "empty.gif"
    with pytest.raises(ValueError, match="a GIF needs at least one frame"), sink_for("gif", target):
        pass
    assert list(tmp_path.iterdir()) == []


class Events(Sink):
    """Records the calls it gets; fails where told."""

    def __init__(self, log: list[str], name: str, fail: str | None = None, after: int = 0) -> None:
        super().__init__(None)
        self.log, self.name, self.fail, self.after = log, name, fail, after

    def _call(self, event: str) -> None:
        self.log.append(f"{self.name}.{event}")
        if event == self.fail and (event != "write" or self.frames_written == self.after):
            raise OSError(f"{self.name} {event} failed")

    def open(self) -> None:
        self._call("open")

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        self._call("write")
        self.frames_written += 1

    def finish(self) -> None:
        self._call("finish")

    def commit(self) -> None:
        self._call("commit")

    def abort(self) -> None:
        self.log.append(f"{self.name}.abort")


def test_with_opens_closes_or_aborts() -> None:
    log: list[str] = []
    feed(Events(log, "a"), FRAMES[:2])
    assert log == ["a.open", "a.write", "a.write", "a.finish", "a.commit"]
    log.clear()
    with pytest.raises(OSError, match="a open failed"), Events(log, "a", fail="open"):
        pytest.fail("not reached")
    assert log == ["a.open", "a.abort"]


# --- the tee ------------------------------------------------------------------------------------------------------


def test_tee_writes_the_bytes_of_separate_sinks(tmp_path: Path, private_temps: set[str]) -> None:
    together, apart = tmp_path / "together", tmp_path / "apart"
    together.mkdir()
    apart.mkdir()
    names = {"gif": "animation.gif", "mp4": "animation.mp4", "png": "poster.png"}
    tee = TeeSink([sink_for(fmt, together / name, SETTINGS) for fmt, name in names.items()])
    feed(tee)
    assert tee.frames_written == len(FRAMES)
    for fmt, name in names.items():
        feed(sink_for(fmt, apart / name, SETTINGS))
        assert (together / name).read_bytes() == (apart / name).read_bytes(), name
    poster = feed(sink_for("png"), FRAMES[-1:]).getvalue()  # as `render` does for a png: only the last frame
    assert (together / "poster.png").read_bytes() == poster
    in_memory = [sink_for(fmt, settings=SETTINGS) for fmt in names]
    feed(TeeSink(in_memory))
    assert [sink.getvalue() for sink in in_memory] == [(apart / name).read_bytes() for name in names.values()]
    assert sorted(p.name for p in together.iterdir()) == sorted(names.values())


@pytest.mark.parametrize("where", ["write", "finish"])
def test_tee_whose_second_sink_fails_leaves_every_output_as_it_was(tmp_path: Path, where: str) -> None:
    earlier = {"animation.gif": b"earlier gif", "animation.mp4": b"earlier mp4", "poster.png": b"earlier png"}
    for name, data in earlier.items():
        (tmp_path / name).write_bytes(data)
    gif, mp4, png = (tmp_path / name for name in earlier)
    if where == "write":  # the video sink breaks at the third frame
        failing = sink_for("mp4", mp4, SETTINGS)
        original = failing.write

        def write(frame: Frame, rgb: np.ndarray) -> None:
            if frame.index == 2:
                raise OSError("disk full")
            original(frame, rgb)

        failing.write = write  # type: ignore[method-assign]
        frames = FRAMES
    else:  # every frame shorter than half a video frame: ffmpeg gets nothing to encode, found when finishing
        failing = sink_for("mp4", mp4, SinkSettings(fps=1.0))
        frames = [(Frame(i, i, 10), rgb) for i, (_, rgb) in enumerate(FRAMES)]
    tee = TeeSink([sink_for("gif", gif, SETTINGS), failing, sink_for("png", png)])
    with pytest.raises((OSError, RenderError), match="disk full" if where == "write" else "less than one video frame"):
        feed(tee, frames)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == earlier
    assert leftovers(tmp_path) == []


def test_tee_aborts_all_when_one_fails() -> None:
    log: list[str] = []
    tee = TeeSink([Events(log, "a"), Events(log, "b", fail="write", after=1), Events(log, "c")])
    with pytest.raises(OSError, match="b write failed"):
        feed(tee, FRAMES[:3])
    assert log == [
        *["a.open", "b.open", "c.open"],
        *["a.write", "b.write", "c.write"],
        *["a.write", "b.write"],
        *["a.abort", "b.abort", "c.abort"],
    ]
    log.clear()
    with pytest.raises(OSError, match="c finish failed"):
        feed(TeeSink([Events(log, "a"), Events(log, "b"), Events(log, "c", fail="finish")]), FRAMES[:1])
    assert "a.commit" not in log and "b.commit" not in log  # nothing is put in place unless every sink finished
    assert log[-3:] == ["a.abort", "b.abort", "c.abort"]
    log.clear()
    with pytest.raises(OSError, match="b open failed"):
        feed(TeeSink([Events(log, "a"), Events(log, "b", fail="open"), Events(log, "c")]))
    assert log[:2] == ["a.open", "b.open"] and "c.open" not in log
    assert {"a.abort", "b.abort", "c.abort"} <= set(log[2:])  # the opened one, the failed one, the rest: all aborted


def test_an_empty_tee_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one sink"):
        TeeSink([])
