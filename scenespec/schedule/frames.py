"""Schedule stage: which step each frame shows, and for how long."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

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


def timed(chosen: np.ndarray, spec: FramesSpec) -> list[Frame]:
    """A frame per chosen step, with its duration, its start time and the frame count; the last one holds."""
    base = round(1000 / spec.fps)
    count = len(chosen)
    durations = [base] * count
    durations[-1] += round(spec.end_pause * 1000)
    return [Frame(i, int(step), durations[i], count=count, elapsed_ms=base * i) for i, step in enumerate(chosen)]
