"""Signals: SIGTERM stops any writing command like Ctrl-C (temporary files removed, an earlier output kept, exit
143, one line, no traceback), and a render killed outright (SIGKILL) leaves no worker process behind.

Real subprocesses and real signals. Each waits for a sign of progress (a temporary output, frames drawn into it)
rather than a fixed time, and every wait is bounded and generous, for a loaded machine.
"""

from __future__ import annotations

import contextlib
import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import LINREG
from PIL import Image

from scenespec.interrupt import Terminated, deferred, exit_status, interrupts_raise, raise_if_interrupted

# Thousands of frames, each quick: frames are still being drawn long after the first ones appear.
LONG = ("sources.fit.epochs=3000", 'frames.steps="all"', "scene.dpi=30")
PATIENCE = 180.0  # seconds: a bound for every wait, never a measured threshold


def sets(overrides: tuple[str, ...]) -> list[str]:
    return [arg for item in overrides for arg in ("--set", item)]


def wait_for(condition: Callable[[], object], what: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert process.poll() is None, f"ended before {what}: {process.communicate()}"
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def parts(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.endswith(".part")]


def frames_drawn(folder: Path) -> int:
    """PNG files in the temporary folder of a png-sequence render (0 before it exists)."""
    return sum(len(list(part.glob("*.png"))) for part in parts(folder) if part.is_dir())


def parent_and_state(pid: int) -> tuple[int, str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": state, ppid, …
    return int(fields[1]), fields[0]


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (children, their children, …), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (found := parent_and_state(int(entry.name))) is not None:
            parents[int(entry.name)] = found[0]
    below: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - below
        below |= frontier
    return below


def alive(pid: int) -> bool:
    """Running (a zombie has exited, whether or not anyone reaped it)."""
    found = parent_and_state(pid)
    return found is not None and found[1] not in ("Z", "X")


def wait_until_gone(pids: set[int]) -> set[int]:
    """The pids still alive after a bounded wait for all to end."""
    deadline = time.monotonic() + PATIENCE
    while (left := {pid for pid in pids if alive(pid)}) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def start(command: list[str], cwd: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("DISPLAY", None)
    return subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def earlier_gif(path: Path) -> bytes:
    Image.new("RGB", (8, 8), "red").save(path, format="GIF")
    return path.read_bytes()


@pytest.mark.parametrize(
    ("output", "workers", "to_group"),
    [("anim.gif", "1", False), ("anim.gif", "2", False), ("frames", "2", True)],
    ids=["gif-1-worker", "gif-2-workers", "png-sequence-2-workers-process-group"],
)
def test_sigterm_while_drawing_is_like_ctrl_c(tmp_path: Path, output: str, workers: str, to_group: bool) -> None:
    """SIGTERM to the command (or, as a service manager sends it, to its whole process group, workers too)."""
    target = tmp_path / output
    if output == "frames":
        target.mkdir()
        earlier = {"frame_00000.png": earlier_gif(target / "frame_00000.png")}
        destination = "frames/"
    else:
        earlier = {output: earlier_gif(target)}
        destination = output
    command = [sys.executable, "-m", "scenespec", "render", str(LINREG), "-o", destination, "--workers", workers]
    cli = start([*command, *sets(LONG)], tmp_path)
    try:
        if output == "frames":
            wait_for(lambda: frames_drawn(tmp_path) >= 2, "frames drawn", cli)
        else:
            wait_for(lambda: parts(tmp_path), "the temporary output", cli)
        workers_seen = descendants(cli.pid)
        if to_group:
            os.killpg(cli.pid, signal.SIGTERM)
        else:
            os.kill(cli.pid, signal.SIGTERM)
        _, err = cli.communicate(timeout=PATIENCE)
    finally:
        stop(cli)
    stderr = err.decode()
    assert cli.returncode == 143, stderr
    assert "Traceback" not in stderr, stderr
    assert stderr.strip().splitlines() == ["terminated (SIGTERM); any earlier output was left as it was"]
    assert parts(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [output]
    folder = target if output == "frames" else tmp_path
    assert {name: (folder / name).read_bytes() for name in earlier} == earlier
    if output == "frames":
        assert sorted(p.name for p in target.iterdir()) == list(earlier)
    assert wait_until_gone(workers_seen) == set()


KILLED_RENDER = """
import sys
import scenespec
from scenespec.render.executors import ProcessExecutor

spec = scenespec.load(sys.argv[1], {overrides!r})
spec.render("frames/", executor=ProcessExecutor(2, start_method=sys.argv[2]))
"""


@pytest.mark.parametrize("start_method", ["fork", "spawn", "forkserver"])
def test_sigkill_of_the_parent_leaves_no_process_behind(tmp_path: Path, start_method: str) -> None:
    """Workers (and, for forkserver, the server; for spawn and forkserver, the resource tracker) all end when
    the render is killed in a way it cannot handle. `fork` is what `scenespec render --workers 2` uses here."""
    (tmp_path / "frames").mkdir()
    (tmp_path / "frames" / "frame_00000.png").write_bytes(b"earlier frame")
    if start_method == "fork":
        command = ["-m", "scenespec", "render", str(LINREG), "-o", "frames/", "--workers", "2", *sets(LONG)]
    else:
        command = ["-c", KILLED_RENDER.format(overrides=list(LONG)), str(LINREG), start_method]
    render = start([sys.executable, *command], tmp_path)
    try:
        # two frames in the temporary folder: the workers are up and drawing
        wait_for(lambda: frames_drawn(tmp_path) >= 2, "frames drawn", render)
        below = descendants(render.pid)
        assert len(below) >= 2, below
        os.kill(render.pid, signal.SIGKILL)
        render.wait(timeout=PATIENCE)
        assert render.returncode == -signal.SIGKILL
        left = wait_until_gone(below)
    finally:
        stop(render)
        for pid in descendants(render.pid) if render.poll() is None else ():
            os.kill(pid, signal.SIGKILL)
    assert left == set(), [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in left if alive(pid)]
    assert (tmp_path / "frames" / "frame_00000.png").read_bytes() == b"earlier frame"


def test_a_signal_inside_a_deferred_block_is_raised_when_it_ends() -> None:
    """Around a worker pool's calls the signal waits (an exception inside concurrent.futures could leave a lock
    held); it is raised as soon as the block ends, as `Terminated`, which the CLI reports with status 143."""
    reached = []
    with interrupts_raise():
        with pytest.raises(Terminated) as raised, deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):  # the handler has run by now, and raised nothing
                reached.append(True)
        assert len(reached) == 1000
        os.kill(os.getpid(), signal.SIGTERM)  # a second signal, during the clean-up, interrupts nothing
        with pytest.raises(Terminated):
            raise_if_interrupted()  # …but the first is still known to the render loop
    assert exit_status(raised.value) == 143 and exit_status(KeyboardInterrupt()) == 130
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    raise_if_interrupted()  # outside the block nothing is remembered


def test_sigterm_while_training_stops_trace_and_keeps_the_earlier_file(tmp_path: Path) -> None:
    """`scenespec trace` on a terminal: wait for its "training fit" line (the sign that the source is running),
    then SIGTERM. The earlier .npz stays as it was and nothing else is written."""
    earlier = tmp_path / "linreg.npz"
    earlier.write_bytes(b"earlier traces")
    main, terminal = pty.openpty()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "scenespec", "trace", str(LINREG), "-o", "linreg.npz", "--no-cache"]
    cli = subprocess.Popen(
        [*command, "--set", "sources.fit.epochs=1000000", "--set", "limits.max_training_batches=1e9"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
        start_new_session=True,
    )
    os.close(terminal)
    shown = b""
    try:
        deadline = time.monotonic() + PATIENCE
        while b"training fit" not in shown:
            assert cli.poll() is None, shown
            assert time.monotonic() < deadline, shown
            if select.select([main], [], [], 0.1)[0]:
                shown += os.read(main, 4096)
        os.kill(cli.pid, signal.SIGTERM)
        cli.wait(timeout=PATIENCE)
        with contextlib.suppress(OSError):  # the terminal is gone once the command has ended
            while select.select([main], [], [], 1)[0] and (chunk := os.read(main, 4096)):
                shown += chunk
    finally:
        stop(cli)
        os.close(main)
    text = shown.decode()
    assert cli.returncode == 143, text
    assert "Traceback" not in text
    assert text.rstrip().endswith("terminated (SIGTERM); any earlier output was left as it was"), text
    assert [p.name for p in tmp_path.iterdir()] == ["linreg.npz"]
    assert earlier.read_bytes() == b"earlier traces"


def test_clean_up_code_is_not_interrupted_by_a_new_exception() -> None:
    """`deferred(then_raise=False)` (a pool shut down while an error is on its way, or while a generator is
    closed): the signal is kept for the render loop's next check instead of replacing the error."""
    with interrupts_raise():
        with pytest.raises(RuntimeError, match="frame 7 failed"):
            try:
                raise RuntimeError("frame 7 failed")
            finally:
                with deferred(then_raise=False):
                    os.kill(os.getpid(), signal.SIGTERM)
                    for _ in range(1000):  # the handler has run by now
                        pass
        with pytest.raises(Terminated):
            raise_if_interrupted()
