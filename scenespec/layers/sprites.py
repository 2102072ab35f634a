"""Layer `sprites`: each point drawn as its thumbnail image, as TensorBoard's projector shows sprite images.

Thousands of thumbnails per frame are too many matplotlib artists (an `AnnotationBbox` each costs a layout and a
resampling per draw). One `Stamps` artist (`_stamps.py`) composites them instead: the thumbnails are scaled once,
nearest neighbour, to their size on the canvas, and each frame pasted at their points into one image of the panel.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import matplotlib
import numpy as np
from matplotlib.artist import Artist
from pydantic import Field, PositiveFloat, PositiveInt, field_validator

from scenespec.errors import Problem, SpecError
from scenespec.frame import Frame
from scenespec.layers._classes import DEFAULT_PALETTE, Classes, check_palette, label_problems, stratified
from scenespec.layers._stamps import Stamps
from scenespec.layers.base import BuildContext, Extent, LayerSpec, Painter, check_cmap, register_layer
from scenespec.layers.channels import Channel, constant
from scenespec.resolve.trace import TraceField
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


class SpritesPainter(Painter[SpritesLayer]):
    def __init__(self, spec: SpritesLayer, fields: Mapping[str, TraceField]) -> None:
        super().__init__(spec, fields)
        points, images = self.fields["points"], self.fields["images"]
        self.n, dims = (points.data.shape[1:] if points.stepped else points.data.shape)[:2]
        problems = []
        if dims != 2:
            per_step = " per step" if points.stepped else ""
            problems.append(Problem(
                f"sprites layer: points = {spec.points!r} has shape {(self.n, dims)}{per_step}; expected "
                f"({self.n}, 2): 2 coordinates per point (sprites are drawn on 2D panels)",
                ("points",),
            ))  # fmt: skip
        problem = image_problem(np.asarray(images.data), self.n)
        if problem is not None:
            problems.append(Problem(f"sprites layer: images = {spec.images!r} {problem}", ("images",)))
        if spec.labels is not None:
            problems += label_problems("sprites", self.fields["labels"], spec.labels, spec.points, self.n, spec.names)
        if problems:
            raise SpecError(problems)
        labels = self.fields.get("labels")
        self.labels = np.asarray(labels.data).astype(np.int64) if labels is not None else None
        self.index = stratified(self.labels, self.n, spec.sample)

    def extent(self, frame_steps: np.ndarray) -> Extent:
        """The drawn points at every shown step (tweened positions lie between two of them)."""
        points = np.asarray(self.fields["points"].over(frame_steps), dtype=float)[..., self.index, :]
        return Extent(points[..., 0], points[..., 1])

    def thumbnails(self) -> np.ndarray:
        """The drawn points' images as straight RGBA in [0, 1]: coloured by the colormap, or the class colour."""
        images = np.asarray(self.fields["images"].data)[self.index]
        if images.dtype.kind in "iu":
            images = images / 255.0
        images = np.asarray(images, dtype=float)
        classes = self.classes()
        if images.ndim == 3:
            if classes is not None and self.labels is not None and self.spec.mark == "ink":
                ink = classes.colors[self.labels[self.index]][:, None, None, :3]
                rgba = np.concatenate([1 - images[..., None] * (1 - ink), np.ones((*images.shape, 1))], axis=-1)
            else:
                rgba = matplotlib.colormaps[self.style("cmap")](images, bytes=True) / 255.0
            if not self.spec.opaque:
                rgba[..., 3] = images
        elif images.shape[-1] == 3:
            rgba = np.concatenate([images, np.ones((*images.shape[:-1], 1))], axis=-1)
        else:
            rgba = images.copy()
        return rgba

    def classes(self) -> Classes | None:
        if self.labels is None:
            return None
        return Classes.of(self.labels, self.style("palette"), self.spec.names)

    def build(self, ctx: BuildContext, frame: Frame) -> None:
        classes = self.classes()
        borders = None
        if classes is not None and self.labels is not None and self.spec.mark == "border":
            borders = classes.colors[self.labels[self.index]]
        kwargs = self.common_kwargs(label=False)
        thumbnails, size = self.thumbnails(), self.style("size")
        self.sheet = Stamps(lambda dpi: scaled(thumbnails, size, dpi, borders), **kwargs)
        ctx.ax.add_artist(self.sheet)
        self.artists = [self.sheet]
        self.update(frame)

    def update(self, frame: Frame) -> None:
        positions = np.asarray(self.value_at("points", frame), dtype=float)[self.index]
        self.sheet.set_points(positions, np.arange(len(self.index)))

    def legend_handles(self) -> list[Artist]:
        classes = self.classes()
        if classes is None or not self.spec.legend:
            return []
        return list(classes.legend_handles("s", 7.0, alpha=self.style("alpha")))


def image_problem(images: np.ndarray, n: int) -> str | None:
    """Why `images` are not one thumbnail per point (grey, RGB or RGBA in [0, 1], or 0..255), or None."""
    if images.dtype.kind not in "biuf":
        return f"holds {images.dtype} values; expected numbers"
    shape = images.shape
    if not (images.ndim == 3 or (images.ndim == 4 and shape[-1] in (3, 4))):
        return f"has shape {shape}; expected (n, h, w) grey, (n, h, w, 3) RGB or (n, h, w, 4) RGBA images"
    if shape[0] != n:
        return f"has {shape[0]} images; expected one per point: {n}"
    if 0 in shape:
        return f"has shape {shape}; an image needs at least one pixel"
    if images.dtype.kind == "f":
        if not np.all(np.isfinite(images)):
            return "holds values that are not finite; expected values in [0, 1]"
        lo, hi = float(images.min()), float(images.max())
        if lo < 0 or hi > 1:
            return f"holds values from {lo:g} to {hi:g}; expected values in [0, 1] (e.g. digits divided by 16)"
    elif images.size and (images.min() < 0 or images.max() > 255):
        return "holds whole numbers outside 0..255; expected 0..255 or values in [0, 1]"
    return None


register_layer(SpritesLayer, SpritesPainter)
