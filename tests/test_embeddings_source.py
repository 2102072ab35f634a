"""Source `embeddings`: a user's own embeddings saved with numpy as one file per checkpoint.

The files are written here with numpy (a synthetic embedding whose classes drift apart over four checkpoints, with
labels and 8×8 thumbnails); the trace must hold exactly what was written, in the order of the steps in the names;
a projection of it must equal the one computed from the arrays directly; `scenespec watch` must see a checkpoint
file appear; every mistake is a located error, and the budget holds before any data is read.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import assert_located, line_of, run_cli, write_spec
from PIL import Image

from scenespec.api import read_spec
from scenespec.errors import SpecError
from scenespec.pipeline import load_and_validate, prepare, render, write_traces
from scenespec.sources._arrayfile import ArrayFile
from scenespec.transform.apply import clear_memo
from scenespec.transform.projection import project
from scenespec.watch.follow import Follower
from scenespec.watch.session import Watch

STEPS = (0, 2, 3, 10)  # written unpadded: by text, epoch_10 would come before epoch_2
N, D, CLASSES = 30, 5, 3
EVENT_WAIT_S = 10.0
"""The longest the watch test waits for a file event (far above what it takes: it is not timed)."""

SPEC = """\
[scene]
size = [3.0, 3.0]
dpi = 40

[sources.run]
kind = "embeddings"
path = "runs/emb/*.npy"
labels = "runs/emb/labels.npy"
images = "runs/emb/images.npy"

[transforms.layout]
kind = "projection"
of = "run.embedding"

[frames]
source = "run"
steps = "all"

[[panels]]
layers = [
  { kind = "embedding", points = "transforms.layout", labels = "run.labels" },
  { kind = "sprites", points = "transforms.layout", images = "run.images", labels = "run.labels", sample = 6 },
]
"""

BARE = """\
[sources.run]
kind = "embeddings"
path = "runs/emb/*.npy"

[transforms.layout]
kind = "projection"
of = "run.embedding"

[[panels]]
layers = [{ kind = "embedding", points = "transforms.layout" }]
"""


def checkpoint(step: int) -> np.ndarray:
    """The embedding at `step`: three classes drifting apart from a common cloud (float32, as a network gives)."""
    rng = np.random.default_rng(step)
    centres = np.eye(CLASSES, D) * 4.0
    labels = np.arange(N) % CLASSES
    apart = step / max(STEPS)
    return (centres[labels] * apart + rng.normal(size=(N, D))).astype(np.float32)


def labels() -> np.ndarray:
    return np.arange(N) % CLASSES


def images() -> np.ndarray:
    return np.random.default_rng(99).integers(0, 256, size=(N, 8, 8)).astype(np.uint8)


def write_run(folder: Path, steps: tuple[int, ...] = STEPS) -> Path:
    """Checkpoints `epoch_<step>.npy`, `labels.npy` and `images.npy` in `folder/runs/emb`; returns that folder."""
    emb = folder / "runs" / "emb"
    emb.mkdir(parents=True, exist_ok=True)
    for step in steps:
        np.save(emb / f"epoch_{step}.npy", checkpoint(step))
    np.save(emb / "labels.npy", labels())
    np.save(emb / "images.npy", images())
    return emb


def traced(spec: Path) -> dict[str, np.ndarray]:
    trace = write_traces(spec, spec.parent / "out.npz").traces["run"]
    return {"steps": trace.steps, **trace.static, **trace.stepped}


def spec_with(folder: Path, *replacements: tuple[str, str]) -> tuple[Path, str]:
    text = SPEC
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    return write_spec(folder, text), text


# --- what it reads ---------------------------------------------------------------------------------------------------


def test_the_trace_is_the_arrays_written_ordered_by_the_step_in_each_name(tmp_path: Path) -> None:
    write_run(tmp_path)
    spec, _ = spec_with(tmp_path)
    trace = traced(spec)
    assert trace["steps"].tolist() == [0, 2, 3, 10]  # by number: 2 < 3 < 10
    assert trace["embedding"].dtype == np.float64 and trace["embedding"].shape == (4, N, D)
    for row, step in enumerate((0, 2, 3, 10)):
        np.testing.assert_array_equal(trace["embedding"][row], checkpoint(step).astype(np.float64))
    assert trace["labels"].dtype == np.int64
    np.testing.assert_array_equal(trace["labels"], labels())
    assert trace["images"].dtype == np.float64
    np.testing.assert_array_equal(trace["images"], images() / 255.0)  # 0..255 whole numbers read as [0, 1]
    assert set(trace) == {"steps", "embedding", "labels", "images"}


def test_the_step_is_the_last_number_of_the_name(tmp_path: Path) -> None:
    emb = tmp_path / "runs" / "emb"
    emb.mkdir(parents=True)
    for name, step in (("run2_epoch_007.npy", 7), ("run2_epoch_012.npy", 12), ("run2_epoch_1.npy", 1)):
        np.save(emb / name, checkpoint(step))
    spec = write_spec(tmp_path, BARE)
    trace = traced(spec)
    assert trace["steps"].tolist() == [1, 7, 12]
    np.testing.assert_array_equal(trace["embedding"][1], checkpoint(7))
    assert set(trace) == {"steps", "embedding"}  # no labels, no images: none given


def test_a_folder_of_npz_files_with_a_key_and_tensorboard_style_labels(tmp_path: Path) -> None:
    emb = tmp_path / "runs" / "emb"
    emb.mkdir(parents=True)
    for step in (5, 1):
        np.savez(emb / f"ckpt-{step}.npz", embedding=checkpoint(step), hidden=checkpoint(step)[:, :2] * 10)
    names = ["cat", "dog", "emu"]
    (emb / "meta.tsv").write_text(
        "index\tlabel\n" + "".join(f"{i}\t{names[label]}\n" for i, label in enumerate(labels()))
    )
    np.save(emb / "images.npy", images() / 255.0)  # already in [0, 1]: kept as it is
    base = (('"runs/emb/*.npy"', '"runs/emb"'), ('"runs/emb/labels.npy"', '"runs/emb/meta.tsv"'))
    spec, _ = spec_with(tmp_path, *base)
    trace = traced(spec)
    assert trace["steps"].tolist() == [1, 5]
    np.testing.assert_array_equal(trace["embedding"][1], checkpoint(5))  # `embedding` of two arrays by default
    assert trace["label_names"].tolist() == names  # text labels: codes into the sorted names
    np.testing.assert_array_equal(trace["labels"], labels())
    np.testing.assert_array_equal(trace["images"], images() / 255.0)
    picked, _ = spec_with(tmp_path, *base, ('kind = "embeddings"', 'kind = "embeddings"\nkey = "hidden"'))
    np.testing.assert_array_equal(traced(picked)["embedding"][0], checkpoint(1)[:, :2] * 10)
    by_column, _ = spec_with(tmp_path, *base, ('kind = "embeddings"', 'kind = "embeddings"\nlabel = "index"'))
    np.testing.assert_array_equal(traced(by_column)["labels"], np.arange(N))


def test_steps_in_name_order_for_names_without_numbers(tmp_path: Path) -> None:
    emb = tmp_path / "runs" / "emb"
    emb.mkdir(parents=True)
    for name, step in (("early.npy", 0), ("late.npy", 3), ("middle.npy", 2)):
        np.save(emb / name, checkpoint(step))
    (emb / "labels.txt").write_text("".join(f"{label}\n" for label in labels()))  # one label per line
    np.save(emb / "images.npy", np.repeat(images()[..., None], 3, axis=3))  # colour thumbnails
    spec, _ = spec_with(
        tmp_path,
        ('kind = "embeddings"', 'kind = "embeddings"\nsteps = "order"'),
        ('"runs/emb/labels.npy"', '"runs/emb/labels.txt"'),
    )
    trace = traced(spec)
    assert trace["steps"].tolist() == [0, 1, 2]
    np.testing.assert_array_equal(trace["embedding"][:, 0, 0], [checkpoint(s)[0, 0] for s in (0, 3, 2)])
    np.testing.assert_array_equal(trace["labels"], labels())
    assert trace["images"].shape == (N, 8, 8, 3)


# --- through the pipeline --------------------------------------------------------------------------------------------


def test_a_projection_of_it_renders_and_equals_the_projection_of_the_arrays(tmp_path: Path) -> None:
    write_run(tmp_path)
    spec, _ = spec_with(tmp_path)
    clear_memo()
    layout = prepare(spec, cache=False).traces["transforms"].field("layout")
    assert layout.steps is not None and layout.steps.tolist() == list(STEPS)
    written = np.stack([checkpoint(step) for step in STEPS]).astype(np.float64)
    np.testing.assert_allclose(layout.data, project(written, "pca", 2), atol=1e-12)
    out = tmp_path / "out.gif"
    render(spec, out=str(out), progress=False, workers=1)
    with Image.open(out) as gif:
        assert gif.size == (120, 120)  # 3 in at 40 dpi
        assert getattr(gif, "n_frames", 1) == len(STEPS)
        colours = {tuple(pixel) for pixel in np.asarray(gif.convert("RGB")).reshape(-1, 3).tolist()}
    assert (31, 119, 180) in colours  # tab10's blue: the points of class 0 are drawn


# --- scenespec watch -------------------------------------------------------------------------------------------------


def test_watch_follows_the_folder_and_takes_each_new_checkpoint(tmp_path: Path) -> None:
    emb = write_run(tmp_path, steps=(0, 1))
    said: list[str] = []
    watch = Watch(read_spec(spec_with(tmp_path)[0]), said.append)
    assert watch.paths == [emb]  # the glob's folder: labels and images are in it
    assert watch.update()
    assert watch.stream is not None and watch.stream.steps.tolist() == [0, 1]
    assert not watch.update()  # nothing new
    follower = Follower(watch.paths)
    follower.start()
    try:
        buffer = io.BytesIO()
        np.save(buffer, checkpoint(2))
        data = buffer.getvalue()
        (emb / "epoch_2.npy").write_bytes(data[: len(data) // 2])  # a writer caught half-way
        assert follower.wait(EVENT_WAIT_S)
        assert not watch.update()
        assert said[-1].startswith("waiting: ") and "sources.run.path" in said[-1] and "bytes of data" in said[-1]
        (emb / "epoch_2.npy").write_bytes(data)
        deadline = time.monotonic() + EVENT_WAIT_S
        while follower.wait(0.3) and time.monotonic() < deadline:
            pass  # the rest of the write's events
        assert watch.update()
    finally:
        follower.stop()
    assert watch.stream.steps.tolist() == [0, 1, 2]
    np.testing.assert_array_equal(watch.stream.snapshot().stepped["embedding"][2], checkpoint(2))
    assert watch.restarts == 0


# --- located errors --------------------------------------------------------------------------------------------------


def save(emb: Path, name: str, values: np.ndarray) -> None:
    np.save(emb / name, values, allow_pickle=values.dtype.hasobject)


CASES = {
    "no file matches": (
        lambda emb: None,
        [('"runs/emb/*.npy"', '"runs/embs/*.npy"')],
        "path",
        ["no file matches 'runs/embs/*.npy' (no folder 'runs/embs')"],
    ),
    "a file of another shape": (
        lambda emb: save(emb, "epoch_3.npy", np.zeros((N - 1, D))),
        [],
        "path",
        ["'runs/emb/epoch_3.npy' holds a 29×5 array, but 'runs/emb/epoch_0.npy' holds 30×5"],
    ),
    "not points by dimensions": (
        lambda emb: save(emb, "epoch_3.npy", np.zeros((N, D, 2))),
        [],
        "path",
        ["'runs/emb/epoch_3.npy' holds a 30×5×2 float64 array: a checkpoint is an (n, d) array"],
    ),
    "labels of another length": (
        lambda emb: save(emb, "labels.npy", labels()[:-2]),
        [],
        "labels",
        ["'runs/emb/labels.npy' holds 28 labels, but each checkpoint holds 30 points"],
    ),
    "labels that are not whole numbers": (
        lambda emb: save(emb, "labels.npy", labels() + 0.5),
        [],
        "labels",
        ["float64 values that are not all whole numbers"],
    ),
    "text in a checkpoint": (
        lambda emb: save(emb, "epoch_3.npy", np.full((N, D), "x")),
        [],
        "path",
        ["'runs/emb/epoch_3.npy' holds <U1 values, not numbers"],
    ),
    "an object array": (
        lambda emb: save(emb, "epoch_3.npy", np.full((N, D), None, dtype=object)),
        [],
        "path",
        ["'runs/emb/epoch_3.npy' cannot be read as a .npy array", "object array (refused"],
    ),
    "a name without a number": (
        lambda emb: save(emb, "final.npy", checkpoint(10)),
        [],
        "path",
        ["'runs/emb/final.npy' has no number in its name", 'steps = "order"'],
    ),
    "two files of one step": (
        lambda emb: save(emb, "epoch_02.npy", checkpoint(2)),
        [],
        "path",
        ["'runs/emb/epoch_02.npy' and 'runs/emb/epoch_2.npy' both hold step 2"],
    ),
    "a key not in the npz": (
        lambda emb: np.savez(emb / "epoch_3.npz", embedding=checkpoint(3), hidden=checkpoint(3)),
        [('"runs/emb/*.npy"', '"runs/emb/*.npz"'), ('kind = "embeddings"', 'kind = "embeddings"\nkey = "hiden"')],
        "key",
        ["'runs/emb/epoch_3.npz' has no array 'hiden'; did you mean 'hidden'?", "(its arrays: embedding, hidden)"],
    ),
    "a key for npy files": (
        lambda emb: None,
        [('kind = "embeddings"', 'kind = "embeddings"\nkey = "hidden"')],
        "key",
        ["`key` names an array of .npz checkpoint files, and 'runs/emb/*.npy' holds .npy files only"],
    ),
    "an npz of several arrays and no key": (
        lambda emb: np.savez(emb / "epoch_3.npz", a=checkpoint(3), b=checkpoint(3)),
        [('"runs/emb/*.npy"', '"runs/emb/*.npz"')],
        "path",
        ["'runs/emb/epoch_3.npz' holds 2 arrays (a, b), none named 'embedding'; name the one to read with `key =`"],
    ),
    "images out of range": (
        lambda emb: save(emb, "images.npy", images().astype(np.float64)),
        [],
        "images",
        ["'runs/emb/images.npy' holds values from 0 to 255: images are values in [0, 1]"],
    ),
    "images of another count": (
        lambda emb: save(emb, "images.npy", images()[:3]),
        [],
        "images",
        ["'runs/emb/images.npy' holds 3 images, but each checkpoint holds 30 points"],
    ),
    "a label column that does not exist": (
        lambda emb: (emb / "labels.npy").rename(emb / "meta.tsv").write_text("label\tname\n" + "1\ta\n" * N),
        [
            ('"runs/emb/labels.npy"', '"runs/emb/meta.tsv"'),
            ('kind = "embeddings"', 'kind = "embeddings"\nlabel = "nme"'),
        ],
        "label",
        ["'runs/emb/meta.tsv' has no column 'nme'; did you mean 'name'?"],
    ),
    "a truncated file": (
        lambda emb: (emb / "epoch_3.npy").write_bytes((emb / "epoch_2.npy").read_bytes()[:200]),
        [],
        "path",
        ["'runs/emb/epoch_3.npy' cannot be read as a .npy array: it declares a 30×5 float32 array (600 bytes)"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_mistakes_are_located(tmp_path: Path, case: str) -> None:
    change, replacements, key, fragments = CASES[case]
    change(write_run(tmp_path))
    spec, text = spec_with(tmp_path, *replacements)
    with pytest.raises(SpecError) as caught:
        load_and_validate(spec)
    needle = {
        "path": "path =",
        "labels": 'labels = "runs',
        "images": 'images = "runs',
        "key": "key =",
        "label": "label =",
    }[key]
    assert_located(caught.value, spec, line_of(text, needle), f"sources.run.{key}", *fragments)


def test_the_cli_says_where_without_a_traceback(tmp_path: Path) -> None:
    save(write_run(tmp_path), "epoch_3.npy", np.zeros((N - 1, D)))
    _, text = spec_with(tmp_path)
    result = run_cli(["trace", "spec.toml", "-o", "out.npz"], cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: spec.toml:{line_of(text, 'path =')}: sources.run.path: "), result.stderr
    assert "Traceback" not in result.stderr


# --- the budget ------------------------------------------------------------------------------------------------------


def test_the_budget_is_held_before_any_data_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """4 checkpoints of 30 × 5, 30 labels and 30 thumbnails of 8 × 8, as float64: 20,432 bytes with the steps."""
    write_run(tmp_path)
    loaded: list[str] = []
    original = ArrayFile.load

    def counted(self: ArrayFile) -> np.ndarray:
        loaded.append(self.shown)
        return original(self)

    monkeypatch.setattr(ArrayFile, "load", counted)
    spec, text = spec_with(tmp_path)
    spec.write_text(text + "\n[limits]\nmax_trace_bytes = 20431\n")
    with pytest.raises(SpecError) as caught:
        load_and_validate(spec)
    assert_located(
        caught.value, spec, line_of(text, "path ="), "sources.run.path", "a trace of about 20.4 kB", "max_trace_bytes"
    )
    assert loaded == []  # refused from the headers alone
    spec.write_text(text + "\n[limits]\nmax_trace_bytes = 20432\n")
    assert traced(spec)["embedding"].shape == (4, N, D)  # exactly the budget: read
    assert len(loaded) == 6  # each file once


def test_a_header_declaring_more_than_the_budget_is_refused_unread(tmp_path: Path) -> None:
    emb = write_run(tmp_path)
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 5), }"
    header += " " * (117 - len(header)) + "\n"
    (emb / "epoch_99.npy").write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode())
    spec, text = spec_with(tmp_path)
    with pytest.raises(SpecError) as caught:
        load_and_validate(spec)
    assert_located(
        caught.value,
        spec,
        line_of(text, "path ="),
        "sources.run.path",
        "'runs/emb/epoch_99.npy' (what its array declares: 1000000000×5 float64): 40.0 GB",
        "max_trace_bytes",
    )
