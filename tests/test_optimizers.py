"""The numpy update rules against torch.optim itself, the article's closed form, noise, validation, divergence."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
from pydantic import TypeAdapter, ValidationError
from torch_reference import TORCH_OPTIMIZERS

from scenespec.simulate.optimizers import (
    OPTIMIZER_NAMES,
    Descent,
    Optimizer,
    OptimizerSpec,
    descend,
)

ADAPTER: TypeAdapter[Optimizer] = TypeAdapter(OptimizerSpec)
COMMON_FIELDS = {"name", "label", "start", "noise", "seed"}
# torch arguments that choose an implementation, not the path.
TORCH_KNOBS = {"params", "foreach", "differentiable", "fused", "capturable", "decoupled_weight_decay"}
SGD_FAMILY = {"sgd", "momentum", "nesterov"}
STEPS = 50


def spec_of(data: dict[str, Any]) -> Optimizer:
    return ADAPTER.validate_python(data)


def hyperparameters(spec: Optimizer) -> dict[str, Any]:
    """The spec's torch.optim keyword arguments: every field but the common ones."""
    return spec.model_dump(exclude=COMMON_FIELDS)


# --- Objectives: one formula for torch's autograd, and its exact gradient in numpy ------------------------------


@dataclass(frozen=True)
class Objective:
    f: Callable[[Any, Any], Any]
    gradient: Callable[[np.ndarray], np.ndarray]
    start: tuple[float, float]
    sgd_lr: float  # SGD's step grows with the gradient: steep objectives need a small lr
    adaptive_lr: float


def elliptic_gradient(p: np.ndarray) -> np.ndarray:
    return np.array([p[0] / 10, 2 * p[1]])


def rosenbrock_gradient(p: np.ndarray) -> np.ndarray:
    x, y = p
    return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


def saddle_gradient(p: np.ndarray) -> np.ndarray:
    return np.array([2 * p[0], -2 * p[1]])


OBJECTIVES = {
    "elliptic": Objective(lambda x, y: x**2 / 20 + y**2, elliptic_gradient, (-7.0, 2.0), 0.1, 0.1),
    "rosenbrock": Objective(
        lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2, rosenbrock_gradient, (-1.5, 2.0), 2e-4, 0.05
    ),
    "saddle": Objective(lambda x, y: x**2 - y**2, saddle_gradient, (-1.5, 0.01), 0.05, 0.05),
}

SETTINGS: dict[str, list[dict[str, Any]]] = {
    "sgd": [
        {"weight_decay": 0.1},
        {"momentum": 0.7, "dampening": 0.2},
        {"momentum": 0.8, "nesterov": True, "weight_decay": 0.05},
        {"maximize": True},
    ],
    "momentum": [{"momentum": 0.5, "weight_decay": 0.1}, {"dampening": 0.5}],
    "nesterov": [{"momentum": 0.6}, {"weight_decay": 0.1, "maximize": True}],
    "adagrad": [{"weight_decay": 0.1}, {"lr_decay": 0.05}, {"initial_accumulator_value": 0.5}, {"maximize": True}],
    "rmsprop": [
        {"weight_decay": 0.1},
        {"centered": True},
        {"momentum": 0.6},
        {"centered": True, "momentum": 0.6, "alpha": 0.9},
        {"maximize": True},
    ],
    "adam": [{"weight_decay": 0.1}, {"amsgrad": True}, {"betas": (0.5, 0.9), "eps": 1e-6}, {"maximize": True}],
    "adamw": [
        {"weight_decay": 0.1},
        {"amsgrad": True, "weight_decay": 0.05},
        {"betas": (0.8, 0.99)},
        {"maximize": True},
    ],
}


def parity_cases() -> list[Any]:
    """Every rule with torch's defaults, then with each setting at the objective's lr, on every objective."""
    cases = []
    for objective_name, objective in OBJECTIVES.items():
        for name in OPTIMIZER_NAMES:
            lr = objective.sgd_lr if name in SGD_FAMILY else objective.adaptive_lr
            for setting in [None, *SETTINGS[name]]:
                if setting and setting.get("maximize") and name in SGD_FAMILY and objective_name == "rosenbrock":
                    continue  # gradient ascent on a quartic overflows within 50 steps
                data = {"name": name} if setting is None else {"name": name, "lr": lr, **setting}
                label = "defaults" if setting is None else ",".join(f"{k}={v}" for k, v in setting.items())
                cases.append(pytest.param(objective_name, data, id=f"{objective_name}-{name}-{label}"))
    return cases


def run_torch(
    spec: Optimizer, f: Callable[..., Any], start: Any, steps: int, grads: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """torch.optim's path (single-tensor code path) on a float64 parameter.

    Gradients come from autograd of `f(*p)`, or from `grads[t]` when given.
    """
    p = torch.nn.Parameter(torch.tensor(start, dtype=torch.float64))
    optimizer = TORCH_OPTIMIZERS[spec.name]([p], foreach=False, **hyperparameters(spec))
    positions, gradients = [p.detach().clone()], []
    for t in range(steps + 1):
        optimizer.zero_grad()
        if grads is None:
            f(*p).backward()
        else:
            p.grad = torch.tensor(grads[t])
        gradients.append(p.grad.detach().clone())
        if t < steps:
            optimizer.step()
            positions.append(p.detach().clone())
    return torch.stack(positions).numpy(), torch.stack(gradients).numpy()


# --- Parity with torch.optim ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("objective_name", "data"), parity_cases())
def test_same_path_as_torch(objective_name: str, data: dict[str, Any]) -> None:
    objective = OBJECTIVES[objective_name]
    spec = spec_of(data)
    ours = descend(spec, np.array(objective.start), objective.gradient, STEPS)
    torch_positions, torch_gradients = run_torch(spec, objective.f, objective.start, STEPS)

    assert ours.positions.shape == ours.gradients.shape == (STEPS + 1, 2)
    assert np.isfinite(torch_positions).all(), "pick an lr that does not diverge"
    np.testing.assert_allclose(ours.positions, torch_positions, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.gradients, torch_gradients, rtol=1e-9, atol=1e-9)
    assert not np.allclose(ours.positions[-1], ours.positions[0]), "the optimizer should move"


def test_more_than_two_coordinates() -> None:
    """Rules are per coordinate, for any dimension, not just (x, y)."""
    weights = np.array([1.0, 3.0, 0.5])
    start = [1.0, -2.0, 0.5]

    def f(*p: torch.Tensor) -> torch.Tensor:
        return (torch.tensor(weights) * torch.stack(p) ** 2).sum()

    for name in ("nesterov", "rmsprop", "adamw"):
        spec = spec_of({"name": name, "lr": 0.05, "weight_decay": 0.1})
        ours = descend(spec, np.array(start), lambda p: 2 * weights * p, STEPS)
        positions, _ = run_torch(spec, f, start, STEPS)
        np.testing.assert_allclose(ours.positions, positions, rtol=1e-9, atol=1e-9)


def test_momentum_buffer_starts_as_the_first_gradient() -> None:
    """torch clones the first gradient into the buffer: momentum's first step is plain SGD's."""
    objective = OBJECTIVES["elliptic"]
    plain = descend(spec_of({"name": "sgd", "lr": 0.3}), objective.start, objective.gradient, 2)
    heavy = descend(spec_of({"name": "momentum", "lr": 0.3}), objective.start, objective.gradient, 2)
    np.testing.assert_array_equal(heavy.positions[1], plain.positions[1])
    assert not np.allclose(heavy.positions[2], plain.positions[2])


# --- Article 004's observation, in closed form ---------------------------------------------------------------


def test_article_sgd_zigzags_in_y_and_converges_in_x() -> None:
    """SGD lr 0.9 on x²/20 + y²: x ← (1 − 0.9/10)·x = 0.91·x and y ← (1 − 1.8)·y = −0.8·y."""
    steps = 100
    descent = descend(spec_of({"name": "sgd", "lr": 0.9}), np.array([-7.0, 2.0]), elliptic_gradient, steps)
    t = np.arange(steps + 1)
    x, y = descent.positions.T
    np.testing.assert_allclose(x, -7 * 0.91**t, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y, 2 * (-0.8) ** t, rtol=1e-12, atol=1e-12)
    assert (np.sign(y[1:]) == -np.sign(y[:-1])).all()  # zig-zag: y changes sign at every step
    assert (x < 0).all()  # x never crosses the minimum
    assert (np.diff(np.abs(x)) < 0).all()  # and closes in on it monotonically


# --- Noise ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_noisy_gradients_recorded_are_the_ones_used(name: str) -> None:
    objective = OBJECTIVES["elliptic"]
    spec = spec_of({"name": name, "lr": 0.1, "noise": 0.5, "seed": 3})
    ours = descend(spec, objective.start, objective.gradient, STEPS)
    positions, _ = run_torch(spec, objective.f, objective.start, STEPS, grads=ours.gradients)
    np.testing.assert_allclose(ours.positions, positions, rtol=1e-9, atol=1e-9)

    # The documented definition: exact gradient + noise · z, one standard_normal(d) per position, in order.
    exact = np.array([objective.gradient(p) for p in ours.positions])
    draws = np.random.default_rng(3).standard_normal((STEPS + 1, 2))
    np.testing.assert_allclose(ours.gradients - exact, 0.5 * draws, rtol=1e-9, atol=1e-12)


def test_noise_is_seeded() -> None:
    objective = OBJECTIVES["elliptic"]

    def run(seed: int) -> Descent:
        return descend(
            spec_of({"name": "adam", "lr": 0.1, "noise": 1.0, "seed": seed}), objective.start, objective.gradient, STEPS
        )

    first, again, other = run(7), run(7), run(8)
    np.testing.assert_array_equal(first.positions, again.positions)
    np.testing.assert_array_equal(first.gradients, again.gradients)
    assert not np.allclose(first.positions[1:], other.positions[1:])


def test_noise_has_the_given_standard_deviation() -> None:
    steps, noise = 5000, 0.3
    descent = descend(spec_of({"name": "sgd", "noise": noise, "seed": 1}), np.zeros(2), np.zeros_like, steps)
    samples = descent.gradients.ravel()  # the exact gradient is 0: what is left is the noise
    assert abs(samples.mean()) < 0.02
    assert samples.std() == pytest.approx(noise, rel=0.05)


def test_no_noise_means_exact_gradients() -> None:
    objective = OBJECTIVES["rosenbrock"]
    descent = descend(spec_of({"name": "adagrad"}), objective.start, objective.gradient, 10)
    exact = np.array([objective.gradient(p) for p in descent.positions])
    np.testing.assert_array_equal(descent.gradients, exact)


# --- The spec models ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_defaults_are_torchs(name: str) -> None:
    spec = spec_of({"name": name})
    parameters = inspect.signature(TORCH_OPTIMIZERS[name]).parameters
    expected = {key: p.default for key, p in parameters.items() if key not in TORCH_KNOBS}
    if name in ("momentum", "nesterov"):
        expected["momentum"] = 0.9  # the convenience names differ from SGD by these defaults only
    if name == "nesterov":
        expected["nesterov"] = True
    assert hyperparameters(spec) == expected  # the same names, all of them, and the same values
    assert (spec.label, spec.start, spec.noise, spec.seed) == (None, None, 0.0, 0)


def test_names_in_order() -> None:
    assert OPTIMIZER_NAMES == ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "sgd", "lr": -0.1}, "greater than 0"),
        ({"name": "adam", "lr": 0}, "greater than 0"),
        ({"name": "sgd", "lr": float("inf")}, "finite"),
        ({"name": "sgd", "momentum": -0.9}, "greater than or equal to 0"),
        ({"name": "sgd", "nesterov": True}, "nesterov needs momentum > 0"),
        ({"name": "nesterov", "momentum": 0}, "nesterov needs momentum > 0"),
        ({"name": "nesterov", "dampening": 0.1}, "nesterov needs dampening = 0"),
        ({"name": "adam", "betas": [0.9, 1.0]}, "betas[1] is a decay rate, in [0, 1)"),
        ({"name": "adamw", "betas": [-0.1, 0.999]}, "betas[0] is a decay rate"),
        ({"name": "adam", "eps": 0}, "greater than 0"),
        ({"name": "rmsprop", "alpha": -0.5}, "greater than or equal to 0"),
        ({"name": "adagrad", "lr_decay": -1}, "greater than or equal to 0"),
        ({"name": "sgd", "noise": -1}, "greater than or equal to 0"),
        ({"name": "adam", "learning_rate": 0.1}, "unknown key 'learning_rate'"),
        ({"name": "adam", "beta1": 0.9}, "unknown key 'beta1'; did you mean 'betas'?"),
        ({"name": "adamax"}, "does not match any of the expected tags"),
    ],
)
def test_invalid_specs(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as error:
        spec_of(data)
    assert message in str(error.value)


# --- Divergence ---------------------------------------------------------------------------------------------------


def test_divergence_fills_nan_without_warnings() -> None:
    objective = OBJECTIVES["rosenbrock"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        descent = descend(spec_of({"name": "sgd", "lr": 1.0}), objective.start, objective.gradient, STEPS)
    finite = np.isfinite(descent.positions).all(axis=1)
    first = int(np.argmin(finite))
    assert 0 < first < STEPS
    assert finite[:first].all()
    assert np.isnan(descent.positions[first + 1 :]).all()
    assert np.isnan(descent.gradients[first:]).all()


def test_inputs_are_left_alone() -> None:
    start = np.array([-7.0, 2.0])
    seen: list[np.ndarray] = []

    def gradient(p: np.ndarray) -> np.ndarray:
        seen.append(p)
        g = elliptic_gradient(p)
        p[:] = 99.0  # a careless callable cannot move the optimizer
        return g

    descent = descend(spec_of({"name": "sgd", "lr": 0.9}), start, gradient, 3)
    np.testing.assert_array_equal(start, [-7.0, 2.0])
    np.testing.assert_allclose(descent.positions[1], [-7 * 0.91, 2 * -0.8], rtol=1e-15)
    assert len(seen) == 4


def test_zero_steps() -> None:
    descent = descend(spec_of({"name": "adam"}), (-7.0, 2.0), elliptic_gradient, 0)
    np.testing.assert_array_equal(descent.positions, [[-7.0, 2.0]])
    np.testing.assert_array_equal(descent.gradients, [[-0.7, 4.0]])
