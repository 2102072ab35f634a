"""Transform `ema`: exponential smoothing, debiased exactly as TensorBoard's scalar dashboard smooths a curve.

TensorBoard (`tensorboard/webapp/widgets/line_chart_v2/data_transformer.ts`, `classicSmoothing`, and
before it `vz_line_chart2/line-chart.ts`, `resmoothDataset`) runs a first-order IIR low-pass filter
started at 0 and divides out the start's bias:

    last = 0, numAccum = 0
    for each value v:
        if v is not finite:  smoothed = v                 (passed through; last and numAccum unchanged)
        else:
            last = last * weight + (1 - weight) * v
            numAccum += 1
            debiasWeight = 1 - weight ** numAccum
            smoothed = last / debiasWeight

A series whose values all equal its first is returned as it is (TensorBoard issue #786: the division
would otherwise add rounding noise to a flat line). Its slider's default weight is 0.6.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field

from scenespec.transform.base import TransformSpec, register_transform

TENSORBOARD_WEIGHT = 0.6
"""TensorBoard's default smoothing weight."""


def ema_series(values: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard's debiased exponential moving average of one 1-D series (see the module docstring)."""
    values = np.asarray(values, dtype=float)
    if values.size == 0 or bool(np.all(values == values[0])):
        return values.copy()  # a constant series stays as it is (TensorBoard #786)
    out = np.empty_like(values)
    last = 0.0
    accumulated = 0
    for index, value in enumerate(values.tolist()):
        if not math.isfinite(value):
            out[index] = value
            continue
        last = last * weight + (1 - weight) * value
        accumulated += 1
        out[index] = last / (1 - weight**accumulated)
    return out


def ema(values: np.ndarray, weight: float, axis: int = 0) -> np.ndarray:
    """TensorBoard's debiased exponential moving average along `axis`, each 1-D series on its own.

    `weight` in [0, 1): 0 returns the values; closer to 1 smooths more. Non-finite values are passed through
    and skipped by the average; a constant series is returned unchanged.
    """
    if not 0 <= weight < 1:
        raise ValueError(f"ema weight must be in [0, 1), got {weight}")
    values = np.asarray(values, dtype=float)
    if values.ndim == 0:
        return values.copy()
    moved = np.moveaxis(values, axis, 0)
    columns = moved.reshape(moved.shape[0], -1)
    out = np.empty_like(columns)
    for column in range(columns.shape[1]):
        out[:, column] = ema_series(columns[:, column], weight)
    return np.moveaxis(out.reshape(moved.shape), 0, axis)


@register_transform
class EmaTransform(TransformSpec):
    """Exponential moving average over the steps, debiased as TensorBoard's scalar dashboard does it.

    `last = last·weight + (1 − weight)·value`, shown as `last / (1 − weight^n)` after n finite values;
    non-finite values pass through, a constant series is left as it is. Causal: drawn points never change.
    """

    kind: Literal["ema"]
    weight: float = Field(
        TENSORBOARD_WEIGHT,
        ge=0,
        lt=1,
        description="Smoothing weight, TensorBoard's slider: 0 = none, closer to 1 = smoother (0.6 is its default).",
    )

    example = """
[transforms.loss_ema]   # bound as "transforms.loss_ema"
kind = "ema"
of = "net.batch_loss"
weight = 0.6
"""

    def compute(self, values: np.ndarray, stepped: bool) -> np.ndarray:
        return ema(values, self.weight)
