"""Source `trainer`: fit a model to 1-D data and record it as it learns.

Model `linear` is article 001's y = w·x + b, trained with plain gradient descent
per sample, per mini-batch or on the full batch. Step 0 is the initial model,
step e the model after epoch e.

Model `mlp` is article 002's small neural network, trained one mini-batch at a time
with scikit-learn's `MLPRegressor.partial_fit` (scenespec/training/mlp.py). Step b is
the model after b batches, counted across epochs from 1.
"""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, NonNegativeFloat, PositiveFloat, PositiveInt, Tag, model_validator
from typing_extensions import TypeAliasType

from scenespec.record.rules import RecordRule as SharedRule
from scenespec.registry import literal_of
from scenespec.resolve.trace import Trace
from scenespec.sources.base import ResolveContext, SourceSpec, TraceShape, register_source
from scenespec.sources.datasets import CsvData, DataSpec
from scenespec.steps_done import report
from scenespec.training.mlp import Diverged, MlpSettings, batches_per_epoch, eval_indices, train_mlp
from scenespec.validate.base import Seed, SpecModel, discriminator
from scenespec.validate.limits import Usage, number

MAX_HIDDEN_UNITS = 10_000
"""Units per hidden layer: two such layers already hold 10⁸ weights (800 MB); more is a typo, not a teaching net."""

MAX_DATA_MAGNITUDE = 1e100
"""Data beyond this makes every loss infinite (squares overflow float64 near 1e154): refused before training."""


class SgdOptimizer(SpecModel):
    """Plain gradient descent: θ ← θ − lr·∇loss(batch)."""

    name: Literal["sgd"] = Field("sgd", description="The update rule (only plain SGD for the linear model).")
    lr: PositiveFloat = Field(0.01, description="Learning rate.")


class InitialWeights(SpecModel):
    """Weights before the first update (article 001 starts from w = -1, b = 1)."""

    w: float = Field(0.0, description="Initial slope.")
    b: float = Field(0.0, description="Initial intercept.")


class Network(SpecModel):
    """The `mlp` model's network, scikit-learn's `MLPRegressor` (one input, one output)."""

    hidden: list[Annotated[int, Field(ge=1, le=MAX_HIDDEN_UNITS)]] = Field(
        default_factory=lambda: [32, 32],
        min_length=1,
        max_length=20,
        description="Units of each hidden layer (`hidden_layer_sizes`).",
    )
    activation: Literal["relu", "tanh", "logistic", "identity"] = Field(
        "relu", description="Activation of the hidden layers."
    )
    solver: Literal["adam", "sgd"] = Field(
        "adam", description="Update rule: `adam`, or `sgd` (scikit-learn's: momentum 0.9, Nesterov, constant rate)."
    )
    lr: PositiveFloat = Field(0.001, description="Learning rate (`learning_rate_init`).")
    alpha: NonNegativeFloat = Field(0.0, description="L2 penalty on the weights (`alpha`); not in the recorded loss.")


RECORD_RULES = ("every", "batches", "change")


class RecordRule(SpecModel):
    """When the `mlp` model is recorded (article 002's update frequency): exactly one rule.

    The first and the last batch are always recorded as well.
    """

    every: PositiveInt | None = Field(None, description="Record every n-th batch (batches n, 2n, …).")
    batches: list[PositiveInt] | None = Field(
        None, min_length=1, description="Record these batch numbers (counted across epochs from 1; any order)."
    )
    change: PositiveFloat | None = Field(
        None,
        description="Record when the whole-data loss has changed by more than this fraction of its value at the "
        "last record (`0.05`: 5 %). Needs the loss after every batch, so each batch costs a prediction on the "
        "whole data set.",
    )

    @model_validator(mode="after")
    def _exactly_one_rule(self) -> RecordRule:
        given = [key for key in RECORD_RULES if getattr(self, key) is not None]
        if len(given) != 1:
            which = "none" if not given else " and ".join(f"`{key}`" for key in given)
            raise ValueError(
                f"set exactly one of `every` (n), `batches` (a list) or `change` (a fraction); got {which}"
            )
        return self

    def plan(self) -> SharedRule:
        """The rule as the training loop applies it (`scenespec.record.rules`, shared with `scenespec.Recorder`)."""
        return SharedRule(every=self.every, steps=self.batches, change=self.change)


LINEAR_FIELDS = {"x": False, "y": False, "w": True, "b": True, "pred": True, "loss": True}
MLP_FIELDS = {
    "x": False,
    "y": False,
    "eval_x": False,
    "eval_y": False,
    "pred": True,
    "error": True,
    "abs_error": True,
    "loss": True,
    "batch_loss": True,
    "batch": True,
    "epoch": True,
}


@register_source
class TrainerSource(SourceSpec):
    """Train a model on a data set and record it as it learns: the keys every `model` shares.

    The spec holds one of its variants, `LinearTrainer` or `MlpTrainer`, picked by `model`
    (a discriminated union, so a key of the other model is an unknown key).
    """

    kind: Literal["trainer"]
    model: str = Field(description="The model trained.")
    data: DataSpec = Field(description="The training data: a synthetic `line` or `function`, or a `csv` file.")
    epochs: int = Field(100, ge=1, le=1_000_000, description="Passes over the data.")
    batch_size: Annotated[int, Field(ge=1)] | Literal["full"] = Field(
        "full", description="Points per update: 1 is per-sample SGD (article 001), `full` is batch GD."
    )
    shuffle: bool = Field(False, description="Shuffle the points every epoch (seeded).")
    seed: Seed = Field(0, description="Seed of the shuffling.")

    variant_key = "model"

    @classmethod
    def spec_annotation(cls) -> Any:
        return TrainerModel

    @classmethod
    def unknown_key_hint(cls, key: str, data: dict[Any, Any]) -> str:
        """A key of the other model: say whose it is."""
        if cls is TrainerSource:
            return ""  # the shared keys only, not one of the models
        for other in (LinearTrainer, MlpTrainer):
            if key in other.model_fields and key not in cls.model_fields:
                given = "" if "model" in data else " (the default)"
                return (
                    f'; it is a setting of model = "{literal_of(other, "model")}", '
                    f'not of model = "{literal_of(cls, "model")}"{given}'
                )
        return ""

    def inputs(self, ctx: ResolveContext) -> list[Path]:
        return [self.data.file(ctx)] if isinstance(self.data, CsvData) else []

    def dataset(self, ctx: ResolveContext) -> tuple[np.ndarray, np.ndarray]:
        """The training data (x, y), made or read once; a CSV file from the bytes the trace cache's key hashed."""
        if isinstance(self.data, CsvData):
            return self.once(("data", ctx.base_dir), partial(self.data.load, ctx, self.read_input))
        return self.once(("data", ctx.base_dir), partial(self.data.load, ctx))

    def shape_for(self, n: int) -> TraceShape:
        """The trace's size when trained on `n` points."""
        raise NotImplementedError

    def trace_shape(self, ctx: ResolveContext) -> TraceShape | None:
        return None if isinstance(self.data, CsvData) else self.shape_for(self.data.n)

    def batch_points(self, n: int) -> int:
        return n if self.batch_size == "full" else max(min(self.batch_size, n), 1)

    def training_batches(self, n: int) -> Usage:
        """The `max_training_batches` this run asks for, located at `epochs`."""
        per_epoch = math.ceil(n / self.batch_points(n))
        total = per_epoch * self.epochs
        return Usage(
            "max_training_batches",
            total,
            ("epochs",),
            f"{number(self.epochs)} epochs × {number(per_epoch)} batches ({number(n)} points, "
            f"batch_size {self.batch_size}) = {number(total)} updates",
        )

    def resolve(self, ctx: ResolveContext) -> Trace:
        if self.batch_size != "full" and self.batch_size < 1:
            raise ctx.error("batch_size must be a positive integer or 'full'", "batch_size")
        x, y = self.dataset(ctx)
        largest = float(np.max(np.abs(np.concatenate([x, y])))) if len(x) else 0.0
        if not largest <= MAX_DATA_MAGNITUDE:
            raise ctx.error(
                f"the data reach |value| = {largest:.3g}, too large to train on (their squares overflow); "
                f"values up to {MAX_DATA_MAGNITUDE:.0e} are fine",
                "data",
            )
        if isinstance(self.data, CsvData):
            ctx.check_budget(self.shape_for(len(x)))  # the file's size is known now, before training
        return self.train(ctx, x, y)

    def train(self, ctx: ResolveContext, x: np.ndarray, y: np.ndarray) -> Trace:
        """The trace of training this model on the data (x, y)."""
        raise NotImplementedError


class LinearTrainer(TrainerSource):
    """Train y = w·x + b with plain gradient descent (article 001).

    Trace fields: `x`, `y` (static: the data); `w`, `b`, `pred` (w·x + b at every data
    point) and `loss` (over the whole data set), recorded per step. Step 0 is the initial
    model, step e the model after epoch e.
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

    model: Literal["linear"] = Field("linear", description="`linear` (the default): y = w·x + b.")
    optimizer: SgdOptimizer = Field(default_factory=SgdOptimizer, description="How weights are updated.")
    loss: Literal["mse", "sse"] = Field(
        "mse", description="`mse`: mean squared error; `sse`: sum of squared errors (article 001's cost)."
    )
    init: InitialWeights = Field(default_factory=InitialWeights, description="Initial weights.")

    def fields(self, ctx: ResolveContext) -> dict[str, bool]:
        return dict(LINEAR_FIELDS)

    def shape_for(self, n: int) -> TraceShape:
        stepped = {"w": (), "b": (), "loss": (), "pred": (n,)}
        usages = (self.training_batches(n),)
        return TraceShape.of(self.epochs + 1, {"x": (n,), "y": (n,)}, stepped, ("epochs",), usages)

    def train(self, ctx: ResolveContext, x: np.ndarray, y: np.ndarray) -> Trace:
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


class MlpTrainer(TrainerSource):
    """Train a small neural network one mini-batch at a time (article 002).

    The network (`network`, scikit-learn's MLPRegressor) is trained by one `partial_fit`
    call per mini-batch, the points shuffled by a new seeded permutation every epoch
    unless `shuffle = false` (`seed` also sets the initial weights). Steps are batch
    numbers: step b is the model after b batches, counted across epochs from 1; the steps
    recorded follow `record` (every batch by default), and the first and last batch are
    always recorded. Trace fields: `x`, `y` (static: all the data); `eval_x`, `eval_y`
    (static: the evaluation sample, `eval_points` points evenly spaced in x-sorted order,
    sorted by x; its size does not depend on the data's); recorded per step: `pred`
    (prediction at `eval_x`), `error` ((eval_y − pred)² per point: the loss vector article 002's
    band draws), `abs_error` (|eval_y − pred| per point, in y units: a band that stays as wide
    as the misfit it shows once the squared error has become tiny), `loss` (mean squared
    error over the whole data set), `batch_loss` (mean squared error on the batch just
    trained, by the model after that batch's update),
    `batch` (the step) and `epoch` (from 1). Each record predicts on the whole data set;
    with `record = { change = … }` that is done after every batch.
    """

    example = """
[sources.net]
kind = "trainer"
model = "mlp"
data = { kind = "function", target = "sine", n = 2000, noise = 0.15 }
network = { hidden = [32, 32], activation = "tanh", lr = 0.01 }
epochs = 15
record = { every = 10 }
"""

    model: Literal["mlp"] = Field(description="`mlp`: a small neural network.")
    batch_size: Annotated[int, Field(ge=1)] | Literal["full"] = Field(
        32, description="Points per update (`full`: all of them)."
    )
    shuffle: bool = Field(True, description="Shuffle the points every epoch (seeded).")
    seed: Seed = Field(0, description="Seed of the shuffling and of the initial weights.")
    network: Network = Field(default_factory=Network, description="The neural network.")
    record: RecordRule = Field(
        default_factory=lambda: RecordRule(every=1),
        description="When the model is recorded: `{ every = n }` batches, `{ batches = [1, 2, 5, …] }`, or "
        "`{ change = 0.05 }` (the loss moved by more than 5 %); the first and last batch always. Default every batch.",
    )
    eval_points: int = Field(
        200,
        ge=2,
        le=1_000_000,
        description="Size of the evaluation sample (`eval_x`; all the data if it has fewer points).",
    )

    def fields(self, ctx: ResolveContext) -> dict[str, bool]:
        return dict(MLP_FIELDS)

    def recorded_batches(self, total: int) -> int:
        """How many of `total` batches are recorded (an upper bound for `change`, which decides while training)."""
        if self.record.every is not None:
            return min(total, total // self.record.every + 2)
        if self.record.batches is not None:
            return min(total, len({b for b in self.record.batches if b <= total}) + 2)
        return total

    def shape_for(self, n: int) -> TraceShape:
        usage = self.training_batches(n)
        steps = self.recorded_batches(int(usage.amount))
        shown = min(self.eval_points, n)
        static = {"x": (n,), "y": (n,), "eval_x": (shown,), "eval_y": (shown,)}
        stepped = {
            "pred": (shown,),
            "error": (shown,),
            "abs_error": (shown,),
            "loss": (),
            "batch_loss": (),
            "batch": (),
            "epoch": (),
        }
        return TraceShape.of(steps, static, stepped, ("record",), (usage,))

    def mlp_settings(self, n: int) -> MlpSettings:
        batch = n if self.batch_size == "full" else self.batch_size
        return MlpSettings(
            hidden=tuple(self.network.hidden),
            activation=self.network.activation,
            solver=self.network.solver,
            lr=self.network.lr,
            alpha=self.network.alpha,
            batch=min(batch, n),
            epochs=self.epochs,
            shuffle=self.shuffle,
            seed=self.seed,
        )

    def train(self, ctx: ResolveContext, x: np.ndarray, y: np.ndarray) -> Trace:
        settings = self.mlp_settings(len(x))
        total = batches_per_epoch(len(x), settings.batch) * settings.epochs
        if self.record.batches is not None and max(self.record.batches) > total:
            beyond = sorted(b for b in set(self.record.batches) if b > total)
            raise ctx.error(
                f"batch {beyond[0]} is beyond the last batch: training runs {total} batches "
                f"({settings.epochs} epochs of {batches_per_epoch(len(x), settings.batch)})",
                "record",
                "batches",
            )
        eval_idx = eval_indices(x, self.eval_points)
        try:
            run = train_mlp(x, y, settings, self.record.plan(), eval_idx)
        except Diverged as exc:
            raise ctx.error(
                f"training diverged at batch {exc.batch} (weights or predictions became infinite); "
                "lower the learning rate",
                "network",
                "lr",
            ) from None
        return Trace(
            steps=run.steps,
            static={"x": x, "y": y, "eval_x": x[eval_idx], "eval_y": y[eval_idx]},
            stepped={
                "pred": run.pred,
                "error": run.error,
                "abs_error": run.abs_error,
                "loss": run.loss,
                "batch_loss": run.batch_loss,
                "batch": run.steps.copy(),
                "epoch": run.epoch,
            },
        )


TrainerModel = TypeAliasType(
    "TrainerModel",
    Annotated[
        Annotated[LinearTrainer, Tag("linear")] | Annotated[MlpTrainer, Tag("mlp")],
        discriminator("model", default="linear"),
    ],
)
"""A trainer in a spec: `model` picks the variant, `linear` when left out. (A named alias, so that the JSON
Schema's `kind` discriminator maps `trainer` to a `$ref`, `#/$defs/TrainerModel`.)"""


def squared_loss(pred: np.ndarray, y: np.ndarray, reduction: str) -> np.ndarray:
    """Loss over the last axis: mean (mse) or sum (sse) of squared errors."""
    sq = (pred - y) ** 2
    return sq.mean(axis=-1) if reduction == "mse" else sq.sum(axis=-1)


def train_linear(x: np.ndarray, y: np.ndarray, spec: LinearTrainer, batch: int) -> tuple[np.ndarray, np.ndarray]:
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
            report(epoch, spec.epochs)
    return w_hist, b_hist
