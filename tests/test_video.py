"""MP4 and WebM output: real ffmpeg (the imageio-ffmpeg wheel's), decoded back, and played in headless Chromium.

Needs Debian's chromium at /usr/bin/chromium (`sh tests/setup.sh` installs it) and the `playwright` Python
package, which drives it; no browser is downloaded.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from browser import browser_for, chromium, serve
from helpers import LINREG, run_cli, run_cli_many
from PIL import Image
from playwright.sync_api import Browser

from scenespec.pipeline import prepare
from scenespec.render.sinks.video import Mp4Sink, WebmSink
from scenespec.schedule import Frame

QUICK = ("sources.fit.epochs=40",)  # 10 + 1 frames (first 10 epochs, then every 40th and the last) at 5 fps
ODD = (*QUICK, "scene.size=[6.41, 4.81]")  # 641×481 px at dpi 100
MIMES = {"mp4": 'video/mp4; codecs="avc1.42E01E"', "webm": 'video/webm; codecs="vp9"'}


def sets(overrides: tuple[str, ...]) -> list[str]:
    return [arg for item in overrides for arg in ("--set", item)]


@dataclass(frozen=True)
class Decoded:
    meta: dict
    frames: list[np.ndarray]  # RGB uint8 (height, width, 3)


def decode(path: Path) -> Decoded:
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    frames = [np.frombuffer(raw, np.uint8).reshape(height, width, 3) for raw in reader]
    return Decoded(meta, frames)


def png_frame(renders: Renders, index: int) -> np.ndarray:
    return pixels(renders.folder / "frames" / f"frame_{index:05d}.png")


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def mean_abs_diff(video_frame: np.ndarray, png: np.ndarray) -> float:
    """Compared over the PNG's size (the video may carry one pixel of padding to make its sides even)."""
    height, width = png.shape[:2]
    return float(np.abs(video_frame[:height, :width].astype(int) - png.astype(int)).mean())


def first_video_frame(durations_ms: list[int], index: int, fps: float) -> int:
    """The video frame where scenespec frame `index` starts: its start time in whole video frames, rounded."""
    return round(Fraction(sum(durations_ms[:index]), 1000) * Fraction(fps))


@dataclass(frozen=True)
class Renders:
    folder: Path
    durations_ms: list[int]  # the schedule of QUICK (ODD has the same)
    fps: float
    results: dict[str, subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory) -> Renders:
    """Every CLI render of this module, at once: the videos, and PNGs of the frames they are compared with."""
    folder = tmp_path_factory.mktemp("video")
    prepared = prepare(LINREG, QUICK)
    durations = [frame.duration_ms for frame in prepared.frames]
    jobs = {
        "linreg.mp4": ["render", str(LINREG), "-o", "linreg.mp4", *sets(QUICK)],
        "linreg.webm": ["render", str(LINREG), "--format", "webm", *sets(QUICK)],  # default name: linreg.webm
        "odd.mp4": ["render", str(LINREG), "-o", "odd.mp4", *sets(ODD)],
        "odd.webm": ["render", str(LINREG), "-o", "odd.webm", *sets(ODD)],
        "frames": ["render", str(LINREG), "-o", "frames", *sets(QUICK)],  # frames/frame_00000.png, …
        "odd_last.png": ["render", str(LINREG), "-o", "odd_last.png", *sets(ODD)],
    }
    results = run_cli_many([(args, folder) for args in jobs.values()])
    return Renders(folder, durations, prepared.scene.frames.fps, dict(zip(jobs, results, strict=True)))


@pytest.mark.parametrize(
    ("name", "codec"), [("linreg.mp4", "h264"), ("linreg.webm", "vp9"), ("odd.mp4", "h264"), ("odd.webm", "vp9")]
)
def test_video_timing_size_and_codec(renders: Renders, name: str, codec: str) -> None:
    result = renders.results[name]
    assert result.returncode == 0, result.stderr
    assert f"wrote {name} ({name.split('.')[1]}): {len(renders.durations_ms)} frames" in result.stdout
    video = decode(renders.folder / name)
    width, height = video.meta["size"]
    assert (width, height) == ((640, 480) if name.startswith("linreg") else (642, 482))  # odd sides padded to even
    assert video.meta["codec"] == codec
    assert video.meta["pix_fmt"].startswith("yuv420p")
    assert video.meta["fps"] == renders.fps
    total_s = sum(renders.durations_ms) / 1000
    one_frame = 1 / renders.fps
    assert abs(video.meta["duration"] - total_s) <= one_frame
    assert len(video.frames) == round(total_s * renders.fps)
    assert abs(len(video.frames) / renders.fps - total_s) <= one_frame


@pytest.mark.parametrize("name", ["linreg.mp4", "linreg.webm"])
def test_video_frames_look_like_the_pngs(renders: Renders, name: str) -> None:
    """Each scenespec frame starts at its time and holds for its duration; lossy, but close to the PNG."""
    assert renders.results["frames"].returncode == 0, renders.results["frames"].stderr
    video = decode(renders.folder / name)
    durations = renders.durations_ms
    last = len(durations) - 1
    for index in (0, 5, last):
        png = png_frame(renders, index)
        start = first_video_frame(durations, index, renders.fps)
        end = first_video_frame(durations, index + 1, renders.fps)
        assert end - start == round(durations[index] * renders.fps / 1000)
        for shown in (start, end - 1):  # its first and last video frame
            assert mean_abs_diff(video.frames[shown], png) <= 6, (index, shown)
    # Neighbouring frames differ (the fit line moves), so the match above is to the right frame, not any frame.
    assert mean_abs_diff(video.frames[0], png_frame(renders, last)) > 2 * mean_abs_diff(
        video.frames[0], png_frame(renders, 0)
    )


@pytest.mark.parametrize("name", ["odd.mp4", "odd.webm"])
def test_odd_size_is_padded_not_cropped(renders: Renders, name: str) -> None:
    video = decode(renders.folder / name)
    png = pixels(renders.folder / "odd_last.png")
    assert png.shape == (481, 641, 3)
    assert mean_abs_diff(video.frames[-1], png) <= 6
    # The padding repeats the edge pixels: the added column and row look like their neighbours.
    last = video.frames[-1].astype(int)
    assert np.abs(last[:, 641] - last[:, 640]).mean() <= 6
    assert np.abs(last[481] - last[480]).mean() <= 6


def test_mp4_index_comes_first(renders: Renders) -> None:
    """`+faststart`: the `moov` box precedes `mdat`, so a browser starts playing before the download ends."""
    data = (renders.folder / "linreg.mp4").read_bytes()
    assert 0 <= data.find(b"moov") < data.find(b"mdat")


def test_durations_map_to_whole_video_frames_cumulatively(tmp_path: Path) -> None:
    """Uneven durations at 30 fps: each frame gets round(end) - round(start) video frames; the total is right."""
    durations = [33, 33, 34, 500, 10, 40, 2033]
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 0, 255), (128, 128, 128)]
    target = tmp_path / "uneven.mp4"
    sink = Mp4Sink(target, fps=30.0)
    sink.open()
    for index, (duration, colour) in enumerate(zip(durations, colours, strict=True)):
        sink.write(Frame(index, index, duration), np.full((120, 160, 3), colour, np.uint8))
    sink.close()
    video = decode(target)
    expected = [
        first_video_frame(durations, i + 1, 30) - first_video_frame(durations, i, 30) for i in range(len(durations))
    ]
    assert expected == [1, 1, 1, 15, 0, 2, 60]  # the 10 ms frame is shorter than half a video frame: skipped
    assert len(video.frames) == sum(expected) == round(sum(durations) * 30 / 1000)
    shown = [colours[i] for i, count in enumerate(expected) for _ in range(count)]
    for frame, colour in zip(video.frames, shown, strict=True):
        assert np.abs(frame.astype(int) - colour).mean() <= 6
    assert sink.frames_written == len(durations)
    assert list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize("sink_class", [Mp4Sink, WebmSink])
def test_abort_kills_ffmpeg_and_discards(tmp_path: Path, sink_class: type[Mp4Sink]) -> None:
    target = tmp_path / f"aborted.{sink_class.container}"
    target.write_bytes(b"earlier output")
    sink = sink_class(target, fps=100.0)
    sink.open()
    sink.write(Frame(0, 0, 10_000), np.zeros((64, 64, 3), np.uint8))  # 1,000 video frames: ffmpeg is busy
    process = sink.process
    assert process is not None and process.poll() is None
    sink.abort()
    assert process.returncode is not None  # killed and waited on
    assert list(tmp_path.iterdir()) == [target]
    assert target.read_bytes() == b"earlier output"


def ffmpeg_pids(folder: Path) -> list[int]:
    """Processes whose command line names a file in `folder` and that run an ffmpeg."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and b"ffmpeg" in Path(os.fsdecode(argv[0])).name.encode() and str(folder).encode() in b" ".join(argv):
            found.append(int(entry.name))
    return found


def test_ctrl_c_stops_ffmpeg_and_leaves_nothing(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the command's process group, as a terminal sends it) while ffmpeg encodes a long hold."""
    (tmp_path / "long.mp4").write_bytes(b"earlier output")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("DISPLAY", None)
    # A 10-minute end pause at 100 fps: 60,000 video frames, so ffmpeg is still at work when Ctrl-C comes.
    overrides = (*QUICK, "scene.dpi=30", "frames.fps=100", "frames.end_pause=600")
    command = [sys.executable, "-m", "scenespec", "render", str(LINREG), "-o", "long.mp4", *sets(overrides)]
    cli = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while not (pids := ffmpeg_pids(tmp_path)):
            assert cli.poll() is None, cli.communicate()
            assert time.monotonic() < deadline, "ffmpeg never started"
            time.sleep(0.05)
        time.sleep(0.5)
        os.killpg(cli.pid, signal.SIGINT)
        _, stderr = cli.communicate(timeout=60)
    finally:
        if cli.poll() is None:
            os.killpg(cli.pid, signal.SIGKILL)
            cli.wait()
    assert cli.returncode == 130, stderr
    # The main process says so in one line. (Forked frame workers, idle during the hold, get the SIGINT too; what
    # they print is the worker pool's business, not the video sink's.)
    assert "\ninterrupted; any earlier output was left as it was\n" in stderr.decode(), stderr
    assert "sinks/video.py" not in stderr.decode(), stderr
    assert ffmpeg_pids(tmp_path) == []
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)
    assert [p.name for p in tmp_path.iterdir()] == ["long.mp4"]
    assert (tmp_path / "long.mp4").read_bytes() == b"earlier output"


FAILING_FFMPEG = {
    # The real ffmpeg, given an option it does not know: it exits at once.
    "bad option": ('#!/bin/sh\nexec "{real}" -no-such-option "$@"\n', "Unrecognized option 'no-such-option'"),
    # Reads part of the stream, then dies mid-encode.
    "crash mid-stream": (
        '#!/bin/sh\nhead -c 2000000 >/dev/null\necho "simulated encoder crash at frame 3" >&2\nexit 3\n',
        "simulated encoder crash at frame 3",
    ),
}


@pytest.mark.parametrize("case", [*FAILING_FFMPEG, "missing"])
def test_ffmpeg_failure_is_a_clean_error(
    renders: Renders, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    earlier = (renders.folder / "linreg.mp4").read_bytes()
    (tmp_path / "out.mp4").write_bytes(earlier)
    if case == "missing":
        exe, message = tmp_path / "no-ffmpeg-here", "cannot run ffmpeg"
    else:
        script, message = FAILING_FFMPEG[case]
        exe = tmp_path / "ffmpeg"
        exe.write_text(script.format(real=imageio_ffmpeg.get_ffmpeg_exe()), encoding="utf-8")
        exe.chmod(0o755)
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(exe))
    result = run_cli(["render", str(LINREG), "-o", "out.mp4", *sets((*QUICK, "scene.dpi=50"))], tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("error: cannot write out.mp4: "), result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "out.mp4").read_bytes() == earlier
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


@pytest.fixture(scope="module")
def server(renders: Renders) -> Iterator[str]:
    with serve(renders.folder) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser | None]:
    with chromium() as launched:
        yield launched


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{name}</title>
<style>body {{ margin: 0; background: #fff; font-family: sans-serif; }} video {{ display: block; }}</style></head>
<body><video src="{name}" muted autoplay playsinline loop></video><p>{name}</p></body></html>
"""


@pytest.mark.parametrize("name", ["linreg.mp4", "linreg.webm"])
def test_plays_in_chromium(renders: Renders, server: str, browser: Browser | None, name: str) -> None:
    page_name = f"play_{name.replace('.', '_')}.html"
    (renders.folder / page_name).write_text(PAGE.format(name=name), encoding="utf-8")
    page = browser_for(browser).new_page(viewport={"width": 800, "height": 600})
    try:
        kind = name.split(".")[1]
        assert page.evaluate("t => document.createElement('video').canPlayType(t)", MIMES[kind]) == "probably"
        page.goto(f"{server}/{page_name}")
        page.wait_for_function(
            """() => { const v = document.querySelector('video');
                return v.error || (v.readyState >= 2 && v.currentTime > 0); }""",
            timeout=30_000,
        )
        state = page.evaluate(
            """() => { const v = document.querySelector('video');
                return { error: v.error && v.error.message, width: v.videoWidth, height: v.videoHeight,
                         duration: v.duration, time: v.currentTime }; }"""
        )
        assert state["error"] is None
        assert (state["width"], state["height"]) == (640, 480)
        assert state["time"] > 0
        assert abs(state["duration"] - sum(renders.durations_ms) / 1000) <= 1 / renders.fps
        page.screenshot(path=str(renders.folder / f"{page_name}.png"))
        # Pause inside the end pause and look at the picture: it is the last frame, in the right colours.
        page.evaluate(
            """() => new Promise(done => { const v = document.querySelector('video'); v.pause();
                v.addEventListener('seeked', () => requestAnimationFrame(() => requestAnimationFrame(done)),
                                   { once: true });
                v.currentTime = v.duration - 0.5; })"""
        )
        shot = renders.folder / f"{page_name}.video.png"
        page.locator("video").screenshot(path=str(shot))
        last = png_frame(renders, len(renders.durations_ms) - 1)
        assert pixels(shot).shape == last.shape
        assert mean_abs_diff(pixels(shot), last) <= 6
    finally:
        with contextlib.suppress(Exception):
            page.close()
