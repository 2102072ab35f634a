"""User errors: every mistake in a spec (or a `--set`) is reported as `file:line: key.path: message`.

Each test writes a one-change variant of a fast copy of specs/linreg.toml (tests/helpers.py),
derives the expected line from the text it wrote, and checks the located problem and its hint.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pytest
from helpers import LINREG, SPEC, line_of, spec_variant, write_spec

from scenespec.errors import Problem, SpecError, format_path
from scenespec.layers.base import LAYERS
from scenespec.pipeline import load_and_validate, prepare
from scenespec.schedule import select_steps
from scenespec.sources.base import SOURCES
from scenespec.validate.scene import StepRule


def validation_error(spec: Path, overrides: tuple[str, ...] = ()) -> SpecError:
    """The SpecError that loading and validating `spec` raises (nothing is run)."""
    with pytest.raises(SpecError) as info:
        load_and_validate(spec, overrides)
    return info.value


def run_error(spec: Path, overrides: tuple[str, ...] = ()) -> SpecError:
    """The SpecError raised only once sources run or frames are scheduled: validation passes."""
    load_and_validate(spec, overrides)
    with pytest.raises(SpecError) as info:
        prepare(spec, overrides)
    return info.value


def assert_located(error: SpecError, spec: Path, line: int, key: str, *fragments: str) -> Problem:
    """The error is one problem in `spec` at `line` and `key`, printed with each fragment."""
    text = str(error)
    assert len(error.problems) == 1, text
    problem = error.problems[0]
    assert problem.file == str(spec)
    assert problem.line == line, text
    assert format_path(problem.path) == key
    assert text.startswith(f"{spec}:{line}: {key}: "), text
    assert spec.name in text
    for fragment in fragments:
        assert fragment in text
    return problem


def variant_error(tmp_path: Path, old: str, new: str, *, line_at: str | None = None) -> tuple[SpecError, Path, int]:
    """Validate SPEC with `old` replaced by `new`; the expected line is the one holding `line_at` (default `new`)."""
    text = spec_variant((old, new))
    spec = write_spec(tmp_path, text)
    return validation_error(spec), spec, line_of(text, line_at or new)


def test_base_spec_is_valid(tmp_path: Path) -> None:
    """The unmodified fast spec runs, so each error below comes from its one change."""
    prepared = prepare(write_spec(tmp_path, SPEC))
    assert [f.step for f in prepared.frames] == [*range(10), 20]


# --- syntax -----------------------------------------------------------------------------------


def test_toml_syntax_error_reports_line(tmp_path: Path) -> None:
    text = spec_variant(("dpi = 50", "dpi = = 50"))
    spec = write_spec(tmp_path, text)
    error = validation_error(spec)
    assert error.problems[0].line == line_of(text, "dpi = = 50")
    assert str(error).startswith(f"{spec}:{line_of(text, 'dpi = = 50')}: TOML syntax error")


def test_json_syntax_error_reports_line(tmp_path: Path) -> None:
    text = '{\n  "scene": {\n    "dpi": oops\n  }\n}\n'
    spec = write_spec(tmp_path, text, "spec.json")
    error = validation_error(spec)
    line = line_of(text, "oops")
    assert error.problems[0].line == line
    assert str(error).startswith(f"{spec}:{line}: JSON syntax error: Expecting value")


def test_json_top_level_must_be_an_object(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "[1, 2]\n", "spec.json")
    error = validation_error(spec)
    assert str(error) == f"{spec}:1: a JSON spec must be an object at the top level"


# --- kinds ------------------------------------------------------------------------------------


def test_unknown_layer_kind_suggests_and_lists_kinds(tmp_path: Path) -> None:
    error, spec, line = variant_error(tmp_path, '{ kind = "scatter"', '{ kind = "scater"')
    kinds = ", ".join(sorted(LAYERS.load()))
    assert "scatter" in kinds
    assert_located(
        error,
        spec,
        line,
        "panels[0].layers[0].kind",
        "unknown layer kind 'scater'; did you mean 'scatter'?",
        f"(expected one of: {kinds})",
    )


def test_unknown_source_kind(tmp_path: Path) -> None:
    error, spec, line = variant_error(tmp_path, 'kind = "trainer"', 'kind = "trainr"')
    kinds = ", ".join(sorted(SOURCES.load()))
    assert_located(
        error,
        spec,
        line,
        "sources.fit.kind",
        "unknown source kind 'trainr'; did you mean 'trainer'?",
        f"(expected one of: {kinds})",
    )


def test_missing_kind_points_at_the_source_table(tmp_path: Path) -> None:
    error, spec, line = variant_error(tmp_path, 'kind = "trainer"\n', "", line_at="[sources.fit]")
    assert_located(error, spec, line, "sources.fit", "missing key 'kind' (which source kind this is)")


# --- misspelt keys ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "key", "hint"),
    [
        ('color = "red"', 'colr = "red"', "panels[0].layers[0].colr", "unknown key 'colr'; did you mean 'color'?"),
        ("dpi = 50", "dpii = 50", "scene.dpii", "unknown key 'dpii'; did you mean 'dpi'?"),
        ("fps = 5", "fsp = 5", "frames.fsp", "unknown key 'fsp'; did you mean 'fps'?"),
        ("epochs = 20", "epocs = 20", "sources.fit.epocs", "unknown key 'epocs'; did you mean 'epochs'?"),
    ],
    ids=["layer", "scene", "frames", "source"],
)
def test_misspelt_key_suggests_the_right_one(tmp_path: Path, old: str, new: str, key: str, hint: str) -> None:
    error, spec, line = variant_error(tmp_path, old, new)
    assert_located(error, spec, line, key, hint)


# --- values -----------------------------------------------------------------------------------


def test_epochs_must_be_an_integer(tmp_path: Path) -> None:
    error, spec, line = variant_error(tmp_path, "epochs = 20", 'epochs = "many"')
    assert_located(error, spec, line, "sources.fit.epochs", "expected a whole number", "got the string 'many'")


def test_size_needs_two_numbers(tmp_path: Path) -> None:
    text = spec_variant(("size = [6.4, 4.8]", "size = [6.4]"))
    spec = write_spec(tmp_path, text)
    error = validation_error(spec)
    # The missing second element is not in the file: the problem is placed at `size` itself.
    assert_located(error, spec, line_of(text, "size = [6.4]"), "scene.size", "too few values: item 2 is missing")


def test_fps_must_be_positive(tmp_path: Path) -> None:
    error, spec, line = variant_error(tmp_path, "fps = 5", "fps = -1")
    assert_located(error, spec, line, "frames.fps", "expected greater than 0; got -1")


def test_union_field_lists_both_alternatives(tmp_path: Path) -> None:
    error, spec, line = variant_error(tmp_path, "batch_size = 1", 'batch_size = "x"')
    problem = assert_located(error, spec, line, "sources.fit.batch_size", "whole number", "or 'full'", "got 'x'")
    assert problem.path == ("sources", "fit", "batch_size")  # no pydantic union member names


def test_literal_suggests_nearest_choice(tmp_path: Path) -> None:
    error, spec, line = variant_error(tmp_path, 'loss = "sse"', 'loss = "mae"')
    assert_located(error, spec, line, "sources.fit.loss", "expected 'mse' or 'sse'", "got 'mae'", "did you mean 'mse'?")


def test_unknown_matplotlib_style(tmp_path: Path) -> None:
    error, spec, line = variant_error(tmp_path, "dpi = 50", 'dpi = 50\nstyle = "ggplt"', line_at="ggplt")
    assert_located(error, spec, line, "scene.style", "unknown matplotlib style 'ggplt'; did you mean 'ggplot'?")


def test_bad_colour(tmp_path: Path) -> None:
    error, spec, line = variant_error(tmp_path, 'color = "red"', 'color = "reddish"')
    assert_located(error, spec, line, "panels[0].layers[0].color", "'reddish' is not a matplotlib colour")


def test_bad_line_format_string(tmp_path: Path) -> None:
    error, spec, line = variant_error(tmp_path, 'style = "g--"', 'style = "g--q"')
    assert_located(error, spec, line, "panels[0].layers[1].style", "not a matplotlib format string", "'q'")


def test_bad_legend_location(tmp_path: Path) -> None:
    error, spec, line = variant_error(tmp_path, 'legend = "upper center"', 'legend = "upper centre"')
    assert_located(
        error, spec, line, "panels[0].legend", "unknown legend location 'upper centre'; did you mean 'upper center'?"
    )


def test_unclosed_text_template(tmp_path: Path) -> None:
    error, spec, line = variant_error(tmp_path, '"Cost: {fit.loss:.3f}"', '"Cost: {fit.loss"')
    assert_located(error, spec, line, "panels[0].layers[3].text", "expected '}' before end of string")


def test_text_template_only_reads_bindings(tmp_path: Path) -> None:
    error, spec, line = variant_error(tmp_path, '"Cost: {fit.loss:.3f}"', '"Cost: {__import__}"')
    assert_located(error, spec, line, "panels[0].layers[3].text", "{__import__} is not a binding like {source.field}")


def test_binding_must_be_source_dot_field(tmp_path: Path) -> None:
    error, spec, line = variant_error(tmp_path, 'x = "fit.x", y = "fit.y"', 'x = "fitx", y = "fit.y"')
    assert_located(
        error, spec, line, "panels[0].layers[0].x", "expected a binding `source.field` (like `fit.pred`)", "'fitx'"
    )
    assert str(error).count("got 'fitx'") == 1


# --- references -------------------------------------------------------------------------------


def test_binding_to_missing_source(tmp_path: Path) -> None:
    error, spec, line = variant_error(tmp_path, 'x = "fit.x", y = "fit.y"', 'x = "fti.x", y = "fit.y"')
    assert_located(
        error,
        spec,
        line,
        "panels[0].layers[0].x",
        "'fti.x': no source named 'fti'; did you mean 'fit'?",
        "(sources: fit)",
    )


def test_binding_to_missing_field_lists_fields(tmp_path: Path) -> None:
    error, spec, line = variant_error(tmp_path, 'y = "fit.pred"', 'y = "fit.prd"')
    assert_located(
        error,
        spec,
        line,
        "panels[0].layers[1].y",
        "source 'fit' has no field 'prd'; did you mean 'pred'?",
        "(fields: b, loss, pred, w, x, y)",
    )


def test_spline_needs_a_stepped_field(tmp_path: Path) -> None:
    error, spec, line = variant_error(tmp_path, 'spline", y = "fit.loss"', 'spline", y = "fit.y"')
    assert_located(error, spec, line, "panels[0].layers[2].y", "needs a field recorded per step, and 'y' is static")


def test_frames_source_must_exist(tmp_path: Path) -> None:
    error, spec, line = variant_error(tmp_path, 'source = "fit"', 'source = "fitt"')
    assert_located(error, spec, line, "frames.source", "no source named 'fitt'; did you mean 'fit'?")


# --- frame selection --------------------------------------------------------------------------


def test_selection_of_no_frames(tmp_path: Path) -> None:
    rule = "{ first = 0, every = 1000, last = false, start = 1 }"
    recorded = np.arange(21)  # 20 epochs: steps 0..20
    # Step 0 is a multiple of 1000 and would be chosen; `start = 1` drops it, leaving nothing.
    assert select_steps(StepRule(first=0, every=1000, last=False), recorded).tolist() == [0]
    assert select_steps(StepRule(first=0, every=1000, last=False, start=1), recorded).tolist() == []
    text = spec_variant(("steps = { first = 10, every = 40 }", f"steps = {rule}"))
    spec = write_spec(tmp_path, text)
    error = run_error(spec)
    assert_located(error, spec, line_of(text, rule), "frames.steps", "selects no frames (recorded steps: 0..20)")


def test_explicit_steps_must_be_recorded(tmp_path: Path) -> None:
    text = spec_variant(("steps = { first = 10, every = 40 }", "steps = [0, 5, 25, 30]"))
    spec = write_spec(tmp_path, text)
    error = run_error(spec)
    assert_located(
        error,
        spec,
        line_of(text, "steps = [0, 5"),
        "frames.steps",
        "steps 25, 30 are not recorded (recorded steps: 0..20)",
    )


# --- CSV data ---------------------------------------------------------------------------------

LINE_DATA = 'data = { kind = "line", slope = 1.0, intercept = -2.0, noise = 1.0, n = 50, x = [0, 10], seed = 0 }'


def csv_spec(tmp_path: Path, data: str, csv_text: str | None) -> tuple[Path, int]:
    if csv_text is not None:
        (tmp_path / "data.csv").write_text(csv_text, encoding="utf-8")
    text = spec_variant((LINE_DATA, data))
    return write_spec(tmp_path, text), line_of(text, data)


def test_csv_file_missing(tmp_path: Path) -> None:
    spec, line = csv_spec(tmp_path, 'data = { kind = "csv", path = "missing.csv" }', None)
    error = run_error(spec)
    missing = str(tmp_path / "missing.csv")
    assert_located(error, spec, line, "sources.fit.data.path", f"cannot read CSV file {missing!r}")


def test_csv_column_missing(tmp_path: Path) -> None:
    spec, line = csv_spec(
        tmp_path, 'data = { kind = "csv", path = "data.csv", y = "heigth" }', "x,height\n1,2\n2,3\n3,5\n"
    )
    error = run_error(spec)
    assert_located(
        error,
        spec,
        line,
        "sources.fit.data.y",
        "data.csv has no column 'heigth'; did you mean 'height'?",
        "(columns: x, height)",
    )


def test_csv_non_numeric_cell_names_its_row(tmp_path: Path) -> None:
    csv_text = "x,y\n1,2\n2,3\n3,abc\n4,5\n"
    spec, line = csv_spec(tmp_path, 'data = { kind = "csv", path = "data.csv" }', csv_text)
    error = run_error(spec)
    row = line_of(csv_text, "abc")
    assert_located(error, spec, line, "sources.fit.data.path", f"data.csv:{row}: not a number: 'abc'")


# --- command-line overrides -------------------------------------------------------------------


def test_bad_override_is_located_at_the_override(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, SPEC)
    error = validation_error(spec, ("frames.fps=abc",))
    problem = error.problems[0]
    assert problem.file == "--set frames.fps=abc"
    assert problem.line is None
    assert problem.path == ("frames", "fps")
    assert str(error).startswith("--set frames.fps=abc: frames.fps: expected a number")
    assert "got the string 'abc'" in str(error)


def test_override_unknown_key_suggests(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, SPEC)
    error = validation_error(spec, ("frames.fsp=10",))
    assert str(error) == "--set frames.fsp=10: frames.fsp: unknown key 'fsp'; did you mean 'fps'?"


@pytest.mark.parametrize("item", ["frames.fps", "=3", "frames..fps=3"])
def test_malformed_override(tmp_path: Path, item: str) -> None:
    spec = write_spec(tmp_path, SPEC)
    error = validation_error(spec, (item,))
    assert str(error) == f"--set {item}: expected KEY.PATH=VALUE, e.g. frames.fps=20"


def test_good_override_is_applied(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, SPEC)
    _, scene = load_and_validate(spec, ("frames.fps=20", "scene.title=Other"))
    assert scene.frames.fps == 20
    assert scene.scene.title == "Other"


# --- training ---------------------------------------------------------------------------------


def test_training_divergence_points_at_learning_rate(tmp_path: Path) -> None:
    text = spec_variant(("lr = 1e-4", "lr = 1e3"))
    spec = write_spec(tmp_path, text)
    error = run_error(spec)
    assert_located(
        error,
        spec,
        line_of(text, "lr = 1e3"),
        "sources.fit.optimizer.lr",
        "training diverged",
        "lower the learning rate",
    )


# --- JSON -------------------------------------------------------------------------------------


def test_json_spec_equals_toml_spec(tmp_path: Path) -> None:
    data = tomllib.loads(LINREG.read_text(encoding="utf-8"))
    spec = write_spec(tmp_path, json.dumps(data, indent=2), "linreg.json")
    _, from_json = load_and_validate(spec)
    _, from_toml = load_and_validate(LINREG)
    assert from_json.model_dump() == from_toml.model_dump()


def test_json_error_reports_json_line(tmp_path: Path) -> None:
    data = tomllib.loads(SPEC)
    scatter = data["panels"][0]["layers"][0]
    scatter["colr"] = scatter.pop("color")
    text = json.dumps(data, indent=2)
    spec = write_spec(tmp_path, text, "spec.json")
    error = validation_error(spec)
    assert_located(
        error, spec, line_of(text, '"colr"'), "panels[0].layers[0].colr", "unknown key 'colr'; did you mean 'color'?"
    )
