"""Every layer kind's `update`: after `graph.show(frame)` its artists hold the numbers of that frame.

One scene per kind reads a small trace saved to tmp_path (`helpers.moving_trace`), whose fields all move.
Frames are shown out of order (an update that reads the wrong row, or does nothing, leaves the
data of another frame), and what matplotlib holds is compared with values computed here with numpy
and scipy straight from the saved arrays, never with the painters' own helpers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from helpers import GRID_X, GRID_Y, MOVING_POINTS, MOVING_STEPS, moving_spec, moving_trace, write_spec
from matplotlib.artist import Artist
from scipy.interpolate import PchipInterpolator

from scenespec.compile import ArtistGraph
from scenespec.layers.base import LAYERS
from scenespec.paint.base import Painter
from scenespec.pipeline import Prepared, build, prepare, scene_style
from scenespec.schedule import Frame

STEPS = MOVING_STEPS
ORDER = (3, 1, 4, 0, 2)  # the frames shown, out of order
N = MOVING_POINTS


def compiled(tmp_path: Path, layer: str) -> tuple[Prepared, ArtistGraph, dict[str, np.ndarray], Painter]:
    """A one-panel scene with `layer` (an inline table over source `run`), its graph, the trace and the painter."""
    arrays = moving_trace(tmp_path / "run.npz")
    prepared = prepare(write_spec(tmp_path, moving_spec([layer])))
    with scene_style(prepared.scene):
        graph = build(prepared)
    (node,) = graph.layers
    assert node in graph.dynamic_layers  # so `show` updates it
    assert [f.step for f in prepared.frames] == STEPS.tolist()
    return prepared, graph, arrays, node.painter


def each_frame(prepared: Prepared, graph: ArtistGraph, check: Callable[[int, Frame], None]) -> None:
    """Show the frames in ORDER and run `check(row, frame)` after each."""
    for index in ORDER:
        frame = prepared.frames[index]
        graph.show(frame)
        check(index, frame)


# --- one test per kind --------------------------------------------------------------------------------------------


def test_scatter_moves_its_points(tmp_path: Path) -> None:
    prepared, graph, a, painter = compiled(tmp_path, '{ kind = "scatter", x = "run.px", y = "run.py" }')
    (dots,) = painter.artists

    def check(row: int, frame: Frame) -> None:
        np.testing.assert_array_equal(np.asarray(dots.get_offsets()), np.column_stack([a["px"][row], a["py"][row]]))

    each_frame(prepared, graph, check)


def test_line_follows_the_prediction_and_tweens_between_steps(tmp_path: Path) -> None:
    prepared, graph, a, painter = compiled(tmp_path, '{ kind = "line", x = "run.ex", y = "run.pred" }')
    (line,) = painter.artists

    def check(row: int, frame: Frame) -> None:
        np.testing.assert_array_equal(line.get_xdata(), a["ex"])
        np.testing.assert_array_equal(line.get_ydata(), a["pred"][row])

    each_frame(prepared, graph, check)
    # a frame between steps 3 and 7 (rows 2 and 3), a quarter of the way
    graph.show(Frame(index=2, step=3, duration_ms=100, position=4.0, count=5))
    np.testing.assert_allclose(line.get_ydata(), 0.75 * a["pred"][2] + 0.25 * a["pred"][3], rtol=1e-12)


def test_band_is_the_prediction_plus_minus_the_scaled_spread(tmp_path: Path) -> None:
    layer = '{ kind = "band", x = "run.ex", y = "run.pred", spread = "run.spread", scale = 2.0 }'
    prepared, graph, a, painter = compiled(tmp_path, layer)
    (band,) = painter.artists

    def check(row: int, frame: Frame) -> None:
        assert painter.artists == [band]
        (path,) = band.get_paths()
        # fill_between's polygon: a start vertex, (x, upper) forwards, an end vertex, (x, lower) backwards, …
        verts = path.vertices
        forward, backward = verts[1 : N + 1], verts[N + 2 : 2 * N + 2][::-1]
        np.testing.assert_array_equal(forward[:, 0], a["ex"])
        np.testing.assert_array_equal(backward[:, 0], a["ex"])
        np.testing.assert_allclose(forward[:, 1], a["pred"][row] - 2 * a["spread"][row], rtol=1e-12)
        np.testing.assert_allclose(backward[:, 1], a["pred"][row] + 2 * a["spread"][row], rtol=1e-12)

    each_frame(prepared, graph, check)


def test_spline_reveals_the_pchip_curve_up_to_the_step(tmp_path: Path) -> None:
    layer = '{ kind = "spline", y = "run.loss", along = "steps", stretch = false, samples = 50 }'
    prepared, graph, a, painter = compiled(tmp_path, layer)
    (curve,) = painter.artists
    dense = np.linspace(STEPS[0], STEPS[-1], 50)
    smooth = PchipInterpolator(STEPS, a["loss"])(dense)

    def check(row: int, frame: Frame) -> None:
        upto = dense <= STEPS[row]
        assert upto.sum() >= 1
        np.testing.assert_allclose(curve.get_xdata(), dense[upto], rtol=1e-12)
        np.testing.assert_allclose(curve.get_ydata(), smooth[upto], rtol=1e-12)

    each_frame(prepared, graph, check)


def test_text_is_filled_with_the_frames_values(tmp_path: Path) -> None:
    layer = '{ kind = "text", text = "loss {run.loss:.4f} at {step} ({frame})", at = [0.1, 0.1], coords = "axes" }'
    prepared, graph, a, painter = compiled(tmp_path, layer)
    (text,) = painter.artists

    def check(row: int, frame: Frame) -> None:
        assert text.get_text() == f"loss {a['loss'][row]:.4f} at {STEPS[row]} ({row})"

    each_frame(prepared, graph, check)


def test_counter_counts_the_frames_recorded_value(tmp_path: Path) -> None:
    layer = '{ kind = "counter", value = "run.loss", format = "loss {value:.6f} at {step}, last {last:.6f}" }'
    prepared, graph, a, painter = compiled(tmp_path, layer)
    (text,) = painter.artists

    def check(row: int, frame: Frame) -> None:
        assert text.get_text() == f"loss {a['loss'][row]:.6f} at {STEPS[row]}, last {a['loss'][-1]:.6f}"

    each_frame(prepared, graph, check)


def test_metric_grows_to_the_step_with_a_dot_at_the_current_value(tmp_path: Path) -> None:
    prepared, graph, a, painter = compiled(tmp_path, '{ kind = "metric", y = "run.loss", smooth = 2 }')
    line, dot = painter.artists
    loss = a["loss"]
    smoothed = np.array([loss[0], *((loss[1:] + loss[:-1]) / 2)])  # the mean of each value and the one before

    def check(row: int, frame: Frame) -> None:
        np.testing.assert_array_equal(line.get_xdata(), STEPS[: row + 1])
        np.testing.assert_allclose(line.get_ydata(), smoothed[: row + 1], rtol=1e-12)
        np.testing.assert_array_equal(dot.get_xdata(), [STEPS[row]])
        np.testing.assert_allclose(dot.get_ydata(), [smoothed[row]], rtol=1e-12)

    each_frame(prepared, graph, check)


def test_contour_lines_lie_on_the_frames_plane(tmp_path: Path) -> None:
    layer = '{ kind = "contour", x = "run.X", y = "run.Y", z = "run.plane", levels = [-0.5, 0.0, 0.5] }'
    prepared, graph, a, painter = compiled(tmp_path, layer)
    ax = graph.panels[0].ax

    def check(row: int, frame: Frame) -> None:
        (contours,) = painter.artists
        assert list(ax.collections) == [contours]  # the previous frame's contours are gone
        np.testing.assert_array_equal(contours.levels, [-0.5, 0.0, 0.5])
        plane = a["plane"][row]
        # the plane's coefficients, read back from its grid with numpy: z = a·x + b·y + c
        (slope, tilt, shift), *_ = np.linalg.lstsq(
            np.column_stack([GRID_X.ravel(), GRID_Y.ravel(), np.ones(GRID_X.size)]), plane.ravel(), rcond=None
        )
        for level, path in zip(contours.levels, contours.get_paths(), strict=True):
            xy = path.vertices
            assert len(xy) >= 2
            np.testing.assert_allclose(slope * xy[:, 0] + tilt * xy[:, 1] + shift, level, atol=1e-9)

    each_frame(prepared, graph, check)


def test_quiver_moves_its_arrows_and_their_points(tmp_path: Path) -> None:
    layer = '{ kind = "quiver", x = "run.qx", y = "run.qy", u = "run.qu", v = "run.qv", color_by = "magnitude" }'
    prepared, graph, a, painter = compiled(tmp_path, layer)
    (quiver,) = painter.artists

    def check(row: int, frame: Frame) -> None:
        points = np.column_stack([a["qx"][row], a["qy"][row]])
        np.testing.assert_array_equal(np.asarray(quiver.get_offsets()), points)
        np.testing.assert_array_equal(quiver.XY, points)  # where matplotlib takes the arrows' angles from
        np.testing.assert_array_equal(quiver.U, -a["qu"][row])  # negated: downhill
        np.testing.assert_array_equal(quiver.V, -a["qv"][row])
        np.testing.assert_allclose(np.asarray(quiver.get_array()), np.hypot(a["qu"][row], a["qv"][row]), rtol=1e-12)

    each_frame(prepared, graph, check)


def test_path_grows_to_the_step_with_its_head_at_the_current_point(tmp_path: Path) -> None:
    layer = (
        '{ kind = "path", x = "run.rx", y = "run.ry", names = "run.names", head_label = "{name} {value:.5f}", '
        'head_value = "run.ry" }'
    )
    prepared, graph, a, painter = compiled(tmp_path, layer)
    assert len(painter.lines) == len(painter.heads) == 2
    labels = painter.head_labels

    def check(row: int, frame: Frame) -> None:
        for i, (line, head) in enumerate(zip(painter.lines, painter.heads, strict=True)):
            np.testing.assert_array_equal(line.get_xdata(), a["rx"][: row + 1, i])
            np.testing.assert_array_equal(line.get_ydata(), a["ry"][: row + 1, i])
            np.testing.assert_array_equal(head.get_xdata(), [a["rx"][row, i]])
            np.testing.assert_array_equal(head.get_ydata(), [a["ry"][row, i]])
            assert labels.texts[i].get_text() == f"{a['names'][i]} {a['ry'][row, i]:.5f}"
            np.testing.assert_array_equal(
                labels.paths[i], np.column_stack([a["rx"][: row + 1, i], a["ry"][: row + 1, i]])
            )

    each_frame(prepared, graph, check)


def test_surface_faces_take_the_frames_heights(tmp_path: Path) -> None:
    prepared, graph, a, painter = compiled(tmp_path, '{ kind = "surface", x = "run.X", y = "run.Y", z = "run.hill" }')
    ax = graph.panels[0].ax
    assert ax.name == "3d"

    def check(row: int, frame: Frame) -> None:
        (surface,) = painter.artists
        assert list(ax.collections) == [surface]  # the previous frame's surface is gone
        z = a["hill"][row]
        cells = (z[:-1, :-1] + z[1:, :-1] + z[:-1, 1:] + z[1:, 1:]) / 4  # one face per grid cell, row by row
        np.testing.assert_allclose(np.asarray(surface.get_array()), cells.ravel(), rtol=1e-12)

    each_frame(prepared, graph, check)


def test_embedding_moves_its_points_with_the_highlighted_class_on_top(tmp_path: Path) -> None:
    layer = '{ kind = "embedding", points = "run.emb", labels = "run.cls", highlight = { labels = [1] } }'
    prepared, graph, a, painter = compiled(tmp_path, layer)
    dots, top = painter.artists
    chosen = a["cls"] == 1
    tab10 = np.array(matplotlib.colormaps["tab10"].colors)

    def check(row: int, frame: Frame) -> None:
        np.testing.assert_array_equal(np.asarray(dots.get_offsets()), a["emb"][row][~chosen])
        np.testing.assert_array_equal(np.asarray(top.get_offsets()), a["emb"][row][chosen])
        np.testing.assert_array_equal(np.asarray(dots.get_facecolor())[:, :3], tab10[a["cls"][~chosen]])
        np.testing.assert_array_equal(np.asarray(top.get_facecolor())[:, :3], tab10[np.ones(chosen.sum(), int)])

    each_frame(prepared, graph, check)


def test_sprites_move_their_thumbnails_to_the_frames_points(tmp_path: Path) -> None:
    prepared, graph, a, painter = compiled(tmp_path, '{ kind = "sprites", points = "run.emb", images = "run.thumbs" }')
    (sheet,) = painter.artists
    ax = graph.panels[0].ax

    def check(row: int, frame: Frame) -> None:
        np.testing.assert_array_equal(sheet.offsets, a["emb"][row])
        left, bottom, image = sheet.composite(graph.figure.dpi)
        x, y = ax.transData.transform(a["emb"][row][-1]).T  # the last thumbnail is drawn over the others
        pixel = image[round(bottom + image.shape[0] - y) - 1, round(x - left) - 1]  # top left of its centre
        gray_r = matplotlib.colormaps["gray_r"](a["thumbs"][-1][1, 1], bytes=True)
        np.testing.assert_array_equal(pixel, gray_r)

    each_frame(prepared, graph, check)


def drawing_order(ax) -> list[Artist]:
    """The axes' children in the order matplotlib draws them: a stable sort by zorder."""
    return sorted(ax.get_children(), key=lambda artist: artist.get_zorder())


@pytest.mark.parametrize(
    "redrawn",
    [
        '{ kind = "contour", x = "run.X", y = "run.Y", z = "run.plane", filled = true }',
        '{ kind = "surface", x = "run.X", y = "run.Y", z = "run.hill" }',
    ],
    ids=["contour", "surface"],
)
def test_a_layer_drawn_anew_keeps_its_place_among_the_layers(tmp_path: Path, redrawn: str) -> None:
    """Contours and surfaces are drawn anew each frame; they stay below the layers listed after them, of the
    same zorder (arrows over filled contours, a still surface), as in the first frame."""
    above = (
        '{ kind = "quiver", x = "run.qx", y = "run.qy", u = "run.qu", v = "run.qv" }'
        if "contour" in redrawn
        else '{ kind = "surface", x = "run.X", y = "run.Y", z = "run.Y", color = "gray" }'
    )
    moving_trace(tmp_path / "run.npz")
    prepared = prepare(write_spec(tmp_path, moving_spec([redrawn, above])))
    with scene_style(prepared.scene):
        graph = build(prepared)
    first, second = (node.painter for node in graph.layers)
    ax = graph.panels[0].ax
    for index in ORDER:
        graph.show(prepared.frames[index])
        order = drawing_order(ax)
        assert order.index(first.artists[0]) < order.index(second.artists[0]), index


TESTED = {
    "scatter": test_scatter_moves_its_points,
    "line": test_line_follows_the_prediction_and_tweens_between_steps,
    "band": test_band_is_the_prediction_plus_minus_the_scaled_spread,
    "spline": test_spline_reveals_the_pchip_curve_up_to_the_step,
    "text": test_text_is_filled_with_the_frames_values,
    "counter": test_counter_counts_the_frames_recorded_value,
    "metric": test_metric_grows_to_the_step_with_a_dot_at_the_current_value,
    "contour": test_contour_lines_lie_on_the_frames_plane,
    "quiver": test_quiver_moves_its_arrows_and_their_points,
    "path": test_path_grows_to_the_step_with_its_head_at_the_current_point,
    "surface": test_surface_faces_take_the_frames_heights,
    "embedding": test_embedding_moves_its_points_with_the_highlighted_class_on_top,
    "sprites": test_sprites_move_their_thumbnails_to_the_frames_points,
}


def test_every_layer_kind_has_an_update_test() -> None:
    assert sorted(TESTED) == sorted(LAYERS.load())
