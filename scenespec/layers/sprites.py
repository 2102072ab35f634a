"""Layer `sprites`: each point drawn as its thumbnail image, as TensorBoard's projector shows sprite images.

Thousands of thumbnails per frame are too many matplotlib artists (an `AnnotationBbox` each costs a layout and a
resampling per draw). One `Stamps` artist (`_stamps.py`) composites them instead: the thumbnails are scaled once,
nearest neighbour, to their size on the canvas, and each frame pasted at their points into one image of the panel.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
from pydantic import Field, PositiveFloat, PositiveInt, field_validator

from scenespec.layers._palette import DEFAULT_PALETTE, check_palette
from scenespec.layers.base import LayerSpec, check_cmap, register_layer
from scenespec.layers.channels import Channel, constant
from scenespec.validate.base import Binding
from scenespec.validate.drawable import Label
from scenespec.validate.limits import FieldSize


class SpritesLayer(LayerSpec):
    """Each point's image drawn centred on it; a sample of the points, or all of them."""

    kind: Literal["sprites"]
    points: Binding = Field(description="Point positions, (n, 2) per step or static, e.g. `transforms.pca`.")
    images: Binding = Field(
        description="One image per point, static: (n, h, w) grey values in [0, 1] (0 is the colormap's low end), "
        "or (n, h, w, 3) RGB / (n, h, w, 4) RGBA in [0, 1] (or 0..255 as whole numbers), e.g. `net.images`."
    )
    labels: Binding | None = Field(
        None,
        description="Class of each point, (n,) whole numbers 0, 1, …: the sample keeps every class's share, and "
        "each thumbnail shows its class colour (see `mark`).",
    )
    size: PositiveFloat | None = Field(
        None, le=1000, description="Length of a thumbnail's longer side in points (1/72 inch; at dpi 72 one pixel)."
    )
    sample: PositiveInt | None = Field(
        None,
        description="Draw at most this many thumbnails: the same points in every frame, every class keeping its "
        "share when `labels` is bound (evenly spaced within each class), else evenly spaced indices. Default: all.",
    )
    cmap: str | None = Field(None, description="Colormap of grey images (article 003's sprite: black ink on white).")
    palette: str | list[str] | None = Field(
        None, description="Colours of the labels: a colormap (`tab10`: label v is colour v) or a list of colours."
    )
    mark: Literal["border", "ink"] = Field(
        "border",
        description="How a thumbnail shows its class when `labels` is bound: `border`, a frame of the class colour; "
        "`ink`, a grey image drawn in the class colour instead of the colormap.",
    )
    opaque: bool = Field(
        True,
        description="Thumbnails cover what is below them (squares, as in a sprite sheet); false: a grey image's "
        "value is its opacity, so only the ink covers (light 0 pixels are see-through).",
    )
    alpha: float | None = Field(None, ge=0, le=1, description="Opacity of the thumbnails, 0 to 1.")
    legend: bool = Field(
        False,
        description="A legend entry per class present (with `labels` bound); off by default, as an `embedding` "
        "layer of the same points usually gives it.",
    )
    names: list[Label] | None = Field(None, description="Legend name of each label 0, 1, …; default: the value.")

    channels = (
        Channel("points", "grid", required=True),
        Channel("images", "any", "static", required=True),
        Channel("labels", "vector", "static"),
        constant("size", 16.0),
        constant("cmap", "gray_r"),
        constant("palette", DEFAULT_PALETTE),
    )
    example = 'layers = [{ kind = "sprites", points = "transforms.pca", images = "net.images", sample = 500 }]'

    def drawn_points(self, sizes: Mapping[str, FieldSize]) -> int:
        """One per thumbnail drawn (its pixels are pasted in numpy, not drawn by matplotlib one by one)."""
        size = sizes.get("points")
        n = size.per_step // 2 if size is not None else 0
        return n if self.sample is None else min(n, self.sample)

    @field_validator("cmap")
    @classmethod
    def _valid_cmap(cls, value: str | None) -> str | None:
        return check_cmap(value)

    @field_validator("palette")
    @classmethod
    def _valid_palette(cls, value: str | list[str] | None) -> str | list[str] | None:
        return check_palette(value)


def pixel_shape(shape: tuple[int, int], size: float, dpi: float) -> tuple[int, int]:
    """A thumbnail's height and width in canvas pixels at `dpi`: the longer side `size` points, rounded, when
    enlarged, to a whole number of canvas pixels per image pixel (every image pixel the same square)."""
    h, w = shape
    longest = max(1, round(size * dpi / 72))
    if longest >= max(h, w):
        factor = round(longest / max(h, w))
        return h * factor, w * factor
    return max(1, round(longest * h / max(h, w))), max(1, round(longest * w / max(h, w)))


def scaled(thumbnails: np.ndarray, size: float, dpi: float, borders: np.ndarray | None) -> np.ndarray:
    """Thumbnails ((k, h, w, 4) straight RGBA) at their pixel size (nearest neighbour), each framed in its colour
    of `borders` ((k, 4) RGBA) when given."""
    h, w = thumbnails.shape[1:3]
    shape = pixel_shape((h, w), size, dpi)
    rows = (np.arange(shape[0]) * h) // shape[0]
    cols = (np.arange(shape[1]) * w) // shape[1]
    big = np.ascontiguousarray(thumbnails[:, rows][:, :, cols])
    if borders is not None:
        width = max(1, round(min(shape) / 12))
        colours = borders[:, None, None, :]
        for edge in (np.s_[:, :, :width], np.s_[:, :, -width:], np.s_[:, :width, :], np.s_[:, -width:, :]):
            big[edge] = colours
    return big


register_layer(SpritesLayer, "scenespec.paint.sprites:SpritesPainter")
