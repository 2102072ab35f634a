"""Benchmark: live training views, on article 002's setting (a Keras network on sin(2x), batch 32, every 10 batches).

    python benchmarks/live.py                      # both parts, 3 repeats
    python benchmarks/live.py callback --repeat 5  # only the time the Keras callback adds to `fit`
    python benchmarks/live.py watch                # only the delay from a logged step to `scenespec watch`

**callback**: `model.fit` of examples/keras_learner.py (its data, network and seed) is timed alone, in a fresh
child process per run, in each mode: `bare` (no callback), `record` (SceneCallback recording only), `live`
(recording and a live window drawn by the drawing process), `live+file` (and the GIF written when `fit` ends),
and the hand-written way of article 002, a callback that redraws a matplotlib figure in the training loop every
10 batches (`handwritten`: `fig.canvas.draw()` on Agg; `handwritten+window`: `plt.pause(0.001)` in a window).
Imports and a short warm-up fit on another copy of the network happen before the clock starts.

**watch**: `python -m scenespec watch SPEC` follows a JSONL log in a temporary folder; this script appends one
line at a time and times from just before the write to the watch's line `step N ...` on stderr. The hand-written
baseline follows the same log the usual way: poll the file every 0.5 s and redraw a matplotlib figure.

Windows open on the display in DISPLAY, or on an Xvfb server this script starts when DISPLAY is unset and Xvfb
is installed; without either, the window modes are left out. See docs/performance.md for the measured table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
XVFB = Path("/usr/bin/Xvfb")
EVERY = 10
BATCH = 32
FIT_MODES = ("bare", "record", "live", "live+file", "handwritten", "handwritten+window")


# Part 1: the time the callback adds to `fit` (runs in the child process)


def fit_child(mode: str, epochs: int, folder: Path, threads: int) -> dict[str, Any]:
    """Build article 002's network and data, make `mode`'s callback, and time `model.fit` alone."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    sys.path.insert(0, str(ROOT / "examples"))
    import keras
    import keras_learner
    import torch

    if threads:
        torch.set_num_threads(threads)

    from scenespec.keras import SceneCallback

    if mode.startswith("handwritten"):
        import matplotlib

        matplotlib.use("TkAgg" if mode.endswith("window") else "Agg")
        import matplotlib.pyplot  # imported by the user's script, not inside fit

    x, y = keras_learner.sine_data()
    warm = keras_learner.network()  # first-call costs (kernels, optimizer state) outside the clock
    warm.fit(x[: 4 * BATCH], y[: 4 * BATCH], batch_size=BATCH, epochs=1, verbose=0)
    model = keras_learner.network()  # seeds again: every mode trains the same network on the same batches
    timers: dict[str, float] = {}
    callbacks: list[keras.callbacks.Callback] = []
    record: SceneCallback | None = None
    if mode in ("record", "live", "live+file"):
        out = folder / f"keras_learner-{os.getpid()}.gif" if mode == "live+file" else None
        record = SceneCallback(keras_learner.SPEC, source="net", data=(x, y), eval_points=200, every=EVERY, out=out)
        if mode != "record":
            record.viewer = _viewer()
            record.viewer.finish = _timed(record.viewer.finish, timers, "finish")  # type: ignore[method-assign]
        record.on_train_end = _timed(record.on_train_end, timers, "end")  # type: ignore[method-assign]
        callbacks.append(record)
    elif mode.startswith("handwritten"):
        callbacks.append(handwritten(x, y, every=EVERY, window=mode.endswith("window")))
    children = _children_cpu()
    started, cpu = time.perf_counter(), time.process_time()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=True, verbose=0, callbacks=callbacks)
    result: dict[str, Any] = {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu, **timers}
    if record is not None:
        assert record.trace is not None
        result["recorded"] = len(record.trace.steps)
        if record.viewer is not None and record.viewer.process is not None:
            result["shown"] = len(set(record.viewer.process.shown.steps))
            alive = _cpu_seconds(record.viewer.process.process.pid)  # a window's process lives on; others ended
            result["drawer_cpu"] = alive if alive is not None else _children_cpu() - children
    if mode == "live+file":
        result["bytes"] = out.stat().st_size if out is not None else 0
    return result


def _viewer() -> Any:
    """The live view: a window when there is a display, else drawn without being shown (`view="none"`)."""
    from scenespec.live_view import LiveViewer

    return LiveViewer(view="window" if os.environ.get("DISPLAY") else "none")


def _cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) a running process has used so far, from /proc (Linux); None if it has ended."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    """CPU seconds of this process's ended (waited for) child processes."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(method: Callable[..., Any], timers: dict[str, float], name: str) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            timers[name] = timers.get(name, 0.0) + time.perf_counter() - started

    return timed


def handwritten(x: Any, y: Any, every: int, window: bool) -> Any:
    """The hand-written callback below, made a Keras callback here so that the parent process never imports Keras."""
    import keras

    return type("HandwrittenRedraw", (HandwrittenRedraw, keras.callbacks.Callback), {})(x, y, every, window)


class HandwrittenRedraw:
    """Article 002's own way: every `every` batches, compute the figure's numbers and redraw it in the training loop.

    The figure is keras_learner.toml's, drawn as a user would: the data scatter once, then per redraw the model
    line (`set_ydata`), a new `fill_between` band of the smoothed squared error, and the two loss panels
    (`set_data`, rescaled). The numbers are those SceneCallback records (predictions on the same 200 points,
    the whole-data loss, the batch loss), computed with the same plain forward pass, so the difference is drawing.
    """

    def __init__(self, x: Any, y: Any, every: int, window: bool) -> None:
        import numpy as np

        super().__init__()  # keras.callbacks.Callback's, which `handwritten` mixes in
        self.x, self.y = x.astype("float32"), y
        order = np.argsort(x[:, 0])
        index = order[np.linspace(0, len(order) - 1, 200).round().astype(int)]
        self.x_eval, self.y_eval = self.x[index], y[index]
        self.every = every
        self.window = window

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplot_mosaic(
            [["main", "loss"], ["main", "batch"]], figsize=(10.0, 5.6), dpi=100, width_ratios=[2, 1]
        )
        fig.suptitle("Watching a learner learn: a Keras network fits a sine")
        main, self.axes = axes["main"], axes
        main.scatter(self.x[:1000, 0], self.y[:1000], s=8, color="lightgray", zorder=1, label="data")
        flat = self.x_eval[:, 0]
        (self.line,) = main.plot(flat, self.y_eval * 0, color="steelblue", lw=4, zorder=15, label="model")
        self.band = main.fill_between(flat, flat * 0, flat * 0, color="steelblue", alpha=0.3, zorder=10)
        self.text = main.text(0.97, 0.04, "", transform=main.transAxes, ha="right", va="bottom", size=11)
        main.set(title="Model and per-point loss", xlabel="x", ylabel="y", ylim=(-2, 2))
        main.legend(loc="upper left")
        (self.loss_line,) = axes["loss"].plot([], [], color="steelblue", marker="o", ms=3)
        (self.raw_line,) = axes["batch"].plot([], [], color="darkorange", alpha=0.3)
        (self.ema_line,) = axes["batch"].plot([], [], color="darkorange", marker="o", ms=3)
        axes["loss"].set(title="Whole-dataset loss", yscale="log")
        axes["batch"].set(title="Per-batch loss", xlabel="batch", yscale="log")
        self.fig = fig
        self.batches: list[int] = []
        self.batch_losses: list[float] = []
        self.kept: list[int] = []
        self.losses: list[float] = []
        self.ema: list[float] = []
        self.count, self.epoch = 0, 0
        if self.window:
            plt.show(block=False)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch = epoch + 1

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.count += 1
        self.batches.append(self.count)
        self.batch_losses.append(float((logs or {}).get("loss", 0.0)))
        if self.count % self.every == 0:
            self.redraw()

    def redraw(self) -> None:
        import keras
        import matplotlib.pyplot as plt
        import numpy as np

        pred = keras.ops.convert_to_numpy(self.model(self.x_eval, training=False))[:, 0].astype(float)
        whole = keras.ops.convert_to_numpy(self.model(self.x, training=False))[:, 0]
        self.kept.append(self.count)
        self.losses.append(float(np.mean((whole - self.y) ** 2)))
        last = self.batch_losses[-1]
        self.ema.append(last if not self.ema else 0.6 * self.ema[-1] + 0.4 * last)
        error = np.convolve((self.y_eval - pred) ** 2, np.ones(15) / 15, mode="same")
        flat = self.x_eval[:, 0]
        self.line.set_ydata(pred)
        self.band.remove()
        main = self.axes["main"]
        self.band = main.fill_between(flat, pred - error, pred + error, color="steelblue", alpha=0.3, zorder=10)
        self.text.set_text(f"batch {self.count}, epoch {self.epoch}")
        self.loss_line.set_data(self.kept, self.losses)
        self.raw_line.set_data(self.batches, self.batch_losses)
        self.ema_line.set_data(self.kept, self.ema)
        for name in ("loss", "batch"):
            self.axes[name].relim()
            self.axes[name].autoscale_view()
        if self.window:
            plt.pause(0.001)
        else:
            self.fig.canvas.draw()


# Part 1 in the parent: run the modes, print the table


def run_child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed with exit code {result.returncode}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def bench_callback(modes: list[str], repeat: int, epochs: int, threads: int, env: dict[str, str]) -> list[str]:
    runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in modes}
    with tempfile.TemporaryDirectory(prefix="scenespec-live-bench-") as tmp:
        for round in range(repeat):  # modes interleaved, so a busy moment on the machine does not hit one mode only
            for mode in modes:
                args = ["--fit-child", mode, "--epochs", str(epochs), "--torch-threads", str(threads), "--folder", tmp]
                result = run_child(args, env)
                runs[mode].append(result)
                print(f"fit {mode} ({round + 1}/{repeat}): {result['seconds']:.2f} s", file=sys.stderr)
    return fit_table(runs, repeat, epochs, threads)


def fit_table(runs: dict[str, list[dict[str, Any]]], repeat: int, epochs: int, threads: int) -> list[str]:
    batches = epochs * -(-2000 // BATCH)
    lines = [
        f"fit: {epochs} epochs × {-(-2000 // BATCH)} batches = {batches} batches of {BATCH}, recorded every "
        f"{EVERY}; median of {repeat} runs (best in brackets); cores: {os.cpu_count()}; torch threads: "
        f"{threads or 'torch default'}",
        "",
        "| mode | fit s | vs bare | of which at the end of fit | before the end: vs bare | CPU s: training process "
        "(drawing process) | steps shown / recorded |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    bare = statistics.median(r["seconds"] for r in runs["bare"]) if "bare" in runs else None
    for mode, results in runs.items():
        seconds = statistics.median(r["seconds"] for r in results)
        best = min(r["seconds"] for r in results)
        ratio = f"{(seconds / bare - 1) * 100:+.0f}%" if bare else "–"
        end = _end_part(results)
        shown = "–"
        if "shown" in results[0]:
            shown = f"{statistics.median(r['shown'] for r in results):.0f} / {results[0]['recorded']}"
        elif "recorded" in results[0]:
            shown = f"– / {results[0]['recorded']}"
        training = statistics.median(r["seconds"] - r.get("end", 0.0) for r in results)
        during = f"{(training / bare - 1) * 100:+.0f}%" if bare and "end" in results[0] else "–"
        cpu = f"{statistics.median(r['cpu'] for r in results):.2f}"
        if "drawer_cpu" in results[0]:
            cpu += f" ({statistics.median(r['drawer_cpu'] for r in results):.2f})"
        lines.append(f"| {mode} | {seconds:.2f} ({best:.2f}) | {ratio} | {end} | {during} | {cpu} | {shown} |")
    return lines


def _end_part(results: list[dict[str, Any]]) -> str:
    """What `on_train_end` took: the wait for the last frame, and preparing (or writing) the animation."""
    if "end" not in results[0]:
        return "–"
    end = statistics.median(r["end"] for r in results)
    if "finish" not in results[0]:
        return f"{end:.2f} s preparing the animation"
    finish = statistics.median(r["finish"] for r in results)
    rest = statistics.median(r["end"] - r["finish"] for r in results)
    what = "writing the GIF" if "bytes" in results[0] else "preparing the animation"
    return f"{end:.2f} s: {finish:.2f} s last frame, {rest:.2f} s {what}"


# Part 2: the delay from a logged step to the watch showing it

WATCH_SPEC = """\
[scene]
title = "Training loss, followed as it is logged"
size = [6.4, 4.0]

[sources.log]
kind = "jsonl"
path = "train.jsonl"

[frames]
steps = "all"

[[panels]]
xlabel = "step"
ylabel = "loss"
yscale = "log"
layers = [{ kind = "metric", y = "log.loss", color = "steelblue", label = "loss" }]
"""
STEP_LINE = re.compile(r"^step (\d+)\b")
POLL_S = 0.5


def poll_child(log: Path, out: str | None) -> None:
    """The hand-written way to follow a log: read the file every 0.5 s, redraw the figure when it has grown."""
    import matplotlib

    matplotlib.use("Agg" if out else "TkAgg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    fig.suptitle("Training loss, followed as it is logged")
    (line,) = axes.plot([], [], color="steelblue", marker="o", ms=3, label="loss")
    axes.set(xlabel="step", ylabel="loss", yscale="log")
    axes.legend()
    if not out:
        plt.show(block=False)
    seen = 0
    while True:
        rows = [json.loads(text) for text in log.read_text().splitlines()] if log.exists() else []
        if len(rows) > seen:
            seen = len(rows)
            line.set_data([row["step"] for row in rows], [row["loss"] for row in rows])
            axes.relim()
            axes.autoscale_view()
            if out:
                fig.savefig(out)
            else:
                fig.canvas.draw()
                fig.canvas.flush_events()
            print(f"step {rows[-1]['step']}", file=sys.stderr, flush=True)
        if out:
            time.sleep(POLL_S)
        else:
            plt.pause(POLL_S)


def follow_latency(command: list[str], log: Path, lines: int, env: dict[str, str]) -> list[float]:
    """Start `command` (which follows `log`), append `lines` steps one at a time, and time each until reported."""
    import random
    import threading

    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    reported: queue.SimpleQueue[tuple[float, str] | None] = queue.SimpleQueue()

    def read() -> None:
        assert process.stderr is not None
        for text in process.stderr:
            reported.put((time.perf_counter(), text.strip()))
        reported.put(None)

    threading.Thread(target=read, daemon=True).start()
    rng = random.Random(0)
    latencies: list[float] = []
    try:
        time.sleep(3.0)  # let the follower start (imports, the window) before the first step is written
        with log.open("a") as file:
            for step in range(1, lines + 1):
                started = time.perf_counter()
                file.write(json.dumps({"step": step, "loss": 2.0 * 0.95**step + 0.05 * rng.random()}) + "\n")
                file.flush()
                latencies.append(_reported(reported, step) - started)
                time.sleep(rng.uniform(0.1, 0.2))
    finally:
        process.terminate()
        process.wait(timeout=10)
    return latencies


def _reported(reported: queue.SimpleQueue[tuple[float, str] | None], step: int, timeout: float = 60.0) -> float:
    """When the follower reported `step` (or a later one) on screen or in its file."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            item = reported.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise SystemExit(f"step {step} was not reported within {timeout:g} s") from None
        if item is None:
            raise SystemExit(f"the follower ended before reporting step {step}")
        at, text = item
        match = STEP_LINE.match(text)
        if match and int(match.group(1)) >= step:
            return at


def bench_watch(repeat: int, lines: int, window: bool, env: dict[str, str]) -> list[str]:
    runs: dict[str, list[list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="scenespec-watch-bench-") as tmp:
        folder = Path(tmp)
        spec = folder / "watch.toml"
        spec.write_text(WATCH_SPEC)
        watch = [sys.executable, "-m", "scenespec", "watch", str(spec)]
        poll = [sys.executable, __file__, "--poll-child", str(folder / "train.jsonl")]
        followers = {
            "watch (window)": watch,
            "watch -o now.png": [*watch, "-o", str(folder / "now.png")],
            "polling 0.5 s (window)": poll,
            "polling 0.5 s, savefig": [*poll, "--out", str(folder / "poll.png")],
        }
        if not window:
            followers = {name: command for name, command in followers.items() if "window" not in name}
        for round in range(repeat):
            for name, command in followers.items():
                (folder / "train.jsonl").unlink(missing_ok=True)
                latencies = follow_latency(command, folder / "train.jsonl", lines, env)
                runs.setdefault(name, []).append(latencies)
                rest = sorted(latencies[1:])
                print(
                    f"{name} ({round + 1}/{repeat}): first {latencies[0] * 1000:.0f} ms, "
                    f"median {statistics.median(rest) * 1000:.0f} ms",
                    file=sys.stderr,
                )
    return watch_table(runs, lines)


def watch_table(runs: dict[str, list[list[float]]], lines: int) -> list[str]:
    out = [
        f"watch: {lines} JSONL lines per run, one at a time, 100-200 ms apart; from just before the write to the "
        "follower's line on stderr; the first line of each run apart",
        "",
        "| follower | runs | median ms | p90 ms | max ms | first line ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, latencies in runs.items():
        rest = sorted(ms * 1000 for run in latencies for ms in run[1:])
        firsts = ", ".join(f"{run[0] * 1000:.0f}" for run in latencies)
        p90 = rest[min(len(rest) - 1, round(0.9 * (len(rest) - 1)))]
        out.append(
            f"| {name} | {len(latencies)} | {statistics.median(rest):.0f} | {p90:.0f} | {rest[-1]:.0f} | {firsts} |"
        )
    return out


# The display


@contextlib.contextmanager
def display() -> Iterator[str | None]:
    """DISPLAY as it is, or an Xvfb server on a free display number while the block runs; None without either."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    if not XVFB.exists():
        yield None
        return
    number = next(n for n in range(140, 400) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    server = subprocess.Popen(
        [str(XVFB), f":{number}", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                break
            time.sleep(0.1)
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("parts", nargs="*", help="parts to run: callback, watch (default: both)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode (default 3)")
    parser.add_argument("--epochs", type=int, default=15, help="epochs of fit (default 15, article 002's)")
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="torch's threads in fit (default 1; 0: torch's default, one per core, see docs/performance.md)",
    )
    parser.add_argument("--modes", help=f"comma-separated fit modes (default: all of {', '.join(FIT_MODES)})")
    parser.add_argument("--lines", type=int, default=50, help="log lines per watch run (default 50)")
    parser.add_argument("--fit-child", help=argparse.SUPPRESS)
    parser.add_argument("--poll-child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fit_child:
        print(json.dumps(fit_child(args.fit_child, args.epochs, Path(args.folder), args.torch_threads)))
        return
    if args.poll_child:
        poll_child(Path(args.poll_child), args.out)
        return
    parts = args.parts or ["callback", "watch"]
    if set(parts) - {"callback", "watch"}:
        parser.error(f"unknown part(s): {', '.join(sorted(set(parts) - {'callback', 'watch'}))} (callback, watch)")
    load = os.getloadavg()[0]
    tables: list[str] = []
    with display() as screen:
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")}
        if screen is not None:
            env["DISPLAY"] = screen
        where = f"windows on display {screen}" if screen else "no display: window modes left out"
        print(where, file=sys.stderr)
        if "callback" in parts:
            modes = args.modes.split(",") if args.modes else list(FIT_MODES)
            if screen is None:  # the live modes draw without showing (view="none")
                modes = [mode for mode in modes if mode != "handwritten+window"]
            tables += [*bench_callback(modes, args.repeat, args.epochs, args.torch_threads, env), ""]
        if "watch" in parts:
            tables += [*bench_watch(args.repeat, args.lines, screen is not None, env), ""]
    print(f"{where}; load average (1 min): {load:.2f} before the run, {os.getloadavg()[0]:.2f} after\n")
    print("\n".join(tables))


if __name__ == "__main__":
    main()
