"""A `[sweep]` checked before it is expanded: its size against `limits.sweep_points`, then every point as a spec
of its own, so that a value the spec refuses is reported at its sweep key, naming the value."""

from __future__ import annotations

from collections.abc import Callable

from scenespec.errors import Problem, SpecError
from scenespec.load.loader import LoadedSpec
from scenespec.load.sweep import SWEEP, PointSpec, Sweep, point_spec
from scenespec.validate.budget import raw_limits
from scenespec.validate.limits import number, over_limit


def check_size(loaded: LoadedSpec, sweep: Sweep) -> None:
    """The number of points within `limits.sweep_points`, before any point is looked at."""
    limits = raw_limits(loaded.data)
    if sweep.size > limits.value("sweep_points"):
        lengths = " × ".join(str(len(key.values)) for key in sweep.keys)
        estimate = f"{number(sweep.size)} points ({lengths})" if len(sweep.keys) > 1 else f"{number(sweep.size)} points"
        raise SpecError([loaded.problem(over_limit(estimate, "sweep_points", limits), (SWEEP,))])


def check_points(loaded: LoadedSpec, sweep: Sweep, check: Callable[[LoadedSpec], object]) -> list[PointSpec]:
    """Every point checked by `check` (which raises SpecError); all their problems in one SpecError.

    A problem under a swept key is placed at the sweep key (`PointSpec.problem`). One elsewhere that every point
    has is the spec's own and is reported once; one that only some points have names them."""
    check_size(loaded, sweep)
    points = [point_spec(loaded, point) for point in sweep.points()]
    found: dict[Problem, list[str]] = {}
    for spec in points:
        try:
            check(spec)
        except SpecError as error:
            for problem in error.problems:
                found.setdefault(problem, []).append(spec.point.label if spec.point else "")
    if not found:
        return points
    problems = []
    for problem, labels in found.items():
        at_sweep = problem.path[:1] == (SWEEP,)
        if at_sweep or len(labels) == len(points):
            problems.append(problem)
        else:
            problems.append(
                Problem(f"{problem.message} (at {'; '.join(labels)})", problem.path, problem.file, problem.line)
            )
    raise SpecError(problems)
