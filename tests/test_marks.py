"""Counters, start and goal markers, heads above lines, and direct labels at the heads of paths.

Scenes read a small trace written to tmp_path; expected texts and positions are read from that trace (or written
out by hand), never from the code under test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import assert_located, line_of, write_spec
from matplotlib.collections import Collection
from matplotlib.lines import Line2D
from matplotlib.transforms import Bbox
from test_engine import assert_engine_equals_plain_redraw

from scenespec.compile import ArtistGraph
from scenespec.errors import SpecError
from scenespec.paint._head_labels import COMPASS, OFFSET_POINTS, along, disc_overlap, repel, sides
from scenespec.pipeline import build, load_and_validate, prepare, scene_style
from scenespec.resolve.trace import Trace

STEPS = np.arange(5)
LOSS = np.array([3.0, 0.5, 1.234567e-5, 2.5e-9, 7.0])
"""A loss that drops below what 4 fixed decimals show (then rises, so `{last}` differs from the smallest)."""

# Two paths moving right along y = 0 and y = 0.02 (their heads nearly coincide) and one along y = 3.
PX = np.column_stack([STEPS * 1.0, STEPS * 1.0, STEPS * 1.0])
PY = np.column_stack([np.zeros(5), np.full(5, 0.02), np.full(5, 3.0)])
PLOSS = np.column_stack([LOSS, LOSS * 2, LOSS * 3])


def write_trace(path: Path) -> None:
    Trace(
        steps=STEPS,
        static={"names": np.array(["alpha", "beta", "gamma"])},
        stepped={"loss": LOSS, "px": PX, "py": PY, "ploss": PLOSS, "epoch": STEPS * 10},
    ).save(path)


def scene_text(*layers: str, dpi: int = 50) -> str:
    return (
        f'[scene]\nsize = [4.0, 3.0]\ndpi = {dpi}\n\n[sources.g]\nkind = "trace"\npath = "g.npz"\n\n'
        '[frames]\nsource = "g"\nsteps = "all"\n\n[[panels]]\nlegend = "center right"\nlayers = [\n'
        + "".join(f"  {layer},\n" for layer in layers)
        + "]\n"
    )


def write_scene(tmp_path: Path, *layers: str) -> tuple[Path, str]:
    write_trace(tmp_path / "g.npz")
    text = scene_text(*layers)
    return write_spec(tmp_path, text), text


def compiled(tmp_path: Path, *layers: str) -> tuple[ArtistGraph, Any]:
    spec, _ = write_scene(tmp_path, *layers)
    prepared = prepare(spec, cache=False)
    with scene_style(prepared.scene):
        return build(prepared), prepared


# --- counter -------------------------------------------------------------------------------------------------------


def test_a_counter_writes_each_frames_recorded_value_with_significant_digits(tmp_path: Path) -> None:
    graph, prepared = compiled(tmp_path, '{ kind = "counter", value = "g.loss", format = "f = {value} of {last}" }')
    recorded = np.load(tmp_path / "g.npz")
    loss = recorded["stepped/loss"]
    assert loss.tolist() == LOSS.tolist()
    counter = graph.layers[0].painter
    shown = []
    for frame in prepared.frames:
        graph.show(frame)
        shown.append(counter.text.get_text())
    # 4 significant digits, never fixed decimals: 1.2e-5 is not "0.0000"; a whole number is an integer
    assert shown == [
        "f = 3 of 7",
        "f = 0.5 of 7",
        "f = 1.235e-05 of 7",
        "f = 2.5e-09 of 7",
        "f = 7 of 7",
    ]


def test_a_step_counter_sits_in_its_corner_on_a_box(tmp_path: Path) -> None:
    graph, prepared = compiled(
        tmp_path,
        '{ kind = "counter" }',
        '{ kind = "counter", value = "g.epoch", format = "epoch {value:d} / {last}", at = "lower right", box = false }',
    )
    step, epoch = (node.painter.text for node in graph.layers)
    graph.show(prepared.frames[3])
    assert (step.get_text(), epoch.get_text()) == ("step 3", "epoch 30 / 40")
    assert step.get_position() == (0.03, 0.97)
    assert (step.get_horizontalalignment(), step.get_verticalalignment()) == ("left", "top")
    assert step.get_transform() == graph.panels[0].ax.transAxes
    assert epoch.get_position() == (0.97, 0.03)
    assert (epoch.get_horizontalalignment(), epoch.get_verticalalignment()) == ("right", "bottom")
    assert step.get_bbox_patch() is not None and epoch.get_bbox_patch() is None
    lines = [a.get_zorder() for a in graph.panels[0].ax.get_children() if isinstance(a, Line2D)]
    assert step.get_zorder() > max(lines, default=0)


def test_a_counter_format_that_cannot_apply_is_located(tmp_path: Path) -> None:
    spec, text = write_scene(tmp_path, '{ kind = "counter", value = "g.loss", format = "{value:d}" }')
    with pytest.raises(SpecError) as caught:
        prepare(spec, cache=False).recipe()
    assert_located(caught.value, spec, line_of(text, "counter"), "panels[0].layers[0].format", "{value:d}")
    spec, text = write_scene(tmp_path, '{ kind = "counter", format = "{epoch}" }')
    with pytest.raises(SpecError) as caught:
        load_and_validate(spec)
    assert_located(caught.value, spec, line_of(text, "counter"), "panels[0].layers[0].format", "{epoch}")


# --- start and goal markers, heads above lines ---------------------------------------------------------------------

PATH = '{ kind = "path", x = "g.px", y = "g.py", names = "g.names"'


def test_start_and_goal_markers_stand_where_the_spec_and_trace_say(tmp_path: Path) -> None:
    graph, prepared = compiled(tmp_path, PATH + ', start = true, goal = [4.5, 1.5], goal_label = "target" }')
    graph.show(prepared.frames[-1])
    path = graph.layers[0].painter
    assert [(s.get_xdata().tolist(), s.get_ydata().tolist()) for s in path.starts] == [
        ([PX[0, i]], [PY[0, i]]) for i in range(3)
    ]
    assert all(s.get_markerfacecolor() == "none" and s.get_marker() == "o" for s in path.starts)  # hollow circles
    star, label = path.goal
    assert (star.get_xdata().tolist(), star.get_ydata().tolist(), star.get_marker()) == ([4.5], [1.5], "*")
    assert (label.get_text(), label.xy) == ("target", (4.5, 1.5))
    ax = graph.panels[0].ax
    assert ax.get_xlim()[1] > 4.5 and ax.get_ylim()[0] < 1.5 < ax.get_ylim()[1]


def test_a_goal_must_match_the_paths_dimensions(tmp_path: Path) -> None:
    spec, text = write_scene(tmp_path, PATH + ", goal = [1, 1, 1] }")
    with pytest.raises(SpecError) as caught:
        load_and_validate(spec)
    assert_located(caught.value, spec, line_of(text, "goal"), "panels[0].layers[0]", "give [x, y]")


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (', head_label = "{name} {value}"', "head_label writes {value}: bind `head_value`"),
        (', head_value = "g.ploss"', "head_value is written by head_label"),
        (', head_label = "{loss}"', "{loss} is not one of {name}, {value}, {step}"),
        (', goal_label = "there"', "goal_label labels the goal: set `goal` too"),
    ],
)
def test_head_label_and_goal_mistakes_are_located(tmp_path: Path, keys: str, message: str) -> None:
    spec, text = write_scene(tmp_path, PATH + keys + " }")
    with pytest.raises(SpecError) as caught:
        load_and_validate(spec)
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{spec}:{line_of(text, 'g.px')}: panels[0].layers[0]")


def test_heads_are_drawn_above_every_line_of_the_panel(tmp_path: Path) -> None:
    graph, _ = compiled(
        tmp_path,
        PATH + " }",
        '{ kind = "path", x = "g.px", y = "g.py", zorder = 2.5 }',
        '{ kind = "line", x = "g.px", y = "g.ploss" }',
    )
    first, second, _ = (node.painter for node in graph.layers)
    heads = first.heads + second.heads
    assert len(heads) == 6
    marks = set(heads)
    lines = [a for a in graph.panels[0].ax.get_children() if isinstance(a, Line2D | Collection) and a not in marks]
    assert len(lines) == 7  # three and three paths, one line
    top = max(line.get_zorder() for line in lines)
    assert top == 2.5
    assert all(head.get_zorder() > top for head in heads)
    # heads keep the layers' order among themselves
    assert max(h.get_zorder() for h in first.heads) < min(h.get_zorder() for h in second.heads)


def nested_scene(tmp_path: Path, nested: bool) -> ArtistGraph:
    """Three paths along y = 0 from x = 0, moving 0.1, 1 and 0.5 a step: the second goes furthest, the first least."""
    Trace(steps=STEPS, static={}, stepped={"x": np.outer(STEPS, [0.1, 1.0, 0.5]), "y": np.zeros((5, 3))}).save(
        tmp_path / "n.npz"
    )
    text = scene_text(f'{{ kind = "path", x = "g.x", y = "g.y", linewidth = 2.0, nested = {str(nested).lower()} }}')
    spec = write_spec(tmp_path, text.replace('"g.npz"', '"n.npz"'))
    prepared = prepare(spec, cache=False)
    with scene_style(prepared.scene):
        return build(prepared)


def test_nested_paths_draw_the_furthest_travelled_first_and_widest(tmp_path: Path) -> None:
    graph = nested_scene(tmp_path, nested=True)
    path = graph.layers[0].painter
    ax_lines = graph.panels[0].ax.get_lines()
    # drawing order: longest (column 1, length 4) first, then column 2 (2), then column 0 (0.4), on top
    assert [ax_lines.index(path.lines[i]) for i in (1, 2, 0)] == sorted(ax_lines.index(line) for line in path.lines)
    assert [path.lines[i].get_linewidth() for i in (1, 2, 0)] == pytest.approx([3.5, 2.75, 2.0])
    head_sizes = [path.heads[i].get_markersize() for i in (1, 2, 0)]
    # heads grow by 1.6 points of radius per path drawn above them: distinct rings where they coincide
    assert [size - head_sizes[2] for size in head_sizes] == pytest.approx([6.4, 3.2, 0.0])
    # the narrowest head is lifted highest, so the heads of paths ending on one point show as rings
    assert path.heads[1].get_zorder() < path.heads[2].get_zorder() < path.heads[0].get_zorder()


def test_without_nesting_paths_are_drawn_in_column_order_at_one_width(tmp_path: Path) -> None:
    graph = nested_scene(tmp_path, nested=False)
    path = graph.layers[0].painter
    ax_lines = graph.panels[0].ax.get_lines()
    assert [ax_lines.index(line) for line in path.lines] == sorted(ax_lines.index(line) for line in path.lines)
    assert [line.get_linewidth() for line in path.lines] == [2.0, 2.0, 2.0]
    assert len({head.get_markersize() for head in path.heads}) == 1


# --- head labels ---------------------------------------------------------------------------------------------------

LABELLED = PATH + ', head_label = "{name} {value}", head_value = "g.ploss" }'


def drawn(graph: ArtistGraph, frame: Any) -> Any:
    graph.show(frame)
    graph.figure.canvas.draw()
    return graph.figure.canvas.get_renderer()


def test_head_labels_name_each_path_and_its_value_beside_its_head(tmp_path: Path) -> None:
    graph, prepared = compiled(tmp_path, LABELLED)
    path = graph.layers[0].painter
    renderer = drawn(graph, prepared.frames[2])
    texts = path.head_labels.texts
    assert [t.get_text() for t in texts] == ["alpha 1.235e-05", "beta 2.469e-05", "gamma 3.704e-05"]
    ax = graph.panels[0].ax
    for i, text in enumerate(texts):
        box = text.get_window_extent(renderer)
        line = ax.transData.transform(np.column_stack([PX[:3, i], PY[:3, i]]))
        head = line[-1]
        assert not any(box.contains(*point) for point in line)  # not on its own line
        assert np.hypot(*(box.corners() - head).T).min() < 20  # but beside its head (pixels, at 50 dpi)
        assert box.x0 > head[0]  # ahead of a path moving right


def test_head_labels_of_coinciding_heads_are_stacked_apart(tmp_path: Path) -> None:
    graph, prepared = compiled(tmp_path, LABELLED)
    path = graph.layers[0].painter
    renderer = drawn(graph, prepared.frames[0])
    alpha, beta, gamma = (t.get_window_extent(renderer) for t in path.head_labels.texts)
    assert not alpha.overlaps(beta)  # the heads are 0.02 apart in y: a pixel or less
    assert alpha.y1 < beta.y0  # beta's head is the higher one
    assert not gamma.overlaps(alpha) and not gamma.overlaps(beta)
    assert gamma.y0 > alpha.y1  # far away, where its own head is
    # the boxes drawn behind the labels stand apart too, not only their texts (a box pads its text by 0.15 em)
    alpha_box, beta_box = (t.get_bbox_patch().get_window_extent(renderer) for t in path.head_labels.texts[:2])
    assert alpha_box.y1 < beta_box.y0


def test_repel_stacks_overlapping_boxes_and_leaves_others() -> None:
    same = Bbox.from_extents(0, 0, 10, 4)
    far = Bbox.from_extents(50, 0, 60, 4)
    shifts = repel([same, same, far], [2.0, 2.0, 2.0], gap=1.0)
    assert shifts == [2.5, -2.5, 0.0]  # 5 apart (height 4 + gap 1), centred where they were
    below = Bbox.from_extents(2, -10, 12, -6)  # under `same`, sideways over it, already more than the gap apart
    assert repel([same, below], [2.0, 5.0], gap=1.0) == [0.0, 0.0]  # left where they are, whichever head is higher


def test_frames_with_marks_and_labels_equal_a_plain_redraw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec, _ = write_scene(
        tmp_path, LABELLED[:-2] + ", start = true, goal = [4, 1] }", '{ kind = "counter", value = "g.loss" }'
    )
    engine = assert_engine_equals_plain_redraw(prepare(spec, cache=False), monkeypatch)
    assert engine.blits


def test_a_counter_of_a_source_that_ended_early_names_the_step_its_value_was_recorded_at(tmp_path: Path) -> None:
    """The frames run over g's steps 0..4; h recorded only steps 0 and 2 (an optimizer that ran fewer steps):
    from step 2 on, its counter holds h's last value and names step 2, while `{step}` goes on."""
    write_trace(tmp_path / "g.npz")
    Trace(steps=np.array([0, 2]), stepped={"loss": np.array([9.0, 4.0])}).save(tmp_path / "h.npz")
    text = scene_text('{ kind = "counter", value = "h.loss", format = "{step}: step {value_step}: f = {value}" }')
    text = text.replace("[frames]", '[sources.h]\nkind = "trace"\npath = "h.npz"\n\n[frames]')
    prepared = prepare(write_spec(tmp_path, text), cache=False)
    with scene_style(prepared.scene):
        graph = build(prepared)
        counter = graph.layers[0].painter
        shown = []
        for frame in prepared.frames:
            graph.show(frame)
            shown.append(counter.text.get_text())
    assert shown == ["0: step 0: f = 9", "1: step 0: f = 9", "2: step 2: f = 4", "3: step 2: f = 4", "4: step 2: f = 4"]


def test_a_step_counter_names_the_frames_step_as_its_value_step(tmp_path: Path) -> None:
    graph, prepared = compiled(tmp_path, '{ kind = "counter", format = "{value} {value_step}" }')
    counter = graph.layers[0].painter
    graph.show(prepared.frames[3])
    assert counter.text.get_text() == "3 3"


def test_label_sides_turn_away_from_ahead_left_before_right() -> None:
    assert sides((1, 0)) == [(1, 0), (1, 1), (1, -1), (0, 1), (0, -1), (-1, 1), (-1, -1), (-1, 0)]
    assert sides((0, -1))[:3] == [(0, -1), (1, -1), (-1, -1)]
    assert sorted(sides((-1, 1))) == sorted(COMPASS)


def test_a_disc_reaching_into_a_box_counts_its_depth_squared() -> None:
    box = Bbox.from_extents(0, 0, 10, 4)
    assert disc_overlap(box, np.array([13.0, 2.0]), 5.0) == pytest.approx(4.0)  # 3 px from the side: 2 px deep
    assert disc_overlap(box, np.array([16.0, 2.0]), 5.0) == 0.0
    assert disc_overlap(box, np.array([5.0, 2.0]), 5.0) == pytest.approx(25.0)  # inside: its whole radius
    assert disc_overlap(box, np.array([13.0, 8.0]), 5.0) == 0.0  # 5 px from the corner: touching only


def test_points_along_a_path_are_taken_every_few_pixels_near_its_head() -> None:
    path = np.array([[0.0, 0.0], [30.0, 0.0], [30.0, 300.0], [30.0, 600.0]])  # its head far from the first leg
    near_start = along(path, np.array([0.0, 0.0]), 10.0)
    assert near_start[:, 1].max() <= 300.0  # the leg from (30, 300) to the head comes nowhere near
    assert np.allclose(near_start[:10, 0], np.arange(10) * 3.0)  # every 3 pixels along the first leg
    assert not any(np.array_equal(point, path[-1]) for point in along(path, path[-1], 1000.0))  # head left out


def write_two_paths(tmp_path: Path, px: np.ndarray, py: np.ndarray) -> Path:
    Trace(
        steps=np.arange(len(px)),
        static={"names": np.array(["first", "second"])},
        stepped={"px": px, "py": py},
    ).save(tmp_path / "g.npz")
    text = scene_text(PATH + ', head_label = "{name}" }', dpi=100)
    limits = "legend = false\nxlim = [0, 10]\nylim = [-5, 5]"
    return write_spec(tmp_path, text.replace('legend = "center right"', limits))


def test_a_label_keeps_off_another_paths_head_on_its_way(tmp_path: Path) -> None:
    """The first path runs right to (4, 0), where its label would go ahead of it; the second ends at (4.6, 0.05),
    right there: the first label takes another side, and neither covers a head."""
    px = np.column_stack([np.linspace(0, 4, 5), np.linspace(8, 4.6, 5)])
    py = np.column_stack([np.zeros(5), np.linspace(4, 0.05, 5)])
    prepared = prepare(write_two_paths(tmp_path, px, py), cache=False)
    with scene_style(prepared.scene):
        graph = build(prepared)
        path = graph.layers[0].painter
        renderer = drawn(graph, prepared.frames[-1])
        ax = graph.panels[0].ax
        heads = ax.transData.transform([[4.0, 0.0], [4.6, 0.05]])
        radius = [head.get_markersize() / 2 * renderer.points_to_pixels(1.0) for head in path.heads]
        first, second = (text.get_window_extent(renderer) for text in path.head_labels.texts)
    for box in (first, second):
        for centre, r in zip(heads, radius, strict=True):
            assert disc_overlap(box, centre, r) == 0.0  # no label over any head
    assert not first.overlaps(second)
    assert first.x1 <= heads[1][0] + 40  # still beside its own head, not pushed far away
    assert np.hypot(*(first.corners() - heads[0]).T).min() < 25


def test_a_label_stands_clear_of_its_heads_rings(tmp_path: Path) -> None:
    """Two paths ending on one point: the heads ring each other (nested), and each label keeps off the outer ring."""
    px = np.column_stack([np.linspace(0, 4, 5), np.linspace(0, 4, 5)])
    py = np.column_stack([np.linspace(2, 0, 5), np.linspace(-2, 0, 5)])
    prepared = prepare(write_two_paths(tmp_path, px, py), cache=False)
    with scene_style(prepared.scene):
        graph = build(prepared)
        path = graph.layers[0].painter
        renderer = drawn(graph, prepared.frames[-1])
        centre = graph.panels[0].ax.transData.transform([[4.0, 0.0]])[0]
        outer = max(head.get_markersize() for head in path.heads) / 2 * renderer.points_to_pixels(1.0)
        boxes = [text.get_window_extent(renderer) for text in path.head_labels.texts]
    assert outer > OFFSET_POINTS * renderer.points_to_pixels(1.0) * 0.5  # rings wide enough to matter
    for box in boxes:
        assert disc_overlap(box, centre, outer) == 0.0
    assert not boxes[0].overlaps(boxes[1])
