"""A path's line as runs of equal style: older steps fading out (`fade`), hidden parts dashed or faded (`hidden`).

A matplotlib line has one alpha and one dash pattern; a trail that fades with age, or a 3D path that goes
behind its surface, needs them per segment. The segments are grouped into runs that share a style (a run
is one polyline of a line collection), so that a dash pattern flows along a hidden stretch instead of
restarting at every short segment, and the collection stays small.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

HiddenStyle = Literal["dashed", "faded", "none", "solid"]


def fade_factors(ages: np.ndarray, fade: int | None, fade_min: float) -> np.ndarray:
    """Opacity factor of segments (or points) `ages` steps older than the newest: 1 for the newest, falling
    linearly to `fade_min` at `fade` steps old and staying there (no fading when `fade` is None)."""
    ages = np.asarray(ages, dtype=float)
    if fade is None:
        return np.ones_like(ages)
    return fade_min + (1.0 - fade_min) * np.clip(1.0 - ages / fade, 0.0, 1.0)


@dataclass(frozen=True)
class Trail:
    """What to draw of one path: polylines (`runs`) with an opacity factor and a dash flag each, and an opacity
    factor per recorded point (for its marker; 0: not drawn)."""

    runs: list[np.ndarray]
    alphas: np.ndarray
    dashed: np.ndarray
    point_alphas: np.ndarray


@dataclass(frozen=True)
class TrailStyle:
    """The path layer's settings that style its trail."""

    fade: int | None = None
    fade_min: float = 0.15
    hidden: HiddenStyle = "dashed"
    hidden_alpha: float = 0.45

    def hidden_factor(self) -> float:
        """Opacity factor of what a surface hides: 0 when it is not drawn, 1 when drawn as if seen."""
        return {"none": 0.0, "solid": 1.0}.get(self.hidden, self.hidden_alpha)


def trail(
    points: np.ndarray, owner: np.ndarray, segment_hidden: np.ndarray, point_hidden: np.ndarray, style: TrailStyle
) -> Trail:
    """Runs of `points` (vertices of the subdivided path, in order) whose segment i belongs to recorded segment
    `owner[i]` and is hidden where `segment_hidden[i]`; `point_hidden` tells it of each recorded point."""
    rows = len(point_hidden)
    point_ages = (rows - 1) - np.arange(rows)
    point_alphas = fade_factors(point_ages, style.fade, style.fade_min) * np.where(
        point_hidden, style.hidden_factor(), 1.0
    )
    if len(owner) == 0:
        return Trail([], np.zeros(0), np.zeros(0, dtype=bool), point_alphas)
    ages = (rows - 2) - np.asarray(owner)
    age_key = np.minimum(ages, style.fade) if style.fade is not None else np.zeros_like(ages)
    hidden = np.asarray(segment_hidden, dtype=bool) & (style.hidden != "solid")
    change = np.flatnonzero((np.diff(age_key) != 0) | (np.diff(hidden.astype(int)) != 0)) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [len(owner)]])
    keep = ~hidden[starts] | (style.hidden != "none")
    starts, ends = starts[keep], ends[keep]
    runs = [points[s : e + 1] for s, e in zip(starts, ends, strict=True)]
    factors = fade_factors(ages[starts], style.fade, style.fade_min) * np.where(
        hidden[starts], style.hidden_factor(), 1.0
    )
    return Trail(runs, factors, hidden[starts] & (style.hidden == "dashed"), point_alphas)
