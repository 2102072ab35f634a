"""The frame engine: static parts drawn once, moving artists per frame, same pictures as a full redraw."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.artist import Artist

from scenespec.compile import ArtistGraph
from scenespec.pipeline import Prepared, build, prepare, scene_style
from scenespec.render.engine import FrameEngine
from scenespec.render.renderer import frame_pixels, render_frames
from scenespec.render.sinks.base import Sink
from scenespec.schedule import Frame

SPECS = Path(__file__).resolve().parent.parent / "specs"

# Every spec at dpi 50; slow ones with shorter runs (every frame of the resulting schedule is compared).
FAST: dict[str, tuple[str, ...]] = {
    "bowl_path_3d": ("sources.bowl.steps=30",),
    "bowl_sgd_zigzag": ("sources.bowl.steps=40",),
    "learner_linear": ("sources.net.epochs=1",),
    "learner_sine": ("sources.net.epochs=1",),
    "linreg": ("sources.fit.epochs=120",),
    "race_rosenbrock": ("sources.race.steps=100",),
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


CASES = [pytest.param(path, (), id=path.stem) for path in sorted(SPECS.glob("*.toml"))]
CASES.append(pytest.param(SPECS / "bowl_path_3d.toml", ("panels.0.camera.rotate=0",), id="bowl_path_3d-still"))


@pytest.mark.parametrize(("path", "extra"), CASES)
def test_every_frame_equals_a_full_redraw(path: Path, extra: tuple[str, ...]) -> None:
    prepared, reference, graph = two_graphs(path, *extra)
    with reference.styled():
        engine = FrameEngine(graph)
        differences = [mean_difference(frame_pixels(reference, f), engine.pixels(f)) for f in prepared.frames]
    worst = int(np.argmax(differences))
    assert differences[worst] <= MAX_MEAN_DIFFERENCE, (
        f"{path.stem} ({engine.mode}): frame {worst} of {len(differences)} differs by {differences[worst]:.3f}/255"
    )
    if "camera.rotate=0" in extra:  # a still 3D camera keeps its projection: its paths are blitted
        assert engine.blits


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
    assert scatter_draws[0] == 1 and ticks[0] == 1
    assert line_draws[0] == frames
    assert legend_draws[0] == 1  # zorder 5, above the moving line: its pre-drawn overlay is painted over it per frame


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
    assert engine.blits and engine.backgrounds_drawn == 1


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
    assert engine.blits and engine.backgrounds_drawn == 2


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
