"""Easing functions: how a tweened frame's position moves from one shown step to the next.

Each maps the fraction of the way between two steps, t in [0, 1], to the fraction of the change shown, rising from
0 to 1 without overshooting (so a tweened value stays between its two recorded values, within the axis limits
that the recorded steps set). The usual families (Robert Penner's easing equations, as CSS and d3-ease name
them): `in` starts slowly, `out` ends slowly, `in-out` does both. `expo` is the most pronounced: Penner's
2^(10(t − 1)), which would leave 2^−10 at t = 0, is set to exactly 0 there, so every easing starts and ends exactly
on a recorded step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal, get_args

EaseName = Literal[
    "linear",
    "quad-in",
    "quad-out",
    "quad-in-out",
    "cubic-in",
    "cubic-out",
    "cubic-in-out",
    "sine-in",
    "sine-out",
    "sine-in-out",
    "expo-in",
    "expo-out",
    "expo-in-out",
]


def _in_out(ease_in: Callable[[float], float]) -> Callable[[float], float]:
    """The in-out form of an `in` easing: its first half sped up, then its mirror image."""
    return lambda t: ease_in(2 * t) / 2 if t < 0.5 else 1 - ease_in(2 - 2 * t) / 2


def _out(ease_in: Callable[[float], float]) -> Callable[[float], float]:
    """The `out` form of an `in` easing: the same curve run backwards."""
    return lambda t: 1 - ease_in(1 - t)


def _sine_in(t: float) -> float:
    return 1 - math.cos(t * math.pi / 2)


def _expo_in(t: float) -> float:
    return 0.0 if t == 0 else 2 ** (10 * (t - 1))


EASINGS: dict[str, Callable[[float], float]] = {
    "linear": lambda t: t,
    "quad-in": lambda t: t * t,
    "quad-out": _out(lambda t: t * t),
    "quad-in-out": _in_out(lambda t: t * t),
    "cubic-in": lambda t: t**3,
    "cubic-out": _out(lambda t: t**3),
    "cubic-in-out": _in_out(lambda t: t**3),
    "sine-in": _sine_in,
    "sine-out": _out(_sine_in),
    "sine-in-out": _in_out(_sine_in),
    "expo-in": _expo_in,
    "expo-out": _out(_expo_in),
    "expo-in-out": _in_out(_expo_in),
}
assert set(EASINGS) == set(get_args(EaseName))


def ease(name: str, t: float) -> float:
    """The eased fraction for `t` in [0, 1] (clipped to it)."""
    return float(EASINGS[name](min(max(t, 0.0), 1.0)))
