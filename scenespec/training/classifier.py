"""A digit classifier trained epoch by epoch, its held-out embedding recorded at checkpoints (article 003).

Article 003 trains a network on digit images and looks at its outputs on the test images in TensorBoard's
projector. Here the network is scikit-learn's `MLPClassifier` on scikit-learn's bundled digits (8×8 images,
no download), trained with one `partial_fit` call per epoch, so scikit-learn does the mini-batches, the
backpropagation and the adam updates, while the shuffling, the checkpoints and the embedding stay ours.

What a replay must reproduce:
- the split: `train_test_split(arange(1797), test_size, stratify=labels, random_state=seed)`; the pixels
  divided by 16, so they lie in [0, 1];
- the network: `MLPClassifier(hidden_layer_sizes, activation="relu", solver="adam", learning_rate_init=lr,
  batch_size, random_state=seed, shuffle=False)`;
- epoch e (from 1): the training rows in the order `default_rng(seed)`'s e-th `permutation(n_train)` gives,
  in one `partial_fit(..., classes=0..9)` call (scikit-learn slices them into batches in that order). Our
  own permutation rather than scikit-learn's `shuffle=True`, which re-seeds from `random_state` on every
  call and so would shuffle every epoch after the first the same way.

Checkpoint 0 is the untrained network. `MLPClassifier` has no weights until its first `partial_fit`, which
initialises them and trains in one call, so the initial weights are made here as scikit-learn makes them
(`initial_weights`: Glorot-uniform draws from `RandomState(seed)`, layer by layer, weights then biases), in
public numpy rather than through scikit-learn's private `_initialize`. A test checks them against the
weights scikit-learn's own first call starts from, so a change of scikit-learn's initialisation fails it.

The embedding is a numpy forward pass through `coefs_` and `intercepts_` on the held-out images: the
output layer before the softmax (the logits, as the article), or a hidden layer's ReLU activations.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np

from scenespec.record.rules import RecordRule
from scenespec.steps_done import report

if TYPE_CHECKING:
    from sklearn.neural_network import MLPClassifier

DIGITS_COUNT = 1797
"""Images in scikit-learn's bundled digits, known without loading them (the budgets are worked out from it)."""
DIGITS_CLASSES = 10
DIGITS_SIDE = 8
PIXEL_MAX = 16.0
"""The digits' pixels are counts 0..16 (4×4 blocks of a 32×32 bitmap): divided by this they lie in [0, 1]."""


@dataclass(frozen=True)
class Digits:
    """The stratified split: pixels scaled to [0, 1] (rows of 64), labels, and the rows' indices in `load_digits`."""

    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    test_index: np.ndarray


def held_out_count(test_size: float, total: int = DIGITS_COUNT) -> int:
    """Held-out images for a fraction `test_size`: scikit-learn's `train_test_split` rounds up."""
    return math.ceil(test_size * total)


def split_digits(test_size: float, seed: int) -> Digits:
    """The digits split into a training and a held-out set, stratified by label, deterministic by seed."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    pixels = np.asarray(digits.data, dtype=np.float64) / PIXEL_MAX
    labels = np.asarray(digits.target, dtype=np.int64)
    train, test = train_test_split(
        np.arange(len(labels), dtype=np.int64), test_size=test_size, stratify=labels, random_state=seed
    )
    return Digits(pixels[train], labels[train], pixels[test], labels[test], np.asarray(test, dtype=np.int64))


@dataclass(frozen=True)
class ClassifierSettings:
    """The network and the loop."""

    hidden: tuple[int, ...] = (64,)
    lr: float = 1e-3
    batch: int = 32
    epochs: int = 30
    seed: int = 0
    layer: int | None = None
    """The embedding: None for the logits, else the hidden layer's number from 1."""

    def network(self) -> MLPClassifier:
        """A fresh, untrained `MLPClassifier` with these settings."""
        from sklearn.neural_network import MLPClassifier

        return MLPClassifier(
            hidden_layer_sizes=self.hidden,
            activation="relu",
            solver="adam",
            learning_rate_init=self.lr,
            batch_size=self.batch,
            random_state=self.seed,
            shuffle=False,
        )

    def width(self) -> int:
        """Dimensions of the embedding."""
        return DIGITS_CLASSES if self.layer is None else self.hidden[self.layer - 1]


class Diverged(ArithmeticError):
    """Training produced non-finite weights, outputs or loss at `epoch`."""

    def __init__(self, epoch: int) -> None:
        super().__init__(f"training diverged at epoch {epoch}")
        self.epoch = epoch


@dataclass
class ClassifierRun:
    """What a run recorded: the checkpoints (epochs) and one row per checkpoint of each stepped array."""

    steps: np.ndarray
    embedding: np.ndarray
    accuracy: np.ndarray
    loss: np.ndarray


Weights = tuple[list[np.ndarray], list[np.ndarray]]


def initial_weights(hidden: tuple[int, ...], seed: int, inputs: int = DIGITS_SIDE**2) -> Weights:
    """The weights `MLPClassifier(random_state=seed, activation="relu")` starts from, before any update.

    Glorot-uniform: layer i's weights and then its biases drawn uniformly from ±sqrt(6 / (fan_in + fan_out)),
    in that order, from one `RandomState(seed)` (scikit-learn's `_init_coef`).
    """
    rng = np.random.RandomState(seed)
    units = (inputs, *hidden, DIGITS_CLASSES)
    coefs, intercepts = [], []
    for fan_in, fan_out in pairwise(units):
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        coefs.append(rng.uniform(-bound, bound, (fan_in, fan_out)))
        intercepts.append(rng.uniform(-bound, bound, fan_out))
    return coefs, intercepts


def forward(x: np.ndarray, coefs: list[np.ndarray], intercepts: list[np.ndarray], layer: int | None) -> np.ndarray:
    """The network's values on `x`: the logits (`layer` None), or hidden layer `layer`'s ReLU activations."""
    values = x
    last = len(coefs) if layer is None else layer
    for i in range(last):
        values = values @ coefs[i] + intercepts[i]
        if i < len(coefs) - 1:
            values = np.maximum(values, 0.0)
    return values


def train_classifier(data: Digits, settings: ClassifierSettings, rule: RecordRule) -> ClassifierRun:
    """Train epoch by epoch and record the held-out embedding, accuracy and training loss at the kept epochs.

    Raises `Diverged` when the weights, the recorded values or the loss stop being finite.
    """
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    keeper = rule.keeper(last=settings.epochs)
    classes = np.arange(DIGITS_CLASSES)
    model = settings.network()
    order = np.random.default_rng(settings.seed)
    steps: list[int] = []
    embeddings: list[np.ndarray] = []
    accuracy: list[float] = []
    losses: list[float] = []

    def record(epoch: int, coefs: list[np.ndarray], intercepts: list[np.ndarray], loss: float) -> None:
        logits = forward(data.test_x, coefs, intercepts, None)
        embedding = logits if settings.layer is None else forward(data.test_x, coefs, intercepts, settings.layer)
        if not (np.all(np.isfinite(logits)) and np.all(np.isfinite(embedding)) and (epoch == 0 or math.isfinite(loss))):
            raise Diverged(epoch)
        steps.append(epoch)
        embeddings.append(embedding)
        accuracy.append(float(np.mean(np.argmax(logits, axis=1) == data.test_y)))
        losses.append(loss)

    # One BLAS thread, as the mlp trainer (scenespec/training/mlp.py): the matrices are small (batches of 32 × 64).
    with warnings.catch_warnings(), np.errstate(all="ignore"), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        keeper.keep(0)  # the first checkpoint is always kept
        record(0, *initial_weights(settings.hidden, settings.seed), math.nan)
        for epoch in range(1, settings.epochs + 1):
            report(epoch - 1, settings.epochs)
            rows = order.permutation(len(data.train_y))
            try:
                model.partial_fit(data.train_x[rows], data.train_y[rows], classes=classes)
            except ValueError as exc:  # "Solver produced non-finite parameter weights"
                raise Diverged(epoch) from exc
            if keeper.keep(epoch):
                record(epoch, model.coefs_, model.intercepts_, float(model.loss_))
        report(settings.epochs, settings.epochs)
    n, width = len(data.test_y), settings.width()
    return ClassifierRun(
        steps=np.asarray(steps, dtype=np.int64),
        embedding=np.asarray(embeddings, dtype=np.float64).reshape(len(steps), n, width),
        accuracy=np.asarray(accuracy, dtype=np.float64),
        loss=np.asarray(losses, dtype=np.float64),
    )
