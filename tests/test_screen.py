"""Screen output: a real window on a real (virtual) X display, and a clear error without one.

The window test needs Xvfb (Debian's xvfb; `sh tests/setup.sh` installs it). It runs in
a subprocess so that switching to an interactive backend cannot affect other tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from system import XVFB, missing, require, x_server

ROOT = Path(__file__).resolve().parent.parent

PLAY = """
import json, sys
import numpy as np
import matplotlib.pyplot as plt
from PIL import ImageGrab
from scenespec.pipeline import build, prepare, scene_style
from scenespec.render.sinks import screen

prepared = prepare(sys.argv[1], ["sources.fit.epochs=40", "frames.fps=20", "frames.loop=false"])
with scene_style(prepared.scene):
    graph = build(prepared, screen.window_figure(prepared.scene.scene.size, prepared.scene.scene.dpi))
shown = []
show = graph.show
graph.show = lambda frame: (shown.append(frame.step), show(frame))
animation = screen.play(graph, prepared.frames, loop=False, block=False)
plt.pause(len(prepared.frames) * 0.05 + 2.0)
window = graph.figure.canvas.manager.window
shot = ImageGrab.grab(xdisplay=sys.argv[2]).convert("RGB")
pixels = np.asarray(shot).reshape(-1, 3).astype(int)
print(json.dumps({
    "backend": plt.get_backend(),
    "mapped": bool(window.winfo_ismapped()),
    "shown": shown,
    "frames": [f.step for f in prepared.frames],
    "red": int(np.sum((pixels[:, 0] > 230) & (pixels[:, 1] < 30) & (pixels[:, 2] < 30))),
    "blue": int(np.sum((pixels[:, 2] > 200) & (pixels[:, 0] < 40) & (pixels[:, 1] < 40))),
}))
"""


@pytest.fixture
def x_display() -> Iterator[str | None]:
    """A virtual X display, or None without Xvfb (the test then fails saying what to install)."""
    if missing(XVFB):
        yield None
        return
    with x_server(":93") as display:
        yield display


def test_window_plays_every_frame_on_a_real_display(x_display: str | None, linreg_path: Path) -> None:
    require(XVFB)
    assert x_display is not None
    env = {**os.environ, "DISPLAY": x_display}
    env.pop("MPLBACKEND", None)
    result = subprocess.run(
        [sys.executable, "-c", PLAY, str(linreg_path), x_display], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["backend"].lower() == "tkagg"
    assert report["mapped"]
    frames = report["frames"]
    assert report["shown"][-len(frames) :] == frames  # every frame, in order, once played through
    assert report["red"] > 500 and report["blue"] > 200  # the data points and the cost curve are on screen


def test_no_display_is_a_clear_error_without_traceback(linreg_path: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run(
        [sys.executable, "-m", "scenespec", "render", str(linreg_path), "--format", "screen"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 1
    assert "no display to open a window on" in result.stderr and "-o out.gif" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
