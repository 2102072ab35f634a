"""Source `optimizer`: optimizers racing on a 2D objective, and the objective on a grid.

Article 004 draws f(x, y) = x²/20 + y² as a surface, contours and a gradient field,
and the paths of SGD, Momentum and AdaGrad over it. This source produces all of
those numbers; the update rules are torch.optim's (see `scenespec.simulate.optimizers`).
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from scenespec.expression import compile_expression
from scenespec.resolve.trace import Trace
from scenespec.simulate.objectives import BUILTIN_OBJECTIVES, FORMULA_STEP, Objective, formula_objective
from scenespec.simulate.optimizers import OptimizerSpec, descend
from scenespec.sources.base import ResolveContext, SourceSpec, TraceShape, register_source
from scenespec.validate.base import Pair
from scenespec.validate.limits import Usage, number

DISPLAY_NAMES = {
    "sgd": "SGD",
    "momentum": "Momentum",
    "nesterov": "Nesterov",
    "adagrad": "AdaGrad",
    "rmsprop": "RMSProp",
    "adam": "Adam",
    "adamw": "AdamW",
}

Range = Pair[float]
Resolution = Annotated[int, Field(ge=2, le=2000)]


@register_source
class OptimizerSource(SourceSpec):
    """Run optimizers on an objective f(x, y) and evaluate f on a grid.

    Trace fields, static: `X`, `Y`, `Z` (the grid and f on it, shape ny × nx, for
    `surface` and `contour`), `GX`, `GY` (∂f/∂x and ∂f/∂y on the grid, for `quiver`),
    `names` (one label per optimizer), `optimizers` (each optimizer's rule name: `sgd`, `adam`, …, which
    gives its paths their colour in the theme). Stepped, one column per optimizer (shape
    steps+1 × optimizers): `x`, `y` (the position), `loss` (f at the position),
    `grad_x`, `grad_y` (the gradient used for the next update, noise included).
    Step 0 is the start point, step t the position after t updates.
    """

    example = """
[sources.bowl]
kind = "optimizer"
objective = "elliptic"        # x**2/20 + y**2, article 004
x = [-10, 10]
y = [-10, 10]
start = [-7.0, 2.0]
steps = 30
optimizers = [
  { name = "sgd", lr = 0.95 },
  { name = "momentum", lr = 0.1, momentum = 0.9 },
  { name = "adagrad", lr = 1.5 },
]
"""

    kind: Literal["optimizer"]
    objective: Literal["elliptic", "rosenbrock", "beale", "himmelblau", "saddle"] | None = Field(
        None,
        description="A built-in objective with an exact gradient: `elliptic` (x²/20 + y², article 004, the "
        "default), `rosenbrock`, `beale`, `himmelblau`, `saddle` (x² − y²). Leave unset when `formula` is given.",
    )
    formula: str | None = Field(
        None,
        description="A custom objective in x and y, e.g. `x**2/20 + y**2`: arithmetic, powers and named numpy "
        "functions only (see docs/expressions.md); differentiated by central differences.",
    )
    x: Range | None = Field(None, description="Grid range of x [min, max] (default: the objective's usual range).")
    y: Range | None = Field(None, description="Grid range of y [min, max] (default: the objective's usual range).")
    resolution: Resolution | Pair[Resolution] = Field(
        200, description="Grid points per axis, or [nx, ny]; 200 matches article 004's step of 0.1 over [-10, 10]."
    )
    start: Pair[float] | None = Field(
        None, description="Start point of every optimizer that sets none (default: the objective's usual start)."
    )
    steps: int = Field(100, ge=0, le=100_000, description="Updates each optimizer makes.")
    optimizers: list[OptimizerSpec] = Field(
        default_factory=list,
        description='The optimizers racing, each `{ name = "adam", lr = 0.1, … }` with torch.optim\'s '
        "hyperparameter names and defaults. Empty: only the grid is computed.",
    )

    @field_validator("formula")
    @classmethod
    def _valid_formula(cls, value: str | None) -> str | None:
        if value is not None:
            compile_expression(value, ("x", "y"))
        return value

    @field_validator("x", "y")
    @classmethod
    def _increasing(cls, value: Range | None) -> Range | None:
        if value is not None and not value[0] < value[1]:
            raise ValueError(f"a range is [min, max] with min < max; got {list(value)}")
        return value

    @model_validator(mode="after")
    def _one_objective(self) -> OptimizerSource:
        if self.objective is not None and self.formula is not None:
            raise ValueError("set either `objective` (a built-in) or `formula` (your own), not both")
        return self

    def make_objective(self) -> Objective:
        if self.formula is not None:
            return formula_objective(compile_expression(self.formula, ("x", "y")))
        return BUILTIN_OBJECTIVES[self.objective or "elliptic"]

    def labels(self) -> list[str]:
        """Legend labels: the spec's, else the rule's name, with lr added when a name repeats.

        Labels that would still be equal (same rule and lr, other starts) are numbered.
        """
        counts = Counter(o.name for o in self.optimizers)
        out = []
        for o in self.optimizers:
            if o.label is not None:
                out.append(o.label)
            else:
                name = DISPLAY_NAMES[o.name]
                out.append(f"{name} (lr={o.lr:g})" if counts[o.name] > 1 else name)
        totals, seen = Counter(out), Counter[str]()
        for i, label in enumerate(out):
            if totals[label] > 1:
                seen[label] += 1
                out[i] = f"{label} #{seen[label]}"
        return out

    def fields(self, ctx: ResolveContext) -> dict[str, bool]:
        static = dict.fromkeys(("X", "Y", "Z", "GX", "GY", "names", "optimizers"), False)
        return static | dict.fromkeys(("x", "y", "loss", "grad_x", "grad_y"), True)

    def grid_size(self) -> tuple[int, int]:
        """Grid points along x and y."""
        return (self.resolution, self.resolution) if isinstance(self.resolution, int) else self.resolution

    def trace_shape(self, ctx: ResolveContext) -> TraceShape:
        nx, ny = self.grid_size()
        grid = Usage("max_grid_points", nx * ny, ("resolution",), f"a {nx} × {ny} grid ({number(nx * ny)} points)")
        runs = (len(self.optimizers),)
        static = dict.fromkeys(("X", "Y", "Z", "GX", "GY"), (ny, nx)) | {"names": runs, "optimizers": runs}
        stepped = dict.fromkeys(("x", "y", "loss", "grad_x", "grad_y"), runs)
        return TraceShape.of(self.steps + 1, static, stepped, ("steps",), (grid,))

    def resolve(self, ctx: ResolveContext) -> Trace:
        objective = self.make_objective()
        static = self._grid(objective, ctx)
        static["names"] = np.array(self.labels(), dtype=str)
        static["optimizers"] = np.array([o.name for o in self.optimizers], dtype=str)
        columns = [self._run(objective, i, ctx) for i in range(len(self.optimizers))]
        n = self.steps + 1

        def stack(index: int) -> np.ndarray:
            return np.column_stack([c[index] for c in columns]) if columns else np.empty((n, 0))

        stepped = {name: stack(i) for i, name in enumerate(("x", "y", "loss", "grad_x", "grad_y"))}
        return Trace(steps=np.arange(n), static=static, stepped=stepped)

    def _grid(self, objective: Objective, ctx: ResolveContext) -> dict[str, np.ndarray]:
        nx, ny = self.grid_size()
        xs = np.linspace(*(self.x or objective.x_range), nx)
        ys = np.linspace(*(self.y or objective.y_range), ny)
        X, Y = np.meshgrid(xs, ys)
        with np.errstate(all="ignore"):
            Z = np.asarray(objective.value(X, Y), dtype=float)
            GX, GY = (np.asarray(g, dtype=float) for g in objective.gradient(X, Y))
        if not np.isfinite(Z).any():
            raise ctx.error(
                "the objective is not finite anywhere on the grid; check the formula and the x/y ranges",
                "formula" if self.formula is not None else "objective",
            )
        return {"X": X, "Y": Y, "Z": Z, "GX": GX, "GY": GY}

    def _run(self, objective: Objective, index: int, ctx: ResolveContext) -> tuple[np.ndarray, ...]:
        spec = self.optimizers[index]
        start = np.array(spec.start or self.start or objective.start, dtype=float)
        descent = descend(spec, start, objective.gradient_at, self.steps)
        positions, gradients = descent.positions, descent.gradients
        with np.errstate(all="ignore"):
            loss = np.asarray(objective.value(positions[:, 0], positions[:, 1]), dtype=float)
        values = np.column_stack([positions, loss, gradients])
        bad = ~np.isfinite(values).all(axis=1)
        if bad.any():
            step = int(np.argmax(bad))
            where = positions[step]
            if np.isfinite(where).all() and np.isnan(values[step]).any() and _undefined_at(objective, where):
                raise ctx.error(
                    f"{self.labels()[index]}: the objective or its gradient is undefined (nan) at "
                    f"({where[0]:.4g}, {where[1]:.4g}), reached at step {step}",
                    "formula" if self.formula is not None else "objective",
                )
            raise ctx.error(
                f"{self.labels()[index]} diverged at step {step} (the position or the loss became infinite); lower lr",
                "optimizers",
                index,
                "lr",
            )
        return positions[:, 0], positions[:, 1], loss, gradients[:, 0], gradients[:, 1]


def _undefined_at(objective: Objective, where: np.ndarray) -> bool:
    """Whether a nan at a finite position means the objective is undefined there (`log` of a negative number),
    rather than that the optimizer ran off to where it overflows: a formula's gradient, by central differences,
    is inf − inf = nan there, and that is a divergence to report at `lr`."""
    h = FORMULA_STEP * np.maximum(1.0, np.abs(where))
    steps = np.array([[0.0, 0.0], [h[0], 0.0], [-h[0], 0.0], [0.0, h[1]], [0.0, -h[1]]])
    points = where[None, :] + steps
    with np.errstate(all="ignore"):
        values = np.array([np.asarray(objective.value(x, y), dtype=float) for x, y in points])
    return bool(np.isnan(values[0]) or not np.isinf(values).any())
