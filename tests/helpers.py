"""Shared helpers for the tests: spec variants, line lookup, CLI runs, a trace whose every field moves."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from scenespec.errors import Problem, SpecError, format_path
from scenespec.resolve.trace import Trace

REPO = Path(__file__).resolve().parents[1]
LINREG = REPO / "specs" / "linreg.toml"

# A fast copy of specs/linreg.toml (20 epochs, dpi 50): error tests edit it by text replacement,
# so they do not break when the shipped example is tuned. Every string replaced below is unique.
SPEC = """\
# Fast variant of specs/linreg.toml for the error tests.

[scene]
title = "Linear regression by gradient descent"
size = [6.4, 4.8]
dpi = 50

[sources.fit]
kind = "trainer"
model = "linear"
data = { kind = "line", slope = 1.0, intercept = -2.0, noise = 1.0, n = 50, x = [0, 10], seed = 0 }
optimizer = { name = "sgd", lr = 1e-4 }
batch_size = 1
loss = "sse"
init = { w = -1.0, b = 1.0 }
epochs = 20

[frames]
source = "fit"
steps = { first = 10, every = 40 }
fps = 5
end_pause = 2.0

[[panels]]
xlabel = "X data"
ylabel = "Y data"
twin_ylabel = "Cost"
legend = "upper center"
layers = [
  { kind = "scatter", x = "fit.x", y = "fit.y", color = "red", label = "Original data" },
  { kind = "line", x = "fit.x", y = "fit.pred", style = "g--", label = "Fitting line" },
  { kind = "spline", y = "fit.loss", twin = true, along = "frames", color = "b", label = "Cost line" },
  { kind = "text", text = "Cost: {fit.loss:.3f}", at = [6, -2], size = 16, color = "r" },
]
"""

# Overrides that make specs/linreg.toml render in a second or two.
FAST = ("sources.fit.epochs=40", "scene.dpi=50")


def replace_once(text: str, old: str, new: str) -> str:
    """`text` with its single occurrence of `old` replaced (fails loudly if `old` is not unique)."""
    count = text.count(old)
    assert count == 1, f"{old!r} occurs {count} times in the spec text"
    return text.replace(old, new)


def spec_variant(*replacements: tuple[str, str], base: str = SPEC) -> str:
    """`base` with each (old, new) replacement applied once."""
    text = base
    for old, new in replacements:
        text = replace_once(text, old, new)
    return text


def write_spec(folder: Path, text: str, name: str = "spec.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    """1-based number of the only line of `text` containing `needle`."""
    lines = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(lines) == 1, f"{needle!r} is on lines {lines}, expected exactly one"
    return lines[0]


def run_cli(args: Sequence[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m scenespec ARGS` in `cwd`, capturing text output."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return subprocess.run(
        [sys.executable, "-m", "scenespec", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_cli_many(runs: Sequence[tuple[Sequence[str], Path]]) -> list[subprocess.CompletedProcess[str]]:
    """Several independent `run_cli` calls at once (one per CPU), results in the order given."""
    with ThreadPoolExecutor(max_workers=max(os.cpu_count() or 1, 2)) as pool:
        return list(pool.map(lambda run: run_cli(*run), runs))


def assert_located(error: SpecError, spec: Path, line: int, key: str, *fragments: str) -> Problem:
    """One problem, printed as `spec:line: key: ...`, containing every fragment; returns it."""
    text = str(error)
    assert len(error.problems) == 1, text
    problem = error.problems[0]
    assert (problem.file, problem.line, format_path(problem.path)) == (str(spec), line, key), text
    assert text.startswith(f"{spec}:{line}: {key}: "), text
    for fragment in fragments:
        assert fragment in text, text
    return problem


MOVING_STEPS = np.array([0, 2, 3, 7, 12])
MOVING_POINTS = 12  # points of the vector fields
GRID_X, GRID_Y = np.meshgrid(np.linspace(-2, 2, 9), np.linspace(-1, 1, 5))  # a 5 × 9 grid


def moving_trace(path: Path) -> dict[str, np.ndarray]:
    """A trace in which every stepped field moves, saved to `path` (a `kind = "trace"` source reads it);
    returns its arrays by field name."""
    rng = np.random.default_rng(11)
    k, n = len(MOVING_STEPS), MOVING_POINTS
    ramp = np.linspace(0.5, 1.5, k)  # one factor per step
    slope, tilt, shift = ramp, rng.uniform(-0.3, 0.3, k), rng.uniform(-0.3, 0.3, k)
    static = {"ex": np.linspace(-2, 2, n), "X": GRID_X, "Y": GRID_Y, "names": np.array(["first", "second"])}
    static |= {"cls": np.arange(n) % 3, "thumbs": np.linspace(0, 1, n * 16).reshape(n, 4, 4)}  # labels, images
    stepped = {
        "px": rng.normal(size=(k, n)),
        "py": rng.normal(size=(k, n)),
        "pred": rng.normal(size=(k, n)),
        "spread": rng.uniform(0.1, 1.0, (k, n)),
        "loss": np.sort(rng.uniform(0.1, 5.0, k))[::-1].copy(),
        # a plane a·x + b·y + c: its contour lines are straight, so every vertex is exactly on a known line
        "plane": slope[:, None, None] * GRID_X + tilt[:, None, None] * GRID_Y + shift[:, None, None],
        "hill": ramp[:, None, None] * (GRID_X**2 + GRID_Y**2) + rng.normal(0, 0.1, (k, *GRID_X.shape)),
        "qx": rng.uniform(-2, 2, (k, 6)),
        "qy": rng.uniform(-1, 1, (k, 6)),
        "qu": rng.normal(size=(k, 6)),
        "qv": rng.normal(size=(k, 6)),
        "rx": np.cumsum(rng.normal(size=(k, 2)), axis=0),
        "ry": np.cumsum(rng.normal(size=(k, 2)), axis=0),
        "emb": rng.normal(size=(k, n, 2)),  # a projected embedding: (n, 2) points per step
    }
    Trace(steps=MOVING_STEPS, static=static, stepped=stepped).save(path)
    return static | stepped


def moving_spec(*panels: list[str]) -> str:
    """A scene over the moving trace (source `run`, file `run.npz` beside the spec), every step a frame, one
    panel per list of inline-table layers."""
    text = '[scene]\nsize = [4.0, 3.0]\ndpi = 40\n\n[sources.run]\nkind = "trace"\npath = "run.npz"\n'
    text += '\n[frames]\nsource = "run"\nsteps = "all"\n'
    for layers in panels:
        text += "\n[[panels]]\nlayers = [\n" + "".join(f"  {layer},\n" for layer in layers) + "]\n"
    return text
