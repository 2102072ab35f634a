"""Sinks receive finished frames in order and write them somewhere; the registry of output formats.

An output format is one module in this package: a `Sink` subclass, registered with a `SinkKind` record
(`register_sink`). The command line's `--format` choices, the spec's `output.format`, extension inference,
default output names and the reference docs are all read from the registry.

A sink is used as a context manager::

    with sink_for("gif", path, settings) as sink:
        for frame in frames:
            sink.write(frame, rgb)

Entering opens it; leaving normally closes it (finishes the output and puts it in place); an exception,
Ctrl-C included, aborts it (nothing is left behind, an earlier output stays as it was) and propagates.
`open`, `write`, `close` and `abort` can also be called directly.

Without a target (`sink_for("gif")`) a sink writes into memory: after closing, `getvalue()` returns the
bytes the file form would have written for the same frames (png-sequence: a zip of the frame PNGs).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar, Literal

import numpy as np

from scenespec.errors import RenderError, did_you_mean
from scenespec.registry import Registry
from scenespec.render.atomic import commit_dir, commit_file, discard, private_temp_file, temp_dir_for, temp_file_for

if TYPE_CHECKING:
    from scenespec.frame import Frame

ZIP_TIME = (1980, 1, 1, 0, 0, 0)
"""The time stamp of every member of an in-memory png-sequence zip, so the same frames give the same bytes."""


@dataclass(frozen=True)
class SinkSettings:
    """What sinks take from the spec, as plain values: the render stage never sees the Scene.

    `fps`: video frame rate; `loop`: GIF loops forever (else plays once); `dither`: GIF Floyd–Steinberg dithering.
    """

    fps: float = 10.0
    loop: bool = True
    dither: bool = False


class Sink:
    """Frames arrive as RGB uint8 arrays (height, width, 3).

    `open` starts, `write` takes each frame, `close` = `finish` (complete the output) then `commit` (put it in
    place); `abort` cleans up after a failure and may be called at any time, also more than once.
    `target=None`: the output goes to memory (`getvalue()` after closing).
    """

    def __init__(self, target: Path | str | None = None, loop: bool = True) -> None:
        self.target = None if target is None else Path(target)
        self.loop = loop
        self.frames_written = 0
        self._value: bytes | None = None

    @classmethod
    def options(cls, settings: SinkSettings) -> dict[str, Any]:
        """Constructor arguments besides the target that this sink takes from the settings."""
        return {"loop": settings.loop}

    @property
    def in_memory(self) -> bool:
        return self.target is None

    def open(self) -> None: ...

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Complete the output (encode, flush) without putting it in place yet."""

    def commit(self) -> None:
        """Put the finished output in place (or keep its bytes, in memory)."""

    def close(self) -> None:
        self.finish()
        self.commit()

    def abort(self) -> None: ...

    def getvalue(self) -> bytes:
        """The output's bytes, once an in-memory sink is closed."""
        if self.target is not None:
            raise ValueError(f"this sink writes {self.target}, not into memory")
        if self._value is None:
            raise ValueError("the output is not complete: close the sink first")
        return self._value

    def __enter__(self) -> Sink:
        try:
            self.open()
        except BaseException:
            self.abort()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if error is not None:
            self.abort()
            return
        try:
            self.close()
        except BaseException:
            self.abort()
            raise


class FileSink(Sink):
    """A sink whose output is one file, built beside the target and moved into place on commit.

    Subclasses write the encoded output through `output()`; in memory that is a buffer. A sink whose encoder needs
    a real file (`needs_file`: ffmpeg seeks back to put the MP4 index first) writes `self.temp` instead, which in
    memory is a private temporary file, read back and deleted on commit.
    """

    needs_file: ClassVar[bool] = False

    def __init__(self, target: Path | str | None = None, loop: bool = True) -> None:
        super().__init__(target, loop)
        self.temp: Path | None = None
        self._buffer: io.BytesIO | None = None

    def open(self) -> None:
        self._value = None
        if self.target is not None:
            self.temp = temp_file_for(self.target)
        elif self.needs_file:
            self.temp = private_temp_file()
        else:
            self._buffer = io.BytesIO()

    @contextmanager
    def output(self) -> Iterator[BinaryIO]:
        """The stream to write the whole encoded output to (once)."""
        if self._buffer is not None:
            self._buffer.seek(0)
            self._buffer.truncate()
            yield self._buffer
            return
        assert self.temp is not None, "open the sink first"
        with open(self.temp, "wb") as handle:
            yield handle

    def commit(self) -> None:
        if self.target is not None:
            assert self.temp is not None
            commit_file(self.temp, self.target)
        elif self._buffer is not None:
            self._value = self._buffer.getvalue()
        else:
            assert self.temp is not None
            self._value = self.temp.read_bytes()
            discard(self.temp)
        self.temp, self._buffer = None, None

    def abort(self) -> None:
        if self.temp is not None:
            discard(self.temp)
        self.temp, self._buffer = None, None


class DirSink(Sink):
    """A sink whose output is a folder of files, swapped in whole on commit; in memory, a zip of those files.

    Subclasses add each file with `add(name, data)`.
    """

    replaceable: ClassVar[str] = "a new or empty folder"
    """The folders `may_replace` accepts, for the message when it refuses one."""

    def __init__(self, target: Path | str | None = None, loop: bool = True) -> None:
        super().__init__(target, loop)
        self.temp: Path | None = None
        self._buffer: io.BytesIO | None = None
        self._zip: zipfile.ZipFile | None = None

    @classmethod
    def may_replace(cls, folder: Path) -> bool:
        """Whether an existing folder can be replaced by this output (default: only an empty one)."""
        return not any(folder.iterdir())

    def open(self) -> None:
        self._value = None
        if self.target is not None:
            self.temp = temp_dir_for(self.target)
        else:
            self._buffer = io.BytesIO()
            self._zip = zipfile.ZipFile(self._buffer, "w", zipfile.ZIP_STORED)

    def add(self, name: str, data: bytes) -> None:
        """One file of the output."""
        if self._zip is not None:
            self._zip.writestr(zipfile.ZipInfo(name, date_time=ZIP_TIME), data)
        else:
            assert self.temp is not None, "open the sink first"
            (self.temp / name).write_bytes(data)

    def finish(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    def commit(self) -> None:
        if self.target is not None:
            assert self.temp is not None
            commit_dir(self.temp, self.target)
        else:
            assert self._buffer is not None
            self._value = self._buffer.getvalue()
        self.temp, self._buffer = None, None

    def abort(self) -> None:
        if self._zip is not None:
            self._zip.close()
        if self.temp is not None:
            discard(self.temp)
        self.temp, self._buffer, self._zip = None, None, None


# --- the registry of output formats ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SinkKind:
    """An output format: its name, what it writes, the extensions that select it, a one-line description, the sink.

    `writes`: `file`, `folder` or `screen` (played in a window: no sink, it needs a display).
    `extensions`: lower case, with the dot; the first is the default. `suffix`: appended to the spec's name for the
    default output (default: the first extension).
    """

    name: str
    writes: Literal["file", "folder", "screen"]
    description: str
    sink: type[Sink] | None = None
    extensions: tuple[str, ...] = ()
    suffix: str | None = None

    @property
    def default_suffix(self) -> str:
        return self.suffix if self.suffix is not None else (self.extensions[0] if self.extensions else "")


SINKS: Registry[SinkKind] = Registry("sink", "scenespec.render.sinks")


def register_sink(kind: SinkKind) -> SinkKind:
    """Called once by each format's module."""
    if (kind.sink is None) != (kind.writes == "screen"):
        raise ValueError(f"sink kind {kind.name!r}: a {kind.writes} output needs a sink class, the screen has none")
    SINKS.register(kind.name, kind)
    return kind


def sink_kinds() -> dict[str, SinkKind]:
    """Every registered output format, by name."""
    return SINKS.load()


def output_formats() -> tuple[str, ...]:
    """The names of the output formats, in the registry's order."""
    return tuple(sink_kinds())


def sink_kind(name: str) -> SinkKind:
    kinds = sink_kinds()
    if name not in kinds:
        raise RenderError(
            f"unknown output format {name!r}{did_you_mean(name, list(kinds))} (expected one of: {', '.join(kinds)})"
        )
    return kinds[name]


def sink_for(fmt: str, target: Path | str | None = None, settings: SinkSettings | None = None, **options: Any) -> Sink:
    """A sink writing `fmt` to `target`, or into memory when `target` is None (`getvalue()` after closing).

    Its options come from `settings` (defaults: `SinkSettings()`), then from `options`, e.g. `dither=True`.
    """
    kind = sink_kind(fmt)
    if kind.sink is None:
        raise RenderError(f"{fmt} is not written by a sink: it plays in a window (see scenespec.render.sinks.screen)")
    return kind.sink(target, **(kind.sink.options(settings or SinkSettings()) | options))
