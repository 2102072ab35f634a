"""Tweened frames: the easing table, the in-between frames the schedule makes (batch and step by step), the values a
layer shows on them (per point), the frame budget counting them, and located errors."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from helpers import assert_located, line_of, write_spec
from hypothesis import given, settings
from hypothesis import strategies as st

import scenespec
from scenespec.easing import EASINGS, ease
from scenespec.errors import Problem, SpecError
from scenespec.frame import Frame
from scenespec.pipeline import build, load_and_validate, prepare, scene_style
from scenespec.resolve.stream import StreamingTrace
from scenespec.resolve.trace import Trace, TraceField
from scenespec.schedule import schedule
from scenespec.schedule.incremental import FrameStream
from scenespec.validate.scene import FramesSpec, StepRule


def locate(message: str, path: tuple) -> Problem:
    return Problem(message, path)


# --- easing -------------------------------------------------------------------------------------------------------

HALFWAY = {  # the value at t = 0.5, from each formula written out (Penner's equations)
    "linear": 0.5,
    "quad-in": 0.25,
    "quad-out": 0.75,
    "quad-in-out": 0.5,
    "cubic-in": 0.125,
    "cubic-out": 0.875,
    "cubic-in-out": 0.5,
    "sine-in": 1 - math.cos(math.pi / 4),
    "sine-out": math.sin(math.pi / 4),
    "sine-in-out": 0.5,
    "expo-in": 2 ** (10 * (0.5 - 1)),  # Penner: 2^(10 (t - 1))
    "expo-out": 1 - 2 ** (-10 * 0.5),  # 1 - 2^(-10 t)
    "expo-in-out": 0.5,
}
QUARTER = {  # t = 0.25
    "linear": 0.25,
    "quad-in": 0.0625,
    "quad-out": 1 - 0.75**2,
    "quad-in-out": 2 * 0.25**2,
    "cubic-in": 0.25**3,
    "cubic-out": 1 - 0.75**3,
    "cubic-in-out": 4 * 0.25**3,
    "sine-in": 1 - math.cos(math.pi / 8),
    "sine-out": math.sin(math.pi / 8),
    "sine-in-out": -(math.cos(math.pi / 4) - 1) / 2,
    "expo-in": 2 ** (10 * (0.25 - 1)),
    "expo-out": 1 - 2 ** (-10 * 0.25),
    "expo-in-out": 2 ** (20 * 0.25 - 10) / 2,  # t < 1/2: 2^(20 t - 10) / 2
}


def test_every_easing_has_a_known_halfway_and_quarter_value() -> None:
    assert set(EASINGS) == set(HALFWAY) == set(QUARTER)


@pytest.mark.parametrize("name", sorted(HALFWAY))
def test_easing_starts_at_0_ends_at_1_and_rises(name: str) -> None:
    assert ease(name, 0.0) == pytest.approx(0.0, abs=1e-15)
    assert ease(name, 1.0) == pytest.approx(1.0, abs=1e-15)
    assert ease(name, 0.5) == pytest.approx(HALFWAY[name], rel=1e-12)
    assert ease(name, 0.25) == pytest.approx(QUARTER[name], rel=1e-12)
    values = [ease(name, t) for t in np.linspace(0, 1, 1001)]
    assert all(b > a for a, b in itertools.pairwise(values)), "strictly increasing"
    assert ease(name, -0.5) == ease(name, 0.0) and ease(name, 1.5) == ease(name, 1.0)  # clipped to [0, 1]


def test_in_out_easings_are_symmetric_and_out_mirrors_in() -> None:
    for family in ("quad", "cubic", "sine", "expo"):
        for t in np.linspace(0, 1, 21):
            assert ease(f"{family}-in-out", t) == pytest.approx(1 - ease(f"{family}-in-out", 1 - t), abs=1e-12)
            assert ease(f"{family}-out", t) == pytest.approx(1 - ease(f"{family}-in", 1 - t), abs=1e-12)


def expo_penner(name: str, t: float) -> float:
    """Penner's exponential easings as d3-ease and easings.net write them, with their exact 0 and 1 at the ends."""
    if name == "expo-in":
        return 0.0 if t == 0 else 2 ** (10 * t - 10)
    if name == "expo-out":
        return 1.0 if t == 1 else 1 - 2 ** (-10 * t)
    if t in (0.0, 1.0):
        return t
    return 2 ** (20 * t - 10) / 2 if t < 0.5 else (2 - 2 ** (-20 * t + 10)) / 2


@pytest.mark.parametrize("name", ["expo-in", "expo-out", "expo-in-out"])
def test_expo_easings_follow_penners_formulas_and_end_exactly(name: str) -> None:
    for t in np.linspace(0, 1, 101):
        assert ease(name, float(t)) == pytest.approx(expo_penner(name, float(t)), rel=1e-12, abs=1e-15)
    assert ease(name, 0.0) == 0.0 and ease(name, 1.0) == 1.0  # exactly, not 2^-10 nor 1 - 2^-10
    assert ease("expo-in-out", 0.75) == pytest.approx(1 - 2**-6, rel=1e-12)  # (2 - 2^(-5)) / 2


# --- the schedule -------------------------------------------------------------------------------------------------


def test_tweened_schedule_places_eased_frames_between_the_shown_steps() -> None:
    spec = FramesSpec(steps=[0, 4, 10], fps=5.0, end_pause=1.0, tween={"between": 3, "ease": "quad-in"})
    frames = schedule(spec, np.arange(12), locate)
    assert len(frames) == 3 + 2 * 3 == spec.frame_count(3)
    fractions = [0.25**2, 0.5**2, 0.75**2]
    expected = (
        [(0, 0.0, None)]
        + [(0, 0 + f * 4, 4) for f in fractions]
        + [(4, 4.0, None)]
        + [(4, 4 + f * 6, 10) for f in fractions]
        + [(10, 10.0, None)]
    )
    assert [(f.step, f.position, f.toward) for f in frames] == expected  # binary fractions: exact
    assert [f.index for f in frames] == list(range(9))
    assert all(f.count == 9 for f in frames)
    assert [f.elapsed_ms for f in frames] == [200 * i for i in range(9)]
    assert [f.duration_ms for f in frames] == [200] * 8 + [1200]  # the last shown step holds the end pause


def test_no_tween_and_a_single_step_give_no_in_between_frames() -> None:
    plain = schedule(FramesSpec(steps=[0, 4]), np.arange(5), locate)
    assert [(f.step, f.position, f.toward) for f in plain] == [(0, 0.0, None), (4, 4.0, None)]
    single = schedule(FramesSpec(steps=[3], tween={"between": 5}), np.arange(5), locate)
    assert [(f.step, f.position, f.toward) for f in single] == [(3, 3.0, None)]


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(st.integers(0, 60), min_size=1, max_size=30, unique=True).map(sorted),
    rule=st.one_of(
        st.just("all"),
        st.builds(StepRule, first=st.integers(0, 4), every=st.integers(1, 7), last=st.booleans()),
    ),
    between=st.integers(1, 4),
    name=st.sampled_from(sorted(EASINGS)),
)
def test_tweened_frames_fed_step_by_step_equal_the_batch_schedule(steps, rule, between, name) -> None:
    spec = FramesSpec(steps=rule, fps=10.0, end_pause=0.5, tween={"between": between, "ease": name})
    stream = FrameStream(spec)
    streamed = [frame for step in steps for frame in stream.feed(step)]
    try:
        batch = schedule(spec, np.array(steps), locate)
    except SpecError:  # the rule picks nothing: the stream says so too
        with pytest.raises(SpecError, match="selects no frames"):
            stream.finish()
        return
    streamed += stream.finish()

    def key(frame: Frame) -> tuple:
        return (frame.index, frame.step, frame.duration_ms, frame.elapsed_ms, frame.position, frame.toward)

    assert [key(f) for f in streamed] == [key(f) for f in batch]
    shown = sorted({f.step for f in batch if f.toward is None})
    assert len(batch) == spec.frame_count(len(shown))
    for frame in batch:  # every in-between frame lies strictly between its two shown steps
        if frame.toward is not None:
            assert frame.step < frame.position < frame.toward


# --- start pause and slow motion ----------------------------------------------------------------------------------


def test_the_start_pause_lengthens_the_first_frame_and_delays_every_later_one() -> None:
    spec = FramesSpec(steps=[0, 2, 5], fps=4.0, start_pause=1.5, end_pause=0.5)
    frames = schedule(spec, np.arange(6), locate)
    assert [f.duration_ms for f in frames] == [250 + 1500, 250, 250 + 500]
    assert [f.elapsed_ms for f in frames] == [0, 1750, 2000]
    (alone,) = schedule(FramesSpec(steps=[3], fps=4.0, start_pause=1.0, end_pause=2.0), np.arange(6), locate)
    assert alone.duration_ms == 250 + 1000 + 2000  # a single frame holds both pauses


def test_slow_motion_without_tween_shows_the_frames_of_the_slowed_moves_longer() -> None:
    spec = FramesSpec(fps=10.0, end_pause=1.0, slow=[{"start": 2, "stop": 4, "factor": 3}])
    frames = schedule(spec, np.arange(7), locate)
    # moves 2→3 and 3→4 pass through steps 2..4; 1→2 and 4→5 only touch it
    assert [f.duration_ms for f in frames] == [100, 100, 300, 300, 100, 100, 100 + 1000]
    assert [f.elapsed_ms for f in frames] == [0, 100, 200, 500, 800, 900, 1000]
    assert [f.toward for f in frames] == [None] * 7
    # a move that passes through only part of a stretch is slowed too (shown steps 0, 10, 20: 0→10 crosses 5..8)
    sparse = schedule(FramesSpec(fps=10.0, steps=[0, 10, 20], slow=[{"start": 5, "stop": 8, "factor": 2.5}]),
                      np.arange(21), locate)  # fmt: skip
    assert [f.duration_ms for f in sparse] == [250, 100, 100]


def test_slow_motion_with_tween_adds_in_between_frames_at_the_same_fps() -> None:
    slow = [{"start": 2, "stop": 3, "factor": 3}, {"start": 3, "stop": 5, "factor": 1.5}]
    spec = FramesSpec(fps=10.0, steps=[0, 2, 3, 5], tween={"between": 1}, slow=slow)
    frames = schedule(spec, np.arange(6), locate)
    # 0→2: 2 frames per move (1 in between); 2→3: 3 × 2 = 6 frames (5 in between); 3→5: 1.5 × 2 = 3 (2 in between)
    positions = [f.position for f in frames]
    expected = [0.0, 1.0, 2.0] + [2 + k / 6 for k in range(1, 6)] + [3.0] + [3 + 2 * k / 3 for k in (1, 2)] + [5.0]
    assert positions == pytest.approx(expected, rel=1e-12)
    assert len(frames) == 4 + 1 + 5 + 2 == spec.frame_count([0, 2, 3, 5])
    assert [f.duration_ms for f in frames] == [100] * len(frames)  # smooth: no frame is held longer
    assert [f.step for f in frames] == [0, 0, 2, 2, 2, 2, 2, 2, 3, 3, 3, 5]
    assert [f.toward for f in frames] == [None, 2, None, 3, 3, 3, 3, 3, None, 5, 5, None]
    # eased over the whole slowed move: cubic-in-out at k/6 of the way from 2 to 3
    eased = FramesSpec(fps=10.0, steps=[2, 3], tween={"between": 1, "ease": "cubic-in-out"}, slow=slow)
    inner = [f.position - 2 for f in schedule(eased, np.arange(6), locate)[1:-1]]
    cubic = [4 * (k / 6) ** 3 if k < 3 else 1 - (-2 * k / 6 + 2) ** 3 / 2 for k in range(1, 6)]
    assert inner == pytest.approx(cubic, rel=1e-12)


def test_a_move_spanning_two_touching_stretches_takes_the_slower_factor() -> None:
    spec = FramesSpec(steps=[0, 10], slow=[{"start": 0, "stop": 5, "factor": 2}, {"start": 5, "stop": 10, "factor": 4}])
    assert spec.factor(0, 10) == 4.0 and spec.factor(10, 20) == 1.0
    assert [f.duration_ms for f in schedule(spec, np.arange(11), locate)] == [400, 100]


slow_ranges = st.lists(
    st.tuples(st.integers(0, 50), st.integers(1, 15), st.sampled_from([0.5, 1.5, 2.0, 3.0])), max_size=3
).map(lambda ranges: [{"start": a, "stop": a + n, "factor": f} for a, n, f in ranges])


def apart(ranges: list[dict]) -> list[dict]:
    """The ranges that do not overlap one before them."""
    kept: list[dict] = []
    for r in ranges:
        if all(r["stop"] <= k["start"] or k["stop"] <= r["start"] for k in kept):
            kept.append(r)
    return kept


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    steps=st.lists(st.integers(0, 60), min_size=1, max_size=25, unique=True).map(sorted),
    rule=st.one_of(st.just("all"), st.builds(StepRule, first=st.integers(0, 3), every=st.integers(1, 6))),
    between=st.one_of(st.none(), st.integers(1, 3)),
    slow=slow_ranges,
    start_pause=st.sampled_from([0.0, 0.75, 2.0]),
)
def test_pauses_and_slow_motion_fed_step_by_step_equal_the_batch_schedule(steps, rule, between, slow, start_pause):
    tween = None if between is None else {"between": between, "ease": "sine-in-out"}
    spec = FramesSpec(steps=rule, fps=8.0, start_pause=start_pause, end_pause=0.5, tween=tween, slow=apart(slow))
    stream = FrameStream(spec)
    streamed = [frame for step in steps for frame in stream.feed(step)]
    try:
        batch = schedule(spec, np.array(steps), locate)
    except SpecError:
        return
    streamed += stream.finish()

    def key(frame: Frame) -> tuple:
        return (frame.index, frame.step, frame.duration_ms, frame.elapsed_ms, frame.position, frame.toward)

    assert [key(f) for f in streamed] == [key(f) for f in batch]
    shown = [f.step for f in batch if f.toward is None]
    assert len(batch) == spec.frame_count(shown)
    # the whole animation lasts: every move's time at fps, times its factor, plus the pauses (computed by hand)
    base = 1000 / 8
    moves = sum(
        base * spec.factor(a, b) if between is None else base * max(round((between + 1) * spec.factor(a, b)), 1)
        for a, b in itertools.pairwise(shown)
    )
    total = moves + base + 500 + start_pause * 1000
    assert sum(f.duration_ms for f in batch) == pytest.approx(total, abs=len(shown))  # each frame rounds to 1 ms
    assert [f.elapsed_ms for f in batch] == list(itertools.accumulate([0] + [f.duration_ms for f in batch[:-1]]))


@pytest.mark.parametrize(
    ("slow", "key", "fragment"),
    [
        ("[{ start = 0, stop = 20, factor = 0 }]", "frames.slow[0].factor", "greater than 0"),
        ("[{ start = 0, stop = 20, factor = -2 }]", "frames.slow[0].factor", "greater than 0"),
        ("[{ start = 0, stop = 20, factor = 101 }]", "frames.slow[0].factor", "less than or equal to 100"),
        ("[{ start = 5, stop = 5, factor = 2 }]", "frames.slow[0]", "start = 5 must be before stop = 5"),
        ("[{ start = 9, stop = 3, factor = 2 }]", "frames.slow[0]", "start = 9 must be before stop = 3"),
        (
            "[{ start = 0, stop = 4, factor = 2 }, { start = 6, stop = 9, factor = 2 }, "
            "{ start = 3, stop = 5, factor = 3 }]",
            "frames.slow",
            "slow[0] (steps 0..4) and slow[2] (steps 3..5) overlap",
        ),
        ("[{ start = 0, stop = 4, factor = 2, speed = 2 }]", "frames.slow[0].speed", "unknown key 'speed'"),
    ],
)
def test_a_wrong_slow_motion_is_located(tmp_path: Path, slow: str, key: str, fragment: str) -> None:
    moving_trace(tmp_path / "run.npz")
    text = SPEC.replace("tween = {", f"slow = {slow}\nstart_pause = 1.0\ntween = {{")
    spec = write_spec(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_and_validate(spec)
    assert_located(info.value, spec, line_of(text, "slow ="), key, fragment)


def test_a_negative_start_pause_is_located(tmp_path: Path) -> None:
    moving_trace(tmp_path / "run.npz")
    text = SPEC.replace("tween = {", "start_pause = -1.0\ntween = {")
    spec = write_spec(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_and_validate(spec)
    assert_located(info.value, spec, line_of(text, "start_pause ="), "frames.start_pause", "greater than or equal to 0")


def test_the_frame_budget_counts_slowed_moves_before_anything_runs(tmp_path: Path) -> None:
    moving_trace(tmp_path / "run.npz")
    # steps 0, 3, 9 with 2 in between: 7 frames; the move 3→9 slowed 10 times: 3 × 10 − 1 = 29 in between
    text = SPEC.replace("tween = {", "slow = [{ start = 4, stop = 6, factor = 10 }]\ntween = {")
    text += "\n[limits]\nmax_frames = 33\n"
    spec = write_spec(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_and_validate(spec)
    assert_located(info.value, spec, line_of(text, "steps = [0, 3, 9]"), "frames.steps", "34 frames")
    load_and_validate(write_spec(tmp_path, text.replace("max_frames = 33", "max_frames = 34")))


# --- values on in-between frames ----------------------------------------------------------------------------------


def test_blend_moves_every_point_between_the_two_shown_steps_only() -> None:
    steps = np.array([0, 1, 2, 5])
    data = np.random.default_rng(0).normal(size=(4, 7, 2))  # steps × points × 2: a layout per step
    field = TraceField("layout", data, steps)
    # from step 0 to step 5, three tenths of the way: the rows of steps 1 and 2 in between are not used
    np.testing.assert_allclose(field.blend(0, 5, 1.5), data[0] + 0.3 * (data[3] - data[0]), rtol=1e-13)
    np.testing.assert_array_equal(field.blend(0, 5, 0.0), data[0])
    np.testing.assert_allclose(field.blend(0, 5, 5.0), data[3], rtol=1e-13)
    # interpolation by position alone goes through the recorded rows (step 1.5: halfway between steps 1 and 2)
    np.testing.assert_allclose(field.interpolate(1.5), (data[1] + data[2]) / 2, rtol=1e-13)
    static = TraceField("labels", np.arange(7))
    np.testing.assert_array_equal(static.blend(0, 5, 2.0), np.arange(7))


STEPS = np.array([0, 1, 2, 3, 6, 9])
POINTS = 9

SPEC = """\
[scene]
size = [3.0, 2.0]
dpi = 30

[sources.run]
kind = "trace"
path = "run.npz"

[frames]
steps = [0, 3, 9]
tween = { between = 2, ease = "cubic-in-out" }

[[panels]]
layers = [{ kind = "line", x = "run.x", y = "run.y" }]
"""


def moving_trace(path: Path) -> Trace:
    rng = np.random.default_rng(4)
    trace = Trace(
        steps=STEPS,
        stepped={"x": rng.normal(size=(len(STEPS), POINTS)), "y": rng.normal(size=(len(STEPS), POINTS)) * 5},
    )
    trace.save(path)
    return trace


def test_a_line_layer_moves_each_point_on_the_in_between_frames(tmp_path: Path) -> None:
    trace = moving_trace(tmp_path / "run.npz")
    prepared = prepare(write_spec(tmp_path, SPEC))
    frames = prepared.frames
    assert [(f.step, f.toward) for f in frames] == [(0, None), (0, 3), (0, 3), (3, None), (3, 9), (3, 9), (9, None)]
    row = {int(step): index for index, step in enumerate(STEPS)}
    with scene_style(prepared.scene):
        graph = build(prepared)
        (painter,) = [node.painter for node in graph.layers]
        ax = painter.line.axes
        for frame in frames:
            graph.show(frame)
            before = row[frame.step]
            after = row[frame.toward] if frame.toward is not None else before
            t = 0.0 if frame.toward is None else (frame.position - frame.step) / (frame.toward - frame.step)
            for name, shown in (("x", painter.line.get_xdata()), ("y", painter.line.get_ydata())):
                values = trace.stepped[name]
                expected = values[before] + t * (values[after] - values[before])
                np.testing.assert_allclose(shown, expected, rtol=1e-12, atol=1e-12)
            low, high = ax.get_ylim()  # limits come from the shown steps, and a blend stays within them
            assert low <= painter.line.get_ydata().min() and painter.line.get_ydata().max() <= high
    # the eased fraction: cubic-in-out at 1/3 and 2/3 of the way
    tweens = [f for f in frames if f.toward == 3]
    assert [(f.position - 0) / 3 for f in tweens] == pytest.approx([4 / 27, 1 - 4 / 27])


# --- the budget and errors ----------------------------------------------------------------------------------------


def test_the_frame_budget_counts_in_between_frames_before_anything_runs(tmp_path: Path) -> None:
    moving_trace(tmp_path / "run.npz")
    text = SPEC.replace("between = 2", "between = 600") + "\n[limits]\nmax_frames = 1000\n"
    spec = write_spec(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_and_validate(spec)
    # 3 listed steps and 600 in between each two: 3 + 2 × 600 frames
    assert_located(info.value, spec, line_of(text, "steps = [0, 3, 9]"), "frames.steps", "1,203 frames", "600")
    text = SPEC.replace("between = 2", "between = 400") + "\n[limits]\nmax_frames = 1000\n"
    load_and_validate(write_spec(tmp_path, text))  # 803 frames fit


@pytest.mark.parametrize(
    ("tween", "key", "fragment"),
    [
        ("{ between = 0 }", "frames.tween.between", "greater than or equal to 1"),
        ('{ between = 2, ease = "cubic" }', "frames.tween.ease", "cubic-in-out"),
        ('{ ease = "linear" }', "frames.tween.between", "between"),
        ("{ between = 2, speed = 3 }", "frames.tween.speed", "unknown key 'speed'"),
    ],
)
def test_a_wrong_tween_is_located(tmp_path: Path, tween: str, key: str, fragment: str) -> None:
    moving_trace(tmp_path / "run.npz")
    text = SPEC.replace('{ between = 2, ease = "cubic-in-out" }', tween)
    spec = write_spec(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_and_validate(spec)
    assert_located(info.value, spec, line_of(text, "tween ="), key, fragment)


def test_a_spline_along_frames_keeps_its_knots_and_grows_through_the_in_between_frames(tmp_path: Path) -> None:
    moving_trace(tmp_path / "run.npz")
    layer = '{ kind = "spline", y = "run.loss", along = "frames", method = "linear", samples = 61 }'
    text = SPEC.replace('{ kind = "line", x = "run.x", y = "run.y" }', layer).replace("between = 2", "between = 1")
    text = text.replace('ease = "cubic-in-out"', 'ease = "linear"')
    Trace(steps=STEPS, stepped={"loss": np.array([5.0, 4.0, 3.5, 2.0, 1.5, 1.0])}).save(tmp_path / "run.npz")
    untweened = prepare(write_spec(tmp_path, text.replace('tween = { between = 1, ease = "linear" }\n', "")))
    prepared = prepare(write_spec(tmp_path, text, "tweened.toml"))
    with scene_style(prepared.scene):
        graph, plain = build(prepared), build(untweened)
        (painter,) = [node.painter for node in graph.layers]
        (reference,) = [node.painter for node in plain.layers]
        # the knots are the shown steps' values (0, 3, 9 -> 5, 2, 1), as without tween
        np.testing.assert_array_equal(painter.curve_y, reference.curve_y)
        shown = []
        for frame in prepared.frames:
            graph.show(frame)
            shown.append(len(painter.line.get_xdata()))
        # frames: step 0, halfway to 3, step 3, halfway to 9, step 9 -> knots 0, 0.5, 1, 1.5, 2 of 61 samples (0..2)
        assert shown == [1, 16, 31, 46, 61]
        for frame, expected in zip(untweened.frames, (1, 31, 61), strict=True):
            plain.show(frame)
            assert len(reference.line.get_xdata()) == expected


# --- a live render --------------------------------------------------------------------------------------------------

LIVE_STEPS = np.arange(0, 13)
LIVE_X = np.linspace(0, 10, 8)
LIVE_SLOPES = 2 * (1 - np.exp(-LIVE_STEPS / 4))


def live_spec() -> scenespec.Spec:
    return scenespec.load({
        "scene": {"size": [3.0, 3.0], "dpi": 30},
        "sources": {"run": {"kind": "trainer", "model": "linear", "data": {"kind": "line"}}},  # stands in
        "frames": {"steps": {"first": 2, "every": 4}, "fps": 10, "start_pause": 0.5, "end_pause": 1.0,
                   "tween": {"between": 2, "ease": "expo-in-out"}, "slow": [{"start": 2, "stop": 8, "factor": 2}]},
        "panels": [{"limits": "fixed", "xlim": [0, 10], "ylim": [-2, 22], "layers": [
            {"kind": "scatter", "x": "run.x", "y": "run.pred", "color": "red"},
            {"kind": "line", "x": "run.x", "y": "run.pred"},
            {"kind": "counter", "value": "run.loss"},
        ]}],
    })  # fmt: skip


def test_a_live_render_draws_the_frames_and_pixels_of_the_batch_render() -> None:
    loss = (2 - LIVE_SLOPES) ** 2
    whole = Trace(
        steps=LIVE_STEPS,
        static={"x": LIVE_X, "y": 2 * LIVE_X},
        stepped={"pred": LIVE_SLOPES[:, None] * LIVE_X, "loss": loss},
    )
    batch = live_spec().render(traces={"run": whole}, workers=1)
    frames, pixels = batch.frame_list(), list(batch.frames())
    # shown steps 0, 1, 4, 8, 12: moves 1→4 and 4→8 pass through 2..8 (3 × 2 − 1 = 5 in between), the others 2
    assert [f.step for f in frames if f.toward is None] == [0, 1, 4, 8, 12]
    assert len(frames) == 5 + 2 + 5 + 5 + 2
    assert frames[0].duration_ms == 100 + 500 and frames[-1].duration_ms == 100 + 1000
    trace = StreamingTrace(static={"x": LIVE_X, "y": 2 * LIVE_X}, stepped=["pred", "loss"])
    drawn: list = []
    live_spec().live({"run": trace}, on_frame=lambda frame, rgb: drawn.append((frame, rgb)))
    for step, slope, value in zip(LIVE_STEPS, LIVE_SLOPES, loss, strict=True):
        trace.append(int(step), pred=slope * LIVE_X, loss=value)
    trace.close()

    def key(frame: Frame) -> tuple:
        return (frame.index, frame.step, frame.position, frame.toward, frame.duration_ms, frame.elapsed_ms)

    assert [key(f) for f, _ in drawn] == [key(f) for f in frames]
    for (_, rgb), reference in zip(drawn, pixels, strict=True):
        np.testing.assert_array_equal(rgb, reference)


def test_the_window_waits_each_frames_own_duration_before_the_next(tmp_path: Path) -> None:
    """The screen output's timer: after each frame it draws, it waits that frame's duration (start pause, slow
    motion, end pause), read from the timer's public `interval` after matplotlib's own step."""
    from scenespec.render.sinks.screen import TimedAnimation

    moving_trace(tmp_path / "run.npz")
    text = SPEC.replace('tween = { between = 2, ease = "cubic-in-out" }', "start_pause = 1.5\nend_pause = 2.0\n")
    text = text.replace("[frames]\n", "[frames]\nfps = 5\nslow = [{ start = 3, stop = 9, factor = 2 }]\n")
    prepared = prepare(write_spec(tmp_path, text))
    assert [f.duration_ms for f in prepared.frames] == [200 + 1500, 400, 200 + 2000]
    with scene_style(prepared.scene):
        graph = build(prepared)
        animation = TimedAnimation(graph, prepared.frames, loop=False)
        waits = []
        for _ in prepared.frames:
            assert animation._step()  # draws the next frame, then sets the timer
            waits.append(animation.event_source.interval)
    assert waits == [1700, 400, 2200]


def test_frames_are_counted_against_the_budget_before_they_are_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    moving_trace(tmp_path / "run.npz")  # recorded steps 0, 1, 2, 3, 6, 9: 5 moves
    text = SPEC.replace("steps = [0, 3, 9]", 'steps = "all"\nslow = [{ start = 0, stop = 9, factor = 100 }]')
    text += "\n[limits]\nmax_frames = 1500\n"
    spec = write_spec(tmp_path, text)
    load_and_validate(spec)  # the steps of a file's trace are not known before it is read

    def never(*args: object) -> list[Frame]:
        raise AssertionError("the frames were made before they were counted")

    monkeypatch.setattr(scenespec.pipeline, "schedule", never)
    with pytest.raises(SpecError) as info:
        prepare(spec)
    # every move slowed 100 times: 3 × 100 − 1 = 299 in-between frames each, 6 + 5 × 299 frames
    assert_located(info.value, spec, line_of(text, 'steps = "all"'), "frames.steps", "1,501 frames")
