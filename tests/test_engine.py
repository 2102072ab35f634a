"""The frame engine: static parts drawn once, moving artists per frame, same pictures as a full redraw."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import moving_spec, moving_trace, write_spec
from matplotlib.artist import Artist

from scenespec.compile import ArtistGraph, compiler
from scenespec.paint.base import BuildContext, Painter
from scenespec.pipeline import Prepared, build, prepare, scene_style
from scenespec.render.engine import FrameEngine
from scenespec.render.renderer import frame_pixels, render_frames
from scenespec.render.sinks.base import Sink
from scenespec.schedule import Frame

SPECS = Path(__file__).resolve().parent.parent / "specs"

# Every spec at dpi 50; slow ones with shorter runs.
FAST: dict[str, tuple[str, ...]] = {
    "bowl_camera_tour": ("sources.bowl.steps=30",),
    "bowl_path_3d": ("sources.bowl.steps=30",),
    "bowl_paths_article": ("sources.sgd.steps=30", "sources.adagrad.steps=30"),
    "bowl_sgd_zigzag": ("sources.bowl.steps=40",),
    "learner_linear": ("sources.net.epochs=1",),
    "learner_sine": ("sources.net.epochs=1",),
    "linreg": ("sources.fit.epochs=120",),
    "linreg_zh": ("sources.fit.epochs=120",),
    "projector_digits_pca": ("sources.digits.epochs=3", "sources.digits.record={epochs=[1]}", "frames.tween.between=2"),
    "projector_digits_tsne": (
        "sources.digits.epochs=3",
        "sources.digits.record={epochs=[1]}",
        "frames.tween.between=2",
        "transforms.layout.max_iter=250",
    ),
    "race_rosenbrock": ("sources.race.steps=100",),
    "race_rosenbrock_dark": ("sources.race.steps=100",),
}
MAX_MEAN_DIFFERENCE = 2  # of 255, per pixel and channel, averaged over the frame


def overrides(name: str, *extra: str) -> list[str]:
    return ["scene.dpi=50", *FAST.get(name, ()), *extra]


def two_graphs(path: Path, *extra: str) -> tuple[Prepared, ArtistGraph, ArtistGraph]:
    """Two graphs of the same prepared scene: one drawn in full, one through the engine."""
    prepared = prepare(path, overrides(path.stem, *extra))
    with scene_style(prepared.scene):
        return prepared, build(prepared), build(prepared)


def mean_difference(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape and a.dtype == b.dtype == np.uint8
    return float(np.abs(a.astype(int) - b).mean())


def layer_artist(graph: ArtistGraph, kind: str) -> Artist:
    return next(node.painter.artists[0] for node in graph.layers if node.painter.spec.kind == kind)


def built_at(prepared: Prepared, frame: Frame, monkeypatch: pytest.MonkeyPatch) -> ArtistGraph:
    """A new graph whose painters are built showing `frame`, as when it is the first frame: no painter's
    `update` ever runs on it (they are made to do nothing), so a broken update cannot hide in the reference.
    `show` then only turns the cameras."""
    make = compiler.make_painter

    def making(*args: Any, **kwargs: Any) -> Painter[Any]:
        painter = make(*args, **kwargs)
        build = painter.build

        def build_at_frame(ctx: BuildContext, first: Frame) -> None:
            build(ctx, frame)
            painter.update = lambda shown: None  # type: ignore[method-assign]

        painter.build = build_at_frame  # type: ignore[method-assign]
        return painter

    with monkeypatch.context() as patch:
        patch.setattr(compiler, "make_painter", making)
        with scene_style(prepared.scene):
            graph = build(prepared)
    return graph


def plain_redraw(prepared: Prepared, frame: Frame, monkeypatch: pytest.MonkeyPatch) -> np.ndarray:
    """`frame` drawn from nothing: a graph built showing it, drawn once in full by matplotlib."""
    graph = built_at(prepared, frame, monkeypatch)
    with graph.styled():
        return frame_pixels(graph, frame)


SAMPLES = 4  # frames compared per scene (the engine draws every frame, in order): first, last, two between
MAX_PIXEL_DIFFERENCE = 4  # of 255, at any pixel and channel; blitting and a full redraw round differently by 1-2


def assert_engine_equals_plain_redraw(prepared: Prepared, monkeypatch: pytest.MonkeyPatch) -> FrameEngine:
    """The engine draws every frame in order; at SAMPLES of them its picture is a plain redraw's, pixel by pixel."""
    with scene_style(prepared.scene):
        graph = build(prepared)
    frames = prepared.frames
    compared = sorted(set(np.linspace(0, len(frames) - 1, SAMPLES).round().astype(int).tolist()))
    drawn = {}
    with graph.styled():
        engine = FrameEngine(graph)
        for index, frame in enumerate(frames):
            pixels = engine.pixels(frame)
            if index in compared:
                drawn[index] = pixels
    for index in compared:
        expected = plain_redraw(prepared, frames[index], monkeypatch)
        assert expected.shape == drawn[index].shape
        worst = int(np.abs(expected.astype(int) - drawn[index]).max())
        assert worst <= MAX_PIXEL_DIFFERENCE, f"{engine.mode}: frame {index} of {len(frames)} differs by {worst}/255"
    return engine


CASES = [pytest.param(path, (), id=path.stem) for path in sorted(SPECS.glob("*.toml"))]
CASES.append(pytest.param(SPECS / "bowl_path_3d.toml", ("panels.0.camera.keys=[]",), id="bowl_path_3d-still"))


@pytest.mark.parametrize(("path", "extra"), CASES)
def test_frames_equal_a_plain_redraw(path: Path, extra: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    engine = assert_engine_equals_plain_redraw(prepare(path, overrides(path.stem, *extra)), monkeypatch)
    if "camera.rotate=0" in extra:  # a still 3D camera keeps its projection: its paths are blitted
        assert engine.blits


def test_layers_no_shipped_spec_animates_equal_a_plain_redraw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Arrows that move and turn, contours and a surface whose heights change per step, text, a growing path.

    The arrows have a fixed `scale` and one colour: left to matplotlib, the scale (and the colour range of
    `color_by = "magnitude"`) is chosen from the arrows of the first frame drawn, which is frame 0 in an
    animation (and its lone frames) but frame i in a graph built showing frame i."""
    moving_trace(tmp_path / "run.npz")
    text = moving_spec(
        [
            '{ kind = "contour", x = "run.X", y = "run.Y", z = "run.plane", filled = true }',
            '{ kind = "quiver", x = "run.qx", y = "run.qy", u = "run.qu", v = "run.qv", scale = 8 }',
            '{ kind = "path", x = "run.rx", y = "run.ry" }',
            '{ kind = "text", text = "loss {run.loss:.3f}", at = [0.05, 0.9], coords = "axes" }',
        ],
        ['{ kind = "surface", x = "run.X", y = "run.Y", z = "run.hill" }'],
    )
    prepared = prepare(write_spec(tmp_path, text))
    assert len(prepared.frames) == 5
    assert_engine_equals_plain_redraw(prepared, monkeypatch)


@pytest.mark.parametrize("name", ["linreg", "bowl_paths", "learner_linear", "race_rosenbrock"])
def test_moving_scenes_are_blitted(name: str) -> None:
    _, _, graph = two_graphs(SPECS / f"{name}.toml")
    with graph.styled():
        engine = FrameEngine(graph)
    assert engine.blits and not engine.redraws_fully
    assert engine.mode == "blit" and engine.reason is None
    assert engine.backgrounds_drawn == 1


def test_a_turning_camera_is_redrawn_in_full() -> None:
    prepared, _, graph = two_graphs(SPECS / "bowl_path_3d.toml")
    assert graph.rotating_panels
    with graph.styled():
        engine = FrameEngine(graph)
        engine.pixels(prepared.frames[1])
    assert engine.redraws_fully and not engine.blits
    assert "camera" in (engine.reason or "")
    assert engine.backgrounds_drawn == 0


def test_a_scene_without_moving_layers_is_drawn_once(monkeypatch: pytest.MonkeyPatch) -> None:
    prepared, reference, graph = two_graphs(SPECS / "bowl_contour.toml")
    assert not graph.dynamic_layers
    with reference.styled():
        engine = FrameEngine(graph)
        assert engine.mode == "static" and not engine.blits
        monkeypatch.setattr(graph.figure.canvas, "draw", lambda: pytest.fail("a static scene is drawn again"))
        first, again = engine.pixels(prepared.frames[0]), engine.pixels(prepared.frames[0])
        assert first is not again  # fresh arrays: a sink may keep them
        assert mean_difference(frame_pixels(reference, prepared.frames[0]), first) == 0


def count_draws(monkeypatch: pytest.MonkeyPatch, artist: Artist) -> list[int]:
    calls = [0]
    draw = artist.draw

    def counted(renderer) -> None:
        calls[0] += 1
        draw(renderer)

    monkeypatch.setattr(artist, "draw", counted)
    return calls


def test_static_artists_are_drawn_once_and_moving_ones_once_per_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    prepared, _, graph = two_graphs(SPECS / "linreg.toml")
    panel = graph.panels[0]
    scatter, line = layer_artist(graph, "scatter"), layer_artist(graph, "line")
    scatter_draws, line_draws = count_draws(monkeypatch, scatter), count_draws(monkeypatch, line)
    ticks = count_draws(monkeypatch, panel.ax.xaxis)
    legend = panel.twin_ax.get_legend()
    legend_draws = count_draws(monkeypatch, legend)
    with graph.styled():
        engine = FrameEngine(graph)
        # the scatter into the background; the legend, above the moving line, once into its overlay
        assert (scatter_draws[0], line_draws[0], legend_draws[0]) == (1, 0, 1)
        for frame in prepared.frames:
            engine.pixels(frame)
    frames = len(prepared.frames)
    # the background is drawn twice: at the start, and at frame 1, when the legend is built anew to list the cost
    # line, which draws nothing at frame 0 (a static artist came and went: the split no longer held)
    assert engine.backgrounds_drawn == 2
    assert scatter_draws[0] == 2 and ticks[0] == 2
    assert line_draws[0] == frames
    assert legend_draws[0] == 1  # zorder 5, above the moving line: its pre-drawn overlay is painted over it per frame
    assert legend is not panel.twin_ax.get_legend()


def test_a_legend_above_the_moving_line_stays_on_top() -> None:
    prepared, reference, graph = two_graphs(SPECS / "linreg.toml", "panels.0.legend='center'")
    line = layer_artist(graph, "line")
    legend = graph.panels[0].twin_ax.get_legend()
    with reference.styled():
        engine = FrameEngine(graph)
        renderer = graph.figure.canvas.get_renderer()
        crossing = []
        for frame in prepared.frames:
            pixels = engine.pixels(frame)
            box = legend.get_window_extent(renderer)
            ends = line.get_transform().transform(np.column_stack(line.get_data()))[[0, -1]]
            along = ends[0] + np.linspace(0, 1, 400)[:, None] * (ends[1] - ends[0])
            if any(box.contains(*p) for p in along):
                crossing.append((frame, pixels, box))
        assert crossing, "the line never passes under the legend: the test shows nothing"
        frame, pixels, box = crossing[0]
        full = frame_pixels(reference, frame)
        height = full.shape[0]
        rows = slice(int(height - box.y1), int(np.ceil(height - box.y0)))
        cols = slice(int(box.x0), int(np.ceil(box.x1)))
        assert mean_difference(full[rows, cols], pixels[rows, cols]) <= MAX_MEAN_DIFFERENCE
        # the comparison would see a line drawn over the legend: draw it once more, on top of everything
        canvas = reference.figure.canvas
        layer_artist(reference, "line").draw(canvas.get_renderer())
        line_on_top = np.asarray(canvas.buffer_rgba())[:, :, :3]
        assert mean_difference(line_on_top[rows, cols], pixels[rows, cols]) > 0


def test_a_legend_kept_in_the_background_is_drawn_anew_when_its_entries_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The legend sits on the twin axes, where only the static scatter is drawn, so it is part of the background;
    the cost curve, on the main axes, starts drawing at frame 1 and the legend gains its entry: the engine must see
    the new legend and draw the background again, or later frames would keep the old legend. (The scatter is out of
    the twin's view: the main axes' moving lines are blitted above all of the twin's background.)"""
    prepared = prepare(
        SPECS / "linreg.toml",
        overrides(
            "linreg",
            "panels.0.layers.0.twin=true",
            "panels.0.twin_ylim=[100,200]",
            "panels.0.layers.2.twin=false",
            "panels.0.layers.2.stretch=true",
            "panels.0.ylim=[-10,5000]",
        ),
    )
    engine = assert_engine_equals_plain_redraw(prepared, monkeypatch)
    assert engine.blits and engine.backgrounds_drawn == 2


def replace_on_update(monkeypatch: pytest.MonkeyPatch, graph: ArtistGraph) -> None:
    """Make linreg's line painter remove and recreate its line on every update, as contour painters do."""
    painter = next(node.painter for node in graph.layers if node.painter.spec.kind == "line")
    ax = painter.artists[0].axes

    def update(frame: Frame) -> None:
        old = painter.artists[0]
        old.remove()
        (new,) = ax.plot(painter.value("x", frame.step), painter.value("y", frame.step), "g--", lw=old.get_linewidth())
        painter.artists = [new]

    monkeypatch.setattr(painter, "update", update)


def test_replaced_artists_are_drawn_new_and_the_old_ones_do_not_linger(monkeypatch: pytest.MonkeyPatch) -> None:
    prepared, reference, graph = two_graphs(SPECS / "linreg.toml")
    replace_on_update(monkeypatch, reference)
    replace_on_update(monkeypatch, graph)
    with reference.styled():
        engine = FrameEngine(graph)
        for frame in prepared.frames:
            assert mean_difference(frame_pixels(reference, frame), engine.pixels(frame)) <= MAX_MEAN_DIFFERENCE
    assert engine.blits and engine.backgrounds_drawn == 2  # and once more when the legend gains the cost line


def test_a_mover_sinking_below_a_static_artist_gets_a_new_background() -> None:
    prepared, reference, graph = two_graphs(SPECS / "linreg.toml")
    frames = prepared.frames
    with reference.styled():
        engine = FrameEngine(graph)
        for index, frame in enumerate(frames):
            if index == len(frames) // 2:  # below the scatter (zorder 1), which was in the background
                for g in (reference, graph):
                    layer_artist(g, "line").set_zorder(0.5)
            assert mean_difference(frame_pixels(reference, frame), engine.pixels(frame)) <= MAX_MEAN_DIFFERENCE
    assert engine.blits and engine.backgrounds_drawn == 3  # the first, the legend gaining the cost line, the sinking


class Collect(Sink):
    def __init__(self) -> None:
        super().__init__(Path("unused"))
        self.frames: list[tuple[Frame, np.ndarray]] = []
        self.events: list[str] = []

    def open(self) -> None:
        self.events.append("open")

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        self.frames.append((frame, rgb))

    def close(self) -> None:
        self.events.append("close")


@pytest.mark.parametrize("count", [1, None])
def test_render_frames_streams_the_engines_frames(count: int | None) -> None:
    prepared, reference, graph = two_graphs(SPECS / "linreg.toml")
    frames = prepared.frames[:count]
    sink = Collect()
    render_frames(graph, frames, sink)
    assert sink.events == ["open", "close"] and [f for f, _ in sink.frames] == frames
    with reference.styled():
        for frame, rgb in sink.frames:
            assert mean_difference(frame_pixels(reference, frame), rgb) <= MAX_MEAN_DIFFERENCE


def test_a_failing_frame_aborts_the_sink(monkeypatch: pytest.MonkeyPatch) -> None:
    prepared, _, graph = two_graphs(SPECS / "linreg.toml")
    events: list[str] = []
    sink = Collect()
    monkeypatch.setattr(sink, "abort", lambda: events.append("abort"))

    def broken(step: int) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(graph.dynamic_layers[0].painter, "update", broken)
    with pytest.raises(RuntimeError, match="boom"):
        render_frames(graph, prepared.frames, sink)
    assert events == ["abort"] and sink.events == ["open"]
