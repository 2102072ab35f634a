"""Axis limits from every frame's data, computed once so that axes never jump."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

MARGIN = 0.05  # matplotlib's default axes margin


def data_range(arrays: Iterable[np.ndarray | None], log: bool = False) -> tuple[float, float] | None:
    """Min and max of the finite (and, on a log axis, positive) values of all arrays."""
    lo, hi = np.inf, -np.inf
    for values in arrays:
        if values is None:
            continue
        flat = np.asarray(values, dtype=float).ravel()
        flat = flat[np.isfinite(flat) & (flat > 0)] if log else flat[np.isfinite(flat)]
        if flat.size:
            lo, hi = min(lo, float(flat.min())), max(hi, float(flat.max()))
    return (lo, hi) if lo <= hi else None


def padded(span: tuple[float, float] | None, log: bool = False) -> tuple[float, float] | None:
    """The span with a margin on each side (multiplicative on a log axis); a point gets a unit span."""
    if span is None:
        return None
    lo, hi = span
    if log:
        llo, lhi = np.log10(lo), np.log10(hi)
        pad = (lhi - llo) * MARGIN if lhi > llo else 0.5
        return float(10 ** (llo - pad)), float(10 ** (lhi + pad))
    if hi == lo:
        pad = abs(lo) * 0.1 or 1.0
        return lo - pad, hi + pad
    pad = (hi - lo) * MARGIN
    return lo - pad, hi + pad


def axis_limits(data: list[tuple[np.ndarray | None, bool]], log: bool = False) -> tuple[float, float] | None:
    """Limits covering every layer's data: points get a margin, grids (`tight`) fill the axis exactly."""
    loose = padded(data_range([values for values, tight in data if not tight], log), log)
    tight = data_range([values for values, tight in data if tight], log)
    spans = [span for span in (loose, tight) if span is not None]
    if not spans:
        return None
    return min(lo for lo, _ in spans), max(hi for _, hi in spans)


GROW_MARGIN = 0.1
"""How far past the data a `grow` panel's limits move when data leaves the view (a fraction of the new span)."""


def widened(
    current: tuple[float, float], needed: tuple[float, float] | None, log: bool = False
) -> tuple[float, float] | None:
    """New limits when `needed` (the data shown now) leaves `current`, with a margin on the side it left by;
    None when the data is inside. On a log axis the margin is multiplicative."""
    if needed is None:
        return None
    lo, hi = current
    need_lo, need_hi = needed
    if need_lo >= lo and need_hi <= hi:
        return None
    if log:
        lo, hi, need_lo, need_hi = (float(np.log10(v)) for v in (lo, hi, need_lo, need_hi))
    pad = (max(hi, need_hi) - min(lo, need_lo)) * GROW_MARGIN
    new = (need_lo - pad if need_lo < lo else lo, need_hi + pad if need_hi > hi else hi)
    return (float(10 ** new[0]), float(10 ** new[1])) if log else new
