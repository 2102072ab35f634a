"""Transform `difference`: the change since the previous recorded step."""

from __future__ import annotations

from typing import Literal

import numpy as np

from scenespec.transform.base import TransformSpec, register_transform


def difference(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """First difference along `axis`: entry i is values[i] - values[i - 1]; entry 0 is NaN.

    The output has the input's length. The first entry has no previous value, so it is NaN rather than a
    made-up 0 (a metric layer leaves NaN out, axis limits ignore it, a text layer prints `nan`).
    """
    values = np.asarray(values, dtype=float)
    out = np.full_like(values, np.nan)
    if values.shape[axis] > 1:
        ahead = [slice(None)] * values.ndim
        ahead[axis] = slice(1, None)
        out[tuple(ahead)] = np.diff(values, axis=axis)
    return out


@register_transform
class DifferenceTransform(TransformSpec):
    """The change from the previous recorded step, `value[i] − value[i−1]`; NaN at the first step (no previous)."""

    kind: Literal["difference"]

    example = """
[transforms.loss_change]   # bound as "transforms.loss_change"
kind = "difference"
of = "net.loss"
"""

    def compute(self, values: np.ndarray, stepped: bool) -> np.ndarray:
        return difference(values)
