"""A small neural-network regressor on 1-D data, trained batch by batch and recorded as article 002 does.

Article 002 fits a Keras network and, after every batch, predicts on a representative sample, computes
the per-point squared error (the loss *vector*) and the losses. Here the network is scikit-learn's
`MLPRegressor`: one `partial_fit` call per mini-batch, so scikit-learn does the backpropagation and the
update rule (adam or sgd) while the batching, the shuffling and the recording stay ours.

Batching (what a replay must reproduce): a shuffling generator `np.random.default_rng(seed)` draws
`permutation(n)` at the start of every epoch (when shuffling; otherwise the data order is kept), and the
epoch's batches are consecutive slices of that order, `batch` points each, the last one possibly shorter.
The network is `MLPRegressor(hidden_layer_sizes, activation, solver, learning_rate_init=lr, alpha,
random_state=seed, shuffle=False)`, its `batch_size` set to the batch's length before each call so that a
call is exactly one update. Batches are numbered across epochs from 1: batch (step) b is the model after b
updates.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from scenespec.record.rules import RecordRule
from scenespec.steps_done import report

if TYPE_CHECKING:
    from sklearn.neural_network import MLPRegressor


@dataclass(frozen=True)
class MlpSettings:
    """The network and the loop: sizes, activation, update rule, and how the data is cut into batches."""

    hidden: tuple[int, ...] = (32, 32)
    activation: str = "relu"
    solver: str = "adam"
    lr: float = 1e-3
    alpha: float = 0.0
    batch: int = 32
    epochs: int = 10
    shuffle: bool = True
    seed: int = 0

    def network(self) -> MLPRegressor:
        """A fresh, untrained `MLPRegressor` with these settings."""
        from sklearn.neural_network import MLPRegressor

        return MLPRegressor(
            hidden_layer_sizes=self.hidden,
            activation=self.activation,
            solver=self.solver,
            learning_rate_init=self.lr,
            alpha=self.alpha,
            random_state=self.seed,
            shuffle=False,
        )


class Diverged(ArithmeticError):
    """Training produced non-finite weights or predictions at `batch`."""

    def __init__(self, batch: int) -> None:
        super().__init__(f"training diverged at batch {batch}")
        self.batch = batch


@dataclass
class MlpRun:
    """What a run recorded: the step numbers and one row per recorded batch of every stepped array."""

    steps: np.ndarray
    pred: np.ndarray
    error: np.ndarray
    abs_error: np.ndarray
    loss: np.ndarray
    batch_loss: np.ndarray
    epoch: np.ndarray


def batches_per_epoch(n: int, batch: int) -> int:
    return math.ceil(n / batch)


def batch_schedule(n: int, batch: int, epochs: int, shuffle: bool, seed: int) -> Iterator[tuple[int, int, np.ndarray]]:
    """(batch number from 1, epoch from 1, indices of the batch's points), in training order."""
    rng = np.random.default_rng(seed)
    order = np.arange(n)
    number = 0
    for epoch in range(1, epochs + 1):
        report(epoch - 1, epochs)
        if shuffle:
            order = rng.permutation(n)
        for start in range(0, n, batch):
            number += 1
            yield number, epoch, order[start : start + batch]


def eval_indices(x: np.ndarray, points: int) -> np.ndarray:
    """The evaluation sample (article 002's graph sparsity): `points` points evenly spaced in x-sorted order.

    Indices into `x`, sorted by x; all the points when there are no more than `points`.
    """
    order = np.argsort(x, kind="stable")
    if points >= len(x):
        return order
    return order[np.round(np.linspace(0, len(x) - 1, points)).astype(np.int64)]


def train_mlp(x: np.ndarray, y: np.ndarray, settings: MlpSettings, rule: RecordRule, eval_idx: np.ndarray) -> MlpRun:
    """Train batch by batch and record pred/error/abs_error on `x[eval_idx]` and the losses at the planned batches.

    Recording costs one prediction on the whole data set (the loss needs it; the evaluation sample is
    a subset of it). With `rule.change` that prediction is made after every batch, to decide.
    Raises `Diverged` when the weights or the predictions stop being finite.
    """
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    n = len(x)
    batch = min(settings.batch, n)
    total = batches_per_epoch(n, batch) * settings.epochs
    keeper = rule.keeper(last=total)
    data = np.ascontiguousarray(x, dtype=np.float64).reshape(-1, 1)
    target = np.asarray(y, dtype=np.float64)
    eval_y = target[eval_idx]
    model = settings.network()
    steps: list[int] = []
    rows: dict[str, list[Any]] = {"pred": [], "error": [], "abs_error": [], "loss": [], "batch_loss": [], "epoch": []}
    # One BLAS thread: these matrices are small (batch × 32), and threads cost more than they give
    # (a prediction on 5,000 points took 12 ms with two OpenBLAS threads, 0.5 ms with one).
    with warnings.catch_warnings(), np.errstate(all="ignore"), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        for number, epoch, idx in batch_schedule(n, batch, settings.epochs, settings.shuffle, settings.seed):
            xb, yb = data[idx], target[idx]
            model.batch_size = len(idx)  # one partial_fit call = exactly one update on this batch
            try:
                model.partial_fit(xb, yb)
            except ValueError as exc:  # "Solver produced non-finite parameter weights"
                raise Diverged(number) from exc
            if not rule.needs_loss and not keeper.keep(number):
                continue
            full = model.predict(data)
            loss = float(np.mean((target - full) ** 2))
            if not math.isfinite(loss):
                raise Diverged(number)
            if rule.needs_loss and not keeper.keep(number, loss):
                continue
            pred = full[eval_idx]
            steps.append(number)
            rows["pred"].append(pred)
            rows["error"].append((eval_y - pred) ** 2)
            rows["abs_error"].append(np.abs(eval_y - pred))
            rows["loss"].append(loss)
            rows["batch_loss"].append(float(np.mean((yb - model.predict(xb)) ** 2)))
            rows["epoch"].append(epoch)
    return MlpRun(
        steps=np.asarray(steps, dtype=np.int64),
        pred=np.asarray(rows["pred"], dtype=np.float64).reshape(len(steps), len(eval_idx)),
        error=np.asarray(rows["error"], dtype=np.float64).reshape(len(steps), len(eval_idx)),
        abs_error=np.asarray(rows["abs_error"], dtype=np.float64).reshape(len(steps), len(eval_idx)),
        loss=np.asarray(rows["loss"], dtype=np.float64),
        batch_loss=np.asarray(rows["batch_loss"], dtype=np.float64),
        epoch=np.asarray(rows["epoch"], dtype=np.int64),
    )
