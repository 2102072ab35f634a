"""Which steps become frames, and for how long."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scenespec.errors import Problem, SpecError
from scenespec.schedule import schedule, select_steps
from scenespec.validate.scene import FramesSpec, StepRule

STEPS = np.arange(501)


def locate(message: str, path: tuple) -> Problem:
    return Problem(message, path, file="spec.toml", line=7)


def test_article_rule_first_ten_then_every_forty_then_the_last() -> None:
    chosen = select_steps(StepRule(first=10, every=40), STEPS)
    article = [e for e in range(501) if e < 10 or e % 40 == 0]
    assert chosen.tolist() == [*article, 500]


def test_all_every_and_explicit_list() -> None:
    assert select_steps("all", STEPS).tolist() == list(range(501))
    assert select_steps(StepRule(every=100, last=False), STEPS).tolist() == [0, 100, 200, 300, 400, 500]
    assert select_steps(StepRule(every=150, last=False), STEPS).tolist() == [0, 150, 300, 450]
    assert select_steps([30, 10, 10, 20], STEPS).tolist() == [10, 20, 30]


def test_start_and_stop_window() -> None:
    chosen = select_steps(StepRule(every=10, start=95, stop=130), STEPS)
    assert chosen.tolist() == [100, 110, 120, 130]


@given(
    first=st.integers(0, 30),
    every=st.integers(1, 60),
    last=st.booleans(),
    n=st.integers(1, 300),
)
def test_rule_properties(first: int, every: int, last: bool, n: int) -> None:
    steps = np.arange(n)
    chosen = select_steps(StepRule(first=first, every=every, last=last), steps)
    assert np.all(np.diff(chosen) > 0)
    assert set(chosen.tolist()) <= set(steps.tolist())
    assert set(range(min(first, n))) <= set(chosen.tolist())
    assert all(s < first or s % every == 0 or (last and s == n - 1) for s in chosen.tolist())
    assert (n - 1 in chosen.tolist()) == (last or (n - 1) % every == 0 or n - 1 < first)


def test_durations_follow_fps_and_the_end_pause_lengthens_the_last_frame() -> None:
    frames = schedule(FramesSpec(fps=5, end_pause=2.0, steps=[0, 1, 2]), STEPS, locate)
    assert [f.duration_ms for f in frames] == [200, 200, 2200]
    assert [(f.index, f.step) for f in frames] == [(0, 0), (1, 1), (2, 2)]


def test_a_still_scene_has_one_frame() -> None:
    assert [f.step for f in schedule(FramesSpec(), None, locate)] == [0]


def test_a_selection_that_selects_nothing_is_located_at_frames_steps() -> None:
    with pytest.raises(SpecError) as info:
        schedule(FramesSpec(steps=StepRule(every=7, start=1, stop=5, last=False)), STEPS, locate)
    problem = info.value.problems[0]
    assert problem.path == ("frames", "steps") and problem.line == 7
    assert "selects no frames" in problem.message and "0..500" in problem.message


def test_unrecorded_explicit_steps_are_named() -> None:
    with pytest.raises(SpecError, match=r"steps 600, 700 are not recorded \(recorded steps: 0\.\.500\)"):
        schedule(FramesSpec(steps=[0, 600, 700]), STEPS, locate)
