"""No traceback for any input (issue 11, item 4): what made scenespec crash is a located error, at validate where
the spec says enough, else before any drawing.

Each case is a one-change variant of the fast linreg spec (tests/helpers.py) whose expected line is derived
from the text written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import line_of, run_cli, spec_variant, write_spec
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import scenespec
from scenespec.errors import Problem, SpecError, format_path
from scenespec.load.nesting import MAX_NESTING
from scenespec.paint.text import FAR_OFF, PlacedText
from scenespec.pipeline import load_and_validate, prepare
from scenespec.validate.values import MAX_WHOLE

SPECS = Path(__file__).resolve().parents[1] / "specs"
LINE_DATA = 'data = { kind = "line", slope = 1.0, intercept = -2.0, noise = 1.0, n = 50, x = [0, 10], seed = 0 }'


def validation_error(spec: Path) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_and_validate(spec)
    return info.value


def run_error(spec: Path) -> SpecError:
    """The SpecError raised once the sources run and the painters are made; validation passes."""
    load_and_validate(spec)
    with pytest.raises(SpecError) as info:
        prepare(spec, cache=False).recipe()
    return info.value


def assert_located(error: SpecError, spec: Path, line: int | None, key: str, *fragments: str) -> Problem:
    text = str(error)
    assert len(error.problems) == 1, text
    problem = error.problems[0]
    assert (problem.file, problem.line, format_path(problem.path)) == (str(spec), line, key), text
    where = f"{spec}:{line}: " if line is not None else f"{spec}: "
    assert text.startswith(where + (f"{key}: " if key else "")), text
    for fragment in fragments:
        assert fragment in text, text
    return problem


def variant(tmp_path: Path, old: str, new: str, name: str = "spec.toml") -> tuple[Path, str]:
    text = spec_variant((old, new))
    return write_spec(tmp_path, text, name), text


# --- nesting ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("levels", [MAX_NESTING + 1, 5000])
def test_a_toml_spec_nested_too_deeply_is_refused_at_the_line(tmp_path: Path, levels: int) -> None:
    deep = "[" * levels + "]" * levels
    spec, text = variant(tmp_path, "dpi = 50", f"dpi = 50\nextra = {deep}")
    assert_located(validation_error(spec), spec, line_of(text, "extra"), "", "nested too deeply (more than 100 levels")


def test_a_json_spec_nested_too_deeply_is_refused_at_the_line(tmp_path: Path) -> None:
    data = json.loads((SPECS / "bowl_contour_json.json").read_text(encoding="utf-8"))
    data.pop("$schema", None)
    text = json.dumps(data, indent=2).replace('"steps": 0', '"steps": 0,\n      "extra":\n' + "[" * 3000 + "]" * 3000)
    spec = write_spec(tmp_path, text, "spec.json")
    assert_located(validation_error(spec), spec, line_of(text, "[[[["), "", "nested too deeply")


def test_deep_data_from_python_is_refused_with_its_key(tmp_path: Path) -> None:
    deep: list[object] = []
    for _ in range(3000):
        deep = [deep]
    with pytest.raises(SpecError) as info:
        scenespec.load({"sources": {"fit": {"kind": "trainer", "data": {"kind": "line"}}}, "panels": deep})
    assert str(info.value) == "panels: nested too deeply (more than 100 levels of arrays and tables)"
    spec = scenespec.load(SPECS / "linreg.toml")
    with pytest.raises(SpecError) as info:
        spec.with_values({"scene.title": deep})
    assert str(info.value).startswith("with_values scene.title=[[[[[[[...]]]]]]]: scene.title: nested too deeply")


# --- text templates, numbers and sizes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ("Cost: {fit.loss:.3q}", "{fit.loss:.3q}: format spec '.3q' does not apply to the value: Unknown format code"),
        ("epoch {step:s}", "{step:s}: format spec 's' does not apply"),
        ("frame {frame:.2z}", "{frame:.2z}"),
        ("Cost: {fit.loss:999999999f}", "a width or precision is at most 100"),
        ("Cost: $\\\\frac{{$ {fit.loss}", "matplotlib cannot draw the math in this text"),
    ],
)
def test_a_template_that_cannot_be_filled_in_is_refused_at_validate(
    tmp_path: Path, template: str, fragment: str
) -> None:
    spec, text = variant(tmp_path, '"Cost: {fit.loss:.3f}"', f'"{template}"')
    assert_located(validation_error(spec), spec, line_of(text, 'kind = "text"'), "panels[0].layers[3].text", fragment)


def test_a_format_spec_that_does_not_fit_the_fields_values_is_refused_before_drawing(tmp_path: Path) -> None:
    spec, text = variant(tmp_path, "{fit.loss:.3f}", "{fit.loss:d}")
    error = run_error(spec)
    line = line_of(text, 'kind = "text"')
    assert_located(error, spec, line, "panels[0].layers[3].text", "{fit.loss:d}", "for object of type 'float'")


@pytest.mark.parametrize(
    ("old", "new", "key", "fragment"),
    [
        (
            "steps = { first = 10, every = 40 }",
            "steps = [0, 99999999999999999999999]",
            "frames.steps",
            f"item 2: 99999999999999999999999 is too large; whole numbers in a spec are at most 2**53 = {MAX_WHOLE}",
        ),
        ("seed = 0 }", f"seed = {2**32} }}", "sources.fit.data.seed", "expected less than or equal to 4294967295"),
        ("seed = 0 }", "seed = -1 }", "sources.fit.data.seed", "expected greater than or equal to 0; got -1"),
        ("size = [6.4, 4.8]", "size = [1e9, 4.8]", "scene.size[0]", "expected less than or equal to 10000"),
        (
            "size = [6.4, 4.8]",
            "size = [inf, 4.8]",
            "scene.size[0]",
            "expected a finite number (not inf or nan); got inf",
        ),
        ("size = [6.4, 4.8]", "size = [6.4, 0.01]", "scene.size[1]", "expected greater than or equal to 0.1"),
        ("at = [6, -2]", "at = [nan, -2]", "panels[0].layers[3].at[0]", "expected a finite number"),
        ('style = "g--",', 'style = "g--", linewidth = inf,', "panels[0].layers[1].linewidth", "a finite number"),
        ("lr = 1e-4", "lr = -inf", "sources.fit.optimizer.lr", "expected a finite number"),
        ('legend = "upper center"', 'legend = "upper center"\nxlim = [0, inf]', "panels[0].xlim[1]", "finite"),
        ('legend = "upper center"', 'legend = "upper center"\nylim = [nan, 1]', "panels[0].ylim[0]", "got nan"),
        ('legend = "upper center"', 'legend = "upper center"\nxticks = [1, inf]', "panels[0].xticks[1]", "finite"),
    ],
)
def test_numbers_no_stage_can_use_are_refused_at_validate(
    tmp_path: Path, old: str, new: str, key: str, fragment: str
) -> None:
    spec, text = variant(tmp_path, old, new)
    assert_located(validation_error(spec), spec, line_of(text, new.splitlines()[-1]), key, fragment)


# --- what matplotlib parses only when drawing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "key", "fragment"),
    [
        ('color = "red", label', 'color = "red", marker = "qq", label', "panels[0].layers[0].marker", "'qq' is not a"),
        (
            'color = "red", label',
            'color = "red", marker = "$\\\\frac{$", label',
            "panels[0].layers[0].marker",
            "not a matplotlib marker",
        ),
        ('xlabel = "X data"', 'xlabel = "$\\\\frac{$"', "panels[0].xlabel", "cannot draw the math in this text"),
        ('label = "Original data"', 'label = "$x^$"', "panels[0].layers[0].label", "cannot draw the math"),
        ('title = "Linear', 'title = "$\\\\alpha$ $x^$ Linear', "scene.title", "cannot draw the math"),
        ('twin_ylabel = "Cost"', 'twin_ylabel = "Cost \\\\$ $x_$"', "panels[0].twin_ylabel", "cannot draw the math"),
    ],
)
def test_markers_and_math_are_checked_at_validate(tmp_path: Path, old: str, new: str, key: str, fragment: str) -> None:
    spec, text = variant(tmp_path, old, new)
    assert_located(validation_error(spec), spec, line_of(text, new), key, fragment)


def test_dollar_signs_and_valid_math_are_accepted(tmp_path: Path) -> None:
    spec, _ = variant(tmp_path, 'xlabel = "X data"', 'xlabel = "price in $ (2024)"\ntitle = "$\\\\alpha^2$"')
    _, scene = load_and_validate(spec)
    assert (scene.panels[0].xlabel, scene.panels[0].title) == ("price in $ (2024)", "$\\alpha^2$")


@pytest.mark.parametrize(("char", "code"), [("\\u0007", "U+0007"), ("\\u001b", "U+001B"), ("\\u007f", "U+007F")])
def test_control_characters_in_text_are_refused(tmp_path: Path, char: str, code: str) -> None:
    spec, text = variant(tmp_path, 'xlabel = "X data"', f'xlabel = "X{char}data"')
    error = validation_error(spec)
    assert_located(error, spec, line_of(text, "xlabel"), "panels[0].xlabel", f"control character {code} in the text")


def test_a_c1_control_character_in_a_title_is_refused_and_line_breaks_and_tabs_are_not(tmp_path: Path) -> None:
    spec, text = variant(tmp_path, 'title = "Linear', 'title = "\\u0085Linear')
    assert_located(validation_error(spec), spec, line_of(text, "title"), "scene.title", "control character U+0085")
    spec, _ = variant(tmp_path, 'title = "Linear', 'title = "Two\\nlines\\tand a tab, Linear', name="ok.toml")
    _, scene = load_and_validate(spec)
    assert scene.scene.title is not None and scene.scene.title.startswith("Two\nlines\tand a tab")


def test_text_far_outside_the_figure_is_neither_drawn_nor_laid_out() -> None:
    figure = Figure(figsize=(3, 2), dpi=50, layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    ax.set_xlim(0, 10)
    far, near = PlacedText(1e30, 0.5, "far"), PlacedText(5, 0.5, "near")
    for text in (far, near):
        ax.add_artist(text)
    figure.canvas.draw()  # Agg used to fail placing the glyphs of `far`
    assert not far.on_canvas() and near.on_canvas()
    assert far.get_tightbbox() is None and near.get_tightbbox() is not None
    x_far = ax.transData.inverted().transform((figure.bbox.width + 2 * FAR_OFF, 0))[0]
    beyond = PlacedText(x_far, 0.5, "beyond")
    ax.add_artist(beyond)
    assert not beyond.on_canvas()


def test_a_spec_with_a_text_at_1e30_renders(tmp_path: Path) -> None:
    spec, _ = variant(tmp_path, "at = [6, -2]", "at = [1e30, -2]")
    result = run_cli(["render", spec.name, "--frame", "0", "-o", "frame.png", "--no-cache"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "frame.png").stat().st_size > 0


# --- data a layer cannot draw, and files ----------------------------------------------------------------------------


def test_a_field_of_text_bound_where_numbers_are_drawn_is_refused_before_drawing(tmp_path: Path) -> None:
    text = (SPECS / "bowl_paths.toml").read_text(encoding="utf-8")
    text = text.replace("layers = [\n", 'layers = [\n  { kind = "line", x = "bowl.x", y = "bowl.names" },\n')
    spec = write_spec(tmp_path, text)
    error = run_error(spec)
    line = line_of(text, 'y = "bowl.names"')
    assert_located(error, spec, line, "panels[0].layers[0].y", "y = 'bowl.names' holds text; expected numbers")


def test_a_contour_bound_to_a_1d_field_is_refused_before_drawing(tmp_path: Path) -> None:
    text = (SPECS / "bowl_contour.toml").read_text(encoding="utf-8").replace('x = "bowl.X"', 'x = "bowl.names"')
    spec = write_spec(tmp_path, text)
    error = run_error(spec)
    assert_located(error, spec, line_of(text, "bowl.names"), "panels[0].layers[0].x", "expected a 2-D grid")


def csv_spec(tmp_path: Path, content: bytes) -> tuple[Path, int]:
    (tmp_path / "data.csv").write_bytes(content)
    data = 'data = { kind = "csv", path = "data.csv" }'
    text = spec_variant((LINE_DATA, data))
    return write_spec(tmp_path, text), line_of(text, data)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (bytes(range(256)) * 4, "data.csv is not UTF-8 text (invalid start byte at byte 128)"),
        (b"x,y\n1,2\n3,4\n5," + b"1" * 200_000 + b"\n", "data.csv is not a CSV table: field larger than field limit"),
        (b"x,y\n1,2\n3,inf\n5,6\n", "data.csv:3: not a finite number: 'inf'"),
        (b"x,y\n1,2\n\x00\x01,3\n5,6\n", "data.csv:3: not a number: '\\x00\\x01'"),
    ],
)
def test_a_csv_file_that_is_not_a_numeric_table_is_a_located_error(
    tmp_path: Path, content: bytes, fragment: str
) -> None:
    spec, line = csv_spec(tmp_path, content)
    load_and_validate(spec)
    with pytest.raises(SpecError) as info:
        prepare(spec, cache=False)
    assert_located(info.value, spec, line, "sources.fit.data.path", fragment)


def test_the_command_line_reports_each_guard_with_exit_code_2_and_no_traceback(tmp_path: Path) -> None:
    spec, text = variant(tmp_path, "{fit.loss:.3f}", "{fit.loss:.3q}")
    result = run_cli(["render", spec.name, "-o", "out.gif"], cwd=tmp_path)
    assert result.returncode == 2
    line = line_of(text, 'kind = "text"')
    assert result.stderr.startswith(f"error: spec.toml:{line}: panels[0].layers[3].text:")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.gif").exists()
