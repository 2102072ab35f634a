"""Every layer kind on the in-between frames of `frames.tween`: what its artists hold equals the interpolation of
the recorded values, computed here with numpy from the saved arrays and the easing written out by hand.

The scene shows steps 0, 3 and 12 of the moving trace (`helpers.moving_trace`, recorded at steps 0, 2, 3, 7, 12),
with 3 frames between each two, eased `quad-in-out`. Layers that show one step's data (points, bands, arrows,
contours, a surface, numbers in texts) blend the two shown steps' values, rows 0 → 2 and 2 → 4 of the trace;
layers that draw a history (a path, a metric curve, a spline) grow along every recorded step up to the frame's
position, steps 2 and 7 included, and end at the value interpolated there.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import GRID_X, GRID_Y, MOVING_STEPS, moving_spec, moving_trace, write_spec
from scipy.interpolate import PchipInterpolator

from scenespec.compile import ArtistGraph
from scenespec.layers.base import LAYERS
from scenespec.paint.base import Painter
from scenespec.pipeline import Prepared, build, prepare, scene_style
from scenespec.resolve.trace import Trace
from scenespec.schedule import Frame

STEPS = MOVING_STEPS  # 0, 2, 3, 7, 12
ROW = {int(step): row for row, step in enumerate(STEPS)}
SHOWN = [0, 3, 12]
FRAMES = 'steps = [0, 3, 12]\ntween = { between = 3, ease = "quad-in-out" }'


def quad_in_out(x: float) -> float:
    """Penner's quadratic in-out, written out."""
    return 2 * x * x if x < 0.5 else 1 - (-2 * x + 2) ** 2 / 2


EASED = [quad_in_out(k / 4) for k in (1, 2, 3)]  # 0.125, 0.5, 0.875


def tweened_spec(layer: str, *, panel: str = "", extra: str = "") -> str:
    text = moving_spec([layer]).replace('steps = "all"', FRAMES)
    if panel:
        text = text.replace("[[panels]]\n", f"[[panels]]\n{panel}\n")
    return text.replace("[frames]", extra + "[frames]") if extra else text


def compiled(
    tmp_path: Path, layer: str, **options: str
) -> tuple[Prepared, ArtistGraph, dict[str, np.ndarray], Painter]:
    arrays = moving_trace(tmp_path / "run.npz")
    prepared = prepare(write_spec(tmp_path, tweened_spec(layer, **options)))
    with scene_style(prepared.scene):
        graph = build(prepared)
    node = graph.layers[0]
    assert node in graph.dynamic_layers
    return prepared, graph, arrays, node.painter


def in_between(prepared: Prepared) -> list[tuple[Frame, int, int, float]]:
    """The in-between frames with the rows of their two shown steps and the eased fraction, after checking that
    the schedule placed them where the easing says."""
    frames = prepared.frames
    assert [(f.step, f.toward) for f in frames] == [(0, None)] + [(0, 3)] * 3 + [(3, None)] + [(3, 12)] * 3 + [
        (12, None)
    ]
    out = []
    for frame in frames:
        if frame.toward is None:
            continue
        t = EASED[(frame.index - 1) % 4]
        assert frame.position == pytest.approx(frame.step + t * (frame.toward - frame.step), rel=1e-12)
        out.append((frame, ROW[frame.step], ROW[frame.toward], t))
    assert len(out) == 6
    return out


def blend(values: np.ndarray, before: int, after: int, t: float) -> np.ndarray:
    return (1 - t) * values[before] + t * values[after]


def each_in_between(prepared: Prepared, graph: ArtistGraph, check) -> None:
    """Show the in-between frames, last first (an update that does nothing leaves another frame's data), and
    check each; the axis limits never change."""
    ax = graph.panels[0].ax
    limits = (ax.get_xlim(), ax.get_ylim())
    for frame, before, after, t in reversed(in_between(prepared)):
        graph.show(frame)
        check(frame, before, after, t)
        assert (ax.get_xlim(), ax.get_ylim()) == limits


def recorded_then_interpolated(values: np.ndarray, position: float) -> np.ndarray:
    """A history at `position`: the values recorded at steps up to it, then the value interpolated at it."""
    upto = position >= STEPS
    return np.append(values[upto], np.interp(position, STEPS, values))


# --- layers showing one step's data: a blend of the two shown steps ------------------------------------------------


def test_scatter_points_glide_between_the_shown_steps(tmp_path: Path) -> None:
    prepared, graph, a, painter = compiled(tmp_path, '{ kind = "scatter", x = "run.px", y = "run.py" }')
    (dots,) = painter.artists

    def check(frame: Frame, before: int, after: int, t: float) -> None:
        expected = np.column_stack([blend(a["px"], before, after, t), blend(a["py"], before, after, t)])
        np.testing.assert_allclose(np.asarray(dots.get_offsets()), expected, rtol=1e-12, atol=1e-14)

    each_in_between(prepared, graph, check)


def test_line_moves_between_the_shown_steps(tmp_path: Path) -> None:
    prepared, graph, a, painter = compiled(tmp_path, '{ kind = "line", x = "run.ex", y = "run.pred" }')
    (line,) = painter.artists

    def check(frame: Frame, before: int, after: int, t: float) -> None:
        np.testing.assert_allclose(line.get_ydata(), blend(a["pred"], before, after, t), rtol=1e-12, atol=1e-14)

    each_in_between(prepared, graph, check)


def test_band_edges_are_the_blended_prediction_plus_minus_the_blended_spread(tmp_path: Path) -> None:
    layer = '{ kind = "band", x = "run.ex", y = "run.pred", spread = "run.spread", scale = 2.0 }'
    prepared, graph, a, painter = compiled(tmp_path, layer)
    (band,) = painter.artists
    n = len(a["ex"])

    def check(frame: Frame, before: int, after: int, t: float) -> None:
        (path,) = band.get_paths()
        forward, backward = path.vertices[1 : n + 1], path.vertices[n + 2 : 2 * n + 2][::-1]
        pred, spread = blend(a["pred"], before, after, t), blend(a["spread"], before, after, t)
        np.testing.assert_allclose(forward[:, 1], pred - 2 * spread, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(backward[:, 1], pred + 2 * spread, rtol=1e-12, atol=1e-14)

    each_in_between(prepared, graph, check)


def test_quiver_arrows_and_their_points_blend(tmp_path: Path) -> None:
    layer = '{ kind = "quiver", x = "run.qx", y = "run.qy", u = "run.qu", v = "run.qv", color_by = "magnitude" }'
    prepared, graph, a, painter = compiled(tmp_path, layer)
    (quiver,) = painter.artists

    def check(frame: Frame, before: int, after: int, t: float) -> None:
        points = np.column_stack([blend(a["qx"], before, after, t), blend(a["qy"], before, after, t)])
        u, v = blend(a["qu"], before, after, t), blend(a["qv"], before, after, t)
        np.testing.assert_allclose(np.asarray(quiver.get_offsets()), points, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(quiver.XY, points, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(quiver.U, -u, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(quiver.V, -v, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(np.asarray(quiver.get_array()), np.hypot(u, v), rtol=1e-12)

    each_in_between(prepared, graph, check)


def test_contour_lines_lie_on_the_blended_plane(tmp_path: Path) -> None:
    layer = '{ kind = "contour", x = "run.X", y = "run.Y", z = "run.plane", levels = [-0.5, 0.0, 0.5] }'
    prepared, graph, a, painter = compiled(tmp_path, layer)
    design = np.column_stack([GRID_X.ravel(), GRID_Y.ravel(), np.ones(GRID_X.size)])
    # each shown step's plane z = a·x + b·y + c, its coefficients read back from the grid with numpy
    planes = np.array([np.linalg.lstsq(design, plane.ravel(), rcond=None)[0] for plane in a["plane"]])

    def check(frame: Frame, before: int, after: int, t: float) -> None:
        (contours,) = painter.artists
        slope, tilt, shift = blend(planes, before, after, t)
        drawn = 0
        for level, path in zip(contours.levels, contours.get_paths(), strict=True):
            xy = path.vertices
            drawn += len(xy)
            np.testing.assert_allclose(slope * xy[:, 0] + tilt * xy[:, 1] + shift, level, atol=1e-9)
        assert drawn >= 2

    each_in_between(prepared, graph, check)


def test_surface_faces_take_the_blended_heights(tmp_path: Path) -> None:
    prepared, graph, a, painter = compiled(tmp_path, '{ kind = "surface", x = "run.X", y = "run.Y", z = "run.hill" }')

    def check(frame: Frame, before: int, after: int, t: float) -> None:
        (surface,) = painter.artists
        z = blend(a["hill"], before, after, t)
        cells = (z[:-1, :-1] + z[1:, :-1] + z[:-1, 1:] + z[1:, 1:]) / 4  # one face per grid cell
        np.testing.assert_allclose(np.asarray(surface.get_array()), cells.ravel(), rtol=1e-12)

    each_in_between(prepared, graph, check)


def test_embedding_points_glide_between_the_shown_steps(tmp_path: Path) -> None:
    prepared, graph, a, painter = compiled(tmp_path, '{ kind = "embedding", points = "run.emb", labels = "run.cls" }')
    dots = painter.artists[0]

    def check(frame: Frame, before: int, after: int, t: float) -> None:
        np.testing.assert_allclose(np.asarray(dots.get_offsets()), blend(a["emb"], before, after, t), rtol=1e-12)

    each_in_between(prepared, graph, check)


def test_sprites_glide_between_the_shown_steps(tmp_path: Path) -> None:
    prepared, graph, a, painter = compiled(tmp_path, '{ kind = "sprites", points = "run.emb", images = "run.thumbs" }')
    (sheet,) = painter.artists

    def check(frame: Frame, before: int, after: int, t: float) -> None:
        np.testing.assert_allclose(sheet.offsets, blend(a["emb"], before, after, t), rtol=1e-12)

    each_in_between(prepared, graph, check)


# --- layers drawing a history: along the recorded steps, to the value interpolated at the position ----------------


def test_path_grows_along_the_recorded_steps_to_a_head_between_them(tmp_path: Path) -> None:
    layer = (
        '{ kind = "path", x = "run.rx", y = "run.ry", names = "run.names", head_label = "{name} {value:.5f} {step}", '
        'head_value = "run.ry" }'
    )
    prepared, graph, a, painter = compiled(tmp_path, layer)
    labels = painter.head_labels

    def check(frame: Frame, before: int, after: int, t: float) -> None:
        p = frame.position
        for i, (line, head) in enumerate(zip(painter.lines, painter.heads, strict=True)):
            x, y = recorded_then_interpolated(a["rx"][:, i], p), recorded_then_interpolated(a["ry"][:, i], p)
            np.testing.assert_allclose(line.get_xdata(), x, rtol=1e-12)
            np.testing.assert_allclose(line.get_ydata(), y, rtol=1e-12)
            np.testing.assert_allclose(head.get_xdata(), x[-1:], rtol=1e-12)  # the head ends the line
            np.testing.assert_allclose(head.get_ydata(), y[-1:], rtol=1e-12)
            # the label moves with the head and writes its value there; {step} stays the shown step
            assert labels.texts[i].get_text() == f"{a['names'][i]} {y[-1]:.5f} {frame.step}"
            np.testing.assert_allclose(labels.paths[i], np.column_stack([x, y]), rtol=1e-12)

    each_in_between(prepared, graph, check)


def test_a_3d_path_moves_its_head_in_z_too(tmp_path: Path) -> None:
    layer = '{ kind = "path", x = "run.rx", y = "run.ry", z = "run.rx" }'
    prepared, graph, a, painter = compiled(tmp_path, layer)

    def check(frame: Frame, before: int, after: int, t: float) -> None:
        x = recorded_then_interpolated(a["rx"][:, 1], frame.position)
        y = recorded_then_interpolated(a["ry"][:, 1], frame.position)
        np.testing.assert_allclose(np.ravel(painter.heads[1].get_data_3d()), [x[-1], y[-1], x[-1]], rtol=1e-12)

    each_in_between(prepared, graph, check)


def test_metric_curve_reaches_the_value_interpolated_at_the_position(tmp_path: Path) -> None:
    prepared, graph, a, painter = compiled(tmp_path, '{ kind = "metric", y = "run.loss" }')
    line, dot = painter.artists

    def check(frame: Frame, before: int, after: int, t: float) -> None:
        p = frame.position
        xs = np.append(STEPS[p >= STEPS], p)
        ys = recorded_then_interpolated(a["loss"], p)
        np.testing.assert_allclose(line.get_xdata(), xs, rtol=1e-12)
        np.testing.assert_allclose(line.get_ydata(), ys, rtol=1e-12)
        np.testing.assert_allclose(dot.get_ydata(), ys[-1:], rtol=1e-12)

    each_in_between(prepared, graph, check)


def test_spline_reveals_its_curve_up_to_the_position(tmp_path: Path) -> None:
    layer = '{ kind = "spline", y = "run.loss", along = "steps", stretch = false, samples = 50 }'
    prepared, graph, a, painter = compiled(tmp_path, layer)
    (curve,) = painter.artists
    dense = np.linspace(0, 12, 50)
    smooth = PchipInterpolator(STEPS, a["loss"])(dense)

    def check(frame: Frame, before: int, after: int, t: float) -> None:
        upto = dense <= frame.position
        np.testing.assert_allclose(curve.get_xdata(), dense[upto], rtol=1e-12)
        np.testing.assert_allclose(curve.get_ydata(), smooth[upto], rtol=1e-12)

    each_in_between(prepared, graph, check)


# --- numbers in texts: a measurement blends, a count stays ---------------------------------------------------------

COUNTS = '[sources.cnt]\nkind = "trace"\npath = "cnt.npz"\n\n'
EPOCHS = np.array([0, 1, 1, 2, 3])  # whole numbers, recorded at steps 0, 2, 3, 7, 12
WHOLE = np.array([0.0, 4.0, 4.0, 8.0, 16.0])  # floats, but all whole: a count too


def save_counts(folder: Path) -> None:
    Trace(steps=STEPS, stepped={"epoch": EPOCHS, "whole": WHOLE}).save(folder / "cnt.npz")


def test_text_blends_a_measurement_and_keeps_counts_at_the_shown_step(tmp_path: Path) -> None:
    save_counts(tmp_path)
    layer = (
        '{ kind = "text", text = "{run.loss:.6f} e{cnt.epoch} w{cnt.whole} s{step}", at = [0.1, 0.1], coords = "axes" }'
    )
    prepared, graph, a, painter = compiled(tmp_path, layer, extra=COUNTS)
    (text,) = painter.artists

    def check(frame: Frame, before: int, after: int, t: float) -> None:
        loss = blend(a["loss"], before, after, t)
        expected = f"{loss:.6f} e{EPOCHS[before]} w{WHOLE[before]} s{frame.step}"
        assert text.get_text() == expected

    each_in_between(prepared, graph, check)


@pytest.mark.parametrize("bound", ["run.loss", "cnt.epoch", None])
def test_counter_blends_a_measurement_and_counts_whole_steps(tmp_path: Path, bound: str | None) -> None:
    save_counts(tmp_path)
    value = f', value = "{bound}"' if bound else ""
    layer = '{ kind = "counter"' + value + ', format = "{value} at {step}" }'
    prepared, graph, a, painter = compiled(tmp_path, layer, extra=COUNTS)
    (text,) = painter.artists

    def check(frame: Frame, before: int, after: int, t: float) -> None:
        if bound == "run.loss":
            loss = blend(a["loss"], before, after, t)
            assert text.get_text() == f"{loss:.4g} at {frame.step}"  # four significant digits without a spec
        elif bound == "cnt.epoch":
            assert text.get_text() == f"{EPOCHS[before]} at {frame.step}"
        else:
            assert text.get_text() == f"{frame.step} at {frame.step}"

    each_in_between(prepared, graph, check)


TESTED = {
    "scatter": test_scatter_points_glide_between_the_shown_steps,
    "line": test_line_moves_between_the_shown_steps,
    "band": test_band_edges_are_the_blended_prediction_plus_minus_the_blended_spread,
    "quiver": test_quiver_arrows_and_their_points_blend,
    "contour": test_contour_lines_lie_on_the_blended_plane,
    "surface": test_surface_faces_take_the_blended_heights,
    "embedding": test_embedding_points_glide_between_the_shown_steps,
    "sprites": test_sprites_glide_between_the_shown_steps,
    "path": test_path_grows_along_the_recorded_steps_to_a_head_between_them,
    "metric": test_metric_curve_reaches_the_value_interpolated_at_the_position,
    "spline": test_spline_reveals_its_curve_up_to_the_position,
    "text": test_text_blends_a_measurement_and_keeps_counts_at_the_shown_step,
    "counter": test_counter_blends_a_measurement_and_counts_whole_steps,
}


def test_every_layer_kind_has_a_tween_test() -> None:
    assert sorted(TESTED) == sorted(LAYERS.load())
