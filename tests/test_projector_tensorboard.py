"""TensorBoard's projector, out and in, against a real TensorBoard server and a real `add_embedding`.

One log folder holds two runs: `scenespec`, written by `scenespec projector` from a spec over a synthetic embedding
trace, and `torch`, written by `torch.utils.tensorboard.SummaryWriter.add_embedding`. A `tensorboard --logdir`
subprocess (127.0.0.1, a free port) serves them; the test reads the projector plugin's routes (`/runs`, `/info`,
`/tensor`, `/metadata`, `/sprite_image`) and checks what TensorBoard itself makes of the files. The `projector` source
then reads both folders back.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import run_cli, write_spec
from PIL import Image
from torch.utils.tensorboard import SummaryWriter

from scenespec.pipeline import write_traces
from scenespec.resolve.trace import Trace

STEPS = [0, 3, 12]
POINTS, DIMS, SIDE = 45, 10, 8
TORCH_STEPS = [0, 10]
TORCH_POINTS, TORCH_DIMS, TORCH_SIDE = 30, 4, 6
WAIT = 120.0  # seconds TensorBoard may take to start on a busy machine before the test gives up


def embedding_trace() -> Trace:
    """A synthetic trace in the shared embedding layout: stepped embedding and accuracy, static labels and images
    (8×8 in [0, 1], sixteenths as the digits are), and one more per-point field."""
    rng = np.random.default_rng(3)
    return Trace(
        steps=STEPS,
        static={
            "labels": rng.integers(0, 10, POINTS),
            "images": rng.integers(0, 17, (POINTS, SIDE, SIDE)) / 16,
            "weight": rng.uniform(0, 1, POINTS),
        },
        stepped={"embedding": rng.normal(0, 3, (len(STEPS), POINTS, DIMS)), "accuracy": np.array([0.1, 0.6, 0.9])},
    )


SPEC = """\
[sources.digits]
kind = "trace"
path = "digits.npz"

[[panels]]
layers = [{ kind = "line", x = "digits.accuracy", y = "digits.accuracy" }]
"""


@dataclass
class TorchRun:
    mats: list[np.ndarray]
    labels: list[str]
    images: np.ndarray  # (n, 3, h, w) float32, as given to add_embedding


def write_torch_run(folder: Path) -> TorchRun:
    """Two checkpoints written by `add_embedding`, with a two-column metadata header and grey label images."""
    rng = np.random.default_rng(4)
    mats = [rng.normal(size=(TORCH_POINTS, TORCH_DIMS)).astype(np.float32) for _ in TORCH_STEPS]
    classes = rng.integers(0, 3, TORCH_POINTS)
    names = ["cat", "dog", "owl"]
    labels = [names[c] for c in classes]
    grey = rng.integers(0, 5, (TORCH_POINTS, 1, TORCH_SIDE, TORCH_SIDE)).astype(np.float32) / 4
    images = np.repeat(grey, 3, axis=1)
    writer = SummaryWriter(str(folder))
    try:
        for step, mat in zip(TORCH_STEPS, mats, strict=True):
            metadata = [[name, str(int(c))] for name, c in zip(labels, classes, strict=True)]
            writer.add_embedding(
                torch.from_numpy(mat),
                metadata=metadata,
                label_img=torch.from_numpy(images),
                global_step=step,
                metadata_header=["animal", "class"],
            )
    finally:
        writer.close()
    return TorchRun(mats, labels, images)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """A `tensorboard --logdir` subprocess in its own process group, stopped (the whole group) on `stop`."""

    def __init__(self, logdir: Path, log: Path) -> None:
        self.port = free_port()
        self.log = log
        command = [sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir)]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--reload_interval", "1"]
        with open(log, "wb") as output:
            self.process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)

    def get(self, route: str, **query: str) -> bytes:
        url = f"http://127.0.0.1:{self.port}/data/plugin/projector{route}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        with urllib.request.urlopen(url, timeout=30) as response:
            return bytes(response.read())

    def json(self, route: str, **query: str) -> object:
        return json.loads(self.get(route, **query))

    def wait_for_runs(self, expected: set[str]) -> list[str]:
        """Poll /runs until TensorBoard has found `expected` (it loads a logdir in the background)."""
        deadline = time.monotonic() + WAIT
        runs: list[str] = []
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"tensorboard exited with {self.process.returncode}: {self.log.read_text()}")
            try:
                runs = list(self.json("/runs"))  # type: ignore[call-overload]
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                runs = []
            if expected <= set(runs):
                return runs
            time.sleep(0.5)
        raise AssertionError(f"tensorboard found runs {runs}, not {sorted(expected)}: {self.log.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@dataclass
class Served:
    logdir: Path
    trace: Trace
    torch_run: TorchRun
    server: Server
    runs: list[str]
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Both runs written, and a TensorBoard serving them (stopped after the module's tests)."""
    work = tmp_path_factory.mktemp("projector")
    trace = embedding_trace()
    trace.save(work / "digits.npz")
    spec = write_spec(work, SPEC)
    logdir = work / "logs"
    logdir.mkdir()
    result = run_cli(["projector", str(spec), "-o", str(logdir / "scenespec")], cwd=work)
    assert result.returncode == 0, result.stderr
    torch_run = write_torch_run(logdir / "torch")
    server = Server(logdir, work / "tensorboard.log")
    try:
        runs = server.wait_for_runs({"scenespec", "torch"})
        yield Served(logdir, trace, torch_run, server, runs, result.stdout, result.stderr)
    finally:
        server.stop()


def tensor(served: Served, run: str, name: str, shape: tuple[int, int]) -> np.ndarray:
    """/tensor: the raw float32 values, row after row, as the projector's frontend reads them."""
    data = served.server.get("/tensor", run=run, name=name)
    assert len(data) == 4 * shape[0] * shape[1]
    return np.frombuffer(data, dtype="<f4").reshape(shape)


def test_the_command_says_what_it_wrote(served: Served) -> None:
    folder = served.logdir / "scenespec"
    assert served.stdout.splitlines()[0].startswith(
        f"wrote {folder}: source digits, 3 checkpoints (0..12), {POINTS} points × {DIMS} dims, sprite 56×56 px"
    )
    assert served.stderr == ""  # no warning: the sprite fits and the images are there


def test_tensorboard_lists_both_runs(served: Served) -> None:
    """The export is a run of its own (its event file), found under a parent --logdir like add_embedding's."""
    assert sorted(served.runs) == ["scenespec", "torch"]


def test_info_names_every_checkpoint_with_its_shape_and_sprite(served: Served) -> None:
    info = served.server.json("/info", run="scenespec")
    assert isinstance(info, dict)
    embeddings = info["embeddings"]
    assert [e["tensorName"] for e in embeddings] == [f"embedding step {step:05d}" for step in STEPS]
    for embedding in embeddings:
        assert embedding["tensorShape"] == [POINTS, DIMS]
        assert embedding["metadataPath"] == "metadata.tsv"
        assert embedding["sprite"] == {"imagePath": "sprite.png", "singleImageDim": [SIDE, SIDE]}


def test_tensors_hold_the_trace_values_as_float32(served: Served) -> None:
    for row, step in enumerate(STEPS):
        values = tensor(served, "scenespec", f"embedding step {step:05d}", (POINTS, DIMS))
        expected = served.trace.stepped["embedding"][row].astype(np.float32)
        assert np.array_equal(values, expected)


def test_metadata_has_a_header_label_index_and_the_other_point_field(served: Served) -> None:
    text = served.server.get("/metadata", run="scenespec", name="embedding step 00003").decode()
    lines = text.splitlines()
    assert lines[0] == "label\tindex\tweight"
    rows = [line.split("\t") for line in lines[1:]]
    assert len(rows) == POINTS
    assert [int(row[0]) for row in rows] == served.trace.static["labels"].tolist()
    assert [int(row[1]) for row in rows] == list(range(POINTS))
    assert [float(row[2]) for row in rows] == served.trace.static["weight"].tolist()


def test_sprite_holds_each_thumbnail_in_point_order(served: Served) -> None:
    data = served.server.get("/sprite_image", run="scenespec", name="embedding step 00000")
    sprite = np.asarray(Image.open(io.BytesIO(data)))
    columns = 7  # ceil(sqrt(45))
    assert sprite.shape == (columns * SIDE, columns * SIDE)
    images = served.trace.static["images"]
    for i in (0, 6, 7, 44):
        row, column = divmod(i, columns)
        cell = sprite[row * SIDE : (row + 1) * SIDE, column * SIDE : (column + 1) * SIDE]
        assert np.array_equal(cell, np.round(images[i] * 255).astype(np.uint8))
    assert not sprite[6 * SIDE :, 3 * SIDE :].any()  # past the last point: blank


def test_add_embedding_run_as_tensorboard_serves_it(served: Served) -> None:
    """The reference the export is matched with: what TensorBoard makes of torch's own folder."""
    info = served.server.json("/info", run="torch")
    assert isinstance(info, dict)
    names = [e["tensorName"] for e in info["embeddings"]]
    assert names == ["default:00000", "default:00010"]
    for name, mat in zip(names, served.torch_run.mats, strict=True):
        assert np.array_equal(tensor(served, "torch", name, (TORCH_POINTS, TORCH_DIMS)), mat)


def read_with_source(folder: Path, spec_dir: Path, options: str = "") -> Trace:
    """The `projector` source over `folder`, resolved through the pipeline (`scenespec trace`'s code)."""
    spec = write_spec(
        spec_dir,
        f'[sources.tb]\nkind = "projector"\npath = "{folder}"\n{options}\n'
        '[[panels]]\nlayers = [{ kind = "scatter", x = "tb.labels", y = "tb.labels" }]\n',
        "read.toml",
    )
    return write_traces(spec, spec_dir / "read.npz").traces["tb"]


def test_source_reads_add_embedding_folder_back(served: Served, tmp_path: Path) -> None:
    run = served.torch_run
    trace = read_with_source(served.logdir / "torch", tmp_path)
    assert trace.steps.tolist() == TORCH_STEPS  # from the tensor names default:00000, default:00010
    assert np.array_equal(trace.stepped["embedding"], np.stack(run.mats).astype(np.float64))
    names = sorted(set(run.labels))
    assert trace.static["label_names"].tolist() == names  # the first column, text: codes into the names
    assert [names[c] for c in trace.static["labels"]] == run.labels
    assert trace.static["class"].tolist() == [float(names.index(label)) for label in run.labels]
    # torch's sprite is RGB with equal channels: read as grey, each pixel truncated to 8 bits as torch wrote it
    expected = np.uint8((run.images[:, 0] * 255).clip(0, 255)) / 255
    assert trace.static["images"].shape == (TORCH_POINTS, TORCH_SIDE, TORCH_SIDE)
    assert np.array_equal(trace.static["images"], expected)


def test_source_reads_its_own_export_back_as_the_trace(served: Served, tmp_path: Path) -> None:
    original = served.trace
    trace = read_with_source(served.logdir / "scenespec", tmp_path)
    assert trace.steps.tolist() == STEPS
    assert np.array_equal(trace.stepped["embedding"], original.stepped["embedding"])  # exact: shortest repr
    assert np.array_equal(trace.static["labels"], original.static["labels"])
    assert trace.static["labels"].dtype == np.int64
    assert np.array_equal(trace.static["weight"], original.static["weight"])
    assert np.array_equal(trace.static["index"], np.arange(POINTS))
    # 8-bit sprite: within half a level of 1/255
    assert np.abs(trace.static["images"] - original.static["images"]).max() <= 0.5 / 255 + 1e-12
    assert set(trace.names) == {"embedding", "labels", "images", "weight", "index"}
