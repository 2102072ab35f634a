"""The artist graph: static vs dynamic layers, fixed limits, updates in place, spline and text."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pytest
from matplotlib.legend import Legend

from scenespec.compile import ArtistGraph
from scenespec.pipeline import Prepared, build, prepare, scene_style
from scenespec.render.renderer import frame_pixels
from scenespec.schedule import Frame


def linreg(path: Path, *overrides: str) -> tuple[Prepared, ArtistGraph]:
    prepared = prepare(path, ["sources.fit.epochs=120", *overrides])
    with scene_style(prepared.scene):
        graph = build(prepared)
    return prepared, graph


def layer(graph: ArtistGraph, kind: str):
    return next(node for node in graph.layers if node.painter.spec.kind == kind)


def test_static_layers_are_static_and_moving_ones_dynamic(linreg_path: Path) -> None:
    _, graph = linreg(linreg_path)
    roles = {node.painter.spec.kind: node.dynamic for node in graph.layers}
    assert roles == {"scatter": False, "line": True, "spline": True, "text": True, "counter": True}
    assert {n.painter.spec.kind for n in graph.dynamic_layers} == {"line", "spline", "text", "counter"}


def test_axes_never_jump_and_cover_every_frames_data(linreg_path: Path) -> None:
    prepared, graph = linreg(linreg_path)
    panel = graph.panels[0]
    trace = prepared.traces["fit"]
    limits = set()
    for frame in prepared.frames:
        frame_pixels(graph, frame)
        limits.add((panel.ax.get_xlim(), panel.ax.get_ylim(), panel.twin_ax.get_ylim()))
        pred = trace.field("pred").at(frame.step)
        (y0, y1) = panel.ax.get_ylim()
        assert y0 <= min(pred.min(), trace.static["y"].min()) and max(pred.max(), trace.static["y"].max()) <= y1
    assert len(limits) == 1
    (t0, t1) = panel.twin_ax.get_ylim()
    shown_loss = [trace.field("loss").at(f.step) for f in prepared.frames]
    assert t0 <= min(shown_loss) and max(shown_loss) <= t1


def test_painters_update_their_artists_instead_of_adding_new_ones(linreg_path: Path) -> None:
    prepared, graph = linreg(linreg_path)
    ax = graph.panels[0].ax
    line = layer(graph, "line").painter.artists[0]
    before = (list(ax.lines), list(ax.collections), list(ax.texts))
    for frame in prepared.frames:
        graph.show(frame)
    assert (list(ax.lines), list(ax.collections), list(ax.texts)) == before
    trace = prepared.traces["fit"]
    np.testing.assert_allclose(line.get_ydata(), trace.field("pred").at(prepared.frames[-1].step))


def test_text_shows_the_formatted_value_of_each_frame(linreg_path: Path) -> None:
    prepared, graph = linreg(linreg_path)
    text = layer(graph, "text").painter.artists[0]
    loss = prepared.traces["fit"].field("loss")
    for frame in prepared.frames:
        graph.show(frame)
        assert text.get_text() == f"Cost: {float(loss.at(frame.step)):.3f}"


def test_text_builtins_step_and_frame(linreg_path: Path) -> None:
    prepared, graph = linreg(linreg_path, 'panels.0.layers.3.text="epoch {step} (frame {frame}) w={fit.w:.2f}"')
    text = layer(graph, "text").painter.artists[0]
    w = prepared.traces["fit"].field("w")
    frame = prepared.frames[12]
    graph.show(frame)
    assert text.get_text() == f"epoch {frame.step} (frame 12) w={float(w.at(frame.step)):.2f}"


def test_spline_grows_with_the_frames_along_the_shown_frames(linreg_path: Path) -> None:
    prepared, graph = linreg(linreg_path)
    curve = layer(graph, "spline").painter.artists[0]
    x_data = graph.panels[0].ax.get_xlim()
    ends = []
    for frame in prepared.frames:
        graph.show(frame)
        ends.append(curve.get_xdata()[-1])
    assert np.all(np.diff(ends) > 0)
    x = prepared.traces["fit"].static["x"]
    assert ends[-1] == pytest.approx(x.max()) and curve.get_xdata()[0] == pytest.approx(x.min())
    assert x_data[0] < x.min()
    # along frames, frame k sits at k/(n-1) of the data's x range
    n = len(prepared.frames)
    k = 7
    graph.show(prepared.frames[k])
    assert curve.get_xdata()[-1] == pytest.approx(x.min() + k / (n - 1) * (x.max() - x.min()), abs=0.05)


def test_spline_passes_through_the_losses_without_overshoot(linreg_path: Path) -> None:
    prepared, graph = linreg(linreg_path)
    curve = layer(graph, "spline").painter.artists[0]
    graph.show(prepared.frames[-1])
    shown = np.array([prepared.traces["fit"].field("loss").at(f.step) for f in prepared.frames])
    y = curve.get_ydata()
    assert y.min() >= shown.min() - 1e-9 and y.max() <= shown.max() + 1e-9
    assert y[0] == pytest.approx(shown[0]) and y[-1] == pytest.approx(shown[-1])


def test_spline_revealed_only_at_the_end(linreg_path: Path) -> None:
    prepared, graph = linreg(linreg_path, 'panels.0.layers.2.reveal="end"')
    curve = layer(graph, "spline").painter.artists[0]
    graph.show(prepared.frames[-2])
    assert len(curve.get_xdata()) == 0
    graph.show(prepared.frames[-1])
    assert len(curve.get_xdata()) == 400


def test_spline_along_steps_on_its_own_axis(linreg_path: Path) -> None:
    _prepared, graph = linreg(linreg_path, 'panels.0.layers.2.along="steps"', "panels.0.layers.2.stretch=false")
    curve = layer(graph, "spline").painter.artists[0]
    graph.show(Frame(index=0, step=60, duration_ms=100))
    assert curve.get_xdata()[-1] == pytest.approx(60, abs=0.5)


def legend_texts(ax) -> list[str]:
    legend = ax.get_legend()
    return [] if legend is None else [t.get_text() for t in legend.get_texts()]


def test_legend_gathers_both_axes_on_top(linreg_path: Path) -> None:
    prepared, graph = linreg(linreg_path)
    panel = graph.panels[0]
    graph.show(prepared.frames[-1])
    assert legend_texts(panel.twin_ax) == ["Original data", "Fitting line", "Cost line"]
    assert panel.ax.get_legend() is None


def test_the_legend_lists_a_layer_from_the_frame_it_draws_something(linreg_path: Path) -> None:
    """At frame 0 the cost line has one point and draws nothing: the legend does not name it yet. From frame 1 on
    it is a line, and the legend, rebuilt, lists it in the layers' order; going back to frame 0 takes it out again
    (each frame's legend depends on that frame alone)."""
    prepared, graph = linreg(linreg_path)
    twin = graph.panels[0].twin_ax
    curve = layer(graph, "spline").painter.artists[0]
    assert len(curve.get_xdata()) < 2
    assert legend_texts(twin) == ["Original data", "Fitting line"]
    for frame in prepared.frames[1:]:
        graph.show(frame)
        assert len(curve.get_xdata()) >= 2
        assert legend_texts(twin) == ["Original data", "Fitting line", "Cost line"]
    graph.show(prepared.frames[0])
    assert legend_texts(twin) == ["Original data", "Fitting line"]
    assert sum(isinstance(a, Legend) for a in twin.get_children()) == 1  # the old legends are gone


def test_zorder_from_the_spec(linreg_path: Path) -> None:
    _, graph = linreg(linreg_path, "panels.0.layers.0.zorder=5")
    assert layer(graph, "scatter").painter.artists[0].get_zorder() == 5
    # matplotlib's default for lines, and a millionth per earlier layer to keep the layers' order on ties
    assert layer(graph, "line").painter.artists[0].get_zorder() == pytest.approx(2 + 1e-6)


def test_output_does_not_depend_on_the_callers_rcparams(linreg_path: Path) -> None:
    prepared, graph = linreg(linreg_path)
    with graph.styled():
        reference = frame_pixels(graph, prepared.frames[-1])
    with matplotlib.rc_context({"lines.linewidth": 9, "font.size": 20, "axes.facecolor": "black"}):
        _, other = linreg(linreg_path)
        with other.styled():
            pixels = frame_pixels(other, prepared.frames[-1])
    np.testing.assert_array_equal(pixels, reference)


def test_fixed_limits_and_log_twin_axis(linreg_path: Path) -> None:
    _, graph = linreg(linreg_path, "panels.0.xlim=[-1, 11]", 'panels.0.twin_yscale="log"')
    panel = graph.panels[0]
    assert panel.ax.get_xlim() == (-1, 11)
    assert panel.twin_ax.get_yscale() == "log"
    assert panel.twin_ax.get_ylim()[0] > 0
