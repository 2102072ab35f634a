"""Schedule stage: which step each frame shows, and for how long."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from scenespec.easing import ease
from scenespec.errors import KeyPath, Problem, SpecError
from scenespec.frame import Frame
from scenespec.validate.scene import FramesSpec, StepRule


def select_steps(selection: str | StepRule | list[int], steps: np.ndarray) -> np.ndarray:
    """The recorded steps a selection picks, sorted and without repeats."""
    steps = np.asarray(steps, dtype=np.int64)
    if isinstance(selection, str):  # "all"
        return steps
    if isinstance(selection, list):
        return np.unique(np.asarray(selection, dtype=np.int64)[np.isin(selection, steps)])
    window = np.ones(len(steps), dtype=bool)
    if selection.start is not None:
        window &= steps >= selection.start
    if selection.stop is not None:
        window &= steps <= selection.stop
    inside = steps[window]
    chosen = np.zeros(len(inside), dtype=bool)
    chosen[: selection.first] = True
    chosen |= inside % selection.every == 0
    if selection.last and len(inside):
        chosen[-1] = True
    return inside[chosen]


def schedule(spec: FramesSpec, steps: np.ndarray | None, locate: Callable[[str, KeyPath], Problem]) -> list[Frame]:
    """Frames for the timeline `steps` (None: a still scene, one frame)."""
    if steps is None:
        chosen = np.array([0])
    else:
        chosen = select_steps(spec.steps, steps)
        if isinstance(spec.steps, list):
            missing = sorted(set(spec.steps) - set(steps.tolist()))
            if missing:
                shown = ", ".join(map(str, missing[:5])) + (" …" if len(missing) > 5 else "")
                span = f"{steps[0]}..{steps[-1]}" if len(steps) else "none"
                raise SpecError(
                    [locate(f"steps {shown} are not recorded (recorded steps: {span})", ("frames", "steps"))]
                )
        if len(chosen) == 0:
            span = f"{steps[0]}..{steps[-1]}" if len(steps) else "none"
            raise SpecError([locate(f"selects no frames (recorded steps: {span})", ("frames", "steps"))])
    return timed(chosen, spec)


def tweened(before: int, after: int, spec: FramesSpec) -> list[float]:
    """Positions of the in-between frames from step `before` to step `after` (none without `frames.tween`).

    The k-th of n lies at `before + ease(k / (n + 1)) · (after − before)`: strictly between the two steps. n is
    `tween.between`, or more in a stretch of `frames.slow` (`FramesSpec.in_between`), eased over the whole move.
    """
    tween = spec.tween
    if tween is None:
        return []
    count = spec.in_between(before, after)
    return [before + ease(tween.ease, k / (count + 1)) * (after - before) for k in range(1, count + 1)]


def frame_ms(spec: FramesSpec) -> int:
    """How long a frame is shown at `frames.fps`."""
    return round(1000 / spec.fps)


class Place(NamedTuple):
    """A frame before its index and start time are known: the shown step, its position, the step it moves
    towards (in-between frames), and how long it is shown."""

    step: int
    position: float | None
    toward: int | None
    duration_ms: int


def move(before: int, after: int, spec: FramesSpec) -> list[Place]:
    """The frames from shown step `before` until the next shown step `after`: the frame of `before` and the
    in-between frames. A move through a stretch of `frames.slow` has more in-between frames with `tween`, and
    otherwise its one frame shows longer."""
    if spec.tween is None:
        return [Place(before, None, None, round(1000 * spec.factor(before, after) / spec.fps))]
    base = frame_ms(spec)
    return [Place(before, None, None, base)] + [
        Place(before, position, after, base) for position in tweened(before, after, spec)
    ]


def timed(chosen: np.ndarray, spec: FramesSpec) -> list[Frame]:
    """A frame per chosen step (and the in-between frames of `frames.tween` after each but the last), with its
    duration, its start time and the frame count; the first holds for `start_pause`, the last for `end_pause`.

    An in-between frame shows the earlier step (`Frame.step`, for layers that show recorded rows) at a fractional
    `position` towards the next shown step (`Frame.toward`), for layers that move their data (`Painter.value_at`)."""
    steps = [int(step) for step in chosen.tolist()]
    places: list[Place] = []
    for before, after in itertools.pairwise(steps):
        places += move(before, after, spec)
    places.append(Place(steps[-1], None, None, frame_ms(spec) + round(spec.end_pause * 1000)))
    places[0] = places[0]._replace(duration_ms=places[0].duration_ms + round(spec.start_pause * 1000))
    count = len(places)
    frames = []
    elapsed = 0
    for index, place in enumerate(places):
        frames.append(Frame(index, place.step, place.duration_ms, place.position, count, elapsed, place.toward))
        elapsed += place.duration_ms
    return frames
