"""Sweeps: `[sweep]` expanded into small multiples (copies of the swept sources, a panel group per point, shared
limits, titles from the values), each point equal to the spec rendered alone with `--set`, located errors, the
`sweep_points` budget, `--split` outputs byte-identical to single renders, and sources resolved in other processes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import scenespec
from scenespec import pipeline
from scenespec.api import Spec
from scenespec.cli import main
from scenespec.compile.limits import padded
from scenespec.errors import SpecError
from scenespec.load.sweep import SweptSpec
from scenespec.pipeline import load_and_validate
from scenespec.tasks.local import ProcessTasks, SerialTasks

BASE = """\
[scene]
title = "Learning rates"
size = [3.0, 2.5]
dpi = 40

[sources.fit]
kind = "trainer"
model = "linear"
data = { kind = "line", slope = 1.0, intercept = -2.0, noise = 1.0, n = 20, x = [0, 10], seed = 0 }
optimizer = { name = "sgd", lr = 1e-4 }
batch_size = 1
loss = "sse"
init = { w = -1.0, b = 1.0 }
epochs = 12

[sources.ref]
kind = "trainer"
model = "linear"
data = { kind = "line", slope = 2.0, intercept = 0.0, noise = 0.5, n = 10, x = [0, 5], seed = 1 }
optimizer = { name = "sgd", lr = 1e-3 }
epochs = 12

[transforms.smooth]
kind = "moving_average"
of = "fit.loss"
width = 3

[frames]
source = "fit"
steps = { first = 3, every = 4 }

[[panels]]
title = "Fit"
layers = [
  { kind = "scatter", x = "fit.x", y = "fit.y", color = "red", label = "data" },
  { kind = "line", x = "fit.x", y = "fit.pred", label = "fit" },
  { kind = "line", x = "ref.x", y = "ref.pred", label = "reference" },
  { kind = "text", text = "Cost: {fit.loss:.2f} {{braces}}", at = [0.05, 0.9], coords = "axes" },
]

[[panels]]
layers = [{ kind = "metric", y = "transforms.smooth" }]
"""

LRS = [1e-4, 1e-3, 3e-3]
SWEEP = '\n[sweep]\n"sources.fit.optimizer.lr" = [1e-4, 1e-3, 3e-3]\n'


def write(folder: Path, text: str, name: str = "sweep.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def swept(tmp_path: Path) -> Spec:
    return scenespec.load(write(tmp_path, BASE + SWEEP))


def single(tmp_path: Path, lr: float) -> Spec:
    """The spec without its sweep, at one learning rate given with --set."""
    return scenespec.load(write(tmp_path, BASE, "base.toml"), [f"sources.fit.optimizer.lr={lr!r}"])


def test_swept_sources_and_the_transforms_reading_them_are_copied_and_bindings_rewritten(swept: Spec) -> None:
    data = swept.loaded.data
    assert list(data["sources"]) == ["fit_1", "fit_2", "fit_3", "ref"]  # ref is shared: not swept
    assert [data["sources"][f"fit_{i + 1}"]["optimizer"]["lr"] for i in range(3)] == LRS
    assert list(data["transforms"]) == ["smooth_1", "smooth_2", "smooth_3"]
    assert data["transforms"]["smooth_2"]["of"] == "fit_2.loss"
    assert "sweep" not in data
    panels = data["panels"]
    assert len(panels) == 6  # two panels per point, point by point
    second = panels[2]["layers"]
    assert [layer.get("y") for layer in second[:3]] == ["fit_2.y", "fit_2.pred", "ref.pred"]
    assert second[3]["text"] == "Cost: {fit_2.loss:.2f} {{braces}}"
    assert panels[5]["layers"][0]["y"] == "transforms.smooth_3"
    assert data["frames"]["source"] == "fit_1"


def test_titles_follow_the_values_and_the_layout_keeps_each_point_a_column(swept: Spec) -> None:
    panels = swept.scene.panels
    assert [p.title for p in panels] == [
        "Fit\nlr = 0.0001", "lr = 0.0001", "Fit\nlr = 0.001", "lr = 0.001", "Fit\nlr = 0.003", "lr = 0.003"
    ]  # fmt: skip
    meta = swept.scene.scene
    assert meta.layout == ["panel1-1 panel1-2 panel1-3", "panel2-1 panel2-2 panel2-3"]
    assert meta.size == (9.0, 2.5)  # three columns of the spec's own size
    assert meta.title == "Learning rates"
    assert [p.legend for p in panels[::2]] == [True, False, False]  # one legend per panel group
    assert {p.share for p in panels[::2]} == {"sweep-panel1"}


def test_points_are_the_product_with_the_first_key_slowest(tmp_path: Path) -> None:
    text = BASE + '\n[sweep]\n"sources.fit.optimizer.lr" = [1e-3, 1e-2]\n"sources.fit.epochs" = [4, 8, 12]\n'
    spec = scenespec.load(write(tmp_path, text))
    assert spec.sweep is not None and spec.sweep.size == 6
    labels = [point.point.label for point in spec.points() if point.point]
    assert labels == [
        "lr = 0.001, epochs = 4", "lr = 0.001, epochs = 8", "lr = 0.001, epochs = 12",
        "lr = 0.01, epochs = 4", "lr = 0.01, epochs = 8", "lr = 0.01, epochs = 12",
    ]  # fmt: skip
    assert [s.scene.sources["fit"].epochs for s in spec.points()] == [4, 8, 12, 4, 8, 12]  # type: ignore[attr-defined]
    # six points wrap to two rows of three
    assert len(spec.scene.scene.layout or []) == 4


def test_each_point_traces_as_the_spec_alone_with_set_and_shared_sources_run_once(
    swept: Spec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[str] = []
    original = pipeline.resolve_task

    def counting(task: pipeline.SourceTask) -> scenespec.Trace:
        ran.append(task.name)
        return original(task)

    monkeypatch.setattr(pipeline, "resolve_task", counting)
    prepared = swept.prepare(runner=SerialTasks())
    assert sorted(ran) == ["fit_1", "fit_2", "fit_3", "ref"]
    for index, lr in enumerate(LRS):
        alone = single(tmp_path, lr).prepare()
        mine, theirs = prepared.traces[f"fit_{index + 1}"], alone.traces["fit"]
        assert isinstance(mine, scenespec.Trace) and isinstance(theirs, scenespec.Trace)
        for name in ("pred", "loss", "w"):
            np.testing.assert_array_equal(mine.field(name).data, theirs.field(name).data)
        np.testing.assert_array_equal(
            prepared.traces["transforms"].field(f"smooth_{index + 1}").data,
            alone.traces["transforms"].field("smooth").data,
        )
    assert not np.array_equal(prepared.traces["fit_1"].field("pred").data, prepared.traces["fit_3"].field("pred").data)


def test_each_point_hits_the_trace_cache_of_the_spec_alone(swept: Spec, tmp_path: Path, trace_cache: Path) -> None:
    swept.prepare(runner=SerialTasks())
    entries = sorted(trace_cache.glob("*.npz"))
    assert len(entries) == 4  # three points and the shared source
    single(tmp_path, LRS[1]).prepare()
    assert sorted(trace_cache.glob("*.npz")) == entries  # nothing new: a hit


def _unpadded(limits: tuple[float, float]) -> tuple[float, float]:
    """The data range behind limits padded by compile.limits.padded (5 % each side)."""
    lo, hi = limits
    span = (hi - lo) / 1.1
    return lo + 0.05 * span, hi - 0.05 * span


def test_copies_of_a_panel_share_limits_that_are_the_union_of_the_points(swept: Spec, tmp_path: Path) -> None:
    graph = pipeline.build(swept.prepare(runner=SerialTasks()))
    fits = [graph.panels[i].ax for i in (0, 2, 4)]
    assert fits[0].get_ylim() == fits[1].get_ylim() == fits[2].get_ylim()
    losses = [graph.panels[i].ax for i in (1, 3, 5)]
    assert losses[0].get_ylim() == losses[1].get_ylim() == losses[2].get_ylim()
    alone = [pipeline.build(single(tmp_path, lr).prepare()).panels[1].ax.get_ylim() for lr in LRS]
    ranges = [_unpadded(limits) for limits in alone]
    union = padded((min(lo for lo, _ in ranges), max(hi for _, hi in ranges)))
    assert union is not None
    np.testing.assert_allclose(losses[0].get_ylim(), union, rtol=1e-9)
    assert len({limits for limits in alone}) == 3  # alone, each point's limits differ


def test_grow_limits_grow_together(tmp_path: Path) -> None:
    text = BASE.replace(
        '[[panels]]\nlayers = [{ kind = "metric"', '[[panels]]\nlimits = "grow"\nlayers = [{ kind = "metric"'
    )
    spec = scenespec.load(write(tmp_path, text + SWEEP))
    prepared = spec.prepare(runner=SerialTasks())
    graph = pipeline.build(prepared)
    before = graph.panels[1].ax.get_ylim()
    for frame in prepared.frames:
        graph.show(frame)
    limits = [graph.panels[i].ax.get_ylim() for i in (1, 3, 5)]
    assert limits[0] == limits[1] == limits[2]
    assert limits[0] != before


def test_points_with_fewer_steps_hold_their_last_on_one_timeline(tmp_path: Path) -> None:
    text = BASE.replace("steps = { first = 3, every = 4 }", 'steps = "all"')
    spec = scenespec.load(write(tmp_path, text + '\n[sweep]\n"sources.fit.epochs" = [3, 6]\n'))
    prepared = spec.prepare(runner=SerialTasks())
    short, long = prepared.traces["fit_1"], prepared.traces["fit_2"]
    assert short.steps[-1] < long.steps[-1]
    assert prepared.frames[-1].step == long.steps[-1]  # the timeline runs to the longest point


def test_a_panel_share_group_set_by_the_user_shares_limits(tmp_path: Path) -> None:
    text = BASE.replace('[[panels]]\ntitle = "Fit"', '[[panels]]\ntitle = "Fit"\nshare = "g"').replace(
        '[[panels]]\nlayers = [{ kind = "metric"', '[[panels]]\nshare = "g"\nlayers = [{ kind = "metric"'
    )
    graph = pipeline.build(scenespec.load(write(tmp_path, text)).prepare())
    assert graph.panels[0].ax.get_ylim() == graph.panels[1].ax.get_ylim()
    assert graph.panels[0].ax.get_xlim() == graph.panels[1].ax.get_xlim()


def test_split_outputs_are_byte_identical_to_single_renders_with_set(tmp_path: Path) -> None:
    spec_file = write(tmp_path, BASE + SWEEP)
    base = write(tmp_path, BASE, "base.toml")
    out = tmp_path / "out"
    out.mkdir()
    assert main(["render", str(spec_file), "--split", "-o", str(out), "-q", "--workers", "2"]) == 0
    names = sorted(path.name for path in out.iterdir())
    assert names == ["sweep.lr=0.0001.gif", "sweep.lr=0.001.gif", "sweep.lr=0.003.gif"]
    for lr, slug in zip(LRS, ["0.0001", "0.001", "0.003"], strict=True):
        alone = tmp_path / f"alone-{slug}.gif"
        assert main(["render", str(base), "--set", f"sources.fit.optimizer.lr={lr!r}", "-o", str(alone), "-q"]) == 0
        assert (out / f"sweep.lr={slug}.gif").read_bytes() == alone.read_bytes()


def test_split_with_a_point_pattern_and_the_python_api(tmp_path: Path) -> None:
    spec = scenespec.load(write(tmp_path, BASE + SWEEP), split=True)
    results = spec.render_split(tmp_path / "lr-{point}.png", runner=SerialTasks())
    assert [r.target.path for r in results] == [tmp_path / f"lr-lr={v}.png" for v in ("0.0001", "0.001", "0.003")]
    assert all(r.frames == 1 and r.target.path and r.target.path.stat().st_size > 0 for r in results)
    assert not list(tmp_path.glob(".*part"))  # written atomically: no temporary file left
    with pytest.raises(scenespec.RenderError, match="render_split"):
        spec.render()


def test_split_refuses_an_output_without_the_point(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec_file = write(tmp_path, BASE + SWEEP)
    assert main(["render", str(spec_file), "--split", "-o", str(tmp_path / "one.gif")]) == 1
    assert "{point}" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.gif"))


def _error(tmp_path: Path, sweep: str, split: bool = False) -> str:
    text = BASE + "\n[sweep]\n" + sweep
    with pytest.raises(SpecError) as caught:
        scenespec.load(write(tmp_path, text), split=split)
    return str(caught.value)


def sweep_line(offset: int = 0) -> int:
    return BASE.count("\n") + 3 + offset


def test_a_sweep_value_that_is_not_a_list_or_empty_is_located(tmp_path: Path) -> None:
    line = sweep_line()
    message = _error(tmp_path, '"sources.fit.optimizer.lr" = 0.1\n"sources.fit.epochs" = []\n')
    assert f"sweep.toml:{line}: sweep.sources.fit.optimizer.lr: expected a list of values" in message
    assert f"sweep.toml:{line + 1}: sweep.sources.fit.epochs: an empty list" in message


def test_a_value_the_spec_refuses_names_the_sweep_key_and_the_value(tmp_path: Path) -> None:
    message = _error(tmp_path, '"sources.fit.optimizer.lr" = [1e-3, -1.0]\n')
    assert message.startswith(f"{tmp_path / 'sweep.toml'}:{sweep_line()}: sweep.sources.fit.optimizer.lr: at lr = -1: ")
    assert "greater than 0" in message
    assert "0.001" not in message  # the valid point is not blamed


def test_a_path_the_spec_refuses_is_located_at_the_sweep_key(tmp_path: Path) -> None:
    message = _error(tmp_path, '"sources.fit.optimiser.lr" = [1e-3]\n')
    assert f":{sweep_line()}: sweep.sources.fit.optimizer.lr" not in message
    assert f":{sweep_line()}: sweep.sources.fit.optimiser.lr: at lr = 0.001: " in message
    assert "optimizer" in message  # did you mean


def test_more_points_than_the_budget_are_refused_unless_raised(tmp_path: Path) -> None:
    sweep = '"sources.fit.optimizer.lr" = [1e-4, 1e-3, 3e-3]\n"sources.fit.epochs" = [2, 3, 4]\n'
    text = BASE.replace("[frames]", "[limits]\nsweep_points = 8\n\n[frames]")
    with pytest.raises(SpecError) as caught:
        scenespec.load(write(tmp_path, text + "\n[sweep]\n" + sweep))
    assert "sweep: 9 points (3 × 3) is over the limit of 8 (limits.sweep_points; raise it if you mean it)" in str(
        caught.value
    )
    raised = text.replace("sweep_points = 8", "sweep_points = 9")
    assert scenespec.load(write(tmp_path, raised + "\n[sweep]\n" + sweep)).sweep is not None


def test_a_figure_wide_key_is_swept_only_with_split(tmp_path: Path) -> None:
    message = _error(tmp_path, '"frames.fps" = [5, 10]\n')
    assert f":{sweep_line()}: sweep.frames.fps: `frames` is one setting for the whole figure" in message
    assert "--split" in message
    spec = scenespec.load(write(tmp_path, BASE + '\n[sweep]\n"frames.fps" = [5, 10]\n'), split=True)
    assert [point.scene.frames.fps for point in spec.points()] == [5, 10]


def test_overlapping_keys_are_refused(tmp_path: Path) -> None:
    message = _error(
        tmp_path, '"sources.fit.optimizer" = [{ name = "sgd", lr = 0.1 }]\n"sources.fit.optimizer.lr" = [1]\n'
    )
    assert f":{sweep_line(1)}: sweep.sources.fit.optimizer.lr: sweeps a key inside 'sources.fit.optimizer'" in message


def test_validate_checks_every_point(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write(tmp_path, BASE + '\n[sweep]\n"sources.fit.epochs" = [3, 0]\n')
    assert main(["validate", str(bad)]) == 2
    assert f"sweep.toml:{sweep_line()}: sweep.sources.fit.epochs: at epochs = 0:" in capsys.readouterr().err
    good = write(tmp_path, BASE + SWEEP, "good.toml")
    assert main(["validate", str(good)]) == 0


def test_the_gallery_loads_a_sweep_as_its_small_multiples(tmp_path: Path) -> None:
    loaded, scene = load_and_validate(write(tmp_path, BASE + SWEEP))
    assert isinstance(loaded, SweptSpec) and len(scene.panels) == 6


def test_an_error_in_the_expanded_scene_points_at_the_spec_as_written(swept: Spec) -> None:
    loaded = swept.loaded
    assert isinstance(loaded, SweptSpec)
    problem = loaded.problem("bad", ("panels", 4, "layers", 1, "y"))
    assert (problem.path, problem.line) == (("panels", 0, "layers", 1, "y"), BASE.splitlines().index("[[panels]]") + 5)
    moved = loaded.problem("bad", ("sources", "fit_2", "optimizer", "lr"))
    assert moved.path == ("sweep", "sources.fit.optimizer.lr")


def _recording(task: pipeline.SourceTask) -> scenespec.Trace:
    """resolve_task, leaving a file named after the process that ran it."""
    Path(os.environ["SWEEP_TEST_PIDS"], str(os.getpid())).touch()
    return ORIGINAL_RESOLVE(task)


ORIGINAL_RESOLVE = pipeline.resolve_task


def test_the_points_sources_run_in_other_processes(
    swept: Spec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    monkeypatch.setenv("SWEEP_TEST_PIDS", str(pids))
    monkeypatch.setattr(pipeline, "resolve_task", _recording)
    with ProcessTasks(2) as runner:
        prepared = swept.prepare(runner=runner)
    ran = {int(path.name) for path in pids.iterdir()}
    assert ran and os.getpid() not in ran
    assert set(prepared.traces) >= {"fit_1", "fit_2", "fit_3", "ref"}


def test_a_panel_key_is_swept_on_each_point_copy_of_that_panel(tmp_path: Path) -> None:
    spec = scenespec.load(write(tmp_path, BASE + '\n[sweep]\n"panels.0.layers.1.color" = ["green", "black"]\n'))
    data = spec.loaded.data
    assert list(data["sources"]) == ["fit", "ref"]  # no source is swept: all are shared
    assert [data["panels"][i]["layers"][1]["color"] for i in (0, 2)] == ["green", "black"]
    assert [data["panels"][i]["title"] for i in (0, 2)] == ["Fit\ncolor = green", "Fit\ncolor = black"]


def test_validate_split_checks_a_sweep_of_figure_wide_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec_file = write(tmp_path, BASE + '\n[sweep]\n"frames.fps" = [5, 0]\n')
    assert main(["validate", str(spec_file), "--split"]) == 2
    assert f"sweep.toml:{sweep_line()}: sweep.frames.fps: at fps = 0:" in capsys.readouterr().err
    fine = write(tmp_path, BASE + '\n[sweep]\n"frames.fps" = [5, 10]\n', "fine.toml")
    assert main(["validate", str(fine), "--split"]) == 0
    assert main(["validate", str(fine)]) == 2  # as small multiples, fps cannot vary


def test_split_frame_writes_one_poster_per_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec_file = write(tmp_path, BASE + SWEEP)
    monkeypatch.chdir(tmp_path)
    assert main(["render", str(spec_file), "--split", "--frame", "-1", "-q", "--workers", "1"]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "sweep.lr=0.0001.png", "sweep.lr=0.001.png", "sweep.lr=0.003.png"
    ]  # fmt: skip


def test_split_of_a_spec_without_a_sweep_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", str(write(tmp_path, BASE)), "--split"]) == 2
    assert "has none" in capsys.readouterr().err
