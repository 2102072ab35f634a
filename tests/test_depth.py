"""Depth truth in 3D (which points of a path a surface hides), fading trails and the floor projection.

The hidden points are known by construction: a flat plate seen from straight above hides exactly what lies
under it; a bowl z = x² + y² seen from the side at elevation e (orthographic, a cubic box) hides the point
(0, y0, y0²) of its wall exactly when y0 < 1 − tan e (the near rim, at y = −1 and height 1, is then above
the ray of sight).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from helpers import write_spec
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from pydantic import ValidationError

from scenespec.layers._trail import TrailStyle, fade_factors, trail
from scenespec.layers.path import PathLayer
from scenespec.paint._depth import eye_of, height_grid, hidden, subdivided
from scenespec.pipeline import build, prepare, scene_style

matplotlib.use("Agg")
import matplotlib.pyplot as plt

SPECS = Path(__file__).resolve().parents[1] / "specs"


def cube_axes(elev: float, azim: float, proj_type: str = "ortho", zlim: tuple[float, float] = (-1, 1)):
    """A 3D axes whose box is a cube over x, y in [-1, 1] and `zlim` (equal spans: directions are undistorted)."""
    ax = plt.figure().add_subplot(projection="3d", proj_type=proj_type)
    ax.set_xlim(-1, 1)
    ax.set_ylim(-1, 1)
    ax.set_zlim(*zlim)
    ax.set_box_aspect((1, 1, 1))
    ax.view_init(elev=elev, azim=azim)
    return ax


def plate(n: int = 41):
    """z = 0 over the square [-0.5, 0.5]²."""
    xs = np.linspace(-0.5, 0.5, n)
    x, y = np.meshgrid(xs, xs)
    return height_grid(x, y, np.zeros_like(x))


def bowl(n: int = 201):
    """z = x² + y² over [-1, 1]²."""
    xs = np.linspace(-1, 1, n)
    x, y = np.meshgrid(xs, xs)
    return height_grid(x, y, x**2 + y**2)


# --- the depth test -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("proj_type", ["ortho", "persp"])
def test_a_plate_seen_from_above_hides_exactly_what_passes_under_it(proj_type: str) -> None:
    ax = cube_axes(90, -90, proj_type)
    xs = np.array([-0.9, -0.7, -0.45, -0.3, 0.0, 0.2, 0.4, 0.7, 0.95])  # none near the plate's edge ±0.5
    under = np.column_stack([xs, 0.1 * xs, np.full_like(xs, -0.5)])
    eye = eye_of(ax.get_proj())
    expected = np.abs(xs) < 0.5
    if proj_type == "persp":  # the ray to an eye straight above at height h meets z = 0 nearer the middle
        h = eye.at[2]
        assert np.allclose(eye.at[:2], 0, atol=1e-9) and h > 1
        expected = np.abs(xs * (1 - 0.5 / (h + 0.5))) < 0.5
    np.testing.assert_array_equal(hidden(under, plate(), eye, 1e-4), expected)
    above = under * [1, 1, -1]  # the same points at z = +0.5: in front of the plate
    assert not hidden(above, plate(), eye, 1e-4).any()


def test_a_plate_seen_from_below_hides_what_passes_over_it() -> None:
    ax = cube_axes(-90, -90)
    xs = np.array([-0.8, -0.2, 0.3, 0.9])
    over = np.column_stack([xs, np.zeros(4), np.full(4, 0.5)])
    np.testing.assert_array_equal(hidden(over, plate(), eye_of(ax.get_proj()), 1e-4), np.abs(xs) < 0.5)


def test_a_point_on_the_plate_is_not_hidden_by_it() -> None:
    ax = cube_axes(60, -30)
    on = np.array([[0.1, 0.2, 0.0], [-0.3, 0.4, 0.0]])
    assert not hidden(on, plate(), eye_of(ax.get_proj()), 1e-4).any()


def test_the_orthographic_eye_is_the_direction_toward_the_viewer() -> None:
    for elev, azim in ((30, -60), (-20, 45), (75, 170)):
        eye = eye_of(cube_axes(elev, azim).get_proj())
        e, a = np.radians(elev), np.radians(azim)
        expected = np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])
        assert eye.is_direction
        np.testing.assert_allclose(eye.at / np.linalg.norm(eye.at), expected, atol=1e-9)


@pytest.mark.parametrize("tan_elev", [0.5, 1.2])
def test_the_near_rim_of_a_bowl_seen_from_the_side_hides_the_wall_below_its_line_of_sight(tan_elev: float) -> None:
    ax = cube_axes(np.degrees(np.arctan(tan_elev)), -90, zlim=(0, 2))  # the viewer on the side of y = -1
    y0 = np.linspace(-0.95, 0.95, 39)
    y0 = y0[np.abs(y0 - (1 - tan_elev)) > 0.03]  # not at the border, where the ray grazes the rim
    wall = np.column_stack([np.zeros_like(y0), y0, y0**2])
    found = hidden(wall, bowl(), eye_of(ax.get_proj()), 1e-4)
    np.testing.assert_array_equal(found, y0 < 1 - tan_elev)
    assert found.any() and not found.all()


def test_a_grid_that_is_not_rectilinear_hides_nothing() -> None:
    u, v = np.meshgrid(np.linspace(0, 1, 5), np.linspace(0, 1, 5))
    assert height_grid(u + 0.3 * v, v, u * 0) is None  # sheared: not a height grid
    xs, ys = np.linspace(0, 1, 4), np.linspace(2, 3, 5)
    x, y = np.meshgrid(xs, ys, indexing="ij")  # the other orientation is fine
    grid = height_grid(x, y, x + 10 * y)
    assert grid is not None
    np.testing.assert_allclose(grid.height(np.array([0.25]), np.array([2.5])), [0.25 + 25])


def test_subdivided_cuts_every_segment_into_pieces_no_longer_than_asked() -> None:
    points = np.array([[0.0, 0, 0], [1, 0, 0], [1, 0.1, 0], [1, 0.1, 0.35]])
    fine, owner = subdivided(points, 0.25)
    np.testing.assert_array_equal(owner, [0, 0, 0, 0, 1, 2, 2])  # 1 / 0.25 = 4 pieces, then 1, then 2
    assert np.all(np.linalg.norm(np.diff(fine, axis=0), axis=1) <= 0.25 + 1e-12)
    np.testing.assert_allclose(fine[[0, 4, 5, 7]], points)  # the recorded points are kept
    np.testing.assert_allclose(fine[6], [1, 0.1, 0.175])


# --- fading trails ------------------------------------------------------------------------------------------------


def test_fade_factors_fall_linearly_to_the_minimum() -> None:
    ages = np.arange(7)
    np.testing.assert_allclose(fade_factors(ages, 4, 0.2), [1.0, 0.8, 0.6, 0.4, 0.2, 0.2, 0.2])
    np.testing.assert_allclose(fade_factors(ages, None, 0.2), np.ones(7))


def test_a_fading_trail_has_one_run_per_young_step_and_one_for_the_old_ones() -> None:
    rows = 9
    points = np.column_stack([np.arange(rows, dtype=float), np.zeros(rows)])
    owner = np.arange(rows - 1)
    drawn = trail(points, owner, np.zeros(rows - 1, bool), np.zeros(rows, bool), TrailStyle(fade=3, fade_min=0.1))
    # segment k (points k..k+1) is (rows - 2 - k) steps old: ages 7..3 share fade_min, then 2, 1, 0
    assert [run[:, 0].tolist() for run in drawn.runs] == [[0, 1, 2, 3, 4, 5], [5, 6], [6, 7], [7, 8]]
    np.testing.assert_allclose(drawn.alphas, [0.1, 0.1 + 0.9 / 3, 0.1 + 1.8 / 3, 1.0])
    ages = rows - 1 - np.arange(rows)
    np.testing.assert_allclose(drawn.point_alphas, 0.1 + 0.9 * np.clip(1 - ages / 3, 0, 1))
    assert not drawn.dashed.any()


def test_hidden_stretches_are_dashed_faded_or_left_out() -> None:
    points = np.column_stack([np.arange(6.0), np.zeros(6), np.zeros(6)])
    segment_hidden = np.array([False, True, True, False, False])
    point_hidden = np.array([False, False, True, False, False, False])
    owner = np.arange(5)
    for style, alphas, dashed, runs in (
        (TrailStyle(hidden="dashed", hidden_alpha=0.4), [1, 0.4, 1], [False, True, False], [[0, 1], [1, 3], [3, 5]]),
        (TrailStyle(hidden="faded", hidden_alpha=0.3), [1, 0.3, 1], [False, False, False], [[0, 1], [1, 3], [3, 5]]),
        (TrailStyle(hidden="none"), [1, 1], [False, False], [[0, 1], [3, 5]]),
        (TrailStyle(hidden="solid"), [1], [False], [[0, 5]]),
    ):
        drawn = trail(points, owner, segment_hidden, point_hidden, style)
        assert [[run[0, 0], run[-1, 0]] for run in drawn.runs] == runs
        np.testing.assert_allclose(drawn.alphas, alphas)
        assert drawn.dashed.tolist() == dashed
        np.testing.assert_allclose(drawn.point_alphas[2], style.hidden_factor())


# --- the path layer -----------------------------------------------------------------------------------------------

SMALL_3D = ("sources.bowl.resolution=[80, 40]", "sources.bowl.steps=30", "scene.dpi=40")


def compiled(path: Path, overrides: tuple[str, ...] = ()):
    prepared = prepare(path, overrides)
    with scene_style(prepared.scene):
        graph = build(prepared)
    return prepared, graph


def painter(graph, kind: str):
    return next(n.painter for n in graph.layers if n.painter.spec.kind == kind)


def test_the_3d_path_is_dashed_where_the_near_wall_hides_it(tmp_path: Path) -> None:
    prepared, graph = compiled(SPECS / "bowl_path_3d.toml", SMALL_3D)
    path = painter(graph, "path")
    ax = graph.panels[0].ax
    trace = prepared.traces["bowl"]
    for frame in (prepared.frames[-1], next(f for f in prepared.frames if f.step == 12)):
        graph.show(frame)  # the camera turns 40° over the animation: the test sees the camera the frame is drawn with
        graph.figure.canvas.draw()
    runs = path.drawn[0].runs  # what the Line3DCollection was given
    colors = path.trails[0].get_color()
    dashed = [style[1] is not None for style in path.trails[0].get_linestyle()]
    assert len(colors) == len(dashed) == len(runs)
    assert any(dashed) and not all(dashed)
    recorded = np.column_stack([trace.stepped[k][:13, 0] for k in ("x", "y", "loss")])
    np.testing.assert_allclose([runs[0][0], runs[-1][-1]], recorded[[0, -1]])  # from the start to the head
    for before, after in itertools.pairwise(runs):
        np.testing.assert_array_equal(before[-1], after[0])  # each run goes on where the last stopped
    for color, is_dashed in zip(colors, dashed, strict=True):
        assert color[3] == pytest.approx(path.rgba[0][3] * (0.45 if is_dashed else 1.0))
    # each dashed run lies where the bowl's wall hides it: its ray toward the camera dips under f = x²/20 + y²
    eye = eye_of(ax.get_proj()).at
    for run, is_dashed in zip(runs, dashed, strict=True):
        middle = (run[len(run) // 2 - 1] + run[len(run) // 2]) / 2 if len(run) > 2 else run.mean(axis=0)
        t = np.linspace(0, 1, 20001)[1:, None]
        ray = middle + t * (eye - middle)
        inside = (np.abs(ray[:, 0]) <= 8) & (np.abs(ray[:, 1]) <= 4)
        below = ray[inside, 2] < ray[inside, 0] ** 2 / 20 + ray[inside, 1] ** 2 - 0.05
        assert below.any() == is_dashed
    handle = path.legend_handles()[0]
    assert isinstance(handle, Line2D) and handle.get_color() == path.lines[0].get_color()


def test_hidden_solid_keeps_the_plain_line(tmp_path: Path) -> None:
    _, graph = compiled(SPECS / "bowl_path_3d.toml", (*SMALL_3D, 'panels[0].layers[1].hidden="solid"'))
    path = painter(graph, "path")
    assert not path.trails and path.lines[0].get_visible()


def test_the_shadow_lies_on_the_floor_under_the_path(tmp_path: Path) -> None:
    prepared, graph = compiled(SPECS / "bowl_path_3d.toml", SMALL_3D)
    path, trace = painter(graph, "path"), prepared.traces["bowl"]
    floor = graph.panels[0].ax.get_zlim()[0]
    for frame in prepared.frames[::5]:
        graph.show(frame)
        k = frame.step
        xs, ys, zs = (np.asarray(a) for a in path.shadows[0].get_data_3d())
        np.testing.assert_array_equal(xs, trace.stepped["x"][: k + 1, 0])
        np.testing.assert_array_equal(ys, trace.stepped["y"][: k + 1, 0])
        np.testing.assert_array_equal(zs, np.full(k + 1, floor))
    floor_contours = painter(graph, "surface").artists[1]
    assert (
        floor_contours.get_zorder() < path.shadows[0].get_zorder() < painter(graph, "surface").artists[0].get_zorder()
    )


RACE_2D = """\
[scene]
dpi = 40

[sources.race]
kind = "optimizer"
objective = "elliptic"
start = [-7.0, 2.0]
steps = 12
optimizers = [{ name = "sgd", lr = 0.9 }]

[[panels]]
layers = [{ kind = "path", x = "race.x", y = "race.y", names = "race.names", fade = 4, fade_min = 0.25 }]
"""


def test_a_2d_trail_fades_with_age(tmp_path: Path) -> None:
    prepared, graph = compiled(write_spec(tmp_path, RACE_2D))
    path = painter(graph, "path")
    trail_lines = path.trails[0]
    assert isinstance(trail_lines, LineCollection)
    for frame in prepared.frames[5:]:
        graph.show(frame)
        k = frame.step
        alphas = trail_lines.get_color()[:, 3]
        runs = trail_lines.get_segments()
        starts = np.cumsum([0] + [len(r) - 1 for r in runs[:-1]])  # the first recorded point of each run
        ages = k - 1 - starts  # of each run's first segment (an older run's segments share its opacity)
        np.testing.assert_allclose(alphas, [0.25 + 0.75 * max(0.0, 1 - a / 4) for a in ages])
        dots = path.dots[0].get_facecolor()[:, 3]
        np.testing.assert_allclose(dots, 0.25 + 0.75 * np.clip(1 - (k - np.arange(k + 1)) / 4, 0, 1))
        np.testing.assert_allclose(np.concatenate([runs[0][:1], *[r[1:] for r in runs]]),
                                   np.column_stack([prepared.traces["race"].stepped["x"][: k + 1, 0],
                                                    prepared.traces["race"].stepped["y"][: k + 1, 0]]))  # fmt: skip


def test_3d_only_settings_on_a_2d_path_are_errors() -> None:
    base = {"kind": "path", "x": "r.x", "y": "r.y"}
    with pytest.raises(ValidationError, match="shadow falls on the floor"):
        PathLayer.model_validate({**base, "shadow": True})
    with pytest.raises(ValidationError, match="stretches a surface hides"):
        PathLayer.model_validate({**base, "hidden": "none"})
    PathLayer.model_validate({**base, "fade": 10})  # fading works in 2D


def test_a_trail_with_a_tail_fades_within_what_the_tail_shows(tmp_path: Path) -> None:
    spec = RACE_2D.replace("fade = 4, fade_min = 0.25", "fade = 3, fade_min = 0.4, tail = 5")
    prepared, graph = compiled(write_spec(tmp_path, spec))
    path = painter(graph, "path")
    x = prepared.traces["race"].stepped["x"][:, 0]
    for frame in prepared.frames[6:]:
        graph.show(frame)
        k = frame.step
        runs = path.trails[0].get_segments()
        np.testing.assert_allclose(runs[0][0, 0], x[k - 4])  # the tail's first point
        # 4 segments: the oldest is 3 steps old (at fade_min), then 2, 1, 0 steps
        np.testing.assert_allclose(path.trails[0].get_color()[:, 3], [0.4, 0.4 + 0.6 / 3, 0.4 + 1.2 / 3, 1.0])
        ages = np.arange(4, -1, -1)
        np.testing.assert_allclose(path.dots[0].get_facecolor()[:, 3], 0.4 + 0.6 * np.clip(1 - ages / 3, 0, 1))


def test_floor_contours_are_evenly_spaced_inside_the_surfaces_range(tmp_path: Path) -> None:
    prepared, graph = compiled(SPECS / "bowl_path_3d.toml", SMALL_3D)
    surface = painter(graph, "surface")
    z = prepared.traces["bowl"].static["Z"]
    floor_contours = surface.artists[1]
    step = (z.max() - z.min()) / 11  # floor_contours = 10: ten levels strictly between the lowest and highest
    np.testing.assert_allclose(floor_contours.levels, z.min() + step * np.arange(1, 11))
    assert floor_contours.get_zorder() < surface.artists[0].get_zorder()
