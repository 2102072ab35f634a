"""Benchmark: scenespec against hand-written matplotlib, scene by scene, in one run.

    python benchmarks/run.py                 # every scene, default workers and one worker
    python benchmarks/run.py linreg race     # some scenes
    python benchmarks/run.py --memory        # also linreg at 1,000 frames, for peak memory
    python benchmarks/run.py linreg --repeat 3   # the best of 3 runs of each measurement

Three measurements per scene, side by side, each in a fresh child process:

- draw-only: before its clock starts, the child imports everything and resolves the scene's
  numbers (warming scenespec's trace cache, and its in-process memo of transforms such as the
  projector scenes' t-SNE), so the times compare drawing and encoding only. The parent samples
  the resident memory of the child and all of its workers every 10 ms and reports the peak of
  their sum.
- whole process: what a user waits for, from starting the process to its end. scenespec is the
  command `python -m scenespec render SPEC --set ... -o OUT -q`; the baseline is a process that
  imports matplotlib, scipy and the baseline, reads the numbers (from scenespec's trace cache,
  warmed before) and draws. Both read the same cached numbers, so neither trains.
- start-up: the commands `--help`, `--version` and `validate` of the first scene's spec, whole
  processes, and the imports of its render (the sum of `python -X importtime`'s own times). Beside
  them, the floor any render stands on: the interpreter alone, importing matplotlib's figure and
  Agg canvas alone, and a render of the first scene's first frame only (`--frame 0`, a PNG). A
  whole-process ratio cannot exceed the baseline's seconds over that one-frame render's: the
  ceiling printed last.

See docs/performance.md for the measured table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class BenchScene:
    spec: str
    overrides: tuple[str, ...]
    baseline: str
    what: str


SCENES = {
    "linreg": BenchScene(
        "specs/linreg.toml", ("sources.fit.epochs=199", 'frames.steps="all"'), "linreg", "article 001, 200 frames"
    ),
    "learner": BenchScene(
        "specs/learner_linear.toml", ("sources.net.data.n=5000",), "learner", "article 002, 5,000 training points"
    ),
    "race": BenchScene("specs/race_rosenbrock.toml", (), "race", "4 optimizers over a 200×200 contour grid"),
    "surface": BenchScene(
        "specs/bowl_path_3d.toml", ("panels.0.camera.rotate=0",), "surface_path", "3D surface with a growing path"
    ),
    "projector_pca": BenchScene(
        "specs/projector_digits_pca.toml", (), "projector_pca", "article 003 by PCA, 540 points, tweened"
    ),
    "projector_tsne": BenchScene(
        "specs/projector_digits_tsne.toml", (), "projector_tsne", "article 003 by t-SNE, 60 thumbnails, tweened"
    ),
}
MEMORY_SCENE = BenchScene(
    "specs/linreg.toml", ("sources.fit.epochs=999", 'frames.steps="all"'), "linreg", "article 001, 1,000 frames"
)


def child(impl: str, scene: BenchScene, out: Path, workers: int | None) -> None:
    """Runs inside the measured process: prepare (untimed), then draw and encode (timed)."""
    if impl == "whole-baseline":  # the whole process is timed by the parent
        import matplotlib.pyplot  # noqa: F401  (what a hand-written script imports first)

        sys.path.insert(0, str(ROOT / "benchmarks"))
        import baselines

        from scenespec.pipeline import prepare

        getattr(baselines, scene.baseline)(prepare(ROOT / scene.spec, list(scene.overrides)), out)
        return
    from scenespec.pipeline import prepare, render

    prepared = prepare(ROOT / scene.spec, list(scene.overrides))
    if impl == "baseline":
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import baselines

        draw = getattr(baselines, scene.baseline)
        started = time.perf_counter()
        draw(prepared, out)
    else:
        started = time.perf_counter()
        render(ROOT / scene.spec, out=str(out), overrides=list(scene.overrides), progress=False, workers=workers)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "frames": len(prepared.frames)}))


def child_env() -> dict[str, str]:
    """The measured processes' environment: Agg, and Python's bytecode cache written and read as an installed
    package's is (with PYTHONDONTWRITEBYTECODE set, every run would compile scenespec's modules again: 0.3 s)."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    stack += [int(c) for c in children.read().split()]
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


def measure(impl: str, name: str, scene: BenchScene, workers: int | None, folder: Path) -> dict:
    out = folder / f"{name}-{impl}-{workers}.gif"
    args = [sys.executable, __file__, "--child", impl, name, str(out)]
    if name == "memory":
        args += ["--memory"]
    if workers is not None:
        args += ["--workers", str(workers)]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=child_env())
    peak = [0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], tree_rss(process.pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, _ = process.communicate()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{impl} {name} failed with exit code {process.returncode}")
    result = json.loads(stdout.strip().splitlines()[-1])
    return result | {"rss": peak[0], "bytes": out.stat().st_size}


def whole_process(impl: str, name: str, scene: BenchScene, folder: Path) -> float:
    """Seconds from starting a process to its end: the scenespec command, or the baseline's script."""
    out = folder / f"{name}-whole-{impl}.gif"
    if impl == "scenespec":
        sets = [arg for item in scene.overrides for arg in ("--set", item)]
        args = [sys.executable, "-m", "scenespec", "render", str(ROOT / scene.spec), *sets, "-o", str(out), "-q"]
    else:
        args = [sys.executable, __file__, "--child", "whole-baseline", name, str(out)]
        args += ["--memory"] if name == "memory" else []
    return timed(args)


def timed(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env=child_env(), cwd=ROOT)
    return time.perf_counter() - started


def startup(scene: BenchScene, repeat: int, folder: Path) -> dict[str, float]:
    """Whole-process seconds of the quick commands (best of `repeat`), and a render's import time."""
    command = [sys.executable, "-m", "scenespec"]
    runs = {
        "--help": [*command, "--help"],
        "--version": [*command, "--version"],
        f"validate {scene.spec}": [*command, "validate", scene.spec],
    }
    sets = [arg for item in scene.overrides for arg in ("--set", item)]
    floor = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "import matplotlib.figure and the Agg canvas": [
            sys.executable,
            "-c",
            "import matplotlib.figure, matplotlib.backends.backend_agg",
        ],
        f"render {scene.spec}, its first frame only (PNG)": [
            *command,
            "render",
            scene.spec,
            *sets,
            "--frame",
            "0",
            "-o",
            str(folder / "first.png"),
            "-q",
        ],
    }
    times = {label: min(timed(args) for _ in range(repeat)) for label, args in (runs | floor).items()}
    times[f"render {scene.spec}: imports"] = min(render_imports(scene, folder) for _ in range(repeat))
    return times


def render_imports(scene: BenchScene, folder: Path) -> float:
    """Seconds a render spends importing: the sum of the own times `python -X importtime` reports."""
    sets = [arg for item in scene.overrides for arg in ("--set", item)]
    args = [sys.executable, "-X", "importtime", "-m", "scenespec", "render", scene.spec, *sets]
    args += ["-o", str(folder / "imports.gif"), "-q"]
    run = subprocess.run(args, check=True, capture_output=True, text=True, env=child_env(), cwd=ROOT)
    lines = [line for line in run.stderr.splitlines() if line.startswith("import time:") and "self [us]" not in line]
    return sum(int(line.split(":", 1)[1].split("|")[0]) for line in lines) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenes", nargs="*", help=f"scenes to run (default: all of {', '.join(SCENES)})")
    parser.add_argument("--memory", action="store_true", help="also linreg at 1,000 frames (peak memory)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement; the best is reported")
    parser.add_argument("--child", nargs=3, metavar=("IMPL", "SCENE", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        impl, name, out = args.child
        child(impl, MEMORY_SCENE if name == "memory" else SCENES[name], Path(out), args.workers)
        return
    names = args.scenes or list(SCENES)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        runs = [(name, SCENES[name]) for name in names] + ([("memory", MEMORY_SCENE)] if args.memory else [])
        starts = startup(runs[0][1], max(args.repeat, 3), folder)
        for name, scene in runs:
            whole_process("scenespec", name, scene, folder)  # warms the trace cache, untimed
            base = best("baseline", name, scene, None, folder, args.repeat)
            fast = best("scenespec", name, scene, None, folder, args.repeat)
            one = best("scenespec", name, scene, 1, folder, args.repeat) if name != "memory" else None
            whole_base = min(whole_process("baseline", name, scene, folder) for _ in range(args.repeat))
            whole_fast = min(whole_process("scenespec", name, scene, folder) for _ in range(args.repeat))
            rows.append((name, scene, base, fast, one, whole_base, whole_fast))
            print(f"{name}: baseline {base['seconds']:.2f} s, scenespec {fast['seconds']:.2f} s", file=sys.stderr)
    print_table(rows)
    print_startup(starts)
    name, scene, *_, whole_base, _ = rows[0]
    one_frame = next(seconds for label, seconds in starts.items() if "first frame only" in label)
    print(
        f"\nceiling of the whole-process ratio for {name}: baseline {whole_base:.2f} s / one-frame render "
        f"{one_frame:.2f} s = {whole_base / one_frame:.1f}×"
    )


def best(impl: str, name: str, scene: BenchScene, workers: int | None, folder: Path, repeat: int) -> dict:
    """The draw-only measurement with the fewest seconds out of `repeat`."""
    runs = [measure(impl, name, scene, workers, folder) for _ in range(repeat)]
    return min(runs, key=lambda result: result["seconds"])


def print_table(rows: list) -> None:
    mb = 1024 * 1024
    print(f"cores: {os.cpu_count()}; draw-only times exclude imports and computing the numbers (see docstring)\n")
    print(
        "| scene | frames | draw-only: baseline s | scenespec s | ratio | 1 worker s | ratio | "
        "whole process: baseline s | scenespec s | ratio | "
        "peak RSS baseline | peak RSS scenespec | RSS ratio | GIF baseline | GIF scenespec |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, scene, base, fast, one, whole_base, whole_fast in rows:
        one_s = f"{one['seconds']:.2f}" if one else "–"
        one_r = f"{base['seconds'] / one['seconds']:.1f}×" if one else "–"
        print(
            f"| {name} ({scene.what}) | {fast['frames']} | {base['seconds']:.2f} | {fast['seconds']:.2f} | "
            f"{base['seconds'] / fast['seconds']:.1f}× | {one_s} | {one_r} | {whole_base:.2f} | {whole_fast:.2f} | "
            f"{whole_base / whole_fast:.1f}× | {base['rss'] / mb:.0f} MB | "
            f"{fast['rss'] / mb:.0f} MB | {fast['rss'] / base['rss']:.2f} | {base['bytes'] / 1024:.0f} KB | "
            f"{fast['bytes'] / 1024:.0f} KB |"
        )


def print_startup(times: dict[str, float]) -> None:
    print("\n| command | seconds |")
    print("| --- | ---: |")
    for label, seconds in times.items():
        print(f"| {label} | {seconds:.3f} |")


if __name__ == "__main__":
    main()
