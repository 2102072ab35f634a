"""Camera keys of 3D panels: the view read back from the axes at chosen frames equals the eased interpolation of
the keys, written out here from the easing formulas; bad keys are errors at their line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import assert_located, line_of, write_spec

from scenespec.compile import ArtistGraph
from scenespec.errors import SpecError
from scenespec.frame import Frame
from scenespec.pipeline import Prepared, build, prepare, scene_style
from scenespec.render.engine import FrameEngine

STEPS = 12  # 13 frames: progress k / 12

SPEC = """[sources.bowl]
kind = "optimizer"
objective = "elliptic"
x = [-10, 10]
y = [-5, 5]
resolution = [21, 11]
start = [-7.0, 2.0]
steps = 12
optimizers = [{ name = "sgd", lr = 0.9 }]

[scene]
size = [4.0, 3.0]
dpi = 40

[[panels]]
CAMERA
layers = [
  { kind = "surface", x = "bowl.X", y = "bowl.Y", z = "bowl.Z" },
  { kind = "path", x = "bowl.x", y = "bowl.y", z = "bowl.loss", names = "bowl.names" },
]
"""
KEYS = (
    'camera = { elev = 35, azim = -70, keys = [{ at = 0.5, azim = -20, ease = "cubic-in-out" }, '
    '{ at = 1, elev = 20, zoom = 1.2, ease = "quad-out" }] }'
)


def cubic_in_out(t: float) -> float:
    return 4 * t**3 if t < 0.5 else 1 - (2 - 2 * t) ** 3 / 2


def quad_out(t: float) -> float:
    return 1 - (1 - t) ** 2


def expected_view(progress: float) -> tuple[float, float, float]:
    """(elev, azim, zoom) of KEYS at `progress`: azim eases to -20 by 0.5, then elev and zoom move, azim holds."""
    if progress <= 0.5:
        return 35.0, -70 + 50 * cubic_in_out(progress / 0.5), 1.0
    t = quad_out((progress - 0.5) / 0.5)
    return 35 + (20 - 35) * t, -20.0, 1 + 0.2 * t


def compiled(tmp_path: Path, camera: str) -> tuple[Prepared, ArtistGraph, Path]:
    path = write_spec(tmp_path, SPEC.replace("CAMERA", camera))
    prepared = prepare(path)
    with scene_style(prepared.scene):
        graph = build(prepared)
    return prepared, graph, path


def box_size(graph: ArtistGraph) -> float:
    return float(np.linalg.norm(graph.panels[0].ax.get_box_aspect()))


def test_keys_ease_each_value_from_key_to_key_and_hold_what_a_key_leaves_out(tmp_path: Path) -> None:
    prepared, graph, _ = compiled(tmp_path, KEYS)
    ax = graph.panels[0].ax
    frames = prepared.frames
    assert len(frames) == STEPS + 1
    unzoomed = box_size(graph)  # the first view is zoom 1
    assert (ax.elev, ax.azim) == (35, -70)
    for index in (0, 2, 3, 5, 6, 7, 9, 12):
        graph.show(frames[index])
        elev, azim, zoom = expected_view(index / STEPS)
        assert ax.elev == pytest.approx(elev, abs=1e-9), index
        assert ax.azim == pytest.approx(azim, abs=1e-9), index
        assert box_size(graph) / unzoomed == pytest.approx(zoom, abs=1e-9), index
    # spot values of the formula itself: halfway into the first move, eased in-out, is halfway
    assert expected_view(0.25)[1] == pytest.approx(-45) and expected_view(1.0) == pytest.approx((20, -20, 1.2))


def test_the_move_is_drawn_every_frame_in_full(tmp_path: Path) -> None:
    prepared, graph, _ = compiled(tmp_path, KEYS)
    assert graph.rotating_panels == [graph.panels[0]]
    with graph.styled():
        engine = FrameEngine(graph)
        first = engine.pixels(prepared.frames[0])
        last = engine.pixels(prepared.frames[-1])
    assert engine.redraws_fully and "camera" in (engine.reason or "")
    assert (first != last).any()
    assert graph.panels[0].ax.elev == pytest.approx(20)


def test_a_still_camera_is_not_a_rotating_panel(tmp_path: Path) -> None:
    _, graph, _ = compiled(tmp_path, "camera = { elev = 35, azim = -70, zoom = 1.5 }")
    assert graph.rotating_panels == []
    assert (graph.panels[0].ax.elev, graph.panels[0].ax.azim) == (35, -70)


def test_a_key_at_zero_replaces_the_starting_view(tmp_path: Path) -> None:
    camera = 'camera = { azim = -70, keys = [{ at = 0, azim = 10 }, { at = 1, azim = 50, ease = "linear" }] }'
    prepared, graph, _ = compiled(tmp_path, camera)
    ax = graph.panels[0].ax
    assert ax.azim == pytest.approx(10)
    for index in (0, 3, 12):
        graph.show(prepared.frames[index])
        assert ax.azim == pytest.approx(10 + 40 * index / STEPS)


def test_a_live_render_shows_the_last_view(tmp_path: Path) -> None:
    """A growing animation's frame is the last one so far (count = index + 1): progress 1, the final view."""
    _, graph, _ = compiled(tmp_path, KEYS)
    for index in (0, 4, 9):
        frame = Frame(index, index, 100, count=index + 1)
        assert frame.progress == 1.0
        graph.show(frame)
        assert (graph.panels[0].ax.elev, graph.panels[0].ax.azim) == pytest.approx((20, -20))


BAD_KEYS = [
    (
        "camera = { azim = -70, rotate = 90, keys = [{ at = 1, elev = 10 }] }",
        "panels[0].camera",
        ("rotate = 90 and keys both move the camera", "shorthand", "azim = 20"),
    ),
    (
        "camera = { keys = [{ at = 0.5, elev = 10 }, { at = 0.5, azim = 10 }] }",
        "panels[0].camera",
        ("two keys: at = 0.5 then at = 0.5", "strictly increasing"),
    ),
    (
        "camera = { keys = [{ at = 0.8, elev = 10 }, { at = 0.2, azim = 10 }] }",
        "panels[0].camera",
        ("keys out of order: at = 0.8 then at = 0.2",),
    ),
    ("camera = { keys = [{ at = 1.5, elev = 10 }] }", "panels[0].camera.keys[0].at", ("less than or equal to 1",)),
    ("camera = { keys = [{ at = 1, zoom = 0 }] }", "panels[0].camera.keys[0].zoom", ("greater than 0",)),
    ("camera = { keys = [{ at = 1 }] }", "panels[0].camera.keys[0]", ("sets none of elev, azim, roll, zoom",)),
    ('camera = { keys = [{ at = 1, azim = 0, ease = "bounce" }] }', "panels[0].camera.keys[0].ease", ("cubic-in-out",)),
]


@pytest.mark.parametrize(("camera", "key", "fragments"), BAD_KEYS, ids=[k for k, _, _ in BAD_KEYS])
def test_bad_keys_are_errors_at_their_line(tmp_path: Path, camera: str, key: str, fragments: tuple[str, ...]) -> None:
    text = SPEC.replace("CAMERA", camera)
    path = write_spec(tmp_path, text)
    with pytest.raises(SpecError) as caught:
        prepare(path)
    assert_located(caught.value, path, line_of(text, "camera = "), key, *fragments)


def test_rotate_is_the_shorthand_of_one_linear_key(tmp_path: Path) -> None:
    turned, by_rotate, _ = compiled(tmp_path, "camera = { elev = 35, azim = -70, rotate = 90 }")
    (tmp_path / "keys").mkdir()
    _, by_keys, _ = compiled(
        tmp_path / "keys", 'camera = { elev = 35, azim = -70, keys = [{ at = 1, azim = 20, ease = "linear" }] }'
    )
    for index in (0, 4, 7, 12):
        by_rotate.show(turned.frames[index])
        by_keys.show(turned.frames[index])
        expected = -70 + 90 * index / STEPS
        assert by_rotate.panels[0].ax.azim == pytest.approx(expected)
        assert by_keys.panels[0].ax.azim == pytest.approx(expected)
