"""Layer `sprites`: each point drawn as its thumbnail image, as TensorBoard's projector shows sprite images.

Thousands of thumbnails per frame are too many matplotlib artists (an `AnnotationBbox` each costs a layout and a
resampling per draw). One artist, `SpriteSheet`, composites them instead: when drawn it maps the points to the
panel's pixels and pastes each thumbnail (scaled once, nearest neighbour, to its size on the canvas) into a single
RGBA image of the panel's size, with alpha, in numpy; the renderer draws that image once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import matplotlib
import numpy as np
from matplotlib.artist import Artist, allow_rasterization
from pydantic import Field, PositiveFloat, PositiveInt, field_validator

from scenespec.errors import Problem, SpecError
from scenespec.frame import Frame
from scenespec.layers._classes import DEFAULT_PALETTE, Classes, check_palette, label_problems, stratified
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


class SpriteSheet(Artist):
    """Thumbnails pasted at points into one image of the panel's pixels, drawn by the renderer in one call.

    `thumbnails` are (k, h, w, 4) straight RGBA floats in [0, 1], one per point of `offsets` ((k, 2) data
    coordinates); `size` is a thumbnail's longer side in points; `borders`, (k, 4) RGBA, frame each thumbnail in
    a colour. Later thumbnails cover earlier ones.
    """

    zorder = 1  # as a scatter's markers: above grid lines, below a legend

    def __init__(self, thumbnails: np.ndarray, size: float, borders: np.ndarray | None = None, **kwargs: Any) -> None:
        super().__init__()
        self._thumbnails = thumbnails
        self._borders = borders
        self._size = size
        self._scaled: tuple[tuple[int, int], np.ndarray] | None = None
        self._solid = np.zeros(len(thumbnails), dtype=bool)
        """Which scaled thumbnails are fully opaque (pasted by copying rather than blending)."""
        self._solid_bytes = np.zeros((len(thumbnails), 1, 1, 4), dtype=np.uint8)
        self.offsets = np.zeros((len(thumbnails), 2))
        self.update(kwargs)

    def set_offsets(self, offsets: np.ndarray) -> None:
        self.offsets = np.asarray(offsets, dtype=float)
        self.stale = True

    def pixel_shape(self, dpi: float) -> tuple[int, int]:
        """A thumbnail's height and width in canvas pixels at `dpi`: the longer side `size` points, rounded, when
        enlarged, to a whole number of canvas pixels per image pixel (every image pixel the same square)."""
        h, w = self._thumbnails.shape[1:3]
        longest = max(1, round(self._size * dpi / 72))
        if longest >= max(h, w):
            factor = round(longest / max(h, w))
            return h * factor, w * factor
        return max(1, round(longest * h / max(h, w))), max(1, round(longest * w / max(h, w)))

    def scaled(self, dpi: float) -> np.ndarray:
        """The thumbnails at their pixel size (nearest neighbour), with their borders, premultiplied by their
        alpha; computed once per size."""
        shape = self.pixel_shape(dpi)
        if self._scaled is None or self._scaled[0] != shape:
            h, w = self._thumbnails.shape[1:3]
            rows = (np.arange(shape[0]) * h) // shape[0]
            cols = (np.arange(shape[1]) * w) // shape[1]
            big = np.ascontiguousarray(self._thumbnails[:, rows][:, :, cols], dtype=np.float32)
            if self._borders is not None:
                width = max(1, round(min(shape) / 12))
                colours = self._borders[:, None, None, :].astype(np.float32)
                for edge in (np.s_[:, :, :width], np.s_[:, :, -width:], np.s_[:, :width, :], np.s_[:, -width:, :]):
                    big[edge] = colours
            big[..., :3] *= big[..., 3:]
            self._scaled = (shape, big)
            self._solid = np.all(big[..., 3] >= 1, axis=(1, 2))
            self._solid_bytes = np.ascontiguousarray(np.round(big * 255), dtype=np.uint8)
        return self._scaled[1]

    def composite(self, dpi: float) -> tuple[int, int, np.ndarray] | None:
        """(left, bottom, RGBA uint8 rows top to bottom) of the panel's pixels with every thumbnail pasted in."""
        ax = self.axes
        if ax is None:
            return None
        box = ax.bbox
        left, bottom = int(np.floor(box.x0)), int(np.floor(box.y0))
        width, height = int(np.ceil(box.x1)) - left, int(np.ceil(box.y1)) - bottom
        if width <= 0 or height <= 0:
            return None
        sprites = self.scaled(dpi)
        sh, sw = sprites.shape[1:3]
        xy = ax.transData.transform(self.offsets).reshape(-1, 2)
        seen = np.isfinite(xy).all(axis=1)
        col0 = np.round(np.where(seen, xy[:, 0], 0) - left - sw / 2).astype(np.int64)
        row0 = np.round(bottom + height - np.where(seen, xy[:, 1], 0) - sh / 2).astype(np.int64)
        seen &= (col0 < width) & (row0 < height) & (col0 > -sw) & (row0 > -sh)
        which = np.flatnonzero(seen)
        places = zip(which.tolist(), row0[which].tolist(), col0[which].tolist(), strict=True)
        alpha = self.get_alpha()
        if (alpha is None or alpha >= 1) and bool(self._solid[which].all()):
            return left, bottom, _paste_solid(self._solid_bytes, places, (height, width))
        return left, bottom, _paste_blended(sprites, places, (height, width), alpha)

    @allow_rasterization
    def draw(self, renderer: Any) -> None:
        figure = self.get_figure(root=True)
        if not self.get_visible() or figure is None or self.axes is None:
            return
        made = self.composite(figure.dpi)
        if made is not None:
            left, bottom, image = made
            gc = renderer.new_gc()
            gc.set_clip_rectangle(self.axes.bbox)
            renderer.draw_image(gc, left, bottom, image[::-1])  # the renderer takes rows bottom to top
            gc.restore()
        self.stale = False


Places = Iterable[tuple[int, int, int]]
"""(thumbnail, top row, left column) of each thumbnail pasted, in pasting order."""


def _clipped(r: int, c: int, shape: tuple[int, ...], size: tuple[int, int]) -> tuple[slice, slice, slice, slice]:
    """Canvas rows and columns, and thumbnail rows and columns, of a thumbnail at (r, c) cut to the canvas."""
    top, lft = max(r, 0), max(c, 0)
    bot, rgt = min(r + shape[0], size[0]), min(c + shape[1], size[1])
    return slice(top, bot), slice(lft, rgt), slice(top - r, bot - r), slice(lft - c, rgt - c)


def _paste_solid(sprites: np.ndarray, places: Places, size: tuple[int, int]) -> np.ndarray:
    """Opaque thumbnails (uint8 RGBA) copied onto a transparent canvas, later ones over earlier ones."""
    canvas = np.zeros((*size, 4), dtype=np.uint8)
    sh, sw = sprites.shape[1:3]
    height, width = size
    for i, r, c in places:
        if r >= 0 and c >= 0 and r + sh <= height and c + sw <= width:
            canvas[r : r + sh, c : c + sw] = sprites[i]
        else:
            rows, cols, in_rows, in_cols = _clipped(r, c, (sh, sw), size)
            canvas[rows, cols] = sprites[i, in_rows, in_cols]
    return canvas


def _paste_blended(sprites: np.ndarray, places: Places, size: tuple[int, int], alpha: float | None) -> np.ndarray:
    """Thumbnails (premultiplied float RGBA) laid "over" each other with their opacity times `alpha`, as uint8
    straight RGBA."""
    canvas = np.zeros((*size, 4), dtype=np.float32)
    scale = np.float32(1.0 if alpha is None else alpha)
    for i, r, c in places:
        rows, cols, in_rows, in_cols = _clipped(r, c, sprites.shape[1:3], size)
        src = sprites[i, in_rows, in_cols] * scale
        region = canvas[rows, cols]
        region *= 1 - src[..., 3:]
        region += src
    cover = canvas[..., 3:]
    canvas[..., :3] /= np.where(cover > 0, cover, 1)
    return np.round(canvas * 255).astype(np.uint8)


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
        self.sheet = SpriteSheet(self.thumbnails(), self.style("size"), borders, **kwargs)
        self.sheet.set_clip_box(ctx.ax.bbox)
        ctx.ax.add_artist(self.sheet)
        self.sheet.set_in_layout(False)
        self.artists = [self.sheet]
        self.update(frame)

    def update(self, frame: Frame) -> None:
        self.sheet.set_offsets(np.asarray(self.value_at("points", frame), dtype=float)[self.index])

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
