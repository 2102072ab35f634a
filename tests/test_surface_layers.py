"""Layers contour, quiver, path and surface, compiled: what matplotlib is given, checked against the numbers.

Small specs are written to tmp_path (or the shipped ones shrunk with overrides); expected values
come from numpy (levels, the bowl's gradient x/10 and 2y) or straight from the resolved trace.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import write_spec

from scenespec.compile import ArtistGraph
from scenespec.pipeline import Prepared, build, prepare, scene_style
from scenespec.render.renderer import frame_pixels

SPECS = Path(__file__).resolve().parents[1] / "specs"

# The bowl on a 41 × 21 grid, x in [-10, 10], y in [-5, 5]; three optimizers from (-7, 2).
BOWL = """[scene]
size = [4.0, 3.0]
dpi = 40

[sources.bowl]
kind = "optimizer"
objective = "elliptic"
x = [-10, 10]
y = [-5, 5]
resolution = [41, 21]
start = [-7.0, 2.0]
steps = 12
optimizers = [{ name = "sgd", lr = 0.95 }, { name = "momentum", lr = 0.1 }, { name = "adagrad", lr = 1.5 }]
"""
CONTOUR = '{ kind = "contour", x = "bowl.X", y = "bowl.Y", z = "bowl.Z" }'
QUIVER = '{ kind = "quiver", x = "bowl.X", y = "bowl.Y", u = "bowl.GX", v = "bowl.GY" }'
PATH = '{ kind = "path", x = "bowl.x", y = "bowl.y", names = "bowl.names" }'


def with_fields(layer: str, fields: str) -> str:
    """An inline-table layer with more `key = value` fields."""
    return layer[:-2] + ", " + fields + " }" if fields else layer


def spec_text(*panels: list[str], source: str = BOWL) -> str:
    """The source and one panel per list of layers."""
    text = source
    for layers in panels:
        text += "\n[[panels]]\nlegend = true\nlayers = [\n" + "".join(f"  {layer},\n" for layer in layers) + "]\n"
    return text


def compiled(tmp_path: Path, text: str | Path, overrides: tuple[str, ...] = ()) -> tuple[Prepared, ArtistGraph]:
    path = text if isinstance(text, Path) else write_spec(tmp_path, text)
    prepared = prepare(path, overrides)
    with scene_style(prepared.scene):
        graph = build(prepared)
    return prepared, graph


def painter(graph: ArtistGraph, kind: str, panel: int = 0):
    return next(n.painter for n in graph.layers if n.painter.spec.kind == kind and n.panel == panel)


def contour_levels(tmp_path: Path, fields: str, source: str = BOWL) -> tuple[np.ndarray, np.ndarray, ArtistGraph]:
    """The levels matplotlib's ContourSet received, the grid's Z, and the graph."""
    prepared, graph = compiled(tmp_path, spec_text([with_fields(CONTOUR, fields)], source=source))
    return np.asarray(painter(graph, "contour").contours.levels), prepared.traces["bowl"].static["Z"], graph


# --- contour ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ("{ start = 0, stop = 10, step = 1 }", np.arange(0, 10, 1)),
        ("{ start = 0.5, stop = 3, step = 0.25 }", np.arange(0.5, 3, 0.25)),
    ],
)
def test_level_range_is_numpy_arange(tmp_path: Path, levels: str, expected: np.ndarray) -> None:
    got, _, _ = contour_levels(tmp_path, f"levels = {levels}")
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("filled", [False, True])
def test_explicit_levels_are_kept(tmp_path: Path, filled: bool) -> None:
    got, _, _ = contour_levels(tmp_path, f"levels = [0.5, 2, 8, 20], filled = {str(filled).lower()}")
    np.testing.assert_array_equal(got, [0.5, 2, 8, 20])


def is_round_step(step: float) -> bool:
    """A step of at most two significant digits (1, 2, 2.5, 4, 5, … times a power of ten)."""
    mantissa = step / 10 ** np.floor(np.log10(step))
    return bool(np.isclose(mantissa * 10, round(mantissa * 10)))


@pytest.mark.parametrize("count", [5, 7, 12])
def test_counted_linear_line_levels_are_round_and_inside_z(tmp_path: Path, count: int) -> None:
    got, Z, _ = contour_levels(tmp_path, f"levels = {count}")
    steps = np.diff(got)
    assert 3 <= len(got) <= count + 1
    np.testing.assert_allclose(steps, steps[0])
    assert is_round_step(steps[0])
    np.testing.assert_allclose(got / steps[0], np.round(got / steps[0]), atol=1e-9)  # multiples of the step
    assert Z.min() < got.min() and got.max() < Z.max()  # a line at the extremes would be a dot


def test_filled_linear_levels_cover_z(tmp_path: Path) -> None:
    got, Z, _ = contour_levels(tmp_path, "levels = 7, filled = true")
    assert got[0] <= Z.min() and Z.max() <= got[-1]
    assert is_round_step(float(np.diff(got)[0]))


ROSENBROCK = """[scene]
dpi = 40

[sources.bowl]
kind = "optimizer"
objective = "rosenbrock"
x = [-2, 2]
y = [-1, 3]
resolution = [61, 41]
steps = 0
"""


@pytest.mark.parametrize("filled", [False, True])
def test_log_levels_hold_every_decade(tmp_path: Path, filled: bool) -> None:
    got, Z, _ = contour_levels(tmp_path, f'levels = 20, norm = "log", filled = {str(filled).lower()}', ROSENBROCK)
    positive = Z[Z > 0]
    lo, hi = positive.min(), positive.max()
    decades = [10.0**k for k in range(-10, 10) if lo < 10.0**k < hi]
    assert len(decades) >= 4
    for decade in decades:
        assert np.isclose(got, decade, rtol=1e-12).any(), (decade, got)
    ratios = got[1:] / got[:-1]
    np.testing.assert_allclose(ratios, ratios[0])  # evenly spaced in log
    if filled:
        assert got[0] <= lo and hi <= got[-1]
    else:
        assert lo < got.min() and got.max() < hi


def test_filled_log_contours_leave_no_hole_where_z_is_zero(tmp_path: Path) -> None:
    # On this grid (1, 1) is a grid point, where Rosenbrock is exactly 0: a log norm has no place for it.
    source = ROSENBROCK.replace("resolution = [61, 41]", "resolution = 41").replace("dpi = 40", "dpi = 60")
    prepared, graph = compiled(
        tmp_path, spec_text([with_fields(CONTOUR, 'filled = true, norm = "log"')], source=source)
    )
    assert (prepared.traces["bowl"].static["Z"] == 0).sum() == 1
    with graph.styled():
        pixels = frame_pixels(graph, prepared.frames[0]).astype(int)
    x0, y0, x1, y1 = graph.panels[0].ax.get_window_extent().extents.round().astype(int)
    height = pixels.shape[0]
    inside = pixels[height - y1 + 3 : height - y0 - 3, x0 + 3 : x1 - 3]
    white = (inside > 250).all(axis=-1)
    assert not white.any(), f"{white.sum()} unfilled pixels"  # viridis has no white


@pytest.mark.parametrize(("setting", "label"), [("false", None), ("true", ""), ('"f(x, y)"', "f(x, y)")])
def test_colorbar(tmp_path: Path, setting: str, label: str | None) -> None:
    _, _, graph = contour_levels(tmp_path, f"filled = true, colorbar = {setting}")
    axes = graph.figure.axes
    if label is None:
        assert len(axes) == 1
        return
    assert len(axes) == 2
    bar = axes[1]
    assert bar is not graph.panels[0].ax
    assert bar.get_ylabel() == label


# --- quiver -------------------------------------------------------------------------------------------------------

SQUARE = BOWL.replace("resolution = [41, 21]", "resolution = 41")


def quiver_of(tmp_path: Path, fields: str) -> tuple[np.ndarray, ...]:
    _, graph = compiled(tmp_path, spec_text([with_fields(QUIVER, fields)], source=SQUARE))
    quiver = painter(graph, "quiver").artists[0]
    return tuple(np.asarray(a, dtype=float).ravel() for a in (quiver.X, quiver.Y, quiver.U, quiver.V))


def test_quiver_arrows_sit_on_a_thinned_grid(tmp_path: Path) -> None:
    x, y, _, _ = quiver_of(tmp_path, "arrows = 8")
    assert len(x) == len(y) == 8 * 8
    grid_x, grid_y = np.linspace(-10, 10, 41), np.linspace(-5, 5, 41)
    for values, grid, spacing in ((x, grid_x, 0.5), (y, grid_y, 0.25)):
        columns = np.unique(values)
        assert len(columns) == 8
        assert np.isclose(grid[:, None], columns[None, :]).any(axis=0).all()  # every arrow on a grid point
        assert columns[0] == grid[0] and columns[-1] == grid[-1]  # from edge to edge
        gaps = np.diff(columns) / spacing  # in grid steps: 40 steps shared out as evenly as possible
        np.testing.assert_allclose(gaps, np.round(gaps), atol=1e-9)
        assert gaps.max() - gaps.min() <= 1 and gaps.sum() == pytest.approx(40)
    # Every (x, y) pair once: the thinned grid is a full product of the chosen rows and columns.
    assert len({(a, b) for a, b in zip(x, y, strict=True)}) == 64


def test_quiver_draws_the_negative_gradient_by_default(tmp_path: Path) -> None:
    x, y, u, v = quiver_of(tmp_path, "arrows = 8")
    np.testing.assert_allclose(u, -x / 10, atol=1e-12)  # −∂f/∂x of x²/20 + y²
    np.testing.assert_allclose(v, -2 * y, atol=1e-12)


def test_quiver_negate_false_draws_the_gradient(tmp_path: Path) -> None:
    x, y, u, v = quiver_of(tmp_path, "arrows = 8, negate = false")
    np.testing.assert_allclose(u, x / 10, atol=1e-12)
    np.testing.assert_allclose(v, 2 * y, atol=1e-12)


def test_quiver_normalize_gives_unit_arrows_in_the_same_direction(tmp_path: Path) -> None:
    x, y, u, v = quiver_of(tmp_path, "arrows = 9, normalize = true")
    gx, gy = -x / 10, -2 * y
    moving = np.hypot(gx, gy) > 0
    assert (~moving).sum() == 1  # arrows = 9 on 41 points includes the minimum (0, 0)
    np.testing.assert_allclose(np.hypot(u, v)[moving], 1.0, rtol=1e-12)
    np.testing.assert_allclose((u * gy - v * gx)[moving], 0.0, atol=1e-12)  # parallel
    assert ((u * gx + v * gy)[moving] > 0).all()  # and the same way
    assert u[~moving] == 0 and v[~moving] == 0


def test_quiver_colour_by_magnitude(tmp_path: Path) -> None:
    _, graph = compiled(tmp_path, spec_text([with_fields(QUIVER, 'arrows = 6, color_by = "magnitude"')], source=SQUARE))
    quiver = painter(graph, "quiver").artists[0]
    x, y = np.asarray(quiver.X).ravel(), np.asarray(quiver.Y).ravel()
    np.testing.assert_allclose(np.asarray(quiver.get_array()).ravel(), np.hypot(x / 10, 2 * y), atol=1e-12)


# --- path ---------------------------------------------------------------------------------------------------------


def test_path_grows_to_the_frames_step_with_a_head_and_a_legend(tmp_path: Path) -> None:
    prepared, graph = compiled(tmp_path, spec_text([CONTOUR, PATH]))
    trace = prepared.traces["bowl"]
    x, y = trace.stepped["x"], trace.stepped["y"]
    path = painter(graph, "path")
    assert len(path.lines) == len(path.heads) == 3
    assert [f.step for f in prepared.frames] == list(range(13))
    for frame in prepared.frames:
        graph.show(frame)
        k = frame.step
        for i, (line, head) in enumerate(zip(path.lines, path.heads, strict=True)):
            line_x, line_y = line.get_data()
            assert len(line_x) == k + 1
            np.testing.assert_array_equal(line_x, x[: k + 1, i])
            np.testing.assert_array_equal(line_y, y[: k + 1, i])
            np.testing.assert_array_equal(np.ravel(head.get_data()), [x[k, i], y[k, i]])
    legend = graph.panels[0].ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["SGD", "Momentum", "AdaGrad"]
    assert trace.static["names"].tolist() == ["SGD", "Momentum", "AdaGrad"]


def test_path_tail_keeps_the_last_points(tmp_path: Path) -> None:
    prepared, graph = compiled(tmp_path, spec_text([CONTOUR, with_fields(PATH, "tail = 5")]))
    x, y = prepared.traces["bowl"].stepped["x"], prepared.traces["bowl"].stepped["y"]
    path = painter(graph, "path")
    for frame in prepared.frames:
        graph.show(frame)
        k = frame.step
        first = max(0, k - 4)
        for i, line in enumerate(path.lines):
            line_x, line_y = line.get_data()
            assert len(line_x) == min(k + 1, 5)
            np.testing.assert_array_equal(line_x, x[first : k + 1, i])
            np.testing.assert_array_equal(line_y, y[first : k + 1, i])
            np.testing.assert_array_equal(np.ravel(path.heads[i].get_data()), [x[k, i], y[k, i]])


PATH_3D = ("sources.bowl.resolution=[40, 20]", "sources.bowl.steps=30", "scene.dpi=40")


def test_path_in_3d_is_lifted_onto_the_surface_and_drawn_above_it(tmp_path: Path) -> None:
    prepared, graph = compiled(tmp_path, SPECS / "bowl_path_3d.toml", PATH_3D)
    trace = prepared.traces["bowl"]
    ax = graph.panels[0].ax
    assert ax.name == "3d"
    assert ax.computed_zorder is False
    surface, path = painter(graph, "surface"), painter(graph, "path")
    assert len(path.lines) == 1
    surface_z = surface.artists[0].get_zorder()  # its faces; the floor's contours lie beneath everything
    assert all(a.get_zorder() > surface_z for a in path.artists if a not in path.shadows)
    assert path.shadows and all(a.get_zorder() < surface_z for a in path.shadows)  # the shadow, on the floor
    assert ax.get_children().index(surface.artists[0]) < ax.get_children().index(path.lines[0])
    for frame in prepared.frames[::4] + prepared.frames[-1:]:
        graph.show(frame)
        k = frame.step
        xs, ys, zs = (np.asarray(a) for a in path.lines[0].get_data_3d())
        np.testing.assert_array_equal(xs, trace.stepped["x"][: k + 1, 0])
        np.testing.assert_array_equal(ys, trace.stepped["y"][: k + 1, 0])
        np.testing.assert_array_equal(zs, trace.stepped["loss"][: k + 1, 0])
        np.testing.assert_allclose(zs, xs**2 / 20 + ys**2, rtol=1e-12)  # on the surface
        head = [np.asarray(a) for a in path.heads[0].get_data_3d()]
        np.testing.assert_array_equal(np.ravel(head), [xs[-1], ys[-1], zs[-1]])


def test_only_panels_that_need_3d_are_3d(tmp_path: Path) -> None:
    surface = '{ kind = "surface", x = "bowl.X", y = "bowl.Y", z = "bowl.Z" }'
    path_3d = with_fields(PATH, 'z = "bowl.loss"')
    _, graph = compiled(tmp_path, spec_text([CONTOUR, PATH], [surface], [path_3d], [QUIVER]))
    assert [p.ax.name for p in graph.panels] == ["rectilinear", "3d", "3d", "rectilinear"]
    assert [p.spec.projection for p in graph.panels] == ["2d", "3d", "3d", "2d"]


def test_text_on_a_3d_panel(tmp_path: Path) -> None:
    text = '{ kind = "text", text = "f = {bowl.loss:.3f}", at = [0.05, 0.9], coords = "axes" }'
    path_3d = with_fields(PATH, 'z = "bowl.loss"')
    one_optimizer = BOWL.replace('{ name = "momentum", lr = 0.1 }, { name = "adagrad", lr = 1.5 }', "")
    prepared, graph = compiled(tmp_path, spec_text([path_3d, text], source=one_optimizer))
    artist = painter(graph, "text").artists[0]
    loss = prepared.traces["bowl"].stepped["loss"]
    frame = prepared.frames[5]
    graph.show(frame)
    assert graph.panels[0].ax.name == "3d"
    assert artist.get_text() == f"f = {loss[frame.step, 0]:.3f}"


def test_text_of_a_field_with_one_value_per_optimizer_lists_them(tmp_path: Path) -> None:
    text = '{ kind = "text", text = "f = {bowl.loss:.2f}", at = [0.05, 0.9], coords = "axes" }'
    prepared, graph = compiled(tmp_path, spec_text([CONTOUR, PATH, text]))
    artist = painter(graph, "text").artists[0]
    frame = prepared.frames[3]
    graph.show(frame)
    x, y = prepared.traces["bowl"].stepped["x"][3], prepared.traces["bowl"].stepped["y"][3]
    assert artist.get_text() == "f = [" + ", ".join(f"{v:.2f}" for v in x**2 / 20 + y**2) + "]"


# --- camera and limits --------------------------------------------------------------------------------------------


def test_rotating_camera_turns_linearly_from_azim_to_azim_plus_rotate(tmp_path: Path) -> None:
    prepared, graph = compiled(
        tmp_path, SPECS / "bowl_path_3d.toml", (*PATH_3D, "panels.0.camera.keys=[]", "panels.0.camera.rotate=90")
    )
    ax = graph.panels[0].ax
    camera = prepared.scene.panels[0].camera
    assert (camera.elev, camera.azim, camera.rotate) == (35, -70, 90)
    assert ax.azim == pytest.approx(-70) and ax.elev == pytest.approx(35)
    frames = prepared.frames
    assert len(frames) > 3
    seen = []
    for frame in frames:
        graph.show(frame)
        seen.append(ax.azim)
        assert ax.elev == pytest.approx(35)
    np.testing.assert_allclose(seen, -70 + 90 * np.arange(len(frames)) / (len(frames) - 1), rtol=0, atol=1e-9)
    assert seen[0] == pytest.approx(-70) and seen[-1] == pytest.approx(20)


def test_grid_panel_limits_are_the_grid_and_never_move(tmp_path: Path) -> None:
    prepared, graph = compiled(tmp_path, spec_text([CONTOUR, PATH]))
    trace = prepared.traces["bowl"]
    ax = graph.panels[0].ax
    assert ax.get_xlim() == (-10.0, 10.0)
    assert ax.get_ylim() == (-5.0, 5.0)
    # The paths stay inside the grid, so they add no margin beyond it.
    assert np.abs(trace.stepped["x"]).max() < 9 and np.abs(trace.stepped["y"]).max() < 4.5
    with graph.styled():
        for frame in prepared.frames:
            frame_pixels(graph, frame)
            assert (ax.get_xlim(), ax.get_ylim()) == ((-10.0, 10.0), (-5.0, 5.0)), frame
