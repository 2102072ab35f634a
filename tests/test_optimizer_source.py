"""Source `optimizer`: the grid, the paths, the labels and the errors, each checked against an independent computation.

Objectives and their gradients are written out again here by hand (and checked against finite
differences of the grid); the optimizers are replayed in torch.optim itself, from the spec's
own hyperparameters read with tomllib, so the spec -> torch mapping is checked end to end.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.optimize
import torch
from helpers import assert_located, line_of, run_cli, write_spec
from torch_reference import TORCH_OPTIMIZERS

from scenespec.errors import SpecError
from scenespec.pipeline import load_and_validate, prepare
from scenespec.resolve.trace import Trace
from scenespec.simulate.objectives import BUILTIN_OBJECTIVES

SPECS = Path(__file__).resolve().parents[1] / "specs"
STEPPED = ("x", "y", "loss", "grad_x", "grad_y")
STATIC = ("X", "Y", "Z", "GX", "GY", "names", "optimizers")


# --- The objectives, written out independently (they accept numpy arrays and torch tensors alike) -------------


def elliptic(x: Any, y: Any) -> Any:
    return x * x / 20 + y * y


def elliptic_grad(x: Any, y: Any) -> tuple[Any, Any]:
    return 0.1 * x, 2.0 * y


def rosenbrock(x: Any, y: Any) -> Any:
    return (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x)


def rosenbrock_grad(x: Any, y: Any) -> tuple[Any, Any]:
    # d/dx: -2(1 - x) + 200(y - x²)(-2x); d/dy: 200(y - x²)
    return 2 * x - 2 - 400 * x * y + 400 * x**3, 200 * y - 200 * x * x


def beale(x: Any, y: Any) -> Any:
    a = 1.5 - x + x * y
    b = 2.25 - x + x * y * y
    c = 2.625 - x + x * y * y * y
    return a * a + b * b + c * c


def beale_grad(x: Any, y: Any) -> tuple[Any, Any]:
    a = 1.5 - x + x * y
    b = 2.25 - x + x * y * y
    c = 2.625 - x + x * y * y * y
    gx = 2 * a * (y - 1) + 2 * b * (y * y - 1) + 2 * c * (y * y * y - 1)
    gy = 2 * a * x + 2 * b * (2 * x * y) + 2 * c * (3 * x * y * y)
    return gx, gy


def himmelblau(x: Any, y: Any) -> Any:
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


def himmelblau_grad(x: Any, y: Any) -> tuple[Any, Any]:
    p, q = x * x + y - 11, x + y * y - 7
    return 2 * p * 2 * x + 2 * q, 2 * p + 2 * q * 2 * y


def saddle(x: Any, y: Any) -> Any:
    return x * x - y * y


def saddle_grad(x: Any, y: Any) -> tuple[Any, Any]:
    return 2 * x, -2 * y


Function = Callable[[Any, Any], Any]
FUNCTIONS: dict[str, tuple[Function, Callable[[Any, Any], tuple[Any, Any]]]] = {
    "elliptic": (elliptic, elliptic_grad),
    "rosenbrock": (rosenbrock, rosenbrock_grad),
    "beale": (beale, beale_grad),
    "himmelblau": (himmelblau, himmelblau_grad),
    "saddle": (saddle, saddle_grad),
}

# Grids with different x and y ranges and sizes, so a transposed grid cannot pass.
GRIDS = {
    "elliptic": ((-10.0, 8.0), (-4.0, 6.0)),
    "rosenbrock": ((-2.0, 2.0), (-1.0, 3.0)),
    "beale": ((-4.5, 4.5), (-2.0, 4.0)),
    "himmelblau": ((-5.0, 5.0), (-4.0, 5.0)),
    "saddle": ((-2.0, 1.0), (-1.5, 2.0)),
}

# Optimizers that neither diverge nor stall on each objective over the steps used below.
RUNS = {
    "elliptic": '[{ name = "sgd", lr = 0.95 }, { name = "momentum", lr = 0.1 }, { name = "adagrad", lr = 1.5 }]',
    "rosenbrock": '[{ name = "sgd", lr = 1e-3 }, { name = "rmsprop", lr = 0.01 }, { name = "adam", lr = 0.05 }]',
    "beale": '[{ name = "sgd", lr = 1e-3 }, { name = "adam", lr = 0.05 }, { name = "nesterov", lr = 1e-3 }]',
    "himmelblau": '[{ name = "sgd", lr = 0.01 }, { name = "adamw", lr = 0.1 }]',
    "saddle": '[{ name = "sgd", lr = 0.05 }, { name = "adagrad", lr = 0.1 }, { name = "rmsprop", lr = 0.01 }]',
}


def source_spec(body: str, name: str = "bowl") -> str:
    """A spec with one optimizer source (its TOML body given) and one panel drawing its paths."""
    layers = f'  {{ kind = "path", x = "{name}.x", y = "{name}.y", names = "{name}.names" }},\n'
    return f'[sources.{name}]\nkind = "optimizer"\n{body.strip()}\n\n[[panels]]\nlayers = [\n{layers}]\n'


def resolve(tmp_path: Path, body: str, name: str = "bowl", file: str = "spec.toml") -> Trace:
    """The trace of the spec's optimizer source, through the public pipeline."""
    return prepare(write_spec(tmp_path, source_spec(body, name), file)).traces[name]


# --- Shapes -------------------------------------------------------------------------------------------------------


def test_trace_fields_and_shapes(tmp_path: Path) -> None:
    body = """
objective = "elliptic"
x = [-10, 10]
y = [-5, 5]
resolution = [31, 17]
start = [-7.0, 2.0]
steps = 12
optimizers = [{ name = "sgd", lr = 0.5 }, { name = "adam", lr = 0.3 }, { name = "rmsprop", lr = 0.1 }]
"""
    trace = resolve(tmp_path, body)
    assert set(trace.static) == set(STATIC)
    assert set(trace.stepped) == set(STEPPED)
    np.testing.assert_array_equal(trace.steps, np.arange(13))
    assert trace.steps.dtype.kind == "i"
    for name in ("X", "Y", "Z", "GX", "GY"):
        assert trace.static[name].shape == (17, 31), name
    assert trace.static["names"].shape == (3,)
    assert trace.static["optimizers"].tolist() == ["sgd", "adam", "rmsprop"]  # each path's rule, for its colour
    for name in STEPPED:
        assert trace.stepped[name].shape == (13, 3), name
    # Row 0 is the start of every optimizer, before any update.
    np.testing.assert_array_equal(trace.stepped["x"][0], [-7.0, -7.0, -7.0])
    np.testing.assert_array_equal(trace.stepped["y"][0], [2.0, 2.0, 2.0])


def test_zero_steps_and_no_optimizers(tmp_path: Path) -> None:
    trace = resolve(tmp_path, 'objective = "beale"\nresolution = 5\nsteps = 0')
    np.testing.assert_array_equal(trace.steps, [0])
    assert trace.stepped["x"].shape == (1, 0)
    assert trace.static["names"].shape == (0,)
    assert trace.static["Z"].shape == (5, 5)


# --- The grid -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("objective", list(FUNCTIONS))
def test_grid_is_the_objective_and_its_gradient(tmp_path: Path, objective: str) -> None:
    (x0, x1), (y0, y1) = GRIDS[objective]
    nx, ny = 401, 301
    body = f'objective = "{objective}"\nx = [{x0}, {x1}]\ny = [{y0}, {y1}]\nresolution = [{nx}, {ny}]\nsteps = 0'
    trace = resolve(tmp_path, body)
    xs, ys = np.linspace(x0, x1, nx), np.linspace(y0, y1, ny)
    X, Y = np.meshgrid(xs, ys)
    np.testing.assert_array_equal(trace.static["X"], X)
    np.testing.assert_array_equal(trace.static["Y"], Y)
    f, gradient = FUNCTIONS[objective]
    Z = trace.static["Z"]
    np.testing.assert_allclose(Z, f(X, Y), rtol=1e-12, atol=1e-12)
    gx, gy = gradient(X, Y)
    np.testing.assert_allclose(trace.static["GX"], gx, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(trace.static["GY"], gy, rtol=1e-12, atol=1e-10)
    # Independently of any formula: second-order central differences of the grid Z itself.
    dz_dy, dz_dx = np.gradient(Z, ys, xs)
    inner = (slice(1, -1), slice(1, -1))
    for recorded, numeric in ((trace.static["GX"], dz_dx), (trace.static["GY"], dz_dy)):
        scale = np.abs(recorded[inner]).max()
        assert np.abs(recorded[inner] - numeric[inner]).max() < 1e-3 * scale


KNOWN_MINIMA = {
    "elliptic": [(0.0, 0.0)],
    "rosenbrock": [(1.0, 1.0)],
    "beale": [(3.0, 0.5)],
    "himmelblau": [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)],
}


@pytest.mark.parametrize("objective", list(KNOWN_MINIMA))
def test_known_minima_have_zero_value_and_gradient(tmp_path: Path, objective: str) -> None:
    """Each optimizer starts at a minimum; with no step, loss and grad are f and ∇f there."""
    f, gradient = FUNCTIONS[objective]

    def refine(point: tuple[float, float]) -> np.ndarray:
        # Himmelblau's three irrational minima are known to 6 decimals: polish them with scipy.
        result = scipy.optimize.root(lambda p: np.array(gradient(p[0], p[1])), point, tol=1e-14)
        assert result.success
        return result.x

    minima = [refine(p) for p in KNOWN_MINIMA[objective]]
    for found, known in zip(minima, KNOWN_MINIMA[objective], strict=True):
        np.testing.assert_allclose(found, known, atol=1e-5)
        assert f(*found) == pytest.approx(0.0, abs=1e-20)
    np.testing.assert_allclose(BUILTIN_OBJECTIVES[objective].minima, KNOWN_MINIMA[objective], atol=1e-6)
    starts = ", ".join(f'{{ name = "sgd", lr = 0.01, start = [{float(x)!r}, {float(y)!r}] }}' for x, y in minima)
    trace = resolve(tmp_path, f'objective = "{objective}"\nresolution = 3\nsteps = 0\noptimizers = [{starts}]')
    assert trace.stepped["x"].shape == (1, len(minima))
    np.testing.assert_array_equal(np.column_stack([trace.stepped["x"][0], trace.stepped["y"][0]]), minima)
    np.testing.assert_allclose(trace.stepped["loss"][0], 0.0, atol=1e-20)
    np.testing.assert_allclose(trace.stepped["grad_x"][0], 0.0, atol=1e-9)
    np.testing.assert_allclose(trace.stepped["grad_y"][0], 0.0, atol=1e-9)


# --- The paths ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("objective", list(FUNCTIONS))
def test_recorded_loss_and_gradient_are_those_at_the_recorded_positions(tmp_path: Path, objective: str) -> None:
    start = {"elliptic": "[-7, 2]", "rosenbrock": "[-1.2, 1]", "beale": "[1, 1.4]", "himmelblau": "[-0.3, -0.9]"}
    body = f'objective = "{objective}"\nresolution = 5\nsteps = 60\noptimizers = {RUNS[objective]}'
    if objective in start:
        body += f"\nstart = {start[objective]}"
    trace = resolve(tmp_path, body)
    x, y = trace.stepped["x"], trace.stepped["y"]
    assert np.isfinite(x).all() and np.isfinite(y).all()
    assert (np.abs(np.diff(x, axis=0)) + np.abs(np.diff(y, axis=0)) > 0).any(axis=0).all(), "every path moves"
    f, gradient = FUNCTIONS[objective]
    np.testing.assert_allclose(trace.stepped["loss"], f(x, y), rtol=1e-12, atol=1e-13)
    gx, gy = gradient(x, y)
    np.testing.assert_allclose(trace.stepped["grad_x"], gx, rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(trace.stepped["grad_y"], gy, rtol=1e-11, atol=1e-11)


# What the rule names that torch.optim spells as SGD arguments mean, per scenespec's documentation.
NAME_DEFAULTS: dict[str, dict[str, Any]] = {
    "momentum": {"momentum": 0.9},
    "nesterov": {"momentum": 0.9, "nesterov": True},
}
NOT_HYPERPARAMETERS = {"name", "label", "start", "noise", "seed"}


def torch_optimizers(source: dict[str, Any]) -> list[tuple[torch.nn.Parameter, torch.optim.Optimizer]]:
    """Each optimizer of a spec's source (its TOML table) as a float64 torch.optim optimizer at its start."""
    out = []
    for entry in source["optimizers"]:
        kwargs = NAME_DEFAULTS.get(entry["name"], {}) | {
            k: tuple(v) if isinstance(v, list) else v for k, v in entry.items() if k not in NOT_HYPERPARAMETERS
        }
        param = torch.nn.Parameter(torch.tensor(entry.get("start", source["start"]), dtype=torch.float64))
        out.append((param, TORCH_OPTIMIZERS[entry["name"]]([param], foreach=False, **kwargs)))
    return out


def torch_step(param: torch.nn.Parameter, optimizer: torch.optim.Optimizer, f: Function) -> np.ndarray:
    optimizer.zero_grad()
    f(param[0], param[1]).backward()  # autograd of the formula: no hand-written gradient
    optimizer.step()
    return param.detach().numpy().copy()


def torch_paths(source: dict[str, Any], f: Function) -> np.ndarray:
    """Positions (steps+1, optimizers, 2) of each optimizer replayed freely in torch.optim."""
    paths = []
    for param, optimizer in torch_optimizers(source):
        start = param.detach().numpy().copy()
        paths.append([start] + [torch_step(param, optimizer, f) for _ in range(source["steps"])])
    return np.array(paths).transpose(1, 0, 2)


def torch_next_positions(source: dict[str, Any], f: Function, positions: np.ndarray) -> np.ndarray:
    """Torch's step from each recorded position (its state built along the recorded path): (steps, optimizers, 2)."""
    out = []
    for i, (param, optimizer) in enumerate(torch_optimizers(source)):
        column = []
        for t in range(source["steps"]):
            with torch.no_grad():
                param.copy_(torch.from_numpy(positions[t, i]))
            column.append(torch_step(param, optimizer, f))
        out.append(column)
    return np.array(out).transpose(1, 0, 2)


# RMSProp (lr 0.02) rattles across Rosenbrock's valley floor from about step 330: there a difference in
# the last bit (torch fuses multiply-adds) grows a trillion-fold within 50 steps, so no two float64
# implementations agree to 1e-9 beyond it. The free-running comparison stops before; every step of the
# whole path is checked from the recorded position instead.
FREE_RUNNING_STEPS = {"bowl_paths.toml": 30, "race_rosenbrock.toml": 300}


@pytest.mark.parametrize(("spec", "source", "overrides"), [
    ("bowl_paths.toml", "bowl", ["sources.bowl.resolution=5"]),
    ("race_rosenbrock.toml", "race", ["sources.race.resolution=5"]),
])  # fmt: skip
def test_spec_paths_are_torch_optims_paths(spec: str, source: str, overrides: list[str]) -> None:
    path = SPECS / spec
    data = tomllib.loads(path.read_text(encoding="utf-8"))["sources"][source]
    f = FUNCTIONS[data["objective"]][0]
    trace = prepare(path, overrides).traces[source]
    positions = np.stack([trace.stepped["x"], trace.stepped["y"]], axis=-1)
    assert positions.shape == (data["steps"] + 1, len(data["optimizers"]), 2)
    free = torch_paths(data, f)
    end = FREE_RUNNING_STEPS[spec] + 1
    np.testing.assert_allclose(positions[:end], free[:end], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(positions[1:], torch_next_positions(data, f, positions), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(trace.stepped["loss"], f(positions[..., 0], positions[..., 1]), rtol=1e-12)
    # The paths are not trivially equal: every optimizer went somewhere else.
    assert len({tuple(np.round(positions[end - 1, i], 6)) for i in range(positions.shape[1])}) == positions.shape[1]


def test_formula_gives_the_builtin_paths(tmp_path: Path) -> None:
    runs = """start = [-7.0, 2.0]
steps = 40
resolution = 11
optimizers = [
  { name = "sgd", lr = 0.95 },
  { name = "momentum", lr = 0.1 },
  { name = "adagrad", lr = 1.5 },
  { name = "adam", lr = 0.3 },
]"""
    builtin = resolve(tmp_path, f'objective = "elliptic"\n{runs}', file="builtin.toml")
    formula = resolve(tmp_path, f'formula = "x**2/20 + y**2"\n{runs}', file="formula.toml")
    np.testing.assert_allclose(formula.static["Z"], builtin.static["Z"], rtol=1e-14)
    for name in ("x", "y", "loss", "grad_x", "grad_y"):
        np.testing.assert_allclose(formula.stepped[name], builtin.stepped[name], rtol=0, atol=1e-6, err_msg=name)
    # Central differences are exact up to rounding on a quadratic: the grids' gradients agree closely too.
    np.testing.assert_allclose(formula.static["GX"], builtin.static["GX"], atol=1e-8)
    np.testing.assert_allclose(formula.static["GY"], builtin.static["GY"], atol=1e-8)


def test_article_sgd_zigzag_spec() -> None:
    """Article 004: with lr = 0.9, y flips sign every step while x slides toward 0: x·0.91ᵗ, y·(−0.8)ᵗ."""
    trace = prepare(SPECS / "bowl_sgd_zigzag.toml", ["sources.bowl.resolution=5"]).traces["bowl"]
    x, y = trace.stepped["x"][:, 0], trace.stepped["y"][:, 0]
    t = np.arange(101)
    assert len(x) == 101
    assert (np.sign(y[1:]) == -np.sign(y[:-1])).all()
    assert (x < 0).all()
    assert (np.diff(np.abs(x)) < 0).all()
    np.testing.assert_allclose(x, -7.0 * 0.91**t, rtol=1e-12)
    np.testing.assert_allclose(y, 2.0 * (-0.8) ** t, rtol=1e-11)
    np.testing.assert_allclose(trace.stepped["loss"][:, 0], (-7.0 * 0.91**t) ** 2 / 20 + (2.0 * 0.8**t) ** 2)
    assert trace.static["names"].tolist() == ["SGD (lr = 0.9)"]


# --- Labels -------------------------------------------------------------------------------------------------------


def test_default_labels_are_the_rules_names(tmp_path: Path) -> None:
    names = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
    optimizers = ", ".join(f'{{ name = "{n}", lr = 0.01 }}' for n in names)
    trace = resolve(tmp_path, f"resolution = 3\nsteps = 2\noptimizers = [{optimizers}]")
    assert trace.static["names"].tolist() == ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "AdamW"]


def test_label_wins_and_repeated_rules_show_their_lr(tmp_path: Path) -> None:
    optimizers = """[
  { name = "sgd", lr = 0.1 },
  { name = "adam", lr = 0.2, label = "my Adam" },
  { name = "sgd", lr = 0.05 },
  { name = "momentum", lr = 0.01 },
  { name = "rmsprop", lr = 0.001, label = "slow" },
  { name = "rmsprop", lr = 0.0001 },
]"""
    trace = resolve(tmp_path, f"resolution = 3\nsteps = 2\noptimizers = {optimizers}")
    expected = ["SGD (lr=0.1)", "my Adam", "SGD (lr=0.05)", "Momentum", "slow", "RMSProp (lr=0.0001)"]
    assert trace.static["names"].tolist() == expected


def test_labels_that_would_be_equal_are_numbered(tmp_path: Path) -> None:
    optimizers = '[{ name = "sgd", lr = 0.1 }, { name = "sgd", lr = 0.1, start = [1, 1] }, { name = "adam" }]'
    trace = resolve(tmp_path, f"resolution = 3\nsteps = 2\noptimizers = {optimizers}")
    assert trace.static["names"].tolist() == ["SGD (lr=0.1) #1", "SGD (lr=0.1) #2", "Adam"]


# --- Errors -------------------------------------------------------------------------------------------------------


BASE = """[sources.bowl]
kind = "optimizer"
objective = "elliptic"
x = [-10, 10]
y = [-10, 10]
resolution = 11
start = [-7.0, 2.0]
steps = 20
optimizers = [
  { name = "momentum", lr = 0.1 },
  { name = "sgd", lr = 0.95 },
  { name = "adagrad", lr = 1.5 },
]

[[panels]]
layers = [
  { kind = "contour", x = "bowl.X", y = "bowl.Y", z = "bowl.Z" },
  { kind = "path", x = "bowl.x", y = "bowl.y", names = "bowl.names" },
]
"""


def variant(tmp_path: Path, old: str, new: str) -> tuple[Path, str]:
    assert BASE.count(old) == 1, old
    text = BASE.replace(old, new)
    return write_spec(tmp_path, text), text


def validation_error(spec: Path) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_and_validate(spec)
    return info.value


def test_base_spec_runs(tmp_path: Path) -> None:
    prepared = prepare(write_spec(tmp_path, BASE))
    assert prepared.traces["bowl"].stepped["x"].shape == (21, 3)


def test_divergence_is_reported_at_the_optimizers_lr(tmp_path: Path) -> None:
    """SGD with lr 0.1 on Rosenbrock overflows within a few steps; Adam and AdaGrad beside it do not."""
    text = BASE.replace('objective = "elliptic"', 'objective = "rosenbrock"').replace("[-7.0, 2.0]", "[-1.2, 1.0]")
    text = text.replace('{ name = "momentum", lr = 0.1 }', '{ name = "adam", lr = 0.1 }')
    text = text.replace('{ name = "sgd", lr = 0.95 }', '{ name = "sgd", lr = 0.1 }')
    spec = write_spec(tmp_path, text)
    load_and_validate(spec)  # valid: the problem shows only when it runs
    with pytest.raises(SpecError) as info:
        prepare(spec)
    line = line_of(text, '{ name = "sgd", lr = 0.1 }')
    assert_located(info.value, spec, line, "sources.bowl.optimizers[1].lr", "SGD diverged at step", "lower lr")


def test_nan_at_a_finite_point_is_the_formulas_fault(tmp_path: Path) -> None:
    spec, text = variant(tmp_path, 'objective = "elliptic"', 'formula = "sqrt(x + 8) + y**2"')
    with pytest.raises(SpecError) as info:
        prepare(spec)  # the grid is partly finite, but the start (−7, 2) walks left of x = −8
    assert_located(info.value, spec, line_of(text, "formula ="), "sources.bowl.formula", "undefined (nan)")


HOSTILE = {
    "import.toml": ("__import__('os')", "unknown function '__import__'"),
    "attribute.toml": ("x.__class__", "attribute access is not allowed"),
}


def test_hostile_formulas_are_refused_by_validate(tmp_path: Path) -> None:
    """`scenespec validate` refuses both (exit 2), each located at its formula, with no traceback."""
    lines = {}
    for file, (formula, _) in HOSTILE.items():
        text = BASE.replace('objective = "elliptic"', f'formula = "{formula}"')
        write_spec(tmp_path, text, file)
        lines[file] = line_of(text, "formula =")
    result = run_cli(["validate", *HOSTILE], cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    errors = result.stderr.strip().splitlines()
    assert len(errors) == len(HOSTILE), result.stderr
    for error, (file, (_, message)) in zip(errors, HOSTILE.items(), strict=True):
        assert error.startswith(f"error: {file}:{lines[file]}: sources.bowl.formula: "), error
        assert message in error


@pytest.mark.parametrize(
    ("old", "new", "key", "fragment"),
    [
        (
            'objective = "elliptic"',
            'objective = "elliptic"\nformula = "x**2"',
            "sources.bowl",
            "either `objective` (a built-in) or `formula` (your own), not both",
        ),
        ("x = [-10, 10]", "x = [1, -1]", "sources.bowl.x", "min < max"),
        (
            '{ name = "adagrad", lr = 1.5 }',
            '{ name = "adagrd", lr = 1.5 }',
            "sources.bowl.optimizers[2].name",
            "'adagrd'; did you mean 'adagrad'?",
        ),
        (
            '{ name = "adagrad", lr = 1.5 }',
            '{ name = "adagrad", learning_rate = 1.5 }',
            "sources.bowl.optimizers[2].learning_rate",
            "unknown key 'learning_rate'; did you mean 'lr'?",
        ),
        (
            '{ name = "adagrad", lr = 1.5 }',
            "{ lr = 1.5 }",
            "sources.bowl.optimizers[2]",
            "missing key 'name' (which optimizer this is)",
        ),
        (
            'names = "bowl.names" }',
            'names = "bowl.names", z = "bowl.loss" }',
            "panels[0].layers[0].kind",
            "'contour' layer cannot be drawn in 3D",
        ),
        ("start = [-7.0, 2.0]", "start = [nan, 2.0]", "sources.bowl.start[0]", "expected a finite number"),
        ("x = [-10, 10]", "x = [-inf, 10]", "sources.bowl.x[0]", "expected a finite number"),
    ],
    ids=[
        "objective-and-formula",
        "reversed-range",
        "unknown-optimizer",
        "unknown-hyperparameter",
        "optimizer-without-name",
        "contour-in-3d",
        "nan-start",
        "infinite-range",
    ],
)
def test_spec_mistakes_are_located(tmp_path: Path, old: str, new: str, key: str, fragment: str) -> None:
    spec, text = variant(tmp_path, old, new)
    line = {
        "sources.bowl": line_of(text, "[sources.bowl]"),
        "panels[0].layers[0].kind": line_of(text, 'kind = "contour"'),
    }.get(key, line_of(text, new.splitlines()[-1]))
    assert_located(validation_error(spec), spec, line, key, fragment)


def test_formula_with_functions_and_constants(tmp_path: Path) -> None:
    """A formula with whitelisted functions and constants is evaluated as numpy would."""
    spec, _ = variant(tmp_path, 'objective = "elliptic"', 'formula = "hypot(x, y) + cos(pi*x)"')
    trace = prepare(spec).traces["bowl"]
    X, Y = trace.static["X"], trace.static["Y"]
    np.testing.assert_allclose(trace.static["Z"], np.hypot(X, Y) + np.cos(math.pi * X), rtol=1e-15)
