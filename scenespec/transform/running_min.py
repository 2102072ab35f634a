"""Transform `running_min`: the smallest value so far (e.g. the best loss yet)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from scenespec.transform.base import TransformSpec, register_transform


def running_min(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """Entry i is the minimum of entries 0..i along `axis`, skipping NaN (numpy's `fmin`).

    A NaN entry repeats the minimum so far; entries before the first number are NaN.
    """
    return np.fmin.accumulate(np.asarray(values, dtype=float), axis=axis)


@register_transform
class RunningMinTransform(TransformSpec):
    """The smallest value recorded up to each step (NaN values are skipped), e.g. the best loss so far."""

    kind: Literal["running_min"]

    example = """
[transforms.best_loss]   # bound as "transforms.best_loss"
kind = "running_min"
of = "net.loss"
"""

    def compute(self, values: np.ndarray, stepped: bool) -> np.ndarray:
        return running_min(values)
