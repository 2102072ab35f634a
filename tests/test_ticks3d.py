"""Tick labels of 3D panels stay apart: at the front corner of the box, where two axes each label their end, no
two labels' rendered extents come within two points of each other (measured with the renderer, after drawing)."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest

from scenespec.pipeline import build, prepare, scene_style

SPECS = Path(__file__).resolve().parents[1] / "specs"
GAP_POINTS = 2.0


TURNING_TO_THE_STILL_VIEW = ("panels.0.camera.azim=-100", "panels.0.camera.rotate=40")  # ends at azim -60
CASES = [
    ("bowl_surface", -1, ()),
    ("bowl_wireframe", -1, ()),
    ("bowl_wireframe", -1, TURNING_TO_THE_STILL_VIEW),  # a moving camera: labels laid out for the frame's view
    ("bowl_camera_tour", 0, ()),
    ("bowl_camera_tour", 12, ()),
    ("bowl_camera_tour", 24, ()),
    ("bowl_camera_tour", -1, ()),
]


@pytest.mark.parametrize(("name", "index", "overrides"), CASES)
def test_no_two_tick_labels_touch(name: str, index: int, overrides: tuple[str, ...]) -> None:
    prepared = prepare(SPECS / f"{name}.toml", overrides)
    with scene_style(prepared.scene):
        graph = build(prepared)
        graph.show(prepared.frames[index])
        canvas = graph.figure.canvas
        canvas.draw()
        renderer = canvas.get_renderer()  # type: ignore[attr-defined]
        ax = graph.panels[0].ax
        labels = []
        for axis in (ax.xaxis, ax.yaxis, ax.zaxis):  # type: ignore[attr-defined]
            low, high = sorted(axis.get_view_interval())
            for tick in axis.majorTicks:
                text = tick.label1
                if text.get_visible() and text.get_text() and low <= tick.get_loc() <= high:
                    labels.append((axis.axis_name, text.get_text(), text.get_window_extent(renderer)))
    pad = renderer.points_to_pixels(GAP_POINTS) / 2
    assert {axis for axis, _, _ in labels} == {"x", "y", "z"}
    assert len(labels) >= 12  # the axes are still labelled: at most a corner label or two is left blank
    for (axis_a, text_a, box_a), (axis_b, text_b, box_b) in combinations(labels, 2):
        a, b = box_a.padded(pad), box_b.padded(pad)
        apart = a.x1 < b.x0 or b.x1 < a.x0 or a.y1 < b.y0 or b.y1 < a.y0
        assert apart, f"{axis_a} {text_a!r} at {box_a.bounds} touches {axis_b} {text_b!r} at {box_b.bounds}"
