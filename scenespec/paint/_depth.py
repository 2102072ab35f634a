"""Depth truth in 3D: which points of a path a surface hides from the camera.

Matplotlib draws a 3D panel's artists one after the other, so it either paints a path over its surface or
hides all of it: it has no depth test between a line and a surface. This module does that test for a surface
that is a height grid z(x, y) on a rectilinear grid (what every grid source makes): from each point a ray goes
toward the camera's eye, and the point is hidden when the ray crosses to the other side of the surface
(beyond a tolerance, as a path lies on its surface, on its upper side).
The eye comes from the panel's projection matrix, so a turning camera, a zoom or an orthographic projection
are all seen as they are drawn. Everything is vectorised numpy: a few milliseconds for a thousand points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mpl_toolkits.mplot3d import proj3d

RAY_SAMPLES_PER_CELL = 2
"""Samples along a ray per grid cell it may cross: a rim one cell wide is not stepped over."""

MAX_RAY_SAMPLES = 400


@dataclass(frozen=True)
class HeightGrid:
    """z over a rectilinear grid: `xs` (ascending) along columns, `ys` (ascending) along rows."""

    xs: np.ndarray
    ys: np.ndarray
    z: np.ndarray

    def height(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Bilinear height at (x, y); NaN outside the grid (no surface there)."""
        xs, ys, z = self.xs, self.ys, self.z
        inside = (x >= xs[0]) & (x <= xs[-1]) & (y >= ys[0]) & (y <= ys[-1])
        i = np.clip(np.searchsorted(xs, x, side="right") - 1, 0, len(xs) - 2)
        j = np.clip(np.searchsorted(ys, y, side="right") - 1, 0, len(ys) - 2)
        fx = np.clip((x - xs[i]) / (xs[i + 1] - xs[i]), 0.0, 1.0)
        fy = np.clip((y - ys[j]) / (ys[j + 1] - ys[j]), 0.0, 1.0)
        low = z[j, i] * (1 - fx) + z[j, i + 1] * fx
        high = z[j + 1, i] * (1 - fx) + z[j + 1, i + 1] * fx
        return np.where(inside, low * (1 - fy) + high * fy, np.nan)


def height_grid(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> HeightGrid | None:
    """The grid of a surface given as 2D arrays X, Y, Z (either meshgrid orientation), or None when it is not a
    rectilinear height grid (a parametric surface): such a surface hides nothing."""
    x, y, z = (np.asarray(a, dtype=float) for a in (x, y, z))
    if x.ndim != 2 or x.shape != y.shape or x.shape != z.shape or min(x.shape) < 2:
        return None
    if np.all(x == x[:1]) and np.all(y == y[:, :1]):  # "xy" meshgrid: x along columns
        xs, ys = x[0], y[:, 0]
    elif np.all(x == x[:, :1]) and np.all(y == y[:1]):  # "ij" meshgrid: x along rows
        xs, ys, z = x[:, 0], y[0], z.T
    else:
        return None
    if not (np.all(np.diff(xs) != 0) and np.all(np.diff(ys) != 0)):
        return None
    if xs[0] > xs[-1]:
        xs, z = xs[::-1], z[:, ::-1]
    if ys[0] > ys[-1]:
        ys, z = ys[::-1], z[::-1]
    if not (np.all(np.diff(xs) > 0) and np.all(np.diff(ys) > 0)):
        return None
    return HeightGrid(xs, ys, z)


@dataclass(frozen=True)
class Eye:
    """Where the camera is, in data coordinates: a point (perspective) or, for an orthographic projection, the
    direction toward the viewer."""

    at: np.ndarray
    is_direction: bool


def eye_of(projection: np.ndarray) -> Eye:
    """The camera centre of a 3D panel's projection matrix (`Axes3D.get_proj()`): the point every ray of sight
    goes through, which the matrix sends to infinity (its x, y and w rows vanish there)."""
    _, _, rows = np.linalg.svd(np.asarray(projection, dtype=float)[[0, 1, 3]])
    centre = rows[-1]
    if abs(centre[3]) > 1e-12 * np.abs(centre).max():
        return Eye(centre[:3] / centre[3], False)
    direction = centre[:3]
    origin = np.zeros(3)
    depth = proj3d.proj_transform(*np.stack([origin, direction]).T, projection)[2]
    return Eye(direction if depth[1] < depth[0] else -direction, True)  # toward the viewer: nearer is smaller


def hidden(points: np.ndarray, grid: HeightGrid, eye: Eye, tolerance: float) -> np.ndarray:
    """Whether each of `points` (n, 3) is hidden by the surface `grid` from `eye`.

    A point is hidden when the ray from it to the eye, where it runs over the grid, reaches the other side of
    the surface by more than `tolerance`. A point on the surface (within the tolerance) is on its upper side, as
    a path walking on a loss surface is: it is hidden by another part of the surface, and by its own sheet
    when the camera sees that from below.
    """
    points = np.asarray(points, dtype=float).reshape(-1, 3)
    if len(points) == 0:
        return np.zeros(0, dtype=bool)
    if eye.is_direction:
        towards = np.broadcast_to(eye.at, points.shape)
        last = np.full(len(points), np.inf)
    else:
        towards = eye.at - points
        last = np.ones(len(points))
    enter, leave = _over_grid(points, towards, grid, last, 2 * tolerance)
    runs = leave > enter
    enter, leave = np.where(runs, enter, 0.0), np.where(runs, leave, 0.0)
    count = min(MAX_RAY_SAMPLES, RAY_SAMPLES_PER_CELL * max(len(grid.xs), len(grid.ys)))
    t = enter[:, None] + (leave - enter)[:, None] * np.linspace(0.0, 1.0, count)[None, :]
    ray = points[:, None, :] + t[..., None] * towards[:, None, :]
    x = np.clip(ray[..., 0], grid.xs[0], grid.xs[-1])
    y = np.clip(ray[..., 1], grid.ys[0], grid.ys[-1])
    above = ray[..., 2] - grid.height(x, y)
    upper_side = ~(above[:, 0] < -tolerance)  # where the ray starts: the point, or where it comes over the grid
    other_side = np.where(upper_side, np.any(above < -tolerance, axis=1), np.any(above > tolerance, axis=1))
    return other_side & runs


def _over_grid(
    points: np.ndarray, towards: np.ndarray, grid: HeightGrid, last: np.ndarray, margin: float
) -> tuple[np.ndarray, np.ndarray]:
    """The part [enter, leave] of each ray `points + t * towards`, 0 <= t <= last, that runs over the grid's
    rectangle and within its heights widened by `margin` (the slab method, each point's own height included), so
    that a ray crossing the surface is seen beyond it; leave <= enter where it never runs over the grid."""
    heights = grid.z[np.isfinite(grid.z)]
    low_z, high_z = (heights.min(), heights.max()) if heights.size else (0.0, 0.0)
    slabs = (
        (grid.xs[0], grid.xs[-1]),
        (grid.ys[0], grid.ys[-1]),
        (np.minimum(low_z, points[:, 2]) - margin, np.maximum(high_z, points[:, 2]) + margin),
    )
    enter, leave = np.zeros(len(points)), last.copy()
    for axis, (low, high) in enumerate(slabs):
        start, step = points[:, axis], towards[:, axis]
        within = (start >= low) & (start <= high)
        with np.errstate(divide="ignore", invalid="ignore"):
            t0, t1 = (low - start) / step, (high - start) / step
        moving = step != 0
        enter = np.maximum(enter, np.where(moving, np.minimum(t0, t1), np.where(within, -np.inf, np.inf)))
        leave = np.minimum(leave, np.where(moving, np.maximum(t0, t1), np.where(within, np.inf, -np.inf)))
    return enter, leave


def subdivided(points: np.ndarray, longest: float) -> tuple[np.ndarray, np.ndarray]:
    """`points` (rows, 3) with each segment cut into pieces no longer than `longest` (in the units of the
    points), so that a segment partly behind the surface is split about where it goes behind.

    Returns the new points and, per new segment, the index of the original segment it is part of.
    """
    points = np.asarray(points, dtype=float)
    if len(points) < 2:
        return points, np.zeros(0, dtype=int)
    lengths = np.linalg.norm(np.diff(points, axis=0), axis=1)
    pieces = np.maximum(1, np.ceil(np.nan_to_num(lengths / longest, nan=1.0))).astype(int)
    owner = np.repeat(np.arange(len(pieces)), pieces)
    start = np.concatenate([[0], np.cumsum(pieces)[:-1]])
    fraction = (np.arange(len(owner)) - start[owner]) / pieces[owner]
    new = points[owner] + fraction[:, None] * (points[owner + 1] - points[owner])
    return np.vstack([new, points[-1:]]), owner
