"""The frame context: which frame is drawn, what it shows and when; handed to every painter.

It lives below every stage: the schedule makes frames, painters draw them, sinks time them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Frame:
    """One frame of the animation, and the time context a painter draws it in.

    `step` is the recorded step (or counter value, see `frames.key`) shown; `position` is the same
    place on a continuous scale, which lies between two recorded steps when a frame is tweened
    (by default exactly `step`). `count` is the number of frames in the animation and `elapsed_ms`
    the time at which this frame appears.
    """

    index: int
    step: int
    duration_ms: int
    position: float = None  # type: ignore[assignment]  # filled in from `step`
    count: int = 1
    elapsed_ms: int = 0

    def __post_init__(self) -> None:
        if self.position is None:
            object.__setattr__(self, "position", float(self.step))

    @property
    def progress(self) -> float:
        """How far through the animation this frame is: 0 for the first frame, 1 for the last."""
        return self.index / (self.count - 1) if self.count > 1 else 1.0
