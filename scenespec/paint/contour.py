"""Painter of layer `contour` (its model: `scenespec/layers/contour.py`): the matplotlib side, imported by a render."""

from __future__ import annotations

import numpy as np
from matplotlib.artist import Artist
from matplotlib.colors import LogNorm, Normalize
from matplotlib.contour import ContourSet
from matplotlib.ticker import MaxNLocator

from scenespec.frame import Frame
from scenespec.layers.contour import ContourLayer, LevelRange
from scenespec.paint.base import BuildContext, Extent, Painter, add_colorbar, redrawn

LOG_RANGE = 1e-8
"""A log norm spans at most this ratio below z's maximum (z near 0 at a minimum would add empty decades)."""


def contour_levels(z: np.ndarray, levels: int | list[float] | LevelRange, log: bool, filled: bool) -> np.ndarray:
    """Explicit levels, or about `levels` round values spanning the finite z.

    Linear levels come from matplotlib's MaxNLocator (round numbers); log levels are
    a whole number per decade, so a colorbar's decade ticks line up with them. Lines
    keep only levels strictly inside z's range (a line at the minimum is a dot);
    filled contours keep the edges, so every value falls in a band.
    """
    if isinstance(levels, LevelRange):
        levels = levels.values()
    if isinstance(levels, list):
        return np.asarray(levels, dtype=float)
    finite = z[np.isfinite(z) & (z > 0)] if log else z[np.isfinite(z)]
    if finite.size == 0:
        return np.array([1.0, 10.0]) if log else np.array([0.0, 1.0])
    lo, hi = float(finite.min()), float(finite.max())
    if log:
        lo = max(lo, hi * LOG_RANGE)
        first, last = int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi)))
        per_decade = max(1, round(levels / max(last - first, 1)))  # whole decades stay levels
        values = np.logspace(first, last, (last - first) * per_decade + 1)
    else:
        ticks = MaxNLocator(levels + 1).tick_values(lo, hi) if hi > lo else [lo - 1, lo, lo + 1]
        values = np.asarray(ticks, dtype=float)
    inside = values[(values > lo) & (values < hi)]
    return values if filled or inside.size == 0 else inside


class ContourPainter(Painter[ContourLayer]):
    def extent(self, frame_steps: np.ndarray) -> Extent:
        return Extent(self.fields["x"].data, self.fields["y"].data, self.fields["z"].over(frame_steps), tight=True)

    def build(self, ctx: BuildContext, frame: Frame) -> None:
        self.ax = ctx.ax
        self.contours = self._draw(frame)
        add_colorbar(ctx.ax, self.contours, self.spec.colorbar)

    def _draw(self, frame: Frame) -> ContourSet:
        """The contours of the frame's z: blended between two shown steps on an in-between frame of `frames.tween`."""
        s = self.spec
        raw = np.asarray(self.value_at("z", frame), dtype=float)
        log = s.norm == "log"
        z = np.where(raw > 0, raw, np.nan) if log else raw  # a log axis has no place for z <= 0
        levels = contour_levels(z, s.levels, log, s.filled)
        if log and s.filled:  # values at or below the lowest level (a minimum at 0) join the lowest band: no hole
            z = np.where(np.isfinite(raw), np.maximum(raw, levels[0]), np.nan)
        norm = LogNorm(levels[0], levels[-1]) if log else Normalize(levels[0], levels[-1])
        kwargs = self.common_kwargs()
        if s.color is not None:
            kwargs["colors"] = s.color
        else:
            kwargs["cmap"] = self.style("cmap")
            kwargs["norm"] = norm
        draw = self.ax.contourf if s.filled else self.ax.contour
        if not s.filled:
            kwargs["linewidths"] = self.style("linewidth")
        contours = draw(self.value_at("x", frame), self.value_at("y", frame), z, levels=levels, **kwargs)
        self.artists = [contours]
        if s.labels and not s.filled:
            self.artists += self.ax.clabel(contours, inline=True, fontsize=8, fmt=lambda v: format(v, s.label_format))
        return contours

    def update(self, frame: Frame) -> None:
        """A z that changes per step is re-contoured (contour sets cannot be edited in place)."""
        old = self.contours
        for artist in self.artists:
            artist.remove()
        self.contours = self._draw(frame)
        redrawn(old, self.artists)

    def legend_handles(self) -> list[Artist]:
        return []
