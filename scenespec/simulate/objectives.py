"""Objectives f(x, y) for the optimizer simulator: built-ins with exact gradients, or a formula.

Built-ins are the classic test functions (and article 004's elongated bowl). A
custom formula goes through the whitelisted expression evaluator and is
differentiated by central differences with a step of `FORMULA_STEP · max(1, |p|)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scenespec.expression import Expression

Array = np.ndarray
Gradient = Callable[[Array, Array], tuple[Array, Array]]

FORMULA_STEP = 1e-5
"""Relative step h of the central differences (f(p + h) − f(p − h)) / 2h used for formulas."""


@dataclass(frozen=True)
class Objective:
    """A function of (x, y) that works on numpy arrays of any shape, with its gradient."""

    name: str
    formula: str
    value: Callable[[Array, Array], Array]
    gradient: Gradient
    x_range: tuple[float, float] = (-10.0, 10.0)
    y_range: tuple[float, float] = (-10.0, 10.0)
    start: tuple[float, float] = (-7.0, 2.0)
    minima: tuple[tuple[float, float], ...] = ()

    def gradient_at(self, point: Array) -> Array:
        """The gradient at one point (d = 2), as the optimizer rules want it."""
        gx, gy = self.gradient(point[0], point[1])
        return np.array([float(gx), float(gy)])


def _elliptic(x: Array, y: Array) -> Array:
    return x**2 / 20 + y**2


def _elliptic_grad(x: Array, y: Array) -> tuple[Array, Array]:
    return x / 10, 2 * y


def _rosenbrock(x: Array, y: Array) -> Array:
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _rosenbrock_grad(x: Array, y: Array) -> tuple[Array, Array]:
    return -2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)


_BEALE_TERMS = ((1.5, 1), (2.25, 2), (2.625, 3))


def _beale(x: Array, y: Array) -> Array:
    return sum((c - x + x * y**k) ** 2 for c, k in _BEALE_TERMS)


def _beale_grad(x: Array, y: Array) -> tuple[Array, Array]:
    gx = sum(2 * (c - x + x * y**k) * (y**k - 1) for c, k in _BEALE_TERMS)
    gy = sum(2 * (c - x + x * y**k) * (k * x * y ** (k - 1)) for c, k in _BEALE_TERMS)
    return gx, gy


def _himmelblau(x: Array, y: Array) -> Array:
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def _himmelblau_grad(x: Array, y: Array) -> tuple[Array, Array]:
    a, b = x**2 + y - 11, x + y**2 - 7
    return 4 * x * a + 2 * b, 2 * a + 4 * y * b


def _saddle(x: Array, y: Array) -> Array:
    return x**2 - y**2


def _saddle_grad(x: Array, y: Array) -> tuple[Array, Array]:
    return 2 * x, -2 * y


BUILTIN_OBJECTIVES: dict[str, Objective] = {
    "elliptic": Objective(
        "elliptic", "x**2/20 + y**2", _elliptic, _elliptic_grad, (-10, 10), (-10, 10), (-7, 2), ((0, 0),)
    ),
    "rosenbrock": Objective(
        "rosenbrock",
        "(1 - x)**2 + 100*(y - x**2)**2",
        _rosenbrock,
        _rosenbrock_grad,
        (-2, 2),
        (-1, 3),
        (-1.2, 1.0),
        ((1, 1),),
    ),
    "beale": Objective(
        "beale",
        "(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2",
        _beale,
        _beale_grad,
        (-4.5, 4.5),
        (-4.5, 4.5),
        (1.0, 1.4),
        ((3, 0.5),),
    ),
    "himmelblau": Objective(
        "himmelblau",
        "(x**2 + y - 11)**2 + (x + y**2 - 7)**2",
        _himmelblau,
        _himmelblau_grad,
        (-5, 5),
        (-5, 5),
        (-0.3, -0.9),
        ((3, 2), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
    ),
    "saddle": Objective("saddle", "x**2 - y**2", _saddle, _saddle_grad, (-2, 2), (-2, 2), (-1.5, 0.01)),
}


def formula_objective(expression: Expression) -> Objective:
    """An objective from a checked formula; its gradient by central differences."""

    def value(x: Array, y: Array) -> Array:
        return expression(x=np.asarray(x, dtype=float), y=np.asarray(y, dtype=float))

    def gradient(x: Array, y: Array) -> tuple[Array, Array]:
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        hx = FORMULA_STEP * np.maximum(1.0, np.abs(x))
        hy = FORMULA_STEP * np.maximum(1.0, np.abs(y))
        gx = (value(x + hx, y) - value(x - hx, y)) / (2 * hx)
        gy = (value(x, y + hy) - value(x, y - hy)) / (2 * hy)
        return gx, gy

    return Objective("formula", expression.text, value, gradient)
