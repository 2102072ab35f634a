"""When a step is recorded (article 002's update frequency): one rule for the built-in trainer and the Recorder.

Article 002 redraws every n batches, at the batches a mask or a list picks, or when the loss has moved by
more than a fraction since the last redraw. The `mlp` trainer and `scenespec.Recorder` both ask a
`RecordRule`'s `Keeper` whether to keep a step, so the two cannot drift apart. The first step is always kept;
so is the last, where it is known (the trainer's last batch) or remembered until the end (the Recorder's
`close`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

RULE_KEYS = ("every", "steps", "mask", "change")


@dataclass(frozen=True)
class RecordRule:
    """Exactly one of: every n-th step (`every`), the steps listed (`steps`), the steps whose entry of a boolean
    `mask` is true (`mask[step]`; steps past its end are not kept), or a relative change of the loss (`change`:
    keep a step when `field` moved by more than this fraction of its value at the last kept step).

    No rule at all keeps every step. The first step (and the last, where known) is always kept.
    """

    every: int | None = None
    steps: Sequence[int] | None = None
    mask: Sequence[bool] | None = None
    change: float | None = None
    field: str = "loss"
    """The field `change` watches (the Recorder's logged field; the trainer's whole-data loss)."""

    def __post_init__(self) -> None:
        given = [key for key in RULE_KEYS if getattr(self, key) is not None]
        if len(given) > 1:
            raise ValueError(f"a record rule takes one of every, steps, mask or change; got {' and '.join(given)}")
        if self.every is not None and (isinstance(self.every, bool) or int(self.every) != self.every or self.every < 1):
            raise ValueError(f"every must be a whole number of steps, at least 1; got {self.every!r}")
        if self.change is not None and not (math.isfinite(self.change) and self.change > 0):
            raise ValueError(f"change must be a positive fraction (0.05: 5 %); got {self.change!r}")

    @property
    def needs_loss(self) -> bool:
        """Whether deciding needs the watched field's value (so a skipped step still costs computing it)."""
        return self.change is not None

    def keeper(self, last: int | None = None) -> Keeper:
        """A fresh decision state for one run; `last` is the last step when it is known in advance."""
        return Keeper(self, last)


class Keeper:
    """The decisions of one run: `keep(step, loss)` says whether the rule keeps `step`, remembering the loss of
    the last kept step for `change`. Steps are asked in increasing order."""

    def __init__(self, rule: RecordRule, last: int | None = None) -> None:
        self.rule = rule
        self.last = last
        self.kept_any = False
        self.last_loss = math.nan
        self._listed = frozenset(int(step) for step in rule.steps) if rule.steps is not None else None

    def keep(self, step: int, loss: float | None = None) -> bool:
        """Whether to record `step`; `loss` (the watched field's value) is needed by a `change` rule only."""
        kept = not self.kept_any or step == self.last or self._chosen(step, loss)
        if kept:
            self.kept_any = True
            if loss is not None:
                self.last_loss = float(loss)
        return kept

    def _chosen(self, step: int, loss: float | None) -> bool:
        rule = self.rule
        if rule.every is not None:
            return step % rule.every == 0
        if self._listed is not None:
            return step in self._listed
        if rule.mask is not None:
            return 0 <= step < len(rule.mask) and bool(rule.mask[step])
        if rule.change is not None:
            if loss is None:
                raise ValueError(f"the change rule needs {rule.field!r} at every step")
            return abs(float(loss) - self.last_loss) > rule.change * abs(self.last_loss)
        return True
