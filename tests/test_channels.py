"""Channel tables: every layer kind declares what it draws from; bindings, shapes and style defaults follow them.

Scenes read a small trace written to tmp_path with `Trace.save`, so any field can have any shape; errors are
checked for their file, line, key path and message, styles on the matplotlib artists that were built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

import matplotlib
import matplotlib.style
import numpy as np
import pytest
from helpers import line_of, run_cli, write_spec
from pydantic import Field

from scenespec.compile import ArtistGraph
from scenespec.errors import SpecError, format_path
from scenespec.layers.base import LAYERS, LayerSpec
from scenespec.layers.channels import Channel, check_table, constant
from scenespec.pipeline import build, load_and_validate, prepare, render, scene_style
from scenespec.reference import generate
from scenespec.resolve.trace import Trace
from scenespec.validate.base import BINDING_PATTERN, Binding

STEPS = np.array([0, 1, 2, 3])
GRID = (5, 4)


def write_trace(path: Path) -> Trace:
    """Fields of every shape the tests bind: grids, vectors, per-step scalars, rows and columns."""
    rng = np.random.default_rng(3)
    gx, gy = np.meshgrid(np.linspace(-2, 2, GRID[1]), np.linspace(-1, 1, GRID[0]))
    k = len(STEPS)
    trace = Trace(
        steps=STEPS,
        static={
            "X": gx,
            "Y": gy,
            "Z": gx**2 + 2 * gy**2,
            "U": 2 * gx,
            "V": 4 * gy,
            "Zflat": (gx**2 + 2 * gy**2).ravel(),  # the grid's 20 values, 1-D
            "Zt": (gx**2 + 2 * gy**2).T,  # (4, 5): the grid transposed
            "x": np.linspace(0, 1, 10),
            "y": np.linspace(1, 2, 10),
            "y8": np.linspace(1, 2, 8),
            "names": np.array(["sgd", "adam", "momentum"]),
            "cls": np.arange(10) % 3,
            "imgs": np.linspace(0, 1, 90).reshape(10, 3, 3),
        },
        stepped={
            "pred": rng.normal(size=(k, 10)),
            "spread": rng.uniform(0.1, 0.5, (k, 10)),
            "spread9": rng.uniform(0.1, 0.5, (k, 9)),
            "loss": np.array([4.0, 2.0, 1.0, 0.5]),
            "losses": rng.uniform(1, 2, (k, 3)),
            "px": rng.normal(size=(k, 3)),
            "py": rng.normal(size=(k, 3)),
            "py2": rng.normal(size=(k, 2)),
            "pz": rng.uniform(0, 1, (k, 3)),
            "emb": rng.normal(size=(k, 10, 2)),
        },
    )
    trace.save(path)
    return trace


def scene_text(*layers: str, style: str | None = None) -> str:
    text = "[scene]\nsize = [3.0, 2.0]\ndpi = 40\n"
    if style is not None:
        text += f'style = "{style}"\n'
    text += '\n[sources.g]\nkind = "trace"\npath = "g.npz"\n\n[frames]\nsource = "g"\nsteps = "all"\n'
    text += "\n[[panels]]\nlegend = true\nlayers = [\n" + "".join(f"  {layer},\n" for layer in layers) + "]\n"
    return text


def write_scene(tmp_path: Path, *layers: str, style: str | None = None) -> tuple[Path, str]:
    write_trace(tmp_path / "g.npz")
    text = scene_text(*layers, style=style)
    return write_spec(tmp_path, text), text


def compiled(tmp_path: Path, *layers: str, style: str | None = None) -> ArtistGraph:
    spec, _ = write_scene(tmp_path, *layers, style=style)
    prepared = prepare(spec, cache=False)
    with scene_style(prepared.scene):
        return build(prepared)


def first_painter(graph: ArtistGraph) -> Any:
    return graph.layers[0].painter


# --- the tables ---------------------------------------------------------------------------------------------------


def binding_properties(model: type[LayerSpec]) -> tuple[set[str], set[str]]:
    """(fields, required fields) that the model's JSON Schema accepts only as `source.field` bindings."""
    schema = model.model_json_schema()

    def is_binding(prop: dict[str, Any]) -> bool:
        options = [o for o in prop.get("anyOf", [prop]) if o.get("type") != "null"]
        return bool(options) and all(o.get("pattern") == BINDING_PATTERN for o in options)

    names = {name for name, prop in schema["properties"].items() if is_binding(prop)}
    return names, names & set(schema.get("required", []))


KINDS = sorted(LAYERS.load())


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_declares_a_table_its_bindings_come_from(kind: str) -> None:
    model = LAYERS.load()[kind].model
    assert model.channels, f"layer {kind!r} declares no channels"
    accepted, required = binding_properties(model)
    assert set(model.binding_fields) == accepted
    assert {c.name for c in model.channels if c.bindable and c.required} == required
    assert model.binding_fields == tuple(c.name for c in model.channels if c.bindable)
    assert model.stepped_bindings == tuple(c.name for c in model.channels if c.bindable and c.timing == "stepped")
    for channel in model.channels:
        assert channel.name in model.model_fields
        if not channel.bindable:  # a style setting: unset in the spec means the channel's default
            assert model.model_fields[channel.name].default is None
    for name in model.binding_fields:  # the model takes a binding there, and nothing else
        data = {"kind": kind, **{key: "g.a" for key in required}, name: "g.a"}
        if kind == "text":
            data |= {"text": "", "at": [0, 0]}
        if name == "head_value":  # what head_label writes: refused without it
            data |= {"head_label": "{value}"}
        assert model.model_validate(data).bindings()[name] == "g.a"


def test_the_tables_hold_what_the_kinds_draw_from() -> None:
    models = {kind: entry.model for kind, entry in LAYERS.load().items()}
    assert models["metric"].stepped_bindings == ("y", "x")
    assert models["path"].stepped_bindings == ("x", "y", "z", "head_value")
    assert models["counter"].stepped_bindings == ("value",)
    assert models["path"].channel("names").timing == "static"
    assert models["contour"].channel("z").shape == "matched:x"
    assert models["contour"].channel("x").shape == "grid"
    assert models["line"].channel("linewidth").default == 2.0
    assert models["text"].binding_fields == ()  # its bindings are in the template
    assert models["text"].model_validate({"kind": "text", "text": "{g.loss} {step}", "at": [0, 0]}).bindings() == {
        "g.loss": "g.loss"
    }


class _Mismatched(LayerSpec):
    kind: Literal["mismatched"]
    x: Binding = Field(description="x")
    y: Binding | None = Field(None, description="y")
    width: float = Field(2.0, description="w")

    channels: ClassVar = (Channel("x", "vector"), constant("width", 3.0), Channel("w", "matched:q"))


def test_a_table_that_disagrees_with_its_model_is_refused() -> None:
    with pytest.raises(TypeError) as info:
        check_table(_Mismatched)
    message = str(info.value)
    for fragment in (
        "channel 'x' says required=False, and its field does not",
        "style channel 'width': its field must default to None, not 2.0",
        "channel 'w' is not a field of the model",
        "field 'y' holds a binding and has no channel",
    ):
        assert fragment in message, message
    with pytest.raises(ValueError, match="unknown shape 'matrix'"):
        Channel("z", "matrix")
    with pytest.raises(ValueError, match="a style channel has a default"):
        Channel("color", "vector", bindable=False)


def test_the_reference_shows_contracts_and_effective_defaults() -> None:
    text = generate()
    line = text[text.index("### Layer `line`") : text.index("### Layer `metric`")]
    metric = text[text.index("### Layer `metric`") : text.index("### Layer `path`")]
    assert "| `linewidth` | number (> 0) | `2.0` | Line width in points. |" in line
    assert "| `x` | binding `source.field`: a 1-D array | **required** |" in line
    assert "| `y` | binding `source.field`: the shape of `x` | **required** |" in line
    assert "| `linewidth` | number (> 0) | theme `lines.linewidth`: `1.5` |" in metric
    assert "| `y` | binding `source.field`: recorded per step, one number | **required** |" in metric


# --- shapes, checked when the painter is made -----------------------------------------------------------------------

SHAPE_ERRORS = [
    pytest.param(
        '{ kind = "contour", x = "g.X", y = "g.Y", z = "g.Zflat" }',
        "z",
        "contour layer: z = 'g.Zflat' has shape (20,); expected the shape of x = 'g.X': (5, 4)",
        id="contour-z-1d",
    ),
    pytest.param(
        '{ kind = "contour", x = "g.x", y = "g.y", z = "g.Zflat" }',
        "x",
        "contour layer: x = 'g.x' has shape (10,); expected a 2-D grid",
        id="contour-x-not-a-grid",
    ),
    pytest.param(
        '{ kind = "surface", x = "g.X", y = "g.Y", z = "g.Zt" }',
        "z",
        "surface layer: z = 'g.Zt' has shape (4, 5); expected the shape of x = 'g.X': (5, 4)",
        id="surface-z-not-on-the-grid",
    ),
    pytest.param(
        '{ kind = "surface", x = "g.X", y = "g.Zt", z = "g.Z" }',
        "y",
        "surface layer: y = 'g.Zt' has shape (4, 5); expected the shape of x = 'g.X': (5, 4)",
        id="surface-y-not-on-the-grid",
    ),
    pytest.param(
        '{ kind = "line", x = "g.x", y = "g.y8" }',
        "y",
        "line layer: y = 'g.y8' has shape (8,); expected the shape of x = 'g.x': (10,)",
        id="line-lengths-differ",
    ),
    pytest.param(
        '{ kind = "line", x = "g.X", y = "g.Y" }',
        "x",
        "line layer: x = 'g.X' has shape (5, 4); expected a 1-D array",
        id="line-x-2d",
    ),
    pytest.param(
        '{ kind = "metric", y = "g.losses" }',
        "y",
        "metric layer: y = 'g.losses' has shape (3,) per step; expected one number",
        id="metric-y-not-scalar",
    ),
    pytest.param(
        '{ kind = "metric", y = "g.loss", x = "g.pred" }',
        "x",
        "metric layer: x = 'g.pred' has shape (10,) per step; expected one number",
        id="metric-x-not-scalar",
    ),
    pytest.param(
        '{ kind = "spline", y = "g.losses" }',
        "y",
        "spline layer: y = 'g.losses' has shape (3,) per step; expected one number",
        id="spline-y-not-scalar",
    ),
    pytest.param(
        '{ kind = "band", x = "g.x", y = "g.pred", spread = "g.spread9" }',
        "spread",
        "band layer: spread = 'g.spread9' has shape (9,) per step; expected the shape of x = 'g.x': (10,)",
        id="band-spread-not-matching-x",
    ),
    pytest.param(
        '{ kind = "path", x = "g.px", y = "g.py2" }',
        "y",
        "path layer: y = 'g.py2' has shape (2,) per step; expected the shape of x = 'g.px': (3,)",
        id="path-x-y-differ",
    ),
    pytest.param(
        '{ kind = "path", x = "g.px", y = "g.py", z = "g.pred" }',
        "z",
        "path layer: z = 'g.pred' has shape (10,) per step; expected the shape of x = 'g.px': (3,)",
        id="path-z-differs",
    ),
    pytest.param(
        '{ kind = "scatter", x = "g.x", y = "g.y8" }',
        "y",
        "scatter layer: y = 'g.y8' has shape (8,); expected the shape of x = 'g.x': (10,)",
        id="scatter-lengths-differ",
    ),
    pytest.param(
        '{ kind = "quiver", x = "g.X", y = "g.Y", u = "g.Zt", v = "g.V" }',
        "u",
        "quiver layer: u = 'g.Zt' has shape (4, 5); expected the shape of x = 'g.X': (5, 4)",
        id="quiver-u-not-on-the-grid",
    ),
]


@pytest.mark.parametrize(("layer", "key", "message"), SHAPE_ERRORS)
def test_a_field_of_the_wrong_shape_is_a_located_error(tmp_path: Path, layer: str, key: str, message: str) -> None:
    spec, text = write_scene(tmp_path, layer)
    prepared = prepare(spec, cache=False)  # bindings name existing fields: only their shapes are wrong
    with pytest.raises(SpecError) as info, scene_style(prepared.scene):
        build(prepared)
    (problem,) = info.value.problems
    needle = next(part.strip() for part in layer.strip("{} ").split(",") if part.strip().startswith(f"{key} ="))
    line = line_of(text, needle)
    assert (problem.file, problem.line, format_path(problem.path)) == (str(spec), line, f"panels[0].layers[0].{key}")
    assert problem.message == message
    assert str(info.value) == f"{spec}:{line}: panels[0].layers[0].{key}: {message}"


def test_render_reports_shape_errors_before_any_worker_starts(tmp_path: Path) -> None:
    layers = (
        '{ kind = "scatter", x = "g.x", y = "g.y" }',
        '{ kind = "line", x = "g.x", y = "g.y8" }',
        '{ kind = "contour", x = "g.X", y = "g.Y", z = "g.Zflat" }',
    )
    spec, text = write_scene(tmp_path, *layers)
    out = tmp_path / "out.gif"
    with pytest.raises(SpecError) as info:
        render(spec, str(out), workers=2, progress=False, cache=False)
    assert [(p.line, format_path(p.path)) for p in info.value.problems] == [
        (line_of(text, "g.y8"), "panels[0].layers[1].y"),
        (line_of(text, "g.Zflat"), "panels[0].layers[2].z"),
    ]
    assert not out.exists()


def test_the_command_line_prints_a_shape_error_and_exits_2(tmp_path: Path) -> None:
    spec, text = write_scene(tmp_path, '{ kind = "metric", y = "g.losses" }')
    result = run_cli(["render", str(spec), "-o", str(tmp_path / "out.gif"), "--no-cache"], tmp_path)
    assert result.returncode == 2, result.stderr
    line = line_of(text, "g.losses")
    expected = f"{spec}:{line}: panels[0].layers[0].y: metric layer: y = 'g.losses' has shape (3,) per step"
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_timing_is_checked_from_the_table_before_anything_runs(tmp_path: Path) -> None:
    spec, text = write_scene(tmp_path, '{ kind = "path", x = "g.px", y = "g.py", names = "g.losses" }')
    with pytest.raises(SpecError) as info:
        load_and_validate(spec)
    (problem,) = info.value.problems
    assert (problem.line, format_path(problem.path)) == (line_of(text, "g.losses"), "panels[0].layers[0].names")
    assert problem.message == "'g.losses': this layer needs a static field, and 'losses' is recorded per step"


@pytest.mark.parametrize(
    ("layer", "key"),
    [
        ('{ kind = "line", x = 3, y = "g.y" }', "x"),
        ('{ kind = "contour", x = "g.X", y = "g.Y", z = 1.5 }', "z"),
        ('{ kind = "path", x = "g.px", y = "g.py", names = true }', "names"),
    ],
)
def test_a_number_where_a_binding_belongs_is_a_located_validation_error(tmp_path: Path, layer: str, key: str) -> None:
    spec, text = write_scene(tmp_path, layer)
    with pytest.raises(SpecError) as info:
        load_and_validate(spec)
    (problem,) = info.value.problems
    assert (problem.file, problem.line) == (str(spec), line_of(text, layer))
    assert format_path(problem.path) == f"panels[0].layers[0].{key}"
    assert "string" in problem.message


def test_the_shipped_shapes_pass(tmp_path: Path) -> None:
    """Grids, scattered quiver points, a single path as a 1-D field and static x with stepped y all fit."""
    graph = compiled(
        tmp_path,
        '{ kind = "contour", x = "g.X", y = "g.Y", z = "g.Z" }',
        '{ kind = "quiver", x = "g.x", y = "g.y", u = "g.y", v = "g.x" }',
        '{ kind = "path", x = "g.loss", y = "g.loss" }',
        '{ kind = "band", x = "g.x", y = "g.pred", spread = "g.spread" }',
    )
    assert [node.painter.spec.kind for node in graph.layers] == ["contour", "quiver", "path", "band"]


# --- style defaults from the kind and the theme ----------------------------------------------------------------------


def test_a_line_without_linewidth_has_its_kinds_default(tmp_path: Path) -> None:
    graph = compiled(tmp_path, '{ kind = "line", x = "g.x", y = "g.y" }', style="default")
    (line,) = first_painter(graph).artists
    with matplotlib.style.context("default"):
        theme_width = matplotlib.rcParams["lines.linewidth"]
    assert (line.get_linewidth(), theme_width) == (2.0, 1.5)  # the kind's default, not the theme's


def test_a_line_with_linewidth_keeps_it(tmp_path: Path) -> None:
    graph = compiled(tmp_path, '{ kind = "line", x = "g.x", y = "g.y", linewidth = 3.5 }', style="default")
    assert first_painter(graph).artists[0].get_linewidth() == 3.5


def test_theme_defaults_follow_the_scene_style_and_kind_defaults_do_not(tmp_path: Path) -> None:
    themed = matplotlib.style.library["fivethirtyeight"]["lines.linewidth"]
    assert themed != 1.5
    layers = ('{ kind = "metric", y = "g.loss" }', '{ kind = "line", x = "g.x", y = "g.y" }')
    (tmp_path / "plain").mkdir()
    (tmp_path / "themed").mkdir()
    plain = compiled(tmp_path / "plain", *layers)
    styled = compiled(tmp_path / "themed", *layers, style="fivethirtyeight")
    for graph, metric_width in ((plain, 1.5), (styled, themed)):
        metric, line = (node.painter for node in graph.layers)
        assert metric.line.get_linewidth() == metric_width
        assert metric.dot.get_markersize() == max(2.5 * metric_width, 5.0)
        assert line.artists[0].get_linewidth() == 2.0  # the kind's own default: the same in every style


def test_other_defaults_reach_the_artists(tmp_path: Path) -> None:
    graph = compiled(
        tmp_path,
        '{ kind = "text", text = "loss {g.loss:.1f}", at = [0.1, 0.1] }',
        '{ kind = "scatter", x = "g.x", y = "g.y" }',
        '{ kind = "band", x = "g.x", y = "g.pred", spread = "g.spread" }',
        '{ kind = "path", x = "g.px", y = "g.py" }',
    )
    text, scatter, band, path = (node.painter for node in graph.layers)
    assert (text.artists[0].get_color(), text.artists[0].get_fontsize()) == ("black", 12.0)  # the theme's text colour
    assert scatter.artists[0].get_sizes().tolist() == [matplotlib.rcParamsDefault["lines.markersize"] ** 2]
    assert band.artists[0].get_alpha() == 0.3
    assert matplotlib.colors.same_color(band.artists[0].get_facecolor()[0][:3], "steelblue")
    assert [line.get_markersize() for line in path.lines] == [4.0, 4.0, 4.0]
    # the theme's 1.5 for the last drawn of three nested paths, 1.375 and 1.75 times it for the others
    assert sorted(line.get_linewidth() for line in path.lines) == pytest.approx([1.5, 1.5 * 1.375, 1.5 * 1.75])
    assert [line.get_color() for line in path.lines] == ["C0", "C1", "C2"]


# --- zorder, alpha and label, passed by the base class -----------------------------------------------------------

COMMON = {
    "band": '{ kind = "band", x = "g.x", y = "g.pred", spread = "g.spread", ',
    "contour": '{ kind = "contour", x = "g.X", y = "g.Y", z = "g.Z", ',
    "counter": '{ kind = "counter", value = "g.loss", ',
    "embedding": '{ kind = "embedding", points = "g.emb", labels = "g.cls", ',
    "line": '{ kind = "line", x = "g.x", y = "g.y", ',
    "metric": '{ kind = "metric", y = "g.loss", ',
    "path": '{ kind = "path", x = "g.loss", y = "g.loss", ',
    "quiver": '{ kind = "quiver", x = "g.X", y = "g.Y", u = "g.U", v = "g.V", ',
    "scatter": '{ kind = "scatter", x = "g.x", y = "g.y", ',
    "sprites": '{ kind = "sprites", points = "g.emb", images = "g.imgs", labels = "g.cls", ',
    "spline": '{ kind = "spline", y = "g.loss", ',
    "surface": '{ kind = "surface", x = "g.X", y = "g.Y", z = "g.Z", ',
    "text": '{ kind = "text", text = "step {step}", at = [0.1, 0.1], ',
}


def test_every_kind_is_in_the_common_settings_test() -> None:
    assert sorted(COMMON) == KINDS


@pytest.mark.parametrize("kind", KINDS)
def test_zorder_alpha_and_label_reach_the_artists(tmp_path: Path, kind: str) -> None:
    fields = LAYERS.load()[kind].model.model_fields
    settings = {"zorder": "zorder = 7.5", "alpha": "alpha = 0.25", "label": 'label = "mine"'}
    present = [name for name in settings if name in fields]
    assert "zorder" in present
    layer = COMMON[kind] + ", ".join(settings[name] for name in present) + " }"
    painter = first_painter(compiled(tmp_path, layer))
    artists = painter.artists
    assert artists
    for artist in artists:
        if artist in painter.marks():  # a path's heads: lifted above every line of the panel
            assert artist.get_zorder() > 7.5, (kind, artist)
            continue
        assert artist.get_zorder() == 7.5, (kind, artist)
        if "alpha" in present:
            assert artist.get_alpha() == 0.25, (kind, artist)
    if "label" in present:
        assert artists[0].get_label() == "mine"
        assert painter.legend_handles() == [artists[0]]
        assert all(artist.get_label() != "mine" for artist in artists[1:])  # dots, heads: not in the legend
