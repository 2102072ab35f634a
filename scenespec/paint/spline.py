"""Painter of layer `spline` (its model: `scenespec/layers/spline.py`): the matplotlib side, imported by a render."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from scenespec.frame import Frame
from scenespec.layers.spline import SplineLayer
from scenespec.paint._pchip import pchip
from scenespec.paint.base import BuildContext, Extent, Painter
from scenespec.resolve.trace import TraceField


def interpolated(method: str, steps: np.ndarray, values: np.ndarray, dense: np.ndarray) -> np.ndarray:
    """The smooth curve through the knots at `dense`: PCHIP in numpy, the others by scipy, imported when used."""
    if method == "pchip":
        return pchip(steps, values, dense)
    from scipy.interpolate import Akima1DInterpolator, CubicSpline

    interpolator = {"cubic": CubicSpline, "akima": Akima1DInterpolator}[method]
    return np.asarray(interpolator(steps, values)(dense))


class SplinePainter(Painter[SplineLayer]):
    """Fits the curve once at build; per frame shows the part up to the frame's step."""

    curve_pos: np.ndarray
    curve_x: np.ndarray
    curve_y: np.ndarray
    last_position: float
    knot_steps: np.ndarray
    """The shown steps at the knots of `along = "frames"` (knot i is the i-th shown frame)."""
    x_data_range: tuple[float, float] | None = None

    @property
    def dynamic(self) -> bool:
        return True  # it grows, or appears at the end, even though its data is fixed

    @property
    def stretched(self) -> bool:
        return self.spec.twin if self.spec.stretch is None else self.spec.stretch

    def position_of(self, frame: Frame) -> float:
        """Where along the curve `frame` is: its step position, or (`along = "frames"`) its place among the shown
        frames: the index of the shown frame, and in between two of them (`frames.tween`) as far on as the frame
        is from one step to the next."""
        if self.spec.along == "frames":
            return float(np.interp(frame.position, self.knot_steps, np.arange(len(self.knot_steps), dtype=float)))
        return frame.position

    def knots(self, frame_steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions along the curve and the values there; also fixes how a step maps to a position."""
        field = self.fields["y"]
        if self.spec.along == "frames":
            self.knot_steps = frame_steps.astype(float)
            values = np.array([np.asarray(field.at(int(s)), dtype=float) for s in frame_steps])
            return np.arange(len(frame_steps), dtype=float), values
        steps, values = field.upto(int(frame_steps[-1]))
        return steps.astype(float), np.asarray(values, dtype=float)

    def extent(self, frame_steps: np.ndarray) -> Extent:
        steps, values = self.knots(frame_steps)
        self.fit(steps, values)
        return Extent(None if self.stretched else steps, self.curve_y)

    def fit(self, steps: np.ndarray, values: np.ndarray) -> None:
        dense = np.linspace(steps[0], steps[-1], max(self.spec.samples, 2))
        if self.spec.method == "linear" or len(steps) < 3:
            smooth = np.interp(dense, steps, values)
        else:
            smooth = interpolated(self.spec.method, steps, values, dense)
        self.curve_pos, self.curve_y = dense, smooth
        self.last_position = float(steps[-1])

    def build(self, ctx: BuildContext, frame: Frame) -> None:
        self.x_data_range = ctx.x_data_range
        self._fit_curve(ctx.frame_steps)
        (self.line,) = ctx.ax.plot([], [], **self.artist_kwargs(color="color", lw="linewidth"))
        self.artists = [self.line]
        self.update(frame)

    def _fit_curve(self, frame_steps: np.ndarray) -> None:
        """Fit the curve through the values the frames show, and place it (stretched over the data's x range)."""
        steps, values = self.knots(frame_steps)
        self.fit(steps, values)
        self.curve_x = self.curve_pos
        if self.stretched and self.x_data_range is not None and steps[-1] > steps[0]:
            lo, hi = self.x_data_range
            self.curve_x = lo + (self.curve_pos - steps[0]) / (steps[-1] - steps[0]) * (hi - lo)

    def refresh(self, fields: Mapping[str, TraceField], frames: Sequence[Frame]) -> None:
        """A live render refits the curve through the frames so far: it grows as the trace does."""
        super().refresh(fields, frames)
        self._fit_curve(np.array([f.step for f in frames if f.toward is None], dtype=np.int64))

    def frame_extent(self, frame: Frame) -> Extent:
        end = int(np.searchsorted(self.curve_pos, self.position_of(frame), side="right"))
        return Extent(None if self.stretched else self.curve_x[:end], self.curve_y[:end])

    def update(self, frame: Frame) -> None:
        if self.spec.reveal == "end" and self.position_of(frame) < self.last_position:
            self.line.set_data([], [])
            return
        end = int(np.searchsorted(self.curve_pos, self.position_of(frame), side="right"))
        self.line.set_data(self.curve_x[:end], self.curve_y[:end])
