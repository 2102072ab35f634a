"""Training logs as sources: `csv`, `jsonl` and `tensorboard` read the numbers the test writes, exactly.

Every log is written here, in tmp_path: CSV and JSON Lines as text, TensorBoard event files with torch's
`SummaryWriter` (read back by TensorBoard's own reader). Values are chosen exact in float32 (halves, quarters),
the precision TensorBoard stores, so that every comparison is exact.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from helpers import REPO, assert_located, line_of, run_cli, write_spec

from scenespec.errors import SpecError
from scenespec.pipeline import Prepared, build, load_and_validate, prepare, scene_style
from scenespec.resolve.cache import cache_key
from scenespec.resolve.resolve import context
from scenespec.sources.csvlog import CsvLogSource
from scenespec.validate.base import field_name

SPEC = """\
[scene]
size = [4.0, 3.0]
dpi = 40

[sources.log]
kind = "{kind}"
path = "{path}"
{extra}
[frames]
steps = "all"

[[panels]]
layers = [{layers}]
"""


def log_spec(tmp_path: Path, kind: str, path: str, extra: str = "", layers: str = "") -> Path:
    layers = layers or '{ kind = "metric", y = "log.loss" }'
    text = SPEC.format(kind=kind, path=path, extra=extra, layers=layers)
    return write_spec(tmp_path, text)


def trace_of(spec: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    prepared = prepare(spec)
    trace = prepared.traces["log"]
    return np.asarray(trace.field(trace.names[0]).steps), {name: trace.field(name).data for name in trace.names}


def spec_error(spec: Path) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_and_validate(spec)
    return info.value


def metric_lines(prepared: Prepared) -> list[list[np.ndarray]]:
    """For each frame, the y data of each metric layer's curve once the frame is shown."""
    with scene_style(prepared.scene):
        graph = build(prepared)
        painters = [node.painter for node in graph.layers if node.painter.spec.kind == "metric"]
        shown = []
        for frame in prepared.frames:
            graph.show(frame)
            shown.append([np.asarray(painter.artists[0].get_ydata(), dtype=float) for painter in painters])
    return shown


# --- field names ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("original", "name"),
    [
        ("loss/train", "loss_train"),
        ("val loss", "val_loss"),
        ("acc (%)", "acc_"),
        ("epoch", "epoch"),
        ("2nd/loss", "_2nd_loss"),
        ("Loss//val", "Loss_val"),
        ("", "_"),
        ("précision", "pr_cision"),
    ],
)
def test_field_names_of_columns_keys_and_tags(original: str, name: str) -> None:
    assert field_name(original) == name


# --- csv ------------------------------------------------------------------------------------------------------

CSV_LOG = """\
epoch,train loss,val_loss,phase,lr
1,2.5,,warmup,0.1
2,1.25,1.5,warmup,0.1
3,0.75,,main,0.05

4,0.5,0.625,main,0.05
"""


def test_csv_numeric_columns_become_stepped_fields(tmp_path: Path) -> None:
    (tmp_path / "log.csv").write_text(CSV_LOG, encoding="utf-8")
    spec = log_spec(tmp_path, "csv", "log.csv", 'step = "epoch"\n', '{ kind = "metric", y = "log.train_loss" }')
    steps, fields = trace_of(spec)
    np.testing.assert_array_equal(steps, [1, 2, 3, 4])
    assert sorted(fields) == ["epoch", "lr", "train_loss", "val_loss"]  # `phase` holds text: left out
    np.testing.assert_array_equal(fields["train_loss"], [2.5, 1.25, 0.75, 0.5])
    np.testing.assert_array_equal(fields["val_loss"], [np.nan, 1.5, np.nan, 0.625])  # empty cells: NaN
    np.testing.assert_array_equal(fields["lr"], [0.1, 0.1, 0.05, 0.05])
    np.testing.assert_array_equal(fields["epoch"], [1, 2, 3, 4])


def test_csv_step_column_defaults_to_step(tmp_path: Path) -> None:
    (tmp_path / "log.csv").write_text("step,loss\n0,1.5\n10,0.5\n20,0.25\n", encoding="utf-8")
    steps, fields = trace_of(log_spec(tmp_path, "csv", "log.csv"))
    np.testing.assert_array_equal(steps, [0, 10, 20])
    np.testing.assert_array_equal(fields["loss"], [1.5, 0.5, 0.25])


def test_csv_next_to_a_trainer_with_csv_data(tmp_path: Path) -> None:
    """`sources.X.kind = "csv"` (a log) and a trainer's `data = { kind = "csv" }` are two unions: both validate."""
    (tmp_path / "log.csv").write_text("step,loss\n0,1.5\n1,0.5\n", encoding="utf-8")
    (tmp_path / "points.csv").write_text("x,y\n0,1\n1,3\n2,5\n", encoding="utf-8")
    text = SPEC.format(kind="csv", path="log.csv", extra="", layers='{ kind = "metric", y = "log.loss" }')
    text += """
[sources.fit]
kind = "trainer"
model = "linear"
data = { kind = "csv", path = "points.csv" }
epochs = 2

[[panels]]
layers = [{ kind = "scatter", x = "fit.x", y = "fit.y" }]
"""
    _, scene = load_and_validate(write_spec(tmp_path, text))
    assert type(scene.sources["log"]) is CsvLogSource
    assert scene.sources["fit"].data.kind == "csv"


@pytest.mark.parametrize(
    ("log", "extra", "key", "fragments"),
    [
        ("epochs,loss\n1,2\n", 'step = "epoch"\n', "step", ["has no column 'epoch'; did you mean 'epochs'?"]),
        ("Step,loss\n1,2\n", "", "default", ["has no column 'step'; did you mean 'Step'? (columns: Step, loss)"]),
        ("step,loss\n1,2\n2,abc\n3,1\n", "", "path", ["log.csv:3: column 'loss': not a number: 'abc'"]),
        ("step,loss\n1,2\n3,1\n2,1\n", "", "path", ["log.csv:4: step 2 after step 3", "strictly increasing"]),
        ("step,loss\n1,2\n1,1\n", "", "path", ["log.csv:3: step 1 after step 1"]),
        ("step,loss\n1.5,2\n", "", "path", ["log.csv:2: step column 'step' holds 1.5, not a whole number"]),
        ("step,loss\n1,2\n,1\n", "", "path", ["log.csv:3: no step"]),
        ("step,loss\n", "", "path", ["log.csv has a header row and no rows: the log is empty"]),
        ("", "", "path", ["log.csv is empty"]),
        ("step,loss\n1,inf\n", "", "path", ["log.csv:2: column 'loss': not a finite number: 'inf'"]),
        ("step,loss\n1,2,3\n", "", "path", ["log.csv:2: 3 cells, and the header names 2 columns"]),
        ("step,val loss,val_loss\n1,2,3\n", "", "path", ["'val loss' and 'val_loss' both become field 'val_loss'"]),
        ("step,loss,loss\n1,2,3\n", "", "path", ["column 'loss' appears twice"]),
    ],
)
def test_csv_errors_are_located(tmp_path: Path, log: str, extra: str, key: str, fragments: list[str]) -> None:
    (tmp_path / "log.csv").write_text(log, encoding="utf-8")
    spec = log_spec(tmp_path, "csv", "log.csv", extra)
    # a `step` left to its default is placed at its table
    needle = {"step": 'step = "epoch"', "default": "[sources.log]", "path": 'path = "log.csv"'}[key]
    text = spec.read_text(encoding="utf-8")
    key = "step" if key == "default" else key
    assert_located(spec_error(spec), spec, line_of(text, needle), f"sources.log.{key}", *fragments)


def test_csv_missing_file_is_located(tmp_path: Path) -> None:
    spec = log_spec(tmp_path, "csv", "missing.csv")
    line = line_of(spec.read_text(encoding="utf-8"), 'path = "missing.csv"')
    assert_located(spec_error(spec), spec, line, "sources.log.path", "cannot read", "No such file")


def test_a_missing_field_lists_the_names_the_log_gave(tmp_path: Path) -> None:
    (tmp_path / "log.csv").write_text(CSV_LOG, encoding="utf-8")
    spec = log_spec(tmp_path, "csv", "log.csv", 'step = "epoch"\n', '{ kind = "metric", y = "log.train_los" }')
    line = line_of(spec.read_text(encoding="utf-8"), "layers = [")
    assert_located(
        spec_error(spec),
        spec,
        line,
        "panels[0].layers[0].y",
        "no field 'train_los'; did you mean 'train_loss'?",
        "(fields: epoch, lr, train_loss (from 'train loss'), val_loss)",
    )


def test_a_binding_written_as_the_tag_suggests_the_field(tmp_path: Path) -> None:
    (tmp_path / "log.csv").write_text("step,loss/train\n1,2\n", encoding="utf-8")
    spec = log_spec(tmp_path, "csv", "log.csv", "", '{ kind = "metric", y = "log.loss/train" }')
    line = line_of(spec.read_text(encoding="utf-8"), "layers = [")
    error = spec_error(spec)
    assert_located(error, spec, line, "panels[0].layers[0].y", "did you mean 'log.loss_train'?")


def test_csv_over_the_trace_budget_is_located(tmp_path: Path) -> None:
    rows = "".join(f"{i},{i / 4}\n" for i in range(100))
    (tmp_path / "log.csv").write_text("step,loss\n" + rows, encoding="utf-8")
    spec = log_spec(tmp_path, "csv", "log.csv", "\n[limits]\nmax_trace_bytes = 1000\n")
    line = line_of(spec.read_text(encoding="utf-8"), 'path = "log.csv"')
    # 100 steps × 2 fields (step, loss) × 8 bytes, and the 100 step numbers: 2400 bytes
    assert_located(spec_error(spec), spec, line, "sources.log.path", "2.4 kB", "limits.max_trace_bytes")


def test_a_log_file_larger_than_the_trace_budget_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = "".join(f"{i},{i / 4}\n" for i in range(100))
    (tmp_path / "log.csv").write_text("step,loss\n" + rows, encoding="utf-8")
    size = (tmp_path / "log.csv").stat().st_size
    spec = log_spec(tmp_path, "csv", "log.csv", "\n[limits]\nmax_trace_bytes = 500\n")
    monkeypatch.setattr(CsvLogSource, "read_input", lambda self, path: pytest.fail("the log was read"))
    line = line_of(spec.read_text(encoding="utf-8"), 'path = "log.csv"')
    assert_located(spec_error(spec), spec, line, "sources.log.path", f"log.csv': {size} bytes", "max_trace_bytes")


def test_the_cli_prints_a_log_error_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "log.csv").write_text("step,loss\n1,2\n2,abc\n", encoding="utf-8")
    spec = log_spec(tmp_path, "csv", "log.csv")
    result = run_cli(["validate", str(spec)], tmp_path)
    assert result.returncode == 2
    line = line_of(spec.read_text(encoding="utf-8"), 'path = "log.csv"')
    assert result.stderr.strip() == (
        f"error: {spec}:{line}: sources.log.path: log.csv:3: column 'loss': not a number: 'abc'"
    )
    assert "Traceback" not in result.stderr


# --- jsonl ----------------------------------------------------------------------------------------------------

JSONL_LOG = """\
{"step": 0, "loss": 2.5, "pred": [0.5, 1.0, 1.5], "note": "start"}
{"step": 5, "loss": 1.25, "pred": [0.25, 0.75, 1.25], "val/loss": 3.5}

{"step": 10, "loss": null, "pred": [0, 0.5, null], "note": "end"}
"""


def test_jsonl_keys_become_stepped_fields(tmp_path: Path) -> None:
    (tmp_path / "log.jsonl").write_text(JSONL_LOG, encoding="utf-8")
    steps, fields = trace_of(log_spec(tmp_path, "jsonl", "log.jsonl"))
    np.testing.assert_array_equal(steps, [0, 5, 10])
    assert sorted(fields) == ["loss", "pred", "step", "val_loss"]  # `note` holds text: left out
    np.testing.assert_array_equal(fields["loss"], [2.5, 1.25, np.nan])
    np.testing.assert_array_equal(fields["pred"], [[0.5, 1.0, 1.5], [0.25, 0.75, 1.25], [0, 0.5, np.nan]])
    np.testing.assert_array_equal(fields["val_loss"], [np.nan, 3.5, np.nan])  # a key left out of a line: NaN


def test_jsonl_step_key_option(tmp_path: Path) -> None:
    (tmp_path / "log.jsonl").write_text('{"epoch": 1, "loss": 0.5}\n{"epoch": 2, "loss": 0.25}\n', encoding="utf-8")
    steps, fields = trace_of(log_spec(tmp_path, "jsonl", "log.jsonl", 'step = "epoch"\n'))
    np.testing.assert_array_equal(steps, [1, 2])
    np.testing.assert_array_equal(fields["loss"], [0.5, 0.25])


@pytest.mark.parametrize("tail", ['{"step": 2, "lo', '{"step": 2, "loss": 0.', "{", '{"step": 2, "loss": 0.75'])
def test_jsonl_torn_last_line_is_ignored(tmp_path: Path, tail: str) -> None:
    """A writer caught mid-append: the last line has no newline and is not JSON yet."""
    text = '{"step": 0, "loss": 0.5}\n{"step": 1, "loss": 0.25}\n' + tail
    (tmp_path / "log.jsonl").write_text(text, encoding="utf-8")
    steps, fields = trace_of(log_spec(tmp_path, "jsonl", "log.jsonl"))
    np.testing.assert_array_equal(steps, [0, 1])
    np.testing.assert_array_equal(fields["loss"], [0.5, 0.25])


def test_jsonl_last_line_without_newline_that_parses_is_kept(tmp_path: Path) -> None:
    (tmp_path / "log.jsonl").write_text('{"step": 0, "loss": 0.5}\n{"step": 1, "loss": 0.25}', encoding="utf-8")
    steps, fields = trace_of(log_spec(tmp_path, "jsonl", "log.jsonl"))
    np.testing.assert_array_equal(steps, [0, 1])
    np.testing.assert_array_equal(fields["loss"], [0.5, 0.25])


@pytest.mark.parametrize(
    ("log", "key", "fragments"),
    [
        (
            '{"step": 0, "loss": 1}\n{"step": 1, "lo\n{"step": 2, "loss": 1}\n',
            "path",
            ["log.jsonl:2: not a line of JSON"],
        ),
        ('{"step": 0, "loss": 1}\n{"step": 1, "lo\n', "path", ["log.jsonl:2: not a line of JSON"]),  # ends a line
        ('{"step": 0}\n[1, 2]\n', "path", ["log.jsonl:2: expected a JSON object {...}, got a list"]),
        ('{"step": 0, "loss": true}\n', "path", ["log.jsonl:1: key 'loss': expected a number", "got true/false"]),
        ('{"step": 0, "loss": {"a": 1}}\n', "path", ["log.jsonl:1: key 'loss': expected a number", "an object"]),
        ('{"step": 0, "p": [1, 2]}\n{"step": 1, "p": [1, 2, 3]}\n', "path", ["log.jsonl:2: key 'p': shape 3"]),
        ('{"step": 0, "p": [[1, 2], [3]]}\n', "path", ["log.jsonl:1: key 'p': a list whose rows have different"]),
        ('{"step": 0, "p": 1}\n{"step": 1, "p": "x"}\n', "path", ["log.jsonl:2: key 'p': text 'x', and numbers"]),
        ('{"step": 0, "p": 1e999}\n', "path", ["log.jsonl:1: key 'p': not a finite number"]),
        ('{"step": 0, "p": ' + "[" * 40 + "]" * 40 + "}\n", "path", ["key 'p': lists nested more than 32"]),
        ('{"step": 0}\n{"loss": 1}\n', "path", ["log.jsonl:2: no step"]),
        ('{"step": 3}\n{"step": 1}\n', "path", ["log.jsonl:2: step 1 after step 3"]),
        ('{"Step": 0, "loss": 1}\n', "default", ["has no key 'step'; did you mean 'Step'? (keys: Step, loss)"]),
        ("", "path", ["log.jsonl has no complete line: the log is empty"]),
        ("\n\n", "path", ["log.jsonl has no complete line: the log is empty"]),
        ('{"step": 0, "lo', "path", ["log.jsonl has no complete line: the log is empty"]),
    ],
)
def test_jsonl_errors_are_located(tmp_path: Path, log: str, key: str, fragments: list[str]) -> None:
    (tmp_path / "log.jsonl").write_text(log, encoding="utf-8")
    spec = log_spec(tmp_path, "jsonl", "log.jsonl")
    needle = {"default": "[sources.log]", "path": 'path = "log.jsonl"'}[key]
    line = line_of(spec.read_text(encoding="utf-8"), needle)
    key = "step" if key == "default" else key
    assert_located(spec_error(spec), spec, line, f"sources.log.{key}", *fragments)


# --- tensorboard ------------------------------------------------------------------------------------------------

RUNS = {
    # run -> tag -> {step: value}; values exact in float32
    "lr_0.1": {"loss/train": {0: 2.5, 1: 1.5, 2: 0.75, 3: 0.5}, "loss/val": {1: 2.0, 3: 1.25}},
    "lr_0.01": {"loss/train": {0: 2.5, 1: 2.25, 2: 2.0}, "loss/val": {2: 2.125}, "lr": {0: 0.5}},
}


def write_events(folder: Path, tags: dict[str, dict[int, float]], new_style: bool = False) -> None:
    """Event files as a PyTorch training loop writes them."""
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(folder))
    for tag, points in tags.items():
        for step, value in points.items():
            writer.add_scalar(tag, value, step, new_style=new_style)
    writer.close()


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    for run, tags in RUNS.items():
        write_events(tmp_path / "tb" / run, tags)
    return tmp_path


@pytest.mark.parametrize("run", list(RUNS))
def test_tensorboard_run_tags_become_fields(runs: Path, run: str) -> None:
    spec = log_spec(runs, "tensorboard", "tb", f'run = "{run}"\n', '{ kind = "metric", y = "log.loss_train" }')
    steps, fields = trace_of(spec)
    tags = RUNS[run]
    expected_steps = sorted({step for points in tags.values() for step in points})  # every tag's steps
    np.testing.assert_array_equal(steps, expected_steps)
    assert sorted(fields) == sorted(field_name(tag) for tag in tags)
    for tag, points in tags.items():
        expected = [points.get(step, np.nan) for step in expected_steps]  # NaN where the tag was not logged
        np.testing.assert_array_equal(fields[field_name(tag)], expected)


@pytest.mark.parametrize("new_style", [False, True])
def test_tensorboard_folder_holding_event_files_needs_no_run(tmp_path: Path, new_style: bool) -> None:
    """Both ways a scalar is written: `simple_value` (torch's default) and a scalar tensor (TF2, Keras)."""
    write_events(tmp_path / "tb", {"loss": {0: 0.5, 2: 0.25}}, new_style=new_style)
    steps, fields = trace_of(log_spec(tmp_path, "tensorboard", "tb"))
    np.testing.assert_array_equal(steps, [0, 2])
    np.testing.assert_array_equal(fields["loss"], [0.5, 0.25])


def test_tensorboard_runs_must_be_chosen(runs: Path) -> None:
    spec = log_spec(runs, "tensorboard", "tb", "", '{ kind = "metric", y = "log.loss_train" }')
    line = line_of(spec.read_text(encoding="utf-8"), 'path = "tb"')
    assert_located(
        spec_error(spec), spec, line, "sources.log.path", "choose a run with `run =`", "(runs: lr_0.01, lr_0.1)"
    )


def test_tensorboard_unknown_run_suggests_one(runs: Path) -> None:
    spec = log_spec(runs, "tensorboard", "tb", 'run = "lr_01"\n', '{ kind = "metric", y = "log.loss_train" }')
    line = line_of(spec.read_text(encoding="utf-8"), 'run = "lr_01"')
    assert_located(
        spec_error(spec),
        spec,
        line,
        "sources.log.run",
        "no run 'lr_01'; did you mean 'lr_0.1'?",
        "(runs: lr_0.01, lr_0.1)",
    )


def test_tensorboard_missing_tag_names_the_tags(runs: Path) -> None:
    spec = log_spec(runs, "tensorboard", "tb", 'run = "lr_0.1"\n', '{ kind = "metric", y = "log.loss_trian" }')
    line = line_of(spec.read_text(encoding="utf-8"), "layers = [")
    assert_located(
        spec_error(spec),
        spec,
        line,
        "panels[0].layers[0].y",
        "no field 'loss_trian'; did you mean 'loss_train'?",
        "(fields: loss_train (from 'loss/train'), loss_val (from 'loss/val'))",
    )


@pytest.mark.parametrize(
    ("make", "fragments"),
    [
        (lambda folder: folder.mkdir(), ["no TensorBoard event files in"]),
        (lambda folder: None, ["no folder"]),
        (lambda folder: folder.write_text("x", encoding="utf-8"), ["is not a folder"]),
    ],
)
def test_tensorboard_without_event_files(tmp_path: Path, make: Callable[[Path], None], fragments: list[str]) -> None:
    make(tmp_path / "tb")
    spec = log_spec(tmp_path, "tensorboard", "tb")
    line = line_of(spec.read_text(encoding="utf-8"), 'path = "tb"')
    assert_located(spec_error(spec), spec, line, "sources.log.path", *fragments)


def test_tensorboard_without_scalars_is_an_empty_log(tmp_path: Path) -> None:
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(tmp_path / "tb"))
    writer.add_histogram("weights", np.arange(5.0), 0)
    writer.close()
    spec = log_spec(tmp_path, "tensorboard", "tb")
    line = line_of(spec.read_text(encoding="utf-8"), 'path = "tb"')
    assert_located(spec_error(spec), spec, line, "sources.log.path", "hold no scalars: the log is empty")


def test_tensorboard_not_installed_is_located_at_kind(runs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for module in [name for name in sys.modules if name == "tensorboard" or name.startswith("tensorboard.")]:
        monkeypatch.setitem(sys.modules, module, None)  # as if not installed: importing it raises ImportError
    spec = log_spec(runs, "tensorboard", "tb", 'run = "lr_0.1"\n', '{ kind = "metric", y = "log.loss_train" }')
    line = line_of(spec.read_text(encoding="utf-8"), 'kind = "tensorboard"')
    assert_located(
        spec_error(spec), spec, line, "sources.log.kind", "needs the tensorboard package", "pip install tensorboard"
    )


# --- reading once, and a changed file -----------------------------------------------------------------------------


def write_csv(folder: Path, losses: list[float]) -> None:
    rows = "".join(f"{step},{loss}\n" for step, loss in enumerate(losses))
    (folder / "log.csv").write_text("step,loss\n" + rows, encoding="utf-8")


def write_jsonl(folder: Path, losses: list[float]) -> None:
    lines = "".join(f'{{"step": {step}, "loss": {loss}}}\n' for step, loss in enumerate(losses))
    (folder / "log.jsonl").write_text(lines, encoding="utf-8")


def write_tensorboard(folder: Path, losses: list[float]) -> None:
    import shutil

    shutil.rmtree(folder / "tb", ignore_errors=True)
    write_events(folder / "tb", {"loss": dict(enumerate(losses))})


WRITERS = {"csv": ("log.csv", write_csv), "jsonl": ("log.jsonl", write_jsonl), "tensorboard": ("tb", write_tensorboard)}


@pytest.mark.parametrize("kind", list(WRITERS))
def test_a_changed_log_is_read_again_and_an_unchanged_one_gives_the_same_trace(
    tmp_path: Path, kind: str, trace_cache: Path
) -> None:
    path, write = WRITERS[kind]
    write(tmp_path, [1.5, 0.5, 0.25])
    spec = log_spec(tmp_path, kind, path)
    first = trace_of(spec)
    again = trace_of(spec)
    np.testing.assert_array_equal(again[0], first[0])
    np.testing.assert_array_equal(again[1]["loss"], first[1]["loss"])
    np.testing.assert_array_equal(first[1]["loss"], [1.5, 0.5, 0.25])
    write(tmp_path, [1.5, 0.5, 0.25, 0.125])  # the training went on
    steps, fields = trace_of(spec)
    np.testing.assert_array_equal(steps, [0, 1, 2, 3])
    np.testing.assert_array_equal(fields["loss"], [1.5, 0.5, 0.25, 0.125])
    assert list(trace_cache.iterdir()) == []  # read from the file each time, never a stale copy


@pytest.mark.parametrize("kind", list(WRITERS))
def test_the_cache_key_follows_the_log_bytes(tmp_path: Path, kind: str) -> None:
    """Should a log source be cached, its key holds the file's bytes: an edited log misses it."""
    path, write = WRITERS[kind]
    write(tmp_path, [1.5, 0.5])
    spec = log_spec(tmp_path, kind, path)

    def key() -> str | None:
        loaded, scene = load_and_validate(spec)
        return cache_key(scene.sources["log"], context("log", loaded))

    before = key()
    assert before is not None and key() == before
    write(tmp_path, [1.5, 0.75])
    assert key() != before


def test_a_render_reads_the_log_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_csv(tmp_path, [1.5, 0.5, 0.25])
    spec = log_spec(tmp_path, "csv", "log.csv")
    reads = 0
    original = CsvLogSource.read_table

    def counting(self: CsvLogSource, ctx: object) -> object:
        nonlocal reads
        reads += 1
        return original(self, ctx)  # type: ignore[arg-type]

    monkeypatch.setattr(CsvLogSource, "read_table", counting)
    prepare(spec)
    assert reads == 1


# --- rendering ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(WRITERS))
def test_a_metric_layer_draws_the_logged_numbers(tmp_path: Path, kind: str) -> None:
    path, write = WRITERS[kind]
    losses = [2.5, 1.5, 0.75, 0.5]
    write(tmp_path, losses)
    shown = metric_lines(prepare(log_spec(tmp_path, kind, path)))
    assert len(shown) == len(losses)
    for index, (line,) in enumerate(shown):
        np.testing.assert_array_equal(line, losses[: index + 1])


def test_a_render_with_gaps_shows_nan_where_nothing_was_logged(tmp_path: Path) -> None:
    (tmp_path / "log.csv").write_text(CSV_LOG, encoding="utf-8")
    layers = '{ kind = "metric", y = "log.train_loss" }, { kind = "metric", y = "log.val_loss" }'
    prepared = prepare(log_spec(tmp_path, "csv", "log.csv", 'step = "epoch"\n', layers))
    train, val = metric_lines(prepared)[-1]
    np.testing.assert_array_equal(train, [2.5, 1.25, 0.75, 0.5])
    np.testing.assert_array_equal(val, [np.nan, 1.5, np.nan, 0.625])
    out = tmp_path / "log.gif"
    result = run_cli(["render", str(tmp_path / "spec.toml"), "-o", str(out), "-q"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:6] == b"GIF89a"


def test_the_shipped_spec_marks_the_best_epoch(tmp_path: Path) -> None:
    """specs/training_log.toml: a metric layer with `line = false` is a dot at the best epoch so far, at the lowest
    validation loss logged up to the frame's epoch."""
    spec = REPO / "specs" / "training_log.toml"
    prepared = prepare(spec)
    rows = np.genfromtxt(REPO / "specs" / "data" / "training_log.csv", delimiter=",", names=True)
    with scene_style(prepared.scene):
        graph = build(prepared)
        train, val, best = [node.painter for node in graph.layers if node.painter.spec.kind == "metric"]
        for frame in prepared.frames[::7]:
            graph.show(frame)
            upto = rows[rows["epoch"] <= frame.step]
            np.testing.assert_array_equal(train.artists[0].get_ydata(), upto["train_loss"])
            np.testing.assert_array_equal(val.artists[1].get_ydata(), upto["val_loss"][-1:])  # the moving dot
            line, dot = best.artists
            assert len(line.get_xdata()) == 0  # no curve, only the dot
            lowest = int(np.argmin(upto["val_loss"]))
            np.testing.assert_array_equal(dot.get_xdata(), [upto["epoch"][lowest]])
            np.testing.assert_array_equal(dot.get_ydata(), [upto["val_loss"][lowest]])


def test_a_metric_with_neither_line_nor_marker_is_refused(tmp_path: Path) -> None:
    write_csv(tmp_path, [1.5, 0.5])
    spec = log_spec(tmp_path, "csv", "log.csv", "", '{ kind = "metric", y = "log.loss", line = false, marker = false }')
    line = line_of(spec.read_text(encoding="utf-8"), "layers = [")
    assert_located(spec_error(spec), spec, line, "panels[0].layers[0]", "draw nothing")


def test_the_gallery_renders_again_when_the_log_changes(tmp_path: Path) -> None:
    write_csv(tmp_path, [1.5, 0.5])
    log_spec(tmp_path, "csv", "log.csv")
    first = run_cli(["gallery", "spec.toml", "-o", "site"], tmp_path)
    again = run_cli(["gallery", "spec.toml", "-o", "site"], tmp_path)
    write_csv(tmp_path, [1.5, 0.5, 0.25])
    grown = run_cli(["gallery", "spec.toml", "-o", "site"], tmp_path)
    assert "rendered spec (2 frames" in first.stdout, first.stdout + first.stderr
    assert "unchanged spec" in again.stdout, again.stdout
    assert "rendered spec (3 frames" in grown.stdout, grown.stdout
