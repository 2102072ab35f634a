"""Tasks on a real Dask cluster: a `LocalCluster` of two worker processes, started once for the module.

The gallery built on the cluster has the bytes of a gallery built here; the specs really render in the workers'
processes; a spec failing on a worker is reported as it is here; the errors cross the cluster as the same class;
sources that read files render on a worker that cannot see them; the CLI's --executor dask and --scheduler, and
an unreachable scheduler's message.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cloudpickle
import pytest
from helpers import REPO, SPEC, replace_once, run_cli_many

from scenespec.errors import Problem, RenderError, SpecError
from scenespec.gallery import GalleryResult, build_gallery
from scenespec.gallery.build import Entry
from scenespec.gallery.task import SpecTask, render_spec
from scenespec.pipeline import load_and_validate, render
from scenespec.tasks import runner_from_options
from scenespec.tasks.dask import DaskTasks, version_problems
from scenespec.tasks.payload import payload_for

# The workers import scenespec, not this test module: its task functions travel by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

POINTS = "x,y\n" + "".join(f"{x},{2 * x - 1 + (0.3 if x % 2 else -0.3)}\n" for x in range(12))
HUGE = "x,y\n0,0\n1,1e200\n2,2\n"
LOG = "epoch,loss\n" + "".join(f"{e},{1 / e:.4f}\n" for e in range(1, 9))
LOG_SPEC = """\
[scene]
title = "A CSV log"
dpi = 40

[sources.log]
kind = "csv"
path = "logs/run.csv"
step = "epoch"

[[panels]]
layers = [{ kind = "metric", y = "log.loss", label = "loss" }]
"""
QUICK = replace_once(replace_once(SPEC, "epochs = 20", "epochs = 4"), "dpi = 50", "dpi = 30")  # 5 frames
CSV_DATA = 'data = { kind = "csv", path = "data/points.csv" }'
LINE_DATA = 'data = { kind = "line", slope = 1.0, intercept = -2.0, noise = 1.0, n = 50, x = [0, 10], seed = 0 }'


def write_specs(folder: Path) -> list[Path]:
    """Quick specs: a trainer, a one-frame contour, a CSV log (a file-reading source), a trainer on CSV data (an
    input file), a trainer whose CSV data fails on the worker, and a spec that fails to validate here."""
    (folder / "data").mkdir(parents=True)
    (folder / "logs").mkdir()
    (folder / "data" / "points.csv").write_text(POINTS, encoding="utf-8")
    (folder / "data" / "huge.csv").write_text(HUGE, encoding="utf-8")
    (folder / "logs" / "run.csv").write_text(LOG, encoding="utf-8")
    contour = (REPO / "specs" / "bowl_contour.toml").read_text(encoding="utf-8")
    contour = replace_once(contour, "[scene]\n", "[scene]\ndpi = 30\n")
    texts = {
        "linreg.toml": QUICK,
        "contour.toml": contour,
        "log.toml": LOG_SPEC,
        "fitcsv.toml": replace_once(QUICK, LINE_DATA, CSV_DATA),
        "huge.toml": replace_once(QUICK, LINE_DATA, CSV_DATA.replace("points", "huge")),
        "broken.toml": replace_once(QUICK, 'kind = "scatter"', 'kind = "scater"'),
    }
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    return [folder / name for name in texts]


RENDERED = ("linreg", "contour", "log", "fitcsv")
FAILED = ("huge", "broken")


@pytest.fixture(scope="module")
def cluster() -> Iterator[DaskTasks]:
    """A LocalCluster of two worker processes, one thread each, started by the runner itself (no address)."""
    with DaskTasks(workers=2) as runner:
        yield runner


@dataclass(frozen=True)
class Galleries:
    root: Path
    specs: list[Path]
    here: GalleryResult
    there: GalleryResult


@pytest.fixture(scope="module")
def galleries(cluster: DaskTasks, tmp_path_factory: pytest.TempPathFactory) -> Galleries:
    root = tmp_path_factory.mktemp("dask")
    specs = write_specs(root / "specs")
    here = build_gallery(specs, root / "here", workers=1)  # one spec after another, in this process
    there = build_gallery(specs, root / "there", runner=cluster)
    return Galleries(root, specs, here, there)


def entries(result: GalleryResult) -> dict[str, Entry]:
    return {entry.name: entry for entry in result.entries}


def output_files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.glob("*/*"))
        if path.suffix in (".gif", ".png", ".mp4")
    }


def test_the_gallery_on_the_cluster_has_the_bytes_of_a_gallery_built_here(galleries: Galleries) -> None:
    here, there = output_files(galleries.here.out), output_files(galleries.there.out)
    assert sorted(here) == sorted(there)
    assert {name.split("/")[0] for name in here} == set(RENDERED)
    assert sorted(name for name in here if name.startswith("linreg/")) == [
        "linreg/animation.gif",
        "linreg/animation.mp4",
        "linreg/poster.png",
    ]
    assert [name for name in here if name.startswith("contour/")] == ["contour/poster.png"]  # one frame
    different = [name for name in here if here[name] != there[name]]
    assert different == []  # GIF, poster and MP4 alike (x264's threads are fixed: docs/scaling.md)
    for name in RENDERED:
        facts_here, facts_there = entries(galleries.here)[name].facts, entries(galleries.there)[name].facts
        assert facts_here is not None and facts_there is not None
        assert {k: v for k, v in facts_here.items() if k != "seconds"} == {
            k: v for k, v in facts_there.items() if k != "seconds"
        }


def test_the_specs_rendered_in_the_workers_processes(galleries: Galleries, cluster: DaskTasks) -> None:
    workers = set(cluster.worker_pids().values())
    assert len(workers) == 2 and os.getpid() not in workers
    ran_in = {name: entries(galleries.there)[name].ran_in for name in (*RENDERED, "huge")}  # huge fails there
    pids = {int(where.rsplit(":", 1)[1]) for where in ran_in.values() if where is not None}
    assert len(pids) >= 1 and pids <= workers, (ran_in, workers)
    assert {entries(galleries.here)[name].ran_in for name in RENDERED} == {f"{socket.gethostname()}:{os.getpid()}"}
    assert entries(galleries.there)["broken"].ran_in is None  # invalid: refused here, never sent


def test_a_spec_failing_on_a_worker_is_reported_as_here(galleries: Galleries) -> None:
    here, there = entries(galleries.here), entries(galleries.there)
    for name in FAILED:
        assert there[name].status == here[name].status == "failed"
        assert (there[name].error_kind, there[name].error) == (here[name].error_kind, here[name].error)
    huge = there["huge"].error
    assert huge is not None and "the data reach |value| = 1e+200" in huge and huge.startswith(f"{galleries.specs[4]}:")
    assert "'scater'" in (there["broken"].error or "")
    assert galleries.there.count("rendered") == len(RENDERED)


def _square_or_fail(item: tuple[int, float]) -> tuple[int, int]:
    """The square of item[0] after item[1] seconds, and the pid; item 4 raises a located SpecError, item 5 a
    RenderError."""
    value, pause = item
    time.sleep(pause)
    if value == 4:
        raise SpecError([Problem("four is not allowed", ("sources", "fit", "epochs"), file="s.toml", line=7)])
    if value == 5:
        raise RenderError("five cannot be drawn")
    return value * value, os.getpid()


def test_results_come_in_order_and_errors_cross_as_the_same_class(cluster: DaskTasks) -> None:
    workers = set(cluster.worker_pids().values())
    seen: list[tuple[int, int]] = []
    items = [(value, 0.4 if value == 0 else 0.0) for value in range(8)]  # the first finishes last
    with pytest.raises(SpecError) as raised:
        for result in cluster.map(_square_or_fail, items):
            seen.append(result)
    assert [square for square, _ in seen] == [0, 1, 4, 9]
    assert {pid for _, pid in seen} <= workers
    assert raised.value.problems == [Problem("four is not allowed", ("sources", "fit", "epochs"), "s.toml", 7)]
    assert str(raised.value) == "s.toml:7: sources.fit.epochs: four is not allowed"
    with pytest.raises(RenderError, match=r"^five cannot be drawn$"):
        list(cluster.map(_square_or_fail, [(5, 0.0)]))
    assert [square for square, _ in cluster.map(_square_or_fail, [(6, 0.0), (7, 0.0)])] == [36, 49]  # still usable


def test_specs_reading_files_render_on_a_worker_that_cannot_see_them(
    galleries: Galleries, cluster: DaskTasks, tmp_path: Path
) -> None:
    """The tasks are made here, then the spec folder is moved away: the worker renders from what the task holds
    (the CSV log's trace, the trainer's CSV data as bytes), not from the disk."""
    specs = write_specs(tmp_path / "specs")
    tasks = []
    for path in specs:
        if path.stem in ("log", "fitcsv"):
            loaded, scene = load_and_validate(path)
            tasks.append(SpecTask(path.stem, payload_for(loaded, scene)))
    log, fitcsv = (task.payload for task in tasks)
    assert list(log.traces) == ["log"] and log.inputs == {}
    assert fitcsv.traces == {} and fitcsv.inputs == {str(tmp_path / "specs" / "data" / "points.csv"): POINTS.encode()}
    shutil.move(tmp_path / "specs", tmp_path / "moved")
    assert not (tmp_path / "specs").exists()
    outputs = list(cluster.map(render_spec, tasks))
    assert [output.failure for output in outputs] == [None, None]
    here = output_files(galleries.here.out)
    for task, output in zip(tasks, outputs, strict=True):
        assert output.files == {name: here[f"{task.name}/{name}"] for name in output.files}
        assert sorted(output.files) == ["animation.gif", "animation.mp4", "poster.png"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_command_line_on_a_scheduler(galleries: Galleries, cluster: DaskTasks, tmp_path: Path) -> None:
    """`gallery --executor dask --scheduler`, `render --executor dask` (a PNG sequence: a folder, sent as a zip),
    and a scheduler that is not there, all at once."""
    shutil.copytree(galleries.root / "specs", tmp_path / "specs")
    local_frames = tmp_path / "frames-here"
    render(tmp_path / "specs" / "linreg.toml", out=str(local_frames), fmt="png-sequence", progress=False, workers=1)
    nobody = f"tcp://127.0.0.1:{free_port()}"
    site, frames, unreachable = run_cli_many(
        [
            (["gallery", "specs/log.toml", "-o", "site", "--executor", "dask", "--scheduler", cluster.address],
             tmp_path),
            (["render", "specs/linreg.toml", "-o", "frames", "--format", "png-sequence", "--executor", "dask",
              "--scheduler", cluster.address], tmp_path),
            (["gallery", "specs/contour.toml", "-o", "nowhere", "--scheduler", nobody], tmp_path),
        ]
    )  # fmt: skip
    assert site.returncode == 0, site.stderr
    assert "gallery: 1 specs (1 rendered, 0 unchanged, 0 failed)" in site.stdout
    here = output_files(galleries.here.out)
    assert output_files(tmp_path / "site") == {name: data for name, data in here.items() if name.startswith("log/")}
    assert frames.returncode == 0, frames.stderr
    assert frames.stdout.startswith("wrote frames (png-sequence): 5 frames, ")
    rendered = {path.name: path.read_bytes() for path in sorted((tmp_path / "frames").iterdir())}
    assert rendered == {path.name: path.read_bytes() for path in sorted(local_frames.iterdir())}
    assert len(rendered) == 5
    assert unreachable.returncode == 1
    assert unreachable.stderr.startswith(f"error: cannot reach the Dask scheduler at {nobody} (tried for 5 s: ")
    assert "Traceback" not in unreachable.stderr
    assert not (tmp_path / "nowhere").exists()


def test_the_executor_options_say_what_is_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(RenderError, match=r"^--scheduler tcp://h:8786 is for --executor dask, not --executor local$"):
        runner_from_options("local", "tcp://h:8786")
    with pytest.raises(RenderError, match=r"^'nonsense' is not a Dask scheduler address such as tcp://host:8786: "):
        runner_from_options(None, "nonsense")
    monkeypatch.delitem(sys.modules, "scenespec.tasks.dask")
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the dask extra were not installed
    with pytest.raises(RenderError) as missing:
        runner_from_options("dask")
    assert str(missing.value) == (
        "--executor dask needs dask.distributed (distributed is not installed): pip install 'scenespec[dask]'"
    )


def test_versions_that_differ_are_named() -> None:
    here = {"scenespec": "0.1.0", "matplotlib": "3.11.2"}
    same = {"tcp://a:1": dict(here), "tcp://b:1": dict(here)}
    assert version_problems(here, same) == (None, None)
    older = {"tcp://a:1": dict(here), "tcp://b:1": {"scenespec": "0.0.9", "matplotlib": "3.10.0"}}
    error, warning = version_problems(here, older)
    assert error == (
        "this machine has scenespec 0.1.0 but tcp://b:1 has 0.0.9: install the same scenespec on every machine"
    )
    assert warning == (
        "this machine has matplotlib 3.11.2 but tcp://b:1 has 3.10.0: outputs may differ in their pixels from a "
        "render here"
    )


def test_a_sweep_on_the_cluster_has_the_bytes_of_a_sweep_rendered_here(cluster: DaskTasks, tmp_path: Path) -> None:
    """`--split --executor dask`: each point a task on the workers; a small-multiples sweep: its points' sources
    (a trainer on CSV data, the file's bytes carried with the task) run there and the figure is drawn here. Both
    give the bytes of the same renders done here, and the file-reading log is read here."""
    specs = write_specs(tmp_path / "specs")
    sweep = replace_once(
        specs[3].read_text(encoding="utf-8"),
        "[frames]",
        '[sweep]\n"sources.fit.optimizer.lr" = [1e-4, 2e-4]\n\n[frames]',
    )
    (tmp_path / "specs" / "sweep.toml").write_text(sweep, encoding="utf-8")
    (tmp_path / "here").mkdir()
    (tmp_path / "there").mkdir()
    runs = run_cli_many(
        [
            (["render", "specs/sweep.toml", "--split", "-o", "here", "--workers", "1", "--no-cache"], tmp_path),
            (["render", "specs/sweep.toml", "--split", "-o", "there", "--no-cache", "--executor", "dask",
              "--scheduler", cluster.address], tmp_path),
            (["render", "specs/sweep.toml", "-o", "multiples-here.gif", "--workers", "1", "--no-cache"], tmp_path),
            (["render", "specs/sweep.toml", "-o", "multiples-there.gif", "--no-cache", "--executor", "dask",
              "--scheduler", cluster.address], tmp_path),
        ]
    )  # fmt: skip
    for run in runs:
        assert run.returncode == 0, run.stderr
    here = {path.name: path.read_bytes() for path in sorted((tmp_path / "here").iterdir())}
    there = {path.name: path.read_bytes() for path in sorted((tmp_path / "there").iterdir())}
    assert sorted(here) == ["sweep.lr=0.0001.gif", "sweep.lr=0.0002.gif"]
    assert here == there and here["sweep.lr=0.0001.gif"] != here["sweep.lr=0.0002.gif"]
    assert (tmp_path / "multiples-here.gif").read_bytes() == (tmp_path / "multiples-there.gif").read_bytes()
