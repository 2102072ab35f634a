"""Schedule stage: which step each frame shows, and for how long."""

from __future__ import annotations

from collections.abc import Callable

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

    The k-th of n lies at `before + ease(k / (n + 1)) · (after − before)`: strictly between the two steps.
    """
    tween = spec.tween
    if tween is None:
        return []
    count = tween.between
    return [before + ease(tween.ease, k / (count + 1)) * (after - before) for k in range(1, count + 1)]


def timed(chosen: np.ndarray, spec: FramesSpec) -> list[Frame]:
    """A frame per chosen step (and the in-between frames of `frames.tween` after each but the last), with its
    duration, its start time and the frame count; the last one holds.

    An in-between frame shows the earlier step (`Frame.step`, for layers that show recorded rows) at a fractional
    `position` towards the next shown step (`Frame.toward`), for layers that move their data (`Painter.value_at`)."""
    places: list[tuple[int, float | None, int | None]] = []
    for index, step in enumerate(chosen.tolist()):
        places.append((step, None, None))
        if index + 1 < len(chosen):
            after = int(chosen[index + 1])
            places += [(step, position, after) for position in tweened(step, after, spec)]
    base = round(1000 / spec.fps)
    count = len(places)
    durations = [base] * count
    durations[-1] += round(spec.end_pause * 1000)
    return [
        Frame(i, int(step), durations[i], position, count=count, elapsed_ms=base * i, toward=after)
        for i, (step, position, after) in enumerate(places)
    ]
