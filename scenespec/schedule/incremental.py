"""The schedule as steps arrive: today's rules (`all`, `{first, every, start, stop, last}`, a list) applied one
step at a time, so frames of a growing trace can be drawn before training ends.

A chosen frame is held back until the next one is chosen or the stream ends, because only then is it known
whether it is the last frame (which holds for `end_pause`, and which `last = true` adds when the rule did not
pick it). Fed every step of a trace and finished, it gives exactly the frames `schedule` gives for the whole
trace (the frame count, unknown while streaming, is the count so far). With `frames.tween`, the in-between frames
towards a newly chosen step follow the held frame as soon as that step is recorded: both ends are known then.
"""

from __future__ import annotations

from collections.abc import Callable

from scenespec.errors import KeyPath, Problem, SpecError
from scenespec.frame import Frame
from scenespec.schedule.frames import tweened
from scenespec.validate.scene import FramesSpec


class FrameStream:
    """Feed steps in order with `feed(step)`; each call returns the frames that became final. End with `finish()`."""

    def __init__(self, spec: FramesSpec, locate: Callable[[str, KeyPath], Problem] | None = None) -> None:
        self.spec = spec
        self.locate = locate or (lambda message, path: Problem(message, path))
        self.base_ms = round(1000 / spec.fps)
        self.emitted = 0
        self.held: int | None = None  # a chosen step not yet emitted
        self.latest: int | None = None  # the last step fed, chosen or not
        self.inside = 0  # steps fed inside the start/stop window
        self.seen: list[int] = []

    def _chosen(self, step: int) -> bool:
        rule = self.spec.steps
        if isinstance(rule, str):
            return True
        if isinstance(rule, list):
            return step in rule
        if (rule.start is not None and step < rule.start) or (rule.stop is not None and step > rule.stop):
            return False
        self.inside += 1
        return self.inside <= rule.first or step % rule.every == 0

    def _in_window(self, step: int) -> bool:
        rule = self.spec.steps
        if isinstance(rule, str | list):
            return True
        return (rule.start is None or step >= rule.start) and (rule.stop is None or step <= rule.stop)

    def _frame(self, step: int, duration_ms: int, position: float | None = None, toward: int | None = None) -> Frame:
        index = self.emitted
        self.emitted += 1
        return Frame(
            index, step, duration_ms, position, count=index + 1, elapsed_ms=self.base_ms * index, toward=toward
        )

    def _towards(self, step: int) -> list[Frame]:
        """The held frame and the in-between frames from it to `step`, the next chosen step."""
        assert self.held is not None
        held = self.held
        return [self._frame(held, self.base_ms)] + [
            self._frame(held, self.base_ms, position, step) for position in tweened(held, step, self.spec)
        ]

    def feed(self, step: int) -> list[Frame]:
        """Tell the stream that `step` was recorded; returns the frames now known to be final."""
        if self.latest is not None and step <= self.latest:
            raise ValueError(f"step {step} after step {self.latest}: steps must increase")
        self.seen.append(step)
        if self._in_window(step):
            self.latest = step
        if not self._chosen(step):
            return []
        out = [] if self.held is None else self._towards(step)
        self.held = step
        return out

    def peek(self) -> Frame | None:
        """The frame the held step will be, without emitting it: what a live view shows of the newest step."""
        if self.held is None:
            return None
        index = self.emitted
        return Frame(index, self.held, self.base_ms, count=index + 1, elapsed_ms=self.base_ms * index)

    def finish(self) -> list[Frame]:
        """The stream ended: the last frame (with the end pause), adding the final step if `last` asks for it."""
        rule = self.spec.steps
        if isinstance(rule, list):
            missing = sorted(set(rule) - set(self.seen))
            if missing:
                shown = ", ".join(map(str, missing[:5])) + (" …" if len(missing) > 5 else "")
                raise SpecError([self.locate(f"steps {shown} were not recorded", ("frames", "steps"))])
        out: list[Frame] = []
        if not isinstance(rule, str | list) and rule.last and self.latest is not None and self.latest != self.held:
            if self.held is not None:
                out += self._towards(self.latest)
            self.held = self.latest
        if self.held is None:
            raise SpecError([self.locate("selects no frames from the steps recorded", ("frames", "steps"))])
        out.append(self._frame(self.held, self.base_ms + round(self.spec.end_pause * 1000)))
        self.held = None
        return out
