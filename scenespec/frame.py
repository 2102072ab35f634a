"""The frame context: which frame is drawn, what it shows and when; handed to every painter.

It lives below every stage: the schedule makes frames, painters draw them, sinks time them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, init=False)
class Frame:
    """One frame of the animation, and the time context a painter draws it in.

    `step` is the recorded step (or counter value, see `frames.key`) shown; `position` is the same
    place on a continuous scale, which lies between two recorded steps when a frame is tweened
    (by default exactly `step`). `count` is the number of frames in the animation and `elapsed_ms`
    the time at which this frame appears. An in-between frame (`frames.tween`) shows `step`, the shown
    step before it, and names the shown step after it as `toward`: `Painter.value_at` blends those two
    steps' values, so that it never shows a value outside what the shown steps hold (axis limits come
    from them), whatever is recorded in between.
    """

    index: int
    step: int
    duration_ms: int
    position: float
    count: int
    elapsed_ms: int
    toward: int | None

    def __init__(
        self,
        index: int,
        step: int,
        duration_ms: int,
        position: float | None = None,
        count: int = 1,
        elapsed_ms: int = 0,
        toward: int | None = None,
    ) -> None:
        """`position` None: exactly `step`. (Written out so that the attribute is a float while the argument
        may be None; the dataclass is frozen, hence `object.__setattr__`.)"""
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "step", step)
        object.__setattr__(self, "duration_ms", duration_ms)
        object.__setattr__(self, "position", float(step) if position is None else position)
        object.__setattr__(self, "count", count)
        object.__setattr__(self, "elapsed_ms", elapsed_ms)
        object.__setattr__(self, "toward", toward)

    @property
    def progress(self) -> float:
        """How far through the animation this frame is: 0 for the first frame, 1 for the last."""
        return self.index / (self.count - 1) if self.count > 1 else 1.0
