"""Transform `trailing_average`: a causal moving average over the last `width` steps (the metric layer's `smooth`)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from scenespec.transform.base import TransformSpec, register_transform

MAX_WIDTH = 10_000


def trailing_average(values: np.ndarray, width: int, axis: int = 0) -> np.ndarray:
    """Trailing moving average along `axis`: entry i is the mean of values[max(0, i - width + 1) : i + 1].

    Causal, so an entry never changes when later values arrive; the first `width - 1` entries average the
    values available so far. Computed from running sums, so a non-finite value makes every later entry
    non-finite. `width` 1 returns the values (as floats).
    """
    values = np.asarray(values, dtype=float)
    if width <= 1 or values.size == 0:
        return values.copy()
    moved = np.moveaxis(values, axis, 0)
    sums = np.cumsum(np.concatenate([np.zeros((1, *moved.shape[1:])), moved]), axis=0)
    index = np.arange(1, moved.shape[0] + 1)
    start = np.maximum(index - width, 0)
    counts = (index - start).reshape(-1, *([1] * (moved.ndim - 1)))
    return np.moveaxis((sums[index] - sums[start]) / counts, 0, axis)


@register_transform
class TrailingAverageTransform(TransformSpec):
    """Mean of the last `width` recorded values (fewer at the start): causal, so drawn points never change."""

    kind: Literal["trailing_average"]
    width: int = Field(ge=1, le=MAX_WIDTH, description="Window, in steps; 1 = no smoothing.")

    example = """
[transforms.loss_avg]   # bound as "transforms.loss_avg"
kind = "trailing_average"
of = "net.batch_loss"
width = 20
"""

    def compute(self, values: np.ndarray, stepped: bool) -> np.ndarray:
        return trailing_average(values, self.width)
