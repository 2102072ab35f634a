"""Data sets a trainer learns from: synthetic ones made from a seed, or columns of a CSV file.

Not a source kind itself (it registers nothing); trainers embed these as their `data`.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, NonNegativeFloat, field_validator, model_validator

from scenespec.errors import did_you_mean
from scenespec.expression import compile_expression
from scenespec.sources.base import ResolveContext
from scenespec.validate.base import Pair, Seed, SpecModel


class LineData(SpecModel):
    """Points on a straight line plus Gaussian noise: y = slope·x + intercept + N(0, noise²)."""

    kind: Literal["line"]
    slope: float = Field(1.0, description="Slope of the true line.")
    intercept: float = Field(0.0, description="Intercept of the true line.")
    noise: NonNegativeFloat = Field(1.0, description="Standard deviation of the Gaussian noise on y.")
    n: int = Field(50, ge=2, le=10_000_000, description="Number of points.")
    x: Pair[float] = Field((0.0, 10.0), description="Range [low, high] of x.")
    spacing: Literal["even", "random"] = Field(
        "even", description="`even`: x evenly spaced over the range (as article 001); `random`: uniform draws."
    )
    seed: Seed = Field(0, description="Seed of the noise (and of x when spacing is random).")

    @model_validator(mode="after")
    def _range_is_increasing(self) -> LineData:
        if not self.x[0] < self.x[1]:
            raise ValueError("x range must be [low, high] with low < high")
        return self

    def load(self, ctx: ResolveContext) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.seed)
        if self.spacing == "even":
            x = np.linspace(self.x[0], self.x[1], self.n)
        else:
            x = np.sort(rng.uniform(self.x[0], self.x[1], self.n))
        y = self.slope * x + self.intercept + rng.normal(0.0, self.noise, self.n)
        return x, y


class CsvData(SpecModel):
    """Two numeric columns of a CSV file with a header row; the path is relative to the spec."""

    kind: Literal["csv"]
    path: str = Field(description="CSV file, relative to the spec file.")
    x: str = Field("x", description="Column holding x.")
    y: str = Field("y", description="Column holding y.")

    def file(self, ctx: ResolveContext) -> Path:
        return ctx.folder("data", "path") / self.path

    def load(
        self, ctx: ResolveContext, read: Callable[[Path], bytes] = Path.read_bytes
    ) -> tuple[np.ndarray, np.ndarray]:
        """The columns x and y of the file, whose bytes `read` gets (the trainer passes its `read_input`)."""
        file = self.file(ctx)
        try:
            text = read(file).decode("utf-8")
        except OSError as exc:
            raise ctx.error(f"cannot read CSV file {str(file)!r}: {exc.strerror}", "data", "path") from None
        except UnicodeDecodeError as exc:
            raise ctx.error(
                f"{file.name} is not UTF-8 text ({exc.reason} at byte {exc.start})", "data", "path"
            ) from None
        try:
            rows = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:  # a cell longer than the csv module's limit (128 KiB), a stray quote, …
            raise ctx.error(f"{file.name} is not a CSV table: {exc}", "data", "path") from None
        if len(rows) < 3:
            raise ctx.error(f"{file.name}: need a header row and at least two data rows", "data", "path")
        header = [h.strip() for h in rows[0]]
        columns = []
        for key in ("x", "y"):
            name = getattr(self, key)
            if name not in header:
                hint = did_you_mean(name, header)
                raise ctx.error(f"{file.name} has no column {name!r}{hint} (columns: {', '.join(header)})", "data", key)
            columns.append(header.index(name))
        values = np.empty((len(rows) - 1, 2))
        for row_no, row in enumerate(rows[1:], start=2):
            for j, col in enumerate(columns):
                cell = row[col] if col < len(row) else ""
                try:
                    values[row_no - 2, j] = float(cell)
                except ValueError:
                    raise ctx.error(f"{file.name}:{row_no}: not a number: {cell!r}", "data", "path") from None
                if not math.isfinite(values[row_no - 2, j]):  # `inf` and `nan` parse, and no model can learn them
                    raise ctx.error(f"{file.name}:{row_no}: not a finite number: {cell!r}", "data", "path")
        return values[:, 0], values[:, 1]


TARGETS = {
    "linear": lambda x: 2.0 * x + 1.0,
    "sine": lambda x: np.sin(2.0 * x),
    "step": lambda x: np.where(x >= 0.0, 1.0, 0.0),
}
"""The built-in targets of `function` data: linear 2x + 1, sine sin(2x), step 0 for x < 0 and 1 for x ≥ 0."""


class FunctionData(SpecModel):
    """Points y = f(x) + noise, the noise possibly growing with x (article 002's heteroscedastic data).

    f is a built-in `target` or your own `formula` in x. x is drawn uniformly at random over the range
    (then sorted) or evenly spaced. The noise at x is Gaussian with standard deviation
    `noise · (1 + noise_growth · (x − low) / (high − low))`: constant when `noise_growth` is 0, and
    `1 + noise_growth` times larger at the high end of the range than at the low end. The seed draws x
    (when random) first, then the noise.
    """

    kind: Literal["function"]
    target: Literal["linear", "sine", "step"] | None = Field(
        None,
        description="The true function: `linear` is 2x + 1, `sine` is sin(2x), `step` is 0 for x < 0 and 1 for "
        "x ≥ 0. Default `linear` unless `formula` is set.",
    )
    formula: str | None = Field(
        None, description="Your own true function of `x` (a whitelisted formula such as `x**2 - 1`), not a `target`."
    )
    n: int = Field(1000, ge=2, le=10_000_000, description="Number of points.")
    x: Pair[float] = Field((-3.0, 3.0), description="Range [low, high] of x.")
    spacing: Literal["random", "even"] = Field(
        "random", description="`random`: uniform draws over the range, sorted; `even`: evenly spaced."
    )
    noise: NonNegativeFloat = Field(0.1, description="Standard deviation of the Gaussian noise on y at the low end.")
    noise_growth: NonNegativeFloat = Field(
        0.0, description="How much the noise grows along x: its sd at the high end is `noise · (1 + noise_growth)`."
    )
    seed: Seed = Field(0, description="Seed of x (when random) and of the noise.")

    @field_validator("formula")
    @classmethod
    def _valid_formula(cls, value: str | None) -> str | None:
        if value is not None:
            compile_expression(value, ("x",))
        return value

    @model_validator(mode="after")
    def _one_function_and_increasing_range(self) -> FunctionData:
        if self.target is not None and self.formula is not None:
            raise ValueError("set either `target` (a built-in function) or `formula` (your own), not both")
        if not self.x[0] < self.x[1]:
            raise ValueError("x range must be [low, high] with low < high")
        return self

    def truth(self, x: np.ndarray) -> np.ndarray:
        """f(x), without noise."""
        if self.formula is not None:
            return compile_expression(self.formula, ("x",))(x=x)
        return np.asarray(TARGETS[self.target or "linear"](x), dtype=np.float64)

    def load(self, ctx: ResolveContext) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.seed)
        low, high = self.x
        x = np.linspace(low, high, self.n) if self.spacing == "even" else np.sort(rng.uniform(low, high, self.n))
        f = self.truth(x)
        if not np.all(np.isfinite(f)):
            bad = float(x[np.argmax(~np.isfinite(f))])
            raise ctx.error(f"the formula is not a finite number at x = {bad:g}; check its domain", "data", "formula")
        sd = self.noise * (1.0 + self.noise_growth * (x - low) / (high - low))
        y = f + rng.normal(0.0, 1.0, self.n) * sd
        return x, y


DataSpec = Annotated[LineData | CsvData | FunctionData, Field(discriminator="kind")]
