"""Strict values (issue 11, item 6): a value is what its key says, or a located error at validate.

A boolean is not a number, a string is not a number or a boolean, a JSON key is not given twice, a panel
setting that would do nothing is refused, a formula's exponent is bounded, and a formula objective that an
optimizer runs off on is reported at that optimizer's `lr`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import assert_located, line_of, run_cli, spec_variant, write_spec
from pydantic import ValidationError

import scenespec
from scenespec.errors import SpecError
from scenespec.expression import MAX_EXPONENT
from scenespec.pipeline import load_and_validate, prepare
from scenespec.validate.base import Pair, SpecModel

SPECS = Path(__file__).resolve().parents[1] / "specs"

BOWL = """\
[sources.bowl]
kind = "optimizer"
objective = "elliptic"
steps = 20
resolution = 20
optimizers = [
  { name = "adam", lr = 0.1, amsgrad = false },
]

[[panels]]
xlabel = "x"
layers = [
  { kind = "surface", x = "bowl.X", y = "bowl.Y", z = "bowl.Z" },
]
"""
"""A small 3D scene on an optimizer source: a surface makes its panel 3D."""


def validation_error(spec: Path) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_and_validate(spec)
    return info.value


# (old text, new text, key, fragments): each a one-change variant of the fast linreg spec, located at `new`.
LINREG_CASES = [
    ("epochs = 20", "epochs = true", "sources.fit.epochs", "expected a whole number; got true"),
    ("epochs = 20", "epochs = 20.0", "sources.fit.epochs", "expected a whole number; got 20.0"),
    ("epochs = 20", 'epochs = "20"', "sources.fit.epochs", "expected a whole number; got the string '20'"),
    ("lr = 1e-4", 'lr = "0.1"', "sources.fit.optimizer.lr", "expected a number; got the string '0.1'"),
    ("lr = 1e-4", "lr = true", "sources.fit.optimizer.lr", "expected a number; got true"),
    ("fps = 5", "fps = false", "frames.fps", "expected a number; got false"),
    ("w = -1.0", 'w = "-1"', "sources.fit.init.w", "expected a number; got the string '-1'"),
    ("batch_size = 1", "batch_size = true", "sources.fit.batch_size", "expected a whole number, or 'full'; got true"),
    ("size = [6.4, 4.8]", 'size = ["6.4", 4.8]', "scene.size[0]", "expected a number; got the string '6.4'"),
    ('source = "fit"', "source = 3", "frames.source", "expected a string; got 3"),
    ('x = "fit.x", y = "fit.y"', 'x = 3, y = "fit.y"', "panels[0].layers[0].x", "expected a string; got 3"),
    ("end_pause = 2.0", "end_pause = 2.0\nloop = 1", "frames.loop", "expected true or false; got 1"),
    ('legend = "upper center"', 'legend = "upper center"\ngrid = "yes"', "panels[0].grid", "expected true or false"),
]


@pytest.mark.parametrize(("old", "new", "key", "fragment"), LINREG_CASES, ids=[c[1] for c in LINREG_CASES])
def test_a_value_of_the_wrong_type_is_refused_not_converted(
    tmp_path: Path, old: str, new: str, key: str, fragment: str
) -> None:
    text = spec_variant((old, new))
    spec = write_spec(tmp_path, text)
    assert_located(validation_error(spec), spec, line_of(text, new.splitlines()[-1]), key, fragment)


def test_a_boolean_option_of_an_optimizer_takes_no_string(tmp_path: Path) -> None:
    text = spec_variant(("amsgrad = false", 'amsgrad = "yes"'), base=BOWL)
    spec = write_spec(tmp_path, text)
    error = validation_error(spec)
    assert_located(error, spec, line_of(text, "amsgrad"), "sources.bowl.optimizers[0].amsgrad")
    assert str(error).endswith("expected true or false; got the string 'yes'")


def test_a_duplicate_json_key_is_an_error_at_its_second_line(tmp_path: Path) -> None:
    data = json.loads((SPECS / "bowl_contour_json.json").read_text(encoding="utf-8"))
    text = json.dumps(data, indent=2)
    first = line_of(text, '"steps": ')
    doubled = text.replace('"steps": 0', '"steps": 0,\n      "steps": 5')
    assert doubled != text
    spec = write_spec(tmp_path, doubled, name="spec.json")
    error = validation_error(spec)
    assert_located(
        error,
        spec,
        first + 1,
        "sources.bowl.steps",
        f"key 'steps' is given twice (first on line {first}); keys of an object must be unique",
    )


@pytest.mark.parametrize(
    ("old", "new", "at", "key", "fragment"),
    [
        ('xlabel = "x"', 'xlabel = "x"\naspect = "equal"', "aspect", "panels[0].aspect", "aspect does nothing on a 3D"),
        ('xlabel = "x"', 'xlabel = "x"\nyscale = "log"', "yscale", "panels[0].yscale", "because of its 'surface'"),
        ('xlabel = "x"', 'xlabel = "x"\ngrid = true', "grid", "panels[0].grid", "grid does nothing on a 3D panel"),
        (
            'z = "bowl.Z" }',
            'z = "bowl.Z", twin = true }',
            "twin",
            "panels[0].layers[0].twin",
            "a 3D panel has no twin y axis",
        ),
    ],
)
def test_a_2d_setting_on_a_3d_panel_is_refused(
    tmp_path: Path, old: str, new: str, at: str, key: str, fragment: str
) -> None:
    text = spec_variant((old, new), base=BOWL)
    spec = write_spec(tmp_path, text)
    assert_located(validation_error(spec), spec, line_of(text, at), key, fragment)


@pytest.mark.parametrize("setting", ["zlim = [0, 1]", 'zlabel = "z"', "zticks = [0, 1]", "camera = { elev = 10 }"])
def test_a_3d_setting_on_a_2d_panel_is_refused(tmp_path: Path, setting: str) -> None:
    text = spec_variant(('xlabel = "X data"', f'xlabel = "X data"\n{setting}'))
    spec = write_spec(tmp_path, text)
    key = setting.split(" ")[0]
    assert_located(
        validation_error(spec), spec, line_of(text, setting), f"panels[0].{key}", "applies to 3D panels only"
    )


def test_a_twin_axis_setting_without_a_layer_on_the_twin_axis_is_refused(tmp_path: Path) -> None:
    text = spec_variant(("twin = true, along", "twin = false, along"))
    spec = write_spec(tmp_path, text)
    error = validation_error(spec)
    assert_located(
        error, spec, line_of(text, "twin_ylabel"), "panels[0].twin_ylabel", "no layer of this panel is on it"
    )


@pytest.mark.parametrize(
    ("formula", "refused"),
    [
        ("x**99999999999 + y**2", True),
        (f"x**{MAX_EXPONENT + 1} + y", True),
        (f"x**-{MAX_EXPONENT + 1} + y", True),
        ("(x - y)**(2*600)", True),
        (f"x**{MAX_EXPONENT} + y", False),
        ("2**x + y**0.5", False),
    ],
)
def test_a_variable_raised_to_an_absurd_constant_power_is_refused(tmp_path: Path, formula: str, refused: bool) -> None:
    text = spec_variant(('objective = "elliptic"', f'formula = "{formula}"'), base=BOWL)
    spec = write_spec(tmp_path, text)
    if not refused:
        load_and_validate(spec)
        return
    error = validation_error(spec)
    assert_located(error, spec, line_of(text, "formula"), "sources.bowl.formula", f"is at most {MAX_EXPONENT} in size")


def test_divergence_on_a_formula_objective_is_reported_at_the_learning_rate(tmp_path: Path) -> None:
    # SGD with lr 5 on y**2 multiplies y by -9 per step: it runs off to where the formula overflows.
    replacements = [
        ('objective = "elliptic"', 'formula = "x**2/20 + y**2"'),
        ('{ name = "adam", lr = 0.1, amsgrad = false }', '{ name = "sgd", lr = 5 }'),
        ("steps = 20", "steps = 400"),
    ]
    text = spec_variant(*replacements, base=BOWL)
    spec = write_spec(tmp_path, text)
    load_and_validate(spec)
    with pytest.raises(SpecError) as info:
        prepare(spec)
    assert_located(
        info.value, spec, line_of(text, "lr = 5"), "sources.bowl.optimizers[0].lr", "SGD diverged at step", "lower lr"
    )


def test_a_formula_undefined_at_the_start_is_still_reported_at_the_formula(tmp_path: Path) -> None:
    text = spec_variant(('objective = "elliptic"', 'formula = "log(x) + y**2"'), base=BOWL)
    spec = write_spec(tmp_path, text.replace("steps = 20", "steps = 20\nstart = [-7, 2]"))
    with pytest.raises(SpecError) as info:
        prepare(spec)
    text = spec.read_text(encoding="utf-8")
    assert_located(info.value, spec, line_of(text, "formula"), "sources.bowl.formula", "undefined (nan) at (-7, 2)")


@pytest.mark.parametrize("spec", sorted(SPECS.glob("*.*")), ids=lambda p: p.name)
def test_every_shipped_spec_is_strictly_valid(spec: Path) -> None:
    _, scene = load_and_validate(spec)
    assert scene.panels


def test_the_command_line_reports_a_strict_value_with_exit_code_2_and_no_traceback(tmp_path: Path) -> None:
    text = spec_variant(("epochs = 20", "epochs = true"))
    write_spec(tmp_path, text)
    result = run_cli(["render", "spec.toml", "-o", "out.gif"], cwd=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr
        == f"error: spec.toml:{line_of(text, 'epochs')}: sources.fit.epochs: expected a whole number; got true\n"
    )
    assert not (tmp_path / "out.gif").exists()


def test_a_spec_model_with_a_tuple_that_would_refuse_lists_is_refused_when_defined() -> None:
    with pytest.raises(TypeError, match=r"Corner\.at: a tuple in a spec model is written `Pair\[T\]`"):

        class Corner(SpecModel):
            at: tuple[float, float] | None = None

    class Pinned(SpecModel):
        at: Pair[float] = (0.0, 0.0)

    assert Pinned.model_validate({"at": [1, 2.5]}).at == (1.0, 2.5)
    with pytest.raises(ValidationError):
        Pinned.model_validate({"at": [True, "2"]})


def test_numpy_values_from_python_are_taken_as_the_numbers_they_hold() -> None:
    spec = scenespec.load(SPECS / "linreg.toml")
    changed = spec.with_values({"sources.fit.epochs": np.int64(30), "scene.size": np.array([5.0, 4.0])})
    assert changed.scene.sources["fit"].epochs == 30
    assert changed.scene.scene.size == (5.0, 4.0)
    with pytest.raises(SpecError, match=r"sources\.fit\.epochs: expected a whole number; got 30\.5"):
        spec.with_values({"sources.fit.epochs": np.float64(30.5)})
