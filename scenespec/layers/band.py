"""Layer `band`: a shaded area around a line, e.g. the model's prediction ± its per-point loss (article 002).

Which loss is the spec's choice, by the field it binds: the `trainer` records both the squared error
(`error`, the article's) and the absolute error in y units (`abs_error`). The squared error of a
fitted model is tiny (0.01 for a residual of 0.1), so its band vanishes under the line; the
absolute error keeps a band as wide as the misfit.

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

from pydantic import Field

from scenespec.layers.base import XYLayer, register_layer
from scenespec.layers.channels import Channel, constant
from scenespec.validate.base import Binding

MAX_SMOOTH = 10_000


class BandLayer(XYLayer):
    """The line (x, y) ± a per-point spread, shaded; any of x, y, spread may change per step."""

    kind: Literal["band"]
    x: Binding = Field(description="x of the centre line, one per point, e.g. `net.eval_x` (sorted).")
    y: Binding = Field(description="y of the centre line, e.g. `net.pred`.")
    spread: Binding = Field(
        description="Half-height of the band at each point, in y units: `net.error` is article 002's squared error "
        "(it shrinks quadratically and soon becomes thinner than the line), `net.abs_error` the absolute error "
        "|y − pred| (the band stays as wide as the misfit it shows)."
    )
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


register_layer(BandLayer, "scenespec.paint.band:BandPainter")
