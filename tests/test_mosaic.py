"""Panels placed by a mosaic (`scene.layout`): article 002's big main panel with two small ones beside it."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import line_of, spec_variant, write_spec
from mpl_toolkits.mplot3d import Axes3D

from scenespec.cli import main
from scenespec.compile import ArtistGraph
from scenespec.pipeline import build, prepare, scene_style

MOSAIC = """\
[scene]
title = "Watching a learner learn"
size = [8.0, 4.8]
dpi = 50
layout = [
  "main a",
  "main b",
]
width_ratios = [2, 1]

[sources.fit]
kind = "trainer"
model = "linear"
data = { kind = "line", slope = 1.0, intercept = -2.0, noise = 1.0, n = 30, x = [0, 10], seed = 0 }
optimizer = { name = "sgd", lr = 1e-4 }
batch_size = 1
loss = "sse"
epochs = 12

[[panels]]
name = "main"
title = "Model"
xlabel = "x main"
ylabel = "y main"
layers = [
  { kind = "scatter", x = "fit.x", y = "fit.y", color = "red", label = "data" },
  { kind = "line", x = "fit.x", y = "fit.pred", style = "g--", label = "fit" },
]

[[panels]]
name = "a"
title = "Loss"
xlabel = "step a"
ylabel = "loss a"
layers = [
  { kind = "spline", y = "fit.loss", color = "b", label = "loss" },
]

[[panels]]
name = "b"
title = "Log loss"
xlabel = "step b"
ylabel = "loss b"
yscale = "log"
legend = "upper right"
layers = [
  { kind = "spline", y = "fit.loss", color = "k", label = "log loss" },
]
"""

SURFACE_PANEL = """
[sources.bowl]
kind = "optimizer"
objective = "elliptic"
x = [-10, 10]
y = [-10, 10]
steps = 0

[[panels]]
name = "c"
zlabel = "f(x, y)"
layers = [
  { kind = "surface", x = "bowl.X", y = "bowl.Y", z = "bowl.Z", cmap = "bwr" },
]
"""


def graph_of(path: Path) -> ArtistGraph:
    prepared = prepare(path)
    with scene_style(prepared.scene):
        return build(prepared)


def panel_axes(graph: ArtistGraph) -> dict[str, object]:
    return {panel.spec.name: panel.ax for panel in graph.panels}


def twins(graph: ArtistGraph) -> list[object]:
    return [panel.twin_ax for panel in graph.panels if panel.twin_ax is not None]


def test_main_panel_spans_both_rows_left_of_the_small_ones_and_twice_as_wide(tmp_path: Path) -> None:
    graph = graph_of(write_spec(tmp_path, MOSAIC))
    axes = panel_axes(graph)
    main_box, a_box, b_box = (axes[name].get_position() for name in ("main", "a", "b"))
    assert a_box.y0 > b_box.y1, "a is above b"
    gap = a_box.y0 - b_box.y1
    assert main_box.height == pytest.approx(a_box.height + b_box.height + gap, rel=0.05)
    assert main_box.y1 == pytest.approx(a_box.y1, abs=0.02)
    assert main_box.y0 == pytest.approx(b_box.y0, abs=0.02)
    assert main_box.x1 < min(a_box.x0, b_box.x0), "main is left of a and b"
    assert main_box.width / a_box.width == pytest.approx(2.0, rel=0.1)
    assert main_box.width / b_box.width == pytest.approx(2.0, rel=0.1)


def test_each_panel_keeps_its_own_labels_scales_and_legend(tmp_path: Path) -> None:
    prepared = prepare(write_spec(tmp_path, MOSAIC))
    with scene_style(prepared.scene):
        graph = build(prepared)
        # a legend lists a layer from the frame it draws something: the loss curves have one point at frame 0
        graph.show(prepared.frames[-1])
    axes = panel_axes(graph)
    expected = {
        "main": ("Model", "x main", "y main", "linear", ["data", "fit"]),
        "a": ("Loss", "step a", "loss a", "linear", ["loss"]),
        "b": ("Log loss", "step b", "loss b", "log", ["log loss"]),
    }
    for name, (title, xlabel, ylabel, yscale, labels) in expected.items():
        ax = axes[name]
        assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel(), ax.get_yscale()) == (title, xlabel, ylabel, yscale)
        legend = ax.get_legend()
        assert legend is not None
        assert [text.get_text() for text in legend.get_texts()] == labels
    assert axes["b"].get_legend()._loc == 1  # upper right
    assert graph.figure.get_suptitle() == "Watching a learner learn"


def test_a_dot_leaves_an_empty_cell(tmp_path: Path) -> None:
    text = spec_variant(('  "main b",\n', '  "main .",\n  "main b",\n'), base=MOSAIC)
    graph = graph_of(write_spec(tmp_path, text))
    assert len(graph.figure.axes) - len(twins(graph)) == len(graph.panels) == 3
    axes = panel_axes(graph)
    assert axes["a"].get_position().y0 > axes["b"].get_position().y1


def test_a_twin_axis_in_a_mosaic_stays_with_its_panel(tmp_path: Path) -> None:
    text = spec_variant(
        ('{ kind = "spline", y = "fit.loss", color = "b", label = "loss" }', '{ kind = "line", x = "fit.x", '
         'y = "fit.pred", label = "pred" },\n  { kind = "spline", y = "fit.loss", twin = true, label = "loss" }'),
        base=MOSAIC,
    )  # fmt: skip
    graph = graph_of(write_spec(tmp_path, text))
    a = next(panel for panel in graph.panels if panel.spec.name == "a")
    assert a.twin_ax is not None
    assert a.twin_ax.get_position().bounds == pytest.approx(a.ax.get_position().bounds)
    assert len(graph.figure.axes) == 4


def test_a_3d_panel_in_a_mosaic(tmp_path: Path) -> None:
    text = spec_variant(('  "main b",\n', '  "main b",\n  "c c",\n'), base=MOSAIC) + SURFACE_PANEL
    graph = graph_of(write_spec(tmp_path, text))
    axes = panel_axes(graph)
    assert isinstance(axes["c"], Axes3D)
    assert axes["c"].computed_zorder is False
    assert (axes["c"].elev, axes["c"].azim) == (30.0, -60.0)
    assert not any(isinstance(axes[name], Axes3D) for name in ("main", "a", "b"))
    assert axes["c"].get_position().y1 < axes["b"].get_position().y0  # the bottom row, spanning both columns


def test_the_stacked_default_needs_no_names(tmp_path: Path) -> None:
    text = MOSAIC.replace('layout = [\n  "main a",\n  "main b",\n]\nwidth_ratios = [2, 1]\n', "")
    for name in ("main", "a", "b"):
        text = text.replace(f'name = "{name}"\n', "")
    graph = graph_of(write_spec(tmp_path, text))
    boxes = [panel.ax.get_position() for panel in graph.panels]
    assert all(panel.spec.name is None for panel in graph.panels)
    assert boxes[0].y0 > boxes[1].y1 and boxes[1].y0 > boxes[2].y1
    assert [box.x0 for box in boxes] == pytest.approx([boxes[0].x0] * 3, abs=0.05)


ERRORS = [
    pytest.param(
        [('  "main b",\n', '  "main b b",\n')], '"main b b"', "scene.layout[1]", ["3 cells", "first row has 2"],
        id="rows-of-unequal-length",
    ),
    pytest.param(
        [('  "main b",\n', '  "main bb",\n')], '"main bb"', "scene.layout[1]",
        ["no panel named 'bb'", "did you mean 'b'"],
        id="unknown-name",
    ),
    pytest.param(
        [('name = "b"\n', "")], ('title = "Log loss"', -1), "panels[2].name", ["every panel needs a name"],
        id="panel-without-name",
    ),
    pytest.param(
        [('name = "b"\n', 'name = "c"\n'), ('  "main b",\n', '  "main a",\n')], 'name = "c"', "panels[2].name",
        ["panel 'c' is not in `scene.layout`"],
        id="name-missing-from-layout",
    ),
    pytest.param(
        [('  "main a",\n  "main b",\n', '  "main a",\n  "b main",\n')], "layout = [", "scene.layout",
        ["'main'", "rectangle"],
        id="not-a-rectangle",
    ),
    pytest.param(
        [("width_ratios = [2, 1]", "width_ratios = [2, 1, 1]")], "width_ratios", "scene.width_ratios",
        ["3 values", "2 columns"],
        id="width-ratios-length",
    ),
    pytest.param(
        [("width_ratios = [2, 1]", "height_ratios = [1]")], "height_ratios", "scene.height_ratios",
        ["1 value for", "2 rows"],
        id="height-ratios-length",
    ),
    pytest.param(
        [('name = "b"\n', 'name = "a"\n')], ('title = "Log loss"', -1), "panels[2].name",
        ["'a' is already used by panels[1]", "unique"],
        id="duplicate-name",
    ),
    pytest.param(
        [('name = "b"\n', 'name = "b b"\n')], 'name = "b b"', "panels[2].name", ["letters, digits"],
        id="bad-name",
    ),
    pytest.param(
        [('  "main b",\n', '  "main,b",\n')], '"main,b"', "scene.layout[1]", ["'main,b'", "spaces"],
        id="bad-cell",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("replacements", "needle", "key", "fragments"), ERRORS)
def test_layout_errors_are_located(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    replacements: list[tuple[str, str]],
    needle: str | tuple[str, int],
    key: str,
    fragments: list[str],
) -> None:
    text = spec_variant(*replacements, base=MOSAIC)
    spec = write_spec(tmp_path, text)
    assert main(["validate", str(spec)]) == 2
    err = capsys.readouterr().err
    needle, offset = needle if isinstance(needle, tuple) else (needle, 0)
    line = line_of(text, needle) + offset  # `[[panels]]` or `name = …` just above a panel's unique title
    located = [row for row in err.splitlines() if f"{spec}:{line}: {key}: " in row]
    assert located, err
    for fragment in fragments:
        assert fragment in located[0], err


def test_ratios_need_a_layout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = MOSAIC.replace('layout = [\n  "main a",\n  "main b",\n]\n', "")
    spec = write_spec(tmp_path, text)
    assert main(["validate", str(spec)]) == 2
    err = capsys.readouterr().err
    assert f"{spec}:{line_of(text, 'width_ratios')}: scene.width_ratios: " in err
    assert "no layout" in err


def test_a_valid_mosaic_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path, MOSAIC)
    assert main(["validate", str(spec)]) == 0, capsys.readouterr().err
