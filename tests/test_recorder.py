"""scenespec.Recorder: a user's own loop records static and stepped fields, crash-safe on disk or in memory; the
`recording` source reads what is complete; the record rules shared with the built-in trainer pick the steps."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from helpers import assert_located, line_of, write_spec
from PIL import Image

import scenespec
from scenespec.errors import SpecError
from scenespec.pipeline import build, prepare, scene_style
from scenespec.record import EmptyRecording, RecordRule, read_recording
from scenespec.record.layout import NotARecording
from scenespec.training.mlp import MlpSettings, batches_per_epoch, eval_indices, train_mlp

ROOT = Path(__file__).resolve().parent.parent
POINTS = np.arange(5.0)


def loss_at(step: int) -> float:
    return 1.0 / (step + 1)


def pred_at(step: int) -> np.ndarray:
    return step * POINTS


def log_steps(recorder: scenespec.Recorder, steps: range | list[int]) -> None:
    for step in steps:
        recorder.log(step, loss=loss_at(step), pred=pred_at(step))


# --- round trip -----------------------------------------------------------------------------------------------


def test_static_and_stepped_fields_come_back_equal_with_their_dtypes(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=7), rng.normal(size=7).astype(np.float32)
    with scenespec.Recorder(tmp_path / "run") as rec:
        rec.static(x=x, y=y, n=7)
        for step in range(0, 50, 5):
            rec.log(
                step,
                loss=loss_at(step),
                pred=np.float32(step) * y,
                hits=np.arange(3, dtype=np.int16) + step,
                ok=step % 10 == 0,
            )
    trace = read_recording(tmp_path / "run")
    steps = np.arange(0, 50, 5)
    np.testing.assert_array_equal(trace.steps, steps)
    np.testing.assert_array_equal(trace.static["x"], x)
    np.testing.assert_array_equal(trace.static["y"], y)
    assert trace.static["n"] == 7
    np.testing.assert_array_equal(trace.stepped["loss"], 1.0 / (steps + 1))
    np.testing.assert_array_equal(trace.stepped["pred"], steps[:, None].astype(np.float32) * y[None, :])
    np.testing.assert_array_equal(trace.stepped["hits"], np.arange(3)[None, :] + steps[:, None])
    np.testing.assert_array_equal(trace.stepped["ok"], steps % 10 == 0)
    dtypes = {name: trace.stepped[name].dtype for name in trace.stepped}
    assert dtypes == {"loss": np.float64, "pred": np.float32, "hits": np.int16, "ok": np.bool_}
    assert trace.static["y"].dtype == np.float32


def test_memory_and_folder_recorders_give_the_same_trace(tmp_path: Path) -> None:
    on_disk, in_memory = scenespec.Recorder(tmp_path / "run"), scenespec.Recorder()
    for rec in (on_disk, in_memory):
        rec.static(x=POINTS)
        log_steps(rec, range(3, 40, 4))
    first, second = on_disk.trace(), in_memory.trace()  # while still recording
    assert first.steps.tolist() == second.steps.tolist() == list(range(3, 40, 4))
    for name in ("loss", "pred"):
        np.testing.assert_array_equal(first.stepped[name], second.stepped[name])
    np.testing.assert_array_equal(first.static["x"], second.static["x"])
    on_disk.close()
    in_memory.close()


def test_logged_arrays_are_copied_so_later_changes_in_place_do_not_leak(tmp_path: Path) -> None:
    weights = np.zeros(3)
    rec = scenespec.Recorder()
    for step in range(3):
        weights += 1.0  # a training loop updates its arrays in place
        rec.log(step, w=weights)
    np.testing.assert_array_equal(rec.trace().stepped["w"], [[1, 1, 1], [2, 2, 2], [3, 3, 3]])


def test_a_new_recorder_replaces_an_earlier_recording_but_never_other_files(tmp_path: Path) -> None:
    with scenespec.Recorder(tmp_path / "run") as rec:
        log_steps(rec, range(10))
    with scenespec.Recorder(tmp_path / "run") as rec:
        rec.log(0, other=2.0)
    trace = read_recording(tmp_path / "run")
    assert trace.steps.tolist() == [0] and list(trace.stepped) == ["other"]
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="holds no recording"):
        scenespec.Recorder(tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


# --- mistakes ---------------------------------------------------------------------------------------------------


def test_a_later_shape_or_dtype_that_differs_is_an_error_naming_field_step_and_shapes() -> None:
    rec = scenespec.Recorder()
    rec.log(0, pred=np.zeros(3), count=np.int64(1), loss=0.5)
    with pytest.raises(
        ValueError, match=r"field 'pred' at step 1 has shape \(4,\); its first step \(0\) had shape \(3,\)"
    ):
        rec.log(1, pred=np.zeros(4), count=2, loss=0.4)
    with pytest.raises(ValueError, match=r"field 'count' at step 1 holds float64 values; .* dtype as int64"):
        rec.log(1, pred=np.zeros(3), count=2.5, loss=0.4)
    rec.log(1, pred=np.zeros(3), count=2, loss=1)  # an int fits a float field
    trace = rec.trace()
    assert trace.steps.tolist() == [0, 1]  # the refused steps left nothing behind
    assert trace.stepped["loss"].tolist() == [0.5, 1.0] and trace.stepped["loss"].dtype == np.float64


def test_steps_must_increase_and_every_step_logs_the_same_fields() -> None:
    rec = scenespec.Recorder()
    rec.log(5, loss=1.0, pred=np.zeros(2))
    with pytest.raises(ValueError, match="step 5 after step 5: steps must increase"):
        rec.log(5, loss=1.0, pred=np.zeros(2))
    with pytest.raises(ValueError, match="step 3 after step 5"):
        rec.log(3, loss=1.0, pred=np.zeros(2))
    with pytest.raises(ValueError, match=r"step 6: .*missing \['pred'\], unexpected \['acc'\]"):
        rec.log(6, loss=1.0, acc=0.5)
    with pytest.raises(TypeError, match="whole number"):
        rec.log(7.5, loss=1.0, pred=np.zeros(2))  # type: ignore[arg-type]
    assert rec.trace().steps.tolist() == [5]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda rec: rec.log(0, **{"2nd": 1.0}), "'2nd' is not a field name"),
        (lambda rec: rec.static(**{"a-b": POINTS}), "'a-b' is not a field name"),
        (lambda rec: rec.log(0, label="cat"), "a field holds numbers or booleans"),
        (lambda rec: rec.log(0, x=1.0), "'x' is already recorded as a static field"),
        (lambda rec: rec.static(x=POINTS), "'x' is already recorded as a static field"),
        (lambda rec: rec.log(0), "step 0: no field given"),
    ],
)
def test_bad_names_and_values_are_refused(call: Callable[[scenespec.Recorder], object], message: str) -> None:
    rec = scenespec.Recorder()
    rec.static(x=POINTS)
    with pytest.raises(ValueError, match=message):
        call(rec)


def test_a_closed_recorder_takes_no_more_steps(tmp_path: Path) -> None:
    rec = scenespec.Recorder(tmp_path / "run")
    log_steps(rec, [0])
    rec.close()
    rec.close()  # twice does nothing
    with pytest.raises(ValueError, match="the recorder is closed"):
        log_steps(rec, [1])


# --- crash safety -----------------------------------------------------------------------------------------------

WRITER = """
import sys
import time

import numpy as np

import scenespec

rec = scenespec.Recorder(sys.argv[1])
rec.static(x=np.arange(5.0))
step = 0
while True:
    rec.log(step, loss=1.0 / (step + 1), pred=step * np.arange(5.0), count=np.int32(step))
    step += 1
    time.sleep(0.0002)
"""


def complete_steps(folder: Path) -> int:
    try:
        return len(read_recording(folder).steps)
    except (FileNotFoundError, NotARecording, EmptyRecording):
        return 0


def test_after_kill_9_every_completed_step_is_on_disk_with_its_values(tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    folder = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writer = subprocess.Popen([sys.executable, str(script), str(folder)], env=env)
    try:
        seen = 0
        for _ in range(6000):  # a guard against a writer that never starts, not a timing check
            seen = complete_steps(folder)
            if seen >= 300 or writer.poll() is not None:
                break
            time.sleep(0.01)
        assert writer.poll() is None, "the writer stopped by itself"
        assert seen >= 300
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert writer.returncode == -signal.SIGKILL
    trace = read_recording(folder)
    steps = np.arange(len(trace.steps))
    assert len(steps) >= seen
    np.testing.assert_array_equal(trace.steps, steps)
    np.testing.assert_array_equal(trace.stepped["loss"], np.array([1.0 / (s + 1) for s in steps]))
    np.testing.assert_array_equal(trace.stepped["pred"], steps[:, None] * np.arange(5.0)[None, :])
    np.testing.assert_array_equal(trace.stepped["count"], steps.astype(np.int32))
    assert trace.stepped["count"].dtype == np.int32
    np.testing.assert_array_equal(trace.static["x"], np.arange(5.0))


def test_a_torn_tail_is_ignored(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    with scenespec.Recorder(folder) as rec:
        log_steps(rec, range(5))
    # a sixth step whose rows were written but not its number, then a seventh torn mid-write
    with open(folder / "fields" / "pred.bin", "ab") as handle:
        handle.write(pred_at(5).tobytes() + pred_at(6).tobytes()[:13])
    with open(folder / "fields" / "loss.bin", "ab") as handle:
        handle.write(np.float64(loss_at(5)).tobytes() + b"\x01\x02\x03")
    with open(folder / "steps.i64", "ab") as handle:
        handle.write(b"\x05\x00\x00")
    trace = read_recording(folder)
    np.testing.assert_array_equal(trace.steps, np.arange(5))
    np.testing.assert_array_equal(trace.stepped["loss"], [loss_at(s) for s in range(5)])
    np.testing.assert_array_equal(trace.stepped["pred"], [pred_at(s) for s in range(5)])


# --- record rules -----------------------------------------------------------------------------------------------


def kept(rule: RecordRule | None, steps: list[int], losses: list[float] | None = None, **options: bool) -> list[int]:
    rec = scenespec.Recorder(record=rule, **options)  # type: ignore[arg-type]
    for index, step in enumerate(steps):
        rec.log(step, loss=losses[index] if losses else 0.0, pred=pred_at(step))
    rec.close()
    return rec.trace().steps.tolist()


def test_every_n_steps_keeps_the_multiples_the_first_and_the_last() -> None:
    assert kept(RecordRule(every=3), list(range(11))) == [0, 3, 6, 9, 10]
    assert kept(RecordRule(every=4), list(range(1, 11))) == [1, 4, 8, 10]
    assert kept(RecordRule(every=4), list(range(1, 9))) == [1, 4, 8]  # the last was kept anyway
    assert kept(RecordRule(every=4), list(range(1, 11)), keep_last=False) == [1, 4, 8]
    rec = scenespec.Recorder(every=5)
    log_steps(rec, range(12))
    assert rec.trace().steps.tolist() == [0, 5, 10]  # step 11 is held until the end
    rec.close()
    trace = rec.trace()
    assert trace.steps.tolist() == [0, 5, 10, 11]
    np.testing.assert_array_equal(trace.stepped["pred"][-1], pred_at(11))


def test_a_list_or_a_mask_keeps_the_steps_they_name() -> None:
    assert kept(RecordRule(steps=[7, 2, 5]), list(range(10))) == [0, 2, 5, 7, 9]
    mask = [False, False, True, True, False, True]
    assert kept(RecordRule(mask=mask), list(range(8))) == [0, 2, 3, 5, 7]  # 6 is past the mask; 7 is the last


def test_a_relative_change_of_the_loss_keeps_the_steps_where_it_moved_enough() -> None:
    losses = [1.0, 0.95, 0.85, 0.84, 0.70, 0.69, 0.69]
    # kept: 0 (first, 1.0); 0.95 moved 5 % of 1.0; 0.85 moved 15 %: kept; 0.84 moved 1.2 % of 0.85;
    # 0.70 moved 17.6 %: kept; 0.69 moved 1.4 % of 0.70; step 6 is the last
    assert kept(RecordRule(change=0.1), list(range(7)), losses) == [0, 2, 4, 6]
    assert kept(RecordRule(change=0.1), list(range(7)), losses, keep_last=False) == [0, 2, 4]
    rec = scenespec.Recorder(record=RecordRule(change=0.1, field="val"))
    with pytest.raises(ValueError, match="the change rule watches 'val', which this step does not log"):
        rec.log(0, loss=1.0)


def test_rules_take_one_setting() -> None:
    with pytest.raises(ValueError, match="one of every, steps, mask or change; got every and change"):
        RecordRule(every=2, change=0.1)
    with pytest.raises(ValueError, match="at least 1"):
        RecordRule(every=0)
    with pytest.raises(ValueError, match="positive fraction"):
        RecordRule(change=-0.5)
    with pytest.raises(ValueError, match="either every or record"):
        scenespec.Recorder(every=2, record=RecordRule(every=3))


@pytest.mark.parametrize("rule", [RecordRule(every=3), RecordRule(steps=[4, 2, 9]), RecordRule(change=0.02)])
def test_the_trainer_and_the_recorder_keep_the_same_steps(rule: RecordRule) -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(-3, 3, 40)
    y = np.sin(x) + rng.normal(0, 0.1, 40)
    settings = MlpSettings(hidden=(8,), batch=8, epochs=2, lr=0.01)
    run = train_mlp(x, y, settings, rule, eval_indices(x, 10))
    full = train_mlp(x, y, settings, RecordRule(every=1), eval_indices(x, 10))  # the loss after every batch
    total = batches_per_epoch(40, 8) * 2
    assert full.steps.tolist() == list(range(1, total + 1))
    assert kept(rule, full.steps.tolist(), full.loss.tolist()) == run.steps.tolist()


# --- the recording source ---------------------------------------------------------------------------------------

SPEC = """
[sources.fit]
kind = "recording"
path = "runs/fit"

[frames]
steps = "all"

[[panels]]
layers = [
  { kind = "scatter", x = "fit.x", y = "fit.y" },
  { kind = "line", x = "fit.x", y = "fit.pred" },
]
"""


def test_a_recording_source_renders_the_recorded_numbers(tmp_path: Path) -> None:
    with scenespec.Recorder(tmp_path / "runs" / "fit", every=2) as rec:
        rec.static(x=POINTS, y=2 * POINTS)
        log_steps(rec, range(9))
    prepared = prepare(write_spec(tmp_path, SPEC))
    assert [frame.step for frame in prepared.frames] == [0, 2, 4, 6, 8]
    with scene_style(prepared.scene):
        graph = build(prepared)
    line = graph.layers[1].painter.artists[0]
    for frame in prepared.frames:
        graph.show(frame)
        np.testing.assert_array_equal(line.get_xdata(), POINTS)
        np.testing.assert_array_equal(line.get_ydata(), pred_at(frame.step))
    np.testing.assert_array_equal(prepared.traces["fit"].stepped["loss"], [loss_at(s) for s in (0, 2, 4, 6, 8)])


def test_a_recording_still_being_written_is_read_up_to_its_complete_steps(tmp_path: Path) -> None:
    rec = scenespec.Recorder(tmp_path / "runs" / "fit")
    rec.static(x=POINTS, y=2 * POINTS)
    log_steps(rec, range(4))
    spec = scenespec.load(write_spec(tmp_path, SPEC))
    assert len(spec.render()) == 4
    log_steps(rec, range(4, 6))
    assert len(scenespec.load(write_spec(tmp_path, SPEC)).render()) == 6
    rec.close()


def test_a_recording_source_given_in_memory_never_reads_its_folder(tmp_path: Path) -> None:
    spec = scenespec.load(write_spec(tmp_path, SPEC))  # runs/fit does not exist: the run has not begun
    rec = scenespec.Recorder()
    rec.static(x=POINTS, y=2 * POINTS)
    log_steps(rec, range(3))
    animation = spec.render(traces={"fit": rec.trace()})
    assert len(animation) == 3
    np.testing.assert_array_equal(animation.traces["fit"].stepped["pred"], [pred_at(s) for s in range(3)])
    assert not (tmp_path / "runs").exists()
    with pytest.raises(SpecError) as error:  # bindings are still checked against the trace given
        spec.render(traces={"fit": scenespec.Trace(steps=[0], static={"x": POINTS}, stepped={"pred": POINTS[None]})})
    assert "source 'fit' has no field 'y'" in str(error.value)


def test_a_spec_loaded_before_its_run_checks_the_bindings_once_the_run_has_begun(tmp_path: Path) -> None:
    text = SPEC.replace('y = "fit.pred"', 'y = "fit.prediction"')
    spec_file = write_spec(tmp_path, text)
    spec = scenespec.load(spec_file)  # no recording yet: the binding cannot be judged
    with scenespec.Recorder(tmp_path / "runs" / "fit") as rec:
        rec.static(x=POINTS, y=2 * POINTS)
        log_steps(rec, range(3))
    with pytest.raises(SpecError) as error:
        spec.render()
    assert_located(error.value, spec_file, line_of(text, "fit.prediction"), "panels[0].layers[1].y", "no field")


def located(tmp_path: Path, text: str = SPEC) -> tuple[SpecError, Path]:
    spec = write_spec(tmp_path, text)
    with pytest.raises(SpecError) as error:
        prepare(spec)
    return error.value, spec


def test_a_missing_folder_is_a_located_error(tmp_path: Path) -> None:
    error, spec = located(tmp_path)
    assert_located(error, spec, line_of(SPEC, "path ="), "sources.fit.path", "no recording at", "runs/fit")


def test_a_folder_that_is_not_a_recording_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "runs" / "fit").mkdir(parents=True)
    error, spec = located(tmp_path)  # an empty folder is a run that has not begun
    assert_located(error, spec, 4, "sources.fit.path", "the recording", "is empty: the folder is empty")
    (tmp_path / "runs" / "fit" / "loss.csv").write_text("step,loss\n0,1.0\n")
    error, spec = located(tmp_path)
    assert_located(error, spec, 4, "sources.fit.path", "is not a scenespec recording: it has no manifest.json")
    (tmp_path / "runs" / "fit" / "manifest.json").write_text('{"format": "something else"}')
    error, spec = located(tmp_path)
    assert_located(error, spec, 4, "sources.fit.path", "is not a scenespec recording")


def test_an_empty_recording_is_a_located_error(tmp_path: Path) -> None:
    with scenespec.Recorder(tmp_path / "runs" / "fit") as rec:
        rec.static(x=POINTS, y=2 * POINTS)
    error, spec = located(tmp_path)
    assert_located(error, spec, 4, "sources.fit.path", "is empty: no step was recorded")


def test_a_recording_over_the_trace_budget_is_refused_before_it_is_read(tmp_path: Path) -> None:
    with scenespec.Recorder(tmp_path / "runs" / "fit") as rec:
        rec.static(x=POINTS, y=2 * POINTS)
        log_steps(rec, range(100))
    error, spec = located(tmp_path, SPEC + "\n[limits]\nmax_trace_bytes = 2000\n")
    assert_located(error, spec, 4, "sources.fit.path", "max_trace_bytes", "100 recorded steps")


# --- live -------------------------------------------------------------------------------------------------------


def test_a_live_render_draws_from_the_recorders_stream(tmp_path: Path) -> None:
    spec = scenespec.load(write_spec(tmp_path, SPEC.replace('steps = "all"', 'steps = "all"\nsource = "fit"')))
    rec = scenespec.Recorder(tmp_path / "runs" / "fit", every=3)
    rec.static(x=POINTS, y=2 * POINTS)
    drawn: list[int] = []
    live = spec.live({"fit": rec.stream(fields=["loss", "pred"])}, on_frame=lambda frame, rgb: drawn.append(frame.step))
    log_steps(rec, range(8))
    assert drawn == [0, 3]  # a frame is drawn once the next step shows it is not the last
    assert live.graph is not None
    line = live.graph.layers[1].painter.artists[0]
    np.testing.assert_array_equal(line.get_ydata(), pred_at(3))
    rec.close()  # the held last step 7 is written, and the stream closes
    assert drawn == [0, 3, 6, 7]
    np.testing.assert_array_equal(line.get_ydata(), pred_at(7))
    assert live.finished and read_recording(tmp_path / "runs" / "fit").steps.tolist() == [0, 3, 6, 7]


def test_a_stream_made_after_steps_were_logged_holds_them() -> None:
    rec = scenespec.Recorder()
    log_steps(rec, range(3))
    stream = rec.stream()
    log_steps(rec, range(3, 5))
    assert stream.steps.tolist() == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(stream.field("pred").at(4), pred_at(4))
    with pytest.raises(ValueError, match="made for fields"):
        other = scenespec.Recorder()
        other.stream(fields=["loss"])
        other.log(0, acc=1.0)


# --- PyTorch ----------------------------------------------------------------------------------------------------


def test_a_pytorch_loop_records_its_losses(tmp_path: Path) -> None:
    import torch

    def train(rec: scenespec.Recorder | None) -> tuple[list[float], list[np.ndarray]]:
        torch.manual_seed(0)
        x = torch.linspace(-2, 2, 32).unsqueeze(1)
        y = torch.sin(x)
        model = torch.nn.Sequential(torch.nn.Linear(1, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        losses, preds = [], []
        if rec is not None:
            rec.static(x=x.squeeze(1), y=y.squeeze(1))
        for step in range(30):
            optimizer.zero_grad()
            pred = model(x)
            loss = torch.mean((pred - y) ** 2)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            preds.append(pred.detach().squeeze(1).numpy().copy())
            if rec is not None:
                rec.log(step, loss=loss, pred=pred.squeeze(1))  # tensors that require grad
        return losses, preds

    with scenespec.Recorder(tmp_path / "torch", every=5) as rec:
        train(rec)
    losses, preds = train(None)  # the same run again, recorded by nobody
    trace = read_recording(tmp_path / "torch")
    assert trace.steps.tolist() == [0, 5, 10, 15, 20, 25, 29]
    assert trace.stepped["loss"].dtype == np.float32 and trace.stepped["pred"].shape == (7, 32)
    np.testing.assert_array_equal(trace.stepped["loss"], np.float32([losses[s] for s in trace.steps]))
    np.testing.assert_array_equal(trace.stepped["pred"], np.stack([preds[s] for s in trace.steps]))
    np.testing.assert_array_equal(trace.static["x"], torch.linspace(-2, 2, 32).numpy())
    assert len(set(losses)) == 30  # the loss moved at every step: the rows are not all alike


# --- the guide's examples ---------------------------------------------------------------------------------------


def guide_examples() -> list[str]:
    """The Python examples of docs/your-own-training.md's section on the Recorder."""
    text = (ROOT / "docs" / "your-own-training.md").read_text(encoding="utf-8")
    section = text.split("## Recording your own loop", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


@pytest.mark.parametrize("index", range(len(guide_examples())))
def test_the_guides_examples_run_and_write_their_animation(
    index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    exec(compile(guide_examples()[index], f"your-own-training.md example {index + 1}", "exec"), {})
    (gif,) = tmp_path.glob("*.gif")
    assert gif.read_bytes().startswith(b"GIF89a")
    (folder,) = (tmp_path / "runs").iterdir()
    trace = read_recording(folder)
    assert trace.steps[0] == 0 and trace.steps[-1] in (199, 299)  # the first and the last step are always kept


def test_the_readmes_shortest_example_runs_and_records_the_descent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Your own training", 1)[1].split("\n## ", 1)[0]
    (example,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    monkeypatch.chdir(tmp_path)
    exec(compile(example, "README.md's example", "exec"), {})
    with Image.open(tmp_path / "line.gif") as gif:
        assert gif.format == "GIF"
    trace = read_recording(tmp_path / "runs" / "line")
    assert trace.steps.tolist() == [*range(0, 60, 2), 59]
    # The same descent, written out again: w and b after each step, from the same data.
    rng = np.random.default_rng(0)
    x = np.linspace(-1, 1, 50)
    y = 2 * x + 0.5 + rng.normal(0, 0.2, 50)
    w = b = 0.0
    losses = []
    for _ in range(60):
        error = w * x + b - y
        losses.append(float(np.mean(error**2)))
        w, b = w - 0.1 * float(np.mean(2 * error * x)), b - 0.1 * float(np.mean(2 * error))
    np.testing.assert_allclose(trace.stepped["loss"], [losses[s] for s in trace.steps], rtol=1e-12)
