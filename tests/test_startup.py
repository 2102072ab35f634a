"""Fast from the first keystroke: what each command imports, and the pieces that replace slow imports or draws.

Import checks run `python -X importtime -m scenespec ...` in a fresh process and read the modules it
imported (one line each on stderr). Replacements are checked against what they replace: PCHIP against
scipy's, nearest palette colours against distances computed here, the adaptive executor's frames against a serial
render's (cached glyphs against matplotlib's own text drawing: tests/test_text_shaping.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import FAST, LINREG
from scipy.interpolate import PchipInterpolator

import scenespec
from scenespec.paint._pchip import pchip
from scenespec.pipeline import prepare
from scenespec.render.engine import rgb_of
from scenespec.render.executors import AdaptiveExecutor, SerialExecutor
from scenespec.render.sinks.gif import nearest

HEAVY = {"matplotlib", "numpy", "pydantic", "scipy"}
"""What `--help` and `--version` must not import: together they take about a second."""

NOT_FOR_LINREG = {"scipy", "sklearn", "torch", "pandas", "jinja2", "dask", "keras", "tensorboard", "watchdog"}
"""Libraries a render of specs/linreg.toml does not use (its spline is PCHIP, computed in numpy)."""


def imported(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run `python -X importtime -m scenespec ARGS`; the top-level packages of every module it imported."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "scenespec", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    names = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in run.stderr.splitlines()
        if line.startswith("import time:")
    }
    names.discard("imported package")  # the header line
    return run, names


@pytest.mark.parametrize("option", ["--help", "--version"])
def test_help_and_version_import_nothing_heavy(option: str, tmp_path: Path) -> None:
    run, names = imported([option], tmp_path)
    assert run.returncode == 0, run.stderr
    assert "scenespec" in names and "argparse" in names  # the report is read: these must be there
    assert names & HEAVY == set()
    if option == "--version":
        assert run.stdout.strip() == f"scenespec {scenespec.__version__}"
    else:
        for command in ("render", "trace", "projector", "validate", "watch", "schema", "gallery", "init"):
            assert f"    {command} " in run.stdout


def test_a_commands_help_still_lists_the_registrys_formats(tmp_path: Path) -> None:
    run, _ = imported(["render", "--help"], tmp_path)
    assert run.returncode == 0, run.stderr
    text = " ".join(run.stdout.split())
    assert "{gif,mp4,png,png-sequence,screen,webm}" in text
    assert "(.gif, .mp4, .png, .webm, a folder for png-sequence)" in text


def test_a_linreg_render_imports_only_what_it_uses(tmp_path: Path) -> None:
    sets = [arg for item in FAST for arg in ("--set", item)]
    run, names = imported(["render", str(LINREG), *sets, "-o", "out.gif", "-q"], tmp_path)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out.gif").stat().st_size > 0
    assert {"matplotlib", "numpy", "PIL"} <= names  # it does draw and encode
    assert names & NOT_FOR_LINREG == set()


def test_the_public_names_are_the_functions_even_after_their_namesake_subpackages_are_imported() -> None:
    # importing these sets the package's attributes `load` and `render` to the subpackages (the import system does)
    import scenespec.load.loader
    import scenespec.render.engine
    from scenespec import api, pipeline
    from scenespec import load as load_function

    assert scenespec.render is pipeline.render
    assert scenespec.load is api.load is load_function
    assert scenespec.Trace.__name__ == "Trace" and "Spec" in dir(scenespec)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = scenespec.nothing  # type: ignore[attr-defined]


@pytest.mark.parametrize("seed", range(12))
def test_pchip_equals_scipys(seed: int) -> None:
    rng = np.random.default_rng(seed)
    count = [2, 3, 4, 7, 30, 200][seed % 6]
    x = np.cumsum(rng.uniform(0.05, 3, count))
    y = rng.normal(size=count) * [1, 1e4, 1e-4][seed % 3]
    if seed % 4 == 1:
        y = np.sort(y)  # monotone: the curve must not overshoot
    if seed % 4 == 2:
        y[count // 2 :] = y[count // 2]  # a flat stretch: slopes 0 there
    at = np.concatenate([np.linspace(x[0], x[-1], 500), x])
    expected = PchipInterpolator(x, y)(at)
    assert np.allclose(pchip(x, y, at), expected, rtol=1e-12, atol=1e-12 * np.abs(y).max())


def test_nearest_palette_colour_is_at_the_smallest_distance() -> None:
    rng = np.random.default_rng(3)
    palette = rng.integers(0, 256, (256, 3)).astype(np.uint8)
    colours = np.concatenate([rng.integers(0, 256, (40_000, 3)), palette[:50]]).astype(np.uint8)
    chosen = nearest(colours, palette)
    distances = ((colours[:, None, :].astype(int) - palette[None, :, :].astype(int)) ** 2).sum(axis=2)
    assert np.array_equal(distances[np.arange(len(colours)), chosen], distances.min(axis=1))
    assert np.array_equal(chosen, distances.argmin(axis=1))  # ties: the first palette entry, as argmin
    assert np.array_equal(chosen[-50:], np.arange(50))


def test_rgb_of_is_the_first_three_channels() -> None:
    rgba = np.random.default_rng(0).integers(0, 256, (37, 53, 4), dtype=np.uint8)
    rgb = rgb_of(rgba)
    assert rgb.shape == (37, 53, 3) and rgb.flags.c_contiguous
    assert np.array_equal(rgb, rgba[:, :, :3])


@pytest.fixture(scope="module")
def linreg_fast():
    return prepare(LINREG, FAST)


def test_frames_are_drawn_here_while_workers_do_not_pay(linreg_fast) -> None:
    recipe, frames = linreg_fast.recipe(), linreg_fast.frames
    adaptive = AdaptiveExecutor(workers=2, pay_after=float("inf"))
    drawn = list(adaptive.frames(recipe, frames))
    assert adaptive.started_workers == 0
    assert adaptive.seconds_per_frame is not None  # it did estimate, after the first frames
    serial = list(SerialExecutor().frames(recipe, frames))
    assert len(drawn) == len(frames) and all(np.array_equal(a, b) for a, b in zip(drawn, serial, strict=True))


def test_workers_forked_mid_render_draw_the_same_frames(linreg_fast) -> None:
    recipe, frames = linreg_fast.recipe(), linreg_fast.frames
    adaptive = AdaptiveExecutor(workers=2, pay_after=0.0)  # any frames left pay for workers
    drawn = list(adaptive.frames(recipe, frames))
    assert adaptive.started_workers == 2
    serial = list(SerialExecutor().frames(recipe, frames))
    assert len(drawn) == len(frames) and all(np.array_equal(a, b) for a, b in zip(drawn, serial, strict=True))


def test_forked_workers_hand_frames_over_in_shared_memory_not_through_the_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    from scenespec.render import executors

    def pickled(frame):  # the forked workers inherit this: a frame sent back through the pipe fails the render
        raise AssertionError("a frame went through the pipe")

    monkeypatch.setattr(executors, "render_frame", pickled)
    prepared = prepare(LINREG, ["sources.fit.epochs=30", 'frames.steps="all"'])
    recipe, frames = prepared.recipe(), prepared.frames
    adaptive = AdaptiveExecutor(workers=2, pay_after=0.0)
    drawn = list(adaptive.frames(recipe, frames))  # kept: each is a copy, not a slot drawn over by later frames
    assert adaptive.started_workers == 2
    assert len(frames) - 1 - executors.PROBE_FRAMES > 2 * executors.IN_FLIGHT_PER_WORKER  # the slots were reused
    serial = list(SerialExecutor().frames(recipe, frames))
    assert len(drawn) == len(frames) and all(np.array_equal(a, b) for a, b in zip(drawn, serial, strict=True))


def test_shared_frames_slots_are_distinct_and_wrap_around() -> None:
    from scenespec.render.executors import SharedFrames

    shared = SharedFrames((2, 3, 3), slots=3)
    try:
        for number in range(3):
            shared.slot(number)[...] = number + 1
        assert [int(shared.slot(number).max()) for number in range(3)] == [1, 2, 3]
        assert np.shares_memory(shared.slot(4), shared.slot(1))  # frame 4 is drawn where frame 1 was
        assert shared.slot(0).shape == (2, 3, 3) and shared.slot(0).dtype == np.uint8
    finally:
        shared.close()


def test_the_decision_weighs_the_time_left_against_the_threshold() -> None:
    adaptive = AdaptiveExecutor(workers=2, pay_after=1.0)
    times = [0.010, 0.012, 0.011, 0.500]  # one slow frame (the machine was busy) does not decide
    assert adaptive._workers_pay(times, 91) is sys.platform.startswith("linux")  # 0.012 (the median) × 91 > 1 s
    assert adaptive.seconds_per_frame == 0.012
    assert adaptive._workers_pay(times, 80) is False  # 0.012 × 80 < 1 s
    assert AdaptiveExecutor(workers=1, pay_after=0.0)._workers_pay(times, 1000) is False
