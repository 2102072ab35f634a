"""Transform `moving_average`: a centred moving average, exactly as article 002 smooths its per-point loss.

``np.convolve(values, np.ones(width) / width, mode="same")`` along one axis: along the steps
(default), or along the points of a field that holds a vector per step (`along = "points"`), which is
what the band layer's `smooth` does to its spread at each step.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from scenespec.transform.base import TransformError, TransformSpec, register_transform

MAX_WIDTH = 10_000


def moving_average(values: np.ndarray, width: int, axis: int = 0) -> np.ndarray:
    """Centred moving average of `values` over `width` entries along `axis`, as article 002 computes it.

    Each 1-D slice along `axis` becomes ``np.convolve(slice, np.ones(width) / width, mode="same")``: the output
    has the input's shape, and entry i is the sum of entries i - width // 2 … i + (width - 1) // 2, divided by
    `width` (centred; one more entry behind than ahead for an even width). Near the edges the missing neighbours
    count as zeros, so the edges are pulled towards 0. `width` 1 returns the values unchanged (as floats).
    """
    values = np.asarray(values, dtype=float)
    if width < 1:
        raise ValueError(f"moving average width must be at least 1, got {width}")
    if width == 1:
        return values.copy()
    count = values.shape[axis] if values.ndim else values.size
    if width > count:
        raise ValueError(f"moving average width {width} is larger than the number of values ({count})")
    kernel = np.ones(width) / width
    if values.ndim == 1:
        return np.convolve(values, kernel, mode="same")
    moved = np.moveaxis(values, axis, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    out = np.empty_like(rows)
    for index, row in enumerate(rows):
        out[index] = np.convolve(row, kernel, mode="same")
    return np.moveaxis(out.reshape(moved.shape), -1, axis)


@register_transform
class MovingAverageTransform(TransformSpec):
    """Centred moving average over `width` entries, ``np.convolve(x, ones(width)/width, mode="same")`` (article 002).

    Near the edges the missing neighbours count as zeros. Along the steps it looks ahead: the value at a step
    uses later steps too. For a curve that only uses the past, use `trailing_average` or `ema`.
    """

    kind: Literal["moving_average"]
    width: int = Field(ge=1, le=MAX_WIDTH, description="Window, in entries; 1 = no smoothing.")
    along: Literal["steps", "points"] = Field(
        "steps",
        description="`steps`: smooth each series over the steps; `points`: smooth each step's vector over its "
        "last axis (e.g. a per-point error, as the band layer's `smooth` does).",
    )

    example = """
[transforms.error_smooth]   # bound as "transforms.error_smooth"
kind = "moving_average"
of = "net.error"            # steps × points
width = 15
along = "points"
"""

    def needs_steps(self) -> bool:
        return self.along == "steps"

    def compute(self, values: np.ndarray, stepped: bool) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        if self.along == "points":
            if values.ndim < (2 if stepped else 1):
                what = "one number per step" if stepped else "a single number"
                raise TransformError(
                    f'along = "points" smooths a vector of points, and the input holds {what}', "along"
                )
            axis = -1
        else:
            axis = 0
        try:
            return moving_average(values, self.width, axis)
        except ValueError as exc:
            raise TransformError(str(exc), "width") from None
