"""Data sets a trainer learns from: synthetic ones made from a seed, or columns of a CSV file.

Not a source kind itself (it registers nothing); trainers embed these as their `data`.
"""

from __future__ import annotations

import csv
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, NonNegativeFloat, model_validator

from scenespec.errors import did_you_mean
from scenespec.sources.base import ResolveContext
from scenespec.validate.base import SpecModel


class LineData(SpecModel):
    """Points on a straight line plus Gaussian noise: y = slope·x + intercept + N(0, noise²)."""

    kind: Literal["line"]
    slope: float = Field(1.0, description="Slope of the true line.")
    intercept: float = Field(0.0, description="Intercept of the true line.")
    noise: NonNegativeFloat = Field(1.0, description="Standard deviation of the Gaussian noise on y.")
    n: int = Field(50, ge=2, le=10_000_000, description="Number of points.")
    x: tuple[float, float] = Field((0.0, 10.0), description="Range [low, high] of x.")
    spacing: Literal["even", "random"] = Field(
        "even", description="`even`: x evenly spaced over the range (as article 001); `random`: uniform draws."
    )
    seed: int = Field(0, description="Seed of the noise (and of x when spacing is random).")

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

    def load(self, ctx: ResolveContext) -> tuple[np.ndarray, np.ndarray]:
        file = ctx.base_dir / self.path
        try:
            with file.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.reader(handle))
        except OSError as exc:
            raise ctx.error(f"cannot read CSV file {str(file)!r}: {exc.strerror}", "data", "path") from None
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
                try:
                    values[row_no - 2, j] = float(row[col])
                except (ValueError, IndexError):
                    cell = row[col] if col < len(row) else ""
                    raise ctx.error(f"{file.name}:{row_no}: not a number: {cell!r}", "data", "path") from None
        return values[:, 0], values[:, 1]


DataSpec = Annotated[LineData | CsvData, Field(discriminator="kind")]
