"""Streaming: a trace that grows step by step, the schedule applied as steps arrive, limits that grow,
and a live render giving the frames of a batch render when limits are fixed."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scenespec
from scenespec.errors import SpecError
from scenespec.resolve.stream import StreamingTrace
from scenespec.schedule import schedule
from scenespec.schedule.incremental import FrameStream
from scenespec.validate.scene import FramesSpec, StepRule

# --- the incremental schedule ------------------------------------------------------------------------------


@st.composite
def step_rules(draw: st.DrawFn) -> StepRule:
    """Valid rules: a `stop` is never before its `start` (validation refuses that)."""
    start = draw(st.none() | st.integers(0, 30))
    stop = draw(st.none() | st.integers(start or 0, 60))
    return StepRule(
        first=draw(st.integers(0, 6)), every=draw(st.integers(1, 9)), start=start, stop=stop, last=draw(st.booleans())
    )


rules = st.one_of(st.just("all"), step_rules())


@settings(max_examples=300, deadline=None)
@given(
    steps=st.lists(st.integers(0, 60), min_size=1, max_size=40, unique=True).map(sorted),
    rule=rules,
    fps=st.sampled_from([5.0, 10.0, 24.0]),
    end_pause=st.sampled_from([0.0, 1.5]),
)
def test_frames_fed_step_by_step_equal_the_batch_schedule(steps, rule, fps, end_pause) -> None:
    spec = FramesSpec(steps=rule, fps=fps, end_pause=end_pause)
    try:
        batch = schedule(spec, np.array(steps), lambda message, path: scenespec.errors.Problem(message, path))
    except SpecError:
        batch = None
    stream = FrameStream(spec)
    streamed = [frame for step in steps for frame in stream.feed(step)]
    try:
        streamed += stream.finish()
    except SpecError:
        assert batch is None
        return
    assert batch is not None
    key = [(f.index, f.step, f.duration_ms, f.elapsed_ms) for f in streamed]
    assert key == [(f.index, f.step, f.duration_ms, f.elapsed_ms) for f in batch]


def test_explicit_steps_that_never_arrive_are_reported() -> None:
    stream = FrameStream(FramesSpec(steps=[0, 5, 7]))
    assert [f.step for s in (0, 5, 6) for f in stream.feed(s)] == [0]
    with pytest.raises(SpecError, match=r"frames\.steps: steps 7 were not recorded"):
        stream.finish()


# --- the streaming trace -----------------------------------------------------------------------------------


def test_readers_see_only_complete_steps_and_listeners_hear_every_append() -> None:
    trace = StreamingTrace(static={"x": np.arange(3.0)}, stepped=["pred", "loss"])
    heard: list[tuple[list[int], bool]] = []
    trace.subscribe(lambda t, steps, closed: heard.append((steps, closed)))
    assert trace.names == ["loss", "pred", "x"] and len(trace.snapshot().steps) == 0
    trace.append(0, pred=np.zeros(3), loss=1.0)
    trace.append(4, pred=np.ones(3), loss=0.5)
    with pytest.raises(ValueError, match=r"missing \['loss'\]"):
        trace.append(5, pred=np.ones(3))
    with pytest.raises(ValueError, match="steps must increase"):
        trace.append(4, pred=np.ones(3), loss=0.1)
    with pytest.raises(ValueError, match=r"shape \(4,\), earlier steps \(3,\)"):
        trace.append(6, pred=np.ones(4), loss=0.1)
    snapshot = trace.snapshot()
    assert snapshot.steps.tolist() == [0, 4]  # the refused steps left nothing behind
    np.testing.assert_array_equal(snapshot.stepped["pred"], [[0, 0, 0], [1, 1, 1]])
    np.testing.assert_array_equal(snapshot.stepped["loss"], [1.0, 0.5])
    trace.close()
    assert heard == [([0], False), ([4], False), ([], True)]
    with pytest.raises(ValueError, match="closed"):
        trace.append(9, pred=np.ones(3), loss=0.1)


def test_a_reader_in_another_thread_never_sees_a_half_written_step() -> None:
    trace = StreamingTrace(stepped=["a", "b"])
    problems: list[str] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            snap = trace.snapshot()
            if not (len(snap.steps) == len(snap.stepped["a"]) == len(snap.stepped["b"])):
                problems.append("lengths differ")
            if len(snap.steps) and not np.array_equal(snap.stepped["a"], snap.steps * 2.0):
                problems.append("values differ")

    reader = threading.Thread(target=read)
    reader.start()
    for step in range(2000):
        trace.append(step, a=step * 2.0, b=-step)
    done.set()
    reader.join()
    assert problems == [] and len(trace) == 2000


# --- live rendering ----------------------------------------------------------------------------------------

X = np.linspace(0, 10, 25)
STEPS = np.arange(0, 31)
SLOPES = 2 * (1 - np.exp(-STEPS / 8))
LOSS = (2 - SLOPES) ** 2 + 0.05


def spec(limits: str = "fixed") -> scenespec.Spec:
    fixed = {"xlim": [0, 10], "ylim": [-2, 22]} if limits == "fixed" else {}
    metric_fixed = {"xlim": [0, 30], "ylim": [0, 4.5]} if limits == "fixed" else {}
    return scenespec.load({
        "scene": {"size": [4.0, 4.0], "dpi": 40},
        "sources": {"run": {"kind": "trainer", "model": "linear", "data": {"kind": "line"}}},  # stands in
        "frames": {"steps": {"first": 3, "every": 5}, "fps": 10, "end_pause": 1.0},
        "panels": [
            {"limits": limits, **fixed, "layers": [
                {"kind": "scatter", "x": "run.x", "y": "run.y", "color": "red"},
                {"kind": "line", "x": "run.x", "y": "run.pred", "label": "model"},
                {"kind": "text", "text": "loss {run.loss:.3f} at {step} ({frame})", "at": [0.05, 0.9],
                 "coords": "axes"},
            ]},
            {"limits": limits, **metric_fixed, "layers": [{"kind": "metric", "y": "run.loss"}]},
        ],
    })  # fmt: skip


def whole_trace() -> scenespec.Trace:
    return scenespec.Trace(
        steps=STEPS, static={"x": X, "y": 2 * X + 1}, stepped={"pred": SLOPES[:, None] * X + 1, "loss": LOSS}
    )


def stream_into(live_spec: scenespec.Spec, **options: object) -> tuple[StreamingTrace, list, object]:
    trace = StreamingTrace(static={"x": X, "y": 2 * X + 1}, stepped=["pred", "loss"])
    drawn: list = []
    live = live_spec.live({"run": trace}, on_frame=lambda frame, rgb: drawn.append((frame, rgb)), **options)
    return trace, drawn, live


def test_a_streamed_trace_gives_the_frames_of_a_batch_render_with_fixed_limits() -> None:
    batch = spec().render(traces={"run": whole_trace()}, workers=1)
    expected = list(batch.frames())
    trace, drawn, _ = stream_into(spec())
    counts = []
    for step, slope, loss in zip(STEPS, SLOPES, LOSS, strict=True):
        trace.append(int(step), pred=slope * X + 1, loss=loss)
        counts.append(len(drawn))
    assert counts[:4] == [0, 1, 2, 2]  # a frame is drawn once the next chosen step shows it was not the last
    trace.close()
    frames = batch.frame_list()
    assert [(f.index, f.step, f.duration_ms) for f, _ in drawn] == [(f.index, f.step, f.duration_ms) for f in frames]
    for (_, rgb), reference in zip(drawn, expected, strict=True):
        np.testing.assert_array_equal(rgb, reference)


def test_grow_limits_widen_as_data_leaves_the_view() -> None:
    trace, drawn, live = stream_into(spec("final"))  # a live render grows `final` panels
    for step, slope, loss in zip(STEPS, SLOPES, LOSS, strict=True):
        trace.append(int(step), pred=slope * X + 1, loss=loss)
    trace.close()
    graph = live.graph
    ax = graph.panels[1].ax
    x_lo, x_hi = ax.get_xlim()
    assert x_lo <= 0 and x_hi >= 30  # the metric's steps reached 30; at the first frame the axis covered step 0
    assert live.engine.backgrounds_drawn > 1  # widening redrew the background
    assert live.engine.backgrounds_drawn < len(drawn)  # but not on every frame: limits widen with a margin
    batch = spec("grow").render(traces={"run": whole_trace()}, workers=1)
    with scenespec.scene_style(batch.spec.scene):
        batch_graph = scenespec.build(batch.prepared)
        first_x = batch_graph.panels[1].ax.get_xlim()
        for frame in batch.frame_list():
            batch_graph.show(frame)
        last_x = batch_graph.panels[1].ax.get_xlim()
    assert first_x[1] < 5 and last_x[1] >= 30  # `grow` in a batch render: the axis follows the data too


def test_a_live_render_writes_its_file_when_the_trace_closes(tmp_path: Path) -> None:
    out = tmp_path / "live.gif"
    out.write_bytes(b"earlier")
    trace, drawn, _ = stream_into(spec(), out=out)
    for step in range(8):
        trace.append(step, pred=SLOPES[step] * X + 1, loss=LOSS[step])
    assert out.read_bytes() == b"earlier"  # nothing replaced before the run ends
    trace.close()
    from PIL import Image

    with Image.open(out) as image:
        assert image.n_frames == len(drawn) == 5  # steps 0, 1, 2, 5 and the last (7)


def test_an_aborted_live_render_keeps_the_earlier_output(tmp_path: Path) -> None:
    out = tmp_path / "live.gif"
    out.write_bytes(b"earlier")
    trace, _, live = stream_into(spec(), out=out)
    trace.append(0, pred=X, loss=1.0)
    trace.append(1, pred=X, loss=1.0)
    live.abort()
    trace.close()
    assert out.read_bytes() == b"earlier" and [p.name for p in tmp_path.iterdir()] == ["live.gif"]


def test_fixed_limits_need_the_limits() -> None:
    data = spec().data
    del data["panels"][1]["ylim"]
    with pytest.raises(SpecError, match=r"panels\[1\]: limits = 'fixed' needs ylim"):
        scenespec.load(data)


def test_a_live_render_needs_a_streaming_timeline() -> None:
    with pytest.raises(SpecError, match=r"frames\.source: a live render follows a StreamingTrace"):
        spec().live({"run": whole_trace()})


# --- one timeline for sources recorded on different grids --------------------------------------------------

TWO_GRIDS = """
[sources.net]
kind = "trainer"
model = "mlp"
data = { kind = "function", target = "linear", n = 300, x = [-3, 3], noise = 0.3, seed = 0 }
network = { hidden = [8], solver = "adam", lr = 0.01 }
batch_size = 32
epochs = 4
record = { every = 3 }
seed = 0

[sources.fit]
kind = "trainer"
model = "linear"
data = { kind = "line", slope = 2.0, intercept = 1.0, n = 30, x = [-3, 3], seed = 1 }
optimizer = { name = "sgd", lr = 0.01 }
epochs = 4

[frames]
source = "net"
key = "epoch"

[[panels]]
xlim = [-3, 3]
ylim = [-10, 10]
limits = "fixed"
layers = [
  { kind = "line", x = "net.eval_x", y = "net.pred" },
  { kind = "line", x = "fit.x", y = "fit.pred" },
  { kind = "text", text = "epoch {step}: batch {net.batch}", at = [0.05, 0.9], coords = "axes" },
]
"""


def test_a_timeline_keyed_by_epoch_lines_up_per_batch_and_per_epoch_sources() -> None:
    spec = scenespec.load(TWO_GRIDS)
    prepared = spec.prepare()
    net = spec.with_values({"frames.key": "step"}).prepare().traces["net"]  # the per-batch record, by batch
    epochs = net.stepped["epoch"]
    assert [f.step for f in prepared.frames] == sorted(set(epochs.tolist())) == [1, 2, 3, 4]  # mlp counts epochs from 1
    with scenespec.scene_style(prepared.scene):
        graph = scenespec.build(prepared)
        lines = [node.painter.artists[0] for node in graph.layers[:2]]
        text = graph.layers[2].painter.artists[0]
        for frame in prepared.frames:
            graph.show(frame)
            row = int(np.flatnonzero(epochs == frame.step)[-1])  # the last batch recorded in that epoch
            np.testing.assert_array_equal(lines[0].get_ydata(), net.stepped["pred"][row])
            fit = prepared.traces["fit"]
            np.testing.assert_array_equal(lines[1].get_ydata(), fit.stepped["pred"][list(fit.steps).index(frame.step)])
            assert text.get_text() == f"epoch {frame.step}: batch {int(net.stepped['batch'][row])}"


def test_a_counter_no_source_records_is_a_located_error() -> None:
    with pytest.raises(SpecError) as error:
        scenespec.load(TWO_GRIDS.replace('key = "epoch"', 'key = "epochs"'))
    line = TWO_GRIDS.splitlines().index('key = "epochs"'.replace("epochs", "epoch")) + 1
    assert str(error.value).startswith(f"<text>:{line}: frames.key: no source records a counter 'epochs' per step; "
                                       "did you mean 'epoch'?")  # fmt: skip
