"""`scenespec watch`: following logs and recordings that another process writes, and redrawing as steps arrive.

File events come from the real operating system (inotify through watchdog); writers are real files appended
to, by this process or by a separate writer process; the window test runs on a real (virtual) X display.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from system import XVFB, require, x_server

import scenespec
from scenespec.api import read_spec
from scenespec.errors import SpecError
from scenespec.watch.follow import Follower
from scenespec.watch.session import Watch

ROOT = Path(__file__).resolve().parent.parent
EVENT_WAIT_S = 10.0
"""The longest a test waits for a file event or a redraw (far above what they take: they are not timed)."""

SPEC = """
[scene]
title = "loss"
size = [4, 3]
dpi = 50

[sources.log]
kind = "{kind}"
path = "{path}"

[frames]
steps = "all"

[[panels]]
limits = "fixed"
xlim = [0, 40]
ylim = [0, 1.1]
layers = [ {{ kind = "metric", x = "log.step", y = "log.loss", color = "blue" }} ]
"""


def write_spec(folder: Path, kind: str = "jsonl", path: str = "runs/log.jsonl") -> Path:
    spec = folder / "watch.toml"
    spec.write_text(SPEC.format(kind=kind, path=path))
    return spec


def line(step: int) -> str:
    return json.dumps({"step": step, "loss": 1 / (step + 1)}) + "\n"


def append(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as file:
        file.write(text)


def session(spec: Path) -> tuple[Watch, list[str]]:
    said: list[str] = []
    return Watch(read_spec(spec), said.append), said


# File events


def settle(follower: Follower) -> None:
    """Take the rest of one write's events (a write is a modification, then a close)."""
    deadline = time.monotonic() + EVENT_WAIT_S
    while follower.wait(0.3) and time.monotonic() < deadline:
        pass


def test_a_write_is_a_change_and_a_read_is_not(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text(line(0))
    follower = Follower([log])
    follower.start()
    try:
        assert log.read_text() == line(0)  # opening and reading the log: no change (or reading would loop)
        assert not follower.wait(0.5)
        append(log, line(1))
        assert follower.wait(EVENT_WAIT_S)
        settle(follower)
        (tmp_path / "other.txt").write_text("x")  # another file in the same folder
        assert not follower.wait(0.5)
    finally:
        follower.stop()


def test_a_log_whose_folder_does_not_exist_yet_is_followed_once_it_appears(tmp_path: Path) -> None:
    log = tmp_path / "runs" / "fit" / "log.jsonl"
    follower = Follower([log])
    follower.start()
    try:
        append(log, line(0))  # makes runs/, runs/fit/ and the log
        assert follower.wait(EVENT_WAIT_S)
        settle(follower)
        append(log, line(1))  # now followed in its own folder
        assert follower.wait(EVENT_WAIT_S)
    finally:
        follower.stop()


# Reading as the log grows


def test_waits_for_a_missing_log_then_takes_each_new_step_once(tmp_path: Path) -> None:
    watch, said = session(write_spec(tmp_path))
    log = tmp_path / "runs" / "log.jsonl"
    assert not watch.update()
    assert not watch.update()
    assert len(said) == 1 and said[0].startswith("waiting: ") and "No such file" in said[0]  # said once
    assert "watch.toml:" in said[0] and "sources.log.path" in said[0]
    append(log, line(0) + line(1) + line(2))
    assert watch.update()
    assert watch.stream is not None and watch.stream.steps.tolist() == [0, 1, 2]
    assert not watch.update()  # nothing new
    append(log, line(3) + '{"step": 4, "lo')  # a writer caught mid-line: the torn line is not a step yet
    assert watch.update()
    assert watch.stream.steps.tolist() == [0, 1, 2, 3]
    append(log, 'ss": 0.2}\n')
    assert watch.update()
    np.testing.assert_allclose(watch.stream.snapshot().stepped["loss"], [1, 1 / 2, 1 / 3, 1 / 4, 0.2])
    assert watch.restarts == 0


def test_a_log_started_again_is_drawn_from_its_first_step(tmp_path: Path) -> None:
    watch, said = session(write_spec(tmp_path))
    log = tmp_path / "runs" / "log.jsonl"
    append(log, "".join(line(step) for step in range(5)))
    assert watch.update()
    log.write_text(line(0) + json.dumps({"step": 1, "loss": 0.9}) + "\n")  # a new run over the old log
    assert watch.update()
    assert watch.restarts == 1 and watch.stream is not None
    assert watch.stream.steps.tolist() == [0, 1]
    np.testing.assert_allclose(watch.stream.snapshot().stepped["loss"], [1.0, 0.9])
    assert said[-1] == "log started again: drawing from its first step"


def test_a_broken_line_is_reported_and_the_watch_goes_on(tmp_path: Path) -> None:
    watch, said = session(write_spec(tmp_path))
    log = tmp_path / "runs" / "log.jsonl"
    append(log, line(0) + line(1) + "not json\n")
    assert not watch.update()
    assert said[-1].startswith("waiting: ") and "log.jsonl:3: not a line of JSON" in said[-1]
    log.write_text(line(0) + line(1) + line(2))  # fixed by the writer
    assert watch.update()
    assert watch.stream is not None and watch.stream.steps.tolist() == [0, 1, 2]


def test_newest_frame_is_drawn_and_the_frames_in_between_are_skipped(tmp_path: Path) -> None:
    watch, _ = session(write_spec(tmp_path))
    log = tmp_path / "runs" / "log.jsonl"
    append(log, line(0))
    assert watch.update() and watch.live is not None
    assert watch.live.draw_newest() is not None and watch.live.shown is not None
    append(log, "".join(line(step) for step in range(1, 30)))
    assert watch.update() and watch.live.behind
    frame = watch.live.draw_newest()
    assert frame is not None and frame.step == 29 and not watch.live.behind
    assert [f.step for f in watch.live.frames] == list(range(29))  # every step scheduled, none drawn in between


def writer_for(kind: str, folder: Path) -> tuple[str, object]:
    """(the source's path in the spec, a function writing steps `a`..`b-1` the way that kind's writer would)."""
    if kind == "csv":
        log = folder / "runs" / "log.csv"

        def write_csv(a: int, b: int) -> None:
            header = "" if log.exists() else "step,loss\n"
            append(log, header + "".join(f"{step},{1 / (step + 1)}\n" for step in range(a, b)))

        return "runs/log.csv", write_csv
    if kind == "tensorboard":
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(str(folder / "runs" / "tb"))

        def write_events(a: int, b: int) -> None:
            for step in range(a, b):
                writer.add_scalar("loss", 1 / (step + 1), step)
            writer.flush()

        return "runs/tb", write_events
    recorder = scenespec.Recorder(folder / "runs" / "rec")

    def write_recording(a: int, b: int) -> None:
        for step in range(a, b):
            recorder.log(step, loss=1 / (step + 1))

    return "runs/rec", write_recording


@pytest.mark.parametrize("kind", ["csv", "tensorboard", "recording"])
def test_each_followable_kind_grows_as_its_writer_writes(tmp_path: Path, kind: str) -> None:
    path, write = writer_for(kind, tmp_path)
    spec = write_spec(tmp_path, kind, path)
    if kind != "jsonl":
        spec.write_text(spec.read_text().replace('x = "log.step", ', ""))  # over the steps: no step field needed
    watch, _ = session(spec)
    followed = {"csv": "log.csv", "tensorboard": "tb", "recording": "rec"}[kind]
    assert [p.name for p in watch.paths] == [followed]
    write(0, 3)  # type: ignore[operator]
    assert watch.update()
    write(3, 5)  # type: ignore[operator]
    assert watch.update()
    assert watch.stream is not None and watch.stream.steps.tolist() == [0, 1, 2, 3, 4]
    np.testing.assert_allclose(watch.stream.snapshot().stepped["loss"], [1 / (s + 1) for s in range(5)], rtol=1e-6)


def test_a_spec_with_nothing_to_follow_is_refused(tmp_path: Path, linreg_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        Watch(read_spec(linreg_path), print)
    assert str(caught.value).endswith(
        "sources: watch follows csv, jsonl, tensorboard, embeddings and recording sources that another process writes; "
        "this spec has fit (trainer)"
    )
    assert caught.value.problems[0].path == ("sources",)


def test_frames_that_follow_an_unfollowable_source_are_refused(tmp_path: Path) -> None:
    spec = write_spec(tmp_path)
    bowl = """
[sources.bowl]
kind = "optimizer"
objective = "elliptic"
x = [-10, 10]
y = [-10, 10]
start = [-7.0, 2.0]
steps = 5
optimizers = [{ name = "sgd", lr = 0.9 }]
"""
    spec.write_text(spec.read_text().replace('steps = "all"', 'steps = "all"\nsource = "bowl"') + bowl)
    append(tmp_path / "runs" / "log.jsonl", line(0))
    watch, _ = session(spec)
    with pytest.raises(SpecError, match="the frames follow source 'bowl', which watch cannot follow") as caught:
        watch.update()
    assert caught.value.problems[0].path == ("frames", "source")


# The command


def start_watch(spec: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "scenespec", "watch", str(spec), *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env or dict(os.environ),
        cwd=spec.parent,
    )


def read_until(process: subprocess.Popen[str], prefix: str) -> list[str]:
    """The command's stderr lines up to the first that starts with `prefix`."""
    assert process.stderr is not None
    lines = []
    while True:
        text = process.stderr.readline()
        assert text, f"watch ended before printing {prefix!r}: {lines}"
        lines.append(text.rstrip("\n"))
        if text.startswith(prefix):
            return lines


@pytest.fixture
def stopped() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test starts, killed at its end if still running."""
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def blue_right_edge(image: np.ndarray) -> int:
    """The rightmost column holding the blue curve (-1 if none)."""
    pixels = image.astype(int)
    blue = (pixels[..., 2] > 200) & (pixels[..., 0] < 80) & (pixels[..., 1] < 80)
    columns = np.nonzero(blue.any(axis=0))[0]
    return int(columns.max()) if len(columns) else -1


def test_png_output_follows_the_log_and_ctrl_c_leaves_it_whole(tmp_path: Path, stopped: list) -> None:
    spec = write_spec(tmp_path)
    log = tmp_path / "runs" / "log.jsonl"
    out = tmp_path / "now.png"
    process = start_watch(spec, "-o", str(out))
    stopped.append(process)
    assert read_until(process, "waiting: ")[-1].endswith("No such file or directory")
    append(log, "".join(line(step) for step in range(5)))
    read_until(process, "step 4 in ")
    with Image.open(out) as image:
        early = np.asarray(image.convert("RGB"))
    append(log, "".join(line(step) for step in range(5, 30)))
    shown = read_until(process, "step 29 in ")[-1]
    assert shown == f"step 29 in {out} (30 steps read)"
    with Image.open(out) as image:
        late = np.asarray(image.convert("RGB"))
    assert early.shape == late.shape == (150, 200, 3)
    assert 0 < blue_right_edge(early) < blue_right_edge(late) - 40  # the curve grew to the right (x: 0..40)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert f"stopped watching: step 29 in {out}" in err and "Traceback" not in err
    with Image.open(out) as image:
        assert np.array_equal(np.asarray(image.convert("RGB")), late)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["now.png", "runs", "watch.toml"]  # no temporary left


def test_gif_output_holds_every_step_read_when_stopped(tmp_path: Path, stopped: list) -> None:
    spec = write_spec(tmp_path)
    log = tmp_path / "runs" / "log.jsonl"
    append(log, line(0))
    out = tmp_path / "run.gif"
    process = start_watch(spec, "-o", str(out))
    stopped.append(process)
    read_until(process, "step 0 in ")
    append(log, "".join(line(step) for step in range(1, 8)))
    read_until(process, "step 7 in ")
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)
    assert process.returncode == 143
    with Image.open(out) as gif:
        assert gif.n_frames == 8 and gif.size == (200, 150)


def test_a_spec_it_cannot_follow_is_a_located_error(tmp_path: Path, linreg_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scenespec", "watch", str(linreg_path), "-o", str(tmp_path / "x.png")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {linreg_path}:") and "watch follows csv, jsonl" in result.stderr
    assert "Traceback" not in result.stderr


WRITER = textwrap.dedent(
    """
    import json, sys, time
    log, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    for step in range(first, last):
        with open(log, "a") as file:
            file.write(json.dumps({"step": step, "loss": 1 / (step + 1)}) + "\\n")
        time.sleep(0.02)
    """
)


def test_the_window_shows_the_curve_grow_while_a_writer_process_appends(tmp_path: Path, stopped: list) -> None:
    require(XVFB)
    spec = write_spec(tmp_path)
    log = tmp_path / "runs" / "log.jsonl"
    log.parent.mkdir()
    with x_server(":95") as display:
        env = {**os.environ, "DISPLAY": display}
        env.pop("MPLBACKEND", None)
        process = start_watch(spec, env=env)
        stopped.append(process)
        shots = []
        for first, last in ((0, 5), (5, 35)):
            writer = subprocess.run([sys.executable, "-c", WRITER, str(log), str(first), str(last)], timeout=60)
            assert writer.returncode == 0
            read_until(process, f"step {last - 1} on screen")
            time.sleep(0.3)  # the window has drawn what it was given
            from PIL import ImageGrab

            shots.append(np.asarray(ImageGrab.grab(xdisplay=display).convert("RGB")))
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
    assert process.returncode == 130
    early, late = (blue_right_edge(shot) for shot in shots)
    assert 0 < early < late - 40  # the blue curve reaches further right on screen as the log grows
    assert (shots[1].astype(int).sum(axis=2) > 0).sum() >= 150 * 200  # a window of at least the frame's size
