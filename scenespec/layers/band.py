"""Layer `band`: a shaded area around a line, e.g. the model's prediction ± its per-point loss (article 002).

The spread can be smoothed by a centred moving average computed exactly like the
article, ``np.convolve(spread, np.ones(w) / w, mode="same")``: it shows which part
of the model contributes most to the loss. The smoothing is the `moving_average`
transform's function (`scenespec/transform/moving_average.py`), applied to each step's
points: `smooth = w` draws the same band as `spread` bound to a `moving_average` transform
with `width = w` and `along = "points"`. The band is built once with `fill_between` and
its polygon is updated in place per frame.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from scenespec.errors import Problem, SpecError
from scenespec.frame import Frame
from scenespec.layers.base import BuildContext, Extent, Painter, XYLayer, register_layer
from scenespec.layers.channels import Channel, constant
from scenespec.transform.moving_average import moving_average
from scenespec.validate.base import Binding

MAX_SMOOTH = 10_000


class BandLayer(XYLayer):
    """The line (x, y) ± a per-point spread, shaded; any of x, y, spread may change per step."""

    kind: Literal["band"]
    x: Binding = Field(description="x of the centre line, one per point, e.g. `net.eval_x` (sorted).")
    y: Binding = Field(description="y of the centre line, e.g. `net.pred`.")
    spread: Binding = Field(description="Half-height of the band at each point, e.g. `net.error` (squared error).")
    smooth: int = Field(
        1,
        ge=1,
        le=MAX_SMOOTH,
        description="Centred moving-average window over the spread, in points "
        '(`np.convolve(spread, ones(w)/w, mode="same")`, as in article 002); 1 = no smoothing.',
    )
    scale: float = Field(1.0, description="Factor applied to the (smoothed) spread.")
    color: str | None = Field(None, description="Fill colour (a matplotlib colour).")
    alpha: float | None = Field(None, ge=0, le=1, description="Opacity of the fill, 0 to 1.")

    channels = (
        Channel("x", "vector", required=True),
        Channel("y", "matched:x", required=True),
        Channel("spread", "matched:x", required=True),
        constant("color", "steelblue"),
        constant("alpha", 0.3),
    )
    example = (
        'layers = [{ kind = "band", x = "net.eval_x", y = "net.pred", spread = "net.error", smooth = 15, '
        'label = "loss" }]'
    )


def _points(values: np.ndarray, stepped: bool) -> int:
    """Number of points per step of a field (a static field is one row)."""
    row = values[0] if stepped and len(values) else values
    return int(np.asarray(row).size)


class BandPainter(Painter[BandLayer]):
    def check(self) -> None:
        """The smoothing window must fit in the spread (x, y and spread match: checked by their channels)."""
        spread = self.fields["spread"]
        points = _points(spread.data, spread.stepped)
        if self.spec.smooth > points:
            raise SpecError(
                [
                    Problem(
                        f"band layer: smooth = {self.spec.smooth} is wider than the {points} points "
                        f"of spread = {self.spec.spread!r}"
                    )
                ]
            )

    def edges(self, frame: Frame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """x, lower and upper edge of the band at the frame. On an in-between frame of `frames.tween`, x, y and the
        spread are blended between the two shown steps (`Painter.value_at`); the smoothing and the scale are linear,
        so each edge is the same blend of the two steps' edges, within the limits they set."""
        x = np.asarray(self.value_at("x", frame), dtype=float).ravel()
        y = np.asarray(self.value_at("y", frame), dtype=float).ravel()
        spread = self.spec.scale * moving_average(np.ravel(self.value_at("spread", frame)), self.spec.smooth)
        return x, y - spread, y + spread

    def extent(self, frame_steps: np.ndarray) -> Extent:
        self.check()
        shown = [self.edges(Frame(0, int(step), 0)) for step in np.unique(frame_steps)]
        xs = np.concatenate([x for x, _, _ in shown])
        ys = np.concatenate([np.concatenate([lo, hi]) for _, lo, hi in shown])
        return Extent(xs, ys)

    def build(self, ctx: BuildContext, frame: Frame) -> None:
        self.check()
        self.band = ctx.ax.fill_between(*self.edges(frame), linewidth=0, **self.artist_kwargs(color="color"))
        self.artists = [self.band]

    def update(self, frame: Frame) -> None:
        band = self.band
        x, lower, upper = self.edges(frame)
        if hasattr(band, "set_data"):  # FillBetweenPolyCollection, matplotlib >= 3.10
            band.set_data(x, lower, upper)
        else:  # a plain PolyCollection (matplotlib < 3.10): one polygon along the upper edge and back
            band.set_verts([np.concatenate([np.column_stack([x, upper]), np.column_stack([x, lower])[::-1]])])


register_layer(BandLayer, BandPainter)
