"""Live views drawn off the training thread: `Recorder.show` and the drawing process behind it (and behind the
Keras callback's live mode, tested in test_keras_callback.py with a real window and a real notebook)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import scenespec
from scenespec.drawer import DRAWER_NICENESS, DrawingProcess
from scenespec.errors import RenderError, SpecError

SPEC = {
    "scene": {"size": [3.0, 2.0], "dpi": 50},
    "sources": {"fit": {"kind": "recording", "path": "not-used-the-recorder-feeds-it"}},
    "frames": {"steps": "all"},
    "panels": [
        {"layers": [{"kind": "scatter", "x": "fit.x", "y": "fit.y"}, {"kind": "line", "x": "fit.x", "y": "fit.pred"}]}
    ],
}


def fit_line(recorder: scenespec.Recorder, steps: int) -> list[tuple[float, float]]:
    """Gradient descent on a line through noisy points, logged at every step; returns (w, b) per step."""
    rng = np.random.default_rng(0)
    x = np.linspace(-1, 1, 30)
    y = 2 * x + 0.5 + rng.normal(0, 0.1, 30)
    recorder.static(x=x, y=y)
    w, b, history = 0.0, 0.0, []
    for step in range(steps):
        pred = w * x + b
        recorder.log(step, pred=pred, loss=float(np.mean((pred - y) ** 2)))
        history.append((w, b))
        w -= 0.2 * float(np.mean(2 * (pred - y) * x))
        b -= 0.2 * float(np.mean(2 * (pred - y)))
    return history


def test_show_draws_in_another_process_and_the_file_holds_every_kept_step(tmp_path: Path) -> None:
    out = tmp_path / "fit.gif"
    with scenespec.Recorder(every=5) as recorder:
        viewer = recorder.show(SPEC, "fit", out=out, view="none")
        history = fit_line(recorder, 200)
    assert viewer.process is not None and viewer.process.process.pid != os.getpid()
    kept = [*range(0, 200, 5), 199]
    assert recorder.steps == kept
    shown = viewer.process.shown.steps
    assert shown and shown[-1] == 199  # the run ends with its last step drawn
    assert shown == sorted(set(shown)) and set(shown) <= set(kept)  # newest first: never an old step after a new
    assert recorder.animation is not None and recorder.animation.result is not None
    assert recorder.animation.result.frames == len(kept)  # one frame per kept step
    with Image.open(out) as gif:  # (the GIF encoder merges frames that came out identical, once the line settles)
        assert gif.size == (150, 100) and gif.info["duration"] > 0
    pred = recorder.trace().stepped["pred"]
    w, b = history[-1]  # the recorded line is the descent's, recomputed here
    np.testing.assert_allclose(pred[-1], w * np.linspace(-1, 1, 30) + b)
    assert viewer.process.process.poll() is not None  # the process ended with the run (no window to keep open)


def test_a_binding_the_recording_lacks_fails_at_the_first_step_in_the_training_process() -> None:
    spec = {**SPEC, "panels": [{"layers": [{"kind": "line", "x": "fit.x", "y": "fit.prediction"}]}]}
    recorder = scenespec.Recorder()
    recorder.show(spec, "fit", view="none")
    recorder.static(x=np.arange(3.0))
    with pytest.raises(SpecError) as caught:
        recorder.log(0, pred=np.zeros(3))
    assert str(caught.value).endswith(
        "layers[0].y: 'fit.prediction': source 'fit' has no field 'prediction' (fields: pred, x)"
    )


def test_show_after_the_first_step_is_refused() -> None:
    recorder = scenespec.Recorder()
    recorder.log(0, loss=1.0)
    with pytest.raises(ValueError, match="before its first log"):
        recorder.show(SPEC, "fit", view="none")


def test_without_a_display_a_window_fails_before_training(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(RenderError, match="no display"):
        scenespec.Recorder().show(SPEC, "fit", view="window")


def test_a_failure_in_the_drawing_process_is_raised_in_the_training_process() -> None:
    loaded = scenespec.load(SPEC).loaded
    static = {"x": np.arange(3.0), "y": np.arange(3.0)}
    process = DrawingProcess(loaded, "fit", static, ["pred"], "none")
    process.append(0, {"pred": np.zeros(3)})
    process.append(1, {"pred": np.zeros(4)})  # a shape the first step did not have
    with pytest.raises(
        RuntimeError, match=r"^live view: ValueError: step 1: field 'pred' has shape \(4,\), earlier steps \(3,\)"
    ):
        process.close(timeout=120)
    assert process.process.poll() is not None


def test_the_drawing_process_yields_the_cpu_to_training() -> None:
    """On a busy machine the training process and its drawing process want the same cores: training goes first."""
    loaded = scenespec.load(SPEC).loaded
    process = DrawingProcess(loaded, "fit", {"x": np.arange(3.0), "y": np.arange(3.0)}, ["pred"], "none")
    try:
        process.append(0, {"pred": np.zeros(3)})
        mine = os.getpriority(os.PRIO_PROCESS, 0)
        deadline = time.monotonic() + 60
        while os.getpriority(os.PRIO_PROCESS, process.process.pid) == mine and time.monotonic() < deadline:
            time.sleep(0.05)  # until the process has started (it lowers its priority first thing)
        assert os.getpriority(os.PRIO_PROCESS, process.process.pid) == min(mine + DRAWER_NICENESS, 19)
        assert process.close(timeout=120).steps == [0]
    finally:
        process.stop()
