"""PCHIP (monotone piecewise cubic Hermite) interpolation in numpy, as `scipy.interpolate.PchipInterpolator`.

The spline layer's default method. scipy.interpolate takes half a second to import (it brings scipy.spatial,
scipy.sparse, scipy.optimize and numpy.f2py), more than drawing a whole 200-frame animation: a spec with a
spline would pay it on every render. The other methods (cubic, akima) still import scipy, when used.

Slopes by Fritsch and Carlson's weighted harmonic mean (0 at a local extremum, so the curve never overshoots
its knots), ends by the one-sided three-point formula kept monotone, as scipy computes them.
"""

from __future__ import annotations

import numpy as np


def pchip_slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The curve's derivative at each knot (x increasing, at least 2 knots)."""
    h = np.diff(x)
    m = np.diff(y) / h
    if len(x) == 2:
        return np.array([m[0], m[0]])
    slopes = np.zeros_like(y)
    flat = (np.sign(m[1:]) != np.sign(m[:-1])) | (m[1:] == 0) | (m[:-1] == 0)
    w1, w2 = 2 * h[1:] + h[:-1], h[1:] + 2 * h[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        harmonic = (w1 / m[:-1] + w2 / m[1:]) / (w1 + w2)
    slopes[1:-1][~flat] = 1.0 / harmonic[~flat]
    slopes[0] = _end_slope(h[0], h[1], m[0], m[1])
    slopes[-1] = _end_slope(h[-1], h[-2], m[-1], m[-2])
    return slopes


def _end_slope(h0: float, h1: float, m0: float, m1: float) -> float:
    """The three-point slope at an end, 0 if it points against the first interval, at most 3 times its slope."""
    d = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
    if np.sign(d) != np.sign(m0):
        return 0.0
    if np.sign(m0) != np.sign(m1) and abs(d) > 3 * abs(m0):
        return 3 * m0
    return float(d)


def pchip(x: np.ndarray, y: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The PCHIP curve through the knots (x increasing, y one value each) at positions `at` (within the knots)."""
    x, y, at = (np.asarray(a, dtype=float) for a in (x, y, at))
    slopes = pchip_slopes(x, y)
    h = np.diff(x)
    m = np.diff(y) / h
    # the cubic on each interval, in powers of (position - its left knot), as scipy's CubicHermiteSpline
    bend = (slopes[:-1] + slopes[1:] - 2 * m) / h
    c3, c2, c1, c0 = bend / h, (m - slopes[:-1]) / h - bend, slopes[:-1], y[:-1]
    k = np.clip(np.searchsorted(x, at, side="right") - 1, 0, len(h) - 1)
    s = at - x[k]
    return ((c3[k] * s + c2[k]) * s + c1[k]) * s + c0[k]
