"""Transform `cumulative`: the running total (numpy's `cumsum`)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from scenespec.transform.base import TransformSpec, register_transform


def cumulative(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """Entry i is the sum of entries 0..i along `axis` (`np.cumsum`, as floats); a NaN makes the rest NaN."""
    return np.cumsum(np.asarray(values, dtype=float), axis=axis)


@register_transform
class CumulativeTransform(TransformSpec):
    """The sum of the values recorded up to each step (`cumsum`); a NaN makes every later entry NaN."""

    kind: Literal["cumulative"]

    example = """
[transforms.loss_total]   # bound as "transforms.loss_total"
kind = "cumulative"
of = "net.batch_loss"
"""

    def compute(self, values: np.ndarray, stepped: bool) -> np.ndarray:
        return cumulative(values)
