"""What layers show on the in-between frames of `frames.tween`, besides `Painter.value_at`'s blend.

Two kinds of layer move differently:

- A layer that draws a *history* (a path, a metric curve) shows every recorded step up to the frame. On an
  in-between frame its line grows along the recorded steps up to the frame's position and ends at a point
  interpolated there, so that when the next shown step arrives the line is already what that step draws
  (nothing jumps, even when recorded steps lie between two shown ones). Its points are recorded ones or lie
  between two of them, so they stay inside the axis limits, which cover every step up to the last shown one.
- A *number* written in a text (a loss in a counter or a head label) moves with the data: a measurement
  blends like the data it describes, while a count (a step, an epoch: a field whose values are all whole
  numbers) stays the whole number recorded at the shown step, since "epoch 3.25" was never recorded.
"""

from __future__ import annotations

import numpy as np

from scenespec.frame import Frame
from scenespec.resolve.trace import TraceField


def between_recorded(frame: Frame) -> bool:
    """Whether `frame` is an in-between frame, drawn at a position between two shown steps."""
    return frame.toward is not None and frame.position != frame.step


def history(steps: np.ndarray, values: np.ndarray, frame: Frame) -> np.ndarray:
    """The rows of `values` (one per recorded step of `steps`) a history shows at `frame`: those recorded up to its
    step; on an in-between frame, those recorded up to its position and a last row interpolated at it."""
    if not between_recorded(frame):
        return values[: int(np.searchsorted(steps, frame.step, side="right"))]
    end = int(np.searchsorted(steps, frame.position, side="right"))
    if end == 0 or end == len(steps):  # before the first or after the last recorded step: nothing to add
        return values[:end]
    lo, hi = float(steps[end - 1]), float(steps[end])
    weight = (frame.position - lo) / (hi - lo)
    before = np.asarray(values[end - 1], dtype=float)
    head = before + (np.asarray(values[end], dtype=float) - before) * weight
    return np.concatenate([np.asarray(values[:end], dtype=float), head[None]])


def field_history(field: TraceField, frame: Frame) -> np.ndarray:
    """`history` of a stepped field."""
    assert field.steps is not None
    return history(field.steps, np.asarray(field.data), frame)


def is_count(field: TraceField) -> bool:
    """Whether a field holds counts (integers, or floats that are all whole numbers) or text, never blended."""
    data = np.asarray(field.data)
    if data.dtype.kind != "f":
        return True
    finite = data[np.isfinite(data)]
    return bool(np.all(finite == np.round(finite)))


def number_at(field: TraceField, frame: Frame) -> np.ndarray:
    """The value a text writes at `frame`: blended between the two shown steps on an in-between frame, unless the
    field counts (`is_count`), which shows the value recorded at the shown step."""
    if between_recorded(frame) and not is_count(field):
        assert frame.toward is not None
        return field.blend(frame.step, frame.toward, frame.position)
    return field.at(frame.step)
