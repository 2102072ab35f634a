"""Frames drawn in worker processes: same pixels as one process, in order, and failures leave nothing behind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli

from scenespec.pipeline import build, prepare, render, scene_style
from scenespec.render.engine import FrameEngine
from scenespec.render.executors import ProcessExecutor
from scenespec.render.renderer import write_frames
from scenespec.render.sinks.base import Sink

FAST = ["sources.fit.epochs=60", "frames.steps={ first = 10, every = 5 }"]


class Collect(Sink):
    """Keeps what it is given, to check order and pixels."""

    def __init__(self) -> None:
        super().__init__(Path("unused"))
        self.frames: list[tuple[int, np.ndarray]] = []
        self.events: list[str] = []

    def open(self) -> None:
        self.events.append("open")

    def write(self, frame, rgb) -> None:
        self.frames.append((frame.index, rgb))

    def close(self) -> None:
        self.events.append("close")

    def abort(self) -> None:
        self.events.append("abort")


def test_workers_hand_frames_over_in_order_with_the_pixels_of_one_process(linreg_path: Path) -> None:
    prepared = prepare(linreg_path, FAST)
    sink = Collect()
    frames = prepared.frames
    size = write_frames(frames, ProcessExecutor(2).frames(prepared.recipe(), frames), sink)
    assert [index for index, _ in sink.frames] == list(range(len(prepared.frames)))
    assert sink.events == ["open", "close"]
    with scene_style(prepared.scene):
        engine = FrameEngine(build(prepared))
        for frame, (_, rgb) in zip(prepared.frames, sink.frames, strict=True):
            np.testing.assert_array_equal(rgb, engine.pixels(frame))
    assert size == (640, 480)


def test_cli_outputs_are_identical_with_one_or_two_workers(linreg_path: Path, tmp_path: Path) -> None:
    sets = [arg for item in FAST for arg in ("--set", item)]
    for workers in ("1", "2"):
        result = run_cli(["render", str(linreg_path), "-o", f"w{workers}.gif", "--workers", workers, *sets], tmp_path)
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "w1.gif").read_bytes() == (tmp_path / "w2.gif").read_bytes()


def test_workers_must_be_positive(linreg_path: Path, tmp_path: Path) -> None:
    result = run_cli(["render", str(linreg_path), "--workers", "0"], tmp_path)
    assert result.returncode == 2
    assert "--workers: must be at least 1, got 0" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_failing_frame_in_a_worker_keeps_the_earlier_output(
    linreg_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "anim.gif"
    render(linreg_path, out=str(out), overrides=FAST, progress=False, workers=2)
    before = out.read_bytes()
    original = FrameEngine.pixels

    def broken(self, frame):
        if frame.index == 7:
            raise RuntimeError("frame 7 cannot be drawn")
        return original(self, frame)

    monkeypatch.setattr(FrameEngine, "pixels", broken)  # workers are forked, so they inherit the patch
    with pytest.raises(RuntimeError, match="frame 7 cannot be drawn"):
        render(linreg_path, out=str(out), overrides=FAST, progress=False, workers=2)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["anim.gif"]
