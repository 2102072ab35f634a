"""The progress line: a phase line while sources run, then frames with a time left that start-up does not skew."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import SPECS
from helpers import SPEC, write_spec

from scenespec.pipeline import given_fields, load_and_validate
from scenespec.render.progress import ESTIMATE_AFTER_FRAMES, ESTIMATE_AFTER_SECONDS, Phase, Progress
from scenespec.resolve.resolve import resolve_sources
from scenespec.steps_done import listening, report

STEP = 1 / 64


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_time_left_ignores_the_start_up_of_the_first_frame() -> None:
    """A 300-frame job whose first frame comes after 3 s of start-up, then one frame every 1/64 s: under 5 s of
    drawing left, not the 900 s an average including the start-up would announce. (1/64 s: exact in binary.)"""
    clock = Clock()
    stream = io.StringIO()
    bar = Progress(300, stream=stream, enabled=True, clock=clock)
    clock.now = 3.0
    bar.advance()
    assert bar.seconds_left(clock.now) is None  # nothing to go on yet
    shown = []
    while bar.done < 300:
        clock.now += STEP
        bar.advance()
        shown.append(bar.seconds_left(clock.now))
    first_estimate = next(i for i, left in enumerate(shown) if left is not None)
    frames_since_first = first_estimate + 1
    assert frames_since_first == max(ESTIMATE_AFTER_FRAMES, round(ESTIMATE_AFTER_SECONDS / STEP))
    assert all(left is None for left in shown[:first_estimate])
    for done, left in enumerate(shown[first_estimate:], start=frames_since_first + 1):
        assert left == pytest.approx(STEP * (300 - done))
    assert "s left" in stream.getvalue() and "900" not in stream.getvalue()


def test_the_bar_line_says_frames_and_only_then_time_left() -> None:
    clock = Clock()
    bar = Progress(10, stream=io.StringIO(), enabled=True, clock=clock)
    for _ in range(2):
        clock.now += 5.0
        bar.advance()
    assert bar.line(clock.now) == "\rrendering [####--------------------] 2/10 frames "
    for _ in range(3):
        clock.now += 5.0
        bar.advance()
    assert bar.line(clock.now) == "\rrendering [############------------] 5/10 frames, 25.0 s left "


def test_not_a_terminal_shows_nothing() -> None:
    stream = io.StringIO()  # isatty() is False
    bar = Progress(3, stream=stream)
    for _ in range(3):
        bar.advance()
    bar.finish()
    with Phase("training fit", stream=stream, delay=0):
        pass
    assert stream.getvalue() == ""


def test_a_phase_spins_while_it_runs_and_clears_its_line() -> None:
    stream = io.StringIO()
    with Phase("training fit", stream=stream, enabled=True, delay=0) as phase:
        deadline = time.monotonic() + 60
        while "training fit" not in stream.getvalue():  # drawn by the phase's thread
            assert time.monotonic() < deadline
            time.sleep(0.01)
    text = stream.getvalue()
    assert phase.drawn
    assert text.startswith("\rtraining fit | ")
    assert text.endswith("\r" + " " * 72 + "\r")  # the line is cleared for what follows


def test_a_phase_does_not_draw_before_its_delay() -> None:
    stream = io.StringIO()
    with Phase("loading data", stream=stream, enabled=True, delay=3600) as phase:
        pass
    assert not phase.drawn and stream.getvalue() == ""


@pytest.mark.parametrize(
    ("spec", "labels"),
    [("fit", ["training fit"]), ("bowl_paths.toml", ["simulating bowl"])],
)
def test_each_source_run_is_a_phase(tmp_path: Path, spec: str, labels: list[str]) -> None:
    path = write_spec(tmp_path, SPEC) if spec == "fit" else SPECS / spec
    loaded, scene = load_and_validate(path)
    seen: list[str] = []

    @contextmanager
    def phase(label: str) -> Iterator[None]:
        seen.append(label)
        yield

    resolve_sources(scene, loaded, given_fields(loaded, scene, {}), list(scene.sources), cache=False, phase=phase)
    assert seen == labels


def test_a_phase_shows_the_steps_its_source_reports() -> None:
    stream = io.StringIO()
    with Phase("training fit", stream=stream, enabled=True, delay=0):
        report(1200, 4000)
        deadline = time.monotonic() + 60
        while "1200/4000" not in stream.getvalue():
            assert time.monotonic() < deadline
            time.sleep(0.01)
    assert "\rtraining fit " in stream.getvalue()
    report(1, 2)  # nobody listens any more: nothing happens


@pytest.mark.parametrize(("spec", "last"), [("fit", (20, 20)), ("bowl_paths.toml", None)])
def test_trainers_and_the_simulator_report_their_steps(tmp_path: Path, spec: str, last: tuple[int, int] | None) -> None:
    path = write_spec(tmp_path, SPEC) if spec == "fit" else SPECS / spec
    loaded, scene = load_and_validate(path)
    seen: list[tuple[int, int]] = []
    with listening(lambda done, total: seen.append((done, total))):
        resolve_sources(scene, loaded, given_fields(loaded, scene, {}), list(scene.sources), cache=False)
    assert seen, "no step reported"
    done, total = seen[-1]
    assert done == total
    if spec == "fit":
        assert seen == [(epoch, 20) for epoch in range(1, 21)]  # SPEC trains 20 epochs
