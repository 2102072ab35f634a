"""Source `trainer`: fit a model by gradient descent and record every epoch.

Model `linear` is article 001's y = w·x + b, trained with plain gradient descent
per sample, per mini-batch or on the full batch. Step 0 is the initial model,
step e the model after epoch e.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, PositiveFloat

from scenespec.resolve.trace import Trace
from scenespec.sources.base import ResolveContext, SourceSpec, register_source
from scenespec.sources.datasets import DataSpec
from scenespec.validate.base import SpecModel


class SgdOptimizer(SpecModel):
    """Plain gradient descent: θ ← θ − lr·∇loss(batch)."""

    name: Literal["sgd"] = Field("sgd", description="The update rule (only plain SGD for the linear model).")
    lr: PositiveFloat = Field(0.01, description="Learning rate.")


class InitialWeights(SpecModel):
    """Weights before the first update (article 001 starts from w = -1, b = 1)."""

    w: float = Field(0.0, description="Initial slope.")
    b: float = Field(0.0, description="Initial intercept.")


@register_source
class TrainerSource(SourceSpec):
    """Train a model on a data set and record weights, predictions and loss after every epoch.

    Trace fields: `x`, `y` (static: the data); `w`, `b`, `pred` (w·x + b at every data
    point) and `loss` (over the whole data set), recorded per step. Step 0 is the
    initial model, step e the model after epoch e.
    """

    example = """
[sources.fit]
kind = "trainer"
data = { kind = "line", slope = 1.0, intercept = -2.0, noise = 1.0, n = 50, seed = 0 }
optimizer = { name = "sgd", lr = 1e-4 }
batch_size = 1
loss = "sse"
init = { w = -1.0, b = 1.0 }
epochs = 500
"""

    kind: Literal["trainer"]
    model: Literal["linear"] = Field("linear", description="The model trained: `linear` is y = w·x + b.")
    data: DataSpec = Field(description="The training data: a synthetic `line` or a `csv` file.")
    optimizer: SgdOptimizer = Field(default_factory=SgdOptimizer, description="How weights are updated.")
    epochs: int = Field(100, ge=1, le=1_000_000, description="Passes over the data.")
    batch_size: int | Literal["full"] = Field(
        "full", description="Points per update: 1 is per-sample SGD (article 001), `full` is batch GD."
    )
    shuffle: bool = Field(False, description="Shuffle the order of points every epoch (seeded).")
    seed: int = Field(0, description="Seed of the shuffling.")
    loss: Literal["mse", "sse"] = Field(
        "mse", description="`mse`: mean squared error; `sse`: sum of squared errors (article 001's cost)."
    )
    init: InitialWeights = Field(default_factory=InitialWeights, description="Initial weights.")

    def fields(self, ctx: ResolveContext) -> dict[str, bool]:
        return {"x": False, "y": False, "w": True, "b": True, "pred": True, "loss": True}

    def resolve(self, ctx: ResolveContext) -> Trace:
        x, y = self.data.load(ctx)
        if self.batch_size != "full" and self.batch_size < 1:
            raise ctx.error("batch_size must be a positive integer or 'full'", "batch_size")
        batch = len(x) if self.batch_size == "full" else min(self.batch_size, len(x))
        w, b = train_linear(x, y, self, batch)
        if not (np.all(np.isfinite(w)) and np.all(np.isfinite(b))):
            epoch = int(np.argmax(~(np.isfinite(w) & np.isfinite(b))))
            raise ctx.error(
                f"training diverged at epoch {epoch} (weights became infinite); lower the learning rate",
                "optimizer",
                "lr",
            )
        pred = w[:, None] * x[None, :] + b[:, None]
        return Trace(
            steps=np.arange(self.epochs + 1),
            static={"x": x, "y": y},
            stepped={"w": w, "b": b, "pred": pred, "loss": squared_loss(pred, y, self.loss)},
        )


def squared_loss(pred: np.ndarray, y: np.ndarray, reduction: str) -> np.ndarray:
    """Loss over the last axis: mean (mse) or sum (sse) of squared errors."""
    sq = (pred - y) ** 2
    return sq.mean(axis=-1) if reduction == "mse" else sq.sum(axis=-1)


def train_linear(x: np.ndarray, y: np.ndarray, spec: TrainerSource, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """Gradient descent on w·x + b; returns w and b at steps 0..epochs."""
    rng = np.random.default_rng(spec.seed)
    lr = spec.optimizer.lr
    w_hist = np.empty(spec.epochs + 1)
    b_hist = np.empty(spec.epochs + 1)
    w, b = float(spec.init.w), float(spec.init.b)
    w_hist[0], b_hist[0] = w, b
    order = np.arange(len(x))
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(1, spec.epochs + 1):
            if spec.shuffle:
                order = rng.permutation(len(x))
            for start in range(0, len(x), batch):
                idx = order[start : start + batch]
                xb, yb = x[idx], y[idx]
                residual = w * xb + b - yb
                scale = 2.0 / len(idx) if spec.loss == "mse" else 2.0
                grad_w = scale * float(residual @ xb)
                grad_b = scale * float(residual.sum())
                w -= lr * grad_w
                b -= lr * grad_b
            w_hist[epoch], b_hist[epoch] = w, b
    return w_hist, b_hist
