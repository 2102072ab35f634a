"""Transform `running_max`: the largest value so far (e.g. the best accuracy yet)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from scenespec.transform.base import TransformSpec, register_transform


def running_max(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """Entry i is the maximum of entries 0..i along `axis`, skipping NaN (numpy's `fmax`).

    A NaN entry repeats the maximum so far; entries before the first number are NaN.
    """
    return np.fmax.accumulate(np.asarray(values, dtype=float), axis=axis)


@register_transform
class RunningMaxTransform(TransformSpec):
    """The largest value recorded up to each step (NaN values are skipped)."""

    kind: Literal["running_max"]

    example = """
[transforms.highest]   # bound as "transforms.highest"
kind = "running_max"
of = "race.y"
"""

    def compute(self, values: np.ndarray, stepped: bool) -> np.ndarray:
        return running_max(values)
