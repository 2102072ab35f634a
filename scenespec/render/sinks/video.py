"""Video through the ffmpeg binary that the `imageio-ffmpeg` wheel ships: MP4 (H.264) and WebM (VP9).

Frames are piped to ffmpeg as raw RGB, never written to disk as images. Video plays at a constant
frame rate (the spec's `frames.fps`), so a scenespec frame that lasts longer (the end pause) is
repeated for as many video frames as its duration covers; rounding is cumulative, so the video is as
long as the schedule, to within one video frame. `loop` does not apply: a video player loops, or not.

ffmpeg always writes a real file: the temporary file beside the target, or, for an output wanted in memory,
a private temporary file that is read back and deleted (MP4's `+faststart` seeks back to move the index first,
so ffmpeg cannot write to a pipe). The bytes are the same either way.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar

import imageio_ffmpeg
import numpy as np

from scenespec.errors import RenderError
from scenespec.render.sinks.base import FileSink, SinkKind, SinkSettings, register_sink

if TYPE_CHECKING:
    from scenespec.frame import Frame

STDERR_LINES = 8
"""How many of ffmpeg's last stderr lines a RenderError quotes."""

# RGB -> YUV with the BT.709 matrix, tagged as such (in the frames and the stream), so browsers and players convert
# it back with the same matrix; untagged, some would guess BT.601 and shift the colours.
BT709 = ("-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv")
TO_YUV420 = (
    "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,"
    "setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709:range=tv"
)


def video_frames_until(elapsed_ms: int, fps: Fraction) -> int:
    """How many video frames at `fps` cover the first `elapsed_ms` of the animation (rounded to the nearest).

    Frame i is repeated `video_frames_until(end of i) - video_frames_until(start of i)` times: the rounding is
    cumulative, so the video is as long as the schedule to within half a video frame, whatever the durations.
    A frame shorter than half a video frame may get no video frame at all; the next one takes up its time.
    """
    return round(Fraction(elapsed_ms, 1000) * fps)


def even_size(rgb: np.ndarray) -> np.ndarray:
    """`rgb` padded by one pixel on the right/bottom where a side is odd (yuv420p needs even sides).

    The edge pixels are repeated, so the padding is invisible (a figure's edge is its background).
    """
    height, width = rgb.shape[:2]
    if height % 2 == 0 and width % 2 == 0:
        return rgb
    return np.pad(rgb, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")


class VideoSink(FileSink):
    """Streams frames to an ffmpeg process that writes the temporary file; `close` moves it into place."""

    container: ClassVar[str]
    codec: ClassVar[tuple[str, ...]]
    needs_file = True

    def __init__(self, target: Path | str | None = None, loop: bool = True, fps: float = 10.0) -> None:
        super().__init__(target, loop)
        self.fps = Fraction(fps).limit_denominator(1001)
        if self.fps <= 0:
            raise ValueError(f"fps must be positive, not {fps}")
        self.process: subprocess.Popen[bytes] | None = None
        self.stderr: IO[bytes] | None = None
        self.size: tuple[int, int] | None = None  # (width, height) of the video, even
        self.elapsed_ms = 0
        self.video_frames = 0

    @classmethod
    def options(cls, settings: SinkSettings) -> dict[str, Any]:
        return {"fps": settings.fps}  # video has no loop flag: the player loops

    @property
    def label(self) -> str:
        """The output, as error messages name it."""
        return str(self.target) if self.target is not None else f"the {self.container} video (in memory)"

    def open(self) -> None:
        super().open()
        self.process, self.size, self.elapsed_ms, self.video_frames = None, None, 0, 0

    def command(self, ffmpeg: str, width: int, height: int) -> list[str]:
        rate = f"{self.fps.numerator}/{self.fps.denominator}"
        return [
            ffmpeg,
            "-hide_banner",
            "-nostats",
            "-loglevel",
            "error",
            "-y",  # the temporary file already exists (created empty, so its name is ours)
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            f"{width}x{height}",
            "-framerate",
            rate,
            "-i",
            "pipe:0",
            "-an",
            "-fflags",
            "+bitexact",  # the same frames give the same bytes (else WebM gets random track ids)
            "-vf",
            TO_YUV420,
            *self.codec,
            *BT709,
            "-r",
            rate,
            # no random segment UID or encoder string in the file: the same frames give the same bytes
            "-fflags",
            "+bitexact",
            "-f",
            self.container,  # the temporary name ends in .part: say the container
            str(self.temp),
        ]

    def start(self, width: int, height: int) -> None:
        self.size = (width, height)
        try:
            ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()  # the wheel's binary, or $IMAGEIO_FFMPEG_EXE if set
        except RuntimeError as exc:
            raise RenderError(f"cannot write {self.label}: {exc}") from None
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (open until close/abort; a pipe could fill and block)
        try:
            self.process = subprocess.Popen(
                self.command(ffmpeg, width, height),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self.stderr,
                # Its own session: Ctrl-C reaches only us, and `abort` kills ffmpeg (else it would finish the file).
                start_new_session=os.name == "posix",
            )
        except OSError as exc:
            raise RenderError(
                f"cannot write {self.label}: cannot run ffmpeg ({ffmpeg}): {exc.strerror or exc}"
            ) from None

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        rgb = even_size(np.ascontiguousarray(rgb, dtype=np.uint8))
        height, width = rgb.shape[:2]
        if self.process is None:
            self.start(width, height)
        elif (width, height) != self.size:
            raise RenderError(f"frame {frame.index} is {width}×{height} px, earlier frames were {self.size}")
        self.elapsed_ms += frame.duration_ms
        until = video_frames_until(self.elapsed_ms, self.fps)
        repeats, self.video_frames = until - self.video_frames, until
        data = rgb.tobytes()
        assert self.process is not None and self.process.stdin is not None
        try:
            for _ in range(repeats):
                self.process.stdin.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.process.wait()
            raise self.failure() from None
        self.frames_written += 1

    def finish(self) -> None:
        if self.process is None:
            raise RenderError(f"cannot write {self.label}: no frames to encode")
        if self.video_frames == 0:
            raise RenderError(f"cannot write {self.label}: the frames last less than one video frame ({self.fps} fps)")
        assert self.process.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self.process.stdin.close()
        if self.process.wait() != 0:
            raise self.failure()
        self.release()

    def abort(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            if self.process.stdin is not None:
                with contextlib.suppress(OSError):
                    self.process.stdin.close()
            self.process.wait()
        self.process = None
        self.release()
        super().abort()

    def release(self) -> None:
        if self.stderr is not None:
            self.stderr.close()
            self.stderr = None

    def failure(self) -> RenderError:
        """ffmpeg's exit status and last words, as a user-facing error."""
        assert self.process is not None
        lines: list[str] = []
        if self.stderr is not None:
            self.stderr.seek(0)
            lines = self.stderr.read().decode("utf-8", "replace").strip().splitlines()[-STDERR_LINES:]
        said = "\n  ".join(lines) if lines else "(nothing on stderr)"
        cause = diagnosis(self.process.returncode, lines)
        return RenderError(
            f"cannot write {self.label}: {cause + '; ' if cause else ''}ffmpeg ({self.container}) failed with exit "
            f"status {self.process.returncode}:\n  {said}"
        )


FAILURE_CAUSES: tuple[tuple[str, str], ...] = (
    ("No space left on device", "the disk is full"),
    ("Disk quota exceeded", "the disk quota is used up"),
    ("File too large", "the file grew past the largest file allowed here (the file system's or `ulimit -f`)"),
    ("Permission denied", "permission denied"),
    ("Read-only file system", "the file system is read-only"),
)
"""What ffmpeg's last words mean, in words a user acts on."""


def diagnosis(returncode: int, lines: list[str]) -> str:
    """What happened to ffmpeg, when its exit status or stderr tells; '' when they do not."""
    if returncode == -signal.SIGXFSZ:
        return FAILURE_CAUSES[2][1]
    if returncode < 0:
        return f"ffmpeg was stopped by signal {signal.Signals(-returncode).name}"
    for needle, cause in FAILURE_CAUSES:
        if any(needle in line for line in lines):
            return cause
    return ""


class Mp4Sink(VideoSink):
    """H.264 in MP4, yuv420p, index first (`+faststart`) so a browser starts playing before it has the whole file."""

    container = "mp4"
    codec = (
        "-c:v",
        "libx264",
        "-preset",
        "medium",
        "-tune",
        "animation",  # flat colours and sharp edges, like a plot
        "-crf",
        "20",
        "-pix_fmt",
        "yuv420p",
        "-profile:v",
        "high",
        # x264's output depends on its thread count, which by default follows the machine's cores: fixed, the same
        # frames give the same bytes on any machine (a gallery built on a cluster equals one built here).
        "-threads",
        "4",
        "-movflags",
        "+faststart",
    )


class WebmSink(VideoSink):
    """VP9 in WebM, yuv420p, constant quality."""

    container = "webm"
    codec = (
        "-c:v",
        "libvpx-vp9",
        "-crf",
        "30",
        "-b:v",
        "0",
        "-deadline",
        "good",
        "-cpu-used",
        "4",
        "-row-mt",
        "1",
        "-pix_fmt",
        "yuv420p",
    )


MP4 = "H.264 in MP4, yuv420p, index first (`+faststart`) so a browser starts playing before it has the whole file."
register_sink(SinkKind("mp4", "file", MP4, Mp4Sink, (".mp4",)))
register_sink(SinkKind("webm", "file", "VP9 in WebM, yuv420p, constant quality.", WebmSink, (".webm",)))
