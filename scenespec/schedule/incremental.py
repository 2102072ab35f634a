"""The schedule as steps arrive: today's rules (`all`, `{first, every, start, stop, last}`, a list) applied one
step at a time, so frames of a growing trace can be drawn before training ends.

A chosen frame is held back until the next one is chosen or the stream ends, because only then is it known
whether it is the last frame (which holds for `end_pause`, and which `last = true` adds when the rule did not
pick it). Fed every step of a trace and finished, it gives exactly the frames `schedule` gives for the whole
trace (the frame count, unknown while streaming, is the count so far). With `frames.tween`, the in-between frames
towards a newly chosen step follow the held frame as soon as that step is recorded: both ends are known then, and
so is whether the move passes through a stretch of `frames.slow`. The first frame holds for `start_pause`.
"""

from __future__ import annotations

from collections.abc import Callable

from scenespec.errors import KeyPath, Problem, SpecError
from scenespec.frame import Frame
from scenespec.schedule.frames import Place, frame_ms, move
from scenespec.validate.scene import FramesSpec


class FrameStream:
    """Feed steps in order with `feed(step)`; each call returns the frames that became final. End with `finish()`."""

    def __init__(self, spec: FramesSpec, locate: Callable[[str, KeyPath], Problem] | None = None) -> None:
        self.spec = spec
        self.locate = locate or (lambda message, path: Problem(message, path))
        self.base_ms = frame_ms(spec)
        self.start_ms = round(spec.start_pause * 1000)
        self.emitted = 0
        self.elapsed_ms = 0  # when the next frame appears
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

    def _frame(self, place: Place) -> Frame:
        index = self.emitted
        duration = place.duration_ms + (self.start_ms if index == 0 else 0)
        frame = Frame(index, place.step, duration, place.position, index + 1, self.elapsed_ms, place.toward)
        self.emitted += 1
        self.elapsed_ms += duration
        return frame

    def _towards(self, step: int) -> list[Frame]:
        """The held frame and the in-between frames from it to `step`, the next chosen step."""
        assert self.held is not None
        return [self._frame(place) for place in move(self.held, step, self.spec)]

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
        duration = self.base_ms + (self.start_ms if index == 0 else 0)
        return Frame(index, self.held, duration, count=index + 1, elapsed_ms=self.elapsed_ms)

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
        out.append(self._frame(Place(self.held, None, None, self.base_ms + round(self.spec.end_pause * 1000))))
        self.held = None
        return out
