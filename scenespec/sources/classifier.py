"""Source `classifier`: a digit classifier whose held-out embedding is recorded as it learns (article 003).

Article 003 trains a network on digit images and shows its outputs on the test images in TensorBoard's
projector. This source trains scikit-learn's `MLPClassifier` on the bundled digits epoch by epoch
(scenespec/training/classifier.py) and records, at the epochs its `record` rule keeps, the embedding of
the held-out images (the logits or a hidden layer), the held-out accuracy and the training loss; a
`projection` transform then takes the embedding to 2D or 3D.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Literal

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, ValidationInfo, field_validator, model_validator

from scenespec.record.rules import RecordRule as SharedRule
from scenespec.resolve.trace import Trace
from scenespec.sources.base import ResolveContext, SourceSpec, TraceShape, register_source
from scenespec.training.classifier import (
    DIGITS_CLASSES,
    DIGITS_COUNT,
    DIGITS_SIDE,
    ClassifierSettings,
    Diverged,
    held_out_count,
    split_digits,
    train_classifier,
)
from scenespec.validate.base import Seed, SpecModel
from scenespec.validate.limits import Usage, number

MAX_HIDDEN_UNITS = 10_000
"""Units per hidden layer: two such layers already hold 10⁸ weights (800 MB); more is a typo, not a teaching net."""

EMBEDDING_PATTERN = re.compile(r"^(logits|hidden|hidden:([1-9][0-9]*))$")

FIELDS = {
    "labels": False,
    "images": False,
    "index": False,
    "embedding": True,
    "accuracy": True,
    "loss": True,
    "epoch": True,
}


class EpochRule(SpecModel):
    """Which epochs are recorded: exactly one rule. Epoch 0 (the untrained network) and the last are always kept."""

    every: PositiveInt | None = Field(None, description="Record every n-th epoch (epochs n, 2n, …).")
    epochs: list[NonNegativeInt] | None = Field(
        None, min_length=1, description="Record these epochs (counted from 1; 0 is the untrained network; any order)."
    )

    @model_validator(mode="after")
    def _exactly_one_rule(self) -> EpochRule:
        given = [key for key in ("every", "epochs") if getattr(self, key) is not None]
        if len(given) != 1:
            which = "none" if not given else " and ".join(f"`{key}`" for key in given)
            raise ValueError(f"set exactly one of `every` (n) or `epochs` (a list); got {which}")
        return self

    def plan(self) -> SharedRule:
        """The rule as the training loop applies it (`scenespec.record.rules`, shared with the trainer)."""
        return SharedRule(every=self.every, steps=self.epochs)

    def kept(self, epochs: int) -> list[int]:
        """The checkpoints recorded when training runs `epochs` epochs."""
        keeper = self.plan().keeper(last=epochs)
        return [epoch for epoch in range(epochs + 1) if keeper.keep(epoch)]


@register_source
class ClassifierSource(SourceSpec):
    """Train a digit classifier and record its embedding of the held-out images at checkpoints (article 003).

    The data are scikit-learn's bundled digits (1,797 8×8 images of 0–9, no download), split into a
    training and a held-out set stratified by label (`test_size`, `seed`), pixels scaled to [0, 1]. The
    network is scikit-learn's `MLPClassifier` (ReLU hidden layers, adam), trained one epoch per
    `partial_fit` call on a fresh seeded shuffle of the training set. Steps are epochs: step 0 is the
    untrained network (the initial weights), step e the network after e epochs; the steps recorded follow
    `record` (every epoch by default), and 0 and the last epoch are always recorded.

    Trace fields, static: `labels` (n,) the held-out images' digits; `images` (n, 8, 8) the images in
    [0, 1]; `index` (n,) each image's row in `sklearn.datasets.load_digits`. Recorded per step:
    `embedding` (n × d, the network's values on the held-out images: the logits, d = 10, or a hidden
    layer's activations), `accuracy` (on the held-out images), `loss` (scikit-learn's `loss_`: the mean
    cross-entropy over the epoch's batches as they were trained, plus the L2 penalty of alpha = 1e-4;
    NaN at step 0) and `epoch`.
    """

    example = """
[sources.digits]
kind = "classifier"
data = "digits"
hidden = [64]
epochs = 30
embedding = "logits"
record = { epochs = [1, 2, 3, 5, 10, 20] }
"""

    kind: Literal["classifier"]
    data: Literal["digits"] = Field(
        "digits", description="The images: `digits`, scikit-learn's bundled 8×8 digits (1,797 images, 10 classes)."
    )
    test_size: float = Field(
        0.3,
        gt=0,
        lt=1,
        description="Fraction of the images held out (rounded up to whole images, as `train_test_split` does); "
        "the embedding is recorded on them.",
    )
    seed: Seed = Field(0, description="Seed of the split, the initial weights and the shuffling.")
    hidden: list[Annotated[int, Field(ge=1, le=MAX_HIDDEN_UNITS)]] = Field(
        default_factory=lambda: [64],
        min_length=1,
        max_length=20,
        description="Units of each hidden layer (`hidden_layer_sizes`).",
    )
    epochs: int = Field(30, ge=1, le=100_000, description="Passes over the training images.")
    batch_size: PositiveInt = Field(32, description="Images per update (all of them if the training set is smaller).")
    lr: PositiveFloat = Field(0.001, description="Learning rate of adam (`learning_rate_init`).")
    embedding: str = Field(
        "logits",
        description="What is recorded of each held-out image: `logits` (the output layer before the softmax, "
        "d = 10, as article 003), `hidden` (the last hidden layer's activations) or `hidden:K` (hidden layer K, "
        "from 1).",
        json_schema_extra={"pattern": EMBEDDING_PATTERN.pattern},  # for editors; the validator words the message
    )
    record: EpochRule = Field(
        default_factory=lambda: EpochRule(every=1),
        description="Which epochs are recorded: `{ every = n }` or `{ epochs = [1, 2, 5, …] }`; epoch 0 (the "
        "untrained network) and the last always. Default every epoch.",
    )

    @field_validator("test_size")
    @classmethod
    def _both_sides_hold_every_class(cls, value: float) -> float:
        held = held_out_count(value)
        if min(held, DIGITS_COUNT - held) < DIGITS_CLASSES:
            raise ValueError(
                f"test_size = {value:g} holds out {held} of the {DIGITS_COUNT} images and trains on "
                f"{DIGITS_COUNT - held}; a split stratified by label needs at least {DIGITS_CLASSES} on each side"
            )
        return value

    @field_validator("embedding")
    @classmethod
    def _known_layer(cls, value: str, info: ValidationInfo) -> str:
        match = EMBEDDING_PATTERN.match(value)
        if match is None:
            raise ValueError(f"expected `logits`, `hidden` or `hidden:K` (K a hidden layer from 1); got {value!r}")
        hidden = info.data.get("hidden")
        if match.group(2) is not None and hidden is not None and int(match.group(2)) > len(hidden):
            layers = f"{len(hidden)} hidden layer" + ("" if len(hidden) == 1 else "s")
            choices = "hidden:1" if len(hidden) == 1 else f"hidden:1 to hidden:{len(hidden)}"
            raise ValueError(
                f"{value!r} asks for hidden layer {match.group(2)}, but the network has {layers} "
                f"(hidden = {list(hidden)}); use {choices}"
            )
        return value

    def layer(self) -> int | None:
        """The embedding's hidden layer from 1, or None for the logits."""
        if self.embedding == "logits":
            return None
        if self.embedding == "hidden":
            return len(self.hidden)
        return int(self.embedding.partition(":")[2])

    def settings(self) -> ClassifierSettings:
        train = DIGITS_COUNT - held_out_count(self.test_size)
        return ClassifierSettings(
            hidden=tuple(self.hidden),
            lr=self.lr,
            batch=min(self.batch_size, train),
            epochs=self.epochs,
            seed=self.seed,
            layer=self.layer(),
        )

    def fields(self, ctx: ResolveContext) -> dict[str, bool]:
        return dict(FIELDS)

    def check(self, ctx: ResolveContext) -> None:
        """Settings that only make sense together: listed epochs beyond the last one."""
        if self.record.epochs is not None and max(self.record.epochs) > self.epochs:
            beyond = sorted(e for e in set(self.record.epochs) if e > self.epochs)
            raise ctx.error(
                f"epoch {beyond[0]} is beyond the last epoch: training runs {self.epochs} epochs",
                "record",
                "epochs",
            )

    def trace_shape(self, ctx: ResolveContext) -> TraceShape:
        self.check(ctx)
        held = held_out_count(self.test_size)
        train = DIGITS_COUNT - held
        settings = self.settings()
        per_epoch = math.ceil(train / settings.batch)
        total = per_epoch * self.epochs
        updates = Usage(
            "max_training_batches",
            total,
            ("epochs",),
            f"{number(self.epochs)} epochs × {number(per_epoch)} batches ({number(train)} training images, "
            f"batch_size {settings.batch}) = {number(total)} updates",
        )
        static = {"labels": (held,), "images": (held, DIGITS_SIDE, DIGITS_SIDE), "index": (held,)}
        stepped = {"embedding": (held, settings.width()), "accuracy": (), "loss": (), "epoch": ()}
        # the memory grows with the recorded epochs: `record` if given, else every epoch of `epochs`
        key = ("record",) if "record" in self.model_fields_set else ("epochs",)
        return TraceShape.of(len(self.record.kept(self.epochs)), static, stepped, key, (updates,))

    def resolve(self, ctx: ResolveContext) -> Trace:
        self.check(ctx)
        data = split_digits(self.test_size, self.seed)
        try:
            run = train_classifier(data, self.settings(), self.record.plan())
        except Diverged as exc:
            raise ctx.error(
                f"training diverged at epoch {exc.epoch} (weights, outputs or loss became infinite); "
                "lower the learning rate",
                "lr",
            ) from None
        return Trace(
            steps=run.steps,
            static={
                "labels": data.test_y,
                "images": data.test_x.reshape(-1, DIGITS_SIDE, DIGITS_SIDE),
                "index": data.test_index,
            },
            stepped={"embedding": run.embedding, "accuracy": run.accuracy, "loss": run.loss, "epoch": run.steps.copy()},
        )
